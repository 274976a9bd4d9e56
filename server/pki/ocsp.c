/*
 * OCSP (RFC 6960): ask the responder with a nonce, check every part of the answer, and
 * keep good and revoked answers per certificate until nextUpdate, never longer than the
 * configured maximum. Anything that cannot be decided refuses (fail closed).
 *
 * A responder that did not answer is not asked again for ocsp_fail_cache_s: checks that
 * need it are refused at once, then one check at a time asks it again. One card is asked
 * about by one thread at a time; others wanting the same card wait for its answer. So an
 * outage costs each worker at most one wait, not one per request.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/http.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>

#include "mado/log.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "pki_int.h"

#define CACHE_BUCKETS     4096
#define CACHE_MAX_ENTRIES 262144
#define OCSP_MAX_RESPONSE (64 * 1024)
#define MAX_RESPONDERS    256

struct ocsp_cache_entry {
	struct ocsp_cache_entry *next;
	time_t expires;
	enum mado_pki_reason status; /* PASS or REVOKED */
	char key[160];
};

static unsigned
bucket_of(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % CACHE_BUCKETS;
}

/* A responder that failed lately. */
struct ocsp_responder {
	struct ocsp_responder *next;
	time_t fail_until; /* 0: it answers again */
	bool probing;      /* one check is asking it again */
	char url[];
};

/* A card being asked about. */
struct ocsp_flight {
	struct ocsp_flight *next;
	char key[160];
};

void
pki__ocsp_cache_free(struct mado_pki *pki)
{
	struct ocsp_cache_entry *e, *next;
	struct ocsp_responder *r, *rnext;
	size_t i;

	for (r = pki->responders; r != NULL; r = rnext) {
		rnext = r->next;
		free(r);
	}
	pki->responders = NULL;
	pki->responders_n = 0;
	if (pki->cache == NULL)
		return;
	for (i = 0; i < CACHE_BUCKETS; i++) {
		for (e = pki->cache[i]; e != NULL; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(pki->cache);
	pki->cache = NULL;
	pki->cache_n = 0;
}

static struct ocsp_cache_entry **
buckets(struct mado_pki *pki)
{
	if (pki->cache == NULL)
		pki->cache = mado_xcalloc(CACHE_BUCKETS, sizeof(*pki->cache));
	return pki->cache;
}

/* Looks up a live answer; drops the expired ones it passes. */
static bool
cache_get(struct mado_pki *pki, const char *key, time_t now, enum mado_pki_reason *status)
{
	struct ocsp_cache_entry **b, **pp, *e;
	bool found = false;

	pthread_mutex_lock(&pki->cache_mu);
	if ((b = buckets(pki)) != NULL) {
		for (pp = &b[bucket_of(key)]; (e = *pp) != NULL;) {
			if (e->expires <= now) {
				*pp = e->next;
				free(e);
				pki->cache_n--;
				continue;
			}
			if (strcmp(e->key, key) == 0) {
				*status = e->status;
				found = true;
				break;
			}
			pp = &e->next;
		}
	}
	pthread_mutex_unlock(&pki->cache_mu);
	return found;
}

static void
cache_put(struct mado_pki *pki, const char *key, enum mado_pki_reason status, time_t expires)
{
	struct ocsp_cache_entry **b, *e;
	unsigned h = bucket_of(key);

	pthread_mutex_lock(&pki->cache_mu);
	if ((b = buckets(pki)) != NULL && pki->cache_n < CACHE_MAX_ENTRIES) {
		e = mado_xcalloc(1, sizeof(*e));
		snprintf(e->key, sizeof(e->key), "%s", key);
		e->status = status;
		e->expires = expires;
		e->next = b[h];
		b[h] = e;
		pki->cache_n++;
	}
	pthread_mutex_unlock(&pki->cache_mu);
}

static struct ocsp_responder *
responder_find(struct mado_pki *pki, const char *url)
{
	struct ocsp_responder *r;

	for (r = pki->responders; r != NULL; r = r->next)
		if (strcmp(r->url, url) == 0)
			return r;
	return NULL;
}

/* May a check ask the responder now? Not while it is within its failure window, nor
   while another check is already asking it again after one. */
static bool
responder_admit(struct mado_pki *pki, const char *url, time_t now)
{
	struct ocsp_responder *r;
	bool ok = true;

	if (pki->ocsp_fail_cache_s <= 0)
		return true;
	pthread_mutex_lock(&pki->cache_mu);
	if ((r = responder_find(pki, url)) != NULL && r->fail_until != 0) {
		if (now < r->fail_until || r->probing)
			ok = false;
		else
			r->probing = true;
	}
	pthread_mutex_unlock(&pki->cache_mu);
	return ok;
}

/* What asking the responder came to: it answered, or it failed (no answer in time, or
   none usable) and is not asked again for ocsp_fail_cache_s. */
static void
responder_done(struct mado_pki *pki, const char *url, bool failed, time_t now)
{
	struct ocsp_responder *r;
	size_t n;

	if (pki->ocsp_fail_cache_s <= 0)
		return;
	pthread_mutex_lock(&pki->cache_mu);
	r = responder_find(pki, url);
	if (r == NULL && failed && pki->responders_n < MAX_RESPONDERS) {
		n = strlen(url) + 1;
		r = mado_xcalloc(1, sizeof(*r) + n);
		memcpy(r->url, url, n);
		r->next = pki->responders;
		pki->responders = r;
		pki->responders_n++;
	}
	if (r != NULL) {
		r->fail_until = failed ? now + pki->ocsp_fail_cache_s : 0;
		r->probing = false;
	}
	pthread_mutex_unlock(&pki->cache_mu);
}

/*
 * Takes the card's flight: false (with nobody's flight taken) when another thread is
 * asking about it and has not landed by deadline. The caller looks in the cache again
 * after a wait, since the other thread's answer may be there.
 */
static bool
flight_take(struct mado_pki *pki, const char *key, time_t deadline, bool *waited)
{
	struct ocsp_flight *f;
	struct timespec ts;
	bool busy;

	*waited = false;
	pthread_mutex_lock(&pki->cache_mu);
	for (;;) {
		for (f = pki->flights; f != NULL && strcmp(f->key, key) != 0; f = f->next)
			;
		if (f == NULL)
			break;
		*waited = true;
		if (time(NULL) >= deadline)
			break;
		ts.tv_sec = time(NULL) + 1;
		ts.tv_nsec = 0;
		(void)pthread_cond_timedwait(&pki->flight_cv, &pki->cache_mu, &ts);
	}
	busy = f != NULL;
	if (!busy && !*waited) {
		f = mado_xcalloc(1, sizeof(*f));
		snprintf(f->key, sizeof(f->key), "%s", key);
		f->next = pki->flights;
		pki->flights = f;
	}
	pthread_mutex_unlock(&pki->cache_mu);
	return !busy;
}

static void
flight_land(struct mado_pki *pki, const char *key)
{
	struct ocsp_flight **pp, *f;

	pthread_mutex_lock(&pki->cache_mu);
	for (pp = &pki->flights; (f = *pp) != NULL; pp = &f->next) {
		if (strcmp(f->key, key) == 0) {
			*pp = f->next;
			free(f);
			break;
		}
	}
	pthread_cond_broadcast(&pki->flight_cv);
	pthread_mutex_unlock(&pki->cache_mu);
}

/* Is signer allowed to answer for certificates of issuer (RFC 6960 4.2.2.2)? Never the
   certificate asked about (or another with its key): a card must not vouch for itself. */
static enum mado_pki_reason
check_signer(struct mado_pki *pki, X509 *signer, X509 *cert, X509 *issuer, time_t now,
	     struct mado_pki_result *res)
{
	X509_STORE_CTX *ctx;
	int ok;

	if (X509_cmp(signer, cert) == 0 ||
	    EVP_PKEY_eq(X509_get0_pubkey(signer), X509_get0_pubkey(cert)) == 1) {
		ERR_clear_error();
		return pki__fail(res, MADO_PKI_RESPONDER_NOT_TRUSTED,
				 "the answer is signed by the certificate it is about");
	}
	if (pki->ocsp_responder != NULL) {
		/* A designated responder is trusted because it is the one configured. */
		if (X509_cmp(signer, pki->ocsp_responder) != 0)
			return pki__fail(res, MADO_PKI_RESPONDER_SIGNATURE,
					 "signed by another than the configured responder");
		return MADO_PKI_PASS;
	}
	if ((ctx = pki__verify_ctx(pki, signer, now)) == NULL)
		return pki__fail(res, MADO_PKI_INTERNAL, "cannot set up responder validation");
	ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	if (ok != 1)
		return pki__fail(res, MADO_PKI_RESPONDER_NOT_TRUSTED,
				 "the responder does not chain to a trust anchor");
	if (X509_cmp(signer, issuer) == 0)
		return MADO_PKI_PASS; /* the CA answers for itself */
	/* A delegated responder: issued by the card's CA and marked for OCSP signing. A
	   certificate without extendedKeyUsage (every JPKI-shaped card) is not one. */
	if (X509_check_issued(issuer, signer) != X509_V_OK || !pki__ocsp_signer_ok(signer))
		return pki__fail(res, MADO_PKI_RESPONDER_NOT_TRUSTED,
				 "the responder is not authorised by the card's CA");
	return MADO_PKI_PASS;
}

/*
 * Checks a response to req (which may be NULL when no nonce was sent) about id (cert). On PASS
 * or REVOKED *expires says how long the answer may be kept.
 */
static enum mado_pki_reason
check_response(struct mado_pki *pki, OCSP_RESPONSE *resp, OCSP_CERTID *id, OCSP_REQUEST *req,
	       X509 *cert, X509 *issuer, time_t now, time_t *expires, struct mado_pki_result *res)
{
	ASN1_GENERALIZEDTIME *thisupd = NULL, *nextupd = NULL, *revtime = NULL;
	STACK_OF(X509) *pinned = NULL;
	enum mado_pki_reason r = MADO_PKI_PASS;
	OCSP_BASICRESP *bs = NULL;
	OCSP_SINGLERESP *single;
	X509 *signer = NULL;
	int status, reason = -1, st;

	if ((st = OCSP_response_status(resp)) != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		return pki__fail(res, MADO_PKI_OCSP_INVALID, "response status: %s",
				 OCSP_response_status_str(st));
	if ((bs = OCSP_response_get1_basic(resp)) == NULL)
		return pki__fail(res, MADO_PKI_OCSP_INVALID, "no basic response");
	if (OCSP_resp_count(bs) != 1) {
		r = pki__fail(res, MADO_PKI_RESPONSE_COUNT,
			      "the response must answer exactly once");
		goto done;
	}
	single = OCSP_resp_get0(bs, 0);
	if (OCSP_id_cmp(id, OCSP_SINGLERESP_get0_id(single)) != 0) {
		r = pki__fail(res, MADO_PKI_OCSP_INVALID,
			      "the response is about another certificate");
		goto done;
	}
	if (pki->ocsp_responder != NULL && (pinned = sk_X509_new_null()) != NULL)
		sk_X509_push(pinned, pki->ocsp_responder);
	if (OCSP_resp_get0_signer(bs, &signer, pinned) != 1 || signer == NULL) {
		r = pki__fail(res, MADO_PKI_RESPONDER_SIGNATURE, "signer certificate not found");
		goto done;
	}
	if (pki__time_cmp(X509_get0_notAfter(signer), now) < 0 ||
	    pki__time_cmp(X509_get0_notBefore(signer), now) > 0) {
		r = pki__fail(res, MADO_PKI_RESPONDER_CERT_EXPIRED,
			      "the responder certificate is not valid now");
		goto done;
	}
	/* The signature alone first; who may sign is decided by check_signer. */
	if (OCSP_basic_verify(bs, pinned, pki->store, OCSP_NOVERIFY | OCSP_TRUSTOTHER) != 1) {
		r = pki__fail(res, MADO_PKI_RESPONDER_SIGNATURE, "bad response signature");
		goto done;
	}
	if (!pki__sigalg_strong(OCSP_resp_get0_tbs_sigalg(bs))) {
		r = pki__fail(res, MADO_PKI_RESPONDER_SIGNATURE,
			      "the response is signed over a weak digest (SHA-1 or MD5)");
		goto done;
	}
	if ((r = check_signer(pki, signer, cert, issuer, now, res)) != MADO_PKI_PASS)
		goto done;
	if (req != NULL && OCSP_check_nonce(req, bs) != 1) {
		r = pki__fail(res, MADO_PKI_NONCE_MISMATCH,
			      "the response does not echo our nonce (possible replay)");
		goto done;
	}
	status = OCSP_single_get0_status(single, &reason, &revtime, &thisupd, &nextupd);
	if (thisupd == NULL || pki__time_cmp(thisupd, now + pki->clock_skew_s) > 0) {
		r = pki__fail(res, MADO_PKI_OCSP_STALE, "thisUpdate is in the future");
		goto done;
	}
	if (pki__time_cmp(thisupd, now - pki->ocsp_max_age_s) < 0) {
		r = pki__fail(res, MADO_PKI_OCSP_STALE, "thisUpdate is older than %d s",
			      pki->ocsp_max_age_s);
		goto done;
	}
	if (nextupd != NULL && (pki__time_cmp(nextupd, now - pki->clock_skew_s) < 0 ||
				ASN1_TIME_compare(nextupd, thisupd) < 0)) {
		r = pki__fail(res, MADO_PKI_OCSP_STALE, "nextUpdate has passed");
		goto done;
	}
	*expires = now + pki->ocsp_cache_max_s;
	if (nextupd != NULL && pki__time_t(nextupd) < *expires)
		*expires = pki__time_t(nextupd);
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD: r = MADO_PKI_PASS; break;
	case V_OCSP_CERTSTATUS_REVOKED:
		r = pki__fail(res, MADO_PKI_REVOKED, "revoked (reason %d)", reason);
		break;
	default: r = pki__fail(res, MADO_PKI_REVOCATION_UNKNOWN, "the responder does not know it");
	}
done:
	sk_X509_free(pinned);
	OCSP_BASICRESP_free(bs);
	ERR_clear_error();
	return r;
}

/* POSTs the request; NULL with res set when no usable answer arrives in time. */
static OCSP_RESPONSE *
fetch(struct mado_pki *pki, const char *url, OCSP_REQUEST *req, struct mado_pki_result *res)
{
	char *host = NULL, *port = NULL, *path = NULL;
	OCSP_RESPONSE *resp = NULL;
	BIO *body = NULL, *reply = NULL;
	int ssl = 0;

	if (OSSL_HTTP_parse_url(url, &ssl, NULL, &host, &port, NULL, &path, NULL, NULL) != 1) {
		pki__fail(res, MADO_PKI_OCSP_UNAVAILABLE, "unusable responder URL");
		goto done;
	}
	if ((body = BIO_new(BIO_s_mem())) == NULL || i2d_OCSP_REQUEST_bio(body, req) != 1) {
		pki__fail(res, MADO_PKI_INTERNAL, "cannot encode the request");
		goto done;
	}
	reply =
	    OSSL_HTTP_transfer(NULL, host, port, path, ssl, NULL, NULL, NULL, NULL, NULL, NULL, 0,
			       NULL, "application/ocsp-request", body, "application/ocsp-response",
			       1, OCSP_MAX_RESPONSE, pki->ocsp_timeout_s, 0);
	if (reply == NULL) {
		pki__fail(res, MADO_PKI_OCSP_UNAVAILABLE, "the responder did not answer");
		goto done;
	}
	if ((resp = d2i_OCSP_RESPONSE_bio(reply, NULL)) == NULL)
		pki__fail(res, MADO_PKI_OCSP_INVALID, "the answer is not an OCSP response");
done:
	BIO_free(body);
	BIO_free(reply);
	OPENSSL_free(host);
	OPENSSL_free(port);
	OPENSSL_free(path);
	ERR_clear_error();
	return resp;
}

enum mado_pki_reason
pki__ocsp(struct mado_pki *pki, X509 *cert, X509 *issuer, time_t now, struct mado_pki_result *res)
{
	STACK_OF(OPENSSL_STRING) *aia = NULL;
	OCSP_REQUEST *req = NULL;
	OCSP_RESPONSE *resp = NULL;
	OCSP_CERTID *id = NULL;
	enum mado_pki_reason r;
	const char *url = pki->ocsp_url;
	time_t expires = 0, deadline = time(NULL) + pki->ocsp_timeout_s + 1;
	char key[160], ikey[65];
	bool waited, asked = false;

	/* Keyed on the key of the issuer in the validated path: a CA of the same name
	   answers for its own cards only. */
	pki__key_hash(pki, issuer, ikey);
	if (ikey[0] == '\0')
		return pki__fail(res, MADO_PKI_INTERNAL, "cannot encode the issuer's key");
	snprintf(key, sizeof(key), "%s:%s", ikey, res->card.serial);
	/* The cache, or the answer another thread is fetching for this card. */
	for (;;) {
		if (cache_get(pki, key, now, &r)) {
			if (r == MADO_PKI_REVOKED)
				return pki__fail(res, r, "revoked (cached answer)");
			return MADO_PKI_PASS;
		}
		if (!flight_take(pki, key, deadline, &waited))
			return pki__fail(res, MADO_PKI_OCSP_UNAVAILABLE,
					 "another check of this card is still waiting for the "
					 "responder");
		if (!waited)
			break;
	}
	if (url == NULL) {
		aia = X509_get1_ocsp(cert);
		if (aia == NULL || sk_OPENSSL_STRING_num(aia) == 0) {
			r = pki__fail(res, MADO_PKI_OCSP_UNAVAILABLE,
				      "no OCSP responder configured or named by the card");
			goto done;
		}
		url = sk_OPENSSL_STRING_value(aia, 0);
	}
	if ((id = OCSP_cert_to_id(EVP_sha1(), cert, issuer)) == NULL ||
	    (req = OCSP_REQUEST_new()) == NULL ||
	    OCSP_request_add0_id(req, OCSP_CERTID_dup(id)) == NULL ||
	    (pki->ocsp_nonce && OCSP_request_add1_nonce(req, NULL, 32) != 1)) {
		r = pki__fail(res, MADO_PKI_INTERNAL, "cannot build the OCSP request");
		goto done;
	}
	if (!responder_admit(pki, url, time(NULL))) {
		r = pki__fail(res, MADO_PKI_OCSP_UNAVAILABLE,
			      "the responder failed to answer less than %d s ago",
			      pki->ocsp_fail_cache_s);
		goto done;
	}
	asked = true;
	if ((resp = fetch(pki, url, req, res)) == NULL) {
		r = res->reason;
		goto done;
	}
	r = check_response(pki, resp, id, pki->ocsp_nonce ? req : NULL, cert, issuer, now, &expires,
			   res);
	if (r == MADO_PKI_PASS || r == MADO_PKI_REVOKED)
		cache_put(pki, key, r, expires);
done:
	/* No answer, or none usable (tryLater, internalError, not OCSP): the responder's
	   failure. A bad answer about this card is the card's. */
	if (asked)
		responder_done(pki, url,
			       resp == NULL ||
				   OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL,
			       time(NULL));
	flight_land(pki, key);
	if (r != MADO_PKI_PASS)
		mado_log_info(NULL, "pki: OCSP for card %s: %s (%s)", res->card.fingerprint,
			      mado_pki_reason_str(r), res->detail);
	OCSP_RESPONSE_free(resp);
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	X509_email_free(aia);
	ERR_clear_error();
	return r;
}

enum mado_pki_reason
mado_pki_check_ocsp_response(struct mado_pki *pki, const unsigned char *der, size_t len, X509 *cert,
			     X509 *issuer, time_t now, bool nonce_sent, struct mado_pki_result *res)
{
	const unsigned char *p = der;
	OCSP_RESPONSE *resp;
	OCSP_REQUEST *req = NULL;
	OCSP_CERTID *id;
	enum mado_pki_reason r;
	time_t expires;

	res->reason = MADO_PKI_PASS;
	res->detail[0] = '\0';
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, (long)len)) == NULL)
		return pki__fail(res, MADO_PKI_OCSP_INVALID, "not an OCSP response");
	if ((id = OCSP_cert_to_id(EVP_sha1(), cert, issuer)) == NULL) {
		OCSP_RESPONSE_free(resp);
		return pki__fail(res, MADO_PKI_INTERNAL, "cannot make a CertID");
	}
	/* The request we would have sent, with its own random nonce. */
	if (nonce_sent &&
	    ((req = OCSP_REQUEST_new()) == NULL || OCSP_request_add1_nonce(req, NULL, 32) != 1)) {
		r = pki__fail(res, MADO_PKI_INTERNAL, "cannot make a nonce");
		goto done;
	}
	r = check_response(pki, resp, id, req, cert, issuer, now, &expires, res);
done:
	OCSP_REQUEST_free(req);
	OCSP_CERTID_free(id);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return r;
}
