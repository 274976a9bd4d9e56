/*
 * Support desks against a real mado, PostgreSQL, TLS and OCSP: staff log in with staff
 * certificates from the organisation CA and never as residents (nor residents as staff);
 * a visit is taken up by the resident's own card and may see, explain and withdraw, never
 * grant consent or touch cards, sessions or alerts; every request of it is in the
 * resident's log with the clerk; it ends at its time limit and with "end customer"; a
 * second card never continues a visit, and the next visit sees nothing of the last one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};

#define scalar(...)     th_sql(&env, __VA_ARGS__)
#define scalar_str(...) th_sql_str(&env, __VA_ARGS__)

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};

	*state = &env;
	return th_setup_people(&env, people, true);
}

/* The desk terminal's browser: the staff session and, in a visit, the resident's. */
struct terminal {
	char staff[128], staff_csrf[64], ref[24];
	char person[128], person_csrf[64];
	char visit[40], nonce[64];
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
	const char *h = r->headers, *line;
	size_t n = strlen(name);

	for (line = h; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
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

/* Logs in at the mTLS listener with the certificate cert (of the organisation CA's
   directory) on the staff login; returns the status. */
static long
staff_login_with(const char *cert_name, struct terminal *t, struct th_resp *r)
{
	char origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/staff/v1/auth/tls", h, "", 0, NULL, NULL, true};

	th_tls_origin(&env, origin, sizeof(origin));
	th_org_cert(&env, cert_name, &rq);
	assert_int_equal(th_request(&env, &rq, r), 0);
	if (r->status == 200) {
		assert_true(set_cookie(r, "__Host-staff", t->staff, sizeof(t->staff)));
		snprintf(t->staff_csrf, sizeof(t->staff_csrf), "%s", member(r, "csrf_token"));
		snprintf(t->ref, sizeof(t->ref), "%s", member(r, "staff"));
	}
	return r->status;
}

static void
staff_login(const char *cert_name, struct terminal *t)
{
	struct th_resp r;

	memset(t, 0, sizeof(*t));
	assert_int_equal(staff_login_with(cert_name, t, &r), 200);
	th_resp_free(&r);
	assert_non_null(strstr(t->ref, "S-"));
}

/* A request from the terminal: both cookies it holds; the staff token for /staff/ paths,
   the resident's otherwise. */
static long
term(struct terminal *t, const char *method, const char *path, const char *body, struct th_resp *r)
{
	char cookie[320], csrf[96], origin[96];
	const char *h[] = {cookie, csrf, origin, "Content-Type: application/json", NULL};
	char v[120];

	snprintf(cookie, sizeof(cookie), "Cookie: %s%s%s", t->staff,
		 t->person[0] != '\0' ? "; " : "", t->person);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s",
		 strncmp(path, "/staff/", 7) == 0 ? t->staff_csrf : t->person_csrf);
	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	assert_int_equal(th_http(&env, method, path, h, body, body != NULL ? strlen(body) : 0, r),
			 0);
	/* The browser keeps what the server sets. */
	if (set_cookie(r, "__Host-mado", v, sizeof(v)))
		snprintf(t->person, sizeof(t->person), "%s",
			 strcmp(v, "__Host-mado=") == 0 ? "" : v);
	return r->status;
}

/* A token the card signs for the visit's challenge (mado-card, as the reader would). */
static char *
card_token(const char *card, const char *nonce)
{
	char *t = th_card_token(env.ca_dir, card, env.origin, nonce, NULL);

	assert_non_null(t);
	return t;
}

static void
visit_start(struct terminal *t)
{
	struct th_resp r;

	assert_int_equal(term(t, "POST", "/staff/v1/visits", NULL, &r), 201);
	snprintf(t->visit, sizeof(t->visit), "%s", member(&r, "id"));
	snprintf(t->nonce, sizeof(t->nonce), "%s", member(&r, "nonce"));
	th_resp_free(&r);
	assert_int_equal(strlen(t->nonce), 44);
}

/* The resident's card on the visit: the answer's status. */
static long
visit_card(struct terminal *t, const char *card, struct th_resp *r)
{
	char path[160], *tok = card_token(card, t->nonce);
	long st;

	snprintf(path, sizeof(path), "/staff/v1/visits/%s/card", t->visit);
	st = term(t, "POST", path, tok, r);
	free(tok);
	if (st == 200)
		snprintf(t->person_csrf, sizeof(t->person_csrf), "%s", member(r, "csrf_token"));
	return st;
}

static void
visit_with(struct terminal *t, const char *card)
{
	struct th_resp r;

	cJSON *j;

	visit_start(t);
	assert_int_equal(visit_card(t, card, &r), 200);
	/* The visit's time (visit_max_s) from the card, and when the terminal warns. */
	j = th_json(&r);
	assert_true(cJSON_GetObjectItemCaseSensitive(j, "expires_in_s")->valueint > 1190);
	assert_true(cJSON_GetObjectItemCaseSensitive(j, "expires_in_s")->valueint <= 1200);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "warn_before_s")->valueint, 120);
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_true(t->person[0] != '\0');
}

static void
visit_end(struct terminal *t)
{
	char path[160], v[160];
	struct th_resp r;

	snprintf(path, sizeof(path), "/staff/v1/visits/%s/end", t->visit);
	assert_int_equal(term(t, "POST", path, NULL, &r), 204);
	/* The screen is cleared, but the staff session's cookie stays. */
	assert_non_null(th_header(&r, "Clear-Site-Data", v, sizeof(v)));
	assert_non_null(strstr(v, "\"storage\""));
	assert_non_null(strstr(v, "\"cache\""));
	assert_null(strstr(v, "cookies"));
	assert_true(t->person[0] == '\0');
	th_resp_free(&r);
}

/* The status of one request, the response freed; its problem type into type. */
static long
status_of(struct terminal *t, const char *method, const char *path, const char *body, char *type,
	  size_t tlen)
{
	struct th_resp r;
	long st = term(t, method, path, body, &r);

	if (type != NULL)
		snprintf(type, tlen, "%s", th_type(&r));
	th_resp_free(&r);
	return st;
}

/* A read of the resident's data, with the tests' reply key as the terminal sends its own. */
static const char *
data_path(void)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "/api/v1/me/data?reply_key=%s", th_reply_key());
	return buf;
}

/* The resident's name as the registry keeps it (its own database, its pseudonym). */
static void
set_name(const struct th_person *p, const char *name)
{
	char who[64];

	assert_int_equal(scalar_str(who, sizeof(who),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'residents-registry'",
				    p->id),
			 0);
	assert_int_equal(th_holder_sql(&env, "residents-registry",
				       "WITH u AS (UPDATE holder.holdings SET value ="
				       " '{\"ja\": \"%s\"}' WHERE pseudonym = '%s' AND item ="
				       " 'resident.name' RETURNING 1) SELECT count(*) FROM u",
				       name, who),
			 1);
}

/* The name in a read's sealed answers, opened with the tests' key. */
static const char *
name_in(const struct th_resp *r)
{
	static char buf[256];
	cJSON *j = th_json(r), *values;

	assert_non_null(j);
	assert_non_null(values = th_open_answers(j, th_jstr(j, "record")));
	snprintf(buf, sizeof(buf), "%s",
		 th_jstr(cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(values, "resident.name"), "value"),
			 "ja"));
	cJSON_Delete(values);
	cJSON_Delete(j);
	return buf;
}

/* Staff certificates never open a resident's session; cards never a staff session; and
   neither session's cookie opens the other's pages. */
static void
test_staff_and_residents_apart(void **state)
{
	char cert[400], key[400], origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, NULL, NULL, true};
	struct terminal t, card_as_staff;
	struct th_resp r;
	long sessions;

	(void)state;
	sessions = scalar("SELECT count(*) FROM portal.sessions");
	/* A staff certificate on the card login. */
	th_tls_origin(&env, origin, sizeof(origin));
	th_org_cert(&env, "desk-clerk", &rq);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(th_type(&r), "card-not-trusted");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions"), sessions);

	/* A card on the staff login; an organisation's system certificate, not staff. */
	th_card_file(&env, alice.card, "crt", cert, sizeof(cert));
	th_card_file(&env, alice.card, "key", key, sizeof(key));
	rq.path = "/staff/v1/auth/tls";
	rq.cert = cert;
	rq.key = key;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 403);
	assert_string_equal(th_type(&r), "staff-certificate-unknown");
	th_resp_free(&r);
	assert_int_equal(staff_login_with("tax-office", &card_as_staff, &r), 403);
	assert_string_equal(th_type(&r), "staff-certificate-unknown");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff_sessions"), 0);

	/* The resident's own session on a staff page. */
	memset(&card_as_staff, 0, sizeof(card_as_staff));
	snprintf(card_as_staff.staff, sizeof(card_as_staff.staff), "%s", alice.cookie);
	assert_int_equal(status_of(&card_as_staff, "GET", "/staff/v1/me", NULL, NULL, 0), 401);
	assert_int_equal(status_of(&card_as_staff, "POST", "/staff/v1/visits", NULL, NULL, 0), 401);

	/* The staff session on a resident's page. */
	staff_login("desk-clerk", &t);
	assert_int_equal(status_of(&t, "GET", "/staff/v1/me", NULL, NULL, 0), 200);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/session", NULL, NULL, 0), 401);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 401);
	/* The log names the clerk by reference, never by the certificate's name. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff WHERE ref = '%s'"
				" AND org_code = 'city-desk' AND role = 'clerk'",
				t.ref),
			 1);
}

/* A visit may see and withdraw; never grant consent, nor touch cards, sessions or alerts.
   Each request it made is in the resident's log with the clerk; the receipt and the
   resident's list of desk visits say what was done. */
static void
test_visit_limits_and_log(void **state)
{
	char path[200], type[64], consent[40], body[64];
	struct terminal t;
	struct th_resp r;
	long served = 0, before;
	cJSON *j, *v;
	char *themes;

	(void)state;
	/* Alice, in her own session, consents to a push programme. */
	assert_int_equal(th_person_http(&env, &alice, "POST", "/api/v1/me/consents/push",
					"{\"programme\":\"benefit-eligibility\"}", &r),
			 0);
	assert_int_equal(r.status, 201);
	snprintf(consent, sizeof(consent), "%s", member(&r, "id"));
	th_resp_free(&r);

	staff_login("desk-clerk", &t);
	before = scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
			" AND channel = 'desk'",
			alice.id);
	visit_with(&t, alice.card);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
				" AND channel = 'desk' AND desk_visit = '%s'",
				alice.id, t.visit),
			 1);

	/* What a visit may do. */
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 200);
	served++;
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/consents", NULL, NULL, 0), 200);
	served++;
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/notices", NULL, NULL, 0), 200);
	served++;
	assert_int_equal(status_of(&t, "GET", data_path(), NULL, NULL, 0), 200);
	served += 2; /* the request, and the read of the data named the same way */
	snprintf(path, sizeof(path), "/api/v1/me/consents/%s/revoke", consent);
	assert_int_equal(status_of(&t, "POST", path, "{}", NULL, 0), 200);
	served++;
	assert_int_equal(scalar("SELECT count(*) FROM portal.consents WHERE id = '%s'"
				" AND status = 'revoked'",
				consent),
			 1);

	/* What it may never do: grant consent, cards, sessions, alerts, login history. */
	snprintf(body, sizeof(body), "{\"programme\":\"benefit-eligibility\"}");
	assert_int_equal(
	    status_of(&t, "POST", "/api/v1/me/consents/push", body, type, sizeof(type)), 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(
	    status_of(&t, "POST",
		      "/api/v1/me/consent-requests/00000000-0000-4000-8000-000000000001/decision",
		      "{\"approve\":true,\"items\":[\"tax.income\"]}", type, sizeof(type)),
	    403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(
	    status_of(&t, "PUT", "/api/v1/me/alerts", "{\"mode\":\"off\"}", type, sizeof(type)),
	    403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(term(&t, "GET", "/api/v1/me/cards", NULL, &r), 403);
	/* The operational log names the desk, not the resident (asvs LG-02). */
	assert_non_null(j = th_request_line(&env, &r));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "actor")->valuestring,
			    "desk:city-desk");
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/sessions", NULL, type, sizeof(type)),
			 403);
	assert_int_equal(status_of(&t, "DELETE",
				   "/api/v1/me/sessions/00000000-0000-4000-8000-000000000001", NULL,
				   type, sizeof(type)),
			 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/logins", NULL, NULL, 0), 403);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/desk-visits", NULL, NULL, 0), 403);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consents WHERE person_id = '%s'"
				" AND status = 'active'",
				alice.id),
			 0);

	/* The receipt: this visit, with the clerk. */
	assert_int_equal(term(&t, "GET", "/api/v1/me/desk-visit", NULL, &r), 200);
	served++;
	assert_string_equal(member(&r, "id"), t.visit);
	assert_string_equal(member(&r, "clerk"), t.ref);
	assert_string_equal(member(&r, "organisation"), "city-desk");
	th_resp_free(&r);

	/* Every served request, and nothing refused, in Alice's log with the clerk. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'desk'",
				alice.id) -
			     before,
			 served);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
		   " AND channel = 'desk' AND (officer <> '%s' OR org_code <> 'city-desk'"
		   " OR officer_role <> 'clerk' OR purpose <> 'desk-visit')",
		   alice.id, t.ref),
	    0);
	/* My information read in a visit names the clerk, not "mado" or "self". */
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND 'resident.name' = ANY (items) AND channel = 'desk'",
				alice.id),
			 1);

	visit_end(&t);
	/* The visit's session is gone server-side. */
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions WHERE desk_visit = '%s'", t.visit), 0);

	/* Alice sees the visit and what was done, in her own session. */
	assert_int_equal(th_person_http(&env, &alice, "GET", "/api/v1/me/desk-visits", NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	j = th_json(&r);
	v = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "visits"), 0);
	assert_non_null(v);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "id")->valuestring, t.visit);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "clerk")->valuestring, t.ref);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(v, "end_reason")->valuestring,
			    "end-customer");
	themes = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(v, "themes"));
	assert_non_null(strstr(themes, "withdraw-consents"));
	assert_non_null(strstr(themes, "access-log"));
	cJSON_free(themes);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(v, "requests")->valueint, served - 1);
	cJSON_Delete(j);
	th_resp_free(&r);
}

/* A visit ends at its time limit (visit_max_s after the card): at the very next request. */
static void
test_visit_time_limit(void **state)
{
	struct terminal t;
	struct th_resp r;
	char type[64];
	long events;

	(void)state;
	staff_login("desk-clerk", &t);
	visit_with(&t, alice.card);
	assert_int_equal(scalar("SELECT extract(epoch FROM ends_at - card_at)::int"
				" FROM portal.desk_visits WHERE id = '%s'",
				t.visit),
			 1200);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions s JOIN portal.desk_visits v"
				" ON v.id = s.desk_visit WHERE v.id = '%s'"
				" AND s.expires_at = v.ends_at",
				t.visit),
			 1);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 200);
	/* The time runs out. */
	assert_int_equal(
	    scalar("UPDATE portal.desk_visits SET ends_at = now() - interval '1 second'"
		   " WHERE id = '%s'",
		   t.visit),
	    1);
	events =
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'", alice.id);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, type, sizeof(type)),
			 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(status_of(&t, "GET", data_path(), NULL, NULL, 0), 403);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'", alice.id),
	    events);
	/* And once the session's own end passes too, it is gone. */
	assert_int_equal(
	    scalar("UPDATE portal.sessions SET expires_at = now() - interval '1 second'"
		   " WHERE desk_visit = '%s'",
		   t.visit),
	    1);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, type, sizeof(type)),
			 401);
	assert_string_equal(type, "session-expired");
	/* Alice's list says it ended at its time. */
	assert_int_equal(th_person_http(&env, &alice, "GET", "/api/v1/me/desk-visits", NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.desk_visits WHERE id = '%s'"
				" AND end_reason = 'time-limit'",
				t.visit),
			 1);
}

/* A second card never continues a visit; the next visit sees nothing of the last one,
   and between visits the terminal reaches no resident's data. */
static void
test_second_card_new_visit(void **state)
{
	char alice_name[256], bob_name[256], old_person[128], type[64], first[40], second[40],
	    record[40];
	struct terminal t;
	struct th_resp r;

	(void)state;
	/* Names the test can tell apart, whatever the demo data drew. */
	snprintf(alice_name, sizeof(alice_name), "Alice Deskvisit");
	snprintf(bob_name, sizeof(bob_name), "Bob Deskvisit");
	set_name(&alice, alice_name);
	set_name(&bob, bob_name);

	staff_login("desk-clerk", &t);
	visit_with(&t, alice.card);
	assert_int_equal(term(&t, "GET", data_path(), NULL, &r), 200);
	assert_string_equal(name_in(&r), alice_name);
	th_resp_free(&r);
	snprintf(old_person, sizeof(old_person), "%s", t.person);

	/* Bob's card on Alice's visit: the visit ends, nothing of it goes on. */
	assert_int_equal(visit_card(&t, bob.card, &r), 409);
	assert_string_equal(th_type(&r), "visit-ended");
	assert_string_equal(th_reason(&r), "new-card");
	th_resp_free(&r);
	snprintf(t.person, sizeof(t.person), "%s", old_person);
	assert_int_equal(status_of(&t, "GET", data_path(), NULL, type, sizeof(type)), 401);
	assert_int_equal(scalar("SELECT count(*) FROM portal.desk_visits WHERE id = '%s'"
				" AND end_reason = 'new-card' AND person_id = '%s'",
				t.visit, alice.id),
			 1);

	/* A new visit ends whatever the terminal had, and its cookie goes. */
	snprintf(first, sizeof(first), "%s", t.visit);
	visit_with(&t, alice.card);
	snprintf(second, sizeof(second), "%s", t.visit);
	snprintf(old_person, sizeof(old_person), "%s", t.person);
	visit_start(&t);
	assert_true(t.person[0] == '\0');
	snprintf(t.person, sizeof(t.person), "%s", old_person);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 401);
	t.person[0] = '\0';
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 401);

	/* Bob's visit shows Bob's data, never Alice's. */
	assert_int_equal(visit_card(&t, bob.card, &r), 200);
	snprintf(t.person_csrf, sizeof(t.person_csrf), "%s", member(&r, "csrf_token"));
	th_resp_free(&r);
	assert_int_equal(term(&t, "GET", data_path(), NULL, &r), 200);
	/* Sealed to the terminal's key: the names are in the answers, not in what Mado sent. */
	assert_string_equal(name_in(&r), bob_name);
	assert_null(strstr(r.body, bob_name));
	assert_null(strstr(r.body, alice_name));
	snprintf(record, sizeof(record), "%s", member(&r, "record"));
	th_resp_free(&r);
	/* Recorded as the desk's read of bob's data. */
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
		   " AND event_id = '%s' AND channel = 'desk' AND purpose = 'desk-visit'"
		   " AND org_code = 'city-desk' AND cardinality(items) = 11"
		   " AND outcome = 'served'",
		   bob.id, record),
	    1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions WHERE desk_visit IN"
				" ('%s', '%s') OR (desk_visit = '%s' AND person_id <> '%s')",
				first, second, t.visit, bob.id),
			 0);
	/* The same card twice on a visit is no more welcome than another. */
	assert_int_equal(visit_card(&t, bob.card, &r), 409);
	th_resp_free(&r);
	visit_end(&t);
}

/* A desk-lead's visit may set the safety flag; a clerk's may not. A terminal ends only
   its own visits. A revoked staff key ends its visits at the next request; a staff logout
   ends the terminal's visit. */
static void
test_roles_and_revoked_staff(void **state)
{
	char path[160], type[64], old_person[128];
	struct terminal lead, clerk;
	struct th_resp r;

	(void)state;
	staff_login("desk-lead", &lead);
	visit_with(&lead, bob.card);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.sessions s,"
		   " portal.session_helper(s.id_hash) h WHERE s.desk_visit = '%s'"
		   " AND 'safety-flag' = ANY (h.acts) AND h.officer_role = 'desk-lead'",
		   lead.visit),
	    1);
	staff_login("desk-clerk", &clerk);
	visit_with(&clerk, alice.card);
	assert_int_equal(scalar("SELECT count(*) FROM portal.sessions s,"
				" portal.session_helper(s.id_hash) h WHERE s.desk_visit = '%s'"
				" AND NOT 'safety-flag' = ANY (h.acts)",
				clerk.visit),
			 1);
	/* Two terminals, two visits: each ends only its own. */
	snprintf(path, sizeof(path), "/staff/v1/visits/%s/end", clerk.visit);
	assert_int_equal(status_of(&lead, "POST", path, NULL, NULL, 0), 204);
	snprintf(path, sizeof(path), "/staff/v1/visits/%s/card", clerk.visit);
	assert_int_equal(status_of(&lead, "POST", path, "{}", type, sizeof(type)), 409);
	assert_string_equal(type, "visit-ended");
	visit_end(&lead);
	assert_int_equal(status_of(&clerk, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 200);
	assert_int_equal(scalar("SELECT count(*) FROM portal.desk_visits WHERE id = '%s'"
				" AND ended_at IS NULL",
				clerk.visit),
			 1);

	assert_int_equal(
	    scalar("UPDATE portal.staff SET revoked_at = now() WHERE ref = '%s'", clerk.ref), 1);
	assert_int_equal(status_of(&clerk, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 403);
	assert_int_equal(status_of(&clerk, "GET", "/staff/v1/me", NULL, NULL, 0), 401);
	assert_int_equal(
	    scalar("UPDATE portal.staff SET revoked_at = NULL WHERE ref = '%s'", clerk.ref), 1);

	/* A staff logout ends the terminal's visit and clears the screen and both cookies. */
	staff_login("desk-clerk", &clerk);
	visit_with(&clerk, bob.card);
	snprintf(old_person, sizeof(old_person), "%s", clerk.person);
	assert_int_equal(term(&clerk, "POST", "/staff/v1/auth/logout", NULL, &r), 204);
	assert_non_null(th_header(&r, "Clear-Site-Data", type, sizeof(type)));
	assert_non_null(strstr(type, "cookies"));
	th_resp_free(&r);
	assert_int_equal(status_of(&clerk, "GET", "/staff/v1/me", NULL, NULL, 0), 401);
	snprintf(clerk.person, sizeof(clerk.person), "%s", old_person);
	assert_int_equal(status_of(&clerk, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 401);
	assert_int_equal(scalar("SELECT count(*) FROM portal.desk_visits WHERE id = '%s'"
				" AND end_reason = 'staff-logout'",
				clerk.visit),
			 1);
}

/* Alice offers Bob a mandate in her own session; Bob accepts it in his. Returns its id. */
static void
mandate_for_bob(char *id, size_t len)
{
	char body[160], code[64];
	struct th_resp r;

	assert_int_equal(th_person_http(&env, &alice, "POST", "/api/v1/me/mandates",
					"{\"themes\":[\"access-log\"],\"label\":\"Bob\","
					"\"ends_on\":\"2027-01-31\"}",
					&r),
			 0);
	assert_int_equal(r.status, 201);
	snprintf(id, len, "%s", member(&r, "id"));
	snprintf(code, sizeof(code), "%s", member(&r, "code"));
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"code\":\"%s\",\"label\":\"Alice\"}", code);
	assert_int_equal(th_person_http(&env, &bob, "POST", "/api/v1/proxy/accept", body, &r), 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
}

/* At the desk: no visit may give a mandate; any visit may end one on the resident's word;
   only a desk-lead's visit may set the safety flag, which ends every mandate at once. */
static void
test_visits_and_mandates(void **state)
{
	char id[40], path[160], type[64];
	struct terminal clerk, lead;

	(void)state;
	mandate_for_bob(id, sizeof(id));
	staff_login("desk-clerk", &clerk);
	visit_with(&clerk, alice.card);
	assert_int_equal(status_of(&clerk, "POST", "/api/v1/me/mandates",
				   "{\"themes\":[\"access-log\"],\"label\":\"X\","
				   "\"ends_on\":\"2027-01-31\"}",
				   type, sizeof(type)),
			 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(
	    status_of(&clerk, "POST", "/api/v1/me/safety-flag", NULL, type, sizeof(type)), 403);
	assert_string_equal(type, "own-session-only");
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.safety_flags WHERE person_id = '%s'", alice.id), 0);
	snprintf(path, sizeof(path), "/api/v1/me/mandates/%s/revoke", id);
	assert_int_equal(status_of(&clerk, "POST", path, NULL, NULL, 0), 200);
	assert_int_equal(scalar("SELECT count(*) FROM portal.mandates WHERE id = '%s'"
				" AND end_reason = 'revoked-at-desk'",
				id),
			 1);
	visit_end(&clerk);

	mandate_for_bob(id, sizeof(id));
	staff_login("desk-lead", &lead);
	visit_with(&lead, alice.card);
	assert_int_equal(status_of(&lead, "POST", "/api/v1/me/safety-flag", NULL, NULL, 0), 200);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.safety_flags WHERE person_id = '%s'", alice.id), 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.mandates m WHERE m.id = '%s'"
				" AND portal.mandate_state(m) = 'safety-flag'",
				id),
			 1);
	visit_end(&lead);
}

/* AZ-07: staff_from keeps desk staff to the terminals' networks. From any other address
   the staff login and a staff cookie already held get 403 forbidden; a list holding the
   terminal's address lets them in again. metrics_from takes blocks alike. */
static void
test_staff_only_from_terminals(void **state)
{
	struct terminal t;
	struct th_resp r;
	long sessions;

	(void)state;
	staff_login("desk-clerk", &t);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "staff_from = 192.0.2.0/24, 2001:db8::/32\n"
					      "metrics_from = 192.0.2.0/24"),
			 0);
	assert_int_equal(th_mado_start(&env), 0);
	/* The operator's /metrics has its list too. */
	assert_int_equal(th_http(&env, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 403);
	assert_string_equal(th_type(&r), "forbidden");
	th_resp_free(&r);
	assert_int_equal(term(&t, "GET", "/staff/v1/me", NULL, &r), 403);
	assert_string_equal(th_type(&r), "forbidden");
	th_resp_free(&r);
	sessions = scalar("SELECT count(*) FROM portal.staff_sessions x JOIN portal.staff s"
			  " ON s.id = x.staff_id WHERE s.ref = '%s'",
			  t.ref);
	assert_true(sessions >= 1);
	assert_int_equal(staff_login_with("desk-clerk", &t, &r), 403);
	assert_string_equal(th_type(&r), "forbidden");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff_sessions x JOIN portal.staff s"
				" ON s.id = x.staff_id WHERE s.ref = '%s'",
				t.ref),
			 sessions); /* the refused login opened nothing */

	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "staff_from = 10.0.0.0/8, 127.0.0.0/8\n"
					      "metrics_from = 127.0.0.0/8"),
			 0);
	assert_int_equal(th_mado_start(&env), 0);
	assert_int_equal(th_http(&env, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
	assert_int_equal(status_of(&t, "GET", "/staff/v1/me", NULL, NULL, 0), 200);
	staff_login("desk-clerk", &t);
	assert_int_equal(status_of(&t, "GET", "/staff/v1/me", NULL, NULL, 0), 200);
}

/* A staff certificate is checked for revocation by the same code as an organisation's
   system, at login and every card_recheck_s of the session: revoked at its CA, the staff
   member's session and their terminal's visit end at the next check, and they log in no
   more. (Last: it changes the configuration.) */
static void
test_revoked_staff_certificate(void **state)
{
	struct terminal t;
	struct th_resp r;
	char line[400];

	(void)state;
	assert_int_equal(th_sh("'%s' crl '%s' >/dev/null", MADO_CARD_BINARY, env.org_dir), 0);
	assert_int_equal(th_mado_stop(&env), 0);
	snprintf(line, sizeof(line),
		 "org_revocation = crl\ncard_crl = %s/ca.crl\ncard_crl_refresh_s = 1\n"
		 "card_recheck_s = 1",
		 env.org_dir);
	assert_int_equal(th_conf_append(&env, line), 0);
	assert_int_equal(th_mado_start(&env), 0);
	staff_login("desk-lead", &t);
	visit_with(&t, alice.card);
	assert_int_equal(status_of(&t, "GET", "/staff/v1/me", NULL, NULL, 0), 200);

	/* Revoked at the CA during the session. */
	assert_int_equal(th_sh("'%s' revoke '%s' desk-lead >/dev/null && '%s' crl '%s' >/dev/null",
			       MADO_CARD_BINARY, env.org_dir, MADO_CARD_BINARY, env.org_dir),
			 0);
	sleep(2); /* past card_crl_refresh_s and card_recheck_s */
	assert_int_equal(term(&t, "GET", "/staff/v1/me", NULL, &r), 403);
	assert_string_equal(th_type(&r), "staff-certificate-unknown");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff WHERE ref = '%s' AND"
				" revoked_at IS NOT NULL",
				t.ref),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.staff_sessions x JOIN portal.staff s"
				" ON s.id = x.staff_id WHERE s.ref = '%s'",
				t.ref),
			 0);
	assert_int_equal(status_of(&t, "GET", "/staff/v1/me", NULL, NULL, 0), 401);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 401);
	assert_int_equal(staff_login_with("desk-lead", &t, &r), 403);
	assert_string_equal(th_type(&r), "staff-certificate-unknown");
	assert_non_null(strstr(th_reason(&r), "revoked"));
	th_resp_free(&r);

	/* The operator revokes the clerk in Mado: the terminal's session and visit end now. */
	staff_login("desk-clerk", &t);
	visit_with(&t, alice.card);
	snprintf(line, sizeof(line), "staff-bind --revoke --cert '%s/cards/desk-clerk.crt'",
		 env.org_dir);
	assert_int_equal(th_mado_cmd(&env, line, NULL), 0);
	assert_int_equal(status_of(&t, "GET", "/staff/v1/me", NULL, NULL, 0), 401);
	assert_int_equal(status_of(&t, "GET", "/api/v1/me/access-log", NULL, NULL, 0), 401);
	assert_int_equal(staff_login_with("desk-clerk", &t, &r), 403);
	th_resp_free(&r);
	/* A revoked key is never bound again. */
	snprintf(line, sizeof(line),
		 "staff-bind --org city-desk --role clerk --cert '%s/cards/desk-clerk.crt'",
		 env.org_dir);
	assert_int_not_equal(th_mado_cmd(&env, line, NULL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_staff_and_residents_apart),
	    cmocka_unit_test(test_visit_limits_and_log),
	    cmocka_unit_test(test_visit_time_limit),
	    cmocka_unit_test(test_second_card_new_visit),
	    cmocka_unit_test(test_roles_and_revoked_staff),
	    cmocka_unit_test(test_visits_and_mandates),
	    cmocka_unit_test(test_staff_only_from_terminals),
	    cmocka_unit_test(test_revoked_staff_certificate),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
