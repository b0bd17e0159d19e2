/* fuzz_policy.c - the policy file parser (inih + the key table + jobspec's
 * checks of each value), and an accepted policy applied to a job. */
#include <json-c/json.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[512] = "";
	struct policy_violation v;
	struct json_object *req, *o;
	struct policy *p;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = policy_parse_string(text, "fuzz.conf", err, sizeof(err));
	free(text);
	if (!p) {
		if (err[0] == '\0')
			abort(); /* a refusal always says why */
		return 0;
	}
	/* Whatever was accepted applies to a job without harm, and a job the
	 * policy let through is one jobspec takes. */
	req = json_tokener_parse("{\"to\":[\"a@example.org\"],\"cc\":[\"b@example.net\"],"
	                         "\"copy_to_me\":true,\"confirm_outside_domains\":true}");
	if (req && policy_apply(p, req, "me@example.com", &v) == POLICY_OK) {
		struct jobspec js;

		if (jobspec_from_json(req, &js, NULL) == JOBSPEC_ERR_NOMEM)
			abort();
		jobspec_free(&js);
	}
	json_object_put(req);
	o = policy_to_json(p);
	json_object_put(o);
	policy_release(p);
	return 0;
}
