/*
 * mado rp-register: registers (or updates) a private service, as the operator does when a
 * company joins: its names, the purposes it may ask consent for, the data items it may
 * ever ask for, its redirect URIs, and optionally its client certificate. Registration
 * changes the schema's reference data, so it runs with db_migrate_url (the operator's
 * role), not with the application's.
 *
 *   mado rp-register --org CODE --name-ja NAME --name-en NAME --purposes P[,P...]
 *                    --items I[,I...] --redirect URL[,URL...] [--cert FILE]
 */
#include <stdio.h>
#include <string.h>

#include "mado/auth.h"
#include "mado/check.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/consent.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"

int
mado_cli_rp_register(int argc, char **argv)
{
	const char *org = NULL, *ja = NULL, *en = NULL, *purposes = NULL, *items = NULL;
	const char *redirect = NULL, *certpath = NULL, *config = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the service's organisation code"),
	    MADO_CLI_REQUIRED("name-ja", "NAME", &ja, "its name in Japanese"),
	    MADO_CLI_REQUIRED("name-en", "NAME", &en, "its name in English"),
	    MADO_CLI_REQUIRED("purposes", "P,..", &purposes,
			      "the purposes it may ask consent for (codes)"),
	    MADO_CLI_REQUIRED("items", "I,..", &items, "the data items it may ever ask for"),
	    MADO_CLI_REQUIRED("redirect", "URL,..", &redirect, "its redirect URIs (https)"),
	    MADO_CLI_VALUE("cert", "FILE", &certpath,
			   "its client certificate, bound as org-cert does"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado rp-register",
	    .synopsis =
		"--org CODE --name-ja NAME --name-en NAME --purposes P[,P..]\n"
		"                        --items I[,I..] --redirect URL[,URL..] [--cert FILE]"
		" [--config FILE]",
	    .about = "Register (or update) a private service and what it may ever ask consent "
		     "for, as db_migrate_url.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	char lit[1100], why[512] = "";
	struct mado_config cfg;
	struct mado_db *db = NULL;
	X509 *cert = NULL;
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	/* The same checks the registration makes, before anything is opened. */
	if (!mado_check_kind(MADO_K_ORG, org) ||
	    !mado_list_literal(MADO_K_CODE, purposes, lit, sizeof(lit)) ||
	    !mado_list_literal(MADO_K_CODE, items, lit, sizeof(lit)) ||
	    !mado_list_literal(MADO_K_URL, redirect, lit, sizeof(lit)))
		return mado_cli_usage_error(&cli, "codes are a-z0-9._- (organisations a-z0-9-) and "
						  "redirects https URLs, or http on loopback");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado rp-register: cannot connect (db_migrate_url)\n");
		goto out;
	}
	rc = mado_consent_rp_register(db, org, ja, en, purposes, items, redirect, why, sizeof(why));
	mado_db_release(db);
	mado_db_pool_shutdown();
	db = NULL;
	if (rc != MADO_OK) {
		fprintf(stderr, "mado rp-register: %s\n", why);
		goto out;
	}
	printf("%s\n", why);
	if (certpath != NULL) {
		/* The service's certificate is bound over the owner's connection, as org-cert
		   does: the application role may only read organisation certificates. */
		if ((cert = mado_pki_read_cert(certpath)) == NULL ||
		    mado_db_open_single(&cfg, true, &db) != MADO_OK ||
		    mado_auth_add_org_cert(db, &cfg, org, cert, why, sizeof(why)) != MADO_OK) {
			fprintf(stderr, "mado rp-register: certificate: %s\n",
				why[0] ? why : "cannot read it or reach the database");
			goto out;
		}
		printf("%s\n", why);
	}
	status = MADO_EXIT_OK;
out:
	mado_db_release(db);
	if (db != NULL)
		mado_db_pool_shutdown();
	X509_free(cert);
	mado_config_free(&cfg);
	return status;
}
