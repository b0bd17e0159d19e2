/*
 * sso_ticket.c - sealed proof of the printer's user for one visit (see
 * sso_ticket.h).
 */
#include "sso_ticket.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"

#define TICKET_AAD     "scanpost-sso-ticket"
#define TICKET_VERSION 0x01
#define TICKET_PT_MAX  (1 + 8 + 1 + SSO_SERIAL_MAX + SSO_IDENTITY_MAX)
/* What sp_seal_blob adds: its nonce and its tag. */
#define TICKET_BLOB_MAX (SP_NONCE_LEN + TICKET_PT_MAX + SP_TAG_LEN)

int sso_ticket_make(const struct keyring *kr, const char *identity, const char *serial,
                    time_t expires, char out[SSO_TICKET_MAX + 1])
{
	uint8_t pt[TICKET_PT_MAX], *blob = NULL;
	size_t ilen = strlen(identity), slen = strlen(serial), len, bloblen = 0, kidlen;
	uint64_t e = (uint64_t)expires;
	char kid[SP_KID_MAX + 1];
	int rc = SSO_TICKET_CRYPTO;

	out[0] = '\0';
	if (ilen == 0 || ilen > SSO_IDENTITY_MAX || slen == 0 || slen > SSO_SERIAL_MAX)
		return SSO_TICKET_CRYPTO;
	pt[0] = TICKET_VERSION;
	for (int i = 0; i < 8; i++)
		pt[1 + i] = (uint8_t)(e >> (56 - 8 * i));
	pt[9] = (uint8_t)slen;
	memcpy(pt + 10, serial, slen);
	memcpy(pt + 10 + slen, identity, ilen);
	len = 10 + slen + ilen;
	if (sp_seal_blob(kr, TICKET_AAD, strlen(TICKET_AAD), pt, len, &blob, &bloblen, kid) !=
	    SP_CRYPTO_OK)
		goto out;
	kidlen = strlen(kid);
	if (bloblen > TICKET_BLOB_MAX || kidlen + 1 + B64URL_LEN(bloblen) > SSO_TICKET_MAX)
		goto out;
	memcpy(out, kid, kidlen);
	out[kidlen] = '.';
	b64url_encode(blob, bloblen, out + kidlen + 1);
	rc = SSO_TICKET_OK;
out:
	OPENSSL_cleanse(pt, sizeof(pt));
	free(blob);
	return rc;
}

int sso_ticket_open(const struct keyring *kr, const char *ticket, time_t now,
                    char identity[SSO_IDENTITY_MAX + 1], char serial[SSO_SERIAL_MAX + 1])
{
	const char *dot = strchr(ticket, '.');
	char kid[SP_KID_MAX + 1];
	uint8_t blob[TICKET_BLOB_MAX], *pt = NULL;
	size_t kidlen, textlen, bloblen, ptlen = 0, slen;
	uint64_t e = 0;
	int rc = SSO_TICKET_BAD;

	identity[0] = serial[0] = '\0';
	if (!dot || (kidlen = (size_t)(dot - ticket)) == 0 || kidlen > SP_KID_MAX)
		return SSO_TICKET_BAD;
	memcpy(kid, ticket, kidlen);
	kid[kidlen] = '\0';
	textlen = strlen(dot + 1);
	bloblen = textlen * 3 / 4;
	if (bloblen > sizeof(blob) || B64URL_LEN(bloblen) != textlen ||
	    b64url_decode(dot + 1, blob, bloblen) != 0)
		return SSO_TICKET_BAD;
	/* An unknown kid, an altered byte, another AAD: all the same to us. */
	if (sp_open_blob(kr, kid, TICKET_AAD, strlen(TICKET_AAD), blob, bloblen, &pt, &ptlen) !=
	    SP_CRYPTO_OK)
		goto out;
	if (ptlen < 11 || pt[0] != TICKET_VERSION || (slen = pt[9]) == 0 || slen > SSO_SERIAL_MAX ||
	    ptlen - 10 <= slen || ptlen - 10 - slen > SSO_IDENTITY_MAX ||
	    memchr(pt + 10, '\0', ptlen - 10) != NULL)
		goto out;
	for (int i = 0; i < 8; i++)
		e = e << 8 | pt[1 + i];
	if ((long long)e <= (long long)now) {
		rc = SSO_TICKET_EXPIRED;
		goto out;
	}
	memcpy(serial, pt + 10, slen);
	serial[slen] = '\0';
	memcpy(identity, pt + 10 + slen, ptlen - 10 - slen);
	identity[ptlen - 10 - slen] = '\0';
	rc = SSO_TICKET_OK;
out:
	if (pt) {
		OPENSSL_cleanse(pt, ptlen);
		free(pt);
	}
	OPENSSL_cleanse(blob, sizeof(blob));
	return rc;
}
