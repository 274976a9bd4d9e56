/*
 * Card login against a real mado, a real PostgreSQL and a live OCSP responder (answers made
 * by `openssl ocsp` over mado-card's index): RSA and EC cards by token and by TLS client
 * certificate, every way a card or a token can be wrong, challenges used twice or late,
 * sessions that end when the card is revoked, CSRF refusals and failed-login limits.
 * Checks go by status, problem type, the validator's reason and database state.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "harness.h"

static struct th_env env;
static char jsonct[] = "Content-Type: application/json";
static char origin_hdr[96];
static char tls_origin_hdr[96]; /* the TLS login page's */

struct session {
	char cookie[128]; /* "__Host-mado=..." */
	char csrf[64];
};

static int
setup(void **state)
{
	*state = &env;
	/* The responder is stopped and restarted between cases here: each one asks it. */
	if (th_setup_cards(&env, "card_ocsp_fail_cache_s = 0\n") != 0)
		return -1;
	snprintf(origin_hdr, sizeof(origin_hdr), "Origin: %s", env.origin);
	th_tls_origin(&env, tls_origin_hdr, sizeof(tls_origin_hdr));
	return 0;
}

/* Database state, as the superuser. */
#define scalar(...) th_sql(&env, __VA_ARGS__)

/* --- cards --- */

static void
card(const char *name, const char *args)
{
	assert_int_equal(th_card_issue(&env, name, args), 0);
}

static void
card_path(const char *name, const char *ext, char *out, size_t len)
{
	th_card_file(&env, name, ext, out, len);
}

static int
register_card(const char *name)
{
	return th_card_register(&env, name);
}

static void
registered_card(const char *name, const char *args)
{
	card(name, args);
	assert_int_equal(register_card(name), 0);
}

static void
revoke(const char *name)
{
	assert_int_equal(
	    th_sh("'%s' revoke '%s' %s >/dev/null", MADO_CARD_BINARY, env.ca_dir, name), 0);
}

/* A token the card signs for origin and nonce (mado-card's code, not the validator's). */
static char *
token_alg(const char *name, const char *origin, const char *nonce, const char *alg)
{
	char *t = th_card_token(env.ca_dir, name, origin, nonce, alg);

	assert_non_null(t);
	return t;
}

static char *
token(const char *name, const char *origin, const char *nonce)
{
	return token_alg(name, origin, nonce, NULL);
}

/* --- HTTP --- */

static void
take_cookie(const struct th_resp *r, struct session *s)
{
	char v[256];

	if (th_header(r, "Set-Cookie", v, sizeof(v)) != NULL && strncmp(v, "__Host-mado=", 12) == 0)
		snprintf(s->cookie, sizeof(s->cookie), "%.*s", (int)strcspn(v, ";"), v);
}

static long
post(struct session *s, const char *path, const char *body, struct th_resp *r,
     const char *extra_header)
{
	char cookie[160], csrf[96];
	const char *h[6];
	int n = 0;

	h[n++] = origin_hdr;
	h[n++] = jsonct;
	if (s != NULL && s->cookie[0] != '\0') {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
		h[n++] = cookie;
	}
	if (s != NULL && s->csrf[0] != '\0') {
		snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", s->csrf);
		h[n++] = csrf;
	}
	if (extra_header != NULL)
		h[n++] = extra_header;
	h[n] = NULL;
	assert_int_equal(th_http(&env, "POST", path, h, body != NULL ? body : "",
				 body != NULL ? strlen(body) : 0, r),
			 0);
	if (s != NULL)
		take_cookie(r, s);
	return r->status;
}

static long
get(const struct session *s, const char *path, struct th_resp *r)
{
	char cookie[160];
	const char *h[2] = {cookie, NULL};

	snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
	assert_int_equal(th_http(&env, "GET", path, h, NULL, 0, r), 0);
	return r->status;
}

/* The challenge's nonce, for a new browser (s->cookie empty) or an existing one. */
static void
challenge(struct session *s, char nonce[64])
{
	struct th_resp r;
	cJSON *j;

	assert_int_equal(post(s, "/api/v1/auth/challenge", NULL, &r, NULL), 200);
	assert_non_null(j = th_json(&r));
	snprintf(nonce, 64, "%s", cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring);
	assert_int_equal(strlen(nonce), 44);
	assert_true(s->cookie[0] != '\0');
	cJSON_Delete(j);
	th_resp_free(&r);
}

/* A whole token login; returns the response (caller frees). */
static long
token_login(const char *name, struct session *s, struct th_resp *r)
{
	char nonce[64], *t;
	long status;

	memset(s, 0, sizeof(*s));
	challenge(s, nonce);
	t = token(name, env.origin, nonce);
	status = post(s, "/api/v1/auth/webeid", t, r, NULL);
	free(t);
	return status;
}

static void
expect_login(const char *name, long status, const char *type, const char *reason)
{
	struct session s;
	struct th_resp r;

	token_login(name, &s, &r);
	if (r.status != status || (type != NULL && strcmp(th_type(&r), type) != 0) ||
	    (reason != NULL && strcmp(th_reason(&r), reason) != 0))
		fail_msg("card %s: got %ld %.300s; want %ld %s %s", name, r.status, r.body, status,
			 type != NULL ? type : "", reason != NULL ? reason : "");
	th_resp_free(&r);
}

static void
logged_in(struct session *s, const struct th_resp *r)
{
	cJSON *j = th_json(r);

	assert_int_equal(r->status, 200);
	assert_non_null(j);
	snprintf(s->csrf, sizeof(s->csrf), "%s",
		 cJSON_GetObjectItemCaseSensitive(j, "csrf_token")->valuestring);
	cJSON_Delete(j);
}

/* --- the tests --- */

static void
test_token_login_rsa_and_ec(void **state)
{
	static const char *const cards[][2] = {
	    {"rsa-jpki", "--key rsa2048"},
	    {"ec-p256", "--key p256 --eku clientauth"},
	    {"ec-p384", "--key p384"},
	};
	struct session s;
	struct th_resp r;
	char cookie[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		registered_card(cards[i][0], cards[i][1]);
		token_login(cards[i][0], &s, &r);
		logged_in(&s, &r);
		th_header(&r, "Set-Cookie", cookie, sizeof(cookie));
		/* SE-02: the cookie's attributes. */
		assert_non_null(strstr(cookie, "; Path=/"));
		assert_non_null(strstr(cookie, "; Secure"));
		assert_non_null(strstr(cookie, "; HttpOnly"));
		assert_non_null(strstr(cookie, "; SameSite=Strict"));
		assert_null(strstr(cookie, "Domain"));
		th_resp_free(&r);
		assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
		/* The person's id and the card's serial never reach the browser. */
		assert_null(strstr(r.body, "person"));
		assert_null(strstr(r.body, "serial"));
		th_resp_free(&r);
	}
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'login' "
				"AND method = 'webeid'"),
			 3);
}

/* AU-09: who logs in comes from the card's binding only. A token carrying claims of its
   own (another person's id, a subject, a serial) logs in the card's person, whose
   history gets the login; the other person's gets nothing. */
static void
test_token_claims_ignored(void **state)
{
	char mine[40], other[40], nonce[64], *t, *forged;
	struct session s;
	struct th_resp r;
	long others_logins;
	size_t n;

	(void)state;
	registered_card("claims-other", NULL);
	assert_int_equal(th_sql_str(&env, other, sizeof(other),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC"
				    " LIMIT 1"),
			 0);
	registered_card("claims-mine", NULL);
	assert_int_equal(th_sql_str(&env, mine, sizeof(mine),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC"
				    " LIMIT 1"),
			 0);
	assert_string_not_equal(mine, other);
	others_logins =
	    scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", other);

	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	t = token("claims-mine", env.origin, nonce);
	assert_true(t[0] == '{');
	n = strlen(t) + 256;
	assert_non_null(forged = malloc(n));
	snprintf(forged, n, "{\"personId\":\"%s\",\"subject\":\"%s\",\"serialNumber\":\"1\",%s",
		 other, other, t + 1);
	free(t);
	assert_int_equal(post(&s, "/api/v1/auth/webeid", forged, &r, NULL), 200);
	free(forged);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", mine), 1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", other), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND event = 'login'",
				mine),
			 1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", other),
	    others_logins);
}

/* SE-03: the pre-login session is spent at login and its cookie no longer works. */
/* An RSA card may sign with RSA-PSS (PS256, as some Web eID cards do): the login
   succeeds, and the same PSS signature under the name RS256 is refused (issue 11). */
static void
test_token_login_ps256(void **state)
{
	struct session s;
	struct th_resp r;
	char nonce[64], *t, *alg, *renamed;

	(void)state;
	registered_card("rsa-pss", "--key rsa2048");
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	t = token_alg("rsa-pss", env.origin, nonce, "PS256");
	assert_non_null(strstr(t, "\"algorithm\":\"PS256\""));
	/* Renamed RS256, the PSS signature no longer verifies. */
	assert_non_null(renamed = strdup(t));
	assert_non_null(alg = strstr(renamed, "\"algorithm\":\"PS256\""));
	alg[strlen("\"algorithm\":\"")] = 'R';
	assert_int_equal(post(&s, "/api/v1/auth/webeid", renamed, &r, NULL), 401);
	assert_string_equal(th_type(&r), "signature-invalid");
	th_resp_free(&r);
	free(renamed);
	/* As signed: logged in, with a working session. */
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	free(t);
	t = token_alg("rsa-pss", env.origin, nonce, "PS256");
	assert_int_equal(post(&s, "/api/v1/auth/webeid", t, &r, NULL), 200);
	logged_in(&s, &r);
	th_resp_free(&r);
	free(t);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
}

/* A renewed card (register-card --same-person-as the earlier card) is the same person:
   the login history, the access log and the organisations' pseudonyms carry over, and no
   new person is made (issue 11). */
static void
test_renewal_keeps_person(void **state)
{
	char person[40], renewed[40], pseud_before[200], pseud_after[200], old_cert[400],
	    new_cert[400], args[1024];
	struct session s;
	struct th_resp r;
	long people;
	cJSON *j;
	const cJSON *it;
	int logins = 0;

	(void)state;
	registered_card("renew-old", "--key rsa2048");
	assert_int_equal(th_sql_str(&env, person, sizeof(person),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC"
				    " LIMIT 1"),
			 0);
	token_login("renew-old", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	/* An organisation knows the person by a pseudonym, and read their data once. */
	assert_true(scalar("INSERT INTO portal.organisations (code, kind, name_ja, name_en)"
			   " VALUES ('renewal-office', 'agency', '更新テスト', 'Renewal test')"
			   " ON CONFLICT DO NOTHING") >= 0);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.record_access(ARRAY[ROW(gen_random_uuid(),"
		   " '%s'::uuid, now(), 'renewal-office', NULL, 'officer-1', 'clerk', 'human',"
		   " 'gateway', 'renewal.check', 'renewal-test', NULL, ARRAY['renewal.item'],"
		   " NULL, 'served', NULL, NULL, NULL)::portal.access_record])",
		   person),
	    1);
	assert_int_equal(th_sql_str(&env, pseud_before, sizeof(pseud_before),
				    "SELECT string_agg(org_code || ':' || pseudonym, ',' ORDER BY"
				    " org_code) FROM portal.pseudonyms WHERE person_id = '%s'",
				    person),
			 0);
	assert_non_null(strstr(pseud_before, "renewal-office:"));
	people = scalar("SELECT count(*) FROM portal.people");

	/* The renewal: a new card and key, bound to the holder of the earlier card. */
	card("renew-new", "--key p256");
	card_path("renew-old", "crt", old_cert, sizeof(old_cert));
	card_path("renew-new", "crt", new_cert, sizeof(new_cert));
	snprintf(args, sizeof(args), "register-card --cert '%s' --same-person-as '%s'", new_cert,
		 old_cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(th_sql_str(&env, renewed, sizeof(renewed),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC"
				    " LIMIT 1"),
			 0);
	assert_string_equal(renewed, person);
	assert_int_equal(scalar("SELECT count(*) FROM portal.people"), people);
	assert_int_equal(th_sql_str(&env, pseud_after, sizeof(pseud_after),
				    "SELECT string_agg(org_code || ':' || pseudonym, ',' ORDER BY"
				    " org_code) FROM portal.pseudonyms WHERE person_id = '%s'",
				    person),
			 0);
	assert_string_equal(pseud_after, pseud_before);

	/* Logged in with the new card, the person sees the earlier card's login and the
	   earlier read. */
	token_login("renew-new", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/logins?limit=50", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(j, "items"))
		logins += strcmp(cJSON_GetObjectItemCaseSensitive(it, "event")->valuestring,
				 "login") == 0;
	cJSON_Delete(j);
	assert_true(logins >= 2);
	assert_int_equal(get(&s, "/api/v1/me/access-log?organisation=renewal-office", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")), 1);
	cJSON_Delete(j);
}

static void
test_session_id_rotates(void **state)
{
	struct session s, old;
	struct th_resp r;
	char nonce[64], *t;

	(void)state;
	registered_card("rotate", NULL);
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	old = s;
	t = token("rotate", env.origin, nonce);
	post(&s, "/api/v1/auth/webeid", t, &r, NULL);
	free(t);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_string_not_equal(s.cookie, old.cookie);
	assert_int_equal(get(&old, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
}

static void
test_tls_login_rsa_and_ec(void **state)
{
	static const char *const cards[] = {"tls-rsa", "tls-ec"};
	char cert[400], key[400];
	const char *h[] = {tls_origin_hdr, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	struct session s;
	struct th_resp r;
	size_t i;

	(void)state;
	registered_card("tls-rsa", NULL);
	registered_card("tls-ec", "--key p256");
	for (i = 0; i < 2; i++) {
		card_path(cards[i], "crt", cert, sizeof(cert));
		card_path(cards[i], "key", key, sizeof(key));
		assert_int_equal(th_request(&env, &rq, &r), 0);
		memset(&s, 0, sizeof(s));
		take_cookie(&r, &s);
		logged_in(&s, &r);
		th_resp_free(&r);
		/* The session made on the login listener works on the portal's. */
		assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
		assert_non_null(strstr(r.body, "\"method\":\"tls\""));
		th_resp_free(&r);
	}
	/* No certificate: a clear answer, not a TLS failure. */
	rq.cert = rq.key = NULL;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "client-certificate-missing");
	th_resp_free(&r);
}

/* Expired and revoked cards reach the checks over TLS too, and a browser is sent back
   to the login page with the reason. */
static void
test_tls_login_failures(void **state)
{
	char cert[400], key[400], loc[256];
	const char *h[] = {tls_origin_hdr, NULL};
	const char *html[] = {"Accept: text/html", tls_origin_hdr, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	struct th_resp r;

	(void)state;
	registered_card("tls-revoked", NULL);
	revoke("tls-revoked");
	card_path("tls-revoked", "crt", cert, sizeof(cert));
	card_path("tls-revoked", "key", key, sizeof(key));
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "card-revoked");
	th_resp_free(&r);

	card("tls-expired", "--not-before 2020-01-01T00:00:00Z --not-after 2021-01-01T00:00:00Z");
	card_path("tls-expired", "crt", cert, sizeof(cert));
	card_path("tls-expired", "key", key, sizeof(key));
	rq.headers = html;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 303);
	assert_non_null(th_header(&r, "Location", loc, sizeof(loc)));
	assert_non_null(strstr(loc, "/#/login?error=card-expired"));
	th_resp_free(&r);
}

static void
test_card_failures(void **state)
{
	(void)state;
	card("expired", "--not-before 2020-01-01T00:00:00Z --not-after 2021-01-01T00:00:00Z");
	expect_login("expired", 401, "card-expired", "user_cert_expired");
	card("not-yet", "--not-before 2035-01-01T00:00:00Z --not-after 2036-01-01T00:00:00Z");
	expect_login("not-yet", 401, "card-not-yet-valid", "user_cert_not_yet_valid");
	card("signing-only", "--ku encipher");
	expect_login("signing-only", 401, "card-wrong-purpose", "wrong_purpose");
	card("smime", "--eku email");
	expect_login("smime", 401, "card-wrong-purpose", "wrong_purpose");
	card("weak", "--key rsa1024");
	expect_login("weak", 401, "card-wrong-purpose", "weak_key");
	/* An RSA-2048 key as Infineon's RSALib made them (ROCA, CVE-2017-15361): its private
	   key follows from the public one. */
	card("roca", "--key rsa2048-roca");
	expect_login("roca", 401, "card-wrong-purpose", "weak_key");
	/* Signed by the trusted CA, but over SHA-1, whose collisions can be bought. */
	card("sha1", "--md sha1");
	expect_login("sha1", 401, "card-not-trusted", "not_trusted");
	card("unregistered", NULL);
	expect_login("unregistered", 401, "card-not-registered", NULL);
}

static void
test_wrong_ca(void **state)
{
	char other[400];

	(void)state;
	/* A look-alike CA with the same name, not trusted by the server. */
	snprintf(other, sizeof(other), "%s/other-ca", env.dir);
	assert_int_equal(
	    th_sh("'%s' init '%s' >/dev/null && '%s' issue '%s' impostor >/dev/null && "
		  "cp '%s/cards/impostor.crt' '%s/cards/impostor.key' '%s/cards/'",
		  MADO_CARD_BINARY, other, MADO_CARD_BINARY, other, other, other, env.ca_dir),
	    0);
	expect_login("impostor", 401, "card-not-trusted", "not_trusted");
}

/* Points OpenSSL's default locations (where it finds the system's CAs: SSL_CERT_FILE,
   SSL_CERT_DIR) at the CA in dir for the processes started meanwhile; NULL: unset. */
static void
system_store(const char *dir)
{
	char file[512];

	if (dir == NULL) {
		unsetenv("SSL_CERT_FILE");
		unsetenv("SSL_CERT_DIR");
		return;
	}
	snprintf(file, sizeof(file), "%s/ca.crt", dir);
	setenv("SSL_CERT_FILE", file, 1);
	setenv("SSL_CERT_DIR", dir, 1);
}

/* AU-05, CR-02: only card_trust_dir vouches for a card, never the system's store. A CA
   that OpenSSL's default locations hold issues a card; mado and its CLI, started with
   those locations pointing at that CA, refuse the card by token, by TLS login and at
   registration, and no person is made. */
static void
test_system_store_not_trusted(void **state)
{
	char sys[400], cert[600], key[600], args[800], nonce[64], *t;
	const char *h[] = {tls_origin_hdr, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	struct session s;
	struct th_resp r;
	long people = scalar("SELECT count(*) FROM portal.people");
	int rc;

	(void)state;
	snprintf(sys, sizeof(sys), "%s/system-ca", env.dir);
	assert_int_equal(th_sh("'%s' init '%s' >/dev/null && '%s' issue '%s' outsider --key p256"
			       " >/dev/null && openssl rehash '%s' >/dev/null 2>&1",
			       MADO_CARD_BINARY, sys, MADO_CARD_BINARY, sys, sys),
			 0);
	snprintf(cert, sizeof(cert), "%s/cards/outsider.crt", sys);
	snprintf(key, sizeof(key), "%s/cards/outsider.key", sys);
	/* The store as OpenSSL would find it does vouch for the card. */
	assert_int_equal(th_sh("openssl verify -CApath '%s' '%s' >/dev/null 2>&1", sys, cert), 0);

	assert_int_equal(th_mado_stop(&env), 0);
	system_store(sys);
	rc = th_mado_start(&env);
	system_store(NULL);
	assert_int_equal(rc, 0);
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	assert_non_null(t = th_card_token(sys, "outsider", env.origin, nonce, NULL));
	assert_int_equal(post(&s, "/api/v1/auth/webeid", t, &r, NULL), 401);
	free(t);
	assert_string_equal(th_type(&r), "card-not-trusted");
	assert_string_equal(th_reason(&r), "not_trusted");
	th_resp_free(&r);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "card-not-trusted");
	th_resp_free(&r);
	snprintf(args, sizeof(args), "register-card --cert '%s'", cert);
	system_store(sys);
	rc = th_mado_cmd(&env, args, NULL);
	system_store(NULL);
	assert_int_not_equal(rc, 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.people"), people);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_mado_start(&env), 0);
}

static void
test_revocation(void **state)
{
	long person_failures;

	(void)state;
	registered_card("revoked", NULL);
	revoke("revoked");
	expect_login("revoked", 401, "card-revoked", "revoked");
	/* The failure is in the card holder's own history. */
	person_failures = scalar("SELECT count(*) FROM portal.login_events e JOIN "
				 "portal.card_bindings b ON b.person_id = e.person_id WHERE "
				 "e.event = 'failure' AND e.reason = 'card-revoked'");
	assert_true(person_failures >= 1);

	/* Unknown to the responder: a card of our CA missing from its index. */
	card("unknown", NULL);
	assert_int_equal(th_sh("sed -i '$d' '%s/index.txt'", env.ca_dir), 0);
	expect_login("unknown", 401, "card-status-unknown", "revocation_unknown");
}

static void
test_responder_problems(void **state)
{
	(void)state;
	/* Registered while the responder works; its cached answer is gone after 1 s. */
	registered_card("down", NULL);
	registered_card("rogue", NULL);
	registered_card("stale", NULL);
	sleep(2);
	assert_int_equal(th_ocsp_stop(&env), 0);
	expect_login("down", 503, "revocation-check-failed", "ocsp_unavailable");

	/* Signed by a key the CA never authorised. */
	assert_int_equal(th_ocsp_start(&env, "--signer rogue"), 0);
	expect_login("rogue", 503, "revocation-check-failed", "responder_not_trusted");

	/* A day-old answer, as a replayed one would be. */
	assert_int_equal(th_ocsp_start(&env, "--stale"), 0);
	expect_login("stale", 503, "revocation-check-failed", "ocsp_stale");

	/* Back to normal, the same cards log in. */
	assert_int_equal(th_ocsp_start(&env, NULL), 0);
	sleep(2); /* past card_ocsp_cache_max_s */
	expect_login("down", 200, NULL, NULL);
}

static void
test_nonce_rules(void **state)
{
	struct session a, b;
	struct th_resp r;
	char nonce[64], nonce_b[64], *t;

	(void)state;
	registered_card("nonce", NULL);
	/* Replayed: the second use of a token (and its nonce) finds no challenge. */
	memset(&a, 0, sizeof(a));
	challenge(&a, nonce);
	t = token("nonce", env.origin, nonce);
	{
		struct session pre = a;

		assert_int_equal(post(&a, "/api/v1/auth/webeid", t, &r, NULL), 200);
		th_resp_free(&r);
		assert_int_equal(post(&pre, "/api/v1/auth/webeid", t, &r, NULL), 401);
		assert_string_equal(th_type(&r), "challenge-missing");
		th_resp_free(&r);
	}
	free(t);

	/* A nonce belongs to the browser that asked for it (AU-02 b). */
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	challenge(&a, nonce);
	challenge(&b, nonce_b);
	t = token("nonce", env.origin, nonce);
	assert_int_equal(post(&b, "/api/v1/auth/webeid", t, &r, NULL), 401);
	assert_string_equal(th_type(&r), "signature-invalid");
	th_resp_free(&r);
	free(t);

	/* Expired: five minutes have passed (moved in the database). */
	memset(&a, 0, sizeof(a));
	challenge(&a, nonce);
	assert_int_equal(scalar("UPDATE portal.auth_challenges SET expires_at = now() - "
				"interval '1 second' WHERE nonce = '%s'",
				nonce),
			 1);
	t = token("nonce", env.origin, nonce);
	assert_int_equal(post(&a, "/api/v1/auth/webeid", t, &r, NULL), 401);
	assert_string_equal(th_type(&r), "challenge-expired");
	th_resp_free(&r);
	free(t);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.auth_challenges WHERE nonce = '%s'", nonce), 0);

	/* No challenge at all. */
	memset(&a, 0, sizeof(a));
	assert_int_equal(post(&a, "/api/v1/auth/webeid", "{}", &r, NULL), 401);
	assert_string_equal(th_type(&r), "challenge-missing");
	th_resp_free(&r);
}

static void
test_signature_rules(void **state)
{
	struct session s;
	struct th_resp r;
	char nonce[64], *t, *sig;

	(void)state;
	registered_card("sig", "--key p256");
	/* Signed for another site. */
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	t = token("sig", "https://evil.example", nonce);
	assert_int_equal(post(&s, "/api/v1/auth/webeid", t, &r, NULL), 401);
	assert_string_equal(th_type(&r), "signature-invalid");
	assert_string_equal(th_reason(&r), "signature");
	th_resp_free(&r);
	free(t);

	/* An algorithm that does not fit the card's P-256 key, or none at all (AU-04). */
	{
		static const char *const algs[] = {"RS256", "PS256", "ES384", "none", "HS256"};

		for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
			char *alg, *swapped;
			size_t head;

			memset(&s, 0, sizeof(s));
			challenge(&s, nonce);
			t = token("sig", env.origin, nonce);
			assert_non_null(alg = strstr(t, "\"algorithm\":\""));
			head = (size_t)(alg - t) + 13;
			assert_non_null(swapped = malloc(strlen(t) + 16));
			sprintf(swapped, "%.*s%s%s", (int)head, t, algs[i], strchr(t + head, '"'));
			/* 400 for a name outside the allowed list, 401 for one that does
			   not fit the key: refused either way, and no session. */
			assert_in_range(post(&s, "/api/v1/auth/webeid", swapped, &r, NULL), 400,
					401);
			assert_int_equal(
			    scalar("SELECT count(*) FROM portal.sessions s JOIN "
				   "portal.card_bindings b ON b.id = s.binding_id"
				   " WHERE s.created_at > now() - interval '2 seconds'"
				   " AND b.id = (SELECT max(id) FROM portal.card_bindings)"),
			    0);
			th_resp_free(&r);
			free(swapped);
			free(t);
		}
	}

	/* One signature bit flipped. */
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	t = token("sig", env.origin, nonce);
	sig = strstr(t, "\"signature\":\"") + 13;
	*sig = *sig == 'A' ? 'B' : 'A';
	assert_int_equal(post(&s, "/api/v1/auth/webeid", t, &r, NULL), 401);
	assert_string_equal(th_type(&r), "signature-invalid");
	th_resp_free(&r);
	free(t);
}

static void
test_malformed_tokens(void **state)
{
	struct session s;
	struct th_resp r;
	char nonce[64], *big;

	(void)state;
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	assert_int_equal(post(&s, "/api/v1/auth/webeid",
			      "{\"format\":\"web-eid:1.0\",\"unverifiedCertificate\":\"x\"", &r,
			      NULL),
			 400);
	assert_string_equal(th_type(&r), "auth-token-malformed");
	th_resp_free(&r);

	/* Over the validator's 10000 characters, under the route's body limit. */
	challenge(&s, nonce);
	big = malloc(12001);
	memset(big, 'a', 12000);
	big[12000] = '\0';
	assert_int_equal(post(&s, "/api/v1/auth/webeid", big, &r, NULL), 400);
	assert_string_equal(th_type(&r), "auth-token-malformed");
	assert_string_equal(th_reason(&r), "token_length");
	th_resp_free(&r);
	free(big);

	/* Over the body limit: refused before reading. */
	challenge(&s, nonce);
	big = malloc(40001);
	memset(big, 'a', 40000);
	big[40000] = '\0';
	assert_int_equal(post(&s, "/api/v1/auth/webeid", big, &r, NULL), 413);
	th_resp_free(&r);
	free(big);
}

/* A token made with the openssl command line, not with our signing code. */
static void
test_token_made_by_openssl(void **state)
{
	char cmd[4096], crt[400], key[400], tok[400], nonce[64];
	struct session s;
	struct th_resp r;
	char *text;
	size_t len;
	FILE *f;

	(void)state;
	registered_card("openssl-made", NULL);
	card_path("openssl-made", "crt", crt, sizeof(crt));
	card_path("openssl-made", "key", key, sizeof(key));
	snprintf(tok, sizeof(tok), "%s/openssl-token.json", env.dir);
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && { printf %%s '%s' | openssl dgst -sha256 -binary; "
		 "printf %%s '%s' | openssl dgst -sha256 -binary; } > signed.bin && "
		 "openssl dgst -sha256 -sign '%s' -out sig.bin signed.bin && "
		 "printf '{\"unverifiedCertificate\":\"%%s\",\"algorithm\":\"RS256\","
		 "\"signature\":\"%%s\",\"format\":\"web-eid:1\",\"appVersion\":\"x\"}' "
		 "\"$(openssl x509 -in '%s' -outform der | base64 -w0)\" "
		 "\"$(base64 -w0 sig.bin)\" > '%s'",
		 env.dir, env.origin, nonce, key, crt, tok);
	assert_int_equal(th_sh("%s", cmd), 0);
	f = fopen(tok, "r");
	assert_non_null(f);
	text = calloc(1, 8192);
	len = fread(text, 1, 8191, f);
	fclose(f);
	text[len] = '\0';
	assert_int_equal(post(&s, "/api/v1/auth/webeid", text, &r, NULL), 200);
	th_resp_free(&r);
	free(text);
}

/* SE-07: once the card is found revoked, its open session dies at its next request. */
static void
test_revoked_card_ends_session(void **state)
{
	struct session s;
	struct th_resp r;

	(void)state;
	registered_card("session-revoked", NULL);
	token_login("session-revoked", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	revoke("session-revoked");
	sleep(2); /* card_recheck_s and the OCSP cache are 1 s here */
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 401);
	assert_string_equal(th_type(&r), "card-revoked");
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions s JOIN portal.card_bindings b "
		   "ON b.id = s.binding_id WHERE b.revoked_at IS NOT NULL"),
	    0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'revoked'"),
			 1);
}

/* BR-01: a session cookie is not enough to change anything. */
static void
test_csrf(void **state)
{
	char evil[] = "Origin: https://evil.example";
	struct session s, nocsrf;
	struct th_resp r;

	(void)state;
	registered_card("csrf", NULL);
	token_login("csrf", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);

	nocsrf = s;
	nocsrf.csrf[0] = '\0';
	assert_int_equal(post(&nocsrf, "/api/v1/auth/logout", NULL, &r, NULL), 403);
	assert_string_equal(th_type(&r), "csrf-rejected");
	th_resp_free(&r);
	snprintf(nocsrf.csrf, sizeof(nocsrf.csrf), "%s", "not-the-token-not-the-token-abcd");
	assert_int_equal(post(&nocsrf, "/api/v1/auth/logout", NULL, &r, NULL), 403);
	th_resp_free(&r);
	/* A foreign origin, even with the right token. */
	{
		char cookie[160], csrf[96];
		const char *h[5];

		snprintf(cookie, sizeof(cookie), "Cookie: %s", s.cookie);
		snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", s.csrf);
		h[0] = evil;
		h[1] = cookie;
		h[2] = csrf;
		h[3] = jsonct;
		h[4] = NULL;
		assert_int_equal(th_http(&env, "POST", "/api/v1/auth/logout", h, "", 0, &r), 0);
		assert_int_equal(r.status, 403);
		assert_string_equal(th_type(&r), "csrf-rejected");
		th_resp_free(&r);
	}
	/* Login CSRF: a challenge from another site is refused too. */
	{
		const char *h[2] = {evil, NULL};

		assert_int_equal(th_http(&env, "POST", "/api/v1/auth/challenge", h, "", 0, &r), 0);
		assert_int_equal(r.status, 403);
		th_resp_free(&r);
	}
	/* Nothing happened: the session lives. */
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	/* The real page's logout works, ends it server-side and tells the browser to forget
	   what it kept (SE-06). */
	assert_int_equal(post(&s, "/api/v1/auth/logout", NULL, &r, NULL), 204);
	{
		char v[128];

		assert_non_null(th_header(&r, "Clear-Site-Data", v, sizeof(v)));
		assert_non_null(strstr(v, "\"cookies\""));
		assert_non_null(strstr(v, "\"storage\""));
		assert_non_null(strstr(v, "\"cache\""));
	}
	th_resp_free(&r);
	s.csrf[0] = '\0';
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
}

/* How many of the notices are of a login by method. */
static int
logins_noticed(const cJSON *items, const char *method)
{
	const cJSON *n, *kind, *title;
	int count = 0;

	cJSON_ArrayForEach (n, items) {
		kind = cJSON_GetObjectItemCaseSensitive(n, "kind");
		title = cJSON_GetObjectItemCaseSensitive(n, "title");
		if (cJSON_IsString(kind) && strcmp(kind->valuestring, "login") == 0 &&
		    cJSON_IsString(title) && strcmp(title->valuestring, method) == 0)
			count++;
	}
	return count;
}

static void
test_login_history(void **state)
{
	struct session s;
	struct th_resp r;
	cJSON *j, *items;

	(void)state;
	registered_card("history", NULL);
	token_login("history", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(post(&s, "/api/v1/auth/logout", NULL, &r, NULL), 204);
	th_resp_free(&r);
	token_login("history", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/logins?limit=2", &r), 200);
	j = th_json(&r);
	items = cJSON_GetObjectItemCaseSensitive(j, "items");
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 0), "event")->valuestring,
	    "login");
	assert_string_equal(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(items, 1), "event")->valuestring,
	    "logout");
	assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(j, "next_before")));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/logins?limit=x", &r), 422);
	th_resp_free(&r);
	/* AU-14: each login is also a notice, naming its method, in the person's list. */
	assert_int_equal(get(&s, "/api/v1/me/notices", &r), 200);
	j = th_json(&r);
	items = cJSON_GetObjectItemCaseSensitive(j, "notices");
	assert_int_equal(logins_noticed(items, "webeid"), 2);
	cJSON_Delete(j);
	th_resp_free(&r);
}

/* The supervisor's new case about the key of the card registered last. */
#define KEY_CASES                                                                                  \
	"SELECT count(*) FROM portal.anomalies WHERE kind = 'card-key' AND org_code = 'mado' AND"  \
	" status = 'new' AND measure = 2 AND threshold = 2 AND subject = 'key ' || (SELECT"        \
	" key_hash FROM portal.card_bindings ORDER BY id DESC LIMIT 1)"

/* DUPKEY (SECURITY.md 5): a key bound to one person cannot log another in, and raises a
   case for the supervisor. */
static void
test_duplicate_key(void **state)
{
	char path[400], serial[80] = "";
	FILE *f;

	(void)state;
	registered_card("key-owner", NULL);
	card("key-copy", "--same-key-as key-owner");
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomalies WHERE kind = 'card-key'"),
			 0);
	/* Registration refuses it, and the supervisor has a case about the key ... */
	assert_int_not_equal(register_card("key-copy"), 0);
	assert_int_equal(scalar(KEY_CASES), 1);
	/* ... and a binding that got in some other way cannot be used to log in. */
	card_path("key-copy", "serial", path, sizeof(path));
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(serial, sizeof(serial), f));
	fclose(f);
	serial[strcspn(serial, "\n")] = '\0';
	assert_int_equal(
	    scalar("WITH p AS (INSERT INTO portal.people DEFAULT VALUES RETURNING id) "
		   "INSERT INTO portal.card_bindings (person_id, issuer_hash, issuer_key, "
		   "serial, key_hash, cert, not_before, not_after) SELECT p.id, b.issuer_hash, "
		   "b.issuer_key, '%s', b.key_hash, b.cert, b.not_before, b.not_after FROM p, "
		   "portal.card_bindings b WHERE b.id = (SELECT max(id) FROM "
		   "portal.card_bindings)",
		   serial),
	    1);
	/* The registration's case as if found yesterday: the login raises today's, and
	   another login the same day no other. */
	assert_int_equal(scalar("UPDATE portal.anomalies SET period_start = period_start -"
				" interval '1 day', period_end = period_end - interval '1 day'"
				" WHERE kind = 'card-key'"),
			 1);
	expect_login("key-copy", 401, "card-key-conflict", NULL);
	assert_int_equal(scalar(KEY_CASES), 2);
	expect_login("key-copy", 401, "card-key-conflict", NULL);
	assert_int_equal(scalar(KEY_CASES), 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.anomalies WHERE kind = 'card-key'"),
			 2);
}

/* Over the card's limit, attempts that do not prove the key get 429; its holder still
   logs in. */
static void
test_card_limit(void **state)
{
	struct session s;
	struct th_resp r;
	char nonce[64], *t;
	int i;

	(void)state;
	registered_card("limited", NULL);
	for (i = 0; i < 12; i++) {
		memset(&s, 0, sizeof(s));
		challenge(&s, nonce);
		t = token("limited", "https://evil.example", nonce);
		post(&s, "/api/v1/auth/webeid", t, &r, NULL);
		free(t);
		if (i < 10)
			assert_int_equal(r.status, 401);
		th_resp_free(&r);
	}
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	t = token("limited", "https://evil.example", nonce);
	assert_int_equal(post(&s, "/api/v1/auth/webeid", t, &r, NULL), 429);
	assert_string_equal(th_type(&r), "rate-limited");
	{
		char after[16];

		assert_non_null(th_header(&r, "Retry-After", after, sizeof(after)));
		assert_true(atoi(after) > 0);
	}
	th_resp_free(&r);
	free(t);
	expect_login("limited", 200, NULL, NULL);
}

/* SE-04: a session idle longer than session_idle_s ends at its next request. */
static void
test_idle_session_ends(void **state)
{
	struct session s;
	struct th_resp r;

	(void)state;
	registered_card("idle", NULL);
	token_login("idle", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	/* Sixteen minutes of silence, moved in the database. */
	assert_int_equal(
	    scalar("UPDATE portal.sessions SET last_seen = now() - interval "
		   "'16 minutes' WHERE person_id IS NOT NULL AND method = 'webeid' AND "
		   "binding_id = (SELECT max(id) FROM portal.card_bindings)"),
	    1);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 401);
	assert_string_equal(th_type(&r), "session-expired");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'expired'"),
			 1);
}

/* SE-05: a session lives at most session_max_s (8 h) from login, however busy. */
static void
test_session_lifetime(void **state)
{
	struct session s;
	struct th_resp r;

	(void)state;
	registered_card("lifetime", NULL);
	token_login("lifetime", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE expires_at - "
				"created_at = interval '8 hours' AND binding_id = "
				"(SELECT max(id) FROM portal.card_bindings)"),
			 1);
	/* Busy to the last second, then past the limit. */
	assert_int_equal(scalar("UPDATE portal.sessions SET expires_at = now() - interval "
				"'1 second', last_seen = now() WHERE binding_id = "
				"(SELECT max(id) FROM portal.card_bindings)"),
			 1);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 401);
	assert_string_equal(th_type(&r), "session-expired");
	th_resp_free(&r);
}

/* SE-09, LG-06: neither the session cookie nor the CSRF token of a login, nor the card's
   serial, reaches the operational log, which has by now seen many logins and requests,
   or PostgreSQL's. */
static void
test_no_secrets_in_log(void **state)
{
	char crt[512], person[64], pseudonym[64], serial[128], *log, *value, *pglog, *forms[3];
	struct session s;
	struct th_resp r;
	BIGNUM *bn;
	X509 *x;
	FILE *f;
	int i;

	(void)state;
	registered_card("quiet", NULL);
	token_login("quiet", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	/* The session request's line is the last of them. */
	log = th_log_when(&env, "\"route\":\"GET /api/v1/me/session\",\"status\":200", 5000);
	assert_non_null(value = strchr(s.cookie, '='));
	assert_true(strlen(value + 1) >= 43);
	assert_null(strstr(log, value + 1));
	assert_true(strlen(s.csrf) >= 22);
	assert_null(strstr(log, s.csrf));
	assert_non_null(strstr(log, "/api/v1/me/session")); /* the log is the right one */
	/* Nor the card's serial, in hex (either case) or decimal, in mado's log or
	   PostgreSQL's. */
	card_path("quiet", "crt", crt, sizeof(crt));
	assert_non_null(f = fopen(crt, "r"));
	assert_non_null(x = PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_non_null(bn = ASN1_INTEGER_to_BN(X509_get_serialNumber(x), NULL));
	assert_non_null(forms[0] = BN_bn2hex(bn));
	assert_non_null(forms[1] = BN_bn2dec(bn));
	assert_non_null(forms[2] = OPENSSL_strdup(forms[0]));
	for (char *c = forms[2]; *c != '\0'; c++)
		*c = (char)tolower((unsigned char)*c);
	assert_true(strlen(forms[0]) >= 16);
	snprintf(serial, sizeof(serial), "%s", forms[0]);
	assert_non_null(f = fopen(env.pglog, "r"));
	assert_non_null(pglog = calloc(1, 1 << 22));
	assert_true(fread(pglog, 1, (1 << 22) - 1, f) < (1 << 22) - 1);
	fclose(f);
	assert_null(strstr(pglog, value + 1));
	assert_null(strstr(pglog, s.csrf));
	for (i = 0; i < 3; i++) {
		assert_null(strstr(log, forms[i]));
		assert_null(strstr(pglog, forms[i]));
		OPENSSL_free(forms[i]);
	}
	/* Nor who the person is: their internal id and an organisation's pseudonym of them
	   (DP-01). */
	assert_int_equal(th_sql_str(&env, person, sizeof(person),
				    "SELECT b.person_id::text FROM portal.card_bindings b"
				    " WHERE b.serial = '%s'",
				    serial),
			 0);
	assert_int_equal(strlen(person), 36);
	assert_int_equal(th_sql_str(&env, pseudonym, sizeof(pseudonym),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " ORDER BY org_code LIMIT 1",
				    person),
			 0);
	assert_int_equal(strlen(pseudonym), 43);
	assert_null(strstr(log, person));
	assert_null(strstr(pglog, person));
	assert_null(strstr(log, pseudonym));
	assert_null(strstr(pglog, pseudonym));
	BN_free(bn);
	X509_free(x);
	free(pglog);
	free(log);
}

/* Production has no virtual cards: their routes do not exist. */
static void
test_no_demo_cards(void **state)
{
	struct th_resp r;

	(void)state;
	assert_int_equal(th_http(&env, "GET", "/api/v1/demo/cards", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	th_resp_free(&r);
	assert_int_equal(post(NULL, "/api/v1/demo/cards/rotate/token",
			      "{\"nonce\":\"12345678123456781234567812345678912356789123\"}", &r,
			      NULL),
			 404);
	th_resp_free(&r);
}

/* Revocation by CRL instead of OCSP: a listed card is refused, a missing CRL or one signed
   over SHA-1 fails closed. */
static void
test_crl(void **state)
{
	char line[512];

	(void)state;
	registered_card("crl-good", NULL);
	registered_card("crl-revoked", NULL);
	revoke("crl-revoked");
	assert_int_equal(th_sh("'%s' crl '%s' >/dev/null", MADO_CARD_BINARY, env.ca_dir), 0);
	assert_int_equal(th_mado_stop(&env), 0);
	snprintf(line, sizeof(line), "card_revocation = crl\ncard_crl = %s/ca.crl", env.ca_dir);
	assert_int_equal(th_conf_append(&env, line), 0);
	assert_int_equal(th_mado_start(&env), 0);
	expect_login("crl-good", 200, NULL, NULL);
	expect_login("crl-revoked", 401, "card-revoked", "revoked");
	/* No CRL to be had: refused, not let through. */
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_sh("mv '%s/ca.crl' '%s/ca.crl.gone'", env.ca_dir, env.ca_dir), 0);
	assert_int_equal(th_mado_start(&env), 0);
	expect_login("crl-good", 503, "revocation-check-failed", "crl_unavailable");
	/* A CRL the CA signed over SHA-1 answers nothing either (CR-03). */
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_sh("'%s' crl '%s' --md sha1 >/dev/null", MADO_CARD_BINARY, env.ca_dir),
			 0);
	assert_int_equal(th_mado_start(&env), 0);
	expect_login("crl-good", 503, "revocation-check-failed", "crl_unavailable");
	assert_int_equal(th_sh("mv '%s/ca.crl.gone' '%s/ca.crl'", env.ca_dir, env.ca_dir), 0);
	/* Back to OCSP for what follows. */
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "card_revocation = ocsp"), 0);
	assert_int_equal(th_mado_start(&env), 0);
}

/* TLS login changes state: only a POST from the TLS login page's origin logs in; a link
   (GET or HEAD) or another site's form gets nowhere and leaves no session. */
static void
test_tls_login_post_only(void **state)
{
	char cert[400], key[400], evil[] = "Origin: https://evil.example";
	const char *h[] = {evil, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	struct session s;
	struct th_resp r;
	long sessions;

	(void)state;
	/* The page with the form, on the login listener: its policy lets the form post
	   there and be sent on to the portal. */
	{
		struct th_req page = {"GET", "/tls-login.html", NULL, NULL, 0, NULL, NULL, true};
		char csp[600], want[128];

		assert_int_equal(th_request(&env, &page, &r), 0);
		assert_int_equal(r.status, 200);
		assert_non_null(
		    strstr(r.body, "<form method=\"post\" action=\"/api/v1/auth/tls\">"));
		assert_non_null(th_header(&r, "Content-Security-Policy", csp, sizeof(csp)));
		snprintf(want, sizeof(want), "form-action 'self' %s;", env.origin);
		assert_non_null(strstr(csp, want));
		th_resp_free(&r);
	}
	registered_card("tls-post", NULL);
	card_path("tls-post", "crt", cert, sizeof(cert));
	card_path("tls-post", "key", key, sizeof(key));
	sessions = scalar("SELECT count(*) FROM portal.sessions");
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 403);
	assert_string_equal(th_type(&r), "csrf-rejected");
	assert_null(strstr(r.headers, "Set-Cookie"));
	th_resp_free(&r);
	/* The portal's own origin is not the login page's either. */
	h[0] = origin_hdr;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 403);
	th_resp_free(&r);
	/* No Origin at all. */
	h[0] = NULL;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 403);
	th_resp_free(&r);
	rq.method = "GET";
	rq.body = NULL;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 405);
	th_resp_free(&r);
	rq.method = "HEAD";
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 405);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions"), sessions);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events e JOIN "
				"portal.card_bindings b ON b.person_id = e.person_id WHERE "
				"b.id = (SELECT max(id) FROM portal.card_bindings)"
				" AND e.event <> 'card-bound'"),
			 0);
	/* The page's own form. */
	h[0] = tls_origin_hdr;
	rq.method = "POST";
	rq.body = "";
	assert_int_equal(th_request(&env, &rq, &r), 0);
	memset(&s, 0, sizeof(s));
	take_cookie(&r, &s);
	logged_in(&s, &r);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
}

/* The person of the newest card binding: their sessions and logouts. */
#define NEWEST_PERSON                                                                              \
	"(SELECT person_id FROM portal.card_bindings WHERE id = (SELECT max(id) FROM "             \
	"portal.card_bindings))"

/* A shared terminal: starting a new login, or logging in, ends the session the browser
   still had, server-side, with a logout in its person's history. */
static void
test_new_login_ends_session(void **state)
{
	char cert[400], key[400], cookie[160], nonce[64];
	const char *h[] = {tls_origin_hdr, cookie, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	struct session s, old;
	struct th_resp r;

	(void)state;
	registered_card("shared", NULL);
	token_login("shared", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	old = s;
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = " NEWEST_PERSON), 1);
	/* The next person at the terminal starts a login in the same browser. */
	s.csrf[0] = '\0';
	challenge(&s, nonce);
	assert_string_not_equal(s.cookie, old.cookie);
	assert_int_equal(get(&old, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = " NEWEST_PERSON), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'logout' "
				"AND person_id = " NEWEST_PERSON),
			 1);

	/* A TLS login over a person's session ends it the same way. */
	token_login("shared", &s, &r);
	logged_in(&s, &r);
	th_resp_free(&r);
	snprintf(cookie, sizeof(cookie), "Cookie: %s", s.cookie);
	card_path("shared", "crt", cert, sizeof(cert));
	card_path("shared", "key", key, sizeof(key));
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
	assert_int_equal(get(&s, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = " NEWEST_PERSON), 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'logout' "
				"AND person_id = " NEWEST_PERSON),
			 2);
}

/* SE-10: a person holds at most 10 sessions of their own; the 11th login ends the one
   used longest ago, with a logout in their history. */
static void
test_session_limit(void **state)
{
	struct session s[11];
	struct th_resp r;
	int i;

	(void)state;
	registered_card("many", NULL);
	for (i = 0; i < 11; i++) {
		token_login("many", &s[i], &r);
		logged_in(&s[i], &r);
		th_resp_free(&r);
	}
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = " NEWEST_PERSON), 10);
	assert_int_equal(get(&s[0], "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	for (i = 1; i < 11; i++) {
		assert_int_equal(get(&s[i], "/api/v1/me/session", &r), 200);
		th_resp_free(&r);
	}
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'logout'"
				" AND reason = 'session-limit' AND person_id = " NEWEST_PERSON),
			 1);
	/* Another login ends the next of them, s[1], whose last use is now the oldest. */
	token_login("many", &s[0], &r);
	logged_in(&s[0], &r);
	th_resp_free(&r);
	assert_int_equal(get(&s[1], "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(get(&s[2], "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = " NEWEST_PERSON), 10);
}

/* SE-08: the operator ends a card holder's sessions (named by any card of theirs, revoked
   too), then everyone's, staff terminals included; each is a logout in the history. */
static void
test_operator_ends_sessions(void **state)
{
	struct session a, b;
	struct th_resp r;
	char args[600], cert[400];
	long open_sessions;

	(void)state;
	registered_card("ended-a", NULL);
	registered_card("ended-b", NULL);
	token_login("ended-a", &a, &r);
	logged_in(&a, &r);
	th_resp_free(&r);
	token_login("ended-b", &b, &r);
	logged_in(&b, &r);
	th_resp_free(&r);
	/* A terminal's staff session, as bench/oversight makes one. */
	assert_int_equal(
	    scalar("WITH s AS (INSERT INTO portal.staff (ref, key_hash, org_code, role)"
		   " SELECT 'S-00000000e0d1', repeat('e', 64), o.code, 'clerk'"
		   " FROM portal.organisations o ORDER BY o.code LIMIT 1 RETURNING id)"
		   " INSERT INTO portal.staff_sessions (id_hash, staff_id, csrf_token, expires_at,"
		   " cert) SELECT sha256('\\x01'), s.id, 'x', now() + interval '1 hour', '\\x00'"
		   " FROM s RETURNING 1"),
	    1);
	revoke("ended-a"); /* a lost card, revoked: it still names its holder */
	card_path("ended-a", "crt", cert, sizeof(cert));
	snprintf(args, sizeof(args), "end-sessions --cert '%s'", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(get(&a, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(get(&b, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'logout'"
				" AND reason = 'ended-by-operator'"),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff_sessions"), 1);

	/* A card nobody holds, neither option, both: refused, nothing ends. */
	card("ended-unknown", NULL);
	card_path("ended-unknown", "crt", cert, sizeof(cert));
	snprintf(args, sizeof(args), "end-sessions --cert '%s'", cert);
	assert_int_not_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(th_mado_cmd(&env, "end-sessions", NULL), 2);
	snprintf(args, sizeof(args), "end-sessions --all --cert '%s'", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 2);
	assert_int_equal(get(&b, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);

	/* The earlier tests' people still have sessions: every one of them ends. */
	open_sessions = scalar("SELECT count(*) FROM portal.sessions WHERE person_id IS NOT NULL");
	assert_true(open_sessions >= 1);
	assert_int_equal(th_mado_cmd(&env, "end-sessions --all", NULL), 0);
	assert_int_equal(get(&b, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE person_id IS NOT NULL"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff_sessions"), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE event = 'logout'"
				" AND reason = 'ended-by-operator'"),
			 1 + open_sessions);
}

/* A session for the person who holds card name, of a helper's kind (channel proxy), put
   straight into the database: 1 when it opened, -1 when refused. */
#define HELPER_SESSION(person, byte)                                                               \
	scalar("INSERT INTO portal.sessions (id_hash, person_id, binding_id, channel,"             \
	       " csrf_token, expires_at) SELECT sha256('\\x" byte "'), b.person_id, b.id,"         \
	       " 'proxy', 'x', now() + interval '1 hour' FROM portal.card_bindings b"              \
	       " WHERE b.person_id = '%s' LIMIT 1 RETURNING 1",                                    \
	       person)

/* SE-07: the operator disables a card holder's account. Their sessions end (a logout
   account-disabled), no login opens (403 account-disabled, nothing written), nor any
   session for them by another path (the database refuses it); the server's own role
   can neither see nor lift the hold; enabling lets them in again. The person's history
   has both, with the reason. */
static void
test_operator_disables_account(void **state)
{
	struct session a, b;
	struct th_resp r;
	char args[600], cert[400], held[40], other[40];
	bool seen_disabled = false, seen_enabled = false;
	long events;
	cJSON *j, *e;

	(void)state;
	registered_card("held-a", NULL);
	assert_int_equal(th_sql_str(&env, held, sizeof(held),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC"
				    " LIMIT 1"),
			 0);
	registered_card("held-b", NULL);
	assert_int_equal(th_sql_str(&env, other, sizeof(other),
				    "SELECT person_id FROM portal.card_bindings ORDER BY id DESC"
				    " LIMIT 1"),
			 0);
	token_login("held-a", &a, &r);
	logged_in(&a, &r);
	th_resp_free(&r);
	token_login("held-b", &b, &r);
	logged_in(&b, &r);
	th_resp_free(&r);
	card_path("held-a", "crt", cert, sizeof(cert));

	/* A reason outside the list, or no choice: usage errors, and nothing changes. */
	snprintf(args, sizeof(args), "account --cert '%s' --disable because", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 2);
	snprintf(args, sizeof(args), "account --cert '%s'", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.account_holds"), 0);
	assert_int_equal(get(&a, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);

	snprintf(args, sizeof(args), "account --cert '%s' --disable suspected-misuse", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(get(&a, "/api/v1/me/session", &r), 401);
	th_resp_free(&r);
	assert_int_equal(get(&b, "/api/v1/me/session", &r), 200);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND event = 'logout' AND reason = 'account-disabled'",
				held),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND event = 'disabled' AND method = 'operator'"
				" AND reason = 'suspected-misuse'",
				held),
			 1);

	/* No login opens for them, and the refusal writes nothing. */
	events = scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", held);
	assert_int_equal(token_login("held-a", &a, &r), 403);
	assert_string_equal(th_type(&r), "account-disabled");
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", held), 0);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", held),
	    events);
	/* Nor any other session for them, a helper's say: the database refuses it, whichever
	   path asks. (The same insertion for someone else opens one.) */
	assert_int_equal(HELPER_SESSION(other, "02"), 1);
	assert_int_equal(HELPER_SESSION(held, "03"), -1);
	assert_int_equal(scalar("DELETE FROM portal.sessions WHERE id_hash = sha256('\\x02')"
				" RETURNING 1"),
			 1);
	/* The server's own role can neither see nor lift the hold. */
	assert_int_equal(scalar("SET ROLE mado_app; SELECT count(*) FROM portal.account_holds"),
			 -1);
	assert_int_equal(scalar("SET ROLE mado_app; SELECT portal.account_enable('%s')::int", held),
			 -1);
	/* Disabling again changes nothing. */
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", held),
	    events);

	/* Enabled again: the card logs in, and the person sees both events with the reason. */
	snprintf(args, sizeof(args), "account --cert '%s' --enable", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.account_holds"), 0);
	token_login("held-a", &a, &r);
	logged_in(&a, &r);
	th_resp_free(&r);
	assert_int_equal(get(&a, "/api/v1/me/logins?limit=50", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(j, "items")) {
		if (strcmp(th_jstr(e, "event"), "disabled") == 0)
			seen_disabled = strcmp(th_jstr(e, "reason"), "suspected-misuse") == 0;
		if (strcmp(th_jstr(e, "event"), "enabled") == 0)
			seen_enabled = true;
	}
	cJSON_Delete(j);
	assert_true(seen_disabled);
	assert_true(seen_enabled);
	/* Enabling an account that is not disabled: nothing changes. */
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND event = 'enabled'",
				held),
			 1);
}

/* Attempts that carry no challenge (no cookie, or a pre-login session whose challenge is
   gone or late) are refused uncounted: anyone can send them, and counting them would lock
   everyone behind the sender's address out. Runs after test_address_limit, with its
   limit of 3 failed logins per address. */
static void
test_no_challenge_not_counted(void **state)
{
	struct session s;
	struct th_resp r;
	char nonce[64];
	int i;

	(void)state;
	registered_card("behind-nat", NULL);
	scalar("DELETE FROM portal.auth_failures");
	for (i = 0; i < 25; i++) {
		assert_int_equal(post(NULL, "/api/v1/auth/webeid", "{}", &r, NULL), 401);
		assert_string_equal(th_type(&r), "challenge-missing");
		th_resp_free(&r);
	}
	/* A pre-login session whose challenge was used, or ran out. */
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	assert_int_equal(post(&s, "/api/v1/auth/webeid", "{}", &r, NULL), 400);
	th_resp_free(&r);
	for (i = 0; i < 25; i++) {
		assert_int_equal(post(&s, "/api/v1/auth/webeid", "{}", &r, NULL), 401);
		th_resp_free(&r);
	}
	challenge(&s, nonce);
	scalar("UPDATE portal.auth_challenges SET expires_at = now() - interval '1 second'");
	for (i = 0; i < 2; i++) {
		post(&s, "/api/v1/auth/webeid", "{}", &r, NULL);
		th_resp_free(&r);
		challenge(&s, nonce);
		scalar(
		    "UPDATE portal.auth_challenges SET expires_at = now() - interval '1 second'");
	}
	/* Only the one attempt that had its challenge counts against the address. */
	assert_int_equal(scalar("SELECT failures FROM portal.auth_failures WHERE scope = 'addr' "
				"AND key_hash = encode(sha256('127.0.0.1'::bytea), 'hex')"),
			 1);
	expect_login("behind-nat", 200, NULL, NULL);
}

/* One pre-login session per browser; abandoned ones are cleared as challenges come, and
   one client gets public_rate_max challenges a minute, so the table stays bounded. */
static void
test_challenge_limit(void **state)
{
	struct session s, again;
	struct th_resp r;
	char nonce[64];
	long before;
	int i;

	(void)state;
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "public_rate_max = 5"), 0);
	assert_int_equal(th_mado_start(&env), 0);
	scalar("DELETE FROM portal.auth_failures");
	/* Expired pre-login sessions (with challenges) go, a bounded batch per challenge. */
	assert_int_equal(scalar("INSERT INTO portal.sessions (id_hash, csrf_token, expires_at) "
				"SELECT sha256(('gone' || i)::bytea), 'x', now() - interval '1 "
				"second' FROM generate_series(1, 100) i"),
			 100);
	assert_int_equal(
	    scalar("INSERT INTO portal.auth_challenges SELECT sha256(('gone' || "
		   "i)::bytea), repeat('n', 44), now() FROM generate_series(1, 100) i"),
	    100);
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	/* The same browser's next challenge reuses its pre-login session. */
	again = s;
	challenge(&again, nonce);
	assert_string_equal(again.cookie, s.cookie);
	challenge(&again, nonce);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE person_id IS NULL "
				"AND expires_at < now()"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.auth_challenges WHERE "
				"session_hash = sha256('gone1'::bytea)"),
			 0);
	/* New browsers, one after another, from one address. */
	before = scalar("SELECT count(*) FROM portal.sessions WHERE person_id IS NULL");
	for (i = 0; i < 20; i++) {
		assert_int_equal(post(NULL, "/api/v1/auth/challenge", NULL, &r, NULL),
				 i < 2 ? 200 : 429);
		if (i >= 2) {
			char after[16];

			assert_string_equal(th_type(&r), "rate-limited");
			assert_non_null(th_header(&r, "Retry-After", after, sizeof(after)));
			assert_true(atoi(after) > 0);
		}
		th_resp_free(&r);
	}
	assert_true(scalar("SELECT count(*) FROM portal.sessions WHERE person_id IS NULL") <=
		    before + 2);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "public_rate_max = 1000000"), 0);
	assert_int_equal(th_mado_start(&env), 0);
}

/* Per client address: restart with a low limit; every attempt from here is then refused. */
static void
test_address_limit(void **state)
{
	struct session s;
	struct th_resp r;
	char nonce[64];
	int i;

	(void)state;
	assert_int_equal(th_mado_stop(&env), 0);
	scalar("DELETE FROM portal.auth_failures");
	assert_int_equal(th_conf_append(&env, "login_fail_max_addr = 3"), 0);
	assert_int_equal(th_mado_start(&env), 0);
	for (i = 0; i < 3; i++) {
		memset(&s, 0, sizeof(s));
		challenge(&s, nonce);
		assert_int_equal(
		    post(&s, "/api/v1/auth/webeid", "{\"format\":\"web-eid:1\"}", &r, NULL), 400);
		th_resp_free(&r);
	}
	memset(&s, 0, sizeof(s));
	challenge(&s, nonce);
	assert_int_equal(post(&s, "/api/v1/auth/webeid", "{}", &r, NULL), 429);
	th_resp_free(&r);
}

/* ... except one whose signature verifies: the address's limit never refuses a card's
   holder (the card limiter's rule). */
static void
test_address_limit_spares_holder(void **state)
{
	(void)state;
	registered_card("holder", NULL);
	expect_login("holder", 200, NULL, NULL);
	expect_login("holder", 200, NULL, NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_login_rsa_and_ec),
	    cmocka_unit_test(test_token_claims_ignored),
	    cmocka_unit_test(test_token_login_ps256),
	    cmocka_unit_test(test_renewal_keeps_person),
	    cmocka_unit_test(test_session_id_rotates),
	    cmocka_unit_test(test_tls_login_rsa_and_ec),
	    cmocka_unit_test(test_tls_login_failures),
	    cmocka_unit_test(test_card_failures),
	    cmocka_unit_test(test_wrong_ca),
	    cmocka_unit_test(test_system_store_not_trusted),
	    cmocka_unit_test(test_revocation),
	    cmocka_unit_test(test_responder_problems),
	    cmocka_unit_test(test_nonce_rules),
	    cmocka_unit_test(test_signature_rules),
	    cmocka_unit_test(test_malformed_tokens),
	    cmocka_unit_test(test_token_made_by_openssl),
	    cmocka_unit_test(test_revoked_card_ends_session),
	    cmocka_unit_test(test_csrf),
	    cmocka_unit_test(test_login_history),
	    cmocka_unit_test(test_duplicate_key),
	    cmocka_unit_test(test_card_limit),
	    cmocka_unit_test(test_idle_session_ends),
	    cmocka_unit_test(test_session_lifetime),
	    cmocka_unit_test(test_no_secrets_in_log),
	    cmocka_unit_test(test_no_demo_cards),
	    cmocka_unit_test(test_crl),
	    cmocka_unit_test(test_tls_login_post_only),
	    cmocka_unit_test(test_new_login_ends_session),
	    cmocka_unit_test(test_session_limit),
	    cmocka_unit_test(test_operator_ends_sessions),
	    cmocka_unit_test(test_operator_disables_account),
	    cmocka_unit_test(test_challenge_limit),
	    cmocka_unit_test(test_address_limit),
	    cmocka_unit_test(test_address_limit_spares_holder),
	    cmocka_unit_test(test_no_challenge_not_counted),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
