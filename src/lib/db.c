/*
 * db.c - prepared statements on a reconnecting libpq connection.
 */
#include "db.h"

#include "log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DB_MAX_PREPARED 128

struct db {
	char *conninfo;
	char options[128]; /* libpq "options": the session's limits, or "" */
	PGconn *conn;
	const struct db_stmt *prepared[DB_MAX_PREPARED];
	int nprepared;
	char error[512];
	char sqlstate[6];
};

/*
 * What an SQLSTATE class means, in words of our own.  libpq's texts are
 * never kept: a server message can quote the values of a row (a DETAIL
 * line "Key (x)=(...) already exists", a data error naming the input, our
 * own triggers naming a job), and db_error() ends up in logs.  The
 * SQLSTATE (PostgreSQL, Appendix A) and the constraint's name say what an
 * operator needs.
 */
static const struct {
	const char cls[3];
	const char *text;
} sqlstate_classes[] = {
    {"08", "connection exception"},
    {"0A", "feature not supported"},
    {"21", "cardinality violation"},
    {"22", "data exception"},
    {"23", "integrity constraint violation"},
    {"25", "invalid transaction state"},
    {"28", "invalid authorization"},
    {"40", "transaction rolled back (serialization failure or deadlock)"},
    {"42", "syntax error or access rule violation"},
    {"53", "insufficient resources"},
    {"54", "program limit exceeded"},
    {"55", "object not in prerequisite state (e.g. lock not available)"},
    {"57", "operator intervention (canceled, timed out or shutting down)"},
    {"58", "system error"},
    {"P0", "raised by a scanpost function or trigger"},
    {"XX", "internal error"},
};

static const char *sqlstate_text(const char *state)
{
	for (size_t i = 0; i < sizeof(sqlstate_classes) / sizeof(sqlstate_classes[0]); i++)
		if (strncmp(state, sqlstate_classes[i].cls, 2) == 0)
			return sqlstate_classes[i].text;
	return "database error";
}

/* Keeps what went wrong: the SQLSTATE and a fixed text when the server
 * answered; libpq's own first line when it could not (no connection, a
 * broken one), which names no row. */
static void set_error(struct db *db, const char *what, const PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : NULL;
	const char *msg;
	size_t n;

	if (state && state[0]) {
		snprintf(db->error, sizeof(db->error), "%s: SQLSTATE %s, %s%s%s", what, state,
		         sqlstate_text(state), constraint ? ", constraint " : "",
		         constraint ? constraint : "");
		snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state);
		return;
	}
	msg = db->conn ? PQerrorMessage(db->conn) : "no connection";
	n = strcspn(msg, "\n");
	snprintf(db->error, sizeof(db->error), "%s: %.*s", what, (int)n, msg);
	n = strlen(db->error);
	while (n > 0 && db->error[n - 1] == ' ')
		db->error[--n] = '\0';
	db->sqlstate[0] = '\0';
}

struct db *db_new(const char *conninfo)
{
	struct db *db = calloc(1, sizeof(*db));

	if (db == NULL)
		return NULL;
	if ((db->conninfo = strdup(conninfo)) == NULL) {
		free(db);
		return NULL;
	}
	return db;
}

void db_free(struct db *db)
{
	if (db == NULL)
		return;
	if (db->conn)
		PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

/* libpq prints server notices (and a FATAL that arrives on an idle
 * connection) on stderr by itself; the logs are JSON lines, so they go
 * through the logger instead, as their severity and SQLSTATE only: like an
 * error's, a notice's text may quote row values (see set_error). */
static void notice_to_log(void *arg, const PGresult *res)
{
	const char *severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);

	(void)arg;
	sp_log(LOG_WARN, "db_notice", "severity", severity ? severity : "", "sqlstate",
	       state ? state : "", "message", state ? sqlstate_text(state) : "", NULL);
}

int db_ensure(struct db *db)
{
	/* expand_dbname: conninfo is parsed as a connection string.  What
	 * comes before it is a default its own value overrides (libpq
	 * applies the keywords in order), for bounded waits (DESIGN 3.7):
	 * connect_timeout, as libpq's own is none and a host that does not
	 * answer would hold a worker without end (libpq applies it to each
	 * host of a multi-host conninfo in turn); TCP keepalives, so that a
	 * connection to a primary that vanished from the network (a
	 * failover, a partition) fails in about a minute, not the kernel's
	 * two hours (unix sockets ignore them).  What comes after it
	 * overrides it: the limits. */
	const char *const kw[] = {"connect_timeout",
	                          "keepalives_idle",
	                          "keepalives_interval",
	                          "keepalives_count",
	                          "dbname",
	                          "options",
	                          NULL};
	const char *const val[] = {DB_CONNECT_TIMEOUT,
	                           "30",
	                           "10",
	                           "3",
	                           db->conninfo,
	                           db->options[0] ? db->options : NULL,
	                           NULL};

	if (db->conn && PQstatus(db->conn) == CONNECTION_OK)
		return 0;
	if (db->conn)
		PQfinish(db->conn);
	db->nprepared = 0;
	db->conn = PQconnectdbParams(kw, val, 1);
	if (db->conn)
		PQsetNoticeReceiver(db->conn, notice_to_log, NULL);
	if (PQstatus(db->conn) != CONNECTION_OK) {
		set_error(db, "connect", NULL);
		PQfinish(db->conn);
		db->conn = NULL;
		return -1;
	}
	return 0;
}

void db_set_limits(struct db *db, long lock_timeout_ms, long idle_tx_seconds)
{
	snprintf(db->options, sizeof(db->options),
	         "-c lock_timeout=%ld -c idle_in_transaction_session_timeout=%ld", lock_timeout_ms,
	         idle_tx_seconds * 1000);
	if (db->conn) { /* takes effect on the next connection */
		PQfinish(db->conn);
		db->conn = NULL;
		db->nprepared = 0;
	}
}

static int is_prepared(const struct db *db, const struct db_stmt *st)
{
	for (int i = 0; i < db->nprepared; i++)
		if (db->prepared[i] == st)
			return 1;
	return 0;
}

static int prepare(struct db *db, const struct db_stmt *st)
{
	PGresult *res;
	int ok;

	if (is_prepared(db, st))
		return 0;
	if (db->nprepared == DB_MAX_PREPARED) {
		snprintf(db->error, sizeof(db->error), "prepare %s: too many statements", st->name);
		return -1;
	}
	res = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		set_error(db, st->name, res);
	PQclear(res);
	if (!ok)
		return -1;
	db->prepared[db->nprepared++] = st;
	return 0;
}

static PGresult *run_once(struct db *db, const struct db_stmt *st, const char *const *values,
                          const int *lengths, const int *formats, int binary_result)
{
	PGresult *res;
	ExecStatusType status;

	if (db_ensure(db) != 0 || prepare(db, st) != 0)
		return NULL;
	res = PQexecPrepared(db->conn, st->name, st->nparams, values, lengths, formats,
	                     binary_result);
	status = PQresultStatus(res);
	if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) {
		db->error[0] = '\0';
		db->sqlstate[0] = '\0';
		return res;
	}
	set_error(db, st->name, res);
	PQclear(res);
	return NULL;
}

PGresult *db_run(struct db *db, const struct db_stmt *st, const char *const *values,
                 const int *lengths, const int *formats, int binary_result)
{
	int was_idle = db->conn == NULL || PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	PGresult *res = run_once(db, st, values, lengths, formats, binary_result);

	/* A server restart shows up as a broken connection on the next call;
	 * outside a transaction nothing is lost by trying once more. */
	if (res == NULL && was_idle && db->conn && PQstatus(db->conn) == CONNECTION_BAD)
		res = run_once(db, st, values, lengths, formats, binary_result);
	return res;
}

int db_exec(struct db *db, const struct db_stmt *st, const char *const *values)
{
	PGresult *res = db_run(db, st, values, NULL, NULL, 0);

	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int db_send(struct db *db, const struct db_stmt *st, const char *const *values, const int *lengths,
            const int *formats)
{
	if (db_ensure(db) != 0 || prepare(db, st) != 0)
		return -1;
	/* Non-blocking: libpq sends what the socket takes now, db_flush and
	 * db_collect the rest (PostgreSQL, libpq 34.4). */
	if (PQsetnonblocking(db->conn, 1) != 0 ||
	    PQsendQueryPrepared(db->conn, st->name, st->nparams, values, lengths, formats, 0) !=
	        1) {
		set_error(db, st->name, NULL);
		PQsetnonblocking(db->conn, 0);
		return -1;
	}
	return 0;
}

int db_flush(struct db *db)
{
	if (db->conn == NULL || PQflush(db->conn) < 0) {
		set_error(db, "flush", NULL);
		return -1;
	}
	return 0;
}

int db_collect(struct db *db)
{
	PGresult *res;
	int rc = 0;

	if (db->conn == NULL)
		return -1;
	/* PQgetResult sends what is still unsent before it waits. */
	while ((res = PQgetResult(db->conn)) != NULL) {
		ExecStatusType status = PQresultStatus(res);

		if (rc == 0 && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
			set_error(db, "collect", res);
			rc = -1;
		}
		PQclear(res);
	}
	if (PQsetnonblocking(db->conn, 0) != 0 && rc == 0) {
		set_error(db, "collect", NULL);
		rc = -1;
	}
	return rc;
}

static const struct db_stmt stmt_begin = {"db_begin", "BEGIN", 0};
static const struct db_stmt stmt_sync_commit = {
    "db_sync_commit", "SELECT set_config('synchronous_commit', 'on', true)", 0};
static const struct db_stmt stmt_commit = {"db_commit", "COMMIT", 0};
static const struct db_stmt stmt_rollback = {"db_rollback", "ROLLBACK", 0};

int db_begin(struct db *db)
{
	return db_exec(db, &stmt_begin, NULL);
}

int db_commit(struct db *db)
{
	PGresult *res;
	int ok;

	if (db->conn == NULL)
		return -1;
	/* COMMIT of a failed transaction answers ROLLBACK with COMMAND_OK:
	 * check the state first so a failure is never taken for a commit. */
	if (PQtransactionStatus(db->conn) != PQTRANS_INTRANS) {
		snprintf(db->error, sizeof(db->error), "commit: transaction not open or failed");
		db_rollback(db);
		return -1;
	}
	res = db_run(db, &stmt_commit, NULL, NULL, NULL, 0);
	if (res == NULL)
		return -1;
	ok = strcmp(PQcmdStatus(res), "COMMIT") == 0;
	PQclear(res);
	return ok ? 0 : -1;
}

int db_sync_commit(struct db *db)
{
	if (db->conn == NULL || PQtransactionStatus(db->conn) != PQTRANS_INTRANS) {
		snprintf(db->error, sizeof(db->error),
		         "sync commit: transaction not open or failed");
		return -1;
	}
	return db_exec(db, &stmt_sync_commit, NULL);
}

void db_rollback(struct db *db)
{
	PGresult *res;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	if (prepare(db, &stmt_rollback) != 0) {
		/* In a failed transaction PREPARE itself fails: plain ROLLBACK. */
		res = PQexec(db->conn, "ROLLBACK");
		PQclear(res);
		return;
	}
	res = PQexecPrepared(db->conn, stmt_rollback.name, 0, NULL, NULL, NULL, 0);
	PQclear(res);
}

const char *db_error(const struct db *db)
{
	return db->error;
}

const char *db_sqlstate(const struct db *db)
{
	return db->sqlstate;
}

PGconn *db_conn(struct db *db)
{
	return db->conn;
}
