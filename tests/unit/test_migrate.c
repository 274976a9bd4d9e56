/*
 * Migration files: naming, numbering without gaps, and comparison with what was applied;
 * function files beside them: loaded by name, pending when new, changed or removed.
 */
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

/* base/migrations and, beside it, base/functions, as in sql/. */
static char base[] = "/tmp/mado-unit-migrate-XXXXXX";
static char dir[64], fdir[64];

static void
put_in(const char *d, const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", d, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
put(const char *name, const char *text)
{
	put_in(dir, name, text);
}

static void
put_fn(const char *name, const char *text)
{
	put_in(fdir, name, text);
}

static void
clear(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "find %s %s -type f -delete", dir, fdir);
	assert_int_equal(system(cmd), 0);
}

static int
setup(void **state)
{
	(void)state;
	if (mkdtemp(base) == NULL)
		return -1;
	snprintf(dir, sizeof(dir), "%s/migrations", base);
	snprintf(fdir, sizeof(fdir), "%s/functions", base);
	return mkdir(dir, 0700) == 0 && mkdir(fdir, 0700) == 0 ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	clear();
	rmdir(dir);
	rmdir(fdir);
	rmdir(base);
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
	struct mado_migrate_counts pending;
	struct mado_applied a = {NULL, NULL};
	char why[512];
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
	assert_int_equal(pending.migrations, 2);

	/* Everything applied. */
	a.migrations = r = applied(2, names, sums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)), MADO_OK);
	assert_int_equal(pending.migrations, 0);
	PQclear(r);

	/* A changed file: refused, and nothing is pending to apply. */
	sums[0] = "0000000000000000000000000000000000000000000000000000000000000000";
	a.migrations = r = applied(2, names, sums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.migrations, 0);
	assert_non_null(strstr(why, "0001_a.sql"));
	PQclear(r);
	sums[0] = m.v[0].checksum;

	/* The database knows a migration this build does not. */
	a.migrations = r = applied(3, names, sums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.migrations, 0);
	assert_non_null(strstr(why, "0003_from_the_future.sql"));
	PQclear(r);
	mado_migrate_free(&m);
}

static void
test_loads_function_files(void **state)
{
	struct mado_migrations m;
	char why[256], moved[300];

	(void)state;
	clear();
	put("0001_a.sql", "SELECT 1;");
	put_fn("notices.sql", "SELECT 1;");
	put_fn("consent.sql", "SELECT 2;");
	put_fn(".hidden.sql", "not SQL at all");
	assert_int_equal(load(&m), MADO_OK);
	assert_int_equal(m.n, 1);
	assert_int_equal(m.nfn, 2);
	assert_string_equal(m.fn[0].name, "consent.sql");
	assert_string_equal(m.fn[1].name, "notices.sql");
	assert_int_equal(m.fn[1].version, 0);
	assert_string_equal(m.fn[1].checksum,
			    "17db4fd369edb9244b9f91d9aeed145c3d04ad8ba6e95d06247f07a63527d11a");
	mado_migrate_free(&m);

	/* Named after a module, lower case, .sql; a trailing slash on the directory is fine. */
	put_fn("Consent.sql", "SELECT 2;");
	assert_int_equal(load(&m), MADO_E_BAD_REQUEST);
	assert_null(m.fn);
	clear();
	put("0001_a.sql", "SELECT 1;");
	put_fn("notes.txt", "");
	assert_int_equal(load(&m), MADO_E_BAD_REQUEST);
	clear();
	put("0001_a.sql", "SELECT 1;");
	snprintf(moved, sizeof(moved), "%s/", dir);
	assert_int_equal(mado_migrate_load(moved, &m, why, sizeof(why)), MADO_OK);
	assert_int_equal(m.nfn, 0);
	mado_migrate_free(&m);

	/* No functions directory beside the migrations: an error that names it. */
	snprintf(moved, sizeof(moved), "%s.away", fdir);
	assert_int_equal(rename(fdir, moved), 0);
	assert_int_equal(mado_migrate_load(dir, &m, why, sizeof(why)), MADO_E_NOT_FOUND);
	assert_non_null(strstr(why, fdir));
	assert_int_equal(m.n, 0);
	assert_int_equal(rename(moved, fdir), 0);
}

/* A result shaped like SELECT name, checksum FROM portal.schema_functions. */
static PGresult *
fn_applied(int n, const char *const *names, const char *const *sums)
{
	PGresAttDesc attrs[2];
	PGresult *r = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	int i;

	memset(attrs, 0, sizeof(attrs));
	attrs[0].name = (char *)(uintptr_t) "name";
	attrs[1].name = (char *)(uintptr_t) "checksum";
	assert_int_equal(PQsetResultAttrs(r, 2, attrs), 1);
	for (i = 0; i < n; i++) {
		PQsetvalue(r, i, 0, (char *)(uintptr_t)names[i], (int)strlen(names[i]));
		PQsetvalue(r, i, 1, (char *)(uintptr_t)sums[i], (int)strlen(sums[i]));
	}
	return r;
}

static void
test_compare_function_files(void **state)
{
	static const char zeros[] =
	    "0000000000000000000000000000000000000000000000000000000000000000";
	struct mado_migrations m;
	struct mado_migrate_counts pending;
	struct mado_applied a = {NULL, NULL};
	const char *mnames[1], *msums[1], *names[3], *sums[3];
	char why[512];

	(void)state;
	clear();
	put("0001_a.sql", "SELECT 1;");
	put_fn("auth.sql", "SELECT 1;");
	put_fn("consent.sql", "SELECT 2;");
	assert_int_equal(load(&m), MADO_OK);
	mnames[0] = m.v[0].name;
	msums[0] = m.v[0].checksum;
	a.migrations = applied(1, mnames, msums);

	/* Never applied (no schema_functions yet): every file is pending, and only they. */
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.migrations, 0);
	assert_int_equal(pending.functions, 2);

	/* Applied as they are, listed in any order. */
	names[0] = "consent.sql";
	sums[0] = m.fn[1].checksum;
	names[1] = "auth.sql";
	sums[1] = m.fn[0].checksum;
	a.functions = fn_applied(2, names, sums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)), MADO_OK);
	assert_int_equal(pending.functions, 0);
	PQclear(a.functions);

	/* One file changed since. */
	sums[0] = zeros;
	a.functions = fn_applied(2, names, sums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.migrations, 0);
	assert_int_equal(pending.functions, 1);
	assert_non_null(strstr(why, "consent.sql"));
	PQclear(a.functions);
	sums[0] = m.fn[1].checksum;

	/* A recorded file that is gone. */
	names[2] = "oversight.sql";
	sums[2] = zeros;
	a.functions = fn_applied(3, names, sums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.functions, 1);
	assert_non_null(strstr(why, "oversight.sql"));

	/* A changed migration stops everything: nothing is pending, not even the files. */
	PQclear(a.migrations);
	msums[0] = zeros;
	a.migrations = applied(1, mnames, msums);
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.migrations, 0);
	assert_int_equal(pending.functions, 0);
	PQclear(a.functions);

	/* Behind on migrations as well: both are pending. */
	PQclear(a.migrations);
	a.migrations = NULL;
	a.functions = NULL;
	assert_int_equal(mado_migrate_compare(&m, &a, &pending, why, sizeof(why)),
			 MADO_E_SCHEMA_MISMATCH);
	assert_int_equal(pending.migrations, 1);
	assert_int_equal(pending.functions, 2);
	mado_migrate_free(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_loads_in_order),
	    cmocka_unit_test(test_refuses_bad_sets),
	    cmocka_unit_test(test_compare),
	    cmocka_unit_test(test_loads_function_files),
	    cmocka_unit_test(test_compare_function_files),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
