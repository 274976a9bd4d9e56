/*
 * The command lines of mado, mado-card and mado-verify, run as an operator runs them:
 * --help everywhere, mistakes refused with status 2, the commands that do not serve
 * running without the serving settings, and the operator commands giving up on a database
 * server that accepts connections and never answers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "harness.h"
#include "mado/common.h"

static struct th_env env;

static const char *const mado_commands[] = {
    "serve",       "migrate",       "authcheck",       "register-card",    "org-cert",
    "rp-register", "basis-propose", "register-decide", "config-reference", "version",
    "help",
};
static const char *const card_commands[] = {
    "init", "issue", "revoke", "unrevoke", "crl", "token", "list", "ocsp-serve", "callback-serve",
};

/* What the last run printed. */
static char out[32768], err[32768];

static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f != NULL) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
}

/* Runs a shell command with stdout and stderr caught apart; returns its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
run(const char *fmt, ...)
{
	char cmd[4096], o[400], e[400];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(o, sizeof(o), "%s/run.out", env.dir);
	snprintf(e, sizeof(e), "%s/run.err", env.dir);
	st = th_sh("%s >'%s' 2>'%s'", cmd, o, e);
	slurp(o, out, sizeof(out));
	slurp(e, err, sizeof(err));
	return st;
}

static void
expect_in(const char *text, const char *want, const char *what)
{
	if (strstr(text, want) == NULL)
		fail_msg("%s: \"%s\" not in:\n%s", what, want, text);
}

/* A copy of the environment's configuration with lines added (later lines win). */
static void
conf_with(const char *name, const char *lines, char *path, size_t len)
{
	snprintf(path, len, "%s/%s.conf", env.dir, name);
	assert_int_equal(
	    th_sh("cp '%s' '%s' && printf '%%s\\n' '%s' >> '%s'", env.conf, path, lines, path), 0);
}

static int
setup(void **state)
{
	*state = &env;
	unsetenv("MADO_CONFIG");
	if (th_setup(&env, NULL) != 0)
		return -1;
	return th_mado_stop(&env); /* the commands here run on their own */
}

static void
test_help_everywhere(void **state)
{
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < MADO_NELEM(mado_commands); i++) {
		snprintf(want, sizeof(want), "usage: mado %s", mado_commands[i]);
		/* No configuration exists here: help reads none. */
		assert_int_equal(
		    run("cd '%s' && '%s' %s --help", env.dir, MADO_BINARY, mado_commands[i]), 0);
		expect_in(out, want, mado_commands[i]);
		expect_in(out, "--help", mado_commands[i]);
		assert_string_equal(err, "");
	}
	assert_int_equal(run("'%s' authcheck -h", MADO_BINARY), 0);
	expect_in(out, "usage: mado authcheck", "authcheck -h");
	expect_in(out, "--ocsp-response FILE", "authcheck -h");
	assert_int_equal(run("'%s' migrate --help", MADO_BINARY), 0);
	expect_in(out, "--config FILE", "migrate --help");
	expect_in(out, "--status", "migrate --help");
	assert_int_equal(run("'%s' help rp-register", MADO_BINARY), 0);
	expect_in(out, "usage: mado rp-register", "help rp-register");

	/* The lists name every command. */
	assert_int_equal(run("'%s' --help", MADO_BINARY), 0);
	for (i = 0; i < MADO_NELEM(mado_commands); i++) {
		snprintf(want, sizeof(want), "\n  %s ", mado_commands[i]);
		expect_in(out, want, "mado --help");
	}
	assert_int_equal(run("'%s' help", MADO_BINARY), 0);
	expect_in(out, "\n  register-card ", "mado help");

	for (i = 0; i < MADO_NELEM(card_commands); i++) {
		snprintf(want, sizeof(want), "usage: mado-card %s", card_commands[i]);
		assert_int_equal(run("'%s' %s --help", MADO_CARD_BINARY, card_commands[i]), 0);
		expect_in(out, want, card_commands[i]);
		assert_string_equal(err, "");
	}
	assert_int_equal(run("'%s' --help", MADO_CARD_BINARY), 0);
	for (i = 0; i < MADO_NELEM(card_commands); i++) {
		snprintf(want, sizeof(want), "\n  %s ", card_commands[i]);
		expect_in(out, want, "mado-card --help");
	}

	assert_int_equal(run("'%s' --help", MADO_VERIFY_BINARY), 0);
	expect_in(out, "usage: mado-verify receipt FILE --key PUBLIC.pem", "mado-verify --help");
	assert_int_equal(run("'%s' receipt --help", MADO_VERIFY_BINARY), 0);
	expect_in(out, "usage: mado-verify receipt", "mado-verify receipt --help");
	assert_string_equal(err, "");
}

static void
test_unknown_option_exits_2(void **state)
{
	char want[128];
	size_t i;

	(void)state;
	for (i = 0; i < MADO_NELEM(mado_commands); i++) {
		snprintf(want, sizeof(want), "usage: mado %s", mado_commands[i]);
		assert_int_equal(run("'%s' %s --no-such-option --config '%s'", MADO_BINARY,
				     mado_commands[i], env.conf),
				 2);
		expect_in(err, "unknown option --no-such-option", mado_commands[i]);
		expect_in(err, want, mado_commands[i]);
		assert_string_equal(out, "");
	}
	for (i = 0; i < MADO_NELEM(card_commands); i++) {
		snprintf(want, sizeof(want), "usage: mado-card %s", card_commands[i]);
		assert_int_equal(run("'%s' %s --no-such-option '%s/ca'", MADO_CARD_BINARY,
				     card_commands[i], env.dir),
				 2);
		expect_in(err, "unknown option --no-such-option", card_commands[i]);
		expect_in(err, want, card_commands[i]);
	}
	assert_int_equal(run("'%s' receipt f --key k --no-such-option", MADO_VERIFY_BINARY), 2);
	expect_in(err, "unknown option --no-such-option", "mado-verify");
	expect_in(err, "usage: mado-verify", "mado-verify");
	assert_string_equal(out, "");

	/* No command, an unknown one, a bad top-level option. */
	assert_int_equal(run("'%s'", MADO_BINARY), 2);
	expect_in(err, "usage: mado COMMAND", "mado");
	assert_int_equal(run("'%s' no-such-command", MADO_BINARY), 2);
	expect_in(err, "unknown command no-such-command", "mado no-such-command");
	assert_int_equal(run("'%s' --no-such-option serve", MADO_BINARY), 2);
	assert_int_equal(run("'%s'", MADO_CARD_BINARY), 2);
	assert_int_equal(run("'%s' no-such-command x", MADO_CARD_BINARY), 2);
	assert_int_equal(run("'%s'", MADO_VERIFY_BINARY), 2);
}

static void
test_incomplete_command_lines_exit_2(void **state)
{
	(void)state;
	assert_int_equal(run("'%s' migrate --config", MADO_BINARY), 2);
	expect_in(err, "--config needs a value", "migrate --config");
	assert_int_equal(run("'%s' migrate --status=yes --config '%s'", MADO_BINARY, env.conf), 2);
	assert_int_equal(run("'%s' serve extra --config '%s'", MADO_BINARY, env.conf), 2);
	expect_in(err, "unexpected argument extra", "serve extra");
	assert_int_equal(run("'%s' org-cert --org x --config '%s'", MADO_BINARY, env.conf), 2);
	expect_in(err, "--cert is required", "org-cert without --cert");
	assert_int_equal(run("'%s' register-card --config '%s'", MADO_BINARY, env.conf), 2);
	expect_in(err, "--cert is required", "register-card without --cert");
	assert_int_equal(run("'%s' rp-register --org x --name-ja a --name-en a --config '%s'",
			     MADO_BINARY, env.conf),
			 2);
	expect_in(err, "--purposes is required", "rp-register without --purposes");
	assert_int_equal(run("'%s' authcheck --trust /tmp", MADO_BINARY), 2);
	expect_in(err, "--token or --cert is required", "authcheck without a token");
	assert_int_equal(run("'%s' issue '%s/ca'", MADO_CARD_BINARY, env.dir), 2);
	expect_in(err, "missing arguments", "mado-card issue DIR");
	assert_int_equal(run("'%s' token '%s/ca' x --origin o", MADO_CARD_BINARY, env.dir), 2);
	expect_in(err, "--nonce is required", "mado-card token without --nonce");
	assert_int_equal(run("'%s' receipt f", MADO_VERIFY_BINARY), 2);
	expect_in(err, "--key is required", "mado-verify without --key");
}

/* Options before or after the arguments, as scripts write them either way. */
static void
test_card_options_in_any_order(void **state)
{
	(void)state;
	assert_int_equal(run("'%s' init '%s/ca' --days 30", MADO_CARD_BINARY, env.dir), 0);
	assert_int_equal(
	    run("'%s' issue --key p256 '%s/ca' early --eku clientauth", MADO_CARD_BINARY, env.dir),
	    0);
	assert_int_equal(
	    run("POSIXLY_CORRECT=1 '%s' issue '%s/ca' late --key p384", MADO_CARD_BINARY, env.dir),
	    0);
	assert_int_equal(run("'%s' list '%s/ca'", MADO_CARD_BINARY, env.dir), 0);
	expect_in(out, "EC P-256", "the card issued with --key first");
	expect_in(out, "EC P-384", "the card issued under POSIXLY_CORRECT");
}

static void
test_commands_need_no_serving_settings(void **state)
{
	char bad[400], badweb[400];

	(void)state;
	conf_with("noserve",
		  "tls_cert = /nonexistent/mado/server.pem\n"
		  "web_root = /nonexistent/mado/web\n"
		  "demo_cards_dir = /nonexistent/mado/cards",
		  bad, sizeof(bad));

	assert_int_equal(run("'%s' migrate --config '%s'", MADO_BINARY, bad), 0);
	expect_in(out, "applied 0 migration(s)", "migrate");
	assert_int_equal(run("'%s' migrate --status --config '%s'", MADO_BINARY, bad), 0);
	expect_in(out, "schema is current", "migrate --status");
	assert_int_equal(run("MADO_CONFIG='%s' '%s' migrate --status", bad, MADO_BINARY), 0);
	expect_in(out, "schema is current", "migrate --status with MADO_CONFIG");

	/* The operator commands get past the configuration to their own work. */
	assert_int_equal(run("'%s' org-cert --org nobody --cert '%s/missing.pem' --config '%s'",
			     MADO_BINARY, env.dir, bad),
			 1);
	expect_in(err, "cannot read", "org-cert");
	assert_int_equal(run("'%s' register-card --cert '%s/missing.pem' --config '%s'",
			     MADO_BINARY, env.dir, bad),
			 1);
	expect_in(err, "card_trust_dir is not set", "register-card");
	/* A proposal names its proposer: here none is set. */
	assert_int_equal(run("'%s' rp-register --org cli-test --name-ja a --name-en a"
			     " --purposes budget.planning --items resident.address"
			     " --redirect https://a.example/cb --config '%s'",
			     MADO_BINARY, bad),
			 1);
	expect_in(err, "name the proposer", "rp-register");

	/* Serving still checks them. */
	assert_int_equal(run("'%s' serve --check-config --config '%s'", MADO_BINARY, bad), 2);
	expect_in(err, "tls_cert", "serve --check-config");
	expect_in(err, "configuration error", "serve --check-config");
	conf_with("noweb", "web_root = /nonexistent/mado/web", badweb, sizeof(badweb));
	assert_int_equal(run("'%s' serve --check-config --config '%s'", MADO_BINARY, badweb), 2);
	expect_in(err, "web_root", "serve --check-config");
	assert_int_equal(run("MADO_CONFIG='%s' '%s' serve --check-config", bad, MADO_BINARY), 2);
	expect_in(err, "tls_cert", "serve --check-config with MADO_CONFIG");
	assert_int_equal(run("'%s' serve --check-config --config '%s'", MADO_BINARY, env.conf), 0);
	expect_in(out, "configuration OK", "serve --check-config");
}

/* A listener that never accepts: the kernel completes the handshake, nothing answers. */
static int
silent_listener(int *port)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 16), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	*port = ntohs(sa.sin_port);
	return fd;
}

static void
test_operator_commands_give_up_on_a_silent_database(void **state)
{
	char conf[400], lines[400];
	time_t start;
	int fd, port;

	(void)state;
	fd = silent_listener(&port);
	snprintf(lines, sizeof(lines),
		 "db_url = host=127.0.0.1 port=%d dbname=mado user=mado_app\n"
		 "db_migrate_url = host=127.0.0.1 port=%d dbname=mado user=postgres\n"
		 "db_connect_timeout = 2",
		 port, port);
	conf_with("silent", lines, conf, sizeof(conf));

	/* Without connect_timeout libpq would wait for ever, and timeout(1) say 124. */
	start = time(NULL);
	assert_int_equal(run("timeout 60 '%s' rp-register --org cli-test --name-ja a --name-en a"
			     " --purposes budget.planning --items resident.address"
			     " --redirect https://a.example/cb"
			     " --config '%s'",
			     MADO_BINARY, conf),
			 1);
	expect_in(err, "cannot connect (db_migrate_url)", "rp-register");
	assert_true(time(NULL) - start < 30);
	start = time(NULL);
	assert_int_equal(run("timeout 60 '%s' org-cert --org nobody --cert '%s' --config '%s'",
			     MADO_BINARY, env.ca, conf),
			 1);
	expect_in(err, "cannot reach the database", "org-cert");
	assert_true(time(NULL) - start < 30);
	close(fd);
}

/* mado serve refuses a role that row-level security does not hold: a superuser, a role
   with BYPASSRLS, a member of the schema owner. It says so, exits 1 and never listens. */
static void
test_serve_refuses_a_privileged_role(void **state)
{
	static const char *const roles[][2] = {
	    {"postgres", "is a superuser"},
	    {"cli_bypass", "has BYPASSRLS"},
	    {"cli_owner_member", "is a member of mado_owner"},
	};
	char conf[400], lines[400], name[32];
	size_t i;

	(void)state;
	assert_true(th_sql(&env, "CREATE ROLE cli_bypass LOGIN BYPASSRLS IN ROLE mado_app") >= 0);
	assert_true(th_sql(&env, "CREATE ROLE cli_owner_member LOGIN IN ROLE mado_owner") >= 0);
	for (i = 0; i < MADO_NELEM(roles); i++) {
		snprintf(lines, sizeof(lines), "db_url = host=%s/run port=5432 dbname=mado user=%s",
			 env.pgdir, roles[i][0]);
		snprintf(name, sizeof(name), "role-%zu", i);
		conf_with(name, lines, conf, sizeof(conf));
		/* A server that started would run until timeout(1) ends it with 124. */
		assert_int_equal(run("timeout 60 '%s' serve --config '%s'", MADO_BINARY, conf), 1);
		expect_in(err, "refusing to start", roles[i][0]);
		expect_in(err, roles[i][1], roles[i][0]);
		assert_null(strstr(err, "serving https://"));
	}
	/* The application role itself serves. */
	assert_int_equal(th_mado_start(&env), 0);
	assert_int_equal(th_mado_stop(&env), 0);
}

/* A file in the test's directory holding text. */
static void
write_text(const char *name, const char *text, char *path, size_t len)
{
	FILE *f;

	snprintf(path, len, "%s/%s", env.dir, name);
	assert_non_null(f = fopen(path, "w"));
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* The receipt text inside a JSON string: it has quotes and nothing else to escape. */
static void
quoted(const char *s, char *q, size_t len)
{
	size_t o = 0;

	for (; *s != '\0' && o + 3 < len; s++) {
		if (*s == '"')
			q[o++] = '\\';
		q[o++] = *s;
	}
	q[o] = '\0';
}

static void
expect_refused(const char *path, const char *key, const char *what)
{
	assert_int_equal(run("'%s' receipt '%s' --key '%s'", MADO_VERIFY_BINARY, path, key), 1);
	if (strncmp(out, "fail: ", 6) != 0)
		fail_msg("%s: mado-verify said:\n%s", what, out);
	if (strstr(out, "active") != NULL)
		fail_msg("%s: mado-verify printed the forged receipt:\n%s", what, out);
}

/*
 * mado-verify reads a receipt file as strictly as the server reads a body: a second
 * "receipt" (which jq, Python and JavaScript would read instead of the signed one), data
 * after the envelope, or a signature in a second base64 spelling is refused, so that
 * whatever reads the file after it sees the text that was verified.
 */
static void
test_verify_reads_one_text_only(void **state)
{
	static const char genuine_doc[] =
	    "{\"schema\":\"mado-consent-receipt/1\",\"consent\":{\"status\":\"revoked\"}}";
	static const char forged_doc[] =
	    "{\"schema\":\"mado-consent-receipt/1\",\"consent\":{\"status\":\"active\"}}";
	static const char alpha[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char key[400], path[400], doc[256], forged[256], b64[89], odd[89], text[2048], tail[512];
	unsigned char sig[64];
	size_t siglen = sizeof(sig);
	EVP_PKEY *pk;
	EVP_MD_CTX *ctx;
	FILE *f;

	(void)state;
	assert_non_null(pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	assert_non_null(ctx = EVP_MD_CTX_new());
	assert_int_equal(EVP_DigestSignInit(ctx, NULL, NULL, NULL, pk), 1);
	assert_int_equal(EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)genuine_doc,
					strlen(genuine_doc)),
			 1);
	EVP_MD_CTX_free(ctx);
	assert_int_equal(EVP_EncodeBlock((unsigned char *)b64, sig, 64), 88);
	snprintf(key, sizeof(key), "%s/receipt-key.pem", env.dir);
	assert_non_null(f = fopen(key, "w"));
	assert_int_equal(PEM_write_PUBKEY(f, pk), 1);
	fclose(f);
	EVP_PKEY_free(pk);
	quoted(genuine_doc, doc, sizeof(doc));
	quoted(forged_doc, forged, sizeof(forged));

	/* The genuine envelope, as the server writes it. */
	snprintf(tail, sizeof(tail), "\"signature\":\"%s\",\"key_id\":\"k1\"}", b64);
	snprintf(text, sizeof(text), "{\"receipt\":\"%s\",%s", doc, tail);
	write_text("genuine.json", text, path, sizeof(path));
	assert_int_equal(run("'%s' receipt '%s' --key '%s'", MADO_VERIFY_BINARY, path, key), 0);
	expect_in(out, "ok\n", "the genuine receipt");
	expect_in(out, "\"revoked\"", "the genuine receipt");

	/* A second receipt appended, under the same key or one that reads the same. */
	text[strlen(text) - 1] = '\0';
	snprintf(text + strlen(text), sizeof(text) - strlen(text), ",\"receipt\":\"%s\"}", forged);
	write_text("dup.json", text, path, sizeof(path));
	expect_refused(path, key, "a second receipt");
	snprintf(text, sizeof(text), "{\"receipt\":\"%s\",%.*s,\"r\\u0065ceipt\":\"%s\"}", doc,
		 (int)strlen(tail) - 1, tail, forged);
	write_text("dup-escaped.json", text, path, sizeof(path));
	expect_refused(path, key, "a second receipt with an escaped key");
	snprintf(text, sizeof(text), "{\"Receipt\":\"%s\",\"receipt\":\"%s\",%s", forged, doc,
		 tail);
	write_text("dup-case.json", text, path, sizeof(path));
	expect_refused(path, key, "a receipt under a case-variant key");

	/* Data after the envelope. */
	snprintf(text, sizeof(text), "{\"receipt\":\"%s\",%s{\"receipt\":\"%s\"}", doc, tail,
		 forged);
	write_text("trailing.json", text, path, sizeof(path));
	expect_refused(path, key, "a second JSON value after the envelope");
	snprintf(text, sizeof(text), "{\"receipt\":\"%s\",%s\ngarbage", doc, tail);
	write_text("garbage.json", text, path, sizeof(path));
	expect_refused(path, key, "garbage after the envelope");

	/* The signature's last character before "==" carries two bits of the 64th byte and
	   four bits that must be zero: setting one of those spells the same bytes again. */
	memcpy(odd, b64, sizeof(odd));
	odd[85] = alpha[(strchr(alpha, odd[85]) - alpha) | 1];
	assert_true(odd[85] != b64[85]);
	snprintf(text, sizeof(text), "{\"receipt\":\"%s\",\"signature\":\"%s\",\"key_id\":\"k1\"}",
		 doc, odd);
	write_text("noncanonical.json", text, path, sizeof(path));
	expect_refused(path, key, "a non-canonical signature");
	snprintf(text, sizeof(text),
		 "{\"receipt\":\"%s\",\"signature\":\"%.86s\",\"key_id\":\"k1\"}", doc, b64);
	write_text("unpadded.json", text, path, sizeof(path));
	expect_refused(path, key, "a signature without its padding");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_help_everywhere),
	    cmocka_unit_test(test_unknown_option_exits_2),
	    cmocka_unit_test(test_incomplete_command_lines_exit_2),
	    cmocka_unit_test(test_card_options_in_any_order),
	    cmocka_unit_test(test_commands_need_no_serving_settings),
	    cmocka_unit_test(test_operator_commands_give_up_on_a_silent_database),
	    cmocka_unit_test(test_serve_refuses_a_privileged_role),
	    cmocka_unit_test(test_verify_reads_one_text_only),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
