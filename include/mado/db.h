/*
 * The database layer: a thread-safe pool of libpq connections with a wait limit, prepared
 * statements, and a transaction helper. Only parameterised SQL reaches PostgreSQL.
 */
#ifndef MADO_DB_H
#define MADO_DB_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "mado/common.h"

/* One checked-out connection. */
struct mado_db;

/*
 * A statement prepared once per connection on first use. Define each one as a static
 * object at the top of its *_store.c (STYLE.md 8); slot is assigned by the pool.
 *
 * A read of a person's own rows runs as that person: MADO_DB_STMT_AS_PERSON makes its
 * first parameter the person, set as mado.person_id for row-level security in the same
 * transaction (BEGIN, set, statement, COMMIT in one round trip). Everything else that
 * touches a person's data goes through a SECURITY DEFINER function taking the person.
 */
struct mado_db_stmt {
	const char *name; /* unique among all statements (tests/unit/test_layers.c checks) */
	const char *sql;
	int nparams;
	bool as_person;
	bool generic_plan; /* as_person on its own: plan once, prune partitions at run time */
	bool binary;       /* rows in PostgreSQL's binary format: for mado_db_exec's callers */
	atomic_int slot;   /* 0 until first use */
};
#define MADO_DB_STMT(n, s, np)                                                                     \
	{                                                                                          \
		.name = (n), .sql = (s), .nparams = (np)                                           \
	}
/* A statement whose rows are read in binary (large bytea: no hex text both ways). */
#define MADO_DB_STMT_BINARY(n, s, np)                                                              \
	{                                                                                          \
		.name = (n), .sql = (s), .nparams = (np), .binary = true                           \
	}
#define MADO_DB_STMT_AS_PERSON(n, s, np)                                                           \
	{                                                                                          \
		.name = (n), .sql = (s), .nparams = (np), .as_person = true                        \
	}
/*
 * The same for a read of the access log by its partition key (the person): run on its
 * own, it uses the statement's generic plan, which finds the person's partition when it
 * starts, instead of planning again for every call (PostgreSQL keeps custom plans for
 * partitioned tables because they look cheaper, and planning costs more than the read).
 */
#define MADO_DB_STMT_AS_PERSON_GENERIC(n, s, np)                                                   \
	{                                                                                          \
		.name = (n), .sql = (s), .nparams = (np), .as_person = true, .generic_plan = true  \
	}
/* A timestamp column as the API writes times: RFC 3339 in UTC, to the second. */
#define MADO_SQL_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

struct mado_db_pool_config {
	const char *conninfo;
	int size;
	int wait_ms;
	int connect_timeout; /* seconds */
};

struct mado_db_stats {
	int size, open, in_use, waiting;
	uint64_t acquired, timeouts, connect_failures, reconnects;
};

/* The pool of cfg->size connections to cfg's server, each opened when first needed (so
   an unreachable server is found then, not here); an error only when already set up. */
MADO_MUSTCHECK int mado_db_pool_init(const struct mado_db_pool_config *cfg);
/* The optional second pool (db_read_url), for reads that may be a little stale: the same
   pool on another server, each session read-only, application_name mado-read. */
MADO_MUSTCHECK int mado_db_read_pool_init(const struct mado_db_pool_config *cfg);
bool mado_db_read_pool_ready(void);
/* Shuts both pools down; the second only the read pool. */
void mado_db_pool_shutdown(void);
void mado_db_read_pool_shutdown(void);
/* A snapshot of the pool's size, use and counters (for /metrics). */
void mado_db_pool_stats(struct mado_db_stats *out);
void mado_db_read_pool_stats(struct mado_db_stats *out);

/* MADO_OK, or MADO_E_DB_UNAVAILABLE when no connection can be had within the wait limit. */
MADO_MUSTCHECK int mado_db_acquire(struct mado_db **out);
/* A connection of the read pool; the primary's when there is no read pool, or it cannot
   connect (then it is tried again after a few seconds), or none of its is free in time.
   Only for reads that may be stale: its transactions are read-only. */
MADO_MUSTCHECK int mado_db_acquire_read(struct mado_db **out);
/* Returns the connection; a connection left broken or inside a transaction is closed.
   Accepts NULL. */
void mado_db_release(struct mado_db *db);

/*
 * Runs st with params (text values; NULL is SQL NULL). On MADO_OK, *res holds the result
 * (tuples or command) and the caller PQclears it; on failure *res is NULL and the error is
 * MADO_E_DB_UNAVAILABLE (connection lost, server shutting down, out of resources),
 * MADO_E_CONFLICT (integrity violation) or MADO_E_INTERNAL. The SQLSTATE stays readable
 * through mado_db_sqlstate() until the next call. A statement made with
 * MADO_DB_STMT_AS_PERSON runs as the person in params[0]; on failure it is rolled back.
 */
MADO_MUSTCHECK int mado_db_exec(struct mado_db *db, struct mado_db_stmt *st,
				const char *const *params, PGresult **res);
const char *mado_db_sqlstate(const struct mado_db *db);
/* mado_db_exec for a statement whose rows are not needed; *rows (if not NULL) gets the
   number of rows it touched. */
MADO_MUSTCHECK int mado_db_run(struct mado_db *db, struct mado_db_stmt *st,
			       const char *const *params, long *rows);
/* One connection outside the pool, opened the way the pool opens its own: connect_timeout
   (seconds) and application_name are defaults the conninfo may override, so no caller
   waits forever on a server that accepts and never answers. NULL only when out of
   memory; otherwise check PQstatus, and PQfinish it. */
PGconn *mado_db_connect(const char *conninfo, int connect_timeout, const char *application_name);
/* A one-connection pool for an operator command, on db_url or (owner) on the schema
   owner's db_migrate_url; *out is its connection. Release it and shut the pool down with
   mado_db_release and mado_db_pool_shutdown. */
struct mado_config;
MADO_MUSTCHECK int mado_db_open_single(const struct mado_config *cfg, bool owner,
				       struct mado_db **out);

/*
 * Transactions: begin, the work, commit; on any failure roll back (accepts a connection
 * outside a transaction) and return the first error. In a transaction, set_person makes
 * row-level security see person's rows for the rest of it.
 */
MADO_MUSTCHECK int mado_db_begin(struct mado_db *db);
MADO_MUSTCHECK int mado_db_commit(struct mado_db *db);
int mado_db_rollback(struct mado_db *db, int err);
MADO_MUSTCHECK int mado_db_set_person(struct mado_db *db, const char *person);
/*
 * Runs fn inside BEGIN ... COMMIT, again when the database asks (serialization failures
 * and deadlocks: three attempts in all). A non-OK return from fn rolls back and is
 * returned.
 */
typedef int (*mado_db_tx_fn)(struct mado_db *db, void *arg);
MADO_MUSTCHECK int mado_db_tx(struct mado_db *db, mado_db_tx_fn fn, void *arg);

/*
 * Reading rows by column name into a struct. A column list says, for each field of the
 * caller's struct, the result column of the same name and how to read it; the names are
 * looked up once per result. STR fields point into the result (NULL for SQL NULL) and
 * live only while the row function runs; BUF fields are copies ("" for NULL), INT and
 * BOOL fields are 0 and false for NULL.
 */
enum mado_col_type { MADO_COL_STR, MADO_COL_BUF, MADO_COL_INT, MADO_COL_BOOL };
struct mado_col {
	const char *name;
	enum mado_col_type type;
	size_t off, size;
};
#define MADO_COL(type, st, field)                                                                  \
	{                                                                                          \
#field, MADO_COL_##type, offsetof(struct st, field),                               \
		    sizeof(((struct st *)0)->field)                                                \
	}
#define MADO_COLS(list) (list), MADO_NELEM(list)

/* Runs st and fills out from its one row: MADO_E_NOT_FOUND when there is none. Only BUF,
   INT and BOOL columns. */
MADO_MUSTCHECK int mado_db_one(struct mado_db *db, struct mado_db_stmt *st,
			       const char *const *params, const struct mado_col *cols, size_t ncols,
			       void *out);
/* Runs st and passes each row, read into a struct of rowsize, to fn with its index; a
   non-OK return from fn stops and is returned. */
typedef int (*mado_db_row_fn)(const void *row, int i, void *arg);
MADO_MUSTCHECK int mado_db_each(struct mado_db *db, struct mado_db_stmt *st,
				const char *const *params, const struct mado_col *cols,
				size_t ncols, size_t rowsize, mado_db_row_fn fn, void *arg);
/*
 * Decisions. A function that decides returns a reason column: empty or NULL when it
 * allows, else a word naming why not. Each module keeps a table from its reasons to
 * errors; a reason missing from the table is an internal error (fail closed).
 */
struct mado_reason {
	const char *reason;
	int err;
};
int mado_db_decision(const char *reason, const struct mado_reason *table);

/* How far this server's clock is at least ahead of the database's (negative: behind), in
   ms: 0 when the database's reading falls within the query's round trip. */
MADO_MUSTCHECK int mado_db_clock_skew_ms(struct mado_db *db, int64_t *skew_ms);

/* Maps a finished result (or its absence) to a Mado error; used by the pool and migrate. */
int mado_db_classify(PGconn *conn, const PGresult *res);

#endif
