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

/*
 * Registers (or updates) a private service, as the operator does when a company joins:
 * its names, the purposes it may ask consent for, the data items it may ever ask for and
 * its redirect URIs (comma-separated lists, each checked). db must be the schema owner's
 * connection. why says what happened.
 */
MADO_MUSTCHECK int mado_consent_rp_register(struct mado_db *db, const char *org,
					    const char *name_ja, const char *name_en,
					    const char *purposes, const char *items,
					    const char *redirects, char *why, size_t whylen);

#endif
