/*
 * The SQL of the access log. The person's views read their own rows under row-level
 * security, as the person; disputes and their answers go through SECURITY DEFINER
 * functions (sql/functions/accesslog.sql), which also hold portal.record_access, the one
 * writer of the log that every other module's functions call.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "accesslog_int.h"

/* Times as the API shows them. */

/* Whether an entry's seal holds today ($2): its disclosure date is ahead, and the
   supervisor confirmed its approval reference or its grace period (seal_grace_s) runs.
   CASE, not AND: with no date, "NULL AND f()" still calls f, once for every row. */
#define SEALED_NOW                                                                                 \
	"(CASE WHEN e.sealed_until > $2::date THEN portal.seal_holds(e.id) ELSE false END)"
#define OPEN_NOW "(e.sealed_until IS NULL OR NOT " SEALED_NOW ")"

/* The columns of one entry, as the list, the entry and the export show them. A sealed
   entry that has not opened yet shows only that it exists, its date, its disclosure date
   and the supervising body. */
#define ENTRY_COLUMNS                                                                              \
	"e.id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint AS occurred_us,"              \
	" (extract(epoch FROM e.recorded_at) * 1000000)::bigint AS recorded_us,"                   \
	" " SEALED_NOW " AS sealed,"                                                               \
	" e.org_code AS org, e.relay_for, e.officer, e.officer_role, e.actor_kind, e.channel,"     \
	" e.purpose, e.legal_ref, e.case_ref, e.items::text AS items, e.consent_id,"               \
	" e.outcome, e.reason, e.sealed_until::text AS sealed_until, e.sealing_body,"              \
	" e.register_version::text AS register_version,"                                           \
	" (SELECT json_agg(json_build_object('case_no', d.case_no, 'kind', d.kind,"                \
	"  'status', d.status, 'supervisor', CASE WHEN o.case_no IS NOT NULL THEN"                 \
	"  json_build_object('outcome', o.outcome, 'finding', o.finding) END)"                     \
	"  ORDER BY d.created_at)::text FROM portal.disputes d"                                    \
	"  LEFT JOIN portal.dispute_oversight o ON o.case_no = d.case_no"                          \
	"  WHERE d.person_id = e.person_id AND d.event_row = e.id) AS disputes"
#define ENTRY_COLS                                                                                 \
	MADO_COL(STR, accesslog_entry, id), MADO_COL(STR, accesslog_entry, occurred_us),           \
	    MADO_COL(STR, accesslog_entry, recorded_us), MADO_COL(BOOL, accesslog_entry, sealed),  \
	    MADO_COL(STR, accesslog_entry, org), MADO_COL(STR, accesslog_entry, relay_for),        \
	    MADO_COL(STR, accesslog_entry, officer), MADO_COL(STR, accesslog_entry, officer_role), \
	    MADO_COL(STR, accesslog_entry, actor_kind), MADO_COL(STR, accesslog_entry, channel),   \
	    MADO_COL(STR, accesslog_entry, purpose), MADO_COL(STR, accesslog_entry, legal_ref),    \
	    MADO_COL(STR, accesslog_entry, case_ref), MADO_COL(STR, accesslog_entry, items),       \
	    MADO_COL(STR, accesslog_entry, consent_id), MADO_COL(STR, accesslog_entry, outcome),   \
	    MADO_COL(STR, accesslog_entry, reason), MADO_COL(STR, accesslog_entry, sealed_until),  \
	    MADO_COL(STR, accesslog_entry, sealing_body),                                          \
	    MADO_COL(STR, accesslog_entry, disputes),                                              \
	    MADO_COL(STR, accesslog_entry, register_version)

/* Filters on details never match a sealed entry that has not opened: they would tell
   what it is about. */
static struct mado_db_stmt Q_PAGE = MADO_DB_STMT_AS_PERSON_GENERIC(
    "log_page",
    "SELECT " ENTRY_COLUMNS " FROM portal.access_events e WHERE e.person_id = $1::uuid"
    " AND ($3::bigint IS NULL OR (e.occurred_at, e.id) < ('epoch'::timestamptz"
    "  + $3::bigint * interval '1 microsecond', $4::bigint))"
    " AND ($7::timestamptz IS NULL OR e.occurred_at >= $7::timestamptz)"
    " AND ($8::timestamptz IS NULL OR e.occurred_at < $8::timestamptz)"
    " AND (($5::text IS NULL AND $6::text IS NULL AND $9::text IS NULL AND $10::text IS NULL"
    "       AND $11::text IS NULL)"
    "  OR (" OPEN_NOW
    "   AND ($5::text IS NULL OR e.org_code = $5) AND ($6::text IS NULL OR e.channel = $6)"
    "   AND ($9::text IS NULL OR e.purpose = $9) AND ($10::text IS NULL OR $10 = ANY (e.items))"
    "   AND ($11::text IS NULL OR e.outcome = $11)))"
    " ORDER BY e.occurred_at DESC, e.id DESC LIMIT $12::int",
    12);
static struct mado_db_stmt Q_ENTRY = MADO_DB_STMT_AS_PERSON_GENERIC(
    "log_entry",
    "SELECT " ENTRY_COLUMNS ", o.name_ja AS org_ja, o.name_en AS org_en,"
    " p.name_ja AS purpose_ja, p.name_en AS purpose_en, p.explain_ja, p.explain_en,"
    " coalesce((SELECT json_build_object('ja', v.content->>'law_ja', 'en',"
    "  v.content->>'law_en')::text FROM portal.register_versions v"
    "  WHERE v.id = e.register_version AND v.kind = 'legal-basis'),"
    " (SELECT json_build_object('ja', b.law_ja, 'en', b.law_en)::text"
    "  FROM portal.legal_bases b WHERE b.org_code = coalesce(e.relay_for, e.org_code)"
    "  AND b.purpose = e.purpose AND b.legal_ref = e.legal_ref LIMIT 1)) AS law"
    " FROM portal.access_events e"
    " LEFT JOIN portal.organisations o ON o.code = e.org_code"
    " LEFT JOIN portal.purposes p ON p.code = e.purpose"
    " WHERE e.person_id = $1::uuid AND e.id = $3::bigint",
    3);
/* The summary's three statements run in one transaction as the person. */
static struct mado_db_stmt Q_SUM_MONTHS = MADO_DB_STMT(
    "log_sum_months",
    "SELECT to_char(e.occurred_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS key,"
    " count(*) AS count, count(*) FILTER (WHERE e.outcome = 'denied') AS denied,"
    " count(*) FILTER (WHERE " SEALED_NOW ") AS sealed"
    " FROM portal.access_events e WHERE e.person_id = $1::uuid"
    " AND e.occurred_at >= now() - interval '12 months' GROUP BY key ORDER BY key DESC",
    2);
static struct mado_db_stmt Q_SUM_ORGS = MADO_DB_STMT(
    "log_sum_orgs",
    "SELECT e.org_code AS key, count(*) AS count, " MADO_SQL_UTC(
	"max(e.occurred_at)") " AS last"
			      " FROM portal.access_events e"
			      " WHERE e.person_id = $1::uuid AND e.occurred_at >= now() - interval "
			      "'12 months'"
			      " AND " OPEN_NOW " GROUP BY e.org_code ORDER BY count(*) DESC",
    2);
static struct mado_db_stmt Q_SUM_ITEMS =
    MADO_DB_STMT("log_sum_items",
		 "SELECT i AS key, count(*) AS count FROM portal.access_events e, unnest(e.items) i"
		 " WHERE e.person_id = $1::uuid AND e.occurred_at >= now() - interval '12 months'"
		 " AND " OPEN_NOW " GROUP BY i ORDER BY count(*) DESC",
		 2);
/* Runs as the person (mado.person_id), which the function checks. */
static struct mado_db_stmt Q_DISPUTE_OPEN = MADO_DB_STMT_AS_PERSON(
    "log_dispute_open",
    "SELECT case_no, created FROM portal.dispute_open($1::uuid, $2::bigint, $3, $4)", 4);
static struct mado_db_stmt Q_DISPUTES = MADO_DB_STMT_AS_PERSON(
    "log_disputes",
    "SELECT d.case_no, d.event_row::text AS entry, d.item, d.org_code AS org, d.kind, d.status,"
    " d.answer, " MADO_SQL_UTC("d.created_at") " AS created_at, " MADO_SQL_UTC(
	"d.updated_at") " AS updated_at,"
			" (SELECT array_to_json(array_agg(f.item ORDER BY f.item))::text FROM "
			"portal.item_freezes f"
			"  WHERE f.case_no = d.case_no AND f.person_id = d.person_id AND "
			"f.lifted_at IS NULL)"
			" AS frozen_items,"
			" (SELECT json_build_object('organisation', o.supervisor, 'taken_at', "
			"to_char(o.taken_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), "
			"'deadline', o.deadline, 'escalated', o.escalated_at IS NOT NULL, "
			"'closed_at', to_char(o.closed_at AT TIME ZONE 'UTC', "
			"'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'outcome', o.outcome, 'finding', "
			"o.finding)::text FROM portal.dispute_oversight o WHERE o.case_no = "
			"d.case_no)"
			" AS supervisor"
			" FROM portal.disputes d WHERE d.person_id = $1::uuid ORDER BY "
			"d.created_at DESC LIMIT 200",
    1);
static struct mado_db_stmt Q_QUEUE = MADO_DB_STMT(
    "log_dispute_queue",
    "SELECT case_no, kind, status, pseudonym AS person, org_code AS org,"
    " array_to_json(items)::text AS items, " MADO_SQL_UTC(
	"occurred_at") " AS occurred_at,"
		       " " MADO_SQL_UTC(
			   "created_at") " AS created_at, note FROM portal.dispute_queue($1, $2)",
    2);
static struct mado_db_stmt Q_ANSWER =
    MADO_DB_STMT("log_dispute_answer",
		 "SELECT coalesce(portal.dispute_answer($1, $2, $3, $4), '') AS reason", 4);
static struct mado_db_stmt Q_ALERTS_GET = MADO_DB_STMT_AS_PERSON(
    "log_alerts_get", "SELECT mode FROM portal.alert_settings WHERE person_id = $1::uuid", 1);
static struct mado_db_stmt Q_ALERTS_SET = MADO_DB_STMT_AS_PERSON(
    "log_alerts_set",
    "INSERT INTO portal.alert_settings (person_id, mode) VALUES ($1::uuid, $2)"
    " ON CONFLICT (person_id) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now()",
    2);
static struct mado_db_stmt Q_COVERAGE = MADO_DB_STMT(
    "log_coverage",
    "SELECT code, kind, name_ja, name_en, gateway_since::text AS gateway_since,"
    " reports_since::text AS reports_since FROM portal.organisations ORDER BY kind, code",
    0);
static struct mado_db_stmt Q_ITEMS = MADO_DB_STMT(
    "log_items",
    "SELECT code, holder, sensitive, name_ja, name_en FROM portal.data_items ORDER BY code", 0);
static struct mado_db_stmt Q_PURPOSES = MADO_DB_STMT(
    "log_purposes",
    "SELECT code, name_ja, name_en, explain_ja, explain_en FROM portal.purposes ORDER BY code", 0);

int
accesslog__page(struct mado_db *db, const char *person, const struct accesslog_filter *f,
		mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {ENTRY_COLS};
	char limit[16];
	const char *p[12] = {person,  f->today, f->cursor_us, f->cursor_id, f->org,     f->channel,
			     f->from, f->to,    f->purpose,   f->item,      f->outcome, limit};

	/* One more than asked, to know whether another page follows. */
	snprintf(limit, sizeof(limit), "%d", f->limit + 1);
	return mado_db_each(db, &Q_PAGE, p, MADO_COLS(cols), sizeof(struct accesslog_entry), fn,
			    arg);
}

int
accesslog__entry(struct mado_db *db, const char *person, const char *id, const char *today,
		 mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    ENTRY_COLS,
	    MADO_COL(STR, accesslog_entry, org_ja),
	    MADO_COL(STR, accesslog_entry, org_en),
	    MADO_COL(STR, accesslog_entry, purpose_ja),
	    MADO_COL(STR, accesslog_entry, purpose_en),
	    MADO_COL(STR, accesslog_entry, explain_ja),
	    MADO_COL(STR, accesslog_entry, explain_en),
	    MADO_COL(STR, accesslog_entry, law),
	};
	const char *p[3] = {person, today, id};

	return mado_db_each(db, &Q_ENTRY, p, MADO_COLS(cols), sizeof(struct accesslog_entry), fn,
			    arg);
}

int
accesslog__summary(struct mado_db *db, const char *person, const char *today, mado_db_row_fn fn,
		   void *month_rows, void *org_rows, void *item_rows)
{
	static const struct mado_col months[] = {
	    MADO_COL(STR, accesslog_count, key), MADO_COL(STR, accesslog_count, count),
	    MADO_COL(STR, accesslog_count, denied), MADO_COL(STR, accesslog_count, sealed)};
	static const struct mado_col orgs[] = {MADO_COL(STR, accesslog_count, key),
					       MADO_COL(STR, accesslog_count, count),
					       MADO_COL(STR, accesslog_count, last)};
	static const struct mado_col items[] = {MADO_COL(STR, accesslog_count, key),
						MADO_COL(STR, accesslog_count, count)};
	const char *p[2] = {person, today};
	size_t size = sizeof(struct accesslog_count);
	int rc;

	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	if ((rc = mado_db_set_person(db, person)) != MADO_OK ||
	    (rc = mado_db_each(db, &Q_SUM_MONTHS, p, MADO_COLS(months), size, fn, month_rows)) !=
		MADO_OK ||
	    (rc = mado_db_each(db, &Q_SUM_ORGS, p, MADO_COLS(orgs), size, fn, org_rows)) !=
		MADO_OK ||
	    (rc = mado_db_each(db, &Q_SUM_ITEMS, p, MADO_COLS(items), size, fn, item_rows)) !=
		MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

int
accesslog__dispute_open(struct mado_db *db, const char *person, const char *id, const char *kind,
			const char *note, struct accesslog_opened *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, accesslog_opened, case_no),
					       MADO_COL(BOOL, accesslog_opened, created)};
	const char *p[4] = {person, id, kind, note};

	return mado_db_one(db, &Q_DISPUTE_OPEN, p, MADO_COLS(cols), out);
}

int
accesslog__disputes(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, accesslog_dispute, case_no),
	    MADO_COL(STR, accesslog_dispute, entry),
	    MADO_COL(STR, accesslog_dispute, item),
	    MADO_COL(STR, accesslog_dispute, org),
	    MADO_COL(STR, accesslog_dispute, kind),
	    MADO_COL(STR, accesslog_dispute, status),
	    MADO_COL(STR, accesslog_dispute, answer),
	    MADO_COL(STR, accesslog_dispute, created_at),
	    MADO_COL(STR, accesslog_dispute, updated_at),
	    MADO_COL(STR, accesslog_dispute, frozen_items),
	    MADO_COL(STR, accesslog_dispute, supervisor),
	};
	const char *p[1] = {person};

	return mado_db_each(db, &Q_DISPUTES, p, MADO_COLS(cols), sizeof(struct accesslog_dispute),
			    fn, arg);
}

int
accesslog__dispute_queue(struct mado_db *db, const char *org, const char *status, mado_db_row_fn fn,
			 void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, accesslog_dispute, case_no),
	    MADO_COL(STR, accesslog_dispute, kind),
	    MADO_COL(STR, accesslog_dispute, status),
	    MADO_COL(STR, accesslog_dispute, person),
	    MADO_COL(STR, accesslog_dispute, org),
	    MADO_COL(STR, accesslog_dispute, items),
	    MADO_COL(STR, accesslog_dispute, occurred_at),
	    MADO_COL(STR, accesslog_dispute, created_at),
	    MADO_COL(STR, accesslog_dispute, note),
	};
	const char *p[2] = {org, status};

	return mado_db_each(db, &Q_QUEUE, p, MADO_COLS(cols), sizeof(struct accesslog_dispute), fn,
			    arg);
}

struct answered {
	char reason[16];
};

int
accesslog__dispute_answer(struct mado_db *db, const char *org, const char *case_no,
			  const char *status, const char *answer, char *reason, size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, answered, reason)};
	const char *p[4] = {org, case_no, status, answer};
	struct answered a = {"case"};
	int rc;

	rc = mado_db_one(db, &Q_ANSWER, p, MADO_COLS(cols), &a);
	snprintf(reason, len, "%s", a.reason);
	return rc;
}

int
accesslog__alerts_get(struct mado_db *db, const char *person, struct accesslog_alerts *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, accesslog_alerts, mode)};
	const char *p[1] = {person};
	int rc;

	/* No row: alerts were never turned on. */
	snprintf(out->mode, sizeof(out->mode), "off");
	if ((rc = mado_db_one(db, &Q_ALERTS_GET, p, MADO_COLS(cols), out)) == MADO_E_NOT_FOUND)
		rc = MADO_OK;
	return rc;
}

int
accesslog__alerts_set(struct mado_db *db, const char *person, const char *mode)
{
	const char *p[2] = {person, mode};

	return mado_db_run(db, &Q_ALERTS_SET, p, NULL);
}

int
accesslog__coverage(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, accesslog_org, code),
	    MADO_COL(STR, accesslog_org, kind),
	    MADO_COL(STR, accesslog_org, name_ja),
	    MADO_COL(STR, accesslog_org, name_en),
	    MADO_COL(STR, accesslog_org, gateway_since),
	    MADO_COL(STR, accesslog_org, reports_since),
	};

	(void)key;
	return mado_db_each(db, &Q_COVERAGE, NULL, MADO_COLS(cols), sizeof(struct accesslog_org),
			    fn, arg);
}

int
accesslog__items(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, accesslog_item, code),       MADO_COL(STR, accesslog_item, holder),
	    MADO_COL(BOOL, accesslog_item, sensitive), MADO_COL(STR, accesslog_item, name_ja),
	    MADO_COL(STR, accesslog_item, name_en),
	};

	(void)key;
	return mado_db_each(db, &Q_ITEMS, NULL, MADO_COLS(cols), sizeof(struct accesslog_item), fn,
			    arg);
}

int
accesslog__purposes(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, accesslog_purpose, code),
	    MADO_COL(STR, accesslog_purpose, name_ja),
	    MADO_COL(STR, accesslog_purpose, name_en),
	    MADO_COL(STR, accesslog_purpose, explain_ja),
	    MADO_COL(STR, accesslog_purpose, explain_en),
	};

	(void)key;
	return mado_db_each(db, &Q_PURPOSES, NULL, MADO_COLS(cols),
			    sizeof(struct accesslog_purpose), fn, arg);
}
