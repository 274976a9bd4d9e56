/*
 * mado org-cert --org CODE --cert FILE: binds an organisation's client certificate, as
 * the operator does when an agency system joins the gateway. The certificate must chain
 * to an organisation CA (org_trust_dir) and pass its revocation check; what is stored is
 * the SHA-256 of its public key, so a renewed certificate with the same key keeps working.
 */
#include <stdio.h>
#include <string.h>

#include "mado/access.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"

int
mado_cli_org_cert(const char *config, int argc, char **argv)
{
	const char *org = NULL, *certpath = NULL;
	struct mado_config cfg;
	struct mado_db *db = NULL;
	X509 *cert = NULL;
	char why[512] = "";
	int i, status = 1;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--org") == 0 && i + 1 < argc)
			org = argv[++i];
		else if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			certpath = argv[++i];
		else
			org = certpath = NULL, i = argc;
	}
	if (org == NULL || certpath == NULL) {
		fprintf(stderr, "usage: mado org-cert --org CODE --cert FILE [--config FILE]\n");
		return 2;
	}
	if (mado_config_load(&cfg, config, MADO_CONFIG_COMMAND, why, sizeof(why)) != 0) {
		fprintf(stderr, "mado: configuration error: %s\n", why);
		return 2;
	}
	if ((cert = mado_pki_read_cert(certpath)) == NULL) {
		fprintf(stderr, "mado org-cert: cannot read %s\n", certpath);
		goto out;
	}
	if (mado_db_open_single(&cfg, &db) != MADO_OK) {
		fprintf(stderr, "mado org-cert: cannot reach the database (db_url)\n");
		goto out;
	}
	status = mado_access_add_org_cert(db, &cfg, org, cert, why, sizeof(why)) == MADO_OK ? 0 : 1;
	fprintf(status == 0 ? stdout : stderr, "%s%s\n", status == 0 ? "" : "mado org-cert: ", why);
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	X509_free(cert);
	mado_config_free(&cfg);
	return status;
}
