/* andnot_cursor.c - exclusion inside a sub-expression ("(a -b) OR c"): the matches of one
 * cursor that another cursor does not match. Top-level exclusions do not need it (the plan's
 * must_not list does that); it is for NOT nested under OR or AND.
 *
 * Invariants: base.doc is a candidate of the included cursor that the excluded cursor does not
 * match (confirmed: an excluded phrase removes only passages that hold it); score, confirmation
 * and every bound are the included cursor's, since exclusion only removes passages. */
#include "cursor.h"

#include "error.h"

typedef struct andnot_cursor {
    kz_cursor base;
    kz_cursor *in, *out;
} andnot_cursor;

/* From the included cursor's current passage on, skips the excluded passages. */
static int settle(andnot_cursor *a)
{
    for (;;) {
        uint32_t d = a->in->doc;
        if (d == KZ_DOC_END) break;
        int excluded;
        KZ_TRY(kz_cursor_matches(a->out, d, &excluded));
        if (!excluded) break;
        KZ_TRY(kz_cursor_next(a->in));
    }
    a->base.doc = a->in->doc;
    a->base.tf = a->in->tf;
    return KZ_OK;
}

static int andnot_next(kz_cursor *c)
{
    andnot_cursor *a = (andnot_cursor *)c;
    if (c->doc == KZ_DOC_END) return KZ_OK;
    KZ_TRY(kz_cursor_next(a->in));
    return settle(a);
}

static int andnot_advance(kz_cursor *c, uint32_t target)
{
    andnot_cursor *a = (andnot_cursor *)c;
    if (c->doc >= target) return KZ_OK;
    KZ_TRY(kz_cursor_advance(a->in, target));
    return settle(a);
}

static int andnot_score(kz_cursor *c, double *out)
{
    return kz_cursor_score(((andnot_cursor *)c)->in, out);
}

static int andnot_shallow(kz_cursor *c, uint32_t target)
{
    andnot_cursor *a = (andnot_cursor *)c;
    KZ_TRY(kz_cursor_shallow_advance(a->in, target));
    c->block_max = a->in->block_max;
    c->block_last = a->in->block_last;
    return KZ_OK;
}

static int andnot_confirm(kz_cursor *c, int *ok)
{
    return kz_cursor_confirm(((andnot_cursor *)c)->in, ok);
}

static double andnot_candidate_max(kz_cursor *c)
{
    return kz_cursor_candidate_max(((andnot_cursor *)c)->in);
}

static const kz_cursor_ops andnot_ops = {.next = andnot_next,
                                         .advance = andnot_advance,
                                         .score = andnot_score,
                                         .shallow_advance = andnot_shallow};
static const kz_cursor_ops andnot_ops_two_phase = {.next = andnot_next,
                                                   .advance = andnot_advance,
                                                   .score = andnot_score,
                                                   .shallow_advance = andnot_shallow,
                                                   .confirm = andnot_confirm,
                                                   .candidate_max = andnot_candidate_max};

int kz_andnot_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor *include, kz_cursor *exclude)
{
    *out = NULL;
    andnot_cursor *a;
    KZ_TRY(kz_arena_alloc((void **)&a, arena, sizeof *a));
    a->base.ops = kz_cursor_two_phase(include) ? &andnot_ops_two_phase : &andnot_ops;
    a->in = include;
    a->out = exclude;
    a->base.max_score = include->max_score;
    a->base.block_max = include->max_score;
    a->base.block_last = KZ_DOC_END;
    a->base.cost = include->cost;
    KZ_TRY(settle(a));
    *out = &a->base;
    return KZ_OK;
}
