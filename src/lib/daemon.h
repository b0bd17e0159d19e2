/*
 * daemon.h - the one skeleton of scanpost's long-running programs
 * (scanpost-api, scanpost-sender, scanpost-ssod; DESIGN 1): command line,
 * configuration, logger, signals, threads and the exit status, written once.
 *
 *   static struct daemon d;
 *   static struct sp_config cfg;           (or a member of the program's state)
 *   int status;
 *   if (daemon_init(&d, "scanpost-x", argc, argv, usage, &cfg, &status) != 0)
 *           return status;                 (--help: 0; a bad config: 2)
 *   ... open sockets, load keys; on failure: daemon_fail(&d, "...") ...
 *   daemon_on_stop(&d, wake_everyone, &state);
 *   if (daemon_spawn(&d, "worker", worker_main, &w[i]) != 0) goto out;
 *   daemon_wait(&d);                       (SIGTERM or SIGINT)
 *   rc = 0;
 * out:
 *   daemon_stop(&d);                       (wakes, then joins what started)
 *   ... free ...
 *   return daemon_exit(&d, rc);
 *
 * Signals: daemon_init blocks SIGTERM, SIGINT and SIGHUP in the calling
 * thread before any thread exists, so every thread inherits the mask and
 * only daemon_wait takes them (sigwait); SIGPIPE is ignored (a peer that
 * hangs up is an error return, not a death).  SIGHUP calls the hook set
 * with daemon_on_reload, or else reloads the configuration (below).
 *
 * Configuration reload: the configuration a program started with stays in
 * cfg for what is set up once (sockets, threads, connections, keyrings).
 * What a request, a job or a janitor run reads it takes from a snapshot:
 * daemon_config_hold at its start, daemon_config_drop at its end.  SIGHUP
 * reads the file again (config_next): keys a running program may take
 * (CFG_RELOAD) come into a new snapshot that later holders get; the
 * others keep their running value and are logged as needing a restart; a
 * bad file changes nothing.  A request in flight keeps the snapshot it
 * started with, so a reload never waits for an upload nor drops one.
 *
 * Threads: daemon_spawn records each thread that started; daemon_stop calls
 * the stop hook once and then joins exactly those, so a start that fails
 * half way never joins a thread that never ran.  Exit status: 0 after a
 * clean stop, 1 when the start failed (daemon_fail says why on stderr and
 * in the log), 2 for a bad configuration.
 */
#ifndef SCANPOST_DAEMON_H
#define SCANPOST_DAEMON_H

#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"

typedef void (*daemon_hook)(void *arg);

struct daemon {
	const char *name;      /* "scanpost-api": the log component, the stderr prefix */
	char instance[128];    /* instance_name, or "host/name": see daemon_instance */
	struct sp_config *cfg; /* the program's, loaded by daemon_init, freed by daemon_exit */
	sigset_t signals;
	pthread_t *threads; /* the threads that started, in order */
	size_t nthreads, cap;
	daemon_hook stop_fn, reload_fn;
	void *stop_arg, *reload_arg;
	int stopped;
	const char *cfg_path;         /* the file SIGHUP reads again (NULL: none) */
	pthread_mutex_t snap_mu;      /* guards snap and the snapshots' counts */
	struct daemon_snapshot *snap; /* what daemon_config_hold hands out */
};

/* Reads -h/--help (prints usage, *status = 0) and -c FILE, loads the
 * configuration into cfg (a bad one: message on stderr, *status = 2),
 * starts the logger and blocks the signals.  Returns 0 to go on, or -1 to
 * return *status from main. */
int daemon_init(struct daemon *d, const char *name, int argc, char **argv, void (*usage)(FILE *out),
                struct sp_config *cfg, int *status);

/* This process's identity among several of its program (README, Several
 * instances): instance_name, or "<host name>/<program>" when that is empty.
 * It is on every log line; the api puts it on its metrics, the sender in
 * its job leases.  Valid from daemon_init to the end of the program. */
const char *daemon_instance(const struct daemon *d);

/* Why the start failed: "name: message" on stderr and a `start_failed`
 * error line in the log. */
void daemon_fail(struct daemon *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What stops the threads (close a socket, set a flag, broadcast a
 * condition); called once by daemon_stop, before the joins. */
void daemon_on_stop(struct daemon *d, daemon_hook fn, void *arg);
/* What SIGHUP does; without it SIGHUP is logged and ignored. */
void daemon_on_reload(struct daemon *d, daemon_hook fn, void *arg);

/* The current configuration snapshot, held until daemon_config_drop. */
const struct sp_config *daemon_config_hold(struct daemon *d);
void daemon_config_drop(struct daemon *d, const struct sp_config *cfg);

/* What SIGHUP does without a hook: the reload described above, logged as
 * `config_reloaded` (applied, restart_needed) or `config_reload_failed`.
 * 0, or -1 when the file was refused. */
int daemon_reload_config(struct daemon *d);

/* Starts a thread running fn(arg), recorded for daemon_stop.  0, or -1
 * after daemon_fail (naming `what`). */
int daemon_spawn(struct daemon *d, const char *what, void *(*fn)(void *), void *arg);

/* Waits for SIGTERM or SIGINT (serving SIGHUP meanwhile) and logs
 * `stopping`.  Returns the signal.  (The program logs its own `started`
 * line, with what it listens on.) */
int daemon_wait(struct daemon *d);

/* Calls the stop hook (once) and joins every thread that started. */
void daemon_stop(struct daemon *d);

/* A listening unix socket at path (a stale one is replaced), mode 0660
 * from the start: the program and its peer (nginx, scanpost-api) share a
 * group, nobody else may connect.  The fd, or -1 with errno. */
int daemon_listen_unix(const char *path, int backlog);

/* Stops if not yet stopped, frees the configuration, logs `stopped` when
 * status is 0; returns status for main. */
int daemon_exit(struct daemon *d, int status);

#endif
