/*
 * The router: the single door every request goes through. It runs before anything CivetWeb
 * would do on its own (CORS answers, files, CGI), checks framing, finds the route and
 * enforces what the route declares, in an order that never lets an unread body hold a
 * database connection: path, Origin, the gate's cheap check, the whole body (under the
 * request's deadline), the gate's admission, query and body values, then the handler.
 * One response leaves, is counted and logged.
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
	struct mado_route *routes; /* installed: http's own, then each module's */
	size_t nroutes;
	const struct mado_gate *gates[MADO_CALLER__COUNT];
	char **metric_names; /* routes, then "static", then "unmatched" */
	char *origin;
	char tls_origin[300]; /* the TLS login page's; "" without that listener */
	mado_limit_fn limiter;
	int rate_max;
	int body_max;
	int timeout_ms;
	bool log_requests;
} router;

#define METRIC_STATIC    (router.nroutes)
#define METRIC_UNMATCHED (router.nroutes + 1)

static void
add_routes(const struct mado_route_set *set, size_t *at)
{
	memcpy(router.routes + *at, set->routes, set->n * sizeof(*set->routes));
	*at += set->n;
}

int
mado_http_install(const struct mado_route_set *const *sets, size_t n)
{
	size_t i, j, total = http__ops_routes.n, at = 0;

	for (i = 0; i < n; i++)
		total += sets[i]->n;
	free(router.routes);
	router.routes = mado_xcalloc(total, sizeof(*router.routes));
	add_routes(&http__ops_routes, &at);
	for (i = 0; i < n; i++)
		add_routes(sets[i], &at);
	router.nroutes = total;
	for (i = 0; i < total; i++) {
		const struct mado_route *r = &router.routes[i];

		/* A read-only connection to a replica suits only reads nobody needs to see
		   their own writes in, nor anything that counts (the rate limiter writes). */
		if (r->stale_ok && (strcmp(r->method, "GET") != 0 || r->rate_limited ||
				    (r->caller != MADO_PUBLIC && r->caller != MADO_ORG))) {
			mado_log_err(NULL, "%s %s: stale_ok only on a public or organisation GET",
				     r->method, r->pattern);
			return MADO_E_INTERNAL;
		}
	}
	for (i = 0; i < total; i++)
		for (j = 0; j < i; j++)
			if (strcmp(router.routes[i].method, router.routes[j].method) == 0 &&
			    strcmp(router.routes[i].pattern, router.routes[j].pattern) == 0) {
				mado_log_err(NULL, "%s %s is served twice", router.routes[i].method,
					     router.routes[i].pattern);
				return MADO_E_INTERNAL;
			}
	return MADO_OK;
}

const struct mado_route *
mado_http_routes(size_t *n)
{
	*n = router.nroutes;
	return router.routes;
}

void
mado_http_set_gate(enum mado_caller caller, const struct mado_gate *gate)
{
	router.gates[caller] = gate;
}

void
mado_http_set_limiter(mado_limit_fn fn)
{
	router.limiter = fn;
}

unsigned
mado_org_kind(const char *name)
{
	static const char *const kinds[] = {"agency", "private", "desk", "supervisor"};
	size_t i;

	for (i = 0; i < MADO_NELEM(kinds); i++)
		if (strcmp(name, kinds[i]) == 0)
			return 1u << i;
	return 0;
}

unsigned
mado_staff_role(const char *name)
{
	if (strcmp(name, "clerk") == 0)
		return MADO_STAFF_CLERK;
	if (strcmp(name, "desk-lead") == 0)
		return MADO_STAFF_LEAD;
	if (strcmp(name, "supervisor") == 0)
		return MADO_STAFF_SUPERVISOR;
	return 0;
}

static const char *const act_names[MADO_ACT__COUNT] = {
    "access-log", "my-information", "notices",     "withdraw-consents",
    "disputes",   "end-mandates",   "safety-flag", "session"};

const char *
mado_act_name(unsigned act)
{
	size_t i;

	for (i = 0; i < MADO_ACT__COUNT; i++)
		if (act == 1u << i)
			return act_names[i];
	return NULL;
}

unsigned
mado_act_flag(const char *name)
{
	size_t i;

	for (i = 0; i < MADO_ACT__COUNT; i++)
		if (strcmp(name, act_names[i]) == 0)
			return 1u << i;
	return 0;
}

int
http__router_init(const struct mado_config *cfg)
{
	size_t i, n = router.nroutes + 2;
	char buf[160];

	router.metric_names = mado_xcalloc(n, sizeof(char *));
	for (i = 0; i < router.nroutes; i++) {
		snprintf(buf, sizeof(buf), "%s %s", router.routes[i].method,
			 router.routes[i].pattern);
		router.metric_names[i] = mado_xstrdup(buf);
	}
	router.metric_names[METRIC_STATIC] = mado_xstrdup("static");
	router.metric_names[METRIC_UNMATCHED] = mado_xstrdup("unmatched");
	mado_metrics_init((const char *const *)router.metric_names, n);
	router.origin = mado_xstrdup(cfg->public_origin);
	http__tls_login_origin(cfg, router.tls_origin, sizeof(router.tls_origin));
	if (http__client_init(cfg->trusted_proxies) != MADO_OK) {
		mado_log_err(NULL, "trusted_proxies: not a list of addresses");
		return MADO_E_INTERNAL;
	}
	router.body_max = cfg->body_max;
	router.rate_max = cfg->public_rate_max;
	router.timeout_ms = cfg->request_timeout_ms;
	router.log_requests = cfg->log_requests;
	return MADO_OK;
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
	free(router.origin);
	router.origin = NULL;
	http__client_free();
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
	const struct mado_route *routes = router.routes;
	bool head = strcmp(method, "HEAD") == 0;
	size_t n = router.nroutes, i;

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
	const struct mado_route *routes = router.routes;
	size_t n = router.nroutes, i, used = 0;
	bool get = false;

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

bool
http__is_state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

bool
http__same_origin(const char *origin, const char *referer, const char *own)
{
	size_t n = strlen(own);

	if (origin != NULL)
		return strcmp(origin, own) == 0;
	/* Without Origin, a Referer of one of our own pages will do; neither: refuse. */
	return referer != NULL && strncmp(referer, own, n) == 0 && referer[n] == '/';
}

/* Finds the route, or serves what is not one (static files, 404, 405, OPTIONS). Returns
   MADO_OK with rq->route set when a route is to run. */
static int
route_of(struct mado_req *rq, bool *done)
{
	const char *method = rq->ri->request_method;
	const struct http_static_file *f;
	char allow[128], path[2048];
	bool path_matched;

	*done = true;
	if (!http__decode_path(rq->ri->local_uri, path, sizeof(path)))
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
	rq->metric = (size_t)(rq->route - router.routes);
	*done = false;
	return MADO_OK;
}

/* Who may call, as far as can be told without waiting on anything. */
static int
check_caller(struct mado_req *rq)
{
	const struct mado_route *r = rq->route;
	const struct mado_gate *g = router.gates[r->caller];
	const char *own = r->tls_origin ? router.tls_origin : router.origin;

	/* Login CSRF and cross-site requests: whatever a browser can send that changes
	   state must come from our own pages. SameSite cookies alone are not enough. */
	if (r->caller != MADO_ORG && !r->cross_origin &&
	    http__is_state_changing(rq->ri->request_method) &&
	    (*own == '\0' || !http__same_origin(mado_http_req_header(rq, "Origin"),
						mado_http_req_header(rq, "Referer"), own)))
		return mado_http_fail(rq, MADO_E_CSRF_REJECTED, "send Origin: %s", own);
	if (g != NULL)
		return g->check != NULL ? g->check(rq) : MADO_OK;
	switch (r->caller) {
	case MADO_PERSON: return MADO_E_UNAUTHENTICATED;
	case MADO_STAFF: return MADO_E_UNAUTHENTICATED;
	case MADO_ORG: return MADO_E_GATEWAY_UNAVAILABLE;
	default: return MADO_OK;
	}
}

/* The route's limit per client, counted once the body is in (a slow sender holds no
   database connection), before anything else uses the database. */
static int
check_rate(struct mado_req *rq)
{
	const struct mado_route *r = rq->route;
	char client[80], key[256], after[16];
	int retry = 0, rc;

	if (!r->rate_limited)
		return MADO_OK;
	if (router.limiter == NULL)
		return MADO_E_INTERNAL; /* a limit nobody counts is no limit: fail closed */
	mado_http_client_key(rq, client, sizeof(client));
	snprintf(key, sizeof(key), "%s %s %s", r->method, r->pattern, client);
	rc = router.limiter(rq, key, router.rate_max, 60, &retry);
	if (rc != MADO_E_RATE_LIMITED)
		return rc;
	snprintf(after, sizeof(after), "%d", retry > 0 ? retry : 1);
	mado_http_header(rq, "Retry-After", after);
	return mado_http_fail(rq, rc, "at most %d of these a minute from one client",
			      router.rate_max);
}

static int
dispatch(struct mado_req *rq)
{
	const struct mado_route *r;
	const struct mado_gate *g;
	bool done;
	int rc;

	rq->metric = METRIC_UNMATCHED;
	if ((rc = check_framing(rq)) != MADO_OK || (rc = route_of(rq, &done)) != MADO_OK || done)
		return rc;
	r = rq->route;
	g = router.gates[r->caller];
	if ((rc = http__check_path(rq)) != MADO_OK || (rc = check_caller(rq)) != MADO_OK)
		return rc;
	/* The whole body before any database connection: a slow sender holds none. */
	if (r->body != MADO_BODY_NONE &&
	    (rc = http__read_body(rq, r->body_max > 0 ? r->body_max : router.body_max)) != MADO_OK)
		return rc;
	if ((rc = check_rate(rq)) != MADO_OK)
		return rc;
	if (g != NULL && g->admit != NULL && (rc = g->admit(rq)) != MADO_OK)
		return rc;
	if ((rc = http__check_query(rq)) != MADO_OK)
		return rc;
	if ((r->body == MADO_BODY_OBJECT || r->body == MADO_BODY_JSON) &&
	    (rc = http__check_body(rq)) != MADO_OK)
		return rc;
	/* The handler's first mado_http_db decides the pool; what the gates used before it
	   (the primary's connection, if any) it keeps. */
	rq->stale_ok = r->stale_ok;
	return r->handler(rq);
}

/*
 * Who asked, as the operational log names them (asvs LG-02): a staff member by their
 * pseudonymous reference and desk, an organisation by its code, a desk helping someone by
 * the desk's code. A person is only "person" and a proxy only "proxy": their ids and
 * pseudonyms never reach this log. Empty when nobody was recognised. The gates fill these
 * fields only once what they name is verified, so a refusal after that names its actor.
 */
static void
actor_label(const struct mado_actor *a, char *out, size_t n)
{
	*out = '\0';
	if (a->staff_ref[0] != '\0')
		snprintf(out, n, "staff:%s@%s", a->staff_ref, a->org);
	else if (a->org[0] != '\0')
		snprintf(out, n, "org:%s", a->org);
	else if (!a->authenticated)
		return;
	else if (strcmp(a->channel, "desk") == 0)
		snprintf(out, n, "desk:%s", a->helper_org);
	else if (strcmp(a->channel, "self") == 0)
		snprintf(out, n, "person");
	else
		snprintf(out, n, "%s", a->channel);
}

static void
finish(struct mado_req *rq)
{
	char actor[128];
	double ms;

	/* The connection goes back before the bytes go out: a slow client holds no database
	   connection. */
	mado_http_db_release(rq);
	http__send(rq);
	ms = mado_elapsed_ms(&rq->start);
	mado_metrics_request(rq->metric, rq->status, ms);
	if (router.log_requests) {
		actor_label(&rq->actor, actor, sizeof(actor));
		mado_log_request(
		    rq->id,
		    rq->ri != NULL && rq->ri->request_method != NULL ? rq->ri->request_method : "-",
		    router.metric_names[rq->metric], rq->status, ms, actor);
	}
	if (rq->unread_body)
		http__drain(rq); /* after the answer, which was timed without it */
}

int
http__begin_request(struct mg_connection *conn)
{
	struct mado_req rq;
	int rc, status;

	http__req_init(&rq, conn);
	rq.deadline_ms = mado_now_ms() + router.timeout_ms;
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
