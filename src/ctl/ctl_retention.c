/*
 * ctl_retention.c - `scanpostctl retention` and `scanpostctl audit`: data
 * that does not pile up (issue 13).  `retention run` (a daily timer)
 * applies the retention_* keep periods through the lifecycle; audit events
 * are first written to a new JSON-lines file under audit_export_dir, made
 * durable, and only then deleted.  `audit export` writes them out without
 * deleting anything.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "lifecycle.h"
#include "log.h"

#define EXPORT_MAX_DAYS 36500

/* A JSON-lines file written through stdio and made durable at done(). */
struct export_file {
	FILE *f;
	int dirfd;       /* the folder, fsync'd after the file; -1 for stdout */
	char path[4096]; /* the file, unlinked when the export fails */
	int failed;
};

static int export_line(void *ctx, const char *json, size_t len)
{
	struct export_file *e = ctx;

	if (fwrite(json, 1, len, e->f) != len || fputc('\n', e->f) == EOF) {
		e->failed = 1;
		return -1;
	}
	return 0;
}

static int export_done(void *ctx)
{
	struct export_file *e = ctx;

	if (fflush(e->f) != 0 || (e->dirfd >= 0 && fsync(fileno(e->f)) != 0) ||
	    (e->dirfd >= 0 && fsync(e->dirfd) != 0)) {
		e->failed = 1;
		return -1;
	}
	return 0;
}

/* A new file audit-<UTC time>.jsonl in dir, never an existing one or a
 * link: 0, or -1 (printed). */
static int export_open(struct export_file *e, const char *dir)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	int fd;

	memset(e, 0, sizeof(*e));
	e->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (e->dirfd < 0) {
		ctl_error("audit_export_dir %s: %s", dir, strerror(errno));
		return -1;
	}
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	/* The process id too: two runs in one second get two files, and
	 * O_EXCL still refuses to write into any file that exists. */
	snprintf(e->path, sizeof(e->path), "%s/audit-%s-%ld.jsonl", dir, stamp, (long)getpid());
	fd = openat(e->dirfd, strrchr(e->path, '/') + 1,
	            O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd < 0 || (e->f = fdopen(fd, "w")) == NULL) {
		ctl_error("audit export %s: %s", e->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		close(e->dirfd);
		return -1;
	}
	return 0;
}

/* Closes the file; removes it when it holds nothing kept (failed, or no
 * event was due).  Returns whether it was kept. */
static int export_close(struct export_file *e, long written)
{
	int keep = !e->failed && written > 0;

	if (e->f != NULL && e->f != stdout && fclose(e->f) != 0)
		keep = 0;
	if (e->dirfd >= 0) {
		if (!keep)
			unlinkat(e->dirfd, strrchr(e->path, '/') + 1, 0);
		close(e->dirfd);
	}
	return keep;
}

static int parse_days(const char *s, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(s, &end, 10);
	return errno != 0 || end == s || *end != '\0' || *out < 0 || *out > EXPORT_MAX_DAYS ? -1
	                                                                                    : 0;
}

static int retention_run(struct ctl *c, int argc, char **argv)
{
	struct lc_who who = {c->actor, NULL, NULL};
	struct lc_retention keep = {c->cfg.retention_jobs_days, c->cfg.retention_sessions_days,
	                            c->cfg.retention_audit_days};
	struct lc_retention_counts n;
	struct export_file e;
	struct lc_audit_sink sink = {export_line, export_done, &e};
	int dry_run = argc == 1 && strcmp(argv[0], "--dry-run") == 0;
	enum lc_result rc;
	int kept;

	if (argc > 1 || (argc == 1 && !dry_run)) {
		ctl_error("usage: scanpostctl retention run [--dry-run]");
		return CTL_USAGE;
	}
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	memset(&e, 0, sizeof(e));
	e.dirfd = -1;
	if (!dry_run && keep.audit_days > 0 && export_open(&e, c->cfg.audit_export_dir) != 0)
		return CTL_FAIL;
	rc = lifecycle_retention(c->db, &keep, dry_run, &sink, &who, &n);
	kept = dry_run || keep.audit_days == 0 ? 0 : export_close(&e, n.audit);
	if (rc != LC_OK) {
		ctl_error("retention: %s%s%s", lifecycle_strerror(rc),
		          rc == LC_DB_ERROR ? ": " : "", rc == LC_DB_ERROR ? db_error(c->db) : "");
		return CTL_FAIL;
	}
	printf("%s finished jobs older than %ld days: %ld\n", dry_run ? "due" : "deleted",
	       keep.job_days, n.jobs);
	printf("%s ended sessions older than %ld days: %ld\n", dry_run ? "due" : "deleted",
	       keep.session_days, n.sessions);
	printf("%s audit events older than %ld days: %ld%s%s\n", dry_run ? "due" : "deleted",
	       keep.audit_days, n.audit, kept ? ", written first to " : "", kept ? e.path : "");
	if (!dry_run)
		sp_log(LOG_INFO, "retention_run", "%jobs", LOG_NUM(n.jobs), "%sessions",
		       LOG_NUM(n.sessions), "%audit_events", LOG_NUM(n.audit), NULL);
	return CTL_OK;
}

static int audit_export(struct ctl *c, int argc, char **argv)
{
	struct export_file e;
	struct lc_audit_sink sink = {export_line, export_done, &e};
	const char *out = NULL;
	long days = 0, count = 0;
	int rc;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--older-than") == 0 && i + 1 < argc) {
			if (parse_days(argv[++i], &days) != 0) {
				ctl_error(
				    "audit export: --older-than must be a number of days from 0 "
				    "to %d",
				    EXPORT_MAX_DAYS);
				return CTL_USAGE;
			}
		} else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
			out = argv[++i];
		} else {
			ctl_error(
			    "usage: scanpostctl audit export [--older-than DAYS] [--out DIR]");
			return CTL_USAGE;
		}
	}
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	memset(&e, 0, sizeof(e));
	e.dirfd = -1;
	if (out == NULL)
		e.f = stdout;
	else if (export_open(&e, out) != 0)
		return CTL_FAIL;
	rc = lifecycle_audit_write(c->db, days, &sink, &count);
	if (out != NULL && export_close(&e, count))
		fprintf(stderr, "scanpostctl: %ld audit events written to %s\n", count, e.path);
	if (rc != 0) {
		ctl_error("audit export: %s",
		          rc == -1 ? db_error(c->db) : "the events could not be written");
		return CTL_FAIL;
	}
	return CTL_OK;
}

int ctl_retention(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "run") == 0)
		return retention_run(c, argc - 2, argv + 2);
	ctl_error("usage: scanpostctl retention run [--dry-run]");
	return CTL_USAGE;
}

void ctl_retention_usage(FILE *out)
{
	ctl_usage_line(out, "retention run [--dry-run]",
	               "delete what the retention_* keep periods say (audit events written to "
	               "audit_export_dir first); --dry-run counts what is due");
}

int ctl_audit(struct ctl *c, int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "export") == 0)
		return audit_export(c, argc - 2, argv + 2);
	ctl_error("usage: scanpostctl audit export [--older-than DAYS] [--out DIR]");
	return CTL_USAGE;
}

void ctl_audit_usage(FILE *out)
{
	ctl_usage_line(out, "audit export [--older-than DAYS] [--out DIR]",
	               "audit events as JSON lines, on stdout or to a new file in DIR; "
	               "nothing deleted");
}
