/*
 * mado register-card: binds a card's authentication certificate to a person, as a
 * municipal office does when it hands out a card. A new person, or with --same-person-as
 * the holder of an earlier card (a renewal). Prints the card's fingerprint, never an id.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mado/auth.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "cli_int.h"

int
mado_cli__card(const struct mado_cli *cli, const struct mado_config *cfg, const char *path,
	       struct mado_pki **pki, X509 **cert)
{
	struct mado_pki_config pc;
	char why[512] = "";

	*pki = NULL;
	*cert = NULL;
	if (*cfg->card_trust_dir == '\0') {
		fprintf(stderr, "%s: card_trust_dir is not set\n", cli->name);
		return -1;
	}
	mado_pki_config_from(cfg, MADO_PKI_CARDS, &pc);
	if (mado_pki_new(&pc, pki, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "%s: %s\n", cli->name, why);
		return -1;
	}
	if ((*cert = mado_pki_read_cert(path)) == NULL) {
		fprintf(stderr, "%s: cannot read the certificate %s\n", cli->name, path);
		return -1;
	}
	return 0;
}

int
mado_cli_register_card(int argc, char **argv)
{
	const char *certpath = NULL, *samepath = NULL, *config = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("cert", "FILE", &certpath,
			      "the card's authentication certificate (PEM or DER)"),
	    MADO_CLI_VALUE("same-person-as", "FILE", &samepath,
			   "an earlier card of the same person (a renewal)"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado register-card",
	    .synopsis = "--cert FILE [--same-person-as FILE] [--config FILE]",
	    .about = "Bind a card to a new person, or to the holder of an earlier card; print "
		     "its fingerprint.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_pki *pki = NULL;
	struct mado_db *db = NULL;
	X509 *card = NULL, *same = NULL;
	char why[512] = "";
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_cli__card(&cli, &cfg, certpath, &pki, &card) != 0)
		goto out;
	if (samepath != NULL && (same = mado_pki_read_cert(samepath)) == NULL) {
		fprintf(stderr, "mado register-card: cannot read the certificate %s\n", samepath);
		goto out;
	}
	if (mado_db_open_single(&cfg, false, &db) != MADO_OK) {
		fprintf(stderr, "mado register-card: cannot reach the database (db_url)\n");
		goto out;
	}
	rc = mado_auth_register_card(db, pki, card, same, time(NULL), why, sizeof(why));
	if (rc != MADO_OK && why[0] == '\0')
		snprintf(why, sizeof(why), "not registered: %s", mado_err_title(rc));
	printf("%s\n", why);
	status = rc == MADO_OK ? MADO_EXIT_OK : MADO_EXIT_FAIL;
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	X509_free(card);
	X509_free(same);
	mado_pki_free(pki);
	mado_config_free(&cfg);
	return status;
}
