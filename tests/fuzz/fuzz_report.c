/*
 * The agency gateway's input checks (server/gateway/gateway.c), in the order the router
 * and the handlers apply them: strict JSON, an object, the route's fields
 * (mado_check_json), then the rules across fields. For an access-report batch:
 * gateway__check_events; for a query: gateway__read_query. Any body: no crash; a problem
 * has its kind and words (its field is empty when it is about the whole body or a whole
 * element, with index, and when a member's name is itself empty); what passes is what the
 * database is then sent (printed, it parses again strictly).
 */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "fuzz.h"
#include "mado/check.h"
#include "mado/err.h"
#include "mado/json.h"
#include "gateway/gateway_int.h"

static time_t now;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* A fixed clock, so that a seed means the same on any day. */
	now = fuzz_time("2026-11-30T12:00:00Z");
	return 0;
}

static void
check_report(const cJSON *body)
{
	const cJSON *events;
	struct mado_bad bad;
	cJSON *again = NULL;
	char detail[128], *text;

	memset(&bad, 0, sizeof(bad));
	if (mado_check_json(body, gateway__report_fields, &bad) != MADO_OK) {
		FUZZ_ASSERT(bad.err == MADO_E_INVALID_BODY || bad.err == MADO_E_VALIDATION);
		FUZZ_ASSERT(bad.detail[0] != '\0');
		return;
	}
	events = cJSON_GetObjectItemCaseSensitive(body, "events");
	FUZZ_ASSERT(cJSON_IsArray(events));
	if (!gateway__check_events(events, now, &bad)) {
		FUZZ_ASSERT(bad.err == MADO_E_VALIDATION && bad.field[0] != '\0');
		FUZZ_ASSERT(bad.index >= 0 && bad.index < cJSON_GetArraySize(events));
		return;
	}
	FUZZ_ASSERT((text = cJSON_PrintUnformatted(events)) != NULL);
	FUZZ_ASSERT(mado_json_parse(text, strlen(text), &again, detail, sizeof(detail)) == MADO_OK);
	cJSON_Delete(again);
	cJSON_free(text);
}

static void
check_query(const cJSON *body)
{
	struct gateway_query q;
	struct mado_bad bad;

	memset(&bad, 0, sizeof(bad));
	if (mado_check_json(body, gateway__query_fields, &bad) != MADO_OK) {
		FUZZ_ASSERT(bad.err == MADO_E_INVALID_BODY || bad.err == MADO_E_VALIDATION);
		FUZZ_ASSERT(bad.detail[0] != '\0');
		return;
	}
	if (!gateway__read_query(body, now, &q, &bad)) {
		FUZZ_ASSERT(bad.err == MADO_E_VALIDATION && bad.field[0] != '\0');
		return;
	}
	FUZZ_ASSERT(q.person != NULL && q.purpose != NULL && q.items[0] == '{');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char detail[128];
	cJSON *body = NULL;

	if (mado_json_parse((const char *)data, size, &body, detail, sizeof(detail)) != MADO_OK)
		return 0;
	if (cJSON_IsObject(body)) {
		check_report(body);
		check_query(body);
	}
	cJSON_Delete(body);
	return 0;
}
