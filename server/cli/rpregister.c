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
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/consent.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"

static const char *
arg(int argc, char **argv, const char *name)
{
	int i;

	for (i = 0; i + 1 < argc; i++)
		if (strcmp(argv[i], name) == 0)
			return argv[i + 1];
	return NULL;
}

int
mado_cli_rp_register(const char *config, int argc, char **argv)
{
	const char *org = arg(argc, argv, "--org"), *ja = arg(argc, argv, "--name-ja");
	const char *en = arg(argc, argv, "--name-en"), *purposes = arg(argc, argv, "--purposes");
	const char *items = arg(argc, argv, "--items"), *redirect = arg(argc, argv, "--redirect");
	const char *certpath = arg(argc, argv, "--cert");
	char why[512] = "";
	struct mado_config cfg;
	struct mado_db *db = NULL;
	X509 *cert = NULL;
	int status = 1, rc;

	if (org == NULL || ja == NULL || en == NULL || purposes == NULL || items == NULL ||
	    redirect == NULL) {
		fprintf(stderr, "usage: mado rp-register --org CODE --name-ja NAME --name-en NAME"
				" --purposes P[,P] --items I[,I] --redirect URL[,URL] [--cert FILE]"
				" [--config FILE]\n");
		return 2;
	}
	if (mado_config_load(&cfg, config, why, sizeof(why)) != 0) {
		fprintf(stderr, "mado: configuration error: %s\n", why);
		return 2;
	}
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado rp-register: cannot reach the database (db_migrate_url)\n");
		goto out;
	}
	rc = mado_consent_rp_register(db, org, ja, en, purposes, items, redirect, why, sizeof(why));
	mado_db_release(db);
	mado_db_pool_shutdown();
	db = NULL;
	if (rc != MADO_OK) {
		fprintf(stderr, "mado rp-register: %s\n", why);
		status = rc == MADO_E_VALIDATION ? 2 : 1;
		goto out;
	}
	printf("%s\n", why);
	if (certpath != NULL) {
		/* The service's certificate is bound by the application role, as org-cert does. */
		if ((cert = mado_pki_read_cert(certpath)) == NULL ||
		    mado_db_open_single(&cfg, false, &db) != MADO_OK ||
		    mado_auth_add_org_cert(db, &cfg, org, cert, why, sizeof(why)) != MADO_OK) {
			fprintf(stderr, "mado rp-register: certificate: %s\n",
				why[0] ? why : "cannot read it or reach the database");
			goto out;
		}
		printf("%s\n", why);
	}
	status = 0;
out:
	mado_db_release(db);
	if (db != NULL)
		mado_db_pool_shutdown();
	X509_free(cert);
	mado_config_free(&cfg);
	return status;
}
