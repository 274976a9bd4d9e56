/*
 * Card login over HTTP: the gate in front of every handler, the login steps, logout, the
 * person's session and login history, and the demo's virtual card reader.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <civetweb.h>
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

static struct {
	struct mado_pki *pki; /* NULL: card login is not configured */
	char *origin;
	char *demo_dir;
	bool revocation;
	int idle_s, max_s, recheck_s;
	int fail_addr, fail_card, window_s;
} A;

void
mado_auth_pki_config(const struct mado_config *cfg, struct mado_pki_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->trust_dir = cfg->card_trust_dir;
	pc->policies_disallowed = cfg->card_policies_disallowed;
	pc->policies_required = cfg->card_policies_required;
	pc->revocation = strcmp(cfg->card_revocation, "crl") == 0   ? MADO_REVOCATION_CRL
			 : strcmp(cfg->card_revocation, "off") == 0 ? MADO_REVOCATION_OFF
								    : MADO_REVOCATION_OCSP;
	pc->ocsp_url = cfg->card_ocsp_url;
	pc->ocsp_responder = cfg->card_ocsp_responder;
	pc->ocsp_nonce = cfg->card_ocsp_nonce;
	pc->ocsp_timeout_ms = cfg->card_ocsp_timeout_ms;
	pc->ocsp_cache_max_s = cfg->card_ocsp_cache_max_s;
	pc->ocsp_max_age_s = cfg->card_ocsp_max_age_s;
	pc->clock_skew_s = cfg->card_clock_skew_s;
	pc->crl = cfg->card_crl;
	pc->crl_refresh_s = cfg->card_crl_refresh_s;
}

static int gate(struct mado_req *rq);

int
mado_auth_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	struct mado_pki_config pc;
	int rc;

	memset(&A, 0, sizeof(A));
	A.idle_s = cfg->session_idle_s;
	A.max_s = cfg->session_max_s;
	A.recheck_s = cfg->card_recheck_s;
	A.fail_addr = cfg->login_fail_max_addr;
	A.fail_card = cfg->login_fail_max_card;
	A.window_s = cfg->login_fail_window_s;
	A.revocation = strcmp(cfg->card_revocation, "off") != 0;
	if ((A.origin = strdup(cfg->public_origin)) == NULL)
		return MADO_E_NOMEM;
	if (*cfg->demo_cards_dir != '\0' && (A.demo_dir = strdup(cfg->demo_cards_dir)) == NULL)
		return MADO_E_NOMEM;
	if (*cfg->card_trust_dir != '\0') {
		mado_auth_pki_config(cfg, &pc);
		if ((rc = mado_pki_new(&pc, &A.pki, why, whylen)) != MADO_OK)
			return rc;
		if (!A.revocation)
			mado_log_warn(NULL,
				      "card revocation checking is OFF (card_revocation = off): "
				      "for tests only, never in production");
	}
	if (A.demo_dir != NULL)
		mado_log_warn(NULL, "demo virtual cards are enabled (demo_cards_dir)");
	mado_http_set_gate(gate);
	return MADO_OK;
}

void
mado_auth_free(void)
{
	mado_pki_free(A.pki);
	free(A.origin);
	free(A.demo_dir);
	memset(&A, 0, sizeof(A));
}

/* Cookies: __Host- prefix, Secure, HttpOnly, SameSite=Strict, whole site. */
static bool
read_cookie(struct mado_req *rq, char *out, size_t len)
{
	const char *h = mado_http_req_header(rq, "Cookie");
	size_t i, n;

	if (h == NULL || mg_get_cookie(h, AUTH_COOKIE, out, len) <= 0)
		return false;
	n = strlen(out);
	for (i = 0; i < n; i++)
		if (!((out[i] >= 'A' && out[i] <= 'Z') || (out[i] >= 'a' && out[i] <= 'z') ||
		      (out[i] >= '0' && out[i] <= '9') || out[i] == '-' || out[i] == '_'))
			return false;
	return n == 43;
}

static void
set_cookie(struct mado_req *rq, const char *value)
{
	char buf[128];

	snprintf(buf, sizeof(buf), AUTH_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
		 value);
	mado_http_header(rq, "Set-Cookie", buf);
}

static void
clear_cookie(struct mado_req *rq)
{
	mado_http_header(rq, "Set-Cookie",
			 AUTH_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

static int
fail_with_reason(struct mado_req *rq, int err, const char *reason)
{
	if (rq->problem_ext == NULL)
		rq->problem_ext = cJSON_CreateObject();
	if (rq->problem_ext != NULL && reason != NULL)
		cJSON_AddStringToObject(rq->problem_ext, "reason", reason);
	return err;
}

/* The session's card is re-checked for revocation every card_recheck_s. */
static int
recheck_card(struct mado_db *db, const struct auth_session *s)
{
	struct mado_pki_result res;
	enum mado_pki_reason r;
	X509 *cert = NULL;
	int rc;

	if ((rc = auth__binding_cert(db, s->binding_id, &cert)) != MADO_OK)
		return rc;
	r = mado_pki_revocation(A.pki, cert, time(NULL), &res);
	X509_free(cert);
	if (r == MADO_PKI_PASS)
		return auth__binding_checked(db, s->binding_id);
	if (r == MADO_PKI_REVOKED) {
		mado_log_info(NULL, "auth: card %s found revoked; its sessions end",
			      res.card.fingerprint);
		if ((rc = auth__binding_revoked(db, s->binding_id, s->person_id)) != MADO_OK)
			return rc;
		return MADO_E_CARD_REVOKED;
	}
	return mado_auth_err_for(r);
}

static int
gate(struct mado_req *rq)
{
	const struct mado_route *r = rq->route;
	bool changing = auth__is_state_changing(rq->ri->request_method);
	bool needed = !(r->flags & MADO_R_PUBLIC);
	struct auth_session s;
	struct mado_db *db;
	char cookie[64];
	const char *token;
	int rc;

	/* Login CSRF and cross-site requests: anything that changes state must come from our
	   own pages. SameSite cookies alone are not enough. */
	if (changing && !(r->flags & MADO_R_NO_ORIGIN) &&
	    !auth__same_origin(mado_http_req_header(rq, "Origin"),
			       mado_http_req_header(rq, "Referer"), A.origin))
		return mado_http_fail(rq, MADO_E_CSRF_REJECTED, "send Origin: %s", A.origin);
	if (!needed && !(r->flags & MADO_R_SESSION))
		return MADO_OK;
	if (!read_cookie(rq, cookie, sizeof(cookie)))
		return needed ? MADO_E_UNAUTHENTICATED : MADO_OK;
	auth__session_key(cookie, rq->actor.session_hex);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((rc = auth__session_get(db, rq->actor.session_hex, A.idle_s, A.recheck_s, &s)) !=
	    MADO_OK)
		return rc;
	if (!s.found) {
		clear_cookie(rq);
		return needed ? MADO_E_UNAUTHENTICATED : MADO_OK;
	}
	if (s.expired || s.revoked) {
		rc = auth__session_end(db, rq->actor.session_hex, &s,
				       s.revoked ? "revoked" : "expired");
		clear_cookie(rq);
		if (rc != MADO_OK)
			return rc;
		return needed ? (s.revoked ? MADO_E_CARD_REVOKED : MADO_E_SESSION_EXPIRED)
			      : MADO_OK;
	}
	if (s.person_id[0] != '\0' && s.recheck_due && A.revocation && A.pki != NULL &&
	    (rc = recheck_card(db, &s)) != MADO_OK) {
		if (rc == MADO_E_CARD_REVOKED)
			clear_cookie(rq);
		if (needed || rc == MADO_E_CARD_REVOKED)
			return rc;
		return MADO_OK;
	}
	if (s.touch_due && (rc = auth__session_touch(db, rq->actor.session_hex)) != MADO_OK)
		return rc;
	rq->actor.session = true;
	rq->actor.authenticated = s.person_id[0] != '\0';
	memcpy(rq->actor.person_id, s.person_id, sizeof(s.person_id));
	memcpy(rq->actor.binding_id, s.binding_id, sizeof(s.binding_id));
	memcpy(rq->actor.channel, s.channel, sizeof(s.channel));
	memcpy(rq->actor.method, s.method, sizeof(s.method));
	memcpy(rq->actor.csrf, s.csrf, sizeof(s.csrf));
	if (needed && !rq->actor.authenticated)
		return MADO_E_UNAUTHENTICATED;
	/* The synchronizer token: only our own page script knows it. */
	if (needed && changing) {
		token = mado_http_req_header(rq, "X-CSRF-Token");
		if (token == NULL || strlen(token) != strlen(s.csrf) ||
		    !mado_ct_equal(token, s.csrf, strlen(s.csrf)))
			return mado_http_fail(rq, MADO_E_CSRF_REJECTED,
					      "X-CSRF-Token must be the session's csrf_token");
	}
	return MADO_OK;
}

/* A new session (or pre-login session) id and its cookie. */
static int
new_session_id(struct mado_req *rq, char key[68], char csrf[48])
{
	char cookie[64];

	if (auth__token(cookie, sizeof(cookie), 32) != MADO_OK ||
	    auth__token(csrf, 48, 24) != MADO_OK)
		return MADO_E_INTERNAL;
	auth__session_key(cookie, key);
	set_cookie(rq, cookie);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	return MADO_OK;
}

int
auth__api_challenge(struct mado_req *rq)
{
	char key[68], csrf[48], nonce[48];
	unsigned char raw[32], dice;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (A.pki == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	/* The challenge belongs to this browser's pre-login session. */
	if (rq->actor.session && !rq->actor.authenticated) {
		memcpy(key, rq->actor.session_hex, sizeof(key));
	} else if ((rc = new_session_id(rq, key, csrf)) != MADO_OK ||
		   (rc = auth__session_new_prelogin(db, key, csrf)) != MADO_OK) {
		return rc;
	}
	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	mado_b64(raw, sizeof(raw), nonce); /* 44 characters, as Web eID requires */
	if ((rc = auth__challenge_put(db, key, nonce)) != MADO_OK)
		return rc;
	/* Now and then, clear sessions and counters that ran out long ago. */
	if (mado_random(&dice, 1) == 0 && dice < 4)
		(void)auth__purge(db);
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "nonce", nonce);
	cJSON_AddNumberToObject(out, "expires_in", AUTH_CHALLENGE_TTL_S);
	return mado_http_json(rq, 200, out);
}

/* Over the address limit: 429 before any work is done. */
static int
check_addr_limit(struct mado_req *rq, struct mado_db *db, char key[65])
{
	char after[16];
	int failures, retry, rc;

	auth__limit_key(mado_http_client_addr(rq), key);
	if ((rc = auth__fail_count(db, "addr", key, A.window_s, &failures, &retry)) != MADO_OK)
		return rc;
	if (failures < A.fail_addr)
		return MADO_OK;
	snprintf(after, sizeof(after), "%d", retry);
	mado_http_header(rq, "Retry-After", after);
	return mado_http_fail(rq, MADO_E_RATE_LIMITED, "too many failed logins from here");
}

/*
 * Everything after the certificate (and signature) checks, for both login methods:
 * counters and history for failures, then the binding, the key check and the session.
 */
static int
finish_login(struct mado_req *rq, struct mado_db *db, const char *addr_key,
	     enum mado_pki_reason reason, const struct mado_pki_result *res, const char *method)
{
	char card_key[65], idbuf[160], key[68], csrf[48], after[16];
	struct auth_binding b;
	bool known = res->card.serial[0] != '\0', conflict = false;
	int failures = 0, retry = 0, rc, err = MADO_OK;
	cJSON *out;

	memset(&b, 0, sizeof(b));
	snprintf(idbuf, sizeof(idbuf), "%s:%s", res->card.issuer_hash, res->card.serial);
	auth__limit_key(idbuf, card_key);
	if (known && (rc = auth__binding_find(db, &res->card, &b)) != MADO_OK)
		return rc;
	if (reason == MADO_PKI_PASS) {
		if (!b.found)
			err = MADO_E_CARD_NOT_REGISTERED;
		else if ((rc = auth__key_elsewhere(db, res->card.key_hash, b.person_id,
						   &conflict)) != MADO_OK)
			return rc;
		else if (conflict)
			err = MADO_E_CARD_KEY_CONFLICT;
		else if (b.revoked)
			err = MADO_E_CARD_REVOKED;
	} else {
		err = mado_auth_err_for(reason);
	}
	if (err != MADO_OK) {
		if (conflict)
			mado_log_err(rq->id, "auth: card %s carries a key bound to another person",
				     res->card.fingerprint);
		if ((rc = auth__fail_bump(db, "addr", addr_key, A.window_s)) != MADO_OK ||
		    (known && (rc = auth__fail_bump(db, "card", card_key, A.window_s)) != MADO_OK))
			return rc;
		if (b.found && (rc = auth__event(db, b.person_id, method, "failure",
						 mado_err_slug(err))) != MADO_OK)
			return rc;
		/* Past the card's limit, an attempt that did not prove the key gets 429: the
		   holder, whose signature verifies, is never locked out by someone else. */
		if (known && reason != MADO_PKI_PASS &&
		    (rc = auth__fail_count(db, "card", card_key, A.window_s, &failures, &retry)) ==
			MADO_OK &&
		    failures > A.fail_card) {
			snprintf(after, sizeof(after), "%d", retry);
			mado_http_header(rq, "Retry-After", after);
			return mado_http_fail(rq, MADO_E_RATE_LIMITED,
					      "too many failed logins with this card");
		}
		return fail_with_reason(
		    rq, err, reason != MADO_PKI_PASS ? mado_pki_reason_str(reason) : NULL);
	}
	if ((rc = new_session_id(rq, key, csrf)) != MADO_OK ||
	    (rc = auth__login(db, rq->actor.session ? rq->actor.session_hex : NULL, key, &b, method,
			      csrf, A.max_s, A.revocation)) != MADO_OK ||
	    (rc = auth__fail_clear(db, "card", card_key)) != MADO_OK)
		return rc;
	mado_log_info(rq->id, "auth: login by %s with card %s", method, res->card.fingerprint);
	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddStringToObject(out, "status", "logged_in");
	cJSON_AddStringToObject(out, "csrf_token", csrf);
	cJSON_AddNumberToObject(out, "idle_timeout_s", A.idle_s);
	cJSON_AddNumberToObject(out, "expires_in_s", A.max_s);
	OPENSSL_cleanse(csrf, sizeof(csrf));
	return mado_http_json(rq, 200, out);
}

int
auth__api_webeid(struct mado_req *rq)
{
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	char addr_key[65], nonce[64];
	struct mado_db *db;
	int rc;

	if (A.pki == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = check_addr_limit(rq, db, addr_key)) != MADO_OK)
		return rc;
	/* The nonce is taken out before validation, even if validation then fails: once. */
	if (!rq->actor.session || rq->actor.authenticated)
		rc = MADO_E_CHALLENGE_MISSING;
	else
		rc = auth__challenge_take(db, rq->actor.session_hex, nonce, sizeof(nonce));
	if (rc == MADO_E_CHALLENGE_MISSING || rc == MADO_E_CHALLENGE_EXPIRED) {
		if (auth__fail_bump(db, "addr", addr_key, A.window_s) != MADO_OK)
			return MADO_E_DB_UNAVAILABLE;
		return rc;
	}
	if (rc != MADO_OK)
		return rc;
	reason = mado_webeid_validate(A.pki, rq->body, rq->body_len, A.origin, nonce, time(NULL),
				      MADO_PKI_REVOCATION_CONFIGURED, &res, NULL);
	return finish_login(rq, db, addr_key, reason, &res, "webeid");
}

/* Browsers navigating to the TLS login get a page, not JSON. */
static bool
wants_html(struct mado_req *rq)
{
	const char *accept = mado_http_req_header(rq, "Accept");

	return accept != NULL && strstr(accept, "text/html") != NULL;
}

int
auth__api_tls(struct mado_req *rq)
{
	const struct mg_request_info *ri = rq->ri;
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	char addr_key[65], location[512];
	struct mado_db *db;
	X509 *peer;
	int rc;

	if (A.pki == NULL)
		rc = MADO_E_CARD_LOGIN_UNAVAILABLE;
	else if (ri->client_cert == NULL || (peer = ri->client_cert->peer_cert) == NULL)
		rc = MADO_E_CLIENT_CERT_MISSING;
	else if ((rc = mado_http_db(rq, &db)) == MADO_OK &&
		 (rc = check_addr_limit(rq, db, addr_key)) == MADO_OK) {
		/* The handshake proved the key; the certificate gets the same checks. */
		reason = mado_pki_check_cert(A.pki, peer, time(NULL),
					     MADO_PKI_REVOCATION_CONFIGURED, &res);
		rc = finish_login(rq, db, addr_key, reason, &res, "tls");
	}
	if (!wants_html(rq))
		return rc;
	/* A browser goes back to the portal, to its start page or to the login page with
	   the reason, and the page explains it. */
	if (rc == MADO_OK)
		snprintf(location, sizeof(location), "%s/#/", A.origin);
	else
		snprintf(location, sizeof(location), "%s/#/login?error=%s", A.origin,
			 mado_err_slug(rc));
	mado_http_header(rq, "Location", location);
	rq->out.len = 0;
	rq->content_type = NULL;
	rq->status = 303;
	return MADO_OK;
}

int
auth__api_logout(struct mado_req *rq)
{
	struct auth_session s;
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	memset(&s, 0, sizeof(s));
	memcpy(s.person_id, rq->actor.person_id, sizeof(s.person_id));
	memcpy(s.method, rq->actor.method, sizeof(s.method));
	if ((rc = auth__session_end(db, rq->actor.session_hex, &s, "logout")) != MADO_OK)
		return rc;
	clear_cookie(rq);
	/* Shared terminals: nothing of the session stays in this browser. */
	mado_http_header(rq, "Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
	return mado_http_no_content(rq);
}

int
auth__api_session(struct mado_req *rq)
{
	cJSON *out;

	if ((out = cJSON_CreateObject()) == NULL)
		return MADO_E_NOMEM;
	cJSON_AddBoolToObject(out, "authenticated", true);
	cJSON_AddStringToObject(out, "method", rq->actor.method);
	cJSON_AddStringToObject(out, "channel", rq->actor.channel);
	cJSON_AddStringToObject(out, "csrf_token", rq->actor.csrf);
	cJSON_AddNumberToObject(out, "idle_timeout_s", A.idle_s);
	return mado_http_json(rq, 200, out);
}

int
auth__api_logins(struct mado_req *rq)
{
	long long before, limit, next = 0;
	struct mado_db *db;
	cJSON *out, *items;
	int rc;

	if ((rc = mado_http_query_int(rq, "before", 1, INT64_MAX, 0, &before)) != MADO_OK ||
	    (rc = mado_http_query_int(rq, "limit", 1, 200, 50, &limit)) != MADO_OK ||
	    (rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL ||
	    (items = cJSON_AddArrayToObject(out, "items")) == NULL) {
		cJSON_Delete(out);
		return MADO_E_NOMEM;
	}
	if ((rc = auth__logins(db, rq->actor.person_id, before, (int)limit, items, &next)) !=
	    MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	if (next > 0)
		cJSON_AddNumberToObject(out, "next_before", (double)next);
	return mado_http_json(rq, 200, out);
}

int
auth__api_demo_cards(struct mado_req *rq)
{
	cJSON *cards, *out;
	int rc;

	if (A.demo_dir == NULL)
		return MADO_E_NOT_FOUND; /* production: there is no such thing */
	if ((rc = mado_vcard_list(A.demo_dir, &cards)) != MADO_OK)
		return rc;
	if ((out = cJSON_CreateObject()) == NULL) {
		cJSON_Delete(cards);
		return MADO_E_NOMEM;
	}
	cJSON_AddItemToObject(out, "cards", cards);
	return mado_http_json(rq, 200, out);
}

int
auth__api_demo_token(struct mado_req *rq)
{
	const cJSON *nonce = cJSON_GetObjectItemCaseSensitive(rq->json, "nonce");
	char *token = NULL;
	int rc;

	if (A.demo_dir == NULL)
		return MADO_E_NOT_FOUND;
	if (!mado_vcard_name_ok(rq->params[0]))
		return MADO_E_NOT_FOUND;
	if (!cJSON_IsString(nonce) || strlen(nonce->valuestring) != 44)
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "nonce must be the 44-character "
				      "challenge");
	if ((rc = mado_vcard_token(A.demo_dir, rq->params[0], A.origin, nonce->valuestring, NULL,
				   &token)) != MADO_OK)
		return rc;
	rc = mado_http_text(rq, 200, "application/json", token, strlen(token));
	cJSON_free(token);
	return rc;
}

int
mado_auth_register_card(struct mado_db *db, struct mado_pki *pki, X509 *card, X509 *same_as,
			time_t now, char *why, size_t whylen)
{
	struct mado_pki_result res, other;
	struct auth_binding b, ob;
	unsigned char *der = NULL;
	bool conflict = false;
	int derlen, rc;

	if (mado_pki_check_cert(pki, card, now, MADO_PKI_REVOCATION_CONFIGURED, &res) !=
	    MADO_PKI_PASS) {
		snprintf(why, whylen, "the card fails its checks: %s (%s)",
			 mado_pki_reason_str(res.reason), res.detail);
		return mado_auth_err_for(res.reason);
	}
	if ((rc = auth__binding_find(db, &res.card, &b)) != MADO_OK)
		return rc;
	if (b.found) {
		snprintf(why, whylen, "card %s is already registered", res.card.fingerprint);
		return MADO_E_CONFLICT;
	}
	memset(&ob, 0, sizeof(ob));
	if (same_as != NULL) {
		/* Only the identity of the earlier card matters here, not its validity. */
		mado_pki_check_cert(pki, same_as, now, MADO_PKI_REVOCATION_SKIP, &other);
		if ((rc = auth__binding_find(db, &other.card, &ob)) != MADO_OK)
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
		snprintf(why, whylen, "the card's key is already bound to another person");
		return MADO_E_CARD_KEY_CONFLICT;
	}
	if ((derlen = i2d_X509(card, &der)) <= 0)
		return MADO_E_INTERNAL;
	rc = auth__register(db, &res.card, der, (size_t)derlen, ob.found ? ob.person_id : NULL);
	OPENSSL_free(der);
	if (rc == MADO_OK)
		snprintf(why, whylen, "registered card %s", res.card.fingerprint);
	return rc;
}
