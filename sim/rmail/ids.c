/*
 * ids.c - random identifiers (see ids.h).
 */
#include "ids.h"

#include <ctype.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define IDS_MAX_BYTES 64

int ids_random_hex(char *out, size_t outlen, size_t nbytes)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char raw[IDS_MAX_BYTES];

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (nbytes == 0 || nbytes > IDS_MAX_BYTES || outlen < 2 * nbytes + 1)
		return -1;
	if (RAND_bytes(raw, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = digits[raw[i] >> 4];
		out[2 * i + 1] = digits[raw[i] & 0x0f];
	}
	out[2 * nbytes] = '\0';
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

int ids_random_base64url(char *out, size_t outlen, size_t nbytes)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned char raw[IDS_MAX_BYTES];
	size_t need = (nbytes * 8 + 5) / 6 + 1;
	size_t o = 0;
	unsigned int acc = 0;
	int bits = 0;

	if (outlen == 0)
		return -1;
	out[0] = '\0';
	if (nbytes == 0 || nbytes > IDS_MAX_BYTES || outlen < need)
		return -1;
	if (RAND_bytes(raw, (int)nbytes) != 1)
		return -1;
	for (size_t i = 0; i < nbytes; i++) {
		acc = (acc << 8) | raw[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 0x3f];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 0x3f];
	out[o] = '\0';
	acc = 0;
	OPENSSL_cleanse(raw, sizeof(raw));
	return 0;
}

void ids_upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}
