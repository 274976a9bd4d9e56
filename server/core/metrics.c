/* Request counters and latency histograms, one row per route, updated without locks. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/metrics.h"
#include "mado/util.h"

/* Statuses Mado answers with; anything else is counted as "other". */
static const int statuses[] = {200, 201, 204, 303, 304, 400, 401, 403, 404, 405,
			       408, 409, 413, 415, 422, 429, 431, 500, 503};
#define NSTATUS (MADO_NELEM(statuses) + 1)

/* Histogram bucket upper bounds in milliseconds. */
static const double bounds[] = {0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 10000};
#define NBUCKET (MADO_NELEM(bounds) + 1)

struct route_stats {
	atomic_uint_fast64_t by_status[NSTATUS];
	atomic_uint_fast64_t buckets[NBUCKET];
	atomic_uint_fast64_t sum_us;
};

static const char *const *route_names;
static struct route_stats *stats;
static size_t nroutes;

void
mado_metrics_init(const char *const *names, size_t n)
{
	size_t i, j;

	stats = mado_xcalloc(n, sizeof(*stats));
	for (i = 0; i < n; i++) {
		for (j = 0; j < NSTATUS; j++)
			atomic_init(&stats[i].by_status[j], 0);
		for (j = 0; j < NBUCKET; j++)
			atomic_init(&stats[i].buckets[j], 0);
		atomic_init(&stats[i].sum_us, 0);
	}
	route_names = names;
	nroutes = n;
}

void
mado_metrics_free(void)
{
	free(stats);
	stats = NULL;
	nroutes = 0;
}

void
mado_metrics_request(size_t route, int status, double ms)
{
	struct route_stats *s;
	size_t i;

	if (stats == NULL || route >= nroutes)
		return;
	s = &stats[route];
	for (i = 0; i < MADO_NELEM(statuses) && statuses[i] != status; i++)
		;
	atomic_fetch_add_explicit(&s->by_status[i], 1, memory_order_relaxed);
	for (i = 0; i < MADO_NELEM(bounds) && ms > bounds[i]; i++)
		;
	atomic_fetch_add_explicit(&s->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum_us, (uint_fast64_t)(ms * 1000.0), memory_order_relaxed);
}

void
mado_metrics_render(struct mado_text *t)
{
	uint_fast64_t v, cum;
	size_t r, i;

	mado_text_printf(t, "# HELP mado_http_requests_total HTTP requests by route and status.\n"
			    "# TYPE mado_http_requests_total counter\n");
	for (r = 0; r < nroutes; r++) {
		for (i = 0; i < NSTATUS; i++) {
			v = atomic_load_explicit(&stats[r].by_status[i], memory_order_relaxed);
			if (v == 0)
				continue;
			if (i < MADO_NELEM(statuses))
				mado_text_printf(
				    t,
				    "mado_http_requests_total{route=\"%s\",status=\"%d\"}"
				    " %llu\n",
				    route_names[r], statuses[i], (unsigned long long)v);
			else
				mado_text_printf(
				    t,
				    "mado_http_requests_total{route=\"%s\",status=\"other\"}"
				    " %llu\n",
				    route_names[r], (unsigned long long)v);
		}
	}
	mado_text_printf(t, "# HELP mado_http_request_duration_seconds Time from request head to "
			    "response written.\n"
			    "# TYPE mado_http_request_duration_seconds histogram\n");
	for (r = 0; r < nroutes; r++) {
		cum = 0;
		for (i = 0; i < NBUCKET; i++)
			cum += atomic_load_explicit(&stats[r].buckets[i], memory_order_relaxed);
		if (cum == 0)
			continue;
		cum = 0;
		for (i = 0; i < NBUCKET; i++) {
			cum += atomic_load_explicit(&stats[r].buckets[i], memory_order_relaxed);
			if (i < MADO_NELEM(bounds))
				mado_text_printf(
				    t,
				    "mado_http_request_duration_seconds_bucket{route=\"%s\","
				    "le=\"%g\"} %llu\n",
				    route_names[r], bounds[i] / 1000.0, (unsigned long long)cum);
			else
				mado_text_printf(
				    t,
				    "mado_http_request_duration_seconds_bucket{route=\"%s\","
				    "le=\"+Inf\"} %llu\n",
				    route_names[r], (unsigned long long)cum);
		}
		mado_text_printf(
		    t, "mado_http_request_duration_seconds_sum{route=\"%s\"} %.6f\n",
		    route_names[r],
		    (double)atomic_load_explicit(&stats[r].sum_us, memory_order_relaxed) / 1e6);
		mado_text_printf(t, "mado_http_request_duration_seconds_count{route=\"%s\"} %llu\n",
				 route_names[r], (unsigned long long)cum);
	}
}
