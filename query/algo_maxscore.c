/* algo_maxscore.c - MaxScore (Turtle & Flood) over should clauses, with a block-max check
 * before the non-essential lists are touched.
 *
 * Invariants: ord[] holds the should cursors by increasing max_score and cum[i] is the sum of
 * the bounds of ord[0..i]. The first `ness` of them are non-essential: even all together they
 * cannot beat the threshold, so a passage matching none of the others cannot enter, and only
 * the essential cursors propose candidates. As the threshold rises, ness only grows. A
 * candidate is dropped as soon as its known part plus the bounds of the lists not yet looked
 * at cannot enter; otherwise it is scored canonically (kz_plan_score). */
#include "algo.h"

#include "error.h"

#include <stdlib.h>

typedef struct ms_entry {
    kz_cursor *c;
    size_t idx; /* position in p->should: where its contribution goes in the canonical sum */
} ms_entry;

static int by_bound(const void *pa, const void *pb)
{
    const ms_entry *a = pa, *b = pb;
    if (a->c->max_score != b->c->max_score) return a->c->max_score < b->c->max_score ? -1 : 1;
    return (a->idx > b->idx) - (a->idx < b->idx);
}

/* Scores candidate d: fills known[]/have[] and decides whether it can still enter. */
static int evaluate(const kz_plan_segment *p, kz_topk *top, ms_entry *ord, const double *cum,
                    size_t ness, uint32_t d, double *known, unsigned char *have, int *alive)
{
    size_t n = p->nshould;
    double part = 0.0;
    for (size_t i = ness; i < n; i++) {
        kz_cursor *c = ord[i].c;
        if (c->doc != d) continue;
        KZ_TRY(kz_cursor_score(c, &known[ord[i].idx]));
        have[ord[i].idx] = 1;
        part += known[ord[i].idx];
    }
    *alive = 1;
    if (ness == 0) return KZ_OK;
    /* Block bounds of the non-essential lists are tighter than their list bounds. */
    double bound = part;
    for (size_t i = 0; i < ness; i++) {
        KZ_TRY(kz_cursor_shallow_advance(ord[i].c, d));
        bound += ord[i].c->block_max;
    }
    if (!kz_topk_competitive(top, bound)) {
        *alive = 0;
        return KZ_OK;
    }
    for (size_t i = ness; i-- > 0;) {
        if (!kz_topk_competitive(top, part + cum[i])) {
            *alive = 0;
            return KZ_OK;
        }
        kz_cursor *c = ord[i].c;
        KZ_TRY(kz_cursor_advance(c, d));
        if (c->doc != d) continue;
        KZ_TRY(kz_cursor_score(c, &known[ord[i].idx]));
        have[ord[i].idx] = 1;
        part += known[ord[i].idx];
    }
    return KZ_OK;
}

int kz_algo_maxscore(const kz_plan_segment *p, kz_topk *top, uint64_t *matched)
{
    *matched = 0;
    if (p->nmust > 0) return kz_fail(KZ_EINVAL, "MaxScore takes should clauses only");
    size_t n = p->nshould;
    if (n == 0) return KZ_OK;
    int rc = KZ_OK;
    ms_entry *ord = malloc(n * sizeof *ord);
    double *cum = malloc(n * sizeof *cum);
    double *known = malloc(n * sizeof *known);
    unsigned char *have = calloc(n, 1);
    if (ord == NULL || cum == NULL || known == NULL || have == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    for (size_t i = 0; i < n; i++) ord[i] = (ms_entry){p->should[i], i};
    qsort(ord, n, sizeof *ord, by_bound);
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) cum[i] = acc += ord[i].c->max_score;

    size_t ness = 0;
    for (;;) {
        while (ness < n && !kz_topk_competitive(top, cum[ness])) ness++;
        if (ness == n) break;
        uint32_t d = KZ_DOC_END;
        for (size_t i = ness; i < n; i++)
            if (ord[i].c->doc < d) d = ord[i].c->doc;
        if (d == KZ_DOC_END) break;

        int alive;
        KZ_CHECK(kz_plan_allowed(p, d, &alive));
        if (alive) KZ_CHECK(evaluate(p, top, ord, cum, ness, d, known, have, &alive));
        if (alive) {
            int excluded;
            KZ_CHECK(kz_plan_excluded(p, d, &excluded));
            alive = !excluded;
        }
        if (alive) {
            double s;
            KZ_CHECK(kz_plan_score(p, d, known, have, &s));
            kz_topk_push(top, s, p->base + d);
            ++*matched;
        }
        for (size_t i = 0; i < n; i++) have[i] = 0;
        for (size_t i = ness; i < n; i++)
            if (ord[i].c->doc == d) KZ_CHECK(kz_cursor_next(ord[i].c));
    }
done:
    free(ord);
    free(cum);
    free(known);
    free(have);
    return rc;
}
