/*
 * Consent against a real PostgreSQL and a real mado: private services (mTLS with their
 * organisation certificates) ask, the person approves in their own session, the service
 * exchanges the code for a grant and fetches; the data holders answer sealed to the
 * service's reply key, through mado, and filter by the period in force; every refusal is
 * recorded; a revocation is in force for the next request even while fetches run; push
 * notices need their consent.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;
static const char jsonct[] = "Content-Type: application/json";

static struct th_person alice = {.card = "alice"};

#define scalar(...) th_sql(&env, __VA_ARGS__)

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, NULL};

	*state = &env;
	/* Made before any thread asks for it. */
	if (th_reply_key()[0] == '\0')
		return -1;
	return th_setup_people(&env, people, true);
}

static long
org_call(const char *org, const char *path, const char *body, struct th_resp *r)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {"POST", path, h, body, strlen(body), NULL, NULL, true};

	th_org_cert(&env, org, &rq);
	assert_int_equal(th_request(&env, &rq, r), 0);
	return r->status;
}

static long
as_alice(const char *method, const char *path, const char *body, struct th_resp *r)
{
	assert_int_equal(th_person_http(&env, &alice, method, path, body, r), 0);
	return r->status;
}

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

/* The whole flow: request, approval of items, code, grant. Returns the grant. */
static const char *
consent_for(const char *org, const char *purpose, const char *asked, const char *approved,
	    const char *extra, char consent_id[40])
{
	static char grant[64];
	char body[1024], path[160], code[64], *p;
	const char *redirect = strcmp(org, "kakeibo-app") == 0
				   ? "https://kakeibo.example/callback"
				   : "https://sakura-bank.example/loan/callback";
	struct th_resp r;

	snprintf(body, sizeof(body),
		 "{\"purpose\":\"%s\",\"items\":%s,\"redirect_uri\":\"%s\",\"state\":\"s-1\"%s}",
		 purpose, asked, redirect, extra != NULL ? extra : "");
	assert_int_equal(org_call(org, "/rp/v1/consent-requests", body, &r), 201);
	snprintf(path, sizeof(path), "/api/v1/me/consent-requests/%s/decision", member(&r, "id"));
	assert_non_null(strstr(member(&r, "approve_url"), "/#/consent-request?id="));
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"approve\":true,\"items\":%s}", approved);
	assert_int_equal(as_alice("POST", path, body, &r), 200);
	snprintf(consent_id, 40, "%s", member(&r, "consent_id"));
	assert_non_null(p = strstr(member(&r, "redirect"), "code="));
	assert_non_null(strstr(member(&r, "redirect"), "state=s-1"));
	snprintf(code, sizeof(code), "%.43s", p + 5);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	assert_int_equal(org_call(org, "/rp/v1/token", body, &r), 200);
	snprintf(grant, sizeof(grant), "%s", member(&r, "grant"));
	th_resp_free(&r);
	/* A code works once. */
	assert_int_equal(org_call(org, "/rp/v1/token", body, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	th_resp_free(&r);
	return grant;
}

static long
fetch(const char *org, const char *grant, const char *items, const char *extra, struct th_resp *r)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"grant\":\"%s\",\"items\":%s,\"reply_key\":\"%s\"%s}",
		 grant, items, th_reply_key(), extra != NULL ? extra : "");
	return org_call(org, "/rp/v1/data", body, r);
}

/* A served fetch's answers, opened with the service's reply key: item -> {value, as_of}. */
static cJSON *
opened(const struct th_resp *r)
{
	cJSON *j = th_json(r), *items;
	const cJSON *event;

	assert_non_null(j);
	event = cJSON_GetObjectItemCaseSensitive(j, "event_id");
	assert_true(cJSON_IsString(event));
	items = th_open_answers(j, event->valuestring);
	cJSON_Delete(j);
	assert_non_null(items);
	return items;
}

/* The holder's pseudonym for alice. */
static const char *
alice_at(const char *org)
{
	static char buf[64];

	assert_int_equal(th_sql_str(&env, buf, sizeof(buf),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = '%s'",
				    alice.id, org),
			 0);
	return buf;
}

/* Whether item's opened value is what the holder holds for alice (jsonb compares). */
static long
holder_has(const cJSON *items, const char *org, const char *item)
{
	char *value = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(items, item), "value"));
	long n;

	assert_non_null(value);
	n = th_holder_sql(&env, org,
			  "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s' AND item ="
			  " '%s' AND value = '%s'::jsonb",
			  alice_at(org), item, value);
	cJSON_free(value);
	return n;
}

/* A refused fetch: 403 consent-refused with reason, and a denied entry in the log. */
static void
refused(const char *org, const char *grant, const char *items, const char *extra,
	const char *reason, const char *consent_id)
{
	long before = scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
			     " AND outcome = 'denied' AND reason = 'consent-%s'",
			     consent_id, reason);
	struct th_resp r;

	if (fetch(org, grant, items, extra, &r) != 403 ||
	    strcmp(th_type(&r), "consent-refused") != 0 ||
	    strcmp(member(&r, "reason"), reason) != 0)
		fail_msg("wanted a refusal for %s, got %ld %s", reason, r.status, r.body);
	assert_null(strstr(r.body, "yen"));
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
				" AND outcome = 'denied' AND reason = 'consent-%s'",
				consent_id, reason),
			 before + 1);
}

static void receipt_status(const struct th_resp *r, char status[32], char now[32]);

static void
change(const char *consent_id, const char *action, long status)
{
	char path[160];
	struct th_resp r;

	snprintf(path, sizeof(path), "/api/v1/me/consents/%s/%s", consent_id, action);
	assert_int_equal(as_alice("POST", path, "", &r), status);
	th_resp_free(&r);
}

static void
test_fetch_under_consent(void **state)
{
	char consent[40], pseud[64];
	const char *grant;
	struct th_resp r;

	(void)state;
	grant =
	    consent_for("kakeibo-app", "budget.planning", "[\"tax.income\",\"pension.benefit\"]",
			"[\"tax.income\"]", ",\"frequency\":{\"unit\":\"day\",\"max\":5}", consent);
	assert_int_equal(fetch("kakeibo-app", grant, "[\"tax.income\"]", NULL, &r), 200);
	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'kakeibo-app'",
				    alice.id),
			 0);
	assert_string_equal(member(&r, "person"), pseud); /* its own pseudonym, nothing else */
	assert_null(strstr(r.body, alice.id));
	/* The tax office's value, as it holds it, and only the item asked for. */
	{
		cJSON *items = opened(&r);

		assert_int_equal(cJSON_GetArraySize(items), 1);
		assert_int_equal(holder_has(items, "tax-office", "tax.income"), 1);
		cJSON_Delete(items);
	}
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
		   " AND channel = 'private' AND outcome = 'served' AND person_id = '%s'",
		   consent, alice.id),
	    1);
	/* The person sees the consent among their own, active, with what it covers. */
	assert_int_equal(as_alice("GET", "/api/v1/me/consents", NULL, &r), 200);
	{
		cJSON *j = th_json(&r), *c;
		int found = 0;

		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(j, "consents")) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");

			if (cJSON_IsString(id) && strcmp(id->valuestring, consent) == 0) {
				found = 1;
				assert_string_equal(
				    cJSON_GetObjectItemCaseSensitive(c, "status")->valuestring,
				    "active");
			}
		}
		cJSON_Delete(j);
		assert_true(found);
	}
	th_resp_free(&r);
	/* An item the person left out; a grant of another service; an invented grant. */
	refused("kakeibo-app", grant, "[\"pension.benefit\"]", NULL, "items", consent);
	assert_int_equal(fetch("sakura-bank", grant, "[\"tax.income\"]", NULL, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	th_resp_free(&r);
	assert_int_equal(fetch("kakeibo-app", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			       "[\"tax.income\"]", NULL, &r),
			 401);
	th_resp_free(&r);

	/* By pseudonym: someone who never consented is refused, and sees it was tried. */
	{
		char body[512], bob_pseud[64];

		/* Someone else, registered, who has never dealt with the service. */
		assert_int_equal(scalar("INSERT INTO portal.people DEFAULT VALUES"), 1);
		assert_int_equal(
		    th_sql_str(&env, bob_pseud, sizeof(bob_pseud),
			       "SELECT s.pseudonym FROM portal.pseudonyms s WHERE"
			       " s.org_code = 'kakeibo-app' AND s.person_id <> '%s' LIMIT 1",
			       alice.id),
		    0);
		snprintf(body, sizeof(body),
			 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
			 "\"budget.planning\",\"reply_key\":\"%s\"}",
			 bob_pseud, th_reply_key());
		assert_int_equal(org_call("kakeibo-app", "/rp/v1/data", body, &r), 403);
		assert_string_equal(member(&r, "reason"), "no-consent");
		th_resp_free(&r);
		assert_int_equal(scalar("SELECT count(*) FROM portal.access_events e JOIN"
					" portal.pseudonyms s ON s.person_id = e.person_id AND"
					" s.org_code = 'kakeibo-app' WHERE s.pseudonym = '%s' AND"
					" e.reason = 'consent-no-consent'",
					bob_pseud),
				 1);
		/* By pseudonym the service says for which purpose (review finding 6). */
		snprintf(body, sizeof(body),
			 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"reply_key\":\"%s\"}",
			 pseud, th_reply_key());
		assert_int_equal(org_call("kakeibo-app", "/rp/v1/data", body, &r), 422);
		assert_string_equal(th_type(&r), "validation-failed");
		assert_string_equal(member(&r, "field"), "purpose");
		th_resp_free(&r);
		/* For a purpose the person did not consent to: refused, and recorded. */
		snprintf(body, sizeof(body),
			 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
			 "\"loan.screening\",\"reply_key\":\"%s\"}",
			 pseud, th_reply_key());
		assert_int_equal(org_call("kakeibo-app", "/rp/v1/data", body, &r), 403);
		assert_string_equal(member(&r, "reason"), "no-consent");
		th_resp_free(&r);
		/* By pseudonym and purpose the person who did consent is served. */
		snprintf(body, sizeof(body),
			 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
			 "\"budget.planning\",\"reply_key\":\"%s\"}",
			 pseud, th_reply_key());
		assert_int_equal(org_call("kakeibo-app", "/rp/v1/data", body, &r), 200);
		th_resp_free(&r);
	}

	/* Paused, resumed, then revoked for good. */
	change(consent, "pause", 200);
	refused("kakeibo-app", grant, "[\"tax.income\"]", NULL, "paused", consent);
	change(consent, "resume", 200);
	assert_int_equal(fetch("kakeibo-app", grant, "[\"tax.income\"]", NULL, &r), 200);
	th_resp_free(&r);
	change(consent, "revoke", 200);
	refused("kakeibo-app", grant, "[\"tax.income\"]", NULL, "revoked", consent);
	change(consent, "resume", 409);
	/* The history keeps every step. */
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.consent_events WHERE consent_id = '%s'", consent),
	    4);
	assert_int_equal(scalar("SET ROLE mado_owner; DELETE FROM portal.consent_events"), -1);
}

/* One consent as the person sees it: every use in the ledger, each linked to the access-log
   entry it made (served, under this consent), and every step in the history, each with its
   own signed receipt (issue 11). Another consent's step has no receipt here. */
static void
test_consent_ledger_and_history(void **state)
{
	char consent[40], path[200], other_step[24], status[32], now[32];
	const char *grant;
	struct th_resp r;
	const cJSON *u, *h;
	cJSON *j;
	int n = 0;

	(void)state;
	grant =
	    consent_for("kakeibo-app", "budget.planning", "[\"tax.income\",\"pension.benefit\"]",
			"[\"tax.income\",\"pension.benefit\"]",
			",\"frequency\":{\"unit\":\"day\",\"max\":10}", consent);
	assert_int_equal(fetch("kakeibo-app", grant, "[\"tax.income\"]", NULL, &r), 200);
	th_resp_free(&r);
	assert_int_equal(
	    fetch("kakeibo-app", grant, "[\"tax.income\",\"pension.benefit\"]", NULL, &r), 200);
	th_resp_free(&r);
	/* A refusal is in the log but is not a use. */
	change(consent, "pause", 200);
	refused("kakeibo-app", grant, "[\"tax.income\"]", NULL, "paused", consent);
	change(consent, "resume", 200);

	snprintf(path, sizeof(path), "/api/v1/me/consents/%s", consent);
	assert_int_equal(as_alice("GET", path, NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "uses")->valueint, 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "use_list")), 2);
	/* Newest first: the second fetch named both items. */
	u = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "use_list"), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(u, "items")), 2);
	cJSON_ArrayForEach (u, cJSON_GetObjectItemCaseSensitive(j, "use_list")) {
		const cJSON *entry = cJSON_GetObjectItemCaseSensitive(u, "entry");
		struct th_resp e;
		cJSON *ej;

		assert_true(cJSON_IsNumber(entry));
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(u, "at")));
		snprintf(path, sizeof(path), "/api/v1/me/access-log/%.0f", entry->valuedouble);
		assert_int_equal(as_alice("GET", path, NULL, &e), 200);
		assert_non_null(ej = th_json(&e));
		th_resp_free(&e);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(ej, "consent_id")->valuestring,
				    consent);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(ej, "outcome")->valuestring,
				    "served");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(ej, "channel")->valuestring,
				    "private");
		cJSON_Delete(ej);
	}
	/* The history, oldest first: given, paused, resumed, each by the person's own session,
	   each step's receipt stating that step. */
	cJSON_ArrayForEach (h, cJSON_GetObjectItemCaseSensitive(j, "history")) {
		static const char *const types[] = {"given", "paused", "resumed"};
		static const char *const statuses[] = {"active", "paused", "active"};
		const cJSON *event = cJSON_GetObjectItemCaseSensitive(h, "event");

		assert_true(n < 3);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(h, "type")->valuestring,
				    types[n]);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(h, "status")->valuestring,
				    statuses[n]);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(h, "actor")->valuestring,
				    "person");
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(h, "channel")->valuestring,
				    "self");
		assert_true(cJSON_IsNumber(event));
		snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt?event=%.0f", consent,
			 event->valuedouble);
		assert_int_equal(as_alice("GET", path, NULL, &r), 200);
		receipt_status(&r, status, now);
		th_resp_free(&r);
		assert_string_equal(status, statuses[n]);
		assert_string_equal(now, "active");
		n++;
	}
	assert_int_equal(n, 3);
	cJSON_Delete(j);
	/* A step of another consent is not a step of this one. */
	assert_int_equal(
	    th_sql_str(&env, other_step, sizeof(other_step),
		       "SELECT min(id) FROM portal.consent_events WHERE consent_id <> '%s'",
		       consent),
	    0);
	snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt?event=%s", consent,
		 other_step);
	assert_int_equal(as_alice("GET", path, NULL, &r), 404);
	th_resp_free(&r);
}

static void
test_frequency_range_expiry(void **state)
{
	char consent[40];
	const char *grant;
	struct th_resp r;

	(void)state;
	grant = consent_for("sakura-bank", "loan.screening", "[\"tax.income\"]", "[\"tax.income\"]",
			    ",\"frequency\":{\"unit\":\"once\"},\"data_from\":\"2025-01-01\","
			    "\"data_to\":\"2025-12-31\"",
			    consent);
	refused("sakura-bank", grant, "[\"tax.income\"]", ",\"from\":\"2024-01-01\"", "range",
		consent);
	assert_int_equal(
	    fetch("sakura-bank", grant, "[\"tax.income\"]", ",\"from\":\"2025-03-01\"", &r), 200);
	th_resp_free(&r);
	refused("sakura-bank", grant, "[\"tax.income\"]", NULL, "frequency", consent);

	grant = consent_for("sakura-bank", "loan.screening", "[\"tax.income\"]", "[\"tax.income\"]",
			    NULL, consent);
	/* The clock passes the expiry: the very next use finds it expired, and says so. */
	assert_int_equal(scalar("UPDATE portal.consents SET valid_from = now() - interval '2 days',"
				" valid_until = now() - interval '1 second' WHERE id = '%s'",
				consent),
			 1);
	refused("sakura-bank", grant, "[\"tax.income\"]", NULL, "expired", consent);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consents WHERE id = '%s' AND status ="
				" 'expired'",
				consent),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consent_events WHERE consent_id = '%s'"
				" AND type = 'expired'",
				consent),
			 1);
}

static void
test_requests_stay_within_registration(void **state)
{
	static const struct {
		const char *body, *field;
	} cases[] = {
	    {"{\"purpose\":\"budget.planning\",\"items\":[\"health.claims\"],\"redirect_uri\":"
	     "\"https://kakeibo.example/callback\",\"state\":\"x\"}",
	     "items"},
	    {"{\"purpose\":\"loan.screening\",\"items\":[\"tax.income\"],\"redirect_uri\":"
	     "\"https://kakeibo.example/callback\",\"state\":\"x\"}",
	     "purpose"},
	    {"{\"purpose\":\"budget.planning\",\"items\":[\"tax.income\"],\"redirect_uri\":"
	     "\"https://evil.example/callback\",\"state\":\"x\"}",
	     "redirect_uri"},
	};
	long before = scalar("SELECT count(*) FROM portal.consent_requests");
	struct th_resp r;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    org_call("kakeibo-app", "/rp/v1/consent-requests", cases[i].body, &r), 422);
		assert_string_equal(th_type(&r), "outside-registration");
		assert_string_equal(member(&r, "field"), cases[i].field);
		th_resp_free(&r);
	}
	/* The operator registers a new service with its certificate; it may then ask within
	   its registration, and not beyond. */
	assert_int_equal(th_sh("'%s' issue '%s' tabi-app --key p256 --eku clientauth --policy none"
			       " >/dev/null",
			       MADO_CARD_BINARY, env.org_dir),
			 0);
	{
		char args[800];

		snprintf(
		    args, sizeof(args),
		    "rp-register --org tabi-app --name-ja たびアプリ --name-en 'Tabi travel app'"
		    " --purposes budget.planning --items resident.address --redirect"
		    " https://tabi.example/cb --cert '%s/cards/tabi-app.crt'",
		    env.org_dir);
		assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
		/* Proposed; in force once a supervisor staff member approves. */
		assert_int_equal(scalar("SELECT count(*) FROM portal.rp_services"
					" WHERE org_code = 'tabi-app'"),
				 0);
		snprintf(args, sizeof(args),
			 "register-decide --all-pending --cert '%s/cards/supervisor-b.crt'"
			 " --key '%s/cards/supervisor-b.key'",
			 env.org_dir, env.org_dir);
		assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	}
	assert_int_equal(org_call("tabi-app", "/rp/v1/consent-requests",
				  "{\"purpose\":\"budget.planning\",\"items\":[\"tax.income\"],"
				  "\"redirect_uri\":\"https://tabi.example/cb\",\"state\":\"x\"}",
				  &r),
			 422);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consent_requests"), before);
	assert_int_equal(
	    org_call("tabi-app", "/rp/v1/consent-requests",
		     "{\"purpose\":\"budget.planning\",\"items\":[\"resident.address\"],"
		     "\"redirect_uri\":\"https://tabi.example/cb\",\"state\":\"x\"}",
		     &r),
	    201);
	th_resp_free(&r);
	before++;
	/* An agency is no private service. */
	assert_int_equal(org_call("tax-office", "/rp/v1/consent-requests", cases[0].body, &r), 403);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consent_requests"), before);
}

static void
test_push_needs_consent(void **state)
{
	char body[512], pseud[64];
	struct th_resp r;

	(void)state;
	/* Anyone can read which programmes there are before turning one on. */
	assert_int_equal(th_http(&env, "GET", "/api/v1/push-programmes", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	{
		cJSON *j = th_json(&r), *g;

		g = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "programmes"), 0);
		assert_non_null(g);
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(g, "code")->valuestring,
				    "benefit-eligibility");
		assert_string_equal(
		    cJSON_GetObjectItemCaseSensitive(g, "organisation")->valuestring,
		    "city-welfare");
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(g, "name"), "ja")));
		/* Its terms, in both languages: purpose, what a notice may mention, how many. */
		assert_string_equal(cJSON_GetObjectItemCaseSensitive(g, "purpose")->valuestring,
				    "benefit.notice");
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(g, "purpose_name"), "ja")));
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(g, "purpose_name"), "en")));
		assert_true(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(g, "organisation_name"), "en")));
		assert_string_equal(
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(g, "items"), 0)
			->valuestring,
		    "tax.income");
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(g, "max_per_month")->valueint, 4);
		cJSON_Delete(j);
	}
	th_resp_free(&r);
	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'city-welfare'",
				    alice.id),
			 0);
	snprintf(body, sizeof(body),
		 "{\"programme\":\"benefit-eligibility\",\"person\":\"%s\",\"title\":\"You may be"
		 " eligible\",\"body\":\"Apply at the counter.\"}",
		 pseud);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 403);
	assert_string_equal(th_type(&r), "consent-refused");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'push' AND outcome = 'denied'",
				alice.id),
			 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND"
				" kind = 'push'",
				alice.id),
			 0);
	assert_int_equal(as_alice("POST", "/api/v1/me/consents/push",
				  "{\"programme\":\"benefit-eligibility\",\"valid_days\":30}", &r),
			 201);
	th_resp_free(&r);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 204);
	th_resp_free(&r);
	assert_int_equal(as_alice("GET", "/api/v1/me/notices", NULL, &r), 200);
	assert_non_null(strstr(r.body, "\"kind\":\"push\""));
	assert_non_null(strstr(r.body, "\"programme\":\"benefit-eligibility\""));
	th_resp_free(&r);
	/* The inbox marks it read; someone else's notice is not there to mark. */
	{
		char id[24], path[96];

		assert_int_equal(
		    th_sql_str(&env, id, sizeof(id),
			       "SELECT id FROM portal.notices WHERE person_id = '%s' AND"
			       " kind = 'push'",
			       alice.id),
		    0);
		snprintf(path, sizeof(path), "/api/v1/me/notices/%s/read", id);
		assert_int_equal(as_alice("POST", path, "", &r), 204);
		th_resp_free(&r);
		assert_int_equal(
		    scalar("SELECT count(*) FROM portal.notices WHERE id = %s AND read_at"
			   " IS NOT NULL",
			   id),
		    1);
		assert_int_equal(as_alice("POST", "/api/v1/me/notices/999999/read", "", &r), 404);
		th_resp_free(&r);
	}
}

/* A push consent takes the programme's monthly limit: the notice after the limit is
   refused and recorded, and the next calendar month (Japan time) starts a new count. */
static void
test_push_monthly_limit(void **state)
{
	char body[512], pseud[64], consent[40];
	struct th_resp r;

	(void)state;
	assert_int_equal(scalar("UPDATE portal.consents SET status = 'revoked' WHERE person_id ="
				" '%s' AND kind = 'push_notice' AND status = 'active'",
				alice.id) >= 0,
			 1);
	assert_int_equal(scalar("UPDATE portal.push_programmes SET max_per_month = 2 WHERE code ="
				" 'benefit-eligibility'"),
			 1);
	assert_int_equal(as_alice("POST", "/api/v1/me/consents/push",
				  "{\"programme\":\"benefit-eligibility\",\"valid_days\":90}", &r),
			 201);
	snprintf(consent, sizeof(consent), "%s", member(&r, "id"));
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consents WHERE id = '%s' AND"
				" freq_unit = 'month' AND freq_max = 2",
				consent),
			 1);
	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'city-welfare'",
				    alice.id),
			 0);
	snprintf(body, sizeof(body),
		 "{\"programme\":\"benefit-eligibility\",\"person\":\"%s\",\"title\":\"Monthly\","
		 "\"body\":\"A new benefit.\"}",
		 pseud);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 204);
	th_resp_free(&r);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 204);
	th_resp_free(&r);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 403);
	assert_string_equal(th_type(&r), "consent-refused");
	assert_string_equal(member(&r, "reason"), "frequency");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'push' AND outcome = 'denied' AND reason ="
				" 'frequency' AND consent_id = '%s'",
				alice.id, consent),
			 1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.consent_uses WHERE consent_id = '%s'", consent), 2);
	assert_int_equal(scalar("SELECT uses_total FROM portal.consents WHERE id = '%s'", consent),
			 2);
	/* Last month's notices do not count this month. */
	assert_int_equal(scalar("UPDATE portal.consents SET window_start = window_start -"
				" interval '1 month' WHERE id = '%s'",
				consent),
			 1);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 204);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT uses_total FROM portal.consents WHERE id = '%s'", consent),
			 3);
	assert_int_equal(scalar("UPDATE portal.push_programmes SET max_per_month = 4 WHERE code ="
				" 'benefit-eligibility'"),
			 1);
}

/* Push notices keep to the consent's frequency, and a push consent whose time is up shows
   as expired in the person's list without waiting for a use (review finding 14). */
static void
test_push_frequency_and_expiry(void **state)
{
	char body[512], pseud[64], consent[40];
	struct th_resp r;
	long denied, notices;
	int i;

	(void)state;
	assert_int_equal(as_alice("POST", "/api/v1/me/consents/push",
				  "{\"programme\":\"benefit-eligibility\",\"valid_days\":1e300}",
				  &r),
			 422);
	assert_string_equal(th_type(&r), "validation-failed");
	assert_string_equal(member(&r, "field"), "valid_days");
	th_resp_free(&r);
	/* Only this consent is in force, at most 3 notices a day, none sent yet today. */
	assert_int_equal(scalar("UPDATE portal.consents SET status = 'revoked' WHERE person_id ="
				" '%s' AND kind = 'push_notice' AND status = 'active'",
				alice.id) >= 0,
			 1);
	assert_int_equal(as_alice("POST", "/api/v1/me/consents/push",
				  "{\"programme\":\"benefit-eligibility\",\"valid_days\":30}", &r),
			 201);
	snprintf(consent, sizeof(consent), "%s", member(&r, "id"));
	th_resp_free(&r);
	assert_int_equal(scalar("UPDATE portal.consents SET freq_max = 3 WHERE id = '%s'", consent),
			 1);
	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = 'city-welfare'",
				    alice.id),
			 0);
	snprintf(body, sizeof(body),
		 "{\"programme\":\"benefit-eligibility\",\"person\":\"%s\",\"title\":\"Reminder\","
		 "\"body\":\"Apply at the counter.\"}",
		 pseud);
	for (i = 0; i < 3; i++) {
		assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 204);
		th_resp_free(&r);
	}
	denied = scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s' AND"
			" channel = 'push' AND outcome = 'denied' AND reason = 'frequency'",
			alice.id);
	notices = scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND kind ="
			 " 'push'",
			 alice.id);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 403);
	assert_string_equal(th_type(&r), "consent-refused");
	assert_string_equal(member(&r, "reason"), "frequency");
	th_resp_free(&r);
	/* Refused and recorded, and nothing delivered. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'push' AND outcome = 'denied' AND reason ="
				" 'frequency' AND consent_id = '%s'",
				alice.id, consent),
			 denied + 1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND"
				" kind = 'push'",
				alice.id),
			 notices);
	assert_int_equal(scalar("SELECT uses_total FROM portal.consents WHERE id = '%s'", consent),
			 3);

	/* The clock passes its end: the list says expired at once, with the event. */
	assert_int_equal(scalar("UPDATE portal.consents SET valid_from = now() - interval '2 days',"
				" valid_until = now() - interval '1 second' WHERE id = '%s'",
				consent),
			 1);
	assert_int_equal(as_alice("GET", "/api/v1/me/consents", NULL, &r), 200);
	{
		cJSON *j = th_json(&r), *c;
		int found = 0;

		cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(j, "consents")) {
			const cJSON *id = cJSON_GetObjectItemCaseSensitive(c, "id");

			if (cJSON_IsString(id) && strcmp(id->valuestring, consent) == 0) {
				found = 1;
				assert_string_equal(
				    cJSON_GetObjectItemCaseSensitive(c, "status")->valuestring,
				    "expired");
			}
		}
		cJSON_Delete(j);
		assert_true(found);
	}
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consent_events WHERE consent_id = '%s'"
				" AND type = 'expired'",
				consent),
			 1);
	assert_int_equal(org_call("city-welfare", "/gw/v1/notices", body, &r), 403);
	assert_string_equal(member(&r, "reason"), "no-consent");
	th_resp_free(&r);
}

/* A service that keeps fetching after the person revoked its consent is refused and
   recorded every time, but does not flood the person's notices (review finding 19). */
static void
test_refused_fetches_do_not_flood_notices(void **state)
{
	char consent[40];
	const char *grant;
	struct th_resp r;
	long notices;
	int i;

	(void)state;
	grant = consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]",
			    "[\"tax.income\"]", NULL, consent);
	assert_int_equal(as_alice("PUT", "/api/v1/me/alerts", "{\"mode\":\"all\"}", &r), 200);
	th_resp_free(&r);
	change(consent, "revoke", 200);
	/* No notice about this service in the last day, so the first refusal raises one. */
	assert_true(scalar("DELETE FROM portal.notices WHERE person_id = '%s' AND kind = 'access'"
			   " AND org_code = 'kakeibo-app'",
			   alice.id) >= 0);
	notices = scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND kind ="
			 " 'access' AND org_code = 'kakeibo-app'",
			 alice.id);
	for (i = 0; i < 5; i++)
		refused("kakeibo-app", grant, "[\"tax.income\"]", NULL, "revoked", consent);
	assert_int_equal(scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND"
				" kind = 'access' AND org_code = 'kakeibo-app'",
				alice.id),
			 notices + 1);
	assert_int_equal(as_alice("PUT", "/api/v1/me/alerts", "{\"mode\":\"off\"}", &r), 200);
	th_resp_free(&r);
}

/* A new request of kakeibo-app (its id in req, the path of its decision in path); then
   approving it, turning a push programme on and resuming consent, each refused 403 with
   problem type `type`. */
static void
grants_refused(const char *consent, const char *type, char req[40], char path[160])
{
	char body[512];
	struct th_resp r;

	snprintf(body, sizeof(body),
		 "{\"purpose\":\"budget.planning\",\"items\":[\"tax.income\"],\"redirect_uri\":"
		 "\"https://kakeibo.example/callback\",\"state\":\"x\"}");
	assert_int_equal(org_call("kakeibo-app", "/rp/v1/consent-requests", body, &r), 201);
	snprintf(req, 40, "%s", member(&r, "id"));
	snprintf(path, 160, "/api/v1/me/consent-requests/%s/decision", req);
	th_resp_free(&r);
	assert_int_equal(
	    as_alice("POST", path, "{\"approve\":true,\"items\":[\"tax.income\"]}", &r), 403);
	assert_string_equal(th_type(&r), type);
	th_resp_free(&r);
	assert_int_equal(as_alice("POST", "/api/v1/me/consents/push",
				  "{\"programme\":\"benefit-eligibility\"}", &r),
			 403);
	assert_string_equal(th_type(&r), type);
	th_resp_free(&r);
	change(consent, "resume", 403);
}

static void
test_only_own_session_grants(void **state)
{
	char consent[40], path[160], req[40], reason[32];

	(void)state;
	(void)consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]", "[\"tax.income\"]",
			  NULL, consent);
	/* The same session, marked as a desk-assisted one. */
	assert_int_equal(
	    scalar("UPDATE portal.sessions SET channel = 'desk' WHERE person_id = '%s'", alice.id),
	    1);
	grants_refused(consent, "own-session-only", req, path);
	/* Helping to withdraw is a desk visit's theme, but no visit stands behind this
	   session: it may do nothing, and nothing is recorded for it. */
	change(consent, "revoke", 403);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'desk'",
				alice.id),
			 0);
	/* The database holds the same rule. */
	assert_int_equal(
	    th_sql_str(&env, reason, sizeof(reason),
		       "SELECT set_config('mado.person_id', '%s', true);"
		       " SELECT reason FROM portal.consent_request_decide('%s', '%s', true,"
		       " ARRAY['tax.income'], NULL, 'desk')",
		       alice.id, alice.id, req),
	    0);
	assert_string_equal(reason, "channel");
	assert_int_equal(scalar("SELECT count(*) FROM portal.consent_requests WHERE id = '%s' AND"
				" status = 'pending'",
				req),
			 1);
	assert_int_equal(
	    scalar("UPDATE portal.sessions SET channel = 'self' WHERE person_id = '%s'", alice.id),
	    1);
}

/* Giving, widening and resuming consent need the card signed in this session lately
   (card_fresh_s, 900 s here): with an older signature each is refused card-required and
   changes nothing, while refusing, pausing and withdrawing stay open. A step-up with the
   person's own card opens them again. */
static void
test_grants_need_a_recent_card(void **state)
{
	char consent[40], path[160], req[40], nonce[64], cookie[256], *tok;
	long consents;
	struct th_resp r;

	(void)state;
	(void)consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]", "[\"tax.income\"]",
			  NULL, consent);
	change(consent, "pause", 200);
	consents = scalar("SELECT count(*) FROM portal.consents WHERE person_id = '%s'", alice.id);
	/* The card login was 16 minutes ago. */
	assert_int_equal(scalar("UPDATE portal.sessions SET card_at = now() - interval '16 minutes'"
				" WHERE person_id = '%s' AND card_at IS NOT NULL",
				alice.id),
			 1);
	grants_refused(consent, "card-required", req, path);
	assert_int_equal(scalar("SELECT count(*) FROM portal.consent_requests WHERE id = '%s' AND"
				" status = 'pending'",
				req),
			 1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.consents WHERE person_id = '%s'", alice.id),
	    consents);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.consents WHERE id = '%s' AND status = 'paused'",
		   consent),
	    1);
	/* What takes consent away needs no card. */
	change(consent, "pause", 409);

	/* The step-up: the card signs the session's challenge. */
	assert_int_equal(as_alice("POST", "/api/v1/auth/challenge?step_up=true", "", &r), 200);
	snprintf(nonce, sizeof(nonce), "%s", member(&r, "nonce"));
	th_resp_free(&r);
	assert_non_null(tok = th_card_token(env.ca_dir, alice.card, env.origin, nonce, NULL));
	assert_int_equal(as_alice("POST", "/api/v1/auth/webeid", tok, &r), 200);
	/* The session's new id, as the browser takes it. */
	assert_non_null(th_header(&r, "Set-Cookie", cookie, sizeof(cookie)));
	snprintf(alice.cookie, sizeof(alice.cookie), "%.*s", (int)strcspn(cookie, ";"), cookie);
	th_resp_free(&r);
	free(tok);
	assert_int_equal(
	    as_alice("POST", path, "{\"approve\":true,\"items\":[\"tax.income\"]}", &r), 200);
	th_resp_free(&r);
	change(consent, "resume", 200);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.consents WHERE id = '%s' AND status = 'active'",
		   consent),
	    1);
}

static int
verify(const char *file, const char *key)
{
	return th_sh("'%s' receipt '%s' --key '%s' >/dev/null", MADO_VERIFY_BINARY, file, key);
}

/* A receipt's event.status (the step's) and current_status (at issue); no consent.status. */
static void
receipt_status(const struct th_resp *r, char status[32], char now[32])
{
	cJSON *env_json = th_json(r), *doc;
	const cJSON *text = cJSON_GetObjectItemCaseSensitive(env_json, "receipt"), *e, *c;

	assert_true(cJSON_IsString(text));
	assert_non_null(doc = cJSON_Parse(text->valuestring));
	e = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, "event"),
					     "status");
	c = cJSON_GetObjectItemCaseSensitive(doc, "current_status");
	assert_true(cJSON_IsString(e) && cJSON_IsString(c));
	assert_null(cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(doc, "consent"), "status"));
	snprintf(status, 32, "%s", e->valuestring);
	snprintf(now, 32, "%s", c->valuestring);
	cJSON_Delete(doc);
	cJSON_Delete(env_json);
}

static void
test_receipts_verify_offline(void **state)
{
	char consent[40], path[200], file[400], key[400], bad[400];
	struct th_resp r;
	FILE *f;

	(void)state;
	(void)consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]", "[\"tax.income\"]",
			  NULL, consent);
	change(consent, "pause", 200);
	snprintf(key, sizeof(key), "%s/receipt-public.pem", env.dir);
	assert_int_equal(th_http(&env, "GET", "/api/v1/consent-receipt-key", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(f = fopen(key, "w"));
	fwrite(r.body, 1, r.len, f);
	fclose(f);
	th_resp_free(&r);

	snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt", consent);
	assert_int_equal(as_alice("GET", path, NULL, &r), 200);
	assert_non_null(strstr(r.body, "mado-consent-receipt/2"));
	assert_non_null(strstr(r.body, "paused"));
	assert_null(strstr(r.body, alice.id)); /* the person appears by pseudonym only */
	snprintf(file, sizeof(file), "%s/receipt.json", env.dir);
	assert_non_null(f = fopen(file, "w"));
	fwrite(r.body, 1, r.len, f);
	fclose(f);
	th_resp_free(&r);
	assert_int_equal(verify(file, key), 0);

	/* Altered: "paused" made "active" in the receipt text. */
	snprintf(bad, sizeof(bad), "%s/altered.json", env.dir);
	assert_int_equal(th_sh("sed 's/paused/active/' '%s' > '%s'", file, bad), 0);
	assert_int_equal(verify(bad, key), 1);
	/* Another key. */
	assert_int_equal(th_sh("openssl genpkey -algorithm ed25519 2>/dev/null | openssl pkey"
			       " -pubout -out '%s/other.pem' 2>/dev/null",
			       env.dir),
			 0);
	snprintf(bad, sizeof(bad), "%s/other.pem", env.dir);
	assert_int_equal(verify(file, bad), 1);
	/* An earlier step of the history has its own receipt. */
	snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt?event=1", consent);
	assert_int_equal(as_alice("GET", path, NULL, &r), 404);
	th_resp_free(&r);

	/* The step's status and the status now are told apart (review finding 16): the
	   receipt of the grant, fetched after the revocation, says both. */
	change(consent, "revoke", 200);
	{
		char given[24], status[32], now[32];

		assert_int_equal(
		    th_sql_str(&env, given, sizeof(given),
			       "SELECT id FROM portal.consent_events WHERE consent_id ="
			       " '%s' AND type = 'given'",
			       consent),
		    0);
		snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt?event=%s", consent,
			 given);
		assert_int_equal(as_alice("GET", path, NULL, &r), 200);
		receipt_status(&r, status, now);
		th_resp_free(&r);
		assert_string_equal(status, "active");
		assert_string_equal(now, "revoked");
		snprintf(path, sizeof(path), "/api/v1/me/consents/%s/receipt", consent);
		assert_int_equal(as_alice("GET", path, NULL, &r), 200);
		receipt_status(&r, status, now);
		th_resp_free(&r);
		assert_string_equal(status, "revoked");
		assert_string_equal(now, "revoked");
	}
}

/* The data period in force goes to the holders, which return only the values whose day
   (as_of) lies in it: the tax office's 2025 figure (as of 2025-12-31) within 2025, the
   pension service's (as of the day it was loaded) not; a period that ends before the
   figure's day, neither. */
static void
test_holder_filters_by_period(void **state)
{
	char consent[40];
	const cJSON *income;
	const char *grant;
	struct th_resp r;
	cJSON *j, *items;

	(void)state;
	assert_int_equal(th_holder_sql(&env, "tax-office",
				       "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'"
				       " AND item = 'tax.income' AND as_of = '2025-12-31'",
				       alice_at("tax-office")),
			 1);
	assert_int_equal(th_holder_sql(&env, "pension-service",
				       "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'"
				       " AND item = 'pension.benefit' AND as_of > '2025-12-31'",
				       alice_at("pension-service")),
			 1);
	grant =
	    consent_for("kakeibo-app", "budget.planning", "[\"tax.income\",\"pension.benefit\"]",
			"[\"tax.income\",\"pension.benefit\"]",
			",\"frequency\":{\"unit\":\"day\",\"max\":10},\"data_from\":"
			"\"2025-01-01\",\"data_to\":\"2025-12-31\"",
			consent);
	/* The consent's period: both holders asked and answered, one value within it. */
	assert_int_equal(
	    fetch("kakeibo-app", grant, "[\"tax.income\",\"pension.benefit\"]", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "answers")), 2);
	cJSON_Delete(j);
	items = opened(&r);
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(items), 1);
	assert_non_null(income = cJSON_GetObjectItemCaseSensitive(items, "tax.income"));
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(income, "as_of")),
			    "2025-12-31");
	assert_int_equal(holder_has(items, "tax-office", "tax.income"), 1);
	assert_null(cJSON_GetObjectItemCaseSensitive(items, "pension.benefit"));
	cJSON_Delete(items);
	/* A narrower period asked for, ending before the figure's day: nothing comes back,
	   though the fetch is served and recorded. */
	assert_int_equal(
	    fetch("kakeibo-app", grant, "[\"tax.income\"]", ",\"to\":\"2025-06-30\"", &r), 200);
	items = opened(&r);
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(items), 0);
	cJSON_Delete(items);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
				" AND outcome = 'served'",
				consent),
			 2);
}

/* Mado relays ciphertext: no value the holders hold is in the response as sent, and the
   answers open only for the record they were sealed to. A reply key that is not a P-256
   point is bad input, and nothing is recorded. */
static void
test_relayed_answers_are_ciphertext(void **state)
{
	char consent[40], yen[32], key[88];
	const char *grant;
	struct th_resp r;
	cJSON *j;
	long before;

	(void)state;
	grant =
	    consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]", "[\"tax.income\"]",
			",\"frequency\":{\"unit\":\"day\",\"max\":10}", consent);
	assert_int_equal(th_holder_sql_str(&env, "tax-office", yen, sizeof(yen),
					   "SELECT value->>'yen' FROM holder.holdings WHERE"
					   " pseudonym = '%s' AND item = 'tax.income'",
					   alice_at("tax-office")),
			 0);
	assert_true(strlen(yen) >= 6);
	assert_int_equal(fetch("kakeibo-app", grant, "[\"tax.income\"]", NULL, &r), 200);
	assert_null(strstr(r.body, yen));
	assert_null(strstr(r.body, "tax.income"));
	assert_non_null(j = th_json(&r));
	assert_null(th_open_answers(j, consent)); /* another aad than the record's */
	cJSON_Delete(j);
	j = opened(&r);
	assert_int_equal(holder_has(j, "tax-office", "tax.income"), 1);
	cJSON_Delete(j);
	th_resp_free(&r);

	before =
	    scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'", consent);
	memset(key, 'A', 87);
	key[87] = '\0';
	{
		char body[512];

		snprintf(body, sizeof(body),
			 "{\"grant\":\"%s\",\"items\":[\"tax.income\"],\"reply_key\":\"%s\"}",
			 grant, key);
		assert_int_equal(org_call("kakeibo-app", "/rp/v1/data", body, &r), 422);
		assert_string_equal(th_type(&r), "validation-failed");
		assert_string_equal(member(&r, "field"), "reply_key");
		th_resp_free(&r);
		snprintf(body, sizeof(body), "{\"grant\":\"%s\",\"items\":[\"tax.income\"]}",
			 grant);
		assert_int_equal(org_call("kakeibo-app", "/rp/v1/data", body, &r), 422);
		assert_string_equal(member(&r, "field"), "reply_key");
		th_resp_free(&r);
	}
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'", consent),
	    before);
}

/* A holder down: the service gets 503 holder-unavailable, and the person's log has the
   decision (served, under the consent) and beside it the same fetch, failed. */
static void
test_holder_down_is_503_and_recorded(void **state)
{
	int h = th_holder_index("tax-office");
	char consent[40];
	const char *grant;
	struct th_resp r;

	(void)state;
	assert_true(h >= 0);
	grant =
	    consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]", "[\"tax.income\"]",
			",\"frequency\":{\"unit\":\"day\",\"max\":10}", consent);
	assert_int_equal(th_holder_stop(&env, h), 0);
	assert_int_equal(fetch("kakeibo-app", grant, "[\"tax.income\"]", NULL, &r), 503);
	assert_string_equal(th_type(&r), "holder-unavailable");
	assert_string_equal(member(&r, "consent_id"), consent);
	assert_null(strstr(r.body, "sealed"));
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
		   " AND channel = 'private' AND org_code = 'kakeibo-app' AND outcome ="
		   " 'served'",
		   consent),
	    1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
		   " AND channel = 'private' AND org_code = 'kakeibo-app' AND outcome ="
		   " 'failed' AND reason = 'holder-unavailable'",
		   consent),
	    1);
	assert_int_equal(th_holder_start(&env, h), 0);
	assert_int_equal(fetch("kakeibo-app", grant, "[\"tax.income\"]", NULL, &r), 200);
	th_resp_free(&r);
}

/* Fetches run in threads while the person revokes: every fetch sent after the revocation
   was answered is refused. */
struct racer {
	pthread_t t;
	const char *grant;
	volatile int *stop;
	int after_ok, after_refused, before;
	volatile int *revoked;
};

static void *
race(void *arg)
{
	struct racer *x = arg;
	struct th_resp r;
	int revoked;

	while (!*x->stop) {
		revoked = *x->revoked;
		if (fetch("kakeibo-app", x->grant, "[\"tax.income\"]", NULL, &r) == 200) {
			if (revoked)
				x->after_ok++;
		} else if (revoked) {
			x->after_refused++;
		}
		x->before += !revoked;
		th_resp_free(&r);
	}
	return NULL;
}

static void
test_revocation_races_fetches(void **state)
{
	char consent[40];
	volatile int stop = 0, revoked = 0;
	struct racer x[3];
	struct timespec pause = {0, 300 * 1000000L};
	const char *g;
	int i;

	(void)state;
	g = consent_for("kakeibo-app", "budget.planning", "[\"tax.income\"]", "[\"tax.income\"]",
			",\"frequency\":{\"unit\":\"day\",\"max\":1000}", consent);
	for (i = 0; i < 3; i++) {
		memset(&x[i], 0, sizeof(x[i]));
		x[i].grant = g;
		x[i].stop = &stop;
		x[i].revoked = &revoked;
		assert_int_equal(pthread_create(&x[i].t, NULL, race, &x[i]), 0);
	}
	nanosleep(&pause, NULL);
	change(consent, "revoke", 200);
	revoked = 1;
	/* Until every thread has had answers to fetches sent after the revocation: a served
	   fetch in flight waits for its holders, so that may take more than a moment. */
	for (i = 0; i < 100; i++) {
		nanosleep(&pause, NULL);
		if (((volatile struct racer *)&x[0])->after_refused > 0 &&
		    ((volatile struct racer *)&x[1])->after_refused > 0 &&
		    ((volatile struct racer *)&x[2])->after_refused > 0)
			break;
	}
	stop = 1;
	for (i = 0; i < 3; i++) {
		pthread_join(x[i].t, NULL);
		assert_true(x[i].before > 0);
		assert_true(x[i].after_refused > 0);
		assert_int_equal(x[i].after_ok, 0);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fetch_under_consent),
	    cmocka_unit_test(test_consent_ledger_and_history),
	    cmocka_unit_test(test_frequency_range_expiry),
	    cmocka_unit_test(test_holder_filters_by_period),
	    cmocka_unit_test(test_relayed_answers_are_ciphertext),
	    cmocka_unit_test(test_holder_down_is_503_and_recorded),
	    cmocka_unit_test(test_requests_stay_within_registration),
	    cmocka_unit_test(test_push_needs_consent),
	    cmocka_unit_test(test_push_frequency_and_expiry),
	    cmocka_unit_test(test_push_monthly_limit),
	    cmocka_unit_test(test_refused_fetches_do_not_flood_notices),
	    cmocka_unit_test(test_only_own_session_grants),
	    cmocka_unit_test(test_grants_need_a_recent_card),
	    cmocka_unit_test(test_revocation_races_fetches),
	    cmocka_unit_test(test_receipts_verify_offline),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
