/*
 * One parser for the command lines of mado and mado-card. A command describes its options
 * in a table and getopt_long does the parsing, so that every command answers --help and
 * refuses a mistake the same way: usage on stdout and 0, or the reason and the usage on
 * stderr and MADO_EXIT_USAGE.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mado/cli.h"
#include "mado/log.h"

/* getopt_long's answer for the table's row i: above every option character. */
#define ROW(i) (256 + (int)(i))

/* No command has more; the struct option array lives on the stack. */
#define MAX_OPTS 32

void
mado_cli_usage(const struct mado_cli *c, FILE *out)
{
	const struct mado_cli_opt *o;
	char left[80];
	size_t i, n, w = strlen("-h, --help");

	fprintf(out, "usage: %s%s%s\n", c->name, *c->synopsis != '\0' ? " " : "", c->synopsis);
	if (c->about != NULL)
		fprintf(out, "%s\n", c->about);
	for (i = 0; i < c->nopts; i++) {
		o = &c->opts[i];
		n = 2 + strlen(o->name) + (o->value != NULL ? 1 + strlen(o->value) : 0);
		if (n > w)
			w = n;
	}
	fputs("\noptions:\n", out);
	for (i = 0; i < c->nopts; i++) {
		o = &c->opts[i];
		snprintf(left, sizeof(left), "--%s%s%s", o->name, o->value != NULL ? " " : "",
			 o->value != NULL ? o->value : "");
		fprintf(out, "  %-*s  %s%s\n", (int)w, left, o->help,
			o->required ? " (required)" : "");
	}
	fprintf(out, "  %-*s  %s\n", (int)w, "-h, --help", "print this help and exit");
}

int
mado_cli_usage_error(const struct mado_cli *c, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", c->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	mado_cli_usage(c, stderr);
	return MADO_EXIT_USAGE;
}

/* What getopt_long refused: it leaves the option in optopt (0 for an unknown long one,
   which is then the argument just passed). */
static int
refused(const struct mado_cli *c, char **argv)
{
	if (optopt >= ROW(0) && optopt < ROW(c->nopts))
		return mado_cli_usage_error(c, "--%s takes no value",
					    c->opts[optopt - ROW(0)].name);
	if (optopt == 'h')
		return mado_cli_usage_error(c, "--help takes no value");
	if (optopt != 0)
		return mado_cli_usage_error(c, "unknown option -%c", optopt);
	return mado_cli_usage_error(c, "unknown option %s", argv[optind - 1]);
}

static int
add_arg(struct mado_cli *c, char *arg)
{
	if (c->nargs >= c->max_args)
		return mado_cli_usage_error(c, "unexpected argument %s", arg);
	c->args[c->nargs++] = arg;
	return MADO_CLI_RUN;
}

int
mado_cli_parse(struct mado_cli *c, int argc, char **argv)
{
	struct option lo[MAX_OPTS + 2];
	const struct mado_cli_opt *o;
	size_t i;
	int ch, rc;

	c->nargs = 0;
	c->next = argc;
	if (c->nopts > MAX_OPTS) {
		fprintf(stderr, "%s: more options than the parser takes\n", c->name);
		return MADO_EXIT_FAIL;
	}
	for (i = 0; i < c->nopts; i++) {
		lo[i].name = c->opts[i].name;
		lo[i].has_arg = c->opts[i].value != NULL ? required_argument : no_argument;
		lo[i].flag = NULL;
		lo[i].val = ROW(i);
	}
	lo[i] = (struct option){"help", no_argument, NULL, 'h'};
	lo[i + 1] = (struct option){NULL, 0, NULL, 0};

	/*
	 * Our messages name the command, so getopt's own are off. optind 0 makes getopt start
	 * afresh, as a command may parse after its caller did. A leading "-" hands each
	 * argument back in place (as 1), so options may follow them even under
	 * POSIXLY_CORRECT; "+" stops at the first, a subcommand's name; ":" tells a missing
	 * value from an unknown option.
	 */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, c->subcommands ? "+:h" : "-:h", lo, NULL)) != -1) {
		switch (ch) {
		case 'h': mado_cli_usage(c, stdout); return MADO_EXIT_OK;
		case 1:
			if ((rc = add_arg(c, optarg)) != MADO_CLI_RUN)
				return rc;
			break;
		case ':':
			if (optopt >= ROW(0) && optopt < ROW(c->nopts))
				return mado_cli_usage_error(c, "--%s needs a value",
							    c->opts[optopt - ROW(0)].name);
			return mado_cli_usage_error(c, "%s needs a value", argv[optind - 1]);
		case '?': return refused(c, argv);
		default:
			o = &c->opts[ch - ROW(0)];
			if (o->value != NULL)
				*o->str = optarg;
			else
				*o->flag = true;
		}
	}
	if (c->subcommands) {
		c->next = optind;
		c->nargs = argc - optind;
	} else {
		/* What follows "--" is arguments, even when it looks like an option. */
		for (; optind < argc; optind++)
			if ((rc = add_arg(c, argv[optind])) != MADO_CLI_RUN)
				return rc;
	}
	if (c->nargs < c->min_args)
		return mado_cli_usage_error(c, c->subcommands ? "which command?"
							      : "missing arguments");
	for (i = 0; i < c->nopts; i++)
		if (c->opts[i].required && *c->opts[i].str == NULL)
			return mado_cli_usage_error(c, "--%s is required", c->opts[i].name);
	return MADO_CLI_RUN;
}

int
mado_cli_config(const struct mado_cli *c, const char *path, enum mado_config_use use,
		struct mado_config *cfg)
{
	char err[512];

	if (path == NULL)
		path = getenv("MADO_CONFIG");
	if (mado_config_load(cfg, path, use, err, sizeof(err)) != 0) {
		fprintf(stderr, "%s: configuration error: %s\n", c->name, err);
		return -1;
	}
	mado_log_set_level((enum mado_log_level)mado_log_parse_level(cfg->log_level));
	return 0;
}
