/*
 * rmail_options.c - the RMail Options of a validated job and its address
 * lists in RMail's form (DESIGN 3.2, declared in jobspec.h).
 *
 * One mapping table, option_rules: each Option, when it is sent and where
 * its value comes from; and one table of the registered settings that do
 * not go together, combinations.
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
	const char *job_id, *app_name;
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

static const char *value_sidenote_cc(const struct option_ctx *c)
{
	return c->js->registered.sidenote_cc ? "1" : "0";
}

static const char *value_sidenote_bcc(const struct option_ctx *c)
{
	return c->js->registered.sidenote_bcc ? "1" : "0";
}

/*
 * Each Option, when it is sent, and its value: a literal or a source.
 * Names, values and which go together as RPost's RMail add-on sends them
 * (Zimbra-Community/rmail com_rpost_rmail.js, addCustomMimeHeaders): TLS
 * preferred is X-RPost-TLS with the three SecuRmail flags, always-PDF the
 * three without it; the SideNote flags go with the SideNote text, both of
 * them, "1" or "0".  X-RPost-CustomerTrackingId comes back in MessageStatus
 * (https://webapi.r1.rpost.net/Help/Api/POST-api-v1-Receipt-MessageStatus).
 */
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
    {"X-RPost-Sidenote-Cc", when_sidenote, NULL, value_sidenote_cc},
    {"X-RPost-Sidenote-Bcc", when_sidenote, NULL, value_sidenote_bcc},
    {"X-RPost-App", when_always, NULL, value_app},
    {"X-RPost-CustomerTrackingId", when_always, NULL, value_job_id},
};

int jobspec_rmail_options(const struct jobspec *js, const char *job_id, const char *app_name,
                          struct json_object *options_out)
{
	struct option_ctx c = {js, job_id, app_name};
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

/* ---- combinations of the registered settings (DESIGN 3.2) ---------------- */

static bool unmarked_encrypted(const struct jobspec *js)
{
	return !js->registered.marked && js->choice[JOBSPEC_ENCRYPTION] != JOBSPEC_ENCRYPTION_OFF;
}

static bool unmarked_esign(const struct jobspec *js)
{
	return !js->registered.marked && js->registered.esign;
}

static bool esign_large(const struct jobspec *js)
{
	return js->registered.esign && js->choice[JOBSPEC_LARGE_MAIL] == JOBSPEC_LARGE_MAIL_FORCE;
}

static bool sidenote_cc_without_note(const struct jobspec *js)
{
	return js->registered.sidenote_cc && js->registered.sidenote[0] == '\0';
}

static bool sidenote_cc_without_cc(const struct jobspec *js)
{
	return js->registered.sidenote_cc && js->cc.n == 0;
}

static bool sidenote_bcc_without_note(const struct jobspec *js)
{
	return js->registered.sidenote_bcc && js->registered.sidenote[0] == '\0';
}

static bool sidenote_bcc_without_bcc(const struct jobspec *js)
{
	return js->registered.sidenote_bcc && js->bcc.n == 0;
}

/*
 * What RPost's RMail add-on never offers (Zimbra-Community/rmail,
 * com_rpost_rmail/com_rpost_rmail.js): checkServiceCompatiblity disables
 * encryption and e-sign for unmarked mail and e-sign with large mail;
 * prefDialog offers the SideNote Cc/Bcc boxes only with Cc/Bcc recipients,
 * and addCustomMimeHeaders sends them only with a SideNote text.  The
 * first refused combination is the error; its message names both fields.
 */
static const struct combination {
	const char *field;
	bool (*refused)(const struct jobspec *);
	const char *message;
} combinations[] = {
    {"registered.encryption", unmarked_encrypted,
     "must be off for unmarked mail (registered.marked false)"},
    {"registered.esign", unmarked_esign,
     "may be true only for marked mail (registered.marked true)"},
    {"registered.large_mail", esign_large,
     "may not be force with e-sign (registered.esign true): e-sign goes as ordinary mail"},
    {"registered.sidenote_cc", sidenote_cc_without_note, "needs a SideNote (registered.sidenote)"},
    {"registered.sidenote_cc", sidenote_cc_without_cc, "needs a Cc recipient (cc)"},
    {"registered.sidenote_bcc", sidenote_bcc_without_note,
     "needs a SideNote (registered.sidenote)"},
    {"registered.sidenote_bcc", sidenote_bcc_without_bcc, "needs a Bcc recipient (bcc)"},
};

const char *jobspec_registered_refusal(const struct jobspec *js, const char **field)
{
	for (size_t i = 0; i < N_ELEMS(combinations); i++)
		if (combinations[i].refused(js)) {
			*field = combinations[i].field;
			return combinations[i].message;
		}
	*field = NULL;
	return NULL;
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
