/*
 * main.c - rmail-sim: a stand-in for the RMail (RPost) REST API, for
 * scanpost's demos and tests (DESIGN.md 3.2). Reads the command line and
 * the files it names, starts the HTTPS server, and waits for a signal:
 * SIGTERM/SIGINT stop it (exit 0), SIGHUP re-reads the accounts file.
 */
#include "logline.h"
#include "server.h"

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#define EXIT_USAGE         2
#define PEM_MAX            (1024 * 1024)
#define DEFAULT_TOKEN_TTL  1209600L                /* 14 days, as RMail tokens live */
#define DEFAULT_MAX_UPLOAD (1024ULL * 1024 * 1024) /* 1 GiB, RMail's large-file ceiling */

struct options {
	const char *listen;
	const char *cert;
	const char *key;
	const char *accounts;
	const char *store;
	long token_ttl;
	unsigned long long max_upload;
};

static const char usage[] =
    "usage: rmail-sim --listen HOST:PORT --cert FILE --key FILE --accounts FILE --store DIR\n"
    "                 [--token-ttl SECONDS] [--max-upload BYTES]\n"
    "\n"
    "A stand-in for the RMail (RPost) REST API over HTTPS, with /_sim endpoints to\n"
    "inspect what it accepted and to inject faults.\n"
    "\n"
    "  --listen HOST:PORT   address to serve on, e.g. 127.0.0.1:8444 or [::1]:8444\n"
    "  --cert FILE          PEM certificate (chain) for TLS\n"
    "  --key FILE           PEM private key for TLS (unencrypted)\n"
    "  --accounts FILE      'username:password' lines; # comments; re-read on SIGHUP\n"
    "  --store DIR          directory for uploaded files (created if missing)\n"
    "  --token-ttl SECONDS  bearer token lifetime (default 1209600 = 14 days)\n"
    "  --max-upload BYTES   largest accepted file (default 1073741824 = 1 GiB)\n"
    "  --help               this text\n";

static int bad_argument(const char *what, const char *detail)
{
	fprintf(stderr, "rmail-sim: %s: %s\n", what, detail);
	return -1;
}

static int parse_positive(const char *opt, const char *text, unsigned long long max,
                          unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(text, &end, 10);
	if (text[0] < '0' || text[0] > '9' || *end || errno || v == 0 || v > max)
		return bad_argument(opt, "expected a positive whole number");
	*out = v;
	return 0;
}

/* 0 to run, 1 after --help, -1 on a bad argument (reported). */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const struct option longopts[] = {
	    {"listen", required_argument, NULL, 'l'},
	    {"cert", required_argument, NULL, 'c'},
	    {"key", required_argument, NULL, 'k'},
	    {"accounts", required_argument, NULL, 'a'},
	    {"store", required_argument, NULL, 's'},
	    {"token-ttl", required_argument, NULL, 't'},
	    {"max-upload", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	unsigned long long v;
	int ch;

	o->token_ttl = DEFAULT_TOKEN_TTL;
	o->max_upload = DEFAULT_MAX_UPLOAD;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			o->listen = optarg;
			break;
		case 'c':
			o->cert = optarg;
			break;
		case 'k':
			o->key = optarg;
			break;
		case 'a':
			o->accounts = optarg;
			break;
		case 's':
			o->store = optarg;
			break;
		case 't':
			if (parse_positive("--token-ttl", optarg, 10LL * 365 * 86400, &v) < 0)
				return -1;
			o->token_ttl = (long)v;
			break;
		case 'm':
			if (parse_positive("--max-upload", optarg, 1ULL << 40, &v) < 0)
				return -1;
			o->max_upload = v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		default:
			return bad_argument(argv[optind - 1 > 0 ? optind - 1 : 0],
			                    "unknown option or missing value (see --help)");
		}
	}
	if (optind < argc)
		return bad_argument(argv[optind], "unexpected argument (see --help)");
	if (!o->listen || !o->cert || !o->key || !o->accounts || !o->store)
		return bad_argument("arguments", "--listen, --cert, --key, --accounts and --store "
		                                 "are required (see --help)");
	return 0;
}

/* host:port or [v6]:port into *ss. */
static int parse_listen(const char *text, struct sockaddr_storage *ss)
{
	char host[256];
	const char *port;
	struct addrinfo hints = {0}, *res = NULL;
	size_t hlen;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || close[1] != ':')
			return bad_argument("--listen", "expected [IPv6]:PORT");
		hlen = (size_t)(close - text - 1);
		port = close + 2;
		text++;
	} else {
		const char *colon = strrchr(text, ':');

		if (!colon)
			return bad_argument("--listen", "expected HOST:PORT");
		hlen = (size_t)(colon - text);
		port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(host) || !*port)
		return bad_argument("--listen", "expected HOST:PORT");
	memcpy(host, text, hlen);
	host[hlen] = '\0';
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
	if (getaddrinfo(host, port, &hints, &res) != 0 || !res) {
		if (res)
			freeaddrinfo(res);
		return bad_argument("--listen", "cannot resolve host or port");
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

/* Reads a whole PEM file (at most PEM_MAX) as a string; caller frees. */
static char *read_pem(const char *opt, const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t n;

	if (!f) {
		fprintf(stderr, "rmail-sim: %s %s: %s\n", opt, path, strerror(errno));
		return NULL;
	}
	buf = malloc(PEM_MAX + 1);
	n = buf ? fread(buf, 1, PEM_MAX + 1, f) : 0;
	if (!buf || ferror(f) || n == 0 || n > PEM_MAX) {
		fprintf(stderr, "rmail-sim: %s %s: cannot read (empty, too big or unreadable)\n",
		        opt, path);
		if (buf) {
			OPENSSL_cleanse(buf, PEM_MAX + 1);
			free(buf);
		}
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*lenp = n;
	return buf;
}

/* Checks that cert and key parse, so a bad file is named instead of "cannot start". */
static int check_tls_files(const struct options *o, const char *cert, const char *key)
{
	BIO *b = BIO_new_mem_buf(cert, -1);
	X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
	EVP_PKEY *k;
	int rc = 0;

	BIO_free(b);
	if (!x)
		rc = bad_argument(o->cert, "not a PEM certificate");
	b = BIO_new_mem_buf(key, -1);
	k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, (void *)"") : NULL;
	BIO_free(b);
	if (!k && rc == 0)
		rc = bad_argument(o->key, "not an unencrypted PEM private key");
	if (k && x && X509_check_private_key(x, k) != 1 && rc == 0)
		rc = bad_argument(o->key, "does not match the certificate");
	X509_free(x);
	EVP_PKEY_free(k);
	return rc;
}

static int prepare_store_dir(const char *dir)
{
	struct stat st;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return bad_argument(dir, strerror(errno));
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return bad_argument(dir, "not a directory");
	if (access(dir, W_OK | X_OK) != 0)
		return bad_argument(dir, "not writable");
	return 0;
}

/* Blocks until SIGTERM or SIGINT; SIGHUP reloads the accounts in between. */
static void wait_for_stop(const sigset_t *set, struct store *st, const char *accounts)
{
	char err[512];
	int sig;

	for (;;) {
		if (sigwait(set, &sig) != 0)
			continue;
		if (sig != SIGHUP) {
			log_event("info", "stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			return;
		}
		if (store_accounts_load(st, accounts, err, sizeof(err)) < 0)
			log_event("error", "accounts_reload_failed", err); /* old accounts stay */
		else
			log_event("info", "accounts_reloaded", accounts);
	}
}

int main(int argc, char **argv)
{
	struct options o = {0};
	struct sockaddr_storage addr = {0};
	struct sim sim = {0};
	struct server *srv = NULL;
	char *cert = NULL, *key = NULL;
	size_t cert_len = 0, key_len = 0;
	char err[512];
	sigset_t set;
	int rc = EXIT_USAGE;

	rc = parse_args(argc, argv, &o);
	if (rc != 0)
		return rc > 0 ? 0 : EXIT_USAGE; /* 1: --help was printed */
	rc = EXIT_USAGE;
	if (parse_listen(o.listen, &addr) < 0)
		return EXIT_USAGE;
	cert = read_pem("--cert", o.cert, &cert_len);
	key = cert ? read_pem("--key", o.key, &key_len) : NULL;
	if (!cert || !key || check_tls_files(&o, cert, key) < 0 || prepare_store_dir(o.store) < 0)
		goto out;
	sim.store = store_new(o.store);
	sim.faults = faults_new();
	sim.token_ttl = o.token_ttl;
	sim.max_upload = o.max_upload;
	if (!sim.store || !sim.faults) {
		fprintf(stderr, "rmail-sim: out of memory\n");
		rc = 1;
		goto out;
	}
	if (store_accounts_load(sim.store, o.accounts, err, sizeof(err)) < 0) {
		fprintf(stderr, "rmail-sim: --accounts %s\n", err);
		goto out;
	}
	/* Block the signals in every thread (MHD's inherit the mask); main takes them with sigwait.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	srv = server_start(&sim, (struct sockaddr *)&addr, cert, key, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "rmail-sim: --listen %s: %s\n", o.listen, err);
		rc = 1;
		goto out;
	}
	log_event("info", "started", o.listen);
	wait_for_stop(&set, sim.store, o.accounts);
	server_stop(srv);
	log_event("info", "stopped", NULL);
	rc = 0;
out:
	if (key) {
		OPENSSL_cleanse(key, key_len);
		free(key);
	}
	free(cert);
	faults_free(sim.faults);
	store_free(sim.store);
	return rc;
}
