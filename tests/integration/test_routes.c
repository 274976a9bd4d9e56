/*
 * Every route, from the route table itself: a JSON body that is not the declared object,
 * carries a member the route does not take, or gives a member the wrong JSON type, is
 * answered 400 invalid-body naming the member, by a real mado over TLS, and changes
 * nothing. Callers are who the route admits (a person's session, an organisation of an
 * allowed kind), so the refusal is the body's, not the door's. A body of the wrong shape
 * once crashed the whole process (an array to POST /gw/v1/disputes/{case}); the server
 * must still answer afterwards.
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
#include "mado/check.h"
#include "mado/http.h"
#include "mado/modules.h"

static struct th_env env;
static struct th_person alice = {.card = "alice"};

/* Tables a refused body must leave as they were. */
static const char *const watched[] = {
    "portal.access_events",  "portal.consents",          "portal.consent_requests",
    "portal.disputes",       "portal.notices",           "portal.officer_reveals",
    "portal.alert_settings", "portal.rp_grants",         "portal.item_freezes",
    "portal.anomaly_events", "portal.dispute_oversight",
};

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, NULL};
	const struct mado_route_set *const *sets;
	size_t n;

	*state = &env;
	sets = mado_modules(&n);
	if (mado_http_install(sets, n) != 0)
		return -1;
	return th_setup_people(&env, people, true);
}

/* A value of a path field's kind that passes its check. */
static const char *
sample(const struct mado_field *f)
{
	switch (f->kind) {
	case MADO_K_ID: return "1";
	case MADO_K_UUID: return "00000000-0000-4000-8000-000000000000";
	case MADO_K_ENUM: return f->words[0];
	case MADO_K_CODE: return "tax.income";
	default: return "x";
	}
}

/* The route's pattern with each {name} filled in. */
static void
path_of(const struct mado_route *r, char *out, size_t len)
{
	const char *p = r->pattern;
	size_t used = 0;
	int i = 0;

	while (*p != '\0' && used + 1 < len) {
		if (*p == '{') {
			used +=
			    (size_t)snprintf(out + used, len - used, "%s", sample(&r->path[i++]));
			p = strchr(p, '}') + 1;
		} else {
			out[used++] = *p++;
		}
	}
	out[used] = '\0';
}

/* An organisation of the first kind the route admits. */
static const char *
org_for(unsigned orgs)
{
	if (orgs & MADO_ORG_AGENCY)
		return "pension-service";
	if (orgs & MADO_ORG_PRIVATE)
		return "kakeibo-app";
	if (orgs & MADO_ORG_SUPERVISOR)
		return "data-commission";
	return NULL;
}

/* A staff session of a role the route admits (logged in once per role): the cookie
   header and the CSRF token header. */
static void
staff_headers(unsigned roles, char *cookie, size_t clen, char *csrf, size_t slen)
{
	static char cookies[2][160], tokens[2][96];
	const char *cert = (roles & MADO_STAFF_SUPERVISOR) ? "supervisor-a" : "desk-clerk";
	int k = (roles & MADO_STAFF_SUPERVISOR) ? 1 : 0;

	if (cookies[k][0] == '\0') {
		char origin[96];
		const char *h[] = {origin, NULL};
		struct th_req rq = {"POST", "/staff/v1/auth/tls", h, "", 0, NULL, NULL, true};
		struct th_resp r;
		const char *line;
		cJSON *j;

		th_tls_origin(&env, origin, sizeof(origin));
		th_org_cert(&env, cert, &rq);
		assert_int_equal(th_request(&env, &rq, &r), 0);
		assert_int_equal(r.status, 200);
		for (line = r.headers; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
			while (*line == '\n' || *line == '\r')
				line++;
			if (strncasecmp(line, "Set-Cookie: __Host-staff=", 25) == 0)
				snprintf(cookies[k], sizeof(cookies[k]), "Cookie: %.*s",
					 (int)strcspn(line + 12, ";\r\n"), line + 12);
		}
		assert_non_null(j = th_json(&r));
		snprintf(tokens[k], sizeof(tokens[k]), "X-CSRF-Token: %s",
			 cJSON_GetObjectItemCaseSensitive(j, "csrf_token")->valuestring);
		cJSON_Delete(j);
		th_resp_free(&r);
		assert_true(cookies[k][0] != '\0');
	}
	snprintf(cookie, clen, "%s", cookies[k]);
	snprintf(csrf, slen, "%s", tokens[k]);
}

/* Sends body to the route as a caller it admits. */
static void
send_body(const struct mado_route *r, const char *body, struct th_resp *out)
{
	const char *h[] = {"Content-Type: application/json", NULL};
	struct th_req rq = {r->method, NULL, h, body, strlen(body), NULL, NULL, true};
	char path[256];

	path_of(r, path, sizeof(path));
	if (r->caller == MADO_STAFF) {
		char cookie[160], csrf[96], origin[96];
		const char *sh[] = {"Content-Type: application/json", cookie, csrf, origin, NULL};

		staff_headers(r->staff_roles, cookie, sizeof(cookie), csrf, sizeof(csrf));
		snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
		assert_int_equal(th_http(&env, r->method, path, sh, body, strlen(body), out), 0);
		return;
	}
	if (r->caller != MADO_ORG) {
		assert_int_equal(th_person_http(&env, &alice, r->method, path, body, out), 0);
		return;
	}
	rq.path = path;
	th_org_cert(&env, org_for(r->orgs), &rq);
	assert_int_equal(th_request(&env, &rq, out), 0);
}

/* A 400 invalid-body whose problem names field. */
static void
expect_shape_refused(const struct mado_route *r, const char *body, const char *field)
{
	char type[128];
	struct th_resp resp;
	const cJSON *f;
	cJSON *j;

	send_body(r, body, &resp);
	if (resp.status != 400)
		fail_msg("%s %s with %s: %ld, not 400\n%.300s", r->method, r->pattern, body,
			 resp.status, resp.body != NULL ? resp.body : "");
	assert_string_equal(th_problem_type(&resp, type, sizeof(type)),
			    "urn:mado:problem:invalid-body");
	assert_non_null(j = th_json(&resp));
	f = cJSON_GetObjectItemCaseSensitive(j, "field");
	if (!cJSON_IsString(f) || strcmp(f->valuestring, field) != 0)
		fail_msg("%s %s with %s names %s, not %s", r->method, r->pattern, body,
			 cJSON_IsString(f) ? f->valuestring : "nothing", field);
	cJSON_Delete(j);
	th_resp_free(&resp);
}

/* A value of the wrong JSON type for a field. */
static const char *
wrong_type(const struct mado_field *f)
{
	switch (f->kind) {
	case MADO_K_INT:
	case MADO_K_BOOL:
	case MADO_K_CODES:
	case MADO_K_OBJECTS: return "\"text\"";
	case MADO_K_OBJECT: return "[]";
	default: return "12345";
	}
}

static long
watched_rows(void)
{
	long total = 0;
	size_t i;

	for (i = 0; i < sizeof(watched) / sizeof(watched[0]); i++)
		total += th_sql(&env, "SELECT count(*) FROM %s", watched[i]);
	return total;
}

static void
test_every_body_of_the_wrong_shape_is_400(void **state)
{
	const struct mado_route *routes, *r;
	char body[256];
	size_t n, i, tried = 0;
	long before = watched_rows();
	struct th_resp resp;

	(void)state;
	routes = mado_http_routes(&n);
	for (i = 0; i < n; i++) {
		r = &routes[i];
		if (r->body != MADO_BODY_OBJECT)
			continue;
		if (r->caller == MADO_ORG && org_for(r->orgs) == NULL)
			fail_msg("%s %s: no demo organisation of its kinds", r->method, r->pattern);
		expect_shape_refused(r, "[1]", "");
		expect_shape_refused(r, "\"text\"", "");
		expect_shape_refused(r, "{\"zz_not_a_member\":1}", "zz_not_a_member");
		snprintf(body, sizeof(body), "{\"%s\":%s}", r->fields[0].name,
			 wrong_type(&r->fields[0]));
		expect_shape_refused(r, body, r->fields[0].name);
		tried++;
	}
	assert_true(tried >= 14);
	assert_int_equal(watched_rows(), before);
	/* Still up, and still answering organisations. */
	assert_int_equal(th_http(&env, "GET", "/healthz", NULL, NULL, 0, &resp), 0);
	assert_int_equal(resp.status, 200);
	th_resp_free(&resp);
}

/* Deny by default (AZ-05): a route that names no caller is a person's, and every route
   that is not public, asked with no session and no client certificate, on either
   listener, is refused at the door (401, or 404 where that listener does not serve it):
   never served, never a body error, never a server error. */
static void
test_every_closed_door_refuses_strangers(void **state)
{
	static const struct mado_route unnamed = {.method = "GET", .pattern = "/x"};
	const char *h[] = {NULL, "Content-Type: application/json", NULL};
	const struct mado_route *routes, *r;
	char origin[96], path[256], type[128];
	struct th_resp resp;
	size_t n, i, doors = 0;
	int on;

	(void)state;
	assert_int_equal(unnamed.caller, MADO_PERSON);
	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	h[0] = origin;
	routes = mado_http_routes(&n);
	for (i = 0; i < n; i++) {
		r = &routes[i];
		if (r->caller == MADO_PUBLIC || r->caller == MADO_VISITOR)
			continue;
		path_of(r, path, sizeof(path));
		for (on = 0; on < 2; on++) {
			struct th_req rq = {r->method, path, h, "{}", 2, NULL, NULL, on == 1};

			if (strcmp(r->method, "GET") == 0 || strcmp(r->method, "DELETE") == 0) {
				rq.body = NULL;
				rq.len = 0;
			}
			assert_int_equal(th_request(&env, &rq, &resp), 0);
			if (resp.status != 401 && resp.status != 404)
				fail_msg("%s %s on the %s listener with no credentials: %ld",
					 r->method, r->pattern, on ? "mTLS" : "main", resp.status);
			/* A person's route, where people come, asks for a login. */
			if (r->caller == MADO_PERSON && on == 0)
				assert_string_equal(th_problem_type(&resp, type, sizeof(type)),
						    "urn:mado:problem:unauthenticated");
			th_resp_free(&resp);
			doors++;
		}
	}
	assert_true(doors > 100);
}

/* Every rate-limited route (each one anyone may call that changes state), from the route
   table: public_rate_max requests a minute from one client, then 429 with Retry-After;
   each route keeps its own count. */
static void
test_public_writes_are_rate_limited(void **state)
{
	const struct mado_route *routes, *r;
	char origin[96], path[256], type[128], after[16];
	const char *h[] = {origin, "Content-Type: application/json", NULL};
	struct th_resp resp;
	size_t n, i, tried = 0;
	int k;

	(void)state;
	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "public_rate_max = 3"), 0);
	assert_int_equal(th_mado_start(&env), 0);
	th_sql(&env, "DELETE FROM portal.auth_failures"); /* what the test above counted */
	routes = mado_http_routes(&n);
	for (i = 0; i < n; i++) {
		r = &routes[i];
		if (!r->rate_limited)
			continue;
		path_of(r, path, sizeof(path));
		for (k = 0; k < 4; k++) {
			assert_int_equal(th_http(&env, r->method, path, h, "{}", 2, &resp), 0);
			if ((k < 3) == (resp.status == 429))
				fail_msg("%s %s, request %d: %ld", r->method, r->pattern, k + 1,
					 resp.status);
			if (k < 3)
				th_resp_free(&resp);
		}
		assert_string_equal(th_problem_type(&resp, type, sizeof(type)),
				    "urn:mado:problem:rate-limited");
		assert_non_null(th_header(&resp, "Retry-After", after, sizeof(after)));
		assert_true(atoi(after) > 0);
		th_resp_free(&resp);
		tried++;
	}
	assert_true(tried >= 3);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "public_rate_max = 1000000"), 0);
	assert_int_equal(th_mado_start(&env), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_body_of_the_wrong_shape_is_400),
	    cmocka_unit_test(test_public_writes_are_rate_limited),
	    cmocka_unit_test(test_every_closed_door_refuses_strangers),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
