/*
 * mado tlog-audit: the tree as the rows say it should be, against the tree as stored and
 * the checkpoint exported outside the database. Leaves are recomputed from the records
 * (as they are now) and their salts, in index order, and folded into the tree as they
 * come: each leaf hash is compared with its level-0 tile, each full subtree of 256^L
 * leaves with its level-L tile entry, and the root at the exported checkpoint's size and
 * at the tree's size with those checkpoints. The first index that differs is named.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/err.h"
#include "mado/util.h"
#include "translog_int.h"

static struct mado_db_stmt Q_LEAVES =
    MADO_DB_STMT("tlog_audit_leaves",
		 "SELECT idx, kind, encode(salt, 'hex') AS salt, a_id, a_event_id, a_person_id,"
		 " a_occurred_us, a_recorded_us, a_org_code, a_relay_for, a_officer,"
		 " a_officer_role, a_actor_kind, a_channel, a_purpose, a_legal_ref, a_case_ref,"
		 " a_items, a_consent_id, a_outcome, a_reason, a_sealed_until, a_sealing_body,"
		 " a_register_version,"
		 " c_id, c_consent_id, c_person_id, c_at_us, c_actor, c_channel, c_type,"
		 " c_prev_status, c_new_status FROM portal.tlog_audit_leaves($1::bigint, $2::int)",
		 2);
/* Q_LEAVES' columns: the leaf's, then its record's, as translog__record reads them. */
enum { LEAF_IDX, LEAF_KIND, LEAF_SALT, LEAF_RECORD };
static struct mado_db_stmt Q_STORED =
    MADO_DB_STMT("tlog_audit_stored",
		 "SELECT s.size, encode(c.root, 'hex') AS root FROM portal.tlog_state s"
		 " LEFT JOIN portal.tlog_checkpoints c ON c.size = s.size",
		 0);

#define CHUNK 10000

struct audit {
	struct mado_db *db;
	FILE *out;
	struct tlog_tile tile; /* the level-0 tile being compared */
	struct tlog_tile up;   /* an upper tile, fetched as needed */
	struct {
		int level;
		unsigned char h[32];
	} stack[70];
	int depth;
	uint64_t i; /* leaves folded so far */
};

static bool
unhex(const char *hex, unsigned char *out, size_t n)
{
	size_t i;
	unsigned v;

	if (strlen(hex) != 2 * n)
		return false;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return false;
		out[i] = (unsigned char)v;
	}
	return true;
}

/* The root of the leaves folded so far: the stack's subtrees, right to left. */
static void
root_now(const struct audit *a, unsigned char out[32])
{
	int j;

	if (a->depth == 0) {
		mado_tlog_leaf_hash(NULL, 0, out); /* unused: an empty tree has no checkpoint */
		return;
	}
	memcpy(out, a->stack[a->depth - 1].h, 32);
	for (j = a->depth - 2; j >= 0; j--)
		mado_tlog_node_hash(a->stack[j].h, out, out);
}

/* Folds leaf hash h (index a->i) in; false after reporting a difference. */
static bool
fold(struct audit *a, const unsigned char h[32])
{
	uint64_t idx = a->i, n;
	int l;

	if (idx / TLOG_TILE_W != a->tile.idx || a->tile.level != 0) {
		if (translog__tile_get(a->db, 0, idx / TLOG_TILE_W, &a->tile) != MADO_OK) {
			a->tile.level = -1;
			fprintf(a->out, "index %llu: its tile is missing from the stored tree\n",
				(unsigned long long)idx);
			return false;
		}
	}
	if (idx % TLOG_TILE_W >= a->tile.width ||
	    memcmp(a->tile.h[idx % TLOG_TILE_W], h, 32) != 0) {
		fprintf(a->out,
			"index %llu: the leaf recomputed from its record differs from the stored "
			"tree\n",
			(unsigned long long)idx);
		return false;
	}
	memcpy(a->stack[a->depth].h, h, 32);
	a->stack[a->depth++].level = 0;
	a->i++;
	while (a->depth >= 2 && a->stack[a->depth - 1].level == a->stack[a->depth - 2].level) {
		l = a->stack[a->depth - 2].level + 1;
		mado_tlog_node_hash(a->stack[a->depth - 2].h, a->stack[a->depth - 1].h,
				    a->stack[a->depth - 2].h);
		a->stack[a->depth - 2].level = l;
		a->depth--;
		if (l % 8 != 0)
			continue;
		/* A full tile below is complete: its root is entry n of tile level l/8. */
		n = (a->i >> l) - 1;
		if (translog__tile_get(a->db, l / 8, n / TLOG_TILE_W, &a->up) != MADO_OK ||
		    n % TLOG_TILE_W >= a->up.width ||
		    memcmp(a->up.h[n % TLOG_TILE_W], a->stack[a->depth - 1].h, 32) != 0) {
			fprintf(
			    a->out,
			    "index %llu: the stored tree's level-%d tile entry over leaves %llu to "
			    "%llu differs\n",
			    (unsigned long long)(n << l), l / 8, (unsigned long long)(n << l),
			    (unsigned long long)(((n + 1) << l) - 1));
			return false;
		}
	}
	return true;
}

/* The last exported checkpoint: false when there is none to compare (said on out). */
static bool
exported(const struct mado_config *cfg, FILE *out, struct mado_tlog_checkpoint *cp, int *bad)
{
	char path[700], *note;
	const char *why, *wk[TLOG_MAX_WIT];
	size_t len = 0, cap = 0, k;
	FILE *f;
	int i;

	*bad = 0;
	if (*cfg->tlog_export_dir == '\0') {
		fprintf(out, "no tlog_export_dir: no exported checkpoint to compare with\n");
		return false;
	}
	snprintf(path, sizeof(path), "%s/checkpoint", cfg->tlog_export_dir);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(out, "no exported checkpoint yet (%s)\n", path);
		return false;
	}
	note = mado_xmalloc(cap = 8192);
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap *= 2;
			note = mado_xrealloc(note, cap);
		}
		k = fread(note + len, 1, 4096, f);
		len += k;
		if (k == 0)
			break;
	}
	fclose(f);
	note[len] = '\0';
	for (i = 0; i < translog__cfg.n_witness; i++)
		wk[i] = translog__cfg.witness[i].vkey;
	why = mado_tlog_note_verify(note, len, translog__cfg.vkey, wk,
				    (size_t)translog__cfg.n_witness, (size_t)translog__cfg.needed,
				    cp);
	free(note);
	if (why != NULL) {
		fprintf(out, "the exported checkpoint does not verify: %s\n", why);
		*bad = 1;
		return false;
	}
	return true;
}

int
mado_translog_audit(const struct mado_config *cfg, struct mado_db *db, FILE *out)
{
	struct audit *a = mado_xmalloc(sizeof(*a));
	struct mado_tlog_checkpoint cp;
	unsigned char salt[16], h[32], root[32], stored_root[32];
	char from[24], chunk[16], why_buf[160];
	const char *p[2] = {from, chunk}, *why;
	bool have_cp, have_root;
	uint64_t size;
	PGresult *res;
	int rc = MADO_OK, bad, i, n;
	char sroot[80];
	cJSON *rec = NULL;

	memset(a, 0, sizeof(*a));
	a->db = db;
	a->out = out;
	a->tile.level = -1;
	if ((rc = mado_translog_init(cfg, why_buf, sizeof(why_buf))) != MADO_OK) {
		fprintf(out, "%s\n", why_buf);
		free(a);
		return MADO_E_INTERNAL;
	}
	if (translog__cfg.key == NULL) {
		fprintf(out, "tlog_key is not set: the log's key is needed to check checkpoints\n");
		free(a);
		return MADO_E_INTERNAL;
	}
	have_cp = exported(cfg, out, &cp, &bad);
	if (bad) {
		free(a);
		return MADO_E_CONFLICT;
	}
	if ((rc = mado_db_exec(db, &Q_STORED, NULL, &res)) != MADO_OK) {
		free(a);
		return rc;
	}
	size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	have_root = !PQgetisnull(res, 0, 1);
	snprintf(sroot, sizeof(sroot), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (have_root && !unhex(sroot, stored_root, 32)) {
		free(a);
		return MADO_E_INTERNAL;
	}
	snprintf(chunk, sizeof(chunk), "%d", CHUNK);
	if (have_cp && cp.size > size) {
		fprintf(
		    out,
		    "the exported checkpoint has %llu leaves; the stored tree only %llu: leaves "
		    "from index %llu are gone\n",
		    (unsigned long long)cp.size, (unsigned long long)size,
		    (unsigned long long)size);
		rc = MADO_E_CONFLICT;
		goto out;
	}
	while (a->i < size) {
		snprintf(from, sizeof(from), "%llu", (unsigned long long)a->i);
		if ((rc = mado_db_exec(db, &Q_LEAVES, p, &res)) != MADO_OK)
			goto out;
		n = PQntuples(res);
		if (n == 0) {
			PQclear(res);
			fprintf(out, "index %llu: the leaf is missing\n", (unsigned long long)a->i);
			rc = MADO_E_CONFLICT;
			goto out;
		}
		for (i = 0; i < n; i++) {
			if (strtoull(PQgetvalue(res, i, LEAF_IDX), NULL, 10) != a->i) {
				fprintf(out, "index %llu: the leaf is missing\n",
					(unsigned long long)a->i);
				rc = MADO_E_CONFLICT;
			} else if ((rec = translog__record(PQgetvalue(res, i, LEAF_KIND), res, i,
							   LEAF_RECORD)) == NULL) {
				fprintf(out, "index %llu: its %s record is gone\n",
					(unsigned long long)a->i, PQgetvalue(res, i, LEAF_KIND));
				rc = MADO_E_CONFLICT;
			} else if (!unhex(PQgetvalue(res, i, LEAF_SALT), salt, 16) ||
				   (why = translog__leaf_hash(PQgetvalue(res, i, LEAF_KIND), rec,
							      salt, h)) != NULL) {
				fprintf(out, "index %llu: its record cannot be encoded\n",
					(unsigned long long)a->i);
				rc = MADO_E_CONFLICT;
			} else if (!fold(a, h)) {
				rc = MADO_E_CONFLICT;
			}
			cJSON_Delete(rec);
			rec = NULL;
			if (rc != MADO_OK)
				break;
			if (have_cp && a->i == cp.size) {
				root_now(a, root);
				if (memcmp(root, cp.root, 32) != 0) {
					fprintf(out,
						"the tree at size %llu does not match the exported "
						"checkpoint\n",
						(unsigned long long)cp.size);
					rc = MADO_E_CONFLICT;
					break;
				}
			}
		}
		PQclear(res);
		if (rc != MADO_OK)
			goto out;
	}
	if (have_root && size > 0) {
		root_now(a, root);
		if (memcmp(root, stored_root, 32) != 0) {
			fprintf(out, "the tree at size %llu does not match its stored checkpoint\n",
				(unsigned long long)size);
			rc = MADO_E_CONFLICT;
			goto out;
		}
	}
	fprintf(out, "ok: %llu leaves recomputed; the stored tiles agree",
		(unsigned long long)size);
	if (have_cp)
		fprintf(out, "; the exported checkpoint (size %llu) matches",
			(unsigned long long)cp.size);
	fprintf(out, "\n");
out:
	free(a);
	mado_translog_free();
	return rc;
}
