/* phrase_cursor.c - the phrase combinator: passages where the terms occur at consecutive
 * positions (relative offsets given by the query), scored as one BM25 term.
 *
 * Invariants: terms[] keeps query order (terms[0] anchors offsets); order[] is the same cursors
 * cheapest first and lists[] their postings, for the intersection that finds passages holding
 * every term. Matching is two-phase: base.doc is such a passage (a candidate), and positions are
 * decoded only when an algorithm confirms it, after its cheaper checks passed (and then from the
 * term with the fewest occurrences there on). checked_doc remembers the last confirmed
 * candidate, so confirming again costs nothing; base.tf counts the occurrences there.
 * min_score only grows; candidates whose terms' frequencies bound the phrase below it are
 * skipped. Position buffers grow geometrically in the arena (pos[n] holds the possible starts),
 * so a query run allocates O(log max tf) times per term, never per posting. */
#include "cursor.h"

#include "error.h"
#include "intersect.h"

#include <math.h>

/* Occurrences of one term in one passage beyond this are damage: passages are paragraphs, and
 * even a 64-million-token passage would already need 256 MiB of positions. */
#define KZ_PHRASE_MAX_TF (1u << 26)

typedef struct phrase_cursor {
    kz_cursor base;
    kz_cursor **terms;
    kz_cursor **order;
    kz_postings_cursor **lists; /* the postings cursors of order[] */
    const uint32_t *offsets;
    uint32_t **pos; /* pos[i]: positions of terms[i] in the current passage; pos[n]: starts */
    uint32_t *cap;  /* room in pos[i] */
    size_t n;
    kz_arena *arena;
    const kz_bm25 *bm25;
    double weight;
    const kz_lengths *lengths;  /* of the segment's passages: a larger id is damage */
    kz_intersect inter;         /* of lists[] */
    uint32_t run_count, run_at; /* its current run, and the next of it to look at */
    uint32_t checked_doc;       /* candidate whose positions were checked (KZ_DOC_END: none) */
    double min_score;           /* passages scoring below it are not wanted (-INFINITY: all are) */
} phrase_cursor;

static int load_positions(phrase_cursor *p, size_t i)
{
    kz_cursor *t = p->terms[i];
    uint32_t tf;
    KZ_TRY(kz_term_cursor_tf(t, &tf));
    if (t->tf > KZ_PHRASE_MAX_TF)
        return kz_fail(KZ_ECORRUPT, "posting of passage %u claims %u occurrences", t->doc, t->tf);
    if (t->tf > p->cap[i]) {
        uint32_t cap = p->cap[i] * 2 > t->tf ? p->cap[i] * 2 : t->tf;
        if (cap < 16) cap = 16;
        KZ_TRY(kz_arena_calloc((void **)&p->pos[i], p->arena, cap, sizeof **p->pos));
        p->cap[i] = cap;
    }
    return kz_postings_positions(kz_term_cursor_postings(t), p->pos[i]);
}

/* Counts the occurrences p of terms[0] such that every terms[i] occurs at p + offsets[i]. The
 * possible starts come from the term with the fewest occurrences here and are filtered by the
 * others in increasing order of occurrences, so that most candidates are rejected before the
 * positions of a common word ("and", "of") are read at all. starts[] is the last buffer. */
static int count_matches(phrase_cursor *p, uint32_t *count)
{
    *count = 0;
    size_t order[64]; /* phrases are capped at 64 terms by the constructor */
    uint32_t tfs[64];
    for (size_t i = 0; i < p->n; i++) {
        KZ_TRY(kz_term_cursor_tf(p->terms[i], &tfs[i]));
        size_t k = i; /* insertion by tf: n is small */
        for (; k > 0 && tfs[order[k - 1]] > tfs[i]; k--) order[k] = order[k - 1];
        order[k] = i;
    }
    size_t first = order[0];
    KZ_TRY(load_positions(p, first));
    uint32_t *starts = p->pos[p->n], m = 0;
    if (tfs[first] > p->cap[p->n]) {
        KZ_TRY(kz_arena_calloc((void **)&starts, p->arena, tfs[first], sizeof *starts));
        p->pos[p->n] = starts;
        p->cap[p->n] = tfs[first];
    }
    for (uint32_t j = 0; j < tfs[first]; j++) /* a start before position 0 is no start */
        if (p->pos[first][j] >= p->offsets[first])
            starts[m++] = p->pos[first][j] - p->offsets[first];
    for (size_t o = 1; o < p->n && m > 0; o++) {
        size_t i = order[o];
        KZ_TRY(load_positions(p, i));
        const uint32_t *pi = p->pos[i];
        uint32_t at = 0, kept = 0;
        for (uint32_t j = 0; j < m; j++) { /* both increasing: one merge */
            uint64_t want = (uint64_t)starts[j] + p->offsets[i];
            while (at < tfs[i] && pi[at] < want) at++;
            if (at == tfs[i]) break;
            if (pi[at] == want) starts[kept++] = starts[j];
        }
        m = kept;
    }
    *count = m;
    return KZ_OK;
}

/* Whether passage x (standing in every list) may score min_score: the phrase occurs at most
 * min(tf) times there, and on common-word phrases most passages hold each word once. */
static int may_reach(phrase_cursor *p, uint32_t x, int *yes)
{
    *yes = 1;
    if (p->min_score == -INFINITY) return KZ_OK;
    if (x >= p->lengths->n) return KZ_OK; /* damage: the caller's sync reports it */
    uint32_t tf = UINT32_MAX;
    for (size_t i = 0; i < p->n; i++) {
        uint32_t t;
        KZ_TRY(kz_postings_freq(p->lists[i], &t));
        if (t < tf) tf = t;
    }
    *yes = kz_bm25_upper(p->bm25, p->weight, tf, kz_length(p->lengths, x)) >= p->min_score;
    return KZ_OK;
}

/* Moves the lists to match i of the intersection's run, passage x, and sets *yes to whether it
 * may score min_score (may_reach). The lead's frequency alone bounds the phrase too, and on
 * common-word phrases it mostly rules the passage out already: the others are then not moved. */
static int visit(phrase_cursor *p, uint32_t i, uint32_t x, int *yes)
{
    kz_postings_seek_in_block(p->lists[0], kz_intersect_lead_index(&p->inter, i));
    if (p->min_score != -INFINITY && x < p->lengths->n) {
        uint32_t tf;
        KZ_TRY(kz_postings_freq(p->lists[0], &tf));
        if (kz_bm25_upper(p->bm25, p->weight, tf, kz_length(p->lengths, x)) < p->min_score) {
            *yes = 0;
            return KZ_OK;
        }
    }
    kz_intersect_seek(&p->inter, i);
    return may_reach(p, x, yes);
}

/* Moves to the first passage >= target holding every term: the next candidate, from the
 * intersection's current run (intersect.h). Once a minimum score is set, a passage where the
 * terms' frequencies bound the phrase below it is passed over before positions are read. */
static int seek(phrase_cursor *p, uint32_t target)
{
    p->base.tf = 0;
    p->checked_doc = KZ_DOC_END;
    uint32_t found = KZ_DOC_END;
    if (target >= p->inter.from) { /* past everything pending */
        kz_intersect_restart(&p->inter, target);
        p->run_count = p->run_at = 0;
    }
    for (;;) {
        while (p->run_at < p->run_count && found == KZ_DOC_END) {
            const uint32_t i = p->run_at++, x = kz_intersect_id(&p->inter, i);
            if (x < target) continue;
            int yes;
            KZ_TRY(visit(p, i, x, &yes));
            if (yes) found = x;
        }
        if (found != KZ_DOC_END) break;
        KZ_TRY(kz_intersect_next(&p->inter, KZ_DOC_END - 1, &p->run_count));
        p->run_at = 0;
        if (p->run_count == 0) break; /* a list is exhausted */
    }
    for (size_t i = 0; i < p->n; i++) KZ_TRY(kz_term_cursor_sync(p->order[i]));
    p->base.doc = found;
    return KZ_OK;
}

static void phrase_set_min_score(kz_cursor *c, double min_score)
{
    phrase_cursor *p = (phrase_cursor *)c;
    if (min_score > p->min_score) p->min_score = min_score;
}

static int phrase_confirm(kz_cursor *c, int *ok)
{
    phrase_cursor *p = (phrase_cursor *)c;
    if (p->checked_doc != c->doc) {
        KZ_TRY(count_matches(p, &c->tf));
        p->checked_doc = c->doc;
    }
    *ok = c->tf > 0;
    return KZ_OK;
}

static int phrase_next(kz_cursor *c)
{
    if (c->doc == KZ_DOC_END) return KZ_OK;
    return seek((phrase_cursor *)c, c->doc + 1);
}

static int phrase_advance(kz_cursor *c, uint32_t target)
{
    if (c->doc >= target) return KZ_OK;
    return seek((phrase_cursor *)c, target);
}

static int phrase_score(kz_cursor *c, double *out)
{
    phrase_cursor *p = (phrase_cursor *)c;
    *out = kz_bm25_score(p->weight, c->tf, kz_bm25_norm(p->bm25, kz_length(p->lengths, c->doc)));
    return KZ_OK;
}

/* The phrase occurs at most min(tf_i) times in a passage, and the passage is at least as long
 * as the longest of the terms' shortest passages: bound with that pair (the terms' coarse
 * bounds: kz_term_cursor_set_exact). */
static int phrase_shallow(kz_cursor *c, uint32_t target)
{
    phrase_cursor *p = (phrase_cursor *)c;
    if (c->doc == KZ_DOC_END) {
        c->block_max = 0.0;
        c->block_last = KZ_DOC_END;
        return KZ_OK;
    }
    uint32_t last = KZ_DOC_END, max_tf = UINT32_MAX, min_len = 0;
    for (size_t i = 0; i < p->n; i++) {
        KZ_TRY(kz_cursor_shallow_advance(p->terms[i], target));
        const kz_postings_cursor *pc = kz_term_cursor_postings(p->terms[i]);
        if (pc->block_max_tf < max_tf) max_tf = pc->block_max_tf;
        if (pc->list_min_len > min_len) min_len = pc->list_min_len;
        if (pc->block_last_doc < last) last = pc->block_last_doc;
    }
    c->block_max = kz_bm25_upper(p->bm25, p->weight, max_tf, min_len);
    c->block_last = last;
    return KZ_OK;
}

/* Before positions are read: the phrase occurs at most min(tf_i) times in this passage, whose
 * length is known, so the score is at most that of min(tf_i) occurrences. Conjunctions use it
 * to skip the position check of a passage that could not enter the top k anyway. */
static double phrase_candidate_max(kz_cursor *c)
{
    phrase_cursor *p = (phrase_cursor *)c;
    uint32_t tf = UINT32_MAX;
    if (p->checked_doc == c->doc) tf = c->tf; /* confirmed: the exact score */
    for (size_t i = 0; i < p->n && tf > 0; i++) {
        uint32_t t;
        if (kz_term_cursor_tf(p->terms[i], &t) < 0) return c->max_score; /* confirm reports it */
        if (t < tf) tf = t;
    }
    return kz_bm25_upper(p->bm25, p->weight, tf, kz_length(p->lengths, c->doc));
}

static const kz_cursor_ops phrase_ops = {.next = phrase_next,
                                         .advance = phrase_advance,
                                         .score = phrase_score,
                                         .shallow_advance = phrase_shallow,
                                         .confirm = phrase_confirm,
                                         .candidate_max = phrase_candidate_max,
                                         .set_min_score = phrase_set_min_score};

int kz_phrase_cursor_new(kz_cursor **out, kz_arena *arena, const kz_bm25 *bm25, double weight,
                         const kz_lengths *lengths, kz_cursor **terms, const uint32_t *offsets,
                         size_t n)
{
    *out = NULL;
    if (n == 0 || n > 64) return kz_fail(KZ_EINVAL, "a phrase needs 1 to 64 terms, not %zu", n);
    for (size_t i = 0; i < n; i++) {
        if (!kz_term_cursor_is(terms[i]))
            return kz_fail(KZ_EINVAL, "phrase term %zu is not a term cursor", i);
        if (i > 0 ? offsets[i] < offsets[i - 1] : offsets[0] != 0)
            return kz_fail(KZ_EINVAL, "phrase offsets must start at 0 and not decrease");
    }
    phrase_cursor *p;
    KZ_TRY(kz_arena_alloc((void **)&p, arena, sizeof *p));
    KZ_TRY(kz_arena_calloc((void **)&p->terms, arena, n, sizeof *p->terms));
    KZ_TRY(kz_arena_calloc((void **)&p->pos, arena, n + 1, sizeof *p->pos));
    KZ_TRY(kz_arena_calloc((void **)&p->cap, arena, n + 1, sizeof *p->cap));
    uint32_t *offs;
    KZ_TRY(kz_arena_calloc((void **)&offs, arena, n, sizeof *offs));
    KZ_TRY(kz_cursor_order_by_cost(&p->order, arena, terms, n));
    KZ_TRY(kz_arena_calloc((void **)&p->lists, arena, n, sizeof *p->lists));
    for (size_t i = 0; i < n; i++) {
        p->lists[i] = kz_term_cursor_postings(p->order[i]);
        kz_term_cursor_set_exact(p->order[i], 0);
    }
    uint32_t max_tf = UINT32_MAX, min_len = 0;
    uint64_t cost = 0;
    for (size_t i = 0; i < n; i++) {
        p->terms[i] = terms[i];
        offs[i] = offsets[i];
        const kz_postings_cursor *pc = kz_term_cursor_postings(terms[i]);
        if (pc->list_max_tf < max_tf) max_tf = pc->list_max_tf;
        if (pc->list_min_len > min_len) min_len = pc->list_min_len;
        cost += terms[i]->cost;
    }
    p->offsets = offs;
    p->n = n;
    p->arena = arena;
    p->bm25 = bm25;
    p->weight = weight;
    p->lengths = lengths;
    p->min_score = -INFINITY;
    uint32_t *ids, *lead;
    KZ_TRY(kz_arena_calloc((void **)&ids, arena, KZ_BLOCK_LEN, sizeof *ids));
    KZ_TRY(kz_arena_calloc((void **)&lead, arena, KZ_BLOCK_LEN, sizeof *lead));
    kz_intersect_init(&p->inter, p->lists, n, ids, lead, 0);
    p->run_count = p->run_at = 0;
    p->base.ops = &phrase_ops;
    /* It proposes at most min(df) passages, but each costs a walk of every term's list and a
     * position check: rated at the sum of the dfs, a conjunction lets rarer plain terms lead
     * and advances the phrase only to their candidates. */
    p->base.cost = cost;
    p->base.max_score = kz_bm25_upper(bm25, weight, max_tf, min_len);
    p->base.block_max = p->base.max_score;
    p->base.block_last = KZ_DOC_END;
    KZ_TRY(seek(p, 0));
    *out = &p->base;
    return KZ_OK;
}
