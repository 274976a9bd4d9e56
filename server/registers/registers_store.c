/*
 * The SQL of the registers and of the supervisor's seals. Proposals, decisions and seal
 * confirmations go through SECURITY DEFINER functions of sql/functions/registers.sql,
 * which decide; the registers themselves are public and read directly.
 */
#include <stdio.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "registers_int.h"

static struct mado_db_stmt Q_PROPOSE =
    MADO_DB_STMT("reg_propose",
		 "SELECT coalesce(proposal::text, '') AS proposal, coalesce(reason, '') AS reason"
		 " FROM portal.register_propose($1, $2::jsonb, $3, $4, $5)",
		 5);
static struct mado_db_stmt Q_DECIDE = MADO_DB_STMT(
    "reg_decide",
    "SELECT coalesce(reason, '') AS reason, coalesce(version_id::text, '') AS version_id,"
    " coalesce(version::text, '') AS version"
    " FROM portal.register_decide($1::bigint, $2::boolean, $3, $4)",
    4);
static struct mado_db_stmt Q_STAFF_REF = MADO_DB_STMT(
    "reg_staff_ref", "SELECT ref FROM portal.staff WHERE key_hash = $1 AND revoked_at IS NULL", 1);
static struct mado_db_stmt Q_PENDING_IDS =
    MADO_DB_STMT("reg_pending_ids",
		 "SELECT p.id::text AS id FROM portal.register_proposals p WHERE NOT EXISTS"
		 " (SELECT 1 FROM portal.register_decisions d WHERE d.proposal = p.id)"
		 " ORDER BY p.id",
		 0);

#define VERSION_COLUMNS                                                                            \
	"v.id::text AS id, v.kind, v.key, v.version::text AS version, v.content::text AS content," \
	" " MADO_SQL_UTC(                                                                          \
	    "v.approved_at") " AS approved_at, v.proposal::text AS proposal,"                      \
			     " p.proposer, " MADO_SQL_UTC(                                         \
				 "p.proposed_at") " AS proposed_at, d.staff_ref AS approved_by"    \
						  " FROM portal.register_versions v"               \
						  " LEFT JOIN portal.register_proposals p ON "     \
						  "p.id = v.proposal"                              \
						  " LEFT JOIN portal.register_decisions d ON "     \
						  "d.proposal = v.proposal"
static struct mado_db_stmt Q_CURRENT =
    MADO_DB_STMT("reg_current",
		 "SELECT DISTINCT ON (v.kind, v.key) " VERSION_COLUMNS
		 " WHERE ($1::text IS NULL OR v.kind = $1) ORDER BY v.kind, v.key, v.version DESC",
		 1);
static struct mado_db_stmt Q_HISTORY = MADO_DB_STMT(
    "reg_history",
    "SELECT " VERSION_COLUMNS " WHERE ($1::text IS NULL OR v.kind = $1)"
    " AND ($2::text IS NULL OR v.key = $2) AND ($3::bigint IS NULL OR v.id = $3::bigint)"
    " ORDER BY v.kind, v.key, v.version DESC LIMIT 2000",
    3);
static struct mado_db_stmt Q_PROPOSALS = MADO_DB_STMT(
    "reg_proposals",
    "SELECT p.id::text AS id, p.kind, p.key, p.content::text AS content, p.proposer,"
    " p.proposer_key, p.note, " MADO_SQL_UTC(
	"p.proposed_at") " AS proposed_at,"
			 " CASE WHEN d.proposal IS NULL THEN 'pending' WHEN d.approved THEN "
			 "'approved'"
			 "  ELSE 'refused' END AS status, " MADO_SQL_UTC(
			     "d.decided_at") " AS decided_at,"
					     " d.staff_ref AS decided_by,"
					     " (SELECT c.content::text FROM "
					     "portal.register_versions c WHERE c.kind = p.kind"
					     "  AND c.key = p.key ORDER BY c.version DESC LIMIT 1) "
					     "AS current"
					     " FROM portal.register_proposals p"
					     " LEFT JOIN portal.register_decisions d ON d.proposal "
					     "= p.id"
					     " WHERE $1 = 'all' OR d.proposal IS NULL ORDER BY "
					     "p.id DESC LIMIT 500",
    1);
static struct mado_db_stmt Q_SEALS_BY_ORG = MADO_DB_STMT(
    "reg_seals_by_org",
    "SELECT org_code AS org, open::text AS open, unconfirmed::text AS unconfirmed,"
    " " MADO_SQL_UTC(
	"oldest_open") " AS oldest_open,"
		       " floor(extract(epoch FROM now() - oldest_open))::bigint::text AS "
		       "oldest_open_age_s,"
		       " " MADO_SQL_UTC(
			   "oldest_unconfirmed") " AS oldest_unconfirmed,"
						 " floor(extract(epoch FROM now() - "
						 "oldest_unconfirmed))::bigint::text"
						 "  AS oldest_unconfirmed_age_s, "
						 "opened_by_grace::text AS opened_by_grace"
						 " FROM portal.seals_by_org((now() AT TIME ZONE "
						 "'Asia/Tokyo')::date)",
    0);
static struct mado_db_stmt Q_SEALS_PENDING = MADO_DB_STMT(
    "reg_seals_pending",
    "SELECT event_row::text AS entry, org_code AS org, approval_ref, sealing_body,"
    " sealed_until::text AS sealed_until, outcome, " MADO_SQL_UTC(
	"recorded_at") " AS recorded_at, " MADO_SQL_UTC("grace_until") " AS grace_until"
								       " FROM "
								       "portal.seals_pending()",
    0);
static struct mado_db_stmt Q_SEAL_CONFIRM =
    MADO_DB_STMT("reg_seal_confirm",
		 "SELECT coalesce(portal.seal_confirm($1::bigint, $2, $3), '') AS reason", 3);

static struct mado_db_stmt Q_SEAL_BY_BODY = MADO_DB_STMT(
    "reg_seal_by_body",
    "SELECT coalesce(portal.seal_confirm_by_body($1::bigint, $2, $3), '') AS reason", 3);
static struct mado_db_stmt Q_BODY_NAME = MADO_DB_STMT(
    "reg_body_name", "SELECT coalesce(portal.sealing_body_name($1, $2, $3), '') AS reason", 3);
static struct mado_db_stmt Q_BODIES =
    MADO_DB_STMT("reg_bodies",
		 "SELECT name, org_code AS org, " MADO_SQL_UTC(
		     "named_at") " AS named_at FROM portal.sealing_bodies_list()",
		 0);

const struct mado_reason registers__reasons[] = {
    {"", MADO_OK},
    {"organisation", MADO_E_VALIDATION},
    {"purpose", MADO_E_VALIDATION},
    {"items", MADO_E_VALIDATION},
    {"content", MADO_E_VALIDATION},
    {"kind", MADO_E_VALIDATION},
    {"sensitive-item", MADO_E_SENSITIVE_ITEM},
    {"proposer", MADO_E_TWO_PERSON_RULE},
    {"same-person", MADO_E_TWO_PERSON_RULE},
    {"staff", MADO_E_FORBIDDEN},
    {"proposal", MADO_E_NOT_FOUND},
    {"decided", MADO_E_CONFLICT},
    {"stale", MADO_E_CONFLICT},
    {"conflict", MADO_E_CONFLICT},
    {"revoked", MADO_E_CONFLICT},
    {NULL, 0},
};

int
registers__propose(struct mado_db *db, const char *kind, const char *content, const char *proposer,
		   const char *proposer_key, const char *note, struct registers_made *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, registers_made, proposal),
					       MADO_COL(BUF, registers_made, reason)};
	const char *p[5] = {kind, content, proposer, proposer_key, note};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_PROPOSE, p, MADO_COLS(cols), out);
}

int
registers__decide(struct mado_db *db, const char *proposal, bool approve, const char *staff_ref,
		  const char *note, struct registers_decided *out)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, registers_decided, reason),
					       MADO_COL(BUF, registers_decided, version_id),
					       MADO_COL(BUF, registers_decided, version)};
	const char *p[4] = {proposal, approve ? "true" : "false", staff_ref, note};

	memset(out, 0, sizeof(*out));
	return mado_db_one(db, &Q_DECIDE, p, MADO_COLS(cols), out);
}

struct ref_row {
	char ref[24];
};

int
registers__staff_ref(struct mado_db *db, const char *key_hash, char *ref, size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, ref_row, ref)};
	const char *p[1] = {key_hash};
	struct ref_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mado_db_one(db, &Q_STAFF_REF, p, MADO_COLS(cols), &r);
	if (rc == MADO_E_NOT_FOUND)
		rc = MADO_OK;
	snprintf(ref, len, "%s", r.ref);
	return rc;
}

struct id_row {
	const char *id;
};

int
registers__pending_ids(struct mado_db *db, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {MADO_COL(STR, id_row, id)};

	return mado_db_each(db, &Q_PENDING_IDS, NULL, MADO_COLS(cols), sizeof(struct id_row), fn,
			    arg);
}

static const struct mado_col VERSION_COLS[] = {
    MADO_COL(STR, registers_version, id),          MADO_COL(STR, registers_version, kind),
    MADO_COL(STR, registers_version, key),         MADO_COL(STR, registers_version, version),
    MADO_COL(STR, registers_version, content),     MADO_COL(STR, registers_version, approved_at),
    MADO_COL(STR, registers_version, proposal),    MADO_COL(STR, registers_version, proposer),
    MADO_COL(STR, registers_version, proposed_at), MADO_COL(STR, registers_version, approved_by),
};

int
registers__current(struct mado_db *db, const char *kind, mado_db_row_fn fn, void *arg)
{
	const char *p[1] = {kind};

	return mado_db_each(db, &Q_CURRENT, p, MADO_COLS(VERSION_COLS),
			    sizeof(struct registers_version), fn, arg);
}

int
registers__history(struct mado_db *db, const char *kind, const char *key, const char *id,
		   mado_db_row_fn fn, void *arg)
{
	const char *p[3] = {kind, key, id};

	return mado_db_each(db, &Q_HISTORY, p, MADO_COLS(VERSION_COLS),
			    sizeof(struct registers_version), fn, arg);
}

int
registers__proposals(struct mado_db *db, const char *status, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, registers_proposal, id),
	    MADO_COL(STR, registers_proposal, kind),
	    MADO_COL(STR, registers_proposal, key),
	    MADO_COL(STR, registers_proposal, content),
	    MADO_COL(STR, registers_proposal, proposer),
	    MADO_COL(STR, registers_proposal, proposer_key),
	    MADO_COL(STR, registers_proposal, note),
	    MADO_COL(STR, registers_proposal, proposed_at),
	    MADO_COL(STR, registers_proposal, status),
	    MADO_COL(STR, registers_proposal, decided_at),
	    MADO_COL(STR, registers_proposal, decided_by),
	    MADO_COL(STR, registers_proposal, current),
	};
	const char *p[1] = {status};

	return mado_db_each(db, &Q_PROPOSALS, p, MADO_COLS(cols), sizeof(struct registers_proposal),
			    fn, arg);
}

int
registers__seals_by_org(struct mado_db *db, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, registers_seal_org, org),
	    MADO_COL(STR, registers_seal_org, open),
	    MADO_COL(STR, registers_seal_org, unconfirmed),
	    MADO_COL(STR, registers_seal_org, oldest_open),
	    MADO_COL(STR, registers_seal_org, oldest_open_age_s),
	    MADO_COL(STR, registers_seal_org, oldest_unconfirmed),
	    MADO_COL(STR, registers_seal_org, oldest_unconfirmed_age_s),
	    MADO_COL(STR, registers_seal_org, opened_by_grace),
	};

	return mado_db_each(db, &Q_SEALS_BY_ORG, NULL, MADO_COLS(cols),
			    sizeof(struct registers_seal_org), fn, arg);
}

int
registers__seals_pending(struct mado_db *db, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, registers_seal, entry),
	    MADO_COL(STR, registers_seal, org),
	    MADO_COL(STR, registers_seal, approval_ref),
	    MADO_COL(STR, registers_seal, sealing_body),
	    MADO_COL(STR, registers_seal, sealed_until),
	    MADO_COL(STR, registers_seal, outcome),
	    MADO_COL(STR, registers_seal, recorded_at),
	    MADO_COL(STR, registers_seal, grace_until),
	};

	return mado_db_each(db, &Q_SEALS_PENDING, NULL, MADO_COLS(cols),
			    sizeof(struct registers_seal), fn, arg);
}

struct reason_row {
	char reason[32];
};

int
registers__seal_confirm(struct mado_db *db, const char *entry, const char *staff_ref,
			const char *note, char *reason, size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, reason_row, reason)};
	const char *p[3] = {entry, staff_ref, note};
	struct reason_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mado_db_one(db, &Q_SEAL_CONFIRM, p, MADO_COLS(cols), &r);
	snprintf(reason, len, "%s", r.reason);
	return rc;
}

static int
reason_of(struct mado_db *db, struct mado_db_stmt *st, const char *const *p, char *reason,
	  size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, reason_row, reason)};
	struct reason_row r;
	int rc;

	memset(&r, 0, sizeof(r));
	rc = mado_db_one(db, st, p, MADO_COLS(cols), &r);
	snprintf(reason, len, "%s", r.reason);
	return rc;
}

int
registers__seal_confirm_by_body(struct mado_db *db, const char *entry, const char *org,
				const char *note, char *reason, size_t len)
{
	const char *p[3] = {entry, org, note};

	return reason_of(db, &Q_SEAL_BY_BODY, p, reason, len);
}

int
registers__sealing_body_name(struct mado_db *db, const char *name, const char *org,
			     const char *staff_ref, char *reason, size_t len)
{
	const char *p[3] = {name, org, staff_ref};

	return reason_of(db, &Q_BODY_NAME, p, reason, len);
}

int
registers__sealing_bodies(struct mado_db *db, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, registers_body, name),
	    MADO_COL(STR, registers_body, org),
	    MADO_COL(STR, registers_body, named_at),
	};

	return mado_db_each(db, &Q_BODIES, NULL, MADO_COLS(cols), sizeof(struct registers_body), fn,
			    arg);
}
