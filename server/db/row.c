/*
 * Reading result rows by column name into the caller's structs, and decisions into
 * errors. The database layer knows nothing of JSON: stores return rows, and the module's
 * handlers decide how they are written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "mado/util.h"

#define ROW_COLS_MAX 48

/* The result's column for each of cols, or an error naming the one it lacks. */
static int
lookup(const PGresult *r, const struct mado_col *cols, size_t ncols, int *idx)
{
	size_t i;

	if (ncols > ROW_COLS_MAX)
		return MADO_E_INTERNAL;
	for (i = 0; i < ncols; i++) {
		if ((idx[i] = PQfnumber(r, cols[i].name)) < 0) {
			/* A statement and its reader disagree: a programming error. */
			mado_log_err(NULL, "database: no column %s in the result", cols[i].name);
			return MADO_E_INTERNAL;
		}
	}
	return MADO_OK;
}

static void
fill(const PGresult *r, int row, const struct mado_col *cols, size_t ncols, const int *idx,
     void *out)
{
	char *base = out;
	const char *v;
	size_t i;

	for (i = 0; i < ncols; i++) {
		v = PQgetisnull(r, row, idx[i]) ? NULL : PQgetvalue(r, row, idx[i]);
		switch (cols[i].type) {
		case MADO_COL_STR: memcpy(base + cols[i].off, &v, sizeof(v)); break;
		case MADO_COL_BUF:
			snprintf(base + cols[i].off, cols[i].size, "%s", v != NULL ? v : "");
			break;
		case MADO_COL_INT: {
			long long n = v != NULL ? strtoll(v, NULL, 10) : 0;

			if (cols[i].size == sizeof(int)) {
				int k = (int)n;

				memcpy(base + cols[i].off, &k, sizeof(k));
			} else {
				memcpy(base + cols[i].off, &n, sizeof(n));
			}
			break;
		}
		case MADO_COL_BOOL: {
			bool b = v != NULL && v[0] == 't';

			memcpy(base + cols[i].off, &b, sizeof(b));
			break;
		}
		}
	}
}

static int
read_row(const PGresult *r, int i, const struct mado_col *cols, size_t ncols, void *out)
{
	int idx[ROW_COLS_MAX], rc;

	if ((rc = lookup(r, cols, ncols, idx)) != MADO_OK)
		return rc;
	fill(r, i, cols, ncols, idx, out);
	return MADO_OK;
}

int
mado_db_one(struct mado_db *db, struct mado_db_stmt *st, const char *const *params,
	    const struct mado_col *cols, size_t ncols, void *out)
{
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, st, params, &r)) != MADO_OK)
		return rc;
	rc = PQntuples(r) < 1 ? MADO_E_NOT_FOUND : read_row(r, 0, cols, ncols, out);
	PQclear(r);
	return rc;
}

int
mado_db_each(struct mado_db *db, struct mado_db_stmt *st, const char *const *params,
	     const struct mado_col *cols, size_t ncols, size_t rowsize, mado_db_row_fn fn,
	     void *arg)
{
	int idx[ROW_COLS_MAX], rc, i, n;
	PGresult *r;
	void *row;

	if ((rc = mado_db_exec(db, st, params, &r)) != MADO_OK)
		return rc;
	if ((rc = lookup(r, cols, ncols, idx)) != MADO_OK) {
		PQclear(r);
		return rc;
	}
	row = mado_xcalloc(1, rowsize);
	n = PQntuples(r);
	for (i = 0; i < n && rc == MADO_OK; i++) {
		fill(r, i, cols, ncols, idx, row);
		rc = fn(row, i, arg);
	}
	free(row);
	PQclear(r);
	return rc;
}

int
mado_db_decision(const char *reason, const struct mado_reason *table)
{
	if (reason == NULL || reason[0] == '\0')
		return MADO_OK;
	for (; table->reason != NULL; table++)
		if (strcmp(table->reason, reason) == 0)
			return table->err;
	mado_log_err(NULL, "database: a decision gave the unknown reason %.40s", reason);
	return MADO_E_INTERNAL;
}
