/*
 * rmail_options.c - the RMail Options of a validated job and its address
 * lists in RMail's form (DESIGN 3.2, declared in jobspec.h).
 *
 * One mapping table, option_rules: each Option, when it is sent and where
 * its value comes from.
 */
#include "jobspec.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- RMail Options (DESIGN 3.2) ----------------------------------------- */

struct option_ctx {
	const struct jobspec *js;
	const char *job_id, *app_name, *large_mail_key;
};

static bool when_always(const struct option_ctx *c)
{
	(void)c;
	return true;
}

static bool when_marked(const struct option_ctx *c)
{
	return c->js->registered.marked;
}

static bool when_unmarked(const struct option_ctx *c)
{
	return !c->js->registered.marked;
}

static bool when_tls_preferred(const struct option_ctx *c)
{
	return c->js->choice[JOBSPEC_ENCRYPTION] == JOBSPEC_ENCRYPTION_TLS_PREFERRED;
}

static bool when_encrypted(const struct option_ctx *c)
{
	return c->js->choice[JOBSPEC_ENCRYPTION] != JOBSPEC_ENCRYPTION_OFF;
}

static bool when_esign(const struct option_ctx *c)
{
	return c->js->registered.esign;
}

static bool when_sidenote(const struct option_ctx *c)
{
	return c->js->registered.sidenote && c->js->registered.sidenote[0] != '\0';
}

static bool when_large_key(const struct option_ctx *c)
{
	return c->large_mail_key && c->large_mail_key[0] != '\0';
}

static const char *value_app(const struct option_ctx *c)
{
	return c->app_name;
}

static const char *value_job_id(const struct option_ctx *c)
{
	return c->job_id;
}

static const char *value_sidenote(const struct option_ctx *c)
{
	return c->js->registered.sidenote;
}

static const char *value_large_key(const struct option_ctx *c)
{
	return c->large_mail_key;
}

/* Each Option, when it is sent, and its value: a literal or a source. */
static const struct option_rule {
	const char *name;
	bool (*when)(const struct option_ctx *);
	const char *literal;
	const char *(*value)(const struct option_ctx *);
} option_rules[] = {
    {"X-RPost-Type", when_marked, "1", NULL},
    {"X-RPost-Type", when_unmarked, "2", NULL},
    {"X-RPost-TLS", when_tls_preferred, "1", NULL},
    {"X-RPost-SecuRmail", when_encrypted, "1", NULL},
    {"X-RPost-SecuRmail-AutoPassword", when_encrypted, "1", NULL},
    {"X-RPost-SendPassword", when_encrypted, "1", NULL},
    {"X-RPost-Esign", when_esign, "1", NULL},
    {"X-RPost-Sidenote-Text", when_sidenote, NULL, value_sidenote},
    {"X-RPost-App", when_always, NULL, value_app},
    {"X-RPost-LargeMail", when_large_key, NULL, value_large_key},
    {"X-RPost-CustomerTrackingId", when_always, NULL, value_job_id},
};

int jobspec_rmail_options(const struct jobspec *js, const char *job_id, const char *app_name,
                          const char *large_mail_key, struct json_object *options_out)
{
	struct option_ctx c = {js, job_id, app_name, large_mail_key};
	size_t i;

	if (!js || !job_id || !app_name || !json_object_is_type(options_out, json_type_object))
		return -1;
	for (i = 0; i < N_ELEMS(option_rules); i++) {
		const struct option_rule *r = &option_rules[i];
		struct json_object *v;

		if (!r->when(&c))
			continue;
		v = json_object_new_string(r->literal ? r->literal : r->value(&c));
		if (!v || json_object_object_add(options_out, r->name, v) != 0) {
			json_object_put(v);
			return -1;
		}
	}
	return 0;
}

char *jobspec_join_addresses(const struct jobspec_addrs *list)
{
	size_t i, total = 1, used = 0, len;
	char *s;

	for (i = 0; i < list->n; i++)
		total += strlen(list->addr[i]) + 1;
	s = malloc(total);
	if (!s)
		return NULL;
	for (i = 0; i < list->n; i++) {
		if (i > 0)
			s[used++] = ';';
		len = strlen(list->addr[i]);
		memcpy(s + used, list->addr[i], len);
		used += len;
	}
	s[used] = '\0';
	return s;
}
