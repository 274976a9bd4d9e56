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
	const cJSON *m, *receipt = NULL, *sig = NULL;
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
		else if (strcmp(m->string, "key_id") != 0 || !cJSON_IsString(m))
			why = "a member that is not receipt, signature or key_id (a string)";
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

static const char usage_text[] =
    "usage: mado-verify receipt FILE --key PUBLIC.pem\n"
    "Check a consent receipt offline: FILE as downloaded, PUBLIC.pem the receipt key\n"
    "(GET /api/v1/consent-receipt-key). Prints \"ok\" and the receipt, or \"fail: WHY\".\n"
    "\n"
    "options:\n"
    "  --key PUBLIC.pem  Mado's receipt key, Ed25519 (required)\n"
    "  -h, --help        print this help and exit\n";

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

#define FILE_MAX (1u << 20)

/* The file's bytes (NUL-terminated, NUL bytes kept) and their number; NULL when it cannot
   be read or is larger than FILE_MAX (a cut-off file must not read as a shorter one). */
static char *
slurp(const char *path, size_t *lenp)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	size_t len = 0, n;

	if (f == NULL)
		return NULL;
	if ((buf = malloc(FILE_MAX + 2)) == NULL) {
		fclose(f);
		return NULL;
	}
	while ((n = fread(buf + len, 1, FILE_MAX + 1 - len, f)) > 0 && len + n <= FILE_MAX)
		len += n;
	if (n > 0 || ferror(f)) {
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[len] = '\0';
	*lenp = len;
	return buf;
}

static int
verify_receipt(const char *file, const char *keyfile)
{
	struct mado_verify_envelope env;
	char why[160];
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
	if ((text = slurp(file, &len)) == NULL) {
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
	printf("ok\n%s\n", env.receipt);
	mado_verify_envelope_free(&env);
	return EXIT_OK;
}

/*
 * The same command line as mado's (server/cli/args.c), written out: getopt_long, --help
 * on stdout and 0, a mistake on stderr and 2. A leading "-" hands back FILE in place so
 * that --key may come before or after it whatever POSIXLY_CORRECT says; "+" at the top
 * stops at the command's name.
 */
int
main(int argc, char **argv)
{
	static const struct option top[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	static const struct option receipt[] = {{"key", required_argument, NULL, 'k'},
						{"help", no_argument, NULL, 'h'},
						{NULL, 0, NULL, 0}};
	const char *file = NULL, *key = NULL;
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
	if (strcmp(argv[optind], "receipt") != 0)
		return usage_error("unknown command ", argv[optind]);
	argc -= optind;
	argv += optind;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "-:h", receipt, NULL)) != -1) {
		switch (ch) {
		case 'h': fputs(usage_text, stdout); return EXIT_OK;
		case 'k': key = optarg; break;
		case 1:
			if (file != NULL)
				return usage_error("unexpected argument ", optarg);
			file = optarg;
			break;
		case ':': return usage_error("a value is missing after ", argv[optind - 1]);
		default: return usage_error("unknown option ", argv[optind - 1]);
		}
	}
	if (optind < argc && file == NULL)
		file = argv[optind++];
	if (optind < argc)
		return usage_error("unexpected argument ", argv[optind]);
	if (file == NULL)
		return usage_error("which receipt file?", "");
	if (key == NULL)
		return usage_error("--key is required", "");
	return verify_receipt(file, key);
}
#endif
