/*
 * The SQL of consent. Every decision lives in a SECURITY DEFINER function of
 * sql/functions/consent.sql (requests, decisions, code exchange, changes, the fetch
 * decision and its record) and notices.sql (push notices); the person's lists are read
 * under row-level security.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/util.h"
#include "consent_int.h"

static struct mado_db_stmt Q_REQUEST_CREATE = MADO_DB_STMT(
    "con_request_create",
    "SELECT id, reason FROM portal.consent_request_create($1, $2, $3::text[], $4::date,"
    " $5::date, $6, $7::int, $8::int, $9::int, $10, $11)",
    11);
static struct mado_db_stmt Q_REQUEST_GET = MADO_DB_STMT(
    "con_request_get",
    "SELECT r.id, r.recipient, o.name_ja, o.name_en, r.purpose, p.name_ja, p.name_en,"
    " p.explain_ja, p.explain_en, array_to_json(r.items)::text, r.data_from::text,"
    " r.data_to::text, r.freq_unit, r.freq_max, r.data_life_days, r.valid_days, r.status,"
    " r.expires_at <= now(),"
    " (SELECT array_to_json(array(SELECT d.code FROM portal.data_items d"
    "  WHERE NOT d.code = ANY (s.items) ORDER BY d.code))::text"
    "  FROM portal.rp_services s WHERE s.org_code = r.recipient)"
    " FROM portal.consent_requests r JOIN portal.organisations o ON o.code = r.recipient"
    " JOIN portal.purposes p ON p.code = r.purpose WHERE r.id = $1::uuid",
    1);
static struct mado_db_stmt Q_DECIDE = MADO_DB_STMT(
    "con_decide",
    "SELECT consent_id, redirect_uri, state, reason FROM portal.consent_request_decide("
    "$1::uuid, $2::uuid, $3::boolean, $4::text[], $5::bytea, $6)",
    6);
static struct mado_db_stmt Q_EXCHANGE = MADO_DB_STMT(
    "con_exchange", "SELECT portal.consent_code_exchange($1, $2::bytea, $3::bytea)", 3);
static struct mado_db_stmt Q_CHANGE =
    MADO_DB_STMT("con_change",
		 "SELECT status, reason FROM portal.consent_change($1::uuid, $2::uuid, $3, $4)", 4);
static struct mado_db_stmt Q_PUSH_GIVE = MADO_DB_STMT(
    "con_push_give",
    "SELECT consent_id, reason FROM portal.consent_push_give($1::uuid, $2, $3::int, $4)", 4);
static struct mado_db_stmt Q_FETCH = MADO_DB_STMT(
    "con_fetch",
    "SELECT outcome, reason, consent_id, pseudonym, item, value FROM portal.rp_fetch($1,"
    " $2::bytea, $3, $4::text[], $5::date, $6::date)",
    6);
static struct mado_db_stmt Q_PUSH = MADO_DB_STMT(
    "con_push", "SELECT outcome, reason FROM portal.push_notice($1, $2, $3, $4, $5)", 5);
static struct mado_db_stmt Q_LIST = MADO_DB_STMT(
    "con_list",
    "SELECT c.id, c.kind, c.recipient, c.programme, c.purpose, array_to_json(c.items)::text,"
    " c.status, to_char(c.valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(c.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " c.uses_total,"
    " c.freq_unit, c.freq_max, c.data_life_days, c.data_from::text, c.data_to::text"
    " FROM portal.consents c WHERE c.person_id = $1::uuid AND ($2::uuid IS NULL OR c.id = $2::uuid)"
    " ORDER BY c.created_at DESC LIMIT 200",
    2);
static struct mado_db_stmt Q_HISTORY = MADO_DB_STMT(
    "con_history",
    "SELECT json_agg(json_build_object('at', to_char(e.at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'type', e.type, 'actor', e.actor, 'channel',"
    " e.channel, 'status', e.new_status) ORDER BY e.id)::text,"
    " (SELECT json_agg(json_build_object('at', to_char(u.at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'entry', u.event_row, 'items', u.items)"
    " ORDER BY u.at DESC)::text FROM portal.consent_uses u WHERE u.consent_id = $2::uuid"
    " AND u.person_id = $1::uuid)"
    " FROM portal.consent_events e WHERE e.consent_id = $2::uuid AND e.person_id = $1::uuid",
    2);

static struct mado_db_stmt Q_RECEIPT = MADO_DB_STMT(
    "con_receipt",
    "SELECT consent_id, kind, recipient, programme, purpose, array_to_json(items)::text,"
    " data_from::text, data_to::text, freq_unit, freq_max, data_life_days,"
    " to_char(valid_from AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " to_char(valid_until AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), event_id,"
    " event_type, to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    " event_channel, status, uses, principal"
    " FROM portal.consent_receipt($1::uuid, $2::uuid, $3::bigint)",
    3);

int
consent__request_create(struct mado_db *db, const char *org, const struct consent_ask *a, char *id,
			size_t idlen, char *reason, size_t reasonlen)
{
	const char *p[11] = {org,           a->purpose,      a->items,    a->data_from,
			     a->data_to,    a->freq_unit,    a->freq_max, a->data_life_days,
			     a->valid_days, a->redirect_uri, a->state};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_REQUEST_CREATE, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(id, idlen, r, 0, 0);
	mado_db_copy(reason, reasonlen, r, 0, 1);
	PQclear(r);
	return MADO_OK;
}

int
consent__request_get(struct mado_db *db, const char *id, cJSON **out)
{
	const char *p[1] = {id};
	cJSON *o, *n;
	PGresult *r;
	int rc;

	*out = NULL;
	if ((rc = mado_db_exec(db, &Q_REQUEST_GET, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return MADO_E_NOT_FOUND;
	}
	if ((o = cJSON_CreateObject()) == NULL) {
		PQclear(r);
		return MADO_E_NOMEM;
	}
	mado_db_json_str(o, "id", r, 0, 0);
	mado_db_json_str(o, "recipient", r, 0, 1);
	n = cJSON_AddObjectToObject(o, "recipient_name");
	mado_db_json_str(n, "ja", r, 0, 2);
	mado_db_json_str(n, "en", r, 0, 3);
	mado_db_json_str(o, "purpose", r, 0, 4);
	n = cJSON_AddObjectToObject(o, "purpose_text");
	mado_db_json_str(n, "ja", r, 0, 5);
	mado_db_json_str(n, "en", r, 0, 6);
	mado_db_json_str(n, "explain_ja", r, 0, 7);
	mado_db_json_str(n, "explain_en", r, 0, 8);
	mado_db_json_raw(o, "items", r, 0, 9, true);
	mado_db_json_str(o, "data_from", r, 0, 10);
	mado_db_json_str(o, "data_to", r, 0, 11);
	n = cJSON_AddObjectToObject(o, "frequency");
	mado_db_json_str(n, "unit", r, 0, 12);
	mado_db_json_num(n, "max", r, 0, 13);
	mado_db_json_num(o, "data_life_days", r, 0, 14);
	mado_db_json_num(o, "valid_days", r, 0, 15);
	cJSON_AddStringToObject(o, "status",
				strcmp(PQgetvalue(r, 0, 17), "t") == 0 &&
					strcmp(PQgetvalue(r, 0, 16), "pending") == 0
				    ? "expired"
				    : PQgetvalue(r, 0, 16));
	mado_db_json_raw(o, "never_items", r, 0, 18, true);
	PQclear(r);
	*out = o;
	return MADO_OK;
}

int
consent__decide(struct mado_db *db, const char *person, const char *request, bool approve,
		const char *items, const char *code_hash, const char *channel,
		struct consent_decision *out)
{
	const char *p[6] = {person, request, approve ? "true" : "false", items, code_hash, channel};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mado_db_exec(db, &Q_DECIDE, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(out->consent_id, sizeof(out->consent_id), r, 0, 0);
	mado_db_copy(out->redirect_uri, sizeof(out->redirect_uri), r, 0, 1);
	mado_db_copy(out->state, sizeof(out->state), r, 0, 2);
	mado_db_copy(out->reason, sizeof(out->reason), r, 0, 3);
	PQclear(r);
	return MADO_OK;
}

int
consent__exchange(struct mado_db *db, const char *org, const char *code_hash,
		  const char *token_hash, char *consent_id, size_t len)
{
	const char *p[3] = {org, code_hash, token_hash};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_EXCHANGE, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(consent_id, len, r, 0, 0);
	PQclear(r);
	return MADO_OK;
}

int
consent__change(struct mado_db *db, const char *person, const char *consent, const char *action,
		const char *channel, char *status, size_t slen, char *reason, size_t rlen)
{
	const char *p[4] = {person, consent, action, channel};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_CHANGE, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(status, slen, r, 0, 0);
	mado_db_copy(reason, rlen, r, 0, 1);
	PQclear(r);
	return MADO_OK;
}

int
consent__push_give(struct mado_db *db, const char *person, const char *programme, const char *days,
		   const char *channel, char *id, size_t idlen, char *reason, size_t rlen)
{
	const char *p[4] = {person, programme, days, channel};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_PUSH_GIVE, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(id, idlen, r, 0, 0);
	mado_db_copy(reason, rlen, r, 0, 1);
	PQclear(r);
	return MADO_OK;
}

int
consent__fetch(struct mado_db *db, const char *org, const char *token_hash, const char *person,
	       const char *items, const char *from, const char *to, struct consent_fetch *out)
{
	const char *p[6] = {org, token_hash, person, items, from, to};
	PGresult *r;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = mado_db_exec(db, &Q_FETCH, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) < 1) {
		PQclear(r);
		return MADO_E_INTERNAL;
	}
	mado_db_copy(out->outcome, sizeof(out->outcome), r, 0, 0);
	mado_db_copy(out->reason, sizeof(out->reason), r, 0, 1);
	mado_db_copy(out->consent_id, sizeof(out->consent_id), r, 0, 2);
	mado_db_copy(out->pseudonym, sizeof(out->pseudonym), r, 0, 3);
	if (strcmp(out->outcome, "served") == 0 &&
	    (out->items = mado_db_json_object(r, 1, 4, 5)) == NULL) {
		PQclear(r);
		return MADO_E_NOMEM;
	}
	PQclear(r);
	return MADO_OK;
}

int
consent__push(struct mado_db *db, const char *org, const char *programme, const char *person,
	      const char *title, const char *body, char *outcome, size_t olen, char *reason,
	      size_t rlen)
{
	const char *p[5] = {org, programme, person, title, body};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_PUSH, p, &r)) != MADO_OK)
		return rc;
	mado_db_copy(outcome, olen, r, 0, 0);
	mado_db_copy(reason, rlen, r, 0, 1);
	PQclear(r);
	return MADO_OK;
}

static cJSON *
consent_json(const PGresult *r, int i)
{
	cJSON *o = cJSON_CreateObject(), *f;

	if (o == NULL)
		return NULL;
	mado_db_json_str(o, "id", r, i, 0);
	mado_db_json_str(o, "kind", r, i, 1);
	mado_db_json_str(o, "recipient", r, i, 2);
	mado_db_json_str(o, "programme", r, i, 3);
	mado_db_json_str(o, "purpose", r, i, 4);
	mado_db_json_raw(o, "items", r, i, 5, true);
	mado_db_json_str(o, "status", r, i, 6);
	mado_db_json_str(o, "valid_until", r, i, 7);
	mado_db_json_str(o, "created_at", r, i, 8);
	mado_db_json_num(o, "uses", r, i, 9);
	f = cJSON_AddObjectToObject(o, "frequency");
	mado_db_json_str(f, "unit", r, i, 10);
	mado_db_json_num(f, "max", r, i, 11);
	mado_db_json_num(o, "data_life_days", r, i, 12);
	mado_db_json_str(o, "data_from", r, i, 13);
	mado_db_json_str(o, "data_to", r, i, 14);
	return o;
}

int
consent__list(struct mado_db *db, const char *person, const char *id, cJSON *out)
{
	const char *p[2] = {person, id};
	PGresult *r, *h;
	cJSON *o;
	int rc, i;

	if ((rc = mado_db_exec_as_person(db, person, &Q_LIST, p, &r)) != MADO_OK)
		return rc;
	if (id != NULL && PQntuples(r) != 1) {
		PQclear(r);
		return MADO_E_NOT_FOUND;
	}
	for (i = 0; i < PQntuples(r); i++)
		if ((o = consent_json(r, i)) != NULL)
			cJSON_AddItemToArray(out, o);
	PQclear(r);
	if (id == NULL)
		return MADO_OK;
	/* One consent: its history and its uses too. */
	if ((rc = mado_db_exec_as_person(db, person, &Q_HISTORY, p, &h)) != MADO_OK)
		return rc;
	o = cJSON_GetArrayItem(out, 0);
	mado_db_json_raw(o, "history", h, 0, 0, true);
	mado_db_json_raw(o, "use_list", h, 0, 1, true);
	PQclear(h);
	return MADO_OK;
}

int
consent__receipt_doc(struct mado_db *db, const char *person, const char *consent, const char *event,
		     char **doc)
{
	const char *p[3] = {person, consent, event};
	char stamp[32];
	cJSON *d, *c, *e, *f;
	PGresult *r;
	int rc;

	*doc = NULL;
	if ((rc = mado_db_exec(db, &Q_RECEIPT, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return MADO_E_NOT_FOUND;
	}
	if ((d = cJSON_CreateObject()) == NULL) {
		PQclear(r);
		return MADO_E_NOMEM;
	}
	mado_rfc3339_now(stamp);
	cJSON_AddStringToObject(d, "schema", "mado-consent-receipt/1");
	cJSON_AddStringToObject(d, "jurisdiction", "JP");
	cJSON_AddStringToObject(d, "issued_at", stamp);
	mado_db_json_str(d, "principal", r, 0,
			 19); /* the recipient's pseudonym, never the person id */
	c = cJSON_AddObjectToObject(d, "consent");
	mado_db_json_str(c, "id", r, 0, 0);
	mado_db_json_str(c, "kind", r, 0, 1);
	mado_db_json_str(c, "recipient", r, 0, 2);
	mado_db_json_str(c, "programme", r, 0, 3);
	mado_db_json_str(c, "purpose", r, 0, 4);
	mado_db_json_raw(c, "items", r, 0, 5, true);
	mado_db_json_str(c, "data_from", r, 0, 6);
	mado_db_json_str(c, "data_to", r, 0, 7);
	f = cJSON_AddObjectToObject(c, "frequency");
	mado_db_json_str(f, "unit", r, 0, 8);
	mado_db_json_num(f, "max", r, 0, 9);
	mado_db_json_num(c, "data_life_days", r, 0, 10);
	mado_db_json_str(c, "valid_from", r, 0, 11);
	mado_db_json_str(c, "valid_until", r, 0, 12);
	mado_db_json_str(c, "status", r, 0, 17);
	e = cJSON_AddObjectToObject(d, "event");
	mado_db_json_num(e, "id", r, 0, 13);
	mado_db_json_str(e, "type", r, 0, 14);
	mado_db_json_str(e, "at", r, 0, 15);
	mado_db_json_str(e, "channel", r, 0, 16);
	mado_db_json_num(d, "uses", r, 0, 18);
	PQclear(r);
	*doc = cJSON_PrintUnformatted(d);
	cJSON_Delete(d);
	return *doc != NULL ? MADO_OK : MADO_E_NOMEM;
}
