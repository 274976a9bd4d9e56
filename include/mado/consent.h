/*
 * Consent and sharing: opt-in consent records that gate every private-sector fetch and
 * every push-type notice, the private services' request / code / grant flow, the person's
 * controls, and signed receipts of every step.
 */
#ifndef MADO_CONSENT_H
#define MADO_CONSENT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/http.h"

/* Keeps the public origin and loads the receipt signing key (consent_receipt_key). */
MADO_MUSTCHECK int mado_consent_init(const struct mado_config *cfg, char *why, size_t whylen);
void mado_consent_free(void);

extern const struct mado_route_set mado_consent_routes;

#endif
