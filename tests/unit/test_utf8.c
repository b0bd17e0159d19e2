/* test_utf8.c - the one UTF-8 walker (RFC 3629). */
#include <string.h>

#include "cunit_main.h"
#include "utf8.h"

static void test_decode_takes_each_length(void)
{
	uint32_t cp = 0;

	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"A", 1, &cp), 1);
	CU_ASSERT_EQUAL(cp, 0x41);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xC3\xA9", 2, &cp), 2);
	CU_ASSERT_EQUAL(cp, 0xE9);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xE2\x82\xAC", 3, &cp), 3);
	CU_ASSERT_EQUAL(cp, 0x20AC);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xF0\x9F\x98\x80", 4, &cp), 4);
	CU_ASSERT_EQUAL(cp, 0x1F600);
}

/* RFC 3629, 3 and 10: overlongs, surrogates, beyond U+10FFFF, cut short. */
static void test_decode_refuses_what_rfc_3629_forbids(void)
{
	uint32_t cp;

	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xC0\xAF", 2, &cp), 0);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xE0\x80\xAF", 3, &cp), 0);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xED\xA0\x80", 3, &cp), 0);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xF4\x90\x80\x80", 4, &cp), 0);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\xE2\x82", 2, &cp), 0);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"\x80", 1, &cp), 0);
	CU_ASSERT_EQUAL(utf8_decode((const uint8_t *)"", 0, &cp), 0);
}

static void test_valid_walks_the_whole_text(void)
{
	const char *good = "caf\xC3\xA9 \xE2\x82\xAC";

	CU_ASSERT_TRUE(utf8_valid((const uint8_t *)good, strlen(good)));
	CU_ASSERT_FALSE(utf8_valid((const uint8_t *)"ok\xC3", 3));
	CU_ASSERT_TRUE(utf8_valid((const uint8_t *)"", 0));
}

static void test_encode_round_trips_and_refuses_non_characters(void)
{
	const uint32_t cps[] = {0x24, 0xA2, 0x20AC, 0x10348, 0x10FFFF};
	uint8_t b[4];
	uint32_t back;

	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		size_t n = utf8_encode(cps[i], b);
		CU_ASSERT(n >= 1 && n <= 4);
		CU_ASSERT_EQUAL(utf8_decode(b, n, &back), n);
		CU_ASSERT_EQUAL(back, cps[i]);
	}
	CU_ASSERT_EQUAL(utf8_encode(0xD800, b), 0);
	CU_ASSERT_EQUAL(utf8_encode(0x110000, b), 0);
}

static void test_span_claims_one_broken_character(void)
{
	CU_ASSERT_EQUAL(utf8_span((const uint8_t *)"\xC3\xA9x"), 2);
	CU_ASSERT_EQUAL(utf8_span((const uint8_t *)"\xE2\x82x"), 2); /* cut short */
	CU_ASSERT_EQUAL(utf8_span((const uint8_t *)"\x80x"), 1);     /* stray */
	CU_ASSERT_EQUAL(utf8_span((const uint8_t *)"\xF0\x9F\x98\x80"), 4);
}

static CU_TestInfo tests[] = {
    {"decode takes each length", test_decode_takes_each_length},
    {"decode refuses what RFC 3629 forbids", test_decode_refuses_what_rfc_3629_forbids},
    {"valid walks the whole text", test_valid_walks_the_whole_text},
    {"encode round trips and refuses non-characters",
     test_encode_round_trips_and_refuses_non_characters},
    {"span claims one broken character", test_span_claims_one_broken_character},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("utf8", tests);
}
