/*
 * control.c - the /_sim/ JSON API (see control.h): a route table and a
 * table of config keys, each with its validator.
 */
#include "control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "simlog.h"

#define N_ELEMS(a) (sizeof(a) / sizeof((a)[0]))

static char *dup_json(struct json_object *o)
{
	const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	char *copy = s ? strdup(s) : NULL;

	json_object_put(o);
	return copy;
}

static int error(char **out, int status, const char *code, const char *message)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(o, "error", e);
	*out = dup_json(o);
	return status;
}

static struct json_object *uint_or_null(unsigned v)
{
	return v ? json_object_new_int64(v) : NULL;
}

static struct json_object *state_json(struct device *d)
{
	struct json_object *o = json_object_new_object(), *dev = json_object_new_object();
	struct json_object *knobs = json_object_new_object(), *tmpls = json_object_new_array();
	struct json_object *jobs = json_object_new_array(), *user = NULL;
	char canvas[24];
	struct job *j;
	size_t i;

	device_lock(d);
	json_object_object_add(dev, "name", json_object_new_string(d->id.name));
	json_object_object_add(dev, "serial", json_object_new_string(d->id.serial));
	json_object_object_add(dev, "model", json_object_new_string(device_model(d)));
	snprintf(canvas, sizeof(canvas), "%ux%u", d->id.canvas_w, d->id.canvas_h);
	json_object_object_add(dev, "canvas", json_object_new_string(canvas));
	json_object_object_add(dev, "sso", json_object_new_boolean(d->sso != NULL));
	json_object_object_add(dev, "username", json_object_new_string(device_user_name(&d->user)));
	if (d->user.logged_in) {
		user = json_object_new_object();
		json_object_object_add(user, "name", json_object_new_string(d->user.name));
		json_object_object_add(user, "email", json_object_new_string(d->user.email));
	}
	json_object_object_add(knobs, "pages", json_object_new_int64(d->knobs.pages));
	json_object_object_add(knobs, "page_delay_ms",
	                       json_object_new_int64(d->knobs.page_delay_ms));
	json_object_object_add(knobs, "jam_after_page", uint_or_null(d->knobs.jam_after_page));
	json_object_object_add(knobs, "cancel_after_page",
	                       uint_or_null(d->knobs.cancel_after_page));
	json_object_object_add(knobs, "abort_after_page", uint_or_null(d->knobs.abort_after_page));
	json_object_object_add(knobs, "next_original_after_page",
	                       uint_or_null(d->knobs.next_original_after_page));
	json_object_object_add(knobs, "completed_early_polls",
	                       json_object_new_int64(d->knobs.completed_early_polls));
	json_object_object_add(knobs, "auto_size_fails",
	                       json_object_new_boolean(d->knobs.auto_size_fails));
	json_object_object_add(knobs, "corrupt_files",
	                       json_object_new_boolean(d->knobs.corrupt_files));
	json_object_object_add(knobs, "family",
	                       json_object_new_string(d->knobs.family == DEVICE_FAMILY_VERSALINK
	                                                  ? "versalink"
	                                                  : "altalink"));
	for (i = 0; i < d->n_templates; i++) {
		struct json_object *t = json_object_new_object();

		json_object_object_add(t, "name", json_object_new_string(d->templates[i].name));
		json_object_object_add(t, "checksum",
		                       json_object_new_string(d->templates[i].checksum));
		json_object_object_add(t, "bytes",
		                       json_object_new_int64((int64_t)d->templates[i].len));
		json_object_array_add(tmpls, t);
	}
	for (j = d->jobs; j; j = j->next) {
		struct json_object *jo = json_object_new_object(),
		                   *reasons = json_object_new_array();
		struct json_object *files = json_object_new_array();
		char copy[JOB_REASONS_MAX], *tok, *save = NULL;

		json_object_object_add(jo, "id", json_object_new_int64(j->id));
		json_object_object_add(jo, "template", json_object_new_string(j->template_name));
		json_object_object_add(jo, "state",
		                       json_object_new_string(device_job_state_name(j->state)));
		snprintf(copy, sizeof(copy), "%s", j->reasons);
		for (tok = strtok_r(copy, " ", &save); tok; tok = strtok_r(NULL, " ", &save))
			json_object_array_add(reasons, json_object_new_string(tok));
		json_object_object_add(jo, "reasons", reasons);
		json_object_object_add(jo, "images_scanned",
		                       json_object_new_int64(j->images_scanned));
		json_object_object_add(jo, "images_total", json_object_new_int64(j->images_total));
		for (i = 0; i < j->n_files; i++) {
			struct json_object *f = json_object_new_object();

			json_object_object_add(f, "name", json_object_new_string(j->files[i].name));
			json_object_object_add(f, "bytes",
			                       json_object_new_int64((int64_t)j->files[i].bytes));
			json_object_object_add(f, "uploaded",
			                       json_object_new_boolean(j->files[i].uploaded));
			json_object_array_add(files, f);
		}
		json_object_object_add(jo, "files", files);
		{
			struct json_object *ops = json_object_new_array();

			for (i = 0; i < j->n_ops; i++) {
				struct json_object *op = json_object_new_object();

				json_object_object_add(op, "operation",
				                       json_object_new_string(j->ops[i].operation));
				json_object_object_add(op, "dest_dir",
				                       json_object_new_string(j->ops[i].dest_dir));
				json_object_object_add(op, "dest_name",
				                       json_object_new_string(j->ops[i].dest_name));
				json_object_object_add(op, "answer",
				                       json_object_new_string(j->ops[i].answer));
				json_object_array_add(ops, op);
			}
			json_object_object_add(jo, "filing", ops);
		}
		json_object_object_add(jo, "error",
		                       j->error[0] ? json_object_new_string(j->error) : NULL);
		json_object_array_add(jobs, jo);
	}
	device_unlock(d);
	json_object_object_add(o, "device", dev);
	json_object_object_add(o, "user", user);
	json_object_object_add(o, "knobs", knobs);
	json_object_object_add(o, "templates", tmpls);
	json_object_object_add(o, "jobs", jobs);
	return o;
}

/* ---- config -------------------------------------------------------------- */

/* Everything POST /_sim/config may change, validated into a copy first. */
struct config_draft {
	struct device_knobs knobs;
	struct device_user user;
	unsigned canvas_w, canvas_h;
};

typedef const char *(*key_fn)(struct json_object *v, struct config_draft *c);

static const char *get_uint(struct json_object *v, unsigned min, unsigned max, unsigned *out)
{
	int64_t n;

	if (!json_object_is_type(v, json_type_int))
		return "must be an integer";
	n = json_object_get_int64(v);
	if (n < min || n > max)
		return "is out of range";
	*out = (unsigned)n;
	return NULL;
}

static const char *key_pages(struct json_object *v, struct config_draft *c)
{
	return get_uint(v, 1, DEVICE_MAX_PAGES, &c->knobs.pages);
}

static const char *key_delay(struct json_object *v, struct config_draft *c)
{
	return get_uint(v, 0, DEVICE_MAX_PAGE_DELAY_MS, &c->knobs.page_delay_ms);
}

static const char *key_jam(struct json_object *v, struct config_draft *c)
{
	if (!v) {
		c->knobs.jam_after_page = 0;
		return NULL;
	}
	return get_uint(v, 1, 2 * DEVICE_MAX_PAGES, &c->knobs.jam_after_page);
}

static const char *key_cancel(struct json_object *v, struct config_draft *c)
{
	if (!v) {
		c->knobs.cancel_after_page = 0;
		return NULL;
	}
	return get_uint(v, 1, 2 * DEVICE_MAX_PAGES, &c->knobs.cancel_after_page);
}

/* An image number, or 0 / null for off. */
static const char *page_or_off(struct json_object *v, unsigned *out)
{
	if (!v) {
		*out = 0;
		return NULL;
	}
	return get_uint(v, 0, 2 * DEVICE_MAX_PAGES, out);
}

static const char *key_abort(struct json_object *v, struct config_draft *c)
{
	return page_or_off(v, &c->knobs.abort_after_page);
}

static const char *key_next_original(struct json_object *v, struct config_draft *c)
{
	return page_or_off(v, &c->knobs.next_original_after_page);
}

static const char *key_early_polls(struct json_object *v, struct config_draft *c)
{
	return get_uint(v, 0, DEVICE_MAX_EARLY_POLLS, &c->knobs.completed_early_polls);
}

static const char *key_family(struct json_object *v, struct config_draft *c)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

	if (strcmp(s, "altalink") == 0)
		c->knobs.family = DEVICE_FAMILY_ALTALINK;
	else if (strcmp(s, "versalink") == 0)
		c->knobs.family = DEVICE_FAMILY_VERSALINK;
	else
		return "must be \"altalink\" or \"versalink\"";
	return NULL;
}

static const char *key_auto_size(struct json_object *v, struct config_draft *c)
{
	if (!json_object_is_type(v, json_type_boolean))
		return "must be true or false";
	c->knobs.auto_size_fails = json_object_get_boolean(v);
	return NULL;
}

/* A fault no real device has on purpose: a damaged file, as a broken
 * scanner or network might deliver, to test "no preview". */
static const char *key_corrupt(struct json_object *v, struct config_draft *c)
{
	if (!json_object_is_type(v, json_type_boolean))
		return "must be true or false";
	c->knobs.corrupt_files = json_object_get_boolean(v);
	return NULL;
}

static bool printable_text(const char *s, const char *forbidden)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7F || strchr(forbidden, *s))
			return false;
	return true;
}

static const char *key_user(struct json_object *v, struct config_draft *c)
{
	unsigned long login = c->user.login + 1; /* a log-in or -out: a new session */
	const char *s;

	if (!v) {
		memset(&c->user, 0, sizeof(c->user));
		c->user.login = login;
		return NULL;
	}
	if (!json_object_is_type(v, json_type_string))
		return "must be a string or null";
	s = json_object_get_string(v);
	if (!*s || strlen(s) > DEVICE_USER_MAX || !printable_text(s, "|"))
		return "must be 1-64 printable characters without '|'";
	snprintf(c->user.name, sizeof(c->user.name), "%s", s);
	/* "guest" in any spelling is nobody, as a device may report it
	 * (DESIGN 3.3); the spelling is kept and reported as given. */
	c->user.logged_in = strcasecmp(s, "guest") != 0;
	c->user.login = login;
	return NULL;
}

static const char *key_email(struct json_object *v, struct config_draft *c)
{
	const char *s;

	if (!json_object_is_type(v, json_type_string))
		return "must be a string";
	s = json_object_get_string(v);
	if (strlen(s) > DEVICE_EMAIL_MAX || !printable_text(s, " <>\"'"))
		return "is not a plausible address";
	snprintf(c->user.email, sizeof(c->user.email), "%s", s);
	return NULL;
}

static const char *key_canvas(struct json_object *v, struct config_draft *c)
{
	const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";

	if (strcmp(s, "800x480") == 0) {
		c->canvas_w = 800;
		c->canvas_h = 480;
	} else if (strcmp(s, "1024x600") == 0) {
		c->canvas_w = 1024;
		c->canvas_h = 600;
	} else {
		return "must be \"800x480\" or \"1024x600\"";
	}
	return NULL;
}

static const struct {
	const char *key;
	key_fn fn;
} config_keys[] = {
    {"pages", key_pages},
    {"page_delay_ms", key_delay},
    {"jam_after_page", key_jam},
    {"cancel_after_page", key_cancel},
    {"abort_after_page", key_abort},
    {"next_original_after_page", key_next_original},
    {"completed_early_polls", key_early_polls},
    {"family", key_family},
    {"auto_size_fails", key_auto_size},
    {"corrupt_files", key_corrupt},
    {"user", key_user},
    {"user_email", key_email},
    {"canvas", key_canvas},
};

static int post_config(struct device *d, const char *body, size_t len, char **out)
{
	struct json_tokener *tok = json_tokener_new_ex(8);
	struct json_object *o;
	struct config_draft c;
	char msg[160];
	size_t i;

	if (!tok)
		return error(out, 500, "out_of_memory", "out of memory");
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (!o || json_tokener_get_error(tok) != json_tokener_success ||
	    tok->char_offset != (int)len || !json_object_is_type(o, json_type_object)) {
		json_tokener_free(tok);
		json_object_put(o);
		return error(out, 400, "invalid_json", "the body must be a JSON object");
	}
	json_tokener_free(tok);
	device_lock(d);
	c.knobs = d->knobs;
	c.user = d->user;
	c.canvas_w = d->id.canvas_w;
	c.canvas_h = d->id.canvas_h;
	device_unlock(d);
	json_object_object_foreach(o, key, val)
	{
		const char *why = "is not a known setting";

		for (i = 0; i < N_ELEMS(config_keys); i++)
			if (strcmp(config_keys[i].key, key) == 0)
				break;
		if (i < N_ELEMS(config_keys))
			why = config_keys[i].fn(val, &c);
		if (why) {
			snprintf(msg, sizeof(msg), "%.40s %s", key, why);
			json_object_put(o);
			return error(out, 400,
			             i < N_ELEMS(config_keys) ? "invalid_value" : "unknown_field",
			             msg);
		}
	}
	json_object_put(o);
	device_lock(d);
	d->knobs = c.knobs;
	d->user = c.user;
	d->id.canvas_w = c.canvas_w;
	d->id.canvas_h = c.canvas_h;
	device_unlock(d);
	simlog("info", "sim_config", NULL);
	*out = dup_json(state_json(d));
	return 200;
}

/* ---- routes -------------------------------------------------------------- */

static int get_state(struct device *d, const char *body, size_t len, char **out)
{
	(void)body;
	(void)len;
	*out = dup_json(state_json(d));
	return 200;
}

static int post_cancel(struct device *d, const char *body, size_t len, char **out)
{
	struct json_object *o = json_object_new_object();
	unsigned n = device_cancel_running(d);
	char count[16];

	(void)body;
	(void)len;
	snprintf(count, sizeof(count), "%u", n);
	simlog("info", "sim_cancel", "canceled", count, NULL);
	json_object_object_add(o, "canceled", json_object_new_int64(n));
	*out = dup_json(o);
	return 200;
}

/* {"button": "start" | "done"}: the person at the panel, while a job waits
 * for its next original.  409 when no job waits. */
static int post_panel(struct device *d, const char *body, size_t len, char **out)
{
	static const struct {
		const char *name;
		enum panel_button b;
	} buttons[] = {{"start", PANEL_START}, {"done", PANEL_DONE}};
	struct json_tokener *tok = json_tokener_new_ex(4);
	struct json_object *o, *v, *answer;
	enum panel_button b = PANEL_NONE;
	const char *name = NULL;
	unsigned n;
	size_t i;

	if (!tok)
		return error(out, 500, "out_of_memory", "out of memory");
	o = json_tokener_parse_ex(tok, body, (int)len);
	if (o && json_tokener_get_error(tok) == json_tokener_success &&
	    tok->char_offset == (int)len && json_object_is_type(o, json_type_object) &&
	    json_object_object_length(o) == 1 && json_object_object_get_ex(o, "button", &v) &&
	    json_object_is_type(v, json_type_string))
		name = json_object_get_string(v);
	for (i = 0; name && i < N_ELEMS(buttons); i++)
		if (strcmp(buttons[i].name, name) == 0)
			b = buttons[i].b;
	json_tokener_free(tok);
	json_object_put(o);
	if (b == PANEL_NONE)
		return error(out, 400, "invalid_value",
		             "the body must be {\"button\": \"start\" or \"done\"}");
	n = device_panel_press(d, b);
	if (n == 0)
		return error(out, 409, "no_job_waiting", "no job waits for its next original");
	simlog("info", "sim_panel", "button", b == PANEL_START ? "start" : "done", NULL);
	answer = json_object_new_object();
	json_object_object_add(answer, "pressed", json_object_new_int64(n));
	*out = dup_json(answer);
	return 200;
}

static int post_reset(struct device *d, const char *body, size_t len, char **out)
{
	(void)body;
	(void)len;
	device_reset(d);
	simlog("info", "sim_reset", NULL);
	*out = dup_json(state_json(d));
	return 200;
}

static const struct {
	const char *method, *path;
	int (*fn)(struct device *d, const char *body, size_t len, char **out);
} routes[] = {
    {"GET", "/_sim/state", get_state},     {"POST", "/_sim/config", post_config},
    {"POST", "/_sim/cancel", post_cancel}, {"POST", "/_sim/panel", post_panel},
    {"POST", "/_sim/reset", post_reset},
};

bool control_is_path(const char *path)
{
	return strncmp(path, "/_sim/", 6) == 0;
}

int control_handle(struct device *d, const char *method, const char *path, const char *body,
                   size_t len, char **out)
{
	bool path_known = false;
	size_t i;

	*out = NULL;
	for (i = 0; i < N_ELEMS(routes); i++) {
		if (strcmp(routes[i].path, path) != 0)
			continue;
		path_known = true;
		if (strcmp(routes[i].method, method) == 0)
			return routes[i].fn(d, body, len, out);
	}
	if (path_known)
		return error(out, 405, "method_not_allowed", "method not allowed on this path");
	return error(out, 404, "not_found", "no such control endpoint");
}
