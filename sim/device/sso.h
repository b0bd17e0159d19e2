/*
 * sso.h - the security token a logged-in user's device hands an EIP app
 * (DESIGN 3.4), as device-sim answers GetSecurityTokenRequest.
 *
 * The call, from Xerox's EIP library (XrxSession.js, 2020 revision "Added
 * GetSecurityToken"):
 *
 *   /webservices/office/cuisession/1, ns
 *   http://www.xerox.com/webservices/office/cuisession/1,
 *   GetSecurityTokenRequest { ServiceProvider  "the cloud service the client
 *                                               wishes to access"
 *                             SecurityTokenKey "a unique authorization key
 *                                               that allows the client to
 *                                               access the specified cloud
 *                                               service token", Base64 }
 *   -> GetSecurityTokenResponse { SecurityToken }   "A security token, Base64
 *                                                   encoded"
 *
 * Xerox's own Connect app (loginService.getSAMLToken, 2020) asks for
 * ServiceProvider "Office365" with the Base64 of a key the administrator
 * configured, forwards the answer as "SAMLToken", and treats a SOAP fault as
 * "no token".  What is in the token Xerox does not publish; device-sim
 * plays the part the name gives it: the site's identity provider issued a
 * SAML 2.0 assertion for the person when they signed in at the printer
 * (OASIS saml-core-2.0-os), signed as Microsoft Entra ID signs its SAML
 * tokens (learn.microsoft.com/entra/identity-platform/reference-saml-tokens:
 * enveloped RSA-SHA256 signature, exclusive C14N, the certificate in
 * KeyInfo).  The device keeps it for the login session: asked again, it
 * hands out the same token until that expires.  Nothing in it, nor in the
 * answer, is an element of our own.
 *
 * Its settings come from one file of "key = value" lines:
 *   service_provider    the ServiceProvider the device has a token for
 *   security_token_key  the key an app must present (Base64 on the wire)
 *   issuer, audience    the assertion's Issuer and Audience
 *   signing_key         PEM RSA private key file of the identity provider
 *   signing_cert        its PEM certificate (sent in KeyInfo)
 *   lifetime            seconds a token is valid (NotOnOrAfter), default 3600
 */
#ifndef DEVICE_SIM_SSO_H
#define DEVICE_SIM_SSO_H

#include <stddef.h>
#include <time.h>

struct sso_idp;

/* libxml2 and xmlsec (OpenSSL), once, before other threads: 0 or -1. */
int sso_xmlsec_init(void);
void sso_xmlsec_shutdown(void);

/* Reads the settings file and checks the key and certificate load.  NULL
 * with why on any error. */
struct sso_idp *sso_idp_load(const char *path, char *why, size_t whylen);
void sso_idp_free(struct sso_idp *idp);

enum sso_token_err {
	SSO_TOKEN_OK = 0,
	SSO_TOKEN_NO_USER,          /* nobody is logged in */
	SSO_TOKEN_UNKNOWN_PROVIDER, /* no token for that ServiceProvider */
	SSO_TOKEN_BAD_KEY,          /* SecurityTokenKey is not the configured key */
	SSO_TOKEN_FAILED,           /* signing failed, out of memory */
};

/* What a fault says for each error (never a secret). */
const char *sso_token_strerror(enum sso_token_err e);

/*
 * The Base64 security token of login session `login` of the person nameid
 * (NULL: nobody logged in), asked for provider with key_b64.  The token of
 * one login session is kept and handed out again until it expires; a new
 * login (another `login` number) gets a new one.  *token is malloc'd.
 */
enum sso_token_err sso_idp_token(struct sso_idp *idp, const char *provider, const char *key_b64,
                                 const char *nameid, unsigned long login, time_t now, char **token);

/*
 * Signs an assertion template: XML text whose root is a saml:Assertion with
 * an ID and an empty ds:Signature skeleton (SignedInfo with its Reference,
 * empty DigestValue and SignatureValue, KeyInfo/X509Data/X509Certificate).
 * Fills in the signature with key_file (PEM) and the certificate from
 * cert_file, and returns the whole assertion as Base64 in *b64 (malloc'd).
 * 0, or -1.  Also what the unit tests sign their tokens with.
 */
int sso_sign_assertion(const char *xml, size_t len, const char *key_file, const char *cert_file,
                       char **b64);

#endif
