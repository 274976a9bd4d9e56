/*
 * The SQL of the transparency log: every statement calls a function of
 * sql/functions/translog.sql. The public reads and the person's leaves run on pooled
 * connections; the sequencer's steps run on its own connection (sequencer.c), the one
 * holding the advisory lock, which those functions check.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/util.h"
#include "translog_int.h"

static struct mado_db_stmt Q_TILE = MADO_DB_STMT_BINARY(
    "tlog_tile", "SELECT width, hashes FROM portal.tlog_tile($1::smallint, $2::bigint)", 2);
static struct mado_db_stmt Q_CHECKPOINT =
    MADO_DB_STMT("tlog_checkpoint", "SELECT size, note FROM portal.tlog_checkpoint($1::bigint)", 1);
static struct mado_db_stmt Q_LEAVES_OF = MADO_DB_STMT_AS_PERSON(
    "tlog_leaves_of", "SELECT * FROM portal.tlog_leaves_of($1::uuid, $2, $3::bigint[])", 3);

/* A tile row (width smallint, hashes bytea) in binary, as both readers ask for it. */
static int
tile_from(const PGresult *res, int level, uint64_t idx, struct tlog_tile *t)
{
	const unsigned char *w;
	size_t len;

	t->level = level;
	t->idx = idx;
	t->nodes_width = 0;
	if (PQnfields(res) != 2 || PQfformat(res, 0) != 1 || PQgetlength(res, 0, 0) != 2)
		return MADO_E_INTERNAL;
	w = (const unsigned char *)PQgetvalue(res, 0, 0);
	t->width = (unsigned)(w[0] << 8 | w[1]);
	len = (size_t)PQgetlength(res, 0, 1);
	if (t->width < 1 || t->width > TLOG_TILE_W || len != (size_t)t->width * TLOG_HASH)
		return MADO_E_INTERNAL;
	memcpy(t->h, PQgetvalue(res, 0, 1), len);
	return MADO_OK;
}

int
translog__tile_get(struct mado_db *db, int level, uint64_t idx, struct tlog_tile *t)
{
	char l[8], n[24];
	const char *p[2] = {l, n};
	PGresult *res;
	int rc;

	snprintf(l, sizeof(l), "%d", level);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)idx);
	if ((rc = mado_db_exec(db, &Q_TILE, p, &res)) != MADO_OK)
		return rc;
	rc = PQntuples(res) == 1 ? tile_from(res, level, idx, t) : MADO_E_NOT_FOUND;
	PQclear(res);
	return rc;
}

int
translog__checkpoint_get(struct mado_db *db, long long size, uint64_t *out_size, char **note)
{
	char s[24];
	const char *p[1] = {size < 0 ? NULL : s};
	PGresult *res;
	int rc;

	*note = NULL;
	snprintf(s, sizeof(s), "%lld", size);
	if ((rc = mado_db_exec(db, &Q_CHECKPOINT, p, &res)) != MADO_OK)
		return rc;
	if (PQntuples(res) == 1) {
		*out_size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
		*note = mado_xstrdup(PQgetvalue(res, 0, 1));
	} else {
		rc = MADO_E_NOT_FOUND;
	}
	PQclear(res);
	return rc;
}

int
translog__leaves_of(struct mado_db *db, const char *person, const char *kind, const char *ids,
		    int (*fn)(const struct tlog_leaf_row *leaf, void *arg), void *arg)
{
	const char *p[3] = {person, kind, ids};
	struct tlog_leaf_row leaf;
	PGresult *res;
	int rc, i;

	if ((rc = mado_db_exec(db, &Q_LEAVES_OF, p, &res)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(res) && rc == MADO_OK; i++) {
		memset(&leaf, 0, sizeof(leaf));
		snprintf(leaf.record_id, sizeof(leaf.record_id), "%s", PQgetvalue(res, i, 0));
		leaf.idx = strtoll(PQgetvalue(res, i, 1), NULL, 10);
		snprintf(leaf.salt, sizeof(leaf.salt), "%s", PQgetvalue(res, i, 2));
		leaf.sealed = strcmp(PQgetvalue(res, i, 3), "t") == 0;
		leaf.record = leaf.sealed ? NULL : translog__record(kind, res, i, 4);
		rc = fn(&leaf, arg);
		cJSON_Delete(leaf.record);
	}
	PQclear(res);
	return rc;
}

int
translog__seq_tile_get(PGconn *c, int level, uint64_t idx, struct tlog_tile *t)
{
	char l[8], n[24];
	const char *p[2] = {l, n};
	PGresult *res;
	int rc;

	snprintf(l, sizeof(l), "%d", level);
	snprintf(n, sizeof(n), "%llu", (unsigned long long)idx);
	res =
	    PQexecParams(c, "SELECT width, hashes FROM portal.tlog_tile($1::smallint, $2::bigint)",
			 2, NULL, p, NULL, NULL, 1);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = MADO_E_DB_UNAVAILABLE;
	else if (PQntuples(res) != 1)
		rc = MADO_E_NOT_FOUND;
	else
		rc = tile_from(res, level, idx, t);
	PQclear(res);
	return rc;
}
