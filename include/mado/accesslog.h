/*
 * The person's access log: who accessed their data, filtered and paged, one entry in
 * plain words, the summary, the export and the coverage list; disputes (the person's and
 * the organisations' side) with item freezes; alerts.
 */
#ifndef MADO_ACCESSLOG_H
#define MADO_ACCESSLOG_H

#include "mado/config.h"
#include "mado/http.h"

extern const struct mado_route_set mado_accesslog_routes;

/* Takes the export's limit (export_max_entries) from the configuration. */
void mado_accesslog_init(const struct mado_config *cfg);

#endif
