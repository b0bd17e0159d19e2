/* test_policy.c - the policy file's table, its checks against jobspec, the
 * rules on a job body, and the store that re-reads a changed file. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cunit_main.h"
#include "log.h"
#include "policy.h"

static struct policy *parse(const char *text, char *err, size_t errlen)
{
	return policy_parse_string(text, "policy.conf", err, errlen);
}

/* Parses body, applies p with self, and leaves the body in *out. */
static enum policy_verdict apply(const struct policy *p, const char *body, const char *self,
                                 struct policy_violation *v, struct json_object **out)
{
	struct json_object *req = json_tokener_parse(body);
	enum policy_verdict r;

	CU_ASSERT_PTR_NOT_NULL_FATAL(req);
	r = policy_apply(p, req, self, v);
	if (out)
		*out = req;
	else
		json_object_put(req);
	return r;
}

static const char *at(struct json_object *o, const char *obj, const char *key)
{
	struct json_object *a, *b;

	if (!json_object_object_get_ex(o, obj, &a) || !json_object_object_get_ex(a, key, &b))
		return NULL;
	return json_object_get_string(b);
}

static void test_good_file_sets_every_rule(void)
{
	char err[512] = "";
	struct policy *p = parse("# a clinic\n"
	                         "lock.registered.encryption = always_pdf\n"
	                         "lock.scan.resolution = RES_200X200\n"
	                         "default.registered.esign = true\n"
	                         "hide = registered.reference, scan.language\n"
	                         "allowed_domains = Example.org, example.net\n"
	                         "outside_domains = ask\n"
	                         "max_recipients = 5\n"
	                         "bcc_allowed = false\n"
	                         "copy_to_me = forced\n",
	                         err, sizeof(err));
	struct json_object *o;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	o = policy_to_json(p);
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(
	        json_object_object_get(json_object_object_get(o, "locked"), "registered"),
	        "encryption")),
	    "always_pdf");
	CU_ASSERT_STRING_EQUAL(
	    json_object_get_string(json_object_object_get(
	        json_object_object_get(json_object_object_get(o, "locked"), "scan"), "resolution")),
	    "RES_200X200");
	CU_ASSERT_TRUE(json_object_get_boolean(json_object_object_get(
	    json_object_object_get(json_object_object_get(o, "defaults"), "registered"), "esign")));
	CU_ASSERT_EQUAL(json_object_array_length(json_object_object_get(
	                    json_object_object_get(o, "hidden"), "registered")),
	                1);
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_array_get_idx(
	                           json_object_object_get(o, "allowed_domains"), 0)),
	                       "example.org");
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(o, "outside_domains")),
	                       "ask");
	CU_ASSERT_EQUAL(json_object_get_int(json_object_object_get(o, "max_recipients")), 5);
	CU_ASSERT_FALSE(json_object_get_boolean(json_object_object_get(o, "bcc_allowed")));
	CU_ASSERT_STRING_EQUAL(json_object_get_string(json_object_object_get(o, "copy_to_me")),
	                       "forced");
	json_object_put(o);
	policy_release(p);
}

/* Each bad line is named by file, line and key, with jobspec's own words
 * for a value it does not take. */
static void test_bad_lines_name_the_line_and_key(void)
{
	static const struct {
		const char *text, *want;
	} cases[] = {
	    {"\nlock.scan.resolution = RES_999\n", "policy.conf:2: lock.scan.resolution: "
	                                           "scan.resolution must be one of RES_150X150"},
	    {"lock.registered.marked = yes\n", "policy.conf:1: lock.registered.marked: \"yes\" is "
	                                       "not true or false"},
	    {"lock.scan.colour = AUTO\n", "policy.conf:1: lock.scan.colour: scan.colour is not a "
	                                  "field"},
	    {"lock.to = a@b.example\n", "policy.conf:1: lock.to: to is not a field"},
	    {"# c\n\nmax_recipients = 51\n", "policy.conf:3: max_recipients: \"51\" is not a whole "
	                                     "number from 1 to 50"},
	    {"outside_domains = maybe\n",
	     "policy.conf:1: outside_domains: \"maybe\" is not refuse"},
	    {"copy_to_me = always\n", "policy.conf:1: copy_to_me: \"always\" is not off, allowed"},
	    {"allowed_domains = example.org, bad_domain\n", "policy.conf:1: allowed_domains: "
	                                                    "\"bad_domain\" is not a domain"},
	    {"hide = scan.nothing\n", "policy.conf:1: hide: scan.nothing is not a field"},
	    {"bcc = no\n", "policy.conf:1: bcc: is not a policy key"},
	    {"lock.scan.file_name = a\x01b\n", "policy.conf:1: lock.scan.file_name: "
	                                       "scan.file_name holds a control character"},
	    {"lock.registered.marked = false\nlock.registered.encryption = always_pdf\n",
	     "policy.conf: the locks and defaults do not combine: registered.encryption"},
	    {"lock.scan.format = PDF\ndefault.scan.format = PDF\n",
	     "policy.conf: scan.format is both locked and given a default"},
	    {"[section]\nbcc_allowed = true\n", "policy.conf:2: section: sections are not used"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char err[512] = "";
		struct policy *p = parse(cases[i].text, err, sizeof(err));

		CU_ASSERT_PTR_NULL(p);
		policy_release(p);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0)
			fprintf(stderr, "\ncase %zu: got \"%s\"\n", i, err);
		CU_ASSERT_EQUAL(strncmp(err, cases[i].want, strlen(cases[i].want)), 0);
	}
}

static void test_lock_refuses_another_value_and_fills_a_missing_one(void)
{
	char err[512];
	struct policy *p = parse("lock.registered.encryption = always_pdf\n", err, sizeof(err));
	struct policy_violation v;
	struct json_object *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(apply(p,
	                      "{\"to\":[\"a@x.example\"],\"registered\":{\"encryption\":\"off\"}}",
	                      "me@x.example", &v, NULL),
	                POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "lock.registered.encryption");
	CU_ASSERT_EQUAL(v.nfields, 1);
	CU_ASSERT_STRING_EQUAL(v.fields[0], "registered.encryption");
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@x.example\"]}", "me@x.example", &v, &out),
	                POLICY_OK);
	CU_ASSERT_STRING_EQUAL(at(out, "registered", "encryption"), "always_pdf");
	json_object_put(out);
	CU_ASSERT_EQUAL(
	    apply(p, "{\"to\":[\"a@x.example\"],\"registered\":{\"encryption\":\"always_pdf\"}}",
	          "me@x.example", &v, NULL),
	    POLICY_OK);
	policy_release(p);
}

/* A locked true/false is named as such, and a field both hidden and
 * locked keeps its lock (sent as itself, or left out). */
static void test_boolean_lock_and_hidden_lock(void)
{
	char err[512];
	struct policy *p =
	    parse("lock.registered.marked = true\nhide = registered.marked\n", err, sizeof(err));
	struct policy_violation v;
	struct json_object *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@x.example\"],\"registered\":{\"marked\":false}}",
	                      NULL, &v, NULL),
	                POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "lock.registered.marked");
	CU_ASSERT_PTR_NOT_NULL(strstr(v.message, "set by your administrator to true"));
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@x.example\"]}", NULL, &v, &out), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(at(out, "registered", "marked"), "true");
	json_object_put(out);
	policy_release(p);
}

static void test_default_fills_only_what_is_missing(void)
{
	char err[512];
	struct policy *p = parse("default.scan.resolution = RES_600X600\n", err, sizeof(err));
	struct policy_violation v;
	struct json_object *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@x.example\"]}", NULL, &v, &out), POLICY_OK);
	CU_ASSERT_STRING_EQUAL(at(out, "scan", "resolution"), "RES_600X600");
	json_object_put(out);
	CU_ASSERT_EQUAL(
	    apply(p, "{\"to\":[\"a@x.example\"],\"scan\":{\"resolution\":\"RES_150X150\"}}", NULL,
	          &v, &out),
	    POLICY_OK);
	CU_ASSERT_STRING_EQUAL(at(out, "scan", "resolution"), "RES_150X150");
	json_object_put(out);
	policy_release(p);
}

static void test_hidden_field_keeps_its_value(void)
{
	char err[512];
	struct policy *p = parse("hide = scan.format\n", err, sizeof(err));
	struct policy_violation v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@x.example\"],\"scan\":{\"format\":\"TIFF_V6\"}}",
	                      NULL, &v, NULL),
	                POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "hide");
	CU_ASSERT_STRING_EQUAL(v.fields[0], "scan.format");
	CU_ASSERT_EQUAL(
	    apply(p, "{\"to\":[\"a@x.example\"],\"scan\":{\"format\":\"PDF\"}}", NULL, &v, NULL),
	    POLICY_OK);
	policy_release(p);
}

static void test_recipient_rules_name_the_addresses(void)
{
	char err[512];
	struct policy *p = parse("bcc_allowed = false\nmax_recipients = 2\n"
	                         "allowed_domains = inside.example\n",
	                         err, sizeof(err));
	struct policy_violation v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@inside.example\"],\"bcc\":[\"b@inside.example\"]}",
	                      NULL, &v, NULL),
	                POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "bcc_allowed");
	CU_ASSERT_STRING_EQUAL(v.fields[0], "bcc[0]");
	CU_ASSERT_EQUAL(apply(p,
	                      "{\"to\":[\"a@inside.example\",\"b@inside.example\"],"
	                      "\"cc\":[\"c@inside.example\"]}",
	                      NULL, &v, NULL),
	                POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "max_recipients");
	CU_ASSERT_STRING_EQUAL(v.fields[0], "cc[0]");
	CU_ASSERT_EQUAL(apply(p, "{\"to\":[\"a@INSIDE.example\"],\"cc\":[\"c@outside.example\"]}",
	                      NULL, &v, NULL),
	                POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "allowed_domains");
	CU_ASSERT_EQUAL(v.nfields, 1);
	CU_ASSERT_STRING_EQUAL(v.fields[0], "cc[0]");
	policy_release(p);
}

static void test_ask_mode_needs_the_confirmation(void)
{
	char err[512];
	struct policy *p =
	    parse("allowed_domains = inside.example\noutside_domains = ask\n", err, sizeof(err));
	struct policy_violation v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(
	    apply(p, "{\"to\":[\"a@outside.example\",\"b@inside.example\"]}", NULL, &v, NULL),
	    POLICY_CONFIRM);
	CU_ASSERT_STRING_EQUAL(v.rule, "allowed_domains");
	CU_ASSERT_STRING_EQUAL(v.fields[0], "to[0]");
	CU_ASSERT_EQUAL(apply(p,
	                      "{\"to\":[\"a@outside.example\"],"
	                      "\"confirm_outside_domains\":true}",
	                      NULL, &v, NULL),
	                POLICY_OK);
	CU_ASSERT_EQUAL(apply(p,
	                      "{\"to\":[\"a@outside.example\"],"
	                      "\"confirm_outside_domains\":false}",
	                      NULL, &v, NULL),
	                POLICY_CONFIRM);
	policy_release(p);
}

static size_t bcc_count(struct json_object *o, const char *addr)
{
	struct json_object *b;
	size_t n = 0;

	if (!json_object_object_get_ex(o, "bcc", &b))
		return 0;
	for (size_t i = 0; i < json_object_array_length(b); i++)
		n += strcmp(json_object_get_string(json_object_array_get_idx(b, i)), addr) == 0;
	return n;
}

static void test_copy_to_me_adds_the_session_user_only(void)
{
	char err[512];
	struct policy *none = policy_none(), *off = parse("copy_to_me = off\n", err, sizeof(err));
	struct policy *forced =
	    parse("copy_to_me = forced\nbcc_allowed = false\n", err, sizeof(err));
	struct policy_violation v;
	struct json_object *out;

	CU_ASSERT_PTR_NOT_NULL_FATAL(off);
	CU_ASSERT_PTR_NOT_NULL_FATAL(forced);
	/* allowed (no policy): only when asked, and the session's address */
	CU_ASSERT_EQUAL(apply(none, "{\"to\":[\"a@x.example\"]}", "me@x.example", &v, &out),
	                POLICY_OK);
	CU_ASSERT_EQUAL(bcc_count(out, "me@x.example"), 0);
	json_object_put(out);
	CU_ASSERT_EQUAL(
	    apply(none, "{\"to\":[\"a@x.example\"],\"copy_to_me\":true}", "me@x.example", &v, &out),
	    POLICY_OK);
	CU_ASSERT_EQUAL(bcc_count(out, "me@x.example"), 1);
	json_object_put(out);
	/* already a recipient: not twice */
	CU_ASSERT_EQUAL(apply(none, "{\"to\":[\"ME@x.example\"],\"copy_to_me\":true}",
	                      "me@x.example", &v, &out),
	                POLICY_OK);
	CU_ASSERT_EQUAL(bcc_count(out, "me@x.example"), 0);
	json_object_put(out);
	/* off: asking is refused */
	CU_ASSERT_EQUAL(
	    apply(off, "{\"to\":[\"a@x.example\"],\"copy_to_me\":true}", "me@x.example", &v, NULL),
	    POLICY_VIOLATION);
	CU_ASSERT_STRING_EQUAL(v.rule, "copy_to_me");
	/* forced: added without asking, even with Bcc not allowed; false refused */
	CU_ASSERT_EQUAL(apply(forced, "{\"to\":[\"a@x.example\"]}", "me@x.example", &v, &out),
	                POLICY_OK);
	CU_ASSERT_EQUAL(bcc_count(out, "me@x.example"), 1);
	json_object_put(out);
	CU_ASSERT_EQUAL(apply(forced, "{\"to\":[\"a@x.example\"],\"copy_to_me\":false}",
	                      "me@x.example", &v, NULL),
	                POLICY_VIOLATION);
	/* a user name that is no address cannot be copied to */
	CU_ASSERT_EQUAL(apply(forced, "{\"to\":[\"a@x.example\"]}", "not-an-address", &v, NULL),
	                POLICY_VIOLATION);
	policy_release(none);
	policy_release(off);
	policy_release(forced);
}

static void write_policy(const char *path, const char *text)
{
	char tmp[300];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.new", path);
	f = fopen(tmp, "w");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fputs(text, f);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(rename(tmp, path), 0);
}

static long max_of(const struct policy *p)
{
	struct json_object *o = policy_to_json(p);
	long n = json_object_get_int(json_object_object_get(o, "max_recipients"));

	json_object_put(o);
	return n;
}

/* A changed file takes effect within the check interval; a broken one
 * keeps the last good policy; a missing one is no policy. */
static void test_store_follows_the_file_and_keeps_the_last_good(void)
{
	struct policy_store s = POLICY_STORE_INIT;
	char dir[] = "/tmp/sp_policy_XXXXXX", path[300], err[512];
	const struct policy *p, *held;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/policy.conf", dir);

	p = policy_store_get(&s, path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p); /* missing file: no policy */
	CU_ASSERT_EQUAL(max_of(p), 50);
	policy_release(p);

	write_policy(path, "max_recipients = 3\n");
	sleep(POLICY_CHECK_INTERVAL);
	held = policy_store_get(&s, path, err, sizeof(err));
	CU_ASSERT_EQUAL(max_of(held), 3);

	write_policy(path, "max_recipients = 300\n");
	sleep(POLICY_CHECK_INTERVAL);
	p = policy_store_get(&s, path, err, sizeof(err));
	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(max_of(p), 3); /* broken: the last good stays */
	CU_ASSERT_PTR_NOT_NULL(strstr(s.error, "max_recipients"));
	policy_release(p);

	write_policy(path, "max_recipients = 4\n");
	sleep(POLICY_CHECK_INTERVAL);
	p = policy_store_get(&s, path, err, sizeof(err));
	CU_ASSERT_EQUAL(max_of(p), 4);
	CU_ASSERT_EQUAL(max_of(held), 3); /* a reader's snapshot stays whole */
	policy_release(p);
	policy_release(held);

	unlink(path);
	sleep(POLICY_CHECK_INTERVAL);
	p = policy_store_get(&s, path, err, sizeof(err));
	CU_ASSERT_EQUAL(max_of(p), 50);
	policy_release(p);

	/* a file broken from the start: no policy to work with */
	policy_store_free(&s);
	write_policy(path, "nonsense\n");
	struct policy_store s2 = POLICY_STORE_INIT;
	CU_ASSERT_PTR_NULL(policy_store_get(&s2, path, err, sizeof(err)));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "policy.conf:1"));
	policy_store_free(&s2);
	unlink(path);
	rmdir(dir);
}

static CU_TestInfo tests[] = {
    {"good file sets every rule", test_good_file_sets_every_rule},
    {"bad lines name the line and key", test_bad_lines_name_the_line_and_key},
    {"lock refuses another value, fills a missing one",
     test_lock_refuses_another_value_and_fills_a_missing_one},
    {"boolean lock, hidden and locked", test_boolean_lock_and_hidden_lock},
    {"default fills only what is missing", test_default_fills_only_what_is_missing},
    {"hidden field keeps its value", test_hidden_field_keeps_its_value},
    {"recipient rules name the addresses", test_recipient_rules_name_the_addresses},
    {"ask mode needs the confirmation", test_ask_mode_needs_the_confirmation},
    {"copy to me adds the session user only", test_copy_to_me_adds_the_session_user_only},
    {"store follows the file, keeps the last good",
     test_store_follows_the_file_and_keeps_the_last_good},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	log_init("test_policy", "error");
	return run_suite("policy", tests);
}
