/*
 * CRL checking (server/pki/crl.c through mado_pki_revocation): any bytes as the CRL
 * file (DER, or PEM as the loader falls back to) for a fixed card and its CA (a throwaway
 * CA made with mado-card, tests/fuzz/data/crl), read afresh for every input. No network,
 * no crash, no leak; the answer is pass, revoked or no usable CRL.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/x509.h>

#include "fuzz.h"
#include "mado/log.h"
#include "mado/pki.h"
#include "pki/pki_int.h"

static struct mado_pki *pki;
static X509 *card;
static time_t now;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct mado_pki_config cfg = {0};
	char dir[4096], path[4096], why[256];

	(void)argc;
	(void)argv;
	mado_log_set_level(MADO_LOG_ERR);
	fuzz_source_path(dir, sizeof(dir), "tests/fuzz/data/crl/trust");
	cfg.trust_dir = dir;
	cfg.policies_disallowed = "";
	cfg.policies_required = "";
	cfg.revocation = MADO_REVOCATION_CRL;
	cfg.crl = fuzz_file_path();
	cfg.crl_refresh_s = 0; /* read again on every check */
	cfg.clock_skew_s = 300;
	cfg.ocsp_timeout_ms = 1000;
	if (mado_pki_new(&cfg, &pki, why, sizeof(why)) != 0) {
		fprintf(stderr, "fuzz_crl: %s\n", why);
		abort();
	}
	fuzz_source_path(path, sizeof(path), "tests/fuzz/data/crl/card.pem");
	if ((card = mado_pki_read_cert(path)) == NULL)
		abort();
	/* Within the card's validity and the seed CRLs' (thisUpdate 2026-11-30, nextUpdate
	   2026-12-07). */
	now = fuzz_time("2026-12-01T00:00:00Z");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mado_pki_result res;
	enum mado_pki_reason r;

	fuzz_file_set(data, size);
	/* Each input alone: the CRL a previous input left is dropped. */
	pki__crl_free(pki);
	r = mado_pki_revocation(pki, card, now, &res);
	if (getenv("MADO_FUZZ_VERBOSE") != NULL) /* which way each seed goes */
		fprintf(stderr, "%s (%s)\n", mado_pki_reason_str(r), res.detail);
	FUZZ_ASSERT(r == res.reason);
	FUZZ_ASSERT(r == MADO_PKI_PASS || r == MADO_PKI_REVOKED || r == MADO_PKI_CRL_UNAVAILABLE);
	return 0;
}
