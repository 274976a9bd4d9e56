/*
 * Every error Mado can report, with its HTTP status and its stable RFC 9457 problem type.
 * The list is the catalogue: the enum, the status mapping, the problem types and the
 * OpenAPI document's enum all come from it (tests/unit/test_openapi.c keeps them in step).
 */
#ifndef MADO_ERR_H
#define MADO_ERR_H

/*	  name			status	type slug			title */
#define MADO_ERRORS(X)                                                                             \
	X(OK, 200, "ok", "OK")                                                                     \
	X(BAD_REQUEST, 400, "bad-request", "The request is not well formed")                       \
	X(MALFORMED_JSON, 400, "malformed-json", "The request body is not valid JSON")             \
	X(INVALID_BODY, 400, "invalid-body",                                                       \
	  "The request body does not have the shape this endpoint takes")                          \
	X(AUTH_TOKEN_MALFORMED, 400, "auth-token-malformed",                                       \
	  "The authentication token is malformed")                                                 \
	X(UNAUTHENTICATED, 401, "unauthenticated", "Authentication is required")                   \
	X(SESSION_EXPIRED, 401, "session-expired", "The session has ended; log in again")          \
	X(CHALLENGE_MISSING, 401, "challenge-missing", "No login challenge for this browser")      \
	X(CHALLENGE_EXPIRED, 401, "challenge-expired", "The login challenge has expired")          \
	X(SIGNATURE_INVALID, 401, "signature-invalid",                                             \
	  "The card's signature does not match this site and challenge")                           \
	X(CLIENT_CERT_MISSING, 401, "client-certificate-missing",                                  \
	  "No card certificate was presented")                                                     \
	X(CARD_NOT_YET_VALID, 401, "card-not-yet-valid",                                           \
	  "The card's certificate is not valid yet")                                               \
	X(CARD_EXPIRED, 401, "card-expired", "The card's certificate has expired")                 \
	X(CARD_WRONG_PURPOSE, 401, "card-wrong-purpose",                                           \
	  "This certificate is not a card authentication certificate")                             \
	X(CARD_NOT_TRUSTED, 401, "card-not-trusted",                                               \
	  "The card was not issued by a trusted issuer")                                           \
	X(CARD_REVOKED, 401, "card-revoked", "The card's certificate has been revoked")            \
	X(CARD_STATUS_UNKNOWN, 401, "card-status-unknown",                                         \
	  "The card issuer does not know this card")                                               \
	X(CARD_NOT_REGISTERED, 401, "card-not-registered",                                         \
	  "This card is not registered with Mado")                                                 \
	X(CARD_KEY_CONFLICT, 401, "card-key-conflict",                                             \
	  "This card's key belongs to another person")                                             \
	X(GRANT_INVALID, 401, "grant-invalid", "The code or grant is unknown, used or expired")    \
	X(PASSKEY_REFUSED, 401, "passkey-refused",                                                 \
	  "The passkey's answer does not verify for this site and challenge")                      \
	X(FORBIDDEN, 403, "forbidden", "Not allowed")                                              \
	X(ACCOUNT_DISABLED, 403, "account-disabled",                                               \
	  "The portal's operator has disabled this account")                                       \
	X(CONSENT_REFUSED, 403, "consent-refused",                                                 \
	  "No consent allows this now; the attempt is in the person's log")                        \
	X(OWN_SESSION_ONLY, 403, "own-session-only",                                               \
	  "Only the person, in their own session, can do this")                                    \
	X(ORG_CERT_UNKNOWN, 403, "organisation-certificate-unknown",                               \
	  "The client certificate belongs to no registered organisation")                          \
	X(STAFF_CERT_UNKNOWN, 403, "staff-certificate-unknown",                                    \
	  "The certificate belongs to no staff member of a support desk")                          \
	X(NO_LEGAL_BASIS, 403, "no-legal-basis",                                                   \
	  "No legal basis covers this request; the refusal is in the person's log")                \
	X(ITEMS_FROZEN, 403, "items-frozen",                                                       \
	  "The person disputes these items; they are frozen until the source re-verifies them")    \
	X(UNKNOWN_PERSON, 404, "unknown-person",                                                   \
	  "No person has this pseudonym for your organisation")                                    \
	X(TWO_PERSON_RULE, 403, "two-person-rule",                                                 \
	  "A register change is approved by another person, with another certificate")             \
	X(CARD_REQUIRED, 403, "card-required",                                                     \
	  "This needs your card in this session; confirm with your card first")                    \
	X(CSRF_REJECTED, 403, "csrf-rejected", "The request did not come from this site's pages")  \
	X(NOT_FOUND, 404, "not-found", "No such resource")                                         \
	X(METHOD_NOT_ALLOWED, 405, "method-not-allowed", "Method not allowed on this resource")    \
	X(REQUEST_TIMEOUT, 408, "request-timeout", "The request arrived too slowly")               \
	X(CONFLICT, 409, "conflict", "The request conflicts with the current state")               \
	X(VISIT_ENDED, 409, "visit-ended", "The desk visit has ended; start a new one")            \
	X(PROOF_PENDING, 409, "proof-pending",                                                     \
	  "The record is not in a published checkpoint yet; ask again in a few seconds")           \
	X(BODY_TOO_LARGE, 413, "body-too-large", "The request body is too large")                  \
	X(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported-media-type", "Unsupported content type")       \
	X(VALIDATION, 422, "validation-failed", "The request has invalid fields")                  \
	X(OUTSIDE_REGISTRATION, 422, "outside-registration",                                       \
	  "The request asks for more than the service is registered for")                          \
	X(SENSITIVE_ITEM, 422, "sensitive-item",                                                   \
	  "Sensitive items are never registered for a private service")                            \
	X(RATE_LIMITED, 429, "rate-limited", "Too many requests")                                  \
	X(HEADERS_TOO_LARGE, 431, "headers-too-large", "The request head is too large")            \
	X(INTERNAL, 500, "internal-error", "Internal error")                                       \
	X(DB_UNAVAILABLE, 503, "database-unavailable", "The database is unavailable")              \
	X(REVOCATION_CHECK_FAILED, 503, "revocation-check-failed",                                 \
	  "The card's revocation status cannot be checked now")                                    \
	X(ACCESS_RECORD_FAILED, 503, "access-record-failed",                                       \
	  "The access record could not be written, so no data was returned")                       \
	X(RECEIPTS_UNAVAILABLE, 503, "receipts-unavailable",                                       \
	  "Consent receipts cannot be signed now")                                                 \
	X(GATEWAY_UNAVAILABLE, 503, "gateway-unavailable", "The agency gateway is not configured") \
	X(HOLDER_UNAVAILABLE, 503, "holder-unavailable",                                           \
	  "The organisation that holds the data did not answer; the attempt is recorded")          \
	X(CARD_LOGIN_UNAVAILABLE, 503, "card-login-unavailable", "Card login is not configured")   \
	X(SCHEMA_MISMATCH, 503, "schema-mismatch",                                                 \
	  "The database schema does not match this build")                                         \
	X(CLOCK_SKEW, 503, "clock-skew", "This server's clock and the database's disagree")

enum mado_err {
#define MADO_ERR_ENUM(name, status, slug, title) MADO_E_##name,
	MADO_ERRORS(MADO_ERR_ENUM)
#undef MADO_ERR_ENUM
	    MADO_E__COUNT
};

#define MADO_OK MADO_E_OK

/* HTTP status for an error (500 for values outside the catalogue). */
int mado_err_status(int err);
/* Stable problem type slug, e.g. "malformed-json". Static storage. */
const char *mado_err_slug(int err);
/* Short human title in English. Static storage. */
const char *mado_err_title(int err);

/* Problem types are URNs: stable names, never dereferenced (RFC 9457 3.1.1). */
#define MADO_PROBLEM_TYPE_PREFIX "urn:mado:problem:"

#endif
