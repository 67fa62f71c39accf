/* lengths.h - a segment's passage lengths as BM25 reads them: the LENGTHS section, read where it
 * is mapped.
 *
 * Ranking reads the length of every passage it scores, at passages spread over the whole
 * segment, so the size of the array decides how often that read misses the caches. Held as 4
 * bytes each (2.8 MB for the benchmark collection's 709k passages), the array did not fit a
 * 1 MB L2 cache: waiting on those loads was about 70% of the time of a single-word query and
 * 75% of the scoring of an intersection's matches. So the section holds one byte a passage
 * (709 KB there), and the exact length of the rare passage of KZ_LENGTH_WIDE tokens or more
 * (passages are paragraphs) beside it, found by a binary search.
 *
 * The section is used as it lies in the mapping: opening a segment does no work proportional to
 * its passages. (Format 6 stored 2-byte lengths that every open turned into this byte array: 16
 * instructions a passage, two thirds of the CPU of a one-shot query on that collection.)
 *
 * Section layout (index format 7): u8 small[n], small[p] = min(length of p, KZ_LENGTH_WIDE);
 * then, for each passage p whose byte is KZ_LENGTH_WIDE, in increasing order of p, the pair
 * (u32 p, u32 exact length), little-endian, unaligned.
 *
 * Invariants after kz_lengths_open: small spans n bytes and wide nwide pairs of the section,
 * which is borrowed. Of a well-formed section (checked by kz_lengths_verify, not at open: every
 * read stays inside the section whatever its bytes hold): the pairs' passages strictly increase,
 * they are exactly the passages whose byte is KZ_LENGTH_WIDE, and their lengths are at least
 * KZ_LENGTH_WIDE. */
#ifndef KZ_LENGTHS_H
#define KZ_LENGTHS_H

#include "buf.h"

#include <stdint.h>

#define KZ_LENGTH_WIDE 255 /* small[] saturates here: the exact length is among the pairs */
#define KZ_LENGTH_PAIR 8   /* bytes of a (passage, length) pair */

typedef struct kz_lengths {
    const uint8_t *small; /* n bytes, borrowed */
    const uint8_t *wide;  /* nwide pairs of KZ_LENGTH_PAIR bytes, borrowed */
    uint32_t nwide;
    uint32_t n; /* passages */
} kz_lengths;

/* The exact length of passage p, whose byte is KZ_LENGTH_WIDE: from its pair, or
 * KZ_LENGTH_WIDE when a damaged section has none (kz_lengths_verify reports that). */
uint32_t kz_length_wide(const kz_lengths *l, uint32_t p);

/* The length of passage p (< n), in tokens. */
static inline uint32_t kz_length(const kz_lengths *l, uint32_t p)
{
    const uint32_t v = l->small[p];
    if (__builtin_expect(v < KZ_LENGTH_WIDE, 1)) return v;
    return kz_length_wide(l, p);
}

/* Sets l up over the LENGTHS section sec (len bytes, borrowed: it must outlive l) of n
 * passages. KZ_OK, or KZ_ECORRUPT when len is not n bytes and whole pairs, or holds more pairs
 * than passages. Reads only the sizes. */
int kz_lengths_open(kz_lengths *l, const uint8_t *sec, uint64_t len, uint32_t n);

/* Checks the invariants of a well-formed section (above) and sums the lengths into *total.
 * KZ_OK or KZ_ECORRUPT. Reads every byte. */
int kz_lengths_verify(const kz_lengths *l, uint64_t *total);

/* Appends the LENGTHS section of the n lengths to out. KZ_OK or KZ_ENOMEM. */
int kz_lengths_encode(kz_buf *out, const uint32_t *lengths, uint32_t n);

#endif
