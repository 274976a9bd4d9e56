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
 */
struct mado_db_stmt {
	const char *name; /* unique among all statements */
	const char *sql;
	int nparams;
	atomic_int slot; /* 0 until first use */
};
#define MADO_DB_STMT(n, s, np)                                                                     \
	{                                                                                          \
		.name = (n), .sql = (s), .nparams = (np)                                           \
	}

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

MADO_MUSTCHECK int mado_db_pool_init(const struct mado_db_pool_config *cfg);
void mado_db_pool_shutdown(void);
void mado_db_pool_stats(struct mado_db_stats *out);

/* MADO_OK, or MADO_E_DB_UNAVAILABLE when no connection can be had within the wait limit. */
MADO_MUSTCHECK int mado_db_acquire(struct mado_db **out);
/* Returns the connection; a connection left broken or inside a transaction is closed.
   Accepts NULL. */
void mado_db_release(struct mado_db *db);

/*
 * Runs st with params (text values; NULL is SQL NULL). On MADO_OK, *res holds the result
 * (tuples or command) and the caller PQclears it; on failure *res is NULL and the error is
 * MADO_E_DB_UNAVAILABLE (connection lost, server shutting down, out of resources),
 * MADO_E_CONFLICT (integrity violation) or MADO_E_INTERNAL. The SQLSTATE stays readable
 * through mado_db_sqlstate() until the next call.
 */
MADO_MUSTCHECK int mado_db_exec(struct mado_db *db, struct mado_db_stmt *st,
				const char *const *params, PGresult **res);
const char *mado_db_sqlstate(const struct mado_db *db);
/* mado_db_exec for a statement whose rows are not needed. */
MADO_MUSTCHECK int mado_db_run(struct mado_db *db, struct mado_db_stmt *st,
			       const char *const *params);
/* One connection outside the pool, opened the way the pool opens its own: connect_timeout
   (seconds) and application_name are defaults the conninfo may override, so no caller
   waits forever on a server that accepts and never answers. NULL only when out of
   memory; otherwise check PQstatus, and PQfinish it. */
PGconn *mado_db_connect(const char *conninfo, int connect_timeout, const char *application_name);
/* A one-connection pool on db_url for an operator command; *out is its connection.
   Release it and shut the pool down with mado_db_release and mado_db_pool_shutdown. */
struct mado_config;
MADO_MUSTCHECK int mado_db_open_single(const struct mado_config *cfg, struct mado_db **out);

/*
 * Runs st as the person: BEGIN, set mado.person_id (row-level security), st, COMMIT, sent
 * together in one round trip (libpq pipeline mode). Results and errors as mado_db_exec;
 * on failure the transaction is rolled back.
 */
MADO_MUSTCHECK int mado_db_exec_as_person(struct mado_db *db, const char *person,
					  struct mado_db_stmt *st, const char *const *params,
					  PGresult **res);

/*
 * Runs fn inside BEGIN ... COMMIT. A non-OK return from fn rolls back and is returned.
 * Serialization failures and deadlocks are retried (three attempts in all).
 */
typedef int (*mado_db_tx_fn)(struct mado_db *db, void *arg);
MADO_MUSTCHECK int mado_db_tx(struct mado_db *db, mado_db_tx_fn fn, void *arg);

/* Reading rows (server/db/row.c): a value, NULL for SQL NULL; a copy, "" for NULL; and
   JSON members: a string or null, JSON text the database made (null, or [] with
   empty_array, when NULL), a number, a boolean. */
struct cJSON;
const char *mado_db_val(const PGresult *r, int row, int col);
void mado_db_copy(char *dst, size_t len, const PGresult *r, int row, int col);
void mado_db_json_str(struct cJSON *o, const char *name, const PGresult *r, int row, int col);
void mado_db_json_raw(struct cJSON *o, const char *name, const PGresult *r, int row, int col,
		      bool empty_array);
void mado_db_json_num(struct cJSON *o, const char *name, const PGresult *r, int row, int col);
void mado_db_json_bool(struct cJSON *o, const char *name, const PGresult *r, int row, int col);
/* An object of name -> JSON value from rows first.. of r (the data a gateway function
   returns after its decision row); NULL when out of memory. */
struct cJSON *mado_db_json_object(const PGresult *r, int first, int name_col, int value_col);

/* Maps a finished result (or its absence) to a Mado error; used by the pool and migrate. */
int mado_db_classify(PGconn *conn, const PGresult *res);

#endif
