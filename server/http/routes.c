/*
 * The route table: every endpoint Mado serves, in one place. web/openapi.json documents
 * each of them, and tests/unit/test_openapi.c fails when the two drift apart.
 */
#include "mado/access.h"
#include "mado/auth.h"
#include "mado/consent.h"
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

    /* Access transparency: the person's views (server/access/person_api.c). Literal
       paths come before {id}. */
    {"GET", "/api/v1/me/access-log", access__api_log, 0, 0, NULL},
    {"GET", "/api/v1/me/access-log/summary", access__api_log_summary, 0, 0, NULL},
    {"GET", "/api/v1/me/access-log/export", access__api_log_export, 0, 0, NULL},
    {"GET", "/api/v1/me/access-log/{id}", access__api_log_entry, 0, 0, NULL},
    {"POST", "/api/v1/me/access-log/{id}/disputes", access__api_dispute_open, MADO_R_BODY, 4096,
     NULL},
    {"GET", "/api/v1/me/disputes", access__api_disputes, 0, 0, NULL},
    {"GET", "/api/v1/me/alerts", access__api_alerts_get, 0, 0, NULL},
    {"PUT", "/api/v1/me/alerts", access__api_alerts_put, MADO_R_BODY, 1024, NULL},
    {"GET", "/api/v1/me/notices", access__api_notices, 0, 0, NULL},
    {"POST", "/api/v1/me/notices/{id}/read", access__api_notice_read, 0, 0, NULL},
    /* Consent: the person's controls (server/consent/consent_api.c). */
    {"GET", "/api/v1/consent-requests/{id}", consent__api_request_get, 0, 0, NULL},
    {"POST", "/api/v1/me/consent-requests/{id}/decision", consent__api_request_decide, MADO_R_BODY,
     4096, NULL},
    {"GET", "/api/v1/me/consents", consent__api_list, 0, 0, NULL},
    {"POST", "/api/v1/me/consents/push", consent__api_push_give, MADO_R_BODY, 1024, NULL},
    {"GET", "/api/v1/me/consents/{id}", consent__api_get, 0, 0, NULL},
    {"GET", "/api/v1/me/consents/{id}/receipt", consent__api_receipt, 0, 0, NULL},
    {"GET", "/api/v1/consent-receipt-key", consent__api_receipt_key, MADO_R_PUBLIC, 0, NULL},
    {"POST", "/api/v1/me/consents/{id}/{action}", consent__api_change, 0, 0, NULL},
    {"GET", "/api/v1/access/coverage", access__api_coverage, MADO_R_PUBLIC, 0, NULL},
    {"GET", "/api/v1/access/catalogue", access__api_catalogue, MADO_R_PUBLIC, 0, NULL},

    /* The agency gateway, on the mTLS listener (server/access/gateway.c). A report batch
       of 1000 events fits in 1 MiB. */
    {"POST", "/gw/v1/queries", access__api_gw_query, MADO_R_ORG | MADO_R_BODY, 16384, NULL},
    {"POST", "/gw/v1/access-reports", access__api_gw_report, MADO_R_ORG | MADO_R_BODY, 1048576,
     NULL},
    {"GET", "/gw/v1/disputes", access__api_gw_disputes, MADO_R_ORG, 0, NULL},
    {"POST", "/gw/v1/disputes/{case}", access__api_gw_dispute_answer, MADO_R_ORG | MADO_R_BODY,
     4096, NULL},
    {"POST", "/gw/v1/officer-reveals", access__api_gw_reveal_request, MADO_R_ORG | MADO_R_BODY,
     4096, NULL},
    {"GET", "/gw/v1/officer-reveals", access__api_gw_reveals, MADO_R_ORG, 0, NULL},
    {"POST", "/gw/v1/notices", consent__api_gw_notice, MADO_R_ORG | MADO_R_BODY, 8192, NULL},

    /* Private services, on the mTLS listener (server/consent/consent_api.c). */
    {"POST", "/rp/v1/consent-requests", consent__api_rp_request, MADO_R_ORG | MADO_R_BODY, 8192,
     NULL},
    {"POST", "/rp/v1/token", consent__api_rp_token, MADO_R_ORG | MADO_R_BODY, 1024, NULL},
    {"POST", "/rp/v1/data", consent__api_rp_data, MADO_R_ORG | MADO_R_BODY, 8192, NULL},
    {"POST", "/gw/v1/officer-reveals/{id}", access__api_gw_reveal_answer, MADO_R_ORG | MADO_R_BODY,
     4096, NULL},
};

const struct mado_route *
mado_http_routes(size_t *n)
{
	*n = MADO_NELEM(routes);
	return routes;
}
