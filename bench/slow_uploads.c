/*
 * slow_uploads.c - the slow-printer benchmark (issue 10, DESIGN 3.7): N
 * uploads trickling at RATE bytes per second each, all at once, while a
 * probe measures sign-in (POST /api/v1/session) and job status (GET
 * /api/v1/jobs/{id}); the same probe first runs alone as the baseline.
 * Loopback, peer verified, bounded in time (every transfer has a total
 * limit).  Prints p50/p99 of both probes in each phase, their ratio, and
 * how many uploads answered 200 with no protocol error.
 *
 *   slow-uploads URL CAFILE USER PASSWORD [N [RATE [BYTES [PROBES]]]]
 *     N 200, RATE 16384, BYTES 163840 (10 s at 16 KiB/s), PROBES 60: the
 *     baseline's count of each; under load the probe runs until the last
 *     upload has its answer.
 *
 * The probe keeps its connection (as the weblet's browser does), so the
 * figures are the service's answer time, not TLS handshakes.
 */
#include <curl/curl.h>
#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct buf {
	char *p;
	size_t len;
};

static size_t collect(char *p, size_t s, size_t n, void *arg)
{
	struct buf *b = arg;
	char *grown = realloc(b->p, b->len + s * n + 1);

	if (grown == NULL)
		return 0;
	memcpy(grown + b->len, p, s * n);
	b->len += s * n;
	grown[b->len] = '\0';
	b->p = grown;
	return s * n;
}

static const char *base_url, *ca_file, *user, *password;
static char cookie[300], csrf[200], job_path[200];

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static CURL *handle(const char *path, struct buf *body, struct buf *head)
{
	static char url[600];
	CURL *c = curl_easy_init();

	snprintf(url, sizeof(url), "%s%s", base_url, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	if (head) {
		curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, collect);
		curl_easy_setopt(c, CURLOPT_HEADERDATA, head);
	}
	return c;
}

static int sign_in_body(char *out, size_t len)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "username", json_object_new_string(user));
	json_object_object_add(o, "password", json_object_new_string(password));
	snprintf(out, len, "%s", json_object_to_json_string(o));
	json_object_put(o);
	return 0;
}

static const char *json_field(const char *text, const char *key, char *out, size_t len)
{
	struct json_object *o = json_tokener_parse(text ? text : ""), *v;

	out[0] = '\0';
	if (o && json_object_object_get_ex(o, key, &v))
		snprintf(out, len, "%s", json_object_get_string(v));
	json_object_put(o);
	return out;
}

/* ---- the probe ----------------------------------------------------------- */

struct probe {
	CURL *signin, *status;
	struct curl_slist *json_hdr, *auth_hdr;
	char body[512];
	struct buf sb, gb;
	double *signin_ms, *status_ms;
	int nsignin, nstatus, bad;
	int count;
	volatile int *stop; /* stop early when set (the uploads ended) */
};

static void probe_init(struct probe *p, int count)
{
	char auth[600];

	memset(p, 0, sizeof(*p));
	p->count = count;
	p->signin_ms = calloc((size_t)count, sizeof(double));
	p->status_ms = calloc((size_t)count, sizeof(double));
	sign_in_body(p->body, sizeof(p->body));
	p->json_hdr = curl_slist_append(NULL, "Content-Type: application/json");
	p->signin = handle("/api/v1/session", &p->sb, NULL);
	curl_easy_setopt(p->signin, CURLOPT_HTTPHEADER, p->json_hdr);
	curl_easy_setopt(p->signin, CURLOPT_POSTFIELDS, p->body);
	snprintf(auth, sizeof(auth), "Cookie: __Host-sp_session=%s", cookie);
	p->auth_hdr = curl_slist_append(NULL, auth);
	p->status = handle(job_path, &p->gb, NULL);
	curl_easy_setopt(p->status, CURLOPT_HTTPHEADER, p->auth_hdr);
}

static void probe_free(struct probe *p)
{
	curl_easy_cleanup(p->signin);
	curl_easy_cleanup(p->status);
	curl_slist_free_all(p->json_hdr);
	curl_slist_free_all(p->auth_hdr);
	free(p->sb.p);
	free(p->gb.p);
	free(p->signin_ms);
	free(p->status_ms);
}

static double timed(CURL *c, struct buf *b, long want, int *bad)
{
	double t0 = now_ms();
	long status = 0;

	b->len = 0;
	if (curl_easy_perform(c) != CURLE_OK ||
	    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK || status != want)
		(*bad)++;
	return now_ms() - t0;
}

/* Sign-in and status in turn, one every 40 ms. */
static void *probe_run(void *arg)
{
	struct probe *p = arg;
	struct timespec pace = {0, 40 * 1000 * 1000};

	for (int i = 0; i < p->count && !(p->stop && *p->stop); i++) {
		p->signin_ms[p->nsignin++] = timed(p->signin, &p->sb, 201, &p->bad);
		nanosleep(&pace, NULL);
		p->status_ms[p->nstatus++] = timed(p->status, &p->gb, 200, &p->bad);
		nanosleep(&pace, NULL);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, int n, int p)
{
	int i;

	if (n == 0)
		return 0;
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	i = (n * p + 99) / 100;
	return v[(i < 1 ? 1 : i) - 1];
}

/* ---- the uploads --------------------------------------------------------- */

struct upload {
	CURL *c;
	curl_mime *mime;
	struct buf body;
	char url[600];
};

static int create_jobs(int n, struct upload *ups)
{
	struct curl_slist *h = NULL;
	char auth[600], tok[300];
	struct buf b = {0};
	CURL *c = handle("/api/v1/jobs", &b, NULL);

	snprintf(auth, sizeof(auth), "Cookie: __Host-sp_session=%s", cookie);
	h = curl_slist_append(h, auth);
	snprintf(tok, sizeof(tok), "X-CSRF-Token: %s", csrf);
	h = curl_slist_append(h, tok);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{\"to\":[\"bench@example.org\"]}");
	for (int i = 0; i < n; i++) {
		long status = 0;
		char id[64];

		b.len = 0;
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
		    status != 201) {
			fprintf(stderr, "slow-uploads: job %d: status %ld %s\n", i, status,
			        b.p ? b.p : "");
			n = -1;
			break;
		}
		json_field(b.p, "upload_url", ups[i].url, sizeof(ups[i].url));
		if (i == 0)
			snprintf(job_path, sizeof(job_path), "/api/v1/jobs/%s",
			         json_field(b.p, "id", id, sizeof(id)));
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	free(b.p);
	return n;
}

static void upload_setup(struct upload *u, const char *doc, size_t bytes, long rate)
{
	curl_mimepart *part;

	u->c = curl_easy_init();
	u->mime = curl_mime_init(u->c);
	part = curl_mime_addpart(u->mime);
	curl_mime_name(part, "theOperation");
	curl_mime_data(part, "PutFile", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(u->mime);
	curl_mime_name(part, "destDir");
	curl_mime_data(part, "/", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(u->mime);
	curl_mime_name(part, "destName");
	curl_mime_data(part, "slow.pdf", CURL_ZERO_TERMINATED);
	part = curl_mime_addpart(u->mime);
	curl_mime_name(part, "sendfile");
	curl_mime_filename(part, "slow.pdf");
	curl_mime_type(part, "application/pdf");
	curl_mime_data(part, doc, bytes);
	curl_easy_setopt(u->c, CURLOPT_URL, u->url);
	curl_easy_setopt(u->c, CURLOPT_CAINFO, ca_file);
	curl_easy_setopt(u->c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(u->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->c, CURLOPT_MIMEPOST, u->mime);
	curl_easy_setopt(u->c, CURLOPT_MAX_SEND_SPEED_LARGE, (curl_off_t)rate);
	/* The smallest buffer libcurl allows: it sends at most this much at
	 * once and then waits, so the body trickles rather than bursts. */
	curl_easy_setopt(u->c, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
	curl_easy_setopt(u->c, CURLOPT_TIMEOUT, 300L);
	curl_easy_setopt(u->c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(u->c, CURLOPT_WRITEDATA, &u->body);
}

int main(int argc, char **argv)
{
	int n = argc > 5 ? atoi(argv[5]) : 200, probes = argc > 8 ? atoi(argv[8]) : 60;
	long rate = argc > 6 ? atol(argv[6]) : 16384;
	size_t bytes = argc > 7 ? (size_t)atol(argv[7]) : 163840;
	struct probe base, load;
	struct upload *ups;
	struct buf b = {0}, hb = {0};
	volatile int uploads_done = 0;
	int ok = 0, running, failed_codes[600] = {0};
	pthread_t th;
	char body[512], *doc, *p;
	double t0, upload_secs;
	CURLM *m;
	CURL *c;

	if (argc < 5 || n < 1 || n > 2000 || rate < 1 || bytes < 16 || probes < 1) {
		fprintf(stderr, "usage: slow-uploads URL CAFILE USER PASSWORD [N [RATE [BYTES "
		                "[PROBES]]]]\n");
		return 2;
	}
	base_url = argv[1], ca_file = argv[2], user = argv[3], password = argv[4];
	curl_global_init(CURL_GLOBAL_DEFAULT);

	/* A session for the jobs and the status probe. */
	c = handle("/api/v1/session", &b, &hb);
	struct curl_slist *jh = curl_slist_append(NULL, "Content-Type: application/json");
	sign_in_body(body, sizeof(body));
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, jh);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	if (curl_easy_perform(c) != CURLE_OK ||
	    (p = strstr(hb.p ? hb.p : "", "sp_session=")) == NULL) {
		fprintf(stderr, "slow-uploads: sign-in failed: %s\n", b.p ? b.p : "");
		return 1;
	}
	p += strlen("sp_session=");
	snprintf(cookie, sizeof(cookie), "%.*s", (int)strcspn(p, ";\r\n"), p);
	json_field(b.p, "csrf_token", csrf, sizeof(csrf));
	curl_easy_cleanup(c);
	curl_slist_free_all(jh);
	free(b.p);
	free(hb.p);

	if ((ups = calloc((size_t)n, sizeof(*ups))) == NULL || (doc = malloc(bytes)) == NULL)
		return 2;
	if (create_jobs(n, ups) != n)
		return 1;
	memcpy(doc, "%PDF-1.4\n", 9);
	for (size_t i = 9; i < bytes; i++)
		doc[i] = (char)(i * 2654435761u >> 13);

	/* Baseline: the probe alone. */
	probe_init(&base, probes);
	probe_run(&base);

	/* Load: every upload at once, the probe meanwhile. */
	/* As many as fit while the uploads run (the whole of them). */
	probe_init(&load, 100000);
	load.stop = &uploads_done;
	m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
	for (int i = 0; i < n; i++) {
		upload_setup(&ups[i], doc, bytes, rate);
		curl_multi_add_handle(m, ups[i].c);
	}
	t0 = now_ms();
	pthread_create(&th, NULL, probe_run, &load);
	do {
		curl_multi_perform(m, &running);
		curl_multi_poll(m, NULL, 0, 200, NULL);
	} while (running > 0);
	upload_secs = (now_ms() - t0) / 1e3;
	uploads_done = 1;
	pthread_join(th, NULL);
	for (int i = 0; i < n; i++) {
		long status = 0;

		curl_easy_getinfo(ups[i].c, CURLINFO_RESPONSE_CODE, &status);
		if (status == 200 &&
		    (ups[i].body.p == NULL || strstr(ups[i].body.p, "XRX") == NULL))
			ok++;
		else if (status >= 0 && status < 600)
			failed_codes[status]++;
		curl_multi_remove_handle(m, ups[i].c);
		curl_easy_cleanup(ups[i].c);
		curl_mime_free(ups[i].mime);
		free(ups[i].body.p);
	}
	curl_multi_cleanup(m);

	double bs50 = pct(base.signin_ms, base.nsignin, 50),
	       bs99 = pct(base.signin_ms, base.nsignin, 99);
	double bg50 = pct(base.status_ms, base.nstatus, 50),
	       bg99 = pct(base.status_ms, base.nstatus, 99);
	double ls50 = pct(load.signin_ms, load.nsignin, 50),
	       ls99 = pct(load.signin_ms, load.nsignin, 99);
	double lg50 = pct(load.status_ms, load.nstatus, 50),
	       lg99 = pct(load.status_ms, load.nstatus, 99);
	printf("uploads                 %d at %ld B/s, %zu bytes each, all ended in %.1f s\n", n,
	       rate, bytes, upload_secs);
	printf("uploads succeeded       %d of %d   (target: all)\n", ok, n);
	for (int s = 0; s < 600; s++)
		if (failed_codes[s])
			printf("uploads answered %3d    %d\n", s, failed_codes[s]);
	printf("baseline sign-in ms     p50 %.1f  p99 %.1f   (%d, no uploads)\n", bs50, bs99,
	       base.nsignin);
	printf("baseline status ms      p50 %.1f  p99 %.1f   (%d, no uploads)\n", bg50, bg99,
	       base.nstatus);
	printf("loaded sign-in ms       p50 %.1f  p99 %.1f   (%d, during the uploads; target p99 "
	       "<= 250)\n",
	       ls50, ls99, load.nsignin);
	printf("loaded status ms        p50 %.1f  p99 %.1f   (%d, during the uploads; target p99 "
	       "<= 250)\n",
	       lg50, lg99, load.nstatus);
	printf("ratio p99 loaded/base   sign-in %.2f  status %.2f\n", bs99 > 0 ? ls99 / bs99 : 0,
	       bg99 > 0 ? lg99 / bg99 : 0);
	printf("probe answers not 201/200: baseline %d, loaded %d\n", base.bad, load.bad);
	probe_free(&base);
	probe_free(&load);
	free(ups);
	free(doc);
	curl_global_cleanup();
	return ok == n ? 0 : 1;
}
