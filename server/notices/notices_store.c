/*
 * The SQL of the notice list. Alerts and dispute answers are put there by the access log's
 * functions; push notices by portal.push_notice, which decides under the person's push
 * consent and records the attempt either way.
 */
#include <stdio.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "notices_int.h"

static struct mado_db_stmt Q_NOTICES = MADO_DB_STMT_AS_PERSON(
    "notices_list",
    "SELECT n.id::text AS id, n.kind, " MADO_SQL_UTC(
	"n.created_at") " AS created_at,"
			" n.event_row::text AS entry,"
			" n.org_code AS org, array_to_json(n.items)::text AS items, n.case_no,"
			" n.read_at IS NOT NULL AS read, n.programme, n.title, n.body"
			" FROM portal.notices n WHERE n.person_id = $1::uuid ORDER BY n.id DESC "
			"LIMIT 100",
    1);
static struct mado_db_stmt Q_NOTICE_READ =
    MADO_DB_STMT_AS_PERSON("notices_read",
			   "UPDATE portal.notices SET read_at = coalesce(read_at, now())"
			   " WHERE person_id = $1::uuid AND id = $2::bigint",
			   2);
static struct mado_db_stmt Q_PROGRAMMES = MADO_DB_STMT(
    "notices_programmes",
    "SELECT g.code, g.org_code AS org, o.name_ja AS org_ja, o.name_en AS org_en, g.purpose,"
    " p.name_ja AS purpose_ja, p.name_en AS purpose_en, p.explain_ja, p.explain_en,"
    " g.name_ja, g.name_en, to_jsonb(g.items)::text AS items, g.max_per_month"
    " FROM portal.push_programmes g JOIN portal.organisations o ON o.code = g.org_code"
    " JOIN portal.purposes p ON p.code = g.purpose ORDER BY g.code",
    0);
static struct mado_db_stmt Q_PUSH = MADO_DB_STMT(
    "notices_push",
    "SELECT coalesce(reason, '') AS reason FROM portal.push_notice($1, $2, $3, $4, $5)", 5);

int
notices__list(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, notice, id),         MADO_COL(STR, notice, kind),
	    MADO_COL(STR, notice, created_at), MADO_COL(STR, notice, entry),
	    MADO_COL(STR, notice, org),        MADO_COL(STR, notice, items),
	    MADO_COL(STR, notice, case_no),    MADO_COL(BOOL, notice, read),
	    MADO_COL(STR, notice, programme),  MADO_COL(STR, notice, title),
	    MADO_COL(STR, notice, body),
	};
	const char *p[1] = {person};

	return mado_db_each(db, &Q_NOTICES, p, MADO_COLS(cols), sizeof(struct notice), fn, arg);
}

int
notices__read(struct mado_db *db, const char *person, const char *id, bool *found)
{
	const char *p[2] = {person, id};
	long rows = 0;
	int rc;

	rc = mado_db_run(db, &Q_NOTICE_READ, p, &rows);
	*found = rows == 1;
	return rc;
}

int
notices__programmes(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, programme, code),          MADO_COL(STR, programme, org),
	    MADO_COL(STR, programme, org_ja),        MADO_COL(STR, programme, org_en),
	    MADO_COL(STR, programme, purpose),       MADO_COL(STR, programme, purpose_ja),
	    MADO_COL(STR, programme, purpose_en),    MADO_COL(STR, programme, explain_ja),
	    MADO_COL(STR, programme, explain_en),    MADO_COL(STR, programme, name_ja),
	    MADO_COL(STR, programme, name_en),       MADO_COL(STR, programme, items),
	    MADO_COL(STR, programme, max_per_month),
	};

	(void)key; /* every programme: the list is public */
	return mado_db_each(db, &Q_PROGRAMMES, NULL, MADO_COLS(cols), sizeof(struct programme), fn,
			    arg);
}

struct pushed {
	char reason[32];
};

int
notices__push(struct mado_db *db, const char *org, const char *programme, const char *person,
	      const char *title, const char *body, char *reason, size_t rlen)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, pushed, reason)};
	const char *p[5] = {org, programme, person, title, body};
	struct pushed d;
	int rc;

	if ((rc = mado_db_one(db, &Q_PUSH, p, MADO_COLS(cols), &d)) == MADO_OK)
		snprintf(reason, rlen, "%s", d.reason);
	return rc;
}
