/*
 * Calls go down only. Every `#include "mado/..."` in server/ and include/mado/ is read and
 * checked against the graph below: a module may include its own header and those of the
 * modules below it, never one beside or above it. A module's private `*_int.h` is its own.
 * The first tests check the checker itself, with lines that must fail. The same walk
 * collects the prepared statements' names: a name used twice would fail only when the
 * second statement is first prepared on a connection, at run time. And it looks for the C
 * library's predictable generators: every random value comes from the DRBG (mado_random),
 * never rand() and its kin (CR-04). And no C file compiles conditionally (AU-10).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "mado/util.h"

/* Which module each public header belongs to. */
static const struct {
	const char *header, *module;
} headers[] = {
    {"common", "core"},
    {"config", "core"},
    {"err", "core"},
    {"log", "core"},
    {"metrics", "core"},
    {"util", "core"},
    {"json", "core"},
    {"check", "core"},
    {"every", "core"},
    {"db", "db"},
    {"migrate", "db"},
    {"pki", "pki"},
    {"vcard", "card"},
    {"http", "http"},
    {"auth", "auth"},
    {"gateway", "gateway"},
    {"accesslog", "accesslog"},
    {"notices", "notices"},
    {"oversight", "oversight"},
    {"consent", "consent"},
    {"cli", "cli"},
    {"mydata", "mydata"},
    {"modules", "main"},
    {"desk", "desk"},
    {"proxy", "proxy"},
    {"passkey", "passkey"},
    {"registers", "registers"},
    {"tlog", "tlog"},
    {"translog", "translog"},
    {"seal", "seal"},
    {"relay", "relay"},
};

/* What each module may include besides its own: the layers below it. The features sit
   side by side and never include one another; only main and the operator commands see
   several of them. */
static const struct {
	const char *module, *may;
} allowed[] = {
    {"core", ""},
    {"db", "core"},
    {"pki", "core"},
    {"card", "core"},
    {"http", "core db pki"},
    {"auth", "core db pki http card"},
    {"gateway", "core db http relay"},
    {"accesslog", "core db http translog"},
    {"notices", "core db http"},
    {"oversight", "core db http"},
    {"consent", "core db http translog relay"},
    {"mydata", "core db http relay"},
    /* Desks use card login's checks for the resident's card at the counter. */
    {"desk", "core db http auth"},
    {"proxy", "core db http"},
    /* Passkeys are another way in: the auth module's challenges and sessions. */
    {"passkey", "core db http auth"},
    /* The registers check the proposer's and the approver's certificates. */
    {"registers", "core db pki http"},
    {"cli", "core db pki auth consent registers translog"},
    /* The transparency log sits under the features whose records it proves (accesslog
       for the entry view and the export, consent for receipts). */
    {"translog", "core db http tlog"},
    /* The relay to the data holders, under the features that ask them. */
    {"relay", "core db http seal"},
    {"tools", "core pki card cli"},
    /* mado-holder, a program of its own: the core's helpers, the database connection's
       defaults, CivetWeb's TLS set-up, the command line, and tickets and sealing. */
    {"holder", "core db http cli seal"},
    {"tls_shim", ""},
    /* The transparency log's pure part stands alone; the offline tools see it only. */
    {"tlog", ""},
    /* Sealed answers and tickets stand alone too: a holder links them without the server. */
    {"seal", ""},
    {"offline", "tlog"},
    {"main",
     "core db pki card http auth gateway accesslog notices oversight consent mydata desk proxy "
     "passkey registers translog relay cli"},
};

static const char *
module_of_header(const char *name, size_t n)
{
	size_t i;

	for (i = 0; i < MADO_NELEM(headers); i++)
		if (strlen(headers[i].header) == n && strncmp(headers[i].header, name, n) == 0)
			return headers[i].module;
	return NULL;
}

static bool
may_include(const char *module, const char *target)
{
	const char *may = NULL, *p;
	size_t i, n = strlen(target);

	if (strcmp(module, target) == 0)
		return true;
	/* The transparency log's and the seal's libraries sit at the bottom, beside core: all
	   may use them. */
	if ((strcmp(target, "tlog") == 0 || strcmp(target, "seal") == 0) &&
	    strcmp(module, "tls_shim") != 0)
		return true;
	for (i = 0; i < MADO_NELEM(allowed); i++)
		if (strcmp(allowed[i].module, module) == 0)
			may = allowed[i].may;
	for (p = may; p != NULL && *p != '\0'; p += strcspn(p, " "), p += *p == ' ')
		if (strncmp(p, target, n) == 0 && (p[n] == ' ' || p[n] == '\0'))
			return true;
	return false;
}

/*
 * Checks a file's text as part of module: MADO_OK or the first include that breaks the
 * graph, described in why. A file that must stand alone (the offline verifier) may
 * include no Mado header at all: pass "" as module.
 */
static bool
check_text(const char *module, const char *text, char *why, size_t whylen)
{
	const char *line, *q, *target;
	size_t n;

	for (line = text; line != NULL && *line != '\0'; line = strchr(line, '\n')) {
		while (*line == '\n')
			line++;
		if (strncmp(line, "#include \"", 10) != 0)
			continue;
		q = line + 10;
		n = strcspn(q, "\"\n");
		if (strncmp(q, "mado/", 5) == 0 && n > 7 && strncmp(q + n - 2, ".h", 2) == 0) {
			target = module_of_header(q + 5, n - 7);
			if (target == NULL) {
				snprintf(why, whylen, "includes %.*s, which no module owns", (int)n,
					 q);
				return false;
			}
			if (module[0] == '\0' || !may_include(module, target)) {
				snprintf(why, whylen, "%s includes %.*s (%s)", module, (int)n, q,
					 target);
				return false;
			}
		} else if (n > 6 && strncmp(q + n - 6, "_int.h", 6) == 0 &&
			   (strchr(q, '/') != NULL && strchr(q, '/') < q + n)) {
			/* A private header is reached only from its own directory. */
			snprintf(why, whylen, "%s includes another module's %.*s", module, (int)n,
				 q);
			return false;
		}
	}
	return true;
}

/* The module a file of the tree belongs to. */
static void
module_of_path(const char *rel, char *out, size_t len)
{
	const char *slash;

	if (strncmp(rel, "include/mado/", 13) == 0) {
		const char *m = module_of_header(rel + 13, strlen(rel + 13) - 2);

		snprintf(out, len, "%s", m != NULL ? m : "?");
	} else if (strcmp(rel, "server/tools/mado_verify.c") == 0 ||
		   strcmp(rel, "server/tools/mado_verify.h") == 0 ||
		   strcmp(rel, "server/tools/mado_witness.c") == 0) {
		/* links no server code: includes the transparency log's library only */
		snprintf(out, len, "offline");
	} else if (strcmp(rel, "server/main.c") == 0 || strcmp(rel, "server/modules.c") == 0) {
		snprintf(out, len, "main");
	} else if ((slash = strchr(rel + 7, '/')) != NULL) {
		snprintf(out, len, "%.*s", (int)(slash - (rel + 7)), rel + 7);
	} else {
		snprintf(out, len, "?");
	}
}

/* The statements' names seen so far, each with its file. */
static struct {
	char name[64], file[96];
} stmts[512];
static size_t n_stmts;

/* Adds the names of the MADO_DB_STMT* statements in text; false, with why, at the first
   name already seen. */
static bool
check_stmts(const char *file, const char *text, char *why, size_t whylen)
{
	const char *p = text, *q;
	size_t i, n;

	while ((p = strstr(p, "MADO_DB_STMT")) != NULL) {
		p += strspn(p + 12, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") + 12;
		if (*p++ != '(')
			continue;
		p += strspn(p, " \t\n\\");
		if (*p != '"') /* the macros' own definitions */
			continue;
		q = ++p;
		n = strcspn(q, "\"\n");
		if (n == 0 || n >= sizeof(stmts[0].name) || n_stmts == MADO_NELEM(stmts)) {
			snprintf(why, whylen, "%s: a statement name the check cannot hold", file);
			return false;
		}
		for (i = 0; i < n_stmts; i++)
			if (strlen(stmts[i].name) == n && strncmp(stmts[i].name, q, n) == 0) {
				snprintf(why, whylen, "the statement name \"%.*s\" is in %s and %s",
					 (int)n, q, stmts[i].file, file);
				return false;
			}
		snprintf(stmts[n_stmts].name, sizeof(stmts[0].name), "%.*s", (int)n, q);
		snprintf(stmts[n_stmts].file, sizeof(stmts[0].file), "%s", file);
		n_stmts++;
	}
	return true;
}

/* The C library's generators: predictable, and seeded by whoever calls srand. */
static const char *const weak_random[] = {"rand",    "random",  "srand",   "srandom",
					  "rand_r",  "drand48", "erand48", "lrand48",
					  "nrand48", "mrand48", "jrand48", "arc4random"};

static bool
ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* False, with why, at the first call of a weak_random function in text. */
static bool
check_random(const char *file, const char *text, char *why, size_t whylen)
{
	const char *p, *q;
	size_t i, n;

	for (i = 0; i < MADO_NELEM(weak_random); i++) {
		n = strlen(weak_random[i]);
		for (p = text; (p = strstr(p, weak_random[i])) != NULL; p += n) {
			if (p > text && (ident_char(p[-1]) || p[-1] == '.' || p[-1] == '>'))
				continue; /* part of a longer name, or a member */
			for (q = p + n; *q == ' ' || *q == '\t'; q++)
				;
			if (ident_char(p[n]) || *q != '(')
				continue;
			snprintf(why, whylen,
				 "%.120s calls %s(): random values come from mado_random", file,
				 weak_random[i]);
			return false;
		}
	}
	return true;
}

/* SQL words that, in a string given to a formatter, mean SQL text is being built. */
static const char *const sql_words[] = {"SELECT ",  "INSERT INTO", "UPDATE ",      "DELETE FROM",
					"CREATE ",  "ALTER ",      "DROP ",        "GRANT ",
					"SET ROLE", "set_config(", " FROM portal."};

/* The string literals of the call whose argument list opens at p, joined into out. */
static void
call_literals(const char *p, char *out, size_t outlen)
{
	size_t used = 0;
	int depth = 0;

	*out = '\0';
	for (; *p != '\0'; p++) {
		if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return;
		else if (*p == '\'' && p[1] != '\0')
			p += p[1] == '\\' ? 3 : 2; /* a character literal */
		else if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
				if (used + 1 < outlen)
					out[used++] = *p;
			}
			out[used] = '\0';
			if (*p == '\0')
				return;
		}
	}
}

/* False, with why, where text builds SQL with a formatter or by appending (IN-04): every
   statement is a literal with its values as parameters. */
static bool
check_sql_built(const char *file, const char *text, char *why, size_t whylen)
{
	static const char *const builders[] = {"printf(", "puts(", "strcat(", "strncat("};
	char lits[4096];
	const char *p;
	size_t i, k;

	for (i = 0; i < MADO_NELEM(builders); i++)
		for (p = text; (p = strstr(p, builders[i])) != NULL; p++) {
			call_literals(p + strlen(builders[i]) - 1, lits, sizeof(lits));
			for (k = 0; k < MADO_NELEM(sql_words); k++)
				if (strstr(lits, sql_words[k]) != NULL) {
					snprintf(why, whylen,
						 "%.120s builds SQL (\"%s\") with %.*s(): "
						 "statements are literals, values parameters",
						 file, sql_words[k], (int)strlen(builders[i]) - 1,
						 builders[i]);
					return false;
				}
		}
	return true;
}

/* Names that, in what a comparison compares, mean a secret: such a comparison must take
   the same time whatever the bytes (CR-06). */
static const char *const secret_words[] = {"csrf", "challenge", "token", "secret",  "mac",
					   "hmac", "nonce",     "otp",   "password"};

/* Whether word stands at p as a name or a part of one cut by '_' ("s.csrf", "csrf_token",
   "mac_len"; not "machine"). */
static bool
name_part(const char *text, const char *p, size_t n)
{
	bool before =
	    p == text || !((p[-1] >= 'a' && p[-1] <= 'z') || (p[-1] >= 'A' && p[-1] <= 'Z') ||
			   (p[-1] >= '0' && p[-1] <= '9'));
	bool after = !((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= 'A' && p[n] <= 'Z') ||
		       (p[n] >= '0' && p[n] <= '9'));

	return before && after;
}

/* False, with why, where text compares a secret with memcmp, strcmp or strncmp, whose
   time tells how much of it matched: mado_ct_equal is the comparison for secrets. */
static bool
check_secret_compare(const char *file, const char *text, char *why, size_t whylen)
{
	static const char *const cmps[] = {"memcmp", "strcmp", "strncmp", "bcmp"};
	const char *p, *q, *w, *end;
	size_t i, k, n;
	int depth;

	for (i = 0; i < MADO_NELEM(cmps); i++) {
		n = strlen(cmps[i]);
		for (p = text; (p = strstr(p, cmps[i])) != NULL; p += n) {
			if ((p > text && ident_char(p[-1])) || ident_char(p[n]))
				continue;
			for (q = p + n; *q == ' ' || *q == '\t'; q++)
				;
			if (*q != '(')
				continue;
			for (end = q, depth = 0; *end != '\0'; end++)
				if (*end == '(')
					depth++;
				else if (*end == ')' && --depth == 0)
					break;
			if (memchr(q, '"', (size_t)(end - q)) != NULL)
				continue; /* against a constant: a setting's word, no secret */
			for (k = 0; k < MADO_NELEM(secret_words); k++)
				for (w = q; (w = strstr(w, secret_words[k])) != NULL && w < end;
				     w++)
					if (name_part(text, w, strlen(secret_words[k]))) {
						snprintf(why, whylen,
							 "%.120s compares a %s with %s(): secrets "
							 "are compared with mado_ct_equal",
							 file, secret_words[k], cmps[i]);
						return false;
					}
		}
	}
	return true;
}

/* AU-10: every build type compiles the same server, so the routes a test build serves
   are the routes a release serves. A C file of server/ holds no conditional compilation;
   mado-verify's one (its main left out of the fuzz target that links it) is the
   exception. Headers keep their include guards. */
static bool
check_unconditional(const char *file, const char *text, char *why, size_t whylen)
{
	const char *p = text, *q;
	size_t n = strlen(file);

	if (n < 2 || strcmp(file + n - 2, ".c") != 0)
		return true;
	for (; p != NULL && *p != '\0'; p = (q = strchr(p, '\n')) != NULL ? q + 1 : NULL) {
		for (q = p; *q == ' ' || *q == '\t'; q++)
			;
		if (*q != '#')
			continue;
		for (q++; *q == ' ' || *q == '\t'; q++)
			;
		if (strncmp(q, "if", 2) != 0 || strncmp(q, "ifndef MADO_VERIFY_NO_MAIN\n", 27) == 0)
			continue;
		snprintf(why, whylen,
			 "%.120s compiles conditionally: a build type must not change what is "
			 "served",
			 file);
		return false;
	}
	return true;
}

static int checked;

static void
walk(const char *rel)
{
	char path[2048], child[1024], module[32], why[256], *text;
	struct dirent *de;
	struct stat st;
	size_t len;
	DIR *d;

	snprintf(path, sizeof(path), "%s/%s", MADO_SOURCE_DIR, rel);
	if ((d = opendir(path)) == NULL)
		fail_msg("cannot read %s", rel);
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(child, sizeof(child), "%s/%s", rel, de->d_name);
		snprintf(path, sizeof(path), "%s/%s", MADO_SOURCE_DIR, child);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			walk(child);
			continue;
		}
		len = strlen(de->d_name);
		if (len < 3 || (strcmp(de->d_name + len - 2, ".c") != 0 &&
				strcmp(de->d_name + len - 2, ".h") != 0))
			continue;
		module_of_path(child, module, sizeof(module));
		if (strcmp(module, "?") == 0)
			fail_msg("%s belongs to no module of the graph", child);
		assert_int_equal(mado_read_file(path, 1 << 22, &text, &len), 0);
		if (!check_text(module, text, why, sizeof(why)))
			fail_msg("%s: %s", child, why);
		if (!check_stmts(child, text, why, sizeof(why)) ||
		    !check_random(child, text, why, sizeof(why)) ||
		    !check_sql_built(child, text, why, sizeof(why)) ||
		    !check_secret_compare(child, text, why, sizeof(why)) ||
		    !check_unconditional(child, text, why, sizeof(why)))
			fail_msg("%s", why);
		free(text);
		checked++;
	}
	closedir(d);
}

/* The checker refuses what it must: calls up, calls sideways, unknown headers. */
static void
test_checker_refuses(void **state)
{
	char why[256];

	(void)state;
	assert_false(check_text("http", "#include \"mado/auth.h\"\n", why, sizeof(why)));
	assert_false(check_text("gateway", "x\n#include \"mado/consent.h\"\n", why, sizeof(why)));
	assert_false(check_text("core", "#include \"mado/pki.h\"\n", why, sizeof(why)));
	assert_false(check_text("db", "#include \"mado/http.h\"\n", why, sizeof(why)));
	assert_false(check_text("auth", "#include \"mado/nothing.h\"\n", why, sizeof(why)));
	assert_false(check_text("auth", "#include \"consent/consent_int.h\"\n", why, sizeof(why)));
	assert_false(check_text("", "#include \"mado/util.h\"\n", why, sizeof(why)));
	assert_false(check_text("offline", "#include \"mado/util.h\"\n", why, sizeof(why)));
	assert_false(check_text("tlog", "#include \"mado/util.h\"\n", why, sizeof(why)));
	assert_false(check_text("seal", "#include \"mado/util.h\"\n", why, sizeof(why)));
}

static void
test_checker_allows(void **state)
{
	char why[256];

	(void)state;
	assert_true(check_text("http", "#include \"mado/db.h\"\n#include \"http_int.h\"\n", why,
			       sizeof(why)));
	assert_true(check_text("consent", "#include \"mado/consent.h\"\n#include \"mado/http.h\"\n",
			       why, sizeof(why)));
	assert_true(check_text("main", "#include \"mado/gateway.h\"\n", why, sizeof(why)));
	assert_true(check_text("offline", "#include \"mado/tlog.h\"\n", why, sizeof(why)));
	assert_true(check_text("accesslog", "#include \"mado/tlog.h\"\n", why, sizeof(why)));
	assert_true(check_text("gateway", "#include \"mado/seal.h\"\n", why, sizeof(why)));
}

/* The statement check finds a name used twice, in one file or in two. */
static void
test_stmt_check_refuses(void **state)
{
	char why[256];

	(void)state;
	n_stmts = 0;
	assert_true(check_stmts("a.c", "#define MADO_DB_STMT(n, s, np) x\n", why, sizeof(why)));
	assert_true(
	    check_stmts("a.c", "MADO_DB_STMT(\"one\", \"SELECT 1\", 0);", why, sizeof(why)));
	assert_false(check_stmts("b.c", "MADO_DB_STMT_AS_PERSON(\n    \"one\", \"SELECT 2\", 1);",
				 why, sizeof(why)));
	assert_non_null(strstr(why, "a.c and b.c"));
	n_stmts = 0;
}

/* The random check finds the C library's generators called, and only called. */
static void
test_random_check(void **state)
{
	char why[256];

	(void)state;
	assert_false(check_random("a.c", "x = rand();", why, sizeof(why)));
	assert_non_null(strstr(why, "rand()"));
	assert_false(check_random("a.c", "srandom (time(NULL));", why, sizeof(why)));
	assert_false(check_random("a.c", "int r = (int)(drand48() * 6);", why, sizeof(why)));
	assert_false(
	    check_random("a.c", "arc4random_buf(b, 8); y = arc4random ( );", why, sizeof(why)));
	assert_true(
	    check_random("a.c", "mado_random(b, 16); RAND_bytes(b, 16);", why, sizeof(why)));
	assert_true(
	    check_random("a.c", "s->random = 1; t.rand(x); int random_len;", why, sizeof(why)));
}

/* The comparison check finds a secret compared by memcmp or strcmp, and leaves other
   comparisons and constant-time ones alone. */
static void
test_secret_compare_check(void **state)
{
	char why[256];

	(void)state;
	assert_false(
	    check_secret_compare("a.c", "if (strcmp(token, s.csrf) != 0)", why, sizeof(why)));
	assert_non_null(strstr(why, "csrf"));
	assert_false(
	    check_secret_compare("a.c", "ok = memcmp (mac, want_mac, 32) == 0;", why, sizeof(why)));
	assert_false(
	    check_secret_compare("a.c", "strncmp(\n    got, e->challenge, n)", why, sizeof(why)));
	assert_true(check_secret_compare("a.c", "mado_ct_equal(token, s.csrf, n); strcmp(a, b);",
					 why, sizeof(why)));
	assert_true(check_secret_compare("a.c", "strcmp(machine, tokenizer); x_memcmp(token);", why,
					 sizeof(why)));
}

/* The conditional-compilation check finds #if, #ifdef and #ifndef in C files, indented
   or not, and leaves headers' guards and the one exception alone. */
static void
test_unconditional_check(void **state)
{
	char why[256];

	(void)state;
	assert_false(check_unconditional("a.c", "int x;\n#ifdef DEBUG\nroute();\n#endif\n", why,
					 sizeof(why)));
	assert_non_null(strstr(why, "a.c"));
	assert_false(check_unconditional("a.c", "  #  if !defined(NDEBUG)\n", why, sizeof(why)));
	assert_false(
	    check_unconditional("a.c", "#ifndef MADO_VERIFY_NO_MAIN_X\n", why, sizeof(why)));
	assert_true(check_unconditional("a.h", "#ifndef MADO_A_H\n#define MADO_A_H\n#endif\n", why,
					sizeof(why)));
	assert_true(check_unconditional("a.c", "#include <x.h>\n#ifndef MADO_VERIFY_NO_MAIN\n", why,
					sizeof(why)));
}

/* The SQL check finds statements built by formatting or appending, across literals and
   lines, and leaves messages and literal statements alone. */
static void
test_sql_check(void **state)
{
	char why[256];

	(void)state;
	assert_false(
	    check_sql_built("a.c", "snprintf(q, sizeof(q), \"SELECT * FROM t WHERE id = %s\", id);",
			    why, sizeof(why)));
	assert_non_null(strstr(why, "SELECT"));
	assert_false(
	    check_sql_built("a.c",
			    "mado_text_printf(&t, \"DELETE \"\n\t\"FROM x WHERE k = '%s'\",\n"
			    "\t\t k);",
			    why, sizeof(why)));
	assert_false(check_sql_built("a.c", "mado_text_puts(&q, \" FROM portal.people\");", why,
				     sizeof(why)));
	assert_false(
	    check_sql_built("a.c", "strcat(q, \"UPDATE \"); f(')', \"x\");", why, sizeof(why)));
	assert_true(check_sql_built("a.c",
				    "fprintf(stderr, \"cannot reach the database (%s)\", x);\n"
				    "PQexec(c, \"SELECT 1\"); snprintf(b, 8, \"%c\", ')');",
				    why, sizeof(why)));
}

/* The whole tree keeps to the graph, its statements' names are unique, it calls none of
   the C library's generators, and it builds no SQL text. */
static void
test_tree_keeps_the_graph(void **state)
{
	(void)state;
	walk("server");
	walk("include/mado");
	assert_true(checked > 60);
	assert_true(n_stmts > 100);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checker_refuses),     cmocka_unit_test(test_checker_allows),
	    cmocka_unit_test(test_stmt_check_refuses),  cmocka_unit_test(test_random_check),
	    cmocka_unit_test(test_sql_check),           cmocka_unit_test(test_secret_compare_check),
	    cmocka_unit_test(test_unconditional_check), cmocka_unit_test(test_tree_keeps_the_graph),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
