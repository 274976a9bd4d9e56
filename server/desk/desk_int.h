/* Shared by the files of server/desk only. */
#ifndef MADO_DESK_INT_H
#define MADO_DESK_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

/* Before its end, the terminal warns the clerk this long ahead (at most a quarter). */
#define DESK_WARN_S 120

/* One desk visit as the resident sees it. */
struct desk_visit {
	const char *id, *started_at, *ended_at, *ends_at, *end_reason, *org, *org_ja, *org_en,
	    *clerk, *role, *themes /* JSON array */, *requests;
};

struct desk_started {
	char id[40];
	int expires_in;
};

/* desk_store.c: the SQL, all through sql/functions/desk.sql. */
/* A new visit at the terminal (its staff session's hash): the last one there ends. */
int desk__start(struct mado_db *db, const char *terminal, const char *nonce, int max_s,
		struct desk_started *out);
/* Takes the visit's challenge: state "ready" (nonce set), "expired", "ended" or
   "has-card" (the visit had a card already: it is ended). */
int desk__nonce(struct mado_db *db, const char *terminal, const char *visit, char *state,
		size_t slen, char *nonce, size_t nlen);
/* The card's person takes the visit up in a new session (key, csrf): *left is the seconds
   the visit has left, 0 when it is no longer open. */
int desk__card(struct mado_db *db, const char *terminal, const char *visit, const char *person,
	       const char *binding, const char *key, const char *csrf, int *left);
int desk__end(struct mado_db *db, const char *terminal, const char *visit, bool *ended);
/* The person's visits (session NULL), or the visit of the desk session with hash session. */
int desk__visits(struct mado_db *db, const char *person, const char *session, mado_db_row_fn fn,
		 void *arg);

#endif
