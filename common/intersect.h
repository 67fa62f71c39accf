/* intersect.h - the passages that every one of several posting lists holds, found a block at a
 * time and without branching on the outcomes.
 *
 * Whether a given passage is in a list is data: a branch on it is mispredicted about as often
 * as it goes either way, and on the benchmark collection those mispredictions, not the
 * instructions, were most of a conjunction's time. So the lead's (rarest list's) postings are
 * taken a segment at a time - the range over which every list but the last stays in one decoded
 * block - and matched against each list's block by a branch-free binary search and a
 * conditional append. The last list (the densest) may cross blocks within a segment: its part is
 * done in runs, one per block, and the matches are handed out run by run, while every list still
 * holds the block of each of them.
 *
 * Invariants: lists only move forwards, through kz_postings_advance and
 * kz_postings_seek_in_block; every passage below `from` that is not in the current run has been
 * decided; the current run's matches are ids[run .. run + run_n), increasing, lead[i] is the
 * index of ids[i] in the lead's decoded block, and every other list's decoded block holds it. */
#ifndef KZ_INTERSECT_H
#define KZ_INTERSECT_H

#include "postings.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_intersect {
    kz_postings_cursor *const *lists; /* n >= 1, rarest first: lists[0] leads */
    size_t n;
    uint32_t *ids;  /* KZ_BLOCK_LEN: the segment's candidates, then the runs' matches */
    uint32_t *lead; /* KZ_BLOCK_LEN: their indices in the lead's block */
    uint32_t m;     /* the segment's candidates left after the lists but the last */
    uint32_t t;     /* the first of them not yet matched against the last list */
    uint32_t run, run_n;
    uint32_t from; /* read: the passage after the segment (KZ_DOC_END: a list is exhausted) */
} kz_intersect;

/* Prepares x over lists[0..n) (n >= 1, rarest first, none moved by anyone else while x is in
 * use) with the caller's buffers ids and lead (KZ_BLOCK_LEN each), to start at passage target. */
void kz_intersect_init(kz_intersect *x, kz_postings_cursor *const *lists, size_t n, uint32_t *ids,
                       uint32_t *lead, uint32_t target);

/* Drops what is pending and starts again at target (>= every passage handed out so far). */
void kz_intersect_restart(kz_intersect *x, uint32_t target);

/* The next run of passages every list holds, at most limit: *count receives how many (their ids
 * are x->ids[x->run ...]); 0 when there are no more up to limit, x->from then being the passage
 * to go on from (> limit, or KZ_DOC_END). KZ_OK or KZ_ECORRUPT. */
int kz_intersect_next(kz_intersect *x, uint32_t limit, uint32_t *count);

/* Moves every list to match i (< *count) of the current run; matches are visited in order.
 * The lead's index was kept; the others' are searched again, for the candidates that matched,
 * rather than carried through every list's pass for all of them. */
static inline void kz_intersect_seek(kz_intersect *x, uint32_t i)
{
    const uint32_t id = x->ids[x->run + i];
    kz_postings_seek_in_block(x->lists[0], x->lead[x->run + i]);
    for (size_t j = 1; j < x->n; j++)
        kz_postings_seek_in_block(x->lists[j], kz_postings_lower_bound(x->lists[j]->ids, id));
}

/* The index of match i of the current run in the lead's decoded block. */
static inline uint32_t kz_intersect_lead_index(const kz_intersect *x, uint32_t i)
{
    return x->lead[x->run + i];
}

/* The current run's ids, and their indices in the lead's decoded block (run_n of each). */
static inline const uint32_t *kz_intersect_run_ids(const kz_intersect *x)
{
    return x->ids + x->run;
}

static inline const uint32_t *kz_intersect_run_lead(const kz_intersect *x)
{
    return x->lead + x->run;
}

/* The id of match i of the current run. */
static inline uint32_t kz_intersect_id(const kz_intersect *x, uint32_t i)
{
    return x->ids[x->run + i];
}

#endif
