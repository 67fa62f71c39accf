/* reqopt_cursor.c - a nested group with required, optional and excluded clauses, such as
 * `(+tokayev putin -nazarbayev)` or `(a AND b -c)`: matches where the required cursor matches and
 * no excluded cursor does; scores the required cursor plus each optional one that is on the
 * same passage (in order), as the top-level plan does.
 *
 * Invariants: doc is the required cursor's doc, moved past excluded passages; optional and
 * excluded cursors are never ahead of where they were last needed and are advanced lazily (an
 * optional cursor only when scoring, an excluded one only when a candidate needs checking). */
#include "cursor.h"

#include "error.h"

typedef struct reqopt_cursor {
    kz_cursor base;
    kz_cursor *req;
    kz_cursor **opt;
    size_t nopt;
    kz_cursor **excl;
    size_t nexcl;
} reqopt_cursor;

/* Moves req forward from its current doc to the first passage no excluded cursor matches. */
static int settle(reqopt_cursor *r)
{
    for (;;) {
        uint32_t d = r->req->doc;
        int excluded = 0;
        for (size_t i = 0; i < r->nexcl && d != KZ_DOC_END; i++) {
            KZ_TRY(kz_cursor_advance(r->excl[i], d));
            if (r->excl[i]->doc == d) {
                excluded = 1;
                break;
            }
        }
        if (!excluded) {
            r->base.doc = d;
            r->base.tf = r->req->tf;
            return KZ_OK;
        }
        KZ_TRY(kz_cursor_next(r->req));
    }
}

static int ro_next(kz_cursor *c)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    if (c->doc == KZ_DOC_END) return KZ_OK;
    KZ_TRY(kz_cursor_next(r->req));
    return settle(r);
}

static int ro_advance(kz_cursor *c, uint32_t target)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    if (c->doc >= target) return KZ_OK;
    KZ_TRY(kz_cursor_advance(r->req, target));
    return settle(r);
}

static int ro_score(kz_cursor *c, double *out)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    double s;
    KZ_TRY(kz_cursor_score(r->req, &s));
    for (size_t i = 0; i < r->nopt; i++) {
        KZ_TRY(kz_cursor_advance(r->opt[i], c->doc));
        if (r->opt[i]->doc != c->doc) continue;
        double v;
        KZ_TRY(kz_cursor_score(r->opt[i], &v));
        s += v;
    }
    *out = s;
    return KZ_OK;
}

static int ro_shallow(kz_cursor *c, uint32_t target)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    if (c->doc == KZ_DOC_END) return kz_cursor_shallow_none(c, target);
    KZ_TRY(kz_cursor_shallow_advance(r->req, target));
    double bound = r->req->block_max;
    uint32_t last = r->req->block_last;
    for (size_t i = 0; i < r->nopt; i++) {
        kz_cursor *k = r->opt[i];
        if (k->doc == KZ_DOC_END) continue;
        if (k->doc < target) KZ_TRY(kz_cursor_advance(k, target));
        if (k->doc == KZ_DOC_END) continue;
        KZ_TRY(kz_cursor_shallow_advance(k, target));
        bound += k->block_max;
        if (k->block_last < last) last = k->block_last;
    }
    c->block_max = bound;
    c->block_last = last;
    return KZ_OK;
}

static const kz_cursor_ops reqopt_ops = {ro_next, ro_advance, ro_score, ro_shallow};

int kz_reqopt_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor *req, kz_cursor **opt,
                         size_t nopt, kz_cursor **excl, size_t nexcl)
{
    *out = NULL;
    reqopt_cursor *r;
    KZ_TRY(kz_arena_alloc((void **)&r, arena, sizeof *r));
    r->base.ops = &reqopt_ops;
    r->req = req;
    r->nopt = nopt;
    r->nexcl = nexcl;
    r->opt = NULL;
    r->excl = NULL;
    if (nopt) KZ_TRY(kz_arena_calloc((void **)&r->opt, arena, nopt, sizeof *r->opt));
    if (nexcl) KZ_TRY(kz_arena_calloc((void **)&r->excl, arena, nexcl, sizeof *r->excl));
    r->base.max_score = req->max_score;
    for (size_t i = 0; i < nopt; i++) {
        r->opt[i] = opt[i];
        r->base.max_score += opt[i]->max_score;
    }
    for (size_t i = 0; i < nexcl; i++) r->excl[i] = excl[i];
    r->base.cost = req->cost;
    r->base.block_max = r->base.max_score;
    r->base.block_last = KZ_DOC_END;
    KZ_TRY(settle(r));
    *out = &r->base;
    return KZ_OK;
}
