/*
 * PostgreSQL stopped under a running mado: requests that need it get 503 problems within
 * the wait limit and /readyz turns red; started again, the same mado process serves again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;

static int
setup(void **state)
{
	*state = &env;
	/* db_wait_ms = 1000 comes from the harness's config. */
	return th_setup(&env, NULL);
}

static void
expect(const char *path, long status, const char *type)
{
	struct th_resp r;
	char got[128];

	assert_int_equal(th_http(&env, "GET", path, NULL, NULL, 0, &r), 0);
	if (r.status != status ||
	    (type != NULL && strcmp(th_problem_type(&r, got, sizeof(got)), type) != 0))
		fail_msg("GET %s: got %ld %.200s", path, r.status, r.body);
	/* Within the 1 s wait limit, with room for a loaded machine. */
	if (r.seconds > 3.0)
		fail_msg("GET %s took %.2f s", path, r.seconds);
	th_resp_free(&r);
}

static void
test_outage_and_recovery(void **state)
{
	pid_t mado = env.mado_pid;
	int round, i;

	(void)state;
	for (round = 0; round < 2; round++) {
		/* Warm the pool so stale connections exist when the server goes away. */
		for (i = 0; i < 5; i++)
			expect("/api/v1/about", 200, NULL);
		expect("/readyz", 200, NULL);

		assert_int_equal(th_pg_stop(&env), 0);
		for (i = 0; i < 5; i++)
			expect("/api/v1/about", 503, "urn:mado:problem:database-unavailable");
		expect("/readyz", 503, "urn:mado:problem:database-unavailable");
		expect("/healthz", 200, NULL); /* the process itself is fine */

		assert_int_equal(th_pg_start(&env), 0);
		/* The very next requests succeed: no restart, no waiting for a timer. */
		for (i = 0; i < 5; i++)
			expect("/api/v1/about", 200, NULL);
		expect("/readyz", 200, NULL);
		assert_int_equal(env.mado_pid, mado);
	}
}

/* The pool's counters show what happened. */
static void
test_metrics_count_failures(void **state)
{
	struct th_resp r;

	(void)state;
	assert_int_equal(th_http(&env, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "mado_http_requests_total{route=\"GET /api/v1/about\","
				       "status=\"503\"} 10"));
	assert_null(strstr(r.body, "mado_db_pool_events_total{event=\"connect_failure\"} 0\n"));
	th_resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outage_and_recovery),
	    cmocka_unit_test(test_metrics_count_failures),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
