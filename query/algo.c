/* algo.c - what every algorithm shares: the filter checks, the canonical score, and the
 * choice of algorithm by the shape of the plan.
 *
 * Invariant: kz_plan_score is the only place a passage's final score is summed, so the
 * canonical clause order (algo.h) holds by construction. */
#include "algo.h"

#include "error.h"

int kz_plan_allowed(const kz_plan_segment *p, uint32_t doc, int *ok)
{
    if (doc >= p->ndocs)
        return kz_fail(KZ_ECORRUPT, "a cursor reached passage %u of a segment of %u", doc,
                       p->ndocs);
    *ok = p->allow == NULL || ((p->allow[doc >> 6] >> (doc & 63)) & 1u);
    return KZ_OK;
}

int kz_plan_excluded(const kz_plan_segment *p, uint32_t doc, int *hit)
{
    *hit = 0;
    for (size_t i = 0; i < p->nmust_not && !*hit; i++)
        KZ_TRY(kz_cursor_matches(p->must_not[i], doc, hit));
    return KZ_OK;
}

int kz_plan_confirm_must(const kz_plan_segment *p, int *ok)
{
    *ok = 1;
    for (size_t i = 0; i < p->nmust && *ok; i++) KZ_TRY(kz_cursor_confirm(p->must[i], ok));
    return KZ_OK;
}

int kz_plan_score(const kz_plan_segment *p, uint32_t doc, const double *known,
                  const unsigned char *have, double *out, int *any)
{
    double s = 0.0;
    *any = 0;
    for (size_t i = 0; i < p->nmust; i++) {
        double v;
        KZ_TRY(kz_cursor_score(p->must[i], &v));
        s += v;
    }
    for (size_t i = 0; i < p->nshould; i++) {
        if (have != NULL && have[i]) {
            s += known[i];
            *any = 1;
            continue;
        }
        kz_cursor *c = p->should[i];
        int ok;
        KZ_TRY(kz_cursor_matches(c, doc, &ok));
        if (!ok) continue;
        double v;
        KZ_TRY(kz_cursor_score(c, &v));
        s += v;
        *any = 1;
    }
    *out = s;
    return KZ_OK;
}

/* Shapes (measured: docs/RANKING.md): a conjunction whenever something is required, or when
 * one clause is all there is; BlockMax-WAND for two should clauses or more. */
kz_algo_fn kz_algo_choose(const kz_plan_segment *p, int algorithm, uint32_t k)
{
    if (algorithm == KZ_ALGO_EXHAUSTIVE) return kz_algo_exhaustive;
    if (p->nmust > 0) return kz_algo_conjunction;
    if (p->nshould == 0) return kz_algo_exhaustive;
    if (algorithm == KZ_ALGO_MAXSCORE) return kz_algo_maxscore;
    if (algorithm == KZ_ALGO_BMW) return kz_algo_bmw;
    /* Measured on the benchmark collection (instructions per query, docs/RANKING.md): one
       clause is required in effect, and the conjunction's block windows skip most of a frequent
       term's blocks; with two or more, BlockMax-WAND, now that block bounds are exact. */
    (void)k;
    if (p->nshould == 1) return kz_algo_conjunction;
    return kz_algo_bmw;
}
