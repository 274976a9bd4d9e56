/* Login decisions without I/O: error mapping, tokens, keys, origin checks. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mado/auth.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "mado/util.h"
#include "auth_int.h"

int
mado_auth_err_for(enum mado_pki_reason r)
{
	switch (r) {
	case MADO_PKI_PASS: return MADO_OK;
	case MADO_PKI_TOKEN_LENGTH:
	case MADO_PKI_PARSE:
	case MADO_PKI_UNSUPPORTED_FORMAT:
	case MADO_PKI_MISSING_CERTIFICATE:
	case MADO_PKI_CERTIFICATE_DECODING:
	case MADO_PKI_MISSING_ALGORITHM:
	case MADO_PKI_UNSUPPORTED_ALGORITHM: return MADO_E_AUTH_TOKEN_MALFORMED;
	case MADO_PKI_MISSING_KEY_USAGE:
	case MADO_PKI_WRONG_PURPOSE:
	case MADO_PKI_DISALLOWED_POLICY:
	case MADO_PKI_MISSING_POLICY:
	case MADO_PKI_WEAK_KEY: return MADO_E_CARD_WRONG_PURPOSE;
	case MADO_PKI_USER_CERT_NOT_YET_VALID: return MADO_E_CARD_NOT_YET_VALID;
	case MADO_PKI_USER_CERT_EXPIRED: return MADO_E_CARD_EXPIRED;
	case MADO_PKI_NOT_TRUSTED: return MADO_E_CARD_NOT_TRUSTED;
	case MADO_PKI_SIGNATURE: return MADO_E_SIGNATURE_INVALID;
	case MADO_PKI_REVOKED: return MADO_E_CARD_REVOKED;
	case MADO_PKI_REVOCATION_UNKNOWN: return MADO_E_CARD_STATUS_UNKNOWN;
	case MADO_PKI_OCSP_UNAVAILABLE:
	case MADO_PKI_OCSP_INVALID:
	case MADO_PKI_RESPONSE_COUNT:
	case MADO_PKI_NONCE_MISMATCH:
	case MADO_PKI_RESPONDER_NOT_TRUSTED:
	case MADO_PKI_RESPONDER_CERT_EXPIRED:
	case MADO_PKI_RESPONDER_SIGNATURE:
	case MADO_PKI_OCSP_STALE:
	case MADO_PKI_CRL_UNAVAILABLE: return MADO_E_REVOCATION_CHECK_FAILED;
	case MADO_PKI_INTERNAL:
	case MADO_PKI__COUNT: break;
	}
	return MADO_E_INTERNAL;
}

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
auth__session_key(const char *cookie, char out[68])
{
	char hex[65];

	mado_sha256_hex(cookie, strlen(cookie), hex);
	snprintf(out, 68, "\\x%s", hex);
}

void
auth__limit_key(const char *what, char out[65])
{
	mado_sha256_hex(what, strlen(what), out);
}

bool
auth__is_state_changing(const char *method)
{
	return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0 &&
	       strcmp(method, "OPTIONS") != 0;
}

bool
auth__same_origin(const char *origin, const char *referer, const char *own)
{
	size_t n = strlen(own);

	if (origin != NULL)
		return strcmp(origin, own) == 0;
	/* Without Origin, a Referer of one of our own pages will do; neither: refuse. */
	return referer != NULL && strncmp(referer, own, n) == 0 && referer[n] == '/';
}
