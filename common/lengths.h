/* lengths.h - a segment's passage lengths as BM25 reads them: one byte per passage, and the
 * LENGTHS section for the few that do not fit in one.
 *
 * Ranking reads the length of every passage it scores, at passages spread over the whole
 * segment, so the size of the array decides how often that read misses the caches. Held as 4
 * bytes each (2.8 MB for the benchmark collection's 709k passages), the array did not fit a
 * 1 MB L2 cache: waiting on those loads was about 70% of the time of a single-word query and
 * 75% of the scoring of an intersection's matches. One byte each (709 KB) keeps the common
 * case one load from a cache-resident array; a passage of KZ_LENGTH_WIDE tokens or more (rare:
 * passages are paragraphs) costs a second load from the mapped section.
 *
 * Invariants: small[p] == min(length of p, KZ_LENGTH_WIDE) for p < n; wide holds the n exact
 * lengths, `width` (2 or 4) bytes each, little-endian, and is borrowed (a segment's mapping). */
#ifndef KZ_LENGTHS_H
#define KZ_LENGTHS_H

#include "buf.h"

#include <stdint.h>

#define KZ_LENGTH_WIDE 255 /* small[] saturates here: the exact length is in wide */

typedef struct kz_lengths {
    uint8_t *small;      /* n bytes (and one more, so that n may be 0), owned */
    const uint8_t *wide; /* n lengths of width bytes, borrowed */
    uint32_t width;      /* 2 or 4 */
    uint32_t n;          /* passages */
} kz_lengths;

/* The exact length of passage p (< n), from the wide lengths. */
static inline uint32_t kz_length_wide(const kz_lengths *l, uint32_t p)
{
    return l->width == 2 ? kz_load_u16le(l->wide + 2 * (size_t)p)
                         : kz_load_u32le(l->wide + 4 * (size_t)p);
}

/* The length of passage p (< n), in tokens. */
static inline uint32_t kz_length(const kz_lengths *l, uint32_t p)
{
    const uint32_t v = l->small[p];
    if (__builtin_expect(v < KZ_LENGTH_WIDE, 1)) return v;
    return kz_length_wide(l, p);
}

/* Sets l up over the n lengths in wide (width 2 or 4 bytes each, little-endian; borrowed, it
 * must outlive l) and sums them into *total. KZ_OK, KZ_EINVAL for another width, KZ_ENOMEM. */
int kz_lengths_init(kz_lengths *l, const uint8_t *wide, uint32_t width, uint32_t n,
                    uint64_t *total);

/* Frees what l owns (l may be zeroed, or freed already). */
void kz_lengths_free(kz_lengths *l);

#endif
