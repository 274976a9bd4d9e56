/* What the seal library's files share: base64url without padding. */
#ifndef MADO_SEAL_INT_H
#define MADO_SEAL_INT_H

#include <stddef.h>

/* The base64url length of n bytes, without padding. */
#define SEAL_B64URL_LEN(n) (((n)*4 + 2) / 3)

/* base64url without padding of len bytes into out (SEAL_B64URL_LEN(len) + 1 bytes); the
   length written before the NUL. */
size_t seal__b64url(const void *data, size_t len, char *out);
/*
 * Strict base64url without padding of the n characters at s into out (at most cap bytes):
 * the decoded length, or -1 when a character is outside the alphabet, the length cannot be
 * one, the unused bits are not zero (so each value has one text), or it does not fit.
 */
long seal__unb64url(const char *s, size_t n, unsigned char *out, size_t cap);

#endif
