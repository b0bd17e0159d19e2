/*
 * db.h - one PostgreSQL connection with named prepared statements.
 *
 * Every query is a prepared statement (STYLE 6): a module declares its
 * statements as static `struct db_stmt` values next to the code that uses
 * them, and db_run() prepares each one on a connection the first time it is
 * used there.  A lost connection is reopened on the next call outside a
 * transaction, and the statements are prepared again.
 */
#ifndef SCANPOST_DB_H
#define SCANPOST_DB_H

#include <libpq-fe.h>

struct db_stmt {
	const char *name; /* also the server-side statement name */
	const char *sql;
	int nparams;
};

struct db;

/* Keeps a copy of conninfo; connects lazily.  Free with db_free. */
struct db *db_new(const char *conninfo);
void db_free(struct db *db);

/* Bounded waits (DESIGN 3.7): every connection made from now on has
 * PostgreSQL's lock_timeout (a lock not had in time fails with SQLSTATE
 * 55P03, DB_LOCK_NOT_AVAILABLE) and idle_in_transaction_session_timeout
 * (the server ends a session whose transaction sits idle longer). */
#define DB_LOCK_NOT_AVAILABLE "55P03"
void db_set_limits(struct db *db, long lock_timeout_ms, long idle_tx_seconds);

/* Makes sure the connection is up (reconnecting if it broke); 0 or -1.
 * conninfo may list several hosts (host=a,b port=1,2
 * target_session_attrs=read-write): libpq takes the first that accepts
 * writes, so after a failover a reconnect finds the promoted standby.
 * Each host is given DB_CONNECT_TIMEOUT seconds unless conninfo sets its
 * own connect_timeout, and TCP keepalives (idle 30 s, then 3 probes 10 s
 * apart) unless it sets its own: a failed or vanished connection costs
 * bounded time, and the caller's next call tries again (the api answers
 * 503 meanwhile). */
#define DB_CONNECT_TIMEOUT "5"
int db_ensure(struct db *db);

/*
 * Runs a prepared statement.  values/lengths/formats as PQexecPrepared
 * (lengths and formats may be NULL for all-text parameters).  Returns a
 * result whose status is COMMAND_OK or TUPLES_OK, which the caller frees
 * with PQclear, or NULL with the reason in db_error().  A connection lost
 * outside a transaction is reopened and the statement tried once more.
 */
PGresult *db_run(struct db *db, const struct db_stmt *st, const char *const *values,
                 const int *lengths, const int *formats, int binary_result);

/* Like db_run for statements whose rows do not matter: 0, or -1. */
int db_exec(struct db *db, const struct db_stmt *st, const char *const *values);

/* db_exec in two halves, so the caller works while the server runs the
 * statement (an upload reads and seals its next chunk while the last one
 * is sent and written).  db_send queues it and sends what the socket
 * takes at once: 0, or -1.  db_flush sends more of it without waiting:
 * 0, or -1.  db_collect sends the rest and waits for its end: 0, or -1
 * with db_error; it reads every result, so the connection is free (and
 * blocking) again either way.  One statement in flight; no other call on
 * db between send and collect; inside a transaction (no reconnect). */
int db_send(struct db *db, const struct db_stmt *st, const char *const *values, const int *lengths,
            const int *formats);
int db_flush(struct db *db);
int db_collect(struct db *db);

int db_begin(struct db *db);
int db_commit(struct db *db);

/*
 * The open transaction's COMMIT returns only once the synchronous standby
 * (synchronous_standby_names on the primary, README "Running on several
 * machines") has flushed it to disk: SET LOCAL synchronous_commit = on,
 * whatever a role or database default says.  For the commits whose answer
 * promises that something is kept: the upload answered 200 to the printer,
 * and the job recorded sent (lifecycle.c, lifecycle_queue.c).  0 or -1.
 *
 * Why `on` (remote flush), not remote_apply or remote_write: a promoted
 * standby replays all the WAL it has flushed before it accepts a write, so
 * a commit flushed there survives the failover.  remote_apply adds only
 * that readers of the standby see it at once; nothing reads from a
 * standby (target_session_attrs=read-write), and it would add the
 * standby's replay time to each upload.  remote_write leaves the commit in
 * the standby's OS cache only, lost if both machines go down together.
 * Without a standby (synchronous_standby_names empty) nothing waits.
 * No timeout may bound this wait: the commit is already durable on the
 * primary when it starts, and a canceled wait reports COMMIT with a
 * warning; a primary whose standby is gone is released by an operator
 * (`./stack sync-off`, or Patroni's synchronous_mode).
 */
int db_sync_commit(struct db *db);
/* Rolls back if a transaction is open; safe to call anytime. */
void db_rollback(struct db *db);

/* The last error (libpq's text), valid until the next call. */
const char *db_error(const struct db *db);
/* The SQLSTATE of the last error, or "" (e.g. "23505" unique violation). */
const char *db_sqlstate(const struct db *db);
PGconn *db_conn(struct db *db);

#endif
