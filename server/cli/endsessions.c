/*
 * mado end-sessions: the operator ends sessions, as an incident may need: those of the
 * person who holds a card (--cert; a lost card's holder, a case of fraud), or everyone's
 * (--all; a leaked session key, a fix that must reach every session). Residents' and
 * helpers' sessions end; each person sees a logout "ended by the operator" in their login
 * history. Runs as the schema owner (db_migrate_url): the server itself cannot do it.
 */
#include <stdbool.h>
#include <stdio.h>

#include "mado/auth.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "cli_int.h"

int
mado_cli_end_sessions(int argc, char **argv)
{
	const char *certpath = NULL, *config = NULL;
	bool all = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("cert", "FILE", &certpath,
			   "a card of the person (PEM or DER; revoked or expired too)"),
	    MADO_CLI_FLAG("all", &all, "every person's sessions instead"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado end-sessions",
	    .synopsis = "(--cert FILE | --all) [--config FILE]",
	    .about = "End the sessions of a card's holder, or everyone's; each is a logout in "
		     "its person's history.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_pki *pki = NULL;
	struct mado_db *db = NULL;
	X509 *card = NULL;
	char why[512] = "";
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (all == (certpath != NULL))
		return mado_cli_usage_error(&cli, "give --cert FILE or --all");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (certpath != NULL && mado_cli__card(&cli, &cfg, certpath, &pki, &card) != 0)
		goto out;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado end-sessions: cannot reach the database (db_migrate_url)\n");
		goto out;
	}
	rc = mado_auth_end_sessions(db, pki, card, why, sizeof(why));
	if (rc != MADO_OK && why[0] == '\0')
		snprintf(why, sizeof(why), "no session ended: %s", mado_err_title(rc));
	if (rc == MADO_OK)
		printf("%s\n", why);
	else
		fprintf(stderr, "mado end-sessions: %s\n", why);
	status = rc == MADO_OK ? MADO_EXIT_OK : MADO_EXIT_FAIL;
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	X509_free(card);
	mado_pki_free(pki);
	mado_config_free(&cfg);
	return status;
}
