/* reqopt_cursor.c - a nested group with required, optional and excluded clauses, such as
 * `(+tokayev putin -nazarbayev)` or `(a AND b -c)`: matches where the required cursor matches and
 * no excluded cursor does; scores the required cursor plus each optional one that matches the
 * same passage (in order), as the top-level plan does.
 *
 * Two-phase (cursor.h): candidates are the required cursor's candidates; confirming one confirms
 * the required cursor and checks the excluded ones, so exclusions (and phrase positions) are
 * only evaluated for passages that passed every cheaper check. Without excluded clauses and with
 * a single-phase required cursor, every candidate matches and there is no confirm op.
 * Invariants: doc == req->doc; optional and excluded cursors are only moved forward, lazily. */
#include "reqopt.h"

#include "error.h"

typedef struct reqopt_cursor {
    kz_cursor base;
    kz_cursor *req;
    kz_cursor **opt;
    size_t nopt;
    kz_cursor **excl;
    size_t nexcl;
    uint32_t checked; /* the candidate confirm last decided (KZ_DOC_END: none) */
    int checked_ok;
} reqopt_cursor;

static void settle(reqopt_cursor *r)
{
    r->base.doc = r->req->doc;
    r->base.tf = 0;
}

static int ro_next(kz_cursor *c)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    if (c->doc == KZ_DOC_END) return KZ_OK;
    KZ_TRY(kz_cursor_next(r->req));
    settle(r);
    return KZ_OK;
}

static int ro_advance(kz_cursor *c, uint32_t target)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    if (c->doc >= target) return KZ_OK;
    KZ_TRY(kz_cursor_advance(r->req, target));
    settle(r);
    return KZ_OK;
}

static int ro_confirm(kz_cursor *c, int *ok)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    if (r->checked == c->doc) {
        *ok = r->checked_ok;
        return KZ_OK;
    }
    int match;
    KZ_TRY(kz_cursor_confirm(r->req, &match));
    for (size_t i = 0; i < r->nexcl && match; i++) {
        int hit;
        KZ_TRY(kz_cursor_matches(r->excl[i], c->doc, &hit));
        match = !hit;
    }
    r->checked = c->doc;
    r->checked_ok = match;
    *ok = match;
    return KZ_OK;
}

static int ro_score(kz_cursor *c, double *out)
{
    reqopt_cursor *r = (reqopt_cursor *)c;
    double s;
    KZ_TRY(kz_cursor_score(r->req, &s));
    for (size_t i = 0; i < r->nopt; i++) {
        int ok;
        KZ_TRY(kz_cursor_matches(r->opt[i], c->doc, &ok));
        if (!ok) continue;
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
    uint32_t from = target > c->doc ? target : c->doc;
    for (size_t i = 0; i < r->nopt; i++) {
        kz_cursor *k = r->opt[i];
        if (k->doc < from) KZ_TRY(kz_cursor_advance(k, from));
        if (k->doc == KZ_DOC_END) continue;
        KZ_TRY(kz_cursor_shallow_advance(k, from));
        bound += k->block_max;
        if (k->block_last < last) last = k->block_last;
    }
    c->block_max = bound;
    c->block_last = last < from ? from : last;
    return KZ_OK;
}

static const kz_cursor_ops two_phase_ops = {.next = ro_next,
                                            .advance = ro_advance,
                                            .score = ro_score,
                                            .shallow_advance = ro_shallow,
                                            .confirm = ro_confirm};
static const kz_cursor_ops single_phase_ops = {
    .next = ro_next, .advance = ro_advance, .score = ro_score, .shallow_advance = ro_shallow};

int kz_reqopt_cursor_new(kz_cursor **out, kz_arena *arena, kz_cursor *req, kz_cursor **opt,
                         size_t nopt, kz_cursor **excl, size_t nexcl)
{
    *out = NULL;
    reqopt_cursor *r;
    KZ_TRY(kz_arena_alloc((void **)&r, arena, sizeof *r));
    r->base.ops = nexcl > 0 || kz_cursor_two_phase(req) ? &two_phase_ops : &single_phase_ops;
    r->req = req;
    r->nopt = nopt;
    r->nexcl = nexcl;
    r->opt = NULL;
    r->excl = NULL;
    r->checked = KZ_DOC_END;
    r->checked_ok = 0;
    if (nopt) KZ_TRY(kz_arena_calloc((void **)&r->opt, arena, nopt, sizeof *r->opt));
    if (nexcl) KZ_TRY(kz_arena_calloc((void **)&r->excl, arena, nexcl, sizeof *r->excl));
    r->base.max_score = req->max_score;
    r->base.tf = 0;
    for (size_t i = 0; i < nopt; i++) {
        r->opt[i] = opt[i];
        r->base.max_score += opt[i]->max_score;
    }
    for (size_t i = 0; i < nexcl; i++) r->excl[i] = excl[i];
    r->base.cost = req->cost;
    r->base.block_max = r->base.max_score;
    r->base.block_last = KZ_DOC_END;
    settle(r);
    *out = &r->base;
    return KZ_OK;
}
