/* Shared by the files of mado-holder (server/holder) only. */
#ifndef MADO_HOLDER_INT_H
#define MADO_HOLDER_INT_H

#include <stdbool.h>
#include <stddef.h>

#include <openssl/evp.h>

#include "mado/seal.h"

/* Request bodies are at most this long. */
#define HOLDER_BODY_MAX 16384
/* Seconds a connection to the holder's database may take before a read is refused. */
#define HOLDER_CONNECT_TIMEOUT 5

/* holder_store.c: the holder's database, a few connections shared by the workers. */
struct holder_store;
/* Opens a pool of n connections to conninfo (made when first needed) and checks that the
   holder schema is there. 0, or -1 with the reason in why. */
int holder_store_open(const char *conninfo, int n, struct holder_store **out, char *why,
		      size_t whylen);
void holder_store_close(struct holder_store *s);

/*
 * Answers ticket t in one transaction: marks its record used, reads the ticket's items the
 * holder holds for t->subject (within its data period, when it has one), hands them to
 * seal (the JSON object {"item": {"value", "as_of"}}) and logs the request as answered.
 * MADO_OK; MADO_E_CONFLICT when the record was answered before (nothing read, nothing
 * logged); MADO_E_DB_UNAVAILABLE; MADO_E_INTERNAL; or seal's error (nothing kept).
 */
int holder_store_answer(struct holder_store *s, const struct mado_ticket *t,
			int (*seal)(const char *items, void *arg), void *arg);
/* Logs a request that was not answered: record may be NULL. 0, or -1 when the database
   would not take it. */
int holder_store_note(struct holder_store *s, const char *record, const char *outcome);

/*
 * An internal read (mado-holder read): in one transaction, writes the internal_reads row
 * of event_id and reads the items (a JSON array of codes) held for pseudonym, whatever
 * their day. MADO_OK with *values the JSON object of the values (malloc'd).
 */
int holder_store_internal_read(struct holder_store *s, const char *event_id, const char *pseudonym,
			       const char *items, const char *officer, const char *purpose,
			       const char *legal_ref, char **values);
/* Marks the internal read event_id as reported to Mado. */
int holder_store_reported(struct holder_store *s, const char *event_id);

/* holder_api.c: the service's one route. */
struct holder_service {
	const char *org;
	EVP_PKEY *mado_key; /* verifies tickets */
	struct holder_store *store;
};
/* Every request ends here (CivetWeb's begin_request); returns the status sent. */
struct mg_connection;
int holder_api_request(struct mg_connection *conn, const struct holder_service *svc);

/* holder_main.c's subcommands. */
int holder_serve(int argc, char **argv);
int holder_read(int argc, char **argv);

#endif
