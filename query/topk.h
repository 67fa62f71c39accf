/* topk.h - the top-k collector: the k best (score, passage) pairs seen so far, and the
 * threshold a passage must beat, which is the one number pruning algorithms consult.
 *
 * Invariants: a binary min-heap of at most k entries ordered by "worse first": lower score, or
 * equal score and larger passage id. The root is the k-th best. A passage enters only when the
 * heap is not full or its score is strictly greater than the root's: algorithms offer passages
 * in increasing id order (segments one after another, in id order), so of two passages with
 * equal scores the earlier one wins, exactly as sorting by (score desc, passage asc) would. The
 * threshold never decreases, so it carries over from one segment to the next. */
#ifndef KZ_TOPK_H
#define KZ_TOPK_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

/* Relative safety margin of pruning decisions. Bounds and scores are sums of up to a few
 * hundred doubles added in different orders, off from each other by far less than 1e-12
 * relative; 1e-9 keeps every true top-k passage while pruning almost as much. */
#define KZ_TOPK_MARGIN 1e-9

typedef struct kz_topk_entry {
    double score;
    uint64_t passage;
} kz_topk_entry;

typedef struct kz_topk {
    kz_topk_entry *heap; /* owned; k slots */
    uint32_t k;          /* capacity (>= 1) */
    uint32_t n;          /* entries held */
} kz_topk;

/* Prepares an empty collector for k >= 1 results. KZ_OK, KZ_EINVAL (k == 0) or KZ_ENOMEM. */
int kz_topk_init(kz_topk *top, uint32_t k);

/* Releases the entries. NULL is allowed. */
void kz_topk_free(kz_topk *top);

/* The score to beat: the k-th best so far, or -INFINITY while fewer than k are held. */
static inline double kz_topk_threshold(const kz_topk *top)
{
    return top->n < top->k ? -INFINITY : top->heap[0].score;
}

/* Whether a passage whose score is at most `bound` might still enter. Errs on the side of yes
 * by KZ_TOPK_MARGIN, so rounding differences between a bound and a score never prune a
 * passage that belongs in the top k. */
static inline int kz_topk_competitive(const kz_topk *top, double bound)
{
    if (top->n < top->k) return 1;
    double thr = top->heap[0].score;
    return bound + fabs(thr) * KZ_TOPK_MARGIN > thr;
}

/* Offers a passage; returns 1 if it entered the top k, 0 if not. */
int kz_topk_push(kz_topk *top, double score, uint64_t passage);

/* Sorts the held entries best first (score desc, passage asc) and returns them; the collector
 * is then no longer a heap and must only be freed or re-initialised. *n receives the count. */
const kz_topk_entry *kz_topk_finish(kz_topk *top, size_t *n);

#endif
