/*
 * filing.h - the rules of Xerox's HTTP filing protocol as scanpost answers
 * it (DESIGN 3.3): the operations, the answer strings, which names and
 * folders each operation takes.  Pure functions; the folder tree of a job
 * is filingstore.h's, the upload itself cgi/h_scan.c's.
 *
 * The authority is Xerox's sample HTTP filing script (the PHP class
 * phpRequestExecutor, VERSION 0.06; tests/fixtures/eip/filing/answers.tsv):
 *  - seven operations (theOperation); anything else is XRXERROR (Run);
 *  - GetFile and DeleteFile take only .xst, .dat and .txt names, anything
 *    else is XRXBADNAME (CheckFileExtension); scanpost adds .lck, the lock
 *    files the independent receivers see (a Rails ScansController answers a
 *    GetFile of a lock XRXNOTFOUND; a Go receiver deletes "normally a *LCK
 *    file").  So a document can never be read back or deleted;
 *  - RemoveDir and DeleteDirContents take only folders ending in .lck or .xsm
 *    (CheckDirectoryExtension), the lock and working folders;
 *  - '/' and '\' both separate folders, a missing trailing separator is
 *    fine (PrepDirectoryName, BuildFullyQualifiedPath).
 * Names are narrower than the sample's (which takes anything its file system
 * does): printable ASCII without the characters a Windows share refuses
 * (<>:"|?* and the separators), no "." or "..", at most FILING_NAME_MAX
 * bytes; folders at most FILING_DEPTH_MAX deep.  Anything else is
 * XRXBADNAME: a path cannot climb out of the job's own tree.
 */
#ifndef SCANPOST_FILING_H
#define SCANPOST_FILING_H

#include <stdbool.h>
#include <stddef.h>

#define FILING_NAME_MAX  255 /* bytes of one name */
#define FILING_DIR_MAX   511 /* bytes of a normalized folder path */
#define FILING_DEPTH_MAX 4   /* folders below the job's root */

enum filing_op {
	FILING_OP_NONE, /* no theOperation field */
	FILING_OP_PUTFILE,
	FILING_OP_MAKEDIR,
	FILING_OP_LISTDIR,
	FILING_OP_DELETEFILE,
	FILING_OP_REMOVEDIR,
	FILING_OP_DELETEDIRCONTENTS,
	FILING_OP_GETFILE,
	FILING_OP_UNKNOWN,
};

/* The operation named text (exact, as the sample compares), FILING_OP_NONE
 * for "", FILING_OP_UNKNOWN otherwise. */
enum filing_op filing_op_of(const char *text);
/* "PutFile", ... ("none", "unknown" for the others): for logs. */
const char *filing_op_name(enum filing_op op);

enum filing_answer {
	FILING_DONE,         /* an empty 200 */
	FILING_XRXERROR,     /* the operation failed */
	FILING_XRXNOTFOUND,  /* no such file or folder */
	FILING_XRXBADNAME,   /* a name this receiver does not take */
	FILING_XRXDIREXISTS, /* MakeDir of a name already there */
};

/* "" for FILING_DONE, else the protocol's word. */
const char *filing_answer_text(enum filing_answer a);

/* What a filed name is, by its extension (any case). */
enum filing_kind {
	FILING_KIND_DOCUMENT, /* anything else: a scanned file, sealed and kept */
	FILING_KIND_LOCK,     /* .LCK: a lock file */
	FILING_KIND_JOB_LOG,  /* .XST: the device's job log */
	FILING_KIND_NOTE,     /* .DAT, .TXT: the device's bookkeeping */
};

enum filing_kind filing_kind_of(const char *name);

/* A name the receiver takes (see above). */
bool filing_name_ok(const char *name);

/* GetFile and DeleteFile take it: a good name that is no document. */
bool filing_name_readable(const char *name);

/*
 * Writes the normalized form of a destDir into out: "/" for the root,
 * "/a/b" below it (no trailing '/'); '\' is read as '/', a leading '/' is
 * optional, trailing separators are dropped.  0, or -1 when in is empty or
 * a component is not a good name, a component is empty ("a//b"), it is
 * deeper than FILING_DEPTH_MAX or longer than FILING_DIR_MAX (XRXBADNAME).
 * outlen must be at least FILING_DIR_MAX + 1.
 */
int filing_dir_normalize(const char *in, char *out, size_t outlen);

/* Splits a normalized folder other than "/" into its parent (normalized)
 * and its last name.  0, or -1 for "/" or a buffer too small. */
int filing_dir_split(const char *dir, char *parent, size_t plen, char *name, size_t nlen);

/* RemoveDir and DeleteDirContents take it: a normalized folder whose last
 * name ends in .LCK or .XSM (any case). */
bool filing_folder_removable(const char *dir);

#endif
