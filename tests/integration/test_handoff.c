/*
 * Card login through a signing app on the same device, against a real mado and
 * PostgreSQL. The page asks for a challenge with a hand-off and gets an app link;
 * mado-card plays the app: it signs a Web eID token for the link's origin and nonce and
 * posts it, without a cookie, for the hand-off. The page's poll then gets its session, and
 * no other browser's does. A used, expired or unknown hand-off is refused, and so is a
 * token signed for another nonce or origin (through the card login's own checks).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;

static int
setup(void **state)
{
	*state = &env;
	if (th_setup_cards(&env, NULL) != 0)
		return -1;
	return 0;
}

/* The SQL condition naming the hand-off of an app link (%s). */
#define HASH_OF                                                                                    \
	"handoff_hash = encode(sha256(convert_to(substring('%s' from 'handoff=([^&]+)'),"          \
	" 'UTF8')), 'hex')"

/* The page's browser, and what the page was given for the app. */
struct browser {
	struct th_browser web;
	char link[1400];
	char nonce[64];
};

static long
req(struct browser *b, const char *method, const char *path, struct th_resp *r)
{
	assert_int_equal(th_browser_http(&env, &b->web, method, path, "", r), 0);
	return r->status;
}

/* The page: a challenge with a hand-off, and the app link. */
static void
page_asks(struct browser *b)
{
	struct th_resp r;
	cJSON *j;

	memset(b, 0, sizeof(*b));
	assert_int_equal(req(b, "POST", "/api/v1/auth/handoff", &r), 200);
	assert_non_null(j = th_json(&r));
	snprintf(b->link, sizeof(b->link), "%s", th_jstr(j, "app_link"));
	snprintf(b->nonce, sizeof(b->nonce), "%s", th_jstr(j, "nonce"));
	assert_int_equal(strlen(b->nonce), 44);
	assert_int_equal(strlen(th_jstr(j, "handoff")), 43);
	assert_int_equal(strncmp(b->link, "mado-card://login?origin=", 25), 0);
	assert_non_null(strstr(b->link, th_jstr(j, "handoff")));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_true(b->web.cookie[0] != '\0');
	/* Only the id's hash is kept. */
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.card_handoffs WHERE " HASH_OF
				" AND state = 'waiting'",
				b->link),
			 1);
}

/* The app: mado-card posts a token for the link (extra: its options). The answer's
   status and body go to r. */
static void
app_posts(const struct browser *b, const char *card, const char *extra, struct th_resp *r)
{
	char cmd[8192], buf[8192];
	size_t n = 0, got;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "%s handoff '%s' '%s' '%s' --cacert '%s' --connect '%s' %s",
		 MADO_CARD_BINARY, env.ca_dir, card, b->link, env.ca, env.url + strlen("https://"),
		 extra != NULL ? extra : "");
	assert_non_null(p = popen(cmd, "r"));
	while ((got = fread(buf + n, 1, sizeof(buf) - 1 - n, p)) > 0)
		n += got;
	buf[n] = '\0';
	pclose(p);
	memset(r, 0, sizeof(*r));
	r->status = strtol(buf, NULL, 10);
	r->body = strdup(strchr(buf, '\n') != NULL ? strchr(buf, '\n') + 1 : "");
	r->len = strlen(r->body);
}

static long
poll(struct browser *b, struct th_resp *r)
{
	return req(b, "POST", "/api/v1/auth/handoff/poll", r);
}

static void
card(const char *name, struct th_person *p)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->card, sizeof(p->card), "%s", name);
	assert_int_equal(th_person_make(&env, p), 0);
}

/* The app's token logs in the page that asked, and no other. */
static void
test_handoff_login(void **state)
{
	struct browser a, other, nobody;
	struct th_person p;
	struct th_resp r;
	cJSON *j;

	(void)state;
	card("ho-app", &p);
	page_asks(&a);
	page_asks(&other);
	assert_int_equal(poll(&a, &r), 200);
	th_resp_free(&r);
	app_posts(&a, "ho-app", NULL, &r);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
	/* Another browser waiting for its own hand-off stays logged out. */
	assert_int_equal(poll(&other, &r), 200);
	assert_non_null(j = th_json(&r));
	assert_string_equal(th_jstr(j, "status"), "waiting");
	cJSON_Delete(j);
	th_resp_free(&r);
	/* A browser without a session gets nothing. */
	memset(&nobody, 0, sizeof(nobody));
	assert_int_equal(poll(&nobody, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	th_resp_free(&r);
	/* The page that asked: its session, a card session. */
	assert_int_equal(poll(&a, &r), 200);
	assert_non_null(j = th_json(&r));
	assert_string_equal(th_jstr(j, "status"), "logged_in");
	snprintf(a.web.csrf, sizeof(a.web.csrf), "%s", th_jstr(j, "csrf_token"));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(req(&a, "GET", "/api/v1/me/session", &r), 200);
	assert_non_null(j = th_json(&r));
	assert_string_equal(th_jstr(j, "method"), "webeid");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "card")));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
				" AND method = 'webeid' AND card_at IS NOT NULL",
				p.id),
			 1);
	/* The hand-off went with the pre-login session it belonged to. */
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.card_handoffs WHERE " HASH_OF, a.link), 0);
	/* The other browser's session is still a pre-login one. */
	assert_int_equal(poll(&other, &r), 200);
	th_resp_free(&r);
}

/* A hand-off works once and for five minutes; an id nobody made is unknown. */
static void
test_handoff_reused_expired(void **state)
{
	struct browser b;
	struct th_person p;
	struct th_resp r;

	(void)state;
	card("ho-again", &p);
	page_asks(&b);
	app_posts(&b, "ho-again", NULL, &r);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
	app_posts(&b, "ho-again", NULL, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "used");
	th_resp_free(&r);
	/* The first token still logs the page in, once. */
	assert_int_equal(poll(&b, &r), 200);
	th_resp_free(&r);

	page_asks(&b);
	assert_int_equal(
	    th_sql(&env,
		   "UPDATE portal.card_handoffs SET expires_at = now() - interval '1 s'"
		   " WHERE " HASH_OF,
		   b.link),
	    1);
	app_posts(&b, "ho-again", NULL, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	assert_int_equal(poll(&b, &r), 401);
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", p.id), 1);

	/* An id nobody made. */
	page_asks(&b);
	memcpy(strstr(b.link, "handoff=") + 8, "AAAAAAAAAA", 10);
	app_posts(&b, "ho-again", NULL, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_reason(&r), "unknown");
	th_resp_free(&r);
}

/* A token signed for another nonce or another origin is refused as a card login refuses
   it, the hand-off is spent, and nobody logs in. */
static void
test_handoff_wrong_token(void **state)
{
	struct browser b, c;
	struct th_person p;
	struct th_resp r;
	char opt[160];

	(void)state;
	card("ho-wrong", &p);
	page_asks(&c);
	page_asks(&b);
	/* The nonce of another browser's challenge. */
	snprintf(opt, sizeof(opt), "--nonce '%s'", c.nonce);
	app_posts(&b, "ho-wrong", opt, &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "signature-invalid");
	th_resp_free(&r);
	assert_int_equal(poll(&b, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "refused");
	th_resp_free(&r);
	/* Signed for another site. */
	page_asks(&b);
	app_posts(&b, "ho-wrong", "--origin https://evil.example", &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "signature-invalid");
	th_resp_free(&r);
	assert_int_equal(poll(&b, &r), 401);
	assert_string_equal(th_reason(&r), "refused");
	th_resp_free(&r);
	/* Both failures are in the card holder's history; no session. */
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND event = 'failure'",
				p.id),
			 2);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", p.id), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_handoff_login),
	    cmocka_unit_test(test_handoff_reused_expired),
	    cmocka_unit_test(test_handoff_wrong_token),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
