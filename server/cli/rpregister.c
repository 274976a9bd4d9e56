/*
 * mado rp-register: proposes a private service's registration, as the operator does when
 * a company joins or its registration changes: its names, the purposes it may ask consent
 * for, the data items it may ever ask for (never sensitive ones), its redirect URIs, and
 * optionally its client certificate. Nothing changes until a supervisor staff member
 * approves the proposal (mado register-decide, or the supervisor's pages); the whole new
 * registration is proposed, never merged into the old one. Runs with db_migrate_url.
 *
 *   mado rp-register --org CODE --name-ja NAME --name-en NAME --purposes P[,P...]
 *                    --items I[,I...] --redirect URL[,URL...] [--cert FILE] [--as FILE]
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "mado/check.h"
#include "mado/cli.h"
#include "mado/config.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "cli_int.h"

int
mado_cli_rp_register(int argc, char **argv)
{
	const char *org = NULL, *ja = NULL, *en = NULL, *purposes = NULL, *items = NULL;
	const char *redirect = NULL, *certpath = NULL, *as = NULL, *note = NULL, *config = NULL;
	const struct mado_cli_opt opts[] = {
	    MADO_CLI_REQUIRED("org", "CODE", &org, "the service's organisation code"),
	    MADO_CLI_REQUIRED("name-ja", "NAME", &ja, "its name in Japanese"),
	    MADO_CLI_REQUIRED("name-en", "NAME", &en, "its name in English"),
	    MADO_CLI_REQUIRED("purposes", "P,..", &purposes,
			      "the purposes it may ask consent for (codes)"),
	    MADO_CLI_REQUIRED("items", "I,..", &items,
			      "the data items it may ever ask for (never sensitive ones)"),
	    MADO_CLI_REQUIRED("redirect", "URL,..", &redirect, "its redirect URIs (https)"),
	    MADO_CLI_VALUE("cert", "FILE", &certpath,
			   "its client certificate, proposed as org-cert does"),
	    MADO_CLI_VALUE("as", "FILE", &as,
			   "the proposer's certificate (default: operator_cert)"),
	    MADO_CLI_VALUE("note", "TEXT", &note, "why (shown to the supervisor)"),
	    MADO_CLI_CONFIG(&config),
	};
	struct mado_cli cli = {
	    .name = "mado rp-register",
	    .synopsis =
		"--org CODE --name-ja NAME --name-en NAME --purposes P[,P..]\n"
		"                        --items I[,I..] --redirect URL[,URL..] [--cert FILE]"
		" [--as FILE]\n"
		"                        [--note TEXT] [--config FILE]",
	    .about = "Propose a private service's registration (what it may ever ask consent "
		     "for); it takes effect once a supervisor staff member approves it.",
	    .opts = opts,
	    .nopts = MADO_NELEM(opts),
	};
	char lit[1100];
	struct mado_config cfg;
	cJSON *c;
	int rc;

	if ((rc = mado_cli_parse(&cli, argc, argv)) != MADO_CLI_RUN)
		return rc;
	/* The same checks the registration makes, before anything is opened. */
	if (!mado_check_kind(MADO_K_ORG, org) ||
	    !mado_list_literal(MADO_K_CODE, purposes, lit, sizeof(lit)) ||
	    !mado_list_literal(MADO_K_CODE, items, lit, sizeof(lit)) ||
	    !mado_list_literal(MADO_K_URL, redirect, lit, sizeof(lit)))
		return mado_cli_usage_error(&cli, "codes are a-z0-9._- (organisations a-z0-9-) and "
						  "redirects https URLs, or http on loopback");
	if (mado_cli_config(&cli, config, MADO_CONFIG_COMMAND, &cfg) != 0)
		return MADO_EXIT_USAGE;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "org", org);
	cJSON_AddStringToObject(c, "name_ja", ja);
	cJSON_AddStringToObject(c, "name_en", en);
	cJSON_AddItemToObject(c, "purposes", mado_cli__list_json(purposes));
	cJSON_AddItemToObject(c, "items", mado_cli__list_json(items));
	cJSON_AddItemToObject(c, "redirect_uris", mado_cli__list_json(redirect));
	rc = mado_cli__propose(&cli, &cfg, "private-service", c, as, note);
	cJSON_Delete(c);
	if (rc == MADO_EXIT_OK && certpath != NULL)
		rc = mado_cli__propose_org_cert(&cli, &cfg, org, certpath, as, note);
	mado_config_free(&cfg);
	return rc;
}
