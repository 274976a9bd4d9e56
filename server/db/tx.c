/*
 * Transactions: explicit begin / commit / rollback for a store that runs several
 * statements as one, and mado_db_tx for work the database may ask to run again.
 */
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "db_int.h"

#define TX_ATTEMPTS 3

struct mado_db_stmt db__set_person = MADO_DB_STMT("db_set_person", DB_SET_PERSON_SQL, 1);

int
mado_db_begin(struct mado_db *db)
{
	return db__simple(db, "BEGIN");
}

int
mado_db_commit(struct mado_db *db)
{
	/* A lost connection here leaves the outcome unknown: report it, and let
	   idempotency keys make the client's retry safe. */
	return db__simple(db, "COMMIT");
}

int
mado_db_rollback(struct mado_db *db, int err)
{
	char state[sizeof(db->sqlstate)];

	/* The error that caused the rollback is what the caller reports; keep its SQLSTATE. */
	if (db->conn != NULL && PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
		memcpy(state, db->sqlstate, sizeof(state));
		(void)db__simple(db, "ROLLBACK");
		memcpy(db->sqlstate, state, sizeof(state));
	}
	return err;
}

int
mado_db_set_person(struct mado_db *db, const char *person)
{
	const char *p[1] = {person};

	return mado_db_run(db, &db__set_person, p, NULL);
}

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
		if ((rc = mado_db_begin(db)) != MADO_OK)
			return rc;
		if ((rc = fn(db, arg)) == MADO_OK && (rc = mado_db_commit(db)) == MADO_OK)
			return MADO_OK;
		(void)mado_db_rollback(db, rc);
		if (!retryable(db))
			return rc;
		mado_log_info(NULL, "database: transaction retried after sqlstate %s",
			      db->sqlstate);
	}
	return rc;
}
