/*
 * regress.c - fixtures of the middle test tier (see regress.h).
 */
#include "regress.h"

#include <CUnit/Basic.h>
#include <errno.h>
#include <libpq-fe.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "codec.h"
#include "filingstore.h"
#include "jobs.h"

#define MAX_PARAMS 16

static PGconn *owner;
static char last_error[512];

int regress_main(const char *name, CU_InitializeFunc init, CU_CleanupFunc clean, CU_TestInfo *tests)
{
	CU_SuiteInfo suites[] = {{name, init, clean, NULL, NULL, tests}, CU_SUITE_INFO_NULL};
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		CU_cleanup_registry();
		return 2;
	}
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
	CU_cleanup_registry();
	regress_api_stop();
	return failures == 0 ? 0 : 1;
}

const char *regress_dir(void)
{
	const char *d = getenv("SP_REGRESS_DIR");

	if (d == NULL) {
		fprintf(stderr,
		        "regress: SP_REGRESS_DIR is not set: run through tests/regress/run\n");
		exit(2);
	}
	return d;
}

const char *regress_build(void)
{
	const char *d = getenv("SP_REGRESS_BUILD");

	return d ? d : ".";
}

static void conninfo(const char *role, char *out, size_t len)
{
	snprintf(out, len, "host=%s/sock port=5432 dbname=scanpost user=%s", regress_dir(), role);
}

struct db *regress_db(const char *role)
{
	char ci[600];

	conninfo(role, ci, sizeof(ci));
	return db_new(ci);
}

int regress_keys(const char *ring, struct keycache *kc)
{
	char dir[600], err[512];

	snprintf(dir, sizeof(dir), "%s/keys/%s", regress_dir(), ring);
	if (keycache_init(kc, dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "regress: %s\n", err);
		return -1;
	}
	return 0;
}

int regress_keys_public(const char *ring, struct keycache *kc)
{
	char dir[600], err[512];

	snprintf(dir, sizeof(dir), "%s/keys/%s", regress_dir(), ring);
	if (keycache_init_public(kc, dir, err, sizeof(err)) != 0) {
		fprintf(stderr, "regress: %s\n", err);
		return -1;
	}
	return 0;
}

static PGconn *owner_conn(void)
{
	char ci[600];

	if (owner && PQstatus(owner) == CONNECTION_OK)
		return owner;
	PQfinish(owner);
	conninfo("scanpost_owner", ci, sizeof(ci));
	owner = PQconnectdb(ci);
	if (PQstatus(owner) != CONNECTION_OK) {
		fprintf(stderr, "regress: %s", PQerrorMessage(owner));
		exit(2);
	}
	return owner;
}

/* Runs sql with the NULL-terminated text parameters of ap. */
static PGresult *run(const char *sql, va_list ap)
{
	const char *v[MAX_PARAMS];
	int n = 0;
	const char *p;
	PGresult *res;

	while ((p = va_arg(ap, const char *)) != NULL && n < MAX_PARAMS)
		v[n++] = p;
	res = PQexecParams(owner_conn(), sql, n, NULL, v, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK && PQresultStatus(res) != PGRES_COMMAND_OK) {
		snprintf(last_error, sizeof(last_error), "%s", PQresultErrorMessage(res));
		PQclear(res);
		return NULL;
	}
	last_error[0] = '\0';
	return res;
}

const char *regress_error(void)
{
	return last_error;
}

char *regress_text(const char *sql, ...)
{
	va_list ap;
	PGresult *res;
	char *out = NULL;

	va_start(ap, sql);
	res = run(sql, ap);
	va_end(ap);
	if (res == NULL) {
		fprintf(stderr, "regress: %s: %s", sql, last_error);
		return NULL;
	}
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		out = strdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return out;
}

long regress_long(const char *sql, ...)
{
	va_list ap;
	PGresult *res;
	long v = -1;

	va_start(ap, sql);
	res = run(sql, ap);
	va_end(ap);
	if (res == NULL) {
		fprintf(stderr, "regress: %s: %s", sql, last_error);
		return -1;
	}
	if (PQntuples(res) > 0 && !PQgetisnull(res, 0, 0))
		v = atol(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

int regress_exec(const char *sql, ...)
{
	va_list ap;
	PGresult *res;

	va_start(ap, sql);
	res = run(sql, ap);
	va_end(ap);
	if (res == NULL) {
		fprintf(stderr, "regress: %s: %s", sql, last_error);
		return -1;
	}
	PQclear(res);
	return 0;
}

int regress_exec_as(const char *role, const char *sql, ...)
{
	char set[128];
	va_list ap;
	PGresult *res;
	PGconn *c = owner_conn();

	snprintf(set, sizeof(set), "SET ROLE %s", role);
	PQclear(PQexec(c, set));
	va_start(ap, sql);
	res = run(sql, ap);
	va_end(ap);
	PQclear(PQexec(c, "RESET ROLE"));
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

int regress_listen(const char *channel)
{
	char sql[128];
	PGresult *res;
	int ok;

	snprintf(sql, sizeof(sql), "LISTEN %s", channel);
	res = PQexec(owner_conn(), sql);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	PQclear(res);
	return ok ? 0 : -1;
}

int regress_notified(const char *payload)
{
	PGconn *c = owner_conn();
	PGnotify *n;
	int seen = 0;

	if (PQconsumeInput(c) == 0)
		return -1;
	while ((n = PQnotifies(c)) != NULL) {
		seen = seen || strcmp(n->extra, payload) == 0;
		PQfreemem(n);
	}
	return seen;
}

static pid_t api_pid;
static char api_sock[600];

const char *regress_api_socket(void)
{
	return api_sock;
}

static char upload_sock[600];

const char *regress_upload_socket(void)
{
	return upload_sock;
}

int regress_socket_answers(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0), ok;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

int regress_api_start(const char *rmail_url)
{
	char exe[600], conf[600], log[600], env[300];
	struct timespec pause = {0, 50 * 1000 * 1000};

	snprintf(exe, sizeof(exe), "%s/cgi/scanpost-api", regress_build());
	snprintf(conf, sizeof(conf), "%s/api.conf", regress_dir());
	snprintf(log, sizeof(log), "%s/api.log", regress_dir());
	snprintf(api_sock, sizeof(api_sock), "%s/run/api.sock", regress_dir());
	snprintf(upload_sock, sizeof(upload_sock), "%s/run/upload.sock", regress_dir());
	snprintf(env, sizeof(env), "SCANPOST_RMAIL_BASE_URL=%s", rmail_url);
	unlink(api_sock);
	if ((api_pid = fork()) < 0)
		return -1;
	if (api_pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		putenv(env);
		execl(exe, exe, "-c", conf, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200; i++) {
		/* The upload pool starts after the API's: both answer then. */
		if (regress_socket_answers(api_sock) && regress_socket_answers(upload_sock))
			return 0;
		if (waitpid(api_pid, NULL, WNOHANG) == api_pid) {
			fprintf(stderr, "regress: scanpost-api exited at start (see %s)\n", log);
			api_pid = 0;
			return -1;
		}
		nanosleep(&pause, NULL);
	}
	fprintf(stderr, "regress: scanpost-api did not answer on %s\n", api_sock);
	regress_api_stop();
	return -1;
}

void regress_api_stop(void)
{
	if (api_pid > 0) {
		kill(api_pid, SIGTERM);
		waitpid(api_pid, NULL, 0);
	}
	api_pid = 0;
}

void regress_reset(void)
{
	regress_exec(
	    "TRUNCATE scanpost.document_chunks, scanpost.job_files, scanpost.filing_entries,"
	    " scanpost.job_logs, scanpost.jobs, scanpost.sessions, scanpost.audit_events",
	    NULL);
}

long regress_audit_rows(const char *event, const char *job_id)
{
	if (job_id == NULL)
		return regress_long("SELECT count(*) FROM scanpost.audit_events WHERE event = $1",
		                    event, NULL);
	return regress_long("SELECT count(*) FROM scanpost.audit_events"
	                    " WHERE event = $1 AND job_id = $2::uuid",
	                    event, job_id, NULL);
}

static int ctl_spawn(int *fd, va_list ap)
{
	char exe[600], conf[600];
	const char *argv[24];
	int argc = 0, fds[2];
	const char *a;
	pid_t pid;

	snprintf(exe, sizeof(exe), "%s/src/ctl/scanpostctl", regress_build());
	snprintf(conf, sizeof(conf), "%s/ctl.conf", regress_dir());
	argv[argc++] = exe;
	argv[argc++] = "-c";
	argv[argc++] = conf;
	while ((a = va_arg(ap, const char *)) != NULL && argc < 23)
		argv[argc++] = a;
	argv[argc] = NULL;
	if (pipe(fds) != 0)
		return -1;
	if ((pid = fork()) < 0) {
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execv(exe, (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	*fd = fds[0];
	return (int)pid;
}

int regress_ctl_spawn(int *fd, ...)
{
	va_list ap;
	int pid;

	va_start(ap, fd);
	pid = ctl_spawn(fd, ap);
	va_end(ap);
	return pid;
}

int regress_ctl_running(int pid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	/* Running, and not yet a zombie: waitpid(WNOHANG) would reap it. */
	FILE *f = fopen(path, "r");
	int running = 0;

	if (f) {
		char state = '?';

		if (fscanf(f, "%*d %*s %c", &state) == 1)
			running = state != 'Z';
		fclose(f);
	}
	return running;
}

int regress_ctl_wait(int pid, int fd, char *out, size_t outlen)
{
	size_t got = 0;
	int status;

	for (;;) {
		char buf[4096];
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (out && got + 1 < outlen) {
			size_t k = (size_t)n < outlen - 1 - got ? (size_t)n : outlen - 1 - got;
			memcpy(out + got, buf, k);
			got += k;
		}
	}
	if (out && outlen)
		out[got] = '\0';
	close(fd);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int regress_ctl(char *out, size_t outlen, ...)
{
	va_list ap;
	int pid, fd;

	va_start(ap, outlen);
	pid = ctl_spawn(&fd, ap);
	va_end(ap);
	if (pid < 0)
		return -1;
	return regress_ctl_wait(pid, fd, out, outlen);
}

int regress_session(struct db *api, struct keycache *token_keys, const char *user,
                    const char *token, char id[40])
{
	uint8_t secret[32], hash[32];
	struct lc_session_start s = {hash, user, token, 3600, 28800, 0};

	if (sp_random(secret, sizeof(secret)) != 0)
		return -1;
	SHA256(secret, sizeof(secret), hash);
	return lifecycle_session_start(api, token_keys, &s, "regress", id) == LC_OK ? 0 : -1;
}

int regress_job(struct db *api, const char *session_id, const char *user, long ttl, char id[40],
                uint8_t token[32], uint8_t token_hash[32])
{
	uint8_t bin[16];
	char expires[40];
	struct lc_who who = {user, session_id, "regress"};

	if (uuid_random(bin, id) != 0 || sp_random(token, 32) != 0)
		return -1;
	SHA256(token, 32, token_hash);
	struct job_new j = {
	    .id = id,
	    .session_id = session_id,
	    .owner = user,
	    .to_json = "[\"alice@example.org\"]",
	    .cc_json = "[]",
	    .bcc_json = "[]",
	    .subject = "Regress",
	    .body = "Hello",
	    .settings_json = "{\"registered\":{},\"scan\":{}}",
	    .upload_token_hash = token_hash,
	    .upload_ttl = ttl,
	    .max_attempts = 3,
	};
	return lifecycle_job_create(api, &j, &who, expires, sizeof(expires)) == LC_OK ? 0 : -1;
}

uint8_t *regress_document(size_t len, unsigned seed)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)((i * 2654435761u + seed * 40503u) >> 13);
	if (len >= 5)
		memcpy(p, "%PDF-", 5);
	return p;
}

void regress_sha256_hex(const void *buf, size_t len, char out[65])
{
	uint8_t d[32];

	SHA256(buf, len, d);
	hex_encode(d, sizeof(d), out);
}

int regress_upload_file(struct db *api, struct keycache *doc_keys, const char *job_id,
                        const uint8_t token_hash[32], size_t len, unsigned seed)
{
	uint8_t bin[16], *doc = regress_document(len, seed);
	uint64_t stored = 0;
	struct doc_writer *w = NULL;
	char owner_name[256], name[32];
	enum lc_result rc;
	int file_no;

	if (doc == NULL || uuid_parse(job_id, bin) != 0) {
		free(doc);
		return LC_DB_ERROR;
	}
	rc = lifecycle_upload_begin(api, job_id, token_hash, &stored, owner_name,
	                            sizeof(owner_name));
	if (rc != LC_OK) {
		free(doc);
		return (int)rc;
	}
	/* Filed as h_scan files it: the sealed document and its filing entry. */
	file_no = docstore_next_file_no(api, job_id);
	snprintf(name, sizeof(name), "doc%d.pdf", file_no);
	if (file_no < 0 || docw_begin(api, doc_keys, job_id, bin, file_no, &w) != 0 ||
	    docw_write(w, doc, len) != 0 || docw_finish(w, name, "application/pdf", NULL) != 0 ||
	    filingstore_add(api, job_id, "/", name, FS_DOCUMENT, len, file_no) != 0) {
		docw_free(w);
		lifecycle_upload_abort(api);
		free(doc);
		return LC_DB_ERROR;
	}
	docw_free(w);
	free(doc);
	struct lc_upload done = {.files = 1, .bytes = len};
	return (int)lifecycle_upload_commit(api, job_id, owner_name, &done, "regress");
}

int regress_upload_job_log(struct db *api, const char *job_id, const uint8_t token_hash[32])
{
	uint64_t stored = 0;
	char owner_name[256];
	struct lc_upload done = {.job_log = 1, .job_log_bytes = 321};
	enum lc_result rc = lifecycle_upload_begin(api, job_id, token_hash, &stored, owner_name,
	                                           sizeof(owner_name));

	if (rc != LC_OK)
		return (int)rc;
	if (filingstore_add(api, job_id, "/", "job.XST", FS_JOB_LOG, done.job_log_bytes, 0) != 0) {
		lifecycle_upload_abort(api);
		return LC_DB_ERROR;
	}
	return (int)lifecycle_upload_commit(api, job_id, owner_name, &done, "regress");
}

int regress_upload(struct db *api, struct keycache *doc_keys, const char *job_id,
                   const uint8_t token_hash[32], size_t len, unsigned seed)
{
	int rc = regress_upload_file(api, doc_keys, job_id, token_hash, len, seed);

	return rc != LC_OK ? rc : regress_upload_job_log(api, job_id, token_hash);
}
