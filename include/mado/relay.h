/*
 * The relay to the data holders. Mado keeps no agency's data: for an access the database
 * has decided and recorded, it signs an access ticket for each organisation that holds
 * some of the items asked (include/mado/seal.h) and relays it there over mTLS; each
 * holder (mado-holder) checks the ticket and answers with its values sealed to the reply
 * key the requester sent, and Mado passes the sealed answers on. It cannot read them and
 * keeps nothing of them.
 */
#ifndef MADO_RELAY_H
#define MADO_RELAY_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/http.h"
#include "mado/seal.h"

/* One decided access, as the tickets name it. */
struct mado_relay_job {
	const char *row;       /* the access record's row id (decimal) */
	const char *record;    /* the access record's event id */
	const char *requester; /* the asking organisation's code; "mado" for a person's own */
	const char *purpose;
	const char *legal_ref;
	const char *from, *to;          /* the data period (YYYY-MM-DD), or NULL */
	const unsigned char *reply_key; /* MADO_SEAL_KEY_LEN bytes */
	const char *req_id;             /* the request's id, for the operational log */
};

/* Loads the ticket key (ticket_key; empty: no holder can be asked) and the relay's TLS
   settings. why says what is wrong. Call before any thread starts. */
MADO_MUSTCHECK int mado_relay_init(const struct mado_config *cfg, char *why, size_t whylen);
void mado_relay_free(void);

/*
 * Asks every holder of targets (a JSON array of {"holder", "url", "subject", "items"}, as
 * portal.holder_targets gives it) for its part of job, all at once, for a request whose
 * record is committed. MADO_OK: *answers is a new JSON array of {"holder", "sealed"}. The
 * request's database connection is given back while the holders are asked (no pooled
 * connection waits on the network). When any holder has no address, does not answer in
 * time or refuses the ticket (the operational log says which and why), the person's log
 * gets the failed twin of the record (portal.relay_failed) and the result is
 * MADO_E_HOLDER_UNAVAILABLE, whose problem the caller writes.
 */
MADO_MUSTCHECK int mado_relay_answers(struct mado_req *rq, const struct mado_relay_job *job,
				      const cJSON *targets, cJSON **answers);

/* GET /.well-known/mado-ticket-key: the key holders verify tickets with. */
extern const struct mado_route_set mado_relay_routes;

#endif
