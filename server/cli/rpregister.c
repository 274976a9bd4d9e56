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
	char plit[1100], ilit[1100], rlit[1100], why[512] = "";
	struct mado_config cfg;
	struct mado_db *db = NULL;
	PGconn *c = NULL;
	PGresult *r = NULL;
	X509 *cert = NULL;
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (!mado_access_code_ok(org) ||
	    !array_lit(purposes, mado_access_code_ok, plit, sizeof(plit)) ||
	    !array_lit(items, mado_access_code_ok, ilit, sizeof(ilit)) ||
	    !array_lit(redirect, mado_consent_redirect_ok, rlit, sizeof(rlit)))
		return mado_cli_usage_error(&cli, "codes are a-z0-9._- and redirects https URLs");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
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
	status = MADO_EXIT_OK;
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
