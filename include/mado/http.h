/*
 * The HTTP core. Every request enters through one door (the router), which matches the
 * static route table, checks framing, content type and body size, parses JSON bodies, runs
 * the handler and writes exactly one response: one buffer with the security headers, the
 * request id and either the handler's body or an RFC 9457 problem.
 *
 * A handler returns MADO_OK after setting a response with mado_http_json/_text/_no_content,
 * or an error from include/mado/err.h, which the router turns into a problem response.
 */
#ifndef MADO_HTTP_H
#define MADO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/util.h"

struct mg_connection;
struct mg_request_info;
struct mado_req;

typedef int (*mado_handler)(struct mado_req *rq);

enum mado_route_flag {
	MADO_R_PUBLIC = 1 << 0,    /* needs no session */
	MADO_R_BODY = 1 << 1,      /* takes a JSON body (see media), parsed into rq->json */
	MADO_R_RAW_BODY = 1 << 2,  /* takes a body of the route's media type, not parsed */
	MADO_R_NO_ORIGIN = 1 << 3, /* a POST browsers send on their own (CSP reports) */
	MADO_R_SESSION = 1 << 4,   /* public, but reads a session if one comes (login steps) */
	MADO_R_ORG = 1 << 5,       /* an organisation's system: client certificate, no session */
};

struct mado_route {
	const char *method;
	const char *pattern; /* "/api/v1/things/{id}": literal segments and {name} */
	mado_handler handler;
	unsigned flags;
	int body_max;      /* bytes; 0 means the body_max setting */
	const char *media; /* accepted body types, space separated; NULL: application/json */
};

enum mado_cache {
	MADO_CACHE_NO_STORE,   /* API answers: never cached */
	MADO_CACHE_REVALIDATE, /* static files: cache, but ask every time (ETag) */
};

#define MADO_MAX_PARAMS 4
#define MADO_PARAM_MAX  128
#define MADO_REQ_ID_LEN 22

/* Who is asking, as the gate established it. person_id never leaves the server. */
struct mado_actor {
	bool session;         /* a valid session cookie came with the request */
	bool authenticated;   /* ... and a person is logged in on it */
	char session_hex[68]; /* "\\x" and the SHA-256 of the cookie, as a bytea parameter */
	char person_id[40];
	char binding_id[24];
	char channel[16];
	char method[8];
	char csrf[48];
	char org[48];      /* MADO_R_ORG routes: the organisation the certificate belongs to */
	char org_kind[16]; /* agency, private, desk or supervisor */
};

struct mado_db;

struct mado_req {
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	const struct mado_route *route; /* NULL for static files and unmatched paths */
	size_t metric;                  /* index of this request's metrics row */
	char id[MADO_REQ_ID_LEN + 1];
	struct timespec start;

	char params[MADO_MAX_PARAMS][MADO_PARAM_MAX]; /* {name} segments, in order */
	int nparams;
	char *body; /* NUL-terminated raw body of a MADO_R_BODY or MADO_R_RAW_BODY route */
	size_t body_len;
	cJSON *json; /* the parsed body */
	struct mado_actor actor;
	struct mado_db *db; /* checked out on first use, returned after the response */

	/* The response. */
	int status;
	const char *content_type;
	struct mado_text out;
	struct mado_text headers; /* extra header lines, each ending in CRLF */
	enum mado_cache cache;
	bool head_only;
	bool close;
	char detail[256];   /* problem detail; empty for the catalogue's title only */
	cJSON *problem_ext; /* extension members merged into a problem */
};

/* Response builders for handlers. json is taken (deleted) in every case. */
MADO_MUSTCHECK int mado_http_json(struct mado_req *rq, int status, cJSON *json);
MADO_MUSTCHECK int mado_http_text(struct mado_req *rq, int status, const char *content_type,
				  const void *body, size_t len);
MADO_MUSTCHECK int mado_http_no_content(struct mado_req *rq);
/* Adds a response header; refuses names or values with CR, LF or NUL. */
void mado_http_header(struct mado_req *rq, const char *name, const char *value);
/* Sets the problem detail and returns err, for `return mado_http_fail(rq, E, "...")`. */
int mado_http_fail(struct mado_req *rq, int err, const char *fmt, ...) MADO_PRINTF(3, 4);

/* Answers {"<member>": [...]} filled by fn(db, key, array): the shape of every list the
   API serves. key is the handler's (the person, or the organisation). */
struct mado_db;
typedef int (*mado_list_fn)(struct mado_db *db, const char *key, cJSON *array);
MADO_MUSTCHECK int mado_http_list(struct mado_req *rq, const char *member, mado_list_fn fn,
				  const char *key);

/* The request's database connection, checked out once and returned by the router. */
MADO_MUSTCHECK int mado_http_db(struct mado_req *rq, struct mado_db **out);

/* The gate runs before every handler: it reads the session and enforces the route's needs
   (session, CSRF). Registered by the auth module; without one, only public routes work. */
typedef int (*mado_gate)(struct mado_req *rq);
void mado_http_set_gate(mado_gate gate);
/* The gate of MADO_R_ORG routes (registered by the access module): it establishes the
   organisation from the connection's client certificate. Without one they answer 503. */
void mado_http_set_org_gate(mado_gate gate);

/* The client's address as text (no port). Borrowed for the request's lifetime. */
const char *mado_http_client_addr(const struct mado_req *rq);
const char *mado_http_req_header(const struct mado_req *rq, const char *name);
/* A query parameter, decoded, into buf. Absent: MADO_OK with *present false; too long:
   a validation problem naming it. */
MADO_MUSTCHECK int mado_http_query_str(struct mado_req *rq, const char *name, char *buf, size_t len,
				       bool *present);
/* A whole-number query parameter within [min, max]; def when absent. */
MADO_MUSTCHECK int mado_http_query_int(struct mado_req *rq, const char *name, long long min,
				       long long max, long long def, long long *out);

/* Strict JSON body parsing (UTF-8, no NUL, no duplicate or case-variant keys, depth
   <= 32). MADO_OK or MADO_E_MALFORMED_JSON with a reason in detail. */
MADO_MUSTCHECK int mado_json_parse(const char *text, size_t len, cJSON **out, char *detail,
				   size_t detaillen);
/* The same, except that an escaped NUL (\u0000) in a string reads as U+FFFD instead of
   failing: Web eID tokens are judged field by field, as the reference validator does. */
MADO_MUSTCHECK int mado_json_parse_nul_replaced(const char *text, size_t len, cJSON **out,
						char *detail, size_t detaillen);

/* The route table, for the router, the metrics and the OpenAPI test. */
const struct mado_route *mado_http_routes(size_t *n);
/* Finds the route for method and path. *path_matched says whether any route has the path
   (for 405 against 404). Fills params when rq is not NULL. */
const struct mado_route *mado_http_match(const char *method, const char *path, bool *path_matched,
					 struct mado_req *rq);
/* Writes "GET, POST" for the methods path allows into buf. */
void mado_http_allowed(const char *path, char *buf, size_t len);

/* Server lifecycle (server/http/server.c). schema is the set of migrations this build
   expects; /readyz compares the database with it. Both must outlive the server. */
struct mado_server;
struct mado_migrations;
MADO_MUSTCHECK int mado_server_start(const struct mado_config *cfg,
				     const struct mado_migrations *schema,
				     struct mado_server **out);
void mado_server_stop(struct mado_server *srv);

#endif
