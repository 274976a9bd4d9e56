/* The transparency log's parts: settings, the SQL (translog_store.c), the tile reader
   (tiles.c), the sequencer (sequencer.c) and the audit (audit.c). */
#ifndef MADO_TRANSLOG_INT_H
#define MADO_TRANSLOG_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <openssl/evp.h>

#include "mado/config.h"
#include "mado/db.h"
#include "mado/tlog.h"
#include "mado/translog.h"

#define TLOG_TILE_W  256
#define TLOG_HASH    MADO_TLOG_HASH_LEN
#define TLOG_LEVELS  8 /* tile levels: 256^8 leaves */
#define TLOG_MAX_WIT 8

/* The sequencer's advisory lock: pg_try_advisory_lock(TLOG_LOCK_A, TLOG_LOCK_B) ("mado",
   15); sql/functions/translog.sql checks the same pair. */
#define TLOG_LOCK_A 1835099247
#define TLOG_LOCK_B 15

struct tlog_witness {
	char name[128]; /* the key name of its vkey */
	char vkey[256];
	char cmd[1024]; /* run with /bin/sh -c; the input on stdin */
};

struct tlog_settings {
	EVP_PKEY *key; /* NULL: this process does not sequence */
	char origin[256];
	char vkey[512];
	int batch_ms, batch_max;
	char export_dir[512];
	struct tlog_witness witness[TLOG_MAX_WIT];
	int n_witness, needed;
	char db_url[1024];
	int connect_timeout;
};
extern struct tlog_settings translog__cfg;

/* One tile as stored, and the roots of its complete subtrees once computed: the subtree
   of 2^r hashes (r = 1..8) from hash j * 2^r is nodes[TLOG_NODE(r, j)], valid when
   (j + 1) * 2^r <= nodes_width (0: none computed). A proof then reads what it would
   otherwise hash again from the tile's hashes: a proof needs 247 of the 255 hashes of
   each tile on its path. */
#define TLOG_NODE(r, j) ((TLOG_TILE_W - (2 * TLOG_TILE_W >> (r))) + (j))
struct tlog_tile {
	int level;
	uint64_t idx;
	unsigned width;
	unsigned nodes_width;
	unsigned char h[TLOG_TILE_W][TLOG_HASH];
	unsigned char nodes[TLOG_TILE_W - 1][TLOG_HASH];
};
/* Computes the roots of all complete subtrees of t's hashes (width - 1 hashes at most). */
void translog__tile_nodes(struct tlog_tile *t);

/* Reads tiles for the library's tree reader, through fetch, with a small cache. A tile's
   first hashes never change as it grows, so fetch may answer from a copy of it that has
   at least need of them. */
typedef int (*tlog_tile_fetch)(void *ctx, int level, uint64_t idx, unsigned need,
			       struct tlog_tile *t);
struct tlog_tiles {
	tlog_tile_fetch fetch;
	void *ctx;
	struct tlog_tile *cache[16];
	unsigned next;
	/* Tiles that override the fetched ones (the sequencer's right edge). */
	struct tlog_tile *edge[TLOG_LEVELS];
};
void translog__tiles_init(struct tlog_tiles *ts, tlog_tile_fetch fetch, void *ctx);
void translog__tiles_free(struct tlog_tiles *ts);
/* A mado_tlog_reader over ts. */
int translog__read(void *ctx, int level, uint64_t index, unsigned char out[32]);
/* The MTH of n (a power of two) consecutive hashes. */
void translog__subtree(const unsigned char (*h)[TLOG_HASH], unsigned n, unsigned char out[32]);

/* Store: the public reads on a pooled connection. */
int translog__tile_get(struct mado_db *db, int level, uint64_t idx, struct tlog_tile *t);
/* The latest published checkpoint (size < 0 for the latest), cosigned note malloc'd. */
int translog__checkpoint_get(struct mado_db *db, long long size, uint64_t *out_size, char **note);
/* A leaf of the person's: record is NULL when sealed (or gone); it lives only while the
   row function runs. */
struct tlog_leaf_row {
	char record_id[24];
	long long idx;
	char salt[32];
	cJSON *record;
	bool sealed;
};
/* The leaves of the person's records ids (a PostgreSQL array literal "{1,2}"). */
int translog__leaves_of(struct mado_db *db, const char *person, const char *kind, const char *ids,
			int (*fn)(const struct tlog_leaf_row *leaf, void *arg), void *arg);

/* Store: the sequencer's session (its own connection). */
int translog__seq_tile_get(PGconn *c, int level, uint64_t idx, struct tlog_tile *t);

/* The record columns of sql/functions/translog.sql: TLOG_ACCESS_COLS a_* columns, then
   TLOG_CONSENT_COLS c_* ones. */
#define TLOG_ACCESS_COLS  21
#define TLOG_CONSENT_COLS 9
/* The record of kind in res's row from column col (the first a_* column), or NULL when
   its row is gone. The caller deletes it. */
cJSON *translog__record(const char *kind, const PGresult *res, int row, int col);
/* The leaf hash of a record with its salt; NULL, or why it cannot be encoded. */
const char *translog__leaf_hash(const char *kind, const cJSON *record, const unsigned char salt[16],
				unsigned char out[32]);

/* The leaf of kind in res's row (binary format, from column col, the first a_* column)
   into b; NULL, or why it cannot be one. */
const char *translog__leaf_of_row(const char *kind, const PGresult *res, int row, int col,
				  const unsigned char salt[16], struct mado_tlog_leaf *b);

#endif
