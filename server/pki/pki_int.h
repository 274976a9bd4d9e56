/* Shared by the files of server/pki only. */
#ifndef MADO_PKI_INT_H
#define MADO_PKI_INT_H

#include <pthread.h>

#include <openssl/ocsp.h>
#include <openssl/x509.h>

#include "mado/pki.h"

struct ocsp_cache_entry;
struct ocsp_responder;
struct ocsp_flight;
struct pki_key_slot;
struct pki_cert_slot;
struct pki_issuer_slot;

struct mado_pki {
	X509_STORE *store; /* the anchors; never the system store */
	STACK_OF(X509) *anchors;
	char (*anchor_keys)[65];         /* pki__key_hash of each anchor, in the order of anchors */
	pthread_mutex_t keys_mu;         /* the slots below */
	struct pki_key_slot *keys;       /* pki__key_hash remembered, made on first use */
	struct pki_cert_slot *certs;     /* pki__cert_parse remembered, made on first use */
	struct pki_issuer_slot *issuers; /* issuer_key's answers remembered, the same way */
	STACK_OF(ASN1_OBJECT) *disallowed;
	STACK_OF(ASN1_OBJECT) *required;
	enum mado_revocation revocation;
	char *ocsp_url;
	X509 *ocsp_responder; /* pinned designated responder, or NULL */
	bool ocsp_nonce;
	int ocsp_timeout_s;
	int ocsp_cache_max_s;
	int ocsp_max_age_s;
	int clock_skew_s;

	int ocsp_fail_cache_s;

	pthread_mutex_t cache_mu;        /* the cache, the responders and the flights */
	pthread_cond_t flight_cv;        /* a flight landed */
	struct ocsp_cache_entry **cache; /* hash buckets, made on first use */
	size_t cache_n;
	struct ocsp_responder *responders; /* that failed lately (ocsp_fail_cache_s) */
	size_t responders_n;
	struct ocsp_flight *flights; /* the cards being asked about now */

	char *crl_source;
	int crl_refresh_s;
	pthread_mutex_t crl_mu; /* the fields below; never held while fetching */
	X509_CRL *crl;
	time_t crl_loaded;
	time_t crl_tried; /* the last attempt to read it, successful or not */
	bool crl_loading; /* one thread reads it at a time; the others use the one held */
};

/* The SHA-256 (hex) of x's public key as i2d_PUBKEY encodes it: how Mado names a key. */
void pki__key_hash(struct mado_pki *pki, X509 *x, char out[65]);

/* The certificate of exactly these DER bytes (all of them, nothing after), or NULL: a new
   reference (X509_free it). Never modify it: it may be shared. */
X509 *pki__cert_parse(struct mado_pki *pki, const unsigned char *der, size_t len);

/* Builds a verification context for cert at now over the anchors. */
X509_STORE_CTX *pki__verify_ctx(struct mado_pki *pki, X509 *cert, time_t now);

/* Sets res->reason and detail; returns the reason. */
enum mado_pki_reason pki__fail(struct mado_pki_result *res, enum mado_pki_reason r, const char *fmt,
			       ...) MADO_PRINTF(3, 4);

/* May x sign OCSP answers for its issuer's certificates (RFC 6960 4.2.2.2)? Only with an
   extendedKeyUsage that names OCSPSigning (an absent one is not enough), and a keyUsage,
   if present, that allows digitalSignature. */
bool pki__ocsp_signer_ok(X509 *x);

/* Does a signature algorithm hash with SHA-2 of 256 bits or more or SHA-3, or is it EdDSA?
   An OCSP answer or a CRL signed over SHA-1 or MD5 is refused (CR-03), as the path's
   security level refuses such certificates. */
bool pki__sigalg_strong(const X509_ALGOR *alg);

/* ocsp.c */
enum mado_pki_reason pki__ocsp(struct mado_pki *pki, X509 *cert, X509 *issuer, time_t now,
			       struct mado_pki_result *res);
void pki__ocsp_cache_free(struct mado_pki *pki);

/* crl.c */
enum mado_pki_reason pki__crl(struct mado_pki *pki, X509 *cert, X509 *issuer, time_t now,
			      struct mado_pki_result *res);
void pki__crl_free(struct mado_pki *pki);

/* An ASN1_TIME as seconds since the epoch (0 if unreadable). */
time_t pki__time_t(const ASN1_TIME *t);

/* Compares an ASN1_TIME with now: -1 before, 0 equal, 1 after; -2 on error. */
int pki__time_cmp(const ASN1_TIME *t, time_t now);

#endif
