/*
 * The gates: who is asking. People come with a session cookie (read from the database,
 * their card re-checked for revocation now and then); organisations' systems come with a
 * client certificate (checked against the organisation CAs, then bound to an
 * organisation). Each gate does its cheap part before the body is read and its database
 * part after; neither waits on the network with a pooled connection in hand.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "mado/auth.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "auth_int.h"

/* Cookies: __Host- prefix, Secure, HttpOnly, SameSite=Strict, whole site. */
bool
auth__read_cookie(struct mado_req *rq, char *out, size_t len)
{
	const char *h = mado_http_req_header(rq, "Cookie");

	return h != NULL && mg_get_cookie(h, AUTH_COOKIE, out, len) > 0 &&
	       mado_check_kind(MADO_K_TOKEN, out);
}

void
auth__set_cookie(struct mado_req *rq, const char *value)
{
	char buf[128];

	snprintf(buf, sizeof(buf), AUTH_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
		 value);
	mado_http_header(rq, "Set-Cookie", buf);
}

void
auth__clear_cookie(struct mado_req *rq)
{
	mado_http_header(rq, "Set-Cookie",
			 AUTH_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

/* People. */

static int
person_check(struct mado_req *rq)
{
	char cookie[64];
	bool has = auth__read_cookie(rq, cookie, sizeof(cookie));

	OPENSSL_cleanse(cookie, sizeof(cookie));
	return rq->route->caller == MADO_PERSON && !has ? MADO_E_UNAUTHENTICATED : MADO_OK;
}

int
auth__revoked_now(struct mado_req *rq, struct mado_pki *pki, X509 *cert, struct mado_db **db,
		  bool *revoked, struct mado_pki_result *res)
{
	enum mado_pki_reason r;

	mado_http_db_release(rq);
	r = mado_pki_revocation(pki, cert, time(NULL), res);
	X509_free(cert);
	if (r != MADO_PKI_PASS && r != MADO_PKI_REVOKED)
		return mado_pki_err(r);
	*revoked = r == MADO_PKI_REVOKED;
	return mado_http_db(rq, db);
}

/* The session's card is re-checked for revocation every card_recheck_s. */
static int
recheck_card(struct mado_req *rq, const char *binding_id, const char *person_id)
{
	struct mado_pki_result res;
	struct mado_db *db;
	X509 *cert = NULL;
	bool revoked;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__binding_cert(db, binding_id, &cert)) != MADO_OK ||
	    (rc = auth__revoked_now(rq, auth__s.cards, cert, &db, &revoked, &res)) != MADO_OK)
		return rc;
	if (!revoked)
		return auth__binding_checked(db, binding_id);
	mado_log_info(rq->id, "auth: card %s found revoked; its sessions end",
		      res.card.fingerprint);
	if ((rc = auth__binding_revoked(db, binding_id, person_id)) != MADO_OK)
		return rc;
	return MADO_E_CARD_REVOKED;
}

/*
 * A proxy's acting-for session holds the proxy's card; the cards of the person it acts
 * for are re-checked too (one due card a request), so that their revocation ends the
 * mandate even when that person never comes back. A revoked card of theirs is recorded
 * (their own sessions with it end) and the request goes on: the mandate no longer holds,
 * so the person gate refuses it.
 */
static int
recheck_principal(struct mado_req *rq, const struct auth_session *s)
{
	char binding[24] = "";
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__card_due(db, s->person_id, auth__s.recheck_s, binding, sizeof(binding))) !=
		MADO_OK ||
	    binding[0] == '\0')
		return rc;
	rc = recheck_card(rq, binding, s->person_id);
	return rc == MADO_E_CARD_REVOKED ? MADO_OK : rc;
}

/* The session, as the database has it: found, alive, its card still good. */
static int
session_of(struct mado_req *rq, struct auth_session *s)
{
	bool needed = rq->route->caller == MADO_PERSON;
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__session_get(db, rq->actor.session_hex, &auth__s, s)) != MADO_OK)
		return rc;
	if (!s->found) {
		auth__clear_cookie(rq);
		return needed ? MADO_E_UNAUTHENTICATED : MADO_OK;
	}
	if (s->expired || s->revoked) {
		rc = auth__session_end(db, rq->actor.session_hex, s,
				       s->revoked ? "revoked" : "expired");
		auth__clear_cookie(rq);
		s->found = false;
		if (rc != MADO_OK)
			return rc;
		return needed ? (s->revoked ? MADO_E_CARD_REVOKED : MADO_E_SESSION_EXPIRED)
			      : MADO_OK;
	}
	if (s->person_id[0] != '\0' && s->recheck_due && auth__s.revocation &&
	    auth__s.cards != NULL &&
	    (rc = recheck_card(rq, s->binding_id, s->person_id)) != MADO_OK) {
		if (rc == MADO_E_CARD_REVOKED)
			auth__clear_cookie(rq);
		s->found = false;
		return needed || rc == MADO_E_CARD_REVOKED ? rc : MADO_OK;
	}
	if (strcmp(s->channel, "proxy") == 0 && auth__s.revocation && auth__s.cards != NULL &&
	    (rc = recheck_principal(rq, s)) != MADO_OK) {
		s->found = false;
		return needed ? rc : MADO_OK;
	}
	if (s->touch_due && ((rc = mado_http_db(rq, &db)) != MADO_OK ||
			     (rc = auth__session_touch(db, rq->actor.session_hex)) != MADO_OK))
		return rc;
	return MADO_OK;
}

/* What the session may do: everything in the person's own; in a helper's (desk, proxy),
   the themes its visit or mandate allows now, and the helper as the log names them. */
static void
helper_of(struct mado_req *rq, const struct auth_session *s)
{
	char names[sizeof(s->helper_acts)], *save = NULL, *t;

	if (strcmp(s->channel, "self") == 0) {
		rq->actor.acts = MADO_ACT_ALL;
		return;
	}
	rq->actor.acts = 0;
	snprintf(names, sizeof(names), "%s", s->helper_acts);
	for (t = strtok_r(names, " ", &save); t != NULL; t = strtok_r(NULL, " ", &save))
		rq->actor.acts |= mado_act_flag(t);
	snprintf(rq->actor.helper_org, sizeof(rq->actor.helper_org), "%s", s->helper_org);
	snprintf(rq->actor.helper_ref, sizeof(rq->actor.helper_ref), "%s", s->helper_ref);
}

/*
 * A helper may use a route only for one of its themes, and each such request is recorded
 * in the person's log before it is served (the database checks the visit or mandate
 * again as it writes): no record, no service. Routes with no theme are the person's own.
 */
static int
helped(struct mado_req *rq)
{
	unsigned use = rq->route->acts & rq->actor.acts, bit;
	char themes[128] = "";
	struct mado_db *db;
	size_t off = 0;
	int rc;

	if (strcmp(rq->actor.channel, "self") == 0)
		return MADO_OK;
	if (use == 0)
		return MADO_E_OWN_SESSION_ONLY;
	for (bit = 1; bit <= use; bit <<= 1)
		if ((use & bit) != 0 && off < sizeof(themes))
			off += (size_t)snprintf(themes + off, sizeof(themes) - off, "%s%s",
						off > 0 ? " " : "", mado_act_name(bit));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	return auth__record_helped(db, rq->actor.person_id, rq->actor.session_hex, themes);
}

static int
person_admit(struct mado_req *rq)
{
	bool needed = rq->route->caller == MADO_PERSON;
	struct auth_session s;
	char cookie[64];
	const char *token;
	int rc;

	if (!auth__read_cookie(rq, cookie, sizeof(cookie)))
		return needed ? MADO_E_UNAUTHENTICATED : MADO_OK;
	mado_secret_hash(cookie, rq->actor.session_hex);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	if ((rc = session_of(rq, &s)) != MADO_OK || !s.found)
		return rc;
	rq->actor.session = true;
	rq->actor.authenticated = s.person_id[0] != '\0';
	rq->actor.shared = s.shared;
	rq->actor.card = s.card;
	memcpy(rq->actor.person_id, s.person_id, sizeof(s.person_id));
	memcpy(rq->actor.binding_id, s.binding_id, sizeof(s.binding_id));
	memcpy(rq->actor.channel, s.channel, sizeof(s.channel));
	memcpy(rq->actor.method, s.method, sizeof(s.method));
	memcpy(rq->actor.csrf, s.csrf, sizeof(s.csrf));
	helper_of(rq, &s);
	if (!needed)
		return MADO_OK;
	if (!rq->actor.authenticated)
		return MADO_E_UNAUTHENTICATED;
	/* The synchronizer token: only our own page script knows it. */
	if (strcmp(rq->ri->request_method, "GET") != 0 &&
	    strcmp(rq->ri->request_method, "HEAD") != 0) {
		token = mado_http_req_header(rq, "X-CSRF-Token");
		if (token == NULL || strlen(token) != strlen(s.csrf) ||
		    !mado_ct_equal(token, s.csrf, strlen(s.csrf)))
			return mado_http_fail(rq, MADO_E_CSRF_REJECTED,
					      "X-CSRF-Token must be the session's csrf_token");
	}
	/* What is the person's own is refused to a helper before anything else. */
	if (strcmp(rq->actor.channel, "self") != 0 && (rq->route->acts & rq->actor.acts) == 0)
		return MADO_E_OWN_SESSION_ONLY;
	/* Granting consent, adding a device or a proxy mandate needs the card, signed in
	   this session lately: a passkey, a phone or an old signature does not do. The page
	   asks for the card (the step-up). */
	if (rq->route->needs_card && (rc = mado_http_need_card(rq)) != MADO_OK)
		return rc;
	return helped(rq);
}

const struct mado_gate auth__person_gate = {person_check, person_admit};

/* Organisations. */

static int
org_check(struct mado_req *rq)
{
	if (auth__s.orgs == NULL)
		return MADO_E_GATEWAY_UNAVAILABLE;
	if (mado_http_client_cert(rq) == NULL)
		return mado_http_fail(rq, MADO_E_UNAUTHENTICATED,
				      "present your organisation's client certificate");
	return MADO_OK;
}

static int
org_admit(struct mado_req *rq)
{
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	struct mado_db *db;
	bool found;
	int rc;

	/* Chain and revocation first, with no database connection held. */
	reason = mado_pki_check_cert(auth__s.orgs, mado_http_client_cert(rq), time(NULL),
				     MADO_PKI_REVOCATION_CONFIGURED, &res);
	if (reason != MADO_PKI_PASS) {
		rc = mado_pki_err(reason);
		mado_http_ext(rq, "reason", mado_pki_reason_str(reason));
		/* Untrusted, revoked, expired, wrong use: not an organisation of ours. */
		return rc == MADO_E_REVOCATION_CHECK_FAILED ? rc : MADO_E_ORG_CERT_UNKNOWN;
	}
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__org_by_key(db, res.card.key_hash, rq->actor.org, sizeof(rq->actor.org),
				   rq->actor.org_kind, sizeof(rq->actor.org_kind), &found)) !=
		MADO_OK)
		return rc;
	if (!found)
		return MADO_E_ORG_CERT_UNKNOWN;
	if ((mado_org_kind(rq->actor.org_kind) & rq->route->orgs) == 0)
		return mado_http_fail(rq, MADO_E_FORBIDDEN,
				      "this endpoint is not for organisations of kind %s",
				      rq->actor.org_kind);
	return MADO_OK;
}

const struct mado_gate auth__org_gate = {org_check, org_admit};
