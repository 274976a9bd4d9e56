/* The feature modules this build serves (include/mado/modules.h). */
#include "mado/accesslog.h"
#include "mado/auth.h"
#include "mado/consent.h"
#include "mado/desk.h"
#include "mado/gateway.h"
#include "mado/modules.h"
#include "mado/mydata.h"
#include "mado/notices.h"
#include "mado/oversight.h"
#include "mado/passkey.h"
#include "mado/proxy.h"
#include "mado/registers.h"
#include "mado/relay.h"
#include "mado/translog.h"

static const struct mado_route_set *const sets[] = {
    &mado_auth_routes,     &mado_accesslog_routes, &mado_notices_routes, &mado_consent_routes,
    &mado_gateway_routes,  &mado_oversight_routes, &mado_mydata_routes,  &mado_auth_staff_routes,
    &mado_desk_routes,     &mado_proxy_routes,     &mado_passkey_routes, &mado_registers_routes,
    &mado_translog_routes, &mado_relay_routes,
};

const struct mado_route_set *const *
mado_modules(size_t *n)
{
	*n = MADO_NELEM(sets);
	return sets;
}
