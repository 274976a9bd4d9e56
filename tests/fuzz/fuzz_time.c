/*
 * The input vocabulary's text parsers (server/core/util.c, check.c): RFC 3339 date-times,
 * dates, page cursors, whole numbers and every kind a string may be checked as. Any text:
 * no crash, no read past its end. An accepted date-time names a real instant between the
 * years 1 and 9999 (with its offset); an accepted date prints back to itself; an accepted
 * cursor names a time and an id within their bounds.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fuzz.h"
#include "mado/check.h"
#include "mado/util.h"

/* 0001-01-01T00:00:00Z - 1 day and 9999-12-31T23:59:60Z + 1 day, in seconds. */
#define T_MIN (-62135596800LL - 86400)
#define T_MAX (253402300800LL + 86400)

static const enum mado_kind kinds[] = {
    MADO_K_CODE, MADO_K_ORG,    MADO_K_TOKEN,   MADO_K_UUID,   MADO_K_ID,   MADO_K_DATE,
    MADO_K_TIME, MADO_K_PERIOD, MADO_K_OFFICER, MADO_K_URL,    MADO_K_TEXT, MADO_K_PROSE,
    MADO_K_ENUM, MADO_K_INT,    MADO_K_BOOL,    MADO_K_CURSOR,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size), back[16];
	long long us, id, v;
	struct tm tm;
	time_t t;
	size_t i;

	if (mado_parse_rfc3339(s, &t))
		FUZZ_ASSERT((long long)t >= T_MIN && (long long)t <= T_MAX);
	if (mado_parse_date(s, &t)) {
		FUZZ_ASSERT(gmtime_r(&t, &tm) != NULL);
		snprintf(back, sizeof(back), "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday);
		FUZZ_ASSERT(strcmp(back, s) == 0);
	}
	if (mado_cursor_parse(s, &us, &id))
		FUZZ_ASSERT(us >= 0 && id >= 1);
	if (mado_parse_int(s, -1000, 1000, &v))
		FUZZ_ASSERT(v >= -1000 && v <= 1000);
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		(void)mado_check_kind(kinds[i], s);
	free(s);
	return 0;
}
