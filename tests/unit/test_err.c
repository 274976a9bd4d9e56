/* The error catalogue: one stable type per cause, statuses the issue asks for. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mado/err.h"

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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slugs_unique_and_url_safe),
	    cmocka_unit_test(test_every_required_status_has_a_type),
	    cmocka_unit_test(test_out_of_range_is_internal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
