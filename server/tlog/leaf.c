/*
 * The canonical leaf bytes of a record (docs/tlog.md, "Leaves"):
 *
 *   str("mado-tlog-leaf/v1") str(kind) salt[16] u32(field count)
 *   then for each field of the kind, in the fixed order: str(name) value
 *
 * str(s) = u32 length (big-endian) || bytes; a value is a tag byte then its body: 0x00
 * null; 0x01 string str(s); 0x02 integer, 8 bytes big-endian two's complement; 0x03
 * false; 0x04 true; 0x05 array of strings, u32 count then str(s) each. Every length is
 * given, so no two records share their bytes, and null is not "".
 */
#include <stdlib.h>
#include <string.h>

#include "mado/tlog.h"
#include "tlog_int.h"

#define LEAF_DOMAIN "mado-tlog-leaf/v1"
#define MAX_INT     9007199254740992.0 /* 2^53: every integer a JSON reader keeps exactly */

static const char *const access_fields[] = {
    "id",           "event_id",     "person_id",
    "occurred_at",  "recorded_at",  "org_code",
    "relay_for",    "officer",      "officer_role",
    "actor_kind",   "channel",      "purpose",
    "legal_ref",    "case_ref",     "items",
    "consent_id",   "outcome",      "reason",
    "sealed_until", "sealing_body", "register_version",
};

/* The columns of portal.consent_events, in table order. */
static const char *const consent_fields[] = {
    "id", "consent_id", "person_id", "at", "actor", "channel", "type", "prev_status", "new_status",
};

struct buf {
	unsigned char *p;
	size_t len, cap;
	bool failed;
};

static void
put(struct buf *b, const void *data, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->failed = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	put(b, x, 4);
}

static void
put_str(struct buf *b, const char *s, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

static void
put_tag(struct buf *b, unsigned char tag)
{
	put(b, &tag, 1);
}

/* A string value: UTF-8 of a sane length. */
static bool
string_ok(const char *s)
{
	size_t n = strlen(s);

	return n < (1u << 24) && mado_tlog_utf8(s, n);
}

static const char *
put_value(struct buf *b, const cJSON *v)
{
	const cJSON *e;
	uint32_t count = 0;

	if (cJSON_IsNull(v)) {
		put_tag(b, 0x00);
	} else if (cJSON_IsString(v)) {
		if (!string_ok(v->valuestring))
			return "a string field is not valid UTF-8";
		put_tag(b, 0x01);
		put_str(b, v->valuestring, strlen(v->valuestring));
	} else if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		uint64_t u;
		int i;

		/* NaN and infinities fail the range test; fractions the round trip. */
		if (!(d >= -MAX_INT && d <= MAX_INT) || (double)(int64_t)d != d)
			return "a number field is not an integer";
		u = (uint64_t)(int64_t)d;
		put_tag(b, 0x02);
		for (i = 0; i < 8; i++) {
			unsigned char x = (unsigned char)(u >> (56 - 8 * i));

			put(b, &x, 1);
		}
	} else if (cJSON_IsBool(v)) {
		put_tag(b, cJSON_IsTrue(v) ? 0x04 : 0x03);
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach (e, v) {
			if (!cJSON_IsString(e) || !string_ok(e->valuestring))
				return "an array field holds something other than strings";
			count++;
		}
		put_tag(b, 0x05);
		put_u32(b, count);
		cJSON_ArrayForEach (e, v) {
			put_str(b, e->valuestring, strlen(e->valuestring));
		}
	} else {
		return "a field has a type a leaf cannot hold";
	}
	return NULL;
}

const char *const *
mado_tlog_leaf_fields(const char *kind, size_t *n)
{
	if (kind != NULL && strcmp(kind, "access") == 0) {
		*n = sizeof(access_fields) / sizeof(access_fields[0]);
		return access_fields;
	}
	if (kind != NULL && strcmp(kind, "consent") == 0) {
		*n = sizeof(consent_fields) / sizeof(consent_fields[0]);
		return consent_fields;
	}
	*n = 0;
	return NULL;
}

const char *
mado_tlog_leaf_encode(const char *kind, const cJSON *record, const unsigned char salt[16],
		      unsigned char **out, size_t *len)
{
	const char *const *fields;
	struct buf b = {0};
	const cJSON *v;
	size_t n, i;
	const char *why = NULL;
	int children;

	*out = NULL;
	*len = 0;
	if ((fields = mado_tlog_leaf_fields(kind, &n)) == NULL)
		return "unknown record kind";
	if (!cJSON_IsObject(record))
		return "the record is not an object";
	/* As many members as fields, each field found: no field missing, extra or twice. */
	children = cJSON_GetArraySize(record);
	for (i = 0; i < n; i++)
		if (cJSON_GetObjectItemCaseSensitive(record, fields[i]) == NULL)
			return "the record lacks a field of its kind";
	if ((size_t)children != n)
		return "the record has a field its kind does not have";
	put_str(&b, LEAF_DOMAIN, strlen(LEAF_DOMAIN));
	put_str(&b, kind, strlen(kind));
	put(&b, salt, MADO_TLOG_SALT_LEN);
	put_u32(&b, (uint32_t)n);
	for (i = 0; i < n && why == NULL; i++) {
		v = cJSON_GetObjectItemCaseSensitive(record, fields[i]);
		put_str(&b, fields[i], strlen(fields[i]));
		why = put_value(&b, v);
	}
	if (why == NULL && b.failed)
		why = "out of memory";
	if (why != NULL) {
		free(b.p);
		return why;
	}
	*out = b.p;
	*len = b.len;
	return NULL;
}
