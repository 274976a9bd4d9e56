/*
 * c2sp.org/tlog-proof@v1 texts and Mado's JSON bundle around them (docs/tlog.md,
 * "Bundles"): everything a person needs to check, offline, that a record is in the log.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/tlog.h"
#include "tlog_int.h"

#define PROOF_HEADER "c2sp.org/tlog-proof@v1\n"
#define MAX_INDEX    9007199254740992.0 /* 2^53, what JSON keeps exactly */

char *
mado_tlog_proof_text(uint64_t index, const unsigned char path[][32], size_t n,
		     const char *signed_note)
{
	size_t nlen, cap, off;
	char *out;
	int w;

	if (signed_note == NULL || n > MADO_TLOG_MAX_PATH)
		return NULL;
	nlen = strlen(signed_note);
	cap = sizeof(PROOF_HEADER) + 32 + n * 46 + 1 + nlen + 1;
	if ((out = malloc(cap)) == NULL)
		return NULL;
	w = snprintf(out, cap, PROOF_HEADER "index %" PRIu64 "\n", index);
	off = (size_t)w;
	for (size_t i = 0; i < n; i++) {
		off += mado_tlog_b64(path[i], 32, out + off);
		out[off++] = '\n';
	}
	out[off++] = '\n';
	memcpy(out + off, signed_note, nlen + 1);
	return out;
}

/* The next line of [*p, end) without its "\n", or NULL when there is none. */
static const char *
next_line(const char **p, const char *end, size_t *n)
{
	const char *line = *p, *nl;

	if (line >= end || (nl = memchr(line, '\n', (size_t)(end - line))) == NULL)
		return NULL;
	*n = (size_t)(nl - line);
	*p = nl + 1;
	return line;
}

const char *
mado_tlog_proof_parse(const char *text, size_t len, uint64_t *index, unsigned char path[][32],
		      size_t *n, const char **note, size_t *note_len)
{
	const char *p = text, *end = text + len, *line;
	size_t ln;

	*n = 0;
	if (len < sizeof(PROOF_HEADER) - 1 ||
	    memcmp(text, PROOF_HEADER, sizeof(PROOF_HEADER) - 1) != 0)
		return "not a c2sp.org/tlog-proof@v1 text";
	p += sizeof(PROOF_HEADER) - 1;
	/* Optional "extra" lines: opaque, unauthenticated, only their form is checked. */
	while ((line = next_line(&p, end, &ln)) != NULL && ln > 6 &&
	       memcmp(line, "extra ", 6) == 0) {
		unsigned char *tmp = malloc(ln);
		long got = tmp != NULL ? mado_tlog_unb64(line + 6, ln - 6, tmp, ln) : -1;

		free(tmp);
		if (got < 0)
			return "the proof's extra line is not base64";
	}
	if (line == NULL || ln < 7 || memcmp(line, "index ", 6) != 0 ||
	    !mado_tlog_decimal(line + 6, ln - 6, index))
		return "the proof has no index line";
	for (;;) {
		if ((line = next_line(&p, end, &ln)) == NULL)
			return "the proof ends before its checkpoint";
		if (ln == 0)
			break;
		if (*n >= MADO_TLOG_MAX_PATH)
			return "the proof's path is too long";
		if (ln != 44 || mado_tlog_unb64(line, ln, path[*n], 32) != 32)
			return "a proof hash is not base64 of 32 bytes";
		(*n)++;
	}
	if (p >= end)
		return "the proof carries no checkpoint";
	*note = p;
	*note_len = (size_t)(end - p);
	return NULL;
}

const char *
mado_tlog_hashes_parse(const char *text, size_t len, unsigned char path[][32], size_t *n)
{
	const char *p = text, *end = text + len, *line;
	const cJSON *e, *arr;
	cJSON *doc;
	size_t ln;

	*n = 0;
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++;
	if (p < end && *p == '{') {
		if ((doc = cJSON_ParseWithLength(text, len)) == NULL)
			return "the proof is not JSON";
		arr = cJSON_GetObjectItemCaseSensitive(doc, "hashes");
		if (arr == NULL)
			arr = cJSON_GetObjectItemCaseSensitive(doc, "proof");
		if (!cJSON_IsArray(arr)) {
			cJSON_Delete(doc);
			return "the proof has no \"hashes\" array";
		}
		cJSON_ArrayForEach (e, arr) {
			if (*n >= MADO_TLOG_MAX_PATH || !cJSON_IsString(e) ||
			    strlen(e->valuestring) != 44 ||
			    mado_tlog_unb64(e->valuestring, 44, path[*n], 32) != 32) {
				cJSON_Delete(doc);
				return "a proof hash is not base64 of 32 bytes";
			}
			(*n)++;
		}
		cJSON_Delete(doc);
		return NULL;
	}
	p = text;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		line = p;
		ln = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl != NULL ? nl + 1 : end;
		if (ln > 0 && line[ln - 1] == '\r')
			ln--;
		if (ln == 0) {
			/* Only blank lines may follow. */
			for (; p < end; p++)
				if (*p != '\r' && *p != '\n')
					return "an empty line inside the proof";
			break;
		}
		if (*n >= MADO_TLOG_MAX_PATH)
			return "the proof is too long";
		if (ln != 44 || mado_tlog_unb64(line, ln, path[*n], 32) != 32)
			return "a proof hash is not base64 of 32 bytes";
		(*n)++;
	}
	return NULL;
}

const char *
mado_tlog_bundle_verify(const cJSON *bundle, const char *log_vkey, const char *const *witness_vkeys,
			size_t n_witnesses, size_t witnesses_needed, struct mado_tlog_checkpoint *c)
{
	const cJSON *kind, *record, *salt, *index, *proof;
	unsigned char s[MADO_TLOG_SALT_LEN + 3], leaf[32], *bytes;
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	struct mado_tlog_checkpoint cp;
	const char *why, *note;
	size_t blen, n, note_len;
	uint64_t pindex;

	if (!cJSON_IsObject(bundle))
		return "the bundle is not a JSON object";
	kind = cJSON_GetObjectItemCaseSensitive(bundle, "kind");
	record = cJSON_GetObjectItemCaseSensitive(bundle, "record");
	salt = cJSON_GetObjectItemCaseSensitive(bundle, "salt");
	index = cJSON_GetObjectItemCaseSensitive(bundle, "index");
	proof = cJSON_GetObjectItemCaseSensitive(bundle, "proof");
	if (!cJSON_IsString(kind) || !cJSON_IsObject(record) || !cJSON_IsString(salt) ||
	    !cJSON_IsNumber(index) || !cJSON_IsString(proof))
		return "the bundle lacks kind, record, salt, index or proof";
	if (!(index->valuedouble >= 0 && index->valuedouble < MAX_INDEX) ||
	    (double)(uint64_t)index->valuedouble != index->valuedouble)
		return "the bundle's index is not a leaf index";
	if (mado_tlog_unb64(salt->valuestring, strlen(salt->valuestring), s, sizeof(s)) !=
	    MADO_TLOG_SALT_LEN)
		return "the bundle's salt is not base64 of 16 bytes";
	if ((why = mado_tlog_leaf_encode(kind->valuestring, record, s, &bytes, &blen)) != NULL)
		return why;
	mado_tlog_leaf_hash(bytes, blen, leaf);
	free(bytes);
	if ((why = mado_tlog_proof_parse(proof->valuestring, strlen(proof->valuestring), &pindex,
					 path, &n, &note, &note_len)) != NULL)
		return why;
	if (pindex != (uint64_t)index->valuedouble)
		return "the proof is for another index than the bundle's";
	if ((why = mado_tlog_note_verify(note, note_len, log_vkey, witness_vkeys, n_witnesses,
					 witnesses_needed, &cp)) != NULL)
		return why;
	if (!mado_tlog_verify_inclusion(pindex, cp.size, leaf, (const unsigned char(*)[32])path, n,
					cp.root))
		return "the record is not in the log at its index (inclusion proof fails)";
	if (c != NULL)
		*c = cp;
	return NULL;
}
