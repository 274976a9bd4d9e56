/*
 * My information: the person's data as the holding organisations keep it, grouped by
 * holder, and its downloads (JSON, CSV); each read goes through portal.mydata_read, which
 * writes the person's own access record (channel self) before anything is read, so no
 * record, no data. From any item the person may ask its holder for a correction or say
 * "this is not mine" (which freezes the item); both are cases in the holder's dispute
 * queue, answered on the gateway like disputes about an entry.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/mydata.h"
#include "mado/util.h"
#include "mydata_int.h"

/* The document being written: JSON grouped by holder, or CSV one value a line. */
struct doc {
	struct mado_text *t;
	struct mado_jw w;
	bool csv, unknown, grouped, served;
	char stamp[32];
	char org[64]; /* the holder whose group is open */
};

static const char *const csv_columns[] = {
    "organisation", "organisation_ja", "organisation_en", "item",  "item_ja", "item_en",
    "source_ja",    "source_en",       "value",           "as_of", "frozen"};

static void
csv_str(struct mado_text *t, const char *s, bool last)
{
	mado_csv_cell(t, s != NULL ? s : "", s != NULL ? strlen(s) : 0, last);
}

static void
head(struct doc *d, const char *entry)
{
	size_t i;

	if (d->csv) {
		/* A BOM so that spreadsheet programs read the Japanese names as UTF-8. */
		mado_text_puts(d->t, "\xEF\xBB\xBF");
		for (i = 0; i < MADO_NELEM(csv_columns); i++)
			mado_text_printf(d->t, "%s%s", csv_columns[i],
					 i + 1 < MADO_NELEM(csv_columns) ? "," : "\r\n");
		return;
	}
	mado_jw_open(&d->w, '{');
	mado_jw_kstr(&d->w, "read_at", d->stamp);
	mado_jw_key(&d->w, "entry");
	mado_jw_raw(&d->w, entry, "null");
	mado_jw_key(&d->w, "organisations");
	mado_jw_open(&d->w, '[');
}

static void
value_json(struct doc *d, const struct mydata_row *r)
{
	struct mado_jw *w = &d->w;

	if (!d->grouped || strcmp(d->org, r->org) != 0) {
		if (d->grouped) {
			mado_jw_close(w); /* items */
			mado_jw_close(w); /* the holder */
		}
		d->grouped = true;
		snprintf(d->org, sizeof(d->org), "%s", r->org);
		mado_jw_open(w, '{');
		mado_jw_kstr(w, "code", r->org);
		mado_jw_kstr(w, "name_ja", r->org_ja);
		mado_jw_kstr(w, "name_en", r->org_en);
		mado_jw_key(w, "items");
		mado_jw_open(w, '[');
	}
	mado_jw_open(w, '{');
	mado_jw_kstr(w, "code", r->item);
	mado_jw_kstr(w, "name_ja", r->item_ja);
	mado_jw_kstr(w, "name_en", r->item_en);
	mado_jw_kstr(w, "source_ja", r->source_ja);
	mado_jw_kstr(w, "source_en", r->source_en);
	mado_jw_key(w, "value");
	mado_jw_raw(w, r->value, "null");
	mado_jw_kstr(w, "as_of", r->as_of);
	mado_jw_key(w, "frozen");
	mado_jw_bool(w, r->frozen);
	mado_jw_key(w, "cases");
	mado_jw_raw(w, r->cases, "[]");
	mado_jw_close(w);
}

static void
value_csv(struct doc *d, const struct mydata_row *r)
{
	csv_str(d->t, r->org, false);
	csv_str(d->t, r->org_ja, false);
	csv_str(d->t, r->org_en, false);
	csv_str(d->t, r->item, false);
	csv_str(d->t, r->item_ja, false);
	csv_str(d->t, r->item_en, false);
	csv_str(d->t, r->source_ja, false);
	csv_str(d->t, r->source_en, false);
	csv_str(d->t, r->value, false);
	csv_str(d->t, r->as_of, false);
	csv_str(d->t, r->frozen ? "true" : "false", true);
}

static int
data_row(const void *row, int i, void *arg)
{
	const struct mydata_row *r = row;
	struct doc *d = arg;

	if (i == 0) {
		/* The decision: served (with the record's row), or an unknown item. */
		if (r->reason != NULL) {
			d->unknown = true;
		} else {
			d->served = true;
			head(d, r->event_row);
		}
		return MADO_OK;
	}
	if (!d->served || r->item == NULL)
		return MADO_OK;
	if (d->csv)
		value_csv(d, r);
	else
		value_json(d, r);
	return MADO_OK;
}

/* Reads the person's data (recorded) into d; the response is the caller's to write. */
static int
read_data(struct mado_req *rq, struct doc *d)
{
	struct mado_db *db;
	int rc;

	mado_rfc3339_now(d->stamp);
	mado_jw_init(&d->w, d->t);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = mydata__read(db, rq->actor.person_id, rq->actor.session_hex,
			       mado_http_query(rq, "item"), data_row, d)) != MADO_OK) {
		mado_text_free(d->t);
		/* No record, no data: whatever the cause, the answer is 503. */
		if (rc == MADO_E_DB_UNAVAILABLE)
			return rc;
		mado_log_err(rq->id, "the person's own read could not be recorded (%s)",
			     mado_err_slug(rc));
		return MADO_E_ACCESS_RECORD_FAILED;
	}
	if (d->unknown) {
		mado_text_free(d->t);
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such data item");
	}
	if (!d->served) {
		/* The function always decides first; without a decision nothing is shown. */
		mado_text_free(d->t);
		return MADO_E_INTERNAL;
	}
	if (!d->csv) {
		if (d->grouped) {
			mado_jw_close(&d->w);
			mado_jw_close(&d->w);
		}
		mado_jw_close(&d->w); /* organisations */
		mado_jw_close(&d->w);
	}
	return MADO_OK;
}

static int
data(struct mado_req *rq)
{
	struct mado_text t = {0};
	struct doc d = {.t = &t};
	int rc;

	if ((rc = read_data(rq, &d)) != MADO_OK)
		return rc;
	return mado_http_take(rq, "application/json", &t);
}

static int
data_export(struct mado_req *rq)
{
	const char *format = mado_http_query(rq, "format");
	const char *item = mado_http_query(rq, "item");
	struct mado_text t = {0};
	struct doc d = {.t = &t, .csv = format == NULL || strcmp(format, "csv") == 0};
	char disp[160];
	int rc;

	if ((rc = read_data(rq, &d)) != MADO_OK)
		return rc;
	/* item is a checked code (a-z 0-9 _ . -): safe inside the quoted file name. */
	snprintf(disp, sizeof(disp), "attachment; filename=\"mado-my-information-%s%s%.10s.%s\"",
		 item != NULL ? item : "", item != NULL ? "-" : "", d.stamp,
		 d.csv ? "csv" : "json");
	mado_http_header(rq, "Content-Disposition", disp);
	return mado_http_take(rq, d.csv ? "text/csv; charset=utf-8" : "application/json", &t);
}

static int
case_open(struct mado_req *rq)
{
	const char *kind = mado_http_str(rq, "kind");
	const char *note = mado_http_str(rq, "note");
	struct mado_db *db;
	struct mydata_opened o;
	struct mado_bad bad = {.err = MADO_E_VALIDATION, .index = -1};
	cJSON *out;
	int rc;

	/* A correction says what is wrong. */
	if (strcmp(kind, "correction") == 0 &&
	    (note == NULL || note[strspn(note, " \t\r\n")] == '\0')) {
		snprintf(bad.field, sizeof(bad.field), "note");
		snprintf(bad.detail, sizeof(bad.detail), "a correction request needs a note");
		return mado_http_bad_input(rq, &bad);
	}
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = mydata__case_open(db, rq->actor.person_id, rq->params[0], kind, note, &o);
	if (rc == MADO_E_NOT_FOUND)
		return mado_http_fail(rq, rc, "you hold no such data item");
	if (rc != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "case_no", o.case_no);
	cJSON_AddStringToObject(out, "item", rq->params[0]);
	cJSON_AddStringToObject(out, "kind", kind);
	cJSON_AddStringToObject(out, "status", "open");
	return mado_http_json(rq, o.created ? 201 : 200, out);
}

static const char *const formats[] = {"csv", "json", NULL};
static const char *const case_kinds[] = {"correction", "not-mine", NULL};

static const struct mado_field data_query[] = {{.name = "item", .kind = MADO_K_CODE},
					       MADO_FIELDS_END};
static const struct mado_field export_query[] = {
    {.name = "item", .kind = MADO_K_CODE},
    {.name = "format", .kind = MADO_K_ENUM, .words = formats},
    MADO_FIELDS_END};
static const struct mado_field item_path[] = {{.name = "item", .kind = MADO_K_CODE},
					      MADO_FIELDS_END};
static const struct mado_field case_body[] = {
    {.name = "kind", .kind = MADO_K_ENUM, .required = true, .words = case_kinds},
    {.name = "note", .kind = MADO_K_PROSE, .max = 1000},
    MADO_FIELDS_END,
};

/* Literal paths come before {item}. */
static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/me/data",
     .handler = data,
     .acts = MADO_ACT_MY_INFO,
     .query = data_query},
    {.method = "GET",
     .pattern = "/api/v1/me/data/export",
     .handler = data_export,
     .acts = MADO_ACT_MY_INFO,
     .query = export_query},
    {.method = "POST",
     .pattern = "/api/v1/me/data/{item}/disputes",
     .handler = case_open,
     .acts = MADO_ACT_DISPUTES,
     .path = item_path,
     .body = MADO_BODY_OBJECT,
     .fields = case_body,
     .body_max = 4096},
};

const struct mado_route_set mado_mydata_routes = MADO_ROUTE_SET("mydata", routes);
