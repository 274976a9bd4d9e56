/*
 * The SQL of oversight: the supervisor's requests to reveal an official, and the
 * organisations' answers, through SECURITY DEFINER functions that check who may ask and
 * who may answer (sql/functions/oversight.sql).
 */
#include <stdio.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "oversight_int.h"

static struct mado_db_stmt Q_REQUEST = MADO_DB_STMT(
    "oversight_request", "SELECT portal.officer_reveal_request($1, $2, $3, $4)::text AS id", 4);
static struct mado_db_stmt Q_ANSWER = MADO_DB_STMT(
    "oversight_answer", "SELECT portal.officer_reveal_answer($1, $2::bigint, $3) AS done", 3);
static struct mado_db_stmt Q_LIST =
    MADO_DB_STMT("oversight_list",
		 "SELECT id::text AS id, supervisor, org_code AS org, officer, reason,"
		 " " MADO_SQL_UTC("requested_at") " AS requested_at, answer, " MADO_SQL_UTC(
		     "answered_at") " AS answered_at"
				    " FROM portal.officer_reveal_list($1)",
		 1);

struct requested {
	char id[24];
};

int
oversight__reveal_request(struct mado_db *db, const char *supervisor, const char *org,
			  const char *officer, const char *reason, char *id, size_t idlen)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, requested, id)};
	const char *p[4] = {supervisor, org, officer, reason};
	struct requested r;
	int rc;

	if ((rc = mado_db_one(db, &Q_REQUEST, p, MADO_COLS(cols), &r)) != MADO_OK)
		return rc;
	snprintf(id, idlen, "%s", r.id);
	return id[0] != '\0' ? MADO_OK : MADO_E_NOT_FOUND;
}

struct answered {
	bool done;
};

int
oversight__reveal_answer(struct mado_db *db, const char *org, const char *id, const char *answer,
			 bool *done)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, answered, done)};
	const char *p[3] = {org, id, answer};
	struct answered a = {false};
	int rc;

	rc = mado_db_one(db, &Q_ANSWER, p, MADO_COLS(cols), &a);
	*done = a.done;
	return rc;
}

int
oversight__reveals(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, reveal, id),     MADO_COL(STR, reveal, supervisor),
	    MADO_COL(STR, reveal, org),    MADO_COL(STR, reveal, officer),
	    MADO_COL(STR, reveal, reason), MADO_COL(STR, reveal, requested_at),
	    MADO_COL(STR, reveal, answer), MADO_COL(STR, reveal, answered_at),
	};
	const char *p[1] = {org};

	return mado_db_each(db, &Q_LIST, p, MADO_COLS(cols), sizeof(struct reveal), fn, arg);
}
