/* fuzz_sso_request.c - the request line scanpost-ssod reads from its socket
 * (src/lib/sso_proto.h), and the answer line scanpost-api reads back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sso_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct sso_request req, back;
	static struct sso_answer ans;
	static char line[SSO_LINE_MAX + 1];
	char msg[96];
	int n;

	if (sso_request_parse((const char *)data, size, &req, msg, sizeof(msg)) == 0) {
		/* What parses must fit its bounds and survive a round trip. */
		if ((unsigned)req.op >= SSO_OP__MAX || strlen(req.password) > SSO_PASSWORD_MAX ||
		    (req.op == SSO_OP_TICKET ? req.token[0] == '\0' || req.serial[0] == '\0'
		                             : req.ticket[0] == '\0'))
			abort();
		n = sso_request_format(&req, line, sizeof(line));
		if (n > 0) {
			if (sso_request_parse(line, (size_t)n, &back, msg, sizeof(msg)) != 0 ||
			    back.op != req.op || strcmp(back.password, req.password) != 0 ||
			    strcmp(back.token, req.token) != 0 ||
			    strcmp(back.ticket, req.ticket) != 0)
				abort();
		}
		sso_request_wipe(&back);
	}
	sso_request_wipe(&req);
	if (sso_answer_parse((const char *)data, size, &ans, msg, sizeof(msg)) == 0) {
		if (!ans.ok && (ans.error <= SSO_ERR_NONE || ans.error >= SSO_ERR__MAX))
			abort();
		n = sso_answer_format(&ans, line, sizeof(line));
		(void)n;
	}
	sso_answer_wipe(&ans);
	return 0;
}
