/*
 * mado basis-propose and mado register-decide: the operator proposes a change of a legal
 * basis (an organisation's purpose under one legal reference, and the items it covers);
 * a supervisor staff member approves or refuses proposals with their own certificate and
 * key. Both run with db_migrate_url, as the other operator commands do.
 *
 *   mado basis-propose --org CODE --purpose P --legal-ref REF --items I[,I...]
 *                      --law-ja TEXT --law-en TEXT [--sealable] [--valid-from D]
 *                      [--valid-until D] [--withdraw] [--as FILE] [--note TEXT]
 *   mado register-decide (--proposal N | --all-pending) [--refuse] --cert FILE --key FILE
 *                        [--note TEXT]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/registers.h"
#include "cli_int.h"

/* A checked comma-separated list as a JSON array. */
cJSON *
mado_cli__list_json(const char *list)
{
	cJSON *a = cJSON_CreateArray();
	const char *p = list;
	char item[512];
	size_t n;

	while (p != NULL && *p != '\0') {
		n = strcspn(p, ",");
		snprintf(item, sizeof(item), "%.*s", (int)n, p);
		cJSON_AddItemToArray(a, cJSON_CreateString(item));
		p = p[n] == ',' ? p + n + 1 : NULL;
	}
	return a;
}

/* Runs one proposal over the owner's connection and prints what happened. */
int
mado_cli__propose(const struct mado_cli *cli, const struct mado_config *cfg, const char *kind,
		  cJSON *content, const char *as, const char *note)
{
	char *text = cJSON_PrintUnformatted(content);
	struct mado_db *db = NULL;
	char why[512] = "";
	int rc, status = MADO_EXIT_FAIL;

	if (text == NULL)
		abort();
	if (mado_db_open_single(cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "%s: cannot reach the database: cannot connect (db_migrate_url)\n",
			cli->name);
		goto out;
	}
	rc = mado_registers_propose(db, cfg, kind, text, as, note, why, sizeof(why));
	if (rc == MADO_OK) {
		printf("%s\n", why);
		status = MADO_EXIT_OK;
	} else {
		fprintf(stderr, "%s: %s\n", cli->name, why);
	}
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	free(text);
	return status;
}

int
mado_cli_basis_propose(int argc, char **argv)
{
	const char *org = NULL, *purpose = NULL, *ref = NULL, *items = NULL, *ja = NULL, *en = NULL,
		   *from = NULL, *until = NULL, *as = NULL, *note = NULL, *config = NULL;
	bool sealable = false, withdraw = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the agency's organisation code"),
	    MADO_CLI_REQUIRED("purpose", "P", &purpose, "the purpose (code)"),
	    MADO_CLI_REQUIRED("legal-ref", "REF", &ref, "the legal reference (1 to 200 bytes)"),
	    MADO_CLI_REQUIRED("items", "I,..", &items, "the data items it covers"),
	    MADO_CLI_REQUIRED("law-ja", "TEXT", &ja, "the law, in Japanese"),
	    MADO_CLI_REQUIRED("law-en", "TEXT", &en, "the law, in English"),
	    MADO_CLI_FLAG("sealable", &sealable,
			  "a law-enforcement basis whose queries may be sealed"),
	    MADO_CLI_VALUE("valid-from", "DATE", &from, "in force from (default 2000-01-01)"),
	    MADO_CLI_VALUE("valid-until", "DATE", &until, "in force until (default: no end)"),
	    MADO_CLI_FLAG("withdraw", &withdraw, "end the basis"),
	    MADO_CLI_VALUE("as", "FILE", &as,
			   "the proposer's certificate (default: operator_cert)"),
	    MADO_CLI_VALUE("note", "TEXT", &note, "why (shown to the supervisor)"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado basis-propose",
	    .synopsis =
		"--org CODE --purpose P --legal-ref REF --items I[,I..] --law-ja TEXT\n"
		"                        --law-en TEXT [--sealable] [--valid-from DATE]"
		" [--valid-until DATE]\n"
		"                        [--withdraw] [--as FILE] [--note TEXT] [--config FILE]",
	    .about = "Propose a change of a legal basis; it takes effect once a supervisor staff "
		     "member approves it (mado register-decide).",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	char lit[1100];
	struct mado_config cfg;
	cJSON *c;
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if (!mado_check_kind(MADO_K_ORG, org) || !mado_check_kind(MADO_K_CODE, purpose) ||
	    !mado_list_literal(MADO_K_CODE, items, lit, sizeof(lit)) ||
	    (from != NULL && !mado_check_kind(MADO_K_DATE, from)) ||
	    (until != NULL && !mado_check_kind(MADO_K_DATE, until)))
		return mado_cli_usage_error(&cli, "codes are a-z0-9._- (organisations a-z0-9-) and "
						  "dates YYYY-MM-DD");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "org", org);
	cJSON_AddStringToObject(c, "purpose", purpose);
	cJSON_AddStringToObject(c, "legal_ref", ref);
	cJSON_AddItemToObject(c, "items", mado_cli__list_json(items));
	cJSON_AddStringToObject(c, "law_ja", ja);
	cJSON_AddStringToObject(c, "law_en", en);
	cJSON_AddBoolToObject(c, "sealable", sealable);
	cJSON_AddStringToObject(c, "valid_from", from != NULL ? from : "2000-01-01");
	if (until != NULL)
		cJSON_AddStringToObject(c, "valid_until", until);
	else
		cJSON_AddNullToObject(c, "valid_until");
	if (withdraw)
		cJSON_AddTrueToObject(c, "withdrawn");
	rc = mado_cli__propose(&cli, &cfg, "legal-basis", c, as, note);
	cJSON_Delete(c);
	mado_config_free(&cfg);
	return rc;
}

int
mado_cli_register_decide(int argc, char **argv)
{
	const char *proposal = NULL, *certpath = NULL, *keypath = NULL, *note = NULL,
		   *config = NULL;
	bool all = false, refuse = false;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_VALUE("proposal", "N", &proposal, "the proposal's number"),
	    MADO_CLI_FLAG("all-pending", &all, "every proposal awaiting a decision, oldest first"),
	    MADO_CLI_FLAG("refuse", &refuse, "refuse instead of approving"),
	    MADO_CLI_REQUIRED("cert", "FILE", &certpath,
			      "the supervisor staff member's certificate (mado staff-bind)"),
	    MADO_CLI_REQUIRED("key", "FILE", &keypath, "its private key (PEM)"),
	    MADO_CLI_VALUE("note", "TEXT", &note, "why"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado register-decide",
	    .synopsis = "(--proposal N | --all-pending) [--refuse] --cert FILE --key FILE\n"
			"                        [--note TEXT] [--config FILE]",
	    .about = "Approve (or refuse) register proposals as a supervisor staff member; the "
		     "proposer's own certificate is refused.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	struct mado_config cfg;
	struct mado_db *db = NULL;
	char why[512] = "";
	int rc, status = MADO_EXIT_FAIL;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	if ((proposal == NULL) == !all ||
	    (proposal != NULL && !mado_check_kind(MADO_K_ID, proposal)))
		return mado_cli_usage_error(&cli, "give --proposal N or --all-pending");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	if (mado_db_open_single(&cfg, true, &db) != MADO_OK) {
		fprintf(stderr, "%s: cannot connect (db_migrate_url)\n", cli.name);
		goto out;
	}
	rc = mado_registers_decide(db, &cfg, proposal, !refuse, certpath, keypath, note, why,
				   sizeof(why));
	if (rc == MADO_OK) {
		printf("%s\n", why);
		status = MADO_EXIT_OK;
	} else {
		fprintf(stderr, "%s: %s\n", cli.name, why);
	}
out:
	mado_db_release(db);
	mado_db_pool_shutdown();
	mado_config_free(&cfg);
	return status;
}
