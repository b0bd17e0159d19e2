/*
 * fuzz_keyfile.c - keyring_load on arbitrary key-file and primary contents.
 *
 * Input: first byte picks the file the rest goes to (even: k1.key, odd:
 * primary); the other file holds a valid value.  Oracles: a load succeeds
 * exactly when the fuzzed file is well formed, and a loaded key seals and
 * opens a blob.  Files live in one mkdtemp directory removed at exit.
 */
#include "crypto.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char good_key[] = "000102030405060708090a0b0c0d0e0f"
                               "101112131415161718191a1b1c1d1e1f\n";
static char dir[64];

static void remove_dir(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/k1.key", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/k1.pub", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/primary", dir);
	unlink(path);
	rmdir(dir);
}

/* What each file holds now, to skip rewriting it unchanged. */
struct held {
	const char *name;
	mode_t mode;
	size_t len;
	uint8_t data[128];
	int known;
};
static struct held held[3] = {
    {"k1.key", 0, 0, {0}, 0}, {"k1.pub", 0, 0, {0}, 0}, {"primary", 0, 0, {0}, 0}};

static void put(const char *name, const uint8_t *data, size_t len, mode_t mode)
{
	struct held *h = NULL;
	char path[128];
	int fd;

	for (size_t i = 0; i < 3; i++)
		if (strcmp(held[i].name, name) == 0)
			h = &held[i];
	if (h && h->known && h->mode == mode && h->len == len && len <= sizeof(h->data) &&
	    memcmp(h->data, data, len) == 0)
		return;
	if (h) {
		h->known = len <= sizeof(h->data);
		h->mode = mode;
		h->len = len;
		if (h->known)
			memcpy(h->data, data, len);
	}

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0 || fchmod(fd, mode) != 0 || (len > 0 && write(fd, data, len) != (ssize_t)len) ||
	    close(fd) != 0)
		abort();
}

static int is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* What keyring_load must accept: 64 hex digits and a newline. */
static int key_ok(const uint8_t *p, size_t n)
{
	if (n != 65 || p[64] != '\n')
		return 0;
	for (size_t i = 0; i < 64; i++)
		if (!is_hex(p[i]))
			return 0;
	return 1;
}

/* ...and a primary naming k1, with an optional newline. */
static int primary_ok(const uint8_t *p, size_t n)
{
	return (n == 2 || (n == 3 && p[2] == '\n')) && p[0] == 'k' && p[1] == '1';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct keyring *kr;
	char err[256], kid[SP_KID_MAX + 1];
	uint8_t *blob = NULL, *pt = NULL;
	size_t bloblen = 0, ptlen = 0;
	const char *keyname;
	int to_primary, public, want, rc;
	mode_t mode;

	if (size == 0)
		return 0;
	if (!dir[0]) {
		/* tmpfs when there is one: the run is then not bound by the disk */
		snprintf(dir, sizeof(dir), "/dev/shm/fuzz_keyfile.XXXXXX");
		if (!mkdtemp(dir)) {
			snprintf(dir, sizeof(dir), "/tmp/fuzz_keyfile.XXXXXX");
			if (!mkdtemp(dir))
				abort();
		}
		atexit(remove_dir);
	}
	to_primary = data[0] & 1;
	public = data[0] >> 1 & 1;
	keyname = public ? "k1.pub" : "k1.key";
	mode = public ? 0644 : 0600;
	data++;
	size--;
	if (to_primary) {
		put(keyname, (const uint8_t *)good_key, strlen(good_key), mode);
		put("primary", data, size, 0600);
		want = primary_ok(data, size);
	} else {
		put(keyname, data, size, mode);
		put("primary", (const uint8_t *)"k1\n", 3, 0600);
		want = key_ok(data, size);
	}
	rc = public ? keyring_load_public(dir, &kr, err, sizeof(err))
	            : keyring_load(dir, &kr, err, sizeof(err));
	if ((rc == SP_CRYPTO_OK) != want)
		abort();
	if (rc != SP_CRYPTO_OK) {
		if (kr != NULL || strlen(err) == 0)
			abort();
		return 0;
	}
	if (public) {
		/* Any 32 bytes name a point; a low-order one may be refused, but
		 * cleanly.  A public ring opens nothing. */
		rc = sp_seal_to(kr, "a", 1, "x", 1, &blob, &bloblen, kid);
		if (rc == SP_CRYPTO_OK) {
			if (sp_open_sealed(kr, kid, "a", 1, blob, bloblen, &pt, &ptlen) ==
			    SP_CRYPTO_OK)
				abort();
			free(blob);
		} else if (blob != NULL) {
			abort();
		}
		keyring_free(kr);
		return 0;
	}
	if (sp_seal_blob(kr, "a", 1, "x", 1, &blob, &bloblen, kid) != SP_CRYPTO_OK ||
	    sp_open_blob(kr, kid, "a", 1, blob, bloblen, &pt, &ptlen) != SP_CRYPTO_OK ||
	    ptlen != 1 || pt[0] != 'x')
		abort();
	free(pt);
	free(blob);
	keyring_free(kr);
	return 0;
}
