/*
 * Support desks: a clerk logged in at the desk terminal starts a visit, the resident
 * takes it up with their own card, and the terminal then works in a session of the
 * resident of channel desk, with the themes a visit allows (never granting consent, cards,
 * sessions or alerts), every request recorded in the resident's log with the clerk. "End
 * customer" ends it server-side and clears the screen; a new visit ends the last one. The
 * resident sees their desk visits and what was done in each.
 */
#ifndef MADO_DESK_H
#define MADO_DESK_H

#include "mado/config.h"
#include "mado/http.h"

/* Takes the visit time limit (visit_max_s). */
void mado_desk_init(const struct mado_config *cfg);

extern const struct mado_route_set mado_desk_routes;

#endif
