/*
 * ctl.h - the commands of scanpostctl, the admin tool (DESIGN 3.5-3.7).
 *
 * ctl_main.c parses the global options, loads the config and dispatches to
 * one handler per command group.  A handler gets the arguments after its
 * command name (argv[0] is the group name, e.g. "keys"), prints its result
 * on stdout and one line naming what is wrong on stderr, and returns an
 * exit status: never a secret in either.
 */
#ifndef SCANPOST_CTL_H
#define SCANPOST_CTL_H

#include <stdio.h>

#include "config.h"
#include "db.h"

enum ctl_status {
	CTL_OK = 0,    /* done */
	CTL_FAIL = 1,  /* refused or failed; the reason is on stderr */
	CTL_USAGE = 2, /* bad command line */
};

struct ctl {
	struct sp_config cfg; /* loaded by ctl_main, freed there */
	struct db *db;        /* connection to cfg.db_conninfo, opened lazily */
	const char *actor;    /* who runs it, for audit_events ("scanpostctl:<user>") */
};

/* keys generate|list|rotate|rewrap|retire|retire-unused doc|token|sso [KID] */
int ctl_keys(struct ctl *c, int argc, char **argv);
void ctl_keys_usage(FILE *out);

/* Writes the missing public halves of the keyrings that seal to public
 * keys (`migrate` runs it: an upgrade from keyrings made before); a
 * keyring not made yet is left alone.  0, or -1 (printed). */
int ctl_keys_publish_all(struct ctl *c);

/* queue list|retry|purge ... */
int ctl_queue(struct ctl *c, int argc, char **argv);
void ctl_queue_usage(FILE *out);

/* sso add-device|list-devices|remove-device|check-token|forget ... (ctl_sso.c) */
int ctl_sso(struct ctl *c, int argc, char **argv);
void ctl_sso_usage(FILE *out);

/* rmail check --user U [--password-file F] [--send-to ADDR] (ctl_rmail.c) */
int ctl_rmail(struct ctl *c, int argc, char **argv);
void ctl_rmail_usage(FILE *out);

/* retention run [--dry-run]; audit export ... (ctl_retention.c) */
int ctl_retention(struct ctl *c, int argc, char **argv);
void ctl_retention_usage(FILE *out);
int ctl_audit(struct ctl *c, int argc, char **argv);
void ctl_audit_usage(FILE *out);
/* status: the dashboard's panels in a terminal (ctl_status.c) */
int ctl_status(struct ctl *c, int argc, char **argv);
void ctl_status_usage(FILE *out);

/* policy check [FILE] (ctl_policy.c) */
int ctl_policy(struct ctl *c, int argc, char **argv);
void ctl_policy_usage(FILE *out);

/* One line of --help: the syntax and what it does, in two columns. */
void ctl_usage_line(FILE *out, const char *syntax, const char *doc);

/* Prints "scanpostctl: <message>" on stderr, one line. */
void ctl_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
