/*
 * h_preview.c - GET /api/v1/jobs/{id}/preview: the pages of an uploaded
 * job, before it is submitted (README, "Preview before sending").
 *
 * The document is read and decrypted here through the same docstore
 * reader the sender uses (docr_open_preview / docr_read: only the owner's
 * job before its submit, sql/013) and streamed, a chunk at
 * a time, into a scanpost-preview process that holds no key and no
 * database connection and has sandboxed itself (src/preview/).  Its answer
 * (src/lib/preview_wire.h) is parsed against fixed bounds; anything wrong
 * with it -- a crash, a kill, a timeout, a malformed answer -- is "no
 * preview" (422 no_preview), never more.  At most preview_concurrency
 * renderers run at once in this process: beyond, 503 with Retry-After.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "docstore.h"
#include "filingstore.h"
#include "jobs.h"
#include "jobs_api.h"
#include "log.h"
#include "preview_wire.h"

/* The job log normally arrives before the weblet asks; a slow link gets
 * this much longer, as submit waits (h_jobs.c). */
#define PREVIEW_JOB_LOG_WAIT_MS 15000
#define PREVIEW_CHUNK           65536
#define PREVIEW_RETRY_AFTER     "Retry-After: 2\r\n"

/* Renderers running in this process. */
static pthread_mutex_t slots_lock = PTHREAD_MUTEX_INITIALIZER;
static long slots_used;

static int slot_take(long max)
{
	int ok;

	pthread_mutex_lock(&slots_lock);
	ok = slots_used < max;
	if (ok)
		slots_used++;
	pthread_mutex_unlock(&slots_lock);
	return ok;
}

static void slot_give(void)
{
	pthread_mutex_lock(&slots_lock);
	slots_used--;
	pthread_mutex_unlock(&slots_lock);
}

/* Why a file has no preview, for the log (never shown with detail). */
enum render_fail {
	RF_NONE,
	RF_SPAWN,     /* the renderer could not be started */
	RF_DOCUMENT,  /* the document could not be read (database, integrity) */
	RF_TIMEOUT,   /* killed at preview_timeout */
	RF_OVERSIZE,  /* answered more than PREVIEW_OUT_MAX bytes */
	RF_DIED,      /* ended by a signal (CPU limit, seccomp, a crash) or exit != 0 */
	RF_MALFORMED, /* its answer did not parse */
	RF_REFUSED,   /* it answered a status other than ok */
};

static const char *const fail_names[] = {
    [RF_NONE] = "none",           [RF_SPAWN] = "spawn_failed", [RF_DOCUMENT] = "document_error",
    [RF_TIMEOUT] = "timeout",     [RF_OVERSIZE] = "oversize",  [RF_DIED] = "renderer_died",
    [RF_MALFORMED] = "malformed", [RF_REFUSED] = "refused",
};

struct render_job {
	const struct sp_config *cfg;
	struct doc_reader *reader;
	int render_pages; /* pages to render, 0..PREVIEW_MAX_PAGES */
	uint8_t *out;     /* the answer, PREVIEW_OUT_MAX + 1 bytes */
	size_t out_len;
	int wstatus;
};

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms =
	    (deadline->tv_sec - now.tv_sec) * 1000 + (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms < 0 ? 0 : ms;
}

static pid_t renderer_start(const struct render_job *j, int *to_child, int *from_child)
{
	char cpu[24], mem[24], max[24], pages[8];
	char *argv[] = {
	    j->cfg->preview_renderer, "--cpu", cpu, "--memory-mb", mem, "--max-bytes", max,
	    "--render-pages",         pages,   NULL};
	char *envp[] = {NULL}; /* nothing of ours: no config, no paths, no locale */
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dflt;
	pid_t pid = -1;

	snprintf(cpu, sizeof(cpu), "%ld", j->cfg->preview_timeout);
	snprintf(mem, sizeof(mem), "%ld", j->cfg->preview_memory_mb);
	snprintf(max, sizeof(max), "%ld", j->cfg->preview_max_bytes);
	snprintf(pages, sizeof(pages), "%d", j->render_pages);
	/* O_CLOEXEC: a renderer another worker starts meanwhile must not
	 * inherit this one's pipes (it would hold our stdin open). */
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
		goto fail;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	/* poppler and libtiff talk about broken files on stderr: not our log. */
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dflt);
	sigaddset(&dflt, SIGPIPE);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dflt);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	if (posix_spawn(&pid, argv[0], &fa, &at, argv, envp) != 0)
		pid = -1;
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (pid < 0)
		goto fail;
	close(in[0]);
	close(out[1]);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	*to_child = in[1];
	*from_child = out[0];
	return pid;
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (out[i] >= 0)
			close(out[i]);
	}
	return -1;
}

/* Waits for pid until the deadline, then kills it; *wstatus as waitpid's. */
static int renderer_reap(pid_t pid, const struct timespec *deadline, int *wstatus)
{
	const struct timespec nap = {0, 10 * 1000000L};
	int killed = 0;

	for (;;) {
		pid_t w = waitpid(pid, wstatus, killed ? 0 : WNOHANG);
		if (w == pid)
			return killed;
		if (w < 0 && errno != EINTR)
			return killed;
		if (!killed && ms_left(deadline) == 0) {
			kill(pid, SIGKILL);
			killed = 1;
			continue;
		}
		nanosleep(&nap, NULL);
	}
}

/* Feeds the document, collects the answer: both at once through poll, so
 * neither side can block the other, all within preview_timeout. */
static enum render_fail render_file(struct render_job *j)
{
	uint8_t *chunk = malloc(PREVIEW_CHUNK);
	size_t pend = 0, sent = 0;
	int to = -1, from = -1, doc_failed = 0, oversize = 0, timed_out;
	struct timespec deadline;
	enum render_fail rf = RF_NONE;
	pid_t pid;

	j->out_len = 0;
	if (chunk == NULL)
		return RF_SPAWN;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += j->cfg->preview_timeout;
	if ((pid = renderer_start(j, &to, &from)) < 0) {
		free(chunk);
		return RF_SPAWN;
	}
	while (from >= 0 && ms_left(&deadline) > 0) {
		struct pollfd p[2] = {{from, POLLIN, 0}, {to, POLLOUT, 0}};
		int np = to >= 0 ? 2 : 1;

		if (poll(p, (nfds_t)np, (int)ms_left(&deadline)) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (np == 2 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			if (sent == pend) {
				long n = docr_read(j->reader, chunk, PREVIEW_CHUNK);
				if (n < 0)
					doc_failed = 1;
				if (n <= 0) {
					close(to); /* end of the document */
					to = -1;
					continue;
				}
				pend = (size_t)n;
				sent = 0;
			}
			ssize_t w = write(to, chunk + sent, pend - sent);
			if (w > 0) {
				sent += (size_t)w;
			} else if (w < 0 && errno != EAGAIN && errno != EINTR) {
				close(to); /* it stopped reading: its answer says why */
				to = -1;
			}
		}
		if (p[0].revents & (POLLIN | POLLERR | POLLHUP)) {
			ssize_t r =
			    read(from, j->out + j->out_len, PREVIEW_OUT_MAX + 1 - j->out_len);
			if (r > 0) {
				j->out_len += (size_t)r;
				if (j->out_len > PREVIEW_OUT_MAX) {
					oversize = 1;
					break;
				}
			} else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
				close(from);
				from = -1;
			}
		}
		if (doc_failed)
			break;
	}
	if (from >= 0 || doc_failed || oversize)
		kill(pid, SIGKILL);
	if (to >= 0)
		close(to);
	if (from >= 0)
		close(from);
	timed_out = renderer_reap(pid, &deadline, &j->wstatus);
	OPENSSL_cleanse(chunk, PREVIEW_CHUNK);
	free(chunk);
	if (doc_failed)
		rf = RF_DOCUMENT;
	else if (oversize)
		rf = RF_OVERSIZE;
	else if (timed_out || (from >= 0 && ms_left(&deadline) == 0))
		rf = RF_TIMEOUT;
	else if (!WIFEXITED(j->wstatus) || WEXITSTATUS(j->wstatus) != 0)
		rf = RF_DIED;
	return rf;
}

/* One file's result as the answer shows it. */
static void add_images(struct json_object *images, const struct preview_result *pr, int file)
{
	for (size_t i = 0; i < pr->npage; i++) {
		const struct preview_page *p = &pr->page[i];
		struct json_object *o = json_object_new_object();
		size_t b64len = 4 * ((p->png_len + 2) / 3) + 1;
		char *b64 = malloc(b64len);

		if (b64 == NULL) {
			json_object_put(o);
			continue;
		}
		EVP_EncodeBlock((unsigned char *)b64, p->png, (int)p->png_len);
		json_object_object_add(o, "file", json_object_new_int(file));
		json_object_object_add(o, "page", json_object_new_int((int)p->index + 1));
		json_object_object_add(o, "width_mm", json_object_new_double(p->width_hmm / 100.0));
		json_object_object_add(o, "height_mm",
		                       json_object_new_double(p->height_hmm / 100.0));
		json_object_object_add(o, "width", json_object_new_int((int)p->px_w));
		json_object_object_add(o, "height", json_object_new_int((int)p->px_h));
		json_object_object_add(o, "png", json_object_new_string(b64));
		json_object_array_add(images, o);
		OPENSSL_cleanse(b64, b64len);
		free(b64);
	}
}

/* Which of 404 / 409 a job that is not ready for a preview gets. */
static void reply_not_ready_job(struct req *r)
{
	char *json = NULL;
	int rc = jobs_get_json(r->w->db, r->params[0], r->session.user, &json);

	free(json);
	if (rc < 0)
		reply_error(r, APIERR_NOT_READY, NULL);
	else if (rc > 0)
		reply_error(r, APIERR_NOT_FOUND, "No such job.");
	else
		reply_error(r, APIERR_WRONG_STATE,
		            "Only a scanned job that is not yet sent "
		            "can be previewed.");
}

static void reply_busy(struct req *r)
{
	struct json_object *o = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code",
	                       json_object_new_string(api_err_code(APIERR_PREVIEW_BUSY)));
	json_object_object_add(e, "message",
	                       json_object_new_string(api_err_message(APIERR_PREVIEW_BUSY)));
	json_object_object_add(o, "error", e);
	reply_json(r, api_err_status(APIERR_PREVIEW_BUSY), o, PREVIEW_RETRY_AFTER);
	json_object_put(o);
}

void h_job_preview(struct req *r)
{
	const struct sp_config *cfg = r->cfg;
	struct render_job j = {.cfg = cfg};
	struct preview_result *pr = NULL;
	struct doc_file *files = NULL;
	struct json_object *o = NULL, *jfiles, *images;
	uint8_t job_bin[16];
	size_t nfiles = 0;
	uint64_t bytes = 0, pages = 0;
	int slot = 0, rendered = 0;
	enum render_fail rf = RF_NONE;
	const char *why = NULL;

	if (uuid_parse(r->params[0], job_bin) != 0) {
		reply_error(r, APIERR_NOT_FOUND, "No such job.");
		return;
	}
	if (strcmp(cfg->preview, "never") == 0) {
		reply_error(r, APIERR_PREVIEW_OFF, NULL);
		return;
	}
	switch (filingstore_wait_job_log(r->w->db, r->params[0], r->session.user,
	                                 PREVIEW_JOB_LOG_WAIT_MS)) {
	case FS_WAIT_ARRIVED:
		break;
	case FS_WAIT_MISSING:
		reply_error(r, APIERR_SCAN_INCOMPLETE, NULL);
		return;
	case FS_WAIT_ELSEWHERE:
		reply_not_ready_job(r);
		return;
	default:
		reply_error(r, APIERR_NOT_READY, NULL);
		return;
	}
	if (!slot_take(cfg->preview_concurrency)) {
		sp_log(LOG_WARN, "preview_busy", "job_id", r->params[0], NULL);
		reply_busy(r);
		return;
	}
	slot = 1;
	j.out = malloc(PREVIEW_OUT_MAX + 1);
	pr = malloc(sizeof(*pr));
	if (j.out == NULL || pr == NULL ||
	    docstore_files(r->w->db, r->params[0], &files, &nfiles) != 0) {
		reply_error(r, APIERR_NOT_READY, NULL);
		goto out;
	}
	o = json_object_new_object();
	jfiles = json_object_new_array();
	images = json_object_new_array();
	json_object_object_add(o, "files", jfiles);
	json_object_object_add(o, "images", images);
	for (size_t i = 0; i < nfiles && rf == RF_NONE; i++) {
		struct json_object *f = json_object_new_object();
		int rc;

		json_object_object_add(f, "name", json_object_new_string(files[i].name));
		json_object_object_add(f, "bytes", json_object_new_int64((int64_t)files[i].bytes));
		json_object_array_add(jfiles, f);
		bytes += files[i].bytes;
		if (files[i].bytes > (uint64_t)cfg->preview_max_bytes) {
			rf = RF_REFUSED;
			why = preview_status_name(PREVIEW_TOO_LARGE);
			break;
		}
		rc = docr_open_preview(r->w->db, keycache_get(&r->w->doc_keys), r->params[0],
		                       job_bin, files[i].file_no, r->session.user, &j.reader);
		if (rc != 0) {
			sp_log(LOG_ERROR, "preview_open_failed", "job_id", r->params[0], "%code",
			       LOG_NUM(rc), NULL);
			rf = RF_DOCUMENT;
			break;
		}
		j.render_pages = PREVIEW_MAX_PAGES - rendered;
		rf = render_file(&j);
		docr_free(j.reader);
		j.reader = NULL;
		if (rf == RF_NONE && preview_wire_parse(j.out, j.out_len, pr) != PREVIEW_PARSE_OK)
			rf = RF_MALFORMED;
		if (rf == RF_NONE && pr->status != PREVIEW_OK) {
			rf = RF_REFUSED;
			why = preview_status_name(pr->status);
		}
		if (rf == RF_NONE && pr->npage > (size_t)j.render_pages)
			rf = RF_MALFORMED;
		if (rf != RF_NONE)
			break;
		json_object_object_add(f, "pages", json_object_new_int64(pr->pages));
		pages += pr->pages;
		add_images(images, pr, (int)i);
		rendered += (int)pr->npage;
		OPENSSL_cleanse(j.out, j.out_len);
	}
	if (rf != RF_NONE) {
		sp_log(LOG_WARN, "preview_failed", "job_id", r->params[0], "reason", fail_names[rf],
		       "status", why, "%signal",
		       LOG_NUM(WIFSIGNALED(j.wstatus) ? WTERMSIG(j.wstatus) : 0), NULL);
		reply_error(r, APIERR_NO_PREVIEW, NULL);
		goto out;
	}
	if (nfiles == 0) {
		reply_error(r, APIERR_NOTHING_UPLOADED, NULL);
		goto out;
	}
	json_object_object_add(o, "pages", json_object_new_int64((int64_t)pages));
	json_object_object_add(o, "bytes", json_object_new_int64((int64_t)bytes));
	json_object_object_add(o, "more_pages",
	                       json_object_new_boolean(pages > (uint64_t)rendered));
	sp_log(LOG_INFO, "preview_made", "job_id", r->params[0], "%files", LOG_NUM(nfiles),
	       "%pages", LOG_NUM(pages), NULL);
	reply_json(r, 200, o, NULL);
out:
	if (j.out) {
		OPENSSL_cleanse(j.out, PREVIEW_OUT_MAX + 1);
		free(j.out);
	}
	free(pr);
	free(files);
	json_object_put(o);
	if (slot)
		slot_give();
}
