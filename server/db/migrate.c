/*
 * Forward-only migrations, and the function files applied again whenever they change. The
 * files are the truth; the database records what it applied with a checksum, so an edited
 * migration, a database ahead of the build or a function body other than the file's is
 * caught before Mado serves anything.
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

static const char Q_EXISTS[] = "SELECT to_regclass('portal.schema_migrations') IS NOT NULL,"
			       " to_regclass('portal.schema_functions') IS NOT NULL";
static struct mado_db_stmt Q_APPLIED = MADO_DB_STMT(
    "migrate_applied",
    "SELECT version, name, checksum FROM portal.schema_migrations ORDER BY version", 0);
static struct mado_db_stmt Q_FUNCTIONS = MADO_DB_STMT(
    "migrate_functions", "SELECT name, checksum FROM portal.schema_functions ORDER BY name", 0);
static const char Q_RECORD[] =
    "INSERT INTO portal.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)";
static const char Q_FN_RECORD[] =
    "INSERT INTO portal.schema_functions (name, checksum) VALUES ($1, $2)"
    " ON CONFLICT (name) DO UPDATE SET checksum = excluded.checksum, applied_at = now()";
static const char Q_FN_FORGET[] = "DELETE FROM portal.schema_functions WHERE name = $1";

/* Is name[from, to) lower-case letters, digits and underscores, and not empty? */
static bool
lower_name(const char *name, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (!(islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) ||
		      name[i] == '_'))
			return false;
	return to > from;
}

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
	return lower_name(name, 5, len - 4) ? v : -1;
}

/* A function file is named after its module: lower_case_name.sql. */
static bool
function_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 4 && strcmp(name + len - 4, ".sql") == 0 && lower_name(name, 0, len - 4);
}

static int
cmp_version(const void *a, const void *b)
{
	const struct mado_migration *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static int
cmp_name(const void *a, const void *b)
{
	const struct mado_migration *x = a, *y = b;

	return strcmp(x->name, y->name);
}

static void
free_files(struct mado_migration *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].sql);
	}
	free(v);
}

void
mado_migrate_free(struct mado_migrations *m)
{
	free_files(m->v, m->n);
	free_files(m->fn, m->nfn);
	memset(m, 0, sizeof(*m));
}

/*
 * Reads every file of dir (dot files aside) into *v, in directory order. Migrations
 * (numbered) get their version from the name; function files get 0. On failure *v holds
 * what was read so far, for the caller to free.
 */
static int
read_dir(const char *dir, bool numbered, struct mado_migration **v, size_t *n, char *why,
	 size_t whylen)
{
	struct mado_migration *f, *nv;
	struct dirent *de;
	char path[4096];
	size_t len;
	DIR *d;
	int version = 0, rc = MADO_OK;

	if ((d = opendir(dir)) == NULL) {
		snprintf(why, whylen, "%s directory %s cannot be opened",
			 numbered ? "migrations" : "functions", dir);
		return MADO_E_NOT_FOUND;
	}
	while (rc == MADO_OK && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (numbered ? (version = parse_name(de->d_name)) < 1
			     : !function_name_ok(de->d_name)) {
			snprintf(why, whylen, "%s/%s: %s files are named %s", dir, de->d_name,
				 numbered ? "migration" : "function",
				 numbered ? "NNNN_lower_case_name.sql" : "lower_case_name.sql");
			rc = MADO_E_BAD_REQUEST;
			break;
		}
		nv = mado_xrealloc(*v, (*n + 1) * sizeof(*nv));
		*v = nv;
		f = &nv[*n];
		memset(f, 0, sizeof(*f));
		f->version = version;
		(*n)++;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		f->name = mado_xstrdup(de->d_name);
		if ((rc = mado_read_file(path, MIGRATION_MAX_BYTES, &f->sql, &len)) != MADO_OK) {
			snprintf(why, whylen, "%s cannot be read", path);
			break;
		}
		mado_sha256_hex(f->sql, len, f->checksum);
	}
	closedir(d);
	return rc;
}

/* The functions directory beside dir: dirname(dir)/functions. */
static void
functions_dir(const char *dir, char *out, size_t outlen)
{
	size_t len = strlen(dir);

	while (len > 1 && dir[len - 1] == '/')
		len--;
	while (len > 0 && dir[len - 1] != '/')
		len--;
	if (len == 0)
		snprintf(out, outlen, "functions");
	else
		snprintf(out, outlen, "%.*sfunctions", (int)len, dir);
}

int
mado_migrate_load(const char *dir, struct mado_migrations *out, char *why, size_t whylen)
{
	char fdir[4096];
	size_t i;
	int rc;

	memset(out, 0, sizeof(*out));
	rc = read_dir(dir, true, &out->v, &out->n, why, whylen);
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
	if (rc == MADO_OK) {
		functions_dir(dir, fdir, sizeof(fdir));
		rc = read_dir(fdir, false, &out->fn, &out->nfn, why, whylen);
	}
	if (rc == MADO_OK && out->nfn > 0)
		qsort(out->fn, out->nfn, sizeof(*out->fn), cmp_name);
	if (rc != MADO_OK)
		mado_migrate_free(out);
	return rc;
}

/* The row of rows (name in column 0) recorded for name, or -1. */
static int
row_named(const PGresult *rows, const char *name)
{
	int n = rows != NULL ? PQntuples(rows) : 0, i;

	for (i = 0; i < n; i++)
		if (strcmp(PQgetvalue(rows, i, 0), name) == 0)
			return i;
	return -1;
}

/* Is there a function file named name? */
static bool
has_function_file(const struct mado_migrations *m, const char *name)
{
	size_t k;

	for (k = 0; k < m->nfn; k++)
		if (strcmp(m->fn[k].name, name) == 0)
			return true;
	return false;
}

/*
 * Counts the function files that are new or changed since they were applied, and the
 * recorded ones whose file is gone; why names the first. The files and the rows are
 * compared as sets, so their order (and the database's collation) does not matter.
 */
static size_t
functions_differ(const struct mado_migrations *m, const PGresult *rows, char *why, size_t whylen)
{
	int n = rows != NULL ? PQntuples(rows) : 0, i, row;
	size_t differ = 0, k;

	for (k = 0; k < m->nfn; k++) {
		row = row_named(rows, m->fn[k].name);
		if (row >= 0 && strcmp(PQgetvalue(rows, row, 1), m->fn[k].checksum) == 0)
			continue;
		if (differ++ == 0)
			snprintf(why, whylen,
				 "function file %s is not applied as it is now; run `mado migrate`",
				 m->fn[k].name);
	}
	for (i = 0; i < n; i++) {
		if (!has_function_file(m, PQgetvalue(rows, i, 0)) && differ++ == 0)
			snprintf(why, whylen,
				 "function file %s was removed but is still recorded as applied; "
				 "run `mado migrate`",
				 PQgetvalue(rows, i, 0));
	}
	return differ;
}

int
mado_migrate_compare(const struct mado_migrations *m, const struct mado_applied *applied,
		     struct mado_migrate_counts *pending, char *why, size_t whylen)
{
	const PGresult *done = applied != NULL ? applied->migrations : NULL;
	int rows = done != NULL ? PQntuples(done) : 0, i;
	struct mado_migrate_counts todo = {0, 0};
	long long version;
	const char *name, *sum;
	const struct mado_migration *f;
	char fwhy[512];

	if (pending != NULL)
		*pending = todo;
	for (i = 0; i < rows; i++) {
		name = PQgetvalue(done, i, 1);
		sum = PQgetvalue(done, i, 2);
		if (!mado_parse_int(PQgetvalue(done, i, 0), 1, 9999, &version)) {
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
	todo.migrations = m->n - (size_t)rows;
	todo.functions =
	    functions_differ(m, applied != NULL ? applied->functions : NULL, fwhy, sizeof(fwhy));
	if (pending != NULL)
		*pending = todo;
	if (todo.migrations > 0) {
		snprintf(why, whylen,
			 "the schema is behind: %zu migration(s) from %s on are not applied; run "
			 "`mado migrate`",
			 todo.migrations, m->v[rows].name);
		return MADO_E_SCHEMA_MISMATCH;
	}
	if (todo.functions > 0) {
		snprintf(why, whylen, "%s", fwhy);
		return MADO_E_SCHEMA_MISMATCH;
	}
	return MADO_OK;
}

void
mado_migrate_applied_clear(struct mado_applied *a)
{
	PQclear(a->migrations);
	PQclear(a->functions);
	a->migrations = NULL;
	a->functions = NULL;
}

/* Runs a query without parameters on conn into *out. */
static int
query(PGconn *conn, const char *sql, PGresult **out)
{
	PGresult *r = PQexecParams(conn, sql, 0, NULL, NULL, NULL, NULL, 0);

	if (mado_db_classify(conn, r) != MADO_OK) {
		PQclear(r);
		return MADO_E_DB_UNAVAILABLE;
	}
	*out = r;
	return MADO_OK;
}

int
mado_migrate_read_applied(PGconn *conn, struct mado_applied *out)
{
	PGresult *r;
	bool migrations, functions;
	int rc;

	out->migrations = NULL;
	out->functions = NULL;
	if ((rc = query(conn, Q_EXISTS, &r)) != MADO_OK)
		return rc;
	migrations = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	functions = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	if (migrations && (rc = query(conn, Q_APPLIED.sql, &out->migrations)) != MADO_OK)
		return rc;
	if (functions && (rc = query(conn, Q_FUNCTIONS.sql, &out->functions)) != MADO_OK) {
		mado_migrate_applied_clear(out);
		return rc;
	}
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

/* Ends a failed transaction; why names what failed and the server's message. */
static int
roll_back(PGconn *conn, PGresult *r, const char *what, char *why, size_t whylen)
{
	const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

	snprintf(why, whylen, "%s failed (sqlstate %s): %s", what, state != NULL ? state : "?",
		 PQerrorMessage(conn));
	PQclear(r);
	(void)exec_simple(conn, "ROLLBACK");
	return MADO_E_INTERNAL;
}

static int
apply_one(PGconn *conn, const struct mado_migration *mg, char *why, size_t whylen)
{
	char version[16], what[300];
	const char *params[3];
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
	if (mado_db_classify(conn, r) != MADO_OK)
		return roll_back(conn, r, mg->name, why, whylen);
	PQclear(r);
	r = PQexecParams(conn, Q_RECORD, 3, NULL, params, NULL, NULL, 0);
	snprintf(what, sizeof(what), "recording %s", mg->name);
	if (mado_db_classify(conn, r) != MADO_OK)
		return roll_back(conn, r, what, why, whylen);
	PQclear(r);
	if (exec_simple(conn, "COMMIT") != MADO_OK) {
		snprintf(why, whylen, "%s: commit failed: %s", mg->name, PQerrorMessage(conn));
		return MADO_E_INTERNAL;
	}
	return MADO_OK;
}

/*
 * Applies every function file in one transaction and records their checksums; rows of
 * files that are gone (recorded, as read under the migration lock) are deleted. Function
 * bodies are not checked at creation, so the files may refer to each other in any order.
 */
static int
apply_functions(PGconn *conn, const struct mado_migrations *m, const PGresult *recorded, char *why,
		size_t whylen)
{
	int n = recorded != NULL ? PQntuples(recorded) : 0, i;
	const char *params[2];
	char what[300];
	PGresult *r;
	size_t k;

	if (exec_simple(conn, "BEGIN") != MADO_OK ||
	    exec_simple(conn, "SET LOCAL check_function_bodies = off") != MADO_OK) {
		snprintf(why, whylen, "cannot begin a transaction for the function files: %s",
			 PQerrorMessage(conn));
		(void)exec_simple(conn, "ROLLBACK");
		return MADO_E_DB_UNAVAILABLE;
	}
	for (k = 0; k < m->nfn; k++) {
		/* Constant text from the release, like a migration: PQexec runs all of it. */
		r = PQexec(conn, m->fn[k].sql);
		snprintf(what, sizeof(what), "function file %s", m->fn[k].name);
		if (mado_db_classify(conn, r) != MADO_OK)
			return roll_back(conn, r, what, why, whylen);
		PQclear(r);
	}
	for (k = 0; k < m->nfn; k++) {
		params[0] = m->fn[k].name;
		params[1] = m->fn[k].checksum;
		r = PQexecParams(conn, Q_FN_RECORD, 2, NULL, params, NULL, NULL, 0);
		snprintf(what, sizeof(what), "recording function file %s", m->fn[k].name);
		if (mado_db_classify(conn, r) != MADO_OK)
			return roll_back(conn, r, what, why, whylen);
		PQclear(r);
	}
	for (i = 0; i < n; i++) {
		params[0] = PQgetvalue(recorded, i, 0);
		if (has_function_file(m, params[0]))
			continue;
		r = PQexecParams(conn, Q_FN_FORGET, 1, NULL, params, NULL, NULL, 0);
		snprintf(what, sizeof(what), "forgetting function file %s", params[0]);
		if (mado_db_classify(conn, r) != MADO_OK)
			return roll_back(conn, r, what, why, whylen);
		PQclear(r);
	}
	if (exec_simple(conn, "COMMIT") != MADO_OK) {
		snprintf(why, whylen, "function files: commit failed: %s", PQerrorMessage(conn));
		return MADO_E_INTERNAL;
	}
	return MADO_OK;
}

int
mado_migrate_apply(PGconn *conn, const struct mado_migrations *m, struct mado_migrate_counts *done,
		   char *why, size_t whylen)
{
	struct mado_applied applied = {NULL, NULL};
	struct mado_migrate_counts pending;
	size_t i;
	int rc;

	done->migrations = 0;
	done->functions = 0;
	if (exec_simple(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")") != MADO_OK) {
		snprintf(why, whylen, "cannot take the migration lock: %s", PQerrorMessage(conn));
		return MADO_E_DB_UNAVAILABLE;
	}
	if ((rc = mado_migrate_read_applied(conn, &applied)) != MADO_OK) {
		snprintf(why, whylen, "cannot read what was applied: %s", PQerrorMessage(conn));
		goto done;
	}
	rc = mado_migrate_compare(m, &applied, &pending, why, whylen);
	if (rc != MADO_OK && pending.migrations == 0 && pending.functions == 0)
		goto done; /* changed or unknown migrations: refuse to touch anything */
	rc = MADO_OK;
	for (i = m->n - pending.migrations; i < m->n; i++) {
		if ((rc = apply_one(conn, &m->v[i], why, whylen)) != MADO_OK)
			goto done;
		mado_log_info(NULL, "migrate: applied %s", m->v[i].name);
		done->migrations++;
	}
	/* After the migrations, which may add what the function bodies use. */
	if (pending.functions > 0) {
		if ((rc = apply_functions(conn, m, applied.functions, why, whylen)) != MADO_OK)
			goto done;
		mado_log_info(NULL, "migrate: applied %zu function file(s)", m->nfn);
		done->functions = m->nfn;
	}
done:
	mado_migrate_applied_clear(&applied);
	(void)exec_simple(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
	return rc;
}

/* Runs st on db into *out; a missing table (42P01) is no rows, *out NULL. */
static int
read_table(struct mado_db *db, struct mado_db_stmt *st, const char *table, PGresult **out,
	   char *why, size_t whylen)
{
	int rc = mado_db_exec(db, st, NULL, out);

	if (rc == MADO_OK || strcmp(mado_db_sqlstate(db), "42P01") == 0)
		return MADO_OK;
	snprintf(why, whylen, "cannot read %s (sqlstate %s)", table, mado_db_sqlstate(db));
	return rc;
}

int
mado_migrate_check_db(struct mado_db *db, const struct mado_migrations *m, int *version, char *why,
		      size_t whylen)
{
	struct mado_applied a = {NULL, NULL};
	int rc, rows;

	*version = 0;
	rc = read_table(db, &Q_APPLIED, "portal.schema_migrations", &a.migrations, why, whylen);
	/* Without schema_migrations nothing was applied, and schema_functions is not there. */
	if (rc == MADO_OK && a.migrations != NULL)
		rc = read_table(db, &Q_FUNCTIONS, "portal.schema_functions", &a.functions, why,
				whylen);
	if (rc == MADO_OK) {
		rows = a.migrations != NULL ? PQntuples(a.migrations) : 0;
		if (rows > 0)
			*version = atoi(PQgetvalue(a.migrations, rows - 1, 0));
		rc = mado_migrate_compare(m, &a, NULL, why, whylen);
	}
	mado_migrate_applied_clear(&a);
	return rc;
}
