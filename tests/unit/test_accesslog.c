/*
 * Access-log entries as the person reads them (server/accesslog/render.c): JSON and CSV
 * from one database row. A CSV cell never starts a spreadsheet formula; a sealed entry
 * that has not opened shows only that it exists, its times and its seal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "mado/json.h"
#include "mado/util.h"
#include "accesslog/accesslog_int.h"

static struct accesslog_entry
entry(void)
{
	struct accesslog_entry e;

	memset(&e, 0, sizeof(e));
	e.id = "42";
	e.occurred_us = "1764460800123456"; /* 2025-11-30T00:00:00.123456Z */
	e.recorded_us = "1764460801000000";
	e.org = "tax-office";
	e.officer = "o-1";
	e.actor_kind = "human";
	e.channel = "gateway";
	e.purpose = "tax.assessment";
	e.legal_ref = "=HYPERLINK(\"http://evil.example\")";
	e.case_ref = "+1";
	e.items = "{tax.income,resident.name}";
	e.outcome = "served";
	e.reason = "-x";
	e.disputes = "[{\"case_no\" : \"MD-2025-0000001\"}]";
	return e;
}

static void
test_csv_never_starts_a_formula(void **state)
{
	struct accesslog_entry e = entry();
	struct mado_text t = {0};

	(void)state;
	e.officer = "@SUM(A1)";
	accesslog__csv_header(&t);
	assert_int_equal(memcmp(t.buf, "\xEF\xBB\xBFid,occurred_at,", 18), 0);
	mado_text_free(&t);
	accesslog__csv_entry(&t, &e);
	/* Every cell quoted, quotes doubled, = + - @ neutralised with a leading quote. */
	assert_non_null(strstr(t.buf, "\"'=HYPERLINK(\"\"http://evil.example\"\")\""));
	assert_non_null(strstr(t.buf, "\"'+1\""));
	assert_non_null(strstr(t.buf, "\"'-x\""));
	assert_non_null(strstr(t.buf, "\"'@SUM(A1)\""));
	assert_non_null(strstr(t.buf, "\"tax.income resident.name\""));
	assert_non_null(strstr(t.buf, "\"2025-11-30T00:00:00.123456Z\""));
	assert_int_equal(strcmp(t.buf + t.len - 2, "\r\n"), 0);
	mado_text_free(&t);
}

static void
test_sealed_shows_only_its_seal(void **state)
{
	struct accesslog_entry e = entry();
	struct mado_text t = {0};
	struct mado_jw w;
	cJSON *j;

	(void)state;
	e.sealed = true;
	e.sealed_until = "2030-01-01";
	e.sealing_body = "Tokyo District Court";
	mado_jw_init(&w, &t);
	accesslog__json_entry(&w, &e, true);
	assert_non_null(j = cJSON_Parse(t.buf));
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "sealed")));
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "sealing_body")->valuestring,
			    "Tokyo District Court");
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "organisation"));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "items"));
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "purpose"));
	assert_null(strstr(t.buf, "tax"));
	cJSON_Delete(j);
	mado_text_free(&t);
	accesslog__csv_entry(&t, &e);
	assert_null(strstr(t.buf, "tax"));
	assert_null(strstr(t.buf, "o-1"));
	assert_non_null(strstr(t.buf, "\"true\",\"2030-01-01\",\"Tokyo District Court\"\r\n"));
	mado_text_free(&t);
}

/* Times before 1970 (old records an agency reports) are negative counts: floored. */
static void
test_time_before_1970(void **state)
{
	struct accesslog_entry e = entry();
	struct mado_text t = {0};
	struct mado_jw w;

	(void)state;
	e.occurred_us = "-1500000"; /* 1969-12-31T23:59:58.500000Z */
	mado_jw_init(&w, &t);
	accesslog__json_entry(&w, &e, false);
	assert_non_null(strstr(t.buf, "\"1969-12-31T23:59:58.500000Z\""));
	mado_text_free(&t);
}

static void
test_json_entry(void **state)
{
	struct accesslog_entry e = entry();
	struct mado_text t = {0};
	struct mado_jw w;
	const cJSON *items;
	cJSON *j;

	(void)state;
	mado_jw_init(&w, &t);
	accesslog__json_entry(&w, &e, false);
	assert_non_null(j = cJSON_Parse(t.buf));
	assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "id")->valueint, 42);
	assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "occurred_at")->valuestring,
			    "2025-11-30T00:00:00.123456Z");
	items = cJSON_GetObjectItemCaseSensitive(j, "items");
	assert_int_equal(cJSON_GetArraySize(items), 2);
	assert_string_equal(cJSON_GetArrayItem(items, 1)->valuestring, "resident.name");
	assert_true(cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(j, "relay_for")));
	assert_true(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "disputes")));
	/* No names without detail; the database's blanks are left out. */
	assert_null(cJSON_GetObjectItemCaseSensitive(j, "organisation_name"));
	assert_null(strstr(t.buf, "\" : "));
	cJSON_Delete(j);
	mado_text_free(&t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csv_never_starts_a_formula),
	    cmocka_unit_test(test_sealed_shows_only_its_seal),
	    cmocka_unit_test(test_json_entry),
	    cmocka_unit_test(test_time_before_1970),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
