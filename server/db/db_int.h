/* Shared by the files of server/db only. */
#ifndef MADO_DB_INT_H
#define MADO_DB_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#define DB_MAX_STMTS 256

struct db_pool;

struct mado_db {
	struct db_pool *pool; /* the pool the connection belongs to */
	PGconn *conn;
	uint64_t prepared[DB_MAX_STMTS / 64]; /* bit per statement slot */
	bool in_use;
	char sqlstate[6];
};

/* Row-level security reads the person from this setting, local to the transaction. */
#define DB_SET_PERSON_SQL "SELECT set_config('mado.person_id', $1, true)"
/* The same, and the transaction's statements use their generic plans
   (MADO_DB_STMT_AS_PERSON_GENERIC). */
#define DB_SET_PERSON_GENERIC_SQL                                                                  \
	"SELECT set_config('mado.person_id', $1, true),"                                           \
	" set_config('plan_cache_mode', 'force_generic_plan', true)"

/* DB_SET_PERSON_SQL as a statement (tx.c), shared by a transaction and a person's read. */
extern struct mado_db_stmt db__set_person;

/* Runs constant SQL text (BEGIN, COMMIT, ROLLBACK) on a checked-out connection. */
int db__simple(struct mado_db *db, const char *sql);

#endif
