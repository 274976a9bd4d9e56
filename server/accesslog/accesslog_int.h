/* Shared by the files of server/accesslog only. */
#ifndef MADO_ACCESSLOG_INT_H
#define MADO_ACCESSLOG_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/util.h"

#define ACCESSLOG_PAGE_MAX 200
/* The export reads the log in pages this long (fewer round trips than the view's pages). */
#define ACCESSLOG_EXPORT_PAGE 5000

/* The person's filters; NULL fields are unset. */
struct accesslog_filter {
	const char *org, *channel, *purpose, *item, *outcome;
	const char *from, *to; /* RFC 3339 */
	const char *cursor_us, *cursor_id;
	const char *today; /* YYYY-MM-DD: sealed entries before this date stay closed */
	int limit;
};

/* One entry as the database gives it (strings borrowed while the row function runs; NULL
   is SQL NULL). The names come with a single entry only. */
struct accesslog_entry {
	const char *id, *occurred_us, *recorded_us; /* times in microseconds since the epoch */
	bool sealed; /* sealed, and not yet open: only id, times and the seal may be shown */
	const char *org, *relay_for, *officer, *officer_role, *actor_kind, *channel, *purpose,
	    *legal_ref, *case_ref, *items /* {a,b} */, *consent_id, *outcome, *reason,
	    *sealed_until, *sealing_body, *disputes /* JSON array */;
	const char *register_version; /* the register version it was served under, or NULL */
	const char *org_ja, *org_en, *purpose_ja, *purpose_en, *explain_ja, *explain_en,
	    *law /* JSON object */;
};

/* render.c: entries as JSON (detail adds the names) and CSV. */
struct mado_jw;
void accesslog__json_entry(struct mado_jw *w, const struct accesslog_entry *e, bool detail);
void accesslog__csv_header(struct mado_text *t);
void accesslog__csv_entry(struct mado_text *t, const struct accesslog_entry *e);

/* accesslog_store.c: the SQL. Rows go to fn (see mado_db_each). */
/* One page of entries, newest first: limit + 1 rows at most, the last one only saying
   that another page follows. */
int accesslog__page(struct mado_db *db, const char *person, const struct accesslog_filter *f,
		    mado_db_row_fn fn, void *arg);
/* The person's entry id with its names; MADO_E_NOT_FOUND if not theirs. */
int accesslog__entry(struct mado_db *db, const char *person, const char *id, const char *today,
		     mado_db_row_fn fn, void *arg);

struct accesslog_count {
	const char *key; /* the month, organisation or item */
	const char *count, *denied, *sealed, *last;
};
/* The last twelve months by month, organisation and item, in one snapshot: fn gets the
   rows of each with its own argument. */
int accesslog__summary(struct mado_db *db, const char *person, const char *today, mado_db_row_fn fn,
		       void *months, void *orgs, void *items);

struct accesslog_dispute {
	const char *case_no, *entry, *org, *kind, *status, *answer, *created_at, *updated_at,
	    *frozen_items /* JSON */, *person, *items /* JSON */, *occurred_at, *note,
	    *item /* a case on an item (My information): the item, and no entry */,
	    *supervisor /* JSON: the supervisor's handling, or NULL */;
};
struct accesslog_opened {
	char case_no[32];
	bool created; /* false: the entry already had a dispute of this kind */
};
int accesslog__dispute_open(struct mado_db *db, const char *person, const char *id,
			    const char *kind, const char *note, struct accesslog_opened *out);
int accesslog__disputes(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg);
int accesslog__dispute_queue(struct mado_db *db, const char *org, const char *status,
			     mado_db_row_fn fn, void *arg);
int accesslog__dispute_answer(struct mado_db *db, const char *org, const char *case_no,
			      const char *status, const char *answer, char *reason, size_t len);

struct accesslog_alerts {
	char mode[16];
};
int accesslog__alerts_get(struct mado_db *db, const char *person, struct accesslog_alerts *out);
int accesslog__alerts_set(struct mado_db *db, const char *person, const char *mode);

struct accesslog_org {
	const char *code, *kind, *name_ja, *name_en, *gateway_since, *reports_since;
};
struct accesslog_item {
	const char *code, *holder, *name_ja, *name_en;
	bool sensitive;
};
struct accesslog_purpose {
	const char *code, *name_ja, *name_en, *explain_ja, *explain_en;
};
/* Public lists: key is unused (the shape of mado_rows_fn). */
int accesslog__coverage(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg);
int accesslog__items(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg);
int accesslog__purposes(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg);

#endif
