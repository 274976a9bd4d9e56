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

int
mado_cli_register_card(const char *config, int argc, char **argv)
{
	const char *certpath = NULL, *samepath = NULL;
	struct mado_pki_config pc;
	struct mado_config cfg;
	struct mado_pki *pki = NULL;
	struct mado_db *db = NULL;
	X509 *card = NULL, *same = NULL;
	char why[512] = "";
	int i, status = 1, rc;

	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--cert") == 0 && i + 1 < argc)
			certpath = argv[++i];
		else if (strcmp(argv[i], "--same-person-as") == 0 && i + 1 < argc)
			samepath = argv[++i];
		else {
			fprintf(stderr,
				"usage: mado register-card --cert FILE [--same-person-as FILE]"
				" [--config FILE]\n");
			return 2;
		}
	}
	if (certpath == NULL) {
		fprintf(stderr, "mado register-card: --cert is required\n");
		return 2;
	}
	if (mado_config_load(&cfg, config, MADO_CONFIG_COMMAND, why, sizeof(why)) != 0) {
		fprintf(stderr, "mado: configuration error: %s\n", why);
		return 2;
	}
	if (*cfg.card_trust_dir == '\0') {
		fprintf(stderr, "mado register-card: card_trust_dir is not set\n");
		goto out;
	}
	mado_auth_pki_config(&cfg, &pc);
	if (mado_pki_new(&pc, &pki, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado register-card: %s\n", why);
		goto out;
	}
	if ((card = mado_pki_read_cert(certpath)) == NULL ||
	    (samepath != NULL && (same = mado_pki_read_cert(samepath)) == NULL)) {
		fprintf(stderr, "mado register-card: cannot read a certificate\n");
		goto out;
	}
	if (mado_db_open_single(&cfg, &db) != MADO_OK) {
		fprintf(stderr, "mado register-card: cannot reach the database (db_url)\n");
		goto out;
	}
	rc = mado_auth_register_card(db, pki, card, same, time(NULL), why, sizeof(why));
	if (rc != MADO_OK && why[0] == '\0')
		snprintf(why, sizeof(why), "not registered: %s", mado_err_title(rc));
	printf("%s\n", why);
	status = rc == MADO_OK ? 0 : 1;
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	X509_free(card);
	X509_free(same);
	mado_pki_free(pki);
	mado_config_free(&cfg);
	return status;
}
