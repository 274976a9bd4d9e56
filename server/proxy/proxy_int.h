/* Shared by the files of server/proxy only. */
#ifndef MADO_PROXY_INT_H
#define MADO_PROXY_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

/* The person's session cookie (the auth module's), and where the proxy's own session's
   cookie waits while they act for someone. */
#define PROXY_SESSION_COOKIE "__Host-mado"
#define PROXY_OWN_COOKIE     "__Host-mado-own"
#define PROXY_CODE_TTL_S     (7 * 86400) /* an offer's acceptance code */

struct proxy_offered {
	char reason[32];
	char id[40];
	char ends_at[32];
	char code_expires_at[32];
};
/* The principal offers a mandate (themes: a PostgreSQL array literal; ends_on: a date). */
int proxy__offer(struct mado_db *db, const char *person, const char *channel, const char *themes,
		 const char *label, const char *ends_on, const char *code_hash,
		 struct proxy_offered *out);

struct proxy_accepted {
	char reason[32];
	char id[40];
	char themes[160]; /* JSON array */
	char ends_at[32];
	int people;
	bool reported;
};
int proxy__accept(struct mado_db *db, const char *person, const char *channel,
		  const char *code_hash, const char *label, int max_people,
		  struct proxy_accepted *out);

/* The principal ends a mandate: *state is where it stood before ("" when not theirs). */
int proxy__revoke(struct mado_db *db, const char *person, const char *channel, const char *id,
		  char *state, size_t len);

/* The person's safety flag: set (ending every mandate they gave; *ended of them), read. */
int proxy__flag_set(struct mado_db *db, const char *person, const char *by, int *ended);
int proxy__flag_of(struct mado_db *db, const char *person, bool *set);

struct proxy_acting {
	char reason[32];
	char id[40];
	char label[96];
	char themes[160]; /* JSON array */
	char ends_at[32];
};
/* The proxy starts acting under mandate id: a new session (new_key, csrf) of the
   principal, from the proxy's own (own_key). */
int proxy__act(struct mado_db *db, const char *person, const char *channel, const char *own_key,
	       const char *id, const char *new_key, const char *csrf, struct proxy_acting *out);
/* The acting-for session's mandate; MADO_E_NOT_FOUND when the session is none. */
int proxy__acting(struct mado_db *db, const char *person, const char *key,
		  struct proxy_acting *out);
/* Ends an acting-for session (key); *ended false when it was none. */
int proxy__act_end(struct mado_db *db, const char *key, bool *ended);

/* Rows for lists (strings borrowed while the row function runs). */
struct proxy_mandate {
	const char *id, *role, *label, *themes, *state, *created_at, *accepted_at, *ends_at,
	    *ended_at, *code_expires_at;
};
int proxy__mandates(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg);

struct proxy_action {
	const char *row, *occurred_at, *items, *outcome;
};
/* The records of what the proxy did under one of the person's mandates. */
int proxy__actions(struct mado_db *db, const char *person, const char *id, mado_db_row_fn fn,
		   void *arg);

struct proxy_report {
	const char *id, *proxy, *people, *max_people, *reported_at;
};
int proxy__reports(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg);

/* Sends every reminder that is due before a mandate's term; *sent: how many mandates. */
int proxy__remind_due(struct mado_db *db, int *sent);

#endif
