/*
 * The person's notice list: alerts of new accesses, answers to disputes, and the push
 * notices of agency programmes, delivered only under the person's consent.
 */
#ifndef MADO_NOTICES_H
#define MADO_NOTICES_H

#include "mado/http.h"

extern const struct mado_route_set mado_notices_routes;

#endif
