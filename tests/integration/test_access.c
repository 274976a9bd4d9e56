/*
 * Access transparency against a real PostgreSQL and a real mado: agency systems come
 * through the mTLS gateway with their organisation certificates, people log in with
 * virtual cards over TLS and read their own log. Database state is checked as the
 * superuser; row-level security as the application role itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "harness.h"
#include "mado/seal.h"

static struct th_env env;
static char origin_hdr[96];
static const char jsonct[] = "Content-Type: application/json";

static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};

#define scalar(...) th_sql(&env, __VA_ARGS__)
/* The hash partition of the access log that holds a person's rows. The partitions are
   listed first, behind a fence: the planner may otherwise test the hash on any relation
   whose name ends in a number (pg_toast_2619), which fails the whole query. */
#define PARTITION_OF_PERSON                                                                        \
	"WITH parts AS MATERIALIZED (SELECT c.relname FROM pg_inherits i JOIN pg_class c ON"       \
	" c.oid = i.inhrelid WHERE i.inhparent = 'portal.access_events'::regclass)"                \
	" SELECT 'portal.' || relname FROM parts WHERE satisfies_hash_partition("                  \
	"'portal.access_events'::regclass, 8, substring(relname FROM '[0-9]+$')::int, '%s'::uuid)"

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};

	*state = &env;
	if (th_setup_people(&env, people, true) != 0)
		return -1;
	snprintf(origin_hdr, sizeof(origin_hdr), "Origin: %s", env.origin);
	return 0;
}

/* The pseudonym org knows the person by. */
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

/* A gateway call as org; returns the status (response in r). */
static long
gw(const char *org, const char *method, const char *path, const char *body, struct th_resp *r)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {method, path, h,   body, body != NULL ? strlen(body) : 0,
			    NULL,   NULL, true};

	if (org != NULL)
		th_org_cert(&env, org, &rq);
	assert_int_equal(th_request(&env, &rq, r), 0);
	return r->status;
}

/* A query of items (a JSON array text) for p, by org under purpose and legal_ref. */
static long
query(const char *org, const struct th_person *p, const char *items, const char *purpose,
      const char *legal_ref, const char *extra, struct th_resp *r)
{
	char body[2048];

	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":%s,\"purpose\":\"%s\",\"legal_ref\":\"%s\","
		 "\"officer\":\"officer-17\",\"officer_role\":\"caseworker\",\"actor_kind\":"
		 "\"human\",\"case_ref\":\"C-1\",\"reply_key\":\"%s\"%s}",
		 pseudonym(p, org), items, purpose, legal_ref, th_reply_key(),
		 extra != NULL ? extra : "");
	return gw(org, "POST", "/gw/v1/queries", body, r);
}

static long
query_ok(const char *org, const struct th_person *p, const char *items, const char *purpose,
	 const char *legal_ref)
{
	struct th_resp r;
	long st = query(org, p, items, purpose, legal_ref, NULL, &r);

	if (st != 200)
		fail_msg("query by %s: %ld %s", org, st, r.body);
	th_resp_free(&r);
	return st;
}

static long
get_as(const struct th_person *p, const char *path, struct th_resp *r)
{
	assert_int_equal(th_person_http(&env, p, "GET", path, NULL, r), 0);
	return r->status;
}

/* A GET as p that may take long (a whole log's export on a busy, sanitised build). */
static long
get_long(const struct th_person *p, const char *path, struct th_resp *r)
{
	long old = th_http_timeout(600);

	assert_int_equal(th_person_http(&env, p, "GET", path, NULL, r), 0);
	th_http_timeout(old);
	return r->status;
}

static long
send_as(const struct th_person *p, const char *method, const char *path, const char *body,
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

/* The person's newest entry, as the API shows it. */
static cJSON *
latest_entry(const struct th_person *p)
{
	struct th_resp r;
	cJSON *j, *e;

	assert_int_equal(get_as(p, "/api/v1/me/access-log?limit=1", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	e = cJSON_DetachItemFromArray(cJSON_GetObjectItemCaseSensitive(j, "items"), 0);
	cJSON_Delete(j);
	assert_non_null(e);
	return e;
}

static const char *
str(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* --- the gateway --- */

/* The holder's value of item for p, as text (its own database, its own pseudonym). */
static const char *
held(const struct th_person *p, const char *org, const char *item)
{
	static char buf[256];

	assert_int_equal(th_holder_sql_str(&env, org, buf, sizeof(buf),
					   "SELECT value::text FROM holder.holdings WHERE"
					   " pseudonym = '%s' AND item = '%s'",
					   pseudonym(p, org), item),
			 0);
	return buf;
}

static long
holder_requests(const char *org)
{
	return th_holder_sql(&env, org, "SELECT count(*) FROM holder.requests");
}

static void
test_query_served_and_recorded(void **state)
{
	struct th_resp r;
	long before = events_of(&alice);
	cJSON *j, *e, *items;
	EVP_PKEY *other;
	char *value;
	size_t len;

	(void)state;
	assert_int_equal(query("city-welfare", &alice, "[\"tax.income\",\"resident.household\"]",
			       "welfare.eligibility", "MNA-T2-21", NULL, &r),
			 200);
	assert_non_null(j = th_json(&r));
	assert_int_equal(strlen(str(j, "event_id")), 36);
	/* Two holders answered, each sealed to the agency's key for this record. */
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "answers")), 2);
	assert_non_null(items = th_open_answers(j, str(j, "event_id")));
	assert_int_equal(cJSON_GetArraySize(items), 2);
	value = cJSON_PrintUnformatted(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(items, "tax.income"), "value"));
	assert_non_null(value);
	/* The same value the tax office holds (jsonb text and cJSON differ in spacing). */
	assert_int_equal(th_holder_sql(&env, "tax-office",
				       "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'"
				       " AND item = 'tax.income' AND value = '%s'::jsonb",
				       pseudonym(&alice, "tax-office"), value),
			 1);
	/* Mado relayed ciphertext: the value is nowhere in the response as sent. */
	assert_null(strstr(r.body, held(&alice, "tax-office", "tax.income")));
	assert_null(th_open_answers(j, "another record"));
	/* Only the requester's key opens it: another P-256 key does not. */
	assert_non_null(other = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	assert_null(mado_seal_open(
	    other, str(j, "event_id"),
	    th_jstr(cJSON_GetArrayItem(cJSON_GetObjectItem(j, "answers"), 0), "sealed"), &len));
	EVP_PKEY_free(other);
	cJSON_free(value);
	cJSON_Delete(items);
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 1);

	e = latest_entry(&alice);
	assert_string_equal(str(e, "organisation"), "city-welfare");
	assert_string_equal(str(e, "channel"), "gateway");
	assert_string_equal(str(e, "purpose"), "welfare.eligibility");
	assert_string_equal(str(e, "legal_ref"), "MNA-T2-21");
	assert_string_equal(str(e, "officer"), "officer-17");
	assert_string_equal(str(e, "outcome"), "served");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "items")), 2);
	cJSON_Delete(e);
}

/* The holder answers the ticket's items only, though it holds more for the person. */
static void
test_holder_answers_only_the_ticket_items(void **state)
{
	struct th_resp r;
	cJSON *j, *items;

	(void)state;
	assert_true(th_holder_sql(&env, "residents-registry",
				  "SELECT count(*) FROM holder.holdings WHERE pseudonym = '%s'",
				  pseudonym(&alice, "residents-registry")) >= 3);
	assert_int_equal(query("pension-service", &alice, "[\"resident.address\"]",
			       "pension.eligibility", "MNA-T2-48", NULL, &r),
			 200);
	assert_non_null(j = th_json(&r));
	assert_non_null(items = th_open_answers(j, str(j, "event_id")));
	assert_int_equal(cJSON_GetArraySize(items), 1);
	assert_non_null(cJSON_GetObjectItem(items, "resident.address"));
	cJSON_Delete(items);
	cJSON_Delete(j);
	th_resp_free(&r);
}

/* A refused query reaches no holder: its request log does not move. */
static void
test_refused_query_reaches_no_holder(void **state)
{
	long tax = holder_requests("tax-office"), reg = holder_requests("residents-registry");
	struct th_resp r;

	(void)state;
	assert_int_equal(query("tax-office", &alice, "[\"resident.name\"]", "tax.assessment",
			       "MNA-T2-72", NULL, &r),
			 403);
	th_resp_free(&r);
	assert_int_equal(holder_requests("tax-office"), tax);
	assert_int_equal(holder_requests("residents-registry"), reg);
	/* An allowed one does reach it: the count can move. */
	assert_int_equal(query("tax-office", &alice, "[\"resident.address\"]", "tax.assessment",
			       "MNA-T2-72", NULL, &r),
			 200);
	th_resp_free(&r);
	assert_int_equal(holder_requests("residents-registry"), reg + 1);
}

/* A holder down: the agency gets 503 holder-unavailable, and the person's log says the
   access failed beside the record of the decision. */
static void
test_holder_down_is_503_and_recorded(void **state)
{
	int h = th_holder_index("pension-service");
	long before = events_of(&alice);
	struct th_resp r;
	cJSON *e;

	(void)state;
	assert_int_equal(th_holder_stop(&env, h), 0);
	assert_int_equal(query("tax-office", &alice, "[\"pension.benefit\"]", "tax.assessment",
			       "MNA-T2-72", NULL, &r),
			 503);
	assert_string_equal(th_type(&r), "holder-unavailable");
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND outcome = 'failed' AND reason = 'holder-unavailable'"
				" AND org_code = 'tax-office'",
				alice.id),
			 1);
	e = latest_entry(&alice);
	assert_string_equal(str(e, "outcome"), "failed");
	cJSON_Delete(e);
	assert_int_equal(th_holder_start(&env, h), 0);
	assert_int_equal(query("tax-office", &alice, "[\"pension.benefit\"]", "tax.assessment",
			       "MNA-T2-72", NULL, &r),
			 200);
	th_resp_free(&r);
}

/* A reply key that is not a P-256 point is bad input: nothing is written. */
static void
test_bad_reply_key_changes_nothing(void **state)
{
	long before = events_of(&alice);
	char body[1024], key[88];
	struct th_resp r;
	cJSON *j;

	(void)state;
	memset(key, 'A', 87);
	key[87] = '\0';
	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
		 "\"pension.eligibility\",\"legal_ref\":\"MNA-T2-48\",\"officer\":\"o-1\","
		 "\"actor_kind\":\"human\",\"reply_key\":\"%s\"}",
		 pseudonym(&alice, "pension-service"), key);
	assert_int_equal(gw("pension-service", "POST", "/gw/v1/queries", body, &r), 422);
	assert_string_equal(th_type(&r), "validation-failed");
	assert_non_null(j = th_json(&r));
	assert_string_equal(str(j, "field"), "reply_key");
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before);
}

/* Mado's database holds no item value: every table of every schema is searched for each
   person's name, address and incomes as their holders keep them, after queries served
   them all. The agency schemas are gone. */
static void
test_database_holds_no_item_value(void **state)
{
	static const struct th_person *const people[] = {&alice, &bob};
	char needles[8192] = "ARRAY['%%'", v[256];
	size_t used = strlen(needles), i;
	struct th_resp r;
	int n = 0;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(query("city-welfare", people[i],
				       "[\"tax.income\",\"resident.household\"]",
				       "welfare.eligibility", "MNA-T2-21", NULL, &r),
				 200);
		th_resp_free(&r);
		assert_int_equal(query("tax-office", people[i], "[\"resident.address\"]",
				       "tax.assessment", "MNA-T2-72", NULL, &r),
				 200);
		th_resp_free(&r);
		assert_int_equal(th_holder_sql_str(&env, "residents-registry", v, sizeof(v),
						   "SELECT value->>'ja' FROM holder.holdings WHERE"
						   " pseudonym = '%s' AND item = 'resident.name'",
						   pseudonym(people[i], "residents-registry")),
				 0);
		used += (size_t)snprintf(needles + used, sizeof(needles) - used, ",'%%%s%%'", v);
		assert_int_equal(
		    th_holder_sql_str(&env, "residents-registry", v, sizeof(v),
				      "SELECT value->>'ja' FROM holder.holdings WHERE"
				      " pseudonym = '%s' AND item = 'resident.address'",
				      pseudonym(people[i], "residents-registry")),
		    0);
		used += (size_t)snprintf(needles + used, sizeof(needles) - used, ",'%%%s%%'", v);
		assert_int_equal(th_holder_sql_str(&env, "tax-office", v, sizeof(v),
						   "SELECT value->>'yen' FROM holder.holdings WHERE"
						   " pseudonym = '%s' AND item = 'tax.income'",
						   pseudonym(people[i], "tax-office")),
				 0);
		assert_true(strlen(v) >= 7);
		used += (size_t)snprintf(needles + used, sizeof(needles) - used, ",'%%%s%%'", v);
		n += 3;
	}
	assert_true(used + 2 < sizeof(needles));
	memcpy(needles + used, "]", 2);
	/* needles[0] ("%%") matches every row: the scan does read every table. */
	assert_true(scalar("CREATE FUNCTION pg_temp.hits(p text[]) RETURNS bigint LANGUAGE"
			   " plpgsql AS $$ DECLARE t record; k bigint; s bigint := 0; BEGIN"
			   " FOR t IN SELECT n.nspname, c.relname FROM pg_class c JOIN"
			   " pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND"
			   " n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
			   " LOOP EXECUTE format('SELECT count(*) FROM %%I.%%I x WHERE x::text LIKE"
			   " ANY ($1)', t.nspname, t.relname) INTO k USING p; s := s + k; END LOOP;"
			   " RETURN s; END $$; SELECT pg_temp.hits(%s)",
			   needles) > 100);
	memmove(needles + 6, needles + 11, strlen(needles + 11) + 1); /* drop the '%%', */
	assert_int_equal(
	    scalar("CREATE FUNCTION pg_temp.hits(p text[]) RETURNS bigint LANGUAGE"
		   " plpgsql AS $$ DECLARE t record; k bigint; s bigint := 0; BEGIN"
		   " FOR t IN SELECT n.nspname, c.relname FROM pg_class c JOIN"
		   " pg_namespace n ON n.oid = c.relnamespace WHERE c.relkind = 'r' AND"
		   " n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')"
		   " LOOP EXECUTE format('SELECT count(*) FROM %%I.%%I x WHERE x::text"
		   " LIKE ANY ($1)', t.nspname, t.relname) INTO k USING p; s := s + k;"
		   " END LOOP; RETURN s; END $$; SELECT pg_temp.hits(%s)",
		   needles),
	    0);
	assert_int_equal(n, 6);
	assert_int_equal(scalar("SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'agency%%'"),
			 0);
}

/* Mado's operational log holds no value the holders answered with. */
static void
test_log_holds_no_item_value(void **state)
{
	char *log = th_log_when(&env, "", 0), yen[32];

	(void)state;
	assert_int_equal(th_holder_sql_str(&env, "tax-office", yen, sizeof(yen),
					   "SELECT value->>'yen' FROM holder.holdings WHERE"
					   " pseudonym = '%s' AND item = 'tax.income'",
					   pseudonym(&alice, "tax-office")),
			 0);
	assert_non_null(log);
	assert_true(strlen(yen) >= 7);
	assert_null(strstr(log, yen));
	free(log);
}

static void
test_no_legal_basis_refused_and_logged(void **state)
{
	struct th_resp r;
	long before = events_of(&alice);
	cJSON *e;

	(void)state;
	/* The tax office has no basis for medical claims. */
	assert_int_equal(query("tax-office", &alice, "[\"health.claims\"]", "tax.assessment",
			       "MNA-T2-72", NULL, &r),
			 403);
	assert_string_equal(th_type(&r), "no-legal-basis");
	assert_null(strstr(r.body, "claims_2025")); /* no data in the refusal */
	/* ... and in the operational log too, naming the organisation (asvs LG-02). */
	assert_non_null(e = th_request_line(&env, &r));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(e, "status")->valueint, 403);
	assert_string_equal(str(e, "actor"), "org:tax-office");
	cJSON_Delete(e);
	th_resp_free(&r);
	assert_int_equal(events_of(&alice), before + 1);
	e = latest_entry(&alice);
	assert_string_equal(str(e, "organisation"), "tax-office");
	assert_string_equal(str(e, "outcome"), "denied");
	assert_string_equal(str(e, "reason"), "no-legal-basis");
	cJSON_Delete(e);

	/* Right item, wrong legal reference: refused too. */
	assert_int_equal(query("tax-office", &alice, "[\"resident.address\"]", "tax.assessment",
			       "MNA-T2-99", NULL, &r),
			 403);
	th_resp_free(&r);
	/* A processor relaying for a controller it is not registered for. */
	assert_int_equal(query("welfare-it", &alice, "[\"tax.income\"]", "welfare.eligibility",
			       "MNA-T2-21", ",\"relay_for\":\"pension-service\"", &r),
			 403);
	th_resp_free(&r);
	/* ... and for the one it is: allowed under the controller's basis. */
	assert_int_equal(query("welfare-it", &alice, "[\"tax.income\"]", "welfare.eligibility",
			       "MNA-T2-21", ",\"relay_for\":\"city-welfare\"", &r),
			 200);
	th_resp_free(&r);
	e = latest_entry(&alice);
	assert_string_equal(str(e, "organisation"), "welfare-it");
	assert_string_equal(str(e, "relay_for"), "city-welfare");
	cJSON_Delete(e);
	assert_int_equal(events_of(&alice), before + 4);
}

static void
test_bad_queries_change_nothing(void **state)
{
	/* Wrong values are 422; a body of the wrong shape (not an object, a member the
	   endpoint does not take) is 400. */
	static const struct {
		const char *body;
		long status;
		const char *type;
	} bad[] = {
	    {"{}", 422, "validation-failed"},
	    {"{\"person\":\"short\",\"items\":[\"tax.income\"],\"purpose\":\"a.b\","
	     "\"legal_ref\":\"x\",\"officer\":\"o\",\"actor_kind\":\"human\"}",
	     422, "validation-failed"},
	    {"[1,2]", 400, "invalid-body"},
	};
	char body[1024];
	struct th_resp r;
	long before = scalar("SELECT count(*) FROM portal.access_events");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(gw("pension-service", "POST", "/gw/v1/queries", bad[i].body, &r),
				 bad[i].status);
		assert_string_equal(th_type(&r), bad[i].type);
		th_resp_free(&r);
	}
	/* An unknown item, an unknown member, a pseudonym of another organisation. */
	assert_int_equal(query("pension-service", &alice, "[\"tax.nothing\"]",
			       "pension.eligibility", "MNA-T2-48", NULL, &r),
			 422);
	th_resp_free(&r);
	assert_int_equal(query("pension-service", &alice, "[\"tax.income\"]", "pension.eligibility",
			       "MNA-T2-48", ",\"extra\":1", &r),
			 400);
	assert_string_equal(th_type(&r), "invalid-body");
	th_resp_free(&r);
	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
		 "\"pension.eligibility\",\"legal_ref\":\"MNA-T2-48\",\"officer\":\"o-1\","
		 "\"actor_kind\":\"human\",\"reply_key\":\"%s\"}",
		 pseudonym(&alice, "tax-office"), th_reply_key());
	assert_int_equal(gw("pension-service", "POST", "/gw/v1/queries", body, &r), 404);
	assert_string_equal(th_type(&r), "unknown-person");
	th_resp_free(&r);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events"), before);
}

static void
test_gateway_door(void **state)
{
	struct th_resp r;
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {"POST", "/gw/v1/queries", h, "{}", 2, NULL, NULL, true};
	char cert[400], key[400], line[600];
	long before;

	(void)state;
	/* No client certificate. */
	assert_int_equal(gw(NULL, "POST", "/gw/v1/queries", "{}", &r), 401);
	assert_string_equal(th_type(&r), "unauthenticated");
	th_resp_free(&r);
	/* From the organisation CA, but registered to no organisation. */
	assert_int_equal(gw("unbound", "POST", "/gw/v1/queries", "{}", &r), 403);
	assert_string_equal(th_type(&r), "organisation-certificate-unknown");
	th_resp_free(&r);
	/* From the organisation CA, but signed over SHA-1: it cannot be registered. */
	before = scalar("SELECT count(*) FROM portal.org_certs");
	assert_int_equal(th_sh("'%s' issue '%s' sha1-gw --key p256 --eku clientauth --policy none"
			       " --md sha1 >/dev/null",
			       MADO_CARD_BINARY, env.org_dir),
			 0);
	snprintf(line, sizeof(line), "org-cert --org tax-office --cert '%s/cards/sha1-gw.crt'",
		 env.org_dir);
	assert_int_not_equal(th_mado_cmd(&env, line, NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.org_certs"), before);
	/* A card: chains to the card CA, not to an organisation CA. */
	th_card_file(&env, alice.card, "crt", cert, sizeof(cert));
	th_card_file(&env, alice.card, "key", key, sizeof(key));
	rq.cert = cert;
	rq.key = key;
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 403);
	assert_string_equal(th_type(&r), "organisation-certificate-unknown");
	th_resp_free(&r);
	/* The supervisor oversees; it does not query. */
	assert_int_equal(query("data-commission", &alice, "[\"tax.income\"]", "tax.assessment",
			       "MNA-T2-72", NULL, &r),
			 403);
	assert_string_equal(th_type(&r), "forbidden");
	th_resp_free(&r);
}

/* Holds a lock on the log in a second session while the gateway is asked. */
static void
test_no_record_no_data(void **state)
{
	char conninfo[400], part[64];
	struct th_resp r;
	long before = events_of(&alice);
	PGresult *res;
	PGconn *c;

	(void)state;
	/* The log table locked by someone else: the record cannot be written in time. */
	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 dbname=mado user=postgres",
		 env.pgdir);
	c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	res = PQexec(c, "BEGIN; LOCK TABLE portal.access_events IN ACCESS EXCLUSIVE MODE");
	assert_int_equal(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	assert_int_equal(query("city-welfare", &alice, "[\"tax.income\"]", "welfare.eligibility",
			       "MNA-T2-21", NULL, &r),
			 503);
	assert_string_equal(th_type(&r), "access-record-failed");
	assert_null(strstr(r.body, "yen"));
	th_resp_free(&r);
	res = PQexec(c, "ROLLBACK");
	PQclear(res);
	PQfinish(c);

	/* The partition that holds alice's rows is missing. */
	assert_int_equal(th_sql_str(&env, part, sizeof(part), PARTITION_OF_PERSON, alice.id), 0);
	assert_int_equal(scalar("ALTER TABLE portal.access_events DETACH PARTITION %s", part), 0);
	assert_int_equal(query("city-welfare", &alice, "[\"tax.income\"]", "welfare.eligibility",
			       "MNA-T2-21", NULL, &r),
			 503);
	assert_string_equal(th_type(&r), "access-record-failed");
	assert_null(strstr(r.body, "yen"));
	th_resp_free(&r);
	assert_int_equal(scalar("ALTER TABLE portal.access_events ATTACH PARTITION %s FOR VALUES"
				" WITH (MODULUS 8, REMAINDER %s)",
				part, part + strlen("portal.access_events_h")),
			 0);
	assert_int_equal(events_of(&alice), before);
	query_ok("city-welfare", &alice, "[\"tax.income\"]", "welfare.eligibility", "MNA-T2-21");
	assert_int_equal(events_of(&alice), before + 1);
}

/* --- reported accesses --- */

static char *
report_batch(int n, int bad_index, const char *bad_member, int salt)
{
	char ev[1024], when[32];
	size_t len = 0, cap = (size_t)n * 1100 + 64;
	char *b = malloc(cap);
	time_t now = time(NULL) - 3600;
	int i;

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	len += (size_t)snprintf(b + len, cap - len, "{\"events\":[");
	for (i = 0; i < n; i++) {
		snprintf(ev, sizeof(ev),
			 "%s{\"event_id\":\"00000000-0000-4000-8000-%06d%06d\",\"person\":\"%s\","
			 "\"occurred_at\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
			 "\"tax.assessment\",\"legal_ref\":\"internal\",\"officer\":\"clerk-%d\","
			 "\"actor_kind\":\"human\"%s}",
			 i > 0 ? "," : "", salt, i, pseudonym(i % 2 ? &bob : &alice, "tax-office"),
			 when, i, i == bad_index ? bad_member : "");
		len += (size_t)snprintf(b + len, cap - len, "%s", ev);
	}
	snprintf(b + len, cap - len, "]}");
	return b;
}

static long
report(const char *body, struct th_resp *r)
{
	return gw("tax-office", "POST", "/gw/v1/access-reports", body, r);
}

static void
test_report_replay_writes_once(void **state)
{
	char *b = report_batch(6, -1, NULL, 1);
	long before = scalar("SELECT count(*) FROM portal.access_events WHERE channel = 'report'");
	struct th_resp r;
	cJSON *j;

	(void)state;
	assert_int_equal(report(b, &r), 201);
	assert_non_null(j = th_json(&r));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "written")->valueint, 6);
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(report(b, &r), 200);
	assert_non_null(j = th_json(&r));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "written")->valueint, 0);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "duplicates")->valueint, 6);
	cJSON_Delete(j);
	th_resp_free(&r);
	free(b);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events WHERE channel = 'report'"),
	    before + 6);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE channel ="
				" 'report' AND person_id = '%s'",
				bob.id),
			 3);
}

static void
test_report_bad_event_writes_nothing(void **state)
{
	/* A member the endpoint does not take, or of the wrong type, is the wrong shape
	   (400); a value only the database can judge is 422. */
	static const struct {
		int index;
		const char *member, *field;
		long status;
		const char *type;
	} cases[] = {
	    {3, ",\"extra\":true", "extra", 400, "invalid-body"},
	    {4, ",\"case_ref\":7", "case_ref", 400, "invalid-body"},
	    {0, ",\"relay_for\":\"pension-service\"", "relay_for", 422, "validation-failed"},
	};
	long before = scalar("SELECT count(*) FROM portal.access_events");
	struct th_resp r;
	char *b, *p;
	size_t i;
	cJSON *j;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b = report_batch(5, cases[i].index, cases[i].member, 2);
		assert_int_equal(report(b, &r), cases[i].status);
		assert_string_equal(th_type(&r), cases[i].type);
		assert_non_null(j = th_json(&r));
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "index")->valueint,
				 cases[i].index);
		assert_string_equal(str(j, "field"), cases[i].field);
		cJSON_Delete(j);
		th_resp_free(&r);
		free(b);
	}
	/* A day that does not exist and a time of -1:-1 are refused, naming the member. */
	for (i = 0; i < 2; i++) {
		static const char *const bad[] = {"2026-02-31T00:00:00Z", "2026-01-01T-1:-1:00Z"};

		b = report_batch(5, -1, NULL, 6);
		p = strstr(strstr(b, "\"occurred_at\":\"") + 1, "\"occurred_at\":\"");
		memcpy(p + strlen("\"occurred_at\":\""), bad[i], strlen(bad[i]));
		assert_int_equal(report(b, &r), 422);
		assert_string_equal(th_type(&r), "validation-failed");
		assert_non_null(j = th_json(&r));
		assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "index")->valueint, 1);
		assert_string_equal(str(j, "field"), "occurred_at");
		cJSON_Delete(j);
		th_resp_free(&r);
		free(b);
	}
	/* A pseudonym of another organisation: the database names it. */
	b = report_batch(5, -1, NULL, 3);
	assert_non_null(p = strstr(b, pseudonym(&bob, "tax-office")));
	memcpy(p, pseudonym(&bob, "pension-service"), 43);
	assert_int_equal(report(b, &r), 422);
	assert_non_null(j = th_json(&r));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "index")->valueint, 1);
	assert_string_equal(str(j, "field"), "person");
	cJSON_Delete(j);
	th_resp_free(&r);
	free(b);
	/* The same event twice in one batch; and more than 1000 events. */
	b = report_batch(2, -1, NULL, 4);
	p = strstr(b, "000004000001");
	memcpy(p, "000004000000", 12);
	assert_int_equal(report(b, &r), 422);
	th_resp_free(&r);
	free(b);
	b = report_batch(1001, -1, NULL, 5);
	assert_int_equal(report(b, &r), 422);
	th_resp_free(&r);
	free(b);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events"), before);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_event_keys WHERE event_id::text"
				" ~ '-00000[2-5][0-9]{6}$'"),
			 0);
}

/*
 * A temporary table the caller's session made, named as gw_report's batch once was, with
 * a trigger that copies the pseudonym key: gw_report runs as the owner and must never
 * touch it (security review finding 7). The report is still written.
 */
static void
test_report_ignores_session_temp_table(void **state)
{
	static const char ev[] = "00000000-0000-4000-8000-0000000b47c0";
	char when[32];
	time_t now = time(NULL) - 60;

	(void)state;
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	assert_int_equal(
	    scalar(
		"SET ROLE mado_app;"
		" CREATE TEMP TABLE gw_batch (idx int, event_id uuid, person_id uuid,"
		"  occurred_at timestamptz, relay_for text, officer text, officer_role text,"
		"  actor_kind text, purpose text, legal_ref text, case_ref text, items text[]);"
		" GRANT ALL ON gw_batch TO mado_owner;"
		" CREATE TEMP TABLE loot (k bytea); GRANT ALL ON loot TO mado_owner;"
		" CREATE FUNCTION pg_temp.take() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN"
		"  INSERT INTO pg_temp.loot SELECT key FROM portal.pseudonym_key; RETURN NULL;"
		"  END$$;"
		" CREATE TRIGGER take BEFORE TRUNCATE ON gw_batch EXECUTE FUNCTION pg_temp.take();"
		" CREATE TRIGGER take_rows BEFORE INSERT ON gw_batch"
		"  FOR EACH STATEMENT EXECUTE FUNCTION pg_temp.take();"
		" CREATE TEMP TABLE res AS SELECT * FROM portal.gw_report('tax-office',"
		"  '[{\"event_id\": \"%s\", \"person\": \"%s\", \"occurred_at\": \"%s\","
		"    \"items\": [\"tax.income\"], \"purpose\": \"tax.assessment\","
		"    \"legal_ref\": \"internal\", \"actor_kind\": \"human\"}]');"
		" SELECT (SELECT written FROM res) * 10 + (SELECT count(*) FROM loot)",
		ev, pseudonym(&alice, "tax-office"), when),
	    10);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE event_id = '%s'"
				" AND person_id = '%s' AND channel = 'report'",
				ev, alice.id),
			 1);
	/* No function that runs as its owner makes or names a temporary object, which the
	   calling session could have prepared: checked over every SECURITY DEFINER body. */
	assert_int_equal(scalar("SELECT count(*) FROM pg_proc p WHERE p.prosecdef AND"
				" p.pronamespace = 'portal'::regnamespace AND (p.prosrc ~*"
				" '\\m(temp|temporary)\\s+(table|view|sequence)' OR p.prosrc ~*"
				" '\\mpg_temp\\M' OR p.prosrc ~* 'on\\s+commit\\s+drop')"),
			 0);
	assert_true(scalar("SELECT count(*) FROM pg_proc p WHERE p.prosecdef AND"
			   " p.pronamespace = 'portal'::regnamespace") > 10);
	/* Every one of them pins its search path, so no object of pg_temp is found first. */
	assert_int_equal(scalar("SELECT count(*) FROM pg_proc p WHERE p.prosecdef AND"
				" p.pronamespace = 'portal'::regnamespace AND NOT"
				" coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog,"
				" pg_temp']"),
			 0);
}

/*
 * The definer functions that act for a person act only for the person the transaction
 * was set to (mado.person_id), so the application role cannot name someone else (review
 * finding 17); organisation certificates are not the application's to write, and a
 * revoked one stays revoked.
 */
static void
test_definer_functions_act_for_the_set_person(void **state)
{
	/* Each function, and its arguments after the person. */
	static const char *const calls[][2] = {
	    {"dispute_open", "1, 'not-mine', NULL"},
	    {"consent_change", "gen_random_uuid(), 'revoke', 'self'"},
	    {"consent_push_give", "'benefit-eligibility', 30, 'self'"},
	    {"consent_request_decide", "gen_random_uuid(), false, NULL, NULL, 'self'"},
	    {"consent_receipt", "gen_random_uuid(), NULL"},
	};
	char sql[512], got[64];
	long consents = scalar("SELECT count(*) FROM portal.consents");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		snprintf(sql, sizeof(sql), "SELECT * FROM portal.%s('%s', %s)", calls[i][0],
			 alice.id, calls[i][1]);
		/* Set to someone else, or not set at all: refused. */
		assert_int_equal(
		    scalar("SET ROLE mado_app; SELECT set_config('mado.person_id', '%s',"
			   " false); %s",
			   bob.id, sql),
		    -1);
		assert_int_equal(scalar("SET ROLE mado_app; %s", sql), -1);
	}
	assert_int_equal(scalar("SELECT count(*) FROM portal.consents"), consents);
	/* Set to the person named: the function runs (and finds no such consent). */
	assert_int_equal(th_sql_str(&env, got, sizeof(got),
				    "SET ROLE mado_app; SELECT set_config('mado.person_id', '%s',"
				    " false); SELECT reason FROM portal.consent_change('%s',"
				    " gen_random_uuid(), 'revoke', 'self')",
				    alice.id, alice.id),
			 0);
	assert_string_equal(got, "not-found");

	/* Organisation certificates: read only, for the application role. */
	assert_int_equal(scalar("SET ROLE mado_app; INSERT INTO portal.org_certs (key_hash,"
				" org_code) VALUES (repeat('ab', 32), 'police')"),
			 -1);
	assert_int_equal(scalar("SET ROLE mado_app; UPDATE portal.org_certs SET revoked_at ="
				" NULL"),
			 -1);
	assert_true(scalar("SET ROLE mado_app; SELECT count(*) FROM portal.org_certs") > 0);
	/* Certificates change only through an approved register proposal, even for the
	   schema owner's SQL. */
	assert_int_equal(scalar("INSERT INTO portal.org_certs (key_hash, org_code, revoked_at)"
				" VALUES (repeat('cd', 32), 'police', now())"),
			 -1);
	/* A revoked certificate added again, as an approval writes it: refused, still revoked. */
	assert_int_equal(scalar("SELECT set_config('mado.register_apply', 'on', false);"
				" INSERT INTO portal.org_certs (key_hash, org_code, revoked_at)"
				" VALUES (repeat('cd', 32), 'police', now())"),
			 1);
	assert_int_equal(scalar("SELECT set_config('mado.register_apply', 'on', false);"
				" INSERT INTO portal.org_certs (key_hash, org_code) VALUES"
				" (repeat('cd', 32), 'police') ON CONFLICT (key_hash) DO UPDATE SET"
				" org_code = EXCLUDED.org_code, revoked_at = NULL WHERE"
				" portal.org_certs.org_code = EXCLUDED.org_code"),
			 -1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.org_certs WHERE key_hash ="
				" repeat('cd', 32) AND revoked_at IS NOT NULL"),
			 1);
}

/* --- the log's protections --- */

static void
test_append_only_for_every_role(void **state)
{
	static const char *const roles[] = {"mado_app", "mado_owner"};
	static const char *const stmts[] = {
	    "UPDATE portal.access_events SET outcome = 'served'",
	    "DELETE FROM portal.access_events",
	    "TRUNCATE portal.access_events",
	    "UPDATE portal.access_event_keys SET org_code = 'x'",
	};
	char part[64];
	long before = scalar("SELECT count(*) FROM portal.access_events");
	size_t i, k;

	(void)state;
	assert_true(before > 0);
	for (i = 0; i < 2; i++)
		for (k = 0; k < 4; k++)
			assert_int_equal(scalar("SET ROLE %s; SELECT set_config('mado.person_id',"
						" '%s', false); %s",
						roles[i], alice.id, stmts[k]),
					 -1);
	/* A partition directly: no privilege for the application, a trigger for the owner. */
	assert_int_equal(th_sql_str(&env, part, sizeof(part), PARTITION_OF_PERSON, alice.id), 0);
	for (i = 0; i < 2; i++) {
		assert_int_equal(scalar("SET ROLE %s; TRUNCATE %s", roles[i], part), -1);
		assert_int_equal(scalar("SET ROLE %s; DELETE FROM %s", roles[i], part), -1);
	}
	/* Nor may the application read a partition, where row-level security would not
	   apply: only the log itself. */
	assert_int_equal(scalar("SET ROLE mado_app; SELECT count(*) FROM %s", part), -1);
	/* Every partition has its own TRUNCATE guard (TRUNCATE of a partition does not fire
	   the parent's trigger), and there are the eight of them, whatever the month. */
	assert_int_equal(scalar("SELECT count(*) FROM pg_inherits i JOIN pg_trigger t ON"
				" t.tgrelid = i.inhrelid AND t.tgname = 'no_truncate' WHERE"
				" i.inhparent = 'portal.access_events'::regclass"),
			 8);
	assert_int_equal(scalar("SELECT count(*) FROM pg_inherits WHERE inhparent ="
				" 'portal.access_events'::regclass"),
			 8);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events"), before);
	/* The application role holds no privilege to change the log, owns nothing and
	   cannot bypass row-level security. */
	assert_int_equal(scalar("SELECT count(*) FROM information_schema.role_table_grants WHERE"
				" grantee = 'mado_app' AND table_name LIKE 'access_event%%' AND"
				" privilege_type IN ('UPDATE', 'DELETE', 'TRUNCATE', 'INSERT')"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM pg_class WHERE relowner ="
				" 'mado_app'::regrole"),
			 0);
	assert_int_equal(scalar("SELECT (rolbypassrls OR rolsuper)::int FROM pg_roles WHERE"
				" rolname = 'mado_app'"),
			 0);
	assert_int_equal(scalar("SELECT relforcerowsecurity::int FROM pg_class WHERE oid ="
				" 'portal.access_events'::regclass"),
			 1);
}

static void
test_person_sees_only_own(void **state)
{
	struct th_resp r;
	char path[128], bob_row[24], member[40], *log;
	cJSON *j, *e;

	(void)state;
	query_ok("pension-service", &bob, "[\"resident.address\"]", "pension.eligibility",
		 "MNA-T2-48");
	assert_int_equal(
	    th_sql_str(&env, bob_row, sizeof(bob_row),
		       "SELECT max(id) FROM portal.access_events WHERE person_id = '%s'", bob.id),
	    0);
	/* Through the API: every entry of alice's log is hers, bob's entry is not found. */
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?limit=200", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")),
			 events_of(&alice));
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(j, "items"))
		assert_true(cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble !=
			    atof(bob_row));
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s", bob_row);
	assert_int_equal(get_as(&alice, path, &r), 404);
	/* The operational log has the refusal: a person asked, but not who nor which entry
	   (asvs LG-02). The line has only its fixed members and the route's pattern; a
	   search for the entry's number in it would find the same digits in the time. */
	assert_non_null(j = th_request_line(&env, &r));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "status")->valueint, 404);
	assert_string_equal(str(j, "actor"), "person");
	assert_string_equal(str(j, "route"), "GET /api/v1/me/access-log/{id}");
	cJSON_ArrayForEach (e, j) {
		snprintf(member, sizeof(member), " %.32s ", e->string);
		assert_non_null(strstr(" ts level req method route status ms actor ", member));
	}
	log = cJSON_PrintUnformatted(j);
	assert_null(strstr(log, alice.id));
	free(log);
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(get_as(&bob, path, &r), 200);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s/disputes", bob_row);
	assert_int_equal(send_as(&alice, "POST", path, "{\"kind\":\"not-mine\"}", &r), 404);
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.disputes WHERE event_row = %s", bob_row), 0);

	/* Directly as the application role: only the rows of the person set, none unset. */
	/* (The person is set before the query, as mado sets it: the policy's setting also
	   picks the partition when the query starts.) */
	assert_int_equal(scalar("SET ROLE mado_app; SELECT set_config('mado.person_id', '%s',"
				" false); SELECT count(*) FROM portal.access_events e WHERE"
				" e.person_id = '%s'",
				alice.id, bob.id),
			 0);
	assert_int_equal(scalar("SET ROLE mado_app; SELECT set_config('mado.person_id', '%s',"
				" false); SELECT count(*) FROM portal.access_events e",
				alice.id),
			 events_of(&alice));
	assert_int_equal(scalar("SET ROLE mado_app; SELECT count(*) FROM portal.access_events"), 0);
	assert_int_equal(scalar("SET ROLE mado_app; SELECT count(*) FROM portal.disputes"), 0);
	/* The pseudonym key is not the application's to read. */
	assert_int_equal(scalar("SET ROLE mado_app; SELECT count(*) FROM portal.pseudonym_key"),
			 -1);
	/* Without a session: nothing. */
	assert_int_equal(th_http(&env, "GET", "/api/v1/me/access-log", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 401);
	th_resp_free(&r);
}

static void
test_filters_pages_summary_export(void **state)
{
	struct th_resp r;
	char path[256], next[64];
	cJSON *j, *e;
	int seen = 0, pages = 0;

	(void)state;
	/* Pages of two walk the whole log once, newest first. */
	next[0] = '\0';
	do {
		snprintf(path, sizeof(path), "/api/v1/me/access-log?limit=2%s%s",
			 next[0] ? "&before=" : "", next);
		assert_int_equal(get_as(&alice, path, &r), 200);
		assert_non_null(j = th_json(&r));
		th_resp_free(&r);
		seen += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items"));
		snprintf(next, sizeof(next), "%s", str(j, "next_before"));
		cJSON_Delete(j);
		pages++;
	} while (next[0] != '\0' && pages < 100);
	assert_int_equal(seen, events_of(&alice));

	/* Filters. */
	assert_int_equal(
	    get_as(&alice, "/api/v1/me/access-log?organisation=tax-office&outcome=denied", &r),
	    200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_true(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")) >= 1);
	cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(j, "items")) {
		assert_string_equal(str(e, "organisation"), "tax-office");
		assert_string_equal(str(e, "outcome"), "denied");
	}
	cJSON_Delete(j);
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?item=tax.income&channel=report", &r),
			 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "items")),
			 scalar("SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
				" AND channel = 'report'",
				alice.id));
	cJSON_Delete(j);
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?from=2001-01-01&to=2001-12-31", &r),
			 200);
	assert_non_null(strstr(r.body, "\"items\":[]"));
	th_resp_free(&r);
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?channel=phone", &r), 422);
	th_resp_free(&r);
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?before=x", &r), 422);
	th_resp_free(&r);
	/* A cursor past any time the database can hold is bad input, not a server error. */
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?before=253402300800000000-1", &r),
			 422);
	assert_string_equal(th_type(&r), "validation-failed");
	th_resp_free(&r);
	assert_int_equal(
	    get_as(&alice, "/api/v1/me/access-log?before=9223372036854775807-9223372036854775807",
		   &r),
	    422);
	th_resp_free(&r);

	/* Summary. */
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log/summary", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	/* Every event is in one of the months (the test's events are recent, but an hour
	   ago may be last month: the first hour of a month in Japan). */
	{
		int total = 0;

		cJSON_ArrayForEach (e, cJSON_GetObjectItemCaseSensitive(j, "months"))
			total += cJSON_GetObjectItemCaseSensitive(e, "count")->valueint;
		assert_int_equal(total, events_of(&alice));
	}
	cJSON_Delete(j);

	/* Exports. */
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log/export?format=csv", &r), 200);
	/* The charset said once (review finding 19). */
	assert_non_null(strstr(r.headers, "Content-Type: text/csv; charset=utf-8\r\n"));
	assert_null(strstr(r.headers, "charset=utf-8;"));
	assert_non_null(strstr(r.headers, "attachment"));
	{
		long lines = 0;
		size_t i;
		for (i = 0; i < r.len; i++)
			lines += r.body[i] == '\n';
		assert_int_equal(lines, events_of(&alice) + 1);
	}
	th_resp_free(&r);
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log/export?format=json", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "entries")),
			 events_of(&alice));
	cJSON_Delete(j);

	/* Coverage: which organisations report, since when. */
	assert_int_equal(th_http(&env, "GET", "/api/v1/access/coverage", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"code\":\"tax-office\""));
	assert_non_null(strstr(r.body, "\"reports_since\":\"2024-10-01\""));
	th_resp_free(&r);
}

static void
test_not_mine_freezes_until_reverified(void **state)
{
	struct th_resp r;
	char path[128], row[24], case_no[32];
	cJSON *j, *e;

	(void)state;
	query_ok("pension-service", &alice, "[\"tax.income\"]", "pension.eligibility", "MNA-T2-48");
	assert_int_equal(
	    th_sql_str(&env, row, sizeof(row),
		       "SELECT max(id) FROM portal.access_events WHERE person_id = '%s'", alice.id),
	    0);
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s/disputes", row);
	assert_int_equal(send_as(&alice, "POST", path, "{\"kind\":\"maybe\"}", &r), 422);
	th_resp_free(&r);
	assert_int_equal(send_as(&alice, "POST", path,
				 "{\"kind\":\"not-mine\",\"note\":\"I have no income there\"}", &r),
			 201);
	assert_non_null(j = th_json(&r));
	snprintf(case_no, sizeof(case_no), "%s", str(j, "case_no"));
	assert_int_equal(strncmp(case_no, "MD-", 3), 0);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* Asking twice gives the same case. */
	assert_int_equal(send_as(&alice, "POST", path, "{\"kind\":\"not-mine\"}", &r), 200);
	assert_non_null(strstr(r.body, case_no));
	th_resp_free(&r);

	/* The status shows on the entry. */
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s", row);
	assert_int_equal(get_as(&alice, path, &r), 200);
	assert_non_null(strstr(r.body, case_no));
	assert_non_null(strstr(r.body, "\"status\":\"open\""));
	th_resp_free(&r);

	/* Frozen: any agency asking for the item is refused, and that is recorded. */
	assert_int_equal(query("city-welfare", &alice, "[\"tax.income\"]", "welfare.eligibility",
			       "MNA-T2-21", NULL, &r),
			 403);
	assert_string_equal(th_type(&r), "items-frozen");
	th_resp_free(&r);
	e = latest_entry(&alice);
	assert_string_equal(str(e, "reason"), "items-frozen");
	cJSON_Delete(e);
	/* Other people's items are not frozen. */
	query_ok("city-welfare", &bob, "[\"tax.income\"]", "welfare.eligibility", "MNA-T2-21");

	/* The queues: the entry's organisation, the source and the supervisor see it. */
	assert_int_equal(gw("pension-service", "GET", "/gw/v1/disputes?status=open", NULL, &r),
			 200);
	assert_non_null(strstr(r.body, case_no));
	assert_non_null(strstr(r.body, pseudonym(&alice, "pension-service")));
	assert_null(strstr(r.body, alice.id));
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "GET", "/gw/v1/disputes", NULL, &r), 200);
	assert_non_null(strstr(r.body, case_no));
	th_resp_free(&r);
	assert_int_equal(gw("data-commission", "GET", "/gw/v1/disputes", NULL, &r), 200);
	assert_non_null(strstr(r.body, case_no));
	th_resp_free(&r);
	assert_int_equal(gw("health-insurer", "GET", "/gw/v1/disputes", NULL, &r), 200);
	assert_null(strstr(r.body, case_no));
	th_resp_free(&r);

	/* Only the source re-verifies. */
	snprintf(path, sizeof(path), "/gw/v1/disputes/%s", case_no);
	assert_int_equal(gw("pension-service", "POST", path, "{\"status\":\"reverified\"}", &r),
			 404);
	th_resp_free(&r);
	assert_int_equal(gw("pension-service", "POST", path, "{\"status\":\"acknowledged\"}", &r),
			 204);
	th_resp_free(&r);
	/* An answer must move the case on: the same one again is refused, so each notice
	   the person gets says something new (review finding 19). */
	assert_int_equal(gw("pension-service", "POST", path, "{\"status\":\"acknowledged\"}", &r),
			 409);
	assert_string_equal(th_type(&r), "conflict");
	th_resp_free(&r);
	assert_int_equal(query("city-welfare", &alice, "[\"tax.income\"]", "welfare.eligibility",
			       "MNA-T2-21", NULL, &r),
			 403);
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "POST", path,
			    "{\"status\":\"reverified\",\"answer\":\"Income record checked\"}", &r),
			 204);
	th_resp_free(&r);
	query_ok("city-welfare", &alice, "[\"tax.income\"]", "welfare.eligibility", "MNA-T2-21");
	assert_int_equal(get_as(&alice, "/api/v1/me/disputes", &r), 200);
	assert_non_null(strstr(r.body, "\"status\":\"reverified\""));
	th_resp_free(&r);
	/* A final answer stands: no flipping it back and forth, one notice per answer. */
	assert_int_equal(gw("pension-service", "POST", path, "{\"status\":\"rejected\"}", &r), 409);
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "POST", path, "{\"status\":\"corrected\"}", &r), 409);
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "POST", path, "{\"status\":\"reverified\"}", &r), 409);
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.notices WHERE case_no = '%s'", case_no), 2);
}

static void
test_alerts_into_notices(void **state)
{
	struct th_resp r;
	long before = scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND kind ="
			     " 'access'",
			     bob.id);

	(void)state;
	assert_int_equal(send_as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"loud\"}", &r), 422);
	th_resp_free(&r);
	assert_int_equal(send_as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"sensitive\"}", &r),
			 200);
	th_resp_free(&r);
	/* Not sensitive: no notice. */
	query_ok("pension-service", &bob, "[\"resident.address\"]", "pension.eligibility",
		 "MNA-T2-48");
	assert_int_equal(send_as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"all\"}", &r), 200);
	th_resp_free(&r);
	query_ok("pension-service", &bob, "[\"resident.address\"]", "pension.eligibility",
		 "MNA-T2-48");
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND kind"
		   " = 'access'",
		   bob.id),
	    before + 1);
	assert_int_equal(get_as(&bob, "/api/v1/me/notices", &r), 200);
	assert_non_null(strstr(r.body, "\"organisation\":\"pension-service\""));
	th_resp_free(&r);
	assert_int_equal(get_as(&alice, "/api/v1/me/notices", &r), 200);
	assert_null(strstr(r.body, "pension-service\",\"items\":[\"resident.address\"]"));
	th_resp_free(&r);
}

/* The off-hours alert: a notice only for an access outside 08:00-19:00 on a weekday, Japan
   time, whatever the server's or the database's time zone; sealed accesses never. Each
   access is written by portal.record_access, the log's one writer, at the given time. */
static void
test_off_hours_alert_filter(void **state)
{
	static const struct {
		const char *at; /* when the access happened */
		bool notice, sealed;
	} cases[] = {
	    {"2026-11-30 10:00+09", false, false}, /* Monday, office hours */
	    {"2026-11-30 08:00+09", false, false}, /* the first minute of office hours */
	    {"2026-11-30 19:00+09", false, false}, /* the last */
	    {"2026-11-30 07:59+09", true, false},  /* before */
	    {"2026-11-30 19:01+09", true, false},  /* after */
	    {"2026-11-30 03:00+09", true, false},  /* night */
	    {"2026-11-28 12:00+09", true, false},  /* Saturday noon */
	    {"2026-11-29 12:00+09", true, false},  /* Sunday noon */
	    {"2026-11-27 18:59+09", false, false}, /* Friday, office hours */
	    {"2026-11-27 23:30+09", true, false},  /* Friday night: 14:30 UTC, office hours there */
	    {"2026-11-30 09:00+09", false, false}, /* Monday 09:00: still Sunday in UTC */
	    {"2026-11-29 03:00+09", false, true},  /* Sunday night, but sealed */
	};
	struct th_resp r;
	char row[24];
	size_t i;

	(void)state;
	assert_int_equal(send_as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"off-hours\"}", &r),
			 200);
	th_resp_free(&r);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(
		    th_sql_str(&env, row, sizeof(row),
			       "SELECT id FROM portal.record_access(ARRAY[ROW(gen_random_uuid(),"
			       " '%s'::uuid, '%s'::timestamptz, 'tax-office', NULL, 'officer-3',"
			       " 'clerk', 'human', 'gateway', 'tax-assessment', 'off-hours-test',"
			       " NULL, ARRAY['tax.income'], NULL, 'served', NULL, %s, %s"
			       ")::portal.access_record])",
			       bob.id, cases[i].at, cases[i].sealed ? "'2099-01-01'::date" : "NULL",
			       cases[i].sealed ? "'court'" : "NULL"),
		    0);
		if (scalar("SELECT count(*) FROM portal.notices WHERE person_id = '%s' AND kind ="
			   " 'access' AND event_row = %s",
			   bob.id, row) != (cases[i].notice ? 1 : 0))
			fail_msg("an access at %s: wanted %s", cases[i].at,
				 cases[i].notice ? "a notice" : "no notice");
	}
	/* Off again: nothing more. */
	assert_int_equal(send_as(&bob, "PUT", "/api/v1/me/alerts", "{\"mode\":\"off\"}", &r), 200);
	th_resp_free(&r);
}

static void
test_supervisor_asks_who_an_official_is(void **state)
{
	struct th_resp r;
	char path[64];
	cJSON *j;
	int id;

	(void)state;
	assert_int_equal(gw("tax-office", "POST", "/gw/v1/officer-reveals",
			    "{\"organisation\":\"city-welfare\",\"officer\":\"officer-17\","
			    "\"reason\":\"complaint C-9\"}",
			    &r),
			 403);
	assert_string_equal(th_type(&r), "forbidden");
	th_resp_free(&r);
	assert_int_equal(gw("data-commission", "POST", "/gw/v1/officer-reveals",
			    "{\"organisation\":\"city-welfare\",\"officer\":\"nobody\","
			    "\"reason\":\"complaint C-9\"}",
			    &r),
			 404);
	th_resp_free(&r);
	assert_int_equal(gw("data-commission", "POST", "/gw/v1/officer-reveals",
			    "{\"organisation\":\"city-welfare\",\"officer\":\"officer-17\"}", &r),
			 422);
	th_resp_free(&r);
	assert_int_equal(gw("data-commission", "POST", "/gw/v1/officer-reveals",
			    "{\"organisation\":\"city-welfare\",\"officer\":\"officer-17\","
			    "\"reason\":\"complaint C-9\"}",
			    &r),
			 201);
	assert_non_null(j = th_json(&r));
	id = cJSON_GetObjectItemCaseSensitive(j, "id")->valueint;
	cJSON_Delete(j);
	th_resp_free(&r);

	/* The organisation sees it; others do not. */
	assert_int_equal(gw("city-welfare", "GET", "/gw/v1/officer-reveals", NULL, &r), 200);
	assert_non_null(strstr(r.body, "complaint C-9"));
	th_resp_free(&r);
	assert_int_equal(gw("tax-office", "GET", "/gw/v1/officer-reveals", NULL, &r), 200);
	assert_null(strstr(r.body, "complaint C-9"));
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/gw/v1/officer-reveals/%d", id);
	assert_int_equal(gw("tax-office", "POST", path, "{\"answer\":\"x\"}", &r), 404);
	th_resp_free(&r);
	assert_int_equal(
	    gw("city-welfare", "POST", path, "{\"answer\":\"Welfare officer Sato\"}", &r), 204);
	th_resp_free(&r);
	assert_int_equal(gw("city-welfare", "POST", path, "{\"answer\":\"again\"}", &r), 404);
	th_resp_free(&r);
	assert_int_equal(gw("data-commission", "GET", "/gw/v1/officer-reveals", NULL, &r), 200);
	assert_non_null(strstr(r.body, "Welfare officer Sato"));
	th_resp_free(&r);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.officer_reveals WHERE answer IS NOT NULL"), 1);
}

/* A failing view (here: a privilege taken away) answers a problem and leaves every pooled
   connection fit for the next request: its pipeline ended, its transaction rolled back. */
/* A problem answer that says no more than a problem does. */
static void
problem_only(const struct th_resp *r)
{
	static const char *const members[] = {"type",     "title",      "status",
					      "instance", "request_id", NULL};
	const cJSON *m;
	cJSON *j;
	size_t i;

	assert_non_null(j = th_json(r));
	cJSON_ArrayForEach (m, j) {
		for (i = 0; members[i] != NULL && strcmp(members[i], m->string) != 0; i++)
			;
		assert_non_null(members[i]);
	}
	cJSON_Delete(j);
	assert_null(strstr(r->body, "portal"));
	assert_null(strstr(r->body, "disputes"));
	assert_null(strstr(r->body, "permission"));
}

static void
test_view_failure_leaves_connections_clean(void **state)
{
	struct th_resp r;
	char v[256];
	int i;

	(void)state;
	assert_int_equal(scalar("REVOKE SELECT ON portal.disputes FROM mado_app"), 0);
	for (i = 0; i < 10; i++) {
		assert_int_equal(get_as(&alice, "/api/v1/me/access-log", &r), 500);
		assert_string_equal(th_type(&r), "internal-error");
		/* The database's error (its table, its words) stays out of the answer: the
		   problem's own members and nothing else (LG-08). */
		problem_only(&r);
		/* An error keeps the headers every answer has (BR-03, BR-06). */
		assert_non_null(th_header(&r, "Strict-Transport-Security", v, sizeof(v)));
		assert_non_null(strstr(v, "max-age=31536000"));
		assert_non_null(strstr(v, "includeSubDomains"));
		assert_non_null(th_header(&r, "Cache-Control", v, sizeof(v)));
		assert_string_equal(v, "no-store");
		th_resp_free(&r);
	}
	assert_int_equal(scalar("GRANT SELECT ON portal.disputes TO mado_app"), 0);
	for (i = 0; i < 20; i++) {
		assert_int_equal(get_as(&alice, "/api/v1/me/access-log?limit=1", &r), 200);
		/* A person's own page is never kept by a browser or a proxy. */
		assert_non_null(th_header(&r, "Cache-Control", v, sizeof(v)));
		assert_string_equal(v, "no-store");
		th_resp_free(&r);
		assert_int_equal(get_as(&bob, "/api/v1/me/access-log/summary", &r), 200);
		th_resp_free(&r);
	}
	assert_int_equal(scalar("SELECT count(*) FROM pg_stat_activity WHERE usename = 'mado_app'"
				" AND state LIKE 'idle in transaction%%'"),
			 0);
}

/* Runs last: it restarts mado three days ahead. */
static void
test_sealed_entry_opens_on_its_date(void **state)
{
	char extra[256], until[16], row[24], path[128];
	struct th_resp r;
	cJSON *e;

	(void)state;
	assert_int_equal(th_sql_str(&env, until, sizeof(until),
				    "SELECT ((now() AT TIME ZONE 'Asia/Tokyo')::date + 2)::text"),
			 0);
	/* Sealing needs a sealable basis. */
	snprintf(extra, sizeof(extra),
		 ",\"sealed_until\":\"%s\",\"sealing_body\":\"Tokyo District Court\""
		 ",\"seal_ref\":\"W-2026-77\"",
		 until);
	assert_int_equal(query("tax-office", &alice, "[\"resident.address\"]", "tax.assessment",
			       "MNA-T2-72", extra, &r),
			 403);
	th_resp_free(&r);
	assert_int_equal(query("police", &alice, "[\"resident.name\"]",
			       "law-enforcement.investigation", "MNA-19-15",
			       ",\"sealed_until\":\"2020-01-01\",\"sealing_body\":\"x\"", &r),
			 422);
	th_resp_free(&r);
	assert_int_equal(query("police", &alice, "[\"resident.name\"]",
			       "law-enforcement.investigation", "MNA-19-15", extra, &r),
			 200);
	th_resp_free(&r);
	assert_int_equal(
	    th_sql_str(&env, row, sizeof(row),
		       "SELECT max(id) FROM portal.access_events WHERE person_id = '%s'", alice.id),
	    0);
	e = latest_entry(&alice);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "sealed")));
	assert_string_equal(str(e, "sealed_until"), until);
	assert_string_equal(str(e, "sealing_body"), "Tokyo District Court");
	assert_null(cJSON_GetObjectItemCaseSensitive(e, "organisation"));
	assert_null(cJSON_GetObjectItemCaseSensitive(e, "items"));
	cJSON_Delete(e);
	/* A filter on details never finds it. */
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log?organisation=police", &r), 200);
	assert_non_null(strstr(r.body, "\"items\":[]"));
	th_resp_free(&r);
	assert_int_equal(get_as(&alice, "/api/v1/me/access-log/export?format=csv", &r), 200);
	assert_null(strstr(r.body, "police"));
	th_resp_free(&r);

	/* Three days on (mado's clock only; the card's revocation check would see the
	   responder's answers as from the past), the entry is open. */
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "card_revocation = off"), 0);
	assert_int_equal(th_mado_start_faked(&env, "+3d"), 0);
	snprintf(path, sizeof(path), "/api/v1/me/access-log/%s", row);
	assert_int_equal(get_as(&alice, path, &r), 200);
	assert_non_null(e = th_json(&r));
	th_resp_free(&r);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e, "sealed")));
	assert_string_equal(str(e, "organisation"), "police");
	assert_string_equal(str(e, "purpose"), "law-enforcement.investigation");
	cJSON_Delete(e);
}

/* The export holds every entry of a long log: 150,000 more entries than the old cut at
   100,000, counted in CSV lines and JSON entries, and it says it is complete (issue 11). */
static void
test_export_of_a_long_log_is_complete(void **state)
{
	char v[32];
	struct th_resp r;
	long total, lines = 0;
	size_t i;
	cJSON *j;

	(void)state;
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.record_access(ARRAY(SELECT ROW(gen_random_uuid(),"
		   " '%s'::uuid, now() - i * interval '1 second', 'tax-office', NULL,"
		   " 'officer-' || (i %% 7), 'clerk', 'human', 'gateway', 'tax-assessment',"
		   " 'export-test', NULL, ARRAY['tax.income'], NULL, 'served', NULL, NULL,"
		   " NULL)::portal.access_record FROM generate_series(1, 150000) i))",
		   bob.id),
	    150000);
	total = events_of(&bob);
	assert_true(total > 150000);

	assert_int_equal(get_long(&bob, "/api/v1/me/access-log/export?format=csv", &r), 200);
	for (i = 0; i < r.len; i++)
		lines += r.body[i] == '\n';
	assert_int_equal(lines, total + 1);
	assert_non_null(th_header(&r, "Mado-Export-Complete", v, sizeof(v)));
	assert_string_equal(v, "true");
	assert_null(th_header(&r, "Mado-Export-Next-Before", v, sizeof(v)));
	th_resp_free(&r);

	assert_int_equal(get_long(&bob, "/api/v1/me/access-log/export?format=json", &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "entries")), total);
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "entry_count")->valueint, total);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "complete")));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "next_before"));
	cJSON_Delete(j);
}

/* An export cut at export_max_entries says so plainly (header, file name, JSON) with the
   cursor to continue from, and the next part starts right after the last entry of the
   first. Runs last: it restarts mado with a small limit. */
static void
test_export_says_where_it_stopped(void **state)
{
	char v[64], cursor[64], path[160], last_id[24], first_id[24];
	const cJSON *last, *first;
	struct th_resp r;
	cJSON *a, *b;
	long lines = 0;
	size_t i;

	(void)state;
	assert_true(events_of(&bob) > 2000);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "export_max_entries = 1000"), 0);
	assert_int_equal(th_mado_start(&env), 0);

	assert_int_equal(get_long(&bob, "/api/v1/me/access-log/export?format=csv", &r), 200);
	for (i = 0; i < r.len; i++)
		lines += r.body[i] == '\n';
	assert_int_equal(lines, 1000 + 1);
	assert_non_null(th_header(&r, "Mado-Export-Complete", v, sizeof(v)));
	assert_string_equal(v, "false");
	assert_non_null(th_header(&r, "Mado-Export-Entries", v, sizeof(v)));
	assert_string_equal(v, "1000");
	assert_non_null(th_header(&r, "Content-Disposition", v, sizeof(v)));
	assert_non_null(strstr(v, "-first-1000.csv"));
	assert_non_null(th_header(&r, "Mado-Export-Next-Before", cursor, sizeof(cursor)));
	th_resp_free(&r);

	assert_int_equal(get_long(&bob, "/api/v1/me/access-log/export?format=json", &r), 200);
	assert_non_null(a = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(a, "entries")), 1000);
	assert_false(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a, "complete")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "next_before")->valuestring,
			    cursor);
	snprintf(path, sizeof(path), "/api/v1/me/access-log/export?format=json&before=%s", cursor);
	assert_int_equal(get_long(&bob, path, &r), 200);
	assert_non_null(b = th_json(&r));
	th_resp_free(&r);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(b, "entries")), 1000);
	/* The same order as the log: the second part goes on right after the first. */
	last = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(a, "entries"), 999);
	first = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(b, "entries"), 0);
	snprintf(last_id, sizeof(last_id), "%.0f",
		 cJSON_GetObjectItemCaseSensitive(last, "id")->valuedouble);
	snprintf(first_id, sizeof(first_id), "%.0f",
		 cJSON_GetObjectItemCaseSensitive(first, "id")->valuedouble);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events l, portal.access_events f"
		   " WHERE l.id = %s AND f.id = %s AND (f.occurred_at, f.id) <"
		   " (l.occurred_at, l.id)",
		   last_id, first_id),
	    1);
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.access_events e, portal.access_events l,"
		   " portal.access_events f WHERE l.id = %s AND f.id = %s AND"
		   " e.person_id = '%s' AND (e.occurred_at, e.id) < (l.occurred_at, l.id)"
		   " AND (e.occurred_at, e.id) > (f.occurred_at, f.id)",
		   last_id, first_id, bob.id),
	    0);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_served_and_recorded),
	    cmocka_unit_test(test_holder_answers_only_the_ticket_items),
	    cmocka_unit_test(test_refused_query_reaches_no_holder),
	    cmocka_unit_test(test_holder_down_is_503_and_recorded),
	    cmocka_unit_test(test_bad_reply_key_changes_nothing),
	    cmocka_unit_test(test_no_legal_basis_refused_and_logged),
	    cmocka_unit_test(test_bad_queries_change_nothing),
	    cmocka_unit_test(test_gateway_door),
	    cmocka_unit_test(test_no_record_no_data),
	    cmocka_unit_test(test_report_replay_writes_once),
	    cmocka_unit_test(test_report_bad_event_writes_nothing),
	    cmocka_unit_test(test_report_ignores_session_temp_table),
	    cmocka_unit_test(test_definer_functions_act_for_the_set_person),
	    cmocka_unit_test(test_append_only_for_every_role),
	    cmocka_unit_test(test_person_sees_only_own),
	    cmocka_unit_test(test_filters_pages_summary_export),
	    cmocka_unit_test(test_not_mine_freezes_until_reverified),
	    cmocka_unit_test(test_alerts_into_notices),
	    cmocka_unit_test(test_off_hours_alert_filter),
	    cmocka_unit_test(test_supervisor_asks_who_an_official_is),
	    cmocka_unit_test(test_view_failure_leaves_connections_clean),
	    cmocka_unit_test(test_sealed_entry_opens_on_its_date),
	    cmocka_unit_test(test_export_of_a_long_log_is_complete),
	    cmocka_unit_test(test_export_says_where_it_stopped),
	    cmocka_unit_test(test_log_holds_no_item_value),
	    cmocka_unit_test(test_database_holds_no_item_value),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
