/*
 * Consent receipts: a JSON document (mado-consent-receipt/2) for one step of a consent,
 * signed with the server's Ed25519 key over its exact bytes. The download is an envelope
 * {"receipt": "<the document as text>", "signature": "<base64>", "key_id": "<hex>"};
 * mado-verify checks it offline with the public key (GET /api/v1/consent-receipt-key).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cjson/cJSON.h>

#include "mado/err.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"
#include "consent_int.h"

static struct {
	EVP_PKEY *key;
	char *public_pem;
	char key_id[17];
} R;

int
consent__receipt_init(const char *path, char *why, size_t whylen)
{
	unsigned char raw[32];
	size_t rawlen = sizeof(raw);
	char hex[65];
	BIO *b;
	long n;
	char *data;

	consent__receipt_free();
	if (*path == '\0')
		return MADO_OK;
	if ((R.key = mado_ed25519_load("consent_receipt_key", path, why, whylen)) == NULL)
		return MADO_E_INTERNAL;
	if (EVP_PKEY_get_raw_public_key(R.key, raw, &rawlen) != 1 || rawlen != 32 ||
	    (b = BIO_new(BIO_s_mem())) == NULL) {
		snprintf(why, whylen, "consent_receipt_key: %s is not an Ed25519 private key",
			 path);
		consent__receipt_free();
		return MADO_E_INTERNAL;
	}
	PEM_write_bio_PUBKEY(b, R.key);
	n = BIO_get_mem_data(b, &data);
	if (n > 0) {
		R.public_pem = mado_xmalloc((size_t)n + 1);
		memcpy(R.public_pem, data, (size_t)n);
		R.public_pem[n] = '\0';
	}
	BIO_free(b);
	mado_sha256_hex(raw, rawlen, hex);
	memcpy(R.key_id, hex, 16);
	R.key_id[16] = '\0';
	return R.public_pem != NULL ? MADO_OK : MADO_E_INTERNAL;
}

void
consent__receipt_free(void)
{
	EVP_PKEY_free(R.key);
	free(R.public_pem);
	memset(&R, 0, sizeof(R));
}

const char *
consent__receipt_public_pem(void)
{
	return R.public_pem;
}

char *
consent__receipt_doc(const struct consent_receipt *r)
{
	cJSON *d = cJSON_CreateObject(), *c, *e, *f;
	char stamp[32], *text;

	mado_rfc3339_now(stamp);
	cJSON_AddStringToObject(d, "schema", "mado-consent-receipt/2");
	cJSON_AddStringToObject(d, "jurisdiction", "JP");
	cJSON_AddStringToObject(d, "issued_at", stamp);
	/* The consent's status when the receipt was issued; the step's own is event.status. */
	mado_json_put_str(d, "current_status", r->current_status);
	/* The recipient's pseudonym for the person, never the person's id. */
	mado_json_put_str(d, "principal", r->principal);
	c = cJSON_AddObjectToObject(d, "consent");
	mado_json_put_str(c, "id", r->consent_id);
	mado_json_put_str(c, "kind", r->kind);
	mado_json_put_str(c, "recipient", r->recipient);
	mado_json_put_str(c, "programme", r->programme);
	mado_json_put_str(c, "purpose", r->purpose);
	mado_json_put_raw(c, "items", r->items, "[]");
	mado_json_put_str(c, "data_from", r->data_from);
	mado_json_put_str(c, "data_to", r->data_to);
	f = cJSON_AddObjectToObject(c, "frequency");
	mado_json_put_str(f, "unit", r->freq_unit);
	mado_json_put_num(f, "max", r->freq_max, "0");
	mado_json_put_num(c, "data_life_days", r->data_life_days, "0");
	mado_json_put_str(c, "valid_from", r->valid_from);
	mado_json_put_str(c, "valid_until", r->valid_until);
	e = cJSON_AddObjectToObject(d, "event");
	mado_json_put_num(e, "id", r->event_id, "0");
	mado_json_put_str(e, "type", r->event_type);
	mado_json_put_str(e, "at", r->event_at);
	mado_json_put_str(e, "channel", r->event_channel);
	mado_json_put_str(e, "status", r->event_status);
	mado_json_put_num(d, "uses", r->uses, "0");
	text = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	return text;
}

int
consent__receipt_envelope(const char *doc, cJSON **out)
{
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	char b64[100];
	EVP_MD_CTX *ctx;
	cJSON *env;
	int ok;

	*out = NULL;
	if (R.key == NULL)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	ok = EVP_DigestSignInit(ctx, NULL, NULL, NULL, R.key) == 1 &&
	     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)doc, strlen(doc)) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	mado_b64(sig, siglen, b64);
	env = cJSON_CreateObject();
	cJSON_AddStringToObject(env, "receipt", doc);
	cJSON_AddStringToObject(env, "signature", b64);
	cJSON_AddStringToObject(env, "key_id", R.key_id);
	*out = env;
	return MADO_OK;
}
