/*
 * The route table: every endpoint Mado serves, in one place. web/openapi.json documents
 * each of them, and tests/unit/test_openapi.c fails when the two drift apart.
 */
#include "mado/http.h"
#include "http_int.h"

/* Browsers post CSP violation reports with these types. */
#define CSP_REPORT_MEDIA "application/csp-report application/reports+json application/json"

static const struct mado_route routes[] = {
    {"GET", "/healthz", ops__healthz, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/readyz", ops__readyz, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/metrics", ops__metrics, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/api/v1/about", ops__about, MADO_R_PUBLIC, 0, NULL},
    {"POST", "/api/v1/csp-reports", ops__csp_report, MADO_R_PUBLIC | MADO_R_BODY, 16384,
     CSP_REPORT_MEDIA},
};

const struct mado_route *
mado_http_routes(size_t *n)
{
	*n = MADO_NELEM(routes);
	return routes;
}
