/*
 * Independent oversight against a real mado, PostgreSQL and TLS: the supervisor's staff log
 * in with staff certificates bound to the supervisor (role supervisor) and reach only the
 * supervisor's pages, never a desk's (nor a desk's staff the supervisor's).
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
	return th_setup_people(&env, people, true);
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_supervisor_login),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
