/* impacts.h - the (frequency, passage length) pairs that bound the BM25 score of every posting
 * of a block or a list, for any k1, b and average length (Lucene's "impacts").
 *
 * A term's BM25 contribution grows with its frequency tf and shrinks with the passage length,
 * so over a set of postings it is largest at one of the pairs no other posting beats on both
 * counts: the Pareto frontier. Storing only (largest tf, smallest length) - two numbers that may
 * come from different postings - gives a bound that a single-term query on short passages
 * almost never gets under; the frontier gives the exact maximum.
 *
 * Invariants of a kz_impacts: 1 <= n <= KZ_IMPACTS_MAX; tf[] and len[] both increase strictly
 * (a frontier: more occurrences only in longer passages); tf[0] >= 1. Every posting it was built
 * from has some i with tf <= tf[i] and length >= len[i], so the largest score over the pairs
 * bounds each posting's score. A frontier longer than KZ_IMPACTS_MAX is shortened by merging its
 * two highest pairs into (higher tf, lower length), which still bounds both; high frequencies
 * are rare and their scores saturate, so little is lost. The encoding is in
 * docs/format/postings.md. */
#ifndef KZ_IMPACTS_H
#define KZ_IMPACTS_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

#define KZ_IMPACTS_MAX 8

typedef struct kz_impacts {
    uint32_t n;
    uint32_t tf[KZ_IMPACTS_MAX];
    uint32_t len[KZ_IMPACTS_MAX];
} kz_impacts;

/* The frontier of the n >= 1 postings (tfs[i] >= 1, lens[i]); lens may be NULL (all 0). */
void kz_impacts_build(kz_impacts *out, const uint32_t *tfs, const uint32_t *lens, size_t n);

/* acc becomes the frontier of the union of acc's and add's postings. */
void kz_impacts_merge(kz_impacts *acc, const kz_impacts *add);

/* Appends the encoding: u8 n, then n pairs of varint deltas (first pair absolute). */
int kz_impacts_encode(kz_buf *out, const kz_impacts *im);

/* Decodes from [*p, end) and moves *p past it. KZ_OK, or KZ_ECORRUPT when the bytes do not hold
 * a frontier (count out of range, values not increasing, over 32 bits, running past end). */
int kz_impacts_decode(kz_impacts *out, const uint8_t **p, const uint8_t *end);

#endif
