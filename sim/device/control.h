/*
 * control.h - the simulator's own control API, JSON over HTTP on the same
 * server, under /_sim/ (never on a real device):
 *
 *   GET  /_sim/state   device identity, logged-in user, knobs, templates
 *                      {name, checksum, bytes}, jobs {id, template, state,
 *                      reasons[], images_scanned, images_total,
 *                      files[{name, bytes, uploaded}], filing[{operation,
 *                      dest_dir, dest_name, answer}] (the filing sequence as
 *                      run, filer.h), error}, newest first
 *   POST /_sim/config  any of {pages: 1..100, page_delay_ms: 0..60000,
 *                      jam_after_page: n|null, cancel_after_page: n|null,
 *                      abort_after_page: n|0|null,
 *                      next_original_after_page: n|0|null,
 *                      completed_early_polls: 0..100,
 *                      family: "altalink"|"versalink",
 *                      auto_size_fails: bool, user: "name"|null (any
 *                      spelling of "guest" is nobody, reported as spelled),
 *                      user_email: "addr", canvas: "800x480"|"1024x600"};
 *                      answers the new state.  An unknown key or a bad value
 *                      is a 400 and changes nothing.  Knobs apply to jobs
 *                      started afterwards (family's model at once).
 *   POST /_sim/cancel  Stop pressed: cancels running jobs -> {"canceled": n}
 *   POST /_sim/panel   {"button": "start"|"done"} for the job waiting for
 *                      its next original -> {"pressed": 1}; 409 when none
 *                      waits
 *   POST /_sim/reset   cancels jobs, forgets templates and jobs, restores the
 *                      knobs and the command line's user and canvas -> 200
 *
 * Errors are {"error": {"code", "message"}} with 400, 404, 405, 409 or 413.
 */
#ifndef DEVICE_SIM_CONTROL_H
#define DEVICE_SIM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"

#define CONTROL_MAX_BODY 65536

/* True for paths under /_sim/. */
bool control_is_path(const char *path);

/* Handles one request.  *out gets a malloc'd JSON text the caller frees (or
 * NULL when out of memory: answer 500).  Returns the HTTP status. */
int control_handle(struct device *d, const char *method, const char *path, const char *body,
                   size_t len, char **out);

#endif
