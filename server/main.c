/*
 * mado: the portal server and its operator commands.
 *
 * Start order for serve: configuration, log, migrations on disk, database pool, the
 * serving role's check, schema check, HTTP server (with its TLS self-test); then wait for SIGINT or
 * SIGTERM and stop in the reverse order.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "mado/accesslog.h"
#include "mado/auth.h"
#include "mado/cli.h"
#include "mado/consent.h"
#include "mado/desk.h"
#include "mado/gateway.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/migrate.h"
#include "mado/modules.h"
#include "mado/oversight.h"
#include "mado/proxy.h"
#include "mado/relay.h"
#include "mado/translog.h"
#include "mado/passkey.h"
#include "mado/util.h"

/*
 * The role mado serves as must be held to row-level security and the grants: not a
 * superuser, not BYPASSRLS, not a member of the schema owner (whose policies let it see
 * every row). Checked once, before anything listens.
 */
struct serving_role {
	char name[64];
	bool super, bypassrls, owner;
};

static struct mado_db_stmt Q_SERVING_ROLE =
    MADO_DB_STMT("serving_role",
		 "SELECT r.rolname AS name, r.rolsuper AS super, r.rolbypassrls AS bypassrls,"
		 " coalesce((SELECT pg_has_role(r.oid, o.oid, 'MEMBER') FROM pg_roles o"
		 "  WHERE o.rolname = 'mado_owner'), false) AS owner"
		 " FROM pg_roles r WHERE r.rolname = current_user",
		 0);

static int
check_role(void)
{
	static const struct mado_col cols[] = {
	    MADO_COL(BUF, serving_role, name),
	    MADO_COL(BOOL, serving_role, super),
	    MADO_COL(BOOL, serving_role, bypassrls),
	    MADO_COL(BOOL, serving_role, owner),
	};
	struct serving_role r;
	struct mado_db *db;
	int rc;

	memset(&r, 0, sizeof(r));
	if ((rc = mado_db_acquire(&db)) != MADO_OK) {
		fprintf(stderr, "mado: cannot reach the database (db_url); is PostgreSQL up?\n");
		return -1;
	}
	rc = mado_db_one(db, &Q_SERVING_ROLE, NULL, MADO_COLS(cols), &r);
	mado_db_release(db);
	if (rc != MADO_OK) {
		fprintf(stderr, "mado: refusing to start: cannot read the role of db_url\n");
		return -1;
	}
	if (r.super || r.bypassrls || r.owner) {
		fprintf(stderr,
			"mado: refusing to start: db_url's role %s %s; serve as the application "
			"role (mado_app), which row-level security and the grants hold\n",
			r.name,
			r.super       ? "is a superuser"
			: r.bypassrls ? "has BYPASSRLS"
				      : "is a member of mado_owner");
		return -1;
	}
	return 0;
}

/* The schema check mado serve runs before it listens. */
static int
check_schema(const struct mado_migrations *m)
{
	struct mado_db *db;
	char why[512];
	int rc, version;

	if ((rc = mado_db_acquire(&db)) != MADO_OK) {
		fprintf(stderr, "mado: cannot reach the database (db_url); is PostgreSQL up?\n");
		return -1;
	}
	rc = mado_migrate_check_db(db, m, &version, why, sizeof(why));
	mado_db_release(db);
	if (rc != MADO_OK) {
		fprintf(stderr, "mado: refusing to start: %s\n", why);
		return -1;
	}
	mado_log_info(NULL, "schema at version %d", version);
	return 0;
}

static int
cmd_serve(int argc, char **argv)
{
	const char *config = NULL;
	bool check_config = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_CONFIG(&config),
	    MADO_CLI_FLAG("check-config", &check_config,
			  "check the configuration, print it (secrets hidden) and exit"),
	};
	struct mado_cli cli = {
	    .name = "mado serve",
	    .synopsis = "[--config FILE] [--check-config]",
	    .about = "Run the portal until SIGINT or SIGTERM.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_migrations m = {0};
	struct mado_server *srv = NULL;
	struct mado_db_pool_config pc;
	char why[512];
	const struct mado_route_set *const *sets;
	sigset_t set;
	size_t nsets;
	int sig = 0, status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_cli_config(&cli, config, MADO_CONFIG_SERVE, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (check_config) {
		mado_config_print(&cfg, stdout);
		puts("configuration OK");
		mado_config_free(&cfg);
		return MADO_EXIT_OK;
	}
	if (mado_migrate_load(cfg.migrations_dir, &m, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: %s\n", why);
		goto out;
	}
	pc.conninfo = cfg.db_url;
	pc.size = cfg.db_pool_size;
	pc.wait_ms = cfg.db_wait_ms;
	pc.connect_timeout = cfg.db_connect_timeout;
	if (mado_db_pool_init(&pc) != MADO_OK) {
		fprintf(stderr, "mado: cannot set up the database pool\n");
		goto out;
	}
	pc.conninfo = cfg.db_read_url;
	if (*cfg.db_read_url != '\0' && mado_db_read_pool_init(&pc) != MADO_OK) {
		fprintf(stderr, "mado: cannot set up the read pool\n");
		goto out;
	}
	if (check_role() != 0 || check_schema(&m) != 0)
		goto out;
	if (mado_auth_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: card login: %s\n", why);
		goto out;
	}
	mado_accesslog_init(&cfg);
	mado_desk_init(&cfg);
	mado_gateway_init(&cfg);
	if (mado_proxy_init(&cfg) != MADO_OK) {
		fprintf(stderr, "mado: proxy: the reminders' thread did not start\n");
		goto out;
	}
	mado_passkey_init(&cfg);
	if (mado_oversight_init(&cfg) != MADO_OK) {
		fprintf(stderr, "mado: oversight: the anomaly scan's thread did not start\n");
		goto out;
	}
	if (mado_consent_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: consent: %s\n", why);
		goto out;
	}
	if (mado_relay_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: relay: %s\n", why);
		goto out;
	}
	if (mado_translog_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: transparency log: %s\n", why);
		goto out;
	}
	sets = mado_modules(&nsets);
	if (mado_http_install(sets, nsets) != MADO_OK)
		goto out;

	/* Workers inherit this mask; only this thread takes the stop signals. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (mado_server_start(&cfg, &m, &srv) != MADO_OK) {
		fprintf(stderr, "mado: the HTTP server did not start (see the log above)\n");
		goto out;
	}
	/* The sequencer starts once the server serves: its first batch may take a while
	   on a database with many records waiting. */
	if (mado_translog_start() != MADO_OK) {
		fprintf(stderr, "mado: the transparency log's sequencer did not start\n");
		mado_server_stop(srv);
		goto out;
	}
	sigwait(&set, &sig);
	mado_log_info(NULL, "stopping on signal %d", sig);
	mado_translog_stop();
	mado_server_stop(srv);
	status = MADO_EXIT_OK;
out:
	mado_oversight_free();
	mado_proxy_free();
	mado_relay_free();
	mado_translog_free();
	mado_consent_free();
	mado_passkey_free();
	mado_auth_free();
	mado_db_pool_shutdown();
	mado_migrate_free(&m);
	mado_config_free(&cfg);
	return status;
}

static int
cmd_migrate(int argc, char **argv)
{
	const char *config = NULL;
	bool report = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_CONFIG(&config),
	    MADO_CLI_FLAG("status", &report,
			  "only report; exit 3 when migrations or function files are pending"),
	};
	struct mado_cli cli = {
	    .name = "mado migrate",
	    .synopsis = "[--config FILE] [--status]",
	    .about = "Apply the pending schema migrations (as db_migrate_url), each in its own "
		     "transaction, then the function files of sql/functions that changed.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_migrations m = {0};
	struct mado_applied applied = {NULL, NULL};
	struct mado_migrate_counts pending, done;
	PGconn *conn = NULL;
	char why[1024];
	int status = MADO_EXIT_FAIL, rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_migrate_load(cfg.migrations_dir, &m, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado migrate: %s\n", why);
		goto out;
	}
	conn = mado_db_connect(mado_config_migrate_url(&cfg), 10, "mado-migrate");
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "mado migrate: cannot connect (db_migrate_url): %s",
			PQerrorMessage(conn));
		goto out;
	}
	if (report) {
		if (mado_migrate_read_applied(conn, &applied) != MADO_OK) {
			fprintf(stderr, "mado migrate: cannot read the applied migrations: %s",
				PQerrorMessage(conn));
			goto out;
		}
		rc = mado_migrate_compare(&m, &applied, &pending, why, sizeof(why));
		if (rc == MADO_OK) {
			printf("schema is current at %s\n", m.v[m.n - 1].name);
			status = MADO_EXIT_OK;
		} else {
			printf("%s\n", why);
			/* Pending work is what migrate is for; a changed history is not. */
			status = pending.migrations > 0 || pending.functions > 0 ? MADO_EXIT_BEHIND
										 : MADO_EXIT_FAIL;
		}
		goto out;
	}
	if (mado_migrate_apply(conn, &m, &done, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado migrate: %s\n", why);
		goto out;
	}
	printf("applied %zu migration(s) and %zu function file(s); schema is current at %s\n",
	       done.migrations, done.functions, m.v[m.n - 1].name);
	status = MADO_EXIT_OK;
out:
	mado_migrate_applied_clear(&applied);
	PQfinish(conn);
	mado_migrate_free(&m);
	mado_config_free(&cfg);
	return status;
}

/* A command without options: still answers --help and refuses what it does not know. */
static int
no_options(const char *name, const char *about, int argc, char **argv)
{
	struct mado_cli cli = {.name = name, .synopsis = "", .about = about};

	return mado_cli_parse(&cli, argc, argv);
}

static int
cmd_config_reference(int argc, char **argv)
{
	int rc;

	if ((rc = no_options("mado config-reference",
			     "Print every setting, its environment variable, default and meaning "
			     "as a Markdown table.",
			     argc, argv)) != MADO_CLI_RUN)
		return rc;
	mado_config_reference(stdout);
	return MADO_EXIT_OK;
}

static int
cmd_version(int argc, char **argv)
{
	int rc;

	if ((rc = no_options("mado version", "Print the version (also `mado --version`).", argc,
			     argv)) != MADO_CLI_RUN)
		return rc;
	printf("mado %s\n", MADO_VERSION);
	return MADO_EXIT_OK;
}

static int cmd_help(int argc, char **argv);

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
    {"serve", cmd_serve, "run the portal"},
    {"migrate", cmd_migrate, "apply (or report) schema migrations"},
    {"authcheck", mado_cli_authcheck, "validate one Web eID token as the server would"},
    {"register-card", mado_cli_register_card,
     "bind a card to a new person, or to the holder of an earlier card"},
    {"org-cert", mado_cli_org_cert,
     "propose binding an agency system's client certificate to its organisation"},
    {"staff-bind", mado_cli_staff_bind,
     "bind a support desk staff member's certificate to the desk and a role"},
    {"end-sessions", mado_cli_end_sessions,
     "end the sessions of a card's holder, or everyone's (an incident)"},
    {"account", mado_cli_account,
     "disable a card holder's account (their sessions end), or enable it again"},
    {"holder-url", mado_cli_holder_url,
     "set where Mado asks an organisation's data holder (mado-holder)"},
    {"rp-register", mado_cli_rp_register,
     "propose a private service's registration: what it may ever ask consent for"},
    {"basis-propose", mado_cli_basis_propose, "propose a change of a legal basis"},
    {"register-decide", mado_cli_register_decide,
     "approve or refuse register proposals (supervisor staff)"},
    {"tlog-audit", mado_cli_tlog_audit,
     "recompute the transparency log from the records and compare it with the stored tree"},
    {"config-reference", cmd_config_reference, "print every setting as a Markdown table"},
    {"version", cmd_version, "print the version"},
    {"help", cmd_help, "list the commands, or describe one"},
};

/* The command list, under the usage line of `mado --help`; made from the table. */
static char about[2048];

static void
list_commands(void)
{
	size_t i, used;

	used = (size_t)snprintf(about, sizeof(about), "%s\n",
				"The portal server and its operator commands:");
	for (i = 0; i < MADO_NELEM(commands) && used < sizeof(about); i++)
		used += (size_t)snprintf(about + used, sizeof(about) - used, "  %-17s %s\n",
					 commands[i].name, commands[i].summary);
	if (used < sizeof(about))
		snprintf(
		    about + used, sizeof(about) - used,
		    "\n`mado COMMAND --help` describes a command's options. Settings come from "
		    "the\ndefaults, then the file (--config FILE or MADO_CONFIG), then "
		    "MADO_<KEY>\nenvironment variables.");
}

static bool version_flag;
static const struct mado_cli_opt top_opts[] = {
    MADO_CLI_FLAG("version", &version_flag, "print the version and exit"),
};
static struct mado_cli top = {
    .name = "mado",
    .synopsis = "COMMAND [options]",
    .about = about,
    .opts = top_opts,
    .nopts = MADO_NELEM(top_opts),
    .subcommands = true,
};

static int
run(int argc, char **argv)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(commands); i++)
		if (strcmp(argv[0], commands[i].name) == 0)
			return commands[i].run(argc, argv);
	return mado_cli_usage_error(&top, "unknown command %s", argv[0]);
}

/* mado help [COMMAND]: the list, or what COMMAND --help prints. */
static int
cmd_help(int argc, char **argv)
{
	char *args[1], help[] = "--help", *sub[3];
	struct mado_cli cli = {
	    .name = "mado help",
	    .synopsis = "[COMMAND]",
	    .about = "List the commands, or describe COMMAND as `mado COMMAND --help` does.",
	    .args = args,
	    .max_args = 1,
	};
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (cli.nargs == 0) {
		mado_cli_usage(&top, stdout);
		return MADO_EXIT_OK;
	}
	sub[0] = args[0];
	sub[1] = help;
	sub[2] = NULL;
	return run(2, sub);
}

int
main(int argc, char **argv)
{
	int rc;

	mado_mem_init();
	list_commands();
	if ((rc = mado_cli_parse(&top, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (version_flag) {
		printf("mado %s\n", MADO_VERSION);
		return MADO_EXIT_OK;
	}
	if (top.nargs == 0)
		return mado_cli_usage_error(&top, "which command?");
	return run(argc - top.next, argv + top.next);
}
