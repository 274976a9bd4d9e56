/*
 * The command line of mado and mado-card: one table-driven parser over getopt_long
 * (server/cli/args.c), the exit statuses, and the operator commands of the mado binary
 * beyond serve and migrate (server/cli/).
 */
#ifndef MADO_CLI_H
#define MADO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mado/common.h"
#include "mado/config.h"

/* Exit statuses of mado and mado-card; mado-verify, which links no server code, keeps the
   same numbers. */
#define MADO_EXIT_OK     0
#define MADO_EXIT_FAIL   1 /* the command ran and failed */
#define MADO_EXIT_USAGE  2 /* bad usage, or an invalid configuration */
#define MADO_EXIT_BEHIND 3 /* migrate --status: migrations are pending */

/* mado_cli_parse's answer when the command is to go on. */
#define MADO_CLI_RUN (-1)

/* One option: --name VALUE stores VALUE in *str; a flag (value NULL) sets *flag. */
struct mado_cli_opt {
	const char *name;  /* without the dashes */
	const char *value; /* the value's name in the usage ("FILE"); NULL for a flag */
	const char **str;
	bool *flag;
	bool required;
	const char *help;
};

#define MADO_CLI_VALUE(name, value, dest, help)                                                    \
	{                                                                                          \
		(name), (value), (dest), NULL, false, (help)                                       \
	}
#define MADO_CLI_REQUIRED(name, value, dest, help)                                                 \
	{                                                                                          \
		(name), (value), (dest), NULL, true, (help)                                        \
	}
#define MADO_CLI_FLAG(name, dest, help)                                                            \
	{                                                                                          \
		(name), NULL, NULL, (dest), false, (help)                                          \
	}
/* --config FILE, for every command that reads the configuration (see mado_cli_config). */
#define MADO_CLI_CONFIG(dest)                                                                      \
	MADO_CLI_VALUE("config", "FILE", (dest), "settings file (default: $MADO_CONFIG)")

/*
 * A command's command line. Options and positional arguments may come in any order
 * (mado-card issue DIR NAME --key p256, or --key p256 DIR NAME), whatever
 * POSIXLY_CORRECT says; "--" ends the options. With subcommands set, options end at the
 * first argument instead, which names a subcommand that parses the rest itself.
 */
struct mado_cli {
	const char *name;     /* "mado migrate": messages and the usage start with it */
	const char *synopsis; /* the rest of the usage line (more lines may follow) */
	const char *about;    /* what the command does, under the usage line; may be NULL */
	const struct mado_cli_opt *opts;
	size_t nopts;
	char **args; /* receives the positional arguments (argv's), at most max_args */
	int min_args, max_args;
	bool subcommands;
	int nargs; /* set by mado_cli_parse: positional arguments received */
	int next;  /* set by mado_cli_parse: argv index of the subcommand's name */
};

/*
 * Parses argv[1..argc) (argv[0] is the command's name) into the table's destinations,
 * which keep their values when an option is absent. Returns MADO_CLI_RUN to go on, or the
 * status to exit with: MADO_EXIT_OK after --help or -h (usage and options printed on
 * stdout), MADO_EXIT_USAGE after an unknown option, an option without its value, a missing
 * required option or the wrong number of arguments (the reason and the usage on stderr).
 */
MADO_MUSTCHECK int mado_cli_parse(struct mado_cli *c, int argc, char **argv);
/* The usage line, about and each option's help. */
void mado_cli_usage(const struct mado_cli *c, FILE *out);
/* A usage error the table cannot express: prints "NAME: why" and the usage on stderr and
   returns MADO_EXIT_USAGE. */
int mado_cli_usage_error(const struct mado_cli *c, const char *fmt, ...) MADO_PRINTF(2, 3);
/* Loads the configuration from path (NULL: $MADO_CONFIG, or none) for use and sets the
   log level from it. 0, or -1 after printing the error. */
MADO_MUSTCHECK int mado_cli_config(const struct mado_cli *c, const char *path,
				   enum mado_config_use use, struct mado_config *cfg);

/* The operator commands: each takes its arguments with its own name in argv[0] and
   returns the exit status. */
/* mado authcheck: validates one Web eID token (or OCSP response) as the server would. */
int mado_cli_authcheck(int argc, char **argv);
/* mado register-card --cert FILE [--same-person-as FILE]: binds a card to a person. */
int mado_cli_register_card(int argc, char **argv);
/* mado org-cert --org CODE --cert FILE: binds an organisation's client certificate. */
int mado_cli_org_cert(int argc, char **argv);
/* mado staff-bind --org CODE --role ROLE --cert FILE: binds a desk staff certificate. */
int mado_cli_staff_bind(int argc, char **argv);
/* mado holder-url --org CODE (--url URL | --clear): where Mado asks a data holder. */
int mado_cli_holder_url(int argc, char **argv);
/* mado end-sessions (--cert FILE | --all): ends a card holder's sessions, or everyone's. */
int mado_cli_end_sessions(int argc, char **argv);
/* mado account --cert FILE (--disable REASON | --enable): disables a card holder's account. */
int mado_cli_account(int argc, char **argv);
/* mado rp-register ...: registers a private service and what it may ask for. */
int mado_cli_rp_register(int argc, char **argv);
/* mado basis-propose ...: proposes a change of the legal-basis register. */
int mado_cli_basis_propose(int argc, char **argv);
/* mado register-decide ...: a supervisor staff member decides register proposals. */
int mado_cli_register_decide(int argc, char **argv);
/* mado tlog-audit (server/cli/tlogaudit.c) */
int mado_cli_tlog_audit(int argc, char **argv);

#endif
