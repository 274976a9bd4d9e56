/*
 * The core's pure helpers (server/core/util.c, json.c): encodings, strict numbers and
 * times, constant-time comparison, the text buffer, the one JSON escaper and the
 * streaming writer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "mado/json.h"
#include "mado/util.h"

static void
test_encodings(void **state)
{
	char out[MADO_HASH_PARAM_LEN];
	unsigned char *dec;
	size_t n;

	(void)state;
	mado_hex("\x01\xab", 2, out);
	assert_string_equal(out, "01ab");
	/* RFC 4648 test vectors: base64 with padding, base64url without. */
	assert_int_equal(mado_b64("foob", 4, out), 8);
	assert_string_equal(out, "Zm9vYg==");
	mado_b64url("\xfb\xff", 2, out);
	assert_string_equal(out, "-_8");
	assert_non_null(dec = mado_b64_decode("Zm9vYmFy", 8, &n));
	assert_int_equal(n, 6);
	assert_memory_equal(dec, "foobar", 6);
	free(dec);
	/* Strict: no other alphabet, no wrong padding, no stray bits. */
	assert_null(mado_b64_decode("Zm9v-g==", 8, &n));
	assert_null(mado_b64_decode("Zm9vYg=", 7, &n));
	assert_null(mado_b64_decode("Zm9vYh==", 8, &n));
	assert_null(mado_b64_decode("Zm9vY", 5, &n));
	mado_secret_hash("abc", out);
	assert_string_equal(out,
			    "\\xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_numbers_and_times(void **state)
{
	long long v;
	time_t t;

	(void)state;
	assert_true(mado_parse_int("-5", -10, 10, &v));
	assert_int_equal(v, -5);
	assert_false(mado_parse_int(" 5", 0, 10, &v));
	assert_false(mado_parse_int("+5", 0, 10, &v));
	assert_false(mado_parse_int("11", 0, 10, &v));
	assert_false(mado_parse_int("", 0, 10, &v));
	assert_false(mado_parse_int("99999999999999999999", 0, INT64_MAX, &v));
	assert_true(mado_parse_rfc3339("1970-01-01T00:00:00Z", &t));
	assert_int_equal(t, 0);
	assert_true(mado_parse_rfc3339("1970-01-01T09:00:00+09:00", &t));
	assert_int_equal(t, 0);
	assert_true(mado_parse_date("2000-03-01", &t));
	assert_int_equal(t, 951868800);
	assert_int_equal(mado_days_in_month(2024, 2), 29);
	assert_int_equal(mado_days_in_month(2100, 2), 28);
	assert_int_equal(mado_days_in_month(2000, 2), 29);
	assert_int_equal(mado_days_in_month(2026, 13), 0);
	assert_true(mado_ct_equal("abc", "abc", 3));
	assert_false(mado_ct_equal("abc", "abd", 3));
}

static void
test_text(void **state)
{
	struct mado_text t = {0};
	char big[5000];

	(void)state;
	mado_text_printf(&t, "%d-%s", 7, "x");
	mado_text_puts(&t, "!");
	assert_string_equal(t.buf, "7-x!");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mado_text_printf(&t, "%s", big); /* grows past the first allocation */
	assert_int_equal(t.len, 4 + sizeof(big) - 1);
	assert_int_equal(strlen(t.buf), t.len);
	mado_text_free(&t);
	assert_null(t.buf);
	assert_int_equal(t.len, 0);
}

static void
test_escape(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(mado_json_escape(out, sizeof(out), "a\"b\\c\n\x01\x7f窓"), 24);
	assert_string_equal(out, "a\\\"b\\\\c\\n\\u0001\\u007f窓");
	/* Never past cap, and never half an escape. */
	assert_int_equal(mado_json_escape(out, 4, "ab\"c"), 2);
	assert_string_equal(out, "ab");
}

static void
test_writer(void **state)
{
	struct mado_text t = {0};
	struct mado_jw w;
	cJSON *j;

	(void)state;
	mado_jw_init(&w, &t);
	mado_jw_open(&w, '{');
	mado_jw_kstr(&w, "a", "x\"y");
	mado_jw_kstr(&w, "n", NULL);
	mado_jw_key(&w, "list");
	mado_jw_open(&w, '[');
	mado_jw_int(&w, -3);
	mado_jw_bool(&w, true);
	mado_jw_strn(&w, "abcdef", 2);
	mado_jw_raw(&w, "{\"k\" : [1, 2]}", "null");
	mado_jw_raw(&w, NULL, "[]");
	mado_jw_close(&w);
	mado_jw_close(&w);
	assert_string_equal(
	    t.buf, "{\"a\":\"x\\\"y\",\"n\":null,\"list\":[-3,true,\"ab\",{\"k\":[1,2]},[]]}");
	/* And it is JSON. */
	assert_non_null(j = cJSON_Parse(t.buf));
	cJSON_Delete(j);
	mado_text_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encodings), cmocka_unit_test(test_numbers_and_times),
	    cmocka_unit_test(test_text),      cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_writer),
	};

	mado_mem_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
