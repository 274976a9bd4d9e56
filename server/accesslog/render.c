/*
 * Access-log entries as text: JSON for the views and the JSON export, CSV for the CSV
 * export. Written straight into the response buffer from the database row with the
 * streaming writer (a page of entries built as a cJSON tree cost more allocator time than
 * the query itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mado/json.h"
#include "mado/util.h"
#include "accesslog_int.h"

/* Microseconds since the epoch as RFC 3339 UTC with microseconds. */
static void
time_us(const char *us_text, char out[40])
{
	long long us = strtoll(us_text, NULL, 10), frac = us % 1000000;
	time_t secs;
	struct tm tm;
	size_t n;

	/* Floor, not truncation: a time before 1970 is a negative count. */
	if (frac < 0)
		frac += 1000000;
	secs = (time_t)((us - frac) / 1000000);
	gmtime_r(&secs, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06lldZ", frac);
}

/* The codes of a text[] as PostgreSQL writes it ({a,b}; codes need no quoting), each
   passed to fn. */
static void
each_code(const char *lit, void (*fn)(void *, const char *, size_t, bool), void *arg)
{
	size_t n;
	bool first = true;

	if (lit == NULL || *lit++ != '{')
		return;
	while (*lit != '\0' && *lit != '}') {
		n = strcspn(lit, ",}");
		fn(arg, lit, n, first);
		first = false;
		lit += n;
		if (*lit == ',')
			lit++;
	}
}

static void
code_json(void *w, const char *code, size_t n, bool first)
{
	(void)first;
	mado_jw_strn(w, code, n);
}

void
accesslog__json_entry(struct mado_jw *w, const struct accesslog_entry *e, bool detail)
{
	char when[40];

	mado_jw_open(w, '{');
	mado_jw_key(w, "id");
	mado_jw_raw(w, e->id, "null");
	time_us(e->occurred_us, when);
	mado_jw_kstr(w, "occurred_at", when);
	time_us(e->recorded_us, when);
	mado_jw_kstr(w, "recorded_at", when);
	mado_jw_key(w, "sealed");
	mado_jw_bool(w, e->sealed);
	mado_jw_kstr(w, "sealed_until", e->sealed_until);
	mado_jw_kstr(w, "sealing_body", e->sealing_body);
	if (e->sealed) {
		mado_jw_close(w);
		return;
	}
	mado_jw_kstr(w, "organisation", e->org);
	mado_jw_kstr(w, "relay_for", e->relay_for);
	mado_jw_kstr(w, "officer", e->officer);
	mado_jw_kstr(w, "officer_role", e->officer_role);
	mado_jw_kstr(w, "actor_kind", e->actor_kind);
	mado_jw_kstr(w, "channel", e->channel);
	mado_jw_kstr(w, "purpose", e->purpose);
	mado_jw_kstr(w, "legal_ref", e->legal_ref);
	mado_jw_kstr(w, "case_ref", e->case_ref);
	mado_jw_key(w, "items");
	mado_jw_open(w, '[');
	each_code(e->items, code_json, w);
	mado_jw_close(w);
	mado_jw_kstr(w, "consent_id", e->consent_id);
	mado_jw_kstr(w, "outcome", e->outcome);
	mado_jw_kstr(w, "reason", e->reason);
	/* The legal basis's or the registration's version (GET /api/v1/registers/versions/{id}). */
	mado_jw_key(w, "register_version");
	mado_jw_raw(w, e->register_version, "null");
	mado_jw_key(w, "disputes");
	mado_jw_raw(w, e->disputes, "[]");
	if (detail) {
		mado_jw_key(w, "organisation_name");
		mado_jw_open(w, '{');
		mado_jw_kstr(w, "ja", e->org_ja);
		mado_jw_kstr(w, "en", e->org_en);
		mado_jw_close(w);
		mado_jw_key(w, "purpose_text");
		mado_jw_open(w, '{');
		mado_jw_kstr(w, "ja", e->purpose_ja);
		mado_jw_kstr(w, "en", e->purpose_en);
		mado_jw_kstr(w, "explain_ja", e->explain_ja);
		mado_jw_kstr(w, "explain_en", e->explain_en);
		mado_jw_close(w);
		mado_jw_key(w, "law");
		mado_jw_raw(w, e->law, "null");
	}
	mado_jw_close(w);
}

static const char *const csv_columns[] = {
    "id",        "occurred_at",  "recorded_at",  "organisation", "relay_for",
    "officer",   "officer_role", "actor_kind",   "channel",      "purpose",
    "legal_ref", "case_ref",     "items",        "consent_id",   "outcome",
    "reason",    "sealed",       "sealed_until", "sealing_body"};

void
accesslog__csv_header(struct mado_text *t)
{
	size_t i;

	/* A BOM so that spreadsheet programs read the Japanese names as UTF-8. */
	mado_text_puts(t, "\xEF\xBB\xBF");
	for (i = 0; i < MADO_NELEM(csv_columns); i++)
		mado_text_printf(t, "%s%s", csv_columns[i],
				 i + 1 < MADO_NELEM(csv_columns) ? "," : "\r\n");
}

/* One CSV cell (formula-safe; see mado_csv_cell). */
static void
cell(struct mado_text *t, const char *s, size_t n, bool last)
{
	mado_csv_cell(t, s, n, last);
}

static void
cell_str(struct mado_text *t, const char *s)
{
	cell(t, s != NULL ? s : "", s != NULL ? strlen(s) : 0, false);
}

static void
code_space(void *t, const char *code, size_t n, bool first)
{
	if (!first)
		mado_text_append(t, " ", 1);
	mado_text_append(t, code, n);
}

void
accesslog__csv_entry(struct mado_text *t, const struct accesslog_entry *e)
{
	struct mado_text items = {0};
	char occurred[40], recorded[40];
	bool open = !e->sealed;

	time_us(e->occurred_us, occurred);
	time_us(e->recorded_us, recorded);
	if (open)
		each_code(e->items, code_space, &items);
	cell_str(t, e->id);
	cell_str(t, occurred);
	cell_str(t, recorded);
	cell_str(t, open ? e->org : NULL);
	cell_str(t, open ? e->relay_for : NULL);
	cell_str(t, open ? e->officer : NULL);
	cell_str(t, open ? e->officer_role : NULL);
	cell_str(t, open ? e->actor_kind : NULL);
	cell_str(t, open ? e->channel : NULL);
	cell_str(t, open ? e->purpose : NULL);
	cell_str(t, open ? e->legal_ref : NULL);
	cell_str(t, open ? e->case_ref : NULL);
	cell(t, items.buf != NULL ? items.buf : "", items.len, false);
	cell_str(t, open ? e->consent_id : NULL);
	cell_str(t, open ? e->outcome : NULL);
	cell_str(t, open ? e->reason : NULL);
	cell_str(t, e->sealed ? "true" : "false");
	cell_str(t, e->sealed_until);
	cell(t, e->sealing_body != NULL ? e->sealing_body : "",
	     e->sealing_body != NULL ? strlen(e->sealing_body) : 0, true);
	mado_text_free(&items);
}
