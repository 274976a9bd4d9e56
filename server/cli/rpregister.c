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

#include <libpq-fe.h>

#include "mado/access.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/consent.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"

/* "a,b" -> "{a,b}" when every element passes ok. */
static bool
array_lit(const char *list, bool (*ok)(const char *), char *out, size_t len)
{
	char buf[1024], *tok, *save = NULL;
	size_t used;

	if (strlen(list) >= sizeof(buf))
		return false;
	snprintf(buf, sizeof(buf), "%s", list);
	used = (size_t)snprintf(out, len, "{");
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (!ok(tok) || used + strlen(tok) + 3 >= len)
			return false;
		used += (size_t)snprintf(out + used, len - used, "%s%s", used > 1 ? "," : "", tok);
	}
	snprintf(out + used, len - used, "}");
	return used > 1;
}

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
	char plit[1100], ilit[1100], rlit[1100], why[512] = "";
	struct mado_config cfg;
	struct mado_db *db = NULL;
	PGconn *c = NULL;
	PGresult *r = NULL;
	X509 *cert = NULL;
	int status = 1;

	if (org == NULL || ja == NULL || en == NULL || purposes == NULL || items == NULL ||
	    redirect == NULL) {
		fprintf(stderr, "usage: mado rp-register --org CODE --name-ja NAME --name-en NAME"
				" --purposes P[,P] --items I[,I] --redirect URL[,URL] [--cert FILE]"
				" [--config FILE]\n");
		return 2;
	}
	if (!mado_access_code_ok(org) ||
	    !array_lit(purposes, mado_access_code_ok, plit, sizeof(plit)) ||
	    !array_lit(items, mado_access_code_ok, ilit, sizeof(ilit)) ||
	    !array_lit(redirect, mado_consent_redirect_ok, rlit, sizeof(rlit))) {
		fprintf(stderr, "mado rp-register: codes are a-z0-9._- and redirects https URLs\n");
		return 2;
	}
	if (mado_config_load(&cfg, config, MADO_CONFIG_COMMAND, why, sizeof(why)) != 0) {
		fprintf(stderr, "mado: configuration error: %s\n", why);
		return 2;
	}
	c = mado_db_connect(mado_config_migrate_url(&cfg), cfg.db_connect_timeout,
			    "mado-rp-register");
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "mado rp-register: cannot connect (db_migrate_url): %s",
			c != NULL ? PQerrorMessage(c) : "out of memory\n");
		goto out;
	}
	{
		const char *p[6] = {org, ja, en, plit, ilit, rlit};

		PQclear(PQexec(c, "BEGIN; SET LOCAL ROLE mado_owner"));
		r = PQexecParams(
		    c,
		    "WITH o AS (INSERT INTO portal.organisations (code, kind, name_ja,"
		    " name_en, gateway_since) VALUES ($1, 'private', $2, $3,"
		    " current_date) ON CONFLICT (code) DO UPDATE SET name_ja = $2,"
		    " name_en = $3 WHERE portal.organisations.kind = 'private'"
		    " RETURNING code)"
		    " INSERT INTO portal.rp_services (org_code, purposes, items,"
		    " redirect_uris) SELECT code, $4::text[], $5::text[], $6::text[]"
		    " FROM o ON CONFLICT (org_code) DO UPDATE SET purposes = $4::text[],"
		    " items = $5::text[], redirect_uris = $6::text[]",
		    6, NULL, p, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdTuples(r), "1") != 0) {
			fprintf(stderr,
				"mado rp-register: not registered (%s): is %s an existing "
				"organisation of another kind, or a purpose or item unknown?\n",
				PQresultErrorField(r, PG_DIAG_SQLSTATE) != NULL
				    ? PQresultErrorField(r, PG_DIAG_SQLSTATE)
				    : "-",
				org);
			PQclear(PQexec(c, "ROLLBACK"));
			goto out;
		}
		PQclear(PQexec(c, "COMMIT"));
	}
	printf("private service %s registered\n", org);
	if (certpath != NULL) {
		if ((cert = mado_pki_read_cert(certpath)) == NULL ||
		    mado_db_open_single(&cfg, &db) != MADO_OK ||
		    mado_access_add_org_cert(db, &cfg, org, cert, why, sizeof(why)) != MADO_OK) {
			fprintf(stderr, "mado rp-register: certificate: %s\n",
				why[0] ? why : "cannot read it or reach the database");
			goto out;
		}
		printf("%s\n", why);
	}
	status = 0;
out:
	PQclear(r);
	PQfinish(c);
	mado_db_release(db);
	if (db != NULL)
		mado_db_pool_shutdown();
	X509_free(cert);
	mado_config_free(&cfg);
	return status;
}
