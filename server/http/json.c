/*
 * Strict JSON for request bodies. cJSON accepts things a public API must not: invalid
 * UTF-8, \u0000 inside strings, duplicate keys (and its lookups ignore case, so
 * {"consent":true,"Consent":false} would be ambiguous). One pass over the text checks
 * encoding and escapes; one walk over the tree checks keys and depth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "mado/err.h"
#include "mado/http.h"

#define JSON_MAX_DEPTH 32
#define JSON_MAX_KEYS  1024 /* keeps the pairwise key check cheap */

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t
utf8_seq(const unsigned char *p, size_t n)
{
	size_t len, i;
	unsigned int cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
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
		if ((n = utf8_seq(p + i, len - i)) == 0)
			return "the body is not valid UTF-8";
		if (n > 1) {
			i += n;
			continue;
		}
		if (in_string && p[i] == '\\' && i + 1 < len) {
			if (p[i + 1] == 'u' && i + 5 < len && memcmp(p + i + 2, "0000", 4) == 0)
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
	if ((copy = malloc(len + 1)) == NULL)
		return MADO_E_NOMEM;
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
