/* test_sso_assert.c - the device's SSO assertion: what is accepted and why
 * everything else is refused (src/lib/sso_assert.h). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "cunit_main.h"
#include "sso_assert.h"

#define NOW     1700000000LL
#define MAX_AGE 60
#define SERIAL  "3TB123456"
#define NONCE   "00112233445566778899aabbccddeeff"

static const uint8_t key_a[SSO_DEVICE_KEY_LEN] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0};
static const uint8_t key_b[SSO_DEVICE_KEY_LEN] = {
    0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00,
    0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00};

/* Two devices know keys: SERIAL (key_a) and "OTHER-1" (key_b). */
static int lookup(void *arg, const char *serial, uint8_t key[SSO_DEVICE_KEY_LEN])
{
	int *calls = arg;

	if (calls)
		(*calls)++;
	if (strcmp(serial, SERIAL) == 0) {
		memcpy(key, key_a, SSO_DEVICE_KEY_LEN);
		return 0;
	}
	if (strcmp(serial, "OTHER-1") == 0) {
		memcpy(key, key_b, SSO_DEVICE_KEY_LEN);
		return 0;
	}
	return -1;
}

static void b64url(const uint8_t *in, size_t n, char *out)
{
	static const char abc[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0, i;

	for (i = 0; i + 2 < n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
		out[o++] = abc[v & 63];
	}
	if (n - i == 1) {
		unsigned v = (unsigned)in[i] << 16;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
	} else if (n - i == 2) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8;
		out[o++] = abc[v >> 18 & 63];
		out[o++] = abc[v >> 12 & 63];
		out[o++] = abc[v >> 6 & 63];
	}
	out[o] = '\0';
}

/* What the device does (sim/device/sso.c): S, base64url(S), base64url(HMAC). */
static void make_raw(const uint8_t *key, const char *s, char *assertion, char *signature)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), key, SSO_DEVICE_KEY_LEN, (const uint8_t *)s, strlen(s), mac, &maclen);
	b64url((const uint8_t *)s, strlen(s), assertion);
	b64url(mac, maclen, signature);
}

static void make(const uint8_t *key, const char *user, const char *serial, long long at,
                 char *assertion, char *signature)
{
	char s[256];

	snprintf(s, sizeof(s), "%s|%s|%lld|%s", user, serial, at, NONCE);
	make_raw(key, s, assertion, signature);
}

static enum sso_assert_result verify(const char *a, const char *sig, const char *serial,
                                     struct sso_claims *c)
{
	return sso_assert_verify(a, sig, serial, lookup, NULL, (time_t)NOW, MAX_AGE, c);
}

static char a[512], sig[64];
static struct sso_claims claims;

static void test_valid_assertion_is_accepted_with_its_claims(void)
{
	make(key_a, "jdoe", SERIAL, NOW - 3, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_OK);
	CU_ASSERT_STRING_EQUAL(claims.user, "jdoe");
	CU_ASSERT_STRING_EQUAL(claims.serial, SERIAL);
	CU_ASSERT_EQUAL(claims.issued_at, NOW - 3);
	/* The nonce is handed out for the daemon's replay check. */
	CU_ASSERT_STRING_EQUAL(claims.nonce, NONCE);
}

static void test_age_limit_is_inclusive_and_stale_after(void)
{
	make(key_a, "jdoe", SERIAL, NOW - MAX_AGE, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_OK);
	make(key_a, "jdoe", SERIAL, NOW - MAX_AGE - 1, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_STALE);
	make(key_a, "jdoe", SERIAL, 0, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_STALE);
	CU_ASSERT_STRING_EQUAL(sso_assert_reason(SSO_ASSERT_STALE), "stale");
}

static void test_future_assertion_is_refused_beyond_the_skew(void)
{
	make(key_a, "jdoe", SERIAL, NOW + SSO_FUTURE_SKEW, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_OK);
	make(key_a, "jdoe", SERIAL, NOW + SSO_FUTURE_SKEW + 1, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_FUTURE);
}

static void test_flipped_signature_byte_is_forged(void)
{
	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	/* 'A' <-> 'B' in the first character flips one bit of the MAC. */
	sig[0] = sig[0] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_FORGED);
}

static void test_signature_under_another_key_is_forged(void)
{
	make(key_b, "jdoe", SERIAL, NOW, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_FORGED);
}

static void test_changed_user_under_the_old_signature_is_forged(void)
{
	char a2[512], sig2[64];

	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	make(key_a, "admin", SERIAL, NOW, a2, sig2);
	CU_ASSERT_EQUAL(verify(a2, sig, SERIAL, &claims), SSO_ASSERT_FORGED);
}

static void test_genuine_assertion_of_another_device_is_wrong_serial(void)
{
	make(key_b, "jdoe", "OTHER-1", NOW, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, "OTHER-1", &claims), SSO_ASSERT_OK);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_WRONG_SERIAL);
}

static void test_device_claiming_another_serial_is_forged(void)
{
	/* Device A signs an assertion that names device B: B's key fails. */
	make(key_a, "jdoe", "OTHER-1", NOW, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, "OTHER-1", &claims), SSO_ASSERT_FORGED);
}

static void test_serial_without_key_is_unknown_device(void)
{
	make(key_a, "jdoe", "NOKEY-9", NOW, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, "NOKEY-9", &claims), SSO_ASSERT_UNKNOWN_DEVICE);
}

static void test_malformed_base64_is_refused_before_any_key_lookup(void)
{
	int calls = 0;

	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	a[3] = '+'; /* standard alphabet, not base64url */
	CU_ASSERT_EQUAL(
	    sso_assert_verify(a, sig, SERIAL, lookup, &calls, (time_t)NOW, MAX_AGE, &claims),
	    SSO_ASSERT_MALFORMED);
	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	size_t n = strlen(a);
	a[n] = '='; /* padding is not base64url's (RFC 4648, 5 as used here) */
	a[n + 1] = '\0';
	CU_ASSERT_EQUAL(
	    sso_assert_verify(a, sig, SERIAL, lookup, &calls, (time_t)NOW, MAX_AGE, &claims),
	    SSO_ASSERT_MALFORMED);
	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	sig[42] = '\0'; /* 42 characters: not 32 bytes */
	CU_ASSERT_EQUAL(
	    sso_assert_verify(a, sig, SERIAL, lookup, &calls, (time_t)NOW, MAX_AGE, &claims),
	    SSO_ASSERT_MALFORMED);
	CU_ASSERT_EQUAL(verify("", sig, SERIAL, &claims), SSO_ASSERT_MALFORMED);
	CU_ASSERT_EQUAL(calls, 0);
}

static void test_non_canonical_base64_is_malformed(void)
{
	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	/* The last character of a 43-character MAC carries 2 unused bits,
	 * zero when canonical; the next letter sets the lowest of them. */
	sig[42]++;
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_MALFORMED);
}

/* Each S is signed with the right key: only its form is wrong. */
static void test_malformed_fields_are_refused_even_when_signed(void)
{
	static const char *const bad[] = {
	    "jdoe|3TB123456|1700000000",                                        /* 3 fields */
	    "|3TB123456|1700000000|" NONCE,                                     /* no user */
	    "jdoe||1700000000|" NONCE,                                          /* no serial */
	    "jdoe|3TB123456||" NONCE,                                           /* no time */
	    "jdoe|3TB123456|-1700000000|" NONCE,                                /* signed time */
	    "jdoe|3TB123456|01700000000|" NONCE,                                /* leading 0 */
	    "jdoe|3TB123456|1700000000x|" NONCE,                                /* not digits */
	    "jdoe|3TB123456|1700000000|00112233445566778899AABBCCDDEEFF",       /* upper hex */
	    "jdoe|3TB123456|1700000000|0011",                                   /* short nonce */
	    "jdoe|3TB123456|1700000000|" NONCE "00",                            /* long nonce */
	    "jdoe|../etc/x|1700000000|" NONCE,                                  /* path serial */
	    "jdoe|.hidden|1700000000|" NONCE,                                   /* dot serial */
	    "jd\toe|3TB123456|1700000000|" NONCE,                               /* control */
	    "jdoe|3TB123456|1700000000|" NONCE "|",                             /* trailing | */
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" /* 65 bytes */
	    "|3TB123456|1700000000|" NONCE,
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		make_raw(key_a, bad[i], a, sig);
		if (verify(a, sig, SERIAL, &claims) != SSO_ASSERT_MALFORMED) {
			fprintf(stderr, "accepted malformed #%zu\n", i);
			CU_FAIL("a malformed assertion passed");
		}
	}
}

static void test_pipe_injected_into_user_makes_five_fields(void)
{
	/* A user name "admin|OTHER-1" would shift every field: refused. */
	make_raw(key_a, "admin|3TB123456|3TB123456|1700000000|" NONCE, a, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_MALFORMED);
	CU_ASSERT_EQUAL(sso_assert_parse("a|b|1|" NONCE "|x", strlen("a|b|1|" NONCE "|x"), &claims),
	                -1);
}

static void test_nul_byte_inside_the_assertion_is_malformed(void)
{
	static const char s[] = "jdoe\0x|3TB123456|1700000000|" NONCE;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	HMAC(EVP_sha256(), key_a, SSO_DEVICE_KEY_LEN, (const uint8_t *)s, sizeof(s) - 1, mac,
	     &maclen);
	b64url((const uint8_t *)s, sizeof(s) - 1, a);
	b64url(mac, maclen, sig);
	CU_ASSERT_EQUAL(verify(a, sig, SERIAL, &claims), SSO_ASSERT_MALFORMED);
}

static void test_parse_extracts_the_nonce_without_any_key(void)
{
	const char *s = "jdoe|3TB123456|1700000000|" NONCE;

	CU_ASSERT_EQUAL_FATAL(sso_assert_parse(s, strlen(s), &claims), 0);
	CU_ASSERT_STRING_EQUAL(claims.nonce, NONCE);
	CU_ASSERT_EQUAL(claims.issued_at, 1700000000LL);
}

static void test_too_long_assertion_is_malformed(void)
{
	char big[SSO_ASSERTION_MAX + 8];

	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	make(key_a, "jdoe", SERIAL, NOW, a, sig);
	CU_ASSERT_EQUAL(verify(big, sig, SERIAL, &claims), SSO_ASSERT_MALFORMED);
}

static void test_serial_validity_rules(void)
{
	CU_ASSERT_TRUE(sso_serial_valid("3TB123456"));
	CU_ASSERT_TRUE(sso_serial_valid("A.b_c-9"));
	CU_ASSERT_FALSE(sso_serial_valid(""));
	CU_ASSERT_FALSE(sso_serial_valid(".x"));
	CU_ASSERT_FALSE(sso_serial_valid("a/b"));
	CU_ASSERT_FALSE(sso_serial_valid("a b"));
	CU_ASSERT_FALSE(sso_serial_valid("123456789012345678901234567890123")); /* 33 */
}

static CU_TestInfo tests[] = {
    {"valid assertion is accepted with its claims",
     test_valid_assertion_is_accepted_with_its_claims},
    {"age limit is inclusive, stale after", test_age_limit_is_inclusive_and_stale_after},
    {"future assertion refused beyond the skew", test_future_assertion_is_refused_beyond_the_skew},
    {"flipped signature byte is forged", test_flipped_signature_byte_is_forged},
    {"signature under another key is forged", test_signature_under_another_key_is_forged},
    {"changed user under the old signature is forged",
     test_changed_user_under_the_old_signature_is_forged},
    {"genuine assertion of another device is wrong serial",
     test_genuine_assertion_of_another_device_is_wrong_serial},
    {"device claiming another serial is forged", test_device_claiming_another_serial_is_forged},
    {"serial without key is unknown device", test_serial_without_key_is_unknown_device},
    {"malformed base64 refused before any key lookup",
     test_malformed_base64_is_refused_before_any_key_lookup},
    {"non-canonical base64 is malformed", test_non_canonical_base64_is_malformed},
    {"malformed fields refused even when signed",
     test_malformed_fields_are_refused_even_when_signed},
    {"pipe injected into user makes five fields", test_pipe_injected_into_user_makes_five_fields},
    {"NUL byte inside the assertion is malformed", test_nul_byte_inside_the_assertion_is_malformed},
    {"parse extracts the nonce without any key", test_parse_extracts_the_nonce_without_any_key},
    {"too long assertion is malformed", test_too_long_assertion_is_malformed},
    {"serial validity rules", test_serial_validity_rules},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("sso_assert", tests);
}
