/* test_bm25_seeds.c - kz_search's BM25 scores on the seed articles against a computation made
 * here from raw counts.
 *
 * The reference reads every live passage's stored text, analyses it with the public analyzer
 * (index mode) and counts for itself: N (live passages), dl (distinct positions of a passage),
 * avgdl, df and tf of each query term, the occurrences of each phrase (its terms at consecutive
 * query offsets). It then applies Lucene's BM25, idf = ln(1 + (N - n + 0.5)/(n + 0.5)),
 * score = sum idf * tf / (tf + k1 (1 - b + b dl/avgdl)), a phrase weighing the sum of its
 * terms' idf, and ranks every matching passage. The engine's exhaustive results, with explain,
 * must give the same scores (1e-9 relative), the same order and the same statistics. */
#include "index_internal.h"
#include "kzsearch.h"
#include "pairs.h"
#include "support.h"
#include "support/collection.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A passage's analysed terms, for the counting below. */
typedef struct ref_passage {
    uint64_t id;
    kzc_term *terms;
    size_t nterms;
    uint32_t dl; /* distinct positions */
} ref_passage;

typedef struct ref_collection {
    ref_passage *p;
    size_t n;
    double avgdl;
} ref_collection;

/* A clause of the query: one term, or a phrase of terms at query offsets. */
typedef struct ref_clause {
    kzc_term *terms;
    size_t nterms;
    double idf;
} ref_clause;

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

static uint32_t distinct_positions(const kzc_term *t, size_t n)
{
    if (n == 0) return 0;
    uint32_t *pos = malloc(n * sizeof *pos);
    cr_assert_not_null(pos);
    for (size_t i = 0; i < n; i++) pos[i] = t[i].position;
    qsort(pos, n, sizeof *pos, cmp_u32);
    uint32_t d = 1;
    for (size_t i = 1; i < n; i++) d += pos[i] != pos[i - 1];
    free(pos);
    return d;
}

static ref_collection load(kz_index *ix)
{
    size_t n;
    kzc_passage *ps = kzc_passages(ix, &n);
    ref_collection c = {calloc(n + 1, sizeof(ref_passage)), n, 0};
    cr_assert_not_null(c.p);
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        c.p[i].id = ps[i].id;
        c.p[i].terms = kzc_analyze(ps[i].text, ps[i].len, 0, &c.p[i].nterms);
        c.p[i].dl = distinct_positions(c.p[i].terms, c.p[i].nterms);
        total += c.p[i].dl;
    }
    c.avgdl = (double)total / (double)n;
    kzc_passages_free(ps, n);
    return c;
}

static void unload(ref_collection *c)
{
    for (size_t i = 0; i < c->n; i++) kzc_terms_free(c->p[i].terms, c->p[i].nterms);
    free(c->p);
}

/* Whether passage p has term at position pos. */
static int has_at(const ref_passage *p, const char *term, uint32_t pos)
{
    for (size_t i = 0; i < p->nterms; i++)
        if (p->terms[i].position == pos && strcmp(p->terms[i].term, term) == 0) return 1;
    return 0;
}

/* Occurrences of the clause in p: distinct start positions where every term sits at its
 * offset. */
static uint32_t clause_tf(const ref_passage *p, const ref_clause *c)
{
    uint32_t base = c->terms[0].position, tf = 0;
    uint32_t *starts = malloc((p->nterms + 1) * sizeof *starts);
    cr_assert_not_null(starts);
    size_t ns = 0;
    for (size_t i = 0; i < p->nterms; i++) {
        if (strcmp(p->terms[i].term, c->terms[0].term) != 0) continue;
        uint32_t start = p->terms[i].position;
        int ok = 1;
        for (size_t j = 1; j < c->nterms && ok; j++)
            ok = has_at(p, c->terms[j].term, start + (c->terms[j].position - base));
        if (ok) starts[ns++] = start;
    }
    qsort(starts, ns, sizeof *starts, cmp_u32);
    for (size_t i = 0; i < ns; i++) tf += i == 0 || starts[i] != starts[i - 1];
    free(starts);
    return tf;
}

static uint64_t term_df(const ref_collection *col, const char *term)
{
    uint64_t df = 0;
    for (size_t i = 0; i < col->n; i++) {
        int found = 0;
        for (size_t j = 0; j < col->p[i].nterms && !found; j++)
            found = strcmp(col->p[i].terms[j].term, term) == 0;
        df += found;
    }
    return df;
}

static double idf(uint64_t N, uint64_t n)
{
    return log(1.0 + ((double)N - (double)n + 0.5) / ((double)n + 0.5));
}

/* Splits the query text into words and "phrases" and analyses each (query mode). */
static size_t make_clauses(const ref_collection *col, const char *query, ref_clause *out,
                           size_t cap, size_t *dropped)
{
    size_t n = 0;
    *dropped = 0;
    const char *s = query;
    while (*s) {
        while (*s == ' ') s++;
        if (!*s) break;
        const char *start = s, *end;
        if (*s == '"') {
            start = ++s;
            end = strchr(s, '"');
            cr_assert_not_null(end);
            s = end + 1;
        } else {
            end = strchr(s, ' ');
            if (end == NULL) end = s + strlen(s);
            s = end;
        }
        cr_assert_lt(n, cap);
        out[n].terms = kzc_analyze(start, (size_t)(end - start), 1, &out[n].nterms);
        out[n].idf = 0;
        if (out[n].nterms == 0) { /* punctuation only: no clause, as in the engine */
            free(out[n].terms);
            continue;
        }
        int absent = 0;
        for (size_t j = 0; j < out[n].nterms; j++) {
            uint64_t df = term_df(col, out[n].terms[j].term);
            absent |= df == 0;
            out[n].idf += idf(col->n, df);
        }
        /* A word or phrase with a term no passage has cannot match: the engine drops it. */
        if (absent) {
            kzc_terms_free(out[n].terms, out[n].nterms);
            ++*dropped;
        } else {
            n++;
        }
    }
    return n;
}

typedef struct ref_score {
    uint64_t id;
    double score;
    size_t index; /* into the collection */
} ref_score;

static int cmp_ref(const void *a, const void *b)
{
    const ref_score *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

static void assert_rel(double got, double want, const char *what, const char *query)
{
    cr_assert(fabs(got - want) <= 1e-9 * fabs(want) + 1e-12,
              "[%s] %s: engine %.17g, reference %.17g", query, what, got, want);
}

/* Checks kz_search(query) with exhaustive evaluation and explain against the reference. */
static void check_query(kz_index *ix, const ref_collection *col, const char *query, int and_mode,
                        double k1, double b, int may_be_empty)
{
    ref_clause cl[16];
    size_t dropped;
    size_t ncl = make_clauses(col, query, cl, 16, &dropped);
    double rk1 = k1 < 0 ? 1.2 : k1, rb = b < 0 ? 0.75 : b;
    ref_score *ref = calloc(col->n + 1, sizeof *ref);
    cr_assert_not_null(ref);
    size_t nref = 0;
    for (size_t i = 0; i < col->n; i++) {
        const ref_passage *p = &col->p[i];
        double K = rk1 * (1.0 - rb + rb * (double)p->dl / col->avgdl);
        double score = 0;
        size_t matched = 0;
        for (size_t c = 0; c < ncl; c++) {
            uint32_t tf = clause_tf(p, &cl[c]);
            if (tf == 0) continue;
            matched++;
            score += cl[c].idf * (double)tf / ((double)tf + K);
        }
        if (matched == 0 || (and_mode && (matched < ncl || dropped > 0))) continue;
        ref[nref++] = (ref_score){p->id, score, i};
    }
    qsort(ref, nref, sizeof *ref, cmp_ref);
    cr_assert(nref > 0 || may_be_empty,
              "[%s] matches nothing in the reference: choose another query", query);

    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = 50;
    o.algorithm = KZ_ALGO_EXHAUSTIVE;
    o.explain = 1;
    o.default_and = and_mode;
    o.k1 = k1;
    o.b = b;
    kz_results *r = kzc_search(ix, query, &o);
    size_t want = nref < o.k ? nref : o.k;
    cr_assert_eq(kz_results_count(r), want, "[%s] %zu hits, reference %zu", query,
                 kz_results_count(r), want);
    cr_assert_eq(kz_results_total(r), nref, "[%s] total %llu, reference %zu", query,
                 (unsigned long long)kz_results_total(r), nref);
    for (size_t i = 0; i < want; i++) {
        const kz_hit *h = kz_results_hit(r, i);
        char what[96];
        snprintf(what, sizeof what, "score of hit %zu", i);
        assert_rel(h->score, ref[i].score, what, query);
        /* Same passage unless two reference scores are equal within the tolerance. */
        if (h->passage != ref[i].id) {
            size_t j = 0;
            while (j < nref && ref[j].id != h->passage) j++;
            cr_assert_lt(j, nref, "[%s] hit %zu is passage %llu, which does not match", query, i,
                         (unsigned long long)h->passage);
            assert_rel(h->score, ref[j].score, "score of a tied passage", query);
        }
        const ref_passage *p = NULL;
        for (size_t j = 0; j < nref && !p; j++)
            if (ref[j].id == h->passage) p = &col->p[ref[j].index];
        cr_assert_not_null(p);
        const kz_explain *e = h->explain;
        cr_assert_not_null(e, "[%s] no explanation", query);
        cr_assert_eq(e->N, col->n, "[%s] N %llu, reference %zu", query, (unsigned long long)e->N,
                     col->n);
        assert_rel(e->avgdl, col->avgdl, "avgdl", query);
        cr_assert_eq(e->dl, p->dl, "[%s] passage %llu: dl %u, reference %u", query,
                     (unsigned long long)h->passage, e->dl, p->dl);
        assert_rel(e->k1, rk1, "k1", query);
        assert_rel(e->b, rb, "b", query);
        cr_assert_eq(e->nterms, ncl, "[%s] %zu explained terms, %zu clauses", query, e->nterms,
                     ncl);
        double K = rk1 * (1.0 - rb + rb * (double)p->dl / col->avgdl);
        for (size_t c = 0; c < ncl; c++) {
            const kz_term_explain *t = &e->terms[c];
            uint32_t tf = clause_tf(p, &cl[c]);
            cr_assert_eq(t->tf, tf, "[%s] passage %llu, %s: tf %u, reference %u", query,
                         (unsigned long long)h->passage, t->term, t->tf, tf);
            if (cl[c].nterms == 1) {
                cr_assert_str_eq(t->term, cl[c].terms[0].term);
                uint64_t df = term_df(col, cl[c].terms[0].term);
                cr_assert_eq(t->df, df, "[%s] %s: df %llu, reference %llu", query, t->term,
                             (unsigned long long)t->df, (unsigned long long)df);
            }
            assert_rel(t->idf, cl[c].idf, "idf", query);
            assert_rel(t->score, tf ? cl[c].idf * tf / (tf + K) : 0.0, "term score", query);
        }
    }
    kz_results_free(r);
    for (size_t c = 0; c < ncl; c++) kzc_terms_free(cl[c].terms, cl[c].nterms);
    free(ref);
}

static const struct {
    const char *query;
    int and_mode;
} QUERIES[] = {
    {"CSTO troops", 0},
    {"Tokayev Nazarbayev Almaty", 0},
    {"gas price protests", 0},
    {"internet", 0},
    {"the", 0},
    {"internet blackout almaty", 1},
    {"\"state of emergency\" Tokayev", 0},
    {"\"shoot without warning\"", 0},
    {"阿拉木图", 0},
    {"哈萨克斯坦 起义", 0},
    {"Телеканал Дождь", 0},
    {"Kazakhstan Russia protesters", 1},
};

static void check_all(kz_index *ix, double k1, double b)
{
    ref_collection col = load(ix);
    kz_index_stats st;
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    cr_assert_eq(st.passages, col.n);
    assert_rel(st.avg_passage_len, col.avgdl, "stats avg_passage_len", "");
    for (size_t i = 0; i < sizeof QUERIES / sizeof *QUERIES; i++)
        check_query(ix, &col, QUERIES[i].query, QUERIES[i].and_mode, k1, b, 0);
    unload(&col);
}

Test(bm25_seeds, scores_equal_the_formula_from_raw_counts)
{
    char *dir = kzc_build_seeds(NULL);
    kz_index *ix = kzc_open(dir);
    check_all(ix, -1, -1);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(bm25_seeds, other_k1_and_b_are_applied)
{
    char *dir = kzc_build_seeds(NULL);
    kz_index *ix = kzc_open(dir);
    check_all(ix, 2.0, 0.3);
    check_all(ix, 0.6, 1.0);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(bm25_seeds, several_segments_keep_collection_wide_statistics)
{
    kz_writer_options o = kzc_many_segments();
    char *dir = kzc_build_seeds(&o);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_segments(ix), 2, "the small budget should give several segments");
    check_all(ix, -1, -1);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(bm25_seeds, deleted_passages_leave_the_statistics)
{
    char *dir = kzt_tempdir();
    char *src = kzt_tempdir();
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "cp %s/*.txt '%s'/", kzt_seeds_dir(), src);
    kzc_shell(cmd);
    const char *paths[] = {src};
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.no_merge = 1;
    kzc_build(dir, paths, 1, &o);
    /* Remove one article and index again: its passages are deleted, not merged away. */
    snprintf(cmd, sizeof cmd, "rm '%s'/002_*.txt", src);
    kzc_shell(cmd);
    kzc_build(dir, paths, 1, &o);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_deleted(ix), 0, "removing a file should leave deleted passages");
    check_all(ix, -1, -1);
    kz_index_close(ix);
    kzt_rmtree(src);
    kzt_rmtree(dir);
}

/* ---- random queries from the passages' own text ---- */

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* The whitespace-separated chunks of text, without query syntax characters and cut to at most
 * 24 bytes at a character boundary; chunks without a letter or digit, and the operator words,
 * are left out. Returns the count; chunks are written into out (each malloc'd). */
static size_t chunks_of(const char *text, char **out, size_t max)
{
    size_t n = 0;
    const char *s = text;
    while (*s && n < max) {
        while (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r') s++;
        const char *e = s;
        while (*e && *e != ' ' && *e != '\n' && *e != '\t' && *e != '\r') e++;
        char buf[32];
        size_t len = 0, i = 0;
        int useful = 0;
        while (s + i < e) {
            unsigned char c = (unsigned char)s[i];
            size_t w = c < 0x80 ? 1 : c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
            if (len + w > 24) break;
            if (c < 0x80 && strchr("\"()+-*:\\", c) != NULL) {
                i++;
                continue;
            }
            useful |= c >= 0x80 || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
            memcpy(buf + len, s + i, w);
            len += w;
            i += w;
        }
        buf[len] = '\0';
        s = e;
        if (!useful || !strcmp(buf, "AND") || !strcmp(buf, "OR") || !strcmp(buf, "NOT")) continue;
        out[n] = malloc(len + 1);
        cr_assert_not_null(out[n]);
        memcpy(out[n], buf, len + 1);
        n++;
    }
    return n;
}

/* 300 random queries of words and phrases from the seeds, indexed with opts. */
static void random_queries_score_as_the_formula(const kz_writer_options *opts)
{
    char *dir = kzc_build_seeds(opts);
    kz_index *ix = kzc_open(dir);
    ref_collection col = load(ix);
    size_t np;
    kzc_passage *ps = kzc_passages(ix, &np);
    uint64_t s = 0xB325EEDULL;
    char *ch[512];
    size_t nonempty = 0, nq = 300;
    for (size_t i = 0; i < nq; i++) {
        const kzc_passage *p = &ps[rng_next(&s) % np];
        size_t n = chunks_of(p->text, ch, 512);
        if (n == 0) {
            i--;
            continue;
        }
        char q[512];
        size_t len = 0, shape = rng_next(&s) % 3, words = 1 + rng_next(&s) % 4;
        size_t at = rng_next(&s) % n;
        if (shape == 0) q[len++] = '"';
        for (size_t w = 0; w < words && at + w < n; w++) {
            /* phrases take consecutive chunks; word lists take chunks from anywhere */
            const char *c = shape == 0 ? ch[at + w] : ch[rng_next(&s) % n];
            len += (size_t)snprintf(q + len, sizeof q - len, "%s%s", w ? " " : "", c);
        }
        if (shape == 0) q[len++] = '"';
        q[len] = '\0';
        for (size_t c = 0; c < n; c++) free(ch[c]);
        kz_results *r = NULL;
        int rc = kz_search(&r, ix, q, len, NULL);
        cr_assert_eq(rc, KZ_OK, "[%s]: %s", q, kz_errmsg());
        nonempty += kz_results_count(r) > 0;
        kz_results_free(r);
        check_query(ix, &col, q, shape == 2, -1, -1, 1);
    }
    cr_assert_gt(nonempty, nq / 2, "only %zu of %zu queries found something", nonempty, nq);
    if (opts && opts->pair_min_df > 0) { /* the pairs are there to be used */
        size_t with_pairs = 0;
        for (uint32_t i = 0; i < ix->nsegs; i++) {
            kz_termdict_iter it;
            const char mark[1] = {(char)KZ_PAIR_MARK};
            cr_assert_eq(kz_termdict_iter_init(&it, &ix->segs[i].seg->terms, mark, 1), KZ_OK);
            const char *t;
            size_t tl;
            kz_term_info info;
            with_pairs += kz_termdict_iter_next(&it, &t, &tl, &info) == KZ_OK;
        }
        cr_assert_gt(with_pairs, ix->nsegs / 2, "%zu of %u segments have pairs", with_pairs,
                     ix->nsegs);
    }
    kzc_passages_free(ps, np);
    unload(&col);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(bm25_seeds, random_words_and_phrases_from_the_text_score_as_the_formula)
{
    random_queries_score_as_the_formula(NULL);
}

/* Phrases over word pairs (common/pairs.h) find the same passages with the same counts: every
 * adjacent pair of words indexed; then, in many small segments, words common enough in some
 * segments and not in others, so that one query runs over pairs in some and words in others. */
Test(bm25_seeds, phrases_over_word_pairs_score_as_the_formula)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.pair_min_df = 1;
    random_queries_score_as_the_formula(&opts);
    opts = kzc_many_segments();
    opts.pair_min_df = 4;
    random_queries_score_as_the_formula(&opts);
}

/* Passages longer than the engine's precomputed length table (512 tokens) and shorter ones,
 * with terms repeated many times: the same formula. */
Test(bm25_seeds, long_passages_and_high_tf_score_as_the_formula)
{
    char *src = kzt_tempdir();
    char text[8192];
    size_t len = 0;
    uint64_t s = 0x10C0ULL;
    const size_t sizes[] = {1000, 600, 513, 512, 511, 300, 40};
    for (size_t p = 0; p < sizeof sizes / sizeof *sizes; p++) {
        for (size_t i = 0; i < sizes[p]; i++) {
            /* single letters, skewed so that tf varies a lot between terms */
            uint64_t r = rng_next(&s) % 16;
            char c = r < 8 ? 'a' : r < 12 ? 'b' : r < 14 ? 'c' : r < 15 ? 'd' : 'e';
            text[len++] = c;
            text[len++] = i + 1 < sizes[p] ? ' ' : '\n';
        }
        text[len++] = '\n';
        char *file;
        char name[32];
        snprintf(name, sizeof name, "long-%zu.txt", p);
        file = kzt_path(src, name);
        kzt_write_file(file, text, len);
        free(file);
        len = 0;
    }
    char *dir = kzt_tempdir();
    const char *paths[] = {kzt_seeds_dir(), src};
    kzc_build(dir, paths, 2, NULL);
    kz_index *ix = kzc_open(dir);
    ref_collection col = load(ix);
    uint32_t longest = 0;
    for (size_t i = 0; i < col.n; i++) longest = col.p[i].dl > longest ? col.p[i].dl : longest;
    cr_assert_gt(longest, 900, "the long passage was split: %u tokens", longest);
    const char *queries[] = {"a", "e", "d e", "\"a b\"", "\"e e\"", "\"a a a\"", "e almaty"};
    for (size_t q = 0; q < sizeof queries / sizeof *queries; q++) {
        check_query(ix, &col, queries[q], 0, -1, -1, 0);
        check_query(ix, &col, queries[q], 0, 0.9, 0.4, 0);
    }
    unload(&col);
    kz_index_close(ix);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}
