/*
 * Checkpoints as C2SP signed notes: the checkpoint text, Ed25519 verifier keys, the log's
 * signature (type 0x01) and witnesses' cosignatures (type 0x04, C2SP tlog-cosignature),
 * and the verification of a note by the rules of golang.org/x/mod/sumdb/note.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "mado/tlog.h"
#include "tlog_int.h"

#define SIG_TYPE_ED25519 0x01
#define SIG_TYPE_COSIG   0x04
#define MAX_SIG_LINES    100
#define MAX_WITNESSES    64
#define EM_DASH_SPACE    "\xe2\x80\x94 "
#define COSIG_HEADER_MAX 64
#define MAX_NAME         256

/* Helpers shared with bundle.c and leaf.c. */

size_t
mado_tlog_b64(const void *data, size_t len, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, data, (int)len);
}

static int
b64_value(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

long
mado_tlog_unb64(const char *s, size_t n, unsigned char *out, size_t cap)
{
	size_t i, o = 0, pad = 0;
	uint32_t acc;
	int v[4], j;

	if (n % 4 != 0)
		return -1;
	for (i = 0; i < n; i += 4) {
		for (j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
				continue;
			}
			if (pad != 0 || (v[j] = b64_value(s[i + j])) < 0)
				return -1;
		}
		acc = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
		      (uint32_t)v[3];
		/* Canonical: the bits the padding leaves unused are zero. */
		if ((pad == 1 && (acc & 0xff) != 0) || (pad == 2 && (acc & 0xffff) != 0))
			return -1;
		if (o + 3 - pad > cap)
			return -1;
		out[o++] = (unsigned char)(acc >> 16);
		if (pad < 2)
			out[o++] = (unsigned char)(acc >> 8);
		if (pad < 1)
			out[o++] = (unsigned char)acc;
	}
	return (long)o;
}

bool
mado_tlog_utf8(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, len, k;
	unsigned int cp;

	while (i < n) {
		if (p[i] == 0)
			return false;
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (p[i] >= 0xc2 && p[i] <= 0xdf) {
			len = 2;
			cp = p[i] & 0x1fu;
		} else if (p[i] >= 0xe0 && p[i] <= 0xef) {
			len = 3;
			cp = p[i] & 0x0fu;
		} else if (p[i] >= 0xf0 && p[i] <= 0xf4) {
			len = 4;
			cp = p[i] & 0x07u;
		} else {
			return false;
		}
		if (n - i < len)
			return false;
		for (k = 1; k < len; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i + k] & 0x3fu);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

bool
mado_tlog_decimal(const char *s, size_t n, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	*v = x;
	return true;
}

/* UTF-8 text with no control character but "\n". */
static bool
text_ok(const char *s, size_t n)
{
	size_t i;

	if (!mado_tlog_utf8(s, n))
		return false;
	for (i = 0; i < n; i++)
		if (((unsigned char)s[i] < 0x20 && s[i] != '\n') || s[i] == 0x7f)
			return false;
	return true;
}

/* A key name: non-empty UTF-8 without spaces, "+" or control characters. */
static bool
name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n >= MAX_NAME || !mado_tlog_utf8(s, n))
		return false;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= 0x20 || s[i] == 0x7f || s[i] == '+')
			return false;
	return true;
}

/* Checkpoints. */

int
mado_tlog_checkpoint_text(const struct mado_tlog_checkpoint *c, char *buf, size_t cap)
{
	char root[45];
	size_t olen = strnlen(c->origin, sizeof(c->origin));
	int n;

	if (olen == 0 || olen == sizeof(c->origin) || !text_ok(c->origin, olen) ||
	    strchr(c->origin, '\n') != NULL)
		return -1;
	mado_tlog_b64(c->root, 32, root);
	n = snprintf(buf, cap, "%s\n%" PRIu64 "\n%s\n", c->origin, c->size, root);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
mado_tlog_checkpoint_parse(const char *text, size_t len, struct mado_tlog_checkpoint *c)
{
	const char *line = text, *end = text + len, *nl;
	size_t n;
	int i;

	if (len == 0 || text[len - 1] != '\n' || !text_ok(text, len))
		return -1;
	for (i = 0; line < end; i++, line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		n = (size_t)(nl - line);
		if (n == 0) /* a checkpoint has no empty line */
			return -1;
		if (i == 0) {
			if (n >= sizeof(c->origin))
				return -1;
			memcpy(c->origin, line, n);
			c->origin[n] = '\0';
		} else if (i == 1) {
			if (!mado_tlog_decimal(line, n, &c->size))
				return -1;
		} else if (i == 2) {
			if (n != 44 || mado_tlog_unb64(line, n, c->root, 32) != 32)
				return -1;
		}
	}
	return i >= 3 ? 0 : -1;
}

/* Keys. */

static uint32_t
key_id(const char *name, size_t nlen, unsigned char type, const unsigned char pub[32])
{
	static const unsigned char nl = '\n';
	unsigned char h[32];
	unsigned int hl = 32;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || EVP_DigestInit_ex2(ctx, mado_tlog_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, name, nlen) != 1 || EVP_DigestUpdate(ctx, &nl, 1) != 1 ||
	    EVP_DigestUpdate(ctx, &type, 1) != 1 || EVP_DigestUpdate(ctx, pub, 32) != 1 ||
	    EVP_DigestFinal_ex(ctx, h, &hl) != 1)
		abort();
	EVP_MD_CTX_free(ctx);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

static int
raw_public(EVP_PKEY *key, unsigned char pub[32])
{
	size_t len = 32;

	if (key == NULL || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519 ||
	    EVP_PKEY_get_raw_public_key(key, pub, &len) != 1 || len != 32)
		return -1;
	return 0;
}

static int
vkey_of(const char *name, EVP_PKEY *key, unsigned char type, char *buf, size_t cap)
{
	unsigned char raw[33];
	char b64[49];
	int n;

	if (name == NULL || !name_ok(name, strlen(name)) || raw_public(key, raw + 1) != 0)
		return -1;
	raw[0] = type;
	mado_tlog_b64(raw, sizeof(raw), b64);
	n = snprintf(buf, cap, "%s+%08" PRIx32 "+%s", name,
		     key_id(name, strlen(name), type, raw + 1), b64);
	return n < 0 || (size_t)n >= cap ? -1 : n;
}

int
mado_tlog_vkey(const char *name, EVP_PKEY *key, char *buf, size_t cap)
{
	return vkey_of(name, key, SIG_TYPE_ED25519, buf, cap);
}

int
mado_tlog_witness_vkey(const char *name, EVP_PKEY *key, char *buf, size_t cap)
{
	return vkey_of(name, key, SIG_TYPE_COSIG, buf, cap);
}

struct vkey {
	char name[MAX_NAME];
	uint32_t id;
	unsigned char pub[32];
};

/* "<name>+<8 hex>+<base64(type || 32-byte key)>" with the key ID it names. */
static int
vkey_parse(const char *s, unsigned char type, struct vkey *k)
{
	const char *p1, *p2;
	unsigned char raw[34];
	uint64_t id = 0;
	size_t i, n;

	if (s == NULL || (p1 = strchr(s, '+')) == NULL || (p2 = strchr(p1 + 1, '+')) == NULL ||
	    !name_ok(s, (size_t)(p1 - s)) || p2 - p1 != 9)
		return -1;
	memcpy(k->name, s, (size_t)(p1 - s));
	k->name[p1 - s] = '\0';
	for (i = 1; i < 9; i++) {
		char ch = p1[i];

		if (ch >= '0' && ch <= '9')
			id = id << 4 | (uint64_t)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			id = id << 4 | (uint64_t)(ch - 'a' + 10);
		else
			return -1;
	}
	/* A vkey read from a file may end in a newline. */
	n = strlen(p2 + 1);
	while (n > 0 && (p2[n] == '\n' || p2[n] == '\r' || p2[n] == ' '))
		n--;
	if (mado_tlog_unb64(p2 + 1, n, raw, sizeof(raw)) != 33 || raw[0] != type)
		return -1;
	memcpy(k->pub, raw + 1, 32);
	k->id = (uint32_t)id;
	return key_id(k->name, strlen(k->name), type, k->pub) == k->id ? 0 : -1;
}

/* Signing and verifying. */

static int
ed25519_sign(EVP_PKEY *key, const void *msg, size_t len, unsigned char sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sl = 64;
	int rc = -1;

	if (ctx != NULL && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
	    EVP_DigestSign(ctx, sig, &sl, msg, len) == 1 && sl == 64)
		rc = 0;
	EVP_MD_CTX_free(ctx);
	return rc;
}

static bool
ed25519_verify(const unsigned char pub[32], const void *msg, size_t len,
	       const unsigned char sig[64])
{
	EVP_PKEY *key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pub, 32);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = false;

	if (key != NULL && ctx != NULL && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) == 1)
		ok = EVP_DigestVerify(ctx, sig, 64, msg, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(key);
	return ok;
}

/* "cosignature/v1\ntime <t>\n" || text: what a witness signs. */
static unsigned char *
cosig_message(const char *text, size_t tlen, uint64_t t, size_t *len)
{
	char head[COSIG_HEADER_MAX];
	unsigned char *m;
	int hn;

	hn = snprintf(head, sizeof(head), "cosignature/v1\ntime %" PRIu64 "\n", t);
	if (hn < 0 || (m = malloc((size_t)hn + tlen)) == NULL)
		return NULL;
	memcpy(m, head, (size_t)hn);
	memcpy(m + hn, text, tlen);
	*len = (size_t)hn + tlen;
	return m;
}

/* Splits a signed note at its last empty line: the text's length and the signatures. */
static int
note_split(const char *note, size_t len, size_t *tlen, const char **sigs)
{
	size_t i;

	if (len < 3 || note[len - 1] != '\n' || !text_ok(note, len))
		return -1;
	for (i = len - 1; i > 0; i--)
		if (note[i] == '\n' && note[i - 1] == '\n')
			break;
	if (i == 0 || i + 1 >= len)
		return -1;
	*tlen = i;
	*sigs = note + i + 1;
	return 0;
}

static void
put_be32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24);
	p[1] = (unsigned char)(v >> 16);
	p[2] = (unsigned char)(v >> 8);
	p[3] = (unsigned char)v;
}

/* Appends "— name base64(sig)\n" to a copy of head (hlen bytes). */
static char *
with_line(const char *head, size_t hlen, const char *name, const unsigned char *sig, size_t slen)
{
	size_t nlen = strlen(name), cap = hlen + 4 + nlen + 1 + 4 * ((slen + 2) / 3) + 2;
	char *out = malloc(cap), *p;

	if (out == NULL)
		return NULL;
	memcpy(out, head, hlen);
	p = out + hlen;
	memcpy(p, EM_DASH_SPACE, 4);
	p += 4;
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = ' ';
	p += mado_tlog_b64(sig, slen, p);
	*p++ = '\n';
	*p = '\0';
	return out;
}

char *
mado_tlog_note_sign(const char *text, const char *name, EVP_PKEY *key)
{
	unsigned char pub[32], sig[4 + 64];
	size_t tlen = strlen(text);
	char *head, *out;

	if (tlen == 0 || text[tlen - 1] != '\n' || !text_ok(text, tlen) ||
	    strstr(text, "\n\n") != NULL || text[0] == '\n' || !name_ok(name, strlen(name)) ||
	    raw_public(key, pub) != 0)
		return NULL;
	put_be32(sig, key_id(name, strlen(name), SIG_TYPE_ED25519, pub));
	if (ed25519_sign(key, text, tlen, sig + 4) != 0 || (head = malloc(tlen + 2)) == NULL)
		return NULL;
	memcpy(head, text, tlen);
	head[tlen] = '\n';
	out = with_line(head, tlen + 1, name, sig, sizeof(sig));
	free(head);
	return out;
}

char *
mado_tlog_note_cosign(const char *signed_note, const char *name, EVP_PKEY *key, uint64_t unix_time)
{
	unsigned char pub[32], sig[4 + 8 + 64], *msg;
	size_t len = strlen(signed_note), tlen, mlen;
	const char *sigs;
	int i;

	if (note_split(signed_note, len, &tlen, &sigs) != 0 || !name_ok(name, strlen(name)) ||
	    raw_public(key, pub) != 0 ||
	    (msg = cosig_message(signed_note, tlen, unix_time, &mlen)) == NULL)
		return NULL;
	put_be32(sig, key_id(name, strlen(name), SIG_TYPE_COSIG, pub));
	for (i = 0; i < 8; i++)
		sig[4 + i] = (unsigned char)(unix_time >> (56 - 8 * i));
	i = ed25519_sign(key, msg, mlen, sig + 12);
	free(msg);
	return i == 0 ? with_line(signed_note, len, name, sig, sizeof(sig)) : NULL;
}

const char *
mado_tlog_note_check(const char *note, size_t len, const char *log_vkey,
		     const char *const *witness_vkeys, size_t n_witnesses, size_t witnesses_needed,
		     size_t *text_len)
{
	bool log_ok = false, seen[MAX_WITNESSES] = {false};
	const char *sigs, *line, *end, *nl, *sp, *why = NULL;
	unsigned char sig[4 + 8 + 64 + 1], *msg;
	struct vkey lk, *wk = NULL;
	size_t tlen, i, got = 0, mlen;
	int lines = 0;
	long sl;

	if (vkey_parse(log_vkey, SIG_TYPE_ED25519, &lk) != 0)
		return "the log key is not a valid verifier key";
	if (n_witnesses > MAX_WITNESSES)
		return "too many witness keys";
	if (witnesses_needed > n_witnesses)
		return "more witness cosignatures needed than witness keys given";
	if (n_witnesses > 0 && (wk = calloc(n_witnesses, sizeof(*wk))) == NULL)
		return "out of memory";
	for (i = 0; i < n_witnesses; i++)
		if (vkey_parse(witness_vkeys[i], SIG_TYPE_COSIG, &wk[i]) != 0) {
			why = "a witness key is not a valid cosignature verifier key";
			goto out;
		}
	if (note_split(note, len, &tlen, &sigs) != 0) {
		why = "not a signed note";
		goto out;
	}
	end = note + len;
	for (line = sigs; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		if (++lines > MAX_SIG_LINES) {
			why = "too many signature lines";
			goto out;
		}
		if ((size_t)(nl - line) < 4 || memcmp(line, EM_DASH_SPACE, 4) != 0 ||
		    (sp = memchr(line + 4, ' ', (size_t)(nl - line - 4))) == NULL ||
		    !name_ok(line + 4, (size_t)(sp - line - 4)) ||
		    (sl = mado_tlog_unb64(sp + 1, (size_t)(nl - sp - 1), sig, sizeof(sig))) < 5) {
			why = "a malformed signature line";
			goto out;
		}
		uint32_t id = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 |
			      (uint32_t)sig[2] << 8 | sig[3];
		size_t nlen = (size_t)(sp - line - 4);

		if (id == lk.id && strlen(lk.name) == nlen &&
		    memcmp(lk.name, line + 4, nlen) == 0) {
			if (sl != 4 + 64 || !ed25519_verify(lk.pub, note, tlen, sig + 4)) {
				why = "the log's signature does not verify";
				goto out;
			}
			log_ok = true;
			continue;
		}
		for (i = 0; i < n_witnesses; i++) {
			uint64_t t = 0;
			int k;
			bool ok;

			if (id != wk[i].id || strlen(wk[i].name) != nlen ||
			    memcmp(wk[i].name, line + 4, nlen) != 0)
				continue;
			if (sl != 4 + 8 + 64) {
				why = "a witness's cosignature is malformed";
				goto out;
			}
			for (k = 0; k < 8; k++)
				t = t << 8 | sig[4 + k];
			if (t > INT64_MAX) {
				why = "a witness's cosignature has a timestamp beyond 2^63 - 1";
				goto out;
			}
			if ((msg = cosig_message(note, tlen, t, &mlen)) == NULL) {
				why = "out of memory";
				goto out;
			}
			ok = ed25519_verify(wk[i].pub, msg, mlen, sig + 12);
			free(msg);
			if (!ok) {
				why = "a witness's cosignature does not verify";
				goto out;
			}
			if (!seen[i])
				got++;
			seen[i] = true;
		}
	}
	if (!log_ok)
		why = "the note carries no signature by the log's key";
	else if (got < witnesses_needed)
		why = "too few witnesses cosigned the checkpoint";
	else
		*text_len = tlen;
out:
	free(wk);
	return why;
}

const char *
mado_tlog_note_verify(const char *note, size_t len, const char *log_vkey,
		      const char *const *witness_vkeys, size_t n_witnesses, size_t witnesses_needed,
		      struct mado_tlog_checkpoint *c)
{
	struct mado_tlog_checkpoint cp;
	const char *why;
	struct vkey lk;
	size_t tlen;

	if ((why = mado_tlog_note_check(note, len, log_vkey, witness_vkeys, n_witnesses,
					witnesses_needed, &tlen)) != NULL)
		return why;
	if (mado_tlog_checkpoint_parse(note, tlen, &cp) != 0)
		return "the signed note is not a checkpoint";
	if (vkey_parse(log_vkey, SIG_TYPE_ED25519, &lk) != 0 || strcmp(cp.origin, lk.name) != 0)
		return "the checkpoint's origin is not the log key's name";
	if (c != NULL)
		*c = cp;
	return NULL;
}
