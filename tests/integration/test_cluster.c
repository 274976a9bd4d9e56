/*
 * Several nodes: scripts/cluster starts haproxy, three mado nodes and PostgreSQL as a
 * Patroni primary with a synchronous replica (and etcd) in a directory of the test's own,
 * and stops it afterwards. No node keeps state of its own: a session made on node 1 is
 * used on node 2 and ended on node 3, and then refused everywhere; a per-address limit
 * counts the requests of all nodes together. A node killed is taken out by haproxy
 * within its health checks. The primary killed amid a stream of access reports: Patroni
 * promotes the replica, the nodes' pools follow it, every report batch acknowledged is
 * there exactly once, and what was answered meanwhile is a 2xx or a 503 problem. The
 * nodes' read pools (db_read_url) serve the public statistics and registers from the
 * replica, while a person's own log is read on the primary.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <netinet/in.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libpq-fe.h>

#include "harness.h"

#define NODES      3
#define RATE_MAX   12  /* public_rate_max on every node, for the limit test */
#define FAIL_MAX   4   /* login_fail_max_addr on every node */
#define CHECK_S    2.0 /* haproxy: inter 1 s, fall 2 */
#define FAILOVER_S 60  /* generous: Patroni's ttl is 10 s, the machine is shared */
#define EVENTS     10  /* per report batch */
#define MAX_BATCH  20000
#define CLIENTS    4

static char dir[256], owner_url[512], bindir[256];
static int base;
/* env[0] is haproxy's front; env[i] node i. All share the cluster's files. */
static struct th_env env[NODES + 1];
static struct th_person alice = {.card = "alice"}, bob = {.card = "bob"};
static char tax_pseudonyms[2][64];
static const char jsonct[] = "Content-Type: application/json";

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (double)(time_t)s) * 1e9)};

	nanosleep(&ts, NULL);
}

static long sql_on(const char *url, char *buf, size_t len, const char *q);

/* Runs SQL as the superuser on whichever member is the primary (the multi-host string
   of scripts/cluster url owner): a one-row query's first value into buf, or a count. */
static long
sql(char *buf, size_t len, const char *fmt, ...)
{
	char q[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	return sql_on(owner_url, buf, len, q);
}

/* The same on the replica: the owner's string, the member in recovery. */
static long
replica_sql(const char *fmt, ...)
{
	char q[4096], url[600], *at;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(q, sizeof(q), fmt, ap);
	va_end(ap);
	snprintf(url, sizeof(url), "%s", owner_url);
	if ((at = strstr(url, "target_session_attrs=read-write")) == NULL)
		return -1;
	snprintf(at, sizeof(url) - (size_t)(at - url), "target_session_attrs=standby%s",
		 strstr(owner_url, "target_session_attrs=read-write") +
		     strlen("target_session_attrs=read-write"));
	return sql_on(url, NULL, 0, q);
}

static long
sql_on(const char *url, char *buf, size_t len, const char *q)
{
	PGconn *c;
	PGresult *r;
	long v = -1;

	c = PQconnectdb(url);
	r = PQstatus(c) == CONNECTION_OK ? PQexec(c, q) : NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		if (buf != NULL)
			snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
	} else {
		fprintf(stderr, "cluster test: %s: %s", q, PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return v;
}

/* Ports BASE..BASE+61 all free on 127.0.0.1 (scripts/cluster's layout). */
static bool
range_free(int from)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	int p, s;
	bool ok = true;

	for (p = from; p <= from + 61 && ok; p++) {
		if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
			return false;
		a.sin_port = htons((uint16_t)p);
		ok = bind(s, (struct sockaddr *)&a, sizeof(a)) == 0;
		close(s);
	}
	return ok;
}

static int
cluster(const char *args)
{
	return th_sh("'%s/scripts/cluster' %s --dir '%s' >>'%s/cluster-test.log' 2>&1",
		     MADO_SOURCE_DIR, args, dir, dir);
}

static int
setup(void **state)
{
	struct th_person *p[2] = {&alice, &bob};
	char *slash;
	FILE *f;
	int i;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mado-cluster-XXXXXX");
	if (mkdtemp(dir) == NULL || th_sh("chmod 755 '%s'", dir) != 0)
		return -1;
	srand((unsigned)getpid());
	do
		base = 20000 + (rand() % 400) * 100;
	while (!range_free(base));
	snprintf(bindir, sizeof(bindir), "%s", MADO_BINARY);
	if ((slash = strrchr(bindir, '/')) != NULL)
		*slash = '\0';
	/* The cluster's processes run in sessions of their own: should this test be killed
	   (a ctest timeout), a watchdog stops them once it is gone. */
	th_sh("setsid sh -c 'while kill -0 %d 2>/dev/null; do sleep 1; done; "
	      "\"%s/scripts/cluster\" stop --dir \"%s\"' >/dev/null 2>&1 </dev/null &",
	      (int)getpid(), MADO_SOURCE_DIR, dir);
	/* Every node inherits MADO_* settings; the harness's mado runs with the same lift of
	   the public limit, here lowered to a number the limit test can reach. */
	if (th_sh("MADO_PUBLIC_RATE_MAX=%d MADO_LOGIN_FAIL_MAX_ADDR=%d '%s/scripts/cluster' start "
		  "--nodes %d --port %d --bin '%s' --dir '%s' >>'%s/cluster-test.log' 2>&1",
		  RATE_MAX, FAIL_MAX, MADO_SOURCE_DIR, NODES, base, bindir, dir, dir) != 0) {
		th_sh("tail -n 40 '%s/cluster-test.log' >&2; tail -n 20 '%s'/log/*.log >&2", dir,
		      dir);
		return -1;
	}
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "'%s/scripts/cluster' url owner --dir '%s'",
			 MADO_SOURCE_DIR, dir);
		if ((f = popen(cmd, "r")) == NULL || fgets(owner_url, sizeof(owner_url), f) == NULL)
			return -1;
		pclose(f);
		owner_url[strcspn(owner_url, "\n")] = '\0';
	}
	for (i = 0; i <= NODES; i++) {
		struct th_env *e = &env[i];

		snprintf(e->dir, sizeof(e->dir), "%s", dir);
		snprintf(e->ca, sizeof(e->ca), "%s/tls/server.crt", dir);
		snprintf(e->ca_dir, sizeof(e->ca_dir), "%s/cards", dir);
		snprintf(e->org_dir, sizeof(e->org_dir), "%s/orgs", dir);
		snprintf(e->conf, sizeof(e->conf), "%s/node1/mado.conf", dir);
		snprintf(e->origin, sizeof(e->origin), "https://localhost:%d", base);
		e->port = i == 0 ? base : base + 10 + 2 * i;
		e->mtls_port = i == 0 ? base + 1 : base + 11 + 2 * i;
		snprintf(e->url, sizeof(e->url), "https://127.0.0.1:%d", e->port);
	}
	/* Two people, their cards registered through node 1's configuration, and the demo
	   agencies' data for them (pseudonyms), as th_seed_demo does for one mado. */
	for (i = 0; i < 2; i++) {
		struct th_person *q = p[i];

		if (th_card_issue(&env[0], q->card, "--key p256") != 0 ||
		    th_card_register(&env[0], q->card) != 0 ||
		    sql(q->id, sizeof(q->id),
			"SELECT person_id FROM portal.card_bindings ORDER BY id DESC LIMIT 1") < 0)
			return -1;
	}
	if (th_sh("psql -X -q -v ON_ERROR_STOP=1 '%s' -f '%s/sql/demo/agencies.sql' >/dev/null",
		  owner_url, MADO_SOURCE_DIR) != 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (sql(tax_pseudonyms[i], sizeof(tax_pseudonyms[i]),
			"SELECT pseudonym FROM portal.pseudonyms WHERE person_id = '%s'"
			" AND org_code = 'tax-office'",
			p[i]->id) < 0)
			return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	cluster("stop");
	if (getenv("MADOTEST_KEEP") == NULL)
		th_sh("rm -rf '%s'", dir);
	else
		fprintf(stderr, "cluster test: kept %s\n", dir);
	return 0;
}

/* Logs p in with its card on node i's TLS listener; the Origin is haproxy's, as the TLS
   login page a browser loaded through it sends. */
static void
login_on(int i, struct th_person *p)
{
	char cert[400], key[400], v[256], origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	struct th_resp r;
	cJSON *j;

	snprintf(origin, sizeof(origin), "Origin: https://localhost:%d", base + 1);
	th_card_file(&env[i], p->card, "crt", cert, sizeof(cert));
	th_card_file(&env[i], p->card, "key", key, sizeof(key));
	assert_int_equal(th_request(&env[i], &rq, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(th_header(&r, "Set-Cookie", v, sizeof(v)));
	snprintf(p->cookie, sizeof(p->cookie), "%.*s", (int)strcspn(v, ";"), v);
	assert_non_null(j = th_json(&r));
	snprintf(p->csrf, sizeof(p->csrf), "%s", th_jstr(j, "csrf_token"));
	assert_true(p->csrf[0] != '\0');
	cJSON_Delete(j);
	th_resp_free(&r);
}

static long
status_on(int i, const struct th_person *p, const char *method, const char *path)
{
	struct th_resp r;
	long st;

	assert_int_equal(th_person_http(&env[i], p, method, path, NULL, &r), 0);
	st = r.status;
	th_resp_free(&r);
	return st;
}

static void
test_session_on_every_node(void **state)
{
	int i;

	(void)state;
	login_on(1, &alice);
	for (i = 1; i <= NODES; i++) {
		assert_int_equal(status_on(i, &alice, "GET", "/api/v1/me/session"), 200);
		assert_int_equal(status_on(i, &alice, "GET", "/api/v1/me/access-log"), 200);
	}
	assert_int_equal(status_on(2, &alice, "GET", "/api/v1/me/sessions"), 200);
	/* Ended on node 3: refused on every node, and through haproxy, from then on. */
	assert_int_equal(status_on(3, &alice, "POST", "/api/v1/auth/logout"), 204);
	for (i = 0; i <= NODES; i++)
		assert_int_equal(status_on(i, &alice, "GET", "/api/v1/me/session"), 401);
	assert_int_equal(sql(NULL, 0,
			     "SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
			     " AND event = 'logout'",
			     alice.id),
			 1);
	/* A session made through haproxy works on each node. */
	login_on(0, &bob);
	for (i = 1; i <= NODES; i++)
		assert_int_equal(status_on(i, &bob, "GET", "/api/v1/me/session"), 200);
}

/* A login challenge on one node: its pre-login cookie into cookie. */
static void
challenge_on(int i, char *cookie, size_t len)
{
	char origin[96], v[256];
	const char *h[] = {origin, jsonct, NULL};
	struct th_resp r;

	snprintf(origin, sizeof(origin), "Origin: https://localhost:%d", base);
	assert_int_equal(th_http(&env[i], "POST", "/api/v1/auth/challenge", h, "", 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(th_header(&r, "Set-Cookie", v, sizeof(v)));
	snprintf(cookie, len, "Cookie: %.*s", (int)strcspn(v, ";"), v);
	th_resp_free(&r);
}

/* Failed logins from one address are counted in the database: a challenge taken on one
   node and a malformed token sent to the next, FAIL_MAX times round the nodes, and the
   address's next attempt is refused on any node. */
static void
test_failed_logins_across_nodes(void **state)
{
	static const char bad[] = "{\"format\":\"web-eid:1\"}";
	char origin[96], cookie[200];
	const char *h[] = {origin, jsonct, cookie, NULL};
	struct th_resp r;
	int i;

	(void)state;
	assert_true(sql(NULL, 0,
			"WITH d AS (DELETE FROM portal.auth_failures RETURNING 1) SELECT count(*) "
			"FROM d") >= 0);
	snprintf(origin, sizeof(origin), "Origin: https://localhost:%d", base);
	for (i = 0; i <= FAIL_MAX; i++) {
		challenge_on(1 + i % NODES, cookie, sizeof(cookie));
		assert_int_equal(th_http(&env[1 + (i + 1) % NODES], "POST", "/api/v1/auth/webeid",
					 h, bad, strlen(bad), &r),
				 0);
		if (i < FAIL_MAX)
			assert_int_equal(r.status, 400);
		else
			assert_int_equal(r.status, 429);
		th_resp_free(&r);
	}
}

/* public_rate_max counts a client's requests in the database: RATE_MAX challenges spread
   over the three nodes exhaust it, and the next one is refused on any node. */
static void
test_limit_across_nodes(void **state)
{
	char origin[96];
	const char *h[] = {origin, jsonct, NULL};
	struct th_resp r;
	int i, ok = 0, limited = 0;

	(void)state;
	/* A fresh count (the failed logins above took challenges too). */
	assert_true(sql(NULL, 0,
			"WITH d AS (DELETE FROM portal.auth_failures RETURNING 1) SELECT count(*) "
			"FROM d") >= 0);
	snprintf(origin, sizeof(origin), "Origin: https://localhost:%d", base);
	for (i = 0; i < RATE_MAX + NODES; i++) {
		assert_int_equal(
		    th_http(&env[1 + i % NODES], "POST", "/api/v1/auth/challenge", h, "", 0, &r),
		    0);
		if (r.status == 200)
			ok++;
		else if (r.status == 429 && strcmp(th_type(&r), "rate-limited") == 0)
			limited++;
		else
			fail_msg("challenge %d on node %d: %ld %s", i, 1 + i % NODES, r.status,
				 r.body);
		th_resp_free(&r);
	}
	/* No node allowed RATE_MAX of its own; together they allowed RATE_MAX. */
	assert_int_equal(ok, RATE_MAX);
	assert_int_equal(limited, NODES);
}

/* One server's line of haproxy's statistics (CSV): its status and sessions in total. */
struct srv_stat {
	char status[16];
	long total;
};

static size_t
grow(char *ptr, size_t size, size_t nmemb, void *ud)
{
	char **buf = ud;
	size_t old = *buf != NULL ? strlen(*buf) : 0, n = size * nmemb;
	char *b = realloc(*buf, old + n + 1);

	if (b == NULL)
		return 0;
	memcpy(b + old, ptr, n);
	b[old + n] = '\0';
	*buf = b;
	return n;
}

static int
srv_stat(const char *backend, const char *server, struct srv_stat *out)
{
	char url[128], prefix[64], *body = NULL, *line;
	CURL *c = curl_easy_init();
	int rc = -1;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/stats;csv", base + 2);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 5L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
	if (curl_easy_perform(c) == CURLE_OK && body != NULL) {
		snprintf(prefix, sizeof(prefix), "\n%s,%s,", backend, server);
		if ((line = strstr(body, prefix)) != NULL) {
			/* Fields: pxname,svname,qcur,qmax,scur,smax,slim,stot,...,status (18th). */
			char *f = line + 1, *next;
			int n;

			for (n = 1; n <= 18 && f != NULL; n++) {
				next = strchr(f, ',');
				if (n == 8)
					out->total = strtol(f, NULL, 10);
				if (n == 18 && next != NULL)
					snprintf(out->status, sizeof(out->status), "%.*s",
						 (int)(next - f), f);
				f = next != NULL ? next + 1 : NULL;
			}
			rc = 0;
		}
	}
	free(body);
	curl_easy_cleanup(c);
	return rc;
}

/* The backends of the nodes' read pools (application_name mado-read) on the replica
   whose last statement contains what. */
static long
read_backends(const char *what)
{
	return replica_sql("SELECT count(*) FROM pg_stat_activity WHERE application_name ="
			   " 'mado-read' AND query LIKE '%%%s%%'",
			   what);
}

/* db_read_url names the replica: the public statistics and registers (.stale_ok) are read
   there, by each node's read pool, and nothing of the primary's is; a person's own log
   is read on the primary, so an entry their read of their data wrote on one node is in
   their log on the next at once. */
static void
test_stale_reads_on_replica(void **state)
{
	char path[160];
	struct th_resp r;
	cJSON *j, *log, *e;
	double entry;
	int i;

	(void)state;
	assert_int_equal(replica_sql("SELECT pg_is_in_recovery()::int"), 1);
	for (i = 1; i <= NODES; i++) {
		assert_int_equal(th_http(&env[i], "GET", "/api/v1/transparency", NULL, NULL, 0, &r),
				 0);
		assert_int_equal(r.status, 200);
		th_resp_free(&r);
	}
	assert_int_equal(read_backends("portal.transparency("), NODES);
	assert_int_equal(th_http(&env[2], "GET", "/api/v1/registers", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	th_resp_free(&r);
	assert_int_equal(read_backends("DISTINCT ON (v.kind, v.key)"), 1);
	assert_int_equal(sql(NULL, 0,
			     "SELECT count(*) FROM pg_stat_activity WHERE application_name ="
			     " 'mado-read'"),
			 0);

	/* bob (logged in through haproxy by the first test) reads his data on node 1: entries
	   in his log, written on the primary; node 2 shows them to him straight away. The
	   cluster runs no data holders, so the read is recorded, then fails (holder-unavailable)
	   and its failure is recorded beside it: the newest entry. */
	snprintf(path, sizeof(path), "/api/v1/me/data?reply_key=%s", th_reply_key());
	assert_int_equal(th_person_http(&env[1], &bob, "GET", path, NULL, &r), 0);
	assert_int_equal(r.status, 503);
	assert_string_equal(th_type(&r), "holder-unavailable");
	assert_non_null(j = th_json(&r));
	assert_int_equal(sql(NULL, 0,
			     "SELECT count(*) FROM portal.access_events WHERE person_id = '%s'"
			     " AND event_id = '%s' AND channel = 'self' AND outcome = 'served'",
			     bob.id, th_jstr(j, "record")),
			 1);
	cJSON_Delete(j);
	th_resp_free(&r);
	entry = (double)sql(NULL, 0,
			    "SELECT max(id) FROM portal.access_events WHERE person_id = '%s'"
			    " AND channel = 'self' AND outcome = 'failed'",
			    bob.id);
	assert_true(entry > 0);
	assert_int_equal(th_person_http(&env[2], &bob, "GET",
					"/api/v1/me/access-log?channel=self&limit=1", NULL, &r),
			 0);
	assert_int_equal(r.status, 200);
	assert_non_null(log = th_json(&r));
	assert_non_null(e = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(log, "items"), 0));
	assert_true(cJSON_GetObjectItemCaseSensitive(e, "id")->valuedouble == entry);
	cJSON_Delete(log);
	th_resp_free(&r);
	assert_int_equal(read_backends("access_events"), 0);
}

static void
test_node_killed(void **state)
{
	struct srv_stat s = {{0}, 0}, after = {{0}, 0};
	struct th_resp r;
	double t0, took = -1;
	int i;

	(void)state;
	assert_int_equal(srv_stat("public", "node2", &s), 0);
	assert_string_equal(s.status, "UP");
	assert_int_equal(cluster("kill node2"), 0);
	t0 = now_s();
	while (now_s() - t0 < 15) {
		if (srv_stat("public", "node2", &s) == 0 && strncmp(s.status, "DOWN", 4) == 0) {
			took = now_s() - t0;
			break;
		}
		sleep_s(0.1);
	}
	print_message("node 2 killed: haproxy marked it DOWN after %.2f s\n", took);
	assert_true(took >= 0);
	assert_true(took <= CHECK_S + 1.5); /* two checks a second apart, and their timeout */
	/* From then on nothing goes to it, and every request through haproxy is answered. */
	for (i = 0; i < 30; i++) {
		assert_int_equal(th_http(&env[0], "GET", "/api/v1/about", NULL, NULL, 0, &r), 0);
		assert_int_equal(r.status, 200);
		th_resp_free(&r);
	}
	assert_int_equal(srv_stat("public", "node2", &after), 0);
	assert_int_equal(after.total, s.total);
}

/* --- the primary killed under a stream of access reports --- */

static atomic_bool stop;
static atomic_int next_batch;
static long batch_status[MAX_BATCH];
static atomic_long ok_after_kill, refused, unexpected;
static char first_unexpected[300];
static double killed_at, last_refused_at, first_ok_after_at;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static char *
report_body(int batch)
{
	return th_report_body("8c1a", batch, EVENTS, tax_pseudonyms[0], tax_pseudonyms[1]);
}

static void *
reporter(void *arg)
{
	const char *h[] = {jsonct, NULL};
	struct th_resp r;
	char type[128];
	int batch, rc;
	char *b;

	(void)arg;
	while (!atomic_load(&stop) && (batch = atomic_fetch_add(&next_batch, 1)) < MAX_BATCH) {
		struct th_req rq = {"POST", "/gw/v1/access-reports", h, NULL, 0, NULL, NULL, true};

		b = report_body(batch);
		rq.body = b;
		rq.len = strlen(b);
		th_org_cert(&env[0], "tax-office", &rq);
		rc = th_request(&env[0], &rq, &r);
		free(b);
		batch_status[batch] = rc == 0 ? r.status : 0;
		th_problem_type(&r, type, sizeof(type));
		pthread_mutex_lock(&mu);
		if (rc == 0 && r.status / 100 == 2) {
			if (killed_at > 0) {
				if (first_ok_after_at == 0)
					first_ok_after_at = now_s();
				ok_after_kill++;
			}
		} else if (rc == 0 && r.status == 503 &&
			   (strcmp(type, "urn:mado:problem:database-unavailable") == 0 ||
			    strcmp(type, "urn:mado:problem:access-record-failed") == 0)) {
			refused++;
			last_refused_at = now_s();
			first_ok_after_at = 0; /* the window ends at the last refusal */
		} else if (unexpected++ == 0) {
			snprintf(first_unexpected, sizeof(first_unexpected), "[%ld] %.200s",
				 rc == 0 ? r.status : 0, rc == 0 ? r.body : "(no answer)");
		}
		pthread_mutex_unlock(&mu);
		th_resp_free(&r);
	}
	return NULL;
}

/* The person reads their log through haproxy meanwhile: a page of entries, or a 503
   problem, never anything else. */
static atomic_long reads_ok, reads_refused;

static void *
reader(void *arg)
{
	struct th_resp r;
	char type[128];
	cJSON *j;
	int rc;

	(void)arg;
	while (!atomic_load(&stop)) {
		rc = th_person_http(&env[0], &bob, "GET", "/api/v1/me/access-log", NULL, &r);
		th_problem_type(&r, type, sizeof(type));
		j = rc == 0 && r.status == 200 ? th_json(&r) : NULL;
		if (j != NULL && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(j, "items"))) {
			reads_ok++;
		} else if (rc == 0 && r.status == 503 &&
			   strcmp(type, "urn:mado:problem:database-unavailable") == 0) {
			reads_refused++;
		} else {
			pthread_mutex_lock(&mu);
			if (unexpected++ == 0)
				snprintf(first_unexpected, sizeof(first_unexpected),
					 "read: [%ld] %.200s", rc == 0 ? r.status : 0,
					 rc == 0 ? r.body : "(no answer)");
			pthread_mutex_unlock(&mu);
		}
		cJSON_Delete(j);
		th_resp_free(&r);
	}
	return NULL;
}

static void
test_primary_killed(void **state)
{
	pthread_t th[CLIENTS], rd;
	long n, got;
	double t0;
	int i;

	(void)state;
	/* The replica is synchronous: a commit is acknowledged once it has it too. */
	assert_int_equal(
	    sql(NULL, 0, "SELECT count(*) FROM pg_stat_replication WHERE sync_state = 'sync'"), 1);
	th_http_timeout(30);
	for (i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, reporter, NULL), 0);
	assert_int_equal(pthread_create(&rd, NULL, reader, NULL), 0);
	sleep_s(3.0);
	pthread_mutex_lock(&mu);
	killed_at = now_s();
	pthread_mutex_unlock(&mu);
	assert_int_equal(cluster("kill primary"), 0);
	/* Reports go on until some have been acknowledged again for a while. */
	t0 = now_s();
	while (now_s() - t0 < FAILOVER_S && atomic_load(&ok_after_kill) < 20 * CLIENTS)
		sleep_s(0.2);
	atomic_store(&stop, true);
	for (i = 0; i < CLIENTS; i++)
		pthread_join(th[i], NULL);
	pthread_join(rd, NULL);
	print_message("the person's log read meanwhile: %ld pages, %ld refused with 503\n",
		      (long)atomic_load(&reads_ok), (long)atomic_load(&reads_refused));
	print_message("primary killed: %ld batches sent, %ld refused with 503, %ld acknowledged "
		      "after the kill; reports acknowledged again %.2f s after it\n",
		      (long)atomic_load(&next_batch), (long)atomic_load(&refused),
		      (long)atomic_load(&ok_after_kill),
		      first_ok_after_at > 0 ? first_ok_after_at - killed_at : -1.0);
	if (atomic_load(&unexpected) > 0)
		fail_msg("%ld answers neither 2xx nor a 503 problem, first: %s",
			 (long)atomic_load(&unexpected), first_unexpected);
	assert_true(atomic_load(&ok_after_kill) >= 20 * CLIENTS);
	assert_true(atomic_load(&reads_ok) > 0);
	/* The replica was promoted: the nodes' multi-host string finds it writable. */
	assert_int_equal(sql(NULL, 0, "SELECT pg_is_in_recovery()::int"), 0);

	/* Every acknowledged batch exactly once; none half-written. */
	n = atomic_load(&next_batch);
	if (n > MAX_BATCH)
		n = MAX_BATCH;
	for (i = 0; i < n; i++) {
		got = sql(NULL, 0,
			  "SELECT count(*) FROM portal.access_events WHERE org_code = 'tax-office'"
			  " AND event_id::text LIKE '00000000-0000-4000-8c1a-%08d%%'",
			  i);
		if (batch_status[i] / 100 == 2 && got != EVENTS)
			fail_msg("report batch %d was answered %ld but has %ld of %d events", i,
				 batch_status[i], got, EVENTS);
		if (got != 0 && got != EVENTS)
			fail_msg("report batch %d is half-written: %ld of %d events", i, got,
				 EVENTS);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_session_on_every_node),
	    cmocka_unit_test(test_failed_logins_across_nodes),
	    cmocka_unit_test(test_limit_across_nodes),
	    cmocka_unit_test(test_stale_reads_on_replica),
	    cmocka_unit_test(test_node_killed),
	    cmocka_unit_test(test_primary_killed),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
