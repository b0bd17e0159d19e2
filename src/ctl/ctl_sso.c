/*
 * ctl_sso.c - `scanpostctl sso`: the keys exchanged with devices, and an
 * admin's way to forget a stored sign-in (DESIGN 3.4).
 *
 * `sso exchange-key SERIAL` is Workplace Suite's "Exchange Keys": it makes
 * a fresh 256-bit key for the device, keeps it as sso_device_keys/SERIAL.key
 * (mode 0600, read by scanpost-ssod at each assertion), and prints it once
 * for whoever configures the device side.  The key is printed and never
 * logged or audited.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "codec.h"
#include "crypto.h"
#include "ctl.h"
#include "log.h"
#include "sso_assert.h"
#include "sso_vault.h"

static int audit_sso(struct ctl *c, const char *event, const char *key, const char *value)
{
	struct json_object *d = json_object_new_object();
	int rc;

	json_object_object_add(d, key, json_object_new_string(value));
	json_object_object_add(d, "by", json_object_new_string("admin"));
	rc = audit_record(c->db, event, c->actor, NULL, NULL, NULL,
	                  json_object_to_json_string_ext(d, JSON_C_TO_STRING_PLAIN));
	json_object_put(d);
	if (rc != 0)
		ctl_error("audit %s: %s", event, db_error(c->db));
	return rc;
}

static int serial_arg(const char *serial)
{
	if (sso_serial_valid(serial))
		return 0;
	ctl_error("\"%.40s\" is not a device serial (1..%d of A-Z a-z 0-9 . _ -)", serial,
	          SSO_SERIAL_MAX);
	return -1;
}

/* The directory of device keys, created 0700 when missing. */
static int keys_dir(struct ctl *c)
{
	struct stat st;

	if (mkdir(c->cfg.sso_device_keys, 0700) != 0 && errno != EEXIST) {
		ctl_error("%s: %s", c->cfg.sso_device_keys, strerror(errno));
		return -1;
	}
	if (stat(c->cfg.sso_device_keys, &st) != 0 || !S_ISDIR(st.st_mode)) {
		ctl_error("%s is not a directory", c->cfg.sso_device_keys);
		return -1;
	}
	return 0;
}

static int sso_exchange_key(struct ctl *c, int argc, char **argv)
{
	const char *serial = NULL;
	char path[600], tmp[640], hex[2 * SSO_DEVICE_KEY_LEN + 2];
	uint8_t key[SSO_DEVICE_KEY_LEN];
	int force = 0, fd = -1, rc = CTL_FAIL;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = 1;
		else if (serial == NULL)
			serial = argv[i];
		else
			serial = "";
	}
	if (serial == NULL || serial[0] == '\0') {
		ctl_error("usage: scanpostctl sso exchange-key SERIAL [--force]");
		return CTL_USAGE;
	}
	if (serial_arg(serial) != 0)
		return CTL_USAGE;
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (keys_dir(c) != 0)
		return CTL_FAIL;
	snprintf(path, sizeof(path), "%s/%s.key", c->cfg.sso_device_keys, serial);
	snprintf(tmp, sizeof(tmp), "%s.new", path);
	if (!force && access(path, F_OK) == 0) {
		ctl_error("%s already has a key (%s); --force replaces it, and the device must "
		          "then be given the new one",
		          serial, path);
		return CTL_FAIL;
	}
	if (sp_random(key, sizeof(key)) != 0) {
		ctl_error("no random bytes");
		return CTL_FAIL;
	}
	hex_encode(key, sizeof(key), hex);
	hex[2 * SSO_DEVICE_KEY_LEN] = '\n';
	hex[2 * SSO_DEVICE_KEY_LEN + 1] = '\0';
	/* Written whole to a new file, then renamed: ssod never reads half a key. */
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) || fsync(fd) != 0 ||
	    close(fd) != 0) {
		ctl_error("%s: %s", tmp, strerror(errno));
		if (fd >= 0)
			unlink(tmp);
		goto out;
	}
	if (rename(tmp, path) != 0) {
		ctl_error("%s: %s", path, strerror(errno));
		unlink(tmp);
		goto out;
	}
	sp_log(LOG_INFO, "sso_device_key_exchanged", "serial", serial, NULL);
	if (audit_sso(c, "sso_device_key_exchanged", "serial", serial) != 0)
		goto out;
	printf("device %s: key written to %s\n", serial, path);
	printf("give the device side this key (64 hex digits, HMAC-SHA256):\n%s", hex);
	rc = CTL_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(hex, sizeof(hex));
	return rc;
}

static int sso_list_devices(struct ctl *c, int argc, char **argv)
{
	DIR *d;
	struct dirent *e;
	int n = 0;

	(void)argv;
	if (argc != 1) {
		ctl_error("usage: scanpostctl sso list-devices");
		return CTL_USAGE;
	}
	if ((d = opendir(c->cfg.sso_device_keys)) == NULL) {
		ctl_error("%s: %s", c->cfg.sso_device_keys, strerror(errno));
		return CTL_FAIL;
	}
	printf("%-32s  %-20s  %s\n", "SERIAL", "KEY EXCHANGED (UTC)", "MODE");
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char serial[SSO_SERIAL_MAX + 1], when[32], path[600];
		struct stat st;
		struct tm tm;

		if (len <= 4 || len - 4 > SSO_SERIAL_MAX ||
		    strcmp(e->d_name + len - 4, ".key") != 0)
			continue;
		memcpy(serial, e->d_name, len - 4);
		serial[len - 4] = '\0';
		snprintf(path, sizeof(path), "%s/%s", c->cfg.sso_device_keys, e->d_name);
		if (!sso_serial_valid(serial) || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		gmtime_r(&st.st_mtime, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
		printf("%-32s  %-20s  %04o%s\n", serial, when, (unsigned)(st.st_mode & 07777),
		       (st.st_mode & 077) ? "  (refused by ssod: not 0600)" : "");
		n++;
	}
	closedir(d);
	printf("%d device%s\n", n, n == 1 ? "" : "s");
	return CTL_OK;
}

static int sso_revoke_device(struct ctl *c, int argc, char **argv)
{
	static const char zeros[2 * SSO_DEVICE_KEY_LEN + 1];
	char path[600];
	int fd;

	if (argc != 2) {
		ctl_error("usage: scanpostctl sso revoke-device SERIAL");
		return CTL_USAGE;
	}
	if (serial_arg(argv[1]) != 0)
		return CTL_USAGE;
	if (db_ensure(c->db) != 0) {
		ctl_error("database: %s", db_error(c->db));
		return CTL_FAIL;
	}
	snprintf(path, sizeof(path), "%s/%s.key", c->cfg.sso_device_keys, argv[1]);
	/* Overwritten first (best effort, as keyring_retire does), then gone. */
	if ((fd = open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ctl_error("%s: %s", path,
		          errno == ENOENT ? "no key for this device" : strerror(errno));
		return CTL_FAIL;
	}
	if (write(fd, zeros, sizeof(zeros)) < 0 || fsync(fd) != 0)
		ctl_error("%s: overwrite: %s (removing it anyway)", path, strerror(errno));
	close(fd);
	if (unlink(path) != 0) {
		ctl_error("%s: %s", path, strerror(errno));
		return CTL_FAIL;
	}
	sp_log(LOG_INFO, "sso_device_key_revoked", "serial", argv[1], NULL);
	if (audit_sso(c, "sso_device_key_revoked", "serial", argv[1]) != 0)
		return CTL_FAIL;
	printf("device %s: key revoked; its assertions are refused from now on\n", argv[1]);
	return CTL_OK;
}

static int sso_forget(struct ctl *c, int argc, char **argv)
{
	size_t n;
	int rc;

	if (argc != 2) {
		ctl_error("usage: scanpostctl sso forget IDENTITY");
		return CTL_USAGE;
	}
	n = strlen(argv[1]);
	if (n == 0 || n > SSO_USER_MAX) {
		ctl_error("an identity is 1..%d bytes (the device user name)", SSO_USER_MAX);
		return CTL_USAGE;
	}
	rc = sso_vault_forget(c->db, argv[1]);
	if (rc == SSO_VAULT_DB) {
		ctl_error("forget: %s", db_error(c->db));
		return CTL_FAIL;
	}
	if (rc == SSO_VAULT_NOT_STORED) {
		ctl_error("no stored sign-in for \"%.64s\"", argv[1]);
		return CTL_FAIL;
	}
	sp_log(LOG_INFO, "sso_forgotten", "identity", argv[1], "by", "admin", NULL);
	if (audit_sso(c, "sso_forgotten", "identity", argv[1]) != 0)
		return CTL_FAIL;
	printf("forgot the stored sign-in of %s\n", argv[1]);
	return CTL_OK;
}

static const struct {
	const char *name;
	int (*run)(struct ctl *c, int argc, char **argv);
	const char *syntax;
	const char *doc;
} sso_cmds[] = {
    {"exchange-key", sso_exchange_key, "sso exchange-key SERIAL [--force]",
     "new key for a device's assertions; prints it for the device side"},
    {"list-devices", sso_list_devices, "sso list-devices", "devices that have a key"},
    {"revoke-device", sso_revoke_device, "sso revoke-device SERIAL",
     "destroy a device's key: its assertions are refused"},
    {"forget", sso_forget, "sso forget IDENTITY", "delete a device user's stored sign-in"},
};

#define NSSO_CMDS (sizeof(sso_cmds) / sizeof(sso_cmds[0]))

void ctl_sso_usage(FILE *out)
{
	for (size_t i = 0; i < NSSO_CMDS; i++)
		ctl_usage_line(out, sso_cmds[i].syntax, sso_cmds[i].doc);
}

int ctl_sso(struct ctl *c, int argc, char **argv)
{
	if (argc < 2) {
		ctl_error("sso: missing subcommand (exchange-key, list-devices, revoke-device, "
		          "forget)");
		return CTL_USAGE;
	}
	for (size_t i = 0; i < NSSO_CMDS; i++)
		if (strcmp(sso_cmds[i].name, argv[1]) == 0)
			return sso_cmds[i].run(c, argc - 1, argv + 1);
	ctl_error("sso: unknown subcommand \"%.40s\"", argv[1]);
	return CTL_USAGE;
}
