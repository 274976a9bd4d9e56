/*
 * Consent over HTTP. Private services (mTLS, organisation kind "private") ask for consent,
 * exchange the person's one-time code for a grant and fetch under it; agency programmes
 * push notices; the person reads, decides, pauses, resumes and revokes. Only the person's
 * own session (channel "self") may grant: the rule is the session's channel, checked
 * here and again in the database.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/access.h"
#include "mado/consent.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/util.h"
#include "consent_int.h"

#define SECRET_BYTES 32

static char *origin;

int
mado_consent_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	free(origin);
	if ((origin = strdup(cfg->public_origin)) == NULL)
		return MADO_E_NOMEM;
	return consent__receipt_init(cfg->consent_receipt_key, why, whylen);
}

void
mado_consent_free(void)
{
	consent__receipt_free();
	free(origin);
	origin = NULL;
}

const char *
mado_consent_origin(void)
{
	return origin != NULL ? origin : "";
}

/* A fresh secret (base64url) and the "\\x..." SHA-256 under which it is stored. */
static int
new_secret(char text[48], char hash[68])
{
	unsigned char raw[SECRET_BYTES];
	char hex[65];

	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	mado_b64url(raw, sizeof(raw), text);
	mado_sha256_hex(text, strlen(text), hex);
	snprintf(hash, 68, "\\x%s", hex);
	return MADO_OK;
}

static void
hash_of(const char *text, char hash[68])
{
	char hex[65];

	mado_sha256_hex(text, strlen(text), hex);
	snprintf(hash, 68, "\\x%s", hex);
}

bool
mado_consent_redirect_ok(const char *uri)
{
	return strlen(uri) < 400 && strpbrk(uri, "{}\" \\<>") == NULL &&
	       (strncmp(uri, "https://", 8) == 0 || strncmp(uri, "http://127.0.0.1:", 17) == 0 ||
		strncmp(uri, "http://localhost:", 17) == 0);
}

static bool
secret_ok(const cJSON *v)
{
	return cJSON_IsString(v) && strlen(v->valuestring) == 43 &&
	       strspn(v->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
				      "0123456789-_") == 43;
}

static bool
uuid_ok(const char *s)
{
	return strlen(s) == 36 && strspn(s, "0123456789abcdefABCDEF-") == 36 && s[8] == '-' &&
	       s[13] == '-' && s[18] == '-' && s[23] == '-';
}

static const char *
opt_str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
fail_reason(struct mado_req *rq, int err, const char *reason, const char *detail)
{
	if (rq->problem_ext == NULL)
		rq->problem_ext = cJSON_CreateObject();
	if (rq->problem_ext != NULL)
		cJSON_AddStringToObject(rq->problem_ext, "reason", reason);
	return mado_http_fail(rq, err, "%s", detail);
}

static int
need_kind(struct mado_req *rq, const char *kind)
{
	if (strcmp(rq->actor.org_kind, kind) == 0)
		return MADO_OK;
	return mado_http_fail(rq, MADO_E_FORBIDDEN, "only a registered %s may do this",
			      strcmp(kind, "private") == 0 ? "private service" : "agency");
}

/* A whole number member within [min, max], def when absent, written into out. */
static bool
int_member(const cJSON *o, const char *name, int min, int max, int def, char out[12])
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
	int n = def;

	if (v != NULL) {
		if (!cJSON_IsNumber(v) || v->valuedouble != (double)(int)v->valuedouble)
			return false;
		n = (int)v->valuedouble;
	}
	if (n < min || n > max)
		return false;
	snprintf(out, 12, "%d", n);
	return true;
}

/* POST /rp/v1/consent-requests */
int
consent__api_rp_request(struct mado_req *rq)
{
	static const char *const units[] = {"once", "day", "month", NULL};
	const cJSON *b = rq->json, *freq = cJSON_GetObjectItemCaseSensitive(b, "frequency");
	struct consent_ask a;
	struct mado_db *db;
	char id[40], reason[32], why[128], url[600];
	cJSON *out;
	int rc;

	if ((rc = need_kind(rq, "private")) != MADO_OK)
		return rc;
	memset(&a, 0, sizeof(a));
	if (!cJSON_IsObject(b))
		return mado_http_fail(rq, MADO_E_VALIDATION, "the body must be a JSON object");
	a.purpose = opt_str(b, "purpose");
	a.data_from = opt_str(b, "data_from");
	a.data_to = opt_str(b, "data_to");
	a.redirect_uri = opt_str(b, "redirect_uri");
	a.state = opt_str(b, "state");
	a.freq_unit = cJSON_IsObject(freq) ? opt_str(freq, "unit") : "once";
	if (a.purpose == NULL || !mado_access_code_ok(a.purpose))
		return mado_http_fail(rq, MADO_E_VALIDATION, "purpose must be a purpose code");
	if (!mado_access_items(b, a.items, sizeof(a.items), why, sizeof(why)))
		return mado_http_fail(rq, MADO_E_VALIDATION, "%s", why);
	if ((a.data_from != NULL && !mado_access_date_ok(a.data_from)) ||
	    (a.data_to != NULL && !mado_access_date_ok(a.data_to)))
		return mado_http_fail(rq, MADO_E_VALIDATION, "data_from and data_to are dates");
	if (a.freq_unit == NULL || !mado_one_of(a.freq_unit, units) ||
	    !int_member(cJSON_IsObject(freq) ? freq : b, "max", 1, 1000, 1, a.freq_max))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "frequency is {\"unit\": once|day|month, \"max\": 1-1000}");
	if (!int_member(b, "data_life_days", 0, 3650, 0, a.data_life_days) ||
	    !int_member(b, "valid_days", 1, 730, 90, a.valid_days))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "data_life_days is 0-3650 and valid_days 1-730");
	if (a.redirect_uri == NULL || !mado_consent_redirect_ok(a.redirect_uri))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "redirect_uri is a registered https URL");
	if (a.state == NULL || strlen(a.state) < 1 || strlen(a.state) > 128)
		return mado_http_fail(rq, MADO_E_VALIDATION, "state is 1 to 128 characters");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__request_create(db, rq->actor.org, &a, id, sizeof(id), reason,
					  sizeof(reason))) != MADO_OK)
		return rc;
	if (reason[0] != '\0') {
		if (rq->problem_ext == NULL)
			rq->problem_ext = cJSON_CreateObject();
		if (rq->problem_ext != NULL)
			cJSON_AddStringToObject(rq->problem_ext, "field", reason);
		return mado_http_fail(rq, MADO_E_OUTSIDE_REGISTRATION,
				      "%s is outside this service's registration", reason);
	}
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "id", id);
	snprintf(url, sizeof(url), "%s/#/consent-request?id=%s", mado_consent_origin(), id);
	cJSON_AddStringToObject(out, "approve_url", url);
	return mado_http_json(rq, 201, out);
}

/* POST /rp/v1/token: the one-time code for a grant. */
int
consent__api_rp_token(struct mado_req *rq)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(rq->json, "code");
	char grant[48], code_hash[68], grant_hash[68], consent[40];
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = need_kind(rq, "private")) != MADO_OK)
		return rc;
	if (!secret_ok(code))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send {\"code\": the code you were given}");
	hash_of(code->valuestring, code_hash);
	if ((rc = new_secret(grant, grant_hash)) != MADO_OK ||
	    (rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__exchange(db, rq->actor.org, code_hash, grant_hash, consent,
				    sizeof(consent))) != MADO_OK)
		return rc;
	if (consent[0] == '\0')
		return fail_reason(rq, MADO_E_GRANT_INVALID, "code",
				   "the code is unknown, used or expired");
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "grant", grant);
	cJSON_AddStringToObject(out, "consent_id", consent);
	return mado_http_json(rq, 200, out);
}

/* POST /rp/v1/data: decided against the consent now, recorded, then served. */
int
consent__api_rp_data(struct mado_req *rq)
{
	const cJSON *grant = cJSON_GetObjectItemCaseSensitive(rq->json, "grant");
	const cJSON *person = cJSON_GetObjectItemCaseSensitive(rq->json, "person");
	const char *from = opt_str(rq->json, "from"), *to = opt_str(rq->json, "to");
	struct consent_fetch f;
	char items[32 * 72], why[128], hash[68];
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = need_kind(rq, "private")) != MADO_OK)
		return rc;
	/* The consent by its grant, or the person by this service's pseudonym. */
	if ((grant != NULL) == (person != NULL) || (grant != NULL && !secret_ok(grant)) ||
	    (person != NULL && !secret_ok(person)))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send grant (the grant you were given) or person (your "
				      "pseudonym for them)");
	if (!mado_access_items(rq->json, items, sizeof(items), why, sizeof(why)))
		return mado_http_fail(rq, MADO_E_VALIDATION, "%s", why);
	if ((from != NULL && !mado_access_date_ok(from)) ||
	    (to != NULL && !mado_access_date_ok(to)))
		return mado_http_fail(rq, MADO_E_VALIDATION, "from and to are dates");
	if (grant != NULL)
		hash_of(grant->valuestring, hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = mado_access_partitions(db)) != MADO_OK ||
	    (rc = consent__fetch(db, rq->actor.org, grant != NULL ? hash : NULL,
				 person != NULL ? person->valuestring : NULL, items, from, to,
				 &f)) != MADO_OK)
		return rc == MADO_E_NOMEM || rc == MADO_E_DB_UNAVAILABLE
			   ? rc
			   : MADO_E_ACCESS_RECORD_FAILED;
	if (strcmp(f.outcome, "invalid") == 0)
		return strcmp(f.reason, "person") == 0
			   ? MADO_E_UNKNOWN_PERSON
			   : fail_reason(rq, MADO_E_GRANT_INVALID, "grant",
					 "the grant is not valid");
	if (strcmp(f.outcome, "served") != 0) {
		if (rq->problem_ext == NULL)
			rq->problem_ext = cJSON_CreateObject();
		if (rq->problem_ext != NULL && f.consent_id[0] != '\0')
			cJSON_AddStringToObject(rq->problem_ext, "consent_id", f.consent_id);
		return fail_reason(rq, MADO_E_CONSENT_REFUSED, f.reason,
				   "the consent does not allow this fetch now; it was recorded");
	}
	if ((out = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(f.items);
		return MADO_E_NOMEM;
	}
	cJSON_AddStringToObject(out, "consent_id", f.consent_id);
	cJSON_AddStringToObject(out, "person", f.pseudonym);
	cJSON_AddItemToObject(out, "items", f.items != NULL ? f.items : cJSON_CreateObject());
	return mado_http_json(rq, 200, out);
}

/* POST /gw/v1/notices: an agency programme's push notice. */
int
consent__api_gw_notice(struct mado_req *rq)
{
	const char *programme = opt_str(rq->json, "programme"),
		   *person = opt_str(rq->json, "person");
	const char *title = opt_str(rq->json, "title"), *body = opt_str(rq->json, "body");
	char outcome[16], reason[32];
	struct mado_db *db;
	int rc;

	if ((rc = need_kind(rq, "agency")) != MADO_OK)
		return rc;
	if (programme == NULL || !mado_access_code_ok(programme) || person == NULL ||
	    strlen(person) != 43 || title == NULL || strlen(title) < 1 || strlen(title) > 200 ||
	    body == NULL || strlen(body) > 4000)
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send programme, person (your pseudonym), title (1-200) and "
				      "body (up to 4000)");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = mado_access_partitions(db)) != MADO_OK ||
	    (rc = consent__push(db, rq->actor.org, programme, person, title, body, outcome,
				sizeof(outcome), reason, sizeof(reason))) != MADO_OK)
		return rc == MADO_E_NOMEM || rc == MADO_E_DB_UNAVAILABLE
			   ? rc
			   : MADO_E_ACCESS_RECORD_FAILED;
	if (strcmp(outcome, "invalid") == 0)
		return strcmp(reason, "person") == 0
			   ? MADO_E_UNKNOWN_PERSON
			   : mado_http_fail(rq, MADO_E_NOT_FOUND, "no such programme of yours");
	if (strcmp(outcome, "served") != 0)
		return fail_reason(rq, MADO_E_CONSENT_REFUSED, reason,
				   "the person has not turned on this programme's notices; the "
				   "attempt was recorded");
	return mado_http_no_content(rq);
}

/* GET /api/v1/consent-requests/{id}: what a service asks for, in plain words. */
int
consent__api_request_get(struct mado_req *rq)
{
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!uuid_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__request_get(db, rq->params[0], &out)) != MADO_OK)
		return rc;
	return mado_http_json(rq, 200, out);
}

/* POST /api/v1/me/consent-requests/{id}/decision: {approve, items?} */
int
consent__api_request_decide(struct mado_req *rq)
{
	const cJSON *approve = cJSON_GetObjectItemCaseSensitive(rq->json, "approve");
	struct consent_decision d;
	char items[32 * 72] = "{}", why[128], code[48] = "", code_hash[68] = "", url[800];
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!uuid_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if (!cJSON_IsBool(approve))
		return mado_http_fail(rq, MADO_E_VALIDATION, "approve is true or false");
	/* Granting is the person's own act; helpers' sessions may never do it. */
	if (cJSON_IsTrue(approve) && strcmp(rq->actor.channel, "self") != 0)
		return MADO_E_CONSENT_OWN_SESSION_ONLY;
	if (cJSON_IsTrue(approve) &&
	    (!mado_access_items(rq->json, items, sizeof(items), why, sizeof(why)) ||
	     (rc = new_secret(code, code_hash)) != MADO_OK))
		return code[0] == '\0' && why[0] != '\0'
			   ? mado_http_fail(rq, MADO_E_VALIDATION, "%s", why)
			   : MADO_E_INTERNAL;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__decide(db, rq->actor.person_id, rq->params[0], cJSON_IsTrue(approve),
				  items, code_hash[0] ? code_hash : NULL, rq->actor.channel, &d)) !=
		MADO_OK)
		return rc;
	if (strcmp(d.reason, "channel") == 0)
		return MADO_E_CONSENT_OWN_SESSION_ONLY;
	if (strcmp(d.reason, "items") == 0)
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "items must be some of those asked for");
	if (d.reason[0] != '\0')
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no pending request with this id");
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	/* The browser goes back to the service with the code (or the refusal) and its state. */
	snprintf(url, sizeof(url), "%s%s%s=%s&state=%s", d.redirect_uri,
		 strchr(d.redirect_uri, '?') != NULL ? "&" : "?",
		 cJSON_IsTrue(approve) ? "code" : "error", cJSON_IsTrue(approve) ? code : "refused",
		 d.state);
	cJSON_AddStringToObject(out, "redirect", url);
	if (d.consent_id[0] != '\0')
		cJSON_AddStringToObject(out, "consent_id", d.consent_id);
	return mado_http_json(rq, 200, out);
}

/* GET /api/v1/me/consents and /api/v1/me/consents/{id} */
static int
all_consents(struct mado_db *db, const char *person, cJSON *out)
{
	return consent__list(db, person, NULL, out);
}

int
consent__api_list(struct mado_req *rq)
{
	return mado_http_list(rq, "consents", all_consents, rq->actor.person_id);
}

int
consent__api_get(struct mado_req *rq)
{
	struct mado_db *db;
	cJSON *list, *one;
	int rc;

	if (!uuid_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((list = cJSON_CreateArray()) == NULL)
		return MADO_E_NOMEM;
	if ((rc = consent__list(db, rq->actor.person_id, rq->params[0], list)) != MADO_OK) {
		cJSON_Delete(list);
		return rc;
	}
	one = cJSON_DetachItemFromArray(list, 0);
	cJSON_Delete(list);
	return one != NULL ? mado_http_json(rq, 200, one) : MADO_E_NOT_FOUND;
}

/* POST /api/v1/me/consents/{id}/{action}: pause, resume, revoke. */
int
consent__api_change(struct mado_req *rq)
{
	static const char *const actions[] = {"pause", "resume", "revoke", NULL};
	char status[16], reason[16];
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!uuid_ok(rq->params[0]) || !mado_one_of(rq->params[1], actions))
		return MADO_E_NOT_FOUND;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__change(db, rq->actor.person_id, rq->params[0], rq->params[1],
				  rq->actor.channel, status, sizeof(status), reason,
				  sizeof(reason))) != MADO_OK)
		return rc;
	if (strcmp(reason, "not-found") == 0)
		return MADO_E_NOT_FOUND;
	if (strcmp(reason, "channel") == 0)
		return MADO_E_CONSENT_OWN_SESSION_ONLY;
	if (strcmp(reason, "state") == 0)
		return mado_http_fail(rq, MADO_E_CONFLICT, "the consent is %s", status);
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "status", status);
	return mado_http_json(rq, 200, out);
}

/* POST /api/v1/me/consents/push: {programme, valid_days} */
int
consent__api_push_give(struct mado_req *rq)
{
	const char *programme = opt_str(rq->json, "programme");
	char days[12], id[40], reason[16];
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (strcmp(rq->actor.channel, "self") != 0)
		return MADO_E_CONSENT_OWN_SESSION_ONLY;
	if (programme == NULL || !mado_access_code_ok(programme) ||
	    !int_member(rq->json, "valid_days", 1, 730, 365, days))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send {\"programme\": code, \"valid_days\": 1-730}");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__push_give(db, rq->actor.person_id, programme, days, rq->actor.channel,
				     id, sizeof(id), reason, sizeof(reason))) != MADO_OK)
		return rc;
	if (strcmp(reason, "channel") == 0)
		return MADO_E_CONSENT_OWN_SESSION_ONLY;
	if (reason[0] != '\0')
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such programme");
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "id", id);
	return mado_http_json(rq, 201, out);
}

/* GET /api/v1/me/consents/{id}/receipt[?event=N]: the signed receipt of one step. */
int
consent__api_receipt(struct mado_req *rq)
{
	char event[24], disp[120];
	long long n;
	bool present;
	struct mado_db *db;
	cJSON *env;
	char *doc;
	int rc;

	if (!uuid_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if ((rc = mado_http_query_str(rq, "event", event, sizeof(event), &present)) != MADO_OK)
		return rc;
	if (present && !mado_parse_int(event, 1, INT64_MAX, &n))
		return mado_http_fail(rq, MADO_E_VALIDATION, "event is an event id of the history");
	if (consent__receipt_public_pem() == NULL)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__receipt_doc(db, rq->actor.person_id, rq->params[0],
				       present ? event : NULL, &doc)) != MADO_OK)
		return rc;
	rc = consent__receipt_envelope(doc, &env);
	cJSON_free(doc);
	if (rc != MADO_OK)
		return rc;
	snprintf(disp, sizeof(disp), "attachment; filename=\"mado-consent-receipt-%.36s.json\"",
		 rq->params[0]);
	mado_http_header(rq, "Content-Disposition", disp);
	return mado_http_json(rq, 200, env);
}

/* GET /api/v1/consent-receipt-key: the public key that verifies receipts. */
int
consent__api_receipt_key(struct mado_req *rq)
{
	const char *pem = consent__receipt_public_pem();

	if (pem == NULL)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	rq->cache = MADO_CACHE_REVALIDATE;
	return mado_http_text(rq, 200, "application/x-pem-file", pem, strlen(pem));
}
