/*
 * h_scan.c - the device's upload: Xerox's HTTP filing protocol (DESIGN 3.3)
 * on POST /scan/{job}/{token} (and /scanpost/scan/..., the VersaLink form,
 * template.h).
 *
 * Each upload URL is one job, and the job is the root of its own filing
 * tree (filingstore.h).  The operations are answered as Xerox's sample HTTP
 * filing script answers them (the PHP class phpRequestExecutor; the table is
 * tests/fixtures/eip/filing/answers.tsv, the name rules filing.h): HTTP 200
 * with an empty body on success or with the protocol's word (XRXERROR,
 * XRXNOTFOUND, XRXBADNAME, XRXDIREXISTS), ListDir's listing as text.  A
 * GetFile of an absent lock is XRXNOTFOUND, as a device expects before it
 * takes the lock.  HTTP errors are kept for what is not the protocol's
 * business: a bad or used upload link (403), a body over upload_max_bytes
 * (413), a document that is not PDF, TIFF or JPEG (415), a malformed body
 * (400), a second POST while another upload to the same link is in
 * progress (409, at once: the job row is locked NOWAIT), a body slower
 * than upload_min_rate (408), our own trouble (503); each with XRXERROR.
 *
 * Where scanpost answers otherwise than the sample, on purpose:
 *  - a document is never deleted or replaced by the device: GetFile and
 *    DeleteFile take only lock, .xst, .dat and .txt names; RemoveDir of a
 *    folder holding a document fails (XRXERROR, as rmdir of a non-empty
 *    folder does in the sample); DeleteDirContents removes the bookkeeping
 *    of the folder it names, keeps its documents and then answers XRXERROR
 *    ("some of its files cannot be deleted"); a PutFile of a name already
 *    there is XRXERROR.  Folder operations touch only the folder named.
 *  - the bookkeeping files (locks, .dat, .txt, the job log) are counted
 *    against upload_max_bytes and their names kept; their content is not
 *    (a GetFile of one answers an empty file).
 *
 * The job log (a .XST file, filed after the last file because the template
 * says SuppressJobLog = FALSE, template.h) is scanpost's own proof that
 * every file is in: its arrival is recorded when the POST commits
 * (lifecycle_upload_commit) and closes the set of documents; a document
 * after it is XRXERROR.  The
 * weblet's Completed is the person's intent.  A job is sent only with both:
 * submit waits a bounded time for the job log and, when it is still
 * missing, answers 409 scan_incomplete and leaves the job awaiting its scan
 * (h_jobs.c); a job log that never comes leaves the job to expire with its
 * upload link (upload_ttl), its files deleted, for the person to scan
 * again.  A partial document is never sent.
 *
 * The body streams through the multipart parser (RFC 7578) straight into
 * the sealing stream and document_chunks; nothing holds a whole file.  The
 * fields must come before the file (a device sends them so).  All of one
 * POST is one transaction with the job row locked, owned by the lifecycle
 * (lifecycle_upload_begin ... _commit, lifecycle.h), which also names what
 * a filing operation may take away (lifecycle_upload_forget_file, _clear_
 * folder, _remove_folder: never a document): the device hears 200 only
 * after COMMIT (a durable upload, its link checked again then), and any
 * failure rolls back so nothing half-written stays.
 */
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "codec.h"
#include "docstore.h"
#include "filing.h"
#include "filingstore.h"
#include "jobs.h"
#include "jobs_api.h"
#include "lifecycle.h"
#include "log.h"
#include "metrics.h"
#include "multipart.h"
#include "template.h"

/* FCGX_GetStr returns only when this much arrived (or the body ended):
 * small enough that a slow body is judged often (upload_min_rate). */
#define READ_BUF  (16 * 1024)
#define FIELD_MAX 511
/* A lock, bookkeeping file or job log is a few KiB; more is no such file. */
#define EXTRA_FILE_MAX (1024 * 1024)

/* Document types accepted, told by their first bytes, not by their name. */
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

/* Failures that are HTTP errors, not protocol answers. */
enum upload_fail { UP_OK, UP_MALFORMED, UP_TOO_LARGE, UP_BAD_TYPE, UP_STORE, UP_TOO_SLOW };

enum field_id { F_NONE, F_OPERATION, F_DESTDIR, F_DESTNAME, F_DELDIR, F_FILE, F_IGNORED };

/* What happens to the bytes of the file part. */
enum file_mode {
	M_DOCUMENT, /* sniffed, sealed, stored */
	M_EXTRA,    /* a lock, bookkeeping file or job log: counted, not kept */
	M_REFUSED,  /* the answer is decided; the bytes are read and dropped */
};

struct upload {
	struct req *r;
	const char *job_id;
	uint8_t job_bin[16];
	char op_text[32];
	char dest_dir[FIELD_MAX + 1];
	char dest_name[FIELD_MAX + 1];
	char del_dir[8];
	enum field_id field;
	size_t field_len;
	/* the file part, when there is one */
	bool had_file;
	enum file_mode mode;
	enum filing_kind kind;
	char dir[FILING_DIR_MAX + 1]; /* dest_dir normalized */
	enum filing_answer answer;
	uint8_t sniff[SNIFF_LEN];
	size_t sniff_len;
	const char *content_type;
	struct doc_writer *w;
	int file_no;
	uint64_t part_bytes;
	/* the job */
	uint64_t stored_before, max_bytes;
	uint64_t doc_bytes; /* documents stored by this POST */
	int files;
	bool job_log;           /* this POST filed the job log */
	uint64_t job_log_bytes; /* its size */
	enum upload_fail fail;
};

static char *field_slot(struct upload *u, size_t *cap)
{
	switch (u->field) {
	case F_OPERATION:
		*cap = sizeof(u->op_text);
		return u->op_text;
	case F_DESTDIR:
		*cap = sizeof(u->dest_dir);
		return u->dest_dir;
	case F_DESTNAME:
		*cap = sizeof(u->dest_name);
		return u->dest_name;
	case F_DELDIR:
		*cap = sizeof(u->del_dir);
		return u->del_dir;
	default:
		*cap = 0;
		return NULL;
	}
}

/* The form fields of the protocol: the sample script's
 * att_constFormVarName* (theOperation, destDir, destName, delDir). */
static const struct {
	const char *name;
	enum field_id id;
} form_fields[] = {
    {"theOperation", F_OPERATION},
    {"destDir", F_DESTDIR},
    {"destName", F_DESTNAME},
    {"delDir", F_DELDIR},
};

static void refuse_file(struct upload *u, enum filing_answer a)
{
	u->mode = M_REFUSED;
	u->answer = a;
}

/* Decides what the file part is, before its first byte (its fields came
 * first).  -1 on a database failure (u->fail set). */
static int file_begin(struct upload *u)
{
	struct db *db = u->r->w->db;
	enum fs_kind there;
	int rc;

	u->had_file = true;
	u->mode = M_EXTRA;
	u->answer = FILING_DONE;
	u->part_bytes = 0;
	u->sniff_len = 0;
	u->content_type = NULL;
	/* SaveFiles: an empty name or a folder path that is no good name. */
	if (!filing_name_ok(u->dest_name) ||
	    filing_dir_normalize(u->dest_dir, u->dir, sizeof(u->dir)) != 0) {
		refuse_file(u, FILING_XRXBADNAME);
		return 0;
	}
	u->kind = filing_kind_of(u->dest_name);
	if ((rc = filingstore_folder_exists(db, u->job_id, u->dir)) < 0 ||
	    filingstore_kind(db, u->job_id, u->dir, u->dest_name, &there) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	if (rc == 0 || there != FS_NONE) {
		/* No such folder: the sample cannot write it.  A name already
		 * there: an arrived file is never replaced. */
		refuse_file(u, FILING_XRXERROR);
		return 0;
	}
	if (u->kind == FILING_KIND_DOCUMENT) {
		if ((rc = filingstore_job_log_arrived(db, u->job_id)) < 0) {
			u->fail = UP_STORE;
			return -1;
		}
		if (rc == 1) {
			refuse_file(u, FILING_XRXERROR); /* the job log closed the set */
			return 0;
		}
		u->mode = M_DOCUMENT;
	}
	return 0;
}

static int on_part_begin(void *arg, const char *name, const char *filename, const char *ctype)
{
	struct upload *u = arg;
	char *slot;
	size_t cap, i;

	(void)filename;
	(void)ctype;
	u->field_len = 0;
	if (strcmp(name, "sendfile") == 0) {
		/* One file, with PutFile, after the fields. */
		if (filing_op_of(u->op_text) != FILING_OP_PUTFILE || u->had_file) {
			u->fail = UP_MALFORMED;
			return -1;
		}
		u->field = F_FILE;
		return file_begin(u);
	}
	u->field = F_IGNORED;
	for (i = 0; i < sizeof(form_fields) / sizeof(form_fields[0]); i++)
		if (strcmp(form_fields[i].name, name) == 0)
			u->field = form_fields[i].id;
	if ((slot = field_slot(u, &cap)) != NULL)
		slot[0] = '\0';
	return 0;
}

/* Counts bytes against the job's cap; -1 (UP_TOO_LARGE) over it. */
static int count(struct upload *u, size_t len)
{
	u->part_bytes += len;
	if (u->stored_before + u->doc_bytes + u->part_bytes > u->max_bytes) {
		u->fail = UP_TOO_LARGE;
		return -1;
	}
	return 0;
}

static int document_start(struct upload *u)
{
	for (size_t i = 0; i < sizeof(file_types) / sizeof(file_types[0]); i++)
		if (u->sniff_len >= file_types[i].len &&
		    memcmp(u->sniff, file_types[i].magic, file_types[i].len) == 0)
			u->content_type = file_types[i].content_type;
	if (u->content_type == NULL) {
		u->fail = UP_BAD_TYPE;
		return -1;
	}
	u->file_no = docstore_next_file_no(u->r->w->db, u->job_id);
	if (u->file_no < 0 || docw_begin(u->r->w->db, &u->r->w->doc_keys, u->job_id, u->job_bin,
	                                 u->file_no, &u->w) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	return 0;
}

static int document_write(struct upload *u, const uint8_t *data, size_t len)
{
	if (count(u, len) != 0)
		return -1;
	if (docw_write(u->w, data, len) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	return 0;
}

static int document_data(struct upload *u, const uint8_t *data, size_t len)
{
	if (u->w == NULL) {
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
		if (document_start(u) != 0 || document_write(u, u->sniff, u->sniff_len) != 0)
			return -1;
	}
	return len ? document_write(u, data, len) : 0;
}

static int on_part_data(void *arg, const uint8_t *data, size_t len)
{
	struct upload *u = arg;
	char *slot;
	size_t cap;

	if (u->field == F_FILE) {
		switch (u->mode) {
		case M_DOCUMENT:
			return document_data(u, data, len);
		case M_EXTRA:
			if (count(u, len) != 0)
				return -1;
			if (u->part_bytes > EXTRA_FILE_MAX)
				refuse_file(u, FILING_XRXERROR);
			return 0;
		case M_REFUSED:
			return 0;
		}
		return 0;
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

static int document_end(struct upload *u)
{
	char name[TEMPLATE_FILE_NAME_MAX + 1];

	/* A file shorter than the sniff window is no document. */
	if (u->w == NULL && (document_start(u) != 0 || document_write(u, u->sniff, u->sniff_len)))
		return -1;
	/* The name the recipients see is reduced to a safe set. */
	template_safe_file_name(u->dest_name, name, sizeof(name));
	if (docw_finish(u->w, name, u->content_type, NULL) != 0 ||
	    filingstore_add(u->r->w->db, u->job_id, u->dir, u->dest_name, FS_DOCUMENT,
	                    u->part_bytes, u->file_no) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	docw_free(u->w);
	u->w = NULL;
	u->doc_bytes += u->part_bytes;
	u->files++;
	return 0;
}

static int extra_end(struct upload *u)
{
	struct db *db = u->r->w->db;
	bool log = u->kind == FILING_KIND_JOB_LOG;

	if (filingstore_add(db, u->job_id, u->dir, u->dest_name, log ? FS_JOB_LOG : FS_FILE,
	                    u->part_bytes, 0) != 0) {
		u->fail = UP_STORE;
		return -1;
	}
	/* Its arrival is the lifecycle's to record, at commit. */
	u->job_log = log;
	u->job_log_bytes = log ? u->part_bytes : 0;
	return 0;
}

static int on_part_end(void *arg)
{
	struct upload *u = arg;

	if (u->field != F_FILE) {
		u->field = F_NONE;
		return 0;
	}
	u->field = F_NONE;
	switch (u->mode) {
	case M_DOCUMENT:
		return document_end(u);
	case M_EXTRA:
		return extra_end(u);
	case M_REFUSED:
		return 0;
	}
	return 0;
}

/* Whether the body arrives slower than upload_min_rate on average (after
 * upload_rate_window seconds: a printer's first bytes may wait for its
 * scanner): such an upload holds an upload worker, a database
 * connection and an open transaction for nothing (DESIGN 3.7, bounded
 * waits).  nginx's client_body_timeout ends one that stops altogether. */
static bool upload_too_slow(const struct upload *u, const struct timespec *t0, uint64_t got)
{
	long min_rate = u->r->cfg->upload_min_rate;
	struct timespec now;
	double secs;

	if (min_rate <= 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	secs = (double)(now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
	return secs > (double)u->r->cfg->upload_rate_window &&
	       (double)got < (double)min_rate * secs;
}

/* Feeds the whole body to the parser; the reason of a failure is in u. */
static enum mp_err upload_parse(struct upload *u, struct mp_parser *mp)
{
	uint8_t *buf = malloc(READ_BUF);
	enum mp_err e = MP_OK;
	struct timespec t0;
	uint64_t got = 0;
	int n;

	if (buf == NULL)
		return MP_ERR_NOMEM;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while ((n = FCGX_GetStr((char *)buf, READ_BUF, u->r->fcgi->in)) > 0) {
		if ((e = mp_parser_feed(mp, buf, (size_t)n)) != MP_OK)
			break;
		got += (uint64_t)n;
		if (upload_too_slow(u, &t0, got)) {
			u->fail = UP_TOO_SLOW;
			e = MP_ERR_ABORTED;
			break;
		}
	}
	if (e == MP_OK)
		e = mp_parser_finish(mp);
	OPENSSL_cleanse(buf, READ_BUF);
	free(buf);
	return e;
}

/* ---- the operations without a file ---------------------------------------- */

/* Each returns the answer, or -1 on a database failure; ListDir may set
 * *listing (malloc'd). */
typedef int (*folder_op_fn)(struct upload *u, const char *dir, char **listing);

/* GetFile: readable names only (CheckFileExtension); scanpost keeps no
 * bookkeeping text, so a file that is there reads as empty. */
static int op_get_file(struct upload *u, const char *dir, char **listing)
{
	enum fs_kind k;

	(void)listing;
	if (!filing_name_readable(u->dest_name))
		return FILING_XRXBADNAME;
	if (filingstore_kind(u->r->w->db, u->job_id, dir, u->dest_name, &k) != 0)
		return -1;
	return k == FS_NONE ? FILING_XRXNOTFOUND : FILING_DONE;
}

/* DeleteFile: readable names only, so never a document. */
static int op_delete_file(struct upload *u, const char *dir, char **listing)
{
	int rc;

	(void)listing;
	if (!filing_name_readable(u->dest_name))
		return FILING_XRXBADNAME;
	if ((rc = lifecycle_upload_forget_file(u->r->w->db, u->job_id, dir, u->dest_name)) < 0)
		return -1;
	return rc ? FILING_DONE : FILING_XRXNOTFOUND;
}

/* MakeDir: XRXDIREXISTS when the name is taken, XRXERROR without a parent
 * (mkdir fails), as MakeDirectory. */
static int op_make_dir(struct upload *u, const char *dir, char **listing)
{
	char parent[FILING_DIR_MAX + 1], name[FILING_NAME_MAX + 1];
	enum fs_kind k;
	int rc;

	(void)listing;
	if (strcmp(dir, "/") == 0)
		return FILING_XRXDIREXISTS;
	if (filing_dir_split(dir, parent, sizeof(parent), name, sizeof(name)) != 0)
		return FILING_XRXBADNAME;
	if (filingstore_kind(u->r->w->db, u->job_id, parent, name, &k) != 0 ||
	    (rc = filingstore_folder_exists(u->r->w->db, u->job_id, parent)) < 0)
		return -1;
	if (k != FS_NONE)
		return FILING_XRXDIREXISTS;
	if (rc == 0)
		return FILING_XRXERROR;
	return filingstore_add(u->r->w->db, u->job_id, parent, name, FS_FOLDER, 0, 0) != 0
	           ? -1
	           : FILING_DONE;
}

/* RemoveDir: .lck and .xsm folders only; XRXBADNAME when it is not a
 * folder, XRXERROR when it is not empty (RemoveDirectory). */
static int op_remove_dir(struct upload *u, const char *dir, char **listing)
{
	long entries, documents;
	int rc;

	(void)listing;
	if (!filing_folder_removable(dir))
		return FILING_XRXBADNAME;
	if ((rc = filingstore_folder_exists(u->r->w->db, u->job_id, dir)) < 0)
		return -1;
	if (rc == 0)
		return FILING_XRXBADNAME;
	if (filingstore_folder_count(u->r->w->db, u->job_id, dir, &entries, &documents) != 0)
		return -1;
	if (entries > 0)
		return FILING_XRXERROR;
	return lifecycle_upload_remove_folder(u->r->w->db, u->job_id, dir) != 0 ? -1 : FILING_DONE;
}

/* DeleteDirContents: .lck and .xsm folders only; XRXNOTFOUND when absent
 * (DeleteDirectoryContents).  Documents stay: then XRXERROR. */
static int op_delete_dir_contents(struct upload *u, const char *dir, char **listing)
{
	struct db *db = u->r->w->db;
	long entries, documents;
	int rc;

	(void)listing;
	if (!filing_folder_removable(dir))
		return FILING_XRXBADNAME;
	if ((rc = filingstore_folder_exists(db, u->job_id, dir)) < 0)
		return -1;
	if (rc == 0)
		return FILING_XRXNOTFOUND;
	if (lifecycle_upload_clear_folder(db, u->job_id, dir) != 0 ||
	    filingstore_folder_count(db, u->job_id, dir, &entries, &documents) != 0)
		return -1;
	if (documents > 0) {
		sp_log(LOG_WARN, "filing_documents_kept", "job_id", u->job_id, "%documents",
		       LOG_NUM(documents), NULL);
		return FILING_XRXERROR;
	}
	if (strcmp(u->del_dir, "1") == 0 && entries == 0 &&
	    lifecycle_upload_remove_folder(db, u->job_id, dir) != 0)
		return -1;
	return FILING_DONE;
}

/* ListDir: XRXBADNAME when not a folder (ListDirectory). */
static int op_list_dir(struct upload *u, const char *dir, char **listing)
{
	int rc = filingstore_folder_exists(u->r->w->db, u->job_id, dir);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return FILING_XRXBADNAME;
	*listing = filingstore_list(u->r->w->db, u->job_id, dir);
	return *listing ? FILING_DONE : -1;
}

static const folder_op_fn folder_ops[] = {
    [FILING_OP_GETFILE] = op_get_file,
    [FILING_OP_DELETEFILE] = op_delete_file,
    [FILING_OP_MAKEDIR] = op_make_dir,
    [FILING_OP_REMOVEDIR] = op_remove_dir,
    [FILING_OP_DELETEDIRCONTENTS] = op_delete_dir_contents,
    [FILING_OP_LISTDIR] = op_list_dir,
};

/* Runs an operation without a file: the answer, or -1 (database). */
static int run_folder_op(struct upload *u, enum filing_op op, char **listing)
{
	char dir[FILING_DIR_MAX + 1];

	if ((size_t)op >= sizeof(folder_ops) / sizeof(folder_ops[0]) || !folder_ops[op])
		return FILING_XRXERROR; /* Run: not one of the operations */
	if (filing_dir_normalize(u->dest_dir, dir, sizeof(dir)) != 0)
		return FILING_XRXBADNAME;
	return folder_ops[op](u, dir, listing);
}

static void reply_filing(struct req *r, int status, const char *xrx)
{
	reply_raw(r, status, "text/plain; charset=us-ascii", xrx, xrx ? strlen(xrx) : 0);
}

/* The lifecycle owns the upload's transaction (lifecycle.h): begun with
 * the job locked, committed only if the link is still valid then.  0 with
 * the transaction open, or -1 answered. */
static int upload_begin(struct upload *u, const uint8_t token_hash[32], char *owner,
                        size_t ownerlen)
{
	struct req *r = u->r;

	switch (lifecycle_upload_begin(r->w->db, u->job_id, token_hash, &u->stored_before, owner,
	                               ownerlen)) {
	case LC_OK:
		return 0;
	case LC_BUSY:
		sp_log(LOG_WARN, "upload_refused", "job_id", u->job_id, "reason",
		       lifecycle_strerror(LC_BUSY), NULL);
		reply_filing(r, 409, "XRXERROR");
		return -1;
	case LC_DB_ERROR:
		sp_log(LOG_ERROR, "upload_lock_failed", "error", db_error(r->w->db), NULL);
		reply_filing(r, 503, "XRXERROR");
		return -1;
	default:
		sp_log(LOG_WARN, "upload_refused", "job_id", u->job_id, "reason",
		       "unknown, expired or used upload link", NULL);
		reply_filing(r, 403, "XRXERROR");
		return -1;
	}
}

/* The answer to a body that did not go through (upload_parse). */
static void reply_upload_failed(struct upload *u, enum mp_err e)
{
	static const struct {
		int status;
		const char *why;
	} fails[] = {
	    [UP_OK] = {400, "malformed multipart body"},
	    [UP_MALFORMED] = {400, "unexpected filing field"},
	    [UP_TOO_LARGE] = {413, "over upload_max_bytes"},
	    [UP_BAD_TYPE] = {415, "not a PDF, TIFF or JPEG file"},
	    [UP_STORE] = {503, "could not store"},
	    [UP_TOO_SLOW] = {408, "slower than upload_min_rate"},
	};

	sp_log(u->fail == UP_STORE ? LOG_ERROR : LOG_WARN, "upload_failed", "job_id", u->job_id,
	       "reason", fails[u->fail].why, "parser", mp_strerror(e), "error",
	       u->fail == UP_STORE ? db_error(u->r->w->db) : "", NULL);
	reply_filing(u->r, fails[u->fail].status, "XRXERROR");
}

void h_scan_upload(struct req *r)
{
	struct upload u;
	struct mp_parser *mp = NULL;
	struct mp_callbacks cb = {on_part_begin, on_part_data, on_part_end};
	uint8_t token[32], token_hash[32];
	char owner[256], *listing = NULL;
	uint64_t extra = 0;
	int in_tx = 0, answer;
	enum lc_result rc;
	enum mp_err e;
	enum filing_op op;

	memset(&u, 0, sizeof(u));
	u.r = r;
	u.job_id = r->params[0];
	u.max_bytes = (uint64_t)r->cfg->upload_max_bytes;
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
	if (upload_begin(&u, token_hash, owner, sizeof(owner)) != 0)
		goto out;
	in_tx = 1;
	/* The cap counts the bookkeeping files and the job log too. */
	if (filingstore_extra_bytes(r->w->db, u.job_id, &extra) != 0)
		goto store_failed;
	u.stored_before += extra;

	if ((e = upload_parse(&u, mp)) != MP_OK) {
		reply_upload_failed(&u, e);
		goto out;
	}
	op = filing_op_of(u.op_text);
	if (op == FILING_OP_PUTFILE)
		answer = u.had_file ? (int)u.answer : FILING_XRXBADNAME; /* SaveFiles */
	else if ((answer = run_folder_op(&u, op, &listing)) < 0)
		goto store_failed;
	/* Postfix's rule: acknowledge only what is durable. */
	struct lc_upload done = {
	    .files = u.files,
	    .bytes = u.doc_bytes,
	    .job_log = u.job_log,
	    .job_log_bytes = u.job_log_bytes,
	};
	rc = lifecycle_upload_commit(r->w->db, u.job_id, owner, &done, r->request_id);
	in_tx = 0;
	if (rc == LC_EXPIRED) {
		sp_log(LOG_WARN, "upload_refused", "job_id", u.job_id, "reason",
		       "the upload link expired before the upload ended", NULL);
		reply_filing(r, 403, "XRXERROR");
		goto out;
	}
	if (rc != LC_OK)
		goto store_failed;
	sp_log(answer == FILING_DONE ? LOG_INFO : LOG_WARN, "filing", "job_id", u.job_id,
	       "operation", filing_op_name(op), "answer",
	       answer == FILING_DONE ? "done" : filing_answer_text((enum filing_answer)answer),
	       "%files", LOG_NUM(u.files), "%bytes", LOG_NUM(u.doc_bytes), "job_log",
	       u.job_log ? "arrived" : "", NULL);
	if (u.files > 0)
		metrics_upload_bytes(u.doc_bytes);
	if (listing)
		reply_raw(r, 200, "text/plain; charset=utf-8", listing, strlen(listing));
	else
		reply_filing(r, 200, filing_answer_text((enum filing_answer)answer));
	goto out;
store_failed:
	sp_log(LOG_ERROR, "upload_store_failed", "job_id", u.job_id, "error", db_error(r->w->db),
	       NULL);
	reply_filing(r, 503, "XRXERROR");
out:
	docw_free(u.w); /* first: it waits for a chunk INSERT still in flight */
	if (in_tx)
		lifecycle_upload_abort(r->w->db);
	mp_parser_free(mp);
	free(listing);
	OPENSSL_cleanse(u.sniff, sizeof(u.sniff));
}
