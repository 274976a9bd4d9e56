/*
 * The agency gateway on the mTLS listener. Its gate turns the connection's client
 * certificate into an organisation (chain to an organisation CA, revocation, then the
 * key's registration); its handlers answer a query only together with the access record
 * the same transaction wrote, take reported accesses in all-or-nothing batches, and
 * serve the organisation's dispute queue.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <civetweb.h>
#include <cjson/cJSON.h>

#include "mado/access.h"
#include "mado/auth.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "access_int.h"

static struct {
	struct mado_pki *pki; /* NULL: the gateway is off */
	atomic_int month;     /* YYYYMM whose partitions are known to exist */
} G;

static void
org_pki_config(const struct mado_config *cfg, struct mado_pki_config *pc)
{
	/* The card settings carry the OCSP and CRL tuning; the anchors and the mode are the
	   organisations' own, and no card policy applies to them. */
	mado_auth_pki_config(cfg, pc);
	pc->trust_dir = cfg->org_trust_dir;
	pc->policies_disallowed = "";
	pc->policies_required = "";
	pc->ocsp_url = "";
	pc->ocsp_responder = "";
	pc->revocation = strcmp(cfg->org_revocation, "crl") == 0   ? MADO_REVOCATION_CRL
			 : strcmp(cfg->org_revocation, "off") == 0 ? MADO_REVOCATION_OFF
								   : MADO_REVOCATION_OCSP;
}

static int org_gate(struct mado_req *rq);

int
mado_access_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	struct mado_pki_config pc;
	int rc;

	memset(&G, 0, sizeof(G));
	if (*cfg->org_trust_dir != '\0') {
		org_pki_config(cfg, &pc);
		if ((rc = mado_pki_new(&pc, &G.pki, why, whylen)) != MADO_OK)
			return rc;
		if (pc.revocation == MADO_REVOCATION_OFF)
			mado_log_warn(NULL, "organisation certificate revocation checking is OFF "
					    "(org_revocation = off): for tests only");
	}
	mado_http_set_org_gate(org_gate);
	return MADO_OK;
}

void
mado_access_free(void)
{
	mado_pki_free(G.pki);
	G.pki = NULL;
}

static int
this_month(void)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	return (tm.tm_year + 1900) * 100 + tm.tm_mon + 1;
}

int
mado_access_partitions(struct mado_db *db)
{
	int month = this_month(), rc;

	if (atomic_load(&G.month) == month)
		return MADO_OK;
	if ((rc = access__partitions_ensure(db)) == MADO_OK)
		atomic_store(&G.month, month);
	return rc;
}

int
mado_access_add_org_cert(struct mado_db *db, const struct mado_config *cfg, const char *org,
			 X509 *cert, char *why, size_t whylen)
{
	struct mado_pki_config pc;
	struct mado_pki_result res;
	struct mado_pki *pki;
	enum mado_pki_reason reason;
	int rc;

	if (*cfg->org_trust_dir == '\0') {
		snprintf(why, whylen, "org_trust_dir is not set");
		return MADO_E_GATEWAY_UNAVAILABLE;
	}
	if (!access__org_code_ok(org)) {
		snprintf(why, whylen, "not an organisation code: %s", org);
		return MADO_E_VALIDATION;
	}
	org_pki_config(cfg, &pc);
	if ((rc = mado_pki_new(&pc, &pki, why, whylen)) != MADO_OK)
		return rc;
	reason = mado_pki_check_cert(pki, cert, time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res);
	mado_pki_free(pki);
	if (reason != MADO_PKI_PASS) {
		snprintf(why, whylen, "the certificate does not pass: %s %s",
			 mado_pki_reason_str(reason), res.detail);
		return MADO_E_ORG_CERT_UNKNOWN;
	}
	if ((rc = access__add_org_cert(db, org, res.card.key_hash)) != MADO_OK) {
		snprintf(why, whylen,
			 rc == MADO_E_CONFLICT ? "this key belongs to another organisation"
					       : "no such organisation, or the database refused");
		return rc;
	}
	snprintf(why, whylen, "certificate %s bound to %s", res.card.fingerprint, org);
	return MADO_OK;
}

static int
org_gate(struct mado_req *rq)
{
	const struct mg_request_info *ri = rq->ri;
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	struct mado_db *db;
	bool found;
	X509 *peer;
	int rc;

	if (G.pki == NULL)
		return MADO_E_GATEWAY_UNAVAILABLE;
	if (ri->client_cert == NULL || (peer = ri->client_cert->peer_cert) == NULL)
		return mado_http_fail(rq, MADO_E_UNAUTHENTICATED,
				      "present your organisation's client certificate");
	reason = mado_pki_check_cert(G.pki, peer, time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res);
	if (reason != MADO_PKI_PASS) {
		rc = mado_auth_err_for(reason);
		if (rc != MADO_E_REVOCATION_CHECK_FAILED)
			rc = MADO_E_ORG_CERT_UNKNOWN; /* untrusted, revoked, expired, wrong use */
		if (rq->problem_ext == NULL)
			rq->problem_ext = cJSON_CreateObject();
		if (rq->problem_ext != NULL)
			cJSON_AddStringToObject(rq->problem_ext, "reason",
						mado_pki_reason_str(reason));
		return rc;
	}
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__org_by_key(db, res.card.key_hash, rq->actor.org, sizeof(rq->actor.org),
				     rq->actor.org_kind, sizeof(rq->actor.org_kind), &found)) !=
		MADO_OK)
		return rc;
	return found ? MADO_OK : MADO_E_ORG_CERT_UNKNOWN;
}

/* A failed write of the record means no data: whatever the cause, the answer is 503. */
static int
record_failed(struct mado_req *rq, int rc)
{
	if (rc == MADO_E_NOMEM)
		return rc;
	mado_log_err(rq->id, "the access record could not be written (%s)", mado_err_slug(rc));
	return MADO_E_ACCESS_RECORD_FAILED;
}

static int
fail_field(struct mado_req *rq, int index, const struct access_bad *bad)
{
	if (rq->problem_ext == NULL)
		rq->problem_ext = cJSON_CreateObject();
	if (rq->problem_ext != NULL) {
		if (index >= 0)
			cJSON_AddNumberToObject(rq->problem_ext, "index", index);
		cJSON_AddStringToObject(rq->problem_ext, "field", bad->field);
	}
	if (index >= 0)
		return mado_http_fail(rq, MADO_E_VALIDATION, "event %d: %s %s", index, bad->field,
				      bad->reason);
	return mado_http_fail(rq, MADO_E_VALIDATION, "%s %s", bad->field, bad->reason);
}

int
access__api_gw_query(struct mado_req *rq)
{
	struct access_query_result res;
	struct access_query q;
	struct access_bad bad;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (strcmp(rq->actor.org_kind, "agency") != 0)
		return mado_http_fail(rq, MADO_E_FORBIDDEN, "only agencies query the gateway");
	if (!access__check_query(rq->json, time(NULL), &q, &bad))
		return fail_field(rq, -1, &bad);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = mado_access_partitions(db)) != MADO_OK)
		return record_failed(rq, rc);
	if ((rc = access__gw_query(db, rq->actor.org, &q, &res)) != MADO_OK)
		return record_failed(rq, rc);
	if (strcmp(res.outcome, "invalid") == 0) {
		if (strcmp(res.reason, "unknown-person") == 0)
			return MADO_E_UNKNOWN_PERSON;
		snprintf(bad.field, sizeof(bad.field), "items");
		snprintf(bad.reason, sizeof(bad.reason), "names an unknown item: %.64s",
			 res.bad_item);
		return fail_field(rq, -1, &bad);
	}
	if (strcmp(res.outcome, "served") != 0) {
		/* Refused, and the refusal is in the person's log. */
		if ((rq->problem_ext = cJSON_CreateObject()) != NULL) {
			cJSON_AddStringToObject(rq->problem_ext, "event_id", res.event_id);
			cJSON_AddStringToObject(rq->problem_ext, "reason", res.reason);
		}
		return strcmp(res.reason, "items-frozen") == 0 ? MADO_E_ITEMS_FROZEN
							       : MADO_E_NO_LEGAL_BASIS;
	}
	if ((out = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(res.items);
		return MADO_E_NOMEM;
	}
	cJSON_AddStringToObject(out, "event_id", res.event_id);
	cJSON_AddItemToObject(out, "items", res.items);
	return mado_http_json(rq, 200, out);
}

int
access__api_gw_report(struct mado_req *rq)
{
	struct access_report_result res;
	struct access_bad bad;
	struct mado_db *db;
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(rq->json, "events"), *e, *f;
	cJSON *clean, *out;
	char *text;
	time_t now = time(NULL);
	int i = 0, j, rc;

	if (strcmp(rq->actor.org_kind, "agency") != 0)
		return mado_http_fail(rq, MADO_E_FORBIDDEN, "only agencies report accesses");
	if (!cJSON_IsObject(rq->json) || cJSON_GetArraySize(rq->json) != 1 ||
	    !cJSON_IsArray(events) || cJSON_GetArraySize(events) < 1 ||
	    cJSON_GetArraySize(events) > ACCESS_BATCH_MAX)
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send {\"events\": [...]} with 1 to %d events",
				      ACCESS_BATCH_MAX);
	if ((clean = cJSON_CreateArray()) == NULL)
		return MADO_E_NOMEM;
	cJSON_ArrayForEach(e, events)
	{
		if (!access__check_event(e, now, clean, &bad)) {
			cJSON_Delete(clean);
			return fail_field(rq, i, &bad);
		}
		/* The same event twice in one batch is a sender's bug, not a retry. */
		j = 0;
		for (f = events->child; f != e; f = f->next, j++)
			if (strcasecmp(
				cJSON_GetObjectItemCaseSensitive(f, "event_id")->valuestring,
				cJSON_GetObjectItemCaseSensitive(e, "event_id")->valuestring) ==
			    0) {
				cJSON_Delete(clean);
				snprintf(bad.field, sizeof(bad.field), "event_id");
				snprintf(bad.reason, sizeof(bad.reason), "repeats event %d", j);
				return fail_field(rq, i, &bad);
			}
		i++;
	}
	text = cJSON_PrintUnformatted(clean);
	cJSON_Delete(clean);
	if (text == NULL)
		return MADO_E_NOMEM;
	if ((rc = mado_http_db(rq, &db)) == MADO_OK && (rc = mado_access_partitions(db)) == MADO_OK)
		rc = access__gw_report(db, rq->actor.org, text, &res);
	cJSON_free(text);
	if (rc != MADO_OK)
		return rc == MADO_E_DB_UNAVAILABLE ? rc : record_failed(rq, rc);
	if (res.bad_index >= 0) {
		snprintf(bad.field, sizeof(bad.field), "%s", res.bad_field);
		snprintf(bad.reason, sizeof(bad.reason), "is not known to Mado");
		return fail_field(rq, res.bad_index, &bad);
	}
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddNumberToObject(out, "accepted", res.written + res.duplicates);
	cJSON_AddNumberToObject(out, "written", res.written);
	cJSON_AddNumberToObject(out, "duplicates", res.duplicates);
	return mado_http_json(rq, res.written > 0 ? 201 : 200, out);
}

int
access__api_gw_disputes(struct mado_req *rq)
{
	static const char *const statuses[] = {"open",      "acknowledged", "reverified",
					       "corrected", "rejected",     NULL};
	struct mado_db *db;
	char status[16];
	bool present;
	cJSON *out, *list;
	int rc;

	if ((rc = mado_http_query_str(rq, "status", status, sizeof(status), &present)) != MADO_OK)
		return rc;
	if (present && !mado_one_of(status, statuses))
		return mado_http_fail(
		    rq, MADO_E_VALIDATION,
		    "status is open, acknowledged, reverified, corrected or rejected");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL ||
	    (list = cJSON_AddArrayToObject(out, "disputes")) == NULL) {
		cJSON_Delete(out);
		return MADO_E_NOMEM;
	}
	if ((rc = access__dispute_queue(db, rq->actor.org, present ? status : NULL, list)) !=
	    MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

int
access__api_gw_dispute_answer(struct mado_req *rq)
{
	static const char *const statuses[] = {"acknowledged", "reverified", "corrected",
					       "rejected", NULL};
	static const char *const known[] = {"status", "answer", NULL};
	const cJSON *status = cJSON_GetObjectItemCaseSensitive(rq->json, "status");
	const cJSON *answer = cJSON_GetObjectItemCaseSensitive(rq->json, "answer"), *m;
	struct mado_db *db;
	bool done;
	int rc;

	cJSON_ArrayForEach(m, rq->json) if (!mado_one_of(m->string, known)) return mado_http_fail(
	    rq, MADO_E_VALIDATION, "%.40s is not a known member", m->string);
	if (!cJSON_IsString(status) || !mado_one_of(status->valuestring, statuses))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "status is acknowledged, reverified, corrected or rejected");
	if (answer != NULL && (!cJSON_IsString(answer) || strlen(answer->valuestring) > 1000))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "answer is text of 1000 bytes at most");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__dispute_answer(db, rq->actor.org, rq->params[0], status->valuestring,
					 answer != NULL ? answer->valuestring : NULL, &done)) !=
		MADO_OK)
		return rc;
	if (!done)
		return mado_http_fail(rq, MADO_E_NOT_FOUND,
				      "no such case for your organisation (only the source of the "
				      "data re-verifies)");
	return mado_http_no_content(rq);
}

/* The supervisor asks an organisation who an official's pseudonymous id stands for. */
int
access__api_gw_reveal_request(struct mado_req *rq)
{
	static const char *const known[] = {"organisation", "officer", "reason", NULL};
	const cJSON *org = cJSON_GetObjectItemCaseSensitive(rq->json, "organisation");
	const cJSON *officer = cJSON_GetObjectItemCaseSensitive(rq->json, "officer");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(rq->json, "reason"), *m;
	struct mado_db *db;
	char id[24];
	cJSON *out;
	int rc;

	if (strcmp(rq->actor.org_kind, "supervisor") != 0)
		return mado_http_fail(rq, MADO_E_FORBIDDEN, "only the supervisor asks for this");
	cJSON_ArrayForEach(m, rq->json) if (!mado_one_of(m->string, known)) return mado_http_fail(
	    rq, MADO_E_VALIDATION, "%.40s is not a known member", m->string);
	if (!cJSON_IsString(org) || !access__org_code_ok(org->valuestring))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "organisation is an organisation code");
	if (!cJSON_IsString(officer) || strlen(officer->valuestring) < 1 ||
	    strlen(officer->valuestring) > 64 ||
	    strspn(officer->valuestring, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
					 "0123456789._:-") != strlen(officer->valuestring))
		return mado_http_fail(rq, MADO_E_VALIDATION, "officer is an official's id");
	if (!cJSON_IsString(reason) || strlen(reason->valuestring) < 1 ||
	    strlen(reason->valuestring) > 1000)
		return mado_http_fail(rq, MADO_E_VALIDATION, "reason is text of 1 to 1000 bytes");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = access__reveal_request(db, rq->actor.org, org->valuestring, officer->valuestring,
					 reason->valuestring, id, sizeof(id))) != MADO_OK)
		return rc == MADO_E_NOT_FOUND
			   ? mado_http_fail(rq, rc,
					    "that organisation's records hold no such official")
			   : rc;
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddNumberToObject(out, "id", atof(id));
	return mado_http_json(rq, 201, out);
}

int
access__api_gw_reveals(struct mado_req *rq)
{
	return mado_http_list(rq, "reveals", access__reveal_list, rq->actor.org);
}

int
access__api_gw_reveal_answer(struct mado_req *rq)
{
	const cJSON *answer = cJSON_GetObjectItemCaseSensitive(rq->json, "answer");
	struct mado_db *db;
	long long id;
	bool done;
	int rc;

	if (!mado_parse_int(rq->params[0], 1, INT64_MAX, &id))
		return MADO_E_NOT_FOUND;
	if (!cJSON_IsObject(rq->json) || cJSON_GetArraySize(rq->json) != 1 ||
	    !cJSON_IsString(answer) || strlen(answer->valuestring) < 1 ||
	    strlen(answer->valuestring) > 1000)
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send {\"answer\": text of 1 to 1000 bytes}");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__reveal_answer(db, rq->actor.org, rq->params[0], answer->valuestring,
					&done)) != MADO_OK)
		return rc;
	if (!done)
		return mado_http_fail(rq, MADO_E_NOT_FOUND,
				      "no unanswered request with this id for your organisation");
	return mado_http_no_content(rq);
}
