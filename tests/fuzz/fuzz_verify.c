/*
 * mado-verify's reading of a receipt file (server/tools/mado_verify.c, mado_verify_parse),
 * which cannot link the server's parser and so repeats its rules. Any bytes: no crash, and
 * it accepts exactly what the server's strict parser (mado_json_parse) and strict base64
 * (mado_b64_decode) accept as an envelope, reading the same receipt and signature.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "mado/err.h"
#include "mado/json.h"
#include "mado/util.h"
#include "tools/mado_verify.h"

/* The envelope by the server's own parts: the receipt text, and the signature in sig. */
static const char *
reference(const uint8_t *data, size_t size, cJSON **root, unsigned char sig[64])
{
	const cJSON *m, *receipt = NULL, *s = NULL;
	unsigned char *raw = NULL;
	char detail[128];
	cJSON *doc = NULL;
	bool ok = true;
	size_t n = 0;

	if (mado_json_parse((const char *)data, size, root, detail, sizeof(detail)) != MADO_OK)
		return NULL;
	if (!cJSON_IsObject(*root))
		return NULL;
	cJSON_ArrayForEach (m, *root) {
		if (strcmp(m->string, "receipt") == 0)
			receipt = m;
		else if (strcmp(m->string, "signature") == 0)
			s = m;
		else if (strcmp(m->string, "bundle") == 0 && cJSON_IsObject(m))
			continue;
		else if (strcmp(m->string, "key_id") != 0 || !cJSON_IsString(m))
			ok = false;
	}
	if (!ok || !cJSON_IsString(receipt) || !cJSON_IsString(s))
		return NULL;
	/* The server writes the signature padded: 88 characters. */
	if (strlen(s->valuestring) != 88 ||
	    (raw = mado_b64_decode(s->valuestring, 88, &n)) == NULL || n != 64) {
		free(raw);
		return NULL;
	}
	memcpy(sig, raw, 64);
	free(raw);
	if (mado_json_parse(receipt->valuestring, strlen(receipt->valuestring), &doc, detail,
			    sizeof(detail)) != MADO_OK ||
	    !cJSON_IsObject(doc)) {
		cJSON_Delete(doc);
		return NULL;
	}
	cJSON_Delete(doc);
	return receipt->valuestring;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mado_verify_envelope env;
	unsigned char sig[64];
	const char *why, *want;
	cJSON *root = NULL;

	why = mado_verify_parse((const char *)data, size, &env);
	want = reference(data, size, &root, sig);
	if (why != NULL) {
		FUZZ_ASSERT(env.root == NULL && env.receipt == NULL);
		FUZZ_ASSERT(want == NULL);
	} else {
		FUZZ_ASSERT(want != NULL);
		FUZZ_ASSERT(strcmp(env.receipt, want) == 0);
		FUZZ_ASSERT(memcmp(env.sig, sig, sizeof(sig)) == 0);
		mado_verify_envelope_free(&env);
	}
	cJSON_Delete(root);
	return 0;
}
