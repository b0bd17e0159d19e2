/*
 * rmail_stub.h - a scripted RMail answerer for the middle test tier: an
 * HTTPS server (libmicrohttpd, the run's throw-away certificate) in the
 * test process, on an ephemeral loopback port.
 *
 * It is no simulator: it checks nothing and answers what the test scripts,
 * so a test can give src/lib/rmail.c and src/sender/sendjob.c exactly the
 * answer whose handling it pins (a status, a body, a Retry-After, a
 * TrackingId with quotes).  Unscripted calls get a plain success in the
 * shape of RPost's REST answers (DESIGN 3.2).  It records what it was
 * sent: per path the number of calls, and for api/Upload the bytes and the
 * SHA-256 of the file part.
 */
#ifndef SCANPOST_RMAIL_STUB_H
#define SCANPOST_RMAIL_STUB_H

#include <stddef.h>

/* Starts the stub; 0, or -1 (printed).  One per process. */
int stub_start(void);
void stub_stop(void);
/* "https://127.0.0.1:<port>" */
const char *stub_url(void);
/* The CA file that verifies it. */
const char *stub_ca(void);

/* The next `times` calls whose path ends with path_suffix (case-blind)
 * get status and body (a JSON text), with Retry-After when retry_after >= 0.
 * times < 0: every call from now on.  Scripts are matched in order. */
void stub_script(const char *path_suffix, int times, int status, const char *body,
                 long retry_after);
/* The next `times` calls whose path ends with path_suffix get no answer:
 * the stub closes their connection as soon as their headers are in
 * (STUB_DROP_AT_HEADERS: the call is not counted, no whole request came),
 * or after reading the whole request (STUB_DROP_AFTER_BODY: counted, and
 * a Mail recorded, as one RMail may have taken). */
#define STUB_DROP_AT_HEADERS 1
#define STUB_DROP_AFTER_BODY 2
void stub_drop(const char *path_suffix, int times, int when);
/* Runs fn(arg) once, in the stub's thread, when the next call whose path
 * ends with path_suffix arrives: its headers are in, its body not yet
 * read.  A test's way to break something while a transfer is under way.
 * stub_reset forgets it. */
void stub_on_call(const char *path_suffix, void (*fn)(void *), void *arg);
/* Forgets scripts and records. */
void stub_reset(void);

/* Calls whose path ends with path_suffix. */
int stub_calls(const char *path_suffix);
/* Of those, the calls that came on a connection an earlier call had used. */
int stub_kept_calls(const char *path_suffix);
/* The last api/Upload: bytes of the file part and its SHA-256 (hex). */
size_t stub_last_upload_bytes(void);
const char *stub_last_upload_sha256(void);
/* The body of the last api/v1/Mail, NUL-terminated (a copy, malloc'd). */
char *stub_last_mail(void);

#endif
