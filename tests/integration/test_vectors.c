/*
 * The published Web eID vectors (tests/data/webeid/cases.json): every token case and every
 * OCSP case gives its expected verdict and reason through `mado authcheck`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "harness.h"

#define DATA MADO_SOURCE_DIR "/tests/data/webeid"

static cJSON *cases;
static char dir[] = "/tmp/mado-vectors-XXXXXX";

static char *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf != NULL && fread(buf, 1, (size_t)n, f) == (size_t)n) {
		buf[n] = '\0';
		*len = (size_t)n;
	} else {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static int
setup(void **state)
{
	size_t len;
	char *text = slurp(DATA "/cases.json", &len);

	(void)state;
	if (text == NULL || mkdtemp(dir) == NULL)
		return -1;
	cases = cJSON_ParseWithLength(text, len);
	free(text);
	return cases != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	cJSON_Delete(cases);
	th_sh("rm -rf '%s'", dir);
	return 0;
}

static const char *
str(const cJSON *c, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(c, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* A directory holding exactly the case's anchors. */
static void
anchors(const cJSON *c, const char *name, char *out, size_t outlen)
{
	const cJSON *a;

	snprintf(out, outlen, "%s/anchors-%s", dir, name);
	assert_int_equal(th_sh("mkdir -p '%s'", out), 0);
	cJSON_ArrayForEach (a, cJSON_GetObjectItemCaseSensitive(c, "trust_anchors"))
		assert_int_equal(th_sh("cp '%s/%s' '%s/'", DATA, a->valuestring, out), 0);
}

/* Runs a command, returns its exit status and its first output line. */
static int
run(const char *cmd, char *line, size_t linelen)
{
	FILE *p = popen(cmd, "r");
	int st;

	assert_non_null(p);
	line[0] = '\0';
	if (fgets(line, (int)linelen, p) != NULL)
		line[strcspn(line, "\n")] = '\0';
	while (fgetc(p) != EOF)
		;
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* Does "fail: REASON (...)" carry the expected reason? "a_or_b" accepts either. */
static bool
reason_matches(const char *line, const char *expected)
{
	char want[128], *alt;
	const char *got = line + strlen("fail: ");
	size_t n = strcspn(got, " ");

	if (strncmp(line, "fail: ", 6) != 0)
		return false;
	if (strlen(expected) == n && strncmp(got, expected, n) == 0)
		return true;
	snprintf(want, sizeof(want), "%s", expected);
	if ((alt = strstr(want, "_or_")) != NULL) {
		*alt = '\0';
		return (strlen(want) == n && strncmp(got, want, n) == 0) ||
		       (strlen(alt + 4) == n && strncmp(got, alt + 4, n) == 0);
	}
	return strlen(want) == n && strncmp(got, want, n) == 0;
}

static void
check_verdict(const char *name, const char *expect, const char *reason, int st, const char *line)
{
	if (strcmp(expect, "pass") == 0) {
		if (st != 0 || strcmp(line, "pass") != 0)
			fail_msg("%s: expected pass, got exit %d: %s", name, st, line);
	} else if (st != 1 || !reason_matches(line, reason)) {
		fail_msg("%s: expected fail: %s, got exit %d: %s", name, reason, st, line);
	}
}

static void
test_token_cases(void **state)
{
	char adir[512], tok[512], policies[1024], cmd[4096], line[512];
	const cJSON *c, *p;
	const char *name;
	int n = 0, st;
	FILE *f;

	(void)state;
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(cases, "token_cases")) {
		name = str(c, "name");
		anchors(c, name, adir, sizeof(adir));
		snprintf(tok, sizeof(tok), "%s/%s.token", dir, name);
		assert_non_null(f = fopen(tok, "wb"));
		fputs(str(c, "token"), f);
		fclose(f);
		policies[0] = '\0';
		cJSON_ArrayForEach (p, cJSON_GetObjectItemCaseSensitive(c, "disallowed_policies")) {
			if (policies[0] != '\0')
				strcat(policies, ",");
			strcat(policies, p->valuestring);
		}
		snprintf(cmd, sizeof(cmd),
			 "'%s' authcheck --token '%s' --origin '%s' --nonce '%s' --trust '%s' "
			 "--at '%s' --ocsp off --disallow-policies '%s' 2>/dev/null",
			 MADO_BINARY, tok, str(c, "origin"), str(c, "nonce"), adir, str(c, "clock"),
			 policies);
		st = run(cmd, line, sizeof(line));
		check_verdict(name, str(c, "expect"), str(c, "reason"), st, line);
		n++;
	}
	assert_int_equal(
	    n, cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cases, "token_cases")));
	assert_true(n >= 30);
}

static void
test_ocsp_cases(void **state)
{
	char adir[512], subj[512], cmd[4096], line[512];
	const cJSON *c, *ns;
	const char *name;
	int n = 0, st;

	(void)state;
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(cases, "ocsp_cases")) {
		name = str(c, "name");
		anchors(c, name, adir, sizeof(adir));
		snprintf(subj, sizeof(subj), "%s/%s.subject.der", dir, name);
		assert_int_equal(
		    th_sh("echo '%s' | base64 -d > '%s'", str(c, "subject_cert"), subj), 0);
		ns = cJSON_GetObjectItemCaseSensitive(c, "nonce_sent");
		snprintf(cmd, sizeof(cmd),
			 "'%s' authcheck --cert '%s' --issuer '%s/%s' --ocsp-response '%s/%s' "
			 "--trust '%s' --at '%s' --ocsp-nonce %s 2>/dev/null",
			 MADO_BINARY, subj, DATA, str(c, "issuer"), DATA, str(c, "response"), adir,
			 str(c, "clock"), cJSON_IsTrue(ns) ? "on" : "off");
		st = run(cmd, line, sizeof(line));
		check_verdict(name, str(c, "expect"), str(c, "reason"), st, line);
		n++;
	}
	assert_int_equal(n,
			 cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(cases, "ocsp_cases")));
	assert_true(n >= 7);
}

/* --- the same token cases through the login API --- */

static struct th_env env;

static int
api_setup(void **state)
{
	(void)state;
	return th_setup(&env, NULL);
}

static int
api_teardown(void **state)
{
	(void)state;
	th_teardown(&env);
	return 0;
}

#define sql(...) th_sql(&env, __VA_ARGS__)

/*
 * Restarts mado for one case: its origin, its anchors, its disallowed policies, and its
 * clock (libfaketime moves mado's clock, and nothing else's). Revocation is off: the
 * vectors' responders are on the Internet.
 */
static void
mado_for(const cJSON *c)
{
	static char last[4096];
	char line[2048], adir[512], policies[1024], key[4096];
	const cJSON *p;
	char faketime[64];

	policies[0] = '\0';
	cJSON_ArrayForEach (p, cJSON_GetObjectItemCaseSensitive(c, "disallowed_policies")) {
		if (policies[0] != '\0')
			strcat(policies, ",");
		strcat(policies, p->valuestring);
	}
	key[0] = '\0';
	cJSON_ArrayForEach (p, cJSON_GetObjectItemCaseSensitive(c, "trust_anchors")) {
		strcat(key, p->valuestring);
		strcat(key, " ");
	}
	snprintf(key + strlen(key), sizeof(key) - strlen(key), "%s %s %s", str(c, "origin"),
		 str(c, "clock"), policies);
	if (strcmp(key, last) == 0)
		return; /* the running mado is already set up for this case */
	snprintf(last, sizeof(last), "%s", key);
	assert_int_equal(th_mado_stop(&env), 0);
	anchors(c, str(c, "name"), adir, sizeof(adir));
	snprintf(line, sizeof(line),
		 "public_origin = %s\ncard_trust_dir = %s\ncard_revocation = off\n"
		 "card_policies_disallowed = %s",
		 str(c, "origin"), adir, policies);
	assert_int_equal(th_conf_append(&env, line), 0);
	/* "2024-08-01T00:00:00Z" -> "@2024-08-01 00:00:00" */
	snprintf(faketime, sizeof(faketime), "@%.10s %.8s", str(c, "clock"), str(c, "clock") + 11);
	assert_int_equal(th_mado_start_faked(&env, faketime), 0);
}

/* The card in a passing case is registered, so a pass is a login. */
static void
register_token_card(const cJSON *c)
{
	cJSON *t = cJSON_Parse(str(c, "token"));
	char der[512], args[700];

	snprintf(der, sizeof(der), "%s/%s.card.der", dir, str(c, "name"));
	assert_int_equal(
	    th_sh("echo '%s' | base64 -d > '%s'",
		  cJSON_GetObjectItemCaseSensitive(t, "unverifiedCertificate")->valuestring, der),
	    0);
	cJSON_Delete(t);
	snprintf(args, sizeof(args), "register-card --cert '%s'", der);
	assert_non_null(th_libfaketime());
	setenv("LD_PRELOAD", th_libfaketime(), 1);
	setenv("FAKETIME", "@2024-08-01 00:00:00", 1);
	/* Registered once; a second registration of the same card is refused, harmlessly. */
	(void)th_mado_cmd(&env, args, NULL);
	unsetenv("LD_PRELOAD");
	unsetenv("FAKETIME");
}

static void
test_token_cases_api(void **state)
{
	char origin[160], cookie[200], setc[256], got[160], line[400];
	const char *h[4];
	const cJSON *c, *j, *rs;
	struct th_resp r;
	int n = 0;

	(void)state;
	cJSON_ArrayForEach (c, cJSON_GetObjectItemCaseSensitive(cases, "token_cases")) {
		mado_for(c);
		if (strcmp(str(c, "expect"), "pass") == 0)
			register_token_card(c);
		snprintf(origin, sizeof(origin), "Origin: %s", str(c, "origin"));
		h[0] = origin;
		h[1] = NULL;
		assert_int_equal(th_http(&env, "POST", "/api/v1/auth/challenge", h, "", 0, &r), 0);
		assert_int_equal(r.status, 200);
		assert_non_null(th_header(&r, "Set-Cookie", setc, sizeof(setc)));
		snprintf(cookie, sizeof(cookie), "Cookie: %.*s", (int)strcspn(setc, ";"), setc);
		th_resp_free(&r);
		/* The server issued a random nonce; the vector was signed over a fixed one.
		   (Cases that fail before the signature carry none.) */
		if (str(c, "nonce") != NULL && strlen(str(c, "nonce")) == 44)
			assert_int_equal(
			    sql("UPDATE portal.auth_challenges SET nonce = '%s'", str(c, "nonce")),
			    1);
		h[1] = cookie;
		h[2] = "Content-Type: application/json";
		h[3] = NULL;
		assert_int_equal(th_http(&env, "POST", "/api/v1/auth/webeid", h, str(c, "token"),
					 strlen(str(c, "token")), &r),
				 0);
		if (strcmp(str(c, "expect"), "pass") == 0) {
			if (r.status != 200)
				fail_msg("%s: expected a login, got %ld %.300s", str(c, "name"),
					 r.status, r.body);
		} else {
			j = th_json(&r);
			rs = cJSON_GetObjectItemCaseSensitive(j, "reason");
			snprintf(got, sizeof(got), "%s", cJSON_IsString(rs) ? rs->valuestring : "");
			cJSON_Delete((cJSON *)(uintptr_t)j);
			snprintf(line, sizeof(line), "fail: %s (api)", got);
			if (r.status < 400 || !reason_matches(line, str(c, "reason")))
				fail_msg("%s: expected %s, got %ld %.300s", str(c, "name"),
					 str(c, "reason"), r.status, r.body);
		}
		th_resp_free(&r);
		sql("DELETE FROM portal.auth_failures");
		n++;
	}
	assert_true(n >= 30);
}

int
main(void)
{
	const struct CMUnitTest authcheck[] = {
	    cmocka_unit_test(test_token_cases),
	    cmocka_unit_test(test_ocsp_cases),
	};
	const struct CMUnitTest api[] = {
	    cmocka_unit_test(test_token_cases_api),
	};
	int failed;

	failed = cmocka_run_group_tests_name("authcheck", authcheck, setup, NULL);
	failed += cmocka_run_group_tests_name("api", api, api_setup, api_teardown);
	teardown(NULL);
	return failed;
}
