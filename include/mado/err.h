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
	X(UNAUTHENTICATED, 401, "unauthenticated", "Authentication is required")                   \
	X(FORBIDDEN, 403, "forbidden", "Not allowed")                                              \
	X(NOT_FOUND, 404, "not-found", "No such resource")                                         \
	X(METHOD_NOT_ALLOWED, 405, "method-not-allowed", "Method not allowed on this resource")    \
	X(REQUEST_TIMEOUT, 408, "request-timeout", "The request arrived too slowly")               \
	X(CONFLICT, 409, "conflict", "The request conflicts with the current state")               \
	X(BODY_TOO_LARGE, 413, "body-too-large", "The request body is too large")                  \
	X(UNSUPPORTED_MEDIA_TYPE, 415, "unsupported-media-type", "Unsupported content type")       \
	X(VALIDATION, 422, "validation-failed", "The request has invalid fields")                  \
	X(RATE_LIMITED, 429, "rate-limited", "Too many requests")                                  \
	X(HEADERS_TOO_LARGE, 431, "headers-too-large", "The request head is too large")            \
	X(INTERNAL, 500, "internal-error", "Internal error")                                       \
	X(NOMEM, 500, "out-of-memory", "The server ran out of memory")                             \
	X(DB_UNAVAILABLE, 503, "database-unavailable", "The database is unavailable")              \
	X(SCHEMA_MISMATCH, 503, "schema-mismatch", "The database schema does not match this build")

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
