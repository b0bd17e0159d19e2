/*
 * sso.h - the device's single sign-on assertion (DESIGN 3.4), as carried in
 * the session information of a logged-in user.
 *
 *   assertion string  S = user "|" serial "|" issued_at "|" nonce
 *       user       the device user name (never contains '|')
 *       serial     the device serial number
 *       issued_at  Unix time in decimal seconds
 *       nonce      16 random bytes (OpenSSL RAND_bytes) as 32 lowercase hex
 *   ssoAssertion = base64url(S)                    RFC 4648 section 5, no '='
 *   ssoSignature = base64url(HMAC-SHA256(K, S))    RFC 2104; over S itself,
 *                                                  not over its base64url form
 *
 * K is 32 bytes, read from a key file holding exactly 64 hex digits
 * (surrounding whitespace allowed), shared with scanpost's SSO manager.
 * A fresh nonce each call: the verifier refuses replays, stale issued_at
 * (its window) and other serials.
 */
#ifndef DEVICE_SIM_SSO_H
#define DEVICE_SIM_SSO_H

#include <stddef.h>
#include <time.h>

#define SSO_KEY_LEN 32

/* Reads the key file into key.  0, or -1 with why. */
int sso_load_key(const char *path, unsigned char key[SSO_KEY_LEN], char *why, size_t whylen);

/*
 * Writes the base64url assertion and signature (NUL-terminated) for user on
 * the device serial at time now.  0, or -1 when a buffer is too small, user
 * holds '|', or the random source fails.  assertion needs about
 * 4/3 * (strlen(user) + strlen(serial) + 50) bytes; signature 44.
 */
int sso_make_assertion(const unsigned char key[SSO_KEY_LEN], const char *user, const char *serial,
                       time_t now, char *assertion, size_t alen, char *signature, size_t slen);

/* base64url without padding of n bytes; 0, or -1 when out is too small. */
int sso_base64url(const unsigned char *in, size_t n, char *out, size_t outlen);

#endif
