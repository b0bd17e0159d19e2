/*
 * logline.c - JSON lines on stderr (see logline.h).
 */
#include "logline.h"
#include "wire.h"

#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <json.h>

#define LOG_PATH_MAX 512

static json_object *log_start(const char *level, const char *event)
{
	json_object *o = json_object_new_object();
	struct timeval tv;
	char when[40], stamp[48];

	if (!o)
		return NULL;
	gettimeofday(&tv, NULL);
	wire_format_iso8601(tv.tv_sec, when, sizeof(when));
	/* "2024-11-26T08:01:00Z" -> "2024-11-26T08:01:00.123Z" */
	snprintf(stamp, sizeof(stamp), "%.19s.%03ldZ", when, (long)(tv.tv_usec / 1000));
	json_object_object_add(o, "time", json_object_new_string(stamp));
	json_object_object_add(o, "level", json_object_new_string(level));
	json_object_object_add(o, "component", json_object_new_string("rmail-sim"));
	json_object_object_add(o, "event", json_object_new_string(event));
	return o;
}

static void log_finish(json_object *o)
{
	const char *text;

	if (!o)
		return;
	text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
	                                             JSON_C_TO_STRING_NOSLASHESCAPE);
	if (text)
		fprintf(stderr, "%s\n", text);
	json_object_put(o);
}

void log_event(const char *level, const char *event, const char *message)
{
	json_object *o = log_start(level, event);

	if (o && message)
		json_object_object_add(o, "message", json_object_new_string(message));
	log_finish(o);
}

void log_request(const char *method, const char *path, int status, long duration_ms,
                 const char *fault)
{
	json_object *o = log_start(status >= 500 || status == 0 ? "warn" : "info", "request");

	if (!o)
		return;
	json_object_object_add(o, "method", json_object_new_string(method));
	/* The path is client text: json-c escapes it; the length is capped. */
	json_object_object_add(o, "path",
	                       json_object_new_string_len(path, (int)strnlen(path, LOG_PATH_MAX)));
	json_object_object_add(o, "status", status ? json_object_new_int(status) : NULL);
	json_object_object_add(o, "duration_ms", json_object_new_int64(duration_ms));
	if (fault)
		json_object_object_add(o, "fault", json_object_new_string(fault));
	log_finish(o);
}
