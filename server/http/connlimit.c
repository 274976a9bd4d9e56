/*
 * How many connections one client may hold at once.
 *
 * CivetWeb 1.15 gives each connection a worker thread for as long as it lasts, so a
 * client that opens hundreds of connections and sends nothing, or a header a byte at a
 * time, would hold every worker (slowloris). Each TLS connection is counted against its
 * client from the first moment of its handshake, before a byte is read; one over the
 * limit has its socket shut at once, and its worker is free again within microseconds.
 * Counting rides on OpenSSL's hooks (the info callback at handshake start, the ex_data
 * free callback when CivetWeb frees the connection), so no CivetWeb internals are used.
 *
 * A client is keyed as every per-client limit keys it (client.c: an IPv4 address or an
 * IPv6 /64); a trusted proxy's connections are not counted. Counts live in a fixed table
 * of buckets chosen by a keyed hash: two clients may share a bucket only by chance, never
 * by an attacker's choice of address, and memory never grows.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <openssl/ssl.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/util.h"
#include "http_int.h"

#define BUCKETS (1u << 16)

static struct {
	int limit; /* 0: no limit */
	int ex_index;
	uint64_t key[2];
	atomic_int count[BUCKETS];
	atomic_long refused;
} clients = {.ex_index = -1};

/* A keyed FNV-1a over the client's key, finished by a multiply-xorshift: buckets an
   attacker cannot aim at without the key. */
static uint64_t
keyed_hash(const char *s)
{
	uint64_t h = clients.key[0];

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	h ^= clients.key[1];
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

/* The bucket of the socket's peer; -1 when it has none we can read, or is a trusted
   proxy (which carries many clients, each limited by the proxy itself). */
static long
peer_bucket(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	char text[INET6_ADDRSTRLEN], key[INET6_ADDRSTRLEN + 4];
	const void *a;

	if (fd < 0 || getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return -1;
	if (ss.ss_family == AF_INET)
		a = &((const struct sockaddr_in *)&ss)->sin_addr;
	else if (ss.ss_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)&ss)->sin6_addr;
	else
		return -1;
	if (inet_ntop(ss.ss_family, a, text, sizeof(text)) == NULL || http__client_trusted(text))
		return -1;
	/* The same key as every per-client limit: an IPv4 address, or an IPv6 /64. */
	(void)mado_http_addr_key(text, key, sizeof(key));
	return (long)(keyed_hash(key) % BUCKETS);
}

/* OpenSSL frees a connection's slot: the connection has ended. */
static void
slot_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx, long argl, void *argp)
{
	(void)parent;
	(void)ad;
	(void)idx;
	(void)argl;
	(void)argp;
	if (ptr != NULL)
		atomic_fetch_sub(&clients.count[(uintptr_t)ptr - 1], 1);
}

static void
on_handshake(const SSL *cssl, int where, int ret)
{
	/* OpenSSL hands the callback a const pointer to a connection it lets us annotate. */
	SSL *ssl = (SSL *)(uintptr_t)cssl;
	long b;
	int fd;

	(void)ret;
	if (!(where & SSL_CB_HANDSHAKE_START) || SSL_get_ex_data(ssl, clients.ex_index) != NULL)
		return; /* counted once, at the first handshake */
	fd = SSL_get_fd(ssl);
	if ((b = peer_bucket(fd)) < 0)
		return;
	if (SSL_set_ex_data(ssl, clients.ex_index, (void *)(uintptr_t)(b + 1)) != 1)
		return;
	if (atomic_fetch_add(&clients.count[b], 1) + 1 > clients.limit) {
		/* Reads now see the end of the stream: the handshake fails and CivetWeb closes
		   the connection, which frees the slot. */
		shutdown(fd, SHUT_RDWR);
		if (atomic_fetch_add(&clients.refused, 1) % 1000 == 0)
			mado_log_warn(NULL,
				      "a client reached max_conns_per_client (%d); its further "
				      "connections are closed at once",
				      clients.limit);
	}
}

int
http__connlimit_init(const struct mado_config *cfg)
{
	clients.limit = cfg->max_conns_per_client;
	for (size_t i = 0; i < BUCKETS; i++)
		atomic_store(&clients.count[i], 0);
	if (clients.limit == 0)
		return MADO_OK;
	if (mado_random(clients.key, sizeof(clients.key)) != 0)
		return MADO_E_INTERNAL;
	if (clients.ex_index < 0 &&
	    (clients.ex_index = SSL_get_ex_new_index(0, NULL, NULL, NULL, slot_free)) < 0)
		return MADO_E_INTERNAL;
	return MADO_OK;
}

void
http__connlimit_watch(void *ssl_ctx)
{
	if (clients.limit > 0)
		SSL_CTX_set_info_callback(ssl_ctx, on_handshake);
}

long
http__connlimit_refused(void)
{
	return atomic_load(&clients.refused);
}
