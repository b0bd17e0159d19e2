/*
 * sso.c - SSO assertions signed with HMAC-SHA256 (see sso.h).
 */
#include "sso.h"

#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int sso_load_key(const char *path, unsigned char key[SSO_KEY_LEN], char *why, size_t whylen)
{
	char text[160];
	size_t n, start = 0, end, i;
	FILE *f = fopen(path, "r");
	int rc = -1;

	if (!f) {
		snprintf(why, whylen, "cannot open the SSO key file");
		return -1;
	}
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = '\0';
	end = n;
	while (start < end && strchr(" \t\r\n", text[start]))
		start++;
	while (end > start && strchr(" \t\r\n", text[end - 1]))
		end--;
	if (end - start != 2 * SSO_KEY_LEN) {
		snprintf(why, whylen, "the SSO key file must hold exactly 64 hex digits");
		goto out;
	}
	for (i = 0; i < SSO_KEY_LEN; i++) {
		int hi = hex_value(text[start + 2 * i]), lo = hex_value(text[start + 2 * i + 1]);

		if (hi < 0 || lo < 0) {
			snprintf(why, whylen, "the SSO key file must hold exactly 64 hex digits");
			goto out;
		}
		key[i] = (unsigned char)(hi << 4 | lo);
	}
	rc = 0;
out:
	OPENSSL_cleanse(text, sizeof(text));
	if (rc != 0)
		OPENSSL_cleanse(key, SSO_KEY_LEN);
	return rc;
}

int sso_base64url(const unsigned char *in, size_t n, char *out, size_t outlen)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t i, o = 0;

	if (outlen < (n * 4 + 2) / 3 + 1)
		return -1;
	for (i = 0; i + 2 < n; i += 3) {
		unsigned long v =
		    (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8 | in[i + 2];

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
		out[o++] = alphabet[v & 63];
	}
	if (n - i == 1) {
		unsigned long v = (unsigned long)in[i] << 16;

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned long v = (unsigned long)in[i] << 16 | (unsigned long)in[i + 1] << 8;

		out[o++] = alphabet[v >> 18 & 63];
		out[o++] = alphabet[v >> 12 & 63];
		out[o++] = alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
	return 0;
}

int sso_make_assertion(const unsigned char key[SSO_KEY_LEN], const char *user, const char *serial,
                       time_t now, char *assertion, size_t alen, char *signature, size_t slen)
{
	unsigned char nonce[16], mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	char s[512], hex[33];
	int w;
	size_t i;

	if (strchr(user, '|') || strchr(serial, '|'))
		return -1;
	if (RAND_bytes(nonce, sizeof(nonce)) != 1)
		return -1;
	for (i = 0; i < sizeof(nonce); i++)
		snprintf(hex + 2 * i, 3, "%02x", nonce[i]);
	w = snprintf(s, sizeof(s), "%s|%s|%lld|%s", user, serial, (long long)now, hex);
	if (w < 0 || (size_t)w >= sizeof(s))
		return -1;
	if (!HMAC(EVP_sha256(), key, SSO_KEY_LEN, (const unsigned char *)s, (size_t)w, mac,
	          &maclen))
		return -1;
	if (sso_base64url((const unsigned char *)s, (size_t)w, assertion, alen) != 0 ||
	    sso_base64url(mac, maclen, signature, slen) != 0)
		return -1;
	return 0;
}
