/*
 * OCSP response checking (server/pki/ocsp.c, mado_pki_check_ocsp_response): any bytes as
 * the DER response about a fixed card certificate and its issuer (from the published Web
 * eID test vectors), at a fixed clock, with and without a nonce sent. No network, no
 * crash, no leak; every answer is a reason.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "fuzz.h"
#include "mado/log.h"
#include "mado/pki.h"

static struct mado_pki *pki;
static X509 *cert, *issuer;
static time_t now;

static X509 *
read_cert(const char *rel)
{
	char path[4096];
	X509 *x;

	fuzz_source_path(path, sizeof(path), rel);
	if ((x = mado_pki_read_cert(path)) == NULL) {
		fprintf(stderr, "fuzz_ocsp: cannot read %s\n", path);
		abort();
	}
	return x;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mado_pki_config cfg = {0};
	char dir[4096], why[256];

	(void)argc;
	(void)argv;
	mado_log_set_level(MADO_LOG_ERR);
	fuzz_source_path(dir, sizeof(dir), "tests/fuzz/data/webeid-trust");
	cfg.trust_dir = dir;
	cfg.policies_disallowed = "";
	cfg.policies_required = "";
	cfg.revocation = MADO_REVOCATION_OCSP;
	cfg.ocsp_nonce = true;
	cfg.ocsp_cache_max_s = 300;
	cfg.ocsp_max_age_s = 900;
	cfg.clock_skew_s = 300;
	if (mado_pki_new(&cfg, &pki, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_ocsp: %s\n", why);
		abort();
	}
	cert = read_cert("tests/fuzz/data/ocsp-subject.der");
	issuer = read_cert("tests/data/webeid/TEST_of_ESTEID2018.cer");
	/* The vectors' clock for ocsp_response.der, which then passes without a nonce. */
	now = fuzz_time("2021-09-17T18:25:24Z");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mado_pki_result res;
	enum mado_pki_reason r;

	r = mado_pki_check_ocsp_response(pki, data, size, cert, issuer, now, false, &res);
	if (getenv("MADO_FUZZ_VERBOSE") != NULL) /* which way each seed goes */
		fprintf(stderr, "%s (%s)\n", mado_pki_reason_str(r), res.detail);
	FUZZ_ASSERT(r == res.reason && r < MADO_PKI__COUNT);
	if (r == MADO_PKI_PASS) {
		/* A response that passes without a nonce cannot echo one we never sent. */
		r = mado_pki_check_ocsp_response(pki, data, size, cert, issuer, now, true, &res);
		FUZZ_ASSERT(r != MADO_PKI_PASS);
	}
	return 0;
}
