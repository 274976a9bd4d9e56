/*
 * PostgreSQL out of reach: stopped under a running mado, requests that need it get 503
 * problems within the wait limit and /readyz turns red; started again, the same mado
 * process serves again. Reached over TCP, the connection is TLS whose certificate names
 * the server (sslmode=verify-full): a server another CA vouches for, or one the
 * certificate does not name, is out of reach too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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

/* Points db_url at host (the name its certificate must carry) on addr, trusting ca, and
   starts mado: 0 once it serves. */
static int
restart_on(const char *host, const char *addr, const char *ca)
{
	char line[1024];

	assert_int_equal(th_mado_stop(&env), 0);
	snprintf(line, sizeof(line),
		 "db_url = host=%s hostaddr=%s port=5432 dbname=mado user=mado_app "
		 "sslmode=verify-full sslrootcert=%s/%s.crt",
		 host, addr, env.dir, ca);
	assert_int_equal(th_conf_append(&env, line), 0);
	return th_mado_start(&env);
}

/* CR-07: the pool's connections over TLS, and nothing when the server is not the one named. */
static void
test_database_over_tls(void **state)
{
	char addr[32];

	(void)state;
	/* A loopback address of this test's own, so parallel tests' clusters never meet. */
	srand((unsigned)getpid());
	snprintf(addr, sizeof(addr), "127.%d.%d.%d", 1 + rand() % 250, rand() % 250,
		 1 + rand() % 250);
	/* Two CAs; the server's certificate, from the first, names db.mado.test. */
	assert_int_equal(
	    th_sh("cd '%s' && for ca in dbca otherca; do "
		  "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		  "-keyout $ca.key -out $ca.crt -days 2 -subj /CN=$ca >/dev/null 2>&1 || exit 1; "
		  "done && "
		  "openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout db.key "
		  "-out db.csr -subj /CN=db.mado.test >/dev/null 2>&1 && "
		  "echo subjectAltName=DNS:db.mado.test > db.ext && "
		  "openssl x509 -req -in db.csr -CA dbca.crt -CAkey dbca.key -days 2 "
		  "-extfile db.ext -out db.crt >/dev/null 2>&1 && "
		  "cp db.crt db.key '%s/data/' && chmod 600 '%s/data/db.key' && "
		  "chown --reference='%s/data' '%s/data/db.crt' '%s/data/db.key' && "
		  "printf \"ssl = on\\nssl_cert_file = 'db.crt'\\nssl_key_file = 'db.key'\\n"
		  "listen_addresses = '%s'\\n\" >> '%s/data/postgresql.conf' && "
		  "sed -i '1i hostssl mado mado_app 127.0.0.0/8 trust' '%s/data/pg_hba.conf'",
		  env.dir, env.pgdir, env.pgdir, env.pgdir, env.pgdir, env.pgdir, addr, env.pgdir,
		  env.pgdir),
	    0);
	assert_int_equal(th_pg_stop(&env), 0);
	assert_int_equal(th_pg_start(&env), 0);

	assert_int_equal(restart_on("db.mado.test", addr, "dbca"), 0);
	expect("/api/v1/about", 200, NULL);
	expect("/readyz", 200, NULL);
	/* Every connection mado holds is encrypted. */
	assert_true(th_sql(&env, "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s "
				 "USING (pid) WHERE a.usename = 'mado_app' AND s.ssl") >= 1);
	assert_int_equal(th_sql(&env, "SELECT count(*) FROM pg_stat_activity a JOIN pg_stat_ssl s "
				      "USING (pid) WHERE a.usename = 'mado_app' AND NOT s.ssl"),
			 0);

	/* A certificate from a CA mado was not told to trust: mado does not start (its schema
	   check cannot connect), and no session of its role was ever opened. */
	assert_int_not_equal(restart_on("db.mado.test", addr, "otherca"), 0);
	assert_false(th_mado_running(&env));
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mado_app'"), 0);

	/* The right CA, but a certificate that names another server. */
	assert_int_not_equal(restart_on("other.mado.test", addr, "dbca"), 0);
	assert_false(th_mado_running(&env));
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM pg_stat_activity WHERE usename = 'mado_app'"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_outage_and_recovery),
	    cmocka_unit_test(test_metrics_count_failures),
	    cmocka_unit_test(test_database_over_tls),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
