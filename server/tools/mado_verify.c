/*
 * mado-verify: checks, offline, what Mado gives people to keep. It links OpenSSL, cJSON
 * and the transparency log's library (server/tlog) only, none of the server's code, so
 * anyone can build it and trust its answer.
 *
 *   mado-verify receipt FILE --key PUBLIC.pem [--log-key VKEY ...]
 *   mado-verify bundle FILE --log-key VKEY [--witness-key VKEY ...] [--witnesses-needed K]
 *   mado-verify export FILE --log-key VKEY [...]
 *   mado-verify consistency OLD NEW PROOF --log-key VKEY [...]
 *
 * A receipt is a consent receipt as downloaded ({"receipt": "...", "signature": "...",
 * "key_id": "...", "bundle": {...}}); PUBLIC.pem is Mado's receipt key (GET
 * /api/v1/consent-receipt-key). Bundles, exports and checkpoints are as docs/tlog.md
 * describes. Prints "ok ..." or "fail: WHY"; exits 0 or 1 (2 for bad usage).
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mado/tlog.h"
#include "mado_verify.h"

#define JSON_DEPTH 32

/*
 * Strict JSON, by the same rules as the server's parser (server/core/json.c), which this
 * tool does not link: cJSON reads the value, and what cJSON lets through is refused here.
 * Another reader of the file (jq, Python, JavaScript) then sees the text this tool checked.
 */

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *p, size_t n)
{
	unsigned int cp;
	size_t len, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1fu;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0fu;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07u;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Four hex digits at p (n bytes left)? */
static bool
hex4(const unsigned char *p, size_t n)
{
	size_t i;

	if (n < 4)
		return false;
	for (i = 0; i < 4; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	return true;
}

/* What the text holds that no strict reader takes: NULL if nothing. */
static const char *
bad_bytes(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	bool in_string = false;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == '\0')
			return "a NUL byte";
		if ((n = utf8_len(p + i, len - i)) == 0)
			return "text that is not UTF-8";
		if (n > 1) {
			i += n;
			continue;
		}
		if (in_string && p[i] == '\\' && i + 1 < len) {
			/* cJSON reads a \u without four hex digits as U+0000 and cuts the string
			   there. */
			if (p[i + 1] == 'u' && !hex4(p + i + 2, len - i - 2))
				return "a \\u escape without four hex digits";
			if (p[i + 1] == 'u' && memcmp(p + i + 2, "0000", 4) == 0)
				return "an escaped NUL (\\u0000)";
			i += 2;
			continue;
		}
		if (p[i] == '"')
			in_string = !in_string;
		i++;
	}
	return NULL;
}

/* A key twice in one object (ignoring case), or nesting deeper than JSON_DEPTH: NULL if
   neither. */
static const char *
bad_tree(const cJSON *node, int depth)
{
	const cJSON *a, *b;
	const char *why;

	if (depth > JSON_DEPTH)
		return "nesting deeper than 32 levels";
	if (cJSON_IsObject(node))
		for (a = node->child; a != NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (strcasecmp(a->string, b->string) == 0)
					return "a key twice in one object";
	if (cJSON_IsObject(node) || cJSON_IsArray(node))
		for (a = node->child; a != NULL; a = a->next)
			if ((why = bad_tree(a, depth + 1)) != NULL)
				return why;
	return NULL;
}

/* One JSON object from all of text: *out, or why not. */
static const char *
parse_object(const char *text, size_t len, cJSON **out)
{
	const char *why, *end = NULL;
	cJSON *root;

	*out = NULL;
	if ((why = bad_bytes(text, len)) != NULL)
		return why;
	if ((root = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL)
		return "not JSON";
	while (end != NULL && (size_t)(end - text) < len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end == NULL || (size_t)(end - text) != len)
		why = "data after the JSON value";
	else if (!cJSON_IsObject(root))
		why = "not a JSON object";
	else
		why = bad_tree(root, 1);
	if (why != NULL) {
		cJSON_Delete(root);
		return why;
	}
	*out = root;
	return NULL;
}

const char *
mado_verify_json(const char *text, size_t len, cJSON **out)
{
	return parse_object(text, len, out);
}

static int
b64_digit(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The signature as the server writes it: 64 bytes in 88 characters of base64, the last
   two "=", and the four bits the last character carries beyond the 64th byte zero, so
   that one signature has one text. */
static bool
decode_signature(const char *s, unsigned char out[MADO_VERIFY_SIG_LEN])
{
	uint32_t v = 0;
	size_t i, o = 0;
	int d;

	if (strlen(s) != 88 || s[86] != '=' || s[87] != '=')
		return false;
	for (i = 0; i < 86; i++) {
		if ((d = b64_digit((unsigned char)s[i])) < 0)
			return false;
		v = v << 6 | (uint32_t)d;
		if (i % 4 == 3) {
			out[o++] = (unsigned char)(v >> 16);
			out[o++] = (unsigned char)(v >> 8);
			out[o++] = (unsigned char)v;
			v = 0;
		}
	}
	if (v & 0x0f)
		return false;
	out[o++] = (unsigned char)(v >> 4);
	return o == MADO_VERIFY_SIG_LEN;
}

const char *
mado_verify_parse(const char *text, size_t len, struct mado_verify_envelope *env)
{
	const cJSON *m, *receipt = NULL, *sig = NULL, *bundle = NULL;
	const char *why;
	cJSON *doc;

	memset(env, 0, sizeof(*env));
	if ((why = parse_object(text, len, &env->root)) != NULL)
		return why;
	/* Duplicates are gone (bad_tree), so each member is the only one of its name. */
	cJSON_ArrayForEach (m, env->root) {
		if (strcmp(m->string, "receipt") == 0)
			receipt = m;
		else if (strcmp(m->string, "signature") == 0)
			sig = m;
		else if (strcmp(m->string, "bundle") == 0 && cJSON_IsObject(m))
			bundle = m;
		else if (strcmp(m->string, "key_id") != 0 || !cJSON_IsString(m))
			why =
			    "a member that is not receipt, signature, key_id (a string) or bundle "
			    "(an object)";
	}
	if (why == NULL && (!cJSON_IsString(receipt) || !cJSON_IsString(sig)))
		why = "no receipt or signature (strings)";
	if (why == NULL && !decode_signature(sig->valuestring, env->sig))
		why = "a signature that is not 64 bytes in canonical base64";
	if (why == NULL &&
	    parse_object(receipt->valuestring, strlen(receipt->valuestring), &doc) != NULL)
		why = "a receipt that is not one strict JSON object";
	else if (why == NULL)
		cJSON_Delete(doc);
	if (why != NULL) {
		mado_verify_envelope_free(env);
		return why;
	}
	env->receipt = receipt->valuestring;
	env->bundle = bundle;
	return NULL;
}

void
mado_verify_envelope_free(struct mado_verify_envelope *env)
{
	cJSON_Delete(env->root);
	memset(env, 0, sizeof(*env));
}

#ifndef MADO_VERIFY_NO_MAIN
/* The command line; the tests build the reading above without it. */

/* mado's exit statuses (include/mado/cli.h), which this tool cannot include. */
#define EXIT_OK    0
#define EXIT_FAIL  1
#define EXIT_USAGE 2

#define MAX_WITNESS_KEYS 16

static const char usage_text[] =
    "usage: mado-verify receipt FILE --key PUBLIC.pem [--log-key VKEY ...]\n"
    "       mado-verify bundle FILE --log-key VKEY [--witness-key VKEY ...]\n"
    "                   [--witnesses-needed K]\n"
    "       mado-verify export FILE --log-key VKEY [--witness-key VKEY ...] [...]\n"
    "       mado-verify consistency OLD_CHECKPOINT NEW_CHECKPOINT PROOF_FILE\n"
    "                   --log-key VKEY [--witness-key VKEY ...] [...]\n"
    "Check offline what Mado gives people to keep (docs/tlog.md):\n"
    "  receipt      a consent receipt as downloaded, signed with the receipt key\n"
    "               (GET /api/v1/consent-receipt-key); with --log-key, also the log bundle\n"
    "               it carries\n"
    "  bundle       a record's bundle: the leaf recomputed from the record and its salt,\n"
    "               the checkpoint's signature and cosignatures, the inclusion proof\n"
    "  export       every bundle of an export ({\"bundles\": [...]})\n"
    "  consistency  two signed checkpoints and the consistency proof between them\n"
    "Prints \"ok ...\" and exits 0 only when everything holds, else \"fail: WHY\" and 1.\n"
    "\n"
    "options:\n"
    "  --key PUBLIC.pem        Mado's receipt key, Ed25519 (receipt: required)\n"
    "  --log-key VKEY          the log's verifier key, NAME+ID+KEY (required but for receipt)\n"
    "  --witness-key VKEY      a witness's verifier key (type 0x04); repeatable\n"
    "  --witnesses-needed K    how many of the witnesses must have cosigned (default: all)\n"
    "  -h, --help              print this help and exit\n";

/* "mado-verify: " why what, then the usage, on stderr. */
static int
usage_error(const char *why, const char *what)
{
	fprintf(stderr, "mado-verify: %s%s\n%s", why, what, usage_text);
	return EXIT_USAGE;
}

static int
fail(const char *why)
{
	printf("fail: %s\n", why);
	return EXIT_FAIL;
}

static int
fail2(const char *what, const char *why)
{
	printf("fail: %s: %s\n", what, why);
	return EXIT_FAIL;
}

#define FILE_MAX   (1u << 20)
#define EXPORT_MAX (256u << 20)

/* The file's bytes (NUL-terminated, NUL bytes kept) and their number; NULL when it cannot
   be read or is larger than max (a cut-off file must not read as a shorter one). */
static char *
slurp(const char *path, size_t max, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	size_t len = 0, cap = 1 << 16, n;
	char *buf, *p;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(cap + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	for (;;) {
		n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (len > max || ferror(f)) {
			free(buf);
			fclose(f);
			return NULL;
		}
		if (len < cap)
			break;
		if ((p = realloc(buf, cap * 2 + 1)) == NULL) {
			free(buf);
			fclose(f);
			return NULL;
		}
		buf = p;
		cap *= 2;
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

/* The log's and witnesses' keys, as given on the command line. */
struct keys {
	const char *log;
	const char *witness[MAX_WITNESS_KEYS];
	size_t n_witnesses, needed;
	bool needed_given;
};

/* A bundle (a cJSON object) against the keys: NULL, or why not. */
static const char *
check_bundle(const cJSON *bundle, const struct keys *k, struct mado_tlog_checkpoint *c)
{
	return mado_tlog_bundle_verify(bundle, k->log, k->witness, k->n_witnesses, k->needed, c);
}

/* An integer or string member as text, to compare ids written either way. */
static bool
id_text(const cJSON *v, char *buf, size_t cap)
{
	if (cJSON_IsString(v))
		return (size_t)snprintf(buf, cap, "%s", v->valuestring) < cap;
	if (cJSON_IsNumber(v) && v->valuedouble >= 0 && v->valuedouble < 9007199254740992.0 &&
	    (double)(uint64_t)v->valuedouble == v->valuedouble)
		return (size_t)snprintf(buf, cap, "%llu", (unsigned long long)v->valuedouble) < cap;
	return false;
}

/* The receipt's consent event is the bundle's record. */
static const char *
check_receipt_bundle(const struct mado_verify_envelope *env, const struct keys *k)
{
	char a[64], b[64];
	const char *why;
	cJSON *doc;
	bool same;

	if (env->bundle == NULL)
		return "the receipt carries no log bundle";
	if (!cJSON_IsString(cJSON_GetObjectItemCaseSensitive(env->bundle, "kind")) ||
	    strcmp(cJSON_GetObjectItemCaseSensitive(env->bundle, "kind")->valuestring, "consent") !=
		0)
		return "the receipt's bundle is not a consent event's";
	if ((why = mado_verify_json(env->receipt, strlen(env->receipt), &doc)) != NULL)
		return why;
	same = id_text(cJSON_GetObjectItemCaseSensitive(
			   cJSON_GetObjectItemCaseSensitive(doc, "event"), "id"),
		       a, sizeof(a)) &&
	       id_text(cJSON_GetObjectItemCaseSensitive(
			   cJSON_GetObjectItemCaseSensitive(env->bundle, "record"), "id"),
		       b, sizeof(b)) &&
	       strcmp(a, b) == 0;
	cJSON_Delete(doc);
	if (!same)
		return "the receipt's bundle is for another consent event";
	return check_bundle(env->bundle, k, NULL);
}

static int
verify_receipt(const char *file, const char *keyfile, const struct keys *k)
{
	struct mado_verify_envelope env;
	char why[200];
	const char *bad;
	EVP_MD_CTX *ctx;
	EVP_PKEY *key;
	char *text;
	FILE *kf;
	size_t len = 0;
	int ok;

	if ((kf = fopen(keyfile, "r")) == NULL)
		return fail("cannot read the key file");
	key = PEM_read_PUBKEY(kf, NULL, NULL, NULL);
	fclose(kf);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return fail("the key is not an Ed25519 public key");
	}
	if ((text = slurp(file, FILE_MAX, &len)) == NULL) {
		EVP_PKEY_free(key);
		return fail("cannot read the receipt file (at most 1 MiB)");
	}
	bad = mado_verify_parse(text, len, &env);
	free(text);
	if (bad != NULL) {
		EVP_PKEY_free(key);
		snprintf(why, sizeof(why), "not a Mado receipt: %s", bad);
		return fail(why);
	}
	ctx = EVP_MD_CTX_new();
	ok = ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, env.sig, sizeof(env.sig), (const unsigned char *)env.receipt,
			      strlen(env.receipt)) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (!ok) {
		mado_verify_envelope_free(&env);
		return fail("the signature does not match the receipt and key");
	}
	if (k->log != NULL && (bad = check_receipt_bundle(&env, k)) != NULL) {
		mado_verify_envelope_free(&env);
		return fail2("the receipt's log bundle", bad);
	}
	printf("ok\n%s\n", env.receipt);
	mado_verify_envelope_free(&env);
	return EXIT_OK;
}

/* A JSON file read strictly: the document, or NULL after printing why. */
static cJSON *
read_json(const char *file, size_t max, const char *what)
{
	const char *why;
	cJSON *doc;
	size_t len;
	char *text;

	if ((text = slurp(file, max, &len)) == NULL) {
		printf("fail: cannot read the %s file\n", what);
		return NULL;
	}
	why = mado_verify_json(text, len, &doc);
	free(text);
	if (why != NULL) {
		printf("fail: not a %s: %s\n", what, why);
		return NULL;
	}
	return doc;
}

static int
verify_bundle(const char *file, const struct keys *k)
{
	struct mado_tlog_checkpoint c;
	const char *why;
	cJSON *doc;

	if ((doc = read_json(file, FILE_MAX, "bundle")) == NULL)
		return EXIT_FAIL;
	why = check_bundle(doc, k, &c);
	if (why != NULL) {
		cJSON_Delete(doc);
		return fail(why);
	}
	printf("ok: the %s record at index %.0f is in %s (tree size %llu)\n",
	       cJSON_GetObjectItemCaseSensitive(doc, "kind")->valuestring,
	       cJSON_GetObjectItemCaseSensitive(doc, "index")->valuedouble, c.origin,
	       (unsigned long long)c.size);
	cJSON_Delete(doc);
	return EXIT_OK;
}

static int
verify_export(const char *file, const struct keys *k)
{
	const cJSON *bundles, *b;
	const char *why;
	size_t i = 0;
	cJSON *doc;

	if ((doc = read_json(file, EXPORT_MAX, "export")) == NULL)
		return EXIT_FAIL;
	bundles = cJSON_GetObjectItemCaseSensitive(doc, "bundles");
	if (!cJSON_IsArray(bundles)) {
		cJSON_Delete(doc);
		return fail("the export has no \"bundles\" array");
	}
	cJSON_ArrayForEach (b, bundles) {
		if ((why = check_bundle(b, k, NULL)) != NULL) {
			printf("fail: bundle %zu: %s\n", i, why);
			cJSON_Delete(doc);
			return EXIT_FAIL;
		}
		i++;
	}
	cJSON_Delete(doc);
	printf("ok: %zu bundles\n", i);
	return EXIT_OK;
}

/* A signed checkpoint file checked against the keys into *c: 0, or -1 after printing. */
static int
read_checkpoint(const char *file, const struct keys *k, const char *what,
		struct mado_tlog_checkpoint *c)
{
	const char *why;
	size_t len;
	char *text;

	if ((text = slurp(file, FILE_MAX, &len)) == NULL) {
		printf("fail: cannot read the %s checkpoint file\n", what);
		return -1;
	}
	why = mado_tlog_note_verify(text, len, k->log, k->witness, k->n_witnesses, k->needed, c);
	free(text);
	if (why != NULL) {
		printf("fail: the %s checkpoint: %s\n", what, why);
		return -1;
	}
	return 0;
}

static int
verify_consistency(const char *old, const char *new, const char *proof, const struct keys *k)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32], empty[32];
	struct mado_tlog_checkpoint c1, c2;
	const char *why;
	size_t len, n;
	char *text;
	bool ok;

	if (read_checkpoint(old, k, "old", &c1) != 0 || read_checkpoint(new, k, "new", &c2) != 0)
		return EXIT_FAIL;
	if ((text = slurp(proof, FILE_MAX, &len)) == NULL)
		return fail("cannot read the proof file");
	why = mado_tlog_hashes_parse(text, len, path, &n);
	free(text);
	if (why != NULL)
		return fail2("the proof file", why);
	if (c1.size > c2.size)
		return fail("the new checkpoint's tree is smaller than the old one's");
	if (c1.size == 0) {
		/* The empty tree is a prefix of every tree (RFC 9162), if it is empty. */
		EVP_Digest("", 0, empty, NULL, EVP_sha256(), NULL);
		ok = n == 0 && memcmp(c1.root, empty, 32) == 0;
	} else {
		ok = mado_tlog_verify_consistency(c1.size, c2.size, c1.root, c2.root,
						  (const unsigned char(*)[32])path, n);
	}
	if (!ok)
		return fail(c1.size == c2.size ? "the two checkpoints have the same size and "
						 "different roots"
					       : "the new tree does not extend the old one "
						 "(consistency proof fails)");
	printf("ok: %s size %llu is consistent with size %llu\n", c2.origin,
	       (unsigned long long)c1.size, (unsigned long long)c2.size);
	return EXIT_OK;
}

/*
 * The same command line as mado's (server/cli/args.c), written out: getopt_long, --help
 * on stdout and 0, a mistake on stderr and 2. A leading "-" hands back the arguments in
 * place so that options may come before or after them whatever POSIXLY_CORRECT says; "+"
 * at the top stops at the command's name.
 */
int
main(int argc, char **argv)
{
	static const struct option top[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	static const struct option opts[] = {{"key", required_argument, NULL, 'k'},
					     {"log-key", required_argument, NULL, 'l'},
					     {"witness-key", required_argument, NULL, 'w'},
					     {"witnesses-needed", required_argument, NULL, 'n'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *args[3] = {NULL, NULL, NULL}, *key = NULL, *cmd;
	struct keys k = {0};
	size_t nargs = 0, want;
	uint64_t needed;
	int ch;

	opterr = 0;
	while ((ch = getopt_long(argc, argv, "+:h", top, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage_text, stdout);
			return EXIT_OK;
		}
		return usage_error("unknown option ", argv[optind - 1]);
	}
	if (optind >= argc)
		return usage_error("which command?", "");
	cmd = argv[optind];
	if (strcmp(cmd, "receipt") == 0 || strcmp(cmd, "bundle") == 0 || strcmp(cmd, "export") == 0)
		want = 1;
	else if (strcmp(cmd, "consistency") == 0)
		want = 3;
	else
		return usage_error("unknown command ", cmd);
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "-:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'k': key = optarg; break;
		case 'l': k.log = optarg; break;
		case 'w':
			if (k.n_witnesses >= MAX_WITNESS_KEYS)
				return usage_error("too many --witness-key", "");
			k.witness[k.n_witnesses++] = optarg;
			break;
		case 'n':
			if (strlen(optarg) > 3 || strspn(optarg, "0123456789") != strlen(optarg) ||
			    *optarg == '\0')
				return usage_error("--witnesses-needed needs a number, not ",
						   optarg);
			needed = strtoull(optarg, NULL, 10);
			k.needed = (size_t)needed;
			k.needed_given = true;
			break;
		case 1:
			if (nargs >= want)
				return usage_error("unexpected argument ", optarg);
			args[nargs++] = optarg;
			break;
		case ':': return usage_error("a value is missing after ", argv[optind - 1]);
		default: return usage_error("unknown option ", argv[optind - 1]);
		}
	}
	while (optind < argc && nargs < want)
		args[nargs++] = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument ", argv[optind]);
	if ((k.n_witnesses > 0 || k.needed_given) && k.log == NULL)
		return usage_error("--witness-key and --witnesses-needed need --log-key", "");
	if (!k.needed_given)
		k.needed = k.n_witnesses;
	if (strcmp(cmd, "receipt") == 0) {
		if (nargs == 0)
			return usage_error("which receipt file?", "");
		if (key == NULL)
			return usage_error("--key is required", "");
		return verify_receipt(args[0], key, &k);
	}
	if (nargs < want)
		return usage_error(want == 1 ? "which file?" : "missing arguments", "");
	if (k.log == NULL)
		return usage_error("--log-key is required", "");
	if (strcmp(cmd, "bundle") == 0)
		return verify_bundle(args[0], &k);
	if (strcmp(cmd, "export") == 0)
		return verify_export(args[0], &k);
	return verify_consistency(args[0], args[1], args[2], &k);
}
#endif
