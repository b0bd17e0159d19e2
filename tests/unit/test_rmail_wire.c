/*
 * test_rmail_wire.c - the RMail client's requests and its reading of
 * answers, against the shapes transcribed from RPost's material in
 * tests/fixtures/rmail (each fixture names its source).  Links
 * rmail_wire.c and the job body's modules only; no network.
 */
#include <CUnit/Basic.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cunit_main.h"
#include "jobspec.h"
#include "rmail_wire.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))
#define LIT(s)     s, (sizeof(s) - 1) /* a literal and its length */

#ifndef RMAIL_FIXTURES
#define RMAIL_FIXTURES "tests/fixtures/rmail"
#endif

static struct json_object *fixture(const char *name)
{
	char path[512];
	struct json_object *o;

	snprintf(path, sizeof(path), "%s/%s.json", RMAIL_FIXTURES, name);
	o = json_object_from_file(path);
	if (o == NULL)
		fprintf(stderr, "\n  cannot read fixture %s\n", path);
	CU_ASSERT_PTR_NOT_NULL_FATAL(o);
	return o;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* The fixture's response as text, for the readers. */
static char *response_text(struct json_object *fx)
{
	return strdup(
	    json_object_to_json_string_ext(member(fx, "response"), JSON_C_TO_STRING_PLAIN));
}

static int matches(const char *s, const char *ere)
{
	regex_t re;
	int ok;

	if (regcomp(&re, ere, REG_EXTENDED | REG_NOSUB) != 0)
		return 0;
	ok = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	return ok;
}

/*
 * Every member of built is documented in the fixture's request under the
 * same spelling, with the same JSON type (a null in the fixture means "a
 * string or null"), and matches the fixture's pattern when it has one.
 */
static void expect_documented(struct json_object *built, struct json_object *fx)
{
	struct json_object *doc = member(fx, "request"), *patterns = member(fx, "patterns");

	CU_ASSERT_PTR_NOT_NULL_FATAL(doc);
	json_object_object_foreach(built, k, v)
	{
		struct json_object *d, *pat;
		int found = json_object_object_get_ex(doc, k, &d);
		json_type want = d ? json_object_get_type(d) : json_type_null;
		json_type got = v ? json_object_get_type(v) : json_type_null;

		CU_ASSERT_TRUE(found);
		if (!found) {
			fprintf(stderr, "\n  %s is not a member RPost documents\n", k);
			continue;
		}
		if (want == json_type_null) {
			CU_ASSERT_TRUE(got == json_type_null || got == json_type_string);
		} else {
			CU_ASSERT_EQUAL(got, want);
		}
		if (got == json_type_string && json_object_object_get_ex(patterns, k, &pat)) {
			CU_ASSERT_TRUE(
			    matches(json_object_get_string(v), json_object_get_string(pat)));
			if (!matches(json_object_get_string(v), json_object_get_string(pat)))
				fprintf(stderr, "\n  %s = \"%s\" does not match %s\n", k,
				        json_object_get_string(v), json_object_get_string(pat));
		}
	}
}

/* Every Option is one options.json lists, with a value it allows. */
static void expect_known_options(struct json_object *opts)
{
	struct json_object *fx = fixture("options"), *known = member(fx, "options");

	json_object_object_foreach(opts, k, v)
	{
		struct json_object *rule = member(known, k), *values;
		int ok = 0;

		CU_ASSERT_PTR_NOT_NULL(rule);
		CU_ASSERT_TRUE(json_object_is_type(v, json_type_string));
		if (!rule || !json_object_is_type(v, json_type_string)) {
			fprintf(stderr, "\n  option %s is not one RPost's add-on sends\n", k);
			continue;
		}
		values = member(rule, "values");
		if (json_object_is_type(values, json_type_string))
			ok = 1; /* text */
		for (size_t i = 0; !ok && i < json_object_array_length(values); i++)
			ok = strcmp(json_object_get_string(json_object_array_get_idx(values, i)),
			            json_object_get_string(v)) == 0;
		CU_ASSERT_TRUE(ok);
	}
	json_object_put(fx);
}

static void parse_job(const char *json, struct jobspec *js)
{
	struct jobspec_error err;
	enum jobspec_err e = jobspec_parse(json, strlen(json), js, &err);

	CU_ASSERT_EQUAL_FATAL(e, JOBSPEC_OK);
}

/* The body the sender builds for job json, with IsLargeMail large. */
static struct json_object *mail_for(const char *json, bool large, const char *tz)
{
	static const char *const ids[] = {"c142e3c3", "d253f4d4"};
	struct jobspec js;
	struct json_object *opts = json_object_new_object(), *m;
	char *to, *cc, *bcc;

	parse_job(json, &js);
	CU_ASSERT_EQUAL(
	    jobspec_rmail_options(&js, "6f1c2a3b-0000-4000-8000-00000000c0de", "scanpost", opts),
	    0);
	to = jobspec_join_addresses(&js.to);
	cc = jobspec_join_addresses(&js.cc);
	bcc = jobspec_join_addresses(&js.bcc);
	struct rmail_mail mail = {to, cc, bcc, js.subject, js.body, tz, ids, 2, opts, large};
	m = rmail_mail_json(&mail);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	json_object_put(opts);
	free(to);
	free(cc);
	free(bcc);
	jobspec_free(&js);
	return m;
}

static const char full_job[] =
    "{\"to\":[\"alice@example.org\",\"bob@example.net\"],\"cc\":[\"carol@example.com\"],"
    "\"bcc\":[\"dave@example.io\"],\"subject\":\"Signed lease\",\"body\":\"Please sign.\","
    "\"registered\":{\"marked\":true,\"encryption\":\"tls_preferred\",\"esign\":true,"
    "\"sidenote\":\"Page 2\",\"sidenote_cc\":true,\"reference\":\"R-1\"}}";

/* ---- requests ------------------------------------------------------------ */

static void test_mail_body_has_the_documented_members_and_types(void)
{
	struct json_object *fx = fixture("mail_request"), *doc = member(fx, "request");
	struct json_object *m = mail_for(full_job, false, "+01:00");
	size_t n = 0;

	expect_documented(m, fx);
	/* every documented member but From (administrators only) is sent */
	json_object_object_foreach(doc, k, v)
	{
		(void)v;
		if (strcmp(k, "From") != 0) {
			CU_ASSERT_PTR_NOT_NULL(member(m, k));
			n++;
		}
	}
	CU_ASSERT_EQUAL(json_object_object_length(m), n);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(member(m, "To")),
	                       "alice@example.org;bob@example.net");
	CU_ASSERT_EQUAL(json_object_array_length(member(m, "Attachments")), 2);
	expect_known_options(member(m, "Options"));
	json_object_put(m);
	json_object_put(fx);
}

static void test_time_zone_offset_is_plus_hh_mm_never_a_number(void)
{
	static const struct {
		long seconds;
		const char *text;
	} cases[] = {
	    {0, "+00:00"},         {3600, "+01:00"},      {19800, "+05:30"},
	    {20700, "+05:45"},     {-12600, "-03:30"},    {-43200, "-12:00"},
	    {14 * 3600, "+14:00"}, {99 * 3600, "+14:00"}, {-99 * 3600, "-14:00"},
	};
	struct json_object *fx = fixture("mail_request");
	const char *pat = json_object_get_string(member(member(fx, "patterns"), "TimeZoneOffset"));
	char out[RMAIL_TZ_LEN];

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		rmail_tz_offset(cases[i].seconds, out);
		CU_ASSERT_STRING_EQUAL(out, cases[i].text);
		CU_ASSERT_TRUE(matches(out, pat));
	}
	CU_ASSERT_FALSE(matches("0", pat)); /* what scanpost used to send */
	json_object_put(fx);
}

static void test_mail_body_sends_null_time_zone_when_none_is_given(void)
{
	struct json_object *fx = fixture("mail_request");
	struct json_object *m = mail_for(full_job, false, NULL), *tz;

	CU_ASSERT_TRUE(json_object_object_get_ex(m, "TimeZoneOffset", &tz));
	CU_ASSERT_PTR_NULL(tz);
	expect_documented(m, fx);
	json_object_put(m);
	json_object_put(fx);
}

static void test_large_mail_is_is_large_mail_alone(void)
{
	struct json_object *m =
	    mail_for("{\"to\":[\"a@example.org\"],\"registered\":{\"large_mail\":\"force\"}}", true,
	             "+00:00");
	struct json_object *opts = member(m, "Options");

	CU_ASSERT_TRUE(json_object_get_boolean(member(m, "IsLargeMail")));
	json_object_object_foreach(opts, k, v)
	{
		(void)v;
		CU_ASSERT_TRUE(strcasecmp(k, "X-RPost-LargeMail") != 0);
	}
	json_object_put(m);
	m = mail_for("{\"to\":[\"a@example.org\"]}", false, "+00:00");
	CU_ASSERT_FALSE(json_object_get_boolean(member(m, "IsLargeMail")));
	json_object_put(m);
}

static void test_options_follow_the_add_on_mapping(void)
{
	static const struct {
		const char *registered;
		const char *expected;
	} cases[] = {
	    {"{\"marked\":true,\"encryption\":\"off\"}",
	     "{\"X-RPost-Type\":\"1\",\"X-RPost-App\":\"scanpost\",\"X-RPost-CustomerTrackingId\":"
	     "\"J\"}"},
	    {"{\"marked\":false}",
	     "{\"X-RPost-Type\":\"2\",\"X-RPost-App\":\"scanpost\",\"X-RPost-CustomerTrackingId\":"
	     "\"J\"}"},
	    {"{\"encryption\":\"tls_preferred\"}",
	     "{\"X-RPost-Type\":\"1\",\"X-RPost-TLS\":\"1\",\"X-RPost-SecuRmail\":\"1\","
	     "\"X-RPost-SecuRmail-AutoPassword\":\"1\",\"X-RPost-SendPassword\":\"1\","
	     "\"X-RPost-App\":\"scanpost\",\"X-RPost-CustomerTrackingId\":\"J\"}"},
	    {"{\"encryption\":\"always_pdf\",\"esign\":true}",
	     "{\"X-RPost-Type\":\"1\",\"X-RPost-SecuRmail\":\"1\","
	     "\"X-RPost-SecuRmail-AutoPassword\":\"1\",\"X-RPost-SendPassword\":\"1\","
	     "\"X-RPost-Esign\":\"1\",\"X-RPost-App\":\"scanpost\",\"X-RPost-CustomerTrackingId\":"
	     "\"J\"}"},
	    {"{\"encryption\":\"off\",\"sidenote\":\"n\",\"sidenote_cc\":true}",
	     "{\"X-RPost-Type\":\"1\",\"X-RPost-Sidenote-Text\":\"n\",\"X-RPost-Sidenote-Cc\":"
	     "\"1\","
	     "\"X-RPost-Sidenote-Bcc\":\"0\",\"X-RPost-App\":\"scanpost\","
	     "\"X-RPost-CustomerTrackingId\":\"J\"}"},
	    {"{\"encryption\":\"off\",\"sidenote\":\"n\",\"sidenote_bcc\":true}",
	     "{\"X-RPost-Type\":\"1\",\"X-RPost-Sidenote-Text\":\"n\",\"X-RPost-Sidenote-Cc\":"
	     "\"0\","
	     "\"X-RPost-Sidenote-Bcc\":\"1\",\"X-RPost-App\":\"scanpost\","
	     "\"X-RPost-CustomerTrackingId\":\"J\"}"},
	};
	char body[512];

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct json_object *opts = json_object_new_object();
		struct jobspec js;
		const char *got;

		snprintf(body, sizeof(body),
		         "{\"to\":[\"a@example.org\"],\"cc\":[\"c@example.org\"],"
		         "\"bcc\":[\"b@example.org\"],\"registered\":%s}",
		         cases[i].registered);
		parse_job(body, &js);
		CU_ASSERT_EQUAL(jobspec_rmail_options(&js, "J", "scanpost", opts), 0);
		got = json_object_to_json_string_ext(opts, JSON_C_TO_STRING_PLAIN);
		CU_ASSERT_STRING_EQUAL(got, cases[i].expected);
		if (strcmp(got, cases[i].expected) != 0)
			fprintf(stderr, "\n  got      %s\n  expected %s\n", got, cases[i].expected);
		expect_known_options(opts);
		json_object_put(opts);
		jobspec_free(&js);
	}
}

/* No job scanpost accepts produces a combination options.json refuses. */
static void test_accepted_jobs_never_carry_a_refused_combination(void)
{
	static const char *const registered[] = {
	    "{\"marked\":false}",
	    "{\"marked\":false,\"encryption\":\"off\",\"esign\":false}",
	    "{\"esign\":true}",
	    "{\"large_mail\":\"force\"}",
	    "{\"sidenote\":\"n\",\"sidenote_cc\":true,\"sidenote_bcc\":true}",
	    "{\"encryption\":\"always_pdf\"}",
	};
	struct json_object *fx = fixture("options"), *refused = member(fx, "refused_combinations");
	char body[512];

	for (size_t i = 0; i < N_ELEMS(registered); i++) {
		struct json_object *opts = json_object_new_object();
		struct jobspec js;

		snprintf(body, sizeof(body),
		         "{\"to\":[\"a@example.org\"],\"cc\":[\"c@example.org\"],"
		         "\"bcc\":[\"b@example.org\"],\"registered\":%s}",
		         registered[i]);
		parse_job(body, &js);
		CU_ASSERT_EQUAL(jobspec_rmail_options(&js, "J", "scanpost", opts), 0);
		for (size_t r = 0; r < json_object_array_length(refused); r++) {
			struct json_object *rule = json_object_array_get_idx(refused, r);
			bool large = js.choice[JOBSPEC_LARGE_MAIL] == JOBSPEC_LARGE_MAIL_FORCE;
			int all = 1;

			struct json_object *absent = member(rule, "absent");

			if (json_object_get_boolean(member(rule, "is_large_mail")) && !large)
				all = 0;
			/* the jobs here all have Cc and Bcc recipients */
			if (json_object_get_boolean(member(rule, "no_cc")) ||
			    json_object_get_boolean(member(rule, "no_bcc")))
				all = 0;
			for (size_t k = 0; absent && k < json_object_array_length(absent); k++)
				if (member(opts, json_object_get_string(
				                     json_object_array_get_idx(absent, k))))
					all = 0;
			json_object_object_foreach(member(rule, "options"), k, v)
			{
				struct json_object *have = member(opts, k);
				all = all && have &&
				      strcmp(json_object_get_string(have),
				             json_object_get_string(v)) == 0;
			}
			CU_ASSERT_FALSE(all);
			if (all)
				fprintf(stderr, "\n  %s gives the refused \"%s\"\n", registered[i],
				        json_object_get_string(member(rule, "name")));
		}
		json_object_put(opts);
		jobspec_free(&js);
	}
	json_object_put(fx);
}

static void test_status_request_is_the_window_alone(void)
{
	struct json_object *fx = fixture("message_status_request");
	long max = json_object_get_int64(member(fx, "max_window_seconds"));
	struct json_object *w = rmail_status_window_json(1732184132, 1732184132 + max);

	CU_ASSERT_EQUAL(max, RMAIL_STATUS_WINDOW_MAX);
	CU_ASSERT_PTR_NOT_NULL_FATAL(w);
	expect_documented(w, fx);
	CU_ASSERT_PTR_NULL(member(w, "CustomerTrackingId")); /* not a filter */
	CU_ASSERT_STRING_EQUAL(json_object_get_string(member(w, "StartDate")),
	                       "2024-11-21T10:15:32+00:00");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(member(w, "EndDate")),
	                       "2024-11-22T10:15:32+00:00");
	json_object_put(w);
	/* one second over 24 hours, or backwards, is not built */
	CU_ASSERT_PTR_NULL(rmail_status_window_json(1732184132, 1732184132 + max + 1));
	CU_ASSERT_PTR_NULL(rmail_status_window_json(1732184132, 1732184131));
	json_object_put(fx);
}

/* Decodes one application/x-www-form-urlencoded value (test helper). */
static void form_value(const char *form, const char *name, char *out, size_t outlen)
{
	size_t nlen = strlen(name), o = 0;
	const char *p = form;

	out[0] = '\0';
	while (p && *p) {
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			for (p += nlen + 1; *p && *p != '&' && o + 1 < outlen; p++) {
				if (*p == '%' && p[1] && p[2]) {
					char hex[3] = {p[1], p[2], 0};
					out[o++] = (char)strtol(hex, NULL, 16);
					p += 2;
				} else {
					out[o++] = *p == '+' ? ' ' : *p;
				}
			}
			out[o] = '\0';
			return;
		}
		p = strchr(p, '&');
		p = p ? p + 1 : NULL;
	}
}

static void test_token_form_has_the_documented_fields_percent_encoded(void)
{
	struct json_object *fx = fixture("token_request"), *fields = member(fx, "form");
	const char *pw = "p&ss=w+rd %x:y!#\xc3\xa9";
	size_t len;
	char *form = rmail_token_form("Alice@example.org", pw, &len);
	char v[128];

	CU_ASSERT_PTR_NOT_NULL_FATAL(form);
	CU_ASSERT_EQUAL(len, strlen(form) + 1);
	for (size_t i = 0; i < json_object_array_length(fields); i++) {
		char key[40];
		snprintf(key, sizeof(key),
		         "%s=", json_object_get_string(json_object_array_get_idx(fields, i)));
		CU_ASSERT_PTR_NOT_NULL(strstr(form, key));
	}
	form_value(form, "grant_type", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "password");
	form_value(form, "username", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, "Alice@example.org");
	form_value(form, "password", v, sizeof(v));
	CU_ASSERT_STRING_EQUAL(v, pw);
	/* help index: special characters percent-encoded, ! as %21, # as %23 */
	CU_ASSERT_PTR_NOT_NULL(strstr(form, "%21%23"));
	CU_ASSERT_PTR_NULL(strchr(form, '+'));
	CU_ASSERT_PTR_NULL(strchr(form, '!'));
	OPENSSL_cleanse(form, len);
	free(form);
	json_object_put(fx);
}

/* ---- answers ------------------------------------------------------------- */

static void test_mail_success_gives_the_tracking_id(void)
{
	struct json_object *fx = fixture("mail_response");
	char *t = response_text(fx), tid[64];
	struct rmail_result res = {0};

	CU_ASSERT_EQUAL(rmail_answer_mail(t, strlen(t), tid, sizeof(tid), &res), 0);
	CU_ASSERT_EQUAL(res.err, RMAIL_OK);
	CU_ASSERT_STRING_EQUAL(tid, "A02A3FA23782D3CBA1306C38B686EB8480");
	free(t);
	json_object_put(fx);
}

static void test_business_failure_keeps_rmail_reason_in_both_shapes(void)
{
	struct json_object *f200 = fixture("mail_failure"), *f400 = fixture("mail_failure_400");
	struct json_object *fms = fixture("error_400_modelstate");
	char *t200 = response_text(f200), *t400 = response_text(f400), *tms = response_text(fms);
	struct rmail_result res = {0};
	char tid[64];

	/* 200 with Status Failure */
	CU_ASSERT_EQUAL(rmail_answer_mail(t200, strlen(t200), tid, sizeof(tid), &res), -1);
	CU_ASSERT_EQUAL(res.err, RMAIL_REJECTED);
	CU_ASSERT_STRING_EQUAL(res.message, "Recipient domain is blocked");
	/* the same body as HTTP 400 */
	rmail_answer_failure(400, t400, strlen(t400), &res);
	CU_ASSERT_EQUAL(res.err, RMAIL_REJECTED);
	CU_ASSERT_EQUAL(res.http_status, 400);
	CU_ASSERT_STRING_EQUAL(res.message, "TimeZoneOffset must be given as +hh:mm or -hh:mm");
	/* ASP.NET's {Message, ModelState} as HTTP 400 */
	rmail_answer_failure(400, tms, strlen(tms), &res);
	CU_ASSERT_EQUAL(res.err, RMAIL_REJECTED);
	CU_ASSERT_STRING_EQUAL(res.message, "The request is invalid.; Could not convert string to "
	                                    "boolean: maybe.");
	/* no readable body: the status is named */
	rmail_answer_failure(400, LIT("<html>"), &res);
	CU_ASSERT_STRING_EQUAL(res.message, "RMail answered HTTP 400");
	free(t200);
	free(t400);
	free(tms);
	json_object_put(f200);
	json_object_put(f400);
	json_object_put(fms);
}

static void test_failure_statuses_sort_into_kinds(void)
{
	static const struct {
		long status;
		enum rmail_err err;
	} cases[] = {
	    {400, RMAIL_REJECTED},     {403, RMAIL_REJECTED},     {404, RMAIL_REJECTED},
	    {401, RMAIL_UNAUTHORIZED}, {429, RMAIL_RATE_LIMITED}, {408, RMAIL_UNAVAILABLE},
	    {500, RMAIL_UNAVAILABLE},  {503, RMAIL_UNAVAILABLE},  {0, RMAIL_UNAVAILABLE},
	};
	struct json_object *fx = fixture("unauthorized");
	char *t = response_text(fx);
	struct rmail_result res = {0};

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		rmail_answer_failure(cases[i].status, t, strlen(t), &res);
		CU_ASSERT_EQUAL(res.err, cases[i].err);
	}
	CU_ASSERT_TRUE(rmail_err_transient(RMAIL_UNAVAILABLE));
	CU_ASSERT_FALSE(rmail_err_transient(RMAIL_REJECTED));
	free(t);
	json_object_put(fx);
}

static void test_token_answers(void)
{
	struct json_object *ok = fixture("token_response"), *bad = fixture("token_error");
	char *tok_text = response_text(ok), *bad_text = response_text(bad), *token = NULL;
	struct rmail_result res = {0};
	long expires;

	CU_ASSERT_EQUAL(rmail_answer_token(200, tok_text, strlen(tok_text), &token, &expires, &res),
	                0);
	CU_ASSERT_STRING_EQUAL(token, "opaque-bearer-token");
	CU_ASSERT_EQUAL(expires, 1209599);
	free(token);
	CU_ASSERT_EQUAL(rmail_answer_token(400, bad_text, strlen(bad_text), &token, &expires, &res),
	                -1);
	CU_ASSERT_PTR_NULL(token);
	CU_ASSERT_EQUAL(res.err, RMAIL_AUTH_FAILED);
	CU_ASSERT_EQUAL(rmail_answer_token(200, LIT("{\"token\":\"x\"}"), &token, &expires, &res),
	                -1);
	CU_ASSERT_EQUAL(res.err, RMAIL_BAD_RESPONSE);
	free(tok_text);
	free(bad_text);
	json_object_put(ok);
	json_object_put(bad);
}

static void test_upload_answer_is_a_json_string(void)
{
	struct json_object *fx = fixture("upload_response");
	char *t = response_text(fx), id[64];
	struct rmail_result res = {0};

	CU_ASSERT_EQUAL(rmail_answer_upload(t, strlen(t), id, sizeof(id), &res), 0);
	CU_ASSERT_STRING_EQUAL(id, "c142e3c3");
	CU_ASSERT_EQUAL(rmail_answer_upload(LIT("{\"Id\":\"x\"}"), id, sizeof(id), &res), -1);
	CU_ASSERT_EQUAL(res.err, RMAIL_BAD_RESPONSE);
	free(t);
	json_object_put(fx);
}

static void test_status_answer_matches_customer_tracking_id_ourselves(void)
{
	static const char cid[] = "6f1c2a3b-0000-4000-8000-00000000c0de";
	struct json_object *fx = fixture("message_status_response");
	char *t = response_text(fx), tid[64];
	struct json_object *list = member(member(fx, "response"), "ResultContent");
	const char *bare = json_object_to_json_string_ext(list, JSON_C_TO_STRING_PLAIN);
	struct rmail_result res = {0};
	int found;

	CU_ASSERT_EQUAL(rmail_answer_status(t, strlen(t), cid, &found, tid, sizeof(tid), &res), 0);
	CU_ASSERT_TRUE(found);
	CU_ASSERT_STRING_EQUAL(tid, "A02A3FA23782D3CBA1306C38B686EB8480");
	/* case of the id does not matter */
	CU_ASSERT_EQUAL(rmail_answer_status(t, strlen(t), "6F1C2A3B-0000-4000-8000-00000000C0DE",
	                                    &found, tid, sizeof(tid), &res),
	                0);
	CU_ASSERT_TRUE(found);
	/* another job's id: answered, not found */
	CU_ASSERT_EQUAL(
	    rmail_answer_status(t, strlen(t), "another", &found, tid, sizeof(tid), &res), 0);
	CU_ASSERT_FALSE(found);
	/* the bare collection, as the help page describes the answer */
	CU_ASSERT_EQUAL(
	    rmail_answer_status(bare, strlen(bare), cid, &found, tid, sizeof(tid), &res), 0);
	CU_ASSERT_TRUE(found);
	/* an empty window */
	CU_ASSERT_EQUAL(rmail_answer_status(LIT("{\"Status\":\"Success\",\"ResultContent\":null}"),
	                                    cid, &found, tid, sizeof(tid), &res),
	                0);
	CU_ASSERT_FALSE(found);
	/* not an answer to trust */
	CU_ASSERT_EQUAL(
	    rmail_answer_status(LIT("{\"Status\":\"Failure\",\"Message\":[{\"Message\":\"no\"}]}"),
	                        cid, &found, tid, sizeof(tid), &res),
	    -1);
	CU_ASSERT_EQUAL(res.err, RMAIL_REJECTED);
	CU_ASSERT_STRING_EQUAL(res.message, "no");
	CU_ASSERT_EQUAL(rmail_answer_status(LIT("{\"Status\":\"Success\",\"ResultContent\":{}}"),
	                                    cid, &found, tid, sizeof(tid), &res),
	                -1);
	CU_ASSERT_EQUAL(res.err, RMAIL_BAD_RESPONSE);
	CU_ASSERT_EQUAL(rmail_answer_status(LIT("<html>"), cid, &found, tid, sizeof(tid), &res),
	                -1);
	free(t);
	json_object_put(fx);
}

static void test_lookup_never_reads_absence_into_an_unclear_answer(void)
{
	static const struct {
		bool answered, found;
		long now, requeued, settle;
		enum rmail_lookup want;
	} cases[] = {
	    {true, true, 1000, 999, 60, RMAIL_LOOKUP_FOUND},
	    {false, false, 1000, 0, 60, RMAIL_LOOKUP_UNCLEAR},  /* an error */
	    {true, false, 1000, 990, 60, RMAIL_LOOKUP_UNCLEAR}, /* empty, too soon */
	    {true, false, 1000, 940, 60, RMAIL_LOOKUP_ABSENT},  /* empty, settled */
	    {true, false, 1000, 1000, 0, RMAIL_LOOKUP_ABSENT},  /* no settle time */
	};

	for (size_t i = 0; i < N_ELEMS(cases); i++)
		CU_ASSERT_EQUAL(rmail_lookup_decide(cases[i].answered, cases[i].found, cases[i].now,
		                                    cases[i].requeued, cases[i].settle),
		                cases[i].want);
	CU_ASSERT_STRING_EQUAL(rmail_lookup_name(RMAIL_LOOKUP_UNCLEAR), "unclear");
}

/* ---- shapes -------------------------------------------------------------- */

struct tally {
	int calls, bad;
	char first_bad[128];
};

static void count_shape(void *arg, const char *path, const char *expected, const char *found,
                        bool ok)
{
	struct tally *t = arg;

	(void)expected;
	(void)found;
	t->calls++;
	if (!ok && t->bad++ == 0)
		snprintf(t->first_bad, sizeof(t->first_bad), "%s", path);
}

static int shape_of(enum rmail_shape s, const char *json, struct tally *t)
{
	struct json_object *o = rmail_json_parse(json, strlen(json));
	int n;

	memset(t, 0, sizeof(*t));
	n = rmail_shape_check(s, o, count_shape, t);
	json_object_put(o);
	CU_ASSERT_EQUAL(n, t->bad);
	return n;
}

static void test_documented_answers_have_the_expected_shape(void)
{
	static const struct {
		const char *fixture;
		enum rmail_shape shape;
	} cases[] = {
	    {"token_response", RMAIL_SHAPE_TOKEN},
	    {"upload_response", RMAIL_SHAPE_UPLOAD},
	    {"mail_response", RMAIL_SHAPE_MAIL},
	    {"message_status_response", RMAIL_SHAPE_STATUS},
	    {"message_info_response", RMAIL_SHAPE_INFO},
	};
	struct tally t;

	for (size_t i = 0; i < N_ELEMS(cases); i++) {
		struct json_object *fx = fixture(cases[i].fixture);
		char *text = response_text(fx);

		CU_ASSERT_EQUAL(shape_of(cases[i].shape, text, &t), 0);
		CU_ASSERT_TRUE(t.calls > 0);
		if (t.bad)
			fprintf(stderr, "\n  %s: %s\n", cases[i].fixture, t.first_bad);
		free(text);
		json_object_put(fx);
	}
}

static void test_unexpected_shapes_are_named(void)
{
	struct tally t;

	CU_ASSERT_EQUAL(shape_of(RMAIL_SHAPE_TOKEN, "{\"token\":\"x\"}", &t), 1);
	CU_ASSERT_STRING_EQUAL(t.first_bad, "access_token");
	CU_ASSERT_TRUE(shape_of(RMAIL_SHAPE_UPLOAD, "{\"Id\":\"x\"}", &t) > 0);
	CU_ASSERT_TRUE(
	    shape_of(RMAIL_SHAPE_STATUS, "{\"Status\":\"Success\",\"ResultContent\":{}}", &t) > 0);
	CU_ASSERT_STRING_EQUAL(t.first_bad, "ResultContent");
	CU_ASSERT_TRUE(shape_of(RMAIL_SHAPE_MAIL,
	                        "{\"Status\":\"Success\",\"ResultContent\":{\"TrackingId\":7}}",
	                        &t) > 0);
	CU_ASSERT_STRING_EQUAL(t.first_bad, "ResultContent.TrackingId");
	CU_ASSERT_TRUE(shape_of(RMAIL_SHAPE_INFO, "not json", &t) > 0);
	/* an empty window: members of the elements are not checked */
	CU_ASSERT_EQUAL(
	    shape_of(RMAIL_SHAPE_STATUS, "{\"Status\":\"Success\",\"ResultContent\":[]}", &t), 0);
}

static CU_TestInfo tests[] = {
    {"mail body has the documented members and types",
     test_mail_body_has_the_documented_members_and_types},
    {"TimeZoneOffset is +hh:mm, never a number",
     test_time_zone_offset_is_plus_hh_mm_never_a_number},
    {"mail body sends null TimeZoneOffset when none is given",
     test_mail_body_sends_null_time_zone_when_none_is_given},
    {"large mail is IsLargeMail alone", test_large_mail_is_is_large_mail_alone},
    {"Options follow the add-on's mapping", test_options_follow_the_add_on_mapping},
    {"accepted jobs never carry a refused combination",
     test_accepted_jobs_never_carry_a_refused_combination},
    {"MessageStatus request is the window alone", test_status_request_is_the_window_alone},
    {"Token form has the documented fields, percent-encoded",
     test_token_form_has_the_documented_fields_percent_encoded},
    {"Mail success gives the TrackingId", test_mail_success_gives_the_tracking_id},
    {"business failure keeps RMail's reason in both shapes",
     test_business_failure_keeps_rmail_reason_in_both_shapes},
    {"failure statuses sort into kinds", test_failure_statuses_sort_into_kinds},
    {"Token answers", test_token_answers},
    {"Upload answer is a JSON string", test_upload_answer_is_a_json_string},
    {"status answer matches CustomerTrackingId ourselves",
     test_status_answer_matches_customer_tracking_id_ourselves},
    {"lookup never reads absence into an unclear answer",
     test_lookup_never_reads_absence_into_an_unclear_answer},
    {"documented answers have the expected shape", test_documented_answers_have_the_expected_shape},
    {"unexpected shapes are named", test_unexpected_shapes_are_named},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("rmail_wire", tests);
}
