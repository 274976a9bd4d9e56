/* Shared by the files of server/oversight only. */
#ifndef MADO_OVERSIGHT_INT_H
#define MADO_OVERSIGHT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

struct reveal {
	const char *id, *supervisor, *org, *officer, *reason, *requested_at, *answer, *answered_at;
};

/* oversight_store.c: the SQL, through the functions of sql/functions/oversight.sql. */
/* MADO_E_NOT_FOUND when org's records hold no such official (or the asker is no
   supervisor). */
int oversight__reveal_request(struct mado_db *db, const char *supervisor, const char *org,
			      const char *officer, const char *reason, char *id, size_t idlen);
int oversight__reveal_answer(struct mado_db *db, const char *org, const char *id,
			     const char *answer, bool *done);
int oversight__reveals(struct mado_db *db, const char *org, mado_db_row_fn fn, void *arg);

#endif
