/*
 * mado-verify: checks, offline, what Mado gives people to keep. It links OpenSSL and
 * cJSON only, none of the server's code, so anyone can build it and trust its answer.
 *
 *   mado-verify receipt FILE --key PUBLIC.pem
 *
 * FILE is a consent receipt as downloaded ({"receipt": "...", "signature": "...",
 * "key_id": "..."}); PUBLIC.pem is Mado's receipt key (GET /api/v1/consent-receipt-key).
 * Prints "ok" and the receipt, or "fail: WHY"; exits 0 or 1 (2 for bad usage).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

static int
fail(const char *why)
{
	printf("fail: %s\n", why);
	return 1;
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0 && len < (1u << 20));
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static int
verify_receipt(const char *file, const char *keyfile)
{
	unsigned char sig[128];
	const cJSON *doc, *sigtext;
	EVP_MD_CTX *ctx;
	EVP_PKEY *key;
	cJSON *env;
	char *text;
	FILE *kf;
	size_t n;
	int len, ok;

	if ((kf = fopen(keyfile, "r")) == NULL)
		return fail("cannot read the key file");
	key = PEM_read_PUBKEY(kf, NULL, NULL, NULL);
	fclose(kf);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return fail("the key is not an Ed25519 public key");
	}
	if ((text = slurp(file)) == NULL) {
		EVP_PKEY_free(key);
		return fail("cannot read the receipt file");
	}
	env = cJSON_Parse(text);
	free(text);
	doc = cJSON_GetObjectItemCaseSensitive(env, "receipt");
	sigtext = cJSON_GetObjectItemCaseSensitive(env, "signature");
	if (!cJSON_IsString(doc) || !cJSON_IsString(sigtext) ||
	    (n = strlen(sigtext->valuestring)) != 88) {
		cJSON_Delete(env);
		EVP_PKEY_free(key);
		return fail("not a Mado receipt (receipt, signature)");
	}
	len = EVP_DecodeBlock(sig, (const unsigned char *)sigtext->valuestring, (int)n);
	ctx = EVP_MD_CTX_new();
	/* 88 base64 characters decode to 66 bytes; two of them are the padding. */
	ok = len == 66 && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)doc->valuestring,
			      strlen(doc->valuestring)) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (!ok) {
		cJSON_Delete(env);
		return fail("the signature does not match the receipt and key");
	}
	printf("ok\n%s\n", doc->valuestring);
	cJSON_Delete(env);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "receipt") == 0 && strcmp(argv[3], "--key") == 0)
		return verify_receipt(argv[2], argv[4]);
	fputs("usage: mado-verify receipt FILE --key PUBLIC.pem\n", stderr);
	return 2;
}
