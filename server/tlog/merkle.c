/*
 * RFC 9162 Merkle trees: hashing, proofs over a stored tree read through a reader of
 * complete subtrees, their verification, and tlog-tiles paths.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mado/tlog.h"
#include "tlog_int.h"

/* SHA-256 fetched once: an implicit fetch on every hash costs more than the hash. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void
sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

const EVP_MD *
mado_tlog_sha256(void)
{
	pthread_once(&sha256_once, sha256_fetch);
	return sha256_md != NULL ? sha256_md : EVP_sha256();
}

static void
sha256_parts(const void *a, size_t alen, const void *b, size_t blen, const void *c, size_t clen,
	     unsigned char out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 32;

	/* Only allocation can fail here; a hash then cannot be had at all. */
	if (ctx == NULL || EVP_DigestInit_ex2(ctx, mado_tlog_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 || (blen && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    (clen && EVP_DigestUpdate(ctx, c, clen) != 1) || EVP_DigestFinal_ex(ctx, out, &n) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
}

void
mado_tlog_leaf_hash(const void *data, size_t len, unsigned char out[32])
{
	static const unsigned char zero = 0x00;

	sha256_parts(&zero, 1, data, len, NULL, 0, out);
}

void
mado_tlog_node_hash(const unsigned char l[32], const unsigned char r[32], unsigned char out[32])
{
	static const unsigned char one = 0x01;

	sha256_parts(&one, 1, l, 32, r, 32, out);
}

/* The largest power of two smaller than n (n > 1). */
static uint64_t
split_of(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

static int
level_of(uint64_t pow2)
{
	int l = 0;

	while ((UINT64_C(1) << l) < pow2)
		l++;
	return l;
}

/*
 * MTH(D[lo:hi]) for the ranges the RFC's recursion reaches: lo is a multiple of the
 * largest power of two below hi - lo, so every complete part is a stored subtree.
 */
static int
range_hash(uint64_t lo, uint64_t hi, mado_tlog_reader rd, void *ctx, unsigned char out[32])
{
	unsigned char l[32], r[32];
	uint64_t n = hi - lo, k;

	if ((n & (n - 1)) == 0) {
		int level = level_of(n);

		if ((lo & (n - 1)) != 0)
			return -1;
		return rd(ctx, level, lo >> level, out) == 0 ? 0 : -1;
	}
	k = split_of(n);
	if (range_hash(lo, lo + k, rd, ctx, l) != 0 || range_hash(lo + k, hi, rd, ctx, r) != 0)
		return -1;
	mado_tlog_node_hash(l, r, out);
	return 0;
}

int
mado_tlog_root(uint64_t size, mado_tlog_reader rd, void *ctx, unsigned char out[32])
{
	if (size == 0) {
		sha256_parts("", 0, NULL, 0, NULL, 0, out);
		return 0;
	}
	return range_hash(0, size, rd, ctx, out);
}

/* PATH(m, D[lo:hi]) appended to path, the leaf's sibling first. */
static int
inclusion(uint64_t m, uint64_t lo, uint64_t hi, mado_tlog_reader rd, void *ctx,
	  unsigned char path[][32], size_t *n)
{
	uint64_t k;

	if (hi - lo == 1)
		return 0;
	k = split_of(hi - lo);
	if (m < lo + k) {
		if (inclusion(m, lo, lo + k, rd, ctx, path, n) != 0 || *n >= MADO_TLOG_MAX_PATH ||
		    range_hash(lo + k, hi, rd, ctx, path[*n]) != 0)
			return -1;
	} else {
		if (inclusion(m, lo + k, hi, rd, ctx, path, n) != 0 || *n >= MADO_TLOG_MAX_PATH ||
		    range_hash(lo, lo + k, rd, ctx, path[*n]) != 0)
			return -1;
	}
	(*n)++;
	return 0;
}

int
mado_tlog_prove_inclusion(uint64_t index, uint64_t size, mado_tlog_reader rd, void *ctx,
			  unsigned char path[][32], size_t *n)
{
	*n = 0;
	if (index >= size)
		return -1;
	return inclusion(index, 0, size, rd, ctx, path, n);
}

/* SUBPROOF(m - lo, D[lo:hi], b) appended to path. */
static int
subproof(uint64_t m, uint64_t lo, uint64_t hi, bool b, mado_tlog_reader rd, void *ctx,
	 unsigned char path[][32], size_t *n)
{
	uint64_t k;

	if (m == hi) {
		if (b)
			return 0;
		if (*n >= MADO_TLOG_MAX_PATH || range_hash(lo, hi, rd, ctx, path[*n]) != 0)
			return -1;
		(*n)++;
		return 0;
	}
	k = split_of(hi - lo);
	if (m <= lo + k) {
		if (subproof(m, lo, lo + k, b, rd, ctx, path, n) != 0 || *n >= MADO_TLOG_MAX_PATH ||
		    range_hash(lo + k, hi, rd, ctx, path[*n]) != 0)
			return -1;
	} else {
		if (subproof(m, lo + k, hi, false, rd, ctx, path, n) != 0 ||
		    *n >= MADO_TLOG_MAX_PATH || range_hash(lo, lo + k, rd, ctx, path[*n]) != 0)
			return -1;
	}
	(*n)++;
	return 0;
}

int
mado_tlog_prove_consistency(uint64_t size1, uint64_t size2, mado_tlog_reader rd, void *ctx,
			    unsigned char path[][32], size_t *n)
{
	*n = 0;
	if (size1 == 0 || size1 > size2)
		return -1;
	return subproof(size1, 0, size2, true, rd, ctx, path, n);
}

static int
bit_length(uint64_t x)
{
	int n = 0;

	while (x != 0) {
		n++;
		x >>= 1;
	}
	return n;
}

static int
popcount(uint64_t x)
{
	int n = 0;

	while (x != 0) {
		n += (int)(x & 1);
		x >>= 1;
	}
	return n;
}

bool
mado_tlog_verify_inclusion(uint64_t index, uint64_t size, const unsigned char leaf[32],
			   const unsigned char path[][32], size_t n, const unsigned char root[32])
{
	unsigned char r[32];
	uint64_t fn, sn;
	int inner;
	size_t i;

	if (index >= size)
		return false;
	inner = bit_length(index ^ (size - 1));
	if (n != (size_t)(inner + popcount(index >> inner)))
		return false;
	fn = index;
	sn = size - 1;
	memcpy(r, leaf, 32);
	for (i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			mado_tlog_node_hash(path[i], r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			mado_tlog_node_hash(r, path[i], r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, 32) == 0;
}

bool
mado_tlog_verify_consistency(uint64_t size1, uint64_t size2, const unsigned char root1[32],
			     const unsigned char root2[32], const unsigned char path[][32],
			     size_t n)
{
	unsigned char fr[32], sr[32];
	uint64_t fn, sn;
	size_t i = 0;

	if (size1 > size2 || size1 == 0)
		return false;
	if (size1 == size2)
		return n == 0 && memcmp(root1, root2, 32) == 0;
	if (n == 0 || n > MADO_TLOG_MAX_PATH)
		return false;
	/* A power-of-two old tree is itself the proof's first node: its root. */
	if ((size1 & (size1 - 1)) == 0) {
		memcpy(fr, root1, 32);
	} else {
		memcpy(fr, path[0], 32);
		i = 1;
	}
	memcpy(sr, fr, 32);
	fn = size1 - 1;
	sn = size2 - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	for (; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			mado_tlog_node_hash(path[i], fr, fr);
			mado_tlog_node_hash(path[i], sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			mado_tlog_node_hash(sr, path[i], sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root1, 32) == 0 && memcmp(sr, root2, 32) == 0;
}

int
mado_tlog_tile_path(char *buf, size_t cap, int level, uint64_t n, unsigned width)
{
	char digits[32], *p = buf;
	size_t len, i, first, left = cap;
	int w;

	if (level < -1 || level > 63 || width > MADO_TLOG_TILE_WIDTH)
		return -1;
	len = (size_t)snprintf(digits, sizeof(digits), "%" PRIu64, n);
	/* Pad to a multiple of three digits, then every group but the last has an "x". */
	first = (3 - len % 3) % 3;
	memmove(digits + first, digits, len + 1);
	memset(digits, '0', first);
	len += first;
	if (level < 0)
		w = snprintf(p, left, "tile/entries/");
	else
		w = snprintf(p, left, "tile/%d/", level);
	if (w < 0 || (size_t)w >= left)
		return -1;
	p += w;
	left -= (size_t)w;
	for (i = 0; i < len; i += 3) {
		w = snprintf(p, left, "%s%.3s%s", i + 3 < len ? "x" : "", digits + i,
			     i + 3 < len ? "/" : "");
		if (w < 0 || (size_t)w >= left)
			return -1;
		p += w;
		left -= (size_t)w;
	}
	if (width != 0 && width != MADO_TLOG_TILE_WIDTH) {
		w = snprintf(p, left, ".p/%u", width);
		if (w < 0 || (size_t)w >= left)
			return -1;
		p += w;
	}
	return (int)(p - buf);
}

static bool
digit3(const char *p)
{
	return p[0] >= '0' && p[0] <= '9' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
	       p[2] <= '9';
}

int
mado_tlog_tile_parse(const char *path, int *level, uint64_t *n, unsigned *width)
{
	const char *p;
	uint64_t v = 0, w;
	bool first = true;
	size_t len;

	if (strncmp(path, "tile/", 5) != 0)
		return -1;
	p = path + 5;
	if (strncmp(p, "entries/", 8) == 0) {
		*level = -1;
		p += 8;
	} else {
		len = strspn(p, "0123456789");
		if (len == 0 || len > 2 || p[len] != '/' || !mado_tlog_decimal(p, len, &w) ||
		    w > 63)
			return -1;
		*level = (int)w;
		p += len + 1;
	}
	/* "x123/" groups, then the last "123"; no leading group of zeros. */
	while (*p == 'x') {
		if (!digit3(p + 1) || p[4] != '/' || (first && strncmp(p + 1, "000", 3) == 0))
			return -1;
		if (v > (UINT64_MAX - 999) / 1000)
			return -1;
		v = v * 1000 + (uint64_t)((p[1] - '0') * 100 + (p[2] - '0') * 10 + (p[3] - '0'));
		first = false;
		p += 5;
	}
	if (!digit3(p))
		return -1;
	w = (uint64_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	if (v > (UINT64_MAX - w) / 1000)
		return -1;
	*n = v * 1000 + w;
	p += 3;
	*width = MADO_TLOG_TILE_WIDTH;
	if (*p == '\0')
		return 0;
	if (strncmp(p, ".p/", 3) != 0)
		return -1;
	p += 3;
	len = strlen(p);
	if (len == 0 || len > 3 || strspn(p, "0123456789") != len ||
	    !mado_tlog_decimal(p, len, &w) || w == 0 || w >= MADO_TLOG_TILE_WIDTH)
		return -1;
	*width = (unsigned)w;
	return 0;
}
