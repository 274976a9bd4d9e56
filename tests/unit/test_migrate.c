/* Migration files: naming, numbering without gaps, and comparison with what was applied. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "mado/err.h"
#include "mado/migrate.h"

static char dir[] = "/tmp/mado-unit-migrate-XXXXXX";

static void
put(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
clear(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -f %s/*", dir);
	assert_int_equal(system(cmd), 0);
}

static int
setup(void **state)
{
	(void)state;
	return mkdtemp(dir) != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	clear();
	rmdir(dir);
	return 0;
}

static int
load(struct mado_migrations *m)
{
	char why[256];

	return mado_migrate_load(dir, m, why, sizeof(why));
}

static void
test_loads_in_order(void **state)
{
	struct mado_migrations m;

	(void)state;
	clear();
	put("0002_add_things.sql", "SELECT 2;");
	put("0001_create_portal.sql", "SELECT 1;");
	assert_int_equal(load(&m), MADO_OK);
	assert_int_equal(m.n, 2);
	assert_int_equal(m.v[0].version, 1);
	assert_string_equal(m.v[1].name, "0002_add_things.sql");
	/* sha256("SELECT 1;") computed by the sha256sum command line. */
	assert_string_equal(m.v[0].checksum,
			    "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a");
	mado_migrate_free(&m);
}

static void
test_refuses_bad_sets(void **state)
{
	struct mado_migrations m;

	(void)state;
	clear();
	put("0001_a.sql", "SELECT 1;");
	put("0003_c.sql", "SELECT 3;"); /* 0002 missing */
	assert_int_not_equal(load(&m), MADO_OK);
	clear();
	put("0001_a.sql", "SELECT 1;");
	put("0001_b.sql", "SELECT 1;"); /* same number twice */
	assert_int_not_equal(load(&m), MADO_OK);
	clear();
	put("0001_Create.sql", "SELECT 1;"); /* not lower case */
	assert_int_not_equal(load(&m), MADO_OK);
	clear();
	put("1_a.sql", "SELECT 1;");
	assert_int_not_equal(load(&m), MADO_OK);
	clear();
	assert_int_not_equal(load(&m), MADO_OK); /* empty */
}

/* A result shaped like SELECT version, name, checksum FROM portal.schema_migrations. */
static PGresult *
applied(int n, const char *const *names, const char *const *sums)
{
	PGresAttDesc attrs[3];
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	char v[16];
	int i;

	memset(attrs, 0, sizeof(attrs));
	attrs[0].name = (char *)(uintptr_t) "version";
	attrs[1].name = (char *)(uintptr_t) "name";
	attrs[2].name = (char *)(uintptr_t) "checksum";
	for (i = 0; i < 3; i++)
		attrs[i].format = 0;
	assert_int_equal(PQsetResultAttrs(r, 3, attrs), 1);
	for (i = 0; i < n; i++) {
		snprintf(v, sizeof(v), "%d", i + 1);
		PQsetvalue(r, i, 0, v, (int)strlen(v));
		PQsetvalue(r, i, 1, (char *)(uintptr_t)names[i], (int)strlen(names[i]));
		PQsetvalue(r, i, 2, (char *)(uintptr_t)sums[i], (int)strlen(sums[i]));
	}
	return r;
}

static void
test_compare(void **state)
{
	struct mado_migrations m;
	const char *names[3], *sums[3];
	char why[512];
	size_t pending;
	PGresult *r;

	(void)state;
	clear();
	put("0001_a.sql", "SELECT 1;");
	put("0002_b.sql", "SELECT 2;");
	assert_int_equal(load(&m), MADO_OK);
	names[0] = m.v[0].name;
	names[1] = m.v[1].name;
	names[2] = "0003_from_the_future.sql";
	sums[0] = m.v[0].checksum;
	sums[1] = m.v[1].checksum;
	sums[2] = m.v[1].checksum;

	/* Nothing applied: behind by two. */
	assert_int_equal(mado_migrate_compare(&m, NULL, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending, 2);

	/* Everything applied. */
	r = applied(2, names, sums);
	assert_int_equal(mado_migrate_compare(&m, r, &pending, why, sizeof(why)), MADO_OK);
	assert_int_equal(pending, 0);
	PQclear(r);

	/* A changed file: refused, and nothing is pending to apply. */
	sums[0] = "0000000000000000000000000000000000000000000000000000000000000000";
	r = applied(2, names, sums);
	assert_int_equal(mado_migrate_compare(&m, r, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending, 0);
	assert_non_null(strstr(why, "0001_a.sql"));
	PQclear(r);
	sums[0] = m.v[0].checksum;

	/* The database knows a migration this build does not. */
	r = applied(3, names, sums);
	assert_int_equal(mado_migrate_compare(&m, r, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending, 0);
	assert_non_null(strstr(why, "0003_from_the_future.sql"));
	PQclear(r);
	mado_migrate_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loads_in_order),
	    cmocka_unit_test(test_refuses_bad_sets),
	    cmocka_unit_test(test_compare),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
