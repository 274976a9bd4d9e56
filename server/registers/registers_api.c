/*
 * The registers over HTTP: the public registers (the current version of every entry, the
 * history of versions, one version by its id, as an access-log entry names it), and the
 * supervisor staff's routes: proposals awaiting a decision, approving or refusing one, the
 * open seals per organisation and the seals awaiting confirmation, and confirming one.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/registers.h"
#include "registers_int.h"

static const char *const kinds[] = {"legal-basis", "private-service", "org-cert", NULL};
static const char *const statuses[] = {"pending", "all", NULL};

static const struct mado_jmember version_json[] = {
    MADO_JM(NUM, registers_version, id, "id"),
    MADO_JM(STR, registers_version, kind, "kind"),
    MADO_JM(STR, registers_version, key, "key"),
    MADO_JM(NUM, registers_version, version, "version"),
    MADO_JM_RAW(registers_version, content, "content", "{}"),
    MADO_JM(STR, registers_version, approved_at, "approved_at"),
    MADO_JM(NUM, registers_version, proposal, "proposal"),
    MADO_JM(STR, registers_version, proposer, "proposer"),
    MADO_JM(STR, registers_version, proposed_at, "proposed_at"),
    MADO_JM(STR, registers_version, approved_by, "approved_by"),
};

/* The current version of every entry (of one kind). */
static int
current(struct mado_req *rq)
{
	return mado_http_rows(rq, "entries", registers__current, mado_http_query(rq, "kind"),
			      MADO_COLS(version_json));
}

struct history_args {
	const char *kind, *key;
};

/* Every version, newest first in each entry (of one kind, one entry). */
static int
history(struct mado_req *rq)
{
	struct mado_json_rows rows;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	rows.array = cJSON_AddArrayToObject(out, "versions");
	rows.map = version_json;
	rows.n = MADO_NELEM(version_json);
	if ((rc = registers__history(db, mado_http_query(rq, "kind"), mado_http_query(rq, "key"),
				     NULL, mado_json_append_row, &rows)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

/* One version by its id: what an access-log entry's register_version names. */
static int
version(struct mado_req *rq)
{
	struct mado_json_rows rows;
	struct mado_db *db;
	cJSON *items, *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	items = cJSON_CreateArray();
	rows.array = items;
	rows.map = version_json;
	rows.n = MADO_NELEM(version_json);
	rc = registers__history(db, NULL, NULL, rq->params[0], mado_json_append_row, &rows);
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

static const struct mado_jmember proposal_json[] = {
    MADO_JM(NUM, registers_proposal, id, "id"),
    MADO_JM(STR, registers_proposal, kind, "kind"),
    MADO_JM(STR, registers_proposal, key, "key"),
    MADO_JM_RAW(registers_proposal, content, "content", "{}"),
    MADO_JM_RAW(registers_proposal, current, "current", "null"),
    MADO_JM(STR, registers_proposal, proposer, "proposer"),
    MADO_JM(STR, registers_proposal, proposer_key, "proposer_key"),
    MADO_JM(STR, registers_proposal, note, "note"),
    MADO_JM(STR, registers_proposal, proposed_at, "proposed_at"),
    MADO_JM(STR, registers_proposal, status, "status"),
    MADO_JM(STR, registers_proposal, decided_at, "decided_at"),
    MADO_JM(STR, registers_proposal, decided_by, "decided_by"),
};

/* The proposals awaiting a decision (or all, newest first), beside what is in force. */
static int
proposals(struct mado_req *rq)
{
	const char *status = mado_http_query(rq, "status");

	return mado_http_rows(rq, "proposals", registers__proposals,
			      status != NULL ? status : "pending", MADO_COLS(proposal_json));
}

/* Approve or refuse: the database refuses the proposer's own certificate. */
static int
decide(struct mado_req *rq)
{
	struct registers_decided r;
	struct mado_db *db;
	bool approve = mado_http_bool(rq, "approve");
	const char *note = mado_http_str(rq, "note");
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = registers__decide(db, rq->params[0], approve, rq->actor.staff_ref,
				    note != NULL ? note : "", &r)) != MADO_OK)
		return rc;
	if ((rc = mado_db_decision(r.reason, registers__reasons)) != MADO_OK)
		return mado_http_refuse(rq, rc, r.reason);
	mado_log_info(rq->id, "registers: staff %s %s proposal %s", rq->actor.staff_ref,
		      approve ? "approved" : "refused", rq->params[0]);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", approve ? "approved" : "refused");
	if (approve) {
		mado_json_put_num(out, "version_id", r.version_id, "null");
		mado_json_put_num(out, "version", r.version, "null");
	}
	return mado_http_json(rq, 200, out);
}

static const struct mado_jmember seal_org_json[] = {
    MADO_JM(STR, registers_seal_org, org, "organisation"),
    MADO_JM(NUM, registers_seal_org, open, "open"),
    MADO_JM(NUM, registers_seal_org, unconfirmed, "unconfirmed"),
    MADO_JM(STR, registers_seal_org, oldest_open, "oldest_open"),
    MADO_JM(NUM, registers_seal_org, oldest_open_age_s, "oldest_open_age_s"),
    MADO_JM(STR, registers_seal_org, oldest_unconfirmed, "oldest_unconfirmed"),
    MADO_JM(NUM, registers_seal_org, oldest_unconfirmed_age_s, "oldest_unconfirmed_age_s"),
    MADO_JM(NUM, registers_seal_org, opened_by_grace, "opened_by_grace"),
};

static const struct mado_jmember seal_json[] = {
    MADO_JM(NUM, registers_seal, entry, "entry"),
    MADO_JM(STR, registers_seal, org, "organisation"),
    MADO_JM(STR, registers_seal, approval_ref, "approval_ref"),
    MADO_JM(STR, registers_seal, sealing_body, "sealing_body"),
    MADO_JM(STR, registers_seal, sealed_until, "sealed_until"),
    MADO_JM(STR, registers_seal, outcome, "outcome"),
    MADO_JM(STR, registers_seal, recorded_at, "recorded_at"),
    MADO_JM(STR, registers_seal, grace_until, "grace_until"),
};

/* The open seals per organisation (counts and ages), and those awaiting confirmation. */
static int
seals(struct mado_req *rq)
{
	struct mado_json_rows orgs, pending;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	orgs.array = cJSON_AddArrayToObject(out, "organisations");
	orgs.map = seal_org_json;
	orgs.n = MADO_NELEM(seal_org_json);
	pending.array = cJSON_AddArrayToObject(out, "pending");
	pending.map = seal_json;
	pending.n = MADO_NELEM(seal_json);
	if ((rc = registers__seals_by_org(db, mado_json_append_row, &orgs)) != MADO_OK ||
	    (rc = registers__seals_pending(db, mado_json_append_row, &pending)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

static const struct mado_reason confirm_reasons[] = {
    {"", MADO_OK},
    {"staff", MADO_E_FORBIDDEN},
    {"seal", MADO_E_NOT_FOUND},
    {"confirmed", MADO_E_CONFLICT},
    {"opened", MADO_E_CONFLICT},
    {NULL, 0},
};

/* The supervisor confirms a seal's approval reference: it holds until its date. */
static int
seal_confirm(struct mado_req *rq)
{
	const char *note = mado_http_str(rq, "note");
	struct mado_db *db;
	char reason[32];
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = registers__seal_confirm(db, rq->params[0], rq->actor.staff_ref,
					  note != NULL ? note : "", reason, sizeof(reason))) !=
		MADO_OK)
		return rc;
	if ((rc = mado_db_decision(reason, confirm_reasons)) != MADO_OK)
		return mado_http_refuse(rq, rc, reason);
	mado_log_info(rq->id, "registers: staff %s confirmed the seal of entry %s",
		      rq->actor.staff_ref, rq->params[0]);
	return mado_http_no_content(rq);
}

/* The sealing body a seal names confirms it, over its organisation's certificate. */
static int
seal_confirm_body(struct mado_req *rq)
{
	const char *note = mado_http_str(rq, "note");
	struct mado_db *db;
	char reason[32];
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = registers__seal_confirm_by_body(db, rq->params[0], rq->actor.org,
						  note != NULL ? note : "", reason,
						  sizeof(reason))) != MADO_OK)
		return rc;
	if ((rc = mado_db_decision(reason, confirm_reasons)) != MADO_OK)
		return mado_http_refuse(rq, rc, reason);
	mado_log_info(rq->id, "registers: %s confirmed the seal of entry %s", rq->actor.org,
		      rq->params[0]);
	return mado_http_no_content(rq);
}

static const struct mado_reason body_reasons[] = {
    {"", MADO_OK},
    {"staff", MADO_E_FORBIDDEN},
    {"organisation", MADO_E_VALIDATION},
    {"conflict", MADO_E_CONFLICT},
    {NULL, 0},
};

/* The supervisor names the organisation that speaks for a sealing body. */
static int
body_name(struct mado_req *rq)
{
	struct mado_db *db;
	char reason[32];
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = registers__sealing_body_name(
		 db, mado_http_str(rq, "name"), mado_http_str(rq, "organisation"),
		 rq->actor.staff_ref, reason, sizeof(reason))) != MADO_OK)
		return rc;
	if ((rc = mado_db_decision(reason, body_reasons)) != MADO_OK) {
		if (rc == MADO_E_VALIDATION)
			mado_http_ext(rq, "field", "organisation");
		return mado_http_refuse(rq, rc, reason);
	}
	return mado_http_no_content(rq);
}

static const struct mado_jmember body_json[] = {
    MADO_JM(STR, registers_body, name, "name"),
    MADO_JM(STR, registers_body, org, "organisation"),
    MADO_JM(STR, registers_body, named_at, "named_at"),
};

static int
body_rows(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg)
{
	(void)key;
	return registers__sealing_bodies(db, fn, arg);
}

static int
bodies(struct mado_req *rq)
{
	return mado_http_rows(rq, "sealing_bodies", body_rows, NULL, MADO_COLS(body_json));
}

static const struct mado_field list_query[] = {
    {.name = "kind", .kind = MADO_K_ENUM, .words = kinds},
    MADO_FIELDS_END,
};
static const struct mado_field history_query[] = {
    {.name = "kind", .kind = MADO_K_ENUM, .words = kinds},
    {.name = "key", .kind = MADO_K_TEXT, .min = 1, .max = 300},
    MADO_FIELDS_END,
};
static const struct mado_field id_path[] = {
    {.name = "id", .kind = MADO_K_ID},
    MADO_FIELDS_END,
};
static const struct mado_field proposals_query[] = {
    {.name = "status", .kind = MADO_K_ENUM, .words = statuses},
    MADO_FIELDS_END,
};
static const struct mado_field decide_fields[] = {
    {.name = "approve", .kind = MADO_K_BOOL, .required = true},
    {.name = "note", .kind = MADO_K_PROSE, .min = 0, .max = 500},
    MADO_FIELDS_END,
};
static const struct mado_field confirm_fields[] = {
    {.name = "note", .kind = MADO_K_PROSE, .min = 0, .max = 500},
    MADO_FIELDS_END,
};

static const struct mado_field body_fields[] = {
    {.name = "name", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 200},
    {.name = "organisation", .kind = MADO_K_ORG, .required = true},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/registers",
     .handler = current,
     .caller = MADO_PUBLIC,
     .query = list_query,
     .stale_ok = true},
    {.method = "GET",
     .pattern = "/api/v1/registers/history",
     .handler = history,
     .caller = MADO_PUBLIC,
     .query = history_query,
     .stale_ok = true},
    {.method = "GET",
     .pattern = "/api/v1/registers/versions/{id}",
     .handler = version,
     .caller = MADO_PUBLIC,
     .path = id_path},
    {.method = "GET",
     .pattern = "/staff/v1/registers/proposals",
     .handler = proposals,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_SUPERVISOR,
     .query = proposals_query},
    {.method = "POST",
     .pattern = "/staff/v1/registers/proposals/{id}/decision",
     .handler = decide,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_SUPERVISOR,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = decide_fields},
    {.method = "GET",
     .pattern = "/staff/v1/seals",
     .handler = seals,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_SUPERVISOR},
    {.method = "POST",
     .pattern = "/staff/v1/seals/{id}/confirm",
     .handler = seal_confirm,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_SUPERVISOR,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = confirm_fields},
    {.method = "POST",
     .pattern = "/gw/v1/seals/{id}/confirm",
     .handler = seal_confirm_body,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_AGENCY | MADO_ORG_SUPERVISOR,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = confirm_fields},
    {.method = "GET",
     .pattern = "/staff/v1/sealing-bodies",
     .handler = bodies,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_SUPERVISOR},
    {.method = "POST",
     .pattern = "/staff/v1/sealing-bodies",
     .handler = body_name,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_SUPERVISOR,
     .body = MADO_BODY_OBJECT,
     .fields = body_fields},
};

const struct mado_route_set mado_registers_routes = MADO_ROUTE_SET("registers", routes);
