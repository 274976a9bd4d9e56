/*
 * Registers: legal bases, private-service registrations and organisation certificates as
 * versioned, append-only registers. The operator proposes a change (the entry's whole new
 * content), naming themself by a certificate of the organisation CA; a supervisor staff
 * member with another certificate approves or refuses it; approval makes the entry's next
 * version and puts it in force. Every version stays readable (the public registers page),
 * and each access record names the version it was served under. Also the supervisor's
 * side of seals: the open seals per organisation, and the confirmation of a seal's
 * approval reference.
 */
#ifndef MADO_REGISTERS_H
#define MADO_REGISTERS_H

#include <stdbool.h>
#include <stddef.h>

#include "mado/common.h"
#include "mado/config.h"
#include "mado/db.h"
#include "mado/http.h"

extern const struct mado_route_set mado_registers_routes;

/*
 * Proposes a change of one entry: kind "legal-basis", "private-service" or "org-cert",
 * content a JSON object (sql/functions/registers.sql says its members). The proposer is
 * the holder of the certificate at as_path (the operator_cert setting when NULL), which
 * must pass the organisation trust checks. db is the schema owner's connection. Returns
 * MADO_OK with why naming the proposal (or saying that the entry already says so, or that
 * the same proposal awaits a decision), MADO_E_SENSITIVE_ITEM, MADO_E_VALIDATION (why
 * says which part), or another error.
 */
MADO_MUSTCHECK int mado_registers_propose(struct mado_db *db, const struct mado_config *cfg,
					  const char *kind, const char *content,
					  const char *as_path, const char *note, char *why,
					  size_t whylen);

/*
 * Decides proposal (its number; every proposal awaiting a decision when NULL) as the
 * supervisor staff member who holds the certificate at cert_path and its private key at
 * key_path (both checked here: the certificate passes the organisation trust checks and
 * the key is its key). Returns MADO_OK, or the first refusal with why saying it.
 */
MADO_MUSTCHECK int mado_registers_decide(struct mado_db *db, const struct mado_config *cfg,
					 const char *proposal, bool approve, const char *cert_path,
					 const char *key_path, const char *note, char *why,
					 size_t whylen);

#endif
