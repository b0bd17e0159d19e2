/*
 * codec.h - text forms of binary values: base64url (RFC 4648, 5; no
 * padding), lower-case hex, and UUIDs (RFC 4122 text form).
 */
#ifndef SCANPOST_CODEC_H
#define SCANPOST_CODEC_H

#include <stddef.h>
#include <stdint.h>

#define B64URL_LEN(n) (((n)*4 + 2) / 3) /* characters for n bytes, no padding */
#define UUID_STR_LEN  37                /* 36 characters and a NUL */

/* Writes B64URL_LEN(len) characters and a NUL; out must hold that. */
void b64url_encode(const uint8_t *in, size_t len, char *out);
/* Decodes exactly outlen bytes from text; -1 if text is not that. */
int b64url_decode(const char *text, uint8_t *out, size_t outlen);

void hex_encode(const uint8_t *in, size_t len, char *out); /* 2*len + NUL */
/* Decodes exactly 2*outlen hex digits (either case) from text into out;
 * -1 if text does not start with that many.  On failure out is zeroed. */
int hex_decode(const char *text, uint8_t *out, size_t outlen);

/* A random (version 4) UUID in binary and text form. */
int uuid_random(uint8_t bin[16], char text[UUID_STR_LEN]);
/* Parses the 36-character form (any case); -1 if it is not one. */
int uuid_parse(const char *text, uint8_t bin[16]);
void uuid_format(const uint8_t bin[16], char text[UUID_STR_LEN]);

#endif
