/* algo.h - top-k evaluation of one query over one segment: the plan the algorithms take, the
 * four algorithms, and the choice among them.
 *
 * A plan holds three clause lists of cursors (cursor.h). A passage matches when it is allowed
 * (bit set in `allow`, or allow is NULL), matches no must_not cursor, and either matches every
 * must cursor (nmust > 0) or at least one should cursor (nmust == 0). Its score is defined as
 *
 *     s = 0; for each must clause in plan order: s += its score;
 *            for each should clause in plan order, if it matches: s += its score;
 *
 * i.e. the sum in one canonical clause order, so the same passage gets a bit-identical score
 * whichever algorithm finds it. Candidates are confirmed (cursor.h: phrase positions) only
 * after the cheaper checks - filters, exclusions, required clauses - pass. Algorithms offer matching passages to the collector in
 * increasing id order with global id base + local id; pruning compares upper bounds with the
 * threshold through kz_topk_competitive (which has a safety margin), so every algorithm returns
 * exactly the top k of the exhaustive one, ids and scores alike. Segments are evaluated one
 * after another (in global id order) with the same collector, whose threshold carries over.
 *
 * *matched receives the passages the algorithm fully matched: exact for the exhaustive
 * algorithm, a lower bound for the pruning ones (which skip passages that cannot enter). */
#ifndef KZ_ALGO_H
#define KZ_ALGO_H

#include "cursor.h"
#include "topk.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_plan_segment {
    kz_cursor **should;
    size_t nshould; /* scored, optional (OR) */
    kz_cursor **must;
    size_t nmust; /* scored, required */
    kz_cursor **must_not;
    size_t nmust_not;      /* excluded */
    const uint64_t *allow; /* bit i of allow[i / 64]: local passage i is allowed; NULL: all */
    uint32_t ndocs;        /* passages in the segment (cursor ids are below it) */
    uint64_t base;         /* global id of local passage 0 */
} kz_plan_segment;

typedef int (*kz_algo_fn)(const kz_plan_segment *p, kz_topk *top, uint64_t *matched);

/* Every shape: the reference the others are tested against. */
int kz_algo_exhaustive(const kz_plan_segment *p, kz_topk *top, uint64_t *matched);
/* should clauses (+ must_not + allow); must clauses are rejected with KZ_EINVAL. */
int kz_algo_maxscore(const kz_plan_segment *p, kz_topk *top, uint64_t *matched);
int kz_algo_bmw(const kz_plan_segment *p, kz_topk *top, uint64_t *matched);
/* must clauses (>= 1) with should clauses as optional scorers (+ must_not + allow); or a plan
 * of one should clause and no must clause, which is required in effect. */
int kz_algo_conjunction(const kz_plan_segment *p, kz_topk *top, uint64_t *matched);

/* The algorithm for this plan: `algorithm` is a kz_algorithm from kzsearch.h. Explicit
 * MaxScore or BMW apply to plans without must clauses; plans with must clauses use the
 * conjunction unless the exhaustive algorithm is asked for. KZ_ALGO_AUTO picks by shape (see
 * docs/RANKING.md). Never NULL. */
kz_algo_fn kz_algo_choose(const kz_plan_segment *p, int algorithm, uint32_t k);

/* Helpers shared by the algorithms (algo.c). */

/* *ok = 1 when local passage doc is allowed by p->allow. KZ_ECORRUPT if doc >= ndocs. */
int kz_plan_allowed(const kz_plan_segment *p, uint32_t doc, int *ok);

/* *hit = 1 when a must_not cursor matches doc (they are advanced to doc and confirmed). */
int kz_plan_excluded(const kz_plan_segment *p, uint32_t doc, int *hit);

/* *ok = 1 when every must cursor, all standing on the same candidate, confirms it. */
int kz_plan_confirm_must(const kz_plan_segment *p, int *ok);

/* The canonical score of doc, on which every must cursor stands confirmed: should cursors are
 * advanced to doc and confirmed; contributions already computed may be passed in known[]
 * (should index -> score, with have[i] != 0) to avoid scoring twice; both may be NULL.
 * *any is set to whether a should clause matched (a should-only plan needs one). */
int kz_plan_score(const kz_plan_segment *p, uint32_t doc, const double *known,
                  const unsigned char *have, double *out, int *any);

#endif
