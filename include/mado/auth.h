/*
 * Card login and sessions: login challenges, Web eID token and TLS client-certificate
 * login, server-side sessions in PostgreSQL with idle and absolute limits, CSRF defence,
 * failed-login limits, the person's login history, and card registration.
 *
 * The gate (registered with the router) runs before every handler; handlers of routes
 * that need a session find the person in rq->actor.
 */
#ifndef MADO_AUTH_H
#define MADO_AUTH_H

#include <stddef.h>

#include <openssl/x509.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/http.h"
#include "mado/pki.h"

/* Sets up card login from the configuration (no-op when card_trust_dir is empty) and
   registers the gate. */
MADO_MUSTCHECK int mado_auth_init(const struct mado_config *cfg, char *why, size_t whylen);
void mado_auth_free(void);

/* The card trust settings of cfg, for mado_pki_new. */
void mado_auth_pki_config(const struct mado_config *cfg, struct mado_pki_config *pc);

/* The error a certificate check's finding maps to (MADO_OK for a pass). */
int mado_auth_err_for(enum mado_pki_reason r);

/* Handlers (server/auth/auth_api.c), named in the route table. */
int auth__api_challenge(struct mado_req *rq);
int auth__api_webeid(struct mado_req *rq);
int auth__api_tls(struct mado_req *rq);
int auth__api_logout(struct mado_req *rq);
int auth__api_session(struct mado_req *rq);
int auth__api_logins(struct mado_req *rq);
int auth__api_demo_cards(struct mado_req *rq);
int auth__api_demo_token(struct mado_req *rq);

/*
 * Registers a card for a person: a new person, or the person who holds the card
 * `same_as` (a renewed card). The card must pass the certificate checks (revocation
 * included) at now, and its key must not belong to another person.
 */
MADO_MUSTCHECK int mado_auth_register_card(struct mado_db *db, struct mado_pki *pki, X509 *card,
					   X509 *same_as, time_t now, char *why, size_t whylen);

#endif
