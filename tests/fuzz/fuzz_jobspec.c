/*
 * fuzz_jobspec.c - arbitrary bytes as the body of POST /api/v1/jobs.
 *
 * Any input must be refused cleanly or parse into a job whose template keeps
 * the grammar (template_check) with the same number of lines as the default
 * template, whose stored JSON reads back to the same job, whose Options map,
 * and whose joined recipient lists split back into exactly the addresses.
 * A broken invariant is an abort().
 *
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/fuzz/fuzz_jobspec.c \
 *       src/lib/jobspec.c src/lib/template.c src/lib/utf8.c $(pkg-config --cflags --libs json-c)
 */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jobspec.h"
#include "template.h"

#define HOST "scanpost.example.org:8443"
#define PATH "/scan/0b7e6c1a-9f51-4c0e-a1d5-3f2b8e0c4d11/Tk_9-x"

static size_t count_lines(const char *t)
{
	size_t n = 0;

	for (; *t; t++)
		n += *t == '\n';
	return n;
}

static size_t template_lines(const struct jobspec *js)
{
	char *t = NULL;
	size_t n;

	if (template_build(js, HOST, PATH, &t) != TEMPLATE_OK || template_check(t) != 0)
		abort();
	n = count_lines(t);
	free(t);
	return n;
}

/* Lines of the default template, computed once. */
static size_t default_lines(void)
{
	static const char body[] = "{\"to\":[\"a@example.org\"]}";
	static size_t n;
	struct jobspec js;

	if (n == 0) {
		if (jobspec_parse(body, sizeof(body) - 1, &js, NULL) != JOBSPEC_OK)
			abort();
		n = template_lines(&js);
		jobspec_free(&js);
	}
	return n;
}

static void check_round_trip(const struct jobspec *js)
{
	struct json_object *o = jobspec_to_json(js), *o2;
	struct jobspec back;

	if (!o || jobspec_from_json(o, &back, NULL) != JOBSPEC_OK)
		abort();
	o2 = jobspec_to_json(&back);
	if (!o2 || strcmp(json_object_to_json_string(o), json_object_to_json_string(o2)) != 0)
		abort();
	json_object_put(o);
	json_object_put(o2);
	jobspec_free(&back);
}

static void check_join(const struct jobspec_addrs *list)
{
	char *s = jobspec_join_addresses(list), *p;
	size_t i, len;

	if (!s)
		abort();
	for (i = 0, p = s; i < list->n; i++) {
		len = strlen(list->addr[i]);
		if (strncmp(p, list->addr[i], len) != 0 || p[len] != (i + 1 < list->n ? ';' : '\0'))
			abort();
		p += len + (i + 1 < list->n);
	}
	if (*p != '\0')
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jobspec js;
	struct jobspec_error err;
	struct json_object *opts;
	const char *field;
	enum jobspec_err e;

	e = jobspec_parse((const char *)data, size, &js, &err);
	if (e != JOBSPEC_OK) {
		/* refused: a field name and message that end inside their buffers */
		if (memchr(err.field, '\0', sizeof(err.field)) == NULL ||
		    memchr(err.message, '\0', sizeof(err.message)) == NULL)
			abort();
		jobspec_free(&js);
		return 0;
	}
	if (js.to.n == 0 || js.to.n + js.cc.n + js.bcc.n > JOBSPEC_MAX_RECIPIENTS)
		abort();
	if (template_lines(&js) != default_lines())
		abort();
	check_round_trip(&js);
	check_join(&js.to);
	check_join(&js.cc);
	check_join(&js.bcc);
	/* an accepted job never combines what RMail's add-on refuses */
	opts = json_object_new_object();
	if (jobspec_rmail_options(&js, "job-id", "scanpost", opts) != 0 ||
	    jobspec_registered_refusal(&js, &field) != NULL)
		abort();
	json_object_put(opts);
	jobspec_free(&js);
	return 0;
}
