/*
 * TLS on Debian's CivetWeb 1.15 under OpenSSL 3: real handshakes with clients that are not
 * our code (the openssl command line and libcurl), TLS 1.2+ only, and a start that fails
 * closed when TLS cannot work.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;

static int
setup(void **state)
{
	*state = &env;
	return th_setup(&env, NULL);
}

/* The HS-01 check: a full handshake, certificate verified, a request answered, and the
   server still alive afterwards (the unpatched library dies on the first handshake). */
static void
test_real_handshake(void **state)
{
	struct th_resp r;
	int i;

	(void)state;
	assert_int_equal(th_sh("printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\n"
			       "Connection: close\\r\\n\\r\\n' | "
			       "openssl s_client -connect 127.0.0.1:%d -servername localhost "
			       "-CAfile '%s' -verify_return_error -quiet 2>/dev/null | "
			       "grep -q '^HTTP/1.1 200'",
			       env.port, env.ca),
			 0);
	for (i = 0; i < 20; i++) {
		assert_int_equal(th_http(&env, "GET", "/healthz", NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		th_resp_free(&r);
	}
}

static void
test_tls_versions(void **state)
{
#define VERIFIED                                                                                   \
	"openssl s_client -connect 127.0.0.1:%d %s -CAfile '%s' "                                  \
	"-verify_return_error </dev/null >/dev/null 2>&1"

	(void)state;
	assert_int_equal(th_sh(VERIFIED, env.port, "-tls1_3", env.ca), 0);
	assert_int_equal(th_sh(VERIFIED, env.port, "-tls1_2", env.ca), 0);
	/* Older protocols are refused by the server (the client is allowed to offer them). */
	assert_int_not_equal(th_sh("openssl s_client -connect 127.0.0.1:%d -tls1_1 "
				   "-cipher 'DEFAULT:@SECLEVEL=0' </dev/null >/dev/null 2>&1",
				   env.port),
			     0);
	assert_int_not_equal(th_sh("openssl s_client -connect 127.0.0.1:%d -tls1 "
				   "-cipher 'DEFAULT:@SECLEVEL=0' </dev/null >/dev/null 2>&1",
				   env.port),
			     0);
}

/* TLS 1.2 offers only forward-secret AEAD suites. */
static void
test_tls12_ciphers(void **state)
{
#define TLS12                                                                                      \
	"openssl s_client -connect 127.0.0.1:%d -tls1_2 -cipher '%s' </dev/null >/dev/null 2>&1"

	(void)state;
	assert_int_equal(th_sh(TLS12, env.port, "ECDHE-ECDSA-AES128-GCM-SHA256"), 0);
	assert_int_not_equal(th_sh(TLS12, env.port, "ECDHE-ECDSA-AES128-SHA"), 0);
	assert_int_not_equal(th_sh(TLS12, env.port, "AES128-GCM-SHA256"), 0);
}

/* A certificate file that is not a certificate: mado must refuse to start, not serve. */
static void
test_start_fails_closed(void **state)
{
	char line[400], *out = NULL;
	struct th_resp r;

	(void)state;
	assert_int_equal(th_mado_stop(&env), 0); /* a clean stop exits 0 */
	assert_int_equal(th_sh("echo 'not a certificate' > '%s/broken.pem'", env.dir), 0);
	snprintf(line, sizeof(line), "tls_cert = %s/broken.pem", env.dir);
	assert_int_equal(th_conf_append(&env, line), 0);
	assert_int_not_equal(th_mado_cmd(&env, "serve", &out), 0);
	free(out);
	assert_int_not_equal(th_http(&env, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	th_resp_free(&r);
}

/* Without libmado-tls.so beside it, CivetWeb would crash at the first handshake; mado must
   refuse to start instead. */
static void
test_refuses_without_shim(void **state)
{
	(void)state;
	assert_int_equal(th_sh("mkdir -p '%s/noshim' && cp '%s' '%s/noshim/mado'", env.dir,
			       MADO_BINARY, env.dir),
			 0);
	assert_int_not_equal(th_sh("'%s/noshim/mado' serve --config '%s' >'%s/noshim.log' 2>&1",
				   env.dir, env.conf, env.dir),
			     0);
	assert_int_equal(th_sh("grep -q 'libmado-tls.so' '%s/noshim.log'", env.dir), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_handshake),     cmocka_unit_test(test_tls_versions),
	    cmocka_unit_test(test_tls12_ciphers),      cmocka_unit_test(test_refuses_without_shim),
	    cmocka_unit_test(test_start_fails_closed),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
