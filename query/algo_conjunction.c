/* algo_conjunction.c - required clauses by leapfrog intersection from the rarest, with
 * block-max skipping (Lucene's block-max conjunction); should clauses only add to the score.
 *
 * The required clauses are the must cursors, or the one should cursor of a plan that has a
 * single clause and nothing required (a passage must match it, so it is required in effect:
 * one term or one phrase then gets block skipping too).
 *
 * Invariants: order[] holds the required cursors cheapest first; `target` is the smallest
 * passage not yet decided. A window [window_first, window_last] is a range over which every
 * required cursor stays in one block, and window_bound bounds the score of any passage in it
 * (the sum of the required cursors' block bounds plus the should cursors' list bounds); it is
 * computed once per window, not per candidate, and a window whose bound cannot enter the top k
 * is skipped whole without decoding. The lead's candidate is checked against the filter before
 * the other lists move (checking it against the lead's exact score plus the others' window
 * bounds was tried: it rarely prunes and cost 8% more instructions on the and2 queries);
 * an aligned candidate against the exclusions; when a required clause is two-phase (a phrase),
 * against its bound at that very passage before positions are read; then confirmed, and
 * checked once more with its exact required scores before the should cursors are moved to it.
 * Whenever the threshold rises, each required clause is told the score it must reach for a
 * passage to enter (the threshold less what the others can add), which lets a phrase pass over
 * passages inside its own intersection. */
#include "algo.h"

#include "error.h"

#include <math.h>
#include <stdlib.h>

/* An upper bound of the required clauses' score at the candidate they all stand on, before
 * any is confirmed: exact for clauses with nothing to confirm, the clause's candidate bound for
 * two-phase ones (a phrase's from its terms' frequencies there), else its block bound. */
static int candidate_bound(kz_cursor **req, size_t n, double *out)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v;
        if (!kz_cursor_two_phase(req[i]))
            KZ_TRY(kz_cursor_score(req[i], &v));
        else
            v = kz_cursor_candidate_max(req[i]);
        s += v;
    }
    *out = s;
    return KZ_OK;
}

/* Once the top k is full: the score each required clause must reach at a passage for it to
 * enter, given that the others add at most their list bounds (with the collector's margin, so
 * a passage that kz_topk_competitive would keep is never below it). */
static void push_min_scores(kz_cursor **req, size_t n, double should_bound, const kz_topk *top)
{
    if (top->n < top->k) return;
    double thr = kz_topk_threshold(top), need = thr - fabs(thr) * KZ_TOPK_MARGIN - should_bound;
    for (size_t i = 0; i < n; i++) {
        double others = 0.0;
        for (size_t j = 0; j < n; j++)
            if (j != i) others += req[j]->max_score;
        kz_cursor_set_min_score(req[i], need - others);
    }
}

int kz_algo_conjunction(const kz_plan_segment *p, kz_topk *top, uint64_t *matched)
{
    *matched = 0;
    const int lone_should = p->nmust == 0 && p->nshould == 1;
    kz_cursor **req = lone_should ? p->should : p->must;
    const size_t n = lone_should ? 1 : p->nmust;
    const size_t nshould = lone_should ? 0 : p->nshould;
    if (n == 0) return kz_fail(KZ_EINVAL, "the conjunction needs at least one required clause");
    kz_arena arena = KZ_ARENA_INIT;
    kz_cursor **order;
    int rc = KZ_OK;
    KZ_CHECK(kz_cursor_order_by_cost(&order, &arena, req, n));
    double should_bound = 0.0;
    for (size_t i = 0; i < nshould; i++) should_bound += p->should[i]->max_score;
    int two_phase = 0, all_terms = 1;
    for (size_t i = 0; i < n; i++) {
        two_phase |= kz_cursor_two_phase(req[i]);
        all_terms &= kz_term_cursor_is(req[i]);
    }
    /* Plain terms (the commonest conjunction) are intersected on their postings directly. */
    kz_postings_cursor **lists = NULL;
    if (all_terms && n > 1) {
        KZ_CHECK(kz_arena_calloc((void **)&lists, &arena, n, sizeof *lists));
        for (size_t i = 0; i < n; i++) {
            lists[i] = kz_term_cursor_postings(order[i]);
            kz_term_cursor_set_exact(order[i], 0); /* cheaper bounds pay here (cursor.h) */
        }
    }
    push_min_scores(req, n, should_bound, top); /* the threshold carries over from segments */
    /* One clause that needs no confirming and nothing else that scores (a one-word query): most
     * of its passages in a competitive window still score below the threshold, which one
     * division tells before the general machinery runs. */
    const int alone = n == 1 && nshould == 0 && !two_phase;

    uint32_t target = 0, window_last = 0;
    double window_bound = 0.0;
    int in_window = 0;
    for (;;) {
        KZ_CHECK(kz_cursor_advance(order[0], target));
        uint32_t cand = order[0]->doc;
        if (cand == KZ_DOC_END) break;

        if (!in_window || cand > window_last) {
            window_bound = should_bound;
            window_last = KZ_DOC_END;
            for (size_t i = 0; i < n; i++) {
                KZ_CHECK(kz_cursor_shallow_advance(order[i], cand));
                window_bound += order[i]->block_max;
                if (order[i]->block_last < window_last) window_last = order[i]->block_last;
            }
            in_window = 1;
        }
        if (!kz_topk_competitive(top, window_bound)) {
            if (window_last == KZ_DOC_END) break;
            target = window_last + 1;
            in_window = 0;
            continue;
        }

        if (alone && top->n == top->k) { /* its score is the passage's: compare it first */
            double thr = kz_topk_threshold(top), floor = thr - fabs(thr) * KZ_TOPK_MARGIN;
            if (kz_term_cursor_is(order[0])) { /* a term scans its block for the next one */
                KZ_CHECK(kz_term_cursor_skip_below(order[0], window_last, floor));
                if (order[0]->doc != cand) {
                    target = order[0]->doc; /* above floor, or past the window */
                    if (target == KZ_DOC_END) break;
                    continue;
                }
            } else {
                double sc;
                KZ_CHECK(kz_cursor_score(order[0], &sc));
                if (!(sc > floor)) {
                    target = cand + 1;
                    continue;
                }
            }
        }
        int ok;
        if (lists) { /* intersect within the window; a new window is bounded first */
            int found;
            KZ_CHECK(kz_postings_leapfrog(lists, n, cand, window_last, &cand, &found));
            for (size_t i = 0; i < n; i++) KZ_CHECK(kz_term_cursor_sync(order[i]));
            if (!found) {
                if (cand == KZ_DOC_END) break;
                target = cand;
                continue;
            }
            KZ_CHECK(kz_plan_allowed(p, cand, &ok));
            if (!ok) {
                target = cand + 1;
                continue;
            }
        } else { /* the filter is one bit test: before moving any other list */
            KZ_CHECK(kz_plan_allowed(p, cand, &ok));
            if (!ok) {
                target = cand + 1;
                continue;
            }
            size_t i = 1;
            for (; i < n; i++) {
                KZ_CHECK(kz_cursor_advance(order[i], cand));
                if (order[i]->doc != cand) break;
            }
            if (i < n) {
                target = order[i]->doc;
                continue;
            }
        }
        target = cand + 1;

        int excluded;
        KZ_CHECK(kz_plan_excluded(p, cand, &excluded));
        if (excluded) continue;
        if (two_phase) {
            double bound;
            KZ_CHECK(candidate_bound(req, n, &bound));
            if (!kz_topk_competitive(top, bound + should_bound)) continue;
            ok = 1;
            for (size_t j = 0; j < n && ok; j++) KZ_CHECK(kz_cursor_confirm(req[j], &ok));
            if (!ok) continue;
        }
        ++*matched;
        if (nshould > 0) {
            double must_part = 0.0;
            for (size_t j = 0; j < n; j++) {
                double v;
                KZ_CHECK(kz_cursor_score(req[j], &v));
                must_part += v;
            }
            if (!kz_topk_competitive(top, must_part + should_bound)) continue;
        }
        double s;
        int any;
        KZ_CHECK(kz_plan_score(p, cand, NULL, NULL, &s, &any));
        if (kz_topk_push(top, s, p->base + cand)) push_min_scores(req, n, should_bound, top);
    }
done:
    kz_arena_free(&arena);
    return rc;
}
