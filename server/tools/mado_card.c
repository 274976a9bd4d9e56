/*
 * mado-card: virtual cards for the demo and the tests.
 *
 * A demo card CA in a directory, card certificates shaped like JPKI user-authentication
 * certificates (RSA-2048, SHA-256, an opaque subject without a name) or EC ones,
 * revocation through an openssl-ocsp index and a CRL, Web eID tokens signed the way a card
 * signs them, and a loopback OCSP responder whose answers come from `openssl ocsp`.
 * Never part of a production deployment.
 */
#include <errno.h>
#include <fcntl.h>
#include <strings.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cjson/cJSON.h>

#include "mado/cli.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "mado/vcard.h"

extern char **environ;

#define JPKI_AUTH_POLICY "1.2.392.200149.8.5.1.3.30"

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mado-card: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(MADO_EXIT_FAIL);
}

static void
path(char *out, size_t len, const char *dir, const char *file)
{
	if ((size_t)snprintf(out, len, "%s/%s", dir, file) >= len)
		die("path too long: %s", dir);
}

/* One prime of 1024 bits as Infineon's RSALib made them: k * m + (65537^a mod m). */
static BIGNUM *
roca_prime(const BIGNUM *m, const BIGNUM *e, BN_CTX *ctx)
{
	BIGNUM *p = BN_new(), *a = BN_new(), *k = BN_new();

	if (p == NULL || a == NULL || k == NULL)
		die("out of memory");
	for (;;) {
		if (BN_rand(a, 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
		    BN_mod_exp(p, e, a, m, ctx) != 1 ||
		    BN_rand(k, 1024 - BN_num_bits(m), BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
		    BN_mul(k, k, m, ctx) != 1 || BN_add(p, p, k) != 1)
			die("cannot make a prime");
		/* 65537 must be invertible modulo p - 1. */
		if (BN_num_bits(p) == 1024 && BN_mod_word(p, 65537) != 1 &&
		    BN_check_prime(p, ctx, NULL) == 1)
			break;
	}
	BN_free(a);
	BN_free(k);
	return p;
}

/* An RSA-2048 key with the ROCA fingerprint (CVE-2017-15361), its primes made as
   RSALib made them for keys of this size (m the product of the first 126 primes), for
   the tests of its refusal. */
static EVP_PKEY *
roca_key(void)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *m = BN_new(), *e = BN_new(), *p = NULL, *q = NULL, *n = BN_new(), *d = BN_new(),
	       *p1 = BN_new(), *q1 = BN_new(), *phi = BN_new(), *dp = BN_new(), *dq = BN_new(),
	       *qi = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *k = NULL;
	unsigned r, j, primes = 0;

	if (ctx == NULL || m == NULL || e == NULL || n == NULL || d == NULL || p1 == NULL ||
	    q1 == NULL || phi == NULL || dp == NULL || dq == NULL || qi == NULL || bld == NULL ||
	    pc == NULL || BN_set_word(m, 1) != 1 || BN_set_word(e, 65537) != 1)
		die("out of memory");
	for (r = 2; primes < 126; r++) {
		for (j = 2; j * j <= r && r % j != 0; j++)
			;
		if (j * j > r) {
			if (BN_mul_word(m, r) != 1)
				die("out of memory");
			primes++;
		}
	}
	do {
		BN_free(p);
		BN_free(q);
		p = roca_prime(m, e, ctx);
		q = roca_prime(m, e, ctx);
		if (BN_mul(n, p, q, ctx) != 1)
			die("cannot make a modulus");
	} while (BN_num_bits(n) != 2048 || BN_cmp(p, q) == 0);
	if (BN_sub(p1, p, BN_value_one()) != 1 || BN_sub(q1, q, BN_value_one()) != 1 ||
	    BN_mul(phi, p1, q1, ctx) != 1 || BN_mod_inverse(d, e, phi, ctx) == NULL ||
	    BN_mod(dp, d, p1, ctx) != 1 || BN_mod(dq, d, q1, ctx) != 1 ||
	    BN_mod_inverse(qi, q, p, ctx) == NULL)
		die("cannot make the private key");
	if (!mado_pki_roca(n))
		die("the key lacks the ROCA fingerprint");
	if (OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_D, d) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR1, p) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_FACTOR2, q) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT1, dp) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_EXPONENT2, dq) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_COEFFICIENT1, qi) != 1 ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL || EVP_PKEY_fromdata_init(pc) != 1 ||
	    EVP_PKEY_fromdata(pc, &k, EVP_PKEY_KEYPAIR, params) != 1)
		die("cannot make the key");
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	EVP_PKEY_CTX_free(pc);
	BN_clear_free(d);
	BN_clear_free(p);
	BN_clear_free(q);
	BN_clear_free(p1);
	BN_clear_free(q1);
	BN_clear_free(phi);
	BN_clear_free(dp);
	BN_clear_free(dq);
	BN_clear_free(qi);
	BN_free(m);
	BN_free(e);
	BN_free(n);
	BN_CTX_free(ctx);
	return k;
}

static EVP_PKEY *
new_key(const char *kind)
{
	EVP_PKEY *k = NULL;

	if (strcmp(kind, "rsa2048") == 0)
		k = EVP_RSA_gen(2048);
	else if (strcmp(kind, "rsa2048-roca") == 0)
		k = roca_key();
	else if (strcmp(kind, "rsa1024") == 0)
		k = EVP_RSA_gen(1024);
	else if (strcmp(kind, "p256") == 0)
		k = EVP_EC_gen("P-256");
	else if (strcmp(kind, "p384") == 0)
		k = EVP_EC_gen("P-384");
	else
		die("unknown key type %s", kind);
	if (k == NULL)
		die("cannot make a %s key", kind);
	return k;
}

/* Opens file or dies; a file written is made with perm (keys: owner only). */
static FILE *
must_open(const char *file, bool write, mode_t perm)
{
	FILE *f = NULL;
	int fd;

	if (!write)
		f = fopen(file, "r");
	else if ((fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, perm)) >= 0)
		f = fdopen(fd, "w");
	if (f == NULL)
		die("cannot %s %s", write ? "write" : "read", file);
	return f;
}

static void
write_key(const char *file, EVP_PKEY *k)
{
	FILE *f = must_open(file, true, 0600);

	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
}

static EVP_PKEY *
read_key(const char *file)
{
	FILE *f = must_open(file, false, 0);
	EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);

	fclose(f);
	if (k == NULL)
		die("cannot read a key from %s", file);
	return k;
}

static void
write_cert(const char *file, X509 *x)
{
	FILE *f = must_open(file, true, 0644);

	PEM_write_X509(f, x);
	fclose(f);
}

static X509 *
read_cert(const char *file)
{
	FILE *f = must_open(file, false, 0);
	X509 *x = PEM_read_X509(f, NULL, NULL, NULL);

	fclose(f);
	if (x == NULL)
		die("cannot read a certificate from %s", file);
	return x;
}

/* A setting recorded by init in DIR/settings ("key=value" lines). */
static void
setting(const char *dir, const char *key, char *out, size_t len)
{
	char file[4096], line[1024];
	size_t n = strlen(key);
	FILE *f;

	out[0] = '\0';
	path(file, sizeof(file), dir, "settings");
	if ((f = fopen(file, "r")) == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, key, n) == 0 && line[n] == '=')
			snprintf(out, len, "%s", line + n + 1);
	}
	fclose(f);
}

static void
add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		die("bad extension value %s", value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* certificatePolicies with one OID (the conf-string route wants a config database). */
static void
add_policy(X509 *x, const char *oid)
{
	CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
	POLICYINFO *pi = POLICYINFO_new();

	if (pols == NULL || pi == NULL || (pi->policyid = OBJ_txt2obj(oid, 1)) == NULL)
		die("bad policy OID %s", oid);
	sk_POLICYINFO_push(pols, pi);
	if (X509_add1_ext_i2d(x, NID_certificate_policies, pols, 0, X509V3_ADD_DEFAULT) != 1)
		die("cannot add policy %s", oid);
	CERTIFICATEPOLICIES_free(pols);
}

static void
random_serial(X509 *x)
{
	unsigned char raw[12];
	BIGNUM *bn;

	if (mado_random(raw, sizeof(raw)) != 0)
		die("no randomness");
	raw[0] &= 0x7f; /* positive */
	raw[0] |= 0x10; /* and of a fixed length */
	bn = BN_bin2bn(raw, sizeof(raw), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
}

/* An opaque subject like JPKI's: no name, no number, nothing that identifies a person. */
static void
opaque_subject(X509_NAME *n)
{
	static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
	unsigned char raw[21];
	char cn[22];
	size_t i;

	if (mado_random(raw, sizeof(raw)) != 0)
		die("no randomness");
	for (i = 0; i < sizeof(raw); i++)
		cn[i] = alpha[raw[i] % (sizeof(alpha) - 1)];
	cn[sizeof(raw)] = '\0';
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
}

static void
set_validity(X509 *x, time_t from, time_t to)
{
	if (ASN1_TIME_set(X509_getm_notBefore(x), from) == NULL ||
	    ASN1_TIME_set(X509_getm_notAfter(x), to) == NULL)
		die("bad validity");
}

static void
sign_cert_md(X509 *x, EVP_PKEY *key, const EVP_MD *md)
{
	if (X509_sign(x, key, md) == 0)
		die("cannot sign a certificate");
}

static void
sign_cert(X509 *x, EVP_PKEY *key)
{
	sign_cert_md(x, key, EVP_sha256());
}

static int
cmd_init(int argc, char **argv)
{
	const char *ocsp = "", *crl = "", *ndays = "3650", *dir;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("ocsp-url", "URL", &ocsp, "the OCSP responder its cards name (AIA)"),
	    MADO_CLI_VALUE("crl-url", "URL", &crl, "the CRL distribution point its cards name"),
	    MADO_CLI_VALUE("days", "N", &ndays, "the CA's validity in days (default 3650)"),
	};
	char *args[1];
	struct mado_cli cli = {
	    .name = "mado-card init",
	    .synopsis = "DIR [--ocsp-url URL] [--crl-url URL] [--days N]",
	    .about = "Make a demo/test card CA and its OCSP responder's certificate in DIR (never "
		     "in production).",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 1,
	    .max_args = 1,
	};
	char file[4096];
	X509_NAME *name;
	EVP_PKEY *ca, *ok;
	X509 *x, *r;
	time_t now = time(NULL);
	FILE *f;
	int days, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	dir = args[0];
	days = atoi(ndays);

	path(file, sizeof(file), dir, "ca.crt");
	if (access(file, F_OK) == 0) {
		printf("%s already holds a card CA\n", dir);
		return 0;
	}
	path(file, sizeof(file), dir, "cards");
	if ((mkdir(dir, 0755) != 0 && errno != EEXIST) ||
	    (mkdir(file, 0755) != 0 && errno != EEXIST))
		die("cannot make %s", dir);

	/* The CA: RSA-2048 with SHA-256, like the JPKI user-authentication CA. */
	ca = new_key("rsa2048");
	x = X509_new();
	X509_set_version(x, 2);
	random_serial(x);
	name = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"Mado demo", -1,
				   -1, 0);
	X509_NAME_add_entry_by_txt(
	    name, "OU", MBSTRING_ASC,
	    (const unsigned char *)"Mado demo card CA for user authentication", -1, -1, 0);
	X509_set_issuer_name(x, name);
	set_validity(x, now - 86400, now + (time_t)days * 86400);
	X509_set_pubkey(x, ca);
	add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
	add_ext(x, x, NID_subject_key_identifier, "hash");
	sign_cert(x, ca);
	path(file, sizeof(file), dir, "ca.key");
	write_key(file, ca);
	path(file, sizeof(file), dir, "ca.crt");
	write_cert(file, x);

	/* The OCSP responder, delegated by the CA (RFC 6960 4.2.2.2). */
	ok = new_key("p256");
	r = X509_new();
	X509_set_version(r, 2);
	random_serial(r);
	name = X509_get_subject_name(r);
	X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, (const unsigned char *)"JP", -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
				   (const unsigned char *)"Mado demo OCSP responder", -1, -1, 0);
	X509_set_issuer_name(r, X509_get_subject_name(x));
	set_validity(r, now - 86400, now + (time_t)days * 86400);
	X509_set_pubkey(r, ok);
	add_ext(r, x, NID_basic_constraints, "critical,CA:FALSE");
	add_ext(r, x, NID_key_usage, "critical,digitalSignature");
	add_ext(r, x, NID_ext_key_usage, "OCSPSigning");
	add_ext(r, x, NID_id_pkix_OCSP_noCheck, "ignored");
	add_ext(r, x, NID_authority_key_identifier, "keyid");
	sign_cert(r, ca);
	path(file, sizeof(file), dir, "ocsp.key");
	write_key(file, ok);
	path(file, sizeof(file), dir, "ocsp.crt");
	write_cert(file, r);

	path(file, sizeof(file), dir, "index.txt");
	if ((f = fopen(file, "w")) == NULL)
		die("cannot write %s", file);
	fclose(f);
	path(file, sizeof(file), dir, "settings");
	if ((f = fopen(file, "w")) == NULL)
		die("cannot write %s", file);
	fprintf(f, "ocsp_url=%s\ncrl_url=%s\n", ocsp, crl);
	fclose(f);
	printf("card CA in %s\n", dir);
	EVP_PKEY_free(ca);
	EVP_PKEY_free(ok);
	X509_free(x);
	X509_free(r);
	return 0;
}

/* "YYMMDDHHMMSSZ" as openssl's index wants it. */
static void
index_time(time_t t, char out[16])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	/* Two-digit years are what the index format has (UTCTime, until 2049). */
	snprintf(out, 16, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static void
serial_hex(X509 *x, char *out, size_t len)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = BN_bn2hex(bn);

	snprintf(out, len, "%s", hex);
	OPENSSL_free(hex);
	BN_free(bn);
}

static int
cmd_issue(int argc, char **argv)
{
	const char *kind = "rsa2048", *eku = "none", *ku = "sign", *policy = JPKI_AUTH_POLICY;
	const char *same = NULL, *nb = NULL, *na = NULL, *ndays = "1825", *dir, *cname;
	const char *serialarg = NULL, *mdname = "sha256";
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("key", "rsa2048|rsa2048-roca|rsa1024|p256|p384", &kind,
			   "the card's key (default rsa2048, as JPKI's)"),
	    MADO_CLI_VALUE("days", "N", &ndays, "validity in days from now (default 1825)"),
	    MADO_CLI_VALUE("not-before", "TIME", &nb, "start of validity, instead of an hour ago"),
	    MADO_CLI_VALUE("not-after", "TIME", &na, "end of validity, instead of --days"),
	    MADO_CLI_VALUE("eku", "none|clientauth|email", &eku,
			   "extendedKeyUsage (default none, as JPKI's)"),
	    MADO_CLI_VALUE("ku", "sign|encipher|none", &ku, "keyUsage (default sign)"),
	    MADO_CLI_VALUE("policy", "OID|none", &policy,
			   "certificate policy (default JPKI's user authentication)"),
	    MADO_CLI_VALUE("same-key-as", "NAME", &same, "reuse card NAME's key (a renewal)"),
	    MADO_CLI_VALUE("serial", "HEX", &serialarg,
			   "this serial number instead of a random one (tests)"),
	    MADO_CLI_VALUE("md", "sha256|sha1", &mdname,
			   "the CA's signature digest (default sha256; sha1 for tests)"),
	};
	char *args[2];
	struct mado_cli cli = {
	    .name = "mado-card issue",
	    .synopsis = "DIR NAME [--key rsa2048|rsa2048-roca|rsa1024|p256|p384] [--days N]\n"
			"                       [--not-before TIME] [--not-after TIME] [--eku "
			"none|clientauth|email]\n"
			"                       [--ku sign|encipher|none] [--policy OID|none] "
			"[--same-key-as NAME]\n"
			"                       [--serial HEX] [--md sha256|sha1]",
	    .about = "Issue virtual card NAME (1-32 of a-z, 0-9, -) from the CA in DIR: "
		     "DIR/cards/NAME.crt and .key.\nTIME is RFC 3339 (2030-01-01T00:00:00Z).",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 2,
	    .max_args = 2,
	};
	char file[4096], sub[512], ocsp[512], crl[512], value[600], serial[80], exp[16];
	time_t now = time(NULL), from, to;
	EVP_PKEY *cakey, *k;
	X509 *ca, *x;
	char *line;
	FILE *f;
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	dir = args[0];
	cname = args[1];
	from = now - 3600;
	to = now + (time_t)atoi(ndays) * 86400;
	if (!mado_vcard_name_ok(cname))
		die("card names are 1-32 of a-z, 0-9 and -: %s", cname);
	if (strcmp(mdname, "sha256") != 0 && strcmp(mdname, "sha1") != 0)
		die("--md is sha256 or sha1, not %s", mdname);
	if ((nb != NULL && !mado_parse_rfc3339(nb, &from)) ||
	    (na != NULL && !mado_parse_rfc3339(na, &to)))
		die("times are RFC 3339, e.g. 2030-01-01T00:00:00Z");
	path(file, sizeof(file), dir, "ca.key");
	cakey = read_key(file);
	path(file, sizeof(file), dir, "ca.crt");
	ca = read_cert(file);
	if (same != NULL) {
		snprintf(sub, sizeof(sub), "cards/%s.key", same);
		path(file, sizeof(file), dir, sub);
		k = read_key(file);
	} else {
		k = new_key(kind);
	}

	x = X509_new();
	X509_set_version(x, 2);
	random_serial(x);
	if (serialarg != NULL) {
		BIGNUM *bn = NULL;

		if (BN_hex2bn(&bn, serialarg) != (int)strlen(serialarg) || bn == NULL ||
		    BN_is_negative(bn) || BN_is_zero(bn) ||
		    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
			die("--serial wants a positive hexadecimal number, not %s", serialarg);
		BN_free(bn);
	}
	opaque_subject(X509_get_subject_name(x));
	X509_set_issuer_name(x, X509_get_subject_name(ca));
	set_validity(x, from, to);
	X509_set_pubkey(x, k);
	add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE");
	if (strcmp(ku, "sign") == 0)
		add_ext(x, ca, NID_key_usage, "critical,digitalSignature");
	else if (strcmp(ku, "encipher") == 0)
		add_ext(x, ca, NID_key_usage, "critical,keyEncipherment");
	if (strcmp(eku, "clientauth") == 0)
		add_ext(x, ca, NID_ext_key_usage, "clientAuth");
	else if (strcmp(eku, "email") == 0)
		add_ext(x, ca, NID_ext_key_usage, "emailProtection");
	if (strcmp(policy, "none") != 0)
		add_policy(x, policy);
	add_ext(x, ca, NID_subject_key_identifier, "hash");
	add_ext(x, ca, NID_authority_key_identifier, "keyid");
	setting(dir, "ocsp_url", ocsp, sizeof(ocsp));
	if (ocsp[0] != '\0') {
		snprintf(value, sizeof(value), "OCSP;URI:%s", ocsp);
		add_ext(x, ca, NID_info_access, value);
	}
	setting(dir, "crl_url", crl, sizeof(crl));
	if (crl[0] != '\0') {
		snprintf(value, sizeof(value), "URI:%s", crl);
		add_ext(x, ca, NID_crl_distribution_points, value);
	}
	sign_cert_md(x, cakey, strcmp(mdname, "sha1") == 0 ? EVP_sha1() : EVP_sha256());

	snprintf(sub, sizeof(sub), "cards/%s.key", cname);
	path(file, sizeof(file), dir, sub);
	write_key(file, k);
	snprintf(sub, sizeof(sub), "cards/%s.crt", cname);
	path(file, sizeof(file), dir, sub);
	write_cert(file, x);

	/* The responder's database: status, expiry, revocation, serial, file, subject. */
	serial_hex(x, serial, sizeof(serial));
	index_time(to, exp);
	line = X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
	path(file, sizeof(file), dir, "index.txt");
	if ((f = fopen(file, "a")) == NULL)
		die("cannot write %s", file);
	fprintf(f, "V\t%s\t\t%s\tunknown\t%s\n", exp, serial, line);
	fclose(f);
	OPENSSL_free(line);
	snprintf(sub, sizeof(sub), "cards/%s.serial", cname);
	path(file, sizeof(file), dir, sub);
	if ((f = fopen(file, "w")) != NULL) {
		fprintf(f, "%s\n", serial);
		fclose(f);
	}
	printf("card %s (serial %s)\n", cname, serial);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(k);
	X509_free(ca);
	X509_free(x);
	return 0;
}

/* Rewrites the card's line in index.txt as revoked (now) or valid again. */
static int
set_revoked(const char *dir, const char *cname, bool revoke)
{
	char file[4096], sub[512], serial[80], line[2048], when[16];
	char *text = NULL, *out, *p, *f2, *f3, *f4;
	size_t len, olen = 0;
	bool found = false;
	FILE *f;

	snprintf(sub, sizeof(sub), "cards/%s.crt", cname);
	path(file, sizeof(file), dir, sub);
	{
		X509 *x = read_cert(file);

		serial_hex(x, serial, sizeof(serial));
		X509_free(x);
	}
	path(file, sizeof(file), dir, "index.txt");
	if (mado_read_file(file, 16 << 20, &text, &len) != MADO_OK)
		die("cannot read %s", file);
	if ((out = malloc(len + 4096)) == NULL)
		die("out of memory");
	index_time(time(NULL), when);
	for (p = strtok(text, "\n"); p != NULL; p = strtok(NULL, "\n")) {
		snprintf(line, sizeof(line), "%s", p);
		/* fields: status, expiry, revocation, serial, file, subject */
		f2 = strchr(line, '\t');
		f3 = f2 != NULL ? strchr(f2 + 1, '\t') : NULL;
		f4 = f3 != NULL ? strchr(f3 + 1, '\t') : NULL;
		if (f4 != NULL && strncmp(f4 + 1, serial, strlen(serial)) == 0 &&
		    f4[1 + strlen(serial)] == '\t') {
			*f3 = '\0';
			olen += (size_t)sprintf(out + olen, "%c%s\t%s%s\n", revoke ? 'R' : 'V', f2,
						revoke ? when : "", f4);
			found = true;
		} else {
			olen += (size_t)sprintf(out + olen, "%s\n", p);
		}
	}
	if (!found)
		die("card %s is not in the index", cname);
	if ((f = fopen(file, "w")) == NULL)
		die("cannot write %s", file);
	fwrite(out, 1, olen, f);
	fclose(f);
	free(out);
	free(text);
	printf("card %s %s\n", cname, revoke ? "revoked" : "valid again");
	return 0;
}

/* mado-card revoke DIR NAME, and unrevoke. */
static int
cmd_revoke(int argc, char **argv)
{
	bool revoke = strcmp(argv[0], "revoke") == 0;
	char *args[2];
	struct mado_cli cli = {
	    .name = revoke ? "mado-card revoke" : "mado-card unrevoke",
	    .synopsis = "DIR NAME",
	    .about = revoke ? "Mark card NAME of DIR revoked, for OCSP and the next CRL."
			    : "Make revoked card NAME of DIR valid again.",
	    .args = args,
	    .min_args = 2,
	    .max_args = 2,
	};
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	return set_revoked(args[0], args[1], revoke);
}

static int
cmd_crl(int argc, char **argv)
{
	const char *ndays = "7", *mdname = "sha256", *dir;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("days", "N", &ndays, "days until its nextUpdate (default 7)"),
	    MADO_CLI_VALUE("md", "sha256|sha1", &mdname,
			   "the CRL's signature digest (default sha256; sha1 for tests)"),
	};
	char *args[1];
	struct mado_cli cli = {
	    .name = "mado-card crl",
	    .synopsis = "DIR [--days N] [--md sha256|sha1]",
	    .about = "Write the CRL of the CA in DIR, listing its revoked cards, to DIR/ca.crl.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 1,
	    .max_args = 1,
	};
	char file[4096], line[2048], *fields[6], *p;
	time_t now = time(NULL);
	X509_REVOKED *rv;
	ASN1_INTEGER *sn;
	ASN1_TIME *t;
	EVP_PKEY *key;
	X509_CRL *crl;
	BIGNUM *bn;
	X509 *ca;
	FILE *f;
	int i, days, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	dir = args[0];
	days = atoi(ndays);
	if (strcmp(mdname, "sha256") != 0 && strcmp(mdname, "sha1") != 0)
		die("--md is sha256 or sha1, not %s", mdname);
	path(file, sizeof(file), dir, "ca.key");
	key = read_key(file);
	path(file, sizeof(file), dir, "ca.crt");
	ca = read_cert(file);
	crl = X509_CRL_new();
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	t = ASN1_TIME_set(NULL, now - 60);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_set(t, now + (time_t)days * 86400);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	path(file, sizeof(file), dir, "index.txt");
	if ((f = fopen(file, "r")) == NULL)
		die("cannot read %s", file);
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		fields[0] = line;
		for (i = 1, p = line; i < 6 && (p = strchr(p, '\t')) != NULL; i++) {
			*p++ = '\0';
			fields[i] = p;
		}
		if (i < 6 || fields[0][0] != 'R')
			continue;
		bn = NULL;
		if (BN_hex2bn(&bn, fields[3]) == 0)
			continue;
		rv = X509_REVOKED_new();
		sn = BN_to_ASN1_INTEGER(bn, NULL);
		X509_REVOKED_set_serialNumber(rv, sn);
		t = ASN1_TIME_new();
		ASN1_TIME_set_string(t, fields[2]);
		X509_REVOKED_set_revocationDate(rv, t);
		X509_CRL_add0_revoked(crl, rv);
		ASN1_TIME_free(t);
		ASN1_INTEGER_free(sn);
		BN_free(bn);
	}
	fclose(f);
	X509_CRL_sort(crl);
	if (X509_CRL_sign(crl, key, strcmp(mdname, "sha1") == 0 ? EVP_sha1() : EVP_sha256()) == 0)
		die("cannot sign the CRL");
	path(file, sizeof(file), dir, "ca.crl");
	if ((f = fopen(file, "w")) == NULL)
		die("cannot write %s", file);
	PEM_write_X509_CRL(f, crl);
	fclose(f);
	printf("CRL in %s\n", file);
	X509_CRL_free(crl);
	X509_free(ca);
	EVP_PKEY_free(key);
	return 0;
}

static int
cmd_token(int argc, char **argv)
{
	const char *origin = NULL, *nonce = NULL, *alg = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("origin", "URL", &origin, "the origin the token is for"),
	    MADO_CLI_REQUIRED("nonce", "NONCE", &nonce, "the challenge nonce to sign"),
	    MADO_CLI_VALUE("alg", "ALG", &alg,
			   "signature algorithm (default RS256, or ES256/384/512 by curve)"),
	};
	char *args[2], *token = NULL;
	struct mado_cli cli = {
	    .name = "mado-card token",
	    .synopsis = "DIR NAME --origin URL --nonce NONCE [--alg ALG]",
	    .about = "Print a Web eID token signed by card NAME of DIR, as a card would sign it.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 2,
	    .max_args = 2,
	};
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_vcard_token(args[0], args[1], origin, nonce, alg, &token) != MADO_OK)
		die("cannot sign with card %s", args[1]);
	printf("%s\n", token);
	free(token);
	return 0;
}

/* One value of an app link's query, percent-decoded (caller frees), or NULL. */
static char *
link_param(const char *link, const char *name)
{
	const char *q = strchr(link, '?'), *p, *end;
	size_t n = strlen(name), i, o = 0;
	char *out;

	for (p = q; p != NULL; p = strchr(p + 1, '&')) {
		if (strncmp(p + 1, name, n) != 0 || p[1 + n] != '=')
			continue;
		p += n + 2;
		end = p + strcspn(p, "&#");
		out = malloc((size_t)(end - p) + 1);
		if (out == NULL)
			die("out of memory");
		for (i = 0; p + i < end; i++) {
			unsigned v;

			if (p[i] == '%' && p + i + 2 < end && sscanf(p + i + 1, "%2x", &v) == 1) {
				out[o++] = (char)v;
				i += 2;
			} else {
				out[o++] = p[i];
			}
		}
		out[o] = '\0';
		return out;
	}
	return NULL;
}

/* POSTs body to https://host:port/path (the server's certificate checked against cacert
   and host), prints the status and the answer; returns the status. */
static int
https_post(const char *host, const char *connect_to, const char *path, const char *cacert,
	   const char *body)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	char req[1024], buf[4096];
	int status = 0, n, total = 0;
	SSL *ssl = NULL;
	BIO *b;

	if (ctx == NULL || SSL_CTX_load_verify_locations(ctx, cacert, NULL) != 1)
		die("cannot load %s", cacert);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
	if ((b = BIO_new_ssl_connect(ctx)) == NULL)
		die("cannot make a TLS connection");
	BIO_get_ssl(b, &ssl);
	BIO_set_conn_hostname(b, connect_to);
	{
		char name[256];
		size_t hn = strcspn(host, ":");

		snprintf(name, sizeof(name), "%.*s", (int)hn, host);
		SSL_set_tlsext_host_name(ssl, name);
		SSL_set1_host(ssl, name);
	}
	if (BIO_do_connect(b) != 1 || BIO_do_handshake(b) != 1)
		die("cannot connect to %s securely", connect_to);
	snprintf(req, sizeof(req),
		 "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"
		 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
		 path, host, strlen(body));
	if (BIO_puts(b, req) <= 0 || BIO_write(b, body, (int)strlen(body)) <= 0)
		die("cannot send the token");
	while (total < (int)sizeof(buf) - 1 &&
	       (n = BIO_read(b, buf + total, (int)sizeof(buf) - 1 - total)) > 0)
		total += n;
	buf[total] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		die("no answer from %s", connect_to);
	printf("%d\n%s\n", status,
	       strstr(buf, "\r\n\r\n") != NULL ? strstr(buf, "\r\n\r\n") + 4 : "");
	BIO_free_all(b);
	SSL_CTX_free(ctx);
	return status;
}

/*
 * A signing app on the same device: opened with the login page's app link
 *   mado-card://login?origin=O&nonce=N&handoff=H&return=R
 * it signs a Web eID token for O and N with the card and posts it to
 * O/api/v1/auth/handoff/H/token. --origin and --nonce sign for others instead (tests of
 * what the portal refuses).
 */
static int
cmd_handoff(int argc, char **argv)
{
	const char *cacert = NULL, *connect_to = NULL, *origin = NULL, *nonce = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("cacert", "FILE", &cacert, "the portal's certificate authority"),
	    MADO_CLI_VALUE("connect", "HOST:PORT", &connect_to,
			   "connect here instead of the link's origin"),
	    MADO_CLI_VALUE("origin", "URL", &origin, "sign for this origin, not the link's"),
	    MADO_CLI_VALUE("nonce", "NONCE", &nonce, "sign this nonce, not the link's"),
	};
	char *args[3], *token = NULL, *l_origin, *l_nonce, *l_handoff, path[256];
	const char *host;
	struct mado_cli cli = {
	    .name = "mado-card handoff",
	    .synopsis = "DIR NAME LINK --cacert FILE [--connect HOST:PORT]",
	    .about = "Play a signing app: sign the app link's nonce with card NAME of DIR and "
		     "post the token to the portal. Prints the HTTP status and the answer.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 3,
	    .max_args = 3,
	};
	int rc, status;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (strncmp(args[2], "mado-card://login?", 18) != 0)
		die("not a mado-card://login link");
	l_origin = link_param(args[2], "origin");
	l_nonce = link_param(args[2], "nonce");
	l_handoff = link_param(args[2], "handoff");
	if (l_origin == NULL || l_nonce == NULL || l_handoff == NULL ||
	    strncmp(l_origin, "https://", 8) != 0 || strlen(l_handoff) > 64)
		die("the link lacks its origin, nonce or hand-off");
	if (mado_vcard_token(args[0], args[1], origin != NULL ? origin : l_origin,
			     nonce != NULL ? nonce : l_nonce, NULL, &token) != MADO_OK)
		die("cannot sign with card %s", args[1]);
	host = l_origin + 8;
	snprintf(path, sizeof(path), "/api/v1/auth/handoff/%s/token", l_handoff);
	status = https_post(host, connect_to != NULL ? connect_to : host, path, cacert, token);
	free(token);
	free(l_origin);
	free(l_nonce);
	free(l_handoff);
	return status == 200 ? 0 : 1;
}

static int
cmd_list(int argc, char **argv)
{
	char *args[1];
	struct mado_cli cli = {
	    .name = "mado-card list",
	    .synopsis = "DIR",
	    .about = "Print the cards of DIR as JSON.",
	    .args = args,
	    .min_args = 1,
	    .max_args = 1,
	};
	cJSON *cards;
	char *s;
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_vcard_list(args[0], &cards) != MADO_OK)
		die("no cards in %s", args[0]);
	s = cJSON_Print(cards);
	printf("%s\n", s);
	free(s);
	cJSON_Delete(cards);
	return 0;
}

/* A responder key that is not authorised for this CA: for the tests' "wrong key" case. */
static void
make_rogue(const char *dir)
{
	char file[4096];
	X509_NAME *n;
	EVP_PKEY *k;
	X509 *x;
	time_t now = time(NULL);

	path(file, sizeof(file), dir, "rogue.crt");
	if (access(file, F_OK) == 0)
		return;
	k = new_key("p256");
	x = X509_new();
	X509_set_version(x, 2);
	random_serial(x);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
				   (const unsigned char *)"Mado demo OCSP responder", -1, -1, 0);
	X509_set_issuer_name(x, n);
	set_validity(x, now - 86400, now + 365 * 86400);
	X509_set_pubkey(x, k);
	add_ext(x, x, NID_ext_key_usage, "OCSPSigning");
	sign_cert(x, k);
	write_cert(file, x);
	path(file, sizeof(file), dir, "rogue.key");
	write_key(file, k);
	EVP_PKEY_free(k);
	X509_free(x);
}

static int
listen_on(const char *spec)
{
	struct sockaddr_in sa;
	char host[64];
	const char *colon = strrchr(spec, ':');
	int fd, one = 1;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof(host))
		die("--listen wants 127.0.0.1:PORT, not %s", spec);
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127)
		die("the responder listens on loopback only, not %s", spec);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0)
		die("cannot listen on %s", spec);
	return fd;
}

/* Runs argv and waits; returns its exit status. */
static int
run(char *const argv[])
{
	pid_t pid;
	int st;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
		return -1;
	if (waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static const char *
strcasestr_local(const char *hay, const char *needle)
{
	size_t n = strlen(needle);

	for (; *hay != '\0'; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return hay;
	return NULL;
}

/* Reads one HTTP request; returns the body length or -1. */
static long
read_request(int fd, char *buf, size_t cap, char **body)
{
	size_t got = 0;
	char *end;
	const char *cl;
	long want = -1;
	ssize_t n;

	while (got < cap) {
		if ((n = read(fd, buf + got, cap - got)) <= 0)
			return -1;
		got += (size_t)n;
		buf[got < cap ? got : cap - 1] = '\0';
		if ((end = strstr(buf, "\r\n\r\n")) == NULL)
			continue;
		if (want < 0) {
			if ((cl = strcasestr_local(buf, "\r\ncontent-length:")) == NULL)
				return -1;
			want = atol(cl + 17);
			if (want < 0 || (size_t)want > cap / 2)
				return -1;
		}
		*body = end + 4;
		if ((size_t)(*body - buf) + (size_t)want <= got)
			return want;
	}
	return -1;
}

/*
 * The demo private services' redirect target: a loopback HTTP listener that appends the
 * request target of each GET (".../callback?code=...&state=...") to a file and tells
 * the browser it is back at the service. scripts/services reads the file.
 */
static int
cmd_callback_serve(int argc, char **argv)
{
	static const char page[] =
	    "HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n"
	    "\r\n<!doctype html><meta charset=utf-8><title>Demo service</title>"
	    "<p>Back at the demo service: it has your answer. Return to Mado to see what it "
	    "does with it.</p><p>デモ事業者に戻りました。Mado でその後の利用を確かめられます。</p>";
	const char *listen = NULL, *out = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("listen", "127.0.0.1:PORT", &listen, "where to listen (loopback)"),
	    MADO_CLI_REQUIRED("out", "FILE", &out, "the file each request target is appended to"),
	};
	struct mado_cli cli = {
	    .name = "mado-card callback-serve",
	    .synopsis = "--listen 127.0.0.1:PORT --out FILE",
	    .about = "A demo service's redirect target: records each GET and sends the browser "
		     "a page.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	char buf[8192], *sp, *end;
	size_t got;
	ssize_t n;
	int lfd, cfd, rc;
	FILE *f;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(listen);
	for (;;) {
		if ((cfd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			die("accept: %s", strerror(errno));
		}
		{
			struct timeval tv = {5, 0};

			setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		got = 0;
		buf[0] = '\0';
		while (got < sizeof(buf) - 1 && strstr(buf, "\r\n\r\n") == NULL &&
		       (n = read(cfd, buf + got, sizeof(buf) - 1 - got)) > 0) {
			got += (size_t)n;
			buf[got] = '\0';
		}
		if (strncmp(buf, "GET ", 4) == 0 && (sp = strchr(buf + 4, ' ')) != NULL &&
		    (end = strchr(buf, '\n')) != NULL && sp < end &&
		    (f = fopen(out, "a")) != NULL) {
			fprintf(f, "%.*s\n", (int)(sp - buf - 4), buf + 4);
			fclose(f);
		}
		if (write(cfd, page, sizeof(page) - 1) < 0)
			fprintf(stderr, "mado-card: a browser left early\n");
		close(cfd);
	}
}

static int
cmd_ocsp_serve(int argc, char **argv)
{
	const char *listen = NULL, *signer = "ocsp", *dir;
	bool stale = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("listen", "127.0.0.1:PORT", &listen, "where to listen (loopback)"),
	    MADO_CLI_VALUE("signer", "ca|ocsp|rogue", &signer,
			   "who signs the answers (default ocsp, the delegated responder; rogue: "
			   "an unauthorised key)"),
	    MADO_CLI_FLAG("stale", &stale, "answer as a day ago, as a replayed answer would"),
	};
	char *args[1];
	struct mado_cli cli = {
	    .name = "mado-card ocsp-serve",
	    .synopsis = "DIR --listen 127.0.0.1:PORT [--signer ca|ocsp|rogue] [--stale]",
	    .about = "Answer OCSP requests for the cards of DIR over HTTP, through `openssl ocsp`.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 1,
	    .max_args = 1,
	};
	char index[4096], ca[4096], rsigner[4096], rkey[4096], reqin[4096], respout[4096];
	char buf[70000], head[256], *body, *resp;
	size_t rlen;
	long len;
	int lfd, cfd, rc;
	FILE *f;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	dir = args[0];
	if (strcmp(signer, "rogue") == 0)
		make_rogue(dir);
	path(index, sizeof(index), dir, "index.txt");
	path(ca, sizeof(ca), dir, "ca.crt");
	snprintf(head, sizeof(head), "%s.crt", strcmp(signer, "ca") == 0 ? "ca" : signer);
	path(rsigner, sizeof(rsigner), dir, head);
	snprintf(head, sizeof(head), "%s.key", strcmp(signer, "ca") == 0 ? "ca" : signer);
	path(rkey, sizeof(rkey), dir, head);
	snprintf(reqin, sizeof(reqin), "%s/.ocsp-req-%d", dir, (int)getpid());
	snprintf(respout, sizeof(respout), "%s/.ocsp-resp-%d", dir, (int)getpid());
	signal(SIGPIPE, SIG_IGN);
	lfd = listen_on(listen);
	fprintf(stderr, "mado-card: OCSP responder for %s on http://%s\n", dir, listen);
	for (;;) {
		if ((cfd = accept(lfd, NULL, NULL)) < 0) {
			if (errno == EINTR)
				continue;
			die("accept: %s", strerror(errno));
		}
		{
			struct timeval tv = {5, 0};

			setsockopt(cfd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		}
		if ((len = read_request(cfd, buf, sizeof(buf) - 1, &body)) > 0 &&
		    (f = fopen(reqin, "wb")) != NULL) {
			fwrite(body, 1, (size_t)len, f);
			fclose(f);
			unlink(respout);
			/* The answer is openssl's own: its index lookup, nonce echo and
			   signature. --stale makes it a day old, as a replayed answer would be. */
			{
				char *ossl[] = {
				    "openssl",  "ocsp",  "-index", index, "-CA",    ca,
				    "-rsigner", rsigner, "-rkey",  rkey,  "-reqin", reqin,
				    "-respout", respout, "-ndays", "1",   NULL};
				char *aged[] = {"faketime", "-f",    "-1d",   "openssl", "ocsp",
						"-index",   index,   "-CA",   ca,        "-rsigner",
						rsigner,    "-rkey", rkey,    "-reqin",  reqin,
						"-respout", respout, "-nmin", "60",      NULL};

				(void)run(stale ? aged : ossl);
			}
			resp = NULL;
			if (mado_read_file(respout, 1 << 20, &resp, &rlen) == MADO_OK) {
				snprintf(
				    head, sizeof(head),
				    "HTTP/1.0 200 OK\r\nContent-Type: application/ocsp-response\r\n"
				    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
				    rlen);
				if (write(cfd, head, strlen(head)) <= 0 ||
				    write(cfd, resp, rlen) <= 0)
					fprintf(stderr, "mado-card: a client left early\n");
				free(resp);
			} else {
				static const char err[] = "HTTP/1.0 500 Internal Server Error\r\n"
							  "Content-Length: 0\r\n\r\n";

				if (write(cfd, err, sizeof(err) - 1) < 0)
					fprintf(stderr, "mado-card: a client left early\n");
			}
		}
		close(cfd);
	}
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"init", cmd_init, "make a card CA in DIR"},
    {"issue", cmd_issue, "issue a virtual card"},
    {"revoke", cmd_revoke, "revoke a card"},
    {"unrevoke", cmd_revoke, "make a revoked card valid again"},
    {"crl", cmd_crl, "write the CA's CRL"},
    {"token", cmd_token, "sign a Web eID token with a card"},
    {"handoff", cmd_handoff, "play a signing app: post a token for an app link"},
    {"list", cmd_list, "list the cards as JSON"},
    {"ocsp-serve", cmd_ocsp_serve, "run a loopback OCSP responder for the CA"},
    {"callback-serve", cmd_callback_serve, "run a demo service's loopback redirect target"},
};

int
main(int argc, char **argv)
{
	char about[1024];
	size_t i, used;
	struct mado_cli top = {
	    .name = "mado-card",
	    .synopsis = "COMMAND ARGUMENTS [options]",
	    .about = about,
	    .subcommands = true,
	    .min_args = 1,
	};
	int rc;

	mado_mem_init();
	used = (size_t)snprintf(about, sizeof(about),
				"Virtual cards for the demo and the tests; never part of a "
				"production deployment.\n");
	for (i = 0; i < MADO_NELEM(commands) && used < sizeof(about); i++)
		used += (size_t)snprintf(about + used, sizeof(about) - used, "  %-15s %s\n",
					 commands[i].name, commands[i].summary);
	if (used < sizeof(about))
		snprintf(about + used, sizeof(about) - used,
			 "\n`mado-card COMMAND --help` describes a command.");
	if ((rc = mado_cli_parse(&top, argc, argv)) != MADO_CLI_RUN)
		return rc;
	for (i = 0; i < MADO_NELEM(commands); i++)
		if (strcmp(argv[top.next], commands[i].name) == 0)
			return commands[i].run(argc - top.next, argv + top.next);
	return mado_cli_usage_error(&top, "unknown command %s", argv[top.next]);
}
