/*
 * device.h - the state of the simulated device: identity, the logged-in
 * user, the simulator's knobs, stored templates and scan jobs.
 *
 * One mutex guards everything in struct device; code outside device.c and
 * scanjob.c takes it with device_lock() before reading fields and never
 * keeps pointers into the state after device_unlock().  Job threads sleep on
 * .wake, which is broadcast on cancel, reset and shutdown.
 */
#ifndef DEVICE_SIM_DEVICE_H
#define DEVICE_SIM_DEVICE_H

#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define DEVICE_MAX_TEMPLATES     64
#define DEVICE_MAX_JOBS          64 /* kept for GetJobDetails; the oldest finished go */
#define DEVICE_MAX_RUNNING       4  /* more InitiateScan at once: a Server fault */
#define DEVICE_TEMPLATE_NAME_MAX 128
#define DEVICE_USER_MAX          64
#define DEVICE_EMAIL_MAX         254
#define DEVICE_MAX_PAGES         100 /* pages knob; two-sided doubles it */
#define DEVICE_MAX_PAGE_DELAY_MS 60000
#define JOB_REASONS_MAX          128
#define JOB_ERROR_MAX            512
#define JOB_FILE_NAME_MAX        200
#define DEVICE_MAX_EARLY_POLLS   100
/* What GetDeviceInformation says in device/generation (a number; its
 * meaning per model is not published). */
#define DEVICE_GENERATION "10.0"
/* The model a family=versalink device reports.  Xerox's apps tell a
 * VersaLink by "versalink" (or "primelink") in the model, any case (the
 * public EIP app sarathpk931/noteconverter_v14, src/app/app.module.ts). */
#define DEVICE_VERSALINK_MODEL "Xerox VersaLink C7025"

struct device_identity {
	char serial[33];
	char model[129];
	char name[129];
	unsigned canvas_w, canvas_h; /* 800x480 or 1024x600 */
};

struct device_user {
	bool logged_in; /* false: nobody; name may hold the spelling of "guest" */
	char name[DEVICE_USER_MAX + 1];
	char email[DEVICE_EMAIL_MAX + 1];
	unsigned long login; /* which login session: a new number at each log-in */
};

struct sso_idp;

enum device_family {
	DEVICE_FAMILY_ALTALINK,  /* RepositoryName is the host */
	DEVICE_FAMILY_VERSALINK, /* the app's name in RepositoryName and the script path */
};

/* The simulator's knobs (POST /_sim/config).  A job copies them when it
 * starts; changing them affects later jobs only (family also changes the
 * model GetDeviceInformation reports, at once). */
struct device_knobs {
	unsigned pages;                    /* originals per side, 1..DEVICE_MAX_PAGES, default 2 */
	unsigned page_delay_ms;            /* time to scan one image, default 300 */
	unsigned jam_after_page;           /* 0 = never; else a paper jam after that image */
	unsigned cancel_after_page;        /* 0 = never; else Stop pressed after that image */
	unsigned abort_after_page;         /* 0 = never; else the system aborts after it */
	unsigned next_original_after_page; /* 0 = never; else wait for the next original */
	unsigned completed_early_polls;    /* polls answering Completed + None first */
	bool auto_size_fails;              /* InputMediaSize AUTO: size not determined */
	bool corrupt_files;                /* fault injection: files keep their first bytes
	                                      (PDF/TIFF header), the rest is garbage */
	enum device_family family;
};

/* The buttons of POST /_sim/panel while a job waits for the next original. */
enum panel_button {
	PANEL_NONE,
	PANEL_START, /* the next original is loaded: scanning goes on */
	PANEL_DONE,  /* no more originals: the job ends with what was scanned */
};

enum job_state {
	JOB_PROCESSING,
	JOB_COMPLETED,
	JOB_STOPPED, /* ProcessingStopped */
};

#define JOB_OPS_MAX 48

/* One filing operation the job ran and what it was answered (filer.h). */
struct job_op {
	char operation[20];
	char dest_dir[96];
	char dest_name[96];
	char answer[64];
};

struct job_file {
	char name[JOB_FILE_NAME_MAX + 1]; /* destName as uploaded */
	unsigned long long bytes;
	bool uploaded;
};

struct job {
	unsigned id;
	char template_name[DEVICE_TEMPLATE_NAME_MAX + 1];
	char *template_text; /* private copy taken at InitiateScan */
	size_t template_len;
	struct device_knobs knobs;
	enum job_state state;
	char reasons[JOB_REASONS_MAX]; /* JobStateReasons once final; "" = "None" */
	unsigned early_polls_left;     /* Completed polls still answered "None" */
	enum panel_button panel;       /* pressed while waiting for the next original */
	unsigned images_scanned;
	unsigned images_total;
	struct job_file *files; /* malloc'd, n_files of them */
	size_t n_files;
	struct job_op *ops; /* malloc'd, JOB_OPS_MAX; the first n_ops are used */
	size_t n_ops;
	char error[JOB_ERROR_MAX]; /* for /_sim/state and the log, never document bytes */
	bool cancel_requested;
	bool thread_started, thread_done;
	pthread_t thread;
	time_t created;
	struct job *next; /* newest first */
	struct device *dev;
};

struct device_template {
	char name[DEVICE_TEMPLATE_NAME_MAX + 1];
	char *content; /* malloc'd, NUL-terminated */
	size_t len;
	char checksum[12]; /* decimal, see device_template_put */
};

struct device {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct device_identity id;
	struct device_identity id_default; /* for reset */
	struct device_user user, user_default;
	struct device_knobs knobs;
	struct sso_idp *sso;     /* borrowed; NULL: no security tokens (sso.h) */
	const char *ca_file;     /* borrowed from argv; NULL = system CAs */
	char work_dir[PATH_MAX]; /* private mkdtemp dir for scanned files */
	struct device_template templates[DEVICE_MAX_TEMPLATES];
	size_t n_templates;
	struct job *jobs;
	unsigned next_job_id;
	bool stopping;
};

enum device_err {
	DEVICE_OK = 0,
	DEVICE_ERR_NOT_FOUND,
	DEVICE_ERR_CHECKSUM, /* priorChecksum does not match */
	DEVICE_ERR_FULL,     /* too many templates or running jobs */
	DEVICE_ERR_NOMEM,
	DEVICE_ERR_IO,
};

/* The knobs' defaults. */
void device_knobs_default(struct device_knobs *k);

/*
 * Initializes d with copies of id and user (user may be NULL: guest), the
 * borrowed ca_file path and identity provider sso (NULL: none).  Creates
 * the work directory.  0 or -1.
 */
int device_init(struct device *d, const struct device_identity *id, const struct device_user *user,
                const char *ca_file, struct sso_idp *sso);

/* Stops and joins every job thread, frees everything, removes the work
 * directory. */
void device_free(struct device *d);

void device_lock(struct device *d);
void device_unlock(struct device *d);

/*
 * Stores (or replaces) a template.  content is copied.  The checksum is the
 * first 31 bits of SHA-256(content) in decimal, like the 9-10 digit numbers
 * real devices answer; written to checksum (12 bytes).  Takes the lock.
 */
enum device_err device_template_put(struct device *d, const char *name, const char *content,
                                    size_t len, char checksum[12]);

/* Deletes a template when prior_checksum matches its checksum.  Takes the lock. */
enum device_err device_template_delete(struct device *d, const char *name,
                                       const char *prior_checksum);

/* The job with this id, or NULL.  Call with the lock held. */
struct job *device_job_find(struct device *d, unsigned id);

/* Sets cancel_requested on every running job and wakes them; returns how
 * many.  Takes the lock. */
unsigned device_cancel_running(struct device *d);

/* Cancels and joins every job, forgets templates and jobs, restores the
 * knobs, identity and user given at start.  Takes the lock. */
void device_reset(struct device *d);

/* Joins finished job threads and drops the oldest finished jobs beyond
 * DEVICE_MAX_JOBS.  Call with the lock held. */
void device_reap(struct device *d);

/* Frees a job that is not linked and whose thread is joined (or never
 * started). */
void device_job_free(struct job *j);

/* "Processing", "Completed", "ProcessingStopped". */
const char *device_job_state_name(enum job_state s);

/* The JobStateReasons one GetJobDetails poll of j shows, and counts the
 * poll: "None" while there is no reason, also for the first
 * knobs.completed_early_polls polls after the job completed.  Call with the
 * lock held; borrowed until the lock is released. */
const char *device_job_poll(struct job *j);

/* Presses a panel button for the job waiting for its next original.
 * Returns how many jobs were waiting (0 or 1).  Takes the lock. */
unsigned device_panel_press(struct device *d, enum panel_button b);

/* The model GetDeviceInformation reports (the family knob's, or the
 * identity's).  Call with the lock held. */
const char *device_model(const struct device *d);

/* The username the session service reports: the user's, or the spelling of
 * "guest" the knob gave, or "guest". */
const char *device_user_name(const struct device_user *u);

#endif
