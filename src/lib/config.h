/*
 * config.h - the one configuration of every scanpost program (DESIGN 3.7).
 *
 * Keys are read from one `key = value` file through the declarative table in
 * config.c (name, type, default, bounds, one line of doc); each key can be
 * overridden by the environment variable SCANPOST_<NAME> (upper case).  An
 * unknown key or a bad value is an error naming the key: programs stop at
 * start on it.
 */
#ifndef SCANPOST_CONFIG_H
#define SCANPOST_CONFIG_H

#include <stddef.h>
#include <stdio.h>

struct sp_config {
	char *db_conninfo;
	char *log_level;
	char *instance_name;
	char *doc_keyring;
	char *token_keyring;
	char *sql_dir;
	char *rmail_base_url;
	char *rmail_ca_file;
	long rmail_timeout;
	long rmail_call_timeout;
	long rmail_signin_timeout;
	char *rmail_app_name;
	long rmail_status_settle;
	char *api_socket;
	long api_workers;
	char *upload_socket;
	char *socket_group;
	long upload_workers;
	long upload_min_rate;
	long upload_rate_window;
	long db_lock_timeout_ms;
	long db_idle_tx_timeout;
	long api_max_body;
	char *public_base_url;
	long session_idle_timeout;
	long session_touch_interval;
	long retention_jobs_days;
	long retention_sessions_days;
	long retention_audit_days;
	char *audit_export_dir;
	long session_max_lifetime;
	long upload_ttl;
	long upload_max_bytes;
	long sender_inflight;
	long sender_poll_interval;
	long sender_lease;
	long sender_max_attempts;
	long sender_retry_base;
	long sender_backoff_max;
	long sender_give_up_after;
	long large_mail_threshold;
	long failed_retention;
	long key_rotation_period;
	long janitor_interval;
	char *policy_file;
	char *sso_socket;
	char *sso_keyring;
	char *sso_idp_certs;
	char *sso_idp_issuer;
	char *sso_audience;
	char *sso_service_provider;
	char *sso_security_token_key;
	long sso_assertion_max_age;
	long sso_ticket_lifetime;
	long signin_attempts;
	long signin_window;
	long signin_block;
	long jobs_open_max;
	char *preview;
	char *preview_renderer;
	long preview_timeout;
	long preview_memory_mb;
	long preview_max_bytes;
	long preview_concurrency;
};

/* Fills cfg with the defaults, then the file (when path is not NULL), then
 * SCANPOST_* variables.  Returns 0, or -1 with a message naming the key (or
 * the file and line) in err.  Free the strings with config_free. */
int config_load(struct sp_config *cfg, const char *path, char *err, size_t errlen);
void config_free(struct sp_config *cfg);

/* A deep copy of src into dst (free it with config_free).  0, or -1 when
 * out of memory (dst then holds nothing to free). */
int config_copy(struct sp_config *dst, const struct sp_config *src);

/* SIGHUP: loads path and the environment afresh into next, as config_load
 * does, then puts back cur's value of every changed key a running program
 * cannot take (CFG_RESTART in the table).  The changed keys taken are named
 * in applied, the ones put back in restart (comma-separated lists, "" when
 * none).  0 (free next with config_free), or -1 with err saying why (next
 * then holds nothing to free). */
int config_next(const struct sp_config *cur, const char *path, struct sp_config *next,
                char *applied, size_t alen, char *restart, size_t rlen, char *err, size_t errlen);

/* Sets one key from its text form, as the file or the environment would. */
int config_set(struct sp_config *cfg, const char *name, const char *value, char *err,
               size_t errlen);

/* Prints every key with its type, default and doc (for --help). */
void config_print_help(FILE *out);

/* The config file named by -c/--config, else $SCANPOST_CONFIG, else NULL. */
const char *config_path_from_args(int argc, char **argv);

#endif
