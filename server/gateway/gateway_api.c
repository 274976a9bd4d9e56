/*
 * The agency gateway on the mTLS listener (agencies only): a query is decided and its
 * access record committed before any holder is asked; the holders' answers come back
 * sealed to the agency's reply key, through Mado, which cannot read them. Accesses made
 * inside an agency's own systems are reported in all-or-nothing batches.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/gateway.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/relay.h"
#include "gateway_int.h"

/* seal_grace_s: how long a seal holds before the supervisor confirms it. */
static int seal_grace_s = 259200;

void
mado_gateway_init(const struct mado_config *cfg)
{
	seal_grace_s = cfg->seal_grace_s;
}

/* A failed write of the record means no data: whatever the cause, the answer is 503. */
static int
record_failed(struct mado_req *rq, int rc)
{
	if (rc == MADO_E_DB_UNAVAILABLE)
		return rc;
	mado_log_err(rq->id, "the access record could not be written (%s)", mado_err_slug(rc));
	return MADO_E_ACCESS_RECORD_FAILED;
}

static const struct mado_reason query_reasons[] = {
    {"unknown-person", MADO_E_UNKNOWN_PERSON},
    {"unknown-item", MADO_E_VALIDATION},
    {"relay-not-registered", MADO_E_NO_LEGAL_BASIS},
    {"no-legal-basis", MADO_E_NO_LEGAL_BASIS},
    {"seal-not-allowed", MADO_E_NO_LEGAL_BASIS},
    {"items-frozen", MADO_E_ITEMS_FROZEN},
    {NULL, 0},
};

/* The served query, committed: each holder asked for its part, the answers passed on as
   they came. A holder that does not answer fails the query, and its record says so. */
static int
relay(struct mado_req *rq, const struct gateway_query *q, struct gateway_answer *a)
{
	char row[24];
	struct mado_relay_job job = {
	    .row = row,
	    .record = a->event_id,
	    .requester = rq->actor.org,
	    .purpose = q->purpose,
	    .legal_ref = q->legal_ref,
	    .reply_key = q->reply_key,
	    .req_id = rq->id,
	};
	cJSON *answers, *out;
	int rc;

	snprintf(row, sizeof(row), "%lld", a->row_id);
	rc = mado_relay_answers(rq, &job, a->targets, &answers);
	cJSON_Delete(a->targets);
	if (rc != MADO_OK) {
		mado_http_ext(rq, "event_id", a->event_id);
		return mado_http_fail(rq, rc, "a holder of the data did not answer");
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "event_id", a->event_id);
	cJSON_AddItemToObject(out, "answers", answers);
	return mado_http_json(rq, 200, out);
}

static int
query(struct mado_req *rq)
{
	struct gateway_answer a;
	struct gateway_query q;
	struct mado_bad bad;
	struct mado_db *db;
	int rc;

	if (!gateway__read_query(rq->json, time(NULL), &q, &bad))
		return mado_http_bad_input(rq, &bad);
	q.seal_grace_s = seal_grace_s;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = gateway__query(db, rq->actor.org, &q, &a)) != MADO_OK)
		return record_failed(rq, rc);
	if ((rc = mado_db_decision(a.reason, query_reasons)) != MADO_OK) {
		if (strcmp(a.outcome, "denied") == 0) {
			/* Refused, and the refusal is in the person's log. */
			mado_http_ext(rq, "event_id", a.event_id);
			return mado_http_refuse(rq, rc, a.reason);
		}
		if (rc == MADO_E_VALIDATION) {
			mado_http_ext(rq, "field", "items");
			return mado_http_fail(rq, rc, "items names an unknown item: %.64s", a.item);
		}
		return rc;
	}
	return relay(rq, &q, &a);
}

static int
report(struct mado_req *rq)
{
	const cJSON *events = mado_http_member(rq, "events");
	struct gateway_report res;
	struct mado_bad bad;
	struct mado_db *db;
	char *text;
	cJSON *out;
	int rc;

	if (!gateway__check_events(events, time(NULL), &bad))
		return mado_http_bad_input(rq, &bad);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	text = cJSON_PrintUnformatted(events);
	rc = gateway__report(db, rq->actor.org, text, &res);
	cJSON_free(text);
	if (rc != MADO_OK)
		return record_failed(rq, rc);
	if (res.bad_index >= 0) {
		mado_http_ext_int(rq, "index", res.bad_index);
		mado_http_ext(rq, "field", res.bad_field);
		return mado_http_fail(rq, MADO_E_VALIDATION, "event %d: %s is not known to Mado",
				      res.bad_index, res.bad_field);
	}
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "accepted", res.written + res.duplicates);
	cJSON_AddNumberToObject(out, "written", res.written);
	cJSON_AddNumberToObject(out, "duplicates", res.duplicates);
	return mado_http_json(rq, res.written > 0 ? 201 : 200, out);
}

/* A report batch of 1000 events fits in 1 MiB. */
static const struct mado_route routes[] = {
    {.method = "POST",
     .pattern = "/gw/v1/queries",
     .handler = query,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_AGENCY,
     .body = MADO_BODY_OBJECT,
     .fields = gateway__query_fields,
     .body_max = 16384},
    {.method = "POST",
     .pattern = "/gw/v1/access-reports",
     .handler = report,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_AGENCY,
     .body = MADO_BODY_OBJECT,
     .fields = gateway__report_fields,
     .body_max = 1048576},
};

const struct mado_route_set mado_gateway_routes = MADO_ROUTE_SET("gateway", routes);
