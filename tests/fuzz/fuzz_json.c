/*
 * The strict JSON parser (server/core/json.c, mado_json_parse) and the one escaper. Any
 * bytes: no crash, no read past the input. What it accepts is a tree without a key twice
 * (ignoring case) in any object and at most 32 levels deep; printed by cJSON, the tree
 * parses again to the same tree. Every string in it, escaped by mado_json_escape and
 * quoted, parses back to the same string.
 */
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "mado/err.h"
#include "mado/json.h"

/* Keys unique ignoring case, depth bounded, numbers finite (cJSON prints others as
   null, so only those trees are compared after a round trip). */
static bool
check_tree(const cJSON *node, int depth, bool *finite)
{
	const cJSON *a, *b;

	FUZZ_ASSERT(depth <= 32);
	if (cJSON_IsNumber(node) && !isfinite(node->valuedouble))
		*finite = false;
	if (cJSON_IsObject(node))
		for (a = node->child; a != NULL; a = a->next)
			for (b = a->next; b != NULL; b = b->next)
				FUZZ_ASSERT(strcasecmp(a->string, b->string) != 0);
	for (a = node->child; a != NULL; a = a->next)
		check_tree(a, depth + 1, finite);
	return true;
}

/* s through the escaper and back through the parser. */
static void
escape_round_trip(const char *s)
{
	size_t n = strlen(s), cap = 6 * n + 3;
	char *q = malloc(cap + 2), detail[128];
	cJSON *back = NULL;
	size_t w;

	if (q == NULL)
		abort();
	q[0] = '"';
	w = mado_json_escape(q + 1, cap, s);
	FUZZ_ASSERT(w < cap);
	q[1 + w] = '"';
	q[2 + w] = '\0';
	FUZZ_ASSERT(mado_json_parse(q, w + 2, &back, detail, sizeof(detail)) == MADO_OK);
	FUZZ_ASSERT(cJSON_IsString(back) && strcmp(back->valuestring, s) == 0);
	cJSON_Delete(back);
	free(q);
}

static void
strings_round_trip(const cJSON *node)
{
	const cJSON *a;

	if (cJSON_IsString(node))
		escape_round_trip(node->valuestring);
	if (node->string != NULL)
		escape_round_trip(node->string);
	for (a = node->child; a != NULL; a = a->next)
		strings_round_trip(a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root = NULL, *again = NULL;
	char detail[128], *text;
	bool finite = true;

	if (mado_json_parse((const char *)data, size, &root, detail, sizeof(detail)) == MADO_OK) {
		FUZZ_ASSERT(root != NULL);
		check_tree(root, 1, &finite);
		strings_round_trip(root);
		if (finite && (text = cJSON_PrintUnformatted(root)) != NULL) {
			FUZZ_ASSERT(mado_json_parse(text, strlen(text), &again, detail,
						    sizeof(detail)) == MADO_OK);
			FUZZ_ASSERT(cJSON_Compare(root, again, true));
			cJSON_Delete(again);
			free(text);
		}
		cJSON_Delete(root);
	} else {
		FUZZ_ASSERT(root == NULL);
	}
	/* The Web eID variant reads \u0000 as U+FFFD and is otherwise the same. */
	if (mado_json_parse_nul_replaced((const char *)data, size, &root, detail, sizeof(detail)) ==
	    MADO_OK) {
		check_tree(root, 1, &finite);
		cJSON_Delete(root);
	}
	return 0;
}
