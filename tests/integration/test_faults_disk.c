/*
 * The database's disk full. The cluster's data directory (WAL included), or in a second
 * run its WAL directory alone, lives on a small tmpfs; a file fills it to the last byte;
 * agencies keep reporting and querying through mado. Writes are refused with 503 problems
 * (never another 5xx, never a dropped connection) and mado stays up; once space is freed,
 * writes succeed again, every batch that was acknowledged is there exactly once, none is
 * half there, and PostgreSQL's own checks (amcheck, data checksums) find nothing wrong.
 *
 * A full data directory fails the statements that need a new page (ERROR); a full WAL
 * directory makes PostgreSQL stop itself (PANIC), and once space is freed it is started
 * again, as its supervisor would.
 *
 * Needs to mount a tmpfs (root, or CAP_SYS_ADMIN); skipped with a message otherwise.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define MAX_EVENTS 1000 /* per report batch */
#define MAX_BATCH  400
#define FULL_S     60.0 /* longest time to drive writes until refusals are seen */
#define REFUSALS   5    /* refusals to see before freeing the space */
#define RECOVERY_S 30.0

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};
static char tax_pseudonyms[2][64], welfare_pseudonym[64];
static const char jsonct[] = "Content-Type: application/json";
static int mounted; /* th_pg_on_tmpfs's answer */

/* What is full: the data directory (a tmpfs of 128 MiB) or the WAL's (64 MiB, four
   segments), with report batches of 100 or 1000 events (the WAL fills faster). */
static struct scenario {
	bool wal;
	int tmpfs_mb, events;
	const char *tag; /* the event ids' fourth group */
} scenario;
static const struct scenario data_full = {false, 128, 100, "8fa4"},
			     wal_full = {true, 64, MAX_EVENTS, "8fa5"};

static long batch_status[MAX_BATCH]; /* 0: not sent or not answered */
static int batches;

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};
	const struct th_person *p[2] = {&alice, &bob};
	int i;

	*state = &env;
	if (th_setup_people(&env, people, true) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (th_sql_str(&env, tax_pseudonyms[i], sizeof(tax_pseudonyms[i]),
			       "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
			       " AND org_code = 'tax-office'",
			       p[i]->id) != 0)
			return -1;
	if (th_sql_str(&env, welfare_pseudonym, sizeof(welfare_pseudonym),
		       "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
		       " AND org_code = 'city-welfare'",
		       alice.id) != 0)
		return -1;
	/* Acknowledged means durable, as in a real deployment (the harness's throwaway
	   clusters commit asynchronously), should PostgreSQL crash on a full WAL disk. */
	if (th_sql(&env, "ALTER SYSTEM SET synchronous_commit = on") < 0 ||
	    th_sql(&env, "SELECT pg_reload_conf()::int") != 1)
		return -1;
	batches = 0;
	mounted = th_pg_on_tmpfs(&env, scenario.wal, scenario.tmpfs_mb);
	return mounted < 0 ? -1 : 0;
}

static int
setup_data_full(void **state)
{
	scenario = data_full;
	return setup(state);
}

static int
setup_wal_full(void **state)
{
	scenario = wal_full;
	return setup(state);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

static char *
report_body(int batch)
{
	return th_report_body(scenario.tag, batch, scenario.events, tax_pseudonyms[0],
			      tax_pseudonyms[1]);
}

static long
gateway(const char *org, const char *path, const char *body, struct th_resp *r)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {"POST", path, h, body, strlen(body), NULL, NULL, true};

	th_org_cert(&env, org, &rq);
	if (th_request(&env, &rq, r) != 0)
		fail_msg("POST %s: no answer (mado %s)", path,
			 th_mado_running(&env) ? "runs" : "is gone");
	return r->status;
}

static long
report(int batch, struct th_resp *r)
{
	char *b = report_body(batch);
	long st = gateway("tax-office", "/gw/v1/access-reports", b, r);

	free(b);
	return st;
}

static long
query(struct th_resp *r)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
		 "\"welfare.eligibility\",\"legal_ref\":\"MNA-T2-21\",\"officer\":"
		 "\"officer-17\",\"officer_role\":\"caseworker\",\"actor_kind\":\"human\","
		 "\"case_ref\":\"C-1\",\"reply_key\":\"%s\"}",
		 welfare_pseudonym, th_reply_key());
	return gateway("city-welfare", "/gw/v1/queries", body, r);
}

/* A 2xx, or a 503 refusal: true for a refusal, fails the test for anything else. */
static bool
refused(const char *what, const struct th_resp *r)
{
	char type[128];

	if (r->status / 100 == 2)
		return false;
	th_problem_type(r, type, sizeof(type));
	if (r->status == 503 && (strcmp(type, "urn:mado:problem:database-unavailable") == 0 ||
				 strcmp(type, "urn:mado:problem:access-record-failed") == 0 ||
				 strcmp(type, "urn:mado:problem:holder-unavailable") == 0))
		return true;
	fail_msg("%s with the disk full: %ld %.300s", what, r->status, r->body);
	return true;
}

static long
events_of(int batch)
{
	return th_sql(&env,
		      "SELECT count(*) FROM portal.access_events WHERE org_code = 'tax-office'"
		      " AND event_id::text LIKE '00000000-0000-4000-%s-%08d%%'",
		      scenario.tag, batch);
}

static void
test_disk_full(void **state)
{
	const int events = scenario.events;
	char data[330];
	struct th_resp r;
	long n, refusals = 0, writes = 0;
	double start;
	bool ok;
	int i;

	(void)state;
	if (mounted == 1) {
		print_message("skipped: mounting a tmpfs is not permitted here (needs root or "
			      "CAP_SYS_ADMIN)\n");
		skip();
	}
	snprintf(data, sizeof(data), "%s/data%s", env.pgdir, scenario.wal ? "/pg_wal" : "");
	for (i = 0; i < 5; i++, batches++) {
		assert_int_equal(report(batches, &r), 201);
		batch_status[batches] = r.status;
		th_resp_free(&r);
	}

	/* Full to the last byte. */
	th_sh("dd if=/dev/zero of='%s/filler' bs=1M >/dev/null 2>&1;"
	      "dd if=/dev/zero of='%s/filler2' bs=4k >/dev/null 2>&1",
	      data, data);
	assert_int_equal(
	    th_sh("test \"$(df --output=avail -k '%s' | tail -n1 | tr -d ' ')\" -eq 0", data), 0);

	/* Writes are refused, with problems; mado answers every one. */
	start = now_s();
	while (refusals < REFUSALS && now_s() - start < FULL_S && batches < MAX_BATCH) {
		report(batches, &r);
		batch_status[batches++] = r.status;
		refusals += refused("report", &r);
		th_resp_free(&r);
		query(&r);
		refusals += refused("query", &r);
		th_resp_free(&r);
		writes += 2;
	}
	print_message("disk full: %ld of %ld writes refused in %.1f s; PostgreSQL %s\n", refusals,
		      writes, now_s() - start, th_pg_running(&env) ? "runs" : "has stopped");
	assert_true(refusals >= REFUSALS);
	assert_true(th_mado_running(&env));
	assert_int_equal(th_http(&env, "GET", "/healthz", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);

	/* Space again: writes succeed again, by themselves, or once PostgreSQL, if it stopped
	   itself, is started again. */
	assert_int_equal(th_sh("rm -f '%s/filler' '%s/filler2'", data, data), 0);
	start = now_s();
	do {
		if (!th_pg_running(&env)) {
			print_message("PostgreSQL stopped itself; started again\n");
			assert_int_equal(th_pg_start(&env), 0);
		}
		sleep_s(0.25);
		ok = report(batches, &r) / 100 == 2;
		batch_status[batches++] = r.status;
		th_resp_free(&r);
		ok = ok && query(&r) == 200;
		th_resp_free(&r);
	} while (!ok && now_s() - start < RECOVERY_S && batches < MAX_BATCH);
	print_message("writes succeed again %.1f s after the space was freed\n", now_s() - start);
	assert_true(ok);
	assert_true(th_mado_running(&env));

	/* Nothing acknowledged lost, nothing half-written; then every batch once. */
	for (i = 0; i < batches; i++) {
		n = events_of(i);
		if ((n != 0 && n != events) || (batch_status[i] / 100 == 2 && n != events))
			fail_msg("batch %d answered %ld has %ld of %d events", i, batch_status[i],
				 n, events);
		if (batch_status[i] / 100 != 2) {
			assert_int_equal(report(i, &r) / 100, 2);
			th_resp_free(&r);
		}
	}
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.access_events WHERE event_id::text"
				" LIKE '00000000-0000-4000-%s-%%'",
				scenario.tag),
			 (long)batches * events);

	/* No corruption: every page reads back under its checksum, every B-tree index
	   matches its table. */
	assert_true(th_sql(&env, "CREATE EXTENSION IF NOT EXISTS amcheck") >= 0);
	assert_int_equal(th_sql(&env, "SELECT count(*) FROM pg_class c, verify_heapam(c.oid)"
				      " WHERE c.relnamespace = 'portal'::regnamespace AND"
				      " c.relkind IN ('r', 'm', 't')"),
			 0);
	assert_true(th_sql(&env, "SELECT count(bt_index_check(c.oid, true)) FROM pg_index i"
				 " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON"
				 " a.oid = c.relam WHERE a.amname = 'btree' AND c.relkind = 'i' AND"
				 " c.relnamespace = 'portal'::regnamespace") > 0);
}

int
main(void)
{
	const struct CMUnitTest data_tests[] = {
	    cmocka_unit_test(test_disk_full),
	};
	const struct CMUnitTest wal_tests[] = {
	    cmocka_unit_test(test_disk_full),
	};

	return cmocka_run_group_tests_name("data directory full", data_tests, setup_data_full,
					   th_group_teardown) +
	       cmocka_run_group_tests_name("WAL directory full", wal_tests, setup_wal_full,
					   th_group_teardown);
}
