/* The SQL of card login: sessions, challenges, card bindings, history, failure counters. */
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
    "SELECT s.person_id, s.binding_id, s.channel, coalesce(s.method, ''), s.csrf_token,"
    " s.expires_at <= now() OR s.last_seen <= now() - make_interval(secs => $2::int),"
    " s.last_seen <= now() - interval '30 seconds',"
    " coalesce(b.revoked_at IS NOT NULL, false),"
    " b.id IS NOT NULL AND (b.checked_at IS NULL"
    "  OR b.checked_at <= now() - make_interval(secs => $3::int))"
    " FROM portal.sessions s LEFT JOIN portal.card_bindings b ON b.id = s.binding_id"
    " WHERE s.id_hash = $1::bytea",
    3);
static struct mado_db_stmt Q_SESSION_TOUCH =
    MADO_DB_STMT("auth_session_touch",
		 "UPDATE portal.sessions SET last_seen = now() WHERE id_hash = $1::bytea", 1);
static struct mado_db_stmt Q_SESSION_DELETE =
    MADO_DB_STMT("auth_session_delete", "DELETE FROM portal.sessions WHERE id_hash = $1::bytea", 1);
static struct mado_db_stmt Q_SESSION_PRELOGIN =
    MADO_DB_STMT("auth_session_prelogin",
		 "INSERT INTO portal.sessions (id_hash, csrf_token, expires_at)"
		 " VALUES ($1::bytea, $2, now() + make_interval(secs => $3::int))",
		 3);
static struct mado_db_stmt Q_CHALLENGE_PUT =
    MADO_DB_STMT("auth_challenge_put",
		 "INSERT INTO portal.auth_challenges (session_hash, nonce, expires_at)"
		 " VALUES ($1::bytea, $2, now() + make_interval(secs => $3::int))"
		 " ON CONFLICT (session_hash) DO UPDATE SET nonce = excluded.nonce,"
		 " expires_at = excluded.expires_at",
		 3);
/* Get-and-delete in one statement: of two concurrent logins, one gets the nonce. */
static struct mado_db_stmt Q_CHALLENGE_TAKE =
    MADO_DB_STMT("auth_challenge_take",
		 "DELETE FROM portal.auth_challenges c USING portal.sessions s"
		 " WHERE c.session_hash = $1::bytea AND s.id_hash = c.session_hash"
		 " AND s.person_id IS NULL RETURNING c.nonce, c.expires_at <= now()",
		 1);
static struct mado_db_stmt Q_BINDING_FIND =
    MADO_DB_STMT("auth_binding_find",
		 "SELECT id, person_id, revoked_at IS NOT NULL FROM portal.card_bindings"
		 " WHERE issuer_hash = $1 AND serial = $2",
		 2);
static struct mado_db_stmt Q_KEY_ELSEWHERE =
    MADO_DB_STMT("auth_key_elsewhere",
		 "SELECT 1 FROM portal.card_bindings WHERE key_hash = $1"
		 " AND ($2::uuid IS NULL OR person_id <> $2::uuid) LIMIT 1",
		 2);
static struct mado_db_stmt Q_SESSION_NEW =
    MADO_DB_STMT("auth_session_new",
		 "INSERT INTO portal.sessions (id_hash, person_id, binding_id, method, csrf_token,"
		 " expires_at) VALUES ($1::bytea, $2::uuid, $3::bigint, $4, $5,"
		 " now() + make_interval(secs => $6::int))",
		 6);
static struct mado_db_stmt Q_BINDING_CHECKED =
    MADO_DB_STMT("auth_binding_checked",
		 "UPDATE portal.card_bindings SET checked_at = now() WHERE id = $1::bigint", 1);
static struct mado_db_stmt Q_BINDING_REVOKED =
    MADO_DB_STMT("auth_binding_revoked",
		 "UPDATE portal.card_bindings SET revoked_at = coalesce(revoked_at, now()),"
		 " checked_at = now() WHERE id = $1::bigint",
		 1);
static struct mado_db_stmt Q_SESSIONS_OF_BINDING = MADO_DB_STMT(
    "auth_sessions_of_binding", "DELETE FROM portal.sessions WHERE binding_id = $1::bigint", 1);
static struct mado_db_stmt Q_BINDING_CERT = MADO_DB_STMT(
    "auth_binding_cert", "SELECT cert FROM portal.card_bindings WHERE id = $1::bigint", 1);
/* Row-level security on login_events reads this setting, local to the transaction. */
static struct mado_db_stmt Q_AS_PERSON =
    MADO_DB_STMT("auth_as_person", "SELECT set_config('mado.person_id', $1, true)", 1);
static struct mado_db_stmt Q_EVENT =
    MADO_DB_STMT("auth_event",
		 "INSERT INTO portal.login_events (person_id, method, event, reason)"
		 " VALUES ($1::uuid, $2, $3, $4)",
		 4);
static struct mado_db_stmt Q_LOGINS =
    MADO_DB_STMT("auth_logins",
		 "SELECT id, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'),"
		 " method, event, reason FROM portal.login_events"
		 " WHERE person_id = $1::uuid AND ($2::bigint = 0 OR id < $2::bigint)"
		 " ORDER BY id DESC LIMIT $3::int",
		 3);
static struct mado_db_stmt Q_PERSON_NEW =
    MADO_DB_STMT("auth_person_new", "INSERT INTO portal.people DEFAULT VALUES RETURNING id", 0);
static struct mado_db_stmt Q_BINDING_NEW =
    MADO_DB_STMT("auth_binding_new",
		 "INSERT INTO portal.card_bindings (person_id, issuer_hash, serial, key_hash, cert,"
		 " not_before, not_after, checked_at) VALUES ($1::uuid, $2, $3, $4, $5::bytea,"
		 " to_timestamp($6::bigint), to_timestamp($7::bigint), now())",
		 7);
static struct mado_db_stmt Q_FAIL_COUNT =
    MADO_DB_STMT("auth_fail_count",
		 "SELECT failures, greatest(1, ceil(extract(epoch FROM window_start"
		 " + make_interval(secs => $3::int) - now())))::int FROM portal.auth_failures"
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
static struct mado_db_stmt Q_PURGE = MADO_DB_STMT(
    "auth_purge",
    "WITH s AS (DELETE FROM portal.sessions WHERE expires_at < now() - interval '1 hour'),"
    " f AS (DELETE FROM portal.auth_failures WHERE window_start < now() - interval '1 day')"
    " SELECT 1",
    0);

static void
copy(char *dst, size_t len, const PGresult *r, int col)
{
	snprintf(dst, len, "%s", PQgetisnull(r, 0, col) ? "" : PQgetvalue(r, 0, col));
}

static bool
flag(const PGresult *r, int col)
{
	return !PQgetisnull(r, 0, col) && PQgetvalue(r, 0, col)[0] == 't';
}

int
auth__session_get(struct mado_db *db, const char *key, int idle_s, int recheck_s,
		  struct auth_session *s)
{
	char idle[16], recheck[16];
	const char *p[3] = {key, idle, recheck};
	PGresult *r;
	int rc;

	memset(s, 0, sizeof(*s));
	snprintf(idle, sizeof(idle), "%d", idle_s);
	snprintf(recheck, sizeof(recheck), "%d", recheck_s);
	if ((rc = mado_db_exec(db, &Q_SESSION_GET, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) == 1) {
		s->found = true;
		copy(s->person_id, sizeof(s->person_id), r, 0);
		copy(s->binding_id, sizeof(s->binding_id), r, 1);
		copy(s->channel, sizeof(s->channel), r, 2);
		copy(s->method, sizeof(s->method), r, 3);
		copy(s->csrf, sizeof(s->csrf), r, 4);
		s->expired = flag(r, 5);
		s->touch_due = flag(r, 6);
		s->revoked = flag(r, 7);
		s->recheck_due = flag(r, 8);
	}
	PQclear(r);
	return MADO_OK;
}

int
auth__session_touch(struct mado_db *db, const char *key)
{
	const char *p[1] = {key};

	return mado_db_run(db, &Q_SESSION_TOUCH, p);
}

struct end_arg {
	const char *key;
	const struct auth_session *s;
	const char *event;
};

static int
event_in_tx(struct mado_db *db, const char *person_id, const char *method, const char *event,
	    const char *reason)
{
	const char *p1[1] = {person_id};
	const char *p2[4] = {person_id, method, event, reason};
	int rc;

	if ((rc = mado_db_run(db, &Q_AS_PERSON, p1)) != MADO_OK)
		return rc;
	return mado_db_run(db, &Q_EVENT, p2);
}

static int
end_tx(struct mado_db *db, void *arg)
{
	struct end_arg *a = arg;
	const char *p[1] = {a->key};
	int rc;

	if ((rc = mado_db_run(db, &Q_SESSION_DELETE, p)) != MADO_OK)
		return rc;
	if (a->s->person_id[0] == '\0' || a->event == NULL)
		return MADO_OK;
	return event_in_tx(db, a->s->person_id, a->s->method[0] != '\0' ? a->s->method : "session",
			   a->event, NULL);
}

int
auth__session_end(struct mado_db *db, const char *key, const struct auth_session *s,
		  const char *event)
{
	struct end_arg a = {key, s, event};

	return mado_db_tx(db, end_tx, &a);
}

int
auth__session_new_prelogin(struct mado_db *db, const char *key, const char *csrf)
{
	char ttl[16];
	const char *p[3] = {key, csrf, ttl};

	snprintf(ttl, sizeof(ttl), "%d", AUTH_PRELOGIN_TTL_S);
	return mado_db_run(db, &Q_SESSION_PRELOGIN, p);
}

int
auth__challenge_put(struct mado_db *db, const char *key, const char *nonce)
{
	char ttl[16];
	const char *p[3] = {key, nonce, ttl};

	snprintf(ttl, sizeof(ttl), "%d", AUTH_CHALLENGE_TTL_S);
	return mado_db_run(db, &Q_CHALLENGE_PUT, p);
}

int
auth__challenge_take(struct mado_db *db, const char *key, char *nonce, size_t len)
{
	const char *p[1] = {key};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_CHALLENGE_TAKE, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) != 1)
		rc = MADO_E_CHALLENGE_MISSING;
	else if (flag(r, 1))
		rc = MADO_E_CHALLENGE_EXPIRED;
	else
		copy(nonce, len, r, 0);
	PQclear(r);
	return rc;
}

int
auth__binding_find(struct mado_db *db, const struct mado_card_id *card, struct auth_binding *b)
{
	const char *p[2] = {card->issuer_hash, card->serial};
	PGresult *r;
	int rc;

	memset(b, 0, sizeof(*b));
	if ((rc = mado_db_exec(db, &Q_BINDING_FIND, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) == 1) {
		b->found = true;
		copy(b->id, sizeof(b->id), r, 0);
		copy(b->person_id, sizeof(b->person_id), r, 1);
		b->revoked = flag(r, 2);
	}
	PQclear(r);
	return MADO_OK;
}

int
auth__key_elsewhere(struct mado_db *db, const char *key_hash, const char *person_id, bool *conflict)
{
	const char *p[2] = {key_hash, person_id};
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, &Q_KEY_ELSEWHERE, p, &r)) != MADO_OK)
		return rc;
	*conflict = PQntuples(r) > 0;
	PQclear(r);
	return MADO_OK;
}

struct login_arg {
	const char *prelogin, *key, *method, *csrf;
	const struct auth_binding *b;
	int max_s;
	bool checked;
};

static int
login_tx(struct mado_db *db, void *arg)
{
	struct login_arg *a = arg;
	char max[16];
	const char *pre[1] = {a->prelogin};
	const char *sess[6] = {a->key, a->b->person_id, a->b->id, a->method, a->csrf, max};
	const char *bind[1] = {a->b->id};
	int rc;

	snprintf(max, sizeof(max), "%d", a->max_s);
	/* The pre-login session is spent: a new id is issued at login. */
	if (a->prelogin != NULL && (rc = mado_db_run(db, &Q_SESSION_DELETE, pre)) != MADO_OK)
		return rc;
	if ((rc = mado_db_run(db, &Q_SESSION_NEW, sess)) != MADO_OK)
		return rc;
	if (a->checked && (rc = mado_db_run(db, &Q_BINDING_CHECKED, bind)) != MADO_OK)
		return rc;
	return event_in_tx(db, a->b->person_id, a->method, "login", NULL);
}

int
auth__login(struct mado_db *db, const char *prelogin_key, const char *key,
	    const struct auth_binding *b, const char *method, const char *csrf, int max_s,
	    bool revocation_checked)
{
	struct login_arg a = {prelogin_key, key, method, csrf, b, max_s, revocation_checked};

	return mado_db_tx(db, login_tx, &a);
}

struct event_arg {
	const char *person_id, *method, *event, *reason;
};

static int
event_tx(struct mado_db *db, void *arg)
{
	struct event_arg *a = arg;

	return event_in_tx(db, a->person_id, a->method, a->event, a->reason);
}

int
auth__event(struct mado_db *db, const char *person_id, const char *method, const char *event,
	    const char *reason)
{
	struct event_arg a = {person_id, method, event, reason};

	return mado_db_tx(db, event_tx, &a);
}

int
auth__binding_cert(struct mado_db *db, const char *binding_id, X509 **cert)
{
	const char *p[1] = {binding_id};
	const unsigned char *q;
	unsigned char *der;
	size_t len = 0;
	PGresult *r;
	int rc;

	*cert = NULL;
	if ((rc = mado_db_exec(db, &Q_BINDING_CERT, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) == 1 &&
	    (der = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 0), &len)) != NULL) {
		q = der;
		*cert = d2i_X509(NULL, &q, (long)len);
		PQfreemem(der);
	}
	PQclear(r);
	return *cert != NULL ? MADO_OK : MADO_E_INTERNAL;
}

int
auth__binding_checked(struct mado_db *db, const char *binding_id)
{
	const char *p[1] = {binding_id};

	return mado_db_run(db, &Q_BINDING_CHECKED, p);
}

struct revoke_arg {
	const char *binding_id, *person_id;
};

static int
revoke_tx(struct mado_db *db, void *arg)
{
	struct revoke_arg *a = arg;
	const char *p[1] = {a->binding_id};
	int rc;

	if ((rc = mado_db_run(db, &Q_BINDING_REVOKED, p)) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_SESSIONS_OF_BINDING, p)) != MADO_OK)
		return rc;
	return event_in_tx(db, a->person_id, "session", "revoked", "card-revoked");
}

int
auth__binding_revoked(struct mado_db *db, const char *binding_id, const char *person_id)
{
	struct revoke_arg a = {binding_id, person_id};

	return mado_db_tx(db, revoke_tx, &a);
}

struct register_arg {
	const struct mado_card_id *card;
	const char *hexder;
	const char *person_id;
};

static int
register_tx(struct mado_db *db, void *arg)
{
	struct register_arg *a = arg;
	char person[40], nb[24], na[24];
	const char *p[7];
	PGresult *r;
	int rc;

	if (a->person_id != NULL) {
		snprintf(person, sizeof(person), "%s", a->person_id);
	} else {
		if ((rc = mado_db_exec(db, &Q_PERSON_NEW, NULL, &r)) != MADO_OK)
			return rc;
		copy(person, sizeof(person), r, 0);
		PQclear(r);
	}
	snprintf(nb, sizeof(nb), "%lld", (long long)a->card->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)a->card->not_after);
	p[0] = person;
	p[1] = a->card->issuer_hash;
	p[2] = a->card->serial;
	p[3] = a->card->key_hash;
	p[4] = a->hexder;
	p[5] = nb;
	p[6] = na;
	return mado_db_run(db, &Q_BINDING_NEW, p);
}

int
auth__register(struct mado_db *db, const struct mado_card_id *card, const unsigned char *der,
	       size_t derlen, const char *person_id)
{
	struct register_arg a = {card, NULL, person_id};
	char *hex;
	int rc;

	if ((hex = malloc(2 * derlen + 3)) == NULL)
		return MADO_E_NOMEM;
	memcpy(hex, "\\x", 2);
	mado_hex(der, derlen, hex + 2);
	a.hexder = hex;
	rc = mado_db_tx(db, register_tx, &a);
	free(hex);
	return rc;
}

int
auth__fail_count(struct mado_db *db, const char *scope, const char *key, int window_s,
		 int *failures, int *retry_after)
{
	char w[16];
	const char *p[3] = {scope, key, w};
	PGresult *r;
	int rc;

	*failures = 0;
	*retry_after = 0;
	snprintf(w, sizeof(w), "%d", window_s);
	if ((rc = mado_db_exec(db, &Q_FAIL_COUNT, p, &r)) != MADO_OK)
		return rc;
	if (PQntuples(r) == 1) {
		*failures = atoi(PQgetvalue(r, 0, 0));
		*retry_after = atoi(PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return MADO_OK;
}

int
auth__fail_bump(struct mado_db *db, const char *scope, const char *key, int window_s)
{
	char w[16];
	const char *p[3] = {scope, key, w};

	snprintf(w, sizeof(w), "%d", window_s);
	return mado_db_run(db, &Q_FAIL_BUMP, p);
}

int
auth__fail_clear(struct mado_db *db, const char *scope, const char *key)
{
	const char *p[2] = {scope, key};

	return mado_db_run(db, &Q_FAIL_CLEAR, p);
}

struct logins_arg {
	const char *person_id;
	long long before, *next;
	int limit;
	cJSON *items;
};

static int
logins_tx(struct mado_db *db, void *arg)
{
	struct logins_arg *a = arg;
	char before[24], limit[16];
	const char *p1[1] = {a->person_id};
	const char *p2[3] = {a->person_id, before, limit};
	cJSON *it;
	PGresult *r;
	int rc, i, n;

	snprintf(before, sizeof(before), "%lld", a->before);
	snprintf(limit, sizeof(limit), "%d", a->limit + 1);
	if ((rc = mado_db_run(db, &Q_AS_PERSON, p1)) != MADO_OK ||
	    (rc = mado_db_exec(db, &Q_LOGINS, p2, &r)) != MADO_OK)
		return rc;
	n = PQntuples(r);
	*a->next = 0;
	for (i = 0; i < n && i < a->limit; i++) {
		if ((it = cJSON_CreateObject()) == NULL)
			break;
		cJSON_AddStringToObject(it, "at", PQgetvalue(r, i, 1));
		cJSON_AddStringToObject(it, "method", PQgetvalue(r, i, 2));
		cJSON_AddStringToObject(it, "event", PQgetvalue(r, i, 3));
		if (!PQgetisnull(r, i, 4))
			cJSON_AddStringToObject(it, "reason", PQgetvalue(r, i, 4));
		cJSON_AddItemToArray(a->items, it);
		if (i == a->limit - 1 && n > a->limit)
			*a->next = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	}
	PQclear(r);
	return MADO_OK;
}

int
auth__logins(struct mado_db *db, const char *person_id, long long before, int limit, cJSON *items,
	     long long *next)
{
	struct logins_arg a = {person_id, before, next, limit, items};

	return mado_db_tx(db, logins_tx, &a);
}

int
auth__purge(struct mado_db *db)
{
	return mado_db_run(db, &Q_PURGE, NULL);
}
