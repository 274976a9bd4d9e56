/*
 * The SQL of card login and of organisations' certificates: sessions, challenges, card
 * bindings, history, failure counters, and which organisation a client key belongs to.
 * Plain statements over the tables; the rules are in auth.c. Work that must happen
 * together runs in one transaction with a single exit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/x509.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/util.h"
#include "auth_int.h"

static struct mado_db_stmt Q_SESSION_GET = MADO_DB_STMT(
    "auth_session_get",
    "SELECT true AS found, s.person_id, s.binding_id, s.channel, coalesce(s.method, '') AS method,"
    " s.csrf_token AS csrf, s.shared,"
    " coalesce(s.card_at > now() - make_interval(secs => $6::int), false) AS card,"
    " coalesce(array_to_string(h.acts, ' '), '') AS helper_acts,"
    " coalesce(h.org_code, '') AS helper_org, coalesce(h.officer, '') AS helper_ref,"
    " s.expires_at <= now() OR s.last_seen <= now() - make_interval(secs =>"
    "  CASE WHEN s.shared THEN $5::int ELSE $2::int END) AS expired,"
    " s.last_seen <= now() - make_interval(secs => least($4::int,"
    "  (CASE WHEN s.shared THEN $5::int ELSE $2::int END) / 3)) AS touch_due,"
    " coalesce(b.revoked_at IS NOT NULL, false) AS revoked,"
    " b.id IS NOT NULL AND (b.checked_at IS NULL"
    "  OR b.checked_at <= now() - make_interval(secs => $3::int)) AS recheck_due"
    " FROM portal.sessions s LEFT JOIN portal.card_bindings b ON b.id = s.binding_id"
    /* A helper's session only: for the person's own, the function is never called (a
       one-time filter, kept by OFFSET 0 out of the join, where it would run first). */
    " LEFT JOIN LATERAL (SELECT * FROM portal.session_helper(s.id_hash)"
    "  WHERE s.channel <> 'self' OFFSET 0) h ON true"
    " WHERE s.id_hash = $1::bytea",
    6);
static struct mado_db_stmt Q_RECORD_HELPED = MADO_DB_STMT_AS_PERSON(
    "auth_record_helped",
    "SELECT portal.record_helped($2::bytea, $1::uuid, string_to_array($3, ' ')) IS NOT NULL"
    " AS recorded",
    3);
/* The operator ends one person's sessions, or with no person everyone's. */
static struct mado_db_stmt Q_SESSIONS_END = MADO_DB_STMT(
    "auth_sessions_end", "SELECT portal.sessions_end_by_operator($1::uuid) AS ended", 1);
static struct mado_db_stmt Q_ACCOUNT_DISABLE =
    MADO_DB_STMT("auth_account_disable", "SELECT portal.account_disable($1::uuid, $2) AS ended", 2);
static struct mado_db_stmt Q_ACCOUNT_ENABLE =
    MADO_DB_STMT("auth_account_enable", "SELECT portal.account_enable($1::uuid)::int AS ended", 1);
static struct mado_db_stmt Q_SESSION_TOUCH =
    MADO_DB_STMT("auth_session_touch",
		 "UPDATE portal.sessions SET last_seen = now() WHERE id_hash = $1::bytea", 1);
static struct mado_db_stmt Q_SESSION_DELETE =
    MADO_DB_STMT("auth_session_delete", "DELETE FROM portal.sessions WHERE id_hash = $1::bytea", 1);
/* Get-and-delete in one statement: of two concurrent logins, one gets the nonce. */
static struct mado_db_stmt Q_CHALLENGE_TAKE =
    MADO_DB_STMT("auth_challenge_take",
		 "DELETE FROM portal.auth_challenges c USING portal.sessions s"
		 " WHERE c.session_hash = $1::bytea AND s.id_hash = c.session_hash"
		 " AND s.person_id IS NULL RETURNING c.nonce, c.expires_at <= now() AS expired",
		 1);
/* The same for the challenge of a person's own session (adding a device, the step-up). */
static struct mado_db_stmt Q_CHALLENGE_TAKE_OWN =
    MADO_DB_STMT("auth_challenge_take_own",
		 "DELETE FROM portal.auth_challenges c USING portal.sessions s"
		 " WHERE c.session_hash = $1::bytea AND s.id_hash = c.session_hash"
		 " AND s.person_id IS NOT NULL RETURNING c.nonce, c.expires_at <= now() AS expired",
		 1);
static struct mado_db_stmt Q_SESSION_CARD =
    MADO_DB_STMT("auth_session_card",
		 "UPDATE portal.sessions SET card_at = now(), binding_id = $2::bigint,"
		 " id_hash = $4::bytea WHERE id_hash = $1::bytea AND person_id = $3::uuid",
		 4);
static struct mado_db_stmt Q_BINDING_FIND =
    MADO_DB_STMT("auth_binding_find",
		 "SELECT true AS found, id, person_id, revoked_at IS NOT NULL AS revoked"
		 " FROM portal.card_bindings WHERE issuer_key = $1 AND serial = $2",
		 2);
static struct mado_db_stmt Q_KEY_ELSEWHERE =
    MADO_DB_STMT("auth_key_elsewhere",
		 "SELECT 1 FROM portal.card_bindings WHERE key_hash = $1"
		 " AND ($2::uuid IS NULL OR person_id <> $2::uuid) LIMIT 1",
		 2);
static struct mado_db_stmt Q_KEY_CASE =
    MADO_DB_STMT("auth_key_case", "SELECT portal.card_key_case($1)", 1);
/* The pre-login session, its challenge and the purge of what ran out: one round trip. */
static struct mado_db_stmt Q_PRELOGIN = MADO_DB_STMT(
    "auth_prelogin",
    "SELECT portal.auth_prelogin($1::bytea, $2, $3::boolean, $4::int, $5, $6::int)", 6);
/* A login's session and history in one round trip (sql/functions/auth.sql). */
#define LOGIN_OPEN_PARAMS 14
static struct mado_db_stmt Q_LOGIN_OPEN = MADO_DB_STMT(
    "auth_login_open",
    "SELECT portal.login_open($1::bytea, $2::uuid, $3, $4::bytea, $5::uuid, $6::bigint, $7, $8,"
    " $9::int, $10::boolean, $11, $12::bigint, $13::boolean, $14::boolean)",
    LOGIN_OPEN_PARAMS);
/* A card login after its checks: the binding and, when the login holds, its session. */
static struct mado_db_stmt Q_CARD_LOGIN = MADO_DB_STMT(
    "auth_card_login",
    "SELECT true AS found, o_id::text AS id, o_person::text AS person_id, o_revoked AS revoked,"
    " o_key_elsewhere AS key_elsewhere, o_logged_in AS logged_in"
    " FROM portal.card_login($1, $2, $3, $4::boolean, $5::boolean, $6, $7::bytea, $8::uuid, $9,"
    " $10::bytea, $11, $12, $13::int, $14::boolean, $15, $16::boolean)",
    16);
static struct mado_db_stmt Q_BINDING_USED =
    MADO_DB_STMT("auth_binding_used",
		 "UPDATE portal.card_bindings SET last_used_at = now() WHERE id = $1::bigint", 1);
/* Notices about the person's own logins and cards, and the sessions and cards they see. */
static struct mado_db_stmt Q_NOTICE =
    MADO_DB_STMT_AS_PERSON("auth_notice", "SELECT portal.auth_notice($1::uuid, $2, $3)", 3);
static struct mado_db_stmt Q_END_OWN = MADO_DB_STMT_AS_PERSON(
    "auth_end_own", "SELECT method FROM portal.end_own_session($1::uuid, $2::uuid)", 2);
static struct mado_db_stmt Q_SESSIONS = MADO_DB_STMT_AS_PERSON(
    "auth_sessions",
    "SELECT s.handle::text AS id,"
    " to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS started,"
    " to_char(s.last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_seen,"
    " coalesce(s.method, '') AS method, s.channel, s.shared, s.client_net AS net,"
    " s.id_hash = $2::bytea AS current"
    " FROM portal.sessions s WHERE s.person_id = $1::uuid AND s.expires_at > now()"
    " ORDER BY s.created_at DESC, s.handle LIMIT 100",
    2);
/* The serial never leaves whole: its last four hex digits name the card to its holder. */
static struct mado_db_stmt Q_CARDS = MADO_DB_STMT_AS_PERSON(
    "auth_cards",
    "SELECT b.id::text AS id, right(b.serial, 4) AS serial_end, b.cert,"
    " to_char(b.not_before AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS not_before,"
    " to_char(b.not_after AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS not_after,"
    " to_char(b.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS bound_at,"
    " to_char(b.last_used_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS last_used,"
    " to_char(b.revoked_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS revoked_at"
    " FROM portal.card_bindings b WHERE b.person_id = $1::uuid ORDER BY b.id DESC LIMIT 50",
    1);
static struct mado_db_stmt Q_BINDING_CHECKED =
    MADO_DB_STMT("auth_binding_checked",
		 "UPDATE portal.card_bindings SET checked_at = now() WHERE id = $1::bigint", 1);
static struct mado_db_stmt Q_BINDING_REVOKED =
    MADO_DB_STMT("auth_binding_revoked",
		 "UPDATE portal.card_bindings SET revoked_at = coalesce(revoked_at, now()),"
		 " checked_at = now() WHERE id = $1::bigint",
		 1);
static struct mado_db_stmt Q_CARD_DUE =
    MADO_DB_STMT("auth_card_due",
		 "SELECT id::text AS id FROM portal.card_bindings WHERE person_id = $1::uuid"
		 " AND revoked_at IS NULL AND (checked_at IS NULL"
		 " OR checked_at <= now() - make_interval(secs => $2::int))"
		 " ORDER BY checked_at NULLS FIRST, id LIMIT 1",
		 2);
static struct mado_db_stmt Q_SESSIONS_OF_BINDING = MADO_DB_STMT(
    "auth_sessions_of_binding", "DELETE FROM portal.sessions WHERE binding_id = $1::bigint", 1);
static struct mado_db_stmt Q_BINDING_CERT = MADO_DB_STMT(
    "auth_binding_cert", "SELECT cert FROM portal.card_bindings WHERE id = $1::bigint", 1);
/* Login events are the person's own rows: written and read under row-level security. */
static struct mado_db_stmt Q_EVENT =
    MADO_DB_STMT_AS_PERSON("auth_event",
			   "INSERT INTO portal.login_events (person_id, method, event, reason)"
			   " VALUES ($1::uuid, $2, $3, $4)",
			   4);
static struct mado_db_stmt Q_LOGINS = MADO_DB_STMT_AS_PERSON(
    "auth_logins",
    "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS at,"
    " method, event, reason FROM portal.login_events"
    " WHERE person_id = $1::uuid AND ($2::bigint = 0 OR id < $2::bigint)"
    " ORDER BY id DESC LIMIT $3::int",
    3);
static struct mado_db_stmt Q_PERSON_NEW =
    MADO_DB_STMT("auth_person_new", "INSERT INTO portal.people DEFAULT VALUES RETURNING id", 0);
static struct mado_db_stmt Q_BINDING_NEW =
    MADO_DB_STMT("auth_binding_new",
		 "INSERT INTO portal.card_bindings (person_id, issuer_hash, serial, key_hash, cert,"
		 " not_before, not_after, checked_at, issuer_key) VALUES ($1::uuid, $2, $3, $4,"
		 " $5::bytea, to_timestamp($6::bigint), to_timestamp($7::bigint), now(), $8)",
		 8);
/* Bindings made before they were keyed on the issuer's key (migration 0008). */
static struct mado_db_stmt Q_BINDINGS_UNKEYED = MADO_DB_STMT(
    "auth_bindings_unkeyed",
    "SELECT id, cert FROM portal.card_bindings WHERE issuer_key IS NULL ORDER BY id", 0);
static struct mado_db_stmt Q_BINDING_KEYED =
    MADO_DB_STMT("auth_binding_keyed",
		 "UPDATE portal.card_bindings SET issuer_key = $2"
		 " WHERE id = $1::bigint AND issuer_key IS NULL",
		 2);
static struct mado_db_stmt Q_FAIL_COUNT =
    MADO_DB_STMT("auth_fail_count",
		 "SELECT failures, greatest(1, ceil(extract(epoch FROM window_start"
		 " + make_interval(secs => $3::int) - now())))::int AS retry_after"
		 " FROM portal.auth_failures"
		 " WHERE scope = $1 AND key_hash = $2"
		 " AND window_start > now() - make_interval(secs => $3::int)",
		 3);
static struct mado_db_stmt Q_FAIL_BUMP = MADO_DB_STMT(
    "auth_fail_bump",
    "INSERT INTO portal.auth_failures AS f (scope, key_hash, window_start, failures)"
    " VALUES ($1, $2, now(), 1) ON CONFLICT (scope, key_hash) DO UPDATE SET"
    " failures = CASE WHEN f.window_start <= now() - make_interval(secs => $3::int)"
    "  THEN 1 ELSE f.failures + 1 END,"
    " window_start = CASE WHEN f.window_start <= now() - make_interval(secs => $3::int)"
    "  THEN now() ELSE f.window_start END",
    3);
static struct mado_db_stmt Q_FAIL_CLEAR = MADO_DB_STMT(
    "auth_fail_clear", "DELETE FROM portal.auth_failures WHERE scope = $1 AND key_hash = $2", 2);
/* One request more under a per-client key (scope addr: counters of client addresses),
   and the count in its window. */
static struct mado_db_stmt Q_RATE_HIT = MADO_DB_STMT(
    "auth_rate_hit",
    "INSERT INTO portal.auth_failures AS f (scope, key_hash, window_start, failures)"
    " VALUES ('addr', $1, now(), 1) ON CONFLICT (scope, key_hash) DO UPDATE SET"
    " failures = CASE WHEN f.window_start <= now() - make_interval(secs => $2::int)"
    "  THEN 1 ELSE f.failures + 1 END,"
    " window_start = CASE WHEN f.window_start <= now() - make_interval(secs => $2::int)"
    "  THEN now() ELSE f.window_start END"
    " RETURNING failures, greatest(1, ceil(extract(epoch FROM window_start"
    " + make_interval(secs => $2::int) - now())))::int AS retry_after",
    2);

static struct mado_db_stmt Q_ORG_BY_KEY = MADO_DB_STMT(
    "auth_org_by_key", "SELECT true AS found, code, kind FROM portal.org_by_key($1)", 1);

static const struct mado_col SESSION_COLS[] = {
    MADO_COL(BOOL, auth_session, found),      MADO_COL(BUF, auth_session, person_id),
    MADO_COL(BUF, auth_session, binding_id),  MADO_COL(BUF, auth_session, channel),
    MADO_COL(BUF, auth_session, method),      MADO_COL(BUF, auth_session, csrf),
    MADO_COL(BOOL, auth_session, expired),    MADO_COL(BOOL, auth_session, touch_due),
    MADO_COL(BOOL, auth_session, revoked),    MADO_COL(BOOL, auth_session, recheck_due),
    MADO_COL(BOOL, auth_session, shared),     MADO_COL(BOOL, auth_session, card),
    MADO_COL(BUF, auth_session, helper_acts), MADO_COL(BUF, auth_session, helper_org),
    MADO_COL(BUF, auth_session, helper_ref),
};

static const struct mado_col BINDING_COLS[] = {
    MADO_COL(BOOL, auth_binding, found),
    MADO_COL(BUF, auth_binding, id),
    MADO_COL(BUF, auth_binding, person_id),
    MADO_COL(BOOL, auth_binding, revoked),
};

/* Not found is an answer here, not an error: the struct says so. */
static int
one_or_none(int rc)
{
	return rc == MADO_E_NOT_FOUND ? MADO_OK : rc;
}

int
auth__session_get(struct mado_db *db, const char *key, const struct auth_state *st,
		  struct auth_session *s)
{
	char idle[16], recheck[16], touch[16], shared_idle[16], card_fresh[16];
	const char *p[6] = {key, idle, recheck, touch, shared_idle, card_fresh};

	memset(s, 0, sizeof(*s));
	snprintf(idle, sizeof(idle), "%d", st->idle_s);
	snprintf(recheck, sizeof(recheck), "%d", st->recheck_s);
	snprintf(touch, sizeof(touch), "%d", AUTH_TOUCH_INTERVAL_S);
	snprintf(shared_idle, sizeof(shared_idle), "%d", st->shared_idle_s);
	snprintf(card_fresh, sizeof(card_fresh), "%d", st->card_fresh_s);
	return one_or_none(mado_db_one(db, &Q_SESSION_GET, p, MADO_COLS(SESSION_COLS), s));
}

int
auth__record_helped(struct mado_db *db, const char *person_id, const char *key, const char *themes)
{
	struct row {
		bool recorded;
	} r = {false};
	static const struct mado_col cols[] = {MADO_COL(BOOL, row, recorded)};
	const char *p[3] = {person_id, key, themes};
	int rc;

	if ((rc = mado_db_one(db, &Q_RECORD_HELPED, p, MADO_COLS(cols), &r)) != MADO_OK)
		return rc;
	return r.recorded ? MADO_OK : MADO_E_OWN_SESSION_ONLY;
}

int
auth__session_touch(struct mado_db *db, const char *key)
{
	const char *p[1] = {key};

	return mado_db_run(db, &Q_SESSION_TOUCH, p, NULL);
}

int
auth__event(struct mado_db *db, const char *person_id, const char *method, const char *event,
	    const char *reason)
{
	const char *p[4] = {person_id, method, event, reason};

	return mado_db_run(db, &Q_EVENT, p, NULL);
}

int
auth__session_end(struct mado_db *db, const char *key, const struct auth_session *s,
		  const char *event)
{
	const char *p[1] = {key};
	int rc;

	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	if ((rc = mado_db_run(db, &Q_SESSION_DELETE, p, NULL)) != MADO_OK)
		goto fail;
	if (s->person_id[0] != '\0' && event != NULL &&
	    (rc = auth__event(db, s->person_id, s->method[0] != '\0' ? s->method : "session", event,
			      NULL)) != MADO_OK)
		goto fail;
	return mado_db_commit(db);
fail:
	return mado_db_rollback(db, rc);
}

int
auth__prelogin(struct mado_db *db, const char *key, const char *csrf, int shared, const char *nonce)
{
	char pttl[16], cttl[16];
	const char *p[6] = {key,  csrf,  shared < 0 ? NULL : shared ? "true" : "false",
			    pttl, nonce, cttl};

	snprintf(pttl, sizeof(pttl), "%d", AUTH_PRELOGIN_TTL_S);
	snprintf(cttl, sizeof(cttl), "%d", AUTH_CHALLENGE_TTL_S);
	return mado_db_run(db, &Q_PRELOGIN, p, NULL);
}

struct taken {
	char nonce[64];
	bool expired;
};

int
auth__challenge_take(struct mado_db *db, const char *key, bool own, char *nonce, size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, taken, nonce),
					       MADO_COL(BOOL, taken, expired)};
	const char *p[1] = {key};
	struct taken t;
	int rc;

	if ((rc = mado_db_one(db, own ? &Q_CHALLENGE_TAKE_OWN : &Q_CHALLENGE_TAKE, p,
			      MADO_COLS(cols), &t)) != MADO_OK)
		return rc == MADO_E_NOT_FOUND ? MADO_E_CHALLENGE_MISSING : rc;
	if (t.expired)
		return MADO_E_CHALLENGE_EXPIRED;
	snprintf(nonce, len, "%s", t.nonce);
	return MADO_OK;
}

int
auth__binding_find(struct mado_db *db, const struct mado_card_id *card, struct auth_binding *b)
{
	const char *p[2] = {card->issuer_key, card->serial};

	memset(b, 0, sizeof(*b));
	/* No anchor signed it: no card of ours, whatever its issuer name and serial say. */
	if (card->issuer_key[0] == '\0' || card->serial[0] == '\0')
		return MADO_OK;
	return one_or_none(mado_db_one(db, &Q_BINDING_FIND, p, MADO_COLS(BINDING_COLS), b));
}

struct sessions_ended {
	int ended;
};

int
auth__sessions_end(struct mado_db *db, const char *person_id, int *ended)
{
	static const struct mado_col cols[] = {MADO_COL(INT, sessions_ended, ended)};
	struct sessions_ended out = {0};
	const char *p[1] = {person_id};
	int rc;

	rc = mado_db_one(db, &Q_SESSIONS_END, p, MADO_COLS(cols), &out);
	*ended = out.ended;
	return rc;
}

int
auth__account_hold(struct mado_db *db, const char *person_id, const char *reason, int *n)
{
	static const struct mado_col cols[] = {MADO_COL(INT, sessions_ended, ended)};
	struct sessions_ended out = {0};
	const char *p[2] = {person_id, reason};
	int rc;

	rc = mado_db_one(db, reason != NULL ? &Q_ACCOUNT_DISABLE : &Q_ACCOUNT_ENABLE, p,
			 MADO_COLS(cols), &out);
	*n = out.ended;
	return rc;
}

int
auth__key_elsewhere(struct mado_db *db, const char *key_hash, const char *person_id, bool *conflict)
{
	const char *p[2] = {key_hash, person_id};
	long rows;
	int rc;

	rc = mado_db_run(db, &Q_KEY_ELSEWHERE, p, &rows);
	*conflict = rc == MADO_OK && rows > 0;
	return rc;
}

int
auth__key_case(struct mado_db *db, const char *key_hash)
{
	const char *p[1] = {key_hash};

	return mado_db_run(db, &Q_KEY_CASE, p, NULL);
}

/* The parameters of portal.login_open, from p on; max: room for the number. */
static void
login_params(const char **p, const char *prelogin_key, const struct auth_session *prior,
	     const char *key, const struct auth_binding *b, const char *csrf, char max[16],
	     int max_s, const struct auth_login *l)
{
	bool ends_prior = prelogin_key != NULL && prior != NULL && prior->person_id[0] != '\0';

	snprintf(max, 16, "%d", max_s);
	p[0] = prelogin_key;
	p[1] = ends_prior ? prior->person_id : NULL;
	p[2] = ends_prior ? prior->method : NULL;
	p[3] = key;
	p[4] = b != NULL ? b->person_id : NULL;
	p[5] = b != NULL ? b->id : NULL;
	p[6] = l->method;
	p[7] = csrf;
	p[8] = max;
	p[9] = l->shared ? "true" : "false";
	p[10] = l->client_net != NULL ? l->client_net : "";
	p[11] = l->passkey_id;
	p[12] = l->card ? "true" : "false";
	p[13] = l->revocation_checked ? "true" : "false";
}

int
auth__login(struct mado_db *db, const char *prelogin_key, const struct auth_session *prior,
	    const char *key, const struct auth_binding *b, const char *csrf, int max_s,
	    const struct auth_login *l)
{
	const char *p[LOGIN_OPEN_PARAMS];
	char max[16];

	login_params(p, prelogin_key, prior, key, b, csrf, max, max_s, l);
	return mado_db_run(db, &Q_LOGIN_OPEN, p, NULL);
}

int
auth__card_login(struct mado_db *db, const struct mado_card_id *card, bool pass,
		 const char *card_key, const struct auth_open *o, struct auth_card_login *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BOOL, auth_card_login, found),
	    MADO_COL(BUF, auth_card_login, id),
	    MADO_COL(BUF, auth_card_login, person_id),
	    MADO_COL(BOOL, auth_card_login, revoked),
	    MADO_COL(BOOL, auth_card_login, key_elsewhere),
	    MADO_COL(BOOL, auth_card_login, logged_in),
	};
	const char *lp[LOGIN_OPEN_PARAMS], *p[16];
	char max[16] = "0";
	struct auth_login none;

	memset(out, 0, sizeof(*out));
	memset(&none, 0, sizeof(none));
	memset(lp, 0, sizeof(lp));
	none.method = "webeid";
	/* No anchor signed it: no card of ours, whatever its issuer name and serial say. */
	if (card->issuer_key[0] == '\0' || card->serial[0] == '\0')
		return MADO_OK;
	if (o != NULL)
		login_params(lp, o->prelogin_key, o->prior, o->key, NULL, o->csrf, max, o->max_s,
			     o->l);
	else
		login_params(lp, NULL, NULL, NULL, NULL, NULL, max, 0, &none);
	p[0] = card->issuer_key;
	p[1] = card->serial;
	p[2] = card->key_hash;
	p[3] = pass ? "true" : "false";
	p[4] = o != NULL ? "true" : "false";
	p[5] = card_key;
	p[6] = lp[0];   /* the pre-login session */
	p[7] = lp[1];   /* the person whose session the browser still had */
	p[8] = lp[2];   /* and its method */
	p[9] = lp[3];   /* the new session */
	p[10] = lp[6];  /* method */
	p[11] = lp[7];  /* csrf */
	p[12] = lp[8];  /* max_s */
	p[13] = lp[9];  /* shared */
	p[14] = lp[10]; /* client_net */
	p[15] = lp[13]; /* revocation checked */
	return one_or_none(mado_db_one(db, &Q_CARD_LOGIN, p, MADO_COLS(cols), out));
}

int
auth__session_card(struct mado_db *db, const char *key, const char *new_key,
		   const struct auth_binding *b)
{
	const char *p[4] = {key, b->id, b->person_id, new_key};
	const char *bind[1] = {b->id};
	long rows = 0;
	int rc;

	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	if ((rc = mado_db_run(db, &Q_SESSION_CARD, p, &rows)) != MADO_OK ||
	    (rows == 1 && (rc = mado_db_run(db, &Q_BINDING_USED, bind, NULL)) != MADO_OK) ||
	    (rows == 1 &&
	     (rc = auth__event(db, b->person_id, "webeid", "card-step-up", NULL)) != MADO_OK))
		return mado_db_rollback(db, rc);
	if (rows != 1)
		return mado_db_rollback(db, MADO_E_SESSION_EXPIRED);
	return mado_db_commit(db);
}

/* The certificate of a stored row (bytea in text form), or NULL. */
static X509 *
stored_cert(const char *text)
{
	const unsigned char *q;
	unsigned char *der;
	size_t len = 0;
	X509 *cert = NULL;

	if ((der = PQunescapeBytea((const unsigned char *)text, &len)) != NULL) {
		q = der;
		cert = d2i_X509(NULL, &q, (long)len);
		PQfreemem(der);
	}
	return cert;
}

/* The certificate the one row of st (one parameter) holds; MADO_E_INTERNAL when none. */
static int
cert_query(struct mado_db *db, struct mado_db_stmt *st, const char *param, X509 **cert)
{
	const char *p[1] = {param};
	PGresult *r;
	int rc;

	*cert = NULL;
	if ((rc = mado_db_exec(db, st, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0))
		*cert = stored_cert(PQgetvalue(r, 0, 0));
	PQclear(r);
	return *cert != NULL ? MADO_OK : MADO_E_INTERNAL;
}

int
auth__binding_cert(struct mado_db *db, const char *binding_id, X509 **cert)
{
	return cert_query(db, &Q_BINDING_CERT, binding_id, cert);
}

int
auth__key_bindings(struct mado_db *db, struct mado_pki *pki, int *keyed, int *left)
{
	struct mado_card_id id;
	char idbuf[24];
	const char *p[2] = {idbuf, id.issuer_key};
	PGresult *r;
	X509 *cert;
	int i, rc;

	*keyed = *left = 0;
	if ((rc = mado_db_exec(db, &Q_BINDINGS_UNKEYED, NULL, &r)) != MADO_OK)
		return rc;
	for (i = 0; i < PQntuples(r) && rc == MADO_OK; i++) {
		memset(&id, 0, sizeof(id));
		if ((cert = stored_cert(PQgetvalue(r, i, 1))) != NULL)
			mado_pki_card_id(pki, cert, &id);
		X509_free(cert);
		if (id.issuer_key[0] == '\0') {
			(*left)++;
			continue;
		}
		snprintf(idbuf, sizeof(idbuf), "%s", PQgetvalue(r, i, 0));
		if ((rc = mado_db_run(db, &Q_BINDING_KEYED, p, NULL)) == MADO_OK) {
			(*keyed)++;
		} else if (rc == MADO_E_CONFLICT) {
			/* Another binding already holds this key and serial: this one stays
			   unkeyed, and no card reaches it. */
			(*left)++;
			rc = MADO_OK;
		}
	}
	PQclear(r);
	return rc;
}

int
auth__binding_checked(struct mado_db *db, const char *binding_id)
{
	const char *p[1] = {binding_id};

	return mado_db_run(db, &Q_BINDING_CHECKED, p, NULL);
}

struct due {
	char id[24];
};

int
auth__card_due(struct mado_db *db, const char *person_id, int recheck_s, char *binding, size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, due, id)};
	char secs[16];
	const char *p[2] = {person_id, secs};
	struct due d = {""};
	int rc;

	snprintf(secs, sizeof(secs), "%d", recheck_s);
	rc = one_or_none(mado_db_one(db, &Q_CARD_DUE, p, MADO_COLS(cols), &d));
	snprintf(binding, len, "%s", d.id);
	return rc;
}

int
auth__binding_revoked(struct mado_db *db, const char *binding_id, const char *person_id)
{
	const char *p[1] = {binding_id};
	int rc;

	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	if ((rc = mado_db_run(db, &Q_BINDING_REVOKED, p, NULL)) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_SESSIONS_OF_BINDING, p, NULL)) != MADO_OK ||
	    (rc = auth__event(db, person_id, "session", "revoked", "card-revoked")) != MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

struct new_person {
	char id[40];
};

int
auth__register(struct mado_db *db, const struct mado_card_id *card, const unsigned char *der,
	       size_t derlen, const char *person_id)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, new_person, id)};
	char nb[24], na[24], *hex = mado_xmalloc(2 * derlen + 3);
	struct new_person np;
	const char *p[8], *notice[3];
	int rc;

	memcpy(hex, "\\x", 2);
	mado_hex(der, derlen, hex + 2);
	snprintf(np.id, sizeof(np.id), "%s", person_id != NULL ? person_id : "");
	snprintf(nb, sizeof(nb), "%lld", (long long)card->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)card->not_after);
	if ((rc = mado_db_begin(db)) != MADO_OK)
		goto out;
	if (person_id == NULL &&
	    (rc = mado_db_one(db, &Q_PERSON_NEW, NULL, MADO_COLS(cols), &np)) != MADO_OK) {
		rc = mado_db_rollback(db, rc);
		goto out;
	}
	p[0] = np.id;
	p[1] = card->issuer_hash;
	p[2] = card->serial;
	p[3] = card->key_hash;
	p[4] = hex;
	p[5] = nb;
	p[6] = na;
	p[7] = card->issuer_key;
	/* The person sees the binding in their login history and as a notice. */
	notice[0] = np.id;
	notice[1] = "card";
	notice[2] = person_id != NULL ? "renewal" : "first-card";
	if ((rc = mado_db_run(db, &Q_BINDING_NEW, p, NULL)) != MADO_OK ||
	    (rc = auth__event(db, np.id, "operator", "card-bound", notice[2])) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_NOTICE, notice, NULL)) != MADO_OK)
		rc = mado_db_rollback(db, rc);
	else
		rc = mado_db_commit(db);
out:
	free(hex);
	return rc;
}

struct failures {
	int failures, retry_after;
};

int
auth__fail_count(struct mado_db *db, const char *scope, const char *key, int window_s,
		 int *failures, int *retry_after)
{
	static const struct mado_col cols[] = {MADO_COL(INT, failures, failures),
					       MADO_COL(INT, failures, retry_after)};
	struct failures f = {0, 0};
	char w[16];
	const char *p[3] = {scope, key, w};
	int rc;

	snprintf(w, sizeof(w), "%d", window_s);
	rc = one_or_none(mado_db_one(db, &Q_FAIL_COUNT, p, MADO_COLS(cols), &f));
	*failures = f.failures;
	*retry_after = f.retry_after;
	return rc;
}

int
auth__fail_bump(struct mado_db *db, const char *scope, const char *key, int window_s)
{
	char w[16];
	const char *p[3] = {scope, key, w};

	snprintf(w, sizeof(w), "%d", window_s);
	return mado_db_run(db, &Q_FAIL_BUMP, p, NULL);
}

int
auth__rate_hit(struct mado_db *db, const char *key, int window_s, int *count, int *retry_after)
{
	static const struct mado_col cols[] = {MADO_COL(INT, failures, failures),
					       MADO_COL(INT, failures, retry_after)};
	struct failures f = {0, 0};
	char w[16];
	const char *p[2] = {key, w};
	int rc;

	snprintf(w, sizeof(w), "%d", window_s);
	rc = mado_db_one(db, &Q_RATE_HIT, p, MADO_COLS(cols), &f);
	*count = f.failures;
	*retry_after = f.retry_after;
	return rc;
}

int
auth__fail_clear(struct mado_db *db, const char *scope, const char *key)
{
	const char *p[2] = {scope, key};

	return mado_db_run(db, &Q_FAIL_CLEAR, p, NULL);
}

struct login_row {
	long long id;
	const char *at, *method, *event, *reason;
};

struct logins {
	cJSON *items;
	int limit;
	long long *next;
};

static int
add_login(const void *row, int i, void *arg)
{
	const struct login_row *l = row;
	struct logins *a = arg;
	cJSON *it;

	/* One row more than asked says another page follows. */
	if (i >= a->limit) {
		*a->next = l->id;
		return MADO_OK;
	}
	it = cJSON_CreateObject();
	cJSON_AddStringToObject(it, "at", l->at);
	cJSON_AddStringToObject(it, "method", l->method);
	cJSON_AddStringToObject(it, "event", l->event);
	if (l->reason != NULL)
		cJSON_AddStringToObject(it, "reason", l->reason);
	cJSON_AddItemToArray(a->items, it);
	return MADO_OK;
}

int
auth__logins(struct mado_db *db, const char *person_id, long long before, int limit, cJSON *items,
	     long long *next)
{
	static const struct mado_col cols[] = {
	    MADO_COL(INT, login_row, id),     MADO_COL(STR, login_row, at),
	    MADO_COL(STR, login_row, method), MADO_COL(STR, login_row, event),
	    MADO_COL(STR, login_row, reason),
	};
	struct logins a = {items, limit, next};
	char b[24], l[16];
	const char *p[3] = {person_id, b, l};

	*next = 0;
	snprintf(b, sizeof(b), "%lld", before);
	snprintf(l, sizeof(l), "%d", limit + 1);
	return mado_db_each(db, &Q_LOGINS, p, MADO_COLS(cols), sizeof(struct login_row), add_login,
			    &a);
}

struct org_row {
	bool found;
	char code[48];
	char kind[16];
};

int
auth__org_by_key(struct mado_db *db, const char *key_hash, char *org, size_t orglen, char *kind,
		 size_t kindlen, bool *found)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, org_row, found),
					       MADO_COL(BUF, org_row, code),
					       MADO_COL(BUF, org_row, kind)};
	const char *p[1] = {key_hash};
	struct org_row o;
	int rc;

	memset(&o, 0, sizeof(o));
	rc = one_or_none(mado_db_one(db, &Q_ORG_BY_KEY, p, MADO_COLS(cols), &o));
	snprintf(org, orglen, "%s", o.code);
	snprintf(kind, kindlen, "%s", o.kind);
	*found = o.found;
	return rc;
}

struct session_row {
	const char *id, *started, *last_seen, *method, *channel, *net;
	bool shared, current;
};

static void
add_str(cJSON *o, const char *name, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, name, v);
}

static int
add_session(const void *row, int i, void *arg)
{
	const struct session_row *r = row;
	cJSON *it = cJSON_CreateObject();

	(void)i;
	cJSON_AddStringToObject(it, "id", r->id);
	add_str(it, "started_at", r->started);
	add_str(it, "last_seen_at", r->last_seen);
	add_str(it, "method", r->method);
	add_str(it, "channel", r->channel);
	add_str(it, "network", r->net);
	cJSON_AddBoolToObject(it, "shared", r->shared);
	cJSON_AddBoolToObject(it, "current", r->current);
	cJSON_AddItemToArray(arg, it);
	return MADO_OK;
}

int
auth__sessions(struct mado_db *db, const char *person_id, const char *key, cJSON *items)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, session_row, id),        MADO_COL(STR, session_row, started),
	    MADO_COL(STR, session_row, last_seen), MADO_COL(STR, session_row, method),
	    MADO_COL(STR, session_row, channel),   MADO_COL(STR, session_row, net),
	    MADO_COL(BOOL, session_row, shared),   MADO_COL(BOOL, session_row, current),
	};
	const char *p[2] = {person_id, key};

	return mado_db_each(db, &Q_SESSIONS, p, MADO_COLS(cols), sizeof(struct session_row),
			    add_session, items);
}

int
auth__end_own_session(struct mado_db *db, const char *person_id, const char *handle, bool *found)
{
	const char *p[2] = {person_id, handle};
	long rows = 0;
	int rc;

	rc = mado_db_run(db, &Q_END_OWN, p, &rows);
	*found = rc == MADO_OK && rows == 1;
	return rc;
}

struct card_row {
	const char *id, *serial_end, *cert, *not_before, *not_after, *bound_at, *last_used,
	    *revoked_at;
};

/* The issuer's name as its holder knows it: the certificate's issuer CN, else its O. */
static void
issuer_name(const char *cert_text, char *out, size_t len)
{
	X509 *cert = cert_text != NULL ? stored_cert(cert_text) : NULL;
	X509_NAME *name = cert != NULL ? X509_get_issuer_name(cert) : NULL;
	int nids[2] = {NID_commonName, NID_organizationName}, i;

	*out = '\0';
	for (i = 0; name != NULL && i < 2 && *out == '\0'; i++)
		if (X509_NAME_get_text_by_NID(name, nids[i], out, (int)len) < 0)
			*out = '\0';
	X509_free(cert);
}

static int
add_card(const void *row, int i, void *arg)
{
	const struct card_row *r = row;
	cJSON *it = cJSON_CreateObject();
	char issuer[256];

	(void)i;
	issuer_name(r->cert, issuer, sizeof(issuer));
	cJSON_AddStringToObject(it, "id", r->id);
	cJSON_AddStringToObject(it, "issuer", issuer);
	cJSON_AddStringToObject(it, "serial_end", r->serial_end != NULL ? r->serial_end : "");
	add_str(it, "not_before", r->not_before);
	add_str(it, "not_after", r->not_after);
	add_str(it, "bound_at", r->bound_at);
	add_str(it, "last_used_at", r->last_used);
	add_str(it, "revoked_at", r->revoked_at);
	cJSON_AddItemToArray(arg, it);
	return MADO_OK;
}

int
auth__cards(struct mado_db *db, const char *person_id, cJSON *items)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, card_row, id),        MADO_COL(STR, card_row, serial_end),
	    MADO_COL(STR, card_row, cert),      MADO_COL(STR, card_row, not_before),
	    MADO_COL(STR, card_row, not_after), MADO_COL(STR, card_row, bound_at),
	    MADO_COL(STR, card_row, last_used), MADO_COL(STR, card_row, revoked_at),
	};
	const char *p[1] = {person_id};

	return mado_db_each(db, &Q_CARDS, p, MADO_COLS(cols), sizeof(struct card_row), add_card,
			    items);
}

static struct mado_db_stmt Q_STAFF_LOGIN = MADO_DB_STMT(
    "auth_staff_login",
    "SELECT true AS found, ref, org_code AS org, role FROM portal.staff_login($1, $2::bytea, $3,"
    " $4::int, $5::bytea)",
    5);
static struct mado_db_stmt Q_STAFF_SESSION =
    MADO_DB_STMT("auth_staff_session",
		 "SELECT true AS found, ref, org_code AS org, role, csrf, expired, recheck_due"
		 " FROM portal.staff_session_of($1::bytea, $2::int)",
		 2);
static struct mado_db_stmt Q_STAFF_CERT =
    MADO_DB_STMT("auth_staff_cert", "SELECT portal.staff_session_cert($1::bytea) AS cert", 1);
static struct mado_db_stmt Q_STAFF_CHECKED =
    MADO_DB_STMT("auth_staff_checked", "SELECT portal.staff_session_checked($1::bytea, $2)", 2);
static struct mado_db_stmt Q_STAFF_LOGOUT =
    MADO_DB_STMT("auth_staff_logout", "SELECT portal.staff_logout($1::bytea)", 1);
static struct mado_db_stmt Q_STAFF_REVOKE =
    MADO_DB_STMT("auth_staff_revoke", "SELECT coalesce(portal.staff_revoke($1), '') AS ref", 1);
static struct mado_db_stmt Q_STAFF_BIND =
    MADO_DB_STMT("auth_staff_bind", "SELECT portal.staff_bind($1, $2, $3) AS ref", 3);

static const struct mado_col STAFF_COLS[] = {
    MADO_COL(BOOL, auth_staff, found),       MADO_COL(BUF, auth_staff, ref),
    MADO_COL(BUF, auth_staff, org),          MADO_COL(BUF, auth_staff, role),
    MADO_COL(BUF, auth_staff, csrf),         MADO_COL(BOOL, auth_staff, expired),
    MADO_COL(BOOL, auth_staff, recheck_due),
};

int
auth__staff_login(struct mado_db *db, const char *key_hash, const char *key, const char *csrf,
		  int max_s, const unsigned char *der, size_t derlen, struct auth_staff *st)
{
	char max[16], *hex = mado_xmalloc(2 * derlen + 3);
	const char *p[5] = {key_hash, key, csrf, max, hex};
	int rc;

	memcpy(hex, "\\x", 2);
	mado_hex(der, derlen, hex + 2);
	memset(st, 0, sizeof(*st));
	snprintf(max, sizeof(max), "%d", max_s);
	rc = one_or_none(mado_db_one(db, &Q_STAFF_LOGIN, p, STAFF_COLS, 4, st));
	free(hex);
	return rc;
}

int
auth__staff_session(struct mado_db *db, const char *key, int recheck_s, struct auth_staff *st)
{
	char recheck[16];
	const char *p[2] = {key, recheck};

	memset(st, 0, sizeof(*st));
	snprintf(recheck, sizeof(recheck), "%d", recheck_s);
	return one_or_none(mado_db_one(db, &Q_STAFF_SESSION, p, MADO_COLS(STAFF_COLS), st));
}

int
auth__staff_cert(struct mado_db *db, const char *key, X509 **cert)
{
	return cert_query(db, &Q_STAFF_CERT, key, cert);
}

int
auth__staff_checked(struct mado_db *db, const char *key, bool revoked)
{
	const char *p[2] = {key, revoked ? "true" : "false"};

	return mado_db_run(db, &Q_STAFF_CHECKED, p, NULL);
}

int
auth__staff_logout(struct mado_db *db, const char *key)
{
	const char *p[1] = {key};

	return mado_db_run(db, &Q_STAFF_LOGOUT, p, NULL);
}

struct staff_ref {
	char ref[24];
};

int
auth__staff_bind(struct mado_db *db, const char *key_hash, const char *org, const char *role,
		 char *ref, size_t reflen)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, staff_ref, ref)};
	const char *p[3] = {key_hash, org, role};
	struct staff_ref r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mado_db_one(db, &Q_STAFF_BIND, p, MADO_COLS(cols), &r);
	snprintf(ref, reflen, "%s", r.ref);
	return rc;
}

int
auth__staff_revoke(struct mado_db *db, const char *key_hash, char *ref, size_t reflen)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, staff_ref, ref)};
	const char *p[1] = {key_hash};
	struct staff_ref r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mado_db_one(db, &Q_STAFF_REVOKE, p, MADO_COLS(cols), &r);
	snprintf(ref, reflen, "%s", r.ref);
	return rc;
}

/* --- Hand-offs to a signing app (sql/migrations/0018_phone_handoffs.sql) --- */

/* One hand-off per pre-login session: a new one replaces those before it. */
static struct mado_db_stmt Q_HANDOFF_CLEAR = MADO_DB_STMT(
    "auth_handoff_clear", "DELETE FROM portal.card_handoffs WHERE session_hash = $1::bytea", 1);
static struct mado_db_stmt Q_HANDOFF_NEW =
    MADO_DB_STMT("auth_handoff_new",
		 "INSERT INTO portal.card_handoffs (handoff_hash, session_hash, expires_at)"
		 " SELECT $1, s.id_hash, now() + make_interval(secs => $3::int)"
		 " FROM portal.sessions s WHERE s.id_hash = $2::bytea AND s.person_id IS NULL",
		 3);
/* The app's one try: a waiting hand-off is refused until its token has passed, so a
   second post with the same id finds nothing. */
static struct mado_db_stmt Q_HANDOFF_CLAIM =
    MADO_DB_STMT("auth_handoff_claim",
		 "WITH h AS (SELECT handoff_hash, state, expires_at <= now() AS expired"
		 "  FROM portal.card_handoffs WHERE handoff_hash = $1),"
		 " u AS (UPDATE portal.card_handoffs d SET state = 'refused' FROM h"
		 "  WHERE d.handoff_hash = h.handoff_hash AND d.state = 'waiting'"
		 "  RETURNING d.session_hash::text AS session)"
		 " SELECT true AS found, h.expired, coalesce((SELECT session FROM u), '')"
		 "  AS session FROM h",
		 1);
static struct mado_db_stmt Q_HANDOFF_APPROVE =
    MADO_DB_STMT("auth_handoff_approve",
		 "UPDATE portal.card_handoffs SET state = 'approved', person_id = $2::uuid,"
		 " binding_id = $3::bigint, revocation_checked = $4::boolean"
		 " WHERE handoff_hash = $1 AND state = 'refused' AND expires_at > now()",
		 4);
/* The page asks: its hand-off, and an approved one is spent by the asking. */
static struct mado_db_stmt Q_HANDOFF_OF_SESSION = MADO_DB_STMT(
    "auth_handoff_of_session",
    "WITH c AS (SELECT handoff_hash FROM portal.card_handoffs"
    "  WHERE session_hash = $1::bytea ORDER BY created_at DESC LIMIT 1),"
    " u AS (UPDATE portal.card_handoffs d SET state = 'used' FROM c"
    "  WHERE d.handoff_hash = c.handoff_hash AND d.state = 'approved' AND d.expires_at > now()"
    "  RETURNING d.handoff_hash)"
    " SELECT true AS found, CASE WHEN EXISTS (SELECT 1 FROM u) THEN 'approved'"
    "  WHEN d.state = 'approved' THEN 'used' ELSE d.state END AS state,"
    " d.expires_at <= now() AS expired, d.revocation_checked,"
    " coalesce(d.person_id::text, '') AS person_id,"
    " coalesce(d.binding_id::text, '') AS binding_id"
    " FROM c JOIN portal.card_handoffs d ON d.handoff_hash = c.handoff_hash",
    1);

int
auth__handoff_new(struct mado_db *db, const char *key, const char *handoff_hash)
{
	char ttl[16];
	const char *p[3] = {handoff_hash, key, ttl};
	int rc;

	snprintf(ttl, sizeof(ttl), "%d", AUTH_CHALLENGE_TTL_S);
	if ((rc = mado_db_run(db, &Q_HANDOFF_CLEAR, p + 1, NULL)) != MADO_OK)
		return rc;
	return mado_db_run(db, &Q_HANDOFF_NEW, p, NULL);
}

int
auth__handoff_claim(struct mado_db *db, const char *handoff_hash, struct auth_handoff *h)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BOOL, auth_handoff, found),
	    MADO_COL(BOOL, auth_handoff, expired),
	    MADO_COL(BUF, auth_handoff, session),
	};
	const char *p[1] = {handoff_hash};
	int rc;

	memset(h, 0, sizeof(*h));
	rc = mado_db_one(db, &Q_HANDOFF_CLAIM, p, MADO_COLS(cols), h);
	return rc == MADO_E_NOT_FOUND ? MADO_OK : rc;
}

int
auth__handoff_approve(struct mado_db *db, const char *handoff_hash, const struct auth_binding *b,
		      bool revocation_checked)
{
	const char *p[4] = {handoff_hash, b->person_id, b->id,
			    revocation_checked ? "true" : "false"};

	return mado_db_run(db, &Q_HANDOFF_APPROVE, p, NULL);
}

int
auth__handoff_of_session(struct mado_db *db, const char *key, struct auth_handoff *h)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BOOL, auth_handoff, found),
	    MADO_COL(BUF, auth_handoff, state),
	    MADO_COL(BOOL, auth_handoff, expired),
	    MADO_COL(BOOL, auth_handoff, revocation_checked),
	    MADO_COL(BUF, auth_handoff, person_id),
	    MADO_COL(BUF, auth_handoff, binding_id),
	};
	const char *p[1] = {key};
	int rc;

	memset(h, 0, sizeof(*h));
	rc = mado_db_one(db, &Q_HANDOFF_OF_SESSION, p, MADO_COLS(cols), h);
	return rc == MADO_E_NOT_FOUND ? MADO_OK : rc;
}
