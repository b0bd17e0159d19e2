/*
 * test_daemon.c - the daemon skeleton (src/lib/daemon.h) as the three
 * daemons use it: a start that fails half way ends with a clear message and
 * exit status 1, never a crash nor a join of a thread that never ran (the
 * api used to join never-started threads); a database that is down does
 * not stop the api from starting, answering 503 and stopping cleanly on
 * SIGTERM.  Each program runs from the build tree on the run's configs,
 * with one key overridden through its SCANPOST_<KEY> variable.
 */
#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fcgi_client.h"
#include "regress.h"
#include "rmail.h"

struct run {
	pid_t pid;
	char log[600];
};

/* Starts build/exe -c run_dir/conf with the NULL-terminated "KEY=value"
 * overrides added to the environment; stderr goes to run.log. */
static int spawn(struct run *r, const char *exe, const char *conf, const char *const *env)
{
	char path[600], cfg[600];
	static int n;

	snprintf(path, sizeof(path), "%s/%s", regress_build(), exe);
	snprintf(cfg, sizeof(cfg), "%s/%s", regress_dir(), conf);
	snprintf(r->log, sizeof(r->log), "%s/daemon-%d.log", regress_dir(), ++n);
	if ((r->pid = fork()) < 0)
		return -1;
	if (r->pid == 0) {
		int fd = open(r->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd >= 0) {
			dup2(fd, 2);
			close(fd);
		}
		for (int i = 0; env && env[i]; i++)
			putenv((char *)env[i]);
		execl(path, path, "-c", cfg, (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* Waits up to seconds for the program to end: its wait status, or -1 (then
 * it is killed). */
static int wait_exit(struct run *r, int seconds)
{
	struct timespec pause = {0, 50 * 1000 * 1000};
	int status;

	for (int i = 0; i < seconds * 20; i++) {
		if (waitpid(r->pid, &status, WNOHANG) == r->pid)
			return status;
		nanosleep(&pause, NULL);
	}
	kill(r->pid, SIGKILL);
	waitpid(r->pid, &status, 0);
	return -1;
}

/* The program's stderr, malloc'd. */
static char *log_text(const struct run *r)
{
	FILE *f = fopen(r->log, "r");
	char *text = calloc(1, 65536);

	if (f && text)
		text[fread(text, 1, 65535, f)] = '\0';
	if (f)
		fclose(f);
	return text;
}

/* Exit status want, by itself (no signal), with `words` in its stderr and
 * no sanitizer report there. */
static void assert_clean_exit(struct run *r, int want, const char *words)
{
	int status = wait_exit(r, 20);
	char *text = log_text(r);

	CU_ASSERT_NOT_EQUAL(status, -1);
	CU_ASSERT(WIFEXITED(status));
	CU_ASSERT_FALSE(WIFSIGNALED(status));
	CU_ASSERT_EQUAL(WIFEXITED(status) ? WEXITSTATUS(status) : -1, want);
	CU_ASSERT_PTR_NOT_NULL(text);
	if (text) {
		CU_ASSERT_PTR_NOT_NULL(strstr(text, words));
		CU_ASSERT_PTR_NULL(strstr(text, "Sanitizer"));
		CU_ASSERT_PTR_NULL(strstr(text, "runtime error"));
		if (strstr(text, words) == NULL)
			fprintf(stderr, "\n--- %s (wanted \"%s\") ---\n%s---\n", r->log, words,
			        text);
	}
	free(text);
}

static char api_env[700], upload_env[700], api_sock[600], upload_sock[600];

/* The api's sockets for these tests, apart from the other tests' ones. */
static void sockets(void)
{
	snprintf(api_sock, sizeof(api_sock), "%s/run/d-api.sock", regress_dir());
	snprintf(upload_sock, sizeof(upload_sock), "%s/run/d-upload.sock", regress_dir());
	snprintf(api_env, sizeof(api_env), "SCANPOST_API_SOCKET=%s", api_sock);
	snprintf(upload_env, sizeof(upload_env), "SCANPOST_UPLOAD_SOCKET=%s", upload_sock);
}

/* Before any worker: one per pool is readied first, and the old main
 * joined every slot of its thread array on this path. */
static void test_api_with_a_missing_keyring_exits_1_with_the_reason(void)
{
	const char *env[] = {api_env, upload_env, "SCANPOST_DOC_KEYRING=/nonexistent/doc-keys",
	                     NULL};
	struct run r;

	sockets();
	CU_ASSERT_EQUAL_FATAL(spawn(&r, "cgi/scanpost-api", "api.conf", env), 0);
	assert_clean_exit(&r, 1, "scanpost-api: ");
	CU_ASSERT_FALSE(regress_socket_answers(api_sock));
}

/* The API pool's workers run when the upload pool cannot listen: they are
 * stopped and joined, and the start ends with the reason. */
static void test_api_stops_the_started_pool_when_the_second_fails(void)
{
	char bad[700];
	const char *env[] = {api_env, bad, NULL};
	struct run r;

	sockets();
	snprintf(bad, sizeof(bad), "SCANPOST_UPLOAD_SOCKET=%s/no-such-dir/upload.sock",
	         regress_dir());
	CU_ASSERT_EQUAL_FATAL(spawn(&r, "cgi/scanpost-api", "api.conf", env), 0);
	assert_clean_exit(&r, 1, "cannot listen on");
	CU_ASSERT_FALSE(regress_socket_answers(api_sock));
}

static void test_api_with_one_socket_for_both_pools_is_refused(void)
{
	char same[700];
	const char *env[] = {api_env, same, NULL};
	struct run r;

	sockets();
	snprintf(same, sizeof(same), "SCANPOST_UPLOAD_SOCKET=%s", api_sock);
	CU_ASSERT_EQUAL_FATAL(spawn(&r, "cgi/scanpost-api", "api.conf", env), 0);
	assert_clean_exit(&r, 1, "must differ");
}

/* An unreachable database: the api starts (it retries per request),
 * /healthz answers 503, SIGTERM stops it with status 0. */
static void test_api_with_the_database_down_answers_503_and_stops_cleanly(void)
{
	const char *env[] = {api_env, upload_env, "SCANPOST_LOG_LEVEL=info",
	                     "SCANPOST_DB_CONNINFO=host=/nonexistent/pg dbname=scanpost", NULL};
	const char *params[] = {NULL};
	struct timespec pause = {0, 50 * 1000 * 1000};
	struct fcgi_answer a;
	struct fcgi_req *q;
	struct run r;
	int up = 0;

	sockets();
	CU_ASSERT_EQUAL_FATAL(spawn(&r, "cgi/scanpost-api", "api.conf", env), 0);
	for (int i = 0; i < 200 && !up; i++) {
		up = regress_socket_answers(api_sock) && regress_socket_answers(upload_sock);
		if (!up)
			nanosleep(&pause, NULL);
	}
	CU_ASSERT_FATAL(up);
	CU_ASSERT_PTR_NOT_NULL_FATAL(q = fcgi_begin(api_sock, "GET", "/healthz", params));
	CU_ASSERT_EQUAL(fcgi_finish(q, &a), 0);
	CU_ASSERT_EQUAL(a.status, 503);
	fcgi_answer_free(&a);
	kill(r.pid, SIGTERM);
	assert_clean_exit(&r, 0, "\"event\":\"stopped\"");
}

static void test_sender_with_a_missing_keyring_exits_1_with_the_reason(void)
{
	const char *env[] = {"SCANPOST_TOKEN_KEYRING=/nonexistent/token-keys", NULL};
	struct run r;

	CU_ASSERT_EQUAL_FATAL(spawn(&r, "src/sender/scanpost-sender", "sender.conf", env), 0);
	assert_clean_exit(&r, 1, "scanpost-sender: ");
}

static void test_sender_stops_cleanly_on_sigterm(void)
{
	const char *env[] = {"SCANPOST_LOG_LEVEL=info", NULL};
	struct timespec settle = {1, 0};
	struct run r;

	CU_ASSERT_EQUAL_FATAL(spawn(&r, "src/sender/scanpost-sender", "sender.conf", env), 0);
	nanosleep(&settle, NULL);
	kill(r.pid, SIGTERM);
	assert_clean_exit(&r, 0, "\"event\":\"stopped\"");
}

static void test_ssod_without_its_socket_exits_1_with_the_reason(void)
{
	const char *env[] = {"SCANPOST_SSO_SOCKET=", NULL};
	struct run r;

	CU_ASSERT_EQUAL_FATAL(spawn(&r, "src/ssod/scanpost-ssod", "sender.conf", env), 0);
	assert_clean_exit(&r, 1, "scanpost-ssod: sso_socket is empty");
}

/* A slow upload may be idle in its transaction for up to a chunk at the
 * minimum rate: an idle limit shorter than that is refused at start. */
static void test_api_refuses_an_idle_limit_shorter_than_a_slow_chunk(void)
{
	const char *env[] = {api_env, upload_env, "SCANPOST_UPLOAD_MIN_RATE=1024",
	                     "SCANPOST_DB_IDLE_TX_TIMEOUT=60", NULL};
	struct run r;

	sockets();
	CU_ASSERT_EQUAL_FATAL(spawn(&r, "cgi/scanpost-api", "api.conf", env), 0);
	assert_clean_exit(&r, 1, "db_idle_tx_timeout");
}

static void test_a_bad_config_is_exit_2(void)
{
	const char *env[] = {"SCANPOST_API_WORKERS=0", NULL};
	struct run r;

	CU_ASSERT_EQUAL_FATAL(spawn(&r, "cgi/scanpost-api", "api.conf", env), 0);
	assert_clean_exit(&r, 2, "api_workers");
}

/* instance_name goes into log lines, metric labels and lease owners
 * unescaped: anything but its characters is refused at start. */
static void test_an_instance_name_with_a_quote_is_exit_2(void)
{
	const char *env[] = {"SCANPOST_INSTANCE_NAME=sender\"1", NULL};
	struct run r;

	CU_ASSERT_EQUAL_FATAL(spawn(&r, "src/sender/scanpost-sender", "sender.conf", env), 0);
	assert_clean_exit(&r, 2, "instance_name must be");
}

/* Several senders on one host tell themselves apart in their logs. */
static void test_a_named_sender_logs_its_instance_name(void)
{
	const char *env[] = {"SCANPOST_INSTANCE_NAME=gw1/scanpost-sender-2",
	                     "SCANPOST_LOG_LEVEL=info", NULL};
	struct timespec settle = {1, 0};
	struct run r;

	CU_ASSERT_EQUAL_FATAL(spawn(&r, "src/sender/scanpost-sender", "sender.conf", env), 0);
	nanosleep(&settle, NULL);
	kill(r.pid, SIGTERM);
	assert_clean_exit(&r, 0, "\"instance\":\"gw1/scanpost-sender-2\",\"event\":\"stopped\"");
}

/* db_set_limits: every connection made after it carries lock_timeout and
 * idle_in_transaction_session_timeout; the server ends a transaction that
 * sits idle longer. */
static void test_db_limits_reach_the_server_and_end_an_idle_transaction(void)
{
	static const struct db_stmt show_lock = {"regress_show_lock", "SHOW lock_timeout", 0};
	static const struct db_stmt show_idle = {"regress_show_idle",
	                                         "SHOW idle_in_transaction_session_timeout", 0};
	static const struct db_stmt one = {"regress_one", "SELECT 1", 0};
	struct timespec idle = {1, 600 * 1000 * 1000};
	struct db *db = regress_db("scanpost_api");
	PGresult *res;

	CU_ASSERT_PTR_NOT_NULL_FATAL(db);
	db_set_limits(db, 1500, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res = db_run(db, &show_lock, NULL, NULL, NULL, 0));
	CU_ASSERT_STRING_EQUAL(PQgetvalue(res, 0, 0), "1500ms");
	PQclear(res);
	CU_ASSERT_PTR_NOT_NULL_FATAL(res = db_run(db, &show_idle, NULL, NULL, NULL, 0));
	CU_ASSERT_STRING_EQUAL(PQgetvalue(res, 0, 0), "1s");
	PQclear(res);
	CU_ASSERT_EQUAL_FATAL(db_begin(db), 0);
	nanosleep(&idle, NULL);
	CU_ASSERT_EQUAL(db_exec(db, &one, NULL), -1); /* the server ended it */
	db_rollback(db);
	CU_ASSERT_EQUAL(db_exec(db, &one, NULL), 0); /* and the next call reconnects */
	db_free(db);
}

/* A listener that takes connections and never says a word: RMail hanging. */
static int silent_listener(int *port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0)
		return -1;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* Every RMail call has a total limit; the sign-in's is rmail_signin_timeout:
 * an RMail that accepts and never answers costs the person that long, not
 * rmail_timeout without progress nor the connect timeout (10 s). */
static void test_a_hanging_rmail_sign_in_ends_at_its_total_limit(void)
{
	struct rmail_result res;
	struct timespec t0, t1;
	char url[64], *token = NULL;
	long expires = 0;
	int port = 0, fd = silent_listener(&port);
	struct rmail *rm;
	double secs;

	CU_ASSERT_FATAL(fd >= 0);
	snprintf(url, sizeof(url), "https://127.0.0.1:%d", port);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rm = rmail_new(url, "", 30));
	rmail_set_limits(rm, 900, 2);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CU_ASSERT_NOT_EQUAL(rmail_get_token(rm, "dana@example.org", "pw", &token, &expires, &res),
	                    0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	CU_ASSERT(secs >= 1.5 && secs < 5.0);
	CU_ASSERT_EQUAL(res.err, RMAIL_UNAVAILABLE);
	CU_ASSERT_PTR_NULL(token);
	rmail_free(rm);
	close(fd);
}

static CU_TestInfo tests[] = {
    {"api with a missing keyring exits 1 with the reason",
     test_api_with_a_missing_keyring_exits_1_with_the_reason},
    {"api stops the started pool when the second fails",
     test_api_stops_the_started_pool_when_the_second_fails},
    {"api with one socket for both pools is refused",
     test_api_with_one_socket_for_both_pools_is_refused},
    {"api with the database down answers 503 and stops cleanly",
     test_api_with_the_database_down_answers_503_and_stops_cleanly},
    {"sender with a missing keyring exits 1 with the reason",
     test_sender_with_a_missing_keyring_exits_1_with_the_reason},
    {"sender stops cleanly on SIGTERM", test_sender_stops_cleanly_on_sigterm},
    {"ssod without its socket exits 1 with the reason",
     test_ssod_without_its_socket_exits_1_with_the_reason},
    {"api refuses an idle limit shorter than a slow chunk",
     test_api_refuses_an_idle_limit_shorter_than_a_slow_chunk},
    {"a bad config is exit 2", test_a_bad_config_is_exit_2},
    {"an instance name with a quote is exit 2", test_an_instance_name_with_a_quote_is_exit_2},
    {"a named sender logs its instance name", test_a_named_sender_logs_its_instance_name},
    {"a hanging RMail sign-in ends at its total limit",
     test_a_hanging_rmail_sign_in_ends_at_its_total_limit},
    {"db limits reach the server and end an idle transaction",
     test_db_limits_reach_the_server_and_end_an_idle_transaction},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return regress_main("daemon", NULL, NULL, tests);
}
