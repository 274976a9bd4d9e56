/* Shared by the files of server/access only. */
#ifndef MADO_ACCESS_INT_H
#define MADO_ACCESS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/db.h"

#define ACCESS_BATCH_MAX           1000
#define ACCESS_ITEMS_MAX           32
#define ACCESS_PAGE_MAX            200
#define ACCESS_EXPORT_MAX          100000
#define ACCESS_SEAL_MAX_DAYS       1830 /* a disclosure date at most five years ahead */
#define ACCESS_REPORT_MAX_AGE_DAYS 400

/* validate.c: the one check of gateway input, without I/O. */

/* Where the first problem is: field name and a reason for the problem detail. */
struct access_bad {
	char field[32];
	char reason[128];
};

/* A gateway query, checked. Strings point into the JSON it came from. */
struct access_query {
	const char *person, *purpose, *legal_ref, *case_ref, *officer, *officer_role, *actor_kind,
	    *relay_for, *sealing_body;
	char items[ACCESS_ITEMS_MAX * 72]; /* PostgreSQL array literal {a,b} */
	char sealed_until[11];             /* YYYY-MM-DD or "" */
};

bool access__check_query(const cJSON *body, time_t now, struct access_query *q,
			 struct access_bad *bad);
/* One reported event; on success adds a normalised copy to out (a JSON array). */
bool access__check_event(const cJSON *ev, time_t now, cJSON *out, struct access_bad *bad);
bool access__code_ok(const char *s);

bool access__org_code_ok(const char *s);
bool access__date_ok(const char *s);

/* access_store.c: the SQL. */
int access__partitions_ensure(struct mado_db *db);
int access__org_by_key(struct mado_db *db, const char *key_hash, char *org, size_t orglen,
		       char *kind, size_t kindlen, bool *found);
int access__add_org_cert(struct mado_db *db, const char *org, const char *key_hash);

struct access_query_result {
	char outcome[16]; /* served, denied, invalid */
	char reason[48];
	char event_id[40];
	char bad_item[72];
	cJSON *items; /* served: item -> value */
};
int access__gw_query(struct mado_db *db, const char *org, const struct access_query *q,
		     struct access_query_result *out);

struct access_report_result {
	int bad_index; /* -1: none */
	char bad_field[32];
	int written, duplicates;
};
int access__gw_report(struct mado_db *db, const char *org, const char *events_json,
		      struct access_report_result *out);

int access__dispute_queue(struct mado_db *db, const char *org, const char *status, cJSON *out);
int access__dispute_answer(struct mado_db *db, const char *org, const char *case_no,
			   const char *status, const char *answer, bool *done);

/* The supervisor's requests to reveal an official; NOT_FOUND when org's records hold no
   such official (or the asker is no supervisor). */
int access__reveal_request(struct mado_db *db, const char *supervisor, const char *org,
			   const char *officer, const char *reason, char *id, size_t idlen);
int access__reveal_answer(struct mado_db *db, const char *org, const char *id, const char *answer,
			  bool *done);
int access__reveal_list(struct mado_db *db, const char *org, cJSON *out);

/* The person's filters; NULL fields are unset. */
struct access_filter {
	const char *org, *channel, *purpose, *item, *outcome;
	const char *from, *to; /* RFC 3339 */
	const char *cursor_us, *cursor_id;
	const char *today; /* YYYY-MM-DD: sealed entries before this date stay closed */
	int limit;
};
/* One access-log entry as the database gives it (strings borrowed for the callback's
   duration; NULL is SQL NULL). The names come with a single entry only. */
struct access_row {
	const char *id, *occurred_us, *recorded_us; /* times in microseconds since the epoch */
	bool sealed; /* sealed, and not yet open: only id, times and the seal may be shown */
	const char *org, *relay_for, *officer, *officer_role, *actor_kind, *channel, *purpose,
	    *legal_ref, *case_ref, *items /* {a,b} */, *consent_id, *outcome, *reason,
	    *sealed_until, *sealing_body, *disputes /* JSON array */;
	const char *org_ja, *org_en, *purpose_ja, *purpose_en, *explain_ja, *explain_en,
	    *law /* JSON object */;
};
typedef void (*access_row_fn)(const struct access_row *e, void *arg);

/* Passes one page of entries to fn, newest first; next gets the cursor of the page after
   it, or "" when there is none. */
int access__log_page(struct mado_db *db, const char *person, const struct access_filter *f,
		     access_row_fn fn, void *arg, char *next, size_t nextlen);
/* Passes the person's entry id, with its names, to fn; MADO_E_NOT_FOUND if not theirs. */
int access__log_entry(struct mado_db *db, const char *person, const char *id, const char *today,
		      access_row_fn fn, void *arg);

/* render.c: entries as JSON (detail adds the names) and CSV. */
struct mado_text;
void access__json_entry(struct mado_text *t, const struct access_row *e, bool detail);
void access__csv_header(struct mado_text *t);
void access__csv_entry(struct mado_text *t, const struct access_row *e);
int access__log_summary(struct mado_db *db, const char *person, const char *today, cJSON *out);
int access__dispute_open(struct mado_db *db, const char *person, const char *id, const char *kind,
			 const char *note, char *case_no, size_t len, bool *created);
int access__disputes(struct mado_db *db, const char *person, cJSON *out);
int access__alerts_get(struct mado_db *db, const char *person, char *mode, size_t len);
int access__alerts_set(struct mado_db *db, const char *person, const char *mode);
int access__notices(struct mado_db *db, const char *person, cJSON *out);
int access__notice_read(struct mado_db *db, const char *person, const char *id, bool *found);
int access__coverage(struct mado_db *db, cJSON *out);
int access__catalogue(struct mado_db *db, cJSON *out);

#endif
