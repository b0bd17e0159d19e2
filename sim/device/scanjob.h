/*
 * scanjob.h - the scan engine: one thread per job.
 *
 * A job runs like a real scan: parse the stored template (tmpl_parse), read
 * its settings (scansettings), "scan" each image with the page delay
 * (ImagesScanned counts up while JobState is Processing), write the
 * document(s) (docgen), upload them (upload), then Completed.  What ends a
 * job early, as JobState ProcessingStopped with these JobStateReasons:
 *
 *   JobAborted InvalidTemplate    the template fails to parse or holds a
 *                                 setting the device does not know
 *   InputScanSizeNotDetermined    InputMediaSize AUTO and the
 *                                 auto_size_fails knob is on
 *   JobAborted PaperJam           jam_after_page knob; nothing is uploaded
 *   JobCanceledByUser             cancel_after_page knob, POST /_sim/cancel,
 *                                 or device shutdown; nothing more uploaded
 *   FileTransferFailed            the upload server refused or was not
 *                                 reached; the answer goes to the log
 *   JobAborted                    the document could not be written
 *
 * Success is Completed with JobCompletedSuccessfully.
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
