/*
 * The person's side of access transparency: the access log with filters and keyset
 * pages, one entry in full, the summary, the export, the coverage list and catalogue,
 * disputes and alerts; and the organisations' side of disputes (their queue, their
 * answer). Every read of the person's rows runs under row-level security as the person.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/accesslog.h"
#include "mado/check.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/translog.h"
#include "mado/util.h"
#include "accesslog_int.h"

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

/* The filters' own text, so that pointers into it stay valid. */
struct filter_buf {
	char from[40], to[40], cursor_us[24], cursor_id[24];
	char today[11];
};

/* A period bound: a JST calendar day (the start of it, or with end the start of the next
   day) or an RFC 3339 time, written back as RFC 3339 UTC. */
static const char *
period_bound(const char *s, bool end, char *out, size_t len)
{
	time_t t;
	struct tm tm;

	if (s == NULL)
		return NULL;
	if (mado_parse_date(s, &t))
		t += (end ? 86400 : 0) - JST_OFFSET_S;
	else if (!mado_parse_rfc3339(s, &t))
		return NULL; /* the router let through only one of the two */
	gmtime_r(&t, &tm);
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

/* The cursor a previous page gave: micros-id. */
static void
set_cursor(struct accesslog_filter *f, struct filter_buf *b, const char *cursor)
{
	long long us, id;

	if (cursor == NULL || !mado_cursor_parse(cursor, &us, &id))
		return;
	snprintf(b->cursor_us, sizeof(b->cursor_us), "%lld", us);
	snprintf(b->cursor_id, sizeof(b->cursor_id), "%lld", id);
	f->cursor_us = b->cursor_us;
	f->cursor_id = b->cursor_id;
}

static void
read_filter(struct mado_req *rq, struct accesslog_filter *f, struct filter_buf *b)
{
	const char *limit = mado_http_query(rq, "limit");

	memset(f, 0, sizeof(*f));
	today_jst(b->today);
	f->today = b->today;
	f->limit = limit != NULL ? atoi(limit) : 50;
	f->org = mado_http_query(rq, "organisation");
	f->channel = mado_http_query(rq, "channel");
	f->purpose = mado_http_query(rq, "purpose");
	f->item = mado_http_query(rq, "item");
	f->outcome = mado_http_query(rq, "outcome");
	f->from = period_bound(mado_http_query(rq, "from"), false, b->from, sizeof(b->from));
	f->to = period_bound(mado_http_query(rq, "to"), true, b->to, sizeof(b->to));
	set_cursor(f, b, mado_http_query(rq, "before"));
}

/* A page of entries as JSON or CSV; next gets the cursor of the page after it, or ""
   when there is none. */
struct page {
	struct mado_jw *w;   /* JSON, or */
	struct mado_text *t; /* CSV */
	int limit, n;
	char last[48], next[48];
	struct mado_text *ids; /* the export's entries, "1,2,3", for their bundles */
};

static int
page_row(const void *row, int i, void *arg)
{
	const struct accesslog_entry *e = row;
	struct page *pg = arg;

	/* The row after the page only says that another page follows. */
	if (i >= pg->limit) {
		snprintf(pg->next, sizeof(pg->next), "%s", pg->last);
		return MADO_OK;
	}
	if (pg->w != NULL)
		accesslog__json_entry(pg->w, e, false);
	else
		accesslog__csv_entry(pg->t, e);
	snprintf(pg->last, sizeof(pg->last), "%s-%s", e->occurred_us, e->id);
	if (pg->ids != NULL)
		mado_text_printf(pg->ids, "%s%s", pg->ids->len > 0 ? "," : "", e->id);
	pg->n++;
	return MADO_OK;
}

static int
log_page(struct mado_req *rq)
{
	struct accesslog_filter f;
	struct filter_buf b;
	struct mado_text t = {0};
	struct mado_jw w;
	struct page pg = {.w = &w};
	struct mado_db *db;
	int rc;

	read_filter(rq, &f, &b);
	pg.limit = f.limit;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	mado_jw_init(&w, &t);
	mado_jw_open(&w, '{');
	mado_jw_key(&w, "items");
	mado_jw_open(&w, '[');
	if ((rc = accesslog__page(db, rq->actor.person_id, &f, page_row, &pg)) != MADO_OK) {
		mado_text_free(&t);
		return rc;
	}
	mado_jw_close(&w);
	if (pg.next[0] != '\0')
		mado_jw_kstr(&w, "next_before", pg.next);
	mado_jw_close(&w);
	return mado_http_take(rq, "application/json", &t);
}

static int
entry_row(const void *row, int i, void *arg)
{
	(void)i;
	accesslog__json_entry(arg, row, true);
	return MADO_OK;
}

static int
log_entry(struct mado_req *rq)
{
	struct mado_text t = {0};
	struct mado_jw w;
	struct mado_db *db;
	char today[11];
	int rc;

	today_jst(today);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	mado_jw_init(&w, &t);
	if ((rc = accesslog__entry(db, rq->actor.person_id, rq->params[0], today, entry_row, &w)) !=
		MADO_OK ||
	    t.len == 0) {
		mado_text_free(&t);
		return rc != MADO_OK ? rc : MADO_E_NOT_FOUND;
	}
	return mado_http_take(rq, "application/json", &t);
}

static const struct mado_jmember month_json[] = {
    MADO_JM(STR, accesslog_count, key, "month"),
    MADO_JM(NUM, accesslog_count, count, "count"),
    MADO_JM(NUM, accesslog_count, denied, "denied"),
    MADO_JM(NUM, accesslog_count, sealed, "sealed"),
};
static const struct mado_jmember org_count_json[] = {
    MADO_JM(STR, accesslog_count, key, "organisation"),
    MADO_JM(NUM, accesslog_count, count, "count"),
    MADO_JM(STR, accesslog_count, last, "last"),
};
static const struct mado_jmember item_count_json[] = {
    MADO_JM(STR, accesslog_count, key, "item"),
    MADO_JM(NUM, accesslog_count, count, "count"),
};

static int
log_summary(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();
	struct mado_json_rows months = {cJSON_AddArrayToObject(out, "months"),
					MADO_COLS(month_json)},
			      orgs = {cJSON_AddArrayToObject(out, "organisations"),
				      MADO_COLS(org_count_json)},
			      items = {cJSON_AddArrayToObject(out, "items"),
				       MADO_COLS(item_count_json)};
	struct mado_db *db;
	char today[11];
	int rc;

	today_jst(today);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__summary(db, rq->actor.person_id, today, mado_json_append_row, &months,
				     &orgs, &items)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

/* The most entries one export holds (export_max_entries). */
static int export_max = 250000;

void
mado_accesslog_init(const struct mado_config *cfg)
{
	export_max = cfg->export_max_entries;
}

static int
write_bundle(cJSON *bundle, void *arg)
{
	char *text = cJSON_PrintUnformatted(bundle);

	cJSON_Delete(bundle);
	if (text == NULL)
		return MADO_E_INTERNAL;
	mado_jw_raw(arg, text, "null");
	free(text);
	return MADO_OK;
}

/* The export's "bundles": each entry's bundle against the latest published checkpoint
   (mado-verify export checks them all), asked for a few thousand entries at a time. An
   entry not yet in it, or sealed, has none. */
static int
export_bundles(struct mado_db *db, const char *person, const struct mado_text *ids,
	       struct mado_jw *w)
{
	struct mado_translog_proofs *p;
	struct mado_text chunk = {0};
	const char *at = ids->buf, *end;
	int rc, k;

	mado_jw_key(w, "bundles");
	mado_jw_open(w, '[');
	if ((rc = mado_translog_proofs_open(db, &p)) != MADO_OK)
		return rc;
	while (rc == MADO_OK && at != NULL && *at != '\0') {
		for (end = at, k = 0; k < 4000 && (end = strchr(end + 1, ',')) != NULL; k++)
			;
		chunk.len = 0;
		mado_text_printf(&chunk, "{%.*s}", (int)(end != NULL ? end - at : (long)strlen(at)),
				 at);
		rc = mado_translog_bundles(p, person, "access", chunk.buf, write_bundle, w);
		at = end != NULL ? end + 1 : NULL;
	}
	mado_text_free(&chunk);
	mado_translog_proofs_close(p);
	mado_jw_close(w);
	return rc;
}

/*
 * The whole log (filters apply), page by page with the view's keyset. One download holds
 * at most export_max entries; a longer log is cut there and says so plainly:
 * Mado-Export-Complete: false, the cursor to continue from (Mado-Export-Next-Before, and
 * next_before in JSON, for ?before=), and a file name that says which part it is.
 */
static int
log_export(struct mado_req *rq)
{
	const char *format = mado_http_query(rq, "format");
	bool csv = format == NULL || strcmp(format, "csv") == 0, complete;
	struct accesslog_filter f;
	struct filter_buf b;
	struct mado_text t = {0};
	struct mado_jw w = {0};
	struct mado_text ids = {0};
	struct page pg = {.w = csv ? NULL : &w,
			  .t = &t,
			  .limit = ACCESSLOG_EXPORT_PAGE,
			  .ids = csv ? NULL : &ids};
	struct mado_db *db;
	char stamp[32], disp[128], part[40] = "", count[24];
	int rc;

	read_filter(rq, &f, &b);
	f.limit = ACCESSLOG_EXPORT_PAGE;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	mado_rfc3339_now(stamp);
	mado_jw_init(&w, &t);
	if (csv) {
		accesslog__csv_header(&t);
	} else {
		mado_jw_open(&w, '{');
		mado_jw_kstr(&w, "exported_at", stamp);
		mado_jw_key(&w, "entries");
		mado_jw_open(&w, '[');
	}
	/* Page through with the same keyset the view uses, never past export_max. */
	do {
		pg.limit = f.limit = export_max - pg.n < ACCESSLOG_EXPORT_PAGE
					 ? export_max - pg.n
					 : ACCESSLOG_EXPORT_PAGE;
		pg.next[0] = '\0';
		if ((rc = accesslog__page(db, rq->actor.person_id, &f, page_row, &pg)) != MADO_OK) {
			mado_text_free(&ids);
			mado_text_free(&t);
			return rc;
		}
		set_cursor(&f, &b, pg.next);
	} while (pg.next[0] != '\0' && pg.n < export_max);
	complete = pg.next[0] == '\0';
	if (!csv) {
		mado_jw_close(&w);
		if ((rc = export_bundles(db, rq->actor.person_id, &ids, &w)) != MADO_OK) {
			mado_text_free(&ids);
			mado_text_free(&t);
			return rc;
		}
		mado_jw_key(&w, "entry_count");
		mado_jw_int(&w, pg.n);
		mado_jw_key(&w, "complete");
		mado_jw_bool(&w, complete);
		if (!complete)
			mado_jw_kstr(&w, "next_before", pg.next);
		mado_jw_close(&w);
	}
	mado_text_free(&ids);
	snprintf(count, sizeof(count), "%d", pg.n);
	mado_http_header(rq, "Mado-Export-Entries", count);
	mado_http_header(rq, "Mado-Export-Complete", complete ? "true" : "false");
	if (!complete) {
		mado_http_header(rq, "Mado-Export-Next-Before", pg.next);
		snprintf(part, sizeof(part), "-first-%d", pg.n);
	}
	snprintf(disp, sizeof(disp), "attachment; filename=\"mado-access-log-%.10s%s.%s\"", stamp,
		 part, csv ? "csv" : "json");
	mado_http_header(rq, "Content-Disposition", disp);
	return mado_http_take(rq, csv ? "text/csv; charset=utf-8" : "application/json", &t);
}

static int
dispute_open(struct mado_req *rq)
{
	const char *kind = mado_http_str(rq, "kind");
	struct mado_db *db;
	struct accesslog_opened o;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__dispute_open(db, rq->actor.person_id, rq->params[0], kind,
					  mado_http_str(rq, "note"), &o)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "case_no", o.case_no);
	cJSON_AddStringToObject(out, "kind", kind);
	cJSON_AddStringToObject(out, "status", "open");
	return mado_http_json(rq, o.created ? 201 : 200, out);
}

static const struct mado_jmember dispute_json[] = {
    MADO_JM(STR, accesslog_dispute, case_no, "case_no"),
    MADO_JM(NUM, accesslog_dispute, entry, "entry"),
    MADO_JM(STR, accesslog_dispute, item, "item"),
    MADO_JM(STR, accesslog_dispute, org, "organisation"),
    MADO_JM(STR, accesslog_dispute, kind, "kind"),
    MADO_JM(STR, accesslog_dispute, status, "status"),
    MADO_JM(STR, accesslog_dispute, answer, "answer"),
    MADO_JM(STR, accesslog_dispute, created_at, "created_at"),
    MADO_JM(STR, accesslog_dispute, updated_at, "updated_at"),
    MADO_JM(RAW, accesslog_dispute, frozen_items, "frozen_items"),
    MADO_JM(RAW, accesslog_dispute, supervisor, "supervisor"),
};

static int
disputes(struct mado_req *rq)
{
	return mado_http_rows(rq, "disputes", accesslog__disputes, rq->actor.person_id,
			      MADO_COLS(dispute_json));
}

static int
alerts_get(struct mado_req *rq)
{
	struct mado_db *db;
	struct accesslog_alerts a;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__alerts_get(db, rq->actor.person_id, &a)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "mode", a.mode);
	return mado_http_json(rq, 200, out);
}

static int
alerts_put(struct mado_req *rq)
{
	const char *mode = mado_http_str(rq, "mode");
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__alerts_set(db, rq->actor.person_id, mode)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "mode", mode);
	return mado_http_json(rq, 200, out);
}

static const struct mado_jmember org_json[] = {
    MADO_JM(STR, accesslog_org, code, "code"),
    MADO_JM(STR, accesslog_org, kind, "kind"),
    MADO_JM(STR, accesslog_org, name_ja, "name_ja"),
    MADO_JM(STR, accesslog_org, name_en, "name_en"),
    MADO_JM(STR, accesslog_org, gateway_since, "gateway_since"),
    MADO_JM(STR, accesslog_org, reports_since, "reports_since"),
};
static const struct mado_jmember item_json[] = {
    MADO_JM(STR, accesslog_item, code, "code"),
    MADO_JM(STR, accesslog_item, holder, "holder"),
    MADO_JM(BOOL, accesslog_item, sensitive, "sensitive"),
    MADO_JM(STR, accesslog_item, name_ja, "name_ja"),
    MADO_JM(STR, accesslog_item, name_en, "name_en"),
};
static const struct mado_jmember purpose_json[] = {
    MADO_JM(STR, accesslog_purpose, code, "code"),
    MADO_JM(STR, accesslog_purpose, name_ja, "name_ja"),
    MADO_JM(STR, accesslog_purpose, name_en, "name_en"),
    MADO_JM(STR, accesslog_purpose, explain_ja, "explain_ja"),
    MADO_JM(STR, accesslog_purpose, explain_en, "explain_en"),
};

static int
coverage(struct mado_req *rq)
{
	return mado_http_rows(rq, "organisations", accesslog__coverage, NULL, MADO_COLS(org_json));
}

static int
catalogue(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();
	struct mado_json_rows orgs = {cJSON_AddArrayToObject(out, "organisations"),
				      MADO_COLS(org_json)},
			      items = {cJSON_AddArrayToObject(out, "items"), MADO_COLS(item_json)},
			      purposes = {cJSON_AddArrayToObject(out, "purposes"),
					  MADO_COLS(purpose_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__coverage(db, NULL, mado_json_append_row, &orgs)) != MADO_OK ||
	    (rc = accesslog__items(db, NULL, mado_json_append_row, &items)) != MADO_OK ||
	    (rc = accesslog__purposes(db, NULL, mado_json_append_row, &purposes)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

static const struct mado_jmember queue_json[] = {
    MADO_JM(STR, accesslog_dispute, case_no, "case_no"),
    MADO_JM(STR, accesslog_dispute, kind, "kind"),
    MADO_JM(STR, accesslog_dispute, status, "status"),
    MADO_JM(STR, accesslog_dispute, person, "person"),
    MADO_JM(STR, accesslog_dispute, org, "organisation"),
    MADO_JM(RAW, accesslog_dispute, items, "items"),
    MADO_JM(STR, accesslog_dispute, occurred_at, "occurred_at"),
    MADO_JM(STR, accesslog_dispute, created_at, "created_at"),
    MADO_JM(STR, accesslog_dispute, note, "note"),
};

static int
gw_disputes(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();
	struct mado_json_rows rows = {cJSON_AddArrayToObject(out, "disputes"),
				      MADO_COLS(queue_json)};
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__dispute_queue(db, rq->actor.org, mado_http_query(rq, "status"),
					   mado_json_append_row, &rows)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

static int
gw_dispute_answer(struct mado_req *rq)
{
	struct mado_db *db;
	char reason[16];
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = accesslog__dispute_answer(
		 db, rq->actor.org, rq->params[0], mado_http_str(rq, "status"),
		 mado_http_str(rq, "answer"), reason, sizeof(reason))) != MADO_OK)
		return rc;
	/* Each answer the case takes moves it on; the person gets a notice for each. */
	if (strcmp(reason, "answered") == 0)
		return mado_http_fail(rq, MADO_E_CONFLICT,
				      "the case already has this answer, or a final one");
	if (reason[0] != '\0')
		return mado_http_fail(rq, MADO_E_NOT_FOUND,
				      "no such case for your organisation (only the source of the "
				      "data re-verifies)");
	return mado_http_no_content(rq);
}

static const char *const channels[] = {"self",    "gateway", "report",     "desk", "proxy",
				       "private", "push",    "supervisor", NULL};
static const char *const outcomes[] = {"served", "denied", "failed", NULL};
static const char *const formats[] = {"csv", "json", NULL};
static const char *const dispute_kinds[] = {"not-recognised", "not-mine", NULL};
static const char *const alert_modes[] = {"off", "all", "sensitive", "off-hours", NULL};
static const char *const case_statuses[] = {"open",      "acknowledged", "reverified",
					    "corrected", "rejected",     NULL};
/* An answer moves a case on; "open" is where every case starts. */
#define ANSWER_STATUSES (case_statuses + 1)

/* The filters of the log and its export. */
#define FILTER_FIELDS                                                                              \
	{.name = "organisation", .kind = MADO_K_ORG},                                              \
	    {.name = "channel", .kind = MADO_K_ENUM, .words = channels},                           \
	    {.name = "purpose", .kind = MADO_K_CODE}, {.name = "item", .kind = MADO_K_CODE},       \
	    {.name = "outcome", .kind = MADO_K_ENUM, .words = outcomes},                           \
	    {.name = "from", .kind = MADO_K_PERIOD}, {.name = "to", .kind = MADO_K_PERIOD},        \
	{                                                                                          \
		.name = "before", .kind = MADO_K_CURSOR, .hint = "a cursor from next_before"       \
	}

static const struct mado_field log_query[] = {
    {.name = "limit", .kind = MADO_K_INT, .min = 1, .max = ACCESSLOG_PAGE_MAX},
    FILTER_FIELDS,
    MADO_FIELDS_END};
static const struct mado_field export_query[] = {
    FILTER_FIELDS, {.name = "format", .kind = MADO_K_ENUM, .words = formats}, MADO_FIELDS_END};
static const struct mado_field entry_path[] = {{.name = "id", .kind = MADO_K_ID}, MADO_FIELDS_END};
static const struct mado_field case_path[] = {
    {.name = "case", .kind = MADO_K_TEXT, .min = 1, .max = 32}, MADO_FIELDS_END};
static const struct mado_field dispute_body[] = {
    {.name = "kind", .kind = MADO_K_ENUM, .required = true, .words = dispute_kinds},
    {.name = "note", .kind = MADO_K_PROSE, .max = 1000},
    MADO_FIELDS_END,
};
static const struct mado_field alerts_body[] = {
    {.name = "mode", .kind = MADO_K_ENUM, .required = true, .words = alert_modes},
    MADO_FIELDS_END,
};
static const struct mado_field queue_query[] = {
    {.name = "status", .kind = MADO_K_ENUM, .words = case_statuses}, MADO_FIELDS_END};
static const struct mado_field answer_body[] = {
    {.name = "status", .kind = MADO_K_ENUM, .required = true, .words = ANSWER_STATUSES},
    {.name = "answer", .kind = MADO_K_PROSE, .max = 1000},
    MADO_FIELDS_END,
};

/* Literal paths come before {id}. */
static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/me/access-log",
     .handler = log_page,
     .acts = MADO_ACT_ACCESS_LOG,
     .query = log_query},
    {.method = "GET",
     .pattern = "/api/v1/me/access-log/summary",
     .handler = log_summary,
     .acts = MADO_ACT_ACCESS_LOG},
    {.method = "GET",
     .pattern = "/api/v1/me/access-log/export",
     .handler = log_export,
     .acts = MADO_ACT_ACCESS_LOG,
     .query = export_query},
    {.method = "GET",
     .pattern = "/api/v1/me/access-log/{id}",
     .handler = log_entry,
     .acts = MADO_ACT_ACCESS_LOG | MADO_ACT_DISPUTES,
     .path = entry_path},
    {.method = "POST",
     .pattern = "/api/v1/me/access-log/{id}/disputes",
     .handler = dispute_open,
     .acts = MADO_ACT_DISPUTES,
     .path = entry_path,
     .body = MADO_BODY_OBJECT,
     .fields = dispute_body,
     .body_max = 4096},
    {.method = "GET",
     .pattern = "/api/v1/me/disputes",
     .handler = disputes,
     .acts = MADO_ACT_ACCESS_LOG | MADO_ACT_DISPUTES},
    {.method = "GET",
     .pattern = "/api/v1/me/alerts",
     .handler = alerts_get,
     .acts = MADO_ACT_ACCESS_LOG},
    {.method = "PUT",
     .pattern = "/api/v1/me/alerts",
     .handler = alerts_put,
     .body = MADO_BODY_OBJECT,
     .fields = alerts_body,
     .body_max = 1024},
    {.method = "GET",
     .pattern = "/api/v1/access/coverage",
     .handler = coverage,
     .caller = MADO_PUBLIC,
     .stale_ok = true},
    {.method = "GET",
     .pattern = "/api/v1/access/catalogue",
     .handler = catalogue,
     .caller = MADO_PUBLIC,
     .stale_ok = true},
    {.method = "GET",
     .pattern = "/gw/v1/disputes",
     .handler = gw_disputes,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_ANY,
     .query = queue_query},
    {.method = "POST",
     .pattern = "/gw/v1/disputes/{case}",
     .handler = gw_dispute_answer,
     .caller = MADO_ORG,
     .orgs = MADO_ORG_ANY,
     .path = case_path,
     .body = MADO_BODY_OBJECT,
     .fields = answer_body,
     .body_max = 4096},
};

const struct mado_route_set mado_accesslog_routes = MADO_ROUTE_SET("accesslog", routes);
