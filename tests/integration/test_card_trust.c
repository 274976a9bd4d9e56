/*
 * Who may vouch for a card, and what a card is: against a real mado, PostgreSQL and OCSP
 * responders (`openssl ocsp` and mado-card's). A card's own certificate, or another card's,
 * cannot sign an OCSP answer; a card is its issuer's key and serial, not the issuer's name
 * and serial; a look-alike certificate leaves nothing in anybody's history; and an OCSP
 * responder that does not answer costs one wait, not one per request.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>

#include <cmocka.h>

#include "harness.h"

static struct th_env env;
static pid_t forged_pid, ca2_pid; /* responders of this file, stopped at the end anyway */
static int hole_fd = -1;          /* the black-holed responder's socket */
static char jsonct[] = "Content-Type: application/json";
static char origin_hdr[96];

struct session {
	char cookie[128]; /* "__Host-mado=..." */
	char csrf[64];
};

static int
setup(void **state)
{
	*state = &env;
	/* The responder is swapped between cases: every check asks the one running. */
	if (th_setup_cards(&env, "card_ocsp_fail_cache_s = 0\n") != 0)
		return -1;
	snprintf(origin_hdr, sizeof(origin_hdr), "Origin: %s", env.origin);
	return 0;
}

#define scalar(...) th_sql(&env, __VA_ARGS__)

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* --- cards --- */

static void
registered_card(const char *name, const char *args)
{
	assert_int_equal(th_card_issue(&env, name, args), 0);
	assert_int_equal(th_card_register(&env, name), 0);
}

static void
revoke_in(const char *dir, const char *name)
{
	assert_int_equal(th_sh("'%s' revoke '%s' %s >/dev/null", MADO_CARD_BINARY, dir, name), 0);
}

static void
card_serial(const char *name, char *out, size_t len)
{
	char path[400];
	FILE *f;

	th_card_file(&env, name, "serial", path, sizeof(path));
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(out, (int)len, f));
	fclose(f);
	out[strcspn(out, "\n")] = '\0';
}

/* The person a registered card is bound to. */
static void
person_of(const char *name, char *out, size_t len)
{
	char serial[80];

	card_serial(name, serial, sizeof(serial));
	assert_int_equal(
	    th_sql_str(&env, out, len,
		       "SELECT person_id FROM portal.card_bindings WHERE serial = '%s'", serial),
	    0);
}

/* A token signed by the card in DIR/cards (any DIR: the card CA's or another). */
static char *
token_in(const char *dir, const char *name, const char *nonce)
{
	char *t = th_card_token(dir, name, env.origin, nonce, NULL);

	assert_non_null(t);
	return t;
}

/* --- HTTP --- */

static void
take_cookie(const struct th_resp *r, struct session *s)
{
	char v[256];

	if (th_header(r, "Set-Cookie", v, sizeof(v)) != NULL && strncmp(v, "__Host-mado=", 12) == 0)
		snprintf(s->cookie, sizeof(s->cookie), "%.*s", (int)strcspn(v, ";"), v);
}

static long
post(struct session *s, const char *path, const char *body, struct th_resp *r)
{
	char cookie[160];
	const char *h[4];
	int n = 0;

	h[n++] = origin_hdr;
	h[n++] = jsonct;
	if (s->cookie[0] != '\0') {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
		h[n++] = cookie;
	}
	h[n] = NULL;
	assert_int_equal(th_http(&env, "POST", path, h, body, strlen(body), r), 0);
	take_cookie(r, s);
	return r->status;
}

static long
get(const struct session *s, const char *path, struct th_resp *r)
{
	char cookie[160];
	const char *h[2] = {cookie, NULL};

	snprintf(cookie, sizeof(cookie), "Cookie: %s", s->cookie);
	if (th_http(&env, "GET", path, s->cookie[0] != '\0' ? h : NULL, NULL, 0, r) != 0)
		return -1;
	return r->status;
}

/* A whole token login with the card in dir; the caller frees r. */
static long
token_login_in(const char *dir, const char *name, struct session *s, struct th_resp *r)
{
	char nonce[64], *t;
	struct th_resp c;
	cJSON *j;
	long status;

	memset(s, 0, sizeof(*s));
	assert_int_equal(post(s, "/api/v1/auth/challenge", "", &c), 200);
	assert_non_null(j = th_json(&c));
	snprintf(nonce, sizeof(nonce), "%s",
		 cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring);
	cJSON_Delete(j);
	th_resp_free(&c);
	t = token_in(dir, name, nonce);
	status = post(s, "/api/v1/auth/webeid", t, r);
	free(t);
	if (status == 200) {
		assert_non_null(j = th_json(r));
		snprintf(s->csrf, sizeof(s->csrf), "%s",
			 cJSON_GetObjectItemCaseSensitive(j, "csrf_token")->valuestring);
		cJSON_Delete(j);
	}
	return status;
}

static void
expect_login_in(const char *dir, const char *name, long status, const char *type,
		const char *reason)
{
	struct session s;
	struct th_resp r;

	token_login_in(dir, name, &s, &r);
	if (r.status != status || (type != NULL && strcmp(th_type(&r), type) != 0) ||
	    (reason != NULL && strcmp(th_reason(&r), reason) != 0))
		fail_msg("card %s: got %ld %.300s; want %ld %s %s", name, r.status, r.body, status,
			 type != NULL ? type : "", reason != NULL ? reason : "");
	th_resp_free(&r);
}

#define expect_login(name, status, type, reason)                                                   \
	expect_login_in(env.ca_dir, name, status, type, reason)

/* --- processes --- */

static pid_t
spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	FILE *f;

	assert_true(pid >= 0);
	if (pid == 0) {
		if ((f = freopen(log, "a", stdout)) == NULL || dup2(fileno(f), 2) < 0 ||
		    freopen("/dev/null", "r", stdin) == NULL)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
stop(pid_t *pid)
{
	if (*pid > 0) {
		kill(*pid, SIGTERM);
		waitpid(*pid, NULL, 0);
	}
	*pid = 0;
}

/* Waits until something accepts connections on port. */
static void
wait_port(int port)
{
	struct sockaddr_in sa;
	int i, fd, ok = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (i = 0; i < 400 && !ok; i++) {
		assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
		ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
		close(fd);
		if (!ok)
			sleep_ms(25);
	}
	assert_true(ok);
}

/* Waits until the log file says what a started responder says (openssl ocsp would spin
   on a probing connection that sends nothing, so none is made). */
static void
wait_log(const char *log, const char *says)
{
	char buf[4096];
	size_t n;
	FILE *f;
	int i;

	for (i = 0; i < 400; i++) {
		if ((f = fopen(log, "r")) != NULL) {
			n = fread(buf, 1, sizeof(buf) - 1, f);
			fclose(f);
			buf[n] = '\0';
			if (strstr(buf, says) != NULL)
				return;
		}
		sleep_ms(25);
	}
	fail_msg("%s never said %s", log, says);
}

/*
 * In place of the card CA's responder: `openssl ocsp` answering from an index in which
 * every revoked card is listed as good, signing with signer (DIR/<signer>.crt and .key).
 */
static pid_t
forged_responder(const char *signer)
{
	char index[400], port[16], crt[400], key[400], ca[400], log[400];
	char *argv[] = {"openssl",  "ocsp", "-port", port, "-index", index, "-CA",         ca,
			"-rsigner", crt,    "-rkey", key,  "-nmin",  "5",   "-ignore_err", NULL};
	pid_t pid;

	snprintf(index, sizeof(index), "%s/forged-index.txt", env.dir);
	assert_int_equal(
	    th_sh("sed -E 's/^R\\t([^\\t]*)\\t[^\\t]*\\t/V\\t\\1\\t\\t/' '%s/index.txt' "
		  "> '%s' && cp '%s/index.txt.attr' '%s.attr' 2>/dev/null; true",
		  env.ca_dir, index, env.ca_dir, index),
	    0);
	snprintf(port, sizeof(port), "%d", env.ocsp_port);
	snprintf(ca, sizeof(ca), "%s/ca.crt", env.ca_dir);
	snprintf(crt, sizeof(crt), "%s/%s.crt", env.ca_dir, signer);
	snprintf(key, sizeof(key), "%s/%s.key", env.ca_dir, signer);
	snprintf(log, sizeof(log), "%s/forged-ocsp-%s.log", env.dir, strrchr(crt, '/') + 1);
	assert_int_equal(th_ocsp_stop(&env), 0);
	pid = spawn(argv, log);
	wait_log(log, "waiting for OCSP client connections");
	return pid;
}

/* Each test starts with the card CA's own responder, whatever the last one left. */
static int
real_responder(void **state)
{
	(void)state;
	stop(&forged_pid);
	stop(&ca2_pid);
	if (hole_fd >= 0)
		close(hole_fd);
	hole_fd = -1;
	return th_ocsp_start(&env, NULL);
}

static int
teardown(void **state)
{
	stop(&forged_pid);
	stop(&ca2_pid);
	if (hole_fd >= 0)
		close(hole_fd);
	return th_group_teardown(state);
}

/* --- #1: who may sign an OCSP answer --- */

/*
 * A revoked card without extendedKeyUsage (as JPKI's are) signs a "good" answer about
 * itself, and another such card signs one about it: neither is a responder the CA
 * delegated, so the login is refused. The same forged index signed by the CA's real
 * delegated responder passes, so it is the signer, and only the signer, that is refused.
 */
static void
test_card_cannot_vouch_for_a_card(void **state)
{
	char person[40];

	(void)state;
	registered_card("victim", NULL);
	registered_card("accomplice", NULL);
	revoke_in(env.ca_dir, "victim");
	person_of("victim", person, sizeof(person));
	sleep(2); /* past card_ocsp_cache_max_s */
	expect_login("victim", 401, "card-revoked", "revoked");
	sleep(2);

	forged_pid = forged_responder("cards/victim");
	expect_login("victim", 503, "revocation-check-failed", "responder_not_trusted");
	stop(&forged_pid);

	forged_pid = forged_responder("cards/accomplice");
	expect_login("victim", 503, "revocation-check-failed", "responder_not_trusted");
	stop(&forged_pid);

	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s' "
				"AND event = 'login'",
				person),
			 0);

	/* The control: the same answer from the CA's own delegated responder is believed,
	   so the answers above were refused for their signer alone. */
	forged_pid = forged_responder("ocsp");
	expect_login("victim", 200, NULL, NULL);
	stop(&forged_pid);
	assert_int_equal(th_ocsp_start(&env, NULL), 0);
}

/* The same through mado authcheck, on stored answers: signed by a card of the CA, by a
   responder whose keyUsage does not allow digitalSignature, by one whose certificate the CA
   signed over SHA-1, or by the CA's own responder over SHA-1, the answer is refused. */
static void
test_authcheck_refuses_card_signed_answer(void **state)
{
	char cmd[4096], line[256];
	FILE *p;

	(void)state;
	assert_int_equal(th_card_issue(&env, "ac-card", NULL), 0);
	assert_int_equal(th_card_issue(&env, "ac-other", NULL), 0);
	/* Two responders the CA delegates with the openssl command line, both marked for
	   OCSPSigning: one whose keyUsage allows digitalSignature, one whose does not. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && for k in sign:digitalSignature enc:keyEncipherment; do "
		 "printf 'extendedKeyUsage=OCSPSigning\\nkeyUsage=critical,%%s\\n"
		 "authorityKeyIdentifier=keyid\\n' \"${k#*:}\" > ku.ext && "
		 "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout ca/ku-${k%%:*}.key -subj /CN=ku-${k%%:*} -out ku.csr && "
		 "openssl x509 -req -in ku.csr -CA ca/ca.crt -CAkey ca/ca.key -days 5 "
		 "-extfile ku.ext -out ca/ku-${k%%:*}.crt || exit 1; done >/dev/null 2>&1",
		 env.dir);
	assert_int_equal(th_sh("%s", cmd), 0);
	/* And one as the first, but its certificate signed by the CA over SHA-1 (CR-03). */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && printf 'extendedKeyUsage=OCSPSigning\nkeyUsage=critical,"
		 "digitalSignature\nauthorityKeyIdentifier=keyid\n' > ku.ext && "
		 "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		 "-keyout ca/ku-sha1.key -subj /CN=ku-sha1 -out ku.csr && "
		 "openssl x509 -req -sha1 -in ku.csr -CA ca/ca.crt -CAkey ca/ca.key -days 5 "
		 "-extfile ku.ext -out ca/ku-sha1.crt >/dev/null 2>&1",
		 env.dir);
	assert_int_equal(th_sh("%s", cmd), 0);
	/* One request, five answers: signed by another card, by the card itself, by the
	   CA's delegated responder, and by the two above. */
	snprintf(cmd, sizeof(cmd),
		 "cd '%s' && openssl ocsp -issuer ca/ca.crt -cert ca/cards/ac-card.crt -no_nonce "
		 "-reqout ac-req.der >/dev/null 2>&1 && for s in cards/ac-other:other "
		 "cards/ac-card:self ocsp:ocsp ku-sign:kusign ku-enc:kuenc ku-sha1:kusha1; do "
		 "openssl ocsp -index ca/index.txt -CA ca/ca.crt "
		 "-rsigner ca/${s%%:*}.crt -rkey ca/${s%%:*}.key -reqin ac-req.der "
		 "-respout ac-${s#*:}.der -nmin 5 >/dev/null 2>&1 || exit 1; done && "
		 "openssl ocsp -index ca/index.txt -CA ca/ca.crt -rsigner ca/ocsp.crt "
		 "-rkey ca/ocsp.key -rmd sha1 -reqin ac-req.der -respout ac-sha1sig.der -nmin 5 "
		 ">/dev/null 2>&1",
		 env.dir);
	assert_int_equal(th_sh("%s", cmd), 0);
	{
		static const char *const cases[][2] = {
		    {"ocsp", "pass"},
		    {"other", "fail: responder_not_trusted"},
		    {"self", "fail: responder_not_trusted"},
		    {"kusign", "pass"},
		    {"kuenc", "fail: responder_not_trusted"},
		    {"kusha1", "fail: responder_not_trusted"},
		    {"sha1sig", "fail: responder_signature_or_identity"},
		};
		size_t i;

		for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			snprintf(cmd, sizeof(cmd),
				 "'%s' authcheck --cert '%s/ca/cards/ac-card.crt' --issuer "
				 "'%s/ca/ca.crt' --ocsp-response '%s/ac-%s.der' --trust '%s' "
				 "--ocsp-nonce off 2>/dev/null",
				 MADO_BINARY, env.dir, env.dir, env.dir, cases[i][0],
				 env.trust_dir);
			assert_non_null(p = popen(cmd, "r"));
			line[0] = '\0';
			if (fgets(line, sizeof(line), p) == NULL)
				line[0] = '\0';
			pclose(p);
			if (strncmp(line, cases[i][1], strlen(cases[i][1])) != 0)
				fail_msg("answer signed by %s: got %s, want %s", cases[i][0], line,
					 cases[i][1]);
		}
	}
}

/* --- #11: a look-alike leaves no trace in anybody's history --- */

/*
 * A self-signed certificate with the victim card's issuer name and serial, used to log
 * in, is refused as not trusted, and neither the victim's login history nor the card's
 * failure counter moves.
 */
static void
test_lookalike_plants_nothing(void **state)
{
	char serial[80], person[40], subj[512];
	long events, counters;

	(void)state;
	registered_card("planted", "--key p256");
	card_serial("planted", serial, sizeof(serial));
	person_of("planted", person, sizeof(person));
	assert_int_equal(
	    th_sh("cd '%s' && s=\"$(openssl x509 -in ca/ca.crt -noout -subject -nameopt compat "
		  "| sed 's/^subject=//')\" && echo \"$s\" > lookalike.subj",
		  env.dir),
	    0);
	{
		char path[400];
		FILE *f;

		snprintf(path, sizeof(path), "%s/lookalike.subj", env.dir);
		assert_non_null(f = fopen(path, "r"));
		assert_non_null(fgets(subj, sizeof(subj), f));
		fclose(f);
		subj[strcspn(subj, "\n")] = '\0';
	}
	assert_int_equal(
	    th_sh("cd '%s' && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 "
		  "-nodes -keyout ca/cards/lookalike.key -out ca/cards/lookalike.crt -days 30 "
		  "-subj '%s' -set_serial 0x%s -addext 'keyUsage=critical,digitalSignature' "
		  ">/dev/null 2>&1",
		  env.dir, subj, serial),
	    0);
	events = scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", person);
	counters = scalar("SELECT count(*) FROM portal.auth_failures WHERE scope = 'card'");
	expect_login("lookalike", 401, "card-not-trusted", "not_trusted");
	expect_login("lookalike", 401, "card-not-trusted", "not_trusted");
	assert_int_equal(
	    scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s'", person),
	    events);
	assert_int_equal(scalar("SELECT count(*) FROM portal.auth_failures WHERE scope = 'card'"),
			 counters);
	/* The card itself still logs in, and its history shows only that. */
	expect_login("planted", 200, NULL, NULL);
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events WHERE person_id = '%s' "
				"AND event = 'failure'",
				person),
			 0);
}

/* --- #10: a card is its issuer's key and serial --- */

/* Issues card name from the CA in dir with the given serial. */
static void
issue_same_serial(const char *dir, const char *name, const char *serial)
{
	char path[1024], got[80] = "";
	FILE *f;

	assert_int_equal(th_sh("'%s' issue '%s' %s --key p256 --serial %s >/dev/null",
			       MADO_CARD_BINARY, dir, name, serial),
			 0);
	snprintf(path, sizeof(path), "%s/cards/%s.serial", dir, name);
	assert_non_null(f = fopen(path, "r"));
	assert_non_null(fgets(got, sizeof(got), f));
	fclose(f);
	got[strcspn(got, "\n")] = '\0';
	assert_string_equal(got, serial);
}

/*
 * A second CA with the very same name and its own key, both trusted. Card A (the first
 * CA, serial S) is registered; card B (the second CA, the same serial S) is not, and
 * must not log in as A's holder; revoked, such a card is refused as revoked even while
 * its twin's good answer is cached. Registered, B is a person of its own.
 */
static void
test_same_name_other_key(void **state)
{
	char ca2[320], serial[80], serial_b[80], log[400], listen[64];
	int port2 = th_free_port();

	(void)state;
	snprintf(ca2, sizeof(ca2), "%s/ca2", env.dir);
	assert_int_equal(th_sh("'%s' init '%s' --ocsp-url http://127.0.0.1:%d/ocsp >/dev/null && "
			       "cp '%s/ca.crt' '%s/ca2.crt'",
			       MADO_CARD_BINARY, ca2, port2, ca2, env.trust_dir),
			 0);
	/* The same subject name, another key. */
	assert_int_equal(th_sh("test \"$(openssl x509 -in '%s/ca.crt' -noout -subject)\" = "
			       "\"$(openssl x509 -in '%s/ca.crt' -noout -subject)\" && "
			       "test \"$(openssl x509 -in '%s/ca.crt' -noout -pubkey)\" != "
			       "\"$(openssl x509 -in '%s/ca.crt' -noout -pubkey)\"",
			       env.ca_dir, ca2, env.ca_dir, ca2),
			 0);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port2);
	snprintf(log, sizeof(log), "%s/ocsp2.log", env.dir);
	{
		char *argv[] = {MADO_CARD_BINARY, "ocsp-serve", ca2, "--listen", listen, NULL};

		ca2_pid = spawn(argv, log);
	}
	wait_port(port2);
	/* The anchors are read at start; a long cache, so A's answer is there for B. */
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "card_ocsp_cache_max_s = 120"), 0);
	assert_int_equal(th_mado_start(&env), 0);

	registered_card("gen1", "--key p256");
	card_serial("gen1", serial, sizeof(serial));
	issue_same_serial(ca2, "gen2", serial);
	expect_login("gen1", 200, NULL, NULL);
	expect_login_in(ca2, "gen2", 401, "card-not-registered", NULL);

	/* Another pair, B revoked: A's good answer, cached, says nothing about B. */
	registered_card("gen1b", "--key p256");
	card_serial("gen1b", serial_b, sizeof(serial_b));
	issue_same_serial(ca2, "gen2b", serial_b);
	revoke_in(ca2, "gen2b");
	expect_login("gen1b", 200, NULL, NULL);
	expect_login_in(ca2, "gen2b", 401, "card-revoked", "revoked");

	/* Nothing of it reached A's holders. */
	assert_int_equal(scalar("SELECT count(*) FROM portal.login_events e JOIN "
				"portal.card_bindings b ON b.person_id = e.person_id "
				"WHERE b.serial IN ('%s', '%s') AND e.event = 'failure'",
				serial, serial_b),
			 0);

	/* B, registered, is a person of its own: two bindings, one serial. */
	{
		char path[1024];

		snprintf(path, sizeof(path), "register-card --cert '%s/cards/gen2.crt'", ca2);
		assert_int_equal(th_mado_cmd(&env, path, NULL), 0);
	}
	assert_int_equal(scalar("SELECT count(DISTINCT person_id) FROM portal.card_bindings WHERE "
				"serial = '%s'",
				serial),
			 2);
	stop(&ca2_pid);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_conf_append(&env, "card_ocsp_cache_max_s = 1"), 0);
	assert_int_equal(th_mado_start(&env), 0);
}

/* A binding stored before bindings were keyed on the issuer's key gets its key at the
   next start, from its certificate, and logs in as before. */
static void
test_old_binding_is_keyed_at_start(void **state)
{
	char serial[80];

	(void)state;
	registered_card("legacy", "--key p256");
	card_serial("legacy", serial, sizeof(serial));
	assert_int_equal(scalar("UPDATE portal.card_bindings SET issuer_key = NULL WHERE serial = "
				"'%s'",
				serial),
			 1);
	expect_login("legacy", 401, "card-not-registered", NULL);
	assert_int_equal(th_mado_stop(&env), 0);
	assert_int_equal(th_mado_start(&env), 0);
	assert_int_equal(scalar("SELECT count(*) FROM portal.card_bindings WHERE serial = '%s' AND "
				"issuer_key IS NOT NULL",
				serial),
			 1);
	expect_login("legacy", 200, NULL, NULL);
}

/* --- #4: a responder that does not answer --- */

/* A listening socket that never accepts: connections are made, requests go unanswered. */
static int
black_hole(int port)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 128), 0);
	return fd;
}

#define SESSIONS  6
#define TIMEOUT_S 8   /* card_ocsp_timeout_ms, in s */
#define QUICK_S   4.0 /* what "at once" may take on a busy machine */
#define HAMMER_S  10.0

struct hammer {
	struct session s;
	int answers, slow, wrong;
	double worst;
};

/* One session's browser: request after request while its card's re-check is due. */
static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	double start = now_s(), t;
	struct th_resp r;
	char type[128];
	long st;

	while (now_s() - start < HAMMER_S) {
		t = now_s();
		st = get(&h->s, "/api/v1/me/session", &r);
		t = now_s() - t;
		if (st > 0) {
			if (st != 503 || strcmp(th_problem_type(&r, type, sizeof(type)),
						"urn:mado:problem:revocation-check-failed") != 0)
				h->wrong++;
			th_resp_free(&r);
		}
		h->answers++;
		if (t > h->worst)
			h->worst = t;
		if (t > QUICK_S)
			h->slow++;
		sleep_ms(50);
	}
	return NULL;
}

struct first {
	struct session s;
	long status;
	char type[128];
	double seconds;
	int done;
};

static void *
first_recheck(void *arg)
{
	struct first *f = arg;
	double t = now_s();
	struct th_resp r;

	f->status = get(&f->s, "/api/v1/me/session", &r);
	f->seconds = now_s() - t;
	if (f->status > 0) {
		th_problem_type(&r, f->type, sizeof(f->type));
		th_resp_free(&r);
	}
	__atomic_store_n(&f->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* One request to a public route that reads the database: 200, and quickly. */
static void
public_poll(const struct session *anon, int *n, int *bad, double *worst)
{
	double u = now_s();
	struct th_resp r;
	long st = get(anon, "/api/v1/access/catalogue", &r);

	u = now_s() - u;
	if (st > 0)
		th_resp_free(&r);
	(*n)++;
	if (st != 200 || u > QUICK_S)
		(*bad)++;
	if (u > *worst)
		*worst = u;
	sleep_ms(100);
}

/*
 * With the responder black-holed, sessions whose re-check is due and logins are refused
 * (fail closed, revocation-check-failed) and, after the first wait, at once; the portal's
 * public routes keep answering meanwhile, with a handful of workers.
 */
static void
test_silent_responder(void **state)
{
	struct hammer h[SESSIONS];
	struct first first;
	pthread_t th[SESSIONS];
	struct session anon;
	struct th_resp r;
	char name[32], line[256];
	double t, worst_public = 0;
	int i, public_bad = 0, publics = 0;

	(void)state;
	assert_int_equal(th_mado_stop(&env), 0);
	snprintf(line, sizeof(line),
		 "threads = 4\ndb_pool_size = 2\ncard_ocsp_timeout_ms = %d\n"
		 "card_ocsp_fail_cache_s = 60\ncard_ocsp_cache_max_s = 1",
		 TIMEOUT_S * 1000);
	assert_int_equal(th_conf_append(&env, line), 0);
	assert_int_equal(th_mado_start(&env), 0);
	memset(h, 0, sizeof(h));
	for (i = 0; i < SESSIONS; i++) {
		snprintf(name, sizeof(name), "busy-%d", i);
		registered_card(name, "--key p256");
		assert_int_equal(token_login_in(env.ca_dir, name, &h[i].s, &r), 200);
		th_resp_free(&r);
	}
	registered_card("late", "--key p256");
	assert_int_equal(th_ocsp_stop(&env), 0);
	hole_fd = black_hole(env.ocsp_port);
	sleep(2); /* every session's re-check (card_recheck_s = 1) is due */

	/* The first re-check waits for the responder, and is refused; meanwhile the public
	   routes answer (no pooled connection waits with it). */
	memset(&anon, 0, sizeof(anon));
	first.s = h[0].s;
	assert_int_equal(pthread_create(&th[0], NULL, first_recheck, &first), 0);
	while (!__atomic_load_n(&first.done, __ATOMIC_ACQUIRE))
		public_poll(&anon, &publics, &public_bad, &worst_public);
	pthread_join(th[0], NULL);
	assert_int_equal(first.status, 503);
	assert_string_equal(first.type, "urn:mado:problem:revocation-check-failed");
	assert_true(first.seconds >= TIMEOUT_S - 1);

	/* From then on: refusals at once, and the public routes still answer. */
	t = now_s();
	for (i = 0; i < SESSIONS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &h[i]), 0);
	while (now_s() - t < HAMMER_S)
		public_poll(&anon, &publics, &public_bad, &worst_public);
	for (i = 0; i < SESSIONS; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < SESSIONS; i++) {
		if (h[i].slow > 0 || h[i].wrong > 0 || h[i].answers == 0)
			fail_msg("session %d: %d answers, %d slow (worst %.1f s), %d not "
				 "revocation-check-failed",
				 i, h[i].answers, h[i].slow, h[i].worst, h[i].wrong);
	}
	if (public_bad > 0)
		fail_msg("catalogue: %d of %d answers not 200 within %.0f s (worst %.1f s)",
			 public_bad, publics, QUICK_S, worst_public);

	/* A login that needs the responder fails closed, at once. */
	t = now_s();
	expect_login("late", 503, "revocation-check-failed", "ocsp_unavailable");
	assert_true(now_s() - t < QUICK_S);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_card_cannot_vouch_for_a_card, real_responder),
	    cmocka_unit_test_setup(test_authcheck_refuses_card_signed_answer, real_responder),
	    cmocka_unit_test_setup(test_lookalike_plants_nothing, real_responder),
	    cmocka_unit_test_setup(test_same_name_other_key, real_responder),
	    cmocka_unit_test_setup(test_old_binding_is_keyed_at_start, real_responder),
	    cmocka_unit_test_setup(test_silent_responder, real_responder),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
