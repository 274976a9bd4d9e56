/*
 * Web eID authentication tokens (format web-eid:1.x, SPECS.md 1.3-1.7): the card signed
 * H(origin) || H(nonce) with its authentication key. Every step of the reference
 * validator, in its order, so the reasons match the published test vectors.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "mado/err.h"
#include "mado/json.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "pki_int.h"

#define TOKEN_MIN 100
#define TOKEN_MAX 10000

enum alg_family { ALG_ES, ALG_RS, ALG_PS };

static const struct {
	const char *name;
	enum alg_family family;
	int bits; /* hash size, and the EC curve for ES* */
} algs[] = {
    {"ES256", ALG_ES, 256}, {"ES384", ALG_ES, 384}, {"ES512", ALG_ES, 512},
    {"RS256", ALG_RS, 256}, {"RS384", ALG_RS, 384}, {"RS512", ALG_RS, 512},
    {"PS256", ALG_PS, 256}, {"PS384", ALG_PS, 384}, {"PS512", ALG_PS, 512},
};

static const EVP_MD *
md_for(int bits)
{
	return bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384() : EVP_sha512();
}

static bool
format_ok(const char *f)
{
	size_t i;

	/* web-eid:1, web-eid:1.0, web-eid:1.N; 1.1 adds signing certificates we do not use,
	   and is accepted as a compatible minor version. */
	if (strncmp(f, "web-eid:1", 9) != 0)
		return false;
	if (f[9] == '\0')
		return true;
	if (f[9] != '.' || f[10] == '\0')
		return false;
	for (i = 10; f[i] != '\0'; i++)
		if (f[i] < '0' || f[i] > '9')
			return false;
	return true;
}

/* ECDSA signatures arrive as raw r || s; OpenSSL verifies DER. */
static unsigned char *
ecdsa_raw_to_der(const unsigned char *raw, size_t len, size_t *derlen)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *r, *s;
	unsigned char *der = NULL;
	int n;

	*derlen = 0;
	if (sig == NULL)
		return NULL;
	r = BN_bin2bn(raw, (int)(len / 2), NULL);
	s = BN_bin2bn(raw + len / 2, (int)(len / 2), NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(sig, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(sig);
		return NULL;
	}
	if ((n = i2d_ECDSA_SIG(sig, &der)) > 0)
		*derlen = (size_t)n;
	ECDSA_SIG_free(sig);
	return der;
}

static enum mado_pki_reason
verify_signature(X509 *cert, int alg, const unsigned char *sig, size_t siglen, const char *origin,
		 const char *nonce, struct mado_pki_result *res)
{
	EVP_PKEY *pk = X509_get0_pubkey(cert);
	const EVP_MD *md = md_for(algs[alg].bits);
	unsigned char data[2 * EVP_MAX_MD_SIZE], *der = NULL;
	unsigned int n1 = 0, n2 = 0;
	const unsigned char *vsig = sig;
	size_t vlen = siglen, field;
	EVP_MD_CTX *mctx = NULL;
	EVP_PKEY_CTX *pctx = NULL;
	char group[64];
	size_t glen;
	int ok = 0;

	/* The key must be of the algorithm's kind (and curve): no algorithm confusion. */
	if (algs[alg].family == ALG_ES) {
		const char *want = algs[alg].bits == 256   ? "prime256v1"
				   : algs[alg].bits == 384 ? "secp384r1"
							   : "secp521r1";

		if (!EVP_PKEY_is_a(pk, "EC") ||
		    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, group,
						   sizeof(group), &glen) != 1 ||
		    strcmp(group, want) != 0)
			return pki__fail(res, MADO_PKI_SIGNATURE, "the key does not fit %s",
					 algs[alg].name);
		field = ((size_t)EVP_PKEY_get_bits(pk) + 7) / 8;
		if (siglen != 2 * field)
			return pki__fail(res, MADO_PKI_SIGNATURE, "an %s signature has %zu bytes",
					 algs[alg].name, 2 * field);
		if ((der = ecdsa_raw_to_der(sig, siglen, &vlen)) == NULL)
			return pki__fail(res, MADO_PKI_INTERNAL, "cannot convert the signature");
		vsig = der;
	} else if (!EVP_PKEY_is_a(pk, "RSA") || siglen != (size_t)EVP_PKEY_get_size(pk)) {
		return pki__fail(res, MADO_PKI_SIGNATURE, "the key does not fit %s",
				 algs[alg].name);
	}
	/* signed data = H(origin) || H(nonce as issued, the base64 text) */
	if (EVP_Digest(origin, strlen(origin), data, &n1, md, NULL) != 1 ||
	    EVP_Digest(nonce, strlen(nonce), data + n1, &n2, md, NULL) != 1) {
		OPENSSL_free(der);
		return pki__fail(res, MADO_PKI_INTERNAL, "digest failed");
	}
	if ((mctx = EVP_MD_CTX_new()) != NULL &&
	    EVP_DigestVerifyInit(mctx, &pctx, md, NULL, pk) == 1 &&
	    (algs[alg].family != ALG_PS ||
	     (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) == 1 &&
	      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) == 1)))
		ok = EVP_DigestVerify(mctx, vsig, vlen, data, n1 + n2);
	EVP_MD_CTX_free(mctx);
	OPENSSL_free(der);
	ERR_clear_error();
	if (ok != 1)
		return pki__fail(res, MADO_PKI_SIGNATURE,
				 "the signature does not verify for this origin and nonce");
	return MADO_PKI_PASS;
}

/* The string member key of obj: NULL if absent; *wrong_type set if present but no string. */
static const char *
member(const cJSON *obj, const char *key, bool *wrong_type)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*wrong_type = false;
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	if (!cJSON_IsString(v) || v->valuestring == NULL) {
		*wrong_type = true;
		return NULL;
	}
	return v->valuestring;
}

enum mado_pki_reason
mado_webeid_validate(struct mado_pki *pki, const char *token, size_t len, const char *origin,
		     const char *nonce, time_t now, enum mado_pki_revocation_mode mode,
		     struct mado_pki_result *res, X509 **cert_out)
{
	const char *format, *b64cert, *alg, *b64sig;
	unsigned char *der = NULL, *sig = NULL;
	enum mado_pki_reason r;
	size_t derlen = 0, siglen = 0, i;
	char detail[128];
	cJSON *root = NULL;
	X509 *cert = NULL;
	bool wrong;
	int a = -1;

	memset(res, 0, sizeof(*res));
	if (cert_out != NULL)
		*cert_out = NULL;
	/* 1. Size before anything is parsed. */
	if (len < TOKEN_MIN || len > TOKEN_MAX)
		return pki__fail(res, MADO_PKI_TOKEN_LENGTH, "a token has %d to %d characters",
				 TOKEN_MIN, TOKEN_MAX);
	if (mado_json_parse_nul_replaced(token, len, &root, detail, sizeof(detail)) != MADO_OK ||
	    !cJSON_IsObject(root)) {
		r = pki__fail(res, MADO_PKI_PARSE, "not a JSON object");
		goto done;
	}
	/* 2. Format. */
	format = member(root, "format", &wrong);
	if (wrong) {
		r = pki__fail(res, MADO_PKI_PARSE, "format is not a string");
		goto done;
	}
	if (format == NULL || !format_ok(format)) {
		r = pki__fail(res, MADO_PKI_UNSUPPORTED_FORMAT, "format must be web-eid:1.x");
		goto done;
	}
	/* 3. The certificate, strictly decoded: all of the DER, nothing after it. */
	b64cert = member(root, "unverifiedCertificate", &wrong);
	if (wrong) {
		r = pki__fail(res, MADO_PKI_PARSE, "unverifiedCertificate is not a string");
		goto done;
	}
	if (b64cert == NULL || *b64cert == '\0') {
		r = pki__fail(res, MADO_PKI_MISSING_CERTIFICATE, "no unverifiedCertificate");
		goto done;
	}
	if ((der = mado_b64_decode(b64cert, strlen(b64cert), &derlen)) == NULL) {
		r = pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "not base64");
		goto done;
	}
	if ((cert = pki__cert_parse(pki, der, derlen)) == NULL) {
		r = pki__fail(res, MADO_PKI_CERTIFICATE_DECODING, "not one DER certificate");
		goto done;
	}
	/* 4-8. Purpose, policies, validity, path, key, revocation. */
	if ((r = mado_pki_check_cert(pki, cert, now, mode, res)) != MADO_PKI_PASS)
		goto done;
	/* 9. Algorithm and signature. */
	alg = member(root, "algorithm", &wrong);
	if (wrong || alg == NULL || *alg == '\0') {
		r = pki__fail(res, MADO_PKI_MISSING_ALGORITHM, "algorithm is missing or empty");
		goto done;
	}
	for (i = 0; i < MADO_NELEM(algs); i++)
		if (strcmp(alg, algs[i].name) == 0)
			a = (int)i;
	if (a < 0) {
		r = pki__fail(res, MADO_PKI_UNSUPPORTED_ALGORITHM,
			      "unsupported signature algorithm");
		goto done;
	}
	b64sig = member(root, "signature", &wrong);
	if (wrong || b64sig == NULL || *b64sig == '\0' ||
	    (sig = mado_b64_decode(b64sig, strlen(b64sig), &siglen)) == NULL || siglen == 0) {
		r = pki__fail(res, MADO_PKI_PARSE, "signature is missing or not base64");
		goto done;
	}
	r = verify_signature(cert, a, sig, siglen, origin, nonce, res);
done:
	if (r == MADO_PKI_PASS && cert_out != NULL) {
		*cert_out = cert;
		cert = NULL;
	}
	res->reason = r;
	X509_free(cert);
	free(der);
	free(sig);
	cJSON_Delete(root);
	ERR_clear_error();
	return r;
}
