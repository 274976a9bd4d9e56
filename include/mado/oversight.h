/*
 * Independent oversight: the supervisor asks an organisation to reveal who an accountable
 * official's pseudonymous id stands for, and the organisation answers once.
 */
#ifndef MADO_OVERSIGHT_H
#define MADO_OVERSIGHT_H

#include "mado/http.h"

extern const struct mado_route_set mado_oversight_routes;

#endif
