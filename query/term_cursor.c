/* term_cursor.c - the cursor over one term's postings in a segment, scored with BM25.
 *
 * Invariants: base.doc mirrors pc.doc and is either KZ_DOC_END or < lengths->n (a larger id
 * is reported as damage, so the length of doc is always in bounds); base.tf is the frequency at doc once
 * scored or asked for through kz_term_cursor_tf (decoding frequencies is left until a passage
 * needs them: an intersection moves over many it never scores). Bounds are the exact maxima
 * over the list's and each block's impacts (impacts.h), so they hold for any k1 and b; a posting
 * that breaks the list bounds it advertised is damage too, caught when scored. */
#include "cursor.h"

#include "error.h"

typedef struct term_cursor {
    kz_cursor base;
    kz_postings_cursor pc;
    const kz_bm25 *bm25;
    double weight;
    const kz_lengths *lengths;
    /* the largest tf / (tf + norm) over the impacts of block part_block: cached, as conjunctions
     * ask for the bounds of every list at each window while only one list changed block */
    uint32_t part_block;
    double part;
    int exact;      /* block bounds from the impacts (else from the block's max tf alone) */
    uint32_t shown; /* the block base.block_max and block_last describe (UINT32_MAX: none) */
} term_cursor;

static int sync(term_cursor *t)
{
    if (t->pc.doc != KZ_DOC_END && t->pc.doc >= t->lengths->n) {
        t->base.doc = KZ_DOC_END;
        return kz_fail(KZ_ECORRUPT, "posting list names passage %u of a segment of %u passages",
                       t->pc.doc, t->lengths->n);
    }
    t->base.doc = t->pc.doc;
    t->base.tf = 0;
    return KZ_OK;
}

int kz_term_cursor_sync(kz_cursor *c)
{
    return sync((term_cursor *)c);
}

static int term_next(kz_cursor *c)
{
    term_cursor *t = (term_cursor *)c;
    if (c->doc == KZ_DOC_END) return KZ_OK;
    KZ_TRY(kz_postings_next(&t->pc));
    return sync(t);
}

static int term_advance(kz_cursor *c, uint32_t target)
{
    term_cursor *t = (term_cursor *)c;
    if (c->doc >= target) return KZ_OK;
    KZ_TRY(kz_postings_advance(&t->pc, target));
    return sync(t);
}

int kz_term_cursor_tf(kz_cursor *c, uint32_t *tf)
{
    term_cursor *t = (term_cursor *)c;
    if (c->tf == 0) KZ_TRY(kz_postings_freq(&t->pc, &c->tf)); /* 0: not read at this doc */
    *tf = c->tf;
    return KZ_OK;
}

static int term_score(kz_cursor *c, double *out)
{
    term_cursor *t = (term_cursor *)c;
    if (c->tf == 0) KZ_TRY(kz_postings_freq(&t->pc, &c->tf));
    uint32_t dl = kz_length(t->lengths, c->doc);
    if (c->tf == 0 || c->tf > t->pc.list_max_tf || dl < t->pc.list_min_len)
        return kz_fail(KZ_ECORRUPT,
                       "posting (passage %u, tf %u, length %u) breaks its list's bounds (max tf "
                       "%u, min length %u)",
                       c->doc, c->tf, dl, t->pc.list_max_tf, t->pc.list_min_len);
    *out = kz_bm25_score(t->weight, c->tf, kz_bm25_norm(t->bm25, dl));
    return KZ_OK;
}

int kz_term_cursor_add_scores(kz_cursor *c, const uint32_t *idx, const uint32_t *ids,
                              uint32_t count, double *acc)
{
    term_cursor *t = (term_cursor *)c;
    uint32_t tf[KZ_BLOCK_LEN];
    if (count > KZ_BLOCK_LEN)
        return kz_fail(KZ_EINVAL, "term cursor: a batch of %u postings exceeds a block", count);
    KZ_TRY(kz_postings_freqs_at(&t->pc, idx, count, tf));
    uint32_t bad = 0;
    for (uint32_t k = 0; k < count; k++) bad |= ids[k] >= t->lengths->n;
    if (bad) return kz_fail(KZ_ECORRUPT, "posting list names a passage beyond its segment");
    for (uint32_t k = 0; k < count; k++) {
        const uint32_t dl = kz_length(t->lengths, ids[k]);
        bad |= tf[k] > t->pc.list_max_tf || dl < t->pc.list_min_len;
        acc[k] += kz_bm25_score(t->weight, tf[k], kz_bm25_norm(t->bm25, dl));
    }
    if (bad)
        return kz_fail(KZ_ECORRUPT,
                       "postings of a block break their list's bounds (max tf %u, "
                       "min length %u)",
                       t->pc.list_max_tf, t->pc.list_min_len);
    return KZ_OK;
}

/* After shallow_advance: the largest tf / (tf + norm) over the block's postings (so that the
 * exact block bound is weight * part), cached per block. */
static int block_part(kz_cursor *c, double *part)
{
    term_cursor *t = (term_cursor *)c;
    if (t->part_block != t->pc.shallow) {
        const kz_impacts *im;
        KZ_TRY(kz_postings_block_impacts(&t->pc, &im));
        t->part = kz_bm25_upper_impacts(t->bm25, 1.0, im);
        t->part_block = t->pc.shallow;
    }
    *part = t->part;
    return KZ_OK;
}

static int term_shallow(kz_cursor *c, uint32_t target)
{
    term_cursor *t = (term_cursor *)c;
    if (c->doc == KZ_DOC_END) {
        c->block_max = 0.0;
        c->block_last = KZ_DOC_END;
        return KZ_OK;
    }
    /* No posting lies in [target, doc), so the block holding doc bounds that range too. */
    if (target < c->doc) target = c->doc;
    /* the decoded block, whose bound is already set (WAND asks at every pivot) */
    if (t->pc.shallow == t->pc.block && t->shown == t->pc.block && target <= c->block_last)
        return KZ_OK;
    KZ_TRY(kz_postings_shallow_advance(&t->pc, target));
    c->block_last = t->pc.block_last_doc;
    t->shown = t->pc.shallow;
    if (t->exact) {
        KZ_TRY(block_part(c, &t->part));
        c->block_max = t->weight * t->part; /* = the maximum of the scores: weight > 0 */
    } else {
        c->block_max = kz_bm25_upper(t->bm25, t->weight, t->pc.block_max_tf, t->pc.list_min_len);
    }
    return KZ_OK;
}

static const kz_cursor_ops term_ops = {.next = term_next,
                                       .advance = term_advance,
                                       .score = term_score,
                                       .shallow_advance = term_shallow};

int kz_term_cursor_new(kz_cursor **out, kz_arena *arena, const kz_bm25 *bm25, double weight,
                       const kz_lengths *lengths, const uint8_t *doc, size_t doc_bytes,
                       const uint8_t *pos, size_t pos_bytes, uint32_t df)
{
    *out = NULL;
    term_cursor *t;
    KZ_TRY(kz_arena_alloc((void **)&t, arena, sizeof *t));
    KZ_TRY(kz_postings_open(&t->pc, doc, doc_bytes, pos, pos_bytes, df));
    t->base.ops = &term_ops;
    t->bm25 = bm25;
    t->weight = weight;
    t->lengths = lengths;
    t->part_block = UINT32_MAX;
    t->shown = UINT32_MAX;
    t->exact = 1;
    t->base.cost = df;
    t->base.max_score = kz_bm25_upper_impacts(bm25, weight, &t->pc.list_impacts);
    t->base.block_max = t->base.max_score;
    t->base.block_last = KZ_DOC_END;
    KZ_TRY(sync(t));
    *out = &t->base;
    return KZ_OK;
}

void kz_term_cursor_set_exact(kz_cursor *c, int exact)
{
    term_cursor *t = (term_cursor *)c;
    t->exact = exact;
    t->shown = UINT32_MAX; /* the bound shown may be of the other kind */
}

int kz_term_cursor_skip_below(kz_cursor *c, uint32_t last, double floor)
{
    term_cursor *t = (term_cursor *)c;
    kz_postings_cursor *pc = &t->pc;
    while (pc->doc != KZ_DOC_END && pc->doc <= last) {
        const uint32_t *freqs;
        KZ_TRY(kz_postings_block_freqs(pc, &freqs));
        uint32_t i = pc->i;
        for (; i < pc->n && pc->ids[i] <= last; i++) {
            uint32_t d = pc->ids[i];
            if (d >= t->lengths->n) break; /* damage: sync below reports it */
            if (kz_bm25_score(t->weight, freqs[i],
                              kz_bm25_norm(t->bm25, kz_length(t->lengths, d))) > floor)
                break;
        }
        if (i < pc->n) {
            kz_postings_seek_in_block(pc, i);
            break;
        }
        kz_postings_seek_in_block(pc, pc->n - 1); /* the block is done: on to the next */
        KZ_TRY(kz_postings_next(pc));
    }
    return sync(t);
}

int kz_term_cursor_is(const kz_cursor *c)
{
    return c->ops == &term_ops;
}

kz_postings_cursor *kz_term_cursor_postings(kz_cursor *c)
{
    return &((term_cursor *)c)->pc;
}
