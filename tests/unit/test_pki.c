/*
 * Card keys (server/pki): the ROCA fingerprint (CVE-2017-15361). A number built as
 * RSALib built its primes, 65537^a mod m plus a multiple of m (m the product of the first
 * 126 primes), has it; moving it by 2, or generated RSA keys, do not. Logins with such a
 * key are refused in tests/integration/test_login.c (test_card_failures).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "mado/pki.h"

/* m: the product of the first 126 primes (2 to 701). */
static BIGNUM *
primorial(void)
{
	BIGNUM *m = BN_new();
	unsigned r, j, n = 0;

	assert_non_null(m);
	assert_int_equal(BN_set_word(m, 1), 1);
	for (r = 2; n < 126; r++) {
		for (j = 2; j * j <= r && r % j != 0; j++)
			;
		if (j * j > r) {
			assert_int_equal(BN_mul_word(m, r), 1);
			n++;
		}
	}
	return m;
}

static void
test_fingerprinted_numbers(void **state)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *m = primorial(), *e = BN_new(), *a = BN_new(), *k = BN_new(), *n = BN_new();
	int i;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(BN_set_word(e, 65537), 1);
	for (i = 0; i < 20; i++) {
		assert_int_equal(BN_rand(a, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY), 1);
		assert_int_equal(BN_mod_exp(n, e, a, m, ctx), 1);
		assert_int_equal(
		    BN_rand(k, 2048 - BN_num_bits(m), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY), 1);
		assert_int_equal(BN_mul(k, k, m, ctx), 1);
		assert_int_equal(BN_add(n, n, k), 1);
		assert_true(mado_pki_roca(n));
		assert_int_equal(BN_add_word(n, 2), 1);
		assert_false(mado_pki_roca(n));
	}
	assert_false(mado_pki_roca(NULL));
	BN_zero(n);
	assert_false(mado_pki_roca(n));
	BN_free(m);
	BN_free(e);
	BN_free(a);
	BN_free(k);
	BN_free(n);
	BN_CTX_free(ctx);
}

static void
test_generated_keys_pass(void **state)
{
	int i;

	(void)state;
	for (i = 0; i < 4; i++) {
		EVP_PKEY *pk = EVP_RSA_gen(2048);
		BIGNUM *n = NULL;

		assert_non_null(pk);
		assert_int_equal(EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n), 1);
		assert_false(mado_pki_roca(n));
		BN_free(n);
		EVP_PKEY_free(pk);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fingerprinted_numbers),
	    cmocka_unit_test(test_generated_keys_pass),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
