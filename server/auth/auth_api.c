/*
 * Card login over HTTP: the login steps, logout, the person's session and login history,
 * and the demo's virtual card reader; and the module's set-up, which registers the gates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "mado/auth.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "mado/vcard.h"
#include "auth_int.h"

struct auth_state auth__s;

/* The routes' per-client limits (.rate_limited), on the failed-login counters' table. */
static int
rate_hit(struct mado_req *rq, const char *what, int max, int window_s, int *retry_after)
{
	char key[65];
	struct mado_db *db;
	int count = 0, rc;

	auth__limit_key(what, key);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__rate_hit(db, key, window_s, &count, retry_after)) != MADO_OK)
		return rc;
	return count > max ? MADO_E_RATE_LIMITED : MADO_OK;
}

/* The failed-login counter's key for the request's client (IPv6 by /64). */
static void
addr_limit_key(struct mado_req *rq, char key[65])
{
	char client[80];

	mado_http_client_key(rq, client, sizeof(client));
	auth__limit_key(client, key);
}

/* Bindings from before migration 0008 get their issuer's key from their certificate. */
static int
key_bindings(struct mado_pki *pki, char *why, size_t whylen)
{
	struct mado_db *db;
	int keyed, left, rc;

	if ((rc = mado_db_acquire(&db)) == MADO_OK)
		rc = auth__key_bindings(db, pki, &keyed, &left);
	mado_db_release(db);
	if (rc != MADO_OK) {
		snprintf(why, whylen, "cannot key the card bindings on their issuers' keys");
		return rc;
	}
	if (keyed > 0)
		mado_log_info(NULL, "auth: %d card bindings keyed on their issuer's key", keyed);
	if (left > 0)
		mado_log_warn(NULL,
			      "auth: %d card bindings stay without their issuer's key (no anchor "
			      "of card_trust_dir signed them, or another binding holds the same "
			      "key and serial); those cards cannot log in",
			      left);
	return MADO_OK;
}

int
mado_auth_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	struct mado_pki_config pc;
	int rc;

	memset(&auth__s, 0, sizeof(auth__s));
	auth__s.idle_s = cfg->session_idle_s;
	auth__s.shared_idle_s = cfg->session_idle_shared_s;
	auth__s.max_s = cfg->session_max_s;
	auth__s.staff_max_s = cfg->staff_session_max_s;
	auth__s.recheck_s = cfg->card_recheck_s;
	auth__s.card_fresh_s = cfg->card_fresh_s;
	auth__s.fail_addr = cfg->login_fail_max_addr;
	auth__s.fail_card = cfg->login_fail_max_card;
	auth__s.window_s = cfg->login_fail_window_s;
	auth__s.revocation = strcmp(cfg->card_revocation, "off") != 0;
	auth__s.origin = mado_xstrdup(cfg->public_origin);
	auth__s.staff_from = mado_xstrdup(cfg->staff_from);
	if (*cfg->demo_cards_dir != '\0') {
		auth__s.demo_dir = mado_xstrdup(cfg->demo_cards_dir);
		mado_log_warn(NULL, "demo virtual cards are enabled (demo_cards_dir)");
	}
	if (*cfg->card_trust_dir != '\0') {
		mado_pki_config_from(cfg, MADO_PKI_CARDS, &pc);
		if ((rc = mado_pki_new(&pc, &auth__s.cards, why, whylen)) != MADO_OK ||
		    (rc = key_bindings(auth__s.cards, why, whylen)) != MADO_OK)
			return rc;
		if (!auth__s.revocation)
			mado_log_warn(NULL,
				      "card revocation checking is OFF (card_revocation = off): "
				      "for tests only, never in production");
	}
	if (*cfg->org_trust_dir != '\0') {
		mado_pki_config_from(cfg, MADO_PKI_ORGS, &pc);
		if ((rc = mado_pki_new(&pc, &auth__s.orgs, why, whylen)) != MADO_OK)
			return rc;
		auth__s.org_revocation = pc.revocation != MADO_REVOCATION_OFF;
		if (!auth__s.org_revocation)
			mado_log_warn(NULL, "organisation certificate revocation checking is OFF "
					    "(org_revocation = off): for tests only");
	}
	mado_http_set_gate(MADO_PERSON, &auth__person_gate);
	mado_http_set_gate(MADO_VISITOR, &auth__person_gate);
	mado_http_set_gate(MADO_ORG, &auth__org_gate);
	mado_http_set_gate(MADO_STAFF, &auth__staff_gate);
	mado_http_set_limiter(rate_hit);
	return MADO_OK;
}

void
mado_auth_free(void)
{
	mado_pki_free(auth__s.cards);
	mado_pki_free(auth__s.orgs);
	free(auth__s.origin);
	free(auth__s.demo_dir);
	free(auth__s.staff_from);
	memset(&auth__s, 0, sizeof(auth__s));
}

/* A new session id (the cookie's value and its hash in key) and its CSRF token. */
static int
session_token(char cookie[64], char key[MADO_HASH_PARAM_LEN], char csrf[48])
{
	if (auth__token(cookie, 64, 32) != MADO_OK ||
	    auth__token(csrf, 48, AUTH_CSRF_LEN * 3 / 4) != MADO_OK)
		return MADO_E_INTERNAL;
	mado_secret_hash(cookie, key);
	return MADO_OK;
}

/* A new session (or pre-login session) id, its cookie, and its CSRF token. */
int
auth__new_session_id(struct mado_req *rq, char key[MADO_HASH_PARAM_LEN], char csrf[48])
{
	char cookie[64];
	int rc;

	if ((rc = session_token(cookie, key, csrf)) == MADO_OK)
		auth__set_cookie(rq, cookie);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	return rc;
}

/* Ends the request's session; its person (if any) gets event in their history. */
static int
end_session(struct mado_req *rq, struct mado_db *db, const char *event)
{
	struct auth_session s;

	memset(&s, 0, sizeof(s));
	memcpy(s.person_id, rq->actor.person_id, sizeof(s.person_id));
	memcpy(s.method, rq->actor.method, sizeof(s.method));
	return auth__session_end(db, rq->actor.session_hex, &s, event);
}

/* How long the session may stay idle. */
static int
idle_of(bool shared)
{
	return shared && auth__s.shared_idle_s < auth__s.idle_s ? auth__s.shared_idle_s
								: auth__s.idle_s;
}

/* The browser's pre-login session, made when it has none. A new login ends the person's
   session this browser still has (shared terminals): server-side, with the logout in
   their history. A pre-login session is marked shared, or not, as the request asks; with
   a nonce, it gets that challenge. The session, its challenge and the purge of what ran
   out are one round trip. */
static int
prelogin_of(struct mado_req *rq, struct mado_db *db, bool shared, const char *nonce,
	    char key[MADO_HASH_PARAM_LEN])
{
	char csrf[48];
	int rc;

	if (rq->actor.session && rq->actor.authenticated &&
	    (rc = end_session(rq, db, "logout")) != MADO_OK)
		return rc;
	if (rq->actor.session && !rq->actor.authenticated) {
		memcpy(key, rq->actor.session_hex, MADO_HASH_PARAM_LEN);
		return auth__prelogin(db, key, NULL, shared, nonce);
	}
	if ((rc = auth__new_session_id(rq, key, csrf)) != MADO_OK ||
	    (rc = auth__prelogin(db, key, csrf, shared, nonce)) != MADO_OK)
		return rc;
	/* The request now stands for the new pre-login session. */
	memcpy(rq->actor.session_hex, key, MADO_HASH_PARAM_LEN);
	rq->actor.session = true;
	rq->actor.authenticated = false;
	rq->actor.shared = shared;
	rq->actor.person_id[0] = '\0';
	return MADO_OK;
}

int
mado_auth_prelogin(struct mado_req *rq, bool shared, char key[MADO_HASH_PARAM_LEN])
{
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	return prelogin_of(rq, db, shared, NULL, key);
}

int
mado_auth_challenge(struct mado_req *rq, bool on_session, bool shared,
		    char nonce[MADO_AUTH_NONCE_SIZE])
{
	char key[MADO_HASH_PARAM_LEN];
	unsigned char raw[32];
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	mado_b64(raw, sizeof(raw), nonce);
	/* The challenge belongs to this browser's session: one per cookie. */
	if (!on_session)
		return prelogin_of(rq, db, shared, nonce, key);
	if (!rq->actor.authenticated)
		return MADO_E_UNAUTHENTICATED;
	return auth__prelogin(db, rq->actor.session_hex, NULL, -1, nonce);
}

int
mado_auth_challenge_take(struct mado_req *rq, bool on_session, char nonce[MADO_AUTH_NONCE_SIZE])
{
	struct mado_db *db;
	int rc;

	if (!rq->actor.session || rq->actor.authenticated != on_session)
		return MADO_E_CHALLENGE_MISSING;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	return auth__challenge_take(db, rq->actor.session_hex, on_session, nonce,
				    MADO_AUTH_NONCE_SIZE);
}

/* The answer to a login: the new session's CSRF token and limits. */
static int
logged_in(struct mado_req *rq, char csrf[48], bool shared)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "status", "logged_in");
	cJSON_AddStringToObject(out, "csrf_token", csrf);
	cJSON_AddNumberToObject(out, "idle_timeout_s", idle_of(shared));
	cJSON_AddBoolToObject(out, "shared", shared);
	cJSON_AddNumberToObject(out, "expires_in_s", auth__s.max_s);
	OPENSSL_cleanse(csrf, 48);
	return mado_http_json(rq, 200, out);
}

int
mado_auth_login(struct mado_req *rq, const struct mado_auth_login *l)
{
	char key[MADO_HASH_PARAM_LEN], csrf[48], net[64];
	struct auth_session prior;
	struct auth_binding b;
	struct auth_login al;
	struct mado_db *db;
	int rc;

	memset(&b, 0, sizeof(b));
	memset(&prior, 0, sizeof(prior));
	memset(&al, 0, sizeof(al));
	b.found = true;
	snprintf(b.id, sizeof(b.id), "%s", l->binding_id);
	snprintf(b.person_id, sizeof(b.person_id), "%s", l->person_id);
	memcpy(prior.person_id, rq->actor.person_id, sizeof(prior.person_id));
	memcpy(prior.method, rq->actor.method, sizeof(prior.method));
	auth__coarse_net(mado_http_client_addr(rq), net, sizeof(net));
	al.method = l->method;
	al.passkey_id = l->passkey_id;
	al.shared = rq->actor.shared;
	al.client_net = net;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__new_session_id(rq, key, csrf)) != MADO_OK ||
	    (rc = auth__login(db, rq->actor.session ? rq->actor.session_hex : NULL, &prior, key, &b,
			      csrf, auth__s.max_s, &al)) != MADO_OK)
		return rc;
	return logged_in(rq, csrf, al.shared);
}

void
mado_auth_coarse_net(const char *addr, char *out, size_t len)
{
	auth__coarse_net(addr, out, len);
}

int
mado_auth_event(struct mado_db *db, const char *person_id, const char *method, const char *event,
		const char *reason)
{
	return auth__event(db, person_id, method, event, reason);
}

static int
challenge(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE];
	bool step_up = mado_http_query_true(rq, "step_up");
	cJSON *out;
	int rc;

	if (auth__s.cards == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	/* The step-up: the card, in the person's own session. */
	if (step_up && !rq->actor.authenticated)
		return MADO_E_UNAUTHENTICATED;
	if ((rc = mado_auth_challenge(rq, step_up, mado_http_query_true(rq, "shared"), nonce)) !=
	    MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "nonce", nonce);
	cJSON_AddNumberToObject(out, "expires_in", AUTH_CHALLENGE_TTL_S);
	return mado_http_json(rq, 200, out);
}

/* A failed attempt: counted, kept in the card holder's history, answered. */
static int
login_failed(struct mado_req *rq, struct mado_db *db, const char *addr_key, const char *card_key,
	     enum mado_pki_reason reason, const struct mado_pki_result *res,
	     const struct auth_binding *b, const char *method, int err)
{
	bool known = auth__card_known(&res->card);
	int failures = 0, retry = 0, rc;
	char after[16];

	if (err == MADO_E_CARD_KEY_CONFLICT) {
		mado_log_err(rq->id, "auth: card %s carries a key bound to another person",
			     res->card.fingerprint);
		if ((rc = auth__key_case(db, res->card.key_hash)) != MADO_OK)
			return rc;
	}
	if ((rc = auth__fail_bump(db, "addr", addr_key, auth__s.window_s)) != MADO_OK ||
	    (known && (rc = auth__fail_bump(db, "card", card_key, auth__s.window_s)) != MADO_OK))
		return rc;
	if (b->found &&
	    (rc = auth__event(db, b->person_id, method, "failure", mado_err_slug(err))) != MADO_OK)
		return rc;
	/* Past the card's or the address's limit, an attempt that did not prove the key gets
	   429: the holder, whose signature verifies, is never locked out by someone else. */
	if (known && reason != MADO_PKI_PASS &&
	    (rc = auth__fail_count(db, "card", card_key, auth__s.window_s, &failures, &retry)) !=
		MADO_OK)
		return rc;
	if (known && auth__card_limited(reason, failures, auth__s.fail_card)) {
		snprintf(after, sizeof(after), "%d", retry);
		mado_http_header(rq, "Retry-After", after);
		return mado_http_fail(rq, MADO_E_RATE_LIMITED,
				      "too many failed logins with this card");
	}
	if (reason != MADO_PKI_PASS &&
	    (rc = auth__fail_count(db, "addr", addr_key, auth__s.window_s, &failures, &retry)) !=
		MADO_OK)
		return rc;
	if (auth__card_limited(reason, failures, auth__s.fail_addr)) {
		snprintf(after, sizeof(after), "%d", retry);
		mado_http_header(rq, "Retry-After", after);
		return mado_http_fail(rq, MADO_E_RATE_LIMITED, "too many failed logins from here");
	}
	return reason != MADO_PKI_PASS ? mado_http_refuse(rq, err, mado_pki_reason_str(reason))
				       : err;
}

/*
 * Everything after the certificate (and signature) checks, for both login methods: the
 * binding, the decision, then counters and history for a failure or the new session. A
 * login that holds is one round trip: the database opens the session with the lookup.
 */
static int
finish_login(struct mado_req *rq, const char *addr_key, enum mado_pki_reason reason,
	     const struct mado_pki_result *res, const char *method, bool shared, bool step_up,
	     const char *handoff)
{
	char card_key[65], idbuf[160], key[MADO_HASH_PARAM_LEN], csrf[48], net[64], cookie[64];
	bool known = auth__card_known(&res->card);
	bool open = reason == MADO_PKI_PASS && !step_up && handoff == NULL;
	struct auth_card_login cl;
	struct auth_session prior;
	struct auth_binding b;
	struct auth_login al;
	struct auth_open o;
	struct mado_db *db;
	cJSON *out;
	int rc, err;

	memset(&b, 0, sizeof(b));
	memset(&cl, 0, sizeof(cl));
	memset(&al, 0, sizeof(al));
	memset(&prior, 0, sizeof(prior));
	memcpy(prior.person_id, rq->actor.person_id, sizeof(prior.person_id));
	memcpy(prior.method, rq->actor.method, sizeof(prior.method));
	snprintf(idbuf, sizeof(idbuf), "%s:%s", res->card.issuer_key, res->card.serial);
	auth__limit_key(idbuf, card_key);
	/* The new session's id is made before it is known whether the login holds; its
	   cookie is set only once it does. */
	if (open) {
		auth__coarse_net(mado_http_client_addr(rq), net, sizeof(net));
		al.method = method;
		al.card = true;
		al.revocation_checked = auth__s.revocation;
		al.shared = shared;
		al.client_net = net;
		o.prelogin_key = rq->actor.session ? rq->actor.session_hex : NULL;
		o.prior = &prior;
		o.key = key;
		o.csrf = csrf;
		o.max_s = auth__s.max_s;
		o.l = &al;
		if ((rc = session_token(cookie, key, csrf)) != MADO_OK)
			goto out;
	}
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (known && (rc = auth__card_login(db, &res->card, reason == MADO_PKI_PASS, card_key,
					     open ? &o : NULL, &cl)) != MADO_OK))
		goto out;
	b.found = cl.found;
	b.revoked = cl.revoked;
	memcpy(b.id, cl.id, sizeof(b.id));
	memcpy(b.person_id, cl.person_id, sizeof(b.person_id));
	err = auth__login_decision(reason, b.found, cl.key_elsewhere, b.revoked);
	if (err == MADO_OK && step_up && strcmp(b.person_id, rq->actor.person_id) != 0)
		err = MADO_E_FORBIDDEN; /* another person's card confirms nothing here */
	if (err != MADO_OK) {
		rc = login_failed(rq, db, addr_key, card_key, reason, res, &b, method, err);
		goto out;
	}
	if (step_up) {
		/* The card, in a session opened otherwise (a passkey): recorded, and what
		   needs the card is open to this session from now on, under a new id, so a
		   copy of the old cookie does not get it. The CSRF token stays: the page
		   that asked goes on. */
		if ((rc = session_token(cookie, key, csrf)) != MADO_OK ||
		    (rc = auth__session_card(db, rq->actor.session_hex, key, &b)) != MADO_OK ||
		    (rc = auth__fail_clear(db, "card", card_key)) != MADO_OK)
			goto out;
		auth__set_cookie(rq, cookie);
		mado_log_info(rq->id, "auth: card step-up with card %s", res->card.fingerprint);
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "status", "card_confirmed");
		rc = mado_http_json(rq, 200, out);
		goto out;
	}
	if (handoff != NULL) {
		/* A signing app's token for a pre-login session: the page that asked opens
		   the session at its next poll, with its own cookie. */
		if ((rc = auth__handoff_approve(db, handoff, &b, auth__s.revocation)) != MADO_OK ||
		    (rc = auth__fail_clear(db, "card", card_key)) != MADO_OK)
			goto out;
		mado_log_info(rq->id, "auth: hand-off approved with card %s",
			      res->card.fingerprint);
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "status", "approved");
		rc = mado_http_json(rq, 200, out);
		goto out;
	}
	/* The decision held, so the database opened the session with the lookup. */
	if (!cl.logged_in) {
		rc = MADO_E_INTERNAL;
		goto out;
	}
	auth__set_cookie(rq, cookie);
	mado_log_info(rq->id, "auth: login by %s with card %s", method, res->card.fingerprint);
	rc = logged_in(rq, csrf, shared);
out:
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(csrf, sizeof(csrf));
	return rc;
}

static int
login_webeid(struct mado_req *rq)
{
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	char addr_key[65], nonce[64];
	struct mado_db *db;
	int rc;

	bool step_up = rq->actor.authenticated;

	if (auth__s.cards == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	/* No challenge, no attempt: refused without counting it. It cost nothing, and
	   counting it would let anyone lock out everyone behind a shared address. In a
	   person's session, the challenge is a step-up's (?step_up=true). */
	if (!rq->actor.session)
		return MADO_E_CHALLENGE_MISSING;
	/* The nonce is taken out before validation, even if validation then fails: once. */
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__challenge_take(db, rq->actor.session_hex, step_up, nonce, sizeof(nonce))) !=
		MADO_OK)
		return rc;
	addr_limit_key(rq, addr_key);
	/* The revocation check waits on the network: not with a pooled connection. */
	mado_http_db_release(rq);
	reason = mado_webeid_validate(auth__s.cards, rq->body, rq->body_len, auth__s.origin, nonce,
				      time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res, NULL);
	/* The pre-login session says whether this is a shared computer (its challenge). */
	return finish_login(rq, addr_key, reason, &res, "webeid", rq->actor.shared, step_up, NULL);
}

/*
 * The same device with a signing app (a native card-reading app). The page asks for a
 * challenge with a hand-off id and opens the app link
 *   mado-card://login?origin=O&nonce=N&handoff=H&return=R
 * (each value percent-encoded); the app signs a Web eID token for O and N with the card and
 * posts it, without a cookie, to O/api/v1/auth/handoff/H/token; the page polls
 * /api/v1/auth/handoff/poll and gets its session. The token goes through the card login's
 * checks, counters and history, against the challenge of the pre-login session H was made
 * for.
 */
#define HANDOFF_ID_LEN 43 /* 32 random bytes in base64url */

/* Percent-encodes s (RFC 3986 unreserved characters stay) into out. */
static void
pct_encode(const char *s, char *out, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;

	for (; *s != '\0' && o + 4 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c == '.' || c == '~') {
			out[o++] = (char)c;
		} else {
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
}

static bool
handoff_id_ok(const char *id)
{
	size_t n = strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

	return n == HANDOFF_ID_LEN && id[n] == '\0';
}

/* The page: a challenge, a hand-off id for the app, and the app link. */
static int
handoff_new(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE], id[48], hash[65], back[256], eo[256], en[160], eb[640];
	char link[1280], post[320];
	unsigned char raw[32];
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (auth__s.cards == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	if ((rc = mado_auth_challenge(rq, false, mado_http_query_true(rq, "shared"), nonce)) !=
	    MADO_OK)
		return rc;
	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	mado_b64url(raw, sizeof(raw), id);
	OPENSSL_cleanse(raw, sizeof(raw));
	mado_sha256_hex(id, strlen(id), hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__handoff_new(db, rq->actor.session_hex, hash)) != MADO_OK)
		return rc;
	snprintf(back, sizeof(back), "%s/#/login?handoff=1", auth__s.origin);
	pct_encode(auth__s.origin, eo, sizeof(eo));
	pct_encode(nonce, en, sizeof(en));
	pct_encode(back, eb, sizeof(eb));
	snprintf(link, sizeof(link), "mado-card://login?origin=%s&nonce=%s&handoff=%s&return=%s",
		 eo, en, id, eb);
	snprintf(post, sizeof(post), "%s/api/v1/auth/handoff/%s/token", auth__s.origin, id);
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "nonce", nonce);
	cJSON_AddStringToObject(out, "handoff", id);
	cJSON_AddStringToObject(out, "app_link", link);
	cJSON_AddStringToObject(out, "token_url", post);
	cJSON_AddNumberToObject(out, "expires_in", AUTH_CHALLENGE_TTL_S);
	OPENSSL_cleanse(id, sizeof(id));
	OPENSSL_cleanse(link, sizeof(link));
	OPENSSL_cleanse(post, sizeof(post));
	return mado_http_json(rq, 200, out);
}

/* The app: the Web eID token for the hand-off's pre-login session. */
static int
handoff_token(struct mado_req *rq)
{
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	struct auth_handoff h;
	char addr_key[65], nonce[64], hash[65];
	struct mado_db *db;
	int rc;

	if (auth__s.cards == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	if (!handoff_id_ok(rq->params[0]))
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	mado_sha256_hex(rq->params[0], HANDOFF_ID_LEN, hash);
	/* The hand-off is spent first, whatever comes of the token: once. */
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__handoff_claim(db, hash, &h)) != MADO_OK)
		return rc;
	if (!h.found)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	if (h.session[0] == '\0')
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "used");
	if (h.expired)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "expired");
	/* The challenge of that pre-login session, taken as a card login takes it. */
	if ((rc = auth__challenge_take(db, h.session, false, nonce, sizeof(nonce))) != MADO_OK)
		return rc;
	addr_limit_key(rq, addr_key);
	mado_http_db_release(rq);
	reason = mado_webeid_validate(auth__s.cards, rq->body, rq->body_len, auth__s.origin, nonce,
				      time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res, NULL);
	return finish_login(rq, addr_key, reason, &res, "webeid", false, false, hash);
}

/* The page asks whether the app's token passed: waiting, its session, or why not. */
static int
handoff_poll(struct mado_req *rq)
{
	char key[MADO_HASH_PARAM_LEN], csrf[48], net[64];
	struct auth_session prior;
	struct auth_handoff h;
	struct auth_binding b;
	struct auth_login al;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!rq->actor.session || rq->actor.authenticated)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__handoff_of_session(db, rq->actor.session_hex, &h)) != MADO_OK)
		return rc;
	if (!h.found)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	if (strcmp(h.state, "approved") == 0) {
		memset(&prior, 0, sizeof(prior));
		memset(&b, 0, sizeof(b));
		memset(&al, 0, sizeof(al));
		b.found = true;
		snprintf(b.id, sizeof(b.id), "%s", h.binding_id);
		snprintf(b.person_id, sizeof(b.person_id), "%s", h.person_id);
		auth__coarse_net(mado_http_client_addr(rq), net, sizeof(net));
		al.method = "webeid";
		al.card = true;
		al.revocation_checked = h.revocation_checked;
		al.shared = rq->actor.shared;
		al.client_net = net;
		if ((rc = auth__new_session_id(rq, key, csrf)) != MADO_OK ||
		    (rc = auth__login(db, rq->actor.session_hex, &prior, key, &b, csrf,
				      auth__s.max_s, &al)) != MADO_OK)
			return rc;
		mado_log_info(rq->id, "auth: login by webeid through a signing app");
		return logged_in(rq, csrf, al.shared);
	}
	if (strcmp(h.state, "waiting") == 0 && !h.expired) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "status", "waiting");
		return mado_http_json(rq, 200, out);
	}
	if (h.expired)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "expired");
	return mado_http_refuse(rq, MADO_E_GRANT_INVALID,
				strcmp(h.state, "refused") == 0 ? "refused" : "used");
}

/* Browsers navigating to the TLS login get a page, not JSON. */
static bool
wants_html(struct mado_req *rq)
{
	const char *accept = mado_http_req_header(rq, "Accept");

	return accept != NULL && strstr(accept, "text/html") != NULL;
}

static int
login_tls(struct mado_req *rq)
{
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	char addr_key[65], location[512];
	X509 *peer = mado_http_client_cert(rq);
	int rc;

	if (auth__s.cards == NULL)
		rc = MADO_E_CARD_LOGIN_UNAVAILABLE;
	else if (peer == NULL)
		rc = MADO_E_CLIENT_CERT_MISSING;
	else {
		/* The handshake proved the key; the certificate gets the same checks, with
		   no pooled connection held while they wait on the network. */
		addr_limit_key(rq, addr_key);
		reason = mado_pki_check_cert(auth__s.cards, peer, time(NULL),
					     MADO_PKI_REVOCATION_CONFIGURED, &res);
		rc = finish_login(rq, addr_key, reason, &res, "tls",
				  mado_http_query_true(rq, "shared"), false, NULL);
	}
	if (!wants_html(rq))
		return rc;
	/* A browser goes back to the portal, to its start page or to the login page with
	   the reason, and the page explains it. */
	if (rc == MADO_OK)
		snprintf(location, sizeof(location), "%s/#/", auth__s.origin);
	else
		snprintf(location, sizeof(location), "%s/#/login?error=%s", auth__s.origin,
			 mado_err_slug(rc));
	return mado_http_redirect(rq, location);
}

static int
logout(struct mado_req *rq)
{
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = end_session(rq, db, "logout")) != MADO_OK)
		return rc;
	auth__clear_cookie(rq);
	/* Shared terminals: nothing of the session stays in this browser. */
	mado_http_header(rq, "Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
	return mado_http_no_content(rq);
}

static int
session(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddBoolToObject(out, "authenticated", true);
	cJSON_AddStringToObject(out, "method", rq->actor.method);
	cJSON_AddStringToObject(out, "channel", rq->actor.channel);
	cJSON_AddBoolToObject(out, "card", rq->actor.card);
	cJSON_AddStringToObject(out, "csrf_token", rq->actor.csrf);
	cJSON_AddNumberToObject(out, "idle_timeout_s", idle_of(rq->actor.shared));
	cJSON_AddBoolToObject(out, "shared", rq->actor.shared);
	return mado_http_json(rq, 200, out);
}

/* The person's open sessions, this one marked. */
static int
sessions(struct mado_req *rq)
{
	struct mado_db *db;
	cJSON *out, *items;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(out, "items");
	if ((rc = auth__sessions(db, rq->actor.person_id, rq->actor.session_hex, items)) !=
	    MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

/* Ends one of the person's sessions, by its handle; another person's is not found. */
static int
end_session_by_handle(struct mado_req *rq)
{
	struct mado_db *db;
	bool found = false;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__end_own_session(db, rq->actor.person_id, rq->params[0], &found)) != MADO_OK)
		return rc;
	if (!found)
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such session of yours");
	return mado_http_no_content(rq);
}

/* The cards bound to the person. */
static int
cards(struct mado_req *rq)
{
	struct mado_db *db;
	cJSON *out, *items;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(out, "items");
	if ((rc = auth__cards(db, rq->actor.person_id, items)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

static int
logins(struct mado_req *rq)
{
	const char *before = mado_http_query(rq, "before"), *limit = mado_http_query(rq, "limit");
	long long next = 0;
	struct mado_db *db;
	cJSON *out, *items;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	items = cJSON_AddArrayToObject(out, "items");
	if ((rc = auth__logins(db, rq->actor.person_id, before != NULL ? atoll(before) : 0,
			       limit != NULL ? atoi(limit) : 50, items, &next)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	if (next > 0)
		cJSON_AddNumberToObject(out, "next_before", (double)next);
	return mado_http_json(rq, 200, out);
}

static int
demo_cards(struct mado_req *rq)
{
	cJSON *cards, *out;
	int rc;

	if (auth__s.demo_dir == NULL)
		return MADO_E_NOT_FOUND; /* production: there is no such thing */
	if ((rc = mado_vcard_list(auth__s.demo_dir, &cards)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddItemToObject(out, "cards", cards);
	return mado_http_json(rq, 200, out);
}

static int
demo_token(struct mado_req *rq)
{
	char *token = NULL;
	int rc;

	if (auth__s.demo_dir == NULL || !mado_vcard_name_ok(rq->params[0]))
		return MADO_E_NOT_FOUND; /* production: there is no such thing */
	if ((rc = mado_vcard_token(auth__s.demo_dir, rq->params[0], auth__s.origin,
				   mado_http_str(rq, "nonce"), NULL, &token)) != MADO_OK)
		return rc;
	rc = mado_http_text(rq, 200, "application/json", token, strlen(token));
	cJSON_free(token);
	return rc;
}

static const struct mado_field logins_query[] = {
    {.name = "before", .kind = MADO_K_ID, .hint = "a cursor from next_before"},
    {.name = "limit", .kind = MADO_K_INT, .min = 1, .max = 200},
    MADO_FIELDS_END,
};

static const struct mado_field shared_query[] = {
    {.name = "shared", .kind = MADO_K_BOOL, .hint = "true on a shared computer"},
    MADO_FIELDS_END,
};

static const struct mado_field challenge_query[] = {
    {.name = "shared", .kind = MADO_K_BOOL, .hint = "true on a shared computer"},
    {.name = "step_up", .kind = MADO_K_BOOL, .hint = "true: the card, in this session"},
    MADO_FIELDS_END,
};

static const struct mado_field session_path[] = {
    {.name = "id", .kind = MADO_K_UUID, .hint = "a session's id from /api/v1/me/sessions"},
    MADO_FIELDS_END,
};

static const struct mado_field demo_card_path[] = {
    {.name = "name", .kind = MADO_K_TEXT, .min = 1, .max = 32},
    MADO_FIELDS_END,
};

static const struct mado_field demo_token_body[] = {
    {.name = "nonce",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = AUTH_NONCE_LEN,
     .max = AUTH_NONCE_LEN,
     .hint = "the 44-character challenge"},
    MADO_FIELDS_END,
};

static const struct mado_field handoff_path[] = {
    /* Checked in full by the handler: a wrong id is an unknown one (grant-invalid). */
    {.name = "id", .kind = MADO_K_TEXT, .min = 1, .max = 64, .hint = "the hand-off id"},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/auth/challenge",
     .handler = challenge,
     .caller = MADO_VISITOR,
     .query = challenge_query,
     .rate_limited = true},
    /* A token may be up to 10000 characters; the validator, not the size limit, says so. */
    {.method = "POST",
     .pattern = "/api/v1/auth/webeid",
     .handler = login_webeid,
     .caller = MADO_VISITOR,
     .body = MADO_BODY_RAW,
     .body_max = 16384},
    {.method = "POST",
     .pattern = "/api/v1/auth/handoff",
     .handler = handoff_new,
     .caller = MADO_VISITOR,
     .query = shared_query,
     .rate_limited = true},
    /* The signing app posts without a cookie and without our Origin (it is not a
       browser): the one-time hand-off id is what it holds, and the token is checked as a
       card login checks it, counters included. */
    {.method = "POST",
     .pattern = "/api/v1/auth/handoff/{id}/token",
     .handler = handoff_token,
     .caller = MADO_PUBLIC,
     .cross_origin = true,
     .path = handoff_path,
     .body = MADO_BODY_RAW,
     .body_max = 16384},
    /* The page asks every few seconds; only its own hand-off answers. */
    {.method = "POST",
     .pattern = "/api/v1/auth/handoff/poll",
     .handler = handoff_poll,
     .caller = MADO_VISITOR},
    /* A form on the TLS login page posts here (never a link: logging in changes state). */
    {.method = "POST",
     .pattern = "/api/v1/auth/tls",
     .handler = login_tls,
     .caller = MADO_VISITOR,
     .query = shared_query,
     .tls_origin = true},
    {.method = "POST",
     .pattern = "/api/v1/auth/logout",
     .handler = logout,
     .acts = MADO_ACT_SESSION},
    {.method = "GET",
     .pattern = "/api/v1/me/session",
     .handler = session,
     .acts = MADO_ACT_SESSION},
    {.method = "GET", .pattern = "/api/v1/me/logins", .handler = logins, .query = logins_query},
    {.method = "GET", .pattern = "/api/v1/me/sessions", .handler = sessions},
    {.method = "DELETE",
     .pattern = "/api/v1/me/sessions/{id}",
     .handler = end_session_by_handle,
     .path = session_path},
    {.method = "GET", .pattern = "/api/v1/me/cards", .handler = cards},
    {.method = "GET",
     .pattern = "/api/v1/demo/cards",
     .handler = demo_cards,
     .caller = MADO_PUBLIC},
    {.method = "POST",
     .pattern = "/api/v1/demo/cards/{name}/token",
     .handler = demo_token,
     .caller = MADO_PUBLIC,
     .path = demo_card_path,
     .body = MADO_BODY_OBJECT,
     .fields = demo_token_body,
     .body_max = 1024,
     .rate_limited = true},
};

const struct mado_route_set mado_auth_routes = MADO_ROUTE_SET("auth", routes);

/* The person who holds card, for the operator's commands: only the card's identity, so a
   lost or revoked card still names its holder. */
static int
holder_of(struct mado_db *db, struct mado_pki *pki, X509 *card, struct auth_binding *b, char *why,
	  size_t whylen)
{
	struct mado_card_id id;
	int rc;

	memset(b, 0, sizeof(*b));
	mado_pki_card_id(pki, card, &id);
	if ((rc = auth__binding_find(db, &id, b)) != MADO_OK)
		return rc;
	if (!b->found) {
		snprintf(why, whylen, "the card is not registered");
		return MADO_E_NOT_FOUND;
	}
	return MADO_OK;
}

int
mado_auth_end_sessions(struct mado_db *db, struct mado_pki *pki, X509 *card, char *why,
		       size_t whylen)
{
	struct auth_binding b;
	int ended = 0, rc;

	if (card != NULL && (rc = holder_of(db, pki, card, &b, why, whylen)) != MADO_OK)
		return rc;
	if ((rc = auth__sessions_end(db, card != NULL ? b.person_id : NULL, &ended)) != MADO_OK)
		return rc;
	snprintf(why, whylen, "%d session%s ended%s", ended, ended == 1 ? "" : "s",
		 card != NULL ? " for the card's holder" : "");
	return MADO_OK;
}

const char *const mado_auth_hold_reasons[] = {"person-request", "suspected-misuse", "deceased",
					      "legal-order", NULL};

int
mado_auth_account(struct mado_db *db, struct mado_pki *pki, X509 *card, const char *reason,
		  char *why, size_t whylen)
{
	struct auth_binding b;
	size_t off;
	int i, n = 0, rc;

	for (i = 0; reason != NULL && mado_auth_hold_reasons[i] != NULL; i++)
		if (strcmp(reason, mado_auth_hold_reasons[i]) == 0)
			break;
	if (reason != NULL && mado_auth_hold_reasons[i] == NULL) {
		off = (size_t)snprintf(why, whylen, "the reason is one of:");
		for (i = 0; mado_auth_hold_reasons[i] != NULL && off < whylen; i++)
			off += (size_t)snprintf(why + off, whylen - off, " %s",
						mado_auth_hold_reasons[i]);
		return MADO_E_VALIDATION;
	}
	if ((rc = holder_of(db, pki, card, &b, why, whylen)) != MADO_OK ||
	    (rc = auth__account_hold(db, b.person_id, reason, &n)) != MADO_OK)
		return rc;
	if (reason == NULL)
		snprintf(why, whylen, n ? "account enabled" : "the account was not disabled");
	else if (n < 0)
		snprintf(why, whylen, "the account was already disabled; nothing changed");
	else
		snprintf(why, whylen, "account disabled (%s); %d session%s ended", reason, n,
			 n == 1 ? "" : "s");
	return MADO_OK;
}

int
mado_auth_register_card(struct mado_db *db, struct mado_pki *pki, X509 *card, X509 *same_as,
			time_t now, char *why, size_t whylen)
{
	struct mado_pki_result res;
	struct mado_card_id other;
	struct auth_binding b, ob;
	unsigned char *der = NULL;
	bool conflict = false;
	int derlen, keyed, left, rc;

	if (mado_pki_check_cert(pki, card, now, MADO_PKI_REVOCATION_CONFIGURED, &res) !=
	    MADO_PKI_PASS) {
		snprintf(why, whylen, "the card fails its checks: %s (%s)",
			 mado_pki_reason_str(res.reason), res.detail);
		return mado_pki_err(res.reason);
	}
	if ((rc = auth__key_bindings(db, pki, &keyed, &left)) != MADO_OK ||
	    (rc = auth__binding_find(db, &res.card, &b)) != MADO_OK)
		return rc;
	if (b.found) {
		snprintf(why, whylen, "card %s is already registered", res.card.fingerprint);
		return MADO_E_CONFLICT;
	}
	memset(&ob, 0, sizeof(ob));
	if (same_as != NULL) {
		/* Only the identity of the earlier card matters here, not its validity. */
		mado_pki_card_id(pki, same_as, &other);
		if ((rc = auth__binding_find(db, &other, &ob)) != MADO_OK)
			return rc;
		if (!ob.found) {
			snprintf(why, whylen, "the earlier card is not registered");
			return MADO_E_NOT_FOUND;
		}
	}
	if ((rc = auth__key_elsewhere(db, res.card.key_hash, ob.found ? ob.person_id : NULL,
				      &conflict)) != MADO_OK)
		return rc;
	if (conflict) {
		snprintf(why, whylen,
			 "the card's key is already bound to another person (a case for the "
			 "supervisor)");
		rc = auth__key_case(db, res.card.key_hash);
		return rc != MADO_OK ? rc : MADO_E_CARD_KEY_CONFLICT;
	}
	if ((derlen = i2d_X509(card, &der)) <= 0)
		return MADO_E_INTERNAL;
	rc = auth__register(db, &res.card, der, (size_t)derlen, ob.found ? ob.person_id : NULL);
	OPENSSL_free(der);
	if (rc == MADO_OK)
		snprintf(why, whylen, "registered card %s", res.card.fingerprint);
	return rc;
}
