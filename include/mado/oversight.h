/*
 * Independent oversight: the supervisor's staff (staff of an organisation of kind
 * supervisor, role supervisor) see statistics and anomalies the database finds in the
 * access log, act on anomaly cases (asking the organisation, which answers over its
 * gateway) and on disputes, and ask an organisation to reveal who an official's
 * pseudonymous id stands for; anyone reads the public transparency statistics.
 */
#ifndef MADO_OVERSIGHT_H
#define MADO_OVERSIGHT_H

#include "mado/config.h"
#include "mado/http.h"

/* Takes the module's settings and starts the anomaly scan's schedule (oversight_scan_s;
   0: only on demand). MADO_OK, or an error when the thread cannot start. */
int mado_oversight_init(const struct mado_config *cfg);
/* Stops the schedule (waiting for a scan under way). */
void mado_oversight_free(void);

extern const struct mado_route_set mado_oversight_routes;

#endif
