/*
 * Request metrics in Prometheus text format: requests by route and status, and a latency
 * histogram by route. Counters are lock-free atomics; rendering takes a snapshot.
 */
#ifndef MADO_METRICS_H
#define MADO_METRICS_H

#include <stddef.h>

#include "mado/common.h"
#include "mado/util.h"

/* names[i] labels route i; the array must outlive the metrics. */
void mado_metrics_init(const char *const *names, size_t n);
void mado_metrics_free(void);

void mado_metrics_request(size_t route, int status, double ms);

/* Appends the request metrics to a growing text buffer. */
void mado_metrics_render(struct mado_text *t);

#endif
