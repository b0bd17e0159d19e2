/*
 * device.c - the simulated device's state and its lock (see device.h).
 */
#include "device.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

void device_knobs_default(struct device_knobs *k)
{
	memset(k, 0, sizeof(*k));
	k->pages = 2;
	k->page_delay_ms = 300;
}

int device_init(struct device *d, const struct device_identity *id, const struct device_user *user,
                const char *ca_file, const unsigned char *sso_key)
{
	const char *tmp = getenv("TMPDIR");

	memset(d, 0, sizeof(*d));
	if (pthread_mutex_init(&d->lock, NULL) != 0)
		return -1;
	if (pthread_cond_init(&d->wake, NULL) != 0) {
		pthread_mutex_destroy(&d->lock);
		return -1;
	}
	d->id = *id;
	d->id_default = *id;
	if (user)
		d->user = *user;
	d->user_default = d->user;
	device_knobs_default(&d->knobs);
	d->ca_file = ca_file;
	if (sso_key) {
		memcpy(d->sso_key, sso_key, DEVICE_SSO_KEY_LEN);
		d->have_sso_key = true;
	}
	d->next_job_id = 1001;
	snprintf(d->work_dir, sizeof(d->work_dir), "%s/device-sim.XXXXXX",
	         (tmp && *tmp) ? tmp : "/tmp");
	if (!mkdtemp(d->work_dir)) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		return -1;
	}
	return 0;
}

void device_lock(struct device *d)
{
	pthread_mutex_lock(&d->lock);
}

void device_unlock(struct device *d)
{
	pthread_mutex_unlock(&d->lock);
}

void device_job_free(struct job *j)
{
	if (!j)
		return;
	free(j->template_text);
	free(j->files);
	free(j->ops);
	free(j);
}

/* Cancels every job and joins its thread; leaves them linked.  The lock is
 * released while joining so the threads can finish. */
static void stop_all_jobs(struct device *d, bool shutting_down)
{
	struct job *j;

	device_lock(d);
	if (shutting_down)
		d->stopping = true;
	for (j = d->jobs; j; j = j->next)
		j->cancel_requested = true;
	pthread_cond_broadcast(&d->wake);
	for (;;) {
		/* Again each round: a job started while the lock was released
		 * is canceled too. */
		for (j = d->jobs; j; j = j->next)
			j->cancel_requested = true;
		for (j = d->jobs; j; j = j->next)
			if (j->thread_started)
				break;
		if (!j)
			break;
		j->thread_started = false;
		device_unlock(d);
		pthread_join(j->thread, NULL);
		device_lock(d);
	}
	device_unlock(d);
}

static void forget_all(struct device *d)
{
	struct job *j, *next;
	size_t i;

	for (j = d->jobs; j; j = next) {
		next = j->next;
		device_job_free(j);
	}
	d->jobs = NULL;
	for (i = 0; i < d->n_templates; i++)
		free(d->templates[i].content);
	d->n_templates = 0;
}

void device_free(struct device *d)
{
	DIR *dir;
	struct dirent *e;
	char path[PATH_MAX + 300];

	stop_all_jobs(d, true);
	forget_all(d);
	OPENSSL_cleanse(d->sso_key, sizeof(d->sso_key));
	/* Job threads remove their own files; this catches a crash's leftovers. */
	dir = opendir(d->work_dir);
	if (dir) {
		while ((e = readdir(dir)) != NULL) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			snprintf(path, sizeof(path), "%s/%s", d->work_dir, e->d_name);
			unlink(path);
		}
		closedir(dir);
	}
	rmdir(d->work_dir);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
}

static struct device_template *template_find(struct device *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->n_templates; i++)
		if (strcmp(d->templates[i].name, name) == 0)
			return &d->templates[i];
	return NULL;
}

static void checksum_of(const char *content, size_t len, char out[12])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	unsigned long v;

	EVP_Digest(content, len, md, &mdlen, EVP_sha256(), NULL);
	v = ((unsigned long)(md[0] & 0x7F) << 24) | ((unsigned long)md[1] << 16) |
	    ((unsigned long)md[2] << 8) | md[3];
	snprintf(out, 12, "%lu", v);
}

enum device_err device_template_put(struct device *d, const char *name, const char *content,
                                    size_t len, char checksum[12])
{
	struct device_template *t;
	char *copy = malloc(len + 1);

	if (!copy)
		return DEVICE_ERR_NOMEM;
	memcpy(copy, content, len);
	copy[len] = '\0';
	device_lock(d);
	t = template_find(d, name);
	if (!t) {
		if (d->n_templates == DEVICE_MAX_TEMPLATES) {
			device_unlock(d);
			free(copy);
			return DEVICE_ERR_FULL;
		}
		t = &d->templates[d->n_templates++];
		snprintf(t->name, sizeof(t->name), "%s", name);
	} else {
		free(t->content);
	}
	t->content = copy;
	t->len = len;
	checksum_of(copy, len, t->checksum);
	memcpy(checksum, t->checksum, 12);
	device_unlock(d);
	return DEVICE_OK;
}

enum device_err device_template_delete(struct device *d, const char *name,
                                       const char *prior_checksum)
{
	struct device_template *t;
	enum device_err e = DEVICE_OK;

	device_lock(d);
	t = template_find(d, name);
	if (!t)
		e = DEVICE_ERR_NOT_FOUND;
	else if (!prior_checksum || strcmp(prior_checksum, t->checksum) != 0)
		e = DEVICE_ERR_CHECKSUM;
	else {
		free(t->content);
		*t = d->templates[--d->n_templates];
	}
	device_unlock(d);
	return e;
}

struct job *device_job_find(struct device *d, unsigned id)
{
	struct job *j;

	for (j = d->jobs; j; j = j->next)
		if (j->id == id)
			return j;
	return NULL;
}

unsigned device_cancel_running(struct device *d)
{
	struct job *j;
	unsigned n = 0;

	device_lock(d);
	for (j = d->jobs; j; j = j->next) {
		if (j->state != JOB_COMPLETED && !j->cancel_requested) {
			j->cancel_requested = true;
			n++;
		}
	}
	pthread_cond_broadcast(&d->wake);
	device_unlock(d);
	return n;
}

void device_reset(struct device *d)
{
	stop_all_jobs(d, false);
	device_lock(d);
	forget_all(d);
	device_knobs_default(&d->knobs);
	d->id = d->id_default;
	d->user = d->user_default;
	device_unlock(d);
}

void device_reap(struct device *d)
{
	struct job *j, **link;
	size_t kept = 0;

	for (j = d->jobs; j; j = j->next) {
		if (j->thread_started && j->thread_done) {
			/* thread_done is set as the thread's last act under the lock;
			 * it only unlocks after, so this join returns at once. */
			pthread_join(j->thread, NULL);
			j->thread_started = false;
		}
	}
	for (link = &d->jobs; (j = *link) != NULL;) {
		kept++;
		if (kept > DEVICE_MAX_JOBS && !j->thread_started && j->state == JOB_COMPLETED) {
			*link = j->next;
			device_job_free(j);
			continue;
		}
		link = &j->next;
	}
}

const char *device_job_state_name(enum job_state s)
{
	static const char *const names[] = {
	    [JOB_PROCESSING] = "Processing",
	    [JOB_COMPLETED] = "Completed",
	    [JOB_STOPPED] = "ProcessingStopped",
	};

	return names[s];
}

const char *device_job_poll(struct job *j)
{
	if (j->state == JOB_COMPLETED && j->early_polls_left > 0) {
		/* Xerox's sample scan service keeps polling on Completed with
		 * JobStateReasons "None" (scanService checkLoop, (c) 2020 Xerox:
		 * "jobState === 'Completed' && jobStateReason === 'None'"). */
		j->early_polls_left--;
		return "None";
	}
	return j->reasons[0] ? j->reasons : "None";
}

unsigned device_panel_press(struct device *d, enum panel_button b)
{
	struct job *j;
	unsigned n = 0;

	device_lock(d);
	for (j = d->jobs; j; j = j->next) {
		if (j->state == JOB_STOPPED && strcmp(j->reasons, "NextOriginalWait") == 0 &&
		    j->panel == PANEL_NONE) {
			j->panel = b;
			n++;
		}
	}
	pthread_cond_broadcast(&d->wake);
	device_unlock(d);
	return n;
}

const char *device_model(const struct device *d)
{
	return d->knobs.family == DEVICE_FAMILY_VERSALINK ? DEVICE_VERSALINK_MODEL : d->id.model;
}

const char *device_user_name(const struct device_user *u)
{
	if (u->logged_in || strcasecmp(u->name, "guest") == 0)
		return u->name;
	return "guest";
}
