/*
 * sso_proto.h - what scanpost-api and scanpost-ssod say to each other over
 * the local socket sso_socket (DESIGN 3.4).
 *
 * One connection, one request line, one answer line; each line is one flat
 * JSON object (RFC 8259) of string and boolean members, at most
 * SSO_LINE_MAX bytes with its '\n'.
 *
 *   request  {"op": "ticket", "serial", "token"}     the printer's security
 *                                                    token (sso_assert.h),
 *                                                    verified and used up
 *            {"op": "fetch"|"forget"|"refused", "ticket"}
 *            {"op": "store", "ticket", "username", "password"}
 *   answer   {"ok": true, "identity"?, "ticket"?, "username"?, "password"?}
 *              ticket: identity and ticket; fetch: identity, username,
 *              password; the others: identity
 *            {"ok": false, "error": "not_stored"|"assertion_refused"|
 *             "other_account"|"unavailable"|"bad_request", "reason"?}
 *
 * A ticket is what ssod gives back for a verified token: proof, for the
 * rest of the person's visit (sso_ticket_lifetime), of who the printer
 * said was logged in.  The api passes it through and cannot read it.
 *
 * Unknown or repeated members are refused.  The reader and writer below
 * are our own rather than json-c's, so that every buffer a password passes
 * through is one of ours, of fixed size, and wiped (sso_request_wipe,
 * sso_answer_wipe, and the line buffers in the client).
 */
#ifndef SCANPOST_SSO_PROTO_H
#define SCANPOST_SSO_PROTO_H

#include <stddef.h>

#include "sso_assert.h"

#define SSO_LINE_MAX     20480 /* a token, with room for the rest */
#define SSO_TICKET_MAX   512
#define SSO_USERNAME_MAX 254 /* as POST /api/v1/session accepts */
#define SSO_PASSWORD_MAX 1024
#define SSO_REASON_MAX   32
#define SSO_TIMEOUT_MS   5000 /* each way: connect, send, answer */

enum sso_op {
	SSO_OP_TICKET,
	SSO_OP_STORE,
	SSO_OP_FETCH,
	SSO_OP_FORGET,
	SSO_OP_REFUSED,
	SSO_OP__MAX
};

enum sso_proto_err {
	SSO_ERR_NONE = 0,
	SSO_ERR_NOT_STORED,        /* no (readable) vault entry for the identity */
	SSO_ERR_ASSERTION_REFUSED, /* token or ticket refused (stale, replayed, ...: reason) */
	SSO_ERR_OTHER_ACCOUNT,     /* store: another RMail account is stored for the identity */
	SSO_ERR_UNAVAILABLE,       /* ssod cannot do it now (database, keys) */
	SSO_ERR_BAD_REQUEST,       /* the request line is not one */
	SSO_ERR__MAX
};

struct sso_request {
	enum sso_op op;
	char serial[SSO_SERIAL_MAX + 1];
	char token[SSO_TOKEN_MAX + 1];
	char ticket[SSO_TICKET_MAX + 1];
	char username[SSO_USERNAME_MAX + 1];
	char password[SSO_PASSWORD_MAX + 1];
};

struct sso_answer {
	int ok;
	enum sso_proto_err error;
	char reason[SSO_REASON_MAX + 1];
	char identity[SSO_IDENTITY_MAX + 1];
	char ticket[SSO_TICKET_MAX + 1];
	char username[SSO_USERNAME_MAX + 1];
	char password[SSO_PASSWORD_MAX + 1];
};

const char *sso_op_name(enum sso_op op);
const char *sso_error_name(enum sso_proto_err err);

/* Parses one request line (len bytes, a trailing '\n' allowed).  0, or -1
 * with what is wrong in msg (never a value).  Wipe req afterwards. */
int sso_request_parse(const char *line, size_t len, struct sso_request *req, char *msg,
                      size_t msglen);
/* Writes req as one line with its '\n' and a NUL into out; returns the
 * length, or -1 when it does not fit.  The caller wipes out. */
int sso_request_format(const struct sso_request *req, char *out, size_t outlen);

int sso_answer_parse(const char *line, size_t len, struct sso_answer *ans, char *msg,
                     size_t msglen);
int sso_answer_format(const struct sso_answer *ans, char *out, size_t outlen);

void sso_request_wipe(struct sso_request *req);
void sso_answer_wipe(struct sso_answer *ans);

/*
 * The client side, for scanpost-api: connects to socket_path, sends req,
 * reads and parses the answer, each step bounded by SSO_TIMEOUT_MS.
 * Returns 0 when an answer came (ans->ok says what it was), or -1 when the
 * manager could not be asked, with the reason in err (never a secret).
 * Every buffer is wiped; ans holds the password of a fetch: wipe it.
 */
int sso_client_call(const char *socket_path, const struct sso_request *req, struct sso_answer *ans,
                    char *err, size_t errlen);

/* Reads one line of at most SSO_LINE_MAX bytes from fd (which has its
 * timeouts set) into buf (SSO_LINE_MAX + 1): its length, or -1. */
long sso_read_line(int fd, char *buf);
/* Writes all of buf; 0 or -1. */
int sso_write_all(int fd, const char *buf, size_t len);

#endif
