/*
 * Every answer the tests get, against web/openapi.json (asvs AZ-02, DP-02): a successful
 * JSON answer of a documented operation carries only the members its schema names, each
 * of the documented type (and value, where a const or an enum says), and every member the
 * schema requires. What integrators read is
 * what Mado sends, and nothing it sends is left out of the document: no field leaks by
 * being added to a response and nowhere else.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "harness.h"

static cJSON *doc;
static pthread_once_t doc_once = PTHREAD_ONCE_INIT;

static void
load_doc(void)
{
	FILE *f = fopen(MADO_SOURCE_DIR "/web/openapi.json", "r");
	char *text = NULL;
	size_t cap = 0;

	if (f != NULL && getdelim(&text, &cap, '\0', f) > 0)
		doc = cJSON_Parse(text);
	if (f != NULL)
		fclose(f);
	free(text);
}

/* How well path (no query) fits pattern: -1 not at all, else its literal segments. */
static int
fits(const char *pattern, const char *path)
{
	int literal = 0;

	while (*pattern != '\0' && *path != '\0') {
		if (*pattern++ != '/' || *path++ != '/')
			return -1;
		if (*pattern == '{') {
			if (*path == '/' || *path == '\0')
				return -1;
			pattern += strcspn(pattern, "/");
			path += strcspn(path, "/");
			continue;
		}
		while (*pattern != '\0' && *pattern != '/')
			if (*pattern++ != *path++)
				return -1;
		if (*path != '\0' && *path != '/')
			return -1;
		literal++;
	}
	return *pattern == '\0' && *path == '\0' ? literal : -1;
}

/* The documented schema of method path's status answer, or NULL if there is none. */
static const cJSON *
schema_of(const char *method, const char *path, long status)
{
	const cJSON *paths = cJSON_GetObjectItemCaseSensitive(doc, "paths"), *p, *best = NULL;
	const cJSON *op, *resp;
	char m[16], code[8];
	int score, top = -1;
	size_t i;

	cJSON_ArrayForEach (p, paths) {
		if ((score = fits(p->string, path)) > top) {
			top = score;
			best = p;
		}
	}
	for (i = 0; method[i] != '\0' && i + 1 < sizeof(m); i++)
		m[i] = (char)(method[i] | 0x20);
	m[i] = '\0';
	snprintf(code, sizeof(code), "%ld", status);
	op = cJSON_GetObjectItemCaseSensitive(best, m);
	resp = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(op, "responses"),
						code);
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "content"),
					     "application/json"),
	    "schema");
}

static const cJSON *
deref(const cJSON *s)
{
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(s, "$ref");
	const char *prefix = "#/components/schemas/";

	if (!cJSON_IsString(ref) || strncmp(ref->valuestring, prefix, strlen(prefix)) != 0)
		return s;
	return cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "components"),
					     "schemas"),
	    ref->valuestring + strlen(prefix));
}

static bool
is_type(const char *type, const cJSON *v)
{
	if (strcmp(type, "object") == 0)
		return cJSON_IsObject(v);
	if (strcmp(type, "array") == 0)
		return cJSON_IsArray(v);
	if (strcmp(type, "string") == 0)
		return cJSON_IsString(v);
	if (strcmp(type, "boolean") == 0)
		return cJSON_IsBool(v);
	if (strcmp(type, "null") == 0)
		return cJSON_IsNull(v);
	if (strcmp(type, "number") == 0)
		return cJSON_IsNumber(v);
	if (strcmp(type, "integer") == 0)
		return cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble;
	return false;
}

static bool check(const cJSON *s, const cJSON *v, const char *at, char *why, size_t len);

/* A const, or one of an enum, compared by value. */
static bool
check_values(const cJSON *s, const cJSON *v, const char *at, char *why, size_t len)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(s, "const");
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(s, "enum"), *x;

	if (c != NULL && !cJSON_Compare(c, v, true)) {
		snprintf(why, len, "%s is not its documented constant", at);
		return false;
	}
	if (cJSON_IsArray(e)) {
		cJSON_ArrayForEach (x, e) {
			if (cJSON_Compare(x, v, true))
				return true;
		}
		snprintf(why, len, "%s is none of its documented values", at);
		return false;
	}
	return true;
}

static bool
check_type(const cJSON *s, const cJSON *v, const char *at, char *why, size_t len)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(s, "type"), *t;

	if (cJSON_IsString(type) && !is_type(type->valuestring, v)) {
		snprintf(why, len, "%s is not of type %s", at, type->valuestring);
		return false;
	}
	if (cJSON_IsArray(type)) {
		cJSON_ArrayForEach (t, type) {
			if (cJSON_IsString(t) && is_type(t->valuestring, v))
				return true;
		}
		snprintf(why, len, "%s is of none of its documented types", at);
		return false;
	}
	return true;
}

static bool
check_object(const cJSON *s, const cJSON *v, const char *at, char *why, size_t len)
{
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(s, "properties"), *m, *r;
	char where[512];

	if (!cJSON_IsObject(props))
		return true; /* a free-form object: a map the document describes in words */
	cJSON_ArrayForEach (m, v) {
		snprintf(where, sizeof(where), "%s.%s", at, m->string);
		if (!cJSON_HasObjectItem(props, m->string)) {
			snprintf(why, len, "%s is not documented", where);
			return false;
		}
		if (!check(cJSON_GetObjectItemCaseSensitive(props, m->string), m, where, why, len))
			return false;
	}
	cJSON_ArrayForEach (r, cJSON_GetObjectItemCaseSensitive(s, "required")) {
		if (cJSON_IsString(r) && !cJSON_HasObjectItem(v, r->valuestring)) {
			snprintf(why, len, "%s lacks the required %s", at, r->valuestring);
			return false;
		}
	}
	return true;
}

static bool
check(const cJSON *s, const cJSON *v, const char *at, char *why, size_t len)
{
	const cJSON *alts, *a, *items, *e;
	char where[512];
	int i = 0;

	if ((s = deref(s)) == NULL)
		return true;
	if ((alts = cJSON_GetObjectItemCaseSensitive(s, "oneOf")) != NULL ||
	    (alts = cJSON_GetObjectItemCaseSensitive(s, "anyOf")) != NULL) {
		cJSON_ArrayForEach (a, alts) {
			if (check(a, v, at, why, len))
				return true;
		}
		snprintf(why, len, "%s matches none of its documented forms", at);
		return false;
	}
	if (!check_type(s, v, at, why, len) || !check_values(s, v, at, why, len))
		return false;
	if (cJSON_IsObject(v))
		return check_object(s, v, at, why, len);
	if (cJSON_IsArray(v) && (items = cJSON_GetObjectItemCaseSensitive(s, "items")) != NULL) {
		cJSON_ArrayForEach (e, v) {
			snprintf(where, sizeof(where), "%s[%d]", at, i++);
			if (!check(items, e, where, why, len))
				return false;
		}
	}
	return true;
}

int
th_apidoc_check(const char *method, const char *path, const struct th_resp *r, char *why,
		size_t len)
{
	char route[1024], ctype[128];
	const cJSON *schema;
	cJSON *body;
	bool ok;

	*why = '\0';
	if (r->status < 200 || r->status > 299 || r->len == 0 ||
	    th_header(r, "Content-Type", ctype, sizeof(ctype)) == NULL ||
	    strncasecmp(ctype, "application/json", 16) != 0)
		return 0;
	pthread_once(&doc_once, load_doc);
	if (doc == NULL) {
		snprintf(why, len, "web/openapi.json cannot be read");
		return -1;
	}
	snprintf(route, sizeof(route), "%.*s", (int)strcspn(path, "?"), path);
	if ((schema = schema_of(method, route, r->status)) == NULL)
		return 0; /* not a documented JSON answer: test_openapi keeps routes documented */
	if ((body = cJSON_ParseWithLength(r->body, r->len)) == NULL) {
		snprintf(why, len, "the answer is not JSON");
		return -1;
	}
	ok = check(schema, body, "$", why, len);
	cJSON_Delete(body);
	return ok ? 0 : -1;
}
