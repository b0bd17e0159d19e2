/*
 * ctl_main.c - scanpostctl, the admin tool: options, config, and the table
 * of commands (handlers in migrate.c, ctl_keys.c, ctl_queue.c, ctl_sso.c,
 * ctl_rmail.c).
 *
 * Exit status: 0 done, 1 refused or failed, 2 bad command line.  Output is
 * for people and scripts on stdout; an error is one line on stderr naming
 * what is wrong.  Nothing printed or logged ever holds a key, token or
 * document byte.
 */
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "log.h"
#include "migrate.h"

#define MAX_ARGS 64

void ctl_error(const char *fmt, ...)
{
	char buf[1024];
	size_t i, o = 0;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* libpq's messages span lines ("...failed: ...\n\tIs the server
	 * running..."): fold them so every error stays one line. */
	for (i = 0; buf[i]; i++) {
		char ch = buf[i];

		if (ch == '\n' || ch == '\t' || ch == '\r')
			ch = ' ';
		if (ch == ' ' && (o == 0 || buf[o - 1] == ' '))
			continue;
		buf[o++] = ch;
	}
	while (o > 0 && buf[o - 1] == ' ')
		o--;
	buf[o] = '\0';
	fprintf(stderr, "scanpostctl: %s\n", buf);
}

#define USAGE_COLUMN 36

void ctl_usage_line(FILE *out, const char *syntax, const char *doc)
{
	if (strlen(syntax) > USAGE_COLUMN)
		fprintf(out, "  %s\n  %-*s %s\n", syntax, USAGE_COLUMN, "", doc);
	else
		fprintf(out, "  %-*s %s\n", USAGE_COLUMN, syntax, doc);
}

/* Server NOTICEs ("schema exists, skipping") are not for the operator. */
static void quiet_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int cmd_migrate(struct ctl *c, int argc, char **argv)
{
	int status = argc == 2 && strcmp(argv[1], "--status") == 0;
	char err[1024];
	int rc;

	if (argc > 2 || (argc == 2 && !status)) {
		ctl_error("usage: scanpostctl migrate [--status]");
		return CTL_USAGE;
	}
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	PQsetNoticeProcessor(db_conn(c->db), quiet_notice, NULL);
	rc = status ? migrate_status(c->db, c->cfg.sql_dir, stdout, err, sizeof(err))
	            : migrate_apply(c->db, c->cfg.sql_dir, stdout, err, sizeof(err));
	if (rc != MIGRATE_OK) {
		ctl_error("migrate: %s", err);
		return CTL_FAIL;
	}
	/* The key files' side of an upgrade: scanpost-api loads public halves. */
	if (!status && ctl_keys_publish_all(c) != 0)
		return CTL_FAIL;
	return CTL_OK;
}

static void usage(FILE *out);

struct command {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	void (*usage)(FILE *out);
};

static void migrate_usage(FILE *out)
{
	ctl_usage_line(out, "migrate", "apply the pending sql_dir/NNN_name.sql, in order");
	ctl_usage_line(out, "migrate --status", "list applied, pending and changed migrations");
}

static const struct command commands[] = {
    {"migrate", cmd_migrate, migrate_usage},  {"keys", ctl_keys, ctl_keys_usage},
    {"queue", ctl_queue, ctl_queue_usage},    {"sso", ctl_sso, ctl_sso_usage},
    {"rmail", ctl_rmail, ctl_rmail_usage},    {"retention", ctl_retention, ctl_retention_usage},
    {"audit", ctl_audit, ctl_audit_usage},    {"status", ctl_status, ctl_status_usage},
    {"policy", ctl_policy, ctl_policy_usage},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fprintf(out, "usage: scanpostctl [-c FILE] COMMAND [ARGS]\n\n"
	             "  -c, --config FILE    config file (else $SCANPOST_CONFIG, else defaults)\n"
	             "  -h, --help           this help\n\nCommands:\n");
	for (size_t i = 0; i < NCOMMANDS; i++)
		commands[i].usage(out);
	fprintf(out, "\nRun `keys rotate` and then `keys retire-unused` for doc and token every\n"
	             "key_rotation_period (a timer): a deleted document stays readable from old\n"
	             "backups until the key that wrapped it is retired, so that period is the\n"
	             "backup exposure window (DESIGN 3.6).\n"
	             "\nExit status: 0 done, 1 refused or failed, 2 bad command line.\n\n");
	config_print_help(out);
}

/* Who runs the command, for audit_events. */
static void actor_name(char *out, size_t len)
{
	const struct passwd *pw = getpwuid(geteuid());
	const char *sudo = getenv("SUDO_USER");

	if (sudo && sudo[0])
		snprintf(out, len, "scanpostctl:%.64s (sudo %.64s)", pw ? pw->pw_name : "?", sudo);
	else
		snprintf(out, len, "scanpostctl:%.64s", pw ? pw->pw_name : "?");
}

/* Takes -c/--config FILE and -h/--help out of argv, wherever they stand,
 * leaving the command and its arguments in args.  0, 1 (help), or -1. */
static int split_args(int argc, char **argv, const char **config, char **args, int *nargs)
{
	*config = NULL;
	*nargs = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= argc) {
				ctl_error("%s needs a file name", argv[i]);
				return -1;
			}
			*config = argv[++i];
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			*config = argv[i] + 9;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			return 1;
		} else if (*nargs == MAX_ARGS) {
			ctl_error("too many arguments");
			return -1;
		} else {
			args[(*nargs)++] = argv[i];
		}
	}
	if (*config == NULL)
		*config = getenv("SCANPOST_CONFIG");
	return 0;
}

int main(int argc, char **argv)
{
	char *args[MAX_ARGS + 1] = {0};
	const struct command *cmd = NULL;
	struct ctl c = {0};
	const char *config;
	char err[512], actor[160];
	int nargs, rc;

	rc = split_args(argc, argv, &config, args, &nargs);
	if (rc != 0) {
		if (rc > 0)
			usage(stdout);
		return rc > 0 ? CTL_OK : CTL_USAGE;
	}
	if (nargs == 0) {
		ctl_error("missing command (migrate, keys, queue, sso, rmail, retention, audit, "
		          "status); try "
		          "--help");
		return CTL_USAGE;
	}
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, args[0]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		ctl_error("unknown command \"%.40s\"; try --help", args[0]);
		return CTL_USAGE;
	}
	if (config_load(&c.cfg, config, err, sizeof(err)) != 0) {
		ctl_error("%s", err);
		return CTL_FAIL;
	}
	log_init("scanpostctl", c.cfg.log_level);
	actor_name(actor, sizeof(actor));
	c.actor = actor;
	if ((c.db = db_new(c.cfg.db_conninfo)) == NULL) {
		ctl_error("out of memory");
		config_free(&c.cfg);
		return CTL_FAIL;
	}
	rc = cmd->run(&c, nargs, args);
	fflush(stdout);
	db_free(c.db);
	config_free(&c.cfg);
	return rc;
}
