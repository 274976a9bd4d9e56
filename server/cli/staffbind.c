/*
 * mado staff-bind --org CODE --role clerk|desk-lead|supervisor --cert FILE: binds a staff
 * member's certificate, as the operator does when a clerk joins a support desk (or a
 * member of staff joins the supervisor, role supervisor, organisation of kind supervisor). The
 * certificate must chain to an organisation CA (org_trust_dir) and pass its revocation
 * check; what is stored is the SHA-256 of its public key, the organisation, the role
 * and a pseudonymous reference, which is all the access log ever shows of the clerk.
 * mado staff-bind --revoke --cert FILE: the clerk leaves; their sessions and visits end.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mado/auth.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"

int
mado_cli_staff_bind(int argc, char **argv)
{
	const char *org = NULL, *role = NULL, *certpath = NULL, *config = NULL;
	bool revoke = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("org", "CODE", &org,
			   "the desk's (or the supervisor's) organisation code (to bind)"),
	    MADO_CLI_VALUE("role", "ROLE", &role,
			   "clerk or desk-lead (a desk), supervisor (the supervisor) (to bind)"),
	    MADO_CLI_FLAG("revoke", &revoke,
			  "revoke the certificate instead: its sessions and visits end at once"),
	    MADO_CLI_REQUIRED("cert", "FILE", &certpath,
			      "the staff certificate (PEM or DER), chaining to org_trust_dir"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado staff-bind",
	    .synopsis = "(--org CODE --role clerk|desk-lead|supervisor | --revoke) --cert FILE "
			"[--config FILE]",
	    .about = "Bind a staff member's certificate (its public key) to a support desk or "
		     "the supervisor and a role.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_db *db = NULL;
	X509 *cert = NULL;
	char why[512] = "";
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (revoke == (org != NULL || role != NULL) || (!revoke && (org == NULL || role == NULL))) {
		fprintf(stderr,
			"mado staff-bind: give --org and --role to bind, or --revoke alone\n");
		return MADO_EXIT_USAGE;
	}
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if ((cert = mado_pki_read_cert(certpath)) == NULL) {
		fprintf(stderr, "mado staff-bind: cannot read %s\n", certpath);
		goto out;
	}
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado staff-bind: cannot reach the database (db_migrate_url)\n");
		goto out;
	}
	rc = revoke ? mado_auth_revoke_staff(db, &cfg, cert, why, sizeof(why))
		    : mado_auth_bind_staff(db, &cfg, org, role, cert, why, sizeof(why));
	status = rc == MADO_OK ? MADO_EXIT_OK : MADO_EXIT_FAIL;
	fprintf(status == MADO_EXIT_OK ? stdout : stderr, "%s%s\n",
		status == MADO_EXIT_OK ? "" : "mado staff-bind: ", why);
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	X509_free(cert);
	mado_config_free(&cfg);
	return status;
}
