/*
 * The feature modules this build serves. main.c installs their routes; the tests that
 * check every route (against web/openapi.json, for bodies of the wrong shape) read the
 * same list. Adding a module adds one line in server/modules.c.
 */
#ifndef MADO_MODULES_H
#define MADO_MODULES_H

#include <stddef.h>

#include "mado/http.h"

/* The route sets, in the order they are matched. */
const struct mado_route_set *const *mado_modules(size_t *n);

#endif
