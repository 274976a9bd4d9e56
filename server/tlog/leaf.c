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
#define MAX_INT64   ((int64_t)1 << 53)

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

static void
put(struct mado_tlog_leaf *b, const void *data, size_t n)
{
	if (b->why != NULL)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 512;
		unsigned char *p;

		while (cap < b->len + n)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->why = "out of memory";
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void
put_u32(struct mado_tlog_leaf *b, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	put(b, x, 4);
}

static void
put_str(struct mado_tlog_leaf *b, const char *s, size_t n)
{
	put_u32(b, (uint32_t)n);
	put(b, s, n);
}

static void
put_tag(struct mado_tlog_leaf *b, unsigned char tag)
{
	put(b, &tag, 1);
}

/* A string value: UTF-8 of a sane length. */
static bool
string_ok(const char *s, size_t n)
{
	return n < (1u << 24) && mado_tlog_utf8(s, n);
}

/* The next field's name; false (and why set) when every field was given already. */
static bool
field(struct mado_tlog_leaf *b)
{
	if (b->why != NULL)
		return false;
	if (b->next >= b->n) {
		b->why = "the record has a field its kind does not have";
		return false;
	}
	put_str(b, b->names[b->next], strlen(b->names[b->next]));
	b->next++;
	return true;
}

const char *
mado_tlog_leaf_begin(struct mado_tlog_leaf *b, const char *kind, const unsigned char salt[16])
{
	b->len = 0;
	b->next = 0;
	b->why = NULL;
	if ((b->names = mado_tlog_leaf_fields(kind, &b->n)) == NULL)
		return b->why = "unknown record kind";
	put_str(b, LEAF_DOMAIN, strlen(LEAF_DOMAIN));
	put_str(b, kind, strlen(kind));
	put(b, salt, MADO_TLOG_SALT_LEN);
	put_u32(b, (uint32_t)b->n);
	return b->why;
}

void
mado_tlog_leaf_null(struct mado_tlog_leaf *b)
{
	if (field(b))
		put_tag(b, 0x00);
}

void
mado_tlog_leaf_str(struct mado_tlog_leaf *b, const char *s, size_t n)
{
	if (!field(b))
		return;
	if (!string_ok(s, n)) {
		b->why = "a string field is not valid UTF-8";
		return;
	}
	put_tag(b, 0x01);
	put_str(b, s, n);
}

void
mado_tlog_leaf_int(struct mado_tlog_leaf *b, int64_t v)
{
	uint64_t u = (uint64_t)v;
	unsigned char x[8];
	int i;

	if (!field(b))
		return;
	/* Every integer a JSON reader keeps exactly, so the bundle's record says the same. */
	if (v < -MAX_INT64 || v > MAX_INT64) {
		b->why = "a number field is not an integer";
		return;
	}
	for (i = 0; i < 8; i++)
		x[i] = (unsigned char)(u >> (56 - 8 * i));
	put_tag(b, 0x02);
	put(b, x, 8);
}

void
mado_tlog_leaf_bool(struct mado_tlog_leaf *b, bool v)
{
	if (field(b))
		put_tag(b, v ? 0x04 : 0x03);
}

void
mado_tlog_leaf_strs(struct mado_tlog_leaf *b, uint32_t count)
{
	if (!field(b))
		return;
	put_tag(b, 0x05);
	put_u32(b, count);
}

void
mado_tlog_leaf_strs_item(struct mado_tlog_leaf *b, const char *s, size_t n)
{
	if (b->why == NULL && !string_ok(s, n))
		b->why = "an array field holds something other than strings";
	put_str(b, s, n);
}

const char *
mado_tlog_leaf_end(struct mado_tlog_leaf *b)
{
	if (b->why == NULL && b->next != b->n)
		b->why = "the record lacks a field of its kind";
	return b->why;
}

void
mado_tlog_leaf_free(struct mado_tlog_leaf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
put_value(struct mado_tlog_leaf *b, const cJSON *v)
{
	const cJSON *e;
	uint32_t count = 0;
	double d;

	if (cJSON_IsNull(v)) {
		mado_tlog_leaf_null(b);
	} else if (cJSON_IsString(v)) {
		mado_tlog_leaf_str(b, v->valuestring, strlen(v->valuestring));
	} else if (cJSON_IsNumber(v)) {
		d = v->valuedouble;
		/* NaN and infinities fail the range test; fractions the round trip. */
		if (!(d >= -MAX_INT && d <= MAX_INT) || (double)(int64_t)d != d) {
			if (b->why == NULL)
				b->why = "a number field is not an integer";
			return;
		}
		mado_tlog_leaf_int(b, (int64_t)d);
	} else if (cJSON_IsBool(v)) {
		mado_tlog_leaf_bool(b, cJSON_IsTrue(v));
	} else if (cJSON_IsArray(v)) {
		cJSON_ArrayForEach (e, v) {
			if (!cJSON_IsString(e)) {
				if (b->why == NULL)
					b->why = "an array field holds something other than "
						 "strings";
				return;
			}
			count++;
		}
		mado_tlog_leaf_strs(b, count);
		cJSON_ArrayForEach (e, v) {
			mado_tlog_leaf_strs_item(b, e->valuestring, strlen(e->valuestring));
		}
	} else if (b->why == NULL) {
		b->why = "a field has a type a leaf cannot hold";
	}
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
	struct mado_tlog_leaf b = {0};
	const char *const *fields;
	size_t n, i;
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
	mado_tlog_leaf_begin(&b, kind, salt);
	for (i = 0; i < n && b.why == NULL; i++)
		put_value(&b, cJSON_GetObjectItemCaseSensitive(record, fields[i]));
	if (mado_tlog_leaf_end(&b) != NULL) {
		const char *why = b.why;

		mado_tlog_leaf_free(&b);
		return why;
	}
	*out = b.p;
	*len = b.len;
	return NULL;
}
