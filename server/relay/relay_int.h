/* Shared by the files of server/relay only. */
#ifndef MADO_RELAY_INT_H
#define MADO_RELAY_INT_H

#include <openssl/evp.h>

/* The most holders one access asks (one per holding organisation of its items). */
#define RELAY_HOLDERS_MAX 16

struct relay__cfg {
	EVP_PKEY *key;    /* ticket_key; NULL: no holder can be asked */
	char *public_pem; /* its public key, as /.well-known/mado-ticket-key serves it */
	int ttl_s, timeout_ms;
	const char *cert, *keyfile, *ca; /* relay_cert, relay_key, relay_ca */
};
extern struct relay__cfg relay__cfg;

/* relay.c: frees the kept connections. */
void relay__pool_free(void);

#endif
