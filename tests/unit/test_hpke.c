/*
 * test_hpke.c - src/lib/hpke.c against RFC 9180's own test vectors
 * (Appendix A.1.1: DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, AES-128-GCM,
 * base mode, sequence number 0), and what the token sealing relies on with
 * AES-256-GCM: round trips, and refusal of anything altered.
 */
#include <CUnit/Basic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cunit_main.h"
#include "hpke.h"

/* RFC 9180, A.1.1. */
static const char info_hex[] = "4f6465206f6e2061204772656369616e2055726e";
static const char skEm_hex[] = "52c4a758a802cd8b936eceea314432798d5baf2d7e9235dc084ab1b9cfa2f736";
static const char pkEm_hex[] = "37fda3567bdbd628e88668c3c8d7e97d1d1253b6d4ea6d44c150f741f1bf4431";
static const char skRm_hex[] = "4612c550263fc8ad58375df3f557aac531d26850903e55a9f23f21d8534e8ac8";
static const char pkRm_hex[] = "3948cfe0ad1ddb695d780e59077195da6c56506b027329794ab02bca80815c4d";
static const char pt_hex[] = "4265617574792069732074727574682c20747275746820626561757479";
static const char aad_hex[] = "436f756e742d30";
static const char ct_hex[] = "f938558b5d72f1a23810b4be2ab4f84331acc02fc97babc53a52ae8218a355a9"
                             "6d8770ac83d07bea87e13c512a";

static size_t unhex(const char *hex, uint8_t *out)
{
	size_t n = strlen(hex) / 2;

	for (size_t i = 0; i < n; i++)
		sscanf(hex + 2 * i, "%2hhx", &out[i]);
	return n;
}

static void test_public_keys_of_the_rfc_vectors(void)
{
	uint8_t sk[32], pk[32], want[32];

	unhex(skEm_hex, sk);
	unhex(pkEm_hex, want);
	CU_ASSERT_EQUAL(hpke_public_of(sk, pk), 0);
	CU_ASSERT(memcmp(pk, want, 32) == 0);
	unhex(skRm_hex, sk);
	unhex(pkRm_hex, want);
	CU_ASSERT_EQUAL(hpke_public_of(sk, pk), 0);
	CU_ASSERT(memcmp(pk, want, 32) == 0);
}

static void test_seal_gives_the_rfc_ciphertext(void)
{
	uint8_t info[64], skE[32], pkR[32], pt[64], aad[16], want[128], enc[32], ct[128], encw[32];
	size_t infolen = unhex(info_hex, info), ptlen = unhex(pt_hex, pt);
	size_t aadlen = unhex(aad_hex, aad), ctlen = unhex(ct_hex, want);

	unhex(skEm_hex, skE);
	unhex(pkRm_hex, pkR);
	unhex(pkEm_hex, encw);
	CU_ASSERT_EQUAL_FATAL(ctlen, ptlen + HPKE_TAG_LEN);
	CU_ASSERT_EQUAL(hpke_seal_base(HPKE_AES_128_GCM, pkR, skE, info, infolen, aad, aadlen, pt,
	                               ptlen, enc, ct),
	                0);
	CU_ASSERT(memcmp(enc, encw, 32) == 0);
	CU_ASSERT(memcmp(ct, want, ctlen) == 0);
}

static void test_open_reads_the_rfc_ciphertext(void)
{
	uint8_t info[64], skR[32], enc[32], pt[64], aad[16], ct[128], out[128];
	size_t infolen = unhex(info_hex, info), ptlen = unhex(pt_hex, pt);
	size_t aadlen = unhex(aad_hex, aad), ctlen = unhex(ct_hex, ct);

	unhex(skRm_hex, skR);
	unhex(pkEm_hex, enc);
	CU_ASSERT_EQUAL(
	    hpke_open_base(HPKE_AES_128_GCM, skR, enc, info, infolen, aad, aadlen, ct, ctlen, out),
	    0);
	CU_ASSERT(memcmp(out, pt, ptlen) == 0);
}

static void test_aes_256_round_trips_with_a_fresh_ephemeral_key(void)
{
	static const char msg[] = "rmail bearer token";
	uint8_t skR[32], pkR[32], enc[32], enc2[32], ct[64], ct2[64], out[64];

	unhex(skRm_hex, skR);
	CU_ASSERT_EQUAL_FATAL(hpke_public_of(skR, pkR), 0);
	CU_ASSERT_EQUAL(
	    hpke_seal_base(HPKE_AES_256_GCM, pkR, NULL, "i", 1, "a", 1, msg, sizeof(msg), enc, ct),
	    0);
	CU_ASSERT_EQUAL(hpke_seal_base(HPKE_AES_256_GCM, pkR, NULL, "i", 1, "a", 1, msg,
	                               sizeof(msg), enc2, ct2),
	                0);
	/* A fresh ephemeral key each time: nothing repeats. */
	CU_ASSERT(memcmp(enc, enc2, 32) != 0);
	CU_ASSERT(memcmp(ct, ct2, sizeof(msg)) != 0);
	CU_ASSERT_EQUAL(hpke_open_base(HPKE_AES_256_GCM, skR, enc, "i", 1, "a", 1, ct,
	                               sizeof(msg) + HPKE_TAG_LEN, out),
	                0);
	CU_ASSERT(memcmp(out, msg, sizeof(msg)) == 0);
}

static void test_open_refuses_anything_altered(void)
{
	static const char msg[] = "rmail bearer token";
	uint8_t skR[32], pkR[32], other[32], enc[32], ct[64], out[64];
	size_t n = sizeof(msg) + HPKE_TAG_LEN;
	uint8_t any = 0;

	unhex(skRm_hex, skR);
	unhex(skEm_hex, other);
	CU_ASSERT_EQUAL_FATAL(hpke_public_of(skR, pkR), 0);
	CU_ASSERT_EQUAL_FATAL(hpke_seal_base(HPKE_AES_256_GCM, pkR, NULL, "i", 1, "aad", 3, msg,
	                                     sizeof(msg), enc, ct),
	                      0);
	CU_ASSERT_NOT_EQUAL(
	    hpke_open_base(HPKE_AES_256_GCM, skR, enc, "i", 1, "aaD", 3, ct, n, out), 0);
	CU_ASSERT_NOT_EQUAL(
	    hpke_open_base(HPKE_AES_256_GCM, skR, enc, "j", 1, "aad", 3, ct, n, out), 0);
	CU_ASSERT_NOT_EQUAL(
	    hpke_open_base(HPKE_AES_256_GCM, other, enc, "i", 1, "aad", 3, ct, n, out), 0);
	CU_ASSERT_NOT_EQUAL(
	    hpke_open_base(HPKE_AES_128_GCM, skR, enc, "i", 1, "aad", 3, ct, n, out), 0);
	for (size_t i = 0; i < n; i += 7) {
		ct[i] ^= 1;
		CU_ASSERT_NOT_EQUAL(
		    hpke_open_base(HPKE_AES_256_GCM, skR, enc, "i", 1, "aad", 3, ct, n, out), 0);
		ct[i] ^= 1;
	}
	enc[5] ^= 1;
	CU_ASSERT_NOT_EQUAL(
	    hpke_open_base(HPKE_AES_256_GCM, skR, enc, "i", 1, "aad", 3, ct, n, out), 0);
	enc[5] ^= 1;
	CU_ASSERT_NOT_EQUAL(
	    hpke_open_base(HPKE_AES_256_GCM, skR, enc, "i", 1, "aad", 3, ct, HPKE_TAG_LEN - 1, out),
	    0);
	/* A refused open leaves no plaintext behind. */
	for (size_t i = 0; i < sizeof(msg); i++)
		any |= out[i];
	CU_ASSERT_EQUAL(any, 0);
	CU_ASSERT_EQUAL(hpke_open_base(HPKE_AES_256_GCM, skR, enc, "i", 1, "aad", 3, ct, n, out),
	                0);
}

/* RFC 7748, 6.1 / RFC 9180, 7.1.4: a low-order public key gives an all-zero
 * shared value, which must be refused. */
static void test_a_low_order_public_key_is_refused(void)
{
	uint8_t zero[32] = {0}, enc[32], ct[64];

	CU_ASSERT_NOT_EQUAL(
	    hpke_seal_base(HPKE_AES_256_GCM, zero, NULL, "i", 1, NULL, 0, "x", 1, enc, ct), 0);
}

static CU_TestInfo tests[] = {
    {"public keys of the RFC vectors", test_public_keys_of_the_rfc_vectors},
    {"seal gives the RFC ciphertext", test_seal_gives_the_rfc_ciphertext},
    {"open reads the RFC ciphertext", test_open_reads_the_rfc_ciphertext},
    {"AES-256 round trips with a fresh ephemeral key",
     test_aes_256_round_trips_with_a_fresh_ephemeral_key},
    {"open refuses anything altered", test_open_refuses_anything_altered},
    {"a low-order public key is refused", test_a_low_order_public_key_is_refused},
    CU_TEST_INFO_NULL,
};

int main(void)
{
	return run_suite("hpke", tests);
}
