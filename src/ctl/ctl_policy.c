/*
 * ctl_policy.c - scanpostctl policy check: the administrator's policy file
 * read exactly as scanpost-api reads it (src/lib/policy.c), before it is
 * put in place.  Prints what the weblet would be told (GET /api/v1/policy).
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "policy.h"

void ctl_policy_usage(FILE *out)
{
	ctl_usage_line(out, "policy check [FILE]",
	               "check a policy file (default: policy_file) and print what it sets");
}

int ctl_policy(struct ctl *c, int argc, char **argv)
{
	const char *path = argc == 3 ? argv[2] : c->cfg.policy_file;
	struct json_object *o;
	struct policy *p;
	char err[512];

	if (argc < 2 || argc > 3 || strcmp(argv[1], "check") != 0) {
		ctl_error("usage: scanpostctl policy check [FILE]");
		return CTL_USAGE;
	}
	if (!path || path[0] == '\0') {
		ctl_error("policy: policy_file is empty: no policy");
		return CTL_FAIL;
	}
	if ((p = policy_load(path, err, sizeof(err))) == NULL) {
		ctl_error("policy: %s", err);
		return CTL_FAIL;
	}
	o = policy_to_json(p);
	printf("%s\n", o ? json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE)
	                 : "{}");
	json_object_put(o);
	policy_release(p);
	return CTL_OK;
}
