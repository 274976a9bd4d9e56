/*
 * mado holder-url --org CODE --url https://HOST:PORT: where Mado asks the organisation's
 * data holder (mado-holder) for its part of a decided access; --clear forgets it, and
 * queries for the organisation's items then answer 503 with the failure recorded.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"

static struct mado_db_stmt Q_SET =
    MADO_DB_STMT("holder_url_set", "SELECT portal.holder_url_set($1, $2)::text AS done", 2);

struct holder_set {
	char done[8]; /* "true": set; "false": the organisation holds no items */
};

int
mado_cli_holder_url(int argc, char **argv)
{
	const char *org = NULL, *url = NULL, *config = NULL;
	bool clear = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the organisation that holds the data"),
	    MADO_CLI_VALUE("url", "URL", &url,
			   "its holder's base URL (https://host:port; mTLS, see docs/holders.md)"),
	    MADO_CLI_FLAG("clear", &clear, "forget the holder's URL instead"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado holder-url",
	    .synopsis = "--org CODE (--url URL | --clear) [--config FILE]",
	    .about = "Set where Mado asks an organisation's data holder.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct holder_set res;
	static const struct mado_col cols[] = {MADO_COL(BUF, holder_set, done)};
	struct mado_config cfg;
	struct mado_db *db = NULL;
	const char *p[2];
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (clear == (url != NULL)) {
		fprintf(stderr, "mado holder-url: give --url or --clear\n");
		return MADO_EXIT_USAGE;
	}
	if (url != NULL && strncmp(url, "https://", 8) != 0) {
		fprintf(stderr, "mado holder-url: --url must be an https URL\n");
		return MADO_EXIT_USAGE;
	}
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado holder-url: cannot reach the database (db_migrate_url)\n");
		goto out;
	}
	p[0] = org;
	p[1] = url;
	memset(&res, 0, sizeof(res));
	rc = mado_db_one(db, &Q_SET, p, MADO_COLS(cols), &res);
	if (rc != MADO_OK)
		fprintf(stderr, "mado holder-url: %s (is the URL well formed?)\n",
			mado_err_slug(rc));
	else if (strcmp(res.done, "true") != 0)
		fprintf(stderr, "mado holder-url: %s holds no data items\n", org);
	else {
		printf("%s: %s\n", org, url != NULL ? url : "no holder");
		status = MADO_EXIT_OK;
	}
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	mado_config_free(&cfg);
	return status;
}
