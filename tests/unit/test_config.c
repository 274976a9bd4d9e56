/* The option table: defaults, file, environment, validation naming the key, secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mado/config.h"
#include "mado/util.h"

static char conf_path[] = "/tmp/mado-unit-config-XXXXXX";

/* Writes a config with valid paths, plus extra lines. */
static const char *
write_conf(const char *extra)
{
	FILE *f = fopen(conf_path, "w");

	assert_non_null(f);
	fprintf(f,
		"# comment lines and blank lines are ignored\n\n"
		"web_root = %s/web\n"
		"migrations_dir = %s/sql/migrations\n"
		"tls_cert = %s\n"
		"%s\n",
		MADO_SOURCE_DIR, MADO_SOURCE_DIR, conf_path, extra);
	fclose(f);
	return conf_path;
}

static int
setup(void **state)
{
	int fd = mkstemp(conf_path);

	(void)state;
	if (fd == -1)
		return -1;
	close(fd);
	unsetenv("MADO_LISTEN");
	unsetenv("MADO_DB_POOL_SIZE");
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(conf_path);
	return 0;
}

static void
test_defaults_then_file(void **state)
{
	struct mado_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(mado_config_load(&cfg, write_conf("db_pool_size = 7"), MADO_CONFIG_SERVE,
					  err, sizeof(err)),
			 0);
	assert_int_equal(cfg.db_pool_size, 7);             /* from the file */
	assert_string_equal(cfg.listen, "127.0.0.1:8443"); /* default */
	assert_true(cfg.tls);
	assert_int_equal(cfg.db_wait_ms, 2000);
	mado_config_free(&cfg);
}

/* Address lists: `*`, or addresses and CIDR blocks of either family. */
static void
test_address_lists(void **state)
{
	struct mado_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(
	    mado_config_load(&cfg, write_conf(""), MADO_CONFIG_SERVE, err, sizeof(err)), 0);
	assert_string_equal(cfg.staff_from, "*");
	mado_config_free(&cfg);
	assert_int_equal(mado_config_load(&cfg,
					  write_conf("staff_from = 10.20.0.0/16, 192.0.2.7,"
						     " 2001:db8:5::/48\n"
						     "metrics_from = 10.0.0.0/8,::1"),
					  MADO_CONFIG_SERVE, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.staff_from, "10.20.0.0/16, 192.0.2.7, 2001:db8:5::/48");
	mado_config_free(&cfg);
}

static void
test_env_overrides_file(void **state)
{
	struct mado_config cfg;
	char err[256];

	(void)state;
	setenv("MADO_DB_POOL_SIZE", "9", 1);
	assert_int_equal(mado_config_load(&cfg, write_conf("db_pool_size = 7"), MADO_CONFIG_SERVE,
					  err, sizeof(err)),
			 0);
	assert_int_equal(cfg.db_pool_size, 9);
	mado_config_free(&cfg);
	unsetenv("MADO_DB_POOL_SIZE");
}

/* Bad values, each refused with a message that starts with the key's name; serve_only: only
   when the configuration is loaded for serving. */
static const struct {
	const char *line, *key;
	bool serve_only;
} bad[] = {
    {"db_pool_size = 0", "db_pool_size", false},
    {"db_pool_size = 12x", "db_pool_size", false},
    {"db_pool_size = +5", "db_pool_size", false},
    {"threads = 99999999", "threads", false},
    {"tls = maybe", "tls", false},
    {"listen = localhost", "listen", false},
    {"listen = example.org:443", "listen", false},
    {"public_origin = http://localhost:8443", "public_origin", false},
    {"public_origin = https://localhost:8443/path", "public_origin", false},
    {"log_level = chatty", "log_level", false},
    {"metrics_from = 10.0.0.0/33", "metrics_from", false},
    {"metrics_from = localhost", "metrics_from", false},
    {"staff_from = 10.1.0.0/16,", "staff_from", false},
    {"staff_from = 2001:db8::/129", "staff_from", false},
    {"staff_from = *,10.0.0.1", "staff_from", false},
    {"db_url = host=x port", "db_url", false},
    {"web_root = /nonexistent/mado/web", "web_root", true},
    {"tls_cert = /nonexistent/server.pem", "tls_cert", true},
    {"demo_cards_dir = /nonexistent/mado/cards", "demo_cards_dir", true},
    /* Demo cards log anyone in: never on an origin others reach (review finding 19). */
    {"public_origin = https://portal.example.jp\ndemo_cards_dir = " MADO_SOURCE_DIR,
     "demo_cards_dir", true},
    {"public_origin = https://localhost.example.jp\ndemo_cards_dir = " MADO_SOURCE_DIR,
     "demo_cards_dir", true},
    {"migrations_dir = /nonexistent/mado/migrations", "migrations_dir", false},
    {"card_trust_dir = /nonexistent/mado/trust", "card_trust_dir", false},
    {"org_trust_dir = /nonexistent/mado/org-trust", "org_trust_dir", false},
    {"mtls_listen = 127.0.0.1:8443", "mtls_listen", false},
    {"tls_login_origin = https://localhost:8444", "tls_login_origin", false},
    {"mtls_listen = 127.0.0.1:9444\ntls_login_origin = https://localhost:8444/x",
     "tls_login_origin", false},
    {"card_revocation = crl", "card_revocation", false},
    {"db_url =", "db_url", false},
};

static void
test_errors_name_the_key(void **state)
{
	struct mado_config cfg;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < MADO_NELEM(bad); i++) {
		memset(err, 0, sizeof(err));
		assert_int_equal(mado_config_load(&cfg, write_conf(bad[i].line), MADO_CONFIG_SERVE,
						  err, sizeof(err)),
				 -1);
		if (strncmp(err, bad[i].key, strlen(bad[i].key)) != 0)
			fail_msg("%s: error does not name %s: %s", bad[i].line, bad[i].key, err);
	}
}

/* A command that does not serve loads a configuration whose certificate and front end are
   missing, and still refuses every other bad value. */
static void
test_serving_checks_only_for_serve(void **state)
{
	struct mado_config cfg;
	char err[256];
	size_t i;
	int rc;

	(void)state;
	for (i = 0; i < MADO_NELEM(bad); i++) {
		memset(err, 0, sizeof(err));
		rc = mado_config_load(&cfg, write_conf(bad[i].line), MADO_CONFIG_COMMAND, err,
				      sizeof(err));
		if (bad[i].serve_only && rc != 0)
			fail_msg("%s: refused for a command that does not serve: %s", bad[i].line,
				 err);
		if (!bad[i].serve_only && rc != -1)
			fail_msg("%s: accepted for a command that does not serve", bad[i].line);
		if (rc == 0)
			mado_config_free(&cfg);
		else if (strncmp(err, bad[i].key, strlen(bad[i].key)) != 0)
			fail_msg("%s: error does not name %s: %s", bad[i].line, bad[i].key, err);
	}
	/* All the serving settings missing at once, as in a container that only migrates. */
	assert_int_equal(mado_config_load(&cfg,
					  write_conf("tls_cert = /nonexistent/server.pem\n"
						     "web_root = /nonexistent/mado/web\n"
						     "demo_cards_dir = /nonexistent/mado/cards"),
					  MADO_CONFIG_COMMAND, err, sizeof(err)),
			 0);
	assert_string_equal(cfg.tls_cert, "/nonexistent/server.pem");
	mado_config_free(&cfg);
	assert_int_equal(mado_config_load(&cfg,
					  write_conf("tls_cert = /nonexistent/server.pem\n"
						     "web_root = /nonexistent/mado/web"),
					  MADO_CONFIG_SERVE, err, sizeof(err)),
			 -1);
	/* The certificate is only needed with TLS on. */
	assert_int_equal(
	    mado_config_load(&cfg,
			     write_conf("tls = off\npublic_origin = http://localhost:8443\n"
					"tls_cert = /nonexistent/server.pem"),
			     MADO_CONFIG_SERVE, err, sizeof(err)),
	    0);
	mado_config_free(&cfg);
}

static void
test_unknown_key_and_syntax(void **state)
{
	struct mado_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(mado_config_load(&cfg, write_conf("colour = blue"), MADO_CONFIG_SERVE, err,
					  sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "colour"));
	assert_int_equal(
	    mado_config_load(&cfg, write_conf("just words"), MADO_CONFIG_SERVE, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line"));
}

/* Plain HTTP is for local development only: loopback addresses. */
static void
test_plain_http_only_on_loopback(void **state)
{
	struct mado_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(mado_config_load(&cfg,
					  write_conf("tls = off\nlisten = 0.0.0.0:8080\n"
						     "public_origin = http://localhost:8080"),
					  MADO_CONFIG_SERVE, err, sizeof(err)),
			 -1);
	assert_non_null(strstr(err, "listen"));
	assert_int_equal(mado_config_load(&cfg,
					  write_conf("tls = off\nlisten = 127.0.0.1:8080\n"
						     "public_origin = http://localhost:8080"),
					  MADO_CONFIG_SERVE, err, sizeof(err)),
			 0);
	assert_false(cfg.tls);
	mado_config_free(&cfg);
}

/* Loads a config with these lines; 0 or -1, and the message naming the key in err. */
static int
load_with(const char *lines, char *err, size_t errlen)
{
	struct mado_config cfg;

	if (mado_config_load(&cfg, write_conf(lines), MADO_CONFIG_SERVE, err, errlen) != 0)
		return -1;
	mado_config_free(&cfg);
	return 0;
}

/* CR-07: a database on another host only over TLS that checks its certificate and name. */
static void
test_remote_database_needs_verify_full(void **state)
{
	static const char *const local[] = {
	    "db_url = dbname=mado user=mado_app",
	    "db_url = host=/run/postgresql dbname=mado",
	    "db_url = host=127.0.0.1 port=5433 dbname=mado",
	    "db_url = host=localhost dbname=mado sslmode=disable",
	    "db_url = host=::1 dbname=mado",
	    "db_url = host=db.example.org dbname=mado sslmode=verify-full sslrootcert=/ca.crt",
	    "db_url = postgresql://mado_app@db.example.org/mado?sslmode=verify-full",
	    "db_url = host=db.example.org hostaddr=127.0.0.1 dbname=mado",
	    "db_url = host=/run/postgresql,127.0.0.1 dbname=mado",
	};
	static const struct {
		const char *line, *key;
	} remote[] = {
	    {"db_url = host=db.example.org dbname=mado", "db_url"},
	    {"db_url = host=db.example.org dbname=mado sslmode=require", "db_url"},
	    {"db_url = host=db.example.org dbname=mado sslmode=verify-ca", "db_url"},
	    {"db_url = postgresql://mado_app@192.0.2.7:5432/mado", "db_url"},
	    {"db_url = host=localhost hostaddr=192.0.2.7 dbname=mado", "db_url"},
	    {"db_url = host=127.0.0.1,db.example.org dbname=mado", "db_url"},
	    {"db_read_url = host=replica.example.org dbname=mado", "db_read_url"},
	    {"db_migrate_url = host=db.example.org dbname=mado user=mado_owner", "db_migrate_url"},
	};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < MADO_NELEM(local); i++)
		if (load_with(local[i], err, sizeof(err)) != 0)
			fail_msg("refused \"%s\": %s", local[i], err);
	for (i = 0; i < MADO_NELEM(remote); i++) {
		if (load_with(remote[i].line, err, sizeof(err)) == 0)
			fail_msg("accepted \"%s\"", remote[i].line);
		assert_int_equal(strncmp(err, remote[i].key, strlen(remote[i].key)), 0);
		assert_non_null(strstr(err, "verify-full"));
	}
	/* libpq's environment counts as it will when connecting. */
	setenv("PGHOST", "db.example.org", 1);
	assert_int_equal(load_with("db_url = dbname=mado", err, sizeof(err)), -1);
	setenv("PGSSLMODE", "verify-full", 1);
	assert_int_equal(load_with("db_url = dbname=mado", err, sizeof(err)), 0);
	assert_int_equal(load_with("db_url = dbname=mado sslmode=require", err, sizeof(err)), -1);
	unsetenv("PGHOST");
	unsetenv("PGSSLMODE");
}

static char *
printed(const struct mado_config *cfg)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	mado_config_print(cfg, f);
	fclose(f);
	return buf;
}

static void
test_secrets_never_printed(void **state)
{
	struct mado_config cfg;
	char err[256], *out;

	(void)state;
	assert_int_equal(
	    mado_config_load(
		&cfg,
		write_conf(
		    "db_url = host=db dbname=mado user=app password=hunter2-s3cret "
		    "sslmode=verify-full\n"
		    "db_migrate_url = postgresql://owner:0wner-pw@db/mado?sslmode=verify-full"),
		MADO_CONFIG_SERVE, err, sizeof(err)),
	    0);
	out = printed(&cfg);
	assert_null(strstr(out, "hunter2-s3cret"));
	assert_null(strstr(out, "0wner-pw"));
	assert_non_null(strstr(out, "password=(hidden)"));
	assert_non_null(strstr(out, "host=db")); /* the rest stays visible to operators */
	free(out);
	mado_config_free(&cfg);
}

/* README.md's configuration section is the table's own output, kept in step here. */
static void
test_readme_reference_in_step(void **state)
{
	char *readme, *ref = NULL;
	size_t len, rlen = 0;
	FILE *f;

	(void)state;
	assert_int_equal(mado_read_file(MADO_SOURCE_DIR "/README.md", 1 << 20, &readme, &len), 0);
	f = open_memstream(&ref, &rlen);
	mado_config_reference(f);
	fclose(f);
	if (strstr(readme, ref) == NULL)
		fail_msg("README.md's settings table differs from `mado config-reference`; "
			 "paste its output into README.md");
	free(ref);
	free(readme);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults_then_file),
	    cmocka_unit_test(test_env_overrides_file),
	    cmocka_unit_test(test_address_lists),
	    cmocka_unit_test(test_errors_name_the_key),
	    cmocka_unit_test(test_serving_checks_only_for_serve),
	    cmocka_unit_test(test_unknown_key_and_syntax),
	    cmocka_unit_test(test_plain_http_only_on_loopback),
	    cmocka_unit_test(test_remote_database_needs_verify_full),
	    cmocka_unit_test(test_secrets_never_printed),
	    cmocka_unit_test(test_readme_reference_in_step),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
