/*
 * fuzz_rmail_answer.c - arbitrary bytes as an answer of the RMail API.
 *
 * Every reader of rmail_wire.c must classify any input without crashing,
 * leave its outputs NUL-terminated inside their buffers, and report a
 * found message only with a TrackingId.  The first byte picks the HTTP
 * status the answer came with (modulo 6: 200, 400, 401, 404, 429, 500)
 * and, divided by 6 (modulo 5), which answer it is (token, upload, mail,
 * message status, message info: enum rmail_shape), so each run reads it
 * with the failure readers and the one reader and shape of that answer;
 * the rest is the body.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "rmail_wire.h"

static void check_terminated(const char *buf, size_t len)
{
	if (memchr(buf, '\0', len) == NULL)
		abort();
}

static void on_shape(void *arg, const char *path, const char *expected, const char *found, bool ok)
{
	(void)arg;
	(void)ok;
	if (!path || !expected || !found)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {200, 400, 401, 404, 429, 500};
	const size_t nstatus = sizeof(statuses) / sizeof(statuses[0]);
	enum rmail_shape shape;
	const char *body;
	struct rmail_result res;
	struct json_object *parsed;
	char out[96], tid[48];
	char *token = NULL;
	long expires, status;
	int found;

	if (size == 0)
		return 0;
	status = statuses[data[0] % nstatus];
	shape = (enum rmail_shape)(data[0] / nstatus % RMAIL_SHAPE__MAX);
	body = (const char *)data + 1;
	size--;
	memset(&res, 0, sizeof(res));
	if (rmail_answer_reason(body, size, out, sizeof(out)) == 0)
		check_terminated(out, sizeof(out));
	rmail_answer_failure(status, body, size, &res);
	check_terminated(res.message, sizeof(res.message));
	if (res.err == RMAIL_OK)
		abort();
	memset(&res, 0, sizeof(res));
	switch (shape) {
	case RMAIL_SHAPE_TOKEN:
		if (rmail_answer_token(status, body, size, &token, &expires, &res) == 0) {
			if (token == NULL || status != 200)
				abort();
			OPENSSL_cleanse(token, strlen(token));
			free(token);
		} else if (token != NULL) {
			abort();
		}
		break;
	case RMAIL_SHAPE_UPLOAD:
		if (rmail_answer_upload(body, size, tid, sizeof(tid), &res) == 0 &&
		    (tid[0] == '\0' || memchr(tid, '\0', sizeof(tid)) == NULL))
			abort();
		break;
	case RMAIL_SHAPE_MAIL:
		if (rmail_answer_mail(body, size, tid, sizeof(tid), &res) == 0 && tid[0] == '\0')
			abort();
		break;
	default: /* STATUS and INFO: one collection reader */
		if (rmail_answer_status(body, size, "6f1c2a3b-0000-4000-8000-00000000c0de", &found,
		                        tid, sizeof(tid), &res) == 0 &&
		    found && (tid[0] == '\0' || memchr(tid, '\0', sizeof(tid)) == NULL))
			abort();
		break;
	}
	parsed = rmail_json_parse(body, size);
	rmail_shape_check(shape, parsed, on_shape, NULL);
	json_object_put(parsed);
	return 0;
}
