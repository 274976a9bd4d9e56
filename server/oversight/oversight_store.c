/*
 * The SQL of oversight, through SECURITY DEFINER functions that check who may ask and who
 * may answer (sql/functions/oversight.sql): the supervisor's requests to reveal an
 * official and the organisations' answers; the anomaly scan, its cases and their
 * answers; statistics; the supervisor's handling of disputes; public transparency.
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

#define UTC(col) MADO_SQL_UTC(col)

static struct mado_db_stmt Q_ROLLUP =
    MADO_DB_STMT("oversight_rollup", "SELECT portal.oversight_rollup($1::int)", 1);
static struct mado_db_stmt Q_SCAN =
    MADO_DB_STMT("oversight_scan", "SELECT portal.oversight_scan($1::jsonb) AS found", 1);
static struct mado_db_stmt Q_OVERVIEW =
    MADO_DB_STMT("oversight_overview", "SELECT portal.oversight_overview($1::int)::text AS doc", 1);
static struct mado_db_stmt Q_STATISTICS =
    MADO_DB_STMT("oversight_statistics",
		 "SELECT portal.oversight_statistics($1::date, $2::date, $3::int)::text AS doc", 3);
static struct mado_db_stmt Q_TRANSPARENCY = MADO_DB_STMT(
    "oversight_transparency", "SELECT portal.transparency($1::int, $2::int)::text AS doc", 2);
#define ANOMALY_COLS                                                                               \
	"id::text AS id, kind, org_code AS org, subject, " UTC(                                    \
	    "period_start") " AS period_start, " UTC("period_end") " AS period_end, "              \
								   "measure::text AS measure, "    \
								   "baseline::text AS "            \
								   "baseline, threshold::text AS " \
								   "threshold, " UTC(              \
								       "found_at") " AS "          \
										   "found_at, "    \
										   "status, " UTC( \
										       "closed_"   \
										       "at") " AS" \
											     " "   \
											     "clo" \
											     "sed" \
											     "_at" \
											     ", "  \
											     "fin" \
											     "din" \
											     "g"
static struct mado_db_stmt Q_ANOMALIES =
    MADO_DB_STMT("oversight_anomalies", "SELECT " ANOMALY_COLS " FROM portal.anomaly_list($1)", 1);
static struct mado_db_stmt Q_ANOMALY = MADO_DB_STMT(
    "oversight_anomaly", "SELECT " ANOMALY_COLS " FROM portal.anomaly_get($1::bigint)", 1);
static struct mado_db_stmt Q_HISTORY =
    MADO_DB_STMT("oversight_history",
		 "SELECT id::text AS id, " UTC("at") " AS at, author, kind, body"
						     " FROM portal.anomaly_history($1::bigint)",
		 1);
static struct mado_db_stmt Q_ACT = MADO_DB_STMT(
    "oversight_act",
    "SELECT coalesce(portal.anomaly_act($1, $2, $3::bigint, $4, $5), '') AS reason", 5);
static struct mado_db_stmt Q_ASKED = MADO_DB_STMT(
    "oversight_asked",
    "SELECT id::text AS id, kind, subject, " UTC("period_start") " AS period_start, " UTC(
	"period_end") " AS period_end, measure::text AS measure, threshold::text AS threshold,"
		      " status, questions::text AS questions FROM portal.anomaly_asked_of($1)",
    1);
static struct mado_db_stmt Q_ANOMALY_ANSWER = MADO_DB_STMT(
    "oversight_anomaly_answer", "SELECT portal.anomaly_answer($1, $2::bigint, $3) AS done", 3);
static struct mado_db_stmt Q_DISPUTES = MADO_DB_STMT(
    "oversight_disputes",
    "SELECT case_no, kind, status, org_code AS org, " UTC("created_at") " AS created_at, " UTC(
	"updated_at") " AS updated_at, taken_by, deadline::text AS "
		      "deadline, " UTC("escalated_at") " AS "
						       "escalated_at,"
						       " " UTC("closed_"
							       "at") " AS"
								     " cl"
								     "ose"
								     "d_"
								     "at,"
								     " ou"
								     "tco"
								     "me,"
								     " ov"
								     "erd"
								     "ue"
								     " FR"
								     "OM "
								     "por"
								     "tal"
								     ".ov"
								     "ers"
								     "igh"
								     "t_"
								     "dis"
								     "put"
								     "es("
								     "$1,"
								     " $"
								     "2::"
								     "int"
								     ")",
    2);
static struct mado_db_stmt Q_DISPUTE_READ = MADO_DB_STMT(
    "oversight_dispute_read",
    "SELECT case_no, kind, status, note, answer, org_code AS "
    "org, " UTC("created_at") " AS created_at, " UTC("updated_at") " AS updated_at, item, " UTC(
	"occurred_at") " AS occurred_at, "
		       "array_to_json(items)::text AS items, "
		       "purpose, "
		       "legal_ref, officer, officer_role, "
		       "channel, outcome, reason, "
		       "taken_by, " UTC(
			   "taken_at") " AS taken_at, "
				       "deadline::text AS "
				       "deadline, " UTC(
					   "escalated_at") " "
							   "A"
							   "S"
							   " "
							   "e"
							   "s"
							   "c"
							   "a"
							   "l"
							   "a"
							   "t"
							   "e"
							   "d"
							   "_"
							   "a"
							   "t"
							   ","
							   " "
							   "e"
							   "s"
							   "c"
							   "a"
							   "l"
							   "a"
							   "t"
							   "i"
							   "o"
							   "n"
							   ","
							   " " UTC(
							       "c"
							       "l"
							       "o"
							       "s"
							       "e"
							       "d"
							       "_"
							       "a"
							       "t") " AS closed_at, outcome_found, "
								    "finding, record_row::text AS "
								    "record_row"
								    " FROM "
								    "portal.oversight_dispute_read("
								    "$1, $2, $3)",
    3);
static struct mado_db_stmt Q_DISPUTE_ACT = MADO_DB_STMT(
    "oversight_dispute_act",
    "SELECT coalesce(portal.oversight_dispute_act($1, $2, $3, $4, $5::date, $6, $7), '') AS "
    "reason",
    7);

static const struct mado_reason act_reasons[] = {
    {"case", MADO_E_NOT_FOUND},
    {"state", MADO_E_CONFLICT},
    {NULL, 0},
};

struct found {
	int found;
};

int
oversight__rollup(struct mado_db *db, int lag_s)
{
	char lag[16];
	const char *p[1] = {lag};

	snprintf(lag, sizeof(lag), "%d", lag_s);
	return mado_db_run(db, &Q_ROLLUP, p, NULL);
}

int
oversight__scan(struct mado_db *db, const char *thresholds, int *found)
{
	static const struct mado_col cols[] = {MADO_COL(INT, found, found)};
	const char *p[1] = {thresholds};
	struct found f = {0};
	int rc;

	rc = mado_db_one(db, &Q_SCAN, p, MADO_COLS(cols), &f);
	*found = f.found;
	return rc;
}

static const struct mado_col DOC_COLS[] = {MADO_COL(STR, oversight_doc, doc)};

int
oversight__overview(struct mado_db *db, int due_days, mado_db_row_fn fn, void *arg)
{
	char due[16];
	const char *p[1] = {due};

	snprintf(due, sizeof(due), "%d", due_days);
	return mado_db_each(db, &Q_OVERVIEW, p, MADO_COLS(DOC_COLS), sizeof(struct oversight_doc),
			    fn, arg);
}

int
oversight__statistics(struct mado_db *db, const char *from, const char *to, int due_days,
		      mado_db_row_fn fn, void *arg)
{
	char due[16];
	const char *p[3] = {from, to, due};

	snprintf(due, sizeof(due), "%d", due_days);
	return mado_db_each(db, &Q_STATISTICS, p, MADO_COLS(DOC_COLS), sizeof(struct oversight_doc),
			    fn, arg);
}

int
oversight__transparency(struct mado_db *db, int min_cell, int months, mado_db_row_fn fn, void *arg)
{
	char min[16], mon[16];
	const char *p[2] = {min, mon};

	snprintf(min, sizeof(min), "%d", min_cell);
	snprintf(mon, sizeof(mon), "%d", months);
	return mado_db_each(db, &Q_TRANSPARENCY, p, MADO_COLS(DOC_COLS),
			    sizeof(struct oversight_doc), fn, arg);
}

static const struct mado_col ANOMALY_COLS_READ[] = {
    MADO_COL(STR, oversight_anomaly, id),           MADO_COL(STR, oversight_anomaly, kind),
    MADO_COL(STR, oversight_anomaly, org),          MADO_COL(STR, oversight_anomaly, subject),
    MADO_COL(STR, oversight_anomaly, period_start), MADO_COL(STR, oversight_anomaly, period_end),
    MADO_COL(STR, oversight_anomaly, measure),      MADO_COL(STR, oversight_anomaly, baseline),
    MADO_COL(STR, oversight_anomaly, threshold),    MADO_COL(STR, oversight_anomaly, found_at),
    MADO_COL(STR, oversight_anomaly, status),       MADO_COL(STR, oversight_anomaly, closed_at),
    MADO_COL(STR, oversight_anomaly, finding),
};

int
oversight__anomalies(struct mado_db *db, const char *status, mado_db_row_fn fn, void *arg)
{
	const char *p[1] = {status};

	return mado_db_each(db, &Q_ANOMALIES, p, MADO_COLS(ANOMALY_COLS_READ),
			    sizeof(struct oversight_anomaly), fn, arg);
}

int
oversight__anomaly(struct mado_db *db, const char *id, mado_db_row_fn fn, void *arg)
{
	const char *p[1] = {id};

	return mado_db_each(db, &Q_ANOMALY, p, MADO_COLS(ANOMALY_COLS_READ),
			    sizeof(struct oversight_anomaly), fn, arg);
}

int
oversight__anomaly_history(struct mado_db *db, const char *id, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, oversight_event, id),     MADO_COL(STR, oversight_event, at),
	    MADO_COL(STR, oversight_event, author), MADO_COL(STR, oversight_event, kind),
	    MADO_COL(STR, oversight_event, body),
	};
	const char *p[1] = {id};

	return mado_db_each(db, &Q_HISTORY, p, MADO_COLS(cols), sizeof(struct oversight_event), fn,
			    arg);
}

struct decided {
	char reason[16];
};

int
oversight__anomaly_act(struct mado_db *db, const char *sup, const char *staff, const char *id,
		       const char *action, const char *body)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, decided, reason)};
	const char *p[5] = {sup, staff, id, action, body};
	struct decided d;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = mado_db_one(db, &Q_ACT, p, MADO_COLS(cols), &d)) != MADO_OK)
		return rc;
	return mado_db_decision(d.reason, act_reasons);
}

int
oversight__asked_of(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, oversight_asked, id),
	    MADO_COL(STR, oversight_asked, kind),
	    MADO_COL(STR, oversight_asked, subject),
	    MADO_COL(STR, oversight_asked, period_start),
	    MADO_COL(STR, oversight_asked, period_end),
	    MADO_COL(STR, oversight_asked, measure),
	    MADO_COL(STR, oversight_asked, threshold),
	    MADO_COL(STR, oversight_asked, status),
	    MADO_COL(STR, oversight_asked, questions),
	};
	const char *p[1] = {org};

	return mado_db_each(db, &Q_ASKED, p, MADO_COLS(cols), sizeof(struct oversight_asked), fn,
			    arg);
}

int
oversight__anomaly_answer(struct mado_db *db, const char *org, const char *id, const char *answer,
			  bool *done)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, answered, done)};
	const char *p[3] = {org, id, answer};
	struct answered a = {false};
	int rc;

	rc = mado_db_one(db, &Q_ANOMALY_ANSWER, p, MADO_COLS(cols), &a);
	*done = a.done;
	return rc;
}

int
oversight__disputes(struct mado_db *db, const char *filter, int due_days, mado_db_row_fn fn,
		    void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, oversight_dispute, case_no),
	    MADO_COL(STR, oversight_dispute, kind),
	    MADO_COL(STR, oversight_dispute, status),
	    MADO_COL(STR, oversight_dispute, org),
	    MADO_COL(STR, oversight_dispute, created_at),
	    MADO_COL(STR, oversight_dispute, updated_at),
	    MADO_COL(STR, oversight_dispute, taken_by),
	    MADO_COL(STR, oversight_dispute, deadline),
	    MADO_COL(STR, oversight_dispute, escalated_at),
	    MADO_COL(STR, oversight_dispute, closed_at),
	    MADO_COL(STR, oversight_dispute, outcome),
	    MADO_COL(BOOL, oversight_dispute, overdue),
	};
	char due[16];
	const char *p[2] = {filter, due};

	snprintf(due, sizeof(due), "%d", due_days);
	return mado_db_each(db, &Q_DISPUTES, p, MADO_COLS(cols), sizeof(struct oversight_dispute),
			    fn, arg);
}

int
oversight__dispute_read(struct mado_db *db, const char *sup, const char *staff, const char *case_no,
			mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, oversight_case, case_no),
	    MADO_COL(STR, oversight_case, kind),
	    MADO_COL(STR, oversight_case, status),
	    MADO_COL(STR, oversight_case, note),
	    MADO_COL(STR, oversight_case, answer),
	    MADO_COL(STR, oversight_case, org),
	    MADO_COL(STR, oversight_case, created_at),
	    MADO_COL(STR, oversight_case, updated_at),
	    MADO_COL(STR, oversight_case, item),
	    MADO_COL(STR, oversight_case, occurred_at),
	    MADO_COL(STR, oversight_case, items),
	    MADO_COL(STR, oversight_case, purpose),
	    MADO_COL(STR, oversight_case, legal_ref),
	    MADO_COL(STR, oversight_case, officer),
	    MADO_COL(STR, oversight_case, officer_role),
	    MADO_COL(STR, oversight_case, channel),
	    MADO_COL(STR, oversight_case, outcome),
	    MADO_COL(STR, oversight_case, reason),
	    MADO_COL(STR, oversight_case, taken_by),
	    MADO_COL(STR, oversight_case, taken_at),
	    MADO_COL(STR, oversight_case, deadline),
	    MADO_COL(STR, oversight_case, escalated_at),
	    MADO_COL(STR, oversight_case, escalation),
	    MADO_COL(STR, oversight_case, closed_at),
	    MADO_COL(STR, oversight_case, outcome_found),
	    MADO_COL(STR, oversight_case, finding),
	    MADO_COL(STR, oversight_case, record_row),
	};
	const char *p[3] = {sup, staff, case_no};

	return mado_db_each(db, &Q_DISPUTE_READ, p, MADO_COLS(cols), sizeof(struct oversight_case),
			    fn, arg);
}

int
oversight__dispute_act(struct mado_db *db, const char *sup, const char *staff, const char *case_no,
		       const char *action, const char *deadline, const char *text,
		       const char *outcome)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, decided, reason)};
	const char *p[7] = {sup, staff, case_no, action, deadline, text, outcome};
	struct decided d;
	int rc;

	memset(&d, 0, sizeof(d));
	if ((rc = mado_db_one(db, &Q_DISPUTE_ACT, p, MADO_COLS(cols), &d)) != MADO_OK)
		return rc;
	return mado_db_decision(d.reason, act_reasons);
}
