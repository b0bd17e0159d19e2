/*
 * sso_assert.h - the device's single sign-on assertion (DESIGN 3.4): parse
 * and verify, nothing else.  Pure: no I/O, no clock, no database; the caller
 * supplies the device keys (a lookup callback) and the time.
 *
 * The printer side vouches for who is logged in at it, as Xerox Workplace
 * Suite does with its exchanged keys (sim/device/sso.h writes the same):
 *
 *   S         = user "|" serial "|" issued_at "|" nonce
 *               user       1..SSO_USER_MAX printable bytes, no '|'
 *               serial     1..SSO_SERIAL_MAX of [A-Za-z0-9._-]
 *               issued_at  Unix time, decimal seconds, no sign or leading 0
 *               nonce      32 lower-case hex digits (16 random bytes)
 *   assertion = base64url(S)                       RFC 4648, 5; no padding
 *   signature = base64url(HMAC-SHA256(K, S))       RFC 2104, over S itself
 *
 * K is the 32-byte key of the device whose serial S names.  Replays are the
 * caller's to refuse (it remembers the nonces it has seen, for as long as an
 * assertion stays fresh); this module only hands the nonce out.
 */
#ifndef SCANPOST_SSO_ASSERT_H
#define SCANPOST_SSO_ASSERT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define SSO_DEVICE_KEY_LEN 32
#define SSO_USER_MAX       64
#define SSO_SERIAL_MAX     32
#define SSO_NONCE_HEX_LEN  32
#define SSO_ASSERTION_MAX  256 /* base64url characters of an assertion */
#define SSO_SIGNATURE_LEN  43  /* base64url characters of 32 bytes */
#define SSO_FUTURE_SKEW    5   /* seconds a device clock may run ahead */

enum sso_assert_result {
	SSO_ASSERT_OK = 0,
	SSO_ASSERT_MALFORMED,      /* not base64url, wrong fields, bad characters */
	SSO_ASSERT_UNKNOWN_DEVICE, /* no key exchanged with the serial it names */
	SSO_ASSERT_FORGED,         /* the HMAC does not match */
	SSO_ASSERT_STALE,          /* issued more than max_age seconds ago */
	SSO_ASSERT_FUTURE,         /* issued later than now (+ SSO_FUTURE_SKEW) */
	SSO_ASSERT_WRONG_SERIAL,   /* genuine, but from another device than asked */
	SSO_ASSERT__MAX
};

/* What a verified assertion says. */
struct sso_claims {
	char user[SSO_USER_MAX + 1];
	char serial[SSO_SERIAL_MAX + 1];
	long long issued_at;
	char nonce[SSO_NONCE_HEX_LEN + 1];
};

/* Fills key with the device key exchanged with serial: 0, or -1 when that
 * device has none.  serial has passed sso_serial_valid. */
typedef int (*sso_key_lookup_fn)(void *arg, const char *serial, uint8_t key[SSO_DEVICE_KEY_LEN]);

/*
 * Verifies assertion and signature (both base64url text) as sent by the
 * device serial `expected_serial`, at time now, allowing max_age seconds.
 * Checks in this order: form, key of the serial S names, HMAC (constant
 * time), that serial against expected_serial, then the time.  On
 * SSO_ASSERT_OK, *out holds the claims; on a later failure out may hold
 * the unauthenticated claims (for the audit trail), else it is zeroed.
 * The key is wiped before return.
 */
enum sso_assert_result sso_assert_verify(const char *assertion, const char *signature,
                                         const char *expected_serial, sso_key_lookup_fn lookup,
                                         void *lookup_arg, time_t now, long max_age,
                                         struct sso_claims *out);

/* Parses S only (no signature, no time): 0, or -1 when malformed. */
int sso_assert_parse(const char *s, size_t len, struct sso_claims *out);

/* A snake_case reason for logs and audit details ("stale", "forged", ...). */
const char *sso_assert_reason(enum sso_assert_result r);

/* 1 when serial is 1..SSO_SERIAL_MAX of [A-Za-z0-9._-], not starting with
 * '.': safe as a file name (the device key is <serial>.key). */
int sso_serial_valid(const char *serial);

#endif
