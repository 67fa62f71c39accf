/* intersect.c - block-at-a-time intersection of posting lists (intersect.h). */
#include "intersect.h"

#include "block_search.h"
#include "error.h"

#include <string.h>

/* How many of the len increasing ids are <= v: a binary search whose steps depend on len
 * alone, not on the ids, so that it has no branch to mispredict (a scan's exit, taken once per
 * segment and per run at a data-dependent place, was). */
static inline uint32_t count_at_most(const uint32_t *ids, uint32_t len, uint32_t v)
{
    if (len == 0) return 0;
    const uint32_t *base = ids; /* base[0] <= v, or base == ids */
    while (len > 1) {
        const uint32_t half = len / 2;
        base += half & (0u - (uint32_t)(base[half] <= v));
        len -= half;
    }
    return (uint32_t)(base - ids) + (base[0] <= v);
}

/* Of the m candidates ids[0..m) (increasing, at most the last id of c's decoded block, and c
 * holding nothing from the first of them up to its current id), keeps those c's block holds,
 * in order, compacting ids[] and the lead's indices lead[] with them; returns how many are
 * kept (block_search.h). */
static uint32_t match_block(const kz_postings_cursor *c, uint32_t *ids, uint32_t *lead, uint32_t m)
{
    return kz_block_keep_members(c->ids, c->i, ids, lead, m);
}

void kz_intersect_init(kz_intersect *x, kz_postings_cursor *const *lists, size_t n, uint32_t *ids,
                       uint32_t *lead, uint32_t target)
{
    *x = (kz_intersect){.lists = lists, .n = n, .ids = ids, .lead = lead};
    kz_intersect_restart(x, target);
}

void kz_intersect_restart(kz_intersect *x, uint32_t target)
{
    x->m = x->t = x->run = x->run_n = 0;
    x->from = target;
}

/* The lead's postings from x->from up to limit and the end of every block but the last list's,
 * matched against those blocks: x->m candidates for the last list. */
static int next_segment(kz_intersect *x, uint32_t limit)
{
    kz_postings_cursor *lead = x->lists[0];
    KZ_TRY(kz_postings_advance(lead, x->from));
    if (lead->doc == KZ_DOC_END || lead->doc > limit) {
        x->from = lead->doc; /* the lead holds nothing before it */
        return KZ_OK;
    }
    uint32_t seg = lead->ids[lead->n - 1] < limit ? lead->ids[lead->n - 1] : limit;
    for (size_t j = 1; j + 1 < x->n; j++) {
        kz_postings_cursor *o = x->lists[j];
        KZ_TRY(kz_postings_advance(o, lead->doc));
        if (o->doc == KZ_DOC_END) {
            x->from = KZ_DOC_END;
            return KZ_OK;
        }
        if (o->ids[o->n - 1] < seg) seg = o->ids[o->n - 1];
    }
    const uint32_t first = lead->i; /* the lead's ids up to seg, which its block ends with */
    uint32_t m = count_at_most(lead->ids + first, lead->n - first, seg);
    memcpy(x->ids, lead->ids + first, m * sizeof *x->ids);
    for (uint32_t k = 0; k < m; k++) x->lead[k] = first + k;
    for (size_t j = 1; j + 1 < x->n && m > 0; j++) m = match_block(x->lists[j], x->ids, x->lead, m);
    x->m = m;
    x->t = 0;
    x->from = seg + 1; /* seg is a real id, below KZ_DOC_END */
    return KZ_OK;
}

int kz_intersect_next(kz_intersect *x, uint32_t limit, uint32_t *count)
{
    kz_postings_cursor *last = x->lists[x->n - 1];
    *count = 0;
    x->run_n = 0;
    for (;;) {
        if (x->n == 1 && x->t < x->m) { /* one list: the segment is the run */
            x->run = 0;
            *count = x->run_n = x->m;
            x->t = x->m;
            return KZ_OK;
        }
        if (x->t < x->m) { /* the segment's candidates in the last list's next block */
            const uint32_t t = x->t;
            KZ_TRY(kz_postings_advance(last, x->ids[t]));
            if (last->doc == KZ_DOC_END) {
                x->m = x->t = 0;
                x->from = KZ_DOC_END;
                return KZ_OK;
            }
            const uint32_t u = t + count_at_most(x->ids + t, x->m - t, last->ids[last->n - 1]);
            x->run = t;
            x->run_n = match_block(last, x->ids + t, x->lead + t, u - t);
            x->t = u;
            if (x->run_n > 0) {
                *count = x->run_n;
                return KZ_OK;
            }
            continue;
        }
        if (x->from == KZ_DOC_END || x->from > limit) return KZ_OK;
        KZ_TRY(next_segment(x, limit));
    }
}
