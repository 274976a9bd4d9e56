/* Shared by the files of server/consent only. */
#ifndef MADO_CONSENT_INT_H
#define MADO_CONSENT_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/db.h"

/* A service's request for consent, checked; text values as SQL parameters. */
struct consent_ask {
	const char *purpose, *data_from, *data_to, *freq_unit, *redirect_uri, *state;
	char items[32 * 72]; /* {a,b} */
	char freq_max[12], data_life_days[12], valid_days[12];
};

struct consent_decision {
	char consent_id[40];
	char redirect_uri[512];
	char state[160];
	char reason[32];
};

struct consent_fetch {
	char outcome[16]; /* served, denied, invalid */
	char reason[32];
	char consent_id[40];
	char pseudonym[48];
	cJSON *items;
};

int consent__request_create(struct mado_db *db, const char *org, const struct consent_ask *a,
			    char *id, size_t idlen, char *reason, size_t reasonlen);
int consent__request_get(struct mado_db *db, const char *id, cJSON **out);
int consent__decide(struct mado_db *db, const char *person, const char *request, bool approve,
		    const char *items, const char *code_hash, const char *channel,
		    struct consent_decision *out);
int consent__exchange(struct mado_db *db, const char *org, const char *code_hash,
		      const char *token_hash, char *consent_id, size_t len);
int consent__change(struct mado_db *db, const char *person, const char *consent, const char *action,
		    const char *channel, char *status, size_t slen, char *reason, size_t rlen);
int consent__push_give(struct mado_db *db, const char *person, const char *programme,
		       const char *days, const char *channel, char *id, size_t idlen, char *reason,
		       size_t rlen);
/* By grant (token_hash) or, with token_hash NULL, by the service's pseudonym person. */
int consent__fetch(struct mado_db *db, const char *org, const char *token_hash, const char *person,
		   const char *items, const char *from, const char *to, struct consent_fetch *out);
int consent__push(struct mado_db *db, const char *org, const char *programme, const char *person,
		  const char *title, const char *body, char *outcome, size_t olen, char *reason,
		  size_t rlen);
/* The person's consents (all, or with id just that one with its history and uses). */
int consent__list(struct mado_db *db, const char *person, const char *id, cJSON *out);

/* The receipt document for the consent's event (NULL: the latest), as text (caller
   frees with cJSON_free). */
int consent__receipt_doc(struct mado_db *db, const char *person, const char *consent,
			 const char *event, char **doc);

/* receipt.c: the signing key and the signed envelope. */
int consent__receipt_init(const char *path, char *why, size_t whylen);
void consent__receipt_free(void);
const char *consent__receipt_public_pem(void);
int consent__receipt_envelope(const char *doc, cJSON **out);

#endif
