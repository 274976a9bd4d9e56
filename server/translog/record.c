/*
 * The record of a leaf, built from the columns sql/functions/translog.sql returns (a_*
 * for an access record, c_* for a consent event): the fields of docs/tlog.md, missing
 * values as null, times as UTC "YYYY-MM-DDTHH:MM:SS.ffffffZ" from microseconds since the
 * epoch. The bundles and the audit build the record from text columns; the sequencer
 * builds the leaf's bytes straight from binary ones (translog__leaf_of_row, below), and
 * the two must agree byte for byte.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mado/err.h"
#include "mado/util.h"
#include "translog_int.h"

/* v (below 10^width) in width decimal digits, zero-padded; after them. (The sequencer
   writes millions of these: printf was a tenth of its time.) */
static char *
digits(char *o, long long v, int width)
{
	int i;

	for (i = width - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return o + width;
}

/* A date as "YYYY-MM-DD" into out (11 bytes); false for a year a leaf cannot hold. */
static bool
ymd(const struct tm *tm, char *out)
{
	char *o = out;

	if (tm->tm_year + 1900 < 1 || tm->tm_year + 1900 > 9999)
		return false;
	o = digits(o, tm->tm_year + 1900, 4);
	*o++ = '-';
	o = digits(o, tm->tm_mon + 1, 2);
	*o++ = '-';
	o = digits(o, tm->tm_mday, 2);
	*o = '\0';
	return true;
}

/* Microseconds since the epoch as the leaf's UTC text, "YYYY-MM-DDTHH:MM:SS.ffffffZ". */
static bool
utc_us(long long us, char out[32])
{
	long long s = us / 1000000, f = us % 1000000;
	time_t t;
	struct tm tm;
	char *o = out + 10;

	if (f < 0) {
		f += 1000000;
		s--;
	}
	t = (time_t)s;
	if (gmtime_r(&t, &tm) == NULL || !ymd(&tm, out))
		return false;
	*o++ = 'T';
	o = digits(o, tm.tm_hour, 2);
	*o++ = ':';
	o = digits(o, tm.tm_min, 2);
	*o++ = ':';
	o = digits(o, tm.tm_sec, 2);
	*o++ = '.';
	o = digits(o, f, 6);
	*o++ = 'Z';
	*o = '\0';
	return true;
}

static bool
utc(const char *us_text, char out[32])
{
	return utc_us(strtoll(us_text, NULL, 10), out);
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

/*
 * The same leaf from a row in PostgreSQL's binary format, as portal.tlog_take returns it:
 * each field in its column's own type (no text made by the server, no cJSON here). The
 * bytes equal those of the record translog__record builds from the text columns; the
 * tests check it (the audit and mado-verify recompute every leaf the other way).
 */
enum {
	OID_INT8 = 20,
	OID_TEXT = 25,
	OID_DATE = 1082,
	OID_TIMESTAMPTZ = 1184,
	OID_TEXT_ARRAY = 1009,
	OID_UUID = 2950,
};
#define PG_EPOCH_US   946684800000000LL /* 2000-01-01 in microseconds since 1970 */
#define PG_EPOCH_DAYS 10957

static uint32_t
be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t
be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A uuid's 16 bytes as PostgreSQL writes it (lower case, 8-4-4-4-12). */
static void
uuid_text(const unsigned char *p, char out[37])
{
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	int i;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[p[i] >> 4];
		*o++ = hex[p[i] & 15];
	}
	*o = '\0';
}

/* A one-dimensional text[] without nulls (array_recv's layout). */
static void
put_strs(struct mado_tlog_leaf *b, const unsigned char *p, size_t n)
{
	const char *bad = "an array field holds something other than strings";
	uint32_t ndim, count, i, len;
	size_t at;

	if (n < 12 || (ndim = be32(p)) > 1 || (ndim == 1 && n < 20)) {
		b->why = b->why != NULL ? b->why : bad;
		return;
	}
	count = ndim == 0 ? 0 : be32(p + 12);
	at = ndim == 0 ? 12 : 20;
	mado_tlog_leaf_strs(b, count);
	for (i = 0; i < count; i++) {
		if (at + 4 > n || (len = be32(p + at)) == 0xffffffffu || len > n - at - 4) {
			b->why = b->why != NULL ? b->why : bad;
			return;
		}
		mado_tlog_leaf_strs_item(b, (const char *)p + at + 4, len);
		at += 4 + (size_t)len;
	}
}

const char *
translog__leaf_of_row(const char *kind, const PGresult *res, int row, int col,
		      const unsigned char salt[16], struct mado_tlog_leaf *b)
{
	const unsigned char *p;
	char text[40];
	size_t n, i, len;
	int64_t v;
	int c;
	time_t t;
	struct tm tm;

	if (mado_tlog_leaf_begin(b, kind, salt) != NULL)
		return b->why;
	if (strcmp(kind, "consent") == 0)
		col += TLOG_ACCESS_COLS;
	mado_tlog_leaf_fields(kind, &n);
	for (i = 0; i < n && b->why == NULL; i++) {
		c = col + (int)i;
		if (PQgetisnull(res, row, c)) {
			mado_tlog_leaf_null(b);
			continue;
		}
		p = (const unsigned char *)PQgetvalue(res, row, c);
		len = (size_t)PQgetlength(res, row, c);
		switch (PQftype(res, c)) {
		case OID_INT8:
			if (len != 8)
				return b->why = "a column is not its type";
			mado_tlog_leaf_int(b, be64(p));
			break;
		case OID_TEXT: mado_tlog_leaf_str(b, (const char *)p, len); break;
		case OID_UUID:
			if (len != 16)
				return b->why = "a column is not its type";
			uuid_text(p, text);
			mado_tlog_leaf_str(b, text, 36);
			break;
		case OID_TIMESTAMPTZ:
			if (len != 8 || (v = be64(p)) == INT64_MIN || v == INT64_MAX ||
			    !utc_us((long long)v + PG_EPOCH_US, text))
				return b->why = "a time is not a leaf's time";
			mado_tlog_leaf_str(b, text, 27);
			break;
		case OID_DATE:
			if (len != 4 || (v = (int32_t)be32(p)) == INT32_MIN || v == INT32_MAX)
				return b->why = "a date is not a leaf's date";
			t = (time_t)(v + PG_EPOCH_DAYS) * 86400;
			if (gmtime_r(&t, &tm) == NULL || !ymd(&tm, text))
				return b->why = "a date is not a leaf's date";
			mado_tlog_leaf_str(b, text, 10);
			break;
		case OID_TEXT_ARRAY: put_strs(b, p, len); break;
		default: return b->why = "a column has a type a leaf cannot hold";
		}
	}
	return mado_tlog_leaf_end(b);
}
