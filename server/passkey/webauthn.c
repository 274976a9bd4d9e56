/*
 * WebAuthn without I/O: clientDataJSON, authenticator data, COSE keys, attestation
 * statements ("none"; "packed", with a certificate or self) and assertion signatures.
 * CBOR is read with libcbor, signatures checked with OpenSSL: ES256, RS256 and EdDSA.
 */
#include <stdlib.h>
#include <string.h>

#include <cbor.h>
#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "mado/util.h"
#include "passkey_int.h"

const char *
pk_reason_str(enum pk_reason r)
{
	static const char *const s[] = {
	    "ok",
	    "client-data",
	    "type",
	    "challenge",
	    "origin",
	    "rp-id",
	    "user-presence",
	    "user-verification",
	    "authenticator-data",
	    "algorithm",
	    "key",
	    "attestation",
	    "signature",
	    "counter",
	    "unknown-credential",
	    "card-revoked",
	};

	return (size_t)r < MADO_NELEM(s) ? s[r] : "internal";
}

unsigned char *
pk_b64url_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), i;
	unsigned char *out;
	char *t;

	if (n == 0 || n % 4 == 1)
		return NULL;
	t = mado_xmalloc(n + 3);
	for (i = 0; i < n; i++) {
		if (s[i] == '+' || s[i] == '/' || s[i] == '=') {
			free(t);
			return NULL;
		}
		t[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	}
	while (i % 4 != 0)
		t[i++] = '=';
	out = mado_b64_decode(t, i, outlen);
	free(t);
	return out;
}

static const char *
json_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

enum pk_reason
pk_client_data(const unsigned char *cd, size_t len, const struct pk_expect *e)
{
	const char *type, *challenge, *origin;
	enum pk_reason r = PK_OK;
	cJSON *j = cJSON_ParseWithLength((const char *)cd, len);

	if (j == NULL || !cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return PK_CLIENT_DATA;
	}
	type = json_str(j, "type");
	challenge = json_str(j, "challenge");
	origin = json_str(j, "origin");
	if (type == NULL || challenge == NULL || origin == NULL)
		r = PK_CLIENT_DATA;
	else if (strcmp(type, e->type) != 0)
		r = PK_TYPE;
	else if (strlen(challenge) != strlen(e->challenge) ||
		 !mado_ct_equal(challenge, e->challenge, strlen(challenge)))
		r = PK_CHALLENGE;
	/* Our origin, and not from inside another site's frame. */
	else if (strcmp(origin, e->origin) != 0 ||
		 cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "crossOrigin")))
		r = PK_ORIGIN;
	cJSON_Delete(j);
	return r;
}

enum pk_reason
pk_auth_data(const unsigned char *ad, size_t len, const char *rp_id, bool attested,
	     struct pk_auth_data *out)
{
	unsigned char want[SHA256_DIGEST_LENGTH];
	struct cbor_load_result res;
	cbor_item_t *item;
	size_t off = 37;

	memset(out, 0, sizeof(*out));
	if (len < 37)
		return PK_AUTH_DATA;
	SHA256((const unsigned char *)rp_id, strlen(rp_id), want);
	if (!mado_ct_equal(ad, want, sizeof(want)))
		return PK_RP_ID;
	out->flags = ad[32];
	out->sign_count = (uint32_t)ad[33] << 24 | (uint32_t)ad[34] << 16 | (uint32_t)ad[35] << 8 |
			  (uint32_t)ad[36];
	if (!(out->flags & PK_FLAG_UP))
		return PK_UP;
	if (!(out->flags & PK_FLAG_UV))
		return PK_UV;
	if (attested != ((out->flags & PK_FLAG_AT) != 0))
		return PK_AUTH_DATA;
	if (attested) {
		if (len < off + 18)
			return PK_AUTH_DATA;
		out->aaguid = ad + off;
		out->cred_id_len = (size_t)ad[off + 16] << 8 | ad[off + 17];
		off += 18;
		if (out->cred_id_len < 16 || out->cred_id_len > PK_CRED_ID_MAX ||
		    len < off + out->cred_id_len + 1)
			return PK_AUTH_DATA;
		out->cred_id = ad + off;
		off += out->cred_id_len;
		/* The COSE key is one CBOR item: its length is what libcbor read of it. */
		item = cbor_load(ad + off, len - off, &res);
		if (item == NULL || res.error.code != CBOR_ERR_NONE) {
			if (item != NULL)
				cbor_decref(&item);
			return PK_KEY;
		}
		cbor_decref(&item);
		out->cose = ad + off;
		out->cose_len = res.read;
		off += res.read;
	}
	if (out->flags & PK_FLAG_ED) {
		item = cbor_load(ad + off, len - off, &res);
		if (item == NULL || res.error.code != CBOR_ERR_NONE || !cbor_isa_map(item)) {
			if (item != NULL)
				cbor_decref(&item);
			return PK_AUTH_DATA;
		}
		cbor_decref(&item);
		off += res.read;
	}
	return off == len ? PK_OK : PK_AUTH_DATA;
}

/* A CBOR integer as a signed value; false when it is not one that fits. */
static bool
cbor_int(const cbor_item_t *it, long long *v)
{
	uint64_t u;

	if (it == NULL || (!cbor_isa_uint(it) && !cbor_isa_negint(it)))
		return false;
	u = cbor_get_int(it);
	if (u > (uint64_t)INT64_MAX)
		return false;
	*v = cbor_isa_uint(it) ? (long long)u : -1 - (long long)u;
	return true;
}

/* The value of map under integer label, or NULL. */
static cbor_item_t *
map_int(const cbor_item_t *map, long long label)
{
	struct cbor_pair *p = cbor_map_handle(map);
	size_t i, n = cbor_map_size(map);
	long long k;

	for (i = 0; i < n; i++)
		if (cbor_int(p[i].key, &k) && k == label)
			return p[i].value;
	return NULL;
}

/* The value of map under text label, or NULL. */
static cbor_item_t *
map_str(const cbor_item_t *map, const char *label)
{
	struct cbor_pair *p = cbor_map_handle(map);
	size_t i, n = cbor_map_size(map), len = strlen(label);

	for (i = 0; i < n; i++)
		if (cbor_isa_string(p[i].key) && cbor_string_is_definite(p[i].key) &&
		    cbor_string_length(p[i].key) == len &&
		    memcmp(cbor_string_handle(p[i].key), label, len) == 0)
			return p[i].value;
	return NULL;
}

/* A definite byte string of exactly want bytes (0: any length). */
static const unsigned char *
bytes_of(const cbor_item_t *it, size_t want, size_t *len)
{
	if (it == NULL || !cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
		return NULL;
	*len = cbor_bytestring_length(it);
	if (want != 0 && *len != want)
		return NULL;
	return cbor_bytestring_handle(it);
}

static EVP_PKEY *
ec_key(const unsigned char *x, const unsigned char *y)
{
	unsigned char pub[65];
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	if (bld != NULL &&
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) &&
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub)) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

static EVP_PKEY *
rsa_key(const unsigned char *n, size_t nlen, const unsigned char *e, size_t elen)
{
	BIGNUM *bn = BN_bin2bn(n, (int)nlen, NULL), *be = BN_bin2bn(e, (int)elen, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;

	if (bn != NULL && be != NULL && bld != NULL && BN_num_bits(bn) >= 2048 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
	    (ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) != NULL &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		(void)EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return key;
}

enum pk_reason
pk_cose_key(const unsigned char *cose, size_t len, EVP_PKEY **key, int *alg)
{
	const unsigned char *x, *y, *n, *e;
	struct cbor_load_result res;
	long long kty, a, crv;
	size_t xl, yl, nl, el;
	enum pk_reason r = PK_KEY;
	cbor_item_t *m = cbor_load(cose, len, &res);

	*key = NULL;
	if (m == NULL || res.error.code != CBOR_ERR_NONE || !cbor_isa_map(m) ||
	    !cbor_map_is_definite(m) || !cbor_int(map_int(m, 1), &kty) ||
	    !cbor_int(map_int(m, 3), &a))
		goto out;
	*alg = (int)a;
	if (a == PK_ES256 && kty == 2 && cbor_int(map_int(m, -1), &crv) && crv == 1 &&
	    (x = bytes_of(map_int(m, -2), 32, &xl)) != NULL &&
	    (y = bytes_of(map_int(m, -3), 32, &yl)) != NULL)
		*key = ec_key(x, y);
	else if (a == PK_RS256 && kty == 3 && (n = bytes_of(map_int(m, -1), 0, &nl)) != NULL &&
		 (e = bytes_of(map_int(m, -2), 0, &el)) != NULL && nl <= 512 && el <= 8)
		*key = rsa_key(n, nl, e, el);
	else if (a == PK_EDDSA && kty == 1 && cbor_int(map_int(m, -1), &crv) && crv == 6 &&
		 (x = bytes_of(map_int(m, -2), 32, &xl)) != NULL)
		*key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, 32);
	else if (a != PK_ES256 && a != PK_RS256 && a != PK_EDDSA)
		r = PK_ALG;
	if (*key != NULL)
		r = PK_OK;
out:
	if (m != NULL)
		cbor_decref(&m);
	return r;
}

/* The signature over data with key under the COSE algorithm. */
static bool
verify_raw(EVP_PKEY *key, int alg, const unsigned char *data, size_t len, const unsigned char *sig,
	   size_t siglen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = alg == PK_EDDSA ? NULL : EVP_sha256();
	bool ok = false;

	if (alg == PK_ES256 && EVP_PKEY_get_base_id(key) != EVP_PKEY_EC)
		md = NULL, alg = 0;
	if (alg == PK_RS256 && EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA)
		alg = 0;
	if (alg == PK_EDDSA && EVP_PKEY_get_base_id(key) != EVP_PKEY_ED25519)
		alg = 0;
	if (ctx != NULL && alg != 0 && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

/* authenticator data || SHA-256(clientDataJSON), the bytes every signature covers. */
static unsigned char *
signed_bytes(const unsigned char *ad, size_t adlen, const unsigned char *cd, size_t cdlen,
	     size_t *len)
{
	unsigned char *buf = mado_xmalloc(adlen + SHA256_DIGEST_LENGTH);

	memcpy(buf, ad, adlen);
	SHA256(cd, cdlen, buf + adlen);
	*len = adlen + SHA256_DIGEST_LENGTH;
	return buf;
}

enum pk_reason
pk_verify(EVP_PKEY *key, int alg, const unsigned char *ad, size_t adlen, const unsigned char *cd,
	  size_t cdlen, const unsigned char *sig, size_t siglen)
{
	size_t len;
	unsigned char *buf = signed_bytes(ad, adlen, cd, cdlen, &len);
	bool ok = verify_raw(key, alg, buf, len, sig, siglen);

	free(buf);
	return ok ? PK_OK : PK_SIGNATURE;
}

/* The attestation certificate of "packed" (WebAuthn 8.2.1): version 3, subject OU
   "Authenticator Attestation", not a CA, and the AAGUID when it names one. */
static bool
packed_cert_ok(X509 *cert, const unsigned char *aaguid)
{
	X509_NAME *subj = X509_get_subject_name(cert);
	char ou[64];
	ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.4.1.45724.1.1.4", 1);
	int idx = oid != NULL ? X509_get_ext_by_OBJ(cert, oid, -1) : -2;
	const ASN1_OCTET_STRING *v;
	const unsigned char *p;
	ASN1_OCTET_STRING *inner = NULL;
	bool ok;

	ok = X509_get_version(cert) == 2 && subj != NULL &&
	     X509_NAME_get_text_by_NID(subj, NID_organizationalUnitName, ou, sizeof(ou)) > 0 &&
	     strcmp(ou, "Authenticator Attestation") == 0 &&
	     (X509_get_extension_flags(cert) & EXFLAG_CA) == 0 && idx != -2;
	if (ok && idx >= 0) {
		/* The extension's value is an OCTET STRING holding the 16-byte AAGUID. */
		v = X509_EXTENSION_get_data(X509_get_ext(cert, idx));
		p = ASN1_STRING_get0_data(v);
		inner = d2i_ASN1_OCTET_STRING(NULL, &p, ASN1_STRING_length(v));
		ok = inner != NULL && ASN1_STRING_length(inner) == 16 &&
		     memcmp(ASN1_STRING_get0_data(inner), aaguid, 16) == 0;
		ASN1_OCTET_STRING_free(inner);
	}
	ASN1_OBJECT_free(oid);
	return ok;
}

/* attStmt of "packed": a signature by the attestation certificate's key, or by the new
   credential itself (self attestation). */
static enum pk_reason
packed(const cbor_item_t *stmt, const struct pk_auth_data *a, EVP_PKEY *cred_key, int cred_alg,
       const unsigned char *ad, size_t adlen, const unsigned char *cd, size_t cdlen,
       const char **kind)
{
	const cbor_item_t *x5c = map_str(stmt, "x5c");
	const unsigned char *sig, *der;
	size_t siglen, derlen, len;
	unsigned char *buf;
	EVP_PKEY *key;
	X509 *cert = NULL;
	long long alg;
	bool ok;

	if (!cbor_int(map_str(stmt, "alg"), &alg) ||
	    (sig = bytes_of(map_str(stmt, "sig"), 0, &siglen)) == NULL)
		return PK_ATTESTATION;
	buf = signed_bytes(ad, adlen, cd, cdlen, &len);
	if (x5c == NULL) {
		*kind = "self";
		ok = alg == cred_alg && verify_raw(cred_key, (int)alg, buf, len, sig, siglen);
	} else {
		*kind = "packed";
		ok = cbor_isa_array(x5c) && cbor_array_size(x5c) >= 1 &&
		     (der = bytes_of(cbor_array_handle(x5c)[0], 0, &derlen)) != NULL &&
		     (cert = d2i_X509(NULL, &der, (long)derlen)) != NULL &&
		     packed_cert_ok(cert, a->aaguid) && (key = X509_get0_pubkey(cert)) != NULL &&
		     (alg == PK_ES256 || alg == PK_RS256 || alg == PK_EDDSA) &&
		     verify_raw(key, (int)alg, buf, len, sig, siglen);
		X509_free(cert);
	}
	free(buf);
	return ok ? PK_OK : PK_ATTESTATION;
}

enum pk_reason
pk_register(const unsigned char *att, size_t attlen, const unsigned char *cd, size_t cdlen,
	    const struct pk_expect *e, struct pk_new *out)
{
	const cbor_item_t *fmt, *stmt;
	struct cbor_load_result res;
	const unsigned char *ad;
	struct pk_auth_data a;
	enum pk_reason r;
	size_t adlen;
	cbor_item_t *m;

	memset(out, 0, sizeof(*out));
	if ((r = pk_client_data(cd, cdlen, e)) != PK_OK)
		return r;
	m = cbor_load(att, attlen, &res);
	if (m == NULL || res.error.code != CBOR_ERR_NONE || res.read != attlen ||
	    !cbor_isa_map(m) || (fmt = map_str(m, "fmt")) == NULL || !cbor_isa_string(fmt) ||
	    !cbor_string_is_definite(fmt) || (stmt = map_str(m, "attStmt")) == NULL ||
	    !cbor_isa_map(stmt) || (ad = bytes_of(map_str(m, "authData"), 0, &adlen)) == NULL) {
		r = PK_ATTESTATION;
		goto out;
	}
	if ((r = pk_auth_data(ad, adlen, e->rp_id, true, &a)) != PK_OK ||
	    (r = pk_cose_key(a.cose, a.cose_len, &out->key, &out->alg)) != PK_OK)
		goto out;
	if (cbor_string_length(fmt) == 4 && memcmp(cbor_string_handle(fmt), "none", 4) == 0) {
		out->attestation = "none";
		r = cbor_map_size(stmt) == 0 ? PK_OK : PK_ATTESTATION;
	} else if (cbor_string_length(fmt) == 6 &&
		   memcmp(cbor_string_handle(fmt), "packed", 6) == 0) {
		r = packed(stmt, &a, out->key, out->alg, ad, adlen, cd, cdlen, &out->attestation);
	} else {
		r = PK_ATTESTATION; /* other formats are not taken */
	}
	if (r == PK_OK) {
		memcpy(out->cred_id, a.cred_id, a.cred_id_len);
		out->cred_id_len = a.cred_id_len;
		out->sign_count = a.sign_count;
	}
out:
	if (m != NULL)
		cbor_decref(&m);
	if (r != PK_OK) {
		EVP_PKEY_free(out->key);
		out->key = NULL;
	}
	return r;
}

bool
pk_counter_ok(uint32_t stored, uint32_t now)
{
	return (stored == 0 && now == 0) || now > stored;
}
