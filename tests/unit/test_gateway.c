/* The gateway's input checks (server/gateway/gateway.c): the declared fields of a query and
   of a reported access, then the rules across fields, as the router and handler run them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/err.h"
#include "mado/util.h"
#include "gateway/gateway_int.h"

#define NOW   ((time_t)1795000000) /* 2026-11-18 */
#define PSEUD "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA_"

/* A query as the router and the handler check it. */
static bool
check_query(const cJSON *j, struct gateway_query *q, struct mado_bad *bad)
{
	return mado_check_json(j, gateway__query_fields, bad) == MADO_OK &&
	       gateway__read_query(j, NOW, q, bad);
}

static const char *
query_field(const char *json)
{
	static struct mado_bad bad;
	struct gateway_query q;
	cJSON *j = cJSON_Parse(json);
	bool ok;

	assert_non_null(j);
	memset(&bad, 0, sizeof(bad));
	ok = check_query(j, &q, &bad);
	cJSON_Delete(j);
	return ok ? "(passed)" : bad.field;
}

/* The public half of tests/data/reply.key. */
#define REPLY_KEY                                                                                  \
	"BKczXJG5H1KFH25GmshxHZDEOkxt-9ao4QG_LUhR4l-VEpgieO_SBdZnZEOdYkm8ymlU6ursgYJVTaOvPOE1AbI"
#define Q(extra)                                                                                   \
	"{\"person\":\"" PSEUD "\",\"items\":[\"tax.income\",\"resident.name\"],\"purpose\":"      \
	"\"tax.assessment\",\"legal_ref\":\"MNA-T2-72\",\"officer\":\"o-1\",\"actor_kind\":"       \
	"\"human\",\"reply_key\":\"" REPLY_KEY "\"" extra "}"

static void
test_query_good(void **state)
{
	struct gateway_query q;
	struct mado_bad bad;
	cJSON *j = cJSON_Parse(
	    Q(",\"sealed_until\":\"2027-01-01\",\"sealing_body\":\"Court\",\"seal_ref\":\"W-1\""));

	(void)state;
	assert_true(check_query(j, &q, &bad));
	assert_string_equal(q.items, "{tax.income,resident.name}");
	assert_string_equal(q.sealed_until, "2027-01-01");
	assert_string_equal(q.seal_ref, "W-1");
	assert_string_equal(q.officer, "o-1");
	assert_null(q.relay_for);
	cJSON_Delete(j);
	assert_string_equal(query_field(Q("")), "(passed)");
}

static void
test_query_bad_fields(void **state)
{
	(void)state;
	assert_string_equal(query_field(Q(",\"x\":1")), "x");
	/* 87 characters, but not a point on P-256: its last byte changed. */
	assert_string_equal(
	    query_field("{\"person\":\"" PSEUD "\",\"items\":[\"tax.income\"],"
			"\"purpose\":\"a.b\",\"legal_ref\":\"x\",\"officer\":\"o\","
			"\"actor_kind\":\"human\",\"reply_key\":\"BKczXJG5H1KFH25GmshxHZDEOkxt-"
			"9ao4QG_LUhR4l-VEpgieO_SBdZnZEOdYkm8ymlU6ursgYJVTaOvPOE1AAA\"}"),
	    "reply_key");
	assert_string_equal(query_field("{\"items\":[]}"), "person");
	assert_string_equal(query_field(Q(",\"case_ref\":5")), "case_ref");
	assert_string_equal(query_field(Q(",\"relay_for\":\"Bad Org\"")), "relay_for");
	assert_string_equal(query_field(Q(",\"sealed_until\":\"2027-01-01\"")), "sealing_body");
	/* A seal names its approval reference, and a reference comes only with a seal. */
	assert_string_equal(
	    query_field(Q(",\"sealed_until\":\"2027-01-01\",\"sealing_body\":\"c\"")), "seal_ref");
	assert_string_equal(query_field(Q(",\"seal_ref\":\"W-1\"")), "sealed_until");
	assert_string_equal(
	    query_field(Q(",\"sealed_until\":\"2020-01-01\",\"sealing_body\":\"c\"")),
	    "sealed_until");
	assert_string_equal(
	    query_field(Q(",\"sealed_until\":\"2040-01-01\",\"sealing_body\":\"c\"")),
	    "sealed_until");
	assert_string_equal(
	    query_field(Q(",\"sealed_until\":\"2027-02-30\",\"sealing_body\":\"c\"")),
	    "sealed_until");
	assert_string_equal(
	    query_field(
		"{\"person\":\"short\",\"items\":[\"a.b\"],\"purpose\":\"p.q\",\"legal_ref\""
		":\"x\",\"officer\":\"o\",\"actor_kind\":\"human\",\"reply_key\":\"" REPLY_KEY
		"\"}"),
	    "person");
	assert_string_equal(query_field("{\"person\":\"" PSEUD "\",\"items\":[\"a.b\",\"a.b\"],"
					"\"purpose\":\"p.q\",\"legal_ref\":\"x\",\"officer\":\"o\","
					"\"actor_kind\":\"human\",\"reply_key\":\"" REPLY_KEY
					"\"}"),
			    "items");
	assert_string_equal(query_field("{\"person\":\"" PSEUD "\",\"items\":[\"A B\"],"
					"\"purpose\":\"p.q\",\"legal_ref\":\"x\",\"officer\":\"o\","
					"\"actor_kind\":\"human\",\"reply_key\":\"" REPLY_KEY
					"\"}"),
			    "items");
	assert_string_equal(query_field("{\"person\":\"" PSEUD "\",\"items\":[\"a.b\"],"
					"\"purpose\":\"p.q\",\"legal_ref\":\"x\\ny\",\"officer\":"
					"\"o\",\"actor_kind\":\"human\",\"reply_key\":\"" REPLY_KEY
					"\"}"),
			    "legal_ref");
	assert_string_equal(query_field("{\"person\":\"" PSEUD "\",\"items\":[\"a.b\"],"
					"\"purpose\":\"p.q\",\"legal_ref\":\"x\",\"officer\":"
					"\"o\",\"actor_kind\":\"robot\",\"reply_key\":\"" REPLY_KEY
					"\"}"),
			    "actor_kind");
	assert_string_equal(query_field("[]"), "");
}

/* One event as a report of one: the declared fields, then the rules across them. added
   says whether it would be written. */
static const char *
event_field(const char *json, int *added)
{
	static struct mado_bad bad;
	cJSON *body = cJSON_CreateObject(), *events = cJSON_AddArrayToObject(body, "events");
	cJSON *j = cJSON_Parse(json);
	bool ok;

	assert_non_null(j);
	cJSON_AddItemToArray(events, j);
	memset(&bad, 0, sizeof(bad));
	ok = mado_check_json(body, gateway__report_fields, &bad) == MADO_OK &&
	     gateway__check_events(events, NOW, &bad);
	*added = ok ? 1 : 0;
	cJSON_Delete(body);
	return ok ? "(passed)" : bad.field;
}

#define E(when, extra)                                                                             \
	"{\"event_id\":\"0b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b\",\"person\":\"" PSEUD "\","         \
	"\"occurred_at\":\"" when "\",\"items\":[\"tax.income\"],\"purpose\":\"tax.assessment\","  \
	"\"legal_ref\":\"internal\",\"actor_kind\":\"machine\"" extra "}"

static void
test_events(void **state)
{
	int added;

	(void)state;
	assert_string_equal(event_field(E("2026-11-18T00:00:00Z", ""), &added), "(passed)");
	assert_int_equal(added, 1);
	/* A human access names its official. */
	assert_string_equal(
	    event_field("{\"event_id\":\"0b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b\",\"person\":\"" PSEUD
			"\",\"occurred_at\":\"2026-11-18T00:00:00Z\",\"items\":[\"tax.income\"],"
			"\"purpose\":\"tax.assessment\",\"legal_ref\":\"internal\",\"actor_kind\":"
			"\"human\"}",
			&added),
	    "officer");
	assert_int_equal(added, 0);
	assert_string_equal(event_field(E("2030-01-01T00:00:00Z", ""), &added), "occurred_at");
	assert_string_equal(event_field(E("2020-01-01T00:00:00Z", ""), &added), "occurred_at");
	assert_string_equal(event_field(E("yesterday", ""), &added), "occurred_at");
	assert_string_equal(event_field(E("2026-11-18T00:00:00Z", ",\"officer\":\"a b\""), &added),
			    "officer");
	assert_string_equal(
	    event_field("{\"event_id\":\"not-a-uuid\",\"person\":\"" PSEUD "\"}", &added),
	    "occurred_at"); /* every member is read before values are judged */
	assert_string_equal(event_field("{\"event_id\":\"0b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5\","
					"\"person\":\"" PSEUD "\",\"occurred_at\":"
					"\"2026-11-18T00:00:00Z\",\"items\":[\"tax.income\"],"
					"\"purpose\":\"tax.assessment\",\"legal_ref\":\"x\","
					"\"actor_kind\":\"machine\"}",
					&added),
			    "event_id");
}

/* An event id given twice in a batch names the later event and the first one it repeats,
   whatever the case of its letters; distinct ids pass. */
static void
test_repeated_events(void **state)
{
	static const char *const ids[] = {
	    "0b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "1b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b",
	    "2b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b", "1B7E6F2A-1C3D-4E5F-8A9B-0C1D2E3F4A5B",
	    "0b7e6f2a-1c3d-4e5f-8a9b-0c1d2e3f4a5b"};
	struct mado_bad bad;
	cJSON *events = cJSON_CreateArray(), *e;
	size_t i;

	(void)state;
	for (i = 0; i < 5; i++) {
		e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "event_id", ids[i]);
		cJSON_AddStringToObject(e, "occurred_at", "2026-11-18T00:00:00Z");
		cJSON_AddStringToObject(e, "actor_kind", "machine");
		cJSON_AddItemToArray(events, e);
		if (i == 2)
			assert_true(gateway__check_events(events, NOW, &bad));
	}
	assert_false(gateway__check_events(events, NOW, &bad));
	assert_int_equal(bad.index, 3);
	assert_string_equal(bad.field, "event_id");
	assert_non_null(strstr(bad.detail, "repeats event 1"));
	cJSON_DeleteItemFromArray(events, 3);
	assert_false(gateway__check_events(events, NOW, &bad));
	assert_int_equal(bad.index, 3);
	assert_non_null(strstr(bad.detail, "repeats event 0"));
	cJSON_Delete(events);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_query_good),
	    cmocka_unit_test(test_query_bad_fields),
	    cmocka_unit_test(test_events),
	    cmocka_unit_test(test_repeated_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
