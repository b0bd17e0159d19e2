/*
 * keycache.c - reload a keyring when its directory changes.
 */
#include "keycache.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

static int dir_mtime(const char *dir, struct timespec *out)
{
	struct stat st;

	if (stat(dir, &st) != 0)
		return -1;
	*out = st.st_mtim;
	return 0;
}

static int load(const struct keycache *kc, struct keyring **kr, char *err, size_t errlen)
{
	return kc->public_only ? keyring_load_public(kc->dir, kr, err, errlen)
	                       : keyring_load(kc->dir, kr, err, errlen);
}

static int init(struct keycache *kc, const char *dir, int public_only, char *err, size_t errlen)
{
	memset(kc, 0, sizeof(*kc));
	snprintf(kc->dir, sizeof(kc->dir), "%s", dir);
	kc->public_only = public_only;
	if (dir_mtime(dir, &kc->mtime) != 0) {
		snprintf(err, errlen, "%s: keyring directory not found", dir);
		return -1;
	}
	return load(kc, &kc->kr, err, errlen) == SP_CRYPTO_OK ? 0 : -1;
}

int keycache_init(struct keycache *kc, const char *dir, char *err, size_t errlen)
{
	return init(kc, dir, 0, err, errlen);
}

int keycache_init_public(struct keycache *kc, const char *dir, char *err, size_t errlen)
{
	return init(kc, dir, 1, err, errlen);
}

const struct keyring *keycache_get(struct keycache *kc)
{
	struct timespec now;
	struct keyring *fresh = NULL;
	char err[512];

	if (dir_mtime(kc->dir, &now) != 0 ||
	    (now.tv_sec == kc->mtime.tv_sec && now.tv_nsec == kc->mtime.tv_nsec))
		return kc->kr;
	if (load(kc, &fresh, err, sizeof(err)) != SP_CRYPTO_OK) {
		/* Half-way through a rotation, or a broken file: keep what works. */
		sp_log(LOG_WARN, "keyring_reload_failed", "keyring", kc->dir, "error", err, NULL);
		return kc->kr;
	}
	keyring_free(kc->kr);
	kc->kr = fresh;
	kc->mtime = now;
	sp_log(LOG_INFO, "keyring_reloaded", "keyring", kc->dir, "primary", keyring_primary(fresh),
	       NULL);
	return kc->kr;
}

void keycache_free(struct keycache *kc)
{
	keyring_free(kc->kr);
	kc->kr = NULL;
}
