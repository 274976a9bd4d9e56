/*
 * The SQL of consent. Every decision lives in a SECURITY DEFINER function of
 * sql/functions/consent.sql (requests, decisions, code exchange, changes, the fetch
 * decision and its record, which names the holders to ask): they must share a transaction with the
 * rows they decide on, and with the access record. The person's lists are read under row-level
 * security.
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
    "SELECT id::text AS id, coalesce(reason, '') AS reason FROM portal.consent_request_create("
    "$1, $2, $3::text[], $4::date, $5::date, $6, $7::int, $8::int, $9::int, $10, $11)",
    11);
static struct mado_db_stmt Q_REQUEST_GET = MADO_DB_STMT(
    "con_request_get",
    "SELECT r.id::text AS id, r.recipient, o.name_ja AS recipient_ja, o.name_en AS recipient_en,"
    " r.purpose, p.name_ja AS purpose_ja, p.name_en AS purpose_en, p.explain_ja, p.explain_en,"
    " array_to_json(r.items)::text AS items, r.data_from::text AS data_from,"
    " r.data_to::text AS data_to, r.freq_unit, r.freq_max::text AS freq_max,"
    " r.data_life_days::text AS data_life_days, r.valid_days::text AS valid_days,"
    /* A request nobody answered in time has expired, whatever its row says. */
    " CASE WHEN r.status = 'pending' AND r.expires_at <= now() THEN 'expired'"
    "  ELSE r.status END AS status,"
    " (SELECT array_to_json(array(SELECT d.code FROM portal.data_items d"
    "  WHERE NOT d.code = ANY (s.items) ORDER BY d.code))::text"
    "  FROM portal.rp_services s WHERE s.org_code = r.recipient) AS never_items"
    " FROM portal.consent_requests r JOIN portal.organisations o ON o.code = r.recipient"
    " JOIN portal.purposes p ON p.code = r.purpose WHERE r.id = $1::uuid",
    1);
/* A function deciding for a person runs as that person (mado.person_id), which it checks. */
static struct mado_db_stmt Q_DECIDE = MADO_DB_STMT_AS_PERSON(
    "con_decide",
    "SELECT consent_id::text AS consent_id, redirect_uri, state, coalesce(reason, '') AS reason"
    " FROM portal.consent_request_decide($1::uuid, $2::uuid, $3::boolean, $4::text[],"
    " $5::bytea, $6)",
    6);
static struct mado_db_stmt Q_EXCHANGE = MADO_DB_STMT(
    "con_exchange", "SELECT portal.consent_code_exchange($1, $2::bytea, $3::bytea)::text AS id", 3);
static struct mado_db_stmt Q_CHANGE =
    MADO_DB_STMT_AS_PERSON("con_change",
			   "SELECT status, coalesce(reason, '') AS reason"
			   " FROM portal.consent_change($1::uuid, $2::uuid, $3, $4)",
			   4);
static struct mado_db_stmt Q_PUSH_GIVE =
    MADO_DB_STMT_AS_PERSON("con_push_give",
			   "SELECT consent_id::text AS id, coalesce(reason, '') AS reason"
			   " FROM portal.consent_push_give($1::uuid, $2, $3::int, $4)",
			   4);
static struct mado_db_stmt Q_FETCH = MADO_DB_STMT(
    "con_fetch",
    "SELECT outcome, coalesce(reason, '') AS reason, consent_id::text AS consent_id, pseudonym,"
    " row_id, event_id::text AS event_id, purpose, data_from::text AS data_from,"
    " data_to::text AS data_to, targets::text AS targets"
    " FROM portal.rp_fetch($1, $2::bytea, $3, $4::text[], $5::date, $6::date, $7)",
    7);
/* Consents whose time is up show as expired without waiting for a use. */
static struct mado_db_stmt Q_EXPIRE_MINE = MADO_DB_STMT_AS_PERSON(
    "con_expire_mine", "SELECT portal.consents_expire_mine() WHERE $1::uuid IS NOT NULL", 1);
/* The person's consents, and one with its history and uses, each in one statement. */
#define CONSENT_COLUMNS                                                                            \
	"c.id::text AS id, c.kind, c.recipient, c.programme, c.purpose,"                           \
	" array_to_json(c.items)::text AS items, c.status, " MADO_SQL_UTC(                         \
	    "c.valid_until") " AS valid_until,"                                                    \
			     " " MADO_SQL_UTC(                                                     \
				 "c.created_at") " AS created_at, c.uses_total::text AS "          \
						 "uses, c.freq_unit,"                              \
						 " c.freq_max::text AS freq_max, "                 \
						 "c.data_life_days::text AS data_life_days,"       \
						 " c.data_from::text AS data_from, "               \
						 "c.data_to::text AS data_to"
static struct mado_db_stmt Q_LIST = MADO_DB_STMT_AS_PERSON(
    "con_list",
    "SELECT " CONSENT_COLUMNS " FROM portal.consents c WHERE c.person_id = $1::uuid"
    " ORDER BY c.created_at DESC LIMIT 200",
    1);
static struct mado_db_stmt Q_ONE = MADO_DB_STMT_AS_PERSON(
    "con_one",
    "SELECT " CONSENT_COLUMNS ","
    " (SELECT json_agg(json_build_object('at', " MADO_SQL_UTC(
	"e.at") ", 'event', e.id, 'type', e.type, 'actor',"
		"  e.actor, 'channel', e.channel, 'status', e.new_status) ORDER BY e.id)::text"
		"  FROM portal.consent_events e WHERE e.consent_id = c.id AND e.person_id = "
		"c.person_id)"
		" AS history,"
		" (SELECT json_agg(json_build_object('at', " MADO_SQL_UTC(
		    "u.at") ", 'entry', u.event_row,"
			    "  'items', u.items) ORDER BY u.at DESC)::text FROM "
			    "portal.consent_uses u"
			    "  WHERE u.consent_id = c.id AND u.person_id = c.person_id) AS use_list"
			    " FROM portal.consents c WHERE c.person_id = $1::uuid AND c.id = "
			    "$2::uuid",
    2);
static struct mado_db_stmt Q_RECEIPT = MADO_DB_STMT_AS_PERSON(
    "con_receipt",
    "SELECT consent_id::text AS consent_id, kind, recipient, programme, purpose,"
    " array_to_json(items)::text AS items, data_from::text AS data_from,"
    " data_to::text AS data_to, freq_unit, freq_max::text AS freq_max,"
    " data_life_days::text AS data_life_days, " MADO_SQL_UTC(
	"valid_from") " AS valid_from,"
		      " " MADO_SQL_UTC(
			  "valid_until") " AS valid_until, event_id::text AS event_id, event_type,"
					 " " MADO_SQL_UTC(
					     "event_at") " AS event_at, event_channel, "
							 "event_status, current_status, "
							 "uses::text AS uses, principal"
							 " FROM portal.consent_receipt($1::uuid, "
							 "$2::uuid, $3::bigint)",
    3);
int
consent__request_create(struct mado_db *db, const char *org, const struct consent_ask *a,
			struct consent_made *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, consent_made, id),
					       MADO_COL(BUF, consent_made, reason)};
	const char *p[11] = {org,           a->purpose,      a->items,    a->data_from,
			     a->data_to,    a->freq_unit,    a->freq_max, a->data_life_days,
			     a->valid_days, a->redirect_uri, a->state};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_REQUEST_CREATE, p, MADO_COLS(cols), out);
}

int
consent__request_get(struct mado_db *db, const char *id, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, consent_request, id),
	    MADO_COL(STR, consent_request, recipient),
	    MADO_COL(STR, consent_request, recipient_ja),
	    MADO_COL(STR, consent_request, recipient_en),
	    MADO_COL(STR, consent_request, purpose),
	    MADO_COL(STR, consent_request, purpose_ja),
	    MADO_COL(STR, consent_request, purpose_en),
	    MADO_COL(STR, consent_request, explain_ja),
	    MADO_COL(STR, consent_request, explain_en),
	    MADO_COL(STR, consent_request, items),
	    MADO_COL(STR, consent_request, data_from),
	    MADO_COL(STR, consent_request, data_to),
	    MADO_COL(STR, consent_request, freq_unit),
	    MADO_COL(STR, consent_request, freq_max),
	    MADO_COL(STR, consent_request, data_life_days),
	    MADO_COL(STR, consent_request, valid_days),
	    MADO_COL(STR, consent_request, status),
	    MADO_COL(STR, consent_request, never_items),
	};
	const char *p[1] = {id};

	return mado_db_each(db, &Q_REQUEST_GET, p, MADO_COLS(cols), sizeof(struct consent_request),
			    fn, arg);
}

int
consent__decide(struct mado_db *db, const char *person, const char *request, bool approve,
		const char *items, const char *code_hash, const char *channel,
		struct consent_decision *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, consent_decision, consent_id),
					       MADO_COL(BUF, consent_decision, redirect_uri),
					       MADO_COL(BUF, consent_decision, state),
					       MADO_COL(BUF, consent_decision, reason)};
	const char *p[6] = {person, request, approve ? "true" : "false", items, code_hash, channel};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_DECIDE, p, MADO_COLS(cols), out);
}

int
consent__exchange(struct mado_db *db, const char *org, const char *code_hash,
		  const char *token_hash, struct consent_made *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, consent_made, id)};
	const char *p[3] = {org, code_hash, token_hash};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_EXCHANGE, p, MADO_COLS(cols), out);
}

int
consent__change(struct mado_db *db, const char *person, const char *consent, const char *action,
		const char *channel, struct consent_made *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, consent_made, status),
					       MADO_COL(BUF, consent_made, reason)};
	const char *p[4] = {person, consent, action, channel};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_CHANGE, p, MADO_COLS(cols), out);
}

int
consent__push_give(struct mado_db *db, const char *person, const char *programme, const char *days,
		   const char *channel, struct consent_made *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, consent_made, id),
					       MADO_COL(BUF, consent_made, reason)};
	const char *p[4] = {person, programme, days, channel};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_PUSH_GIVE, p, MADO_COLS(cols), out);
}

/* The decision row, with its targets read while the result lives. */
struct fetch_row {
	char outcome[16], reason[32], consent_id[40], pseudonym[48], event_id[40], purpose[72],
	    data_from[16], data_to[16];
	long long row_id;
	const char *targets;
};

static int
take_fetch(const void *row, int i, void *arg)
{
	const struct fetch_row *d = row;
	struct consent_fetch *out = arg;

	if (i > 0)
		return MADO_E_INTERNAL; /* a decision is one row */
	memcpy(out->outcome, d->outcome, sizeof(out->outcome));
	memcpy(out->reason, d->reason, sizeof(out->reason));
	memcpy(out->consent_id, d->consent_id, sizeof(out->consent_id));
	memcpy(out->pseudonym, d->pseudonym, sizeof(out->pseudonym));
	memcpy(out->event_id, d->event_id, sizeof(out->event_id));
	memcpy(out->purpose, d->purpose, sizeof(out->purpose));
	memcpy(out->data_from, d->data_from, sizeof(out->data_from));
	memcpy(out->data_to, d->data_to, sizeof(out->data_to));
	out->row_id = d->row_id;
	if (d->targets != NULL && (out->targets = cJSON_Parse(d->targets)) == NULL)
		return MADO_E_INTERNAL;
	return MADO_OK;
}

int
consent__fetch(struct mado_db *db, const char *org, const char *token_hash, const char *person,
	       const char *items, const char *from, const char *to, const char *purpose,
	       struct consent_fetch *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BUF, fetch_row, outcome),    MADO_COL(BUF, fetch_row, reason),
	    MADO_COL(BUF, fetch_row, consent_id), MADO_COL(BUF, fetch_row, pseudonym),
	    MADO_COL(INT, fetch_row, row_id),     MADO_COL(BUF, fetch_row, event_id),
	    MADO_COL(BUF, fetch_row, purpose),    MADO_COL(BUF, fetch_row, data_from),
	    MADO_COL(BUF, fetch_row, data_to),    MADO_COL(STR, fetch_row, targets)};
	const char *p[7] = {org, token_hash, person, items, from, to, purpose};
	int rc;

	memset(out, 0, sizeof(*out));
	rc = mado_db_each(db, &Q_FETCH, p, MADO_COLS(cols), sizeof(struct fetch_row), take_fetch,
			  out);
	if (rc == MADO_OK && out->outcome[0] == '\0')
		rc = MADO_E_INTERNAL;
	if (rc != MADO_OK || strcmp(out->outcome, "served") != 0) {
		cJSON_Delete(out->targets);
		out->targets = NULL;
	}
	return rc;
}

#define CONSENT_COLS                                                                               \
	MADO_COL(STR, consent_row, id), MADO_COL(STR, consent_row, kind),                          \
	    MADO_COL(STR, consent_row, recipient), MADO_COL(STR, consent_row, programme),          \
	    MADO_COL(STR, consent_row, purpose), MADO_COL(STR, consent_row, items),                \
	    MADO_COL(STR, consent_row, status), MADO_COL(STR, consent_row, valid_until),           \
	    MADO_COL(STR, consent_row, created_at), MADO_COL(STR, consent_row, uses),              \
	    MADO_COL(STR, consent_row, freq_unit), MADO_COL(STR, consent_row, freq_max),           \
	    MADO_COL(STR, consent_row, data_life_days), MADO_COL(STR, consent_row, data_from),     \
	    MADO_COL(STR, consent_row, data_to)

int
consent__list(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {CONSENT_COLS};
	const char *p[1] = {person};
	int rc;

	if ((rc = mado_db_run(db, &Q_EXPIRE_MINE, p, NULL)) != MADO_OK)
		return rc;
	return mado_db_each(db, &Q_LIST, p, MADO_COLS(cols), sizeof(struct consent_row), fn, arg);
}

int
consent__one(struct mado_db *db, const char *person, const char *id, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {CONSENT_COLS, MADO_COL(STR, consent_row, history),
					       MADO_COL(STR, consent_row, use_list)};
	const char *p[2] = {person, id};
	int rc;

	if ((rc = mado_db_run(db, &Q_EXPIRE_MINE, p, NULL)) != MADO_OK)
		return rc;
	return mado_db_each(db, &Q_ONE, p, MADO_COLS(cols), sizeof(struct consent_row), fn, arg);
}

int
consent__receipt(struct mado_db *db, const char *person, const char *consent, const char *event,
		 mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, consent_receipt, consent_id),
	    MADO_COL(STR, consent_receipt, kind),
	    MADO_COL(STR, consent_receipt, recipient),
	    MADO_COL(STR, consent_receipt, programme),
	    MADO_COL(STR, consent_receipt, purpose),
	    MADO_COL(STR, consent_receipt, items),
	    MADO_COL(STR, consent_receipt, data_from),
	    MADO_COL(STR, consent_receipt, data_to),
	    MADO_COL(STR, consent_receipt, freq_unit),
	    MADO_COL(STR, consent_receipt, freq_max),
	    MADO_COL(STR, consent_receipt, data_life_days),
	    MADO_COL(STR, consent_receipt, valid_from),
	    MADO_COL(STR, consent_receipt, valid_until),
	    MADO_COL(STR, consent_receipt, event_id),
	    MADO_COL(STR, consent_receipt, event_type),
	    MADO_COL(STR, consent_receipt, event_at),
	    MADO_COL(STR, consent_receipt, event_channel),
	    MADO_COL(STR, consent_receipt, event_status),
	    MADO_COL(STR, consent_receipt, current_status),
	    MADO_COL(STR, consent_receipt, uses),
	    MADO_COL(STR, consent_receipt, principal),
	};
	const char *p[3] = {person, consent, event};

	return mado_db_each(db, &Q_RECEIPT, p, MADO_COLS(cols), sizeof(struct consent_receipt), fn,
			    arg);
}
