/*
 * rng.c: the seeded generator. splitmix64 expands a seed into xoshiro256**
 * state; both are Vigna's public-domain designs, defined on 64-bit integers
 * alone, so a seed gives the same plan on every machine.
 */
#include "internal.h"

uint64_t ic_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void ic_rng_seed(ic_rng *rng, uint64_t seed)
{
	uint64_t sm = seed;
	for (int i = 0; i < 4; i++)
		rng->s[i] = ic_splitmix64(&sm);
}

void ic_rng_stream(ic_rng *rng, uint64_t seed, uint64_t a, uint64_t b)
{
	/* Chain the coordinates through the mixer so nearby (a, b) share nothing. */
	uint64_t sm = seed;
	uint64_t k = ic_splitmix64(&sm);
	sm = k ^ a;
	k = ic_splitmix64(&sm);
	sm = k ^ b;
	ic_rng_seed(rng, ic_splitmix64(&sm));
}

static inline uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t ic_rng_next(ic_rng *rng)
{
	uint64_t *s = rng->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

uint64_t ic_rng_below(ic_rng *rng, uint64_t n)
{
	/* Rejection sampling: no modulo bias, still portable. */
	uint64_t limit = UINT64_MAX - UINT64_MAX % n;
	uint64_t x;
	do
		x = ic_rng_next(rng);
	while (x >= limit);
	return x % n;
}

double ic_rng_unit(ic_rng *rng)
{
	return (double)(ic_rng_next(rng) >> 11) * 0x1.0p-53;
}
