/*
 * The SQL of access transparency. Gateway calls go through the SECURITY DEFINER
 * functions of sql/functions/gateway.sql and accesslog.sql; the person's views read their
 * own rows under row-level security, with mado.person_id set in the same transaction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "access_int.h"

static struct mado_db_stmt Q_PARTITIONS =
    MADO_DB_STMT("acc_partitions", "SELECT portal.access_partitions_ensure(2)", 0);
static struct mado_db_stmt Q_ORG_BY_KEY =
    MADO_DB_STMT("acc_org_by_key", "SELECT code, kind FROM portal.org_by_key($1)", 1);
static struct mado_db_stmt Q_ORG_CERT_ADD =
    MADO_DB_STMT("acc_org_cert_add",
		 "INSERT INTO portal.org_certs (key_hash, org_code) VALUES ($1, $2)"
		 " ON CONFLICT (key_hash) DO UPDATE SET org_code = EXCLUDED.org_code,"
		 " revoked_at = NULL WHERE portal.org_certs.org_code = EXCLUDED.org_code",
		 2);
static struct mado_db_stmt Q_GW_QUERY = MADO_DB_STMT(
    "acc_gw_query",
    "SELECT row_id, event_id, outcome, reason, item, value FROM portal.gw_query($1, $2,"
    " $3::text[], $4, $5, $6, $7, $8, $9, $10, $11::date, $12)",
    12);
static struct mado_db_stmt Q_GW_REPORT = MADO_DB_STMT(
    "acc_gw_report",
    "SELECT bad_index, bad_field, written, duplicates FROM portal.gw_report($1, $2::jsonb)", 2);
static struct mado_db_stmt Q_QUEUE =
    MADO_DB_STMT("acc_queue",
		 "SELECT case_no, kind, status, pseudonym, org_code, array_to_json(items)::text,"
		 " to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
		 " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), note"
		 " FROM portal.dispute_queue($1, $2)",
		 2);
static struct mado_db_stmt Q_ANSWER =
    MADO_DB_STMT("acc_answer", "SELECT portal.dispute_answer($1, $2, $3, $4)", 4);
static struct mado_db_stmt Q_REVEAL_REQUEST =
    MADO_DB_STMT("acc_reveal_request", "SELECT portal.officer_reveal_request($1, $2, $3, $4)", 4);
static struct mado_db_stmt Q_REVEAL_ANSWER =
    MADO_DB_STMT("acc_reveal_answer", "SELECT portal.officer_reveal_answer($1, $2::bigint, $3)", 3);
static struct mado_db_stmt Q_REVEAL_LIST = MADO_DB_STMT(
    "acc_reveal_list",
    "SELECT id, supervisor, org_code, officer, reason,"
    " to_char(requested_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), answer,"
    " to_char(answered_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
    " FROM portal.officer_reveal_list($1)",
    1);
static struct mado_db_stmt Q_AS_PERSON =
    MADO_DB_STMT("acc_as_person", "SELECT set_config('mado.person_id', $1, true)", 1);

/* The columns of one entry, as the list, the entry and the export show them. A sealed
   entry that has not opened yet shows only that it exists, its date, its disclosure date
   and the supervising body. */
#define ENTRY_COLUMNS                                                                              \
	"e.id, (extract(epoch FROM e.occurred_at) * 1000000)::bigint,"                             \
	" (extract(epoch FROM e.recorded_at) * 1000000)::bigint,"                                  \
	" e.sealed_until IS NOT NULL AND e.sealed_until > $2::date,"                               \
	" e.org_code, e.relay_for, e.officer, e.officer_role, e.actor_kind, e.channel,"            \
	" e.purpose, e.legal_ref, e.case_ref, e.items::text, e.consent_id,"                        \
	" e.outcome, e.reason, e.sealed_until::text, e.sealing_body,"                              \
	" (SELECT json_agg(json_build_object('case_no', d.case_no, 'kind', d.kind,"                \
	"  'status', d.status) ORDER BY d.created_at)::text FROM portal.disputes d"                \
	"  WHERE d.person_id = e.person_id AND d.event_row = e.id)"
enum {
	C_ID,
	C_OCCURRED, /* microseconds since the epoch: the cursor, and the time shown */
	C_RECORDED,
	C_SEALED,
	C_ORG,
	C_RELAY,
	C_OFFICER,
	C_ROLE,
	C_KIND,
	C_CHANNEL,
	C_PURPOSE,
	C_LEGAL,
	C_CASE,
	C_ITEMS,
	C_CONSENT,
	C_OUTCOME,
	C_REASON,
	C_SEALED_UNTIL,
	C_SEALING_BODY,
	C_DISPUTES,
	C__N
};

/* Filters on details never match a sealed entry that has not opened: they would tell
   what it is about. */
static struct mado_db_stmt Q_PAGE = MADO_DB_STMT(
    "acc_page",
    "SELECT " ENTRY_COLUMNS " FROM portal.access_events e WHERE e.person_id = $1::uuid"
    " AND ($3::bigint IS NULL OR (e.occurred_at, e.id) < ('epoch'::timestamptz"
    "  + $3::bigint * interval '1 microsecond', $4::bigint))"
    " AND ($7::timestamptz IS NULL OR e.occurred_at >= $7::timestamptz)"
    " AND ($8::timestamptz IS NULL OR e.occurred_at < $8::timestamptz)"
    " AND (($5::text IS NULL AND $6::text IS NULL AND $9::text IS NULL AND $10::text IS NULL"
    "       AND $11::text IS NULL)"
    "  OR ((e.sealed_until IS NULL OR e.sealed_until <= $2::date)"
    "   AND ($5::text IS NULL OR e.org_code = $5) AND ($6::text IS NULL OR e.channel = $6)"
    "   AND ($9::text IS NULL OR e.purpose = $9) AND ($10::text IS NULL OR $10 = ANY (e.items))"
    "   AND ($11::text IS NULL OR e.outcome = $11)))"
    " ORDER BY e.occurred_at DESC, e.id DESC LIMIT $12::int",
    12);
static struct mado_db_stmt Q_ENTRY = MADO_DB_STMT(
    "acc_entry",
    "SELECT " ENTRY_COLUMNS ", o.name_ja, o.name_en, p.name_ja, p.name_en, p.explain_ja,"
    " p.explain_en, (SELECT json_build_object('ja', b.law_ja, 'en', b.law_en)::text"
    "  FROM portal.legal_bases b WHERE b.org_code = coalesce(e.relay_for, e.org_code)"
    "  AND b.purpose = e.purpose AND b.legal_ref = e.legal_ref LIMIT 1)"
    " FROM portal.access_events e"
    " LEFT JOIN portal.organisations o ON o.code = e.org_code"
    " LEFT JOIN portal.purposes p ON p.code = e.purpose"
    " WHERE e.person_id = $1::uuid AND e.id = $3::bigint",
    3);
static struct mado_db_stmt Q_SUM_MONTHS = MADO_DB_STMT(
    "acc_sum_months",
    "SELECT to_char(e.occurred_at AT TIME ZONE 'Asia/Tokyo', 'YYYY-MM') AS m, count(*),"
    " count(*) FILTER (WHERE e.outcome = 'denied'),"
    " count(*) FILTER (WHERE e.sealed_until > $2::date)"
    " FROM portal.access_events e WHERE e.person_id = $1::uuid"
    " AND e.occurred_at >= now() - interval '12 months' GROUP BY m ORDER BY m DESC",
    2);
static struct mado_db_stmt Q_SUM_ORGS =
    MADO_DB_STMT("acc_sum_orgs",
		 "SELECT e.org_code, count(*), to_char(max(e.occurred_at) AT TIME ZONE 'UTC',"
		 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM portal.access_events e"
		 " WHERE e.person_id = $1::uuid AND e.occurred_at >= now() - interval '12 months'"
		 " AND (e.sealed_until IS NULL OR e.sealed_until <= $2::date)"
		 " GROUP BY e.org_code ORDER BY count(*) DESC",
		 2);
static struct mado_db_stmt Q_SUM_ITEMS =
    MADO_DB_STMT("acc_sum_items",
		 "SELECT i, count(*) FROM portal.access_events e, unnest(e.items) i"
		 " WHERE e.person_id = $1::uuid AND e.occurred_at >= now() - interval '12 months'"
		 " AND (e.sealed_until IS NULL OR e.sealed_until <= $2::date)"
		 " GROUP BY i ORDER BY count(*) DESC",
		 2);
static struct mado_db_stmt Q_DISPUTE_OPEN = MADO_DB_STMT(
    "acc_dispute_open",
    "SELECT case_no, created FROM portal.dispute_open($1::uuid, $2::bigint, $3, $4)", 4);
static struct mado_db_stmt Q_DISPUTES = MADO_DB_STMT(
    "acc_disputes",
    "SELECT d.case_no, d.event_row, d.org_code, d.kind, d.status, d.answer,"
    " to_char(d.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(d.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " (SELECT array_to_json(array_agg(f.item ORDER BY f.item))::text FROM portal.item_freezes f"
    "  WHERE f.case_no = d.case_no AND f.person_id = d.person_id AND f.lifted_at IS NULL)"
    " FROM portal.disputes d WHERE d.person_id = $1::uuid ORDER BY d.created_at DESC LIMIT 200",
    1);
static struct mado_db_stmt Q_ALERTS_GET = MADO_DB_STMT(
    "acc_alerts_get", "SELECT mode FROM portal.alert_settings WHERE person_id = $1::uuid", 1);
static struct mado_db_stmt Q_ALERTS_SET =
    MADO_DB_STMT("acc_alerts_set",
		 "INSERT INTO portal.alert_settings (person_id, mode) VALUES ($1::uuid, $2)"
		 " ON CONFLICT (person_id) DO UPDATE SET mode = EXCLUDED.mode, updated_at = now()",
		 2);
static struct mado_db_stmt Q_NOTICES =
    MADO_DB_STMT("acc_notices",
		 "SELECT n.id, n.kind, to_char(n.created_at AT TIME ZONE 'UTC',"
		 " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), n.event_row, n.org_code,"
		 " array_to_json(n.items)::text, n.case_no, n.read_at IS NOT NULL, n.programme,"
		 " n.title, n.body"
		 " FROM portal.notices n WHERE n.person_id = $1::uuid ORDER BY n.id DESC LIMIT 100",
		 1);
static struct mado_db_stmt Q_NOTICE_READ =
    MADO_DB_STMT("acc_notice_read",
		 "UPDATE portal.notices SET read_at = coalesce(read_at, now())"
		 " WHERE person_id = $1::uuid AND id = $2::bigint",
		 2);
static struct mado_db_stmt Q_COVERAGE =
    MADO_DB_STMT("acc_coverage",
		 "SELECT code, kind, name_ja, name_en, gateway_since::text, reports_since::text"
		 " FROM portal.organisations ORDER BY kind, code",
		 0);
static struct mado_db_stmt Q_CAT_ITEMS = MADO_DB_STMT(
    "acc_cat_items",
    "SELECT code, holder, sensitive, name_ja, name_en FROM portal.data_items ORDER BY code", 0);
static struct mado_db_stmt Q_CAT_PURPOSES = MADO_DB_STMT(
    "acc_cat_purposes",
    "SELECT code, name_ja, name_en, explain_ja, explain_en FROM portal.purposes ORDER BY code", 0);

int
access__partitions_ensure(struct mado_db *db)
{
	return mado_db_run(db, &Q_PARTITIONS, NULL);
}

int
access__org_by_key(struct mado_db *db, const char *key_hash, char *org, size_t orglen, char *kind,
		   size_t kindlen, bool *found)
{
	const char *p[1] = {key_hash};
	PGresult *r;
	int rc;

	*found = false;
	if ((rc = mado_db_exec(db, &Q_ORG_BY_KEY, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) == 1) {
		mado_db_copy(org, orglen, r, 0, 0);
		mado_db_copy(kind, kindlen, r, 0, 1);
		*found = true;
	}
	PQclear(r);
	return MADO_OK;
}

int
access__add_org_cert(struct mado_db *db, const char *org, const char *key_hash)
{
	const char *p[2] = {key_hash, org};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_ORG_CERT_ADD, p, &r)) != MADO_OK)
		return rc;
	/* No row: the key is already bound to another organisation. */
	rc = strcmp(PQcmdTuples(r), "1") == 0 ? MADO_OK : MADO_E_CONFLICT;
	PQclear(r);
	return rc;
}

int
access__gw_query(struct mado_db *db, const char *org, const struct access_query *q,
		 struct access_query_result *out)
{
	const char *p[12] = {org,
			     q->person,
			     q->items,
			     q->purpose,
			     q->legal_ref,
			     q->case_ref,
			     q->officer,
			     q->officer_role,
			     q->actor_kind,
			     q->relay_for,
			     q->sealed_until[0] != '\0' ? q->sealed_until : NULL,
			     q->sealing_body};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mado_db_exec(db, &Q_GW_QUERY, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return MADO_E_INTERNAL;
	}
	mado_db_copy(out->event_id, sizeof(out->event_id), r, 0, 1);
	mado_db_copy(out->outcome, sizeof(out->outcome), r, 0, 2);
	mado_db_copy(out->reason, sizeof(out->reason), r, 0, 3);
	mado_db_copy(out->bad_item, sizeof(out->bad_item), r, 0, 4);
	if (strcmp(out->outcome, "served") == 0 &&
	    (out->items = mado_db_json_object(r, 1, 4, 5)) == NULL) {
		PQclear(r);
		return MADO_E_NOMEM;
	}
	PQclear(r);
	return MADO_OK;
}

int
access__gw_report(struct mado_db *db, const char *org, const char *events_json,
		  struct access_report_result *out)
{
	const char *p[2] = {org, events_json};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	out->bad_index = -1;
	if ((rc = mado_db_exec(db, &Q_GW_REPORT, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return MADO_E_INTERNAL;
	}
	if (!PQgetisnull(r, 0, 0)) {
		out->bad_index = atoi(PQgetvalue(r, 0, 0));
		mado_db_copy(out->bad_field, sizeof(out->bad_field), r, 0, 1);
	}
	out->written = atoi(PQgetvalue(r, 0, 2));
	out->duplicates = atoi(PQgetvalue(r, 0, 3));
	PQclear(r);
	return MADO_OK;
}

int
access__dispute_queue(struct mado_db *db, const char *org, const char *status, cJSON *out)
{
	const char *p[2] = {org, status};
	PGresult *r;
	cJSON *o;
	int rc, i;

	if ((rc = mado_db_exec(db, &Q_QUEUE, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "case_no", r, i, 0);
		mado_db_json_str(o, "kind", r, i, 1);
		mado_db_json_str(o, "status", r, i, 2);
		mado_db_json_str(o, "person", r, i, 3);
		mado_db_json_str(o, "organisation", r, i, 4);
		mado_db_json_raw(o, "items", r, i, 5, false);
		mado_db_json_str(o, "occurred_at", r, i, 6);
		mado_db_json_str(o, "created_at", r, i, 7);
		mado_db_json_str(o, "note", r, i, 8);
		cJSON_AddItemToArray(out, o);
	}
	PQclear(r);
	return MADO_OK;
}

int
access__dispute_answer(struct mado_db *db, const char *org, const char *case_no, const char *status,
		       const char *answer, bool *done)
{
	const char *p[4] = {org, case_no, status, answer};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_ANSWER, p, &r)) != MADO_OK)
		return rc;
	*done = PQntuples(r) == 1 && strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return MADO_OK;
}

int
access__reveal_request(struct mado_db *db, const char *supervisor, const char *org,
		       const char *officer, const char *reason, char *id, size_t idlen)
{
	const char *p[4] = {supervisor, org, officer, reason};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_REVEAL_REQUEST, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(id, idlen, r, 0, 0);
	PQclear(r);
	return id[0] != '\0' ? MADO_OK : MADO_E_NOT_FOUND;
}

int
access__reveal_answer(struct mado_db *db, const char *org, const char *id, const char *answer,
		      bool *done)
{
	const char *p[3] = {org, id, answer};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_REVEAL_ANSWER, p, &r)) != MADO_OK)
		return rc;
	*done = strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	PQclear(r);
	return MADO_OK;
}

int
access__reveal_list(struct mado_db *db, const char *org, cJSON *out)
{
	const char *p[1] = {org};
	PGresult *r;
	cJSON *o;
	int rc, i;

	if ((rc = mado_db_exec(db, &Q_REVEAL_LIST, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddNumberToObject(o, "id", atof(PQgetvalue(r, i, 0)));
		mado_db_json_str(o, "supervisor", r, i, 1);
		mado_db_json_str(o, "organisation", r, i, 2);
		mado_db_json_str(o, "officer", r, i, 3);
		mado_db_json_str(o, "reason", r, i, 4);
		mado_db_json_str(o, "requested_at", r, i, 5);
		mado_db_json_str(o, "answer", r, i, 6);
		mado_db_json_str(o, "answered_at", r, i, 7);
		cJSON_AddItemToArray(out, o);
	}
	PQclear(r);
	return MADO_OK;
}

/* One row of ENTRY_COLUMNS (and, with detail, the entry's names) as pointers into r. */
static void
row_of(const PGresult *r, int i, bool detail, struct access_row *e)
{
	memset(e, 0, sizeof(*e));
	e->id = PQgetvalue(r, i, C_ID);
	e->occurred_us = PQgetvalue(r, i, C_OCCURRED);
	e->recorded_us = PQgetvalue(r, i, C_RECORDED);
	e->sealed = strcmp(PQgetvalue(r, i, C_SEALED), "t") == 0;
	e->org = mado_db_val(r, i, C_ORG);
	e->relay_for = mado_db_val(r, i, C_RELAY);
	e->officer = mado_db_val(r, i, C_OFFICER);
	e->officer_role = mado_db_val(r, i, C_ROLE);
	e->actor_kind = mado_db_val(r, i, C_KIND);
	e->channel = mado_db_val(r, i, C_CHANNEL);
	e->purpose = mado_db_val(r, i, C_PURPOSE);
	e->legal_ref = mado_db_val(r, i, C_LEGAL);
	e->case_ref = mado_db_val(r, i, C_CASE);
	e->items = mado_db_val(r, i, C_ITEMS);
	e->consent_id = mado_db_val(r, i, C_CONSENT);
	e->outcome = mado_db_val(r, i, C_OUTCOME);
	e->reason = mado_db_val(r, i, C_REASON);
	e->sealed_until = mado_db_val(r, i, C_SEALED_UNTIL);
	e->sealing_body = mado_db_val(r, i, C_SEALING_BODY);
	e->disputes = mado_db_val(r, i, C_DISPUTES);
	if (!detail)
		return;
	e->org_ja = mado_db_val(r, i, C__N + 0);
	e->org_en = mado_db_val(r, i, C__N + 1);
	e->purpose_ja = mado_db_val(r, i, C__N + 2);
	e->purpose_en = mado_db_val(r, i, C__N + 3);
	e->explain_ja = mado_db_val(r, i, C__N + 4);
	e->explain_en = mado_db_val(r, i, C__N + 5);
	e->law = mado_db_val(r, i, C__N + 6);
}

int
access__log_page(struct mado_db *db, const char *person, const struct access_filter *f,
		 access_row_fn fn, void *arg, char *next, size_t nextlen)
{
	struct access_row e;
	char limit[16];
	const char *p[12] = {person,  f->today, f->cursor_us, f->cursor_id, f->org,     f->channel,
			     f->from, f->to,    f->purpose,   f->item,      f->outcome, limit};
	PGresult *r;
	int rc, i, n;

	/* One more than asked, to know whether another page follows. */
	snprintf(limit, sizeof(limit), "%d", f->limit + 1);
	if ((rc = mado_db_exec_as_person(db, person, &Q_PAGE, p, &r)) != MADO_OK)
		return rc;
	n = PQntuples(r);
	next[0] = '\0';
	for (i = 0; i < n && i < f->limit; i++) {
		row_of(r, i, false, &e);
		fn(&e, arg);
	}
	if (n > f->limit)
		snprintf(next, nextlen, "%s-%s", PQgetvalue(r, f->limit - 1, C_OCCURRED),
			 PQgetvalue(r, f->limit - 1, C_ID));
	PQclear(r);
	return MADO_OK;
}

int
access__log_entry(struct mado_db *db, const char *person, const char *id, const char *today,
		  access_row_fn fn, void *arg)
{
	const char *p[3] = {person, today, id};
	struct access_row e;
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec_as_person(db, person, &Q_ENTRY, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return MADO_E_NOT_FOUND;
	}
	row_of(r, 0, true, &e);
	fn(&e, arg);
	PQclear(r);
	return MADO_OK;
}

struct summary_arg {
	const char *person, *today;
	cJSON *out;
};

static int
summary_tx(struct mado_db *db, void *arg)
{
	struct summary_arg *a = arg;
	const char *p1[1] = {a->person};
	const char *p[2] = {a->person, a->today};
	cJSON *months, *orgs, *items, *o;
	PGresult *r;
	int rc, i;

	if ((rc = mado_db_run(db, &Q_AS_PERSON, p1)) != MADO_OK)
		return rc;
	months = cJSON_AddArrayToObject(a->out, "months");
	orgs = cJSON_AddArrayToObject(a->out, "organisations");
	items = cJSON_AddArrayToObject(a->out, "items");
	if (months == NULL || orgs == NULL || items == NULL)
		return MADO_E_NOMEM;
	if ((rc = mado_db_exec(db, &Q_SUM_MONTHS, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "month", r, i, 0);
		cJSON_AddNumberToObject(o, "count", atof(PQgetvalue(r, i, 1)));
		cJSON_AddNumberToObject(o, "denied", atof(PQgetvalue(r, i, 2)));
		cJSON_AddNumberToObject(o, "sealed", atof(PQgetvalue(r, i, 3)));
		cJSON_AddItemToArray(months, o);
	}
	PQclear(r);
	if ((rc = mado_db_exec(db, &Q_SUM_ORGS, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "organisation", r, i, 0);
		cJSON_AddNumberToObject(o, "count", atof(PQgetvalue(r, i, 1)));
		mado_db_json_str(o, "last", r, i, 2);
		cJSON_AddItemToArray(orgs, o);
	}
	PQclear(r);
	if ((rc = mado_db_exec(db, &Q_SUM_ITEMS, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "item", r, i, 0);
		cJSON_AddNumberToObject(o, "count", atof(PQgetvalue(r, i, 1)));
		cJSON_AddItemToArray(items, o);
	}
	PQclear(r);
	return MADO_OK;
}

int
access__log_summary(struct mado_db *db, const char *person, const char *today, cJSON *out)
{
	struct summary_arg a = {person, today, out};

	return mado_db_tx(db, summary_tx, &a);
}

int
access__dispute_open(struct mado_db *db, const char *person, const char *id, const char *kind,
		     const char *note, char *case_no, size_t len, bool *created)
{
	const char *p[4] = {person, id, kind, note};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_DISPUTE_OPEN, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return MADO_E_NOT_FOUND;
	}
	mado_db_copy(case_no, len, r, 0, 0);
	*created = strcmp(PQgetvalue(r, 0, 1), "t") == 0;
	PQclear(r);
	return MADO_OK;
}

/* Runs st for the person (params[0]) under row-level security. */
static int
own_exec(struct mado_db *db, struct mado_db_stmt *st, const char *const *params, PGresult **res)
{
	return mado_db_exec_as_person(db, params[0], st, params, res);
}

int
access__disputes(struct mado_db *db, const char *person, cJSON *out)
{
	const char *p[1] = {person};
	PGresult *r;
	cJSON *o;
	int rc, i;

	if ((rc = own_exec(db, &Q_DISPUTES, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "case_no", r, i, 0);
		cJSON_AddNumberToObject(o, "entry", atof(PQgetvalue(r, i, 1)));
		mado_db_json_str(o, "organisation", r, i, 2);
		mado_db_json_str(o, "kind", r, i, 3);
		mado_db_json_str(o, "status", r, i, 4);
		mado_db_json_str(o, "answer", r, i, 5);
		mado_db_json_str(o, "created_at", r, i, 6);
		mado_db_json_str(o, "updated_at", r, i, 7);
		mado_db_json_raw(o, "frozen_items", r, i, 8, false);
		cJSON_AddItemToArray(out, o);
	}
	PQclear(r);
	return MADO_OK;
}

int
access__alerts_get(struct mado_db *db, const char *person, char *mode, size_t len)
{
	const char *p[1] = {person};
	PGresult *r;
	int rc;

	if ((rc = own_exec(db, &Q_ALERTS_GET, p, &r)) != MADO_OK)
		return rc;
	snprintf(mode, len, "%s", PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "off");
	PQclear(r);
	return MADO_OK;
}

int
access__alerts_set(struct mado_db *db, const char *person, const char *mode)
{
	const char *p[2] = {person, mode};
	PGresult *r;
	int rc;

	if ((rc = own_exec(db, &Q_ALERTS_SET, p, &r)) == MADO_OK)
		PQclear(r);
	return rc;
}

int
access__notices(struct mado_db *db, const char *person, cJSON *out)
{
	const char *p[1] = {person};
	PGresult *r;
	cJSON *o;
	int rc, i;

	if ((rc = own_exec(db, &Q_NOTICES, p, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddNumberToObject(o, "id", atof(PQgetvalue(r, i, 0)));
		mado_db_json_str(o, "kind", r, i, 1);
		mado_db_json_str(o, "created_at", r, i, 2);
		if (!PQgetisnull(r, i, 3))
			cJSON_AddNumberToObject(o, "entry", atof(PQgetvalue(r, i, 3)));
		mado_db_json_str(o, "organisation", r, i, 4);
		mado_db_json_raw(o, "items", r, i, 5, false);
		mado_db_json_str(o, "case_no", r, i, 6);
		mado_db_json_bool(o, "read", r, i, 7);
		if (!PQgetisnull(r, i, 8)) {
			mado_db_json_str(o, "programme", r, i, 8);
			mado_db_json_str(o, "title", r, i, 9);
			mado_db_json_str(o, "body", r, i, 10);
		}
		cJSON_AddItemToArray(out, o);
	}
	PQclear(r);
	return MADO_OK;
}

int
access__notice_read(struct mado_db *db, const char *person, const char *id, bool *found)
{
	const char *p[2] = {person, id};
	PGresult *r;
	int rc;

	if ((rc = own_exec(db, &Q_NOTICE_READ, p, &r)) != MADO_OK)
		return rc;
	*found = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return MADO_OK;
}

int
access__coverage(struct mado_db *db, cJSON *out)
{
	PGresult *r;
	cJSON *o;
	int rc, i;

	if ((rc = mado_db_exec(db, &Q_COVERAGE, NULL, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "code", r, i, 0);
		mado_db_json_str(o, "kind", r, i, 1);
		mado_db_json_str(o, "name_ja", r, i, 2);
		mado_db_json_str(o, "name_en", r, i, 3);
		mado_db_json_str(o, "gateway_since", r, i, 4);
		mado_db_json_str(o, "reports_since", r, i, 5);
		cJSON_AddItemToArray(out, o);
	}
	PQclear(r);
	return MADO_OK;
}

int
access__catalogue(struct mado_db *db, cJSON *out)
{
	cJSON *orgs, *items, *purposes, *o;
	PGresult *r;
	int rc, i;

	orgs = cJSON_AddArrayToObject(out, "organisations");
	items = cJSON_AddArrayToObject(out, "items");
	purposes = cJSON_AddArrayToObject(out, "purposes");
	if (orgs == NULL || items == NULL || purposes == NULL)
		return MADO_E_NOMEM;
	if ((rc = access__coverage(db, orgs)) != MADO_OK)
		return rc;
	if ((rc = mado_db_exec(db, &Q_CAT_ITEMS, NULL, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "code", r, i, 0);
		mado_db_json_str(o, "holder", r, i, 1);
		mado_db_json_bool(o, "sensitive", r, i, 2);
		mado_db_json_str(o, "name_ja", r, i, 3);
		mado_db_json_str(o, "name_en", r, i, 4);
		cJSON_AddItemToArray(items, o);
	}
	PQclear(r);
	if ((rc = mado_db_exec(db, &Q_CAT_PURPOSES, NULL, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r); i++) {
		if ((o = cJSON_CreateObject()) == NULL)
			break;
		mado_db_json_str(o, "code", r, i, 0);
		mado_db_json_str(o, "name_ja", r, i, 1);
		mado_db_json_str(o, "name_en", r, i, 2);
		mado_db_json_str(o, "explain_ja", r, i, 3);
		mado_db_json_str(o, "explain_en", r, i, 4);
		cJSON_AddItemToArray(purposes, o);
	}
	PQclear(r);
	return MADO_OK;
}
