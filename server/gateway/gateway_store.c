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
    " FROM portal.gw_query($1, $2, $3::text[], $4, $5, $6, $7, $8, $9, $10, $11::date, $12,"
    " $13, $14::int)",
    14);
static struct mado_db_stmt Q_GW_REPORT =
    MADO_DB_STMT("gw_report",
		 "SELECT coalesce(bad_index, -1) AS bad_index, bad_field, written, duplicates"
		 " FROM portal.gw_report($1, $2::jsonb)",
		 2);

int
gateway__query(struct mado_db *db, const char *org, const struct gateway_query *q,
	       struct gateway_answer *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BUF, gateway_answer, outcome), MADO_COL(BUF, gateway_answer, reason),
	    MADO_COL(BUF, gateway_answer, event_id), MADO_COL(BUF, gateway_answer, item)};
	char grace[16];
	const char *p[14] = {org,           q->person,    q->items,        q->purpose,
			     q->legal_ref,  q->case_ref,  q->officer,      q->officer_role,
			     q->actor_kind, q->relay_for, q->sealed_until, q->sealing_body,
			     q->seal_ref,   grace};
	int rc;

	snprintf(grace, sizeof(grace), "%d", q->seal_grace_s);
	memset(out, 0, sizeof(*out));
	out->items = cJSON_CreateObject();
	rc = mado_db_decided(db, &Q_GW_QUERY, p, MADO_COLS(cols), out, mado_json_put_pair,
			     out->items);
	if (rc != MADO_OK || strcmp(out->outcome, "served") != 0) {
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
