/*
 * The one option table. Each row names a setting, its type, where it lives in struct
 * mado_config, its default, its bounds and a one-line description; the README's reference
 * is printed from it (mado config-reference).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "mado/config.h"
#include "mado/err.h"
#include "mado/log.h"
#include "mado/util.h"

extern char **environ;

enum opt_type { OPT_STR, OPT_BOOL, OPT_INT, OPT_CONNINFO };

#define OPT_SECRET 0x01 /* never printed */
/* Checked only when the configuration is loaded for serving: the option names something
   only the server opens, so an operator command on another host (or in a container
   without the certificate) need not have it. */
#define OPT_SERVE 0x02

struct opt;
typedef const char *(*opt_check)(const struct mado_config *cfg, const struct opt *o);

struct opt {
	const char *name;
	enum opt_type type;
	size_t off;
	const char *def;
	long long min, max;
	int flags;
	opt_check check;
	const char *help;
};

static const char *check_listen(const struct mado_config *, const struct opt *);
static const char *check_origin(const struct mado_config *, const struct opt *);
static const char *check_dir(const struct mado_config *, const struct opt *);
static const char *check_tls_cert(const struct mado_config *, const struct opt *);
static const char *check_log_level(const struct mado_config *, const struct opt *);
static const char *check_from_list(const struct mado_config *, const struct opt *);
static const char *check_trusted_proxies(const struct mado_config *, const struct opt *);
static const char *check_mtls_listen(const struct mado_config *, const struct opt *);
static const char *check_tls_login_origin(const struct mado_config *, const struct opt *);
static const char *check_revocation(const struct mado_config *, const struct opt *);
static const char *check_optional_dir(const struct mado_config *, const struct opt *);
static const char *check_demo_cards(const struct mado_config *, const struct opt *);
static const char *check_tlog_origin(const struct mado_config *, const struct opt *);
static const char *check_tlog_witness(const struct mado_config *, const struct opt *);
static const char *check_db_tls(const struct mado_config *, const struct opt *);

#define OFF(f) offsetof(struct mado_config, f)

static const struct opt opts[] = {
    {"listen", OPT_STR, OFF(listen), "127.0.0.1:8443", 0, 0, 0, check_listen,
     "Address and port to serve on (IPv4 `a.b.c.d:port` or `[v6]:port`)."},
    {"tls", OPT_BOOL, OFF(tls), "on", 0, 0, 0, NULL,
     "Serve HTTPS. `off` is accepted only on a loopback address, for local development."},
    {"tls_cert", OPT_STR, OFF(tls_cert), "var/tls/server.pem", 0, 0, OPT_SERVE, check_tls_cert,
     "PEM file holding the server's private key and certificate chain."},
    {"public_origin", OPT_STR, OFF(public_origin), "https://localhost:8443", 0, 0, 0, check_origin,
     "The origin browsers use for this service (`https://host[:port]`)."},
    {"web_root", OPT_STR, OFF(web_root), "web", 0, 0, OPT_SERVE, check_dir,
     "Directory of the static front end, loaded at start."},
    {"migrations_dir", OPT_STR, OFF(migrations_dir), "sql/migrations", 0, 0, 0, check_dir,
     "Directory of the numbered SQL migrations; the function files are read from the "
     "directory `functions` beside it."},
    {"db_url", OPT_CONNINFO, OFF(db_url), "dbname=mado user=mado_app", 0, 0, OPT_SECRET,
     check_db_tls,
     "libpq connection string of the application role (password hidden when printed). A "
     "database on another host must be reached with `sslmode=verify-full`; a Unix socket or "
     "a loopback address need not."},
    {"db_migrate_url", OPT_CONNINFO, OFF(db_migrate_url), "", 0, 0, OPT_SECRET, check_db_tls,
     "Connection string of the schema owner for `mado migrate`; empty means `db_url`."},
    {"db_read_url", OPT_CONNINFO, OFF(db_read_url), "", 0, 0, OPT_SECRET, check_db_tls,
     "Connection string of a replica for reads that may be a little stale (public statistics, "
     "registers, catalogues), in a second pool of `db_pool_size` read-only connections; empty "
     "means the primary serves everything."},
    {"db_pool_size", OPT_INT, OFF(db_pool_size), "16", 1, 512, 0, NULL,
     "Database connections in the pool."},
    {"db_wait_ms", OPT_INT, OFF(db_wait_ms), "2000", 1, 60000, 0, NULL,
     "Longest wait for a pooled connection before answering 503."},
    {"db_connect_timeout", OPT_INT, OFF(db_connect_timeout), "2", 1, 60, 0, NULL,
     "Seconds to wait when opening a database connection."},
    {"clock_skew_max_ms", OPT_INT, OFF(clock_skew_max_ms), "2000", 10, 600000, 0, NULL,
     "The most this server's clock may differ from the database's before /readyz answers 503 "
     "clock-skew (card validity, revocation answers and sessions are judged by this clock)."},
    {"threads", OPT_INT, OFF(threads), "128", 4, 4096, 0, NULL,
     "Worker threads; each serves one connection at a time."},
    {"request_timeout_ms", OPT_INT, OFF(request_timeout_ms), "10000", 100, 600000, 0, NULL,
     "Deadline for reading a request head; and for a request's whole body, from when its "
     "head was read."},
    {"keep_alive_ms", OPT_INT, OFF(keep_alive_ms), "5000", 0, 600000, 0, NULL,
     "How long an idle keep-alive connection may hold a worker."},
    {"max_conns_per_client", OPT_INT, OFF(max_conns_per_client), "32", 0, 100000, 0, NULL,
     "Connections one client (an IPv4 address or an IPv6 /64) may hold at once on each "
     "TLS listener together; more are closed at the handshake's start. 0: no limit."},
    {"body_max", OPT_INT, OFF(body_max), "65536", 256, 67108864, 0, NULL,
     "Default limit on a request body in bytes (routes may set their own)."},
    {"export_max_entries", OPT_INT, OFF(export_max_entries), "250000", 1000, 5000000, 0, NULL,
     "The most entries one access-log export holds (the download is built in memory); a "
     "longer log's export says where it stopped and the cursor to continue from."},
    {"hsts_max_age", OPT_INT, OFF(hsts_max_age), "31536000", 0, 63072000, 0, NULL,
     "Strict-Transport-Security max-age in seconds."},
    {"metrics_from", OPT_STR, OFF(metrics_from), "127.0.0.1,::1", 0, 0, 0, check_from_list,
     "Comma-separated client addresses or CIDR blocks allowed to read /metrics, or `*` for "
     "any."},
    {"staff_from", OPT_STR, OFF(staff_from), "*", 0, 0, 0, check_from_list,
     "Comma-separated client addresses or CIDR blocks from which desk and supervisor staff may "
     "log in and use their routes (the terminals' networks), or `*` for any."},
    {"trusted_proxies", OPT_STR, OFF(trusted_proxies), "", 0, 0, 0, check_trusted_proxies,
     "Comma-separated addresses or CIDR blocks of reverse proxies in front of Mado. When the "
     "peer is one, the client is the last address in X-Forwarded-For that is not; empty: "
     "the header is ignored."},
    {"log_level", OPT_STR, OFF(log_level), "info", 0, 0, 0, check_log_level,
     "Operational log level: error, warn, info or debug."},
    {"log_requests", OPT_BOOL, OFF(log_requests), "on", 0, 0, 0, NULL,
     "Write one JSON line per request to stderr (with the lines of other requests, within 2 ms)."},
    {"mtls_listen", OPT_STR, OFF(mtls_listen), "", 0, 0, 0, check_mtls_listen,
     "Second HTTPS address that asks browsers for a card certificate (TLS login); empty: "
     "none."},
    {"tls_login_origin", OPT_STR, OFF(tls_login_origin), "", 0, 0, 0, check_tls_login_origin,
     "The TLS login listener's origin as browsers reach it (`https://host:port`), when a load "
     "balancer in front listens on another port than mtls_listen; empty: public_origin's "
     "host with mtls_listen's port."},
    {"card_trust_dir", OPT_STR, OFF(card_trust_dir), "", 0, 0, 0, check_optional_dir,
     "Directory of the card issuers' CA certificates (PEM or DER); empty disables card "
     "login. The system trust store is never used."},
    {"card_policies_disallowed", OPT_STR, OFF(card_policies_disallowed),
     MADO_PKI_DEFAULT_DISALLOWED, 0, 0, 0, NULL,
     "Certificate policy OIDs refused at login (comma-separated)."},
    {"card_policies_required", OPT_STR, OFF(card_policies_required), "", 0, 0, 0, NULL,
     "Certificate policy OIDs of which a card must carry one; empty: no requirement."},
    {"card_revocation", OPT_STR, OFF(card_revocation), "ocsp", 0, 0, 0, check_revocation,
     "How a card's revocation is checked: `ocsp`, `crl`, or `off` (tests only)."},
    {"card_ocsp_url", OPT_STR, OFF(card_ocsp_url), "", 0, 0, 0, NULL,
     "Designated OCSP responder; empty: the responder named in the card (AIA)."},
    {"card_ocsp_responder", OPT_STR, OFF(card_ocsp_responder), "", 0, 0, 0, NULL,
     "Certificate of the designated responder, pinned; empty: RFC 6960 delegation rules."},
    {"card_ocsp_nonce", OPT_BOOL, OFF(card_ocsp_nonce), "on", 0, 0, 0, NULL,
     "Send a nonce with each OCSP request and require it back."},
    {"card_ocsp_timeout_ms", OPT_INT, OFF(card_ocsp_timeout_ms), "5000", 100, 60000, 0, NULL,
     "Longest wait for the OCSP responder."},
    {"card_ocsp_cache_max_s", OPT_INT, OFF(card_ocsp_cache_max_s), "300", 0, 86400, 0, NULL,
     "An OCSP answer is reused until its nextUpdate, but never longer than this."},
    {"card_ocsp_fail_cache_s", OPT_INT, OFF(card_ocsp_fail_cache_s), "15", 0, 3600, 0, NULL,
     "After an OCSP responder fails to answer, checks that need it are refused at once for "
     "this long, then one at a time asks it again; 0: every check asks."},
    {"card_ocsp_max_age_s", OPT_INT, OFF(card_ocsp_max_age_s), "120", 1, 86400, 0, NULL,
     "A fetched OCSP answer whose thisUpdate is older than this is refused as stale."},
    {"card_clock_skew_s", OPT_INT, OFF(card_clock_skew_s), "900", 0, 3600, 0, NULL,
     "Clock difference allowed with the OCSP responder."},
    {"card_crl", OPT_STR, OFF(card_crl), "", 0, 0, 0, NULL,
     "CRL file or http URL, when card_revocation = crl."},
    {"card_crl_refresh_s", OPT_INT, OFF(card_crl_refresh_s), "300", 1, 86400, 0, NULL,
     "How often the CRL is read again."},
    {"card_recheck_s", OPT_INT, OFF(card_recheck_s), "300", 1, 86400, 0, NULL,
     "How often a session re-checks that its card (a staff session: the staff member's "
     "certificate) is not revoked."},
    {"card_fresh_s", OPT_INT, OFF(card_fresh_s), "900", 60, 28800, 0, NULL,
     "Granting or resuming consent, adding a device and giving a proxy mandate need the "
     "card signed in the session this long ago or less; after that, the page asks for the "
     "card again (the step-up)."},
    {"session_idle_s", OPT_INT, OFF(session_idle_s), "900", 30, 86400, 0, NULL,
     "A session ends after this long without a request."},
    {"session_idle_shared_s", OPT_INT, OFF(session_idle_shared_s), "180", 10, 86400, 0, NULL,
     "A session started on a shared computer (the login page's choice) ends after this long "
     "without a request, if shorter than session_idle_s."},
    {"session_max_s", OPT_INT, OFF(session_max_s), "28800", 60, 604800, 0, NULL,
     "A session ends this long after login, however active."},
    {"staff_session_max_s", OPT_INT, OFF(staff_session_max_s), "36000", 60, 86400, 0, NULL,
     "A desk staff member's session at the terminal ends this long after their login."},
    {"visit_max_s", OPT_INT, OFF(visit_max_s), "1200", 60, 14400, 0, NULL,
     "A desk visit (the resident's session at the counter) ends this long after the "
     "resident's card took it up; the terminal warns two minutes before."},
    {"proxy_max_people", OPT_INT, OFF(proxy_max_people), "5", 1, 1000, 0, NULL,
     "A proxy who accepts mandates of more people than this is reported to the supervisor."},
    {"mandate_remind_s", OPT_INT, OFF(mandate_remind_s), "3600", 0, 86400, 0, NULL,
     "How often the server sends the reminders due a month before a mandate's term, to "
     "the person and their proxy; 0: only when either looks at their mandates."},
    {"oversight_scan_s", OPT_INT, OFF(oversight_scan_s), "300", 0, 86400, 0, NULL,
     "How often the database looks for anomalies in the access log (the supervisor can also "
     "ask at any time); 0: only when asked."},
    {"oversight_lag_s", OPT_INT, OFF(oversight_lag_s), "60", 0, 3600, 0, NULL,
     "The statistics count the access log's rows recorded up to this long ago (a recording "
     "transaction still open longer would be missed)."},
    {"anomaly_people_hour", OPT_INT, OFF(anomaly_people_hour), "200", 2, 1000000, 0, NULL,
     "An official reading this many different people within one clock hour is an anomaly."},
    {"anomaly_night_reads", OPT_INT, OFF(anomaly_night_reads), "5", 1, 1000000, 0, NULL,
     "An official's reads in one night (anomaly_night_from to anomaly_night_to, Japan time) "
     "that make an anomaly."},
    {"anomaly_night_from", OPT_INT, OFF(anomaly_night_from), "22", 0, 23, 0, NULL,
     "The hour the night starts, Japan time."},
    {"anomaly_night_to", OPT_INT, OFF(anomaly_night_to), "6", 0, 23, 0, NULL,
     "The hour the night ends, Japan time."},
    {"anomaly_spike_factor", OPT_INT, OFF(anomaly_spike_factor), "5", 2, 1000, 0, NULL,
     "A day this many times an official's or organisation's own baseline (their daily "
     "average over the days they were active in the 28 before, when at least 7) is an "
     "anomaly."},
    {"anomaly_spike_min", OPT_INT, OFF(anomaly_spike_min), "50", 1, 100000000, 0, NULL,
     "An official's day is compared with their baseline only from this many reads."},
    {"anomaly_org_spike_min", OPT_INT, OFF(anomaly_org_spike_min), "1000", 1, 1000000000, 0, NULL,
     "An organisation's day is compared with its baseline only from this many reads."},
    {"anomaly_refusal_pct", OPT_INT, OFF(anomaly_refusal_pct), "60", 1, 100, 0, NULL,
     "An organisation whose requests are refused this often (percent) in a day is an "
     "anomaly."},
    {"anomaly_refusal_min", OPT_INT, OFF(anomaly_refusal_min), "50", 1, 100000000, 0, NULL,
     "Requests in a day before an organisation's refusal rate counts."},
    {"anomaly_proxy_people", OPT_INT, OFF(anomaly_proxy_people), "5", 2, 1000000, 0, NULL,
     "A proxy acting for this many different people in a day is an anomaly."},
    {"anomaly_new_case_refs", OPT_INT, OFF(anomaly_new_case_refs), "100", 1, 100000000, 0, NULL,
     "Case references an organisation names for the first time in a day that make an "
     "anomaly (and anomaly_spike_factor times its baseline)."},
    {"dispute_due_days", OPT_INT, OFF(dispute_due_days), "30", 1, 3650, 0, NULL,
     "A dispute still waiting for the organisation's first answer after this many days is "
     "overdue (unless the supervisor set a deadline)."},
    {"public_stats_min", OPT_INT, OFF(public_stats_min), "10", 2, 1000000, 0, NULL,
     "Public transparency statistics show no count below this (above zero)."},
    {"seal_grace_s", OPT_INT, OFF(seal_grace_s), "259200", 1, 2592000, 0, NULL,
     "A sealed gateway query opens to the person this long after it was recorded unless the "
     "supervisor confirms its approval reference first (then it opens at its disclosure "
     "date)."},
    {"login_fail_max_addr", OPT_INT, OFF(login_fail_max_addr), "20", 1, 100000, 0, NULL,
     "Failed logins from one client address (IPv6: its /64) within the window before its "
     "unsigned attempts get 429."},
    {"login_fail_max_card", OPT_INT, OFF(login_fail_max_card), "10", 1, 100000, 0, NULL,
     "Failed logins with one card within the window before its unsigned attempts get 429."},
    {"login_fail_window_s", OPT_INT, OFF(login_fail_window_s), "600", 1, 86400, 0, NULL,
     "Length of the failed-login window."},
    {"public_rate_max", OPT_INT, OFF(public_rate_max), "30", 1, 1000000, 0, NULL,
     "Requests a minute one client (an IPv4 address or an IPv6 /64) may make to each route "
     "anyone may call that changes state (login challenges, CSP reports) before 429."},
    {"org_trust_dir", OPT_STR, OFF(org_trust_dir), "", 0, 0, 0, check_optional_dir,
     "Directory of the organisation CA certificates that agency systems' client certificates "
     "must chain to (on mtls_listen); empty disables the gateway."},
    {"org_revocation", OPT_STR, OFF(org_revocation), "ocsp", 0, 0, 0, check_revocation,
     "How an organisation certificate's revocation is checked: `ocsp` (the responder its "
     "certificate names), `crl` (card_crl settings) or `off` (tests only)."},
    {"operator_cert", OPT_STR, OFF(operator_cert), "", 0, 0, 0, NULL,
     "The operator's certificate (organisation CA) that names the proposer of register "
     "changes made with `mado rp-register`, `org-cert` and `basis-propose` when they are not "
     "given `--as`; empty: they need `--as`."},
    {"consent_receipt_key", OPT_STR, OFF(consent_receipt_key), "", 0, 0, 0, NULL,
     "Ed25519 private key (PEM) that signs consent receipts; empty: no receipts are issued "
     "(the download answers 503)."},
    {"tlog_key", OPT_STR, OFF(tlog_key), "", 0, 0, 0, NULL,
     "Ed25519 private key (PEM) that signs the transparency log's checkpoints; empty: this "
     "process does not sequence the log (records wait in its queue). Never logged."},
    {"tlog_origin", OPT_STR, OFF(tlog_origin), "", 0, 0, 0, check_tlog_origin,
     "The origin line of the log's checkpoints and its key's name; empty: public_origin's "
     "host and port followed by `/tlog`."},
    {"tlog_batch_ms", OPT_INT, OFF(tlog_batch_ms), "1000", 10, 60000, 0, NULL,
     "The sequencer integrates new records at least this often (milliseconds)."},
    {"tlog_batch_max", OPT_INT, OFF(tlog_batch_max), "10000", 1, 1000000, 0, NULL,
     "The most records one batch of the sequencer integrates."},
    {"tlog_witness", OPT_STR, OFF(tlog_witness), "", 0, 0, 0, check_tlog_witness,
     "Witnesses, separated by `;`: each a verifier key (`name+id+key`), a space and the "
     "command that cosigns (`mado-witness cosign ...`, run with /bin/sh); empty: none."},
    {"tlog_witness_needed", OPT_INT, OFF(tlog_witness_needed), "0", 0, 8, 0, NULL,
     "Cosignatures of tlog_witness a checkpoint needs before people see it."},
    {"tlog_export_dir", OPT_STR, OFF(tlog_export_dir), "", 0, 0, 0, check_optional_dir,
     "Directory (outside the database) where every published checkpoint is written "
     "(`checkpoint.<size>`, and `checkpoint`, the latest); empty: none."},
    {"ticket_key", OPT_STR, OFF(ticket_key), "", 0, 0, OPT_SERVE, NULL,
     "Ed25519 private key (PEM) that signs the access tickets Mado relays to data holders "
     "(its public key is at /.well-known/mado-ticket-key); empty: no holder is asked, so "
     "a query that would be served answers 503. Never logged."},
    {"ticket_ttl_s", OPT_INT, OFF(ticket_ttl_s), "30", 5, 300, 0, NULL,
     "Seconds an access ticket stays valid after it is issued."},
    {"relay_cert", OPT_STR, OFF(relay_cert), "", 0, 0, OPT_SERVE, NULL,
     "The client certificate (PEM) Mado presents to data holders (mTLS); empty: none."},
    {"relay_key", OPT_STR, OFF(relay_key), "", 0, 0, OPT_SERVE, NULL,
     "The private key (PEM) of relay_cert. Never logged."},
    {"relay_ca", OPT_STR, OFF(relay_ca), "", 0, 0, OPT_SERVE, NULL,
     "CA certificates (PEM file) a data holder's server certificate must chain to; empty: "
     "the system's."},
    {"relay_timeout_ms", OPT_INT, OFF(relay_timeout_ms), "2000", 100, 30000, 0, NULL,
     "How long a data holder may take to answer a relayed query (milliseconds) before the "
     "requester gets 503 and the record says the holder did not answer."},
    {"demo_cards_dir", OPT_STR, OFF(demo_cards_dir), "", 0, 0, OPT_SERVE, check_demo_cards,
     "Virtual cards (made by mado-card) the demo login page may use; only with a loopback "
     "public_origin (localhost, 127.x.x.x), so a public deployment cannot start with it; "
     "empty in production."},
};

static char **
str_at(struct mado_config *cfg, const struct opt *o)
{
	return (char **)(void *)((char *)cfg + o->off);
}

static char *const *
cstr_at(const struct mado_config *cfg, const struct opt *o)
{
	return (char *const *)(const void *)((const char *)cfg + o->off);
}

static int *
int_at(struct mado_config *cfg, const struct opt *o)
{
	return (int *)(void *)((char *)cfg + o->off);
}

static bool *
bool_at(struct mado_config *cfg, const struct opt *o)
{
	return (bool *)(void *)((char *)cfg + o->off);
}

static const char *
cstr(const struct mado_config *cfg, const struct opt *o)
{
	return *cstr_at(cfg, o);
}

/* Stores one value after checking its type and bounds; returns an error message or NULL. */
static const char *
set_value(struct mado_config *cfg, const struct opt *o, const char *value)
{
	long long v;
	char *copy, *perr = NULL;
	PQconninfoOption *ci;

	switch (o->type) {
	case OPT_BOOL:
		if (strcmp(value, "on") == 0 || strcmp(value, "true") == 0 ||
		    strcmp(value, "yes") == 0 || strcmp(value, "1") == 0)
			*bool_at(cfg, o) = true;
		else if (strcmp(value, "off") == 0 || strcmp(value, "false") == 0 ||
			 strcmp(value, "no") == 0 || strcmp(value, "0") == 0)
			*bool_at(cfg, o) = false;
		else
			return "must be on or off";
		return NULL;
	case OPT_INT:
		if (!mado_parse_int(value, o->min, o->max, &v))
			return "must be a whole number within the allowed range";
		*int_at(cfg, o) = (int)v;
		return NULL;
	case OPT_CONNINFO:
		if (*value != '\0') {
			if ((ci = PQconninfoParse(value, &perr)) == NULL) {
				PQfreemem(perr);
				return "is not a valid libpq connection string";
			}
			PQconninfoFree(ci);
		}
		break;
	case OPT_STR: break;
	}
	if ((copy = strdup(value)) == NULL)
		return "out of memory";
	free(*str_at(cfg, o));
	*str_at(cfg, o) = copy;
	return NULL;
}

static const struct opt *
find_opt(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(opts); i++)
		if (strlen(opts[i].name) == len && strncmp(opts[i].name, name, len) == 0)
			return &opts[i];
	return NULL;
}

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

static int
load_file(struct mado_config *cfg, const char *path, char *err, size_t errlen)
{
	char *text, *line, *next, *eq, *key, *value;
	const struct opt *o;
	const char *msg;
	size_t len;
	int lineno = 0, rc = 0;

	if (mado_read_file(path, 1 << 20, &text, &len) != MADO_OK) {
		snprintf(err, errlen, "config file %s: cannot be read", path);
		return -1;
	}
	for (line = text; line != NULL && rc == 0; line = next) {
		lineno++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		line = trim(line);
		if (*line == '\0' || *line == '#')
			continue;
		if ((eq = strchr(line, '=')) == NULL) {
			snprintf(err, errlen, "config file %s line %d: expected key = value", path,
				 lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		key = trim(line);
		value = trim(eq + 1);
		if ((o = find_opt(key, strlen(key))) == NULL) {
			snprintf(err, errlen, "config file %s line %d: unknown key %s", path,
				 lineno, key);
			rc = -1;
		} else if ((msg = set_value(cfg, o, value)) != NULL) {
			snprintf(err, errlen, "%s (config file %s line %d): %s", o->name, path,
				 lineno, msg);
			rc = -1;
		}
	}
	free(text);
	return rc;
}

static void
env_name(const char *name, char *out, size_t outlen)
{
	size_t i;

	snprintf(out, outlen, "MADO_%s", name);
	for (i = 5; out[i] != '\0'; i++)
		out[i] = (char)toupper((unsigned char)out[i]);
}

static int
load_env(struct mado_config *cfg, char *err, size_t errlen)
{
	char name[64], lower[64];
	const char *value, *msg, *eq;
	size_t i, n;
	char **e;

	for (i = 0; i < MADO_NELEM(opts); i++) {
		env_name(opts[i].name, name, sizeof(name));
		if ((value = getenv(name)) == NULL)
			continue;
		if ((msg = set_value(cfg, &opts[i], value)) != NULL) {
			snprintf(err, errlen, "%s (environment %s): %s", opts[i].name, name, msg);
			return -1;
		}
	}
	/* A misspelt variable would silently do nothing: say so. */
	for (e = environ; e != NULL && *e != NULL; e++) {
		if (strncmp(*e, "MADO_", 5) != 0 || (eq = strchr(*e, '=')) == NULL)
			continue;
		n = (size_t)(eq - *e) - 5;
		if (n >= sizeof(lower) || strncmp(*e, "MADO_CONFIG=", 12) == 0)
			continue;
		for (i = 0; i < n; i++)
			lower[i] = (char)tolower((unsigned char)(*e)[5 + i]);
		if (find_opt(lower, n) == NULL)
			mado_log_warn(NULL, "environment variable %.*s is not a Mado setting",
				      (int)(n + 5), *e);
	}
	return 0;
}

static bool
is_loopback_host(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

/* Splits "host:port" or "[v6]:port"; host is written to out without brackets. */
static bool
split_listen(const char *s, char *host, size_t hostlen, int *port)
{
	const char *colon;
	long long p;
	size_t n;

	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return false;
		n = (size_t)(colon - s - 1);
		if (n >= hostlen)
			return false;
		memcpy(host, s + 1, n);
		host[n] = '\0';
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return false;
		n = (size_t)(colon - s);
		if (n >= hostlen)
			return false;
		memcpy(host, s, n);
		host[n] = '\0';
	}
	if (!mado_parse_int(colon + 1, 0, 65535, &p))
		return false;
	*port = (int)p;
	return true;
}

static const char *
check_listen(const struct mado_config *cfg, const struct opt *o)
{
	char host[64];
	unsigned char addr[16];
	int port;

	if (!split_listen(cstr(cfg, o), host, sizeof(host), &port))
		return "must be host:port, e.g. 127.0.0.1:8443 or [::1]:8443";
	if (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1)
		return "host must be a numeric IPv4 or IPv6 address";
	if (!cfg->tls && !is_loopback_host(host))
		return "plain HTTP (tls = off) is only allowed on a loopback address";
	return NULL;
}

static const char *
check_origin(const struct mado_config *cfg, const struct opt *o)
{
	const char *s = cstr(cfg, o), *host;
	const char *scheme = cfg->tls ? "https://" : "http://";
	long long port;

	if (strncmp(s, scheme, strlen(scheme)) != 0)
		return cfg->tls ? "must start with https://" : "must start with http://";
	host = s + strlen(scheme);
	if (*host == '\0')
		return "must name a host";
	for (; *host != '\0' && *host != ':'; host++)
		if (!(isalnum((unsigned char)*host) || *host == '.' || *host == '-'))
			return "must be scheme://host[:port] with no path, query or trailing slash";
	if (*host == ':' && !mado_parse_int(host + 1, 1, 65535, &port))
		return "has an invalid port";
	return NULL;
}

static const char *
check_dir(const struct mado_config *cfg, const struct opt *o)
{
	struct stat st;

	if (stat(cstr(cfg, o), &st) == -1 || !S_ISDIR(st.st_mode))
		return "is not a directory";
	return NULL;
}

static const char *
check_tls_cert(const struct mado_config *cfg, const struct opt *o)
{
	if (cfg->tls && access(cstr(cfg, o), R_OK) == -1)
		return "cannot be read (needed while tls = on)";
	return NULL;
}

static const char *
check_log_level(const struct mado_config *cfg, const struct opt *o)
{
	if (mado_log_parse_level(cstr(cfg, o)) < 0)
		return "must be error, warn, info or debug";
	return NULL;
}

/* Each item: a numeric address, optionally /bits within its family's length. */
static const char *
check_trusted_proxies(const struct mado_config *cfg, const struct opt *o)
{
	static const char msg[] = "must list numeric addresses or CIDR blocks separated by commas";
	char buf[64], *slash;
	unsigned char addr[16];
	const char *s = cstr(cfg, o), *end;
	long long bits;
	size_t n;
	int max;

	while (*s != '\0') {
		while (*s == ' ')
			s++;
		end = strchr(s, ',');
		n = end != NULL ? (size_t)(end - s) : strlen(s);
		while (n > 0 && s[n - 1] == ' ')
			n--;
		if (n == 0 || n >= sizeof(buf))
			return msg;
		memcpy(buf, s, n);
		buf[n] = '\0';
		if ((slash = strchr(buf, '/')) != NULL)
			*slash++ = '\0';
		if (inet_pton(AF_INET, buf, addr) == 1)
			max = 32;
		else if (inet_pton(AF_INET6, buf, addr) == 1)
			max = 128;
		else
			return msg;
		if (slash != NULL && !mado_parse_int(slash, 0, max, &bits))
			return msg;
		s = end != NULL ? end + 1 : s + strlen(s);
		if (end != NULL && *s == '\0')
			return msg;
	}
	return NULL;
}

/* `*`, or a list as trusted_proxies takes. */
static const char *
check_from_list(const struct mado_config *cfg, const struct opt *o)
{
	if (strcmp(cstr(cfg, o), "*") == 0 || check_trusted_proxies(cfg, o) == NULL)
		return NULL;
	return "must list numeric addresses or CIDR blocks separated by commas, or be *";
}

static const char *
check_mtls_listen(const struct mado_config *cfg, const struct opt *o)
{
	char host[64];
	unsigned char addr[16];
	int port;

	if (*cstr(cfg, o) == '\0')
		return NULL;
	if (!cfg->tls)
		return "needs tls = on";
	if (!split_listen(cstr(cfg, o), host, sizeof(host), &port) ||
	    (inet_pton(AF_INET, host, addr) != 1 && inet_pton(AF_INET6, host, addr) != 1))
		return "must be host:port with a numeric address, or empty";
	if (strcmp(cstr(cfg, o), cfg->listen) == 0)
		return "must differ from listen";
	return NULL;
}

static const char *
check_tls_login_origin(const struct mado_config *cfg, const struct opt *o)
{
	if (*cstr(cfg, o) == '\0')
		return NULL;
	if (*cfg->mtls_listen == '\0')
		return "needs mtls_listen";
	return check_origin(cfg, o);
}

static const char *
check_revocation(const struct mado_config *cfg, const struct opt *o)
{
	const char *v = cstr(cfg, o);

	if (strcmp(v, "ocsp") != 0 && strcmp(v, "crl") != 0 && strcmp(v, "off") != 0)
		return "must be ocsp, crl or off";
	if (strcmp(v, "crl") == 0 && *cfg->card_crl == '\0')
		return "crl needs card_crl";
	return NULL;
}

static const char *
check_optional_dir(const struct mado_config *cfg, const struct opt *o)
{
	return *cstr(cfg, o) == '\0' ? NULL : check_dir(cfg, o);
}

/* Demo cards sign logins for anyone who asks: never on an origin others can reach. */
static const char *
check_demo_cards(const struct mado_config *cfg, const struct opt *o)
{
	const char *origin = cfg->public_origin, *host;
	size_t n;

	if (*cstr(cfg, o) == '\0')
		return NULL;
	host = strstr(origin, "://");
	host = host != NULL ? host + 3 : origin;
	n = strcspn(host, ":/");
	if (!((n == 9 && strncmp(host, "localhost", 9) == 0) ||
	      (n >= 7 && strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == n)))
		return "only with a loopback public_origin (localhost or 127.x.x.x): demo cards "
		       "log anyone in";
	return check_dir(cfg, o);
}

/* A checkpoint's origin line and key name: printable, no spaces or '+'. */
static const char *
check_tlog_origin(const struct mado_config *cfg, const struct opt *o)
{
	const char *v = cstr(cfg, o), *c;

	if (strlen(v) > 200)
		return "at most 200 characters";
	for (c = v; *c != '\0'; c++)
		if (*c <= ' ' || *c == '+' || *c == 0x7f)
			return "no spaces, control characters or '+'";
	return NULL;
}

/* Each witness: "<name>+<hex id>+<base64 key> <command>", separated by ';'. */
static const char *
check_tlog_witness(const struct mado_config *cfg, const struct opt *o)
{
	const char *v = cstr(cfg, o), *e, *sp;
	int n = 0;

	while (*v != '\0') {
		while (*v == ' ' || *v == ';')
			v++;
		if (*v == '\0')
			break;
		e = v + strcspn(v, ";");
		sp = memchr(v, ' ', (size_t)(e - v));
		if (sp == NULL || memchr(v, '+', (size_t)(sp - v)) == NULL ||
		    strspn(sp, " ") == (size_t)(e - sp))
			return "each witness is a verifier key, a space and a command";
		if (++n > 8)
			return "at most 8 witnesses";
		v = e;
	}
	if (cfg->tlog_witness_needed > n)
		return "tlog_witness_needed is more than the witnesses configured";
	return NULL;
}

/* A connection setting as libpq will use it: the string's own value, else libpq's default
   (the environment's PGHOST, PGSSLMODE and the like). */
static const char *
conn_value(const PQconninfoOption *set, const PQconninfoOption *def, const char *key)
{
	const PQconninfoOption *c;

	for (c = set; c != NULL && c->keyword != NULL; c++)
		if (strcmp(c->keyword, key) == 0 && c->val != NULL && *c->val != '\0')
			return c->val;
	for (c = def; c != NULL && c->keyword != NULL; c++)
		if (strcmp(c->keyword, key) == 0)
			return c->val;
	return NULL;
}

/* Item i of a comma-separated host list, "" past its end. */
static void
list_item(const char *list, size_t i, char *out, size_t outlen)
{
	size_t n;

	*out = '\0';
	for (; list != NULL; list++) {
		n = strcspn(list, ",");
		if (i-- == 0) {
			snprintf(out, outlen, "%.*s", (int)n, list);
			return;
		}
		list += n;
		if (*list == '\0')
			return;
	}
}

/*
 * A database on another host is reached over TLS that checks the server's certificate
 * and name (sslmode=verify-full): with less, whoever sits on the path reads every record
 * or answers as the database. A Unix socket or a loopback address does not leave the
 * machine. Each host of a list counts; hostaddr, when given, is where libpq connects.
 */
static const char *
check_db_tls(const struct mado_config *cfg, const struct opt *o)
{
	static const char need[] = "reaches a database on another host without "
				   "sslmode=verify-full (add it, with sslrootcert naming the CA "
				   "that signed the server's certificate)";
	PQconninfoOption *set, *def;
	const char *host, *hostaddr, *mode, *msg = NULL;
	char h[256], a[256];
	size_t i;

	if (*cstr(cfg, o) == '\0' || (set = PQconninfoParse(cstr(cfg, o), NULL)) == NULL)
		return NULL; /* empty, or already refused as unparsable */
	def = PQconndefaults();
	host = conn_value(set, def, "host");
	hostaddr = conn_value(set, def, "hostaddr");
	mode = conn_value(set, def, "sslmode");
	for (i = 0; msg == NULL && i < 64; i++) {
		list_item(host, i, h, sizeof(h));
		list_item(hostaddr, i, a, sizeof(a));
		if (*a == '\0' && *h == '\0') {
			if (i > 0)
				break;
			continue; /* no host: the default Unix socket */
		}
		if (*a == '\0' && (*h == '/' || *h == '@' || strcmp(h, "localhost") == 0))
			continue;
		if (is_loopback_host(*a != '\0' ? a : h))
			continue;
		if (mode == NULL || strcmp(mode, "verify-full") != 0)
			msg = need;
	}
	PQconninfoFree(set);
	PQconninfoFree(def);
	return msg;
}

int
mado_config_load(struct mado_config *cfg, const char *path, enum mado_config_use use, char *err,
		 size_t errlen)
{
	const char *msg;
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < MADO_NELEM(opts); i++) {
		if ((msg = set_value(cfg, &opts[i], opts[i].def)) != NULL) {
			snprintf(err, errlen, "%s (default): %s", opts[i].name, msg);
			goto fail;
		}
	}
	if (path != NULL && load_file(cfg, path, err, errlen) != 0)
		goto fail;
	if (load_env(cfg, err, errlen) != 0)
		goto fail;
	/* Checks run once everything is loaded, so they may look at other settings. */
	for (i = 0; i < MADO_NELEM(opts); i++) {
		if ((opts[i].flags & OPT_SERVE) && use != MADO_CONFIG_SERVE)
			continue;
		if (opts[i].check != NULL && (msg = opts[i].check(cfg, &opts[i])) != NULL) {
			snprintf(err, errlen, "%s: %s", opts[i].name, msg);
			goto fail;
		}
	}
	if (*cfg->db_url == '\0') {
		snprintf(err, errlen, "db_url: must not be empty");
		goto fail;
	}
	return 0;
fail:
	mado_config_free(cfg);
	return -1;
}

void
mado_config_free(struct mado_config *cfg)
{
	size_t i;
	char **s;

	for (i = 0; i < MADO_NELEM(opts); i++) {
		if (opts[i].type != OPT_STR && opts[i].type != OPT_CONNINFO)
			continue;
		s = str_at(cfg, &opts[i]);
		if (*s != NULL && (opts[i].flags & OPT_SECRET))
			memset(*s, 0, strlen(*s));
		free(*s);
		*s = NULL;
	}
}

const char *
mado_config_migrate_url(const struct mado_config *cfg)
{
	return *cfg->db_migrate_url != '\0' ? cfg->db_migrate_url : cfg->db_url;
}

/* A connection string with its password replaced, so it can be shown to an operator. */
static void
print_conninfo(const char *value, FILE *out)
{
	PQconninfoOption *ci, *c;
	const char *sep = "";

	if (*value == '\0' || (ci = PQconninfoParse(value, NULL)) == NULL) {
		fputs(*value == '\0' ? "" : "(hidden)", out);
		return;
	}
	for (c = ci; c->keyword != NULL; c++) {
		if (c->val == NULL)
			continue;
		if (strcmp(c->keyword, "password") == 0)
			fprintf(out, "%spassword=(hidden)", sep);
		else
			fprintf(out, "%s%s=%s", sep, c->keyword, c->val);
		sep = " ";
	}
	PQconninfoFree(ci);
}

void
mado_config_print(const struct mado_config *cfg, FILE *out)
{
	const struct opt *o;
	size_t i;

	for (i = 0; i < MADO_NELEM(opts); i++) {
		o = &opts[i];
		fprintf(out, "%s = ", o->name);
		switch (o->type) {
		case OPT_BOOL:
			fputs(*(const bool *)(const void *)((const char *)cfg + o->off) ? "on"
											: "off",
			      out);
			break;
		case OPT_INT:
			fprintf(out, "%d",
				*(const int *)(const void *)((const char *)cfg + o->off));
			break;
		case OPT_CONNINFO: print_conninfo(cstr(cfg, o), out); break;
		case OPT_STR:
			fputs((o->flags & OPT_SECRET) ? "(hidden)" : cstr(cfg, o), out);
			break;
		}
		fputc('\n', out);
	}
}

void
mado_config_reference(FILE *out)
{
	char env[64];
	size_t i;

	fputs("| key | environment | default | meaning |\n|---|---|---|---|\n", out);
	for (i = 0; i < MADO_NELEM(opts); i++) {
		env_name(opts[i].name, env, sizeof(env));
		fprintf(out, "| `%s` | `%s` | %s%s%s | %s", opts[i].name, env,
			*opts[i].def ? "`" : "", *opts[i].def ? opts[i].def : "(empty)",
			*opts[i].def ? "`" : "", opts[i].help);
		if (opts[i].type == OPT_INT)
			fprintf(out, " Range %lld–%lld.", opts[i].min, opts[i].max);
		fputs(" |\n", out);
	}
}
