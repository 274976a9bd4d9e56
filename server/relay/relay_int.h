/* Shared by the files of server/relay only. */
#ifndef MADO_RELAY_INT_H
#define MADO_RELAY_INT_H

#include <openssl/evp.h>

#include <cjson/cJSON.h>

/* The most holders one access asks (one per holding organisation of its items). */
#define RELAY_HOLDERS_MAX 16

struct relay__cfg {
	EVP_PKEY *key;    /* ticket_key; NULL: no holder can be asked */
	char *public_pem; /* its public key, as /.well-known/mado-ticket-key serves it */
	int ttl_s, timeout_ms;
	const char *cert, *keyfile, *ca; /* relay_cert, relay_key, relay_ca */
};
extern struct relay__cfg relay__cfg;

/* relay.c: asks the holders (mado_relay_answers without the request); frees the kept
   connections. */
struct mado_relay_job;
int relay__ask(const struct mado_relay_job *job, const cJSON *targets, cJSON **answers);
void relay__pool_free(void);

/* relay_store.c: the failed twin of record row (event id event). */
struct mado_db;
int relay__failed(struct mado_db *db, const char *row, const char *event);

#endif
