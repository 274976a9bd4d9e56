/*
 * Proxy mandates against a real mado and PostgreSQL: a principal offers a mandate by
 * theme, the proxy accepts it with the code in their own session and acts for the
 * principal in a session of channel proxy. The proxy sees only the mandate's themes,
 * cannot grant consent or give mandates, and every request is in the principal's log
 * with both identities; the principal is told once per acting-for session. The proxy
 * loses access at the very next request after the principal revokes, after the
 * principal's card is revoked, after the safety flag is set and at the term; both are
 * reminded a month before the term, whether or not they look. A proxy who accepts
 * mandates of a sixth person is reported to the supervisor.
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

static struct th_person pa = {.card = "prx-a"}, pb = {.card = "prx-b"}, pc = {.card = "prx-c"},
			pd = {.card = "prx-d"}, pe = {.card = "prx-e"}, pf = {.card = "prx-f"},
			pg = {.card = "prx-g"}, ph = {.card = "prx-h"}, px = {.card = "prx-x"},
			pm = {.card = "prx-m"}, py = {.card = "prx-y"}, pi = {.card = "prx-i"},
			pj = {.card = "prx-j"}, pk = {.card = "prx-k"};

#define scalar(...) th_sql(&env, __VA_ARGS__)

/* th_setup_people, with every session's cards re-checked each second and no OCSP answer
   reused: a card revoked at its issuer is found at the next request; the reminders'
   schedule runs every second. */
static int
setup(void **state)
{
	static struct th_person *const people[] = {&pa, &pb, &pc, &pd, &pe, &pf, &pg, &ph,
						   &px, &pm, &py, &pi, &pj, &pk, NULL};
	struct th_person *const *p;

	*state = &env;
	if (th_setup_access(&env, "card_recheck_s = 1\ncard_ocsp_cache_max_s = 0\n"
				  "mandate_remind_s = 1\n") != 0)
		return -1;
	for (p = people; *p != NULL; p++)
		if (th_person_make(&env, *p) != 0)
			return -1;
	if (th_seed_demo(&env) != 0)
		return -1;
	for (p = people; *p != NULL; p++)
		if (th_person_login(&env, *p) != 0)
			return -1;
	return 0;
}

static long
as(const struct th_person *p, const char *method, const char *path, const char *body,
   struct th_resp *r)
{
	assert_int_equal(th_person_http(&env, p, method, path, body, r), 0);
	return r->status;
}

/* The status of a request as p, the response dropped; its problem type into type. */
static long
status_of(const struct th_person *p, const char *method, const char *path, const char *body,
	  char *type, size_t len)
{
	struct th_resp r;
	long s = as(p, method, path, body, &r);

	if (type != NULL)
		snprintf(type, len, "%s", th_type(&r));
	th_resp_free(&r);
	return s;
}

static void
member(const struct th_resp *r, const char *name, char *out, size_t len)
{
	cJSON *j = th_json(r);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, name);

	assert_true(cJSON_IsString(v));
	snprintf(out, len, "%s", v->valuestring);
	cJSON_Delete(j);
}

/* A read of My information, with the tests' reply key as the proxy's browser sends its
   own. */
static const char *
data_path(void)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "/api/v1/me/data?reply_key=%s", th_reply_key());
	return buf;
}

/* A date days from today in Japan. */
static void
day_in(int days, char *out, size_t len)
{
	assert_int_equal(th_sql_str(&env, out, len,
				    "SELECT ((now() AT TIME ZONE 'Asia/Tokyo')::date + %d)::text",
				    days),
			 0);
}

/* principal offers a mandate of themes (a JSON array); its id and code. */
static void
offer(const struct th_person *principal, const char *themes, char id[40], char code[64])
{
	char body[256], ends[16];
	struct th_resp r;

	day_in(60, ends, sizeof(ends));
	snprintf(body, sizeof(body), "{\"themes\":%s,\"label\":\"helper\",\"ends_on\":\"%s\"}",
		 themes, ends);
	assert_int_equal(as(principal, "POST", "/api/v1/me/mandates", body, &r), 201);
	member(&r, "id", id, 40);
	member(&r, "code", code, 64);
	th_resp_free(&r);
}

static void
accept(const struct th_person *proxy, const char *code)
{
	char body[160];

	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"label\":\"someone\"}", code);
	assert_int_equal(status_of(proxy, "POST", "/api/v1/proxy/accept", body, NULL, 0), 200);
}

/* The value of the Set-Cookie header setting name (not a longer name), into out. */
static bool
set_cookie(const struct th_resp *r, const char *name, char *out, size_t len)
{
	const char *h = r->headers;
	size_t n = strlen(name);

	while (h != NULL && (h = strstr(h, "Set-Cookie: ")) != NULL) {
		h += strlen("Set-Cookie: ");
		if (strncmp(h, name, n) == 0 && h[n] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(h, ";\r\n"), h);
			return true;
		}
	}
	return false;
}

/* proxy starts acting under mandate id: *acting is the acting-for session (the
   principal's, channel proxy); own, the proxy's own session's cookie as set aside. */
static void
act(const struct th_person *proxy, const struct th_person *principal, const char *id,
    struct th_person *acting, char *own, size_t ownlen)
{
	char path[128];
	struct th_resp r;

	memset(acting, 0, sizeof(*acting));
	snprintf(path, sizeof(path), "/api/v1/proxy/mandates/%s/act", id);
	assert_int_equal(as(proxy, "POST", path, NULL, &r), 200);
	assert_true(set_cookie(&r, "__Host-mado", acting->cookie, sizeof(acting->cookie)));
	assert_true(set_cookie(&r, "__Host-mado-own", own, ownlen));
	member(&r, "csrf_token", acting->csrf, sizeof(acting->csrf));
	th_resp_free(&r);
	memcpy(acting->id, principal->id, sizeof(acting->id));
	/* The own session's cookie is the one the proxy had. */
	assert_string_equal(strchr(own, '='), strchr(proxy->cookie, '='));
}

static long
helped_rows(const struct th_person *principal, const char *id)
{
	return scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s' AND"
		      " channel = 'proxy' AND purpose = 'proxy-mandate' AND org_code = 'proxies'"
		      " AND officer = 'proxy:%s' AND officer_role = 'proxy'",
		      principal->id, id);
}

/*
 * The proxy sees only the mandate's themes (access log and notices here), each request
 * recorded in the principal's log naming the mandate (and through it the proxy); cannot
 * grant consent, give a mandate, accept one, act again or set the safety flag; the
 * principal has one notice of the acting-for session however many requests it makes.
 */
static void
test_only_the_themes(void **state)
{
	char id[40], code[64], other[40], other_code[64], own[128], path[160], type[64];
	struct th_person acting;
	long before;

	(void)state;
	offer(&pa, "[\"access-log\",\"notices\"]", id, code);
	accept(&px, code);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.mandates WHERE id = '%s' AND principal_id = '%s'"
		   " AND proxy_id = '%s' AND accepted_at IS NOT NULL AND code_hash IS NULL",
		   id, pa.id, px.id),
	    1);
	/* The code works once. */
	snprintf(path, sizeof(path), "{\"code\":\"%s\",\"label\":\"x\"}", code);
	assert_int_equal(status_of(&pm, "POST", "/api/v1/proxy/accept", path, type, sizeof(type)),
			 401);
	assert_string_equal(type, "grant-invalid");
	before = helped_rows(&pa, id);
	act(&px, &pa, id, &acting, own, sizeof(own));

	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 200);
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
	assert_int_equal(status_of(&acting, "GET", "/api/v1/proxy/acting", NULL, NULL, 0), 200);
	assert_int_equal(helped_rows(&pa, id), before + 3);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND officer = 'proxy:%s' AND items @> ARRAY['access-log']",
				pa.id, id),
			 1);

	/* Outside the themes, and the person's own acts: refused, and not recorded. */
	before = helped_rows(&pa, id);
	assert_int_equal(status_of(&acting, "GET", data_path(), NULL, type, sizeof(type)), 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/consents", NULL, type, sizeof(type)),
			 403);
	assert_string_equal(type, "own-session-only");
	snprintf(path, sizeof(path),
		 "/api/v1/me/consent-requests/00000000-0000-4000-8000-000000000000/decision");
	assert_int_equal(status_of(&acting, "POST", path,
				   "{\"approve\":true,\"items\":[\"tax.income\"]}", type,
				   sizeof(type)),
			 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(
	    status_of(&acting, "POST", "/api/v1/me/mandates",
		      "{\"themes\":[\"notices\"],\"label\":\"x\",\"ends_on\":\"2099-01-01\"}", type,
		      sizeof(type)),
	    403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/mandates", NULL, type, sizeof(type)),
			 403);
	assert_int_equal(
	    status_of(&acting, "POST", "/api/v1/me/safety-flag", NULL, type, sizeof(type)), 403);
	assert_string_equal(type, "own-session-only");
	snprintf(path, sizeof(path), "/api/v1/me/mandates/%s/revoke", id);
	assert_int_equal(status_of(&acting, "POST", path, NULL, type, sizeof(type)), 403);
	/* Nor, acting for one person, take on or use another's mandate. */
	offer(&pb, "[\"notices\"]", other, other_code);
	snprintf(path, sizeof(path), "{\"code\":\"%s\",\"label\":\"b\"}", other_code);
	assert_int_equal(
	    status_of(&acting, "POST", "/api/v1/proxy/accept", path, type, sizeof(type)), 403);
	assert_string_equal(type, "own-session-only");
	snprintf(path, sizeof(path), "/api/v1/proxy/mandates/%s/act", id);
	assert_int_equal(status_of(&acting, "POST", path, NULL, type, sizeof(type)), 403);
	assert_int_equal(helped_rows(&pa, id), before);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.mandates WHERE principal_id = '%s'", pa.id), 1);
	/* The database holds the same rules for a session that is not the person's own. */
	assert_int_equal(th_sql_str(&env, type, sizeof(type),
				    "SELECT set_config('mado.person_id', '%s', true);"
				    " SELECT reason FROM portal.mandate_offer('%s', 'proxy',"
				    " ARRAY['notices'], 'x', current_date + 5, NULL, 60)",
				    pa.id, pa.id),
			 0);
	assert_string_equal(type, "own-session-only");

	/* One notice of the acting-for session, whatever it did. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND"
				" kind = 'proxy' AND title = 'acting'",
				pa.id),
			 1);
	/* The principal's own access log shows the proxy's requests. */
	assert_int_equal(status_of(&pa, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 200);

	/* Back to their own: the acting-for session is gone, the proxy's own is back. */
	{
		struct th_person both = acting;
		struct th_resp r;
		char cookie[128];

		snprintf(both.cookie, sizeof(both.cookie), "%.60s; %.60s", acting.cookie, own);
		assert_int_equal(as(&both, "POST", "/api/v1/proxy/return", NULL, &r), 204);
		assert_true(set_cookie(&r, "__Host-mado", cookie, sizeof(cookie)));
		assert_string_equal(cookie, px.cookie);
		th_resp_free(&r);
		assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0),
				 401);
		assert_int_equal(status_of(&px, "GET", "/api/v1/me/mandates", NULL, NULL, 0), 200);
	}
}

/* Acting for pr under a fresh mandate: the acting-for session works now. */
static void
start(const struct th_person *pr, char id[40], struct th_person *acting)
{
	char code[64], own[128];

	offer(pr, "[\"access-log\",\"notices\"]", id, code);
	accept(&px, code);
	act(&px, pr, id, acting, own, sizeof(own));
	assert_int_equal(status_of(acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
}

static void
refused_now(const struct th_person *acting)
{
	char type[64];

	assert_int_equal(status_of(acting, "GET", "/api/v1/me/notices", NULL, type, sizeof(type)),
			 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(
	    status_of(acting, "GET", "/api/v1/me/access-log", NULL, type, sizeof(type)), 403);
}

/* The principal revokes: the very next request of the proxy is refused, and not recorded. */
static void
test_revoked_next_request(void **state)
{
	char id[40], path[128], state_now[32];
	struct th_person acting;
	struct th_resp r;
	long rows;

	(void)state;
	start(&pb, id, &acting);
	snprintf(path, sizeof(path), "/api/v1/me/mandates/%s/revoke", id);
	assert_int_equal(as(&pb, "POST", path, NULL, &r), 200);
	member(&r, "state", state_now, sizeof(state_now));
	assert_string_equal(state_now, "revoked");
	th_resp_free(&r);
	rows = helped_rows(&pb, id);
	refused_now(&acting);
	assert_int_equal(helped_rows(&pb, id), rows);
	/* The proxy is told, and can neither act again nor go around it. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND"
				" kind = 'proxy' AND title = 'ended'",
				px.id),
			 1);
	snprintf(path, sizeof(path), "/api/v1/proxy/mandates/%s/act", id);
	assert_int_equal(status_of(&px, "POST", path, NULL, NULL, 0), 409);
	/* Another person cannot revoke it, or even find it. */
	snprintf(path, sizeof(path), "/api/v1/me/mandates/%s/revoke", id);
	assert_int_equal(status_of(&pa, "POST", path, NULL, NULL, 0), 404);

	/* At a desk (the desk's session of the person) it ends as revoked at the desk; a
	   proxy's session can never end it. */
	start(&pb, id, &acting);
	assert_int_equal(scalar("SELECT set_config('mado.person_id', '%s', true);"
				" SELECT count(*) FROM portal.mandate_revoke('%s', 'proxy', '%s')",
				pb.id, pb.id, id),
			 -1);
	assert_int_equal(th_sql_str(&env, state_now, sizeof(state_now),
				    "SELECT set_config('mado.person_id', '%s', true);"
				    " SELECT state FROM portal.mandate_revoke('%s', 'desk', '%s')",
				    pb.id, pb.id, id),
			 0);
	assert_string_equal(state_now, "active");
	assert_int_equal(scalar("SELECT count(*) FROM portal.mandates WHERE id = '%s' AND"
				" end_reason = 'revoked-at-desk'",
				id),
			 1);
	refused_now(&acting);
}

/* The principal's card is revoked at its issuer, and the principal never comes back: the
   acting-for session re-checks the principal's cards too, and the proxy's very next
   request after the re-check interval is refused. */
static void
test_card_revoked_next_request(void **state)
{
	struct th_person acting;
	char id[40], st[32];

	(void)state;
	start(&pc, id, &acting);
	assert_int_equal(
	    th_sh("'%s' revoke '%s' %s >/dev/null", MADO_CARD_BINARY, env.ca_dir, pc.card), 0);
	sleep(2); /* past card_recheck_s */
	refused_now(&acting);
	assert_int_equal(scalar("SELECT count(*) FROM portal.card_bindings WHERE person_id = '%s'"
				" AND revoked_at IS NOT NULL",
				pc.id),
			 1);
	assert_int_equal(th_sql_str(&env, st, sizeof(st),
				    "SELECT portal.mandate_state(m) FROM portal.mandates m"
				    " WHERE id = '%s'",
				    id),
			 0);
	assert_string_equal(st, "card-revoked");
	/* The principal's own session with that card has ended too. */
	assert_int_equal(status_of(&pc, "GET", "/api/v1/me/notices", NULL, NULL, 0), 401);
}

/* SE-07: the operator disables the principal's account. The proxy's acting-for session
   ends at once; acting again is refused (403 account-disabled) and opens nothing; the
   proxy's own session goes on. Enabled again, the proxy acts again. */
static void
test_disabled_principal(void **state)
{
	char id[40], code[64], own[128], path[128], args[600], cert[400], type[64];
	struct th_person acting;

	(void)state;
	offer(&pk, "[\"notices\"]", id, code);
	accept(&px, code);
	act(&px, &pk, id, &acting, own, sizeof(own));
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
	th_card_file(&env, pk.card, "crt", cert, sizeof(cert));
	snprintf(args, sizeof(args), "account --cert '%s' --disable person-request", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 401);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", pk.id), 0);

	snprintf(path, sizeof(path), "/api/v1/proxy/mandates/%s/act", id);
	assert_int_equal(status_of(&px, "POST", path, NULL, type, sizeof(type)), 403);
	assert_string_equal(type, "account-disabled");
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", pk.id), 0);
	assert_int_equal(status_of(&px, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);

	snprintf(args, sizeof(args), "account --cert '%s' --enable", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	act(&px, &pk, id, &acting, own, sizeof(own));
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
}

/* The proxy's own card revoked: the acting-for session, whose binding is the proxy's
   card, ends with it (and the principal's own sessions go on). */
static void
test_proxy_card_ends_session(void **state)
{
	char id[40], code[64], own[128], type[64];
	struct th_person acting;

	(void)state;
	offer(&pg, "[\"notices\"]", id, code);
	accept(&py, code);
	act(&py, &pg, id, &acting, own, sizeof(own));
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions s JOIN portal.card_bindings b"
				" ON b.id = s.binding_id WHERE s.person_id = '%s' AND"
				" s.channel = 'proxy' AND b.person_id = '%s'",
				pg.id, py.id),
			 1);
	assert_int_equal(scalar("UPDATE portal.card_bindings SET revoked_at = now() WHERE"
				" person_id = '%s'",
				py.id),
			 1);
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, type, sizeof(type)),
			 401);
	assert_string_equal(type, "card-revoked");
	assert_int_equal(status_of(&pg, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
}

/* The principal sets the safety flag: the proxy's next request is refused, every mandate
   the principal gave has ended, and no new one can be given. */
static void
test_safety_flag_next_request(void **state)
{
	struct th_person acting;
	char id[40], type[64], body[160], ends[16], reason[32];
	struct th_resp r;

	(void)state;
	start(&pd, id, &acting);
	assert_int_equal(as(&pd, "POST", "/api/v1/me/safety-flag", NULL, &r), 200);
	th_resp_free(&r);
	refused_now(&acting);
	assert_int_equal(scalar("SELECT count(*) FROM portal.mandates WHERE principal_id = '%s'"
				" AND end_reason = 'safety-flag'",
				pd.id),
			 1);
	day_in(10, ends, sizeof(ends));
	snprintf(body, sizeof(body),
		 "{\"themes\":[\"notices\"],\"label\":\"x\",\"ends_on\":\"%s\"}", ends);
	assert_int_equal(as(&pd, "POST", "/api/v1/me/mandates", body, &r), 409);
	snprintf(type, sizeof(type), "%s", th_type(&r));
	snprintf(reason, sizeof(reason), "%s", th_reason(&r));
	th_resp_free(&r);
	assert_string_equal(type, "conflict");
	assert_string_equal(reason, "safety-flag");
}

/* At the term: the proxy's next request is refused. And the term is at most a year. */
static void
test_term_next_request(void **state)
{
	struct th_person acting;
	char id[40], body[160], ends[16];
	struct th_resp r;

	(void)state;
	start(&pe, id, &acting);
	assert_int_equal(scalar("UPDATE portal.mandates SET created_at = now() - interval '2 days',"
				" ends_at = now() - interval '1 second' WHERE id = '%s'",
				id),
			 1);
	refused_now(&acting);

	day_in(367, ends, sizeof(ends));
	snprintf(body, sizeof(body),
		 "{\"themes\":[\"notices\"],\"label\":\"x\",\"ends_on\":\"%s\"}", ends);
	assert_int_equal(as(&pe, "POST", "/api/v1/me/mandates", body, &r), 422);
	assert_string_equal(th_type(&r), "validation-failed");
	th_resp_free(&r);
	/* No blanket power: only the fixed themes. */
	day_in(10, ends, sizeof(ends));
	snprintf(body, sizeof(body),
		 "{\"themes\":[\"session\"],\"label\":\"x\",\"ends_on\":\"%s\"}", ends);
	assert_int_equal(as(&pe, "POST", "/api/v1/me/mandates", body, &r), 422);
	th_resp_free(&r);
	assert_int_equal(scalar("UPDATE portal.mandates SET themes = ARRAY['end-mandates']"
				" WHERE id = '%s'",
				id),
			 -1);
}

/* A month before the term, both sides are reminded, once, though both look (and the
   schedule runs). */
static void
test_reminder(void **state)
{
	struct th_person acting;
	char id[40];

	(void)state;
	start(&pf, id, &acting);
	assert_int_equal(scalar("UPDATE portal.mandates SET ends_at = now() + interval '20 days'"
				" WHERE id = '%s'",
				id),
			 1);
	assert_int_equal(status_of(&pf, "GET", "/api/v1/me/mandates", NULL, NULL, 0), 200);
	assert_int_equal(status_of(&pf, "GET", "/api/v1/me/mandates", NULL, NULL, 0), 200);
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE kind = 'proxy' AND"
				" title = 'ends-soon' AND person_id IN ('%s', '%s')",
				pf.id, px.id),
			 2);
}

/* Nobody looks at the mandate: the server's schedule reminds both sides, once. */
static void
test_reminder_on_schedule(void **state)
{
	static const char count[] = "SELECT count(*) FROM portal.notices WHERE kind = 'proxy' AND"
				    " title = 'ends-soon' AND person_id IN ('%s', '%s')";
	char id[40], code[64];
	int i;

	(void)state;
	offer(&pi, "[\"notices\"]", id, code);
	accept(&pj, code);
	assert_int_equal(scalar("UPDATE portal.mandates SET ends_at = now() + interval '20 days'"
				" WHERE id = '%s'",
				id),
			 1);
	for (i = 0; i < 10 && scalar(count, pi.id, pj.id) < 2; i++)
		sleep(1);
	assert_int_equal(scalar(count, pi.id, pj.id), 2);
	/* The schedule runs on: nothing more is sent. */
	sleep(3);
	assert_int_equal(scalar(count, pi.id, pj.id), 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.mandates WHERE id = '%s' AND"
				" reminded_at IS NOT NULL",
				id),
			 1);
}

/* Under the my-information theme the proxy reads the principal's data: recorded in the
   principal's log as the proxy's read under the mandate, the values sealed to the key the
   proxy's browser sent, the principal's as the holders keep them. */
static void
test_my_information_theme(void **state)
{
	char id[40], code[64], own[128], record[40], who[64], income[64];
	struct th_person acting;
	struct th_resp r;
	cJSON *j, *values;
	long before;

	(void)state;
	offer(&ph, "[\"my-information\"]", id, code);
	accept(&px, code);
	act(&px, &ph, id, &acting, own, sizeof(own));
	before = helped_rows(&ph, id);
	assert_int_equal(as(&acting, "GET", data_path(), NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	snprintf(record, sizeof(record), "%s", th_jstr(j, "record"));
	assert_non_null(values = th_open_answers(j, record));
	assert_int_equal(th_sql_str(&env, who, sizeof(who),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'tax-office'",
				    ph.id),
			 0);
	assert_int_equal(th_holder_sql_str(&env, "tax-office", income, sizeof(income),
					   "SELECT value->>'yen' FROM holder.holdings WHERE"
					   " pseudonym = '%s' AND item = 'tax.income'",
					   who),
			 0);
	assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(
				 cJSON_GetObjectItemCaseSensitive(values, "tax.income"), "value"),
			     "yen")
			     ->valuedouble,
			 atol(income));
	assert_null(strstr(r.body, income));
	cJSON_Delete(values);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* The request and the read, both the proxy's under the mandate. */
	assert_int_equal(helped_rows(&ph, id), before + 2);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
		   " AND event_id = '%s' AND channel = 'proxy' AND org_code = 'proxies'"
		   " AND officer = 'proxy:%s' AND cardinality(items) = 11",
		   ph.id, record, id),
	    1);
}

/* A proxy who accepts mandates of a sixth person is reported to the supervisor, by the
   supervisor's pseudonym; the supervisor reads it on the gateway. */
static void
test_sixth_person_reported(void **state)
{
	struct th_person *const principals[] = {&pa, &pb, &pe, &pf, &pg, &ph};
	char id[40], code[64], own[128], pseudonym[64];
	struct th_person acting;
	struct th_req rq = {"GET", "/gw/v1/proxy-reports", NULL, NULL, 0, NULL, NULL, true};
	struct th_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < 6; i++) {
		offer(principals[i], "[\"notices\"]", id, code);
		accept(&pm, code);
		assert_int_equal(scalar("SELECT count(*) FROM portal.proxy_reports"),
				 i < 5 ? 0 : 1);
	}
	act(&pm, principals[5], id, &acting, own, sizeof(own));
	assert_int_equal(status_of(&acting, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
	assert_int_equal(th_sql_str(&env, pseudonym, sizeof(pseudonym),
				    "SELECT proxy FROM portal.proxy_reports WHERE supervisor ="
				    " 'data-commission' AND people = 6 AND max_people = 5"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.pseudonyms WHERE org_code ="
				" 'data-commission' AND pseudonym = '%s' AND person_id = '%s'",
				pseudonym, pm.id),
			 1);
	th_org_cert(&env, "data-commission", &rq);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, pseudonym));
	th_resp_free(&r);
	/* Nobody else reads it. */
	th_org_cert(&env, "tax-office", &rq);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 403);
	th_resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_only_the_themes),
	    cmocka_unit_test(test_my_information_theme),
	    cmocka_unit_test(test_revoked_next_request),
	    cmocka_unit_test(test_card_revoked_next_request),
	    cmocka_unit_test(test_proxy_card_ends_session),
	    cmocka_unit_test(test_disabled_principal),
	    cmocka_unit_test(test_safety_flag_next_request),
	    cmocka_unit_test(test_term_next_request),
	    cmocka_unit_test(test_reminder),
	    cmocka_unit_test(test_reminder_on_schedule),
	    cmocka_unit_test(test_sixth_person_reported),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
