/*
 * My information: the person's data as the holding organisations keep it, grouped by
 * holder. Each read goes through portal.mydata_read, which writes the person's own access
 * record (channel self) and names the holders to ask; once it is committed, each holder
 * is asked with a signed ticket (server/relay) and answers with its values sealed to the
 * reply key the person's browser sent. Mado passes the sealed answers on beside the
 * catalogue's names for the items: it never sees a value, so the page opens the answers
 * and makes the downloads itself. From any item the person may ask its holder for a
 * correction or say "this is not mine" (which freezes the item); both are cases in the
 * holder's dispute queue, answered on the gateway like disputes about an entry.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/mydata.h"
#include "mado/relay.h"
#include "mado/seal.h"
#include "mado/util.h"
#include "mydata_int.h"

/* The read being answered: its decision, and the document of the items' names. */
struct doc {
	struct mado_text *t;
	struct mado_jw w;
	bool unknown, grouped, served;
	char stamp[32];
	char org[64]; /* the holder whose group is open */
	char row[24], event[40], requester[48], purpose[64], legal_ref[208];
	cJSON *targets; /* the holders to ask */
};

static void
item_json(struct doc *d, const struct mydata_row *r)
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
	mado_jw_key(w, "frozen");
	mado_jw_bool(w, r->frozen);
	mado_jw_key(w, "cases");
	mado_jw_raw(w, r->cases, "[]");
	mado_jw_close(w);
}

#define COPY(dst, src) snprintf((dst), sizeof(dst), "%s", (src) != NULL ? (src) : "")

static int
data_row(const void *row, int i, void *arg)
{
	const struct mydata_row *r = row;
	struct doc *d = arg;

	if (i == 0) {
		/* The decision: served (with the record and the holders), or an unknown item. */
		if (r->reason != NULL) {
			d->unknown = true;
			return MADO_OK;
		}
		if (r->event_row == NULL || r->event_id == NULL || r->requester == NULL ||
		    r->targets == NULL || (d->targets = cJSON_Parse(r->targets)) == NULL)
			return MADO_E_INTERNAL;
		d->served = true;
		COPY(d->row, r->event_row);
		COPY(d->event, r->event_id);
		COPY(d->requester, r->requester);
		COPY(d->purpose, r->purpose);
		COPY(d->legal_ref, r->legal_ref);
		mado_jw_open(&d->w, '{');
		mado_jw_kstr(&d->w, "read_at", d->stamp);
		mado_jw_key(&d->w, "entry");
		mado_jw_raw(&d->w, d->row, "null");
		mado_jw_kstr(&d->w, "record", d->event);
		mado_jw_key(&d->w, "organisations");
		mado_jw_open(&d->w, '[');
		return MADO_OK;
	}
	if (d->served && r->item != NULL)
		item_json(d, r);
	return MADO_OK;
}

/* Each holder asked for its part of the committed read; a holder that does not answer
   fails the read, and the person's log says so beside the record. */
static int
relay(struct mado_req *rq, struct doc *d, const unsigned char *key)
{
	struct mado_relay_job job = {
	    .row = d->row,
	    .record = d->event,
	    .requester = d->requester,
	    .purpose = d->purpose,
	    .legal_ref = d->legal_ref,
	    .reply_key = key,
	    .req_id = rq->id,
	};
	cJSON *answers;
	char *text;
	int rc;

	if ((rc = mado_relay_answers(rq, &job, d->targets, &answers)) != MADO_OK) {
		mado_text_free(d->t);
		mado_http_ext(rq, "record", d->event);
		return mado_http_fail(rq, rc, "a holder of the data did not answer");
	}
	text = cJSON_PrintUnformatted(answers);
	cJSON_Delete(answers);
	if (text == NULL) {
		mado_text_free(d->t);
		return MADO_E_INTERNAL;
	}
	mado_jw_key(&d->w, "answers");
	mado_jw_raw(&d->w, text, "[]");
	cJSON_free(text);
	mado_jw_close(&d->w);
	return mado_http_take(rq, "application/json", d->t);
}

static int
data(struct mado_req *rq)
{
	unsigned char key[MADO_SEAL_KEY_LEN];
	struct mado_text t = {0};
	struct doc d = {.t = &t};
	struct mado_db *db;
	int rc;

	/* The router checked it (MADO_K_REPLY_KEY): this only decodes it. */
	if (!mado_seal_key_parse(mado_http_query(rq, "reply_key"), key))
		return MADO_E_INTERNAL;
	mado_rfc3339_now(d.stamp);
	mado_jw_init(&d.w, d.t);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = mydata__read(db, rq->actor.person_id, rq->actor.session_hex,
			  mado_http_query(rq, "item"), data_row, &d);
	if (rc != MADO_OK) {
		cJSON_Delete(d.targets);
		mado_text_free(&t);
		/* No record, no data: whatever the cause, the answer is 503. */
		if (rc == MADO_E_DB_UNAVAILABLE)
			return rc;
		mado_log_err(rq->id, "the person's own read could not be recorded (%s)",
			     mado_err_slug(rc));
		return MADO_E_ACCESS_RECORD_FAILED;
	}
	if (d.unknown || !d.served) {
		/* The function always decides first; without a decision no holder is asked. */
		mado_text_free(&t);
		return d.unknown ? mado_http_fail(rq, MADO_E_NOT_FOUND, "no such data item")
				 : MADO_E_INTERNAL;
	}
	if (d.grouped) {
		mado_jw_close(&d.w); /* items */
		mado_jw_close(&d.w); /* the holder */
	}
	mado_jw_close(&d.w); /* organisations */
	rc = relay(rq, &d, key);
	cJSON_Delete(d.targets);
	return rc;
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
		return mado_http_fail(rq, rc, "no such data item");
	if (rc != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "case_no", o.case_no);
	cJSON_AddStringToObject(out, "item", rq->params[0]);
	cJSON_AddStringToObject(out, "kind", kind);
	cJSON_AddStringToObject(out, "status", "open");
	return mado_http_json(rq, o.created ? 201 : 200, out);
}

static const char *const case_kinds[] = {"correction", "not-mine", NULL};

static const struct mado_field data_query[] = {
    {.name = "item", .kind = MADO_K_CODE},
    /* The holders' answers are sealed to it: Mado passes them on and cannot read them. */
    {.name = "reply_key", .kind = MADO_K_REPLY_KEY, .required = true},
    MADO_FIELDS_END};
static const struct mado_field item_path[] = {{.name = "item", .kind = MADO_K_CODE},
					      MADO_FIELDS_END};
static const struct mado_field case_body[] = {
    {.name = "kind", .kind = MADO_K_ENUM, .required = true, .words = case_kinds},
    {.name = "note", .kind = MADO_K_PROSE, .max = 1000},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/api/v1/me/data",
     .handler = data,
     .acts = MADO_ACT_MY_INFO,
     .query = data_query},
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
