/* search.c - kz_search: parse, plan, evaluate segment after segment with one top-k collector,
 * then turn the best passages into hits (document, location, text, snippet, explanation).
 *
 * Grouping by document (group_by_doc): ranking documents by their best passage gives the same
 * order as the first appearance of each document in the passage ranking, so the top m
 * documents are the first m distinct documents among the top passages. We ask for 4m passages
 * and double until m documents appear or every match has been collected. */
#include "index_internal.h"

#include "algo.h"
#include "error.h"
#include "parse.h"
#include "plan.h"
#include "snippet.h"

#include <stdlib.h>
#include <string.h>

#define DEFAULT_K       10
#define DEFAULT_SNIPPET 240
/* Bound on k + offset: a request beyond it is a paging bug, not a search. */
#define MAX_RESULTS 100000

typedef struct hit_storage { /* what one hit owns, freed by kz_results_free */
    char *doc, *title, *date, *lang, *text, *snippet;
    kz_range *highlights, *text_highlights;
    kz_explain *explain;
    kz_term_explain *terms;
    char **term_strings;
    size_t nterm_strings;
} hit_storage;

struct kz_results {
    kz_hit *hits;         /* n filled */
    hit_storage *storage; /* cap entries, zeroed where unused */
    size_t n, cap;
    uint64_t total;
    char *notice;
};

static char *dup_n(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p == NULL) return NULL;
    if (n) memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* ---- evaluation ---- */

typedef struct run {
    kz_index *ix;
    const kz_plan *plan;
    const kz_search_options *opts;
    uint64_t matched;
} run;

static int evaluate(run *r, uint32_t k, kz_topk *top)
{
    KZ_TRY(kz_topk_init(top, k));
    uint64_t *allow = NULL;
    int rc = KZ_OK;
    r->matched = 0;
    for (uint32_t s = 0; s < r->ix->nsegs && rc == KZ_OK && !r->plan->empty; s++) {
        kz_arena arena = KZ_ARENA_INIT;
        kz_plan_segment ps;
        rc = kz_plan_segment_build(&ps, r->plan, r->ix, s, &arena, &allow);
        if (rc == KZ_OK && ps.ndocs > 0 && (ps.nmust > 0 || ps.nshould > 0)) {
            kz_algo_fn algo = kz_algo_choose(&ps, r->opts->algorithm, k);
            uint64_t matched = 0;
            rc = algo(&ps, top, &matched);
            r->matched += matched;
        }
        kz_arena_free(&arena);
    }
    free(allow);
    if (rc < 0) kz_topk_free(top);
    return rc;
}

static uint32_t segment_of(const kz_index *ix, uint64_t passage)
{
    uint32_t lo = 0, hi = ix->nsegs;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ix->segs[mid].base <= passage)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Keeps the first passage of each document, best first. Documents are identified by
 * (segment, ordinal) and remembered in an open-addressing set at most half full, so grouping
 * costs O(n) whatever k is. */
static int first_per_doc(const kz_index *ix, const kz_topk_entry *in, size_t n, kz_topk_entry *out,
                         size_t *nout)
{
    size_t cap = 16;
    while (cap < 2 * n) cap *= 2;
    uint64_t *set = calloc(cap, sizeof *set); /* key + 1; 0 = empty */
    if (set == NULL) return KZ_ENOMEM_FAIL();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t s = segment_of(ix, in[i].passage);
        uint32_t doc;
        int rc = kz_segment_passage_doc(ix->segs[s].seg,
                                        (uint32_t)(in[i].passage - ix->segs[s].base), &doc);
        if (rc < 0) {
            free(set);
            return rc;
        }
        uint64_t key = (((uint64_t)s << 32) | doc) + 1;
        size_t h = (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
        while (set[h] != 0 && set[h] != key) h = (h + 1) & (cap - 1);
        if (set[h] == key) continue;
        set[h] = key;
        out[k++] = in[i];
    }
    *nout = k;
    free(set);
    return KZ_OK;
}

/* ---- hits ---- */

typedef struct leaf {
    const kz_pnode *node;
} leaf;

static int collect_leaves(const kz_pnode *n, leaf **v, size_t *nv)
{
    if (n->type == KZ_P_TERM || n->type == KZ_P_PHRASE) {
        leaf *grown = realloc(*v, (*nv + 1) * sizeof *grown);
        if (grown == NULL) return KZ_ENOMEM_FAIL();
        *v = grown;
        (*v)[(*nv)++] = (leaf){n};
        return KZ_OK;
    }
    size_t scored = n->type == KZ_P_GROUP ? 1 + n->nopt : n->nkids;
    for (size_t i = 0; i < scored; i++) KZ_TRY(collect_leaves(n->kids[i], v, nv));
    return KZ_OK;
}

static int explain_hit(const kz_plan *plan, const kz_index *ix, uint32_t s, uint32_t local,
                       hit_storage *st)
{
    leaf *leaves = NULL;
    size_t nleaves = 0;
    int rc = KZ_OK;
    for (size_t i = 0; i < plan->nmust && rc == KZ_OK; i++)
        rc = collect_leaves(plan->must[i], &leaves, &nleaves);
    for (size_t i = 0; i < plan->nshould && rc == KZ_OK; i++)
        rc = collect_leaves(plan->should[i], &leaves, &nleaves);
    KZ_CHECK(rc);
    st->explain = calloc(1, sizeof *st->explain);
    st->terms = calloc(nleaves + 1, sizeof *st->terms);
    st->term_strings = calloc(nleaves + 1, sizeof *st->term_strings);
    if (!st->explain || !st->terms || !st->term_strings) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    const kz_index_segment *seg = &ix->segs[s];
    st->explain->N = plan->N;
    st->explain->avgdl = plan->bm25.avgdl;
    st->explain->dl = kz_length(&seg->seg->lengths, local);
    st->explain->k1 = plan->bm25.k1;
    st->explain->b = plan->bm25.b;
    for (size_t i = 0; i < nleaves; i++) {
        const kz_pnode *n = leaves[i].node;
        kz_term_explain *t = &st->terms[i];
        st->term_strings[i] = dup_n(n->term, n->len);
        if (st->term_strings[i] == NULL) {
            rc = KZ_ENOMEM_FAIL();
            goto done;
        }
        st->nterm_strings = i + 1;
        t->term = st->term_strings[i];
        t->df = n->type == KZ_P_TERM ? n->df : 0;
        t->idf = n->weight;
        kz_arena arena = KZ_ARENA_INIT;
        kz_cursor *c;
        rc = kz_pnode_cursor(&c, n, plan, seg, &arena);
        int ok = 0;
        if (rc == KZ_OK && c) rc = kz_cursor_matches(c, local, &ok);
        if (rc == KZ_OK && ok) {
            rc = kz_cursor_score(c, &t->score); /* fills c->tf of a term too */
            t->tf = c->tf;
        }
        kz_arena_free(&arena);
        KZ_CHECK(rc);
    }
    st->explain->nterms = nleaves;
    st->explain->terms = st->terms;
done:
    free(leaves);
    return rc;
}

static int make_hit(const kz_plan *plan, kz_index *ix, kz_analyzer *snip, const kz_topk_entry *e,
                    const kz_search_options *opts, kz_hit *hit, hit_storage *st, kz_snippet *sn)
{
    uint32_t s = segment_of(ix, e->passage);
    const kz_index_segment *seg = &ix->segs[s];
    uint32_t local = (uint32_t)(e->passage - seg->base);
    kz_store_reader passages, docs;
    kz_segment_passage_reader(seg->seg, &passages);
    kz_segment_doc_reader(seg->seg, &docs);
    kz_passage_record rec;
    kz_doc_entry doc;
    int rc = kz_segment_passage(seg->seg, &passages, local, &rec);
    if (rc == KZ_OK) rc = kz_segment_doc(seg->seg, &docs, rec.doc, &doc);
    if (rc == KZ_OK) {
        st->doc = dup_n(doc.name, doc.name_len);
        st->title = dup_n(doc.title, doc.title_len);
        st->date = dup_n(doc.date, doc.date_len);
        st->lang = dup_n(doc.lang, doc.lang_len);
        st->text = dup_n(rec.text, rec.text_len);
        if (!st->doc || !st->title || !st->date || !st->lang || !st->text) rc = KZ_ENOMEM_FAIL();
    }
    kz_store_reader_free(&passages);
    kz_store_reader_free(&docs);
    KZ_TRY(rc);
    rec.text = st->text; /* the reader's copy is gone */
    size_t target = opts->snippet_bytes ? opts->snippet_bytes : DEFAULT_SNIPPET;
    KZ_TRY(kz_snippet_make(snip, rec.text, rec.text_len, &plan->terms, target, sn));
    st->snippet = dup_n(rec.text + sn->start, sn->end - sn->start);
    if (st->snippet == NULL) return KZ_ENOMEM_FAIL();
    const kz_range *m = (const kz_range *)sn->matches.data;
    size_t nm = sn->matches.len / sizeof *m;
    st->text_highlights = malloc((nm + 1) * sizeof *st->text_highlights);
    st->highlights = malloc((nm + 1) * sizeof *st->highlights);
    if (!st->text_highlights || !st->highlights) return KZ_ENOMEM_FAIL();
    size_t nh = 0;
    for (size_t i = 0; i < nm; i++) {
        st->text_highlights[i] = m[i];
        if (m[i].start >= sn->start && m[i].end <= sn->end)
            st->highlights[nh++] =
                (kz_range){(uint32_t)(m[i].start - sn->start), (uint32_t)(m[i].end - sn->start)};
    }
    hit->passage = e->passage;
    hit->score = e->score;
    hit->doc = st->doc;
    hit->line = rec.line;
    hit->start = rec.start;
    hit->end = rec.end;
    hit->title = st->title;
    hit->date = st->date;
    hit->lang = st->lang;
    hit->text = st->text;
    hit->text_len = rec.text_len;
    hit->snippet = st->snippet;
    hit->snippet_len = sn->end - sn->start;
    hit->snippet_offset = sn->start;
    hit->highlights = st->highlights;
    hit->nhighlights = nh;
    hit->text_highlights = st->text_highlights;
    hit->ntext_highlights = nm;
    if (opts->explain) {
        KZ_TRY(explain_hit(plan, ix, s, local, st));
        hit->explain = st->explain;
    }
    return KZ_OK;
}

/* ---- the public API ---- */

static void free_storage(hit_storage *st)
{
    free(st->doc);
    free(st->title);
    free(st->date);
    free(st->lang);
    free(st->text);
    free(st->snippet);
    free(st->highlights);
    free(st->text_highlights);
    for (size_t i = 0; i < st->nterm_strings; i++) free(st->term_strings[i]);
    free(st->term_strings);
    free(st->terms);
    free(st->explain);
}

void kz_results_free(kz_results *r)
{
    if (r == NULL) return;
    for (size_t i = 0; i < r->cap; i++) free_storage(&r->storage[i]);
    free(r->storage);
    free(r->hits);
    free(r->notice);
    free(r);
}

int kz_search(kz_results **out, kz_index *ix, const char *query, size_t len,
              const kz_search_options *opts_in)
{
    *out = NULL;
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    if (opts_in) opts = *opts_in;
    if (opts.k == 0) opts.k = DEFAULT_K;
    if ((uint64_t)opts.k + opts.offset > MAX_RESULTS)
        return kz_fail(KZ_EINVAL, "k + offset is %llu; at most %d results can be asked for",
                       (unsigned long long)opts.k + opts.offset, MAX_RESULTS);
    kz_qnode *tree = NULL;
    kz_analyzer *qa = NULL, *sa = NULL;
    kz_plan plan;
    int have_plan = 0;
    kz_topk top = {0};
    kz_topk_entry *grouped = NULL;
    kz_results *res = NULL;
    kz_snippet sn = {0};
    int rc = KZ_OK;
    KZ_CHECK(kz_query_parse(&tree, query, len));
    KZ_CHECK(kz_index_take_analyzer(ix, 1, &qa));
    KZ_CHECK(kz_plan_build(&plan, ix, qa, tree, opts.default_and, opts.k1, opts.b));
    have_plan = 1;
    uint32_t want = opts.k + opts.offset;
    run r = {ix, &plan, &opts, 0};
    const kz_topk_entry *best;
    size_t nbest;
    if (!opts.group_by_doc) {
        KZ_CHECK(evaluate(&r, want, &top));
        best = kz_topk_finish(&top, &nbest);
    } else {
        for (uint64_t k2 = (uint64_t)want * 4;; k2 *= 2) {
            if (k2 > MAX_RESULTS * 4ull) k2 = MAX_RESULTS * 4ull;
            kz_topk_free(&top);
            KZ_CHECK(evaluate(&r, (uint32_t)k2, &top));
            const kz_topk_entry *all = kz_topk_finish(&top, &nbest);
            free(grouped);
            grouped = malloc((nbest + 1) * sizeof *grouped);
            if (grouped == NULL) {
                rc = KZ_ENOMEM_FAIL();
                goto done;
            }
            size_t ndocs = 0;
            KZ_CHECK(first_per_doc(ix, all, nbest, grouped, &ndocs));
            if (ndocs >= want || nbest < k2 || k2 >= MAX_RESULTS * 4ull) {
                best = grouped;
                nbest = ndocs;
                break;
            }
        }
    }
    size_t first = opts.offset < nbest ? opts.offset : nbest;
    size_t n = nbest - first < opts.k ? nbest - first : opts.k;
    res = calloc(1, sizeof *res);
    if (res == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    res->hits = calloc(n + 1, sizeof *res->hits);
    res->storage = calloc(n + 1, sizeof *res->storage);
    if (res->hits == NULL || res->storage == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    res->cap = n + 1;
    res->total = r.matched > nbest ? r.matched : nbest;
    res->notice = dup_n((const char *)plan.notice.data, plan.notice.len);
    if (res->notice == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    if (opts.ids_only) { /* ranking only: the caller wants passage ids and scores */
        for (size_t i = 0; i < n; i++) {
            res->hits[i].passage = best[first + i].passage;
            res->hits[i].score = best[first + i].score;
        }
        res->n = n;
        goto done;
    }
    if (n > 0) KZ_CHECK(kz_index_take_analyzer(ix, 0, &sa));
    for (size_t i = 0; i < n; i++)
        KZ_CHECK(
            make_hit(&plan, ix, sa, &best[first + i], &opts, &res->hits[i], &res->storage[i], &sn));
    res->n = n;
done:
    kz_buf_free(&sn.matches);
    free(grouped);
    kz_topk_free(&top);
    if (have_plan) kz_plan_free(&plan);
    if (qa) kz_index_release_analyzer(ix, 1, qa);
    if (sa) kz_index_release_analyzer(ix, 0, sa);
    kz_qnode_free(tree);
    if (rc < 0) {
        kz_results_free(res);
        return rc;
    }
    *out = res;
    return KZ_OK;
}

size_t kz_results_count(const kz_results *r)
{
    return r ? r->n : 0;
}

uint64_t kz_results_total(const kz_results *r)
{
    return r ? r->total : 0;
}

const kz_hit *kz_results_hit(const kz_results *r, size_t i)
{
    return r && i < r->n ? &r->hits[i] : NULL;
}

const char *kz_results_notice(const kz_results *r)
{
    return r && r->notice ? r->notice : "";
}
