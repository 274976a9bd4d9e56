/*
 * The load side of bench/login: N clients, each a browser with its own virtual card and
 * one keep-alive TLS connection, doing complete logins for D seconds: ask for a
 * challenge, have the card sign it, send the token, get a session. Prints one line:
 *
 *   logins=N failures=N seconds=S per_second=R p50_ms=X p99_ms=Y
 *
 *   mado-bench-login URL ORIGIN CARD_DIR CARD_PREFIX CLIENTS SECONDS
 * Card i is CARD_PREFIX + i (0-based). Bench only: no certificate is checked.
 */
#include <pthread.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "mado/vcard.h"

struct client {
	pthread_t thread;
	int index;
	long logins, failures;
	double *lat; /* milliseconds of each login */
	size_t nlat, caplat;
};

static const char *url, *origin, *dir, *prefix;
static double seconds;

struct buf {
	char data[16384];
	size_t len;
	char cookie[160];
};

static size_t
on_body(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;

	if (b->len + len < sizeof(b->data)) {
		memcpy(b->data + b->len, p, len);
		b->len += len;
		b->data[b->len] = '\0';
	}
	return len;
}

static size_t
on_header(char *p, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;
	size_t len = size * n;

	if (len > 24 && strncasecmp(p, "Set-Cookie: __Host-mado=", 24) == 0)
		snprintf(b->cookie, sizeof(b->cookie), "Cookie: %.*s", (int)strcspn(p + 12, ";"),
			 p + 12);
	return len;
}

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* One POST; returns the status. */
static long
post(CURL *c, const char *path, const char *body, struct buf *b, const char *cookie)
{
	char full[512], originh[256];
	struct curl_slist *h = NULL;
	long status = 0;

	snprintf(full, sizeof(full), "%s%s", url, path);
	snprintf(originh, sizeof(originh), "Origin: %s", origin);
	h = curl_slist_append(h, originh);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	if (cookie != NULL && cookie[0] != '\0')
		h = curl_slist_append(h, cookie);
	b->len = 0;
	b->data[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, full);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(h);
	return status;
}

static void *
run(void *arg)
{
	struct client *cl = arg;
	struct mado_vcard *card;
	char name[64], nonce[64], cookie[160];
	struct buf b;
	double start, t0;
	cJSON *j;
	char *token;
	CURL *c;

	snprintf(name, sizeof(name), "%s%d", prefix, cl->index);
	if (mado_vcard_load(dir, name, &card) != 0) {
		fprintf(stderr, "cannot load card %s\n", name);
		return NULL;
	}
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &b);
	start = now_ms();
	while (now_ms() - start < seconds * 1000) {
		t0 = now_ms();
		b.cookie[0] = '\0';
		if (post(c, "/api/v1/auth/challenge", "", &b, NULL) != 200 ||
		    (j = cJSON_Parse(b.data)) == NULL) {
			cl->failures++;
			continue;
		}
		snprintf(nonce, sizeof(nonce), "%s",
			 cJSON_GetObjectItemCaseSensitive(j, "nonce")->valuestring);
		cJSON_Delete(j);
		snprintf(cookie, sizeof(cookie), "%s", b.cookie);
		if (mado_vcard_sign(card, origin, nonce, NULL, &token) != 0) {
			cl->failures++;
			continue;
		}
		if (post(c, "/api/v1/auth/webeid", token, &b, cookie) == 200) {
			cl->logins++;
			if (cl->nlat == cl->caplat) {
				cl->caplat = cl->caplat ? cl->caplat * 2 : 1024;
				cl->lat = realloc(cl->lat, cl->caplat * sizeof(double));
			}
			cl->lat[cl->nlat++] = now_ms() - t0;
		} else {
			cl->failures++;
		}
		free(token);
	}
	curl_easy_cleanup(c);
	mado_vcard_free(card);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	struct client *cls;
	long logins = 0, failures = 0;
	double *all, t0, elapsed;
	size_t n = 0, i;
	int clients, k;

	if (argc != 7) {
		fprintf(stderr, "usage: mado-bench-login URL ORIGIN CARD_DIR CARD_PREFIX CLIENTS "
				"SECONDS\n");
		return 2;
	}
	url = argv[1];
	origin = argv[2];
	dir = argv[3];
	prefix = argv[4];
	clients = atoi(argv[5]);
	seconds = atof(argv[6]);
	curl_global_init(CURL_GLOBAL_ALL);
	cls = calloc((size_t)clients, sizeof(*cls));
	t0 = now_ms();
	for (k = 0; k < clients; k++) {
		cls[k].index = k;
		pthread_create(&cls[k].thread, NULL, run, &cls[k]);
	}
	for (k = 0; k < clients; k++) {
		pthread_join(cls[k].thread, NULL);
		logins += cls[k].logins;
		failures += cls[k].failures;
		n += cls[k].nlat;
	}
	elapsed = (now_ms() - t0) / 1000;
	all = malloc((n + 1) * sizeof(double));
	for (k = 0, i = 0; k < clients; k++) {
		memcpy(all + i, cls[k].lat, cls[k].nlat * sizeof(double));
		i += cls[k].nlat;
		free(cls[k].lat);
	}
	qsort(all, n, sizeof(double), cmp);
	printf("logins=%ld failures=%ld seconds=%.1f per_second=%.1f p50_ms=%.2f p99_ms=%.2f\n",
	       logins, failures, elapsed, (double)logins / elapsed, n ? all[n / 2] : 0.0,
	       n ? all[(size_t)((double)n * 0.99)] : 0.0);
	free(all);
	free(cls);
	curl_global_cleanup();
	return failures > logins / 100 ? 1 : 0;
}
