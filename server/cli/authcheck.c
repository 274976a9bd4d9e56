/*
 * mado authcheck: validates one Web eID token (or one certificate and a stored OCSP
 * response) from the command line, through exactly the code the server runs, and prints
 * the verdict and the reason. For operators debugging a login that fails.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mado/cli.h"
#include "mado/config.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "mado/util.h"

static void
usage(void)
{
	fputs("usage: mado authcheck --token FILE --origin URL --nonce NONCE --trust DIR\n"
	      "                      [--at RFC3339-TIME] [--ocsp on|off]\n"
	      "                      [--disallow-policies OIDS] [--require-policies OIDS]\n"
	      "                      [--ocsp-url URL]\n"
	      "       mado authcheck --cert FILE --issuer FILE --ocsp-response FILE --trust DIR\n"
	      "                      [--at RFC3339-TIME] [--ocsp-nonce on|off]\n"
	      "Prints \"pass\" or \"fail: REASON (detail)\"; exits 0 only for a pass.\n",
	      stderr);
}

struct opts {
	const char *token, *origin, *nonce, *trust, *at, *ocsp, *disallow, *require, *ocsp_url;
	const char *cert, *issuer, *response, *ocsp_nonce;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	static const struct {
		const char *flag;
		size_t off;
	} flags[] = {
	    {"--token", offsetof(struct opts, token)},
	    {"--origin", offsetof(struct opts, origin)},
	    {"--nonce", offsetof(struct opts, nonce)},
	    {"--trust", offsetof(struct opts, trust)},
	    {"--at", offsetof(struct opts, at)},
	    {"--ocsp", offsetof(struct opts, ocsp)},
	    {"--disallow-policies", offsetof(struct opts, disallow)},
	    {"--require-policies", offsetof(struct opts, require)},
	    {"--ocsp-url", offsetof(struct opts, ocsp_url)},
	    {"--cert", offsetof(struct opts, cert)},
	    {"--issuer", offsetof(struct opts, issuer)},
	    {"--ocsp-response", offsetof(struct opts, response)},
	    {"--ocsp-nonce", offsetof(struct opts, ocsp_nonce)},
	};
	size_t k;
	int i;

	memset(o, 0, sizeof(*o));
	for (i = 0; i < argc; i++) {
		for (k = 0; k < MADO_NELEM(flags); k++)
			if (strcmp(argv[i], flags[k].flag) == 0 && i + 1 < argc)
				break;
		if (k == MADO_NELEM(flags)) {
			fprintf(stderr, "mado authcheck: unknown or incomplete option %s\n",
				argv[i]);
			return -1;
		}
		*(const char **)(void *)((char *)o + flags[k].off) = argv[++i];
	}
	if (o->trust == NULL || (o->token == NULL && o->cert == NULL)) {
		usage();
		return -1;
	}
	if (o->token != NULL && (o->origin == NULL || o->nonce == NULL)) {
		usage();
		return -1;
	}
	if (o->cert != NULL && (o->issuer == NULL || o->response == NULL)) {
		usage();
		return -1;
	}
	return 0;
}

static int
verdict(const struct mado_pki_result *res)
{
	if (res->reason == MADO_PKI_PASS) {
		printf("pass\n");
		return 0;
	}
	printf("fail: %s (%s)\n", mado_pki_reason_str(res->reason), res->detail);
	return 1;
}

int
mado_cli_authcheck(int argc, char **argv)
{
	struct mado_pki_config pc;
	struct mado_pki_result res;
	struct mado_pki *pki = NULL;
	unsigned char *der = NULL;
	X509 *cert = NULL, *issuer = NULL;
	char *text = NULL, why[256];
	struct opts o;
	size_t len;
	time_t now = time(NULL);
	int status = 2;

	if (parse(argc, argv, &o) != 0)
		return 2;
	if (o.at != NULL && !mado_parse_rfc3339(o.at, &now)) {
		fprintf(stderr, "mado authcheck: --at wants a time like 2024-08-01T00:00:00Z\n");
		return 2;
	}
	memset(&pc, 0, sizeof(pc));
	pc.trust_dir = o.trust;
	pc.policies_disallowed = o.disallow != NULL ? o.disallow : MADO_PKI_DEFAULT_DISALLOWED;
	pc.policies_required = o.require != NULL ? o.require : "";
	pc.revocation = o.ocsp != NULL && strcmp(o.ocsp, "off") == 0 ? MADO_REVOCATION_OFF
								     : MADO_REVOCATION_OCSP;
	pc.ocsp_url = o.ocsp_url;
	pc.ocsp_nonce = true;
	pc.ocsp_timeout_ms = 5000;
	pc.ocsp_cache_max_s = 0;
	pc.ocsp_max_age_s = 120;
	pc.clock_skew_s = 900;
	if (mado_pki_new(&pc, &pki, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado authcheck: %s\n", why);
		return 2;
	}
	if (o.token != NULL) {
		if (mado_read_file(o.token, 1 << 20, &text, &len) != MADO_OK) {
			fprintf(stderr, "mado authcheck: cannot read %s\n", o.token);
			goto out;
		}
		/* A trailing newline from an editor is not part of the token. */
		while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
			len--;
		mado_webeid_validate(pki, text, len, o.origin, o.nonce, now,
				     MADO_PKI_REVOCATION_CONFIGURED, &res, NULL);
		status = verdict(&res);
		goto out;
	}
	if ((cert = mado_pki_read_cert(o.cert)) == NULL ||
	    (issuer = mado_pki_read_cert(o.issuer)) == NULL ||
	    mado_read_file(o.response, 1 << 20, (char **)&der, &len) != MADO_OK) {
		fprintf(stderr,
			"mado authcheck: cannot read the certificate, issuer or response\n");
		goto out;
	}
	mado_pki_check_ocsp_response(pki, der, len, cert, issuer, now,
				     o.ocsp_nonce == NULL || strcmp(o.ocsp_nonce, "off") != 0,
				     &res);
	status = verdict(&res);
out:
	X509_free(cert);
	X509_free(issuer);
	free(der);
	free(text);
	mado_pki_free(pki);
	return status;
}
