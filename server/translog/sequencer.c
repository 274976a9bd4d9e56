/*
 * The sequencer: a thread of mado with its own database connection. It sequences only
 * while that connection holds the log's session advisory lock, so one process at a time
 * does; when that process dies, its connection closes, the lock goes, and another takes
 * it at its next try.
 *
 * A batch (at most tlog_batch_max records, one every tlog_batch_ms) is one transaction:
 * take the pending rows, give each a salt and the next index, write the leaves, the
 * tiles that changed and the signed checkpoint of the new tree, and delete the pending
 * rows. A crash anywhere in it rolls it all back; the rows are still pending and the tree
 * is as it was, so nothing is lost and no index is handed out twice
 * (portal.tlog_append refuses a batch that does not start at the tree's size).
 *
 * After the batch, outside its transaction, the newest checkpoint goes to each witness
 * with a consistency proof from the last checkpoint that witness cosigned; their
 * cosignatures are stored, and the checkpoint is published (and exported to
 * tlog_export_dir) once tlog_witness_needed of them cosigned it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "mado/err.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"
#include "translog_int.h"

extern char **environ;

static struct {
	pthread_t thread;
	bool running;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	PGconn *conn;
	bool leader;
	struct tlog_tile edge[TLOG_LEVELS];
	uint64_t edge_size; /* the tree size edge is of, once a batch committed; else 0 */
	bool dirty[TLOG_LEVELS];
	struct tlog_tile *filled; /* the tiles this batch filled, written with the edge */
	size_t n_filled, cap_filled;
	struct mado_tlog_leaf leaf; /* the leaf being hashed (its buffer reused) */
	int64_t witness_tried_ms;
	int64_t witnessed_ms; /* when the witnesses' step last ran */
	uint64_t witness_tried_size;
} S = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

/* Waits ms, or less when asked to stop; true when asked. */
static bool
pause_ms(int ms)
{
	struct timespec ts;
	bool stop;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&S.mu);
	while (!S.stop && pthread_cond_timedwait(&S.cv, &S.mu, &ts) != ETIMEDOUT)
		;
	stop = S.stop;
	pthread_mutex_unlock(&S.mu);
	return stop;
}

static bool
ok(PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK;
}

/* The result of the statement sent last; NULL (logged, cleared) when it failed. */
static PGresult *
receive(void)
{
	PGresult *res = PQgetResult(S.conn), *more;

	while ((more = PQgetResult(S.conn)) != NULL)
		PQclear(more);
	if (!ok(res)) {
		/* The statement's error names no personal data: only our functions' messages
		   and SQLSTATEs reach the log. */
		mado_log_warn(NULL, "transparency log: %s",
			      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL
				  ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
				  : PQerrorMessage(S.conn));
		PQclear(res);
		return NULL;
	}
	return res;
}

/* Sends a parameterised statement on the sequencer's connection without waiting for it;
   receive() gives its result. binary: which parameters are bytea bytes (lens gives their
   lengths). */
static bool
submit(const char *sql, int n, const char *const *p, const int *lens, const int *binary)
{
	if (PQsendQueryParams(S.conn, sql, n, NULL, p, lens, binary, 0) == 1)
		return true;
	mado_log_warn(NULL, "transparency log: %s", PQerrorMessage(S.conn));
	return false;
}

/* submit and receive: the result, or NULL when it failed. */
static PGresult *
run(const char *sql, int n, const char *const *p, const int *lens, const int *binary)
{
	return submit(sql, n, p, lens, binary) ? receive() : NULL;
}

static bool
exec0(const char *sql)
{
	PGresult *res = run(sql, 0, NULL, NULL, NULL);

	PQclear(res);
	return res != NULL;
}

/*
 * Arrays sent to the sequencer's functions, one-dimensional, in PostgreSQL's
 * binary format (array_recv): ndim 1, no nulls, the element type, the count and lower
 * bound 1, then each element as its length and bytes. The count is set at the end.
 */
static void
be32_put(struct mado_text *t, uint32_t v)
{
	unsigned char x[4] = {(unsigned char)(v >> 24), (unsigned char)(v >> 16),
			      (unsigned char)(v >> 8), (unsigned char)v};

	mado_text_append(t, x, 4);
}

static void
arr_begin(struct mado_text *t, uint32_t elem_oid)
{
	be32_put(t, 1);
	be32_put(t, 0);
	be32_put(t, elem_oid);
	be32_put(t, 0); /* the count, set by arr_end */
	be32_put(t, 1);
}

static void
arr_add(struct mado_text *t, const void *v, size_t len)
{
	be32_put(t, (uint32_t)len);
	mado_text_append(t, v, len);
}

/* An integer element of width bytes (2: smallint, 8: bigint), big-endian. */
static void
arr_int(struct mado_text *t, uint64_t v, int width)
{
	unsigned char x[8];
	int i;

	for (i = 0; i < width; i++)
		x[i] = (unsigned char)(v >> (8 * (width - 1 - i)));
	arr_add(t, x, (size_t)width);
}

static void
arr_end(struct mado_text *t, uint32_t count)
{
	unsigned char *c = (unsigned char *)t->buf + 12;

	c[0] = (unsigned char)(count >> 24);
	c[1] = (unsigned char)(count >> 16);
	c[2] = (unsigned char)(count >> 8);
	c[3] = (unsigned char)count;
}

/* Writes the tiles the batch filled and the edge tiles it changed, in one statement. */
static int
tiles_put(void)
{
	struct mado_text levels = {0}, idx = {0}, widths = {0}, hashes = {0};
	const struct tlog_tile *t;
	const char *p[4];
	int lens[4], bin[4] = {1, 1, 1, 1};
	PGresult *res;
	size_t i;
	uint32_t n = 0;

	arr_begin(&levels, 21); /* smallint */
	arr_begin(&idx, 20);    /* bigint */
	arr_begin(&widths, 21);
	for (i = 0; i < S.n_filled + TLOG_LEVELS; i++) {
		t = i < S.n_filled ? &S.filled[i] : &S.edge[i - S.n_filled];
		if (i >= S.n_filled && (!S.dirty[t->level] || t->width == 0))
			continue;
		arr_int(&levels, (uint64_t)t->level, 2);
		arr_int(&idx, t->idx, 8);
		arr_int(&widths, t->width, 2);
		mado_text_append(&hashes, t->h, (size_t)t->width * TLOG_HASH);
		n++;
	}
	arr_end(&levels, n);
	arr_end(&idx, n);
	arr_end(&widths, n);
	p[0] = levels.buf;
	p[1] = idx.buf;
	p[2] = widths.buf;
	p[3] = hashes.buf;
	lens[0] = (int)levels.len;
	lens[1] = (int)idx.len;
	lens[2] = (int)widths.len;
	lens[3] = (int)hashes.len;
	res = run("SELECT portal.tlog_tiles_put($1::smallint[], $2::bigint[], $3::smallint[], "
		  "$4::bytea)",
		  4, p, lens, bin);
	PQclear(res);
	mado_text_free(&levels);
	mado_text_free(&idx);
	mado_text_free(&widths);
	mado_text_free(&hashes);
	return res != NULL ? MADO_OK : MADO_E_DB_UNAVAILABLE;
}

static int
seq_fetch(void *ctx, int level, uint64_t idx, unsigned need, struct tlog_tile *t)
{
	(void)ctx;
	(void)need;
	return translog__seq_tile_get(S.conn, level, idx, t);
}

/* The right edge of the tree of size: the partial (or next, empty) tile of each level.
   Kept from the last batch this process committed when that left the tree at size. */
static int
load_edge(uint64_t size)
{
	int T;
	uint64_t n;
	unsigned w;

	memset(S.dirty, 0, sizeof(S.dirty));
	S.n_filled = 0;
	if (size > 0 && size == S.edge_size)
		return MADO_OK;
	S.edge_size = 0;
	for (T = 0; T < TLOG_LEVELS; T++) {
		n = T == 0 ? size : size >> (8 * T);
		w = (unsigned)(n % TLOG_TILE_W);
		S.edge[T].level = T;
		S.edge[T].idx = n / TLOG_TILE_W;
		S.edge[T].width = 0;
		if (w == 0)
			continue;
		if (translog__seq_tile_get(S.conn, T, n / TLOG_TILE_W, &S.edge[T]) != MADO_OK ||
		    S.edge[T].width < w) {
			mado_log_err(NULL, "transparency log: tile %d/%llu is missing or short", T,
				     (unsigned long long)(n / TLOG_TILE_W));
			return MADO_E_INTERNAL;
		}
		S.edge[T].width = w;
	}
	return MADO_OK;
}

/* Appends a hash at tile level T; a tile that fills is kept for writing and its root goes
   up. */
static int
push(int T, const unsigned char h[32])
{
	struct tlog_tile *t = &S.edge[T];
	unsigned char up[32];

	if (T >= TLOG_LEVELS)
		return MADO_E_INTERNAL;
	memcpy(t->h[t->width++], h, 32);
	S.dirty[T] = true;
	if (t->width < TLOG_TILE_W)
		return MADO_OK;
	if (S.n_filled == S.cap_filled) {
		S.cap_filled = S.cap_filled ? 2 * S.cap_filled : 64;
		S.filled = mado_xrealloc(S.filled, S.cap_filled * sizeof(*S.filled));
	}
	memcpy(&S.filled[S.n_filled++], t, sizeof(*t));
	translog__subtree((const unsigned char(*)[TLOG_HASH])t->h, TLOG_TILE_W, up);
	t->idx++;
	t->width = 0;
	S.dirty[T] = false;
	return push(T + 1, up);
}

/* The columns of portal.tlog_take: the queue's row, then the access record's columns
   (TLOG_ACCESS_COLS of them), then the consent event's; a record's are null when it is
   the other kind. */
enum {
	TAKE_SEQ,
	TAKE_KIND,
	TAKE_RECORD_ID,
	TAKE_PERSON_ID,
	TAKE_RECORD,
};

/* Whether the record of take's row i is gone (its columns are null). */
static bool
record_gone(const PGresult *res, int i)
{
	bool consent = strcmp(PQgetvalue(res, i, TAKE_KIND), "consent") == 0;

	return PQgetisnull(res, i, TAKE_RECORD + (consent ? TLOG_ACCESS_COLS : 0));
}

/* What a batch gathers from the rows it takes: the keys and salts tlog_append writes. */
struct take {
	struct mado_text seqs, kinds, ids, people;
	unsigned char *salts;
	size_t cap_salts;
	int n, leaves;
};

/* Adds take's row (row 0 of res) to the batch: its keys, a salt, and its leaf's hash
   pushed into the tree. */
static int
take_row(struct take *tk, const PGresult *res)
{
	const char *kind = PQgetvalue(res, 0, TAKE_KIND), *why;
	unsigned char hash[32];
	size_t more;

	tk->n++;
	arr_add(&tk->seqs, PQgetvalue(res, 0, TAKE_SEQ), 8);
	if (record_gone(res, 0)) {
		/* It cannot be (the log is append-only): it leaves the queue without a leaf,
		   and the audit would say so. */
		mado_log_err(NULL, "transparency log: a pending %s record is missing", kind);
		return MADO_OK;
	}
	if ((size_t)tk->leaves == tk->cap_salts) {
		/* Salts are drawn 256 at a time: one DRBG call, not one a leaf. */
		more = 256;
		tk->salts = mado_xrealloc(tk->salts, (tk->cap_salts + more) * 16);
		if (mado_random(tk->salts + tk->cap_salts * 16, more * 16) != 0)
			return MADO_E_INTERNAL;
		tk->cap_salts += more;
	}
	if ((why = translog__leaf_of_row(kind, res, 0, TAKE_RECORD,
					 tk->salts + (size_t)tk->leaves * 16, &S.leaf)) != NULL) {
		mado_log_err(NULL, "transparency log: a %s record cannot be a leaf: %s", kind, why);
		return MADO_E_INTERNAL;
	}
	mado_tlog_leaf_hash(S.leaf.p, S.leaf.len, hash);
	arr_add(&tk->kinds, kind, strlen(kind));
	arr_add(&tk->ids, PQgetvalue(res, 0, TAKE_RECORD_ID), 8);
	arr_add(&tk->people, PQgetvalue(res, 0, TAKE_PERSON_ID), 16);
	tk->leaves++;
	return push(0, hash);
}

/*
 * Takes the pending rows, a row at a time as they arrive (the whole batch at once was
 * megabytes malloc'ed and faulted in anew every batch), hashing each into the tree.
 */
static int
take_all(struct take *tk)
{
	char max[16];
	const char *p[1];
	PGresult *res;
	int rc = MADO_OK;

	snprintf(max, sizeof(max), "%d", translog__cfg.batch_max);
	p[0] = max;
	/* In binary: the records' own types, formatted by nobody on the way. */
	if (PQsendQueryParams(S.conn, "SELECT * FROM portal.tlog_take($1::int)", 1, NULL, p, NULL,
			      NULL, 1) != 1 ||
	    PQsetSingleRowMode(S.conn) != 1) {
		mado_log_warn(NULL, "transparency log: %s", PQerrorMessage(S.conn));
		return MADO_E_DB_UNAVAILABLE;
	}
	while ((res = PQgetResult(S.conn)) != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_SINGLE_TUPLE:
			if (rc == MADO_OK)
				rc = take_row(tk, res);
			break;
		case PGRES_TUPLES_OK: break; /* the end of the rows */
		default:
			mado_log_warn(NULL, "transparency log: %s",
				      PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) != NULL
					  ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY)
					  : PQerrorMessage(S.conn));
			if (rc == MADO_OK)
				rc = MADO_E_DB_UNAVAILABLE;
		}
		PQclear(res);
	}
	return rc;
}

/* One batch; *taken gets how many pending rows it took. */
static int
batch(int *taken)
{
	struct take tk = {0};
	struct tlog_tiles tiles;
	struct mado_tlog_checkpoint cp;
	char size_s[24], text[512], *note = NULL;
	const char *p[6];
	int lens[6] = {0}, bin[6] = {0};
	PGresult *res;
	uint64_t size, newsize;
	int i, rc = MADO_E_DB_UNAVAILABLE;
	int64_t t0, t_take;

	*taken = 0;
	if (!exec0("BEGIN"))
		return rc;
	if ((res = run("SELECT portal.tlog_size()", 0, NULL, NULL, NULL)) == NULL)
		goto fail;
	size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	/* The edge first: the rows are hashed into it as they arrive. */
	if ((rc = load_edge(size)) != MADO_OK)
		goto fail;
	t0 = mado_now_ms();
	arr_begin(&tk.seqs, 20);  /* bigint */
	arr_begin(&tk.kinds, 25); /* text */
	arr_begin(&tk.ids, 20);
	arr_begin(&tk.people, 2950); /* uuid */
	if ((rc = take_all(&tk)) != MADO_OK)
		goto fail;
	t_take = mado_now_ms() - t0;
	if ((*taken = tk.n) == 0) {
		rc = exec0("ROLLBACK") ? MADO_OK : MADO_E_DB_UNAVAILABLE;
		goto out;
	}
	arr_end(&tk.seqs, (uint32_t)tk.n);
	arr_end(&tk.kinds, (uint32_t)tk.leaves);
	arr_end(&tk.ids, (uint32_t)tk.leaves);
	arr_end(&tk.people, (uint32_t)tk.leaves);
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	p[0] = size_s;
	p[1] = tk.seqs.buf;
	p[2] = tk.kinds.buf;
	p[3] = tk.ids.buf;
	p[4] = tk.people.buf;
	p[5] = (const char *)tk.salts;
	lens[1] = (int)tk.seqs.len;
	lens[2] = (int)tk.kinds.len;
	lens[3] = (int)tk.ids.len;
	lens[4] = (int)tk.people.len;
	lens[5] = tk.leaves * 16;
	for (i = 1; i <= 5; i++)
		bin[i] = 1;
	rc = MADO_E_DB_UNAVAILABLE;
	if ((res = run("SELECT portal.tlog_append($1::bigint, $2::bigint[], $3::text[], "
		       "$4::bigint[], $5::uuid[], $6::bytea)",
		       6, p, lens, bin)) == NULL)
		goto fail;
	newsize = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	if (tk.leaves > 0) {
		if ((rc = tiles_put()) != MADO_OK)
			goto fail;
		translog__tiles_init(&tiles, seq_fetch, NULL);
		for (i = 0; i < TLOG_LEVELS; i++)
			tiles.edge[i] = &S.edge[i];
		memset(&cp, 0, sizeof(cp));
		snprintf(cp.origin, sizeof(cp.origin), "%s", translog__cfg.origin);
		cp.size = newsize;
		i = mado_tlog_root(newsize, translog__read, &tiles, cp.root);
		translog__tiles_free(&tiles);
		rc = MADO_E_INTERNAL;
		if (i != 0 || mado_tlog_checkpoint_text(&cp, text, sizeof(text)) < 0 ||
		    (note = mado_tlog_note_sign(text, translog__cfg.origin, translog__cfg.key)) ==
			NULL) {
			mado_log_err(NULL, "transparency log: cannot make the checkpoint of %llu",
				     (unsigned long long)newsize);
			goto fail;
		}
		snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)newsize);
		p[0] = size_s;
		p[1] = (const char *)cp.root;
		p[2] = note;
		memset(lens, 0, sizeof(lens));
		memset(bin, 0, sizeof(bin));
		lens[1] = 32;
		bin[1] = 1;
		rc = MADO_E_DB_UNAVAILABLE;
		if ((res = run("SELECT portal.tlog_checkpoint_add($1::bigint, $2::bytea, $3)", 3, p,
			       lens, bin)) == NULL)
			goto fail;
		PQclear(res);
	}
	if (!exec0("COMMIT"))
		goto fail;
	S.edge_size = newsize;
	if (tk.leaves > 0)
		mado_log_debug(NULL,
			       "transparency log: %d leaves, size %llu (take and hashing %lld ms, "
			       "the rest %lld ms)",
			       tk.leaves, (unsigned long long)newsize, (long long)t_take,
			       (long long)(mado_now_ms() - t0 - t_take));
	rc = MADO_OK;
	goto out;
fail:
	S.edge_size = 0;                            /* the batch's pushes changed it */
	while ((res = PQgetResult(S.conn)) != NULL) /* a statement still sent */
		PQclear(res);
	if (PQstatus(S.conn) == CONNECTION_OK)
		PQclear(PQexec(S.conn, "ROLLBACK"));
	if (rc == MADO_OK)
		rc = MADO_E_INTERNAL;
out:
	free(note);
	free(tk.salts);
	mado_text_free(&tk.seqs);
	mado_text_free(&tk.kinds);
	mado_text_free(&tk.ids);
	mado_text_free(&tk.people);
	return rc;
}

/* Writes data to path through a temporary file and a rename, so readers see the old
   file or the new one. */
static int
write_atomic(const char *path, const char *data)
{
	char tmp[700];
	FILE *f;
	size_t len = strlen(data);

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if ((f = fopen(tmp, "w")) == NULL)
		return -1;
	if (fwrite(data, 1, len, f) != len || fflush(f) != 0 || fsync(fileno(f)) != 0) {
		fclose(f);
		unlink(tmp);
		return -1;
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Exports a published checkpoint: checkpoint.<size> and checkpoint (the latest). */
static void export(uint64_t size, const char *note)
{
	char path[700];

	if (translog__cfg.export_dir[0] == '\0')
		return;
	snprintf(path, sizeof(path), "%s/checkpoint.%llu", translog__cfg.export_dir,
		 (unsigned long long)size);
	if (write_atomic(path, note) != 0) {
		mado_log_err(NULL, "transparency log: cannot export checkpoint %llu: %s",
			     (unsigned long long)size, strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/checkpoint", translog__cfg.export_dir);
	if (write_atomic(path, note) != 0)
		mado_log_err(NULL, "transparency log: cannot export the latest checkpoint: %s",
			     strerror(errno));
}

/* Runs cmd with /bin/sh -c, input on its stdin; its stdout (malloc'd) when it exits 0
   within 10 seconds, else NULL. */
static char *
run_witness(const char *cmd, const char *input)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, st;
	posix_spawn_file_actions_t fa;
	char sh[] = "/bin/sh", c[] = "-c", *line = mado_xstrdup(cmd);
	char *argv[] = {sh, c, line, NULL};
	struct mado_text t = {0};
	size_t off = 0, len = strlen(input);
	int64_t deadline = mado_now_ms() + 10000;
	pid_t pid;
	char buf[4096];
	ssize_t k;
	bool ok = false;

	if (pipe(in) != 0 || pipe(out) != 0)
		goto close;
	fcntl(in[1], F_SETFD, FD_CLOEXEC);
	fcntl(out[0], F_SETFD, FD_CLOEXEC);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	st = posix_spawn(&pid, "/bin/sh", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (st != 0)
		goto close;
	mado_text_printf(&t, "%s", "");
	for (;;) {
		struct pollfd pf[2] = {{out[0], POLLIN, 0}, {in[1], POLLOUT, 0}};
		int np = in[1] >= 0 ? 2 : 1;
		int64_t left = deadline - mado_now_ms();

		if (left <= 0 || poll(pf, (nfds_t)np, (int)left) <= 0)
			break;
		if (np == 2 && (pf[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
			k = write(in[1], input + off, len - off);
			if (k > 0)
				off += (size_t)k;
			if (k <= 0 || off == len) {
				close(in[1]);
				in[1] = -1;
			}
		}
		if (pf[0].revents & (POLLIN | POLLHUP | POLLERR)) {
			k = read(out[0], buf, sizeof(buf));
			if (k <= 0) {
				ok = true;
				break;
			}
			if (t.len < 65536)
				mado_text_printf(&t, "%.*s", (int)k, buf);
		}
	}
	if (!ok)
		kill(pid, SIGKILL);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
		ok = false;
close:
	if (in[0] >= 0)
		close(in[0]);
	if (in[1] >= 0)
		close(in[1]);
	if (out[0] >= 0)
		close(out[0]);
	if (out[1] >= 0)
		close(out[1]);
	free(line);
	if (!ok) {
		free(t.buf);
		return NULL;
	}
	return t.buf != NULL ? t.buf : mado_xstrdup("");
}

/* The signature line of witness w in a cosigned note, or NULL. */
static char *
witness_line(const char *note, const struct tlog_witness *w)
{
	char prefix[200];
	const char *at = note, *end;
	size_t pl;

	snprintf(prefix, sizeof(prefix), "\xe2\x80\x94 %s ", w->name);
	pl = strlen(prefix);
	while ((at = strstr(at, prefix)) != NULL) {
		if (at == note || at[-1] == '\n') {
			end = strchr(at, '\n');
			return end != NULL ? strndup(at, (size_t)(end - at)) : mado_xstrdup(at);
		}
		at += pl;
	}
	return NULL;
}

/* Hands the checkpoint (size, note) to witness w with a consistency proof from last;
   the witness's answer (malloc'd), or NULL when it refused or failed. */
static char *
ask(const struct tlog_witness *w, uint64_t last, uint64_t size, const char *note)
{
	unsigned char path[MADO_TLOG_MAX_PATH][32];
	size_t n = 0, i;
	struct tlog_tiles tiles;
	struct mado_text in = {0};
	char b64[48], *out = NULL;
	char dir[600], cpf[700], prf[700];

	if (last > 0) {
		translog__tiles_init(&tiles, seq_fetch, NULL);
		i = (size_t)mado_tlog_prove_consistency(last, size, translog__read, &tiles, path,
							&n);
		translog__tiles_free(&tiles);
		if (i != 0) {
			mado_log_err(NULL, "transparency log: no consistency proof %llu..%llu",
				     (unsigned long long)last, (unsigned long long)size);
			return NULL;
		}
	}
	/* mado-witness cosign (docs/tlog.md): the configured command with --checkpoint and
	   --proof files, the cosigned note on its stdout. */
	snprintf(dir, sizeof(dir), "%s/mado-tlog-XXXXXX",
		 getenv("TMPDIR") != NULL ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		mado_log_err(NULL, "transparency log: no temporary directory for the witness");
		return NULL;
	}
	snprintf(cpf, sizeof(cpf), "%s/checkpoint", dir);
	snprintf(prf, sizeof(prf), "%s/proof", dir);
	for (i = 0; i < n; i++) {
		mado_b64(path[i], 32, b64);
		mado_text_printf(&in, "%s\n", b64);
	}
	if (write_atomic(cpf, note) == 0 && write_atomic(prf, in.buf != NULL ? in.buf : "") == 0) {
		free(in.buf);
		in = (struct mado_text){0};
		mado_text_printf(&in, "%s --checkpoint '%s'", w->cmd, cpf);
		if (last > 0)
			mado_text_printf(&in, " --proof '%s'", prf);
		out = run_witness(in.buf, "");
	}
	free(in.buf);
	unlink(cpf);
	unlink(prf);
	rmdir(dir);
	return out;
}

/* Asks witness w to cosign the checkpoint (size, note), from the last checkpoint it was
   handed (it may have cosigned it just before a crash) or else the last one it cosigned;
   stores its line. */
static bool
cosign(const struct tlog_witness *w, uint64_t size, const char *note)
{
	char size_s[24], *out = NULL, *line = NULL;
	const char *p[3], *why = NULL;
	const char *const wk[1] = {w->vkey};
	struct mado_tlog_checkpoint cp;
	PGresult *res;
	uint64_t last, sent;
	bool done = false;

	p[0] = w->name;
	if ((res = run("SELECT cosigned, sent FROM portal.tlog_witness_last($1)", 1, p, NULL,
		       NULL)) == NULL)
		return false;
	last = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	sent = strtoull(PQgetvalue(res, 0, 1), NULL, 10);
	PQclear(res);
	if (last >= size)
		return true;
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	p[1] = size_s;
	if ((res = run("SELECT portal.tlog_witness_sending($1, $2::bigint)", 2, p, NULL, NULL)) ==
	    NULL)
		return false;
	PQclear(res);
	if (sent > last && sent <= size)
		out = ask(w, sent, size, note);
	if (out == NULL)
		out = ask(w, last, size, note);
	if (out == NULL) {
		mado_log_warn(NULL, "transparency log: witness %s did not cosign checkpoint %llu",
			      w->name, (unsigned long long)size);
		return false;
	}
	if ((why = mado_tlog_note_verify(out, strlen(out), translog__cfg.vkey, wk, 1, 1, &cp)) !=
		NULL ||
	    cp.size != size || (line = witness_line(out, w)) == NULL) {
		mado_log_warn(NULL, "transparency log: witness %s's answer does not verify: %s",
			      w->name, why != NULL ? why : "another checkpoint");
		goto out;
	}
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	p[0] = size_s;
	p[1] = w->name;
	p[2] = line;
	if ((res = run("SELECT portal.tlog_cosign_add($1::bigint, $2, $3)", 3, p, NULL, NULL)) !=
	    NULL) {
		PQclear(res);
		done = true;
	}
out:
	free(line);
	free(out);
	return done;
}

/* The witnesses' step for the newest checkpoint, when it is not published yet. */
static void
witness(void)
{
	PGresult *res;
	uint64_t size;
	char *note, size_s[24], need_s[16];
	const char *p[2] = {size_s, need_s};
	int i;

	if ((res = run("SELECT size, note FROM portal.tlog_unpublished()", 0, NULL, NULL, NULL)) ==
	    NULL)
		return;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return;
	}
	size = strtoull(PQgetvalue(res, 0, 0), NULL, 10);
	note = mado_xstrdup(PQgetvalue(res, 0, 1));
	PQclear(res);
	/* A witness that refused is asked again for a new checkpoint, or after 10 s. */
	if (size == S.witness_tried_size && mado_now_ms() - S.witness_tried_ms < 10000) {
		free(note);
		return;
	}
	S.witness_tried_size = size;
	S.witness_tried_ms = mado_now_ms();
	for (i = 0; i < translog__cfg.n_witness; i++)
		(void)cosign(&translog__cfg.witness[i], size, note);
	free(note);
	snprintf(size_s, sizeof(size_s), "%llu", (unsigned long long)size);
	snprintf(need_s, sizeof(need_s), "%d", translog__cfg.needed);
	if ((res = run("SELECT portal.tlog_publish($1::bigint, $2::int)", 2, p, NULL, NULL)) ==
	    NULL)
		return;
	if (strcmp(PQgetvalue(res, 0, 0), "t") == 0) {
		PQclear(res);
		p[0] = size_s;
		if ((res = run("SELECT size, note FROM portal.tlog_checkpoint($1::bigint)", 1, p,
			       NULL, NULL)) != NULL &&
		    PQntuples(res) == 1)
			export(size, PQgetvalue(res, 0, 1));
		mado_log_info(NULL, "transparency log: checkpoint %llu published",
			      (unsigned long long)size);
	}
	PQclear(res);
}

static bool
connect_db(void)
{
	if (S.conn != NULL && PQstatus(S.conn) == CONNECTION_OK)
		return true;
	PQfinish(S.conn);
	S.leader = false;
	S.edge_size = 0;
	S.conn =
	    mado_db_connect(translog__cfg.db_url, translog__cfg.connect_timeout, "mado-sequencer");
	if (S.conn == NULL || PQstatus(S.conn) != CONNECTION_OK) {
		PQfinish(S.conn);
		S.conn = NULL;
		return false;
	}
	return true;
}

static bool
take_lock(void)
{
	char a[16], b[16];
	const char *p[2] = {a, b};
	PGresult *res;

	snprintf(a, sizeof(a), "%d", TLOG_LOCK_A);
	snprintf(b, sizeof(b), "%d", TLOG_LOCK_B);
	if ((res = run("SELECT pg_try_advisory_lock($1::int, $2::int)", 2, p, NULL, NULL)) == NULL)
		return false;
	S.leader = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
	PQclear(res);
	if (S.leader) {
		S.edge_size = 0; /* another process may have sequenced since */
		mado_log_info(NULL, "transparency log: this process sequences");
	}
	return S.leader;
}

static void *
main_loop(void *arg)
{
	int64_t start;
	int taken, wait;

	(void)arg;
	for (;;) {
		start = mado_now_ms();
		taken = 0;
		if (connect_db() && (S.leader || take_lock())) {
			if (batch(&taken) != MADO_OK && PQstatus(S.conn) != CONNECTION_OK) {
				mado_log_warn(NULL,
					      "transparency log: lost the database; retrying");
				PQfinish(S.conn);
				S.conn = NULL;
				S.leader = false;
			} else if (taken < translog__cfg.batch_max ||
				   mado_now_ms() - S.witnessed_ms >= translog__cfg.batch_ms) {
				/* Under a load that fills every batch, witnesses are still asked
				   once a batch interval, so checkpoints keep being published. */
				S.witnessed_ms = mado_now_ms();
				witness();
			}
		}
		wait = taken >= translog__cfg.batch_max
			   ? 0
			   : translog__cfg.batch_ms - (int)(mado_now_ms() - start);
		if (pause_ms(wait > 0 ? wait : 0))
			break;
	}
	PQfinish(S.conn);
	S.conn = NULL;
	S.leader = false;
	free(S.filled);
	S.filled = NULL;
	S.n_filled = S.cap_filled = 0;
	mado_tlog_leaf_free(&S.leaf);
	return NULL;
}

int
mado_translog_start(void)
{
	if (translog__cfg.key == NULL || S.running)
		return MADO_OK;
	S.stop = false;
	if (pthread_create(&S.thread, NULL, main_loop, NULL) != 0)
		return MADO_E_INTERNAL;
	S.running = true;
	return MADO_OK;
}

void
mado_translog_stop(void)
{
	if (!S.running)
		return;
	pthread_mutex_lock(&S.mu);
	S.stop = true;
	pthread_cond_signal(&S.cv);
	pthread_mutex_unlock(&S.mu);
	pthread_join(S.thread, NULL);
	S.running = false;
}
