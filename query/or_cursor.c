/* or_cursor.c - the disjunction combinator: the union of its children's matches.
 *
 * Invariants: doc is the smallest child doc (KZ_DOC_END when all are exhausted); every child
 * is on a doc >= this one, so the children on doc are exactly its candidates there. doc is a
 * candidate of the OR, confirmed when one of those children confirms. The score sums the
 * confirmed children on doc in child order, which makes it independent of how the cursor got
 * there; bounds are the sums of the children's bounds. */
#include "cursor.h"

#include "error.h"

typedef struct or_cursor {
    kz_cursor base;
    kz_cursor **kids;
    size_t n;
} or_cursor;

static void settle(or_cursor *o)
{
    uint32_t d = KZ_DOC_END;
    for (size_t i = 0; i < o->n; i++)
        if (o->kids[i]->doc < d) d = o->kids[i]->doc;
    o->base.doc = d;
}

static int or_next(kz_cursor *c)
{
    or_cursor *o = (or_cursor *)c;
    if (c->doc == KZ_DOC_END) return KZ_OK;
    for (size_t i = 0; i < o->n; i++)
        if (o->kids[i]->doc == c->doc) KZ_TRY(kz_cursor_next(o->kids[i]));
    settle(o);
    return KZ_OK;
}

static int or_advance(kz_cursor *c, uint32_t target)
{
    or_cursor *o = (or_cursor *)c;
    if (c->doc >= target) return KZ_OK;
    for (size_t i = 0; i < o->n; i++) KZ_TRY(kz_cursor_advance(o->kids[i], target));
    settle(o);
    return KZ_OK;
}

static int or_score(kz_cursor *c, double *out)
{
    or_cursor *o = (or_cursor *)c;
    double s = 0.0;
    for (size_t i = 0; i < o->n; i++) {
        if (o->kids[i]->doc != c->doc) continue;
        int ok;
        KZ_TRY(kz_cursor_confirm(o->kids[i], &ok));
        if (!ok) continue;
        double v;
        KZ_TRY(kz_cursor_score(o->kids[i], &v));
        s += v;
    }
    *out = s;
    return KZ_OK;
}

static int or_shallow(kz_cursor *c, uint32_t target)
{
    or_cursor *o = (or_cursor *)c;
    double bound = 0.0;
    uint32_t last = KZ_DOC_END;
    for (size_t i = 0; i < o->n; i++) {
        kz_cursor *k = o->kids[i];
        if (k->doc == KZ_DOC_END) continue;
        KZ_TRY(kz_cursor_shallow_advance(k, target));
        bound += k->block_max;
        if (k->block_last < last) last = k->block_last;
    }
    c->block_max = bound;
    c->block_last = last;
    return KZ_OK;
}

static int or_confirm(kz_cursor *c, int *ok)
{
    or_cursor *o = (or_cursor *)c;
    *ok = 0;
    for (size_t i = 0; i < o->n && !*ok; i++)
        if (o->kids[i]->doc == c->doc) KZ_TRY(kz_cursor_confirm(o->kids[i], ok));
    return KZ_OK;
}

static const kz_cursor_ops or_ops = {
    .next = or_next, .advance = or_advance, .score = or_score, .shallow_advance = or_shallow};
static const kz_cursor_ops or_ops_two_phase = {.next = or_next,
                                               .advance = or_advance,
                                               .score = or_score,
                                               .shallow_advance = or_shallow,
                                               .confirm = or_confirm};

int kz_or_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor **children, size_t n)
{
    *out = NULL;
    if (n == 0) return kz_fail(KZ_EINVAL, "an OR cursor needs at least one child");
    or_cursor *o;
    KZ_TRY(kz_arena_alloc((void **)&o, arena, sizeof *o));
    KZ_TRY(kz_arena_calloc((void **)&o->kids, arena, n, sizeof *o->kids));
    o->n = n;
    o->base.ops = &or_ops;
    for (size_t i = 0; i < n; i++) {
        o->kids[i] = children[i];
        o->base.max_score += children[i]->max_score;
        o->base.cost += children[i]->cost;
        if (kz_cursor_two_phase(children[i])) o->base.ops = &or_ops_two_phase;
    }
    o->base.block_max = o->base.max_score;
    o->base.block_last = KZ_DOC_END;
    settle(o);
    *out = &o->base;
    return KZ_OK;
}
