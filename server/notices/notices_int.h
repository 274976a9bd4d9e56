/* Shared by the files of server/notices only. */
#ifndef MADO_NOTICES_INT_H
#define MADO_NOTICES_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

struct notice {
	const char *id, *kind, *created_at, *entry, *org, *items /* JSON */, *case_no;
	bool read;
	const char *programme, *title, *body;
};

/* A programme of push notices, as anyone may read it before turning its notices on. */
struct programme {
	const char *code, *org, *org_ja, *org_en, *purpose, *purpose_ja, *purpose_en, *explain_ja,
	    *explain_en, *name_ja, *name_en, *items /* JSON array */, *max_per_month;
};

/* notices_store.c: the SQL. The person's list is read under row-level security; a push
   notice is decided, recorded and delivered by portal.push_notice
   (sql/functions/notices.sql), under the person's consent. */
int notices__list(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg);
int notices__read(struct mado_db *db, const char *person, const char *id, bool *found);
int notices__programmes(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg);
/* *reason: empty when delivered, else why not (see the reasons in notices_api.c). */
int notices__push(struct mado_db *db, const char *org, const char *programme, const char *person,
		  const char *title, const char *body, char *reason, size_t rlen);

#endif
