/*
 * Consent and sharing: opt-in consent records that gate every private-sector fetch and
 * every push-type notice, the private services' request / code / grant flow, and the
 * person's controls.
 */
#ifndef MADO_CONSENT_H
#define MADO_CONSENT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/http.h"

/* Keeps the public origin and loads the receipt signing key (consent_receipt_key). */
MADO_MUSTCHECK int mado_consent_init(const struct mado_config *cfg, char *why, size_t whylen);
void mado_consent_free(void);
/* The portal's public origin, where people approve requests. */
const char *mado_consent_origin(void);

/* A redirect URI a service may register: https, or http on loopback (RFC 8252 7.3). */
bool mado_consent_redirect_ok(const char *uri);

/* Handlers (server/consent/consent_api.c), named in the route table. */
int consent__api_rp_request(struct mado_req *rq);
int consent__api_rp_token(struct mado_req *rq);
int consent__api_rp_data(struct mado_req *rq);
int consent__api_gw_notice(struct mado_req *rq);
int consent__api_request_get(struct mado_req *rq);
int consent__api_request_decide(struct mado_req *rq);
int consent__api_list(struct mado_req *rq);
int consent__api_get(struct mado_req *rq);
int consent__api_change(struct mado_req *rq);
int consent__api_push_give(struct mado_req *rq);
int consent__api_receipt(struct mado_req *rq);
int consent__api_receipt_key(struct mado_req *rq);

#endif
