/*
 * filer.h - the filing sequence of one scan job over Xerox's HTTP filing
 * protocol (DESIGN 3.3), the operations in upload.h.
 *
 * The order below is this simulator's reading of the published pieces; no
 * source lists a device's requests one by one (README, "not yet verified").
 * What the pieces say: Xerox's sample HTTP filing script (PHP class
 * phpRequestExecutor) takes lock and working folders ending in .LCK and
 * .XSM, GetFile/DeleteFile of .xst/.dat/.txt names, and DeleteDirContents
 * with delDir; the independent receivers answer a GetFile of a lock
 * XRXNOTFOUND (a Rails ScansController) and take DeleteFile as "normally a
 * *LCK file" (a Go receiver); Xerox's Document Centre administration guide
 * locks the repository folder while a device files into it and keeps the
 * job log (.XST) next to the files; Xerox's scanTemplate.js uploads the job
 * log after the last file when SuppressJobLog is FALSE.
 *
 * With DocumentPath D and DocumentObjectName N:
 *   1. ListDir   D            names in use; N becomes N_1, N_2 ... when
 *                             N.<ext>, N.LCK or N.XSM is taken
 *                             (DocumentFilingPolicy NEW_AUTO_GENERATE)
 *   2. GetFile   D, N.LCK     must answer XRXNOTFOUND: nobody holds the lock
 *   3. PutFile   D, N.LCK     a small lock file: the lock is ours
 *   4. MakeDir   D/N.XSM      XSM_TIFF_V6 only: the working folder
 *   5. PutFile   each file    N.pdf / N.tif into D; N_001.tif ... into D/N.XSM
 *   6. PutFile   N.XST        the job log (the template it ran), next to the
 *                             files, when SuppressJobLog = FALSE
 *   7. DeleteFile D, N.LCK    the lock is released
 * Success is an empty answer at each step.  When the job stops or a step
 * fails after step 3, the device cleans up what it started: DeleteDirContents
 * D/N.XSM with delDir=1 (XSM only) and DeleteFile D, N.LCK, whatever they
 * answer.
 */
#ifndef DEVICE_SIM_FILER_H
#define DEVICE_SIM_FILER_H

#include <stdbool.h>
#include <stddef.h>

#include "device.h"
#include "scansettings.h"
#include "upload.h"

#define FILER_NAME_MAX 160

enum filer_result {
	FILER_OK = 0,
	FILER_STOPPED, /* should_stop said so */
	FILER_FAILED,  /* a transfer failed or an answer was not the expected one */
};

/* Called with each operation and the answer it got (the log of the
 * sequence, for /_sim/state). */
typedef void (*filer_note_fn)(void *arg, const char *operation, const char *dest_dir,
                              const char *dest_name, const char *answer);
/* Called when file i has been filed under name. */
typedef void (*filer_filed_fn)(void *arg, size_t i, const char *name);

struct filer_job {
	const struct scan_settings *s;
	const char *ca_file;
	const char *work_prefix;  /* for the lock and job-log files it writes */
	const char *job_log;      /* the job log's text (the template), NUL-terminated */
	const char *const *paths; /* the n document files, in order */
	size_t n;
	int (*should_stop)(void *);
	filer_note_fn note;
	filer_filed_fn filed;
	void *arg; /* for should_stop, note and filed */
};

/* Runs the sequence above.  err gets a sentence on FILER_FAILED, safe to
 * log (operation, status, the start of the answer). */
enum filer_result filer_run(const struct filer_job *fj, char *err, size_t errlen);

#endif
