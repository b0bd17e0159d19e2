/*
 * main.c - device-sim: a Xerox ConnectKey/EIP multifunction printer, as far
 * as scanpost needs one (DESIGN 3.3): its SOAP web services, a scan engine
 * that writes real PDF and TIFF files and uploads them with Xerox's HTTP
 * filing protocol, and a /_sim/ JSON API to steer it in tests and demos.
 *
 * Modules: server (HTTP), soap (envelopes), services (the operations),
 * scanjob (the scan thread), tmpl_parse and scansettings (the template),
 * docgen (PDF/TIFF), upload (filing client), control (/_sim/), sso (the
 * logged-in user's security token), device (state), simlog (JSON log lines).
 *
 * Exit: SIGTERM or SIGINT stop it promptly, a running scan included (the job
 * ends ProcessingStopped, its files removed).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "device.h"
#include "docgen.h"
#include "server.h"
#include "simlog.h"
#include "soap.h"
#include "sso.h"
#include "upload.h"

static const char usage[] =
    "usage: device-sim --listen HOST:PORT [options]\n"
    "  --listen 127.0.0.1:8081   address to serve on (IPv4)\n"
    "  --ca-file FILE            CA bundle to verify the upload server (TLS\n"
    "                            verification is always on; default: system CAs)\n"
    "  --serial 3TB123456        device serial number\n"
    "  --model \"Xerox AltaLink C8170\"\n"
    "  --name \"Front desk MFP\"   device name\n"
    "  --canvas 800x480|1024x600 touch screen size\n"
    "  --user NAME               a logged-in device user (default: guest)\n"
    "  --user-email ADDR         that user's email address\n"
    "  --sso-idp FILE            settings of the identity provider whose security\n"
    "                            tokens the device hands out (sso.h); default: none\n"
    "  --help\n";

static int parse_listen(const char *arg, char *host, size_t hostlen, unsigned *port)
{
	const char *colon = strrchr(arg, ':');
	char *end;
	unsigned long p;

	if (!colon || colon == arg || (size_t)(colon - arg) >= hostlen)
		return -1;
	p = strtoul(colon + 1, &end, 10);
	if (*end || p == 0 || p > 65535)
		return -1;
	memcpy(host, arg, (size_t)(colon - arg));
	host[colon - arg] = '\0';
	*port = (unsigned)p;
	return 0;
}

static int copy_arg(char *dst, size_t dstlen, const char *arg, const char *what)
{
	size_t i;

	if (strlen(arg) >= dstlen || !*arg) {
		fprintf(stderr, "device-sim: %s must be 1..%zu characters\n", what, dstlen - 1);
		return -1;
	}
	for (i = 0; arg[i]; i++) {
		if ((unsigned char)arg[i] < 0x20 || arg[i] == '|') {
			fprintf(stderr, "device-sim: %s holds a control character or '|'\n", what);
			return -1;
		}
	}
	memcpy(dst, arg, strlen(arg) + 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"listen", required_argument, NULL, 'l'},
	                                     {"ca-file", required_argument, NULL, 'c'},
	                                     {"serial", required_argument, NULL, 's'},
	                                     {"model", required_argument, NULL, 'm'},
	                                     {"name", required_argument, NULL, 'n'},
	                                     {"canvas", required_argument, NULL, 'v'},
	                                     {"user", required_argument, NULL, 'u'},
	                                     {"user-email", required_argument, NULL, 'e'},
	                                     {"sso-idp", required_argument, NULL, 'k'},
	                                     {"help", no_argument, NULL, 'h'},
	                                     {NULL, 0, NULL, 0}};
	struct device_identity id = {"3TB123456", "Xerox AltaLink C8170", "Front desk MFP", 800,
	                             480};
	struct device_user user;
	struct device *dev = NULL;
	struct server *srv = NULL;
	struct sso_idp *idp = NULL;
	const char *listen_arg = NULL, *ca_file = NULL, *idp_file = NULL;
	char host[64], why[160], portstr[8];
	unsigned port = 0;
	sigset_t stop_signals;
	int opt, sig, rc = 1;

	memset(&user, 0, sizeof(user));
	while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			listen_arg = optarg;
			break;
		case 'c':
			ca_file = optarg;
			break;
		case 'k':
			idp_file = optarg;
			break;
		case 's':
			if (copy_arg(id.serial, sizeof(id.serial), optarg, "--serial"))
				return 2;
			break;
		case 'm':
			if (copy_arg(id.model, sizeof(id.model), optarg, "--model"))
				return 2;
			break;
		case 'n':
			if (copy_arg(id.name, sizeof(id.name), optarg, "--name"))
				return 2;
			break;
		case 'v':
			if (strcmp(optarg, "800x480") == 0) {
				id.canvas_w = 800;
				id.canvas_h = 480;
			} else if (strcmp(optarg, "1024x600") == 0) {
				id.canvas_w = 1024;
				id.canvas_h = 600;
			} else {
				fprintf(stderr, "device-sim: --canvas is 800x480 or 1024x600\n");
				return 2;
			}
			break;
		case 'u':
			if (copy_arg(user.name, sizeof(user.name), optarg, "--user"))
				return 2;
			user.logged_in = true;
			break;
		case 'e':
			if (copy_arg(user.email, sizeof(user.email), optarg, "--user-email"))
				return 2;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc || !listen_arg ||
	    parse_listen(listen_arg, host, sizeof(host), &port) != 0) {
		fputs(usage, stderr);
		return 2;
	}
	if (sso_xmlsec_init() != 0) {
		fprintf(stderr, "device-sim: libxml2/xmlsec do not initialize\n");
		return 1;
	}
	if (idp_file && !(idp = sso_idp_load(idp_file, why, sizeof(why)))) {
		fprintf(stderr, "device-sim: %s\n", why);
		sso_xmlsec_shutdown();
		return 2;
	}

	/* Signals are taken synchronously by sigwait in this thread; every
	 * thread started later inherits the mask. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	soap_init();
	docgen_init();
	if (upload_global_init() != 0) {
		fprintf(stderr, "device-sim: libcurl failed to initialize\n");
		goto out;
	}
	dev = malloc(sizeof(*dev));
	if (!dev || device_init(dev, &id, user.logged_in ? &user : NULL, ca_file, idp) != 0) {
		fprintf(stderr, "device-sim: cannot set up the device state\n");
		free(dev);
		dev = NULL;
		goto out;
	}
	srv = server_start(dev, host, port, why, sizeof(why));
	if (!srv) {
		fprintf(stderr, "device-sim: %s\n", why);
		goto out;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	simlog("info", "listening", "host", host, "port", portstr, "serial", id.serial, "model",
	       id.model, "user", user.logged_in ? user.name : "guest", "sso", idp ? "on" : "off",
	       NULL);
	sigwait(&stop_signals, &sig);
	simlog("info", "stopping", "signal", sig == SIGTERM ? "SIGTERM" : "SIGINT", NULL);
	rc = 0;
out:
	/* The server first, so no request reaches the state while it goes;
	 * then the jobs, which stop at once (uploads abort). */
	server_stop(srv);
	if (dev)
		device_free(dev);
	free(dev);
	sso_idp_free(idp);
	upload_global_cleanup();
	sso_xmlsec_shutdown();
	soap_cleanup();
	return rc;
}
