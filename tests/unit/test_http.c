/*
 * The HTTP core's pure parts (server/http/): route matching (literal and {param} segments,
 * 404 against 405, HEAD as GET, Allow), path decoding, the route table's descriptors, the
 * Origin rule, and the bytes of a response (security headers, charset, length).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/modules.h"
#include "http/http_int.h"

static void
test_literal_routes(void **state)
{
	const struct mado_route *r;
	bool path;

	(void)state;
	r = mado_http_match("GET", "/healthz", &path, NULL);
	assert_non_null(r);
	assert_true(path);
	assert_string_equal(r->pattern, "/healthz");

	/* Near misses are not routes: trailing slash, double slash, case, prefix. */
	assert_null(mado_http_match("GET", "/healthz/", &path, NULL));
	assert_false(path);
	assert_null(mado_http_match("GET", "//healthz", &path, NULL));
	assert_false(path);
	assert_null(mado_http_match("GET", "/HEALTHZ", &path, NULL));
	assert_null(mado_http_match("GET", "/health", &path, NULL));
	assert_null(mado_http_match("GET", "/healthzz", &path, NULL));
	assert_null(mado_http_match("GET", "", &path, NULL));
}

static void
test_method_mismatch_is_405_material(void **state)
{
	const struct mado_route *r;
	char allow[64];
	bool path;

	(void)state;
	r = mado_http_match("DELETE", "/healthz", &path, NULL);
	assert_null(r);
	assert_true(path); /* the path exists: 405, not 404 */
	mado_http_allowed("/healthz", allow, sizeof(allow));
	assert_string_equal(allow, "GET, HEAD");
	mado_http_allowed("/api/v1/csp-reports", allow, sizeof(allow));
	assert_string_equal(allow, "POST");
}

static void
test_head_uses_get(void **state)
{
	const struct mado_route *r;
	bool path;

	(void)state;
	r = mado_http_match("HEAD", "/readyz", &path, NULL);
	assert_non_null(r);
	assert_string_equal(r->method, "GET");
	assert_null(mado_http_match("HEAD", "/api/v1/csp-reports", &path, NULL));
}

static void
test_parameters(void **state)
{
	struct mado_req rq;
	char longseg[MADO_PARAM_MAX + 10];

	(void)state;
	memset(&rq, 0, sizeof(rq));
	assert_true(http__path_match("/api/v1/things/{id}/parts/{part}",
				     "/api/v1/things/42/parts/x7", &rq));
	assert_int_equal(rq.nparams, 2);
	assert_string_equal(rq.params[0], "42");
	assert_string_equal(rq.params[1], "x7");
	assert_false(http__path_match("/api/v1/things/{id}", "/api/v1/things/", NULL));
	assert_false(http__path_match("/api/v1/things/{id}", "/api/v1/things/1/2", NULL));
	assert_false(http__path_match("/api/v1/things/{id}", "/api/v1/things", NULL));
	/* A segment too long for a parameter never matches (it cannot be an id). */
	memset(longseg, 'a', sizeof(longseg) - 1);
	longseg[sizeof(longseg) - 1] = '\0';
	memcpy(longseg, "/x/", 3);
	assert_false(http__path_match("/x/{id}", longseg, NULL));
}

static void
test_decode_path(void **state)
{
	static const char *const bad[] = {
	    "",     "x",    "/api%2fv1", "/api%2Fv1", "/a%5cb",  "/a\\b",       "/a%00",  "/a%0a",
	    "/%zz", "/a%2", "/a//b",     "/a/./b",    "/a/../b", "/%2e%2e/etc", "/a/%2E", "/a/..",
	};
	char out[64];
	size_t i;

	(void)state;
	assert_true(http__decode_path("/api/v1/about", out, sizeof(out)));
	assert_string_equal(out, "/api/v1/about");
	assert_true(http__decode_path("/caf%C3%A9/", out, sizeof(out)));
	assert_string_equal(out, "/caf\xc3\xa9/");
	assert_true(http__decode_path("/a/.well-known/x", out, sizeof(out)));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (http__decode_path(bad[i], out, sizeof(out)))
			fail_msg("accepted %s as %s", bad[i], out);
	/* Too long for the buffer: refused, not truncated. */
	assert_false(http__decode_path("/aaaaaaaaaa", out, 8));
}

/* How many {name} segments a pattern has. */
static int
params_of(const char *pattern)
{
	int n = 0;

	for (; *pattern != '\0'; pattern++)
		n += *pattern == '{';
	return n;
}

static int
fields_of(const struct mado_field *f)
{
	int n = 0;

	while (f != NULL && f[n].name != NULL)
		n++;
	return n;
}

/* Every route says all a descriptor must say: well-formed patterns, a check for each
   {name}, fields for an object body, the kinds of organisation that may call. */
static void
test_table_is_sane(void **state)
{
	const struct mado_route *routes, *r;
	size_t n, i, j;

	(void)state;
	routes = mado_http_routes(&n);
	assert_true(n > 40);
	for (i = 0; i < n; i++) {
		r = &routes[i];
		assert_true(r->pattern[0] == '/');
		assert_non_null(r->handler);
		assert_null(strstr(r->pattern, "//"));
		if (r->body != MADO_BODY_NONE && strcmp(r->method, "GET") == 0)
			fail_msg("%s takes a body on GET", r->pattern);
		if (fields_of(r->path) != params_of(r->pattern))
			fail_msg("%s %s: each {name} needs its check in .path", r->method,
				 r->pattern);
		if (r->body == MADO_BODY_OBJECT && fields_of(r->fields) == 0)
			fail_msg("%s %s takes an object with no fields", r->method, r->pattern);
		if ((r->caller == MADO_ORG) != (r->orgs != 0))
			fail_msg("%s %s: .orgs goes with MADO_ORG and only with it", r->method,
				 r->pattern);
		if ((r->caller == MADO_STAFF) != (r->staff_roles != 0))
			fail_msg("%s %s: .staff_roles goes with MADO_STAFF and only with it",
				 r->method, r->pattern);
		/* Staff pages and the resident's portal never share a path. */
		if ((r->caller == MADO_STAFF) != (strncmp(r->pattern, "/staff/", 7) == 0) &&
		    strcmp(r->pattern, "/staff/v1/auth/tls") != 0)
			fail_msg("%s %s: staff routes live under /staff/, and only they", r->method,
				 r->pattern);
		if (r->acts != 0 && r->caller != MADO_PERSON)
			fail_msg("%s %s: .acts is for a person's routes", r->method, r->pattern);
		if ((r->acts & ~MADO_ACT_ALL) != 0)
			fail_msg("%s %s: .acts names an unknown theme", r->method, r->pattern);
		for (j = i + 1; j < n; j++)
			if (strcmp(r->method, routes[j].method) == 0 &&
			    strcmp(r->pattern, routes[j].pattern) == 0)
				fail_msg("duplicate route %s %s", r->method, r->pattern);
	}
}

static int
handler(struct mado_req *rq)
{
	(void)rq;
	return 0;
}

/* Two modules serving the same method and path are refused at start. */
static void
test_install_refuses_twice(void **state)
{
	static const struct mado_route one[] = {
	    {.method = "GET", .pattern = "/x", .handler = handler, .caller = MADO_PUBLIC}};
	static const struct mado_route_set a = MADO_ROUTE_SET("a", one),
					   b = MADO_ROUTE_SET("b", one);
	const struct mado_route_set *const both[] = {&a, &b}, *const * sets;
	size_t n;

	(void)state;
	assert_int_not_equal(mado_http_install(both, 2), 0);
	assert_int_equal(mado_http_install(both, 1), 0);
	sets = mado_modules(&n);
	assert_int_equal(mado_http_install(sets, n), 0);
}

/* .stale_ok (a read-only connection to a replica) is refused at start on anything but a
   public or organisation GET that counts nothing: a person's route, a write, a limit. */
static void
test_install_stale_ok_only_public_reads(void **state)
{
	static const struct mado_route pub[] = {{.method = "GET",
						 .pattern = "/x",
						 .handler = handler,
						 .caller = MADO_PUBLIC,
						 .stale_ok = true}},
				       person[] = {{.method = "GET",
						    .pattern = "/x",
						    .handler = handler,
						    .stale_ok = true}},
				       visitor[] = {{.method = "GET",
						     .pattern = "/x",
						     .handler = handler,
						     .caller = MADO_VISITOR,
						     .stale_ok = true}},
				       staff[] = {{.method = "GET",
						   .pattern = "/x",
						   .handler = handler,
						   .caller = MADO_STAFF,
						   .stale_ok = true}},
				       post[] = {{.method = "POST",
						  .pattern = "/x",
						  .handler = handler,
						  .caller = MADO_PUBLIC,
						  .stale_ok = true}},
				       limited[] = {{.method = "GET",
						     .pattern = "/x",
						     .handler = handler,
						     .caller = MADO_PUBLIC,
						     .rate_limited = true,
						     .stale_ok = true}};
	static const struct mado_route_set s_pub = MADO_ROUTE_SET("a", pub),
					   s_person = MADO_ROUTE_SET("a", person),
					   s_visitor = MADO_ROUTE_SET("a", visitor),
					   s_staff = MADO_ROUTE_SET("a", staff),
					   s_post = MADO_ROUTE_SET("a", post),
					   s_limited = MADO_ROUTE_SET("a", limited);
	const struct mado_route_set *const ok[] = {&s_pub}, *const bad[] = {&s_person, &s_visitor,
									    &s_staff, &s_post,
									    &s_limited};
	const struct mado_route_set *const *sets;
	const struct mado_route *r;
	size_t i, n;
	bool statistics = false;

	(void)state;
	assert_int_equal(mado_http_install(ok, 1), 0);
	for (i = 0; i < MADO_NELEM(bad); i++)
		assert_int_not_equal(mado_http_install(&bad[i], 1), 0);
	/* Mado's own routes install, and the public statistics are among those marked. */
	sets = mado_modules(&n);
	assert_int_equal(mado_http_install(sets, n), 0);
	for (i = 0, r = mado_http_routes(&n); i < n; i++) {
		if (!r[i].stale_ok)
			continue;
		assert_string_equal(r[i].method, "GET");
		assert_true(r[i].caller == MADO_PUBLIC || r[i].caller == MADO_ORG);
		assert_null(strstr(r[i].pattern, "/me/"));
		statistics |= strcmp(r[i].pattern, "/api/v1/transparency") == 0;
	}
	assert_true(statistics);
}

static void
test_origin_rule(void **state)
{
	const char *own = "https://portal.example";

	(void)state;
	assert_true(http__same_origin("https://portal.example", NULL, own));
	assert_false(http__same_origin("https://portal.example.evil", NULL, own));
	assert_false(http__same_origin("null", "https://portal.example/", own));
	/* Without Origin, a Referer of one of our own pages will do; neither: refuse. */
	assert_true(http__same_origin(NULL, "https://portal.example/#/login", own));
	assert_false(http__same_origin(NULL, "https://portal.example.evil/", own));
	assert_false(http__same_origin(NULL, "https://portal.exampleX", own));
	assert_false(http__same_origin(NULL, NULL, own));
	assert_true(http__is_state_changing("POST"));
	assert_true(http__is_state_changing("PUT"));
	assert_false(http__is_state_changing("GET"));
	assert_false(http__is_state_changing("HEAD"));
}

/* The response as it leaves: one buffer, the security headers, the charset said once. */
static void
test_response_bytes(void **state)
{
	static const char *const always[] = {
	    "X-Content-Type-Options: nosniff\r\n",
	    "Referrer-Policy: no-referrer\r\n",
	    "X-Frame-Options: DENY\r\n",
	    "Strict-Transport-Security: max-age=",
	    "Content-Security-Policy: default-src 'none'",
	};
	struct mado_config cfg = {.tls = true, .hsts_max_age = 100};
	struct mado_text t = {0};
	struct mado_req rq;
	size_t i;

	(void)state;
	assert_int_equal(http__response_init(&cfg), 0);
	http__req_init(&rq, NULL);
	assert_int_equal(mado_http_text(&rq, 200, "text/csv; charset=utf-8", "a,b", 3), 0);
	mado_http_header(&rq, "Content-Disposition", "attachment");
	mado_http_header(&rq, "X-Bad", "a\r\nSet-Cookie: x=1"); /* refused: no header injection */
	http__response_bytes(&rq, true, &t);
	assert_int_equal(strncmp(t.buf, "HTTP/1.1 200 OK\r\n", 17), 0);
	for (i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (strstr(t.buf, always[i]) == NULL)
			fail_msg("missing %s", always[i]);
	assert_non_null(strstr(t.buf, "Content-Type: text/csv; charset=utf-8\r\n"));
	assert_null(strstr(t.buf, "charset=utf-8; charset"));
	assert_non_null(strstr(t.buf, "Content-Length: 3\r\n"));
	assert_non_null(strstr(t.buf, "Cache-Control: no-store\r\n"));
	assert_non_null(strstr(t.buf, "Connection: keep-alive\r\n"));
	assert_non_null(strstr(t.buf, "Content-Disposition: attachment\r\n"));
	assert_null(strstr(t.buf, "Set-Cookie"));
	assert_int_equal(strcmp(t.buf + t.len - 7, "\r\n\r\na,b"), 0);
	mado_text_free(&t);
	/* A problem: JSON, utf-8, no body on HEAD; 204 has no length at all. */
	rq.head_only = true;
	http__problem(&rq, MADO_E_NOT_FOUND);
	http__response_bytes(&rq, false, &t);
	assert_non_null(strstr(t.buf, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(t.buf, "Content-Type: application/problem+json; charset=utf-8\r\n"));
	assert_non_null(strstr(t.buf, "Connection: close\r\n"));
	assert_int_equal(strcmp(t.buf + t.len - 4, "\r\n\r\n"), 0);
	mado_text_free(&t);
	assert_int_equal(mado_http_no_content(&rq), 0);
	http__response_bytes(&rq, true, &t);
	assert_null(strstr(t.buf, "Content-Length"));
	mado_text_free(&t);
	http__req_cleanup(&rq);
}

/* Limits count a client by its IPv4 address, or by its IPv6 address's /64: one subscriber
   gets a whole /64 and rotates through it at will. */
static void
test_client_key(void **state)
{
	char a[80], b[80];

	(void)state;
	assert_true(mado_http_addr_key("192.0.2.7", a, sizeof(a)));
	assert_string_equal(a, "192.0.2.7");
	assert_true(mado_http_addr_key("::ffff:192.0.2.7", a, sizeof(a)));
	assert_string_equal(a, "192.0.2.7");
	assert_true(mado_http_addr_key("2001:db8:1:2:3:4:5:6", a, sizeof(a)));
	assert_string_equal(a, "2001:db8:1:2::/64");
	assert_true(mado_http_addr_key("2001:0db8:0001:0002:ffff:ffff:ffff:ffff", b, sizeof(b)));
	assert_string_equal(a, b);
	assert_true(mado_http_addr_key("2001:db8:1:3::1", b, sizeof(b)));
	assert_string_not_equal(a, b);
	assert_true(mado_http_addr_key("::1", a, sizeof(a)));
	assert_string_equal(a, "::/64");
	assert_false(mado_http_addr_key("not an address", a, sizeof(a)));
}

/* X-Forwarded-For counts only when a trusted proxy sent it, and then its last address
   that is not a trusted proxy is the client: what the client put before it is ignored. */
static void
test_trusted_proxies(void **state)
{
	const char *one[] = {"203.0.113.9, 10.0.0.5"};
	const char *spoofed[] = {"198.51.100.1, 203.0.113.9"};
	const char *two[] = {"198.51.100.1", "203.0.113.9, 10.9.9.9"};
	const char *v6[] = {"2001:db8:aa:bb::7"};
	const char *junk[] = {"203.0.113.9, not-an-address"};
	const char *all_trusted[] = {"10.1.1.1"};
	char out[64];

	(void)state;
	assert_int_equal(http__client_init("10.0.0.0/8, 2001:db8:ffff::1"), 0);
	http__client_resolve("10.1.2.3", one, 1, out, sizeof(out));
	assert_string_equal(out, "203.0.113.9");
	http__client_resolve("10.1.2.3", spoofed, 1, out, sizeof(out));
	assert_string_equal(out, "203.0.113.9");
	http__client_resolve("10.1.2.3", two, 2, out, sizeof(out));
	assert_string_equal(out, "203.0.113.9");
	http__client_resolve("2001:db8:ffff::1", v6, 1, out, sizeof(out));
	assert_string_equal(out, "2001:db8:aa:bb::7");
	http__client_resolve("::ffff:10.0.0.1", one, 1, out, sizeof(out));
	assert_string_equal(out, "203.0.113.9");
	/* What no trusted proxy vouches for stands for nothing: the proxy is the client. */
	http__client_resolve("10.1.2.3", junk, 1, out, sizeof(out));
	assert_string_equal(out, "10.1.2.3");
	http__client_resolve("10.1.2.3", all_trusted, 1, out, sizeof(out));
	assert_string_equal(out, "10.1.2.3");
	http__client_resolve("10.1.2.3", NULL, 0, out, sizeof(out));
	assert_string_equal(out, "10.1.2.3");
	/* An untrusted peer's header is ignored, whatever it says. */
	http__client_resolve("198.51.100.77", one, 1, out, sizeof(out));
	assert_string_equal(out, "198.51.100.77");
	http__client_resolve("2001:db8:ffff::2", v6, 1, out, sizeof(out));
	assert_string_equal(out, "2001:db8:ffff::2");
	/* No trusted proxies (the default): the header never counts. */
	assert_int_equal(http__client_init(""), 0);
	http__client_resolve("10.1.2.3", one, 1, out, sizeof(out));
	assert_string_equal(out, "10.1.2.3");
	assert_int_not_equal(http__client_init("10.0.0.0/33"), 0);
	assert_int_not_equal(http__client_init("proxy.example"), 0);
	http__client_free();
}

/* Every route anyone may call that changes state is limited per client; only the login
   attempts are not, since the login limiter must never refuse a proven key (a staff
   login's key is proven by the handshake). */
static void
test_public_writes_limited(void **state)
{
	static const char *const login[] = {"/api/v1/auth/webeid",
					    "/api/v1/auth/tls",
					    "/staff/v1/auth/tls",
					    "/api/v1/auth/passkey",
					    "/api/v1/auth/cross-device/poll",
					    "/api/v1/auth/handoff/{id}/token",
					    "/api/v1/auth/handoff/poll"};
	const struct mado_route *r;
	size_t n, i, j, limited = 0;
	bool exempt;

	(void)state;
	r = mado_http_routes(&n);
	for (i = 0; i < n; i++) {
		if ((r[i].caller != MADO_PUBLIC && r[i].caller != MADO_VISITOR) ||
		    !http__is_state_changing(r[i].method))
			continue;
		for (exempt = false, j = 0; j < MADO_NELEM(login); j++)
			exempt = exempt || strcmp(r[i].pattern, login[j]) == 0;
		if (r[i].rate_limited == exempt)
			fail_msg("%s %s: rate_limited should be %s", r[i].method, r[i].pattern,
				 exempt ? "false" : "true");
		limited += r[i].rate_limited;
	}
	assert_true(limited >= 3);
}

/* What only the person may do, in their own session: no helper theme reaches it. The
   list names what the desk and proxy promises forbid (grant or widen consent, alerts,
   cards, sessions); every other person route a helper may use has a theme. */
static void
test_own_session_routes(void **state)
{
	static const char *const own[][2] = {
	    {"POST", "/api/v1/me/consent-requests/{id}/decision"},
	    {"GET", "/api/v1/consent-requests/{id}"},
	    {"POST", "/api/v1/me/consents/push"},
	    {"POST", "/api/v1/me/consents/{id}/pause"},
	    {"POST", "/api/v1/me/consents/{id}/resume"},
	    {"PUT", "/api/v1/me/alerts"},
	    {"GET", "/api/v1/me/cards"},
	    {"GET", "/api/v1/me/sessions"},
	    {"DELETE", "/api/v1/me/sessions/{id}"},
	    {"GET", "/api/v1/me/logins"},
	};
	const struct mado_route *r;
	size_t n, i, j, found = 0, themed = 0;

	(void)state;
	r = mado_http_routes(&n);
	for (i = 0; i < n; i++) {
		for (j = 0; j < MADO_NELEM(own); j++)
			if (strcmp(r[i].method, own[j][0]) == 0 &&
			    strcmp(r[i].pattern, own[j][1]) == 0) {
				if (r[i].acts != 0)
					fail_msg("%s %s is the person's own", own[j][0], own[j][1]);
				found++;
			}
		themed += r[i].acts != 0;
	}
	assert_int_equal(found, MADO_NELEM(own));
	assert_true(themed >= 12);
	assert_int_equal(mado_act_flag(mado_act_name(MADO_ACT_WITHDRAW)), MADO_ACT_WITHDRAW);
	assert_int_equal(mado_act_flag("everything"), 0);
}

static int
setup(void **state)
{
	const struct mado_route_set *const *sets;
	size_t n;

	(void)state;
	sets = mado_modules(&n);
	return mado_http_install(sets, n);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_literal_routes),
	    cmocka_unit_test(test_method_mismatch_is_405_material),
	    cmocka_unit_test(test_head_uses_get),
	    cmocka_unit_test(test_parameters),
	    cmocka_unit_test(test_decode_path),
	    cmocka_unit_test(test_table_is_sane),
	    cmocka_unit_test(test_install_refuses_twice),
	    cmocka_unit_test(test_install_stale_ok_only_public_reads),
	    cmocka_unit_test(test_origin_rule),
	    cmocka_unit_test(test_response_bytes),
	    cmocka_unit_test(test_client_key),
	    cmocka_unit_test(test_trusted_proxies),
	    cmocka_unit_test(test_public_writes_limited),
	    cmocka_unit_test(test_own_session_routes),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
