/*
 * Debian gives CivetWeb no security support, so Mado keeps its own list of the issues
 * known for the version it runs (tests/unit/data/civetweb_issues.tsv, docs/dependencies.md)
 * and this test holds its use of CivetWeb to that list: what an issue needs stays out of
 * the server binaries and sources, each control has its test, and a CivetWeb other than
 * the one the list was made for fails here until the list is reviewed for it.
 */
#define _XOPEN_SOURCE 700 /* nftw */
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <civetweb.h>

#include "mado/util.h"

#define ISSUES MADO_SOURCE_DIR "/tests/unit/data/civetweb_issues.tsv"

/* The version the list was reviewed for, and the features Debian's build leaves out that
   its rows count on (civetweb.h: MG_FEATURES_LUA, MG_FEATURES_HTTP2). */
#define REVIEWED_FOR  "1.15"
#define FEATURE_LUA   0x20u
#define FEATURE_HTTP2 0x400u
#define MAX_FIELD     256

struct row {
	char issue[MAX_FIELD], reached[MAX_FIELD], mado[MAX_FIELD], note[MAX_FIELD];
};

/* The rows in order; *n gets their number. */
static struct row *
read_rows(size_t *n)
{
	static struct row rows[64];
	char line[1024];
	FILE *f = fopen(ISSUES, "r");

	*n = 0;
	assert_non_null(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		if (line[0] == '#' || line[0] == '\n')
			continue;
		line[strcspn(line, "\n")] = '\0';
		assert_true(*n < sizeof(rows) / sizeof(rows[0]));
		if (sscanf(line, "%255[^\t]\t%255[^\t]\t%255[^\t]\t%255[^\t]", rows[*n].issue,
			   rows[*n].reached, rows[*n].mado, rows[*n].note) != 4)
			fail_msg("civetweb_issues.tsv: a row without its four fields: %s", line);
		(*n)++;
	}
	fclose(f);
	return rows;
}

/* Does the file hold needle? With whole, only as a string of its own, NUL before and after:
   a dynamic symbol's name. */
static bool
holds(const char *path, const char *needle, bool whole)
{
	size_t len, nlen = strlen(needle) + (whole ? 1 : 0);
	const char *at, *end;
	char *text;
	bool found = false;

	assert_int_equal(mado_read_file(path, (size_t)1 << 28, &text, &len), 0);
	end = text + len + 1; /* mado_read_file ends the text with a NUL */
	for (at = text;
	     !found && (at = memchr(at, needle[0], (size_t)(end - at))) != NULL && at + nlen <= end;
	     at++)
		found = memcmp(at, needle, nlen) == 0 && (!whole || at == text || at[-1] == '\0');
	free(text);
	return found;
}

static char option_sought[MAX_FIELD + 2]; /* "name", quoted as in OPT("name", ...) */
static const char *option_found_in;

static int
visit_source(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	static char found[1024];
	size_t len = strlen(path);

	(void)st;
	(void)ftw;
	if (type != FTW_F || len < 2 || strcmp(path + len - 2, ".c") != 0)
		return 0;
	if (holds(path, option_sought, false)) {
		snprintf(found, sizeof(found), "%s", path);
		option_found_in = found;
		return 1;
	}
	return 0;
}

/* The source file under server/ that sets CivetWeb's option name, or NULL. */
static const char *
source_setting(const char *name)
{
	snprintf(option_sought, sizeof(option_sought), "\"%s\"", name);
	option_found_in = NULL;
	assert_int_not_equal(nftw(MADO_SOURCE_DIR "/server", visit_source, 16, FTW_PHYS), -1);
	return option_found_in;
}

/* The CivetWeb this test runs with is the one the list was made for. */
static void
test_version_reviewed(void **state)
{
	(void)state;
	if (strcmp(mg_version(), REVIEWED_FOR) != 0)
		fail_msg("CivetWeb %s is not the %s that tests/unit/data/civetweb_issues.tsv and "
			 "docs/dependencies.md were reviewed for: review them for it first",
			 mg_version(), REVIEWED_FOR);
	/* The rows that say "not in Debian's build". */
	assert_int_equal(mg_check_feature(FEATURE_LUA), 0);
	assert_int_equal(mg_check_feature(FEATURE_HTTP2), 0);
}

/* What an issue needs is out of the binaries that link CivetWeb and out of the sources. */
static void
test_issues_out_of_reach(void **state)
{
	static const char *const binaries[] = {MADO_BINARY, MADO_HOLDER_BINARY};
	const struct row *rows;
	size_t n, i, b, symbols = 0, options = 0, controls = 0;
	char path[512], fn[MAX_FIELD + 32];
	const char *colon, *setter;

	(void)state;
	rows = read_rows(&n);
	/* The check sees imports at all: each binary imports the call that starts CivetWeb. */
	for (b = 0; b < sizeof(binaries) / sizeof(binaries[0]); b++)
		assert_true(holds(binaries[b], "mg_start", true));
	for (i = 0; i < n; i++) {
		if (strncmp(rows[i].reached, "symbol:", 7) == 0) {
			assert_string_equal(rows[i].mado, "unused");
			for (b = 0; b < sizeof(binaries) / sizeof(binaries[0]); b++)
				if (holds(binaries[b], rows[i].reached + 7, true))
					fail_msg("%s imports %s, which %s reaches", binaries[b],
						 rows[i].reached + 7, rows[i].issue);
			symbols++;
		} else if (strncmp(rows[i].reached, "option:", 7) == 0) {
			assert_string_equal(rows[i].mado, "unused");
			if ((setter = source_setting(rows[i].reached + 7)) != NULL)
				fail_msg("%s sets CivetWeb's %s, which %s reaches", setter,
					 rows[i].reached + 7, rows[i].issue);
			options++;
		} else if (strcmp(rows[i].reached, "control") == 0) {
			/* "tests/x.c: test_name": that test exists in that file. */
			colon = strstr(rows[i].mado, ": ");
			assert_non_null(colon);
			snprintf(path, sizeof(path), "%s/%.*s", MADO_SOURCE_DIR,
				 (int)(colon - rows[i].mado), rows[i].mado);
			snprintf(fn, sizeof(fn), "%s(void **state)", colon + 2);
			if (!holds(path, fn, false))
				fail_msg("%s: the control %s is not there", rows[i].issue,
					 rows[i].mado);
			controls++;
		} else {
			fail_msg("%s: reached by \"%s\", which is none of symbol:, option:, "
				 "control",
				 rows[i].issue, rows[i].reached);
		}
	}
	assert_true(symbols >= 1 && options >= 1 && controls >= 1);
}

/* The check itself: a symbol mado imports, and an option it sets, are found. */
static void
test_check_finds_what_is_used(void **state)
{
	(void)state;
	assert_true(holds(MADO_BINARY, "mg_get_request_info", true));
	assert_false(holds(MADO_BINARY, "mg_get_request_inf", true));
	assert_non_null(source_setting("enable_keep_alive"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_version_reviewed),
	    cmocka_unit_test(test_issues_out_of_reach),
	    cmocka_unit_test(test_check_finds_what_is_used),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
