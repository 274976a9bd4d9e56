/*
 * The tree as stored: tlog-tiles of 256 hashes, height 8. The library asks for the hash
 * of a complete subtree at (binary level, index); a subtree at level 8T + r is the MTH of
 * 2^r consecutive hashes of one tile at tile level T, so any proof reads O(log n) tiles.
 */
#include <stdlib.h>
#include <string.h>

#include "mado/err.h"
#include "mado/util.h"
#include "translog_int.h"

void
translog__tiles_init(struct tlog_tiles *ts, tlog_tile_fetch fetch, void *ctx)
{
	memset(ts, 0, sizeof(*ts));
	ts->fetch = fetch;
	ts->ctx = ctx;
}

void
translog__tiles_free(struct tlog_tiles *ts)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(ts->cache); i++)
		free(ts->cache[i]);
	memset(ts->cache, 0, sizeof(ts->cache));
}

void
translog__subtree(const unsigned char (*h)[TLOG_HASH], unsigned n, unsigned char out[32])
{
	unsigned char l[32], r[32];

	if (n == 1) {
		memcpy(out, h[0], 32);
		return;
	}
	translog__subtree(h, n / 2, l);
	translog__subtree(h + n / 2, n / 2, r);
	mado_tlog_node_hash(l, r, out);
}

void
translog__tile_nodes(struct tlog_tile *t)
{
	unsigned r, j;

	for (r = 1; r <= 8; r++)
		for (j = 0; (j + 1) << r <= t->width; j++)
			mado_tlog_node_hash(
			    r == 1 ? t->h[2 * j] : t->nodes[TLOG_NODE(r - 1, 2 * j)],
			    r == 1 ? t->h[2 * j + 1] : t->nodes[TLOG_NODE(r - 1, 2 * j + 1)],
			    t->nodes[TLOG_NODE(r, j)]);
	t->nodes_width = t->width;
}

/* Tile (level, idx) with at least its first need hashes. */
static const struct tlog_tile *
tile(struct tlog_tiles *ts, int level, uint64_t idx, unsigned need)
{
	struct tlog_tile *t = NULL;
	size_t i;

	if (level < TLOG_LEVELS && ts->edge[level] != NULL && ts->edge[level]->idx == idx)
		return ts->edge[level];
	for (i = 0; i < MADO_NELEM(ts->cache) && t == NULL; i++)
		if (ts->cache[i] != NULL && ts->cache[i]->level == level &&
		    ts->cache[i]->idx == idx)
			t = ts->cache[i];
	if (t != NULL && t->width >= need)
		return t;
	if (t == NULL) {
		i = ts->next++ % MADO_NELEM(ts->cache);
		if (ts->cache[i] == NULL)
			ts->cache[i] = mado_xmalloc(sizeof(struct tlog_tile));
		t = ts->cache[i];
	}
	if (ts->fetch(ts->ctx, level, idx, need, t) != MADO_OK || t->width < need) {
		t->level = -1;
		return NULL;
	}
	return t;
}

int
translog__read(void *ctx, int level, uint64_t index, unsigned char out[32])
{
	struct tlog_tiles *ts = ctx;
	const struct tlog_tile *t;
	int tl = level / 8, r = level % 8;
	uint64_t first;
	unsigned n = 1u << r, at;

	if (level < 0 || tl >= TLOG_LEVELS || index > (UINT64_MAX >> (level + 1)))
		return -1;
	first = index << r; /* the first hash of tile level tl */
	at = (unsigned)(first % TLOG_TILE_W);
	if ((t = tile(ts, tl, first / TLOG_TILE_W, at + n)) == NULL)
		return -1;
	if (r > 0 && at + n <= t->nodes_width)
		memcpy(out, t->nodes[TLOG_NODE(r, at >> r)], TLOG_HASH);
	else
		translog__subtree(&t->h[at], n, out);
	return 0;
}
