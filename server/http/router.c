/*
 * The router: the single door every request goes through. It runs before anything CivetWeb
 * would do on its own (CORS answers, files, CGI), checks framing, finds the route, enforces
 * the route's body rules and calls the handler; then one response leaves, is counted and
 * logged.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <civetweb.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/metrics.h"
#include "mado/util.h"
#include "http_int.h"

static struct {
	mado_gate gate;
	mado_gate org_gate;
	char **metric_names; /* routes, then "static", then "unmatched" */
	size_t nroutes;
	int body_max;
	int body_timeout_ms;
	bool log_requests;
} router;

#define METRIC_STATIC    (router.nroutes)
#define METRIC_UNMATCHED (router.nroutes + 1)

int
http__router_init(const struct mado_config *cfg)
{
	const struct mado_route *routes = mado_http_routes(&router.nroutes);
	size_t i, n = router.nroutes + 2;
	char buf[160];

	if ((router.metric_names = calloc(n, sizeof(char *))) == NULL)
		return MADO_E_NOMEM;
	for (i = 0; i < router.nroutes; i++) {
		snprintf(buf, sizeof(buf), "%s %s", routes[i].method, routes[i].pattern);
		router.metric_names[i] = strdup(buf);
	}
	router.metric_names[METRIC_STATIC] = strdup("static");
	router.metric_names[METRIC_UNMATCHED] = strdup("unmatched");
	for (i = 0; i < n; i++)
		if (router.metric_names[i] == NULL)
			goto nomem;
	if (mado_metrics_init((const char *const *)router.metric_names, n) != 0)
		goto nomem;
	router.body_max = cfg->body_max;
	router.body_timeout_ms = cfg->request_timeout_ms;
	router.log_requests = cfg->log_requests;
	return MADO_OK;
nomem:
	http__router_free();
	return MADO_E_NOMEM;
}

void
mado_http_set_gate(mado_gate gate)
{
	router.gate = gate;
}

void
mado_http_set_org_gate(mado_gate gate)
{
	router.org_gate = gate;
}

void
http__router_free(void)
{
	size_t i;

	mado_metrics_free();
	if (router.metric_names != NULL)
		for (i = 0; i < router.nroutes + 2; i++)
			free(router.metric_names[i]);
	free(router.metric_names);
	router.metric_names = NULL;
}

bool
http__path_match(const char *pattern, const char *path, struct mado_req *rq)
{
	const char *pe, *se;
	size_t plen, slen;
	int np = 0;

	while (*pattern == '/' && *path == '/') {
		pattern++;
		path++;
		pe = pattern + strcspn(pattern, "/");
		se = path + strcspn(path, "/");
		plen = (size_t)(pe - pattern);
		slen = (size_t)(se - path);
		if (plen > 2 && pattern[0] == '{' && pattern[plen - 1] == '}') {
			if (slen == 0 || slen >= MADO_PARAM_MAX || np >= MADO_MAX_PARAMS)
				return false;
			if (rq != NULL) {
				memcpy(rq->params[np], path, slen);
				rq->params[np][slen] = '\0';
			}
			np++;
		} else if (plen != slen || memcmp(pattern, path, plen) != 0) {
			return false;
		}
		pattern = pe;
		path = se;
	}
	if (*pattern != '\0' || *path != '\0')
		return false;
	if (rq != NULL)
		rq->nparams = np;
	return true;
}

const struct mado_route *
mado_http_match(const char *method, const char *path, bool *path_matched, struct mado_req *rq)
{
	const struct mado_route *routes;
	bool head = strcmp(method, "HEAD") == 0;
	size_t n, i;

	routes = mado_http_routes(&n);
	*path_matched = false;
	for (i = 0; i < n; i++) {
		if (!http__path_match(routes[i].pattern, path, rq))
			continue;
		*path_matched = true;
		if (strcmp(routes[i].method, method) == 0 ||
		    (head && strcmp(routes[i].method, "GET") == 0))
			return &routes[i];
	}
	return NULL;
}

void
mado_http_allowed(const char *path, char *buf, size_t len)
{
	const struct mado_route *routes;
	size_t n, i, used = 0;
	bool get = false;

	routes = mado_http_routes(&n);
	buf[0] = '\0';
	for (i = 0; i < n; i++) {
		if (!http__path_match(routes[i].pattern, path, NULL))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used > 0 ? ", " : "", routes[i].method);
		get = get || strcmp(routes[i].method, "GET") == 0;
	}
	if (get && used < len)
		snprintf(buf + used, len - used, ", HEAD");
}

/*
 * CivetWeb 1.15 reads Content-Length leniently ("10abc" is 10, duplicates take the first)
 * and lets chunked win over Content-Length. Such requests are how bodies get smuggled past
 * a proxy, so they are refused and the connection closed.
 */
static int
check_framing(struct mado_req *rq)
{
	const struct mg_request_info *ri = rq->ri;
	int i, ncl = 0;
	bool te = false;
	const char *v;
	long long cl;

	for (i = 0; i < ri->num_headers; i++) {
		if (strcasecmp(ri->http_headers[i].name, "Content-Length") == 0) {
			ncl++;
			v = ri->http_headers[i].value;
			if (*v == '-' || !mado_parse_int(v, 0, INT64_MAX, &cl)) {
				rq->close = true;
				return mado_http_fail(rq, MADO_E_BAD_REQUEST,
						      "Content-Length must be a plain number");
			}
		} else if (strcasecmp(ri->http_headers[i].name, "Transfer-Encoding") == 0) {
			te = true;
		}
	}
	if (ncl > 1 || (ncl == 1 && te)) {
		rq->close = true;
		return mado_http_fail(rq, MADO_E_BAD_REQUEST,
				      "a request may carry one Content-Length or chunked "
				      "Transfer-Encoding, not both or twice");
	}
	return MADO_OK;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes the raw request path into out, once, before routing. CivetWeb is told not to
 * decode (it would decode in place, hiding %2F from us). A path that could mean two
 * things is not a resource: encoded slash, backslash or NUL, control characters, bad
 * escapes, and empty, "." or ".." segments all give false (404).
 */
bool
http__decode_path(const char *raw, char *out, size_t outlen)
{
	size_t o = 0;
	int hi, lo;
	char c;

	if (raw == NULL || raw[0] != '/')
		return false;
	for (; *raw != '\0'; raw++) {
		c = *raw;
		if (c == '%') {
			if ((hi = hexval(raw[1])) < 0 || (lo = hexval(raw[2])) < 0)
				return false;
			c = (char)(hi << 4 | lo);
			if (c == '/' || c == '\\' || c == '\0')
				return false;
			raw += 2;
		}
		if ((unsigned char)c < 0x20 || c == 0x7f || c == '\\' || o + 1 >= outlen)
			return false;
		out[o++] = c;
	}
	out[o] = '\0';
	/* No empty (except a trailing one, a directory), "." or ".." segments. */
	for (raw = out; *raw != '\0'; raw++) {
		if (*raw != '/')
			continue;
		if (raw[1] == '/' || (raw[1] == '.' && (raw[2] == '/' || raw[2] == '\0')) ||
		    (raw[1] == '.' && raw[2] == '.' && (raw[3] == '/' || raw[3] == '\0')))
			return false;
	}
	return true;
}

/* Does the request's Content-Type name one of the route's media types (utf-8 only)? */
static bool
media_ok(const char *accepted, const char *ct)
{
	const char *semi, *a, *params;
	size_t n, an;

	if (ct == NULL)
		return false;
	semi = strchr(ct, ';');
	n = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && ct[n - 1] == ' ')
		n--;
	if (semi != NULL) {
		/* The only parameter a JSON body may carry is charset=utf-8. */
		params = semi + 1;
		while (*params == ' ')
			params++;
		if (strcasecmp(params, "charset=utf-8") != 0 &&
		    strcasecmp(params, "charset=\"utf-8\"") != 0)
			return false;
	}
	for (a = accepted; *a != '\0'; a += an) {
		while (*a == ' ')
			a++;
		an = strcspn(a, " ");
		if (an == n && strncasecmp(a, ct, n) == 0)
			return true;
	}
	return false;
}

static int
read_body(struct mado_req *rq)
{
	const struct mado_route *r = rq->route;
	long long cap = r->body_max > 0 ? r->body_max : router.body_max;
	long long cl = rq->ri->content_length; /* -1 when chunked */
	int64_t deadline = mado_now_ms() + router.body_timeout_ms;
	size_t got = 0;
	int n;

	if (cl > cap) {
		/* Refuse before reading; closing spares us draining the rest. */
		rq->close = true;
		return mado_http_fail(rq, MADO_E_BODY_TOO_LARGE,
				      "this endpoint accepts at most %lld bytes", cap);
	}
	if (!media_ok(r->media != NULL ? r->media : "application/json",
		      mado_http_req_header(rq, "Content-Type"))) {
		rq->close = cl < 0; /* an unread chunked body would be drained at any length */
		return mado_http_fail(rq, MADO_E_UNSUPPORTED_MEDIA_TYPE, "send %s; charset=utf-8",
				      r->media != NULL ? r->media : "application/json");
	}
	if ((rq->body = malloc((size_t)cap + 1)) == NULL)
		return MADO_E_NOMEM;
	while (got <= (size_t)cap) {
		if (mado_now_ms() > deadline) {
			rq->close = true;
			return MADO_E_REQUEST_TIMEOUT;
		}
		n = mg_read(rq->conn, rq->body + got, (size_t)cap + 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (got > (size_t)cap) {
		rq->close = true;
		return mado_http_fail(rq, MADO_E_BODY_TOO_LARGE,
				      "this endpoint accepts at most %lld bytes", cap);
	}
	if (cl >= 0 && got != (size_t)cl) {
		rq->close = true;
		return mado_http_fail(rq, MADO_E_BAD_REQUEST, "the body ended early");
	}
	rq->body[got] = '\0';
	rq->body_len = got;
	if (r->flags & MADO_R_RAW_BODY)
		return MADO_OK;
	return mado_json_parse(rq->body, got, &rq->json, rq->detail, sizeof(rq->detail));
}

static int
dispatch(struct mado_req *rq)
{
	const struct mg_request_info *ri = rq->ri;
	const struct http_static_file *f;
	const char *method = ri->request_method;
	char allow[128], path[2048];
	bool path_matched;
	int rc;

	rq->metric = METRIC_UNMATCHED;
	if ((rc = check_framing(rq)) != MADO_OK)
		return rc;
	if (!http__decode_path(ri->local_uri, path, sizeof(path)))
		return MADO_E_NOT_FOUND;
	rq->head_only = strcmp(method, "HEAD") == 0;
	rq->route = mado_http_match(method, path, &path_matched, rq);
	if (rq->route == NULL && !path_matched) {
		if ((f = http__static_find(path)) == NULL)
			return MADO_E_NOT_FOUND;
		rq->metric = METRIC_STATIC;
		if (rq->head_only || strcmp(method, "GET") == 0)
			return http__static_serve(rq, f);
		mado_http_header(rq, "Allow", "GET, HEAD");
		return MADO_E_METHOD_NOT_ALLOWED;
	}
	if (rq->route == NULL) {
		mado_http_allowed(path, allow, sizeof(allow));
		mado_http_header(rq, "Allow", allow);
		if (strcmp(method, "OPTIONS") == 0)
			return mado_http_no_content(rq);
		return MADO_E_METHOD_NOT_ALLOWED;
	}
	rq->metric = (size_t)(rq->route - mado_http_routes(&(size_t){0}));
	/* The gate decides before any body is read: who may send one, and how big. */
	if (rq->route->flags & MADO_R_ORG)
		rc = router.org_gate != NULL ? router.org_gate(rq) : MADO_E_GATEWAY_UNAVAILABLE;
	else if (router.gate != NULL)
		rc = router.gate(rq);
	else
		rc = (rq->route->flags & MADO_R_PUBLIC) ? MADO_OK : MADO_E_UNAUTHENTICATED;
	if (rc != MADO_OK)
		return rc;
	if ((rq->route->flags & (MADO_R_BODY | MADO_R_RAW_BODY)) && (rc = read_body(rq)) != MADO_OK)
		return rc;
	return rq->route->handler(rq);
}

static void
finish(struct mado_req *rq)
{
	double ms;

	/* The connection goes back before the bytes go out: a slow client holds no database
	   connection. */
	http__release_db(rq);
	http__send(rq);
	ms = mado_elapsed_ms(&rq->start);
	mado_metrics_request(rq->metric, rq->status, ms);
	if (router.log_requests)
		mado_log_request(
		    rq->id,
		    rq->ri != NULL && rq->ri->request_method != NULL ? rq->ri->request_method : "-",
		    router.metric_names[rq->metric], rq->status, ms);
}

int
http__begin_request(struct mg_connection *conn)
{
	struct mado_req rq;
	int rc, status;

	http__req_init(&rq, conn);
	if ((rc = dispatch(&rq)) != MADO_OK)
		http__problem(&rq, rc);
	finish(&rq);
	status = rq.status;
	http__req_cleanup(&rq);
	return status;
}

int
http__civetweb_error(struct mg_connection *conn, int status, const char *msg)
{
	struct mado_req rq;
	int err;

	(void)msg; /* CivetWeb's text may quote the request; the problem type says enough */
	switch (status) {
	case 413:
	case 431: err = MADO_E_HEADERS_TOO_LARGE; break;
	case 404: err = MADO_E_NOT_FOUND; break;
	case 405: err = MADO_E_METHOD_NOT_ALLOWED; break;
	case 400:
	case 411:
	case 417:
	case 505: err = MADO_E_BAD_REQUEST; break;
	default: err = MADO_E_INTERNAL;
	}
	http__req_init(&rq, conn);
	rq.metric = METRIC_UNMATCHED;
	rq.close = true;
	http__problem(&rq, err);
	finish(&rq);
	http__req_cleanup(&rq);
	return 0;
}
