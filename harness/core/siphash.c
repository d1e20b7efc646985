/*
 * siphash.c: SipHash-2-4 (Aumasson and Bernstein, 2012), a keyed PRF over
 * short inputs. With a run's secret as the key it turns an object's name
 * into a tag, and a SysV object's number into a key, that nobody without the
 * secret can compute, while seeing one tag tells nothing of the next.
 * Written from the paper's description; its test vector is in test_names.c.
 */
#include "internal.h"

#include <string.h>

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = ROTL(v[1], 13);
	v[1] ^= v[0];
	v[0] = ROTL(v[0], 32);
	v[2] += v[3];
	v[3] = ROTL(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = ROTL(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = ROTL(v[1], 17);
	v[1] ^= v[2];
	v[2] = ROTL(v[2], 32);
}

/* One 64-bit word of input: two compression rounds (the "2" of 2-4). */
static void sip_absorb(uint64_t v[4], uint64_t m)
{
	v[3] ^= m;
	sip_round(v);
	sip_round(v);
	v[0] ^= m;
}

uint64_t ic_siphash24(const uint8_t key[IC_SECRET_BYTES], const void *data, size_t len)
{
	const uint8_t *in = data;
	uint64_t k0 = load_le64(key), k1 = load_le64(key + 8);
	uint64_t v[4] = {k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
			 k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull};
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8)
		sip_absorb(v, load_le64(in + i));
	/* The last word: the remaining bytes, and the length's low byte on top. */
	uint8_t last[8] = {0};
	if (len % 8)
		memcpy(last, in + whole, len % 8);
	sip_absorb(v, load_le64(last) | (uint64_t)(len & 0xff) << 56);
	v[2] ^= 0xff;
	for (int i = 0; i < 4; i++) /* four finalization rounds (the "4") */
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}
