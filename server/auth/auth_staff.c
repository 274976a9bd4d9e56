/*
 * Staff: login with a staff certificate from an organisation CA (the same checks,
 * revocation included, as an organisation's system), bound by the operator to an
 * organisation and a role (mado staff-bind): a desk's clerk or desk-lead, or the
 * supervisor's staff (role supervisor); their own session cookie, apart from
 * residents' sessions, and the gate of MADO_STAFF routes. And what a desk visit needs of
 * card login: the resident's card checked against the visit's challenge, and the
 * resident's session cookie set or cleared at the terminal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>
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

#define STAFF_COOKIE "__Host-staff"

static bool
read_staff_cookie(struct mado_req *rq, char *out, size_t len)
{
	const char *h = mado_http_req_header(rq, "Cookie");

	return h != NULL && mg_get_cookie(h, STAFF_COOKIE, out, len) > 0 &&
	       mado_check_kind(MADO_K_TOKEN, out);
}

static void
clear_staff_cookie(struct mado_req *rq)
{
	mado_http_header(rq, "Set-Cookie",
			 STAFF_COOKIE "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
}

#define STAFF_FROM_ONLY "desk staff are served only from the addresses in staff_from"

/* Staff log in and act only from the terminals' networks (staff_from): a staff
   certificate and cookie taken elsewhere open nothing. */
static bool
from_terminal(const struct mado_req *rq)
{
	return mado_http_client_from(rq, auth__s.staff_from != NULL ? auth__s.staff_from : "");
}

static int
staff_check(struct mado_req *rq)
{
	char cookie[64];
	bool has = read_staff_cookie(rq, cookie, sizeof(cookie));

	OPENSSL_cleanse(cookie, sizeof(cookie));
	return has ? MADO_OK : MADO_E_UNAUTHENTICATED;
}

/* The session's certificate is re-checked for revocation every card_recheck_s, as a
   resident's card is. Revoked at its CA, the staff member is revoked in Mado too: every
   session of theirs and their terminals' visits end. */
static int
recheck_staff(struct mado_req *rq, const struct auth_staff *st)
{
	struct mado_pki_result res;
	struct mado_db *db;
	X509 *cert = NULL;
	bool revoked;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__staff_cert(db, rq->actor.session_hex, &cert)) != MADO_OK ||
	    (rc = auth__revoked_now(rq, auth__s.orgs, cert, &db, &revoked, &res)) != MADO_OK ||
	    (rc = auth__staff_checked(db, rq->actor.session_hex, revoked)) != MADO_OK)
		return rc;
	if (!revoked)
		return MADO_OK;
	mado_log_info(rq->id,
		      "auth: staff %s of %s: certificate %s found revoked; their sessions end",
		      st->ref, st->org, res.card.fingerprint);
	clear_staff_cookie(rq);
	return mado_http_refuse(rq, MADO_E_STAFF_CERT_UNKNOWN,
				mado_pki_reason_str(MADO_PKI_REVOKED));
}

static int
staff_admit(struct mado_req *rq)
{
	struct auth_staff st;
	struct mado_db *db;
	char cookie[64];
	const char *token;
	int rc;

	if (!read_staff_cookie(rq, cookie, sizeof(cookie)))
		return MADO_E_UNAUTHENTICATED;
	if (!from_terminal(rq)) {
		OPENSSL_cleanse(cookie, sizeof(cookie));
		return mado_http_fail(rq, MADO_E_FORBIDDEN, STAFF_FROM_ONLY);
	}
	mado_secret_hash(cookie, rq->actor.session_hex);
	OPENSSL_cleanse(cookie, sizeof(cookie));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__staff_session(db, rq->actor.session_hex, auth__s.recheck_s, &st)) !=
		MADO_OK)
		return rc;
	if (!st.found) {
		clear_staff_cookie(rq);
		return MADO_E_UNAUTHENTICATED;
	}
	if (st.expired) {
		clear_staff_cookie(rq);
		if ((rc = auth__staff_logout(db, rq->actor.session_hex)) != MADO_OK)
			return rc;
		return MADO_E_SESSION_EXPIRED;
	}
	if (st.recheck_due && auth__s.org_revocation && (rc = recheck_staff(rq, &st)) != MADO_OK)
		return rc;
	if (strcmp(rq->ri->request_method, "GET") != 0 &&
	    strcmp(rq->ri->request_method, "HEAD") != 0) {
		token = mado_http_req_header(rq, "X-CSRF-Token");
		if (token == NULL || strlen(token) != strlen(st.csrf) ||
		    !mado_ct_equal(token, st.csrf, strlen(st.csrf)))
			return mado_http_fail(
			    rq, MADO_E_CSRF_REJECTED,
			    "X-CSRF-Token must be the staff session's csrf_token");
	}
	rq->actor.session = true;
	snprintf(rq->actor.org, sizeof(rq->actor.org), "%s", st.org);
	/* The database binds and logs in a role only with an organisation of its kind. */
	snprintf(rq->actor.org_kind, sizeof(rq->actor.org_kind), "%s",
		 mado_staff_role(st.role) == MADO_STAFF_SUPERVISOR ? "supervisor" : "desk");
	snprintf(rq->actor.staff_ref, sizeof(rq->actor.staff_ref), "%s", st.ref);
	snprintf(rq->actor.staff_role, sizeof(rq->actor.staff_role), "%s", st.role);
	snprintf(rq->actor.csrf, sizeof(rq->actor.csrf), "%s", st.csrf);
	if ((mado_staff_role(st.role) & rq->route->staff_roles) == 0)
		return mado_http_fail(rq, MADO_E_FORBIDDEN, "this is not for the role %s", st.role);
	return MADO_OK;
}

const struct mado_gate auth__staff_gate = {staff_check, staff_admit};

/* Browsers navigating to the staff login get their app (the desk terminal, the
   supervisor's pages), not JSON. */
static bool
wants_html(struct mado_req *rq)
{
	const char *accept = mado_http_req_header(rq, "Accept");

	return accept != NULL && strstr(accept, "text/html") != NULL;
}

static int
staff_login_cert(struct mado_req *rq, cJSON **out)
{
	char cookie[64], key[MADO_HASH_PARAM_LEN], csrf[48];
	unsigned char *der = NULL;
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	X509 *peer = mado_http_client_cert(rq);
	struct auth_staff st;
	struct mado_db *db;
	int rc, derlen;

	if (!from_terminal(rq))
		return mado_http_fail(rq, MADO_E_FORBIDDEN, STAFF_FROM_ONLY);
	if (auth__s.orgs == NULL)
		return mado_http_fail(rq, MADO_E_STAFF_CERT_UNKNOWN, "no organisation CA is set");
	if (peer == NULL)
		return MADO_E_CLIENT_CERT_MISSING;
	/* The same checks as an organisation's system, with no pooled connection held while
	   the revocation check waits on the network. A card is no staff certificate. */
	reason = mado_pki_check_cert(auth__s.orgs, peer, time(NULL), MADO_PKI_REVOCATION_CONFIGURED,
				     &res);
	if (reason != MADO_PKI_PASS) {
		rc = mado_pki_err(reason);
		return mado_http_refuse(
		    rq, rc == MADO_E_REVOCATION_CHECK_FAILED ? rc : MADO_E_STAFF_CERT_UNKNOWN,
		    mado_pki_reason_str(reason));
	}
	if ((derlen = i2d_X509(peer, &der)) <= 0)
		return MADO_E_INTERNAL;
	if (auth__token(cookie, sizeof(cookie), 32) != MADO_OK ||
	    auth__token(csrf, sizeof(csrf), AUTH_CSRF_LEN * 3 / 4) != MADO_OK) {
		OPENSSL_free(der);
		return MADO_E_INTERNAL;
	}
	mado_secret_hash(cookie, key);
	if ((rc = mado_http_db(rq, &db)) == MADO_OK)
		rc = auth__staff_login(db, res.card.key_hash, key, csrf, auth__s.staff_max_s, der,
				       (size_t)derlen, &st);
	OPENSSL_free(der);
	if (rc == MADO_OK && !st.found)
		rc = MADO_E_STAFF_CERT_UNKNOWN;
	if (rc == MADO_OK) {
		char buf[128];

		snprintf(buf, sizeof(buf),
			 STAFF_COOKIE "=%s; Path=/; Secure; HttpOnly; SameSite=Strict", cookie);
		mado_http_header(rq, "Set-Cookie", buf);
		mado_log_info(rq->id, "auth: staff %s of %s logged in with certificate %s", st.ref,
			      st.org, res.card.fingerprint);
		*out = cJSON_CreateObject();
		cJSON_AddStringToObject(*out, "status", "logged_in");
		cJSON_AddStringToObject(*out, "csrf_token", csrf);
		cJSON_AddStringToObject(*out, "staff", st.ref);
		cJSON_AddStringToObject(*out, "organisation", st.org);
		cJSON_AddStringToObject(*out, "role", st.role);
		cJSON_AddNumberToObject(*out, "expires_in_s", auth__s.staff_max_s);
	}
	OPENSSL_cleanse(cookie, sizeof(cookie));
	OPENSSL_cleanse(csrf, sizeof(csrf));
	return rc;
}

static int
staff_login(struct mado_req *rq)
{
	char location[512];
	cJSON *out = NULL;
	int rc = staff_login_cert(rq, &out);
	const char *role = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(out, "role"));
	const char *page = "desk.html";

	if (!wants_html(rq))
		return rc == MADO_OK ? mado_http_json(rq, 200, out) : rc;
	/* The page the login form came from (?app=supervisor) gets the failure back. */
	if (role != NULL ? mado_staff_role(role) == MADO_STAFF_SUPERVISOR
			 : (mado_http_query(rq, "app") != NULL &&
			    strcmp(mado_http_query(rq, "app"), "supervisor") == 0))
		page = "supervisor.html";
	if (rc == MADO_OK)
		snprintf(location, sizeof(location), "%s/%s#/", auth__s.origin, page);
	else
		snprintf(location, sizeof(location), "%s/%s#/login?error=%s", auth__s.origin, page,
			 mado_err_slug(rc));
	cJSON_Delete(out);
	return mado_http_redirect(rq, location);
}

static int
staff_logout(struct mado_req *rq)
{
	struct mado_db *db;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = auth__staff_logout(db, rq->actor.session_hex)) != MADO_OK)
		return rc;
	clear_staff_cookie(rq);
	auth__clear_cookie(rq);
	mado_http_header(rq, "Clear-Site-Data", "\"cache\", \"cookies\", \"storage\"");
	return mado_http_no_content(rq);
}

static int
staff_me(struct mado_req *rq)
{
	cJSON *out = cJSON_CreateObject();

	cJSON_AddStringToObject(out, "staff", rq->actor.staff_ref);
	cJSON_AddStringToObject(out, "organisation", rq->actor.org);
	cJSON_AddStringToObject(out, "role", rq->actor.staff_role);
	cJSON_AddStringToObject(out, "csrf_token", rq->actor.csrf);
	return mado_http_json(rq, 200, out);
}

static const char *const apps[] = {"desk", "supervisor", NULL};
static const struct mado_field login_query[] = {
    {.name = "app", .kind = MADO_K_ENUM, .words = apps},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    /* On the TLS login listener, from the terminal's login form (a state change: a POST).
       Not rate limited, as card login is not: the handshake proved the key. */
    {.method = "POST",
     .pattern = "/staff/v1/auth/tls",
     .handler = staff_login,
     .caller = MADO_PUBLIC,
     .query = login_query,
     .tls_origin = true},
    {.method = "POST",
     .pattern = "/staff/v1/auth/logout",
     .handler = staff_logout,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_ANY},
    {.method = "GET",
     .pattern = "/staff/v1/me",
     .handler = staff_me,
     .caller = MADO_STAFF,
     .staff_roles = MADO_STAFF_ANY},
};

const struct mado_route_set mado_auth_staff_routes = MADO_ROUTE_SET("auth-staff", routes);

int
mado_auth_visit_card(struct mado_req *rq, const char *nonce, struct mado_auth_card *out)
{
	struct mado_pki_result res;
	enum mado_pki_reason reason;
	struct auth_binding b;
	struct mado_db *db;
	bool conflict = false;
	int rc, err;

	memset(out, 0, sizeof(*out));
	if (auth__s.cards == NULL)
		return MADO_E_CARD_LOGIN_UNAVAILABLE;
	mado_http_db_release(rq);
	reason = mado_webeid_validate(auth__s.cards, rq->body, rq->body_len, auth__s.origin, nonce,
				      time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res, NULL);
	memset(&b, 0, sizeof(b));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (auth__card_known(&res.card) &&
	     (rc = auth__binding_find(db, &res.card, &b)) != MADO_OK))
		return rc;
	if (reason == MADO_PKI_PASS && b.found &&
	    (rc = auth__key_elsewhere(db, res.card.key_hash, b.person_id, &conflict)) != MADO_OK)
		return rc;
	err = auth__login_decision(reason, b.found, conflict, b.revoked);
	if (err != MADO_OK)
		return reason != MADO_PKI_PASS
			   ? mado_http_refuse(rq, err, mado_pki_reason_str(reason))
			   : err;
	snprintf(out->person_id, sizeof(out->person_id), "%s", b.person_id);
	snprintf(out->binding_id, sizeof(out->binding_id), "%s", b.id);
	mado_log_info(rq->id, "auth: card %s took up a desk visit", res.card.fingerprint);
	return MADO_OK;
}

int
mado_auth_person_cookie(struct mado_req *rq, char key[MADO_HASH_PARAM_LEN], char csrf[48])
{
	return auth__new_session_id(rq, key, csrf);
}

void
mado_auth_person_cookie_clear(struct mado_req *rq)
{
	auth__clear_cookie(rq);
}

int
mado_auth_bind_staff(struct mado_db *db, const struct mado_config *cfg, const char *org,
		     const char *role, X509 *cert, char *why, size_t whylen)
{
	struct mado_pki_config pc;
	struct mado_pki_result res;
	struct mado_pki *pki;
	enum mado_pki_reason reason;
	char ref[24];
	int rc;

	if (*cfg->org_trust_dir == '\0') {
		snprintf(why, whylen, "org_trust_dir is not set");
		return MADO_E_GATEWAY_UNAVAILABLE;
	}
	if (!mado_check_kind(MADO_K_ORG, org) || mado_staff_role(role) == 0) {
		snprintf(why, whylen,
			 "the organisation must be a code and the role clerk, desk-lead or "
			 "supervisor");
		return MADO_E_VALIDATION;
	}
	mado_pki_config_from(cfg, MADO_PKI_ORGS, &pc);
	if ((rc = mado_pki_new(&pc, &pki, why, whylen)) != MADO_OK)
		return rc;
	reason = mado_pki_check_cert(pki, cert, time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res);
	mado_pki_free(pki);
	if (reason != MADO_PKI_PASS) {
		snprintf(why, whylen, "the certificate does not pass: %s %s",
			 mado_pki_reason_str(reason), res.detail);
		return MADO_E_STAFF_CERT_UNKNOWN;
	}
	if ((rc = auth__staff_bind(db, res.card.key_hash, org, role, ref, sizeof(ref))) !=
	    MADO_OK) {
		snprintf(why, whylen,
			 "no %s organisation %s, or the key is revoked or belongs to another",
			 mado_staff_role(role) == MADO_STAFF_SUPERVISOR ? "supervisor" : "desk",
			 org);
		return rc;
	}
	/* The reference, never a name: the access log shows the clerk by it. */
	snprintf(why, whylen, "certificate %s bound to %s as %s, staff reference %s",
		 res.card.fingerprint, org, role, ref);
	return MADO_OK;
}

int
mado_auth_revoke_staff(struct mado_db *db, const struct mado_config *cfg, X509 *cert, char *why,
		       size_t whylen)
{
	struct mado_pki_config pc;
	struct mado_card_id id;
	struct mado_pki *pki;
	char ref[24];
	int rc;

	if (*cfg->org_trust_dir == '\0') {
		snprintf(why, whylen, "org_trust_dir is not set");
		return MADO_E_GATEWAY_UNAVAILABLE;
	}
	/* Only the key matters: a certificate its CA revoked already is revoked here too. */
	mado_pki_config_from(cfg, MADO_PKI_ORGS, &pc);
	if ((rc = mado_pki_new(&pc, &pki, why, whylen)) != MADO_OK)
		return rc;
	memset(&id, 0, sizeof(id));
	mado_pki_card_id(pki, cert, &id);
	mado_pki_free(pki);
	if (id.key_hash[0] == '\0') {
		snprintf(why, whylen, "cannot read the certificate's key");
		return MADO_E_VALIDATION;
	}
	if ((rc = auth__staff_revoke(db, id.key_hash, ref, sizeof(ref))) != MADO_OK)
		return rc;
	if (ref[0] == '\0') {
		snprintf(why, whylen, "no staff member has this certificate's key");
		return MADO_E_NOT_FOUND;
	}
	snprintf(why, whylen, "staff %s revoked; their sessions and visits ended", ref);
	return MADO_OK;
}
