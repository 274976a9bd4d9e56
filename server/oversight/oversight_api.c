/*
 * Oversight on the mTLS listener: the supervisor asks an organisation who an official's
 * pseudonymous id (as its records hold it) stands for; the organisation answers once;
 * both read the requests that concern them.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/oversight.h"
#include "oversight_int.h"

static int
reveal_request(struct mado_req *rq)
{
	struct mado_db *db;
	char id[24];
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = oversight__reveal_request(db, rq->actor.org, mado_http_str(rq, "organisation"),
				       mado_http_str(rq, "officer"), mado_http_str(rq, "reason"),
				       id, sizeof(id));
	if (rc == MADO_E_NOT_FOUND)
		return mado_http_fail(rq, rc, "that organisation's records hold no such official");
	if (rc != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	mado_json_put_num(out, "id", id, "null");
	return mado_http_json(rq, 201, out);
}

static const struct mado_jmember reveal_json[] = {
    MADO_JM(NUM, reveal, id, "id"),
    MADO_JM(STR, reveal, supervisor, "supervisor"),
    MADO_JM(STR, reveal, org, "organisation"),
    MADO_JM(STR, reveal, officer, "officer"),
    MADO_JM(STR, reveal, reason, "reason"),
    MADO_JM(STR, reveal, requested_at, "requested_at"),
    MADO_JM(STR, reveal, answer, "answer"),
    MADO_JM(STR, reveal, answered_at, "answered_at"),
};

static int
reveals(struct mado_req *rq)
{
	return mado_http_rows(rq, "reveals", oversight__reveals, rq->actor.org,
			      MADO_COLS(reveal_json));
}

static int
reveal_answer(struct mado_req *rq)
{
	struct mado_db *db;
	bool done;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__reveal_answer(db, rq->actor.org, rq->params[0],
					   mado_http_str(rq, "answer"), &done)) != MADO_OK)
		return rc;
	if (!done)
		return mado_http_fail(rq, MADO_E_NOT_FOUND,
				      "no unanswered request with this id for your organisation");
	return mado_http_no_content(rq);
}

static const struct mado_field request_body[] = {
    {.name = "organisation", .kind = MADO_K_ORG, .required = true},
    {.name = "officer", .kind = MADO_K_OFFICER, .required = true},
    {.name = "reason", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 1000},
    MADO_FIELDS_END,
};
static const struct mado_field id_path[] = {{.name = "id", .kind = MADO_K_ID}, MADO_FIELDS_END};
static const struct mado_field answer_body[] = {
    {.name = "answer", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 1000},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "POST",
     .pattern = "/gw/v1/officer-reveals",
     .handler = reveal_request,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_SUPERVISOR,
     .body = MADO_BODY_OBJECT,
     .fields = request_body,
     .body_max = 4096},
    {.method = "GET",
     .pattern = "/gw/v1/officer-reveals",
     .handler = reveals,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_ANY},
    {.method = "POST",
     .pattern = "/gw/v1/officer-reveals/{id}",
     .handler = reveal_answer,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_ANY,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = answer_body,
     .body_max = 4096},
};

const struct mado_route_set mado_oversight_routes = MADO_ROUTE_SET("oversight", routes);
