/*
 * Independent oversight against a real mado, PostgreSQL and TLS: the supervisor's staff log
 * in with staff certificates bound to the supervisor (role supervisor) and reach only the
 * supervisor's pages, never a desk's (nor a desk's staff the supervisor's); the anomaly
 * scan flags an official reading 200 people in an hour and one reading at night, and not
 * the demo traffic's normal pattern (nor an official within their baseline), and flags a
 * refusal rate, an official far above their own baseline and a proxy acting for many; a case goes
 * to the organisation, which answers over its gateway, and is closed; the supervisor's read of a
 * dispute is in the person's log, and the finding of a dispute it took over reaches the person;
 * public statistics never show a count below the threshold.
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
	cJSON *j;

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
	/* The refusal names who was refused in the operational log (asvs LG-02). */
	assert_non_null(j = th_request_line(&env, &r));
	snprintf(line, sizeof(line), "staff:%s@data-commission", sup.ref);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "actor")->valuestring, line);
	cJSON_Delete(j);
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
   the agency's system at night, with a random case reference. The queries take their
   turns in a fixed order, not at random: a day's first few minutes would otherwise
   sometimes show the tax office refused more often than the refusals threshold. */
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
    " ev AS (SELECT t, CASE WHEN k % 12 = 11 THEN 6 ELSE k % 12 % 6 END AS i,"
    "  extract(hour FROM t AT TIME ZONE 'Asia/Tokyo') BETWEEN 6 AND 21 AS day"
    "  FROM generate_series(now() - interval '8 days', now() - interval '1 minute',"
    "  interval '4 seconds') WITH ORDINALITY g (t, k))"
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
	long before = th_http_timeout(180); /* the first rolls up the whole log */
	int found;

	assert_int_equal(as_staff(s, "POST", "/staff/v1/oversight/scan", NULL, &r), 200);
	th_http_timeout(before);
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
	int found;

	(void)state;
	staff_login("supervisor-a", &sup);
	assert_true(scalar("%s", NORMAL_TRAFFIC) > 170000);
	assert_int_equal(scan_now(&sup), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomalies"), 0);
	/* The aggregates hold every row of the log. */
	assert_int_equal(scalar("SELECT (SELECT sum(n) FROM portal.oversight_daily) -"
				" (SELECT count(*) FROM portal.access_events)"),
			 0);

	/* 210 more residents; one pension official opens 200 of them within an hour (from
	   10:00 yesterday, Japan time: in the day, whenever the test runs). */
	assert_int_equal(scalar("INSERT INTO portal.people SELECT FROM generate_series(1, 210)"),
			 210);
	report_reads("pension-service", "pension-service-77", "pension.record",
		     "pension.eligibility", "Employees'' Pension Insurance Act art. 28", 200,
		     "(((now() AT TIME ZONE 'Asia/Tokyo')::date - 1) + time '10:00')"
		     " AT TIME ZONE 'Asia/Tokyo'",
		     false);
	/* A health insurer's official reads at 02:00 last night, Japan time, six times. */
	report_reads("health-insurer", "health-insurer-9", "health.claims", "health.eligibility",
		     "Health Insurance Act art. 150", 6,
		     "(((now() AT TIME ZONE 'Asia/Tokyo')::date - 1) + time '02:00')"
		     " AT TIME ZONE 'Asia/Tokyo'",
		     true);
	found = scan_now(&sup);
	assert_int_equal(
	    th_sql_str(&env, kinds, sizeof(kinds),
		       "SELECT string_agg(kind || ':' || org_code || ':' || subject, ' '"
		       " ORDER BY kind) FROM portal.anomalies"),
	    0);
	assert_int_equal(found, 2);
	assert_string_equal(kinds, "many-people:pension-service:pension-service-77 "
				   "night:health-insurer:health-insurer-9");
	assert_true(scalar("SELECT measure FROM portal.anomalies WHERE kind = 'many-people'") >=
		    200);
	/* Found once: scanning again finds nothing new. */
	assert_int_equal(scan_now(&sup), 0);
}

/* The value of a member of r's JSON body at a dotted path ("anomaly.status"), or "". */
static const char *
json_at(const struct th_resp *r, const char *path)
{
	static char buf[4][512];
	static int n;
	char *b = buf[n++ % 4], name[64];
	cJSON *j = th_json(r);
	const cJSON *v = j;
	const char *p = path, *dot;

	while (v != NULL && *p != '\0') {
		dot = strchr(p, '.');
		snprintf(name, sizeof(name), "%.*s", dot != NULL ? (int)(dot - p) : (int)strlen(p),
			 p);
		v = cJSON_IsArray(v) ? cJSON_GetArrayItem(v, atoi(name))
				     : cJSON_GetObjectItemCaseSensitive(v, name);
		p = dot != NULL ? dot + 1 : p + strlen(p);
	}
	if (cJSON_IsString(v))
		snprintf(b, 512, "%s", v->valuestring);
	else if (cJSON_IsNumber(v))
		snprintf(b, 512, "%g", v->valuedouble);
	else if (cJSON_IsBool(v))
		snprintf(b, 512, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else
		b[0] = '\0';
	cJSON_Delete(j);
	return b;
}

/* An organisation whose requests are mostly refused in a day (60 of 70, by its system,
   so that the hour of the run does not matter) raises a refusals case. */
static void
test_refusal_rate(void **state)
{
	struct staff sup;
	int found;

	(void)state;
	staff_login("supervisor-a", &sup);
	assert_int_equal(
	    scalar(
		"SELECT count(*) FROM portal.record_access(ARRAY(SELECT ROW(gen_random_uuid(),"
		" (SELECT id FROM portal.people LIMIT 1), now() - interval '2 minutes',"
		" 'welfare-it', 'city-welfare', 'welfare-it-system', 'batch', 'machine', 'gateway',"
		" 'welfare.eligibility', 'MNA-T2-21', NULL, ARRAY['tax.income'], NULL,"
		" CASE WHEN g <= 60 THEN 'denied' ELSE 'served' END,"
		" CASE WHEN g <= 60 THEN 'no-legal-basis' END, NULL, NULL)::portal.access_record"
		" FROM generate_series(1, 70) g))"),
	    70);
	found = scan_now(&sup);
	assert_int_equal(found, 1);
	assert_int_equal(
	    scalar("SELECT round(measure) FROM portal.anomalies WHERE kind = 'refusals'"
		   " AND org_code = 'welfare-it'"),
	    86);
}

/* An official far above their own baseline: one of the normal traffic's pension
   officials (about 60 reads a day, by day) reads 400 times in the day (of two people,
   at a daytime hour before now). */
static void
test_official_spike(void **state)
{
	struct staff sup;

	(void)state;
	staff_login("supervisor-a", &sup);
	assert_int_equal(
	    scalar(
		"SELECT count(*) FROM portal.record_access(ARRAY(SELECT ROW(gen_random_uuid(),"
		" (SELECT id FROM portal.people ORDER BY id LIMIT 1 OFFSET g %% 2),"
		" CASE WHEN extract(hour FROM now() AT TIME ZONE 'Asia/Tokyo') BETWEEN 7 AND 21"
		" THEN now() - interval '30 minutes' ELSE (((now() AT TIME ZONE 'Asia/Tokyo')"
		" - interval '7 hours')::date + time '21:00') AT TIME ZONE 'Asia/Tokyo' END,"
		" 'pension-service', NULL, 'pension-service-5', 'benefits officer', 'human',"
		" 'gateway', 'pension.eligibility', 'MNA-T2-48', NULL, ARRAY['tax.income'], NULL,"
		" 'served', NULL, NULL, NULL)::portal.access_record"
		" FROM generate_series(1, 400) g))"),
	    400);
	assert_int_equal(scan_now(&sup), 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomalies WHERE kind ="
				" 'official-spike' AND subject = 'pension-service-5'"
				" AND measure >= 400 AND baseline < 100"),
			 1);
}

/* A proxy acting for five different people in a day (anomaly_proxy_people) raises a case
   that names the proxy by the supervisor's pseudonym of them, never by who they are. */
static void
test_proxy_people(void **state)
{
	struct staff sup;
	char subject[64], pseudonym[64];

	(void)state;
	staff_login("supervisor-a", &sup);
	/* bob holds mandates of five other people, and acts for each. */
	assert_int_equal(
	    scalar("INSERT INTO portal.mandates (principal_id, proxy_id, themes, label,"
		   " proxy_label, code_expires_at, accepted_at, ends_at)"
		   " SELECT p.id, '%s', ARRAY['access-log'], 'my helper', 'a neighbour', now(),"
		   " now(), now() + interval '30 days' FROM portal.people p"
		   " WHERE p.id NOT IN ('%s', '%s') ORDER BY p.id LIMIT 5",
		   bob.id, bob.id, alice.id),
	    5);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.record_access(ARRAY(SELECT ROW(gen_random_uuid(),"
		   " m.principal_id, now() - interval '1 minute', 'proxies', NULL,"
		   " 'proxy:' || m.id, 'proxy', 'human', 'proxy', 'proxy-mandate', 'proxy-mandate',"
		   " NULL, ARRAY['access-log'], NULL, 'served', NULL, NULL,"
		   " NULL)::portal.access_record FROM portal.mandates m WHERE m.proxy_id = '%s'))",
		   bob.id),
	    5);
	assert_int_equal(scan_now(&sup), 1);
	assert_int_equal(
	    th_sql_str(&env, subject, sizeof(subject),
		       "SELECT subject FROM portal.anomalies WHERE kind = 'proxy-people'"
		       " AND measure = 5"),
	    0);
	assert_int_equal(th_sql_str(&env, pseudonym, sizeof(pseudonym),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'data-commission'",
				    bob.id),
			 0);
	assert_string_equal(subject, pseudonym);
}

/* A case: the supervisor opens it and notes, asks the organisation, which reads the
   question over its gateway (only its own cases) and answers; the supervisor closes it
   with a finding. A desk's clerk reaches none of this. */
static void
test_anomaly_case(void **state)
{
	struct staff sup, clerk;
	struct th_resp r;
	char id[24], path[128];

	(void)state;
	staff_login("supervisor-a", &sup);
	assert_int_equal(th_sql_str(&env, id, sizeof(id),
				    "SELECT id FROM portal.anomalies WHERE kind = 'many-people'"),
			 0);
	assert_int_equal(as_staff(&sup, "GET", "/staff/v1/oversight/anomalies", NULL, &r), 200);
	assert_string_equal(json_at(&r, "anomalies.0.status"), "new");
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/open", id);
	assert_int_equal(status_of(&sup, "POST", path, NULL), 204);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/notes", id);
	assert_int_equal(status_of(&sup, "POST", path, "{\"note\":\"200 residents before lunch\"}"),
			 204);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/question", id);
	assert_int_equal(
	    status_of(&sup, "POST", path, "{\"question\":\"Why did this official read so many?\"}"),
	    204);

	/* The organisation sees the question; another does not see the case at all. */
	assert_int_equal(gw("pension-service", "GET", "/gw/v1/anomalies", NULL, &r), 200);
	assert_string_equal(json_at(&r, "anomalies.0.status"), "asked");
	assert_string_equal(json_at(&r, "anomalies.0.subject"), "pension-service-77");
	assert_string_equal(json_at(&r, "anomalies.0.questions.0.body"),
			    "Why did this official read so many?");
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "GET", "/gw/v1/anomalies", NULL, &r), 200);
	assert_string_equal(json_at(&r, "anomalies.0.status"), "");
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/gw/v1/anomalies/%s/answer", id);
	assert_int_equal(gw("tax-office", "POST", path, "{\"answer\":\"not ours\"}", &r), 404);
	th_resp_free(&r);
	assert_int_equal(
	    gw("pension-service", "POST", path, "{\"answer\":\"A yearly statement run.\"}", &r),
	    204);
	th_resp_free(&r);
	assert_int_equal(gw("pension-service", "POST", path, "{\"answer\":\"again\"}", &r), 404);
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/close", id);
	assert_int_equal(status_of(&sup, "POST", path,
				   "{\"finding\":\"Explained: a statement run, approved.\"}"),
			 204);
	assert_int_equal(status_of(&sup, "POST", path, "{\"finding\":\"again\"}"), 409);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s", id);
	assert_int_equal(as_staff(&sup, "GET", path, NULL, &r), 200);
	assert_string_equal(json_at(&r, "anomaly.status"), "closed");
	assert_string_equal(json_at(&r, "history.0.kind"), "opened");
	assert_string_equal(json_at(&r, "history.0.author"), sup.ref);
	assert_string_equal(json_at(&r, "history.3.kind"), "answer");
	assert_string_equal(json_at(&r, "history.3.author"), "pension-service");
	assert_string_equal(json_at(&r, "history.4.kind"), "closed");
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.anomaly_events WHERE anomaly_id = %s", id), 5);
	/* The history is append-only. */
	assert_int_equal(scalar("UPDATE portal.anomaly_events SET body = 'x'"), -1);

	staff_login("desk-clerk", &clerk);
	assert_int_equal(status_of(&clerk, "GET", "/staff/v1/oversight/overview", NULL), 403);
	assert_int_equal(status_of(&clerk, "POST", "/staff/v1/oversight/scan", NULL), 403);
}

/* The portal's own case (a card key bound to two people, organisation mado) has nobody to
   answer a question over a gateway: asking is refused and changes nothing; the
   supervisor notes and closes it. */
static void
test_portal_case_not_asked(void **state)
{
	struct staff sup;
	struct th_resp r;
	char id[24], path[128];

	(void)state;
	staff_login("supervisor-a", &sup);
	assert_int_equal(scalar("SELECT portal.card_key_case(repeat('ab', 32))"), 1);
	assert_int_equal(th_sql_str(&env, id, sizeof(id),
				    "SELECT id FROM portal.anomalies WHERE kind = 'card-key'"),
			 0);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/notes", id);
	assert_int_equal(status_of(&sup, "POST", path, "{\"note\":\"Sent to the card issuer\"}"),
			 204);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/question", id);
	assert_int_equal(as_staff(&sup, "POST", path, "{\"question\":\"Who made this card?\"}", &r),
			 409);
	assert_string_equal(th_type(&r), "conflict");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomalies WHERE id = %s AND"
				" status = 'open'",
				id),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomaly_events WHERE anomaly_id = %s"
				" AND kind = 'question'",
				id),
			 0);
	snprintf(path, sizeof(path), "/staff/v1/oversight/anomalies/%s/close", id);
	assert_int_equal(
	    status_of(&sup, "POST", path, "{\"finding\":\"The issuer recalled the batch.\"}"), 204);
}

/* The supervisor takes over alice's dispute: opening it is in alice's log (channel
   supervisor, the staff member's reference); a deadline, an escalation, and the closing
   finding, which alice sees with her case and a notice about. */
static void
test_dispute_takeover(void **state)
{
	struct staff sup;
	struct th_resp r;
	char body[1024], row[24], path[160], case_no[32], pseud[64];

	(void)state;
	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'tax-office'",
				    alice.id),
			 0);
	snprintf(
	    body, sizeof(body),
	    "{\"person\":\"%s\",\"items\":[\"pension.benefit\"],\"purpose\":\"tax.assessment\","
	    "\"legal_ref\":\"MNA-T2-72\",\"officer\":\"tax-office-5\",\"actor_kind\":\"human\","
	    "\"reply_key\":\"%s\"}",
	    pseud, th_reply_key());
	assert_int_equal(gw("tax-office", "POST", "/gw/v1/queries", body, &r), 200);
	th_resp_free(&r);
	assert_int_equal(
	    th_sql_str(&env, row, sizeof(row),
		       "SELECT max(id) FROM portal.access_events WHERE person_id = '%s'"
		       " AND org_code = 'tax-office' AND officer = 'tax-office-5'",
		       alice.id),
	    0);
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s/disputes", row);
	assert_int_equal(
	    th_person_http(&env, &alice, "POST", path, "{\"kind\":\"not-recognised\"}", &r), 0);
	assert_int_equal(r.status, 201);
	snprintf(case_no, sizeof(case_no), "%s", json_at(&r, "case_no"));
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'supervisor'",
				alice.id),
			 0);

	staff_login("supervisor-b", &sup);
	/* The queue holds no person. */
	assert_int_equal(
	    as_staff(&sup, "GET", "/staff/v1/oversight/disputes?filter=open", NULL, &r), 200);
	assert_null(strstr(r.body, pseud));
	assert_null(strstr(r.body, alice.id));
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/staff/v1/oversight/disputes/%s", case_no);
	assert_int_equal(as_staff(&sup, "GET", path, NULL, &r), 200);
	assert_string_equal(json_at(&r, "dispute.officer"), "tax-office-5");
	th_resp_free(&r);
	/* The read is in alice's log, by the staff member, and alice sees it. */
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
		   " AND channel = 'supervisor' AND org_code = 'data-commission' AND officer = '%s'"
		   " AND purpose = 'oversight.case' AND case_ref = '%s'",
		   alice.id, sup.ref, case_no),
	    1);
	assert_int_equal(th_person_http(&env, &alice, "GET",
					"/api/v1/me/access-log?channel=supervisor", NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "data-commission"));
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/staff/v1/oversight/disputes/%s/deadline", case_no);
	assert_int_equal(status_of(&sup, "POST", path, "{\"deadline\":\"2030-01-31\"}"), 409);
	snprintf(path, sizeof(path), "/staff/v1/oversight/disputes/%s/take", case_no);
	assert_int_equal(status_of(&sup, "POST", path, "{\"deadline\":\"2000-01-31\"}"), 204);
	assert_int_equal(status_of(&sup, "POST", path, "{}"), 409);
	/* A deadline in the past: overdue, on the overview. */
	assert_int_equal(as_staff(&sup, "GET", "/staff/v1/oversight/overview", NULL, &r), 200);
	assert_string_equal(json_at(&r, "overview.overdue_disputes.0.case_no"), case_no);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/staff/v1/oversight/disputes/%s/deadline", case_no);
	assert_int_equal(status_of(&sup, "POST", path, "{\"deadline\":\"2099-01-31\"}"), 204);
	snprintf(path, sizeof(path), "/staff/v1/oversight/disputes/%s/escalate", case_no);
	assert_int_equal(
	    status_of(&sup, "POST", path, "{\"escalation\":\"To the commission's board.\"}"), 204);
	snprintf(path, sizeof(path), "/staff/v1/oversight/disputes/%s/close", case_no);
	assert_int_equal(
	    status_of(&sup, "POST", path,
		      "{\"outcome\":\"upheld\",\"finding\":\"The read had no basis; the"
		      " office has been told to stop.\"}"),
	    204);
	assert_int_equal(
	    status_of(&sup, "POST", path, "{\"outcome\":\"resolved\",\"finding\":\"x\"}"), 409);

	/* alice sees the finding with her case, and was told twice (taken over, closed). */
	assert_int_equal(th_person_http(&env, &alice, "GET", "/api/v1/me/disputes", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_at(&r, "disputes.0.case_no"), case_no);
	assert_string_equal(json_at(&r, "disputes.0.supervisor.outcome"), "upheld");
	assert_string_equal(json_at(&r, "disputes.0.supervisor.finding"),
			    "The read had no basis; the office has been told to stop.");
	assert_string_equal(json_at(&r, "disputes.0.supervisor.deadline"), "2099-01-31");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s'"
				" AND kind = 'dispute' AND org_code = 'data-commission'",
				alice.id),
			 2);
	/* ... and on the entry itself. */
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s", row);
	assert_int_equal(th_person_http(&env, &alice, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_string_equal(json_at(&r, "disputes.0.supervisor.outcome"), "upheld");
	th_resp_free(&r);
	/* bob sees nothing of it. */
	assert_int_equal(th_person_http(&env, &bob, "GET", "/api/v1/me/disputes", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, case_no));
	th_resp_free(&r);
}

/* Every number in a JSON tree: none in 1 .. min - 1. Counts how many were withheld
   (null members) and shown. */
static void
walk_counts(const cJSON *v, int min, int *nulls, int *shown)
{
	const cJSON *c;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble > 0 && v->valuedouble < min)
			fail_msg("a count of %g is shown", v->valuedouble);
		(*shown)++;
	} else if (cJSON_IsNull(v)) {
		(*nulls)++;
	}
	cJSON_ArrayForEach (c, v)
		walk_counts(c, min, nulls, shown);
}

/* Public statistics: anyone may read them, and no count below public_stats_min (10)
   appears, even where a small group exists (three refused requests; two disputes). */
static void
test_public_statistics(void **state)
{
	struct staff sup;
	struct th_resp r;
	char body[1024], pseud[64];
	const cJSON *min;
	cJSON *j;
	int i, nulls = 0, shown = 0;

	(void)state;
	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'city-welfare'",
				    bob.id),
			 0);
	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":\"benefit.notice\","
		 "\"legal_ref\":\"none\",\"officer\":\"city-welfare-3\",\"actor_kind\":\"human\","
		 "\"reply_key\":\"%s\"}",
		 pseud, th_reply_key());
	for (i = 0; i < 3; i++) {
		assert_int_equal(gw("city-welfare", "POST", "/gw/v1/queries", body, &r), 403);
		th_resp_free(&r);
	}
	staff_login("supervisor-a", &sup);
	assert_true(scan_now(&sup) >= 0);
	/* The small cell exists in the aggregates... */
	assert_int_equal(scalar("SELECT sum(n) FROM portal.oversight_daily WHERE org_code ="
				" 'city-welfare' AND purpose = 'benefit.notice'"),
			 3);

	/* ... and is withheld from the public. */
	assert_int_equal(th_http(&env, "GET", "/api/v1/transparency", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	min = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "transparency"),
					       "min_cell");
	assert_int_equal(min->valueint, 10);
	walk_counts(cJSON_GetObjectItemCaseSensitive(j, "transparency"), 10, &nulls, &shown);
	assert_true(nulls > 0);
	assert_true(shown > 10);
	cJSON_Delete(j);
	assert_non_null(strstr(r.body, "\"benefit.notice\""));
	th_resp_free(&r);

	/* The same with a threshold of 1000: more withheld, still none shown below it. */
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "public_stats_min = 1000"), 0);
	assert_int_equal(th_mado_start(&env), 0);
	assert_int_equal(th_http(&env, "GET", "/api/v1/transparency?months=3", NULL, NULL, 0, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	nulls = shown = 0;
	walk_counts(cJSON_GetObjectItemCaseSensitive(j, "transparency"), 1000, &nulls, &shown);
	assert_true(nulls > 0);
	cJSON_Delete(j);
	th_resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_supervisor_login),      cmocka_unit_test(test_anomalies),
	    cmocka_unit_test(test_refusal_rate),          cmocka_unit_test(test_official_spike),
	    cmocka_unit_test(test_proxy_people),          cmocka_unit_test(test_anomaly_case),
	    cmocka_unit_test(test_portal_case_not_asked), cmocka_unit_test(test_dispute_takeover),
	    cmocka_unit_test(test_public_statistics),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
