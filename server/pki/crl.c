/*
 * CRL checking, the alternative to OCSP: one CRL from a file or an http URL, reloaded
 * every crl_refresh_s. A CRL that is missing, unverifiable or past its nextUpdate refuses
 * the login (fail closed), as a revoked entry does. Fetching never holds the lock.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mado/log.h"
#include "mado/pki.h"
#include "pki_int.h"

#define CRL_MAX_BYTES (32 << 20)

void
pki__crl_free(struct mado_pki *pki)
{
	X509_CRL_free(pki->crl);
	pki->crl = NULL;
}

static X509_CRL *
load(const char *source, int timeout_s)
{
	X509_CRL *crl = NULL;
	BIO *b;

	if (strncmp(source, "http://", 7) == 0 || strncmp(source, "https://", 8) == 0)
		b = OSSL_HTTP_get(source, NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL, NULL, 1,
				  CRL_MAX_BYTES, timeout_s);
	else
		b = BIO_new_file(source, "rb");
	if (b == NULL)
		return NULL;
	crl = d2i_X509_CRL_bio(b, NULL);
	if (crl == NULL && BIO_reset(b) == 0)
		crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	ERR_clear_error();
	return crl;
}

/*
 * Reads the CRL again when it is due, outside the lock: while one thread fetches, the
 * others go on with the CRL held (or, with none yet, are refused), and the fresh one
 * replaces it when it is complete. A failed read is tried again after ocsp_fail_cache_s
 * (or at the next refresh, if sooner), not at every check.
 */
static void
refresh(struct mado_pki *pki, time_t now)
{
	int retry = pki->ocsp_fail_cache_s < pki->crl_refresh_s ? pki->ocsp_fail_cache_s
								: pki->crl_refresh_s;
	X509_CRL *fresh;
	bool mine = false;

	pthread_mutex_lock(&pki->crl_mu);
	if (!pki->crl_loading &&
	    (pki->crl == NULL || now - pki->crl_loaded >= pki->crl_refresh_s) &&
	    (pki->crl_tried == 0 || pki->crl_tried <= pki->crl_loaded ||
	     now - pki->crl_tried >= retry)) {
		pki->crl_loading = mine = true;
		pki->crl_tried = now;
	}
	pthread_mutex_unlock(&pki->crl_mu);
	if (!mine)
		return;
	fresh = load(pki->crl_source, pki->ocsp_timeout_s);
	if (fresh == NULL)
		mado_log_warn(NULL, "pki: cannot load the CRL from %s", pki->crl_source);
	pthread_mutex_lock(&pki->crl_mu);
	if (fresh != NULL) {
		X509_CRL_free(pki->crl);
		pki->crl = fresh;
		pki->crl_loaded = now;
	}
	pki->crl_loading = false;
	pthread_mutex_unlock(&pki->crl_mu);
}

enum mado_pki_reason
pki__crl(struct mado_pki *pki, X509 *cert, X509 *issuer, time_t now, struct mado_pki_result *res)
{
	X509_REVOKED *rev = NULL;
	enum mado_pki_reason r = MADO_PKI_PASS;
	const X509_ALGOR *alg = NULL;
	const ASN1_TIME *next;

	refresh(pki, now);
	pthread_mutex_lock(&pki->crl_mu);
	if (pki->crl == NULL) {
		r = pki__fail(res, MADO_PKI_CRL_UNAVAILABLE, "no CRL");
		goto done;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(pki->crl), X509_get_subject_name(issuer)) != 0 ||
	    X509_CRL_verify(pki->crl, X509_get0_pubkey(issuer)) != 1) {
		r = pki__fail(res, MADO_PKI_CRL_UNAVAILABLE, "the CRL is not the card issuer's");
		goto done;
	}
	X509_CRL_get0_signature(pki->crl, NULL, &alg);
	if (!pki__sigalg_strong(alg)) {
		r = pki__fail(res, MADO_PKI_CRL_UNAVAILABLE,
			      "the CRL is signed over a weak digest (SHA-1 or MD5)");
		goto done;
	}
	next = X509_CRL_get0_nextUpdate(pki->crl);
	if (next == NULL || pki__time_cmp(next, now - pki->clock_skew_s) < 0) {
		r = pki__fail(res, MADO_PKI_CRL_UNAVAILABLE, "the CRL is past its nextUpdate");
		goto done;
	}
	if (X509_CRL_get0_by_cert(pki->crl, &rev, cert) == 1)
		r = pki__fail(res, MADO_PKI_REVOKED, "listed in the CRL");
done:
	pthread_mutex_unlock(&pki->crl_mu);
	ERR_clear_error();
	return r;
}
