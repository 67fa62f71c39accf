/* algo_bmw.c - Block-Max WAND (Ding & Suel, 2011) over should clauses.
 *
 * Invariants: at the top of the loop cs[] holds the should cursors sorted by current doc, and
 * no passage below cs[0]->doc can still enter the top k. The pivot is the first cursor at
 * which the sum of list bounds of cs[0..pivot] becomes competitive: passages before its doc
 * match only cursors whose bounds cannot enter together. The pivot range is widened to every
 * cursor on the pivot's doc; if their block bounds together still cannot enter, no passage up
 * to the end of the shortest of those blocks (or the next cursor's doc) can, and the cursor
 * with the largest bound jumps past it. Otherwise, when every cursor up to the pivot is on the
 * pivot's doc, that passage is scored canonically - once the top k is full, only if the sum of
 * those cursors' scores (which the canonical order sums differently, within the collector's
 * margin) can enter; else the cursors behind are moved up. */
#include "algo.h"

#include "error.h"

#include <stdlib.h>

static void sort_by_doc(kz_cursor **cs, size_t n)
{
    /* insertion sort: after a move only a few cursors are out of place */
    for (size_t i = 1; i < n; i++) {
        kz_cursor *c = cs[i];
        size_t j = i;
        while (j > 0 && cs[j - 1]->doc > c->doc) {
            cs[j] = cs[j - 1];
            j--;
        }
        cs[j] = c;
    }
}

static int step(const kz_plan_segment *p, kz_topk *top, kz_cursor **cs, size_t n, int *over,
                uint64_t *matched)
{
    *over = 1;
    double acc = 0.0;
    size_t pivot = n;
    for (size_t i = 0; i < n && cs[i]->doc != KZ_DOC_END; i++) {
        acc += cs[i]->max_score;
        if (kz_topk_competitive(top, acc)) {
            pivot = i;
            break;
        }
    }
    if (pivot == n) return KZ_OK;
    *over = 0;
    uint32_t pd = cs[pivot]->doc;
    while (pivot + 1 < n && cs[pivot + 1]->doc == pd) pivot++;

    double bound = 0.0;
    uint32_t last = KZ_DOC_END;
    for (size_t i = 0; i <= pivot; i++) {
        KZ_TRY(kz_cursor_shallow_advance(cs[i], pd));
        bound += cs[i]->block_max;
        if (cs[i]->block_last < last) last = cs[i]->block_last;
    }
    if (kz_topk_competitive(top, bound)) {
        if (cs[0]->doc == pd) {
            int ok;
            KZ_TRY(kz_plan_allowed(p, pd, &ok));
            if (ok && top->n == top->k) { /* the passage's score, in any order, is cheap */
                double sum = 0.0;
                for (size_t i = 0; i <= pivot && ok; i++) {
                    double v;
                    if (kz_cursor_two_phase(cs[i])) break; /* scored only once confirmed */
                    KZ_TRY(kz_cursor_score(cs[i], &v));
                    sum += v;
                    if (i == pivot) ok = kz_topk_competitive(top, sum);
                }
            }
            if (ok) {
                int excluded;
                KZ_TRY(kz_plan_excluded(p, pd, &excluded));
                ok = !excluded;
            }
            double s;
            if (ok) KZ_TRY(kz_plan_score(p, pd, NULL, NULL, &s, &ok));
            if (ok) {
                kz_topk_push(top, s, p->base + pd);
                ++*matched;
            }
            for (size_t i = 0; i <= pivot; i++) KZ_TRY(kz_cursor_next(cs[i]));
        } else {
            for (size_t i = 0; i < pivot && cs[i]->doc < pd; i++)
                KZ_TRY(kz_cursor_advance(cs[i], pd));
        }
        return KZ_OK;
    }
    /* Nothing in [pd, next) can enter: the blocks bound it and later cursors start after. */
    uint32_t next = last == KZ_DOC_END ? KZ_DOC_END : last + 1;
    if (pivot + 1 < n && cs[pivot + 1]->doc < next) next = cs[pivot + 1]->doc;
    size_t jump = 0;
    for (size_t i = 1; i <= pivot; i++)
        if (cs[i]->max_score > cs[jump]->max_score) jump = i;
    return kz_cursor_advance(cs[jump], next);
}

int kz_algo_bmw(const kz_plan_segment *p, kz_topk *top, uint64_t *matched)
{
    *matched = 0;
    if (p->nmust > 0) return kz_fail(KZ_EINVAL, "BlockMax-WAND takes should clauses only");
    size_t n = p->nshould;
    if (n == 0) return KZ_OK;
    kz_cursor **cs = malloc(n * sizeof *cs);
    if (cs == NULL) return KZ_ENOMEM_FAIL();
    for (size_t i = 0; i < n; i++) cs[i] = p->should[i];
    int rc = KZ_OK, over = 0;
    while (!over) {
        sort_by_doc(cs, n);
        KZ_CHECK(step(p, top, cs, n, &over, matched));
    }
done:
    free(cs);
    return rc;
}
