/*
 * scanjob.c - the job thread (see scanjob.h).
 *
 * The thread holds the device lock only to read or change its job, never
 * while generating or uploading; it sleeps on d->wake so a cancel, reset or
 * shutdown wakes it at once.
 */
#include "scanjob.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docgen.h"
#include "scansettings.h"
#include "simlog.h"
#include "tmpl_parse.h"
#include "upload.h"

static struct device_template *find_template(struct device *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_templates; i++)
		if (strcmp(d->templates[i].name, name) == 0)
			return &d->templates[i];
	return NULL;
}

/* With the lock held. */
static bool stop_wanted(const struct job *j)
{
	return j->cancel_requested || j->dev->stopping;
}

static int should_stop(void *arg)
{
	struct job *j = arg;
	bool stop;

	device_lock(j->dev);
	stop = stop_wanted(j);
	device_unlock(j->dev);
	return stop;
}

/* Ends the job with state and reasons; with the lock held. */
static void finish(struct job *j, enum job_state state, const char *reasons, const char *error)
{
	char id[16];

	j->state = state;
	snprintf(j->reasons, sizeof(j->reasons), "%s", reasons);
	if (error)
		snprintf(j->error, sizeof(j->error), "%s", error);
	snprintf(id, sizeof(id), "%u", j->id);
	simlog(state == JOB_COMPLETED ? "info" : "warn", "scan_job_finished", "job_id", id, "state",
	       device_job_state_name(state), "reasons", reasons, "error", error ? error : "", NULL);
}

/* Sleeps ms unless woken by a stop; true when the job should stop.  With
 * the lock held (released while waiting). */
static bool nap(struct job *j, unsigned ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (!stop_wanted(j)) {
		if (pthread_cond_timedwait(&j->dev->wake, &j->dev->lock, &until) == ETIMEDOUT)
			break;
	}
	return stop_wanted(j);
}

/* The scanning phase; with the lock held.  false when the job ended. */
static bool scan_pages(struct job *j)
{
	unsigned n;

	for (n = 1; n <= j->images_total; n++) {
		if (nap(j, j->knobs.page_delay_ms)) {
			finish(j, JOB_STOPPED, "JobCanceledByUser", "stopped while scanning");
			return false;
		}
		j->images_scanned = n;
		if (j->knobs.jam_after_page == n) {
			finish(j, JOB_STOPPED, "JobAborted PaperJam", "paper jam (knob)");
			return false;
		}
		if (j->knobs.cancel_after_page == n) {
			finish(j, JOB_STOPPED, "JobCanceledByUser", "Stop pressed (knob)");
			return false;
		}
	}
	return true;
}

static void remove_files(struct docgen_file *files, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		unlink(files[i].path);
}

/* Generation and upload, without the lock.  Ends the job. */
static void deliver(struct job *j, const struct scan_settings *s)
{
	struct device *d = j->dev;
	struct docgen_params p;
	struct docgen_file *files;
	struct job_file *jf;
	struct upload_target target = {s->repo_host, s->script_path, s->dest_dir, d->ca_file};
	char prefix[PATH_MAX], err[JOB_ERROR_MAX], id[16], model[129];
	size_t n = 0, i;

	snprintf(id, sizeof(id), "%u", j->id);
	device_lock(d);
	snprintf(model, sizeof(model), "%s", d->id.model);
	p.pages = j->images_total;
	device_unlock(d);
	p.format = s->format;
	p.color = s->color;
	p.dpi = s->dpi;
	p.width_pt = s->landscape ? s->height_pt : s->width_pt;
	p.height_pt = s->landscape ? s->width_pt : s->height_pt;
	p.searchable = s->searchable;
	p.language = s->language;
	p.title = s->doc_name;
	p.creator = model;
	if (snprintf(prefix, sizeof(prefix), "%s/job%u", d->work_dir, j->id) >=
	    (int)sizeof(prefix)) {
		device_lock(d);
		finish(j, JOB_STOPPED, "JobAborted", "work directory path too long");
		return;
	}
	files = calloc(p.pages, sizeof(*files));
	jf = calloc(p.pages, sizeof(*jf));
	if (!files || !jf) {
		free(files);
		free(jf);
		device_lock(d);
		finish(j, JOB_STOPPED, "JobAborted", "out of memory");
		return;
	}
	if (docgen_write(&p, prefix, files, p.pages, &n, should_stop, j, err, sizeof(err)) != 0) {
		free(files);
		free(jf);
		device_lock(d);
		if (stop_wanted(j))
			finish(j, JOB_STOPPED, "JobCanceledByUser", "stopped while writing");
		else
			finish(j, JOB_STOPPED, "JobAborted", err);
		return;
	}
	for (i = 0; i < n; i++) {
		if (s->format == SCAN_FORMAT_TIFF_PER_PAGE)
			snprintf(jf[i].name, sizeof(jf[i].name), "%s_%03zu.tif", s->doc_name,
			         i + 1);
		else
			snprintf(jf[i].name, sizeof(jf[i].name), "%s.%s", s->doc_name,
			         scan_format_extension(s->format));
		jf[i].bytes = files[i].bytes;
	}
	device_lock(d);
	free(j->files);
	j->files = jf;
	j->n_files = n;
	device_unlock(d);

	for (i = 0; i < n; i++) {
		char bytes[24];
		enum upload_err ue;
		char name[JOB_FILE_NAME_MAX + 1];

		device_lock(d);
		snprintf(name, sizeof(name), "%s", j->files[i].name);
		device_unlock(d);
		snprintf(bytes, sizeof(bytes), "%llu", files[i].bytes);
		ue =
		    upload_put_file(&target, files[i].path, name, should_stop, j, err, sizeof(err));
		simlog(ue == UPLOAD_OK ? "info" : "warn", "upload", "job_id", id, "dest_name", name,
		       "bytes", bytes, "host", s->repo_host, "result", ue == UPLOAD_OK ? "ok" : err,
		       NULL);
		device_lock(d);
		if (ue == UPLOAD_OK) {
			j->files[i].uploaded = true;
			device_unlock(d);
			continue;
		}
		if (ue == UPLOAD_ERR_ABORTED || stop_wanted(j))
			finish(j, JOB_STOPPED, "JobCanceledByUser", "stopped while uploading");
		else
			finish(j, JOB_STOPPED, "FileTransferFailed", err);
		device_unlock(d);
		remove_files(files, n);
		free(files);
		device_lock(d);
		return;
	}
	remove_files(files, n);
	free(files);
	device_lock(d);
	finish(j, JOB_COMPLETED, "JobCompletedSuccessfully", NULL);
}

static void *job_main(void *arg)
{
	struct job *j = arg;
	struct device *d = j->dev;
	struct scan_settings s;
	struct tmpl t;
	char why[256];

	if (tmpl_parse(j->template_text, j->template_len, &t, why, sizeof(why)) != TMPL_OK) {
		device_lock(d);
		finish(j, JOB_STOPPED, "JobAborted InvalidTemplate", why);
		goto done;
	}
	if (scan_settings_from_template(&t, &s, why, sizeof(why)) != 0) {
		tmpl_free(&t);
		device_lock(d);
		finish(j, JOB_STOPPED, "JobAborted InvalidTemplate", why);
		goto done;
	}
	tmpl_free(&t);
	device_lock(d);
	if (s.size_auto && j->knobs.auto_size_fails) {
		finish(j, JOB_STOPPED, "InputScanSizeNotDetermined", "original size not detected");
		goto done;
	}
	j->images_total = j->knobs.pages * (s.two_sided ? 2 : 1);
	if (!scan_pages(j))
		goto done;
	device_unlock(d);
	deliver(j, &s); /* returns with the lock held */
done:
	j->thread_done = true;
	device_unlock(d);
	return NULL;
}

enum scanjob_err scanjob_start(struct device *d, const char *template_name, unsigned *id_out)
{
	struct device_template *t;
	struct job *j, *it;
	unsigned running = 0;
	char id[16];

	j = calloc(1, sizeof(*j));
	if (!j)
		return SCANJOB_ERR_NOMEM;
	device_lock(d);
	device_reap(d);
	for (it = d->jobs; it; it = it->next)
		running += it->state == JOB_PROCESSING;
	t = find_template(d, template_name);
	if (!t || running >= DEVICE_MAX_RUNNING || d->stopping) {
		device_unlock(d);
		free(j);
		return t ? SCANJOB_ERR_BUSY : SCANJOB_ERR_NO_TEMPLATE;
	}
	j->template_text = malloc(t->len + 1);
	if (!j->template_text) {
		device_unlock(d);
		free(j);
		return SCANJOB_ERR_NOMEM;
	}
	memcpy(j->template_text, t->content, t->len + 1);
	j->template_len = t->len;
	snprintf(j->template_name, sizeof(j->template_name), "%s", template_name);
	j->id = d->next_job_id++;
	j->knobs = d->knobs;
	j->state = JOB_PROCESSING;
	j->images_total = j->knobs.pages;
	j->created = time(NULL);
	j->dev = d;
	if (pthread_create(&j->thread, NULL, job_main, j) != 0) {
		device_unlock(d);
		device_job_free(j);
		return SCANJOB_ERR_THREAD;
	}
	j->thread_started = true;
	j->next = d->jobs;
	d->jobs = j;
	*id_out = j->id;
	snprintf(id, sizeof(id), "%u", j->id);
	device_unlock(d);
	simlog("info", "scan_job_started", "job_id", id, "template", template_name, NULL);
	return SCANJOB_OK;
}
