/*
 * Access-log entries as JSON and CSV (server/accesslog/render.c), as a round trip: an
 * entry made from the input (text as the database gives it: UTF-8, no NUL; items are
 * codes; times in microseconds from 1970 to 9999) is rendered, and what is rendered reads
 * back to the same values: the JSON through the project's strict parser, the CSV through
 * the small RFC 4180 reader below (every cell as written, a leading = + - @ behind a '
 * as the export promises). Any difference aborts.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "mado/err.h"
#include "mado/json.h"
#include "mado/util.h"
#include "accesslog/accesslog_int.h"

#define US_MAX 253402300799999999LL /* 9999-12-31T23:59:59.999999Z */

/* The input's text fields, in this order, split at NUL bytes; "\x7f" alone is NULL. */
enum {
	F_ORG,
	F_RELAY,
	F_OFFICER,
	F_ROLE,
	F_ACTOR,
	F_CHANNEL,
	F_PURPOSE,
	F_LEGAL,
	F_CASE,
	F_ITEMS,
	F_CONSENT,
	F_OUTCOME,
	F_REASON,
	F_SEALED_UNTIL,
	F_SEALING_BODY,
	F_ORG_JA,
	F_ORG_EN,
	F_PURPOSE_JA,
	F_PURPOSE_EN,
	F_EXPLAIN_JA,
	F_EXPLAIN_EN,
	F_COUNT
};

/* Length of the valid UTF-8 sequence at s (NUL-terminated), or 0. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned int cp;
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1fu;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0fu;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07u;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		cp = cp << 6 | (s[i] & 0x3fu);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* Bytes that are not UTF-8 become '?': the database holds only UTF-8. */
static void
make_utf8(unsigned char *s)
{
	size_t n;

	while (*s != '\0') {
		if ((n = utf8_len(s)) == 0)
			*s++ = '?';
		else
			s += n;
	}
}

/* The items field as PostgreSQL writes a text[] of codes: {a,b}, empty codes dropped. */
static char *
items_literal(const char *field, char ***codes, size_t *ncodes)
{
	char *lit = malloc(strlen(field) + 3), *copy = strdup(field), *p, *save = NULL;
	size_t o = 0;

	if (lit == NULL || copy == NULL)
		abort();
	*codes = calloc(strlen(field) + 1, sizeof(char *));
	*ncodes = 0;
	lit[o++] = '{';
	for (p = strtok_r(copy, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
		char *q = p, *w = p;

		for (; *q != '\0'; q++)
			if ((*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') || *q == '_' ||
			    *q == '.' || *q == '-')
				*w++ = *q;
		*w = '\0';
		if (*p == '\0')
			continue;
		if (o > 1)
			lit[o++] = ',';
		memcpy(lit + o, p, strlen(p));
		o += strlen(p);
		(*codes)[(*ncodes)++] = strdup(p);
	}
	lit[o++] = '}';
	lit[o] = '\0';
	free(copy);
	return lit;
}

static void
expect_time(const char *got, long long us)
{
	time_t secs = (time_t)(us / 1000000), t;
	char want[40];
	struct tm tm;
	size_t n;

	FUZZ_ASSERT(gmtime_r(&secs, &tm) != NULL);
	n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(want + n, sizeof(want) - n, ".%06lldZ", us % 1000000);
	FUZZ_ASSERT(strcmp(got, want) == 0);
	FUZZ_ASSERT(mado_parse_rfc3339(got, &t) && t == secs);
}

/* The member name of obj: the string s, or null for NULL; absent counts as wrong. */
static void
expect_str(const cJSON *obj, const char *name, const char *s)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	FUZZ_ASSERT(v != NULL);
	if (s == NULL)
		FUZZ_ASSERT(cJSON_IsNull(v));
	else
		FUZZ_ASSERT(cJSON_IsString(v) && strcmp(v->valuestring, s) == 0);
}

static void
check_json(const struct accesslog_entry *e, long long occ, long long rec, char **codes,
	   size_t ncodes, bool detail)
{
	struct mado_text t = {0};
	const cJSON *v, *names;
	struct mado_jw w;
	char why[128];
	cJSON *root = NULL;
	size_t i;

	mado_jw_init(&w, &t);
	accesslog__json_entry(&w, e, detail);
	FUZZ_ASSERT(t.buf != NULL);
	FUZZ_ASSERT(mado_json_parse(t.buf, t.len, &root, why, sizeof(why)) == MADO_OK);
	FUZZ_ASSERT(cJSON_IsObject(root));
	v = cJSON_GetObjectItemCaseSensitive(root, "id");
	FUZZ_ASSERT(cJSON_IsNumber(v) && v->valuedouble == strtod(e->id, NULL));
	expect_time(cJSON_GetObjectItemCaseSensitive(root, "occurred_at")->valuestring, occ);
	expect_time(cJSON_GetObjectItemCaseSensitive(root, "recorded_at")->valuestring, rec);
	FUZZ_ASSERT(cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(root, "sealed")) &&
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "sealed")) == e->sealed);
	expect_str(root, "sealed_until", e->sealed_until);
	expect_str(root, "sealing_body", e->sealing_body);
	if (e->sealed) {
		/* Only that it exists, its times and its seal. */
		FUZZ_ASSERT(cJSON_GetArraySize(root) == 6);
		goto done;
	}
	expect_str(root, "organisation", e->org);
	expect_str(root, "relay_for", e->relay_for);
	expect_str(root, "officer", e->officer);
	expect_str(root, "officer_role", e->officer_role);
	expect_str(root, "actor_kind", e->actor_kind);
	expect_str(root, "channel", e->channel);
	expect_str(root, "purpose", e->purpose);
	expect_str(root, "legal_ref", e->legal_ref);
	expect_str(root, "case_ref", e->case_ref);
	expect_str(root, "consent_id", e->consent_id);
	expect_str(root, "outcome", e->outcome);
	expect_str(root, "reason", e->reason);
	v = cJSON_GetObjectItemCaseSensitive(root, "items");
	FUZZ_ASSERT(cJSON_IsArray(v) && (size_t)cJSON_GetArraySize(v) == ncodes);
	for (i = 0; i < ncodes; i++)
		FUZZ_ASSERT(strcmp(cJSON_GetArrayItem(v, (int)i)->valuestring, codes[i]) == 0);
	FUZZ_ASSERT(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "disputes")));
	if (detail) {
		names = cJSON_GetObjectItemCaseSensitive(root, "organisation_name");
		expect_str(names, "ja", e->org_ja);
		expect_str(names, "en", e->org_en);
		names = cJSON_GetObjectItemCaseSensitive(root, "purpose_text");
		expect_str(names, "ja", e->purpose_ja);
		expect_str(names, "en", e->purpose_en);
		expect_str(names, "explain_ja", e->explain_ja);
		expect_str(names, "explain_en", e->explain_en);
	}
done:
	cJSON_Delete(root);
	mado_text_free(&t);
}

/* An RFC 4180 reader: the cells of the record at *p (CRLF-ended), each a fresh string;
 *p moves past the record. NULL when the text is not well-formed CSV. */
static char **
csv_record(const char **p, const char *end, size_t *ncells)
{
	char **cells = NULL, **grown, *cell;
	size_t n = 0, len;
	const char *s = *p;

	for (;;) {
		if ((grown = realloc(cells, (n + 1) * sizeof(*cells))) == NULL ||
		    (cell = malloc((size_t)(end - s) + 1)) == NULL)
			abort();
		cells = grown;
		len = 0;
		if (s < end && *s == '"') {
			for (s++;; s++) {
				if (s >= end)
					goto bad;
				if (*s == '"') {
					if (s + 1 < end && s[1] == '"')
						s++;
					else
						break;
				}
				cell[len++] = *s;
			}
			s++;
		} else {
			for (; s < end && *s != ',' && *s != '\r' && *s != '"'; s++)
				cell[len++] = *s;
		}
		cell[len] = '\0';
		cells[n++] = cell;
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		if (s + 1 < end && s[0] == '\r' && s[1] == '\n') {
			*p = s + 2;
			*ncells = n;
			return cells;
		}
		goto bad;
	}
bad:
	free(cell);
	while (n > 0)
		free(cells[--n]);
	free(cells);
	return NULL;
}

static void
free_cells(char **cells, size_t n)
{
	while (n > 0)
		free(cells[--n]);
	free(cells);
}

/* The cell as the export writes a value: a formula's first character behind a '. */
static void
expect_cell(const char *cell, const char *value)
{
	if (value == NULL)
		value = "";
	if (strchr("=+-@", value[0]) != NULL && value[0] != '\0') {
		FUZZ_ASSERT(cell[0] == '\'');
		cell++;
	}
	FUZZ_ASSERT(strcmp(cell, value) == 0);
}

static void
check_csv(const struct accesslog_entry *e, long long occ, long long rec, char **codes,
	  size_t ncodes)
{
	struct mado_text t = {0}, items = {0};
	const char *p, *end;
	char **head, **row;
	size_t nh, nr, i;
	bool open = !e->sealed;

	accesslog__csv_header(&t);
	accesslog__csv_entry(&t, e);
	FUZZ_ASSERT(t.len > 3 && memcmp(t.buf, "\xEF\xBB\xBF", 3) == 0);
	p = t.buf + 3;
	end = t.buf + t.len;
	FUZZ_ASSERT((head = csv_record(&p, end, &nh)) != NULL);
	FUZZ_ASSERT((row = csv_record(&p, end, &nr)) != NULL);
	FUZZ_ASSERT(p == end && nh == 19 && nr == nh);
	FUZZ_ASSERT(strcmp(head[0], "id") == 0 && strcmp(head[18], "sealing_body") == 0);
	expect_cell(row[0], e->id);
	expect_time(row[1], occ);
	expect_time(row[2], rec);
	expect_cell(row[3], open ? e->org : NULL);
	expect_cell(row[4], open ? e->relay_for : NULL);
	expect_cell(row[5], open ? e->officer : NULL);
	expect_cell(row[6], open ? e->officer_role : NULL);
	expect_cell(row[7], open ? e->actor_kind : NULL);
	expect_cell(row[8], open ? e->channel : NULL);
	expect_cell(row[9], open ? e->purpose : NULL);
	expect_cell(row[10], open ? e->legal_ref : NULL);
	expect_cell(row[11], open ? e->case_ref : NULL);
	for (i = 0; open && i < ncodes; i++) {
		if (i > 0)
			mado_text_puts(&items, " ");
		mado_text_puts(&items, codes[i]);
	}
	expect_cell(row[12], items.buf != NULL ? items.buf : "");
	expect_cell(row[13], open ? e->consent_id : NULL);
	expect_cell(row[14], open ? e->outcome : NULL);
	expect_cell(row[15], open ? e->reason : NULL);
	expect_cell(row[16], e->sealed ? "true" : "false");
	expect_cell(row[17], e->sealed_until);
	expect_cell(row[18], e->sealing_body);
	free_cells(head, nh);
	free_cells(row, nr);
	mado_text_free(&items);
	mado_text_free(&t);
}

static long long
read_us(const uint8_t *d)
{
	unsigned long long v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | d[i];
	return (long long)(v % (unsigned long long)(US_MAX + 1));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *f[F_COUNT] = {NULL};
	char id[24], occ_text[24], rec_text[24], *text, *p, **codes = NULL, *lit;
	struct accesslog_entry e;
	long long occ, rec;
	size_t ncodes = 0, i, n;
	uint8_t flags;

	if (size < 17)
		return 0;
	flags = data[0];
	occ = read_us(data + 1);
	rec = read_us(data + 9);
	text = fuzz_cstr(data + 17, size - 17);
	/* The fields: NUL-separated (the copy ends in one more NUL). */
	for (p = text, i = 0; i < F_COUNT && p < text + (size - 17) + 1; i++) {
		n = strlen(p);
		make_utf8((unsigned char *)p);
		f[i] = strcmp(p, "\x7f") == 0 ? NULL : p;
		p += n + 1;
	}
	memset(&e, 0, sizeof(e));
	snprintf(id, sizeof(id), "%u", (unsigned)flags * 7919u + 1u);
	snprintf(occ_text, sizeof(occ_text), "%lld", occ);
	snprintf(rec_text, sizeof(rec_text), "%lld", rec);
	lit = items_literal(f[F_ITEMS] != NULL ? f[F_ITEMS] : "", &codes, &ncodes);
	e.id = id;
	e.occurred_us = occ_text;
	e.recorded_us = rec_text;
	e.sealed = flags & 1;
	e.org = f[F_ORG];
	e.relay_for = f[F_RELAY];
	e.officer = f[F_OFFICER];
	e.officer_role = f[F_ROLE];
	e.actor_kind = f[F_ACTOR];
	e.channel = f[F_CHANNEL];
	e.purpose = f[F_PURPOSE];
	e.legal_ref = f[F_LEGAL];
	e.case_ref = f[F_CASE];
	e.items = f[F_ITEMS] != NULL ? lit : NULL;
	e.consent_id = f[F_CONSENT];
	e.outcome = f[F_OUTCOME];
	e.reason = f[F_REASON];
	e.sealed_until = f[F_SEALED_UNTIL];
	e.sealing_body = f[F_SEALING_BODY];
	e.disputes = flags & 2 ? "[{\"case_no\":\"MD-2026-0000001\"}]" : NULL;
	e.org_ja = f[F_ORG_JA];
	e.org_en = f[F_ORG_EN];
	e.purpose_ja = f[F_PURPOSE_JA];
	e.purpose_en = f[F_PURPOSE_EN];
	e.explain_ja = f[F_EXPLAIN_JA];
	e.explain_en = f[F_EXPLAIN_EN];
	e.law = flags & 4 ? "{\"name\":\"x\"}" : NULL;
	if (e.items == NULL)
		ncodes = 0;
	check_json(&e, occ, rec, codes, ncodes, false);
	check_json(&e, occ, rec, codes, ncodes, true);
	check_csv(&e, occ, rec, codes, ncodes);
	for (i = 0; codes != NULL && codes[i] != NULL; i++)
		free(codes[i]);
	free(codes);
	free(lit);
	free(text);
	return 0;
}
