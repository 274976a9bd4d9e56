/*
 * My information against a real PostgreSQL, a real mado and the demo's data holders: a
 * person reads what the demo agencies hold about them through the recorded gate (channel
 * self), the values coming from each holder's own database sealed to the person's reply
 * key (Mado's response holds none of them); a holder down fails the read and the log says
 * so. The person asks a holder for a correction and says "this is not mine" on an item;
 * the holders see the cases in their queue on the gateway and answer them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "harness.h"

static struct th_env env;
static const char jsonct[] = "Content-Type: application/json";

static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};

#define scalar(...) th_sql(&env, __VA_ARGS__)

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};

	*state = &env;
	return th_setup_people(&env, people, true) != 0 ? -1 : 0;
}

static const char *
pseudonym(const struct th_person *p, const char *org)
{
	static char buf[4][64];
	static int n;
	char *b = buf[n++ % 4];

	assert_int_equal(th_sql_str(&env, b, 64,
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = '%s'",
				    p->id, org),
			 0);
	return b;
}

static long
gw(const char *org, const char *method, const char *path, const char *body, struct th_resp *r)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {method, path, h,   body, body != NULL ? strlen(body) : 0,
			    NULL,   NULL, true};

	th_org_cert(&env, org, &rq);
	assert_int_equal(th_request(&env, &rq, r), 0);
	return r->status;
}

static long
query(const char *org, const struct th_person *p, const char *items, const char *purpose,
      const char *legal_ref, struct th_resp *r)
{
	char body[1024];

	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":%s,\"purpose\":\"%s\",\"legal_ref\":\"%s\","
		 "\"officer\":\"officer-17\",\"officer_role\":\"caseworker\",\"actor_kind\":"
		 "\"human\",\"case_ref\":\"C-1\",\"reply_key\":\"%s\"}",
		 pseudonym(p, org), items, purpose, legal_ref, th_reply_key());
	return gw(org, "POST", "/gw/v1/queries", body, r);
}

static long
as(const struct th_person *p, const char *method, const char *path, const char *body,
   struct th_resp *r)
{
	assert_int_equal(th_person_http(&env, p, method, path, body, r), 0);
	return r->status;
}

static long
events_of(const struct th_person *p)
{
	return scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'", p->id);
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* The item code of the person's My information, or NULL. */
static const cJSON *
find_item(const cJSON *doc, const char *org, const char *code)
{
	const cJSON *g, *i;

	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(doc, "organisations")) {
		if (strcmp(str(g, "code"), org) != 0)
			continue;
		cJSON_ArrayForEach (i, cJSON_GetObjectItemCaseSensitive(g, "items")) {
			if (strcmp(str(i, "code"), code) == 0)
				return i;
		}
	}
	return NULL;
}

/* The path of a read of My information (item NULL: every item), with the tests' reply
   key as a browser sends its own. */
static const char *
data_path(const char *item)
{
	static char buf[2][256];
	static int n;
	char *b = buf[n++ % 2];

	snprintf(b, 256, "/api/v1/me/data?reply_key=%s%s%s", th_reply_key(),
		 item != NULL ? "&item=" : "", item != NULL ? item : "");
	return b;
}

static cJSON *
my_data(const struct th_person *p)
{
	struct th_resp r;
	cJSON *j;

	assert_int_equal(as(p, "GET", data_path(NULL), NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	return j;
}

/* The holders' sealed answers of a read, opened: item -> {"value", "as_of"}. */
static cJSON *
values_of(const cJSON *doc)
{
	cJSON *v;

	assert_int_equal(strlen(str(doc, "record")), 36);
	assert_non_null(v = th_open_answers(doc, str(doc, "record")));
	return v;
}

/* The holder's value of item for p, a member of it as text (its own database, by its
   own pseudonym). */
static const char *
held(const struct th_person *p, const char *org, const char *item, const char *member)
{
	static char buf[4][256];
	static int n;
	char *b = buf[n++ % 4];

	assert_int_equal(th_holder_sql_str(&env, org, b, 256,
					   "SELECT value->>'%s' FROM holder.holdings WHERE"
					   " pseudonym = '%s' AND item = '%s'",
					   member, pseudonym(p, org), item),
			 0);
	return b;
}

/* --- the read --- */

static void
test_read_is_own_data_and_recorded(void **state)
{
	static const char *const orgs[] = {"residents-registry", "tax-office", "pension-service",
					   "health-insurer", "city-welfare"};
	char alice_name[128], bob_name[128], alice_income[64], bob_income[64];
	long before = events_of(&alice), bob_before = events_of(&bob);
	const cJSON *g, *i, *e, *v;
	struct th_resp r;
	cJSON *j, *log, *values;
	int n = 0;
	size_t k;

	(void)state;
	snprintf(alice_name, sizeof(alice_name), "%s",
		 held(&alice, "residents-registry", "resident.name", "ja"));
	snprintf(bob_name, sizeof(bob_name), "%s",
		 held(&bob, "residents-registry", "resident.name", "ja"));
	snprintf(alice_income, sizeof(alice_income), "%s",
		 held(&alice, "tax-office", "tax.income", "yen"));
	snprintf(bob_income, sizeof(bob_income), "%s",
		 held(&bob, "tax-office", "tax.income", "yen"));
	assert_true(alice_name[0] != '\0' && alice_income[0] != '\0');

	assert_int_equal(as(&alice, "GET", data_path(NULL), NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	/* Every demo agency's items, named by the catalogue. */
	for (k = 0; k < sizeof(orgs) / sizeof(orgs[0]); k++) {
		int found = 0;

		cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(j, "organisations")) {
			if (strcmp(str(g, "code"), orgs[k]) == 0)
				found = 1;
		}
		if (!found)
			fail_msg("no items of %s: %s", orgs[k], r.body);
	}
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(j, "organisations")) {
		assert_true(str(g, "name_ja")[0] != '\0');
		cJSON_ArrayForEach (i, cJSON_GetObjectItemCaseSensitive(g, "items"))
			n++;
	}
	assert_int_equal(n, 11);
	i = find_item(j, "tax-office", "tax.income");
	assert_non_null(i);
	assert_true(str(i, "source_ja")[0] != '\0');
	assert_true(str(i, "source_en")[0] != '\0');
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "frozen")));
	/* Mado relayed ciphertext: no value is in the response as sent, nor a value's key. */
	assert_null(cJSON_GetObjectItemCaseSensitive(i, "value"));
	assert_null(strstr(r.body, alice_name));
	assert_null(strstr(r.body, alice_income));
	assert_null(strstr(r.body, "\"yen\""));
	assert_null(strstr(r.body, "\"ja\""));
	/* One answer from each holder, sealed to the reply key for this record. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "answers")), 5);
	values = values_of(j);
	assert_null(th_open_answers(j, "another record"));
	/* Opened: alice's values as the holders keep them, and nobody else's. */
	assert_int_equal(cJSON_GetArraySize(values), 11);
	v = cJSON_GetObjectItemCaseSensitive(values, "tax.income");
	assert_string_equal(str(v, "as_of"), "2025-12-31");
	assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(v, "value"), "yen")
			     ->valuedouble,
			 atol(alice_income));
	if (strcmp(alice_income, bob_income) != 0)
		assert_int_not_equal((long)cJSON_GetObjectItemCaseSensitive(
					 cJSON_GetObjectItemCaseSensitive(v, "value"), "yen")
					 ->valuedouble,
				     atol(bob_income));
	v = cJSON_GetObjectItemCaseSensitive(values, "resident.name");
	assert_string_equal(str(cJSON_GetObjectItemCaseSensitive(v, "value"), "ja"), alice_name);
	if (strcmp(alice_name, bob_name) != 0)
		assert_string_not_equal(str(cJSON_GetObjectItemCaseSensitive(v, "value"), "ja"),
					bob_name);
	cJSON_Delete(values);
	th_resp_free(&r);

	/* Exactly one entry, in alice's log alone, and she sees it with channel self. */
	assert_int_equal(events_of(&alice), before + 1);
	assert_int_equal(events_of(&bob), bob_before);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND event_id = '%s' AND channel = 'self' AND outcome = 'served'",
				alice.id, str(j, "record")),
			 1);
	assert_int_equal(as(&alice, "GET", "/api/v1/me/access-log?channel=self&limit=1", NULL, &r),
			 200);
	assert_non_null(log = th_json(&r));
	e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(log, "items"), 0);
	assert_non_null(e);
	assert_string_equal(str(e, "channel"), "self");
	assert_string_equal(str(e, "purpose"), "own-data");
	assert_string_equal(str(e, "organisation"), "mado");
	assert_string_equal(str(e, "outcome"), "served");
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble,
			 cJSON_GetObjectItemCaseSensitive(j, "entry")->valuedouble);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "items")), 11);
	cJSON_Delete(log);
	cJSON_Delete(j);
	th_resp_free(&r);

	/* One item alone: one item named, one holder asked, one value, one more entry. */
	assert_int_equal(as(&alice, "GET", data_path("pension.record"), NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	n = 0;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(j, "organisations")) {
		cJSON_ArrayForEach (i, cJSON_GetObjectItemCaseSensitive(g, "items"))
			n++;
	}
	assert_int_equal(n, 1);
	assert_non_null(find_item(j, "pension-service", "pension.record"));
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "answers")), 1);
	values = values_of(j);
	assert_int_equal(cJSON_GetArraySize(values), 1);
	assert_int_equal(
	    (long)cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(
		    cJSON_GetObjectItemCaseSensitive(values, "pension.record"), "value"),
		"months_paid")
		->valuedouble,
	    atol(held(&alice, "pension-service", "pension.record", "months_paid")));
	cJSON_Delete(values);
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'self' AND items = ARRAY['pension.record']",
				alice.id),
			 1);

	/* An unknown item is bad input: nothing read, nothing written. */
	assert_int_equal(as(&alice, "GET", data_path("no.such"), NULL, &r), 404);
	assert_string_equal(th_type(&r), "not-found");
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 2);
}

/* A read names its reply key, a P-256 point; without one, or with another thing, it is
   bad input and nothing is written. */
static void
test_reply_key_required(void **state)
{
	static const char *const bad[] = {
	    "/api/v1/me/data",
	    "/api/v1/me/data?item=tax.income",
	    "/api/v1/me/"
	    "data?reply_key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "AAAAAAAAAAAAAAAAAAAAA",
	    "/api/v1/me/data?reply_key=short",
	};
	long before = events_of(&alice);
	struct th_resp r;
	cJSON *j;
	size_t k;

	(void)state;
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		assert_int_equal(as(&alice, "GET", bad[k], NULL, &r), 422);
		assert_string_equal(th_type(&r), "validation-failed");
		assert_non_null(j = th_json(&r));
		assert_string_equal(str(j, "field"), "reply_key");
		cJSON_Delete(j);
		th_resp_free(&r);
	}
	assert_int_equal(events_of(&alice), before);
}

/* A holder down: the read fails with 503 holder-unavailable, and the person's log holds
   the read and, beside it, its failure. */
static void
test_holder_down_is_503_and_recorded(void **state)
{
	int h = th_holder_index("pension-service");
	long before = events_of(&bob);
	char record[40];
	struct th_resp r;
	cJSON *j;

	(void)state;
	assert_int_equal(th_holder_stop(&env, h), 0);
	assert_int_equal(as(&bob, "GET", data_path(NULL), NULL, &r), 503);
	assert_string_equal(th_type(&r), "holder-unavailable");
	assert_non_null(j = th_json(&r));
	snprintf(record, sizeof(record), "%s", str(j, "record"));
	cJSON_Delete(j);
	/* Nothing of what the other holders answered is passed on. */
	assert_null(strstr(r.body, "sealed"));
	assert_null(strstr(r.body, held(&bob, "residents-registry", "resident.name", "ja")));
	th_resp_free(&r);
	assert_int_equal(events_of(&bob), before + 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND event_id = '%s' AND outcome = 'served' AND channel = 'self'",
				bob.id, record),
			 1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
		   " AND outcome = 'failed' AND reason = 'holder-unavailable'"
		   " AND channel = 'self' AND org_code = 'mado' AND purpose = 'own-data'"
		   " AND cardinality(items) = 11",
		   bob.id),
	    1);
	/* An item of another holder is read while this one is down. */
	assert_int_equal(as(&bob, "GET", data_path("tax.income"), NULL, &r), 200);
	th_resp_free(&r);
	assert_int_equal(th_holder_start(&env, h), 0);
	cJSON_Delete(my_data(&bob));
	assert_int_equal(events_of(&bob), before + 4);
}

/* An item its holder keeps nothing of for the person is named (the catalogue), but no
   value comes for it; a case may still be opened on it, since only the holder knows. */
static void
test_item_not_held(void **state)
{
	char saved[256];
	const char *who = pseudonym(&bob, "city-welfare");
	struct th_resp r;
	cJSON *j, *values;

	(void)state;
	assert_int_equal(th_holder_sql_str(&env, "city-welfare", saved, sizeof(saved),
					   "SELECT value::text FROM holder.holdings WHERE"
					   " pseudonym = '%s' AND item = 'welfare.disability'",
					   who),
			 0);
	assert_int_equal(
	    th_holder_sql(&env, "city-welfare",
			  "WITH d AS (DELETE FROM holder.holdings WHERE pseudonym = '%s'"
			  " AND item = 'welfare.disability' RETURNING 1)"
			  " SELECT count(*) FROM d",
			  who),
	    1);
	j = my_data(&bob);
	assert_non_null(find_item(j, "city-welfare", "welfare.disability"));
	values = values_of(j);
	assert_null(cJSON_GetObjectItemCaseSensitive(values, "welfare.disability"));
	assert_non_null(cJSON_GetObjectItemCaseSensitive(values, "welfare.benefit"));
	assert_int_equal(cJSON_GetArraySize(values), 10);
	cJSON_Delete(values);
	cJSON_Delete(j);
	assert_int_equal(as(&bob, "POST", "/api/v1/me/data/welfare.disability/disputes",
			    "{\"kind\":\"correction\",\"note\":\"I hold a certificate.\"}", &r),
			 201);
	th_resp_free(&r);
	assert_int_equal(th_holder_sql(&env, "city-welfare",
				       "WITH i AS (INSERT INTO holder.holdings (pseudonym, item,"
				       " value, as_of) VALUES ('%s', 'welfare.disability', '%s',"
				       " current_date) RETURNING 1) SELECT count(*) FROM i",
				       who, saved),
			 1);
}

/* The person's own read raises no access alert about themselves. */
static void
test_own_read_raises_no_alert(void **state)
{
	long notices;
	struct th_resp r;

	(void)state;
	assert_int_equal(as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"all\"}", &r), 200);
	th_resp_free(&r);
	notices = scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s'", bob.id);
	cJSON_Delete(my_data(&bob));
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s'", bob.id), notices);
	assert_int_equal(as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"off\"}", &r), 200);
	th_resp_free(&r);
}

/* Holds a lock on the log in a second session while the person reads: no record, so no
   holder is asked. */
static void
test_no_record_no_data(void **state)
{
	char conninfo[400];
	long before = events_of(&alice),
	     asked = th_holder_sql(&env, "tax-office", "SELECT count(*) FROM holder.requests");
	struct th_resp r;
	PGresult *res;
	PGconn *c;

	(void)state;
	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 dbname=mado user=postgres",
		 env.pgdir);
	c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "BEGIN; LOCK TABLE portal.access_events IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(as(&alice, "GET", data_path(NULL), NULL, &r), 503);
	assert_string_equal(th_type(&r), "access-record-failed");
	assert_null(strstr(r.body, "sealed"));
	th_resp_free(&r);
	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	PQfinish(c);
	assert_int_equal(events_of(&alice), before);
	assert_int_equal(th_holder_sql(&env, "tax-office", "SELECT count(*) FROM holder.requests"),
			 asked);
}

/* The server makes no downloads: it could not read what they would hold. The page makes
   them from the opened answers. */
static void
test_no_server_download(void **state)
{
	struct th_resp r;

	(void)state;
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data/export?format=csv", NULL, &r), 404);
	th_resp_free(&r);
}

/* --- corrections --- */

static void
test_correction_reaches_holder_and_answer_arrives(void **state)
{
	char case_no[32], path[96], body[256];
	const cJSON *d, *i, *c;
	struct th_resp r;
	cJSON *j;
	int found = 0;

	(void)state;
	/* A correction says what is wrong. */
	assert_int_equal(as(&alice, "POST", "/api/v1/me/data/tax.income/disputes",
			    "{\"kind\":\"correction\"}", &r),
			 422);
	assert_string_equal(th_type(&r), "validation-failed");
	assert_non_null(strstr(r.body, "\"note\""));
	th_resp_free(&r);
	assert_int_equal(as(&alice, "POST", "/api/v1/me/data/no.such/disputes",
			    "{\"kind\":\"correction\",\"note\":\"x\"}", &r),
			 404);
	th_resp_free(&r);

	assert_int_equal(as(&alice, "POST", "/api/v1/me/data/tax.income/disputes",
			    "{\"kind\":\"correction\",\"note\":\"My 2025 income was lower: a "
			    "refund is missing.\"}",
			    &r),
			 201);
	assert_non_null(j = th_json(&r));
	snprintf(case_no, sizeof(case_no), "%s", str(j, "case_no"));
	assert_int_equal(strncmp(case_no, "MD-", 3), 0);
	assert_string_equal(str(j, "kind"), "correction");
	cJSON_Delete(j);
	th_resp_free(&r);
	/* Asked again while in progress: the same case. */
	assert_int_equal(as(&alice, "POST", "/api/v1/me/data/tax.income/disputes",
			    "{\"kind\":\"correction\",\"note\":\"again\"}", &r),
			 200);
	assert_non_null(strstr(r.body, case_no));
	th_resp_free(&r);
	/* A correction freezes nothing. */
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.item_freezes WHERE case_no = '%s'", case_no), 0);

	/* In the holder's queue, by the holder's pseudonym, with the note. */
	assert_int_equal(gw("tax-office", "GET", "/gw/v1/disputes?status=open", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(j, "disputes")) {
		if (strcmp(str(d, "case_no"), case_no) != 0)
			continue;
		found = 1;
		assert_string_equal(str(d, "kind"), "correction");
		assert_string_equal(str(d, "person"), pseudonym(&alice, "tax-office"));
		assert_string_equal(
		    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(d, "items"), 0)
			->valuestring,
		    "tax.income");
		assert_non_null(strstr(str(d, "note"), "refund"));
	}
	assert_true(found);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* Not in another agency's. */
	assert_int_equal(gw("residents-registry", "GET", "/gw/v1/disputes", NULL, &r), 200);
	assert_null(strstr(r.body, case_no));
	th_resp_free(&r);

	/* Only the holder answers. */
	snprintf(path, sizeof(path), "/gw/v1/disputes/%s", case_no);
	snprintf(body, sizeof(body), "{\"status\":\"corrected\",\"answer\":\"Refund added.\"}");
	assert_int_equal(gw("pension-service", "POST", path, body, &r), 404);
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "POST", path, body, &r), 204);
	th_resp_free(&r);

	/* The answer arrives as a notice, and the item shows it. */
	assert_int_equal(as(&alice, "GET", "/api/v1/me/notices", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	found = 0;
	cJSON_ArrayForEach (d, cJSON_GetObjectItemCaseSensitive(j, "notices")) {
		if (strcmp(str(d, "case_no"), case_no) == 0 &&
		    strcmp(str(d, "kind"), "dispute") == 0)
			found = 1;
	}
	assert_true(found);
	cJSON_Delete(j);
	th_resp_free(&r);
	j = my_data(&alice);
	i = find_item(j, "tax-office", "tax.income");
	assert_non_null(i);
	c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(i, "cases"), 0);
	assert_non_null(c);
	assert_string_equal(str(c, "case_no"), case_no);
	assert_string_equal(str(c, "kind"), "correction");
	assert_string_equal(str(c, "status"), "corrected");
	assert_string_equal(str(c, "answer"), "Refund added.");
	cJSON_Delete(j);
}

static void
test_not_mine_on_item_freezes_it(void **state)
{
	char case_no[32], path[96];
	long denied;
	struct th_resp r;
	cJSON *j;
	const cJSON *i;

	(void)state;
	/* Served before. */
	assert_int_equal(query("city-welfare", &bob, "[\"pension.benefit\"]", "welfare.eligibility",
			       "MNA-T2-21", &r),
			 200);
	th_resp_free(&r);

	assert_int_equal(as(&bob, "POST", "/api/v1/me/data/pension.benefit/disputes",
			    "{\"kind\":\"not-mine\"}", &r),
			 201);
	assert_non_null(j = th_json(&r));
	snprintf(case_no, sizeof(case_no), "%s", str(j, "case_no"));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.item_freezes WHERE person_id = '%s'"
				" AND item = 'pension.benefit' AND case_no = '%s'"
				" AND lifted_at IS NULL",
				bob.id, case_no),
			 1);
	j = my_data(&bob);
	i = find_item(j, "pension-service", "pension.benefit");
	assert_non_null(i);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "frozen")));
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
	    find_item(j, "pension-service", "pension.record"), "frozen")));
	cJSON_Delete(j);

	/* The gateway refuses it now, and records the refusal. */
	denied = scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
			" AND outcome = 'denied' AND reason = 'items-frozen'",
			bob.id);
	assert_int_equal(query("city-welfare", &bob, "[\"pension.benefit\"]", "welfare.eligibility",
			       "MNA-T2-21", &r),
			 403);
	assert_string_equal(th_type(&r), "items-frozen");
	assert_null(strstr(r.body, "yen_per_month"));
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND outcome = 'denied' AND reason = 'items-frozen'"
				" AND items = ARRAY['pension.benefit']",
				bob.id),
			 denied + 1);
	/* Other items still flow. */
	assert_int_equal(
	    query("city-welfare", &bob, "[\"tax.income\"]", "welfare.eligibility", "MNA-T2-21", &r),
	    200);
	th_resp_free(&r);

	/* The holder sees it and re-verifies: the freeze lifts. */
	assert_int_equal(gw("pension-service", "GET", "/gw/v1/disputes", NULL, &r), 200);
	assert_non_null(strstr(r.body, case_no));
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/gw/v1/disputes/%s", case_no);
	assert_int_equal(gw("pension-service", "POST", path,
			    "{\"status\":\"reverified\",\"answer\":\"The record is yours.\"}", &r),
			 204);
	th_resp_free(&r);
	assert_int_equal(query("city-welfare", &bob, "[\"pension.benefit\"]", "welfare.eligibility",
			       "MNA-T2-21", &r),
			 200);
	th_resp_free(&r);
}

/* The holder is the source of its item: it may answer a correction that the value stands
   (reverified), as it re-verifies a "not mine". Another agency may not. */
static void
test_holder_reverifies_a_correction(void **state)
{
	char case_no[32], path[96];
	struct th_resp r;
	cJSON *j;

	(void)state;
	assert_int_equal(as(&bob, "POST", "/api/v1/me/data/resident.household/disputes",
			    "{\"kind\":\"correction\",\"note\":\"We are two, not three.\"}", &r),
			 201);
	assert_non_null(j = th_json(&r));
	snprintf(case_no, sizeof(case_no), "%s", str(j, "case_no"));
	cJSON_Delete(j);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/gw/v1/disputes/%s", case_no);
	assert_int_equal(gw("tax-office", "POST", path, "{\"status\":\"reverified\"}", &r), 404);
	th_resp_free(&r);
	assert_int_equal(gw("residents-registry", "POST", path,
			    "{\"status\":\"reverified\",\"answer\":\"Checked: three members.\"}",
			    &r),
			 204);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.disputes WHERE case_no = '%s'"
				" AND status = 'reverified'",
				case_no),
			 1);
	/* The person's list of cases names the item. */
	assert_int_equal(as(&bob, "GET", "/api/v1/me/disputes", NULL, &r), 200);
	assert_non_null(strstr(r.body, "\"item\":\"resident.household\""));
	th_resp_free(&r);
}

static const char *
member(const struct th_resp *r, const char *name)
{
	static char buf[4][256];
	static int n;
	char *b = buf[n++ % 4];
	cJSON *j = th_json(r);

	snprintf(b, 256, "%s", str(j, name));
	cJSON_Delete(j);
	return b;
}

/* A private service's fetch of an item frozen by "not mine" on the item is refused and
   recorded, as the gateway's query is. */
static void
test_frozen_item_stops_private_fetches(void **state)
{
	char body[512], path[160], code[64], grant[64], case_no[32], *p;
	long denied;
	struct th_resp r;

	(void)state;
	/* Bob lets the bank see his address for a loan. */
	assert_int_equal(gw("sakura-bank", "POST", "/rp/v1/consent-requests",
			    "{\"purpose\":\"loan.screening\",\"items\":[\"resident.address\"],"
			    "\"redirect_uri\":\"https://sakura-bank.example/loan/callback\","
			    "\"state\":\"s-1\",\"frequency\":{\"unit\":\"day\",\"max\":10}}",
			    &r),
			 201);
	snprintf(path, sizeof(path), "/api/v1/me/consent-requests/%s/decision", member(&r, "id"));
	th_resp_free(&r);
	assert_int_equal(
	    as(&bob, "POST", path, "{\"approve\":true,\"items\":[\"resident.address\"]}", &r), 200);
	assert_non_null(p = strstr(member(&r, "redirect"), "code="));
	snprintf(code, sizeof(code), "%.43s", p + 5);
	th_resp_free(&r);
	snprintf(body, sizeof(body), "{\"code\":\"%s\"}", code);
	assert_int_equal(gw("sakura-bank", "POST", "/rp/v1/token", body, &r), 200);
	snprintf(grant, sizeof(grant), "%s", member(&r, "grant"));
	th_resp_free(&r);
	snprintf(body, sizeof(body),
		 "{\"grant\":\"%s\",\"items\":[\"resident.address\"],\"reply_key\":\"%s\"}", grant,
		 th_reply_key());
	assert_int_equal(gw("sakura-bank", "POST", "/rp/v1/data", body, &r), 200);
	th_resp_free(&r);

	assert_int_equal(as(&bob, "POST", "/api/v1/me/data/resident.address/disputes",
			    "{\"kind\":\"not-mine\"}", &r),
			 201);
	snprintf(case_no, sizeof(case_no), "%s", member(&r, "case_no"));
	th_resp_free(&r);
	denied = scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
			" AND channel = 'private' AND outcome = 'denied'"
			" AND reason LIKE '%%items-frozen'",
			bob.id);
	assert_int_equal(gw("sakura-bank", "POST", "/rp/v1/data", body, &r), 403);
	assert_null(strstr(r.body, "\"ja\"")); /* the address's key, never a random id's letters */
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'private' AND outcome = 'denied'"
				" AND reason LIKE '%%items-frozen'",
				bob.id),
			 denied + 1);

	/* Re-verified by the registry: the bank may fetch again. */
	snprintf(path, sizeof(path), "/gw/v1/disputes/%s", case_no);
	assert_int_equal(gw("residents-registry", "POST", path, "{\"status\":\"reverified\"}", &r),
			 204);
	th_resp_free(&r);
	assert_int_equal(gw("sakura-bank", "POST", "/rp/v1/data", body, &r), 200);
	th_resp_free(&r);
}

/* A push programme whose notices may speak of a frozen item reaches the person no more
   while it is frozen; each refusal is recorded. */
static void
test_frozen_item_stops_push_notices(void **state)
{
	char case_no[32], path[96], body[512];
	long denied;
	struct th_resp r;
	cJSON *j;

	(void)state;
	assert_int_equal(as(&alice, "POST", "/api/v1/me/consents/push",
			    "{\"programme\":\"benefit-eligibility\",\"valid_days\":30}", &r),
			 201);
	th_resp_free(&r);
	assert_int_equal(scalar("UPDATE portal.consents SET freq_max = 100 WHERE person_id = '%s'"
				" AND kind = 'push_notice' AND status = 'active'",
				alice.id),
			 1);
	snprintf(body, sizeof(body),
		 "{\"programme\":\"benefit-eligibility\",\"person\":\"%s\",\"title\":\"Benefit\","
		 "\"body\":\"You may be eligible.\"}",
		 pseudonym(&alice, "city-welfare"));
	assert_int_equal(gw("city-welfare", "POST", "/gw/v1/notices", body, &r), 204);
	th_resp_free(&r);

	assert_int_equal(as(&alice, "POST", "/api/v1/me/data/welfare.benefit/disputes",
			    "{\"kind\":\"not-mine\"}", &r),
			 201);
	assert_non_null(j = th_json(&r));
	snprintf(case_no, sizeof(case_no), "%s", str(j, "case_no"));
	cJSON_Delete(j);
	th_resp_free(&r);
	denied = scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
			" AND channel = 'push' AND outcome = 'denied' AND reason = 'items-frozen'",
			alice.id);
	assert_int_equal(gw("city-welfare", "POST", "/gw/v1/notices", body, &r), 403);
	assert_string_equal(th_type(&r), "items-frozen");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'push' AND outcome = 'denied'"
				" AND reason = 'items-frozen'",
				alice.id),
			 denied + 1);

	/* Re-verified by its source: notices flow again. */
	snprintf(path, sizeof(path), "/gw/v1/disputes/%s", case_no);
	assert_int_equal(gw("city-welfare", "POST", path, "{\"status\":\"reverified\"}", &r), 204);
	th_resp_free(&r);
	assert_int_equal(gw("city-welfare", "POST", "/gw/v1/notices", body, &r), 204);
	th_resp_free(&r);
}

/* The person's own read is not disputed as an access: a "not mine" on it would freeze
   every item. A case about the data is opened on its item. */
static void
test_own_read_entry_not_disputed(void **state)
{
	char path[96];
	long freezes = scalar("SELECT count(*) FROM portal.item_freezes");
	struct th_resp r;
	cJSON *j = my_data(&alice);

	(void)state;
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%.0f/disputes",
		 cJSON_GetObjectItemCaseSensitive(j, "entry")->valuedouble);
	cJSON_Delete(j);
	assert_int_equal(as(&alice, "POST", path, "{\"kind\":\"not-mine\"}", &r), 404);
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.item_freezes"), freezes);
}

/* Nobody reads another's data: the read takes the session's person only. */
static void
test_needs_session(void **state)
{
	struct th_resp r;

	(void)state;
	assert_int_equal(th_http(&env, "GET", data_path(NULL), NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	th_resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_is_own_data_and_recorded),
	    cmocka_unit_test(test_own_read_raises_no_alert),
	    cmocka_unit_test(test_reply_key_required),
	    cmocka_unit_test(test_holder_down_is_503_and_recorded),
	    cmocka_unit_test(test_item_not_held),
	    cmocka_unit_test(test_no_record_no_data),
	    cmocka_unit_test(test_no_server_download),
	    cmocka_unit_test(test_correction_reaches_holder_and_answer_arrives),
	    cmocka_unit_test(test_not_mine_on_item_freezes_it),
	    cmocka_unit_test(test_holder_reverifies_a_correction),
	    cmocka_unit_test(test_frozen_item_stops_private_fetches),
	    cmocka_unit_test(test_frozen_item_stops_push_notices),
	    cmocka_unit_test(test_own_read_entry_not_disputed),
	    cmocka_unit_test(test_needs_session),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
