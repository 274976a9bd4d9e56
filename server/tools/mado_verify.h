/*
 * mado-verify's reading of a receipt file, apart from its command line, so that the tests
 * (tests/fuzz/fuzz_verify.c) can feed it any bytes. Like the tool, it uses no server code.
 */
#ifndef MADO_VERIFY_H
#define MADO_VERIFY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#define MADO_VERIFY_SIG_LEN 64 /* an Ed25519 signature */

/* A receipt envelope as read: receipt points into root. */
struct mado_verify_envelope {
	cJSON *root;
	const char *receipt; /* the signed text, itself strict JSON */
	const cJSON *bundle; /* the consent event's log bundle (docs/tlog.md), or NULL */
	unsigned char sig[MADO_VERIFY_SIG_LEN];
};

/*
 * Reads the envelope {"receipt": "...", "signature": "<base64>", "key_id": "...",
 * "bundle": {...}} ("bundle" optional) from
 * text (len bytes, NUL bytes included) strictly: UTF-8 without NUL or \u0000, nothing
 * after the value, no key twice at any level (compared ignoring case, as the server's
 * parser does), at most 32 levels deep; the signature as canonical padded base64 of exactly
 * 64 bytes; the receipt text under the same rules. NULL when read (free with
 * mado_verify_envelope_free), or why not.
 */
const char *mado_verify_parse(const char *text, size_t len, struct mado_verify_envelope *env);
void mado_verify_envelope_free(struct mado_verify_envelope *env);
/*
 * One JSON object from all of text (len bytes) by the same strict rules: *out (free with
 * cJSON_Delete), or NULL and why not.
 */
const char *mado_verify_json(const char *text, size_t len, cJSON **out);

#endif
