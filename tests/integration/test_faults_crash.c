/*
 * mado killed with SIGKILL in the middle of a stream of access reports. Several agency
 * systems report batches with unique event ids over the gateway; mado dies without any
 * shutdown; it is started again on the same ports and database and every batch that did
 * not get a 2xx is sent again (the event ids make that safe). A batch answered 2xx is in
 * the log exactly once, and no batch is ever half there: all its events or none.
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

#define ROUNDS  3
#define THREADS 4
#define BATCHES 16  /* per thread and round; the kill comes long before the last */
#define EVENTS  100 /* per batch */
#define KILL_AT 10  /* batches answered 2xx in a round before the kill */

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};
static char pseudonyms[2][64];
static const char jsonct[] = "Content-Type: application/json";

struct batch {
	long status; /* 0: no answer (the connection failed or broke) */
	char *body;
};
static struct batch batches[THREADS][BATCHES];
static atomic_int acked;

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};
	const struct th_person *p[2] = {&alice, &bob};
	int i;

	*state = &env;
	if (th_setup_people(&env, people, false) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (th_sql_str(&env, pseudonyms[i], sizeof(pseudonyms[i]),
			       "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
			       " AND org_code = 'tax-office'",
			       p[i]->id) != 0)
			return -1;
	return 0;
}

/* Event ids 00000000-0000-4000-8fa1-RRTTBBBBEEEE: round, thread, batch, event. */
#define ID_PREFIX "00000000-0000-4000-8fa1-"

static char *
batch_body(int round, int t, int b)
{
	size_t cap = (size_t)EVENTS * 400 + 64, len = 0;
	char *s = malloc(cap), when[32];
	time_t now = time(NULL) - 3600;
	int i;

	assert_non_null(s);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	len += (size_t)snprintf(s + len, cap - len, "{\"events\":[");
	for (i = 0; i < EVENTS; i++)
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "%s{\"event_id\":\"" ID_PREFIX "%02d%02d%04d%04d\",\"person\":\"%s\","
		    "\"occurred_at\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
		    "\"tax.assessment\",\"legal_ref\":\"internal\",\"officer\":\"clerk-%d\","
		    "\"actor_kind\":\"human\"}",
		    i > 0 ? "," : "", round, t, b, i, pseudonyms[i % 2], when, t);
	snprintf(s + len, cap - len, "]}");
	return s;
}

/* One report as the tax office; the status, 0 when no answer came. */
static long
report(const char *body, struct th_resp *r)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {"POST", "/gw/v1/access-reports", h, body, strlen(body), NULL, NULL,
			    true};

	th_org_cert(&env, "tax-office", &rq);
	if (th_request(&env, &rq, r) != 0)
		return 0;
	return r->status;
}

static void *
client(void *arg)
{
	const int *t = arg;
	struct th_resp r;
	int b;

	for (b = 0; b < BATCHES; b++) {
		struct batch *x = &batches[*t][b];

		x->status = report(x->body, &r);
		th_resp_free(&r);
		if (x->status / 100 == 2)
			atomic_fetch_add(&acked, 1);
	}
	return NULL;
}

/* Events of one batch in the log, and their idempotency keys. */
static long
events_of(int round, int t, int b, const char *table)
{
	return th_sql(&env,
		      "SELECT count(*) FROM portal.%s WHERE org_code = 'tax-office'"
		      " AND event_id::text LIKE '" ID_PREFIX "%02d%02d%04d%%'",
		      table, round, t, b);
}

static int
json_int(const struct th_resp *r, const char *name)
{
	cJSON *j = th_json(r);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);
	int n = cJSON_IsNumber(v) ? v->valueint : -1;

	cJSON_Delete(j);
	return n;
}

static void
one_round(int round)
{
	static int ids[THREADS];
	pthread_t th[THREADS];
	int t, b, i, unanswered = 0, committed_unanswered = 0;
	long n, keys;

	for (t = 0; t < THREADS; t++)
		for (b = 0; b < BATCHES; b++) {
			batches[t][b].status = -1;
			batches[t][b].body = batch_body(round, t, b);
		}
	atomic_store(&acked, 0);
	for (t = 0; t < THREADS; t++) {
		ids[t] = t;
		assert_int_equal(pthread_create(&th[t], NULL, client, &ids[t]), 0);
	}
	/* Mid-stream: every client has more to send, most have a batch in flight. */
	for (i = 0; i < 6000 && atomic_load(&acked) < KILL_AT; i++) {
		struct timespec ts = {0, 10000000L};

		nanosleep(&ts, NULL);
	}
	assert_true(atomic_load(&acked) >= KILL_AT);
	assert_int_equal(th_mado_kill(&env), 0);
	for (t = 0; t < THREADS; t++)
		pthread_join(th[t], NULL);
	/* A statement running when mado died still ends (and commits) in PostgreSQL; its
	   backend goes once it finds no one to answer. Then the log holds still. */
	for (i = 0; i < 200 && th_sql(&env, "SELECT count(*) FROM pg_stat_activity"
					    " WHERE usename = 'mado_app'") != 0;
	     i++) {
		struct timespec ts = {0, 50000000L};

		nanosleep(&ts, NULL);
	}
	assert_int_equal(th_sql(&env, "SELECT count(*) FROM pg_stat_activity"
				      " WHERE usename = 'mado_app'"),
			 0);

	/* Before any retry: a batch is all there or not there at all, and every batch
	   answered 2xx is all there. */
	for (t = 0; t < THREADS; t++)
		for (b = 0; b < BATCHES; b++) {
			long st = batches[t][b].status;

			n = events_of(round, t, b, "access_events");
			keys = events_of(round, t, b, "access_event_keys");
			assert_int_equal(events_of(round, t, b, "access_events"), n);
			if (st != 0 && st / 100 != 2)
				fail_msg("round %d batch %d/%d: answered %ld", round, t, b, st);
			if ((n != 0 && n != EVENTS) || keys != n)
				fail_msg("round %d batch %d/%d half-written: %ld events, %ld keys",
					 round, t, b, n, keys);
			if (st / 100 == 2 && n != EVENTS)
				fail_msg("round %d batch %d/%d answered %ld but has %ld events",
					 round, t, b, st, n);
			if (st == 0) {
				unanswered++;
				committed_unanswered += n == EVENTS;
			}
		}
	print_message("round %d: %d batches answered before the kill, %d not (%d of them "
		      "written all the same)\n",
		      round, THREADS * BATCHES - unanswered, unanswered, committed_unanswered);
	assert_true(unanswered > 0);

	/* The same mado, on the same ports and database; every unanswered batch again. */
	assert_int_equal(th_mado_start(&env), 0);
	for (t = 0; t < THREADS; t++)
		for (b = 0; b < BATCHES; b++) {
			struct th_resp r;
			long st;

			if (batches[t][b].status / 100 == 2)
				continue;
			n = events_of(round, t, b, "access_events");
			st = report(batches[t][b].body, &r);
			/* All new (201) or all known (200): never a part of it. */
			if (!(n == 0 && st == 201 && json_int(&r, "written") == EVENTS) &&
			    !(n == EVENTS && st == 200 && json_int(&r, "duplicates") == EVENTS))
				fail_msg("round %d batch %d/%d (%ld events before) sent again: "
					 "%ld %.200s",
					 round, t, b, n, st, r.body);
			th_resp_free(&r);
		}

	/* Every event exactly once. */
	for (t = 0; t < THREADS; t++)
		for (b = 0; b < BATCHES; b++) {
			assert_int_equal(events_of(round, t, b, "access_events"), EVENTS);
			free(batches[t][b].body);
			batches[t][b].body = NULL;
		}
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM (SELECT event_id FROM portal.access_events"
				" WHERE event_id::text LIKE '" ID_PREFIX "%02d%%'"
				" GROUP BY org_code, event_id HAVING count(*) > 1) d",
				round),
			 0);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.access_events WHERE event_id::text"
				" LIKE '" ID_PREFIX "%02d%%'",
				round),
			 THREADS * BATCHES * EVENTS);
}

static void
test_kill_during_reports(void **state)
{
	int round;

	(void)state;
	for (round = 0; round < ROUNDS; round++)
		one_round(round);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kill_during_reports),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
