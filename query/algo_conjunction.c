/* algo_conjunction.c - required clauses intersected from the rarest, with block-max
 * skipping (Lucene's block-max conjunction); should clauses only add to the score.
 *
 * The required clauses are the must cursors, or the one should cursor of a plan that has a
 * single clause and nothing required (a passage must match it, so it is required in effect:
 * one term or one phrase then gets block skipping too).
 *
 * Invariants: order[] holds the required cursors cheapest first; `target` is the smallest
 * passage not yet decided. The window [.., window_last] is a range over which every required
 * cursor whose block bound counts stays in one block, and window_bound bounds the score of any
 * passage in it (those block bounds, the other required cursors' list bounds, and the should
 * cursors' list bounds); it is computed once per window, not per candidate, and a window whose
 * bound cannot enter the top k is skipped whole without decoding. Within a window:
 *   - a lone clause (one word) is its own score: a term scans its block for the next passage
 *     above the threshold (kz_term_cursor_skip_below), anything else is scored and compared;
 *   - plain terms: the window is the lead's block, and the passages every list holds there come
 *     from the block-at-a-time intersection (intersect.h, window_terms), a run at a time; once
 *     the top k is full, a run's matches are scored together on the postings (prescore_run)
 *     and only those whose required scores could enter go on to be offered. Checking the
 *     lead's exact score plus the others' bounds before the intersection was tried twice, with
 *     block bounds and with the block's largest frequency at the passage's own length: neither
 *     pruned enough to pay;
 *   - other cursors are moved to the lead's candidate after the filter's bit test;
 *   - an aligned candidate is checked against the exclusions; when a required clause is
 *     two-phase (a phrase), against its bound at that very passage before positions are read;
 *     then confirmed, and checked with its exact required scores before the canonical score
 *     (which moves the should cursors to it) is computed.
 * Whenever the threshold rises, each required clause is told the score it must reach for a
 * passage to enter (the threshold less what the others can add), which lets a phrase pass over
 * passages inside its own intersection. */
#include "algo.h"

#include "block_search.h"
#include "error.h"
#include "intersect.h"

#include <math.h>
#include <stdlib.h>

typedef struct conj {
    const kz_plan_segment *p;
    kz_topk *top;
    kz_cursor **req, **order; /* required clauses: in plan order, cheapest first */
    size_t n, nshould;
    double should_bound;        /* the should clauses' list bounds, summed */
    kz_postings_cursor **lists; /* order[]'s postings when every one is a plain term, else NULL */
    kz_intersect inter;         /* with lists: their intersection */
    size_t *req_at;             /* with lists: req[i] is order[req_at[i]] */
    uint32_t *idx;              /* with lists: KZ_BLOCK_LEN indices in a list's block */
    double *acc;                /* with lists: KZ_BLOCK_LEN required scores of a run's matches */
    int two_phase;              /* some required clause needs confirming */
    int alone;                  /* one plain clause and nothing else that scores */
    uint32_t window_last;
    double window_bound;
} conj;

/* Once the top k is full: the score each required clause must reach at a passage for it to
 * enter, given that the others add at most their list bounds (with the collector's margin, so
 * a passage that kz_topk_competitive would keep is never below it). */
static void push_min_scores(const conj *c)
{
    if (c->top->n < c->top->k) return;
    double thr = kz_topk_threshold(c->top);
    double need = thr - fabs(thr) * KZ_TOPK_MARGIN - c->should_bound;
    for (size_t i = 0; i < c->n; i++) {
        double others = 0.0;
        for (size_t j = 0; j < c->n; j++)
            if (j != i) others += c->req[j]->max_score;
        kz_cursor_set_min_score(c->req[i], need - others);
    }
}

/* The window that starts at cand: its last passage and its bound. Plain terms take the lead's
 * block as the window, bounded with the others' list bounds: their block bounds would cut the
 * window at each of their blocks, and on the benchmark collection (passages of ~20 words, whose
 * blocks all hold some short passage) they let one pass over the and2 and and3 dev queries skip
 * 29 of ~15,000 windows, while bounding each cost about as much as searching it. */
static int open_window(conj *c, uint32_t cand)
{
    c->window_bound = c->should_bound;
    c->window_last = KZ_DOC_END;
    for (size_t i = 0; i < c->n; i++) {
        if (c->lists && i > 0) {
            c->window_bound += c->order[i]->max_score;
            continue;
        }
        KZ_TRY(kz_cursor_shallow_advance(c->order[i], cand));
        c->window_bound += c->order[i]->block_max;
        if (c->order[i]->block_last < c->window_last) c->window_last = c->order[i]->block_last;
    }
    return KZ_OK;
}

/* A lone clause at cand, with the top k full: *next receives cand if it can enter, else the
 * passage to go on from (the term's next passage above the threshold, or past the window). */
static int lone_clause(const conj *c, uint32_t cand, uint32_t *next)
{
    double thr = kz_topk_threshold(c->top), floor = thr - fabs(thr) * KZ_TOPK_MARGIN;
    kz_cursor *lead = c->order[0];
    if (kz_term_cursor_is(lead)) {
        KZ_TRY(kz_term_cursor_skip_below(lead, c->window_last, floor));
        *next = lead->doc;
        return KZ_OK;
    }
    double sc;
    KZ_TRY(kz_cursor_score(lead, &sc));
    *next = sc > floor ? cand : cand + 1;
    return KZ_OK;
}

/* Moves the other required clauses to the lead's candidate *cand (plain terms have
 * window_terms instead). *found = 1 when they all stand on it and the filter allows it; else
 * *cand receives the passage to go on from. */
static int align(const conj *c, uint32_t *cand, int *found)
{
    *found = 0;
    int ok;
    KZ_TRY(kz_plan_allowed(c->p, *cand, &ok)); /* one bit test: before moving any other list */
    if (!ok) {
        ++*cand;
        return KZ_OK;
    }
    for (size_t i = 1; i < c->n; i++) {
        KZ_TRY(kz_cursor_advance(c->order[i], *cand));
        if (c->order[i]->doc != *cand) {
            *cand = c->order[i]->doc;
            return KZ_OK;
        }
    }
    *found = 1;
    return KZ_OK;
}

/* Every required clause stands on cand, which the filter allows: the exclusions, the bound
 * before confirming, the confirmation, the bound with the exact required scores, then the
 * canonical score for the collector. */
static int offer(const conj *c, uint32_t cand, uint64_t *matched, int prechecked)
{
    int excluded, ok;
    KZ_TRY(kz_plan_excluded(c->p, cand, &excluded));
    if (excluded) return KZ_OK;
    if (c->two_phase) {
        /* exact for clauses with nothing to confirm, a phrase's bound from its terms'
         * frequencies here */
        double bound = c->should_bound;
        for (size_t i = 0; i < c->n; i++) {
            double v;
            KZ_TRY(kz_cursor_candidate_bound(c->req[i], &v));
            bound += v;
        }
        if (!kz_topk_competitive(c->top, bound)) return KZ_OK;
        ok = 1;
        for (size_t i = 0; i < c->n && ok; i++) KZ_TRY(kz_cursor_confirm(c->req[i], &ok));
        if (!ok) return KZ_OK;
    }
    ++*matched;
    if (!prechecked && c->top->n == c->top->k && c->n + c->nshould > 1) {
        /* the required scores first: most passages end there (a lone clause's is the score) */
        double must_part = c->should_bound;
        for (size_t i = 0; i < c->n; i++) {
            double v;
            KZ_TRY(kz_cursor_score(c->req[i], &v));
            must_part += v;
        }
        if (!kz_topk_competitive(c->top, must_part)) return KZ_OK;
    }
    double s;
    int any;
    KZ_TRY(kz_plan_score(c->p, cand, NULL, NULL, &s, &any)); /* the canonical sum */
    if (kz_topk_push(c->top, s, c->p->base + cand)) push_min_scores(c);
    return KZ_OK;
}

/* The required scores of the current run's count matches, each summed as offer sums them (the
 * should clauses' bounds, then the required clauses in plan order), into acc[]. */
static int prescore_run(conj *c, uint32_t count)
{
    const uint32_t *ids = kz_intersect_run_ids(&c->inter);
    for (uint32_t k = 0; k < count; k++) c->acc[k] = c->should_bound;
    for (size_t i = 0; i < c->n; i++) {
        const size_t j = c->req_at[i];
        const uint32_t *idx = kz_intersect_run_lead(&c->inter);
        if (j > 0) { /* the lead's indices were kept; the others' are searched again */
            kz_block_locate(c->lists[j]->ids, ids, count, c->idx);
            idx = c->idx;
        }
        KZ_TRY(kz_term_cursor_add_scores(c->req[i], idx, ids, count, c->acc));
    }
    return KZ_OK;
}

/* Plain terms, the lead standing on the window's first candidate: the passages every list
 * holds in the window (intersect.h), offered in order. Once the top k is full, a run's matches
 * are first scored together on the postings (prescore_run), and only those whose required
 * scores could enter are moved to and offered: most matches of a long conjunction end there,
 * and the batch costs a fraction of the per-passage machinery (moving every cursor, the
 * filter, the cursors' scoring). Those passed over are counted as matched when nothing could
 * exclude them. *next receives the passage to go on from: after the window, or the end once a
 * list is exhausted. */
static int window_terms(conj *c, uint32_t *next, uint64_t *matched)
{
    kz_postings_cursor *lead = c->lists[0];
    const uint32_t end =
        c->window_last < lead->ids[lead->n - 1] ? c->window_last : lead->ids[lead->n - 1];
    const int countable = c->p->allow == NULL && c->p->nmust_not == 0;
    /* With no should clause a match's required scores, summed as prescore_run sums them, are
     * its canonical score bit for bit (kz_plan_score adds the same terms in the same order to
     * 0.0). A match comes after every passage the top k holds, so it enters only by beating
     * the threshold strictly (kz_topk_push): ties, common among short passages that hold both
     * words once, are passed over here instead of being moved to, scored again and refused. */
    const int exact = c->nshould == 0;
    kz_intersect_restart(&c->inter, lead->doc);
    uint32_t count;
    for (;;) {
        KZ_TRY(kz_intersect_next(&c->inter, end, &count));
        if (count == 0) break;
        const int batch = c->top->n == c->top->k && c->n + c->nshould > 1;
        if (batch) KZ_TRY(prescore_run(c, count));
        for (uint32_t i = 0; i < count; i++) {
            if (batch && !(exact ? c->acc[i] > kz_topk_threshold(c->top)
                                 : kz_topk_competitive(c->top, c->acc[i]))) {
                *matched += (uint64_t)countable;
                continue;
            }
            kz_intersect_seek(&c->inter, i);
            for (size_t j = 0; j < c->n; j++) KZ_TRY(kz_term_cursor_sync(c->order[j]));
            const uint32_t x = kz_intersect_id(&c->inter, i);
            int ok;
            KZ_TRY(kz_plan_allowed(c->p, x, &ok));
            if (ok) KZ_TRY(offer(c, x, matched, batch));
            if (!kz_topk_competitive(c->top, c->window_bound)) goto done; /* none here can enter */
        }
    }
done:
    *next = c->inter.from == KZ_DOC_END ? KZ_DOC_END : end + 1; /* end: a real id */
    for (size_t j = 1; j < c->n; j++) KZ_TRY(kz_term_cursor_sync(c->order[j]));
    return KZ_OK;
}

int kz_algo_conjunction(const kz_plan_segment *p, kz_topk *top, uint64_t *matched)
{
    *matched = 0;
    const int lone_should = p->nmust == 0 && p->nshould == 1;
    conj c = {.p = p, .top = top, .req = lone_should ? p->should : p->must};
    c.n = lone_should ? 1 : p->nmust;
    c.nshould = lone_should ? 0 : p->nshould;
    if (c.n == 0) return kz_fail(KZ_EINVAL, "the conjunction needs at least one required clause");
    kz_arena arena = KZ_ARENA_INIT;
    int rc = KZ_OK;
    KZ_CHECK(kz_cursor_order_by_cost(&c.order, &arena, c.req, c.n));
    for (size_t i = 0; i < c.nshould; i++) c.should_bound += p->should[i]->max_score;
    int all_terms = 1;
    for (size_t i = 0; i < c.n; i++) {
        c.two_phase |= kz_cursor_two_phase(c.req[i]);
        all_terms &= kz_term_cursor_is(c.req[i]);
    }
    c.alone = c.n == 1 && c.nshould == 0 && !c.two_phase;
    if (all_terms && c.n > 1) { /* the commonest conjunction: intersected on the postings */
        KZ_CHECK(kz_arena_calloc((void **)&c.lists, &arena, c.n, sizeof *c.lists));
        uint32_t *ids, *lead;
        KZ_CHECK(kz_arena_calloc((void **)&ids, &arena, KZ_BLOCK_LEN, sizeof *ids));
        KZ_CHECK(kz_arena_calloc((void **)&lead, &arena, KZ_BLOCK_LEN, sizeof *lead));
        for (size_t i = 0; i < c.n; i++) {
            c.lists[i] = kz_term_cursor_postings(c.order[i]);
            kz_term_cursor_set_exact(c.order[i], 0); /* cheaper bounds pay here (cursor.h) */
        }
        kz_intersect_init(&c.inter, c.lists, c.n, ids, lead, 0);
        KZ_CHECK(kz_arena_calloc((void **)&c.req_at, &arena, c.n, sizeof *c.req_at));
        KZ_CHECK(kz_arena_calloc((void **)&c.idx, &arena, KZ_BLOCK_LEN, sizeof *c.idx));
        KZ_CHECK(kz_arena_calloc((void **)&c.acc, &arena, KZ_BLOCK_LEN, sizeof *c.acc));
        for (size_t i = 0; i < c.n; i++)
            for (size_t j = 0; j < c.n; j++)
                if (c.order[j] == c.req[i]) c.req_at[i] = j;
    }
    push_min_scores(&c); /* the threshold carries over from earlier segments */

    uint32_t target = 0;
    int in_window = 0;
    for (;;) {
        KZ_CHECK(kz_cursor_advance(c.order[0], target));
        uint32_t cand = c.order[0]->doc;
        if (cand == KZ_DOC_END) break;
        if (!in_window || cand > c.window_last) {
            KZ_CHECK(open_window(&c, cand));
            in_window = 1;
        }
        if (!kz_topk_competitive(top, c.window_bound)) {
            if (c.window_last == KZ_DOC_END) break;
            target = c.window_last + 1;
            in_window = 0;
            continue;
        }
        if (c.alone && top->n == top->k) {
            uint32_t next;
            KZ_CHECK(lone_clause(&c, cand, &next));
            if (next != cand) {
                if (next == KZ_DOC_END) break;
                target = next;
                continue;
            }
        }
        if (c.lists) {
            KZ_CHECK(window_terms(&c, &target, matched));
            continue;
        }
        int found;
        KZ_CHECK(align(&c, &cand, &found));
        if (!found) {
            if (cand == KZ_DOC_END) break;
            target = cand;
            continue;
        }
        target = cand + 1;
        KZ_CHECK(offer(&c, cand, matched, 0));
    }
done:
    kz_arena_free(&arena);
    return rc;
}
