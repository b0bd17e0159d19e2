/*
 * test_preview_wire.c - the contract between scanpost-api and
 * scanpost-preview (src/lib/preview_wire.h): what the writer puts out the
 * parser takes back field for field, and every way an answer can be short,
 * malformed, over a bound or followed by more bytes is refused.  Links
 * src/lib/preview_wire.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "preview_wire.h"

/* On the heap (2 MiB): valgrind refuses stack frames that large. */
struct buf {
	uint8_t b[PREVIEW_OUT_MAX + 64];
	size_t len;
};

static int put(void *arg, const void *bytes, size_t len)
{
	struct buf *o = arg;

	if (len > sizeof(o->b) - o->len)
		return -1;
	memcpy(o->b + o->len, bytes, len);
	o->len += len;
	return 0;
}

static const uint8_t png8[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 'x', 'y'};

static struct buf *answer(uint32_t pages, size_t npage, uint32_t status)
{
	struct buf *o = calloc(1, sizeof(*o));

	CU_ASSERT_EQUAL_FATAL(preview_wire_magic(put, o), 0);
	CU_ASSERT_EQUAL_FATAL(preview_wire_pages(put, o, pages), 0);
	for (size_t i = 0; i < npage; i++) {
		struct preview_page p = {(uint32_t)i, 21000, 29700, 181, 256, png8, sizeof(png8)};
		CU_ASSERT_EQUAL_FATAL(preview_wire_page(put, o, &p), 0);
	}
	CU_ASSERT_EQUAL_FATAL(preview_wire_end(put, o, status), 0);
	return o;
}

static void test_what_is_written_parses_back(void)
{
	struct buf *o = answer(12, 3, PREVIEW_OK);
	struct preview_result r;

	CU_ASSERT_EQUAL_FATAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_OK);
	CU_ASSERT_EQUAL(r.pages, 12);
	CU_ASSERT_EQUAL(r.status, PREVIEW_OK);
	CU_ASSERT_EQUAL_FATAL(r.npage, 3);
	CU_ASSERT_EQUAL(r.page[2].index, 2);
	CU_ASSERT_EQUAL(r.page[1].width_hmm, 21000);
	CU_ASSERT_EQUAL(r.page[1].height_hmm, 29700);
	CU_ASSERT_EQUAL(r.page[0].px_w, 181);
	CU_ASSERT_EQUAL(r.page[0].px_h, 256);
	CU_ASSERT_EQUAL(r.page[0].png_len, sizeof(png8));
	CU_ASSERT(memcmp(r.page[0].png, png8, sizeof(png8)) == 0);
	/* The PNG is a view into the answer, not a copy. */
	CU_ASSERT(r.page[0].png > o->b && r.page[0].png < o->b + o->len);
	free(o);
}

static void test_a_failure_needs_no_page_count(void)
{
	struct buf *o = calloc(1, sizeof(*o));
	struct preview_result r;

	preview_wire_magic(put, o);
	preview_wire_end(put, o, PREVIEW_UNREADABLE);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_OK);
	CU_ASSERT_EQUAL(r.status, PREVIEW_UNREADABLE);
	CU_ASSERT_STRING_EQUAL(preview_status_name(r.status), "unreadable");
	CU_ASSERT_STRING_EQUAL(preview_status_name(99), "unknown");
	free(o);
}

static void test_every_cut_is_short(void)
{
	struct buf *o = answer(2, 2, PREVIEW_OK);
	struct preview_result r;

	for (size_t n = 0; n < o->len; n++)
		CU_ASSERT_EQUAL(preview_wire_parse(o->b, n, &r), PREVIEW_PARSE_SHORT);
	free(o);
}

static void test_bytes_after_the_end_are_refused(void)
{
	struct buf *o = answer(1, 1, PREVIEW_OK);
	struct preview_result r;

	o->b[o->len++] = 0;
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_TRAILING);
	free(o);
}

static void test_wrong_magic_and_unknown_records_are_malformed(void)
{
	struct buf *o = answer(1, 1, PREVIEW_OK);
	struct preview_result r;

	o->b[0] = 'X';
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	o->b[0] = 'S';
	o->b[PREVIEW_MAGIC_LEN] = 'Q'; /* the 'N' record's type */
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	free(o);
}

static void test_a_page_out_of_bounds_is_malformed(void)
{
	struct {
		uint32_t index, px_w, px_h;
		uint32_t pages;
	} bad[] = {
	    {1, 10, 10, 1},                    /* index at the page count */
	    {0, 0, 10, 1},                     /* no width */
	    {0, PREVIEW_THUMB_MAX + 1, 10, 1}, /* over the box */
	    {0, 10, PREVIEW_THUMB_MAX + 1, 1},
	};
	struct preview_result r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct buf *o = calloc(1, sizeof(*o));
		struct preview_page p = {bad[i].index, 1,    1,           bad[i].px_w,
		                         bad[i].px_h,  png8, sizeof(png8)};
		preview_wire_magic(put, o);
		preview_wire_pages(put, o, bad[i].pages);
		preview_wire_page(put, o, &p);
		preview_wire_end(put, o, PREVIEW_OK);
		CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
		free(o);
	}
}

static void test_pages_must_rise_and_be_pngs(void)
{
	struct buf *o = calloc(1, sizeof(*o));
	struct preview_page p = {1, 1, 1, 5, 5, png8, sizeof(png8)};
	static const uint8_t gif[] = "GIF89a....";
	struct preview_result r;

	preview_wire_magic(put, o);
	preview_wire_pages(put, o, 3);
	preview_wire_page(put, o, &p);
	preview_wire_page(put, o, &p); /* the same index again */
	preview_wire_end(put, o, PREVIEW_OK);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);

	o->len = 0;
	p.png = gif;
	p.png_len = sizeof(gif);
	preview_wire_magic(put, o);
	preview_wire_pages(put, o, 3);
	preview_wire_page(put, o, &p);
	preview_wire_end(put, o, PREVIEW_OK);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	free(o);
}

static void test_more_pages_than_the_bound_are_malformed(void)
{
	struct buf *o = answer(PREVIEW_MAX_PAGES + 1, PREVIEW_MAX_PAGES + 1, PREVIEW_OK);
	struct preview_result r;

	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	free(o);
	o = answer(PREVIEW_PAGES_MAX + 1, 0, PREVIEW_OK);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	free(o);
}

static void test_a_record_longer_than_the_answer_is_short_not_read(void)
{
	struct buf *o = calloc(1, sizeof(*o));
	uint8_t rec[5] = {'P', 0xff, 0xff, 0xff, 0xf0};
	struct preview_result r;

	preview_wire_magic(put, o);
	preview_wire_pages(put, o, 1);
	put(o, rec, sizeof(rec));
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_SHORT);
	free(o);
}

static void test_an_ok_answer_needs_pages_and_a_known_status(void)
{
	struct buf *o = calloc(1, sizeof(*o));
	struct preview_result r;

	preview_wire_magic(put, o);
	preview_wire_end(put, o, PREVIEW_OK);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	o->len = 0;
	preview_wire_magic(put, o);
	preview_wire_pages(put, o, 0);
	preview_wire_end(put, o, PREVIEW_OK);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	o->len = 0;
	preview_wire_magic(put, o);
	preview_wire_end(put, o, PREVIEW_STATUS__MAX);
	CU_ASSERT_EQUAL(preview_wire_parse(o->b, o->len, &r), PREVIEW_PARSE_MALFORMED);
	free(o);
}

static CU_TestInfo tests[] = {
    {"what is written parses back", test_what_is_written_parses_back},
    {"a failure needs no page count", test_a_failure_needs_no_page_count},
    {"every cut is short", test_every_cut_is_short},
    {"bytes after the end are refused", test_bytes_after_the_end_are_refused},
    {"wrong magic and unknown records are malformed",
     test_wrong_magic_and_unknown_records_are_malformed},
    {"a page out of bounds is malformed", test_a_page_out_of_bounds_is_malformed},
    {"pages must rise and be PNGs", test_pages_must_rise_and_be_pngs},
    {"more pages than the bound are malformed", test_more_pages_than_the_bound_are_malformed},
    {"a record longer than the answer is short, not read",
     test_a_record_longer_than_the_answer_is_short_not_read},
    {"an ok answer needs pages and a known status",
     test_an_ok_answer_needs_pages_and_a_known_status},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("preview_wire", tests);
}
