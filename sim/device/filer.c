/*
 * filer.c - the filing sequence (see filer.h).
 */
#include "filer.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PATH_TEXT_MAX 600

struct run {
	const struct filer_job *fj;
	struct upload_target target;  /* stoppable */
	struct upload_target cleanup; /* runs to the end whatever happens */
	char *err;
	size_t errlen;
};

/* dir joined with name: "/" + "a" is "/a", "/d" + "a" is "/d/a". */
static int join(char *out, size_t outlen, const char *dir, const char *name)
{
	size_t n = strlen(dir);
	int w = snprintf(out, outlen, "%s%s%s", dir, (n && dir[n - 1] == '/') ? "" : "/", name);

	return (w < 0 || (size_t)w >= outlen) ? -1 : 0;
}

/* Runs one operation and checks its answer: want is the expected answer
 * ("" for success).  0, or -1 with r->err set (or nothing set when the job
 * was stopped: *stopped). */
static int step(struct run *r, const struct upload_target *t, const struct upload_op *op,
                const char *want, struct upload_answer *a, bool *stopped)
{
	char detail[300], shown[256];
	enum upload_err e = upload_run(t, op, a, detail, sizeof(detail));

	if (r->fj->note)
		r->fj->note(
		    r->fj->arg, op->operation, op->dest_dir, op->dest_name ? op->dest_name : "",
		    e == UPLOAD_OK ? a->text : (e == UPLOAD_ERR_ABORTED ? "(stopped)" : detail));
	if (e == UPLOAD_ERR_ABORTED) {
		*stopped = true;
		return -1;
	}
	if (e != UPLOAD_OK) {
		snprintf(r->err, r->errlen, "%s %s: %s", op->operation,
		         op->dest_name ? op->dest_name : op->dest_dir, detail);
		return -1;
	}
	if (want && strcmp(a->text, want) != 0) {
		upload_printable(a->text, shown, sizeof(shown));
		snprintf(r->err, r->errlen, "%s %s answered \"%s\", not \"%s\"", op->operation,
		         op->dest_name ? op->dest_name : op->dest_dir, shown, want);
		return -1;
	}
	return 0;
}

/* Whether the listing (names, one a line, folders with a trailing '/')
 * holds name, compared as a Windows share would: without case. */
static bool listed(const char *listing, const char *name)
{
	size_t n = strlen(name);
	const char *l = listing;

	while (*l) {
		size_t len = strcspn(l, "\r\n");
		size_t cmp = (len && l[len - 1] == '/') ? len - 1 : len;

		if (cmp == n && strncasecmp(l, name, n) == 0)
			return true;
		l += len;
		while (*l == '\r' || *l == '\n')
			l++;
	}
	return false;
}

/* The base name N: the DocumentObjectName, or N_1 ... N_99 when N.<ext>,
 * N.LCK or N.XSM is already in the listing. */
static int base_name(const char *listing, const char *doc, const char *ext, char *out,
                     size_t outlen)
{
	static const char *const taken[] = {"%s.%s", "%s.LCK", "%s.XSM"};
	char probe[FILER_NAME_MAX + 16];
	unsigned i;
	size_t k;

	for (i = 0; i < 100; i++) {
		bool free_name = true;

		if (i == 0)
			snprintf(out, outlen, "%s", doc);
		else
			snprintf(out, outlen, "%s_%u", doc, i);
		for (k = 0; k < sizeof(taken) / sizeof(taken[0]); k++) {
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(probe, sizeof(probe), taken[k], out, ext);
#pragma GCC diagnostic pop
			free_name = free_name && !listed(listing, probe);
		}
		if (free_name)
			return 0;
	}
	return -1;
}

static int write_text_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -1;
	rc = fputs(text, f) < 0 ? -1 : 0;
	if (fclose(f) != 0)
		rc = -1;
	return rc;
}

enum filer_result filer_run(const struct filer_job *fj, char *err, size_t errlen)
{
	const struct scan_settings *s = fj->s;
	struct run r = {fj,
	                {s->url, fj->ca_file, fj->should_stop, fj->arg},
	                {s->url, fj->ca_file, NULL, NULL},
	                err,
	                errlen};
	const char *ext = scan_format_extension(s->format), *dir = s->dest_dir;
	char base[FILER_NAME_MAX + 1], lock[FILER_NAME_MAX + 8], xsm[PATH_TEXT_MAX];
	char log_name[FILER_NAME_MAX + 8], name[FILER_NAME_MAX + 48];
	char lock_path[PATH_MAX + 16], log_path[PATH_MAX + 16];
	const char *doc_dir = dir;
	struct upload_answer a;
	struct upload_op op;
	bool stopped = false, ignored = false, locked = false, folder = false;
	char scratch[300];
	enum filer_result result = FILER_FAILED;
	size_t i;

	err[0] = '\0';
	if (s->filing_error) {
		snprintf(err, errlen, "%s", s->filing_error);
		return FILER_FAILED;
	}
	snprintf(lock_path, sizeof(lock_path), "%s.lck", fj->work_prefix);
	snprintf(log_path, sizeof(log_path), "%s.xst", fj->work_prefix);

	op = (struct upload_op){"ListDir", dir, NULL, NULL, NULL};
	if (step(&r, &r.target, &op, NULL, &a, &stopped) != 0)
		goto out;
	if (strcmp(a.text, "XRXERROR") == 0 || strcmp(a.text, "XRXBADNAME") == 0 ||
	    strcmp(a.text, "XRXNOTFOUND") == 0) {
		snprintf(err, errlen, "ListDir %s answered %s", dir, a.text);
		goto out;
	}
	if (base_name(a.text, s->doc_name, ext, base, sizeof(base)) != 0) {
		snprintf(err, errlen, "no free name for %s in %s", s->doc_name, dir);
		goto out;
	}
	snprintf(lock, sizeof(lock), "%s.LCK", base);
	snprintf(log_name, sizeof(log_name), "%s.XST", base);

	op = (struct upload_op){"GetFile", dir, lock, NULL, NULL};
	if (step(&r, &r.target, &op, "XRXNOTFOUND", &a, &stopped) != 0)
		goto out;
	if (write_text_file(lock_path, "device-sim lock\n") != 0) {
		snprintf(err, errlen, "cannot write the lock file");
		goto out;
	}
	op = (struct upload_op){"PutFile", dir, lock, NULL, lock_path};
	if (step(&r, &r.target, &op, "", &a, &stopped) != 0)
		goto out;
	locked = true;

	if (s->xsm) {
		snprintf(name, sizeof(name), "%s.XSM", base);
		if (join(xsm, sizeof(xsm), dir, name) != 0) {
			snprintf(err, errlen, "DocumentPath is too long");
			goto out;
		}
		op = (struct upload_op){"MakeDir", xsm, NULL, NULL, NULL};
		if (step(&r, &r.target, &op, "", &a, &stopped) != 0)
			goto out;
		folder = true;
		doc_dir = xsm;
	}
	for (i = 0; i < fj->n; i++) {
		if (s->xsm)
			snprintf(name, sizeof(name), "%s_%03zu.%s", base, i + 1, ext);
		else
			snprintf(name, sizeof(name), "%s.%s", base, ext);
		op = (struct upload_op){"PutFile", doc_dir, name, NULL, fj->paths[i]};
		if (step(&r, &r.target, &op, "", &a, &stopped) != 0)
			goto out;
		if (fj->filed)
			fj->filed(fj->arg, i, name);
	}
	if (s->job_log) {
		if (write_text_file(log_path, fj->job_log) != 0) {
			snprintf(err, errlen, "cannot write the job log");
			goto out;
		}
		op = (struct upload_op){"PutFile", doc_dir, log_name, NULL, log_path};
		if (step(&r, &r.target, &op, "", &a, &stopped) != 0)
			goto out;
	}
	op = (struct upload_op){"DeleteFile", dir, lock, NULL, NULL};
	if (step(&r, &r.target, &op, "", &a, &stopped) != 0)
		goto out;
	locked = false;
	result = FILER_OK;
out:
	if (stopped)
		result = FILER_STOPPED;
	/* Clean up what was started, to the end even when stopped; what the
	 * cleanup answers does not change the job's error. */
	r.err = scratch;
	r.errlen = sizeof(scratch);
	if (result != FILER_OK && folder) {
		op = (struct upload_op){"DeleteDirContents", doc_dir, NULL, "1", NULL};
		step(&r, &r.cleanup, &op, NULL, &a, &ignored);
	}
	if (result != FILER_OK && locked) {
		op = (struct upload_op){"DeleteFile", dir, lock, NULL, NULL};
		step(&r, &r.cleanup, &op, NULL, &a, &ignored);
	}
	unlink(lock_path);
	unlink(log_path);
	return result;
}
