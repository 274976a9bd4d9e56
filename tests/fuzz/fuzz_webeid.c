/*
 * Web eID authentication tokens (server/pki/webeid.c, mado_webeid_validate): any token
 * text against a fixed trust store (the published test vectors' TEST of ESTEID2018 CA),
 * origin, nonce and clock, as the login does but without revocation (no network). No
 * crash, no leak; a failure carries a reason; a pass hands back the certificate.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "fuzz.h"
#include "mado/log.h"
#include "mado/pki.h"

static struct mado_pki *pki;
static time_t now;

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
	cfg.policies_disallowed = "1.3.6.1.4.1.10015.1.3,1.3.6.1.4.1.10015.1.3.1,"
				  "1.3.6.1.4.1.10015.1.3.2,1.3.6.1.4.1.10015.1.3.3";
	cfg.policies_required = "";
	cfg.revocation = MADO_REVOCATION_OFF;
	cfg.clock_skew_s = 300;
	if (mado_pki_new(&cfg, &pki, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_webeid: %s\n", why);
		abort();
	}
	/* The vectors' clock: es384_valid passes then. */
	now = fuzz_time("2024-08-01T00:00:00Z");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mado_pki_result res;
	enum mado_pki_reason r;
	X509 *cert = NULL;

	r = mado_webeid_validate(pki, (const char *)data, size, "https://ria.ee",
				 "12345678123456781234567812345678912356789123", now,
				 MADO_PKI_REVOCATION_SKIP, &res, &cert);
	if (getenv("MADO_FUZZ_VERBOSE") != NULL) /* which way each seed goes */
		fprintf(stderr, "%s (%s)\n", mado_pki_reason_str(r), res.detail);
	FUZZ_ASSERT(r == res.reason && r < MADO_PKI__COUNT);
	FUZZ_ASSERT((r == MADO_PKI_PASS) == (cert != NULL));
	FUZZ_ASSERT(mado_pki_reason_str(r) != NULL);
	X509_free(cert);
	return 0;
}
