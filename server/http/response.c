/*
 * The one response writer. Status line, headers and body leave in a single mg_write (a
 * large body in pieces, see http__send): a response split over several small writes costs
 * about three times as much, and the security
 * headers are never forgotten on some path (CivetWeb adds its own only to responses it
 * generates itself).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <civetweb.h>
#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/util.h"
#include "http_int.h"

/* Header blocks built once at start from the configuration. */
static char common_headers[640];

static const char CSP_API[] = "Content-Security-Policy: default-src 'none'; "
			      "frame-ancestors 'none'; base-uri 'none'; form-action 'none'\r\n";
/* Forms post to their own origin; the TLS login page's form is then sent on to the
   portal (303), which form-action must allow as well. */
static char csp_html[512];

int
http__response_init(const struct mado_config *cfg)
{
	char hsts[96] = "";
	int n;

	/* Browsers ignore HSTS over plain HTTP; send it only where it means something. */
	if (cfg->tls)
		snprintf(hsts, sizeof(hsts),
			 "Strict-Transport-Security: max-age=%d; includeSubDomains\r\n",
			 cfg->hsts_max_age);
	n = snprintf(common_headers, sizeof(common_headers),
		     "%s"
		     "X-Content-Type-Options: nosniff\r\n"
		     "Referrer-Policy: no-referrer\r\n"
		     "X-Frame-Options: DENY\r\n"
		     "Cross-Origin-Opener-Policy: same-origin\r\n"
		     "Cross-Origin-Resource-Policy: same-origin\r\n"
		     "Permissions-Policy: camera=(), microphone=(), geolocation=(), payment=()\r\n",
		     hsts);
	if (n <= 0 || (size_t)n >= sizeof(common_headers))
		return MADO_E_INTERNAL;
	n = snprintf(csp_html, sizeof(csp_html),
		     "Content-Security-Policy: default-src 'none'; script-src 'self'; "
		     "style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; "
		     "manifest-src 'self'; base-uri 'none'; form-action 'self' %s; "
		     "frame-ancestors 'none'; report-uri /api/v1/csp-reports\r\n",
		     cfg->public_origin != NULL ? cfg->public_origin : "");
	return n > 0 && (size_t)n < sizeof(csp_html) ? MADO_OK : MADO_E_INTERNAL;
}

/* Request ids come from a pool each thread refills 64 ids at a time: a DRBG call per
   request was a tenth of a request's time. An id is public once its response leaves, so
   the bytes waiting in the pool hide nothing. */
static int
request_id_bytes(unsigned char out[16])
{
	static __thread unsigned char pool[1024];
	static __thread size_t left;

	if (left < 16) {
		if (mado_random(pool, sizeof(pool)) != 0)
			return -1;
		left = sizeof(pool);
	}
	left -= 16;
	memcpy(out, pool + left, 16);
	return 0;
}

void
http__req_init(struct mado_req *rq, struct mg_connection *conn)
{
	unsigned char raw[16];

	memset(rq, 0, sizeof(*rq));
	clock_gettime(CLOCK_MONOTONIC, &rq->start);
	rq->conn = conn;
	rq->ri = conn != NULL ? mg_get_request_info(conn) : NULL;
	rq->status = 500;
	rq->cache = MADO_CACHE_NO_STORE;
	if (request_id_bytes(raw) != 0)
		memset(raw, 0, sizeof(raw)); /* RAND failed: the id only loses uniqueness */
	mado_b64url(raw, sizeof(raw), rq->id);
	http__client_of(rq);
}

void
mado_http_db_release(struct mado_req *rq)
{
	mado_db_release(rq->db);
	rq->db = NULL;
}

void
http__req_cleanup(struct mado_req *rq)
{
	mado_http_db_release(rq);
	free(rq->body);
	cJSON_Delete(rq->json);
	cJSON_Delete(rq->problem_ext);
	mado_text_free(&rq->out);
	mado_text_free(&rq->headers);
	mado_text_free(&rq->query_buf);
	rq->body = NULL;
	rq->json = rq->problem_ext = NULL;
}

int
mado_http_text(struct mado_req *rq, int status, const char *content_type, const void *body,
	       size_t len)
{
	rq->out.len = 0;
	mado_text_append(&rq->out, body, len);
	rq->status = status;
	rq->content_type = content_type;
	return MADO_OK;
}

int
mado_http_take(struct mado_req *rq, const char *content_type, struct mado_text *t)
{
	mado_text_free(&rq->out);
	rq->out = *t;
	memset(t, 0, sizeof(*t));
	rq->status = 200;
	rq->content_type = content_type;
	return MADO_OK;
}

int
mado_http_json(struct mado_req *rq, int status, cJSON *json)
{
	char *s = cJSON_PrintUnformatted(json);
	int rc;

	cJSON_Delete(json);
	rc = mado_http_text(rq, status, "application/json", s, strlen(s));
	cJSON_free(s);
	return rc;
}

int
mado_http_redirect(struct mado_req *rq, const char *location)
{
	mado_http_header(rq, "Location", location);
	rq->out.len = 0;
	rq->content_type = NULL;
	rq->status = 303;
	return MADO_OK;
}

void
mado_http_revalidate(struct mado_req *rq)
{
	rq->cache = MADO_CACHE_REVALIDATE;
}

void
mado_http_cache_public(struct mado_req *rq, int max_age_s, bool immutable)
{
	rq->cache = MADO_CACHE_PUBLIC;
	rq->cache_max_age = max_age_s;
	rq->cache_immutable = immutable;
}

int
mado_http_rows(struct mado_req *rq, const char *member, mado_rows_fn fetch, const char *key,
	       const struct mado_jmember *map, size_t n)
{
	struct mado_json_rows rows = {NULL, map, n};
	struct mado_db *db;
	cJSON *out;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	rows.array = cJSON_AddArrayToObject(out, member);
	if ((rc = fetch(db, key, mado_json_append_row, &rows)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

int
mado_http_no_content(struct mado_req *rq)
{
	rq->out.len = 0;
	rq->status = 204;
	rq->content_type = NULL;
	return MADO_OK;
}

void
mado_http_header(struct mado_req *rq, const char *name, const char *value)
{
	if (strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL) {
		mado_log_err(rq->id, "refused a response header with CR, LF or colon in it");
		return;
	}
	mado_text_printf(&rq->headers, "%s: %s\r\n", name, value);
}

int
mado_http_fail(struct mado_req *rq, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rq->detail, sizeof(rq->detail), fmt, ap);
	va_end(ap);
	return err;
}

int
mado_http_need_card(struct mado_req *rq)
{
	if (rq->actor.card)
		return MADO_OK;
	return mado_http_fail(rq, MADO_E_CARD_REQUIRED,
			      "confirm with your card in this session first");
}

static cJSON *
ext_object(struct mado_req *rq, const char *name)
{
	if (rq->problem_ext == NULL)
		rq->problem_ext = cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(rq->problem_ext, name);
	return rq->problem_ext;
}

void
mado_http_ext(struct mado_req *rq, const char *name, const char *value)
{
	cJSON_AddStringToObject(ext_object(rq, name), name, value);
}

void
mado_http_ext_int(struct mado_req *rq, const char *name, long long value)
{
	cJSON_AddNumberToObject(ext_object(rq, name), name, (double)value);
}

int
mado_http_refuse(struct mado_req *rq, int err, const char *reason)
{
	mado_http_ext(rq, "reason", reason);
	return err;
}

int
mado_http_db(struct mado_req *rq, struct mado_db **out)
{
	int rc;

	if (rq->db == NULL && (rc = rq->stale_ok ? mado_db_acquire_read(&rq->db)
						 : mado_db_acquire(&rq->db)) != MADO_OK) {
		*out = NULL;
		return rc;
	}
	*out = rq->db;
	return MADO_OK;
}

const char *
mado_http_req_header(const struct mado_req *rq, const char *name)
{
	return rq->conn != NULL ? mg_get_header(rq->conn, name) : NULL;
}

struct x509_st *
mado_http_client_cert(const struct mado_req *rq)
{
	const struct mg_request_info *ri = rq->ri;

	return ri != NULL && ri->client_cert != NULL ? ri->client_cert->peer_cert : NULL;
}

void
http__problem(struct mado_req *rq, int err)
{
	char type[96], instance[64];
	cJSON *p, *ext, *next;

	if (err == MADO_E_INTERNAL)
		rq->detail[0] = '\0'; /* never explain internals to the client */
	snprintf(type, sizeof(type), MADO_PROBLEM_TYPE_PREFIX "%s", mado_err_slug(err));
	snprintf(instance, sizeof(instance), "urn:mado:request:%s", rq->id);
	rq->status = mado_err_status(err);
	rq->content_type = "application/problem+json";
	rq->out.len = 0;
	p = cJSON_CreateObject();
	cJSON_AddStringToObject(p, "type", type);
	cJSON_AddStringToObject(p, "title", mado_err_title(err));
	cJSON_AddNumberToObject(p, "status", rq->status);
	if (rq->detail[0] != '\0')
		cJSON_AddStringToObject(p, "detail", rq->detail);
	cJSON_AddStringToObject(p, "instance", instance);
	cJSON_AddStringToObject(p, "request_id", rq->id);
	if (rq->problem_ext != NULL) {
		/* Move the extension members over, never replacing the standard ones. */
		for (ext = rq->problem_ext->child; ext != NULL; ext = next) {
			next = ext->next;
			if (cJSON_GetObjectItemCaseSensitive(p, ext->string) != NULL)
				continue;
			cJSON_AddItemToObject(p, ext->string,
					      cJSON_DetachItemViaPointer(rq->problem_ext, ext));
		}
	}
	if (mado_http_json(rq, rq->status, p) == MADO_OK)
		rq->content_type = "application/problem+json";
}

static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 204: return "No Content";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

/* True if the comma-separated header value lists token (case-insensitive). */
static bool
has_token(const char *value, const char *token)
{
	size_t n = strlen(token), len;

	while (*value != '\0') {
		while (*value == ' ' || *value == '\t' || *value == ',')
			value++;
		len = strcspn(value, ", \t");
		if (len == n && strncasecmp(value, token, n) == 0)
			return true;
		value += len;
	}
	return false;
}

/* Mirrors CivetWeb's keep-alive decision, so the header we send tells the truth. */
static bool
keep_alive(struct mado_req *rq)
{
	const char *c;

	if (rq->close || rq->ri == NULL)
		return false;
	if ((c = mg_get_header(rq->conn, "Connection")) != NULL)
		return has_token(c, "keep-alive");
	return rq->ri->http_version != NULL && strcmp(rq->ri->http_version, "1.1") == 0;
}

/* The Date header's text, formatted once a second per thread. */
static const char *
http_date(void)
{
	static __thread time_t at = -1;
	static __thread char date[40];
	time_t now = time(NULL);
	struct tm tm;

	if (now != at) {
		gmtime_r(&now, &tm);
		strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
		at = now;
	}
	return date;
}

static void
put_uint(struct mado_text *t, unsigned long long v)
{
	char d[24];

	mado_text_append(t, d, mado_udec(d, v, 1));
}

/* Built by appending, not by printf: the head is written on every response, and parsing
   a format for it cost more than the rest of the head. */
void
http__response_bytes(const struct mado_req *rq, bool alive, struct mado_text *t)
{
	const char *type = rq->content_type;
	bool html, has_body = rq->status != 204 && rq->status != 304;

	mado_text_reserve(t, 2048 + rq->headers.len + (has_body ? rq->out.len : 0));
	mado_text_puts(t, "HTTP/1.1 ");
	put_uint(t, rq->status > 0 ? (unsigned)rq->status : 0);
	mado_text_puts(t, " ");
	mado_text_puts(t, reason(rq->status));
	mado_text_puts(t, "\r\nDate: ");
	mado_text_puts(t, http_date());
	mado_text_puts(t, "\r\nX-Request-Id: ");
	mado_text_puts(t, rq->id);
	mado_text_puts(t, alive ? "\r\nConnection: keep-alive" : "\r\nConnection: close");
	/* Only a success is cached: a problem (503 while the database is away) never is. */
	if (rq->cache == MADO_CACHE_PUBLIC && rq->status == 200) {
		mado_text_puts(t, "\r\nCache-Control: public, max-age=");
		put_uint(t, rq->cache_max_age > 0 ? (unsigned)rq->cache_max_age : 0);
		if (rq->cache_immutable)
			mado_text_puts(t, ", immutable");
	} else {
		mado_text_puts(t, rq->cache == MADO_CACHE_NO_STORE ? "\r\nCache-Control: no-store"
								   : "\r\nCache-Control: no-cache");
	}
	mado_text_puts(t, "\r\n");
	mado_text_puts(t, common_headers);
	html = type != NULL && strncmp(type, "text/html", 9) == 0;
	/* The service worker's script gets the pages' policy: its own fetches of the shell
	   (connect-src 'self') are what it is for. */
	html = html || (rq->ri != NULL && rq->ri->local_uri != NULL &&
			strcmp(rq->ri->local_uri, "/sw.js") == 0);
	mado_text_puts(t, html ? csp_html : CSP_API);
	if (has_body) {
		if (type != NULL) {
			mado_text_puts(t, "Content-Type: ");
			mado_text_puts(t, type);
			/* Text is UTF-8, said once: a type that already has parameters keeps
			   them. */
			if (strchr(type, ';') == NULL &&
			    (strncmp(type, "text/", 5) == 0 ||
			     strcmp(type, "application/json") == 0 ||
			     strcmp(type, "application/problem+json") == 0))
				mado_text_puts(t, "; charset=utf-8");
			mado_text_puts(t, "\r\n");
		}
		mado_text_puts(t, "Content-Length: ");
		put_uint(t, rq->out.len);
		mado_text_puts(t, "\r\n");
	}
	if (rq->headers.len > 0)
		mado_text_append(t, rq->headers.buf, rq->headers.len);
	mado_text_append(t, "\r\n", 2);
	if (has_body && !rq->head_only && rq->out.len > 0)
		mado_text_append(t, rq->out.buf, rq->out.len);
}

/* CivetWeb gives one mg_write request_timeout_ms in all, so a large body (a whole log's
   export) written at once to a client that reads it over more than that time would be cut
   off; it leaves in pieces, each with its own time. Small responses stay one write. */
#define SEND_PIECE ((size_t)256 * 1024)

void
http__send(struct mado_req *rq)
{
	struct mado_text t = {0};
	bool alive = keep_alive(rq);
	size_t off, n;

	if (!alive && rq->conn != NULL)
		mg_disable_connection_keep_alive(rq->conn);
	http__response_bytes(rq, alive, &t);
	for (off = 0; rq->conn != NULL && off < t.len; off += n) {
		n = t.len - off < SEND_PIECE ? t.len - off : SEND_PIECE;
		if (mg_write(rq->conn, t.buf + off, n) <= 0)
			break;
	}
	mado_text_free(&t);
}
