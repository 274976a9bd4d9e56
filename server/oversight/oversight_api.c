/*
 * Oversight. On the mTLS listener: the supervisor asks an organisation who an official's
 * pseudonymous id (as its records hold it) stands for, and the organisation answers once;
 * an organisation reads the anomaly cases the supervisor asked it about and answers them.
 * For the supervisor's staff (/staff/v1/oversight/): the overview, statistics (aggregates
 * only), the anomaly cases (open, note, ask the organisation, close), the anomaly scan on
 * demand, the disputes (reading one is recorded in the person's log; take over, deadline,
 * escalate, close with a finding the person sees) and reveal requests. For anyone: the
 * public transparency statistics.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* The staff member's reveal request: the same as the supervisor system's, by the staff
   member's organisation (the database checks it is a supervisor). */
static int
staff_reveals(struct mado_req *rq)
{
	return mado_http_rows(rq, "reveals", oversight__reveals, rq->actor.org,
			      MADO_COLS(reveal_json));
}

/* A one-row document of the database, as member of the response. */
struct doc_out {
	cJSON *out;
	const char *member;
};

static int
put_doc(const void *row, int i, void *arg)
{
	const struct oversight_doc *d = row;
	struct doc_out *o = arg;

	(void)i;
	mado_json_put_raw(o->out, o->member, d->doc, "null");
	return MADO_OK;
}

static int
overview(struct mado_req *rq)
{
	struct doc_out o = {cJSON_CreateObject(), "overview"};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__rollup(db, oversight__s.lag_s)) != MADO_OK ||
	    (rc = oversight__overview(db, oversight__s.due_days, put_doc, &o)) != MADO_OK) {
		cJSON_Delete(o.out);
		return rc;
	}
	return mado_http_json(rq, 200, o.out);
}

/* A date (YYYY-MM-DD) days from today, Japan time. */
static void
day_from_today(int days, char *out, size_t len)
{
	time_t t = time(NULL) + 9 * 3600 + (time_t)days * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%d", &tm);
}

static int
statistics(struct mado_req *rq)
{
	struct doc_out o = {cJSON_CreateObject(), "statistics"};
	const char *from = mado_http_query(rq, "from"), *to = mado_http_query(rq, "to");
	char dfrom[16], dto[16];
	struct mado_db *db;
	int rc;

	day_from_today(-29, dfrom, sizeof(dfrom));
	day_from_today(0, dto, sizeof(dto));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__rollup(db, oversight__s.lag_s)) != MADO_OK ||
	    (rc = oversight__statistics(db, from != NULL ? from : dfrom, to != NULL ? to : dto,
					oversight__s.due_days, put_doc, &o)) != MADO_OK) {
		cJSON_Delete(o.out);
		return rc;
	}
	return mado_http_json(rq, 200, o.out);
}

static int
transparency(struct mado_req *rq)
{
	struct doc_out o = {cJSON_CreateObject(), "transparency"};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__transparency(db, oversight__s.public_min,
					  (int)mado_http_int(rq, "months", 12), put_doc, &o)) !=
		MADO_OK) {
		cJSON_Delete(o.out);
		return rc;
	}
	mado_http_header(rq, "Cache-Control", "public, max-age=300");
	return mado_http_json(rq, 200, o.out);
}

static int
scan(struct mado_req *rq)
{
	struct mado_db *db;
	int found = 0, rc;
	cJSON *out;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__scan(db, oversight__s.thresholds, &found)) != MADO_OK)
		return rc;
	if (found < 0)
		return mado_http_fail(rq, MADO_E_CONFLICT, "a scan is running; try again shortly");
	out = cJSON_CreateObject();
	cJSON_AddNumberToObject(out, "found", found);
	return mado_http_json(rq, 200, out);
}

static const struct mado_jmember anomaly_json[] = {
    MADO_JM(NUM, oversight_anomaly, id, "id"),
    MADO_JM(STR, oversight_anomaly, kind, "kind"),
    MADO_JM(STR, oversight_anomaly, org, "organisation"),
    MADO_JM(STR, oversight_anomaly, subject, "subject"),
    MADO_JM(STR, oversight_anomaly, period_start, "period_start"),
    MADO_JM(STR, oversight_anomaly, period_end, "period_end"),
    MADO_JM(NUM, oversight_anomaly, measure, "measure"),
    MADO_JM(NUM, oversight_anomaly, baseline, "baseline"),
    MADO_JM(NUM, oversight_anomaly, threshold, "threshold"),
    MADO_JM(STR, oversight_anomaly, found_at, "found_at"),
    MADO_JM(STR, oversight_anomaly, status, "status"),
    MADO_JM(STR, oversight_anomaly, closed_at, "closed_at"),
    MADO_JM(STR, oversight_anomaly, finding, "finding"),
};

static const struct mado_jmember event_json[] = {
    MADO_JM(NUM, oversight_event, id, "id"),         MADO_JM(STR, oversight_event, at, "at"),
    MADO_JM(STR, oversight_event, author, "author"), MADO_JM(STR, oversight_event, kind, "kind"),
    MADO_JM(STR, oversight_event, body, "body"),
};

static int
anomalies(struct mado_req *rq)
{
	return mado_http_rows(rq, "anomalies", oversight__anomalies, mado_http_query(rq, "status"),
			      MADO_COLS(anomaly_json));
}

/* The first row of an array as a member of out; MADO_E_NOT_FOUND when it has none. */
static int
first_as(cJSON *out, cJSON *array, const char *member)
{
	cJSON *item = cJSON_DetachItemFromArray(array, 0);

	cJSON_Delete(array);
	if (item == NULL)
		return MADO_E_NOT_FOUND;
	cJSON_AddItemToObject(out, member, item);
	return MADO_OK;
}

static int
anomaly(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();
	struct mado_json_rows one = {cJSON_CreateArray(), MADO_COLS(anomaly_json)};
	struct mado_json_rows history = {cJSON_AddArrayToObject(out, "history"),
					 MADO_COLS(event_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__anomaly(db, rq->params[0], mado_json_append_row, &one)) != MADO_OK) {
		cJSON_Delete(one.array);
		cJSON_Delete(out);
		return rc;
	}
	if ((rc = first_as(out, one.array, "anomaly")) != MADO_OK ||
	    (rc = oversight__anomaly_history(db, rq->params[0], mado_json_append_row, &history)) !=
		MADO_OK) {
		cJSON_Delete(out);
		return rc == MADO_E_NOT_FOUND ? mado_http_fail(rq, rc, "no such case") : rc;
	}
	return mado_http_json(rq, 200, out);
}

/* open, note, question, close: the action is the path's last segment. */
static int
anomaly_act(struct mado_req *rq, const char *action, const char *body)
{
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = oversight__anomaly_act(db, rq->actor.org, rq->actor.staff_ref, rq->params[0], action,
				    body);
	if (rc == MADO_E_NOT_FOUND)
		return mado_http_fail(rq, rc, "no such case");
	if (rc == MADO_E_CONFLICT)
		return mado_http_fail(rq, rc, "the case is closed");
	return rc == MADO_OK ? mado_http_no_content(rq) : rc;
}

static int
anomaly_open(struct mado_req *rq)
{
	return anomaly_act(rq, "open", NULL);
}

static int
anomaly_note(struct mado_req *rq)
{
	return anomaly_act(rq, "note", mado_http_str(rq, "note"));
}

static int
anomaly_question(struct mado_req *rq)
{
	return anomaly_act(rq, "question", mado_http_str(rq, "question"));
}

static int
anomaly_close(struct mado_req *rq)
{
	return anomaly_act(rq, "close", mado_http_str(rq, "finding"));
}

static const struct mado_jmember asked_json[] = {
    MADO_JM(NUM, oversight_asked, id, "id"),
    MADO_JM(STR, oversight_asked, kind, "kind"),
    MADO_JM(STR, oversight_asked, subject, "subject"),
    MADO_JM(STR, oversight_asked, period_start, "period_start"),
    MADO_JM(STR, oversight_asked, period_end, "period_end"),
    MADO_JM(NUM, oversight_asked, measure, "measure"),
    MADO_JM(NUM, oversight_asked, threshold, "threshold"),
    MADO_JM(STR, oversight_asked, status, "status"),
    MADO_JM_RAW(oversight_asked, questions, "questions", "[]"),
};

static int
gw_anomalies(struct mado_req *rq)
{
	return mado_http_rows(rq, "anomalies", oversight__asked_of, rq->actor.org,
			      MADO_COLS(asked_json));
}

static int
gw_anomaly_answer(struct mado_req *rq)
{
	struct mado_db *db;
	bool done;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__anomaly_answer(db, rq->actor.org, rq->params[0],
					    mado_http_str(rq, "answer"), &done)) != MADO_OK)
		return rc;
	if (!done)
		return mado_http_fail(
		    rq, MADO_E_NOT_FOUND,
		    "no case of your organisation waits for an answer with this id");
	return mado_http_no_content(rq);
}

static const struct mado_jmember dispute_json[] = {
    MADO_JM(STR, oversight_dispute, case_no, "case_no"),
    MADO_JM(STR, oversight_dispute, kind, "kind"),
    MADO_JM(STR, oversight_dispute, status, "status"),
    MADO_JM(STR, oversight_dispute, org, "organisation"),
    MADO_JM(STR, oversight_dispute, created_at, "created_at"),
    MADO_JM(STR, oversight_dispute, updated_at, "updated_at"),
    MADO_JM(STR, oversight_dispute, taken_by, "taken_by"),
    MADO_JM(STR, oversight_dispute, deadline, "deadline"),
    MADO_JM(STR, oversight_dispute, escalated_at, "escalated_at"),
    MADO_JM(STR, oversight_dispute, closed_at, "closed_at"),
    MADO_JM(STR, oversight_dispute, outcome, "outcome"),
    MADO_JM(BOOL, oversight_dispute, overdue, "overdue"),
};

static int
disputes(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();
	struct mado_json_rows rows = {cJSON_AddArrayToObject(out, "disputes"),
				      MADO_COLS(dispute_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__disputes(db, mado_http_query(rq, "filter"), oversight__s.due_days,
				      mado_json_append_row, &rows)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

static const struct mado_jmember case_json[] = {
    MADO_JM(STR, oversight_case, case_no, "case_no"),
    MADO_JM(STR, oversight_case, kind, "kind"),
    MADO_JM(STR, oversight_case, status, "status"),
    MADO_JM(STR, oversight_case, note, "note"),
    MADO_JM(STR, oversight_case, answer, "answer"),
    MADO_JM(STR, oversight_case, org, "organisation"),
    MADO_JM(STR, oversight_case, created_at, "created_at"),
    MADO_JM(STR, oversight_case, updated_at, "updated_at"),
    MADO_JM(STR, oversight_case, item, "item"),
    MADO_JM(STR, oversight_case, occurred_at, "occurred_at"),
    MADO_JM_RAW(oversight_case, items, "items", "[]"),
    MADO_JM(STR, oversight_case, purpose, "purpose"),
    MADO_JM(STR, oversight_case, legal_ref, "legal_ref"),
    MADO_JM(STR, oversight_case, officer, "officer"),
    MADO_JM(STR, oversight_case, officer_role, "officer_role"),
    MADO_JM(STR, oversight_case, channel, "channel"),
    MADO_JM(STR, oversight_case, outcome, "outcome"),
    MADO_JM(STR, oversight_case, reason, "reason"),
    MADO_JM(STR, oversight_case, taken_by, "taken_by"),
    MADO_JM(STR, oversight_case, taken_at, "taken_at"),
    MADO_JM(STR, oversight_case, deadline, "deadline"),
    MADO_JM(STR, oversight_case, escalated_at, "escalated_at"),
    MADO_JM(STR, oversight_case, escalation, "escalation"),
    MADO_JM(STR, oversight_case, closed_at, "closed_at"),
    MADO_JM(STR, oversight_case, outcome_found, "finding_outcome"),
    MADO_JM(STR, oversight_case, finding, "finding"),
    MADO_JM(NUM, oversight_case, record_row, "recorded_as"),
};

/* Opening a case reads one person's entry: the database records it in their log first. */
static int
dispute(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();
	struct mado_json_rows one = {cJSON_CreateArray(), MADO_COLS(case_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = oversight__dispute_read(db, rq->actor.org, rq->actor.staff_ref, rq->params[0],
					  mado_json_append_row, &one)) != MADO_OK) {
		cJSON_Delete(one.array);
		cJSON_Delete(out);
		return rc;
	}
	if ((rc = first_as(out, one.array, "dispute")) != MADO_OK) {
		cJSON_Delete(out);
		return mado_http_fail(rq, rc, "no such case");
	}
	return mado_http_json(rq, 200, out);
}

static int
dispute_act(struct mado_req *rq, const char *action)
{
	struct mado_db *db;
	const char *text = mado_http_str(rq, "finding");
	int rc;

	if (text == NULL)
		text = mado_http_str(rq, "escalation");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = oversight__dispute_act(db, rq->actor.org, rq->actor.staff_ref, rq->params[0], action,
				    mado_http_str(rq, "deadline"), text,
				    mado_http_str(rq, "outcome"));
	if (rc == MADO_E_NOT_FOUND)
		return mado_http_fail(rq, rc, "no such case");
	if (rc == MADO_E_CONFLICT)
		return mado_http_fail(rq, rc,
				      strcmp(action, "take") == 0
					  ? "the supervisor has taken this case over already"
					  : "the case is not taken over, or is closed");
	return rc == MADO_OK ? mado_http_no_content(rq) : rc;
}

static int
dispute_take(struct mado_req *rq)
{
	return dispute_act(rq, "take");
}

static int
dispute_deadline(struct mado_req *rq)
{
	return dispute_act(rq, "deadline");
}

static int
dispute_escalate(struct mado_req *rq)
{
	return dispute_act(rq, "escalate");
}

static int
dispute_close(struct mado_req *rq)
{
	return dispute_act(rq, "close");
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
static const struct mado_field case_answer_body[] = {
    {.name = "answer", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 2000},
    MADO_FIELDS_END,
};
static const char *const anomaly_statuses[] = {"new", "open", "asked", "answered", "closed", NULL};
static const struct mado_field anomalies_query[] = {
    {.name = "status", .kind = MADO_K_ENUM, .words = anomaly_statuses},
    MADO_FIELDS_END,
};
static const struct mado_field stats_query[] = {
    {.name = "from", .kind = MADO_K_DATE},
    {.name = "to", .kind = MADO_K_DATE},
    MADO_FIELDS_END,
};
static const struct mado_field transparency_query[] = {
    {.name = "months", .kind = MADO_K_INT, .min = 1, .max = 60},
    MADO_FIELDS_END,
};
static const struct mado_field note_body[] = {
    {.name = "note", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 2000},
    MADO_FIELDS_END,
};
static const struct mado_field question_body[] = {
    {.name = "question", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 2000},
    MADO_FIELDS_END,
};
static const struct mado_field finding_body[] = {
    {.name = "finding", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 2000},
    MADO_FIELDS_END,
};
static const char *const dispute_filters[] = {"open", "overdue", "taken", "closed", NULL};
static const struct mado_field disputes_query[] = {
    {.name = "filter", .kind = MADO_K_ENUM, .words = dispute_filters},
    MADO_FIELDS_END,
};
static const struct mado_field case_path[] = {
    {.name = "case", .kind = MADO_K_TEXT, .min = 1, .max = 32}, MADO_FIELDS_END};
static const struct mado_field take_body[] = {
    {.name = "deadline", .kind = MADO_K_DATE},
    MADO_FIELDS_END,
};
static const struct mado_field deadline_body[] = {
    {.name = "deadline", .kind = MADO_K_DATE, .required = true},
    MADO_FIELDS_END,
};
static const struct mado_field escalate_body[] = {
    {.name = "escalation", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 1000},
    MADO_FIELDS_END,
};
static const char *const outcomes[] = {"upheld", "not-upheld", "resolved", NULL};
static const struct mado_field close_body[] = {
    {.name = "outcome", .kind = MADO_K_ENUM, .required = true, .words = outcomes},
    {.name = "finding", .kind = MADO_K_PROSE, .required = true, .min = 1, .max = 2000},
    MADO_FIELDS_END,
};

#define SUPERVISOR .caller = MADO_STAFF, .staff_roles = MADO_STAFF_SUPERVISOR

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
    /* The anomaly cases the supervisor asked an organisation about, and its answers. */
    {.method = "GET",
     .pattern = "/gw/v1/anomalies",
     .handler = gw_anomalies,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_ANY},
    {.method = "POST",
     .pattern = "/gw/v1/anomalies/{id}/answer",
     .handler = gw_anomaly_answer,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_ANY,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = case_answer_body,
     .body_max = 8192},
    /* Anyone: aggregates with no count below public_stats_min. */
    {.method = "GET",
     .pattern = "/api/v1/transparency",
     .handler = transparency,
     .caller = MADO_PUBLIC,
     .query = transparency_query,
     .stale_ok = true},
    /* The supervisor's staff. */
    {.method = "GET", .pattern = "/staff/v1/oversight/overview", .handler = overview, SUPERVISOR},
    {.method = "GET",
     .pattern = "/staff/v1/oversight/statistics",
     .handler = statistics,
     SUPERVISOR,
     .query = stats_query},
    {.method = "POST", .pattern = "/staff/v1/oversight/scan", .handler = scan, SUPERVISOR},
    {.method = "GET",
     .pattern = "/staff/v1/oversight/anomalies",
     .handler = anomalies,
     SUPERVISOR,
     .query = anomalies_query},
    {.method = "GET",
     .pattern = "/staff/v1/oversight/anomalies/{id}",
     .handler = anomaly,
     SUPERVISOR,
     .path = id_path},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/anomalies/{id}/open",
     .handler = anomaly_open,
     SUPERVISOR,
     .path = id_path},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/anomalies/{id}/notes",
     .handler = anomaly_note,
     SUPERVISOR,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = note_body,
     .body_max = 8192},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/anomalies/{id}/question",
     .handler = anomaly_question,
     SUPERVISOR,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = question_body,
     .body_max = 8192},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/anomalies/{id}/close",
     .handler = anomaly_close,
     SUPERVISOR,
     .path = id_path,
     .body = MADO_BODY_OBJECT,
     .fields = finding_body,
     .body_max = 8192},
    {.method = "GET",
     .pattern = "/staff/v1/oversight/disputes",
     .handler = disputes,
     SUPERVISOR,
     .query = disputes_query},
    {.method = "GET",
     .pattern = "/staff/v1/oversight/disputes/{case}",
     .handler = dispute,
     SUPERVISOR,
     .path = case_path},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/disputes/{case}/take",
     .handler = dispute_take,
     SUPERVISOR,
     .path = case_path,
     .body = MADO_BODY_OBJECT,
     .fields = take_body,
     .body_max = 4096},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/disputes/{case}/deadline",
     .handler = dispute_deadline,
     SUPERVISOR,
     .path = case_path,
     .body = MADO_BODY_OBJECT,
     .fields = deadline_body,
     .body_max = 4096},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/disputes/{case}/escalate",
     .handler = dispute_escalate,
     SUPERVISOR,
     .path = case_path,
     .body = MADO_BODY_OBJECT,
     .fields = escalate_body,
     .body_max = 4096},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/disputes/{case}/close",
     .handler = dispute_close,
     SUPERVISOR,
     .path = case_path,
     .body = MADO_BODY_OBJECT,
     .fields = close_body,
     .body_max = 8192},
    {.method = "GET",
     .pattern = "/staff/v1/oversight/reveals",
     .handler = staff_reveals,
     SUPERVISOR},
    {.method = "POST",
     .pattern = "/staff/v1/oversight/reveals",
     .handler = reveal_request,
     SUPERVISOR,
     .body = MADO_BODY_OBJECT,
     .fields = request_body,
     .body_max = 4096},
};

const struct mado_route_set mado_oversight_routes = MADO_ROUTE_SET("oversight", routes);
