/*
 * ctl_sso.c - `scanpostctl sso`: the printers allowed to sign people in,
 * a check of a printer's security token against this installation's
 * settings, and an admin's way to forget a stored sign-in (DESIGN 3.4).
 *
 * There is no key to exchange with a printer: its tokens are signed by the
 * site's identity provider, whose certificate scanpost-ssod reads from
 * sso_idp_certs.  A printer is registered by its serial, with the Audience
 * its tokens carry when that is not the configured sso_audience.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "ctl.h"
#include "log.h"
#include "sso_assert.h"
#include "sso_vault.h"

static int audit_sso(struct ctl *c, const char *event, const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();
	int rc;

	json_object_object_add(d, key, json_object_new_string(value));
	json_object_object_add(d, "by", json_object_new_string("admin"));
	rc = audit_record(c->db, event, c->actor, NULL, NULL, NULL,
	                  json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
	if (rc != 0)
		ctl_error("audit %s: %s", event, db_error(c->db));
	return rc;
}

static int serial_arg(const char *serial)
{
	if (sso_serial_valid(serial))
		return 0;
	ctl_error("\"%.40s\" is not a device serial (1..%d of A-Z a-z 0-9 . _ -)", serial,
	          SSO_SERIAL_MAX);
	return -1;
}

static int db_up(struct ctl *c)
{
	if (db_ensure(c->db) == 0)
		return 0;
	ctl_error("database: %s", db_error(c->db));
	return -1;
}

static int sso_add_device(struct ctl *c, int argc, char **argv)
{
	const char *serial = NULL, *audience = NULL;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--audience") == 0 && i + 1 < argc)
			audience = argv[++i];
		else if (!serial && argv[i][0] != '-')
			serial = argv[i];
		else
			serial = "";
	}
	if (!serial || !serial[0]) {
		ctl_error("usage: scanpostctl sso add-device SERIAL [--audience URI]");
		return CTL_USAGE;
	}
	if (serial_arg(serial) != 0)
		return CTL_USAGE;
	if (audience && (strlen(audience) == 0 || strlen(audience) > SSO_ISSUER_MAX)) {
		ctl_error("an audience is 1..%d bytes", SSO_ISSUER_MAX);
		return CTL_USAGE;
	}
	if (db_up(c) != 0)
		return CTL_FAIL;
	if ((rc = sso_device_add(c->db, serial, audience)) < 0) {
		ctl_error("add-device: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (rc == 1) {
		ctl_error("%s is registered already (remove-device first to change it)", serial);
		return CTL_FAIL;
	}
	sp_log(LOG_INFO, "sso_device_added", "serial", serial, NULL);
	if (audit_sso(c, "sso_device_added", "serial", serial) != 0)
		return CTL_FAIL;
	printf("device %s may sign people in; its tokens must name the audience %s\n", serial,
	       audience                 ? audience
	       : c->cfg.sso_audience[0] ? c->cfg.sso_audience
	                                : "(sso_audience, unset)");
	return CTL_OK;
}

static void print_device(void *arg, const char *serial, const char *audience, const char *added)
{
	const struct ctl *c = arg;

	printf("%-32s  %-19s  %s\n", serial, added,
	       audience                 ? audience
	       : c->cfg.sso_audience[0] ? c->cfg.sso_audience
	                                : "(default: unset)");
}

static int sso_list_devices(struct ctl *c, int argc, char **argv)
{
	long n;

	(void)argv;
	if (argc != 1) {
		ctl_error("usage: scanpostctl sso list-devices");
		return CTL_USAGE;
	}
	if (db_up(c) != 0)
		return CTL_FAIL;
	printf("%-32s  %-19s  %s\n", "SERIAL", "ADDED (UTC)", "AUDIENCE");
	if ((n = sso_device_list(c->db, print_device, c)) < 0) {
		ctl_error("list-devices: %s", db_error(c->db));
		return CTL_FAIL;
	}
	printf("%ld device%s\n", n, n == 1 ? "" : "s");
	return CTL_OK;
}

static int sso_remove_device(struct ctl *c, int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		ctl_error("usage: scanpostctl sso remove-device SERIAL");
		return CTL_USAGE;
	}
	if (serial_arg(argv[1]) != 0)
		return CTL_USAGE;
	if (db_up(c) != 0)
		return CTL_FAIL;
	if ((rc = sso_device_remove(c->db, argv[1])) < 0) {
		ctl_error("remove-device: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (rc == 1) {
		ctl_error("%s is not registered", argv[1]);
		return CTL_FAIL;
	}
	sp_log(LOG_INFO, "sso_device_removed", "serial", argv[1], NULL);
	if (audit_sso(c, "sso_device_removed", "serial", argv[1]) != 0)
		return CTL_FAIL;
	printf("device %s: removed; its tokens are refused from now on\n", argv[1]);
	return CTL_OK;
}

/* Reads a whole small file (or stdin for "-") into a malloc'd string. */
static char *read_small(const char *path, size_t max, size_t *len)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *buf = NULL;
	size_t n;

	if (!f)
		return NULL;
	if ((buf = malloc(max + 1)) != NULL) {
		n = fread(buf, 1, max + 1, f);
		if (n > max || ferror(f)) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
			*len = n;
		}
	}
	if (f != stdin)
		fclose(f);
	return buf;
}

/*
 * sso check-token SERIAL FILE|-: for a field engineer at a real printer.
 * Checks a security token captured from the printer (Base64, as the
 * weblet's diagnostics or a capture show it) against this installation's
 * sso_idp_certs, sso_idp_issuer and the printer's audience, and prints
 * every claim and the verdict.  Nothing is used up, stored or audited.
 */
static int sso_check_token(struct ctl *c, int argc, char **argv)
{
	struct sso_idp_keys *keys = NULL;
	struct sso_claims claims;
	enum sso_assert_result r;
	char audience[SSO_ISSUER_MAX + 1] = "", why[200];
	char *pem = NULL, *token = NULL;
	size_t pemlen = 0, toklen = 0;
	int rc = CTL_FAIL, known;

	if (argc != 3) {
		ctl_error("usage: scanpostctl sso check-token SERIAL FILE|-");
		return CTL_USAGE;
	}
	if (serial_arg(argv[1]) != 0)
		return CTL_USAGE;
	if (db_up(c) != 0)
		return CTL_FAIL;
	if ((known = sso_device_audience(c->db, argv[1], audience, sizeof(audience))) < 0) {
		ctl_error("check-token: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (sso_assert_init() != 0) {
		ctl_error("libxml2/xmlsec do not initialize");
		return CTL_FAIL;
	}
	if (!(pem = read_small(c->cfg.sso_idp_certs, 256 * 1024, &pemlen))) {
		ctl_error("sso_idp_certs %s: %s", c->cfg.sso_idp_certs, strerror(errno));
		goto out;
	}
	if (!(keys = sso_idp_keys_load(pem, pemlen, why, sizeof(why)))) {
		ctl_error("sso_idp_certs %s: %s", c->cfg.sso_idp_certs, why);
		goto out;
	}
	if (!(token = read_small(argv[2], SSO_TOKEN_MAX + 2, &toklen))) {
		ctl_error("%s: unreadable or longer than %d characters", argv[2], SSO_TOKEN_MAX);
		goto out;
	}
	while (toklen > 0 && strchr(" \t\r\n", token[toklen - 1]))
		token[--toklen] = '\0';
	struct sso_trust trust = {keys, c->cfg.sso_idp_issuer,
	                          audience[0] ? audience : c->cfg.sso_audience};
	r = sso_assert_verify(token, toklen, &trust, time(NULL), c->cfg.sso_assertion_max_age,
	                      &claims);
	printf("device:        %s (%s)\n", argv[1], known == 0 ? "registered" : "NOT registered");
	printf("certificates:  %zu from %s\n", sso_idp_keys_count(keys), c->cfg.sso_idp_certs);
	printf("issuer wanted: %s\n", trust.issuer[0] ? trust.issuer : "(sso_idp_issuer unset)");
	printf("audience:      %s\n", trust.audience[0] ? trust.audience : "(sso_audience unset)");
	printf("subject:       %s\n", claims.identity[0] ? claims.identity : "-");
	printf("verdict:       %s\n", sso_assert_reason(r));
	rc = r == SSO_ASSERT_OK && known == 0 ? CTL_OK : CTL_FAIL;
out:
	free(token);
	free(pem);
	sso_idp_keys_free(keys);
	sso_assert_shutdown();
	return rc;
}

static int sso_forget(struct ctl *c, int argc, char **argv)
{
	size_t n;
	int rc;

	if (argc != 2) {
		ctl_error("usage: scanpostctl sso forget IDENTITY");
		return CTL_USAGE;
	}
	n = strlen(argv[1]);
	if (n == 0 || n > SSO_IDENTITY_MAX) {
		ctl_error("an identity is 1..%d bytes (the NameID of the person's token)",
		          SSO_IDENTITY_MAX);
		return CTL_USAGE;
	}
	rc = sso_vault_forget(c->db, argv[1]);
	if (rc == SSO_VAULT_DB) {
		ctl_error("forget: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (rc == SSO_VAULT_NOT_STORED) {
		ctl_error("no stored sign-in for \"%.64s\"", argv[1]);
		return CTL_FAIL;
	}
	sp_log(LOG_INFO, "sso_forgotten", "identity", argv[1], "by", "admin", NULL);
	if (audit_sso(c, "sso_forgotten", "identity", argv[1]) != 0)
		return CTL_FAIL;
	printf("forgot the stored sign-in of %s\n", argv[1]);
	return CTL_OK;
}

static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *syntax;
	const char *doc;
} sso_cmds[] = {
    {"add-device", sso_add_device, "sso add-device SERIAL [--audience URI]",
     "let a printer sign people in (its tokens' audience, if not sso_audience)"},
    {"list-devices", sso_list_devices, "sso list-devices", "printers that may sign people in"},
    {"remove-device", sso_remove_device, "sso remove-device SERIAL",
     "refuse a printer's tokens from now on"},
    {"check-token", sso_check_token, "sso check-token SERIAL FILE|-",
     "check a token captured from a printer against these settings"},
    {"forget", sso_forget, "sso forget IDENTITY", "delete a person's stored sign-in"},
};

#define NSSO_CMDS (sizeof(sso_cmds) / sizeof(sso_cmds[0]))

void ctl_sso_usage(FILE *out)
{
	for (size_t i = 0; i < NSSO_CMDS; i++)
		ctl_usage_line(out, sso_cmds[i].syntax, sso_cmds[i].doc);
}

int ctl_sso(struct ctl *c, int argc, char **argv)
{
	if (argc < 2) {
		ctl_error("sso: missing subcommand (add-device, list-devices, remove-device, "
		          "check-token, forget)");
		return CTL_USAGE;
	}
	for (size_t i = 0; i < NSSO_CMDS; i++)
		if (strcmp(sso_cmds[i].name, argv[1]) == 0)
			return sso_cmds[i].run(c, argc - 1, argv + 1);
	ctl_error("sso: unknown subcommand \"%.40s\"", argv[1]);
	return CTL_USAGE;
}
