/*
 * mado-holder's one route, POST /holder/v1/answers: a ticket Mado signed comes in, the
 * values it names go out sealed to the requester's reply key. Every request, refused or
 * answered, leaves one row in holder.requests and one line in the operational log (the
 * outcome and the record id: never the ticket, the pseudonym or a value).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <civetweb.h>
#include <cjson/cJSON.h>
#include <openssl/crypto.h>

#include "mado/err.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/util.h"
#include "holder_int.h"

#define ROUTE "/holder/v1/answers"

/* One request's state, from its arrival to its log line. */
struct answer {
	struct mg_connection *conn;
	const struct holder_service *svc;
	char id[17];     /* request id, for the problem's instance and the log */
	char record[37]; /* the ticket's record, once its signature held */
	const char *outcome;
	int status;
	struct timespec start;
	struct mado_ticket t;
	char *sealed;
	/* The response, sent once the request's row is written. */
	const char *ctype;
	char *body;
};

static void
set_response(struct answer *a, int status, const char *ctype, char *body)
{
	a->status = status;
	a->ctype = ctype;
	a->body = body;
}

static void
send_response(struct answer *a)
{
	size_t len = strlen(a->body);

	mg_printf(a->conn,
		  "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		  "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n%s\r\n",
		  a->status, mg_get_response_code_text(a->conn, a->status), a->ctype, len,
		  a->status == 405 ? "Allow: POST\r\n" : "");
	mg_write(a->conn, a->body, len);
}

/* An RFC 9457 problem with Mado's type scheme; slug is the type's last part and the
   request's outcome. */
static void
problem(struct answer *a, int status, const char *slug, const char *title)
{
	char type[96], instance[64];
	cJSON *p = cJSON_CreateObject();

	snprintf(type, sizeof(type), MADO_PROBLEM_TYPE_PREFIX "%s", slug);
	snprintf(instance, sizeof(instance), "urn:mado:request:%s", a->id);
	cJSON_AddStringToObject(p, "type", type);
	cJSON_AddStringToObject(p, "title", title);
	cJSON_AddNumberToObject(p, "status", status);
	cJSON_AddStringToObject(p, "instance", instance);
	cJSON_AddStringToObject(p, "request_id", a->id);
	set_response(a, status, "application/problem+json", cJSON_PrintUnformatted(p));
	cJSON_Delete(p);
	a->outcome = slug;
}

static void
fail(struct answer *a, int err)
{
	problem(a, mado_err_status(err), mado_err_slug(err), mado_err_title(err));
}

static const struct {
	enum mado_ticket_verdict verdict;
	int status;
	const char *title;
} verdicts[] = {
    {MADO_TICKET_MALFORMED, 401, "The ticket is not a ticket, or a field is out of shape"},
    {MADO_TICKET_SIGNATURE, 401, "The ticket's signature does not verify under Mado's key"},
    {MADO_TICKET_FOREIGN, 403, "The ticket names another holder"},
    {MADO_TICKET_EXPIRED, 401, "The ticket has expired"},
};

static void
refuse_ticket(struct answer *a, enum mado_ticket_verdict v)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(verdicts); i++)
		if (verdicts[i].verdict == v) {
			problem(a, verdicts[i].status, mado_ticket_verdict_slug(v),
				verdicts[i].title);
			return;
		}
	fail(a, MADO_E_INTERNAL);
}

/* The body, at most HOLDER_BODY_MAX bytes: MADO_OK, or MADO_E_BODY_TOO_LARGE. */
static int
read_body(struct mg_connection *conn, char *buf, size_t cap, size_t *len)
{
	int n;

	*len = 0;
	while ((n = mg_read(conn, buf + *len, cap - *len)) > 0) {
		*len += (size_t)n;
		if (*len == cap)
			return MADO_E_BODY_TOO_LARGE;
	}
	buf[*len] = '\0';
	return MADO_OK;
}

/* seal for holder_store_answer: the answer's plaintext sealed to the ticket's reply key,
   bound to its record. */
static int
seal_values(const char *items, void *arg)
{
	struct answer *a = arg;
	cJSON *plain = cJSON_CreateObject();
	char *text;

	cJSON_AddStringToObject(plain, "record", a->t.record);
	cJSON_AddRawToObject(plain, "items", items);
	text = cJSON_PrintUnformatted(plain);
	cJSON_Delete(plain);
	a->sealed = mado_seal(a->t.reply_key, a->t.record, text, strlen(text));
	OPENSSL_cleanse(text, strlen(text));
	cJSON_free(text);
	return a->sealed != NULL ? MADO_OK : MADO_E_INTERNAL;
}

static void
answer(struct answer *a)
{
	char body[HOLDER_BODY_MAX + 1], detail[128];
	const cJSON *ticket, *m;
	enum mado_ticket_verdict v;
	cJSON *json = NULL, *out;
	size_t len;
	int rc;

	if (read_body(a->conn, body, sizeof(body) - 1, &len) != MADO_OK) {
		fail(a, MADO_E_BODY_TOO_LARGE);
		return;
	}
	if (mado_json_parse(body, len, &json, detail, sizeof(detail)) != MADO_OK ||
	    !cJSON_IsObject(json)) {
		fail(a, MADO_E_INVALID_BODY);
		goto done;
	}
	/* {"ticket": "..."} and nothing else. */
	for (m = json->child; m != NULL; m = m->next)
		if (strcmp(m->string, "ticket") != 0) {
			fail(a, MADO_E_INVALID_BODY);
			goto done;
		}
	ticket = cJSON_GetObjectItemCaseSensitive(json, "ticket");
	if (ticket == NULL || cJSON_IsNull(ticket) ||
	    (cJSON_IsString(ticket) && ticket->valuestring[0] == '\0')) {
		problem(a, 401, "ticket-missing", "No ticket came with the request");
		goto done;
	}
	if (!cJSON_IsString(ticket)) {
		fail(a, MADO_E_INVALID_BODY);
		goto done;
	}
	v = mado_ticket_verify(a->svc->mado_key, ticket->valuestring, a->svc->org, time(NULL),
			       &a->t);
	/* The record is worth logging only when Mado's signature vouches for it. */
	if (v == MADO_TICKET_OK || v == MADO_TICKET_FOREIGN || v == MADO_TICKET_EXPIRED)
		snprintf(a->record, sizeof(a->record), "%s", a->t.record);
	if (v != MADO_TICKET_OK) {
		refuse_ticket(a, v);
		goto done;
	}
	rc = holder_store_answer(a->svc->store, &a->t, seal_values, a);
	if (rc == MADO_E_CONFLICT) {
		problem(a, 409, "ticket-replayed", "This access record has been answered already");
		goto done;
	}
	if (rc != MADO_OK) {
		fail(a, rc == MADO_E_DB_UNAVAILABLE ? rc : MADO_E_INTERNAL);
		goto done;
	}
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "holder", a->svc->org);
	cJSON_AddStringToObject(out, "record", a->t.record);
	cJSON_AddStringToObject(out, "sealed", a->sealed);
	set_response(a, 200, "application/json", cJSON_PrintUnformatted(out));
	cJSON_Delete(out);
	a->outcome = "answered";
done:
	cJSON_Delete(json);
}

int
holder_api_request(struct mg_connection *conn, const struct holder_service *svc)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	struct answer *a = mado_xcalloc(1, sizeof(*a));
	unsigned char rnd[8];
	int status;

	a->conn = conn;
	a->svc = svc;
	clock_gettime(CLOCK_MONOTONIC, &a->start);
	if (mado_random(rnd, sizeof(rnd)) != 0)
		memset(rnd, 0, sizeof(rnd));
	mado_hex(rnd, sizeof(rnd), a->id);

	if (strcmp(ri->local_uri, ROUTE) != 0)
		fail(a, MADO_E_NOT_FOUND);
	else if (strcmp(ri->request_method, "POST") != 0)
		fail(a, MADO_E_METHOD_NOT_ALLOWED);
	else if (ri->client_cert == NULL) /* the handshake insists; this is a second lock */
		fail(a, MADO_E_UNAUTHENTICATED);
	else
		answer(a);

	/* The answered request's row was written with its answer; every other one here,
	   before the caller hears of it. */
	if (strcmp(a->outcome, "answered") != 0 &&
	    holder_store_note(a->svc->store, a->record[0] != '\0' ? a->record : NULL, a->outcome) !=
		0)
		mado_log_warn(a->id, "holder: the request could not be logged in the database");
	send_response(a);
	mado_log(MADO_LOG_INFO, a->id, "answer: outcome=%s record=%s status=%d ms=%.1f", a->outcome,
		 a->record[0] != '\0' ? a->record : "-", a->status, mado_elapsed_ms(&a->start));
	status = a->status;
	free(a->sealed);
	cJSON_free(a->body);
	OPENSSL_cleanse(&a->t, sizeof(a->t));
	free(a);
	return status;
}
