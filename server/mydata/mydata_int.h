/* Shared by the files of server/mydata only. */
#ifndef MADO_MYDATA_INT_H
#define MADO_MYDATA_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

/* One row of portal.mydata_read (strings borrowed while the row function runs; NULL is
   SQL NULL). Row 0 is the decision (reason; served: the record's row and event id, the
   organisation, purpose and legal reference it names, the holders to ask); every later
   row one catalogue item asked, without its value. */
struct mydata_row {
	const char *reason, *event_row, *event_id, *requester, *purpose, *legal_ref;
	const char *targets /* JSON array */;
	const char *org, *org_ja, *org_en, *item, *item_ja, *item_en, *source_ja, *source_en;
	const char *cases /* JSON array */;
	bool frozen;
};

/* The person's read (all items, or item), recorded first as the person's own read (in a
   helper's session, the session's hash, as the helper's) and committed; rows go to fn.
   Fails (and no holder may be asked) when the record cannot be written. */
int mydata__read(struct mado_db *db, const char *person, const char *session, const char *item,
		 mado_db_row_fn fn, void *arg);

struct mydata_opened {
	char case_no[32];
	bool created; /* false: a case of this kind on the item was already in progress */
};
/* A correction request or "not mine" on a catalogue item; MADO_E_NOT_FOUND when there is
   no such item. */
int mydata__case_open(struct mado_db *db, const char *person, const char *item, const char *kind,
		      const char *note, struct mydata_opened *out);

#endif
