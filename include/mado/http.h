/*
 * The HTTP core. Every request enters through one door (the router). Feature modules
 * describe their endpoints as routes: who may call, what the path, query and body hold.
 * The router enforces all of it before the handler runs (Origin, the body read in full
 * under a deadline before any database connection is taken, the gate, the body's shape
 * and values) and then writes exactly one response: one buffer with the security
 * headers, the request id and either the handler's body or an RFC 9457 problem.
 *
 * A handler returns MADO_OK after setting a response with mado_http_json/_text/
 * _no_content/_redirect, or an error from include/mado/err.h, which the router turns
 * into a problem response. Handlers read struct mado_req's request side (id, actor,
 * params, json, body) and write only through the functions below.
 */
#ifndef MADO_HTTP_H
#define MADO_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/common.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/json.h"
#include "mado/util.h"

struct mg_connection;
struct mg_request_info;
struct mado_req;
struct mado_db;

typedef int (*mado_handler)(struct mado_req *rq);

/* Who may call a route. */
enum mado_caller {
	MADO_PERSON,  /* a person logged in (the default) */
	MADO_PUBLIC,  /* anyone; no session is read */
	MADO_VISITOR, /* anyone; a session is read when one comes (the login steps) */
	MADO_ORG,     /* an organisation's system, by its client certificate, of .orgs kinds */
	MADO_STAFF,   /* a staff member (a desk's, the supervisor's) logged in, of .staff_roles */
	MADO_CALLER__COUNT
};

/* Kinds of organisation, for .orgs. */
#define MADO_ORG_AGENCY     (1u << 0)
#define MADO_ORG_PRIVATE    (1u << 1)
#define MADO_ORG_DESK       (1u << 2)
#define MADO_ORG_SUPERVISOR (1u << 3)
#define MADO_ORG_ANY        (MADO_ORG_AGENCY | MADO_ORG_PRIVATE | MADO_ORG_DESK | MADO_ORG_SUPERVISOR)
/* The flag of a kind's name ("agency", ...), 0 for none. */
unsigned mado_org_kind(const char *name);

/* Roles of staff, for .staff_roles: a desk's (clerk, desk-lead) and the supervisor's. */
#define MADO_STAFF_CLERK      (1u << 0) /* "clerk" */
#define MADO_STAFF_LEAD       (1u << 1) /* "desk-lead" */
#define MADO_STAFF_SUPERVISOR (1u << 2) /* "supervisor", of an organisation of kind supervisor */
#define MADO_STAFF_DESK       (MADO_STAFF_CLERK | MADO_STAFF_LEAD)
#define MADO_STAFF_ANY        (MADO_STAFF_DESK | MADO_STAFF_SUPERVISOR)
/* The flag of a role's name, 0 for none. */
unsigned mado_staff_role(const char *name);

/*
 * What a helper may do for a person: the themes a route belongs to. A desk visit may use
 * the routes of any theme (safety-flag only with a desk-lead), a proxy those of its
 * mandate's themes (the first five; never the ending of mandates or the safety flag). A
 * person route with none is for the person's own session alone (granting consent,
 * cards, sessions, alerts). The names are those the database uses.
 */
#define MADO_ACT_ACCESS_LOG   (1u << 0) /* "access-log": see the access log */
#define MADO_ACT_MY_INFO      (1u << 1) /* "my-information": see my information */
#define MADO_ACT_NOTICES      (1u << 2) /* "notices": read the notices */
#define MADO_ACT_WITHDRAW     (1u << 3) /* "withdraw-consents": see and withdraw consents */
#define MADO_ACT_DISPUTES     (1u << 4) /* "disputes": file disputes and corrections */
#define MADO_ACT_END_MANDATES (1u << 5) /* "end-mandates": end proxies' mandates (desk) */
#define MADO_ACT_SAFETY_FLAG  (1u << 6) /* "safety-flag": set the safety flag (desk-lead) */
#define MADO_ACT_SESSION      (1u << 7) /* "session": about the session itself (logout) */
#define MADO_ACT__COUNT       8
#define MADO_ACT_ALL          ((1u << MADO_ACT__COUNT) - 1)
/* The name of one theme flag; the flag of a name (0 for none). */
const char *mado_act_name(unsigned act);
unsigned mado_act_flag(const char *name);

/* What a route's body is. */
enum mado_body {
	MADO_BODY_NONE,   /* no body is read */
	MADO_BODY_OBJECT, /* a JSON object of .fields, checked by the router */
	MADO_BODY_JSON,   /* any JSON value, checked by the handler (CSP reports) */
	MADO_BODY_RAW,    /* bytes of .media, not parsed (Web eID tokens) */
};

/*
 * One endpoint, written with designated initialisers in its module's *_api.c and
 * exported in the module's route set. Unset members take safe defaults: a person's
 * session, no body, the body_max setting, application/json.
 */
struct mado_route {
	const char *method;
	const char *pattern; /* "/api/v1/things/{id}": literal segments and {name} */
	mado_handler handler;
	enum mado_caller caller;
	unsigned orgs;        /* MADO_ORG: the kinds of organisation that may call */
	unsigned staff_roles; /* MADO_STAFF: the staff roles that may call */
	unsigned acts; /* MADO_PERSON: MADO_ACT_* a helper may use it for; 0: own session only */
	bool cross_origin; /* a POST browsers send without our Origin (CSP reports) */
	enum mado_body body;
	const struct mado_field *fields; /* MADO_BODY_OBJECT: the members */
	const struct mado_field *path;   /* each {name} segment, in order; wrong means 404 */
	const struct mado_field *query;  /* query parameters; others are ignored */
	int body_max;                    /* bytes; 0 means the body_max setting */
	const char *media; /* accepted body types, space separated; NULL: application/json */
	/* At most public_rate_max requests a minute from one client (mado_http_client_key);
	   over it, 429. Every PUBLIC or VISITOR route that changes state sets it, except the
	   login attempts, which the login limiter governs (it never refuses a proven key). */
	bool rate_limited;
	/* Origin must be the TLS login page's (public_origin's host, mtls_listen's port),
	   not public_origin: the form on that page is where the request comes from. */
	bool tls_origin;
	/* MADO_PERSON: only a session in which the person's card signed card_fresh_s or
	   less ago (the card login, or a step-up later); others get 403 card-required, and
	   the page asks for the card. */
	bool needs_card;
	/* GET, MADO_PUBLIC or MADO_ORG, not rate_limited: the handler's reads may be a little
	   stale (public aggregates, registers, catalogues; never a person's own data), so
	   mado_http_db gives it a read-only connection of the read pool (db_read_url) when
	   there is one. Installing it on any other route fails. */
	bool stale_ok;
};

/* A module's routes. */
struct mado_route_set {
	const char *module;
	const struct mado_route *routes;
	size_t n;
};
#define MADO_ROUTE_SET(name, routes)                                                               \
	{                                                                                          \
		(name), (routes), MADO_NELEM(routes)                                               \
	}

/* Installs the routes of every module (copied: the sets may go). Refuses a method and
   pattern served twice. Call before mado_server_start; tests call it alone. */
MADO_MUSTCHECK int mado_http_install(const struct mado_route_set *const *sets, size_t n);
/* The installed routes (http's own first), for the router, metrics and tests. */
const struct mado_route *mado_http_routes(size_t *n);
/* Finds the route for method and path. *path_matched says whether any route has the path
   (for 405 against 404). Fills params when rq is not NULL. */
const struct mado_route *mado_http_match(const char *method, const char *path, bool *path_matched,
					 struct mado_req *rq);
/* Writes "GET, POST" for the methods path allows into buf. */
void mado_http_allowed(const char *path, char *buf, size_t len);

enum mado_cache {
	MADO_CACHE_NO_STORE,   /* API answers: never cached */
	MADO_CACHE_REVALIDATE, /* static files, public keys: cache, but ask every time */
	MADO_CACHE_PUBLIC,     /* public data anyone may cache for cache_max_age seconds */
};

#define MADO_MAX_PARAMS 6
#define MADO_PARAM_MAX  128
#define MADO_MAX_QUERY  12
#define MADO_REQ_ID_LEN 22

/* Who is asking, as the gate established it. person_id never leaves the server. */
struct mado_actor {
	bool session;                          /* a valid session cookie came with the request */
	bool authenticated;                    /* ... and a person is logged in on it */
	bool shared;                           /* ... started on a shared computer */
	bool card;                             /* ... and its card signed in it lately */
	char session_hex[MADO_HASH_PARAM_LEN]; /* the cookie's hash, a bytea parameter */
	char person_id[40];
	char binding_id[24];
	char channel[16];
	char method[16]; /* webeid, tls, passkey, cross-device */
	char csrf[48];
	char org[48];      /* MADO_ORG routes: the organisation the certificate belongs to */
	char org_kind[16]; /* agency, private, desk or supervisor */
	/* A person's session: what it may do (MADO_ACT_*); a helper's session (channel desk
	   or proxy) also names the helper as the access log will: organisation, officer. */
	unsigned acts;
	char helper_org[48];
	char helper_ref[72];
	/* MADO_STAFF routes: the staff member's pseudonymous reference and role (the desk
	   organisation is in org, the staff session's hash in session_hex, its token in csrf). */
	char staff_ref[24];
	char staff_role[16];
};

struct mado_req {
	/* The request, for handlers to read. */
	char id[MADO_REQ_ID_LEN + 1];
	const struct mado_route *route;
	char params[MADO_MAX_PARAMS][MADO_PARAM_MAX]; /* {name} segments, checked, in order */
	int nparams;
	char *body; /* NUL-terminated raw body of a route that takes one */
	size_t body_len;
	cJSON *json; /* the parsed body, checked against the route's fields */
	struct mado_actor actor;

	/* The router's: handlers go through the functions below. */
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	size_t metric; /* index of this request's metrics row */
	struct timespec start;
	int64_t deadline_ms; /* the whole request, head to body, on the monotonic clock */
	const char *query[MADO_MAX_QUERY]; /* the route's query fields' values, or NULL */
	struct mado_text query_buf;
	struct mado_db *db; /* checked out on first use, returned before the response */
	bool stale_ok;      /* set by the router for the handler of a .stale_ok route */
	char client[64];    /* the client's address (trusted_proxies applied) */
	int status;
	const char *content_type;
	struct mado_text out;
	struct mado_text headers; /* extra header lines, each ending in CRLF */
	enum mado_cache cache;
	int cache_max_age;    /* MADO_CACHE_PUBLIC */
	bool cache_immutable; /* MADO_CACHE_PUBLIC: the content never changes */
	bool head_only;
	bool close;
	bool unread_body;   /* refused before reading: taken in briefly before the close */
	char detail[256];   /* problem detail; empty for the catalogue's title only */
	cJSON *problem_ext; /* extension members merged into a problem */
};

/* Response builders for handlers. json is taken (deleted). */
MADO_MUSTCHECK int mado_http_json(struct mado_req *rq, int status, cJSON *json);
MADO_MUSTCHECK int mado_http_text(struct mado_req *rq, int status, const char *content_type,
				  const void *body, size_t len);
/* The text's contents as the body; the text is freed. */
MADO_MUSTCHECK int mado_http_take(struct mado_req *rq, const char *content_type,
				  struct mado_text *t);
MADO_MUSTCHECK int mado_http_no_content(struct mado_req *rq);
/* 303 See Other to location. */
MADO_MUSTCHECK int mado_http_redirect(struct mado_req *rq, const char *location);
/* The response may be cached if the client revalidates it (ETag, public keys). */
void mado_http_revalidate(struct mado_req *rq);
/* Anyone (shared caches too) may keep the response for max_age_s seconds; immutable: it
   never changes (tlog-tiles' full and partial tiles). */
void mado_http_cache_public(struct mado_req *rq, int max_age_s, bool immutable);
/* Adds a response header; refuses names or values with CR, LF or NUL. */
void mado_http_header(struct mado_req *rq, const char *name, const char *value);

/* Problems: the detail (for `return mado_http_fail(rq, E, "...")`), and extension
   members, e.g. `reason` or `field`. Each returns err, or nothing. */
int mado_http_fail(struct mado_req *rq, int err, const char *fmt, ...) MADO_PRINTF(3, 4);
/* MADO_OK when the person's card signed in this session lately (actor.card), else 403
   card-required: the step-up that needs_card routes, and acts that need the card only
   for some bodies (approving a consent request), answer alike. */
int mado_http_need_card(struct mado_req *rq);
void mado_http_ext(struct mado_req *rq, const char *name, const char *value);
void mado_http_ext_int(struct mado_req *rq, const char *name, long long value);
/* A problem naming where input is wrong: bad->err with `field` (and `index`). */
int mado_http_bad_input(struct mado_req *rq, const struct mado_bad *bad);
/* A refusal with a reason member: mado_http_ext(rq, "reason", reason) and err. */
int mado_http_refuse(struct mado_req *rq, int err, const char *reason);

/* Answers {"<member>": [...]}, the shape of every list the API serves: the rows a store's
   fetch(db, key, fn, arg) passes to fn, each written as map says. key is the handler's
   (the person, or the organisation; NULL for public lists). */
typedef int (*mado_rows_fn)(struct mado_db *db, const char *key, mado_db_row_fn fn, void *arg);
MADO_MUSTCHECK int mado_http_rows(struct mado_req *rq, const char *member, mado_rows_fn fetch,
				  const char *key, const struct mado_jmember *map, size_t n);

/* The request's database connection, checked out once and returned by the router. */
MADO_MUSTCHECK int mado_http_db(struct mado_req *rq, struct mado_db **out);
/* Gives the connection back early: before waiting on the network (a revocation check),
   so that no pooled connection waits with it. mado_http_db takes one again. */
void mado_http_db_release(struct mado_req *rq);

/* The checked input. Body members (absent or null: NULL / def / false): */
const char *mado_http_str(const struct mado_req *rq, const char *name);
long long mado_http_int(const struct mado_req *rq, const char *name, long long def);
bool mado_http_bool(const struct mado_req *rq, const char *name);
const cJSON *mado_http_member(const struct mado_req *rq, const char *name);
/* A query parameter the route declares, decoded; NULL when absent or empty. */
const char *mado_http_query(const struct mado_req *rq, const char *name);
/* A declared MADO_K_BOOL query parameter: true only when it says "true". */
bool mado_http_query_true(const struct mado_req *rq, const char *name);

/*
 * A gate establishes who is asking. check runs before the body is read and may not wait
 * on anything; admit runs after, may use the request's database connection, and must
 * give it back (mado_http_db_release) before waiting on the network. Registered per kind
 * of caller by the module that knows them (auth); MADO_PUBLIC routes have none.
 */
struct mado_gate {
	int (*check)(struct mado_req *rq);
	int (*admit)(struct mado_req *rq);
};
void mado_http_set_gate(enum mado_caller caller, const struct mado_gate *gate);

/*
 * The window limiter behind .rate_limited, registered by the module that keeps the counters
 * (auth). It counts one request under key and answers MADO_OK while the count in the
 * window is at most max, else MADO_E_RATE_LIMITED with *retry_after (seconds). The router
 * calls it after the body is read, with the request's database connection.
 */
typedef int (*mado_limit_fn)(struct mado_req *rq, const char *key, int max, int window_s,
			     int *retry_after);
void mado_http_set_limiter(mado_limit_fn fn);

/* The client's address as text (no port): the TCP peer's, or, when that is one of
   trusted_proxies, the last address of X-Forwarded-For that is not. Borrowed for the
   request's lifetime. */
const char *mado_http_client_addr(const struct mado_req *rq);
/* Whether the client's address is in list: `*`, or comma-separated addresses and CIDR
   blocks (as metrics_from and staff_from take them). */
bool mado_http_client_from(const struct mado_req *rq, const char *list);
/* The key every per-client limit counts the request under: the client's IPv4 address, or
   its IPv6 address's /64 ("2001:db8:1:2::/64"). */
void mado_http_client_key(const struct mado_req *rq, char *out, size_t len);
/* The same for an address given as text; false (out a copy) when it is not one. */
bool mado_http_addr_key(const char *addr, char *out, size_t len);
const char *mado_http_req_header(const struct mado_req *rq, const char *name);
/* The client certificate of the connection (borrowed), or NULL. */
struct x509_st *mado_http_client_cert(const struct mado_req *rq);

/* Server lifecycle (server/http/server.c). schema is the set of migrations this build
   expects; /readyz compares the database with it. Both must outlive the server. */
struct mado_server;
struct mado_migrations;
MADO_MUSTCHECK int mado_server_start(const struct mado_config *cfg,
				     const struct mado_migrations *schema,
				     struct mado_server **out);
void mado_server_stop(struct mado_server *srv);

/* For another program that starts CivetWeb with TLS itself (mado-holder): loads the TLS
   shim from the executable's directory and initialises CivetWeb's TLS, failing closed.
   MADO_OK, or an error with the reason in why. */
MADO_MUSTCHECK int mado_http_tls_prepare(char *why, size_t whylen);

#endif
