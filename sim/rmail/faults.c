/*
 * faults.c - fault rules (see faults.h).
 */
#include "faults.h"
#include "wire.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/rand.h>

#define FAULTS_MAX      256
#define LATENCY_MAX_MS  600000L
#define RETRY_AFTER_MAX 86400L
#define COUNT_MAX       1000000L

struct faults {
	pthread_mutex_t lock;
	struct fault rules[FAULTS_MAX];
	size_t n;
	unsigned long next_id;
};

static const char *const kind_names[FAULT__MAX] = {
    [FAULT_LATENCY] = "latency",
    [FAULT_STATUS] = "status",
    [FAULT_RETRY_AFTER] = "retry_after",
    [FAULT_UNAUTHORIZED] = "unauthorized",
    [FAULT_BUSINESS] = "business",
    [FAULT_DROP] = "drop",
    [FAULT_HANG] = "hang",
    [FAULT_RAW] = "raw",
    [FAULT_STALE] = "stale",
};

/* The members a spec may have: anything else is a typo the test author should hear about. */
static const char *const spec_members[] = {
    "kind",       "path",        "count",   "rate",         "status",
    "latency_ms", "retry_after", "message", "after_accept",
};

const char *fault_kind_name(enum fault_kind kind)
{
	return kind < FAULT__MAX ? kind_names[kind] : "?";
}

struct faults *faults_new(void)
{
	struct faults *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	if (pthread_mutex_init(&fs->lock, NULL) != 0) {
		free(fs);
		return NULL;
	}
	fs->next_id = 1;
	return fs;
}

void faults_free(struct faults *fs)
{
	if (!fs)
		return;
	pthread_mutex_destroy(&fs->lock);
	free(fs);
}

/* Reads an integer member in [lo, hi]; absent leaves *val. 0 ok, -1 bad (err set). */
static int spec_long(json_object *spec, const char *name, long lo, long hi, long *val, char *err,
                     size_t errlen)
{
	json_object *v = wire_json_get(spec, name);
	int64_t x;

	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		snprintf(err, errlen, "%s must be an integer", name);
		return -1;
	}
	x = json_object_get_int64(v);
	if (x < lo || x > hi) {
		snprintf(err, errlen, "%s must be between %ld and %ld", name, lo, hi);
		return -1;
	}
	*val = (long)x;
	return 0;
}

static int spec_check_members(json_object *spec, char *err, size_t errlen)
{
	json_object_object_foreach(spec, key, val)
	{
		bool known = false;

		(void)val;
		for (size_t i = 0; i < sizeof(spec_members) / sizeof(spec_members[0]); i++)
			known = known || strcasecmp(key, spec_members[i]) == 0;
		if (!known) {
			snprintf(err, errlen, "unknown member \"%.64s\"", key);
			return -1;
		}
	}
	return 0;
}

static int spec_kind(json_object *spec, struct fault *f, char *err, size_t errlen)
{
	const char *kind = wire_json_get_string(spec, "kind");

	for (int k = 0; kind && k < FAULT__MAX; k++) {
		if (strcasecmp(kind, kind_names[k]) == 0) {
			f->kind = (enum fault_kind)k;
			return 0;
		}
	}
	snprintf(err, errlen,
	         "kind must be one of latency, status, retry_after, unauthorized, business, drop, "
	         "hang, raw, stale");
	return -1;
}

static int spec_strings(json_object *spec, struct fault *f, char *err, size_t errlen)
{
	json_object *path = wire_json_get(spec, "path");
	json_object *msg = wire_json_get(spec, "message");
	json_object *after = wire_json_get(spec, "after_accept");

	if (path) {
		const char *p = json_object_get_string(path);

		if (!json_object_is_type(path, json_type_string) || p[0] != '/' ||
		    strlen(p) >= sizeof(f->path) || strncasecmp(p, "/_sim", 5) == 0) {
			snprintf(err, errlen,
			         "path must be an RMail path such as \"/api/v1/Mail\"");
			return -1;
		}
		snprintf(f->path, sizeof(f->path), "%s", p);
	}
	snprintf(f->message, sizeof(f->message), "Simulated business failure.");
	if (msg) {
		if (!json_object_is_type(msg, json_type_string) ||
		    json_object_get_string_len(msg) >= (int)sizeof(f->message)) {
			snprintf(err, errlen, "message must be a string under %zu bytes",
			         sizeof(f->message));
			return -1;
		}
		snprintf(f->message, sizeof(f->message), "%s", json_object_get_string(msg));
	}
	if (after) {
		if (!json_object_is_type(after, json_type_boolean)) {
			snprintf(err, errlen, "after_accept must be true or false");
			return -1;
		}
		f->after_accept = json_object_get_boolean(after);
	}
	return 0;
}

static int spec_amount(json_object *spec, struct fault *f, char *err, size_t errlen)
{
	json_object *rate = wire_json_get(spec, "rate");

	f->count = -1;
	if (spec_long(spec, "count", 1, COUNT_MAX, &f->count, err, errlen) < 0)
		return -1;
	if (rate) {
		if (f->count != -1) {
			snprintf(err, errlen, "give count or rate, not both");
			return -1;
		}
		if (!json_object_is_type(rate, json_type_double) &&
		    !json_object_is_type(rate, json_type_int)) {
			snprintf(err, errlen, "rate must be a number from 0 to 1");
			return -1;
		}
		f->rate = json_object_get_double(rate);
		if (!(f->rate >= 0.0 && f->rate <= 1.0)) {
			snprintf(err, errlen, "rate must be a number from 0 to 1");
			return -1;
		}
	} else if (f->count == -1) {
		f->count = 1; /* neither given: the next call */
	}
	return 0;
}

int faults_add(struct faults *fs, json_object *spec, struct fault *added, char *err, size_t errlen)
{
	struct fault f = {0};
	long status = 500;
	int rc = -1;

	if (!json_object_is_type(spec, json_type_object)) {
		snprintf(err, errlen, "the body must be a JSON object");
		return -1;
	}
	f.latency_ms = 1000;
	f.retry_after = 1;
	if (spec_check_members(spec, err, errlen) < 0 || spec_kind(spec, &f, err, errlen) < 0 ||
	    spec_strings(spec, &f, err, errlen) < 0 || spec_amount(spec, &f, err, errlen) < 0 ||
	    spec_long(spec, "status", 200, 599, &status, err, errlen) < 0 ||
	    spec_long(spec, "latency_ms", 0, LATENCY_MAX_MS, &f.latency_ms, err, errlen) < 0 ||
	    spec_long(spec, "retry_after", 0, RETRY_AFTER_MAX, &f.retry_after, err, errlen) < 0)
		return -1;
	f.status = (int)status;
	if (f.kind == FAULT_STATUS && f.status < 400) {
		snprintf(err, errlen, "status must be between 400 and 599");
		return -1;
	}
	if (f.kind == FAULT_BUSINESS && !wire_json_get(spec, "status"))
		f.status = 200;
	if (f.kind == FAULT_BUSINESS && f.status != 200 && f.status != 400) {
		snprintf(err, errlen, "kind business answers status 200 or 400");
		return -1;
	}
	if (f.kind == FAULT_RAW && !wire_json_get(spec, "message")) {
		snprintf(err, errlen, "kind raw needs the body to answer as message");
		return -1;
	}
	if (f.kind == FAULT_STALE &&
	    strncasecmp(f.path, "/api/v1/Receipt/MessageStatus", 29) != 0 &&
	    strncasecmp(f.path, "/api/v1/MessageInfo", 19) != 0) {
		snprintf(err, errlen,
		         "kind stale needs path /api/v1/Receipt/MessageStatus or "
		         "/api/v1/MessageInfo");
		return -1;
	}
	if (f.after_accept && f.kind != FAULT_DROP && f.kind != FAULT_STATUS &&
	    f.kind != FAULT_HANG) {
		snprintf(err, errlen, "after_accept goes with kind drop, status or hang");
		return -1;
	}
	pthread_mutex_lock(&fs->lock);
	if (fs->n < FAULTS_MAX) {
		f.id = fs->next_id++;
		fs->rules[fs->n++] = f;
		rc = 0;
	}
	pthread_mutex_unlock(&fs->lock);
	if (rc < 0)
		snprintf(err, errlen, "too many fault rules (at most %d)", FAULTS_MAX);
	else if (added)
		*added = f;
	return rc;
}

/* A uniform draw in [0, 1) from the CSPRNG: rand() is not thread-safe nor allowed here. */
static double draw_unit(void)
{
	uint32_t x = 0;

	if (RAND_bytes((unsigned char *)&x, sizeof(x)) != 1)
		return 1.0; /* no randomness: never fire a rate rule */
	return (double)x / 4294967296.0;
}

bool faults_take(struct faults *fs, const char *path, bool is_mail_send, struct fault *out)
{
	bool hit = false;

	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->n && !hit; i++) {
		struct fault *f = &fs->rules[i];

		if (strncasecmp(path, f->path, strlen(f->path)) != 0)
			continue;
		if (f->after_accept && !is_mail_send)
			continue;
		if (f->count == -1) {
			if (draw_unit() >= f->rate)
				continue;
			*out = *f;
		} else {
			*out = *f;
			if (--f->count == 0) {
				memmove(f, f + 1, (fs->n - i - 1) * sizeof(*f));
				fs->n--;
			}
		}
		hit = true;
	}
	pthread_mutex_unlock(&fs->lock);
	return hit;
}

json_object *fault_json(const struct fault *f)
{
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_int64((int64_t)f->id));
	json_object_object_add(o, "kind", json_object_new_string(fault_kind_name(f->kind)));
	json_object_object_add(o, "path", json_object_new_string(f->path));
	if (f->count == -1)
		json_object_object_add(o, "rate", json_object_new_double(f->rate));
	else
		json_object_object_add(o, "count", json_object_new_int64(f->count));
	if (f->kind == FAULT_STATUS || f->kind == FAULT_RAW || f->kind == FAULT_BUSINESS)
		json_object_object_add(o, "status", json_object_new_int(f->status));
	if (f->kind == FAULT_LATENCY || f->kind == FAULT_STALE)
		json_object_object_add(o, "latency_ms", json_object_new_int64(f->latency_ms));
	if (f->kind == FAULT_RETRY_AFTER)
		json_object_object_add(o, "retry_after", json_object_new_int64(f->retry_after));
	if (f->kind == FAULT_BUSINESS || f->kind == FAULT_RAW)
		json_object_object_add(o, "message", json_object_new_string(f->message));
	json_object_object_add(o, "after_accept", json_object_new_boolean(f->after_accept));
	return o;
}

json_object *faults_json(struct faults *fs)
{
	json_object *arr = json_object_new_array();

	if (!arr)
		return NULL;
	pthread_mutex_lock(&fs->lock);
	for (size_t i = 0; i < fs->n; i++)
		json_object_array_add(arr, fault_json(&fs->rules[i]));
	pthread_mutex_unlock(&fs->lock);
	return arr;
}

size_t faults_clear(struct faults *fs)
{
	size_t n;

	pthread_mutex_lock(&fs->lock);
	n = fs->n;
	fs->n = 0;
	pthread_mutex_unlock(&fs->lock);
	return n;
}
