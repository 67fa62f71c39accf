/* cursor.h - the document-at-a-time iterator contract every query algorithm works with, and
 * the constructors of the cursors the planner builds (term, phrase, OR, AND, AND-NOT).
 *
 * A cursor walks the passages matching one clause of a query, in increasing segment-local id
 * order, and scores the passage it is on. Invariants every implementation keeps:
 *   - `doc` is the current passage id, or KZ_DOC_END once exhausted (and then stays there);
 *     a fresh cursor is already on its first candidate;
 *   - matching is two-phase (Lucene's TwoPhaseIterator): `doc` is a *candidate*, a passage
 *     that passes the clause's cheap checks, and `confirm` runs the expensive one (a phrase's
 *     positions) - cursors with nothing expensive to check have no confirm op and every
 *     candidate matches. Algorithms confirm a candidate only after the cheaper checks (filters,
 *     other required clauses, bounds) pass, and call `score` (and read `tf`) only on a
 *     confirmed doc; confirm may be called again on the same doc at no cost;
 *   - `next` and `advance` only move forward; `advance(t)` stops on the first candidate >= t and
 *     does nothing when doc >= t already;
 *   - `max_score` bounds `score` at every passage of the cursor, and after
 *     `shallow_advance(t)`, `block_max` bounds it at every passage in [max(t, doc),
 *     block_last] and block_last >= t; cursors without block data report max_score and
 *     KZ_DOC_END; shallow_advance never moves `doc` (a t below doc acts as t = doc, which
 *     conjunctions rely on for children that are ahead of the candidate);
 *   - every operation returns KZ_OK or a negative status (KZ_ECORRUPT for damaged postings),
 *     so damage found deep inside a combinator reaches the algorithm and the caller;
 *   - cursors live in a kz_arena owned by the query run: construction allocates there, moving
 *     and scoring never allocate per posting, and nothing is freed one by one.
 * This is the PISA/tantivy design: algorithms (algo.h) see only this interface, so each pruning
 * algorithm can be checked against the exhaustive one with any kind of cursor. */
#ifndef KZ_CURSOR_H
#define KZ_CURSOR_H

#include "arena.h"
#include "kzsearch.h"
#include "bm25.h"
#include "lengths.h"
#include "postings.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_cursor kz_cursor;

typedef struct kz_cursor_ops {
    int (*next)(kz_cursor *c);
    int (*advance)(kz_cursor *c, uint32_t target);
    /* The contribution of this clause to the current passage's score (doc != KZ_DOC_END). */
    int (*score)(kz_cursor *c, double *out);
    /* Sets block_max and block_last for the block that may hold target. */
    int (*shallow_advance)(kz_cursor *c, uint32_t target);
    /* Sets *ok to whether the candidate doc (!= KZ_DOC_END) really matches; NULL when every
     * candidate does. */
    int (*confirm)(kz_cursor *c, int *ok);
    /* Two-phase cursors may have it: a bound on score at the current candidate, before it is
     * confirmed and cheaper than confirming (a phrase's from its terms' frequencies there).
     * NULL: max_score is the bound. */
    double (*candidate_max)(kz_cursor *c);
    /* May be NULL. Tells the cursor that passages where its score would be below min_score
     * cannot be used (Lucene's setMinCompetitiveScore): it may then skip them as candidates,
     * never one whose score could reach min_score. min_score only grows. */
    void (*set_min_score)(kz_cursor *c, double min_score);
} kz_cursor_ops;

struct kz_cursor {
    const kz_cursor_ops *ops;
    uint32_t doc;        /* current passage, or KZ_DOC_END */
    uint32_t tf;         /* occurrences in the passage: a phrase's once confirmed, a term's once
                            scored or asked (kz_term_cursor_tf); 0 otherwise */
    double max_score;    /* bound on score over the whole cursor */
    double block_max;    /* after shallow_advance: bound on score over [target, block_last] */
    uint32_t block_last; /* after shallow_advance: last passage the block bound covers */
    uint64_t cost;       /* estimated matches (df): conjunctions lead with the cheapest */
};

static inline int kz_cursor_next(kz_cursor *c)
{
    return c->ops->next(c);
}
static inline int kz_cursor_advance(kz_cursor *c, uint32_t target)
{
    return c->ops->advance(c, target);
}
static inline int kz_cursor_score(kz_cursor *c, double *out)
{
    return c->ops->score(c, out);
}
static inline int kz_cursor_shallow_advance(kz_cursor *c, uint32_t target)
{
    return c->ops->shallow_advance(c, target);
}
static inline int kz_cursor_confirm(kz_cursor *c, int *ok)
{
    if (c->ops->confirm == NULL) {
        *ok = 1;
        return KZ_OK;
    }
    return c->ops->confirm(c, ok);
}
/* A bound on score at the current candidate (doc != KZ_DOC_END), confirmed or not. */
static inline double kz_cursor_candidate_max(kz_cursor *c)
{
    return c->ops->candidate_max ? c->ops->candidate_max(c) : c->max_score;
}
static inline void kz_cursor_set_min_score(kz_cursor *c, double min_score)
{
    if (c->ops->set_min_score) c->ops->set_min_score(c, min_score);
}
/* Non-zero when the cursor's candidates need confirming. */
static inline int kz_cursor_two_phase(const kz_cursor *c);

/* A bound on the score at the current candidate before it is confirmed: the exact score of a
 * cursor with nothing to confirm, the candidate bound of a two-phase one. */
static inline int kz_cursor_candidate_bound(kz_cursor *c, double *out)
{
    if (kz_cursor_two_phase(c)) {
        *out = kz_cursor_candidate_max(c);
        return KZ_OK;
    }
    return kz_cursor_score(c, out);
}
/* Non-zero when the cursor's candidates need confirming. */
static inline int kz_cursor_two_phase(const kz_cursor *c)
{
    return c->ops->confirm != NULL;
}
/* Advances c to target and sets *ok to whether it matches target (confirmed). */
static inline int kz_cursor_matches(kz_cursor *c, uint32_t target, int *ok)
{
    *ok = 0;
    int rc = kz_cursor_advance(c, target);
    if (rc < 0 || c->doc != target) return rc;
    return kz_cursor_confirm(c, ok);
}
static inline double kz_cursor_block_max_score(const kz_cursor *c)
{
    return c->block_max;
}
static inline uint32_t kz_cursor_block_last_doc(const kz_cursor *c)
{
    return c->block_last;
}

/* shallow_advance for cursors without block data: the list bound, up to the end. */
int kz_cursor_shallow_none(kz_cursor *c, uint32_t target);

/* A cursor over one term's posting list in a segment (term_cursor.c), scoring
 * weight * tf / (tf + norm(length of doc)) with the norms of bm25. weight is the term's idf
 * (collection-wide). lengths holds the lengths of the segment's passages; a posting id beyond
 * them is damage (KZ_ECORRUPT). pos may be NULL (pos_len 0) unless the cursor feeds a
 * phrase. df >= 1 (absent terms get no cursor). bm25 and lengths are borrowed and must outlive
 * the cursor. */
int kz_term_cursor_new(kz_cursor **out, kz_arena *arena, const kz_bm25 *bm25, double weight,
                       const kz_lengths *lengths, const uint8_t *doc, size_t doc_bytes,
                       const uint8_t *pos, size_t pos_bytes, uint32_t df);

/* Non-zero when c was made by kz_term_cursor_new. */
int kz_term_cursor_is(const kz_cursor *c);

/* The frequency of the term in the term cursor's current passage, into *tf and c->tf. */
int kz_term_cursor_tf(kz_cursor *c, uint32_t *tf);

/* The term cursor's underlying postings cursor (for phrases, intersections and highlighting).
 * After moving it directly, call kz_term_cursor_sync before using the term cursor again. */
kz_postings_cursor *kz_term_cursor_postings(kz_cursor *c);

/* Block bounds: exact from the block's impacts (exact != 0, the default), or the looser bound
 * from the block's largest frequency and the list's shortest passage, which costs no decoding.
 * Measured on the benchmark collection: exact bounds halve single-term queries and speed up
 * disjunctions, but an intersection crosses blocks far more often than they let it skip one
 * (conjunctions of terms +7 to +12% instructions with them, phrases +5%). */
void kz_term_cursor_set_exact(kz_cursor *c, int exact);

/* Moves the term cursor forward, from its current passage on, to the first passage whose score
 * exceeds floor, or to the first passage after last (or the end) if none up to last does: a
 * one-word query's scan of a block without the general machinery for each posting. */
int kz_term_cursor_skip_below(kz_cursor *c, uint32_t last, double floor);

/* Adds to acc[k] the term's score at passage ids[k], which is posting idx[k] of the decoded
 * block of the postings cursor (k < count <= KZ_BLOCK_LEN), without moving either cursor: an
 * intersection's matches scored as a batch, with the same values kz_cursor_score gives.
 * KZ_ECORRUPT for a posting beyond the segment or outside its list's bounds. */
int kz_term_cursor_add_scores(kz_cursor *c, const uint32_t *idx, const uint32_t *ids,
                              uint32_t count, double *acc);

/* Takes the postings cursor's position as the term cursor's (KZ_ECORRUPT for an id beyond the
 * segment). */
int kz_term_cursor_sync(kz_cursor *c);

/* A phrase over n >= 1 term cursors (made with positions), term i expected at position
 * p + offsets[i] for some occurrence p of term 0 (offsets[0] == 0, non-decreasing; equal
 * offsets are terms the analyzer emitted as alternatives at one position). tf is the number of
 * such p; the score is BM25 with weight = the sum of the terms' weights, as Lucene does.
 * Two-phase: candidates are the passages holding every term; confirm reads the positions. The terms become owned by
 * the phrase (do not use them elsewhere). */
int kz_phrase_cursor_new(kz_cursor **out, kz_arena *arena, const kz_bm25 *bm25, double weight,
                         const kz_lengths *lengths, kz_cursor **terms, const uint32_t *offsets,
                         size_t n);

/* A disjunction: matches where any child matches; score = the sum of the matching children's
 * scores, in child order. Two-phase when a child is. Children (n >= 1) become owned by it. */
int kz_or_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor **children, size_t n);

/* A conjunction by leapfrogging from the cheapest child: matches where every child matches;
 * score = the sum of the children's scores, in child order; block bound = the sum of the
 * children's block bounds. Two-phase when a child is: candidates are passages where every child
 * has a candidate. Children (n >= 1) become owned by it. */
int kz_and_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor **children, size_t n);

/* An exclusion: the passages of include that exclude does not match, scored by include alone
 * (for NOT nested in a sub-expression; top-level NOT is the plan's must_not list). Both cursors
 * become owned by it. */
int kz_andnot_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor *include, kz_cursor *exclude);

/* Internal helper shared by the combinators and the conjunction algorithm. */

/* Copies n cursors into a new arena array (*out), sorted by increasing cost. */
int kz_cursor_order_by_cost(kz_cursor ***out, kz_arena *arena, kz_cursor **cursors, size_t n);

#endif
