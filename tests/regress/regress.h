/*
 * regress.h - the fixtures of the middle test tier (tests/regress/run makes
 * the cluster, keyrings and configs; these reach them).
 *
 * Each test program connects as the role of the program it stands for
 * (scanpost_api for the handlers' transitions, scanpost_sender for the
 * sender's and the janitor's), so the column grants of sql/007 are in force
 * exactly as in production; assertions read the database as its owner.
 */
#ifndef SCANPOST_REGRESS_H
#define SCANPOST_REGRESS_H

#include <CUnit/CUnit.h>
#include <stddef.h>
#include <stdint.h>

#include "crypto.h"
#include "db.h"
#include "docstore.h"
#include "keycache.h"
#include "lifecycle.h"

/* Runs one CUnit suite verbosely; the exit status of a test program. */
int regress_main(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean,
                 CU_TestInfo *tests);

/* The run's directory, build and source trees (from tests/regress/run). */
const char *regress_dir(void);
const char *regress_build(void);

/* A scanpost connection as role ("scanpost_api", "scanpost_sender",
 * "scanpost_owner"); free with db_free. */
struct db *regress_db(const char *role);
/* The keyring cache of ring ("doc", "token"); free with keycache_free.
 * regress_keys_public: its public halves only, as scanpost-api loads the
 * token keyring. */
int regress_keys(const char *ring, struct keycache *kc);
int regress_keys_public(const char *ring, struct keycache *kc);

/* SQL as the owner, with text parameters (NULL-terminated list).
 * regress_text: the first value of the first row, malloc'd, or NULL when no
 * row; regress_long: that value as a number (-1 on no row or an error);
 * regress_exec: 0, or -1 with the error printed.  regress_error: the last
 * error text ("" when none). */
char *regress_text(const char *sql, ...);
long regress_long(const char *sql, ...);
int regress_exec(const char *sql, ...);
const char *regress_error(void);
/* SQL as `role` (SET ROLE): 0 done, or -1 with the error in
 * regress_error() (e.g. "permission denied ..."). */
int regress_exec_as(const char *role, const char *sql, ...);

/* LISTEN on channel as the owner; then whether a NOTIFY with payload has
 * arrived since (consumed).  0 / 1, -1 on error. */
int regress_listen(const char *channel);
int regress_notified(const char *payload);

/* scanpost-api of the build tree on the run's api.conf, with RMail at
 * rmail_url; regress_api_start returns once its socket answers.  Its log is
 * <run dir>/api.log.  0 or -1. */
int regress_api_start(const char *rmail_url);
void regress_api_stop(void);
const char *regress_api_socket(void);
/* The upload pool's socket (/scan/ only, main.c). */
const char *regress_upload_socket(void);
/* Whether a unix socket at path accepts a connection: 1 or 0. */
int regress_socket_answers(const char *path);

/* Empties every scanpost table: each test starts from nothing. */
void regress_reset(void);

/* Rows of audit_events with this event (and job, unless NULL). */
long regress_audit_rows(const char *event, const char *job_id);

/* Runs scanpostctl (build tree, the run's ctl.conf) with the arguments
 * (NULL-terminated); its stdout is kept in out (may be NULL).  The exit
 * status, or -1. */
int regress_ctl(char *out, size_t outlen, ...);

/* scanpostctl in the background: its pid, its stdout readable on *fd.
 * regress_ctl_wait collects it as regress_ctl does; regress_ctl_running
 * says whether it is still at work. */
int regress_ctl_spawn(int *fd, ...);
int regress_ctl_running(int pid);
int regress_ctl_wait(int pid, int fd, char *out, size_t outlen);

/* A signed-in session of user holding token, through the lifecycle (as
 * scanpost-api makes one).  0, and id filled. */
int regress_session(struct db *api, struct keycache *token_keys, const char *user,
                    const char *token, char id[40]);
/* A job of the session awaiting its scan; upload_token receives the link's
 * secret (32 bytes) and its hash the stored one.  0, and id filled. */
int regress_job(struct db *api, const char *session_id, const char *user, long ttl, char id[40],
                uint8_t token[32], uint8_t token_hash[32]);
/* A complete scan, as a device files it (DESIGN 3.3): one file of len
 * bytes (a PDF-looking pattern; fill with seed), then the device's job log,
 * each in its own upload transaction of the lifecycle, as h_scan does; 0,
 * or the lc_result.  regress_upload_file: the file alone (the scan is not
 * complete: submit is refused); regress_upload_job_log: the job log alone. */
int regress_upload(struct db *api, struct keycache *doc_keys, const char *job_id,
                   const uint8_t token_hash[32], size_t len, unsigned seed);
int regress_upload_file(struct db *api, struct keycache *doc_keys, const char *job_id,
                        const uint8_t token_hash[32], size_t len, unsigned seed);
int regress_upload_job_log(struct db *api, const char *job_id, const uint8_t token_hash[32]);
/* The bytes regress_upload stores for (len, seed), malloc'd. */
uint8_t *regress_document(size_t len, unsigned seed);
/* SHA-256 of buf as 64 hex digits. */
void regress_sha256_hex(const void *buf, size_t len, char out[65]);

#endif
