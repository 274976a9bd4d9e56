/*
 * TLS with Debian's CivetWeb 1.15 and OpenSSL 3, failing closed.
 *
 * Without libmado-tls.so (server/tls_shim) CivetWeb builds its SSL context from a half
 * loaded libssl and crashes on the first handshake, while mg_start reports success. So we
 * load the shim ourselves, insist that mg_init_library reports TLS, and after mg_start
 * complete a real handshake with our own listener before saying we are up.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <civetweb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "mado/err.h"
#include "mado/log.h"
#include "http_int.h"

#define SHIM_NAME        "libmado-tls.so"
#define SELFTEST_TIMEOUT 5

int
http__tls_prepare(char *why, size_t whylen)
{
	char exe[PATH_MAX], shim[PATH_MAX + sizeof(SHIM_NAME)];
	ssize_t n;
	char *slash;
	unsigned features;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0) {
		snprintf(why, whylen, "cannot find the mado executable's directory");
		return MADO_E_INTERNAL;
	}
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) != NULL)
		*slash = '\0';
	snprintf(shim, sizeof(shim), "%s/%s", exe, SHIM_NAME);
	/* Kept loaded for the life of the process: CivetWeb holds pointers into it. */
	if (dlopen(shim, RTLD_NOW | RTLD_LOCAL) == NULL) {
		snprintf(why, whylen, "cannot load %s (it must sit beside the executable): %s",
			 shim, dlerror());
		return MADO_E_INTERNAL;
	}
	features = mg_init_library(MG_FEATURES_TLS);
	if (!(features & MG_FEATURES_TLS)) {
		snprintf(why, whylen,
			 "CivetWeb could not initialise TLS (is libssl-dev, which "
			 "provides libssl.so and libcrypto.so, installed?)");
		return MADO_E_INTERNAL;
	}
	return MADO_OK;
}

int
mado_http_tls_prepare(char *why, size_t whylen)
{
	return http__tls_prepare(why, whylen);
}

static int
connect_to(const char *host, int port)
{
	struct addrinfo hints, *res, *ai;
	struct timeval tv = {.tv_sec = SELFTEST_TIMEOUT};
	char service[16];
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	if (getaddrinfo(host, service, &hints, &res) != 0)
		return -1;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if ((fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0)) == -1)
			continue;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* Completes a handshake with our own listener and asks /healthz; anything else fails. */
int
http__tls_selftest(const char *host, int port, char *why, size_t whylen)
{
	static const char req[] = "GET /healthz HTTP/1.1\r\nHost: selftest\r\n"
				  "Connection: close\r\n\r\n";
	char buf[64];
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd, n, rc = MADO_E_INTERNAL;

	/* A wildcard listener is reachable on loopback. */
	if (strcmp(host, "0.0.0.0") == 0)
		host = "127.0.0.1";
	else if (strcmp(host, "::") == 0)
		host = "::1";
	if ((fd = connect_to(host, port)) == -1) {
		snprintf(why, whylen, "TLS self-test: cannot connect to %s port %d: %s", host, port,
			 strerror(errno));
		return MADO_E_INTERNAL;
	}
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1 ||
	    (ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1) {
		snprintf(why, whylen, "TLS self-test: cannot set up a client");
		goto done;
	}
	/* Any certificate will do: this checks that our TLS stack works, not who we are. */
	SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	if (SSL_connect(ssl) != 1) {
		snprintf(why, whylen,
			 "TLS self-test: the handshake with our own listener failed "
			 "(%s)",
			 ERR_reason_error_string(ERR_peek_last_error()) != NULL
			     ? ERR_reason_error_string(ERR_peek_last_error())
			     : "no detail");
		goto done;
	}
	if (SSL_write(ssl, req, (int)sizeof(req) - 1) != (int)sizeof(req) - 1 ||
	    (n = SSL_read(ssl, buf, (int)sizeof(buf) - 1)) < 12) {
		snprintf(why, whylen, "TLS self-test: no answer over TLS");
		goto done;
	}
	buf[n] = '\0';
	if (strncmp(buf, "HTTP/1.1 200", 12) != 0) {
		snprintf(why, whylen, "TLS self-test: /healthz did not answer 200 over TLS");
		goto done;
	}
	mado_log_info(NULL, "tls: self-test passed with %s", SSL_get_version(ssl));
	rc = MADO_OK;
done:
	ERR_clear_error();
	if (ssl != NULL) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	SSL_CTX_free(ctx);
	close(fd);
	return rc;
}
