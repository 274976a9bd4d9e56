/*
 * mado-testenv [--cards|--access] COMMAND [ARGS...]: starts a throwaway PostgreSQL and
 * mado, runs COMMAND with MADOTEST_URL (https://127.0.0.1:PORT) and MADOTEST_CA (the
 * server certificate) in its environment, stops everything and exits with COMMAND's
 * status.
 *
 * --cards adds card login with a live OCSP responder and the demo's virtual cards:
 * demo-rsa and demo-ec (registered), demo-revoked (registered, then revoked) and
 * demo-unregistered. --access adds the gateway, the demo agencies and their traffic
 * (scripts/traffic: a reported history, one night burst for the supervisor's anomaly scan
 * and a few live queries) on top, and tells the
 * command MADOTEST_MTLS_PORT, MADOTEST_ORGS (the organisations' keys and certificates) and
 * MADOTEST_DB (a libpq connection string for the database, as its superuser).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* A witness whose cosignature every published checkpoint needs, as the demo has: it knows
   the log by the key mado serves, so mado runs once without it. */
static int
tlog_witness(struct th_env *e)
{
	struct th_resp r;
	char line[1200], vkey[300];
	FILE *f;
	int ok;

	if (th_http(e, "GET", "/.well-known/mado-tlog-vkey", NULL, NULL, 0, &r) != 0)
		return -1;
	ok = r.status == 200 && r.body != NULL;
	snprintf(line, sizeof(line), "%s/log.vkey", e->dir);
	if (ok && (f = fopen(line, "w")) != NULL) {
		fputs(r.body, f);
		ok = fclose(f) == 0;
	}
	th_resp_free(&r);
	if (!ok || th_tlog_witness(e->dir, vkey, sizeof(vkey)) != 0)
		return -1;
	snprintf(line, sizeof(line), "tlog_witness = %s %s/witness.sh\ntlog_witness_needed = 1",
		 vkey, e->dir);
	if (th_mado_stop(e) != 0 || th_conf_append(e, line) != 0)
		return -1;
	return th_mado_start(e);
}

static int
demo_cards(struct th_env *e)
{
	static const char *const cards[][3] = {
	    {"demo-rsa", "--key rsa2048", "register"},
	    {"demo-ec", "--key p256", "register"},
	    {"demo-revoked", "--key rsa2048", "revoke"},
	    {"demo-unregistered", "--key p256", ""},
	};
	char line[600];
	size_t i;

	for (i = 0; i < sizeof(cards) / sizeof(cards[0]); i++) {
		if (th_sh("'%s' issue '%s' %s %s >/dev/null", MADO_CARD_BINARY, e->ca_dir,
			  cards[i][0], cards[i][1]) != 0)
			return -1;
		if (cards[i][2][0] == '\0')
			continue;
		snprintf(line, sizeof(line), "register-card --cert '%s/cards/%s.crt'", e->ca_dir,
			 cards[i][0]);
		if (th_mado_cmd(e, line, NULL) != 0)
			return -1;
		if (strcmp(cards[i][2], "revoke") == 0 &&
		    th_sh("'%s' revoke '%s' %s >/dev/null", MADO_CARD_BINARY, e->ca_dir,
			  cards[i][0]) != 0)
			return -1;
	}
	snprintf(line, sizeof(line), "demo_cards_dir = %s", e->ca_dir);
	if (th_mado_stop(e) != 0 || th_conf_append(e, line) != 0)
		return -1;
	/* The transparency log, sequenced often so a check's records are soon provable. */
	if (th_sh("openssl genpkey -algorithm ed25519 -out '%s/tlog.key' 2>/dev/null", e->dir) != 0)
		return -1;
	snprintf(line, sizeof(line), "tlog_key = %s/tlog.key\ntlog_batch_ms = 200", e->dir);
	if (th_conf_append(e, line) != 0 || th_mado_start(e) != 0)
		return -1;
	return tlog_witness(e);
}

/* The demo agencies' data for the people just registered, then their traffic. */
static int
agency_traffic(struct th_env *e)
{
	if (th_seed_demo(e) != 0)
		return -1;
	return th_sh("'%s/scripts/traffic' --gateway https://127.0.0.1:%d --orgs '%s' --db "
		     "'host=%s/run port=5432 dbname=mado user=postgres' --history 8 --count 6 "
		     "--every 0 --anomaly-now --anomaly-every 0 >/dev/null",
		     MADO_SOURCE_DIR, e->mtls_port, e->org_dir, e->pgdir);
}

int
main(int argc, char **argv)
{
	struct th_env e;
	bool access = argc > 1 && strcmp(argv[1], "--access") == 0;
	bool cards = access || (argc > 1 && strcmp(argv[1], "--cards") == 0);
	pid_t pid;
	int st = 1, first = cards ? 2 : 1;

	if (argc <= first) {
		fprintf(stderr, "usage: mado-testenv [--cards|--access] COMMAND [ARGS...]\n");
		return 2;
	}
	/* The supervisor's statistics count the rows recorded up to now, not a minute ago. */
	if ((access  ? th_setup_access(&e, "oversight_lag_s = 0")
	     : cards ? th_setup_cards(&e, NULL)
		     : th_setup(&e, NULL)) != 0 ||
	    (cards && demo_cards(&e) != 0) || (access && agency_traffic(&e) != 0)) {
		th_teardown(&e);
		return 1;
	}
	/* The public origin: what browsers use, and what the CSRF and Web eID checks expect. */
	setenv("MADOTEST_URL", e.origin, 1);
	setenv("MADOTEST_CA", e.ca, 1);
	/* For checks that play a card-reading app (mado-card) with the virtual cards. */
	setenv("MADOTEST_CARD_TOOL", MADO_CARD_BINARY, 1);
	setenv("MADOTEST_CARD_DIR", e.ca_dir, 1);
	if (access) {
		/* For checks that play an agency or a private service on the mTLS listener. */
		char port[16], db[600];

		snprintf(port, sizeof(port), "%d", e.mtls_port);
		setenv("MADOTEST_MTLS_PORT", port, 1);
		setenv("MADOTEST_ORGS", e.org_dir, 1);
		/* For checks that need what only an agency knows (its pseudonym for a person). */
		snprintf(db, sizeof(db), "host=%s/run port=5432 dbname=mado user=postgres",
			 e.pgdir);
		setenv("MADOTEST_DB", db, 1);
	}
	if ((pid = fork()) == 0) {
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		execvp(argv[first], argv + first);
		perror("mado-testenv: exec");
		_exit(127);
	}
	if (pid > 0 && waitpid(pid, &st, 0) == pid)
		st = WIFEXITED(st) ? WEXITSTATUS(st) : 1;
	else
		st = 1;
	th_teardown(&e);
	return st;
}
