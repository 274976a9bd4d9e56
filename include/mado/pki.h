/*
 * Card certificates: trust anchors, the checks a card's authentication certificate must
 * pass (purpose, policies, validity, chain, key strength), revocation by OCSP or CRL, and
 * Web eID authentication tokens. The only module that touches X509 (STYLE.md 1).
 *
 * Checks run in the order of the Web eID reference validator (SPECS.md 1.5), so failures
 * carry the same reasons as the test vectors.
 */
#ifndef MADO_PKI_H
#define MADO_PKI_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "mado/common.h"

/*	  name				reason string (stable; shown by mado authcheck) */
#define MADO_PKI_REASONS(X)                                                                        \
	X(PASS, "pass")                                                                            \
	X(TOKEN_LENGTH, "token_length")                                                            \
	X(PARSE, "parse")                                                                          \
	X(UNSUPPORTED_FORMAT, "unsupported_format")                                                \
	X(MISSING_CERTIFICATE, "missing_certificate")                                              \
	X(CERTIFICATE_DECODING, "certificate_decoding")                                            \
	X(MISSING_KEY_USAGE, "missing_key_usage")                                                  \
	X(WRONG_PURPOSE, "wrong_purpose")                                                          \
	X(DISALLOWED_POLICY, "disallowed_policy")                                                  \
	X(MISSING_POLICY, "missing_policy")                                                        \
	X(USER_CERT_NOT_YET_VALID, "user_cert_not_yet_valid")                                      \
	X(USER_CERT_EXPIRED, "user_cert_expired")                                                  \
	X(NOT_TRUSTED, "not_trusted")                                                              \
	X(WEAK_KEY, "weak_key")                                                                    \
	X(MISSING_ALGORITHM, "missing_algorithm")                                                  \
	X(UNSUPPORTED_ALGORITHM, "unsupported_algorithm")                                          \
	X(SIGNATURE, "signature")                                                                  \
	X(REVOKED, "revoked")                                                                      \
	X(REVOCATION_UNKNOWN, "revocation_unknown")                                                \
	X(OCSP_UNAVAILABLE, "ocsp_unavailable")                                                    \
	X(OCSP_INVALID, "ocsp_invalid")                                                            \
	X(RESPONSE_COUNT, "response_count")                                                        \
	X(NONCE_MISMATCH, "nonce_mismatch")                                                        \
	X(RESPONDER_NOT_TRUSTED, "responder_not_trusted")                                          \
	X(RESPONDER_CERT_EXPIRED, "responder_cert_expired")                                        \
	X(RESPONDER_SIGNATURE, "responder_signature_or_identity")                                  \
	X(OCSP_STALE, "ocsp_stale")                                                                \
	X(CRL_UNAVAILABLE, "crl_unavailable")                                                      \
	X(INTERNAL, "internal")

enum mado_pki_reason {
#define MADO_PKI_ENUM(name, str) MADO_PKI_##name,
	MADO_PKI_REASONS(MADO_PKI_ENUM)
#undef MADO_PKI_ENUM
	    MADO_PKI__COUNT
};

const char *mado_pki_reason_str(enum mado_pki_reason r);

enum mado_revocation { MADO_REVOCATION_OFF, MADO_REVOCATION_OCSP, MADO_REVOCATION_CRL };

struct mado_pki_config {
	const char *trust_dir;           /* CA certificates (PEM or DER), one or more per file */
	const char *policies_disallowed; /* comma-separated OIDs */
	const char *policies_required;   /* comma-separated OIDs; one must be present */
	enum mado_revocation revocation;
	const char *ocsp_url;       /* designated responder; empty: the certificate's AIA */
	const char *ocsp_responder; /* pinned responder certificate file, optional */
	bool ocsp_nonce;            /* send a nonce and require it back */
	int ocsp_timeout_ms;
	int ocsp_cache_max_s;  /* a cached answer is never used longer than this */
	int ocsp_fail_cache_s; /* a responder that did not answer is not asked for this long */
	int ocsp_max_age_s;    /* thisUpdate may be at most this old when fetched */
	int clock_skew_s;
	const char *crl; /* CRL file or http URL (revocation = crl) */
	int crl_refresh_s;
};

/* The error a check's finding maps to (MADO_OK for a pass). */
int mado_pki_err(enum mado_pki_reason r);

/* Whose certificates a struct mado_pki judges. */
enum mado_pki_for { MADO_PKI_CARDS, MADO_PKI_ORGS };
/* The settings of cfg for cards (card_*) or for organisations (org_trust_dir and
   org_revocation, with the cards' OCSP and CRL tuning, and no card policies). */
struct mado_config;
void mado_pki_config_from(const struct mado_config *cfg, enum mado_pki_for who,
			  struct mado_pki_config *pc);

struct mado_pki;

/* Loads the anchors and settings; on failure why says what. */
MADO_MUSTCHECK int mado_pki_new(const struct mado_pki_config *cfg, struct mado_pki **out, char *why,
				size_t whylen);
void mado_pki_free(struct mado_pki *pki);
/* PEM text of every anchor, for a TLS listener that asks for client certificates; the
   caller frees it with free(). */
char *mado_pki_anchors_pem(const struct mado_pki *pki);

/* What a successful check learned about the card. */
struct mado_card_id {
	char issuer_hash[65]; /* SHA-256 hex of the DER issuer name (not an identity: two CA
				 generations may share a name) */
	/* SHA-256 hex of the issuing CA's DER SubjectPublicKeyInfo: the trust anchor whose
	   key verifies the certificate's signature; "" when no anchor's does (a look-alike).
	   With serial, the card's identity. */
	char issuer_key[65];
	char serial[80];      /* serial number, hex */
	char key_hash[65];    /* SHA-256 hex of the DER SubjectPublicKeyInfo */
	char fingerprint[17]; /* first 16 hex of the certificate's SHA-256: safe to log */
	time_t not_before, not_after;
};

struct mado_pki_result {
	enum mado_pki_reason reason;
	char detail[160];         /* for operators (authcheck); never personal data */
	struct mado_card_id card; /* filled once the certificate decoded */
};

enum mado_pki_revocation_mode { MADO_PKI_REVOCATION_CONFIGURED, MADO_PKI_REVOCATION_SKIP };

/*
 * Checks a card certificate at time now: purpose, policies, validity, chain to an anchor,
 * key strength, then revocation (unless mode skips it). The TLS client-certificate login
 * uses this alone; token login uses it through mado_webeid_validate.
 */
enum mado_pki_reason mado_pki_check_cert(struct mado_pki *pki, X509 *cert, time_t now,
					 enum mado_pki_revocation_mode mode,
					 struct mado_pki_result *res);

/* Revocation only (for sessions that re-check their card); cert must have passed
   mado_pki_check_cert before. Uses the cache. */
enum mado_pki_reason mado_pki_revocation(struct mado_pki *pki, X509 *cert, time_t now,
					 struct mado_pki_result *res);

/*
 * Validates a Web eID authentication token (the JSON text exactly as received) for origin
 * and the nonce this server issued: length, structure, format, certificate checks,
 * revocation, then the signature over H(origin) || H(nonce). On PASS *cert_out (if not
 * NULL) receives the certificate, which the caller frees.
 */
enum mado_pki_reason mado_webeid_validate(struct mado_pki *pki, const char *token, size_t len,
					  const char *origin, const char *nonce, time_t now,
					  enum mado_pki_revocation_mode mode,
					  struct mado_pki_result *res, X509 **cert_out);

/*
 * Checks a stored DER OCSP response for cert (issued by issuer) at now, as if it had just
 * been fetched: with nonce_sent, a request nonce is assumed that the response must echo.
 * For mado authcheck and the vectors.
 */
enum mado_pki_reason mado_pki_check_ocsp_response(struct mado_pki *pki, const unsigned char *der,
						  size_t len, X509 *cert, X509 *issuer, time_t now,
						  bool nonce_sent, struct mado_pki_result *res);

/* The identity of cert (struct mado_card_id) as the checks would fill it, whether or not
   the certificate is valid now; issuer_key is "" unless an anchor signed it. */
void mado_pki_card_id(struct mado_pki *pki, X509 *cert, struct mado_card_id *id);

/* Reads one certificate (PEM or DER) from a file. */
X509 *mado_pki_read_cert(const char *path);

/* Whether an RSA modulus has the ROCA fingerprint (CVE-2017-15361: Infineon RSALib's
   factorable keys, as on Estonia's ID cards of 2014 to 2017). For keys of 1984 bits and
   more; card keys are refused with it (weak_key). */
bool mado_pki_roca(const BIGNUM *n);

#endif
