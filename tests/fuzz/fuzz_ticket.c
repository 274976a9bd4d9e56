/*
 * Access tickets and sealed texts (server/seal), as a holder reads them from anyone. Any
 * bytes: no crash, no read past the input. The input is read twice: as a ticket under a
 * fixed Mado key, and as a payload that key signs (so the payload's reader is reached past
 * the signature). Whatever reads as a ticket signs again, and that ticket reads back the
 * same with the same verdict: Mado signs exactly what holders accept. The input is also
 * opened as a sealed text and parsed as a reply key.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fuzz.h"
#include "mado/seal.h"
#include "seal/seal_int.h"

#define HOLDER "nta"

static EVP_PKEY *mado_key, *recipient;
static time_t now;

/* Mado's key from the seed 40 41 .. 5f; the recipient of tests/data/seal. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char seed[32];
	char path[512];
	FILE *f;
	int i;

	(void)argc;
	(void)argv;
	for (i = 0; i < 32; i++)
		seed[i] = (unsigned char)(0x40 + i);
	mado_key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, seed, sizeof(seed));
	fuzz_source_path(path, sizeof(path), "tests/data/seal/recipient.pem");
	if ((f = fopen(path, "r")) != NULL) {
		recipient = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	FUZZ_ASSERT(mado_key != NULL && recipient != NULL);
	now = fuzz_time("2027-01-15T00:00:00Z");
	return 0;
}

static bool
same_ticket(const struct mado_ticket *a, const struct mado_ticket *b)
{
	int i;

	if (a->n_items != b->n_items || a->iat != b->iat || a->exp != b->exp ||
	    memcmp(a->reply_key, b->reply_key, MADO_SEAL_KEY_LEN) != 0)
		return false;
	for (i = 0; i < a->n_items; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return strcmp(a->record, b->record) == 0 && strcmp(a->requester, b->requester) == 0 &&
	       strcmp(a->holder, b->holder) == 0 && strcmp(a->subject, b->subject) == 0 &&
	       strcmp(a->purpose, b->purpose) == 0 && strcmp(a->legal_ref, b->legal_ref) == 0 &&
	       strcmp(a->from, b->from) == 0 && strcmp(a->to, b->to) == 0 &&
	       strcmp(a->nonce, b->nonce) == 0;
}

/* A ticket that read signs again, and reads back the same with the same verdict. */
static void
check_resign(enum mado_ticket_verdict v, struct mado_ticket *t)
{
	struct mado_ticket back;
	char *again;

	if (v == MADO_TICKET_MALFORMED || v == MADO_TICKET_SIGNATURE)
		return;
	again = mado_ticket_sign(mado_key, t);
	FUZZ_ASSERT(again != NULL);
	FUZZ_ASSERT(mado_ticket_verify(mado_key, again, HOLDER, now, &back) == v);
	FUZZ_ASSERT(same_ticket(t, &back));
	free(again);
}

/* The input as a payload, signed with Mado's key as mado_ticket_sign would. */
static char *
signed_payload(const uint8_t *data, size_t size)
{
	unsigned char sig[64];
	size_t sig_len = sizeof(sig), n;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *out = malloc(SEAL_B64URL_LEN(size) + 1 + SEAL_B64URL_LEN(64) + 1);

	FUZZ_ASSERT(md != NULL && out != NULL);
	n = seal__b64url(data, size, out);
	FUZZ_ASSERT(EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, mado_key, NULL) == 1);
	FUZZ_ASSERT(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)out, n) == 1);
	out[n++] = '.';
	seal__b64url(sig, sig_len, out + n);
	EVP_MD_CTX_free(md);
	return out;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char key[MADO_SEAL_KEY_LEN];
	enum mado_ticket_verdict v;
	struct mado_ticket t;
	char *s, *ticket, *opened;
	size_t len;

	s = fuzz_cstr(data, size);
	v = mado_ticket_verify(mado_key, s, HOLDER, now, &t);
	check_resign(v, &t);
	if (size <= 8192) {
		ticket = signed_payload(data, size);
		v = mado_ticket_verify(mado_key, ticket, HOLDER, now, &t);
		FUZZ_ASSERT(v != MADO_TICKET_SIGNATURE);
		check_resign(v, &t);
		free(ticket);
	}
	if ((opened = mado_seal_open(recipient, "aad", s, &len)) != NULL) {
		FUZZ_ASSERT(opened[len] == '\0');
		free(opened);
	}
	if (mado_seal_key_parse(s, key)) {
		/* The C string read: the input may go on after a NUL. */
		FUZZ_ASSERT(strlen(s) == MADO_SEAL_KEY_TEXT_LEN && key[0] == 0x04);
		opened = mado_seal(key, "aad", data, size);
		FUZZ_ASSERT(opened != NULL);
		free(opened);
	}
	free(s);
	return 0;
}
