/* test_algorithms.c - every top-k algorithm against a brute-force model of the query semantics,
 * on thousands of random posting lists and query shapes, plus the top-k collector's ordering.
 *
 * The model (model_topk) never touches a cursor: it walks every passage, decides the match
 * from the clause lists and sums the clause scores in canonical order, then sorts all matches
 * by (score desc, id asc). Cursors here are in-memory mocks with block-max data over the same
 * lists; real term cursors are covered in test_term_cursor.c. */
#include "../query/algo.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* ---- a deterministic generator (splitmix64), so failures reproduce */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static double rnd_unit(void)
{
    return (double)(rnd() >> 11) / 9007199254740992.0;
}

/* ---- mock cursors: a sorted list of (doc, score) with blocks of `blk` postings */

typedef struct list {
    uint32_t *docs;
    double *scores;
    unsigned char *real; /* NULL, or 0 for candidates that confirm fails on (two-phase lists) */
    uint32_t n;
} list;

typedef struct mock {
    kz_cursor base;
    const list *l;
    uint32_t i;
    uint32_t blk;
} mock;

static void mock_sync(mock *m)
{
    m->base.doc = m->i < m->l->n ? m->l->docs[m->i] : KZ_DOC_END;
}

static int mock_next(kz_cursor *c)
{
    mock *m = (mock *)c;
    if (m->i < m->l->n) m->i++;
    mock_sync(m);
    return KZ_OK;
}

static uint32_t first_geq(const list *l, uint32_t from, uint32_t target)
{
    uint32_t lo = from, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->docs[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int mock_advance(kz_cursor *c, uint32_t target)
{
    mock *m = (mock *)c;
    if (c->doc >= target) return KZ_OK;
    m->i = first_geq(m->l, m->i, target);
    mock_sync(m);
    return KZ_OK;
}

static int mock_score(kz_cursor *c, double *out)
{
    mock *m = (mock *)c;
    cr_assert_lt(m->i, m->l->n, "scored an exhausted cursor");
    cr_assert(m->l->real == NULL || m->l->real[m->i], "scored an unconfirmed candidate");
    *out = m->l->scores[m->i];
    return KZ_OK;
}

static int mock_shallow(kz_cursor *c, uint32_t target)
{
    mock *m = (mock *)c;
    uint32_t j = first_geq(m->l, m->i, target);
    if (j >= m->l->n) {
        c->block_max = 0.0;
        c->block_last = KZ_DOC_END;
        return KZ_OK;
    }
    uint32_t b0 = j / m->blk * m->blk, b1 = b0 + m->blk < m->l->n ? b0 + m->blk : m->l->n;
    double mx = 0.0;
    for (uint32_t k = b0; k < b1; k++)
        if (m->l->scores[k] > mx) mx = m->l->scores[k];
    c->block_max = mx;
    c->block_last = m->l->docs[b1 - 1];
    return KZ_OK;
}

static int mock_confirm(kz_cursor *c, int *ok)
{
    mock *m = (mock *)c;
    cr_assert_lt(m->i, m->l->n, "confirmed an exhausted cursor");
    *ok = m->l->real[m->i];
    return KZ_OK;
}

/* The tightest candidate bound there is: the score the candidate would have if it is real. */
static double mock_candidate_max(kz_cursor *c)
{
    mock *m = (mock *)c;
    cr_assert_lt(m->i, m->l->n, "bounded an exhausted cursor");
    return m->l->scores[m->i];
}

static const kz_cursor_ops mock_ops = {.next = mock_next,
                                       .advance = mock_advance,
                                       .score = mock_score,
                                       .shallow_advance = mock_shallow};
static const kz_cursor_ops mock_noblock_ops = {.next = mock_next,
                                               .advance = mock_advance,
                                               .score = mock_score,
                                               .shallow_advance = kz_cursor_shallow_none};
/* with blocks, a candidate bound too; without, the list bound is the candidate bound */
static const kz_cursor_ops mock_2p_ops = {.next = mock_next,
                                          .advance = mock_advance,
                                          .score = mock_score,
                                          .shallow_advance = mock_shallow,
                                          .confirm = mock_confirm,
                                          .candidate_max = mock_candidate_max};
static const kz_cursor_ops mock_2p_noblock_ops = {.next = mock_next,
                                                  .advance = mock_advance,
                                                  .score = mock_score,
                                                  .shallow_advance = kz_cursor_shallow_none,
                                                  .confirm = mock_confirm};

static kz_cursor *mock_new(kz_arena *a, const list *l, uint32_t blk, int blocks)
{
    mock *m;
    cr_assert_eq(kz_arena_alloc((void **)&m, a, sizeof *m), KZ_OK);
    if (l->real != NULL)
        m->base.ops = blocks ? &mock_2p_ops : &mock_2p_noblock_ops;
    else
        m->base.ops = blocks ? &mock_ops : &mock_noblock_ops;
    m->l = l;
    m->blk = blk;
    m->base.cost = l->n;
    for (uint32_t k = 0; k < l->n; k++)
        if (l->scores[k] > m->base.max_score) m->base.max_score = l->scores[k];
    m->base.block_last = KZ_DOC_END;
    mock_sync(m);
    return &m->base;
}

/* ---- random query specifications */

enum { LEAF, OR, AND, ANDNOT };
enum { SHOULD, MUST, MUST_NOT };

typedef struct clause {
    int kind; /* LEAF, OR, AND or ANDNOT (lists[0] without lists[1]) */
    int role; /* SHOULD, MUST or MUST_NOT */
    int lists[3];
    int nlists;
} clause;

typedef struct segment {
    uint32_t ndocs;
    list lists[8];
    uint64_t *allow; /* NULL or a bitset */
    uint32_t blk;
} segment;

typedef struct spec {
    segment seg[2];
    int nseg;
    clause clauses[8];
    int nclauses;
    int nlists;
    uint32_t k;
} spec;

/* A BM25-like contribution with few distinct values, so equal scores (ties) are common. A
 * quarter of the lists are two-phase, like phrases: about a third of their candidates fail
 * confirmation (and still count in the bounds, as a phrase's do). */
static void make_list(list *l, uint32_t ndocs, double density, const uint32_t *dl, double idf,
                      const kz_bm25 *bm25)
{
    l->docs = malloc((ndocs + 1) * sizeof *l->docs);
    l->scores = malloc((ndocs + 1) * sizeof *l->scores);
    l->real = NULL;
    int two_phase = rnd_below(4) == 0;
    if (two_phase) l->real = malloc(ndocs + 1);
    l->n = 0;
    for (uint32_t d = 0; d < ndocs; d++) {
        if (rnd_unit() >= density) continue;
        uint32_t tf = 1 + (rnd_below(4) == 0 ? rnd_below(5) : 0);
        l->docs[l->n] = d;
        l->scores[l->n] = kz_bm25_score(idf, tf, kz_bm25_norm(bm25, dl[d]));
        if (two_phase) l->real[l->n] = rnd_below(3) != 0;
        l->n++;
    }
}

static void make_spec(spec *s)
{
    memset(s, 0, sizeof *s);
    static const uint32_t ks[] = {1, 10, 100};
    s->k = ks[rnd_below(3)];
    s->nlists = 1 + (int)rnd_below(8);
    s->nseg = 1 + (int)rnd_below(2);
    kz_bm25 bm25;
    cr_assert_eq(kz_bm25_init(&bm25, -1, -1, 20.0), KZ_OK);
    double idf[8];
    for (int t = 0; t < s->nlists; t++) idf[t] = 0.5 + 4.0 * rnd_unit();
    for (int g = 0; g < s->nseg; g++) {
        segment *seg = &s->seg[g];
        seg->ndocs = 1 + rnd_below(rnd_below(4) == 0 ? 4000 : 600);
        seg->blk = 1 + rnd_below(rnd_below(2) ? 8 : 128);
        uint32_t *dl = malloc(seg->ndocs * sizeof *dl);
        for (uint32_t d = 0; d < seg->ndocs; d++) dl[d] = 1 + rnd_below(rnd_below(3) ? 5 : 60);
        for (int t = 0; t < s->nlists; t++) {
            /* Zipf-like spread of list lengths: a few dense lists, many sparse ones */
            double density = rnd_below(4) == 0 ? 0.95 : 0.6 / (1 + rnd_below(60));
            make_list(&seg->lists[t], seg->ndocs, density, dl, idf[t], &bm25);
        }
        free(dl);
        if (rnd_below(3) == 0) {
            size_t words = (seg->ndocs + 63) / 64;
            seg->allow = calloc(words, sizeof *seg->allow);
            for (uint32_t d = 0; d < seg->ndocs; d++)
                if (rnd_below(5) != 0) seg->allow[d / 64] |= (uint64_t)1 << (d % 64);
        }
    }
    /* clauses: mostly single lists, sometimes OR/AND combinators of two or three */
    int next = 0;
    while (next < s->nlists) {
        clause *c = &s->clauses[s->nclauses++];
        int left = s->nlists - next;
        c->kind = LEAF;
        c->nlists = 1;
        if (left >= 2 && rnd_below(6) == 0) {
            c->kind = (int)(1 + rnd_below(3));
            c->nlists = c->kind == ANDNOT ? 2 : 2 + (left >= 3 ? (int)rnd_below(2) : 0);
        }
        for (int j = 0; j < c->nlists; j++) c->lists[j] = next++;
        uint32_t r = rnd_below(10);
        c->role = r < 6 ? SHOULD : r < 8 ? MUST : MUST_NOT;
    }
}

static void free_spec(spec *s)
{
    for (int g = 0; g < s->nseg; g++) {
        for (int t = 0; t < s->nlists; t++) {
            free(s->seg[g].lists[t].docs);
            free(s->seg[g].lists[t].scores);
            free(s->seg[g].lists[t].real);
        }
        free(s->seg[g].allow);
    }
}

/* ---- the brute-force model */

static int list_find(const list *l, uint32_t d, double *score)
{
    uint32_t j = first_geq(l, 0, d);
    if (j < l->n && l->docs[j] == d && (l->real == NULL || l->real[j])) {
        *score = l->scores[j];
        return 1;
    }
    return 0;
}

static int clause_match(const clause *c, const segment *seg, uint32_t d, double *score)
{
    double s = 0.0;
    int any = 0, all = 1;
    if (c->kind == ANDNOT) {
        double v;
        *score = 0.0;
        return list_find(&seg->lists[c->lists[0]], d, score) &&
               !list_find(&seg->lists[c->lists[1]], d, &v);
    }
    for (int j = 0; j < c->nlists; j++) {
        double v;
        if (list_find(&seg->lists[c->lists[j]], d, &v)) {
            s += v;
            any = 1;
        } else {
            all = 0;
        }
    }
    *score = s;
    return c->kind == AND ? all : any;
}

static int cmp_entry(const void *pa, const void *pb)
{
    const kz_topk_entry *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->passage > b->passage) - (a->passage < b->passage);
}

static size_t model_topk(const spec *s, kz_topk_entry *out)
{
    size_t n = 0, cap = 0;
    kz_topk_entry *all = NULL;
    uint64_t base = 0;
    int nmust = 0;
    for (int i = 0; i < s->nclauses; i++) nmust += s->clauses[i].role == MUST;
    for (int g = 0; g < s->nseg; g++) {
        const segment *seg = &s->seg[g];
        for (uint32_t d = 0; d < seg->ndocs; d++) {
            if (seg->allow && !((seg->allow[d / 64] >> (d % 64)) & 1)) continue;
            int ok = 1, anyshould = 0;
            double v, total = 0.0;
            for (int i = 0; i < s->nclauses && ok; i++) {
                const clause *c = &s->clauses[i];
                if (c->role == MUST_NOT && clause_match(c, seg, d, &v)) ok = 0;
                if (c->role == MUST && !clause_match(c, seg, d, &v)) ok = 0;
            }
            if (!ok) continue;
            /* canonical order: must clauses in plan order, then matching should clauses */
            for (int i = 0; i < s->nclauses; i++)
                if (s->clauses[i].role == MUST) {
                    clause_match(&s->clauses[i], seg, d, &v);
                    total += v;
                }
            for (int i = 0; i < s->nclauses; i++)
                if (s->clauses[i].role == SHOULD && clause_match(&s->clauses[i], seg, d, &v)) {
                    total += v;
                    anyshould = 1;
                }
            if (nmust == 0 && !anyshould) continue;
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                all = realloc(all, cap * sizeof *all);
            }
            all[n++] = (kz_topk_entry){total, base + d};
        }
        base += seg->ndocs + 1000; /* global ids need not be dense */
    }
    if (n > 0) qsort(all, n, sizeof *all, cmp_entry);
    if (n > s->k) n = s->k;
    if (n > 0) memcpy(out, all, n * sizeof *out);
    free(all);
    return n;
}

/* ---- running an algorithm on fresh cursors */

static kz_cursor *build_clause(kz_arena *a, const clause *c, const segment *seg, int blocks)
{
    kz_cursor *kids[3];
    for (int j = 0; j < c->nlists; j++)
        kids[j] = mock_new(a, &seg->lists[c->lists[j]], seg->blk, blocks);
    if (c->kind == LEAF) return kids[0];
    kz_cursor *out;
    if (c->kind == OR)
        cr_assert_eq(kz_or_cursor_new(&out, a, kids, (size_t)c->nlists), KZ_OK);
    else if (c->kind == ANDNOT)
        cr_assert_eq(kz_andnot_cursor_new(&out, a, kids[0], kids[1]), KZ_OK);
    else
        cr_assert_eq(kz_and_cursor_new(&out, a, kids, (size_t)c->nlists), KZ_OK);
    return out;
}

/* algorithm < 0: kz_algo_choose with KZ_ALGO_AUTO. */
static size_t run(const spec *s, kz_algo_fn fn, int blocks, kz_topk_entry *out)
{
    kz_topk top;
    cr_assert_eq(kz_topk_init(&top, s->k), KZ_OK);
    uint64_t base = 0;
    for (int g = 0; g < s->nseg; g++) {
        const segment *seg = &s->seg[g];
        kz_arena a = KZ_ARENA_INIT;
        kz_cursor *should[8], *must[8], *must_not[8];
        kz_plan_segment p = {should, 0, must, 0, must_not, 0, seg->allow, seg->ndocs, base};
        for (int i = 0; i < s->nclauses; i++) {
            kz_cursor *c = build_clause(&a, &s->clauses[i], seg, blocks);
            if (s->clauses[i].role == SHOULD) should[p.nshould++] = c;
            if (s->clauses[i].role == MUST) must[p.nmust++] = c;
            if (s->clauses[i].role == MUST_NOT) must_not[p.nmust_not++] = c;
        }
        kz_algo_fn f = fn != NULL ? fn : kz_algo_choose(&p, KZ_ALGO_AUTO, s->k);
        uint64_t matched;
        cr_assert_eq(f(&p, &top, &matched), KZ_OK, "%s", kz_errmsg());
        kz_arena_free(&a);
        base += seg->ndocs + 1000;
    }
    size_t n;
    const kz_topk_entry *e = kz_topk_finish(&top, &n);
    if (n > 0) memcpy(out, e, n * sizeof *out);
    kz_topk_free(&top);
    return n;
}

static void assert_same(const kz_topk_entry *want, size_t nwant, const kz_topk_entry *got,
                        size_t ngot, const char *what, int c)
{
    cr_assert_eq(ngot, nwant, "case %d, %s: %zu results, model %zu", c, what, ngot, nwant);
    for (size_t i = 0; i < nwant; i++) {
        cr_assert_eq(got[i].passage, want[i].passage,
                     "case %d, %s: rank %zu is passage %llu, not %llu", c, what, i,
                     (unsigned long long)got[i].passage, (unsigned long long)want[i].passage);
        cr_assert_eq(got[i].score, want[i].score, "case %d, %s: rank %zu score %.17g, not %.17g", c,
                     what, i, got[i].score, want[i].score);
    }
}

Test(algorithms, every_algorithm_returns_the_exhaustive_top_k_on_random_queries)
{
    rng_state = 20261121;
    kz_topk_entry want[100], got[100];
    int cases = 0, pruned_cases = 0;
    for (int c = 0; c < 3000; c++) {
        spec s;
        make_spec(&s);
        int nmust = 0, nshould = 0;
        for (int i = 0; i < s.nclauses; i++) {
            nmust += s.clauses[i].role == MUST;
            nshould += s.clauses[i].role == SHOULD;
        }
        size_t nwant = model_topk(&s, want);
        size_t n = run(&s, kz_algo_exhaustive, 1, got);
        assert_same(want, nwant, got, n, "exhaustive", c);
        n = run(&s, NULL, 1, got);
        assert_same(want, nwant, got, n, "auto", c);
        if (nmust == 0) {
            n = run(&s, kz_algo_maxscore, 1, got);
            assert_same(want, nwant, got, n, "maxscore", c);
            n = run(&s, kz_algo_bmw, 1, got);
            assert_same(want, nwant, got, n, "bmw", c);
            n = run(&s, kz_algo_bmw, 0, got);
            assert_same(want, nwant, got, n, "bmw without block data", c);
            pruned_cases++;
        }
        if (nmust > 0 || nshould == 1) { /* a lone should clause is required in effect */
            n = run(&s, kz_algo_conjunction, 1, got);
            assert_same(want, nwant, got, n, "conjunction", c);
            n = run(&s, kz_algo_conjunction, 0, got);
            assert_same(want, nwant, got, n, "conjunction without block data", c);
        }
        cases++;
        free_spec(&s);
    }
    cr_assert_gt(pruned_cases, 500);
    cr_assert_eq(cases, 3000);
}

Test(algorithms, pruned_algorithms_reject_shapes_they_do_not_handle)
{
    list l = {(uint32_t[]){1, 2}, (double[]){1.0, 2.0}, NULL, 2};
    kz_arena a = KZ_ARENA_INIT;
    kz_cursor *must[1] = {mock_new(&a, &l, 4, 1)};
    kz_plan_segment p = {NULL, 0, must, 1, NULL, 0, NULL, 3, 0};
    kz_topk top;
    cr_assert_eq(kz_topk_init(&top, 10), KZ_OK);
    uint64_t matched;
    cr_assert_eq(kz_algo_maxscore(&p, &top, &matched), KZ_EINVAL);
    cr_assert_eq(kz_algo_bmw(&p, &top, &matched), KZ_EINVAL);
    kz_cursor *two[2] = {must[0], mock_new(&a, &l, 4, 1)};
    kz_plan_segment q = {two, 2, NULL, 0, NULL, 0, NULL, 3, 0};
    cr_assert_eq(kz_algo_conjunction(&q, &top, &matched), KZ_EINVAL);
    cr_assert_eq(kz_algo_choose(&p, KZ_ALGO_BMW, 10), kz_algo_conjunction);
    cr_assert_eq(kz_algo_choose(&p, KZ_ALGO_EXHAUSTIVE, 10), kz_algo_exhaustive);
    cr_assert_eq(kz_algo_choose(&q, KZ_ALGO_MAXSCORE, 10), kz_algo_maxscore);
    kz_plan_segment lone = {must, 1, NULL, 0, NULL, 0, NULL, 3, 0};
    cr_assert_eq(kz_algo_choose(&lone, KZ_ALGO_AUTO, 10), kz_algo_conjunction);
    kz_topk_free(&top);
    kz_arena_free(&a);
}

Test(algorithms, a_cursor_beyond_the_segment_is_reported_as_damage)
{
    list l = {(uint32_t[]){1, 7}, (double[]){1.0, 2.0}, NULL, 2};
    kz_arena a = KZ_ARENA_INIT;
    kz_cursor *should[1] = {mock_new(&a, &l, 4, 1)};
    kz_plan_segment p = {should, 1, NULL, 0, NULL, 0, NULL, 5, 0};
    kz_topk top;
    cr_assert_eq(kz_topk_init(&top, 10), KZ_OK);
    uint64_t matched;
    cr_assert_eq(kz_algo_exhaustive(&p, &top, &matched), KZ_ECORRUPT);
    cr_assert(strstr(kz_errmsg(), "passage 7") != NULL, "%s", kz_errmsg());
    kz_topk_free(&top);
    kz_arena_free(&a);
}

Test(algorithms, exhaustive_counts_every_match_and_pruned_counts_are_lower_bounds)
{
    rng_state = 7;
    for (int c = 0; c < 200; c++) {
        spec s;
        make_spec(&s);
        int nseg = s.nseg;
        s.nseg = 1; /* one segment: counts are per segment */
        int nmust = 0;
        for (int i = 0; i < s.nclauses; i++) nmust += s.clauses[i].role == MUST;
        uint32_t k = s.k;
        s.k = 100000; /* the model then returns every match */
        kz_topk_entry *all = malloc(100000 * sizeof *all);
        size_t total = model_topk(&s, all);
        free(all);
        s.k = k;
        kz_algo_fn fns[] = {kz_algo_exhaustive, nmust ? kz_algo_conjunction : kz_algo_maxscore,
                            nmust ? kz_algo_conjunction : kz_algo_bmw};
        for (int f = 0; f < 3; f++) {
            kz_arena a = KZ_ARENA_INIT;
            kz_cursor *should[8], *must[8], *must_not[8];
            const segment *seg = &s.seg[0];
            kz_plan_segment p = {should, 0, must, 0, must_not, 0, seg->allow, seg->ndocs, 0};
            for (int i = 0; i < s.nclauses; i++) {
                kz_cursor *cur = build_clause(&a, &s.clauses[i], seg, 1);
                if (s.clauses[i].role == SHOULD) should[p.nshould++] = cur;
                if (s.clauses[i].role == MUST) must[p.nmust++] = cur;
                if (s.clauses[i].role == MUST_NOT) must_not[p.nmust_not++] = cur;
            }
            kz_topk top;
            cr_assert_eq(kz_topk_init(&top, s.k), KZ_OK);
            uint64_t matched;
            cr_assert_eq(fns[f](&p, &top, &matched), KZ_OK);
            if (f == 0)
                cr_assert_eq(matched, total, "case %d", c);
            else
                cr_assert(matched >= top.n && matched <= total, "case %d", c);
            kz_topk_free(&top);
            kz_arena_free(&a);
        }
        s.nseg = nseg;
        free_spec(&s);
    }
}

/* ---- the collector on its own */

Test(algorithms, topk_keeps_the_best_and_breaks_ties_by_passage_order)
{
    kz_topk top;
    cr_assert_eq(kz_topk_init(&top, 3), KZ_OK);
    cr_assert_eq(kz_topk_threshold(&top), -INFINITY);
    cr_assert_eq(kz_topk_push(&top, 1.0, 10), 1);
    cr_assert_eq(kz_topk_push(&top, 2.0, 11), 1);
    cr_assert_eq(kz_topk_push(&top, 1.0, 12), 1);
    cr_assert_eq(kz_topk_threshold(&top), 1.0);
    /* equal to the threshold: the earlier passage (10 or 12) keeps its place */
    cr_assert_eq(kz_topk_push(&top, 1.0, 13), 0);
    cr_assert_eq(kz_topk_push(&top, 1.5, 14), 1); /* evicts passage 12, the later of the 1.0s */
    size_t n;
    const kz_topk_entry *e = kz_topk_finish(&top, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(e[0].passage, 11);
    cr_assert_eq(e[1].passage, 14);
    cr_assert_eq(e[2].passage, 10);
    kz_topk_free(&top);
    cr_assert_eq(kz_topk_init(&top, 0), KZ_EINVAL);
}

Test(algorithms, topk_matches_a_sort_of_random_offers)
{
    rng_state = 99;
    for (int round = 0; round < 200; round++) {
        uint32_t k = 1 + rnd_below(50), n = rnd_below(400);
        kz_topk top;
        cr_assert_eq(kz_topk_init(&top, k), KZ_OK);
        kz_topk_entry *all = malloc((n + 1) * sizeof *all);
        for (uint32_t i = 0; i < n; i++) {
            all[i] = (kz_topk_entry){(double)rnd_below(20) / 4.0, i};
            kz_topk_push(&top, all[i].score, i);
        }
        qsort(all, n, sizeof *all, cmp_entry);
        size_t got;
        const kz_topk_entry *e = kz_topk_finish(&top, &got);
        cr_assert_eq(got, n < k ? n : k);
        for (size_t i = 0; i < got; i++) {
            cr_assert_eq(e[i].passage, all[i].passage);
            cr_assert_eq(e[i].score, all[i].score);
        }
        free(all);
        kz_topk_free(&top);
    }
}

Test(algorithms, competitive_keeps_bounds_a_rounding_error_below_the_threshold)
{
    kz_topk top;
    cr_assert_eq(kz_topk_init(&top, 1), KZ_OK);
    cr_assert(kz_topk_competitive(&top, 0.0));
    kz_topk_push(&top, 3.0, 1);
    cr_assert(kz_topk_competitive(&top, 3.0));
    cr_assert(kz_topk_competitive(&top, 3.0 - 1e-13));
    cr_assert_not(kz_topk_competitive(&top, 2.9));
    kz_topk_free(&top);
}
