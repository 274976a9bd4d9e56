/*
 * The input vocabulary (include/mado/check.h): one check per kind of value, and the walk
 * that applies a list of fields to a JSON object, shape before values. Pure: no I/O, so
 * the unit tests drive it from a table (tests/unit/data/check.tsv).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/err.h"
#include "mado/seal.h"
#include "mado/util.h"

#define CODES_MAX     32
#define TEXT_MAX      1000 /* a text field that names no bound */
#define URL_MAX       400
#define CURSOR_US_MAX 253402300799999999LL /* 9999-12-31T23:59:59.999999Z */

static const char LOWER[] = "abcdefghijklmnopqrstuvwxyz";
static const char DIGITS[] = "0123456789";
static const char B64URL[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* n bytes of s are all in set. */
static bool
all_in(const char *s, size_t n, const char *set1, const char *set2, const char *set3)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strchr(set1, s[i]) == NULL && (set2 == NULL || strchr(set2, s[i]) == NULL) &&
		    (set3 == NULL || strchr(set3, s[i]) == NULL))
			return false;
	return true;
}

/* A lower-case letter first, then letters, digits and extra; min to max bytes. */
static bool
code_like(const char *s, size_t min, size_t max, const char *extra)
{
	size_t n = strlen(s);

	return n >= min && n <= max && s[0] >= 'a' && s[0] <= 'z' &&
	       all_in(s, n, LOWER, DIGITS, extra);
}

/* Printable text within a length in bytes: no control characters, but for lines (tab,
   CR, LF) in prose. */
static bool
text_ok(const char *s, long long min, long long max, bool lines)
{
	const unsigned char *p;
	size_t n = strlen(s), k;

	if ((long long)n < min || (long long)n > (max > 0 ? max : TEXT_MAX))
		return false;
	/* Bodies were checked as UTF-8 when parsed; paths and queries are decoded bytes. */
	for (p = (const unsigned char *)s; *p != '\0'; p += k) {
		if ((k = mado_utf8_seq(p, n - (size_t)(p - (const unsigned char *)s))) == 0)
			return false;
		if ((*p < 0x20 || *p == 0x7f) &&
		    !(lines && (*p == '\t' || *p == '\n' || *p == '\r')))
			return false;
	}
	return true;
}

static bool
uuid_ok(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (strchr("0123456789abcdefABCDEF", s[i]) == NULL || s[i] == '\0') {
			return false;
		}
	}
	return true;
}

/* https://..., or http on the loopback interface (RFC 8252 7.3), with nothing in it a
   redirect could be tricked with. */
static bool
url_ok(const char *s)
{
	return strlen(s) < URL_MAX && strpbrk(s, "{}\"\\<> \t\r\n") == NULL &&
	       ((strncmp(s, "https://", 8) == 0 && s[8] != '\0' && s[8] != '/') ||
		strncmp(s, "http://127.0.0.1:", 17) == 0 ||
		strncmp(s, "http://localhost:", 17) == 0);
}

bool
mado_cursor_parse(const char *text, long long *micros, long long *id)
{
	const char *dash = strchr(text, '-');
	char us[24];
	size_t n;

	if (dash == NULL || (n = (size_t)(dash - text)) == 0 || n >= sizeof(us))
		return false;
	memcpy(us, text, n);
	us[n] = '\0';
	return mado_parse_int(us, 0, CURSOR_US_MAX, micros) &&
	       mado_parse_int(dash + 1, 1, INT64_MAX, id);
}

bool
mado_check_text(const struct mado_field *f, const char *s)
{
	unsigned char key[MADO_SEAL_KEY_LEN];
	long long v, w;
	time_t t;

	switch (f->kind) {
	case MADO_K_CODE: return code_like(s, 2, 64, "_.-");
	case MADO_K_ORG: return code_like(s, 2, 40, "-");
	case MADO_K_TOKEN: return strlen(s) == 43 && all_in(s, 43, B64URL, NULL, NULL);
	case MADO_K_REPLY_KEY: return mado_seal_key_parse(s, key);
	case MADO_K_UUID: return uuid_ok(s);
	case MADO_K_ID: return mado_parse_int(s, 1, INT64_MAX, &v);
	case MADO_K_DATE: return mado_parse_date(s, &t);
	case MADO_K_TIME: return mado_parse_rfc3339(s, &t);
	case MADO_K_PERIOD: return mado_parse_date(s, &t) || mado_parse_rfc3339(s, &t);
	case MADO_K_OFFICER:
		return strlen(s) >= 1 && strlen(s) <= 64 &&
		       all_in(s, strlen(s), B64URL, "._:", NULL);
	case MADO_K_URL: return url_ok(s);
	case MADO_K_TEXT: return text_ok(s, f->min, f->max, false);
	case MADO_K_PROSE: return text_ok(s, f->min, f->max, true);
	case MADO_K_ENUM: return f->words != NULL && mado_one_of(s, f->words);
	case MADO_K_INT: return mado_parse_int(s, f->min, f->max, &v);
	case MADO_K_CURSOR: return mado_cursor_parse(s, &v, &w);
	case MADO_K_BOOL: return strcmp(s, "true") == 0 || strcmp(s, "false") == 0;
	case MADO_K_CODES:
	case MADO_K_OBJECT:
	case MADO_K_OBJECTS:
	case MADO_K_ANY: break;
	}
	return false;
}

bool
mado_check_kind(enum mado_kind kind, const char *text)
{
	struct mado_field f = {.name = "", .kind = kind};

	return mado_check_text(&f, text);
}

int
mado_kind_json_type(enum mado_kind kind)
{
	switch (kind) {
	case MADO_K_INT: return cJSON_Number;
	case MADO_K_BOOL: return cJSON_True | cJSON_False;
	case MADO_K_CODES:
	case MADO_K_OBJECTS: return cJSON_Array;
	case MADO_K_OBJECT: return cJSON_Object;
	case MADO_K_ANY: return 0xff;
	default: return cJSON_String;
	}
}

const char *
mado_kind_schema_type(enum mado_kind kind)
{
	switch (kind) {
	case MADO_K_INT: return "integer";
	case MADO_K_BOOL: return "boolean";
	case MADO_K_CODES:
	case MADO_K_OBJECTS: return "array";
	case MADO_K_OBJECT: return "object";
	case MADO_K_ANY: return "";
	default: return "string";
	}
}

const char *
mado_field_expect(const struct mado_field *f)
{
	if (f->hint != NULL)
		return f->hint;
	switch (f->kind) {
	case MADO_K_CODE: return "a code (a-z first, then a-z 0-9 _ . -; 2 to 64)";
	case MADO_K_ORG: return "an organisation code";
	case MADO_K_TOKEN: return "43 characters of base64url";
	case MADO_K_REPLY_KEY:
		return "a P-256 public key, its uncompressed point in base64url (87 characters)";
	case MADO_K_UUID: return "a UUID";
	case MADO_K_ID: return "a positive whole number";
	case MADO_K_DATE: return "a date, YYYY-MM-DD";
	case MADO_K_TIME: return "an RFC 3339 time";
	case MADO_K_PERIOD: return "a date (YYYY-MM-DD) or an RFC 3339 time";
	case MADO_K_OFFICER: return "1 to 64 of A-Z a-z 0-9 . _ : -";
	case MADO_K_URL: return "an https URL (or http on loopback)";
	case MADO_K_TEXT: return "printable text within its length";
	case MADO_K_PROSE: return "text within its length";
	case MADO_K_ENUM: return "one of the listed words";
	case MADO_K_INT: return "a whole number within its range";
	case MADO_K_BOOL: return "true or false";
	case MADO_K_CURSOR: return "a cursor a previous page gave";
	case MADO_K_CODES: return "an array of distinct codes";
	case MADO_K_OBJECT: return "an object";
	case MADO_K_OBJECTS: return "an array of objects";
	case MADO_K_ANY: break;
	}
	return "a valid value";
}

/* Records where and what: "<field> <what> <words>" ("the body" for the whole). */
static int
bad_at(struct mado_bad *bad, int err, const char *prefix, const char *name, const char *what,
       const char *words)
{
	bad->err = err;
	snprintf(bad->field, sizeof(bad->field), "%s%s%s", prefix,
		 prefix[0] != '\0' && name[0] != '\0' ? "." : "", name);
	snprintf(bad->detail, sizeof(bad->detail), "%s %s%s%s",
		 bad->field[0] != '\0' ? bad->field : "the body", what, words[0] != '\0' ? " " : "",
		 words);
	return err;
}

static const struct mado_field *
field_named(const struct mado_field *fields, const char *name)
{
	for (; fields->name != NULL; fields++)
		if (strcmp(fields->name, name) == 0)
			return fields;
	return NULL;
}

static int shape(const cJSON *obj, const struct mado_field *fields, const char *prefix,
		 struct mado_bad *bad);

/* The shape of one member's value: its JSON type, and inside arrays and objects. */
static int
member_shape(const cJSON *v, const struct mado_field *f, const char *prefix, struct mado_bad *bad)
{
	char path[80];
	const cJSON *e;
	int i = 0, rc;

	if (cJSON_IsNull(v))
		return MADO_OK;
	if ((v->type & 0xff & mado_kind_json_type(f->kind)) == 0)
		return bad_at(bad, MADO_E_INVALID_BODY, prefix, f->name, "must be",
			      mado_kind_schema_type(f->kind));
	snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "", f->name);
	if (f->kind == MADO_K_OBJECT)
		return shape(v, f->fields, path, bad);
	if (f->kind == MADO_K_CODES) {
		cJSON_ArrayForEach (e, v) {
			if (!cJSON_IsString(e))
				return bad_at(bad, MADO_E_INVALID_BODY, prefix, f->name,
					      "must hold strings", "");
		}
	}
	if (f->kind == MADO_K_OBJECTS) {
		cJSON_ArrayForEach (e, v) {
			/* Inside an array of objects, the element's index and its own
			   member names locate a problem. */
			if ((rc = shape(e, f->fields, "", bad)) != MADO_OK) {
				bad->index = i;
				return rc;
			}
			i++;
		}
	}
	return MADO_OK;
}

/* An object with no member that is not a field, each of its field's type. */
static int
shape(const cJSON *obj, const struct mado_field *fields, const char *prefix, struct mado_bad *bad)
{
	const struct mado_field *f;
	const cJSON *m;
	int rc;

	if (!cJSON_IsObject(obj))
		return bad_at(bad, MADO_E_INVALID_BODY, prefix, "", "must be a JSON object", "");
	cJSON_ArrayForEach (m, obj) {
		if ((f = field_named(fields, m->string)) == NULL) {
			char name[48];

			snprintf(name, sizeof(name), "%.40s", m->string);
			return bad_at(bad, MADO_E_INVALID_BODY, prefix, name,
				      "is not a member this endpoint takes", "");
		}
		if ((rc = member_shape(m, f, prefix, bad)) != MADO_OK)
			return rc;
	}
	return MADO_OK;
}

static int values(const cJSON *obj, const struct mado_field *fields, const char *prefix,
		  struct mado_bad *bad);

/* The distinct codes of an array, within the field's count. */
static bool
codes_ok(const cJSON *v, const struct mado_field *f)
{
	const cJSON *e, *o;
	long long n = cJSON_GetArraySize(v);

	if (n < (f->min > 0 ? f->min : 1) || n > (f->max > 0 ? f->max : CODES_MAX))
		return false;
	cJSON_ArrayForEach (e, v) {
		if (!mado_check_kind(MADO_K_CODE, e->valuestring))
			return false;
		for (o = v->child; o != e; o = o->next)
			if (strcmp(o->valuestring, e->valuestring) == 0)
				return false;
	}
	return true;
}

static bool
int_ok(const cJSON *v, const struct mado_field *f)
{
	double d = v->valuedouble;

	/* Compared as doubles before any conversion: 1e300 is out of range, not undefined. */
	return isfinite(d) && d == floor(d) && d >= (double)f->min && d <= (double)f->max;
}

/* One member's value (its shape already checked). */
static int
value_of(const cJSON *v, const struct mado_field *f, const char *prefix, struct mado_bad *bad)
{
	char path[80];
	const cJSON *e;
	bool ok;
	int i = 0, rc;

	switch (f->kind) {
	case MADO_K_INT: ok = int_ok(v, f); break;
	case MADO_K_BOOL:
	case MADO_K_ANY: ok = true; break;
	case MADO_K_CODES: ok = codes_ok(v, f); break;
	case MADO_K_OBJECT:
		snprintf(path, sizeof(path), "%s%s%s", prefix, prefix[0] != '\0' ? "." : "",
			 f->name);
		return values(v, f->fields, path, bad);
	case MADO_K_OBJECTS:
		if (cJSON_GetArraySize(v) < (f->min > 0 ? f->min : 1) ||
		    cJSON_GetArraySize(v) > (f->max > 0 ? f->max : CODES_MAX)) {
			ok = false;
			break;
		}
		cJSON_ArrayForEach (e, v) {
			if ((rc = values(e, f->fields, "", bad)) != MADO_OK) {
				bad->index = i;
				return rc;
			}
			i++;
		}
		return MADO_OK;
	default: ok = mado_check_text(f, v->valuestring); break;
	}
	if (ok)
		return MADO_OK;
	return bad_at(bad, MADO_E_VALIDATION, prefix, f->name, "must be", mado_field_expect(f));
}

/* Every required field present (all of them are looked for before any value is judged),
   then every present one valid. */
static int
values(const cJSON *obj, const struct mado_field *fields, const char *prefix, struct mado_bad *bad)
{
	const struct mado_field *f;
	const cJSON *v;
	int rc;

	for (f = fields; f->name != NULL; f++) {
		v = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (f->required && (v == NULL || cJSON_IsNull(v)))
			return bad_at(bad, MADO_E_VALIDATION, prefix, f->name, "is required", "");
	}
	for (f = fields; f->name != NULL; f++) {
		v = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (v != NULL && !cJSON_IsNull(v) && (rc = value_of(v, f, prefix, bad)) != MADO_OK)
			return rc;
	}
	return MADO_OK;
}

int
mado_check_json(const cJSON *obj, const struct mado_field *fields, struct mado_bad *bad)
{
	int rc;

	memset(bad, 0, sizeof(*bad));
	bad->index = -1;
	/* Shape first, all of it: a body of the wrong shape is answered as such even when
	   a value in it is also wrong. */
	if ((rc = shape(obj, fields, "", bad)) != MADO_OK)
		return rc;
	return values(obj, fields, "", bad);
}

int
mado_check_value(const cJSON *v, const struct mado_field *f, struct mado_bad *bad)
{
	int rc;

	memset(bad, 0, sizeof(*bad));
	bad->index = -1;
	if ((rc = member_shape(v, f, "", bad)) != MADO_OK)
		return rc;
	return value_of(v, f, "", bad);
}

bool
mado_codes_literal(const cJSON *array, char *out, size_t len)
{
	const cJSON *e;
	size_t used = 0;
	int n;

	if (len < 3)
		return false;
	out[used++] = '{';
	cJSON_ArrayForEach (e, array) {
		n = snprintf(out + used, len - used, "%s%s", used > 1 ? "," : "", e->valuestring);
		if (n < 0 || (size_t)n >= len - used)
			return false;
		used += (size_t)n;
	}
	if (used + 2 > len)
		return false;
	out[used++] = '}';
	out[used] = '\0';
	return true;
}

bool
mado_list_literal(enum mado_kind kind, const char *list, char *out, size_t len)
{
	char buf[1024], *tok, *save = NULL;
	size_t used = 0;
	int n;

	if (strlen(list) >= sizeof(buf) || len < 3)
		return false;
	snprintf(buf, sizeof(buf), "%s", list);
	out[used++] = '{';
	for (tok = strtok_r(buf, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
		if (!mado_check_kind(kind, tok))
			return false;
		n = snprintf(out + used, len - used, "%s%s", used > 1 ? "," : "", tok);
		if (n < 0 || (size_t)n >= len - used)
			return false;
		used += (size_t)n;
	}
	if (used == 1 || used + 2 > len)
		return false;
	out[used++] = '}';
	out[used] = '\0';
	return true;
}
