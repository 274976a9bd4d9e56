/*
 * Operations endpoints: liveness, readiness, Prometheus metrics, service information, and
 * the receiver for the front end's Content-Security-Policy reports.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/metrics.h"
#include "mado/migrate.h"
#include "http_int.h"

static struct {
	const struct mado_migrations *schema;
	const char *metrics_from;
	int clock_skew_max_ms;
	atomic_bool skewed; /* the last /readyz found the clocks apart: logged once a change */
	bool card_login, demo_cards;
	char tls_login_url[300]; /* empty without a TLS login listener */
} ops;

void
http__ops_init(const struct mado_config *cfg, const struct mado_migrations *schema)
{
	char origin[256];

	ops.schema = schema;
	ops.metrics_from = cfg->metrics_from;
	ops.clock_skew_max_ms = cfg->clock_skew_max_ms;
	ops.card_login = *cfg->card_trust_dir != '\0';
	ops.demo_cards = *cfg->demo_cards_dir != '\0';
	ops.tls_login_url[0] = '\0';
	if (*cfg->mtls_listen != '\0' && ops.card_login) {
		http__tls_login_origin(cfg, origin, sizeof(origin));
		snprintf(ops.tls_login_url, sizeof(ops.tls_login_url), "%s/tls-login.html", origin);
	}
}

void
http__tls_login_origin(const struct mado_config *cfg, char *out, size_t len)
{
	const char *host, *port;
	size_t hostlen;

	out[0] = '\0';
	if (*cfg->mtls_listen == '\0')
		return;
	if (*cfg->tls_login_origin != '\0') { /* behind a load balancer on other ports */
		snprintf(out, len, "%s", cfg->tls_login_origin);
		return;
	}
	/* The login listener's port on the public host browsers already use. */
	host = strstr(cfg->public_origin, "://") + 3;
	hostlen = strcspn(host, ":");
	port = strrchr(cfg->mtls_listen, ':') + 1;
	snprintf(out, len, "https://%.*s:%s", (int)hostlen, host, port);
}

static int
healthz(struct mado_req *rq)
{
	static const char ok[] = "{\"status\":\"ok\"}";

	return mado_http_text(rq, 200, "application/json", ok, sizeof(ok) - 1);
}

/* Checks the database behind one pooled connection; *version gets the schema version. */
static int
check_database(struct mado_req *rq, int *version)
{
	struct mado_db *db;
	char why[256];
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	rc = mado_migrate_check_db(db, ops.schema, version, why, sizeof(why));
	if (rc == MADO_E_SCHEMA_MISMATCH)
		return mado_http_fail(rq, rc, "%s", why);
	return rc;
}

/* This server's clock against the database's: a node whose clock is off would judge
   cards, revocation answers and sessions on a wrong time, so it is not ready. */
static int
check_clock(struct mado_req *rq, int64_t *skew_ms)
{
	struct mado_db *db;
	long long off;
	const char *side;
	bool apart;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = mado_db_clock_skew_ms(db, skew_ms)) != MADO_OK)
		return rc;
	off = *skew_ms < 0 ? -(long long)*skew_ms : (long long)*skew_ms;
	side = *skew_ms > 0 ? "ahead of" : "behind";
	apart = off > ops.clock_skew_max_ms;
	if (atomic_exchange(&ops.skewed, apart) != apart) {
		if (apart)
			mado_log_warn(rq->id,
				      "this clock is %lld ms %s the database's (at most %d)", off,
				      side, ops.clock_skew_max_ms);
		else
			mado_log_info(rq->id, "this clock agrees with the database's again");
	}
	if (apart)
		return mado_http_fail(
		    rq, MADO_E_CLOCK_SKEW,
		    "this server's clock is %lld ms %s the database's; at most %d "
		    "is allowed (clock_skew_max_ms)",
		    off, side, ops.clock_skew_max_ms);
	return MADO_OK;
}

static int
readyz(struct mado_req *rq)
{
	int64_t skew_ms;
	cJSON *out;
	int rc, version;

	if ((rc = check_database(rq, &version)) != MADO_OK ||
	    (rc = check_clock(rq, &skew_ms)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", "ready");
	cJSON_AddNumberToObject(out, "schema_version", version);
	cJSON_AddNumberToObject(out, "clock_skew_ms", (double)skew_ms);
	return mado_http_json(rq, 200, out);
}

static int
about(struct mado_req *rq)
{
	cJSON *out;
	int rc, version;

	if ((rc = check_database(rq, &version)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "service", "mado");
	cJSON_AddStringToObject(out, "version", MADO_VERSION);
	cJSON_AddNumberToObject(out, "schema_version", version);
	cJSON_AddStringToObject(out, "openapi", "/openapi.json");
	cJSON_AddBoolToObject(out, "card_login", ops.card_login);
	if (ops.tls_login_url[0] != '\0')
		cJSON_AddStringToObject(out, "tls_login_url", ops.tls_login_url);
	cJSON_AddBoolToObject(out, "demo_cards", ops.demo_cards);
	return mado_http_json(rq, 200, out);
}

static int
metrics(struct mado_req *rq)
{
	struct mado_text t = {0};
	struct mado_db_stats st;

	if (!mado_http_client_from(rq, ops.metrics_from))
		return mado_http_fail(rq, MADO_E_FORBIDDEN,
				      "metrics are served only to the addresses in metrics_from");
	mado_metrics_render(&t);
	mado_db_pool_stats(&st);
	mado_text_printf(&t,
			 "# HELP mado_db_pool_connections Pool size, open and in-use connections.\n"
			 "# TYPE mado_db_pool_connections gauge\n"
			 "mado_db_pool_connections{state=\"size\"} %d\n"
			 "mado_db_pool_connections{state=\"open\"} %d\n"
			 "mado_db_pool_connections{state=\"in_use\"} %d\n"
			 "# HELP mado_db_pool_waiting Requests waiting for a connection.\n"
			 "# TYPE mado_db_pool_waiting gauge\n"
			 "mado_db_pool_waiting %d\n"
			 "# HELP mado_db_pool_events_total Pool events since start.\n"
			 "# TYPE mado_db_pool_events_total counter\n"
			 "mado_db_pool_events_total{event=\"acquired\"} %llu\n"
			 "mado_db_pool_events_total{event=\"wait_timeout\"} %llu\n"
			 "mado_db_pool_events_total{event=\"connect_failure\"} %llu\n"
			 "mado_db_pool_events_total{event=\"reconnect\"} %llu\n"
			 "# HELP mado_conns_refused_total Connections closed at the handshake for "
			 "being over max_conns_per_client.\n"
			 "# TYPE mado_conns_refused_total counter\n"
			 "mado_conns_refused_total %ld\n"
			 "# HELP mado_build_info Build information.\n"
			 "# TYPE mado_build_info gauge\n"
			 "mado_build_info{version=\"%s\"} 1\n",
			 st.size, st.open, st.in_use, st.waiting, (unsigned long long)st.acquired,
			 (unsigned long long)st.timeouts, (unsigned long long)st.connect_failures,
			 (unsigned long long)st.reconnects, http__connlimit_refused(),
			 MADO_VERSION);
	if (mado_db_read_pool_ready()) {
		mado_db_read_pool_stats(&st);
		mado_text_printf(
		    &t,
		    "# HELP mado_db_read_pool_connections The read pool's (db_read_url) size, "
		    "open and in-use connections.\n"
		    "# TYPE mado_db_read_pool_connections gauge\n"
		    "mado_db_read_pool_connections{state=\"size\"} %d\n"
		    "mado_db_read_pool_connections{state=\"open\"} %d\n"
		    "mado_db_read_pool_connections{state=\"in_use\"} %d\n"
		    "# HELP mado_db_read_pool_events_total Read pool events since start; a "
		    "connect failure sends its reads to the primary.\n"
		    "# TYPE mado_db_read_pool_events_total counter\n"
		    "mado_db_read_pool_events_total{event=\"acquired\"} %llu\n"
		    "mado_db_read_pool_events_total{event=\"wait_timeout\"} %llu\n"
		    "mado_db_read_pool_events_total{event=\"connect_failure\"} %llu\n",
		    st.size, st.open, st.in_use, (unsigned long long)st.acquired,
		    (unsigned long long)st.timeouts, (unsigned long long)st.connect_failures);
	}
	return mado_http_take(rq, "text/plain; version=0.0.4", &t);
}

/* Copies a report field for the log: an origin or a CSP keyword, never a path or query
   (those could name a person's page). */
static void
safe_field(const cJSON *obj, const char *key, char *out, size_t outlen)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	const char *s, *host;
	size_t n, i;

	snprintf(out, outlen, "-");
	if (!cJSON_IsString(v) || (s = v->valuestring) == NULL)
		return;
	host = strstr(s, "://");
	n = host != NULL ? (size_t)(host + 3 - s) + strcspn(host + 3, "/?#") : strcspn(s, " /?#");
	if (n >= outlen)
		n = outlen - 1;
	for (i = 0; i < n; i++)
		out[i] = (s[i] >= 0x21 && s[i] < 0x7f) ? s[i] : '?';
	out[n] = '\0';
}

static int
csp_report(struct mado_req *rq)
{
	const cJSON *r = rq->json, *body;
	char directive[64], blocked[128];

	/* report-uri sends {"csp-report": {...}}; the Reporting API sends [{"body": {...}}]. */
	if (cJSON_IsArray(r))
		r = cJSON_GetArrayItem(r, 0);
	if (!cJSON_IsObject(r))
		return mado_http_fail(rq, MADO_E_VALIDATION, "expected a CSP report object");
	if ((body = cJSON_GetObjectItemCaseSensitive(r, "csp-report")) == NULL)
		body = cJSON_GetObjectItemCaseSensitive(r, "body");
	if (!cJSON_IsObject(body))
		return mado_http_fail(rq, MADO_E_VALIDATION,
				      "expected a csp-report or body member");
	safe_field(body, "effective-directive", directive, sizeof(directive));
	if (strcmp(directive, "-") == 0)
		safe_field(body, "effectiveDirective", directive, sizeof(directive));
	safe_field(body, "blocked-uri", blocked, sizeof(blocked));
	if (strcmp(blocked, "-") == 0)
		safe_field(body, "blockedURL", blocked, sizeof(blocked));
	mado_log_warn(rq->id, "csp violation: directive=%s blocked=%s", directive, blocked);
	return mado_http_no_content(rq);
}

/* Browsers post CSP violation reports with these types, on their own (no Origin of ours). */
static const struct mado_route routes[] = {
    {.method = "GET", .pattern = "/healthz", .handler = healthz, .caller = MADO_PUBLIC},
    {.method = "GET", .pattern = "/readyz", .handler = readyz, .caller = MADO_PUBLIC},
    {.method = "GET", .pattern = "/metrics", .handler = metrics, .caller = MADO_PUBLIC},
    {.method = "GET", .pattern = "/api/v1/about", .handler = about, .caller = MADO_PUBLIC},
    {.method = "POST",
     .pattern = "/api/v1/csp-reports",
     .handler = csp_report,
     .caller = MADO_PUBLIC,
     .cross_origin = true,
     .body = MADO_BODY_JSON,
     .body_max = 16384,
     .media = "application/csp-report application/reports+json application/json",
     .rate_limited = true},
};

const struct mado_route_set http__ops_routes = MADO_ROUTE_SET("ops", routes);
