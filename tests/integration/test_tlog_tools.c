/*
 * The transparency log's offline tools run as their users run them: mado-witness cosigns
 * a log's checkpoints only while each extends the last one it cosigned (refusing a smaller
 * one, a same-size one with another root, an inconsistent one, one not signed by the log,
 * its state untouched), and mado-verify checks bundles, exports, receipts and consistency
 * between checkpoints, exiting 0 only when everything holds. The log is built in memory
 * with the library (server/tlog); no server or database takes part.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mado/tlog.h"

#define ORIGIN   "log.example/mado"
#define LEAVES   16
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static char dir[256];
/* What the last run printed. */
static char out[65536], err[8192];

/* A tree of access records, in memory. */
struct tree {
	cJSON *rec[LEAVES];
	unsigned char salt[LEAVES][16];
	unsigned char leaf[LEAVES][32];
};

static struct tree good, other;
static EVP_PKEY *log_key, *rogue_key;
static char log_vkey[256], rogue_vkey[256];

static void
read_into(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "rb");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, cap - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Runs a shell command line with stdout and stderr captured: its exit status. */
static int
run(const char *fmt, ...)
{
	char cmd[4096], full[4800], o[300], e[300];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(o, sizeof(o), "%s/run.out", dir);
	snprintf(e, sizeof(e), "%s/run.err", dir);
	snprintf(full, sizeof(full), "%s >'%s' 2>'%s'", cmd, o, e);
	st = system(full);
	read_into(o, out, sizeof(out));
	read_into(e, err, sizeof(err));
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void
write_file(const char *name, const char *text, char *path, size_t cap)
{
	FILE *f;

	snprintf(path, cap, "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "wb"));
	assert_int_equal(fwrite(text, 1, strlen(text), f), strlen(text));
	fclose(f);
}

static cJSON *
record(int id, const char *purpose)
{
	cJSON *r = cJSON_CreateObject(), *items = cJSON_CreateArray();
	static const char *const nulls[] = {"relay_for",       "case_ref",     "consent_id",
					    "reason",          "sealed_until", "sealing_body",
					    "register_version"};
	size_t i;

	cJSON_AddNumberToObject(r, "id", id);
	cJSON_AddStringToObject(r, "event_id", "0b6f4a2e-8c1d-4e5f-9a0b-1c2d3e4f5a6b");
	cJSON_AddNumberToObject(r, "person_id", 3);
	cJSON_AddStringToObject(r, "occurred_at", "2026-03-04T05:06:07.000008Z");
	cJSON_AddStringToObject(r, "recorded_at", "2026-03-04T05:06:08.000000Z");
	cJSON_AddStringToObject(r, "org_code", "city-tax");
	cJSON_AddStringToObject(r, "officer", "officer-17");
	cJSON_AddStringToObject(r, "officer_role", "assessor");
	cJSON_AddStringToObject(r, "actor_kind", "officer");
	cJSON_AddStringToObject(r, "channel", "gateway");
	cJSON_AddStringToObject(r, "purpose", purpose);
	cJSON_AddStringToObject(r, "legal_ref", "Local Tax Act 294");
	cJSON_AddItemToArray(items, cJSON_CreateString("income"));
	cJSON_AddItemToObject(r, "items", items);
	cJSON_AddStringToObject(r, "outcome", "granted");
	for (i = 0; i < NELEM(nulls); i++)
		cJSON_AddNullToObject(r, nulls[i]);
	return r;
}

static void
build(struct tree *t, const char *purpose_from_5)
{
	unsigned char *bytes;
	size_t len;
	int i;

	for (i = 0; i < LEAVES; i++) {
		t->rec[i] =
		    record(i + 1, i >= 5 && purpose_from_5 != NULL ? purpose_from_5 : "assessment");
		memset(t->salt[i], 0x30 + i, 16);
		assert_null(mado_tlog_leaf_encode("access", t->rec[i], t->salt[i], &bytes, &len));
		mado_tlog_leaf_hash(bytes, len, t->leaf[i]);
		free(bytes);
	}
}

static void
subtree(const struct tree *t, uint64_t lo, uint64_t n, unsigned char out32[32])
{
	unsigned char l[32], r[32];

	if (n == 1) {
		memcpy(out32, t->leaf[lo], 32);
		return;
	}
	subtree(t, lo, n / 2, l);
	subtree(t, lo + n / 2, n / 2, r);
	mado_tlog_node_hash(l, r, out32);
}

static int
reader(void *ctx, int level, uint64_t index, unsigned char out32[32])
{
	uint64_t n = UINT64_C(1) << level;

	if ((index + 1) * n > LEAVES)
		return -1;
	subtree(ctx, index * n, n, out32);
	return 0;
}

/* The tree's checkpoint at size, signed by key as origin: malloc'd. */
static char *
checkpoint(struct tree *t, uint64_t size, EVP_PKEY *key)
{
	struct mado_tlog_checkpoint c = {.size = size};
	char text[512], *note;

	snprintf(c.origin, sizeof(c.origin), ORIGIN);
	assert_int_equal(mado_tlog_root(size, reader, t, c.root), 0);
	assert_true(mado_tlog_checkpoint_text(&c, text, sizeof(text)) > 0);
	assert_non_null(note = mado_tlog_note_sign(text, ORIGIN, key));
	return note;
}

/* The consistency proof file between two sizes of t, one base64 hash a line. */
static void
proof_file(struct tree *t, uint64_t a, uint64_t b, const char *name, char *path, size_t cap)
{
	unsigned char p[MADO_TLOG_MAX_PATH][32];
	char text[4096] = "", h[64];
	size_t n, i;

	assert_int_equal(mado_tlog_prove_consistency(a, b, reader, t, p, &n), 0);
	for (i = 0; i < n; i++) {
		EVP_EncodeBlock((unsigned char *)h, p[i], 32);
		strcat(text, h);
		strcat(text, "\n");
	}
	write_file(name, text, path, cap);
}

/* A bundle of record index in t against note: a cJSON object. */
static cJSON *
bundle(struct tree *t, uint64_t index, uint64_t size, const char *note)
{
	unsigned char p[MADO_TLOG_MAX_PATH][32];
	char salt[32], *proof;
	cJSON *b = cJSON_CreateObject();
	size_t n;

	assert_int_equal(mado_tlog_prove_inclusion(index, size, reader, t, p, &n), 0);
	assert_non_null(proof =
			    mado_tlog_proof_text(index, (const unsigned char(*)[32])p, n, note));
	EVP_EncodeBlock((unsigned char *)salt, t->salt[index], 16);
	cJSON_AddStringToObject(b, "kind", "access");
	cJSON_AddItemToObject(b, "record", cJSON_Duplicate(t->rec[index], 1));
	cJSON_AddStringToObject(b, "salt", salt);
	cJSON_AddNumberToObject(b, "index", (double)index);
	cJSON_AddStringToObject(b, "proof", proof);
	free(proof);
	return b;
}

static void
write_json(const char *name, const cJSON *doc, char *path, size_t cap)
{
	char *text = cJSON_PrintUnformatted(doc);

	write_file(name, text, path, cap);
	free(text);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/mado-tlog-tools-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	assert_non_null(mkdtemp(dir));
	build(&good, NULL);
	build(&other, "rewritten");
	assert_non_null(log_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	assert_non_null(rogue_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	assert_true(mado_tlog_vkey(ORIGIN, log_key, log_vkey, sizeof(log_vkey)) > 0);
	assert_true(mado_tlog_vkey(ORIGIN, rogue_key, rogue_vkey, sizeof(rogue_vkey)) > 0);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[300];
	int i;

	(void)state;
	for (i = 0; i < LEAVES; i++) {
		cJSON_Delete(good.rec[i]);
		cJSON_Delete(other.rec[i]);
	}
	EVP_PKEY_free(log_key);
	EVP_PKEY_free(rogue_key);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The witness's vkey from keygen; its key file is private. */
static void
witness_keygen(const char *name, char *key, size_t kcap, char *vkey, size_t vcap)
{
	struct stat st;

	snprintf(key, kcap, "%s/%s.pem", dir, name);
	assert_int_equal(run("'%s' keygen --key '%s' --name %s", MADO_WITNESS_BINARY, key, name),
			 0);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	out[strcspn(out, "\n")] = '\0';
	assert_true(strlen(out) < vcap);
	memcpy(vkey, out, strlen(out) + 1);
	assert_true(strncmp(vkey, name, strlen(name)) == 0);
	/* The same key's vkey again; an existing key file is never overwritten. */
	assert_int_equal(run("'%s' vkey --key '%s' --name %s", MADO_WITNESS_BINARY, key, name), 0);
	assert_true(strncmp(out, vkey, strlen(vkey)) == 0);
	assert_int_equal(run("'%s' keygen --key '%s' --name %s", MADO_WITNESS_BINARY, key, name),
			 1);
}

static int
cosign(const char *key, const char *name, const char *state, const char *cp, const char *proof)
{
	char pr[400] = "";

	if (proof != NULL)
		snprintf(pr, sizeof(pr), "--proof '%s'", proof);
	return run(
	    "'%s' cosign --key '%s' --name %s --state '%s' --log-key '%s' --checkpoint '%s' %s",
	    MADO_WITNESS_BINARY, key, name, state, log_vkey, cp, pr);
}

/* The witness cosigns each extension and refuses everything else, its state unchanged. */
static void
test_witness(void **state)
{
	char key[300], vkey[300], st[300], cp5[300], cp9[300], cp9x[300], cp12x[300], cp3[300];
	char cpr[300], pr59[300], pr9_12x[300], pr9_12[300], cp12[300], kept[4096], now[4096];
	char *n5 = checkpoint(&good, 5, log_key), *n9 = checkpoint(&good, 9, log_key);
	char *n9x = checkpoint(&other, 9, log_key), *n12x = checkpoint(&other, 12, log_key);
	char *n3 = checkpoint(&good, 3, log_key), *nr = checkpoint(&good, 12, rogue_key);
	char *n12 = checkpoint(&good, 12, log_key);
	const char *wk[1] = {vkey};
	struct mado_tlog_checkpoint c;

	(void)state;
	witness_keygen("w1.example", key, sizeof(key), vkey, sizeof(vkey));
	snprintf(st, sizeof(st), "%s/w1-state", dir);
	write_file("cp5", n5, cp5, sizeof(cp5));
	write_file("cp9", n9, cp9, sizeof(cp9));
	write_file("cp9x", n9x, cp9x, sizeof(cp9x));
	write_file("cp12x", n12x, cp12x, sizeof(cp12x));
	write_file("cp12", n12, cp12, sizeof(cp12));
	write_file("cp3", n3, cp3, sizeof(cp3));
	write_file("cpr", nr, cpr, sizeof(cpr));
	proof_file(&good, 5, 9, "pr59", pr59, sizeof(pr59));
	proof_file(&other, 9, 12, "pr9_12x", pr9_12x, sizeof(pr9_12x));
	proof_file(&good, 9, 12, "pr9_12", pr9_12, sizeof(pr9_12));

	/* First checkpoint: taken as it is; the output carries a cosignature that verifies. */
	assert_int_equal(cosign(key, "w1.example", st, cp5, NULL), 0);
	assert_null(mado_tlog_note_verify(out, strlen(out), log_vkey, wk, 1, 1, &c));
	assert_int_equal(c.size, 5);
	/* An extension with its proof. */
	assert_int_equal(cosign(key, "w1.example", st, cp9, NULL), 1);
	assert_int_equal(cosign(key, "w1.example", st, cp9, pr59), 0);
	assert_null(mado_tlog_note_verify(out, strlen(out), log_vkey, wk, 1, 1, &c));
	assert_int_equal(c.size, 9);
	snprintf(now, sizeof(now), "%s/checkpoint", st);
	read_into(now, kept, sizeof(kept));
	assert_string_equal(kept, n9);

	/* Refused: same size another root, smaller, inconsistent, not the log's signature. */
	assert_int_equal(cosign(key, "w1.example", st, cp9x, NULL), 1);
	assert_non_null(strstr(err, "refused"));
	assert_string_equal(out, "");
	assert_int_equal(cosign(key, "w1.example", st, cp3, NULL), 1);
	assert_int_equal(cosign(key, "w1.example", st, cp12x, pr9_12x), 1);
	assert_non_null(strstr(err, "not consistent"));
	assert_int_equal(cosign(key, "w1.example", st, cp12x, pr9_12), 1);
	assert_int_equal(cosign(key, "w1.example", st, cpr, pr9_12), 1);
	read_into(now, kept, sizeof(kept));
	assert_string_equal(kept, n9);

	/* The same checkpoint again, then the true extension. */
	assert_int_equal(cosign(key, "w1.example", st, cp9, NULL), 0);
	assert_int_equal(cosign(key, "w1.example", st, cp12, pr9_12), 0);
	assert_null(mado_tlog_note_verify(out, strlen(out), log_vkey, wk, 1, 1, &c));
	assert_int_equal(c.size, 12);
	/* From stdin. */
	assert_int_equal(run("'%s' cosign --key '%s' --name w1.example --state '%s' --log-key '%s' "
			     "--checkpoint - < '%s'",
			     MADO_WITNESS_BINARY, key, st, log_vkey, cp12),
			 0);
	/* Usage mistakes exit 2. */
	assert_int_equal(run("'%s' cosign --key '%s' --name w1.example", MADO_WITNESS_BINARY, key),
			 2);
	assert_int_equal(run("'%s' nothing", MADO_WITNESS_BINARY), 2);
	free(n5);
	free(n9);
	free(n9x);
	free(n12x);
	free(n3);
	free(nr);
	free(n12);
}

/* mado-verify: bundles and exports hold only as made, with the needed cosignatures. */
static void
test_verify_bundles(void **state)
{
	char key[300], vkey[300], st[300], cp[300], path[300], wopt[400];
	char *note = checkpoint(&good, 11, log_key), *cosigned;
	cJSON *b, *exp, *arr;
	int i;

	(void)state;
	witness_keygen("w2.example", key, sizeof(key), vkey, sizeof(vkey));
	snprintf(st, sizeof(st), "%s/w2-state", dir);
	write_file("cp11", note, cp, sizeof(cp));
	assert_int_equal(cosign(key, "w2.example", st, cp, NULL), 0);
	assert_non_null(cosigned = strdup(out));
	snprintf(wopt, sizeof(wopt), "--witness-key '%s'", vkey);

	b = bundle(&good, 7, 11, cosigned);
	write_json("b7.json", b, path, sizeof(path));
	assert_int_equal(
	    run("'%s' bundle '%s' --log-key '%s' %s", MADO_VERIFY_BINARY, path, log_vkey, wopt), 0);
	assert_true(strncmp(out, "ok", 2) == 0);
	assert_int_equal(run("'%s' bundle '%s' --log-key '%s'", MADO_VERIFY_BINARY, path, log_vkey),
			 0);
	assert_int_equal(
	    run("'%s' bundle '%s' --log-key '%s'", MADO_VERIFY_BINARY, path, rogue_vkey), 1);
	assert_true(strncmp(out, "fail: ", 6) == 0);
	assert_int_equal(run("'%s' bundle '%s' --log-key '%s'", MADO_VERIFY_BINARY, path, vkey), 1);
	assert_int_equal(run("'%s' bundle '%s'", MADO_VERIFY_BINARY, path), 2);

	/* Any changed field of the record, the salt or the index fails it. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(b, "record"), "officer",
				  cJSON_CreateString("officer-18"));
	write_json("b7x.json", b, path, sizeof(path));
	assert_int_equal(
	    run("'%s' bundle '%s' --log-key '%s' %s", MADO_VERIFY_BINARY, path, log_vkey, wopt), 1);
	assert_non_null(strstr(out, "inclusion"));
	cJSON_Delete(b);
	b = bundle(&good, 7, 11, cosigned);
	cJSON_ReplaceItemInObject(b, "index", cJSON_CreateNumber(6));
	write_json("b7i.json", b, path, sizeof(path));
	assert_int_equal(run("'%s' bundle '%s' --log-key '%s'", MADO_VERIFY_BINARY, path, log_vkey),
			 1);
	cJSON_Delete(b);

	/* Not cosigned, a witness required. */
	b = bundle(&good, 7, 11, note);
	write_json("b7n.json", b, path, sizeof(path));
	assert_int_equal(
	    run("'%s' bundle '%s' --log-key '%s' %s", MADO_VERIFY_BINARY, path, log_vkey, wopt), 1);
	assert_int_equal(run("'%s' bundle '%s' --log-key '%s' %s --witnesses-needed 0",
			     MADO_VERIFY_BINARY, path, log_vkey, wopt),
			 0);
	cJSON_Delete(b);

	/* An export: every bundle checked, one bad one fails it. */
	exp = cJSON_CreateObject();
	cJSON_AddStringToObject(exp, "format", "mado-tlog-export/v1");
	arr = cJSON_AddArrayToObject(exp, "bundles");
	for (i = 0; i < 11; i++)
		cJSON_AddItemToArray(arr, bundle(&good, (uint64_t)i, 11, cosigned));
	write_json("export.json", exp, path, sizeof(path));
	assert_int_equal(
	    run("'%s' export '%s' --log-key '%s' %s", MADO_VERIFY_BINARY, path, log_vkey, wopt), 0);
	assert_non_null(strstr(out, "11 bundles"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cJSON_GetArrayItem(arr, 4), "record"),
				  "purpose", cJSON_CreateString("curiosity"));
	write_json("export-bad.json", exp, path, sizeof(path));
	assert_int_equal(
	    run("'%s' export '%s' --log-key '%s' %s", MADO_VERIFY_BINARY, path, log_vkey, wopt), 1);
	assert_non_null(strstr(out, "bundle 4"));
	cJSON_Delete(exp);
	free(note);
	free(cosigned);
}

/* mado-verify consistency: an extension holds, a rewritten history does not. */
static void
test_verify_consistency(void **state)
{
	char *n4 = checkpoint(&good, 4, log_key), *n13 = checkpoint(&good, 13, log_key);
	char *n13x = checkpoint(&other, 13, log_key);
	char a[300], b[300], bx[300], p[300], px[300], empty[300];

	(void)state;
	write_file("c4", n4, a, sizeof(a));
	write_file("c13", n13, b, sizeof(b));
	write_file("c13x", n13x, bx, sizeof(bx));
	proof_file(&good, 4, 13, "p4_13", p, sizeof(p));
	proof_file(&other, 4, 13, "p4_13x", px, sizeof(px));
	write_file("empty", "", empty, sizeof(empty));
	assert_int_equal(run("'%s' consistency '%s' '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     a, b, p, log_vkey),
			 0);
	assert_true(strncmp(out, "ok", 2) == 0);
	/* The other tree shares the first five leaves, so 4 -> 13' is consistent too; the two
	   size-13 trees are not consistent with each other. */
	assert_int_equal(run("'%s' consistency '%s' '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     a, bx, px, log_vkey),
			 0);
	assert_int_equal(run("'%s' consistency '%s' '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     b, bx, empty, log_vkey),
			 1);
	assert_int_equal(run("'%s' consistency '%s' '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     a, bx, p, log_vkey),
			 1);
	assert_int_equal(run("'%s' consistency '%s' '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     b, a, p, log_vkey),
			 1);
	assert_int_equal(run("'%s' consistency '%s' '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     a, b, p, rogue_vkey),
			 1);
	assert_int_equal(
	    run("'%s' consistency '%s' '%s' --log-key '%s'", MADO_VERIFY_BINARY, a, b, log_vkey),
	    2);
	free(n4);
	free(n13);
	free(n13x);
}

/* A consent receipt carrying its event's bundle: both checked with --log-key. */
static void
test_verify_receipt_bundle(void **state)
{
	static const char doc[] = "{\"schema\":\"mado-consent-receipt/2\",\"event\":{\"id\":77}}";
	unsigned char sig[64], salt[16], *bytes, p[MADO_TLOG_MAX_PATH][32];
	char b64[100], salt64[32], pem[300], path[300], *note, *proof, *text;
	struct tree t = {0};
	struct mado_tlog_checkpoint c = {.size = 1};
	cJSON *rec, *env, *b;
	size_t siglen = sizeof(sig), len, n;
	EVP_PKEY *rk;
	EVP_MD_CTX *ctx;
	FILE *f;
	char cptext[300];

	(void)state;
	assert_non_null(rk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, rk), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)doc, strlen(doc)),
			 1);
	EVP_MD_CTX_free(ctx);
	EVP_EncodeBlock((unsigned char *)b64, sig, 64);
	snprintf(pem, sizeof(pem), "%s/receipt.pem", dir);
	assert_non_null(f = fopen(pem, "w"));
	assert_int_equal(PEM_write_PUBKEY(f, rk), 1);
	fclose(f);
	EVP_PKEY_free(rk);

	/* A one-leaf log holding the consent event. */
	rec = cJSON_Parse("{\"id\":77,\"consent_id\":5,\"person_id\":3,\"at\":"
			  "\"2026-03-04T05:06:07.000008Z\",\"actor\":\"person\",\"channel\":"
			  "\"web\",\"type\":\"given\",\"prev_status\":null,\"new_status\":"
			  "\"active\"}");
	memset(salt, 7, 16);
	assert_null(mado_tlog_leaf_encode("consent", rec, salt, &bytes, &len));
	mado_tlog_leaf_hash(bytes, len, t.leaf[0]);
	free(bytes);
	snprintf(c.origin, sizeof(c.origin), ORIGIN);
	memcpy(c.root, t.leaf[0], 32);
	assert_true(mado_tlog_checkpoint_text(&c, cptext, sizeof(cptext)) > 0);
	note = mado_tlog_note_sign(cptext, ORIGIN, log_key);
	assert_int_equal(mado_tlog_prove_inclusion(0, 1, reader, &t, p, &n), 0);
	proof = mado_tlog_proof_text(0, (const unsigned char(*)[32])p, n, note);
	EVP_EncodeBlock((unsigned char *)salt64, salt, 16);
	b = cJSON_CreateObject();
	cJSON_AddStringToObject(b, "kind", "consent");
	cJSON_AddItemToObject(b, "record", rec);
	cJSON_AddStringToObject(b, "salt", salt64);
	cJSON_AddNumberToObject(b, "index", 0);
	cJSON_AddStringToObject(b, "proof", proof);
	env = cJSON_CreateObject();
	cJSON_AddStringToObject(env, "receipt", doc);
	cJSON_AddStringToObject(env, "signature", b64);
	cJSON_AddStringToObject(env, "key_id", "k1");
	cJSON_AddItemToObject(env, "bundle", b);
	text = cJSON_PrintUnformatted(env);
	write_file("receipt.json", text, path, sizeof(path));
	free(text);
	assert_int_equal(run("'%s' receipt '%s' --key '%s'", MADO_VERIFY_BINARY, path, pem), 0);
	assert_int_equal(run("'%s' receipt '%s' --key '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     path, pem, log_vkey),
			 0);
	assert_int_equal(run("'%s' receipt '%s' --key '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     path, pem, rogue_vkey),
			 1);
	/* The bundle of another event. */
	cJSON_ReplaceItemInObject(rec, "id", cJSON_CreateNumber(78));
	text = cJSON_PrintUnformatted(env);
	write_file("receipt-x.json", text, path, sizeof(path));
	free(text);
	assert_int_equal(run("'%s' receipt '%s' --key '%s' --log-key '%s'", MADO_VERIFY_BINARY,
			     path, pem, log_vkey),
			 1);
	cJSON_Delete(env);
	free(note);
	free(proof);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_witness),
	    cmocka_unit_test(test_verify_bundles),
	    cmocka_unit_test(test_verify_consistency),
	    cmocka_unit_test(test_verify_receipt_bundle),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
