/*
 * Who is asking. People log in with their card (Web eID token or TLS client certificate)
 * and hold a server-side session in PostgreSQL with idle and absolute limits, CSRF
 * defence, failed-login limits and a login history they can read. Organisations' systems
 * come with client certificates bound to an organisation. The module registers the gates
 * the router runs before every handler; handlers find the caller in rq->actor.
 */
#ifndef MADO_AUTH_H
#define MADO_AUTH_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/http.h"
#include "mado/pki.h"

/* Sets up card login (none when card_trust_dir is empty) and organisation trust (none when
   org_trust_dir is empty), and registers the gates. */
MADO_MUSTCHECK int mado_auth_init(const struct mado_config *cfg, char *why, size_t whylen);
void mado_auth_free(void);

/* Login, logout, the session, the login history and the demo card reader. */
extern const struct mado_route_set mado_auth_routes;

/*
 * Registers a card for a person: a new person, or the person who holds the card
 * `same_as` (a renewed card). The card must pass the certificate checks (revocation
 * included) at now, and its key must not belong to another person. why says what
 * happened, for the operator.
 */
MADO_MUSTCHECK int mado_auth_register_card(struct mado_db *db, struct mado_pki *pki, X509 *card,
					   X509 *same_as, time_t now, char *why, size_t whylen);

/* Binds an organisation's client certificate (mado org-cert); the certificate must pass
   the organisation trust checks at now. why says what happened. */
MADO_MUSTCHECK int mado_auth_add_org_cert(struct mado_db *db, const struct mado_config *cfg,
					  const char *org, X509 *cert, char *why, size_t whylen);

#endif
