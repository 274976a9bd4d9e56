/*
 * The transparency log's server side: every access record and every consent event is a
 * leaf of one Merkle tree (libmado_tlog, include/mado/tlog.h), integrated in batches by
 * one sequencer at a time (a thread of mado, chosen by a PostgreSQL advisory lock),
 * stored as tlog-tiles, with checkpoints signed by the log's key and published once the
 * configured witnesses cosigned them. The public API serves checkpoints, tiles and
 * proofs; a person gets a bundle (record, salt, index, inclusion proof, checkpoint) for
 * each of their records.
 */
#ifndef MADO_TRANSLOG_H
#define MADO_TRANSLOG_H

#include <stddef.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/http.h"

/* Loads the log key (tlog_key; empty: this process does not sequence) and the witness
   settings. why says what is wrong. */
MADO_MUSTCHECK int mado_translog_init(const struct mado_config *cfg, char *why, size_t whylen);
/* Starts and stops the sequencer thread (nothing when no key is configured). */
MADO_MUSTCHECK int mado_translog_start(void);
void mado_translog_stop(void);
void mado_translog_free(void);

extern const struct mado_route_set mado_translog_routes;

/*
 * Bundles for a person's records, against the latest published checkpoint: open once
 * (it reads the checkpoint and caches tiles), ask for each record, close. bundle sets
 * *out to the JSON bundle {"kind", "record", "salt", "index", "proof"} or NULL when the
 * record is not yet in a published checkpoint (MADO_E_NOT_FOUND when it is sealed). The
 * reads run as the person.
 */
struct mado_translog_proofs;
MADO_MUSTCHECK int mado_translog_proofs_open(struct mado_db *db, struct mado_translog_proofs **out);
MADO_MUSTCHECK int mado_translog_bundle(struct mado_translog_proofs *p, const char *person,
					const char *kind, const char *record_id, cJSON **out);
/* The bundles of many records (ids: a PostgreSQL array literal "{1,2,3}"), in leaf order,
   each passed to fn, which takes it (deletes it); records not yet in the checkpoint, or
   sealed, have none. */
typedef int (*mado_translog_bundle_fn)(cJSON *bundle, void *arg);
MADO_MUSTCHECK int mado_translog_bundles(struct mado_translog_proofs *p, const char *person,
					 const char *kind, const char *ids,
					 mado_translog_bundle_fn fn, void *arg);
void mado_translog_proofs_close(struct mado_translog_proofs *p);

/*
 * mado tlog-audit: recomputes every leaf from the rows and the tree from the leaves,
 * compares them with the stored tiles and checkpoints and with the last checkpoint
 * exported to tlog_export_dir. db is the schema owner's connection. Writes what it finds
 * to out; MADO_OK when everything agrees, MADO_E_CONFLICT when something differs (the
 * first differing index named), another error when it could not look.
 */
MADO_MUSTCHECK int mado_translog_audit(const struct mado_config *cfg, struct mado_db *db,
				       FILE *out);

#endif
