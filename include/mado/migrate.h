/*
 * Schema migrations: numbered, forward-only SQL files (NNNN_verb_noun.sql) applied in order,
 * each in one transaction and recorded in portal.schema_migrations with its SHA-256.
 *
 * Function files: the CREATE OR REPLACE FUNCTION bodies of each module
 * (<module>.sql in the directory "functions" beside the migrations directory). After the
 * pending migrations, all of them are applied again, in one transaction, whenever one is
 * new, changed or removed since they were last applied; portal.schema_functions records
 * each file's SHA-256.
 */
#ifndef MADO_MIGRATE_H
#define MADO_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "mado/common.h"

struct mado_migration {
	int version;       /* 0 for a function file */
	char *name;        /* file name, e.g. 0001_create_portal.sql or consent.sql */
	char *sql;         /* file text */
	char checksum[65]; /* SHA-256 hex of the file */
};

struct mado_migrations {
	struct mado_migration *v; /* migrations, by version */
	size_t n;
	struct mado_migration *fn; /* function files, by name */
	size_t nfn;
};

/* What a database has applied; a member is NULL when its table is not there (yet). */
struct mado_applied {
	PGresult *migrations; /* version, name, checksum in version order */
	PGresult *functions;  /* name, checksum */
};

/* Work for mado migrate: pending, or done by it. */
struct mado_migrate_counts {
	size_t migrations; /* migration files */
	size_t functions;  /* function files: new, changed or removed (pending); applied (done) */
};

/* Reads every migration file in dir, in order, and every function file of the functions
   directory beside dir. Migration names must be NNNN_name.sql, numbered 1, 2, 3, ...
   without gaps; function file names lower_case_name.sql. On failure writes the reason
   (naming the file or directory) to why. */
MADO_MUSTCHECK int mado_migrate_load(const char *dir, struct mado_migrations *out, char *why,
				     size_t whylen);
void mado_migrate_free(struct mado_migrations *m);

/*
 * Compares the files with what the database applied (NULL for an empty database).
 * MADO_OK when they match; MADO_E_SCHEMA_MISMATCH when a migration changed after it was
 * applied, the database holds a migration this build does not have, migrations are
 * pending, or a function file is not applied as it is now; why says which. pending (if not
 * NULL) receives what mado migrate would apply: nothing when the history itself differs.
 */
int mado_migrate_compare(const struct mado_migrations *m, const struct mado_applied *applied,
			 struct mado_migrate_counts *pending, char *why, size_t whylen);

/* Applies what is pending on conn (the schema owner's connection), under an advisory lock:
   each migration in its own transaction, then the function files together in one. Refuses
   if an applied migration differs. done receives what was applied. */
MADO_MUSTCHECK int mado_migrate_apply(PGconn *conn, const struct mado_migrations *m,
				      struct mado_migrate_counts *done, char *why, size_t whylen);

/* Reads what was applied on conn; clear it with mado_migrate_applied_clear. */
MADO_MUSTCHECK int mado_migrate_read_applied(PGconn *conn, struct mado_applied *out);
void mado_migrate_applied_clear(struct mado_applied *a);

/* Compares the database behind a pooled connection with m; *version receives the highest
   applied migration (0 for none). Used by `mado serve` at start and by /readyz. */
struct mado_db;
MADO_MUSTCHECK int mado_migrate_check_db(struct mado_db *db, const struct mado_migrations *m,
					 int *version, char *why, size_t whylen);

#endif
