/*
 * Access transparency: the agency gateway (queries answered only with their access
 * record, reported accesses), the person's access log with its summary, export and
 * coverage list, disputes with freezes, and alerts into the notice list.
 */
#ifndef MADO_ACCESS_H
#define MADO_ACCESS_H

#include <stddef.h>

#include <openssl/x509.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/http.h"

/* Sets up the gateway's organisation trust (none when org_trust_dir is empty) and
   registers the gateway's gate. */
MADO_MUSTCHECK int mado_access_init(const struct mado_config *cfg, char *why, size_t whylen);
void mado_access_free(void);
/* Creates this and the next months' access-log partitions (start-up and month turns). */
MADO_MUSTCHECK int mado_access_partitions(struct mado_db *db);

/* Binds an organisation's client certificate (for mado org-cert); the certificate must
   pass the organisation trust checks at now. */
MADO_MUSTCHECK int mado_access_add_org_cert(struct mado_db *db, const struct mado_config *cfg,
					    const char *org, X509 *cert, char *why, size_t whylen);

/* The shared checks of data item lists (obj's "items": 1 to 32 distinct codes, written as
   a PostgreSQL array literal), codes and dates, for other modules' input. */
bool mado_access_items(const cJSON *obj, char *lit, size_t litlen, char *why, size_t whylen);
bool mado_access_code_ok(const char *s);
bool mado_access_date_ok(const char *s);

/* Handlers (server/access/), named in the route table. */
int access__api_gw_query(struct mado_req *rq);
int access__api_gw_report(struct mado_req *rq);
int access__api_gw_disputes(struct mado_req *rq);
int access__api_gw_dispute_answer(struct mado_req *rq);
int access__api_gw_reveal_request(struct mado_req *rq);
int access__api_gw_reveals(struct mado_req *rq);
int access__api_gw_reveal_answer(struct mado_req *rq);
int access__api_log(struct mado_req *rq);
int access__api_log_entry(struct mado_req *rq);
int access__api_log_summary(struct mado_req *rq);
int access__api_log_export(struct mado_req *rq);
int access__api_dispute_open(struct mado_req *rq);
int access__api_disputes(struct mado_req *rq);
int access__api_alerts_get(struct mado_req *rq);
int access__api_alerts_put(struct mado_req *rq);
int access__api_notices(struct mado_req *rq);
int access__api_notice_read(struct mado_req *rq);
int access__api_coverage(struct mado_req *rq);
int access__api_catalogue(struct mado_req *rq);

#endif
