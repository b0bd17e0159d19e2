/*
 * config.c - one declarative table of every key (see config.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

enum cfg_type { CFG_STRING, CFG_INT };

struct cfg_key {
	const char *name;
	enum cfg_type type;
	const char *def;
	long min, max; /* CFG_INT bounds; for CFG_STRING, min = 1 means not empty */
	size_t offset;
	const char *doc;
	int reload; /* CFG_RELOAD: a running program takes a new value at SIGHUP */
};

/* Keys a running program may change under its requests: read afresh by
 * each request, job or janitor run.  Every other key (sockets, thread
 * counts, connections, keyrings, TLS) is read once at start: a new value
 * there needs a restart, and config_next says which. */
#define CFG_RESTART 0
#define CFG_RELOAD  1

#ifndef SCANPOST_PREVIEW_PATH
#define SCANPOST_PREVIEW_PATH "/usr/local/libexec/scanpost/scanpost-preview"
#endif

#define S(f) offsetof(struct sp_config, f)

static const struct cfg_key keys[] = {
    {"db_conninfo", CFG_STRING, "dbname=scanpost", 1, 0, S(db_conninfo),
     "libpq connection string of the scanpost database", CFG_RESTART},
    {"log_level", CFG_STRING, "info", 1, 0, S(log_level),
     "least level logged: debug, info, warn or error", CFG_RELOAD},
    {"instance_name", CFG_STRING, "", 0, 0, S(instance_name),
     "this process's name in its log lines, metrics and job leases (letters, digits, . _ - : @ /); "
     "empty = host name/program",
     CFG_RESTART},
    {"doc_keyring", CFG_STRING, "/etc/scanpost/keys/doc", 1, 0, S(doc_keyring),
     "directory of the master keys that wrap document keys", CFG_RESTART},
    {"token_keyring", CFG_STRING, "/etc/scanpost/keys/token", 1, 0, S(token_keyring),
     "directory of the master keys that seal RMail tokens", CFG_RESTART},
    {"sql_dir", CFG_STRING, SCANPOST_SQL_DIR, 1, 0, S(sql_dir),
     "directory of the numbered migrations (scanpostctl migrate)", CFG_RESTART},
    {"rmail_base_url", CFG_STRING, "https://webapi.r1.rpost.net", 1, 0, S(rmail_base_url),
     "base URL of the RMail API (https only)", CFG_RESTART},
    {"rmail_ca_file", CFG_STRING, "", 0, 0, S(rmail_ca_file),
     "CA bundle that verifies the RMail server; empty = the system store", CFG_RESTART},
    {"rmail_timeout", CFG_INT, "30", 1, 3600, S(rmail_timeout),
     "seconds before an RMail call without progress is abandoned", CFG_RESTART},
    {"rmail_call_timeout", CFG_INT, "900", 10, 86400, S(rmail_call_timeout),
     "seconds one RMail call may take in all, however it moves (a large upload included)",
     CFG_RESTART},
    {"rmail_signin_timeout", CFG_INT, "10", 1, 120, S(rmail_signin_timeout),
     "seconds the sign-in's RMail /Token call may take in all (a person is waiting)", CFG_RESTART},
    {"rmail_app_name", CFG_STRING, "scanpost", 1, 0, S(rmail_app_name),
     "value of the X-RPost-App option sent with every mail", CFG_RELOAD},
    {"rmail_status_settle", CFG_INT, "60", 0, 3600, S(rmail_status_settle),
     "seconds after a send attempt before RMail's MessageStatus is trusted to list it", CFG_RELOAD},
    {"api_socket", CFG_STRING, "/run/scanpost/api.sock", 0, 0, S(api_socket),
     "unix socket scanpost-api listens on; empty = FastCGI socket on stdin", CFG_RESTART},
    {"api_workers", CFG_INT, "4", 1, 256, S(api_workers),
     "API worker threads of scanpost-api (api_socket), each with its own database connection",
     CFG_RESTART},
    {"upload_socket", CFG_STRING, "/run/scanpost/upload.sock", 1, 0, S(upload_socket),
     "unix socket of scanpost-api's upload pool: /scan/ only, never the API's workers",
     CFG_RESTART},
    {"socket_group", CFG_STRING, "", 0, 0, S(socket_group),
     "group of the unix sockets scanpost-api makes (nginx's, e.g. www-data; the process "
     "must be a member); empty = the process's group",
     CFG_RESTART},
    {"upload_workers", CFG_INT, "32", 1, 1024, S(upload_workers),
     "upload worker threads of scanpost-api (upload_socket), each with its own connection",
     CFG_RESTART},
    {"upload_min_rate", CFG_INT, "1024", 0, 1073741824, S(upload_min_rate),
     "bytes per second an upload must average once upload_rate_window passed (408 below); 0 = "
     "off",
     CFG_RESTART},
    {"upload_rate_window", CFG_INT, "30", 1, 3600, S(upload_rate_window),
     "seconds of an upload before upload_min_rate is judged (a scanner may be slow to start)",
     CFG_RESTART},
    {"db_lock_timeout_ms", CFG_INT, "2000", 1, 600000, S(db_lock_timeout_ms),
     "milliseconds scanpost-api waits for a row lock (PostgreSQL lock_timeout)", CFG_RESTART},
    {"db_idle_tx_timeout", CFG_INT, "300", 1, 86400, S(db_idle_tx_timeout),
     "seconds an api transaction may sit idle (idle_in_transaction_session_timeout); "
     "at least upload_rate_window + 262144 / upload_min_rate",
     CFG_RESTART},
    {"api_max_body", CFG_INT, "65536", 1024, 16777216, S(api_max_body),
     "largest JSON request body in bytes (413 above)", CFG_RELOAD},
    {"public_base_url", CFG_STRING, "https://localhost", 1, 0, S(public_base_url),
     "URL the printer reaches scanpost at (upload URLs are built on it)", CFG_RESTART},
    {"session_idle_timeout", CFG_INT, "900", 30, 86400, S(session_idle_timeout),
     "seconds of inactivity that end a session", CFG_RELOAD},
    {"session_touch_interval", CFG_INT, "15", 0, 300, S(session_touch_interval),
     "seconds between writes of a session's last activity (idle expiry is exact to it)",
     CFG_RELOAD},
    {"session_max_lifetime", CFG_INT, "28800", 60, 604800, S(session_max_lifetime),
     "seconds after sign-in at which a session ends however active", CFG_RELOAD},
    {"upload_ttl", CFG_INT, "1800", 30, 86400, S(upload_ttl),
     "seconds an upload URL stays valid; unsubmitted jobs then expire", CFG_RELOAD},
    {"upload_max_bytes", CFG_INT, "1073741824", 1024, LONG_MAX, S(upload_max_bytes),
     "largest total of a job's uploaded files in bytes (413 above)", CFG_RELOAD},
    {"sender_inflight", CFG_INT, "4", 1, 256, S(sender_inflight),
     "jobs one scanpost-sender sends at the same time", CFG_RESTART},
    {"sender_poll_interval", CFG_INT, "5", 1, 3600, S(sender_poll_interval),
     "seconds between queue polls when no NOTIFY arrives", CFG_RELOAD},
    {"sender_lease", CFG_INT, "300", 10, 86400, S(sender_lease),
     "seconds a claimed job stays leased before the rescuer requeues it", CFG_RESTART},
    {"sender_max_attempts", CFG_INT, "6", 1, 100, S(sender_max_attempts),
     "recorded on each new job for old readers; no longer fails a job (see "
     "sender_give_up_after)",
     CFG_RELOAD},
    {"sender_retry_base", CFG_INT, "2", 1, 3600, S(sender_retry_base),
     "seconds of the first retry delay; doubles per attempt, with jitter", CFG_RELOAD},
    {"sender_backoff_max", CFG_INT, "900", 1, 86400, S(sender_backoff_max),
     "seconds the retry delay grows to at most (RMail's Retry-After may ask for more)", CFG_RELOAD},
    {"sender_give_up_after", CFG_INT, "86400", 60, 2592000, S(sender_give_up_after),
     "seconds of transient failures after submit (or requeue) before a job stops retrying",
     CFG_RELOAD},
    {"large_mail_threshold", CFG_INT, "20971520", 1, LONG_MAX, S(large_mail_threshold),
     "document bytes above which RMail large-file transfer is used", CFG_RELOAD},
    {"retention_jobs_days", CFG_INT, "90", 0, 36500, S(retention_jobs_days),
     "days a finished job's row is kept (retention run; 0 = for ever)", CFG_RELOAD},
    {"retention_sessions_days", CFG_INT, "30", 0, 36500, S(retention_sessions_days),
     "days an ended session's row is kept once no job points at it (0 = for ever)", CFG_RELOAD},
    {"retention_audit_days", CFG_INT, "365", 0, 36500, S(retention_audit_days),
     "days an audit event is kept; older ones are written to audit_export_dir, then deleted",
     CFG_RELOAD},
    {"audit_export_dir", CFG_STRING, "/var/lib/scanpost/audit", 1, 0, S(audit_export_dir),
     "folder where retention run writes audit events (JSON lines) before deleting them",
     CFG_RELOAD},
    {"failed_retention", CFG_INT, "604800", 0, 31536000, S(failed_retention),
     "seconds a failed job's document is kept for a retry, then deleted", CFG_RELOAD},
    {"key_rotation_period", CFG_INT, "86400", 3600, 31536000, S(key_rotation_period),
     "seconds between master key rotations: the backup exposure window", CFG_RELOAD},
    {"janitor_interval", CFG_INT, "30", 1, 3600, S(janitor_interval),
     "seconds between janitor runs (expiry, leases, retention)", CFG_RELOAD},
    {"policy_file", CFG_STRING, "/etc/scanpost/policy.conf", 0, 0, S(policy_file),
     "the administrator's policy (README, Admin policy); missing or empty = no policy", CFG_RELOAD},
    {"sso_socket", CFG_STRING, "", 0, 0, S(sso_socket),
     "unix socket of scanpost-ssod; empty = single sign-on off", CFG_RESTART},
    {"sso_keyring", CFG_STRING, "/etc/scanpost/keys/sso", 1, 0, S(sso_keyring),
     "directory of the SSO vault's master keys (scanpost-ssod only)", CFG_RESTART},
    {"sso_idp_certs", CFG_STRING, "/etc/scanpost/sso-idp.pem", 1, 0, S(sso_idp_certs),
     "PEM file: the identity provider's token-signing certificate(s) (scanpost-ssod)", CFG_RELOAD},
    {"sso_idp_issuer", CFG_STRING, "", 0, 0, S(sso_idp_issuer),
     "Issuer of the printers' security tokens, exactly (scanpost-ssod)", CFG_RELOAD},
    {"sso_audience", CFG_STRING, "", 0, 0, S(sso_audience),
     "Audience the printers' tokens name, unless a printer has its own (scanpost-ssod)",
     CFG_RELOAD},
    {"sso_service_provider", CFG_STRING, "", 0, 0, S(sso_service_provider),
     "ServiceProvider the weblet asks the printer's GetSecurityToken for", CFG_RELOAD},
    {"sso_security_token_key", CFG_STRING, "", 0, 0, S(sso_security_token_key),
     "SecurityTokenKey the weblet presents to the printer (not a secret: see README)", CFG_RELOAD},
    {"sso_assertion_max_age", CFG_INT, "3600", 60, 86400, S(sso_assertion_max_age),
     "seconds after its IssueInstant a printer's security token is still accepted", CFG_RELOAD},
    {"sso_ticket_lifetime", CFG_INT, "1800", 60, 28800, S(sso_ticket_lifetime),
     "seconds one visit may use the proof of its verified token", CFG_RELOAD},
    {"signin_attempts", CFG_INT, "5", 1, 1000, S(signin_attempts),
     "sign-in attempts one RMail user name may make per signin_window (429 above)", CFG_RELOAD},
    {"signin_window", CFG_INT, "900", 10, 86400, S(signin_window),
     "seconds of the window signin_attempts counts in", CFG_RELOAD},
    {"signin_block", CFG_INT, "300", 1, 86400, S(signin_block),
     "seconds a user name over signin_attempts is refused (Retry-After)", CFG_RELOAD},
    {"jobs_open_max", CFG_INT, "20", 1, 100000, S(jobs_open_max),
     "jobs one person may have open (awaiting a scan, queued, sending); 409 above", CFG_RELOAD},
    {"preview", CFG_STRING, "choice", 1, 0, S(preview),
     "page preview before sending: always, never, or choice (the person decides)", CFG_RELOAD},
    {"preview_renderer", CFG_STRING, SCANPOST_PREVIEW_PATH, 1, 0, S(preview_renderer),
     "path of scanpost-preview, the sandboxed page renderer the api starts", CFG_RELOAD},
    {"preview_timeout", CFG_INT, "10", 1, 300, S(preview_timeout),
     "seconds a renderer may run (wall clock, and its CPU limit) before it is killed", CFG_RELOAD},
    {"preview_memory_mb", CFG_INT, "768", 128, 65536, S(preview_memory_mb),
     "address space of one renderer in MiB (its RLIMIT_AS)", CFG_RELOAD},
    {"preview_max_bytes", CFG_INT, "134217728", 1024, 4294967296L, S(preview_max_bytes),
     "largest scanned file that is previewed; larger ones get \"no preview\"", CFG_RELOAD},
    {"preview_concurrency", CFG_INT, "2", 1, 64, S(preview_concurrency),
     "renderers one scanpost-api runs at once; more previews get 503 with Retry-After", CFG_RELOAD},
};

#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static const struct cfg_key *key_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int key_set(struct sp_config *cfg, const struct cfg_key *k, const char *value,
                   const char *origin, char *err, size_t errlen)
{
	char *base = (char *)cfg;

	if (k->type == CFG_STRING) {
		char **slot = (char **)(base + k->offset);
		char *copy;

		if (k->min && value[0] == '\0') {
			snprintf(err, errlen, "%s: %s must not be empty", origin, k->name);
			return -1;
		}
		if ((copy = strdup(value)) == NULL) {
			snprintf(err, errlen, "%s: out of memory", origin);
			return -1;
		}
		free(*slot);
		*slot = copy;
		return 0;
	}

	char *end;
	long v;
	errno = 0;
	v = strtol(value, &end, 10);
	if (errno || end == value || *end != '\0' || v < k->min || v > k->max) {
		snprintf(err, errlen, "%s: %s = \"%.40s\" is not a whole number from %ld to %ld",
		         origin, k->name, value, k->min, k->max);
		return -1;
	}
	*(long *)(base + k->offset) = v;
	return 0;
}

int config_set(struct sp_config *cfg, const char *name, const char *value, char *err, size_t errlen)
{
	const struct cfg_key *k = key_find(name);

	if (k == NULL) {
		snprintf(err, errlen, "unknown config key \"%.64s\"", name);
		return -1;
	}
	return key_set(cfg, k, value, "config", err, errlen);
}

struct file_ctx {
	struct sp_config *cfg;
	const char *path;
	char *err;
	size_t errlen;
	int failed;
};

/* inih calls this per `name = value`; returning 0 stops the parse. */
static int on_ini_line(void *user, const char *section, const char *name, const char *value)
{
	struct file_ctx *fc = user;
	const struct cfg_key *k;
	char origin[300];

	snprintf(origin, sizeof(origin), "%s", fc->path);
	if (section[0] != '\0') {
		snprintf(fc->err, fc->errlen, "%s: sections are not used ([%.64s])", fc->path,
		         section);
		fc->failed = 1;
		return 0;
	}
	if ((k = key_find(name)) == NULL) {
		snprintf(fc->err, fc->errlen, "%s: unknown config key \"%.64s\"", fc->path, name);
		fc->failed = 1;
		return 0;
	}
	if (key_set(fc->cfg, k, value, origin, fc->err, fc->errlen) != 0) {
		fc->failed = 1;
		return 0;
	}
	return 1;
}

int config_load(struct sp_config *cfg, const char *path, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < NKEYS; i++)
		if (key_set(cfg, &keys[i], keys[i].def, "default", err, errlen) != 0)
			goto fail;

	if (path != NULL) {
		struct file_ctx fc = {cfg, path, err, errlen, 0};
		int rc = ini_parse(path, on_ini_line, &fc);

		if (fc.failed)
			goto fail;
		if (rc < 0) {
			snprintf(err, errlen, "%s: cannot open config file", path);
			goto fail;
		}
		if (rc > 0) {
			snprintf(err, errlen, "%s:%d: not a `key = value` line", path, rc);
			goto fail;
		}
	}

	for (size_t i = 0; i < NKEYS; i++) {
		char var[80], origin[100];
		const char *v;
		size_t j;

		snprintf(var, sizeof(var), "SCANPOST_%s", keys[i].name);
		for (j = 9; var[j]; j++)
			var[j] = (char)toupper((unsigned char)var[j]);
		if ((v = getenv(var)) == NULL)
			continue;
		snprintf(origin, sizeof(origin), "environment %s", var);
		if (key_set(cfg, &keys[i], v, origin, err, errlen) != 0)
			goto fail;
	}

	if (strncmp(cfg->rmail_base_url, "https://", 8) != 0) {
		snprintf(err, errlen, "config: rmail_base_url must start with https://");
		goto fail;
	}
	if (strcmp(cfg->log_level, "debug") && strcmp(cfg->log_level, "info") &&
	    strcmp(cfg->log_level, "warn") && strcmp(cfg->log_level, "error")) {
		snprintf(err, errlen, "config: log_level must be debug, info, warn or error");
		goto fail;
	}
	if (strcmp(cfg->preview, "always") && strcmp(cfg->preview, "never") &&
	    strcmp(cfg->preview, "choice")) {
		snprintf(err, errlen, "config: preview must be always, never or choice");
		goto fail;
	}
	/* The renderer holds the whole file in its address space. */
	if (cfg->preview_max_bytes > (cfg->preview_memory_mb << 20) / 2) {
		snprintf(err, errlen,
		         "config: preview_max_bytes must be at most half of preview_memory_mb");
		goto fail;
	}
	/* A session written less often than it idles out would end while used. */
	if (cfg->session_touch_interval * 2 > cfg->session_idle_timeout) {
		snprintf(
		    err, errlen,
		    "config: session_touch_interval must be at most half of session_idle_timeout");
		goto fail;
	}
	return 0;
fail:
	config_free(cfg);
	return -1;
}

static int same_value(const struct cfg_key *k, const struct sp_config *a, const struct sp_config *b)
{
	const char *pa = (const char *)a + k->offset, *pb = (const char *)b + k->offset;

	if (k->type == CFG_STRING)
		return strcmp(*(char *const *)pa, *(char *const *)pb) == 0;
	return *(const long *)pa == *(const long *)pb;
}

static void list_add(char *list, size_t len, const char *name)
{
	size_t n = strlen(list);

	snprintf(list + n, len - n, "%s%s", n ? ", " : "", name);
}

int config_copy(struct sp_config *dst, const struct sp_config *src)
{
	memcpy(dst, src, sizeof(*dst));
	for (size_t i = 0; i < NKEYS; i++) {
		char **slot = (char **)((char *)dst + keys[i].offset);

		if (keys[i].type != CFG_STRING)
			continue;
		*slot = NULL;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		char **slot = (char **)((char *)dst + keys[i].offset);
		const char *v = *(char *const *)((const char *)src + keys[i].offset);

		if (keys[i].type == CFG_STRING && (*slot = strdup(v)) == NULL) {
			config_free(dst);
			return -1;
		}
	}
	return 0;
}

int config_next(const struct sp_config *cur, const char *path, struct sp_config *next,
                char *applied, size_t alen, char *restart, size_t rlen, char *err, size_t errlen)
{
	applied[0] = restart[0] = '\0';
	if (config_load(next, path, err, errlen) != 0)
		return -1;
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &keys[i];
		char *np = (char *)next + k->offset;
		const char *cp = (const char *)cur + k->offset;

		if (same_value(k, cur, next))
			continue;
		if (k->reload == CFG_RELOAD) {
			list_add(applied, alen, k->name);
			continue;
		}
		list_add(restart, rlen, k->name);
		if (k->type == CFG_STRING) {
			char *copy = strdup(*(char *const *)cp);

			if (copy == NULL) {
				snprintf(err, errlen, "out of memory");
				config_free(next);
				return -1;
			}
			free(*(char **)np);
			*(char **)np = copy;
		} else {
			*(long *)np = *(const long *)cp;
		}
	}
	return 0;
}

void config_free(struct sp_config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (keys[i].type == CFG_STRING) {
			char **slot = (char **)((char *)cfg + keys[i].offset);
			free(*slot);
			*slot = NULL;
		}
	}
}

void config_print_help(FILE *out)
{
	fprintf(out, "Configuration keys (file `key = value`, or environment "
	             "SCANPOST_<KEY>; SIGHUP: a running program takes the keys marked so, the "
	             "others need a restart):\n");
	for (size_t i = 0; i < NKEYS; i++)
		fprintf(out, "  %-22s %-6s default \"%s\"%s\n      %s\n", keys[i].name,
		        keys[i].type == CFG_INT ? "int" : "string", keys[i].def,
		        keys[i].reload == CFG_RELOAD ? "  (SIGHUP)" : "", keys[i].doc);
}

const char *config_path_from_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) &&
		    i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return getenv("SCANPOST_CONFIG");
}
