/*
 * Access tickets: Mado's Ed25519-signed word that one holder may answer one access record,
 * for one pseudonym, with these items, sealed to this reply key, until exp. Nothing of the
 * payload is read before its signature holds; then every field is checked strictly, so a
 * ticket either reads back whole or is refused. Signing reads its own payload back the
 * same way, so Mado never signs what a holder would refuse as malformed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "mado/seal.h"
#include "seal_int.h"

#define SIG_LEN        64
#define SIG_TEXT_LEN   SEAL_B64URL_LEN(SIG_LEN) /* 86 */
#define NONCE_LEN      16
#define NONCE_TEXT_LEN SEAL_B64URL_LEN(NONCE_LEN) /* 22 */
#define TOKEN_TEXT_LEN 43                         /* a pseudonym: 256 bits */
#define LEGAL_REF_MAX  200
/* Twice the largest ticket the fields allow: anything longer is refused unread. */
#define TICKET_MAX 8192
/* How far ahead of the holder's clock Mado's may run. */
#define IAT_SKEW 60
/* Unix seconds stay exact as JSON numbers (doubles) up to 2^53. */
#define TIME_MAX 9007199254740992LL

/* The payload's members, in the order they are written. */
enum member {
	M_V,
	M_RID,
	M_REQ,
	M_HLD,
	M_SUB,
	M_ITEMS,
	M_PUR,
	M_REF,
	M_FROM,
	M_TO,
	M_IAT,
	M_EXP,
	M_NONCE,
	M_KEY,
	M_COUNT
};

static const char *const member_names[M_COUNT] = {
    "v",   "rid",  "req", "hld", "sub", "items", "pur",
    "ref", "from", "to",  "iat", "exp", "nonce", "key",
};

#define REQUIRED (((1u << M_COUNT) - 1) & ~(1u << M_FROM) & ~(1u << M_TO))

/* Shapes of the fields. */

static bool
is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/* An organisation code: a-z first, then a-z 0-9 -; 2 to 40 characters. */
static bool
is_org(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 40 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* A data item or purpose code: a-z first, then a-z 0-9 _ . -; 2 to 63 characters. */
static bool
is_code(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || n > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
		return false;
	for (i = 1; i < n; i++)
		if (!is_lower_alnum(s[i]) && strchr("_.-", s[i]) == NULL)
			return false;
	return true;
}

/* A pseudonym: 43 characters of base64url's alphabet, as Mado's inputs take them. */
static bool
is_token(const char *s)
{
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

	return strlen(s) == TOKEN_TEXT_LEN && strspn(s, alphabet) == TOKEN_TEXT_LEN;
}

/* A record id: a uuid in lower case, 8-4-4-4-12. */
static bool
is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) {
			return false;
		}
	}
	return true;
}

/* The length of the valid UTF-8 character at s (shortest form, no surrogates), or 0. */
static size_t
utf8_char(const unsigned char *s)
{
	unsigned char lo = 0x80, hi = 0xbf;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (s[0] >= 0xe0 && s[0] <= 0xef) {
		lo = s[0] == 0xe0 ? 0xa0 : lo;
		hi = s[0] == 0xed ? 0x9f : hi;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		lo = s[0] == 0xf0 ? 0x90 : lo;
		hi = s[0] == 0xf4 ? 0x8f : hi;
		return s[1] >= lo && s[1] <= hi && (s[2] & 0xc0) == 0x80 && (s[3] & 0xc0) == 0x80
			   ? 4
			   : 0;
	}
	return 0;
}

/* The legal reference: 1 to 200 bytes of UTF-8 text without control characters. */
static bool
is_legal_ref(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), c;

	if (n < 1 || n > LEGAL_REF_MAX)
		return false;
	for (; *p != '\0'; p += c)
		if (*p < 0x20 || *p == 0x7f || (c = utf8_char(p)) == 0)
			return false;
	return true;
}

static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* A date YYYY-MM-DD that is a real day. */
static bool
is_date(const char *s)
{
	static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if ((y = digits(s, 4)) < 1 || (m = digits(s + 5, 2)) < 1 || m > 12 ||
	    (d = digits(s + 8, 2)) < 1 || d > days[m - 1])
		return false;
	/* 29 February only in leap years. */
	return m != 2 || d != 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

static bool
is_nonce(const char *s)
{
	unsigned char bytes[NONCE_LEN];

	return strlen(s) == NONCE_TEXT_LEN &&
	       seal__unb64url(s, NONCE_TEXT_LEN, bytes, NONCE_LEN) == NONCE_LEN;
}

/* Reading the payload. */

/* A string member of the shape into dst (cap bytes, the NUL included). */
static bool
read_str(const cJSON *v, bool (*shape)(const char *), char *dst, size_t cap)
{
	size_t n;

	if (!cJSON_IsString(v) || (n = strlen(v->valuestring)) >= cap || !shape(v->valuestring))
		return false;
	memcpy(dst, v->valuestring, n + 1);
	return true;
}

/* Unix seconds: a whole number from 0 to 2^53. */
static bool
read_time(const cJSON *v, long long *out)
{
	double d;

	if (!cJSON_IsNumber(v) || !((d = v->valuedouble) >= 0 && d <= (double)TIME_MAX))
		return false;
	*out = (long long)d;
	return (double)*out == d;
}

/* 1 to MADO_TICKET_ITEMS_MAX distinct item codes. */
static bool
read_items(const cJSON *v, struct mado_ticket *t)
{
	const cJSON *item;
	int i;

	if (!cJSON_IsArray(v))
		return false;
	t->n_items = 0;
	cJSON_ArrayForEach (item, v) {
		if (t->n_items == MADO_TICKET_ITEMS_MAX ||
		    !read_str(item, is_code, t->items[t->n_items], sizeof(t->items[0])))
			return false;
		for (i = 0; i < t->n_items; i++)
			if (strcmp(t->items[i], t->items[t->n_items]) == 0)
				return false;
		t->n_items++;
	}
	return t->n_items > 0;
}

static bool
read_key(const cJSON *v, struct mado_ticket *t)
{
	return cJSON_IsString(v) && mado_seal_key_parse(v->valuestring, t->reply_key);
}

static bool
read_member(enum member m, const cJSON *v, struct mado_ticket *t)
{
	switch (m) {
	case M_V: return cJSON_IsNumber(v) && v->valuedouble == 1.0;
	case M_RID: return read_str(v, is_uuid, t->record, sizeof(t->record));
	case M_REQ: return read_str(v, is_org, t->requester, sizeof(t->requester));
	case M_HLD: return read_str(v, is_org, t->holder, sizeof(t->holder));
	case M_SUB: return read_str(v, is_token, t->subject, sizeof(t->subject));
	case M_ITEMS: return read_items(v, t);
	case M_PUR: return read_str(v, is_code, t->purpose, sizeof(t->purpose));
	case M_REF: return read_str(v, is_legal_ref, t->legal_ref, sizeof(t->legal_ref));
	case M_FROM: return read_str(v, is_date, t->from, sizeof(t->from));
	case M_TO: return read_str(v, is_date, t->to, sizeof(t->to));
	case M_IAT: return read_time(v, &t->iat);
	case M_EXP: return read_time(v, &t->exp);
	case M_NONCE: return read_str(v, is_nonce, t->nonce, sizeof(t->nonce));
	case M_KEY: return read_key(v, t);
	case M_COUNT: break;
	}
	return false;
}

static int
member_of(const char *name)
{
	int m;

	for (m = 0; m < M_COUNT; m++)
		if (strcmp(member_names[m], name) == 0)
			return m;
	return -1;
}

/* Every member known and once, the required ones there, the period and times in order. */
static bool
read_object(const cJSON *doc, struct mado_ticket *t)
{
	const cJSON *v;
	unsigned seen = 0;
	int m;

	if (!cJSON_IsObject(doc))
		return false;
	cJSON_ArrayForEach (v, doc) {
		if (v->string == NULL || (m = member_of(v->string)) < 0 || (seen & 1u << m) != 0 ||
		    !read_member((enum member)m, v, t))
			return false;
		seen |= 1u << m;
	}
	if ((seen & REQUIRED) != REQUIRED || t->exp <= t->iat)
		return false;
	return t->from[0] == '\0' || t->to[0] == '\0' || strcmp(t->from, t->to) <= 0;
}

/* The payload's JSON text (len bytes, no NUL inside) into t, zeroed first. */
static bool
read_json(const char *json, size_t len, struct mado_ticket *t)
{
	cJSON *doc;
	bool ok;

	memset(t, 0, sizeof(*t));
	if (memchr(json, '\0', len) != NULL)
		return false;
	/* The NUL counted in, so that nothing may follow the object. */
	doc = cJSON_ParseWithLengthOpts(json, len + 1, NULL, 1);
	ok = doc != NULL && read_object(doc, t);
	cJSON_Delete(doc);
	return ok;
}

/* The base64url payload (n characters) decoded and read into t. */
static bool
read_payload(const char *text, size_t n, struct mado_ticket *t)
{
	char *json = malloc(n * 3 / 4 + 2);
	long len;
	bool ok;

	if (json == NULL)
		return false;
	len = seal__unb64url(text, n, (unsigned char *)json, n * 3 / 4 + 1);
	ok = len > 0 && (json[len] = '\0', read_json(json, (size_t)len, t));
	free(json);
	return ok;
}

/* Writing the payload. */

static bool
add_str(cJSON *o, const char *name, const char *value)
{
	return cJSON_AddStringToObject(o, name, value) != NULL;
}

/* A whole number written exactly (cJSON would print a double). */
static bool
add_int(cJSON *o, const char *name, long long value)
{
	char text[24];

	snprintf(text, sizeof(text), "%lld", value);
	return cJSON_AddRawToObject(o, name, text) != NULL;
}

static bool
add_items(cJSON *o, const struct mado_ticket *t)
{
	cJSON *items = cJSON_AddArrayToObject(o, "items"), *s;
	int i;

	if (items == NULL || t->n_items < 1 || t->n_items > MADO_TICKET_ITEMS_MAX)
		return false;
	for (i = 0; i < t->n_items; i++)
		if ((s = cJSON_CreateString(t->items[i])) == NULL ||
		    !cJSON_AddItemToArray(items, s))
			return false;
	return true;
}

/* Every string of t ends inside its array (a caller's slip must not be read past). */
static bool
terminated(const struct mado_ticket *t)
{
	int i;

	if (t->n_items < 0 || t->n_items > MADO_TICKET_ITEMS_MAX)
		return false;
	for (i = 0; i < t->n_items; i++)
		if (memchr(t->items[i], '\0', sizeof(t->items[i])) == NULL)
			return false;
#define ENDS(f) (memchr((f), '\0', sizeof(f)) != NULL)
	return ENDS(t->record) && ENDS(t->requester) && ENDS(t->holder) && ENDS(t->subject) &&
	       ENDS(t->purpose) && ENDS(t->legal_ref) && ENDS(t->from) && ENDS(t->to) &&
	       ENDS(t->nonce);
#undef ENDS
}

/* The compact JSON payload, members in their order; cJSON's allocation. */
static char *
payload_json(const struct mado_ticket *t)
{
	char key[MADO_SEAL_KEY_TEXT_LEN + 1], *json = NULL;
	cJSON *o = cJSON_CreateObject();
	bool ok;

	seal__b64url(t->reply_key, MADO_SEAL_KEY_LEN, key);
	ok = o != NULL && cJSON_AddNumberToObject(o, "v", 1) != NULL &&
	     add_str(o, "rid", t->record) && add_str(o, "req", t->requester) &&
	     add_str(o, "hld", t->holder) && add_str(o, "sub", t->subject) && add_items(o, t) &&
	     add_str(o, "pur", t->purpose) && add_str(o, "ref", t->legal_ref) &&
	     (t->from[0] == '\0' || add_str(o, "from", t->from)) &&
	     (t->to[0] == '\0' || add_str(o, "to", t->to)) && add_int(o, "iat", t->iat) &&
	     add_int(o, "exp", t->exp) && add_str(o, "nonce", t->nonce) && add_str(o, "key", key);
	if (ok)
		json = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return json;
}

/* Signing and verifying. */

static bool
fill_nonce(char nonce[NONCE_TEXT_LEN + 1])
{
	unsigned char bytes[NONCE_LEN];

	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return false;
	seal__b64url(bytes, sizeof(bytes), nonce);
	return true;
}

/* "<payload>.<b64url signature over the payload's text>", malloc'd. */
static char *
sign_text(EVP_PKEY *key, const char *payload)
{
	unsigned char sig[SIG_LEN];
	size_t sig_len = sizeof(sig), n = strlen(payload);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	char *out = NULL;

	if (md != NULL && EVP_DigestSignInit_ex(md, NULL, NULL, NULL, NULL, key, NULL) == 1 &&
	    EVP_DigestSign(md, sig, &sig_len, (const unsigned char *)payload, n) == 1 &&
	    sig_len == SIG_LEN && (out = malloc(n + 1 + SIG_TEXT_LEN + 1)) != NULL) {
		memcpy(out, payload, n);
		out[n] = '.';
		seal__b64url(sig, sizeof(sig), out + n + 1);
	}
	EVP_MD_CTX_free(md);
	return out;
}

char *
mado_ticket_sign(EVP_PKEY *key, struct mado_ticket *t)
{
	struct mado_ticket back;
	char *json = NULL, *payload = NULL, *out = NULL;
	size_t n;

	if (key == NULL || t == NULL || !EVP_PKEY_is_a(key, "ED25519") || !terminated(t))
		return NULL;
	if (t->nonce[0] == '\0' && !fill_nonce(t->nonce))
		return NULL;
	if ((json = payload_json(t)) == NULL)
		return NULL;
	n = strlen(json);
	/* What a holder would refuse as malformed is not signed. */
	if (read_json(json, n, &back) && (payload = malloc(SEAL_B64URL_LEN(n) + 1)) != NULL) {
		seal__b64url(json, n, payload);
		out = sign_text(key, payload);
	}
	free(payload);
	cJSON_free(json);
	return out;
}

static bool
signature_holds(EVP_PKEY *pub, const char *payload, size_t n, const unsigned char *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	bool ok;

	ok = md != NULL && EVP_DigestVerifyInit_ex(md, NULL, NULL, NULL, NULL, pub, NULL) == 1 &&
	     EVP_DigestVerify(md, sig, SIG_LEN, (const unsigned char *)payload, n) == 1;
	EVP_MD_CTX_free(md);
	return ok;
}

enum mado_ticket_verdict
mado_ticket_verify(EVP_PKEY *pub, const char *ticket, const char *holder, time_t now,
		   struct mado_ticket *out)
{
	unsigned char sig[SIG_LEN];
	enum mado_ticket_verdict v;
	struct mado_ticket t;
	const char *dot;
	size_t n, payload_len;

	if (pub == NULL || ticket == NULL || (n = strnlen(ticket, TICKET_MAX + 1)) > TICKET_MAX ||
	    (dot = strchr(ticket, '.')) == NULL)
		return MADO_TICKET_MALFORMED;
	payload_len = (size_t)(dot - ticket);
	if (payload_len == 0 || n - payload_len - 1 != SIG_TEXT_LEN ||
	    seal__unb64url(dot + 1, SIG_TEXT_LEN, sig, sizeof(sig)) != SIG_LEN)
		return MADO_TICKET_MALFORMED;
	if (!EVP_PKEY_is_a(pub, "ED25519") || !signature_holds(pub, ticket, payload_len, sig))
		return MADO_TICKET_SIGNATURE;
	if (!read_payload(ticket, payload_len, &t))
		return MADO_TICKET_MALFORMED;
	if (holder == NULL || strcmp(t.holder, holder) != 0)
		v = MADO_TICKET_FOREIGN;
	else if ((long long)now >= t.exp || t.iat > (long long)now + IAT_SKEW)
		v = MADO_TICKET_EXPIRED;
	else
		v = MADO_TICKET_OK;
	if (out != NULL)
		*out = t;
	return v;
}

const char *
mado_ticket_verdict_slug(enum mado_ticket_verdict v)
{
	switch (v) {
	case MADO_TICKET_OK: return "ok";
	case MADO_TICKET_MALFORMED: return "ticket-malformed";
	case MADO_TICKET_SIGNATURE: return "ticket-signature";
	case MADO_TICKET_FOREIGN: return "ticket-foreign";
	case MADO_TICKET_EXPIRED: return "ticket-expired";
	}
	return "ticket-malformed";
}
