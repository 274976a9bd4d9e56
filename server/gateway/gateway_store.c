/*
 * The SQL of the gateway. A query is answered by portal.gw_query, which decides, writes
 * the access record (through portal.record_access) and reads the holders' data in one
 * transaction; a report is written whole or not at all by portal.gw_report. Both are
 * SECURITY DEFINER functions in sql/functions/gateway.sql: the decisions live there,
 * beside the record they must share a transaction with.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/json.h"
#include "gateway_int.h"

static struct mado_db_stmt Q_GW_QUERY = MADO_DB_STMT(
    "gw_query",
    "SELECT outcome, coalesce(reason, '') AS reason, event_id, item, value::text AS value"
    " FROM portal.gw_query($1, $2, $3::text[], $4, $5, $6, $7, $8, $9, $10, $11::date, $12)",
    12);
static struct mado_db_stmt Q_GW_REPORT =
    MADO_DB_STMT("gw_report",
		 "SELECT coalesce(bad_index, -1) AS bad_index, bad_field, written, duplicates"
		 " FROM portal.gw_report($1, $2::jsonb)",
		 2);

/* The first row is the decision; on "served", the rows after it are item and value. */
struct answer_row {
	const char *outcome, *reason, *event_id, *item, *value;
};

static int
answer_row(const void *row, int i, void *arg)
{
	const struct answer_row *a = row;
	struct gateway_answer *out = arg;

	if (i == 0) {
		snprintf(out->outcome, sizeof(out->outcome), "%s", a->outcome);
		snprintf(out->reason, sizeof(out->reason), "%s", a->reason);
		snprintf(out->event_id, sizeof(out->event_id), "%s",
			 a->event_id ? a->event_id : "");
		snprintf(out->bad_item, sizeof(out->bad_item), "%s", a->item ? a->item : "");
		out->items = strcmp(a->outcome, "served") == 0 ? cJSON_CreateObject() : NULL;
		return MADO_OK;
	}
	if (out->items != NULL && a->item != NULL)
		mado_json_put_raw(out->items, a->item, a->value, "null");
	return MADO_OK;
}

int
gateway__query(struct mado_db *db, const char *org, const struct gateway_query *q,
	       struct gateway_answer *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, answer_row, outcome),  MADO_COL(STR, answer_row, reason),
	    MADO_COL(STR, answer_row, event_id), MADO_COL(STR, answer_row, item),
	    MADO_COL(STR, answer_row, value),
	};
	const char *p[12] = {org,           q->person,    q->items,        q->purpose,
			     q->legal_ref,  q->case_ref,  q->officer,      q->officer_role,
			     q->actor_kind, q->relay_for, q->sealed_until, q->sealing_body};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mado_db_each(db, &Q_GW_QUERY, p, MADO_COLS(cols), sizeof(struct answer_row),
			  answer_row, out);
	if (rc == MADO_OK && out->outcome[0] == '\0')
		rc = MADO_E_INTERNAL; /* a decision always comes back */
	if (rc != MADO_OK) {
		cJSON_Delete(out->items);
		out->items = NULL;
	}
	return rc;
}

int
gateway__report(struct mado_db *db, const char *org, const char *events_json,
		struct gateway_report *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(INT, gateway_report, bad_index), MADO_COL(BUF, gateway_report, bad_field),
	    MADO_COL(INT, gateway_report, written), MADO_COL(INT, gateway_report, duplicates)};
	const char *p[2] = {org, events_json};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_GW_REPORT, p, MADO_COLS(cols), out);
}
