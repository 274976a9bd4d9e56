/*
 * The operator's actions on a card holder's access, named by any card of theirs (revoked
 * or expired too). Both run as the schema owner (db_migrate_url): the server itself can
 * do neither.
 *
 * mado end-sessions ends sessions, as an incident may need: those of the person who holds
 * a card (--cert; a lost card's holder, a case of fraud), or everyone's (--all; a leaked
 * session key, a fix that must reach every session). Residents' and helpers' sessions
 * end; each person sees a logout "ended by the operator" in their login history.
 *
 * mado account disables a person's account, or enables it again. While it is disabled no
 * session opens for the person, neither their own nor a helper's acting for them;
 * disabling ends the open ones. The person sees both in their login history, with the
 * reason.
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

typedef int (*holder_act)(struct mado_db *db, struct mado_pki *pki, X509 *card, const char *arg,
			  char *why, size_t whylen);

/* What each command does once its options are read: the settings, the card (when one is
   named), the owner's connection, the act; says what came of it. The exit status. */
static int
on_holder(const struct mado_cli *cli, const char *config, const char *certpath, holder_act act,
	  const char *arg)
{
	struct mado_config cfg;
	struct mado_pki *pki = NULL;
	struct mado_db *db = NULL;
	X509 *card = NULL;
	char why[512] = "";
	int status = MADO_EXIT_FAIL, rc;

	if (mado_cli_config(cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (certpath != NULL && mado_cli__card(cli, &cfg, certpath, &pki, &card) != 0)
		goto out;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "%s: cannot reach the database (db_migrate_url)\n", cli->name);
		goto out;
	}
	rc = act(db, pki, card, arg, why, sizeof(why));
	if (rc != MADO_OK && why[0] == '\0')
		snprintf(why, sizeof(why), "nothing changed: %s", mado_err_title(rc));
	if (rc == MADO_OK)
		printf("%s\n", why);
	else
		fprintf(stderr, "%s: %s\n", cli->name, why);
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

static int
end_sessions(struct mado_db *db, struct mado_pki *pki, X509 *card, const char *arg, char *why,
	     size_t whylen)
{
	(void)arg;
	return mado_auth_end_sessions(db, pki, card, why, whylen);
}

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
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (all == (certpath != NULL))
		return mado_cli_usage_error(&cli, "give --cert FILE or --all");
	return on_holder(&cli, config, certpath, end_sessions, NULL);
}

static int
account(struct mado_db *db, struct mado_pki *pki, X509 *card, const char *reason, char *why,
	size_t whylen)
{
	return mado_auth_account(db, pki, card, reason, why, whylen);
}

int
mado_cli_account(int argc, char **argv)
{
	const char *certpath = NULL, *reason = NULL, *config = NULL;
	bool enable = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("cert", "FILE", &certpath,
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
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (enable == (reason != NULL))
		return mado_cli_usage_error(&cli, "give --disable REASON or --enable");
	return on_holder(&cli, config, certpath, account, reason);
}
