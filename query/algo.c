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
    for (size_t i = 0; i < p->nmust_not; i++) {
        KZ_TRY(kz_cursor_advance(p->must_not[i], doc));
        if (p->must_not[i]->doc == doc) {
            *hit = 1;
            break;
        }
    }
    return KZ_OK;
}

int kz_plan_score(const kz_plan_segment *p, uint32_t doc, const double *known,
                  const unsigned char *have, double *out)
{
    double s = 0.0;
    for (size_t i = 0; i < p->nmust; i++) {
        double v;
        KZ_TRY(kz_cursor_score(p->must[i], &v));
        s += v;
    }
    for (size_t i = 0; i < p->nshould; i++) {
        if (have != NULL && have[i]) {
            s += known[i];
            continue;
        }
        kz_cursor *c = p->should[i];
        KZ_TRY(kz_cursor_advance(c, doc));
        if (c->doc != doc) continue;
        double v;
        KZ_TRY(kz_cursor_score(c, &v));
        s += v;
    }
    *out = s;
    return KZ_OK;
}

/* Shapes, from measurements on synthetic Zipf lists (docs/RANKING.md): a conjunction whenever
 * something is required; otherwise BMW for short disjunctions and small k, where its block
 * bounds skip the most, and MaxScore for longer ones or large k, where BMW's per-pivot sorting
 * and shallow moves cost more than they save. */
kz_algo_fn kz_algo_choose(const kz_plan_segment *p, int algorithm, uint32_t k)
{
    if (algorithm == KZ_ALGO_EXHAUSTIVE) return kz_algo_exhaustive;
    if (p->nmust > 0) return kz_algo_conjunction;
    if (p->nshould == 0) return kz_algo_exhaustive;
    if (algorithm == KZ_ALGO_MAXSCORE) return kz_algo_maxscore;
    if (algorithm == KZ_ALGO_BMW) return kz_algo_bmw;
    if (p->nshould <= 3 && k <= 100) return kz_algo_bmw;
    return kz_algo_maxscore;
}
