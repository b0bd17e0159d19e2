/*
 * test_multipart.c - the streaming multipart/form-data parser (src/lib/multipart.c).
 */
#include "multipart.h"

#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

#define CT     "multipart/form-data; boundary=XrxB0und-4f2a"
#define BOUND  "XrxB0und-4f2a"
#define DELIM  "\r\n--" BOUND
#define NPARTS 80

/* ---- a collector that rebuilds the parts from the callbacks ---- */

struct part {
	char name[64];
	char filename[128];
	int has_filename;
	char ctype[64];
	int has_ctype;
	uint8_t *data;
	size_t len, cap;
	int ended;
};

struct collect {
	struct part parts[NPARTS];
	size_t n;
	int open;                                        /* between part_begin and part_end */
	int order_bad;                                   /* a callback came out of order */
	int abort_begin_at, abort_data_at, abort_end_at; /* 1-based call numbers, 0 = never */
	int begins, datas, ends;
};

static void copy_str(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int on_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct collect *c = arg;
	struct part *pt;

	c->begins++;
	if (c->open || c->n >= NPARTS || !name || !*name)
		c->order_bad = 1;
	if (c->n >= NPARTS)
		return 1;
	pt = &c->parts[c->n++];
	memset(pt, 0, sizeof(*pt));
	copy_str(pt->name, sizeof(pt->name), name);
	pt->has_filename = filename != NULL;
	if (filename)
		copy_str(pt->filename, sizeof(pt->filename), filename);
	pt->has_ctype = ctype != NULL;
	if (ctype)
		copy_str(pt->ctype, sizeof(pt->ctype), ctype);
	c->open = 1;
	return c->begins == c->abort_begin_at;
}

static int on_data(void *arg, const uint8_t *data, size_t len)
{
	struct collect *c = arg;
	struct part *pt;

	c->datas++;
	if (!c->open || len == 0) {
		c->order_bad = 1;
		return 1;
	}
	pt = &c->parts[c->n - 1];
	if (pt->len + len > pt->cap) {
		size_t cap = (pt->len + len) * 2;
		uint8_t *d = realloc(pt->data, cap);

		if (!d)
			return 1;
		pt->data = d;
		pt->cap = cap;
	}
	memcpy(pt->data + pt->len, data, len);
	pt->len += len;
	return c->datas == c->abort_data_at;
}

static int on_end(void *arg)
{
	struct collect *c = arg;

	c->ends++;
	if (!c->open)
		c->order_bad = 1;
	else
		c->parts[c->n - 1].ended = 1;
	c->open = 0;
	return c->ends == c->abort_end_at;
}

static const struct mp_callbacks collect_cb = {on_begin, on_data, on_end};

static void collect_free(struct collect *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->parts[i].data);
	memset(c, 0, sizeof(*c));
}

/* ---- the sample: a Xerox HTTP filing PutFile (DESIGN 3.3) ---- */

/* File bytes that look like delimiters without being one. */
static const uint8_t file_bytes[] = "%PDF-1.4\r\n"
                                    "\r\n--\r\n"               /* CRLF-- and no boundary */
                                    "\r\n--XrxB0und-4f2\r\n"   /* the boundary less its last char */
                                    "\r\r\n--XrxB0und\x00\xff" /* CR then a prefix, NUL, 0xff */
                                    "--XrxB0und-4f2a mid-line " /* the boundary without CRLF */
                                    "x\r\n-XrxB0und-4f2a\n"     /* one dash only */
                                    "\n--XrxB0und-4f2a\r"       /* LF, not CRLF, before it */
                                    "\x00\x01\x02\r\n\r\n\r"; /* ends in CR, right before CRLF-- */

#define FILE_LEN (sizeof(file_bytes) - 1)

static const char *const field_names[] = {"theOperation", "destDir", "destName"};
static const char *const field_values[] = {"PutFile", "/scan/6b1f0d2e", "Scan 0001.pdf"};

/* Builds the body into buf (cap bytes); returns its length. */
static size_t sample_body(uint8_t *buf, size_t cap)
{
	size_t n = 0, i;
	int w;

	w = snprintf((char *)buf, cap, "preamble, ignored\r\n");
	n += (size_t)w;
	for (i = 0; i < 3; i++) {
		w = snprintf((char *)buf + n, cap - n,
		             "--" BOUND
		             "\r\nContent-Disposition: form-data; name=\"%s\"\r\n\r\n%s\r\n",
		             field_names[i], field_values[i]);
		n += (size_t)w;
	}
	w = snprintf((char *)buf + n, cap - n,
	             "--" BOUND "\r\ncontent-disposition: form-data; name=\"sendfile\"; "
	             "filename=\"Scan 0001.pdf\"\r\nContent-Type: application/pdf\r\n\r\n");
	n += (size_t)w;
	memcpy(buf + n, file_bytes, FILE_LEN);
	n += FILE_LEN;
	w = snprintf((char *)buf + n, cap - n, "\r\n--" BOUND "--\r\nepilogue, ignored\r\n");
	n += (size_t)w;
	CU_ASSERT_FATAL(n < cap);
	return n;
}

static void check_sample(const struct collect *c)
{
	size_t i;

	CU_ASSERT_EQUAL_FATAL(c->n, 4);
	CU_ASSERT_FALSE(c->order_bad);
	CU_ASSERT_FALSE(c->open);
	for (i = 0; i < 3; i++) {
		CU_ASSERT_STRING_EQUAL(c->parts[i].name, field_names[i]);
		CU_ASSERT_FALSE(c->parts[i].has_filename);
		CU_ASSERT_FALSE(c->parts[i].has_ctype);
		CU_ASSERT_EQUAL_FATAL(c->parts[i].len, strlen(field_values[i]));
		CU_ASSERT(memcmp(c->parts[i].data, field_values[i], c->parts[i].len) == 0);
		CU_ASSERT(c->parts[i].ended);
	}
	CU_ASSERT_STRING_EQUAL(c->parts[3].name, "sendfile");
	CU_ASSERT(c->parts[3].has_filename);
	CU_ASSERT_STRING_EQUAL(c->parts[3].filename, "Scan 0001.pdf");
	CU_ASSERT_STRING_EQUAL(c->parts[3].ctype, "application/pdf");
	CU_ASSERT_EQUAL_FATAL(c->parts[3].len, FILE_LEN);
	CU_ASSERT(memcmp(c->parts[3].data, file_bytes, FILE_LEN) == 0);
	CU_ASSERT(c->parts[3].ended);
}

/* Feeds body in the pieces given by cuts (ascending offsets); returns the
 * first error of feed or finish. */
static enum mp_err parse_pieces(const char *ct, const uint8_t *body, size_t len, const size_t *cuts,
                                size_t ncuts, struct collect *c)
{
	struct mp_parser *p;
	enum mp_err e;
	size_t i, at = 0;

	e = mp_parser_new(ct, &collect_cb, c, &p);
	if (e != MP_OK)
		return e;
	for (i = 0; i <= ncuts && e == MP_OK; i++) {
		size_t to = i < ncuts ? cuts[i] : len;

		e = mp_parser_feed(p, body + at, to - at);
		at = to;
	}
	if (e == MP_OK)
		e = mp_parser_finish(p);
	mp_parser_free(p);
	return e;
}

static enum mp_err parse_str(const char *ct, const char *body, struct collect *c)
{
	return parse_pieces(ct, (const uint8_t *)body, strlen(body), NULL, 0, c);
}

/* xorshift64: reproducible pieces without rand() (STYLE). */
static uint64_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* ---- reassembly under every split ---- */

static void test_feed_whole_body_rebuilds_fields_and_file(void)
{
	uint8_t body[2048];
	size_t len = sample_body(body, sizeof(body));
	struct collect c = {0};

	CU_ASSERT_EQUAL(parse_pieces(CT, body, len, NULL, 0, &c), MP_OK);
	check_sample(&c);
	collect_free(&c);
}

static void test_feed_split_at_every_position_rebuilds_body(void)
{
	uint8_t body[2048];
	size_t len = sample_body(body, sizeof(body)), cut;

	for (cut = 0; cut <= len; cut++) {
		struct collect c = {0};

		CU_ASSERT_EQUAL(parse_pieces(CT, body, len, &cut, 1, &c), MP_OK);
		check_sample(&c);
		collect_free(&c);
	}
}

static void test_feed_byte_by_byte_rebuilds_body(void)
{
	uint8_t body[2048];
	size_t len = sample_body(body, sizeof(body)), i;
	size_t *cuts = malloc(len * sizeof(*cuts));
	struct collect c = {0};

	CU_ASSERT_FATAL(cuts != NULL);
	for (i = 0; i < len; i++)
		cuts[i] = i;
	CU_ASSERT_EQUAL(parse_pieces(CT, body, len, cuts, len, &c), MP_OK);
	check_sample(&c);
	collect_free(&c);
	free(cuts);
}

static void test_feed_random_pieces_rebuilds_body(void)
{
	uint8_t body[2048];
	size_t len = sample_body(body, sizeof(body)), cuts[2048];
	uint64_t seed = 0x5ca9905751ULL;
	int round;

	for (round = 0; round < 500; round++) {
		struct collect c = {0};
		size_t n = 0, at = 0;

		for (;;) {
			at += 1 + next_rand(&seed) % 40;
			if (at >= len)
				break;
			cuts[n++] = at;
		}
		CU_ASSERT_EQUAL(parse_pieces(CT, body, len, cuts, n, &c), MP_OK);
		check_sample(&c);
		collect_free(&c);
	}
}

/* ---- the request Content-Type ---- */

static const char simple_body[] = "--" BOUND "\r\n"
                                  "Content-Disposition: form-data; name=theOperation\r\n\r\n"
                                  "PutFile\r\n--" BOUND "--";

static void test_quoted_and_unquoted_boundary_parse_alike(void)
{
	static const char *const cts[] = {
	    "multipart/form-data; boundary=" BOUND, "multipart/form-data; boundary=\"" BOUND "\"",
	    "Multipart/Form-Data;charset=utf-8;  BOUNDARY=\"" BOUND "\" ",
	    "multipart/form-data; boundary=\"XrxB0und\\-4f2a\"", /* quoted-pair */
	};
	size_t i;

	for (i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
		struct collect c = {0};

		CU_ASSERT_EQUAL(parse_str(cts[i], simple_body, &c), MP_OK);
		CU_ASSERT_EQUAL_FATAL(c.n, 1);
		CU_ASSERT_STRING_EQUAL(c.parts[0].name, "theOperation");
		CU_ASSERT_EQUAL(c.parts[0].len, 7);
		collect_free(&c);
	}
}

static void test_new_rejects_bad_content_types(void)
{
	static const char *const cts[] = {
	    "multipart/form-data",
	    "multipart/form-data; charset=utf-8",
	    "multipart/form-data; boundary=",
	    "multipart/form-data; boundary=\"\"",
	    "multipart/form-data; boundary=\"abc",
	    "multipart/form-data; boundary=\"abc \"", /* ends in a space */
	    "multipart/form-data; boundary=ab\"c\"",
	    "multipart/form-data; boundary=\"a\rb\"",
	    "multipart/form-data; boundary=\"a*b\"", /* '*' is no bchar */
	    "multipart/form-data; boundary=a; boundary=b",
	    "multipart/form-data boundary=abc",
	    "multipart/form-datax; boundary=abc",
	    "multipart/mixed; boundary=abc",
	    "application/x-www-form-urlencoded",
	    "application/json; boundary=abc",
	    "",
	};
	size_t i;

	for (i = 0; i < sizeof(cts) / sizeof(cts[0]); i++) {
		struct mp_parser *p = (struct mp_parser *)1;

		CU_ASSERT_EQUAL(mp_parser_new(cts[i], &collect_cb, NULL, &p), MP_ERR_NO_BOUNDARY);
		CU_ASSERT_PTR_NULL(p);
	}
	CU_ASSERT_EQUAL(mp_parser_new(NULL, &collect_cb, NULL, &(struct mp_parser *){0}),
	                MP_ERR_NO_BOUNDARY);
}

static void test_boundary_of_70_chars_is_taken_and_71_refused(void)
{
	char ct[160], body[400], b[72];
	struct mp_parser *p;
	struct collect c = {0};

	memset(b, 'a', 71);
	b[71] = '\0';
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%s", b);
	CU_ASSERT_EQUAL(mp_parser_new(ct, &collect_cb, NULL, &p), MP_ERR_NO_BOUNDARY);
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%s\"", b);
	CU_ASSERT_EQUAL(mp_parser_new(ct, &collect_cb, NULL, &p), MP_ERR_NO_BOUNDARY);

	b[70] = '\0';
	b[10] = ' '; /* spaces are bchars inside a quoted boundary */
	snprintf(ct, sizeof(ct), "multipart/form-data; boundary=\"%s\"", b);
	snprintf(body, sizeof(body),
	         "--%s\r\nContent-Disposition: form-data; name=\"f\"\r\n\r\nv\r\n--%s--", b, b);
	CU_ASSERT_EQUAL(parse_str(ct, body, &c), MP_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	collect_free(&c);
}

/* ---- hostile and odd bodies ---- */

struct bad_body {
	const char *what;
	const char *body;
	enum mp_err want;
};

#define CD "Content-Disposition: form-data; name=\"f\"\r\n"

static const struct bad_body bad_bodies[] = {
    {"empty body", "", MP_ERR_TRUNCATED},
    {"preamble only", "hello\r\n", MP_ERR_TRUNCATED},
    {"no close delimiter", "--" BOUND "\r\n" CD "\r\nvalue", MP_ERR_TRUNCATED},
    {"close delimiter without CRLF", "--" BOUND "\r\n" CD "\r\nvalue--" BOUND "--",
     MP_ERR_TRUNCATED},
    {"ends inside headers", "--" BOUND "\r\n" CD, MP_ERR_TRUNCATED},
    {"ends inside delimiter line", "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND, MP_ERR_TRUNCATED},
    {"no Content-Disposition", "--" BOUND "\r\nContent-Type: text/plain\r\n\r\nv\r\n--" BOUND "--",
     MP_ERR_MALFORMED},
    {"no headers", "--" BOUND "\r\n\r\nv\r\n--" BOUND "--", MP_ERR_MALFORMED},
    {"disposition without name",
     "--" BOUND "\r\nContent-Disposition: form-data; filename=a\r\n\r\n", MP_ERR_MALFORMED},
    {"empty name", "--" BOUND "\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n",
     MP_ERR_MALFORMED},
    {"disposition not form-data", "--" BOUND "\r\nContent-Disposition: attachment; name=a\r\n\r\n",
     MP_ERR_MALFORMED},
    {"two dispositions", "--" BOUND "\r\n" CD CD "\r\n", MP_ERR_MALFORMED},
    {"name twice", "--" BOUND "\r\nContent-Disposition: form-data; name=a; name=b\r\n\r\n",
     MP_ERR_MALFORMED},
    {"unterminated quoted name", "--" BOUND "\r\nContent-Disposition: form-data; name=\"a\r\n\r\n",
     MP_ERR_MALFORMED},
    {"space around =", "--" BOUND "\r\nContent-Disposition: form-data; name = a\r\n\r\n",
     MP_ERR_MALFORMED},
    {"header line without colon", "--" BOUND "\r\n" CD "X-Junk\r\n\r\n", MP_ERR_MALFORMED},
    {"header with empty name", "--" BOUND "\r\n" CD ": v\r\n\r\n", MP_ERR_MALFORMED},
    {"space before colon", "--" BOUND "\r\nContent-Disposition : form-data; name=a\r\n\r\n",
     MP_ERR_MALFORMED},
    {"folded header", "--" BOUND "\r\nContent-Disposition: form-data;\r\n name=a\r\n\r\n",
     MP_ERR_MALFORMED},
    {"control byte in header", "--" BOUND "\r\nX-A: a\001b\r\n" CD "\r\n", MP_ERR_MALFORMED},
    {"bare LF everywhere", "--" BOUND "\n" CD "\nv\n--" BOUND "--\n", MP_ERR_MALFORMED},
    {"bare LF in headers",
     "--" BOUND "\r\nContent-Disposition: form-data; name=a\n\r\nv\r\n--" BOUND "--",
     MP_ERR_MALFORMED},
    {"CR without LF in headers", "--" BOUND "\r\n" CD "\rX\r\n", MP_ERR_MALFORMED},
    {"delimiter followed by text", "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND "x\r\n",
     MP_ERR_MALFORMED},
    {"first delimiter followed by text", "--" BOUND "x\r\n", MP_ERR_MALFORMED},
    {"single dash after delimiter", "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND "-x",
     MP_ERR_MALFORMED},
    {"CR without LF after delimiter", "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND " \rx",
     MP_ERR_MALFORMED},
    {"nested multipart/mixed",
     "--" BOUND "\r\n" CD "Content-Type: multipart/mixed; boundary=inner\r\n\r\n"
     "--inner\r\nContent-Disposition: file; filename=a.txt\r\n\r\na\r\n--inner--\r\n"
     "--" BOUND "--",
     MP_ERR_NESTED},
    {"nested any multipart", "--" BOUND "\r\n" CD "Content-Type: MULTIPART/alternative\r\n\r\n",
     MP_ERR_NESTED},
    {"empty part Content-Type", "--" BOUND "\r\n" CD "Content-Type:\r\n\r\n", MP_ERR_MALFORMED},
};

static void test_hostile_bodies_get_their_error(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_bodies) / sizeof(bad_bodies[0]); i++) {
		struct collect c = {0};
		enum mp_err e = parse_str(CT, bad_bodies[i].body, &c);

		if (e != bad_bodies[i].want)
			fprintf(stderr, "\n  %s: got %s\n", bad_bodies[i].what, mp_strerror(e));
		CU_ASSERT_EQUAL(e, bad_bodies[i].want);
		CU_ASSERT_FALSE(c.order_bad);
		collect_free(&c);
	}
}

static void test_boundary_text_without_crlf_dashes_stays_data(void)
{
	static const char data[] = BOUND "--" BOUND " --" BOUND "\r\n-" BOUND "\r--" BOUND
	                                 "\n--" BOUND "\r\n--XrxB0und-4f2\r\n--";
	char body[512];
	struct collect c = {0};

	snprintf(body, sizeof(body), "--" BOUND "\r\n" CD "\r\n%s\r\n--" BOUND "--", data);
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_OK);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_EQUAL_FATAL(c.parts[0].len, strlen(data));
	CU_ASSERT(memcmp(c.parts[0].data, data, strlen(data)) == 0);
	collect_free(&c);
}

static void test_preamble_epilogue_padding_and_empty_parts(void)
{
	static const char body[] = "ignored --" BOUND "x: not at a line start\r\n"
	                           "\r\n--" BOUND " \t \r\n" /* transport padding */
	    CD "X-Other: ignored\r\n\r\n"
	                           "\r\n--" BOUND "\r\n" /* empty content */
	    CD "\r\n--" BOUND "\r\n"                     /* headers, then the delimiter */
	                           "Content-Disposition: form-data; name=\"q\\\"x\\\\y\"; "
	                           "filename=\"C:\\\\dir\\\\..\\\\a.pdf\"; filename*=utf-8''b\r\n"
	                           "Content-Type:  text/plain; charset=utf-8 \r\n\r\n"
	                           "z\r\n--" BOUND "--  \r\n--" BOUND "x epilogue";
	struct collect c = {0};

	/* "--<boundary>x" in the middle of a preamble line is preamble text. */
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_OK);
	CU_ASSERT_EQUAL_FATAL(c.n, 3);
	CU_ASSERT_EQUAL(c.parts[0].len, 0);
	CU_ASSERT_EQUAL(c.parts[1].len, 0);
	CU_ASSERT(c.parts[0].ended && c.parts[1].ended && c.parts[2].ended);
	CU_ASSERT_STRING_EQUAL(c.parts[2].name, "q\"x\\y");
	CU_ASSERT_STRING_EQUAL(c.parts[2].filename, "C:\\dir\\..\\a.pdf");
	CU_ASSERT_STRING_EQUAL(c.parts[2].ctype, "text/plain; charset=utf-8");
	CU_ASSERT_EQUAL_FATAL(c.parts[2].len, 1);
	CU_ASSERT_EQUAL(c.parts[2].data[0], 'z');
	collect_free(&c);
}

static void test_header_names_and_form_data_are_case_insensitive(void)
{
	static const char body[] =
	    "--" BOUND "\r\nCONTENT-disposition: Form-Data; NAME=a; "
	    "FileName=\"\"\r\ncontent-TYPE: image/tiff\r\n\r\nv\r\n--" BOUND "--";
	struct collect c = {0};

	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_OK);
	CU_ASSERT_EQUAL_FATAL(c.n, 1);
	CU_ASSERT_STRING_EQUAL(c.parts[0].name, "a");
	CU_ASSERT(c.parts[0].has_filename);
	CU_ASSERT_STRING_EQUAL(c.parts[0].filename, "");
	CU_ASSERT_STRING_EQUAL(c.parts[0].ctype, "image/tiff");
	collect_free(&c);
}

static void test_headers_over_the_limit_are_refused(void)
{
	size_t cap = MP_HEADER_MAX + 256, n;
	char *body = malloc(cap);
	struct collect c = {0};

	CU_ASSERT_FATAL(body != NULL);
	/* One header line that alone passes MP_HEADER_MAX. */
	n = (size_t)snprintf(body, cap, "--" BOUND "\r\n" CD "X-Big: ");
	memset(body + n, 'a', MP_HEADER_MAX);
	memcpy(body + n + MP_HEADER_MAX, "\r\n\r\n", 5);
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_ERR_HEADER_TOO_LARGE);
	collect_free(&c);

	/* Exactly MP_HEADER_MAX bytes of headers, blank line included, pass. */
	n = (size_t)snprintf(body, cap, "--" BOUND "\r\n" CD "X-Big: ");
	{
		size_t hdr = strlen(CD) + strlen("X-Big: ") + 4;

		memset(body + n, 'a', MP_HEADER_MAX - hdr);
		snprintf(body + n + MP_HEADER_MAX - hdr, cap - n - MP_HEADER_MAX + hdr,
		         "\r\n\r\nv\r\n--" BOUND "--");
	}
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_OK);
	CU_ASSERT_EQUAL(c.n, 1);
	collect_free(&c);
	free(body);
}

static void test_too_many_header_lines_are_refused(void)
{
	char body[1024];
	size_t n, i;
	struct collect c = {0};

	n = (size_t)snprintf(body, sizeof(body), "--" BOUND "\r\n" CD);
	for (i = 1; i < MP_HEADER_LINES_MAX; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "X-%zu: v\r\n", i);
	snprintf(body + n, sizeof(body) - n, "\r\nv\r\n--" BOUND "--");
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_OK); /* exactly the limit */
	collect_free(&c);

	snprintf(body + n, sizeof(body) - n, "X-17: v\r\n\r\nv\r\n--" BOUND "--");
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_ERR_HEADER_TOO_LARGE);
	collect_free(&c);
}

static void test_parts_over_the_limit_are_refused(void)
{
	char *body = malloc(16384);
	size_t n = 0, i;
	struct collect c = {0};

	CU_ASSERT_FATAL(body != NULL);
	for (i = 0; i < MP_PARTS_MAX; i++)
		n += (size_t)snprintf(body + n, 16384 - n, "--" BOUND "\r\n" CD "\r\nv\r\n");
	snprintf(body + n, 16384 - n, "--" BOUND "--");
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_OK);
	CU_ASSERT_EQUAL(c.n, MP_PARTS_MAX);
	collect_free(&c);

	snprintf(body + n, 16384 - n, "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND "--");
	CU_ASSERT_EQUAL(parse_str(CT, body, &c), MP_ERR_TOO_MANY_PARTS);
	CU_ASSERT_EQUAL(c.n, MP_PARTS_MAX);
	collect_free(&c);
	free(body);
}

static void test_callback_abort_stops_the_parser(void)
{
	uint8_t body[2048];
	size_t len = sample_body(body, sizeof(body));
	int which;

	for (which = 0; which < 3; which++) {
		struct collect c = {0};
		struct mp_parser *p;

		if (which == 0)
			c.abort_begin_at = 2;
		else if (which == 1)
			c.abort_data_at = 1;
		else
			c.abort_end_at = 1;
		CU_ASSERT_EQUAL_FATAL(mp_parser_new(CT, &collect_cb, &c, &p), MP_OK);
		CU_ASSERT_EQUAL(mp_parser_feed(p, body, len), MP_ERR_ABORTED);
		CU_ASSERT(c.n <= 2);
		/* Sticky: nothing more is parsed nor called back. */
		c.begins = c.datas = c.ends = -1000;
		CU_ASSERT_EQUAL(mp_parser_feed(p, body, len), MP_ERR_ABORTED);
		CU_ASSERT_EQUAL(mp_parser_finish(p), MP_ERR_ABORTED);
		CU_ASSERT_EQUAL(c.begins + c.datas + c.ends, -3000);
		mp_parser_free(p);
		collect_free(&c);
	}
}

static void test_errors_are_sticky_and_finish_is_idempotent(void)
{
	struct collect c = {0};
	struct mp_parser *p;
	static const char good[] = "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND "--";

	CU_ASSERT_EQUAL_FATAL(mp_parser_new(CT, &collect_cb, &c, &p), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_feed(p, (const uint8_t *)"--" BOUND "\n", 16), MP_ERR_MALFORMED);
	CU_ASSERT_EQUAL(mp_parser_feed(p, (const uint8_t *)good, strlen(good)), MP_ERR_MALFORMED);
	CU_ASSERT_EQUAL(mp_parser_finish(p), MP_ERR_MALFORMED);
	CU_ASSERT_EQUAL(c.n, 0);
	mp_parser_free(p);

	CU_ASSERT_EQUAL_FATAL(mp_parser_new(CT, &collect_cb, &c, &p), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_finish(p), MP_ERR_TRUNCATED);
	CU_ASSERT_EQUAL(mp_parser_feed(p, (const uint8_t *)good, strlen(good)), MP_ERR_TRUNCATED);
	mp_parser_free(p);

	CU_ASSERT_EQUAL_FATAL(mp_parser_new(CT, &collect_cb, &c, &p), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_feed(p, (const uint8_t *)good, strlen(good)), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_feed(p, NULL, 0), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_finish(p), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_finish(p), MP_OK);
	CU_ASSERT_EQUAL(mp_parser_parts(p), 1);
	mp_parser_free(p);
	collect_free(&c);
	mp_parser_free(NULL);
}

/* ---- bounded memory on a 50 MiB file ---- */

#define BIG_LEN   (50u * 1024 * 1024)
#define BLOCK_LEN 65521u /* prime: the block and the 64 KiB feeds keep drifting apart */
#define FEED_LEN  65536u

struct stream_check {
	const uint8_t *block;
	uint64_t got; /* content bytes delivered */
	int mismatch; /* a byte differed from the expected */
	int in_file;  /* inside part "sendfile" */
	size_t max_call;
};

static int big_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct stream_check *s = arg;

	(void)filename;
	(void)ctype;
	s->in_file = strcmp(name, "sendfile") == 0;
	return 0;
}

static int big_data(void *arg, const uint8_t *data, size_t len)
{
	struct stream_check *s = arg;

	if (!s->in_file)
		return 0;
	if (len > s->max_call)
		s->max_call = len;
	/* Compare with the block, which the content repeats. */
	while (len > 0) {
		size_t off = (size_t)(s->got % BLOCK_LEN), n = BLOCK_LEN - off;

		if (n > len)
			n = len;
		if (memcmp(data, s->block + off, n) != 0)
			s->mismatch = 1;
		data += n;
		len -= n;
		s->got += n;
	}
	return 0;
}

/* Body bytes [at, at+len) of head + BIG_LEN content + tail. */
static void big_fill(uint8_t *out, uint64_t at, size_t len, const char *head, const char *tail,
                     const uint8_t *block)
{
	uint64_t hl = strlen(head);

	while (len > 0) {
		if (at < hl) {
			*out = (uint8_t)head[at];
		} else if (at < hl + BIG_LEN) {
			*out = block[(at - hl) % BLOCK_LEN];
		} else {
			*out = (uint8_t)tail[at - hl - BIG_LEN];
		}
		out++;
		at++;
		len--;
	}
}

static void test_50mib_part_streams_with_bounded_buffering(void)
{
	static const char head[] = "--" BOUND "\r\n" CD "\r\nv\r\n--" BOUND "\r\n"
	                           "Content-Disposition: form-data; name=\"sendfile\"; "
	                           "filename=\"big.pdf\"\r\n\r\n";
	static const char tail[] = "\r\n--" BOUND "--\r\n";
	const struct mp_callbacks cb = {big_begin, big_data, NULL};
	uint8_t *block = malloc(BLOCK_LEN), *feed = malloc(FEED_LEN);
	struct stream_check s = {0};
	struct mp_parser *p;
	uint64_t total = strlen(head) + (uint64_t)BIG_LEN + strlen(tail), at = 0, seed = 42;
	size_t i, max_buffered = 0;
	enum mp_err e = MP_OK;
#ifdef __GLIBC__
	size_t heap_before;
#endif

	CU_ASSERT_FATAL(block != NULL && feed != NULL);
	/* Random bytes salted with delimiter look-alikes every few hundred bytes. */
	for (i = 0; i < BLOCK_LEN; i++)
		block[i] = (uint8_t)next_rand(&seed);
	for (i = 0; i + 32 < BLOCK_LEN; i += 200 + next_rand(&seed) % 300) {
		size_t n = 4 + next_rand(&seed) % (sizeof(DELIM) - 1 - 4);

		memcpy(block + i, DELIM, n);
		block[i + n] = '~'; /* never the next delimiter byte: no full match */
	}
	s.block = block;

	CU_ASSERT_EQUAL_FATAL(mp_parser_new(CT, &cb, &s, &p), MP_OK);
#ifdef __GLIBC__
	heap_before = mallinfo2().uordblks;
#endif
	while (at < total && e == MP_OK) {
		size_t n = total - at < FEED_LEN ? (size_t)(total - at) : FEED_LEN;

		big_fill(feed, at, n, head, tail, block);
		e = mp_parser_feed(p, feed, n);
		at += n;
		if (mp_parser_buffered(p) > max_buffered)
			max_buffered = mp_parser_buffered(p);
	}
#ifdef __GLIBC__
	/* The parser allocates nothing while it runs (mallinfo2 reads 0 under
	 * sanitizers, which keeps this check true there). */
	CU_ASSERT_EQUAL(mallinfo2().uordblks, heap_before);
#endif
	CU_ASSERT_EQUAL(e, MP_OK);
	CU_ASSERT_EQUAL(mp_parser_finish(p), MP_OK);
	CU_ASSERT_EQUAL(s.got, BIG_LEN);
	CU_ASSERT_FALSE(s.mismatch);
	CU_ASSERT(max_buffered <= 4 + strlen(BOUND));
	CU_ASSERT(s.max_call <= FEED_LEN);
	mp_parser_free(p);
	free(block);
	free(feed);
}

static void test_strerror_names_every_error(void)
{
	int e;

	for (e = 0; e < MP_ERR__MAX; e++) {
		CU_ASSERT_PTR_NOT_NULL(mp_strerror((enum mp_err)e));
		CU_ASSERT(strcmp(mp_strerror((enum mp_err)e), "unknown multipart error") != 0);
	}
	CU_ASSERT_STRING_EQUAL(mp_strerror(MP_ERR__MAX), "unknown multipart error");
}

int main(void)
{
	static const struct {
		const char *name;
		CU_TestFunc fn;
	} tests[] = {
	    {"feed_whole_body_rebuilds_fields_and_file",
	     test_feed_whole_body_rebuilds_fields_and_file},
	    {"feed_split_at_every_position_rebuilds_body",
	     test_feed_split_at_every_position_rebuilds_body},
	    {"feed_byte_by_byte_rebuilds_body", test_feed_byte_by_byte_rebuilds_body},
	    {"feed_random_pieces_rebuilds_body", test_feed_random_pieces_rebuilds_body},
	    {"quoted_and_unquoted_boundary_parse_alike",
	     test_quoted_and_unquoted_boundary_parse_alike},
	    {"new_rejects_bad_content_types", test_new_rejects_bad_content_types},
	    {"boundary_of_70_chars_is_taken_and_71_refused",
	     test_boundary_of_70_chars_is_taken_and_71_refused},
	    {"hostile_bodies_get_their_error", test_hostile_bodies_get_their_error},
	    {"boundary_text_without_crlf_dashes_stays_data",
	     test_boundary_text_without_crlf_dashes_stays_data},
	    {"preamble_epilogue_padding_and_empty_parts",
	     test_preamble_epilogue_padding_and_empty_parts},
	    {"header_names_and_form_data_are_case_insensitive",
	     test_header_names_and_form_data_are_case_insensitive},
	    {"headers_over_the_limit_are_refused", test_headers_over_the_limit_are_refused},
	    {"too_many_header_lines_are_refused", test_too_many_header_lines_are_refused},
	    {"parts_over_the_limit_are_refused", test_parts_over_the_limit_are_refused},
	    {"callback_abort_stops_the_parser", test_callback_abort_stops_the_parser},
	    {"errors_are_sticky_and_finish_is_idempotent",
	     test_errors_are_sticky_and_finish_is_idempotent},
	    {"50mib_part_streams_with_bounded_buffering",
	     test_50mib_part_streams_with_bounded_buffering},
	    {"strerror_names_every_error", test_strerror_names_every_error},
	};
	CU_pSuite suite;
	size_t i;
	int failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	suite = CU_add_suite("multipart", NULL, NULL);
	if (!suite) {
		CU_cleanup_registry();
		return 1;
	}
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		if (!CU_add_test(suite, tests[i].name, tests[i].fn)) {
			CU_cleanup_registry();
			return 1;
		}
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	if (CU_basic_run_tests() != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 1;
	}
	failures = (int)CU_get_number_of_failures();
	CU_cleanup_registry();
	return failures > 0;
}
