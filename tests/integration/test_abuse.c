/*
 * Abuse: many clients at once, and clients that hold connections without using them.
 *
 * - 1,000 persons read their own access logs at the same moment, each from an address
 *   of its own: every answer holds that person's entries and no one else's.
 * - 500 connections from one address that never finish a request (some never start
 *   TLS, some send half a request head) on both listeners: a normal client's requests
 *   on each listener are still answered within a second, because one client may hold
 *   only max_conns_per_client connections (once, 36 such connections stopped the
 *   agency gateway and 128 the portal, until their request timeouts ran out).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cJSON.h>
#include <cmocka.h>
#include <curl/curl.h>
#include <openssl/ssl.h>

#include "harness.h"

#define PERSONS 1000
#define ENTRIES 2
#define HOGS    500
#define PER_HOG 8 /* max_conns_per_client in this test */

static struct th_env env;

static int
setup(void **state)
{
	char conf[128];

	*state = &env;
	/* The default request timeout: a hog holds its worker for 10 s unless refused. */
	snprintf(conf, sizeof(conf),
		 "card_recheck_s = 3600\nrequest_timeout_ms = 10000\nmax_conns_per_client = %d\n"
		 "trusted_proxies = 127.0.0.3\n",
		 PER_HOG);
	return th_setup_access(&env, conf);
}

/* Person i, its cookie and its officer, all derived from i in SQL and in C alike. */
#define PERSON_ID  "('00000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid"
#define COOKIE_SQL "lpad(i::text, 43, '0')"

static void
make_persons(void)
{
	assert_int_equal(th_sql(&env,
				"INSERT INTO portal.people (id) SELECT " PERSON_ID
				" FROM generate_series(1, %d) i",
				PERSONS),
			 PERSONS);
	assert_int_equal(
	    th_sql(
		&env,
		"INSERT INTO portal.card_bindings (person_id, issuer_hash, serial, key_hash, cert,"
		" not_before, not_after, checked_at)"
		" SELECT " PERSON_ID ", repeat('ab', 32), upper(to_hex(1000000 + i)),"
		" encode(sha256(('abuse-key-' || i)::bytea), 'hex'), '\\x00'::bytea,"
		" now() - interval '1 day', now() + interval '1 year', now()"
		" FROM generate_series(1, %d) i",
		PERSONS),
	    PERSONS);
	assert_int_equal(
	    th_sql(
		&env,
		"INSERT INTO portal.sessions (id_hash, person_id, binding_id, method, csrf_token,"
		" expires_at)"
		" SELECT sha256(convert_to(" COOKIE_SQL ", 'UTF8')), b.person_id, b.id, 'tls',"
		" 'csrf', now() + interval '1 hour'"
		" FROM generate_series(1, %d) i JOIN portal.card_bindings b"
		" ON b.person_id = " PERSON_ID,
		PERSONS),
	    PERSONS);
	assert_int_equal(
	    th_sql(&env,
		   "SELECT count(*) FROM portal.record_access(ARRAY(SELECT "
		   "ROW(gen_random_uuid(), " PERSON_ID
		   ", now() - j * interval '1 hour', 'tax-office', NULL, 'officer-' || i,"
		   " 'clerk', 'human', 'gateway', 'tax-assessment', 'abuse-test', NULL,"
		   " ARRAY['tax.income'], NULL, 'served', NULL, NULL, NULL)::portal.access_record"
		   " FROM generate_series(1, %d) i, generate_series(1, %d) j))",
		   PERSONS, ENTRIES),
	    PERSONS * ENTRIES);
}

struct reader {
	int i;
	char cookie[96], iface[32];
	struct curl_slist *headers;
	char *body;
	size_t len;
};

static size_t
take(char *p, size_t size, size_t n, void *arg)
{
	struct reader *r = arg;
	char *nb = realloc(r->body, r->len + size * n + 1);

	if (nb == NULL)
		return 0;
	memcpy(nb + r->len, p, size * n);
	r->len += size * n;
	nb[r->len] = '\0';
	r->body = nb;
	return size * n;
}

/* The number of entries in the answer that are person i's; -1 if any is someone else's. */
static int
own_entries(const struct reader *r)
{
	char officer[32];
	cJSON *doc = cJSON_Parse(r->body != NULL ? r->body : ""), *it;
	int n = 0;

	snprintf(officer, sizeof(officer), "officer-%d", r->i);
	cJSON_ArrayForEach (it, cJSON_GetObjectItemCaseSensitive(doc, "items")) {
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(it, "officer");

		if (!cJSON_IsString(o) || strcmp(o->valuestring, officer) != 0) {
			n = -1;
			break;
		}
		n++;
	}
	cJSON_Delete(doc);
	return n;
}

static void
test_thousand_persons_see_only_their_own(void **state)
{
	struct reader *rd = calloc(PERSONS, sizeof(*rd));
	CURLM *m = curl_multi_init();
	char url[128];
	int running = 1, ok = 0, foreign = 0, failed = 0, short_ = 0, i;
	long last_status = 0;
	CURLcode last_error = CURLE_OK;

	(void)state;
	assert_non_null(rd);
	make_persons();
	snprintf(url, sizeof(url), "%s/api/v1/me/access-log", env.url);
	for (i = 0; i < PERSONS; i++) {
		CURL *c = curl_easy_init();

		rd[i].i = i + 1;
		snprintf(rd[i].cookie, sizeof(rd[i].cookie), "Cookie: __Host-mado=%043d", i + 1);
		/* Each person from an address of its own, as they would be. */
		snprintf(rd[i].iface, sizeof(rd[i].iface), "host!127.1.%d.%d", i / 200,
			 i % 200 + 1);
		rd[i].headers = curl_slist_append(NULL, rd[i].cookie);
		curl_easy_setopt(c, CURLOPT_URL, url);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, rd[i].headers);
		curl_easy_setopt(c, CURLOPT_INTERFACE, rd[i].iface);
		curl_easy_setopt(c, CURLOPT_CAINFO, env.ca);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
		curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L);
		curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
		curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, take);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, &rd[i]);
		curl_easy_setopt(c, CURLOPT_PRIVATE, &rd[i]);
		curl_multi_add_handle(m, c);
	}
	while (running > 0) {
		curl_multi_perform(m, &running);
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	for (CURLMsg *msg; (msg = curl_multi_info_read(m, &i)) != NULL;) {
		struct reader *r;
		long status = 0;

		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (msg->data.result == CURLE_OK && status == 200) {
			int n = own_entries(r);

			if (n < 0)
				foreign++;
			else if (n == ENTRIES)
				ok++;
			else
				short_++;
		} else {
			failed++;
			last_status = status;
			last_error = msg->data.result;
		}
		curl_multi_remove_handle(m, msg->easy_handle);
		curl_easy_cleanup(msg->easy_handle);
	}
	curl_multi_cleanup(m);
	for (i = 0; i < PERSONS; i++) {
		curl_slist_free_all(rd[i].headers);
		free(rd[i].body);
	}
	free(rd);
	assert_int_equal(foreign, 0);
	/* Say how the others ended, for whoever reads a failure. */
	if (ok != PERSONS)
		print_message("%d of %d served whole; %d short; %d failed, the last with HTTP %ld"
			      " (curl: %s)\n",
			      ok, PERSONS, short_, failed, last_status,
			      curl_easy_strerror(last_error));
	assert_int_equal(ok, PERSONS);
}

/* A connection from 127.0.0.<from> to port that, with tls, completes the handshake and
   sends half a request head; without, never says a word. -1 when the server closed it at
   once. */
static int
hog_from(int from, int port, SSL_CTX *ctx, bool tls, SSL **out)
{
	struct sockaddr_in src = {.sin_family = AF_INET}, dst = {.sin_family = AF_INET};
	struct timeval tv = {0, 300 * 1000};
	static const char half[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
	SSL *ssl = NULL;
	int fd;

	*out = NULL;
	src.sin_addr.s_addr = htonl(0x7f000000u | (unsigned)from);
	dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	dst.sin_port = htons((unsigned short)port);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0) {
		close(fd);
		return -1;
	}
	if (!tls)
		return fd;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1 ||
	    SSL_write(ssl, half, sizeof(half) - 1) != (int)sizeof(half) - 1) {
		SSL_free(ssl);
		close(fd);
		return -1;
	}
	*out = ssl;
	return fd;
}

static int
hog(int port, SSL_CTX *ctx, bool tls, SSL **out)
{
	return hog_from(2, port, ctx, tls, out);
}

static double
timed(const struct th_req *rq, long *status)
{
	struct th_resp r;
	double s;

	assert_int_equal(th_request(&env, rq, &r), 0);
	*status = r.status;
	s = r.seconds;
	th_resp_free(&r);
	return s;
}

static void
test_hogs_leave_room_for_everyone_else(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int fds[HOGS], held = 0, i;
	SSL *ssl[HOGS];
	struct th_req portal = {.method = "GET", .path = "/healthz"};
	struct th_req gateway = {.method = "GET", .path = "/healthz"};
	struct th_resp r;
	long status;

	(void)state;
	assert_non_null(ctx);
	th_org_cert(&env, "tax-office", &gateway);
	/* Half-sent heads first, while workers are free to finish their handshakes; then
	   silent connections. Either kind alone outnumbers a listener's workers. */
	for (i = 0; i < HOGS; i++) {
		fds[i] = hog(i % 2 ? env.mtls_port : env.port, ctx, i < 2 * HOGS / 5, &ssl[i]);
		held += fds[i] >= 0;
	}
	/* While the hogs wait, a client from another address is answered at once, on both
	   listeners, again and again. */
	for (i = 0; i < 5; i++) {
		assert_true(timed(&portal, &status) < 1.0);
		assert_int_equal(status, 200);
		assert_true(timed(&gateway, &status) < 1.0);
		assert_int_equal(status, 200);
	}
	/* The limit did the work: connections over it were closed at the handshake. */
	assert_int_equal(th_http(&env, "GET", "/metrics", NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_null(strstr(r.body, "mado_conns_refused_total 0\n"));
	assert_non_null(strstr(r.body, "mado_conns_refused_total "));
	th_resp_free(&r);
	for (i = 0; i < HOGS; i++) {
		if (ssl[i] != NULL)
			SSL_free(ssl[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	SSL_CTX_free(ctx);
	print_message("%d of %d hog connections were opened\n", held, HOGS);
}

/* A trusted proxy carries many clients: its connections are not counted against it.
   Three times a client's share, all open at once, each through its handshake. */
static void
test_trusted_proxy_not_limited(void **state)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	int fds[3 * PER_HOG], i;
	SSL *ssl[3 * PER_HOG];

	(void)state;
	assert_non_null(ctx);
	for (i = 0; i < 3 * PER_HOG; i++)
		fds[i] = hog_from(3, i % 2 ? env.mtls_port : env.port, ctx, true, &ssl[i]);
	for (i = 0; i < 3 * PER_HOG; i++) {
		assert_true(fds[i] >= 0);
		SSL_free(ssl[i]);
		close(fds[i]);
	}
	SSL_CTX_free(ctx);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hogs_leave_room_for_everyone_else),
	    cmocka_unit_test(test_trusted_proxy_not_limited),
	    cmocka_unit_test(test_thousand_persons_see_only_their_own),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
