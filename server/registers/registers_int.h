/* Shared by the files of server/registers only. */
#ifndef MADO_REGISTERS_INT_H
#define MADO_REGISTERS_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/db.h"

/* One version of a register entry, and what the public history says of it. */
struct registers_version {
	const char *id, *kind, *key, *version, *content /* JSON */, *approved_at, *proposal,
	    *proposer, *proposed_at, *approved_by;
};

/* One proposal, as the supervisor sees it. */
struct registers_proposal {
	const char *id, *kind, *key, *content /* JSON */, *proposer, *proposer_key, *note,
	    *proposed_at, *status, *decided_at, *decided_by, *current /* JSON */;
};

/* Open seals of one organisation. */
struct registers_seal_org {
	const char *org, *open, *unconfirmed, *oldest_open, *oldest_open_age_s, *oldest_unconfirmed,
	    *oldest_unconfirmed_age_s, *opened_by_grace;
};

/* A seal awaiting the supervisor's confirmation. */
struct registers_seal {
	const char *entry, *org, *approval_ref, *sealing_body, *sealed_until, *outcome,
	    *recorded_at, *grace_until;
};

/* A sealing body the supervisor named, and the organisation that speaks for it. */
struct registers_body {
	const char *name, *org, *named_at;
};

struct registers_made {
	char proposal[24];
	char reason[32];
};

struct registers_decided {
	char reason[32];
	char version_id[24];
	char version[16];
};

/* registers_store.c: the SQL; decisions through sql/functions/registers.sql. */
int registers__propose(struct mado_db *db, const char *kind, const char *content,
		       const char *proposer, const char *proposer_key, const char *note,
		       struct registers_made *out);
int registers__decide(struct mado_db *db, const char *proposal, bool approve, const char *staff_ref,
		      const char *note, struct registers_decided *out);
/* The reference of the active staff member whose key this is ("" for none). */
int registers__staff_ref(struct mado_db *db, const char *key_hash, char *ref, size_t len);
/* The ids of the proposals awaiting a decision, oldest first, each to fn (a string). */
int registers__pending_ids(struct mado_db *db, mado_db_row_fn fn, void *arg);
/* kind NULL: every kind. */
int registers__current(struct mado_db *db, const char *kind, mado_db_row_fn fn, void *arg);
int registers__history(struct mado_db *db, const char *kind, const char *key, const char *id,
		       mado_db_row_fn fn, void *arg);
/* status "pending" or "all". */
int registers__proposals(struct mado_db *db, const char *status, mado_db_row_fn fn, void *arg);
int registers__seals_by_org(struct mado_db *db, mado_db_row_fn fn, void *arg);
int registers__seals_pending(struct mado_db *db, mado_db_row_fn fn, void *arg);
/* reason "" when confirmed, else seal_confirm's word. */
int registers__seal_confirm(struct mado_db *db, const char *entry, const char *staff_ref,
			    const char *note, char *reason, size_t len);

/* The named sealing body's organisation confirms (reason as seal_confirm's). */
int registers__seal_confirm_by_body(struct mado_db *db, const char *entry, const char *org,
				    const char *note, char *reason, size_t len);
/* The supervisor names the organisation of a sealing body: reason "", staff, organisation
   or conflict. */
int registers__sealing_body_name(struct mado_db *db, const char *name, const char *org,
				 const char *staff_ref, char *reason, size_t len);
int registers__sealing_bodies(struct mado_db *db, mado_db_row_fn fn, void *arg);

/* The reasons of register_propose and register_decide. */
extern const struct mado_reason registers__reasons[];

#endif
