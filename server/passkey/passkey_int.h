/* Shared by the files of server/passkey only. */
#ifndef MADO_PASSKEY_INT_H
#define MADO_PASSKEY_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "mado/db.h"

/* COSE algorithms (RFC 9053, RFC 8812). */
#define PK_ES256 (-7)
#define PK_EDDSA (-8)
#define PK_RS256 (-257)

/* Authenticator data flags (WebAuthn 6.1). */
#define PK_FLAG_UP 0x01
#define PK_FLAG_UV 0x04
#define PK_FLAG_AT 0x40
#define PK_FLAG_ED 0x80

#define PK_CRED_ID_MAX 1023
#define PK_CODE_TTL_S  120 /* a cross-device code's life */

/* webauthn.c: checking what an authenticator answered, without I/O. */
enum pk_reason {
	PK_OK,
	PK_CLIENT_DATA,  /* clientDataJSON is not what a browser writes */
	PK_TYPE,         /* webauthn.create for a login, or the other way round */
	PK_CHALLENGE,    /* not the challenge this browser was given */
	PK_ORIGIN,       /* made for another site (or inside another site's frame) */
	PK_RP_ID,        /* the authenticator signed for another relying party id */
	PK_UP,           /* no user presence */
	PK_UV,           /* no user verification */
	PK_AUTH_DATA,    /* authenticator data malformed */
	PK_ALG,          /* an algorithm other than ES256, RS256, EdDSA */
	PK_KEY,          /* the credential's public key is malformed */
	PK_ATTESTATION,  /* an attestation format or statement that does not verify */
	PK_SIGNATURE,    /* the signature does not verify */
	PK_COUNTER,      /* the signature counter went backwards or stood still */
	PK_UNKNOWN,      /* no such passkey */
	PK_CARD_REVOKED, /* the card it was added under is revoked */
};
const char *pk_reason_str(enum pk_reason r);

/* What a ceremony must show: its type, the challenge (base64url of its bytes), the
   origin of the site and the relying party id. */
struct pk_expect {
	const char *type;
	const char *challenge;
	const char *origin;
	const char *rp_id;
};

struct pk_auth_data {
	uint8_t flags;
	uint32_t sign_count;
	const unsigned char *aaguid; /* 16 bytes; with attested credential data only */
	const unsigned char *cred_id;
	size_t cred_id_len;
	const unsigned char *cose; /* the credential's COSE key */
	size_t cose_len;
};

/* Base64url without padding to bytes (caller frees), NULL when it is not that. */
unsigned char *pk_b64url_decode(const char *s, size_t *outlen);
enum pk_reason pk_client_data(const unsigned char *cd, size_t len, const struct pk_expect *e);
/* Parses authenticator data and checks the relying party id's hash, user presence and
   user verification; attested: the credential data must be there. */
enum pk_reason pk_auth_data(const unsigned char *ad, size_t len, const char *rp_id, bool attested,
			    struct pk_auth_data *out);
/* The COSE key as an OpenSSL key and its algorithm. */
enum pk_reason pk_cose_key(const unsigned char *cose, size_t len, EVP_PKEY **key, int *alg);
/* Checks sig over authenticator data || SHA-256(clientDataJSON). */
enum pk_reason pk_verify(EVP_PKEY *key, int alg, const unsigned char *ad, size_t adlen,
			 const unsigned char *cd, size_t cdlen, const unsigned char *sig,
			 size_t siglen);

/* A registration (attestationObject and clientDataJSON) that passed every check. */
struct pk_new {
	unsigned char cred_id[PK_CRED_ID_MAX];
	size_t cred_id_len;
	EVP_PKEY *key; /* the caller frees it */
	int alg;
	uint32_t sign_count;
	const char *attestation; /* none, packed (a certificate), self */
};
enum pk_reason pk_register(const unsigned char *att, size_t attlen, const unsigned char *cd,
			   size_t cdlen, const struct pk_expect *e, struct pk_new *out);
/* Does the counter reported now move on from the stored one? (Both 0: an authenticator
   without a counter.) */
bool pk_counter_ok(uint32_t stored, uint32_t now);

/* qr.c: a QR code of text as an SVG document (caller frees), NULL when it cannot be. */
char *pk_qr_svg(const char *text);

/* passkey_store.c: the SQL. */
struct pk_stored {
	bool found, revoked;
	char id[24];
	char person_id[40];
	char binding_id[24];
	char public_key[1200]; /* bytea as text */
	int alg;
	long long sign_count;
};
int pk__find(struct mado_db *db, const char *cred_hex, struct pk_stored *out);
int pk__add(struct mado_db *db, const char *person_id, const char *binding_id, const char *cred_hex,
	    const char *key_hex, int alg, uint32_t sign_count, const char *name,
	    const char *attestation, bool *duplicate);
/* Moves the counter on; *moved false when another login got there first or it did not
   move on. */
int pk__used(struct mado_db *db, const char *id, uint32_t sign_count, bool *moved);
/* The counter went backwards: a failure in the history and a notice. */
int pk__counter_regressed(struct mado_db *db, const char *person_id);
int pk__failure(struct mado_db *db, const char *person_id, const char *reason);
/* A person's devices, newest first, for mado_http_rows. */
struct pk_listed {
	const char *id, *name, *attestation, *algorithm, *added_at, *last_used_at;
};
int pk__list(struct mado_db *db, const char *person_id, mado_db_row_fn fn, void *arg);
int pk__cred_ids(struct mado_db *db, const char *person_id, cJSON *items);
int pk__remove(struct mado_db *db, const char *person_id, const char *id, bool *found);

struct pk_code {
	bool found, expired;
	char state[16];
	int number;
	char user_agent[260];
	char client_net[64];
	char created[32];
	char person_id[40];
	char binding_id[24];
};
int pk__code_new(struct mado_db *db, const char *code_hash, const char *session_key, int number,
		 const char *user_agent, const char *client_net);
/* The code of that kind ("login" or "add-device"). */
int pk__code_get(struct mado_db *db, const char *code_hash, const char *kind, struct pk_code *c);
/* The person answered with number: approved when it is the code's (a waiting code that
   has not run out), refused otherwise. *state gets what the code is now. */
int pk__code_answer(struct mado_db *db, const char *code_hash, int number, const char *person_id,
		    const char *binding_id, char state[16]);
/* The newest code of a computer's pre-login session; an approved one becomes used. */
int pk__code_of_session(struct mado_db *db, const char *session_key, struct pk_code *c);

/* "Add this phone": a code of the computer's card session (session_key), for its person and
   card binding. */
int pk__phone_new(struct mado_db *db, const char *code_hash, const char *session_key, int number,
		  const char *user_agent, const char *client_net, const char *person_id,
		  const char *binding_id);
/* The phone's pick: c->state "approved" (for the phone's pre-login session phone_key, and
   c->person_id) or "refused"; "" when the code was not waiting. */
int pk__phone_answer(struct mado_db *db, const char *code_hash, int number, const char *phone_key,
		     struct pk_code *c);
/* Spends the code approved for this phone: c->found with its person and binding. */
int pk__phone_take(struct mado_db *db, const char *code_hash, const char *phone_key,
		   struct pk_code *c);

#endif
