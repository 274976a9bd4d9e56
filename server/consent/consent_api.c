/*
 * Consent over HTTP. Private services (mTLS, organisation kind "private") ask for consent,
 * exchange the person's one-time code for a grant and fetch under it (the data holders
 * answer, sealed to the service's key, through Mado, which cannot read them); the person
 * reads, decides, turns on push notices, pauses, resumes and revokes. Only the person's own
 * session (channel "self") may grant or widen: the routes say so, the handler says it for
 * a decision that grants, and the database functions check it again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/consent.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/relay.h"
#include "mado/translog.h"
#include "mado/util.h"
#include "consent_int.h"

#define SECRET_BYTES 32

static char *origin;

int
mado_consent_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	free(origin);
	origin = mado_xstrdup(cfg->public_origin);
	return consent__receipt_init(cfg->consent_receipt_key, why, whylen);
}

void
mado_consent_free(void)
{
	consent__receipt_free();
	free(origin);
	origin = NULL;
}

/* A fresh secret (base64url) and the hash under which it is stored. */
static int
new_secret(char text[48], char hash[MADO_HASH_PARAM_LEN])
{
	unsigned char raw[SECRET_BYTES];

	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	mado_b64url(raw, sizeof(raw), text);
	mado_secret_hash(text, hash);
	return MADO_OK;
}

/* A refusal about a consent (or its absence), recorded in the person's log. */
static int
refused(struct mado_req *rq, const char *reason, const char *consent_id)
{
	if (consent_id != NULL && consent_id[0] != '\0')
		mado_http_ext(rq, "consent_id", consent_id);
	mado_http_ext(rq, "reason", reason);
	return mado_http_fail(rq, MADO_E_CONSENT_REFUSED,
			      "the consent does not allow this fetch now; it was recorded");
}

/* POST /rp/v1/consent-requests */
static int
rp_request(struct mado_req *rq)
{
	const cJSON *freq = mado_http_member(rq, "frequency");
	struct consent_ask a;
	struct mado_db *db;
	struct consent_made made;
	char url[600];
	cJSON *out;
	int rc;

	memset(&a, 0, sizeof(a));
	a.purpose = mado_http_str(rq, "purpose");
	a.data_from = mado_http_str(rq, "data_from");
	a.data_to = mado_http_str(rq, "data_to");
	a.redirect_uri = mado_http_str(rq, "redirect_uri");
	a.state = mado_http_str(rq, "state");
	a.freq_unit =
	    freq != NULL ? cJSON_GetObjectItemCaseSensitive(freq, "unit")->valuestring : "once";
	(void)mado_codes_literal(mado_http_member(rq, "items"), a.items, sizeof(a.items));
	snprintf(a.freq_max, sizeof(a.freq_max), "%lld",
		 freq != NULL && cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(freq, "max"))
		     ? (long long)cJSON_GetObjectItemCaseSensitive(freq, "max")->valuedouble
		     : 1LL);
	snprintf(a.data_life_days, sizeof(a.data_life_days), "%lld",
		 mado_http_int(rq, "data_life_days", 0));
	snprintf(a.valid_days, sizeof(a.valid_days), "%lld", mado_http_int(rq, "valid_days", 90));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__request_create(db, rq->actor.org, &a, &made)) != MADO_OK)
		return rc;
	if (made.reason[0] != '\0') {
		mado_http_ext(rq, "field", made.reason);
		return mado_http_fail(rq, MADO_E_OUTSIDE_REGISTRATION,
				      "%s is outside this service's registration", made.reason);
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", made.id);
	snprintf(url, sizeof(url), "%s/#/consent-request?id=%s", origin, made.id);
	cJSON_AddStringToObject(out, "approve_url", url);
	return mado_http_json(rq, 201, out);
}

/* POST /rp/v1/token: the one-time code for a grant. */
static int
rp_token(struct mado_req *rq)
{
	char grant[48], code_hash[MADO_HASH_PARAM_LEN], grant_hash[MADO_HASH_PARAM_LEN];
	struct consent_made consent;
	struct mado_db *db;
	cJSON *out;
	int rc;

	mado_secret_hash(mado_http_str(rq, "code"), code_hash);
	if ((rc = new_secret(grant, grant_hash)) != MADO_OK ||
	    (rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__exchange(db, rq->actor.org, code_hash, grant_hash, &consent)) != MADO_OK)
		return rc;
	if (consent.id[0] == '\0') {
		mado_http_ext(rq, "reason", "code");
		return mado_http_fail(rq, MADO_E_GRANT_INVALID,
				      "the code is unknown, used or expired");
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "grant", grant);
	cJSON_AddStringToObject(out, "consent_id", consent.id);
	return mado_http_json(rq, 200, out);
}

static const struct mado_reason fetch_reasons[] = {
    {"grant", MADO_E_GRANT_INVALID},          {"person", MADO_E_UNKNOWN_PERSON},
    {"no-consent", MADO_E_CONSENT_REFUSED},   {"paused", MADO_E_CONSENT_REFUSED},
    {"revoked", MADO_E_CONSENT_REFUSED},      {"expired", MADO_E_CONSENT_REFUSED},
    {"items", MADO_E_CONSENT_REFUSED},        {"range", MADO_E_CONSENT_REFUSED},
    {"frequency", MADO_E_CONSENT_REFUSED},    {"purpose", MADO_E_CONSENT_REFUSED},
    {"items-frozen", MADO_E_CONSENT_REFUSED}, {NULL, 0},
};

/* The served fetch, committed: each holder asked for its part under the period in force,
   the answers passed on sealed to the service's key. A holder that does not answer fails
   the fetch, and its record says so; the use stays counted, as the record was. */
static int
relay(struct mado_req *rq, struct consent_fetch *f, const unsigned char *reply_key)
{
	char row[24];
	struct mado_relay_job job = {
	    .row = row,
	    .record = f->event_id,
	    .requester = rq->actor.org,
	    .purpose = f->purpose,
	    .legal_ref = "consent",
	    .from = f->data_from[0] != '\0' ? f->data_from : NULL,
	    .to = f->data_to[0] != '\0' ? f->data_to : NULL,
	    .reply_key = reply_key,
	    .req_id = rq->id,
	};
	cJSON *answers, *out;
	int rc;

	snprintf(row, sizeof(row), "%lld", f->row_id);
	rc = mado_relay_answers(rq, &job, f->targets, &answers);
	cJSON_Delete(f->targets);
	f->targets = NULL;
	if (rc != MADO_OK) {
		mado_http_ext(rq, "consent_id", f->consent_id);
		mado_http_ext(rq, "event_id", f->event_id);
		return mado_http_fail(rq, rc, "a holder of the data did not answer");
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "consent_id", f->consent_id);
	cJSON_AddStringToObject(out, "person", f->pseudonym);
	cJSON_AddStringToObject(out, "event_id", f->event_id);
	cJSON_AddItemToObject(out, "answers", answers);
	return mado_http_json(rq, 200, out);
}

/* POST /rp/v1/data: decided against the consent now, recorded, then relayed to the
   holders, whose answers are sealed to the service's reply key. */
static int
rp_data(struct mado_req *rq)
{
	const char *grant = mado_http_str(rq, "grant"), *person = mado_http_str(rq, "person"),
		   *purpose = mado_http_str(rq, "purpose");
	char items[CONSENT_ITEMS_LITERAL], hash[MADO_HASH_PARAM_LEN];
	unsigned char reply_key[MADO_SEAL_KEY_LEN];
	struct consent_fetch f;
	struct mado_db *db;
	int rc;

	/* The consent by its grant, or the person by this service's pseudonym. */
	if ((grant != NULL) == (person != NULL)) {
		mado_http_ext(rq, "field", "grant");
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send grant (the grant you were given) or person (your "
				      "pseudonym for them), one of the two");
	}
	/* By pseudonym the service says for which purpose: the consent for it decides. */
	if (person != NULL && purpose == NULL) {
		mado_http_ext(rq, "field", "purpose");
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "purpose: with person, the purpose the person consented to");
	}
	/* The router checked it (MADO_K_REPLY_KEY): this only decodes it. */
	if (!mado_seal_key_parse(mado_http_str(rq, "reply_key"), reply_key))
		return MADO_E_INTERNAL;
	(void)mado_codes_literal(mado_http_member(rq, "items"), items, sizeof(items));
	if (grant != NULL)
		mado_secret_hash(grant, hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = consent__fetch(db, rq->actor.org, grant != NULL ? hash : NULL, person, items,
				 mado_http_str(rq, "from"), mado_http_str(rq, "to"), purpose,
				 &f)) != MADO_OK) {
		/* No record, no data. */
		if (rc != MADO_E_DB_UNAVAILABLE)
			mado_log_err(rq->id, "a fetch could not be recorded (%s)",
				     mado_err_slug(rc));
		return rc == MADO_E_DB_UNAVAILABLE ? rc : MADO_E_ACCESS_RECORD_FAILED;
	}
	switch ((rc = mado_db_decision(f.reason, fetch_reasons))) {
	case MADO_OK: break;
	case MADO_E_GRANT_INVALID:
		mado_http_ext(rq, "reason", "grant");
		return mado_http_fail(rq, rc, "the grant is not valid");
	case MADO_E_CONSENT_REFUSED: return refused(rq, f.reason, f.consent_id);
	default: return rc;
	}
	return relay(rq, &f, reply_key);
}

/* What a service asks for, in plain words. */
static const struct mado_jmember request_json[] = {
    MADO_JM(STR, consent_request, id, "id"),
    MADO_JM(STR, consent_request, recipient, "recipient"),
    MADO_JM(STR, consent_request, recipient_ja, "recipient_name.ja"),
    MADO_JM(STR, consent_request, recipient_en, "recipient_name.en"),
    MADO_JM(STR, consent_request, purpose, "purpose"),
    MADO_JM(STR, consent_request, purpose_ja, "purpose_text.ja"),
    MADO_JM(STR, consent_request, purpose_en, "purpose_text.en"),
    MADO_JM(STR, consent_request, explain_ja, "purpose_text.explain_ja"),
    MADO_JM(STR, consent_request, explain_en, "purpose_text.explain_en"),
    MADO_JM_RAW(consent_request, items, "items", "[]"),
    MADO_JM(STR, consent_request, data_from, "data_from"),
    MADO_JM(STR, consent_request, data_to, "data_to"),
    MADO_JM(STR, consent_request, freq_unit, "frequency.unit"),
    MADO_JM(NUM, consent_request, freq_max, "frequency.max"),
    MADO_JM(NUM, consent_request, data_life_days, "data_life_days"),
    MADO_JM(NUM, consent_request, valid_days, "valid_days"),
    MADO_JM(STR, consent_request, status, "status"),
    MADO_JM_RAW(consent_request, never_items, "never_items", "[]"),
};

/* One row, as map says, or 404. */
static int
one_row(struct mado_req *rq, int rc, cJSON *rows)
{
	cJSON *one = rc == MADO_OK ? cJSON_DetachItemFromArray(rows, 0) : NULL;

	cJSON_Delete(rows);
	if (rc != MADO_OK)
		return rc;
	return one != NULL ? mado_http_json(rq, 200, one) : MADO_E_NOT_FOUND;
}

/* GET /api/v1/consent-requests/{id} */
static int
request_get(struct mado_req *rq)
{
	struct mado_json_rows rows = {cJSON_CreateArray(), MADO_COLS(request_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) == MADO_OK)
		rc = consent__request_get(db, rq->params[0], mado_json_append_row, &rows);
	return one_row(rq, rc, rows.array);
}

static const struct mado_reason decide_reasons[] = {
    {"channel", MADO_E_OWN_SESSION_ONLY},
    {"items", MADO_E_VALIDATION},
    {"request", MADO_E_NOT_FOUND},
    {NULL, 0},
};

/* POST /api/v1/me/consent-requests/{id}/decision: {approve, items?} */
static int
request_decide(struct mado_req *rq)
{
	bool approve = mado_http_bool(rq, "approve");
	char items[CONSENT_ITEMS_LITERAL] = "{}", code[48] = "",
	     code_hash[MADO_HASH_PARAM_LEN] = "", url[800];
	struct consent_decision d;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (approve) {
		/* Granting is the person's own act; helpers' sessions may only refuse. */
		if (strcmp(rq->actor.channel, "self") != 0)
			return MADO_E_OWN_SESSION_ONLY;
		/* As the routes marked needs_card: refusing needs no card, granting does. */
		if ((rc = mado_http_need_card(rq)) != MADO_OK)
			return rc;
		if (mado_http_member(rq, "items") == NULL) {
			mado_http_ext(rq, "field", "items");
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "items: the items you agree to share");
		}
		(void)mado_codes_literal(mado_http_member(rq, "items"), items, sizeof(items));
		if ((rc = new_secret(code, code_hash)) != MADO_OK)
			return rc;
	}
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__decide(db, rq->actor.person_id, rq->params[0], approve, items,
				  approve ? code_hash : NULL, rq->actor.channel, &d)) != MADO_OK)
		return rc;
	switch ((rc = mado_db_decision(d.reason, decide_reasons))) {
	case MADO_OK: break;
	case MADO_E_VALIDATION:
		mado_http_ext(rq, "field", "items");
		return mado_http_fail(rq, rc, "items must be some of those asked for");
	case MADO_E_NOT_FOUND: return mado_http_fail(rq, rc, "no pending request with this id");
	default: return rc;
	}
	out = cJSON_CreateObject();
	/* The browser goes back to the service with the code (or the refusal) and its state. */
	snprintf(url, sizeof(url), "%s%s%s=%s&state=%s", d.redirect_uri,
		 strchr(d.redirect_uri, '?') != NULL ? "&" : "?", approve ? "code" : "error",
		 approve ? code : "refused", d.state);
	cJSON_AddStringToObject(out, "redirect", url);
	if (d.consent_id[0] != '\0')
		cJSON_AddStringToObject(out, "consent_id", d.consent_id);
	return mado_http_json(rq, 200, out);
}

#define CONSENT_JSON                                                                               \
	MADO_JM(STR, consent_row, id, "id"), MADO_JM(STR, consent_row, kind, "kind"),              \
	    MADO_JM(STR, consent_row, recipient, "recipient"),                                     \
	    MADO_JM(STR, consent_row, programme, "programme"),                                     \
	    MADO_JM(STR, consent_row, purpose, "purpose"),                                         \
	    MADO_JM_RAW(consent_row, items, "items", "[]"),                                        \
	    MADO_JM(STR, consent_row, status, "status"),                                           \
	    MADO_JM(STR, consent_row, valid_until, "valid_until"),                                 \
	    MADO_JM(STR, consent_row, created_at, "created_at"),                                   \
	    MADO_JM(NUM, consent_row, uses, "uses"),                                               \
	    MADO_JM(STR, consent_row, freq_unit, "frequency.unit"),                                \
	    MADO_JM(NUM, consent_row, freq_max, "frequency.max"),                                  \
	    MADO_JM(NUM, consent_row, data_life_days, "data_life_days"),                           \
	    MADO_JM(STR, consent_row, data_from, "data_from"),                                     \
	    MADO_JM(STR, consent_row, data_to, "data_to")

static const struct mado_jmember consent_json[] = {CONSENT_JSON};
/* One consent: its history and its uses too. */
static const struct mado_jmember consent_one_json[] = {
    CONSENT_JSON, MADO_JM_RAW(consent_row, history, "history", "[]"),
    MADO_JM_RAW(consent_row, use_list, "use_list", "[]")};

/* GET /api/v1/me/consents */
static int
consents(struct mado_req *rq)
{
	return mado_http_rows(rq, "consents", consent__list, rq->actor.person_id,
			      MADO_COLS(consent_json));
}

/* GET /api/v1/me/consents/{id} */
static int
consent_get(struct mado_req *rq)
{
	struct mado_json_rows rows = {cJSON_CreateArray(), MADO_COLS(consent_one_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) == MADO_OK)
		rc = consent__one(db, rq->actor.person_id, rq->params[0], mado_json_append_row,
				  &rows);
	return one_row(rq, rc, rows.array);
}

static const struct mado_reason change_reasons[] = {
    {"not-found", MADO_E_NOT_FOUND},
    {"channel", MADO_E_OWN_SESSION_ONLY},
    {"state", MADO_E_CONFLICT},
    {NULL, 0},
};

/* POST /api/v1/me/consents/{id}/pause, /resume, /revoke: the last word of the path. */
static int
consent_change(struct mado_req *rq)
{
	const char *action = strrchr(rq->route->pattern, '/') + 1;
	struct consent_made c;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__change(db, rq->actor.person_id, rq->params[0], action, rq->actor.channel,
				  &c)) != MADO_OK)
		return rc;
	if ((rc = mado_db_decision(c.reason, change_reasons)) == MADO_E_CONFLICT)
		return mado_http_fail(rq, rc, "the consent is %s", c.status);
	if (rc != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", c.status);
	return mado_http_json(rq, 200, out);
}

/* POST /api/v1/me/consents/push: {programme, valid_days} */
static int
push_give(struct mado_req *rq)
{
	struct consent_made made;
	char days[24];
	struct mado_db *db;
	cJSON *out;
	int rc;

	snprintf(days, sizeof(days), "%lld", mado_http_int(rq, "valid_days", 365));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__push_give(db, rq->actor.person_id, mado_http_str(rq, "programme"), days,
				     rq->actor.channel, &made)) != MADO_OK)
		return rc;
	if (strcmp(made.reason, "channel") == 0)
		return MADO_E_OWN_SESSION_ONLY;
	if (made.reason[0] != '\0')
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such programme");
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "id", made.id);
	return mado_http_json(rq, 201, out);
}

struct receipt_out {
	char *doc;
	char event_id[24];
};

static int
receipt_row(const void *row, int i, void *arg)
{
	const struct consent_receipt *r = row;
	struct receipt_out *o = arg;

	(void)i;
	o->doc = consent__receipt_doc(r);
	snprintf(o->event_id, sizeof(o->event_id), "%s", r->event_id != NULL ? r->event_id : "0");
	return MADO_OK;
}

/* GET /api/v1/me/consents/{id}/receipt[?event=N]: the signed receipt of one step, with
   the step's transparency-log bundle (member "bundle") once its checkpoint is published. */
static int
receipt(struct mado_req *rq)
{
	struct receipt_out o = {NULL, ""};
	struct mado_translog_proofs *p;
	char disp[120];
	struct mado_db *db;
	cJSON *env, *bundle = NULL;
	int rc;

	if (consent__receipt_public_pem() == NULL)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = consent__receipt(db, rq->actor.person_id, rq->params[0],
				   mado_http_query(rq, "event"), receipt_row, &o)) != MADO_OK)
		return rc;
	if (o.doc == NULL)
		return MADO_E_NOT_FOUND;
	rc = consent__receipt_envelope(o.doc, &env);
	cJSON_free(o.doc);
	if (rc != MADO_OK)
		return rc;
	/* The bundle sits beside the signed receipt (mado-verify receipt checks both). */
	if ((rc = mado_translog_proofs_open(db, &p)) == MADO_OK) {
		rc = mado_translog_bundle(p, rq->actor.person_id, "consent", o.event_id, &bundle);
		mado_translog_proofs_close(p);
	}
	if (rc != MADO_OK && rc != MADO_E_NOT_FOUND) {
		cJSON_Delete(env);
		return rc;
	}
	if (bundle != NULL)
		cJSON_AddItemToObject(env, "bundle", bundle);
	snprintf(disp, sizeof(disp), "attachment; filename=\"mado-consent-receipt-%.36s.json\"",
		 rq->params[0]);
	mado_http_header(rq, "Content-Disposition", disp);
	return mado_http_json(rq, 200, env);
}

/* GET /api/v1/consent-receipt-key: the public key that verifies receipts. */
static int
receipt_key(struct mado_req *rq)
{
	const char *pem = consent__receipt_public_pem();

	if (pem == NULL)
		return MADO_E_RECEIPTS_UNAVAILABLE;
	mado_http_revalidate(rq);
	return mado_http_text(rq, 200, "application/x-pem-file", pem, strlen(pem));
}

static const char *const units[] = {"once", "day", "month", NULL};

static const struct mado_field frequency_fields[] = {
    {.name = "unit", .kind = MADO_K_ENUM, .required = true, .words = units},
    {.name = "max", .kind = MADO_K_INT, .min = 1, .max = 1000},
    MADO_FIELDS_END,
};
static const struct mado_field ask_body[] = {
    {.name = "purpose", .kind = MADO_K_CODE, .required = true},
    {.name = "items", .kind = MADO_K_CODES, .required = true, .min = 1, .max = 32},
    {.name = "data_from", .kind = MADO_K_DATE},
    {.name = "data_to", .kind = MADO_K_DATE},
    {.name = "frequency", .kind = MADO_K_OBJECT, .fields = frequency_fields},
    {.name = "data_life_days", .kind = MADO_K_INT, .min = 0, .max = 3650},
    {.name = "valid_days", .kind = MADO_K_INT, .min = 1, .max = 730},
    {.name = "redirect_uri",
     .kind = MADO_K_URL,
     .required = true,
     .hint = "a registered https URL (or http on loopback)"},
    {.name = "state", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 128},
    MADO_FIELDS_END,
};
static const struct mado_field token_body[] = {
    {.name = "code", .kind = MADO_K_TOKEN, .required = true, .hint = "the code you were given"},
    MADO_FIELDS_END,
};
static const struct mado_field data_body[] = {
    {.name = "grant", .kind = MADO_K_TOKEN, .hint = "the grant you were given"},
    {.name = "person", .kind = MADO_K_TOKEN, .hint = "your pseudonym for the person"},
    {.name = "items", .kind = MADO_K_CODES, .required = true, .min = 1, .max = 32},
    {.name = "from", .kind = MADO_K_DATE},
    {.name = "to", .kind = MADO_K_DATE},
    {.name = "purpose", .kind = MADO_K_CODE, .hint = "the purpose of the consent (with person)"},
    /* The holders' answers are sealed to this key: Mado relays them and cannot read them. */
    {.name = "reply_key", .kind = MADO_K_REPLY_KEY, .required = true},
    MADO_FIELDS_END,
};
static const struct mado_field uuid_path[] = {{.name = "id", .kind = MADO_K_UUID}, MADO_FIELDS_END};
static const struct mado_field decide_body[] = {
    {.name = "approve", .kind = MADO_K_BOOL, .required = true},
    {.name = "items", .kind = MADO_K_CODES, .min = 1, .max = 32},
    MADO_FIELDS_END,
};
static const struct mado_field push_body[] = {
    {.name = "programme", .kind = MADO_K_CODE, .required = true},
    {.name = "valid_days", .kind = MADO_K_INT, .min = 1, .max = 730},
    MADO_FIELDS_END,
};
static const struct mado_field receipt_query[] = {
    {.name = "event", .kind = MADO_K_ID, .hint = "an event id of the consent's history"},
    MADO_FIELDS_END,
};

#define RP(p, h, b, max)                                                                           \
	{                                                                                          \
		.method = "POST", .pattern = (p), .handler = (h), .caller = MADO_ORG,              \
		.orgs = MADO_ORG_PRIVATE, .body = MADO_BODY_OBJECT, .fields = (b),                 \
		.body_max = (max)                                                                  \
	}

static const struct mado_route routes[] = {
    /* Private services, on the mTLS listener. */
    RP("/rp/v1/consent-requests", rp_request, ask_body, 8192),
    RP("/rp/v1/token", rp_token, token_body, 1024),
    RP("/rp/v1/data", rp_data, data_body, 8192),
    /* The person's controls. Literal paths come before {id}. */
    {.method = "GET",
     .pattern = "/api/v1/consent-requests/{id}",
     .handler = request_get,
     .path = uuid_path},
    {.method = "POST",
     .pattern = "/api/v1/me/consent-requests/{id}/decision",
     .handler = request_decide,
     .path = uuid_path,
     .body = MADO_BODY_OBJECT,
     .fields = decide_body,
     .body_max = 4096},
    {.method = "GET",
     .pattern = "/api/v1/me/consents",
     .handler = consents,
     .acts = MADO_ACT_WITHDRAW},
    {.method = "POST",
     .pattern = "/api/v1/me/consents/push",
     .handler = push_give,
     .needs_card = true,
     .body = MADO_BODY_OBJECT,
     .fields = push_body,
     .body_max = 1024},
    {.method = "GET",
     .pattern = "/api/v1/me/consents/{id}",
     .handler = consent_get,
     .acts = MADO_ACT_WITHDRAW,
     .path = uuid_path},
    {.method = "GET",
     .pattern = "/api/v1/me/consents/{id}/receipt",
     .handler = receipt,
     .acts = MADO_ACT_WITHDRAW,
     .path = uuid_path,
     .query = receipt_query},
    {.method = "POST",
     .pattern = "/api/v1/me/consents/{id}/pause",
     .handler = consent_change,
     .path = uuid_path},
    {.method = "POST",
     .pattern = "/api/v1/me/consents/{id}/resume",
     .handler = consent_change,
     .needs_card = true,
     .path = uuid_path},
    /* Pausing and resuming are the person's; helpers may help to withdraw. */
    {.method = "POST",
     .pattern = "/api/v1/me/consents/{id}/revoke",
     .handler = consent_change,
     .acts = MADO_ACT_WITHDRAW,
     .path = uuid_path},
    {.method = "GET",
     .pattern = "/api/v1/consent-receipt-key",
     .handler = receipt_key,
     .caller = MADO_PUBLIC},
};

const struct mado_route_set mado_consent_routes = MADO_ROUTE_SET("consent", routes);
