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
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(c, "trust_anchors"))
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
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "token_cases"))
	{
		name = str(c, "name");
		anchors(c, name, adir, sizeof(adir));
		snprintf(tok, sizeof(tok), "%s/%s.token", dir, name);
		assert_non_null(f = fopen(tok, "wb"));
		fputs(str(c, "token"), f);
		fclose(f);
		policies[0] = '\0';
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(c, "disallowed_policies"))
		{
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
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "ocsp_cases"))
	{
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_token_cases),
	    cmocka_unit_test(test_ocsp_cases),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
