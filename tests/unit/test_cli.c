/* The command-line parser of mado and mado-card: options from a table, arguments in any
   order, --help on stdout, mistakes on stderr with status 2. */
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

#include "mado/cli.h"

/* What one parse printed. */
static char out[8192], err[8192];

static void
slurp(FILE *f, char *buf, size_t len)
{
	size_t n;

	rewind(f);
	n = fread(buf, 1, len - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Parses argv (NULL-terminated) with stdout and stderr caught in out and err. */
static int
parse(struct mado_cli *c, char **argv)
{
	FILE *fo = tmpfile(), *fe = tmpfile();
	int argc, rc, so, se;

	assert_non_null(fo);
	assert_non_null(fe);
	for (argc = 0; argv[argc] != NULL; argc++)
		;
	fflush(stdout);
	fflush(stderr);
	so = dup(STDOUT_FILENO);
	se = dup(STDERR_FILENO);
	dup2(fileno(fo), STDOUT_FILENO);
	dup2(fileno(fe), STDERR_FILENO);
	rc = mado_cli_parse(c, argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, STDOUT_FILENO);
	dup2(se, STDERR_FILENO);
	close(so);
	close(se);
	slurp(fo, out, sizeof(out));
	slurp(fe, err, sizeof(err));
	return rc;
}

/* A command shaped like mado-card issue: two arguments, values, a flag, a required one. */
static const char *key, *origin;
static bool stale;
static char *args[2];
static const struct mado_cli_opt opts[] = {
    MADO_CLI_VALUE("key", "KIND", &key, "the card's key"),
    MADO_CLI_REQUIRED("origin", "URL", &origin, "the origin"),
    MADO_CLI_FLAG("stale", &stale, "answer as a day ago"),
};

static struct mado_cli
issue(void)
{
	struct mado_cli c = {
	    .name = "mado-card issue",
	    .synopsis = "DIR NAME [--key KIND] --origin URL [--stale]",
	    .about = "Issue a card.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	    .args = args,
	    .min_args = 2,
	    .max_args = 2,
	};

	key = "rsa2048";
	origin = NULL;
	stale = false;
	args[0] = args[1] = NULL;
	return c;
}

static void
test_options_and_arguments_in_any_order(void **state)
{
	char *before[] = {"issue", "--key", "p256", "--origin=https://x", "dir", "name", NULL};
	char *after[] = {"issue", "dir", "name", "--stale", "--origin", "https://y", NULL};
	struct mado_cli c;

	(void)state;
	c = issue();
	assert_int_equal(parse(&c, before), MADO_CLI_RUN);
	assert_int_equal(c.nargs, 2);
	assert_string_equal(args[0], "dir");
	assert_string_equal(args[1], "name");
	assert_string_equal(key, "p256");
	assert_string_equal(origin, "https://x");
	assert_false(stale);
	assert_string_equal(out, "");
	assert_string_equal(err, "");

	/* A second parse starts afresh; an absent option keeps its default. */
	c = issue();
	assert_int_equal(parse(&c, after), MADO_CLI_RUN);
	assert_string_equal(args[0], "dir");
	assert_string_equal(args[1], "name");
	assert_string_equal(key, "rsa2048");
	assert_string_equal(origin, "https://y");
	assert_true(stale);
}

/* POSIXLY_CORRECT would stop getopt at the first argument; the parser does not. */
static void
test_posixly_correct_changes_nothing(void **state)
{
	char *argv[] = {"issue", "dir", "name", "--key", "p384", "--origin", "o", NULL};
	struct mado_cli c = issue();

	(void)state;
	setenv("POSIXLY_CORRECT", "1", 1);
	assert_int_equal(parse(&c, argv), MADO_CLI_RUN);
	unsetenv("POSIXLY_CORRECT");
	assert_int_equal(c.nargs, 2);
	assert_string_equal(key, "p384");
	assert_string_equal(origin, "o");
}

static void
test_double_dash_ends_options(void **state)
{
	char *argv[] = {"issue", "--origin", "o", "dir", "--", "--key", NULL};
	struct mado_cli c = issue();

	(void)state;
	assert_int_equal(parse(&c, argv), MADO_CLI_RUN);
	assert_string_equal(args[1], "--key");
	assert_string_equal(key, "rsa2048");
}

static void
test_help_on_stdout_exits_0(void **state)
{
	char *longform[] = {"issue", "--help", NULL};
	char *shortform[] = {"issue", "dir", "-h", "--bogus", NULL};
	struct mado_cli c = issue();

	(void)state;
	assert_int_equal(parse(&c, longform), MADO_EXIT_OK);
	assert_non_null(strstr(out, "usage: mado-card issue DIR NAME"));
	assert_non_null(strstr(out, "Issue a card."));
	assert_non_null(strstr(out, "--key KIND"));
	assert_non_null(strstr(out, "the card's key"));
	assert_non_null(strstr(out, "the origin (required)"));
	assert_non_null(strstr(out, "--stale"));
	assert_non_null(strstr(out, "-h, --help"));
	assert_string_equal(err, "");
	/* Help needs neither the required option nor the arguments. */
	c = issue();
	assert_int_equal(parse(&c, shortform), MADO_EXIT_OK);
	assert_non_null(strstr(out, "usage: mado-card issue"));
}

/* Each mistake: status 2, the reason and the usage on stderr, nothing on stdout. */
static void
test_mistakes_exit_2_with_usage(void **state)
{
	static struct {
		char *argv[8];
		const char *why;
	} cases[] = {
	    {{"issue", "d", "n", "--origin", "o", "--bogus", NULL}, "unknown option --bogus"},
	    {{"issue", "d", "n", "--origin", "o", "-x", NULL}, "unknown option -x"},
	    {{"issue", "d", "n", "--origin", "o", "--key", NULL}, "--key needs a value"},
	    {{"issue", "d", "n", "--origin", "o", "--stale=yes", NULL}, "--stale takes no value"},
	    {{"issue", "d", "n", NULL}, "--origin is required"},
	    {{"issue", "d", "--origin", "o", NULL}, "missing arguments"},
	    {{"issue", "d", "n", "extra", "--origin", "o", NULL}, "unexpected argument extra"},
	};
	struct mado_cli c;
	size_t i;

	(void)state;
	for (i = 0; i < MADO_NELEM(cases); i++) {
		c = issue();
		assert_int_equal(parse(&c, cases[i].argv), MADO_EXIT_USAGE);
		if (strstr(err, cases[i].why) == NULL ||
		    strstr(err, "usage: mado-card issue") == NULL)
			fail_msg("case %zu: wanted \"%s\" and the usage, got: %s", i, cases[i].why,
				 err);
		assert_string_equal(out, "");
	}
}

/* The top level of a program with subcommands: options end at the command's name, which
   then parses the rest with its own table. */
static void
test_subcommands(void **state)
{
	char *argv[] = {"mado", "--version", "migrate", "--status", "--config", "f", NULL};
	const char *config = NULL;
	bool version = false, status = false;
	const struct mado_cli_opt top_opts[] = {MADO_CLI_FLAG("version", &version, "version")};
	const struct mado_cli_opt sub_opts[] = {
	    MADO_CLI_CONFIG(&config),
	    MADO_CLI_FLAG("status", &status, "report"),
	};
	struct mado_cli top = {
	    .name = "mado",
	    .synopsis = "COMMAND",
	    .opts = top_opts,
	    .nopts = MADO_NELEM(top_opts),
	    .subcommands = true,
	    .min_args = 1,
	};
	struct mado_cli sub = {.name = "mado migrate",
			       .synopsis = "",
			       .opts = sub_opts,
			       .nopts = MADO_NELEM(sub_opts)};
	char *none[] = {"mado", NULL};

	(void)state;
	assert_int_equal(parse(&top, argv), MADO_CLI_RUN);
	assert_true(version);
	assert_int_equal(top.next, 2);
	assert_int_equal(top.nargs, 4);
	assert_int_equal(mado_cli_parse(&sub, 6 - top.next, argv + top.next), MADO_CLI_RUN);
	assert_true(status);
	assert_string_equal(config, "f");
	assert_int_equal(parse(&top, none), MADO_EXIT_USAGE);
	assert_non_null(strstr(err, "usage: mado COMMAND"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_options_and_arguments_in_any_order),
	    cmocka_unit_test(test_posixly_correct_changes_nothing),
	    cmocka_unit_test(test_double_dash_ends_options),
	    cmocka_unit_test(test_help_on_stdout_exits_0),
	    cmocka_unit_test(test_mistakes_exit_2_with_usage),
	    cmocka_unit_test(test_subcommands),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
