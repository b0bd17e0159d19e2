/* test_sso_assert.c - the printer's security token, a signed SAML 2.0
 * assertion: what is accepted, and why everything else is refused
 * (src/lib/sso_assert.h).  Tokens are signed here as device-sim signs them
 * (sim/device/sso.c) with the test-only keys of tests/fixtures/sso/, and
 * one fixture was signed by the xmlsec1 command-line tool instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "cunit_main.h"
#include "sso.h"
#include "sso_assert.h"

#ifndef SSO_FIXTURES
#error SSO_FIXTURES must name tests/fixtures/sso
#endif

#define NOW      1900000000LL /* 2030-03-17T17:46:40Z */
#define MAX_AGE  3600
#define ISSUER   "https://idp.example.test/tenant/"
#define AUDIENCE "urn:scanpost:test-printers"
#define ID       "_a1b2c3d4e5f60718293a4b5c6d7e8f90"

#define NS_SAML "urn:oasis:names:tc:SAML:2.0:assertion"
#define NS_DS   "http://www.w3.org/2000/09/xmldsig#"

static struct sso_idp_keys *trusted, *other;
static struct sso_claims claims;

/* ---- building tokens -------------------------------------------------------------- */

static char *slurp(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *buf;

	snprintf(path, sizeof(path), "%s/%s", SSO_FIXTURES, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	buf = malloc(65536);
	*len = fread(buf, 1, 65535, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static struct sso_idp_keys *load_keys(const char *name)
{
	char why[160];
	size_t len;
	char *pem = slurp(name, &len);
	struct sso_idp_keys *k = pem ? sso_idp_keys_load(pem, len, why, sizeof(why)) : NULL;

	free(pem);
	return k;
}

static void utc(char *out, long long t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* What a test changes in the assertion; zero fields are the good values. */
struct shape {
	const char *issuer, *nameid, *audience, *second_audience;
	long long issued, not_before, not_after, scd_not_after; /* offsets from NOW */
	int no_conditions, no_audience, no_bearer, no_nameid, no_signature;
	const char *method;      /* SubjectConfirmation Method */
	const char *sig_alg;     /* SignatureMethod */
	const char *ref_uri;     /* Reference URI */
	const char *extra_xform; /* a third Transform */
	const char *nameid_raw;  /* NameID content, as XML */
	const char *version;
};

static char *assertion_xml(const struct shape *s)
{
	char issued[32], nb[32], na[32], scd[32], sig[2048], subject[1024], cond[1024];
	char *xml = malloc(8192);

	utc(issued, NOW + s->issued);
	utc(nb, NOW + (s->not_before ? s->not_before : -300));
	utc(na, NOW + (s->not_after ? s->not_after : 3600));
	utc(scd, NOW + (s->scd_not_after ? s->scd_not_after : 3600));
	snprintf(sig, sizeof(sig),
	         "<Signature xmlns=\"" NS_DS "\"><SignedInfo>"
	         "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>"
	         "<SignatureMethod Algorithm=\"%s\"/><Reference URI=\"%s\"><Transforms>"
	         "<Transform Algorithm=\"http://www.w3.org/2000/09/xmldsig#enveloped-signature\"/>"
	         "<Transform Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>%s</Transforms>"
	         "<DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\"/>"
	         "<DigestValue/></Reference></SignedInfo><SignatureValue/><KeyInfo><X509Data>"
	         "<X509Certificate/></X509Data></KeyInfo></Signature>",
	         s->sig_alg ? s->sig_alg : "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	         s->ref_uri ? s->ref_uri : "#" ID, s->extra_xform ? s->extra_xform : "");
	snprintf(subject, sizeof(subject),
	         "<Subject>%s%s%s%s<SubjectConfirmation Method=\"%s\">"
	         "<SubjectConfirmationData NotOnOrAfter=\"%s\"/></SubjectConfirmation></Subject>",
	         s->no_nameid ? "" : "<NameID>",
	         s->no_nameid    ? ""
	         : s->nameid_raw ? s->nameid_raw
	         : s->nameid     ? s->nameid
	                         : "jane@example.test",
	         s->no_nameid ? "" : "</NameID>", "",
	         s->no_bearer ? "urn:oasis:names:tc:SAML:2.0:cm:holder-of-key"
	         : s->method  ? s->method
	                      : "urn:oasis:names:tc:SAML:2.0:cm:bearer",
	         scd);
	if (s->no_conditions)
		cond[0] = '\0';
	else if (s->no_audience)
		snprintf(cond, sizeof(cond), "<Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"/>",
		         nb, na);
	else
		snprintf(cond, sizeof(cond),
		         "<Conditions NotBefore=\"%s\" NotOnOrAfter=\"%s\"><AudienceRestriction>"
		         "<Audience>%s</Audience></AudienceRestriction>%s%s%s</Conditions>",
		         nb, na, s->audience ? s->audience : AUDIENCE,
		         s->second_audience ? "<AudienceRestriction><Audience>" : "",
		         s->second_audience ? s->second_audience : "",
		         s->second_audience ? "</Audience></AudienceRestriction>" : "");
	snprintf(xml, 8192,
	         "<Assertion xmlns=\"" NS_SAML "\" ID=\"" ID
	         "\" IssueInstant=\"%s\" Version=\"%s\">"
	         "<Issuer>%s</Issuer>%s%s%s<AuthnStatement AuthnInstant=\"%s\"><AuthnContext>"
	         "<AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:Password"
	         "</AuthnContextClassRef></AuthnContext></AuthnStatement></Assertion>",
	         issued, s->version ? s->version : "2.0", s->issuer ? s->issuer : ISSUER,
	         s->no_signature ? "" : sig, subject, cond, issued);
	return xml;
}

/* The token for shape s, signed with key (a fixture name, "idp-test"). */
static char *token_signed(const struct shape *s, const char *key)
{
	char keyf[512], certf[512], *b64 = NULL, *xml = assertion_xml(s);

	snprintf(keyf, sizeof(keyf), "%s/%s.key", SSO_FIXTURES, key);
	snprintf(certf, sizeof(certf), "%s/%s.crt", SSO_FIXTURES, key);
	if (s->no_signature) {
		b64 = malloc(strlen(xml) * 2 + 4);
		EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)xml, (int)strlen(xml));
	} else if (sso_sign_assertion(xml, strlen(xml), keyf, certf, &b64) != 0) {
		b64 = NULL;
	}
	free(xml);
	return b64;
}

static char *token(const struct shape *s)
{
	return token_signed(s, "idp-test");
}

static enum sso_assert_result verify_at(const char *tok, long long now)
{
	struct sso_trust t = {trusted, ISSUER, AUDIENCE};

	return sso_assert_verify(tok, strlen(tok), &t, (time_t)now, MAX_AGE, &claims);
}

static enum sso_assert_result verify(const char *tok)
{
	return verify_at(tok, NOW);
}

/* Base64 of raw XML text, unsigned or hand-edited. */
static char *b64_of(const char *xml)
{
	char *out = malloc(strlen(xml) * 2 + 4);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)xml, (int)strlen(xml));
	return out;
}

/* The decoded XML of a token (for hand edits). */
static char *xml_of(const char *tok)
{
	size_t n = strlen(tok);
	char *out = malloc(n);
	int len = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)tok, (int)n);

	/* EVP_DecodeBlock counts the padding as zero bytes: trim them. */
	while (len > 0 && out[len - 1] == '\0')
		len--;
	out[len] = '\0';
	return out;
}

/* Replaces the first `from` in s (malloc'd) by `to`; a new malloc'd string. */
static char *replace(char *s, const char *from, const char *to)
{
	char *at = strstr(s, from), *out;

	if (!at)
		return s;
	out = malloc(strlen(s) + strlen(to) + 1);
	memcpy(out, s, (size_t)(at - s));
	strcpy(out + (at - s), to);
	strcat(out, at + strlen(from));
	free(s);
	return out;
}

static const struct shape good;

/* ---- accepted ------------------------------------------------------------------------ */

static void test_token_of_the_trusted_provider_is_accepted_with_its_claims(void)
{
	char *t = token(&good);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_OK);
	CU_ASSERT_STRING_EQUAL(claims.identity, "jane@example.test");
	CU_ASSERT_STRING_EQUAL(claims.id, ID);
	CU_ASSERT_EQUAL(claims.issue_instant, NOW);
	/* The earliest of NotOnOrAfter (+3600) and IssueInstant + max age,
	 * plus the skew: how long the caller must remember the ID. */
	CU_ASSERT_EQUAL(claims.valid_until, NOW + 3600 + SSO_CLOCK_SKEW);
	free(t);
}

static void test_token_signed_by_the_xmlsec1_tool_is_accepted(void)
{
	size_t len;
	char *t = slurp("assertion-xmlsec1.b64", &len);
	struct sso_trust tr = {trusted, ISSUER, AUDIENCE};

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	/* Signed by another implementation, pretty-printed, prefixed, its
	 * Base64 wrapped at 76 characters; valid around 2030-01-01T00:00Z. */
	CU_ASSERT_EQUAL(sso_assert_verify(t, len, &tr, (time_t)1893456300LL, MAX_AGE, &claims),
	                SSO_ASSERT_OK);
	CU_ASSERT_STRING_EQUAL(claims.identity, "jane.doe@example.test");
	CU_ASSERT_EQUAL(claims.issue_instant, 1893456000LL);
	free(t);
}

static void test_second_trusted_certificate_verifies_too(void)
{
	size_t l1, l2;
	char *a = slurp("other-test.crt", &l1), *b = slurp("idp-test.crt", &l2), why[160];
	char *both = malloc(l1 + l2 + 1), *t = token(&good);
	struct sso_idp_keys *k;

	/* A rollover: the provider's next certificate is added first. */
	memcpy(both, a, l1);
	memcpy(both + l1, b, l2 + 1);
	k = sso_idp_keys_load(both, l1 + l2, why, sizeof(why));
	CU_ASSERT_PTR_NOT_NULL_FATAL(k);
	CU_ASSERT_EQUAL(sso_idp_keys_count(k), 2);
	struct sso_trust tr = {k, ISSUER, AUDIENCE};
	CU_ASSERT_EQUAL(sso_assert_verify(t, strlen(t), &tr, (time_t)NOW, MAX_AGE, &claims),
	                SSO_ASSERT_OK);
	sso_idp_keys_free(k);
	free(a);
	free(b);
	free(both);
	free(t);
}

/* ---- forged ---------------------------------------------------------------------------- */

static void test_token_of_another_provider_is_forged_despite_its_keyinfo(void)
{
	/* Signed with the other key, that key's certificate in KeyInfo: a
	 * verifier trusting KeyInfo would accept it. */
	char *t = token_signed(&good, "other-test");

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_FORGED);
	CU_ASSERT_STRING_EQUAL(claims.identity, "");
	free(t);
}

static void test_subject_changed_after_signing_is_forged(void)
{
	char *t = token(&good), *x = xml_of(t), *e;

	x = replace(x, "jane@example.test", "boss@example.test");
	e = b64_of(x);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_FORGED);
	free(t);
	free(x);
	free(e);
}

static void test_signature_value_altered_is_forged(void)
{
	char *t = token(&good), *x = xml_of(t), *sv = strstr(x, "<SignatureValue>"), *e;

	CU_ASSERT_PTR_NOT_NULL_FATAL(sv);
	sv += strlen("<SignatureValue>");
	*sv = *sv == 'A' ? 'B' : 'A';
	e = b64_of(x);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_FORGED);
	free(t);
	free(x);
	free(e);
}

/* ---- signature outside the profile ----------------------------------------------------- */

static void test_unsigned_token_is_refused(void)
{
	struct shape s = {.no_signature = 1};
	char *t = token(&s);

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_UNSIGNED);
	free(t);
}

static void test_rsa_sha1_is_outside_the_profile(void)
{
	struct shape s = {.sig_alg = "http://www.w3.org/2000/09/xmldsig#rsa-sha1"};
	char *t = token(&s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_UNSIGNED);
	free(t);
}

static void test_extra_transform_is_outside_the_profile(void)
{
	struct shape s = {
	    .extra_xform =
	        "<Transform Algorithm=\"http://www.w3.org/TR/2001/REC-xml-c14n-20010315\"/>"};
	char *t = token(&s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_UNSIGNED);
	free(t);
}

static void test_signature_missing_its_methods_is_unsigned(void)
{
	char *t = token(&good), *x = xml_of(t), *e;

	/* Found by the fuzzer: a SignedInfo without SignatureMethod (or
	 * CanonicalizationMethod) once dereferenced a NULL node. */
	x = replace(
	    x, "<SignatureMethod Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\"/>",
	    "");
	e = b64_of(x);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_UNSIGNED);
	free(e);
	x = replace(
	    x, "<CanonicalizationMethod Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\"/>",
	    "<Other/>");
	e = b64_of(x);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_UNSIGNED);
	free(t);
	free(x);
	free(e);
}

static void test_reference_to_the_whole_document_is_refused(void)
{
	struct shape s = {.ref_uri = ""};
	char *t = token(&s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_UNSIGNED);
	free(t);
}

/* ---- wrapping (the signed element is not the one read) ----------------------------------- */

static void test_signed_assertion_wrapped_in_an_evil_one_is_refused(void)
{
	char *t = token(&good), *inner = xml_of(t), *outer = malloc(strlen(inner) + 1024), *e;
	char issued[32];

	/* The genuine assertion inside Advice of a forged one (core 2.6.1):
	 * its signature is not a child of the root. */
	utc(issued, NOW);
	snprintf(outer, strlen(inner) + 1024,
	         "<Assertion xmlns=\"" NS_SAML
	         "\" ID=\"_evil\" IssueInstant=\"%s\" Version=\"2.0\">"
	         "<Issuer>" ISSUER "</Issuer><Subject><NameID>boss@example.test</NameID>"
	         "<SubjectConfirmation Method=\"urn:oasis:names:tc:SAML:2.0:cm:bearer\"/>"
	         "</Subject><Conditions><AudienceRestriction><Audience>" AUDIENCE
	         "</Audience></AudienceRestriction></Conditions><Advice>%s</Advice></Assertion>",
	         issued, inner);
	e = b64_of(outer);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_UNSIGNED);
	free(t);
	free(inner);
	free(outer);
	free(e);
}

static void test_genuine_signature_moved_to_an_evil_root_is_refused(void)
{
	char *t = token(&good), *x = xml_of(t), *e;

	/* Same signature, the root's ID changed: the reference no longer
	 * names the root. */
	x = replace(x, "ID=\"" ID "\"", "ID=\"_evil\"");
	x = replace(x, "jane@example.test", "boss@example.test");
	e = b64_of(x);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_UNSIGNED);
	free(t);
	free(x);
	free(e);
}

static void test_second_element_with_the_roots_id_is_refused(void)
{
	char *t = token(&good), *x = xml_of(t), *e;

	/* xml:id is an ID libxml2 registers by itself: it could capture the
	 * reference.  Refused wherever it appears. */
	x = replace(x, "<AuthnStatement ", "<AuthnStatement xml:id=\"" ID "\" ");
	e = b64_of(x);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_MALFORMED);
	free(t);
	free(x);
	free(e);
}

static void test_comment_inside_the_nameid_is_refused(void)
{
	/* Exclusive C14N drops comments, so the signature covers
	 * "jane@example.test.evil.test" either way; a reader taking only the
	 * first text node would see "jane@example.test". */
	struct shape s = {.nameid_raw = "jane@example.test<!---->.evil.test"};
	char *t = token(&s);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_NOT_BEARER);
	free(t);
}

/* ---- issuer, audience, subject ------------------------------------------------------------ */

static void test_other_issuer_is_refused(void)
{
	struct shape s = {.issuer = "https://evil.example.test/"};
	char *t = token(&s);

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_WRONG_ISSUER);
	/* Signed, so the subject is named for the audit trail. */
	CU_ASSERT_STRING_EQUAL(claims.identity, "jane@example.test");
	free(t);
}

static void test_token_for_another_audience_is_refused(void)
{
	struct shape s = {.audience = "urn:scanpost:other-printer"};
	char *t = token(&s);

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_WRONG_AUDIENCE);
	free(t);
}

static void test_every_audience_restriction_must_name_us(void)
{
	struct shape s = {.second_audience = "urn:scanpost:other-printer"};
	char *t = token(&s);

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_WRONG_AUDIENCE);
	free(t);
}

static void test_token_without_audience_is_refused(void)
{
	struct shape a = {.no_audience = 1}, b = {.no_conditions = 1};
	char *ta = token(&a), *tb = token(&b);

	CU_ASSERT_EQUAL(verify(ta), SSO_ASSERT_WRONG_AUDIENCE);
	CU_ASSERT_EQUAL(verify(tb), SSO_ASSERT_WRONG_AUDIENCE);
	free(ta);
	free(tb);
}

static void test_subject_without_bearer_or_nameid_is_refused(void)
{
	struct shape a = {.no_bearer = 1}, b = {.no_nameid = 1};
	char *ta = token(&a), *tb = token(&b);

	CU_ASSERT_EQUAL(verify(ta), SSO_ASSERT_NOT_BEARER);
	CU_ASSERT_EQUAL(verify(tb), SSO_ASSERT_NOT_BEARER);
	free(ta);
	free(tb);
}

/* ---- time ------------------------------------------------------------------------------------ */

static void test_expired_token_is_stale_after_the_skew(void)
{
	char *t = token(&good); /* NotOnOrAfter = NOW + 3600 */

	CU_ASSERT_EQUAL(verify_at(t, NOW + 3600 + SSO_CLOCK_SKEW - 1), SSO_ASSERT_OK);
	CU_ASSERT_EQUAL(verify_at(t, NOW + 3600 + SSO_CLOCK_SKEW), SSO_ASSERT_STALE);
	free(t);
}

static void test_old_issue_instant_is_stale_even_when_not_expired(void)
{
	/* Issued two hours ago, valid for a day: max_age (an hour) decides. */
	struct shape s = {.issued = -7200, .not_after = 86400, .scd_not_after = 86400};
	char *t = token(&s);

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_STALE);
	free(t);
}

static void test_expired_subject_confirmation_is_stale(void)
{
	struct shape s = {.scd_not_after = -120};
	char *t = token(&s);

	CU_ASSERT_EQUAL(verify(t), SSO_ASSERT_STALE);
	free(t);
}

static void test_token_not_valid_yet_is_future(void)
{
	struct shape a = {.not_before = 600}, b = {.issued = 600};
	char *ta = token(&a), *tb = token(&b);

	CU_ASSERT_EQUAL(verify(ta), SSO_ASSERT_FUTURE);
	CU_ASSERT_EQUAL(verify(tb), SSO_ASSERT_FUTURE);
	/* Within the skew is fine. */
	CU_ASSERT_EQUAL(verify_at(ta, NOW + 600 - SSO_CLOCK_SKEW), SSO_ASSERT_OK);
	free(ta);
	free(tb);
}

static void test_time_values_are_utc_xs_datetime(void)
{
	long long t;

	CU_ASSERT_EQUAL(sso_time_parse("2030-01-01T00:00:00Z", &t), 0);
	CU_ASSERT_EQUAL(t, 1893456000LL);
	CU_ASSERT_EQUAL(sso_time_parse("2030-01-01T00:00:00.1234567Z", &t), 0);
	CU_ASSERT_EQUAL(t, 1893456000LL);
	/* SAML core 1.3.3: UTC with no time zone component. */
	CU_ASSERT_EQUAL(sso_time_parse("2030-01-01T00:00:00+01:00", &t), -1);
	CU_ASSERT_EQUAL(sso_time_parse("2030-01-01T00:00:00", &t), -1);
	CU_ASSERT_EQUAL(sso_time_parse("2030-02-30T00:00:00Z", &t), -1);
	CU_ASSERT_EQUAL(sso_time_parse("2030-1-01T00:00:00Z", &t), -1);
	CU_ASSERT_EQUAL(sso_time_parse("2030-01-01T00:00:00.Z", &t), -1);
	CU_ASSERT_EQUAL(sso_time_parse("", &t), -1);
}

/* ---- malformed --------------------------------------------------------------------------------
 */

static void test_not_base64_or_not_xml_is_malformed(void)
{
	char *e = b64_of("not XML at all");

	CU_ASSERT_EQUAL(verify("!!!!"), SSO_ASSERT_MALFORMED);
	CU_ASSERT_EQUAL(verify("QUJD="), SSO_ASSERT_MALFORMED); /* misplaced padding */
	CU_ASSERT_EQUAL(verify("QUI="), SSO_ASSERT_MALFORMED);  /* spare bits set */
	CU_ASSERT_EQUAL(verify(""), SSO_ASSERT_MALFORMED);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_MALFORMED);
	free(e);
}

static void test_document_with_a_dtd_is_malformed(void)
{
	char *t = token(&good), *x = xml_of(t), *d = malloc(strlen(x) + 200), *e;

	/* No DTD, so no entity can be declared (billion laughs, XXE). */
	snprintf(d, strlen(x) + 200, "<!DOCTYPE Assertion [<!ENTITY e \"x\">]>%s", x);
	e = b64_of(d);
	CU_ASSERT_EQUAL(verify(e), SSO_ASSERT_MALFORMED);
	free(t);
	free(x);
	free(d);
	free(e);
}

static void test_other_root_or_version_is_malformed(void)
{
	struct shape v = {.version = "1.1"};
	char *tv = token(&v);
	char *r = b64_of("<Response xmlns=\"urn:oasis:names:tc:SAML:2.0:protocol\" ID=\"_r\"/>");

	CU_ASSERT_EQUAL(verify(tv), SSO_ASSERT_MALFORMED);
	CU_ASSERT_EQUAL(verify(r), SSO_ASSERT_MALFORMED);
	free(tv);
	free(r);
}

static void test_too_long_token_is_malformed_without_decoding(void)
{
	char *big = malloc(SSO_TOKEN_MAX + 2);

	memset(big, 'A', SSO_TOKEN_MAX + 1);
	big[SSO_TOKEN_MAX + 1] = '\0';
	CU_ASSERT_EQUAL(verify(big), SSO_ASSERT_MALFORMED);
	free(big);
}

/* ---- certificates -------------------------------------------------------------------------------
 */

static void test_weak_or_missing_certificates_are_refused(void)
{
	char why[160];
	size_t len;
	char *weak = slurp("weak-test.crt", &len), *key = slurp("idp-test.key", &len);

	CU_ASSERT_PTR_NULL(sso_idp_keys_load(weak, strlen(weak), why, sizeof(why)));
	CU_ASSERT_PTR_NOT_NULL(strstr(why, "2048"));
	/* A private key is not a certificate. */
	CU_ASSERT_PTR_NULL(sso_idp_keys_load(key, strlen(key), why, sizeof(why)));
	CU_ASSERT_PTR_NULL(sso_idp_keys_load("", 0, why, sizeof(why)));
	free(weak);
	free(key);
}

static void test_serial_validity_rules(void)
{
	CU_ASSERT_TRUE(sso_serial_valid("3TB123456"));
	CU_ASSERT_TRUE(sso_serial_valid("A.b_c-9"));
	CU_ASSERT_FALSE(sso_serial_valid(""));
	CU_ASSERT_FALSE(sso_serial_valid(".x"));
	CU_ASSERT_FALSE(sso_serial_valid("a/b"));
	CU_ASSERT_FALSE(sso_serial_valid("a b"));
	CU_ASSERT_FALSE(sso_serial_valid("123456789012345678901234567890123")); /* 33 */
	CU_ASSERT_STRING_EQUAL(sso_assert_reason(SSO_ASSERT_WRONG_AUDIENCE), "wrong_audience");
}

static CU_TestInfo tests[] = {
    {"token of the trusted provider is accepted with its claims",
     test_token_of_the_trusted_provider_is_accepted_with_its_claims},
    {"token signed by the xmlsec1 tool is accepted",
     test_token_signed_by_the_xmlsec1_tool_is_accepted},
    {"second trusted certificate verifies too", test_second_trusted_certificate_verifies_too},
    {"token of another provider is forged despite its KeyInfo",
     test_token_of_another_provider_is_forged_despite_its_keyinfo},
    {"subject changed after signing is forged", test_subject_changed_after_signing_is_forged},
    {"signature value altered is forged", test_signature_value_altered_is_forged},
    {"unsigned token is refused", test_unsigned_token_is_refused},
    {"rsa-sha1 is outside the profile", test_rsa_sha1_is_outside_the_profile},
    {"extra transform is outside the profile", test_extra_transform_is_outside_the_profile},
    {"signature missing its methods is unsigned", test_signature_missing_its_methods_is_unsigned},
    {"reference to the whole document is refused", test_reference_to_the_whole_document_is_refused},
    {"signed assertion wrapped in an evil one is refused",
     test_signed_assertion_wrapped_in_an_evil_one_is_refused},
    {"genuine signature moved to an evil root is refused",
     test_genuine_signature_moved_to_an_evil_root_is_refused},
    {"second element with the root's id is refused",
     test_second_element_with_the_roots_id_is_refused},
    {"comment inside the NameID is refused", test_comment_inside_the_nameid_is_refused},
    {"other issuer is refused", test_other_issuer_is_refused},
    {"token for another audience is refused", test_token_for_another_audience_is_refused},
    {"every AudienceRestriction must name us", test_every_audience_restriction_must_name_us},
    {"token without audience is refused", test_token_without_audience_is_refused},
    {"subject without bearer or NameID is refused",
     test_subject_without_bearer_or_nameid_is_refused},
    {"expired token is stale after the skew", test_expired_token_is_stale_after_the_skew},
    {"old IssueInstant is stale even when not expired",
     test_old_issue_instant_is_stale_even_when_not_expired},
    {"expired subject confirmation is stale", test_expired_subject_confirmation_is_stale},
    {"token not valid yet is future", test_token_not_valid_yet_is_future},
    {"time values are UTC xs:dateTime", test_time_values_are_utc_xs_datetime},
    {"not Base64 or not XML is malformed", test_not_base64_or_not_xml_is_malformed},
    {"document with a DTD is malformed", test_document_with_a_dtd_is_malformed},
    {"other root or version is malformed", test_other_root_or_version_is_malformed},
    {"too long token is malformed without decoding",
     test_too_long_token_is_malformed_without_decoding},
    {"weak or missing certificates are refused", test_weak_or_missing_certificates_are_refused},
    {"serial validity rules", test_serial_validity_rules},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	int rc;

	if (sso_assert_init() != 0)
		return 2;
	trusted = load_keys("idp-test.crt");
	other = load_keys("other-test.crt");
	if (!trusted || !other)
		return 2;
	rc = run_suite("sso_assert", tests);
	sso_idp_keys_free(trusted);
	sso_idp_keys_free(other);
	sso_assert_shutdown();
	return rc;
}
