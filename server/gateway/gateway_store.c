/*
 * The SQL of the gateway. A query is decided by portal.gw_query, which writes the access
 * record (through portal.record_access) and names the holders to ask in one transaction;
 * a report is written whole or not at all by portal.gw_report. Both are SECURITY DEFINER
 * functions in sql/functions/gateway.sql: the decisions live there, beside the record
 * they must share a transaction with.
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
    "SELECT outcome, coalesce(reason, '') AS reason, event_id, row_id, item,"
    " targets::text AS targets"
    " FROM portal.gw_query($1, $2, $3::text[], $4, $5, $6, $7, $8, $9, $10, $11::date, $12,"
    " $13, $14::int)",
    14);
static struct mado_db_stmt Q_GW_REPORT =
    MADO_DB_STMT("gw_report",
		 "SELECT coalesce(bad_index, -1) AS bad_index, bad_field, written, duplicates"
		 " FROM portal.gw_report($1, $2::jsonb)",
		 2);

/* The decision row, with its targets read while the result lives. */
struct decided {
	char outcome[16], reason[48], event_id[40], item[72];
	long long row_id;
	const char *targets;
};

static int
take_decision(const void *row, int i, void *arg)
{
	const struct decided *d = row;
	struct gateway_answer *out = arg;

	if (i > 0)
		return MADO_E_INTERNAL; /* a decision is one row */
	memcpy(out->outcome, d->outcome, sizeof(out->outcome));
	memcpy(out->reason, d->reason, sizeof(out->reason));
	memcpy(out->event_id, d->event_id, sizeof(out->event_id));
	memcpy(out->item, d->item, sizeof(out->item));
	out->row_id = d->row_id;
	if (d->targets != NULL && (out->targets = cJSON_Parse(d->targets)) == NULL)
		return MADO_E_INTERNAL;
	return MADO_OK;
}

int
gateway__query(struct mado_db *db, const char *org, const struct gateway_query *q,
	       struct gateway_answer *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BUF, decided, outcome),  MADO_COL(BUF, decided, reason),
	    MADO_COL(BUF, decided, event_id), MADO_COL(BUF, decided, item),
	    MADO_COL(INT, decided, row_id),   MADO_COL(STR, decided, targets)};
	char grace[16];
	const char *p[14] = {org,           q->person,    q->items,        q->purpose,
			     q->legal_ref,  q->case_ref,  q->officer,      q->officer_role,
			     q->actor_kind, q->relay_for, q->sealed_until, q->sealing_body,
			     q->seal_ref,   grace};
	int rc;

	snprintf(grace, sizeof(grace), "%d", q->seal_grace_s);
	memset(out, 0, sizeof(*out));
	rc = mado_db_each(db, &Q_GW_QUERY, p, MADO_COLS(cols), sizeof(struct decided),
			  take_decision, out);
	if (rc == MADO_OK && out->outcome[0] == '\0')
		rc = MADO_E_INTERNAL;
	if (rc != MADO_OK || strcmp(out->outcome, "served") != 0) {
		cJSON_Delete(out->targets);
		out->targets = NULL;
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
