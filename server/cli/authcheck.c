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

struct opts {
	const char *token, *origin, *nonce, *trust, *at, *ocsp, *disallow, *require, *ocsp_url;
	const char *cert, *issuer, *response, *ocsp_nonce;
};

static int
parse(int argc, char **argv, struct opts *o)
{
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("token", "FILE", &o->token, "the Web eID token (JSON) to validate"),
	    MADO_CLI_VALUE("origin", "URL", &o->origin, "the origin the token was made for"),
	    MADO_CLI_VALUE("nonce", "NONCE", &o->nonce, "the challenge nonce the token signs"),
	    MADO_CLI_REQUIRED("trust", "DIR", &o->trust,
			      "the card issuers' CA certificates (PEM or DER)"),
	    MADO_CLI_VALUE("at", "TIME", &o->at, "validate as at this RFC 3339 time, not now"),
	    MADO_CLI_VALUE("ocsp", "on|off", &o->ocsp, "check revocation by OCSP (default on)"),
	    MADO_CLI_VALUE("disallow-policies", "OIDS", &o->disallow,
			   "certificate policies refused (default: the server's)"),
	    MADO_CLI_VALUE("require-policies", "OIDS", &o->require,
			   "certificate policies of which a card must carry one"),
	    MADO_CLI_VALUE("ocsp-url", "URL", &o->ocsp_url,
			   "designated OCSP responder (default: the card's own)"),
	    MADO_CLI_VALUE("cert", "FILE", &o->cert,
			   "a card certificate whose stored OCSP response to check"),
	    MADO_CLI_VALUE("issuer", "FILE", &o->issuer, "the card certificate's issuer"),
	    MADO_CLI_VALUE("ocsp-response", "FILE", &o->response, "the OCSP response (DER)"),
	    MADO_CLI_VALUE("ocsp-nonce", "on|off", &o->ocsp_nonce,
			   "whether the request carried a nonce (default on)"),
	};
	struct mado_cli cli = {
	    .name = "mado authcheck",
	    .synopsis = "--token FILE --origin URL --nonce NONCE --trust DIR [--at TIME]\n"
			"                      [--ocsp on|off] [--disallow-policies OIDS]\n"
			"                      [--require-policies OIDS] [--ocsp-url URL]\n"
			"       mado authcheck --cert FILE --issuer FILE --ocsp-response FILE "
			"--trust DIR\n"
			"                      [--at TIME] [--ocsp-nonce on|off]",
	    .about = "Validate one Web eID token, or one stored OCSP response, through the "
		     "server's own code.\nPrints \"pass\" or \"fail: REASON (detail)\"; exits 0 "
		     "only for a pass.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	int rc;

	memset(o, 0, sizeof(*o));
	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (o->token == NULL && o->cert == NULL)
		return mado_cli_usage_error(&cli, "--token or --cert is required");
	if (o->token != NULL && (o->origin == NULL || o->nonce == NULL))
		return mado_cli_usage_error(&cli, "--token needs --origin and --nonce");
	if (o->cert != NULL && (o->issuer == NULL || o->response == NULL))
		return mado_cli_usage_error(&cli, "--cert needs --issuer and --ocsp-response");
	return MADO_CLI_RUN;
}

static int
verdict(const struct mado_pki_result *res)
{
	if (res->reason == MADO_PKI_PASS) {
		printf("pass\n");
		return MADO_EXIT_OK;
	}
	printf("fail: %s (%s)\n", mado_pki_reason_str(res->reason), res->detail);
	return MADO_EXIT_FAIL;
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
	/* What keeps the check from running at all is a usage error, as a bad option is. */
	int status = MADO_EXIT_USAGE, rc;

	if ((rc = parse(argc, argv, &o)) != MADO_CLI_RUN)
		return rc;
	if (o.at != NULL && !mado_parse_rfc3339(o.at, &now)) {
		fprintf(stderr, "mado authcheck: --at wants a time like 2024-08-01T00:00:00Z\n");
		return MADO_EXIT_USAGE;
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
		return MADO_EXIT_USAGE;
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
