/*
 * The core's pure helpers (server/core/util.c, json.c): encodings, strict numbers and
 * times, constant-time comparison, the text buffer, the one JSON escaper and the
 * streaming writer, and the request log's line.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "mado/json.h"
#include "mado/log.h"
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
	char dec[24];

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
	assert_int_equal(mado_udec(dec, 0, 1), 1);
	assert_string_equal(dec, "0");
	assert_int_equal(mado_udec(dec, 5, 3), 3);
	assert_string_equal(dec, "005");
	assert_int_equal(mado_udec(dec, 12345, 3), 5);
	assert_string_equal(dec, "12345");
	assert_int_equal(mado_udec(dec, 18446744073709551615ull, 1), 20);
	assert_string_equal(dec, "18446744073709551615");
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

/* What a client sent, made safe to show: printable UTF-8 kept, the rest '?', cut whole. */
static void
test_text_shown(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(mado_text_shown(out, sizeof(out), "Firefox 140"), 11);
	assert_string_equal(out, "Firefox 140");
	mado_text_shown(out, sizeof(out), "a\x1b[1mb\x7f");
	assert_string_equal(out, "a?[1mb?");
	mado_text_shown(out, sizeof(out), "\xff\xfe\xc3");
	assert_string_equal(out, "???");
	mado_text_shown(out, sizeof(out), "\xc2\x85\xc2\xa0窓"); /* C1 NEL, then NBSP kept */
	assert_string_equal(out, "?\xc2\xa0窓");
	mado_text_shown(out, sizeof(out), "\xc0\xaf\xed\xa0\x80"); /* overlong, surrogate */
	assert_string_equal(out, "?????");
	assert_int_equal(mado_text_shown(out, 4, "a窓"), 1); /* 窓 needs 3 bytes and the NUL */
	assert_string_equal(out, "a");
	assert_int_equal(mado_text_shown(out, 1, "abc"), 0);
	assert_string_equal(out, "");
	assert_int_equal(mado_text_shown(out, sizeof(out), "0123456789abcdefghij"), 15);
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

/* The request line is built by hand (server/core/log.c): it must still be one JSON
   object a line, escaped, with the time and the milliseconds right. */
static void
test_request_line(void **state)
{
	char buf[1024], *nl;
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	cJSON *j;
	int64_t t;
	ssize_t n;

	(void)state;
	assert_non_null(f);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	mado_log_request("id\"1", "GET", "/api/v1/me/access-log", 200, 12.3456, "");
	mado_log_request("id2", "POST", "/x", 503, 1500.0, "org:tax\"office");
	mado_log_flush();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	n = pread(fileno(f), buf, sizeof(buf) - 1, 0);
	fclose(f);
	assert_true(n > 0);
	buf[n] = '\0';
	nl = strchr(buf, '\n');
	assert_non_null(nl);
	*nl = '\0';
	j = cJSON_Parse(buf);
	assert_non_null(j);
	assert_string_equal(cJSON_GetObjectItem(j, "req")->valuestring, "id\"1");
	assert_string_equal(cJSON_GetObjectItem(j, "level")->valuestring, "info");
	assert_string_equal(cJSON_GetObjectItem(j, "route")->valuestring, "/api/v1/me/access-log");
	assert_int_equal(cJSON_GetObjectItem(j, "status")->valueint, 200);
	assert_true(strstr(buf, "\"ms\":12.346}") != NULL); /* nobody recognised: no actor */
	assert_true(mado_parse_rfc3339(cJSON_GetObjectItem(j, "ts")->valuestring, &t));
	assert_true(t > (int64_t)time(NULL) - 60 && t <= (int64_t)time(NULL));
	cJSON_Delete(j);
	j = cJSON_Parse(nl + 1);
	assert_non_null(j);
	assert_int_equal(cJSON_GetObjectItem(j, "status")->valueint, 503);
	assert_string_equal(cJSON_GetObjectItem(j, "actor")->valuestring, "org:tax\"office");
	assert_true(strstr(nl + 1, "\"ms\":1500.000,") != NULL);
	cJSON_Delete(j);
}

/* Many threads logging at once: every line arrives whole, once. */
static void *
log_lines(void *arg)
{
	char id[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(id, sizeof(id), "t%d-%d", *(int *)arg, i);
		mado_log_request(id, "GET", "/healthz", 200, 0.5, NULL);
		if (i % 1000 == 0)
			mado_log(MADO_LOG_WARN, id, "a message among the request lines");
	}
	return NULL;
}

static void
test_log_threads(void **state)
{
	enum { THREADS = 8 };
	pthread_t t[THREADS];
	int ids[THREADS], i, lines = 0, seen[THREADS] = {0};
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	char line[512];
	cJSON *j;
	const char *req;

	(void)state;
	assert_non_null(f);
	assert_true(dup2(fileno(f), STDERR_FILENO) >= 0);
	for (i = 0; i < THREADS; i++) {
		ids[i] = i;
		assert_int_equal(pthread_create(&t[i], NULL, log_lines, &ids[i]), 0);
	}
	for (i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	mado_log_flush();
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_non_null(strchr(line, '\n'));
		j = cJSON_Parse(line);
		assert_non_null(j);
		req = cJSON_GetObjectItem(j, "req")->valuestring;
		if (cJSON_GetObjectItem(j, "route") != NULL)
			seen[req[1] - '0']++;
		cJSON_Delete(j);
		lines++;
	}
	fclose(f);
	assert_int_equal(lines, THREADS * (5000 + 5));
	for (i = 0; i < THREADS; i++)
		assert_int_equal(seen[i], 5000);
}

/* Draws 32-byte values from the calling thread's DRBG into the buffer given. */
enum { DRAWS = 5000, DRAW_LEN = 32 };

static void *
draw(void *arg)
{
	unsigned char *out = arg;
	int i;

	for (i = 0; i < DRAWS; i++)
		if (mado_random(out + (size_t)i * DRAW_LEN, DRAW_LEN) != 0)
			return NULL;
	return arg;
}

static int
cmp_draw(const void *a, const void *b)
{
	return memcmp(a, b, DRAW_LEN);
}

/* AU-01: 10,000 nonces' worth of mado_random, from two threads' generators: no value twice
   (within a thread or across them), and the bits balanced as a fair coin's. */
static void
test_random_draws(void **state)
{
	unsigned char *buf = malloc((size_t)2 * DRAWS * DRAW_LEN);
	long ones = 0, bits = 2L * DRAWS * DRAW_LEN * 8;
	void *r1, *r2;
	pthread_t a, b;
	size_t i;

	(void)state;
	assert_non_null(buf);
	assert_int_equal(pthread_create(&a, NULL, draw, buf), 0);
	assert_int_equal(pthread_create(&b, NULL, draw, buf + (size_t)DRAWS * DRAW_LEN), 0);
	pthread_join(a, &r1);
	pthread_join(b, &r2);
	assert_non_null(r1);
	assert_non_null(r2);
	for (i = 0; i < (size_t)2 * DRAWS * DRAW_LEN; i++)
		ones += __builtin_popcount(buf[i]);
	/* 2,560,000 fair bits: a standard deviation of 800 ones; 8 of them allowed. */
	assert_true(labs(ones - bits / 2) < 6400);
	qsort(buf, (size_t)2 * DRAWS, DRAW_LEN, cmp_draw);
	for (i = 1; i < (size_t)2 * DRAWS; i++)
		assert_int_not_equal(memcmp(buf + (i - 1) * DRAW_LEN, buf + i * DRAW_LEN, DRAW_LEN),
				     0);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encodings),    cmocka_unit_test(test_numbers_and_times),
	    cmocka_unit_test(test_text),         cmocka_unit_test(test_escape),
	    cmocka_unit_test(test_text_shown),   cmocka_unit_test(test_writer),
	    cmocka_unit_test(test_request_line), cmocka_unit_test(test_log_threads),
	    cmocka_unit_test(test_random_draws),
	};

	mado_mem_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
