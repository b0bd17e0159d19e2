/*
 * h_scan.c - the device's upload: Xerox HTTP filing protocol (DESIGN 3.3)
 * on POST /scan/{job}/{token}.
 *
 * The body streams through the multipart parser (RFC 7578) straight into
 * the sealing stream and document_chunks; nothing holds a whole file.  All
 * of one POST is one transaction with the job row locked: the device hears
 * 200 only after COMMIT (a durable upload), and any failure rolls back so
 * nothing half-written stays.  Failures answer the protocol's XRX strings.
 */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "codec.h"
#include "docstore.h"
#include "jobs.h"
#include "jobs_api.h"
#include "lifecycle.h"
#include "log.h"
#include "multipart.h"
#include "template.h"

#define READ_BUF  (64 * 1024)
#define FIELD_MAX 255

enum filing_op {
	OP_NONE,
	OP_PUTFILE,
	OP_MAKEDIR,
	OP_LISTDIR,
	OP_DELETEFILE,
	OP_REMOVEDIR,
	OP_DELETEDIRCONTENTS,
	OP_GETFILE,
	OP_UNKNOWN
};

static const struct {
	const char *name;
	enum filing_op op;
} filing_ops[] = {
    {"PutFile", OP_PUTFILE},     {"MakeDir", OP_MAKEDIR},
    {"ListDir", OP_LISTDIR},     {"DeleteFile", OP_DELETEFILE},
    {"RemoveDir", OP_REMOVEDIR}, {"DeleteDirContents", OP_DELETEDIRCONTENTS},
    {"GetFile", OP_GETFILE},
};

/* File types accepted, told by their first bytes, not by their name. */
static const struct {
	const char *magic;
	size_t len;
	const char *content_type;
} file_types[] = {
    {"%PDF-", 5, "application/pdf"},
    {"II*\0", 4, "image/tiff"}, /* TIFF 6.0, section 2: little-endian header */
    {"MM\0*", 4, "image/tiff"}, /* big-endian */
    {"\xFF\xD8\xFF", 3, "image/jpeg"},
};
#define SNIFF_LEN 5

enum upload_fail { UP_OK, UP_MALFORMED, UP_TOO_LARGE, UP_BAD_TYPE, UP_STORE };

enum field_id { F_NONE, F_OPERATION, F_DESTDIR, F_DESTNAME, F_FILE, F_IGNORED };

struct upload {
	struct req *r;
	const char *job_id;
	uint8_t job_bin[16];
	char op_text[32];
	char dest_name[FIELD_MAX + 1];
	char part_filename[FIELD_MAX + 1];
	enum field_id field;
	size_t field_len;
	/* the file in progress */
	uint8_t sniff[SNIFF_LEN];
	size_t sniff_len;
	const char *content_type;
	int discard; /* the device's job log: accepted, not kept */
	struct doc_writer *w;
	uint64_t stored_before, stored_now, max_bytes;
	int files;
	enum upload_fail fail;
};

static enum filing_op op_of(const char *text)
{
	if (text[0] == '\0')
		return OP_NONE;
	for (size_t i = 0; i < sizeof(filing_ops) / sizeof(filing_ops[0]); i++)
		if (strcmp(filing_ops[i].name, text) == 0)
			return filing_ops[i].op;
	return OP_UNKNOWN;
}

static char *field_slot(struct upload *u, size_t *cap)
{
	*cap = 0;
	switch (u->field) {
	case F_OPERATION:
		*cap = sizeof(u->op_text);
		return u->op_text;
	case F_DESTNAME:
		*cap = sizeof(u->dest_name);
		return u->dest_name;
	default:
		return NULL;
	}
}

static int on_part_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct upload *u = arg;

	u->field_len = 0;
	if (strcmp(name, "sendfile") == 0) {
		/* A file only comes with PutFile (its fields come first). */
		if (op_of(u->op_text) != OP_PUTFILE) {
			u->fail = UP_MALFORMED;
			return -1;
		}
		u->field = F_FILE;
		u->sniff_len = 0;
		u->discard = 0;
		u->content_type = NULL;
		snprintf(u->part_filename, sizeof(u->part_filename), "%s",
		         filename ? filename : "");
		return 0;
	}
	if (strcmp(name, "theOperation") == 0)
		u->field = F_OPERATION;
	else if (strcmp(name, "destName") == 0)
		u->field = F_DESTNAME;
	else
		u->field = F_IGNORED; /* destDir and others: the folder is the job */
	char *slot;
	size_t cap;
	if ((slot = field_slot(u, &cap)) != NULL)
		slot[0] = '\0';
	return 0;
}

/* The job log is XML text named *.xst; it is not part of the document. */
static int is_job_log(const struct upload *u)
{
	const char *n = u->dest_name[0] ? u->dest_name : u->part_filename;
	size_t len = strlen(n);

	return len > 4 && strcasecmp(n + len - 4, ".xst") == 0;
}

static int file_start(struct upload *u)
{
	int file_no;

	for (size_t i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (u->sniff_len >= file_types[i].len &&
		    memcmp(u->sniff, file_types[i].magic, file_types[i].len) == 0)
			u->content_type = file_types[i].content_type;
	if (u->content_type == NULL) {
		if (is_job_log(u)) {
			u->discard = 1;
			return 0;
		}
		u->fail = UP_BAD_TYPE;
		return -1;
	}
	file_no = docstore_next_file_no(u->r->w->db, u->job_id);
	if (file_no < 0 || docw_begin(u->r->w->db, &u->r->w->doc_keys, u->job_id, u->job_bin,
	                              file_no, &u->w) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	return 0;
}

static int file_write(struct upload *u, const uint8_t *data, size_t len)
{
	if (u->discard)
		return 0;
	u->stored_now += len;
	if (u->stored_before + u->stored_now > u->max_bytes) {
		u->fail = UP_TOO_LARGE;
		return -1;
	}
	if (docw_write(u->w, data, len) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	return 0;
}

static int on_part_data(void *arg, const uint8_t *data, size_t len)
{
	struct upload *u = arg;
	char *slot;
	size_t cap;

	if (u->field == F_FILE) {
		if (u->w == NULL && !u->discard) {
			/* Hold the first bytes until the type is known. */
			size_t take = SNIFF_LEN - u->sniff_len;
			if (take > len)
				take = len;
			memcpy(u->sniff + u->sniff_len, data, take);
			u->sniff_len += take;
			data += take;
			len -= take;
			if (u->sniff_len < SNIFF_LEN)
				return 0;
			if (file_start(u) != 0 || file_write(u, u->sniff, u->sniff_len) != 0)
				return -1;
		}
		return len ? file_write(u, data, len) : 0;
	}
	if ((slot = field_slot(u, &cap)) != NULL) {
		if (u->field_len + len >= cap) {
			u->fail = UP_MALFORMED;
			return -1;
		}
		memcpy(slot + u->field_len, data, len);
		u->field_len += len;
		slot[u->field_len] = '\0';
	}
	return 0;
}

static int on_part_end(void *arg)
{
	struct upload *u = arg;
	char name[TEMPLATE_FILE_NAME_MAX + 1], fallback[32];

	if (u->field != F_FILE) {
		u->field = F_NONE;
		return 0;
	}
	u->field = F_NONE;
	if (u->w == NULL && !u->discard) {
		/* A file shorter than the sniff window is no document. */
		if (file_start(u) != 0 || file_write(u, u->sniff, u->sniff_len) != 0)
			return -1;
	}
	if (u->discard)
		return 0;
	snprintf(fallback, sizeof(fallback), "scan-%d", u->files + 1);
	template_safe_file_name(
	    u->dest_name[0] ? u->dest_name : (u->part_filename[0] ? u->part_filename : fallback),
	    name, sizeof(name));
	if (docw_finish(u->w, name, u->content_type, NULL) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	docw_free(u->w);
	u->w = NULL;
	u->files++;
	return 0;
}

static void reply_filing(struct req *r, int status, const char *xrx)
{
	reply_raw(r, status, "text/plain; charset=us-ascii", xrx, xrx ? strlen(xrx) : 0);
}

/* Feeds the whole body to the parser; the reason of a failure is in u. */
static enum mp_err upload_parse(struct upload *u, struct mp_parser *mp)
{
	uint8_t *buf = malloc(READ_BUF);
	enum mp_err e = MP_OK;
	int n;

	if (buf == NULL)
		return MP_ERR_NOMEM;
	while ((n = FCGX_GetStr((char *)buf, READ_BUF, u->r->fcgi->in)) > 0)
		if ((e = mp_parser_feed(mp, buf, (size_t)n)) != MP_OK)
			break;
	if (e == MP_OK)
		e = mp_parser_finish(mp);
	OPENSSL_cleanse(buf, READ_BUF);
	free(buf);
	return e;
}

/* The operations without a file: the folder is the job's own. */
static int run_folder_op(struct upload *u, enum filing_op op, int *status, const char **xrx,
                         char **listing)
{
	struct db *db = u->r->w->db;
	int rc;

	*status = 200;
	*xrx = NULL;
	switch (op) {
	case OP_MAKEDIR:
		return 0;
	case OP_LISTDIR:
		*listing = docstore_file_names(db, u->job_id);
		return *listing ? 0 : -1;
	case OP_DELETEFILE:
		if ((rc = docstore_delete_file(db, u->job_id, u->dest_name)) < 0)
			return -1;
		if (rc == 1) {
			*status = 404;
			*xrx = "XRXNOTFOUND";
		}
		return jobs_upload_recount(db, u->job_id);
	case OP_REMOVEDIR:
	case OP_DELETEDIRCONTENTS:
		if (docstore_delete_files(db, u->job_id) != 0)
			return -1;
		return jobs_upload_recount(db, u->job_id);
	case OP_GETFILE:
		/* Documents go one way: nothing is ever read back. */
		*status = 403;
		*xrx = "XRXERROR";
		return 0;
	default:
		*status = 400;
		*xrx = "XRXERROR";
		return 0;
	}
}

void h_scan_upload(struct req *r)
{
	struct upload u;
	struct mp_parser *mp = NULL;
	struct mp_callbacks cb = {on_part_begin, on_part_data, on_part_end};
	uint8_t token[32], token_hash[32];
	char owner[256], *listing = NULL;
	const char *xrx = NULL;
	int status = 200, in_tx = 0;
	enum lc_result rc;
	enum mp_err e;
	enum filing_op op;

	memset(&u, 0, sizeof(u));
	u.r = r;
	u.job_id = r->params[0];
	u.max_bytes = (uint64_t)r->w->api->cfg.upload_max_bytes;
	/* One answer for every bad key: the device learns nothing from it. */
	if (uuid_parse(r->params[0], u.job_bin) != 0 ||
	    b64url_decode(r->params[1], token, sizeof(token)) != 0) {
		reply_filing(r, 403, "XRXERROR");
		goto out;
	}
	SHA256(token, sizeof(token), token_hash);
	OPENSSL_cleanse(token, sizeof(token));

	if (mp_parser_new(req_param(r, "CONTENT_TYPE"), &cb, &u, &mp) != MP_OK) {
		reply_filing(r, 400, "XRXERROR");
		goto out;
	}
	/* The lifecycle owns this transaction (lifecycle.h): begun with the
	 * job locked, committed only if the link is still valid then. */
	switch (lifecycle_upload_begin(r->w->db, u.job_id, token_hash, &u.stored_before, owner,
	                               sizeof(owner))) {
	case LC_OK:
		in_tx = 1;
		break;
	case LC_DB_ERROR:
		sp_log(LOG_ERROR, "upload_lock_failed", "error", db_error(r->w->db), NULL);
		reply_filing(r, 503, "XRXERROR");
		goto out;
	default:
		sp_log(LOG_WARN, "upload_refused", "job_id", u.job_id, "reason",
		       "unknown, expired or used upload link", NULL);
		reply_filing(r, 403, "XRXERROR");
		goto out;
	}

	e = upload_parse(&u, mp);
	if (e != MP_OK) {
		static const struct {
			int status;
			const char *why;
		} fails[] = {
		    [UP_OK] = {400, "malformed multipart body"},
		    [UP_MALFORMED] = {400, "unexpected filing field"},
		    [UP_TOO_LARGE] = {413, "over upload_max_bytes"},
		    [UP_BAD_TYPE] = {415, "not a PDF, TIFF or JPEG file"},
		    [UP_STORE] = {503, "could not store"},
		};
		sp_log(LOG_WARN, "upload_failed", "job_id", u.job_id, "reason", fails[u.fail].why,
		       "parser", mp_strerror(e), NULL);
		reply_filing(r, fails[u.fail].status, "XRXERROR");
		goto out;
	}
	op = op_of(u.op_text);
	if (op == OP_PUTFILE) {
		if (u.files == 0 && !u.discard) {
			reply_filing(r, 400, "XRXERROR");
			goto out;
		}
	} else if (run_folder_op(&u, op, &status, &xrx, &listing) != 0) {
		goto store_failed;
	}
	/* Postfix's rule: acknowledge only what is durable. */
	rc = lifecycle_upload_commit(r->w->db, u.job_id, owner, u.files, u.stored_now,
	                             r->request_id);
	in_tx = 0;
	if (rc == LC_EXPIRED) {
		sp_log(LOG_WARN, "upload_refused", "job_id", u.job_id, "reason",
		       "the upload link expired before the upload ended", NULL);
		reply_filing(r, 403, "XRXERROR");
		goto out;
	}
	if (rc != LC_OK)
		goto store_failed;
	if (u.files > 0) {
		metrics_upload_bytes(u.stored_now);
		sp_log(LOG_INFO, "uploaded", "job_id", u.job_id, "%files", LOG_NUM(u.files),
		       "%bytes", LOG_NUM(u.stored_now), NULL);
	}
	if (listing)
		reply_raw(r, 200, "text/plain; charset=utf-8", listing, strlen(listing));
	else
		reply_filing(r, status, xrx);
	goto out;
store_failed:
	sp_log(LOG_ERROR, "upload_store_failed", "job_id", u.job_id, "error", db_error(r->w->db),
	       NULL);
	reply_filing(r, 503, "XRXERROR");
out:
	if (in_tx)
		lifecycle_upload_abort(r->w->db);
	docw_free(u.w);
	mp_parser_free(mp);
	free(listing);
	OPENSSL_cleanse(u.sniff, sizeof(u.sniff));
}
