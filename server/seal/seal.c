/*
 * Sealed answers (the construction is in include/mado/seal.h): a holder seals its answer to
 * the reply key the requester sent, so Mado, relaying it, cannot read it. OpenSSL 3's EVP
 * interfaces only: ECDH with EVP_PKEY_derive, HKDF with EVP_KDF, AES-256-GCM with
 * EVP_CIPHER. Every point read from outside is checked to lie on P-256 before it is used.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include "mado/seal.h"
#include "seal_int.h"

#define Z_LEN        32 /* the ECDH secret: the shared point's X coordinate */
#define AES_KEY_LEN  32
#define NONCE_LEN    12
#define TAG_LEN      16
#define OKM_LEN      (AES_KEY_LEN + NONCE_LEN)
#define SALT_LEN     (2 * MADO_SEAL_KEY_LEN) /* enc || recipient */
#define SEAL_INFO    "mado-seal-v1"
#define UNCOMPRESSED 0x04
/* OpenSSL counts in int: a message stays well below that. */
#define MSG_MAX ((size_t)1 << 30)

/* base64url without padding, shared with ticket.c. */

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t
seal__b64url(const void *data, size_t len, char *out)
{
	const unsigned char *p = data;
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = acc << 8 | p[i];
		for (bits += 8; bits >= 6; bits -= 6)
			out[o++] = b64url_alphabet[acc >> (bits - 6) & 63];
	}
	if (bits > 0)
		out[o++] = b64url_alphabet[acc << (6 - bits) & 63];
	out[o] = '\0';
	return o;
}

static int
b64url_value(char ch)
{
	const char *p;

	if (ch == '\0' || (p = strchr(b64url_alphabet, ch)) == NULL)
		return -1;
	return (int)(p - b64url_alphabet);
}

long
seal__unb64url(const char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	/* One character alone carries no whole byte. */
	if (n % 4 == 1)
		return -1;
	for (i = 0; i < n; i++) {
		if ((v = b64url_value(s[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	/* Canonical: the bits left over are zero, so each value has a single text. */
	if ((acc & ((UINT32_C(1) << bits) - 1)) != 0)
		return -1;
	return (long)o;
}

/* Points and keys. */

/* Is pkey a key on P-256? */
static bool
is_p256(EVP_PKEY *pkey)
{
	char group[64];

	if (!EVP_PKEY_is_a(pkey, "EC") ||
	    EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
					   NULL) != 1)
		return false;
	/* OpenSSL names the curve by its X9.62 name. */
	return strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0;
}

/* The uncompressed point of a P-256 key (public, or private with its public part). */
static bool
key_point(EVP_PKEY *pkey, unsigned char out[MADO_SEAL_KEY_LEN])
{
	size_t len = 0;

	if (!is_p256(pkey))
		return false;
	if (EVP_PKEY_get_octet_string_param(pkey, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out,
					    MADO_SEAL_KEY_LEN, &len) != 1)
		return false;
	return len == MADO_SEAL_KEY_LEN && out[0] == UNCOMPRESSED;
}

/*
 * A P-256 key to copy: decoding a point into a copy of it costs a tenth of building a key
 * from parameters, which OpenSSL 3.0 makes look its algorithms up again every time.
 */
static EVP_PKEY *p256;
static pthread_once_t p256_once = PTHREAD_ONCE_INIT;

static void
p256_make(void)
{
	p256 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* A P-256 public key from an uncompressed point, or NULL when it is not one. Decoding the
   point checks that it lies on the curve; on P-256 (cofactor 1) every point on it but
   infinity, which has no uncompressed form, is in the group, so no further check is
   needed. */
static EVP_PKEY *
point_key(const unsigned char point[MADO_SEAL_KEY_LEN])
{
	EVP_PKEY *pkey;

	/* Compressed and hybrid forms are refused: one form, one text per key. */
	if (point[0] != UNCOMPRESSED)
		return NULL;
	pthread_once(&p256_once, p256_make);
	if (p256 == NULL || (pkey = EVP_PKEY_dup(p256)) == NULL)
		return NULL;
	if (EVP_PKEY_set1_encoded_public_key(pkey, point, MADO_SEAL_KEY_LEN) != 1) {
		EVP_PKEY_free(pkey);
		return NULL;
	}
	return pkey;
}

/* A fresh key pair on P-256. */
static EVP_PKEY *
p256_keygen(void)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;

	pthread_once(&p256_once, p256_make);
	if (p256 == NULL || (ctx = EVP_PKEY_CTX_new_from_pkey(NULL, p256, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_keygen_init(ctx) != 1 || EVP_PKEY_keygen(ctx, &pkey) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(ctx);
	return pkey;
}

bool
mado_seal_key_parse(const char *b64url, unsigned char key[MADO_SEAL_KEY_LEN])
{
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *pkey;

	if (b64url == NULL || strnlen(b64url, MADO_SEAL_KEY_TEXT_LEN + 1) != MADO_SEAL_KEY_TEXT_LEN)
		return false;
	if (seal__unb64url(b64url, MADO_SEAL_KEY_TEXT_LEN, point, sizeof(point)) !=
	    MADO_SEAL_KEY_LEN)
		return false;
	if ((pkey = point_key(point)) == NULL)
		return false;
	EVP_PKEY_free(pkey);
	memcpy(key, point, MADO_SEAL_KEY_LEN);
	return true;
}

char *
mado_seal_key_text(EVP_PKEY *pub)
{
	unsigned char point[MADO_SEAL_KEY_LEN];
	char *text;

	if (pub == NULL || !key_point(pub, point))
		return NULL;
	if ((text = malloc(MADO_SEAL_KEY_TEXT_LEN + 1)) != NULL)
		seal__b64url(point, sizeof(point), text);
	return text;
}

/* Key agreement and derivation. */

/* z: the X coordinate of priv times peer's point (peer was checked when it was decoded). */
static bool
ecdh(EVP_PKEY *priv, EVP_PKEY *peer, unsigned char z[Z_LEN])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_pkey(NULL, priv, NULL);
	size_t len = Z_LEN;
	bool ok;

	ok = ctx != NULL && EVP_PKEY_derive_init(ctx) == 1 &&
	     EVP_PKEY_derive_set_peer_ex(ctx, peer, 0) == 1 && EVP_PKEY_derive(ctx, z, &len) == 1 &&
	     len == Z_LEN;
	EVP_PKEY_CTX_free(ctx);
	return ok;
}

/* okm = HKDF-SHA-256(z, salt, "mado-seal-v1"), extract then expand. */
static bool
hkdf(unsigned char z[Z_LEN], unsigned char salt[SALT_LEN], unsigned char okm[OKM_LEN])
{
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *ctx = kdf != NULL ? EVP_KDF_CTX_new(kdf) : NULL;
	char digest[] = "SHA256", info[] = SEAL_INFO;
	OSSL_PARAM params[5];
	bool ok;

	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, z, Z_LEN);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt, SALT_LEN);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info, strlen(info));
	params[4] = OSSL_PARAM_construct_end();
	ok = ctx != NULL && EVP_KDF_derive(ctx, okm, OKM_LEN, params) == 1;
	EVP_KDF_CTX_free(ctx);
	EVP_KDF_free(kdf);
	return ok;
}

/* okm from one side's private key and the other side's public key. */
static bool
derive(EVP_PKEY *priv, EVP_PKEY *peer, unsigned char salt[SALT_LEN], unsigned char okm[OKM_LEN])
{
	unsigned char z[Z_LEN];
	bool ok;

	ok = ecdh(priv, peer, z) && hkdf(z, salt, okm);
	OPENSSL_cleanse(z, sizeof(z));
	return ok;
}

/* AES-256-GCM. */

/* A cipher context keyed with okm's key and nonce, the aad already fed. */
static EVP_CIPHER_CTX *
gcm_start(const unsigned char okm[OKM_LEN], const char *aad, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	size_t aad_len = strlen(aad);
	int n;

	if (ctx == NULL)
		return NULL;
	/* The default GCM nonce length is the 12 bytes derived. */
	if (aad_len > MSG_MAX ||
	    EVP_CipherInit_ex2(ctx, EVP_aes_256_gcm(), okm, okm + AES_KEY_LEN, enc, NULL) != 1 ||
	    (aad_len > 0 &&
	     EVP_CipherUpdate(ctx, NULL, &n, (const unsigned char *)aad, (int)aad_len) != 1)) {
		EVP_CIPHER_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

/* ct (len + TAG_LEN bytes) = the ciphertext of msg, then the tag. */
static bool
gcm_seal(const unsigned char okm[OKM_LEN], const char *aad, const void *msg, size_t len,
	 unsigned char *ct)
{
	EVP_CIPHER_CTX *ctx = gcm_start(okm, aad, 1);
	int n = 0, fin = 0;
	bool ok;

	ok = ctx != NULL && (len == 0 || EVP_CipherUpdate(ctx, ct, &n, msg, (int)len) == 1) &&
	     EVP_CipherFinal_ex(ctx, ct + n, &fin) == 1 && (size_t)n + (size_t)fin == len &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, ct + len) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* pt (len bytes) from ct (len + TAG_LEN bytes), only when the tag holds. */
static bool
gcm_open(const unsigned char okm[OKM_LEN], const char *aad, unsigned char *ct, size_t len,
	 unsigned char *pt)
{
	EVP_CIPHER_CTX *ctx = gcm_start(okm, aad, 0);
	int n = 0, fin = 0;
	bool ok;

	ok = ctx != NULL && (len == 0 || EVP_CipherUpdate(ctx, pt, &n, ct, (int)len) == 1) &&
	     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, ct + len) == 1 &&
	     EVP_CipherFinal_ex(ctx, pt + n, &fin) == 1 && (size_t)n + (size_t)fin == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

/* Sealing and opening. */

/* "<b64url enc>.<b64url ct>", malloc'd. */
static char *
sealed_text(const unsigned char enc[MADO_SEAL_KEY_LEN], const unsigned char *ct, size_t len)
{
	char *out = malloc(MADO_SEAL_KEY_TEXT_LEN + 1 + SEAL_B64URL_LEN(len) + 1);
	size_t n;

	if (out == NULL)
		return NULL;
	n = seal__b64url(enc, MADO_SEAL_KEY_LEN, out);
	out[n++] = '.';
	seal__b64url(ct, len, out + n);
	return out;
}

char *
mado_seal(const unsigned char key[MADO_SEAL_KEY_LEN], const char *aad, const void *msg, size_t len)
{
	unsigned char salt[SALT_LEN], okm[OKM_LEN], *ct = NULL;
	EVP_PKEY *peer, *eph = NULL;
	char *out = NULL;

	if (key == NULL || aad == NULL || (msg == NULL && len != 0) || len > MSG_MAX)
		return NULL;
	if ((peer = point_key(key)) == NULL)
		return NULL;
	/* salt = enc || key; enc is the fresh ephemeral key's point. */
	memcpy(salt + MADO_SEAL_KEY_LEN, key, MADO_SEAL_KEY_LEN);
	if ((eph = p256_keygen()) == NULL || !key_point(eph, salt) || !derive(eph, peer, salt, okm))
		goto out;
	if ((ct = malloc(len + TAG_LEN)) != NULL && gcm_seal(okm, aad, msg, len, ct))
		out = sealed_text(salt, ct, len + TAG_LEN);
out:
	OPENSSL_cleanse(okm, sizeof(okm));
	free(ct);
	EVP_PKEY_free(eph);
	EVP_PKEY_free(peer);
	return out;
}

/* The ciphertext part of a sealed text, decoded: its length (tag included), or -1. */
static long
read_ct(const char *text, unsigned char **ct)
{
	size_t n = strnlen(text, SEAL_B64URL_LEN(MSG_MAX + TAG_LEN) + 1);
	long len;

	*ct = NULL;
	if (n > SEAL_B64URL_LEN(MSG_MAX + TAG_LEN) || (*ct = malloc(n * 3 / 4 + 1)) == NULL)
		return -1;
	len = seal__unb64url(text, n, *ct, n * 3 / 4 + 1);
	return len >= TAG_LEN ? len : -1;
}

char *
mado_seal_open(EVP_PKEY *priv, const char *aad, const char *sealed, size_t *len)
{
	unsigned char salt[SALT_LEN], okm[OKM_LEN], *ct = NULL;
	EVP_PKEY *peer = NULL;
	unsigned char *pt = NULL;
	long ct_len;

	if (priv == NULL || aad == NULL || sealed == NULL ||
	    strnlen(sealed, MADO_SEAL_KEY_TEXT_LEN + 1) <= MADO_SEAL_KEY_TEXT_LEN ||
	    sealed[MADO_SEAL_KEY_TEXT_LEN] != '.')
		return NULL;
	/* salt = enc || the recipient's own point. */
	if (seal__unb64url(sealed, MADO_SEAL_KEY_TEXT_LEN, salt, MADO_SEAL_KEY_LEN) !=
		MADO_SEAL_KEY_LEN ||
	    !key_point(priv, salt + MADO_SEAL_KEY_LEN) || (peer = point_key(salt)) == NULL)
		return NULL;
	if ((ct_len = read_ct(sealed + MADO_SEAL_KEY_TEXT_LEN + 1, &ct)) < 0 ||
	    !derive(priv, peer, salt, okm))
		goto out;
	if ((pt = malloc((size_t)ct_len - TAG_LEN + 1)) == NULL)
		goto out;
	if (!gcm_open(okm, aad, ct, (size_t)ct_len - TAG_LEN, pt)) {
		/* GCM writes plaintext before the tag is checked: none of it leaves. */
		OPENSSL_cleanse(pt, (size_t)ct_len - TAG_LEN);
		free(pt);
		pt = NULL;
		goto out;
	}
	pt[ct_len - TAG_LEN] = '\0';
	if (len != NULL)
		*len = (size_t)ct_len - TAG_LEN;
out:
	OPENSSL_cleanse(okm, sizeof(okm));
	free(ct);
	EVP_PKEY_free(peer);
	return (char *)pt;
}
