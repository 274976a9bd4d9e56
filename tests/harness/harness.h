/*
 * The integration test harness: a throwaway PostgreSQL cluster and a real `mado serve` on
 * a free loopback port, both children of the test process that die with it, plus a small
 * libcurl client. Modelled on pgbouncer's test/utils.py and h2o's t/ spawn helpers.
 */
#ifndef MADO_TEST_HARNESS_H
#define MADO_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

struct th_env {
	char dir[256];   /* everything lives here; removed at teardown */
	char pgdir[300]; /* the cluster (scripts/pgcluster layout) */
	char conf[300];  /* mado's config file */
	char cert[300];  /* server key + certificate (PEM) */
	char ca[300];    /* the server certificate alone, for clients to trust */
	char log[300];   /* mado's stderr */
	char pglog[300]; /* postgres's stderr */
	char url[64];    /* https://127.0.0.1:PORT */
	int port;
	pid_t pg_pid;
	pid_t mado_pid;

	/* With th_setup_cards: a card CA, its OCSP responder and the TLS login listener. */
	char ca_dir[300];    /* mado-card's directory */
	char trust_dir[300]; /* card_trust_dir: the CA certificate only */
	char origin[64];     /* public_origin, https://localhost:PORT */
	int ocsp_port;
	pid_t ocsp_pid;
	int mtls_port;

	/* With th_setup_access: the organisation CA and the demo organisations. */
	char org_dir[300];       /* mado-card's directory; cards/<org>.crt and .key */
	char org_trust_dir[300]; /* org_trust_dir */

	/* With th_setup_access: a data holder (mado-holder) for each demo organisation that
	   holds data, its own database holder_<org> in the same cluster (th_holder_orgs). */
	pid_t holder_pid[8];
	int holder_port[8];
	bool holders_up;

	/* With th_pg_on_tmpfs: the tmpfs mounted on the cluster's data directory, or on
	   its WAL directory. */
	char pg_tmpfs[320];
	char pg_wal_tmpfs[320];
};

/* Creates the directory, cluster, certificate and config (extra is appended to the config,
   may be NULL), migrates and starts mado. Returns 0, or -1 after printing why. */
int th_setup(struct th_env *e, const char *extra_conf);
void th_teardown(struct th_env *e);
/* th_setup plus a card CA (mado-card) with a running OCSP responder, card login
   configured on the server and a TLS login listener. */
int th_setup_cards(struct th_env *e, const char *extra_conf);
/* (Re)starts the responder with extra mado-card ocsp-serve arguments (NULL: none). */
int th_ocsp_start(struct th_env *e, const char *args);
/* th_setup_cards plus the gateway: an organisation CA (org_revocation off), a client
   certificate for each demo organisation (and "unbound", registered to none), the demo
   agencies and their data (sql/demo/agencies.sql) with the certificates bound, and the
   demo support desk's staff: "desk-clerk" (clerk) and "desk-lead" (desk-lead) of
   city-desk, and the supervisor's: "supervisor-a" and "supervisor-b" (supervisor) of
   data-commission, bound with mado staff-bind. */
int th_setup_access(struct th_env *e, const char *extra_conf);
/* The demo's data holders, in the order of th_env's holder_pid; NULL-terminated. */
extern const char *const th_holder_orgs[];
/* Index of org in th_holder_orgs, or -1. */
int th_holder_index(const char *org);
/* Stops and starts holder i (the same port and database). */
int th_holder_stop(struct th_env *e, int i);
int th_holder_start(struct th_env *e, int i);
/* Runs sql as the superuser in org's holder database; as th_sql and th_sql_str. */
long th_holder_sql(const struct th_env *e, const char *org, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int th_holder_sql_str(const struct th_env *e, const char *org, char *buf, size_t len,
		      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* The fixed reply key of the tests' agencies and services (tests/data/reply.key): its
   public half as a query sends it, and the answer's opening. open returns the sealed
   plaintext parsed (the caller deletes it) or NULL when it does not open. */
const char *th_reply_key(void);
cJSON *th_open_sealed(const char *aad, const char *sealed);
/* All the sealed answers of a relayed response ({"answers": [{"holder", "sealed"}]})
   opened and merged: item -> {"value", "as_of"}; NULL when any does not open. */
cJSON *th_open_answers(const cJSON *response, const char *aad);

/* Runs sql/demo/agencies.sql again (data for people registered since) and binds the
   organisation certificates. */
int th_seed_demo(struct th_env *e);
int th_ocsp_stop(struct th_env *e);

int th_pg_start(struct th_env *e);
int th_pg_stop(struct th_env *e);
/* Starts mado serve and waits until /healthz answers; -1 if it exits or never answers. */
int th_mado_start(struct th_env *e);
int th_mado_stop(struct th_env *e);
/* th_mado_start with mado's clock (and nothing else's) moved by libfaketime: FAKETIME
   syntax, e.g. "@2024-08-01 00:00:00" or "+3d". */
int th_mado_start_faked(struct th_env *e, const char *faketime);
/* Where Debian's libfaketime is, or NULL. */
const char *th_libfaketime(void);
/* Runs a mado subcommand with the env's config; returns its exit status. Output (stdout
   and stderr) is captured into out (may be NULL) and is the caller's to free. */
int th_mado_cmd(struct th_env *e, const char *args, char **out);

/* Runs a shell command; returns its exit status (or -1). */
int th_sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct th_resp {
	long status;
	char *body;
	size_t len;
	char *headers; /* raw header block of the final response */
	double seconds;
};

/* One HTTPS request to the env's server. headers: NULL-terminated "Name: value" list. */
int th_http(const struct th_env *e, const char *method, const char *path,
	    const char *const *headers, const char *body, size_t len, struct th_resp *out);

struct th_req {
	const char *method, *path;
	const char *const *headers;
	const char *body;
	size_t len;
	const char *cert, *key; /* client certificate */
	bool mtls;              /* to the TLS login listener */
};
int th_request(const struct th_env *e, const struct th_req *rq, struct th_resp *out);
/* Checks a successful JSON answer of method path against its schema in web/openapi.json
   (tests/harness/apidoc.c): 0 when it fits or is not documented as JSON, else -1 and why.
   th_request checks every answer with it and stops the test run on a misfit. */
int th_apidoc_check(const char *method, const char *path, const struct th_resp *r, char *why,
		    size_t len);
/* The longest a request may take from now on (20 seconds unless set); returns the old. */
long th_http_timeout(long seconds);
void th_resp_free(struct th_resp *r);
/* Logs in with card's certificate on the TLS login listener: the session cookie
   ("__Host-mado=...") and its CSRF token. 0, or -1 when the login failed. */
/* The Origin header of the TLS login page ("Origin: https://localhost:MTLS_PORT"), which
   POST /api/v1/auth/tls must carry. */
void th_tls_origin(const struct th_env *e, char *out, size_t len);
int th_tls_login(const struct th_env *e, const char *card, char *cookie, size_t cookielen,
		 char *csrf, size_t csrflen);

/* Virtual cards of the env's card CA (mado-card): a card's file ("crt" or "key"), a new
   card (args: mado-card issue options, may be NULL), and its registration to a new person
   (mado register-card). 0, or -1 after printing why. */
void th_card_file(const struct th_env *e, const char *card, const char *ext, char *out, size_t len);
int th_card_issue(const struct th_env *e, const char *card, const char *args);
int th_card_register(struct th_env *e, const char *card);
/* The Web eID token that the virtual card of ca_dir signs for origin and nonce (mado-card's
   code, not the validator's), with the card's own algorithm unless alg names one
   (mado-card's --alg): malloc'd, the caller frees it. NULL when mado-card failed. */
char *th_card_token(const char *ca_dir, const char *card, const char *origin, const char *nonce,
		    const char *alg);

/* A person of the tests: a card registered to them, their id (to check database state)
   and, once logged in, their session. */
struct th_person {
	char card[32];
	char id[40];
	char cookie[128]; /* "__Host-mado=..." */
	char csrf[64];
};
/* Issues p->card (P-256), registers it to a new person and reads the person's id. */
int th_person_make(struct th_env *e, struct th_person *p);
/* Logs p in with its card over TLS. */
int th_person_login(const struct th_env *e, struct th_person *p);
/* A request as p: its cookie, CSRF token and the site's Origin; JSON bodies. */
int th_person_http(const struct th_env *e, const struct th_person *p, const char *method,
		   const char *path, const char *body, struct th_resp *out);
/* The demo world: th_setup_access, people (NULL-terminated) made, the demo agencies' data
   for them, and each logged in when login is set. */
int th_setup_people(struct th_env *e, struct th_person *const *people, bool login);
/* A cmocka group teardown for a group whose setup set *state to its th_env. */
int th_group_teardown(void **state);
/* Makes rq go to the mTLS listener with org's client certificate. */
void th_org_cert(const struct th_env *e, const char *org, struct th_req *rq);
/* The value of a response header (case-insensitive name), copied into buf; NULL if none. */
const char *th_header(const struct th_resp *r, const char *name, char *buf, size_t len);
/* The problem `type` of a problem+json response, or "" (static buffer per call). */
const char *th_problem_type(const struct th_resp *r, char *buf, size_t len);
/* Parses the body as JSON (caller deletes), NULL if it is not JSON. */
cJSON *th_json(const struct th_resp *r);
/* The problem type's last part ("card-revoked"), and the problem's `reason` member (or
   ""): each in a buffer of its own, good until the next call. */
const char *th_type(const struct th_resp *r);
const char *th_reason(const struct th_resp *r);

/* The body of a tax office's access report: n events of an hour ago, for the people
   whose pseudonyms are a and b in turn, with event ids "00000000-0000-4000-<tag>-
   <batch, 8 digits><i, 4 digits>" (tag: 4 hex digits), so that a test can count what of
   a batch was written. malloc'd: the caller frees it. */
char *th_report_body(const char *tag, int batch, int n, const char *a, const char *b);

/* A browser of the tests: the session cookie and CSRF token it holds. th_browser_http
   sends them (with the portal's Origin and a JSON content type) when it has them, and
   keeps the session cookie of each answer's Set-Cookie, as a browser would. */
struct th_browser {
	char cookie[128]; /* "__Host-mado=...", or "" */
	char csrf[64];
};
void th_browser_of(const struct th_person *p, struct th_browser *b);
int th_browser_http(const struct th_env *e, struct th_browser *b, const char *method,
		    const char *path, const char *body, struct th_resp *out);
/* A string member of a JSON object, or "" when it is missing or not a string. */
const char *th_jstr(const cJSON *o, const char *name);

/* Faults. th_mado_kill ends mado with SIGKILL (no shutdown at all); th_mado_start brings
   it back on the same ports and database. th_pg_stop_mode stops PostgreSQL as pg_ctl stop
   -m MODE would ("smart", "fast" or "immediate": the last is a crash, recovery at the next
   start). th_*_running reap a child that exited and say whether it still runs. */
int th_mado_kill(struct th_env *e);
int th_pg_stop_mode(struct th_env *e, const char *mode);
bool th_mado_running(struct th_env *e);
bool th_pg_running(struct th_env *e);
/* Moves the cluster's data directory (WAL included), or with wal_only its WAL directory
   alone, onto a tmpfs of size_mb MiB mounted in its place (in a private mount namespace
   where possible) and restarts PostgreSQL on it; th_teardown unmounts it. 0; 1 when
   mounting is not permitted here (the cluster is left as it was); -1 after printing why. */
int th_pg_on_tmpfs(struct th_env *e, bool wal_only, int size_mb);
/* Replaces the OCSP responder with a black hole: a process on the same port that accepts
   every connection and never answers (th_ocsp_start or th_ocsp_stop ends it).
   th_ocsp_blackhole_accepted says how many connections it has taken. */
int th_ocsp_blackhole(struct th_env *e);
long th_ocsp_blackhole_accepted(const struct th_env *e);

/* A free TCP port on 127.0.0.1. */
int th_free_port(void);

/* Runs SQL in the env's database as its superuser, to arrange or check state: returns the
   single value of a one-row query, or the number of rows a command touched; -1 (with
   the error printed) when it fails. */
long th_sql(const struct th_env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first value of a one-row query, as text, into buf; 0, or -1 when there is none. */
int th_sql_str(const struct th_env *e, char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Appends a line to mado's config file (takes effect at the next start or command). */
int th_conf_append(struct th_env *e, const char *line);

/* A transparency-log witness in dir, as the demo has one: its key (name witness.test),
   its state, and dir/witness.sh, the command mado runs to have a checkpoint cosigned; the
   witness knows the log by dir/log.vkey, written once mado serves it. vkey gets the
   witness's verifier key. */
int th_tlog_witness(const char *dir, char *vkey, size_t len);
/* mado's log (its stderr) as it is once needle is in it, or after timeout_ms without it:
   a request's line is written after its response is sent. The caller frees it. */
char *th_log_when(const struct th_env *e, const char *needle, int timeout_ms);
/* The operational log's line for the request that answered r (by its X-Request-Id),
   parsed, once it is written (within 5 s); NULL if it never is. The caller deletes it. */
cJSON *th_request_line(const struct th_env *e, const struct th_resp *r);

/* Sends raw bytes over TLS and returns what the server sent until it closed or went quiet
   for timeout_ms (caller frees). For requests curl refuses to make. */
char *th_raw(const struct th_env *e, const char *req, size_t len, int timeout_ms);

/* A TLS connection to the env's server kept open between writes, for clients that send
   slowly. th_conn_read returns what the server sent until it closed or went quiet for
   timeout_ms (caller frees). */
struct th_conn;
struct th_conn *th_conn_open(const struct th_env *e);
int th_conn_send(struct th_conn *c, const void *data, size_t len);
/* Sends each of parts as a TLS record of its own, all in one TCP segment (corked): what
   arrives together, as a head and its body or pipelined requests can. */
int th_conn_send_records(struct th_conn *c, const char *const *parts, size_t n);
char *th_conn_read(struct th_conn *c, int timeout_ms);
void th_conn_close(struct th_conn *c);

#endif
