/*
 * The transparency log's pure part: RFC 9162 Merkle hashing and proofs, C2SP tlog-tiles
 * paths, checkpoints as C2SP signed notes with Ed25519 signatures and witness
 * cosignatures, the canonical leaf bytes of a record, and c2sp.org/tlog-proof@v1 bundles.
 * It links OpenSSL's libcrypto and cJSON only (no server, database or web code), so the
 * offline tools (mado-verify, mado-witness) link it as the server does. docs/tlog.md
 * describes the formats.
 */
#ifndef MADO_TLOG_H
#define MADO_TLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#define MADO_TLOG_HASH_LEN   32
#define MADO_TLOG_MAX_PATH   64
#define MADO_TLOG_SALT_LEN   16
#define MADO_TLOG_TILE_WIDTH 256 /* hashes in a full tile */

/* RFC 9162 hashing: SHA-256(0x00 || data) and SHA-256(0x01 || l || r). */
void mado_tlog_leaf_hash(const void *data, size_t len, unsigned char out[32]);
void mado_tlog_node_hash(const unsigned char l[32], const unsigned char r[32],
			 unsigned char out[32]);

/*
 * Stored-tree reader: the hash of the complete subtree at (level, index), covering leaves
 * [index << level, (index + 1) << level). Returns 0, or -1 when it cannot (then the caller
 * fails).
 */
typedef int (*mado_tlog_reader)(void *ctx, int level, uint64_t index, unsigned char out[32]);

/* The root of the first size leaves (SHA-256("") for 0). 0, or -1 when a read failed. */
int mado_tlog_root(uint64_t size, mado_tlog_reader rd, void *ctx, unsigned char out[32]);
/*
 * The inclusion proof of leaf index in the tree of size leaves, leaf's sibling first, into
 * path (MADO_TLOG_MAX_PATH entries), *n set. 0, or -1 (index >= size or a read failed). Each
 * proof reads O(log size) subtrees.
 */
int mado_tlog_prove_inclusion(uint64_t index, uint64_t size, mado_tlog_reader rd, void *ctx,
			      unsigned char path[][32], size_t *n);
/*
 * The consistency proof between the trees of size1 and size2 leaves (0 < size1 <= size2;
 * empty when equal), as RFC 9162 section 2.1.4.1. 0, or -1.
 */
int mado_tlog_prove_consistency(uint64_t size1, uint64_t size2, mado_tlog_reader rd, void *ctx,
				unsigned char path[][32], size_t *n);
/* RFC 9162 section 2.1.3.2, the path length exact. */
bool mado_tlog_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf[32],
				const unsigned char path[][32], size_t n,
				const unsigned char root[32]);
/*
 * RFC 9162 section 2.1.4.2 with transparency-dev's rules: size1 == 0 is refused, equal
 * sizes need an empty path and equal roots.
 */
bool mado_tlog_verify_consistency(uint64_t size1, uint64_t size2, const unsigned char root1[32],
				  const unsigned char root2[32], const unsigned char path[][32],
				  size_t n);

/*
 * tlog-tiles: "tile/<L>/<N>[.p/<W>]", N in 3-digit groups ("x001/x234/067"). width 0 or
 * 256 is a full tile, 1..255 a partial one; level -1 is the entry bundles ("tile/entries/
 * <N>"). tile_path returns the length written, or -1 (bad arguments, or cap too small);
 * tile_parse 0 (width 256 for a full tile), or -1 when path is not canonical.
 */
int mado_tlog_tile_path(char *buf, size_t cap, int level, uint64_t n, unsigned width);
int mado_tlog_tile_parse(const char *path, int *level, uint64_t *n, unsigned *width);

/* Checkpoints and signed notes (C2SP). Keys are OpenSSL EVP_PKEY Ed25519. */
struct mado_tlog_checkpoint {
	char origin[256];
	uint64_t size;
	unsigned char root[32];
};
/* The note text "origin\nsize\nbase64root\n": its length, or -1 (bad origin, cap). */
int mado_tlog_checkpoint_text(const struct mado_tlog_checkpoint *c, char *buf, size_t cap);
/* Reads a note text (extension lines after the root are allowed and ignored). 0 or -1. */
int mado_tlog_checkpoint_parse(const char *text, size_t len, struct mado_tlog_checkpoint *c);
/* The verifier key string "<name>+<hex id>+<base64(0x01||pub)>" of a key: length, or -1. */
int mado_tlog_vkey(const char *name, EVP_PKEY *key, char *buf, size_t cap);
/*
 * A witness's verifier key for cosignatures (C2SP tlog-cosignature): as mado_tlog_vkey with
 * the type byte 0x04 (in the key ID and the base64 key). Length, or -1.
 */
int mado_tlog_witness_vkey(const char *name, EVP_PKEY *key, char *buf, size_t cap);
/*
 * A signed note: text (non-empty, every line ending in "\n") + "\n" + "— name
 * base64(id||sig)\n". A malloc'd string, or NULL.
 */
char *mado_tlog_note_sign(const char *text, const char *name, EVP_PKEY *key);
/*
 * Cosignature (type 0x04, timestamp): the signed note with the witness's line added
 * (malloc'd), or NULL when signed_note is not a signed note.
 */
char *mado_tlog_note_cosign(const char *signed_note, const char *name, EVP_PKEY *key,
			    uint64_t unix_time);
/*
 * Verifies a signed note against the log's vkey and (k of) the witnesses' vkeys (type
 * 0x04, as mado_tlog_witness_vkey); the text must be a checkpoint whose origin is the log
 * key's name. Signatures by unknown keys are ignored; one by a known key that does not
 * verify fails the note. On success fills *c (may be NULL) from the text. NULL when it
 * holds, else a plain reason.
 */
const char *mado_tlog_note_verify(const char *note, size_t len, const char *log_vkey,
				  const char *const *witness_vkeys, size_t n_witnesses,
				  size_t witnesses_needed, struct mado_tlog_checkpoint *c);

/*
 * Leaves. The canonical leaf bytes of a record (a cJSON object of strings, integers,
 * booleans, null and arrays of strings, as the bundle carries it) with its salt (16
 * bytes). `kind` is "access" or "consent"; each kind has a documented, fixed field list
 * (docs/tlog.md). The encoding is unambiguous (length-prefixed, fields in the fixed order,
 * null distinct from ""), so server and verifier agree byte for byte. NULL when encoded
 * (*out malloc'd), else why not (a missing/extra field, a wrong type).
 */
const char *mado_tlog_leaf_encode(const char *kind, const cJSON *record,
				  const unsigned char salt[16], unsigned char **out, size_t *len);
/* The field names of a kind's leaf, in their order (*n of them); NULL for an unknown kind. */
const char *const *mado_tlog_leaf_fields(const char *kind, size_t *n);
/*
 * The same bytes built field by field, for a caller that has the values without a cJSON
 * record (the sequencer, from database rows): begin, then one value per field of the kind
 * in its order (an array: strs with its count, then each item), then end, which gives NULL
 * when the bytes (p, len) are the leaf, else why not. The first failure sticks. Zero the
 * struct before its first begin; it may be begun again for the next leaf (its buffer is
 * reused) and is freed with mado_tlog_leaf_free.
 */
struct mado_tlog_leaf {
	unsigned char *p;
	size_t len, cap;
	const char *const *names;
	size_t n, next;
	const char *why;
};
const char *mado_tlog_leaf_begin(struct mado_tlog_leaf *b, const char *kind,
				 const unsigned char salt[16]);
void mado_tlog_leaf_null(struct mado_tlog_leaf *b);
void mado_tlog_leaf_str(struct mado_tlog_leaf *b, const char *s, size_t n);
void mado_tlog_leaf_int(struct mado_tlog_leaf *b, int64_t v);
void mado_tlog_leaf_bool(struct mado_tlog_leaf *b, bool v);
void mado_tlog_leaf_strs(struct mado_tlog_leaf *b, uint32_t count);
void mado_tlog_leaf_strs_item(struct mado_tlog_leaf *b, const char *s, size_t n);
const char *mado_tlog_leaf_end(struct mado_tlog_leaf *b);
void mado_tlog_leaf_free(struct mado_tlog_leaf *b);

/*
 * Bundles (c2sp.org/tlog-proof@v1 text, SPECS section 4.5) plus Mado's JSON wrapping for
 * the person: {"kind":..., "record":{...}, "salt":"<base64>", "index":N,
 *              "proof":"<tlog-proof@v1 text with the checkpoint note>"}
 * proof_text: malloc'd, or NULL. proof_parse: NULL when read (*note points into text), or
 * why not.
 */
char *mado_tlog_proof_text(uint64_t index, const unsigned char path[][32], size_t n,
			   const char *signed_note);
const char *mado_tlog_proof_parse(const char *text, size_t len, uint64_t *index,
				  unsigned char path[][32], size_t *n, const char **note,
				  size_t *note_len);
/*
 * A consistency (or any) proof as a file carries it: one base64 hash per line (an empty
 * text is the empty proof), or a JSON object whose member "hashes" (as GET
 * /tlog/v1/proof/consistency answers) or "proof" is an array of base64 hashes. NULL when read, or
 * why not.
 */
const char *mado_tlog_hashes_parse(const char *text, size_t len, unsigned char path[][32],
				   size_t *n);
/*
 * Checks a whole JSON bundle: the leaf recomputed from record and salt, the proof's
 * index equal to "index", the checkpoint note against the keys (as mado_tlog_note_verify)
 * and the inclusion of the leaf in it. NULL when all holds (*c, may be NULL, the
 * checkpoint proved against), else a plain reason.
 */
const char *mado_tlog_bundle_verify(const cJSON *bundle, const char *log_vkey,
				    const char *const *witness_vkeys, size_t n_witnesses,
				    size_t witnesses_needed, struct mado_tlog_checkpoint *c);

#endif
