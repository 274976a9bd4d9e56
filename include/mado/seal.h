/*
 * Sealed answers and access tickets: what Mado and a data holder (mado-holder) exchange so
 * that Mado decides and records every access, yet relays answers it cannot read. It links
 * OpenSSL's libcrypto and cJSON only (no server, database or web code), so a holder links it
 * as the server does. docs/holders.md describes the formats for integrators.
 *
 * Sealing (HPKE-shaped, one message per key pair):
 *   enc = a fresh ephemeral P-256 key's uncompressed point (65 bytes);
 *   z   = ECDH(ephemeral, recipient): the 32-byte X coordinate;
 *   okm = HKDF-SHA-256(ikm = z, salt = enc || recipient point (130 bytes),
 *                      info = "mado-seal-v1", 44 bytes);
 *   AES-256-GCM with key okm[0..32], nonce okm[32..44], AAD = the aad string's bytes;
 *   sealed text = base64url(enc) "." base64url(ciphertext || 16-byte tag), no padding.
 * The nonce may be derived because every seal uses a fresh ephemeral key, so no key and
 * nonce pair ever repeats.
 *
 * Tickets: "<base64url payload>.<base64url Ed25519 signature>", the signature over the
 * payload's base64url text exactly as sent; the payload is a compact JSON object with the
 * keys "v" (1), "rid", "req", "hld", "sub", "items", "pur", "ref", "from" and "to" (only
 * when set), "iat", "exp", "nonce", "key", in that order.
 */
#ifndef MADO_SEAL_H
#define MADO_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <openssl/evp.h>

/* A reply key: an uncompressed P-256 point (0x04 || X || Y). */
#define MADO_SEAL_KEY_LEN 65
/* The reply key as sent in JSON: base64url without padding. */
#define MADO_SEAL_KEY_TEXT_LEN 87

/*
 * Reads a reply key sent as base64url without padding (87 characters) into key. True only
 * when it is an uncompressed point on P-256; key is untouched otherwise.
 */
bool mado_seal_key_parse(const char *b64url, unsigned char key[MADO_SEAL_KEY_LEN]);
/*
 * The base64url (no padding) of a P-256 public key's uncompressed point: a malloc'd string
 * the caller frees, or NULL when pub is not a P-256 key.
 */
char *mado_seal_key_text(EVP_PKEY *pub);

/*
 * Seals len bytes of msg to key, binding aad (the access record's event id). Returns a
 * malloc'd string "<b64url enc>.<b64url ciphertext||tag>" the caller frees, or NULL (the
 * key is not a P-256 point, or OpenSSL failed).
 */
char *mado_seal(const unsigned char key[MADO_SEAL_KEY_LEN], const char *aad, const void *msg,
		size_t len);
/*
 * Opens a sealed text with the recipient's P-256 private key. Returns the plaintext,
 * malloc'd and NUL-terminated (*len its length without the NUL), or NULL when anything does
 * not hold: the text's shape, the key, the aad or the tag.
 */
char *mado_seal_open(EVP_PKEY *priv, const char *aad, const char *sealed, size_t *len);

#define MADO_TICKET_ITEMS_MAX 32

/* What a holder may answer, for whom, to which key, and until when. */
struct mado_ticket {
	char record[37];    /* the access record's event id (uuid, lower case) */
	char requester[41]; /* organisation code of who asked; "mado" for a person's own read */
	char holder[41];    /* organisation code of the holder that may answer */
	char subject[64];   /* the holder's pseudonym for the person (43 chars base64url) */
	char items[MADO_TICKET_ITEMS_MAX][64];
	int n_items;
	char purpose[64];
	char legal_ref[201];
	char from[11], to[11]; /* data period YYYY-MM-DD, "" when none */
	long long iat, exp;    /* unix seconds */
	char nonce[23];        /* 16 random bytes, base64url; filled by sign when empty */
	unsigned char reply_key[MADO_SEAL_KEY_LEN];
};

enum mado_ticket_verdict {
	MADO_TICKET_OK = 0,
	MADO_TICKET_MALFORMED, /* not a ticket, or a field missing or out of shape */
	MADO_TICKET_SIGNATURE, /* the signature does not verify under the key */
	MADO_TICKET_FOREIGN,   /* signed, but names another holder */
	MADO_TICKET_EXPIRED,   /* now >= exp, or iat more than 60 s ahead of now */
};

/*
 * Signs t with Mado's Ed25519 key: "<b64url payload>.<b64url signature>", malloc'd (the
 * caller frees it). Fills t->nonce with 16 random bytes when it is empty. NULL when a field
 * is out of the shape verify checks (so a signed ticket always reads back), or OpenSSL
 * failed.
 */
char *mado_ticket_sign(EVP_PKEY *key, struct mado_ticket *t);
/*
 * Checks a ticket for holder at now: the signature under pub first (nothing unsigned is
 * read), then the payload's shape, then the holder, then the time. Fills out (which may be
 * NULL) on OK, FOREIGN and EXPIRED; leaves it untouched otherwise.
 */
enum mado_ticket_verdict mado_ticket_verify(EVP_PKEY *pub, const char *ticket, const char *holder,
					    time_t now, struct mado_ticket *out);
/* The problem slug of a verdict: "ticket-malformed", "ticket-signature", ...; "ok" for OK. */
const char *mado_ticket_verdict_slug(enum mado_ticket_verdict v);

#endif
