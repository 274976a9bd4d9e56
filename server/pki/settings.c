/*
 * What the rest of Mado needs to say about certificate checks: the settings for cards and
 * for organisations, taken from the configuration in one place, and the error each finding
 * is reported as.
 */
#include <string.h>

#include "mado/config.h"
#include "mado/err.h"
#include "mado/pki.h"

static enum mado_revocation
revocation(const char *mode)
{
	if (strcmp(mode, "crl") == 0)
		return MADO_REVOCATION_CRL;
	if (strcmp(mode, "off") == 0)
		return MADO_REVOCATION_OFF;
	return MADO_REVOCATION_OCSP;
}

void
mado_pki_config_from(const struct mado_config *cfg, enum mado_pki_for who,
		     struct mado_pki_config *pc)
{
	memset(pc, 0, sizeof(*pc));
	pc->trust_dir = cfg->card_trust_dir;
	pc->policies_disallowed = cfg->card_policies_disallowed;
	pc->policies_required = cfg->card_policies_required;
	pc->revocation = revocation(cfg->card_revocation);
	pc->ocsp_url = cfg->card_ocsp_url;
	pc->ocsp_responder = cfg->card_ocsp_responder;
	pc->ocsp_nonce = cfg->card_ocsp_nonce;
	pc->ocsp_timeout_ms = cfg->card_ocsp_timeout_ms;
	pc->ocsp_cache_max_s = cfg->card_ocsp_cache_max_s;
	pc->ocsp_fail_cache_s = cfg->card_ocsp_fail_cache_s;
	pc->ocsp_max_age_s = cfg->card_ocsp_max_age_s;
	pc->clock_skew_s = cfg->card_clock_skew_s;
	pc->crl = cfg->card_crl;
	pc->crl_refresh_s = cfg->card_crl_refresh_s;
	if (who == MADO_PKI_ORGS) {
		/* The card settings carry the OCSP and CRL tuning; the anchors and the mode
		   are the organisations' own, and no card policy applies to them. */
		pc->trust_dir = cfg->org_trust_dir;
		pc->policies_disallowed = "";
		pc->policies_required = "";
		pc->ocsp_url = "";
		pc->ocsp_responder = "";
		pc->revocation = revocation(cfg->org_revocation);
	}
}

int
mado_pki_err(enum mado_pki_reason r)
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
