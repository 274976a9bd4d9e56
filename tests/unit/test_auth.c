/*
 * Card login decisions (server/auth/auth.c), driven by tests/unit/data/auth_login.tsv:
 * what an attempt comes to from the certificate's finding and what the database knows of
 * the card, and when a card's failed attempts are refused outright.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mado/err.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "auth/auth_int.h"

static enum mado_pki_reason
finding(const char *name)
{
	int r;

	for (r = 0; r < MADO_PKI__COUNT; r++)
		if (strcmp(mado_pki_reason_str((enum mado_pki_reason)r), name) == 0)
			return (enum mado_pki_reason)r;
	fail_msg("auth_login.tsv: no finding %s", name);
	return MADO_PKI_INTERNAL;
}

static bool
yes(const char *s)
{
	return strcmp(s, "yes") == 0;
}

static void
test_table(void **state)
{
	char *text, *line, *next, *f[6];
	int lineno = 0, logins = 0, limits = 0, n, err;
	const char *got;
	size_t len;

	(void)state;
	assert_int_equal(
	    mado_read_file(MADO_SOURCE_DIR "/tests/unit/data/auth_login.tsv", 1 << 20, &text, &len),
	    0);
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (n = 0, f[0] = line; n < 5 && (f[n + 1] = strchr(f[n], '\t')) != NULL; n++)
			*f[n + 1]++ = '\0';
		if (strcmp(f[0], "login") == 0 && n == 5) {
			err = auth__login_decision(finding(f[2]), yes(f[3]), yes(f[4]), yes(f[5]));
			got = err == MADO_OK ? "ok" : mado_err_slug(err);
			if (strcmp(got, f[1]) != 0)
				fail_msg("auth_login.tsv line %d: %s, expected %s", lineno, got,
					 f[1]);
			logins++;
		} else if (strcmp(f[0], "limit") == 0 && n == 4) {
			if (auth__card_limited(finding(f[2]), atoi(f[3]), atoi(f[4])) != yes(f[1]))
				fail_msg("auth_login.tsv line %d: expected %s", lineno, f[1]);
			limits++;
		} else {
			fail_msg("auth_login.tsv line %d is neither a login nor a limit", lineno);
		}
	}
	free(text);
	assert_true(logins >= 20);
	assert_true(limits >= 5);
}

/* Every finding maps to an error of the catalogue, and only a pass to none. */
static void
test_every_finding_has_an_error(void **state)
{
	int r, err;

	(void)state;
	for (r = 0; r < MADO_PKI__COUNT; r++) {
		err = mado_pki_err((enum mado_pki_reason)r);
		assert_true(err >= 0 && err < MADO_E__COUNT);
		assert_true((err == MADO_OK) == (r == MADO_PKI_PASS));
	}
}

static void
test_tokens(void **state)
{
	char a[48], b[48], key[65];

	(void)state;
	assert_int_equal(auth__token(a, sizeof(a), 32), 0);
	assert_int_equal(auth__token(b, sizeof(b), 32), 0);
	assert_int_equal(strlen(a), 43);
	assert_string_not_equal(a, b);
	assert_int_not_equal(auth__token(a, 10, 32), 0); /* too small a buffer: refused */
	auth__limit_key("127.0.0.1", key);
	assert_int_equal(strlen(key), 64);
}

/* A session's "where" is the client's network, never its address. */
static void
test_coarse_net(void **state)
{
	static const char *const cases[][2] = {
	    {"203.0.113.77", "203.0.113.0/24"},
	    {"::ffff:198.51.100.9", "198.51.100.0/24"},
	    {"2001:db8:1234:5678::abcd", "2001:db8:1234::/48"},
	    {"::1", "::/48"},
	    {"not an address", ""},
	    {"", ""},
	};
	char out[64];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		auth__coarse_net(cases[i][0], out, sizeof(out));
		assert_string_equal(out, cases[i][1]);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_table),
	    cmocka_unit_test(test_every_finding_has_an_error),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_coarse_net),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
