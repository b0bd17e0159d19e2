/*
 * jobspec.h - the body of POST /api/v1/jobs, validated into a C struct
 * (DESIGN 3.1), and the RMail Options it maps to (DESIGN 3.2).
 *
 * Every key is checked against one closed table: an unknown key at any level,
 * a value of the wrong JSON type (the string "true" is not a boolean), or a
 * value outside its list is an error naming the field ("scan.resolution",
 * "to[2]", "registered.encryption") with a human message.  Enumerated
 * settings live in one static table each: {JSON value, template spelling}.
 *
 * Decisions a reader should know:
 *  - Lengths are counted in Unicode characters (code points), as a person
 *    counts them on the screen; every string must be valid UTF-8.
 *  - Addresses are RFC 5321/5322 mailboxes local@domain with a dot-atom local
 *    part; quoted local parts, address literals ([1.2.3.4]) and SMTPUTF8
 *    (RFC 6531) addresses are refused.  IDN domains come as A-labels (xn--).
 *  - The same address twice across to/cc/bcc (compared case-insensitively)
 *    is refused: a registered receipt is per recipient, and a second copy
 *    would send and bill the same person twice.
 *  - Chinese is not in the OCR language list: ISO 639-1 "zh" does not say
 *    simplified or traditional, and no Xerox spelling for either was
 *    confirmed.  Add it when a device confirms one.
 *  - json-c keeps the last of duplicate object keys; so does this module.
 *  - The registered settings combine as RPost's own RMail add-on lets them
 *    (Zimbra-Community/rmail, com_rpost_rmail.js): unmarked mail is neither
 *    encrypted nor sent for e-signature, e-sign never goes with large-file
 *    transfer, and a SideNote goes to the Cc or Bcc copies only when there
 *    is a SideNote and such recipients.  Anything else is a 400 naming the
 *    fields.  So registered.encryption defaults to tls_preferred for marked
 *    mail and to off for unmarked mail.
 */
#ifndef SCANPOST_JOBSPEC_H
#define SCANPOST_JOBSPEC_H

#include <stdbool.h>
#include <stddef.h>

struct json_object;

#define JOBSPEC_MAX_RECIPIENTS 50 /* to, cc and bcc together */
#define JOBSPEC_FIELD_MAX      64
#define JOBSPEC_MESSAGE_MAX    256

/* The enumerated settings: index of struct jobspec.choice[]. */
enum jobspec_setting {
	JOBSPEC_SIDES,
	JOBSPEC_RESOLUTION,
	JOBSPEC_COLOR,
	JOBSPEC_ORIENTATION,
	JOBSPEC_ORIGINAL_SIZE,
	JOBSPEC_ORIGINAL_TYPE,
	JOBSPEC_FORMAT,
	JOBSPEC_LANGUAGE,
	JOBSPEC_ENCRYPTION,
	JOBSPEC_LARGE_MAIL,
	JOBSPEC_DEVICE_FAMILY,
	JOBSPEC_SETTING__MAX
};

/* The values code has to name; the other settings are only table rows. */
enum jobspec_format {
	JOBSPEC_FORMAT_PDF,
	JOBSPEC_FORMAT_PDF_A_1B,
	JOBSPEC_FORMAT_TIFF_V6,
	JOBSPEC_FORMAT_XSM_TIFF_V6,
};
enum jobspec_encryption {
	JOBSPEC_ENCRYPTION_OFF,
	JOBSPEC_ENCRYPTION_TLS_PREFERRED,
	JOBSPEC_ENCRYPTION_ALWAYS_PDF,
};
enum jobspec_large_mail {
	JOBSPEC_LARGE_MAIL_AUTO,
	JOBSPEC_LARGE_MAIL_FORCE,
};
/* device.family: the printer the weblet runs on, as it learned from
 * GetDeviceInformation; a VersaLink needs another scan template (template.h). */
enum jobspec_device_family {
	JOBSPEC_FAMILY_ALTALINK,
	JOBSPEC_FAMILY_VERSALINK,
};

struct jobspec_addrs {
	char **addr; /* n strings, each a validated mailbox */
	size_t n;
};

/*
 * A validated job.  Owns every string and array in it (malloc'd); free them
 * with jobspec_free.  After a successful parse no pointer is NULL: absent
 * strings hold their default ("" or "Scan"), absent lists have n == 0.
 */
struct jobspec {
	struct jobspec_addrs to, cc, bcc;
	char *subject;
	char *body;
	struct {
		bool marked;
		bool esign;
		char *sidenote;
		bool sidenote_cc, sidenote_bcc; /* which copies carry the SideNote */
		char *reference;
	} registered;
	struct {
		bool searchable;
		char *file_name; /* as the user typed it; template.c makes it safe */
	} scan;
	unsigned choice[JOBSPEC_SETTING__MAX]; /* row index in the setting's table */
	bool copy_to_me;                       /* policy.h: the server adds the sender */
	bool confirm_outside_domains;          /* policy.h: outside domains confirmed */
};

enum jobspec_err {
	JOBSPEC_OK = 0,
	JOBSPEC_ERR_JSON,        /* not JSON, too deep, trailing bytes, not an object */
	JOBSPEC_ERR_UNKNOWN_KEY, /* a key no table lists */
	JOBSPEC_ERR_TYPE,        /* a value of the wrong JSON type */
	JOBSPEC_ERR_MISSING,     /* a required key is absent */
	JOBSPEC_ERR_VALUE,       /* outside its list, too long, bad address, ... */
	JOBSPEC_ERR_TOO_MANY,    /* more than JOBSPEC_MAX_RECIPIENTS */
	JOBSPEC_ERR_NOMEM,
};

/* The detail of a failure: the field (empty for the body as a whole) and a
 * message.  Neither echoes a submitted value; an unknown key is named with
 * its characters outside [A-Za-z0-9_-] replaced by '?', cut at 32. */
struct jobspec_error {
	char field[JOBSPEC_FIELD_MAX];
	char message[JOBSPEC_MESSAGE_MAX];
};

/*
 * Parses len bytes of JSON (not NUL-terminated) into out.  On JOBSPEC_OK out
 * owns its strings (jobspec_free); on any error out is left empty (calling
 * jobspec_free on it is still fine) and err, when not NULL, says why.
 * Every error but JOBSPEC_ERR_NOMEM is the client's: answer 400.
 */
enum jobspec_err jobspec_parse(const char *body, size_t len, struct jobspec *out,
                               struct jobspec_error *err);

/* The same rules on an already parsed object: the sender reads the stored
 * row back with this, so a row that no longer validates is refused. */
enum jobspec_err jobspec_from_json(struct json_object *obj, struct jobspec *out,
                                   struct jobspec_error *err);

/* The normalized job, every default filled in, in the request's own shape
 * (jobspec_from_json accepts it).  For storage as the jobs row's jsonb.
 * Returns a new object the caller releases with json_object_put, or NULL
 * when out of memory. */
struct json_object *jobspec_to_json(const struct jobspec *js);

/* Frees what js owns and zeroes it.  NULL is fine. */
void jobspec_free(struct jobspec *js);

/* snake_case code for the API error body ("unknown_field", ...). */
const char *jobspec_err_code(enum jobspec_err e);

/* Rows of a setting's table: count, JSON value and template spelling (NULL
 * for the registered settings, which have none).  Out of range -> NULL. */
size_t jobspec_choice_count(enum jobspec_setting s);
const char *jobspec_choice_json(enum jobspec_setting s, unsigned v);
const char *jobspec_choice_spelling(enum jobspec_setting s, unsigned v);

/* Checks one mailbox (len bytes, no NUL needed).  Returns 0, or -1 with
 * *why (when not NULL) pointing at a static reason. */
int jobspec_check_address(const char *addr, size_t len, const char **why);

/*
 * Fills options_out (an existing json object) with the RMail Options of js
 * (DESIGN 3.2), from one mapping table: X-RPost-Type, encryption flags,
 * X-RPost-Esign, X-RPost-Sidenote-Text with X-RPost-Sidenote-Cc/-Bcc,
 * X-RPost-App = app_name, X-RPost-CustomerTrackingId = job_id.  All values
 * are JSON strings.  Large mail is not an Option: it is the send's
 * IsLargeMail (rmail_wire.h).  Returns 0, or -1 on a NULL argument, a
 * non-object or out of memory.
 */
int jobspec_rmail_options(const struct jobspec *js, const char *job_id, const char *app_name,
                          struct json_object *options_out);

/* The first combination of registered settings RMail's add-on refuses
 * (see the decisions above): its message, with *field set to the field to
 * name, or NULL when js combines as RMail allows.  Static strings. */
const char *jobspec_registered_refusal(const struct jobspec *js, const char **field);

/* The addresses of one list joined with ';' (RMail's To/Cc/Bcc form); ""
 * for an empty list.  ';' cannot occur in a validated address (it is not
 * RFC 5322 atext), so no address can split into two.  Returns a malloc'd
 * string the caller frees, or NULL when out of memory. */
char *jobspec_join_addresses(const struct jobspec_addrs *list);

#endif
