/*
 * mado migrate and the schema check of mado serve against a real database: pending files
 * are applied once, each in its own transaction; a changed file, a database ahead of the
 * build or a schema behind it stops mado serve with a message that says which.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;
static char migdir[400];
static long shipped;    /* migrations in the source tree */
static char extra[64];  /* the next number's test migration */
static char broken[64]; /* and the one after, which fails */

#define scalar(sql) th_sql(&env, "%s", (sql))

static int
setup(void **state)
{
	char line[512];

	(void)state;
	if (th_setup(&env, NULL) != 0)
		return -1;
	/* Work on a copy of the migrations so files can be edited. */
	snprintf(migdir, sizeof(migdir), "%s/migrations", env.dir);
	if (th_sh("cp -r '%s/sql/migrations' '%s'", MADO_SOURCE_DIR, migdir) != 0)
		return -1;
	snprintf(line, sizeof(line), "migrations_dir = %s", migdir);
	if (th_conf_append(&env, line) != 0)
		return -1;
	shipped = scalar("SELECT count(*) FROM portal.schema_migrations");
	snprintf(extra, sizeof(extra), "%04ld_add_test_things.sql", shipped + 1);
	snprintf(broken, sizeof(broken), "%04ld_break_halfway.sql", shipped + 2);
	return th_mado_stop(&env); /* each test starts mado itself */
}

static int
teardown(void **state)
{
	(void)state;
	th_teardown(&env);
	return 0;
}

/* Runs `mado serve` expecting it to refuse; returns its output. */
static char *
serve_refuses(void)
{
	char *out = NULL;

	assert_int_not_equal(th_mado_cmd(&env, "serve", &out), 0);
	assert_non_null(out);
	return out;
}

static void
test_status_and_idempotent_apply(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(th_mado_cmd(&env, "migrate --status", &out), 0);
	free(out);
	/* Nothing pending: applying again changes nothing. */
	assert_int_equal(th_mado_cmd(&env, "migrate", &out), 0);
	assert_non_null(strstr(out, "applied 0 migration(s)"));
	free(out);
	assert_true(shipped >= 2);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_migrations"), shipped);
}

static void
test_behind_then_migrated(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(th_sh("printf 'SET LOCAL ROLE mado_owner;\\nCREATE TABLE "
			       "portal.test_things (id int);\\n' > '%s/%s'",
			       migdir, extra),
			 0);
	out = serve_refuses();
	assert_non_null(strstr(out, "behind"));
	assert_non_null(strstr(out, extra));
	free(out);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 3);

	assert_int_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_migrations"), shipped + 1);
	assert_int_equal(scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'test_things' "
				"AND tableowner = 'mado_owner'"),
			 1);
	assert_int_equal(th_mado_start(&env), 0);
	assert_int_equal(th_mado_stop(&env), 0);
}

/* A failing migration leaves nothing behind: not its objects, not its record. */
static void
test_failed_migration_is_rolled_back(void **state)
{
	char *out = NULL;

	(void)state;
	assert_int_equal(th_sh("printf 'SET LOCAL ROLE mado_owner;\\nCREATE TABLE portal.half "
			       "(id int);\\nSELECT no_such_function();\\n' > '%s/%s'",
			       migdir, broken),
			 0);
	assert_int_not_equal(th_mado_cmd(&env, "migrate", &out), 0);
	assert_non_null(strstr(out, broken));
	free(out);
	assert_int_equal(scalar("SELECT count(*) FROM pg_tables WHERE tablename = 'half'"), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_migrations"), shipped + 1);
	assert_int_equal(th_sh("rm '%s/%s'", migdir, broken), 0);
}

static void
test_changed_file_stops_serve(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(th_sh("echo '-- an innocent-looking edit' >> '%s/%s'", migdir, extra), 0);
	out = serve_refuses();
	assert_non_null(strstr(out, extra));
	assert_non_null(strstr(out, "changed"));
	free(out);
	/* mado migrate refuses to go on from a changed history, too. */
	assert_int_not_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_migrations"), shipped + 1);
}

static void
test_database_ahead_stops_serve(void **state)
{
	char *out;

	(void)state;
	assert_int_equal(th_sh("rm '%s/%s'", migdir, extra), 0);
	out = serve_refuses();
	assert_non_null(strstr(out, extra));
	assert_non_null(strstr(out, "newer"));
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_and_idempotent_apply),
	    cmocka_unit_test(test_behind_then_migrated),
	    cmocka_unit_test(test_failed_migration_is_rolled_back),
	    cmocka_unit_test(test_changed_file_stops_serve),
	    cmocka_unit_test(test_database_ahead_stops_serve),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
