/*
 * policy.c - the administrator's policy: one table of keys, the checks of
 * a job request against it, and the store that re-reads the file when it
 * changes (see policy.h).
 *
 * The values of locked and default fields are never checked against lists
 * of our own: each is placed into a job body and parsed by jobspec (the one
 * owner of the settings' values and how they combine).  The kind of a field
 * (true/false or a string) is read from the normalized default job that
 * jobspec_to_json makes.
 */
#include "policy.h"

#include <errno.h>
#include <ini.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "log.h"
#include "mailbox.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* A policy file is a few dozen lines; anything larger is not one. */
#define POLICY_FILE_MAX    65536
#define POLICY_DOMAINS_MAX 200

/* The address a value is checked with: any valid mailbox does. */
static const char check_address[] = "policy-check@example.com";

/* The job objects whose fields a policy may lock, default or hide. */
static const char *const setting_objects[] = {"registered", "scan"};

static const char *const outside_names[] = {
    [POLICY_OUTSIDE_REFUSE] = "refuse",
    [POLICY_OUTSIDE_ASK] = "ask",
};
static const char *const copy_names[] = {
    [POLICY_COPY_OFF] = "off",
    [POLICY_COPY_ALLOWED] = "allowed",
    [POLICY_COPY_FORCED] = "forced",
};

struct policy {
	atomic_int refs;
	/* {"registered": {...}, "scan": {...}}; hidden holds arrays of names */
	struct json_object *locked, *defaults, *hidden;
	struct json_object *base; /* the normalized default job (jobspec_to_json) */
	char **domains;           /* lower case */
	size_t ndomains;
	enum policy_outside outside;
	long max_recipients;
	bool bcc_allowed;
	enum policy_copy copy_to_me;
};

/* ---- the key table ------------------------------------------------------ */

enum pkey_kind { PK_LOCK, PK_DEFAULT, PK_HIDE, PK_DOMAINS, PK_OUTSIDE, PK_MAX, PK_BCC, PK_COPY };

struct pkey {
	const char *name;
	bool prefix; /* name is a prefix: lock.<field>, default.<field> */
	enum pkey_kind kind;
	const char *doc;
};

static const struct pkey pkeys[] = {
    {"lock.", true, PK_LOCK, "lock.<field> = value: the field always takes value"},
    {"default.", true, PK_DEFAULT, "default.<field> = value: the value when a job leaves it out"},
    {"hide", false, PK_HIDE, "hide = <field>, ...: fields the weblet does not show"},
    {"allowed_domains", false, PK_DOMAINS, "allowed_domains = domain, ...: recipients' domains"},
    {"outside_domains", false, PK_OUTSIDE, "outside_domains = refuse | ask"},
    {"max_recipients", false, PK_MAX, "max_recipients = 1..50: to, cc and bcc together"},
    {"bcc_allowed", false, PK_BCC, "bcc_allowed = true | false"},
    {"copy_to_me", false, PK_COPY, "copy_to_me = off | allowed | forced"},
};

static const struct pkey *pkey_find(const char *name)
{
	for (size_t i = 0; i < N_ELEMS(pkeys); i++) {
		size_t n = strlen(pkeys[i].name);
		if (pkeys[i].prefix ? strncmp(name, pkeys[i].name, n) == 0 && name[n] != '\0'
		                    : strcmp(name, pkeys[i].name) == 0)
			return &pkeys[i];
	}
	return NULL;
}

/* ---- making and freeing ------------------------------------------------- */

static struct json_object *settings_object(void)
{
	struct json_object *o = json_object_new_object();

	for (size_t i = 0; o && i < N_ELEMS(setting_objects); i++)
		json_object_object_add(o, setting_objects[i], json_object_new_object());
	return o;
}

/* The normalized job every field's kind and default value is read from. */
static struct json_object *default_job(void)
{
	struct json_object *req = json_object_new_object(), *to = json_object_new_array(), *out;
	struct jobspec js;

	json_object_array_add(to, json_object_new_string(check_address));
	json_object_object_add(req, "to", to);
	if (jobspec_from_json(req, &js, NULL) != JOBSPEC_OK) {
		json_object_put(req);
		return NULL;
	}
	out = jobspec_to_json(&js);
	jobspec_free(&js);
	json_object_put(req);
	return out;
}

static struct policy *policy_new(void)
{
	struct policy *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	atomic_init(&p->refs, 1);
	p->locked = settings_object();
	p->defaults = settings_object();
	p->hidden = json_object_new_object();
	p->base = default_job();
	p->outside = POLICY_OUTSIDE_REFUSE;
	p->max_recipients = JOBSPEC_MAX_RECIPIENTS;
	p->bcc_allowed = true;
	p->copy_to_me = POLICY_COPY_ALLOWED;
	for (size_t i = 0; p->hidden && i < N_ELEMS(setting_objects); i++)
		json_object_object_add(p->hidden, setting_objects[i], json_object_new_array());
	if (!p->locked || !p->defaults || !p->hidden || !p->base) {
		policy_release(p);
		return NULL;
	}
	return p;
}

struct policy *policy_none(void)
{
	return policy_new();
}

const struct policy *policy_ref(const struct policy *p)
{
	if (p)
		atomic_fetch_add(&((struct policy *)p)->refs, 1);
	return p;
}

void policy_release(const struct policy *cp)
{
	struct policy *p = (struct policy *)cp;

	if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
		return;
	json_object_put(p->locked);
	json_object_put(p->defaults);
	json_object_put(p->hidden);
	json_object_put(p->base);
	for (size_t i = 0; i < p->ndomains; i++)
		free(p->domains[i]);
	free(p->domains);
	free(p);
}

/* ---- parsing ------------------------------------------------------------ */

struct pctx {
	struct policy *p;
	const char *name; /* the file, for messages */
	int line;         /* counted by the reader: the line inih just read */
	char *err;
	size_t errlen;
	bool failed;
	/* the stream inih reads: a file or a string */
	FILE *f;
	const char *text;
};

static char *read_line(char *str, int num, void *stream)
{
	struct pctx *c = stream;
	char *s;

	if (c->f) {
		s = fgets(str, num, c->f);
	} else {
		size_t n = strcspn(c->text, "\n");

		if (*c->text == '\0')
			return NULL;
		if (c->text[n] == '\n')
			n++;
		if (n > (size_t)num - 1)
			n = (size_t)num - 1;
		memcpy(str, c->text, n);
		str[n] = '\0';
		c->text += n;
		s = str;
	}
	if (s)
		c->line++;
	return s;
}

/* Every caller passes a literal fmt. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static int failf(struct pctx *c, const char *key, const char *fmt, const char *a, const char *b)
{
	char what[300];

	snprintf(what, sizeof(what), fmt, a, b);
	snprintf(c->err, c->errlen, "%s:%d: %.64s: %s", c->name, c->line, key, what);
	c->failed = true;
	return 0;
}
#pragma GCC diagnostic pop

/* "scan.resolution" -> the object's name and the field's, when the default
 * job has such a field under registered or scan; else NULL. */
static struct json_object *field_lookup(const struct policy *p, const char *path, char *obj,
                                        size_t objlen, const char **field)
{
	const char *dot = strchr(path, '.');
	struct json_object *o, *v;
	size_t i;

	if (!dot || (size_t)(dot - path) >= objlen || strchr(dot + 1, '.'))
		return NULL;
	memcpy(obj, path, (size_t)(dot - path));
	obj[dot - path] = '\0';
	for (i = 0; i < N_ELEMS(setting_objects); i++)
		if (strcmp(obj, setting_objects[i]) == 0)
			break;
	if (i == N_ELEMS(setting_objects))
		return NULL;
	if (!json_object_object_get_ex(p->base, obj, &o) ||
	    !json_object_object_get_ex(o, dot + 1, &v))
		return NULL;
	*field = dot + 1;
	return v;
}

static struct json_object *sub(struct json_object *o, const char *name)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, name, &v);
	return v;
}

/* A new job body {"to": [check_address]} with each settings object of
 * parts merged in (parts: {"registered": {...}, ...}; may be NULL). */
static struct json_object *check_body(struct json_object *first, struct json_object *second)
{
	struct json_object *req = json_object_new_object(), *to = json_object_new_array();
	struct json_object *layers[] = {second, first}; /* first wins: added last */

	json_object_array_add(to, json_object_new_string(check_address));
	json_object_object_add(req, "to", to);
	for (size_t i = 0; i < N_ELEMS(setting_objects); i++) {
		struct json_object *o = json_object_new_object();

		for (size_t l = 0; l < N_ELEMS(layers); l++) {
			struct json_object *src =
			    layers[l] ? sub(layers[l], setting_objects[i]) : NULL;

			if (!src)
				continue;
			json_object_object_foreach(src, k, v)
			    json_object_object_add(o, k, json_object_get(v));
		}
		json_object_object_add(req, setting_objects[i], o);
	}
	return req;
}

/* Checks value (text) of the field at path and stores it in into. */
static int set_field_value(struct pctx *c, const char *key, const char *path, const char *value,
                           struct json_object *into)
{
	char obj[32];
	const char *field;
	struct json_object *kind = field_lookup(c->p, path, obj, sizeof(obj), &field), *v, *one,
	                   *req;
	struct jobspec js;
	struct jobspec_error jerr;

	if (!kind)
		return failf(c, key, "%s is not a field of the job's registered or scan settings%s",
		             path, "");
	if (json_object_is_type(kind, json_type_boolean)) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return failf(c, key, "\"%.40s\" is not true or false%s", value, "");
		v = json_object_new_boolean(strcmp(value, "true") == 0);
	} else {
		v = json_object_new_string(value);
	}
	/* jobspec says whether the value is one it takes, as a job would. */
	one = json_object_new_object();
	json_object_object_add(one, obj, json_object_new_object());
	json_object_object_add(sub(one, obj), field, json_object_get(v));
	req = check_body(one, NULL);
	json_object_put(one);
	if (jobspec_from_json(req, &js, &jerr) != JOBSPEC_OK) {
		json_object_put(req);
		json_object_put(v);
		return failf(c, key, "%s %s", path, jerr.message);
	}
	jobspec_free(&js);
	json_object_put(req);
	json_object_object_add(sub(into, obj), field, v);
	return 1;
}

/* Splits a comma-separated list; fn is called with each trimmed item. */
static int each_item(struct pctx *c, const char *key, const char *value,
                     int (*fn)(struct pctx *, const char *, const char *))
{
	char buf[256];
	const char *s = value;
	int any = 0;

	while (*s) {
		size_t n = strcspn(s, ",");
		const char *a = s, *b = s + n;

		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (b > a) {
			if ((size_t)(b - a) >= sizeof(buf))
				return failf(c, key, "an item is longer than %s characters%s",
				             "255", "");
			memcpy(buf, a, (size_t)(b - a));
			buf[b - a] = '\0';
			if (!fn(c, key, buf))
				return 0;
			any = 1;
		}
		s += n;
		if (*s == ',')
			s++;
	}
	if (!any)
		return failf(c, key, "lists nothing%s%s", "", "");
	return 1;
}

static int add_hidden(struct pctx *c, const char *key, const char *path)
{
	char obj[32];
	const char *field;
	struct json_object *list;

	if (!field_lookup(c->p, path, obj, sizeof(obj), &field))
		return failf(c, key, "%s is not a field of the job's registered or scan settings%s",
		             path, "");
	list = sub(c->p->hidden, obj);
	for (size_t i = 0; i < json_object_array_length(list); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(list, i)), field) == 0)
			return 1;
	json_object_array_add(list, json_object_new_string(field));
	return 1;
}

static int add_domain(struct pctx *c, const char *key, const char *domain)
{
	char addr[300];
	const char *why;
	char *d, **grown;

	snprintf(addr, sizeof(addr), "x@%s", domain);
	if (mailbox_check(addr, strlen(addr), &why) != 0)
		return failf(c, key, "\"%.64s\" is not a domain: an address there %s", domain, why);
	if (c->p->ndomains == POLICY_DOMAINS_MAX)
		return failf(c, key, "more than %s domains%s", "200", "");
	if (!(d = strdup(domain)) ||
	    !(grown = realloc(c->p->domains, (c->p->ndomains + 1) * sizeof(*grown)))) {
		free(d);
		return failf(c, key, "out of memory%s%s", "", "");
	}
	for (char *q = d; *q; q++)
		*q = (char)(*q >= 'A' && *q <= 'Z' ? *q - 'A' + 'a' : *q);
	c->p->domains = grown;
	c->p->domains[c->p->ndomains++] = d;
	return 1;
}

static int name_index(const char *const *names, size_t n, const char *value)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], value) == 0)
			return (int)i;
	return -1;
}

/* inih calls this per `name = value`; returning 0 stops the parse. */
static int on_line(void *user, const char *section, const char *name, const char *value)
{
	struct pctx *c = user;
	const struct pkey *k;
	char *end;
	long n;
	int i;

	if (section[0] != '\0')
		return failf(c, section, "sections are not used%s%s", "", "");
	if ((k = pkey_find(name)) == NULL)
		return failf(c, name, "is not a policy key (see README, Admin policy)%s%s", "", "");
	switch (k->kind) {
	case PK_LOCK:
		return set_field_value(c, name, name + strlen(k->name), value, c->p->locked);
	case PK_DEFAULT:
		return set_field_value(c, name, name + strlen(k->name), value, c->p->defaults);
	case PK_HIDE:
		return each_item(c, name, value, add_hidden);
	case PK_DOMAINS:
		return each_item(c, name, value, add_domain);
	case PK_OUTSIDE:
		if ((i = name_index(outside_names, N_ELEMS(outside_names), value)) < 0)
			return failf(c, name, "\"%.40s\" is not refuse or ask%s", value, "");
		c->p->outside = (enum policy_outside)i;
		return 1;
	case PK_MAX:
		errno = 0;
		n = strtol(value, &end, 10);
		if (errno || end == value || *end || n < 1 || n > JOBSPEC_MAX_RECIPIENTS)
			return failf(c, name, "\"%.40s\" is not a whole number from 1 to %s", value,
			             "50");
		c->p->max_recipients = n;
		return 1;
	case PK_BCC:
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
			return failf(c, name, "\"%.40s\" is not true or false%s", value, "");
		c->p->bcc_allowed = strcmp(value, "true") == 0;
		return 1;
	case PK_COPY:
		if ((i = name_index(copy_names, N_ELEMS(copy_names), value)) < 0)
			return failf(c, name, "\"%.40s\" is not off, allowed or forced%s", value,
			             "");
		c->p->copy_to_me = (enum policy_copy)i;
		return 1;
	}
	return failf(c, name, "is not handled%s%s", "", "");
}

/* What the whole file says must hold together: a field both locked and
 * defaulted is a mistake, and the locks and defaults must combine as
 * jobspec allows (unmarked mail is not encrypted, ...). */
static int check_whole(struct pctx *c)
{
	struct json_object *req;
	struct jobspec js;
	struct jobspec_error jerr;

	for (size_t i = 0; i < N_ELEMS(setting_objects); i++) {
		struct json_object *d = sub(c->p->defaults, setting_objects[i]);

		json_object_object_foreach(sub(c->p->locked, setting_objects[i]), k, v)
		{
			(void)v;
			if (json_object_object_get_ex(d, k, NULL)) {
				snprintf(c->err, c->errlen,
				         "%s: %s.%s is both locked and given a default", c->name,
				         setting_objects[i], k);
				return -1;
			}
		}
	}
	req = check_body(c->p->locked, c->p->defaults);
	if (jobspec_from_json(req, &js, &jerr) != JOBSPEC_OK) {
		snprintf(c->err, c->errlen, "%s: the locks and defaults do not combine: %s %s",
		         c->name, jerr.field, jerr.message);
		json_object_put(req);
		return -1;
	}
	jobspec_free(&js);
	json_object_put(req);
	return 0;
}

static struct policy *parse(struct pctx *c)
{
	int rc;

	if (!(c->p = policy_new())) {
		snprintf(c->err, c->errlen, "%s: out of memory", c->name);
		return NULL;
	}
	rc = ini_parse_stream(read_line, c, on_line, c);
	if (!c->failed && rc > 0)
		snprintf(c->err, c->errlen, "%s:%d: not a `key = value` line", c->name, rc);
	else if (!c->failed && rc < 0)
		snprintf(c->err, c->errlen, "%s: cannot be read", c->name);
	if (c->failed || rc != 0 || check_whole(c) != 0) {
		policy_release(c->p);
		return NULL;
	}
	return c->p;
}

struct policy *policy_parse_string(const char *text, const char *name, char *err, size_t errlen)
{
	struct pctx c = {.name = name, .err = err, .errlen = errlen, .text = text};

	return parse(&c);
}

/* Parses an open file (its size already checked). */
static struct policy *parse_file(FILE *f, const char *path, char *err, size_t errlen)
{
	struct pctx c = {.name = path, .err = err, .errlen = errlen, .f = f};

	return parse(&c);
}

struct policy *policy_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	struct policy *p;
	struct stat st;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > POLICY_FILE_MAX) {
		snprintf(err, errlen, "%s: not a regular file of at most %d bytes", path,
		         POLICY_FILE_MAX);
		fclose(f);
		return NULL;
	}
	p = parse_file(f, path, err, errlen);
	fclose(f);
	return p;
}

/* ---- what the weblet is told -------------------------------------------- */

struct json_object *policy_to_json(const struct policy *p)
{
	struct json_object *o = json_object_new_object(), *d = json_object_new_array();
	struct json_object *locked = NULL, *defaults = NULL, *hidden = NULL;

	/* Deep copies: json-c caches a serialized string inside an object, so a
	 * shared policy is never serialized itself. */
	json_object_deep_copy(p->locked, &locked, NULL);
	json_object_deep_copy(p->defaults, &defaults, NULL);
	json_object_deep_copy(p->hidden, &hidden, NULL);
	for (size_t i = 0; d && i < p->ndomains; i++)
		json_object_array_add(d, json_object_new_string(p->domains[i]));
	json_object_object_add(o, "locked", locked);
	json_object_object_add(o, "defaults", defaults);
	json_object_object_add(o, "hidden", hidden);
	json_object_object_add(o, "allowed_domains", d);
	json_object_object_add(o, "outside_domains",
	                       json_object_new_string(outside_names[p->outside]));
	json_object_object_add(o, "max_recipients", json_object_new_int64(p->max_recipients));
	json_object_object_add(o, "bcc_allowed", json_object_new_boolean(p->bcc_allowed));
	json_object_object_add(o, "copy_to_me", json_object_new_string(copy_names[p->copy_to_me]));
	if (!locked || !defaults || !hidden || !d) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

/* ---- applying it to a job ----------------------------------------------- */

/* A fresh copy of a policy's scalar (no shared reference counts). */
static struct json_object *scalar_copy(struct json_object *v)
{
	if (json_object_is_type(v, json_type_boolean))
		return json_object_new_boolean(json_object_get_boolean(v));
	return json_object_new_string(json_object_get_string(v));
}

/* A policy's scalar as text, without json_object_get_string on a boolean:
 * that caches a string inside the shared object, a write other threads
 * would race with. */
static const char *scalar_text(struct json_object *v)
{
	if (json_object_is_type(v, json_type_boolean))
		return json_object_get_boolean(v) ? "true" : "false";
	return json_object_get_string(v);
}

static bool same_value(struct json_object *a, struct json_object *b)
{
	if (json_object_get_type(a) != json_object_get_type(b))
		return false;
	if (json_object_is_type(a, json_type_boolean))
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	return json_object_is_type(a, json_type_string) &&
	       strcmp(json_object_get_string(a), json_object_get_string(b)) == 0;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static enum policy_verdict violate(struct policy_violation *v, enum policy_verdict verdict,
                                   const char *rule, const char *fmt, const char *a, const char *b)
{
	snprintf(v->rule, sizeof(v->rule), "%s", rule);
	snprintf(v->message, sizeof(v->message), fmt, a, b);
	return verdict;
}
#pragma GCC diagnostic pop

static void add_field(struct policy_violation *v, const char *fmt_list, size_t i)
{
	if (v->nfields == POLICY_FIELDS_MAX) {
		v->more_fields = true;
		return;
	}
	snprintf(v->fields[v->nfields++], JOBSPEC_FIELD_MAX, "%s[%zu]", fmt_list, i);
}

static void add_path(struct policy_violation *v, const char *obj, const char *field)
{
	if (v->nfields < POLICY_FIELDS_MAX)
		snprintf(v->fields[v->nfields++], JOBSPEC_FIELD_MAX, "%.20s.%.32s", obj, field);
}

/* The settings rules: locks, hidden fields, defaults. */
static enum policy_verdict apply_settings(const struct policy *p, struct json_object *req,
                                          struct policy_violation *v)
{
	char rule[64], path[JOBSPEC_FIELD_MAX];

	for (size_t i = 0; i < N_ELEMS(setting_objects); i++) {
		const char *name = setting_objects[i];
		struct json_object *ro = sub(req, name), *locked = sub(p->locked, name);
		struct json_object *defs = sub(p->defaults, name), *hidden = sub(p->hidden, name);
		struct json_object *have;

		if (!ro) {
			ro = json_object_new_object();
			if (!ro || json_object_object_add(req, name, ro) != 0)
				return POLICY_NOMEM;
		}
		json_object_object_foreach(locked, k, lv)
		{
			if (json_object_object_get_ex(ro, k, &have) && !same_value(have, lv)) {
				snprintf(rule, sizeof(rule), "lock.%.20s.%.32s", name, k);
				snprintf(path, sizeof(path), "%.20s.%.32s", name, k);
				add_path(v, name, k);
				return violate(v, POLICY_VIOLATION, rule,
				               "%s is set by your administrator to %s", path,
				               scalar_text(lv));
			}
			json_object_object_add(ro, k, scalar_copy(lv));
		}
		for (size_t h = 0; h < json_object_array_length(hidden); h++) {
			const char *hk =
			    json_object_get_string(json_object_array_get_idx(hidden, h));
			struct json_object *want = NULL;

			if (json_object_object_get_ex(locked, hk, NULL) ||
			    !json_object_object_get_ex(ro, hk, &have))
				continue;
			if (!json_object_object_get_ex(defs, hk, &want))
				want = sub(sub(p->base, name), hk);
			if (!want || !same_value(have, want)) {
				snprintf(path, sizeof(path), "%.20s.%.32s", name, hk);
				add_path(v, name, hk);
				return violate(v, POLICY_VIOLATION, "hide",
				               "%s is hidden by your administrator and keeps its "
				               "set value%s",
				               path, "");
			}
		}
		json_object_object_foreach(defs, dk, dv)
		{
			if (!json_object_object_get_ex(ro, dk, NULL))
				json_object_object_add(ro, dk, scalar_copy(dv));
		}
	}
	return POLICY_OK;
}

static const char *const lists[] = {"to", "cc", "bcc"};

static bool domain_allowed(const struct policy *p, const char *addr)
{
	const char *at = strrchr(addr, '@');

	for (size_t i = 0; at && i < p->ndomains; i++)
		if (strcasecmp(at + 1, p->domains[i]) == 0)
			return true;
	return false;
}

static bool is_recipient(struct json_object *req, const char *addr)
{
	for (size_t l = 0; l < N_ELEMS(lists); l++) {
		struct json_object *a = sub(req, lists[l]);

		for (size_t i = 0; a && i < json_object_array_length(a); i++)
			if (strcasecmp(json_object_get_string(json_object_array_get_idx(a, i)),
			               addr) == 0)
				return true;
	}
	return false;
}

/* The recipient rules, on the lists as the person gave them. */
static enum policy_verdict apply_recipients(const struct policy *p, struct json_object *req,
                                            struct policy_violation *v)
{
	struct json_object *a, *confirm;
	char max[24], domains[200];
	size_t total = 0, used = 0;

	a = sub(req, "bcc");
	if (!p->bcc_allowed && a && json_object_array_length(a) > 0) {
		for (size_t i = 0; i < json_object_array_length(a); i++)
			add_field(v, "bcc", i);
		return violate(v, POLICY_VIOLATION, "bcc_allowed",
		               "Bcc recipients are not allowed by your administrator%s%s", "", "");
	}
	for (size_t l = 0; l < N_ELEMS(lists); l++) {
		a = sub(req, lists[l]);
		for (size_t i = 0; a && i < json_object_array_length(a); i++)
			if (++total > (size_t)p->max_recipients)
				add_field(v, lists[l], i);
	}
	if (total > (size_t)p->max_recipients) {
		snprintf(max, sizeof(max), "%ld", p->max_recipients);
		return violate(v, POLICY_VIOLATION, "max_recipients",
		               "at most %s recipients in to, cc and bcc together%s", max, "");
	}
	if (p->ndomains == 0)
		return POLICY_OK;
	for (size_t l = 0; l < N_ELEMS(lists); l++) {
		a = sub(req, lists[l]);
		for (size_t i = 0; a && i < json_object_array_length(a); i++)
			if (!domain_allowed(
			        p, json_object_get_string(json_object_array_get_idx(a, i))))
				add_field(v, lists[l], i);
	}
	if (v->nfields == 0)
		return POLICY_OK;
	domains[0] = '\0';
	for (size_t i = 0; i < p->ndomains && used < sizeof(domains); i++) {
		int w = snprintf(domains + used, sizeof(domains) - used, "%s%s", i ? ", " : "",
		                 p->domains[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
	if (p->outside == POLICY_OUTSIDE_REFUSE)
		return violate(v, POLICY_VIOLATION, "allowed_domains",
		               "recipients outside %s are not allowed by your administrator%s",
		               domains, "");
	if (json_object_object_get_ex(req, "confirm_outside_domains", &confirm) &&
	    json_object_get_boolean(confirm)) {
		v->nfields = 0;
		v->more_fields = false;
		return POLICY_OK;
	}
	return violate(v, POLICY_CONFIRM, "allowed_domains",
	               "recipients outside %s: confirm_outside_domains must be true to send%s",
	               domains, "");
}

static enum policy_verdict apply_copy(const struct policy *p, struct json_object *req,
                                      const char *self, struct policy_violation *v)
{
	struct json_object *asked, *bcc;
	bool has = json_object_object_get_ex(req, "copy_to_me", &asked);
	bool want = has && json_object_get_boolean(asked);
	const char *why;

	if (p->copy_to_me == POLICY_COPY_OFF && want)
		return violate(v, POLICY_VIOLATION, "copy_to_me",
		               "copy to myself is turned off by your administrator%s%s", "", "");
	if (p->copy_to_me == POLICY_COPY_FORCED && has && !want)
		return violate(v, POLICY_VIOLATION, "copy_to_me",
		               "copy to myself is always on by your administrator%s%s", "", "");
	if (p->copy_to_me == POLICY_COPY_FORCED)
		want = true;
	if (!want)
		return POLICY_OK;
	if (!self || mailbox_check(self, strlen(self), &why) != 0)
		return violate(v, POLICY_VIOLATION, "copy_to_me",
		               "your RMail user name is not an email address to copy to%s%s", "",
		               "");
	json_object_object_add(req, "copy_to_me", json_object_new_boolean(1));
	if (is_recipient(req, self))
		return POLICY_OK;
	bcc = sub(req, "bcc");
	if (!bcc) {
		bcc = json_object_new_array();
		if (!bcc || json_object_object_add(req, "bcc", bcc) != 0)
			return POLICY_NOMEM;
	}
	/* Bcc: the other recipients do not see the sender's own copy.  RPost's
	 * add-on offers no "copy to me" to follow (README, not verified). */
	if (json_object_array_add(bcc, json_object_new_string(self)) != 0)
		return POLICY_NOMEM;
	return POLICY_OK;
}

enum policy_verdict policy_apply(const struct policy *p, struct json_object *req, const char *self,
                                 struct policy_violation *v)
{
	enum policy_verdict r;

	memset(v, 0, sizeof(*v));
	if ((r = apply_settings(p, req, v)) != POLICY_OK)
		return r;
	if ((r = apply_recipients(p, req, v)) != POLICY_OK)
		return r;
	return apply_copy(p, req, self, v);
}

/* ---- the live policy ---------------------------------------------------- */

static time_t now_seconds(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec;
}

static void store_swap(struct policy_store *s, const struct policy *p)
{
	policy_release(s->current);
	s->current = p;
}

/* Looks at the file; reloads it when it changed.  Called with s->lock held. */
static void store_check(struct policy_store *s)
{
	char err[512];
	struct policy *p;
	struct stat st;
	FILE *f;

	s->checked = now_seconds();
	if (s->path[0] == '\0' || (f = fopen(s->path, "r")) == NULL) {
		if (s->path[0] != '\0' && errno != ENOENT) {
			/* Unreadable is not absent: keep what is in force. */
			snprintf(err, sizeof(err), "%s: %s", s->path, strerror(errno));
			goto bad;
		}
		if (s->current && !s->have_sig && !s->error[0])
			return; /* still no file */
		if ((p = policy_none()) == NULL)
			return;
		store_swap(s, p);
		s->have_sig = false;
		s->bad_logged = false;
		s->error[0] = '\0';
		sp_log(LOG_INFO, "policy_none", "path", s->path, NULL);
		return;
	}
	if (fstat(fileno(f), &st) != 0) {
		fclose(f);
		return;
	}
	if (s->have_sig && st.st_dev == s->dev && st.st_ino == s->ino && st.st_size == s->size &&
	    st.st_mtim.tv_sec == s->mtime.tv_sec && st.st_mtim.tv_nsec == s->mtime.tv_nsec) {
		fclose(f);
		return;
	}
	s->have_sig = true;
	s->dev = st.st_dev;
	s->ino = st.st_ino;
	s->size = st.st_size;
	s->mtime = st.st_mtim;
	if (!S_ISREG(st.st_mode) || st.st_size > POLICY_FILE_MAX) {
		fclose(f);
		snprintf(err, sizeof(err), "%s: not a regular file of at most %d bytes", s->path,
		         POLICY_FILE_MAX);
		goto bad;
	}
	p = parse_file(f, s->path, err, sizeof(err));
	fclose(f);
	if (!p)
		goto bad;
	store_swap(s, p);
	s->bad_logged = false;
	s->error[0] = '\0';
	sp_log(LOG_INFO, "policy_loaded", "path", s->path, NULL);
	return;
bad:
	snprintf(s->error, sizeof(s->error), "%s", err);
	if (!s->bad_logged)
		sp_log(LOG_ERROR, s->current ? "policy_rejected_kept_last" : "policy_rejected",
		       "error", err, NULL);
	s->bad_logged = true;
}

const struct policy *policy_store_get(struct policy_store *s, const char *path, char *err,
                                      size_t errlen)
{
	const struct policy *p;

	if (!path)
		path = "";
	pthread_mutex_lock(&s->lock);
	if (!s->path || strcmp(s->path, path) != 0) {
		char *copy = strdup(path);

		if (!copy) {
			pthread_mutex_unlock(&s->lock);
			snprintf(err, errlen, "out of memory");
			return NULL;
		}
		free(s->path);
		s->path = copy;
		store_swap(s, NULL);
		s->have_sig = false;
		s->bad_logged = false;
		s->error[0] = '\0';
		store_check(s);
	} else if (now_seconds() - s->checked >= POLICY_CHECK_INTERVAL) {
		store_check(s);
	}
	p = policy_ref(s->current);
	if (!p)
		snprintf(err, errlen, "%s", s->error[0] ? s->error : "no policy could be made");
	pthread_mutex_unlock(&s->lock);
	return p;
}

void policy_store_free(struct policy_store *s)
{
	store_swap(s, NULL);
	free(s->path);
	s->path = NULL;
}
