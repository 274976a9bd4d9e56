/* Shared by the files of server/auth only. */
#ifndef MADO_AUTH_INT_H
#define MADO_AUTH_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/http.h"
#include "mado/pki.h"

#define AUTH_COOKIE           "__Host-mado"
#define AUTH_CHALLENGE_TTL_S  300
#define AUTH_PRELOGIN_TTL_S   600
#define AUTH_TOUCH_INTERVAL_S 30 /* last_seen is written at most this often */
#define AUTH_NONCE_LEN        44 /* 32 random bytes in standard base64, as Web eID wants */
#define AUTH_CSRF_LEN         32 /* 24 random bytes in base64url */

/* The module's settings and trust, set up by mado_auth_init. */
struct auth_state {
	struct mado_pki *cards; /* NULL: card login is not configured */
	struct mado_pki *orgs;  /* NULL: no organisation may call */
	char *origin;
	char *demo_dir;
	char *staff_from;    /* where desk staff may come from (staff_from) */
	bool revocation;     /* cards' */
	bool org_revocation; /* organisations' and staff's */
	int idle_s, shared_idle_s, max_s, recheck_s, staff_max_s;
	int card_fresh_s; /* a card's signature in a session counts this long (the step-up) */
	int fail_addr, fail_card, window_s;
};
extern struct auth_state auth__s;

/* auth.c: decisions without I/O. */
/* A fresh random token of raw bytes, base64url (43 characters for 32 bytes). */
MADO_MUSTCHECK int auth__token(char *out, size_t outlen, size_t raw);
/* Hash of a client address or card for the failure counters. */
void auth__limit_key(const char *what, char out[65]);
/* What a login attempt comes to, from the certificate's finding and what the database
   knows of the card: MADO_OK, or the error to answer with. */
int auth__login_decision(enum mado_pki_reason reason, bool bound, bool key_elsewhere, bool revoked);
/* Does the certificate name a card of ours, one an anchor signed? Only then is an attempt
   counted against the card or kept in its holder's history: a look-alike with the same
   issuer name and serial is nobody's. */
bool auth__card_known(const struct mado_card_id *card);
/* Should a failed attempt with this card be refused before the usual answer (429)? Only
   attempts that did not prove the key are, so the holder is never locked out. */
bool auth__card_limited(enum mado_pki_reason reason, int failures, int max);
/* The client's address reduced to its network (IPv4 /24, IPv6 /48), as "net/len"; "" for
   an address that is neither. */
void auth__coarse_net(const char *addr, char *out, size_t len);

/* auth_gate.c: the gates for people and organisations. */
extern const struct mado_gate auth__person_gate;
extern const struct mado_gate auth__org_gate;
/* auth_staff.c: the gate of desk staff. */
extern const struct mado_gate auth__staff_gate;
/* auth_api.c: a new session id (its hash in key), its cookie set, and a CSRF token. */
MADO_MUSTCHECK int auth__new_session_id(struct mado_req *rq, char key[MADO_HASH_PARAM_LEN],
					char csrf[48]);
/* The session cookie of the request, if any and well formed. */
bool auth__read_cookie(struct mado_req *rq, char *out, size_t len);
void auth__set_cookie(struct mado_req *rq, const char *value);
void auth__clear_cookie(struct mado_req *rq);

/* auth_store.c: the SQL. */
struct auth_binding;
struct auth_session {
	bool found, expired, touch_due, revoked, recheck_due;
	bool shared; /* started on a shared computer: ends after session_idle_shared_s */
	char person_id[40];
	char binding_id[24];
	char channel[16];
	char method[16];
	char csrf[48];
	bool card; /* the card was used in this session, card_fresh_s or less ago */
	/* A helper's session (channel desk or proxy): the themes it may use now (names,
	   space separated; none once the visit or mandate no longer holds) and the helper. */
	char helper_acts[128];
	char helper_org[48];
	char helper_ref[72];
};
int auth__session_get(struct mado_db *db, const char *key, const struct auth_state *st,
		      struct auth_session *s);
int auth__session_touch(struct mado_db *db, const char *key);
/* Records a request of a helper's session in the person's log, naming the themes used
   (space separated): MADO_E_OWN_SESSION_ONLY when the session may not use them now. */
int auth__record_helped(struct mado_db *db, const char *person_id, const char *key,
			const char *themes);
/* Deletes the session; records `event` for its person if it had one. */
int auth__session_end(struct mado_db *db, const char *key, const struct auth_session *s,
		      const char *event);
/* One round trip for a challenge: with csrf, a new pre-login session under key (else the
   browser's own, whose pre-login session is marked shared or not: shared -1 leaves it);
   with nonce, its challenge; and a bounded purge of what ran out. */
int auth__prelogin(struct mado_db *db, const char *key, const char *csrf, int shared,
		   const char *nonce);
/* Takes (deletes) the challenge of a pre-login session (own: of a person's session):
   MADO_OK with the nonce, MADO_E_CHALLENGE_MISSING, or MADO_E_CHALLENGE_EXPIRED. */
int auth__challenge_take(struct mado_db *db, const char *key, bool own, char *nonce, size_t len);
/* The card was used in the person's session (a step-up): records it and which card, and
   the session takes the id new_key from now on (the old cookie no longer reaches it). */
int auth__session_card(struct mado_db *db, const char *key, const char *new_key,
		       const struct auth_binding *b);

struct auth_binding {
	bool found, revoked;
	char id[24];
	char person_id[40];
};
/* The binding of the card (its issuer's key and serial); none for a card no anchor signed. */
int auth__binding_find(struct mado_db *db, const struct mado_card_id *card, struct auth_binding *b);
/* Ends person_id's sessions, or everyone's when NULL (the schema owner's connection):
 *ended of them, each a logout ended-by-operator in its person's history. */
int auth__sessions_end(struct mado_db *db, const char *person_id, int *ended);
/* Disables person_id's account for reason, or with reason NULL enables it (the schema
   owner's connection). Disabling: *n sessions ended, or -1 if it already was; enabling: 1,
   or 0 if it was not disabled. */
int auth__account_hold(struct mado_db *db, const char *person_id, const char *reason, int *n);
/* Keys the bindings stored without their issuer's key (before migration 0008) from their
   certificates against pki's anchors: *keyed were; *left (signed by no anchor, or whose
   key and serial another binding holds) stay unkeyed. */
int auth__key_bindings(struct mado_db *db, struct mado_pki *pki, int *keyed, int *left);
/* Is this key bound to a person other than person_id (NULL: to anyone)? */
int auth__key_elsewhere(struct mado_db *db, const char *key_hash, const char *person_id,
			bool *conflict);
/* A card refused for a key bound to another person: the supervisor's case (card-key). */
int auth__key_case(struct mado_db *db, const char *key_hash);
/* Creates the person's session (ending the browser's session under prelogin_key, with a
   logout for prior's person when it was one's), records the login and its notice, and
   when the card was last used. client_net: the coarse network it came from, or "". */
struct auth_login {
	const char *method;
	const char *passkey_id; /* the passkey used, or NULL */
	bool card;              /* the card was used */
	bool revocation_checked;
	bool shared;
	const char *client_net;
};
int auth__login(struct mado_db *db, const char *prelogin_key, const struct auth_session *prior,
		const char *key, const struct auth_binding *b, const char *csrf, int max_s,
		const struct auth_login *l);
/* A card login after its checks, in one round trip: the card's binding (found: it has
   one), whether its key is bound to another person (asked only when pass), and, when o is
   not NULL and the login holds (auth__login_decision is MADO_OK), the session opened as
   auth__login opens it with the card's failure counter card_key cleared: logged_in. */
struct auth_open {
	const char *prelogin_key;
	const struct auth_session *prior;
	const char *key, *csrf;
	int max_s;
	const struct auth_login *l;
};
struct auth_card_login {
	bool found, revoked, key_elsewhere, logged_in;
	char id[24];
	char person_id[40];
};
int auth__card_login(struct mado_db *db, const struct mado_card_id *card, bool pass,
		     const char *card_key, const struct auth_open *o, struct auth_card_login *out);
int auth__event(struct mado_db *db, const char *person_id, const char *method, const char *event,
		const char *reason);
int auth__binding_cert(struct mado_db *db, const char *binding_id, X509 **cert);
int auth__binding_checked(struct mado_db *db, const char *binding_id);
/* The id of one of the person's cards not revoked and not checked for recheck_s (the
   longest unchecked first) into binding, or "" when none is due. */
int auth__card_due(struct mado_db *db, const char *person_id, int recheck_s, char *binding,
		   size_t len);
/* Marks the card revoked and ends every session that used it. */
int auth__binding_revoked(struct mado_db *db, const char *binding_id, const char *person_id);
int auth__register(struct mado_db *db, const struct mado_card_id *card, const unsigned char *der,
		   size_t derlen, const char *person_id);
int auth__fail_count(struct mado_db *db, const char *scope, const char *key, int window_s,
		     int *failures, int *retry_after);
int auth__fail_bump(struct mado_db *db, const char *scope, const char *key, int window_s);
/* Counts one request under key (a hashed per-client key) in a window of window_s: *count
   is the count in the window, this one included. */
int auth__rate_hit(struct mado_db *db, const char *key, int window_s, int *count, int *retry_after);
int auth__fail_clear(struct mado_db *db, const char *scope, const char *key);
/* The person's login history, newest first, into items; *next is the cursor or 0. */
int auth__logins(struct mado_db *db, const char *person_id, long long before, int limit,
		 cJSON *items, long long *next);
/* The person's open sessions into items (key: the asking session's, marked current). */
int auth__sessions(struct mado_db *db, const char *person_id, const char *key, cJSON *items);
/* Ends the person's session with this handle, with a logout in their history; *found is
   false for a handle that is not one of theirs. */
int auth__end_own_session(struct mado_db *db, const char *person_id, const char *handle,
			  bool *found);
/* The cards bound to the person into items, never with their serial in full. */
int auth__cards(struct mado_db *db, const char *person_id, cJSON *items);
/* The organisation and kind a client certificate's key is bound to. */
int auth__org_by_key(struct mado_db *db, const char *key_hash, char *org, size_t orglen, char *kind,
		     size_t kindlen, bool *found);

/* Hand-offs to a signing app on the same device: a one-time id (its SHA-256 in hex)
   made with a pre-login session's challenge (key), five minutes, once. */
struct auth_handoff {
	bool found, expired, revocation_checked;
	char session[MADO_HASH_PARAM_LEN]; /* claim: the pre-login session, "" when not waiting */
	char state[16];
	char person_id[40];
	char binding_id[24];
};
int auth__handoff_new(struct mado_db *db, const char *key, const char *handoff_hash);
/* The app's post: a waiting hand-off becomes refused (until its token passes) and
   h->session names its pre-login session; h->session is "" for one that was not waiting. */
int auth__handoff_claim(struct mado_db *db, const char *handoff_hash, struct auth_handoff *h);
/* The token passed: the hand-off is approved for the card's person and binding. */
int auth__handoff_approve(struct mado_db *db, const char *handoff_hash,
			  const struct auth_binding *b, bool revocation_checked);
/* The page's poll: the newest hand-off of its pre-login session; an approved one is spent
   by it (state "approved" for this call only, "used" after). */
int auth__handoff_of_session(struct mado_db *db, const char *key, struct auth_handoff *h);

/* auth_gate.c: whether cert (freed here) is revoked now, asked of pki with no pooled
   connection held, since the answer may come from the network; *db is a connection taken
   again to record it. An answer that cannot be had is the error to refuse with. */
int auth__revoked_now(struct mado_req *rq, struct mado_pki *pki, X509 *cert, struct mado_db **db,
		      bool *revoked, struct mado_pki_result *res);

/* Desk staff (sql/functions/desk.sql). */
struct auth_staff {
	bool found, expired, recheck_due;
	char ref[24];
	char org[48];
	char role[16];
	char csrf[48];
};
/* Opens a staff session under key for the staff member of key_hash, keeping their
   certificate (der) for its revocation checks; st->found is false when no unrevoked staff
   member has that key. */
int auth__staff_login(struct mado_db *db, const char *key_hash, const char *key, const char *csrf,
		      int max_s, const unsigned char *der, size_t derlen, struct auth_staff *st);
/* The staff session of key; st->recheck_due when its certificate was last checked
   recheck_s or more ago. */
int auth__staff_session(struct mado_db *db, const char *key, int recheck_s, struct auth_staff *st);
/* The certificate the staff session of key logged in with (the caller frees it). */
int auth__staff_cert(struct mado_db *db, const char *key, X509 **cert);
/* Records the check: good, or revoked (the staff member is revoked, their sessions and
   their terminals' visits end). */
int auth__staff_checked(struct mado_db *db, const char *key, bool revoked);
/* Ends the staff session and the visits of its terminal. */
int auth__staff_logout(struct mado_db *db, const char *key);
/* Binds a staff certificate's key (mado staff-bind): ref receives the pseudonymous id. */
int auth__staff_bind(struct mado_db *db, const char *key_hash, const char *org, const char *role,
		     char *ref, size_t reflen);
/* Revokes the staff member of key_hash, ending their sessions and their terminals'
   visits: ref receives their reference, "" when no staff member has the key. */
int auth__staff_revoke(struct mado_db *db, const char *key_hash, char *ref, size_t reflen);

#endif
