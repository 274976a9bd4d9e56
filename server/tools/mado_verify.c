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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

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

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL)
		return NULL;
	do {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap = cap * 2 + 8192);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		n = fread(buf + len, 1, 4096, f);
		len += n;
	} while (n > 0 && len < (1u << 20));
	fclose(f);
	if (buf != NULL)
		buf[len] = '\0';
	return buf;
}

static int
verify_receipt(const char *file, const char *keyfile)
{
	unsigned char sig[128];
	const cJSON *doc, *sigtext;
	EVP_MD_CTX *ctx;
	EVP_PKEY *key;
	cJSON *env;
	char *text;
	FILE *kf;
	size_t n;
	int len, ok;

	if ((kf = fopen(keyfile, "r")) == NULL)
		return fail("cannot read the key file");
	key = PEM_read_PUBKEY(kf, NULL, NULL, NULL);
	fclose(kf);
	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(key);
		return fail("the key is not an Ed25519 public key");
	}
	if ((text = slurp(file)) == NULL) {
		EVP_PKEY_free(key);
		return fail("cannot read the receipt file");
	}
	env = cJSON_Parse(text);
	free(text);
	doc = cJSON_GetObjectItemCaseSensitive(env, "receipt");
	sigtext = cJSON_GetObjectItemCaseSensitive(env, "signature");
	if (!cJSON_IsString(doc) || !cJSON_IsString(sigtext) ||
	    (n = strlen(sigtext->valuestring)) != 88) {
		cJSON_Delete(env);
		EVP_PKEY_free(key);
		return fail("not a Mado receipt (receipt, signature)");
	}
	len = EVP_DecodeBlock(sig, (const unsigned char *)sigtext->valuestring, (int)n);
	ctx = EVP_MD_CTX_new();
	/* 88 base64 characters decode to 66 bytes; two of them are the padding. */
	ok = len == 66 && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1 &&
	     EVP_DigestVerify(ctx, sig, 64, (const unsigned char *)doc->valuestring,
			      strlen(doc->valuestring)) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	if (!ok) {
		cJSON_Delete(env);
		return fail("the signature does not match the receipt and key");
	}
	printf("ok\n%s\n", doc->valuestring);
	cJSON_Delete(env);
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
