/*
 * The agency gateway: agencies' queries for a person's data, answered only together with
 * the access record written in the same transaction, and the accesses agencies report
 * from their own systems.
 */
#ifndef MADO_GATEWAY_H
#define MADO_GATEWAY_H

#include "mado/config.h"
#include "mado/http.h"

/* Takes how long an unconfirmed seal holds (seal_grace_s). */
void mado_gateway_init(const struct mado_config *cfg);

extern const struct mado_route_set mado_gateway_routes;

#endif
