/* Helpers with no better home: memory, randomness, encodings, time, hashing, text. */
#ifndef MADO_UTIL_H
#define MADO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <openssl/types.h>

#include "mado/common.h"

/*
 * Allocation that never fails: on exhaustion the process says so on stderr and aborts
 * (STYLE.md 4), so no caller checks for NULL and no list is ever cut short quietly.
 * Free with free(). mado_mem_init installs the same allocator into cJSON; every program
 * calls it once at start.
 */
void *mado_xmalloc(size_t n);
void *mado_xcalloc(size_t n, size_t size);
void *mado_xrealloc(void *p, size_t n);
char *mado_xstrdup(const char *s);
void mado_mem_init(void);

/* Fills buf from the OpenSSL CSPRNG; 0 on success, -1 when it cannot. */
MADO_MUSTCHECK int mado_random(void *buf, size_t len);

/* Length of the valid UTF-8 sequence at p (at most n bytes, n > 0), or 0: overlong
   forms, surrogates and values past U+10FFFF are not UTF-8. */
size_t mado_utf8_seq(const unsigned char *p, size_t n);
/* src as text that is safe to show: its printable UTF-8 characters, with '?' for each
   control character and each byte that is not UTF-8, cut at a character boundary to fit
   cap bytes with the NUL. Returns the length written. */
size_t mado_text_shown(char *dst, size_t cap, const char *src);

/* v in decimal, zero-padded to at least min digits, into out (NUL-terminated); returns
   its length. For the per-request paths, where snprintf's format parsing shows. */
size_t mado_udec(char out[24], unsigned long long v, int min);
/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void mado_hex(const void *data, size_t len, char *out);
/* Unpadded base64url of len bytes into out (4*ceil(len/3)+1 bytes is enough). */
size_t mado_b64url(const void *data, size_t len, char *out);

/* Standard base64 (RFC 4648 section 4) with padding; out needs 4*ceil(len/3)+1 bytes. */
size_t mado_b64(const void *data, size_t len, char *out);
/* Strict standard base64: the standard alphabet only, padding optional but correct if
   present, no whitespace. Returns a buffer the caller frees with free(), or NULL. */
unsigned char *mado_b64_decode(const char *s, size_t len, size_t *outlen);

/* SHA-256 of data as 64 hex characters plus NUL. */
void mado_sha256_hex(const void *data, size_t len, char out[65]);

/* The Ed25519 private key in the PEM file path, or NULL with why naming the setting and
   the path (never the file's contents). */
EVP_PKEY *mado_ed25519_load(const char *setting, const char *path, char *why, size_t whylen);
/* "\\x" and the SHA-256 hex of a secret's text: how tokens are stored (a bytea
   parameter), never the token itself. */
#define MADO_HASH_PARAM_LEN 68
void mado_secret_hash(const char *secret, char out[MADO_HASH_PARAM_LEN]);

/* Monotonic time in milliseconds, for deadlines and durations. */
int64_t mado_now_ms(void);
double mado_elapsed_ms(const struct timespec *since);
/* UTC time as RFC 3339 with milliseconds, e.g. 2026-11-22T14:04:13.123Z (25 bytes). */
void mado_rfc3339_now(char out[32]);

/* Days in a month of the proleptic Gregorian calendar (0 for a month outside 1..12). */
int mado_days_in_month(int year, int month);
/*
 * Parses an RFC 3339 date-time strictly: YYYY-MM-DDTHH:MM:SS, an optional fraction, then Z
 * or +HH:MM / -HH:MM. Every field is digits only and names a real value (no Feb 31, no
 * -1, no 24:00, offsets up to 23:59), so whatever passes, PostgreSQL reads the same way.
 */
bool mado_parse_rfc3339(const char *s, time_t *out);
/* YYYY-MM-DD naming a real calendar day; *out is its midnight UTC. */
bool mado_parse_date(const char *s, time_t *out);

/* Constant-time equality of two byte strings of the same length. */
bool mado_ct_equal(const void *a, const void *b, size_t len);

/* Is s one of the NULL-terminated list? */
bool mado_one_of(const char *s, const char *const *list);

/* Strict decimal parse of a whole string into [min, max]; false if anything is off. */
bool mado_parse_int(const char *s, long long min, long long max, long long *out);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer the caller frees. */
MADO_MUSTCHECK int mado_read_file(const char *path, size_t max, char **out, size_t *len);

/* A growing text buffer, always NUL-terminated once written to. Free with
   mado_text_free, which also makes it ready for reuse. */
struct mado_text {
	char *buf;
	size_t len, cap;
};
void mado_text_printf(struct mado_text *t, const char *fmt, ...) MADO_PRINTF(2, 3);
void mado_text_append(struct mado_text *t, const void *data, size_t len);
void mado_text_puts(struct mado_text *t, const char *s);
/* Makes room for need more bytes and the NUL; returns where they go. */
char *mado_text_reserve(struct mado_text *t, size_t need);
void mado_text_free(struct mado_text *t);
/* One CSV cell of n bytes of s, then "," or, when last, the line's end: always quoted,
   quotes doubled, and a leading = + - @ neutralised with ' so that a spreadsheet never
   runs it as a formula. */
void mado_csv_cell(struct mado_text *t, const char *s, size_t n, bool last);

#endif
