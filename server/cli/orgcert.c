/*
 * mado org-cert --org CODE --cert FILE: proposes binding an organisation's client
 * certificate, as the operator does when an agency system joins the gateway; it is bound
 * once a supervisor staff member approves (mado register-decide). The certificate must
 * chain to an organisation CA (org_trust_dir) and pass its revocation check; what is
 * registered is the SHA-256 of its public key, so a renewed certificate with the same key
 * keeps working. --revoke proposes ending it.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "cli_int.h"

/* The certificate's key hash, once it passes the organisation trust checks. */
static int
org_key_hash(const struct mado_config *cfg, const char *path, char key[65], char *why,
	     size_t whylen, bool check)
{
	struct mado_pki_config pc;
	struct mado_pki_result res;
	struct mado_pki *pki;
	enum mado_pki_reason reason;
	X509 *cert;
	int rc;

	if ((cert = mado_pki_read_cert(path)) == NULL) {
		snprintf(why, whylen, "cannot read %s", path);
		return MADO_E_VALIDATION;
	}
	if (*cfg->org_trust_dir == '\0') {
		X509_free(cert);
		snprintf(why, whylen, "org_trust_dir is not set");
		return MADO_E_GATEWAY_UNAVAILABLE;
	}
	mado_pki_config_from(cfg, MADO_PKI_ORGS, &pc);
	if ((rc = mado_pki_new(&pc, &pki, why, whylen)) != MADO_OK) {
		X509_free(cert);
		return rc;
	}
	reason = mado_pki_check_cert(pki, cert, time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res);
	if (!check)
		mado_pki_card_id(pki, cert, &res.card);
	mado_pki_free(pki);
	X509_free(cert);
	if (check && reason != MADO_PKI_PASS) {
		snprintf(why, whylen, "the certificate does not pass: %s %s",
			 mado_pki_reason_str(reason), res.detail);
		return MADO_E_ORG_CERT_UNKNOWN;
	}
	memcpy(key, res.card.key_hash, 65);
	return MADO_OK;
}

/* Proposes the certificate at path for org (revoked: its end). */
static int
propose(const struct mado_cli *cli, const struct mado_config *cfg, const char *org,
	const char *path, bool revoke, const char *as, const char *note)
{
	char key[65], why[512] = "";
	struct mado_db *db = NULL;
	cJSON *c;
	int rc;

	if (!mado_check_kind(MADO_K_ORG, org)) {
		fprintf(stderr, "%s: not an organisation code: %s\n", cli->name, org);
		return MADO_EXIT_FAIL;
	}
	/* The database first, as before the certificate's checks (which may wait on OCSP). */
	if (mado_db_open_single(cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "%s: cannot reach the database (db_migrate_url)\n", cli->name);
		mado_db_pool_shutdown();
		return MADO_EXIT_FAIL;
	}
	mado_db_release(db);
	mado_db_pool_shutdown();
	/* A certificate that is already revoked can still be proposed for its end. */
	if (org_key_hash(cfg, path, key, why, sizeof(why), !revoke) != MADO_OK) {
		fprintf(stderr, "%s: %s\n", cli->name, why);
		return MADO_EXIT_FAIL;
	}
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "org", org);
	cJSON_AddStringToObject(c, "key_hash", key);
	cJSON_AddBoolToObject(c, "revoked", revoke);
	rc = mado_cli__propose(cli, cfg, "org-cert", c, as, note);
	cJSON_Delete(c);
	return rc;
}

int
mado_cli__propose_org_cert(const struct mado_cli *cli, const struct mado_config *cfg,
			   const char *org, const char *path, const char *as, const char *note)
{
	return propose(cli, cfg, org, path, false, as, note);
}

int
mado_cli_org_cert(int argc, char **argv)
{
	const char *org = NULL, *certpath = NULL, *as = NULL, *note = NULL, *config = NULL;
	bool revoke = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the organisation's code"),
	    MADO_CLI_REQUIRED(
		"cert", "FILE", &certpath,
		"its system's client certificate (PEM or DER), chaining to org_trust_dir"),
	    MADO_CLI_FLAG("revoke", &revoke, "propose ending the certificate instead"),
	    MADO_CLI_VALUE("as", "FILE", &as,
			   "the proposer's certificate (default: operator_cert)"),
	    MADO_CLI_VALUE("note", "TEXT", &note, "why (shown to the supervisor)"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado org-cert",
	    .synopsis =
		"--org CODE --cert FILE [--revoke] [--as FILE] [--note TEXT] [--config FILE]",
	    .about = "Propose binding an agency system's client certificate (its public key) to "
		     "its organisation; it is bound once a supervisor staff member approves.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	rc = propose(&cli, &cfg, org, certpath, revoke, as, note);
	mado_config_free(&cfg);
	return rc;
}
