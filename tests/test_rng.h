/* test_rng.h - the tests' pseudo-random numbers: xorshift64* (Vigna), from a seed each test file
 * fixes, so that every run draws the same inputs and a failure reproduces. */
#ifndef KZ_TEST_RNG_H
#define KZ_TEST_RNG_H

#include <stdint.h>

/* The next 32 bits of the sequence in *state (which must not be 0). */
static inline uint32_t kz_test_rnd(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return (uint32_t)((*state * 0x2545f4914f6cdd1dull) >> 32);
}

#endif
