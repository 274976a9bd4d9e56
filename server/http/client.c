/*
 * Who the client is, for every limit and address check: the TCP peer's address, or, when
 * the peer is one of trusted_proxies, the last address in X-Forwarded-For that is not a
 * trusted proxy (the one the nearest untrusted hop cannot forge). And the key a limit
 * counts a client under: an IPv4 address, or an IPv6 address's /64, since one subscriber
 * is given a whole /64 and can rotate within it at will.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <civetweb.h>

#include "mado/err.h"
#include "mado/http.h"
#include "mado/util.h"
#include "http_int.h"

struct net {
	int family; /* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int bits;
};

static struct {
	struct net *nets;
	size_t n;
} trusted;

/* An address, IPv4-mapped IPv6 read as IPv4. */
static bool
parse_addr(const char *s, size_t len, struct net *out)
{
	char buf[64];

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		out->bits = 32;
		return true;
	}
	if (inet_pton(AF_INET6, buf, out->addr) != 1)
		return false;
	out->family = AF_INET6;
	out->bits = 128;
	if (IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)(const void *)out->addr)) {
		memmove(out->addr, out->addr + 12, 4);
		memset(out->addr + 4, 0, 12);
		out->family = AF_INET;
		out->bits = 32;
	}
	return true;
}

/* "addr" or "addr/bits". */
static bool
parse_net(const char *s, size_t len, struct net *out)
{
	const char *slash = memchr(s, '/', len);
	long long bits;
	char b[8];
	size_t bl;

	if (!parse_addr(s, slash != NULL ? (size_t)(slash - s) : len, out))
		return false;
	if (slash == NULL)
		return true;
	bl = len - (size_t)(slash - s) - 1;
	if (bl == 0 || bl >= sizeof(b))
		return false;
	memcpy(b, slash + 1, bl);
	b[bl] = '\0';
	if (!mado_parse_int(b, 0, out->bits, &bits))
		return false;
	out->bits = (int)bits;
	return true;
}

static bool
net_contains(const struct net *net, const struct net *a)
{
	int full = net->bits / 8, rest = net->bits % 8;
	unsigned char mask;

	if (net->family != a->family || memcmp(net->addr, a->addr, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (unsigned char)(0xff << (8 - rest));
	return (net->addr[full] & mask) == (a->addr[full] & mask);
}

/* The next item of a comma-separated list at *s, spaces trimmed (n bytes); NULL at the
   end. */
static const char *
next_item(const char **s, size_t *n)
{
	const char *item = *s, *end;

	if (*item == '\0')
		return NULL;
	while (*item == ' ')
		item++;
	end = item + strcspn(item, ",");
	*n = (size_t)(end - item);
	while (*n > 0 && item[*n - 1] == ' ')
		(*n)--;
	*s = *end == ',' ? end + 1 : end;
	return item;
}

static bool
is_trusted(const char *s, size_t len)
{
	struct net a;
	size_t i;

	if (trusted.n == 0 || !parse_addr(s, len, &a))
		return false;
	for (i = 0; i < trusted.n; i++)
		if (net_contains(&trusted.nets[i], &a))
			return true;
	return false;
}

bool
http__client_trusted(const char *addr)
{
	return is_trusted(addr, strlen(addr));
}

int
http__client_init(const char *list)
{
	const char *s = list, *item;
	size_t n;

	http__client_free();
	while (s != NULL && (item = next_item(&s, &n)) != NULL) {
		trusted.nets = mado_xrealloc(trusted.nets, (trusted.n + 1) * sizeof(*trusted.nets));
		if (!parse_net(item, n, &trusted.nets[trusted.n])) {
			http__client_free();
			return MADO_E_INTERNAL;
		}
		trusted.n++;
	}
	return MADO_OK;
}

void
http__client_free(void)
{
	free(trusted.nets);
	trusted.nets = NULL;
	trusted.n = 0;
}

void
http__client_resolve(const char *peer, const char *const *xff, size_t nxff, char *out, size_t len)
{
	const char *h, *e, *s;
	size_t i, n;

	n = strnlen(peer, len - 1); /* not snprintf: this runs on every request */
	memcpy(out, peer, n);
	out[n] = '\0';
	if (!is_trusted(peer, strlen(peer)))
		return; /* anyone may send the header: only a trusted proxy's counts */
	/* From the nearest hop back: the first address that is not a trusted proxy. */
	for (i = nxff; i-- > 0;) {
		h = xff[i];
		e = h + strlen(h);
		while (e > h) {
			s = e;
			while (s > h && s[-1] != ',')
				s--;
			n = (size_t)(e - s);
			e = s > h ? s - 1 : h;
			while (n > 0 && (*s == ' ' || *s == '\t')) {
				s++;
				n--;
			}
			while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
				n--;
			if (is_trusted(s, n))
				continue;
			/* What a trusted proxy wrote must be an address; anything else and
			   the proxy itself stands for the client. */
			if (n > 0 && n < len && parse_addr(s, n, &(struct net){0})) {
				memcpy(out, s, n);
				out[n] = '\0';
			}
			return;
		}
	}
}

bool
mado_http_addr_key(const char *addr, char *out, size_t len)
{
	struct net a;
	char text[INET6_ADDRSTRLEN];

	if (!parse_addr(addr, strlen(addr), &a)) {
		snprintf(out, len, "%s", addr);
		return false;
	}
	if (a.family == AF_INET) {
		inet_ntop(AF_INET, a.addr, text, sizeof(text));
		snprintf(out, len, "%s", text);
		return true;
	}
	memset(a.addr + 8, 0, 8);
	inet_ntop(AF_INET6, a.addr, text, sizeof(text));
	snprintf(out, len, "%s/64", text);
	return true;
}

void
http__client_of(struct mado_req *rq)
{
	const char *xff[8];
	size_t n = 0;
	int i;

	if (rq->ri == NULL || rq->ri->remote_addr[0] == '\0') {
		rq->client[0] = '\0';
		return;
	}
	for (i = 0; i < rq->ri->num_headers; i++) {
		if (strcasecmp(rq->ri->http_headers[i].name, "X-Forwarded-For") != 0)
			continue;
		if (n == MADO_NELEM(xff)) {
			n = 0; /* more hops than any real chain: the peer stands for them */
			break;
		}
		xff[n++] = rq->ri->http_headers[i].value;
	}
	http__client_resolve(rq->ri->remote_addr, xff, n, rq->client, sizeof(rq->client));
}

const char *
mado_http_client_addr(const struct mado_req *rq)
{
	return rq->client;
}

bool
mado_http_client_from(const struct mado_req *rq, const char *list)
{
	struct net a, net;
	const char *s = list, *item;
	size_t n;

	if (strcmp(list, "*") == 0)
		return true;
	if (!parse_addr(rq->client, strlen(rq->client), &a))
		return false;
	while ((item = next_item(&s, &n)) != NULL)
		if (parse_net(item, n, &net) && net_contains(&net, &a))
			return true;
	return false;
}

void
mado_http_client_key(const struct mado_req *rq, char *out, size_t len)
{
	(void)mado_http_addr_key(rq->client, out, len);
}
