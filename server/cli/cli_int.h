/*
 * What the operator commands of server/cli/ share among themselves, and nobody else.
 */
#ifndef MADO_CLI_INT_H
#define MADO_CLI_INT_H

#include <openssl/x509.h>

#include "mado/cli.h"
#include "mado/config.h"
#include "mado/pki.h"

/* For the proposing commands (registers.c): a checked comma-separated list as a JSON
   array; and one proposal over the owner's connection, printed (the exit status). */
struct cJSON;
struct cJSON *mado_cli__list_json(const char *list);
int mado_cli__propose(const struct mado_cli *cli, const struct mado_config *cfg, const char *kind,
		      struct cJSON *content, const char *as, const char *note);
/* The proposal of an organisation certificate (orgcert.c), for rp-register. */
int mado_cli__propose_org_cert(const struct mado_cli *cli, const struct mado_config *cfg,
			       const char *org, const char *path, const char *as, const char *note);

/* The cards' trust (card_trust_dir) and the certificate at path, for the commands that
   name a card (register.c, cardholder.c): 0, or -1 said on stderr under cli's name. */
int mado_cli__card(const struct mado_cli *cli, const struct mado_config *cfg, const char *path,
		   struct mado_pki **pki, X509 **cert);

#endif
