/*
 * utf8.h - the one UTF-8 walker of scanpost (RFC 3629): every module that
 * reads or writes UTF-8 text (jobspec's field checks, the SSO protocol's
 * JSON strings, the template's safe file names) goes through these.
 */
#ifndef SCANPOST_UTF8_H
#define SCANPOST_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decodes the sequence at s (len bytes available) into *cp.  Returns its
 * length (1..4), or 0 when s does not start a well-formed one: no overlong
 * forms, no surrogates, nothing above U+10FFFF (RFC 3629, 3 and 4). */
size_t utf8_decode(const uint8_t *s, size_t len, uint32_t *cp);

/* Whether all n bytes of s are well-formed UTF-8. */
int utf8_valid(const uint8_t *s, size_t n);

/* Writes code point cp (<= U+10FFFF, not a surrogate) into out; returns
 * its length (1..4), or 0 for a value that is no character. */
size_t utf8_encode(uint32_t cp, uint8_t out[4]);

/* The bytes a sequence starting at s claims, for replacing one foreign
 * character by one mark however it is broken: the lead byte's length cut
 * at the first byte that is no continuation, 1 for a stray byte.  s is
 * NUL-terminated. */
size_t utf8_span(const uint8_t *s);

#endif
