/*
 * sendctx.h - scanpost-sender's worker, in the test process: the run's
 * sender.conf, a connection as scanpost_sender, the keyrings, and an RMail
 * client pointed at the stub (rmail_stub.h).  sendctx_run claims the next
 * due job and sends it exactly as a worker thread of sender_main.c does.
 */
#ifndef SCANPOST_SENDCTX_H
#define SCANPOST_SENDCTX_H

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "regress.h"
#include "rmail_stub.h"
#include "sendjob.h"

struct sendctx {
	struct sp_config cfg;
	struct db *db;
	struct rmail *rmail;
	struct keycache doc, token;
	struct send_ctx ctx;
	char lease_owner[32];
};

/* rmail_url NULL: the stub. */
static inline int sendctx_init(struct sendctx *f, const char *rmail_url)
{
	char path[600], err[512];

	memset(f, 0, sizeof(*f));
	curl_global_init(CURL_GLOBAL_DEFAULT);
	snprintf(path, sizeof(path), "%s/sender.conf", regress_dir());
	if (config_load(&f->cfg, path, err, sizeof(err)) != 0) {
		fprintf(stderr, "sendctx: %s\n", err);
		return -1;
	}
	log_init("regress", f->cfg.log_level);
	snprintf(f->lease_owner, sizeof(f->lease_owner), "regress-sender");
	f->db = regress_db("scanpost_sender");
	f->rmail = rmail_new(rmail_url ? rmail_url : stub_url(), stub_ca(), 5);
	if (f->db == NULL || f->rmail == NULL || regress_keys("doc", &f->doc) != 0 ||
	    regress_keys("token", &f->token) != 0)
		return -1;
	f->ctx.cfg = &f->cfg;
	f->ctx.db = f->db;
	f->ctx.rmail = f->rmail;
	f->ctx.lease_owner = f->lease_owner;
	return 0;
}

static inline void sendctx_free(struct sendctx *f)
{
	db_free(f->db);
	rmail_free(f->rmail);
	keycache_free(&f->doc);
	keycache_free(&f->token);
	config_free(&f->cfg);
	curl_global_cleanup();
}

/* Claims and sends the next due job: its outcome (and its id in job when
 * not NULL), or -1 when none was due. */
static inline int sendctx_run(struct sendctx *f, char job[40])
{
	struct queued_job j;
	enum send_outcome o;

	if (lifecycle_claim(f->db, f->lease_owner, f->cfg.sender_lease, &j) != LC_OK)
		return -1;
	if (job)
		snprintf(job, 40, "%s", j.id);
	f->ctx.doc_keyring = keycache_get(&f->doc);
	f->ctx.token_keyring = keycache_get(&f->token);
	o = send_job(&f->ctx, &j);
	queued_job_free(&j);
	return (int)o;
}

#endif
