/*
 * mado account: the operator disables a person's account, or enables it again, naming
 * the person by a card of theirs. While it is disabled no session opens for the person,
 * neither their own nor a helper's acting for them; disabling ends the open ones. The
 * person sees both in their login history, with the reason. Runs as the schema owner
 * (db_migrate_url): the server itself cannot disable or enable anyone.
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
mado_cli_account(int argc, char **argv)
{
	const char *certpath = NULL, *reason = NULL, *config = NULL;
	bool enable = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("cert", "FILE", &certpath,
			   "a card of the person (PEM or DER; revoked or expired too)"),
	    MADO_CLI_VALUE("disable", "REASON", &reason,
			   "disable the account: person-request, suspected-misuse, deceased or "
			   "legal-order"),
	    MADO_CLI_FLAG("enable", &enable, "enable it again"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado account",
	    .synopsis = "--cert FILE (--disable REASON | --enable) [--config FILE]",
	    .about = "Disable the account of a card's holder (no session opens for them, the "
		     "open ones end), or enable it again.",
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
	if (certpath == NULL)
		return mado_cli_usage_error(&cli, "give --cert FILE");
	if (enable == (reason != NULL))
		return mado_cli_usage_error(&cli, "give --disable REASON or --enable");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_cli__card(&cli, &cfg, certpath, &pki, &card) != 0)
		goto out;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado account: cannot reach the database (db_migrate_url)\n");
		goto out;
	}
	rc = mado_auth_account(db, pki, card, reason, why, sizeof(why));
	if (rc != MADO_OK && why[0] == '\0')
		snprintf(why, sizeof(why), "nothing changed: %s", mado_err_title(rc));
	if (rc == MADO_OK)
		printf("%s\n", why);
	else
		fprintf(stderr, "mado account: %s\n", why);
	status = rc == MADO_OK             ? MADO_EXIT_OK
		 : rc == MADO_E_VALIDATION ? MADO_EXIT_USAGE
					   : MADO_EXIT_FAIL;
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	X509_free(card);
	mado_pki_free(pki);
	mado_config_free(&cfg);
	return status;
}
