/*
 * Proxy mandates: a person gives another person a mandate by theme (never a blanket
 * power) for at most a year; the proxy accepts it with their own card and then acts for
 * the person in a session of channel proxy that may use only the mandate's themes, each
 * request in the person's log. The person ends it alone at any time; it ends by itself
 * on their card's revocation, their safety flag and its term. The supervisor is told of a
 * proxy acting for more than proxy_max_people people.
 */
#ifndef MADO_PROXY_H
#define MADO_PROXY_H

#include "mado/config.h"
#include "mado/http.h"

/* Takes the module's settings (proxy_max_people). */
void mado_proxy_init(const struct mado_config *cfg);

extern const struct mado_route_set mado_proxy_routes;

#endif
