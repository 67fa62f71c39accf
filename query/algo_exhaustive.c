/* algo_exhaustive.c - the reference evaluator: visits every passage any scoring cursor
 * matches, decides the match from the definition in algo.h, and scores it canonically.
 *
 * Invariant: at the top of the loop every must and should cursor stands on a passage >= d, the
 * smallest of their docs, so every passage below d has been decided; it never prunes, so
 * *matched is exact. */
#include "algo.h"

#include "error.h"

int kz_algo_exhaustive(const kz_plan_segment *p, kz_topk *top, uint64_t *matched)
{
    *matched = 0;
    if (p->nmust == 0 && p->nshould == 0) return KZ_OK;
    for (;;) {
        uint32_t d = KZ_DOC_END;
        for (size_t i = 0; i < p->nmust; i++)
            if (p->must[i]->doc < d) d = p->must[i]->doc;
        for (size_t i = 0; i < p->nshould; i++)
            if (p->should[i]->doc < d) d = p->should[i]->doc;
        if (d == KZ_DOC_END) break;

        int match = 1;
        for (size_t i = 0; i < p->nmust; i++) match &= p->must[i]->doc == d;
        if (match) KZ_TRY(kz_plan_allowed(p, d, &match));
        if (match) {
            int excluded;
            KZ_TRY(kz_plan_excluded(p, d, &excluded));
            match = !excluded;
        }
        if (match) {
            double s;
            KZ_TRY(kz_plan_score(p, d, NULL, NULL, &s));
            kz_topk_push(top, s, p->base + d);
            ++*matched;
        }
        for (size_t i = 0; i < p->nmust; i++)
            if (p->must[i]->doc == d) KZ_TRY(kz_cursor_next(p->must[i]));
        for (size_t i = 0; i < p->nshould; i++)
            if (p->should[i]->doc == d) KZ_TRY(kz_cursor_next(p->should[i]));
    }
    return KZ_OK;
}
