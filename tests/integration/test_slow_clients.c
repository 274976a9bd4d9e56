/*
 * Slow clients take nothing from anyone else. A body is read whole before any database
 * connection is taken, so twice the pool's size of clients trickling bodies leave the
 * pool free (once, 20 such POSTs made every database request answer 503); and a body
 * is read under one deadline for the whole request, so a client that sends a byte just
 * before each read would time out is cut off at that deadline, not kept for ever.
 */
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

#include "harness.h"

#define POOL      2
#define WAIT_MS   1000
#define TIMEOUT_S 2

static struct th_env env;

static int
setup(void **state)
{
	char conf[256];

	*state = &env;
	snprintf(conf, sizeof(conf),
		 "db_pool_size = %d\ndb_wait_ms = %d\nrequest_timeout_ms = %d\n", POOL, WAIT_MS,
		 TIMEOUT_S * 1000);
	return th_setup(&env, conf);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A login POST that announces a body and sends one byte of it, with the headers that
   once made the gate take a database connection first (a well-formed session cookie and
   the site's Origin). */
static struct th_conn *
start_slow_post(int length)
{
	char head[512];
	struct th_conn *c;
	int n;

	n = snprintf(head, sizeof(head),
		     "POST /api/v1/auth/webeid HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		     "Origin: https://localhost:%d\r\nContent-Type: application/json\r\n"
		     "Cookie: __Host-mado=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n"
		     "Content-Length: %d\r\n\r\n{",
		     env.port, length);
	assert_non_null(c = th_conn_open(&env));
	assert_int_equal(th_conn_send(c, head, (size_t)n), 0);
	return c;
}

static void
test_trickled_bodies_hold_no_connection(void **state)
{
	struct th_conn *slow[2 * POOL];
	struct th_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < 2 * POOL; i++)
		slow[i] = start_slow_post(1000);
	nanosleep(&(struct timespec){0, 200 * 1000 * 1000}, NULL); /* all inside their bodies */
	/* Database-backed requests are answered at once, not after db_wait_ms. */
	assert_int_equal(th_http(&env, "GET", "/readyz", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds * 1000 < WAIT_MS);
	th_resp_free(&r);
	assert_int_equal(th_http(&env, "GET", "/api/v1/access/coverage", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(r.seconds * 1000 < WAIT_MS);
	th_resp_free(&r);
	for (i = 0; i < 2 * POOL; i++)
		th_conn_close(slow[i]);
}

/* One byte every 300 ms keeps each read alive (the per-read timeout is 2 s); the whole
   request still ends at 2 s with 408, long before the 100 bytes would be in. */
static void
test_body_deadline_is_for_the_whole_request(void **state)
{
	struct th_conn *c;
	double start = now_s(), took;
	char *out = NULL;

	(void)state;
	c = start_slow_post(100);
	while (now_s() - start < 10) {
		free(out);
		out = th_conn_read(c, 300);
		if (out[0] != '\0')
			break;
		/* The server may have closed by now; a failed write is fine. */
		(void)th_conn_send(c, " ", 1);
	}
	took = now_s() - start;
	assert_non_null(strstr(out, "HTTP/1.1 408"));
	assert_non_null(strstr(out, "urn:mado:problem:request-timeout"));
	assert_true(took >= TIMEOUT_S - 0.5);
	assert_true(took < TIMEOUT_S + 2.5);
	free(out);
	th_conn_close(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trickled_bodies_hold_no_connection),
	    cmocka_unit_test(test_body_deadline_is_for_the_whole_request),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
