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

/* response.c: the one response writer. */
MADO_MUSTCHECK int http__response_init(const struct mado_config *cfg);
void http__req_init(struct mado_req *rq, struct mg_connection *conn);
void http__req_cleanup(struct mado_req *rq);
/* Returns the request's database connection to the pool, if it took one. */
void http__release_db(struct mado_req *rq);
void http__problem(struct mado_req *rq, int err);
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

/* tls.c: CivetWeb's TLS under OpenSSL 3, and proof that it works. */
MADO_MUSTCHECK int http__tls_prepare(char *why, size_t whylen);
MADO_MUSTCHECK int http__tls_selftest(const char *host, int port, char *why, size_t whylen);

/* ops_api.c: probes, metrics and service information. */
void http__ops_init(const struct mado_config *cfg, const struct mado_migrations *schema);
int ops__healthz(struct mado_req *rq);
int ops__readyz(struct mado_req *rq);
int ops__metrics(struct mado_req *rq);
int ops__about(struct mado_req *rq);
int ops__csp_report(struct mado_req *rq);

#endif
