/*
 * Support desks over HTTP. Staff routes (/staff/v1/...) for the terminal: start a visit,
 * the resident's card takes it up, end customer. The resident's routes: their desk visits,
 * and, in a visit's session, the visit itself (the receipt the terminal prints). Resident
 * data reaches the terminal only through the resident's own routes in the visit's session,
 * which the person gate restricts to the visit's themes and records with the clerk.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "mado/auth.h"
#include "mado/db.h"
#include "mado/desk.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"
#include "desk_int.h"

static int visit_max_s = 1200;

void
mado_desk_init(const struct mado_config *cfg)
{
	visit_max_s = cfg->visit_max_s;
}

static int
warn_s(void)
{
	return visit_max_s / 4 < DESK_WARN_S ? visit_max_s / 4 : DESK_WARN_S;
}

/* A new visit at this terminal: whatever the terminal had ends first, its resident's
   cookie goes, and the visit's own challenge is what the resident's card will sign. */
static int
visit_start(struct mado_req *rq)
{
	unsigned char raw[32];
	char nonce[48];
	struct desk_started v;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	mado_b64(raw, sizeof(raw), nonce);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = desk__start(db, rq->actor.session_hex, nonce, visit_max_s, &v);
	if (rc == MADO_E_NOT_FOUND)
		return MADO_E_UNAUTHENTICATED;
	if (rc != MADO_OK)
		return rc;
	mado_auth_person_cookie_clear(rq);
	mado_log_info(rq->id, "desk: staff %s started visit %s", rq->actor.staff_ref, v.id);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", v.id);
	cJSON_AddStringToObject(out, "nonce", nonce);
	cJSON_AddNumberToObject(out, "expires_in_s", v.expires_in);
	cJSON_AddNumberToObject(out, "warn_before_s", warn_s());
	return mado_http_json(rq, 201, out);
}

/* The resident's card takes the visit up: checked as a card login, against the visit's
   challenge. A visit takes one card: a second one ends it, and never continues it. */
static int
visit_card(struct mado_req *rq)
{
	char state[16], nonce[64], key[MADO_HASH_PARAM_LEN], csrf[48];
	struct mado_auth_card card;
	struct mado_db *db;
	cJSON *out;
	int left = 0, rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = desk__nonce(db, rq->actor.session_hex, rq->params[0], state, sizeof(state), nonce,
			      sizeof(nonce))) != MADO_OK)
		return rc;
	if (strcmp(state, "has-card") == 0) {
		mado_auth_person_cookie_clear(rq);
		return mado_http_refuse(rq, MADO_E_VISIT_ENDED, "new-card");
	}
	if (strcmp(state, "ended") == 0)
		return mado_http_refuse(rq, MADO_E_VISIT_ENDED, "ended");
	if (strcmp(state, "ready") != 0)
		return MADO_E_CHALLENGE_EXPIRED;
	if ((rc = mado_auth_visit_card(rq, nonce, &card)) != MADO_OK)
		return rc;
	if ((rc = mado_auth_person_cookie(rq, key, csrf)) != MADO_OK)
		return rc;
	if ((rc = mado_http_db(rq, &db)) == MADO_OK)
		rc = desk__card(db, rq->actor.session_hex, rq->params[0], card.person_id,
				card.binding_id, key, csrf, &left);
	if (rc == MADO_OK && left <= 0)
		rc = mado_http_refuse(rq, MADO_E_VISIT_ENDED, "ended");
	if (rc != MADO_OK) {
		mado_auth_person_cookie_clear(rq);
		OPENSSL_cleanse(csrf, sizeof(csrf));
		return rc;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", "in_visit");
	cJSON_AddStringToObject(out, "csrf_token", csrf);
	cJSON_AddNumberToObject(out, "expires_in_s", left);
	cJSON_AddNumberToObject(out, "warn_before_s", warn_s());
	OPENSSL_cleanse(csrf, sizeof(csrf));
	return mado_http_json(rq, 200, out);
}

/* End customer: the visit and its session end server-side; the terminal's browser drops
   the resident's cookie, cache and storage (the staff session's cookie stays). */
static int
visit_end(struct mado_req *rq)
{
	struct mado_db *db;
	bool ended = false;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = desk__end(db, rq->actor.session_hex, rq->params[0], &ended)) != MADO_OK)
		return rc;
	mado_auth_person_cookie_clear(rq);
	mado_http_header(rq, "Clear-Site-Data", "\"cache\", \"storage\"");
	mado_log_info(rq->id, "desk: staff %s ended visit %s%s", rq->actor.staff_ref, rq->params[0],
		      ended ? "" : " (already over)");
	return mado_http_no_content(rq);
}

static const struct mado_jmember visit_json[] = {
    MADO_JM(STR, desk_visit, id, "id"),
    MADO_JM(STR, desk_visit, started_at, "started_at"),
    MADO_JM(OPT, desk_visit, ended_at, "ended_at"),
    MADO_JM(STR, desk_visit, ends_at, "ends_at"),
    MADO_JM(OPT, desk_visit, end_reason, "end_reason"),
    MADO_JM(STR, desk_visit, org, "organisation"),
    MADO_JM(STR, desk_visit, org_ja, "organisation_name.ja"),
    MADO_JM(STR, desk_visit, org_en, "organisation_name.en"),
    MADO_JM(STR, desk_visit, clerk, "clerk"),
    MADO_JM(STR, desk_visit, role, "role"),
    MADO_JM_RAW(desk_visit, themes, "themes", "[]"),
    MADO_JM(NUM, desk_visit, requests, "requests"),
};

static int
visits_all(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg)
{
	return desk__visits(db, person, NULL, fn, arg);
}

/* The resident's desk visits and what was done in each (their own session). */
static int
visits(struct mado_req *rq)
{
	return mado_http_rows(rq, "visits", visits_all, rq->actor.person_id, MADO_COLS(visit_json));
}

/* The visit of this desk session, for its receipt. */
static int
visit_current(struct mado_req *rq)
{
	struct mado_json_rows rows;
	struct mado_db *db;
	cJSON *items, *out;
	int rc;

	if (strcmp(rq->actor.channel, "desk") != 0)
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "this session is not a desk visit");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	items = cJSON_CreateArray();
	rows.array = items;
	rows.map = visit_json;
	rows.n = MADO_NELEM(visit_json);
	rc = desk__visits(db, rq->actor.person_id, rq->actor.session_hex, mado_json_append_row,
			  &rows);
	if (rc == MADO_OK && cJSON_GetArraySize(items) != 1)
		rc = MADO_E_NOT_FOUND;
	if (rc != MADO_OK) {
		cJSON_Delete(items);
		return rc;
	}
	out = cJSON_DetachItemFromArray(items, 0);
	cJSON_Delete(items);
	return mado_http_json(rq, 200, out);
}

static const struct mado_field visit_path[] = {
    {.name = "id", .kind = MADO_K_UUID, .hint = "a visit's id from POST /staff/v1/visits"},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "POST",
     .pattern = "/staff/v1/visits",
     .handler = visit_start,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_DESK},
    /* The card's Web eID token, signed over the visit's challenge (as at login). */
    {.method = "POST",
     .pattern = "/staff/v1/visits/{id}/card",
     .handler = visit_card,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_DESK,
     .path = visit_path,
     .body = MADO_BODY_RAW,
     .body_max = 16384},
    {.method = "POST",
     .pattern = "/staff/v1/visits/{id}/end",
     .handler = visit_end,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_DESK,
     .path = visit_path},
    {.method = "GET", .pattern = "/api/v1/me/desk-visits", .handler = visits},
    {.method = "GET",
     .pattern = "/api/v1/me/desk-visit",
     .handler = visit_current,
     .acts = MADO_ACT_SESSION},
};

const struct mado_route_set mado_desk_routes = MADO_ROUTE_SET("desk", routes);
