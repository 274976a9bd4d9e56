/*
 * The transparency log's readers (server/tlog): checkpoints, signed notes with their
 * cosignatures, c2sp.org/tlog-proof@v1 texts, proof files, tile paths and JSON bundles, as
 * mado-verify and mado-witness read them from anyone. Any bytes: no crash, no read past
 * the input. What is read writes back to the same bytes (checkpoints, proofs, tile paths),
 * and a note that verifies names a checkpoint that reads the same.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "mado/tlog.h"

/* The seeds' keys: checkpoint-kat.txt's log key, and a witness with seed 20 21 .. 3f. */
static const char log_vkey[] =
    "mado.example/log+72a597c6+AQOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4";
static const char *const witnesses[] = {
    "w.example+f96a478d+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *note;
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	struct mado_tlog_checkpoint c, c2;
	char back[512], *s, *again;
	size_t n, note_len;
	uint64_t index, tn;
	unsigned width;
	int level, len;
	cJSON *doc;

	/* A checkpoint text without extension lines prints back to itself. */
	if (mado_tlog_checkpoint_parse(text, size, &c) == 0) {
		len = mado_tlog_checkpoint_text(&c, back, sizeof(back));
		FUZZ_ASSERT(len > 0);
		FUZZ_ASSERT((size_t)len <= size && memcmp(back, text, (size_t)len) == 0);
	}
	if (mado_tlog_note_verify(text, size, log_vkey, witnesses, 1, 0, &c) == NULL) {
		FUZZ_ASSERT(strcmp(c.origin, "mado.example/log") == 0);
		/* With the witness required it holds only if it held without. */
		if (mado_tlog_note_verify(text, size, log_vkey, witnesses, 1, 1, &c2) == NULL)
			FUZZ_ASSERT(c2.size == c.size && memcmp(c2.root, c.root, 32) == 0);
	} else {
		FUZZ_ASSERT(mado_tlog_note_verify(text, size, log_vkey, witnesses, 1, 1, &c2) !=
			    NULL);
	}
	if (mado_tlog_proof_parse(text, size, &index, path, &n, &note, &note_len) == NULL) {
		FUZZ_ASSERT(n <= MADO_TLOG_MAX_PATH);
		FUZZ_ASSERT(note >= text && note + note_len == text + size);
		s = fuzz_cstr((const uint8_t *)note, note_len);
		again = mado_tlog_proof_text(index, (const unsigned char(*)[32])path, n, s);
		FUZZ_ASSERT(again != NULL);
		/* Without "extra" lines, the text is the one read. */
		if (strncmp(text + 23, "extra ", 6) != 0 && strlen(s) == note_len)
			FUZZ_ASSERT(strlen(again) == size && memcmp(again, text, size) == 0);
		free(again);
		free(s);
	}
	(void)mado_tlog_hashes_parse(text, size, path, &n);
	s = fuzz_cstr(data, size);
	if (mado_tlog_tile_parse(s, &level, &tn, &width) == 0) {
		len = mado_tlog_tile_path(back, sizeof(back), level, tn, width);
		FUZZ_ASSERT(len > 0 && strcmp(back, s) == 0);
	}
	free(s);
	if ((doc = cJSON_ParseWithLength(text, size)) != NULL) {
		(void)mado_tlog_bundle_verify(doc, log_vkey, witnesses, 1, 1, &c);
		cJSON_Delete(doc);
	}
	return 0;
}
