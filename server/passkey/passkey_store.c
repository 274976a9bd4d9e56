/*
 * The SQL of passkeys and cross-device codes. Plain statements over the tables; the
 * checks are in webauthn.c and the flow in passkey_api.c. A person's own rows are read
 * as that person; the history and notices go through the auth module and definer
 * functions.
 */
#include <stdio.h>
#include <string.h>

#include "mado/auth.h"
#include "mado/db.h"
#include "mado/err.h"
#include "passkey_int.h"

static struct mado_db_stmt Q_FIND =
    MADO_DB_STMT("passkey_find",
		 "SELECT true AS found, p.id::text AS id, p.person_id::text AS person_id,"
		 " p.binding_id::text AS binding_id, p.public_key, p.alg, p.sign_count,"
		 " b.revoked_at IS NOT NULL AS revoked"
		 " FROM portal.passkeys p JOIN portal.card_bindings b ON b.id = p.binding_id"
		 " WHERE p.credential_id = $1::bytea",
		 1);
static struct mado_db_stmt Q_ADD = MADO_DB_STMT(
    "passkey_add",
    "INSERT INTO portal.passkeys (person_id, binding_id, credential_id, public_key, alg,"
    " sign_count, name, attestation) SELECT $1::uuid, b.id, $3::bytea, $4::bytea, $5::int,"
    " $6::bigint, $7, $8 FROM portal.card_bindings b WHERE b.id = $2::bigint"
    " AND b.person_id = $1::uuid AND b.revoked_at IS NULL"
    " ON CONFLICT (credential_id) DO NOTHING",
    8);
/* Compare and set: of two logins with one answer, one moves the counter. */
static struct mado_db_stmt Q_USED =
    MADO_DB_STMT("passkey_used",
		 "UPDATE portal.passkeys SET sign_count = $2::bigint, last_used_at = now()"
		 " WHERE id = $1::bigint AND (sign_count < $2::bigint"
		 " OR (sign_count = 0 AND $2::bigint = 0))",
		 2);
static struct mado_db_stmt Q_NOTICE =
    MADO_DB_STMT_AS_PERSON("passkey_notice", "SELECT portal.device_notice($1::uuid, $2)", 2);
static struct mado_db_stmt Q_LIST = MADO_DB_STMT_AS_PERSON(
    "passkey_list",
    "SELECT id::text AS id, name, attestation,"
    " CASE alg WHEN -7 THEN 'ES256' WHEN -257 THEN 'RS256' ELSE 'EdDSA' END AS "
    "algorithm, " MADO_SQL_UTC("created_at") " AS added_at, " MADO_SQL_UTC(
	"last_used_at") " AS last_used_at"
			" FROM portal.passkeys WHERE person_id = $1::uuid ORDER BY id DESC LIMIT "
			"50",
    1);
static struct mado_db_stmt Q_CRED_IDS = MADO_DB_STMT_AS_PERSON(
    "passkey_cred_ids",
    "SELECT rtrim(translate(replace(encode(credential_id, 'base64'), E'\\n', ''), '+/', '-_'),"
    " '=') AS id FROM portal.passkeys WHERE person_id = $1::uuid ORDER BY id LIMIT 50",
    1);
static struct mado_db_stmt Q_REMOVE =
    MADO_DB_STMT("passkey_remove",
		 "DELETE FROM portal.passkeys WHERE person_id = $1::uuid AND id = $2::bigint", 2);

static struct mado_db_stmt Q_CODE_CLEAR =
    MADO_DB_STMT("passkey_code_clear",
		 "DELETE FROM portal.cross_device_codes WHERE session_hash = $1::bytea"
		 " OR code_hash IN (SELECT code_hash FROM portal.cross_device_codes"
		 "  WHERE expires_at < now() - interval '1 hour' LIMIT 64)",
		 1);
static struct mado_db_stmt Q_CODE_NEW = MADO_DB_STMT(
    "passkey_code_new",
    "INSERT INTO portal.cross_device_codes (code_hash, session_hash, number, user_agent,"
    " client_net, expires_at) VALUES ($1, $2::bytea, $3::int, left($4, 256), nullif($5, ''),"
    " now() + make_interval(secs => $6::int))",
    6);
static struct mado_db_stmt Q_CODE_GET = MADO_DB_STMT(
    "passkey_code_get",
    "SELECT true AS found, state, number, user_agent, coalesce(client_net, '') AS client_net,"
    " " MADO_SQL_UTC("created_at") " AS created, expires_at <= now() AS expired"
				   " FROM portal.cross_device_codes WHERE code_hash = $1"
				   " AND kind = $2",
    2);
static struct mado_db_stmt Q_CODE_ANSWER = MADO_DB_STMT(
    "passkey_code_answer",
    "UPDATE portal.cross_device_codes SET"
    " state = CASE WHEN number = $2::int THEN 'approved' ELSE 'refused' END,"
    " person_id = CASE WHEN number = $2::int THEN $3::uuid END,"
    " binding_id = CASE WHEN number = $2::int THEN $4::bigint END"
    " WHERE code_hash = $1 AND kind = 'login' AND state = 'waiting' AND expires_at > now()"
    " RETURNING state",
    4);
/* The computer asks: its newest code, and an approved one is spent by the asking. */
static struct mado_db_stmt Q_CODE_OF_SESSION = MADO_DB_STMT(
    "passkey_code_of_session",
    "WITH c AS (SELECT code_hash FROM portal.cross_device_codes"
    "  WHERE session_hash = $1::bytea AND kind = 'login' ORDER BY created_at DESC LIMIT 1),"
    " u AS (UPDATE portal.cross_device_codes d SET state = 'used' FROM c"
    "  WHERE d.code_hash = c.code_hash AND d.state = 'approved' AND d.expires_at > now()"
    "  RETURNING d.code_hash)"
    /* Approved and spent now: this request logs in. Approved but not spent by it: another
       request did, or it ran out. */
    " SELECT true AS found, CASE WHEN EXISTS (SELECT 1 FROM u) THEN 'approved'"
    "  WHEN d.state = 'approved' THEN 'used' ELSE d.state END AS state,"
    " d.expires_at <= now() AS expired,"
    " coalesce(d.person_id::text, '') AS person_id, coalesce(d.binding_id::text, '') AS binding_id"
    " FROM c JOIN portal.cross_device_codes d ON d.code_hash = c.code_hash",
    1);

/* "Add this phone": the computer's code carries its person and card from the start. */
static struct mado_db_stmt Q_PHONE_NEW = MADO_DB_STMT(
    "passkey_phone_new",
    "INSERT INTO portal.cross_device_codes (code_hash, session_hash, number, user_agent,"
    " client_net, expires_at, kind, person_id, binding_id) VALUES ($1, $2::bytea, $3::int,"
    " left($4, 256), nullif($5, ''), now() + make_interval(secs => $6::int), 'add-device',"
    " $7::uuid, $8::bigint)",
    8);
/* The phone's number: right, the code is approved for the phone's pre-login session;
   wrong, it ends. */
static struct mado_db_stmt Q_PHONE_ANSWER =
    MADO_DB_STMT("passkey_phone_answer",
		 "UPDATE portal.cross_device_codes SET"
		 " state = CASE WHEN number = $2::int THEN 'approved' ELSE 'refused' END,"
		 " phone_hash = CASE WHEN number = $2::int THEN $3::bytea END"
		 " WHERE code_hash = $1 AND kind = 'add-device' AND state = 'waiting'"
		 " AND expires_at > now() RETURNING state, person_id::text AS person_id",
		 3);
/* The phone's passkey: the approved code of this phone, spent. */
static struct mado_db_stmt Q_PHONE_TAKE = MADO_DB_STMT(
    "passkey_phone_take",
    "UPDATE portal.cross_device_codes SET state = 'used'"
    " WHERE code_hash = $1 AND kind = 'add-device' AND state = 'approved'"
    " AND phone_hash = $2::bytea AND expires_at > now()"
    " RETURNING true AS found, person_id::text AS person_id, binding_id::text AS binding_id",
    2);

static int
one_or_none(int rc)
{
	return rc == MADO_E_NOT_FOUND ? MADO_OK : rc;
}

int
pk__find(struct mado_db *db, const char *cred_hex, struct pk_stored *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BOOL, pk_stored, found),     MADO_COL(BOOL, pk_stored, revoked),
	    MADO_COL(BUF, pk_stored, id),         MADO_COL(BUF, pk_stored, person_id),
	    MADO_COL(BUF, pk_stored, binding_id), MADO_COL(BUF, pk_stored, public_key),
	    MADO_COL(INT, pk_stored, alg),        MADO_COL(INT, pk_stored, sign_count),
	};
	const char *p[1] = {cred_hex};

	memset(out, 0, sizeof(*out));
	return one_or_none(mado_db_one(db, &Q_FIND, p, MADO_COLS(cols), out));
}

int
pk__add(struct mado_db *db, const char *person_id, const char *binding_id, const char *cred_hex,
	const char *key_hex, int alg, uint32_t sign_count, const char *name,
	const char *attestation, bool *duplicate)
{
	char a[16], n[16];
	const char *p[8] = {person_id, binding_id, cred_hex, key_hex, a, n, name, attestation};
	const char *notice[2] = {person_id, "added"};
	long rows = 0;
	int rc;

	*duplicate = false;
	snprintf(a, sizeof(a), "%d", alg);
	snprintf(n, sizeof(n), "%u", sign_count);
	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	if ((rc = mado_db_run(db, &Q_ADD, p, &rows)) != MADO_OK)
		return mado_db_rollback(db, rc);
	if (rows != 1) {
		/* The credential is known already, or the card was revoked meanwhile. */
		*duplicate = true;
		return mado_db_rollback(db, MADO_OK);
	}
	if ((rc = mado_auth_event(db, person_id, "passkey", "device-added", NULL)) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_NOTICE, notice, NULL)) != MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

int
pk__used(struct mado_db *db, const char *id, uint32_t sign_count, bool *moved)
{
	char n[16];
	const char *p[2] = {id, n};
	long rows = 0;
	int rc;

	snprintf(n, sizeof(n), "%u", sign_count);
	rc = mado_db_run(db, &Q_USED, p, &rows);
	*moved = rc == MADO_OK && rows == 1;
	return rc;
}

int
pk__failure(struct mado_db *db, const char *person_id, const char *reason)
{
	return mado_auth_event(db, person_id, "passkey", "failure", reason);
}

int
pk__counter_regressed(struct mado_db *db, const char *person_id)
{
	const char *notice[2] = {person_id, "counter-regressed"};
	int rc;

	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	if ((rc = pk__failure(db, person_id, "counter")) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_NOTICE, notice, NULL)) != MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

int
pk__list(struct mado_db *db, const char *person_id, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, pk_listed, id),          MADO_COL(STR, pk_listed, name),
	    MADO_COL(STR, pk_listed, attestation), MADO_COL(STR, pk_listed, algorithm),
	    MADO_COL(STR, pk_listed, added_at),    MADO_COL(STR, pk_listed, last_used_at),
	};
	const char *p[1] = {person_id};

	return mado_db_each(db, &Q_LIST, p, MADO_COLS(cols), sizeof(struct pk_listed), fn, arg);
}

struct cred_row {
	const char *id;
};

static int
add_cred(const void *row, int i, void *arg)
{
	const struct cred_row *r = row;
	cJSON *it = cJSON_CreateObject();

	(void)i;
	cJSON_AddStringToObject(it, "type", "public-key");
	cJSON_AddStringToObject(it, "id", r->id);
	cJSON_AddItemToArray(arg, it);
	return MADO_OK;
}

int
pk__cred_ids(struct mado_db *db, const char *person_id, cJSON *items)
{
	static const struct mado_col cols[] = {MADO_COL(STR, cred_row, id)};
	const char *p[1] = {person_id};

	return mado_db_each(db, &Q_CRED_IDS, p, MADO_COLS(cols), sizeof(struct cred_row), add_cred,
			    items);
}

int
pk__remove(struct mado_db *db, const char *person_id, const char *id, bool *found)
{
	const char *p[2] = {person_id, id};
	const char *notice[2] = {person_id, "removed"};
	long rows = 0;
	int rc;

	*found = false;
	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	/* Its sessions end with it (sessions.passkey_id cascades). */
	if ((rc = mado_db_run(db, &Q_REMOVE, p, &rows)) != MADO_OK)
		return mado_db_rollback(db, rc);
	if (rows != 1)
		return mado_db_rollback(db, MADO_OK);
	*found = true;
	if ((rc = mado_auth_event(db, person_id, "passkey", "device-removed", NULL)) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_NOTICE, notice, NULL)) != MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

int
pk__code_new(struct mado_db *db, const char *code_hash, const char *session_key, int number,
	     const char *user_agent, const char *client_net)
{
	char num[8], ttl[16];
	const char *clear[1] = {session_key};
	const char *p[6] = {code_hash, session_key, num, user_agent, client_net, ttl};
	int rc;

	snprintf(num, sizeof(num), "%d", number);
	snprintf(ttl, sizeof(ttl), "%d", PK_CODE_TTL_S);
	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	/* One code at a time for a computer; a new one replaces the last. */
	if ((rc = mado_db_run(db, &Q_CODE_CLEAR, clear, NULL)) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_CODE_NEW, p, NULL)) != MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

static const struct mado_col CODE_COLS[] = {
    MADO_COL(BOOL, pk_code, found),     MADO_COL(BOOL, pk_code, expired),
    MADO_COL(BUF, pk_code, state),      MADO_COL(INT, pk_code, number),
    MADO_COL(BUF, pk_code, user_agent), MADO_COL(BUF, pk_code, client_net),
    MADO_COL(BUF, pk_code, created),
};

int
pk__code_get(struct mado_db *db, const char *code_hash, const char *kind, struct pk_code *c)
{
	const char *p[2] = {code_hash, kind};

	memset(c, 0, sizeof(*c));
	return one_or_none(mado_db_one(db, &Q_CODE_GET, p, MADO_COLS(CODE_COLS), c));
}

struct answered {
	char state[16];
};

int
pk__code_answer(struct mado_db *db, const char *code_hash, int number, const char *person_id,
		const char *binding_id, char state[16])
{
	static const struct mado_col cols[] = {MADO_COL(BUF, answered, state)};
	char num[8];
	const char *p[4] = {code_hash, num, person_id, binding_id};
	struct answered a;
	int rc;

	memset(&a, 0, sizeof(a));
	snprintf(num, sizeof(num), "%d", number);
	rc = one_or_none(mado_db_one(db, &Q_CODE_ANSWER, p, MADO_COLS(cols), &a));
	memcpy(state, a.state, sizeof(a.state));
	return rc;
}

int
pk__code_of_session(struct mado_db *db, const char *session_key, struct pk_code *c)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BOOL, pk_code, found),     MADO_COL(BOOL, pk_code, expired),
	    MADO_COL(BUF, pk_code, state),      MADO_COL(BUF, pk_code, person_id),
	    MADO_COL(BUF, pk_code, binding_id),
	};
	const char *p[1] = {session_key};

	memset(c, 0, sizeof(*c));
	return one_or_none(mado_db_one(db, &Q_CODE_OF_SESSION, p, MADO_COLS(cols), c));
}

int
pk__phone_new(struct mado_db *db, const char *code_hash, const char *session_key, int number,
	      const char *user_agent, const char *client_net, const char *person_id,
	      const char *binding_id)
{
	char num[8], ttl[16];
	const char *clear[1] = {session_key};
	const char *p[8] = {code_hash,  session_key, num,       user_agent,
			    client_net, ttl,         person_id, binding_id};
	int rc;

	snprintf(num, sizeof(num), "%d", number);
	snprintf(ttl, sizeof(ttl), "%d", PK_CODE_TTL_S);
	if ((rc = mado_db_begin(db)) != MADO_OK)
		return rc;
	/* One code at a time for a computer; a new one replaces the last. */
	if ((rc = mado_db_run(db, &Q_CODE_CLEAR, clear, NULL)) != MADO_OK ||
	    (rc = mado_db_run(db, &Q_PHONE_NEW, p, NULL)) != MADO_OK)
		return mado_db_rollback(db, rc);
	return mado_db_commit(db);
}

int
pk__phone_answer(struct mado_db *db, const char *code_hash, int number, const char *phone_key,
		 struct pk_code *c)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, pk_code, state),
					       MADO_COL(BUF, pk_code, person_id)};
	char num[8];
	const char *p[3] = {code_hash, num, phone_key};

	memset(c, 0, sizeof(*c));
	snprintf(num, sizeof(num), "%d", number);
	return one_or_none(mado_db_one(db, &Q_PHONE_ANSWER, p, MADO_COLS(cols), c));
}

int
pk__phone_take(struct mado_db *db, const char *code_hash, const char *phone_key, struct pk_code *c)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, pk_code, found),
					       MADO_COL(BUF, pk_code, person_id),
					       MADO_COL(BUF, pk_code, binding_id)};
	const char *p[2] = {code_hash, phone_key};

	memset(c, 0, sizeof(*c));
	return one_or_none(mado_db_one(db, &Q_PHONE_TAKE, p, MADO_COLS(cols), c));
}
