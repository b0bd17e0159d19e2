/*
 * upload.h - the device side of Xerox's HTTP filing protocol (DESIGN 3.3).
 *
 * One POST per file to https://<RepositoryName><XrxHTTPScriptLocation>,
 * multipart/form-data (RFC 7578) with the fields theOperation=PutFile,
 * destDir, destName, and the file in the part "sendfile".  Success is a
 * 200 with an empty body; any other status, or a 200 whose body holds text
 * (XRXERROR, XRXNOTFOUND, XRXBADNAME, XRXDIREXISTS), is a failure.  The
 * server's certificate and name are always verified (against ca_file, or the
 * system store when it is NULL); only https is allowed and redirects are
 * not followed.  The file is streamed from disk by libcurl.
 */
#ifndef DEVICE_SIM_UPLOAD_H
#define DEVICE_SIM_UPLOAD_H

#include <stddef.h>

enum upload_err {
	UPLOAD_OK = 0,
	UPLOAD_ERR_TRANSPORT, /* connect, TLS, timeout: detail has curl's words */
	UPLOAD_ERR_STATUS,    /* not 200: detail has the status and the start of the body */
	UPLOAD_ERR_REFUSED,   /* 200 with a body, e.g. XRXERROR */
	UPLOAD_ERR_ABORTED,   /* should_stop said so */
	UPLOAD_ERR_NOMEM,
};

struct upload_target {
	const char *host;        /* RepositoryName: host or host:port */
	const char *script_path; /* XrxHTTPScriptLocation, starts with '/' */
	const char *dest_dir;    /* destDir */
	const char *ca_file;     /* CA bundle; NULL: the system's */
};

/* Once, from main, before threads (curl_global_init) / at exit. */
int upload_global_init(void);
void upload_global_cleanup(void);

/*
 * POSTs the file at local_path as dest_name.  should_stop(arg) (may be NULL)
 * is polled during the transfer.  detail (when not NULL) gets a short
 * description of a failure, safe to log: status, curl error text, at most
 * 200 bytes of the answer with control characters replaced.
 */
enum upload_err upload_put_file(const struct upload_target *t, const char *local_path,
                                const char *dest_name, int (*should_stop)(void *), void *arg,
                                char *detail, size_t detaillen);

#endif
