/* Operator commands of the mado binary beyond serve and migrate (server/cli/). Each takes
   the arguments after its name and returns the process exit status. */
#ifndef MADO_CLI_H
#define MADO_CLI_H

int mado_cli_authcheck(int argc, char **argv);
/* mado register-card --cert FILE [--same-person-as FILE]: binds a card to a person. */
int mado_cli_register_card(const char *config, int argc, char **argv);
/* mado org-cert --org CODE --cert FILE: binds an organisation's client certificate. */
int mado_cli_org_cert(const char *config, int argc, char **argv);
/* mado rp-register ...: registers a private service and what it may ask for. */
int mado_cli_rp_register(const char *config, int argc, char **argv);

#endif
