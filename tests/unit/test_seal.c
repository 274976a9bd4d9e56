/*
 * Sealed answers and access tickets (server/seal): seal and open round trips and every way
 * an open must fail; reply keys that are not P-256 points refused; a known answer sealed
 * once (tests/data/seal/, which tests/unit/seal_vector.mjs opens with the browser's code
 * too); tickets signed and read back whole, and each verdict a holder gives.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "mado/seal.h"
#include "mado/util.h"
#include "seal/seal_int.h"

#define DATA MADO_SOURCE_DIR "/tests/data/seal/"
#define NOW  1800000000LL
#define RID  "0b6a3c1e-5f2d-4c8a-9e71-2d4f6a8b0c13"

/* Keys and helpers. */

static EVP_PKEY *
p256(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");

	assert_non_null(k);
	return k;
}

static EVP_PKEY *
ed25519(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");

	assert_non_null(k);
	return k;
}

/* The public point of a P-256 key, through the library's own text and parse. */
static void
point_of(EVP_PKEY *k, unsigned char point[MADO_SEAL_KEY_LEN])
{
	char *text = mado_seal_key_text(k);

	assert_non_null(text);
	assert_int_equal(strlen(text), MADO_SEAL_KEY_TEXT_LEN);
	assert_true(mado_seal_key_parse(text, point));
	free(text);
}

/* A file of tests/data/seal/ without its final newline. */
static char *
data_file(const char *name)
{
	char path[512], *text;
	size_t len;

	snprintf(path, sizeof(path), DATA "%s", name);
	assert_int_equal(mado_read_file(path, 1 << 20, &text, &len), 0);
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	return text;
}

/* a then b, malloc'd. */
static char *
concat(const char *a, const char *b)
{
	size_t n = strlen(a) + strlen(b) + 1;
	char *out = malloc(n);

	assert_non_null(out);
	snprintf(out, n, "%s%s", a, b);
	return out;
}

/* Sealed answers. */

static void
test_seal_round_trip(void **state)
{
	static const size_t sizes[] = {0, 1, 15, 16, 17, 1000, 70000};
	unsigned char point[MADO_SEAL_KEY_LEN], *msg;
	EVP_PKEY *k = p256();
	char *sealed, *again, *opened;
	size_t i, len;

	(void)state;
	point_of(k, point);
	msg = malloc(70000);
	assert_non_null(msg);
	for (i = 0; i < 70000; i++)
		msg[i] = (unsigned char)(i * 7 + 3);
	for (i = 0; i < MADO_NELEM(sizes); i++) {
		sealed = mado_seal(point, RID, msg, sizes[i]);
		assert_non_null(sealed);
		assert_int_equal(strcspn(sealed, "."), MADO_SEAL_KEY_TEXT_LEN);
		opened = mado_seal_open(k, RID, sealed, &len);
		assert_non_null(opened);
		assert_int_equal(len, sizes[i]);
		assert_memory_equal(opened, msg, sizes[i]);
		assert_int_equal(opened[len], '\0');
		/* A fresh ephemeral key each time: the same message never seals the same. */
		again = mado_seal(point, RID, msg, sizes[i]);
		assert_non_null(again);
		assert_string_not_equal(again, sealed);
		free(again);
		free(opened);
		free(sealed);
	}
	free(msg);
	EVP_PKEY_free(k);
}

/* Opening fails: another aad, another key, any byte changed, cut, or not a sealed text. */
static void
test_seal_open_refuses(void **state)
{
	static const char *const garbage[] = {"", ".", "abc", "abc.def", "....", "%%%.%%%"};
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *k = p256(), *other = p256();
	char *sealed, *bad;
	size_t i, n, len = 12345;

	(void)state;
	point_of(k, point);
	sealed = mado_seal(point, RID, "{\"record\":1}", 12);
	assert_non_null(sealed);
	n = strlen(sealed);
	assert_null(mado_seal_open(k, "0b6a3c1e-5f2d-4c8a-9e71-2d4f6a8b0c14", sealed, &len));
	assert_null(mado_seal_open(k, "", sealed, &len));
	assert_null(mado_seal_open(other, RID, sealed, &len));
	assert_null(mado_seal_open(NULL, RID, sealed, &len));
	assert_null(mado_seal_open(k, NULL, sealed, &len));
	/* One character changed anywhere, in the ephemeral point or the ciphertext and tag. */
	bad = strdup(sealed);
	assert_non_null(bad);
	for (i = 0; i < n; i++) {
		if (sealed[i] == '.')
			continue;
		bad[i] = sealed[i] == 'A' ? 'B' : 'A';
		assert_null(mado_seal_open(k, RID, bad, &len));
		bad[i] = sealed[i];
	}
	/* Cut anywhere. */
	for (i = 0; i < n; i++) {
		bad[i] = '\0';
		assert_null(mado_seal_open(k, RID, bad, &len));
		bad[i] = sealed[i];
	}
	/* Something appended. */
	free(bad);
	bad = concat(sealed, "AAAA");
	assert_null(mado_seal_open(k, RID, bad, &len));
	free(bad);
	for (i = 0; i < MADO_NELEM(garbage); i++)
		assert_null(mado_seal_open(k, RID, garbage[i], &len));
	assert_null(mado_seal_open(k, RID, NULL, &len));
	assert_int_equal(len, 12345);
	/* Still opens untouched. */
	bad = mado_seal_open(k, RID, sealed, &len);
	assert_non_null(bad);
	assert_string_equal(bad, "{\"record\":1}");
	free(bad);
	free(sealed);
	EVP_PKEY_free(other);
	EVP_PKEY_free(k);
}

/* A private key of another curve or kind opens nothing and seals to nothing. */
static void
test_seal_other_kinds_of_key(void **state)
{
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *k = p256(), *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), *ed = ed25519();
	char *sealed;
	size_t len;

	(void)state;
	assert_non_null(p384);
	point_of(k, point);
	assert_null(mado_seal_key_text(p384));
	assert_null(mado_seal_key_text(ed));
	assert_null(mado_seal_key_text(NULL));
	sealed = mado_seal(point, RID, "x", 1);
	assert_non_null(sealed);
	assert_null(mado_seal_open(p384, RID, sealed, &len));
	assert_null(mado_seal_open(ed, RID, sealed, &len));
	free(sealed);
	point[0] = 0x02;
	assert_null(mado_seal(point, RID, "x", 1));
	EVP_PKEY_free(ed);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(k);
}

/* Reply keys: 87 base64url characters of an uncompressed point on P-256, nothing else. */
static void
test_seal_key_parse_refuses(void **state)
{
	unsigned char point[MADO_SEAL_KEY_LEN], bad[MADO_SEAL_KEY_LEN], out[MADO_SEAL_KEY_LEN];
	char text[MADO_SEAL_KEY_TEXT_LEN + 8];
	EVP_PKEY *k = p256();

	(void)state;
	point_of(k, point);
	seal__b64url(point, sizeof(point), text);
	assert_true(mado_seal_key_parse(text, out));
	assert_memory_equal(out, point, sizeof(point));
	memset(out, 0x5a, sizeof(out));
	/* Y changed: 65 bytes with the right prefix, not on the curve. */
	memcpy(bad, point, sizeof(bad));
	bad[64] ^= 1;
	seal__b64url(bad, sizeof(bad), text);
	assert_false(mado_seal_key_parse(text, out));
	/* The point at 0, 0. */
	memset(bad + 1, 0, 64);
	seal__b64url(bad, sizeof(bad), text);
	assert_false(mado_seal_key_parse(text, out));
	/* Hybrid and odd prefixes with the right coordinates. */
	memcpy(bad, point, sizeof(bad));
	bad[0] = 0x06 | (point[64] & 1);
	seal__b64url(bad, sizeof(bad), text);
	assert_false(mado_seal_key_parse(text, out));
	bad[0] = 0x05;
	seal__b64url(bad, sizeof(bad), text);
	assert_false(mado_seal_key_parse(text, out));
	/* Compressed (33 bytes), and lengths either side. */
	seal__b64url(point, 33, text);
	assert_false(mado_seal_key_parse(text, out));
	seal__b64url(point, sizeof(point), text);
	text[86] = '\0';
	assert_false(mado_seal_key_parse(text, out));
	seal__b64url(point, sizeof(point), text);
	strcat(text, "A");
	assert_false(mado_seal_key_parse(text, out));
	seal__b64url(point, sizeof(point), text);
	strcat(text, "=");
	assert_false(mado_seal_key_parse(text, out));
	/* Standard base64's characters, and a last character with stray low bits. */
	seal__b64url(point, sizeof(point), text);
	text[10] = text[10] == '-' ? '+' : text[10] == '_' ? '/' : '+';
	assert_false(mado_seal_key_parse(text, out));
	seal__b64url(point, sizeof(point), text);
	text[86] = text[86] == 'A' ? 'B' : (char)(text[86] + 1);
	assert_false(mado_seal_key_parse(text, out));
	assert_false(mado_seal_key_parse("", out));
	assert_false(mado_seal_key_parse(NULL, out));
	/* Untouched by every refusal. */
	memset(bad, 0x5a, sizeof(bad));
	assert_memory_equal(out, bad, sizeof(out));
	EVP_PKEY_free(k);
}

/* base64url without padding, strictly. */
static void
test_seal_b64url(void **state)
{
	unsigned char out[8];
	char text[16];

	(void)state;
	assert_int_equal(seal__b64url("\xfb\xff", 2, text), 3);
	assert_string_equal(text, "-_8");
	assert_int_equal(seal__unb64url("-_8", 3, out, sizeof(out)), 2);
	assert_memory_equal(out, "\xfb\xff", 2);
	assert_int_equal(seal__unb64url("", 0, out, sizeof(out)), 0);
	assert_int_equal(seal__unb64url("-_9", 3, out, sizeof(out)), -1);  /* stray bits */
	assert_int_equal(seal__unb64url("-_8=", 4, out, sizeof(out)), -1); /* padding */
	assert_int_equal(seal__unb64url("+/8", 3, out, sizeof(out)), -1);
	assert_int_equal(seal__unb64url("A", 1, out, sizeof(out)), -1);
	assert_int_equal(seal__unb64url("AAAAAAAAAAAA", 12, out, sizeof(out)), -1); /* 9 > 8 */
	assert_int_equal(seal__unb64url("AA\0A", 4, out, sizeof(out)), -1);
}

/*
 * The known answer: sealed once to tests/data/seal/recipient.pem. It opens to the
 * plaintext with the aad and fails with another; the browser's code opens the same text in
 * seal_vector.mjs, so neither side can change the construction alone.
 */
static void
test_seal_known_answer(void **state)
{
	char *pem = data_file("recipient.pem"), *aad = data_file("aad.txt"),
	     *plain = data_file("plaintext.json"), *sealed = data_file("sealed.txt"), *opened;
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *k;
	size_t len;

	(void)state;
	assert_non_null(bio);
	k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	assert_non_null(k);
	opened = mado_seal_open(k, aad, sealed, &len);
	assert_non_null(opened);
	assert_int_equal(len, strlen(plain));
	assert_string_equal(opened, plain);
	free(opened);
	aad[0] ^= 1;
	assert_null(mado_seal_open(k, aad, sealed, &len));
	EVP_PKEY_free(k);
	BIO_free(bio);
	free(sealed);
	free(plain);
	free(aad);
	free(pem);
}

/* Tickets. */

/* A ticket with every field set. */
static void
full_ticket(struct mado_ticket *t, const unsigned char point[MADO_SEAL_KEY_LEN])
{
	memset(t, 0, sizeof(*t));
	snprintf(t->record, sizeof(t->record), "%s", RID);
	snprintf(t->requester, sizeof(t->requester), "city-minato");
	snprintf(t->holder, sizeof(t->holder), "nta");
	snprintf(t->subject, sizeof(t->subject), "q1Wz-9_xLk3mB7aPzT0vR5nC8dE2fG4hJ6kL0mN1oP4");
	snprintf(t->items[0], sizeof(t->items[0]), "tax.income");
	snprintf(t->items[1], sizeof(t->items[1]), "tax.resident_tax");
	t->n_items = 2;
	snprintf(t->purpose, sizeof(t->purpose), "childcare-subsidy");
	snprintf(t->legal_ref, sizeof(t->legal_ref), "番号法 別表第二 \"94\" \\ 項");
	snprintf(t->from, sizeof(t->from), "2025-01-01");
	snprintf(t->to, sizeof(t->to), "2025-12-31");
	t->iat = NOW;
	t->exp = NOW + 120;
	memcpy(t->reply_key, point, MADO_SEAL_KEY_LEN);
}

static void
assert_same_ticket(const struct mado_ticket *a, const struct mado_ticket *b)
{
	int i;

	assert_string_equal(a->record, b->record);
	assert_string_equal(a->requester, b->requester);
	assert_string_equal(a->holder, b->holder);
	assert_string_equal(a->subject, b->subject);
	assert_int_equal(a->n_items, b->n_items);
	for (i = 0; i < a->n_items; i++)
		assert_string_equal(a->items[i], b->items[i]);
	assert_string_equal(a->purpose, b->purpose);
	assert_string_equal(a->legal_ref, b->legal_ref);
	assert_string_equal(a->from, b->from);
	assert_string_equal(a->to, b->to);
	assert_true(a->iat == b->iat && a->exp == b->exp);
	assert_string_equal(a->nonce, b->nonce);
	assert_memory_equal(a->reply_key, b->reply_key, MADO_SEAL_KEY_LEN);
}

/* The payload's JSON text of a ticket (malloc'd). */
static char *
payload_of(const char *ticket)
{
	size_t n = strcspn(ticket, ".");
	char *json = calloc(1, n);
	long len;

	assert_non_null(json);
	len = seal__unb64url(ticket, n, (unsigned char *)json, n);
	assert_true(len > 0);
	json[len] = '\0';
	return json;
}

/* A ticket of any payload text, signed as Mado signs. */
static char *
sign_raw(EVP_PKEY *key, const char *json)
{
	unsigned char sig[64];
	size_t n = strlen(json), sig_len = sizeof(sig), at;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *out = malloc(n * 2 + 100);

	assert_non_null(md);
	assert_non_null(out);
	at = seal__b64url(json, n, out);
	assert_int_equal(EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, key, NULL), 1);
	assert_int_equal(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)out, at), 1);
	out[at++] = '.';
	seal__b64url(sig, sig_len, out + at);
	EVP_MD_CTX_free(md);
	return out;
}

/* The ticket re-signed with its payload's member changed (value NULL: removed). */
static char *
resign_with(EVP_PKEY *key, const char *ticket, const char *member, cJSON *value)
{
	char *json = payload_of(ticket), *text, *out;
	cJSON *doc = cJSON_Parse(json);

	assert_non_null(doc);
	if (value == NULL)
		cJSON_DeleteItemFromObjectCaseSensitive(doc, member);
	else
		assert_true(cJSON_ReplaceItemInObjectCaseSensitive(doc, member, value));
	text = cJSON_PrintUnformatted(doc);
	out = sign_raw(key, text);
	cJSON_free(text);
	cJSON_Delete(doc);
	free(json);
	return out;
}

static void
test_ticket_round_trip(void **state)
{
	static const char *const order[] = {"v",   "rid",  "req", "hld", "sub", "items", "pur",
					    "ref", "from", "to",  "iat", "exp", "nonce", "key"};
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *mado = ed25519(), *reply = p256();
	struct mado_ticket t, out;
	char *ticket, *json, *key;
	const cJSON *m;
	cJSON *doc;
	size_t i = 0;

	(void)state;
	point_of(reply, point);
	full_ticket(&t, point);
	ticket = mado_ticket_sign(mado, &t);
	assert_non_null(ticket);
	assert_int_equal(strlen(t.nonce), 22);
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", (time_t)NOW, &out),
			 MADO_TICKET_OK);
	assert_same_ticket(&t, &out);
	/* The payload: compact JSON, its members in the documented order. */
	json = payload_of(ticket);
	assert_int_equal(strncmp(json, "{\"v\":1,\"rid\":\"" RID "\",\"req\":\"city-minato\"", 50),
			 0);
	assert_non_null(strstr(json, "\"iat\":1800000000,\"exp\":1800000120,"));
	assert_null(strchr(json, '\n'));
	doc = cJSON_Parse(json);
	assert_non_null(doc);
	cJSON_ArrayForEach (m, doc) {
		assert_true(i < MADO_NELEM(order));
		assert_string_equal(m->string, order[i++]);
	}
	assert_int_equal(i, MADO_NELEM(order));
	key = mado_seal_key_text(reply);
	assert_string_equal(cJSON_GetObjectItem(doc, "key")->valuestring, key);
	free(key);
	cJSON_Delete(doc);
	free(json);
	free(ticket);
	/* Without a period, "from" and "to" are not written; a nonce given is kept. */
	t.from[0] = t.to[0] = '\0';
	snprintf(t.nonce, sizeof(t.nonce), "AAAAAAAAAAAAAAAAAAAAAA");
	ticket = mado_ticket_sign(mado, &t);
	assert_non_null(ticket);
	json = payload_of(ticket);
	assert_null(strstr(json, "\"from\""));
	assert_null(strstr(json, "\"to\""));
	assert_non_null(strstr(json, "\"pur\":\"childcare-subsidy\",\"ref\":"));
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", (time_t)NOW, &out),
			 MADO_TICKET_OK);
	assert_same_ticket(&t, &out);
	free(json);
	free(ticket);
	EVP_PKEY_free(reply);
	EVP_PKEY_free(mado);
}

/* Mado does not sign what a holder would refuse as malformed. */
static void
test_ticket_sign_refuses(void **state)
{
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *mado = ed25519(), *reply = p256();
	struct mado_ticket t;

	(void)state;
	point_of(reply, point);
	full_ticket(&t, point);
	assert_null(mado_ticket_sign(reply, &t)); /* not an Ed25519 key */
	assert_null(mado_ticket_sign(NULL, &t));
#define REFUSED(change)                                                                            \
	do {                                                                                       \
		full_ticket(&t, point);                                                            \
		change;                                                                            \
		assert_null(mado_ticket_sign(mado, &t));                                           \
	} while (0)
	REFUSED(t.record[0] = 'G');
	REFUSED(t.holder[0] = '\0');
	REFUSED(t.requester[0] = 'X');
	REFUSED(t.subject[42] = '\0');
	REFUSED(t.subject[5] = '+');
	REFUSED(t.n_items = 0);
	REFUSED(t.n_items = MADO_TICKET_ITEMS_MAX + 1);
	REFUSED(snprintf(t.items[1], sizeof(t.items[1]), "tax.income"));
	REFUSED(t.items[0][0] = '1');
	REFUSED(t.purpose[0] = '\0');
	REFUSED(t.legal_ref[0] = '\0');
	REFUSED(t.legal_ref[3] = '\n');
	REFUSED(t.legal_ref[1] = '\xff');
	REFUSED(snprintf(t.from, sizeof(t.from), "2026-01-01"));
	REFUSED(snprintf(t.to, sizeof(t.to), "2025-02-29"));
	REFUSED(t.exp = t.iat);
	REFUSED(t.iat = -1);
	REFUSED(snprintf(t.nonce, sizeof(t.nonce), "short"));
	REFUSED(t.reply_key[64] ^= 1);
	REFUSED(memset(t.purpose, 'a', sizeof(t.purpose)));
#undef REFUSED
	EVP_PKEY_free(reply);
	EVP_PKEY_free(mado);
}

static void
test_ticket_malformed(void **state)
{
	static const char *const missing[] = {"v",   "rid", "req", "hld", "sub",   "items",
					      "pur", "ref", "iat", "exp", "nonce", "key"};
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *mado = ed25519(), *reply = p256();
	struct mado_ticket t, out;
	char *ticket, *bad, *json;
	size_t i;

	(void)state;
	point_of(reply, point);
	full_ticket(&t, point);
	ticket = mado_ticket_sign(mado, &t);
	assert_non_null(ticket);
	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(mado_ticket_verify(mado, "garbage", "nta", NOW, &out),
			 MADO_TICKET_MALFORMED);
	assert_int_equal(mado_ticket_verify(mado, "", "nta", NOW, &out), MADO_TICKET_MALFORMED);
	assert_int_equal(mado_ticket_verify(mado, NULL, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	/* Without the dot, with the signature cut, with a second dot. */
	bad = strdup(ticket);
	assert_non_null(bad);
	bad[strcspn(bad, ".")] = 'A';
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	strcpy(bad, ticket);
	bad[strlen(bad) - 1] = '\0';
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	bad[strcspn(bad, ".") + 5] = '.';
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	/* Signed, but not JSON, not an object, not version 1, or followed by more. */
	json = payload_of(ticket);
	{
		const char *const texts[] = {"not json", "[1]", "{}", "null", "{\"v\":1"};

		for (i = 0; i < MADO_NELEM(texts); i++) {
			bad = sign_raw(mado, texts[i]);
			assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out),
					 MADO_TICKET_MALFORMED);
			free(bad);
		}
	}
	bad = concat(json, " ");
	free(json);
	json = bad;
	bad = sign_raw(mado, json);
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_OK);
	free(bad);
	json[strlen(json) - 1] = 'x';
	bad = sign_raw(mado, json);
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	free(json);
	/* Each required member missing, out of shape, or doubled. */
	memset(&out, 0x5a, sizeof(out));
	for (i = 0; i < MADO_NELEM(missing); i++) {
		bad = resign_with(mado, ticket, missing[i], NULL);
		assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out),
				 MADO_TICKET_MALFORMED);
		free(bad);
	}
	bad = resign_with(mado, ticket, "v", cJSON_CreateNumber(2));
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	bad = resign_with(mado, ticket, "rid",
			  cJSON_CreateString("0B6A3C1E-5F2D-4C8A-9E71-2D4F6A8B0C13"));
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	bad = resign_with(mado, ticket, "iat", cJSON_CreateNumber(1.5));
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	bad = resign_with(mado, ticket, "items", cJSON_CreateArray());
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	bad = resign_with(mado, ticket, "key", cJSON_CreateString("AAAA"));
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	json = payload_of(ticket);
	memcpy(strstr(json, "\"hld\""), "\"req\"", 5);
	bad = sign_raw(mado, json);
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	free(json);
	json = payload_of(ticket);
	memcpy(strstr(json, "\"pur\""), "\"pux\"", 5);
	bad = sign_raw(mado, json);
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, &out), MADO_TICKET_MALFORMED);
	free(bad);
	free(json);
	/* out untouched by every refusal. */
	assert_int_equal(((unsigned char *)&out)[0], 0x5a);
	assert_int_equal(((unsigned char *)&out)[sizeof(out) - 1], 0x5a);
	free(ticket);
	EVP_PKEY_free(reply);
	EVP_PKEY_free(mado);
}

static void
test_ticket_signature(void **state)
{
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *mado = ed25519(), *other = ed25519(), *reply = p256();
	struct mado_ticket t;
	char *ticket, *bad;
	size_t i, n;

	(void)state;
	point_of(reply, point);
	full_ticket(&t, point);
	ticket = mado_ticket_sign(mado, &t);
	assert_non_null(ticket);
	/* Any one character of the payload changed. */
	n = strcspn(ticket, ".");
	bad = strdup(ticket);
	assert_non_null(bad);
	for (i = 0; i < n; i++) {
		bad[i] = ticket[i] == 'A' ? 'B' : 'A';
		assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, NULL),
				 MADO_TICKET_SIGNATURE);
		bad[i] = ticket[i];
	}
	/* A signature byte changed. */
	bad[n + 1] = ticket[n + 1] == 'A' ? 'B' : 'A';
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, NULL), MADO_TICKET_SIGNATURE);
	free(bad);
	/* Signed by another key, or checked under a key of another kind. */
	bad = mado_ticket_sign(other, &t);
	assert_non_null(bad);
	assert_int_equal(mado_ticket_verify(mado, bad, "nta", NOW, NULL), MADO_TICKET_SIGNATURE);
	assert_int_equal(mado_ticket_verify(other, bad, "nta", NOW, NULL), MADO_TICKET_OK);
	assert_int_equal(mado_ticket_verify(reply, ticket, "nta", NOW, NULL),
			 MADO_TICKET_SIGNATURE);
	free(bad);
	free(ticket);
	EVP_PKEY_free(reply);
	EVP_PKEY_free(other);
	EVP_PKEY_free(mado);
}

static void
test_ticket_foreign_and_expired(void **state)
{
	unsigned char point[MADO_SEAL_KEY_LEN];
	EVP_PKEY *mado = ed25519(), *reply = p256();
	struct mado_ticket t, out;
	char *ticket;

	(void)state;
	point_of(reply, point);
	full_ticket(&t, point);
	ticket = mado_ticket_sign(mado, &t);
	assert_non_null(ticket);
	memset(&out, 0, sizeof(out));
	assert_int_equal(mado_ticket_verify(mado, ticket, "jpo", NOW, &out), MADO_TICKET_FOREIGN);
	assert_string_equal(out.holder, "nta");
	assert_int_equal(mado_ticket_verify(mado, ticket, "nt", NOW, NULL), MADO_TICKET_FOREIGN);
	assert_int_equal(mado_ticket_verify(mado, ticket, NULL, NOW, NULL), MADO_TICKET_FOREIGN);
	/* Valid from iat - 60 s up to, not including, exp. */
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", NOW + 119, NULL), MADO_TICKET_OK);
	memset(&out, 0, sizeof(out));
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", NOW + 120, &out),
			 MADO_TICKET_EXPIRED);
	assert_string_equal(out.record, RID);
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", NOW + 100000, NULL),
			 MADO_TICKET_EXPIRED);
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", NOW - 60, NULL), MADO_TICKET_OK);
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", NOW - 61, NULL),
			 MADO_TICKET_EXPIRED);
	assert_int_equal(mado_ticket_verify(mado, ticket, "nta", NOW - 86400, NULL),
			 MADO_TICKET_EXPIRED);
	free(ticket);
	EVP_PKEY_free(reply);
	EVP_PKEY_free(mado);
}

static void
test_ticket_slugs(void **state)
{
	(void)state;
	assert_string_equal(mado_ticket_verdict_slug(MADO_TICKET_OK), "ok");
	assert_string_equal(mado_ticket_verdict_slug(MADO_TICKET_MALFORMED), "ticket-malformed");
	assert_string_equal(mado_ticket_verdict_slug(MADO_TICKET_SIGNATURE), "ticket-signature");
	assert_string_equal(mado_ticket_verdict_slug(MADO_TICKET_FOREIGN), "ticket-foreign");
	assert_string_equal(mado_ticket_verdict_slug(MADO_TICKET_EXPIRED), "ticket-expired");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seal_round_trip),
	    cmocka_unit_test(test_seal_open_refuses),
	    cmocka_unit_test(test_seal_other_kinds_of_key),
	    cmocka_unit_test(test_seal_key_parse_refuses),
	    cmocka_unit_test(test_seal_b64url),
	    cmocka_unit_test(test_seal_known_answer),
	    cmocka_unit_test(test_ticket_round_trip),
	    cmocka_unit_test(test_ticket_sign_refuses),
	    cmocka_unit_test(test_ticket_malformed),
	    cmocka_unit_test(test_ticket_signature),
	    cmocka_unit_test(test_ticket_foreign_and_expired),
	    cmocka_unit_test(test_ticket_slugs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
