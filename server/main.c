/*
 * mado: the portal server and its operator commands.
 *
 * Start order for serve: configuration, log, migrations on disk, database pool, schema
 * check, HTTP server (with its TLS self-test); then wait for SIGINT or SIGTERM and stop in
 * the reverse order.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "mado/access.h"
#include "mado/auth.h"
#include "mado/cli.h"
#include "mado/consent.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/log.h"
#include "mado/migrate.h"

#define EXIT_CONFIG 2 /* the configuration is invalid */
#define EXIT_BEHIND 3 /* migrate --status: migrations are pending */

static void
usage(FILE *out)
{
	fputs("usage: mado <command> [options]\n"
	      "\n"
	      "  serve [--config FILE] [--check-config]\n"
	      "        Run the portal. --check-config validates the configuration, prints it\n"
	      "        (secrets hidden) and exits.\n"
	      "  migrate [--config FILE] [--status]\n"
	      "        Apply pending schema migrations, or with --status only report them.\n"
	      "  authcheck --token FILE --origin URL --nonce NONCE --trust DIR [--at TIME]\n"
	      "            [--ocsp on|off]\n"
	      "        Validate one Web eID token as the server would; print the verdict.\n"
	      "  register-card --cert FILE [--same-person-as FILE] [--config FILE]\n"
	      "        Bind a card to a new person, or to the holder of an earlier card.\n"
	      "  org-cert --org CODE --cert FILE [--config FILE]\n"
	      "        Bind an agency system's client certificate to its organisation.\n"
	      "  rp-register --org CODE --name-ja N --name-en N --purposes P,.. --items I,..\n"
	      "              --redirect URL,.. [--cert FILE] [--config FILE]\n"
	      "        Register a private service and what it may ever ask consent for.\n"
	      "  config-reference\n"
	      "        Print every setting as a Markdown table.\n"
	      "  version\n"
	      "\n"
	      "Settings come from defaults, then the file (--config or MADO_CONFIG), then\n"
	      "MADO_<KEY> environment variables.\n",
	      out);
}

struct args {
	const char *config;
	bool check_config;
	bool status;
};

static int
parse_args(int argc, char **argv, struct args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	a->config = getenv("MADO_CONFIG");
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			a->config = argv[++i];
		else if (strcmp(argv[i], "--check-config") == 0 && strcmp(argv[1], "serve") == 0)
			a->check_config = true;
		else if (strcmp(argv[i], "--status") == 0 && strcmp(argv[1], "migrate") == 0)
			a->status = true;
		else {
			fprintf(stderr, "mado %s: unknown option %s\n", argv[1], argv[i]);
			return -1;
		}
	}
	return 0;
}

static int
load_config(const struct args *a, enum mado_config_use use, struct mado_config *cfg)
{
	char err[512];

	if (mado_config_load(cfg, a->config, use, err, sizeof(err)) != 0) {
		fprintf(stderr, "mado: configuration error: %s\n", err);
		return -1;
	}
	mado_log_set_level((enum mado_log_level)mado_log_parse_level(cfg->log_level));
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

/* The access log's partitions for this month and the next ones; the gateway creates
   later ones as months turn. Without them no access can be recorded. */
static int
ensure_partitions(void)
{
	struct mado_db *db;
	int rc;

	if ((rc = mado_db_acquire(&db)) == MADO_OK)
		rc = mado_access_partitions(db);
	mado_db_release(db);
	if (rc != MADO_OK)
		fprintf(stderr, "mado: cannot create the access log's partitions (%s)\n",
			mado_err_slug(rc));
	return rc == MADO_OK ? 0 : -1;
}

static int
cmd_serve(const struct args *a)
{
	struct mado_config cfg;
	struct mado_migrations m = {0};
	struct mado_server *srv = NULL;
	struct mado_db_pool_config pc;
	char why[512];
	sigset_t set;
	int sig = 0, status = 1;

	if (load_config(a, MADO_CONFIG_SERVE, &cfg) != 0)
		return EXIT_CONFIG;
	if (a->check_config) {
		mado_config_print(&cfg, stdout);
		puts("configuration OK");
		mado_config_free(&cfg);
		return 0;
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
	if (check_schema(&m) != 0)
		goto out;
	if (mado_auth_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: card login: %s\n", why);
		goto out;
	}
	if (mado_access_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: gateway: %s\n", why);
		goto out;
	}
	if (mado_consent_init(&cfg, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado: consent: %s\n", why);
		goto out;
	}
	if (ensure_partitions() != 0)
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
	sigwait(&set, &sig);
	mado_log_info(NULL, "stopping on signal %d", sig);
	mado_server_stop(srv);
	status = 0;
out:
	mado_consent_free();
	mado_access_free();
	mado_auth_free();
	mado_db_pool_shutdown();
	mado_migrate_free(&m);
	mado_config_free(&cfg);
	return status;
}

static int
cmd_migrate(const struct args *a)
{
	struct mado_config cfg;
	struct mado_migrations m = {0};
	PGresult *applied = NULL;
	PGconn *conn = NULL;
	size_t pending = 0, done = 0;
	char why[1024];
	int status = 1, rc;

	if (load_config(a, MADO_CONFIG_COMMAND, &cfg) != 0)
		return EXIT_CONFIG;
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
	if (a->status) {
		if (mado_migrate_read_applied(conn, &applied) != MADO_OK) {
			fprintf(stderr, "mado migrate: cannot read the applied migrations: %s",
				PQerrorMessage(conn));
			goto out;
		}
		rc = mado_migrate_compare(&m, applied, &pending, why, sizeof(why));
		if (rc == MADO_OK) {
			printf("schema is current at %s\n", m.v[m.n - 1].name);
			status = 0;
		} else {
			printf("%s\n", why);
			status = pending > 0 ? EXIT_BEHIND : 1;
		}
		goto out;
	}
	if (mado_migrate_apply(conn, &m, &done, why, sizeof(why)) != MADO_OK) {
		fprintf(stderr, "mado migrate: %s\n", why);
		goto out;
	}
	printf("applied %zu migration(s); schema is current at %s\n", done, m.v[m.n - 1].name);
	status = 0;
out:
	PQclear(applied);
	PQfinish(conn);
	mado_migrate_free(&m);
	mado_config_free(&cfg);
	return status;
}

/* Takes --config out of the arguments, as serve and migrate accept it. */
static int
with_config(int argc, char **argv, int (*cmd)(const char *, int, char **))
{
	const char *config = getenv("MADO_CONFIG");
	char *rest[32];
	int i, n = 0;

	for (i = 0; i < argc && n < 32; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			config = argv[++i];
		else
			rest[n++] = argv[i];
	}
	return cmd(config, n, rest);
}

int
main(int argc, char **argv)
{
	struct args a;

	if (argc < 2) {
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("mado %s\n", MADO_VERSION);
		return 0;
	}
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "authcheck") == 0)
		return mado_cli_authcheck(argc - 2, argv + 2);
	if (strcmp(argv[1], "register-card") == 0)
		return with_config(argc - 2, argv + 2, mado_cli_register_card);
	if (strcmp(argv[1], "org-cert") == 0)
		return with_config(argc - 2, argv + 2, mado_cli_org_cert);
	if (strcmp(argv[1], "rp-register") == 0)
		return with_config(argc - 2, argv + 2, mado_cli_rp_register);
	if (strcmp(argv[1], "config-reference") == 0) {
		mado_config_reference(stdout);
		return 0;
	}
	if (strcmp(argv[1], "serve") != 0 && strcmp(argv[1], "migrate") != 0) {
		fprintf(stderr, "mado: unknown command %s\n", argv[1]);
		usage(stderr);
		return EXIT_CONFIG;
	}
	if (parse_args(argc, argv, &a) != 0)
		return EXIT_CONFIG;
	return strcmp(argv[1], "serve") == 0 ? cmd_serve(&a) : cmd_migrate(&a);
}
