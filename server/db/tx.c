/* The transaction helper: BEGIN, the caller's work, COMMIT; roll back on any failure. */
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "db_int.h"

#define TX_ATTEMPTS 3

/* Serialization failure and deadlock: the transaction may simply be run again. */
static bool
retryable(const struct mado_db *db)
{
	return strcmp(db->sqlstate, "40001") == 0 || strcmp(db->sqlstate, "40P01") == 0;
}

int
mado_db_tx(struct mado_db *db, mado_db_tx_fn fn, void *arg)
{
	int attempt, rc = MADO_E_INTERNAL;

	for (attempt = 0; attempt < TX_ATTEMPTS; attempt++) {
		if ((rc = db__simple(db, "BEGIN")) != MADO_OK)
			return rc;
		if ((rc = fn(db, arg)) == MADO_OK) {
			/* A lost connection here leaves the outcome unknown: report it, and
			   let idempotency keys make the client's retry safe. */
			if ((rc = db__simple(db, "COMMIT")) == MADO_OK)
				return MADO_OK;
		} else if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
			char state[sizeof(db->sqlstate)];

			memcpy(state, db->sqlstate, sizeof(state));
			(void)db__simple(db, "ROLLBACK");
			memcpy(db->sqlstate, state, sizeof(state));
		}
		if (!retryable(db))
			return rc;
		mado_log_info(NULL, "database: transaction retried after sqlstate %s",
			      db->sqlstate);
	}
	return rc;
}
