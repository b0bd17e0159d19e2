/*
 * test_lifecycle.c - every transition of src/lib/lifecycle.c against a real
 * cluster: what it changes, what it refuses, and the audit row it writes in
 * the same transaction.  The person's transitions run as scanpost_api, the
 * sender's and the janitor's as scanpost_sender, the administrator's as the
 * owner: the grants of sql/007 are in force.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "filingstore.h"
#include "jobstate.h"
#include "regress.h"
#include "sessions.h"

#define USER "pat@example.org"

static struct db *api, *sender, *ctl;
static struct keycache doc_keys, token_keys, token_public;
static const struct lc_who pat = {USER, NULL, "regress"};
static const struct lc_who admin = {"scanpostctl:regress", NULL, NULL};

/* A job of a new session: awaiting its scan, with len bytes uploaded when
 * len > 0.  The session id is left in sid. */
static void make_job(size_t len, char sid[40], char job[40])
{
	uint8_t token[32], hash[32];

	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "rmail-token", sid), 0);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, job, token, hash), 0);
	if (len > 0)
		CU_ASSERT_EQUAL_FATAL(regress_upload(api, &doc_keys, job, hash, len, 7), LC_OK);
}

/* A queued job, claimed by "sender-a" into *j. */
static void make_claimed(size_t len, char sid[40], struct queued_job *j)
{
	char job[40];

	make_job(len, sid, job);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, j), LC_OK);
	CU_ASSERT_STRING_EQUAL(j->id, job);
}

static char *state_of(const char *job)
{
	static char st[32];
	char *s = regress_text("SELECT state FROM scanpost.jobs WHERE id = $1::uuid", job, NULL);

	snprintf(st, sizeof(st), "%s", s ? s : "(none)");
	free(s);
	return st;
}

static long chunks_of(const char *job)
{
	return regress_long("SELECT count(*) FROM scanpost.document_chunks WHERE job_id = $1::uuid",
	                    job, NULL);
}

static long keys_of(const char *job)
{
	return regress_long("SELECT count(*) FROM scanpost.job_files WHERE job_id = $1::uuid"
	                    " AND dek_wrapped IS NOT NULL",
	                    job, NULL);
}

static long token_of(const char *sid)
{
	return regress_long("SELECT count(*) FROM scanpost.sessions WHERE id = $1::uuid"
	                    " AND token_sealed IS NOT NULL",
	                    sid, NULL);
}

static int suite_init(void)
{
	api = regress_db("scanpost_api");
	sender = regress_db("scanpost_sender");
	ctl = regress_db("scanpost_owner");
	if (regress_keys("doc", &doc_keys) != 0 || regress_keys("token", &token_keys) != 0 ||
	    regress_keys_public("token", &token_public) != 0)
		return -1;
	regress_reset();
	return 0;
}

static int suite_clean(void)
{
	db_free(api);
	db_free(sender);
	db_free(ctl);
	keycache_free(&doc_keys);
	keycache_free(&token_keys);
	keycache_free(&token_public);
	return 0;
}

/* ---- the person's side ------------------------------------------------- */

static void test_session_start_seals_the_token_and_audits_signin(void)
{
	char sid[40], *token = NULL;

	regress_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "secret-token", sid), 0);
	CU_ASSERT_EQUAL(token_of(sid), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("signin_ok", NULL), 1);
	/* Sealed (by the api's public halves) with the session as AAD: the
	 * sender opens it; the keyring the api holds cannot. */
	CU_ASSERT_EQUAL(sessions_token_open(sender, keycache_get(&token_public), sid, &token), 1);
	CU_ASSERT_PTR_NULL(token);
	CU_ASSERT_EQUAL(sessions_token_open(sender, keycache_get(&token_keys), sid, &token), 0);
	CU_ASSERT(token && strcmp(token, "secret-token") == 0);
	free(token);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.sessions WHERE id = $1::uuid"
	                             " AND position('secret-token'::bytea in token_sealed) > 0",
	                             sid, NULL),
	                0);
}

/* A token sealed the way scanpost sealed before (AES-GCM under the key
 * file, sp_seal_blob) still opens for the sender. */
static void test_a_token_sealed_the_older_way_still_opens(void)
{
	char sid[40], kid[SP_KID_MAX + 1], aad[SESSION_TOKEN_AAD_MAX], *token = NULL, *hex;
	uint8_t *blob = NULL;
	size_t len = 0;

	regress_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "new-way", sid), 0);
	session_token_aad(sid, aad);
	CU_ASSERT_EQUAL_FATAL(sp_seal_blob(keycache_get(&token_keys), aad, strlen(aad), "old-way",
	                                   7, &blob, &len, kid),
	                      SP_CRYPTO_OK);
	hex = malloc(2 * len + 1);
	CU_ASSERT_FATAL(hex != NULL);
	hex_encode(blob, len, hex);
	regress_exec("UPDATE scanpost.sessions SET token_kid = $2, token_sealed = decode($3, 'hex')"
	             " WHERE id = $1::uuid",
	             sid, kid, hex, NULL);
	CU_ASSERT_EQUAL(sessions_token_open(sender, keycache_get(&token_keys), sid, &token), 0);
	CU_ASSERT(token && strcmp(token, "old-way") == 0);
	free(token);
	free(hex);
	free(blob);
}

/* `keys rotate token` re-seals every live token to the new public key,
 * `retire-unused` destroys the old pair, and the api's public halves follow. */
static void test_token_rotation_reseals_and_the_sealer_follows(void)
{
	char sid[40], sid2[40], out[2048], *kid1, *kid2, *token = NULL;

	regress_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "rotate-me", sid), 0);
	kid1 =
	    regress_text("SELECT token_kid FROM scanpost.sessions WHERE id = $1::uuid", sid, NULL);
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "rotate", "token", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "re-wrapped 1"));
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "retire-unused", "token", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "retired token key"));
	kid2 =
	    regress_text("SELECT token_kid FROM scanpost.sessions WHERE id = $1::uuid", sid, NULL);
	CU_ASSERT(kid1 && kid2 && strcmp(kid1, kid2) != 0);
	CU_ASSERT_EQUAL(sessions_token_open(sender, keycache_get(&token_keys), sid, &token), 0);
	CU_ASSERT(token && strcmp(token, "rotate-me") == 0);
	free(token);
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "after", sid2), 0);
	free(kid1);
	kid1 =
	    regress_text("SELECT token_kid FROM scanpost.sessions WHERE id = $1::uuid", sid2, NULL);
	CU_ASSERT(kid1 && kid2 && strcmp(kid1, kid2) == 0);
	CU_ASSERT_STRING_EQUAL(keyring_primary(keycache_get(&token_public)), kid2);
	free(kid1);
	free(kid2);
}

/* The rotation timer of the doc and token keyrings runs with the sender's
 * config (src/systemd/scanpost-keyrotate.service): the role scanpost_sender
 * re-wraps every live key and retires the old ones, no owner rights. */
static void test_the_rotation_timer_needs_no_owner_rights(void)
{
	char sid[40], job[40], out[2048], conninfo[600];
	char *doc1, *doc2, *tok1, *tok2;

	regress_reset();
	make_job(300000, sid, job);
	doc1 = regress_text("SELECT dek_kid FROM scanpost.job_files WHERE job_id = $1::uuid", job,
	                    NULL);
	tok1 =
	    regress_text("SELECT token_kid FROM scanpost.sessions WHERE id = $1::uuid", sid, NULL);
	snprintf(conninfo, sizeof(conninfo), "host=%s/sock port=5432 dbname=scanpost user=%s",
	         regress_dir(), "scanpost_sender");
	setenv("SCANPOST_DB_CONNINFO", conninfo, 1);
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "rotate", "doc", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "re-wrapped 1"));
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "rotate", "token", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "re-wrapped 1"));
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "retire-unused", "doc", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "retired doc key"));
	CU_ASSERT_EQUAL(regress_ctl(out, sizeof(out), "keys", "retire-unused", "token", NULL), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "retired token key"));
	unsetenv("SCANPOST_DB_CONNINFO");
	doc2 = regress_text("SELECT dek_kid FROM scanpost.job_files WHERE job_id = $1::uuid", job,
	                    NULL);
	tok2 =
	    regress_text("SELECT token_kid FROM scanpost.sessions WHERE id = $1::uuid", sid, NULL);
	CU_ASSERT(doc1 && doc2 && strcmp(doc1, doc2) != 0);
	CU_ASSERT(tok1 && tok2 && strcmp(tok1, tok2) != 0);
	CU_ASSERT_EQUAL(regress_audit_rows("key_rotated", NULL), 2);
	free(doc1);
	free(doc2);
	free(tok1);
	free(tok2);
}

static void test_job_create_and_upload_write_their_rows(void)
{
	char sid[40], job[40];

	regress_reset();
	make_job(300000, sid, job);
	CU_ASSERT_STRING_EQUAL(state_of(job), job_state_name(JOB_AWAITING_SCAN));
	CU_ASSERT_EQUAL(regress_audit_rows("job_created", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("uploaded", job), 1);
	CU_ASSERT_EQUAL(
	    regress_long("SELECT uploaded_bytes FROM scanpost.jobs WHERE id = $1::uuid", job, NULL),
	    300000);
	CU_ASSERT_EQUAL(keys_of(job), 1);
	CU_ASSERT_EQUAL(chunks_of(job), 2); /* 256 KiB chunks */
}

static void test_submit_queues_notifies_and_audits(void)
{
	char sid[40], job[40], empty[40];
	uint8_t token[32], hash[32];

	regress_reset();
	make_job(1000, sid, job);
	CU_ASSERT_EQUAL_FATAL(regress_listen(LIFECYCLE_NOTIFY_CHANNEL), 0);
	CU_ASSERT_EQUAL(lifecycle_job_submit(api, job, "mallory@example.org", &pat), LC_NOT_FOUND);
	CU_ASSERT_EQUAL(lifecycle_job_submit(api, job, USER, &pat), LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(job), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_audit_rows("job_submitted", job), 1);
	CU_ASSERT_EQUAL(regress_notified(job), 1);
	/* The upload link is spent. */
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND upload_token_hash IS NULL",
	                             job, NULL),
	                1);
	CU_ASSERT_EQUAL(lifecycle_job_submit(api, job, USER, &pat), LC_WRONG_STATE);
	CU_ASSERT_EQUAL(regress_audit_rows("job_submitted", job), 1);
	/* Nothing uploaded: refused, with no row. */
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, empty, token, hash), 0);
	CU_ASSERT_EQUAL(lifecycle_job_submit(api, empty, USER, &pat), LC_NOTHING_UPLOADED);
	CU_ASSERT_EQUAL(regress_audit_rows("job_submitted", empty), 0);
}

/* DESIGN 3.3: the device's job log proves every file is in; submit
 * without it is refused with no row, and its first arrival is the one
 * audited. */
static void test_submit_needs_the_devices_job_log(void)
{
	char sid[40], job[40];
	uint8_t token[32], hash[32];

	regress_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "rmail-token", sid), 0);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, job, token, hash), 0);
	CU_ASSERT_EQUAL_FATAL(regress_upload_file(api, &doc_keys, job, hash, 2000, 1), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_job_submit(api, job, USER, &pat), LC_SCAN_INCOMPLETE);
	CU_ASSERT_STRING_EQUAL(state_of(job), job_state_name(JOB_AWAITING_SCAN));
	CU_ASSERT_EQUAL(regress_audit_rows("job_submitted", job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("job_log_arrived", job), 0);
	CU_ASSERT_EQUAL(regress_upload_job_log(api, job, hash), LC_OK);
	CU_ASSERT_EQUAL(regress_audit_rows("job_log_arrived", job), 1);
	CU_ASSERT_EQUAL(
	    regress_long("SELECT files FROM scanpost.job_logs WHERE job_id = $1::uuid", job, NULL),
	    1);
	/* A second job log is bookkeeping: the arrival was the first. */
	uint64_t stored;
	char owner[256];
	struct lc_upload again = {.job_log = 1, .job_log_bytes = 10};
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_begin(api, job, hash, &stored, owner, sizeof(owner)),
	                      LC_OK);
	CU_ASSERT_EQUAL(filingstore_add(api, job, "/", "again.XST", FS_JOB_LOG, 10, 0), 0);
	CU_ASSERT_EQUAL(lifecycle_upload_commit(api, job, owner, &again, "regress"), LC_OK);
	CU_ASSERT_EQUAL(regress_audit_rows("job_log_arrived", job), 1);
	CU_ASSERT_EQUAL(lifecycle_job_submit(api, job, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL(regress_audit_rows("job_submitted", job), 1);
}

/* DESIGN 3.3 inside the lifecycle's upload transaction: what a filing
 * operation may take away is bookkeeping, never a document, whichever
 * statement tries (sql/009). */
static void test_filing_removals_never_take_a_document(void)
{
	char sid[40], job[40], owner[256];
	uint8_t token[32], hash[32];
	uint64_t stored;
	long entries = -1, documents = -1;

	regress_reset();
	CU_ASSERT_EQUAL_FATAL(regress_session(api, &token_public, USER, "rmail-token", sid), 0);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, job, token, hash), 0);
	CU_ASSERT_EQUAL_FATAL(regress_upload_file(api, &doc_keys, job, hash, 3000, 2), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_upload_begin(api, job, hash, &stored, owner, sizeof(owner)),
	                      LC_OK);
	CU_ASSERT_EQUAL(filingstore_add(api, job, "/", "scan.LCK", FS_FILE, 4, 0), 0);
	CU_ASSERT_EQUAL(filingstore_add(api, job, "/", "w.XSM", FS_FOLDER, 0, 0), 0);
	CU_ASSERT_EQUAL(filingstore_add(api, job, "/w.XSM", "p.dat", FS_FILE, 1, 0), 0);
	CU_ASSERT_EQUAL(lifecycle_upload_forget_file(api, job, "/", "scan.LCK"), 1);
	CU_ASSERT_EQUAL(lifecycle_upload_forget_file(api, job, "/", "scan.LCK"), 0);
	/* The document's name is no lock: nothing goes. */
	CU_ASSERT_EQUAL(lifecycle_upload_forget_file(api, job, "/", "doc0.pdf"), 0);
	CU_ASSERT_EQUAL(lifecycle_upload_clear_folder(api, job, "/"), 0);
	CU_ASSERT_EQUAL(filingstore_folder_count(api, job, "/", &entries, &documents), 0);
	CU_ASSERT_EQUAL(documents, 1);
	CU_ASSERT_EQUAL(entries, 1); /* the document; the empty working folder went */
	struct lc_upload none = {0};
	CU_ASSERT_EQUAL(lifecycle_upload_commit(api, job, owner, &none, "regress"), LC_OK);
	CU_ASSERT_EQUAL(keys_of(job), 1);
	CU_ASSERT_EQUAL(chunks_of(job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 0);
	/* No statement of the api's takes a document's filing entry. */
	CU_ASSERT_NOT_EQUAL(regress_exec_as("scanpost_api",
	                                    "DELETE FROM scanpost.filing_entries"
	                                    " WHERE job_id = $1::uuid",
	                                    job, NULL),
	                    0);
	CU_ASSERT_PTR_NOT_NULL(strstr(regress_error(), "not a filing operation's to delete"));
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.filing_entries"
	                             " WHERE job_id = $1::uuid AND kind = 'document'",
	                             job, NULL),
	                1);
}

static void test_cancel_deletes_the_document_once(void)
{
	char sid[40], job[40];

	regress_reset();
	make_job(600000, sid, job);
	CU_ASSERT_EQUAL(lifecycle_job_cancel(api, job, "mallory@example.org", &pat), LC_NOT_FOUND);
	CU_ASSERT_EQUAL(lifecycle_job_cancel(api, job, USER, &pat), LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(job), job_state_name(JOB_CANCELED));
	CU_ASSERT_EQUAL(chunks_of(job), 0);
	CU_ASSERT_EQUAL(keys_of(job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("job_canceled", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
	/* Name, size and digest stay for the history. */
	CU_ASSERT_EQUAL(
	    regress_long("SELECT bytes FROM scanpost.job_files WHERE job_id = $1::uuid", job, NULL),
	    600000);
	CU_ASSERT_EQUAL(lifecycle_job_cancel(api, job, USER, &pat), LC_WRONG_STATE);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
}

static void test_cancel_of_a_queued_job_releases_an_ended_sessions_token(void)
{
	char sid[40], job[40];

	regress_reset();
	make_job(1000, sid, job);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, job, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, sid, "signout", &pat), LC_OK);
	CU_ASSERT_EQUAL(token_of(sid), 1); /* the queued job needs it */
	CU_ASSERT_EQUAL(lifecycle_job_cancel(api, job, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL(token_of(sid), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
}

static void test_session_end_cancels_uploads_and_keeps_the_token_for_queued_jobs(void)
{
	char sid[40], waiting[40], queued[40], other[40];
	uint8_t token[32], hash[32];

	regress_reset();
	make_job(2000, sid, queued);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, queued, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL_FATAL(regress_job(api, sid, USER, 1800, waiting, token, hash), 0);
	CU_ASSERT_EQUAL_FATAL(regress_upload(api, &doc_keys, waiting, hash, 5000, 3), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, sid, "signout", &pat), LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(waiting), job_state_name(JOB_CANCELED));
	CU_ASSERT_STRING_EQUAL(state_of(queued), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", waiting), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("job_canceled", waiting), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", queued), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("signout", NULL), 1);
	CU_ASSERT_EQUAL(token_of(sid), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 0);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, sid, "signout", &pat), LC_NOT_FOUND);
	/* A session with nothing queued lets its token go at once. */
	make_job(0, other, waiting);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, other, "exit", &pat), LC_OK);
	CU_ASSERT_EQUAL(token_of(other), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 1);
}

/* ---- the sender's side -------------------------------------------------- */

static void test_claim_leases_once_and_audits(void)
{
	char sid[40];
	struct queued_job j, k;

	regress_reset();
	make_claimed(1000, sid, &j);
	CU_ASSERT_STRING_EQUAL(state_of(j.id), job_state_name(JOB_SENDING));
	CU_ASSERT_EQUAL(j.attempts, 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_started", j.id), 1);
	CU_ASSERT_EQUAL(lifecycle_claim(sender, "sender-b", 30, &k), LC_NOT_FOUND);
	CU_ASSERT_EQUAL(lifecycle_renew_lease(sender, &j, "sender-a", 60), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_renew_lease(sender, &j, "sender-b", 60), LC_LEASE_LOST);
	queued_job_free(&j);
}

/* The claim reads the queue in due order (jobs_queue_idx): the job due
 * longest goes first, one not yet due stays. */
static void test_claim_takes_the_job_due_longest_and_none_not_yet_due(void)
{
	char sid[40], early[40], late[40], later[40];
	struct queued_job j;

	regress_reset();
	make_job(1000, sid, late);
	make_job(1000, sid, early);
	make_job(1000, sid, later);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, late, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, early, USER, &pat), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_job_submit(api, later, USER, &pat), LC_OK);
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() - interval '1 minute'"
	             " WHERE id = $1::uuid",
	             late, NULL);
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() - interval '2 minutes'"
	             " WHERE id = $1::uuid",
	             early, NULL);
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() + interval '1 hour'"
	             " WHERE id = $1::uuid",
	             later, NULL);
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_OK);
	CU_ASSERT_STRING_EQUAL(j.id, early);
	queued_job_free(&j);
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_OK);
	CU_ASSERT_STRING_EQUAL(j.id, late);
	queued_job_free(&j);
	CU_ASSERT_EQUAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_NOT_FOUND);
	CU_ASSERT_STRING_EQUAL(state_of(later), job_state_name(JOB_QUEUED));
}

static void test_mark_sent_deletes_the_document_and_the_token_in_one_go(void)
{
	char sid[40];
	struct queued_job j;

	regress_reset();
	make_claimed(400000, sid, &j);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, sid, "signout", &pat), LC_OK);
	CU_ASSERT_EQUAL(token_of(sid), 1);
	/* A sender whose lease was taken changes nothing. */
	CU_ASSERT_EQUAL(lifecycle_mark_sent(sender, &j, "sender-b", "T1", 0, "mail_accepted"),
	                LC_LEASE_LOST);
	CU_ASSERT_EQUAL(chunks_of(j.id), 2);
	CU_ASSERT_EQUAL(lifecycle_mark_sent(sender, &j, "sender-a", "T1", 0, "mail_accepted"),
	                LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(j.id), job_state_name(JOB_SENT));
	CU_ASSERT_EQUAL(chunks_of(j.id), 0);
	CU_ASSERT_EQUAL(keys_of(j.id), 0);
	CU_ASSERT_EQUAL(token_of(sid), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("sent", j.id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", j.id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 1);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND tracking_id = 'T1' AND sent_at IS NOT NULL"
	                             " AND document_deleted_at IS NOT NULL AND lease_owner IS NULL",
	                             j.id, NULL),
	                1);
	queued_job_free(&j);
}

/* retry requeues with the error and never fails a job on its count of
 * attempts (issue 10: the horizon is the sender's, in time); defer gives
 * the claim back (our own outage). */
static void test_retry_requeues_whatever_the_attempts_and_defer_gives_the_claim_back(void)
{
	char sid[40], id[40];
	struct queued_job j;

	regress_reset();
	make_claimed(1000, sid, &j);
	snprintf(id, sizeof(id), "%s", j.id);
	CU_ASSERT_EQUAL(lifecycle_retry(sender, &j, "sender-a", 5000, "rmail_unavailable", "503"),
	                LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", id), 1);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND next_attempt_at > now() + interval '4 seconds'"
	                             " AND last_error_code = 'rmail_unavailable'",
	                             id, NULL),
	                1);
	queued_job_free(&j);
	/* max_attempts is 3: the fifth transient failure is still a retry. */
	for (int attempt = 2; attempt <= 5; attempt++) {
		regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() WHERE id = $1::uuid",
		             id, NULL);
		CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_OK);
		CU_ASSERT_EQUAL(j.attempts, attempt);
		CU_ASSERT_EQUAL(
		    lifecycle_retry(sender, &j, "sender-a", 1000, "rmail_unavailable", "503"),
		    LC_OK);
		queued_job_free(&j);
	}
	CU_ASSERT_STRING_EQUAL(state_of(id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_audit_rows("send_retry", id), 5);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", id), 0);
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now() WHERE id = $1::uuid", id,
	             NULL);
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_OK);
	CU_ASSERT_EQUAL(j.attempts, 6);
	CU_ASSERT_EQUAL(lifecycle_defer(sender, &j, "sender-b", 1000, "x", "y"), LC_LEASE_LOST);
	CU_ASSERT_EQUAL(
	    lifecycle_defer(sender, &j, "sender-a", 1000, "database_unavailable", "database down"),
	    LC_OK);
	CU_ASSERT_EQUAL(
	    regress_long("SELECT attempts FROM scanpost.jobs WHERE id = $1::uuid", id, NULL), 5);
	CU_ASSERT_EQUAL(regress_audit_rows("send_deferred", id), 1);
	queued_job_free(&j);
	/* A job keeps its document while it waits. */
	CU_ASSERT_EQUAL(keys_of(id), 1);
}

/* give up unknown: like fail for the data (document kept, token released),
 * a state of its own; an administrator's requeue takes it back. */
static void test_give_up_unknown_is_not_failed_and_can_be_requeued(void)
{
	char sid[40], state[32];
	struct queued_job j;
	int expired = 0;

	regress_reset();
	make_claimed(1000, sid, &j);
	CU_ASSERT_EQUAL(lifecycle_give_up_unknown(sender, &j, "sender-a", "rmail_status_unclear",
	                                          "RMail did not confirm"),
	                LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(j.id), job_state_name(JOB_DELIVERY_UNKNOWN));
	CU_ASSERT_EQUAL(keys_of(j.id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("delivery_unknown", j.id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", j.id), 0);
	CU_ASSERT_EQUAL(lifecycle_requeue(ctl, j.id, &admin, state, sizeof(state), &expired),
	                LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(j.id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND requeued_at IS NOT NULL",
	                             j.id, NULL),
	                1);
	queued_job_free(&j);
}

/* check later (rmail's SEND_CHECK_LATER): back to the queue without a
 * verdict, counted or not, never failed, with its audit row; the next
 * claim hands over when it came back (requeued_epoch). */
static void test_check_later_requeues_without_a_verdict(void)
{
	char sid[40], id[40], *epoch;
	struct queued_job j;

	regress_reset();
	make_claimed(1000, sid, &j);
	snprintf(id, sizeof(id), "%s", j.id);
	CU_ASSERT_EQUAL(lifecycle_check_later(sender, &j, "sender-b", 5000, 0, "x", "y"),
	                LC_LEASE_LOST);
	CU_ASSERT_EQUAL(lifecycle_check_later(sender, &j, "sender-a", 5000, 0,
	                                      "rmail_status_unclear", "Waiting for RMail"),
	                LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid"
	                             " AND attempts = 0 AND lease_owner IS NULL"
	                             " AND next_attempt_at > now() + interval '4 seconds'"
	                             " AND last_error_code = 'rmail_status_unclear'",
	                             id, NULL),
	                1);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.audit_events WHERE job_id ="
	                             " $1::uuid AND event = 'send_check_later'"
	                             " AND detail ->> 'counted' = 'false'"
	                             " AND detail ->> 'code' = 'rmail_status_unclear'",
	                             id, NULL),
	                1);
	queued_job_free(&j);
	/* The claim returns the time the job came back to the queue. */
	regress_exec("UPDATE scanpost.jobs SET next_attempt_at = now(),"
	             " updated_at = now() - interval '1 hour' WHERE id = $1::uuid",
	             id, NULL);
	epoch = regress_text("SELECT extract(epoch FROM updated_at)::bigint FROM scanpost.jobs"
	                     " WHERE id = $1::uuid",
	                     id, NULL);
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_OK);
	CU_ASSERT(epoch && j.requeued_epoch == atol(epoch));
	CU_ASSERT_EQUAL(j.attempts, 1);
	free(epoch);
	/* Counted, on the last attempt: still queued, never failed. */
	regress_exec("UPDATE scanpost.jobs SET attempts = max_attempts WHERE id = $1::uuid", id,
	             NULL);
	j.attempts = 3;
	CU_ASSERT_EQUAL(lifecycle_check_later(sender, &j, "sender-a", 1000, 1, "rmail_unavailable",
	                                      "503 after Mail"),
	                LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(
	    regress_long("SELECT attempts FROM scanpost.jobs WHERE id = $1::uuid", id, NULL), 3);
	CU_ASSERT_EQUAL(regress_audit_rows("send_check_later", id), 2);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", id), 0);
	CU_ASSERT_EQUAL(keys_of(id), 1);
	queued_job_free(&j);
}

static void test_fail_keeps_the_document_and_releases_the_token(void)
{
	char sid[40];
	struct queued_job j;

	regress_reset();
	make_claimed(1000, sid, &j);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, sid, "signout", &pat), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_fail(sender, &j, "sender-b", "rmail_rejected", "no"),
	                LC_LEASE_LOST);
	CU_ASSERT_EQUAL(lifecycle_fail(sender, &j, "sender-a", "rmail_rejected", "Refused"), LC_OK);
	CU_ASSERT_STRING_EQUAL(state_of(j.id), job_state_name(JOB_FAILED));
	CU_ASSERT_EQUAL(keys_of(j.id), 1);
	CU_ASSERT_EQUAL(token_of(sid), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("send_failed", j.id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", j.id), 0);
	queued_job_free(&j);
}

/* ---- the janitor -------------------------------------------------------- */

static void test_rescue_returns_an_expired_lease_to_the_queue(void)
{
	char sid[40];
	struct queued_job j;

	regress_reset();
	make_claimed(1000, sid, &j);
	CU_ASSERT_EQUAL(lifecycle_rescue_leases(sender), 0);
	regress_exec("UPDATE scanpost.jobs SET lease_until = now() - interval '1 second'"
	             " WHERE id = $1::uuid",
	             j.id, NULL);
	CU_ASSERT_EQUAL(lifecycle_rescue_leases(sender), 1);
	CU_ASSERT_STRING_EQUAL(state_of(j.id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(regress_audit_rows("lease_rescued", j.id), 1);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.audit_events WHERE job_id ="
	                             " $1::uuid AND event = 'lease_rescued'"
	                             " AND detail ->> 'lease_owner' = 'sender-a'",
	                             j.id, NULL),
	                1);
	/* The old holder's move is refused: it lost the lease. */
	CU_ASSERT_EQUAL(lifecycle_mark_sent(sender, &j, "sender-a", "T", 0, "mail_accepted"),
	                LC_LEASE_LOST);
	queued_job_free(&j);
}

static void test_expire_deletes_the_documents_of_stale_uploads(void)
{
	char sid[40], job[40];

	regress_reset();
	make_job(3000, sid, job);
	CU_ASSERT_EQUAL(lifecycle_expire_uploads(sender), 0);
	regress_exec("UPDATE scanpost.jobs SET upload_expires_at = now() - interval '1 second'"
	             " WHERE id = $1::uuid",
	             job, NULL);
	CU_ASSERT_EQUAL(lifecycle_expire_uploads(sender), 1);
	CU_ASSERT_STRING_EQUAL(state_of(job), job_state_name(JOB_EXPIRED));
	CU_ASSERT_EQUAL(chunks_of(job), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("upload_expired", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
	CU_ASSERT_EQUAL(lifecycle_expire_uploads(sender), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
}

static void test_expire_sessions_ends_idle_ones_and_lets_their_tokens_go(void)
{
	char sid[40], job[40];

	regress_reset();
	make_job(1000, sid, job);
	CU_ASSERT_EQUAL(lifecycle_expire_sessions(sender, 900), 0);
	regress_exec("UPDATE scanpost.sessions SET last_seen_at = now() - interval '1 hour'"
	             " WHERE id = $1::uuid",
	             sid, NULL);
	CU_ASSERT_EQUAL(lifecycle_expire_sessions(sender, 900), 1);
	CU_ASSERT_EQUAL(regress_long("SELECT count(*) FROM scanpost.sessions WHERE id = $1::uuid"
	                             " AND end_reason = 'idle'",
	                             sid, NULL),
	                1);
	CU_ASSERT_STRING_EQUAL(state_of(job), job_state_name(JOB_CANCELED));
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", job), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("session_ended", NULL), 1);
	CU_ASSERT_EQUAL(token_of(sid), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("token_released", NULL), 1);
}

static void test_purge_deletes_documents_of_old_failed_jobs(void)
{
	char sid[40], id[40];
	struct queued_job j;

	regress_reset();
	make_claimed(1000, sid, &j);
	snprintf(id, sizeof(id), "%s", j.id);
	CU_ASSERT_EQUAL_FATAL(lifecycle_fail(sender, &j, "sender-a", "rmail_rejected", "no"),
	                      LC_OK);
	queued_job_free(&j);
	CU_ASSERT_EQUAL(lifecycle_purge_failed_documents(sender, 3600), 0);
	regress_exec("UPDATE scanpost.jobs SET updated_at = now() - interval '2 hours'"
	             " WHERE id = $1::uuid",
	             id, NULL);
	CU_ASSERT_EQUAL(lifecycle_purge_failed_documents(sender, 3600), 1);
	CU_ASSERT_STRING_EQUAL(state_of(id), job_state_name(JOB_FAILED));
	CU_ASSERT_EQUAL(keys_of(id), 0);
	CU_ASSERT_EQUAL(chunks_of(id), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", id), 1);
	CU_ASSERT_EQUAL(lifecycle_purge_failed_documents(sender, 3600), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", id), 1);
}

/* ---- the administrator ---------------------------------------------------- */

static void test_requeue_sends_a_failed_job_again_only_when_it_can(void)
{
	char sid[40], id[40], state[32];
	struct queued_job j;
	int expired = -1;

	regress_reset();
	make_claimed(1000, sid, &j);
	snprintf(id, sizeof(id), "%s", j.id);
	CU_ASSERT_EQUAL(lifecycle_requeue(ctl, id, &admin, state, sizeof(state), &expired),
	                LC_WRONG_STATE);
	CU_ASSERT_STRING_EQUAL(state, job_state_name(JOB_SENDING));
	CU_ASSERT_EQUAL_FATAL(lifecycle_fail(sender, &j, "sender-a", "rmail_rejected", "no"),
	                      LC_OK);
	queued_job_free(&j);
	CU_ASSERT_EQUAL(lifecycle_requeue(ctl, id, &admin, state, sizeof(state), &expired), LC_OK);
	CU_ASSERT_EQUAL(expired, 0);
	CU_ASSERT_STRING_EQUAL(state_of(id), job_state_name(JOB_QUEUED));
	CU_ASSERT_EQUAL(
	    regress_long("SELECT attempts FROM scanpost.jobs WHERE id = $1::uuid", id, NULL), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("job_retried", id), 1);
	CU_ASSERT_EQUAL(lifecycle_requeue(ctl, "00000000-0000-0000-0000-000000000000", &admin,
	                                  state, sizeof(state), &expired),
	                LC_NOT_FOUND);
	/* Failed again, after the session ended: the token went with it. */
	CU_ASSERT_EQUAL_FATAL(lifecycle_claim(sender, "sender-a", 30, &j), LC_OK);
	CU_ASSERT_EQUAL(lifecycle_session_end(api, sid, "signout", &pat), LC_OK);
	CU_ASSERT_EQUAL_FATAL(lifecycle_fail(sender, &j, "sender-a", "rmail_rejected", "no"),
	                      LC_OK);
	queued_job_free(&j);
	CU_ASSERT_EQUAL(lifecycle_requeue(ctl, id, &admin, state, sizeof(state), &expired),
	                LC_TOKEN_GONE);
	regress_exec("UPDATE scanpost.jobs SET updated_at = now() - interval '30 days'"
	             " WHERE id = $1::uuid",
	             id, NULL);
	CU_ASSERT_EQUAL(lifecycle_purge_failed_documents(sender, 3600), 1);
	CU_ASSERT_EQUAL(lifecycle_requeue(ctl, id, &admin, state, sizeof(state), &expired),
	                LC_DOCUMENT_GONE);
	CU_ASSERT_EQUAL(regress_audit_rows("job_retried", id), 1);
}

static void test_purge_jobs_deletes_rows_and_any_kept_document(void)
{
	char sid[40], id[40];
	struct queued_job j;
	long n = -1;

	regress_reset();
	make_claimed(1000, sid, &j);
	snprintf(id, sizeof(id), "%s", j.id);
	CU_ASSERT_EQUAL_FATAL(lifecycle_fail(sender, &j, "sender-a", "rmail_rejected", "no"),
	                      LC_OK);
	queued_job_free(&j);
	regress_exec("UPDATE scanpost.jobs SET updated_at = now() - interval '3 days'"
	             " WHERE id = $1::uuid",
	             id, NULL);
	CU_ASSERT_EQUAL(lifecycle_purge_jobs(ctl, job_state_name(JOB_QUEUED), 1, 0, &admin, &n),
	                LC_WRONG_STATE);
	CU_ASSERT_EQUAL(lifecycle_purge_jobs(ctl, job_state_name(JOB_FAILED), 1, 1, &admin, &n),
	                LC_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(keys_of(id), 1); /* a dry run changes nothing */
	CU_ASSERT_EQUAL(lifecycle_purge_jobs(ctl, job_state_name(JOB_FAILED), 1, 0, &admin, &n),
	                LC_OK);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_EQUAL(
	    regress_long("SELECT count(*) FROM scanpost.jobs WHERE id = $1::uuid", id, NULL), 0);
	CU_ASSERT_EQUAL(chunks_of(id), 0);
	CU_ASSERT_EQUAL(regress_audit_rows("document_deleted", id), 1);
	CU_ASSERT_EQUAL(regress_audit_rows("jobs_purged", NULL), 1);
}

/* ---- the database mirrors the state table ------------------------------- */

static void test_state_check_constraint_lists_the_state_table(void)
{
	char want[JOB_STATE_LIST_LEN * 2] = "", *got;
	size_t n = 0;

	for (int s = 0; s < JOB_STATE__MAX; s++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s", s ? "," : "",
		                      job_state_name((enum job_state)s));
	/* The CHECK of 001_schema.sql, its state names in order. */
	got = regress_text("SELECT string_agg(m[1], ',' ORDER BY o) FROM regexp_matches("
	                   " (SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c"
	                   "  WHERE c.conrelid = 'scanpost.jobs'::regclass AND c.contype = 'c'"
	                   "  AND pg_get_constraintdef(c.oid) LIKE '%state%'),"
	                   " '''([a-z_]+)''', 'g') WITH ORDINALITY AS t(m, o)",
	                   NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
	/* And a job's first state is the column's default. */
	got = regress_text("SELECT column_default FROM information_schema.columns WHERE"
	                   " table_schema = 'scanpost' AND table_name = 'jobs'"
	                   " AND column_name = 'state'",
	                   NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_PTR_NOT_NULL(strstr(got, job_state_name(JOB_AWAITING_SCAN)));
	free(got);
}

static CU_TestInfo tests[] = {
    {"session start seals the token and audits signin",
     test_session_start_seals_the_token_and_audits_signin},
    {"a token sealed the older way still opens", test_a_token_sealed_the_older_way_still_opens},
    {"token rotation re-seals, and the sealer follows",
     test_token_rotation_reseals_and_the_sealer_follows},
    {"the rotation timer needs no owner rights", test_the_rotation_timer_needs_no_owner_rights},
    {"job create and upload write their rows", test_job_create_and_upload_write_their_rows},
    {"submit queues, notifies and audits", test_submit_queues_notifies_and_audits},
    {"submit needs the device's job log", test_submit_needs_the_devices_job_log},
    {"filing removals never take a document", test_filing_removals_never_take_a_document},
    {"cancel deletes the document once", test_cancel_deletes_the_document_once},
    {"cancel of a queued job releases an ended session's token",
     test_cancel_of_a_queued_job_releases_an_ended_sessions_token},
    {"session end cancels uploads, keeps the token for queued jobs",
     test_session_end_cancels_uploads_and_keeps_the_token_for_queued_jobs},
    {"claim leases once and audits", test_claim_leases_once_and_audits},
    {"claim takes the job due longest, none not yet due",
     test_claim_takes_the_job_due_longest_and_none_not_yet_due},
    {"mark sent deletes the document and the token in one go",
     test_mark_sent_deletes_the_document_and_the_token_in_one_go},
    {"retry requeues whatever the attempts, defer gives the claim back",
     test_retry_requeues_whatever_the_attempts_and_defer_gives_the_claim_back},
    {"give up unknown is not failed and can be requeued",
     test_give_up_unknown_is_not_failed_and_can_be_requeued},
    {"check later requeues without a verdict", test_check_later_requeues_without_a_verdict},
    {"fail keeps the document and releases the token",
     test_fail_keeps_the_document_and_releases_the_token},
    {"rescue returns an expired lease to the queue",
     test_rescue_returns_an_expired_lease_to_the_queue},
    {"expire deletes the documents of stale uploads",
     test_expire_deletes_the_documents_of_stale_uploads},
    {"expire sessions ends idle ones and lets their tokens go",
     test_expire_sessions_ends_idle_ones_and_lets_their_tokens_go},
    {"purge deletes documents of old failed jobs", test_purge_deletes_documents_of_old_failed_jobs},
    {"requeue sends a failed job again only when it can",
     test_requeue_sends_a_failed_job_again_only_when_it_can},
    {"purge jobs deletes rows and any kept document",
     test_purge_jobs_deletes_rows_and_any_kept_document},
    {"state CHECK constraint lists the state table",
     test_state_check_constraint_lists_the_state_table},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("lifecycle", suite_init, suite_clean, tests);
}
