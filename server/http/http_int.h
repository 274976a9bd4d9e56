/* Shared by the files of server/http only. */
#ifndef MADO_HTTP_INT_H
#define MADO_HTTP_INT_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/config.h"
#include "mado/http.h"
#include "mado/migrate.h"

/* router.c: the one door every request goes through (CivetWeb's begin_request). */
MADO_MUSTCHECK int http__router_init(const struct mado_config *cfg);
void http__router_free(void);
int http__begin_request(struct mg_connection *conn);
/* Matches path against a pattern of literal and {name} segments; with rq, copies the
   parameters into rq->params. */
bool http__path_match(const char *pattern, const char *path, struct mado_req *rq);
/* Percent-decodes a raw request path; false for paths that are no resource (encoded
   slash, backslash or NUL, control characters, bad escapes, empty/./.. segments). */
bool http__decode_path(const char *raw, char *out, size_t outlen);
/* CivetWeb's own errors (bad request line, head too large) as problems. */
int http__civetweb_error(struct mg_connection *conn, int status, const char *msg);
/* Is the request's Origin (or, lacking one, Referer) the service's own origin? */
bool http__same_origin(const char *origin, const char *referer, const char *own);
bool http__is_state_changing(const char *method);

/* input.c: the route's path, query and body, checked before the handler runs. */
int http__check_path(struct mado_req *rq);
int http__check_query(struct mado_req *rq);
/* Parses a JSON body and checks it against the route's fields. */
int http__check_body(struct mado_req *rq);

/* body.c: reading a body whole, under the request's deadline. */
int http__read_body(struct mado_req *rq, long long cap);
/* After the answer to a body refused unread: takes in what is still coming, briefly. */
void http__drain(struct mado_req *rq);

/* response.c: the one response writer. */
MADO_MUSTCHECK int http__response_init(const struct mado_config *cfg);
void http__req_init(struct mado_req *rq, struct mg_connection *conn);
void http__req_cleanup(struct mado_req *rq);
void http__problem(struct mado_req *rq, int err);
/* The whole response as it goes out (status line, headers, body), into t. */
void http__response_bytes(const struct mado_req *rq, bool alive, struct mado_text *t);
void http__send(struct mado_req *rq);

/* static.c: the front end, loaded into memory at start. */
struct http_static_file {
	char *path; /* URL path, e.g. "/js/app.js" */
	char *data;
	size_t len;
	const char *type;
	char etag[24];
};
MADO_MUSTCHECK int http__static_load(const char *root);
void http__static_free(void);
const struct http_static_file *http__static_find(const char *path);
int http__static_serve(struct mado_req *rq, const struct http_static_file *f);

/* client.c: who the client is. */
/* Reads trusted_proxies (comma-separated addresses and CIDR blocks). */
MADO_MUSTCHECK int http__client_init(const char *trusted_proxies);
void http__client_free(void);
/* The client's address from the peer's and the X-Forwarded-For headers (in the order
   they came), into out. */
void http__client_resolve(const char *peer, const char *const *xff, size_t nxff, char *out,
			  size_t len);
/* Sets rq->client. */
void http__client_of(struct mado_req *rq);

/* tls.c: CivetWeb's TLS under OpenSSL 3, and proof that it works. */
MADO_MUSTCHECK int http__tls_prepare(char *why, size_t whylen);
MADO_MUSTCHECK int http__tls_selftest(const char *host, int port, char *why, size_t whylen);

/* Is addr (text) one of trusted_proxies? */
bool http__client_trusted(const char *addr);

/* connlimit.c: each client's share of the connections (max_conns_per_client). */
MADO_MUSTCHECK int http__connlimit_init(const struct mado_config *cfg);
/* Counts the connections of a listener's SSL_CTX from their handshakes' start. */
void http__connlimit_watch(void *ssl_ctx);
/* Connections closed for being over the limit, since start. */
long http__connlimit_refused(void);

/* ops_api.c: probes, metrics and service information: http's own routes. */
void http__ops_init(const struct mado_config *cfg, const struct mado_migrations *schema);
/* The TLS login page's origin (public_origin's scheme and host, mtls_listen's port), or ""
   without a TLS login listener. */
void http__tls_login_origin(const struct mado_config *cfg, char *out, size_t len);
extern const struct mado_route_set http__ops_routes;

#endif
