/*
 * log.h - JSON lines on stderr (DESIGN 3.7).
 *
 * Every line: {"time","level","component","instance","event", fields...,
 * "request_id"?}; "instance" tells apart several processes of one program
 * (daemon_init sets it from instance_name; absent until then).
 * Fields are given as key/value pairs ending with NULL.  A plain key takes a
 * `const char *` value (NULL values are skipped); a key that begins with '%'
 * takes a `long long` (use LOG_NUM(x)), written as a JSON number without the
 * '%'.  Never pass a password, token, key, document byte or message body.
 *
 *   sp_log(LOG_INFO, "signin_ok", "user", user, "%duration_ms", LOG_NUM(ms), NULL);
 */
#ifndef SCANPOST_LOG_H
#define SCANPOST_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_NUM(x) ((long long)(x))

/* Sets the component name and least level ("debug".."error") for the process. */
void log_init(const char *component, const char *level);
/* The instance name put on every line from now on (copied; NULL: none). */
void log_set_instance(const char *instance);
/* Only the least level, as a running program may change it (SIGHUP). */
void log_set_level(const char *level);
/* The request id of the calling thread, added to each of its lines (NULL clears). */
void log_set_request_id(const char *rid);
void sp_log(enum log_level level, const char *event, ...);

#endif
