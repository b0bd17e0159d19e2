/*
 * sso.c - the identity provider's token a device hands an EIP app (sso.h).
 */
#include "sso.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#define SSO_FIELD_MAX 512
#define SSO_PATH_MAX  1024
#define TOKEN_XML_MAX 8192

struct sso_idp {
	char service_provider[SSO_FIELD_MAX];
	char security_token_key[SSO_FIELD_MAX];
	char issuer[SSO_FIELD_MAX];
	char audience[SSO_FIELD_MAX];
	char signing_key[SSO_PATH_MAX];
	char signing_cert[SSO_PATH_MAX];
	long lifetime;

	pthread_mutex_t lock; /* guards the kept token */
	char *token;          /* of login session `login`, valid until `until` */
	unsigned long login;
	time_t until;
};

static const char *const token_errors[] = {
    [SSO_TOKEN_OK] = "ok",
    [SSO_TOKEN_NO_USER] = "no user is logged in",
    [SSO_TOKEN_UNKNOWN_PROVIDER] = "no security token for this service provider",
    [SSO_TOKEN_BAD_KEY] = "the security token key is not valid",
    [SSO_TOKEN_FAILED] = "the security token cannot be made",
};

const char *sso_token_strerror(enum sso_token_err e)
{
	return (unsigned)e <= SSO_TOKEN_FAILED ? token_errors[e] : "unknown";
}

int sso_xmlsec_init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0)
		return -1;
	if (xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		xmlSecShutdown();
		return -1;
	}
	return 0;
}

void sso_xmlsec_shutdown(void)
{
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
}

/* ---- settings --------------------------------------------------------------- */

static char *trim(char *s)
{
	char *e = s + strlen(s);

	while (*s && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int setting(struct sso_idp *idp, const char *key, const char *value)
{
	static const struct {
		const char *key;
		size_t offset;
	} fields[] = {
	    {"service_provider", offsetof(struct sso_idp, service_provider)},
	    {"security_token_key", offsetof(struct sso_idp, security_token_key)},
	    {"issuer", offsetof(struct sso_idp, issuer)},
	    {"audience", offsetof(struct sso_idp, audience)},
	    {"signing_key", offsetof(struct sso_idp, signing_key)},
	    {"signing_cert", offsetof(struct sso_idp, signing_cert)},
	};

	if (strcmp(key, "lifetime") == 0) {
		char *end;

		idp->lifetime = strtol(value, &end, 10);
		return *end == '\0' && idp->lifetime >= 60 && idp->lifetime <= 86400 ? 0 : -1;
	}
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (strcmp(fields[i].key, key) == 0) {
			size_t cap =
			    strcmp(key, "signing_key") == 0 || strcmp(key, "signing_cert") == 0
			        ? SSO_PATH_MAX
			        : SSO_FIELD_MAX;
			char *dst = (char *)idp + fields[i].offset;

			if (strlen(value) == 0 || strlen(value) >= cap)
				return -1;
			memcpy(dst, value, strlen(value) + 1);
			return 0;
		}
	return -1;
}

struct sso_idp *sso_idp_load(const char *path, char *why, size_t whylen)
{
	struct sso_idp *idp = calloc(1, sizeof(*idp));
	char line[2048], *probe = NULL;
	FILE *f = NULL;
	int n = 0;

	if (!idp) {
		snprintf(why, whylen, "out of memory");
		return NULL;
	}
	idp->lifetime = 3600;
	if (!(f = fopen(path, "r"))) {
		snprintf(why, whylen, "cannot open the SSO settings file %s", path);
		goto fail;
	}
	while (fgets(line, sizeof(line), f)) {
		char *eq, *key, *value;

		n++;
		key = trim(line);
		if (*key == '\0' || *key == '#')
			continue;
		if (!(eq = strchr(key, '='))) {
			snprintf(why, whylen, "%s:%d: not key = value", path, n);
			goto fail;
		}
		*eq = '\0';
		value = trim(eq + 1);
		key = trim(key);
		if (setting(idp, key, value) != 0) {
			snprintf(why, whylen, "%s:%d: bad or unknown setting %.40s", path, n, key);
			goto fail;
		}
	}
	fclose(f);
	f = NULL;
	if (!idp->service_provider[0] || !idp->security_token_key[0] || !idp->issuer[0] ||
	    !idp->audience[0] || !idp->signing_key[0] || !idp->signing_cert[0]) {
		snprintf(why, whylen,
		         "%s: service_provider, security_token_key, issuer, audience, "
		         "signing_key and signing_cert are all needed",
		         path);
		goto fail;
	}
	/* Sign once now: a key that does not load stops device-sim at start. */
	if (sso_sign_assertion("<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" "
	                       "ID=\"_probe\" Version=\"2.0\" "
	                       "IssueInstant=\"2000-01-01T00:00:00Z\"><Issuer>probe</Issuer>"
	                       "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\">"
	                       "<SignedInfo><CanonicalizationMethod Algorithm="
	                       "\"http://www.w3.org/2001/10/xml-exc-c14n#\"/><SignatureMethod "
	                       "Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
	                       "<Reference URI=\"#_probe\"><Transforms><Transform Algorithm="
	                       "\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
	                       "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
	                       "</Transforms><DigestMethod Algorithm="
	                       "\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/>"
	                       "</Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data>"
	                       "<X509Certificate/></X509Data></KeyInfo></Signature></Assertion>",
	                       SIZE_MAX, idp->signing_key, idp->signing_cert, &probe) != 0) {
		snprintf(why, whylen, "%s: signing_key or signing_cert does not load", path);
		goto fail;
	}
	free(probe);
	if (pthread_mutex_init(&idp->lock, NULL) != 0) {
		snprintf(why, whylen, "cannot make a mutex");
		goto fail;
	}
	return idp;
fail:
	if (f)
		fclose(f);
	OPENSSL_cleanse(idp, sizeof(*idp));
	free(idp);
	return NULL;
}

void sso_idp_free(struct sso_idp *idp)
{
	if (!idp)
		return;
	free(idp->token);
	pthread_mutex_destroy(&idp->lock);
	OPENSSL_cleanse(idp, sizeof(*idp));
	free(idp);
}

/* ---- signing ------------------------------------------------------------------ */

int sso_sign_assertion(const char *xml, size_t len, const char *key_file, const char *cert_file,
                       char **b64)
{
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sig;
	xmlAttrPtr idattr;
	xmlChar *id = NULL;
	xmlSecDSigCtxPtr ctx = NULL;
	xmlBufferPtr buf = NULL;
	int rc = -1, n;

	*b64 = NULL;
	if (len == SIZE_MAX)
		len = strlen(xml);
	if (len > TOKEN_XML_MAX ||
	    !(doc = xmlReadMemory(xml, (int)len, NULL, NULL,
	                          XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)) ||
	    !(root = xmlDocGetRootElement(doc)) ||
	    !(idattr = xmlHasNsProp(root, (const xmlChar *)"ID", NULL)) ||
	    !(id = xmlGetNoNsProp(root, (const xmlChar *)"ID")))
		goto out;
	/* The reference "#ID" resolves through the ID table (xmldsig 4.4.3.3). */
	if (!xmlAddID(NULL, doc, id, idattr) ||
	    !(sig = xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs)))
		goto out;
	if (!(ctx = xmlSecDSigCtxCreate(NULL)) ||
	    !(ctx->signKey =
	          xmlSecCryptoAppKeyLoad(key_file, xmlSecKeyDataFormatPem, NULL, NULL, NULL)) ||
	    xmlSecCryptoAppKeyCertLoad(ctx->signKey, cert_file, xmlSecKeyDataFormatPem) < 0 ||
	    xmlSecDSigCtxSign(ctx, sig) < 0)
		goto out;
	/* The assertion alone, without an XML declaration, as an IdP sends it. */
	if (!(buf = xmlBufferCreate()) || xmlNodeDump(buf, doc, root, 0, 0) < 0)
		goto out;
	n = xmlBufferLength(buf);
	if (!(*b64 = malloc((size_t)(n + 2) / 3 * 4 + 1)))
		goto out;
	EVP_EncodeBlock((unsigned char *)*b64, xmlBufferContent(buf), n);
	rc = 0;
out:
	if (buf)
		xmlBufferFree(buf);
	if (ctx)
		xmlSecDSigCtxDestroy(ctx);
	xmlFree(id);
	xmlFreeDoc(doc);
	return rc;
}

/* ---- the token ------------------------------------------------------------------ */

static void xml_escape(char *out, size_t cap, const char *s)
{
	size_t o = 0;

	for (; *s && o + 7 < cap; s++) {
		const char *r = NULL;

		switch (*s) {
		case '&':
			r = "&amp;";
			break;
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '"':
			r = "&quot;";
			break;
		case '\'':
			r = "&apos;";
			break;
		}
		if (r) {
			memcpy(out + o, r, strlen(r));
			o += strlen(r);
		} else {
			out[o++] = *s;
		}
	}
	out[o] = '\0';
}

static void utc(char *out, size_t cap, time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, cap, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Signs a new assertion for nameid issued at now; *token malloc'd. */
static int mint(const struct sso_idp *idp, const char *nameid, time_t now, char **token)
{
	unsigned char rnd[16];
	char id[40], issued[32], notbefore[32], expires[32];
	char e_issuer[3 * SSO_FIELD_MAX], e_audience[3 * SSO_FIELD_MAX], e_nameid[1024];
	char *xml;
	int n, rc;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return -1;
	/* An ID must not start with a digit (xs:ID is an NCName). */
	id[0] = '_';
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(id + 1 + 2 * i, 3, "%02x", rnd[i]);
	utc(issued, sizeof(issued), now);
	utc(notbefore, sizeof(notbefore), now - 300);
	utc(expires, sizeof(expires), now + idp->lifetime);
	xml_escape(e_issuer, sizeof(e_issuer), idp->issuer);
	xml_escape(e_audience, sizeof(e_audience), idp->audience);
	xml_escape(e_nameid, sizeof(e_nameid), nameid);
	if (!(xml = malloc(TOKEN_XML_MAX)))
		return -1;
	n = snprintf(
	    xml, TOKEN_XML_MAX,
	    "<Assertion xmlns=\"urn:oasis:names:tc:SAML:2.0:assertion\" ID=\"%s\" "
	    "IssueInstant=\"%s\" Version=\"2.0\"><Issuer>%s</Issuer>"
	    "<Signature xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>"
	    "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
	    "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>"
	    "<Reference URI=\"#%s\"><Transforms>"
	    "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
	    "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/></Transforms>"
	    "<DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/><DigestValue/>"
	    "</Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data><X509Certificate/>"
	    "</X509Data></KeyInfo></Signature>"
	    "<Subject><NameID Format=\"urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified\">"
	    "%s</NameID><SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\">"
	    "<SubjectConfirmationData NotOnOrAfter=\"%s\"/></SubjectConfirmation></Subject>"
	    "<Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><AudienceRestriction>"
	    "<Audience>%s</Audience></AudienceRestriction></Conditions>"
	    "<AuthnStatement AuthnInstant=\"%s\" SessionIndex=\"%s\"><AuthnContext>"
	    "<AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	    "</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion>",
	    id, issued, e_issuer, id, e_nameid, expires, notbefore, expires, e_audience, issued,
	    id);
	rc = n > 0 && n < TOKEN_XML_MAX
	         ? sso_sign_assertion(xml, (size_t)n, idp->signing_key, idp->signing_cert, token)
	         : -1;
	free(xml);
	return rc;
}

/* Base64 of the configured key, compared in constant time. */
static int key_matches(const struct sso_idp *idp, const char *key_b64)
{
	size_t klen = strlen(idp->security_token_key);
	unsigned char want[SSO_FIELD_MAX * 2];
	size_t wlen, glen = strlen(key_b64);

	EVP_EncodeBlock(want, (const unsigned char *)idp->security_token_key, (int)klen);
	wlen = strlen((const char *)want);
	return glen == wlen && CRYPTO_memcmp(want, key_b64, wlen) == 0;
}

enum sso_token_err sso_idp_token(struct sso_idp *idp, const char *provider, const char *key_b64,
                                 const char *nameid, unsigned long login, time_t now, char **token)
{
	enum sso_token_err rc = SSO_TOKEN_FAILED;

	*token = NULL;
	if (strcmp(provider, idp->service_provider) != 0)
		return SSO_TOKEN_UNKNOWN_PROVIDER;
	if (!key_matches(idp, key_b64))
		return SSO_TOKEN_BAD_KEY;
	if (!nameid)
		return SSO_TOKEN_NO_USER;
	pthread_mutex_lock(&idp->lock);
	/* The token of this login session while it lasts; a new one after. */
	if (!idp->token || idp->login != login || now >= idp->until) {
		char *fresh = NULL;

		if (mint(idp, nameid, now, &fresh) != 0)
			goto out;
		free(idp->token);
		idp->token = fresh;
		idp->login = login;
		idp->until = now + idp->lifetime;
	}
	if ((*token = strdup(idp->token)) != NULL)
		rc = SSO_TOKEN_OK;
out:
	pthread_mutex_unlock(&idp->lock);
	return rc;
}
