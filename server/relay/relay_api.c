/*
 * The relay's settings and its one public route: the key the data holders verify access
 * tickets with, so an agency can configure its holder from Mado's own answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>
#include <openssl/bio.h>
#include <openssl/pem.h>

#include "mado/err.h"
#include "mado/db.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/relay.h"
#include "mado/util.h"
#include "relay_int.h"

static char *
public_pem(EVP_PKEY *key)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b == NULL)
		return NULL;
	if (PEM_write_bio_PUBKEY(b, key) == 1 && (n = BIO_get_mem_data(b, &data)) > 0) {
		out = mado_xmalloc((size_t)n + 1);
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

int
mado_relay_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	static bool curl_ready;

	mado_relay_free();
	if (!curl_ready) {
		/* Before any thread starts: curl's global set-up is not thread-safe. */
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(why, whylen, "relay: libcurl did not start");
			return MADO_E_INTERNAL;
		}
		curl_ready = true;
	}
	relay__cfg.ttl_s = cfg->ticket_ttl_s;
	relay__cfg.timeout_ms = cfg->relay_timeout_ms;
	relay__cfg.cert = cfg->relay_cert;
	relay__cfg.keyfile = cfg->relay_key;
	relay__cfg.ca = cfg->relay_ca;
	if (*cfg->ticket_key == '\0')
		return MADO_OK;
	relay__cfg.key = mado_ed25519_load("ticket_key", cfg->ticket_key, why, whylen);
	if (relay__cfg.key == NULL ||
	    (relay__cfg.public_pem = public_pem(relay__cfg.key)) == NULL) {
		mado_relay_free();
		return MADO_E_INTERNAL;
	}
	return MADO_OK;
}

void
mado_relay_free(void)
{
	relay__pool_free();
	EVP_PKEY_free(relay__cfg.key);
	free(relay__cfg.public_pem);
	relay__cfg.key = NULL;
	relay__cfg.public_pem = NULL;
}

int
mado_relay_answers(struct mado_req *rq, const struct mado_relay_job *job, const cJSON *targets,
		   cJSON **answers)
{
	struct mado_db *db;
	int rc;

	mado_http_db_release(rq);
	if ((rc = relay__ask(job, targets, answers)) == MADO_OK)
		return MADO_OK;
	if (mado_http_db(rq, &db) != MADO_OK || relay__failed(db, job->row, job->record) != MADO_OK)
		mado_log_err(rq->id, "relay: the failed access could not be recorded");
	return rc;
}

/* GET /.well-known/mado-ticket-key: the Ed25519 public key (PEM) tickets are signed with. */
static int
ticket_key(struct mado_req *rq)
{
	if (relay__cfg.public_pem == NULL)
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "this server signs no access tickets");
	mado_http_cache_public(rq, 300, false);
	return mado_http_text(rq, 200, "application/x-pem-file", relay__cfg.public_pem,
			      strlen(relay__cfg.public_pem));
}

static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/.well-known/mado-ticket-key",
     .handler = ticket_key,
     .caller = MADO_PUBLIC},
};

const struct mado_route_set mado_relay_routes = MADO_ROUTE_SET("relay", routes);
