/* Shared by the files of server/consent only. */
#ifndef MADO_CONSENT_INT_H
#define MADO_CONSENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/util.h"

#define CONSENT_ITEMS_LITERAL (32 * 66 + 3)

/* A service's request for consent, checked; text values as SQL parameters. */
struct consent_ask {
	const char *purpose, *data_from, *data_to, *freq_unit, *redirect_uri, *state;
	char items[CONSENT_ITEMS_LITERAL]; /* {a,b} */
	char freq_max[24], data_life_days[24], valid_days[24];
};

/* What a service asked for, for the person to read. */
struct consent_request {
	const char *id, *recipient, *recipient_ja, *recipient_en, *purpose, *purpose_ja,
	    *purpose_en, *explain_ja, *explain_en, *items /* JSON */, *data_from, *data_to,
	    *freq_unit, *freq_max, *data_life_days, *valid_days, *status, *never_items /* JSON */;
};

struct consent_decision {
	char consent_id[40];
	char redirect_uri[512];
	char state[160];
	char reason[32];
};

/* What a deciding function made: the new or changed row's id or status, and why not. */
struct consent_made {
	char id[40];
	char status[16];
	char reason[32];
};

/* A fetch decided: served, the record and what the holders are asked for. */
struct consent_fetch {
	char outcome[16]; /* served, denied, invalid */
	char reason[32];
	char consent_id[40];
	char pseudonym[48];
	long long row_id;
	char event_id[40];
	char purpose[72];                /* the consent's */
	char data_from[16], data_to[16]; /* the period in force, "" when unbounded */
	cJSON *targets;                  /* served: the holders to ask (portal.holder_targets) */
};

/* One consent as the person's list shows it; with its history and uses for one. */
struct consent_row {
	const char *id, *kind, *recipient, *programme, *purpose, *items /* JSON */, *status,
	    *valid_until, *created_at, *uses, *freq_unit, *freq_max, *data_life_days, *data_from,
	    *data_to;
	const char *history, *use_list; /* JSON, with one consent only */
};

/* One step of a consent as its receipt states it. */
struct consent_receipt {
	const char *consent_id, *kind, *recipient, *programme, *purpose, *items /* JSON */,
	    *data_from, *data_to, *freq_unit, *freq_max, *data_life_days, *valid_from, *valid_until,
	    *event_id, *event_type, *event_at, *event_channel, *event_status /* the step left */,
	    *current_status /* now */, *uses, *principal;
};

/* consent_store.c: the SQL. The decisions are the SECURITY DEFINER functions of
   sql/functions/consent.sql; each returns a reason, empty when it allows. */
int consent__request_create(struct mado_db *db, const char *org, const struct consent_ask *a,
			    struct consent_made *out);
int consent__request_get(struct mado_db *db, const char *id, mado_db_row_fn fn, void *arg);
int consent__decide(struct mado_db *db, const char *person, const char *request, bool approve,
		    const char *items, const char *code_hash, const char *channel,
		    struct consent_decision *out);
int consent__exchange(struct mado_db *db, const char *org, const char *code_hash,
		      const char *token_hash, struct consent_made *out);
int consent__change(struct mado_db *db, const char *person, const char *consent, const char *action,
		    const char *channel, struct consent_made *out);
int consent__push_give(struct mado_db *db, const char *person, const char *programme,
		       const char *days, const char *channel, struct consent_made *out);
/* By grant (token_hash) or, with token_hash NULL, by the service's pseudonym person. */
int consent__fetch(struct mado_db *db, const char *org, const char *token_hash, const char *person,
		   const char *items, const char *from, const char *to, const char *purpose,
		   struct consent_fetch *out);
/* The person's consents; one of them with its history and uses. */
int consent__list(struct mado_db *db, const char *person, mado_db_row_fn fn, void *arg);
int consent__one(struct mado_db *db, const char *person, const char *id, mado_db_row_fn fn,
		 void *arg);
/* The receipt row of the consent's event (NULL: the latest). */
int consent__receipt(struct mado_db *db, const char *person, const char *consent, const char *event,
		     mado_db_row_fn fn, void *arg);

/* receipt.c: the signing key, the document and the signed envelope. */
int consent__receipt_init(const char *path, char *why, size_t whylen);
void consent__receipt_free(void);
const char *consent__receipt_public_pem(void);
/* The receipt document of a row, as text (the caller frees it with cJSON_free). */
char *consent__receipt_doc(const struct consent_receipt *r);
int consent__receipt_envelope(const char *doc, cJSON **out);

#endif
