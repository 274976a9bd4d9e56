/*
 * The card OCSP responder black-holed: a listener that takes every connection and never
 * answers. What needs a revocation answer fails closed with its problem type: a card
 * login, and a request of a session whose card re-check is due. Everything else goes on
 * as before, even while many such attempts are waiting: a public page that reads the
 * database, and an existing session's requests whose re-check is not due, answer 200
 * within their normal latency. The failure is cached briefly, so a flood of attempts
 * does not turn into a flood of connections to the responder. When the responder is back,
 * logins and re-checks pass again.
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

#define LOGIN_THREADS   8 /* as many as the pool has connections */
#define RECHECK_THREADS 4
#define LOAD_S          6.0
#define LATENCY_S       2.0  /* the median a request that needs no OCSP may take */
#define RECOVERY_S      60.0 /* a cached failure must have expired by then */

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"}, carol = {.card = "carol"};
static char origin_hdr[96];
static const char jsonct[] = "Content-Type: application/json";
static const char check_failed[] = "urn:mado:problem:revocation-check-failed";

static int
setup(void **state)
{
	*state = &env;
	/* Sessions re-check only when the test says so (by ageing a card's last check); the
	   login limits stay out of the way of many failed attempts with one card. */
	if (th_setup_access(&env, "card_recheck_s = 3600\nlogin_fail_max_card = 100000\n"
				  "login_fail_max_addr = 100000\n") != 0 ||
	    th_person_make(&env, &alice) != 0 || th_person_make(&env, &bob) != 0 ||
	    th_person_make(&env, &carol) != 0 || th_seed_demo(&env) != 0 ||
	    th_person_login(&env, &alice) != 0 || th_person_login(&env, &bob) != 0)
		return -1;
	snprintf(origin_hdr, sizeof(origin_hdr), "Origin: %s", env.origin);
	return 0;
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

/* A Web eID token from the card for nonce (mado-card), or NULL. */
static char *
token(const char *card, const char *nonce)
{
	return th_card_token(env.ca_dir, card, env.origin, nonce, NULL);
}

/* A whole Web eID login with card: challenge, token, login. 0 with the login's answer in
   r, -1 when a step before it failed (r then holds that step's answer). */
static int
webeid_login(const char *card, struct th_resp *r)
{
	char cookie[192] = "Cookie: ", v[256], nonce[64];
	const char *h[] = {origin_hdr, jsonct, NULL, NULL};
	const cJSON *n;
	cJSON *j;
	char *t;

	if (th_http(&env, "POST", "/api/v1/auth/challenge", h, "", 0, r) != 0 || r->status != 200)
		return -1;
	j = th_json(r);
	n = cJSON_GetObjectItemCaseSensitive(j, "nonce");
	snprintf(nonce, sizeof(nonce), "%s", cJSON_IsString(n) ? n->valuestring : "");
	cJSON_Delete(j);
	if (th_header(r, "Set-Cookie", v, sizeof(v)) == NULL || nonce[0] == '\0')
		return -1;
	snprintf(cookie + 8, sizeof(cookie) - 8, "%.*s", (int)strcspn(v, ";"), v);
	th_resp_free(r);
	if ((t = token(card, nonce)) == NULL)
		return -1;
	h[2] = cookie;
	if (th_http(&env, "POST", "/api/v1/auth/webeid", h, t, strlen(t), r) != 0) {
		free(t);
		return -1;
	}
	free(t);
	return 0;
}

static bool
is_problem(const struct th_resp *r, long status, const char *type)
{
	char got[128];

	return r->status == status && strcmp(th_problem_type(r, got, sizeof(got)), type) == 0;
}

/* Makes p's card due for its re-check at p's next request. */
static void
recheck_due(const struct th_person *p)
{
	assert_true(th_sql(&env,
			   "UPDATE portal.card_bindings SET checked_at = now() - interval '1 day'"
			   " WHERE person_id = '%s'",
			   p->id) >= 1);
}

/* --- the load: attempts that need the responder, in a loop --- */

struct attempts {
	bool login; /* else bob's session, whose re-check is due */
	long closed, other;
	char first_other[300];
};

static atomic_bool stop;

static void *
attempt_loop(void *arg)
{
	struct attempts *a = arg;
	struct th_resp r;
	int rc;

	while (!atomic_load(&stop)) {
		if (a->login)
			rc = webeid_login(carol.card, &r);
		else
			rc = th_person_http(&env, &bob, "GET", "/api/v1/me/session", NULL, &r);
		if (rc == 0 && is_problem(&r, 503, check_failed)) {
			a->closed++;
		} else if (a->other++ == 0) {
			snprintf(a->first_other, sizeof(a->first_other), "%ld %s", r.status,
				 r.body != NULL ? r.body : "(no answer)");
		}
		th_resp_free(&r);
	}
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Requests that need no revocation answer: 200, and their latencies. */
static void
sample(const char *what, bool person, const char *path, double *lat, int *n)
{
	struct th_resp r;
	int rc;

	rc = person ? th_person_http(&env, &alice, "GET", path, NULL, &r)
		    : th_http(&env, "GET", path, NULL, NULL, 0, &r);
	if (rc != 0 || r.status != 200)
		fail_msg("%s %s during the black hole: %ld %.200s", what, path, r.status, r.body);
	lat[(*n)++] = r.seconds;
	th_resp_free(&r);
}

static void
test_blackholed_responder(void **state)
{
	struct attempts att[LOGIN_THREADS + RECHECK_THREADS];
	pthread_t th[LOGIN_THREADS + RECHECK_THREADS];
	double pub[400], own[400], start, mp, mo;
	long closed = 0, accepted;
	int npub = 0, nown = 0, i;
	struct th_resp r;
	bool login_ok, recheck_ok;

	(void)state;
	assert_int_equal(th_ocsp_blackhole(&env), 0);
	recheck_due(&bob);

	/* One at a time first: each fails closed with its type and changes nothing. */
	assert_int_equal(webeid_login(carol.card, &r), 0);
	if (!is_problem(&r, 503, check_failed))
		fail_msg("login with the responder black-holed: %ld %s", r.status, r.body);
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", carol.id),
	    0);
	assert_int_equal(th_person_http(&env, &bob, "GET", "/api/v1/me/session", NULL, &r), 0);
	if (!is_problem(&r, 503, check_failed))
		fail_msg("re-check with the responder black-holed: %ld %s", r.status, r.body);
	th_resp_free(&r);
	sample("alice", true, "/api/v1/me/session", own, &nown);
	sample("public", false, "/api/v1/access/catalogue", pub, &npub);

	/* Then under a stream of such attempts. */
	atomic_store(&stop, false);
	for (i = 0; i < LOGIN_THREADS + RECHECK_THREADS; i++) {
		memset(&att[i], 0, sizeof(att[i]));
		att[i].login = i < LOGIN_THREADS;
		assert_int_equal(pthread_create(&th[i], NULL, attempt_loop, &att[i]), 0);
	}
	start = now_s();
	while (now_s() - start < LOAD_S && npub < 390 && nown < 390) {
		sample("public", false, "/api/v1/access/catalogue", pub, &npub);
		sample("alice", true, "/api/v1/me/access-log", own, &nown);
		sleep_s(0.1);
	}
	atomic_store(&stop, true);
	for (i = 0; i < LOGIN_THREADS + RECHECK_THREADS; i++)
		pthread_join(th[i], NULL);
	mp = median(pub, npub);
	mo = median(own, nown);
	accepted = th_ocsp_blackhole_accepted(&env);
	for (i = 0; i < LOGIN_THREADS + RECHECK_THREADS; i++) {
		if (att[i].other > 0)
			fail_msg("%s: %ld answers other than 503 %s, first: %s",
				 att[i].login ? "login" : "re-check", att[i].other, check_failed,
				 att[i].first_other);
		closed += att[i].closed;
	}
	print_message("%ld attempts failed closed, the black hole took %ld connections; "
		      "median latency: public %.3f s (%d), own session %.3f s (%d)\n",
		      closed, accepted, mp, npub, mo, nown);
	assert_true(mp < LATENCY_S);
	assert_true(mo < LATENCY_S);
	/* Failures are cached briefly: most attempts never reached the responder. */
	if (accepted * 2 >= closed)
		fail_msg("%ld failed attempts made %ld connections to the black-holed responder: "
			 "its failure is not cached",
			 closed, accepted);

	/* The responder back: logins and re-checks pass again once the cached failure
	   expires. */
	assert_int_equal(th_ocsp_start(&env, NULL), 0);
	start = now_s();
	do {
		sleep_s(0.5);
		login_ok = webeid_login(carol.card, &r) == 0 && r.status == 200;
		th_resp_free(&r);
		recheck_ok =
		    th_person_http(&env, &bob, "GET", "/api/v1/me/session", NULL, &r) == 0 &&
		    r.status == 200;
		th_resp_free(&r);
	} while (!(login_ok && recheck_ok) && now_s() - start < RECOVERY_S);
	print_message("logins and re-checks pass %.1f s after the responder is back\n",
		      now_s() - start);
	assert_true(login_ok);
	assert_true(recheck_ok);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_blackholed_responder),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
