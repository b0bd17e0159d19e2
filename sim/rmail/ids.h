/*
 * ids.h - random identifiers for rmail-sim (tokens, upload ids, tracking
 * ids), drawn from OpenSSL's CSPRNG (RAND_bytes). Thread-safe.
 */
#ifndef RMAIL_SIM_IDS_H
#define RMAIL_SIM_IDS_H

#include <stddef.h>

/*
 * Writes 2*nbytes lowercase hex digits and a NUL to out; outlen must be at
 * least 2*nbytes+1 and nbytes at most 64. Returns 0, or -1 when the CSPRNG
 * fails or out is too small (out is then "").
 */
int ids_random_hex(char *out, size_t outlen, size_t nbytes);

/*
 * Writes nbytes random bytes as unpadded base64url (RFC 4648, section 5)
 * and a NUL to out; nbytes at most 64. Returns 0 or -1 as above.
 */
int ids_random_base64url(char *out, size_t outlen, size_t nbytes);

/* Upper-cases the ASCII letters of s in place (RMail tracking ids are upper-case hex). */
void ids_upper(char *s);

#endif
