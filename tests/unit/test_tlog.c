/*
 * The transparency log library (server/tlog): RFC 9162 hashing and proofs against the
 * known answers in tests/unit/data/merkle/ (kat.txt, checkpoint-kat.txt and the 196
 * transparency-dev proof cases), proofs made over an in-memory tree checked by the
 * verifiers, signed notes and cosignatures, leaves, bundles and tile paths.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "mado/tlog.h"
#include "mado/util.h"
#include "tlog/tlog_int.h"

#define DATA       MADO_SOURCE_DIR "/tests/unit/data/merkle/"
#define MAX_LEAVES 80

/* An in-memory tree: its leaf hashes, any complete subtree computed on demand. */
struct memtree {
	unsigned char leaf[MAX_LEAVES][32];
	uint64_t size;
	int reads;
};

static void
subtree(const struct memtree *t, uint64_t lo, uint64_t n, unsigned char out[32])
{
	unsigned char l[32], r[32];

	if (n == 1) {
		memcpy(out, t->leaf[lo], 32);
		return;
	}
	subtree(t, lo, n / 2, l);
	subtree(t, lo + n / 2, n / 2, r);
	mado_tlog_node_hash(l, r, out);
}

static int
mem_reader(void *ctx, int level, uint64_t index, unsigned char out[32])
{
	struct memtree *t = ctx;
	uint64_t n = UINT64_C(1) << level, lo = index << level;

	t->reads++;
	if (lo + n > t->size)
		return -1;
	subtree(t, lo, n, out);
	return 0;
}

/* MTH(D[lo:hi]) straight from RFC 9162's definition, to compare with the library's. */
static void
mth(const struct memtree *t, uint64_t lo, uint64_t hi, unsigned char out[32])
{
	unsigned char l[32], r[32];
	uint64_t k = 1;

	if (hi - lo == 1) {
		memcpy(out, t->leaf[lo], 32);
		return;
	}
	while (k << 1 < hi - lo)
		k <<= 1;
	mth(t, lo, lo + k, l);
	mth(t, lo + k, hi, r);
	mado_tlog_node_hash(l, r, out);
}

static void
unhex(const char *s, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	assert_true(strspn(s, "0123456789abcdef") >= 2 * n);
	for (i = 0; i < n; i++) {
		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

static void
read_data(const char *name, char **text, size_t *len)
{
	assert_int_equal(mado_read_file(name, 1 << 20, text, len), 0);
}

/* The eight leaves of kat.txt, read from its "# Leaves" line. */
static void
kat_tree(const char *text, struct memtree *t)
{
	const char *p = strstr(text, "# Leaves D[0..7] (hex input bytes): ");
	unsigned char data[64];
	size_t n;

	assert_non_null(p);
	p = strchr(p, ':') + 2;
	assert_true(strncmp(p, "\"\" ", 3) == 0);
	mado_tlog_leaf_hash("", 0, t->leaf[0]);
	p += 3;
	for (t->size = 1; t->size < 8; t->size++) {
		n = strspn(p, "0123456789abcdef");
		assert_true(n % 2 == 0 && n / 2 <= sizeof(data));
		unhex(p, data, n / 2);
		mado_tlog_leaf_hash(data, n / 2, t->leaf[t->size]);
		p += n + (p[n] == ' ');
	}
}

/* Every line of kat.txt. */
static void
test_kat(void **state)
{
	unsigned char want[MADO_TLOG_MAX_PATH][32], got[MADO_TLOG_MAX_PATH][32], h[32];
	char *text, *line, *next, key[64];
	struct memtree t = {0};
	unsigned a, b;
	size_t len, n, gn;
	int lines = 0, off;

	(void)state;
	read_data(DATA "kat.txt", &text, &len);
	kat_tree(text, &t);
	for (line = text; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		assert_int_equal(sscanf(line, "%63s %n", key, &off), 1);
		/* The hashes after the key. */
		for (n = 0; line[off] != '\0'; n++) {
			unhex(line + off, want[n], 32);
			off += 64;
			off += (int)strspn(line + off, " ");
		}
		lines++;
		if (strcmp(key, "empty_root") == 0) {
			assert_int_equal(mado_tlog_root(0, mem_reader, &t, h), 0);
			assert_memory_equal(h, want[0], 32);
		} else if (sscanf(key, "leaf_hash(D[%u])", &a) == 1) {
			assert_memory_equal(t.leaf[a], want[0], 32);
		} else if (sscanf(key, "root(size=%u)", &a) == 1) {
			assert_int_equal(mado_tlog_root(a, mem_reader, &t, h), 0);
			assert_memory_equal(h, want[0], 32);
		} else if (sscanf(key, "inclusion(index=%u,size=%u)", &a, &b) == 2) {
			assert_int_equal(mado_tlog_prove_inclusion(a, b, mem_reader, &t, got, &gn),
					 0);
			assert_int_equal(gn, n);
			assert_memory_equal(got, want, 32 * n);
			assert_int_equal(mado_tlog_root(b, mem_reader, &t, h), 0);
			assert_true(mado_tlog_verify_inclusion(
			    a, b, t.leaf[a], (const unsigned char(*)[32])want, n, h));
		} else if (sscanf(key, "consistency(%u->%u)", &a, &b) == 2) {
			unsigned char r1[32], r2[32];

			assert_int_equal(
			    mado_tlog_prove_consistency(a, b, mem_reader, &t, got, &gn), 0);
			assert_int_equal(gn, n);
			assert_memory_equal(got, want, 32 * n);
			assert_int_equal(mado_tlog_root(a, mem_reader, &t, r1), 0);
			assert_int_equal(mado_tlog_root(b, mem_reader, &t, r2), 0);
			assert_true(mado_tlog_verify_consistency(
			    a, b, r1, r2, (const unsigned char(*)[32])want, n));
		} else {
			fail_msg("kat.txt: unknown line %s", key);
		}
	}
	assert_int_equal(lines, 10);
	free(text);
}

/* The Ed25519 key of checkpoint-kat.txt: seed 00 01 .. 1f. */
static EVP_PKEY *
kat_key(void)
{
	unsigned char seed[32];
	EVP_PKEY *k;
	int i;

	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)i;
	k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	assert_non_null(k);
	return k;
}

static const char *
comment_value(const char *text, const char *label)
{
	const char *p = strstr(text, label);

	assert_non_null(p);
	return p + strlen(label);
}

/* checkpoint-kat.txt: the key, its ID and vkey, the signed checkpoint byte for byte. */
static void
test_checkpoint_kat(void **state)
{
	unsigned char pub[32], want_pub[32], kroot[32];
	char *text, vkey[200], ctext[400], *signed_note, *kat;
	const char *note, *v;
	struct mado_tlog_checkpoint c = {.size = 8}, got;
	struct memtree t = {0};
	size_t len, klen, plen = 32;
	EVP_PKEY *key = kat_key();

	(void)state;
	read_data(DATA "checkpoint-kat.txt", &text, &len);
	assert_int_equal(EVP_PKEY_get_raw_public_key(key, pub, &plen), 1);
	unhex(comment_value(text, "# public key hex: "), want_pub, 32);
	assert_memory_equal(pub, want_pub, 32);
	v = comment_value(text, "# vkey: ");
	assert_int_equal(mado_tlog_vkey("mado.example/log", key, vkey, sizeof(vkey)),
			 (int)strcspn(v, "\n"));
	assert_memory_equal(vkey, v, strlen(vkey));
	assert_memory_equal(vkey + strlen("mado.example/log+"),
			    comment_value(text, "# key ID hex: "), 8);
	note = strstr(text, "-----\n");
	assert_non_null(note);
	note += 6;

	/* The tree of kat.txt, size 8, is the checkpoint's. */
	read_data(DATA "kat.txt", &kat, &klen);
	kat_tree(kat, &t);
	free(kat);
	assert_int_equal(mado_tlog_root(8, mem_reader, &t, kroot), 0);
	memcpy(c.root, kroot, 32);
	snprintf(c.origin, sizeof(c.origin), "mado.example/log");
	assert_true(mado_tlog_checkpoint_text(&c, ctext, sizeof(ctext)) > 0);
	signed_note = mado_tlog_note_sign(ctext, "mado.example/log", key);
	assert_non_null(signed_note);
	assert_string_equal(signed_note, note);

	assert_null(mado_tlog_note_verify(note, strlen(note), vkey, NULL, 0, 0, &got));
	assert_string_equal(got.origin, "mado.example/log");
	/* As read from a file or GET /.well-known/mado-tlog-vkey, with its newline. */
	{
		char vkey_nl[210];

		snprintf(vkey_nl, sizeof(vkey_nl), "%s\n", vkey);
		assert_null(mado_tlog_note_verify(note, strlen(note), vkey_nl, NULL, 0, 0, NULL));
		vkey_nl[strlen(vkey) - 1] ^= 1;
		assert_non_null(
		    mado_tlog_note_verify(note, strlen(note), vkey_nl, NULL, 0, 0, NULL));
	}
	assert_int_equal(got.size, 8);
	assert_memory_equal(got.root, kroot, 32);
	/* A changed size or root, or a needed witness that did not cosign, fails it. */
	signed_note[17] = '9';
	assert_non_null(
	    mado_tlog_note_verify(signed_note, strlen(signed_note), vkey, NULL, 0, 0, &got));
	const char *w[] = {vkey};
	assert_non_null(mado_tlog_note_verify(note, strlen(note), vkey, w, 1, 1, &got));
	free(signed_note);
	EVP_PKEY_free(key);
	free(text);
}

/* A size or index of the JSON file: exact up to 2^53, and the file's one larger value. */
static uint64_t
json_u64(const cJSON *v)
{
	assert_true(cJSON_IsNumber(v));
	if (v->valuedouble >= 18446744073709551615.0)
		return UINT64_MAX;
	assert_true(v->valuedouble >= 0 && v->valuedouble <= 9007199254740992.0);
	return (uint64_t)v->valuedouble;
}

/*
 * A cosignature made independently (Python's cryptography package, from C2SP
 * tlog-cosignature) by the witness key with seed 20 21 .. 3f, named w.example, at
 * 1767225600 over checkpoint-kat.txt's checkpoint: the library makes the same line byte for
 * byte and verifies it.
 */
static void
test_cosignature_kat(void **state)
{
	static const char want_vkey[] =
	    "w.example+f96a478d+BCmsuuFBvMrwsi4alNNNC8c2HlJtC/4SyJeUvJMilm3X";
	static const char want_line[] = "\xe2\x80\x94 w.example "
					"+WpHjQAAAABpVbkAtLXt5xoNJr1vdwkBzlZysAFQ2Q8W1EGYYN2K8muFXR"
					"l5hCjBorrzcQhoQMsG+dX3jrTPonhT"
					"YUdQO1CKHFnAAg==\n";
	unsigned char seed[32];
	char vkey[200], logv[200], *text, *cos;
	const char *note, *wk[1] = {vkey};
	EVP_PKEY *w, *log = kat_key();
	size_t len;
	int i;

	(void)state;
	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)(0x20 + i);
	w = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, 32);
	assert_non_null(w);
	assert_true(mado_tlog_witness_vkey("w.example", w, vkey, sizeof(vkey)) > 0);
	assert_string_equal(vkey, want_vkey);
	assert_true(mado_tlog_vkey("mado.example/log", log, logv, sizeof(logv)) > 0);
	read_data(DATA "checkpoint-kat.txt", &text, &len);
	note = strstr(text, "-----\n") + 6;
	cos = mado_tlog_note_cosign(note, "w.example", w, 1767225600);
	assert_non_null(cos);
	assert_int_equal(strlen(cos), strlen(note) + strlen(want_line));
	assert_memory_equal(cos, note, strlen(note));
	assert_string_equal(cos + strlen(note), want_line);
	assert_null(mado_tlog_note_verify(cos, strlen(cos), logv, wk, 1, 1, NULL));
	free(cos);
	free(text);
	EVP_PKEY_free(w);
	EVP_PKEY_free(log);
}

/* A base64 hash of the JSON file into 32 bytes: shorter ones padded with fill. */
static size_t
json_hash(const cJSON *v, unsigned char out[32], unsigned char fill)
{
	unsigned char raw[64];
	long n;

	memset(out, fill, 32);
	if (!cJSON_IsString(v))
		return 0;
	n = mado_tlog_unb64(v->valuestring, strlen(v->valuestring), raw, sizeof(raw));
	assert_true(n >= 0 && n <= 32);
	memcpy(out, raw, (size_t)n);
	return (size_t)n;
}

/*
 * Every case of transparency-dev-proofs.json. The library's hashes are 32 bytes: a hash of
 * another length in a case (a "wrong leaf", an empty proof element, the dummy roots of the
 * size checks) is padded, roots with one byte and leaves and proof hashes with another,
 * which keeps equal roots equal and a short leaf apart from a short root; the readers
 * (mado_tlog_proof_parse, the checkpoint parser) refuse such hashes before.
 */
static void
test_transparency_dev(void **state)
{
	unsigned char path[MADO_TLOG_MAX_PATH + 4][32], a[32], b[32];
	const cJSON *c, *e;
	size_t len, n, counted = 0;
	char *text;
	cJSON *doc;
	bool ok, short_hash;
	int k;

	(void)state;
	read_data(DATA "transparency-dev-proofs.json", &text, &len);
	doc = cJSON_Parse(text);
	assert_non_null(doc);
	for (k = 0; k < 2; k++) {
		size_t cases = 0;

		cJSON_ArrayForEach (
		    c, cJSON_GetObjectItem(doc, k == 0 ? "inclusion" : "consistency")) {
			bool want = !cJSON_IsTrue(cJSON_GetObjectItem(c, "wantErr"));

			n = 0;
			short_hash = false;
			cJSON_ArrayForEach (e, cJSON_GetObjectItem(c, "proof")) {
				assert_true(n < MADO_TLOG_MAX_PATH + 4);
				short_hash |= json_hash(e, path[n++], 0x11) != 32;
			}
			if (k == 0) {
				short_hash |=
				    json_hash(cJSON_GetObjectItem(c, "leafHash"), a, 0x11) != 32;
				json_hash(cJSON_GetObjectItem(c, "root"), b, 0x22);
				ok = n <= MADO_TLOG_MAX_PATH &&
				     mado_tlog_verify_inclusion(
					 json_u64(cJSON_GetObjectItem(c, "leafIdx")),
					 json_u64(cJSON_GetObjectItem(c, "treeSize")), a,
					 (const unsigned char(*)[32])path, n, b);
			} else {
				json_hash(cJSON_GetObjectItem(c, "root1"), a, 0x22);
				json_hash(cJSON_GetObjectItem(c, "root2"), b, 0x22);
				ok = n <= MADO_TLOG_MAX_PATH &&
				     mado_tlog_verify_consistency(
					 json_u64(cJSON_GetObjectItem(c, "size1")),
					 json_u64(cJSON_GetObjectItem(c, "size2")), a, b,
					 (const unsigned char(*)[32])path, n);
			}
			if (ok != want)
				fail_msg("%s: %s: got %s", k == 0 ? "inclusion" : "consistency",
					 cJSON_GetObjectItem(c, "file")->valuestring,
					 ok ? "accepted" : "refused");
			/* A leaf or proof hash not of 32 bytes never passes. */
			assert_false(short_hash && want);
			/* The proof's reader takes it only with every hash of 32 bytes. */
			{
				unsigned char got[MADO_TLOG_MAX_PATH][32];
				cJSON *pj = cJSON_CreateObject();
				const cJSON *pa = cJSON_GetObjectItem(c, "proof");
				bool proof_short = false;
				char *ptext;
				size_t gn;

				cJSON_ArrayForEach (e, pa) {
					unsigned char tmp[32];

					proof_short |= json_hash(e, tmp, 0) != 32;
				}
				cJSON_AddItemToObject(pj, "hashes",
						      cJSON_IsArray(pa) ? cJSON_Duplicate(pa, 1)
									: cJSON_CreateArray());
				ptext = cJSON_PrintUnformatted(pj);
				if (proof_short || n > MADO_TLOG_MAX_PATH) {
					assert_non_null(
					    mado_tlog_hashes_parse(ptext, strlen(ptext), got, &gn));
				} else {
					assert_null(
					    mado_tlog_hashes_parse(ptext, strlen(ptext), got, &gn));
					assert_int_equal(gn, n);
					if (n > 0)
						assert_memory_equal(got, path, 32 * n);
				}
				free(ptext);
				cJSON_Delete(pj);
			}
			cases++;
		}
		assert_int_equal(cases, 98);
		counted += cases;
	}
	assert_int_equal(counted, 196);
	cJSON_Delete(doc);
	free(text);
}

/* Proofs made over an in-memory tree pass the verifiers, and fail when altered. */
static void
test_generated_proofs(void **state)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32], r1[32], r2[32], want[32];
	struct memtree t = {0};
	uint64_t i, m, sz;
	size_t n;
	unsigned char d[8];

	(void)state;
	for (i = 0; i < 70; i++) {
		memcpy(d, &i, sizeof(d));
		mado_tlog_leaf_hash(d, sizeof(d), t.leaf[i]);
	}
	t.size = 70;
	for (sz = 1; sz <= 70; sz++) {
		assert_int_equal(mado_tlog_root(sz, mem_reader, &t, r2), 0);
		mth(&t, 0, sz, want);
		assert_memory_equal(r2, want, 32);
		for (i = 0; i < sz; i++) {
			t.reads = 0;
			assert_int_equal(mado_tlog_prove_inclusion(i, sz, mem_reader, &t, path, &n),
					 0);
			/* O(log n) reads: at most two per level. */
			assert_true(t.reads <= 2 * 7 + 2);
			assert_true(mado_tlog_verify_inclusion(
			    i, sz, t.leaf[i], (const unsigned char(*)[32])path, n, r2));
			assert_false(mado_tlog_verify_inclusion(
			    i, sz, t.leaf[(i + 1) % 70], (const unsigned char(*)[32])path, n, r2));
			assert_false(i + 1 < sz && mado_tlog_verify_inclusion(
						       i + 1, sz, t.leaf[i],
						       (const unsigned char(*)[32])path, n, r2));
			if (n > 0) {
				path[n - 1][5] ^= 1;
				assert_false(mado_tlog_verify_inclusion(
				    i, sz, t.leaf[i], (const unsigned char(*)[32])path, n, r2));
				assert_false(mado_tlog_verify_inclusion(
				    i, sz, t.leaf[i], (const unsigned char(*)[32])path, n - 1, r2));
			}
		}
		assert_int_equal(mado_tlog_prove_inclusion(sz, sz, mem_reader, &t, path, &n), -1);
		for (m = 1; m <= sz; m++) {
			assert_int_equal(mado_tlog_root(m, mem_reader, &t, r1), 0);
			assert_int_equal(
			    mado_tlog_prove_consistency(m, sz, mem_reader, &t, path, &n), 0);
			assert_true(mado_tlog_verify_consistency(
			    m, sz, r1, r2, (const unsigned char(*)[32])path, n));
			r1[0] ^= 1;
			assert_false(mado_tlog_verify_consistency(
			    m, sz, r1, r2, (const unsigned char(*)[32])path, n));
			r1[0] ^= 1;
			if (n > 0) {
				path[0][0] ^= 1;
				assert_false(mado_tlog_verify_consistency(
				    m, sz, r1, r2, (const unsigned char(*)[32])path, n));
			}
		}
		assert_int_equal(mado_tlog_prove_consistency(0, sz, mem_reader, &t, path, &n), -1);
	}
	/* A reader that fails fails the proof. */
	t.size = 10;
	assert_int_equal(mado_tlog_prove_inclusion(3, 20, mem_reader, &t, path, &n), -1);
	assert_int_equal(mado_tlog_root(20, mem_reader, &t, r1), -1);
}

/* SPECS' signed-note example (Go's sumdb/note example key) verifies; changed, it fails. */
static void
test_signed_note_example(void **state)
{
	const char *vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
	const char *note = "This is an example message.\n\n"
			   "\xe2\x80\x94 example.com/foo "
			   "Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mF"
			   "XmRKuwHjG1Yu72IneyaQM=\n";
	char *bad = strdup(note);
	size_t tlen;

	(void)state;
	assert_null(mado_tlog_note_check(note, strlen(note), vkey, NULL, 0, 0, &tlen));
	assert_int_equal(tlen, strlen("This is an example message.\n"));
	/* Not a checkpoint: the full verification refuses it all the same. */
	assert_non_null(mado_tlog_note_verify(note, strlen(note), vkey, NULL, 0, 0, NULL));
	bad[0] = 't';
	assert_non_null(mado_tlog_note_check(bad, strlen(bad), vkey, NULL, 0, 0, &tlen));
	bad[0] = 'T';
	bad[strlen(bad) - 6] ^= 1;
	assert_non_null(mado_tlog_note_check(bad, strlen(bad), vkey, NULL, 0, 0, &tlen));
	free(bad);
	/* Another key of the same name: unknown signature, none verified. */
	assert_non_null(mado_tlog_note_check(
	    note, strlen(note),
	    "example.com/foo+530d903b+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k", NULL, 0, 0,
	    &tlen));
	assert_non_null(mado_tlog_note_check(note, strlen(note) - 1, vkey, NULL, 0, 0, &tlen));
}

static EVP_PKEY *
new_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, NULL);
	EVP_PKEY *k = NULL;

	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_keygen_init(ctx), 1);
	assert_int_equal(EVP_PKEY_keygen(ctx, &k), 1);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* Witnesses' cosignatures: k of n, a forged or altered one fails the note. */
static void
test_cosignatures(void **state)
{
	EVP_PKEY *log = new_key(), *w1 = new_key(), *w2 = new_key(), *w3 = new_key();
	char lv[200], v1[200], v2[200], v3[200], logv_as_witness[200], text[300];
	struct mado_tlog_checkpoint c = {.size = 5}, got;
	char *n0, *n1, *n2;
	const char *ws[3] = {v1, v2, v3};

	(void)state;
	snprintf(c.origin, sizeof(c.origin), "example.org/log");
	memset(c.root, 0xab, 32);
	assert_true(mado_tlog_vkey("example.org/log", log, lv, sizeof(lv)) > 0);
	assert_true(mado_tlog_witness_vkey("w1.example", w1, v1, sizeof(v1)) > 0);
	assert_true(mado_tlog_witness_vkey("w2.example", w2, v2, sizeof(v2)) > 0);
	assert_true(mado_tlog_witness_vkey("w3.example", w3, v3, sizeof(v3)) > 0);
	assert_true(mado_tlog_vkey("w1.example", w1, logv_as_witness, sizeof(logv_as_witness)) > 0);
	assert_true(mado_tlog_checkpoint_text(&c, text, sizeof(text)) > 0);
	n0 = mado_tlog_note_sign(text, "example.org/log", log);
	assert_non_null(n0);
	n1 = mado_tlog_note_cosign(n0, "w1.example", w1, 1700000000);
	assert_non_null(n1);
	n2 = mado_tlog_note_cosign(n1, "w2.example", w2, 1700000001);
	assert_non_null(n2);

	assert_null(mado_tlog_note_verify(n2, strlen(n2), lv, ws, 3, 2, &got));
	assert_int_equal(got.size, 5);
	assert_memory_equal(got.root, c.root, 32);
	assert_null(mado_tlog_note_verify(n2, strlen(n2), lv, ws, 3, 0, NULL));
	assert_non_null(mado_tlog_note_verify(n2, strlen(n2), lv, ws, 3, 3, NULL));
	assert_null(mado_tlog_note_verify(n1, strlen(n1), lv, ws, 3, 1, NULL));
	assert_non_null(mado_tlog_note_verify(n1, strlen(n1), lv, ws, 3, 2, NULL));
	/* A witness key given as a log-type key is not a cosignature key. */
	assert_non_null(mado_tlog_note_verify(n1, strlen(n1), lv,
					      (const char *const[]){logv_as_witness}, 1, 1, NULL));
	/* The cosignature's timestamp is signed: changing it fails the note. */
	{
		char *bad = strdup(n1);
		char *line = strstr(bad, "\xe2\x80\x94 w1.example ");

		line += strlen("\xe2\x80\x94 w1.example ") + 8;
		*line = *line == 'A' ? 'B' : 'A';
		assert_non_null(mado_tlog_note_verify(bad, strlen(bad), lv, ws, 3, 1, NULL));
		/* Unknown to this verifier, the cosignature is ignored. */
		assert_null(mado_tlog_note_verify(bad, strlen(bad), lv, NULL, 0, 0, NULL));
		free(bad);
	}
	/* The log key of another origin does not fit the checkpoint. */
	{
		char ov[200];

		assert_true(mado_tlog_vkey("other.org/log", log, ov, sizeof(ov)) > 0);
		assert_non_null(mado_tlog_note_verify(n0, strlen(n0), ov, NULL, 0, 0, NULL));
	}
	free(n0);
	free(n1);
	free(n2);
	EVP_PKEY_free(log);
	EVP_PKEY_free(w1);
	EVP_PKEY_free(w2);
	EVP_PKEY_free(w3);
}

static void
test_checkpoint_text(void **state)
{
	struct mado_tlog_checkpoint c;
	const char *good = "o.example/log\n0\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\n";

	(void)state;
	assert_int_equal(mado_tlog_checkpoint_parse(good, strlen(good), &c), 0);
	assert_int_equal(c.size, 0);
	assert_string_equal(c.origin, "o.example/log");
	assert_int_equal(mado_tlog_checkpoint_parse("o\n01\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3"
						    "hSuFU=\n",
						    47, &c),
			 -1);
	assert_int_equal(mado_tlog_checkpoint_parse(good, strlen(good) - 1, &c), -1);
	assert_int_equal(mado_tlog_checkpoint_parse("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3h"
						    "SuFV=\n",
						    49, &c),
			 -1);
	assert_int_equal(mado_tlog_checkpoint_parse("o\n1\n47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3h"
						    "SuFU=\next\n",
						    53, &c),
			 0);
}

static cJSON *
access_record(void)
{
	cJSON *r = cJSON_CreateObject(), *items = cJSON_CreateArray();
	const char *strs[] = {"occurred_at", "recorded_at", "org_code", "officer",   "officer_role",
			      "actor_kind",  "channel",     "purpose",  "legal_ref", "outcome"};
	size_t i;

	cJSON_AddNumberToObject(r, "id", 42);
	cJSON_AddStringToObject(r, "event_id", "8d0c8e0e-6c4b-4f3e-9d7e-1c2b3a4d5e6f");
	cJSON_AddNumberToObject(r, "person_id", 7);
	for (i = 0; i < MADO_NELEM(strs); i++)
		cJSON_AddStringToObject(r, strs[i], "x");
	cJSON_AddNullToObject(r, "relay_for");
	cJSON_AddNullToObject(r, "case_ref");
	cJSON_AddItemToArray(items, cJSON_CreateString("address"));
	cJSON_AddItemToArray(items, cJSON_CreateString("income"));
	cJSON_AddItemToObject(r, "items", items);
	cJSON_AddNullToObject(r, "consent_id");
	cJSON_AddNullToObject(r, "reason");
	cJSON_AddNullToObject(r, "sealed_until");
	cJSON_AddNullToObject(r, "sealing_body");
	cJSON_AddNumberToObject(r, "register_version", 2);
	return r;
}

/* Leaves: fixed fields, null distinct from "", every change a different leaf. */
static void
test_leaf(void **state)
{
	unsigned char salt[16] = {1, 2, 3}, *a, *b;
	size_t alen, blen;
	cJSON *r = access_record(), *c;

	(void)state;
	assert_null(mado_tlog_leaf_encode("access", r, salt, &a, &alen));
	assert_null(mado_tlog_leaf_encode("access", r, salt, &b, &blen));
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(b);
	/* The field order in the object does not matter; the kind's order does. */
	c = cJSON_Duplicate(r, 1);
	cJSON_AddItemToObject(c, "id2", cJSON_DetachItemFromObject(c, "id"));
	assert_non_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	cJSON_Delete(c);
	c = cJSON_Duplicate(r, 1);
	cJSON_AddItemToObject(c, "id", cJSON_DetachItemFromObject(c, "id"));
	assert_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	assert_int_equal(alen, blen);
	assert_memory_equal(a, b, alen);
	free(b);
	/* null and "" differ. */
	cJSON_ReplaceItemInObject(c, "reason", cJSON_CreateString(""));
	assert_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	assert_true(alen != blen || memcmp(a, b, alen) != 0);
	free(b);
	/* Another salt, another leaf. */
	salt[15] = 9;
	assert_null(mado_tlog_leaf_encode("access", r, salt, &b, &blen));
	assert_true(memcmp(a, b, alen) != 0);
	free(b);
	/* Missing, extra, wrong type, fraction, wrong kind. */
	cJSON_DeleteItemFromObject(c, "reason");
	assert_non_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	cJSON_AddNullToObject(c, "reason");
	cJSON_AddNullToObject(c, "more");
	assert_non_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	cJSON_DeleteItemFromObject(c, "more");
	cJSON_ReplaceItemInObject(c, "id", cJSON_CreateNumber(1.5));
	assert_non_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	cJSON_ReplaceItemInObject(c, "id", cJSON_CreateObject());
	assert_non_null(mado_tlog_leaf_encode("access", c, salt, &b, &blen));
	assert_non_null(mado_tlog_leaf_encode("consent", r, salt, &b, &blen));
	assert_non_null(mado_tlog_leaf_encode("other", r, salt, &b, &blen));
	cJSON_Delete(c);
	free(a);
	/* A consent event. */
	c = cJSON_Parse("{\"id\":1,\"consent_id\":2,\"person_id\":3,\"at\":"
			"\"2026-01-02T03:04:05.000006Z\",\"actor\":\"person\",\"channel\":\"web\","
			"\"type\":\"given\",\"prev_status\":null,\"new_status\":\"active\"}");
	assert_null(mado_tlog_leaf_encode("consent", c, salt, &a, &alen));
	/* Starts with the domain and kind, length-prefixed. */
	assert_memory_equal(a,
			    "\0\0\0\x11mado-tlog-leaf/v1\0\0\0\x07"
			    "consent",
			    4 + 17 + 4 + 7);
	free(a);
	cJSON_Delete(c);
	cJSON_Delete(r);
}

/* A bundle made from a tree of records verifies; a changed record, salt or index fails. */
static void
test_bundle(void **state)
{
	unsigned char salts[5][16], path[MADO_TLOG_MAX_PATH][32], root[32], *bytes;
	unsigned char ppath[MADO_TLOG_MAX_PATH][32];
	struct memtree t = {0};
	EVP_PKEY *log = new_key(), *w = new_key();
	char lv[200], wv[200], text[300], salt64[32], *note, *cos, *proof, *j;
	struct mado_tlog_checkpoint c = {.size = 5}, got;
	cJSON *recs[5], *bundle;
	const char *pnote, *ws[1] = {wv};
	size_t i, blen, n, pn, pnote_len;
	uint64_t pindex;

	(void)state;
	for (i = 0; i < 5; i++) {
		recs[i] = access_record();
		cJSON_ReplaceItemInObject(recs[i], "id", cJSON_CreateNumber((double)i));
		memset(salts[i], (int)i + 1, 16);
		assert_null(mado_tlog_leaf_encode("access", recs[i], salts[i], &bytes, &blen));
		mado_tlog_leaf_hash(bytes, blen, t.leaf[i]);
		free(bytes);
	}
	t.size = 5;
	assert_int_equal(mado_tlog_root(5, mem_reader, &t, root), 0);
	snprintf(c.origin, sizeof(c.origin), "example.org/log");
	memcpy(c.root, root, 32);
	assert_true(mado_tlog_vkey("example.org/log", log, lv, sizeof(lv)) > 0);
	assert_true(mado_tlog_witness_vkey("w.example", w, wv, sizeof(wv)) > 0);
	assert_true(mado_tlog_checkpoint_text(&c, text, sizeof(text)) > 0);
	note = mado_tlog_note_sign(text, "example.org/log", log);
	cos = mado_tlog_note_cosign(note, "w.example", w, 1700000000);
	assert_int_equal(mado_tlog_prove_inclusion(3, 5, mem_reader, &t, path, &n), 0);
	proof = mado_tlog_proof_text(3, (const unsigned char(*)[32])path, n, cos);
	assert_non_null(proof);
	assert_null(
	    mado_tlog_proof_parse(proof, strlen(proof), &pindex, ppath, &pn, &pnote, &pnote_len));
	assert_int_equal(pindex, 3);
	assert_int_equal(pn, n);
	assert_memory_equal(ppath, path, 32 * n);
	assert_int_equal(pnote_len, strlen(cos));
	assert_memory_equal(pnote, cos, pnote_len);

	bundle = cJSON_CreateObject();
	cJSON_AddStringToObject(bundle, "kind", "access");
	cJSON_AddItemToObject(bundle, "record", cJSON_Duplicate(recs[3], 1));
	mado_tlog_b64(salts[3], 16, salt64);
	cJSON_AddStringToObject(bundle, "salt", salt64);
	cJSON_AddNumberToObject(bundle, "index", 3);
	cJSON_AddStringToObject(bundle, "proof", proof);
	assert_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, &got));
	assert_int_equal(got.size, 5);
	/* Through JSON text and back. */
	j = cJSON_PrintUnformatted(bundle);
	cJSON *back = cJSON_Parse(j);
	assert_null(mado_tlog_bundle_verify(back, lv, ws, 1, 1, NULL));
	cJSON_Delete(back);
	free(j);

	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(bundle, "record"), "purpose",
				  cJSON_CreateString("y"));
	assert_non_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, NULL));
	cJSON_ReplaceItemInObject(bundle, "record", cJSON_Duplicate(recs[2], 1));
	assert_non_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, NULL));
	cJSON_ReplaceItemInObject(bundle, "record", cJSON_Duplicate(recs[3], 1));
	assert_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, NULL));
	cJSON_ReplaceItemInObject(bundle, "index", cJSON_CreateNumber(2));
	assert_non_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, NULL));
	cJSON_ReplaceItemInObject(bundle, "index", cJSON_CreateNumber(3));
	mado_tlog_b64(salts[2], 16, salt64);
	cJSON_ReplaceItemInObject(bundle, "salt", cJSON_CreateString(salt64));
	assert_non_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, NULL));
	/* Not cosigned enough: the log-only note with a witness required. */
	free(proof);
	proof = mado_tlog_proof_text(3, (const unsigned char(*)[32])path, n, note);
	mado_tlog_b64(salts[3], 16, salt64);
	cJSON_ReplaceItemInObject(bundle, "salt", cJSON_CreateString(salt64));
	cJSON_ReplaceItemInObject(bundle, "proof", cJSON_CreateString(proof));
	assert_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 0, NULL));
	assert_non_null(mado_tlog_bundle_verify(bundle, lv, ws, 1, 1, NULL));

	/* Malformed proof texts. */
	assert_non_null(mado_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 01\n\nx",
					      strlen("c2sp.org/tlog-proof@v1\nindex 01\n\nx"),
					      &pindex, ppath, &pn, &pnote, &pnote_len));
	assert_non_null(mado_tlog_proof_parse("c2sp.org/tlog-proof@v2\nindex 1\n\nx",
					      strlen("c2sp.org/tlog-proof@v2\nindex 1\n\nx"),
					      &pindex, ppath, &pn, &pnote, &pnote_len));
	assert_non_null(mado_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx",
					      strlen("c2sp.org/tlog-proof@v1\nindex 1\nAAAA\n\nx"),
					      &pindex, ppath, &pn, &pnote, &pnote_len));
	assert_non_null(mado_tlog_proof_parse("c2sp.org/tlog-proof@v1\nindex 1\n\n",
					      strlen("c2sp.org/tlog-proof@v1\nindex 1\n\n"),
					      &pindex, ppath, &pn, &pnote, &pnote_len));
	assert_null(
	    mado_tlog_proof_parse("c2sp.org/tlog-proof@v1\nextra AAAA\nindex 1\n\nx",
				  strlen("c2sp.org/tlog-proof@v1\nextra AAAA\nindex 1\n\nx"),
				  &pindex, ppath, &pn, &pnote, &pnote_len));
	assert_int_equal(pindex, 1);
	assert_int_equal(pn, 0);

	cJSON_Delete(bundle);
	for (i = 0; i < 5; i++)
		cJSON_Delete(recs[i]);
	free(proof);
	free(note);
	free(cos);
	EVP_PKEY_free(log);
	EVP_PKEY_free(w);
}

static void
test_tiles(void **state)
{
	static const struct {
		int level;
		uint64_t n;
		unsigned width;
		const char *path;
	} cases[] = {
	    {0, 1234067, 256, "tile/0/x001/x234/067"},
	    {0, 1234067, 0, "tile/0/x001/x234/067"},
	    {1, 0, 256, "tile/1/000"},
	    {3, 999, 17, "tile/3/999.p/17"},
	    {2, 1000, 255, "tile/2/x001/000.p/255"},
	    {-1, 42, 256, "tile/entries/042"},
	    {63, UINT64_MAX, 1, "tile/63/x018/x446/x744/x073/x709/x551/615.p/1"},
	};
	static const char *bad[] = {
	    "tile/0/x000/001",
	    "tile/0/1",
	    "tile/0/001.p/0",
	    "tile/0/001.p/256",
	    "tile/0/001.p/01",
	    "tile/64/001",
	    "tile//001",
	    "tile/0/x1/001",
	    "tile/0/001/",
	    "tile/00/001",
	    "tile/0/x018/x446/x744/x073/x709/x551/616",
	};
	char buf[128];
	size_t i;
	int level;
	uint64_t n;
	unsigned width;

	(void)state;
	for (i = 0; i < MADO_NELEM(cases); i++) {
		assert_int_equal(mado_tlog_tile_path(buf, sizeof(buf), cases[i].level, cases[i].n,
						     cases[i].width),
				 (int)strlen(cases[i].path));
		assert_string_equal(buf, cases[i].path);
		assert_int_equal(mado_tlog_tile_parse(buf, &level, &n, &width), 0);
		assert_int_equal(level, cases[i].level);
		assert_int_equal(n, cases[i].n);
		assert_int_equal(width, cases[i].width ? cases[i].width : 256);
	}
	for (i = 0; i < MADO_NELEM(bad); i++)
		if (mado_tlog_tile_parse(bad[i], &level, &n, &width) == 0)
			fail_msg("accepted %s", bad[i]);
	assert_int_equal(mado_tlog_tile_path(buf, 8, 0, 1234067, 256), -1);
	assert_int_equal(mado_tlog_tile_path(buf, sizeof(buf), 0, 1, 257), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kat),
	    cmocka_unit_test(test_checkpoint_kat),
	    cmocka_unit_test(test_transparency_dev),
	    cmocka_unit_test(test_generated_proofs),
	    cmocka_unit_test(test_signed_note_example),
	    cmocka_unit_test(test_cosignatures),
	    cmocka_unit_test(test_cosignature_kat),
	    cmocka_unit_test(test_checkpoint_text),
	    cmocka_unit_test(test_leaf),
	    cmocka_unit_test(test_bundle),
	    cmocka_unit_test(test_tiles),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
