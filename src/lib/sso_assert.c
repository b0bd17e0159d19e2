/*
 * sso_assert.c - parse and verify a device's SSO assertion (see sso_assert.h).
 */
#include "sso_assert.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <string.h>

/* The decoded S: its longest form is 64 + 1 + 32 + 1 + 19 + 1 + 32 bytes. */
#define SSO_RAW_MAX 192

static const char *const reasons[SSO_ASSERT__MAX] = {
    [SSO_ASSERT_OK] = "ok",
    [SSO_ASSERT_MALFORMED] = "malformed",
    [SSO_ASSERT_UNKNOWN_DEVICE] = "unknown_device",
    [SSO_ASSERT_FORGED] = "forged",
    [SSO_ASSERT_STALE] = "stale",
    [SSO_ASSERT_FUTURE] = "future",
    [SSO_ASSERT_WRONG_SERIAL] = "wrong_serial",
};

const char *sso_assert_reason(enum sso_assert_result r)
{
	return (unsigned)r < SSO_ASSERT__MAX ? reasons[r] : "unknown";
}

static int b64url_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

/*
 * base64url without padding (RFC 4648, 5) of any length up to outmax.
 * Only the canonical spelling is accepted (RFC 4648, 3.5: the unused bits
 * of the last character are zero), so one assertion has one text form.
 * Returns the decoded length, or -1.
 */
static long b64url_decode_var(const char *in, size_t len, uint8_t *out, size_t outmax)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t o = 0;

	if (len % 4 == 1)
		return -1;
	for (size_t i = 0; i < len; i++) {
		int v = b64url_value(in[i]);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == outmax)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (acc & ((1u << bits) - 1))
		return -1;
	return (long)o;
}

int sso_serial_valid(const char *serial)
{
	size_t n = strnlen(serial, SSO_SERIAL_MAX + 1);

	if (n == 0 || n > SSO_SERIAL_MAX || serial[0] == '.')
		return 0;
	return strspn(serial,
	              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* Copies field [p, p+n) to dst (cap bytes with the NUL); -1 if too long or empty. */
static int field_copy(char *dst, size_t cap, const char *p, size_t n)
{
	if (n == 0 || n >= cap)
		return -1;
	memcpy(dst, p, n);
	dst[n] = '\0';
	return 0;
}

static int user_valid(const char *u)
{
	/* Printable, no '|' (the separator), no DEL; bytes >= 0x80 are the
	 * device's UTF-8 and pass as they are. */
	for (; *u; u++)
		if ((unsigned char)*u < 0x20 || *u == 0x7f || *u == '|')
			return 0;
	return 1;
}

static int issued_at_parse(const char *p, size_t n, long long *out)
{
	long long v = 0;

	/* At most 18 digits: no overflow, and far beyond any plausible clock. */
	if (n == 0 || n > 18 || (p[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

static int nonce_valid(const char *p, size_t n)
{
	if (n != SSO_NONCE_HEX_LEN)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

int sso_assert_parse(const char *s, size_t len, struct sso_claims *out)
{
	const char *f[4];
	size_t n[4];
	size_t start = 0, k = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(s, '\0', len) != NULL)
		return -1;
	/* Exactly four fields: a '|' smuggled into one makes five. */
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '|')
			continue;
		if (k == 4)
			return -1;
		f[k] = s + start;
		n[k++] = i - start;
		start = i + 1;
	}
	if (k != 4)
		return -1;
	if (field_copy(out->user, sizeof(out->user), f[0], n[0]) != 0 || !user_valid(out->user) ||
	    field_copy(out->serial, sizeof(out->serial), f[1], n[1]) != 0 ||
	    !sso_serial_valid(out->serial) || issued_at_parse(f[2], n[2], &out->issued_at) != 0 ||
	    !nonce_valid(f[3], n[3])) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	memcpy(out->nonce, f[3], SSO_NONCE_HEX_LEN);
	out->nonce[SSO_NONCE_HEX_LEN] = '\0';
	return 0;
}

enum sso_assert_result sso_assert_verify(const char *assertion, const char *signature,
                                         const char *expected_serial, sso_key_lookup_fn lookup,
                                         void *lookup_arg, time_t now, long max_age,
                                         struct sso_claims *out)
{
	uint8_t raw[SSO_RAW_MAX], sig[SSO_DEVICE_KEY_LEN + 1], key[SSO_DEVICE_KEY_LEN];
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t alen = strnlen(assertion, SSO_ASSERTION_MAX + 1);
	long rawlen, siglen;
	enum sso_assert_result rc = SSO_ASSERT_MALFORMED;

	memset(out, 0, sizeof(*out));
	if (alen == 0 || alen > SSO_ASSERTION_MAX ||
	    strnlen(signature, SSO_SIGNATURE_LEN + 1) != SSO_SIGNATURE_LEN)
		return SSO_ASSERT_MALFORMED;
	rawlen = b64url_decode_var(assertion, alen, raw, sizeof(raw));
	siglen = b64url_decode_var(signature, SSO_SIGNATURE_LEN, sig, sizeof(sig));
	if (rawlen <= 0 || siglen != SSO_DEVICE_KEY_LEN ||
	    sso_assert_parse((const char *)raw, (size_t)rawlen, out) != 0)
		goto out;

	rc = SSO_ASSERT_UNKNOWN_DEVICE;
	if (lookup(lookup_arg, out->serial, key) != 0)
		goto out;
	rc = SSO_ASSERT_FORGED;
	if (HMAC(EVP_sha256(), key, sizeof(key), raw, (size_t)rawlen, mac, &maclen) == NULL ||
	    maclen != SSO_DEVICE_KEY_LEN || CRYPTO_memcmp(mac, sig, SSO_DEVICE_KEY_LEN) != 0)
		goto out;
	/* Authentic from the device S names; it must also be the device the
	 * request comes through, or one printer's badge opens another's app. */
	rc = SSO_ASSERT_WRONG_SERIAL;
	if (strcmp(out->serial, expected_serial) != 0)
		goto out;
	rc = SSO_ASSERT_FUTURE;
	if (out->issued_at > (long long)now + SSO_FUTURE_SKEW)
		goto out;
	rc = SSO_ASSERT_STALE;
	if ((long long)now - out->issued_at > max_age)
		goto out;
	rc = SSO_ASSERT_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	OPENSSL_cleanse(mac, sizeof(mac));
	OPENSSL_cleanse(raw, sizeof(raw));
	return rc;
}
