/* Virtual cards: sign a login challenge into a Web eID token, as a card would. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mado/err.h"
#include "mado/util.h"
#include "mado/vcard.h"

bool
mado_vcard_name_ok(const char *name)
{
	size_t i;

	for (i = 0; name[i] != '\0'; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return false;
	return i > 0 && i <= 32;
}

static X509 *
load_cert(const char *dir, const char *name)
{
	char path[4096];
	X509 *x = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cards/%s.crt", dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		x = PEM_read_X509(f, NULL, NULL, NULL);
		fclose(f);
	}
	return x;
}

static EVP_PKEY *
load_key(const char *dir, const char *name)
{
	char path[4096];
	EVP_PKEY *k = NULL;
	FILE *f;

	snprintf(path, sizeof(path), "%s/cards/%s.key", dir, name);
	if ((f = fopen(path, "r")) != NULL) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	return k;
}

/* The algorithm a card of this key uses by default, and the signature's hash size. */
static const char *
default_alg(EVP_PKEY *k)
{
	char group[64];
	size_t n = 0;

	if (EVP_PKEY_is_a(k, "RSA"))
		return "RS256";
	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   &n) != 1)
		return NULL;
	if (strcmp(group, "prime256v1") == 0)
		return "ES256";
	if (strcmp(group, "secp384r1") == 0)
		return "ES384";
	if (strcmp(group, "secp521r1") == 0)
		return "ES512";
	return NULL;
}

/* Signs H(origin) || H(nonce); ECDSA signatures are returned as raw r || s. */
static unsigned char *
sign(EVP_PKEY *k, const char *alg, const char *origin, const char *nonce, size_t *siglen)
{
	int bits = atoi(alg + 2);
	const EVP_MD *md = bits == 256 ? EVP_sha256() : bits == 384 ? EVP_sha384() : EVP_sha512();
	unsigned char data[2 * EVP_MAX_MD_SIZE], *der = NULL, *raw = NULL;
	unsigned int n1 = 0, n2 = 0;
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const BIGNUM *r, *s;
	ECDSA_SIG *sig = NULL;
	const unsigned char *p;
	size_t len = 0, field;

	*siglen = 0;
	if (mctx == NULL || EVP_Digest(origin, strlen(origin), data, &n1, md, NULL) != 1 ||
	    EVP_Digest(nonce, strlen(nonce), data + n1, &n2, md, NULL) != 1 ||
	    EVP_DigestSignInit(mctx, &pctx, md, NULL, k) != 1)
		goto done;
	if (alg[0] == 'P' && (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
			      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) != 1 ||
			      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) != 1))
		goto done;
	if (EVP_DigestSign(mctx, NULL, &len, data, n1 + n2) != 1 || (der = malloc(len)) == NULL ||
	    EVP_DigestSign(mctx, der, &len, data, n1 + n2) != 1)
		goto done;
	if (alg[0] != 'E') {
		raw = der;
		der = NULL;
		*siglen = len;
		goto done;
	}
	p = der;
	field = ((size_t)EVP_PKEY_get_bits(k) + 7) / 8;
	if ((sig = d2i_ECDSA_SIG(NULL, &p, (long)len)) == NULL || (raw = malloc(2 * field)) == NULL)
		goto done;
	ECDSA_SIG_get0(sig, &r, &s);
	if (BN_bn2binpad(r, raw, (int)field) < 0 || BN_bn2binpad(s, raw + field, (int)field) < 0) {
		free(raw);
		raw = NULL;
		goto done;
	}
	*siglen = 2 * field;
done:
	ECDSA_SIG_free(sig);
	free(der);
	EVP_MD_CTX_free(mctx);
	ERR_clear_error();
	return raw;
}

struct mado_vcard {
	EVP_PKEY *key;
	char *b64cert;
};

void
mado_vcard_free(struct mado_vcard *card)
{
	if (card == NULL)
		return;
	EVP_PKEY_free(card->key);
	free(card->b64cert);
	free(card);
}

int
mado_vcard_load(const char *dir, const char *name, struct mado_vcard **out)
{
	struct mado_vcard *c;
	unsigned char *der = NULL;
	X509 *x = NULL;
	int derlen, rc = MADO_E_NOT_FOUND;

	*out = NULL;
	if (!mado_vcard_name_ok(name))
		return MADO_E_NOT_FOUND;
	c = mado_xcalloc(1, sizeof(*c));
	if ((x = load_cert(dir, name)) == NULL || (c->key = load_key(dir, name)) == NULL ||
	    (derlen = i2d_X509(x, &der)) <= 0)
		goto done;
	c->b64cert = mado_xmalloc((size_t)derlen / 3 * 4 + 8);
	mado_b64(der, (size_t)derlen, c->b64cert);
	*out = c;
	c = NULL;
	rc = MADO_OK;
done:
	OPENSSL_free(der);
	X509_free(x);
	mado_vcard_free(c);
	return rc;
}

int
mado_vcard_sign(const struct mado_vcard *card, const char *origin, const char *nonce,
		const char *alg, char **token)
{
	unsigned char *sig = NULL;
	char *b64sig = NULL;
	cJSON *t = NULL;
	size_t siglen = 0;
	int rc = MADO_E_INTERNAL;

	*token = NULL;
	if (alg == NULL && (alg = default_alg(card->key)) == NULL)
		return MADO_E_INTERNAL;
	if ((sig = sign(card->key, alg, origin, nonce, &siglen)) == NULL)
		goto done;
	b64sig = mado_xmalloc(siglen / 3 * 4 + 8);
	mado_b64(sig, siglen, b64sig);
	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "unverifiedCertificate", card->b64cert);
	cJSON_AddStringToObject(t, "algorithm", alg);
	cJSON_AddStringToObject(t, "signature", b64sig);
	cJSON_AddStringToObject(t, "format", "web-eid:1.0");
	cJSON_AddStringToObject(t, "appVersion", "https://mado.invalid/mado-card/" MADO_VERSION);
	*token = cJSON_PrintUnformatted(t);
	rc = MADO_OK;
done:
	cJSON_Delete(t);
	free(b64sig);
	free(sig);
	return rc;
}

int
mado_vcard_token(const char *dir, const char *name, const char *origin, const char *nonce,
		 const char *alg, char **token)
{
	struct mado_vcard *card;
	int rc;

	*token = NULL;
	if ((rc = mado_vcard_load(dir, name, &card)) != MADO_OK)
		return rc;
	rc = mado_vcard_sign(card, origin, nonce, alg, token);
	mado_vcard_free(card);
	return rc;
}

/* "RSA-2048", "EC P-256": what a resident sees next to a demo card. */
static void
key_label(EVP_PKEY *k, char *out, size_t len)
{
	const char *alg = default_alg(k);

	if (EVP_PKEY_is_a(k, "RSA"))
		snprintf(out, len, "RSA-%d", EVP_PKEY_get_bits(k));
	else if (alg != NULL)
		snprintf(out, len, "EC P-%s", strcmp(alg, "ES512") == 0 ? "521" : alg + 2);
	else
		snprintf(out, len, "?");
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
mado_vcard_list(const char *dir, cJSON **out)
{
	char path[4096], *names[256];
	struct dirent *de;
	size_t n = 0, i, len;
	cJSON *arr, *c;
	DIR *d;
	X509 *x;
	char date[32], label[32];
	struct tm tm;

	*out = NULL;
	snprintf(path, sizeof(path), "%s/cards", dir);
	if ((d = opendir(path)) == NULL)
		return MADO_E_NOT_FOUND;
	while ((de = readdir(d)) != NULL && n < MADO_NELEM(names)) {
		len = strlen(de->d_name);
		if (len > 4 && strcmp(de->d_name + len - 4, ".crt") == 0) {
			names[n] = mado_xstrdup(de->d_name);
			names[n++][len - 4] = '\0';
		}
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_names);
	arr = cJSON_CreateArray();
	for (i = 0; i < n; i++) {
		if (mado_vcard_name_ok(names[i]) && (x = load_cert(dir, names[i])) != NULL) {
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "name", names[i]);
			key_label(X509_get0_pubkey(x), label, sizeof(label));
			cJSON_AddStringToObject(c, "key", label);
			if (ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1) {
				strftime(date, sizeof(date), "%Y-%m-%d", &tm);
				cJSON_AddStringToObject(c, "not_after", date);
			}
			cJSON_AddItemToArray(arr, c);
			X509_free(x);
		}
		free(names[i]);
	}
	*out = arr;
	return MADO_OK;
}
