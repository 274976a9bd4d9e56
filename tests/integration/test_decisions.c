/*
 * The decisions that live in PL/pgSQL, driven by tables the way pgbouncer's hba tests
 * are: tests/integration/data/gateway_query.tsv (portal.gw_query: legal bases, relays,
 * seals, freezes) and consent_fetch.tsv (portal.rp_fetch: status, expiry, purpose, items,
 * period and the period it passes to the holders, freezes, frequency). Each line sets up
 * what it needs in a real database, calls the function as the server does, and checks the
 * answer and the access record it must leave.
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
static struct th_person alice = {.card = "alice"};

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, NULL};

	*state = &env;
	return th_setup_people(&env, people, false);
}

/* Splits a line into n tab-separated fields; "-" reads as NULL. */
static int
fields(char *line, char **f, int n)
{
	int i;

	for (i = 0, f[0] = line; i + 1 < n && (f[i + 1] = strchr(f[i], '\t')) != NULL; i++)
		*f[i + 1]++ = '\0';
	for (i = 0; i < n && f[i] != NULL; i++)
		if (strcmp(f[i], "-") == 0)
			f[i] = NULL;
	return i;
}

/* Each line of a data file, numbered, to fn. */
static int
each_line(const char *name, int nf, void (*fn)(int lineno, char **f))
{
	char path[512], *text, *line, *next, *f[16];
	int lineno = 0, cases = 0;
	FILE *fp;
	long len;

	snprintf(path, sizeof(path), "%s/tests/integration/data/%s", MADO_SOURCE_DIR, name);
	assert_non_null(fp = fopen(path, "r"));
	fseek(fp, 0, SEEK_END);
	len = ftell(fp);
	rewind(fp);
	assert_non_null(text = calloc(1, (size_t)len + 1));
	assert_int_equal(fread(text, 1, (size_t)len, fp), (size_t)len);
	fclose(fp);
	for (line = text; line != NULL; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (fields(line, f, nf) != nf)
			fail_msg("%s line %d: %d columns", name, lineno, nf);
		fn(lineno, f);
		cases++;
	}
	free(text);
	return cases;
}

#define q(s) ((s) != NULL ? "'" : ""), ((s) != NULL ? (s) : "NULL"), ((s) != NULL ? "'" : "")

static long
records_of_alice(void)
{
	return th_sql(&env, "SELECT count(*) FROM portal.access_events WHERE person_id = '%s'",
		      alice.id);
}

/* outcome reason org items purpose ref relay sealed frozen record-sealed */
static void
gateway_case(int lineno, char **f)
{
	char pseud[64], got[96], sealed[48], want[96];
	long before = records_of_alice();

	assert_int_equal(th_sql_str(&env, pseud, sizeof(pseud),
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = '%s'",
				    alice.id, f[2]),
			 0);
	snprintf(sealed, sizeof(sealed), "%s%s", f[7] != NULL ? "current_date + " : "NULL",
		 f[7] != NULL ? f[7] : "");
	if (f[8] != NULL)
		assert_true(th_sql(&env,
				   "INSERT INTO portal.disputes (case_no, person_id, event_row,"
				   " org_code, kind) VALUES ('T-%d', '%s', -%d, '%s', 'not-mine');"
				   " INSERT INTO portal.item_freezes (person_id, item, case_no)"
				   " VALUES ('%s', '%s', 'T-%d')",
				   lineno, alice.id, lineno, f[2], alice.id, f[8], lineno) == 1);
	assert_int_equal(
	    th_sql_str(&env, got, sizeof(got),
		       "SELECT outcome || ':' || coalesce(reason, '-') FROM portal.gw_query('%s',"
		       " '%s', '{%s}', '%s', '%s', NULL, 'officer-1', NULL, 'human', %s%s%s,"
		       " %s, %s, %s, 259200) LIMIT 1",
		       f[2], pseud, f[3], f[4], f[5], q(f[6]), sealed,
		       f[7] != NULL ? "'Tokyo District Court'" : "NULL",
		       f[7] != NULL ? "'W-2026-1'" : "NULL"),
	    0);
	snprintf(want, sizeof(want), "%s:%s", f[0], f[1] != NULL ? f[1] : "-");
	if (strcmp(got, want) != 0)
		fail_msg("gateway_query.tsv line %d: %s, expected %s", lineno, got, want);
	/* Served and denied are recorded, with the reason; bad input writes nothing. */
	assert_int_equal(records_of_alice(), before + (strcmp(f[0], "invalid") != 0));
	if (strcmp(f[0], "invalid") != 0) {
		assert_int_equal(th_sql_str(&env, got, sizeof(got),
					    "SELECT org_code || ':' || channel || ':' || outcome"
					    " || ':' || coalesce(reason, '-') || ':' || CASE WHEN"
					    " sealed_until IS NULL THEN '-' ELSE 'sealed' END FROM"
					    " portal.access_events WHERE person_id = '%s'"
					    " ORDER BY id DESC LIMIT 1",
					    alice.id),
				 0);
		snprintf(want, sizeof(want), "%s:gateway:%s:%s:%s", f[2], f[0],
			 f[1] != NULL ? f[1] : "-", f[9] != NULL ? f[9] : "-");
		if (strcmp(got, want) != 0)
			fail_msg("gateway_query.tsv line %d recorded %s, not %s", lineno, got,
				 want);
	}
	if (f[8] != NULL)
		th_sql(&env,
		       "UPDATE portal.item_freezes SET lifted_at = now() WHERE case_no = 'T-%d'",
		       lineno);
}

static void
test_gateway_queries(void **state)
{
	(void)state;
	assert_true(each_line("gateway_query.tsv", 10, gateway_case) >= 15);
}

/* A period FROM..TO as two SQL dates; "-", or an empty side, is NULL. */
static void
period(const char *p, char *from, char *to, size_t len)
{
	const char *dots = p != NULL ? strstr(p, "..") : NULL;

	snprintf(from, len, "NULL");
	snprintf(to, len, "NULL");
	if (dots == NULL)
		return;
	if (dots > p)
		snprintf(from, len, "'%.10s'", p);
	if (dots[2] != '\0')
		snprintf(to, len, "'%.10s'", dots + 2);
}

/* outcome reason status valid items period frequency used asked asked-period
   asked-purpose frozen period-in-force */
static void
consent_case(int lineno, char **f)
{
	char id[48], got[96], want[96], from[32], to[32], afrom[32], ato[32], unit[16];
	const char *colon = strchr(f[6], ':');
	int used = atoi(f[7]);

	snprintf(unit, sizeof(unit), "%.*s", (int)(colon - f[6]), f[6]);
	period(f[5], from, to, sizeof(from));
	period(f[9], afrom, ato, sizeof(afrom));
	/* The consent as it stands after `used` fetches in this window. */
	assert_int_equal(
	    th_sql_str(&env, id, sizeof(id),
		       "INSERT INTO portal.consents (person_id, kind, recipient, purpose, items,"
		       " data_from, data_to, freq_unit, freq_max, valid_from, valid_until, status,"
		       " uses_total, window_start, window_uses) VALUES ('%s', 'private_share',"
		       " 'kakeibo-app', 'budget.planning', '{%s}', %s, %s, '%s', %s,"
		       " now() - interval '2 days', now() + interval '%s', '%s', %d,"
		       " date_trunc('%s', now() AT TIME ZONE 'Asia/Tokyo') AT TIME ZONE"
		       " 'Asia/Tokyo', %d) RETURNING id",
		       alice.id, f[4], from, to, unit, colon + 1,
		       strcmp(f[3], "expired") == 0 ? "-1 hour" : "30 days", f[2], used,
		       strcmp(unit, "month") == 0 ? "month" : "day", used),
	    0);
	assert_true(th_sql(&env,
			   "INSERT INTO portal.rp_grants (token_hash, consent_id, recipient)"
			   " VALUES (sha256('grant-%d'), '%s', 'kakeibo-app')",
			   lineno, id) == 1);
	if (f[11] != NULL)
		assert_true(th_sql(&env,
				   "INSERT INTO portal.disputes (case_no, person_id, event_row,"
				   " org_code, kind) VALUES ('C-%d', '%s', -%d, 'kakeibo-app',"
				   " 'not-mine'); INSERT INTO portal.item_freezes (person_id, item,"
				   " case_no) VALUES ('%s', '%s', 'C-%d')",
				   lineno, alice.id, lineno, alice.id, f[11], lineno) == 1);
	/* The decision and the period in force; served, the row names its own record and
	   holders of exactly the items asked (else "record" or "targets" shows instead). The
	   record is looked for by a second statement, which sees what the call wrote. */
	assert_int_equal(
	    th_sql_str(
		&env, got, sizeof(got),
		"CREATE TEMP TABLE fetched AS SELECT * FROM portal.rp_fetch('kakeibo-app',"
		" sha256('grant-%d'), NULL, '{%s}', %s, %s, %s%s%s);"
		" SELECT outcome || ':' || coalesce(reason, '-') || ':' || CASE"
		" WHEN outcome <> 'served' THEN coalesce(data_from::text || data_to::text, '-')"
		" WHEN NOT EXISTS (SELECT 1 FROM portal.access_events e WHERE e.id = f.row_id"
		"  AND e.event_id = f.event_id AND e.outcome = 'served') THEN 'record'"
		" WHEN (SELECT array_agg(i ORDER BY i) FROM jsonb_array_elements(f.targets) t,"
		"  jsonb_array_elements_text(t->'items') i) IS DISTINCT FROM"
		"  (SELECT array_agg(i ORDER BY i) FROM unnest('{%s}'::text[]) i) THEN 'targets'"
		" WHEN data_from IS NULL AND data_to IS NULL THEN '-'"
		" ELSE coalesce(data_from::text, '') || '..' || coalesce(data_to::text, '') END"
		" FROM fetched f",
		lineno, f[8], afrom, ato, q(f[10]), f[8]),
	    0);
	if (f[11] != NULL)
		th_sql(&env,
		       "UPDATE portal.item_freezes SET lifted_at = now() WHERE case_no = 'C-%d'",
		       lineno);
	snprintf(want, sizeof(want), "%s:%s:%s", f[0], f[1] != NULL ? f[1] : "-",
		 f[12] != NULL ? f[12] : "-");
	if (strcmp(got, want) != 0)
		fail_msg("consent_fetch.tsv line %d: %s, expected %s", lineno, got, want);
	/* The one record of this fetch, naming the consent and why it was refused. */
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.access_events WHERE consent_id = '%s'"
				" AND channel = 'private' AND outcome = '%s' AND reason IS NOT"
				" DISTINCT FROM %s%s%s",
				id, f[0], f[1] != NULL ? "'consent-" : "",
				f[1] != NULL ? f[1] : "NULL", f[1] != NULL ? "'" : ""),
			 1);
}

static void
test_consent_fetches(void **state)
{
	(void)state;
	assert_true(each_line("consent_fetch.tsv", 13, consent_case) >= 25);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gateway_queries),
	    cmocka_unit_test(test_consent_fetches),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
