/* The error catalogue: one stable type per cause, statuses the issue asks for. */
#include <glob.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "mado/err.h"
#include "mado/util.h"

static void
test_slugs_unique_and_url_safe(void **state)
{
	const char *a, *p;
	int i, j;

	(void)state;
	for (i = 0; i < MADO_E__COUNT; i++) {
		a = mado_err_slug(i);
		for (p = a; *p != '\0'; p++)
			if (!((*p >= 'a' && *p <= 'z') || *p == '-'))
				fail_msg("slug %s has a character outside a-z and -", a);
		for (j = i + 1; j < MADO_E__COUNT; j++)
			if (strcmp(a, mado_err_slug(j)) == 0)
				fail_msg("slug %s is used twice", a);
	}
}

static void
test_every_required_status_has_a_type(void **state)
{
	static const int required[] = {400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503};
	size_t k;
	int i;

	(void)state;
	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++) {
		for (i = 1; i < MADO_E__COUNT && mado_err_status(i) != required[k]; i++)
			;
		if (i == MADO_E__COUNT)
			fail_msg("no problem type answers %d", required[k]);
	}
}

static void
test_out_of_range_is_internal(void **state)
{
	(void)state;
	assert_int_equal(mado_err_status(-1), 500);
	assert_int_equal(mado_err_status(MADO_E__COUNT), 500);
	assert_string_equal(mado_err_slug(9999), "internal-error");
	assert_int_equal(mado_err_status(MADO_E_BODY_TOO_LARGE), 413);
	assert_int_equal(mado_err_status(MADO_E_DB_UNAVAILABLE), 503);
}

/*
 * Every reason code the database functions can produce, and every problem type, has a
 * message in both languages (web/i18n/en.json and ja.json). The codes are read from the
 * SQL, function by function (sql/functions and sql/migrations alike, since entries
 * written under an older function stay in the log):
 *   - v_reason := '...' (and the literals of a CASE there; v_reason := c.status gives the
 *     statuses a consent can refuse with) is a decision reason (reason.<code>), and, in a
 *     function that records the access, the entry's reason (access.reason.<code>), or
 *     access.reason.consent-<code> where the function records 'consent-' || v_reason;
 *   - a RETURN QUERY SELECT's '...'::text literals and CASE literals, other than the
 *     outcomes, are decision reasons.
 * A handler's own reasons (mado_http_ext(rq, "reason", "...")) are decision reasons too.
 * Problem types come from the error catalogue (problem.<slug>).
 */
struct catalogues {
	cJSON *lang[2];
	size_t missing, codes;
};

static void
need(struct catalogues *c, const char *prefix, const char *code, size_t len)
{
	static const char *const names[] = {"en", "ja"};
	char key[160];
	cJSON *v;
	int i;

	snprintf(key, sizeof(key), "%s%.*s", prefix, (int)len, code);
	c->codes++;
	for (i = 0; i < 2; i++) {
		v = cJSON_GetObjectItemCaseSensitive(c->lang[i], key);
		if (!cJSON_IsString(v) || v->valuestring[0] == '\0') {
			fprintf(stderr, "no message in %s.json for %s\n", names[i], key);
			c->missing++;
		}
	}
}

/* Each '...' literal of [s, end) that a code can be, into need(prefix...). */
static void
literals(struct catalogues *c, const char *prefix, const char *s, const char *end, bool cast,
	 char *found, size_t fsize)
{
	regex_t re;
	regmatch_t m[2];
	const char *p = s;
	char buf[512];
	size_t len = (size_t)(end - s);

	/* A code: 'abc-d' followed by ::text (cast) or preceded by THEN/ELSE, or alone. */
	assert_int_equal(
	    regcomp(&re,
		    cast ? "('([a-z][a-z_-]*)'::text|(THEN|ELSE)[[:space:]]+'[a-z][a-z_-]*')"
			 : "'([a-z][a-z_-]*)'",
		    REG_EXTENDED),
	    0);
	if (len >= sizeof(buf))
		len = sizeof(buf) - 1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	p = buf;
	while (regexec(&re, p, 2, m, 0) == 0) {
		const char *q = p + m[0].rm_so, *a = strchr(q, '\''), *b = strchr(a + 1, '\'');
		size_t n = (size_t)(b - a - 1);
		char code[80];

		snprintf(code, sizeof(code), "%.*s", (int)n, a + 1);
		if (strcmp(code, "served") != 0 && strcmp(code, "denied") != 0 &&
		    strcmp(code, "invalid") != 0) {
			need(c, prefix, code, n);
			if (found != NULL && strlen(found) + n + 2 < fsize) {
				strcat(found, code);
				strcat(found, " ");
			}
		}
		p = b + 1;
	}
	regfree(&re);
}

static void
scan_function(struct catalogues *c, const char *f, const char *end)
{
	bool records = false, consent_prefix = false;
	char reasons[1024] = "";
	const char *p, *e, *tok;

	if ((p = strstr(f, "record_access(")) != NULL && p < end)
		records = true;
	if ((p = strstr(f, "INSERT INTO portal.access_events")) != NULL && p < end)
		records = true;
	if ((p = strstr(f, "'consent-' || v_reason")) != NULL && p < end)
		consent_prefix = true;
	/* v_reason := ...; */
	for (p = f; (p = strstr(p, "v_reason := ")) != NULL && p < end; p = e) {
		p += strlen("v_reason := ");
		e = strchr(p, ';');
		assert_non_null(e);
		literals(c, "reason.", p, e, false, reasons, sizeof(reasons));
		if (strncmp(p, "c.status", 8) == 0) {
			need(c, "reason.", "paused", 6);
			need(c, "reason.", "revoked", 7);
			strcat(reasons, "paused revoked ");
		}
	}
	/* RETURN QUERY SELECT ...; */
	for (p = f; (p = strstr(p, "RETURN QUERY SELECT")) != NULL && p < end; p = e) {
		e = strchr(p, ';');
		assert_non_null(e);
		literals(c, "reason.", p, e, true, NULL, 0);
	}
	if (!records)
		return;
	for (tok = strtok(reasons, " "); tok != NULL; tok = strtok(NULL, " ")) {
		char code[96];

		snprintf(code, sizeof(code), "%s%s", consent_prefix ? "consent-" : "", tok);
		need(c, "access.reason.", code, strlen(code));
	}
}

static void
scan_sql(struct catalogues *c, const char *pattern)
{
	glob_t g;
	size_t i, len;
	char *text, *f, *next;

	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		assert_int_equal(mado_read_file(g.gl_pathv[i], 1 << 22, &text, &len), 0);
		for (f = strstr(text, "FUNCTION portal."); f != NULL; f = next) {
			next = strstr(f + 1, "FUNCTION portal.");
			scan_function(c, f, next != NULL ? next : text + len);
		}
		free(text);
	}
	globfree(&g);
}

/* A handler's own reason: mado_http_ext(rq, "reason", "..."). */
static void
scan_handlers(struct catalogues *c, const char *pattern)
{
	static const char mark[] = "\"reason\", \"";
	glob_t g;
	size_t i, len;
	char *text, *p, *q;

	assert_int_equal(glob(pattern, 0, NULL, &g), 0);
	for (i = 0; i < g.gl_pathc; i++) {
		assert_int_equal(mado_read_file(g.gl_pathv[i], 1 << 22, &text, &len), 0);
		for (p = text; (p = strstr(p, mark)) != NULL; p = q) {
			p += strlen(mark);
			q = strchr(p, '"');
			assert_non_null(q);
			need(c, "reason.", p, (size_t)(q - p));
		}
		free(text);
	}
	globfree(&g);
}

static void
test_every_code_has_both_messages(void **state)
{
	static const char *const files[] = {MADO_SOURCE_DIR "/web/i18n/en.json",
					    MADO_SOURCE_DIR "/web/i18n/ja.json"};
	struct catalogues c = {0};
	size_t len;
	char *text;
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		assert_int_equal(mado_read_file(files[i], 1 << 22, &text, &len), 0);
		assert_non_null(c.lang[i] = cJSON_Parse(text));
		free(text);
	}
	scan_sql(&c, MADO_SOURCE_DIR "/sql/functions/*.sql");
	scan_sql(&c, MADO_SOURCE_DIR "/sql/migrations/*.sql");
	scan_handlers(&c, MADO_SOURCE_DIR "/server/*/*.c");
	/* The scan finds the codes it must: the entry page's consent refusals among them. */
	assert_true(c.codes > 40);
	for (i = 1; i < MADO_E__COUNT; i++)
		need(&c, "problem.", mado_err_slug(i), strlen(mado_err_slug(i)));
	cJSON_Delete(c.lang[0]);
	cJSON_Delete(c.lang[1]);
	if (c.missing > 0)
		fail_msg("%zu messages missing (listed above)", c.missing);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slugs_unique_and_url_safe),
	    cmocka_unit_test(test_every_required_status_has_a_type),
	    cmocka_unit_test(test_out_of_range_is_internal),
	    cmocka_unit_test(test_every_code_has_both_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
