/* fuzz_sso_token.c - the printer's security token as scanpost-ssod checks
 * it (src/lib/sso_assert.h): Base64, then XML, then the SAML and signature
 * shape.  An input of Base64 characters only is the token text as sent;
 * any other input is the XML document, encoded here, so the fuzzer reaches
 * the XML parser directly too. */
#include <openssl/evp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sso_assert.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A throwaway 2048-bit RSA certificate (tests only): a trust store to check
 * against; no fuzz input can be signed by it. */
static const char cert[] = "-----BEGIN CERTIFICATE-----\n"
                           "MIIDUTCCAjmgAwIBAgIUCp5J9LXyJ5/8Z+CHZrggnm0TyAwwDQYJKoZIhvcNAQEL\n"
                           "BQAwNzE1MDMGA1UEAwwsc2NhbnBvc3QgdGVzdCBpZGVudGl0eSBwcm92aWRlciAo\n"
                           "dGVzdHMgb25seSkwIBcNMjYxMjAyMDE1NTQ0WhgPMjEyNjExMDgwMTU1NDRaMDcx\n"
                           "NTAzBgNVBAMMLHNjYW5wb3N0IHRlc3QgaWRlbnRpdHkgcHJvdmlkZXIgKHRlc3Rz\n"
                           "IG9ubHkpMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAsyJ4Slb4rnTE\n"
                           "cy4FILe53Er0xW5FNlBeht4SrSZqX1Eu5k6W3LxL5OE90LYy+KPQFOUjrT0MbhhB\n"
                           "u5qgSoOYIoVCVguJvW4UN3E/9IK/JPvgzd+zTXmjiLXTppSZYgBGa7uQChktcYF7\n"
                           "HzLlwAoemM79+h9goAOJBI4rdPfZIZqLF6oECLjogybjt3vnFTPVIrrSY9rAi2kd\n"
                           "oGfj+LaJRHeRZacAGfK2YPmfG30EZHT16ZdEJqJQOyV50pQrUeZvOoybbC9mb7IN\n"
                           "Xyzu7RWiu2JWVLaUHA/KkoAdYHXAZkas543b3UAQnGOFjwe7jMdasK/B+8ZhCecc\n"
                           "AR4CbLHQ9QIDAQABo1MwUTAdBgNVHQ4EFgQUQH9Ri00IA/aNLvbEzwOKJ+8/V6Iw\n"
                           "HwYDVR0jBBgwFoAUQH9Ri00IA/aNLvbEzwOKJ+8/V6IwDwYDVR0TAQH/BAUwAwEB\n"
                           "/zANBgkqhkiG9w0BAQsFAAOCAQEAlBFQib0+pLUqBW7OmfduRrPcCAsedB5E64u/\n"
                           "aO3VfweiS4Lo6Bc9mphF7/W3RwcsoASGcyYRtadgPFPqtIdK97h8nO5UFnLWulTT\n"
                           "zcKyRLMxLqItSvf43q5wp7G3Og1pNr+8peJB4Nhyr5GzHyDLD6UVexzvG11B/sj8\n"
                           "4pUgkKEvqS8VC/ebEj8hKDa4PhB55ZMS44skstNbu+qq33wV86FEgXBw14UXXF4M\n"
                           "wIOixc0qT2q+ewT087k84fIf62kz/pBqtTf8z0kgqReHxtIqn2xoNxG8IdA4Zw6V\n"
                           "/krQCvvs97KRkKhoKC3ZZZ7FrURMrZqhl3bQ1Fz8GwkbEWfwgw==\n"
                           "-----END CERTIFICATE-----\n";

static struct sso_idp_keys *keys;

static int all_base64(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= '0' && p[i] <= '9') || p[i] == '+' || p[i] == '/' || p[i] == '=' ||
		      p[i] == '\n' || p[i] == '\r' || p[i] == ' '))
			return 0;
	return 1;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char why[160];

	(void)argc;
	(void)argv;
	if (sso_assert_init() != 0 ||
	    !(keys = sso_idp_keys_load(cert, strlen(cert), why, sizeof(why))))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char b64[SSO_TOKEN_MAX + 4];
	struct sso_trust trust = {keys, "https://idp.example.test/tenant/",
	                          "urn:scanpost:test-printers"};
	struct sso_claims c;
	enum sso_assert_result r;

	if (all_base64(data, size)) {
		r = sso_assert_verify((const char *)data, size, &trust, (time_t)1900000000, 3600,
		                      &c);
	} else {
		int n;

		if (size > SSO_TOKEN_MAX / 4 * 3)
			return 0; /* its Base64 would be refused for its length alone */
		n = EVP_EncodeBlock((unsigned char *)b64, data, (int)size);
		r = sso_assert_verify(b64, (size_t)n, &trust, (time_t)1900000000, 3600, &c);
	}
	/* No input is signed by the trusted key: nothing may pass. */
	if (r == SSO_ASSERT_OK || r >= SSO_ASSERT__MAX)
		abort();
	return 0;
}
