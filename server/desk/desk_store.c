/*
 * The SQL of desk visits: every statement calls a SECURITY DEFINER function of
 * sql/functions/desk.sql, which decides; the resident's list is read as the person.
 */
#include <stdio.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "desk_int.h"

static struct mado_db_stmt Q_START = MADO_DB_STMT(
    "desk_start",
    "SELECT visit::text AS id, greatest(1, ceil(extract(epoch FROM ends_at - now())))::int"
    " AS expires_in FROM portal.desk_visit_start($1::bytea, $2, $3::int)",
    3);
static struct mado_db_stmt Q_NONCE =
    MADO_DB_STMT("desk_nonce",
		 "SELECT state, coalesce(nonce, '') AS nonce"
		 " FROM portal.desk_visit_nonce($1::bytea, $2::uuid)",
		 2);
static struct mado_db_stmt Q_CARD =
    MADO_DB_STMT("desk_card",
		 "SELECT coalesce(portal.desk_visit_card($1::bytea, $2::uuid, $3::uuid, $4::bigint,"
		 " $5::bytea, $6), 0) AS left_s",
		 6);
static struct mado_db_stmt Q_END =
    MADO_DB_STMT("desk_end", "SELECT portal.desk_visit_end($1::bytea, $2::uuid) AS ended", 2);
static struct mado_db_stmt Q_VISITS = MADO_DB_STMT_AS_PERSON(
    "desk_visits",
    "SELECT id::text AS id, " MADO_SQL_UTC(
	"started_at") " AS started_at,"
		      " " MADO_SQL_UTC("ended_at") " AS ended_at, " MADO_SQL_UTC(
			  "ends_at") " AS ends_at,"
				     " end_reason, org_code AS org, org_ja, org_en, clerk, role,"
				     " array_to_json(themes)::text AS themes, requests::text AS "
				     "requests"
				     " FROM portal.desk_visits_of($1::uuid, $2::bytea)",
    2);

int
desk__start(struct mado_db *db, const char *terminal, const char *nonce, int max_s,
	    struct desk_started *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, desk_started, id),
					       MADO_COL(INT, desk_started, expires_in)};
	char max[16];
	const char *p[3] = {terminal, nonce, max};

	memset(out, 0, sizeof(*out));
	snprintf(max, sizeof(max), "%d", max_s);
	return mado_db_one(db, &Q_START, p, MADO_COLS(cols), out);
}

struct nonce_row {
	char state[16];
	char nonce[64];
};

int
desk__nonce(struct mado_db *db, const char *terminal, const char *visit, char *state, size_t slen,
	    char *nonce, size_t nlen)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, nonce_row, state),
					       MADO_COL(BUF, nonce_row, nonce)};
	const char *p[2] = {terminal, visit};
	struct nonce_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mado_db_one(db, &Q_NONCE, p, MADO_COLS(cols), &r);
	snprintf(state, slen, "%s", r.state);
	snprintf(nonce, nlen, "%s", r.nonce);
	return rc;
}

struct left_row {
	int left_s;
};

int
desk__card(struct mado_db *db, const char *terminal, const char *visit, const char *person,
	   const char *binding, const char *key, const char *csrf, int *left)
{
	static const struct mado_col cols[] = {MADO_COL(INT, left_row, left_s)};
	const char *p[6] = {terminal, visit, person, binding, key, csrf};
	struct left_row r = {0};
	int rc;

	rc = mado_db_one(db, &Q_CARD, p, MADO_COLS(cols), &r);
	*left = r.left_s;
	return rc;
}

struct ended_row {
	bool ended;
};

int
desk__end(struct mado_db *db, const char *terminal, const char *visit, bool *ended)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, ended_row, ended)};
	const char *p[2] = {terminal, visit};
	struct ended_row r = {false};
	int rc;

	rc = mado_db_one(db, &Q_END, p, MADO_COLS(cols), &r);
	*ended = r.ended;
	return rc;
}

int
desk__visits(struct mado_db *db, const char *person, const char *session, mado_db_row_fn fn,
	     void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, desk_visit, id),         MADO_COL(STR, desk_visit, started_at),
	    MADO_COL(STR, desk_visit, ended_at),   MADO_COL(STR, desk_visit, ends_at),
	    MADO_COL(STR, desk_visit, end_reason), MADO_COL(STR, desk_visit, org),
	    MADO_COL(STR, desk_visit, org_ja),     MADO_COL(STR, desk_visit, org_en),
	    MADO_COL(STR, desk_visit, clerk),      MADO_COL(STR, desk_visit, role),
	    MADO_COL(STR, desk_visit, themes),     MADO_COL(STR, desk_visit, requests),
	};
	const char *p[2] = {person, session};

	return mado_db_each(db, &Q_VISITS, p, MADO_COLS(cols), sizeof(struct desk_visit), fn, arg);
}
