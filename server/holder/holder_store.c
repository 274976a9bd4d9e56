/*
 * mado-holder's database: a handful of connections, one per CivetWeb worker at most, each
 * lent to one request at a time. Every statement is parameterised; the replay decision and
 * the read are one transaction, so a record is answered at most once even when the same
 * ticket arrives twice at the same moment.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <libpq-fe.h>
#include <openssl/crypto.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/log.h"
#include "mado/util.h"
#include "holder_int.h"

struct holder_store {
	char *conninfo;
	int n;
	PGconn **conns;
	bool *busy;
	pthread_mutex_t mu;
	pthread_cond_t freed;
};

/* The values of a holder, as the answer's "items" object: {"item": {"value", "as_of"}}.
   With a period ($3, $4: dates or NULL), only values whose day lies in it. */
#define SELECT_VALUES                                                                              \
	"SELECT coalesce(jsonb_object_agg(h.item, jsonb_build_object('value', h.value,"            \
	" 'as_of', h.as_of) ORDER BY h.item), '{}'::jsonb)::text FROM holder.holdings h"           \
	" WHERE h.pseudonym = $1"                                                                  \
	" AND h.item IN (SELECT jsonb_array_elements_text($2::jsonb))"

static const char Q_USE[] = "INSERT INTO holder.used_tickets (record) VALUES ($1::uuid)"
			    " ON CONFLICT DO NOTHING";
static const char Q_VALUES_IN_PERIOD[] =
    SELECT_VALUES " AND ($3::date IS NULL OR h.as_of >= $3::date)"
		  " AND ($4::date IS NULL OR h.as_of <= $4::date)";
static const char Q_VALUES[] = SELECT_VALUES;
static const char Q_NOTE[] = "INSERT INTO holder.requests (record, outcome) VALUES ($1::uuid, $2)";
static const char Q_INTERNAL[] =
    "INSERT INTO holder.internal_reads (event_id, pseudonym, items, officer, purpose,"
    " legal_ref) VALUES ($1::uuid, $2, ARRAY(SELECT jsonb_array_elements_text($3::jsonb)),"
    " $4, $5, $6)";
static const char Q_REPORTED[] =
    "UPDATE holder.internal_reads SET reported_at = now() WHERE event_id = $1::uuid";
/* The tables are there (an error otherwise) and the role may do what the service does. */
static const char Q_CHECK[] = "SELECT has_table_privilege('holder.holdings', 'SELECT')"
			      " AND has_table_privilege('holder.used_tickets', 'INSERT')"
			      " AND has_table_privilege('holder.requests', 'INSERT')"
			      " AND has_table_privilege('holder.internal_reads', 'INSERT')";

int
holder_store_open(const char *conninfo, int n, struct holder_store **out, char *why, size_t whylen)
{
	struct holder_store *s;
	PGconn *c;
	PGresult *r;
	int ok;

	*out = NULL;
	c = mado_db_connect(conninfo, HOLDER_CONNECT_TIMEOUT, "mado-holder");
	if (PQstatus(c) != CONNECTION_OK) {
		/* libpq's message names the host, never the password. */
		snprintf(why, whylen, "cannot connect to the database: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, Q_CHECK);
	ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
	     strcmp(PQgetvalue(r, 0, 0), "t") == 0;
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		snprintf(why, whylen,
			 "the holder schema is missing (apply sql/holder/schema.sql): %s",
			 PQresultErrorMessage(r));
	else if (!ok)
		snprintf(why, whylen,
			 "the database role may not read holder.holdings or write the holder's "
			 "other tables");
	PQclear(r);
	if (!ok) {
		PQfinish(c);
		return -1;
	}
	s = mado_xcalloc(1, sizeof(*s));
	s->conninfo = mado_xstrdup(conninfo);
	s->n = n < 1 ? 1 : n;
	s->conns = mado_xcalloc((size_t)s->n, sizeof(*s->conns));
	s->busy = mado_xcalloc((size_t)s->n, sizeof(*s->busy));
	s->conns[0] = c;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->freed, NULL);
	*out = s;
	return 0;
}

void
holder_store_close(struct holder_store *s)
{
	int i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		PQfinish(s->conns[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->freed);
	free(s->conns);
	free(s->busy);
	free(s->conninfo);
	free(s);
}

/* Lends a connection (waiting for one to be free); NULL when the database cannot be
   reached. A broken connection is made again here, so an outage lasts only as long as
   the database is away. */
static PGconn *
take(struct holder_store *s, int *slot)
{
	PGconn *c;
	int i;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		for (i = 0; i < s->n && s->busy[i]; i++)
			;
		if (i < s->n)
			break;
		pthread_cond_wait(&s->freed, &s->mu);
	}
	s->busy[i] = true;
	c = s->conns[i];
	pthread_mutex_unlock(&s->mu);
	*slot = i;
	if (c != NULL && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
	}
	if (c == NULL) {
		c = mado_db_connect(s->conninfo, HOLDER_CONNECT_TIMEOUT, "mado-holder");
		if (PQstatus(c) != CONNECTION_OK) {
			mado_log_warn(NULL, "holder: the database cannot be reached");
			PQfinish(c);
			c = NULL;
		}
		s->conns[i] = c; /* only this slot's borrower touches it */
	}
	if (c == NULL) {
		pthread_mutex_lock(&s->mu);
		s->busy[i] = false;
		pthread_cond_signal(&s->freed);
		pthread_mutex_unlock(&s->mu);
	}
	return c;
}

static void
give_back(struct holder_store *s, int slot)
{
	pthread_mutex_lock(&s->mu);
	s->busy[slot] = false;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->mu);
}

/* An error's kind: the database went away, or something else went wrong. */
static int
failed(PGconn *c, PGresult *r, const char *what)
{
	int rc = PQstatus(c) != CONNECTION_OK ? MADO_E_DB_UNAVAILABLE : MADO_E_INTERNAL;
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	/* The SQLSTATE only: messages may quote values. */
	mado_log_err(NULL, "holder: %s failed (sqlstate %s)", what, state != NULL ? state : "-");
	return rc;
}

static bool
command_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;

	PQclear(r);
	return ok;
}

static void
rollback(PGconn *c)
{
	if (PQtransactionStatus(c) != PQTRANS_IDLE)
		(void)command_ok(c, "ROLLBACK");
}

/*
 * Lends a connection with a transaction begun. A pooled connection may have died while it
 * was idle (the database restarted, an idle session was ended): then BEGIN is the first
 * thing to fail, nothing has happened yet, and one new connection is tried before giving
 * up.
 */
static PGconn *
take_begun(struct holder_store *s, int *slot, int *rc)
{
	PGconn *c;
	int attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if ((c = take(s, slot)) == NULL) {
			*rc = MADO_E_DB_UNAVAILABLE;
			return NULL;
		}
		if (command_ok(c, "BEGIN"))
			return c;
		*rc = failed(c, NULL, "begin");
		give_back(s, *slot);
		if (*rc != MADO_E_DB_UNAVAILABLE)
			return NULL;
	}
	return NULL;
}

/* Runs a statement with text parameters; the result, or NULL (cleared) when it failed. */
static PGresult *
run(PGconn *c, const char *sql, int n, const char *const *params, ExecStatusType want,
    const char *what, int *rc)
{
	PGresult *r = PQexecParams(c, sql, n, NULL, params, NULL, NULL, 0);

	if (PQresultStatus(r) != want) {
		*rc = failed(c, r, what);
		PQclear(r);
		return NULL;
	}
	return r;
}

static char *
items_json(const struct mado_ticket *t)
{
	cJSON *a = cJSON_CreateArray();
	char *text;
	int i;

	for (i = 0; i < t->n_items; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(t->items[i]));
	text = cJSON_PrintUnformatted(a);
	cJSON_Delete(a);
	return text;
}

int
holder_store_answer(struct holder_store *s, const struct mado_ticket *t,
		    int (*seal)(const char *items, void *arg), void *arg)
{
	const char *p[4];
	char *list = NULL, *items = NULL;
	PGresult *r;
	PGconn *c;
	int slot, rc = MADO_E_INTERNAL;
	bool fresh;

	if ((c = take_begun(s, &slot, &rc)) == NULL)
		return rc;
	p[0] = t->record;
	if ((r = run(c, Q_USE, 1, p, PGRES_COMMAND_OK, "marking the ticket used", &rc)) == NULL)
		goto out;
	fresh = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!fresh) {
		rc = MADO_E_CONFLICT;
		goto out;
	}
	list = items_json(t);
	p[0] = t->subject;
	p[1] = list;
	p[2] = t->from[0] != '\0' ? t->from : NULL;
	p[3] = t->to[0] != '\0' ? t->to : NULL;
	if (p[2] != NULL || p[3] != NULL)
		r = run(c, Q_VALUES_IN_PERIOD, 4, p, PGRES_TUPLES_OK, "reading values", &rc);
	else
		r = run(c, Q_VALUES, 2, p, PGRES_TUPLES_OK, "reading values", &rc);
	if (r == NULL)
		goto out;
	if (PQntuples(r) == 1)
		items = mado_xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	/* Sealed before the commit: a record is used only once its answer exists. */
	if (items == NULL || (rc = seal(items, arg)) != MADO_OK)
		goto out;
	rc = MADO_E_INTERNAL;
	p[0] = t->record;
	p[1] = "answered";
	if ((r = run(c, Q_NOTE, 2, p, PGRES_COMMAND_OK, "logging the request", &rc)) == NULL)
		goto out;
	PQclear(r);
	if (!command_ok(c, "COMMIT")) {
		rc = failed(c, NULL, "commit");
		goto out;
	}
	rc = MADO_OK;
out:
	if (rc != MADO_OK)
		rollback(c);
	if (items != NULL) {
		/* The values leave this process sealed only. */
		OPENSSL_cleanse(items, strlen(items));
		free(items);
	}
	free(list);
	give_back(s, slot);
	return rc;
}

int
holder_store_note(struct holder_store *s, const char *record, const char *outcome)
{
	const char *p[2] = {record, outcome};
	PGresult *r;
	PGconn *c;
	int slot, rc = MADO_E_INTERNAL;

	if ((c = take_begun(s, &slot, &rc)) == NULL)
		return -1;
	if ((r = run(c, Q_NOTE, 2, p, PGRES_COMMAND_OK, "logging the request", &rc)) != NULL) {
		PQclear(r);
		rc = command_ok(c, "COMMIT") ? MADO_OK : failed(c, NULL, "commit");
	}
	if (rc != MADO_OK)
		rollback(c);
	give_back(s, slot);
	return rc == MADO_OK ? 0 : -1;
}

int
holder_store_internal_read(struct holder_store *s, const char *event_id, const char *pseudonym,
			   const char *items, const char *officer, const char *purpose,
			   const char *legal_ref, char **values)
{
	const char *p[6] = {event_id, pseudonym, items, officer, purpose, legal_ref};
	PGresult *r;
	PGconn *c;
	int slot, rc = MADO_E_INTERNAL;

	*values = NULL;
	if ((c = take_begun(s, &slot, &rc)) == NULL)
		return rc;
	if ((r = run(c, Q_INTERNAL, 6, p, PGRES_COMMAND_OK, "recording the read", &rc)) == NULL)
		goto out;
	PQclear(r);
	p[0] = pseudonym;
	p[1] = items;
	if ((r = run(c, Q_VALUES, 2, p, PGRES_TUPLES_OK, "reading values", &rc)) == NULL)
		goto out;
	if (PQntuples(r) == 1)
		*values = mado_xstrdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (*values == NULL)
		goto out;
	if (!command_ok(c, "COMMIT")) {
		rc = failed(c, NULL, "commit");
		goto out;
	}
	rc = MADO_OK;
out:
	if (rc != MADO_OK) {
		rollback(c);
		free(*values);
		*values = NULL;
	}
	give_back(s, slot);
	return rc;
}

int
holder_store_reported(struct holder_store *s, const char *event_id)
{
	const char *p[1] = {event_id};
	PGresult *r;
	PGconn *c;
	int slot, rc = MADO_E_INTERNAL;

	if ((c = take_begun(s, &slot, &rc)) == NULL)
		return rc;
	if ((r = run(c, Q_REPORTED, 1, p, PGRES_COMMAND_OK, "marking the read reported", &rc)) !=
	    NULL) {
		PQclear(r);
		rc = command_ok(c, "COMMIT") ? MADO_OK : failed(c, NULL, "commit");
	}
	if (rc != MADO_OK)
		rollback(c);
	give_back(s, slot);
	return rc;
}
