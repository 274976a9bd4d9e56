/*
 * My information against a real PostgreSQL and a real mado: a person reads what the demo
 * agencies hold about them through the recorded gate (channel self), downloads it, asks a
 * holder for a correction and says "this is not mine" on an item; the holders see the
 * cases in their queue on the gateway and answer them.
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
		 "\"human\",\"case_ref\":\"C-1\"}",
		 pseudonym(p, org), items, purpose, legal_ref);
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

static cJSON *
my_data(const struct th_person *p)
{
	struct th_resp r;
	cJSON *j;

	assert_int_equal(as(p, "GET", "/api/v1/me/data", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	return j;
}

/* --- the read --- */

static void
test_read_is_own_data_and_recorded(void **state)
{
	static const char *const orgs[] = {"residents-registry", "tax-office", "pension-service",
					   "health-insurer", "city-welfare"};
	char alice_name[128], bob_name[128], alice_income[64], bob_income[64], want[96];
	long before = events_of(&alice), bob_before = events_of(&bob);
	const cJSON *g, *i, *e;
	struct th_resp r;
	cJSON *j, *log;
	int n = 0;
	size_t k;

	(void)state;
	assert_int_equal(th_sql_str(&env, alice_name, sizeof(alice_name),
				    "SELECT value->>'ja' FROM agency_registry.holdings"
				    " WHERE person_id = '%s' AND item = 'resident.name'",
				    alice.id),
			 0);
	assert_int_equal(th_sql_str(&env, bob_name, sizeof(bob_name),
				    "SELECT value->>'ja' FROM agency_registry.holdings"
				    " WHERE person_id = '%s' AND item = 'resident.name'",
				    bob.id),
			 0);
	assert_int_equal(th_sql_str(&env, alice_income, sizeof(alice_income),
				    "SELECT value->>'yen' FROM agency_tax.holdings"
				    " WHERE person_id = '%s' AND item = 'tax.income'",
				    alice.id),
			 0);
	assert_int_equal(th_sql_str(&env, bob_income, sizeof(bob_income),
				    "SELECT value->>'yen' FROM agency_tax.holdings"
				    " WHERE person_id = '%s' AND item = 'tax.income'",
				    bob.id),
			 0);

	assert_int_equal(as(&alice, "GET", "/api/v1/me/data", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	/* Every demo agency's items, alice's values and nobody else's. */
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
	assert_non_null(strstr(r.body, alice_name));
	if (strcmp(alice_name, bob_name) != 0)
		assert_null(strstr(r.body, bob_name));
	i = find_item(j, "tax-office", "tax.income");
	assert_non_null(i);
	assert_string_equal(str(i, "as_of"), "2025-12-31");
	assert_true(str(i, "source_ja")[0] != '\0');
	assert_true(str(i, "source_en")[0] != '\0');
	assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(
			     cJSON_GetObjectItemCaseSensitive(i, "value"), "yen")
			     ->valuedouble,
			 atol(alice_income));
	if (strcmp(alice_income, bob_income) != 0) {
		snprintf(want, sizeof(want), "\"yen\":%s", bob_income);
		assert_null(strstr(r.body, want));
	}
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(i, "frozen")));
	th_resp_free(&r);

	/* Exactly one entry, in alice's log alone, and she sees it with channel self. */
	assert_int_equal(events_of(&alice), before + 1);
	assert_int_equal(events_of(&bob), bob_before);
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

	/* One item alone: one value, one more entry. */
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data?item=pension.record", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	n = 0;
	cJSON_ArrayForEach (g, cJSON_GetObjectItemCaseSensitive(j, "organisations")) {
		cJSON_ArrayForEach (i, cJSON_GetObjectItemCaseSensitive(g, "items"))
			n++;
	}
	assert_int_equal(n, 1);
	assert_non_null(find_item(j, "pension-service", "pension.record"));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'self' AND items = ARRAY['pension.record']",
				alice.id),
			 1);

	/* An unknown item is bad input: nothing read, nothing written. */
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data?item=no.such", NULL, &r), 404);
	assert_string_equal(th_type(&r), "not-found");
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 2);
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

/* Holds a lock on the log in a second session while the person reads. */
static void
test_no_record_no_data(void **state)
{
	char conninfo[400], income[64], want[64];
	long before = events_of(&alice);
	struct th_resp r;
	PGresult *res;
	PGconn *c;

	(void)state;
	assert_int_equal(th_sql_str(&env, income, sizeof(income),
				    "SELECT value->>'yen' FROM agency_tax.holdings"
				    " WHERE person_id = '%s' AND item = 'tax.income'",
				    alice.id),
			 0);
	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 dbname=mado user=postgres",
		 env.pgdir);
	c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "BEGIN; LOCK TABLE portal.access_events IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data", NULL, &r), 503);
	assert_string_equal(th_type(&r), "access-record-failed");
	snprintf(want, sizeof(want), "%s", income);
	assert_null(strstr(r.body, want));
	assert_null(strstr(r.body, "yen"));
	th_resp_free(&r);
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data/export?format=csv", NULL, &r), 503);
	assert_string_equal(th_type(&r), "access-record-failed");
	assert_null(strstr(r.body, "yen"));
	th_resp_free(&r);
	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	PQfinish(c);
	assert_int_equal(events_of(&alice), before);
}

/* --- downloads --- */

static void
test_downloads(void **state)
{
	char hdr[256];
	long before = events_of(&alice);
	const char *line;
	struct th_resp r;
	cJSON *j;
	int lines = 0;

	(void)state;
	/* A source that looks like a formula is written inert. */
	assert_int_equal(scalar("UPDATE portal.data_items SET source_en = '=HYPERLINK(\"x\")'"
				" WHERE code = 'tax.withholding'"),
			 1);
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data/export?format=csv", NULL, &r), 200);
	assert_non_null(th_header(&r, "Content-Type", hdr, sizeof(hdr)));
	assert_non_null(strstr(hdr, "text/csv"));
	assert_non_null(th_header(&r, "Content-Disposition", hdr, sizeof(hdr)));
	assert_non_null(strstr(hdr, "attachment"));
	assert_non_null(strstr(r.body, "organisation,organisation_ja,organisation_en,item,"));
	assert_non_null(strstr(r.body, "\"tax.income\""));
	assert_non_null(strstr(r.body, "\"'=HYPERLINK(\"\"x\"\")\""));
	for (line = r.body; (line = strstr(line, "\r\n")) != NULL; line += 2)
		lines++;
	assert_int_equal(lines, 1 + 11);
	th_resp_free(&r);
	assert_int_equal(scalar("UPDATE portal.data_items SET source_en = 'Tax records'"
				" WHERE code = 'tax.withholding'"),
			 1);

	/* One item as CSV: the header and its one line. */
	assert_int_equal(
	    as(&alice, "GET", "/api/v1/me/data/export?format=csv&item=tax.income", NULL, &r), 200);
	lines = 0;
	for (line = r.body; (line = strstr(line, "\r\n")) != NULL; line += 2)
		lines++;
	assert_int_equal(lines, 2);
	assert_non_null(th_header(&r, "Content-Disposition", hdr, sizeof(hdr)));
	assert_non_null(strstr(hdr, "tax.income"));
	th_resp_free(&r);

	/* JSON: the same document as the view. */
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data/export?format=json", NULL, &r), 200);
	assert_non_null(th_header(&r, "Content-Disposition", hdr, sizeof(hdr)));
	assert_non_null(strstr(hdr, ".json"));
	assert_non_null(j = th_json(&r));
	assert_non_null(find_item(j, "health-insurer", "health.claims"));
	cJSON_Delete(j);
	th_resp_free(&r);

	/* Each download is a recorded read. */
	assert_int_equal(events_of(&alice), before + 3);
	assert_int_equal(as(&alice, "GET", "/api/v1/me/data/export?format=xml", NULL, &r), 422);
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 3);
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
	assert_int_equal(th_http(&env, "GET", "/api/v1/me/data", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	th_resp_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_read_is_own_data_and_recorded),
	    cmocka_unit_test(test_own_read_raises_no_alert),
	    cmocka_unit_test(test_no_record_no_data),
	    cmocka_unit_test(test_downloads),
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
