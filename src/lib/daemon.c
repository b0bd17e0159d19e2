/*
 * daemon.c - the skeleton of the long-running programs (see daemon.h).
 */
#include "daemon.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"

struct daemon_snapshot {
	struct sp_config cfg; /* first: a held config is its snapshot */
	long holders;         /* the daemon's own reference counts as one */
};

static struct daemon_snapshot *snapshot_of(const struct sp_config *cfg)
{
	return (struct daemon_snapshot *)(void *)cfg;
}

/* Called with snap_mu held. */
static void snapshot_release(struct daemon_snapshot *s)
{
	if (s != NULL && --s->holders == 0) {
		config_free(&s->cfg);
		free(s);
	}
}

static struct daemon_snapshot *snapshot_new(void)
{
	struct daemon_snapshot *s = calloc(1, sizeof(*s));

	if (s != NULL)
		s->holders = 1;
	return s;
}

/* Letters, digits and . _ - : @ /: safe in a JSON string, a Prometheus
 * label value and the jobs table's lease_owner without any escaping. */
static int instance_name_ok(const char *s)
{
	if (s[0] == '\0')
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && strchr("._-:@/", *s) == NULL)
			return 0;
	return 1;
}

/* d->instance from cfg->instance_name, or host name/program.  0, or -1
 * when the configured name has other characters or is too long. */
static int instance_resolve(struct daemon *d, const struct sp_config *cfg)
{
	char host[64] = "localhost";

	if (cfg->instance_name[0] != '\0') {
		if (strlen(cfg->instance_name) >= sizeof(d->instance) ||
		    !instance_name_ok(cfg->instance_name))
			return -1;
		snprintf(d->instance, sizeof(d->instance), "%s", cfg->instance_name);
		return 0;
	}
	if (gethostname(host, sizeof(host)) != 0)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(d->instance, sizeof(d->instance), "%s/%s", host, d->name);
	return 0;
}

const char *daemon_instance(const struct daemon *d)
{
	return d->instance;
}

int daemon_init(struct daemon *d, const char *name, int argc, char **argv, void (*usage)(FILE *out),
                struct sp_config *cfg, int *status)
{
	char err[512];

	memset(d, 0, sizeof(*d));
	d->name = name;
	d->cfg = cfg;
	pthread_mutex_init(&d->snap_mu, NULL);
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			usage(stdout);
			*status = 0;
			return -1;
		}
	if (config_load(cfg, config_path_from_args(argc, argv), err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: %s\n", name, err);
		config_free(cfg);
		*status = 2;
		return -1;
	}
	if (instance_resolve(d, cfg) != 0) {
		fprintf(stderr,
		        "%s: instance_name must be at most %zu letters, digits or . _ - : @ /\n",
		        name, sizeof(d->instance) - 1);
		config_free(cfg);
		*status = 2;
		return -1;
	}
	log_init(name, cfg->log_level);
	log_set_instance(d->instance);
	d->cfg_path = config_path_from_args(argc, argv);
	if ((d->snap = snapshot_new()) == NULL || config_copy(&d->snap->cfg, cfg) != 0) {
		fprintf(stderr, "%s: out of memory\n", name);
		free(d->snap);
		d->snap = NULL;
		config_free(cfg);
		*status = 1;
		return -1;
	}
	/* Before any thread exists: they all inherit the mask, and only
	 * daemon_wait takes these signals. */
	sigemptyset(&d->signals);
	sigaddset(&d->signals, SIGTERM);
	sigaddset(&d->signals, SIGINT);
	sigaddset(&d->signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &d->signals, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void daemon_fail(struct daemon *d, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", d->name, msg);
	sp_log(LOG_ERROR, "start_failed", "reason", msg, NULL);
}

void daemon_on_stop(struct daemon *d, daemon_hook fn, void *arg)
{
	d->stop_fn = fn;
	d->stop_arg = arg;
}

void daemon_on_reload(struct daemon *d, daemon_hook fn, void *arg)
{
	d->reload_fn = fn;
	d->reload_arg = arg;
}

int daemon_spawn(struct daemon *d, const char *what, void *(*fn)(void *), void *arg)
{
	int e;

	if (d->nthreads == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		pthread_t *grown = realloc(d->threads, cap * sizeof(*grown));

		if (grown == NULL) {
			daemon_fail(d, "%s thread: out of memory", what);
			return -1;
		}
		d->threads = grown;
		d->cap = cap;
	}
	if ((e = pthread_create(&d->threads[d->nthreads], NULL, fn, arg)) != 0) {
		daemon_fail(d, "cannot start a %s thread: %s", what, strerror(e));
		return -1;
	}
	d->nthreads++;
	return 0;
}

const struct sp_config *daemon_config_hold(struct daemon *d)
{
	struct daemon_snapshot *s;

	pthread_mutex_lock(&d->snap_mu);
	s = d->snap;
	s->holders++;
	pthread_mutex_unlock(&d->snap_mu);
	return &s->cfg;
}

void daemon_config_drop(struct daemon *d, const struct sp_config *cfg)
{
	if (cfg == NULL)
		return;
	pthread_mutex_lock(&d->snap_mu);
	snapshot_release(snapshot_of(cfg));
	pthread_mutex_unlock(&d->snap_mu);
}

int daemon_reload_config(struct daemon *d)
{
	char err[512], applied[1024], restart[1024];
	const struct sp_config *cur = daemon_config_hold(d);
	struct daemon_snapshot *next = snapshot_new(), *old;
	int rc = -1;

	if (next == NULL) {
		sp_log(LOG_ERROR, "config_reload_failed", "reason", "out of memory", NULL);
	} else if (config_next(cur, d->cfg_path, &next->cfg, applied, sizeof(applied), restart,
	                       sizeof(restart), err, sizeof(err)) != 0) {
		sp_log(LOG_ERROR, "config_reload_failed", "reason", err, "kept",
		       "the running configuration", NULL);
		free(next);
	} else {
		log_set_level(next->cfg.log_level);
		pthread_mutex_lock(&d->snap_mu);
		old = d->snap;
		d->snap = next;
		snapshot_release(old);
		pthread_mutex_unlock(&d->snap_mu);
		sp_log(LOG_INFO, "config_reloaded", "applied",
		       applied[0] ? applied : "nothing changed", "restart_needed",
		       restart[0] ? restart : "none", NULL);
		rc = 0;
	}
	daemon_config_drop(d, cur);
	return rc;
}

static const char *signal_name(int sig)
{
	return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "SIGHUP";
}

int daemon_wait(struct daemon *d)
{
	int sig = 0;

	for (;;) {
		if (sigwait(&d->signals, &sig) != 0)
			continue;
		if (sig != SIGHUP)
			break;
		if (d->reload_fn)
			d->reload_fn(d->reload_arg);
		else
			daemon_reload_config(d);
	}
	sp_log(LOG_INFO, "stopping", "signal", signal_name(sig), NULL);
	return sig;
}

void daemon_stop(struct daemon *d)
{
	if (d->stopped)
		return;
	d->stopped = 1;
	if (d->stop_fn)
		d->stop_fn(d->stop_arg);
	for (size_t i = 0; i < d->nthreads; i++)
		pthread_join(d->threads[i], NULL);
	free(d->threads);
	d->threads = NULL;
	d->nthreads = d->cap = 0;
}

int daemon_exit(struct daemon *d, int status)
{
	daemon_stop(d);
	config_free(d->cfg);
	pthread_mutex_lock(&d->snap_mu);
	snapshot_release(d->snap);
	d->snap = NULL;
	pthread_mutex_unlock(&d->snap_mu);
	if (status == 0)
		sp_log(LOG_INFO, "stopped", NULL);
	return status;
}

int daemon_listen_unix(const char *path, int backlog)
{
	struct sockaddr_un sa;
	mode_t old;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	unlink(path);
	/* Created 0660 from the start: nobody outside the group may connect,
	 * not even between bind and chmod. */
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, backlog) != 0) {
		int e = errno;

		umask(old);
		close(fd);
		errno = e;
		return -1;
	}
	umask(old);
	chmod(path, 0660);
	return fd;
}
