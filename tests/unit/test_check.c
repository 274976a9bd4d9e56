/*
 * The input vocabulary (server/core/check.c), driven by tests/unit/data/check.tsv: one
 * value of one kind a line, with the verdict first, the way pgbouncer's hba tests read
 * their rules. Then the walk over a JSON object: shape before values, the member named.
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

#include "mado/check.h"
#include "mado/err.h"
#include "mado/util.h"

static const struct {
	const char *name;
	enum mado_kind kind;
} kinds[] = {
    {"code", MADO_K_CODE}, {"org", MADO_K_ORG},       {"token", MADO_K_TOKEN},
    {"uuid", MADO_K_UUID}, {"id", MADO_K_ID},         {"date", MADO_K_DATE},
    {"time", MADO_K_TIME}, {"period", MADO_K_PERIOD}, {"officer", MADO_K_OFFICER},
    {"url", MADO_K_URL},   {"text", MADO_K_TEXT},     {"prose", MADO_K_PROSE},
    {"int", MADO_K_INT},   {"cursor", MADO_K_CURSOR}, {"bool", MADO_K_BOOL},
};

/* \t \n \r \\ and \xNN in place. */
static void
unescape(char *s)
{
	char *o = s;
	unsigned v;

	for (; *s != '\0'; s++) {
		if (*s != '\\' || s[1] == '\0') {
			*o++ = *s;
			continue;
		}
		s++;
		if (*s == 'x' && sscanf(s + 1, "%2x", &v) == 1) {
			*o++ = (char)v;
			s += 2;
		} else {
			*o++ = *s == 't' ? '\t' : *s == 'n' ? '\n' : *s == 'r' ? '\r' : *s;
		}
	}
	*o = '\0';
}

static void
test_table(void **state)
{
	char *text, *line, *next, *f[5];
	struct mado_field fd;
	size_t len, i;
	int cases = 0, n, lineno = 0;
	bool ok;

	(void)state;
	assert_int_equal(
	    mado_read_file(MADO_SOURCE_DIR "/tests/unit/data/check.tsv", 1 << 20, &text, &len), 0);
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (n = 0, f[0] = line; n < 4 && (f[n + 1] = strchr(f[n], '\t')) != NULL; n++)
			*f[n + 1]++ = '\0';
		if (n != 4)
			fail_msg("check.tsv line %d: five columns", lineno);
		memset(&fd, 0, sizeof(fd));
		fd.name = "value";
		for (i = 0; i < MADO_NELEM(kinds) && strcmp(kinds[i].name, f[1]) != 0; i++)
			;
		if (i < MADO_NELEM(kinds))
			fd.kind = kinds[i].kind;
		else
			fail_msg("check.tsv line %d: no kind %s", lineno, f[1]);
		fd.min = strcmp(f[2], "-") == 0 ? 0 : atoll(f[2]);
		fd.max = strcmp(f[3], "-") == 0 ? 0 : atoll(f[3]);
		unescape(f[4]);
		ok = mado_check_text(&fd, f[4]);
		if (ok != (strcmp(f[0], "ok") == 0))
			fail_msg("check.tsv line %d: %s %s is %s, expected %s", lineno, f[1], f[4],
				 ok ? "ok" : "bad", f[0]);
		cases++;
	}
	free(text);
	assert_true(cases > 90);
}

static const char *const colours[] = {"red", "blue", NULL};
static const struct mado_field inner[] = {
    {.name = "unit", .kind = MADO_K_ENUM, .required = true, .words = colours},
    {.name = "max", .kind = MADO_K_INT, .min = 1, .max = 10},
    MADO_FIELDS_END,
};
static const struct mado_field fields[] = {
    {.name = "name", .kind = MADO_K_TEXT, .required = true, .min = 1, .max = 10},
    {.name = "codes", .kind = MADO_K_CODES, .min = 1, .max = 2},
    {.name = "opts", .kind = MADO_K_OBJECT, .fields = inner},
    {.name = "rows", .kind = MADO_K_OBJECTS, .min = 1, .max = 3, .fields = inner},
    {.name = "flag", .kind = MADO_K_BOOL},
    MADO_FIELDS_END,
};

/* The error and the member a body is refused for ("-" when it passes). */
static const char *
verdict(const char *json, int *err, int *index)
{
	static struct mado_bad bad;
	cJSON *j = cJSON_Parse(json);

	assert_non_null(j);
	*err = mado_check_json(j, fields, &bad);
	*index = bad.index;
	cJSON_Delete(j);
	return *err == MADO_OK ? "-" : bad.field;
}

static void
test_object_walk(void **state)
{
	int err, index;

	(void)state;
	assert_string_equal(
	    verdict("{\"name\":\"x\",\"codes\":[\"a.b\"],\"flag\":true}", &err, &index), "-");
	/* Shape: 400, naming the member, whatever the values. */
	assert_string_equal(verdict("[]", &err, &index), "");
	assert_int_equal(err, MADO_E_INVALID_BODY);
	assert_string_equal(verdict("{\"name\":\"\",\"other\":1}", &err, &index), "other");
	assert_int_equal(err, MADO_E_INVALID_BODY);
	assert_string_equal(verdict("{\"name\":7}", &err, &index), "name");
	assert_int_equal(err, MADO_E_INVALID_BODY);
	assert_string_equal(verdict("{\"name\":\"x\",\"codes\":[1]}", &err, &index), "codes");
	assert_int_equal(err, MADO_E_INVALID_BODY);
	assert_string_equal(
	    verdict("{\"name\":\"x\",\"opts\":{\"unit\":\"red\",\"x\":1}}", &err, &index),
	    "opts.x");
	assert_int_equal(err, MADO_E_INVALID_BODY);
	assert_string_equal(
	    verdict("{\"name\":\"x\",\"rows\":[{\"unit\":\"red\"},{\"y\":1}]}", &err, &index), "y");
	assert_int_equal(index, 1);
	assert_int_equal(err, MADO_E_INVALID_BODY);
	/* Values: 422, naming the field; every required one looked for first. */
	assert_string_equal(verdict("{}", &err, &index), "name");
	assert_int_equal(err, MADO_E_VALIDATION);
	assert_string_equal(verdict("{\"name\":null}", &err, &index), "name");
	assert_string_equal(verdict("{\"name\":\"x\",\"codes\":[\"a.b\",\"a.b\"]}", &err, &index),
			    "codes");
	assert_int_equal(err, MADO_E_VALIDATION);
	assert_string_equal(
	    verdict("{\"name\":\"x\",\"codes\":[\"a.b\",\"c.d\",\"e.f\"]}", &err, &index), "codes");
	assert_string_equal(verdict("{\"name\":\"x\",\"opts\":{\"unit\":\"green\"}}", &err, &index),
			    "opts.unit");
	assert_string_equal(
	    verdict("{\"name\":\"x\",\"opts\":{\"unit\":\"red\",\"max\":1e300}}", &err, &index),
	    "opts.max");
	assert_string_equal(verdict("{\"name\":\"x\",\"opts\":{\"max\":2}}", &err, &index),
			    "opts.unit");
	assert_string_equal(
	    verdict("{\"name\":\"x\",\"rows\":[{\"unit\":\"red\"},{\"unit\":\"x\"}]}", &err,
		    &index),
	    "unit");
	assert_int_equal(index, 1);
	assert_int_equal(err, MADO_E_VALIDATION);
	assert_string_equal(verdict("{\"name\":\"x\",\"rows\":[]}", &err, &index), "rows");
}

static void
test_literals(void **state)
{
	char out[64];
	cJSON *a = cJSON_Parse("[\"a.b\",\"c\"]");

	(void)state;
	assert_true(mado_codes_literal(a, out, sizeof(out)));
	assert_string_equal(out, "{a.b,c}");
	assert_false(mado_codes_literal(a, out, 6));
	cJSON_Delete(a);
	assert_true(mado_list_literal(MADO_K_CODE, "a.b,c.d", out, sizeof(out)));
	assert_string_equal(out, "{a.b,c.d}");
	assert_false(mado_list_literal(MADO_K_CODE, "a.b,C", out, sizeof(out)));
	assert_false(mado_list_literal(MADO_K_CODE, "", out, sizeof(out)));
	assert_true(mado_list_literal(MADO_K_URL, "https://a.example/cb", out, sizeof(out)));
	assert_false(mado_list_literal(MADO_K_URL, "http://a.example/cb", out, sizeof(out)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_object_walk),
	    cmocka_unit_test(test_literals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
