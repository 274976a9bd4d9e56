/*
 * The route table: every endpoint Mado serves, in one place. web/openapi.json documents
 * each of them, and tests/unit/test_openapi.c fails when the two drift apart.
 */
#include "mado/auth.h"
#include "mado/http.h"
#include "http_int.h"

/* Browsers post CSP violation reports with these types. */
#define CSP_REPORT_MEDIA "application/csp-report application/reports+json application/json"

static const struct mado_route routes[] = {
    {"GET", "/healthz", ops__healthz, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/readyz", ops__readyz, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/metrics", ops__metrics, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/api/v1/about", ops__about, MADO_R_PUBLIC, 0, NULL},
    {"POST", "/api/v1/csp-reports", ops__csp_report, MADO_R_PUBLIC | MADO_R_BODY | MADO_R_NO_ORIGIN,
     16384, CSP_REPORT_MEDIA},

    /* Card login (server/auth). */
    {"POST", "/api/v1/auth/challenge", auth__api_challenge, MADO_R_PUBLIC | MADO_R_SESSION, 0,
     NULL},
    /* A token may be up to 10000 characters; the validator, not the size limit, says so. */
    {"POST", "/api/v1/auth/webeid", auth__api_webeid,
     MADO_R_PUBLIC | MADO_R_SESSION | MADO_R_RAW_BODY, 16384, NULL},
    {"GET", "/api/v1/auth/tls", auth__api_tls, MADO_R_PUBLIC | MADO_R_SESSION, 0, NULL},
    {"POST", "/api/v1/auth/logout", auth__api_logout, 0, 0, NULL},
    {"GET", "/api/v1/me/session", auth__api_session, 0, 0, NULL},
    {"GET", "/api/v1/me/logins", auth__api_logins, 0, 0, NULL},
    {"GET", "/api/v1/demo/cards", auth__api_demo_cards, MADO_R_PUBLIC, 0, NULL},
    {"POST", "/api/v1/demo/cards/{name}/token", auth__api_demo_token, MADO_R_PUBLIC | MADO_R_BODY,
     1024, NULL},
};

const struct mado_route *
mado_http_routes(size_t *n)
{
	*n = MADO_NELEM(routes);
	return routes;
}
