/* and_cursor.c - the conjunction combinator, and the leapfrog intersection it shares with
 * phrases.
 *
 * Invariants: kids[] keeps the caller's order, which fixes the order scores are summed in;
 * order[] holds the same cursors cheapest first, the order the leapfrog probes them in (the
 * rarest list proposes candidates, the others confirm or jump ahead). doc is a passage every
 * child is on (a candidate of each), or KZ_DOC_END; it is confirmed when every child confirms. */
#include "cursor.h"

#include "error.h"

#include <stdlib.h>

typedef struct and_cursor {
    kz_cursor base;
    kz_cursor **kids;
    kz_cursor **order;
    size_t n;
} and_cursor;

/* Moves the cursors of order[] (n >= 1, cheapest first) to the first passage >= target they
 * all match and stores it in *doc (KZ_DOC_END if none). */
static int leapfrog(uint32_t *doc, kz_cursor **order, size_t n, uint32_t target)
{
    KZ_TRY(kz_cursor_advance(order[0], target));
    uint32_t cand = order[0]->doc;
    for (;;) {
        if (cand == KZ_DOC_END) break;
        size_t i = 1;
        for (; i < n; i++) {
            KZ_TRY(kz_cursor_advance(order[i], cand));
            if (order[i]->doc != cand) break;
        }
        if (i == n) break;
        KZ_TRY(kz_cursor_advance(order[0], order[i]->doc));
        cand = order[0]->doc;
    }
    *doc = cand;
    return KZ_OK;
}

static int by_cost(const void *pa, const void *pb)
{
    const kz_cursor *a = *(kz_cursor *const *)pa, *b = *(kz_cursor *const *)pb;
    return (a->cost > b->cost) - (a->cost < b->cost);
}

int kz_cursor_order_by_cost(kz_cursor ***out, kz_arena *arena, kz_cursor **cursors, size_t n)
{
    KZ_TRY(kz_arena_calloc((void **)out, arena, n, sizeof **out));
    for (size_t i = 0; i < n; i++) (*out)[i] = cursors[i];
    /* qsort is not stable; ties keep a fixed (if arbitrary) order, which is all that matters:
     * the probe order changes speed, never the result. */
    qsort(*out, n, sizeof **out, by_cost);
    return KZ_OK;
}

static int and_next(kz_cursor *c)
{
    and_cursor *a = (and_cursor *)c;
    if (c->doc == KZ_DOC_END) return KZ_OK;
    return leapfrog(&c->doc, a->order, a->n, c->doc + 1);
}

static int and_advance(kz_cursor *c, uint32_t target)
{
    and_cursor *a = (and_cursor *)c;
    if (c->doc >= target) return KZ_OK;
    return leapfrog(&c->doc, a->order, a->n, target);
}

static int and_score(kz_cursor *c, double *out)
{
    and_cursor *a = (and_cursor *)c;
    double s = 0.0;
    for (size_t i = 0; i < a->n; i++) {
        double v; /* every child is confirmed on doc, since this cursor is */
        KZ_TRY(kz_cursor_score(a->kids[i], &v));
        s += v;
    }
    *out = s;
    return KZ_OK;
}

static int and_shallow(kz_cursor *c, uint32_t target)
{
    and_cursor *a = (and_cursor *)c;
    if (c->doc == KZ_DOC_END) {
        c->block_max = 0.0;
        c->block_last = KZ_DOC_END;
        return KZ_OK;
    }
    double bound = 0.0;
    uint32_t last = KZ_DOC_END;
    for (size_t i = 0; i < a->n; i++) {
        kz_cursor *k = a->kids[i];
        KZ_TRY(kz_cursor_shallow_advance(k, target));
        bound += k->block_max;
        if (k->block_last < last) last = k->block_last;
    }
    c->block_max = bound;
    c->block_last = last;
    return KZ_OK;
}

static int and_confirm(kz_cursor *c, int *ok)
{
    and_cursor *a = (and_cursor *)c;
    *ok = 1;
    for (size_t i = 0; i < a->n && *ok; i++) KZ_TRY(kz_cursor_confirm(a->order[i], ok));
    return KZ_OK;
}

/* Exact for the children with nothing to confirm, their own candidate bound for the others. */
static double and_candidate_max(kz_cursor *c)
{
    and_cursor *a = (and_cursor *)c;
    double s = 0.0;
    for (size_t i = 0; i < a->n; i++) {
        kz_cursor *k = a->kids[i];
        double v;
        if (kz_cursor_candidate_bound(k, &v) < 0)
            v = k->max_score; /* damage: the bound stays safe, scoring reports it */
        s += v;
    }
    return s;
}

static const kz_cursor_ops and_ops = {
    .next = and_next, .advance = and_advance, .score = and_score, .shallow_advance = and_shallow};
static const kz_cursor_ops and_ops_two_phase = {.next = and_next,
                                                .advance = and_advance,
                                                .score = and_score,
                                                .shallow_advance = and_shallow,
                                                .confirm = and_confirm,
                                                .candidate_max = and_candidate_max};

int kz_and_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor **children, size_t n)
{
    *out = NULL;
    if (n == 0) return kz_fail(KZ_EINVAL, "an AND cursor needs at least one child");
    and_cursor *a;
    KZ_TRY(kz_arena_alloc((void **)&a, arena, sizeof *a));
    KZ_TRY(kz_arena_calloc((void **)&a->kids, arena, n, sizeof *a->kids));
    KZ_TRY(kz_cursor_order_by_cost(&a->order, arena, children, n));
    a->n = n;
    a->base.ops = &and_ops;
    a->base.cost = UINT64_MAX;
    for (size_t i = 0; i < n; i++) {
        a->kids[i] = children[i];
        a->base.max_score += children[i]->max_score;
        if (children[i]->cost < a->base.cost) a->base.cost = children[i]->cost;
        if (kz_cursor_two_phase(children[i])) a->base.ops = &and_ops_two_phase;
    }
    a->base.block_max = a->base.max_score;
    a->base.block_last = KZ_DOC_END;
    KZ_TRY(leapfrog(&a->base.doc, a->order, n, 0));
    *out = &a->base;
    return KZ_OK;
}
