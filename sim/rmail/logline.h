/*
 * logline.h - rmail-sim's log: one JSON object per line on stderr
 * ({"time", "level", "component":"rmail-sim", "event", ...}), the shape of
 * every scanpost log (DESIGN.md 3.7). Never given a password or token.
 * Thread-safe: each line is one stdio call.
 */
#ifndef RMAIL_SIM_LOGLINE_H
#define RMAIL_SIM_LOGLINE_H

/* An event with a free-text message (may be NULL). level: "info", "warn", "error". */
void log_event(const char *level, const char *event, const char *message);

/*
 * One served request. status 0 means no answer was sent (a dropped or hung
 * connection); fault names the fault rule applied, or NULL.
 */
void log_request(const char *method, const char *path, int status, long duration_ms,
                 const char *fault);

#endif
