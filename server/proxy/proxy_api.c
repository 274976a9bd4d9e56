/*
 * Proxy mandates. The principal, in their own session, offers a mandate (themes from the
 * fixed list, a term of at most a year, a label naming the proxy) and passes the one-time
 * code to the proxy, who accepts it in their own session. The proxy then acts for the
 * principal: their own session's cookie is set aside and a session of channel proxy of
 * the principal takes its place (with the proxy's card binding), which the person gate
 * lets use only the mandate's themes and records in the principal's log; "back to my
 * own" ends it and puts the own session back. The principal revokes alone (or at a desk)
 * and may set the safety flag. The supervisor reads the reports of proxies acting for
 * more than proxy_max_people people.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <civetweb.h>
#include <openssl/crypto.h>

#include "mado/check.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/every.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/proxy.h"
#include "mado/util.h"
#include "proxy_int.h"

static int max_people = 5;
static struct mado_every *reminders;

static void
remind(void *arg)
{
	struct mado_db *db = NULL;
	int sent = 0, rc;

	(void)arg;
	if ((rc = mado_db_acquire(&db)) == MADO_OK)
		rc = proxy__remind_due(db, &sent);
	mado_db_release(db);
	if (rc != MADO_OK)
		mado_log_warn(NULL, "proxy: sending the reminders failed: %s", mado_err_slug(rc));
	else if (sent > 0)
		mado_log_info(NULL, "proxy: reminded of %d mandates ending within a month", sent);
}

int
mado_proxy_init(const struct mado_config *cfg)
{
	max_people = cfg->proxy_max_people;
	if (cfg->mandate_remind_s == 0 || reminders != NULL)
		return MADO_OK;
	reminders = mado_every_start(60, cfg->mandate_remind_s, remind, NULL);
	return reminders != NULL ? MADO_OK : MADO_E_INTERNAL;
}

void
mado_proxy_free(void)
{
	mado_every_stop(reminders);
	reminders = NULL;
}

/* The themes a mandate may carry: never the ending of mandates, the safety flag or the
   session's own routes. The database's CHECK holds the same list. */
static const char *const themes[] = {"access-log",        "my-information", "notices",
				     "withdraw-consents", "disputes",       NULL};

/* A fresh random token of raw bytes in base64url. */
static int
token(char *out, size_t outlen, size_t raw)
{
	unsigned char buf[32];

	if (raw > sizeof(buf) || outlen < (raw * 4 + 2) / 3 + 1 || mado_random(buf, raw) != 0)
		return MADO_E_INTERNAL;
	mado_b64url(buf, raw, out);
	OPENSSL_cleanse(buf, sizeof(buf));
	return MADO_OK;
}

static void
set_cookie(struct mado_req *rq, const char *name, const char *value)
{
	char buf[160];

	snprintf(buf, sizeof(buf), "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict%s", name,
		 value, value[0] == '\0' ? "; Max-Age=0" : "");
	mado_http_header(rq, "Set-Cookie", buf);
	OPENSSL_cleanse(buf, sizeof(buf));
}

static bool
read_cookie(struct mado_req *rq, const char *name, char *out, size_t len)
{
	const char *h = mado_http_req_header(rq, "Cookie");

	return h != NULL && mg_get_cookie(h, name, out, len) > 0 &&
	       mado_check_kind(MADO_K_TOKEN, out);
}

static cJSON *
parse_or_null(const char *json)
{
	cJSON *v = json != NULL ? cJSON_Parse(json) : NULL;

	return v != NULL ? v : cJSON_CreateNull();
}

static const struct mado_jmember mandate_json[] = {
    MADO_JM(STR, proxy_mandate, id, "id"),
    MADO_JM(STR, proxy_mandate, role, "role"),
    MADO_JM(STR, proxy_mandate, label, "label"),
    MADO_JM_RAW(proxy_mandate, themes, "themes", "[]"),
    MADO_JM(STR, proxy_mandate, state, "state"),
    MADO_JM(STR, proxy_mandate, created_at, "created_at"),
    MADO_JM(STR, proxy_mandate, accepted_at, "accepted_at"),
    MADO_JM(STR, proxy_mandate, ends_at, "ends_at"),
    MADO_JM(STR, proxy_mandate, ended_at, "ended_at"),
    MADO_JM(STR, proxy_mandate, code_expires_at, "code_expires_at"),
};

/* GET /api/v1/me/mandates: given and received, and the safety flag. */
static int
mandates(struct mado_req *rq)
{
	struct mado_json_rows rows = {NULL, mandate_json, MADO_NELEM(mandate_json)};
	struct mado_db *db;
	bool flag = false;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = proxy__flag_of(db, rq->actor.person_id, &flag)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "safety_flag", flag);
	cJSON_AddNumberToObject(out, "max_term_days", 365);
	rows.array = cJSON_AddArrayToObject(out, "items");
	if ((rc = proxy__mandates(db, rq->actor.person_id, mado_json_append_row, &rows)) !=
	    MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

/* POST /api/v1/me/mandates: the offer, and its one-time code (shown once). */
static int
offer(struct mado_req *rq)
{
	const cJSON *list = mado_http_member(rq, "themes"), *t;
	struct mado_bad bad = {.err = MADO_E_VALIDATION, .index = -1};
	char literal[160], code[48], hash[MADO_HASH_PARAM_LEN];
	struct proxy_offered o;
	struct mado_db *db;
	cJSON *out;
	int rc;

	cJSON_ArrayForEach (t, list) {
		if (!mado_one_of(t->valuestring, themes)) {
			snprintf(bad.field, sizeof(bad.field), "themes");
			snprintf(bad.detail, sizeof(bad.detail),
				 "themes are access-log, my-information, notices, "
				 "withdraw-consents and disputes");
			return mado_http_bad_input(rq, &bad);
		}
	}
	if (!mado_codes_literal(list, literal, sizeof(literal)))
		return MADO_E_INVALID_BODY;
	if ((rc = token(code, sizeof(code), 32)) != MADO_OK)
		return rc;
	mado_secret_hash(code, hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = proxy__offer(db, rq->actor.person_id, rq->actor.channel, literal,
			       mado_http_str(rq, "label"), mado_http_str(rq, "ends_on"), hash,
			       &o)) != MADO_OK) {
		OPENSSL_cleanse(code, sizeof(code));
		return rc;
	}
	if (strcmp(o.reason, "term") == 0) {
		OPENSSL_cleanse(code, sizeof(code));
		snprintf(bad.field, sizeof(bad.field), "ends_on");
		snprintf(bad.detail, sizeof(bad.detail),
			 "a mandate ends after today and at most a year from today");
		return mado_http_bad_input(rq, &bad);
	}
	if (o.reason[0] != '\0') {
		OPENSSL_cleanse(code, sizeof(code));
		if (strcmp(o.reason, "own-session-only") == 0)
			return MADO_E_OWN_SESSION_ONLY;
		return mado_http_refuse(rq, MADO_E_CONFLICT, o.reason);
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", o.id);
	cJSON_AddStringToObject(out, "code", code);
	cJSON_AddStringToObject(out, "code_expires_at", o.code_expires_at);
	cJSON_AddStringToObject(out, "ends_at", o.ends_at);
	cJSON_AddStringToObject(out, "state", "pending");
	OPENSSL_cleanse(code, sizeof(code));
	return mado_http_json(rq, 201, out);
}

/* POST /api/v1/me/mandates/{id}/revoke: by the principal, in their own session or at a
   desk. Ending one that has already ended changes nothing. */
static int
revoke(struct mado_req *rq)
{
	struct mado_db *db;
	char state[32];
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = proxy__revoke(db, rq->actor.person_id, rq->actor.channel, rq->params[0], state,
				sizeof(state))) != MADO_OK)
		return rc;
	if (state[0] == '\0')
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such mandate of yours");
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", rq->params[0]);
	cJSON_AddStringToObject(
	    out, "state",
	    strcmp(state, "pending") == 0 || strcmp(state, "active") == 0
		? (strcmp(rq->actor.channel, "desk") == 0 ? "revoked-at-desk" : "revoked")
		: state);
	return mado_http_json(rq, 200, out);
}

static const struct mado_jmember action_json[] = {
    MADO_JM(NUM, proxy_action, row, "entry"),
    MADO_JM(STR, proxy_action, occurred_at, "occurred_at"),
    MADO_JM_RAW(proxy_action, items, "themes", "[]"),
    MADO_JM(STR, proxy_action, outcome, "outcome"),
};

/* GET /api/v1/me/mandates/{id}/actions: what the proxy did, from the principal's log. */
static int
actions(struct mado_req *rq)
{
	struct mado_json_rows rows = {NULL, action_json, MADO_NELEM(action_json)};
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	rows.array = cJSON_AddArrayToObject(out, "items");
	if ((rc = proxy__actions(db, rq->actor.person_id, rq->params[0], mado_json_append_row,
				 &rows)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

/* POST /api/v1/me/safety-flag: by the person, or a desk-lead on their word. */
static int
safety_flag(struct mado_req *rq)
{
	struct mado_db *db;
	char by[160];
	int ended = 0, rc;
	cJSON *out;

	if (strcmp(rq->actor.channel, "self") == 0)
		snprintf(by, sizeof(by), "self");
	else
		snprintf(by, sizeof(by), "%s:%s:%s", rq->actor.channel, rq->actor.helper_org,
			 rq->actor.helper_ref);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = proxy__flag_set(db, rq->actor.person_id, by, &ended)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddBoolToObject(out, "safety_flag", true);
	cJSON_AddNumberToObject(out, "mandates_ended", ended);
	return mado_http_json(rq, 200, out);
}

/* POST /api/v1/proxy/accept: the proxy, in their own session, with the code. */
static int
accept(struct mado_req *rq)
{
	char hash[MADO_HASH_PARAM_LEN];
	struct proxy_accepted a;
	struct mado_db *db;
	cJSON *out;
	int rc;

	mado_secret_hash(mado_http_str(rq, "code"), hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = proxy__accept(db, rq->actor.person_id, rq->actor.channel, hash,
				mado_http_str(rq, "label"), max_people, &a)) != MADO_OK)
		return rc;
	if (strcmp(a.reason, "own-session-only") == 0)
		return MADO_E_OWN_SESSION_ONLY;
	if (strcmp(a.reason, "code-invalid") == 0)
		return mado_http_fail(rq, MADO_E_GRANT_INVALID,
				      "the code is unknown, used or expired");
	if (a.reason[0] != '\0')
		return mado_http_refuse(rq, MADO_E_CONFLICT, a.reason);
	if (a.reported)
		mado_log_info(rq->id,
			      "proxy: a proxy now acts for %d people (more than %d); the "
			      "supervisor is told",
			      a.people, max_people);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", a.id);
	cJSON_AddStringToObject(out, "label", mado_http_str(rq, "label"));
	cJSON_AddItemToObject(out, "themes", parse_or_null(a.themes));
	cJSON_AddStringToObject(out, "ends_at", a.ends_at);
	cJSON_AddStringToObject(out, "state", "active");
	return mado_http_json(rq, 200, out);
}

static cJSON *
acting_json(const struct proxy_acting *a)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "channel", "proxy");
	cJSON_AddStringToObject(out, "mandate", a->id);
	cJSON_AddStringToObject(out, "label", a->label);
	cJSON_AddItemToObject(out, "themes", parse_or_null(a->themes));
	cJSON_AddStringToObject(out, "ends_at", a->ends_at);
	return out;
}

/*
 * POST /api/v1/proxy/mandates/{id}/act: from the proxy's own session, a session of the
 * principal (channel proxy) in its place; the own session's cookie waits in another
 * cookie for "back to my own".
 */
static int
act(struct mado_req *rq)
{
	char own[64], fresh[48], csrf[40], key[MADO_HASH_PARAM_LEN];
	struct proxy_acting a;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (strcmp(rq->actor.channel, "self") != 0 ||
	    !read_cookie(rq, PROXY_SESSION_COOKIE, own, sizeof(own)))
		return MADO_E_OWN_SESSION_ONLY;
	if ((rc = token(fresh, sizeof(fresh), 32)) != MADO_OK ||
	    (rc = token(csrf, sizeof(csrf), 24)) != MADO_OK)
		goto done;
	mado_secret_hash(fresh, key);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = proxy__act(db, rq->actor.person_id, rq->actor.channel, rq->actor.session_hex,
			     rq->params[0], key, csrf, &a)) != MADO_OK)
		goto done;
	if (strcmp(a.reason, "own-session-only") == 0) {
		rc = MADO_E_OWN_SESSION_ONLY;
		goto done;
	}
	if (a.reason[0] != '\0') {
		rc = mado_http_refuse(rq, MADO_E_CONFLICT, a.reason);
		goto done;
	}
	set_cookie(rq, PROXY_SESSION_COOKIE, fresh);
	set_cookie(rq, PROXY_OWN_COOKIE, own);
	out = acting_json(&a);
	cJSON_AddStringToObject(out, "csrf_token", csrf);
	rc = mado_http_json(rq, 200, out);
done:
	OPENSSL_cleanse(own, sizeof(own));
	OPENSSL_cleanse(fresh, sizeof(fresh));
	return rc;
}

/* GET /api/v1/proxy/acting: whom this acting-for session acts for, and in what. */
static int
acting(struct mado_req *rq)
{
	struct proxy_acting a;
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = proxy__acting(db, rq->actor.person_id, rq->actor.session_hex, &a);
	if (rc == MADO_E_NOT_FOUND)
		return mado_http_fail(rq, rc, "this session acts for nobody");
	if (rc != MADO_OK)
		return rc;
	return mado_http_json(rq, 200, acting_json(&a));
}

/*
 * POST /api/v1/proxy/return: ends the acting-for session (whether or not its mandate
 * still holds) and puts the proxy's own session back; nothing of the principal stays in
 * the browser's storage or cache.
 */
static int
back(struct mado_req *rq)
{
	struct mado_db *db;
	bool ended = false;
	char own[64];
	int rc = MADO_OK;

	if (rq->actor.session && strcmp(rq->actor.channel, "proxy") == 0 &&
	    ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	     (rc = proxy__act_end(db, rq->actor.session_hex, &ended)) != MADO_OK))
		return rc;
	if (read_cookie(rq, PROXY_OWN_COOKIE, own, sizeof(own))) {
		if (ended || !rq->actor.session)
			set_cookie(rq, PROXY_SESSION_COOKIE, own);
		set_cookie(rq, PROXY_OWN_COOKIE, "");
		OPENSSL_cleanse(own, sizeof(own));
	} else if (ended) {
		set_cookie(rq, PROXY_SESSION_COOKIE, "");
	}
	if (ended)
		mado_http_header(rq, "Clear-Site-Data", "\"cache\", \"storage\"");
	return mado_http_no_content(rq);
}

static const struct mado_jmember report_json[] = {
    MADO_JM(NUM, proxy_report, id, "id"),
    MADO_JM(STR, proxy_report, proxy, "proxy"),
    MADO_JM(NUM, proxy_report, people, "people"),
    MADO_JM(NUM, proxy_report, max_people, "max_people"),
    MADO_JM(STR, proxy_report, reported_at, "reported_at"),
};

/* GET /gw/v1/proxy-reports: the supervisor's. */
static int
reports(struct mado_req *rq)
{
	return mado_http_rows(rq, "items", proxy__reports, rq->actor.org, MADO_COLS(report_json));
}

static const struct mado_field offer_body[] = {
    {.name = "themes",
     .kind = MADO_K_CODES,
     .required = true,
     .min = 1,
     .max = 5,
     .hint = "some of access-log, my-information, notices, withdraw-consents, disputes"},
    {.name = "label", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 80},
    {.name = "ends_on",
     .kind = MADO_K_DATE,
     .required = true,
     .hint = "the last day, at most a year from today"},
    MADO_FIELDS_END,
};
static const struct mado_field accept_body[] = {
    {.name = "code", .kind = MADO_K_TOKEN, .required = true, .hint = "the code the person gave"},
    {.name = "label", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 80},
    MADO_FIELDS_END,
};
static const struct mado_field id_path[] = {{.name = "id", .kind = MADO_K_UUID}, MADO_FIELDS_END};

static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/me/mandates",
     .handler = mandates,
     .acts = MADO_ACT_END_MANDATES},
    /* Giving a mandate is the person's own act: no helper may, and it needs the card in
       this session (a passkey alone does not do). */
    {.method = "POST",
     .pattern = "/api/v1/me/mandates",
     .handler = offer,
     .needs_card = true,
     .body = MADO_BODY_OBJECT,
     .fields = offer_body,
     .body_max = 4096},
    {.method = "POST",
     .pattern = "/api/v1/me/mandates/{id}/revoke",
     .handler = revoke,
     .acts = MADO_ACT_END_MANDATES,
     .path = id_path},
    {.method = "GET",
     .pattern = "/api/v1/me/mandates/{id}/actions",
     .handler = actions,
     .path = id_path},
    {.method = "POST",
     .pattern = "/api/v1/me/safety-flag",
     .handler = safety_flag,
     .acts = MADO_ACT_SAFETY_FLAG},
    {.method = "POST",
     .pattern = "/api/v1/proxy/accept",
     .handler = accept,
     .body = MADO_BODY_OBJECT,
     .fields = accept_body,
     .body_max = 4096},
    {.method = "POST",
     .pattern = "/api/v1/proxy/mandates/{id}/act",
     .handler = act,
     .path = id_path},
    {.method = "GET",
     .pattern = "/api/v1/proxy/acting",
     .handler = acting,
     .acts = MADO_ACT_SESSION},
    /* Read with or without a live session: a proxy whose mandate has ended can still go
       back to their own. */
    {.method = "POST",
     .pattern = "/api/v1/proxy/return",
     .handler = back,
     .caller = MADO_VISITOR,
     .rate_limited = true},
    {.method = "GET",
     .pattern = "/gw/v1/proxy-reports",
     .handler = reports,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_SUPERVISOR},
};

const struct mado_route_set mado_proxy_routes = MADO_ROUTE_SET("proxy", routes);
