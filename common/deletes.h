/* deletes.h - the deleted passages of one segment and the statistics they take away.
 *
 * Segments are immutable, so deleting (or re-indexing) a document writes a deletion file: a
 * bitset of the segment's deleted passages, the sum of their lengths, and for every term they
 * contain how many deleted passages hold it (df) and how often (cf). Queries skip deleted
 * passages, and subtract these counts from the segment's term statistics, so BM25 sees exactly
 * the statistics a fresh build without those passages would have: a passage's score never
 * depends on the index's history. Merges drop deleted passages for good.
 *
 * Invariants: ndeleted equals the number of set bits; terms are sorted by memcmp and unique; a
 * term's df is at most ndeleted. A kz_deletes is immutable once loaded or finished. */
#ifndef KZ_DELETES_H
#define KZ_DELETES_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_deletes {
    uint32_t npassages; /* passages in the segment */
    uint32_t ndeleted;
    uint64_t *bits;       /* owned; bit p set: passage p deleted */
    uint64_t deleted_len; /* sum of the deleted passages' lengths */
    size_t nterms;
    char *term_bytes; /* owned; the terms, concatenated */
    size_t *term_off; /* owned; nterms + 1 offsets into term_bytes */
    uint32_t *df;     /* owned; per term */
    uint64_t *cf;     /* owned; per term */
    size_t cap;       /* builder: allocated term slots */
    size_t bytes_cap; /* builder: allocated term bytes */
} kz_deletes;

/* Starts an empty set for a segment of npassages passages (or a copy of base when not NULL). */
int kz_deletes_init(kz_deletes *d, uint32_t npassages, const kz_deletes *base);
void kz_deletes_free(kz_deletes *d);

static inline int kz_deletes_has(const kz_deletes *d, uint32_t passage)
{
    return d != NULL && d->bits != NULL && (d->bits[passage >> 6] >> (passage & 63)) & 1;
}

/* Builder: marks passage deleted (its length given) - returns 0 if it already was. */
int kz_deletes_mark(kz_deletes *d, uint32_t passage, uint32_t len);
/* Builder: adds df/cf for a term (in any order; duplicates are summed by kz_deletes_finish). */
int kz_deletes_add_term(kz_deletes *d, const char *term, size_t len, uint32_t df, uint64_t cf);
/* Builder: sorts and merges the term entries. */
int kz_deletes_finish(kz_deletes *d);

/* The counts to subtract for term (zero when the deleted passages do not contain it). */
void kz_deletes_term(const kz_deletes *d, const char *term, size_t len, uint32_t *df, uint64_t *cf);

int kz_deletes_encode(const kz_deletes *d, uint64_t segment_id, kz_buf *out);
/* Reads a deletion file; KZ_ECORRUPT if it is damaged or does not fit the segment. */
int kz_deletes_read(kz_deletes *d, const char *path, uint64_t segment_id, uint32_t npassages);

#endif
