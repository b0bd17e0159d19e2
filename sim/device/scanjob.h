/*
 * scanjob.h - the scan engine: one thread per job.
 *
 * A job runs like a real scan: parse the stored template (tmpl_parse), read
 * its settings (scansettings), "scan" each image with the page delay
 * (ImagesScanned counts up while JobState is Processing), write the
 * document(s) (docgen), file them (filer), then Completed.
 *
 * JobState and JobStateReasons are reported the way Xerox's sample scan
 * service reads them (AngularJS scanService checkLoop, (c) 2020 Xerox, and
 * its port in sarathpk931/noteconverter_v14, scan.service.ts; see
 * tests/fixtures/eip/job_states.tsv): one reason token, "None" while there
 * is none, and every ending is Completed with its reason:
 *
 *   Processing         None                    scanning, filing
 *   ProcessingStopped  NextOriginalWait        next_original_after_page:
 *                                              until POST /_sim/panel
 *                                              start (scanning goes on) or
 *                                              done (the job ends with what
 *                                              was scanned)
 *   Completed          JobCompletedSuccessfully  filed
 *   Completed          JobCanceledByUser       cancel_after_page, POST
 *                                              /_sim/cancel, shutdown
 *   Completed          AbortBySystem           abort_after_page
 *   Completed          JobAborted              jam_after_page; a template
 *                                              the device cannot run; the
 *                                              document could not be written
 *   Completed          InputScanSizeNotDetermined  InputMediaSize AUTO and
 *                                              the auto_size_fails knob
 *   Completed          FileTransferFailed      the filing failed (the
 *                                              reason a real device gives is
 *                                              not published)
 *
 * Every ending first answers Completed with "None" for
 * completed_early_polls polls (device_job_poll), as the sample expects.
 * Nothing is filed after a jam, an abort or a cancel before filing.
 */
#ifndef DEVICE_SIM_SCANJOB_H
#define DEVICE_SIM_SCANJOB_H

#include "device.h"

enum scanjob_err {
	SCANJOB_OK = 0,
	SCANJOB_ERR_NO_TEMPLATE, /* no template of that name */
	SCANJOB_ERR_BUSY,        /* DEVICE_MAX_RUNNING jobs already running */
	SCANJOB_ERR_NOMEM,
	SCANJOB_ERR_THREAD,
};

/* Starts a job on the stored template template_name; *id_out gets its id.
 * Takes the device lock. */
enum scanjob_err scanjob_start(struct device *d, const char *template_name, unsigned *id_out);

#endif
