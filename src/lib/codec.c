/*
 * codec.c - base64url, hex and UUID text forms.
 */
#include "codec.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <string.h>

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void b64url_encode(const uint8_t *in, size_t len, char *out)
{
	size_t i, o = 0;

	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
		out[o++] = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = b64url_alphabet[v >> 18 & 63];
		out[o++] = b64url_alphabet[v >> 12 & 63];
		out[o++] = b64url_alphabet[v >> 6 & 63];
	}
	out[o] = '\0';
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url_alphabet, c) : NULL;

	return p ? (int)(p - b64url_alphabet) : -1;
}

int b64url_decode(const char *text, uint8_t *out, size_t outlen)
{
	size_t need = B64URL_LEN(outlen), o = 0;
	uint32_t acc = 0;
	int bits = 0;

	if (strlen(text) != need)
		return -1;
	for (size_t i = 0; i < need; i++) {
		int v = b64url_value(text[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outlen)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero: one text, one value (RFC 4648, 3.5). */
	if (o != outlen || (acc & ((1u << bits) - 1)) != 0)
		return -1;
	return 0;
}

void hex_encode(const uint8_t *in, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 15];
	}
	out[2 * len] = '\0';
}

void uuid_format(const uint8_t b[16], char text[UUID_STR_LEN])
{
	char hex[33];

	hex_encode(b, 16, hex);
	snprintf(text, UUID_STR_LEN, "%.8s-%.4s-%.4s-%.4s-%.12s", hex, hex + 8, hex + 12, hex + 16,
	         hex + 20);
}

int uuid_random(uint8_t bin[16], char text[UUID_STR_LEN])
{
	if (RAND_bytes(bin, 16) != 1)
		return -1;
	bin[6] = (uint8_t)((bin[6] & 0x0f) | 0x40); /* RFC 4122, 4.4: version 4 */
	bin[8] = (uint8_t)((bin[8] & 0x3f) | 0x80); /* variant 10 */
	uuid_format(bin, text);
	return 0;
}

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

int hex_decode(const char *text, uint8_t *out, size_t outlen)
{
	for (size_t i = 0; i < outlen; i++) {
		int hi = hex_value(text[2 * i]), lo = hi < 0 ? -1 : hex_value(text[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(out, 0, outlen);
			return -1;
		}
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int uuid_parse(const char *text, uint8_t bin[16])
{
	size_t o = 0;

	if (strlen(text) != 36)
		return -1;
	for (size_t i = 0; i < 36;) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (text[i++] != '-')
				return -1;
			continue;
		}
		int hi = hex_value(text[i]), lo = hex_value(text[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		bin[o++] = (uint8_t)(hi << 4 | lo);
		i += 2;
	}
	return 0;
}
