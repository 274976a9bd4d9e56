/*
 * The record of a leaf, built from the columns sql/functions/translog.sql returns (a_*
 * for an access record, c_* for a consent event): the fields of docs/tlog.md, missing
 * values as null, times as UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ" from microseconds since the
 * epoch. One builder for the sequencer, the bundles and the audit, so all three hash the
 * same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mado/err.h"
#include "translog_int.h"

/* Microseconds since the epoch as the leaf's UTC text. */
static bool
utc(const char *us_text, char out[32])
{
	long long us = strtoll(us_text, NULL, 10), s = us / 1000000, f = us % 1000000;
	time_t t;
	struct tm tm;

	if (f < 0) {
		f += 1000000;
		s--;
	}
	t = (time_t)s;
	if (gmtime_r(&t, &tm) == NULL)
		return false;
	snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, f);
	return true;
}

cJSON *
translog__record(const char *kind, const PGresult *res, int row, int col)
{
	const char *const *names;
	size_t n, i;
	cJSON *o, *v;
	char when[32];
	int c;

	if ((names = mado_tlog_leaf_fields(kind, &n)) == NULL)
		return NULL;
	if (strcmp(kind, "consent") == 0)
		col += TLOG_ACCESS_COLS;
	if (PQgetisnull(res, row, col))
		return NULL; /* the row is gone */
	o = cJSON_CreateObject();
	for (i = 0; i < n; i++) {
		c = col + (int)i;
		if (PQgetisnull(res, row, c)) {
			v = cJSON_CreateNull();
		} else if (strcmp(names[i], "id") == 0 ||
			   strcmp(names[i], "register_version") == 0) {
			v = cJSON_CreateNumber((double)strtoll(PQgetvalue(res, row, c), NULL, 10));
		} else if (strcmp(names[i], "items") == 0) {
			v = cJSON_Parse(PQgetvalue(res, row, c));
		} else if (strcmp(names[i], "occurred_at") == 0 ||
			   strcmp(names[i], "recorded_at") == 0 || strcmp(names[i], "at") == 0) {
			v = utc(PQgetvalue(res, row, c), when) ? cJSON_CreateString(when) : NULL;
		} else {
			v = cJSON_CreateString(PQgetvalue(res, row, c));
		}
		if (v == NULL) {
			cJSON_Delete(o);
			return NULL;
		}
		cJSON_AddItemToObject(o, names[i], v);
	}
	return o;
}

const char *
translog__leaf_hash(const char *kind, const cJSON *record, const unsigned char salt[16],
		    unsigned char out[32])
{
	unsigned char *bytes = NULL;
	size_t len = 0;
	const char *why;

	if ((why = mado_tlog_leaf_encode(kind, record, salt, &bytes, &len)) != NULL)
		return why;
	mado_tlog_leaf_hash(bytes, len, out);
	free(bytes);
	return NULL;
}
