/*
 * ctl_rmail.c - `scanpostctl rmail check`: field diagnostics of an RMail
 * account (DESIGN 3.2).
 *
 * Signs in, uploads a tiny document, asks MessageStatus for a window, and
 * with --send-to sends one message and finds it again by its
 * CustomerTrackingId; after each call it prints the answer's shape against
 * what scanpost reads (rmail_shape_check): member, expected type, found
 * type.  It goes through the same client the sender uses (rmail.c), so
 * what it shows is what scanpost would see.  The password comes from a
 * prompt without echo or from a file, never from the command line; no
 * password, token or answer value is printed.  Exit status: 0 every answer
 * had the expected shape, 1 a call failed or a shape did not match, 2 bad
 * command line.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "ctl.h"
#include "jobspec.h"
#include "rmail.h"
#include "rmail_wire.h"

#define PASSWORD_MAX 1024

/* How long --send-to waits for MessageStatus to list the message. */
#define LIST_WAIT_DEFAULT 60
#define LIST_POLL_SECONDS 3

struct check {
	struct rmail *rm;
	enum rmail_shape expect; /* what the next answer should look like */
	bool observe;            /* check the next answer's shape */
	int mismatches;
	int failures;
	long last_status;
};

void ctl_rmail_usage(FILE *out)
{
	ctl_usage_line(out, "rmail check --user U [--password-file F] [--send-to ADDR] [--wait S]",
	               "sign in to RMail, upload, ask MessageStatus; print each answer's shape "
	               "against what scanpost expects; --send-to sends one test message and "
	               "waits up to S seconds (60) for MessageStatus to list it");
}

static void print_shape(void *arg, const char *path, const char *expected, const char *found,
                        bool ok)
{
	(void)arg;
	printf("    %-8s %-44s expected %-22s found %s\n", ok ? "ok" : "MISMATCH", path, expected,
	       found);
}

/* Sees each answer before the client reads (and for /Token wipes) it:
 * shape only, no value leaves this function. */
static void observe(void *arg, const char *path, long http_status, const char *body, size_t len)
{
	struct check *c = arg;
	struct json_object *o;

	(void)path;
	c->last_status = http_status;
	if (!c->observe || http_status < 200 || http_status > 299)
		return;
	c->observe = false;
	o = rmail_json_parse(body, len);
	c->mismatches += rmail_shape_check(c->expect, o, print_shape, NULL);
	json_object_put(o);
}

/* Announces one call; its answer's shape is checked against shape. */
static void step(struct check *c, const char *title, enum rmail_shape shape)
{
	printf("%s\n", title);
	fflush(stdout);
	c->expect = shape;
	c->observe = true;
	c->last_status = 0;
}

/* Ends a call: its HTTP status and, when it failed, RMail's words. */
static int step_end(struct check *c, int rc, const struct rmail_result *res, const char *extra)
{
	if (rc == 0) {
		printf("    -> HTTP %ld%s%s\n", res->http_status, extra ? ", " : "",
		       extra ? extra : "");
		return 0;
	}
	c->failures++;
	printf("    -> FAILED (%s; HTTP %ld): %s\n", rmail_strerror(res->err), res->http_status,
	       res->message);
	return -1;
}

/* A password from a file of mode 0600 or stricter: its first line. */
static int password_from_file(const char *path, char *out, size_t outlen)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;
	size_t len = 0;

	if (fd < 0) {
		ctl_error("--password-file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & 077) != 0) {
		ctl_error("--password-file %s: must be a regular file readable by its owner only "
		          "(chmod 600)",
		          path);
		close(fd);
		return -1;
	}
	while (len + 1 < outlen && (n = read(fd, out + len, outlen - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	out[len] = '\0';
	out[strcspn(out, "\r\n")] = '\0';
	if (out[0] == '\0') {
		ctl_error("--password-file %s: no password on its first line", path);
		return -1;
	}
	return 0;
}

/* A password typed at the terminal, not echoed. */
static int password_from_tty(const char *user, char *out, size_t outlen)
{
	struct termios old, quiet;
	FILE *tty = fopen("/dev/tty", "r+e");
	int rc = -1;

	if (tty == NULL) {
		ctl_error("no terminal to ask the password on: use --password-file");
		return -1;
	}
	if (tcgetattr(fileno(tty), &old) != 0) {
		ctl_error("no terminal to ask the password on: use --password-file");
		fclose(tty);
		return -1;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	fprintf(tty, "RMail password for %s: ", user);
	fflush(tty);
	if (tcsetattr(fileno(tty), TCSAFLUSH, &quiet) == 0) {
		if (fgets(out, (int)outlen, tty) != NULL) {
			out[strcspn(out, "\r\n")] = '\0';
			rc = out[0] ? 0 : -1;
		}
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
	}
	fputc('\n', tty);
	fclose(tty);
	if (rc != 0)
		ctl_error("no password given");
	return rc;
}

/* The tiny document: a one-page PDF, built in memory. */
static const char check_pdf[] = "%PDF-1.4\n"
                                "1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
                                "2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
                                "3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
                                "trailer<</Root 1 0 R>>\n%%EOF\n";

struct mem_reader {
	const char *p;
	size_t left;
};

static long read_mem(void *arg, uint8_t *buf, size_t len)
{
	struct mem_reader *r = arg;
	size_t n = len < r->left ? len : r->left;

	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return (long)n;
}

/* Sends one message to addr; tracking_id receives RMail's id. */
static int send_one(struct check *c, const struct sp_config *cfg, const char *token,
                    const char *addr, const char *upload_id, const char *cid, char *tracking_id,
                    size_t tidlen)
{
	struct json_object *opts = json_object_new_object(), *body;
	const char *ids[1] = {upload_id};
	struct rmail_result res = {0};
	char tz[RMAIL_TZ_LEN], extra[200];
	time_t now = time(NULL);
	struct tm tm;
	int rc;

	rmail_tz_offset(localtime_r(&now, &tm) ? tm.tm_gmtoff : 0, tz);
	json_object_object_add(opts, "X-RPost-Type", json_object_new_string("1"));
	json_object_object_add(opts, "X-RPost-App", json_object_new_string(cfg->rmail_app_name));
	json_object_object_add(opts, "X-RPost-CustomerTrackingId", json_object_new_string(cid));
	struct rmail_mail m = {
	    .to = addr,
	    .cc = "",
	    .bcc = "",
	    .subject = "scanpost field check",
	    .body = "A test message sent by scanpostctl rmail check.",
	    .tz_offset = tz,
	    .attachments = ids,
	    .nattachments = 1,
	    .options = opts,
	    .large = false,
	};
	body = rmail_mail_json(&m);
	json_object_put(opts);
	if (body == NULL) {
		ctl_error("out of memory");
		return -1;
	}
	step(c, "Mail (POST /api/v1/Mail)", RMAIL_SHAPE_MAIL);
	rc = rmail_send_mail(c->rm, token, body, tracking_id, tidlen, &res);
	json_object_put(body);
	snprintf(extra, sizeof(extra), "TrackingId %.64s, TimeZoneOffset %s", tracking_id, tz);
	return step_end(c, rc, &res, rc == 0 ? extra : NULL);
}

/* Asks MessageStatus until it lists cid (or wait seconds pass). */
static int find_sent(struct check *c, const char *token, const char *cid, long wait)
{
	struct rmail_result res = {0};
	char tid[128], extra[200];
	time_t start = time(NULL);
	int found = 0, rc;

	for (;;) {
		long now = (long)time(NULL);

		step(c, "MessageStatus of the sent message (window, matched by CustomerTrackingId)",
		     RMAIL_SHAPE_STATUS);
		rc = rmail_find_by_customer_id(c->rm, token, cid, now - 3600, now + 900, &found,
		                               tid, sizeof(tid), &res);
		if (rc != 0)
			return step_end(c, rc, &res, NULL);
		if (found || now - start >= wait)
			break;
		printf("    -> HTTP %ld, not listed yet; asking again in %d s\n", res.http_status,
		       LIST_POLL_SECONDS);
		sleep(LIST_POLL_SECONDS);
	}
	snprintf(extra, sizeof(extra), found ? "listed after %lld s" : "NOT listed after %lld s",
	         (long long)(time(NULL) - start));
	step_end(c, 0, &res, extra);
	if (!found)
		c->failures++;
	return found ? 0 : -1;
}

static int parse_args(int argc, char **argv, const char **user, const char **pwfile,
                      const char **send_to, long *wait)
{
	*user = *pwfile = *send_to = NULL;
	*wait = LIST_WAIT_DEFAULT;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i];

		if (i + 1 >= argc) {
			ctl_error("%s needs a value", a);
			return -1;
		}
		if (strcmp(a, "--user") == 0)
			*user = argv[++i];
		else if (strcmp(a, "--password-file") == 0)
			*pwfile = argv[++i];
		else if (strcmp(a, "--send-to") == 0)
			*send_to = argv[++i];
		else if (strcmp(a, "--wait") == 0) {
			char *end;
			*wait = strtol(argv[++i], &end, 10);
			if (*end || *wait < 0 || *wait > 3600) {
				ctl_error("--wait takes seconds from 0 to 3600");
				return -1;
			}
		} else {
			ctl_error(
			    "unknown option %.40s (--user, --password-file, --send-to, --wait)", a);
			return -1;
		}
	}
	if (*user == NULL) {
		ctl_error("usage: scanpostctl rmail check --user U [--password-file F] "
		          "[--send-to ADDR] [--wait SECONDS]");
		return -1;
	}
	if (*send_to && jobspec_check_address(*send_to, strlen(*send_to), NULL) != 0) {
		ctl_error("--send-to needs one address such as someone@example.org");
		return -1;
	}
	return 0;
}

static int check_run(struct check *c, const struct sp_config *cfg, const char *user,
                     const char *password, const char *send_to, long wait)
{
	struct rmail_result res = {0};
	char *token = NULL, upload_id[128] = "", tracking_id[128] = "", cid[64], hex[17];
	char extra[160], start[RMAIL_DATE_LEN], end[RMAIL_DATE_LEN];
	struct mem_reader r = {check_pdf, sizeof(check_pdf) - 1};
	uint8_t rnd[8];
	long expires = 0, now = (long)time(NULL);
	int found, rc;

	printf("RMail at %s\n", cfg->rmail_base_url);
	step(c, "Token (POST /Token)", RMAIL_SHAPE_TOKEN);
	rc = rmail_get_token(c->rm, user, password, &token, &expires, &res);
	snprintf(extra, sizeof(extra), "a token for %ld s", expires);
	if (step_end(c, rc, &res, extra) != 0)
		return -1;

	step(c, "Upload (POST /api/Upload, a one-page PDF)", RMAIL_SHAPE_UPLOAD);
	rc = rmail_upload(c->rm, token, "scanpost-check.pdf", "application/pdf", r.left, read_mem,
	                  &r, upload_id, sizeof(upload_id), &res);
	step_end(c, rc, &res, NULL);

	rmail_date(now - 3600, start);
	rmail_date(now + 900, end);
	snprintf(extra, sizeof(extra),
	         "MessageStatus (POST /api/v1/Receipt/MessageStatus, %s .. %s)", start, end);
	step(c, extra, RMAIL_SHAPE_STATUS);
	rc = rmail_find_by_customer_id(c->rm, token, "no-such-id", now - 3600, now + 900, &found,
	                               tracking_id, sizeof(tracking_id), &res);
	step_end(c, rc, &res, NULL);

	if (send_to && upload_id[0]) {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			ctl_error("no random bytes");
			goto out;
		}
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		snprintf(cid, sizeof(cid), "scanpost-check-%s", hex);
		if (send_one(c, cfg, token, send_to, upload_id, cid, tracking_id,
		             sizeof(tracking_id)) == 0 &&
		    find_sent(c, token, cid, wait) == 0) {
			step(c, "MessageInfo (GET /api/v1/MessageInfo/{TrackingId})",
			     RMAIL_SHAPE_INFO);
			rc = rmail_message_info(c->rm, token, tracking_id, &res);
			step_end(c, rc, &res, NULL);
		}
	} else if (!send_to) {
		printf("Mail: not sent (give --send-to ADDR to send one test message)\n");
	}
out:
	if (token) {
		OPENSSL_cleanse(token, strlen(token));
		free(token);
	}
	return 0;
}

int ctl_rmail(struct ctl *c, int argc, char **argv)
{
	const char *user, *pwfile, *send_to;
	char password[PASSWORD_MAX];
	struct check chk = {0};
	long wait;
	int rc;

	if (argc < 2 || strcmp(argv[1], "check") != 0) {
		ctl_error("usage: scanpostctl rmail check --user U [--password-file F] "
		          "[--send-to ADDR]");
		return CTL_USAGE;
	}
	if (parse_args(argc, argv, &user, &pwfile, &send_to, &wait) != 0)
		return CTL_USAGE;
	rc = pwfile ? password_from_file(pwfile, password, sizeof(password))
	            : password_from_tty(user, password, sizeof(password));
	if (rc != 0) {
		OPENSSL_cleanse(password, sizeof(password));
		return CTL_FAIL;
	}
	chk.rm = rmail_new(c->cfg.rmail_base_url, c->cfg.rmail_ca_file, c->cfg.rmail_timeout);
	if (chk.rm == NULL) {
		OPENSSL_cleanse(password, sizeof(password));
		ctl_error("out of memory");
		return CTL_FAIL;
	}
	rmail_set_observer(chk.rm, observe, &chk);
	check_run(&chk, &c->cfg, user, password, send_to, wait);
	OPENSSL_cleanse(password, sizeof(password));
	rmail_free(chk.rm);
	if (chk.failures || chk.mismatches) {
		printf("Result: %d call(s) failed, %d member(s) not as scanpost expects\n",
		       chk.failures, chk.mismatches);
		return CTL_FAIL;
	}
	printf("Result: every answer has the shape scanpost expects\n");
	return CTL_OK;
}
