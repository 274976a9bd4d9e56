/*
 * Integration harness. PostgreSQL and mado run as direct children with a parent-death
 * signal, so a crashed or timed-out test never leaves a server behind.
 */
#define _GNU_SOURCE /* getgrouplist, setgroups, unshare */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <libpq-fe.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/time.h>

#include "harness.h"
#include "mado/seal.h"

#ifndef MADO_SOURCE_DIR
#error "MADO_SOURCE_DIR must name the source tree"
#endif
#ifndef MADO_BINARY
#error "MADO_BINARY must name the mado executable"
#endif
#ifndef MADO_CARD_BINARY
#error "MADO_CARD_BINARY must name the mado-card executable"
#endif

#define START_TIMEOUT_MS 30000

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

int
th_sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

int
th_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd, port = -1;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
print_file(const char *what, const char *path)
{
	char line[1024];
	FILE *f;

	if ((f = fopen(path, "r")) == NULL)
		return;
	fprintf(stderr, "---- %s (%s) ----\n", what, path);
	while (fgets(line, sizeof(line), f) != NULL)
		fputs(line, stderr);
	fprintf(stderr, "---- end ----\n");
	fclose(f);
}

/* Forks a child that dies with us, with stdout and stderr sent to logpath. */
static pid_t
spawn(char *const argv[], const char *logpath, bool as_cluster_owner)
{
	struct passwd pwbuf, *pw = NULL;
	char strs[1024];
	gid_t groups[64];
	int fd, ngroups = (int)(sizeof(groups) / sizeof(groups[0]));
	pid_t pid, parent = getpid();

	if (as_cluster_owner && geteuid() == 0 &&
	    (getpwnam_r("mado", &pwbuf, strs, sizeof(strs), &pw) != 0 || pw == NULL ||
	     getgrouplist("mado", pw->pw_gid, groups, &ngroups) < 0)) {
		fprintf(stderr, "harness: user mado is missing (run scripts/setup)\n");
		return -1;
	}
	/* Tests spawn while their client threads run: between fork and exec the child makes
	   system calls only, since a lock another thread held at the fork (the allocator's,
	   NSS's) stays held in the child forever. So the groups are looked up above. */
	if ((pid = fork()) != 0)
		return pid;
	if ((fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		close(fd);
	}
	if (pw != NULL && (setgid(pw->pw_gid) != 0 || setgroups((size_t)ngroups, groups) != 0 ||
			   setuid(pw->pw_uid) != 0))
		_exit(126);
	/* After the uid change: changing credentials clears the parent-death signal. */
	prctl(PR_SET_PDEATHSIG, SIGINT);
	if (getppid() != parent)
		_exit(125);
	execv(argv[0], argv);
	_exit(127);
}

static int
stop_child(pid_t *pid, int sig)
{
	int st, i;

	if (*pid <= 0)
		return 0;
	kill(*pid, sig);
	for (i = 0; i < 300; i++) {
		if (waitpid(*pid, &st, WNOHANG) == *pid) {
			*pid = 0;
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		}
		sleep_ms(50);
	}
	kill(*pid, SIGKILL);
	waitpid(*pid, &st, 0);
	*pid = 0;
	return -1;
}

int
th_pg_start(struct th_env *e)
{
	char bin[512], data[400], conninfo[512];
	char *argv[] = {bin, "-D", data, NULL};
	FILE *p;
	int i;

	if ((p = popen(MADO_SOURCE_DIR "/scripts/pgcluster bindir", "r")) == NULL ||
	    fgets(bin, sizeof(bin) - 16, p) == NULL) {
		if (p != NULL)
			pclose(p);
		return -1;
	}
	pclose(p);
	bin[strcspn(bin, "\n")] = '\0';
	strcat(bin, "/postgres");
	snprintf(data, sizeof(data), "%s/data", e->pgdir);
	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 dbname=mado user=postgres",
		 e->pgdir);
	if ((e->pg_pid = spawn(argv, e->pglog, true)) < 0)
		return -1;
	for (i = 0; i < START_TIMEOUT_MS / 50; i++) {
		if (PQping(conninfo) == PQPING_OK)
			return 0;
		if (waitpid(e->pg_pid, NULL, WNOHANG) == e->pg_pid) {
			e->pg_pid = 0;
			break;
		}
		sleep_ms(50);
	}
	print_file("postgres log", e->pglog);
	return -1;
}

int
th_pg_stop(struct th_env *e)
{
	/* SIGINT is PostgreSQL's fast shutdown: sessions end, nothing is lost. */
	return stop_child(&e->pg_pid, SIGINT) == 0 ? 0 : -1;
}

int
th_mado_start(struct th_env *e)
{
	char *argv[] = {MADO_BINARY, "serve", "--config", e->conf, NULL};
	struct th_req mtls = {"GET", "/healthz", NULL, NULL, 0, NULL, NULL, true};
	struct th_resp r;
	int i;

	if ((e->mado_pid = spawn(argv, e->log, false)) < 0)
		return -1;
	for (i = 0; i < START_TIMEOUT_MS / 50; i++) {
		if (waitpid(e->mado_pid, NULL, WNOHANG) == e->mado_pid) {
			e->mado_pid = 0;
			break;
		}
		if (th_http(e, "GET", "/healthz", NULL, NULL, 0, &r) == 0 && r.status == 200) {
			th_resp_free(&r);
			/* The TLS login listener starts after the main one: wait for it too. */
			if (e->mtls_port == 0 ||
			    (th_request(e, &mtls, &r) == 0 && r.status == 200)) {
				th_resp_free(&r);
				return 0;
			}
		}
		th_resp_free(&r);
		sleep_ms(50);
	}
	print_file("mado log", e->log);
	th_mado_stop(e);
	return -1;
}

const char *
th_libfaketime(void)
{
	static const char *const libs[] = {
	    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
	    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
	    "/usr/lib/faketime/libfaketime.so.1",
	};
	size_t i;

	for (i = 0; i < sizeof(libs) / sizeof(libs[0]); i++)
		if (access(libs[i], R_OK) == 0)
			return libs[i];
	return NULL;
}

int
th_mado_start_faked(struct th_env *e, const char *faketime)
{
	const char *lib = th_libfaketime();
	int rc;

	if (lib == NULL) {
		fprintf(stderr, "harness: libfaketime is missing (scripts/setup installs it)\n");
		return -1;
	}
	setenv("LD_PRELOAD", lib, 1);
	setenv("FAKETIME", faketime, 1);
	setenv("FAKETIME_DONT_FAKE_MONOTONIC", "1", 1);
	/* ASan must not insist on being first; leaks are checked in unfaked runs. */
	setenv("ASAN_OPTIONS", "verify_asan_link_order=0:detect_leaks=0", 1);
	rc = th_mado_start(e);
	unsetenv("LD_PRELOAD");
	unsetenv("FAKETIME");
	unsetenv("FAKETIME_DONT_FAKE_MONOTONIC");
	return rc;
}

int
th_mado_stop(struct th_env *e)
{
	return stop_child(&e->mado_pid, SIGTERM);
}

int
th_mado_cmd(struct th_env *e, const char *args, char **out)
{
	char cmd[1024], path[400];
	size_t len = 0, n;
	char buf[4096];
	FILE *f;
	int st;

	snprintf(path, sizeof(path), "%s/cmd.out", e->dir);
	snprintf(cmd, sizeof(cmd), "'%s' %s --config '%s' >'%s' 2>&1", MADO_BINARY, args, e->conf,
		 path);
	st = th_sh("%s", cmd);
	if (out != NULL) {
		*out = calloc(1, 1);
		if ((f = fopen(path, "r")) != NULL) {
			while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
				char *nb = realloc(*out, len + n + 1);
				if (nb == NULL)
					break;
				*out = nb;
				memcpy(*out + len, buf, n);
				len += n;
				(*out)[len] = '\0';
			}
			fclose(f);
		}
	}
	return st;
}

static int
write_config(struct th_env *e, const char *extra)
{
	FILE *f;

	if ((f = fopen(e->conf, "w")) == NULL)
		return -1;
	fprintf(f,
		"# written by the test harness\n"
		"listen = 127.0.0.1:%d\n"
		"tls_cert = %s\n"
		"public_origin = https://localhost:%d\n"
		"web_root = %s/web\n"
		"migrations_dir = %s/sql/migrations\n"
		"db_url = host=%s/run port=5432 dbname=mado user=mado_app\n"
		"db_migrate_url = host=%s/run port=5432 dbname=mado user=postgres\n"
		"db_pool_size = 8\n"
		"db_wait_ms = 1000\n"
		"threads = 32\n"
		"# tests make many requests from one address; those of limits lower it\n"
		"public_rate_max = 1000000\n"
		"%s\n",
		e->port, e->cert, e->port, MADO_SOURCE_DIR, MADO_SOURCE_DIR, e->pgdir, e->pgdir,
		extra != NULL ? extra : "");
	return fclose(f);
}

static int setup(struct th_env *e, const char *extra_conf, bool cards, bool orgs);

int
th_setup(struct th_env *e, const char *extra_conf)
{
	return setup(e, extra_conf, false, false);
}

int
th_setup_cards(struct th_env *e, const char *extra_conf)
{
	return setup(e, extra_conf, true, false);
}

int
th_setup_access(struct th_env *e, const char *extra_conf)
{
	return setup(e, extra_conf, true, true) == 0 ? th_seed_demo(e) : -1;
}

static bool
port_answers(int port)
{
	struct sockaddr_in sa;
	bool ok;
	int fd;

	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

int
th_ocsp_start(struct th_env *e, const char *args)
{
	char listen[64], log[400];
	char *argv[12];
	char copy[256];
	int n = 0, i;
	char *tok, *save = NULL;

	th_ocsp_stop(e);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", e->ocsp_port);
	snprintf(log, sizeof(log), "%s/ocsp.log", e->dir);
	argv[n++] = MADO_CARD_BINARY;
	argv[n++] = "ocsp-serve";
	argv[n++] = e->ca_dir;
	argv[n++] = "--listen";
	argv[n++] = listen;
	snprintf(copy, sizeof(copy), "%s", args != NULL ? args : "");
	for (tok = strtok_r(copy, " ", &save); tok != NULL && n < 11;
	     tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if ((e->ocsp_pid = spawn(argv, log, false)) < 0)
		return -1;
	/* Up when it accepts a connection. */
	for (i = 0; i < 200; i++) {
		if (port_answers(e->ocsp_port))
			return 0;
		sleep_ms(25);
	}
	return -1;
}

int
th_ocsp_stop(struct th_env *e)
{
	return stop_child(&e->ocsp_pid, SIGTERM) < 0 ? -1 : 0;
}

static int
setup_cards(struct th_env *e)
{
	snprintf(e->ca_dir, sizeof(e->ca_dir), "%s/ca", e->dir);
	snprintf(e->trust_dir, sizeof(e->trust_dir), "%s/trust", e->dir);
	e->ocsp_port = th_free_port();
	e->mtls_port = th_free_port();
	if (th_sh("'%s' init '%s' --ocsp-url http://127.0.0.1:%d/ocsp >/dev/null && mkdir -p "
		  "'%s' && cp '%s/ca.crt' '%s/'",
		  MADO_CARD_BINARY, e->ca_dir, e->ocsp_port, e->trust_dir, e->ca_dir,
		  e->trust_dir) != 0)
		return -1;
	return th_ocsp_start(e, NULL);
}

static int setup_orgs(struct th_env *e);

static int
setup(struct th_env *e, const char *extra_conf, bool cards, bool orgs)
{
	char tmpl[] = "/tmp/mado-test-XXXXXX";
	char *out = NULL, *conf = NULL;
	size_t len = 0;
	FILE *m;

	memset(e, 0, sizeof(*e));
	signal(SIGPIPE, SIG_IGN);
	if (mkdtemp(tmpl) == NULL)
		return -1;
	chmod(tmpl, 0755); /* the cluster's owner must reach its directory inside */
	snprintf(e->dir, sizeof(e->dir), "%s", tmpl);
	snprintf(e->pgdir, sizeof(e->pgdir), "%s/pg", e->dir);
	snprintf(e->conf, sizeof(e->conf), "%s/mado.conf", e->dir);
	snprintf(e->cert, sizeof(e->cert), "%s/server.pem", e->dir);
	snprintf(e->ca, sizeof(e->ca), "%s/server.crt", e->dir);
	snprintf(e->log, sizeof(e->log), "%s/mado.log", e->dir);
	snprintf(e->pglog, sizeof(e->pglog), "%s/postgres.log", e->dir);
	e->port = th_free_port();
	snprintf(e->url, sizeof(e->url), "https://127.0.0.1:%d", e->port);

	if (th_sh("'%s/scripts/pgcluster' init '%s' --throwaway", MADO_SOURCE_DIR, e->pgdir) != 0) {
		fprintf(stderr, "harness: pgcluster init failed\n");
		return -1;
	}
	/* The server certificate is made by the openssl command line, not by our code. */
	if (th_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
		  "-keyout '%s/server.key' -out '%s' -days 2 -subj /CN=localhost "
		  "-addext subjectAltName=DNS:localhost,IP:127.0.0.1 >/dev/null 2>&1 && "
		  "cat '%s/server.key' '%s' > '%s'",
		  e->dir, e->ca, e->dir, e->ca, e->cert) != 0) {
		fprintf(stderr, "harness: cannot make a server certificate\n");
		return -1;
	}
	snprintf(e->origin, sizeof(e->origin), "https://localhost:%d", e->port);
	if (cards && setup_cards(e) != 0) {
		fprintf(stderr, "harness: cannot set up the card CA and its responder\n");
		return -1;
	}
	if (orgs && setup_orgs(e) != 0) {
		fprintf(stderr, "harness: cannot set up the organisation CA\n");
		return -1;
	}
	if ((m = open_memstream(&conf, &len)) == NULL)
		return -1;
	if (cards)
		fprintf(m,
			"card_trust_dir = %s\nmtls_listen = 127.0.0.1:%d\n"
			"card_ocsp_cache_max_s = 1\ncard_recheck_s = 1\n"
			"card_ocsp_timeout_ms = 2000\n"
			"login_fail_max_addr = 1000\n",
			e->trust_dir, e->mtls_port);
	if (orgs)
		fprintf(m,
			"org_trust_dir = %s\norg_revocation = off\nconsent_receipt_key = "
			"%s/receipt.key\noperator_cert = %s/orgs/cards/operator.crt\n"
			"ticket_key = %s/ticket.key\nrelay_cert = %s/orgs/cards/mado-relay.crt\n"
			"relay_key = %s/orgs/cards/mado-relay.key\nrelay_ca = %s/holders/ca.pem\n"
			/* A sanitized holder on a loaded machine may take longer than 2 s; a
			   holder that is down is refused at once either way. */
			"relay_timeout_ms = 10000\n",
			e->org_trust_dir, e->dir, e->dir, e->dir, e->dir, e->dir, e->dir);
	fprintf(m, "%s", extra_conf != NULL ? extra_conf : "");
	fclose(m);
	if (write_config(e, conf) != 0 || th_pg_start(e) != 0) {
		free(conf);
		fprintf(stderr, "harness: PostgreSQL did not start\n");
		return -1;
	}
	free(conf);
	if (th_mado_cmd(e, "migrate", &out) != 0) {
		fprintf(stderr, "harness: mado migrate failed:\n%s\n", out != NULL ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return th_mado_start(e);
}

void
th_teardown(struct th_env *e)
{
	int i;

	for (i = 0; th_holder_orgs[i] != NULL; i++)
		th_holder_stop(e, i);
	th_ocsp_stop(e);
	th_mado_stop(e);
	th_pg_stop(e);
	if (e->pg_wal_tmpfs[0] != '\0' && umount2(e->pg_wal_tmpfs, MNT_DETACH) != 0)
		fprintf(stderr, "harness: cannot unmount %s: %s\n", e->pg_wal_tmpfs,
			strerror(errno));
	if (e->pg_tmpfs[0] != '\0' && umount2(e->pg_tmpfs, MNT_DETACH) != 0)
		fprintf(stderr, "harness: cannot unmount %s: %s\n", e->pg_tmpfs, strerror(errno));
	e->pg_tmpfs[0] = e->pg_wal_tmpfs[0] = '\0';
	if (e->dir[0] != '\0' && getenv("MADOTEST_KEEP") == NULL)
		th_sh("rm -rf '%s'", e->dir);
}

struct grow {
	char *buf;
	size_t len, cap;
};

/* Doubling: a large body (a whole log's export) would otherwise be copied once for every
   piece received, which under the sanitizers takes minutes. */
static size_t
grow_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct grow *g = ud;
	size_t n = size * nmemb, cap = g->cap > 0 ? g->cap : 4096;
	char *nb;

	while (cap < g->len + n + 1)
		cap *= 2;
	if (cap != g->cap) {
		if ((nb = realloc(g->buf, cap)) == NULL)
			return 0;
		g->buf = nb;
		g->cap = cap;
	}
	memcpy(g->buf + g->len, ptr, n);
	g->len += n;
	g->buf[g->len] = '\0';
	return n;
}

/* Keeps only the last response's headers (after a 100 Continue, for instance). */
static size_t
header_cb(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct grow *g = ud;

	if (size * nmemb >= 5 && strncmp(ptr, "HTTP/", 5) == 0)
		g->len = 0;
	return grow_cb(ptr, size, nmemb, ud);
}

int
th_http(const struct th_env *e, const char *method, const char *path, const char *const *headers,
	const char *body, size_t len, struct th_resp *out)
{
	struct th_req rq = {method, path, headers, body, len, NULL, NULL, false};

	return th_request(e, &rq, out);
}

static long http_timeout_s = 20;

long
th_http_timeout(long seconds)
{
	long old = http_timeout_s;

	http_timeout_s = seconds;
	return old;
}

int
th_request(const struct th_env *e, const struct th_req *rq, struct th_resp *out)
{
	const char *method = rq->method, *body = rq->body;
	const char *const *headers = rq->headers;
	size_t len = rq->len;
	struct grow b = {0}, h = {0};
	struct curl_slist *hl = NULL;
	char url[1024], why[512];
	CURLcode cc;
	CURL *c;

	memset(out, 0, sizeof(*out));
	if ((c = curl_easy_init()) == NULL)
		return -1;
	if (rq->mtls)
		snprintf(url, sizeof(url), "https://127.0.0.1:%d%s", e->mtls_port, rq->path);
	else
		snprintf(url, sizeof(url), "%s%s", e->url, rq->path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (rq->cert != NULL) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, rq->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, rq->key);
	}
	curl_easy_setopt(c, CURLOPT_CAINFO, e->ca);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L); /* 127.0.0.1 is in the SAN anyway */
	curl_easy_setopt(c, CURLOPT_TIMEOUT, http_timeout_s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, grow_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &h);
	for (; headers != NULL && *headers != NULL; headers++)
		hl = curl_slist_append(hl, *headers);
	hl = curl_slist_append(hl, "Expect:"); /* no 100-continue round trip */
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	if (body != NULL) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
		curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &out->seconds);
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	out->body = b.buf != NULL ? b.buf : calloc(1, 1);
	out->len = b.len;
	out->headers = h.buf != NULL ? h.buf : calloc(1, 1);
	/* An answer the document does not describe stops the run, whichever test met it. */
	if (cc == CURLE_OK && th_apidoc_check(method, rq->path, out, why, sizeof(why)) != 0) {
		fprintf(stderr,
			"harness: %s %s answered %ld, which web/openapi.json does not "
			"describe: %s\n",
			method, rq->path, out->status, why);
		abort();
	}
	return cc == CURLE_OK ? 0 : -1;
}

void
th_resp_free(struct th_resp *r)
{
	free(r->body);
	free(r->headers);
	memset(r, 0, sizeof(*r));
}

const char *
th_header(const struct th_resp *r, const char *name, char *buf, size_t len)
{
	const char *p = r->headers, *eol, *v;
	size_t n = strlen(name), vl;

	while (p != NULL && *p != '\0') {
		eol = strstr(p, "\r\n");
		if (eol == NULL)
			eol = p + strlen(p);
		if ((size_t)(eol - p) > n && strncasecmp(p, name, n) == 0 && p[n] == ':') {
			v = p + n + 1;
			while (*v == ' ')
				v++;
			vl = (size_t)(eol - v);
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = *eol != '\0' ? eol + 2 : eol;
	}
	return NULL;
}

cJSON *
th_json(const struct th_resp *r)
{
	return r->body != NULL ? cJSON_ParseWithLength(r->body, r->len) : NULL;
}

const char *
th_problem_type(const struct th_resp *r, char *buf, size_t len)
{
	cJSON *j = th_json(r);
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(j, "type");

	snprintf(buf, len, "%s", cJSON_IsString(t) ? t->valuestring : "");
	cJSON_Delete(j);
	return buf;
}

int
th_tlog_witness(const char *dir, char *vkey, size_t len)
{
	char path[600];
	FILE *f;
	int ok;

	if (th_sh("mkdir -p '%s/witness' && '%s' keygen --key '%s/witness.key' --name "
		  "witness.test >'%s/witness.vkey'",
		  dir, MADO_WITNESS_BINARY, dir, dir) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/witness.vkey", dir);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	ok = fgets(vkey, (int)len, f) != NULL;
	fclose(f);
	if (!ok)
		return -1;
	vkey[strcspn(vkey, "\r\n")] = '\0';
	snprintf(path, sizeof(path), "%s/witness.sh", dir);
	if ((f = fopen(path, "w")) == NULL)
		return -1;
	fprintf(f,
		"#!/bin/sh\nexec '%s' cosign --key '%s/witness.key' --name witness.test --state "
		"'%s/witness' --log-key \"$(cat '%s/log.vkey')\" \"$@\"\n",
		MADO_WITNESS_BINARY, dir, dir, dir);
	if (fclose(f) != 0)
		return -1;
	return chmod(path, 0755);
}

int
th_conf_append(struct th_env *e, const char *line)
{
	FILE *f;

	if ((f = fopen(e->conf, "a")) == NULL)
		return -1;
	fprintf(f, "%s\n", line);
	return fclose(f);
}

struct th_conn {
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
};

struct th_conn *
th_conn_open(const struct th_env *e)
{
	struct th_conn *c = calloc(1, sizeof(*c));
	struct sockaddr_in sa;

	if (c == NULL)
		return NULL;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)e->port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((c->fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    (c->ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    (c->ssl = SSL_new(c->ctx)) == NULL || SSL_set_fd(c->ssl, c->fd) != 1 ||
	    SSL_connect(c->ssl) != 1) {
		th_conn_close(c);
		return NULL;
	}
	return c;
}

int
th_conn_send(struct th_conn *c, const void *data, size_t len)
{
	return len == 0 || SSL_write(c->ssl, data, (int)len) == (int)len ? 0 : -1;
}

int
th_conn_send_records(struct th_conn *c, const char *const *parts, size_t n)
{
	int on = 1, off = 0, rc = 0;
	size_t i;

	if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &on, sizeof(on)) != 0)
		return -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = th_conn_send(c, parts[i], strlen(parts[i]));
	if (setsockopt(c->fd, IPPROTO_TCP, TCP_CORK, &off, sizeof(off)) != 0)
		rc = -1;
	return rc;
}

char *
th_conn_read(struct th_conn *c, int timeout_ms)
{
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	struct grow g = {0};
	char buf[4096];
	int n;

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = SSL_read(c->ssl, buf, sizeof(buf))) > 0)
		grow_cb(buf, 1, (size_t)n, &g);
	return g.buf != NULL ? g.buf : calloc(1, 1);
}

void
th_conn_close(struct th_conn *c)
{
	if (c == NULL)
		return;
	SSL_free(c->ssl);
	SSL_CTX_free(c->ctx);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
}

char *
th_raw(const struct th_env *e, const char *req, size_t len, int timeout_ms)
{
	struct th_conn *c = th_conn_open(e);
	char *out;

	if (c == NULL)
		return calloc(1, 1);
	out = th_conn_send(c, req, len) == 0 ? th_conn_read(c, timeout_ms) : calloc(1, 1);
	th_conn_close(c);
	return out;
}

/* Runs sql as the superuser; with buf, copies a one-row result's first value into it. */
static long
sql_run(const struct th_env *e, const char *db, const char *sql, char *buf, size_t len)
{
	char conninfo[512];
	PGconn *c;
	PGresult *r;
	long v = -1;

	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 dbname=%s user=postgres",
		 e->pgdir, db);
	c = PQconnectdb(conninfo);
	r = PQstatus(c) == CONNECTION_OK ? PQexec(c, sql) : NULL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		v = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		if (buf != NULL) {
			snprintf(buf, len, "%s", PQgetvalue(r, 0, 0));
			v = 0;
		}
	} else if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK) {
		v = buf != NULL ? -1 : strtol(PQcmdTuples(r), NULL, 10);
	} else {
		fprintf(stderr, "harness: %s: %s", sql, PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return v;
}

long
th_sql(const struct th_env *e, const char *fmt, ...)
{
	char sql[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	return sql_run(e, "mado", sql, NULL, 0);
}

int
th_sql_str(const struct th_env *e, char *buf, size_t len, const char *fmt, ...)
{
	char sql[8192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	buf[0] = '\0';
	return (int)sql_run(e, "mado", sql, buf, len);
}

/* The demo organisations (sql/demo/agencies.sql), each with a client certificate. */
static const char *const demo_orgs[] = {"residents-registry",
					"tax-office",
					"pension-service",
					"health-insurer",
					"city-welfare",
					"welfare-it",
					"police",
					"data-commission",
					"kakeibo-app",
					"sakura-bank",
					NULL};

/* The demo support desk's staff and the supervisor's: a certificate each from the
   organisation CA. */
static const struct {
	const char *name, *org, *role;
} demo_staff[] = {{"desk-clerk", "city-desk", "clerk"},
		  {"desk-lead", "city-desk", "desk-lead"},
		  {"supervisor-a", "data-commission", "supervisor"},
		  {"supervisor-b", "data-commission", "supervisor"},
		  {NULL, NULL, NULL}};

static int
setup_orgs(struct th_env *e)
{
	size_t i;

	snprintf(e->org_dir, sizeof(e->org_dir), "%s/orgs", e->dir);
	snprintf(e->org_trust_dir, sizeof(e->org_trust_dir), "%s/org-trust", e->dir);
	if (th_sh("'%s' init '%s' >/dev/null && mkdir -p '%s' && cp '%s/ca.crt' '%s/'",
		  MADO_CARD_BINARY, e->org_dir, e->org_trust_dir, e->org_dir,
		  e->org_trust_dir) != 0)
		return -1;
	/* The consent receipts' and the access tickets' signing keys, made by the openssl
	   command line; the holders' TLS certificates, self-signed, each its own. */
	if (th_sh("openssl genpkey -algorithm ed25519 -out '%s/receipt.key' 2>/dev/null", e->dir) !=
		0 ||
	    th_sh("openssl genpkey -algorithm ed25519 -out '%s/ticket.key' 2>/dev/null && "
		  "openssl pkey -in '%s/ticket.key' -pubout -out '%s/ticket.pub' 2>/dev/null",
		  e->dir, e->dir, e->dir) != 0 ||
	    th_sh("'%s' issue '%s' mado-relay --key p256 --eku clientauth --policy none >/dev/null",
		  MADO_CARD_BINARY, e->org_dir) != 0 ||
	    th_sh("mkdir -p '%s/holders' && : > '%s/holders/ca.pem'", e->dir, e->dir) != 0)
		return -1;
	for (i = 0; th_holder_orgs[i] != NULL; i++)
		if (th_sh("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes "
			  "-keyout '%s/holders/%s.key' -out '%s/holders/%s.crt' -days 2 "
			  "-subj /CN=%s -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 && "
			  "cat '%s/holders/%s.crt' >> '%s/holders/ca.pem'",
			  e->dir, th_holder_orgs[i], e->dir, th_holder_orgs[i], th_holder_orgs[i],
			  e->dir, th_holder_orgs[i], e->dir) != 0)
			return -1;
	for (i = 0; demo_orgs[i] != NULL; i++)
		if (th_sh("'%s' issue '%s' %s --key p256 --eku clientauth --policy none >/dev/null",
			  MADO_CARD_BINARY, e->org_dir, demo_orgs[i]) != 0)
			return -1;
	/* Staff of the demo support desk (bound by th_seed_demo). */
	for (i = 0; demo_staff[i].name != NULL; i++)
		if (th_sh("'%s' issue '%s' %s --key p256 --eku clientauth --policy none >/dev/null",
			  MADO_CARD_BINARY, e->org_dir, demo_staff[i].name) != 0)
			return -1;
	/* The operator, who proposes register changes (operator_cert). */
	if (th_sh("'%s' issue '%s' operator --key p256 --eku clientauth --policy none >/dev/null",
		  MADO_CARD_BINARY, e->org_dir) != 0)
		return -1;
	/* A certificate from the organisation CA that no organisation registered. */
	return th_sh("'%s' issue '%s' unbound --key p256 --eku clientauth --policy none >/dev/null",
		     MADO_CARD_BINARY, e->org_dir);
}

int
th_setup_people(struct th_env *e, struct th_person *const *people, bool login)
{
	struct th_person *const *p;

	if (th_setup_access(e, NULL) != 0)
		return -1;
	for (p = people; *p != NULL; p++)
		if (th_person_make(e, *p) != 0)
			return -1;
	if (th_seed_demo(e) != 0)
		return -1;
	for (p = people; login && *p != NULL; p++)
		if (th_person_login(e, *p) != 0)
			return -1;
	return 0;
}

int
th_group_teardown(void **state)
{
	if (*state != NULL)
		th_teardown(*state);
	return 0;
}

const char *const th_holder_orgs[] = {"residents-registry", "tax-office",   "pension-service",
				      "health-insurer",     "city-welfare", NULL};

int
th_holder_index(const char *org)
{
	int i;

	for (i = 0; th_holder_orgs[i] != NULL; i++)
		if (strcmp(th_holder_orgs[i], org) == 0)
			return i;
	return -1;
}

/* holder_tax_office for tax-office. */
static void
holder_db(const char *org, char *out, size_t len)
{
	size_t i;

	snprintf(out, len, "holder_%s", org);
	for (i = 0; out[i] != '\0'; i++)
		if (out[i] == '-')
			out[i] = '_';
}

int
th_holder_stop(struct th_env *e, int i)
{
	return stop_child(&e->holder_pid[i], SIGTERM) < 0 ? -1 : 0;
}

int
th_holder_start(struct th_env *e, int i)
{
	char org[48], db[64], conninfo[512], listen[64], cert[400], key[400], ca[400], mkey[400];
	char log[400];
	char *argv[20];
	int n = 0, k;

	th_holder_stop(e, i);
	snprintf(org, sizeof(org), "%s", th_holder_orgs[i]);
	if (e->holder_port[i] == 0)
		e->holder_port[i] = th_free_port();
	holder_db(org, db, sizeof(db));
	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 user=postgres dbname=%s",
		 e->pgdir, db);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", e->holder_port[i]);
	snprintf(cert, sizeof(cert), "%s/holders/%s.crt", e->dir, org);
	snprintf(key, sizeof(key), "%s/holders/%s.key", e->dir, org);
	snprintf(ca, sizeof(ca), "%s/ca.crt", e->org_dir);
	snprintf(mkey, sizeof(mkey), "%s/ticket.pub", e->dir);
	snprintf(log, sizeof(log), "%s/holder-%s.log", e->dir, org);
	argv[n++] = MADO_HOLDER_BINARY;
	argv[n++] = "serve";
	argv[n++] = "--org";
	argv[n++] = org;
	argv[n++] = "--db";
	argv[n++] = conninfo;
	argv[n++] = "--listen";
	argv[n++] = listen;
	argv[n++] = "--cert";
	argv[n++] = cert;
	argv[n++] = "--key";
	argv[n++] = key;
	argv[n++] = "--ca";
	argv[n++] = ca;
	argv[n++] = "--mado-key";
	argv[n++] = mkey;
	argv[n] = NULL;
	if ((e->holder_pid[i] = spawn(argv, log, false)) < 0)
		return -1;
	for (k = 0; k < 400; k++) {
		if (port_answers(e->holder_port[i]))
			return 0;
		sleep_ms(25);
	}
	fprintf(stderr, "harness: the holder of %s did not start (see %s)\n", org, log);
	return -1;
}

static long
holder_sql_v(const struct th_env *e, const char *org, char *buf, size_t len, const char *fmt,
	     va_list ap)
{
	char sql[8192], db[64];

	holder_db(org, db, sizeof(db));
	vsnprintf(sql, sizeof(sql), fmt, ap);
	return sql_run(e, db, sql, buf, len);
}

long
th_holder_sql(const struct th_env *e, const char *org, const char *fmt, ...)
{
	va_list ap;
	long v;

	va_start(ap, fmt);
	v = holder_sql_v(e, org, NULL, 0, fmt, ap);
	va_end(ap);
	return v;
}

int
th_holder_sql_str(const struct th_env *e, const char *org, char *buf, size_t len, const char *fmt,
		  ...)
{
	va_list ap;
	long v;

	buf[0] = '\0';
	va_start(ap, fmt);
	v = holder_sql_v(e, org, buf, len, fmt, ap);
	va_end(ap);
	return (int)v;
}

/* The holders' databases, made and started once; then, every time, the demo values of
   people registered since, keyed by each holder's own pseudonyms (sql/holder/demo.sql). */
static int
holders_seed(struct th_env *e)
{
	char db[64], line[600], *out = NULL;
	int i;

	for (i = 0; th_holder_orgs[i] != NULL; i++) {
		holder_db(th_holder_orgs[i], db, sizeof(db));
		if (!e->holders_up &&
		    (th_sh("psql -X -q -h '%s/run' -p 5432 -U postgres -d mado -c 'CREATE DATABASE "
			   "%s' >/dev/null && psql -X -q -v ON_ERROR_STOP=1 -h '%s/run' -p 5432 -U "
			   "postgres -d %s -f '%s/sql/holder/schema.sql' >/dev/null",
			   e->pgdir, db, e->pgdir, db, MADO_SOURCE_DIR) != 0 ||
		     th_holder_start(e, i) != 0))
			return -1;
		if (th_sh("psql -X -q -At -h '%s/run' -p 5432 -U postgres -d mado -c \"SELECT "
			  "pseudonym FROM portal.pseudonyms WHERE org_code = '%s'\" | psql -X -q "
			  "-v ON_ERROR_STOP=1 -v org=%s -h '%s/run' -p 5432 -U postgres -d %s -c "
			  "'CREATE TEMP TABLE demo_pseudonyms (pseudonym text)' -c '\\copy "
			  "demo_pseudonyms FROM pstdin' -f '%s/sql/holder/demo.sql' >/dev/null",
			  e->pgdir, th_holder_orgs[i], th_holder_orgs[i], e->pgdir, db,
			  MADO_SOURCE_DIR) != 0) {
			fprintf(stderr, "harness: the demo data of %s did not load\n",
				th_holder_orgs[i]);
			return -1;
		}
		if (!e->holders_up) {
			snprintf(line, sizeof(line),
				 "holder-url --org %s --url https://127.0.0.1:%d",
				 th_holder_orgs[i], e->holder_port[i]);
			if (th_mado_cmd(e, line, &out) != 0) {
				fprintf(stderr, "harness: mado %s:\n%s\n", line,
					out != NULL ? out : "");
				free(out);
				return -1;
			}
			free(out);
			out = NULL;
		}
	}
	e->holders_up = true;
	return 0;
}

int
th_seed_demo(struct th_env *e)
{
	char line[1024];
	size_t i;

	char *out = NULL;

	if (th_sh("psql -X -q -v ON_ERROR_STOP=1 -h '%s/run' -p 5432 -U postgres -d mado -f "
		  "'%s/sql/demo/agencies.sql' >/dev/null",
		  e->pgdir, MADO_SOURCE_DIR) != 0) {
		fprintf(stderr, "harness: sql/demo/agencies.sql failed\n");
		return -1;
	}
	for (i = 0; demo_orgs[i] != NULL; i++) {
		snprintf(line, sizeof(line), "org-cert --org %s --cert '%s/cards/%s.crt'",
			 demo_orgs[i], e->org_dir, demo_orgs[i]);
		if (th_mado_cmd(e, line, &out) != 0) {
			fprintf(stderr, "harness: mado %s:\n%s\n", line, out != NULL ? out : "");
			free(out);
			return -1;
		}
		free(out);
		out = NULL;
	}
	for (i = 0; demo_staff[i].name != NULL; i++) {
		snprintf(line, sizeof(line),
			 "staff-bind --org %s --role %s --cert '%s/cards/%s.crt'",
			 demo_staff[i].org, demo_staff[i].role, e->org_dir, demo_staff[i].name);
		if (th_mado_cmd(e, line, &out) != 0) {
			fprintf(stderr, "harness: mado %s:\n%s\n", line, out != NULL ? out : "");
			free(out);
			return -1;
		}
		free(out);
		out = NULL;
	}
	/* The proposals above (agencies.sql's and the certificates') take effect once a
	   supervisor staff member approves them. */
	snprintf(line, sizeof(line),
		 "register-decide --all-pending --cert '%s/cards/supervisor-a.crt'"
		 " --key '%s/cards/supervisor-a.key'",
		 e->org_dir, e->org_dir);
	if (th_mado_cmd(e, line, &out) != 0) {
		fprintf(stderr, "harness: mado %s:\n%s\n", line, out != NULL ? out : "");
		free(out);
		return -1;
	}
	free(out);
	return holders_seed(e);
}

void
th_org_cert(const struct th_env *e, const char *org, struct th_req *rq)
{
	static __thread char cert[400], key[400];

	snprintf(cert, sizeof(cert), "%s/cards/%s.crt", e->org_dir, org);
	snprintf(key, sizeof(key), "%s/cards/%s.key", e->org_dir, org);
	rq->cert = cert;
	rq->key = key;
	rq->mtls = true;
}

void
th_tls_origin(const struct th_env *e, char *out, size_t len)
{
	snprintf(out, len, "Origin: https://localhost:%d", e->mtls_port);
}

int
th_tls_login(const struct th_env *e, const char *card, char *cookie, size_t cookielen, char *csrf,
	     size_t csrflen)
{
	char cert[400], key[400], v[256], origin[96];
	const char *h[] = {origin, NULL};
	struct th_req rq = {"POST", "/api/v1/auth/tls", h, "", 0, cert, key, true};
	const cJSON *token;
	struct th_resp r;
	cJSON *j = NULL;
	int rc = -1;

	th_tls_origin(e, origin, sizeof(origin));
	snprintf(cert, sizeof(cert), "%s/cards/%s.crt", e->ca_dir, card);
	snprintf(key, sizeof(key), "%s/cards/%s.key", e->ca_dir, card);
	if (th_request(e, &rq, &r) == 0 && r.status == 200 &&
	    th_header(&r, "Set-Cookie", v, sizeof(v)) != NULL && (j = th_json(&r)) != NULL &&
	    cJSON_IsString(token = cJSON_GetObjectItemCaseSensitive(j, "csrf_token"))) {
		snprintf(cookie, cookielen, "%.*s", (int)strcspn(v, ";"), v);
		snprintf(csrf, csrflen, "%s", token->valuestring);
		rc = 0;
	}
	cJSON_Delete(j);
	th_resp_free(&r);
	return rc;
}

void
th_card_file(const struct th_env *e, const char *card, const char *ext, char *out, size_t len)
{
	snprintf(out, len, "%s/cards/%s.%s", e->ca_dir, card, ext);
}

int
th_card_issue(const struct th_env *e, const char *card, const char *args)
{
	return th_sh("'%s' issue '%s' %s %s >/dev/null", MADO_CARD_BINARY, e->ca_dir, card,
		     args != NULL ? args : "");
}

int
th_card_register(struct th_env *e, const char *card)
{
	char cert[400], args[512];

	th_card_file(e, card, "crt", cert, sizeof(cert));
	snprintf(args, sizeof(args), "register-card --cert '%s'", cert);
	return th_mado_cmd(e, args, NULL);
}

char *
th_card_token(const char *ca_dir, const char *card, const char *origin, const char *nonce,
	      const char *alg)
{
	char cmd[1024], *out = NULL, *grown;
	size_t len = 0;
	FILE *f;
	int c;

	snprintf(cmd, sizeof(cmd), "'%s' token '%s' '%s' --origin '%s' --nonce '%s'%s%s",
		 MADO_CARD_BINARY, ca_dir, card, origin, nonce, alg != NULL ? " --alg " : "",
		 alg != NULL ? alg : "");
	if ((f = popen(cmd, "r")) == NULL)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if ((grown = realloc(out, len + 2)) == NULL)
			break;
		out = grown;
		out[len++] = (char)c;
	}
	if (pclose(f) != 0 || c != EOF || len == 0) {
		free(out);
		return NULL;
	}
	while (len > 0 && out[len - 1] == '\n')
		len--;
	out[len] = '\0';
	return out;
}

int
th_person_make(struct th_env *e, struct th_person *p)
{
	if (th_card_issue(e, p->card, "--key p256") != 0 || th_card_register(e, p->card) != 0 ||
	    th_sql_str(e, p->id, sizeof(p->id),
		       "SELECT person_id FROM portal.card_bindings ORDER BY id DESC LIMIT 1") !=
		0) {
		fprintf(stderr, "harness: cannot make a person with card %s\n", p->card);
		return -1;
	}
	return 0;
}

int
th_person_login(const struct th_env *e, struct th_person *p)
{
	return th_tls_login(e, p->card, p->cookie, sizeof(p->cookie), p->csrf, sizeof(p->csrf));
}

int
th_person_http(const struct th_env *e, const struct th_person *p, const char *method,
	       const char *path, const char *body, struct th_resp *out)
{
	char cookie[160], csrf[96], origin[96];
	const char *h[] = {cookie, csrf, origin, "Content-Type: application/json", NULL};

	snprintf(cookie, sizeof(cookie), "Cookie: %s", p->cookie);
	snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", p->csrf);
	snprintf(origin, sizeof(origin), "Origin: %s", e->origin);
	return th_http(e, method, path, h, body, body != NULL ? strlen(body) : 0, out);
}

char *
th_report_body(const char *tag, int batch, int n, const char *a, const char *b)
{
	size_t cap = (size_t)n * 400 + 64, len = 0;
	char *s = malloc(cap), when[32];
	time_t now = time(NULL) - 3600;
	int i;

	if (s == NULL)
		abort();
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	len += (size_t)snprintf(s + len, cap - len, "{\"events\":[");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(
		    s + len, cap - len,
		    "%s{\"event_id\":\"00000000-0000-4000-%s-%08d%04d\",\"person\":\"%s\","
		    "\"occurred_at\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
		    "\"tax.assessment\",\"legal_ref\":\"internal\",\"officer\":\"clerk-1\","
		    "\"actor_kind\":\"human\"}",
		    i > 0 ? "," : "", tag, batch, i, i % 2 == 0 ? a : b, when);
	snprintf(s + len, cap - len, "]}");
	return s;
}

void
th_browser_of(const struct th_person *p, struct th_browser *b)
{
	snprintf(b->cookie, sizeof(b->cookie), "%s", p->cookie);
	snprintf(b->csrf, sizeof(b->csrf), "%s", p->csrf);
}

int
th_browser_http(const struct th_env *e, struct th_browser *b, const char *method, const char *path,
		const char *body, struct th_resp *out)
{
	char cookie[160], csrf[96], origin[96], v[256];
	const char *h[5];
	int n = 0, rc;

	snprintf(origin, sizeof(origin), "Origin: %s", e->origin);
	h[n++] = origin;
	h[n++] = "Content-Type: application/json";
	if (b->cookie[0] != '\0') {
		snprintf(cookie, sizeof(cookie), "Cookie: %s", b->cookie);
		h[n++] = cookie;
	}
	if (b->csrf[0] != '\0') {
		snprintf(csrf, sizeof(csrf), "X-CSRF-Token: %s", b->csrf);
		h[n++] = csrf;
	}
	h[n] = NULL;
	rc = th_http(e, method, path, h, body, body != NULL ? strlen(body) : 0, out);
	if (rc == 0 && th_header(out, "Set-Cookie", v, sizeof(v)) != NULL &&
	    strncmp(v, "__Host-mado=", 12) == 0)
		snprintf(b->cookie, sizeof(b->cookie), "%.*s", (int)strcspn(v, ";"), v);
	return rc;
}

const char *
th_jstr(const cJSON *o, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* --- faults --- */

int
th_mado_kill(struct th_env *e)
{
	return stop_child(&e->mado_pid, SIGKILL) == 128 + SIGKILL ? 0 : -1;
}

int
th_pg_stop_mode(struct th_env *e, const char *mode)
{
	/* The postmaster's own signals: what pg_ctl stop -m MODE sends. */
	int sig = strcmp(mode, "smart") == 0       ? SIGTERM
		  : strcmp(mode, "immediate") == 0 ? SIGQUIT
						   : SIGINT;
	int rc = stop_child(&e->pg_pid, sig);

	if (rc == 0 || (sig == SIGQUIT && rc > 0 && rc < 128))
		return 0;
	/* Says how it ended, so that a failure explains itself: -1 is no exit in 15 s. */
	fprintf(stderr, "harness: PostgreSQL stopped with -m %s ended with %d\n", mode, rc);
	return -1;
}

static bool
running(pid_t *pid)
{
	if (*pid <= 0)
		return false;
	if (waitpid(*pid, NULL, WNOHANG) == *pid) {
		*pid = 0;
		return false;
	}
	return true;
}

bool
th_mado_running(struct th_env *e)
{
	return running(&e->mado_pid);
}

bool
th_pg_running(struct th_env *e)
{
	return running(&e->pg_pid);
}

int
th_pg_on_tmpfs(struct th_env *e, bool wal_only, int size_mb)
{
	char dir[320], disk[330], opts[64];
	char *record = wal_only ? e->pg_wal_tmpfs : e->pg_tmpfs;

	snprintf(dir, sizeof(dir), "%s/data%s", e->pgdir, wal_only ? "/pg_wal" : "");
	snprintf(disk, sizeof(disk), "%s.disk", dir);
	snprintf(opts, sizeof(opts), "size=%dm,mode=0700", size_mb);
	/* In a mount namespace of our own the mount cannot outlive this process and its
	   children, even if the test dies before its teardown. */
	if (unshare(CLONE_NEWNS) == 0 && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		fprintf(stderr, "harness: mounts stay shared: %s\n", strerror(errno));
	if (th_pg_stop(e) != 0 || rename(dir, disk) != 0 || mkdir(dir, 0700) != 0) {
		fprintf(stderr, "harness: cannot set %s aside: %s\n", dir, strerror(errno));
		return -1;
	}
	if (mount("tmpfs", dir, "tmpfs", MS_NOSUID | MS_NODEV, opts) != 0) {
		int err = errno;

		fprintf(stderr, "harness: cannot mount a tmpfs: %s\n", strerror(err));
		if (rmdir(dir) != 0 || rename(disk, dir) != 0 || th_pg_start(e) != 0)
			return -1;
		return err == EPERM || err == EACCES ? 1 : -1;
	}
	snprintf(record, sizeof(e->pg_tmpfs), "%s", dir);
	if (th_sh("cp -a '%s/.' '%s/' && chown --reference='%s' '%s' && rm -rf '%s'", disk, dir,
		  disk, dir, disk) != 0) {
		fprintf(stderr, "harness: cannot copy %s onto the tmpfs\n", dir);
		return -1;
	}
	return th_pg_start(e);
}

int
th_ocsp_blackhole(struct th_env *e)
{
	struct sockaddr_in sa;
	char count[400];
	pid_t pid, parent = getpid();
	int fd, one = 1, out;

	th_ocsp_stop(e);
	snprintf(count, sizeof(count), "%s/blackhole.count", e->dir);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((unsigned short)e->ocsp_port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	/* Listening before this returns, so no request finds the port closed. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 128) != 0 ||
	    (out = open(count, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644)) == -1) {
		fprintf(stderr, "harness: cannot listen on the responder's port: %s\n",
			strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	if ((pid = fork()) == -1) {
		close(fd);
		close(out);
		return -1;
	}
	if (pid == 0) {
		/* Only async-signal-safe calls from here: the parent may have threads. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		for (;;) {
			struct timespec ts = {0, 10000000L};

			/* Accepted connections stay open, unanswered, until we die. */
			if (accept(fd, NULL, NULL) >= 0) {
				if (write(out, ".", 1) != 1)
					_exit(1);
			} else if (errno != EINTR) {
				nanosleep(&ts, NULL);
			}
		}
	}
	close(fd);
	close(out);
	e->ocsp_pid = pid;
	return 0;
}

long
th_ocsp_blackhole_accepted(const struct th_env *e)
{
	char count[400];
	struct stat st;

	snprintf(count, sizeof(count), "%s/blackhole.count", e->dir);
	return stat(count, &st) == 0 ? (long)st.st_size : -1;
}

char *
th_log_when(const struct th_env *e, const char *needle, int timeout_ms)
{
	char *log = NULL;
	size_t cap = 0;
	FILE *f;

	for (int waited = 0;; waited += 50) {
		free(log);
		log = NULL;
		if ((f = fopen(e->log, "r")) != NULL) {
			if (getdelim(&log, &cap, '\0', f) < 0) {
				free(log);
				log = NULL;
			}
			fclose(f);
		}
		if (log == NULL)
			log = calloc(1, 1);
		if (strstr(log, needle) != NULL || waited >= timeout_ms)
			return log;
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	}
}

cJSON *
th_request_line(const struct th_env *e, const struct th_resp *r)
{
	char id[64], needle[96], *log, *at, *end;
	cJSON *line = NULL;

	if (th_header(r, "X-Request-Id", id, sizeof(id)) == NULL)
		return NULL;
	/* The request line, not a message logged while it was served: it has a route. */
	snprintf(needle, sizeof(needle), "\"req\":\"%s\",\"method\":", id);
	log = th_log_when(e, needle, 5000);
	if ((at = strstr(log, needle)) != NULL) {
		while (at > log && at[-1] != '\n')
			at--;
		if ((end = strchr(at, '\n')) != NULL)
			*end = '\0';
		line = cJSON_Parse(at);
	}
	free(log);
	return line;
}

const char *
th_type(const struct th_resp *r)
{
	static char buf[128];

	return th_problem_type(r, buf, sizeof(buf)) + strlen("urn:mado:problem:");
}

const char *
th_reason(const struct th_resp *r)
{
	static char buf[128];
	cJSON *j = th_json(r);
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "reason");

	snprintf(buf, sizeof(buf), "%s", cJSON_IsString(v) ? v->valuestring : "");
	cJSON_Delete(j);
	return buf;
}

/* The tests' reply key (tests/data/reply.key), read once; load tests call
 * this from many threads at once. */
static EVP_PKEY *reply_pkey;
static char *reply_text;
static pthread_once_t reply_once = PTHREAD_ONCE_INIT;

static void
reply_load(void)
{
	char path[400];
	FILE *f;

	snprintf(path, sizeof(path), "%s/tests/data/reply.key", MADO_SOURCE_DIR);
	if ((f = fopen(path, "r")) == NULL)
		return;
	reply_pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (reply_pkey != NULL)
		reply_text = mado_seal_key_text(reply_pkey);
}

static EVP_PKEY *
reply_key(void)
{
	pthread_once(&reply_once, reply_load);
	return reply_pkey;
}

const char *
th_reply_key(void)
{
	reply_key();
	return reply_text != NULL ? reply_text : "";
}

cJSON *
th_open_sealed(const char *aad, const char *sealed)
{
	size_t len;
	char *plain;
	cJSON *j;

	if (reply_key() == NULL || sealed == NULL ||
	    (plain = mado_seal_open(reply_key(), aad, sealed, &len)) == NULL)
		return NULL;
	j = cJSON_Parse(plain);
	free(plain);
	return j;
}

cJSON *
th_open_answers(const cJSON *response, const char *aad)
{
	const cJSON *a, *it;
	cJSON *all = cJSON_CreateObject(), *one;

	cJSON_ArrayForEach (a, cJSON_GetObjectItem(response, "answers")) {
		one = th_open_sealed(aad, cJSON_GetStringValue(cJSON_GetObjectItem(a, "sealed")));
		if (one == NULL) {
			cJSON_Delete(all);
			return NULL;
		}
		cJSON_ArrayForEach (it, cJSON_GetObjectItem(one, "items"))
			cJSON_AddItemToObject(all, it->string, cJSON_Duplicate(it, true));
		cJSON_Delete(one);
	}
	return all;
}
