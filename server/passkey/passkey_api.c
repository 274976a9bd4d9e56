/*
 * Passkeys and cross-device login over HTTP: adding a device (the card in the session),
 * the person's devices, passkey login, and the code a computer shows for the phone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "mado/auth.h"
#include "mado/db.h"
#include "mado/err.h"
#include "mado/http.h"
#include "mado/json.h"
#include "mado/log.h"
#include "mado/passkey.h"
#include "mado/util.h"
#include "passkey_int.h"

static struct {
	char *origin;
	char *rp_id;
} pk_s;

void
mado_passkey_init(const struct mado_config *cfg)
{
	const char *host = strstr(cfg->public_origin, "://");
	size_t n;

	mado_passkey_free();
	pk_s.origin = mado_xstrdup(cfg->public_origin);
	/* The relying party id is the origin's host, without its port. */
	host = host != NULL ? host + 3 : cfg->public_origin;
	n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");
	pk_s.rp_id = mado_xmalloc(n + 1);
	memcpy(pk_s.rp_id, host, n);
	pk_s.rp_id[n] = '\0';
}

void
mado_passkey_free(void)
{
	free(pk_s.origin);
	free(pk_s.rp_id);
	memset(&pk_s, 0, sizeof(pk_s));
}

static const char *
origin(void)
{
	return pk_s.origin != NULL ? pk_s.origin : "";
}

static const char *
rp_id(void)
{
	return pk_s.rp_id != NULL ? pk_s.rp_id : "";
}

/* The challenge as WebAuthn carries it: its 32 bytes in base64url. */
static int
challenge_b64url(const char *nonce, char out[64])
{
	size_t n = 0;
	unsigned char *raw = mado_b64_decode(nonce, strlen(nonce), &n);

	if (raw == NULL || n > 40) {
		free(raw);
		return MADO_E_INTERNAL;
	}
	mado_b64url(raw, n, out);
	free(raw);
	return MADO_OK;
}

/* A refusal naming what did not verify. */
static int
refuse(struct mado_req *rq, enum pk_reason r)
{
	return mado_http_refuse(rq,
				r == PK_CARD_REVOKED ? MADO_E_CARD_REVOKED : MADO_E_PASSKEY_REFUSED,
				pk_reason_str(r));
}

/* "\x" and hex of bytes, a bytea parameter (caller frees). */
static char *
bytea_hex(const unsigned char *b, size_t n)
{
	char *hex = mado_xmalloc(2 * n + 3);

	memcpy(hex, "\\x", 2);
	mado_hex(b, n, hex + 2);
	return hex;
}

/* The user handle the authenticator keeps: derived from the person, naming nobody. */
static void
user_handle(const char *person_id, char out[48])
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	char buf[96];

	snprintf(buf, sizeof(buf), "mado-passkey-user:%s", person_id);
	SHA256((const unsigned char *)buf, strlen(buf), md);
	mado_b64url(md, sizeof(md), out);
}

static void
add_params(cJSON *out)
{
	static const int algs[] = {PK_ES256, PK_EDDSA, PK_RS256};
	cJSON *arr = cJSON_AddArrayToObject(out, "pubKeyCredParams"), *p;
	size_t i;

	for (i = 0; i < MADO_NELEM(algs); i++) {
		p = cJSON_CreateObject();
		cJSON_AddStringToObject(p, "type", "public-key");
		cJSON_AddNumberToObject(p, "alg", algs[i]);
		cJSON_AddItemToArray(arr, p);
	}
}

/* The options for navigator.credentials.create, for person_id, with the challenge nonce. */
static int
creation_options(struct mado_req *rq, struct mado_db *db, const char *person_id, const char *nonce)
{
	char chal[64], handle[48];
	cJSON *out, *o, *excl;
	int rc;

	if ((rc = challenge_b64url(nonce, chal)) != MADO_OK)
		return rc;
	user_handle(person_id, handle);
	out = cJSON_CreateObject();
	o = cJSON_AddObjectToObject(out, "rp");
	cJSON_AddStringToObject(o, "id", rp_id());
	cJSON_AddStringToObject(o, "name", "Mado");
	o = cJSON_AddObjectToObject(out, "user");
	cJSON_AddStringToObject(o, "id", handle);
	cJSON_AddStringToObject(o, "name", "mado");
	cJSON_AddStringToObject(o, "displayName", "Mado");
	cJSON_AddStringToObject(out, "challenge", chal);
	add_params(out);
	cJSON_AddNumberToObject(out, "timeout", 300000);
	o = cJSON_AddObjectToObject(out, "authenticatorSelection");
	cJSON_AddStringToObject(o, "residentKey", "required");
	cJSON_AddBoolToObject(o, "requireResidentKey", true);
	cJSON_AddStringToObject(o, "userVerification", "required");
	cJSON_AddStringToObject(out, "attestation", "none");
	excl = cJSON_AddArrayToObject(out, "excludeCredentials");
	if ((rc = pk__cred_ids(db, person_id, excl)) != MADO_OK) {
		cJSON_Delete(out);
		return rc;
	}
	return mado_http_json(rq, 200, out);
}

/* Adding a device, step one: the options for navigator.credentials.create. */
static int
add_options(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE];
	struct mado_db *db;
	int rc;

	if ((rc = mado_auth_challenge(rq, true, false, nonce)) != MADO_OK ||
	    (rc = mado_http_db(rq, &db)) != MADO_OK)
		return rc;
	return creation_options(rq, db, rq->actor.person_id, nonce);
}

/* Checks the registration in rq's body against the challenge nonce and keeps the passkey
   for person_id under binding_id (its id in id): MADO_OK, or the refusal answered. */
static int
register_device(struct mado_req *rq, const char *nonce, const char *person_id,
		const char *binding_id, char id[24])
{
	char chal[64], *cred_hex = NULL, *key_hex = NULL;
	unsigned char *cd = NULL, *att = NULL, *der = NULL;
	size_t cdlen = 0, attlen = 0;
	struct pk_stored pk;
	struct pk_expect e;
	struct pk_new n;
	enum pk_reason r;
	struct mado_db *db;
	bool dup = false;
	int rc, derlen;

	memset(&n, 0, sizeof(n));
	if ((rc = challenge_b64url(nonce, chal)) != MADO_OK)
		return rc;
	cd = pk_b64url_decode(mado_http_str(rq, "client_data_json"), &cdlen);
	att = pk_b64url_decode(mado_http_str(rq, "attestation_object"), &attlen);
	e.type = "webauthn.create";
	e.challenge = chal;
	e.origin = origin();
	e.rp_id = rp_id();
	if (cd == NULL || att == NULL)
		r = PK_CLIENT_DATA;
	else
		r = pk_register(att, attlen, cd, cdlen, &e, &n);
	free(cd);
	free(att);
	if (r != PK_OK)
		return refuse(rq, r);
	if ((derlen = i2d_PUBKEY(n.key, &der)) <= 0) {
		EVP_PKEY_free(n.key);
		return MADO_E_INTERNAL;
	}
	cred_hex = bytea_hex(n.cred_id, n.cred_id_len);
	key_hex = bytea_hex(der, (size_t)derlen);
	OPENSSL_free(der);
	EVP_PKEY_free(n.key);
	if ((rc = mado_http_db(rq, &db)) == MADO_OK)
		rc = pk__add(db, person_id, binding_id, cred_hex, key_hex, n.alg, n.sign_count,
			     mado_http_str(rq, "name"), n.attestation, &dup);
	if (rc == MADO_OK && !dup)
		rc = pk__find(db, cred_hex, &pk);
	free(cred_hex);
	free(key_hex);
	if (rc != MADO_OK)
		return rc;
	if (dup)
		return mado_http_fail(rq, MADO_E_CONFLICT, "this device is already added");
	snprintf(id, 24, "%s", pk.id);
	mado_log_info(rq->id, "passkey: a device added (%s attestation)", n.attestation);
	return MADO_OK;
}

/* Adding a device, step two: the authenticator's answer, checked and kept. */
static int
add(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE], id[24];
	cJSON *out;
	int rc;

	/* The challenge is spent first, whatever comes of the answer. */
	if ((rc = mado_auth_challenge_take(rq, true, nonce)) != MADO_OK ||
	    (rc = register_device(rq, nonce, rq->actor.person_id, rq->actor.binding_id, id)) !=
		MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "status", "added");
	return mado_http_json(rq, 201, out);
}

static const struct mado_jmember device_json[] = {
    MADO_JM(STR, pk_listed, id, "id"),
    MADO_JM(STR, pk_listed, name, "name"),
    MADO_JM(STR, pk_listed, attestation, "attestation"),
    MADO_JM(STR, pk_listed, algorithm, "algorithm"),
    MADO_JM(OPT, pk_listed, added_at, "added_at"),
    MADO_JM(OPT, pk_listed, last_used_at, "last_used_at"),
};

static int
list(struct mado_req *rq)
{
	return mado_http_rows(rq, "items", pk__list, rq->actor.person_id, MADO_COLS(device_json));
}

static int
remove_one(struct mado_req *rq)
{
	struct mado_db *db;
	bool found = false;
	int rc;

	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__remove(db, rq->actor.person_id, rq->params[0], &found)) != MADO_OK)
		return rc;
	if (!found)
		return mado_http_fail(rq, MADO_E_NOT_FOUND, "no such device of yours");
	return mado_http_no_content(rq);
}

/* Passkey login, step one: a challenge for this browser, as for the card. */
static int
login_options(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE], chal[64];
	cJSON *out;
	int rc;

	if ((rc = mado_auth_challenge(rq, false, mado_http_query_true(rq, "shared"), nonce)) !=
		MADO_OK ||
	    (rc = challenge_b64url(nonce, chal)) != MADO_OK)
		return rc;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "challenge", chal);
	cJSON_AddStringToObject(out, "rpId", rp_id());
	cJSON_AddStringToObject(out, "userVerification", "required");
	cJSON_AddNumberToObject(out, "timeout", 300000);
	cJSON_AddArrayToObject(out, "allowCredentials");
	return mado_http_json(rq, 200, out);
}

/* The stored key (bytea in text form, SubjectPublicKeyInfo), or NULL. */
static EVP_PKEY *
stored_key(const char *text)
{
	size_t len = 0;
	unsigned char *der = PQunescapeBytea((const unsigned char *)text, &len);
	const unsigned char *p = der;
	EVP_PKEY *key = der != NULL ? d2i_PUBKEY(NULL, &p, (long)len) : NULL;

	PQfreemem(der);
	return key;
}

/* Checks the assertion against the stored passkey: client data, authenticator data,
   signature; *count gets the authenticator's counter. */
static enum pk_reason
check_assertion(struct mado_req *rq, const struct pk_stored *pk, const char *chal, uint32_t *count)
{
	unsigned char *cd = NULL, *ad = NULL, *sig = NULL;
	size_t cdlen = 0, adlen = 0, siglen = 0;
	struct pk_auth_data a;
	struct pk_expect e = {"webauthn.get", chal, origin(), rp_id()};
	enum pk_reason r;
	EVP_PKEY *key = NULL;

	cd = pk_b64url_decode(mado_http_str(rq, "client_data_json"), &cdlen);
	ad = pk_b64url_decode(mado_http_str(rq, "authenticator_data"), &adlen);
	sig = pk_b64url_decode(mado_http_str(rq, "signature"), &siglen);
	if (cd == NULL || ad == NULL || sig == NULL)
		r = PK_CLIENT_DATA;
	else if ((r = pk_client_data(cd, cdlen, &e)) == PK_OK &&
		 (r = pk_auth_data(ad, adlen, rp_id(), false, &a)) == PK_OK) {
		*count = a.sign_count;
		r = (key = stored_key(pk->public_key)) == NULL
			? PK_KEY
			: pk_verify(key, pk->alg, ad, adlen, cd, cdlen, sig, siglen);
	}
	EVP_PKEY_free(key);
	free(cd);
	free(ad);
	free(sig);
	return r;
}

/* Passkey login, step two: the assertion; a session when it verifies. */
static int
login(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE], chal[64], *cred_hex;
	struct mado_auth_login l;
	unsigned char *cred;
	struct pk_stored pk;
	struct mado_db *db;
	enum pk_reason r;
	uint32_t count = 0;
	size_t credlen = 0;
	bool moved = false;
	int rc;

	/* No challenge, no attempt; and the challenge goes, whatever comes of this one. */
	if ((rc = mado_auth_challenge_take(rq, false, nonce)) != MADO_OK ||
	    (rc = challenge_b64url(nonce, chal)) != MADO_OK)
		return rc;
	if ((cred = pk_b64url_decode(mado_http_str(rq, "credential_id"), &credlen)) == NULL)
		return refuse(rq, PK_UNKNOWN);
	cred_hex = bytea_hex(cred, credlen);
	free(cred);
	rc = mado_http_db(rq, &db);
	if (rc == MADO_OK)
		rc = pk__find(db, cred_hex, &pk);
	free(cred_hex);
	if (rc != MADO_OK)
		return rc;
	if (!pk.found)
		return refuse(rq, PK_UNKNOWN);
	r = check_assertion(rq, &pk, chal, &count);
	/* A card revoked ends its passkeys; a proven key is told so. */
	if (r == PK_OK && pk.revoked)
		r = PK_CARD_REVOKED;
	if (r == PK_OK && !pk_counter_ok((uint32_t)pk.sign_count, count)) {
		/* A copy of the device may be in use: refused, and the person is told. */
		mado_log_warn(rq->id, "passkey: signature counter went backwards; login refused");
		if ((rc = pk__counter_regressed(db, pk.person_id)) != MADO_OK)
			return rc;
		return refuse(rq, PK_COUNTER);
	}
	if (r != PK_OK) {
		if ((rc = pk__failure(db, pk.person_id, pk_reason_str(r))) != MADO_OK)
			return rc;
		return refuse(rq, r);
	}
	/* Compare and set: two logins with the same answer move the counter once. */
	if ((rc = pk__used(db, pk.id, count, &moved)) != MADO_OK)
		return rc;
	if (!moved) {
		if ((rc = pk__failure(db, pk.person_id, "counter")) != MADO_OK)
			return rc;
		return refuse(rq, PK_COUNTER);
	}
	l.person_id = pk.person_id;
	l.binding_id = pk.binding_id;
	l.method = "passkey";
	l.passkey_id = pk.id;
	if ((rc = mado_auth_login(rq, &l)) == MADO_OK)
		mado_log_info(rq->id, "passkey: login");
	return rc;
}

/* Cross-device codes: 12 characters of Crockford's base32 (60 bits), typed or scanned. */
static const char CODE_ALPHABET[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
#define CODE_LEN 12

static bool
code_ok(const char *code)
{
	size_t i;

	for (i = 0; code[i] != '\0'; i++)
		if (strchr(CODE_ALPHABET, code[i]) == NULL)
			return false;
	return i == CODE_LEN;
}

static int
random_number(int lo, int hi, int *out)
{
	unsigned int v;

	if (mado_random(&v, sizeof(v)) != 0)
		return MADO_E_INTERNAL;
	*out = lo + (int)(v % (unsigned)(hi - lo + 1));
	return MADO_OK;
}

static const char *
code_reason(const struct pk_code *c)
{
	if (!c->found)
		return "unknown";
	if (strcmp(c->state, "refused") == 0)
		return "wrong-number";
	if (strcmp(c->state, "used") == 0)
		return "used";
	if (strcmp(c->state, "approved") == 0)
		return c->expired ? "expired" : "used";
	return c->expired ? "expired" : "";
}

/* A new code (and its SHA-256 in hex) and a two-digit number. */
static int
code_make(char code[CODE_LEN + 1], char hash[65], int *number)
{
	unsigned char raw[CODE_LEN];
	int i, rc;

	if ((rc = random_number(10, 99, number)) != MADO_OK)
		return rc;
	if (mado_random(raw, sizeof(raw)) != 0)
		return MADO_E_INTERNAL;
	for (i = 0; i < CODE_LEN; i++)
		code[i] = CODE_ALPHABET[raw[i] & 31];
	code[CODE_LEN] = '\0';
	mado_sha256_hex(code, CODE_LEN, hash);
	return MADO_OK;
}

/* The computer's answer: the code, its link (the phone page `page`) as a QR code, and the
   number to show. */
static int
code_answer_json(struct mado_req *rq, const char *page, const char *code, int number)
{
	char link[512], *svg;
	cJSON *out;

	snprintf(link, sizeof(link), "%s/#/%s?c=%s", origin(), page, code);
	if ((svg = pk_qr_svg(link)) == NULL)
		return MADO_E_INTERNAL;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "code", code);
	cJSON_AddStringToObject(out, "link", link);
	cJSON_AddStringToObject(out, "svg", svg);
	cJSON_AddNumberToObject(out, "number", number);
	cJSON_AddNumberToObject(out, "expires_in", PK_CODE_TTL_S);
	free(svg);
	return mado_http_json(rq, 200, out);
}

/* The asking browser's User-Agent as the phone will show it: any client's bytes, made
   printable UTF-8 and cut to the column's 256. */
static void
user_agent(struct mado_req *rq, char *out, size_t cap)
{
	const char *ua = mado_http_req_header(rq, "User-Agent");

	mado_text_shown(out, cap, ua != NULL ? ua : "");
}

/* The computer: a code and a number for the phone. */
static int
code_new(struct mado_req *rq)
{
	char key[MADO_HASH_PARAM_LEN], code[CODE_LEN + 1], hash[65], net[64], ua[257];
	struct mado_db *db;
	int rc, number;

	if ((rc = mado_auth_prelogin(rq, mado_http_query_true(rq, "shared"), key)) != MADO_OK ||
	    (rc = code_make(code, hash, &number)) != MADO_OK)
		return rc;
	mado_auth_coarse_net(mado_http_client_addr(rq), net, sizeof(net));
	user_agent(rq, ua, sizeof(ua));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__code_new(db, hash, key, number, ua, net)) != MADO_OK)
		return rc;
	return code_answer_json(rq, "qr", code, number);
}

/* The computer asks whether its code was answered: waiting, a session, or why not. */
static int
code_poll(struct mado_req *rq)
{
	struct mado_auth_login l;
	struct pk_code c;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!rq->actor.session || rq->actor.authenticated)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__code_of_session(db, rq->actor.session_hex, &c)) != MADO_OK)
		return rc;
	if (c.found && strcmp(c.state, "approved") == 0) {
		l.person_id = c.person_id;
		l.binding_id = c.binding_id;
		l.method = "cross-device";
		l.passkey_id = NULL;
		if ((rc = mado_auth_login(rq, &l)) == MADO_OK)
			mado_log_info(rq->id, "passkey: cross-device login");
		return rc;
	}
	if (c.found && strcmp(c.state, "waiting") == 0 && !c.expired) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "status", "waiting");
		return mado_http_json(rq, 200, out);
	}
	return mado_http_refuse(rq, MADO_E_GRANT_INVALID, code_reason(&c));
}

/* The phone: which computer asks, and three numbers to pick from, for a code of kind. */
static int
code_show_kind(struct mado_req *rq, const char *kind)
{
	char hash[65];
	struct pk_code c;
	struct mado_db *db;
	int rc, choices[3], i, j, k;
	cJSON *out, *arr;

	if (!code_ok(rq->params[0]))
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	mado_sha256_hex(rq->params[0], CODE_LEN, hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__code_get(db, hash, kind, &c)) != MADO_OK)
		return rc;
	if (*code_reason(&c) != '\0')
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, code_reason(&c));
	/* The right number among two others, in a random place. */
	choices[0] = c.number;
	for (i = 1; i < 3; i++) {
		do {
			if ((rc = random_number(10, 99, &choices[i])) != MADO_OK)
				return rc;
			for (k = 0, j = 0; j < i; j++)
				k |= choices[j] == choices[i];
		} while (k);
	}
	if ((rc = random_number(0, 2, &j)) != MADO_OK)
		return rc;
	k = choices[0], choices[0] = choices[j], choices[j] = k;
	out = cJSON_CreateObject();
	cJSON_AddStringToObject(out, "browser", c.user_agent);
	cJSON_AddStringToObject(out, "requested_at", c.created);
	if (c.client_net[0] != '\0')
		cJSON_AddStringToObject(out, "network", c.client_net);
	arr = cJSON_AddArrayToObject(out, "choices");
	for (i = 0; i < 3; i++)
		cJSON_AddItemToArray(arr, cJSON_CreateNumber(choices[i]));
	return mado_http_json(rq, 200, out);
}

static int
code_show(struct mado_req *rq)
{
	return code_show_kind(rq, "login");
}

/* The phone: the number the person picked. Right: the computer logs in; wrong: the code
   ends. */
static int
code_answer(struct mado_req *rq)
{
	char hash[65], state[16];
	struct pk_code c;
	struct mado_db *db;
	cJSON *out;
	int rc;

	if (!code_ok(rq->params[0]))
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	mado_sha256_hex(rq->params[0], CODE_LEN, hash);
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__code_answer(db, hash, (int)mado_http_int(rq, "number", 0),
				  rq->actor.person_id, rq->actor.binding_id, state)) != MADO_OK)
		return rc;
	if (strcmp(state, "approved") == 0) {
		out = cJSON_CreateObject();
		cJSON_AddStringToObject(out, "status", "approved");
		return mado_http_json(rq, 200, out);
	}
	if (strcmp(state, "refused") == 0)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "wrong-number");
	if ((rc = pk__code_get(db, hash, "login", &c)) != MADO_OK)
		return rc;
	return mado_http_refuse(rq, MADO_E_GRANT_INVALID,
				*code_reason(&c) != '\0' ? code_reason(&c) : "used");
}

/*
 * "Add this phone": the computer, in a card session, shows a code; the phone (not logged
 * in) opens it, picks the computer's number, creates a passkey bound to the code's person
 * and card with a challenge on its own pre-login session, and has a session.
 */
static int
phone_code_new(struct mado_req *rq)
{
	char code[CODE_LEN + 1], hash[65], net[64], ua[257];
	struct mado_db *db;
	int rc, number;

	if ((rc = code_make(code, hash, &number)) != MADO_OK)
		return rc;
	mado_auth_coarse_net(mado_http_client_addr(rq), net, sizeof(net));
	user_agent(rq, ua, sizeof(ua));
	if ((rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__phone_new(db, hash, rq->actor.session_hex, number, ua, net,
				rq->actor.person_id, rq->actor.binding_id)) != MADO_OK)
		return rc;
	return code_answer_json(rq, "add-phone", code, number);
}

static int
phone_show(struct mado_req *rq)
{
	return code_show_kind(rq, "add-device");
}

/* Why a phone code does not answer (anything but waiting). */
static int
phone_refuse(struct mado_req *rq, struct mado_db *db, const char *hash)
{
	struct pk_code c;
	int rc;

	if ((rc = pk__code_get(db, hash, "add-device", &c)) != MADO_OK)
		return rc;
	return mado_http_refuse(rq, MADO_E_GRANT_INVALID,
				*code_reason(&c) != '\0' ? code_reason(&c) : "used");
}

/* The phone's pick: the right number gets the creation options, with a challenge on the
   phone's pre-login session; a wrong one ends the code. */
static int
phone_answer(struct mado_req *rq)
{
	char key[MADO_HASH_PARAM_LEN], nonce[MADO_AUTH_NONCE_SIZE], hash[65];
	struct pk_code c;
	struct mado_db *db;
	int rc;

	if (!code_ok(rq->params[0]))
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	mado_sha256_hex(rq->params[0], CODE_LEN, hash);
	if ((rc = mado_auth_prelogin(rq, false, key)) != MADO_OK ||
	    (rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__phone_answer(db, hash, (int)mado_http_int(rq, "number", 0), key, &c)) !=
		MADO_OK)
		return rc;
	if (strcmp(c.state, "refused") == 0)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "wrong-number");
	if (strcmp(c.state, "approved") != 0)
		return phone_refuse(rq, db, hash);
	if ((rc = mado_auth_challenge(rq, false, false, nonce)) != MADO_OK)
		return rc;
	return creation_options(rq, db, c.person_id, nonce);
}

/* The phone's passkey: the code spent, the registration checked and kept, a session. */
static int
phone_add(struct mado_req *rq)
{
	char nonce[MADO_AUTH_NONCE_SIZE], hash[65], id[24];
	struct mado_auth_login l;
	struct pk_code c;
	struct mado_db *db;
	int rc;

	if (!code_ok(rq->params[0]) || !rq->actor.session || rq->actor.authenticated)
		return mado_http_refuse(rq, MADO_E_GRANT_INVALID, "unknown");
	mado_sha256_hex(rq->params[0], CODE_LEN, hash);
	/* The challenge and the code are spent first, whatever comes of the answer. */
	if ((rc = mado_auth_challenge_take(rq, false, nonce)) != MADO_OK ||
	    (rc = mado_http_db(rq, &db)) != MADO_OK ||
	    (rc = pk__phone_take(db, hash, rq->actor.session_hex, &c)) != MADO_OK)
		return rc;
	if (!c.found)
		return phone_refuse(rq, db, hash);
	if ((rc = register_device(rq, nonce, c.person_id, c.binding_id, id)) != MADO_OK)
		return rc;
	l.person_id = c.person_id;
	l.binding_id = c.binding_id;
	l.method = "passkey";
	l.passkey_id = id;
	if ((rc = mado_auth_login(rq, &l)) == MADO_OK)
		mado_log_info(rq->id, "passkey: a phone added and logged in");
	return rc;
}

static const struct mado_field add_body[] = {
    {.name = "name",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 1,
     .max = 64,
     .hint = "what to call the device"},
    {.name = "client_data_json",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 16,
     .max = 4096,
     .hint = "clientDataJSON in base64url"},
    {.name = "attestation_object",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 16,
     .max = 16384,
     .hint = "attestationObject in base64url"},
    MADO_FIELDS_END,
};

static const struct mado_field login_body[] = {
    {.name = "credential_id",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 16,
     .max = 1400,
     .hint = "the credential's rawId in base64url"},
    {.name = "client_data_json",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 16,
     .max = 4096,
     .hint = "clientDataJSON in base64url"},
    {.name = "authenticator_data",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 16,
     .max = 4096,
     .hint = "authenticatorData in base64url"},
    {.name = "signature",
     .kind = MADO_K_TEXT,
     .required = true,
     .min = 16,
     .max = 1024,
     .hint = "the signature in base64url"},
    {.name = "user_handle", .kind = MADO_K_TEXT, .max = 128, .hint = "userHandle in base64url"},
    MADO_FIELDS_END,
};

static const struct mado_field id_path[] = {
    {.name = "id", .kind = MADO_K_ID, .hint = "a device's id from /api/v1/passkeys"},
    MADO_FIELDS_END,
};

static const struct mado_field code_path[] = {
    /* Checked in full by the handler: a wrong code is an unknown one (grant-invalid). */
    {.name = "code",
     .kind = MADO_K_TEXT,
     .min = 1,
     .max = 32,
     .hint = "the 12-character code the computer shows"},
    MADO_FIELDS_END,
};

static const struct mado_field answer_body[] = {
    {.name = "number",
     .kind = MADO_K_INT,
     .required = true,
     .min = 10,
     .max = 99,
     .hint = "the two-digit number the computer shows"},
    MADO_FIELDS_END,
};

static const struct mado_field shared_query[] = {
    {.name = "shared", .kind = MADO_K_BOOL, .hint = "true on a shared computer"},
    MADO_FIELDS_END,
};

static const struct mado_route routes[] = {
    {.method = "POST",
     .pattern = "/api/v1/passkeys/options",
     .handler = add_options,
     .needs_card = true},
    {.method = "POST",
     .pattern = "/api/v1/passkeys",
     .handler = add,
     .needs_card = true,
     .body = MADO_BODY_OBJECT,
     .fields = add_body,
     .body_max = 32768},
    {.method = "POST",
     .pattern = "/api/v1/passkeys/phone-code",
     .handler = phone_code_new,
     .needs_card = true},
    {.method = "GET",
     .pattern = "/api/v1/add-phone/{code}",
     .handler = phone_show,
     .caller = MADO_VISITOR,
     .path = code_path},
    {.method = "POST",
     .pattern = "/api/v1/add-phone/{code}",
     .handler = phone_answer,
     .caller = MADO_VISITOR,
     .path = code_path,
     .body = MADO_BODY_OBJECT,
     .fields = answer_body,
     .body_max = 256,
     .rate_limited = true},
    {.method = "POST",
     .pattern = "/api/v1/add-phone/{code}/passkey",
     .handler = phone_add,
     .caller = MADO_VISITOR,
     .path = code_path,
     .body = MADO_BODY_OBJECT,
     .fields = add_body,
     .body_max = 32768,
     .rate_limited = true},
    {.method = "GET", .pattern = "/api/v1/passkeys", .handler = list},
    {.method = "DELETE",
     .pattern = "/api/v1/passkeys/{id}",
     .handler = remove_one,
     .path = id_path},
    {.method = "POST",
     .pattern = "/api/v1/auth/passkey/challenge",
     .handler = login_options,
     .caller = MADO_VISITOR,
     .query = shared_query,
     .rate_limited = true},
    /* A login attempt: each one spends a challenge, and challenges are rate-limited. */
    {.method = "POST",
     .pattern = "/api/v1/auth/passkey",
     .handler = login,
     .caller = MADO_VISITOR,
     .body = MADO_BODY_OBJECT,
     .fields = login_body,
     .body_max = 16384},
    {.method = "POST",
     .pattern = "/api/v1/auth/cross-device",
     .handler = code_new,
     .caller = MADO_VISITOR,
     .query = shared_query,
     .rate_limited = true},
    /* The computer's waiting page asks every few seconds; only its own code answers. */
    {.method = "POST",
     .pattern = "/api/v1/auth/cross-device/poll",
     .handler = code_poll,
     .caller = MADO_VISITOR},
    {.method = "GET",
     .pattern = "/api/v1/cross-device/{code}",
     .handler = code_show,
     .path = code_path},
    {.method = "POST",
     .pattern = "/api/v1/cross-device/{code}",
     .handler = code_answer,
     .path = code_path,
     .body = MADO_BODY_OBJECT,
     .fields = answer_body,
     .body_max = 256},
};

const struct mado_route_set mado_passkey_routes = MADO_ROUTE_SET("passkey", routes);
