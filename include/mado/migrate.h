/*
 * Schema migrations: numbered, forward-only SQL files (NNNN_verb_noun.sql) applied in order,
 * each in one transaction and recorded in portal.schema_migrations with its SHA-256.
 */
#ifndef MADO_MIGRATE_H
#define MADO_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "mado/common.h"

struct mado_migration {
	int version;
	char *name;        /* file name, e.g. 0001_create_portal.sql */
	char *sql;         /* file text */
	char checksum[65]; /* SHA-256 hex of the file */
};

struct mado_migrations {
	struct mado_migration *v;
	size_t n;
};

/* Reads every migration file in dir, in order. Names must be NNNN_name.sql and numbered
   1, 2, 3, ... without gaps. On failure writes the reason to why. */
MADO_MUSTCHECK int mado_migrate_load(const char *dir, struct mado_migrations *out, char *why,
				     size_t whylen);
void mado_migrate_free(struct mado_migrations *m);

/*
 * Compares the files with the applied rows of `applied` (version, name,
 * checksum in version order, or NULL for an empty database). MADO_OK when they match;
 * MADO_E_SCHEMA_MISMATCH when a file changed after it was applied, the database holds a
 * migration this build does not have, or the schema is behind; why says which.
 * *pending (if not NULL) receives the number of files not yet applied.
 */
int mado_migrate_compare(const struct mado_migrations *m, const PGresult *applied, size_t *pending,
			 char *why, size_t whylen);

/* Applies what is pending on conn (the schema owner's connection), one transaction per
   file, under an advisory lock. Refuses if anything already applied differs. */
MADO_MUSTCHECK int mado_migrate_apply(PGconn *conn, const struct mado_migrations *m,
				      size_t *applied_now, char *why, size_t whylen);

/* Reads the applied rows on conn; *out is NULL when nothing was ever applied. */
MADO_MUSTCHECK int mado_migrate_read_applied(PGconn *conn, PGresult **out);

/* Compares the database behind a pooled connection with m; *version receives the highest
   applied migration (0 for none). Used by `mado serve` at start and by /readyz. */
struct mado_db;
MADO_MUSTCHECK int mado_migrate_check_db(struct mado_db *db, const struct mado_migrations *m,
					 int *version, char *why, size_t whylen);

#endif
