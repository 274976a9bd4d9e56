/*
 * The person's access log: who accessed their data, filtered and paged, one entry in
 * plain words, the summary, the export and the coverage list; disputes (the person's and
 * the organisations' side) with item freezes; alerts.
 */
#ifndef MADO_ACCESSLOG_H
#define MADO_ACCESSLOG_H

#include "mado/http.h"

extern const struct mado_route_set mado_accesslog_routes;

#endif
