/*
 * JSON in and out. In: strict parsing, because cJSON accepts things a public API must not:
 * invalid UTF-8, \u0000 inside strings, duplicate keys (and its lookups ignore case, so
 * {"consent":true,"Consent":false} would be ambiguous). One pass over the text checks
 * encoding and escapes; one walk over the tree checks keys and depth. Out: the one string
 * escaper, and a streaming writer over struct mado_text.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mado/err.h"
#include "mado/json.h"

#define JSON_MAX_DEPTH 32
#define JSON_MAX_KEYS  1024 /* keeps the pairwise key check cheap */

/* Four hex digits at p (n bytes left)? */
static bool
hex4(const unsigned char *p, size_t n)
{
	size_t i;

	if (n < 4)
		return false;
	for (i = 0; i < 4; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f') ||
		      (p[i] >= 'A' && p[i] <= 'F')))
			return false;
	return true;
}

static const char *
scan_text(const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	bool in_string = false;
	size_t i = 0, n;

	while (i < len) {
		if (p[i] == '\0')
			return "the body contains a NUL byte";
		if ((n = mado_utf8_seq(p + i, len - i)) == 0)
			return "the body is not valid UTF-8";
		if (n > 1) {
			i += n;
			continue;
		}
		if (in_string && p[i] == '\\' && i + 1 < len) {
			/* cJSON reads a \u without four hex digits as U+0000 and cuts the string
			   there: "a\uzzzzb" would be "a". */
			if (p[i + 1] == 'u' && !hex4(p + i + 2, len - i - 2))
				return "a \\u escape needs four hex digits";
			if (p[i + 1] == 'u' && memcmp(p + i + 2, "0000", 4) == 0)
				return "strings must not contain \\u0000";
			i += 2;
			continue;
		}
		if (p[i] == '"')
			in_string = !in_string;
		i++;
	}
	return NULL;
}

static const char *
walk(const cJSON *node, int depth)
{
	const cJSON *a, *b;
	const char *why;

	if (depth > JSON_MAX_DEPTH)
		return "the body nests deeper than 32 levels";
	if (cJSON_IsObject(node) && cJSON_GetArraySize(node) > JSON_MAX_KEYS)
		return "an object has more than 1024 keys";
	if (cJSON_IsObject(node)) {
		for (a = node->child; a != NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				if (strcasecmp(a->string, b->string) == 0)
					return "an object repeats a key (keys are compared "
					       "ignoring case)";
	}
	if (cJSON_IsObject(node) || cJSON_IsArray(node))
		for (a = node->child; a != NULL; a = a->next)
			if ((why = walk(a, depth + 1)) != NULL)
				return why;
	return NULL;
}

int
mado_json_parse(const char *text, size_t len, cJSON **out, char *detail, size_t detaillen)
{
	const char *why, *end = NULL;
	cJSON *root;

	*out = NULL;
	if (len == 0)
		why = "the body is empty";
	else
		why = scan_text(text, len);
	if (why != NULL) {
		snprintf(detail, detaillen, "%s", why);
		return MADO_E_MALFORMED_JSON;
	}
	if ((root = cJSON_ParseWithLengthOpts(text, len, &end, 0)) == NULL) {
		snprintf(detail, detaillen, "the body is not valid JSON (near byte %zu)",
			 end != NULL && end >= text ? (size_t)(end - text) : (size_t)0);
		return MADO_E_MALFORMED_JSON;
	}
	/* Only whitespace may follow the value. */
	while (end != NULL && (size_t)(end - text) < len &&
	       (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
		end++;
	if (end == NULL || (size_t)(end - text) != len)
		why = "the body has data after the JSON value";
	else
		why = walk(root, 1);
	if (why != NULL) {
		cJSON_Delete(root);
		snprintf(detail, detaillen, "%s", why);
		return MADO_E_MALFORMED_JSON;
	}
	*out = root;
	return MADO_OK;
}

int
mado_json_parse_nul_replaced(const char *text, size_t len, cJSON **out, char *detail,
			     size_t detaillen)
{
	bool in_string = false;
	char *copy;
	size_t i;
	int rc;

	*out = NULL;
	copy = mado_xmalloc(len + 1);
	memcpy(copy, text, len);
	copy[len] = '\0';
	for (i = 0; i < len; i++) {
		if (in_string && copy[i] == '\\' && i + 1 < len) {
			if (copy[i + 1] == 'u' && i + 5 < len &&
			    memcmp(copy + i + 2, "0000", 4) == 0)
				memcpy(copy + i + 2, "fffd", 4);
			i++;
			continue;
		}
		if (copy[i] == '"')
			in_string = !in_string;
	}
	rc = mado_json_parse(copy, len, out, detail, detaillen);
	free(copy);
	return rc;
}

/* Writing. */

void
mado_json_put_str(cJSON *obj, const char *name, const char *s)
{
	if (s == NULL)
		cJSON_AddNullToObject(obj, name);
	else
		cJSON_AddStringToObject(obj, name, s);
}

void
mado_json_put_raw(cJSON *obj, const char *name, const char *json, const char *fallback)
{
	cJSON_AddRawToObject(obj, name, json != NULL ? json : fallback);
}

void
mado_json_put_num(cJSON *obj, const char *name, const char *s, const char *fallback)
{
	/* Database integers as they are: no trip through a double. */
	cJSON_AddRawToObject(obj, name, s != NULL ? s : fallback);
}

size_t
mado_json_escape(char *out, size_t cap, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0, n;
	unsigned char c;
	char esc[6];

	if (cap == 0)
		return 0;
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		n = 2;
		esc[0] = '\\';
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			if (c < 0x20 || c == 0x7f) {
				memcpy(esc, "\\u00", 4);
				esc[4] = hex[c >> 4];
				esc[5] = hex[c & 15];
				n = 6;
			} else {
				esc[0] = (char)c;
				n = 1;
			}
		}
		if (o + n >= cap)
			break;
		memcpy(out + o, esc, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}

/* The object a dotted member goes in (made on first use), and the member's last part. */
static cJSON *
member_parent(cJSON *obj, const char *name, const char **last)
{
	const char *dot = strchr(name, '.');
	char part[64];
	cJSON *inner;

	if (dot == NULL || (size_t)(dot - name) >= sizeof(part)) {
		*last = name;
		return obj;
	}
	snprintf(part, sizeof(part), "%.*s", (int)(dot - name), name);
	if ((inner = cJSON_GetObjectItemCaseSensitive(obj, part)) == NULL)
		inner = cJSON_AddObjectToObject(obj, part);
	return member_parent(inner, dot + 1, last);
}

/* Writes the row's members into obj. */
static void
put_row(cJSON *obj, const struct mado_jmember *map, size_t n, const void *row)
{
	const char *base = row, *s, *name;
	cJSON *parent;
	size_t i;
	bool b;

	for (i = 0; i < n; i++) {
		memcpy(&s, base + map[i].off, sizeof(s));
		if (map[i].type == MADO_J_OPT && s == NULL)
			continue;
		parent = member_parent(obj, map[i].name, &name);
		switch (map[i].type) {
		case MADO_J_STR:
		case MADO_J_OPT: mado_json_put_str(parent, name, s); break;
		case MADO_J_NUM: mado_json_put_num(parent, name, s, "null"); break;
		case MADO_J_RAW:
			mado_json_put_raw(parent, name, s,
					  map[i].fallback != NULL ? map[i].fallback : "null");
			break;
		case MADO_J_BOOL:
			memcpy(&b, base + map[i].off, sizeof(b));
			cJSON_AddBoolToObject(parent, name, b);
			break;
		}
	}
}

int
mado_json_append_row(const void *row, int i, void *rows)
{
	const struct mado_json_rows *r = rows;
	cJSON *o = cJSON_CreateObject();

	(void)i;
	put_row(o, r->map, r->n, row);
	cJSON_AddItemToArray(r->array, o);
	return 0;
}

void
mado_jw_init(struct mado_jw *w, struct mado_text *t)
{
	memset(w, 0, sizeof(*w));
	w->t = t;
}

/* Before a value: the comma that separates it from the one before, unless it is a key's
   value. */
static void
jw_value(struct mado_jw *w)
{
	if (w->key)
		w->key = false;
	else if (w->more[w->depth])
		mado_text_append(w->t, ",", 1);
	w->more[w->depth] = true;
}

/* A quoted, escaped string of n bytes (n may stop inside s). */
static void
jw_quoted(struct mado_text *t, const char *s, size_t n)
{
	const char *run = s, *end = s + n;
	char *dst;
	size_t k;

	mado_text_append(t, "\"", 1);
	/* Most text needs no escaping: copy runs, escape only the bytes that need it. */
	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;
		char one[2] = {*s, '\0'};

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f)
			continue;
		mado_text_append(t, run, (size_t)(s - run));
		run = s + 1;
		dst = mado_text_reserve(t, 7);
		k = mado_json_escape(dst, 7, one);
		t->len += k;
	}
	mado_text_append(t, run, (size_t)(end - run));
	mado_text_append(t, "\"", 1);
}

void
mado_jw_open(struct mado_jw *w, char bracket)
{
	jw_value(w);
	mado_text_append(w->t, &bracket, 1);
	/* Deeper than the writer keeps track of is a programming error, not input. */
	if (w->depth + 1 >= MADO_JW_DEPTH)
		abort();
	w->close[++w->depth] = bracket == '{' ? '}' : ']';
	w->more[w->depth] = false;
}

void
mado_jw_close(struct mado_jw *w)
{
	mado_text_append(w->t, &w->close[w->depth], 1);
	w->depth--;
}

void
mado_jw_key(struct mado_jw *w, const char *key)
{
	jw_value(w);
	jw_quoted(w->t, key, strlen(key));
	mado_text_append(w->t, ":", 1);
	w->key = true;
}

void
mado_jw_str(struct mado_jw *w, const char *s)
{
	if (s == NULL) {
		jw_value(w);
		mado_text_append(w->t, "null", 4);
		return;
	}
	mado_jw_strn(w, s, strlen(s));
}

void
mado_jw_strn(struct mado_jw *w, const char *s, size_t n)
{
	jw_value(w);
	jw_quoted(w->t, s, n);
}

void
mado_jw_kstr(struct mado_jw *w, const char *key, const char *s)
{
	mado_jw_key(w, key);
	mado_jw_str(w, s);
}

void
mado_jw_int(struct mado_jw *w, long long v)
{
	jw_value(w);
	mado_text_printf(w->t, "%lld", v);
}

void
mado_jw_bool(struct mado_jw *w, bool v)
{
	jw_value(w);
	mado_text_append(w->t, v ? "true" : "false", v ? 4 : 5);
}

void
mado_jw_raw(struct mado_jw *w, const char *json, const char *fallback)
{
	const char *p, *run;
	bool in_string = false;

	jw_value(w);
	if (json == NULL) {
		mado_text_puts(w->t, fallback);
		return;
	}
	/* PostgreSQL puts blanks between tokens; leave them out. */
	for (p = run = json; *p != '\0'; p++) {
		if (in_string) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '"')
				in_string = false;
		} else if (*p == '"') {
			in_string = true;
		} else if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
			mado_text_append(w->t, run, (size_t)(p - run));
			run = p + 1;
		}
	}
	mado_text_append(w->t, run, (size_t)(p - run));
}
