/* Shared by the files of server/gateway only. */
#ifndef MADO_GATEWAY_INT_H
#define MADO_GATEWAY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/db.h"
#include "mado/seal.h"

#define GATEWAY_BATCH_MAX      1000
#define GATEWAY_ITEMS_MAX      32
#define GATEWAY_SEAL_MAX_DAYS  1830 /* a disclosure date at most five years ahead */
#define GATEWAY_REPORT_MAX_AGE 400  /* days a reported access may lie back */
#define GATEWAY_ITEMS_LITERAL  (GATEWAY_ITEMS_MAX * 66 + 3)

/* gateway.c: what agencies send, and the rules across its fields (no I/O). */
extern const struct mado_field gateway__query_fields[];
extern const struct mado_field gateway__report_fields[];

/* A gateway query, read from a body the router checked. Strings point into the JSON. */
struct gateway_query {
	const char *person, *purpose, *legal_ref, *case_ref, *officer, *officer_role, *actor_kind,
	    *relay_for, *sealed_until, *sealing_body, *seal_ref;
	unsigned char reply_key[MADO_SEAL_KEY_LEN]; /* answers are sealed to it */
	int seal_grace_s;                           /* the handler's: seal_grace_s */
	char items[GATEWAY_ITEMS_LITERAL];          /* PostgreSQL array literal {a,b} */
};
/* The rules the field list cannot say (a seal comes with its body, within five years);
   fills q. */
bool gateway__read_query(const cJSON *body, time_t now, struct gateway_query *q,
			 struct mado_bad *bad);
/* The rules across each event of a report (its time, its official, no event twice). */
bool gateway__check_events(const cJSON *events, time_t now, struct mado_bad *bad);

/* gateway_store.c: the SQL. */
struct gateway_answer {
	char outcome[16]; /* served, denied, invalid */
	char reason[48];
	char event_id[40];
	long long row_id;
	char item[72];  /* the unknown item an invalid query names */
	cJSON *targets; /* served: the holders to ask (portal.holder_targets) */
};
int gateway__query(struct mado_db *db, const char *org, const struct gateway_query *q,
		   struct gateway_answer *out);

struct gateway_report {
	int bad_index; /* -1: none */
	char bad_field[32];
	int written, duplicates;
};
int gateway__report(struct mado_db *db, const char *org, const char *events_json,
		    struct gateway_report *out);

#endif
