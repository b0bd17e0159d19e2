/*
 * rmail_api.c - the RMail (RPost) REST API as rmail-sim answers it.
 *
 * Shapes follow RPost's public API at https://webapi.r1.rpost.net as its
 * help pages describe it (tests/fixtures/rmail names each source): an OWIN
 * OAuth 2.0 token endpoint (RFC 6749, 4.3 resource owner password grant)
 * in front of ASP.NET Web API controllers, which bind JSON member names
 * ignoring case, ignore members their model lacks, and report errors as
 * {"Message": "..."}.  A send RMail refuses on business grounds answers the
 * envelope with Status "Failure": HTTP 200 for what it refuses about the
 * delivery, HTTP 400 for a request it cannot take as written (DESIGN 3.2:
 * RPost answers some business failures as 400; which ones is not known,
 * README "not yet verified").
 *
 * Sources, in short:
 *   Mail help   https://webapi.r1.rpost.net/Help/Api/POST-api-v1-Mail
 *   Help index  https://webapi.r1.rpost.net/Help
 *   Postman     https://documenter.gw.postman.com/view/metadata/2s9YRB1X85
 *   the add-on  Zimbra-Community/rmail com_rpost_rmail/com_rpost_rmail.js
 */
#include "ids.h"
#include "routes.h"
#include "wire.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>

#define FORM_VALUE_MAX    1024
#define TRACKING_ID_BYTES 16
#define MESSAGE_ID_BYTES  16
/* Postman: email servers usually allow 20-30 MB; trial accounts send up to
 * 25 MB.  Beyond that, large mail. */
#define ORDINARY_MAIL_MAX_BYTES (25ULL * 1024 * 1024)
/* Postman: "With a Large File, each email can hold up to 1 GB of attachments". */
#define LARGE_MAIL_MAX_BYTES (1024ULL * 1024 * 1024)
#define MAIL_ATTACHMENTS_MAX 64

enum option_values {
	OPT_TEXT,     /* any string */
	OPT_TYPE,     /* "1" registered (marked), "2" unmarked */
	OPT_FLAG,     /* "0" or "1" */
	OPT_TRANSFER, /* a key from LargeFileTransfer */
};

/*
 * The X-RPost-* options a send may carry, in their canonical spelling:
 * every header the add-on sends (addCustomMimeHeaders) and its README asks
 * an installation to allow, CustomerTrackingId from the Status help page.
 * Names compare ignoring case.  An unknown name is refused: the real
 * service may ignore it instead (README, not yet verified), but a
 * misspelt option must not pass unseen.
 */
static const struct {
	const char *name;
	enum option_values values;
} known_options[] = {
    {"X-RPost-Type", OPT_TYPE},
    {"X-RPost-App", OPT_TEXT},
    {"X-RPost-TLS", OPT_FLAG},
    {"X-RPost-SecuRmail", OPT_FLAG},
    {"X-RPost-SecuRmail-AutoPassword", OPT_FLAG},
    {"X-RPost-SendPassword", OPT_FLAG},
    {"X-RPost-Esign", OPT_FLAG},
    {"X-RPost-Sidenote-Text", OPT_TEXT},
    {"X-RPost-Sidenote-Cc", OPT_FLAG},
    {"X-RPost-Sidenote-Bcc", OPT_FLAG},
    {"X-RPost-LargeMail", OPT_TRANSFER},
    {"X-RPost-CustomerTrackingId", OPT_TEXT},
};

static void oauth_error(struct reply *r, const char *error, const char *description)
{
	json_object *o = json_object_new_object();

	if (o) {
		json_object_object_add(o, "error", json_object_new_string(error));
		if (description)
			json_object_object_add(o, "error_description",
			                       json_object_new_string(description));
	}
	reply_json(r, 400, o);
	r->no_store = true;
}

void api_unauthorized(struct reply *r)
{
	reply_message(r, 401, "Authorization has been denied for this request.");
	r->challenge = true;
}

void api_business_failure(struct reply *r, int http_status, const char *message)
{
	json_object *o = json_object_new_object();
	json_object *msgs = json_object_new_array();
	json_object *m = json_object_new_object();

	json_object_object_add(m, "Message", json_object_new_string(message));
	json_object_array_add(msgs, m);
	json_object_object_add(o, "StatusCode", json_object_new_int(400));
	json_object_object_add(o, "StatusText", json_object_new_string("Bad Request"));
	json_object_object_add(o, "Status", json_object_new_string("Failure"));
	json_object_object_add(o, "Message", msgs);
	json_object_object_add(o, "ResultContent", NULL);
	reply_json(r, http_status, o);
}

void api_success(struct reply *r, json_object *messages, json_object *result)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "StatusCode", json_object_new_int(200));
	json_object_object_add(o, "StatusText", json_object_new_string("OK"));
	json_object_object_add(o, "Status", json_object_new_string("Success"));
	json_object_object_add(o, "Message", messages ? messages : json_object_new_array());
	json_object_object_add(o, "ResultContent", result);
	reply_json(r, 200, o);
}

void api_token(const struct call *c, struct reply *r)
{
	char grant[64], user[STORE_USER_MAX], password[FORM_VALUE_MAX], canon[STORE_USER_MAX];
	char token[STORE_TOKEN_MAX], issued_s[40], expires_s[40];
	time_t issued, expires;
	json_object *o;
	enum wire_form_result ru, rp;

	if (wire_form_get(c->body, c->body_len, "grant_type", grant, sizeof(grant)) !=
	        WIRE_FORM_FOUND ||
	    strcmp(grant, "password") != 0) {
		oauth_error(r, "unsupported_grant_type", NULL);
		return;
	}
	ru = wire_form_get(c->body, c->body_len, "username", user, sizeof(user));
	rp = wire_form_get(c->body, c->body_len, "password", password, sizeof(password));
	if (ru == WIRE_FORM_MALFORMED || rp == WIRE_FORM_MALFORMED) {
		oauth_error(r, "invalid_request", "The request is malformed.");
		goto out;
	}
	if (ru != WIRE_FORM_FOUND || rp != WIRE_FORM_FOUND ||
	    !store_account_check(c->sim->store, user, password, canon, sizeof(canon))) {
		oauth_error(r, "invalid_grant", "The user name or password is incorrect.");
		goto out;
	}
	if (store_token_issue(c->sim->store, canon, c->sim->token_ttl, token, sizeof(token),
	                      &issued, &expires) < 0) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	wire_format_http_date(issued, issued_s, sizeof(issued_s));
	wire_format_http_date(expires, expires_s, sizeof(expires_s));
	o = json_object_new_object();
	json_object_object_add(o, "access_token", json_object_new_string(token));
	json_object_object_add(o, "token_type", json_object_new_string("bearer"));
	json_object_object_add(o, "expires_in", json_object_new_int64(c->sim->token_ttl));
	json_object_object_add(o, "userName", json_object_new_string(canon));
	json_object_object_add(o, ".issued", json_object_new_string(issued_s));
	json_object_object_add(o, ".expires", json_object_new_string(expires_s));
	reply_json(r, 200, o);
	r->no_store = true;
out:
	OPENSSL_cleanse(password, sizeof(password));
	OPENSSL_cleanse(token, sizeof(token));
}

void api_upload(const struct call *c, struct reply *r)
{
	struct upload_part *up = c->upload;
	struct store_upload meta = {0};

	if (!up || !up->present) {
		reply_message(r, 400, "The request has no file part named \"file\".");
		return;
	}
	snprintf(meta.user, sizeof(meta.user), "%s", c->user);
	snprintf(meta.filename, sizeof(meta.filename), "%s", up->filename);
	snprintf(meta.sha256, sizeof(meta.sha256), "%s", up->sha256);
	meta.bytes = up->bytes;
	if (store_upload_commit(c->sim->store, up->tmp_path, &meta) < 0) {
		up->tmp_path[0] = '\0'; /* commit removed it */
		reply_message(r, 500, "An error has occurred.");
		return;
	}
	up->tmp_path[0] = '\0';
	reply_json(r, 200, json_object_new_string(meta.id)); /* a bare JSON string, as RMail does */
}

/*
 * Checks that `ids` (a JSON array, or absent/null) names uploads of user,
 * and appends {id, name, bytes, sha256} for each to out (if not NULL).
 * Returns 0, or -1 after answering 400.
 */
static int resolve_attachments(const struct call *c, json_object *ids, json_object *out,
                               uint64_t *total, struct reply *r)
{
	char msg[160];
	size_t n;

	*total = 0;
	if (!ids || json_object_is_type(ids, json_type_null))
		return 0;
	if (!json_object_is_type(ids, json_type_array)) {
		reply_message(r, 400,
		              "The request is invalid: Attachments must be an array of ids.");
		return -1;
	}
	n = json_object_array_length(ids);
	if (n > MAIL_ATTACHMENTS_MAX) {
		reply_message(r, 400, "The request is invalid: too many attachments.");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *id = json_object_array_get_idx(ids, i);
		struct store_upload u;
		json_object *a;

		if (!json_object_is_type(id, json_type_string)) {
			reply_message(r, 400,
			              "The request is invalid: attachment ids are strings.");
			return -1;
		}
		if (!store_upload_find(c->sim->store, c->user, json_object_get_string(id), &u)) {
			snprintf(msg, sizeof(msg), "Unknown attachment id: %.64s",
			         json_object_get_string(id));
			reply_message(r, 400, msg);
			return -1;
		}
		*total += u.bytes;
		if (!out)
			continue;
		a = json_object_new_object();
		json_object_object_add(a, "id", json_object_new_string(u.id));
		json_object_object_add(a, "name", json_object_new_string(u.filename));
		json_object_object_add(a, "bytes", json_object_new_int64((int64_t)u.bytes));
		json_object_object_add(a, "sha256", json_object_new_string(u.sha256));
		json_object_array_add(out, a);
	}
	return 0;
}

void api_large_file_transfer(const struct call *c, struct reply *r)
{
	json_object *req = call_json_body(c, r);
	json_object *ids, *sender, *o;
	char key[STORE_ID_MAX];
	uint64_t total;

	if (!req)
		return;
	ids = wire_json_get(req, "Attachments");
	sender = wire_json_get(req, "SenderAddress");
	if (!ids || !json_object_is_type(ids, json_type_array) ||
	    json_object_array_length(ids) == 0) {
		reply_message(r, 400, "The request is invalid: Attachments must list upload ids.");
		goto out;
	}
	if (sender && !json_object_is_type(sender, json_type_string) &&
	    !json_object_is_type(sender, json_type_null)) {
		reply_message(r, 400, "The request is invalid: SenderAddress must be a string.");
		goto out;
	}
	if (resolve_attachments(c, ids, NULL, &total, r) < 0)
		goto out;
	if (store_transfer_add(c->sim->store, c->user, key, sizeof(key)) < 0) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	o = json_object_new_object();
	json_object_object_add(o, "Key", json_object_new_string(key));
	reply_json(r, 200, o);
out:
	json_object_put(req);
}

/* True when v is absent, null or a string. */
static bool string_or_null(json_object *v)
{
	return !v || json_object_is_type(v, json_type_null) ||
	       json_object_is_type(v, json_type_string);
}

static const char *string_or_empty(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
}

/*
 * Splits a recipient string into a JSON array of trimmed addresses; the
 * Mail help page separates them by ';' or ','. Returns 0, or -1 with the
 * first implausible address in bad[badlen].
 */
static int split_addresses(const char *list, json_object *out, char *bad, size_t badlen)
{
	const char *p = list;

	while (*p) {
		size_t len = strcspn(p, ";,");
		const char *start = p, *end = p + len;
		char addr[256];

		p = *end ? end + 1 : end;
		while (start < end && (*start == ' ' || *start == '\t'))
			start++;
		while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		if (start == end)
			continue; /* "a@x.org;" or ";;" */
		snprintf(addr, sizeof(addr), "%.*s", (int)(end - start), start);
		if ((size_t)(end - start) >= sizeof(addr) || !wire_email_plausible(addr)) {
			snprintf(bad, badlen, "%.*s", (int)(end - start > 80 ? 80 : end - start),
			         start);
			return -1;
		}
		json_object_array_add(out, json_object_new_string(addr));
	}
	return 0;
}

/* The send as it will be recorded, and what validation found. */
struct mail {
	json_object *record;
	json_object *options; /* the record's, canonical names */
	const char *customer_tracking_id;
	const char *transfer_key;
	bool large;         /* IsLargeMail, or an X-RPost-LargeMail key */
	bool is_large;      /* IsLargeMail itself */
	int failure_status; /* HTTP status of the failure: 200 or 400 */
	char failure[320];  /* non-empty: a business failure to report */
};

static void mail_refuse(struct mail *m, int http_status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Records the first business failure found; later ones are not reported. */
static void mail_refuse(struct mail *m, int http_status, const char *fmt, ...)
{
	va_list ap;

	if (m->failure[0])
		return;
	m->failure_status = http_status;
	va_start(ap, fmt);
	vsnprintf(m->failure, sizeof(m->failure), fmt, ap);
	va_end(ap);
}

static int mail_recipients(json_object *req, struct mail *m)
{
	static const char *const fields[] = {"To", "Cc", "Bcc"};
	static const char *const keys[] = {"to", "cc", "bcc"};
	char bad[96];

	for (size_t i = 0; i < 3; i++) {
		json_object *arr = json_object_new_array();
		const char *list = string_or_empty(wire_json_get(req, fields[i]));

		json_object_object_add(m->record, keys[i], arr);
		if (split_addresses(list, arr, bad, sizeof(bad)) < 0) {
			mail_refuse(m, 200, "Invalid recipient address in %s: %s", fields[i], bad);
			return -1;
		}
		if (i == 0 && json_object_array_length(arr) == 0) {
			mail_refuse(m, 200, "At least one recipient address (To) is required.");
			return -1;
		}
	}
	return 0;
}

static bool option_value_ok(enum option_values rule, const char *v)
{
	switch (rule) {
	case OPT_TYPE:
		return strcmp(v, "1") == 0 || strcmp(v, "2") == 0;
	case OPT_FLAG:
		return strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
	case OPT_TEXT:
	case OPT_TRANSFER:
		return true;
	}
	return false;
}

/* Options: 0 ok (a refusal, if any, is in m->failure), -1 answered 400. */
static int mail_options(const struct call *c, json_object *opts, struct mail *m, struct reply *r)
{
	json_object *rec = json_object_new_object();

	json_object_object_add(m->record, "options", rec);
	m->options = rec;
	if (!opts || json_object_is_type(opts, json_type_null))
		return 0;
	/* Mail help: Options is a dictionary of string to string. */
	if (!json_object_is_type(opts, json_type_object)) {
		reply_message(r, 400, "The request is invalid: Options must be an object.");
		return -1;
	}
	json_object_object_foreach(opts, name, val)
	{
		size_t k = 0, n = sizeof(known_options) / sizeof(known_options[0]);
		const char *v;

		while (k < n && strcasecmp(name, known_options[k].name) != 0)
			k++;
		if (k == n) {
			mail_refuse(m, 400, "Unknown option: %.128s", name);
			return 0;
		}
		if (!json_object_is_type(val, json_type_string) &&
		    !json_object_is_type(val, json_type_int) &&
		    !json_object_is_type(val, json_type_boolean)) {
			reply_message(r, 400, "The request is invalid: option values are strings.");
			return -1;
		}
		v = json_object_get_string(val);
		if (!option_value_ok(known_options[k].values, v)) {
			mail_refuse(m, 400, "Invalid value for %s: %.64s", known_options[k].name,
			            v);
			return 0;
		}
		json_object_object_add(rec, known_options[k].name, json_object_new_string(v));
		if (known_options[k].values == OPT_TRANSFER) {
			if (!store_transfer_owned(c->sim->store, c->user, v)) {
				mail_refuse(m, 200, "Unknown large-file transfer key: %.64s", v);
				return 0;
			}
			m->large = true;
		}
	}
	m->customer_tracking_id =
	    string_or_empty(json_object_object_get(rec, "X-RPost-CustomerTrackingId"));
	m->transfer_key = string_or_empty(json_object_object_get(rec, "X-RPost-LargeMail"));
	return 0;
}

/* ---- combinations the add-on never sends --------------------------------- */

static bool opt_on(const struct mail *m, const char *name)
{
	json_object *v = json_object_object_get(m->options, name);

	return v && strcmp(json_object_get_string(v), "1") == 0;
}

static bool opt_present(const struct mail *m, const char *name)
{
	return json_object_object_get(m->options, name) != NULL;
}

static bool unmarked(const struct mail *m)
{
	json_object *v = json_object_object_get(m->options, "X-RPost-Type");

	return v && strcmp(json_object_get_string(v), "2") == 0;
}

static size_t recipients(const struct mail *m, const char *key)
{
	json_object *arr = json_object_object_get(m->record, key);

	return arr ? json_object_array_length(arr) : 0;
}

static bool unmarked_encrypted(const struct mail *m)
{
	return unmarked(m) && (opt_on(m, "X-RPost-SecuRmail") || opt_on(m, "X-RPost-TLS"));
}

static bool unmarked_esign(const struct mail *m)
{
	return unmarked(m) && opt_on(m, "X-RPost-Esign");
}

static bool esign_large(const struct mail *m)
{
	return opt_on(m, "X-RPost-Esign") && m->large;
}

static bool sidenote_flag_without_text(const struct mail *m)
{
	return (opt_present(m, "X-RPost-Sidenote-Cc") || opt_present(m, "X-RPost-Sidenote-Bcc")) &&
	       !opt_present(m, "X-RPost-Sidenote-Text");
}

static bool sidenote_cc_without_cc(const struct mail *m)
{
	return opt_on(m, "X-RPost-Sidenote-Cc") && recipients(m, "cc") == 0;
}

static bool sidenote_bcc_without_bcc(const struct mail *m)
{
	return opt_on(m, "X-RPost-Sidenote-Bcc") && recipients(m, "bcc") == 0;
}

static bool tls_without_securmail(const struct mail *m)
{
	return opt_on(m, "X-RPost-TLS") && !opt_on(m, "X-RPost-SecuRmail");
}

/*
 * What RPost's add-on never sends together (com_rpost_rmail.js):
 * checkServiceCompatiblity disables encryption and e-sign for unmarked
 * mail and e-sign for large mail; prefDialog offers the SideNote Cc/Bcc
 * boxes only with Cc/Bcc recipients; addCustomMimeHeaders sends the SideNote
 * flags only with the SideNote text, and X-RPost-TLS only with
 * X-RPost-SecuRmail.  Whether the real service refuses them is not known
 * (README, not yet verified); rmail-sim does, so scanpost cannot send them
 * unseen.  tests/fixtures/rmail/options.json lists the same rules.
 */
static const struct {
	bool (*refused)(const struct mail *);
	const char *why;
} combinations[] = {
    {unmarked_encrypted,
     "Unmarked messages (X-RPost-Type 2) cannot be encrypted (X-RPost-SecuRmail, X-RPost-TLS)."},
    {unmarked_esign, "Unmarked messages (X-RPost-Type 2) cannot be sent for e-signature "
                     "(X-RPost-Esign)."},
    {esign_large, "E-sign (X-RPost-Esign) is not available with large mail (IsLargeMail)."},
    {sidenote_flag_without_text,
     "X-RPost-Sidenote-Cc and X-RPost-Sidenote-Bcc need X-RPost-Sidenote-Text."},
    {sidenote_cc_without_cc, "X-RPost-Sidenote-Cc needs a Cc recipient."},
    {sidenote_bcc_without_bcc, "X-RPost-Sidenote-Bcc needs a Bcc recipient."},
    {tls_without_securmail, "X-RPost-TLS needs X-RPost-SecuRmail."},
};

static void mail_combinations(struct mail *m)
{
	for (size_t i = 0; i < sizeof(combinations) / sizeof(combinations[0]); i++)
		if (combinations[i].refused(m)) {
			mail_refuse(m, 400, "%s", combinations[i].why);
			return;
		}
}

/* IsLargeMail: a JSON boolean, or "true"/"false" as .NET also binds. 0 ok, -1 answered 400. */
static int mail_is_large(json_object *v, bool *large, struct reply *r)
{
	*large = false;
	if (!v || json_object_is_type(v, json_type_null))
		return 0;
	if (json_object_is_type(v, json_type_boolean)) {
		*large = json_object_get_boolean(v);
		return 0;
	}
	if (json_object_is_type(v, json_type_string) &&
	    (strcasecmp(json_object_get_string(v), "true") == 0 ||
	     strcasecmp(json_object_get_string(v), "false") == 0)) {
		*large = strcasecmp(json_object_get_string(v), "true") == 0;
		return 0;
	}
	reply_message(r, 400, "The request is invalid: IsLargeMail must be true or false.");
	return -1;
}

/* Type checks that ASP.NET model binding would fail with 400. 0 ok, -1 answered. */
static int mail_types_ok(json_object *req, struct reply *r)
{
	static const char *const strings[] = {"From", "To", "Cc", "Bcc", "Subject", "Body"};
	json_object *tz = wire_json_get(req, "TimeZoneOffset");
	char msg[96];

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (!string_or_null(wire_json_get(req, strings[i]))) {
			snprintf(msg, sizeof(msg), "The request is invalid: %s must be a string.",
			         strings[i]);
			reply_message(r, 400, msg);
			return -1;
		}
	}
	/* A JSON number binds to the string property as its digits (Json.NET),
	 * and then fails the format below. */
	if (!string_or_null(tz) && !json_object_is_type(tz, json_type_int) &&
	    !json_object_is_type(tz, json_type_double)) {
		reply_message(r, 400, "The request is invalid: TimeZoneOffset must be a string.");
		return -1;
	}
	return 0;
}

/*
 * TimeZoneOffset: null (the help page's sample) or "+hh:mm" / "-hh:mm"
 * (the help page: "Timezoneoffset should be specified in format +-hh:mm"),
 * within the offsets real zones use.  A bare number such as "0" is refused:
 * the format is documented, whether the real service checks it is not
 * known (README, not yet verified).
 */
static void mail_time_zone(json_object *req, struct mail *m)
{
	json_object *tz = wire_json_get(req, "TimeZoneOffset");
	const char *s;

	if (!tz || json_object_is_type(tz, json_type_null))
		return;
	s = json_object_get_string(tz);
	if (strlen(s) == 6 && (s[0] == '+' || s[0] == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' && isdigit((unsigned char)s[4]) &&
	    isdigit((unsigned char)s[5]) && (s[1] - '0') * 10 + (s[2] - '0') <= 14 && s[4] <= '5')
		return;
	mail_refuse(m, 400, "TimeZoneOffset must be given as +hh:mm or -hh:mm, not \"%.16s\".", s);
}

/* Postman: ordinary mail up to about 25 MB, a large mail up to 1 GB. */
static void mail_size(struct mail *m, uint64_t total)
{
	if (!m->large && total > ORDINARY_MAIL_MAX_BYTES)
		mail_refuse(m, 200,
		            "The attachments (%llu bytes) exceed the ordinary mail limit of %llu "
		            "bytes; send it as large mail (IsLargeMail).",
		            (unsigned long long)total, (unsigned long long)ORDINARY_MAIL_MAX_BYTES);
	if (m->large && total > LARGE_MAIL_MAX_BYTES)
		mail_refuse(
		    m, 200,
		    "The attachments (%llu bytes) exceed the large mail limit of %llu bytes.",
		    (unsigned long long)total, (unsigned long long)LARGE_MAIL_MAX_BYTES);
}

static void mail_record_basics(json_object *req, const struct call *c, struct mail *m,
                               const char *tracking_id, const char *message_id, time_t now)
{
	json_object *tz = wire_json_get(req, "TimeZoneOffset");
	char when[32];

	wire_format_iso8601(now, when, sizeof(when));
	json_object_object_add(m->record, "tracking_id", json_object_new_string(tracking_id));
	json_object_object_add(m->record, "message_id", json_object_new_string(message_id));
	json_object_object_add(m->record, "user", json_object_new_string(c->user));
	json_object_object_add(
	    m->record, "subject",
	    json_object_new_string(string_or_empty(wire_json_get(req, "Subject"))));
	json_object_object_add(
	    m->record, "body_bytes",
	    json_object_new_int64((int64_t)strlen(string_or_empty(wire_json_get(req, "Body")))));
	json_object_object_add(m->record, "time_zone_offset",
	                       tz && !json_object_is_type(tz, json_type_null)
	                           ? json_object_new_string(json_object_get_string(tz))
	                           : NULL);
	json_object_object_add(m->record, "accepted_at", json_object_new_string(when));
}

void api_mail(const struct call *c, struct reply *r)
{
	json_object *req = call_json_body(c, r);
	json_object *atts;
	struct mail m = {0};
	char tracking_id[2 * TRACKING_ID_BYTES + 1], message_id[2 * MESSAGE_ID_BYTES + 1];
	time_t now = time(NULL);
	uint64_t total = 0;

	if (!req)
		return;
	m.record = json_object_new_object();
	atts = json_object_new_array();
	json_object_object_add(m.record, "attachments", atts);
	if (mail_types_ok(req, r) < 0 ||
	    mail_is_large(wire_json_get(req, "IsLargeMail"), &m.is_large, r) < 0 ||
	    resolve_attachments(c, wire_json_get(req, "Attachments"), atts, &total, r) < 0 ||
	    mail_options(c, wire_json_get(req, "Options"), &m, r) < 0)
		goto out;
	/* Mail help: IsLargeMail offers the attachments for download. */
	m.large = m.large || m.is_large;
	mail_time_zone(req, &m);
	if (mail_recipients(req, &m) == 0)
		mail_combinations(&m);
	mail_size(&m, total);
	if (m.failure[0]) {
		store_count(c->sim->store, EP_MAIL, CNT_BUSINESS_FAILURES);
		api_business_failure(r, m.failure_status, m.failure);
		goto out;
	}
	if (ids_random_hex(tracking_id, sizeof(tracking_id), TRACKING_ID_BYTES) < 0 ||
	    ids_random_hex(message_id, sizeof(message_id), MESSAGE_ID_BYTES) < 0) {
		reply_message(r, 500, "An error has occurred.");
		goto out;
	}
	ids_upper(tracking_id);
	mail_record_basics(req, c, &m, tracking_id, message_id, now);
	json_object_object_add(m.record, "is_large_mail", json_object_new_boolean(m.is_large));
	json_object_object_add(
	    m.record, "large_mail_key",
	    m.transfer_key && m.transfer_key[0] ? json_object_new_string(m.transfer_key) : NULL);
	json_object_object_add(m.record, "customer_tracking_id",
	                       m.customer_tracking_id && m.customer_tracking_id[0]
	                           ? json_object_new_string(m.customer_tracking_id)
	                           : NULL);
	{
		struct store_message_key key = {c->user, tracking_id, m.customer_tracking_id, now};
		json_object *msgs = json_object_new_array();
		json_object *one = json_object_new_object();
		json_object *result = json_object_new_object();
		int rc;

		/* customer_tracking_id points into the record: store before letting go of it. */
		rc = store_message_add(c->sim->store, &key, m.record);
		m.record = NULL;
		if (rc < 0) {
			json_object_put(msgs);
			json_object_put(one);
			json_object_put(result);
			reply_message(r, 500, "An error has occurred.");
			goto out;
		}
		store_count(c->sim->store, EP_MAIL, CNT_ACCEPTED);
		json_object_object_add(one, "Message", json_object_new_string("Message sent"));
		json_object_object_add(one, "MessageId", json_object_new_string(message_id));
		json_object_array_add(msgs, one);
		json_object_object_add(result, "TrackingId", json_object_new_string(tracking_id));
		api_success(r, msgs, result);
	}
out:
	json_object_put(m.record);
	json_object_put(req);
}
