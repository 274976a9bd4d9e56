/*
 * Forward-only migrations. The files are the truth; the database records what it applied
 * with a checksum, so an edited file or a database ahead of the build is caught before
 * Mado serves anything.
 */
#include <ctype.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "mado/migrate.h"
#include "mado/util.h"

#define MIGRATION_MAX_BYTES (4 << 20)
/* Arbitrary constant so concurrent `mado migrate` runs queue instead of racing. */
#define MIGRATE_LOCK_KEY "7305011412"

static const char Q_EXISTS[] = "SELECT to_regclass('portal.schema_migrations') IS NOT NULL";
static struct mado_db_stmt Q_APPLIED = MADO_DB_STMT(
    "migrate_applied",
    "SELECT version, name, checksum FROM portal.schema_migrations ORDER BY version", 0);
static const char Q_RECORD[] =
    "INSERT INTO portal.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";

/* NNNN_name.sql with a lower-case name; returns the number or -1. */
static int
parse_name(const char *name)
{
	size_t len = strlen(name), i;
	int v = 0;

	if (len < 10 || strcmp(name + len - 4, ".sql") != 0 || name[4] != '_')
		return -1;
	for (i = 0; i < 4; i++) {
		if (!isdigit((unsigned char)name[i]))
			return -1;
		v = v * 10 + (name[i] - '0');
	}
	for (i = 5; i < len - 4; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		      name[i] == '_'))
			return -1;
	return v;
}

static int
cmp_version(const void *a, const void *b)
{
	const struct mado_migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

void
mado_migrate_free(struct mado_migrations *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].sql);
	}
	free(m->v);
	m->v = NULL;
	m->n = 0;
}

int
mado_migrate_load(const char *dir, struct mado_migrations *out, char *why, size_t whylen)
{
	struct mado_migration *mg, *nv;
	struct dirent *de;
	char path[4096];
	size_t len, i;
	DIR *d;
	int v, rc = MADO_OK;

	out->v = NULL;
	out->n = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(why, whylen, "migrations directory %s cannot be opened", dir);
		return MADO_E_NOT_FOUND;
	}
	while (rc == MADO_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if ((v = parse_name(de->d_name)) < 1) {
			snprintf(why, whylen,
				 "%s/%s: migration files are named NNNN_lower_case_name.sql", dir,
				 de->d_name);
			rc = MADO_E_BAD_REQUEST;
			break;
		}
		nv = mado_xrealloc(out->v, (out->n + 1) * sizeof(*nv));
		out->v = nv;
		mg = &out->v[out->n];
		memset(mg, 0, sizeof(*mg));
		mg->version = v;
		out->n++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		mg->name = mado_xstrdup(de->d_name);
		if ((rc = mado_read_file(path, MIGRATION_MAX_BYTES, &mg->sql, &len)) != MADO_OK) {
			snprintf(why, whylen, "%s cannot be read", path);
			break;
		}
		mado_sha256_hex(mg->sql, len, mg->checksum);
	}
	closedir(d);
	if (rc == MADO_OK) {
		if (out->n > 0)
			qsort(out->v, out->n, sizeof(*out->v), cmp_version);
		for (i = 0; i < out->n && rc == MADO_OK; i++) {
			if (out->v[i].version == (int)i + 1)
				continue;
			if (i > 0 && out->v[i].version == out->v[i - 1].version)
				snprintf(why, whylen, "%s and %s share the number %04d",
					 out->v[i - 1].name, out->v[i].name, out->v[i].version);
			else
				snprintf(why, whylen, "migration %04zu is missing before %s", i + 1,
					 out->v[i].name);
			rc = MADO_E_BAD_REQUEST;
		}
		if (rc == MADO_OK && out->n == 0) {
			snprintf(why, whylen, "%s holds no migrations", dir);
			rc = MADO_E_NOT_FOUND;
		}
	}
	if (rc != MADO_OK)
		mado_migrate_free(out);
	return rc;
}

int
mado_migrate_compare(const struct mado_migrations *m, const PGresult *applied, size_t *pending,
		     char *why, size_t whylen)
{
	int rows = applied != NULL ? PQntuples(applied) : 0, i;
	long long version;
	const char *name, *sum;
	const struct mado_migration *f;

	if (pending != NULL)
		*pending = 0;
	for (i = 0; i < rows; i++) {
		name = PQgetvalue(applied, i, 1);
		sum = PQgetvalue(applied, i, 2);
		if (!mado_parse_int(PQgetvalue(applied, i, 0), 1, 9999, &version)) {
			snprintf(why, whylen, "schema_migrations holds an unreadable version");
			return MADO_E_SCHEMA_MISMATCH;
		}
		if ((size_t)version > m->n || m->v[version - 1].version != version) {
			snprintf(why, whylen,
				 "the database has migration %s, which this build does not have: "
				 "the database is newer than this build",
				 name);
			return MADO_E_SCHEMA_MISMATCH;
		}
		f = &m->v[version - 1];
		if (strcmp(f->checksum, sum) != 0 || strcmp(f->name, name) != 0) {
			snprintf(
			    why, whylen,
			    "migration %s was changed after it was applied (applied as %s with "
			    "sha256 %.12s…, the file now has %.12s…); applied migrations must "
			    "never be edited: add a new one",
			    f->name, name, sum, f->checksum);
			return MADO_E_SCHEMA_MISMATCH;
		}
	}
	if ((size_t)rows < m->n) {
		if (pending != NULL)
			*pending = m->n - (size_t)rows;
		snprintf(why, whylen,
			 "the schema is behind: %zu migration(s) from %s on are not applied; run "
			 "`mado migrate`",
			 m->n - (size_t)rows, m->v[rows].name);
		return MADO_E_SCHEMA_MISMATCH;
	}
	return MADO_OK;
}

int
mado_migrate_read_applied(PGconn *conn, PGresult **out)
{
	PGresult *r;
	bool exists;

	*out = NULL;
	r = PQexecParams(conn, Q_EXISTS, 0, NULL, NULL, NULL, NULL, 0);
	if (mado_db_classify(conn, r) != MADO_OK) {
		PQclear(r);
		return MADO_E_DB_UNAVAILABLE;
	}
	exists = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	if (!exists)
		return MADO_OK;
	r = PQexecParams(conn, Q_APPLIED.sql, 0, NULL, NULL, NULL, NULL, 0);
	if (mado_db_classify(conn, r) != MADO_OK) {
		PQclear(r);
		return MADO_E_DB_UNAVAILABLE;
	}
	*out = r;
	return MADO_OK;
}

static int
exec_simple(PGconn *conn, const char *sql)
{
	PGresult *r = PQexec(conn, sql);
	int rc = mado_db_classify(conn, r);

	PQclear(r);
	return rc;
}

static int
apply_one(PGconn *conn, const struct mado_migration *mg, char *why, size_t whylen)
{
	char version[16];
	const char *params[3];
	const char *state;
	PGresult *r;

	snprintf(version, sizeof(version), "%d", mg->version);
	params[0] = version;
	params[1] = mg->name;
	params[2] = mg->checksum;
	if (exec_simple(conn, "BEGIN") != MADO_OK) {
		snprintf(why, whylen, "cannot begin a transaction for %s", mg->name);
		return MADO_E_DB_UNAVAILABLE;
	}
	/* The file is constant text from the release, not input: PQexec runs all of it. */
	r = PQexec(conn, mg->sql);
	if (mado_db_classify(conn, r) != MADO_OK) {
		state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
		snprintf(why, whylen, "%s failed (sqlstate %s): %s", mg->name,
			 state != NULL ? state : "?", PQerrorMessage(conn));
		PQclear(r);
		(void)exec_simple(conn, "ROLLBACK");
		return MADO_E_INTERNAL;
	}
	PQclear(r);
	r = PQexecParams(conn, Q_RECORD, 3, NULL, params, NULL, NULL, 0);
	if (mado_db_classify(conn, r) != MADO_OK) {
		snprintf(why, whylen, "%s could not be recorded: %s", mg->name,
			 PQerrorMessage(conn));
		PQclear(r);
		(void)exec_simple(conn, "ROLLBACK");
		return MADO_E_INTERNAL;
	}
	PQclear(r);
	if (exec_simple(conn, "COMMIT") != MADO_OK) {
		snprintf(why, whylen, "%s: commit failed: %s", mg->name, PQerrorMessage(conn));
		return MADO_E_INTERNAL;
	}
	return MADO_OK;
}

int
mado_migrate_apply(PGconn *conn, const struct mado_migrations *m, size_t *applied_now, char *why,
		   size_t whylen)
{
	PGresult *applied = NULL;
	size_t pending = 0, i;
	int rc;

	*applied_now = 0;
	if (exec_simple(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") != MADO_OK) {
		snprintf(why, whylen, "cannot take the migration lock: %s", PQerrorMessage(conn));
		return MADO_E_DB_UNAVAILABLE;
	}
	if ((rc = mado_migrate_read_applied(conn, &applied)) != MADO_OK) {
		snprintf(why, whylen, "cannot read schema_migrations: %s", PQerrorMessage(conn));
		goto done;
	}
	rc = mado_migrate_compare(m, applied, &pending, why, whylen);
	if (rc != MADO_OK && pending == 0)
		goto done; /* changed or unknown migrations: refuse to touch anything */
	rc = MADO_OK;
	for (i = m->n - pending; i < m->n; i++) {
		if ((rc = apply_one(conn, &m->v[i], why, whylen)) != MADO_OK)
			break;
		mado_log_info(NULL, "migrate: applied %s", m->v[i].name);
		(*applied_now)++;
	}
done:
	PQclear(applied);
	(void)exec_simple(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
	return rc;
}

int
mado_migrate_check_db(struct mado_db *db, const struct mado_migrations *m, int *version, char *why,
		      size_t whylen)
{
	PGresult *r = NULL;
	int rc, rows;

	*version = 0;
	rc = mado_db_exec(db, &Q_APPLIED, NULL, &r);
	if (rc != MADO_OK && strcmp(mado_db_sqlstate(db), "42P01") != 0) {
		snprintf(why, whylen, "cannot read portal.schema_migrations (sqlstate %s)",
			 mado_db_sqlstate(db));
		return rc;
	}
	/* 42P01: the table is not there yet, so nothing was ever applied. */
	rows = r != NULL ? PQntuples(r) : 0;
	if (rows > 0)
		*version = atoi(PQgetvalue(r, rows - 1, 0));
	rc = mado_migrate_compare(m, r, NULL, why, whylen);
	PQclear(r);
	return rc;
}
