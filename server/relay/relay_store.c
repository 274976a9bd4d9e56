/*
 * The relay's one statement: a holder did not answer a committed access, so the person's
 * log gets the access again with outcome failed (portal.relay_failed, in
 * sql/functions/gateway.sql, beside portal.holder_targets).
 */
#include "mado/db.h"
#include "relay_int.h"

static struct mado_db_stmt Q_FAILED =
    MADO_DB_STMT("relay_failed", "SELECT portal.relay_failed($1::bigint, $2::uuid)", 2);

int
relay__failed(struct mado_db *db, const char *row, const char *event)
{
	const char *p[2] = {row, event};

	return mado_db_run(db, &Q_FAILED, p, NULL);
}
