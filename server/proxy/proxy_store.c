/*
 * The SQL of proxy mandates: every statement calls a SECURITY DEFINER function of
 * sql/functions/proxy.sql, as the person where there is one (mado.person_id, which the
 * functions check). The functions decide; a refusal comes back as a reason.
 */
#include <stdio.h>
#include <string.h>

#include "mado/db.h"
#include "mado/err.h"
#include "proxy_int.h"

#define UTC(col) MADO_SQL_UTC(col)

static struct mado_db_stmt Q_OFFER =
    MADO_DB_STMT_AS_PERSON("proxy_offer",
			   "SELECT coalesce(reason, '') AS reason, coalesce(id::text, '') AS "
			   "id, " UTC("ends_at") " AS ends_at, " UTC(
			       "code_expires_at") " AS code_expires_at"
						  " FROM portal.mandate_offer($1::uuid, $2, "
						  "$3::text[], $4, $5::date, $6::bytea, "
						  "$7::int)",
			   7);
static struct mado_db_stmt Q_ACCEPT = MADO_DB_STMT_AS_PERSON(
    "proxy_accept",
    "SELECT coalesce(reason, '') AS reason, coalesce(id::text, '') AS id,"
    " coalesce(array_to_json(themes)::text, '[]') AS themes, " UTC(
	"ends_at") " AS ends_at, coalesce(people, 0) AS people, reported"
		   " FROM portal.mandate_accept($1::uuid, $2, $3::bytea, $4, $5::int)",
    5);
static struct mado_db_stmt Q_REVOKE = MADO_DB_STMT_AS_PERSON(
    "proxy_revoke", "SELECT state FROM portal.mandate_revoke($1::uuid, $2, $3::uuid)", 3);
static struct mado_db_stmt Q_FLAG_SET = MADO_DB_STMT_AS_PERSON(
    "proxy_flag_set", "SELECT portal.safety_flag_set($1::uuid, $2) AS ended", 2);
static struct mado_db_stmt Q_FLAG_OF =
    MADO_DB_STMT_AS_PERSON("proxy_flag_of", "SELECT portal.safety_flag_of($1::uuid) AS set", 1);
static struct mado_db_stmt Q_ACT = MADO_DB_STMT_AS_PERSON(
    "proxy_act",
    "SELECT coalesce(reason, '') AS reason, $4::uuid::text AS id, coalesce(label, '') AS label,"
    " coalesce(array_to_json(themes)::text, '[]') AS themes, " UTC(
	"ends_at") " AS ends_at FROM portal.mandate_act($1::uuid, $2, $3::bytea, $4::uuid,"
		   " $5::bytea, $6)",
    6);
static struct mado_db_stmt Q_ACTING = MADO_DB_STMT_AS_PERSON(
    "proxy_acting",
    "SELECT '' AS reason, id::text AS id, label, array_to_json(themes)::text AS themes, " UTC(
	"ends_at") " AS ends_at FROM portal.mandate_acting($1::uuid, $2::bytea)",
    2);
static struct mado_db_stmt Q_ACT_END =
    MADO_DB_STMT("proxy_act_end", "SELECT portal.mandate_act_end($1::bytea) AS set", 1);
/* The function writes its times as UTC RFC 3339 text. */
static struct mado_db_stmt Q_MANDATES = MADO_DB_STMT_AS_PERSON(
    "proxy_mandates",
    "SELECT id::text AS id, role, label, array_to_json(themes)::text AS themes, state,"
    " created_at, accepted_at, ends_at, ended_at, code_expires_at"
    " FROM portal.mandates_mine($1::uuid)",
    1);
static struct mado_db_stmt Q_ACTIONS = MADO_DB_STMT_AS_PERSON(
    "proxy_actions",
    "SELECT row_id::text AS row, " UTC(
	"occurred_at") " AS occurred_at, array_to_json(items)::text AS items, outcome"
		       " FROM portal.mandate_actions($1::uuid, $2::uuid)",
    2);
static struct mado_db_stmt Q_REPORTS = MADO_DB_STMT(
    "proxy_reports",
    "SELECT id::text AS id, proxy, people::text AS people, max_people::text AS max_people, " UTC(
	"reported_at") " AS reported_at FROM portal.proxy_reports_of($1)",
    1);
static struct mado_db_stmt Q_REMIND_DUE =
    MADO_DB_STMT("proxy_remind_due", "SELECT portal.mandates_remind_due() AS sent", 0);

int
proxy__offer(struct mado_db *db, const char *person, const char *channel, const char *themes,
	     const char *label, const char *ends_on, const char *code_hash,
	     struct proxy_offered *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BUF, proxy_offered, reason),
	    MADO_COL(BUF, proxy_offered, id),
	    MADO_COL(BUF, proxy_offered, ends_at),
	    MADO_COL(BUF, proxy_offered, code_expires_at),
	};
	char ttl[16];
	const char *p[7] = {person, channel, themes, label, ends_on, code_hash, ttl};

	snprintf(ttl, sizeof(ttl), "%d", PROXY_CODE_TTL_S);
	return mado_db_one(db, &Q_OFFER, p, MADO_COLS(cols), out);
}

int
proxy__accept(struct mado_db *db, const char *person, const char *channel, const char *code_hash,
	      const char *label, int max_people, struct proxy_accepted *out)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BUF, proxy_accepted, reason), MADO_COL(BUF, proxy_accepted, id),
	    MADO_COL(BUF, proxy_accepted, themes), MADO_COL(BUF, proxy_accepted, ends_at),
	    MADO_COL(INT, proxy_accepted, people), MADO_COL(BOOL, proxy_accepted, reported),
	};
	char max[16];
	const char *p[5] = {person, channel, code_hash, label, max};

	snprintf(max, sizeof(max), "%d", max_people);
	return mado_db_one(db, &Q_ACCEPT, p, MADO_COLS(cols), out);
}

struct revoked {
	char state[32];
};

int
proxy__revoke(struct mado_db *db, const char *person, const char *channel, const char *id,
	      char *state, size_t len)
{
	static const struct mado_col cols[] = {MADO_COL(BUF, revoked, state)};
	const char *p[3] = {person, channel, id};
	struct revoked r = {""};
	int rc;

	rc = mado_db_one(db, &Q_REVOKE, p, MADO_COLS(cols), &r);
	if (rc == MADO_E_NOT_FOUND)
		rc = MADO_OK;
	snprintf(state, len, "%s", r.state);
	return rc;
}

struct flag {
	int ended;
	bool set;
};

int
proxy__flag_set(struct mado_db *db, const char *person, const char *by, int *ended)
{
	static const struct mado_col cols[] = {MADO_COL(INT, flag, ended)};
	const char *p[2] = {person, by};
	struct flag f = {0, false};
	int rc;

	rc = mado_db_one(db, &Q_FLAG_SET, p, MADO_COLS(cols), &f);
	*ended = f.ended;
	return rc;
}

int
proxy__flag_of(struct mado_db *db, const char *person, bool *set)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, flag, set)};
	const char *p[1] = {person};
	struct flag f = {0, false};
	int rc;

	rc = mado_db_one(db, &Q_FLAG_OF, p, MADO_COLS(cols), &f);
	*set = f.set;
	return rc;
}

static const struct mado_col acting_cols[] = {
    MADO_COL(BUF, proxy_acting, reason),  MADO_COL(BUF, proxy_acting, id),
    MADO_COL(BUF, proxy_acting, label),   MADO_COL(BUF, proxy_acting, themes),
    MADO_COL(BUF, proxy_acting, ends_at),
};

int
proxy__act(struct mado_db *db, const char *person, const char *channel, const char *own_key,
	   const char *id, const char *new_key, const char *csrf, struct proxy_acting *out)
{
	const char *p[6] = {person, channel, own_key, id, new_key, csrf};

	return mado_db_one(db, &Q_ACT, p, MADO_COLS(acting_cols), out);
}

int
proxy__acting(struct mado_db *db, const char *person, const char *key, struct proxy_acting *out)
{
	const char *p[2] = {person, key};

	return mado_db_one(db, &Q_ACTING, p, MADO_COLS(acting_cols), out);
}

int
proxy__act_end(struct mado_db *db, const char *key, bool *ended)
{
	static const struct mado_col cols[] = {MADO_COL(BOOL, flag, set)};
	const char *p[1] = {key};
	struct flag f = {0, false};
	int rc;

	rc = mado_db_one(db, &Q_ACT_END, p, MADO_COLS(cols), &f);
	*ended = f.set;
	return rc;
}

int
proxy__mandates(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, proxy_mandate, id),
	    MADO_COL(STR, proxy_mandate, role),
	    MADO_COL(STR, proxy_mandate, label),
	    MADO_COL(STR, proxy_mandate, themes),
	    MADO_COL(STR, proxy_mandate, state),
	    MADO_COL(STR, proxy_mandate, created_at),
	    MADO_COL(STR, proxy_mandate, accepted_at),
	    MADO_COL(STR, proxy_mandate, ends_at),
	    MADO_COL(STR, proxy_mandate, ended_at),
	    MADO_COL(STR, proxy_mandate, code_expires_at),
	};
	const char *p[1] = {person};

	return mado_db_each(db, &Q_MANDATES, p, MADO_COLS(cols), sizeof(struct proxy_mandate), fn,
			    arg);
}

int
proxy__actions(struct mado_db *db, const char *person, const char *id, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, proxy_action, row),
	    MADO_COL(STR, proxy_action, occurred_at),
	    MADO_COL(STR, proxy_action, items),
	    MADO_COL(STR, proxy_action, outcome),
	};
	const char *p[2] = {person, id};

	return mado_db_each(db, &Q_ACTIONS, p, MADO_COLS(cols), sizeof(struct proxy_action), fn,
			    arg);
}

int
proxy__reports(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg)
{
	static const struct mado_col cols[] = {
	    MADO_COL(STR, proxy_report, id),          MADO_COL(STR, proxy_report, proxy),
	    MADO_COL(STR, proxy_report, people),      MADO_COL(STR, proxy_report, max_people),
	    MADO_COL(STR, proxy_report, reported_at),
	};
	const char *p[1] = {org};

	return mado_db_each(db, &Q_REPORTS, p, MADO_COLS(cols), sizeof(struct proxy_report), fn,
			    arg);
}

struct sent {
	int sent;
};

int
proxy__remind_due(struct mado_db *db, int *sent)
{
	static const struct mado_col cols[] = {MADO_COL(INT, sent, sent)};
	struct sent n = {0};
	int rc;

	rc = mado_db_one(db, &Q_REMIND_DUE, NULL, MADO_COLS(cols), &n);
	*sent = n.sent;
	return rc;
}
