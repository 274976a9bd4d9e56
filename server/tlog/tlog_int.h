/* The transparency log library's helpers shared by its files (and its unit test). */
#ifndef MADO_TLOG_INT_H
#define MADO_TLOG_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* SHA-256, fetched once. */
#include <openssl/evp.h>
const EVP_MD *mado_tlog_sha256(void);

/* Standard padded base64 of len bytes into out (4*ceil(len/3)+1 bytes); the length. */
size_t mado_tlog_b64(const void *data, size_t len, char *out);
/*
 * Strict standard padded base64 (canonical: unused bits zero) of n characters into out
 * (at most cap bytes): the decoded length, or -1.
 */
long mado_tlog_unb64(const char *s, size_t n, unsigned char *out, size_t cap);
/* Is s (n bytes) valid UTF-8 without NUL? */
bool mado_tlog_utf8(const char *s, size_t n);
/* A decimal uint64 without sign or leading zeros. */
bool mado_tlog_decimal(const char *s, size_t n, uint64_t *v);

/*
 * The signature checks of mado_tlog_note_verify for any signed note (its text need not be
 * a checkpoint): NULL and *text_len (the text's length, with its final "\n") when they
 * hold, else why not.
 */
const char *mado_tlog_note_check(const char *note, size_t len, const char *log_vkey,
				 const char *const *witness_vkeys, size_t n_witnesses,
				 size_t witnesses_needed, size_t *text_len);

#endif
