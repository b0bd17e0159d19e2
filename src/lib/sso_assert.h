/*
 * sso_assert.h - the printer's proof of who is logged in at it (DESIGN 3.4):
 * parse and verify, nothing else.  No I/O, no clock, no database: the
 * caller supplies the trusted certificates, the expected issuer and
 * audience, and the time.
 *
 * What a real installation has.  Xerox's EIP library (XrxSession.js, the
 * 2020 revision "Added GetSecurityToken") lets an app ask the device for
 * the security token of its logged-in user:
 *
 *   POST /webservices/office/cuisession/1, SOAP 1.1,
 *   GetSecurityTokenRequest (ns http://www.xerox.com/webservices/office/
 *   cuisession/1) { ServiceProvider, SecurityTokenKey (Base64) }
 *   -> GetSecurityTokenResponse { SecurityToken }  "A security token, Base64
 *      encoded"; a failure is a SOAP fault
 *
 * Xerox's own Connect app for Microsoft 365 calls it with ServiceProvider
 * "Office365" and forwards the answer to its server as "SAMLToken".  Xerox
 * publishes neither the token's format nor its issuer, so scanpost takes it
 * to be what that name says: a SAML 2.0 assertion signed by the site's
 * identity provider (the one people sign in with at the printer), and
 * verifies it as a relying party would, by these rules (OASIS SAML 2.0
 * Core, saml-core-2.0-os, "core"; Profiles, saml-profiles-2.0-os; W3C
 * XML Signature, "xmldsig"):
 *
 *   - Base64 (RFC 4648, 4; line breaks tolerated) of one XML document,
 *     without a DTD (no entities), whose root is a saml:Assertion,
 *     Version "2.0" (core 2.3.3), with an ID no other node shares.
 *   - Signed: one ds:Signature child of the assertion (core 5.4.1,
 *     enveloped), one Reference whose URI is "#" + the assertion's ID
 *     (core 5.4.2), transforms enveloped-signature then exclusive C14N and
 *     nothing else (core 5.4.3, 5.4.4), SHA-256 digest, RSA-SHA256 over
 *     SignedInfo canonicalized by exclusive C14N (xmldsig 6.1, RFC 6931
 *     2.3.2), verified with a configured certificate (2048-bit RSA or
 *     more); a KeyInfo in the token is never trusted.
 *   - Issuer (core 2.3.3, first child) equal to the configured issuer.
 *   - Conditions with an AudienceRestriction naming the configured
 *     audience; every AudienceRestriction must (core 2.5.1.4).
 *   - Subject with a NameID (the person) and a bearer SubjectConfirmation
 *     (core 2.4.1.1; profiles 4.1.4.2).
 *   - Times in UTC with a "Z" (core 1.3.3): Conditions NotBefore and
 *     NotOnOrAfter (core 2.5.1.2), SubjectConfirmationData NotBefore and
 *     NotOnOrAfter (core 2.4.1.2), each with SSO_CLOCK_SKEW seconds of
 *     slack, and IssueInstant no older than max_age.
 *   - Replay (profiles 4.1.4.5: an assertion's ID is used once while it is
 *     valid) is the caller's to refuse: claims.id and claims.valid_until.
 *
 * Every element whose text is read (Issuer, NameID, Audience) must hold
 * one text node and nothing else, so what is read is what was signed
 * (a comment inside a NameID is refused, not skipped).
 */
#ifndef SCANPOST_SSO_ASSERT_H
#define SCANPOST_SSO_ASSERT_H

#include <stddef.h>
#include <time.h>

#define SSO_TOKEN_MAX        16384 /* Base64 characters of a security token */
#define SSO_IDENTITY_MAX     256   /* bytes of a NameID: the vault's key */
#define SSO_ISSUER_MAX       512
#define SSO_ASSERTION_ID_MAX 128
#define SSO_SERIAL_MAX       32
#define SSO_CLOCK_SKEW       60 /* seconds a clock may differ from the issuer's */

enum sso_assert_result {
	SSO_ASSERT_OK = 0,
	SSO_ASSERT_MALFORMED,      /* not Base64, not XML, not a SAML 2.0 assertion */
	SSO_ASSERT_UNSIGNED,       /* no signature, or one outside the profile above */
	SSO_ASSERT_FORGED,         /* the signature fails under every trusted certificate */
	SSO_ASSERT_WRONG_ISSUER,   /* signed, but by an issuer we do not trust */
	SSO_ASSERT_WRONG_AUDIENCE, /* issued for another relying party or device */
	SSO_ASSERT_NOT_BEARER,     /* no NameID, or no bearer confirmation */
	SSO_ASSERT_STALE,          /* expired, or issued longer than max_age ago */
	SSO_ASSERT_FUTURE,         /* not valid yet */
	SSO_ASSERT__MAX
};

/* What a verified assertion says. */
struct sso_claims {
	char identity[SSO_IDENTITY_MAX + 1]; /* Subject/NameID */
	char id[SSO_ASSERTION_ID_MAX + 1];   /* Assertion/@ID, for replay refusal */
	long long issue_instant;             /* Unix seconds */
	/* The last second the assertion is acceptable: the earliest of its
	 * NotOnOrAfter values and IssueInstant + max_age, plus the skew. */
	long long valid_until;
};

/* The certificates of the identity provider (one PEM file, several
 * certificates for a rollover).  Opaque. */
struct sso_idp_keys;

/* Process-wide set-up of libxml2 and xmlsec (OpenSSL); once, before any
 * thread uses this module.  0, or -1.  sso_assert_shutdown at exit. */
int sso_assert_init(void);
void sso_assert_shutdown(void);

/* Loads every certificate in the PEM text (len bytes).  Returns NULL with
 * why when there is none, one does not parse, or a key is not RSA of at
 * least 2048 bits.  Free with sso_idp_keys_free. */
struct sso_idp_keys *sso_idp_keys_load(const char *pem, size_t len, char *why, size_t whylen);
size_t sso_idp_keys_count(const struct sso_idp_keys *k);
void sso_idp_keys_free(struct sso_idp_keys *k);

struct sso_trust {
	const struct sso_idp_keys *keys;
	const char *issuer;   /* exact Issuer */
	const char *audience; /* exact Audience the token must name */
};

/*
 * Verifies the Base64 token (len characters) at time now, allowing
 * IssueInstant to be max_age seconds old.  Checks in this order: form,
 * signature, issuer, audience, subject, time.  On SSO_ASSERT_OK *out holds
 * the claims; on a failure after the signature, out->identity holds the
 * (signed) subject for the audit trail when there is one; else out is
 * zeroed.
 */
enum sso_assert_result sso_assert_verify(const char *token, size_t len,
                                         const struct sso_trust *trust, time_t now, long max_age,
                                         struct sso_claims *out);

/* A snake_case reason for logs and audit details ("stale", "forged", ...). */
const char *sso_assert_reason(enum sso_assert_result r);

/* 1 when serial is 1..SSO_SERIAL_MAX of [A-Za-z0-9._-], not starting with
 * '.'. */
int sso_serial_valid(const char *serial);

/* Parses a SAML time (xs:dateTime in UTC: YYYY-MM-DDThh:mm:ss[.f]Z, core
 * 1.3.3) into Unix seconds (fractions dropped).  0, or -1. */
int sso_time_parse(const char *s, long long *out);

#endif
