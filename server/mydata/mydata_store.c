/*
 * The SQL of My information: the statements call SECURITY DEFINER functions of
 * sql/functions/mydata.sql and gateway.sql. portal.mydata_read writes the access record
 * and names the holders to ask in one statement, run as the person (mado.person_id,
 * which the function checks) and committed before any holder is asked.
 */
#include "mado/db.h"
#include "mado/err.h"
#include "mydata_int.h"

static struct mado_db_stmt Q_READ = MADO_DB_STMT_AS_PERSON(
    "mydata_read",
    "SELECT reason, event_row::text AS event_row, event_id::text AS event_id, requester,"
    " purpose, legal_ref, targets::text AS targets, org, org_ja, org_en, item, item_ja,"
    " item_en, source_ja, source_en, frozen, cases::text AS cases"
    " FROM portal.mydata_read($1::uuid, $2, $3::bytea)",
    3);
static struct mado_db_stmt Q_CASE_OPEN = MADO_DB_STMT_AS_PERSON(
    "mydata_case_open",
    "SELECT case_no, created FROM portal.mydata_case_open($1::uuid, $2, $3, $4)", 4);

int
mydata__read(struct mado_db *db, const char *person, const char *session, const char *item,
	     mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, mydata_row, reason),    MADO_COL(STR, mydata_row, event_row),
	    MADO_COL(STR, mydata_row, event_id),  MADO_COL(STR, mydata_row, requester),
	    MADO_COL(STR, mydata_row, purpose),   MADO_COL(STR, mydata_row, legal_ref),
	    MADO_COL(STR, mydata_row, targets),   MADO_COL(STR, mydata_row, org),
	    MADO_COL(STR, mydata_row, org_ja),    MADO_COL(STR, mydata_row, org_en),
	    MADO_COL(STR, mydata_row, item),      MADO_COL(STR, mydata_row, item_ja),
	    MADO_COL(STR, mydata_row, item_en),   MADO_COL(STR, mydata_row, source_ja),
	    MADO_COL(STR, mydata_row, source_en), MADO_COL(BOOL, mydata_row, frozen),
	    MADO_COL(STR, mydata_row, cases),
	};
	const char *p[3] = {person, item, session};

	return mado_db_each(db, &Q_READ, p, MADO_COLS(cols), sizeof(struct mydata_row), fn, arg);
}

int
mydata__case_open(struct mado_db *db, const char *person, const char *item, const char *kind,
		  const char *note, struct mydata_opened *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, mydata_opened, case_no),
					       MADO_COL(BOOL, mydata_opened, created)};
	const char *p[4] = {person, item, kind, note};

	return mado_db_one(db, &Q_CASE_OPEN, p, MADO_COLS(cols), out);
}
