/*
 * Independent oversight against a real mado, PostgreSQL and TLS: the supervisor's staff log
 * in with staff certificates bound to the supervisor (role supervisor) and reach only the
 * supervisor's pages, never a desk's (nor a desk's staff the supervisor's); the anomaly
 * scan flags an official reading 200 people in an hour and one reading at night, and not
 * the demo traffic's normal pattern; a case goes to the organisation, which answers over
 * its gateway, and is closed; the supervisor's read of a dispute is in the person's log,
 * and the finding of a dispute it took over reaches the person; public statistics never
 * show a count below the threshold.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};

#define scalar(...) th_sql(&env, __VA_ARGS__)

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};

	*state = &env;
	/* The scan runs when the test asks; the rollup counts rows up to now. */
	if (th_setup_people(&env, people, true) != 0 || th_mado_stop(&env) != 0 ||
	    th_conf_append(&env, "oversight_scan_s = 0") != 0 ||
	    th_conf_append(&env, "oversight_lag_s = 0") != 0)
		return -1;
	return th_mado_start(&env);
}

/* A staff member's browser: the staff session's cookie and token. */
struct staff {
	char cookie[128], csrf[64], ref[24];
};

static const char *
member(const struct th_resp *r, const char *name)
{
	static char buf[4][256];
	static int n;
	char *b = buf[n++ % 4];
	cJSON *j = th_json(r);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	snprintf(b, 256, "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(j);
	return b;
}

/* The cookie named name=... that r sets, into out (the Set-Cookie headers one by one). */
static bool
set_cookie(const struct th_resp *r, const char *name, char *out, size_t len)
{
	const char *line;
	size_t n = strlen(name);

	for (line = r->headers; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		while (*line == '\n' || *line == '\r')
			line++;
		if (strncasecmp(line, "Set-Cookie: ", 12) == 0 &&
		    strncmp(line + 12, name, n) == 0 && line[12 + n] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(line + 12, ";\r\n"), line + 12);
			return true;
		}
	}
	return false;
}

/* Logs in on the staff login (mTLS listener) with the organisation CA's certificate
   cert_name; returns the status. */
static long
staff_login_with(const char *cert_name, struct staff *s, struct th_resp *r)
{
	char origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/staff/v1/auth/tls", h, "", 0, NULL, NULL, true};

	memset(s, 0, sizeof(*s));
	th_tls_origin(&env, origin, sizeof(origin));
	th_org_cert(&env, cert_name, &rq);
	assert_int_equal(th_request(&env, &rq, r), 0);
	if (r->status == 200) {
		assert_true(set_cookie(r, "__Host-staff", s->cookie, sizeof(s->cookie)));
		snprintf(s->csrf, sizeof(s->csrf), "%s", member(r, "csrf_token"));
		snprintf(s->ref, sizeof(s->ref), "%s", member(r, "staff"));
	}
	return r->status;
}

static void
staff_login(const char *cert_name, struct staff *s)
{
	struct th_resp r;

	assert_int_equal(staff_login_with(cert_name, s, &r), 200);
	th_resp_free(&r);
}

/* A request of the staff member's browser (JSON bodies). */
static long
as_staff(const struct staff *s, const char *method, const char *path, const char *body,
	 struct th_resp *r)
{
	char cookie[160], csrf[96], origin[96];
	const char *h[] = {cookie, csrf, origin, "Content-Type: application/json", NULL};

	snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", s->csrf);
	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	assert_int_equal(th_http(&env, method, path, h, body, body != NULL ? strlen(body) : 0, r),
			 0);
	return r->status;
}

static long
status_of(const struct staff *s, const char *method, const char *path, const char *body)
{
	struct th_resp r;
	long st = as_staff(s, method, path, body, &r);

	th_resp_free(&r);
	return st;
}

/* The supervisor's staff log in as supervisor of data-commission; they cannot start a desk
   visit; a desk clerk is refused the supervisor's pages; a supervisor role is bound only
   to an organisation of kind supervisor, and a desk role never to the supervisor. */
static void
test_supervisor_login(void **state)
{
	struct staff sup, clerk;
	struct th_resp r;
	char line[512];

	(void)state;
	assert_int_equal(staff_login_with("supervisor-a", &sup, &r), 200);
	assert_string_equal(member(&r, "role"), "supervisor");
	assert_string_equal(member(&r, "organisation"), "data-commission");
	th_resp_free(&r);
	assert_int_equal(as_staff(&sup, "GET", "/staff/v1/me", NULL, &r), 200);
	assert_string_equal(member(&r, "role"), "supervisor");
	th_resp_free(&r);
	assert_int_equal(as_staff(&sup, "POST", "/staff/v1/visits", NULL, &r), 403);
	assert_string_equal(th_type(&r), "forbidden");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.desk_visits"), 0);

	staff_login("desk-clerk", &clerk);
	assert_int_equal(status_of(&clerk, "GET", "/staff/v1/me", NULL), 200);

	snprintf(line, sizeof(line),
		 "staff-bind --org city-desk --role supervisor --cert '%s/cards/unbound.crt'",
		 env.org_dir);
	assert_int_not_equal(th_mado_cmd(&env, line, NULL), 0);
	snprintf(line, sizeof(line),
		 "staff-bind --org data-commission --role clerk --cert '%s/cards/unbound.crt'",
		 env.org_dir);
	assert_int_not_equal(th_mado_cmd(&env, line, NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff WHERE role = 'supervisor'"), 2);
	assert_int_equal(status_of(&sup, "POST", "/staff/v1/auth/logout", NULL), 204);
	assert_int_equal(status_of(&sup, "GET", "/staff/v1/me", NULL), 401);
}

/* A request of an organisation's system over mTLS. */
static long
gw(const char *org, const char *method, const char *path, const char *body, struct th_resp *r)
{
	const char *h[] = {"Content-Type: application/json", NULL};
	struct th_req rq = {method, path, h,   body, body != NULL ? strlen(body) : 0,
			    NULL,   NULL, true};

	th_org_cert(&env, org, &rq);
	assert_int_equal(th_request(&env, &rq, r), 0);
	return r->status;
}

/* The demo's normal traffic as scripts/traffic plays it, for the eight days before now:
   one query every 4 seconds, from the same agencies with the same items, purposes and
   bases (one of them refused for want of a basis), one in twelve a sealed police request,
   by one of 40 officials of each agency in the day (06:00 to 22:00, Japan time) and by
   the agency's system at night, with a random case reference. */
static const char NORMAL_TRAFFIC[] =
    "WITH ppl AS (SELECT array_agg(id) AS a FROM portal.people),"
    " spec (i, org, items, purpose, ref, role, denied, sealed) AS (VALUES"
    " (0, 'city-welfare', ARRAY['tax.income', 'resident.household'], 'welfare.eligibility',"
    "  'MNA-T2-21', 'caseworker', false, false),"
    " (1, 'pension-service', ARRAY['resident.address', 'tax.income'], 'pension.eligibility',"
    "  'MNA-T2-48', 'benefits officer', false, false),"
    " (2, 'health-insurer', ARRAY['tax.income'], 'health.eligibility', 'MNA-T2-30',"
    "  'premium assessor', false, false),"
    " (3, 'tax-office', ARRAY['pension.benefit'], 'tax.assessment', 'MNA-T2-72',"
    "  'tax inspector', false, false),"
    " (4, 'residents-registry', ARRAY['resident.name'], 'registry.verification', 'BRA-30-9',"
    "  'registrar', false, false),"
    " (5, 'tax-office', ARRAY['health.claims'], 'tax.assessment', 'MNA-T2-72',"
    "  'tax inspector', true, false),"
    " (6, 'police', ARRAY['resident.address'], 'law-enforcement.investigation', 'MNA-19-15',"
    "  'investigator', false, true)),"
    " ev AS (SELECT t, CASE WHEN random() < 1.0 / 12 THEN 6 ELSE floor(random() * 6)::int END"
    "  AS i, extract(hour FROM t AT TIME ZONE 'Asia/Tokyo') BETWEEN 6 AND 21 AS day"
    "  FROM generate_series(now() - interval '8 days', now() - interval '1 minute',"
    "  interval '4 seconds') t)"
    " SELECT count(*) FROM ppl, portal.record_access(ARRAY("
    "  SELECT ROW(gen_random_uuid(), ppl.a[1 + floor(random() * cardinality(ppl.a))::int],"
    "  ev.t, s.org, NULL, s.org || CASE WHEN ev.day"
    "  THEN '-' || (1 + floor(random() * 40))::int ELSE '-system' END, s.role,"
    "  CASE WHEN ev.day THEN 'human' ELSE 'machine' END, 'gateway', s.purpose, s.ref,"
    "  'C-' || floor(random() * 32768)::int, s.items, NULL,"
    "  CASE WHEN s.denied THEN 'denied' ELSE 'served' END,"
    "  CASE WHEN s.denied THEN 'no-legal-basis' END,"
    "  CASE WHEN s.sealed THEN (ev.t + interval '30 days')::date END,"
    "  CASE WHEN s.sealed THEN 'Tokyo District Court' END)::portal.access_record"
    "  FROM ev JOIN spec s ON s.i = ev.i))";

/* The anomaly scan on the supervisor's demand: the number of new cases. */
static int
scan_now(const struct staff *s)
{
	struct th_resp r;
	cJSON *j;
	int found;

	assert_int_equal(as_staff(s, "POST", "/staff/v1/oversight/scan", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	found = cJSON_GetObjectItemCaseSensitive(j, "found")->valueint;
	cJSON_Delete(j);
	th_resp_free(&r);
	return found;
}

/* Accesses one official of org reports (as the org's own system does): n reads of the
   item under purpose and basis, one second apart from `at` (an SQL expression), of n
   different people (their pseudonyms for org), or all of the first person when
   one_person. */
static void
report_reads(const char *org, const char *officer, const char *item, const char *purpose,
	     const char *basis, int n, const char *at, bool one_person)
{
	static char body[160000];
	struct th_resp r;

	assert_int_equal(
	    th_sql_str(&env, body, sizeof(body),
		       "SELECT json_build_object('events', json_agg(json_build_object("
		       "'event_id', gen_random_uuid(), 'person', p.pseudonym,"
		       " 'occurred_at', to_char((%s + make_interval(secs => k)) AT TIME ZONE"
		       " 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), 'items', ARRAY['%s'],"
		       " 'purpose', '%s', 'legal_ref', '%s', 'officer', '%s',"
		       " 'actor_kind', 'human')))::text"
		       " FROM generate_series(0, %d) k JOIN (SELECT x.pseudonym,"
		       " row_number() OVER (ORDER BY x.person_id) - 1 AS j"
		       " FROM portal.pseudonyms x WHERE x.org_code = '%s') p ON p.j = k %% %d",
		       at, item, purpose, basis, officer, n - 1, org, one_person ? 1 : n),
	    0);
	assert_int_equal(gw(org, "POST", "/gw/v1/access-reports", body, &r), 201);
	th_resp_free(&r);
}

/* The demo's normal traffic raises nothing; then an official reading 200 different
   people within an hour and one reading at night each raise a case, and nothing else. */
static void
test_anomalies(void **state)
{
	struct staff sup;
	char kinds[512];

	(void)state;
	staff_login("supervisor-a", &sup);
	assert_true(scalar("%s", NORMAL_TRAFFIC) > 170000);
	assert_int_equal(scan_now(&sup), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomalies"), 0);
	/* The aggregates hold every row of the log. */
	assert_int_equal(scalar("SELECT (SELECT sum(n) FROM portal.oversight_daily) -"
				" (SELECT count(*) FROM portal.access_events)"),
			 0);

	/* 210 more residents; one pension official opens 200 of them within the hour. */
	assert_int_equal(scalar("INSERT INTO portal.people SELECT FROM generate_series(1, 210)"),
			 210);
	report_reads("pension-service", "pension-service-77", "pension.record",
		     "pension.eligibility", "Employees'' Pension Insurance Act art. 28", 200,
		     "date_trunc('hour', now() - interval '4 minutes')", false);
	/* A health insurer's official reads at 02:00 last night, Japan time, six times. */
	report_reads("health-insurer", "health-insurer-9", "health.claims", "health.eligibility",
		     "Health Insurance Act art. 150", 6,
		     "(((now() AT TIME ZONE 'Asia/Tokyo')::date - 1) + time '02:00')"
		     " AT TIME ZONE 'Asia/Tokyo'",
		     true);
	assert_int_equal(scan_now(&sup), 2);
	assert_int_equal(
	    th_sql_str(&env, kinds, sizeof(kinds),
		       "SELECT string_agg(kind || ':' || org_code || ':' || subject, ' '"
		       " ORDER BY kind) FROM portal.anomalies"),
	    0);
	assert_string_equal(kinds, "many-people:pension-service:pension-service-77 "
				   "night:health-insurer:health-insurer-9");
	assert_true(scalar("SELECT measure FROM portal.anomalies WHERE kind = 'many-people'") >=
		    200);
	/* Found once: scanning again finds nothing new. */
	assert_int_equal(scan_now(&sup), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_supervisor_login),
	    cmocka_unit_test(test_anomalies),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
