/*
 * fuzz_sso_ticket.c - the SSO ticket scanpost-ssod gets back from the api
 * and the browser (src/ssod/sso_ticket.c): kid "." base64url(sealed blob).
 *
 * The first byte picks what the rest is.  Even: the ticket text as sent;
 * no input can be sealed under the test key, so nothing may open.  Odd: the
 * plaintext inside the seal (version, expiry, serial length, serial,
 * identity), sealed here under the key, so the fuzzer reaches the reading
 * of what a genuine seal holds.  Oracles: anything but OK leaves identity
 * and serial empty; OK gives them within their bounds and exactly the
 * plaintext's bytes.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "codec.h"
#include "crypto.h"
#include "sso_ticket.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NOW ((time_t)1900000000)

static struct keyring *ring(void)
{
	static struct keyring *kr;
	static const char key[] = "000102030405060708090a0b0c0d0e0f"
	                          "101112131415161718191a1b1c1d1e1f\n";
	char dir[] = "/tmp/fuzz_sso_ticket.XXXXXX", path[64], err[256];
	int fd;

	if (kr)
		return kr;
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/k1.key", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, key, strlen(key)) != (ssize_t)strlen(key) || close(fd) != 0)
		abort();
	snprintf(path, sizeof(path), "%s/primary", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "k1\n", 3) != 3 || close(fd) != 0)
		abort();
	if (keyring_load(dir, &kr, err, sizeof(err)) != SP_CRYPTO_OK)
		abort();
	unlink(path);
	snprintf(path, sizeof(path), "%s/k1.key", dir);
	unlink(path);
	rmdir(dir);
	return kr;
}

/* The ticket of a plaintext, sealed as sso_ticket_make seals. */
static char *seal(const struct keyring *kr, const uint8_t *pt, size_t len)
{
	uint8_t *blob = NULL;
	size_t bloblen = 0;
	char kid[SP_KID_MAX + 1], *t;

	if (sp_seal_blob(kr, "scanpost-sso-ticket", 19, pt, len, &blob, &bloblen, kid) !=
	    SP_CRYPTO_OK)
		abort();
	t = malloc(strlen(kid) + 1 + B64URL_LEN(bloblen) + 1);
	if (!t)
		abort();
	strcpy(t, kid);
	strcat(t, ".");
	b64url_encode(blob, bloblen, t + strlen(t));
	free(blob);
	return t;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct keyring *kr = ring();
	char identity[SSO_IDENTITY_MAX + 1], serial[SSO_SERIAL_MAX + 1], *ticket;
	int sealed, rc;

	if (size == 0)
		return 0;
	sealed = data[0] & 1;
	data++;
	size--;
	if (sealed) {
		ticket = seal(kr, data, size);
	} else {
		ticket = malloc(size + 1);
		if (!ticket)
			abort();
		memcpy(ticket, data, size);
		ticket[size] = '\0';
	}
	memset(identity, 'x', sizeof(identity));
	memset(serial, 'x', sizeof(serial));
	rc = sso_ticket_open(kr, ticket, NOW, identity, serial);
	if (rc != SSO_TICKET_OK) {
		if (identity[0] != '\0' || serial[0] != '\0' ||
		    (rc != SSO_TICKET_BAD && rc != SSO_TICKET_EXPIRED))
			abort();
	} else {
		size_t slen = strlen(serial), ilen = strlen(identity);

		if (!sealed || slen == 0 || slen > SSO_SERIAL_MAX || ilen == 0 ||
		    ilen > SSO_IDENTITY_MAX || size != 10 + slen + ilen || data[0] != 0x01 ||
		    data[9] != slen || memcmp(data + 10, serial, slen) != 0 ||
		    memcmp(data + 10 + slen, identity, ilen) != 0)
			abort();
	}
	free(ticket);
	return 0;
}
