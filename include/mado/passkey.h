/*
 * Passkeys bound to the card, and logging in on a computer with the phone. After a card
 * login a person adds a device (WebAuthn registration, user verification required); the
 * passkey belongs to them and to the card it was added under, and stops working when
 * that card is revoked. A passkey login opens a session like a card login's, except for
 * what needs the card (.needs_card). A computer shows a code (QR and text) and a
 * two-digit number; the person's phone, logged in, opens the code and picks the number,
 * and the computer's waiting page becomes a session. Challenges and sessions are the auth
 * module's.
 */
#ifndef MADO_PASSKEY_H
#define MADO_PASSKEY_H

#include "mado/config.h"
#include "mado/http.h"

/* Takes the site's origin (public_origin) and relying party id (its host). */
void mado_passkey_init(const struct mado_config *cfg);
void mado_passkey_free(void);

extern const struct mado_route_set mado_passkey_routes;

#endif
