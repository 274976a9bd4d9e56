/*
 * Trust anchors and the checks a card certificate must pass. The anchors come only from
 * the configured directory (intermediate CAs are allowed as anchors, as in Web eID), never
 * from the system store.
 */
#include <dirent.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "mado/err.h"
#include "mado/log.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "pki_int.h"

#define MIN_RSA_BITS 2048
#define KEY_SLOTS    1024 /* keys remembered by pki__key_hash; a slot holds the latest */
#define CERT_SLOTS   1024 /* certificates remembered by pki__cert_parse, the same way */
#define ISSUER_SLOTS 1024 /* which anchor signed a certificate, by issuer_key */

struct pki_issuer_slot {
	char fp[65]; /* SHA-256 of the certificate's DER, hex */
	char issuer[65];
};

static void key_hash_uncached(X509 *x, char out[65]);

struct pki_cert_slot {
	unsigned char der[32]; /* SHA-256 of the certificate's DER */
	X509 *cert;            /* one reference held here */
};

struct pki_key_slot {
	unsigned char spki[32]; /* SHA-256 of the certificate's SubjectPublicKeyInfo bytes */
	char hash[65];
	bool used;
};

static const char *const reason_strs[] = {
#define MADO_PKI_STR(name, str) str,
    MADO_PKI_REASONS(MADO_PKI_STR)
#undef MADO_PKI_STR
};

const char *
mado_pki_reason_str(enum mado_pki_reason r)
{
	return (unsigned)r < MADO_PKI__COUNT ? reason_strs[r] : "internal";
}

enum mado_pki_reason
pki__fail(struct mado_pki_result *res, enum mado_pki_reason r, const char *fmt, ...)
{
	va_list ap;

	res->reason = r;
	va_start(ap, fmt);
	vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
	va_end(ap);
	return r;
}

int
pki__time_cmp(const ASN1_TIME *t, time_t now)
{
	int day, sec;
	ASN1_TIME *n = ASN1_TIME_set(NULL, now);

	if (n == NULL || t == NULL || ASN1_TIME_diff(&day, &sec, n, t) != 1) {
		ASN1_TIME_free(n);
		return -2;
	}
	ASN1_TIME_free(n);
	/* diff is t - now */
	if (day > 0 || sec > 0)
		return 1;
	if (day < 0 || sec < 0)
		return -1;
	return 0;
}

time_t
pki__time_t(const ASN1_TIME *t)
{
	ASN1_TIME *epoch = ASN1_TIME_set(NULL, 0);
	int day = 0, sec = 0;

	if (epoch == NULL || t == NULL || ASN1_TIME_diff(&day, &sec, epoch, t) != 1)
		day = sec = 0;
	ASN1_TIME_free(epoch);
	return (time_t)day * 86400 + sec;
}

X509 *
mado_pki_read_cert(const char *path)
{
	X509 *x = NULL;
	BIO *b;

	if ((b = BIO_new_file(path, "rb")) == NULL)
		return NULL;
	x = PEM_read_bio_X509(b, NULL, NULL, NULL);
	if (x == NULL) {
		ERR_clear_error();
		(void)BIO_reset(b);
		x = d2i_X509_bio(b, NULL);
	}
	BIO_free(b);
	ERR_clear_error();
	return x;
}

/* Adds every certificate of one file (PEM, possibly several, or one DER). */
static int
load_anchor_file(struct mado_pki *pki, const char *path)
{
	int added = 0;
	X509 *x;
	BIO *b;

	if ((b = BIO_new_file(path, "rb")) == NULL)
		return -1;
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		X509_STORE_add_cert(pki->store, x);
		sk_X509_push(pki->anchors, x);
		added++;
	}
	ERR_clear_error();
	if (added == 0) {
		(void)BIO_reset(b);
		if ((x = d2i_X509_bio(b, NULL)) != NULL) {
			X509_STORE_add_cert(pki->store, x);
			sk_X509_push(pki->anchors, x);
			added++;
		}
	}
	BIO_free(b);
	ERR_clear_error();
	return added;
}

static int
load_anchors(struct mado_pki *pki, const char *dir, char *why, size_t whylen)
{
	char path[4096];
	struct dirent *de;
	DIR *d;
	int n;

	if ((d = opendir(dir)) == NULL) {
		snprintf(why, whylen, "card trust directory %s cannot be opened", dir);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if ((n = load_anchor_file(pki, path)) < 0)
			continue;
		if (n == 0)
			mado_log_warn(NULL, "pki: %s holds no certificate; ignored", path);
	}
	closedir(d);
	if (sk_X509_num(pki->anchors) == 0) {
		snprintf(why, whylen, "card trust directory %s holds no CA certificate", dir);
		return -1;
	}
	return 0;
}

static STACK_OF(ASN1_OBJECT) *
parse_oids(const char *list, char *why, size_t whylen)
{
	STACK_OF(ASN1_OBJECT) *sk = sk_ASN1_OBJECT_new_null();
	char buf[128];
	ASN1_OBJECT *o;
	size_t n;

	while (sk != NULL && list != NULL && *list != '\0') {
		n = strcspn(list, ", ");
		if (n > 0 && n < sizeof(buf)) {
			memcpy(buf, list, n);
			buf[n] = '\0';
			if ((o = OBJ_txt2obj(buf, 1)) == NULL) {
				snprintf(why, whylen, "%s is not an OID", buf);
				sk_ASN1_OBJECT_pop_free(sk, ASN1_OBJECT_free);
				return NULL;
			}
			sk_ASN1_OBJECT_push(sk, o);
		}
		list += n;
		while (*list == ',' || *list == ' ')
			list++;
	}
	return sk;
}

int
mado_pki_new(const struct mado_pki_config *cfg, struct mado_pki **out, char *why, size_t whylen)
{
	struct mado_pki *pki;
	int i;

	*out = NULL;
	pki = mado_xcalloc(1, sizeof(*pki));
	pthread_mutex_init(&pki->cache_mu, NULL);
	pthread_mutex_init(&pki->keys_mu, NULL);
	pthread_cond_init(&pki->flight_cv, NULL);
	pthread_mutex_init(&pki->crl_mu, NULL);
	pki->store = X509_STORE_new();
	pki->anchors = sk_X509_new_null();
	if (pki->store == NULL || pki->anchors == NULL)
		goto nomem;
	if (load_anchors(pki, cfg->trust_dir, why, whylen) != 0)
		goto fail;
	/* The anchors' keys, once (issuer_key names every card's issuer by one). */
	pki->anchor_keys = mado_xcalloc((size_t)sk_X509_num(pki->anchors), 65);
	for (i = 0; i < sk_X509_num(pki->anchors); i++)
		key_hash_uncached(sk_X509_value(pki->anchors, i), pki->anchor_keys[i]);
	if ((pki->disallowed = parse_oids(cfg->policies_disallowed, why, whylen)) == NULL ||
	    (pki->required = parse_oids(cfg->policies_required, why, whylen)) == NULL)
		goto fail;
	pki->revocation = cfg->revocation;
	pki->ocsp_nonce = cfg->ocsp_nonce;
	pki->ocsp_timeout_s = cfg->ocsp_timeout_ms > 0 ? (cfg->ocsp_timeout_ms + 999) / 1000 : 5;
	pki->ocsp_cache_max_s = cfg->ocsp_cache_max_s;
	pki->ocsp_fail_cache_s = cfg->ocsp_fail_cache_s;
	pki->ocsp_max_age_s = cfg->ocsp_max_age_s;
	pki->clock_skew_s = cfg->clock_skew_s;
	pki->crl_refresh_s = cfg->crl_refresh_s;
	if (cfg->ocsp_url != NULL && *cfg->ocsp_url != '\0')
		pki->ocsp_url = mado_xstrdup(cfg->ocsp_url);
	if (cfg->crl != NULL && *cfg->crl != '\0')
		pki->crl_source = mado_xstrdup(cfg->crl);
	if (cfg->ocsp_responder != NULL && *cfg->ocsp_responder != '\0') {
		if ((pki->ocsp_responder = mado_pki_read_cert(cfg->ocsp_responder)) == NULL) {
			snprintf(why, whylen, "OCSP responder certificate %s cannot be read",
				 cfg->ocsp_responder);
			goto fail;
		}
		if (!pki__ocsp_signer_ok(pki->ocsp_responder)) {
			snprintf(why, whylen,
				 "OCSP responder certificate %s is not for OCSP signing "
				 "(extendedKeyUsage OCSPSigning, keyUsage digitalSignature)",
				 cfg->ocsp_responder);
			goto fail;
		}
	}
	if (pki->revocation == MADO_REVOCATION_CRL && pki->crl_source == NULL) {
		snprintf(why, whylen, "revocation by CRL needs a CRL file or URL");
		goto fail;
	}
	*out = pki;
	return MADO_OK;
nomem:
	snprintf(why, whylen, "out of memory");
fail:
	mado_pki_free(pki);
	return MADO_E_INTERNAL;
}

void
mado_pki_free(struct mado_pki *pki)
{
	int i;

	if (pki == NULL)
		return;
	pki__ocsp_cache_free(pki);
	pki__crl_free(pki);
	X509_STORE_free(pki->store);
	sk_X509_pop_free(pki->anchors, X509_free);
	free(pki->anchor_keys);
	free(pki->keys);
	free(pki->issuers);
	for (i = 0; pki->certs != NULL && i < CERT_SLOTS; i++)
		X509_free(pki->certs[i].cert);
	free(pki->certs);
	sk_ASN1_OBJECT_pop_free(pki->disallowed, ASN1_OBJECT_free);
	sk_ASN1_OBJECT_pop_free(pki->required, ASN1_OBJECT_free);
	X509_free(pki->ocsp_responder);
	free(pki->ocsp_url);
	free(pki->crl_source);
	pthread_cond_destroy(&pki->flight_cv);
	pthread_mutex_destroy(&pki->cache_mu);
	pthread_mutex_destroy(&pki->keys_mu);
	pthread_mutex_destroy(&pki->crl_mu);
	free(pki);
}

char *
mado_pki_anchors_pem(const struct mado_pki *pki)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long len;
	int i;

	if (b == NULL)
		return NULL;
	for (i = 0; i < sk_X509_num(pki->anchors); i++)
		PEM_write_bio_X509(b, sk_X509_value(pki->anchors, i));
	len = BIO_get_mem_data(b, &data);
	if (len > 0) {
		out = mado_xmalloc((size_t)len + 1);
		memcpy(out, data, (size_t)len);
		out[len] = '\0';
	}
	BIO_free(b);
	return out;
}

X509_STORE_CTX *
pki__verify_ctx(struct mado_pki *pki, X509 *cert, time_t now)
{
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_VERIFY_PARAM *p;

	if (ctx == NULL || X509_STORE_CTX_init(ctx, pki->store, cert, NULL) != 1) {
		X509_STORE_CTX_free(ctx);
		return NULL;
	}
	p = X509_STORE_CTX_get0_param(ctx);
	/* The anchors are the card-issuing CAs themselves, often intermediates. */
	X509_VERIFY_PARAM_set_flags(p, X509_V_FLAG_PARTIAL_CHAIN);
	/* Every signature in the path carries the holder's identity: one over SHA-1 or MD5,
	   or a key under 112 bits of strength (RSA under 2048), fails it (OpenSSL's level 2;
	   with no level set, OpenSSL 3.0 checks neither). */
	X509_VERIFY_PARAM_set_auth_level(p, 2);
	X509_VERIFY_PARAM_set_time(p, now);
	return ctx;
}

static void
hash_hex(const unsigned char *der, int len, char out[65])
{
	if (len > 0)
		mado_sha256_hex(der, (size_t)len, out);
	else
		out[0] = '\0';
}

static void
key_hash_uncached(X509 *x, char out[65])
{
	unsigned char *der = NULL;
	int len;

	len = i2d_PUBKEY(X509_get0_pubkey(x), &der);
	hash_hex(der, len, out);
	OPENSSL_free(der);
}

/*
 * In OpenSSL 3, i2d_PUBKEY goes through the encoder machinery: it cost a third of a
 * login's CPU, and its locks are shared by every thread. So the answer is remembered,
 * keyed on the SHA-256 of the key's bytes exactly as the certificate carries them (read
 * without an encoder): the same bytes always give the same key, and so the same hash.
 */
void
pki__key_hash(struct mado_pki *pki, X509 *x, char out[65])
{
	unsigned char *der = NULL, spki[32];
	struct pki_key_slot *slot;
	unsigned int n = 0;
	int len;

	out[0] = '\0';
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);
	if (len <= 0 || EVP_Digest(der, (size_t)len, spki, &n, EVP_sha256(), NULL) != 1 ||
	    n != sizeof(spki)) {
		OPENSSL_free(der);
		ERR_clear_error();
		key_hash_uncached(x, out);
		return;
	}
	OPENSSL_free(der);
	pthread_mutex_lock(&pki->keys_mu);
	if (pki->keys == NULL)
		pki->keys = mado_xcalloc(KEY_SLOTS, sizeof(*pki->keys));
	slot = &pki->keys[(spki[0] | (unsigned)spki[1] << 8) % KEY_SLOTS];
	if (slot->used && memcmp(slot->spki, spki, sizeof(spki)) == 0)
		memcpy(out, slot->hash, 65);
	pthread_mutex_unlock(&pki->keys_mu);
	if (out[0] != '\0')
		return;
	key_hash_uncached(x, out);
	if (out[0] == '\0')
		return;
	pthread_mutex_lock(&pki->keys_mu);
	memcpy(slot->spki, spki, sizeof(spki));
	memcpy(slot->hash, out, 65);
	slot->used = true;
	pthread_mutex_unlock(&pki->keys_mu);
}

/* The key of the anchor that issued cert: one whose name and key identifier match and
   whose key verifies cert's signature. Anchors may share a name; only one key signed. */
/*
 * Decoding a certificate costs OpenSSL 3 a decoder for its key (a quarter of a login's
 * CPU, under locks shared by every thread), and a card sends the same certificate at every
 * login. So the decoded certificate is remembered by the SHA-256 of its DER: the same bytes
 * decode to the same certificate, and every check still runs on it at every login.
 */
X509 *
pki__cert_parse(struct mado_pki *pki, const unsigned char *der, size_t len)
{
	unsigned char h[32];
	struct pki_cert_slot *slot;
	const unsigned char *p = der;
	unsigned int n = 0;
	X509 *cert = NULL, *old = NULL;

	if (len == 0 || len > LONG_MAX)
		return NULL;
	if (EVP_Digest(der, len, h, &n, EVP_sha256(), NULL) != 1 || n != sizeof(h)) {
		ERR_clear_error();
		if ((cert = d2i_X509(NULL, &p, (long)len)) != NULL && p != der + len) {
			X509_free(cert);
			cert = NULL;
		}
		return cert;
	}
	pthread_mutex_lock(&pki->keys_mu);
	if (pki->certs == NULL)
		pki->certs = mado_xcalloc(CERT_SLOTS, sizeof(*pki->certs));
	slot = &pki->certs[(h[0] | (unsigned)h[1] << 8) % CERT_SLOTS];
	if (slot->cert != NULL && memcmp(slot->der, h, sizeof(h)) == 0 &&
	    X509_up_ref(slot->cert) == 1)
		cert = slot->cert;
	pthread_mutex_unlock(&pki->keys_mu);
	if (cert != NULL)
		return cert;
	/* Strictly: all of the DER, nothing after it. */
	if ((cert = d2i_X509(NULL, &p, (long)len)) == NULL || p != der + len) {
		X509_free(cert);
		return NULL;
	}
	/* Its extensions are read now, before it is shared. */
	(void)X509_get_extension_flags(cert);
	if (X509_up_ref(cert) != 1)
		return cert;
	pthread_mutex_lock(&pki->keys_mu);
	old = slot->cert;
	memcpy(slot->der, h, sizeof(h));
	slot->cert = cert;
	pthread_mutex_unlock(&pki->keys_mu);
	X509_free(old);
	return cert;
}

/* Which anchor signed a certificate is the same answer for the same DER bytes: found ones
   are remembered by the certificate's SHA-256 (fp, hex), so a card's login verifies its
   signature once, on its path (check_chain), instead of twice. Anchors never change. */
static struct pki_issuer_slot *
issuer_slot(struct mado_pki *pki, const char *fp)
{
	unsigned idx = 0;
	int i;

	for (i = 0; i < 8; i++)
		idx = idx * 31 + (unsigned char)fp[i];
	if (pki->issuers == NULL)
		pki->issuers = mado_xcalloc(ISSUER_SLOTS, sizeof(*pki->issuers));
	return &pki->issuers[idx % ISSUER_SLOTS];
}

static bool
issuer_key_get(struct mado_pki *pki, const char *fp, char out[65])
{
	struct pki_issuer_slot *slot;
	bool found = false;

	if (strlen(fp) != 64)
		return false;
	pthread_mutex_lock(&pki->keys_mu);
	slot = issuer_slot(pki, fp);
	if (strcmp(slot->fp, fp) == 0) {
		memcpy(out, slot->issuer, 65);
		found = true;
	}
	pthread_mutex_unlock(&pki->keys_mu);
	return found;
}

static void
issuer_key_put(struct mado_pki *pki, const char *fp, const char *issuer)
{
	struct pki_issuer_slot *slot;

	if (strlen(fp) != 64)
		return;
	pthread_mutex_lock(&pki->keys_mu);
	slot = issuer_slot(pki, fp);
	memcpy(slot->fp, fp, 65);
	memcpy(slot->issuer, issuer, 65);
	pthread_mutex_unlock(&pki->keys_mu);
}

static void
issuer_key(struct mado_pki *pki, X509 *cert, const char *fp, char out[65])
{
	X509 *a;
	int i;

	out[0] = '\0';
	if (issuer_key_get(pki, fp, out))
		return;
	for (i = 0; i < sk_X509_num(pki->anchors); i++) {
		a = sk_X509_value(pki->anchors, i);
		if (X509_check_issued(a, cert) != X509_V_OK ||
		    X509_verify(cert, X509_get0_pubkey(a)) != 1)
			continue;
		memcpy(out, pki->anchor_keys[i], 65);
		issuer_key_put(pki, fp, out);
		break;
	}
	ERR_clear_error();
}

/* The card's identity as Mado keys it: the issuer's key and the serial, never the
   subject name. */
static void
card_identity(struct mado_pki *pki, X509 *cert, struct mado_card_id *id)
{
	unsigned char *der = NULL;
	char fp[65];
	BIGNUM *bn;
	char *hex;
	int len;

	memset(id, 0, sizeof(*id));
	len = i2d_X509_NAME(X509_get_issuer_name(cert), &der);
	hash_hex(der, len, id->issuer_hash);
	OPENSSL_free(der);
	der = NULL;
	pki__key_hash(pki, cert, id->key_hash);
	len = i2d_X509(cert, &der);
	hash_hex(der, len, fp);
	OPENSSL_free(der);
	der = NULL;
	snprintf(id->fingerprint, sizeof(id->fingerprint), "%.16s", fp);
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(cert), NULL)) != NULL &&
	    (hex = BN_bn2hex(bn)) != NULL) {
		snprintf(id->serial, sizeof(id->serial), "%s", hex);
		OPENSSL_free(hex);
	}
	BN_free(bn);
	id->not_before = pki__time_t(X509_get0_notBefore(cert));
	id->not_after = pki__time_t(X509_get0_notAfter(cert));
	issuer_key(pki, cert, fp, id->issuer_key);
}

void
mado_pki_card_id(struct mado_pki *pki, X509 *cert, struct mado_card_id *id)
{
	card_identity(pki, cert, id);
}

bool
pki__ocsp_signer_ok(X509 *x)
{
	uint32_t flags = X509_get_extension_flags(x), ku;

	/* X509_get_extended_key_usage answers "everything" when the extension is absent. */
	if ((flags & EXFLAG_INVALID) || !(flags & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(x) & XKU_OCSP_SIGN))
		return false;
	ku = X509_get_key_usage(x);
	return ku == UINT32_MAX || (ku & KU_DIGITAL_SIGNATURE) != 0;
}

bool
pki__sigalg_strong(const X509_ALGOR *alg)
{
	const ASN1_OBJECT *obj;
	const void *param;
	RSA_PSS_PARAMS *pss;
	int ptype, nid, md = NID_undef, pk = NID_undef;

	if (alg == NULL)
		return false;
	X509_ALGOR_get0(&obj, &ptype, &param, alg);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_ED25519 || nid == NID_ED448)
		return true;
	if (nid == NID_rsassaPss) {
		/* The digest is in the parameters; absent, it is SHA-1 (RFC 4055). */
		if (ptype != V_ASN1_SEQUENCE ||
		    (pss = ASN1_TYPE_unpack_sequence(ASN1_ITEM_rptr(RSA_PSS_PARAMS),
						     alg->parameter)) == NULL)
			return false;
		md = pss->hashAlgorithm != NULL ? OBJ_obj2nid(pss->hashAlgorithm->algorithm)
						: NID_sha1;
		RSA_PSS_PARAMS_free(pss);
	} else if (OBJ_find_sigid_algs(nid, &md, &pk) != 1) {
		return false;
	}
	switch (md) {
	case NID_sha256:
	case NID_sha384:
	case NID_sha512:
	case NID_sha3_256:
	case NID_sha3_384:
	case NID_sha3_512: return true;
	default: return false;
	}
}

static bool
oid_listed(STACK_OF(ASN1_OBJECT) *list, const ASN1_OBJECT *o)
{
	int i;

	for (i = 0; i < sk_ASN1_OBJECT_num(list); i++)
		if (OBJ_cmp(sk_ASN1_OBJECT_value(list, i), o) == 0)
			return true;
	return false;
}

static enum mado_pki_reason
check_purpose(X509 *cert, struct mado_pki_result *res)
{
	uint32_t ku, xku;

	if (X509_get_extension_flags(cert) & EXFLAG_INVALID)
		return pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "invalid extensions");
	ku = X509_get_key_usage(cert);
	if (ku == UINT32_MAX)
		return pki__fail(res, MADO_PKI_MISSING_KEY_USAGE, "no keyUsage extension");
	if (!(ku & KU_DIGITAL_SIGNATURE))
		return pki__fail(res, MADO_PKI_WRONG_PURPOSE, "keyUsage lacks digitalSignature");
	xku = X509_get_extended_key_usage(cert);
	/* No extendedKeyUsage is accepted (some national cards omit it); if present it must
	   allow client authentication. */
	if (xku != UINT32_MAX && !(xku & XKU_SSL_CLIENT))
		return pki__fail(res, MADO_PKI_WRONG_PURPOSE, "extendedKeyUsage lacks clientAuth");
	return MADO_PKI_PASS;
}

static enum mado_pki_reason
check_policies(struct mado_pki *pki, X509 *cert, struct mado_pki_result *res)
{
	CERTIFICATEPOLICIES *pol;
	POLICYINFO *pi;
	bool required_found = sk_ASN1_OBJECT_num(pki->required) == 0;
	char oid[96];
	int i, crit = 0;

	pol = X509_get_ext_d2i(cert, NID_certificate_policies, &crit, NULL);
	for (i = 0; pol != NULL && i < sk_POLICYINFO_num(pol); i++) {
		pi = sk_POLICYINFO_value(pol, i);
		if (oid_listed(pki->disallowed, pi->policyid)) {
			OBJ_obj2txt(oid, sizeof(oid), pi->policyid, 1);
			CERTIFICATEPOLICIES_free(pol);
			return pki__fail(res, MADO_PKI_DISALLOWED_POLICY,
					 "policy %s is not allowed", oid);
		}
		if (oid_listed(pki->required, pi->policyid))
			required_found = true;
	}
	CERTIFICATEPOLICIES_free(pol);
	if (!required_found)
		return pki__fail(res, MADO_PKI_MISSING_POLICY, "no required policy present");
	return MADO_PKI_PASS;
}

static enum mado_pki_reason
check_validity(X509 *cert, time_t now, struct mado_pki_result *res)
{
	int c;

	c = pki__time_cmp(X509_get0_notBefore(cert), now);
	if (c == -2)
		return pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "unreadable notBefore");
	if (c > 0)
		return pki__fail(res, MADO_PKI_USER_CERT_NOT_YET_VALID,
				 "not valid before notBefore");
	c = pki__time_cmp(X509_get0_notAfter(cert), now);
	if (c == -2)
		return pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "unreadable notAfter");
	if (c < 0)
		return pki__fail(res, MADO_PKI_USER_CERT_EXPIRED, "notAfter has passed");
	return MADO_PKI_PASS;
}

/* Card keys: RSA of at least 2048 bits without the ROCA fingerprint, or EC on P-256,
   P-384 or P-521. */
static enum mado_pki_reason
check_key(X509 *cert, struct mado_pki_result *res)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	BIGNUM *n = NULL;
	char group[64];
	size_t glen = 0;
	bool roca;

	if (pk == NULL)
		return pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "no public key");
	if (EVP_PKEY_is_a(pk, "RSA")) {
		if (EVP_PKEY_get_bits(pk) < MIN_RSA_BITS)
			return pki__fail(res, MADO_PKI_WEAK_KEY, "RSA key of %d bits",
					 EVP_PKEY_get_bits(pk));
		if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &n) != 1)
			return pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "no RSA modulus");
		roca = mado_pki_roca(n);
		BN_free(n);
		if (roca)
			return pki__fail(res, MADO_PKI_WEAK_KEY,
					 "RSA key with the ROCA fingerprint (CVE-2017-15361)");
		return MADO_PKI_PASS;
	}
	if (EVP_PKEY_is_a(pk, "EC") &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &glen) == 1 &&
	    (strcmp(group, "prime256v1") == 0 || strcmp(group, "secp384r1") == 0 ||
	     strcmp(group, "secp521r1") == 0))
		return MADO_PKI_PASS;
	return pki__fail(res, MADO_PKI_WEAK_KEY, "key type not accepted for cards");
}

/* Builds the path to an anchor; returns the issuer (a new reference) or NULL. */
static X509 *
check_chain(struct mado_pki *pki, X509 *cert, time_t now, struct mado_pki_result *res)
{
	X509_STORE_CTX *ctx = pki__verify_ctx(pki, cert, now);
	STACK_OF(X509) *chain;
	X509 *issuer = NULL;
	int err;

	if (ctx == NULL) {
		pki__fail(res, MADO_PKI_INTERNAL, "cannot set up path validation");
		return NULL;
	}
	if (X509_verify_cert(ctx) == 1) {
		chain = X509_STORE_CTX_get0_chain(ctx);
		if (sk_X509_num(chain) >= 2) {
			issuer = sk_X509_value(chain, 1);
			X509_up_ref(issuer);
		} else {
			pki__fail(res, MADO_PKI_NOT_TRUSTED, "a trust anchor itself is not a card");
		}
	} else {
		err = X509_STORE_CTX_get_error(ctx);
		pki__fail(res,
			  err == X509_V_ERR_EE_KEY_TOO_SMALL || err == X509_V_ERR_CA_KEY_TOO_SMALL
			      ? MADO_PKI_WEAK_KEY
			      : MADO_PKI_NOT_TRUSTED,
			  "path validation: %s", X509_verify_cert_error_string(err));
	}
	X509_STORE_CTX_free(ctx);
	ERR_clear_error();
	return issuer;
}

static enum mado_pki_reason
check_revocation(struct mado_pki *pki, X509 *cert, X509 *issuer, time_t now,
		 struct mado_pki_result *res)
{
	switch (pki->revocation) {
	case MADO_REVOCATION_OCSP: return pki__ocsp(pki, cert, issuer, now, res);
	case MADO_REVOCATION_CRL: return pki__crl(pki, cert, issuer, now, res);
	case MADO_REVOCATION_OFF: break;
	}
	return MADO_PKI_PASS;
}

enum mado_pki_reason
mado_pki_check_cert(struct mado_pki *pki, X509 *cert, time_t now,
		    enum mado_pki_revocation_mode mode, struct mado_pki_result *res)
{
	enum mado_pki_reason r;
	X509 *issuer;

	res->reason = MADO_PKI_PASS;
	res->detail[0] = '\0';
	card_identity(pki, cert, &res->card);
	/* The reference order: purpose and policies, then validity, then the path. */
	if ((r = check_purpose(cert, res)) != MADO_PKI_PASS ||
	    (r = check_policies(pki, cert, res)) != MADO_PKI_PASS ||
	    (r = check_validity(cert, now, res)) != MADO_PKI_PASS)
		return r;
	if ((issuer = check_chain(pki, cert, now, res)) == NULL)
		return res->reason;
	if ((r = check_key(cert, res)) == MADO_PKI_PASS && mode == MADO_PKI_REVOCATION_CONFIGURED)
		r = check_revocation(pki, cert, issuer, now, res);
	X509_free(issuer);
	return r;
}

enum mado_pki_reason
mado_pki_revocation(struct mado_pki *pki, X509 *cert, time_t now, struct mado_pki_result *res)
{
	enum mado_pki_reason r;
	X509 *issuer;

	res->reason = MADO_PKI_PASS;
	res->detail[0] = '\0';
	card_identity(pki, cert, &res->card);
	if ((issuer = check_chain(pki, cert, now, res)) == NULL)
		return res->reason;
	r = check_revocation(pki, cert, issuer, now, res);
	X509_free(issuer);
	return r;
}
