/*
 * The connection pool. A mutex and a condition variable guard the slots, because CivetWeb
 * runs handlers on many threads. Connections open lazily, and one found dead at checkout
 * (the server restarted, or closed it) is replaced, so Mado serves again as soon as
 * PostgreSQL is back, without a restart.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "mado/util.h"
#include "db_int.h"

/* A thread waiting for a connection. Waiters are served in arrival order, each handed its
   connection directly, so that under load no request waits behind later ones. */
struct waiter {
	pthread_cond_t cv;
	struct mado_db *db; /* set by the thread that hands a connection over */
	struct waiter *next;
};

/*
 * One pool type, two instances: the primary's, which serves everything by default, and the
 * optional read pool on db_read_url, whose sessions are read-only, for routes whose reads
 * may be a little stale (mado_db_acquire_read).
 */
struct db_pool {
	pthread_mutex_t mu;
	pthread_condattr_t ca; /* CLOCK_MONOTONIC, for the waiters' conditions */
	struct waiter *head, *tail;
	struct mado_db *slots;
	int size, in_use, waiting;
	int wait_ms;
	char *conninfo;
	int connect_timeout;
	uint64_t acquired, timeouts, connect_failures, reconnects;
	bool ready;
	bool down;       /* the last connection attempt failed; logged once per outage */
	int64_t down_ms; /* when it last failed (read pool: when to try it again) */
	const char *label, *app_name;
	bool read_only;
};

static struct db_pool primary = {
    .mu = PTHREAD_MUTEX_INITIALIZER, .label = "database", .app_name = "mado"};
static struct db_pool reader = {.mu = PTHREAD_MUTEX_INITIALIZER,
				.label = "read database",
				.app_name = "mado-read",
				.read_only = true};

/* While the read pool cannot connect, stale-tolerant reads go to the primary at once and
   the read pool is tried again after this long, so that no request waits on a dead
   replica's connect timeout more than once per period. */
#define DB_READ_RETRY_MS 5000

static atomic_int next_slot = 1;

static int
pool_init(struct db_pool *pool, const struct mado_db_pool_config *cfg)
{
	int i;

	if (pool->ready)
		return MADO_E_INTERNAL;
	pool->slots = mado_xcalloc((size_t)cfg->size, sizeof(*pool->slots));
	for (i = 0; i < cfg->size; i++)
		pool->slots[i].pool = pool;
	pool->conninfo = mado_xstrdup(cfg->conninfo);
	pthread_condattr_init(&pool->ca);
	pthread_condattr_setclock(&pool->ca, CLOCK_MONOTONIC);
	pool->head = pool->tail = NULL;
	pool->size = cfg->size;
	pool->wait_ms = cfg->wait_ms;
	pool->connect_timeout = cfg->connect_timeout;
	pool->in_use = pool->waiting = 0;
	pool->down = false;
	pool->ready = true;
	return MADO_OK;
}

int
mado_db_pool_init(const struct mado_db_pool_config *cfg)
{
	return pool_init(&primary, cfg);
}

int
mado_db_read_pool_init(const struct mado_db_pool_config *cfg)
{
	return pool_init(&reader, cfg);
}

bool
mado_db_read_pool_ready(void)
{
	return reader.ready;
}

static void
pool_shutdown(struct db_pool *pool)
{
	int i;

	if (!pool->ready)
		return;
	pthread_mutex_lock(&pool->mu);
	for (i = 0; i < pool->size; i++)
		if (pool->slots[i].conn != NULL)
			PQfinish(pool->slots[i].conn);
	free(pool->slots);
	pool->slots = NULL;
	memset(pool->conninfo, 0, strlen(pool->conninfo));
	free(pool->conninfo);
	pool->conninfo = NULL;
	pool->ready = false;
	pthread_mutex_unlock(&pool->mu);
	pthread_condattr_destroy(&pool->ca);
}

void
mado_db_pool_shutdown(void)
{
	pool_shutdown(&reader);
	pool_shutdown(&primary);
}

void
mado_db_read_pool_shutdown(void)
{
	pool_shutdown(&reader);
}

static void
pool_stats(struct db_pool *pool, struct mado_db_stats *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&pool->mu);
	out->size = pool->size;
	out->in_use = pool->in_use;
	out->waiting = pool->waiting;
	for (i = 0; i < pool->size; i++)
		if (pool->slots[i].conn != NULL)
			out->open++;
	out->acquired = pool->acquired;
	out->timeouts = pool->timeouts;
	out->connect_failures = pool->connect_failures;
	out->reconnects = pool->reconnects;
	pthread_mutex_unlock(&pool->mu);
}

void
mado_db_pool_stats(struct mado_db_stats *out)
{
	pool_stats(&primary, out);
}

void
mado_db_read_pool_stats(struct mado_db_stats *out)
{
	pool_stats(&reader, out);
}

static void
drop_conn(struct mado_db *db)
{
	if (db->conn != NULL)
		PQfinish(db->conn);
	db->conn = NULL;
	memset(db->prepared, 0, sizeof(db->prepared));
}

/* True if an idle connection is still usable: the server has not closed it meanwhile. */
static bool
conn_alive(PGconn *conn)
{
	struct pollfd pfd;

	if (PQstatus(conn) != CONNECTION_OK || PQtransactionStatus(conn) != PQTRANS_IDLE)
		return false;
	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	if (pfd.fd < 0)
		return false;
	/*
	 * Nothing pending is the usual case and costs no round trip. We never LISTEN, so an
	 * idle connection that became readable is the server saying goodbye (shutdown,
	 * pg_terminate_backend, failover): reconnect rather than guess.
	 */
	return poll(&pfd, 1, 0) == 0;
}

PGconn *
mado_db_connect(const char *conninfo, int connect_timeout, const char *application_name)
{
	/* Our defaults come first so the operator's connection string can override them. */
	const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *vals[] = {NULL, application_name, conninfo, NULL};
	char timeout[16];

	snprintf(timeout, sizeof(timeout), "%d", connect_timeout);
	vals[0] = timeout;
	return PQconnectdbParams(keys, vals, 1);
}

static int
ensure_conn(struct mado_db *db)
{
	struct db_pool *pool = db->pool;
	bool had = db->conn != NULL, was_down;
	PGresult *r;

	if (db->conn != NULL && conn_alive(db->conn))
		return MADO_OK;
	drop_conn(db);
	db->conn = mado_db_connect(pool->conninfo, pool->connect_timeout, pool->app_name);
	if (db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK && pool->read_only) {
		/* Whatever server the URL lands on (prefer-standby may find the primary), a
		   read pool's session refuses writes: a route wrongly marked fails, never
		   writes where nobody reads it back. */
		r = PQexec(db->conn, "SET SESSION default_transaction_read_only = on");
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			PQfinish(db->conn);
			db->conn = NULL;
		}
		PQclear(r);
	}
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		pthread_mutex_lock(&pool->mu);
		pool->connect_failures++;
		was_down = pool->down;
		pool->down = true;
		pool->down_ms = mado_now_ms();
		pthread_mutex_unlock(&pool->mu);
		/* libpq's message names the server and role, never a person. */
		if (!was_down)
			mado_log_err(NULL, "%s: cannot connect: %s", pool->label,
				     db->conn != NULL ? PQerrorMessage(db->conn)
						      : "out of memory or refused read-only");
		drop_conn(db);
		return MADO_E_DB_UNAVAILABLE;
	}
	pthread_mutex_lock(&pool->mu);
	pool->reconnects += had;
	was_down = pool->down;
	pool->down = false;
	pthread_mutex_unlock(&pool->mu);
	if (was_down)
		mado_log_info(NULL, "%s: connected again", pool->label);
	return MADO_OK;
}

static struct mado_db *
take_free_slot(struct db_pool *pool)
{
	struct mado_db *spare = NULL;
	int i;

	/* Prefer a slot that already has an open connection. */
	for (i = 0; i < pool->size; i++) {
		if (pool->slots[i].in_use)
			continue;
		if (pool->slots[i].conn != NULL) {
			spare = &pool->slots[i];
			break;
		}
		if (spare == NULL)
			spare = &pool->slots[i];
	}
	if (spare != NULL) {
		spare->in_use = true;
		pool->in_use++;
		pool->acquired++;
	}
	return spare;
}

static void
give_back(struct mado_db *db)
{
	struct db_pool *pool = db->pool;
	struct waiter *w;

	pthread_mutex_lock(&pool->mu);
	if ((w = pool->head) != NULL) {
		/* The longest waiter gets this connection; it stays in use. */
		if ((pool->head = w->next) == NULL)
			pool->tail = NULL;
		w->db = db;
		pool->acquired++;
		pthread_cond_signal(&w->cv);
	} else {
		db->in_use = false;
		pool->in_use--;
	}
	pthread_mutex_unlock(&pool->mu);
}

static int
acquire(struct db_pool *pool, struct mado_db **out)
{
	struct mado_db *db = NULL;
	struct timespec deadline;
	int rc = 0;

	*out = NULL;
	if (!pool->ready)
		return MADO_E_DB_UNAVAILABLE;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += pool->wait_ms / 1000;
	deadline.tv_nsec += (long)(pool->wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&pool->mu);
	if (pool->head == NULL)
		db = take_free_slot(pool);
	if (db == NULL) {
		struct waiter w = {.db = NULL, .next = NULL}, **pp;

		pthread_cond_init(&w.cv, &pool->ca);
		/* The waiter lives on this stack while it waits: it leaves the queue (handed a
		   connection, or timed out below) before this function returns. */
		if (pool->tail != NULL)
			pool->tail->next = &w;
		else
			pool->head = &w; /* cppcheck-suppress autoVariables */
		pool->tail = &w;         /* cppcheck-suppress autoVariables */
		pool->waiting++;
		while (w.db == NULL && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&w.cv, &pool->mu, &deadline);
		pool->waiting--;
		if ((db = w.db) == NULL) {
			/* Timed out: leave the queue. */
			for (pp = &pool->head; *pp != &w; pp = &(*pp)->next)
				;
			*pp = w.next;
			if (pool->tail == &w) {
				struct waiter *last = pool->head;

				while (last != NULL && last->next != NULL)
					last = last->next;
				pool->tail = last;
			}
			pool->timeouts++;
		}
		pthread_cond_destroy(&w.cv);
	}
	pthread_mutex_unlock(&pool->mu);
	if (db == NULL)
		return MADO_E_DB_UNAVAILABLE;
	/* Connecting happens outside the lock: other threads keep their connections. */
	if (ensure_conn(db) != MADO_OK) {
		give_back(db);
		return MADO_E_DB_UNAVAILABLE;
	}
	db->sqlstate[0] = '\0';
	*out = db;
	return MADO_OK;
}

int
mado_db_acquire(struct mado_db **out)
{
	return acquire(&primary, out);
}

int
mado_db_acquire_read(struct mado_db **out)
{
	bool skip;

	if (!reader.ready)
		return acquire(&primary, out);
	/* A read pool that failed lately is left alone for a while: these reads may be
	   stale, never absent, so the primary serves them meanwhile. */
	pthread_mutex_lock(&reader.mu);
	skip = reader.down && mado_now_ms() - reader.down_ms < DB_READ_RETRY_MS;
	pthread_mutex_unlock(&reader.mu);
	if (!skip && acquire(&reader, out) == MADO_OK)
		return MADO_OK;
	return acquire(&primary, out);
}

void
mado_db_release(struct mado_db *db)
{
	if (db == NULL)
		return;
	/* A connection left mid-transaction or broken is not worth repairing: reopen later. */
	if (db->conn != NULL &&
	    (PQstatus(db->conn) != CONNECTION_OK || PQtransactionStatus(db->conn) != PQTRANS_IDLE))
		drop_conn(db);
	give_back(db);
}

const char *
mado_db_sqlstate(const struct mado_db *db)
{
	return db->sqlstate;
}

int
mado_db_classify(PGconn *conn, const PGresult *res)
{
	const char *state;

	if (res != NULL) {
		switch (PQresultStatus(res)) {
		case PGRES_COMMAND_OK:
		case PGRES_TUPLES_OK: return MADO_OK;
		default: break;
		}
	}
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK)
		return MADO_E_DB_UNAVAILABLE;
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	if (state == NULL)
		return MADO_E_DB_UNAVAILABLE;
	/* Class 08 connection, 53 resources, 57 operator intervention (shutdown), 40 retry. */
	if (strncmp(state, "08", 2) == 0 || strncmp(state, "53", 2) == 0 ||
	    strncmp(state, "57", 2) == 0 || strncmp(state, "40", 2) == 0)
		return MADO_E_DB_UNAVAILABLE;
	if (strncmp(state, "23", 2) == 0)
		return MADO_E_CONFLICT;
	/* Mado's own: a session for a person whose account the operator disabled (0028). */
	if (strcmp(state, "MD001") == 0)
		return MADO_E_ACCOUNT_DISABLED;
	return MADO_E_INTERNAL;
}

static int
finish(struct mado_db *db, const char *what, PGresult *r, PGresult **res)
{
	const char *state, *constraint;
	int rc;

	rc = mado_db_classify(db->conn, r);
	if (rc == MADO_OK) {
		*res = r;
		return MADO_OK;
	}
	state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	snprintf(db->sqlstate, sizeof(db->sqlstate), "%s", state != NULL ? state : "08006");
	/* SQLSTATE and names only: messages can quote parameter values (personal data). */
	constraint = r != NULL ? PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME) : NULL;
	if (rc != MADO_E_CONFLICT && rc != MADO_E_ACCOUNT_DISABLED)
		mado_log_warn(NULL, "database: %s failed, sqlstate %s%s%s", what, db->sqlstate,
			      constraint != NULL ? ", constraint " : "",
			      constraint != NULL ? constraint : "");
	PQclear(r);
	if (rc == MADO_E_DB_UNAVAILABLE && PQstatus(db->conn) != CONNECTION_OK)
		drop_conn(db);
	return rc;
}

/* The statement's slot (assigned on first use anywhere), or an error past the limit. */
static int
stmt_slot(struct mado_db_stmt *st, int *out)
{
	int slot, expected = 0;

	if ((slot = atomic_load(&st->slot)) == 0) {
		slot = atomic_fetch_add(&next_slot, 1);
		if (!atomic_compare_exchange_strong(&st->slot, &expected, slot))
			slot = expected;
	}
	if (slot >= DB_MAX_STMTS) {
		mado_log_err(NULL, "database: too many prepared statements (%s)", st->name);
		return MADO_E_INTERNAL;
	}
	*out = slot;
	return MADO_OK;
}

static bool
is_prepared(const struct mado_db *db, int slot)
{
	return (db->prepared[slot / 64] & (UINT64_C(1) << (slot % 64))) != 0;
}

static int exec_as_person(struct mado_db *db, const char *person, struct mado_db_stmt *st,
			  const char *const *params, PGresult **res);

int
mado_db_exec(struct mado_db *db, struct mado_db_stmt *st, const char *const *params, PGresult **res)
{
	PGresult *r;
	int slot, rc;

	*res = NULL;
	if (st->as_person && db->conn != NULL) {
		/* On its own: one round trip that is its own transaction. Inside the
		   caller's transaction: the person for the rest of it, then the statement. */
		if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
			return exec_as_person(db, params[0], st, params, res);
		if ((rc = mado_db_set_person(db, params[0])) != MADO_OK)
			return rc;
	}
	db->sqlstate[0] = '\0';
	if (db->conn == NULL)
		return MADO_E_DB_UNAVAILABLE;
	if ((rc = stmt_slot(st, &slot)) != MADO_OK)
		return rc;
	if (!is_prepared(db, slot)) {
		r = PQprepare(db->conn, st->name, st->sql, st->nparams, NULL);
		if ((rc = finish(db, st->name, r, &r)) != MADO_OK)
			return rc;
		PQclear(r);
		db->prepared[slot / 64] |= UINT64_C(1) << (slot % 64);
	}
	r = PQexecPrepared(db->conn, st->name, st->nparams, params, NULL, NULL, st->binary ? 1 : 0);
	return finish(db, st->name, r, res);
}

int
mado_db_run(struct mado_db *db, struct mado_db_stmt *st, const char *const *params, long *rows)
{
	PGresult *r;
	int rc;

	if ((rc = mado_db_exec(db, st, params, &r)) != MADO_OK)
		return rc;
	if (rows != NULL)
		*rows = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return MADO_OK;
}

int
mado_db_open_single(const struct mado_config *cfg, bool owner, struct mado_db **out)
{
	struct mado_db_pool_config dc;
	int rc;

	*out = NULL;
	dc.conninfo = owner ? mado_config_migrate_url(cfg) : cfg->db_url;
	dc.size = 1;
	dc.wait_ms = cfg->db_wait_ms;
	dc.connect_timeout = cfg->db_connect_timeout;
	if ((rc = mado_db_pool_init(&dc)) != MADO_OK)
		return rc;
	return mado_db_acquire(out);
}

/* Reads up to and including the pipeline's sync point, discarding what comes. */
static void
drain_to_sync(PGconn *conn)
{
	PGresult *r;
	int nulls = 0;

	while (nulls < 2) {
		if ((r = PQgetResult(conn)) == NULL) {
			nulls++;
			continue;
		}
		nulls = 0;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			return;
		}
		PQclear(r);
	}
}

/* A person's read is a transaction of its own; its statements are prepared once per
   connection too, so none of them is parsed and planned on every read. */
static struct mado_db_stmt Q_BEGIN = MADO_DB_STMT("db_begin", "BEGIN", 0);
static struct mado_db_stmt Q_SET_PERSON_GENERIC =
    MADO_DB_STMT("db_set_person_generic", DB_SET_PERSON_GENERIC_SQL, 1);
static struct mado_db_stmt Q_COMMIT = MADO_DB_STMT("db_commit", "COMMIT", 0);

static int
exec_as_person(struct mado_db *db, const char *person, struct mado_db_stmt *st,
	       const char *const *params, PGresult **res)
{
	struct {
		struct mado_db_stmt *st;
		const char *const *params;
		int slot;
		bool prep;
	} step[4] = {
	    {&Q_BEGIN, NULL, 0, false},
	    {st->generic_plan ? &Q_SET_PERSON_GENERIC : &db__set_person, &person, 0, false},
	    {st, params, 0, false},
	    {&Q_COMMIT, NULL, 0, false}};
	PGconn *c = db->conn;
	PGresult *r, *keep = NULL;
	ExecStatusType status;
	int i, k, rc;
	bool sent = true, lost = false;

	*res = NULL;
	db->sqlstate[0] = '\0';
	if (c == NULL)
		return MADO_E_DB_UNAVAILABLE;
	for (i = 0; i < 4; i++) {
		if ((rc = stmt_slot(step[i].st, &step[i].slot)) != MADO_OK)
			return rc;
		step[i].prep = !is_prepared(db, step[i].slot);
	}
	if (!PQenterPipelineMode(c))
		return MADO_E_INTERNAL;
	for (i = 0; sent && i < 4; i++)
		sent = (!step[i].prep || PQsendPrepare(c, step[i].st->name, step[i].st->sql,
						       step[i].st->nparams, NULL)) &&
		       PQsendQueryPrepared(c, step[i].st->name, step[i].st->nparams, step[i].params,
					   NULL, NULL, 0);
	sent = sent && PQpipelineSync(c);
	/* Results in order: each step's PREPARE when it was sent, then the step itself. */
	rc = MADO_OK;
	for (i = 0; sent && !lost && i < 4; i++) {
		for (k = step[i].prep ? 0 : 1; k < 2; k++) {
			if ((r = PQgetResult(c)) == NULL) {
				rc = mado_db_classify(c, NULL);
				lost = true;
				break;
			}
			status = PQresultStatus(r);
			if (k == 0 && status == PGRES_COMMAND_OK) {
				/* Prepared on this connection, whatever happens after. */
				db->prepared[step[i].slot / 64] |= UINT64_C(1)
								   << (step[i].slot % 64);
			} else if (rc == MADO_OK && status != PGRES_COMMAND_OK &&
				   status != PGRES_TUPLES_OK) {
				rc = finish(db, step[i].st->name, r, &r); /* clears r */
				if (db->conn == NULL) /* finish dropped the broken connection */
					return rc;
				r = NULL;
			} else if (rc == MADO_OK && i == 2 && k == 1) {
				keep = r;
				r = NULL;
			}
			PQclear(r);
			while ((r = PQgetResult(c)) != NULL) /* the end of this command's results */
				PQclear(r);
		}
	}
	if (!sent)
		rc = mado_db_classify(c, NULL);
	if (db->conn != NULL) {
		drain_to_sync(c);
		if (!PQexitPipelineMode(c))
			rc = rc == MADO_OK ? MADO_E_INTERNAL : rc;
	}
	if (rc != MADO_OK) {
		PQclear(keep);
		if (db->conn != NULL && PQstatus(c) == CONNECTION_OK)
			return mado_db_rollback(db, rc);
		return rc;
	}
	*res = keep;
	return MADO_OK;
}

int
db__simple(struct mado_db *db, const char *sql)
{
	PGresult *r;
	int rc;

	if (db->conn == NULL)
		return MADO_E_DB_UNAVAILABLE;
	r = PQexec(db->conn, sql);
	if ((rc = finish(db, sql, r, &r)) == MADO_OK)
		PQclear(r);
	return rc;
}
