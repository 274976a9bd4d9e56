/*
 * Starting and stopping CivetWeb. Its options are built here from our configuration, in
 * one place, with the hardened set from SECURITY.md 2.4; nothing else calls mg_start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "http_int.h"

struct mado_server {
	struct mg_context *ctx;
	bool tls;
};

static int
log_message(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	/* CivetWeb's messages name sockets and files, not people; keep them as warnings. */
	mado_log_warn(NULL, "civetweb: %s", message);
	return 1;
}

/* "127.0.0.1:8443" -> host "127.0.0.1", port 8443; "[::1]:8443" -> "::1", 8443. */
static void
split_host_port(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	size_t n = (size_t)(colon - listen);

	if (listen[0] == '[') {
		listen++;
		n -= 2;
	}
	if (n >= hostlen)
		n = hostlen - 1;
	memcpy(host, listen, n);
	host[n] = '\0';
	*port = atoi(colon + 1);
}

/* The host part of public_origin, for CivetWeb's authentication domain. */
static void
origin_host(const char *origin, char *out, size_t outlen)
{
	const char *h = strstr(origin, "://");

	h = h != NULL ? h + 3 : origin;
	snprintf(out, outlen, "%.*s", (int)strcspn(h, ":/"), h);
}

int
mado_server_start(const struct mado_config *cfg, const struct mado_migrations *schema,
		  struct mado_server **out)
{
	char ports[96], threads[16], req_timeout[16], keep_alive[16], domain[256];
	char host[64], why[512];
	struct mg_callbacks cb;
	struct mado_server *srv;
	int port, rc;
	const char *opts[64];
	size_t n = 0;

	*out = NULL;
	if ((rc = http__response_init(cfg)) != MADO_OK || (rc = http__router_init(cfg)) != MADO_OK)
		return rc;
	http__ops_init(cfg, schema);
	if ((rc = http__static_load(cfg->web_root)) != MADO_OK) {
		mado_log_err(NULL, "cannot load the front end from %s (web_root)", cfg->web_root);
		goto fail;
	}
	if (cfg->tls && (rc = http__tls_prepare(why, sizeof(why))) != MADO_OK) {
		mado_log_err(NULL, "%s", why);
		goto fail;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		rc = MADO_E_NOMEM;
		goto fail;
	}
	srv->tls = cfg->tls;

	snprintf(ports, sizeof(ports), "%s%s", cfg->listen, cfg->tls ? "s" : "");
	snprintf(threads, sizeof(threads), "%d", cfg->threads);
	snprintf(req_timeout, sizeof(req_timeout), "%d", cfg->request_timeout_ms);
	snprintf(keep_alive, sizeof(keep_alive), "%d", cfg->keep_alive_ms);
	origin_host(cfg->public_origin, domain, sizeof(domain));

#define OPT(k, v)                                                                                  \
	do {                                                                                       \
		opts[n++] = (k);                                                                   \
		opts[n++] = (v);                                                                   \
	} while (0)
	OPT("listening_ports", ports);
	OPT("num_threads", threads);
	OPT("tcp_nodelay", "1"); /* with Nagle on, each response waits ~40 ms for an ACK */
	OPT("enable_keep_alive", "yes");
	OPT("keep_alive_timeout_ms", keep_alive);
	OPT("request_timeout_ms", req_timeout);
	OPT("max_request_size", "16384");
	OPT("decode_url", "no"); /* the router decodes once, and sees what was encoded */
	/* No files, listings, CGI or SSI from CivetWeb: the router serves web/ itself. */
	OPT("enable_directory_listing", "no");
	OPT("cgi_pattern", "");
	OPT("ssi_pattern", "");
	/* CivetWeb answers CORS preflights with "*" unless these are empty. */
	OPT("access_control_allow_origin", "");
	OPT("access_control_allow_methods", "");
	OPT("access_control_allow_headers", "");
	OPT("authentication_domain", domain);
	OPT("enable_auth_domain_check", "yes");
	if (cfg->tls) {
		OPT("ssl_certificate", cfg->tls_cert);
		OPT("ssl_protocol_version", "4"); /* TLS 1.2 and 1.3 only */
		OPT("ssl_cipher_list", "ECDHE+AESGCM:ECDHE+CHACHA20:!aNULL");
		/* Never trust the system store for client certificates. */
		OPT("ssl_default_verify_paths", "no");
		OPT("ssl_verify_peer", "no");
	}
	opts[n] = NULL;
#undef OPT

	memset(&cb, 0, sizeof(cb));
	cb.begin_request = http__begin_request;
	cb.http_error = http__civetweb_error;
	cb.log_message = log_message;

	if ((srv->ctx = mg_start(&cb, NULL, opts)) == NULL) {
		mado_log_err(NULL,
			     "cannot start the HTTP server on %s (address in use, or the TLS "
			     "certificate %s unreadable?)",
			     cfg->listen, cfg->tls ? cfg->tls_cert : "-");
		free(srv);
		rc = MADO_E_INTERNAL;
		goto fail;
	}
	if (cfg->tls) {
		split_host_port(cfg->listen, host, sizeof(host), &port);
		if ((rc = http__tls_selftest(host, port, why, sizeof(why))) != MADO_OK) {
			mado_log_err(NULL, "%s", why);
			mado_server_stop(srv);
			return rc;
		}
	}
	mado_log_info(NULL, "serving %s://%s (%d threads)", cfg->tls ? "https" : "http",
		      cfg->listen, cfg->threads);
	*out = srv;
	return MADO_OK;
fail:
	http__static_free();
	http__router_free();
	return rc;
}

void
mado_server_stop(struct mado_server *srv)
{
	if (srv == NULL)
		return;
	mg_stop(srv->ctx);
	if (srv->tls)
		mg_exit_library();
	free(srv);
	http__static_free();
	http__router_free();
}
