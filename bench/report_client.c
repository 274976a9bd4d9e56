/*
 * The load side of bench/accesslog's ingestion half: N agency systems, each on one
 * keep-alive mTLS connection with the organisation's client certificate, posting batches
 * of reported accesses (fresh event ids, people picked from a pseudonym file) for D
 * seconds. Prints one line:
 *
 *   batches=N events=N failures=N seconds=S events_per_second=R p50_ms=X p99_ms=Y
 *
 *   mado-bench-report URL CERT KEY PSEUDONYM_FILE CLIENTS SECONDS BATCH
 *
 * With BATCH 0 the file holds whole request bodies, one per line, posted in turn (each
 * client from its own offset) and a 200 counts: bench/consent's fetches. Bench only: the
 * server's certificate is not checked.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

struct client {
	pthread_t thread;
	unsigned index;
	long batches, failures;
	double *lat;
	size_t nlat, caplat;
};

static const char *url, *cert, *key;
static char **people;
static size_t npeople;
static double seconds;
static int batch;

static size_t
discard(char *p, size_t size, size_t n, void *ud)
{
	(void)p;
	(void)ud;
	return size * n;
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A batch of fresh events: ids are the client, its batch number, the process (each round
   is a new one) and the event's index. */
static size_t
make_batch(char *out, size_t cap, unsigned client, long n, unsigned *seed, const char *when)
{
	size_t len = 0;
	int i;

	len += (size_t)snprintf(out + len, cap - len, "{\"events\":[");
	for (i = 0; i < batch && len < cap; i++)
		len += (size_t)snprintf(
		    out + len, cap - len,
		    "%s{\"event_id\":\"%08x-%04lx-4%03x-8%03x-%012lx\",\"person\":\"%s\","
		    "\"occurred_at\":\"%s\",\"items\":[\"tax.income\"],\"purpose\":"
		    "\"tax.assessment\",\"legal_ref\":\"National Tax Agency Act art. 19\","
		    "\"officer\":\"clerk-%d\",\"actor_kind\":\"human\"}",
		    i > 0 ? "," : "", client, (unsigned long)(n >> 12) & 0xffff,
		    (unsigned)(n & 0xfff), (unsigned)getpid() & 0xfff, (unsigned long)i,
		    people[(size_t)rand_r(seed) % npeople], when, i % 40);
	len += (size_t)snprintf(out + len, cap - len, "]}");
	return len;
}

static void *
run(void *arg)
{
	struct client *c = arg;
	struct curl_slist *h = NULL;
	size_t cap = (size_t)(batch > 0 ? batch : 1) * 400 + 64, len;
	char *body = malloc(cap), when[32];
	unsigned seed = c->index * 7919u + 1;
	double start = now_s(), t0;
	time_t past = time(NULL) - 86400;
	long status;
	CURL *curl = curl_easy_init();

	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&past));
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_SSLCERT, cert);
	curl_easy_setopt(curl, CURLOPT_SSLKEY, key);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
	while (now_s() - start < seconds) {
		if (batch > 0) {
			len =
			    make_batch(body, cap, c->index, c->batches + c->failures, &seed, when);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		} else {
			const char *line =
			    people[(c->index * 7919u + (size_t)(c->batches + c->failures)) %
				   npeople];

			len = strlen(line);
			curl_easy_setopt(curl, CURLOPT_POSTFIELDS, line);
		}
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
		t0 = now_s();
		if (curl_easy_perform(curl) == CURLE_OK &&
		    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK &&
		    status == (batch > 0 ? 201 : 200)) {
			c->batches++;
			if (c->nlat == c->caplat) {
				c->caplat = c->caplat ? c->caplat * 2 : 1024;
				c->lat = realloc(c->lat, c->caplat * sizeof(double));
			}
			c->lat[c->nlat++] = (now_s() - t0) * 1000;
		} else {
			c->failures++;
		}
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(curl);
	free(body);
	return NULL;
}

static int
cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	struct client *cs;
	double *all, elapsed, t0;
	size_t n = 0, i, cap = 0;
	long batches = 0, failures = 0;
	char line[4096];
	int clients, k;
	FILE *f;

	if (argc != 8) {
		fprintf(stderr,
			"usage: mado-bench-report URL CERT KEY PSEUDONYM_FILE CLIENTS SECONDS "
			"BATCH\n");
		return 2;
	}
	url = argv[1];
	cert = argv[2];
	key = argv[3];
	clients = atoi(argv[5]);
	seconds = atof(argv[6]);
	batch = atoi(argv[7]);
	if ((f = fopen(argv[4], "r")) == NULL) {
		perror(argv[4]);
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (batch > 0 ? strlen(line) != 43 : line[0] != '{')
			continue;
		if (npeople == cap)
			people = realloc(people, (cap = cap ? cap * 2 : 1024) * sizeof(char *));
		people[npeople++] = strdup(line);
	}
	fclose(f);
	if (npeople == 0 || clients < 1 || batch < 0) {
		fprintf(stderr, "mado-bench-report: no pseudonyms, clients or batch size\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	cs = calloc((size_t)clients, sizeof(*cs));
	t0 = now_s();
	for (k = 0; k < clients; k++) {
		cs[k].index = (unsigned)k + 1;
		pthread_create(&cs[k].thread, NULL, run, &cs[k]);
	}
	for (k = 0; k < clients; k++) {
		pthread_join(cs[k].thread, NULL);
		batches += cs[k].batches;
		failures += cs[k].failures;
		n += cs[k].nlat;
	}
	elapsed = now_s() - t0;
	all = malloc((n ? n : 1) * sizeof(double));
	for (n = 0, k = 0; k < clients; k++) {
		for (i = 0; i < cs[k].nlat; i++)
			all[n++] = cs[k].lat[i];
		free(cs[k].lat);
	}
	qsort(all, n, sizeof(double), cmp);
	printf("batches=%ld events=%ld failures=%ld seconds=%.1f events_per_second=%.0f "
	       "p50_ms=%.1f p99_ms=%.1f\n",
	       batches, batches * (batch > 0 ? batch : 1), failures, elapsed,
	       (double)(batches * (batch > 0 ? batch : 1)) / elapsed, n ? all[n / 2] : 0.0,
	       n ? all[(size_t)((double)n * 0.99)] : 0.0);
	free(all);
	free(cs);
	for (i = 0; i < npeople; i++)
		free(people[i]);
	free(people);
	curl_global_cleanup();
	return 0;
}
