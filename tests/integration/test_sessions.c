/*
 * Cards and sessions bound to a person, against a real mado and PostgreSQL: the card list
 * never shows a serial whole; the session list shows every open session and ends any of
 * them (its cookie is refused from then on, a logout in the history); one person cannot
 * end another's session; binding a card and every login reach the person's history and
 * notices; a session started on a shared computer ends after the shorter idle time; every
 * challenge clears a bounded batch of what ran out, and nothing else.
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
	return th_setup_cards(&env, "session_idle_shared_s = 120\n");
}

#define scalar(...) th_sql(&env, __VA_ARGS__)

static void
person(struct th_person *p, const char *card)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->card, sizeof(p->card), "%s", card);
	assert_int_equal(th_person_make(&env, p), 0);
}

static void
login(struct th_person *p)
{
	assert_int_equal(th_person_login(&env, p), 0);
}

/* A TLS login with ?shared=true: the login page's "this is a shared computer". */
static void
login_shared(struct th_person *p)
{
	char cert[400], key[400], v[256], origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls?shared=true", h, "", 0, cert, key, true};
	const cJSON *token, *shared, *idle;
	struct th_resp r;
	cJSON *j;

	th_tls_origin(&env, origin, sizeof(origin));
	th_card_file(&env, p->card, "crt", cert, sizeof(cert));
	th_card_file(&env, p->card, "key", key, sizeof(key));
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(th_header(&r, "Set-Cookie", v, sizeof(v)));
	assert_non_null(j = th_json(&r));
	assert_true(cJSON_IsString(token = cJSON_GetObjectItemCaseSensitive(j, "csrf_token")));
	assert_true(cJSON_IsTrue(shared = cJSON_GetObjectItemCaseSensitive(j, "shared")));
	assert_true(cJSON_IsNumber(idle = cJSON_GetObjectItemCaseSensitive(j, "idle_timeout_s")));
	assert_int_equal(idle->valueint, 120);
	snprintf(p->cookie, sizeof(p->cookie), "%.*s", (int)strcspn(v, ";"), v);
	snprintf(p->csrf, sizeof(p->csrf), "%s", token->valuestring);
	cJSON_Delete(j);
	th_resp_free(&r);
}

static long
as(const struct th_person *p, const char *method, const char *path, struct th_resp *r)
{
	assert_int_equal(th_person_http(&env, p, method, path, NULL, r), 0);
	return r->status;
}

/* The items of a GET as p (caller deletes). */
static cJSON *
items_of(const struct th_person *p, const char *path)
{
	struct th_resp r;
	cJSON *j;

	assert_int_equal(as(p, "GET", path, &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	/* The notice list names its array "notices"; the others, "items". */
	if (strcmp(path, "/api/v1/me/notices") == 0)
		cJSON_AddItemReferenceToObject(j, "items",
					       cJSON_GetObjectItemCaseSensitive(j, "notices"));
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "items")));
	return j;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The card list names the issuer, the validity and the last use, and never the serial
   whole: not in any field, not anywhere in the body. */
static void
test_cards_hide_serial(void **state)
{
	struct th_person p;
	char serial[80];
	struct th_resp r;
	const cJSON *c;
	cJSON *j;

	(void)state;
	person(&p, "cards-a");
	login(&p);
	assert_int_equal(
	    th_sql_str(&env, serial, sizeof(serial),
		       "SELECT serial FROM portal.card_bindings WHERE person_id = '%s'", p.id),
	    0);
	assert_true(strlen(serial) > 4);
	assert_int_equal(as(&p, "GET", "/api/v1/me/cards", &r), 200);
	assert_null(strstr(r.body, serial));
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "items"), 0);
	assert_string_equal(str(c, "serial_end"), serial + strlen(serial) - 4);
	assert_non_null(str(c, "issuer"));
	assert_true(strlen(str(c, "issuer")) > 0);
	assert_non_null(str(c, "not_before"));
	assert_non_null(str(c, "not_after"));
	assert_non_null(str(c, "last_used_at")); /* the login just now */
	cJSON_Delete(j);
}

/* Two logins, two sessions; ending the other one from this one refuses its cookie and
   writes the logout; another person cannot end either. */
static void
test_end_other_session(void **state)
{
	struct th_person a1, a2, b;
	const char *other = NULL, *id;
	char handle[64], path[128];
	const cJSON *it;
	struct th_resp r;
	int current = 0;
	cJSON *j;

	(void)state;
	person(&a1, "sessions-a");
	a2 = a1;
	login(&a1);
	login(&a2);
	assert_string_not_equal(a1.cookie, a2.cookie);
	j = items_of(&a1, "/api/v1/me/sessions");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 2);
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(j, "items")) {
		assert_non_null(id = str(it, "id"));
		assert_string_equal(str(it, "method"), "tls");
		assert_non_null(str(it, "started_at"));
		/* The coarse network only: 127.0.0.1 is 127.0.0.0/24. */
		assert_string_equal(str(it, "network"), "127.0.0.0/24");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(it, "current")))
			current++;
		else
			other = id;
	}
	assert_int_equal(current, 1);
	assert_non_null(other);
	snprintf(handle, sizeof(handle), "%s", other);
	cJSON_Delete(j);
	/* The handle is not the cookie's hash, nor anything stored as it. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE handle = '%s' AND "
				"encode(id_hash, 'hex') <> '%s' AND person_id = '%s'",
				handle, handle, a1.id),
			 1);
	snprintf(path, sizeof(path), "/api/v1/me/sessions/%s", handle);

	/* Someone else: not found, and nothing changes. */
	person(&b, "sessions-b");
	login(&b);
	assert_int_equal(as(&b, "DELETE", path, &r), 404);
	assert_string_equal(th_type(&r), "not-found");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE handle = '%s'", handle),
			 1);
	/* Not a handle at all: no such resource. */
	assert_int_equal(as(&a1, "DELETE", "/api/v1/me/sessions/not-a-uuid", &r), 404);
	th_resp_free(&r);

	/* a1 lists a2's session as the other one and ends it. */
	assert_int_equal(as(&a1, "DELETE", path, &r), 204);
	th_resp_free(&r);
	assert_int_equal(as(&a2, "GET", "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(as(&a1, "GET", "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	assert_int_equal(as(&a1, "DELETE", path, &r), 404); /* once */
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s' "
				"AND event = 'logout' AND reason = 'ended-by-person'",
				a1.id),
			 1);
	j = items_of(&a1, "/api/v1/me/sessions");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	cJSON_Delete(j);
	/* b's session lives on. */
	assert_int_equal(as(&b, "GET", "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
}

/* How many of the items have field = value. */
static int
count_with(const cJSON *j, const char *field, const char *value, const char *field2,
	   const char *value2)
{
	const cJSON *it;
	int n = 0;

	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(j, "items")) {
		const char *v = str(it, field), *v2 = field2 != NULL ? str(it, field2) : NULL;

		if (v != NULL && strcmp(v, value) == 0 &&
		    (field2 == NULL || (v2 != NULL && strcmp(v2, value2) == 0)))
			n++;
	}
	return n;
}

/* register-card and its renewal (--same-person-as) are in the person's login history and
   notices; so is every login, with its method. */
static void
test_binding_and_login_notices(void **state)
{
	char old_cert[400], new_cert[400], args[1024];
	struct th_person p;
	cJSON *j;

	(void)state;
	person(&p, "notice-a");
	login(&p);
	j = items_of(&p, "/api/v1/me/logins");
	assert_int_equal(count_with(j, "event", "card-bound", "reason", "first-card"), 1);
	assert_int_equal(count_with(j, "event", "card-bound", "method", "operator"), 1);
	assert_int_equal(count_with(j, "event", "login", "method", "tls"), 1);
	cJSON_Delete(j);
	j = items_of(&p, "/api/v1/me/notices");
	assert_int_equal(count_with(j, "kind", "card", "title", "first-card"), 1);
	assert_int_equal(count_with(j, "kind", "login", "title", "tls"), 1);
	cJSON_Delete(j);

	/* The renewal: a new card for the same person, on the operator's word. */
	assert_int_equal(th_card_issue(&env, "notice-a2", "--key p256"), 0);
	th_card_file(&env, "notice-a", "crt", old_cert, sizeof(old_cert));
	th_card_file(&env, "notice-a2", "crt", new_cert, sizeof(new_cert));
	snprintf(args, sizeof(args), "register-card --cert '%s' --same-person-as '%s'", new_cert,
		 old_cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	j = items_of(&p, "/api/v1/me/logins");
	assert_int_equal(count_with(j, "event", "card-bound", "reason", "renewal"), 1);
	cJSON_Delete(j);
	j = items_of(&p, "/api/v1/me/notices");
	assert_int_equal(count_with(j, "kind", "card", "title", "renewal"), 1);
	cJSON_Delete(j);
	j = items_of(&p, "/api/v1/me/cards");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 2);
	cJSON_Delete(j);

	/* A login with the new card: one more login notice. */
	snprintf(p.card, sizeof(p.card), "notice-a2");
	login(&p);
	j = items_of(&p, "/api/v1/me/notices");
	assert_int_equal(count_with(j, "kind", "login", "title", "tls"), 2);
	cJSON_Delete(j);
}

/* A renewed card (--same-person-as) is the same person: the same id, the same pseudonym
   for every organisation, the history before the renewal still theirs. */
static void
test_renewal_keeps_person(void **state)
{
	char old_cert[400], new_cert[400], args[1024], before[128], after[128], renewed[40];
	struct th_person p;
	cJSON *j;

	(void)state;
	person(&p, "renew-a");
	login(&p);
	/* An organisation: everyone gets a pseudonym for it. */
	assert_int_equal(scalar("INSERT INTO portal.organisations (code, kind, name_ja, name_en) "
				"VALUES ('renew-org', 'agency', '更新庁', 'Renewal Agency')"),
			 1);
	assert_int_equal(
	    th_sql_str(&env, before, sizeof(before),
		       "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s' "
		       "AND org_code = 'renew-org'",
		       p.id),
	    0);
	assert_true(strlen(before) > 0);

	assert_int_equal(th_card_issue(&env, "renew-a2", "--key p256"), 0);
	th_card_file(&env, "renew-a", "crt", old_cert, sizeof(old_cert));
	th_card_file(&env, "renew-a2", "crt", new_cert, sizeof(new_cert));
	snprintf(args, sizeof(args), "register-card --cert '%s' --same-person-as '%s'", new_cert,
		 old_cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(th_sql_str(&env, renewed, sizeof(renewed),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC "
				    "LIMIT 1"),
			 0);
	assert_string_equal(renewed, p.id);
	assert_int_equal(
	    th_sql_str(&env, after, sizeof(after),
		       "SELECT string_agg(pseudonym, ',') FROM portal.pseudonyms WHERE "
		       "person_id = '%s' AND org_code = 'renew-org'",
		       p.id),
	    0);
	assert_string_equal(after, before);
	assert_int_equal(scalar("SELECT count(*) FROM portal.people"),
			 scalar("SELECT count(DISTINCT person_id) FROM portal.card_bindings"));

	/* Logged in with the new card, the person still has the old card's login. */
	snprintf(p.card, sizeof(p.card), "renew-a2");
	login(&p);
	j = items_of(&p, "/api/v1/me/logins");
	assert_int_equal(count_with(j, "event", "login", NULL, NULL), 2);
	assert_int_equal(count_with(j, "event", "card-bound", "reason", "first-card"), 1);
	assert_int_equal(count_with(j, "event", "card-bound", "reason", "renewal"), 1);
	cJSON_Delete(j);
}

/* A session started as on a shared computer ends after session_idle_shared_s (here 120 s)
   without a request, an ordinary one only after session_idle_s (900 s). */
static void
test_shared_idle(void **state)
{
	struct th_person shared, plain;
	struct th_resp r;
	cJSON *j;

	(void)state;
	person(&shared, "shared-a");
	plain = shared;
	login_shared(&shared);
	login(&plain);
	assert_int_equal(as(&shared, "GET", "/api/v1/me/session", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "shared")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "idle_timeout_s")->valueint, 120);
	cJSON_Delete(j);
	assert_int_equal(as(&plain, "GET", "/api/v1/me/session", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(j, "shared")));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "idle_timeout_s")->valueint, 900);
	cJSON_Delete(j);
	/* Three minutes of silence for both, moved in the database. */
	assert_int_equal(scalar("UPDATE portal.sessions SET last_seen = now() - interval "
				"'3 minutes' WHERE person_id = '%s'",
				shared.id),
			 2);
	assert_int_equal(as(&shared, "GET", "/api/v1/me/session", &r), 401);
	assert_string_equal(th_type(&r), "session-expired");
	th_resp_free(&r);
	assert_int_equal(as(&plain, "GET", "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s' "
				"AND event = 'expired'",
				shared.id),
			 1);
}

/* A challenge from a browser with no session. */
static void
challenge(void)
{
	char origin[96];
	const char *h[] = {origin, NULL};
	struct th_resp r;

	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	assert_int_equal(th_http(&env, "POST", "/api/v1/auth/challenge", h, "", 0, &r), 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
}

/* Sessions for the purge, id_hash = sha256(tag || n), with person (or none), expired for
   `ago` (negative: still running). */
static void
sessions_made(const char *tag, int n, const char *person_id, const char *ago)
{
	char who[200] = "NULL, NULL";

	if (person_id != NULL)
		snprintf(who, sizeof(who),
			 "'%s'::uuid, (SELECT id FROM portal.card_bindings WHERE person_id = '%s' "
			 "LIMIT 1)",
			 person_id, person_id);
	assert_int_equal(
	    scalar("INSERT INTO portal.sessions (id_hash, person_id, binding_id,"
		   " csrf_token, expires_at) SELECT sha256(convert_to('%s' || i, "
		   "'UTF8')), %s, 'c', now() - interval '%s' FROM generate_series(1, %d) i",
		   tag, who, ago, n),
	    n);
}

static long
sessions_left(const char *tag, int n)
{
	return scalar("SELECT count(*) FROM portal.sessions WHERE id_hash IN (SELECT"
		      " sha256(convert_to('%s' || i, 'UTF8')) FROM generate_series(1, %d) i)",
		      tag, n);
}

/* Each challenge clears at most 64 of what ran out: pre-login sessions once expired (with
   their challenges), people's sessions an hour after; people's sessions within that hour
   and everything still running stay. */
static void
test_purge(void **state)
{
	struct th_person p;
	struct th_resp r;

	(void)state;
	person(&p, "purge-a");
	login(&p);
	assert_true(scalar("DELETE FROM portal.sessions WHERE person_id IS NULL"
			   " OR expires_at < now()") >= 0);
	sessions_made("pre-expired-", 3, NULL, "1 minute");
	sessions_made("pre-running-", 2, NULL, "-5 minutes");
	sessions_made("own-old-", 2, p.id, "2 hours");
	sessions_made("own-recent-", 2, p.id, "30 minutes");
	assert_int_equal(
	    scalar("INSERT INTO portal.auth_challenges (session_hash, nonce,"
		   " expires_at) SELECT sha256(convert_to('pre-expired-' || i, 'UTF8')),"
		   " repeat('n', 44), now() - interval '1 minute'"
		   " FROM generate_series(1, 3) i"),
	    3);
	challenge();
	assert_int_equal(sessions_left("pre-expired-", 3), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.auth_challenges WHERE session_hash"
				" IN (SELECT sha256(convert_to('pre-expired-' || i, 'UTF8'))"
				" FROM generate_series(1, 3) i)"),
			 0);
	assert_int_equal(sessions_left("own-old-", 2), 0);
	assert_int_equal(sessions_left("pre-running-", 2), 2);
	assert_int_equal(sessions_left("own-recent-", 2), 2);
	assert_int_equal(as(&p, "GET", "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	/* A bounded batch: 100 expired pre-login sessions take two challenges. */
	sessions_made("pile-", 100, NULL, "1 minute");
	challenge();
	assert_int_equal(sessions_left("pile-", 100), 36);
	challenge();
	assert_int_equal(sessions_left("pile-", 100), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cards_hide_serial),
	    cmocka_unit_test(test_end_other_session),
	    cmocka_unit_test(test_binding_and_login_notices),
	    cmocka_unit_test(test_renewal_keeps_person),
	    cmocka_unit_test(test_shared_idle),
	    cmocka_unit_test(test_purge),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
