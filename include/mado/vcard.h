/*
 * Virtual cards: certificates and keys made by mado-card under a demo card CA directory
 * (DIR/cards/NAME.crt and NAME.key). A virtual card signs a login challenge the way a
 * card does through Web eID. Used by the mado-card tool and, only when demo_cards_dir is
 * set, by the demo login page; never by the validation code.
 */
#ifndef MADO_VCARD_H
#define MADO_VCARD_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "mado/common.h"

/* True for names mado-card accepts: 1 to 32 of a-z, 0-9 and '-'. */
bool mado_vcard_name_ok(const char *name);

/*
 * A Web eID token (web-eid:1.0) from card NAME of dir for origin and nonce. alg NULL picks
 * RS256 for RSA, ES256/ES384/ES512 for EC by curve. *token is the caller's, freed with
 * cJSON_free (cJSON allocated it).
 */
MADO_MUSTCHECK int mado_vcard_token(const char *dir, const char *name, const char *origin,
				    const char *nonce, const char *alg, char **token);

/* The same for many tokens from one card: load once, sign often (thread-safe per card). */
struct mado_vcard;
MADO_MUSTCHECK int mado_vcard_load(const char *dir, const char *name, struct mado_vcard **out);
MADO_MUSTCHECK int mado_vcard_sign(const struct mado_vcard *card, const char *origin,
				   const char *nonce, const char *alg, char **token);
void mado_vcard_free(struct mado_vcard *card);

/* The cards of dir as [{"name","key","not_after"}], sorted by name. */
MADO_MUSTCHECK int mado_vcard_list(const char *dir, cJSON **out);

#endif
