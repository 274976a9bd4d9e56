/* The feature modules this build serves (include/mado/modules.h). */
#include "mado/accesslog.h"
#include "mado/auth.h"
#include "mado/consent.h"
#include "mado/gateway.h"
#include "mado/modules.h"
#include "mado/mydata.h"
#include "mado/notices.h"
#include "mado/oversight.h"
#include "mado/passkey.h"

static const struct mado_route_set *const sets[] = {
    &mado_auth_routes,    &mado_accesslog_routes, &mado_notices_routes, &mado_consent_routes,
    &mado_gateway_routes, &mado_oversight_routes, &mado_mydata_routes,  &mado_passkey_routes,
};

const struct mado_route_set *const *
mado_modules(size_t *n)
{
	*n = MADO_NELEM(sets);
	return sets;
}
