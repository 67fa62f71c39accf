/* test_pruning.c - the pruning algorithms (MaxScore, block-max WAND, the automatic choice) give
 * exactly the exhaustive results: the same passages in the same order with bit-identical
 * scores, on random queries drawn from each collection's own words; and an index split into
 * many segments scores exactly as the same collection in one segment.
 *
 * Collections: the seed articles in one segment and in many (a tiny memory budget and no merge,
 * so that top-k thresholds carry from segment to segment), and a larger real text made in the
 * test from Debian's licence texts and package changelogs, also in many segments. Queries mix
 * frequent and rare words in every shape the planner treats differently: disjunctions of 1-6
 * words, required and excluded words, AND, OR groups, phrases, prefixes, document and date
 * filters; k is 1, 5, 10 and 50. On an index with deleted passages, paging, grouping by
 * document, --and and the explanations (terms summing to the score) agree with the exhaustive
 * ranking too. The random generator is seeded, so a failure names a query that reproduces it. */
#include "kzsearch.h"
#include "support.h"
#include "support/collection.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- vocabulary ---- */

typedef struct word {
    char *text;
    uint32_t count;
} word;

typedef struct vocab {
    word *v;
    size_t n, cap;
    kzc_passage *passages;
    size_t npassages;
} vocab;

static int cmp_word_text(const void *a, const void *b)
{
    return strcmp(((const word *)a)->text, ((const word *)b)->text);
}

static int cmp_word_count(const void *a, const void *b)
{
    const word *x = a, *y = b;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    return strcmp(x->text, y->text);
}

/* The ASCII letter words of s (lower-cased), at most max, written into out (each malloc'd). */
static size_t words_of(const char *s, size_t len, char **out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < len && n < max;) {
        if (!isalpha((unsigned char)s[i])) {
            i++;
            continue;
        }
        size_t j = i;
        while (j < len && isalpha((unsigned char)s[j])) j++;
        if (j - i >= 2 && j - i <= 20) {
            out[n] = malloc(j - i + 1);
            cr_assert_not_null(out[n]);
            for (size_t k = i; k < j; k++) out[n][k - i] = (char)tolower((unsigned char)s[k]);
            out[n][j - i] = '\0';
            n++;
        }
        i = j;
    }
    return n;
}

/* Every word of the collection with its number of occurrences, most frequent first. */
static vocab vocab_load(kz_index *ix)
{
    vocab voc = {0};
    voc.passages = kzc_passages(ix, &voc.npassages);
    size_t all_cap = 1024, nall = 0;
    word *all = malloc(all_cap * sizeof *all);
    cr_assert_not_null(all);
    char *ws[4096];
    for (size_t p = 0; p < voc.npassages; p++) {
        size_t n = words_of(voc.passages[p].text, voc.passages[p].len, ws, 4096);
        for (size_t i = 0; i < n; i++) {
            if (nall == all_cap) {
                all_cap *= 2;
                all = realloc(all, all_cap * sizeof *all);
                cr_assert_not_null(all);
            }
            all[nall++] = (word){ws[i], 1};
        }
    }
    qsort(all, nall, sizeof *all, cmp_word_text);
    voc.v = malloc((nall + 1) * sizeof *voc.v);
    cr_assert_not_null(voc.v);
    for (size_t i = 0; i < nall; i++) {
        if (voc.n > 0 && strcmp(voc.v[voc.n - 1].text, all[i].text) == 0) {
            voc.v[voc.n - 1].count++;
            free(all[i].text);
        } else {
            voc.v[voc.n++] = all[i];
        }
    }
    free(all);
    qsort(voc.v, voc.n, sizeof *voc.v, cmp_word_count);
    cr_assert_gt(voc.n, 50, "too few words to draw queries from");
    return voc;
}

static void vocab_free(vocab *voc)
{
    for (size_t i = 0; i < voc->n; i++) free(voc->v[i].text);
    free(voc->v);
    kzc_passages_free(voc->passages, voc->npassages);
}

/* ---- random queries ---- */

static uint64_t rng_next(uint64_t *s)
{
    /* xorshift64*: deterministic across platforms */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

static size_t rng_below(uint64_t *s, size_t n)
{
    return (size_t)(rng_next(s) % n);
}

/* A frequent word (among the 60 most common) or a word drawn uniformly (mostly rare ones). */
static const char *draw_word(vocab *voc, uint64_t *s)
{
    if (rng_below(s, 2) == 0) return voc->v[rng_below(s, 60)].text;
    return voc->v[rng_below(s, voc->n)].text;
}

/* A phrase of 2-3 consecutive words of a random passage (or of random words, 1 time in 4, which
 * rarely occur together). */
static void draw_phrase(vocab *voc, uint64_t *s, char *out, size_t cap)
{
    char *ws[64];
    size_t want = 2 + rng_below(s, 2), n = 0;
    if (rng_below(s, 4) != 0) {
        const kzc_passage *p = &voc->passages[rng_below(s, voc->npassages)];
        n = words_of(p->text, p->len, ws, 64);
    }
    if (n >= want) {
        size_t at = rng_below(s, n - want + 1);
        snprintf(out, cap, "\"%s %s%s%s\"", ws[at], ws[at + 1], want == 3 ? " " : "",
                 want == 3 ? ws[at + 2] : "");
    } else {
        snprintf(out, cap, "\"%s %s\"", draw_word(voc, s), draw_word(voc, s));
    }
    for (size_t i = 0; i < n; i++) free(ws[i]);
}

static void draw_query(vocab *voc, uint64_t *s, char *q, size_t cap)
{
    char ph[256];
    size_t len = 0;
    switch (rng_below(s, 11)) {
    case 0:
    case 1: { /* a disjunction of 1-6 words */
        size_t n = 1 + rng_below(s, 6);
        for (size_t i = 0; i < n; i++)
            len += (size_t)snprintf(q + len, cap - len, "%s%s", i ? " " : "", draw_word(voc, s));
        break;
    }
    case 2: /* required words, with optional ones */
        snprintf(q, cap, "+%s +%s %s", draw_word(voc, s), draw_word(voc, s), draw_word(voc, s));
        break;
    case 3: /* an exclusion */
        snprintf(q, cap, "%s %s -%s", draw_word(voc, s), draw_word(voc, s), draw_word(voc, s));
        break;
    case 4: /* a phrase alone or with words */
        draw_phrase(voc, s, ph, sizeof ph);
        if (rng_below(s, 2))
            snprintf(q, cap, "%s", ph);
        else
            snprintf(q, cap, "%s %s %s", ph, draw_word(voc, s), draw_word(voc, s));
        break;
    case 5:
        snprintf(q, cap, "%s AND %s", draw_word(voc, s), draw_word(voc, s));
        break;
    case 6:
        snprintf(q, cap, "(%s OR %s) +%s", draw_word(voc, s), draw_word(voc, s), draw_word(voc, s));
        break;
    case 8: /* a document filter (a substring: the seeds are 000_... to 004_...) */
        snprintf(q, cap, "%s %s doc:00%zu_", draw_word(voc, s), draw_word(voc, s), rng_below(s, 5));
        break;
    case 9: /* an excluded document, or a date range */
        if (rng_below(s, 2))
            snprintf(q, cap, "%s %s -doc:00%zu_", draw_word(voc, s), draw_word(voc, s),
                     rng_below(s, 5));
        else
            snprintf(q, cap, "%s %s date:2022-01-08..2022", draw_word(voc, s), draw_word(voc, s));
        break;
    case 7: { /* a prefix of a word, with another word */
        const char *w = draw_word(voc, s);
        size_t n = strlen(w) > 4 ? 4 : strlen(w);
        snprintf(q, cap, "%.*s* %s", (int)n, w, draw_word(voc, s));
        break;
    }
    default: /* a long disjunction of frequent words with a rare one */
        snprintf(q, cap, "%s %s %s %s %s", voc->v[rng_below(s, 20)].text,
                 voc->v[rng_below(s, 20)].text, voc->v[rng_below(s, 200)].text, draw_word(voc, s),
                 voc->v[voc->n - 1 - rng_below(s, voc->n / 2)].text);
        break;
    }
}

/* ---- comparison ---- */

static kz_results *run(kz_index *ix, const char *q, uint32_t k, int algorithm)
{
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = k;
    o.algorithm = algorithm;
    return kzc_search(ix, q, &o);
}

static const char *ALGO_NAMES[] = {"auto", "exhaustive", "maxscore", "bmw"};

/* Every algorithm gives the exhaustive results for q at every k; returns the exhaustive hit
 * count at k = 50. */
/* The filters of q hold for every hit (checked on the hit, independently of the index). */
static void check_filters(const kz_results *r, const char *q)
{
    const char *f = strstr(q, "doc:");
    for (size_t i = 0; i < kz_results_count(r); i++) {
        const kz_hit *h = kz_results_hit(r, i);
        if (f) {
            char name[16];
            snprintf(name, sizeof name, "%.4s", f + 4);
            int has = strstr(h->doc, name) != NULL, excluded = f > q && f[-1] == '-';
            cr_assert(has != excluded, "[%s] hit in %s", q, h->doc);
        }
        if (strstr(q, "date:2022-01-08..2022"))
            cr_assert(strcmp(h->date, "2022-01-08") >= 0 && strcmp(h->date, "2022-12-31") <= 0,
                      "[%s] hit dated \"%s\"", q, h->date);
    }
}

static size_t compare_algorithms(kz_index *ix, const char *q, const char *where)
{
    static const uint32_t KS[] = {1, 5, 10, 50};
    size_t found = 0;
    for (size_t ki = 0; ki < sizeof KS / sizeof *KS; ki++) {
        kz_results *ref = run(ix, q, KS[ki], KZ_ALGO_EXHAUSTIVE);
        found = kz_results_count(ref);
        check_filters(ref, q);
        const int algos[] = {KZ_ALGO_AUTO, KZ_ALGO_MAXSCORE, KZ_ALGO_BMW};
        for (size_t a = 0; a < 3; a++) {
            kz_results *r = run(ix, q, KS[ki], algos[a]);
            const char *name = ALGO_NAMES[algos[a]];
            cr_assert_eq(kz_results_count(r), kz_results_count(ref),
                         "%s [%s] k=%u %s: %zu hits, exhaustive %zu", where, q, KS[ki], name,
                         kz_results_count(r), kz_results_count(ref));
            for (size_t i = 0; i < kz_results_count(r); i++) {
                const kz_hit *h = kz_results_hit(r, i), *e = kz_results_hit(ref, i);
                cr_assert(h->passage == e->passage && h->score == e->score,
                          "%s [%s] k=%u %s: hit %zu is passage %llu scored %.17g, exhaustive "
                          "passage %llu scored %.17g",
                          where, q, KS[ki], name, i, (unsigned long long)h->passage, h->score,
                          (unsigned long long)e->passage, e->score);
            }
            kz_results_free(r);
        }
        kz_results_free(ref);
    }
    return found;
}

static void random_queries(kz_index *ix, uint64_t seed, size_t nqueries, const char *where)
{
    vocab voc = vocab_load(ix);
    cr_log_info("%s: %zu passages, %zu distinct words, %u segments", where, voc.npassages, voc.n,
                kzc_segments(ix));
    uint64_t s = seed;
    size_t nonempty = 0;
    for (size_t i = 0; i < nqueries; i++) {
        char q[512];
        draw_query(&voc, &s, q, sizeof q);
        nonempty += compare_algorithms(ix, q, where) > 0;
    }
    /* The queries must exercise the algorithms, not only find nothing. */
    cr_assert_gt(nonempty, nqueries / 2, "%s: only %zu of %zu random queries found anything", where,
                 nonempty, nqueries);
    vocab_free(&voc);
}

/* The seed articles indexed in one segment, or in many small ones. */
static char *build_seeds(int many_segments)
{
    kz_writer_options many = kzc_many_segments();
    return kzc_build_seeds(many_segments ? &many : NULL);
}

Test(pruning, pruned_equals_exhaustive_on_the_seeds)
{
    char *dir = build_seeds(0);
    kz_index *ix = kzc_open(dir);
    random_queries(ix, 0x5eed5eedULL, 300, "seeds");
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(pruning, pruned_equals_exhaustive_across_segments_of_the_seeds)
{
    char *dir = build_seeds(1);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_segments(ix), 3);
    random_queries(ix, 0xC0FFEEULL, 300, "seeds in segments");
    kz_index_close(ix);
    kzt_rmtree(dir);
}

static void compare_split(kz_index *one, kz_index *many, uint64_t seed, size_t n);

Test(pruning, pruned_equals_exhaustive_on_debian_texts_in_segments)
{
    char *src = kzt_tempdir();
    char cmd[2048];
    /* The licences, and the first changelogs (sorted by path) up to about 2 MB of text. */
    snprintf(cmd, sizeof cmd,
             "set -e; cd '%s'; for f in /usr/share/common-licenses/*; do "
             "[ -f \"$f\" ] && cp \"$f\" \"licence-$(basename \"$f\").txt\"; done; "
             "total=0; for f in $(ls /usr/share/doc/*/changelog.Debian.gz | LC_ALL=C sort); do "
             "n=$(echo \"$f\" | cut -d/ -f5); zcat \"$f\" > \"changelog-$n.txt\" || true; "
             "total=$((total + $(wc -c < \"changelog-$n.txt\"))); "
             "[ $total -gt 2000000 ] && break; done; true",
             src);
    kzc_shell(cmd);
    char *dir = kzt_tempdir();
    const char *paths[] = {src};
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.memory_budget = 256 * 1024;
    o.no_merge = 1;
    kzc_build(dir, paths, 1, &o);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_segments(ix), 3);
    random_queries(ix, 0xDEB1A4ULL, 200, "debian texts");
    /* The same text in one segment scores the same. */
    char *one_dir = kzt_tempdir();
    kzc_build(one_dir, paths, 1, NULL);
    kz_index *one = kzc_open(one_dir);
    cr_assert_eq(kzc_segments(one), 1);
    compare_split(one, ix, 0xDEB1A5ULL, 100);
    kz_index_close(one);
    kzt_rmtree(one_dir);
    kz_index_close(ix);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}

/* Scores do not depend on how the collection is split: the same passages (document and
 * offset) with the same scores, for n random queries. */
static void compare_split(kz_index *one, kz_index *many, uint64_t seed, size_t n)
{
    vocab voc = vocab_load(one);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        char q[512];
        draw_query(&voc, &s, q, sizeof q);
        int algo = (int)(i % 4);
        kz_results *a = run(one, q, 50, algo), *b = run(many, q, 50, algo);
        cr_assert_eq(kz_results_count(a), kz_results_count(b), "[%s] %zu hits vs %zu", q,
                     kz_results_count(a), kz_results_count(b));
        for (size_t h = 0; h < kz_results_count(a); h++) {
            const kz_hit *x = kz_results_hit(a, h), *y = kz_results_hit(b, h);
            cr_assert(x->score == y->score && strcmp(x->doc, y->doc) == 0 && x->start == y->start,
                      "[%s] %s hit %zu: %s@%llu %.17g in one segment, %s@%llu %.17g in many", q,
                      ALGO_NAMES[algo], h, x->doc, (unsigned long long)x->start, x->score, y->doc,
                      (unsigned long long)y->start, y->score);
        }
        kz_results_free(a);
        kz_results_free(b);
    }
    vocab_free(&voc);
}

Test(pruning, many_segments_score_as_one)
{
    char *one_dir = build_seeds(0), *many_dir = build_seeds(1);
    kz_index *one = kzc_open(one_dir), *many = kzc_open(many_dir);
    cr_assert_eq(kzc_segments(one), 1);
    cr_assert_gt(kzc_segments(many), 3);
    compare_split(one, many, 0xABCDEFULL, 300);
    kz_index_close(one);
    kz_index_close(many);
    kzt_rmtree(one_dir);
    kzt_rmtree(many_dir);
}

static kz_results *run_opts(kz_index *ix, const char *q, kz_search_options o, int algorithm)
{
    o.algorithm = algorithm;
    return kzc_search(ix, q, &o);
}

/* Hits a equal hits b[from..from + count(a)), passage and score. */
static void assert_slice(const kz_results *a, const kz_results *b, size_t from, const char *q,
                         const char *what)
{
    for (size_t i = 0; i < kz_results_count(a); i++) {
        const kz_hit *x = kz_results_hit(a, i), *y = kz_results_hit(b, from + i);
        cr_assert_not_null(y, "[%s] %s: hit %zu beyond the full list", q, what, i);
        cr_assert(x->passage == y->passage && x->score == y->score,
                  "[%s] %s: hit %zu is %llu %.17g, expected %llu %.17g", q, what, i,
                  (unsigned long long)x->passage, x->score, (unsigned long long)y->passage,
                  y->score);
    }
}

/* On an index with deleted passages and several segments: paging, grouping by document,
 * default AND and explanations agree with the exhaustive ranking for every algorithm. */
Test(pruning, paging_grouping_and_explain_agree_with_exhaustive)
{
    char *src = kzt_tempdir();
    char cmd[1024];
    char *dir = kzt_tempdir();
    const char *paths[] = {src};
    kz_writer_options wo = KZ_WRITER_OPTIONS_INIT;
    wo.no_merge = 1;
    /* Three articles, then two more: a segment for each commit. */
    snprintf(cmd, sizeof cmd, "cp %s/00[012]_*.txt '%s'/", kzt_seeds_dir(), src);
    kzc_shell(cmd);
    kzc_build(dir, paths, 1, &wo);
    snprintf(cmd, sizeof cmd, "cp %s/00[34]_*.txt '%s'/", kzt_seeds_dir(), src);
    kzc_shell(cmd);
    kzc_build(dir, paths, 1, &wo);
    /* Change one article and drop another: their old passages become deletions. */
    snprintf(cmd, sizeof cmd,
             "cd '%s' && printf '\\nTokayev spoke again about the CSTO troops.\\n' >> 000_*.txt "
             "&& rm 004_*.txt",
             src);
    kzc_shell(cmd);
    kzc_build(dir, paths, 1, &wo);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_deleted(ix), 0, "the update should leave deleted passages");
    cr_assert_eq(kzc_segments(ix), 3);
    vocab voc = vocab_load(ix);
    uint64_t s = 0x7A6E5EEDULL;
    for (size_t n = 0; n < 150; n++) {
        char q[512];
        draw_query(&voc, &s, q, sizeof q);
        kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
        o.k = 1000;
        kz_results *full = run_opts(ix, q, o, KZ_ALGO_EXHAUSTIVE);
        cr_assert_eq(kz_results_total(full), kz_results_count(full));
        /* Only live passages. */
        for (size_t i = 0; i < kz_results_count(full); i++) {
            uint64_t id = kz_results_hit(full, i)->passage;
            int live = 0;
            for (size_t p = 0; p < voc.npassages && !live; p++) live = voc.passages[p].id == id;
            cr_assert(live, "[%s] returns passage %llu, which is deleted", q,
                      (unsigned long long)id);
        }
        for (int algo = KZ_ALGO_AUTO; algo <= KZ_ALGO_BMW; algo++) {
            char what[64];
            o = (kz_search_options)KZ_SEARCH_OPTIONS_INIT;
            o.k = 5;
            o.offset = 3;
            kz_results *page = run_opts(ix, q, o, algo);
            size_t want = kz_results_count(full) > 3 ? kz_results_count(full) - 3 : 0;
            cr_assert_eq(kz_results_count(page), want < 5 ? want : 5, "[%s] %s page", q,
                         ALGO_NAMES[algo]);
            snprintf(what, sizeof what, "%s, offset 3", ALGO_NAMES[algo]);
            assert_slice(page, full, 3, q, what);
            kz_results_free(page);

            o = (kz_search_options)KZ_SEARCH_OPTIONS_INIT;
            o.k = 3;
            o.group_by_doc = 1;
            kz_results *g = run_opts(ix, q, o, algo);
            size_t ng = 0;
            const char *docs[1000];
            for (size_t i = 0; i < kz_results_count(full) && ng < 3; i++) {
                const kz_hit *h = kz_results_hit(full, i);
                int seen = 0;
                for (size_t j = 0; j < ng && !seen; j++) seen = strcmp(docs[j], h->doc) == 0;
                if (seen) continue;
                docs[ng] = h->doc;
                const kz_hit *x = kz_results_hit(g, ng);
                cr_assert_not_null(x, "[%s] %s by document: too few hits", q, ALGO_NAMES[algo]);
                cr_assert(x->passage == h->passage && x->score == h->score,
                          "[%s] %s by document: hit %zu is %llu, expected %llu", q,
                          ALGO_NAMES[algo], ng, (unsigned long long)x->passage,
                          (unsigned long long)h->passage);
                ng++;
            }
            cr_assert_eq(kz_results_count(g), ng, "[%s] %s by document", q, ALGO_NAMES[algo]);
            /* A page of the documents: the same documents, from the second. */
            o.k = 2;
            o.offset = 1;
            kz_results *gp = run_opts(ix, q, o, algo);
            cr_assert_eq(kz_results_count(gp), ng > 1 ? ng - 1 : 0, "[%s] %s documents page", q,
                         ALGO_NAMES[algo]);
            snprintf(what, sizeof what, "%s, documents from the second", ALGO_NAMES[algo]);
            assert_slice(gp, g, 1, q, what);
            kz_results_free(gp);
            kz_results_free(g);

            o = (kz_search_options)KZ_SEARCH_OPTIONS_INIT;
            o.k = 10;
            o.default_and = 1;
            kz_results *a = run_opts(ix, q, o, algo), *e = run_opts(ix, q, o, KZ_ALGO_EXHAUSTIVE);
            cr_assert_eq(kz_results_count(a), kz_results_count(e), "[%s] %s --and", q,
                         ALGO_NAMES[algo]);
            snprintf(what, sizeof what, "%s, --and", ALGO_NAMES[algo]);
            assert_slice(a, e, 0, q, what);
            kz_results_free(a);
            kz_results_free(e);

            o = (kz_search_options)KZ_SEARCH_OPTIONS_INIT;
            o.k = 10;
            o.explain = 1;
            kz_results *x = run_opts(ix, q, o, algo);
            for (size_t i = 0; i < kz_results_count(x); i++) {
                const kz_hit *h = kz_results_hit(x, i);
                double sum = 0;
                for (size_t t = 0; t < h->explain->nterms; t++) sum += h->explain->terms[t].score;
                cr_assert(fabs(sum - h->score) <= 1e-12 * h->score,
                          "[%s] %s hit %zu: terms sum to %.17g, score %.17g", q, ALGO_NAMES[algo],
                          i, sum, h->score);
            }
            kz_results_free(x);
        }
        kz_results_free(full);
    }
    vocab_free(&voc);
    kz_index_close(ix);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}

/* Many passages with exactly equal scores, spread over segments: ties are broken by passage id
 * (the earlier passage first) in every algorithm, so the top k is the same set in the same
 * order. Thresholds that prune on `>=` instead of `>` would drop tied passages here. */
Test(pruning, ties_are_broken_by_passage_id_in_every_algorithm)
{
    char *src = kzt_tempdir();
    static const char *PARAS[] = {
        "Almaty airport was closed after the protests.",
        "The CSTO sent troops to Almaty.",
        "Protests spread from Zhanaozen to Almaty and Astana.",
        "Internet access was cut in Almaty for days.",
        "Gas prices doubled at the start of January.",
        "Troops and police faced the protests in the square.",
    };
    char name[64], text[2048];
    for (int f = 0; f < 40; f++) {
        size_t len = 0;
        /* Each file repeats the same paragraphs in a rotated order. */
        for (int p = 0; p < 6; p++)
            len += (size_t)snprintf(text + len, sizeof text - len, "%s\n\n", PARAS[(p + f) % 6]);
        snprintf(name, sizeof name, "%s/copy-%02d.txt", src, f);
        kzt_write_file(name, text, len);
    }
    char *dir = kzt_tempdir();
    const char *paths[] = {src};
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.memory_budget = 2048;
    o.no_merge = 1;
    kzc_build(dir, paths, 1, &o);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_segments(ix), 3);
    static const char *QUERIES[] = {"almaty",
                                    "almaty protests",
                                    "troops almaty police",
                                    "gas internet zhanaozen square",
                                    "+almaty troops",
                                    "almaty -internet",
                                    "\"to almaty\" protests",
                                    "almaty airport closed protests troops internet"};
    for (size_t q = 0; q < sizeof QUERIES / sizeof *QUERIES; q++) {
        compare_algorithms(ix, QUERIES[q], "ties");
        /* The exhaustive order itself: scores never increase, equal scores by increasing id. */
        kz_results *r = run(ix, QUERIES[q], 100, KZ_ALGO_EXHAUSTIVE);
        for (size_t i = 1; i < kz_results_count(r); i++) {
            const kz_hit *a = kz_results_hit(r, i - 1), *b = kz_results_hit(r, i);
            cr_assert(a->score > b->score || (a->score == b->score && a->passage < b->passage),
                      "[%s] hits %zu and %zu out of order", QUERIES[q], i - 1, i);
        }
        kz_results_free(r);
    }
    kz_index_close(ix);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}

/* a and b rank the same passages (by document and offset) with the same scores; where scores
 * tie, passage ids (which differ between the two indexes) may order them differently, so only
 * hits with a score of their own are compared by identity. */
static void assert_same_ranking(const kz_results *a, const kz_results *b, const char *q,
                                const char *what)
{
    size_t n = kz_results_count(a);
    cr_assert_eq(n, kz_results_count(b), "[%s] %s: %zu hits vs %zu", q, what, n,
                 kz_results_count(b));
    for (size_t i = 0; i < n; i++) {
        const kz_hit *x = kz_results_hit(a, i), *y = kz_results_hit(b, i);
        cr_assert(x->score == y->score, "[%s] %s: hit %zu scored %.17g vs %.17g", q, what, i,
                  x->score, y->score);
        int tied = (i > 0 && kz_results_hit(a, i - 1)->score == x->score) ||
                   (i + 1 < n && kz_results_hit(a, i + 1)->score == x->score) || i + 1 == n;
        if (!tied)
            cr_assert(strcmp(x->doc, y->doc) == 0 && x->start == y->start,
                      "[%s] %s: hit %zu is %s@%llu vs %s@%llu", q, what, i, x->doc,
                      (unsigned long long)x->start, y->doc, (unsigned long long)y->start);
    }
}

static void compare_indexes(kz_index *a, kz_index *b, vocab *voc, uint64_t seed, size_t n,
                            const char *what)
{
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        char q[512];
        draw_query(voc, &s, q, sizeof q);
        int algo = (int)(i % 4);
        kz_results *x = run(a, q, 20, algo), *y = run(b, q, 20, algo);
        assert_same_ranking(x, y, q, what);
        kz_results_free(x);
        kz_results_free(y);
    }
}

/* An index grown by many small commits (so that tiered merges run), then updated (documents
 * changed and removed) and finally optimised, ranks like a fresh build of the same files. */
Test(pruning, merged_and_updated_indexes_rank_like_a_fresh_build)
{
    /* One file per paragraph of the seeds: many small documents with distinct text. */
    char *src = kzt_tempdir();
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd '%s' && for f in %s/*.txt; do b=$(basename \"$f\" .txt); "
             "awk -v RS= -v b=\"$b\" '{ f = sprintf(\"%%s-%%03d.txt\", b, NR); print > f; "
             "close(f) }' \"$f\"; done",
             src, kzt_seeds_dir());
    kzc_shell(cmd);
    snprintf(cmd, sizeof cmd, "ls '%s' | LC_ALL=C sort", src);
    char *list = kzt_run(cmd, NULL);
    char *names[512];
    size_t nfiles = 0;
    for (char *l = strtok(list, "\n"); l && nfiles < 512; l = strtok(NULL, "\n"))
        names[nfiles++] = kzt_path(src, l);
    cr_assert_gt(nfiles, 60);

    char *dir = kzt_tempdir();
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, NULL), KZ_OK, "%s", kz_errmsg());
    for (size_t i = 0; i < nfiles; i++) {
        cr_assert_eq(kz_writer_add_path(w, names[i], NULL, NULL), KZ_OK, "%s", kz_errmsg());
        if (i % 3 == 2) cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    /* Change every 7th file, remove every 11th. */
    for (size_t i = 0; i < nfiles; i++) {
        if (i % 11 == 5) {
            cr_assert_eq(remove(names[i]), 0);
            cr_assert_eq(kz_writer_remove_doc(w, names[i]), KZ_OK, "%s", kz_errmsg());
        } else if (i % 7 == 3) {
            size_t len;
            char *old = kzt_read_file(names[i], &len);
            char *now = malloc(len + 64);
            cr_assert_not_null(now);
            int n = snprintf(now, len + 64, "Updated: Almaty troops.\n\n%s", old);
            kzt_write_file(names[i], now, (size_t)n);
            free(old);
            free(now);
            cr_assert_eq(kz_writer_add_path(w, names[i], NULL, NULL), KZ_OK, "%s", kz_errmsg());
        }
        if (i % 20 == 19) cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());

    char *fresh_dir = kzt_tempdir();
    const char *paths[] = {src};
    kzc_build(fresh_dir, paths, 1, NULL);
    kz_index *fresh = kzc_open(fresh_dir), *grown = kzc_open(dir);
    kz_index_stats a, b;
    cr_assert_eq(kz_index_stats_get(&a, fresh), KZ_OK);
    cr_assert_eq(kz_index_stats_get(&b, grown), KZ_OK);
    cr_assert_eq(a.passages, b.passages);
    cr_assert_eq(a.documents, b.documents);
    cr_assert_eq(a.tokens, b.tokens);
    cr_assert_lt(b.segments, nfiles / 3, "tiered merging should have run: %u segments", b.segments);
    vocab voc = vocab_load(fresh);
    compare_indexes(fresh, grown, &voc, 0x6E6E0ULL, 150, "after commits");
    kz_index_close(grown);

    cr_assert_eq(kz_writer_optimize(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    grown = kzc_open(dir);
    cr_assert_eq(kzc_segments(grown), 1);
    cr_assert_eq(kzc_deleted(grown), 0);
    compare_indexes(fresh, grown, &voc, 0x6E6E1ULL, 150, "after optimize");
    vocab_free(&voc);
    kz_index_close(grown);
    kz_index_close(fresh);
    for (size_t i = 0; i < nfiles; i++) free(names[i]);
    free(list);
    kzt_rmtree(fresh_dir);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}

/* Without merging: a commit that drops a segment whose documents were all removed renumbers
 * the later segments, and updating a document of one of them in the same session must still
 * replace it (not leave two versions, nor delete in the wrong segment). */
Test(pruning, updates_after_a_segment_is_dropped_replace_the_right_document)
{
    char *src = kzt_tempdir();
    char *a = kzt_path(src, "a.txt"), *b = kzt_path(src, "b.txt"), *c = kzt_path(src, "c.txt");
    kzt_write_file(a, "Almaty airport closed.\n", 23);
    kzt_write_file(b, "Troops reached Almaty.\n", 23);
    kzt_write_file(c, "Gas prices rose in Zhanaozen.\n", 30);
    char *dir = kzt_tempdir();
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.no_merge = 1;
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, &o), KZ_OK, "%s", kz_errmsg());
    const char *files[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(kz_writer_add_path(w, files[i], NULL, NULL), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_remove_doc(w, a), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kzt_write_file(c, "Gas prices fell in Almaty.\n", 27);
    cr_assert_eq(kz_writer_add_path(w, c, NULL, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_remove_doc(w, b), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    kz_index *ix = kzc_open(dir);
    kz_index_stats st;
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    cr_assert_eq(st.documents, 1);
    cr_assert_eq(st.passages, 1);
    kz_results *r = run(ix, "almaty gas zhanaozen troops airport", 10, KZ_ALGO_EXHAUSTIVE);
    cr_assert_eq(kz_results_count(r), 1);
    cr_assert_str_eq(kz_results_hit(r, 0)->text, "Gas prices fell in Almaty.");
    kz_results_free(r);
    kz_index_close(ix);
    free(a);
    free(b);
    free(c);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}
