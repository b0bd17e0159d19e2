/*
 * sso_assert.c - verify the printer's security token as a signed SAML 2.0
 * assertion (see sso_assert.h for every rule and its source).
 *
 * libxml2 parses, xmlsec (OpenSSL) checks the XML signature; this file
 * decides what shape is acceptable before and after, and reads the claims
 * only from the element the signature covers: the root.
 */
#include "sso_assert.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <xmlsec/crypto.h>
#include <xmlsec/errors.h>
#include <xmlsec/keys.h>
#include <xmlsec/transforms.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>

#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_DSIG "http://www.w3.org/2000/09/xmldsig#"

/* The algorithms of the profile (sso_assert.h), by their xmldsig URIs. */
#define ALG_EXC_C14N    "http://www.w3.org/2001/10/xml-exc-c14n#"
#define ALG_EXC_C14N_WC "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
#define ALG_ENVELOPED   "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#define ALG_RSA_SHA256  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
#define ALG_SHA256      "http://www.w3.org/2001/04/xmlenc#sha256"
#define CM_BEARER       "urn:oasis:names:tc:SAML:2.0:cm:bearer"

#define SSO_IDP_KEYS_MAX 8
#define SSO_XML_MAX      (SSO_TOKEN_MAX / 4 * 3)
#define SSO_NODES_MAX    2000 /* elements in a token; an assertion has a few dozen */
#define SSO_RSA_MIN_BITS 2048

struct sso_idp_keys {
	xmlSecKeyPtr keys[SSO_IDP_KEYS_MAX];
	size_t n;
};

static const char *const reasons[SSO_ASSERT__MAX] = {
    [SSO_ASSERT_OK] = "ok",
    [SSO_ASSERT_MALFORMED] = "malformed",
    [SSO_ASSERT_UNSIGNED] = "unsigned",
    [SSO_ASSERT_FORGED] = "forged",
    [SSO_ASSERT_WRONG_ISSUER] = "wrong_issuer",
    [SSO_ASSERT_WRONG_AUDIENCE] = "wrong_audience",
    [SSO_ASSERT_NOT_BEARER] = "not_bearer",
    [SSO_ASSERT_STALE] = "stale",
    [SSO_ASSERT_FUTURE] = "future",
};

const char *sso_assert_reason(enum sso_assert_result r)
{
	return (unsigned)r < SSO_ASSERT__MAX ? reasons[r] : "unknown";
}

int sso_serial_valid(const char *serial)
{
	size_t n = strnlen(serial, SSO_SERIAL_MAX + 1);

	if (n == 0 || n > SSO_SERIAL_MAX || serial[0] == '.')
		return 0;
	return strspn(serial,
	              "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

/* ---- set-up ----------------------------------------------------------------- */

int sso_assert_init(void)
{
	xmlInitParser();
	if (xmlSecInit() < 0)
		return -1;
	if (xmlSecCheckVersion() != 1 || xmlSecCryptoAppInit(NULL) < 0 || xmlSecCryptoInit() < 0) {
		xmlSecShutdown();
		return -1;
	}
	/* A refused token is an answer, not news for stderr. */
	xmlSecErrorsDefaultCallbackEnableOutput(0);
	return 0;
}

void sso_assert_shutdown(void)
{
	xmlSecCryptoShutdown();
	xmlSecCryptoAppShutdown();
	xmlSecShutdown();
	xmlCleanupParser();
}

/* ---- the identity provider's certificates -------------------------------------- */

size_t sso_idp_keys_count(const struct sso_idp_keys *k)
{
	return k ? k->n : 0;
}

void sso_idp_keys_free(struct sso_idp_keys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		xmlSecKeyDestroy(k->keys[i]);
	free(k);
}

/* One certificate as an xmlsec key: RSA of SSO_RSA_MIN_BITS or more. */
static xmlSecKeyPtr cert_key(X509 *x, char *why, size_t whylen)
{
	EVP_PKEY *pub = X509_get0_pubkey(x);
	unsigned char *der = NULL;
	xmlSecKeyPtr key = NULL;
	int len;

	if (!pub || EVP_PKEY_get_base_id(pub) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bits(pub) < SSO_RSA_MIN_BITS) {
		snprintf(why, whylen, "a certificate's key is not RSA of %d bits or more",
		         SSO_RSA_MIN_BITS);
		return NULL;
	}
	if ((len = i2d_X509(x, &der)) <= 0) {
		snprintf(why, whylen, "a certificate cannot be encoded");
		return NULL;
	}
	key = xmlSecCryptoAppKeyLoadMemory(der, (xmlSecSize)len, xmlSecKeyDataFormatCertDer, NULL,
	                                   NULL, NULL);
	OPENSSL_free(der);
	if (!key)
		snprintf(why, whylen, "xmlsec cannot use a certificate");
	return key;
}

struct sso_idp_keys *sso_idp_keys_load(const char *pem, size_t len, char *why, size_t whylen)
{
	struct sso_idp_keys *k = calloc(1, sizeof(*k));
	BIO *bio = NULL;
	X509 *x;

	if (!k || len > 1024 * 1024 || !(bio = BIO_new_mem_buf(pem, (int)len))) {
		snprintf(why, whylen, "out of memory, or the file is too large");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		xmlSecKeyPtr key;

		if (k->n == SSO_IDP_KEYS_MAX) {
			X509_free(x);
			snprintf(why, whylen, "more than %d certificates", SSO_IDP_KEYS_MAX);
			goto fail;
		}
		key = cert_key(x, why, whylen);
		X509_free(x);
		if (!key)
			goto fail;
		k->keys[k->n++] = key;
	}
	if (k->n == 0) {
		snprintf(why, whylen, "no PEM certificate");
		goto fail;
	}
	BIO_free(bio);
	return k;
fail:
	BIO_free(bio);
	sso_idp_keys_free(k);
	return NULL;
}

/* ---- small readers ------------------------------------------------------------ */

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * Base64 (RFC 4648, 4) with its padding; CR, LF, space and tab are skipped
 * (MIME line breaks, RFC 2045 6.8: nothing says the device does not wrap).
 * Anything else, a misplaced '=', or non-zero spare bits is refused.
 * Returns the decoded length, or -1.
 */
static long b64_decode(const char *in, size_t len, unsigned char *out, size_t outmax)
{
	uint32_t acc = 0;
	size_t o = 0, ndig = 0, npad = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (c == '\r' || c == '\n' || c == ' ' || c == '\t')
			continue;
		if (c == '=') {
			npad++;
			continue;
		}
		if (npad > 0 || (v = b64_value(c)) < 0)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		if (++ndig % 4 == 0) {
			if (o + 3 > outmax)
				return -1;
			out[o++] = (unsigned char)(acc >> 16);
			out[o++] = (unsigned char)(acc >> 8);
			out[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	switch (ndig % 4) {
	case 0:
		if (npad != 0)
			return -1;
		break;
	case 2:
		if (npad != 2 || (acc & 0xf) != 0 || o + 1 > outmax)
			return -1;
		out[o++] = (unsigned char)(acc >> 4);
		break;
	case 3:
		if (npad != 1 || (acc & 0x3) != 0 || o + 2 > outmax)
			return -1;
		out[o++] = (unsigned char)(acc >> 10);
		out[o++] = (unsigned char)(acc >> 2);
		break;
	default:
		return -1;
	}
	return (long)o;
}

static int is_el(xmlNodePtr n, const char *ns, const char *name)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, name) == 0;
}

/* The element children of parent called ns:name: the first, and how many. */
static xmlNodePtr child(xmlNodePtr parent, const char *ns, const char *name, int *count)
{
	xmlNodePtr first = NULL;

	*count = 0;
	for (xmlNodePtr c = parent ? parent->children : NULL; c; c = c->next)
		if (is_el(c, ns, name)) {
			if (!first)
				first = c;
			(*count)++;
		}
	return first;
}

/* The one child of ns:name, or NULL when there is none or more than one. */
static xmlNodePtr only_child(xmlNodePtr parent, const char *ns, const char *name)
{
	int n;
	xmlNodePtr c = child(parent, ns, name, &n);

	return n == 1 ? c : NULL;
}

/* How many element children parent has. */
static int element_children(xmlNodePtr parent)
{
	int n = 0;

	for (xmlNodePtr c = parent->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			n++;
	return n;
}

static int attr_is(xmlNodePtr n, const char *name, const char *want)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int same = v && strcmp((const char *)v, want) == 0;

	xmlFree(v);
	return same;
}

/*
 * The text of an element that holds exactly one text node (no comment, no
 * CDATA, no child element), XML white space trimmed at both ends, copied
 * into out (cap bytes with the NUL).  No control characters.  0, or -1.
 */
static int text_of(xmlNodePtr n, char *out, size_t cap)
{
	const char *s, *e;

	if (!n || !n->children || n->children != n->last || n->children->type != XML_TEXT_NODE ||
	    !n->children->content)
		return -1;
	s = (const char *)n->children->content;
	e = s + strlen(s);
	while (s < e && strchr(" \t\r\n", *s))
		s++;
	while (e > s && strchr(" \t\r\n", e[-1]))
		e--;
	if (s == e || (size_t)(e - s) >= cap)
		return -1;
	for (const char *p = s; p < e; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return -1;
	memcpy(out, s, (size_t)(e - s));
	out[e - s] = '\0';
	return 0;
}

int sso_time_parse(const char *s, long long *out)
{
	struct tm tm;
	const char *p;
	int f[6];
	static const int widths[6] = {4, 2, 2, 2, 2, 2};
	static const char seps[6] = {'-', '-', 'T', ':', ':', 0};
	time_t t;

	p = s;
	for (int i = 0; i < 6; i++) {
		f[i] = 0;
		for (int d = 0; d < widths[i]; d++, p++) {
			if (*p < '0' || *p > '9')
				return -1;
			f[i] = f[i] * 10 + (*p - '0');
		}
		if (seps[i]) {
			if (*p != seps[i])
				return -1;
			p++;
		}
	}
	if (*p == '.') {
		const char *q = ++p;

		while (*p >= '0' && *p <= '9')
			p++;
		if (p == q || p - q > 9)
			return -1;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -1;
	if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 ||
	    f[4] > 59 || f[5] > 60)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = f[0] - 1900;
	tm.tm_mon = f[1] - 1;
	tm.tm_mday = f[2];
	tm.tm_hour = f[3];
	tm.tm_min = f[4];
	tm.tm_sec = f[5];
	if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != f[2])
		return -1; /* February 30th normalized into March */
	*out = (long long)t;
	return 0;
}

/* The time attribute name of n: 1 absent, 0 parsed into *out, -1 bad. */
static int time_attr(xmlNodePtr n, const char *name, long long *out)
{
	xmlChar *v = xmlGetNoNsProp(n, (const xmlChar *)name);
	int rc;

	if (!v)
		return 1;
	rc = sso_time_parse((const char *)v, out);
	xmlFree(v);
	return rc;
}

/* ---- shape ---------------------------------------------------------------------- */

/*
 * Every node of the document: a bound on their number, and no ID attribute
 * (xml:id, which libxml2 registers by itself) anywhere before ours.  0, -1.
 */
static int walk_ok(xmlNodePtr n, int *budget)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (--*budget < 0)
			return -1;
		for (xmlAttrPtr a = n->properties; a; a = a->next)
			if (a->atype == XML_ATTRIBUTE_ID)
				return -1;
		if (walk_ok(n->children, budget) != 0)
			return -1;
	}
	return 0;
}

/* A Transform or a *Method element: Algorithm alg, and no children but an
 * InclusiveNamespaces when allow_prefixes (exclusive C14N, its PrefixList). */
static int algorithm_ok(xmlNodePtr n, const char *alg, int allow_prefixes)
{
	int kids;

	if (!n || !attr_is(n, "Algorithm", alg))
		return 0;
	kids = element_children(n);
	if (kids == 0)
		return 1;
	return allow_prefixes && kids == 1 &&
	       only_child(n, ALG_EXC_C14N, "InclusiveNamespaces") != NULL;
}

static int c14n_ok(xmlNodePtr n)
{
	return algorithm_ok(n, ALG_EXC_C14N, 1) || algorithm_ok(n, ALG_EXC_C14N_WC, 1);
}

/* The ds:Signature of the profile (core 5.4): the root's one Signature
 * child, one Reference to "#" + id, enveloped + exclusive C14N, SHA-256,
 * RSA-SHA256; SignedInfo, SignatureValue and an optional KeyInfo only. */
static xmlNodePtr signature_node(xmlNodePtr root, const char *id)
{
	xmlNodePtr sig = only_child(root, NS_DSIG, "Signature"), si, ref, tr, t1, t2;
	char uri[SSO_ASSERTION_ID_MAX + 2];
	int n_kinfo;

	if (!sig || !(si = only_child(sig, NS_DSIG, "SignedInfo")) ||
	    !only_child(sig, NS_DSIG, "SignatureValue"))
		return NULL;
	child(sig, NS_DSIG, "KeyInfo", &n_kinfo);
	if (element_children(sig) != 2 + n_kinfo || n_kinfo > 1)
		return NULL;
	if (element_children(si) != 3 ||
	    !c14n_ok(only_child(si, NS_DSIG, "CanonicalizationMethod")) ||
	    !algorithm_ok(only_child(si, NS_DSIG, "SignatureMethod"), ALG_RSA_SHA256, 0) ||
	    !(ref = only_child(si, NS_DSIG, "Reference")))
		return NULL;
	snprintf(uri, sizeof(uri), "#%s", id);
	if (!attr_is(ref, "URI", uri) || element_children(ref) != 3 ||
	    !(tr = only_child(ref, NS_DSIG, "Transforms")) || element_children(tr) != 2 ||
	    !algorithm_ok(only_child(ref, NS_DSIG, "DigestMethod"), ALG_SHA256, 0) ||
	    !only_child(ref, NS_DSIG, "DigestValue"))
		return NULL;
	/* In this order: the signature taken out, then the rest canonicalized. */
	for (t1 = tr->children; t1 && t1->type != XML_ELEMENT_NODE; t1 = t1->next)
		;
	for (t2 = t1 ? t1->next : NULL; t2 && t2->type != XML_ELEMENT_NODE; t2 = t2->next)
		;
	if (!is_el(t1, NS_DSIG, "Transform") || !algorithm_ok(t1, ALG_ENVELOPED, 0) ||
	    !is_el(t2, NS_DSIG, "Transform") || !c14n_ok(t2))
		return NULL;
	return sig;
}

/* ---- signature ---------------------------------------------------------------- */

static int enable_profile(xmlSecDSigCtxPtr ctx)
{
	ctx->enabledReferenceUris = xmlSecTransformUriTypeSameDocument;
	return xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformEnvelopedId) < 0 ||
	               xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
	               xmlSecDSigCtxEnableReferenceTransform(
	                   ctx, xmlSecTransformExclC14NWithCommentsId) < 0 ||
	               xmlSecDSigCtxEnableReferenceTransform(ctx, xmlSecTransformSha256Id) < 0 ||
	               xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformExclC14NId) < 0 ||
	               xmlSecDSigCtxEnableSignatureTransform(
	                   ctx, xmlSecTransformExclC14NWithCommentsId) < 0 ||
	               xmlSecDSigCtxEnableSignatureTransform(ctx, xmlSecTransformRsaSha256Id) < 0
	           ? -1
	           : 0;
}

/* 1 when sig verifies under one of the keys, with one reference to uri. */
static int signature_valid(xmlNodePtr sig, const struct sso_idp_keys *keys, const char *id)
{
	char uri[SSO_ASSERTION_ID_MAX + 2];

	snprintf(uri, sizeof(uri), "#%s", id);
	for (size_t i = 0; keys && i < keys->n; i++) {
		xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
		int ok = 0;

		if (!ctx)
			return 0;
		/* A key given here is the only one used: KeyInfo is not read. */
		ctx->signKey = xmlSecKeyDuplicate(keys->keys[i]);
		if (ctx->signKey && enable_profile(ctx) == 0 &&
		    xmlSecDSigCtxVerify(ctx, sig) == 0 &&
		    ctx->status == xmlSecDSigStatusSucceeded &&
		    xmlSecPtrListGetSize(&ctx->signedInfoReferences) == 1) {
			xmlSecDSigReferenceCtxPtr ref =
			    xmlSecPtrListGetItem(&ctx->signedInfoReferences, 0);

			ok = ref && ref->status == xmlSecDSigStatusSucceeded && ref->uri &&
			     strcmp((const char *)ref->uri, uri) == 0;
		}
		xmlSecDSigCtxDestroy(ctx);
		if (ok)
			return 1;
	}
	return 0;
}

/* ---- claims --------------------------------------------------------------------- */

/* Every AudienceRestriction of conditions names audience (core 2.5.1.4),
 * and there is at least one. */
static int audience_ok(xmlNodePtr conditions, const char *audience)
{
	int restrictions = 0;

	for (xmlNodePtr r = conditions->children; r; r = r->next) {
		int named = 0;

		if (!is_el(r, NS_SAML, "AudienceRestriction"))
			continue;
		restrictions++;
		for (xmlNodePtr a = r->children; a; a = a->next) {
			char text[SSO_ISSUER_MAX + 1];

			if (is_el(a, NS_SAML, "Audience") && text_of(a, text, sizeof(text)) == 0 &&
			    strcmp(text, audience) == 0)
				named = 1;
		}
		if (!named)
			return 0;
	}
	return restrictions > 0;
}

/* The window of n's NotBefore / NotOnOrAfter against now, narrowing
 * *until.  OK, or FUTURE, STALE, MALFORMED. */
static enum sso_assert_result window(xmlNodePtr n, long long now, long long *until)
{
	long long nb, noa;
	int has_nb = time_attr(n, "NotBefore", &nb), has_noa = time_attr(n, "NotOnOrAfter", &noa);

	if (has_nb < 0 || has_noa < 0)
		return SSO_ASSERT_MALFORMED;
	if (has_nb == 0 && now + SSO_CLOCK_SKEW < nb)
		return SSO_ASSERT_FUTURE;
	if (has_noa == 0) {
		if (now >= noa + SSO_CLOCK_SKEW)
			return SSO_ASSERT_STALE;
		if (noa + SSO_CLOCK_SKEW < *until)
			*until = noa + SSO_CLOCK_SKEW;
	}
	return SSO_ASSERT_OK;
}

/* Subject: its NameID into out->identity, and a bearer confirmation whose
 * data (if any) is within its window.  OK, or NOT_BEARER, FUTURE, STALE. */
static enum sso_assert_result subject(xmlNodePtr root, long long now, struct sso_claims *out,
                                      long long *until)
{
	xmlNodePtr subj = only_child(root, NS_SAML, "Subject");
	enum sso_assert_result worst = SSO_ASSERT_NOT_BEARER;

	if (!subj || text_of(only_child(subj, NS_SAML, "NameID"), out->identity,
	                     sizeof(out->identity)) != 0) {
		out->identity[0] = '\0';
		return SSO_ASSERT_NOT_BEARER;
	}
	for (xmlNodePtr sc = subj->children; sc; sc = sc->next) {
		xmlNodePtr data;
		long long u = *until;
		enum sso_assert_result r = SSO_ASSERT_OK;

		if (!is_el(sc, NS_SAML, "SubjectConfirmation") || !attr_is(sc, "Method", CM_BEARER))
			continue;
		if ((data = only_child(sc, NS_SAML, "SubjectConfirmationData")) != NULL)
			r = window(data, now, &u);
		if (r == SSO_ASSERT_OK) {
			*until = u;
			return SSO_ASSERT_OK;
		}
		worst = r;
	}
	return worst;
}

enum sso_assert_result sso_assert_verify(const char *token, size_t len,
                                         const struct sso_trust *trust, time_t now, long max_age,
                                         struct sso_claims *out)
{
	unsigned char *xml = NULL;
	xmlDocPtr doc = NULL;
	xmlNodePtr root, sig, conditions;
	xmlAttrPtr idattr;
	xmlChar *id = NULL, *version = NULL;
	char issuer[SSO_ISSUER_MAX + 1];
	long long issued, until;
	long xmllen;
	int budget = SSO_NODES_MAX;
	enum sso_assert_result rc = SSO_ASSERT_MALFORMED, r;

	memset(out, 0, sizeof(*out));
	if (len == 0 || len > SSO_TOKEN_MAX || memchr(token, '\0', len) ||
	    !(xml = malloc(SSO_XML_MAX)) ||
	    (xmllen = b64_decode(token, len, xml, SSO_XML_MAX)) <= 0)
		goto out;
	/* No network, no DTD loading, no entity substitution; errors are
	 * answers, not stderr output.  A document with a DTD is refused below. */
	doc = xmlReadMemory((const char *)xml, (int)xmllen, NULL, NULL,
	                    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	if (!doc || doc->intSubset || doc->extSubset || !(root = xmlDocGetRootElement(doc)) ||
	    !is_el(root, NS_SAML, "Assertion") || walk_ok(root, &budget) != 0)
		goto out;
	version = xmlGetNoNsProp(root, (const xmlChar *)"Version");
	idattr = xmlHasNsProp(root, (const xmlChar *)"ID", NULL);
	id = xmlGetNoNsProp(root, (const xmlChar *)"ID");
	if (!version || strcmp((const char *)version, "2.0") != 0 || !idattr || !id ||
	    id[0] == '\0' || strlen((const char *)id) > SSO_ASSERTION_ID_MAX ||
	    strcspn((const char *)id, " \t\r\n#'\"<>&") != strlen((const char *)id) ||
	    time_attr(root, "IssueInstant", &issued) != 0)
		goto out;
	/* The ID the reference names is the root's, and only the root's. */
	if (!xmlAddID(NULL, doc, id, idattr) || xmlGetID(doc, id) != idattr)
		goto out;
	snprintf(out->id, sizeof(out->id), "%s", (const char *)id);

	rc = SSO_ASSERT_UNSIGNED;
	if (!(sig = signature_node(root, (const char *)id)))
		goto out;
	rc = SSO_ASSERT_FORGED;
	if (!signature_valid(sig, trust->keys, (const char *)id))
		goto out;

	/* From here on everything read is covered by the signature.  The
	 * subject first, so that a refusal can name whom it was for. */
	if (text_of(only_child(only_child(root, NS_SAML, "Subject"), NS_SAML, "NameID"),
	            out->identity, sizeof(out->identity)) != 0)
		out->identity[0] = '\0';
	rc = SSO_ASSERT_WRONG_ISSUER;
	if (text_of(only_child(root, NS_SAML, "Issuer"), issuer, sizeof(issuer)) != 0 ||
	    strcmp(issuer, trust->issuer) != 0)
		goto out;
	rc = SSO_ASSERT_WRONG_AUDIENCE;
	if (!(conditions = only_child(root, NS_SAML, "Conditions")) ||
	    !audience_ok(conditions, trust->audience))
		goto out;
	until = issued + max_age + SSO_CLOCK_SKEW;
	if ((rc = subject(root, (long long)now, out, &until)) != SSO_ASSERT_OK)
		goto out;
	if ((rc = window(conditions, (long long)now, &until)) != SSO_ASSERT_OK)
		goto out;
	rc = SSO_ASSERT_FUTURE;
	if (issued > (long long)now + SSO_CLOCK_SKEW)
		goto out;
	rc = SSO_ASSERT_STALE;
	if ((long long)now >= until)
		goto out;
	out->issue_instant = issued;
	out->valid_until = until;
	rc = SSO_ASSERT_OK;
out:
	r = rc;
	if (r == SSO_ASSERT_MALFORMED || r == SSO_ASSERT_UNSIGNED || r == SSO_ASSERT_FORGED)
		memset(out, 0, sizeof(*out));
	xmlFree(id);
	xmlFree(version);
	xmlFreeDoc(doc);
	if (xml) {
		OPENSSL_cleanse(xml, SSO_XML_MAX);
		free(xml);
	}
	return r;
}
