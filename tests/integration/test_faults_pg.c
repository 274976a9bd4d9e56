/*
 * PostgreSQL stopped and started again while clients keep mado busy: public pages that
 * read the database, a person reading their log, agencies querying and reporting through
 * the gateway. Meanwhile every answer is a 2xx or a 503 problem saying the database (or
 * the access record) is unavailable, never another 5xx or a dropped connection; once
 * PostgreSQL is back the same mado serves again within seconds; and every report batch
 * that was acknowledged is in the log. test_db_outage checks the single requests; this is
 * the same outage under load, by a fast and by an immediate (crash) stop.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

#define RECOVERY_S 15 /* generous: the machine is shared */
#define EVENTS     10 /* per report batch */
#define MAX_BATCH  20000

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};
static char tax_pseudonyms[2][64], welfare_pseudonym[64];
static const char jsonct[] = "Content-Type: application/json";

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};
	const struct th_person *p[2] = {&alice, &bob};
	int i;

	*state = &env;
	if (th_setup_people(&env, people, true) != 0)
		return -1;
	/* The harness's throwaway clusters commit asynchronously, so an immediate stop may
	   lose the last commits PostgreSQL acknowledged; a real deployment does not. */
	if (th_sql(&env, "ALTER SYSTEM SET synchronous_commit = on") < 0 ||
	    th_sql(&env, "SELECT pg_reload_conf()::int") != 1)
		return -1;
	for (i = 0; i < 2; i++)
		if (th_sql_str(&env, tax_pseudonyms[i], sizeof(tax_pseudonyms[i]),
			       "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
			       " AND org_code = 'tax-office'",
			       p[i]->id) != 0)
			return -1;
	return th_sql_str(&env, welfare_pseudonym, sizeof(welfare_pseudonym),
			  "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
			  " AND org_code = 'city-welfare'",
			  alice.id);
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

/* --- the clients --- */

enum kind { CATALOGUE, ABOUT, PERSON, QUERY, REPORT, KINDS };
static const char *const kind_names[KINDS] = {"catalogue", "about", "person log", "gateway query",
					      "report"};

struct tally {
	long ok, refused, unexpected;
	char first_unexpected[300];
};

static atomic_bool stop;
static atomic_int next_batch;
/* Each report batch's status: 0 not sent or no answer, else the HTTP status. */
static long batch_status[MAX_BATCH];

static char *
report_body(int batch)
{
	return th_report_body("8fa2", batch, EVENTS, tax_pseudonyms[0], tax_pseudonyms[1]);
}

static int
gateway(const char *org, const char *path, const char *body, struct th_resp *r)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {"POST", path, h, body, strlen(body), NULL, NULL, true};

	th_org_cert(&env, org, &rq);
	return th_request(&env, &rq, r);
}

/* One request of the kind; *batch is the report batch it sent, or -1. */
static int
one_request(enum kind k, struct th_resp *r, int *batch)
{
	char body[1024], *b;
	int rc;

	*batch = -1;
	switch (k) {
	case CATALOGUE: return th_http(&env, "GET", "/api/v1/access/catalogue", NULL, NULL, 0, r);
	case ABOUT: return th_http(&env, "GET", "/api/v1/about", NULL, NULL, 0, r);
	case PERSON: return th_person_http(&env, &alice, "GET", "/api/v1/me/access-log", NULL, r);
	case QUERY:
		snprintf(body, sizeof(body),
			 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
			 "\"welfare.eligibility\",\"legal_ref\":\"MNA-T2-21\",\"officer\":"
			 "\"officer-17\",\"officer_role\":\"caseworker\",\"actor_kind\":\"human\","
			 "\"case_ref\":\"C-1\",\"reply_key\":\"%s\"}",
			 welfare_pseudonym, th_reply_key());
		return gateway("city-welfare", "/gw/v1/queries", body, r);
	case REPORT:
		if ((*batch = atomic_fetch_add(&next_batch, 1)) >= MAX_BATCH) {
			*batch = -1;
			return th_http(&env, "GET", "/api/v1/about", NULL, NULL, 0, r);
		}
		b = report_body(*batch);
		rc = gateway("tax-office", "/gw/v1/access-reports", b, r);
		free(b);
		return rc;
	default: return -1;
	}
}

/* A 2xx; or 503 saying the database, the record or a data holder is unavailable. */
static bool
acceptable(const struct th_resp *r, bool *refused)
{
	char type[128];

	*refused = false;
	if (r->status / 100 == 2)
		return true;
	th_problem_type(r, type, sizeof(type));
	*refused =
	    r->status == 503 && (strcmp(type, "urn:mado:problem:database-unavailable") == 0 ||
				 strcmp(type, "urn:mado:problem:access-record-failed") == 0 ||
				 strcmp(type, "urn:mado:problem:holder-unavailable") == 0);
	return *refused;
}

struct client {
	enum kind kind;
	struct tally tally;
};

static void *
client(void *arg)
{
	struct client *c = arg;
	struct th_resp r;
	bool refused;
	int batch, rc;

	while (!atomic_load(&stop)) {
		rc = one_request(c->kind, &r, &batch);
		if (batch >= 0)
			batch_status[batch] = rc == 0 ? r.status : 0;
		if (rc == 0 && acceptable(&r, &refused)) {
			if (refused)
				c->tally.refused++;
			else
				c->tally.ok++;
		} else if (c->tally.unexpected++ == 0) {
			snprintf(c->tally.first_unexpected, sizeof(c->tally.first_unexpected), "%s",
				 rc == 0 ? r.body : "(no answer)");
			c->tally.first_unexpected[strcspn(c->tally.first_unexpected, "\n")] = '\0';
			if (rc == 0)
				snprintf(c->tally.first_unexpected +
					     strlen(c->tally.first_unexpected),
					 sizeof(c->tally.first_unexpected) -
					     strlen(c->tally.first_unexpected),
					 " [%ld]", r.status);
		}
		th_resp_free(&r);
	}
	return NULL;
}

/* Every kind of request answers 2xx again; seconds it took, or -1. */
static double
recovered_after(double since)
{
	struct th_resp r;
	bool all;
	int k, batch;

	do {
		all = true;
		for (k = 0; k < KINDS && all; k++) {
			all = one_request((enum kind)k, &r, &batch) == 0 && r.status / 100 == 2;
			if (batch >= 0)
				batch_status[batch] = r.status;
			th_resp_free(&r);
		}
		if (all)
			return now_s() - since;
		sleep_s(0.1);
	} while (now_s() - since < RECOVERY_S);
	return -1;
}

/* Stops and starts PostgreSQL by each mode; NULL, or what went wrong. */
static const char *
outages(char *why, size_t len)
{
	static const char *const modes[] = {"fast", "immediate"};
	double took;
	size_t m;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		sleep_s(1.0);
		if (th_pg_stop_mode(&env, modes[m]) != 0)
			snprintf(why, len, "stop -m %s failed", modes[m]);
		else if (sleep_s(2.0), !th_mado_running(&env))
			snprintf(why, len, "mado exited while PostgreSQL was down (-m %s)",
				 modes[m]);
		else if (th_pg_start(&env) != 0)
			snprintf(why, len, "PostgreSQL did not start after -m %s", modes[m]);
		else if ((took = recovered_after(now_s())) < 0)
			snprintf(why, len, "stop -m %s: not recovered within %d s", modes[m],
				 RECOVERY_S);
		else {
			print_message("stop -m %s: every kind of request answered 2xx again %.2f s "
				      "after PostgreSQL was up\n",
				      modes[m], took);
			continue;
		}
		return why;
	}
	return NULL;
}

static void
test_stopped_under_load(void **state)
{
	struct client clients[2 * KINDS];
	pthread_t th[2 * KINDS];
	long refused = 0, before;
	const char *failed;
	char why[160];
	int i, n;

	(void)state;
	atomic_store(&stop, false);
	for (i = 0; i < 2 * KINDS; i++) {
		memset(&clients[i], 0, sizeof(clients[i]));
		clients[i].kind = (enum kind)(i % KINDS);
		assert_int_equal(pthread_create(&th[i], NULL, client, &clients[i]), 0);
	}
	failed = outages(why, sizeof(why));
	if (failed == NULL)
		sleep_s(1.0);
	/* The clients stop before any failure is reported: teardown must not pull the
	   servers from under running threads. */
	atomic_store(&stop, true);
	for (i = 0; i < 2 * KINDS; i++)
		pthread_join(th[i], NULL);
	if (failed != NULL)
		fail_msg("%s", failed);
	assert_true(th_mado_running(&env));

	for (i = 0; i < 2 * KINDS; i++) {
		const struct tally *y = &clients[i].tally;

		print_message("%-13s %5ld 2xx, %4ld 503, %ld other\n", kind_names[clients[i].kind],
			      y->ok, y->refused, y->unexpected);
		if (y->unexpected > 0)
			fail_msg("%s: %ld answers neither 2xx nor a 503 problem, first: %s",
				 kind_names[clients[i].kind], y->unexpected, y->first_unexpected);
		assert_true(y->ok > 0);
		refused += y->refused;
	}
	/* The outages were seen. */
	assert_true(refused > 0);

	/* Nothing acknowledged lost; nothing half-written. */
	n = atomic_load(&next_batch);
	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (i = 0; i < n; i++) {
		before = th_sql(&env,
				"SELECT count(*) FROM portal.access_events WHERE org_code ="
				" 'tax-office' AND event_id::text LIKE"
				" '00000000-0000-4000-8fa2-%08d%%'",
				i);
		if (batch_status[i] / 100 == 2 && before != EVENTS)
			fail_msg("report batch %d was answered %ld but has %ld of %d events", i,
				 batch_status[i], before, EVENTS);
		if (before != 0 && before != EVENTS)
			fail_msg("report batch %d is half-written: %ld of %d events", i, before,
				 EVENTS);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stopped_under_load),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
