/* Strict request JSON: a corpus of hostile bodies, each refused as malformed-json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mado/err.h"
#include "mado/json.h"

static int
parse(const char *text, size_t len)
{
	char detail[256];
	cJSON *j = NULL;
	int rc = mado_json_parse(text, len, &j, detail, sizeof(detail));

	if (rc == MADO_OK)
		assert_non_null(j);
	else
		assert_null(j);
	cJSON_Delete(j);
	return rc;
}

#define P(s) parse((s), sizeof(s) - 1)

static void
test_accepts_good_json(void **state)
{
	(void)state;
	assert_int_equal(P("{\"a\":1,\"b\":[true,null,\"x\"]}"), MADO_OK);
	assert_int_equal(P("  {\"name\":\"窓口\"}\n"), MADO_OK);
	assert_int_equal(P("[{\"body\":{}}]"), MADO_OK);
	assert_int_equal(P("{\"esc\":\"a\\\\u0000b\"}"), MADO_OK); /* an escaped backslash */
	assert_int_equal(P("{\"emoji\":\"\\ud83d\\ude00 \xf0\x9f\x98\x80\"}"), MADO_OK);
}

static void
test_refuses_hostile_json(void **state)
{
	static const char *const bodies[] = {
	    "",
	    "{",
	    "{\"a\":1,}",
	    "{\"a\":1} {\"b\":2}",
	    "{\"a\":1}x",
	    "{\"consent\":true,\"Consent\":false}", /* case-variant keys */
	    "{\"a\":1,\"a\":2}",                    /* duplicate keys */
	    "{\"x\":{\"a\":1,\"A\":1}}",            /* also when nested */
	    "{\"a\":\"\\u0000\"}",                  /* NUL through an escape */
	    "{\"a\\uzzzzb\":1}",                    /* a \u without hex digits */
	    "{\"a\":\"x\\u0-12y\"}",                /* or with a sign */
	    "{\"a\":\"\xc3\x28\"}",                 /* invalid UTF-8 */
	    "{\"a\":\"\xed\xa0\x80\"}",             /* an encoded surrogate */
	    "{\"a\":\"\xc0\xaf\"}",                 /* an overlong slash */
	    "{'a':1}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++)
		if (parse(bodies[i], strlen(bodies[i])) != MADO_E_MALFORMED_JSON)
			fail_msg("accepted: %s", bodies[i]);
	/* A raw NUL byte inside the body. */
	assert_int_equal(parse("{\"a\":\"x\0y\"}", 11), MADO_E_MALFORMED_JSON);
}

static void
test_depth_and_width_limits(void **state)
{
	char deep[200];
	size_t i, n = 0;
	char *wide;

	(void)state;
	for (i = 0; i < 33; i++)
		deep[n++] = '[';
	for (i = 0; i < 33; i++)
		deep[n++] = ']';
	assert_int_equal(parse(deep, n), MADO_E_MALFORMED_JSON);
	assert_int_equal(parse(deep + 1, n - 2), MADO_OK); /* 32 levels are fine */

	/* 1025 distinct keys in one object. */
	wide = malloc(20 * 1100);
	assert_non_null(wide);
	n = 0;
	wide[n++] = '{';
	for (i = 0; i < 1025; i++)
		n += (size_t)sprintf(wide + n, "%s\"k%zu\":1", i ? "," : "", i);
	wide[n++] = '}';
	assert_int_equal(parse(wide, n), MADO_E_MALFORMED_JSON);
	free(wide);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepts_good_json),
	    cmocka_unit_test(test_refuses_hostile_json),
	    cmocka_unit_test(test_depth_and_width_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
