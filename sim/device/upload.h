/*
 * upload.h - the device side of Xerox's HTTP filing protocol (DESIGN 3.3).
 *
 * One POST per operation to the filing URL (scansettings.h),
 * multipart/form-data (RFC 7578) with the fields theOperation, destDir,
 * destName (and delDir for DeleteDirContents), and for PutFile the file in
 * the part "sendfile" (the field names of Xerox's sample HTTP filing script,
 * PHP class phpRequestExecutor, and of the independent receivers).  The
 * receiver answers every operation with HTTP 200: an empty body is success,
 * a body is the answer (XRXERROR, XRXNOTFOUND, XRXBADNAME, XRXDIREXISTS, or
 * ListDir's listing).  Any other status is a failure of the transfer.
 *
 * The server's certificate and name are always verified (against ca_file,
 * or the system store when it is NULL); only https is allowed and
 * redirects are not followed.  A file is streamed from disk by libcurl.
 */
#ifndef DEVICE_SIM_UPLOAD_H
#define DEVICE_SIM_UPLOAD_H

#include <stddef.h>

enum upload_err {
	UPLOAD_OK = 0,        /* HTTP 200; the answer text is in .answer */
	UPLOAD_ERR_TRANSPORT, /* connect, TLS, timeout: detail has curl's words */
	UPLOAD_ERR_STATUS,    /* not 200: detail has the status and the start of the body */
	UPLOAD_ERR_ABORTED,   /* should_stop said so */
	UPLOAD_ERR_NOMEM,
};

struct upload_target {
	const char *url;            /* https://host[:port]/path */
	const char *ca_file;        /* CA bundle; NULL: the system's */
	int (*should_stop)(void *); /* polled during transfers; may be NULL */
	void *arg;
};

#define UPLOAD_ANSWER_MAX 4096

/* One operation.  local_path is the file of a PutFile (NULL otherwise);
 * del_dir is DeleteDirContents' delDir ("1": remove the folder too; NULL:
 * no field). */
struct upload_op {
	const char *operation; /* theOperation */
	const char *dest_dir;
	const char *dest_name; /* NULL: no field */
	const char *del_dir;
	const char *local_path;
};

struct upload_answer {
	char text[UPLOAD_ANSWER_MAX + 1]; /* the body, cut at UPLOAD_ANSWER_MAX */
	size_t len;
};

/* Once, from main, before threads (curl_global_init) / at exit. */
int upload_global_init(void);
void upload_global_cleanup(void);

/*
 * Runs op against t.  On UPLOAD_OK *a holds the answer (trailing whitespace
 * cut).  detail (when not NULL) gets a short description of a failure, safe
 * to log: status, curl error text, at most 200 bytes of the answer with
 * control characters replaced.
 */
enum upload_err upload_run(const struct upload_target *t, const struct upload_op *op,
                           struct upload_answer *a, char *detail, size_t detaillen);

/* The answer made safe for a log line: printable ASCII, at most 200 bytes. */
void upload_printable(const char *in, char *out, size_t outlen);

#endif
