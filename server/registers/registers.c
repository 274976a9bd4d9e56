/*
 * The operator's side of the registers (for mado rp-register, org-cert, basis-propose and
 * register-decide): who proposes and who decides, by their certificates. A proposer names
 * themself with a certificate of the organisation CA (the operator_cert setting, or
 * --as); an approver proves that they hold a supervisor staff certificate's private key.
 * The database then holds the two-person rule (sql/functions/registers.sql).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "mado/db.h"
#include "mado/err.h"
#include "mado/pki.h"
#include "mado/registers.h"
#include "registers_int.h"

/* The certificate's key hash and subject common name, once it passes the organisation
   trust checks now. */
static int
cert_identity(const struct mado_config *cfg, X509 *cert, char key_hash[65], char *name,
	      size_t namelen, char *why, size_t whylen)
{
	struct mado_pki_config pc;
	struct mado_pki_result res;
	struct mado_pki *pki;
	enum mado_pki_reason reason;
	int rc;

	if (*cfg->org_trust_dir == '\0') {
		snprintf(why, whylen, "org_trust_dir is not set");
		return MADO_E_GATEWAY_UNAVAILABLE;
	}
	mado_pki_config_from(cfg, MADO_PKI_ORGS, &pc);
	if ((rc = mado_pki_new(&pc, &pki, why, whylen)) != MADO_OK)
		return rc;
	reason = mado_pki_check_cert(pki, cert, time(NULL), MADO_PKI_REVOCATION_CONFIGURED, &res);
	mado_pki_free(pki);
	if (reason != MADO_PKI_PASS) {
		snprintf(why, whylen, "the certificate does not pass: %s %s",
			 mado_pki_reason_str(reason), res.detail);
		return MADO_E_ORG_CERT_UNKNOWN;
	}
	memcpy(key_hash, res.card.key_hash, 65);
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, name,
				      (int)namelen) <= 0)
		snprintf(name, namelen, "certificate %s", res.card.fingerprint);
	return MADO_OK;
}

int
mado_registers_propose(struct mado_db *db, const struct mado_config *cfg, const char *kind,
		       const char *content, const char *as_path, const char *note, char *why,
		       size_t whylen)
{
	const char *path = as_path != NULL ? as_path : cfg->operator_cert;
	char key[65], name[200];
	struct registers_made m;
	X509 *cert;
	int rc;

	if (path == NULL || *path == '\0') {
		snprintf(why, whylen, "name the proposer: --as FILE, or the operator_cert setting");
		return MADO_E_VALIDATION;
	}
	if ((cert = mado_pki_read_cert(path)) == NULL) {
		snprintf(why, whylen, "cannot read the proposer's certificate %s", path);
		return MADO_E_VALIDATION;
	}
	rc = cert_identity(cfg, cert, key, name, sizeof(name), why, whylen);
	X509_free(cert);
	if (rc != MADO_OK)
		return rc;
	if ((rc = registers__propose(db, kind, content, name, key, note != NULL ? note : "", &m)) !=
	    MADO_OK) {
		snprintf(why, whylen, "the database refused the proposal");
		return rc;
	}
	if (strcmp(m.reason, "unchanged") == 0) {
		snprintf(why, whylen, "no change: the %s register already says this", kind);
		return MADO_OK;
	}
	if (strcmp(m.reason, "pending") == 0) {
		snprintf(why, whylen, "proposal %s already awaits the supervisor's decision",
			 m.proposal);
		return MADO_OK;
	}
	if ((rc = mado_db_decision(m.reason, registers__reasons)) != MADO_OK) {
		snprintf(why, whylen, "refused: %s", m.reason);
		return rc;
	}
	snprintf(why, whylen,
		 "proposal %s made by %s; it takes effect once a supervisor staff member approves "
		 "it",
		 m.proposal, name);
	return MADO_OK;
}

struct decide_all {
	struct mado_db *db;
	bool approve;
	const char *ref, *note;
	char *why;
	size_t whylen;
	int decided;
	char ids[256][24];
	int n;
};

static int
collect_id(const void *row, int i, void *arg)
{
	struct decide_all *d = arg;
	const char *const *id = row;

	(void)i;
	if (d->n < (int)(sizeof(d->ids) / sizeof(d->ids[0])))
		snprintf(d->ids[d->n++], sizeof(d->ids[0]), "%s", *id);
	return MADO_OK;
}

static int
decide_one(struct decide_all *d, const char *id)
{
	struct registers_decided r;
	int rc;

	if ((rc = registers__decide(d->db, id, d->approve, d->ref, d->note, &r)) != MADO_OK) {
		snprintf(d->why, d->whylen, "proposal %s: the database refused", id);
		return rc;
	}
	if ((rc = mado_db_decision(r.reason, registers__reasons)) != MADO_OK) {
		snprintf(d->why, d->whylen, "proposal %s refused: %s", id, r.reason);
		return rc;
	}
	d->decided++;
	if (d->approve)
		snprintf(d->why, d->whylen, "proposal %s approved: version %s (%s) in force", id,
			 r.version, r.version_id);
	else
		snprintf(d->why, d->whylen, "proposal %s refused", id);
	return MADO_OK;
}

int
mado_registers_decide(struct mado_db *db, const struct mado_config *cfg, const char *proposal,
		      bool approve, const char *cert_path, const char *key_path, const char *note,
		      char *why, size_t whylen)
{
	struct decide_all d;
	char key[65], name[200], ref[24];
	EVP_PKEY *pkey = NULL;
	X509 *cert = NULL;
	FILE *f;
	int rc, i;

	memset(&d, 0, sizeof(d));
	if ((cert = mado_pki_read_cert(cert_path)) == NULL) {
		snprintf(why, whylen, "cannot read the certificate %s", cert_path);
		return MADO_E_VALIDATION;
	}
	if ((f = fopen(key_path, "r")) != NULL) {
		pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	/* The approver holds the key: a certificate alone is public. */
	if (pkey == NULL || X509_check_private_key(cert, pkey) != 1) {
		snprintf(why, whylen, "the key %s is not the certificate's", key_path);
		rc = MADO_E_VALIDATION;
		goto out;
	}
	if ((rc = cert_identity(cfg, cert, key, name, sizeof(name), why, whylen)) != MADO_OK)
		goto out;
	if ((rc = registers__staff_ref(db, key, ref, sizeof(ref))) != MADO_OK)
		goto out;
	if (ref[0] == '\0') {
		snprintf(why, whylen, "%s is no active staff member's certificate", name);
		rc = MADO_E_FORBIDDEN;
		goto out;
	}
	d.db = db;
	d.approve = approve;
	d.ref = ref;
	d.note = note != NULL ? note : "";
	d.why = why;
	d.whylen = whylen;
	if (proposal != NULL) {
		rc = decide_one(&d, proposal);
		goto out;
	}
	if ((rc = registers__pending_ids(db, collect_id, &d)) != MADO_OK)
		goto out;
	snprintf(why, whylen, "no proposal awaits a decision");
	for (i = 0; i < d.n && rc == MADO_OK; i++)
		rc = decide_one(&d, d.ids[i]);
	if (rc == MADO_OK && d.n > 1)
		snprintf(why, whylen, "%d proposals %s", d.decided,
			 approve ? "approved and in force" : "refused");
out:
	EVP_PKEY_free(pkey);
	X509_free(cert);
	return rc;
}
