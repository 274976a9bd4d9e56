/*
 * mado tlog-audit: recomputes the transparency log from the records and compares it with
 * the stored tree and the last exported checkpoint (server/translog/audit.c). Exit 0 when
 * everything agrees, 1 naming the first index that differs (or why it could not look).
 */
#include <stdio.h>

#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/translog.h"

int
mado_cli_tlog_audit(int argc, char **argv)
{
	const char *config = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado tlog-audit",
	    .synopsis = "[--config FILE]",
	    .about = "Recompute every leaf of the transparency log from the records and the tree "
		     "from the leaves; compare with the stored tiles and checkpoint and the last "
		     "checkpoint exported to tlog_export_dir (db_migrate_url). Exit 1 naming the "
		     "first index that differs.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_db *db = NULL;
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "mado tlog-audit: cannot reach the database (db_migrate_url)\n");
		goto out;
	}
	rc = mado_translog_audit(&cfg, db, stdout);
	if (rc == MADO_OK)
		status = MADO_EXIT_OK;
	else if (rc != MADO_E_CONFLICT)
		fprintf(stderr, "mado tlog-audit: could not audit the log\n");
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	mado_config_free(&cfg);
	return status;
}
