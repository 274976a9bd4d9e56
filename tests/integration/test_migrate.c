/*
 * mado migrate and the schema check of mado serve against a real database: pending files
 * are applied once, each in its own transaction; a changed file, a database ahead of the
 * build or a schema behind it stops mado serve with a message that says which. Function
 * files are applied again, together, only when one is new, changed or removed; until then
 * mado serve refuses to start and /readyz is red.
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
static char fndir[400]; /* the functions directory beside migdir */
static long shipped;    /* migrations in the source tree */
static char extra[64];  /* the next number's test migration */
static char broken[64]; /* and the one after, which fails */

#define scalar(sql) th_sql(&env, "%s", (sql))

static int
setup(void **state)
{
	char line[512];

	*state = &env;
	if (th_setup(&env, NULL) != 0)
		return -1;
	/* Work on a copy of the migrations and function files so files can be edited. */
	snprintf(migdir, sizeof(migdir), "%s/migrations", env.dir);
	snprintf(fndir, sizeof(fndir), "%s/functions", env.dir);
	if (th_sh("cp -r '%s/sql/migrations' '%s'", MADO_SOURCE_DIR, migdir) != 0 ||
	    th_sh("cp -r '%s/sql/functions' '%s'", MADO_SOURCE_DIR, fndir) != 0)
		return -1;
	snprintf(line, sizeof(line), "migrations_dir = %s", migdir);
	if (th_conf_append(&env, line) != 0)
		return -1;
	shipped = scalar("SELECT count(*) FROM portal.schema_migrations");
	snprintf(extra, sizeof(extra), "%04ld_add_test_things.sql", shipped + 1);
	snprintf(broken, sizeof(broken), "%04ld_break_halfway.sql", shipped + 2);
	return th_mado_stop(&env); /* each test starts mado itself */
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

/* The SHA-256 of a file by the sha256sum command line, not by our code. */
static void
file_sha256(const char *path, char out[65])
{
	char cmd[640];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	assert_non_null(p = popen(cmd, "r"));
	assert_non_null(fgets(out, 65, p));
	pclose(p);
	assert_int_equal(strlen(out), 64);
}

/* Is name recorded in portal.schema_functions with the checksum of its file in fndir? */
static bool
recorded_as_file(const char *name)
{
	char path[600], want[65], have[80];

	snprintf(path, sizeof(path), "%s/%s", fndir, name);
	file_sha256(path, want);
	if (th_sql_str(&env, have, sizeof(have),
		       "SELECT checksum FROM portal.schema_functions WHERE name = '%s'", name) != 0)
		return false;
	return strcmp(have, want) == 0;
}

static char *
readyz_type(long *status)
{
	static char type[128];
	struct th_resp r;

	assert_int_equal(th_http(&env, "GET", "/readyz", NULL, NULL, 0, &r), 0);
	*status = r.status;
	th_problem_type(&r, type, sizeof(type));
	th_resp_free(&r);
	return type;
}

/* Checks that every file in fndir is recorded as it is; returns how many there are. */
static long
all_recorded(void)
{
	char cmd[500], name[256];
	long n = 0;
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls '%s'", fndir);
	assert_non_null(p = popen(cmd, "r"));
	while (fgets(name, sizeof(name), p) != NULL) {
		name[strcspn(name, "\n")] = '\0';
		if (!recorded_as_file(name))
			fail_msg("function file %s is not recorded as it is", name);
		n++;
	}
	pclose(p);
	return n;
}

static void
test_function_files_applied_once(void **state)
{
	char stamp[80], again[80], proc[32], proc_again[32];

	(void)state;
	/* Every file of the directory is recorded, with the checksum of what is on disk. */
	assert_true(all_recorded() >= 6);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_functions"), all_recorded());
	assert_int_equal(th_sql_str(&env, stamp, sizeof(stamp),
				    "SELECT max(applied_at)::text FROM portal.schema_functions"),
			 0);
	/* CREATE OR REPLACE rewrites a function's catalogue row; nothing may do that now. */
	assert_int_equal(th_sql_str(&env, proc, sizeof(proc),
				    "SELECT xmin::text FROM pg_proc WHERE proname = 'org_by_key'"),
			 0);
	assert_int_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 0);
	assert_int_equal(th_sql_str(&env, again, sizeof(again),
				    "SELECT max(applied_at)::text FROM portal.schema_functions"),
			 0);
	assert_string_equal(again, stamp);
	assert_int_equal(th_sql_str(&env, proc_again, sizeof(proc_again),
				    "SELECT xmin::text FROM pg_proc WHERE proname = 'org_by_key'"),
			 0);
	assert_string_equal(proc_again, proc);
}

/* The rule that makes "no access without its record" one function's job. */
static void
test_one_writer_of_the_access_log(void **state)
{
	char name[64];

	(void)state;
	assert_int_equal(scalar("SELECT count(*) FROM pg_proc WHERE pronamespace ="
				" 'portal'::regnamespace AND prosrc ~*"
				" 'insert\\s+into\\s+portal\\.access_events'"),
			 1);
	assert_int_equal(th_sql_str(&env, name, sizeof(name),
				    "SELECT proname FROM pg_proc WHERE pronamespace ="
				    " 'portal'::regnamespace AND prosrc ~*"
				    " 'insert\\s+into\\s+portal\\.access_events'"),
			 0);
	assert_string_equal(name, "record_access");
	assert_int_equal(th_sql_str(&env, name, sizeof(name),
				    "SELECT string_agg(proname, ',') FROM pg_proc WHERE"
				    " pronamespace = 'portal'::regnamespace AND prosrc ~*"
				    " 'insert\\s+into\\s+portal\\.access_event_keys'"),
			 0);
	assert_string_equal(name, "record_access");
	assert_int_equal(th_sql_str(&env, name, sizeof(name),
				    "SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc"
				    " WHERE pronamespace = 'portal'::regnamespace AND proname IN"
				    " ('gw_query', 'gw_report', 'rp_fetch', 'push_notice') AND"
				    " prosrc ~* 'portal\\.record_access\\s*\\('"),
			 0);
	assert_string_equal(name, "gw_query,gw_report,push_notice,rp_fetch");
	/* Only the definer functions write records: the application role cannot. */
	assert_int_equal(scalar("SELECT has_function_privilege('mado_app',"
				" 'portal.record_access(portal.access_record[])', 'EXECUTE')::int"),
			 0);
	assert_int_equal(scalar("SELECT has_function_privilege('mado_app',"
				" 'portal.gw_report(text, jsonb)', 'EXECUTE')::int"),
			 1);
}

/*
 * The access log's move from monthly to person-hash partitions (0016) on a database that
 * holds records: every row keeps its id and content, the identity goes on after the last
 * id, the monthly machinery is gone, and the log is as append-only as before. Done on a
 * second database of the cluster migrated to the migration before 0016.
 */
static void
test_access_log_moves_by_person(void **state)
{
	char olddir[400], conf[400], db[512];

	(void)state;
	snprintf(olddir, sizeof(olddir), "%s/upgrade-migrations", env.dir);
	snprintf(conf, sizeof(conf), "%s/upgrade.conf", env.dir);
	snprintf(db, sizeof(db),
		 "psql -X -q -A -t -v ON_ERROR_STOP=1 -h '%s/run' -p 5432 -U postgres"
		 " -d upgrade",
		 env.pgdir);
	assert_int_equal(scalar("CREATE DATABASE upgrade"), 0);
	assert_int_equal(th_sh("mkdir '%s' && cp '%s'/sql/migrations/00*.sql '%s' &&"
			       " rm '%s'/0016_*.sql '%s'/001[7-9]_*.sql '%s'/002[0-9]_*.sql"
			       " 2>/dev/null;"
			       " sed -e 's/dbname=mado/dbname=upgrade/' -e 's|^migrations_dir = .*|"
			       "migrations_dir = %s|' '%s' > '%s'",
			       olddir, MADO_SOURCE_DIR, olddir, olddir, olddir, olddir, olddir,
			       env.conf, conf),
			 0);
	assert_int_equal(th_sh("grep -q 'migrations_dir = %s' '%s' && test ! -e '%s'/0016_*.sql",
			       olddir, conf, olddir),
			 0);
	/* (The function files beside it, fndir, are this build's.) Before 0016: months. */
	assert_int_equal(th_sh("'%s' migrate --config '%s' >/dev/null 2>&1", MADO_BINARY, conf), 0);
	assert_int_equal(th_sh("test \"$(%s -c \"SELECT count(*) FROM pg_inherits WHERE inhparent"
			       " = 'portal.access_events'::regclass\")\" -ge 1 && %s -c \"SELECT"
			       " to_regprocedure('portal.access_partitions_ensure(integer)')"
			       " IS NOT NULL\" | grep -qx t",
			       db, db),
			 0);
	/* Records as the owner writes them, with a gap in the ids (a rolled-back write). */
	assert_int_equal(
	    th_sh("%s -c \"SET ROLE mado_owner;"
		  " INSERT INTO portal.access_events (event_id, person_id, occurred_at,"
		  " org_code, actor_kind, channel, purpose, legal_ref, items, outcome)"
		  " SELECT gen_random_uuid(), ('00000000-0000-0000-0000-00000000000'"
		  " || (g %% 3))::uuid, now() - g * interval '1 day', 'tax-office',"
		  " 'human', 'gateway', 'p', 'l', ARRAY['tax.income'], 'served'"
		  " FROM generate_series(1, 40) g; SELECT nextval("
		  "'portal.access_events_id_seq')\" >/dev/null",
		  db),
	    0);
	assert_int_equal(th_sh("%s -c \"SELECT md5(string_agg(e::text, ',' ORDER BY id)) FROM"
			       " portal.access_events e\" > '%s/before.md5'",
			       db, env.dir),
			 0);

	assert_int_equal(th_sh("cp '%s'/sql/migrations/0016_*.sql '%s' && '%s' migrate --config"
			       " '%s' >/dev/null 2>&1",
			       MADO_SOURCE_DIR, olddir, MADO_BINARY, conf),
			 0);
	/* The same rows, ids and all. */
	assert_int_equal(th_sh("%s -c \"SELECT md5(string_agg(e::text, ',' ORDER BY id)) FROM"
			       " portal.access_events e\" | cmp -s - '%s/before.md5'",
			       db, env.dir),
			 0);
	/* Eight hash partitions, each with its TRUNCATE guard; no monthly ones, no function
	   that made them; the next id after the last one handed out. */
	assert_int_equal(
	    th_sh("%s -c \"SELECT count(*) FILTER (WHERE p.partstrat = 'h'),"
		  " count(*) FILTER (WHERE c.relname ~ '^access_events_h[0-7]$'"
		  " AND EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND"
		  " t.tgname = 'no_truncate')), count(*) FILTER (WHERE c.relname ~"
		  " '^access_events_[0-9]{6}$'), to_regprocedure("
		  "'portal.access_partitions_ensure(integer)') IS NULL FROM"
		  " pg_partitioned_table p, pg_inherits i JOIN pg_class c ON c.oid ="
		  " i.inhrelid WHERE p.partrelid = 'portal.access_events'::regclass AND"
		  " i.inhparent = p.partrelid\" > '%s/shape'",
		  db, env.dir),
	    0);
	assert_int_equal(th_sh("grep -qx '8|8|0|t' '%s/shape'", env.dir), 0);
	assert_int_equal(th_sh("%s -c \"SET ROLE mado_owner; INSERT INTO portal.access_events"
			       " (event_id, person_id, occurred_at, org_code, actor_kind, channel,"
			       " purpose, legal_ref, items, outcome) VALUES (gen_random_uuid(),"
			       " '00000000-0000-0000-0000-000000000001', now(), 'tax-office',"
			       " 'human', 'gateway', 'p', 'l', ARRAY['tax.income'], 'served')"
			       " RETURNING id\" | grep -qx 42",
			       db),
			 0);
	/* Still append-only for the owner, on the log and on a partition. */
	assert_int_equal(th_sh("! %s -c \"SET ROLE mado_owner; DELETE FROM portal.access_events\""
			       " >/dev/null 2>&1",
			       db),
			 0);
	assert_int_equal(th_sh("! %s -c \"SET ROLE mado_owner; TRUNCATE portal.access_events_h1\""
			       " >/dev/null 2>&1",
			       db),
			 0);
}

/* A changed function file: reported as pending, refused by serve, fixed by migrate. */
static void
test_changed_function_file(void **state)
{
	long status;

	(void)state;
	assert_int_equal(th_sh("cp '%s/notices.sql' '%s/notices.sql.orig' && printf '\\nCREATE OR "
			       "REPLACE FUNCTION portal.migrate_test_marker() RETURNS integer "
			       "LANGUAGE sql AS $$ SELECT 7 $$;\\n' >> '%s/notices.sql'",
			       fndir, env.dir, fndir),
			 0);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 3);
	free(serve_refuses());
	assert_int_equal(scalar("SELECT count(*) FROM pg_proc WHERE proname ="
				" 'migrate_test_marker'"),
			 0);

	assert_int_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_int_equal(scalar("SELECT portal.migrate_test_marker()"), 7);
	assert_true(recorded_as_file("notices.sql"));
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_migrations"), shipped);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 0);
	assert_int_equal(th_mado_start(&env), 0);
	readyz_type(&status);
	assert_int_equal(status, 200);

	/* The running server's files are no longer what the database has applied. */
	assert_int_equal(th_sh("mv '%s/notices.sql.orig' '%s/notices.sql'", env.dir, fndir), 0);
	assert_int_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_true(recorded_as_file("notices.sql"));
	assert_string_equal(readyz_type(&status), "urn:mado:problem:schema-mismatch");
	assert_int_equal(status, 503);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_mado_start(&env), 0);
	readyz_type(&status);
	assert_int_equal(status, 200);
	assert_int_equal(th_mado_stop(&env), 0);
}

/* A removed function file: its row goes (its function stays: nothing is dropped). */
static void
test_removed_function_file(void **state)
{
	(void)state;
	assert_int_equal(th_sh("printf 'SET LOCAL ROLE mado_owner;\\nCREATE OR REPLACE FUNCTION "
			       "portal.migrate_test_extra() RETURNS integer LANGUAGE sql AS $$ "
			       "SELECT 8 $$;\\n' > '%s/zz_extra.sql'",
			       fndir),
			 0);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 3);
	assert_int_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_true(recorded_as_file("zz_extra.sql"));
	assert_int_equal(scalar("SELECT portal.migrate_test_extra()"), 8);
	assert_int_equal(scalar("SELECT (proowner = 'mado_owner'::regrole)::int FROM pg_proc"
				" WHERE proname = 'migrate_test_extra'"),
			 1);

	assert_int_equal(th_sh("rm '%s/zz_extra.sql'", fndir), 0);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 3);
	free(serve_refuses());
	assert_int_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_functions WHERE name ="
				" 'zz_extra.sql'"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_functions"), all_recorded());
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 0);
}

/* A function file that fails leaves every function file as it was applied. */
static void
test_failed_function_file_is_rolled_back(void **state)
{
	(void)state;
	assert_int_equal(
	    th_sh("cp '%s/auth.sql' '%s/auth.sql.orig' && printf 'SET LOCAL ROLE "
		  "mado_owner;\\nCREATE OR REPLACE FUNCTION portal.migrate_test_half() "
		  "RETURNS integer LANGUAGE sql AS $$ SELECT 9 $$;\\n' > "
		  "'%s/aa_first.sql' && echo 'SELECT no_such_function();' >> "
		  "'%s/auth.sql'",
		  fndir, env.dir, fndir, fndir),
	    0);
	assert_int_not_equal(th_mado_cmd(&env, "migrate", NULL), 0);
	assert_int_equal(scalar("SELECT count(*) FROM pg_proc WHERE proname ="
				" 'migrate_test_half'"),
			 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.schema_functions WHERE name ="
				" 'aa_first.sql'"),
			 0);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 3);
	assert_int_equal(th_sh("rm '%s/aa_first.sql' && mv '%s/auth.sql.orig' '%s/auth.sql'", fndir,
			       env.dir, fndir),
			 0);
	assert_int_equal(th_mado_cmd(&env, "migrate --status", NULL), 0);
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
	    cmocka_unit_test(test_function_files_applied_once),
	    cmocka_unit_test(test_one_writer_of_the_access_log),
	    cmocka_unit_test(test_access_log_moves_by_person),
	    cmocka_unit_test(test_changed_function_file),
	    cmocka_unit_test(test_removed_function_file),
	    cmocka_unit_test(test_failed_function_file_is_rolled_back),
	    cmocka_unit_test(test_behind_then_migrated),
	    cmocka_unit_test(test_failed_migration_is_rolled_back),
	    cmocka_unit_test(test_changed_file_stops_serve),
	    cmocka_unit_test(test_database_ahead_stops_serve),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
