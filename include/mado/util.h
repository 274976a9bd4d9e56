/* Helpers with no better home: randomness, encodings, time, hashing. */
#ifndef MADO_UTIL_H
#define MADO_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "mado/common.h"

/* Fills buf from the OpenSSL CSPRNG; 0 on success, -1 when it cannot. */
MADO_MUSTCHECK int mado_random(void *buf, size_t len);

/* Lower-case hex of len bytes into out (2*len+1 bytes). */
void mado_hex(const void *data, size_t len, char *out);
/* Unpadded base64url of len bytes into out (4*ceil(len/3)+1 bytes is enough). */
size_t mado_b64url(const void *data, size_t len, char *out);

/* Standard base64 (RFC 4648 section 4) with padding; out needs 4*ceil(len/3)+1 bytes. */
size_t mado_b64(const void *data, size_t len, char *out);
/* Strict standard base64: the standard alphabet only, padding optional but correct if
   present, no whitespace. Returns a buffer the caller frees, or NULL. */
unsigned char *mado_b64_decode(const char *s, size_t len, size_t *outlen);

/* SHA-256 of data as 64 hex characters plus NUL. */
void mado_sha256_hex(const void *data, size_t len, char out[65]);

/* Monotonic time in milliseconds, for deadlines and durations. */
int64_t mado_now_ms(void);
double mado_elapsed_ms(const struct timespec *since);
/* UTC time as RFC 3339 with milliseconds, e.g. 2026-11-22T14:04:13.123Z (25 bytes). */
void mado_rfc3339_now(char out[32]);

/* Parses an RFC 3339 UTC or offset time ("2024-08-01T00:00:00Z", fractions ignored). */
bool mado_parse_rfc3339(const char *s, time_t *out);

/* Constant-time equality of two byte strings of the same length. */
bool mado_ct_equal(const void *a, const void *b, size_t len);

/* Is s one of the NULL-terminated list? */
bool mado_one_of(const char *s, const char *const *list);

/* Strict decimal parse of a whole string into [min, max]; false if anything is off. */
bool mado_parse_int(const char *s, long long min, long long max, long long *out);

/* Reads a whole file (at most max bytes) into a NUL-terminated buffer the caller frees. */
MADO_MUSTCHECK int mado_read_file(const char *path, size_t max, char **out, size_t *len);

/* Appends JSON-escaped text (without quotes) to buf; returns the new length, or len+needed
   capped at cap (the output is truncated, never overrun). */
size_t mado_json_escape(char *buf, size_t len, size_t cap, const char *s);

/* A growing text buffer. An append that runs out of memory sets failed and later appends do
   nothing, so callers check once at the end. */
struct mado_text {
	char *buf;
	size_t len, cap;
	bool failed;
};
void mado_text_printf(struct mado_text *t, const char *fmt, ...) MADO_PRINTF(2, 3);
void mado_text_append(struct mado_text *t, const void *data, size_t len);
void mado_text_free(struct mado_text *t);

#endif
