/* Shared by the files of server/mydata only. */
#ifndef MADO_MYDATA_INT_H
#define MADO_MYDATA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

/* One row of portal.mydata_read (strings borrowed while the row function runs; NULL is
   SQL NULL). Row 0 is the decision (reason, event_row); every later row one value. */
struct mydata_row {
	const char *reason, *event_row;
	const char *org, *org_ja, *org_en, *item, *item_ja, *item_en, *source_ja, *source_en;
	const char *value /* JSON */, *as_of, *cases /* JSON array */;
	bool frozen;
};

/* The person's data (all items, or item), recorded first as the person's own read (in a
   helper's session, the session's hash, as the helper's); rows go to fn. Fails (and nothing is
   returned) when the record cannot be written. */
int mydata__read(struct mado_db *db, const char *person, const char *session, const char *item,
		 mado_db_row_fn fn, void *arg);

struct mydata_opened {
	char case_no[32];
	bool created; /* false: a case of this kind on the item was already in progress */
};
/* A correction request or "not mine" on an item the person holds; MADO_E_NOT_FOUND when
   they hold no such item. */
int mydata__case_open(struct mado_db *db, const char *person, const char *item, const char *kind,
		      const char *note, struct mydata_opened *out);

#endif
