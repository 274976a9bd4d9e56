/*
 * The transparency log's settings and its public API: the latest published checkpoint
 * (a signed note with the witnesses' cosignatures), tlog-tiles, inclusion and
 * consistency proofs, and the log's verifier key; for the person, the bundle of one of
 * their access records (GET /api/v1/me/access-log/{id}/proof). Anyone can check what
 * these serve with mado-verify, without trusting Mado.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/pem.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/util.h"
#include "translog_int.h"

struct tlog_settings translog__cfg;

/* Tiles read by this process (8 KiB each): the upper levels' apart from the leaves', so
   that random proofs' leaf tiles do not push out the upper tiles every proof shares. */
#define CACHE_UPPER 1024
#define CACHE_LEAF  1024
static struct {
	pthread_mutex_t mu;
	struct tlog_tile *t[CACHE_UPPER + CACHE_LEAF];
	uint64_t published; /* the largest published tree size seen */
} cache = {.mu = PTHREAD_MUTEX_INITIALIZER};

static int
settings_witnesses(const char *list, char *why, size_t whylen)
{
	const char *v = list, *e, *sp, *plus;
	struct tlog_witness *w;

	while (*v != '\0') {
		while (*v == ' ' || *v == ';')
			v++;
		if (*v == '\0')
			break;
		e = v + strcspn(v, ";");
		sp = memchr(v, ' ', (size_t)(e - v));
		plus = sp != NULL ? memchr(v, '+', (size_t)(sp - v)) : NULL;
		if (plus == NULL || translog__cfg.n_witness >= TLOG_MAX_WIT ||
		    (size_t)(sp - v) >= sizeof(w->vkey) || (size_t)(plus - v) >= sizeof(w->name) ||
		    (size_t)(e - sp) >= sizeof(w->cmd)) {
			snprintf(why, whylen,
				 "tlog_witness: a witness is not \"<vkey> <command>\"");
			return MADO_E_INTERNAL;
		}
		w = &translog__cfg.witness[translog__cfg.n_witness++];
		snprintf(w->vkey, sizeof(w->vkey), "%.*s", (int)(sp - v), v);
		snprintf(w->name, sizeof(w->name), "%.*s", (int)(plus - v), v);
		snprintf(w->cmd, sizeof(w->cmd), "%.*s", (int)(e - sp - 1), sp + 1);
		v = e;
	}
	return MADO_OK;
}

int
mado_translog_init(const struct mado_config *cfg, char *why, size_t whylen)
{
	const char *host;

	mado_translog_free();
	if (*cfg->tlog_origin != '\0') {
		snprintf(translog__cfg.origin, sizeof(translog__cfg.origin), "%s",
			 cfg->tlog_origin);
	} else {
		host = strstr(cfg->public_origin, "://");
		host = host != NULL ? host + 3 : cfg->public_origin;
		snprintf(translog__cfg.origin, sizeof(translog__cfg.origin), "%.*s/tlog",
			 (int)strcspn(host, "/"), host);
	}
	translog__cfg.batch_ms = cfg->tlog_batch_ms;
	translog__cfg.batch_max = cfg->tlog_batch_max;
	translog__cfg.needed = cfg->tlog_witness_needed;
	translog__cfg.connect_timeout = cfg->db_connect_timeout;
	snprintf(translog__cfg.export_dir, sizeof(translog__cfg.export_dir), "%s",
		 cfg->tlog_export_dir);
	snprintf(translog__cfg.db_url, sizeof(translog__cfg.db_url), "%s", cfg->db_url);
	if (settings_witnesses(cfg->tlog_witness, why, whylen) != MADO_OK)
		return MADO_E_INTERNAL;
	if (*cfg->tlog_key == '\0')
		return MADO_OK;
	translog__cfg.key = mado_ed25519_load("tlog_key", cfg->tlog_key, why, whylen);
	if (translog__cfg.key == NULL ||
	    mado_tlog_vkey(translog__cfg.origin, translog__cfg.key, translog__cfg.vkey,
			   sizeof(translog__cfg.vkey)) < 0) {
		if (translog__cfg.key != NULL)
			snprintf(why, whylen, "tlog_key: no verifier key for the origin");
		mado_translog_free();
		return MADO_E_INTERNAL;
	}
	return MADO_OK;
}

void
mado_translog_free(void)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(cache.t); i++) {
		free(cache.t[i]);
		cache.t[i] = NULL;
	}
	cache.published = 0;
	EVP_PKEY_free(translog__cfg.key);
	memset(&translog__cfg, 0, sizeof(translog__cfg));
}

/*
 * A tile's first hashes never change as it grows (the database refuses anything else),
 * so a copy of it serves every later proof that needs no more of it than the copy has:
 * the upper tiles every proof shares, the partial tiles at the tree's right edge until
 * they grow past it, and the leaf tiles proofs were asked for lately.
 */
static size_t
cache_slot(int level, uint64_t idx)
{
	uint64_t h = idx * 0x9E3779B97F4A7C15ull + (uint64_t)level;

	return level == 0 ? CACHE_UPPER + (size_t)(h % CACHE_LEAF) : (size_t)(h % CACHE_UPPER);
}

static int
db_fetch(void *ctx, int level, uint64_t idx, unsigned need, struct tlog_tile *t)
{
	size_t k = cache_slot(level, idx);
	struct tlog_tile *c;
	int rc;

	pthread_mutex_lock(&cache.mu);
	c = cache.t[k];
	if (c != NULL && c->level == level && c->idx == idx && c->width >= need) {
		memcpy(t, c, sizeof(*t));
		pthread_mutex_unlock(&cache.mu);
		return MADO_OK;
	}
	pthread_mutex_unlock(&cache.mu);
	if ((rc = translog__tile_get(ctx, level, idx, t)) != MADO_OK)
		return rc;
	/* Once for every later proof through this copy. */
	translog__tile_nodes(t);
	pthread_mutex_lock(&cache.mu);
	if ((c = cache.t[k]) == NULL)
		c = cache.t[k] = mado_xmalloc(sizeof(*t));
	else if (c->level == level && c->idx == idx && c->width > t->width)
		c = NULL; /* another request stored more of it meanwhile */
	if (c != NULL)
		memcpy(c, t, sizeof(*t));
	pthread_mutex_unlock(&cache.mu);
	return MADO_OK;
}

/* Whether a tree of size has a published checkpoint (the published size, once it covers
   size, only grows: asked of the database only when it does not yet). */
static int
published(struct mado_db *db, uint64_t size, uint64_t *pub)
{
	char *note = NULL;
	uint64_t seen;
	int rc;

	pthread_mutex_lock(&cache.mu);
	seen = cache.published;
	pthread_mutex_unlock(&cache.mu);
	if (size <= seen) {
		*pub = seen;
		return MADO_OK;
	}
	rc = translog__checkpoint_get(db, -1, pub, &note);
	free(note);
	if (rc == MADO_E_NOT_FOUND) {
		*pub = 0;
		return MADO_OK;
	}
	if (rc == MADO_OK) {
		pthread_mutex_lock(&cache.mu);
		if (*pub > cache.published)
			cache.published = *pub;
		pthread_mutex_unlock(&cache.mu);
	}
	return rc;
}

/* GET /tlog/v1/checkpoint */
static int
checkpoint(struct mado_req *rq)
{
	struct mado_db *db;
	uint64_t size;
	char *note = NULL;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = translog__checkpoint_get(db, -1, &size, &note)) != MADO_OK)
		return rc == MADO_E_NOT_FOUND
			   ? mado_http_fail(rq, rc, "no checkpoint has been published yet")
			   : rc;
	mado_http_cache_public(rq, 5, false);
	rc = mado_http_text(rq, 200, "text/plain; charset=utf-8", note, strlen(note));
	free(note);
	return rc;
}

/* GET /.well-known/mado-tlog-vkey: the log's verifier key (signed-note form). */
static int
vkey(struct mado_req *rq)
{
	char line[600];

	if (translog__cfg.vkey[0] == '\0')
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "this server has no log key");
	snprintf(line, sizeof(line), "%s\n", translog__cfg.vkey);
	mado_http_cache_public(rq, 300, false);
	return mado_http_text(rq, 200, "text/plain; charset=utf-8", line, strlen(line));
}

/* GET /.well-known/mado-tlog-witnesses: the witnesses' verifier keys this log hands its
   checkpoints to, and how many must cosign one before people see it. What the browser
   checks a bundle against; an outside verifier takes the keys from the witnesses. */
static int
witnesses(struct mado_req *rq)
{
	cJSON *o = cJSON_CreateObject(), *a = cJSON_AddArrayToObject(o, "witnesses");
	int i;

	cJSON_AddNumberToObject(o, "needed", translog__cfg.needed);
	for (i = 0; i < translog__cfg.n_witness; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(translog__cfg.witness[i].vkey));
	mado_http_cache_public(rq, 300, false);
	return mado_http_json(rq, 200, o);
}

/* GET /tlog/v1/tile/...: the segments after tile/, as tlog-tiles names them. */
static int
tile(struct mado_req *rq)
{
	char path[MADO_MAX_PARAMS * (MADO_PARAM_MAX + 1) + 8];
	struct tlog_tile *t;
	struct mado_db *db;
	size_t off;
	uint64_t n;
	unsigned width;
	int level, i, rc;

	off = (size_t)snprintf(path, sizeof(path), "tile");
	for (i = 0; i < rq->nparams; i++)
		off += (size_t)snprintf(path + off, sizeof(path) - off, "/%s", rq->params[i]);
	if (mado_tlog_tile_parse(path, &level, &n, &width) != 0 || level < 0 ||
	    level >= TLOG_LEVELS)
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such tile");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	t = mado_xmalloc(sizeof(*t));
	rc = translog__tile_get(db, level, n, t);
	if (rc == MADO_OK && width == 0)
		width = TLOG_TILE_W;
	if (rc == MADO_E_NOT_FOUND || (rc == MADO_OK && t->width < width)) {
		free(t);
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such tile");
	}
	if (rc == MADO_OK) {
		/* A tile's first `width` hashes never change. */
		mado_http_cache_public(rq, 31536000, true);
		rc = mado_http_text(rq, 200, "application/octet-stream", t->h,
				    (size_t)width * TLOG_HASH);
	}
	free(t);
	return rc;
}

static cJSON *
hashes_json(unsigned char (*path)[32], size_t n)
{
	cJSON *a = cJSON_CreateArray();
	char b64[48];
	size_t i;

	for (i = 0; i < n; i++) {
		mado_b64(path[i], 32, b64);
		cJSON_AddItemToArray(a, cJSON_CreateString(b64));
	}
	return a;
}

static bool
query_u64(struct mado_req *rq, const char *name, uint64_t *out)
{
	const char *v = mado_http_query(rq, name);

	if (v == NULL)
		return false;
	*out = strtoull(v, NULL, 10);
	return true;
}

/* GET /tlog/v1/proof/inclusion?index=&size= */
static int
proof_inclusion(struct mado_req *rq)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	struct tlog_tiles tiles;
	struct mado_db *db;
	uint64_t index, size, pub;
	size_t n = 0;
	cJSON *o;
	int rc;

	if (!query_u64(rq, "index", &index) || !query_u64(rq, "size", &size))
		return mado_http_fail(rq, MADO_E_VALIDATION, "index and size are required");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK || (rc = published(db, size, &pub)) != MADO_OK)
		return rc;
	if (index >= size || size > pub) {
		mado_http_ext(rq, "field", index >= size ? "index" : "size");
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "index must be below size, and size at most the published "
				      "tree's (%llu)",
				      (unsigned long long)pub);
	}
	translog__tiles_init(&tiles, db_fetch, db);
	rc = mado_tlog_prove_inclusion(index, size, translog__read, &tiles, path, &n);
	translog__tiles_free(&tiles);
	if (rc != 0)
		return MADO_E_INTERNAL;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "index", (double)index);
	cJSON_AddNumberToObject(o, "size", (double)size);
	cJSON_AddItemToObject(o, "hashes", hashes_json(path, n));
	mado_http_cache_public(rq, 31536000, true);
	return mado_http_json(rq, 200, o);
}

/* GET /tlog/v1/proof/consistency?old=&new= */
static int
proof_consistency(struct mado_req *rq)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	struct tlog_tiles tiles;
	struct mado_db *db;
	uint64_t old, new, pub;
	size_t n = 0;
	cJSON *o;
	int rc;

	if (!query_u64(rq, "old", &old) || !query_u64(rq, "new", &new))
		return mado_http_fail(rq, MADO_E_VALIDATION, "old and new are required");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK || (rc = published(db, new, &pub)) != MADO_OK)
		return rc;
	if (old < 1 || old > new || new > pub) {
		mado_http_ext(rq, "field", old < 1 || old > new ? "old" : "new");
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "1 <= old <= new <= the published tree's size (%llu)",
				      (unsigned long long)pub);
	}
	translog__tiles_init(&tiles, db_fetch, db);
	rc = mado_tlog_prove_consistency(old, new, translog__read, &tiles, path, &n);
	translog__tiles_free(&tiles);
	if (rc != 0)
		return MADO_E_INTERNAL;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "old", (double)old);
	cJSON_AddNumberToObject(o, "new", (double)new);
	cJSON_AddItemToObject(o, "hashes", hashes_json(path, n));
	mado_http_cache_public(rq, 31536000, true);
	return mado_http_json(rq, 200, o);
}

/* The person's bundles. */
struct mado_translog_proofs {
	struct mado_db *db;
	struct tlog_tiles tiles;
	uint64_t size;
	char *note;
};

int
mado_translog_proofs_open(struct mado_db *db, struct mado_translog_proofs **out)
{
	struct mado_translog_proofs *p = mado_xmalloc(sizeof(*p));
	int rc;

	memset(p, 0, sizeof(*p));
	p->db = db;
	translog__tiles_init(&p->tiles, db_fetch, db);
	rc = translog__checkpoint_get(db, -1, &p->size, &p->note);
	if (rc == MADO_E_NOT_FOUND)
		rc = MADO_OK; /* nothing published: every bundle is pending */
	if (rc != MADO_OK) {
		mado_translog_proofs_close(p);
		p = NULL;
	}
	*out = p;
	return rc;
}

void
mado_translog_proofs_close(struct mado_translog_proofs *p)
{
	if (p == NULL)
		return;
	translog__tiles_free(&p->tiles);
	free(p->note);
	free(p);
}

/* The bundle of one leaf against p's checkpoint, or NULL (sealed, gone, not yet in it). */
static int
make_bundle(struct mado_translog_proofs *p, const char *kind, const struct tlog_leaf_row *leaf,
	    cJSON **out)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	size_t n = 0;
	char *text;
	cJSON *o, *rec;

	*out = NULL;
	if (leaf->record == NULL || p->note == NULL || (uint64_t)leaf->idx >= p->size)
		return MADO_OK;
	if (mado_tlog_prove_inclusion((uint64_t)leaf->idx, p->size, translog__read, &p->tiles, path,
				      &n) != 0 ||
	    (rec = cJSON_Duplicate(leaf->record, true)) == NULL)
		return MADO_E_INTERNAL;
	if ((text = mado_tlog_proof_text((uint64_t)leaf->idx, (const unsigned char(*)[32])path, n,
					 p->note)) == NULL) {
		cJSON_Delete(rec);
		return MADO_E_INTERNAL;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddItemToObject(o, "record", rec);
	cJSON_AddStringToObject(o, "salt", leaf->salt);
	cJSON_AddNumberToObject(o, "index", (double)leaf->idx);
	cJSON_AddStringToObject(o, "proof", text);
	free(text);
	*out = o;
	return MADO_OK;
}

struct each {
	struct mado_translog_proofs *p;
	const char *kind;
	mado_translog_bundle_fn fn;
	void *arg;
	bool sealed; /* the last leaf seen was sealed */
};

static int
each_leaf(const struct tlog_leaf_row *leaf, void *arg)
{
	struct each *e = arg;
	cJSON *b;
	int rc;

	e->sealed = leaf->sealed;
	if ((rc = make_bundle(e->p, e->kind, leaf, &b)) != MADO_OK || b == NULL)
		return rc;
	return e->fn(b, e->arg);
}

int
mado_translog_bundles(struct mado_translog_proofs *p, const char *person, const char *kind,
		      const char *ids, mado_translog_bundle_fn fn, void *arg)
{
	struct each e = {p, kind, fn, arg, false};

	if (p->note == NULL)
		return MADO_OK;
	return translog__leaves_of(p->db, person, kind, ids, each_leaf, &e);
}

static int
keep_one(cJSON *bundle, void *arg)
{
	*(cJSON **)arg = bundle;
	return MADO_OK;
}

int
mado_translog_bundle(struct mado_translog_proofs *p, const char *person, const char *kind,
		     const char *record_id, cJSON **out)
{
	struct each e = {p, kind, keep_one, out, false};
	char ids[40];
	int rc;

	*out = NULL;
	if (p->note == NULL)
		return MADO_OK;
	snprintf(ids, sizeof(ids), "{%s}", record_id);
	rc = translog__leaves_of(p->db, person, kind, ids, each_leaf, &e);
	if (rc == MADO_OK && e.sealed)
		rc = MADO_E_NOT_FOUND;
	return rc;
}

/* GET /api/v1/me/access-log/{id}/proof: the entry's bundle, once it is in a published
   checkpoint (409 proof-pending before, usually for a second or two). */
static int
entry_proof(struct mado_req *rq)
{
	struct mado_translog_proofs *p;
	struct mado_db *db;
	cJSON *b = NULL;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = mado_translog_proofs_open(db, &p)) != MADO_OK)
		return rc;
	rc = mado_translog_bundle(p, rq->actor.person_id, "access", rq->params[0], &b);
	mado_translog_proofs_close(p);
	if (rc == MADO_E_NOT_FOUND)
		return mado_http_fail(rq, rc,
				      "the entry is sealed; its bundle comes when the seal "
				      "opens");
	if (rc != MADO_OK)
		return rc;
	if (b == NULL)
		return mado_http_fail(rq, MADO_E_PROOF_PENDING,
				      "this entry is not in a published checkpoint yet");
	return mado_http_json(rq, 200, b);
}

/* The segments of a tile's path, each checked only as short text (mado_tlog_tile_parse
   decides); one list for each number of segments. */
#define SEG(n)                                                                                     \
	{                                                                                          \
		.name = (n), .kind = MADO_K_TEXT, .min = 1, .max = 8                               \
	}
static const struct mado_field seg2[] = {SEG("l"), SEG("a"), MADO_FIELDS_END};
static const struct mado_field seg3[] = {SEG("l"), SEG("a"), SEG("b"), MADO_FIELDS_END};
static const struct mado_field seg4[] = {SEG("l"), SEG("a"), SEG("b"), SEG("c"), MADO_FIELDS_END};
static const struct mado_field seg5[] = {SEG("l"), SEG("a"), SEG("b"),
					 SEG("c"), SEG("d"), MADO_FIELDS_END};
static const struct mado_field seg6[] = {SEG("l"), SEG("a"), SEG("b"),       SEG("c"),
					 SEG("d"), SEG("e"), MADO_FIELDS_END};
static const struct mado_field inclusion_query[] = {
    {.name = "index", .kind = MADO_K_INT, .required = true, .min = 0, .max = LLONG_MAX / 2},
    {.name = "size", .kind = MADO_K_INT, .required = true, .min = 1, .max = LLONG_MAX / 2},
    MADO_FIELDS_END};
static const struct mado_field consistency_query[] = {
    {.name = "old", .kind = MADO_K_INT, .required = true, .min = 1, .max = LLONG_MAX / 2},
    {.name = "new", .kind = MADO_K_INT, .required = true, .min = 1, .max = LLONG_MAX / 2},
    MADO_FIELDS_END};
static const struct mado_field entry_path[] = {{.name = "id", .kind = MADO_K_ID}, MADO_FIELDS_END};

/* tlog-tiles paths have two to six segments after tile/ ("0/x001/234.p/5"). */
#define TILE_ROUTE(pat, segs)                                                                      \
	{                                                                                          \
		.method = "GET", .pattern = (pat), .handler = tile, .caller = MADO_PUBLIC,         \
		.path = (segs)                                                                     \
	}
static const struct mado_route routes[] = {
    {.method = "GET",
     .pattern = "/tlog/v1/checkpoint",
     .handler = checkpoint,
     .caller = MADO_PUBLIC},
    TILE_ROUTE("/tlog/v1/tile/{l}/{a}", seg2),
    TILE_ROUTE("/tlog/v1/tile/{l}/{a}/{b}", seg3),
    TILE_ROUTE("/tlog/v1/tile/{l}/{a}/{b}/{c}", seg4),
    TILE_ROUTE("/tlog/v1/tile/{l}/{a}/{b}/{c}/{d}", seg5),
    TILE_ROUTE("/tlog/v1/tile/{l}/{a}/{b}/{c}/{d}/{e}", seg6),
    {.method = "GET",
     .pattern = "/tlog/v1/proof/inclusion",
     .handler = proof_inclusion,
     .caller = MADO_PUBLIC,
     .query = inclusion_query},
    {.method = "GET",
     .pattern = "/tlog/v1/proof/consistency",
     .handler = proof_consistency,
     .caller = MADO_PUBLIC,
     .query = consistency_query},
    {.method = "GET",
     .pattern = "/.well-known/mado-tlog-vkey",
     .handler = vkey,
     .caller = MADO_PUBLIC},
    {.method = "GET",
     .pattern = "/.well-known/mado-tlog-witnesses",
     .handler = witnesses,
     .caller = MADO_PUBLIC},
    {.method = "GET",
     .pattern = "/api/v1/me/access-log/{id}/proof",
     .handler = entry_proof,
     .acts = MADO_ACT_ACCESS_LOG,
     .path = entry_path},
};

const struct mado_route_set mado_translog_routes = MADO_ROUTE_SET("translog", routes);
