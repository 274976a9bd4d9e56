/*
 * Who is asking. People log in with their card (Web eID token or TLS client certificate)
 * and hold a server-side session in PostgreSQL with idle and absolute limits, CSRF
 * defence, failed-login limits and a login history they can read. Organisations' systems
 * come with client certificates bound to an organisation. The module registers the gates
 * the router runs before every handler; handlers find the caller in rq->actor.
 */
#ifndef MADO_AUTH_H
#define MADO_AUTH_H

#include <stdbool.h>
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
/* Desk staff: login with a staff certificate, logout, who is logged in. */
extern const struct mado_route_set mado_auth_staff_routes;

/* A resident's card at a desk visit: the person and the card's binding. */
struct mado_auth_card {
	char person_id[40];
	char binding_id[24];
};
/* Checks the Web eID token in rq's body against nonce (the visit's challenge) as a card
   login would (chain, revocation, signature, binding): MADO_OK with the person and
   binding, or the error to answer with. Releases the request's connection meanwhile. */
MADO_MUSTCHECK int mado_auth_visit_card(struct mado_req *rq, const char *nonce,
					struct mado_auth_card *out);
/* A new resident session id for the terminal: its cookie set, its hash in key, a CSRF
   token in csrf. */
MADO_MUSTCHECK int mado_auth_person_cookie(struct mado_req *rq, char key[MADO_HASH_PARAM_LEN],
					   char csrf[48]);
/* Clears the resident's session cookie at the terminal. */
void mado_auth_person_cookie_clear(struct mado_req *rq);

/*
 * Registers a card for a person: a new person, or the person who holds the card
 * `same_as` (a renewed card). The card must pass the certificate checks (revocation
 * included) at now, and its key must not belong to another person. why says what
 * happened, for the operator.
 */
MADO_MUSTCHECK int mado_auth_register_card(struct mado_db *db, struct mado_pki *pki, X509 *card,
					   X509 *same_as, time_t now, char *why, size_t whylen);

/*
 * The operator ends the sessions of the person who holds card (any card of theirs,
 * revoked or expired too), or with card NULL everyone's: residents' and helpers'. Each
 * ended session is a logout "ended-by-operator" in its person's login history. db is the
 * schema owner's. why says what happened, for the operator.
 */
MADO_MUSTCHECK int mado_auth_end_sessions(struct mado_db *db, struct mado_pki *pki, X509 *card,
					  char *why, size_t whylen);

/*
 * The operator disables the account of the person who holds card (any card of theirs),
 * for one of mado_auth_hold_reasons, or with reason NULL enables it again. While it is
 * disabled no session opens for the person, theirs or a helper's acting for them (403
 * account-disabled); disabling ends the open ones. Both are events in the person's login
 * history. db is the schema owner's; why says what happened, for the operator.
 */
extern const char *const mado_auth_hold_reasons[];
MADO_MUSTCHECK int mado_auth_account(struct mado_db *db, struct mado_pki *pki, X509 *card,
				     const char *reason, char *why, size_t whylen);

/*
 * Other ways of logging in (passkeys, a phone) use the same challenges and sessions.
 *
 * A challenge is 32 random bytes in standard base64 (44 characters), single-use, for five
 * minutes, for this browser only: on its pre-login session (made, with its cookie, when
 * it has none; marked shared as asked; a person's session the browser still has ends), or
 * with on_session on the person's own session (adding a device, the card step-up).
 */
#define MADO_AUTH_NONCE_SIZE 48
MADO_MUSTCHECK int mado_auth_challenge(struct mado_req *rq, bool on_session, bool shared,
				       char nonce[MADO_AUTH_NONCE_SIZE]);
/* Takes (deletes) the browser's challenge: MADO_OK with it, MADO_E_CHALLENGE_MISSING or
   MADO_E_CHALLENGE_EXPIRED. Once, whatever comes of the attempt. */
MADO_MUSTCHECK int mado_auth_challenge_take(struct mado_req *rq, bool on_session,
					    char nonce[MADO_AUTH_NONCE_SIZE]);
/* The browser's pre-login session (made with its cookie when it has none), its key
   (the cookie's hash, a bytea parameter) in key. */
MADO_MUSTCHECK int mado_auth_prelogin(struct mado_req *rq, bool shared,
				      char key[MADO_HASH_PARAM_LEN]);

struct mado_auth_login {
	const char *person_id;
	const char *binding_id; /* the card binding the login stands on */
	const char *method;     /* "passkey" or "cross-device" */
	const char *passkey_id; /* the passkey used, or NULL */
};
/* Opens the person's session in place of the browser's pre-login session (a new
   cookie), with the login in their history and a notice, and answers 200 as a card
   login does. The card was not used in it: routes with .needs_card refuse it. */
MADO_MUSTCHECK int mado_auth_login(struct mado_req *rq, const struct mado_auth_login *l);
/* An event in the person's login history (method, event and reason as login_events
   allows them). */
MADO_MUSTCHECK int mado_auth_event(struct mado_db *db, const char *person_id, const char *method,
				   const char *event, const char *reason);

/* A client's address reduced to its network (IPv4 /24, IPv6 /48) as "net/len", or "":
   roughly where a request came from, as sessions record it. */
void mado_auth_coarse_net(const char *addr, char *out, size_t len);

/* Binds a desk staff certificate (mado staff-bind) to a desk organisation and a role
   (clerk, desk-lead); the certificate must pass the organisation trust checks now. why
   says what happened, with the staff member's pseudonymous reference. */
MADO_MUSTCHECK int mado_auth_bind_staff(struct mado_db *db, const struct mado_config *cfg,
					const char *org, const char *role, X509 *cert, char *why,
					size_t whylen);
/* Revokes a desk staff member's certificate (mado staff-bind --revoke): their sessions
   and their terminals' visits end at once, and the key never logs in again. */
MADO_MUSTCHECK int mado_auth_revoke_staff(struct mado_db *db, const struct mado_config *cfg,
					  X509 *cert, char *why, size_t whylen);

#endif
