/*
 * log.c - one JSON object per line on stderr; json-c does the escaping, so
 * no field can break the line or forge another one.
 */
#include "log.h"

#include <json-c/json.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *component = "scanpost";
/* Read by every thread; a configuration reload may change it. */
static atomic_int min_level = LOG_INFO;
static _Thread_local char request_id[64];
/* Set once at start, before any thread but the main one exists. */
static char instance_name[128];

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(const char *level)
{
	for (int i = LOG_DEBUG; i <= LOG_ERROR; i++)
		if (level && strcmp(level, level_names[i]) == 0)
			atomic_store_explicit(&min_level, i, memory_order_relaxed);
}

void log_init(const char *name, const char *level)
{
	component = name;
	log_set_level(level);
}

void log_set_instance(const char *instance)
{
	snprintf(instance_name, sizeof(instance_name), "%s", instance ? instance : "");
}

void log_set_request_id(const char *rid)
{
	if (rid == NULL)
		request_id[0] = '\0';
	else
		snprintf(request_id, sizeof(request_id), "%s", rid);
}

void sp_log(enum log_level level, const char *event, ...)
{
	struct json_object *o;
	struct timespec ts;
	struct tm tm;
	char when[40];
	const char *key;
	va_list ap;

	if ((int)level < atomic_load_explicit(&min_level, memory_order_relaxed))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t wn = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + wn, sizeof(when) - wn, ".%03dZ", (int)(ts.tv_nsec / 1000000) % 1000);

	if ((o = json_object_new_object()) == NULL)
		return;
	json_object_object_add(o, "time", json_object_new_string(when));
	json_object_object_add(o, "level", json_object_new_string(level_names[level]));
	json_object_object_add(o, "component", json_object_new_string(component));
	if (instance_name[0])
		json_object_object_add(o, "instance", json_object_new_string(instance_name));
	json_object_object_add(o, "event", json_object_new_string(event));
	if (request_id[0])
		json_object_object_add(o, "request_id", json_object_new_string(request_id));

	va_start(ap, event);
	while ((key = va_arg(ap, const char *)) != NULL) {
		if (key[0] == '%') {
			long long n = va_arg(ap, long long);
			json_object_object_add(o, key + 1, json_object_new_int64(n));
		} else {
			const char *v = va_arg(ap, const char *);
			if (v != NULL)
				json_object_object_add(o, key, json_object_new_string(v));
		}
	}
	va_end(ap);

	/* One fputs per line: stdio locks the stream, so threads do not interleave. */
	flockfile(stderr);
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                            JSON_C_TO_STRING_NOSLASHESCAPE),
	      stderr);
	fputc('\n', stderr);
	funlockfile(stderr);
	fflush(stderr);
	json_object_put(o);
}
