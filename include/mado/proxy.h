/*
 * Proxy mandates: a person gives another person a mandate by theme (never a blanket
 * power) for at most a year; the proxy accepts it with their own card and then acts for
 * the person in a session of channel proxy that may use only the mandate's themes, each
 * request in the person's log. The person ends it alone at any time; it ends by itself
 * on their card's revocation, their safety flag and its term, of which both are reminded
 * a month before. The supervisor is told of a proxy acting for more than
 * proxy_max_people people.
 */
#ifndef MADO_PROXY_H
#define MADO_PROXY_H

#include "mado/config.h"
#include "mado/http.h"

/* Takes the module's settings (proxy_max_people) and starts the reminders' schedule
   (mandate_remind_s; 0: only when people look). MADO_OK, or an error when the thread
   cannot start. */
int mado_proxy_init(const struct mado_config *cfg);
/* Stops the schedule (waiting for a run under way). */
void mado_proxy_free(void);

extern const struct mado_route_set mado_proxy_routes;

#endif
