/*
 * Passkeys and cross-device login against a real mado and PostgreSQL. The authenticator
 * is played here: an EC P-256 (or Ed25519) key signing authenticator data || SHA-256
 * (clientDataJSON), its attestation object and COSE key made with libcbor's builder.
 * A device is added in a card session (never in a passkey session without the card, the
 * step-up lifts that); a passkey login opens a session with method passkey; replayed,
 * foreign-origin, wrong-rpId, unverified and counter-going-backwards answers are refused
 * (the last one with a notice); a revoked card ends the device's sessions and logins;
 * removing a device ends its sessions. The computer's code: the right number logs the
 * computer in once; a wrong number, an expired code, a used code are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cbor.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "harness.h"

static struct th_env env;

#define UP 0x01
#define UV 0x04
#define AT 0x40

static int
setup(void **state)
{
	*state = &env;
	if (th_setup_cards(&env, NULL) != 0)
		return -1;
	return 0;
}

/* --- encoding --- */

static char *
b64url(const unsigned char *d, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *o = malloc(n * 4 / 3 + 4), *p = o;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*p++ = a[d[i] >> 2];
		*p++ = a[(d[i] & 3) << 4 | d[i + 1] >> 4];
		*p++ = a[(d[i + 1] & 15) << 2 | d[i + 2] >> 6];
		*p++ = a[d[i + 2] & 63];
	}
	if (n - i == 1) {
		*p++ = a[d[i] >> 2];
		*p++ = a[(d[i] & 3) << 4];
	} else if (n - i == 2) {
		*p++ = a[d[i] >> 2];
		*p++ = a[(d[i] & 3) << 4 | d[i + 1] >> 4];
		*p++ = a[(d[i + 1] & 15) << 2];
	}
	*p = '\0';
	return o;
}

/* --- the authenticator --- */

struct device {
	EVP_PKEY *key;
	int alg;
	unsigned char cred[32];
	uint32_t count;
};

static void
device_new(struct device *d, int alg)
{
	memset(d, 0, sizeof(*d));
	d->alg = alg;
	d->key = alg == -8 ? EVP_PKEY_Q_keygen(NULL, NULL, "ED25519")
			   : EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	assert_non_null(d->key);
	assert_int_equal(RAND_bytes(d->cred, sizeof(d->cred)), 1);
}

static void
pair(cbor_item_t *map, cbor_item_t *k, cbor_item_t *v)
{
	assert_true(
	    cbor_map_add(map, (struct cbor_pair){.key = cbor_move(k), .value = cbor_move(v)}));
}

static cbor_item_t *
label(int v)
{
	return v >= 0 ? cbor_build_uint8((uint8_t)v) : cbor_build_negint8((uint8_t)(-1 - v));
}

/* The device's public key as a COSE key, serialised (caller frees). */
static unsigned char *
cose_key(const struct device *d, size_t *len)
{
	unsigned char x[32], y[32], pub[65], *buf = NULL;
	size_t n = sizeof(pub), bufsize = 0;
	cbor_item_t *m = cbor_new_definite_map(d->alg == -8 ? 4 : 5);

	if (d->alg == -8) {
		n = sizeof(x);
		assert_int_equal(EVP_PKEY_get_raw_public_key(d->key, x, &n), 1);
		pair(m, label(1), label(1));
		pair(m, label(3), label(-8));
		pair(m, label(-1), label(6));
		pair(m, label(-2), cbor_build_bytestring(x, 32));
	} else {
		assert_int_equal(
		    EVP_PKEY_get_octet_string_param(d->key, "pub", pub, sizeof(pub), &n), 1);
		memcpy(x, pub + 1, 32);
		memcpy(y, pub + 33, 32);
		pair(m, label(1), label(2));
		pair(m, label(3), label(-7));
		pair(m, label(-1), label(1));
		pair(m, label(-2), cbor_build_bytestring(x, 32));
		pair(m, label(-3), cbor_build_bytestring(y, 32));
	}
	*len = cbor_serialize_alloc(m, &buf, &bufsize);
	cbor_decref(&m);
	assert_true(*len > 0);
	return buf;
}

/* Authenticator data for rp_id with flags and the device's counter; with AT, the
   attested credential (caller frees). */
static unsigned char *
auth_data(const struct device *d, const char *rp_id, unsigned flags, size_t *len)
{
	unsigned char *ad = malloc(37 + 18 + sizeof(d->cred) + 200), *cose;
	size_t n = 37, clen;

	SHA256((const unsigned char *)rp_id, strlen(rp_id), ad);
	ad[32] = (unsigned char)flags;
	ad[33] = (unsigned char)(d->count >> 24);
	ad[34] = (unsigned char)(d->count >> 16);
	ad[35] = (unsigned char)(d->count >> 8);
	ad[36] = (unsigned char)d->count;
	if (flags & AT) {
		memset(ad + n, 0, 16);
		ad[n + 16] = 0;
		ad[n + 17] = sizeof(d->cred);
		n += 18;
		memcpy(ad + n, d->cred, sizeof(d->cred));
		n += sizeof(d->cred);
		cose = cose_key(d, &clen);
		assert_true(clen < 200);
		memcpy(ad + n, cose, clen);
		n += clen;
		free(cose);
	}
	*len = n;
	return ad;
}

/* The signature over ad || SHA-256(cd) (caller frees). */
static unsigned char *
sign(const struct device *d, const unsigned char *ad, size_t adlen, const char *cd, size_t *siglen)
{
	unsigned char *buf = malloc(adlen + 32), *sig;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	memcpy(buf, ad, adlen);
	SHA256((const unsigned char *)cd, strlen(cd), buf + adlen);
	assert_int_equal(
	    EVP_DigestSignInit(ctx, NULL, d->alg == -8 ? NULL : EVP_sha256(), NULL, d->key), 1);
	assert_int_equal(EVP_DigestSign(ctx, NULL, siglen, buf, adlen + 32), 1);
	sig = malloc(*siglen);
	assert_int_equal(EVP_DigestSign(ctx, sig, siglen, buf, adlen + 32), 1);
	EVP_MD_CTX_free(ctx);
	free(buf);
	return sig;
}

static char *
client_data(const char *type, const char *challenge, const char *origin)
{
	char *cd = malloc(512);

	snprintf(cd, 512,
		 "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\",\"crossOrigin\":false}",
		 type, challenge, origin);
	return cd;
}

/* --- HTTP --- */

static long
req(struct th_browser *b, const char *method, const char *path, const char *body, struct th_resp *r)
{
	assert_int_equal(th_browser_http(&env, b, method, path, body, r), 0);
	return r->status;
}

/* A string member of a 200 answer. */
static void
member(struct th_resp *r, const char *name, char *out, size_t len)
{
	cJSON *j = th_json(r);

	assert_non_null(j);
	snprintf(out, len, "%s", th_jstr(j, name));
	cJSON_Delete(j);
}

static void
person(struct th_person *p, const char *card)
{
	memset(p, 0, sizeof(*p));
	snprintf(p->card, sizeof(p->card), "%s", card);
	assert_int_equal(th_person_make(&env, p), 0);
	assert_int_equal(th_person_login(&env, p), 0);
}

/* --- registration --- */

enum att { ATT_NONE, ATT_SELF, ATT_SELF_BAD };

/* Adds the device in b's session: the response's status (r freed). */
static long
add_device_with(struct th_browser *b, struct device *d, const char *origin, const char *rp_id,
		unsigned flags, enum att att, char *type_out, char *reason_out)
{
	char challenge[96], *cd, *cd64, *att64, body[8192];
	unsigned char *ad, *sig, *obj = NULL;
	size_t adlen, siglen, objlen, objsize = 0;
	cbor_item_t *m, *stmt;
	struct th_resp r;
	long status;

	if ((status = req(b, "POST", "/api/v1/passkeys/options", "", &r)) != 200) {
		if (type_out != NULL)
			snprintf(type_out, 64, "%s", th_type(&r));
		th_resp_free(&r);
		return status;
	}
	member(&r, "challenge", challenge, sizeof(challenge));
	th_resp_free(&r);
	cd = client_data("webauthn.create", challenge, origin);
	ad = auth_data(d, rp_id, flags | AT, &adlen);
	m = cbor_new_definite_map(3);
	pair(m, cbor_build_string("fmt"), cbor_build_string(att == ATT_NONE ? "none" : "packed"));
	stmt = cbor_new_definite_map(att == ATT_NONE ? 0 : 2);
	if (att != ATT_NONE) {
		sig = sign(d, ad, adlen, cd, &siglen);
		if (att == ATT_SELF_BAD)
			sig[siglen / 2] ^= 1;
		pair(stmt, cbor_build_string("alg"), label(d->alg));
		pair(stmt, cbor_build_string("sig"), cbor_build_bytestring(sig, siglen));
		free(sig);
	}
	pair(m, cbor_build_string("attStmt"), stmt);
	pair(m, cbor_build_string("authData"), cbor_build_bytestring(ad, adlen));
	objlen = cbor_serialize_alloc(m, &obj, &objsize);
	cbor_decref(&m);
	cd64 = b64url((const unsigned char *)cd, strlen(cd));
	att64 = b64url(obj, objlen);
	snprintf(body, sizeof(body),
		 "{\"name\":\"phone\",\"client_data_json\":\"%s\",\"attestation_object\":\"%s\"}",
		 cd64, att64);
	status = req(b, "POST", "/api/v1/passkeys", body, &r);
	if (type_out != NULL)
		snprintf(type_out, 64, "%s", th_type(&r));
	if (reason_out != NULL)
		snprintf(reason_out, 64, "%s", th_reason(&r));
	th_resp_free(&r);
	free(cd);
	free(cd64);
	free(att64);
	free(ad);
	free(obj);
	return status;
}

static void
add_device(struct th_person *p, struct device *d)
{
	struct th_browser b;

	th_browser_of(p, &b);
	assert_int_equal(
	    add_device_with(&b, d, env.origin, "localhost", UP | UV, ATT_NONE, NULL, NULL), 201);
}

/* --- login --- */

struct assertion {
	const char *origin, *rp_id, *type;
	unsigned flags;
	const char *challenge; /* NULL: the one the server gave */
};

static const struct assertion GOOD = {NULL, "localhost", "webauthn.get", UP | UV, NULL};

/* A passkey login in a new browser b: the status; body gets the request's body so that it
   can be replayed (caller frees; NULL to not keep it). */
static long
login_with(struct th_browser *b, struct device *d, const struct assertion *a, char **body_out,
	   struct th_resp *r)
{
	char challenge[96], *cd, *cd64, *ad64, *sig64, *cred64, *body;
	unsigned char *ad, *sig;
	size_t adlen, siglen;
	struct th_resp c;
	long status;

	memset(b, 0, sizeof(*b));
	assert_int_equal(req(b, "POST", "/api/v1/auth/passkey/challenge", "", &c), 200);
	member(&c, "challenge", challenge, sizeof(challenge));
	th_resp_free(&c);
	d->count++;
	cd = client_data(a->type, a->challenge != NULL ? a->challenge : challenge,
			 a->origin != NULL ? a->origin : env.origin);
	ad = auth_data(d, a->rp_id, a->flags, &adlen);
	sig = sign(d, ad, adlen, cd, &siglen);
	cd64 = b64url((const unsigned char *)cd, strlen(cd));
	ad64 = b64url(ad, adlen);
	sig64 = b64url(sig, siglen);
	cred64 = b64url(d->cred, sizeof(d->cred));
	body = malloc(4096);
	snprintf(
	    body, 4096,
	    "{\"credential_id\":\"%s\",\"client_data_json\":\"%s\",\"authenticator_data\":\"%s\","
	    "\"signature\":\"%s\"}",
	    cred64, cd64, ad64, sig64);
	status = req(b, "POST", "/api/v1/auth/passkey", body, r);
	if (status == 200)
		member(r, "csrf_token", b->csrf, sizeof(b->csrf));
	if (body_out != NULL)
		*body_out = body;
	else
		free(body);
	free(cd);
	free(cd64);
	free(ad64);
	free(sig64);
	free(cred64);
	free(ad);
	free(sig);
	return status;
}

static void
expect_refused(struct device *d, const struct assertion *a, const char *type, const char *reason)
{
	struct th_browser b;
	struct th_resp r;

	assert_int_equal(login_with(&b, d, a, NULL, &r), 401);
	assert_string_equal(th_type(&r), type);
	if (reason != NULL)
		assert_string_equal(th_reason(&r), reason);
	th_resp_free(&r);
}

static void
login_ok(struct device *d, struct th_browser *b)
{
	struct th_resp r;

	assert_int_equal(login_with(b, d, &GOOD, NULL, &r), 200);
	th_resp_free(&r);
}

/* The session's method and whether the card was used in it. */
static void
session_is(struct th_browser *b, const char *method, bool card)
{
	struct th_resp r;
	cJSON *j;

	assert_int_equal(req(b, "GET", "/api/v1/me/session", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	assert_string_equal(th_jstr(j, "method"), method);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, "card")) == card);
	cJSON_Delete(j);
	th_resp_free(&r);
}

/* --- tests --- */

/* Added in a card session, listed, used to log in: a passkey session, in the history. */
static void
test_add_list_and_login(void **state)
{
	struct th_person p;
	struct device d;
	struct th_browser b;
	struct th_resp r;
	cJSON *j, *it;

	(void)state;
	person(&p, "pk-basic");
	device_new(&d, -7);
	add_device(&p, &d);
	assert_int_equal(
	    th_sql(&env,
		   "SELECT count(*) FROM portal.passkeys k JOIN portal.card_bindings b"
		   " ON b.id = k.binding_id WHERE k.person_id = '%s'"
		   " AND b.person_id = k.person_id AND k.alg = -7 AND k.attestation = 'none'",
		   p.id),
	    1);
	login_ok(&d, &b);
	session_is(&b, "passkey", false);
	assert_int_equal(req(&b, "GET", "/api/v1/passkeys", NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	it = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(j, "items"), 0);
	assert_string_equal(th_jstr(it, "name"), "phone");
	assert_string_equal(th_jstr(it, "algorithm"), "ES256");
	assert_true(th_jstr(it, "last_used_at")[0] != '\0');
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND method = 'passkey' AND event = 'login'",
				p.id),
			 1);
	assert_int_equal(
	    th_sql(&env,
		   "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
		   " AND method = 'passkey' AND passkey_id IS NOT NULL AND card_at IS NULL",
		   p.id),
	    1);
	/* EdDSA, and packed self attestation, are taken too. */
	{
		struct device e;
		struct th_browser cb;

		device_new(&e, -8);
		th_browser_of(&p, &cb);
		assert_int_equal(add_device_with(&cb, &e, env.origin, "localhost", UP | UV,
						 ATT_SELF, NULL, NULL),
				 201);
		login_ok(&e, &b);
		assert_int_equal(
		    th_sql(&env,
			   "SELECT count(*) FROM portal.passkeys WHERE person_id = '%s'"
			   " AND alg = -8 AND attestation = 'self'",
			   p.id),
		    1);
		EVP_PKEY_free(e.key);
	}
	EVP_PKEY_free(d.key);
}

/* Registration: a statement whose signature fails, another origin, no user
   verification, another relying party: refused, nothing stored. */
static void
test_add_refused(void **state)
{
	char type[64], reason[64];
	struct th_person p;
	struct device d;
	struct th_browser b;

	(void)state;
	person(&p, "pk-addbad");
	device_new(&d, -7);
	th_browser_of(&p, &b);
	assert_int_equal(
	    add_device_with(&b, &d, env.origin, "localhost", UP | UV, ATT_SELF_BAD, type, reason),
	    401);
	assert_string_equal(type, "passkey-refused");
	assert_string_equal(reason, "attestation");
	assert_int_equal(add_device_with(&b, &d, "https://evil.example", "localhost", UP | UV,
					 ATT_NONE, type, reason),
			 401);
	assert_string_equal(reason, "origin");
	assert_int_equal(
	    add_device_with(&b, &d, env.origin, "localhost", UP, ATT_NONE, type, reason), 401);
	assert_string_equal(reason, "user-verification");
	assert_int_equal(
	    add_device_with(&b, &d, env.origin, "evil.example", UP | UV, ATT_NONE, type, reason),
	    401);
	assert_string_equal(reason, "rp-id");
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.passkeys WHERE person_id = '%s'", p.id), 0);
	EVP_PKEY_free(d.key);
}

/* Replayed (the same answer again, for a new challenge), from another origin, for another
   relying party id, without user verification, for a credential of nobody's. */
static void
test_login_refused(void **state)
{
	struct assertion a = GOOD;
	struct th_person p;
	struct device d, stranger;
	struct th_browser b, b2;
	struct th_resp r, c;
	char *body = NULL;

	(void)state;
	person(&p, "pk-refuse");
	device_new(&d, -7);
	add_device(&p, &d);

	/* Replayed: the answer names the first challenge, spent; a new browser's challenge
	   is another one. */
	assert_int_equal(login_with(&b, &d, &GOOD, &body, &r), 200);
	th_resp_free(&r);
	memset(&b2, 0, sizeof(b2));
	assert_int_equal(req(&b2, "POST", "/api/v1/auth/passkey/challenge", "", &c), 200);
	th_resp_free(&c);
	assert_int_equal(req(&b2, "POST", "/api/v1/auth/passkey", body, &r), 401);
	assert_string_equal(th_type(&r), "passkey-refused");
	assert_string_equal(th_reason(&r), "challenge");
	th_resp_free(&r);
	/* ... and the same browser again: its challenge went with the first attempt. */
	assert_int_equal(req(&b2, "POST", "/api/v1/auth/passkey", body, &r), 401);
	assert_string_equal(th_type(&r), "challenge-missing");
	th_resp_free(&r);
	free(body);

	a.origin = "https://evil.example";
	expect_refused(&d, &a, "passkey-refused", "origin");
	a = GOOD;
	a.rp_id = "evil.example";
	expect_refused(&d, &a, "passkey-refused", "rp-id");
	a = GOOD;
	a.flags = UP;
	expect_refused(&d, &a, "passkey-refused", "user-verification");
	a = GOOD;
	a.type = "webauthn.create";
	expect_refused(&d, &a, "passkey-refused", "type");
	device_new(&stranger, -7);
	expect_refused(&stranger, &GOOD, "passkey-refused", "unknown-credential");
	/* Each refusal of a known device is in its person's history; still one login. */
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND method = 'passkey' AND event = 'failure'",
				p.id),
			 5);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
				" AND method = 'passkey'",
				p.id),
			 1);
	EVP_PKEY_free(stranger.key);
	EVP_PKEY_free(d.key);
}

/* A counter that goes backwards (a copied device) refuses the login and tells the
   person; the real device goes on. */
static void
test_counter_backwards(void **state)
{
	struct th_person p;
	struct device d;
	struct th_browser b;

	(void)state;
	person(&p, "pk-counter");
	device_new(&d, -7);
	add_device(&p, &d);
	d.count = 9;
	login_ok(&d, &b); /* 10 */
	d.count = 4;
	expect_refused(&d, &GOOD, "passkey-refused", "counter"); /* 5 */
	d.count = 9;
	expect_refused(&d, &GOOD, "passkey-refused", "counter"); /* 10 again */
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.notices WHERE person_id = '%s'"
				" AND kind = 'device' AND title = 'counter-regressed'",
				p.id),
			 2);
	assert_int_equal(
	    th_sql(&env, "SELECT sign_count FROM portal.passkeys WHERE person_id = '%s'", p.id),
	    10);
	login_ok(&d, &b); /* 11 */
	EVP_PKEY_free(d.key);
}

/* A passkey session may not add a device or give a mandate (card-required), until the card is used
   in the session: then it may. Another person's card does not lift it. */
static void
test_step_up(void **state)
{
	char type[64], nonce[64], *tok;
	struct th_person p, q;
	struct device d, d2;
	struct th_browser b, stale;
	struct th_resp r;
	long sessions;

	(void)state;
	person(&p, "pk-step");
	person(&q, "pk-step-other");
	device_new(&d, -7);
	device_new(&d2, -7);
	add_device(&p, &d);
	login_ok(&d, &b);
	assert_int_equal(
	    add_device_with(&b, &d2, env.origin, "localhost", UP | UV, ATT_NONE, type, NULL), 403);
	assert_string_equal(type, "card-required");
	/* Nor give a proxy mandate. */
	assert_int_equal(req(&b, "POST", "/api/v1/me/mandates",
			     "{\"themes\":[\"notices\"],\"label\":\"x\","
			     "\"ends_on\":\"2027-01-31\"}",
			     &r),
			 403);
	assert_string_equal(th_type(&r), "card-required");
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.mandates WHERE principal_id = '%s'", p.id),
	    0);
	/* Nor show a code to add a phone. */
	assert_int_equal(req(&b, "POST", "/api/v1/passkeys/phone-code", "", &r), 403);
	assert_string_equal(th_type(&r), "card-required");
	th_resp_free(&r);
	/* Other things a card session does, a passkey session does. */
	assert_int_equal(req(&b, "GET", "/api/v1/me/logins", NULL, &r), 200);
	th_resp_free(&r);

	sessions =
	    th_sql(&env, "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", p.id);
	for (int who = 0; who < 2; who++) {
		assert_int_equal(req(&b, "POST", "/api/v1/auth/challenge?step_up=true", "", &r),
				 200);
		member(&r, "nonce", nonce, sizeof(nonce));
		th_resp_free(&r);
		assert_non_null(tok = th_card_token(env.ca_dir, who == 0 ? q.card : p.card,
						    env.origin, nonce, NULL));
		if (who == 0) {
			/* Someone else's card: refused, and the session stays without one. */
			assert_int_equal(req(&b, "POST", "/api/v1/auth/webeid", tok, &r), 403);
			assert_string_equal(th_type(&r), "forbidden");
			th_resp_free(&r);
			session_is(&b, "passkey", false);
		} else {
			stale = b;
			assert_int_equal(req(&b, "POST", "/api/v1/auth/webeid", tok, &r), 200);
			th_resp_free(&r);
		}
		free(tok);
	}
	session_is(&b, "passkey", true);
	/* The card gave the session a new id: a copy of the old cookie reaches nothing, and
	   the session is the same row (its CSRF token unchanged). */
	assert_string_not_equal(b.cookie, stale.cookie);
	assert_string_equal(b.csrf, stale.csrf);
	assert_int_equal(req(&stale, "GET", "/api/v1/me/session", NULL, &r), 401);
	assert_string_equal(th_type(&r), "unauthenticated");
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", p.id),
	    sessions);
	assert_int_equal(
	    add_device_with(&b, &d2, env.origin, "localhost", UP | UV, ATT_NONE, NULL, NULL), 201);
	assert_int_equal(req(&b, "POST", "/api/v1/me/mandates",
			     "{\"themes\":[\"notices\"],\"label\":\"x\","
			     "\"ends_on\":\"2027-01-31\"}",
			     &r),
			 201);
	th_resp_free(&r);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.login_events WHERE person_id = '%s'"
				" AND event = 'card-step-up'",
				p.id),
			 1);
	EVP_PKEY_free(d.key);
	EVP_PKEY_free(d2.key);
}

/* The card revoked: the passkey's session ends at its next request, its next login is
   refused. A removed device's sessions end too. */
static void
test_card_revoked_and_removed(void **state)
{
	char id[24];
	struct th_person p, p2, p3;
	struct device d, d2, d3;
	struct th_browser b;
	struct th_resp r;

	(void)state;
	person(&p, "pk-revoke");
	device_new(&d, -7);
	add_device(&p, &d);
	login_ok(&d, &b);
	assert_int_equal(th_sql(&env,
				"UPDATE portal.card_bindings SET revoked_at = now()"
				" WHERE person_id = '%s'",
				p.id),
			 1);
	assert_int_equal(req(&b, "GET", "/api/v1/me/session", NULL, &r), 401);
	assert_string_equal(th_type(&r), "card-revoked");
	th_resp_free(&r);
	expect_refused(&d, &GOOD, "card-revoked", "card-revoked");

	/* The same, revoked for real at the card's issuer: the passkey session's card is
	   re-checked (OCSP) like a card session's, and found revoked. */
	person(&p3, "pk-revoke-ocsp");
	device_new(&d3, -7);
	add_device(&p3, &d3);
	login_ok(&d3, &b);
	assert_int_equal(
	    th_sh("'%s' revoke '%s' %s >/dev/null", MADO_CARD_BINARY, env.ca_dir, p3.card), 0);
	sleep(2); /* past card_recheck_s */
	assert_int_equal(req(&b, "GET", "/api/v1/me/session", NULL, &r), 401);
	assert_string_equal(th_type(&r), "card-revoked");
	th_resp_free(&r);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.card_bindings WHERE person_id = '%s'"
				" AND revoked_at IS NOT NULL",
				p3.id),
			 1);
	expect_refused(&d3, &GOOD, "card-revoked", "card-revoked");

	person(&p2, "pk-remove");
	device_new(&d2, -7);
	add_device(&p2, &d2);
	login_ok(&d2, &b);
	assert_int_equal(th_sql_str(&env, id, sizeof(id),
				    "SELECT id FROM portal.passkeys WHERE person_id = '%s'", p2.id),
			 0);
	{
		char path[64];
		struct th_browser cb;

		th_browser_of(&p2, &cb);
		snprintf(path, sizeof(path), "/api/v1/passkeys/%s", id);
		assert_int_equal(req(&cb, "DELETE", path, NULL, &r), 204);
		th_resp_free(&r);
		assert_int_equal(req(&cb, "DELETE", path, NULL, &r), 404);
		th_resp_free(&r);
	}
	assert_int_equal(req(&b, "GET", "/api/v1/me/session", NULL, &r), 401);
	th_resp_free(&r);
	expect_refused(&d2, &GOOD, "passkey-refused", "unknown-credential");
	EVP_PKEY_free(d.key);
	EVP_PKEY_free(d2.key);
	EVP_PKEY_free(d3.key);
}

/* --- the computer's code --- */

struct code {
	char code[16];
	int number;
};

static void
code_new(struct th_browser *computer, struct code *c)
{
	struct th_resp r;
	cJSON *j;

	memset(computer, 0, sizeof(*computer));
	assert_int_equal(req(computer, "POST", "/api/v1/auth/cross-device", "", &r), 200);
	assert_non_null(j = th_json(&r));
	snprintf(c->code, sizeof(c->code), "%s", th_jstr(j, "code"));
	c->number = cJSON_GetObjectItemCaseSensitive(j, "number")->valueint;
	assert_int_equal(strlen(c->code), 12);
	assert_non_null(strstr(th_jstr(j, "svg"), "<svg"));
	assert_non_null(strstr(th_jstr(j, "link"), c->code));
	cJSON_Delete(j);
	th_resp_free(&r);
}

static long
answer(struct th_browser *phone, const struct code *c, int number, struct th_resp *r)
{
	char path[64], body[32];

	snprintf(path, sizeof(path), "/api/v1/cross-device/%s", c->code);
	snprintf(body, sizeof(body), "{\"number\":%d}", number);
	return req(phone, "POST", path, body, r);
}

static long
poll(struct th_browser *computer, struct th_resp *r)
{
	return req(computer, "POST", "/api/v1/auth/cross-device/poll", "", r);
}

/*
 * The computer's User-Agent is shown to the phone ("the browser asking"): whatever a
 * client sends there (escape sequences, bytes that are not UTF-8, hundreds of them) is
 * answered, stored as printable UTF-8 of at most 256 bytes, and leaves the operational
 * log one JSON object a line.
 */
static void
test_hostile_user_agent(void **state)
{
	char ua[512], uah[600], origin[128], path[64], *log, *line, *end;
	const char *h[4], *browser;
	struct th_browser phone;
	struct th_person p;
	struct th_resp r;
	size_t i;
	cJSON *j;

	(void)state;
	person(&p, "pk-ua");
	th_browser_of(&p, &phone);
	snprintf(origin, sizeof(origin), "Origin: %s", env.origin);
	h[0] = origin;
	h[1] = "Content-Type: application/json";
	h[2] = uah;
	h[3] = NULL;
	/* A value carrying ESC and DEL never reaches a handler: CivetWeb refuses the head. */
	snprintf(uah, sizeof(uah), "User-Agent: Evil\x1b[31m\x7f");
	assert_int_equal(th_http(&env, "POST", "/api/v1/auth/cross-device", h, "", 0, &r), 0);
	assert_int_equal(r.status, 400);
	assert_string_equal(th_type(&r), "bad-request");
	th_resp_free(&r);
	/* Bytes that are not UTF-8, a C1 control, and far more than 256 of them. */
	snprintf(ua, sizeof(ua), "Evil\xff\xfe\xc3\xc2\x85%0400d", 7);
	snprintf(uah, sizeof(uah), "User-Agent: %s", ua);
	assert_int_equal(th_http(&env, "POST", "/api/v1/auth/cross-device", h, "", 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(j = th_json(&r));
	snprintf(path, sizeof(path), "/api/v1/cross-device/%s", th_jstr(j, "code"));
	cJSON_Delete(j);
	th_resp_free(&r);

	assert_int_equal(req(&phone, "GET", path, NULL, &r), 200);
	assert_non_null(j = th_json(&r)); /* cJSON refuses what is not UTF-8 */
	browser = th_jstr(j, "browser");
	assert_int_equal(strncmp(browser, "Evil", 4), 0);
	assert_true(strlen(browser) <= 256);
	for (i = 0; browser[i] != '\0'; i++)
		assert_true((unsigned char)browser[i] >= 0x20 && browser[i] != 0x7f);
	assert_null(strstr(browser, "\xc2\x85"));
	assert_non_null(strstr(browser, "Evil???"));
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.cross_device_codes WHERE user_agent"
				" ~ '[[:cntrl:]]' OR length(user_agent) > 256"),
			 0);
	/* The code is left unanswered: it goes, so later tests find only their own. */
	assert_int_equal(th_sql(&env, "DELETE FROM portal.cross_device_codes"
				      " WHERE user_agent LIKE 'Evil%%'"),
			 1);

	/* Every line of the operational log is one JSON object, with no raw escape. */
	log = th_log_when(&env, "cross-device/{code}", 5000);
	assert_null(strchr(log, '\x1b'));
	for (line = log; *line != '\0'; line = end + (*end != '\0')) {
		end = line + strcspn(line, "\n");
		if (end == line)
			continue;
		j = cJSON_ParseWithLength(line, (size_t)(end - line));
		assert_non_null(j);
		assert_true(cJSON_IsObject(j));
		cJSON_Delete(j);
	}
	free(log);
}

/* The right number: the computer logs in once, as the person, method cross-device. */
static void
test_code_login(void **state)
{
	struct th_browser computer, phone;
	struct th_person p;
	struct th_resp r;
	struct code c;
	char path[64];
	bool seen = false;
	cJSON *j, *v;

	(void)state;
	person(&p, "pk-qr");
	th_browser_of(&p, &phone);
	code_new(&computer, &c);
	assert_int_equal(poll(&computer, &r), 200);
	th_resp_free(&r);
	snprintf(path, sizeof(path), "/api/v1/cross-device/%s", c.code);
	assert_int_equal(req(&phone, "GET", path, NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	cJSON_ArrayForEach (v, cJSON_GetObjectItemCaseSensitive(j, "choices"))
		seen = seen || v->valueint == c.number;
	assert_true(seen);
	cJSON_Delete(j);
	th_resp_free(&r);
	assert_int_equal(answer(&phone, &c, c.number, &r), 200);
	th_resp_free(&r);
	assert_int_equal(poll(&computer, &r), 200);
	member(&r, "csrf_token", computer.csrf, sizeof(computer.csrf));
	th_resp_free(&r);
	session_is(&computer, "cross-device", false);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
				" AND method = 'cross-device' AND channel = 'self'",
				p.id),
			 1);
	/* Used: the phone's answer again, and the computer's ask again, are refused. */
	assert_int_equal(answer(&phone, &c, c.number, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "used");
	th_resp_free(&r);
	assert_int_equal(req(&phone, "GET", path, NULL, &r), 401);
	assert_string_equal(th_reason(&r), "used");
	th_resp_free(&r);
}

/* A wrong number ends the code on both sides; an expired code is refused. */
static void
test_code_wrong_and_expired(void **state)
{
	struct th_browser computer, phone;
	struct th_person p;
	struct th_resp r;
	struct code c;
	char path[64];

	(void)state;
	person(&p, "pk-qr-bad");
	th_browser_of(&p, &phone);
	code_new(&computer, &c);
	assert_int_equal(answer(&phone, &c, c.number == 99 ? 98 : c.number + 1, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "wrong-number");
	th_resp_free(&r);
	assert_int_equal(answer(&phone, &c, c.number, &r), 401);
	assert_string_equal(th_reason(&r), "wrong-number");
	th_resp_free(&r);
	assert_int_equal(poll(&computer, &r), 401);
	assert_string_equal(th_reason(&r), "wrong-number");
	th_resp_free(&r);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
				" AND method = 'cross-device'",
				p.id),
			 0);

	code_new(&computer, &c);
	assert_int_equal(
	    th_sql(&env, "UPDATE portal.cross_device_codes SET expires_at = now() - interval '1 s',"
			 " created_at = now() - interval '121 s' WHERE state = 'waiting'"),
	    1);
	snprintf(path, sizeof(path), "/api/v1/cross-device/%s", c.code);
	assert_int_equal(req(&phone, "GET", path, NULL, &r), 401);
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	assert_int_equal(answer(&phone, &c, c.number, &r), 401);
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	assert_int_equal(poll(&computer, &r), 401);
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	/* A code nobody made. */
	memcpy(c.code, "000000000000", 13);
	assert_int_equal(answer(&phone, &c, 42, &r), 401);
	assert_string_equal(th_reason(&r), "unknown");
	th_resp_free(&r);
}

/* --- "Add this phone" --- */

/* The computer, in b's card session: a phone code. */
static void
phone_code(struct th_browser *computer, struct code *c)
{
	struct th_resp r;
	cJSON *j;

	assert_int_equal(req(computer, "POST", "/api/v1/passkeys/phone-code", "", &r), 200);
	assert_non_null(j = th_json(&r));
	snprintf(c->code, sizeof(c->code), "%s", th_jstr(j, "code"));
	c->number = cJSON_GetObjectItemCaseSensitive(j, "number")->valueint;
	assert_int_equal(strlen(c->code), 12);
	assert_non_null(strstr(th_jstr(j, "svg"), "<svg"));
	assert_non_null(strstr(th_jstr(j, "link"), "/#/add-phone?c="));
	cJSON_Delete(j);
	th_resp_free(&r);
}

static long
phone_pick(struct th_browser *phone, const struct code *c, int number, struct th_resp *r)
{
	char path[64], body[32];

	snprintf(path, sizeof(path), "/api/v1/add-phone/%s", c->code);
	snprintf(body, sizeof(body), "{\"number\":%d}", number);
	return req(phone, "POST", path, body, r);
}

/* The phone's authenticator answers the challenge; posted for the code. */
static long
phone_register(struct th_browser *phone, struct device *d, const struct code *c,
	       const char *challenge, struct th_resp *r)
{
	char *cd, *cd64, *att64, body[8192], path[80];
	unsigned char *ad, *obj = NULL;
	size_t adlen, objlen, objsize = 0;
	cbor_item_t *m;
	long status;

	cd = client_data("webauthn.create", challenge, env.origin);
	ad = auth_data(d, "localhost", UP | UV | AT, &adlen);
	m = cbor_new_definite_map(3);
	pair(m, cbor_build_string("fmt"), cbor_build_string("none"));
	pair(m, cbor_build_string("attStmt"), cbor_new_definite_map(0));
	pair(m, cbor_build_string("authData"), cbor_build_bytestring(ad, adlen));
	objlen = cbor_serialize_alloc(m, &obj, &objsize);
	cbor_decref(&m);
	cd64 = b64url((const unsigned char *)cd, strlen(cd));
	att64 = b64url(obj, objlen);
	snprintf(body, sizeof(body),
		 "{\"name\":\"phone\",\"client_data_json\":\"%s\",\"attestation_object\":\"%s\"}",
		 cd64, att64);
	snprintf(path, sizeof(path), "/api/v1/add-phone/%s/passkey", c->code);
	status = req(phone, "POST", path, body, r);
	free(cd);
	free(cd64);
	free(att64);
	free(ad);
	free(obj);
	return status;
}

/* The computer shows the code; the phone, not logged in, picks the number, creates a
   passkey bound to the person and the computer session's card, and has a session. */
static void
test_add_phone(void **state)
{
	struct th_browser computer, phone;
	struct th_person p;
	struct device d;
	struct th_resp r;
	struct code c;
	char path[64], challenge[96];
	bool seen = false;
	cJSON *j, *v;

	(void)state;
	person(&p, "pk-phone");
	th_browser_of(&p, &computer);
	phone_code(&computer, &c);
	memset(&phone, 0, sizeof(phone));
	snprintf(path, sizeof(path), "/api/v1/add-phone/%s", c.code);
	assert_int_equal(req(&phone, "GET", path, NULL, &r), 200);
	assert_non_null(j = th_json(&r));
	cJSON_ArrayForEach (v, cJSON_GetObjectItemCaseSensitive(j, "choices"))
		seen = seen || v->valueint == c.number;
	assert_true(seen);
	cJSON_Delete(j);
	th_resp_free(&r);
	/* A login code's page does not know it. */
	snprintf(path, sizeof(path), "/api/v1/cross-device/%s", c.code);
	assert_int_equal(req(&computer, "GET", path, NULL, &r), 401);
	assert_string_equal(th_reason(&r), "unknown");
	th_resp_free(&r);
	assert_int_equal(phone_pick(&phone, &c, c.number, &r), 200);
	member(&r, "challenge", challenge, sizeof(challenge));
	th_resp_free(&r);
	assert_true(phone.cookie[0] != '\0');
	device_new(&d, -7);
	assert_int_equal(phone_register(&phone, &d, &c, challenge, &r), 200);
	member(&r, "csrf_token", phone.csrf, sizeof(phone.csrf));
	th_resp_free(&r);
	session_is(&phone, "passkey", false);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.passkeys k JOIN portal.sessions s"
				" ON s.passkey_id = k.id AND s.person_id = k.person_id"
				" JOIN portal.card_bindings b ON b.id = k.binding_id"
				" AND b.person_id = k.person_id WHERE k.person_id = '%s'",
				p.id),
			 1);
	/* Used: the code answers no more. */
	memset(&phone, 0, sizeof(phone));
	assert_int_equal(phone_pick(&phone, &c, c.number, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "used");
	th_resp_free(&r);
	EVP_PKEY_free(d.key);
}

/* The computer shows a code, a fresh phone picks its number: the registration's challenge. */
static void
phone_started(struct th_browser *computer, struct code *c, struct th_browser *phone,
	      char *challenge, size_t len)
{
	struct th_resp r;

	phone_code(computer, c);
	memset(phone, 0, sizeof(*phone));
	assert_int_equal(phone_pick(phone, c, c->number, &r), 200);
	member(&r, "challenge", challenge, len);
	th_resp_free(&r);
}

/* SE-07: a phone code shown before the operator disabled the account adds no device
   after it: the phone's passkey is refused (403 account-disabled) and nothing is stored,
   neither the passkey nor a session. Enabled again, a new code adds the phone (so the
   refusal was the hold's). */
static void
test_add_phone_held(void **state)
{
	struct th_browser computer, phone;
	struct th_person p;
	struct device d;
	struct th_resp r;
	struct code c;
	char challenge[96], cert[400], args[600];

	(void)state;
	person(&p, "pk-held");
	th_browser_of(&p, &computer);
	phone_started(&computer, &c, &phone, challenge, sizeof(challenge));
	th_card_file(&env, p.card, "crt", cert, sizeof(cert));
	snprintf(args, sizeof(args), "account --cert '%s' --disable suspected-misuse", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	device_new(&d, -7);
	assert_int_equal(phone_register(&phone, &d, &c, challenge, &r), 403);
	assert_string_equal(th_type(&r), "account-disabled");
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.passkeys WHERE person_id = '%s'", p.id), 0);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.sessions WHERE person_id = '%s'", p.id), 0);
	EVP_PKEY_free(d.key);

	snprintf(args, sizeof(args), "account --cert '%s' --enable", cert);
	assert_int_equal(th_mado_cmd(&env, args, NULL), 0);
	assert_int_equal(th_person_login(&env, &p), 0);
	th_browser_of(&p, &computer);
	phone_started(&computer, &c, &phone, challenge, sizeof(challenge));
	device_new(&d, -7);
	assert_int_equal(phone_register(&phone, &d, &c, challenge, &r), 200);
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.passkeys WHERE person_id = '%s'", p.id), 1);
	EVP_PKEY_free(d.key);
}

/* A wrong number ends the code; an expired code adds nothing, even after the number. */
static void
test_add_phone_wrong_and_expired(void **state)
{
	struct th_browser computer, phone;
	struct th_person p;
	struct device d;
	struct th_resp r;
	struct code c;
	char path[64], challenge[96];

	(void)state;
	person(&p, "pk-phone-bad");
	th_browser_of(&p, &computer);
	phone_code(&computer, &c);
	memset(&phone, 0, sizeof(phone));
	assert_int_equal(phone_pick(&phone, &c, c.number == 99 ? 98 : c.number + 1, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "wrong-number");
	th_resp_free(&r);
	assert_int_equal(phone_pick(&phone, &c, c.number, &r), 401);
	assert_string_equal(th_reason(&r), "wrong-number");
	th_resp_free(&r);

	phone_code(&computer, &c);
	assert_int_equal(th_sql(&env,
				"UPDATE portal.cross_device_codes SET expires_at = now() -"
				" interval '1 s' WHERE code_hash = encode(sha256(convert_to('%s',"
				" 'UTF8')), 'hex')",
				c.code),
			 1);
	snprintf(path, sizeof(path), "/api/v1/add-phone/%s", c.code);
	assert_int_equal(req(&phone, "GET", path, NULL, &r), 401);
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	assert_int_equal(phone_pick(&phone, &c, c.number, &r), 401);
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);

	/* Running out between the number and the passkey. */
	phone_started(&computer, &c, &phone, challenge, sizeof(challenge));
	assert_int_equal(th_sql(&env,
				"UPDATE portal.cross_device_codes SET expires_at = now() -"
				" interval '1 s' WHERE code_hash = encode(sha256(convert_to('%s',"
				" 'UTF8')), 'hex')",
				c.code),
			 1);
	device_new(&d, -7);
	assert_int_equal(phone_register(&phone, &d, &c, challenge, &r), 401);
	assert_string_equal(th_type(&r), "grant-invalid");
	assert_string_equal(th_reason(&r), "expired");
	th_resp_free(&r);
	assert_int_equal(
	    th_sql(&env, "SELECT count(*) FROM portal.passkeys WHERE person_id = '%s'", p.id), 0);
	assert_int_equal(th_sql(&env,
				"SELECT count(*) FROM portal.sessions WHERE person_id = '%s'"
				" AND method = 'passkey'",
				p.id),
			 0);
	EVP_PKEY_free(d.key);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_list_and_login),
	    cmocka_unit_test(test_add_refused),
	    cmocka_unit_test(test_login_refused),
	    cmocka_unit_test(test_counter_backwards),
	    cmocka_unit_test(test_step_up),
	    cmocka_unit_test(test_card_revoked_and_removed),
	    cmocka_unit_test(test_code_login),
	    cmocka_unit_test(test_hostile_user_agent),
	    cmocka_unit_test(test_code_wrong_and_expired),
	    cmocka_unit_test(test_add_phone),
	    cmocka_unit_test(test_add_phone_held),
	    cmocka_unit_test(test_add_phone_wrong_and_expired),
	};

	return cmocka_run_group_tests(tests, setup, th_group_teardown);
}
