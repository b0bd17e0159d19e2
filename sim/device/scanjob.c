/*
 * scanjob.c - the job thread (see scanjob.h).
 *
 * The thread holds the device lock only to read or change its job, never
 * while generating or uploading; it sleeps on d->wake so a cancel, reset or
 * shutdown wakes it at once.
 */
#include "scanjob.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "docgen.h"
#include "filer.h"
#include "scansettings.h"
#include "simlog.h"
#include "tmpl_parse.h"

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

/* Ends the job: Completed with its one reason; with the lock held. */
static void finish(struct job *j, const char *reason, const char *error)
{
	char id[16];

	j->state = JOB_COMPLETED;
	snprintf(j->reasons, sizeof(j->reasons), "%s", reason);
	j->early_polls_left = j->knobs.completed_early_polls;
	if (error)
		snprintf(j->error, sizeof(j->error), "%s", error);
	snprintf(id, sizeof(id), "%u", j->id);
	simlog(strcmp(reason, "JobCompletedSuccessfully") == 0 ? "info" : "warn",
	       "scan_job_finished", "job_id", id, "state", "Completed", "reasons", reason, "error",
	       error ? error : "", NULL);
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

/* ProcessingStopped + NextOriginalWait until a panel button or a stop;
 * with the lock held.  Returns the button, or PANEL_NONE on a stop. */
static enum panel_button wait_next_original(struct job *j)
{
	enum panel_button b;

	j->state = JOB_STOPPED;
	snprintf(j->reasons, sizeof(j->reasons), "NextOriginalWait");
	j->panel = PANEL_NONE;
	while (!stop_wanted(j) && j->panel == PANEL_NONE)
		pthread_cond_wait(&j->dev->wake, &j->dev->lock);
	b = stop_wanted(j) ? PANEL_NONE : j->panel;
	j->state = JOB_PROCESSING;
	j->reasons[0] = '\0';
	j->panel = PANEL_NONE;
	return b;
}

/* The knobs that end a job after image n, in the order they are checked. */
static const struct {
	size_t offset; /* of the knob in struct device_knobs */
	const char *reason;
	const char *error;
} page_endings[] = {
    {offsetof(struct device_knobs, jam_after_page), "JobAborted", "paper jam (knob)"},
    {offsetof(struct device_knobs, cancel_after_page), "JobCanceledByUser", "Stop pressed (knob)"},
    {offsetof(struct device_knobs, abort_after_page), "AbortBySystem", "aborted (knob)"},
};

/* The scanning phase; with the lock held.  false when the job ended. */
static bool scan_pages(struct job *j)
{
	unsigned n;
	size_t k;

	for (n = 1; n <= j->images_total; n++) {
		if (nap(j, j->knobs.page_delay_ms)) {
			finish(j, "JobCanceledByUser", "stopped while scanning");
			return false;
		}
		j->images_scanned = n;
		for (k = 0; k < sizeof(page_endings) / sizeof(page_endings[0]); k++) {
			unsigned at =
			    *(const unsigned *)((const char *)&j->knobs + page_endings[k].offset);
			if (at == n) {
				finish(j, page_endings[k].reason, page_endings[k].error);
				return false;
			}
		}
		if (j->knobs.next_original_after_page == n) {
			enum panel_button b = wait_next_original(j);

			if (b == PANEL_NONE) {
				finish(j, "JobCanceledByUser",
				       "stopped while waiting for an original");
				return false;
			}
			if (b == PANEL_DONE)
				j->images_total = n;
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

static void note_op(void *arg, const char *operation, const char *dest_dir, const char *dest_name,
                    const char *answer)
{
	struct job *j = arg;
	struct job_op *o;

	device_lock(j->dev);
	if (!j->ops)
		j->ops = calloc(JOB_OPS_MAX, sizeof(*j->ops));
	if (j->ops && j->n_ops < JOB_OPS_MAX) {
		o = &j->ops[j->n_ops++];
		snprintf(o->operation, sizeof(o->operation), "%s", operation);
		snprintf(o->dest_dir, sizeof(o->dest_dir), "%s", dest_dir);
		snprintf(o->dest_name, sizeof(o->dest_name), "%s", dest_name);
		snprintf(o->answer, sizeof(o->answer), "%s", answer);
	}
	device_unlock(j->dev);
}

static void filed(void *arg, size_t i, const char *name)
{
	struct job *j = arg;

	device_lock(j->dev);
	if (i < j->n_files) {
		snprintf(j->files[i].name, sizeof(j->files[i].name), "%s", name);
		j->files[i].uploaded = true;
	}
	device_unlock(j->dev);
}

/* Generation and filing, without the lock.  Ends the job and returns with
 * the lock held. */
static void deliver(struct job *j, const struct scan_settings *s)
{
	struct device *d = j->dev;
	struct docgen_params p;
	struct docgen_file *files;
	struct job_file *jf;
	const char **paths;
	char prefix[PATH_MAX], err[JOB_ERROR_MAX], model[129];
	size_t n = 0, i;
	enum filer_result fr;

	device_lock(d);
	snprintf(model, sizeof(model), "%s", device_model(d));
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
		finish(j, "JobAborted", "work directory path too long");
		return;
	}
	files = calloc(p.pages, sizeof(*files));
	jf = calloc(p.pages, sizeof(*jf));
	paths = calloc(p.pages, sizeof(*paths));
	if (!files || !jf || !paths) {
		free(files);
		free(jf);
		free(paths);
		device_lock(d);
		finish(j, "JobAborted", "out of memory");
		return;
	}
	if (docgen_write(&p, prefix, files, p.pages, &n, should_stop, j, err, sizeof(err)) != 0) {
		free(files);
		free(jf);
		free(paths);
		device_lock(d);
		if (stop_wanted(j))
			finish(j, "JobCanceledByUser", "stopped while writing");
		else
			finish(j, "JobAborted", err);
		return;
	}
	for (i = 0; i < n; i++) {
		jf[i].bytes = files[i].bytes;
		paths[i] = files[i].path;
		if (j->knobs.corrupt_files && docgen_corrupt(files[i].path) != 0) {
			remove_files(files, n);
			free(files);
			free(jf);
			free(paths);
			device_lock(d);
			finish(j, "JobAborted", "could not damage the file as asked");
			return;
		}
	}
	device_lock(d);
	free(j->files);
	j->files = jf;
	j->n_files = n;
	device_unlock(d);

	{
		struct filer_job fj = {s,     d->ca_file, prefix,      j->template_text,
		                       paths, n,          should_stop, note_op,
		                       filed, j};
		char id[16];

		fr = filer_run(&fj, err, sizeof(err));
		snprintf(id, sizeof(id), "%u", j->id);
		simlog(fr == FILER_OK ? "info" : "warn", "filing", "job_id", id, "url_host",
		       s->repo_host, "result",
		       fr == FILER_OK ? "ok" : (fr == FILER_STOPPED ? "stopped" : err), NULL);
	}
	remove_files(files, n);
	free(files);
	free(paths);
	device_lock(d);
	if (fr == FILER_STOPPED || (fr != FILER_OK && stop_wanted(j)))
		finish(j, "JobCanceledByUser", "stopped while filing");
	else if (fr != FILER_OK)
		finish(j, "FileTransferFailed", err);
	else
		finish(j, "JobCompletedSuccessfully", NULL);
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
		finish(j, "JobAborted", why);
		goto done;
	}
	if (scan_settings_from_template(&t, j->knobs.family, &s, why, sizeof(why)) != 0) {
		tmpl_free(&t);
		device_lock(d);
		finish(j, "JobAborted", why);
		goto done;
	}
	tmpl_free(&t);
	device_lock(d);
	if (s.size_auto && j->knobs.auto_size_fails) {
		finish(j, "InputScanSizeNotDetermined", "original size not detected");
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
		running += it->state != JOB_COMPLETED;
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
