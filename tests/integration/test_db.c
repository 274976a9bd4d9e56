/*
 * The database layer against a real PostgreSQL: prepared statements with parameters, the
 * transaction helper (commit, rollback, retry), error classes, the wait limit, and a
 * connection the server killed being replaced at the next checkout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "harness.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/util.h"

static struct th_env env;
static char conninfo[512];

static struct mado_db_stmt Q_INSERT =
    MADO_DB_STMT("test_insert", "INSERT INTO public.items (id, label) VALUES ($1, $2)", 2);
static struct mado_db_stmt Q_COUNT =
    MADO_DB_STMT("test_count", "SELECT count(*) FROM public.items WHERE label = $1", 1);
static struct mado_db_stmt Q_PID = MADO_DB_STMT("test_pid", "SELECT pg_backend_pid()", 0);

static PGconn *
admin(void)
{
	PGconn *c = PQconnectdb(conninfo);

	assert_int_equal(PQstatus(c), CONNECTION_OK);
	return c;
}

static void
admin_exec(const char *sql)
{
	PGconn *c = admin();
	PGresult *r = PQexec(c, sql);

	assert_true(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	PQclear(r);
	PQfinish(c);
}

static int
setup(void **state)
{
	struct mado_db_pool_config pc;

	(void)state;
	if (th_setup(&env, NULL) != 0)
		return -1;
	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 dbname=mado user=postgres",
		 env.pgdir);
	admin_exec("CREATE TABLE public.items (id int PRIMARY KEY, label text NOT NULL)");
	pc.conninfo = conninfo;
	pc.size = 2;
	pc.wait_ms = 300;
	pc.connect_timeout = 2;
	return mado_db_pool_init(&pc) == MADO_OK ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	mado_db_pool_shutdown();
	th_teardown(&env);
	return 0;
}

static long
count(const char *label)
{
	const char *p[1] = {label};
	struct mado_db *db;
	PGresult *r;
	long n;

	assert_int_equal(mado_db_acquire(&db), MADO_OK);
	assert_int_equal(mado_db_exec(db, &Q_COUNT, p, &r), MADO_OK);
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	mado_db_release(db);
	return n;
}

static void
test_parameters_are_data(void **state)
{
	/* A value that would be SQL if it were pasted into the text. */
	const char *p[2] = {"1", "x'); DROP TABLE public.items; --"};
	struct mado_db *db;
	PGresult *r;

	(void)state;
	assert_int_equal(mado_db_acquire(&db), MADO_OK);
	assert_int_equal(mado_db_exec(db, &Q_INSERT, p, &r), MADO_OK);
	PQclear(r);
	/* The same id again: an integrity violation is a conflict, and the result is gone. */
	assert_int_equal(mado_db_exec(db, &Q_INSERT, p, &r), MADO_E_CONFLICT);
	assert_null(r);
	assert_string_equal(mado_db_sqlstate(db), "23505");
	mado_db_release(db);
	assert_int_equal(count(p[1]), 1);
}

/* A person's read whose first run on a connection fails (here a conflict) leaves its
   statement prepared there: the next run must not prepare it again. */
static struct mado_db_stmt Q_AS_PERSON = MADO_DB_STMT_AS_PERSON(
    "test_as_person",
    "INSERT INTO public.items (id, label) SELECT $2::int, current_setting('mado.person_id')"
    " WHERE $1::text IS NOT NULL RETURNING label",
    2);

static void
test_person_read_after_failure(void **state)
{
	const char *taken[2] = {"person-a", "1"}, *fresh[2] = {"person-b", "2"};
	struct mado_db *db;
	PGresult *r;

	(void)state;
	assert_int_equal(count("x'); DROP TABLE public.items; --"), 1); /* id 1 is taken */
	assert_int_equal(mado_db_acquire(&db), MADO_OK);
	assert_int_equal(mado_db_exec(db, &Q_AS_PERSON, taken, &r), MADO_E_CONFLICT);
	assert_null(r);
	assert_int_equal(mado_db_exec(db, &Q_AS_PERSON, fresh, &r), MADO_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "person-b");
	PQclear(r);
	/* Its transaction was its own, and committed. */
	assert_int_equal(mado_db_exec(db, &Q_COUNT, (const char *[]){"person-b"}, &r), MADO_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "1");
	PQclear(r);
	mado_db_release(db);
}

struct tx_arg {
	const char *id, *label;
	int calls;
	bool fail, serialization_once;
};

static struct mado_db_stmt Q_SERIALIZE = MADO_DB_STMT(
    "test_serialize",
    "DO $$ BEGIN RAISE EXCEPTION 'simulated' USING ERRCODE = 'serialization_failure'; END $$", 0);

static int
tx_body(struct mado_db *db, void *arg)
{
	struct tx_arg *a = arg;
	const char *p[2] = {a->id, a->label};
	PGresult *r;
	int rc;

	a->calls++;
	if ((rc = mado_db_exec(db, &Q_INSERT, p, &r)) != MADO_OK)
		return rc;
	PQclear(r);
	if (a->serialization_once && a->calls == 1) {
		rc = mado_db_exec(db, &Q_SERIALIZE, NULL, &r);
		return rc;
	}
	return a->fail ? MADO_E_VALIDATION : MADO_OK;
}

static void
test_transactions(void **state)
{
	struct tx_arg commit = {"10", "committed", 0, false, false};
	struct tx_arg rollback = {"11", "rolled-back", 0, true, false};
	struct tx_arg retry = {"12", "retried", 0, false, true};
	struct mado_db *db;

	(void)state;
	assert_int_equal(mado_db_acquire(&db), MADO_OK);
	assert_int_equal(mado_db_tx(db, tx_body, &commit), MADO_OK);
	assert_int_equal(mado_db_tx(db, tx_body, &rollback), MADO_E_VALIDATION);
	assert_int_equal(rollback.calls, 1); /* the caller's own error is not retried */
	assert_int_equal(mado_db_tx(db, tx_body, &retry), MADO_OK);
	assert_int_equal(retry.calls, 2); /* a serialization failure is */
	mado_db_release(db);
	assert_int_equal(count("committed"), 1);
	assert_int_equal(count("rolled-back"), 0);
	assert_int_equal(count("retried"), 1);
}

static void
test_wait_limit(void **state)
{
	struct mado_db *a, *b, *c;
	struct mado_db_stats st;
	int64_t t0;

	(void)state;
	assert_int_equal(mado_db_acquire(&a), MADO_OK);
	assert_int_equal(mado_db_acquire(&b), MADO_OK);
	mado_db_pool_stats(&st);
	assert_int_equal(st.in_use, 2);
	t0 = mado_now_ms();
	assert_int_equal(mado_db_acquire(&c), MADO_E_DB_UNAVAILABLE);
	assert_null(c);
	assert_true(mado_now_ms() - t0 >= 250); /* waited for the limit (300 ms) ... */
	assert_true(mado_now_ms() - t0 < 2000); /* ... and no longer */
	mado_db_release(a);
	mado_db_release(b);
	mado_db_pool_stats(&st);
	assert_int_equal(st.in_use, 0);
	assert_true(st.timeouts >= 1);
}

/* Waiters are served in the order they came, not in whatever order they wake up. */
static pthread_mutex_t order_mu = PTHREAD_MUTEX_INITIALIZER;
static int order[3], served;

static void *
waiter(void *arg)
{
	struct mado_db *db;
	struct timespec pause = {0, 20 * 1000000L};

	if (mado_db_acquire(&db) != MADO_OK)
		return NULL;
	pthread_mutex_lock(&order_mu);
	order[served++] = (int)(intptr_t)arg;
	pthread_mutex_unlock(&order_mu);
	nanosleep(&pause, NULL);
	mado_db_release(db);
	return NULL;
}

static void
wait_for_waiters(int n)
{
	struct mado_db_stats st;
	struct timespec pause = {0, 1000000L};
	int i;

	for (i = 0; i < 200; i++) {
		mado_db_pool_stats(&st);
		if (st.waiting == n)
			return;
		nanosleep(&pause, NULL);
	}
	fail_msg("%d waiters never queued", n);
}

static void
test_waiters_served_in_order(void **state)
{
	struct mado_db *a, *b;
	pthread_t t[3];
	intptr_t i;

	(void)state;
	served = 0;
	assert_int_equal(mado_db_acquire(&a), MADO_OK);
	assert_int_equal(mado_db_acquire(&b), MADO_OK);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pthread_create(&t[i], NULL, waiter, (void *)i), 0);
		wait_for_waiters((int)i + 1);
	}
	mado_db_release(a); /* one connection passes from waiter to waiter */
	for (i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(served, 3);
	assert_int_equal(order[0], 0);
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 2);
	mado_db_release(b);
}

static void
test_killed_connection_replaced(void **state)
{
	struct mado_db_stats before, after;
	char sql[128];
	struct mado_db *db;
	PGresult *r;
	int i;

	(void)state;
	mado_db_pool_stats(&before);
	/* Kill every pooled backend from outside, as a failover or an operator would. */
	for (i = 0; i < 2; i++) {
		assert_int_equal(mado_db_acquire(&db), MADO_OK);
		assert_int_equal(mado_db_exec(db, &Q_PID, NULL, &r), MADO_OK);
		snprintf(sql, sizeof(sql), "SELECT pg_terminate_backend(%s, 5000)",
			 PQgetvalue(r, 0, 0));
		PQclear(r);
		admin_exec(sql);
		mado_db_release(db);
	}
	/* The next checkouts notice and reconnect: no error reaches the caller. */
	for (i = 0; i < 4; i++) {
		assert_int_equal(mado_db_acquire(&db), MADO_OK);
		assert_int_equal(mado_db_exec(db, &Q_PID, NULL, &r), MADO_OK);
		PQclear(r);
		mado_db_release(db);
	}
	mado_db_pool_stats(&after);
	assert_true(after.reconnects > before.reconnects);
}

static struct mado_db_stmt Q_SESSION = MADO_DB_STMT(
    "test_session",
    "SELECT current_setting('application_name') || ' ' || current_setting('transaction_read_only')",
    0);

/* The session mado_db_acquire_read gives: "application_name read_only" into buf. */
static void
read_session(char *buf, size_t len)
{
	struct mado_db *db;
	PGresult *r;

	assert_int_equal(mado_db_acquire_read(&db), MADO_OK);
	assert_int_equal(mado_db_exec(db, &Q_SESSION, NULL, &r), MADO_OK);
	snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	mado_db_release(db);
}

/* The read pool (db_read_url): without one the primary's pool serves stale-tolerant
   reads; with one they get its read-only sessions, which refuse a write; when it cannot
   connect they fall back to the primary, and it is not tried again at once. */
static void
test_read_pool(void **state)
{
	const char *p[2] = {"900", "from the read pool"};
	struct mado_db_pool_config pc = {.size = 1, .wait_ms = 300, .connect_timeout = 1};
	struct mado_db_stats st;
	struct mado_db *db;
	char got[64];
	PGresult *r;
	uint64_t failures;

	(void)state;
	assert_false(mado_db_read_pool_ready());
	read_session(got, sizeof(got));
	assert_string_equal(got, "mado off");

	pc.conninfo = conninfo;
	assert_int_equal(mado_db_read_pool_init(&pc), MADO_OK);
	read_session(got, sizeof(got));
	assert_string_equal(got, "mado-read on");
	assert_int_equal(mado_db_acquire_read(&db), MADO_OK);
	assert_int_equal(mado_db_exec(db, &Q_INSERT, p, &r), MADO_E_INTERNAL);
	assert_string_equal(mado_db_sqlstate(db), "25006"); /* read_only_sql_transaction */
	mado_db_release(db);
	assert_int_equal(count(p[1]), 0);
	mado_db_read_pool_shutdown();

	/* Nothing listens on port 1: refused at once. */
	pc.conninfo = "host=127.0.0.1 port=1 dbname=mado user=mado_app";
	assert_int_equal(mado_db_read_pool_init(&pc), MADO_OK);
	read_session(got, sizeof(got));
	assert_string_equal(got, "mado off");
	mado_db_read_pool_stats(&st);
	assert_int_equal(st.connect_failures, 1);
	failures = st.connect_failures;
	read_session(got, sizeof(got));
	assert_string_equal(got, "mado off");
	mado_db_read_pool_stats(&st);
	assert_int_equal(st.connect_failures, failures);
	mado_db_read_pool_shutdown();
	assert_false(mado_db_read_pool_ready());
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parameters_are_data),
	    cmocka_unit_test(test_person_read_after_failure),
	    cmocka_unit_test(test_transactions),
	    cmocka_unit_test(test_wait_limit),
	    cmocka_unit_test(test_waiters_served_in_order),
	    cmocka_unit_test(test_killed_connection_replaced),
	    cmocka_unit_test(test_read_pool),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
