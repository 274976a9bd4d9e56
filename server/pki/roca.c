/*
 * The ROCA fingerprint (CVE-2017-15361). Infineon's RSALib made each prime of a key as
 * k * M + (65537^a mod M), M the product of the first primes (the first 126, up to 701,
 * for keys of 1984 to 3936 bits); about 750,000 Estonian ID cards carried such keys, and
 * their private halves can be computed from the public ones. A modulus of two such primes
 * is, modulo every prime r of M, a power of 65537. A random modulus is that for the odd
 * primes up to 701 with a chance of about 2^-167: the test has no false positives in
 * practice, and every such key has it.
 */
#include <pthread.h>
#include <stdbool.h>

#include <openssl/bn.h>

#include "mado/pki.h"

#define ROCA_MAX_PRIME 701
#define ROCA_PRIMES    125 /* the odd primes up to 701 */

/* Each odd prime r up to 701 and the order of 65537 modulo r: x is a power of 65537
   modulo r when x^order = 1 (the multiplicative group modulo r is cyclic). */
static struct {
	unsigned r, order;
} roca[ROCA_PRIMES];
static pthread_once_t roca_once = PTHREAD_ONCE_INIT;

static void
roca_init(void)
{
	bool composite[ROCA_MAX_PRIME + 1] = {false};
	unsigned r, m, x, i = 0;

	for (r = 3; r <= ROCA_MAX_PRIME && i < ROCA_PRIMES; r += 2) {
		if (composite[r])
			continue;
		for (m = r * r; m <= ROCA_MAX_PRIME; m += 2 * r)
			composite[m] = true;
		roca[i].r = r;
		roca[i].order = 1;
		for (x = 65537 % r; x != 1; x = x * (65537 % r) % r)
			roca[i].order++;
		i++;
	}
}

static unsigned
pow_mod(unsigned x, unsigned e, unsigned r)
{
	unsigned y = 1;

	for (x %= r; e > 0; e >>= 1, x = x * x % r)
		if (e & 1)
			y = y * x % r;
	return y;
}

bool
mado_pki_roca(const BIGNUM *n)
{
	size_t i;

	if (n == NULL || BN_is_zero(n) || BN_is_negative(n))
		return false;
	pthread_once(&roca_once, roca_init);
	for (i = 0; i < ROCA_PRIMES; i++) {
		BN_ULONG rem = BN_mod_word(n, roca[i].r);

		if (rem == (BN_ULONG)-1 || pow_mod((unsigned)rem, roca[i].order, roca[i].r) != 1)
			return false;
	}
	return true;
}
