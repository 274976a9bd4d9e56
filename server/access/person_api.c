/*
 * The person's side of access transparency: the access log with filters and keyset
 * pages, one entry in full, the summary, the export, the coverage list, disputes,
 * alerts and the notice list. Every read runs under row-level security as the person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/access.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/util.h"
#include "access_int.h"

/* Disclosure dates are Japanese calendar days: a sealed entry opens at midnight JST. */
#define JST_OFFSET_S (9 * 3600)

static void
today_jst(char out[11])
{
	time_t now = time(NULL) + JST_OFFSET_S;
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

/* Query strings of the filters; kept here so that pointers into them stay valid. */
struct filter_buf {
	char org[48], channel[16], purpose[72], item[72], outcome[16];
	char from[40], to[40], before[48], cursor_us[48], cursor_id[48];
	char today[11];
};

/* A period bound: RFC 3339, or a JST calendar day (the start of it, or with end, the
   start of the next day). Written back as RFC 3339 UTC. */
static bool
period_bound(char *s, size_t len, bool end)
{
	char buf[40];
	time_t t;
	struct tm tm;

	if (access__date_ok(s)) {
		snprintf(buf, sizeof(buf), "%sT00:00:00Z", s);
		if (!mado_parse_rfc3339(buf, &t))
			return false;
		t -= JST_OFFSET_S;
		if (end)
			t += 86400;
	} else if (!mado_parse_rfc3339(s, &t)) {
		return false;
	}
	gmtime_r(&t, &tm);
	strftime(s, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return true;
}

static int
read_filter(struct mado_req *rq, struct access_filter *f, struct filter_buf *b)
{
	static const char *const channels[] = {"self",    "gateway", "report",     "desk", "proxy",
					       "private", "push",    "supervisor", NULL};
	static const char *const outcomes[] = {"served", "denied", "failed", NULL};
	bool has[8];
	char *dash;
	long long limit, v;
	int rc;

	memset(f, 0, sizeof(*f));
	today_jst(b->today);
	f->today = b->today;
	if ((rc = mado_http_query_int(rq, "limit", 1, ACCESS_PAGE_MAX, 50, &limit)) != MADO_OK ||
	    (rc = mado_http_query_str(rq, "organisation", b->org, sizeof(b->org), &has[0])) !=
		MADO_OK ||
	    (rc = mado_http_query_str(rq, "channel", b->channel, sizeof(b->channel), &has[1])) !=
		MADO_OK ||
	    (rc = mado_http_query_str(rq, "purpose", b->purpose, sizeof(b->purpose), &has[2])) !=
		MADO_OK ||
	    (rc = mado_http_query_str(rq, "item", b->item, sizeof(b->item), &has[3])) != MADO_OK ||
	    (rc = mado_http_query_str(rq, "outcome", b->outcome, sizeof(b->outcome), &has[4])) !=
		MADO_OK ||
	    (rc = mado_http_query_str(rq, "from", b->from, sizeof(b->from), &has[5])) != MADO_OK ||
	    (rc = mado_http_query_str(rq, "to", b->to, sizeof(b->to), &has[6])) != MADO_OK ||
	    (rc = mado_http_query_str(rq, "before", b->before, sizeof(b->before), &has[7])) !=
		MADO_OK)
		return rc;
	f->limit = (int)limit;
	/* An empty parameter is an unset filter: what a form with "all" selected sends. */
	if (has[0] && b->org[0] != '\0') {
		if (!access__org_code_ok(b->org))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "organisation must be an organisation code");
		f->org = b->org;
	}
	if (has[1] && b->channel[0] != '\0') {
		if (!mado_one_of(b->channel, channels))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "channel is self, gateway, report, desk, proxy, "
					      "private, push or supervisor");
		f->channel = b->channel;
	}
	if (has[2] && b->purpose[0] != '\0') {
		if (!access__code_ok(b->purpose))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "purpose must be a purpose code");
		f->purpose = b->purpose;
	}
	if (has[3] && b->item[0] != '\0') {
		if (!access__code_ok(b->item))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "item must be a data item code");
		f->item = b->item;
	}
	if (has[4] && b->outcome[0] != '\0') {
		if (!mado_one_of(b->outcome, outcomes))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "outcome is served, denied or failed");
		f->outcome = b->outcome;
	}
	if (has[5] && b->from[0] != '\0') {
		if (!period_bound(b->from, sizeof(b->from), false))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "from must be a date (YYYY-MM-DD) or RFC 3339 time");
		f->from = b->from;
	}
	if (has[6] && b->to[0] != '\0') {
		if (!period_bound(b->to, sizeof(b->to), true))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "to must be a date (YYYY-MM-DD) or RFC 3339 time");
		f->to = b->to;
	}
	if (has[7] && b->before[0] != '\0') {
		/* The cursor a previous page gave: microseconds-id. */
		if ((dash = strchr(b->before, '-')) == NULL)
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "before must be a cursor from next_before");
		*dash = '\0';
		if (!mado_parse_int(b->before, 0, INT64_MAX, &v) ||
		    !mado_parse_int(dash + 1, 1, INT64_MAX, &v))
			return mado_http_fail(rq, MADO_E_VALIDATION,
					      "before must be a cursor from next_before");
		snprintf(b->cursor_us, sizeof(b->cursor_us), "%s", b->before);
		snprintf(b->cursor_id, sizeof(b->cursor_id), "%s", dash + 1);
		f->cursor_us = b->cursor_us;
		f->cursor_id = b->cursor_id;
	}
	return MADO_OK;
}

/* Collects entries into a JSON array (arg is the text; the caller writes the brackets). */
struct json_list {
	struct mado_text *t;
	int n;
};

static void
add_json(const struct access_row *e, void *arg)
{
	struct json_list *l = arg;

	if (l->n++ > 0)
		mado_text_append(l->t, ",", 1);
	access__json_entry(l->t, e, false);
}

static int
send_text(struct mado_req *rq, const char *type, struct mado_text *t)
{
	int rc = t->failed ? MADO_E_NOMEM : mado_http_text(rq, 200, type, t->buf, t->len);

	mado_text_free(t);
	return rc;
}

int
access__api_log(struct mado_req *rq)
{
	struct access_filter f;
	struct filter_buf b;
	struct mado_text t = {0};
	struct json_list l = {&t, 0};
	struct mado_db *db;
	char next[64];
	int rc;

	if ((rc = read_filter(rq, &f, &b)) != MADO_OK || (rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	mado_text_append(&t, "{\"items\":[", 10);
	if ((rc = access__log_page(db, rq->actor.person_id, &f, add_json, &l, next,
				   sizeof(next))) != MADO_OK) {
		mado_text_free(&t);
		return rc;
	}
	mado_text_append(&t, "]", 1);
	if (next[0] != '\0')
		mado_text_printf(&t, ",\"next_before\":\"%s\"", next);
	mado_text_append(&t, "}", 1);
	return send_text(rq, "application/json", &t);
}

static bool
entry_id_ok(const char *s)
{
	long long v;

	return mado_parse_int(s, 1, INT64_MAX, &v);
}

static void
add_detail(const struct access_row *e, void *arg)
{
	access__json_entry(arg, e, true);
}

int
access__api_log_entry(struct mado_req *rq)
{
	struct mado_text t = {0};
	struct mado_db *db;
	char today[11];
	int rc;

	if (!entry_id_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	today_jst(today);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = access__log_entry(db, rq->actor.person_id, rq->params[0], today, add_detail,
				    &t)) != MADO_OK) {
		mado_text_free(&t);
		return rc;
	}
	return send_text(rq, "application/json", &t);
}

int
access__api_log_summary(struct mado_req *rq)
{
	struct mado_db *db;
	char today[11];
	cJSON *out;
	int rc;

	today_jst(today);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	if ((rc = access__log_summary(db, rq->actor.person_id, today, out)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

static void
add_csv(const struct access_row *e, void *arg)
{
	struct json_list *l = arg;

	l->n++;
	access__csv_entry(l->t, e);
}

int
access__api_log_export(struct mado_req *rq)
{
	struct access_filter f;
	struct filter_buf b;
	struct mado_text t = {0};
	struct json_list l = {&t, 0};
	struct mado_db *db;
	char format[8], next[64], stamp[32], disp[96];
	bool present, csv;
	int rc;

	if ((rc = mado_http_query_str(rq, "format", format, sizeof(format), &present)) != MADO_OK)
		return rc;
	csv = !present || strcmp(format, "csv") == 0;
	if (present && !csv && strcmp(format, "json") != 0)
		return mado_http_fail(rq, MADO_E_VALIDATION, "format is csv or json");
	if ((rc = read_filter(rq, &f, &b)) != MADO_OK || (rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	mado_rfc3339_now(stamp);
	if (csv)
		access__csv_header(&t);
	else
		mado_text_printf(&t, "{\"exported_at\":\"%s\",\"entries\":[", stamp);
	/* Page through with the same keyset the view uses. */
	f.limit = ACCESS_PAGE_MAX;
	do {
		rc = access__log_page(db, rq->actor.person_id, &f, csv ? add_csv : add_json, &l,
				      next, sizeof(next));
		if (rc != MADO_OK || next[0] == '\0')
			break;
		snprintf(b.cursor_us, sizeof(b.cursor_us), "%.*s", (int)strcspn(next, "-"), next);
		snprintf(b.cursor_id, sizeof(b.cursor_id), "%s", strchr(next, '-') + 1);
		f.cursor_us = b.cursor_us;
		f.cursor_id = b.cursor_id;
	} while (l.n < ACCESS_EXPORT_MAX);
	if (rc != MADO_OK) {
		mado_text_free(&t);
		return rc;
	}
	if (!csv)
		mado_text_append(&t, "]}", 2);
	snprintf(disp, sizeof(disp), "attachment; filename=\"mado-access-log-%.10s.%s\"", stamp,
		 csv ? "csv" : "json");
	mado_http_header(rq, "Content-Disposition", disp);
	return send_text(rq, csv ? "text/csv; charset=utf-8" : "application/json", &t);
}

int
access__api_dispute_open(struct mado_req *rq)
{
	static const char *const kinds[] = {"not-recognised", "not-mine", NULL};
	static const char *const known[] = {"kind", "note", NULL};
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rq->json, "kind");
	const cJSON *note = cJSON_GetObjectItemCaseSensitive(rq->json, "note"), *m;
	struct mado_db *db;
	char case_no[32];
	bool created;
	cJSON *out;
	int rc;

	if (!entry_id_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if (!cJSON_IsObject(rq->json))
		return mado_http_fail(rq, MADO_E_VALIDATION, "send {\"kind\": ...}");
	cJSON_ArrayForEach(m, rq->json) if (!mado_one_of(m->string, known)) return mado_http_fail(
	    rq, MADO_E_VALIDATION, "%.40s is not a known member", m->string);
	if (!cJSON_IsString(kind) || !mado_one_of(kind->valuestring, kinds))
		return mado_http_fail(rq, MADO_E_VALIDATION, "kind is not-recognised or not-mine");
	if (note != NULL && !cJSON_IsNull(note) &&
	    (!cJSON_IsString(note) || strlen(note->valuestring) > 1000))
		return mado_http_fail(rq, MADO_E_VALIDATION, "note is text of 1000 bytes at most");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__dispute_open(db, rq->actor.person_id, rq->params[0], kind->valuestring,
				       cJSON_IsString(note) ? note->valuestring : NULL, case_no,
				       sizeof(case_no), &created)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "case_no", case_no);
	cJSON_AddStringToObject(out, "kind", kind->valuestring);
	cJSON_AddStringToObject(out, "status", "open");
	return mado_http_json(rq, created ? 201 : 200, out);
}

int
access__api_disputes(struct mado_req *rq)
{
	return mado_http_list(rq, "disputes", access__disputes, rq->actor.person_id);
}

int
access__api_notices(struct mado_req *rq)
{
	return mado_http_list(rq, "notices", access__notices, rq->actor.person_id);
}

int
access__api_notice_read(struct mado_req *rq)
{
	struct mado_db *db;
	bool found;
	int rc;

	if (!entry_id_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__notice_read(db, rq->actor.person_id, rq->params[0], &found)) != MADO_OK)
		return rc;
	return found ? mado_http_no_content(rq) : MADO_E_NOT_FOUND;
}

static const char *const alert_modes[] = {"off", "all", "sensitive", "off-hours", NULL};

int
access__api_alerts_get(struct mado_req *rq)
{
	struct mado_db *db;
	char mode[16];
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__alerts_get(db, rq->actor.person_id, mode, sizeof(mode))) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "mode", mode);
	return mado_http_json(rq, 200, out);
}

int
access__api_alerts_put(struct mado_req *rq)
{
	const cJSON *mode = cJSON_GetObjectItemCaseSensitive(rq->json, "mode");
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!cJSON_IsObject(rq->json) || cJSON_GetArraySize(rq->json) != 1 ||
	    !cJSON_IsString(mode) || !mado_one_of(mode->valuestring, alert_modes))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "send {\"mode\": \"off\" | \"all\" | \"sensitive\" | "
				      "\"off-hours\"}");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = access__alerts_set(db, rq->actor.person_id, mode->valuestring)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "mode", mode->valuestring);
	return mado_http_json(rq, 200, out);
}

/* Coverage lists every organisation; the key is unused. */
static int
coverage(struct mado_db *db, const char *key, cJSON *out)
{
	(void)key;
	return access__coverage(db, out);
}

int
access__api_coverage(struct mado_req *rq)
{
	return mado_http_list(rq, "organisations", coverage, NULL);
}

int
access__api_catalogue(struct mado_req *rq)
{
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	if ((rc = access__catalogue(db, out)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}
