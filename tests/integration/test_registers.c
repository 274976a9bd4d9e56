/*
 * Registers and seals against a real mado, PostgreSQL and TLS: a register change takes
 * effect only once a supervisor staff member with another certificate approves it, and
 * every access record names the version it was served under; sensitive items are never a
 * private service's; a seal holds past its grace period only when the supervisor confirms
 * it, and a refused query that asked for a seal is sealed too.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "harness.h"

/* A seal's grace period, small enough to wait for. */
#define GRACE_S 6

static struct th_env env;
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};
static const char jsonct[] = "Content-Type: application/json";

#define scalar(...) th_sql(&env, __VA_ARGS__)

static int
setup(void **state)
{
	static struct th_person *const people[] = {&alice, &bob, NULL};
	char extra[64];

	*state = &env;
	snprintf(extra, sizeof(extra), "seal_grace_s = %d\n", GRACE_S);
	if (th_setup_access(&env, extra) != 0)
		return -1;
	for (struct th_person *const *p = people; *p != NULL; p++)
		if (th_person_make(&env, *p) != 0)
			return -1;
	if (th_seed_demo(&env) != 0)
		return -1;
	for (struct th_person *const *p = people; *p != NULL; p++)
		if (th_person_login(&env, *p) != 0)
			return -1;
	return 0;
}

/* --- staff sessions (the supervisor's) --- */

struct staff {
	char cookie[128], csrf[64];
};

static bool
set_cookie(const struct th_resp *r, const char *name, char *out, size_t len)
{
	const char *line;
	size_t n = strlen(name);

	for (line = r->headers; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		while (*line == '\n' || *line == '\r')
			line++;
		if (strncasecmp(line, "Set-Cookie: ", 12) == 0 &&
		    strncmp(line + 12, name, n) == 0 && line[12 + n] == '=') {
			snprintf(out, len, "%.*s", (int)strcspn(line + 12, ";\r\n"), line + 12);
			return true;
		}
	}
	return false;
}

static void
staff_login(const char *cert_name, struct staff *s)
{
	char origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/staff/v1/auth/tls", h, "", 0, NULL, NULL, true};
	struct th_resp r;
	cJSON *j;

	memset(s, 0, sizeof(*s));
	th_tls_origin(&env, origin, sizeof(origin));
	th_org_cert(&env, cert_name, &rq);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	assert_int_equal(r.status, 200);
	assert_true(set_cookie(&r, "__Host-staff", s->cookie, sizeof(s->cookie)));
	assert_non_null(j = th_json(&r));
	snprintf(s->csrf, sizeof(s->csrf), "%s",
		 cJSON_GetObjectItemCaseSensitive(j, "csrf_token")->valuestring);
	cJSON_Delete(j);
	th_resp_free(&r);
}

static long
as_staff(const struct staff *s, const char *method, const char *path, const char *body,
	 struct th_resp *r)
{
	char cookie[160], csrf[96], origin[96];
	const char *h[] = {cookie, csrf, origin, jsonct, NULL};

	snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", s->csrf);
	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	assert_int_equal(th_http(&env, method, path, h, body, body != NULL ? strlen(body) : 0, r),
			 0);
	return r->status;
}

/* --- the gateway --- */

static const char *
pseudonym(const struct th_person *p, const char *org)
{
	static char buf[4][64];
	static int n;
	char *b = buf[n++ % 4];

	assert_int_equal(th_sql_str(&env, b, 64,
				    "SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
				    " AND org_code = '%s'",
				    p->id, org),
			 0);
	return b;
}

static long
query(const char *org, const struct th_person *p, const char *items, const char *purpose,
      const char *legal_ref, const char *extra)
{
	const char *h[] = {jsonct, NULL};
	char body[2048];
	struct th_req rq = {"POST", "/gw/v1/queries", h, body, 0, NULL, NULL, true};
	struct th_resp r;
	long st;

	snprintf(body, sizeof(body),
		 "{\"person\":\"%s\",\"items\":%s,\"purpose\":\"%s\",\"legal_ref\":\"%s\","
		 "\"officer\":\"officer-9\",\"actor_kind\":\"human\",\"reply_key\":\"%s\"%s}",
		 pseudonym(p, org), items, purpose, legal_ref, th_reply_key(),
		 extra != NULL ? extra : "");
	rq.len = strlen(body);
	th_org_cert(&env, org, &rq);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	st = r.status;
	th_resp_free(&r);
	return st;
}

/* A POST of an organisation's system (the certificate cert_name) to path. */
static long
gw_post(const char *cert_name, const char *path, const char *body)
{
	const char *h[] = {jsonct, NULL};
	struct th_req rq = {"POST", path, h, body, strlen(body), NULL, NULL, true};
	struct th_resp r;
	long st;

	th_org_cert(&env, cert_name, &rq);
	assert_int_equal(th_request(&env, &rq, &r), 0);
	st = r.status;
	th_resp_free(&r);
	return st;
}

/* The person's newest access record's id. */
static long
last_row(const struct th_person *p)
{
	return scalar("SELECT max(id) FROM portal.access_events WHERE person_id = '%s'", p->id);
}

/* The register version an entry names, as the person's own API shows it (-1: null). */
static long
entry_version(const struct th_person *p, long row)
{
	char path[96];
	struct th_resp r;
	const cJSON *v;
	cJSON *j;
	long out;

	snprintf(path, sizeof(path), "/api/v1/me/access-log/%ld", row);
	assert_int_equal(th_person_http(&env, p, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	v = cJSON_GetObjectItemCaseSensitive(j, "register_version");
	out = cJSON_IsNumber(v) ? (long)v->valuedouble : -1;
	cJSON_Delete(j);
	th_resp_free(&r);
	return out;
}

/* Whether the entry shows as sealed to the person. */
static bool
entry_sealed(const struct th_person *p, long row)
{
	char path[96];
	struct th_resp r;
	cJSON *j;
	bool sealed;

	snprintf(path, sizeof(path), "/api/v1/me/access-log/%ld", row);
	assert_int_equal(th_person_http(&env, p, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	sealed = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "sealed"));
	/* A sealed entry names nothing but its seal. */
	if (sealed)
		assert_null(cJSON_GetObjectItemCaseSensitive(j, "organisation"));
	cJSON_Delete(j);
	th_resp_free(&r);
	return sealed;
}

static long
basis_version(const char *key)
{
	return scalar("SELECT max(id) FROM portal.register_versions WHERE kind = 'legal-basis'"
		      " AND key = '%s'",
		      key);
}

#define TAX_BASIS "tax-office/tax.assessment/MNA-T2-72"

/* The tax office's basis gains tax.income: proposed by the operator, in force only once
   supervisor-a (another person, another certificate) approves; the proposer's own
   certificate is refused in the database; each record names the version it was decided
   under, and both versions stay readable. */
static void
test_change_needs_another_person(void **state)
{
	struct staff sup_a, sup_b;
	char line[1024], path[128], body[64], key[80], v1s[24];
	struct th_resp r;
	long v1, v2, row1, row2, row3, proposal, bad;

	(void)state;
	v1 = basis_version(TAX_BASIS);
	assert_true(v1 > 0);
	assert_int_equal(query("tax-office", &alice, "[\"pension.benefit\"]", "tax.assessment",
			       "MNA-T2-72", NULL),
			 200);
	row1 = last_row(&alice);
	assert_int_equal(
	    query("tax-office", &alice, "[\"tax.income\"]", "tax.assessment", "MNA-T2-72", NULL),
	    403);
	row2 = last_row(&alice);
	assert_int_equal(entry_version(&alice, row1), v1);
	assert_int_equal(entry_version(&alice, row2), v1);

	/* The operator proposes (operator_cert names them). */
	snprintf(line, sizeof(line),
		 "basis-propose --org tax-office --purpose tax.assessment --legal-ref MNA-T2-72"
		 " --items resident.address,pension.benefit,tax.income"
		 " --law-ja '番号法 別表第二 72の項' --law-en 'My Number Act, Annexed Table 2,"
		 " item 72' --note 'income for the assessment'");
	assert_int_equal(th_mado_cmd(&env, line, NULL), 0);
	proposal = scalar("SELECT max(id) FROM portal.register_proposals");
	assert_int_equal(scalar("SELECT count(*) FROM portal.register_proposals WHERE id = %ld"
				" AND proposer <> '' AND kind = 'legal-basis'",
				proposal),
			 1);
	/* Proposed is not in force. */
	assert_int_equal(
	    query("tax-office", &alice, "[\"tax.income\"]", "tax.assessment", "MNA-T2-72", NULL),
	    403);
	assert_int_equal(basis_version(TAX_BASIS), v1);

	/* A supervisor staff member may not propose (the approver is never the proposer). */
	snprintf(line, sizeof(line),
		 "basis-propose --org tax-office --purpose tax.assessment --legal-ref MNA-T2-72"
		 " --items resident.address --law-ja a --law-en a --as '%s/cards/supervisor-b.crt'",
		 env.org_dir);
	assert_int_not_equal(th_mado_cmd(&env, line, NULL), 0);
	assert_int_equal(scalar("SELECT max(id) FROM portal.register_proposals"), proposal);

	/* A proposal whose proposer holds supervisor-a's certificate (written directly, as
	   only the schema owner can): supervisor-a's approval is refused by the database,
	   through the API and by the decision table's own check. */
	assert_int_equal(
	    th_sql_str(&env, key, sizeof(key),
		       "SELECT key_hash FROM portal.staff WHERE ref = (SELECT ref"
		       " FROM portal.staff WHERE role = 'supervisor' ORDER BY created_at"
		       " LIMIT 1)"),
	    0);
	bad = scalar("INSERT INTO portal.register_proposals (kind, key, content, proposer,"
		     " proposer_key) SELECT 'legal-basis', key, content || '{\"law_en\": \"x\"}',"
		     " 'supervisor-a', '%s' FROM portal.register_proposals WHERE id = %ld"
		     " RETURNING id",
		     key, proposal);
	assert_true(bad > proposal);
	staff_login("supervisor-a", &sup_a);
	staff_login("supervisor-b", &sup_b);
	snprintf(path, sizeof(path), "/staff/v1/registers/proposals/%ld/decision", bad);
	assert_int_equal(as_staff(&sup_a, "POST", path, "{\"approve\":true}", &r), 403);
	assert_string_equal(th_type(&r), "two-person-rule");
	assert_string_equal(th_reason(&r), "same-person");
	th_resp_free(&r);
	assert_int_equal(
	    scalar("INSERT INTO portal.register_decisions (proposal, approved,"
		   " staff_id, staff_ref, staff_key, proposer_key) SELECT %ld, true, s.id,"
		   " s.ref, s.key_hash, s.key_hash FROM portal.staff s WHERE"
		   " s.key_hash = '%s'",
		   bad, key),
	    -1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.register_decisions WHERE"
				" proposal = %ld",
				bad),
			 0);
	/* Supervisor-b refuses it. */
	assert_int_equal(as_staff(&sup_b, "POST", path, "{\"approve\":false,\"note\":\"no\"}", &r),
			 200);
	th_resp_free(&r);
	assert_int_equal(basis_version(TAX_BASIS), v1);

	/* Supervisor-a sees the operator's proposal beside what is in force, and approves. */
	assert_int_equal(as_staff(&sup_a, "GET", "/staff/v1/registers/proposals", NULL, &r), 200);
	snprintf(body, sizeof(body), "\"id\":%ld,", proposal);
	assert_non_null(strstr(r.body, body));
	assert_non_null(strstr(r.body, "\"current\":{"));
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/staff/v1/registers/proposals/%ld/decision", proposal);
	assert_int_equal(as_staff(&sup_a, "POST", path, "{\"approve\":true}", &r), 200);
	th_resp_free(&r);
	v2 = basis_version(TAX_BASIS);
	assert_true(v2 > v1);
	assert_int_equal(scalar("SELECT version FROM portal.register_versions WHERE id = %ld", v2),
			 2);
	/* Decided once. */
	assert_int_equal(as_staff(&sup_b, "POST", path, "{\"approve\":true}", &r), 409);
	assert_string_equal(th_reason(&r), "decided");
	th_resp_free(&r);

	/* In force now, and the new record names version 2; the old ones still version 1. */
	assert_int_equal(
	    query("tax-office", &alice, "[\"tax.income\"]", "tax.assessment", "MNA-T2-72", NULL),
	    200);
	row3 = last_row(&alice);
	assert_int_equal(entry_version(&alice, row3), v2);
	assert_int_equal(entry_version(&alice, row1), v1);
	assert_int_equal(
	    scalar("SELECT register_version FROM portal.access_events WHERE id = %ld", row2), v1);

	/* Every version stays readable, publicly. */
	assert_int_equal(th_http(&env, "GET",
				 "/api/v1/registers/history?kind=legal-basis&key=" TAX_BASIS, NULL,
				 NULL, 0, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"version\":2"));
	assert_non_null(strstr(r.body, "\"version\":1"));
	th_resp_free(&r);
	snprintf(v1s, sizeof(v1s), "%ld", v1);
	snprintf(path, sizeof(path), "/api/v1/registers/versions/%s", v1s);
	assert_int_equal(th_http(&env, "GET", path, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "tax.income"));
	th_resp_free(&r);
	/* The versions are append-only. */
	assert_int_equal(
	    scalar("UPDATE portal.register_versions SET version = 9 WHERE id = %ld", v1), -1);
	/* The tables the decisions read change only through an approval. */
	assert_int_equal(scalar("INSERT INTO portal.legal_bases (org_code, item, purpose,"
				" legal_ref) VALUES ('tax-office', 'tax.withholding',"
				" 'tax.assessment', 'MNA-T2-72')"),
			 -1);
}

/* A private service's fetch is recorded with the registration's version in force. */
static void
test_private_fetch_names_registration(void **state)
{
	char got[64];
	long v;

	(void)state;
	v = scalar("SELECT max(id) FROM portal.register_versions WHERE kind = 'private-service'"
		   " AND key = 'kakeibo-app'");
	assert_true(v > 0);
	assert_int_equal(scalar("SELECT register_version FROM portal.rp_services WHERE"
				" org_code = 'kakeibo-app'"),
			 v);
	assert_int_equal(th_sql_str(&env, got, sizeof(got),
				    "SELECT outcome || ':' || reason FROM portal.rp_fetch("
				    "'kakeibo-app', NULL, '%s', '{tax.income}', NULL, NULL,"
				    " 'budget.planning') LIMIT 1",
				    pseudonym(&bob, "kakeibo-app")),
			 0);
	assert_string_equal(got, "denied:no-consent");
	assert_int_equal(entry_version(&bob, last_row(&bob)), v);
}

/* Health, disability and public assistance are never a private service's: refused by the
   command, the database function, the table itself, and at approval (422) when an item
   became sensitive after it was proposed. */
static void
test_sensitive_never_private(void **state)
{
	struct staff sup;
	char line[1024], out_reason[64], path[128];
	struct th_resp r;
	char *out = NULL;
	long proposal;

	(void)state;
	snprintf(line, sizeof(line),
		 "rp-register --org kakeibo-app --name-ja かけいぼアプリ --name-en Kakeibo"
		 " --purposes budget.planning --items tax.income,welfare.benefit"
		 " --redirect https://kakeibo.example/callback");
	assert_int_not_equal(th_mado_cmd(&env, line, &out), 0);
	assert_non_null(out);
	assert_non_null(strstr(out, "sensitive-item"));
	free(out);
	assert_int_equal(
	    th_sql_str(&env, out_reason, sizeof(out_reason),
		       "SELECT reason FROM portal.register_propose('private-service',"
		       " '{\"org\": \"kakeibo-app\", \"name_ja\": \"a\", \"name_en\":"
		       " \"a\", \"purposes\": [\"budget.planning\"], \"items\":"
		       " [\"health.claims\"], \"redirect_uris\": [\"https://k.example/\"]}',"
		       " 'operator', repeat('b', 64), '')"),
	    0);
	assert_string_equal(out_reason, "sensitive-item");
	assert_int_equal(scalar("SELECT count(*) FROM portal.register_proposals WHERE"
				" content->'items' ? 'health.claims'"),
			 0);
	assert_int_equal(scalar("BEGIN; SELECT set_config('mado.register_apply', 'on', true);"
				" UPDATE portal.rp_services SET items = items ||"
				" '{welfare.disability}' WHERE org_code = 'kakeibo-app'; COMMIT"),
			 -1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.rp_services WHERE 'welfare.disability'"
				" = ANY (items)"),
			 0);

	/* Proposed while the item was not sensitive; sensitive by the approval. */
	snprintf(line, sizeof(line),
		 "rp-register --org kakeibo-app --name-ja かけいぼアプリ --name-en Kakeibo"
		 " --purposes budget.planning --items tax.income,pension.benefit,tax.withholding"
		 " --redirect https://kakeibo.example/callback");
	if (th_mado_cmd(&env, line, &out) != 0)
		fail_msg("rp-register: %s", out != NULL ? out : "");
	free(out);
	out = NULL;
	proposal = scalar("SELECT max(id) FROM portal.register_proposals");
	assert_int_equal(
	    scalar("UPDATE portal.data_items SET sensitive = true WHERE code = 'tax.withholding'"),
	    1);
	staff_login("supervisor-a", &sup);
	snprintf(path, sizeof(path), "/staff/v1/registers/proposals/%ld/decision", proposal);
	assert_int_equal(as_staff(&sup, "POST", path, "{\"approve\":true}", &r), 422);
	assert_string_equal(th_type(&r), "sensitive-item");
	th_resp_free(&r);
	assert_int_equal(
	    scalar("UPDATE portal.data_items SET sensitive = false WHERE code = 'tax.withholding'"),
	    1);
	assert_int_equal(scalar("SELECT count(*) FROM portal.rp_services WHERE 'tax.withholding'"
				" = ANY (items)"),
			 0);
}

#define POLICE_SEAL ",\"sealed_until\":\"2030-01-01\",\"sealing_body\":\"Tokyo District Court\""

/* A refused query that asked for a seal is sealed too, when its organisation may seal; an
   organisation without a sealable basis never seals. */
static void
test_refused_sealable_query_sealed(void **state)
{
	long row;

	(void)state;
	assert_int_equal(query("police", &bob, "[\"tax.income\"]", "law-enforcement.investigation",
			       "MNA-19-15", POLICE_SEAL ",\"seal_ref\":\"W-2026-9\""),
			 403);
	row = last_row(&bob);
	assert_int_equal(scalar("SELECT count(*) FROM portal.access_events WHERE id = %ld"
				" AND outcome = 'denied' AND sealed_until IS NOT NULL",
				row),
			 1);
	assert_true(entry_sealed(&bob, row));
	assert_int_equal(scalar("SELECT count(*) FROM portal.seals WHERE event_row = %ld"
				" AND approval_ref = 'W-2026-9' AND outcome = 'denied'",
				row),
			 1);
	/* A seal names its approval reference. */
	assert_int_equal(query("police", &bob, "[\"resident.name\"]",
			       "law-enforcement.investigation", "MNA-19-15", POLICE_SEAL),
			 422);
	assert_int_equal(query("tax-office", &bob, "[\"pension.benefit\"]", "tax.assessment",
			       "MNA-T2-72", POLICE_SEAL ",\"seal_ref\":\"W-1\""),
			 403);
	row = last_row(&bob);
	assert_false(entry_sealed(&bob, row));
}

/* Three sealed queries: the supervisor confirms one, the sealing body the supervisor named
   confirms another over its own certificate (no other organisation may), and both stay
   sealed until their date; the third opens to the person when the grace period ends, and
   can no longer be confirmed. The supervisor sees count and age of the open seals per
   organisation. */
static void
test_unconfirmed_seal_opens(void **state)
{
	struct staff sup;
	char path[128], line[1024];
	struct th_resp r;
	long confirmed, unconfirmed, bybody;
	cJSON *j, *o;
	const cJSON *org;

	(void)state;
	/* A court with a gateway certificate of its own (registered as any certificate is). */
	assert_int_equal(
	    scalar("INSERT INTO portal.organisations (code, kind, name_ja, name_en)"
		   " VALUES ('tokyo-court', 'agency', '東京高等裁判所', 'Tokyo High Court')"),
	    1);
	snprintf(line, sizeof(line), "org-cert --org tokyo-court --cert '%s/cards/unbound.crt'",
		 env.org_dir);
	assert_int_equal(th_mado_cmd(&env, line, NULL), 0);
	snprintf(line, sizeof(line),
		 "register-decide --all-pending --cert '%s/cards/supervisor-b.crt'"
		 " --key '%s/cards/supervisor-b.key'",
		 env.org_dir, env.org_dir);
	assert_int_equal(th_mado_cmd(&env, line, NULL), 0);
	staff_login("supervisor-b", &sup);
	assert_int_equal(
	    as_staff(&sup, "POST", "/staff/v1/sealing-bodies",
		     "{\"name\":\"Tokyo High Court\",\"organisation\":\"tokyo-court\"}", &r),
	    204);
	th_resp_free(&r);
	assert_int_equal(as_staff(&sup, "POST", "/staff/v1/sealing-bodies",
				  "{\"name\":\"Tokyo High Court\",\"organisation\":\"police\"}",
				  &r),
			 409);
	th_resp_free(&r);

	assert_int_equal(query("police", &alice, "[\"resident.name\"]",
			       "law-enforcement.investigation", "MNA-19-15",
			       POLICE_SEAL ",\"seal_ref\":\"W-2026-10\""),
			 200);
	confirmed = last_row(&alice);
	assert_int_equal(query("police", &alice, "[\"resident.address\"]",
			       "law-enforcement.investigation", "MNA-19-15",
			       POLICE_SEAL ",\"seal_ref\":\"W-2026-11\""),
			 200);
	unconfirmed = last_row(&alice);
	assert_int_equal(
	    query("police", &alice, "[\"resident.name\"]", "law-enforcement.investigation",
		  "MNA-19-15",
		  ",\"sealed_until\":\"2030-01-01\",\"sealing_body\":\"Tokyo High Court\","
		  "\"seal_ref\":\"W-2026-12\""),
	    200);
	bybody = last_row(&alice);
	assert_true(entry_sealed(&alice, confirmed));
	assert_true(entry_sealed(&alice, unconfirmed));
	assert_true(entry_sealed(&alice, bybody));

	assert_int_equal(as_staff(&sup, "GET", "/staff/v1/seals", NULL, &r), 200);
	assert_non_null(strstr(r.body, "W-2026-10"));
	assert_non_null(strstr(r.body, "W-2026-11"));
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/staff/v1/seals/%ld/confirm", confirmed);
	assert_int_equal(as_staff(&sup, "POST", path, "{\"note\":\"warrant seen\"}", &r), 204);
	th_resp_free(&r);
	assert_int_equal(as_staff(&sup, "POST", path, "{}", &r), 409);
	assert_string_equal(th_reason(&r), "confirmed");
	th_resp_free(&r);
	/* Only the organisation named for the seal's body confirms it over the gateway. */
	snprintf(path, sizeof(path), "/gw/v1/seals/%ld/confirm", bybody);
	assert_int_equal(gw_post("police", path, "{}"), 404);
	snprintf(path, sizeof(path), "/gw/v1/seals/%ld/confirm", confirmed);
	assert_int_equal(gw_post("unbound", path, "{}"), 404);
	snprintf(path, sizeof(path), "/gw/v1/seals/%ld/confirm", bybody);
	assert_int_equal(gw_post("unbound", path, "{\"note\":\"our warrant\"}"), 204);
	assert_int_equal(scalar("SELECT count(*) FROM portal.seal_confirmations WHERE event_row ="
				" %ld AND org_code = 'tokyo-court' AND staff_id IS NULL",
				bybody),
			 1);

	sleep(GRACE_S + 1);
	assert_true(entry_sealed(&alice, confirmed));
	assert_true(entry_sealed(&alice, bybody));
	assert_false(entry_sealed(&alice, unconfirmed));
	snprintf(path, sizeof(path), "/staff/v1/seals/%ld/confirm", unconfirmed);
	assert_int_equal(as_staff(&sup, "POST", path, "{}", &r), 409);
	assert_string_equal(th_reason(&r), "opened");
	th_resp_free(&r);

	/* Police: the two confirmed seals still hold; the refused one of the test before
	   opened by its grace period, as did the unconfirmed one. */
	assert_int_equal(as_staff(&sup, "GET", "/staff/v1/seals", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	th_resp_free(&r);
	org = NULL;
	cJSON_ArrayForEach (o, cJSON_GetObjectItemCaseSensitive(j, "organisations"))
		if (strcmp(cJSON_GetObjectItemCaseSensitive(o, "organisation")->valuestring,
			   "police") == 0)
			org = o;
	assert_non_null(org);
	assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(org, "open")->valuedouble, 2);
	assert_int_equal((long)cJSON_GetObjectItemCaseSensitive(org, "unconfirmed")->valuedouble,
			 0);
	assert_true(cJSON_GetObjectItemCaseSensitive(org, "oldest_open_age_s")->valuedouble >=
		    GRACE_S);
	assert_true(cJSON_GetObjectItemCaseSensitive(org, "opened_by_grace")->valuedouble >= 2);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "pending")), 0);
	cJSON_Delete(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_change_needs_another_person),
	    cmocka_unit_test(test_private_fetch_names_registration),
	    cmocka_unit_test(test_sensitive_never_private),
	    cmocka_unit_test(test_refused_sealable_query_sealed),
	    cmocka_unit_test(test_unconfirmed_seal_opens),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
