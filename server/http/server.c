/*
 * Starting and stopping CivetWeb. Its options are built here from our configuration, in
 * one place, with the hardened set from SECURITY.md 2.4; nothing else calls mg_start.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <civetweb.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "http_int.h"

struct mado_server {
	struct mg_context *ctx;
	struct mg_context *mtls; /* the listener that asks for card certificates */
	STACK_OF(X509_NAME) *ca_names;
	bool tls;
};

/*
 * The TLS login listener accepts any client certificate at the handshake (which still
 * proves the key), so that an expired or revoked card reaches the login handler and gets
 * its own clear answer from the same checks token login uses. CivetWeb's own peer
 * verification would drop such connections with a bare TLS alert.
 */
static int
accept_any_client_cert(int preverify_ok, X509_STORE_CTX *ctx)
{
	(void)preverify_ok;
	(void)ctx;
	return 1;
}

/* Both listeners count each client's connections (connlimit.c). */
static int
init_ssl(void *ssl_ctx, void *user_data)
{
	(void)user_data;
	http__connlimit_watch(ssl_ctx);
	return 0; /* CivetWeb goes on to load the server certificate */
}

static int
mtls_init_ssl(void *ssl_ctx, void *user_data)
{
	struct mado_server *srv = user_data;
	STACK_OF(X509_NAME) *names;

	http__connlimit_watch(ssl_ctx);
	SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_PEER, accept_any_client_cert);
	/* Tell browsers which issuers we take, so they offer the right certificate. */
	if (srv->ca_names != NULL &&
	    (names = sk_X509_NAME_deep_copy(srv->ca_names, X509_NAME_dup, X509_NAME_free)) != NULL)
		SSL_CTX_set_client_CA_list(ssl_ctx, names);
	return 0; /* CivetWeb goes on to load the server certificate */
}

static STACK_OF(X509_NAME) *
card_issuer_names(const char *trust_dir)
{
	struct mado_pki_config pc;
	struct mado_pki *pki;
	STACK_OF(X509_NAME) *names = NULL;
	char why[256], *pem;
	X509 *x;
	BIO *b;

	memset(&pc, 0, sizeof(pc));
	pc.trust_dir = trust_dir;
	if (*trust_dir == '\0' || mado_pki_new(&pc, &pki, why, sizeof(why)) != 0)
		return NULL;
	pem = mado_pki_anchors_pem(pki);
	mado_pki_free(pki);
	if (pem == NULL || (b = BIO_new_mem_buf(pem, -1)) == NULL) {
		free(pem);
		return NULL;
	}
	names = sk_X509_NAME_new_null();
	while (names != NULL && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		sk_X509_NAME_push(names, X509_NAME_dup(X509_get_subject_name(x)));
		X509_free(x);
	}
	BIO_free(b);
	free(pem);
	return names;
}

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

/* Starts one CivetWeb listener on listen; mtls asks clients for certificates. */
static struct mg_context *
start_listener(const struct mado_config *cfg, const char *listen, bool mtls,
	       struct mado_server *srv)
{
	char ports[96], threads[16], req_timeout[16], keep_alive[16], domain[256];
	struct mg_callbacks cb;
	struct mg_context *ctx;
	const char *opts[64];
	size_t n = 0;

	snprintf(ports, sizeof(ports), "%s%s", listen, cfg->tls ? "s" : "");
	/* The second listener carries the agencies' gateway as well as TLS login: as many
	   workers as the first, so a client's share (max_conns_per_client) is as small. */
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
		/* Never trust the system store for client certificates. On the TLS login
		   listener, mtls_init_ssl asks for them itself. */
		OPT("ssl_default_verify_paths", "no");
		OPT("ssl_verify_peer", "no");
	}
	opts[n] = NULL;
#undef OPT

	memset(&cb, 0, sizeof(cb));
	cb.begin_request = http__begin_request;
	cb.http_error = http__civetweb_error;
	cb.log_message = log_message;
	cb.init_ssl = mtls ? mtls_init_ssl : init_ssl;
	if ((ctx = mg_start(&cb, srv, opts)) == NULL)
		mado_log_err(NULL,
			     "cannot start the HTTP server on %s (address in use, or the TLS "
			     "certificate %s unreadable?)",
			     listen, cfg->tls ? cfg->tls_cert : "-");
	return ctx;
}

/* Proves that a listener really speaks TLS before we say we are up. */
static int
selftest(const char *listen)
{
	char host[64], why[512];
	int port;

	split_host_port(listen, host, sizeof(host), &port);
	if (http__tls_selftest(host, port, why, sizeof(why)) != MADO_OK) {
		mado_log_err(NULL, "%s", why);
		return -1;
	}
	return 0;
}

int
mado_server_start(const struct mado_config *cfg, const struct mado_migrations *schema,
		  struct mado_server **out)
{
	struct mado_server *srv;
	char why[512];
	int rc;

	*out = NULL;
	if ((rc = http__response_init(cfg)) != MADO_OK ||
	    (rc = http__router_init(cfg)) != MADO_OK || (rc = http__connlimit_init(cfg)) != MADO_OK)
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
	srv = mado_xcalloc(1, sizeof(*srv));
	srv->tls = cfg->tls;
	rc = MADO_E_INTERNAL;
	if ((srv->ctx = start_listener(cfg, cfg->listen, false, srv)) == NULL ||
	    (cfg->tls && selftest(cfg->listen) != 0)) {
		mado_server_stop(srv);
		return rc;
	}
	if (*cfg->mtls_listen != '\0') {
		srv->ca_names = card_issuer_names(cfg->card_trust_dir);
		if ((srv->mtls = start_listener(cfg, cfg->mtls_listen, true, srv)) == NULL ||
		    selftest(cfg->mtls_listen) != 0) {
			mado_server_stop(srv);
			return rc;
		}
		mado_log_info(NULL, "TLS login (client certificates) on https://%s",
			      cfg->mtls_listen);
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
	if (srv->mtls != NULL)
		mg_stop(srv->mtls);
	if (srv->ctx != NULL)
		mg_stop(srv->ctx);
	sk_X509_NAME_pop_free(srv->ca_names, X509_NAME_free);
	if (srv->tls)
		mg_exit_library();
	free(srv);
	http__static_free();
	http__router_free();
}
