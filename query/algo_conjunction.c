/* algo_conjunction.c - required clauses by leapfrog intersection from the rarest, with
 * block-max skipping; should clauses only add to the score.
 *
 * Invariants: order[] holds the must cursors cheapest first; `target` is the smallest passage
 * not yet decided. Before the other lists are moved to the lead's candidate, the sum of the
 * must cursors' block bounds there plus the should cursors' list bounds is compared with the
 * threshold: if it cannot enter, nothing up to the end of the shortest of those blocks can, and
 * the whole range is skipped without decoding. An aligned, allowed, not excluded candidate is
 * checked once more with its exact must scores before the should cursors are moved to it. */
#include "algo.h"

#include "error.h"

#include <stdlib.h>

int kz_algo_conjunction(const kz_plan_segment *p, kz_topk *top, uint64_t *matched)
{
    *matched = 0;
    size_t n = p->nmust;
    if (n == 0) return kz_fail(KZ_EINVAL, "the conjunction needs at least one must clause");
    kz_arena arena = KZ_ARENA_INIT;
    kz_cursor **order;
    int rc = KZ_OK;
    KZ_CHECK(kz_cursor_order_by_cost(&order, &arena, p->must, n));
    double should_bound = 0.0;
    for (size_t i = 0; i < p->nshould; i++) should_bound += p->should[i]->max_score;

    uint32_t target = 0;
    for (;;) {
        KZ_CHECK(kz_cursor_advance(order[0], target));
        uint32_t cand = order[0]->doc;
        if (cand == KZ_DOC_END) break;

        double bound = should_bound;
        uint32_t last = KZ_DOC_END;
        for (size_t i = 0; i < n; i++) {
            KZ_CHECK(kz_cursor_shallow_advance(order[i], cand));
            bound += order[i]->block_max;
            if (order[i]->block_last < last) last = order[i]->block_last;
        }
        if (!kz_topk_competitive(top, bound)) {
            if (last == KZ_DOC_END) break;
            target = last + 1;
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
        target = cand + 1;

        int ok;
        KZ_CHECK(kz_plan_allowed(p, cand, &ok));
        if (ok) {
            int excluded;
            KZ_CHECK(kz_plan_excluded(p, cand, &excluded));
            ok = !excluded;
        }
        if (!ok) continue;
        ++*matched;
        if (p->nshould > 0) {
            double must_part = 0.0;
            for (size_t j = 0; j < n; j++) {
                double v;
                KZ_CHECK(kz_cursor_score(p->must[j], &v));
                must_part += v;
            }
            if (!kz_topk_competitive(top, must_part + should_bound)) continue;
        }
        double s;
        KZ_CHECK(kz_plan_score(p, cand, NULL, NULL, &s));
        kz_topk_push(top, s, p->base + cand);
    }
done:
    kz_arena_free(&arena);
    return rc;
}
