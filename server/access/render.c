/*
 * Access-log entries as text: JSON for the views and the JSON export, CSV for the CSV
 * export. Written straight into the response buffer from the database row (a page of
 * entries built as a cJSON tree cost more allocator time than the query itself).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mado/util.h"
#include "access_int.h"

static void
lit(struct mado_text *t, const char *s)
{
	mado_text_append(t, s, strlen(s));
}

/* A JSON string, or null for NULL. */
static void
json_str(struct mado_text *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run;
	unsigned char c;
	char esc[6];

	if (s == NULL) {
		lit(t, "null");
		return;
	}
	lit(t, "\"");
	for (run = s; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		mado_text_append(t, run, (size_t)(s - run));
		run = s + 1;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			mado_text_append(t, esc, 2);
		} else {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			mado_text_append(t, esc, 6);
		}
	}
	mado_text_append(t, run, (size_t)(s - run));
	lit(t, "\"");
}

static void
member(struct mado_text *t, const char *name, const char *value)
{
	mado_text_printf(t, ",\"%s\":", name);
	json_str(t, value);
}

/* JSON the database produced (json_agg, json_build_object), without the blanks it puts
   between tokens, or fallback when NULL. */
static void
member_raw(struct mado_text *t, const char *name, const char *json, const char *fallback)
{
	const char *p, *run;
	bool in_string = false;

	mado_text_printf(t, ",\"%s\":", name);
	if (json == NULL) {
		lit(t, fallback);
		return;
	}
	for (p = run = json; *p != '\0'; p++) {
		if (in_string) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			mado_text_append(t, run, (size_t)(p - run));
			run = p + 1;
		}
	}
	mado_text_append(t, run, (size_t)(p - run));
}

/* Microseconds since the epoch as RFC 3339 UTC with microseconds. */
static void
time_us(const char *us_text, char out[40])
{
	long long us = strtoll(us_text, NULL, 10);
	time_t secs = (time_t)(us / 1000000);
	struct tm tm;
	size_t n;

	gmtime_r(&secs, &tm);
	n = strftime(out, 40, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 40 - n, ".%06lldZ", us % 1000000);
}

/* The codes of a text[] as PostgreSQL writes it ({a,b}; codes need no quoting), each
   passed to fn. */
static void
each_code(const char *lit, void (*fn)(struct mado_text *, const char *, size_t, bool),
	  struct mado_text *t)
{
	size_t n;
	bool first = true;

	if (lit == NULL || *lit++ != '{')
		return;
	while (*lit != '\0' && *lit != '}') {
		n = strcspn(lit, ",}");
		fn(t, lit, n, first);
		first = false;
		lit += n;
		if (*lit == ',')
			lit++;
	}
}

static void
code_json(struct mado_text *t, const char *code, size_t n, bool first)
{
	mado_text_append(t, first ? "\"" : ",\"", first ? 1 : 2);
	mado_text_append(t, code, n);
	lit(t, "\"");
}

void
access__json_entry(struct mado_text *t, const struct access_row *e, bool detail)
{
	char when[40];

	mado_text_printf(t, "{\"id\":%s", e->id);
	time_us(e->occurred_us, when);
	member(t, "occurred_at", when);
	time_us(e->recorded_us, when);
	member(t, "recorded_at", when);
	mado_text_printf(t, ",\"sealed\":%s", e->sealed ? "true" : "false");
	member(t, "sealed_until", e->sealed_until);
	member(t, "sealing_body", e->sealing_body);
	if (e->sealed) {
		lit(t, "}");
		return;
	}
	member(t, "organisation", e->org);
	member(t, "relay_for", e->relay_for);
	member(t, "officer", e->officer);
	member(t, "officer_role", e->officer_role);
	member(t, "actor_kind", e->actor_kind);
	member(t, "channel", e->channel);
	member(t, "purpose", e->purpose);
	member(t, "legal_ref", e->legal_ref);
	member(t, "case_ref", e->case_ref);
	lit(t, ",\"items\":[");
	each_code(e->items, code_json, t);
	lit(t, "]");
	member(t, "consent_id", e->consent_id);
	member(t, "outcome", e->outcome);
	member(t, "reason", e->reason);
	member_raw(t, "disputes", e->disputes, "[]");
	if (detail) {
		lit(t, ",\"organisation_name\":{\"ja\":");
		json_str(t, e->org_ja);
		member(t, "en", e->org_en);
		lit(t, "},\"purpose_text\":{\"ja\":");
		json_str(t, e->purpose_ja);
		member(t, "en", e->purpose_en);
		member(t, "explain_ja", e->explain_ja);
		member(t, "explain_en", e->explain_en);
		lit(t, "}");
		member_raw(t, "law", e->law, "null");
	}
	lit(t, "}");
}

static const char *const csv_columns[] = {
    "id",        "occurred_at",  "recorded_at",  "organisation", "relay_for",
    "officer",   "officer_role", "actor_kind",   "channel",      "purpose",
    "legal_ref", "case_ref",     "items",        "consent_id",   "outcome",
    "reason",    "sealed",       "sealed_until", "sealing_body"};

void
access__csv_header(struct mado_text *t)
{
	size_t i;

	/* A BOM so that spreadsheet programs read the Japanese names as UTF-8. */
	lit(t, "\xEF\xBB\xBF");
	for (i = 0; i < MADO_NELEM(csv_columns); i++)
		mado_text_printf(t, "%s%s", csv_columns[i],
				 i + 1 < MADO_NELEM(csv_columns) ? "," : "\r\n");
}

/* One CSV cell: always quoted, quotes doubled, and a leading = + - @ neutralised so that
   a spreadsheet never runs it as a formula. */
static void
cell(struct mado_text *t, const char *s, size_t n, bool last)
{
	size_t i;

	lit(t, "\"");
	if (n > 0 && strchr("=+-@", s[0]) != NULL)
		lit(t, "'");
	for (i = 0; i < n; i++) {
		mado_text_append(t, s + i, 1);
		if (s[i] == '"')
			lit(t, "\"");
	}
	mado_text_append(t, last ? "\"\r\n" : "\",", last ? 3 : 2);
}

static void
cell_str(struct mado_text *t, const char *s)
{
	cell(t, s != NULL ? s : "", s != NULL ? strlen(s) : 0, false);
}

static void
code_space(struct mado_text *t, const char *code, size_t n, bool first)
{
	if (!first)
		lit(t, " ");
	mado_text_append(t, code, n);
}

void
access__csv_entry(struct mado_text *t, const struct access_row *e)
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
	if (items.failed)
		t->failed = true;
	mado_text_free(&items);
}
