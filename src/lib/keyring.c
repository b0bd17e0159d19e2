/*
 * keyring.c - the key files behind struct keyring (DESIGN 3.6, see crypto.h).
 *
 * Loads, generates and retires the KEK files of a keyring directory; the
 * sealing itself is crypto.c's, which finds key bytes through keyring_find
 * (keyring_priv.h).  RAND_bytes (through sp_random) makes new keys.
 *
 * A keyring is immutable once loaded, so one keyring may be shared by threads.
 */
#include "crypto.h"
#include "codec.h"
#include "hpke.h"
#include "keyring_priv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#define KEY_SUFFIX     ".key"
#define KEY_SUFFIX_LEN (sizeof(KEY_SUFFIX) - 1)
#define PUB_SUFFIX     ".pub" /* the X25519 public half of a key (hpke.h) */
#define KEY_HEX_LEN    (2 * SP_KEY_LEN)
#define KEYFILE_LEN    (KEY_HEX_LEN + 1) /* hex digits and a newline */
#define PRIMARY_NAME   "primary"
#define GENERATE_TRIES 16

struct keyring {
	struct kr_key *keys; /* sorted by kid; wiped by keyring_free */
	size_t count, cap;
	char primary[SP_KID_MAX + 1];
	int public_only; /* keyring_load_public: keys[].key are public keys */
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int kid_valid(const char *kid, size_t len)
{
	if (len == 0 || len > SP_KID_MAX)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = kid[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
			return 0;
	}
	return 1;
}

/* ---- keyring ------------------------------------------------------------ */

static int kid_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kr_key *)a)->kid, ((const struct kr_key *)b)->kid);
}

const struct kr_key *keyring_find(const struct keyring *kr, const char *kid)
{
	struct kr_key probe;
	size_t len;

	/* No keys: no bsearch over a NULL array (C11 7.1.4 wants valid pointers). */
	if (!kr || !kid || kr->count == 0)
		return NULL;
	len = strnlen(kid, SP_KID_MAX + 1);
	if (len > SP_KID_MAX)
		return NULL;
	memcpy(probe.kid, kid, len + 1);
	return bsearch(&probe, kr->keys, kr->count, sizeof(*kr->keys), kid_cmp);
}

/* Grows without realloc, so no copy of a key is left in freed memory. */
static int kr_grow(struct keyring *kr)
{
	size_t cap = kr->cap ? 2 * kr->cap : 8;
	struct kr_key *keys;

	if (kr->count < kr->cap)
		return 0;
	keys = calloc(cap, sizeof(*keys));
	if (!keys)
		return -1;
	if (kr->keys) {
		memcpy(keys, kr->keys, kr->count * sizeof(*keys));
		OPENSSL_cleanse(kr->keys, kr->cap * sizeof(*keys));
		free(kr->keys);
	}
	kr->keys = keys;
	kr->cap = cap;
	return 0;
}

/* Reads at most cap bytes of an open file; *len == cap means "cap or more". */
static int read_upto(int fd, char *buf, size_t cap, size_t *len)
{
	*len = 0;
	while (*len < cap) {
		ssize_t n = read(fd, buf + *len, cap - *len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	return 0;
}

/*
 * Who may own a keyring's directory and files: the user we run as, or
 * root (a packaged install where root owns /etc/scanpost/keys/<ring> and
 * the daemon reads it through a key group).
 */
static int owner_ok(uid_t uid)
{
	return uid == geteuid() || uid == 0;
}

/* A keyring directory: ours or root's; and root (the administrator's
 * scanpostctl, e.g. the package's migrate) may use the keyring of the
 * service user that holds it: the modes still keep everyone else out. */
static int dir_owner_ok(uid_t uid)
{
	return owner_ok(uid) || geteuid() == 0;
}

/* A key file: ours, root's, or its keyring's holder's (the directory's
 * owner, who alone may add files to it). */
static int file_owner_ok(uid_t uid, int dfd)
{
	struct stat d;

	return owner_ok(uid) || (fstat(dfd, &d) == 0 && d.st_uid == uid);
}

/*
 * The keyring directory, opened without following a symbolic link
 * (O_NOFOLLOW on the last component: a planted link is refused, not
 * followed), and checked: owned by us or root, never writable by group or
 * others, and, for private keys, no access for others at all.  Two shapes
 * pass: 0700 (one user) and 0750 / 2750 (group-shared: the daemons of a
 * key group read it; *shared is set, and its key files may be 0640).
 * SP_CRYPTO_OK with the descriptor in *dfd, SP_CRYPTO_ERR_IO (missing,
 * unreadable) or SP_CRYPTO_ERR_KEYFILE (refused), with err set.
 */
static int open_ring_dir(const char *dir, int public, int *dfd, int *shared, char *err,
                         size_t errlen)
{
	mode_t forbidden = public ? (S_IWGRP | S_IWOTH) : (S_IWGRP | S_IRWXO);
	struct stat st;
	int fd;

	*shared = 0;
	*dfd = -1;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ELOOP || errno == ENOTDIR) {
			set_err(err, errlen,
			        "%s: is a symbolic link or no directory; a keyring must "
			        "be a real directory",
			        dir);
			return SP_CRYPTO_ERR_KEYFILE;
		}
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		close(fd);
		return SP_CRYPTO_ERR_IO;
	}
	if (!dir_owner_ok(st.st_uid)) {
		set_err(err, errlen,
		        "%s: owned by uid %u, a keyring must belong to its user (uid %u) "
		        "or root",
		        dir, (unsigned)st.st_uid, (unsigned)geteuid());
		close(fd);
		return SP_CRYPTO_ERR_KEYFILE;
	}
	if (st.st_mode & forbidden) {
		set_err(err, errlen,
		        "%s: mode %04o, a keyring directory must be 0700, or 0750/2750 "
		        "shared with a key group (chmod 700)",
		        dir, (unsigned)(st.st_mode & 07777));
		close(fd);
		return SP_CRYPTO_ERR_KEYFILE;
	}
	*shared = (st.st_mode & S_IRGRP) != 0;
	*dfd = fd;
	return SP_CRYPTO_OK;
}

/*
 * A private key file may be read by its owner only, or also by the key
 * group when the directory is group-shared (0640); a public one may be
 * read by anyone but written by its owner only (it decides where tokens
 * are sealed to).  A symbolic link is refused (O_NOFOLLOW), and so is a
 * file of another owner than us or root.
 */
static int load_keyfile(int dfd, const char *dir, const char *name, int public, int shared,
                        struct kr_key *k, char *err, size_t errlen)
{
	mode_t forbidden = public   ? (S_IWGRP | S_IWOTH)
	                   : shared ? (S_IWGRP | S_IXGRP | S_IRWXO)
	                            : (S_IRWXG | S_IRWXO);
	char buf[KEYFILE_LEN + 1];
	struct stat st;
	size_t len;
	int fd, rc = SP_CRYPTO_ERR_KEYFILE;

	/* O_NONBLOCK: a FIFO planted as a key file must not hang the load. */
	fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ELOOP) {
			set_err(err, errlen,
			        "%s/%s: is a symbolic link; a key file must be a regular "
			        "file",
			        dir, name);
			return SP_CRYPTO_ERR_KEYFILE;
		}
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s/%s: not a regular file", dir, name);
		goto out;
	}
	if (!file_owner_ok(st.st_uid, dfd)) {
		set_err(err, errlen,
		        "%s/%s: owned by uid %u, a key file must belong to its user "
		        "(uid %u) or root",
		        dir, name, (unsigned)st.st_uid, (unsigned)geteuid());
		goto out;
	}
	if (st.st_mode & forbidden) {
		set_err(err, errlen, "%s/%s: mode %04o, a key file must be %s", dir, name,
		        (unsigned)(st.st_mode & 07777),
		        public   ? "writable by its owner only (chmod 644)"
		        : shared ? "0600, or 0640 in a group-shared keyring (chmod 640)"
		                 : "0600 (chmod 600)");
		goto out;
	}
	if (read_upto(fd, buf, sizeof(buf), &len) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
		goto out;
	}
	if (len != KEYFILE_LEN || buf[KEY_HEX_LEN] != '\n') {
		set_err(err, errlen, "%s/%s: must hold 64 hex digits and a newline", dir, name);
		goto out;
	}
	if (hex_decode(buf, k->key, SP_KEY_LEN) != 0) {
		set_err(err, errlen, "%s/%s: must hold 64 hex digits and a newline", dir, name);
		goto out;
	}
	rc = SP_CRYPTO_OK;
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* Reads dir/primary: a kid and an optional newline. */
static int read_primary(int dfd, const char *dir, char kid[SP_KID_MAX + 1], char *err,
                        size_t errlen)
{
	char buf[SP_KID_MAX + 2];
	struct stat st;
	size_t len;
	int fd, rc;

	fd = openat(dfd, PRIMARY_NAME, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0) {
		set_err(err, errlen, "%s/%s: %s", dir, PRIMARY_NAME, strerror(errno));
		return errno == ELOOP ? SP_CRYPTO_ERR_KEYFILE : SP_CRYPTO_ERR_IO;
	}
	/* It chooses the key new data is sealed with: nobody else writes it. */
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !file_owner_ok(st.st_uid, dfd) ||
	    (st.st_mode & (S_IWGRP | S_IWOTH))) {
		set_err(err, errlen,
		        "%s/%s: must be a regular file of the keyring's owner that "
		        "nobody else may write",
		        dir, PRIMARY_NAME);
		close(fd);
		return SP_CRYPTO_ERR_KEYFILE;
	}
	rc = read_upto(fd, buf, sizeof(buf), &len);
	close(fd);
	if (rc != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, PRIMARY_NAME, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (!kid_valid(buf, len)) {
		set_err(err, errlen, "%s/%s: must hold one key id (1..%d of [a-z0-9-])", dir,
		        PRIMARY_NAME, SP_KID_MAX);
		return SP_CRYPTO_ERR_KEYFILE;
	}
	memcpy(kid, buf, len);
	kid[len] = '\0';
	return SP_CRYPTO_OK;
}

/* Loads every <kid><suffix> of dir, and the primary. */
static int load_ring(const char *dir, int public, struct keyring **out, char *err, size_t errlen)
{
	const char *suffix = public ? PUB_SUFFIX : KEY_SUFFIX;
	size_t suffix_len = strlen(suffix);
	struct keyring *kr;
	struct dirent *de;
	DIR *d;
	int rc = SP_CRYPTO_OK, shared, dfd;

	if (!out)
		return SP_CRYPTO_ERR_STATE;
	*out = NULL;
	if (!dir)
		return SP_CRYPTO_ERR_STATE;
	kr = calloc(1, sizeof(*kr));
	if (!kr)
		return SP_CRYPTO_ERR_INTERNAL;
	kr->public_only = public;
	if ((rc = open_ring_dir(dir, public, &dfd, &shared, err, errlen)) != SP_CRYPTO_OK) {
		free(kr);
		return rc;
	}
	d = fdopendir(dfd);
	if (!d) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		close(dfd);
		free(kr);
		return SP_CRYPTO_ERR_IO;
	}
	errno = 0;
	while (rc == SP_CRYPTO_OK && (de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		size_t len = strlen(name), kidlen;
		struct kr_key *k;

		/* Dot files are ours (the primary's temp file) or the admin's. */
		if (name[0] == '.' || len <= suffix_len ||
		    strcmp(name + len - suffix_len, suffix) != 0)
			continue;
		kidlen = len - suffix_len;
		if (!kid_valid(name, kidlen)) {
			set_err(err, errlen, "%s/%s: a key id is 1..%d of [a-z0-9-]", dir, name,
			        SP_KID_MAX);
			rc = SP_CRYPTO_ERR_KEYFILE;
			break;
		}
		if (kr_grow(kr) != 0) {
			rc = SP_CRYPTO_ERR_INTERNAL;
			break;
		}
		k = &kr->keys[kr->count];
		memcpy(k->kid, name, kidlen);
		k->kid[kidlen] = '\0';
		rc = load_keyfile(dirfd(d), dir, name, public, shared, k, err, errlen);
		if (rc == SP_CRYPTO_OK)
			kr->count++;
		errno = 0;
	}
	if (rc == SP_CRYPTO_OK && errno != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	if (rc == SP_CRYPTO_OK) {
		if (kr->count > 0)
			qsort(kr->keys, kr->count, sizeof(*kr->keys), kid_cmp);
		rc = read_primary(dirfd(d), dir, kr->primary, err, errlen);
	}
	if (rc == SP_CRYPTO_OK && !keyring_find(kr, kr->primary)) {
		set_err(err, errlen, "%s/%s: names key %s, but there is no %s/%s%s", dir,
		        PRIMARY_NAME, kr->primary, dir, kr->primary, suffix);
		rc = SP_CRYPTO_ERR_NOKEY;
	}
	closedir(d);
	if (rc != SP_CRYPTO_OK) {
		keyring_free(kr);
		return rc;
	}
	*out = kr;
	return SP_CRYPTO_OK;
}

int keyring_load(const char *dir, struct keyring **out, char *err, size_t errlen)
{
	return load_ring(dir, 0, out, err, errlen);
}

int keyring_load_public(const char *dir, struct keyring **out, char *err, size_t errlen)
{
	return load_ring(dir, 1, out, err, errlen);
}

int keyring_is_public(const struct keyring *kr)
{
	return kr && kr->public_only;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	if (kr->keys) {
		OPENSSL_cleanse(kr->keys, kr->cap * sizeof(*kr->keys));
		free(kr->keys);
	}
	OPENSSL_cleanse(kr, sizeof(*kr));
	free(kr);
}

const char *keyring_primary(const struct keyring *kr)
{
	return kr ? kr->primary : NULL;
}

int keyring_has(const struct keyring *kr, const char *kid)
{
	return keyring_find(kr, kid) != NULL;
}

size_t keyring_count(const struct keyring *kr)
{
	return kr ? kr->count : 0;
}

const char *keyring_kid(const struct keyring *kr, size_t i)
{
	return kr && i < kr->count ? kr->keys[i].kid : NULL;
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Opens dir for writing keys, creating it 0700 (whatever the umask) when
 * it is missing; checked as a private keyring is (open_ring_dir).  *shared
 * says new key files are 0640 for the key group.  The descriptor, or -1. */
static int open_keyring_dir(const char *dir, int create, int *shared, char *err, size_t errlen)
{
	int dfd;

	if (create) {
		if (mkdir(dir, 0700) == 0) {
			if (chmod(dir, 0700) != 0) {
				set_err(err, errlen, "%s: %s", dir, strerror(errno));
				return -1;
			}
		} else if (errno != EEXIST) {
			set_err(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	if (open_ring_dir(dir, 0, &dfd, shared, err, errlen) != SP_CRYPTO_OK)
		return -1;
	return dfd;
}

/* "k" + UTC yyyymmddHHMMSS + "-" + 4 random hex digits: sorts by age, and the
 * random tail keeps two keys made in one second apart. */
static int make_kid(char kid[SP_KID_MAX + 1])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t r[2];
	time_t now = time(NULL);
	struct tm tm;
	size_t n;

	if (!gmtime_r(&now, &tm) || sp_random(r, sizeof(r)) != 0)
		return -1;
	n = strftime(kid, SP_KID_MAX + 1, "k%Y%m%d%H%M%S-", &tm);
	if (n == 0 || n + 4 > SP_KID_MAX)
		return -1;
	kid[n++] = hex[r[0] >> 4];
	kid[n++] = hex[r[0] & 15];
	kid[n++] = hex[r[1] >> 4];
	kid[n++] = hex[r[1] & 15];
	kid[n] = '\0';
	return 0;
}

/* Writes a fresh random key to <kid>.key, refusing to replace any file;
 * with pub, the key's X25519 public half (hpke.h) goes there too. */
static int write_new_keyfile(int dfd, const char *dir, mode_t mode, char kid[SP_KID_MAX + 1],
                             uint8_t *pub, char *err, size_t errlen)
{
	static const char hex[] = "0123456789abcdef";
	char name[SP_KID_MAX + KEY_SUFFIX_LEN + 1];
	uint8_t key[SP_KEY_LEN];
	char text[KEYFILE_LEN];
	int fd = -1, rc = SP_CRYPTO_ERR_IO;

	for (int i = 0; fd < 0 && i < GENERATE_TRIES; i++) {
		if (make_kid(kid) != 0)
			return SP_CRYPTO_ERR_INTERNAL;
		snprintf(name, sizeof(name), "%s%s", kid, KEY_SUFFIX);
		fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && errno != EEXIST) {
			set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
			return SP_CRYPTO_ERR_IO;
		}
	}
	if (fd < 0) {
		set_err(err, errlen, "%s: no unused key id after %d tries", dir, GENERATE_TRIES);
		return SP_CRYPTO_ERR_IO;
	}
	/* RFC 7748, 5: any 32 random bytes are an X25519 private key. */
	if (sp_random(key, sizeof(key)) != 0 || (pub && hpke_public_of(key, pub) != 0)) {
		rc = SP_CRYPTO_ERR_INTERNAL;
		goto out;
	}
	for (size_t i = 0; i < SP_KEY_LEN; i++) {
		text[2 * i] = hex[key[i] >> 4];
		text[2 * i + 1] = hex[key[i] & 15];
	}
	text[KEY_HEX_LEN] = '\n';
	/* fchmod: the create mode was cut by the umask, and may have been 0. */
	if (fchmod(fd, mode) != 0 || write_all(fd, text, sizeof(text)) != 0 || fsync(fd) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = SP_CRYPTO_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(text, sizeof(text));
	if (close(fd) != 0 && rc == SP_CRYPTO_OK) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	if (rc != SP_CRYPTO_OK)
		unlinkat(dfd, name, 0);
	return rc;
}

/* Replaces dir/primary atomically: temp file, fsync, rename, fsync dir. */
static int write_primary(int dfd, const char *dir, mode_t mode, const char *kid, char *err,
                         size_t errlen)
{
	char tmp[SP_KID_MAX + 32], line[SP_KID_MAX + 2];
	size_t len = strlen(kid);
	int fd, ok;

	snprintf(tmp, sizeof(tmp), ".%s-%s.tmp", PRIMARY_NAME, kid);
	memcpy(line, kid, len);
	line[len] = '\n';
	fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		set_err(err, errlen, "%s/%s: %s", dir, tmp, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	ok = fchmod(fd, mode) == 0 && write_all(fd, line, len + 1) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	ok = ok && renameat(dfd, tmp, dfd, PRIMARY_NAME) == 0;
	if (!ok) {
		set_err(err, errlen, "%s/%s: %s", dir, PRIMARY_NAME, strerror(errno));
		unlinkat(dfd, tmp, 0);
		return SP_CRYPTO_ERR_IO;
	}
	if (fsync(dfd) != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	return SP_CRYPTO_OK;
}

/* Writes <kid>.pub (64 hex digits and a newline), mode 0644: readable by
 * a program that only seals, such as scanpost-api. */
static int write_pubfile(int dfd, const char *dir, const char *kid, const uint8_t pub[32],
                         char *err, size_t errlen)
{
	char name[SP_KID_MAX + 8], text[KEYFILE_LEN];
	int fd, ok;

	snprintf(name, sizeof(name), "%s%s", kid, PUB_SUFFIX);
	hex_encode(pub, 32, text);
	text[KEY_HEX_LEN] = '\n';
	fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return SP_CRYPTO_ERR_IO;
	}
	ok = fchmod(fd, 0644) == 0 && write_all(fd, text, sizeof(text)) == 0 && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		unlinkat(dfd, name, 0);
		return SP_CRYPTO_ERR_IO;
	}
	return SP_CRYPTO_OK;
}

static int generate(const char *dir, int with_public, char *kid_out, size_t kid_out_len, char *err,
                    size_t errlen)
{
	char kid[SP_KID_MAX + 1];
	uint8_t pub[32];
	int dfd, rc, shared;
	mode_t mode;

	if (!dir || !kid_out || kid_out_len < SP_KID_MAX + 1)
		return SP_CRYPTO_ERR_STATE;
	dfd = open_keyring_dir(dir, 1, &shared, err, errlen);
	if (dfd < 0)
		return SP_CRYPTO_ERR_IO;
	/* In a group-shared keyring the key group's daemons read the keys. */
	mode = shared ? 0640 : 0600;
	rc = write_new_keyfile(dfd, dir, mode, kid, with_public ? pub : NULL, err, errlen);
	if (rc == SP_CRYPTO_OK && with_public)
		rc = write_pubfile(dfd, dir, kid, pub, err, errlen);
	/* The key files' entries are durable before primary can name them. */
	if (rc == SP_CRYPTO_OK && fsync(dfd) != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	if (rc == SP_CRYPTO_OK)
		rc = write_primary(dfd, dir, mode, kid, err, errlen);
	close(dfd);
	if (rc == SP_CRYPTO_OK)
		memcpy(kid_out, kid, strlen(kid) + 1);
	return rc;
}

int keyring_generate(const char *dir, char *kid_out, size_t kid_out_len, char *err, size_t errlen)
{
	return generate(dir, 0, kid_out, kid_out_len, err, errlen);
}

int keyring_generate_pair(const char *dir, char *kid_out, size_t kid_out_len, char *err,
                          size_t errlen)
{
	return generate(dir, 1, kid_out, kid_out_len, err, errlen);
}

int keyring_publish(const char *dir, int *written, char *err, size_t errlen)
{
	struct keyring *kr = NULL;
	int dfd, rc, shared;

	*written = 0;
	if ((rc = keyring_load(dir, &kr, err, errlen)) != SP_CRYPTO_OK)
		return rc;
	if ((dfd = open_keyring_dir(dir, 0, &shared, err, errlen)) < 0) {
		keyring_free(kr);
		return SP_CRYPTO_ERR_IO;
	}
	for (size_t i = 0; rc == SP_CRYPTO_OK && i < kr->count; i++) {
		char name[SP_KID_MAX + 8];
		uint8_t pub[32];

		snprintf(name, sizeof(name), "%s%s", kr->keys[i].kid, PUB_SUFFIX);
		if (faccessat(dfd, name, F_OK, 0) == 0)
			continue;
		if (hpke_public_of(kr->keys[i].key, pub) != 0)
			rc = SP_CRYPTO_ERR_INTERNAL;
		else if ((rc = write_pubfile(dfd, dir, kr->keys[i].kid, pub, err, errlen)) ==
		         SP_CRYPTO_OK)
			(*written)++;
	}
	if (rc == SP_CRYPTO_OK && *written > 0 && fsync(dfd) != 0) {
		set_err(err, errlen, "%s: %s", dir, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
	close(dfd);
	keyring_free(kr);
	return rc;
}

/*
 * Zeroes the file in place before unlinking it.  On journalling or
 * copy-on-write file systems and on SSDs the old blocks may survive, so this
 * is a best effort; the guarantee of DESIGN 3.6 rests on key files never
 * being in the database or its backups.
 */
int keyring_retire(const char *dir, const char *kid, char *err, size_t errlen)
{
	static const uint8_t zeros[4096];
	char primary[SP_KID_MAX + 1], name[SP_KID_MAX + KEY_SUFFIX_LEN + 1];
	struct stat st;
	off_t off = 0;
	int dfd, fd, rc, shared;

	if (!dir || !kid)
		return SP_CRYPTO_ERR_STATE;
	if (!kid_valid(kid, strnlen(kid, SP_KID_MAX + 1))) {
		set_err(err, errlen, "%s: not a key id (1..%d of [a-z0-9-])", kid, SP_KID_MAX);
		return SP_CRYPTO_ERR_NOKEY;
	}
	dfd = open_keyring_dir(dir, 0, &shared, err, errlen);
	if (dfd < 0)
		return SP_CRYPTO_ERR_IO;
	/* Without a readable primary we cannot tell it apart: refuse. */
	rc = read_primary(dfd, dir, primary, err, errlen);
	if (rc != SP_CRYPTO_OK)
		goto out;
	if (strcmp(primary, kid) == 0) {
		set_err(err, errlen, "%s/%s: %s is the primary key; generate a new one first", dir,
		        PRIMARY_NAME, kid);
		rc = SP_CRYPTO_ERR_STATE;
		goto out;
	}
	snprintf(name, sizeof(name), "%s%s", kid, KEY_SUFFIX);
	fd = openat(dfd, name, O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		rc = errno == ENOENT  ? SP_CRYPTO_ERR_NOKEY
		     : errno == ELOOP ? SP_CRYPTO_ERR_KEYFILE
		                      : SP_CRYPTO_ERR_IO;
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		goto out;
	}
	rc = SP_CRYPTO_ERR_IO;
	if (fstat(fd, &st) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		set_err(err, errlen, "%s/%s: not a regular file", dir, name);
		rc = SP_CRYPTO_ERR_KEYFILE;
	} else {
		while (off < st.st_size) {
			size_t n = sizeof(zeros);
			ssize_t w;

			if ((off_t)n > st.st_size - off)
				n = (size_t)(st.st_size - off);
			w = pwrite(fd, zeros, n, off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0)
				break;
			off += w;
		}
		if (off == st.st_size && fsync(fd) == 0)
			rc = SP_CRYPTO_OK;
		else
			set_err(err, errlen, "%s/%s: overwrite: %s", dir, name, strerror(errno));
	}
	close(fd);
	if (rc != SP_CRYPTO_OK)
		goto out;
	if (unlinkat(dfd, name, 0) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
		goto out;
	}
	/* Its public half, if it had one, goes too: nothing seals to it again. */
	snprintf(name, sizeof(name), "%s%s", kid, PUB_SUFFIX);
	if ((unlinkat(dfd, name, 0) != 0 && errno != ENOENT) || fsync(dfd) != 0) {
		set_err(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		rc = SP_CRYPTO_ERR_IO;
	}
out:
	close(dfd);
	return rc;
}

/* When dir's primary last changed: `primary` is replaced (renamed over)
 * by every generate and rotate, so its mtime is the last rotation. */
int keyring_primary_since(const char *dir, time_t *since)
{
	char path[4096];
	struct stat st;

	if (!dir || !since ||
	    snprintf(path, sizeof(path), "%s/%s", dir, PRIMARY_NAME) >= (int)sizeof(path))
		return SP_CRYPTO_ERR_STATE;
	if (stat(path, &st) != 0)
		return SP_CRYPTO_ERR_IO;
	*since = st.st_mtime;
	return SP_CRYPTO_OK;
}
