/*
 * Persons sharded by PL/Proxy (scripts/shards: two shards and a proxy database, started
 * in a directory of the test's own). Through the proxy, as mado_app: people are made, a
 * batch of access records for all of them is split between the shards, and every
 * person's records, and the person, live on exactly the shard their id hashes to; the
 * person's view and consents work through the proxy only for a transaction acting for
 * that person; an organisation's count fans out to every shard and adds up.
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
#include <libpq-fe.h>

#include "harness.h"

#define PEOPLE  40
#define RECORDS 3 /* per person */

static char dir[256];
static PGconn *proxy_app, *proxy_su, *shard[2];
static char people[PEOPLE][40];

static PGconn *
connect_to(const char *member, const char *role)
{
	char cmd[600], url[512];
	FILE *f;
	PGconn *c;

	snprintf(cmd, sizeof(cmd), "'%s/scripts/shards' url %s --dir '%s'", MADO_SOURCE_DIR, member,
		 dir);
	if ((f = popen(cmd, "r")) == NULL)
		return NULL;
	if (fgets(url, sizeof(url), f) == NULL) {
		pclose(f);
		return NULL;
	}
	pclose(f);
	url[strcspn(url, "\n")] = '\0';
	if (role != NULL) /* the url names user=postgres last */
		snprintf(strstr(url, "user=") + 5,
			 sizeof(url) - (size_t)(strstr(url, "user=") + 5 - url), "%s", role);
	c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "shards test: %s: %s", member, PQerrorMessage(c));
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* A one-value query's answer as a number; -1 when it failed (printed). */
static long
value(PGconn *c, const char *fmt, ...)
{
	char q[8192];
	va_list ap;
	PGresult *r;
	long v = -1;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	r = PQexec(c, q);
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	else if (PQresultStatus(r) == PGRES_COMMAND_OK)
		v = 0;
	else
		fprintf(stderr, "shards test: %s: %s", q, PQerrorMessage(c));
	PQclear(r);
	return v;
}

static int
setup(void **state)
{
	char slash_bin[256], *slash;
	PGresult *r;
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mado-shards-XXXXXX");
	if (mkdtemp(dir) == NULL || th_sh("chmod 755 '%s'", dir) != 0)
		return -1;
	snprintf(slash_bin, sizeof(slash_bin), "%s", MADO_BINARY);
	if ((slash = strrchr(slash_bin, '/')) != NULL)
		*slash = '\0';
	/* Should this test be killed, a watchdog stops the databases once it is gone. */
	th_sh("setsid sh -c 'while kill -0 %d 2>/dev/null; do sleep 1; done; "
	      "\"%s/scripts/shards\" stop --dir \"%s\"' >/dev/null 2>&1 </dev/null &",
	      (int)getpid(), MADO_SOURCE_DIR, dir);
	if (th_sh("'%s/scripts/shards' start --dir '%s' --bin '%s' >'%s/start.log' 2>&1",
		  MADO_SOURCE_DIR, dir, slash_bin, dir) != 0) {
		th_sh("cat '%s/start.log' >&2", dir);
		return -1;
	}
	if ((proxy_app = connect_to("proxy", "mado_app")) == NULL ||
	    (proxy_su = connect_to("proxy", NULL)) == NULL ||
	    (shard[0] = connect_to("shard0", NULL)) == NULL ||
	    (shard[1] = connect_to("shard1", NULL)) == NULL)
		return -1;
	/* People, made through the proxy as the application would. */
	r = PQexec(proxy_app, "SELECT proxy.person_new() FROM generate_series(1, 40)");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != PEOPLE) {
		fprintf(stderr, "shards test: person_new: %s", PQerrorMessage(proxy_app));
		PQclear(r);
		return -1;
	}
	for (i = 0; i < PEOPLE; i++)
		snprintf(people[i], sizeof(people[i]), "%s", PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

static int
teardown(void **state)
{
	int i;

	(void)state;
	PQfinish(proxy_app);
	PQfinish(proxy_su);
	for (i = 0; i < 2; i++)
		PQfinish(shard[i]);
	th_sh("'%s/scripts/shards' stop --dir '%s' >/dev/null 2>&1", MADO_SOURCE_DIR, dir);
	if (getenv("MADOTEST_KEEP") == NULL)
		th_sh("rm -rf '%s'", dir);
	return 0;
}

/* The people as a SQL list: ('id'::uuid), ... */
static void
people_values(char *out, size_t len)
{
	size_t n = 0;
	int i;

	for (i = 0; i < PEOPLE; i++)
		n += (size_t)snprintf(out + n, len - n, "%s('%s'::uuid)", i > 0 ? "," : "",
				      people[i]);
}

static void
test_records_on_the_persons_shard(void **state)
{
	char list[PEOPLE * 60];
	long on[2], people_on[2], persons[2] = {0, 0};
	int i, s, want;

	(void)state;
	people_values(list, sizeof(list));
	/* One batch for everybody, people interleaved: the proxy splits it by person. */
	assert_int_equal(
	    value(proxy_app,
		  "SELECT count(*) FROM proxy.record_access(ARRAY(SELECT ROW(gen_random_uuid(), "
		  "v.id, now() - interval '1 hour', 'tax-office', NULL, 'clerk-1', NULL, "
		  "'human', 'report', 'tax.assessment', 'internal', NULL, ARRAY['tax.income'], "
		  "NULL, 'served', NULL, NULL, NULL)::portal.access_record "
		  "FROM generate_series(1, %d) g, (VALUES %s) v(id) ORDER BY g))",
		  RECORDS, list),
	    PEOPLE * RECORDS);
	for (i = 0; i < PEOPLE; i++) {
		/* The shard is the hash of the person's id, over two partitions. */
		want = (int)value(proxy_su, "SELECT route.person_hash('%s') & 1", people[i]);
		assert_true(want == 0 || want == 1);
		for (s = 0; s < 2; s++) {
			on[s] = value(
			    shard[s],
			    "SELECT count(*) FROM portal.access_events WHERE person_id = '%s'",
			    people[i]);
			people_on[s] =
			    value(shard[s], "SELECT count(*) FROM portal.people WHERE id = '%s'",
				  people[i]);
		}
		assert_int_equal(on[want], RECORDS);
		assert_int_equal(on[1 - want], 0);
		assert_int_equal(people_on[want], 1);
		assert_int_equal(people_on[1 - want], 0);
		persons[want]++;
	}
	/* Both shards hold people. */
	print_message("people on shard 0: %ld, on shard 1: %ld\n", persons[0], persons[1]);
	assert_true(persons[0] > 0 && persons[1] > 0);
}

static void
test_views_and_consents_through_the_proxy(void **state)
{
	PGresult *r;
	int want;

	(void)state;
	/* Acting for people[0]: their entries, their consent. */
	assert_int_equal(value(proxy_app, "BEGIN"), 0);
	assert_int_equal(value(proxy_app,
			       "SELECT count(*) FROM (SELECT set_config('mado.person_id',"
			       " '%s', true)) x",
			       people[0]),
			 1);
	assert_int_equal(value(proxy_app,
			       "SELECT count(*) FROM proxy.access_latest('%s', 50) WHERE org_code ="
			       " 'tax-office'",
			       people[0]),
			 RECORDS);
	assert_int_equal(value(proxy_app,
			       "SELECT count(*) FROM proxy.consent_push_give('%s',"
			       " 'benefit-eligibility', 30) WHERE consent_id IS NOT NULL",
			       people[0]),
			 1);
	assert_int_equal(value(proxy_app,
			       "SELECT count(*) FROM proxy.consents_of('%s') WHERE programme ="
			       " 'benefit-eligibility' AND status = 'active'",
			       people[0]),
			 1);
	/* Not for another person in the same transaction. */
	r = PQexec(proxy_app, "SELECT * FROM proxy.access_latest('00000000-0000-4000-8000-"
			      "000000000000', 50)");
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	assert_string_equal(PQresultErrorField(r, PG_DIAG_SQLSTATE), "42501");
	PQclear(r);
	assert_int_equal(value(proxy_app, "ROLLBACK"), 0);
	/* The rollback undid nothing on the shards: each call committed there on its own
	   (PL/Proxy runs every call in its own remote transaction). */
	want = (int)value(proxy_su, "SELECT route.person_hash('%s') & 1", people[0]);
	assert_int_equal(value(shard[want],
			       "SELECT count(*) FROM portal.consents WHERE person_id = '%s'",
			       people[0]),
			 1);
	assert_int_equal(value(shard[1 - want],
			       "SELECT count(*) FROM portal.consents WHERE person_id = '%s'",
			       people[0]),
			 0);
	/* Without acting for the person, nothing. */
	r = PQexec(proxy_app, "SELECT * FROM proxy.consents_of('00000000-0000-4000-8000-"
			      "000000000000')");
	assert_int_equal(PQresultStatus(r), PGRES_FATAL_ERROR);
	PQclear(r);
}

static void
test_organisation_fans_out(void **state)
{
	long total;

	(void)state;
	total = value(shard[0], "SELECT count(*) FROM portal.access_events WHERE org_code ="
				" 'tax-office'") +
		value(shard[1], "SELECT count(*) FROM portal.access_events WHERE org_code ="
				" 'tax-office'");
	assert_int_equal(total, PEOPLE * RECORDS);
	assert_int_equal(value(proxy_app, "SELECT proxy.org_access_count('tax-office')"), total);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_records_on_the_persons_shard),
	    cmocka_unit_test(test_views_and_consents_through_the_proxy),
	    cmocka_unit_test(test_organisation_fans_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
