/* test_codec.c - base64url, hex and UUID forms. */
#include <string.h>

#include "codec.h"
#include "cunit_main.h"

static void test_b64url_known_vectors(void)
{
	/* RFC 4648, 10, in the URL alphabet without padding. */
	char out[16];

	b64url_encode((const uint8_t *)"f", 1, out);
	CU_ASSERT_STRING_EQUAL(out, "Zg");
	b64url_encode((const uint8_t *)"foob", 4, out);
	CU_ASSERT_STRING_EQUAL(out, "Zm9vYg");
	b64url_encode((const uint8_t *)"foobar", 6, out);
	CU_ASSERT_STRING_EQUAL(out, "Zm9vYmFy");
	b64url_encode((const uint8_t *)"\xfb\xff", 2, out);
	CU_ASSERT_STRING_EQUAL(out, "-_8");
}

static void test_b64url_round_trip_of_32_bytes(void)
{
	uint8_t in[32], back[32];
	char text[B64URL_LEN(32) + 1];

	for (int i = 0; i < 32; i++)
		in[i] = (uint8_t)(i * 37 + 5);
	b64url_encode(in, 32, text);
	CU_ASSERT_EQUAL(strlen(text), 43);
	CU_ASSERT_EQUAL_FATAL(b64url_decode(text, back, 32), 0);
	CU_ASSERT_EQUAL(memcmp(in, back, 32), 0);
}

static void test_b64url_decode_refuses_bad_text(void)
{
	uint8_t out[32];
	char text[B64URL_LEN(32) + 1];

	memset(text, 'A', 43);
	text[43] = '\0';
	CU_ASSERT_EQUAL(b64url_decode(text, out, 32), 0);
	text[5] = '+'; /* standard alphabet is not URL-safe */
	CU_ASSERT_EQUAL(b64url_decode(text, out, 32), -1);
	text[5] = 'A';
	text[42] = 'B'; /* non-zero leftover bits: a second spelling */
	CU_ASSERT_EQUAL(b64url_decode(text, out, 32), -1);
	CU_ASSERT_EQUAL(b64url_decode("AAAA", out, 32), -1);
}

static void test_uuid_random_is_version_4_and_parses_back(void)
{
	uint8_t a[16], b[16];
	char text[UUID_STR_LEN];

	CU_ASSERT_EQUAL_FATAL(uuid_random(a, text), 0);
	CU_ASSERT_EQUAL(strlen(text), 36);
	CU_ASSERT_EQUAL(text[14], '4');
	CU_ASSERT_EQUAL(uuid_parse(text, b), 0);
	CU_ASSERT_EQUAL(memcmp(a, b, 16), 0);
}

static void test_uuid_parse_refuses_malformed(void)
{
	uint8_t b[16];

	CU_ASSERT_EQUAL(uuid_parse("0b6c1f1e-1111-4222-8333-44445555666", b), -1);
	CU_ASSERT_EQUAL(uuid_parse("0b6c1f1e11114222-8333-4444555566667", b), -1);
	CU_ASSERT_EQUAL(uuid_parse("0b6c1f1e-1111-4222-8333-44445555666g", b), -1);
	CU_ASSERT_EQUAL(uuid_parse("0B6C1F1E-1111-4222-8333-444455556666", b), 0);
}

static void test_hex_encode(void)
{
	char out[9];

	hex_encode((const uint8_t *)"\x00\x0f\xa0\xff", 4, out);
	CU_ASSERT_STRING_EQUAL(out, "000fa0ff");
}

static void test_hex_decode_round_trip_and_refusals(void)
{
	uint8_t out[4];

	CU_ASSERT_EQUAL(hex_decode("000fA0ff", out, 4), 0);
	CU_ASSERT_EQUAL(memcmp(out, "\x00\x0f\xa0\xff", 4), 0);
	CU_ASSERT_EQUAL(hex_decode("000fA0fg", out, 4), -1);
	CU_ASSERT_EQUAL(memcmp(out, "\0\0\0\0", 4), 0);
	CU_ASSERT_EQUAL(hex_decode("000f", out, 4), -1); /* too short: stops at the NUL */
}

static CU_TestInfo tests[] = {
    {"b64url known vectors", test_b64url_known_vectors},
    {"b64url round trip of 32 bytes", test_b64url_round_trip_of_32_bytes},
    {"b64url decode refuses bad text", test_b64url_decode_refuses_bad_text},
    {"uuid random is v4 and parses back", test_uuid_random_is_version_4_and_parses_back},
    {"uuid parse refuses malformed", test_uuid_parse_refuses_malformed},
    {"hex encode", test_hex_encode},
    {"hex decode round trip and refusals", test_hex_decode_round_trip_and_refusals},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("codec", tests);
}
