/*
 * Login decisions without I/O: tokens, counter keys, and what a login attempt comes to.
 * The rules of login live here in C (the database only stores sessions, bindings and
 * counters); tests/unit/data/auth_login.tsv drives them case by case.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "mado/err.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "auth_int.h"

int
auth__token(char *out, size_t outlen, size_t raw)
{
	unsigned char buf[64];

	if (raw > sizeof(buf) || outlen < (raw * 4 + 2) / 3 + 1 || mado_random(buf, raw) != 0)
		return MADO_E_INTERNAL;
	mado_b64url(buf, raw, out);
	return MADO_OK;
}

void
auth__limit_key(const char *what, char out[65])
{
	mado_sha256_hex(what, strlen(what), out);
}

int
auth__login_decision(enum mado_pki_reason reason, bool bound, bool key_elsewhere, bool revoked)
{
	if (reason != MADO_PKI_PASS)
		return mado_pki_err(reason);
	if (!bound)
		return MADO_E_CARD_NOT_REGISTERED;
	/* A key bound to someone else is refused before anything else about the binding:
	   one key, one person. */
	if (key_elsewhere)
		return MADO_E_CARD_KEY_CONFLICT;
	if (revoked)
		return MADO_E_CARD_REVOKED;
	return MADO_OK;
}

bool
auth__card_known(const struct mado_card_id *card)
{
	return card->issuer_key[0] != '\0' && card->serial[0] != '\0';
}

bool
auth__card_limited(enum mado_pki_reason reason, int failures, int max)
{
	return reason != MADO_PKI_PASS && failures > max;
}

void
auth__coarse_net(const char *addr, char *out, size_t len)
{
	unsigned char a[16];
	char buf[INET6_ADDRSTRLEN];

	*out = '\0';
	/* An IPv4 client on a dual-stack socket is an IPv4 client. */
	if (strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.') != NULL)
		addr += 7;
	if (inet_pton(AF_INET, addr, a) == 1) {
		a[3] = 0;
		if (inet_ntop(AF_INET, a, buf, sizeof(buf)) != NULL)
			snprintf(out, len, "%s/24", buf);
	} else if (inet_pton(AF_INET6, addr, a) == 1) {
		memset(a + 6, 0, 10);
		if (inet_ntop(AF_INET6, a, buf, sizeof(buf)) != NULL)
			snprintf(out, len, "%s/48", buf);
	}
}
