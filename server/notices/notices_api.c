/*
 * The person's notice list (alerts, dispute answers, push notices) and marking one read;
 * and the agencies' push notices, delivered only under the person's consent for the
 * programme. Every attempt is recorded in the person's access log.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/notices.h"
#include "notices_int.h"

static const struct mado_jmember notice_json[] = {
    MADO_JM(NUM, notice, id, "id"),
    MADO_JM(STR, notice, kind, "kind"),
    MADO_JM(STR, notice, created_at, "created_at"),
    MADO_JM(OPT, notice, entry, "entry"),
    MADO_JM(STR, notice, org, "organisation"),
    MADO_JM(RAW, notice, items, "items"),
    MADO_JM(STR, notice, case_no, "case_no"),
    MADO_JM(BOOL, notice, read, "read"),
    MADO_JM(OPT, notice, programme, "programme"),
    MADO_JM(OPT, notice, title, "title"),
    MADO_JM(OPT, notice, body, "body"),
};

static int
notices(struct mado_req *rq)
{
	return mado_http_rows(rq, "notices", notices__list, rq->actor.person_id,
			      MADO_COLS(notice_json));
}

static int
notice_read(struct mado_req *rq)
{
	struct mado_db *db;
	bool found;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = notices__read(db, rq->actor.person_id, rq->params[0], &found)) != MADO_OK)
		return rc;
	return found ? mado_http_no_content(rq) : MADO_E_NOT_FOUND;
}

static const struct mado_jmember programme_json[] = {
    MADO_JM(STR, programme, code, "code"),
    MADO_JM(STR, programme, org, "organisation"),
    MADO_JM(STR, programme, org_ja, "organisation_name.ja"),
    MADO_JM(STR, programme, org_en, "organisation_name.en"),
    MADO_JM(STR, programme, purpose, "purpose"),
    MADO_JM(STR, programme, purpose_ja, "purpose_name.ja"),
    MADO_JM(STR, programme, purpose_en, "purpose_name.en"),
    MADO_JM(STR, programme, explain_ja, "purpose_explain.ja"),
    MADO_JM(STR, programme, explain_en, "purpose_explain.en"),
    MADO_JM(STR, programme, name_ja, "name.ja"),
    MADO_JM(STR, programme, name_en, "name.en"),
    MADO_JM(RAW, programme, items, "items"),
    MADO_JM(NUM, programme, max_per_month, "max_per_month"),
};

/* GET /api/v1/push-programmes: what a person may turn notices on for, with its terms: the
   purpose, the items a notice may mention and the most notices a month. */
static int
programmes(struct mado_req *rq)
{
	return mado_http_rows(rq, "programmes", notices__programmes, NULL,
			      MADO_COLS(programme_json));
}

static const struct mado_reason push_reasons[] = {
    {"person", MADO_E_UNKNOWN_PERSON},      {"programme", MADO_E_NOT_FOUND},
    {"no-consent", MADO_E_CONSENT_REFUSED}, {"frequency", MADO_E_CONSENT_REFUSED},
    {"items-frozen", MADO_E_ITEMS_FROZEN},  {NULL, 0},
};

/* POST /gw/v1/notices: an agency programme's push notice. */
static int
push(struct mado_req *rq)
{
	struct mado_db *db;
	char reason[32];
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = notices__push(db, rq->actor.org, mado_http_str(rq, "programme"),
				mado_http_str(rq, "person"), mado_http_str(rq, "title"),
				mado_http_str(rq, "body"), reason, sizeof(reason))) != MADO_OK) {
		/* No record, no delivery. */
		if (rc != MADO_E_DB_UNAVAILABLE)
			mado_log_err(rq->id, "a push notice could not be recorded (%s)",
				     mado_err_slug(rc));
		return rc == MADO_E_DB_UNAVAILABLE ? rc : MADO_E_ACCESS_RECORD_FAILED;
	}
	switch ((rc = mado_db_decision(reason, push_reasons))) {
	case MADO_OK: return mado_http_no_content(rq);
	case MADO_E_NOT_FOUND: return mado_http_fail(rq, rc, "no such programme of yours");
	case MADO_E_CONSENT_REFUSED:
		mado_http_ext(rq, "reason", reason);
		if (strcmp(reason, "frequency") == 0)
			return mado_http_fail(rq, rc,
					      "the person's consent allows no more notices of this "
					      "programme now; the attempt was recorded");
		return mado_http_fail(rq, rc,
				      "the person has not turned on this programme's notices; the "
				      "attempt was recorded");
	case MADO_E_ITEMS_FROZEN:
		mado_http_ext(rq, "reason", reason);
		return mado_http_fail(
		    rq, rc,
		    "an item this programme's notices speak of is frozen for the "
		    "person until its source re-verifies it; the attempt was recorded");
	default: return rc;
	}
}

static const struct mado_field id_path[] = {{.name = "id", .kind = MADO_K_ID}, MADO_FIELDS_END};
static const struct mado_field push_body[] = {
    {.name = "programme", .kind = MADO_K_CODE, .required = true},
    {.name = "person",
     .kind = MADO_K_TOKEN,
     .required = true,
     .hint = "your organisation's pseudonym for the person"},
    {.name = "title", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 200},
    {.name = "body", .kind = MADO_K_PROSE, .required = true, .max = 4000},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/me/notices",
     .handler = notices,
     .acts = MADO_ACT_NOTICES},
    {.method = "POST",
     .pattern = "/api/v1/me/notices/{id}/read",
     .handler = notice_read,
     .acts = MADO_ACT_NOTICES,
     .path = id_path},
    {.method = "GET",
     .pattern = "/api/v1/push-programmes",
     .handler = programmes,
     .caller = MADO_PUBLIC,
     .stale_ok = true},
    {.method = "POST",
     .pattern = "/gw/v1/notices",
     .handler = push,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_AGENCY,
     .body = MADO_BODY_OBJECT,
     .fields = push_body,
     .body_max = 8192},
};

const struct mado_route_set mado_notices_routes = MADO_ROUTE_SET("notices", routes);
