/* index.c - whole-index test helpers (see support_index.h).
 *
 * The vocabulary is chosen to exercise every route of the analyzer (stems shared by several
 * English forms, Russian inflections, Chinese words inside longer words, Traditional forms,
 * numbers, words the query parser turns into phrases), and the query set touches each of them. */
#include "support_index.h"

#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

uint64_t kzt_rand(kzt_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

uint32_t kzt_below(kzt_rng *r, uint32_t n)
{
    return (uint32_t)(kzt_rand(r) % n);
}

static const char *const vocabulary[] = {
    "search",     "searching",   "searched", "engine",   "engines",    "index",
    "indexes",    "indexing",    "passage",  "passages", "ranking",    "ranked",
    "query",      "queries",     "score",    "scoring",  "document",   "the",
    "and",        "of",          "a",        "quick",    "brown",      "fox",
    "lazy",       "dog",         "jumps",    "running",  "runs",       "runner",
    "connection", "connected",   "troops",   "treaty",   "CSTO",       "Kazakhstan",
    "Almaty",     "post-Soviet", "U.S.",     "don't",    "e-mail",     "2021",
    "3.14",       "42",          "поиск",    "поиска",   "поисковый",  "индекс",
    "документ",   "Казахстан",   "войска",   "договор",  "哈萨克斯坦", "中华人民共和国",
    "搜索引擎",   "我们",        "北京大学", "軍隊",     "條約",       "的",
    "Ω",          "naïve",       "Straße",   "ÉCOLE",
};

const char *kzt_random_word(kzt_rng *r)
{
    return vocabulary[kzt_below(r, sizeof vocabulary / sizeof *vocabulary)];
}

char *kzt_random_text(kzt_rng *r, int paragraphs, size_t *len)
{
    size_t nvocab = sizeof vocabulary / sizeof *vocabulary;
    size_t cap = 256, n = 0;
    char *out = malloc(cap);
    cr_assert_not_null(out);
    for (int p = 0; p < paragraphs; p++) {
        /* Mostly short paragraphs; now and then one longer than a passage may be. */
        uint32_t words = kzt_below(r, 10) == 0 ? 300 + kzt_below(r, 300) : 2 + kzt_below(r, 30);
        for (uint32_t w = 0; w < words; w++) {
            /* Skewed choice: low indexes are frequent, as in real text. */
            uint32_t a = kzt_below(r, (uint32_t)nvocab), b = kzt_below(r, (uint32_t)nvocab);
            const char *word = vocabulary[a < b ? a : b];
            const char *sep = w + 1 == words ? "" : (kzt_below(r, 12) == 0 ? ", " : " ");
            size_t need = strlen(word) + strlen(sep) + 4;
            while (n + need >= cap) {
                cap *= 2;
                out = realloc(out, cap);
                cr_assert_not_null(out);
            }
            n += (size_t)sprintf(out + n, "%s%s", word, sep);
        }
        if (p + 1 < paragraphs) n += (size_t)sprintf(out + n, ".\n\n");
    }
    out[n] = '\0';
    if (len) *len = n;
    return out;
}

const char *const kzt_queries[] = {
    "search",
    "running",
    "index passage",
    "\"quick brown\"",
    "\"the lazy dog\"",
    "+search -engine",
    "troops OR treaty",
    "conn*",
    "ind*",
    "Kazakhstan CSTO",
    "post-Soviet",
    "U.S.",
    "2021",
    "поиск",
    "Казахстан войска",
    "哈萨克斯坦",
    "搜索",
    "军队",
    "naive strasse",
    "ecole",
    "fox AND dog",
    "(score OR ranking) document",
    "date:2021-01-01..2021-12-31 search",
};
const size_t kzt_nqueries = sizeof kzt_queries / sizeof *kzt_queries;

/* Far more than the test collections match, so every query returns all its hits. */
#define STATE_K 5000

static char *dup_n(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    cr_assert_not_null(d);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static int cmp_hit(const void *a, const void *b)
{
    const kzt_hit *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    int c = strcmp(x->doc, y->doc);
    if (c != 0) return c;
    return (x->start > y->start) - (x->start < y->start);
}

int kzt_state_take(kzt_state *out, const char *dir)
{
    return kzt_state_take_queries(out, dir, kzt_queries, kzt_nqueries);
}

int kzt_state_take_queries(kzt_state *out, const char *dir, const char *const *queries,
                           size_t nqueries)
{
    memset(out, 0, sizeof *out);
    kz_index *ix = NULL;
    int rc = kz_index_open(&ix, dir);
    if (rc != KZ_OK) return rc;
    rc = kz_index_stats_get(&out->stats, ix);
    out->nhits = calloc(nqueries + 1, sizeof *out->nhits);
    out->hits = calloc(nqueries + 1, sizeof *out->hits);
    cr_assert(out->nhits && out->hits);
    out->nqueries = nqueries;
    out->queries = queries;
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    opts.k = STATE_K;
    for (size_t q = 0; q < nqueries && rc == KZ_OK; q++) {
        kz_results *res = NULL;
        rc = kz_search(&res, ix, queries[q], strlen(queries[q]), &opts);
        if (rc != KZ_OK) break;
        size_t n = kz_results_count(res);
        cr_assert_lt(n, (size_t)STATE_K, "query %s matched too much for a test", queries[q]);
        out->nhits[q] = n;
        out->hits[q] = calloc(n + 1, sizeof *out->hits[q]);
        cr_assert_not_null(out->hits[q]);
        for (size_t i = 0; i < n; i++) {
            const kz_hit *h = kz_results_hit(res, i);
            kzt_hit *o = &out->hits[q][i];
            o->doc = dup_n(h->doc, strlen(h->doc));
            o->start = h->start;
            o->end = h->end;
            o->score = h->score;
            o->text = dup_n(h->text, h->text_len);
        }
        qsort(out->hits[q], n, sizeof *out->hits[q], cmp_hit);
        kz_results_free(res);
    }
    kz_index_close(ix);
    if (rc != KZ_OK) kzt_state_free(out);
    return rc;
}

void kzt_state_free(kzt_state *s)
{
    for (size_t q = 0; q < s->nqueries; q++) {
        for (size_t i = 0; s->hits[q] && i < s->nhits[q]; i++) {
            free(s->hits[q][i].doc);
            free(s->hits[q][i].text);
        }
        free(s->hits[q]);
    }
    free(s->hits);
    free(s->nhits);
    memset(s, 0, sizeof *s);
}

static int close_enough(double a, double b)
{
    double m = fabs(a) > fabs(b) ? fabs(a) : fabs(b);
    return fabs(a - b) <= 1e-9 * (m > 1 ? m : 1);
}

int kzt_state_equal(const kzt_state *a, const kzt_state *b, int same_layout, char *why,
                    size_t why_len)
{
    char scratch[8];
    if (why == NULL) {
        why = scratch;
        why_len = sizeof scratch;
    }
    const kz_index_stats *x = &a->stats, *y = &b->stats;
    if (x->documents != y->documents || x->passages != y->passages || x->tokens != y->tokens ||
        !close_enough(x->avg_passage_len, y->avg_passage_len)) {
        snprintf(why, why_len,
                 "statistics differ: %llu/%llu documents, %llu/%llu passages, %llu/%llu tokens",
                 (unsigned long long)x->documents, (unsigned long long)y->documents,
                 (unsigned long long)x->passages, (unsigned long long)y->passages,
                 (unsigned long long)x->tokens, (unsigned long long)y->tokens);
        return 0;
    }
    if (same_layout && (x->segments != y->segments || x->terms != y->terms)) {
        snprintf(why, why_len, "layout differs: %u/%u segments, %llu/%llu terms", x->segments,
                 y->segments, (unsigned long long)x->terms, (unsigned long long)y->terms);
        return 0;
    }
    if (a->nqueries != b->nqueries) {
        snprintf(why, why_len, "query sets differ");
        return 0;
    }
    for (size_t q = 0; q < a->nqueries; q++) {
        if (a->nhits[q] != b->nhits[q]) {
            snprintf(why, why_len, "query %s: %zu vs %zu hits", a->queries[q], a->nhits[q],
                     b->nhits[q]);
            return 0;
        }
        for (size_t i = 0; i < a->nhits[q]; i++) {
            const kzt_hit *h = &a->hits[q][i], *k = &b->hits[q][i];
            if (strcmp(h->doc, k->doc) != 0 || h->start != k->start || h->end != k->end ||
                strcmp(h->text, k->text) != 0 || !close_enough(h->score, k->score)) {
                snprintf(why, why_len,
                         "query %s, hit %zu: %s [%llu,%llu) score %.17g vs %s [%llu,%llu) score "
                         "%.17g",
                         a->queries[q], i, h->doc, (unsigned long long)h->start,
                         (unsigned long long)h->end, h->score, k->doc, (unsigned long long)k->start,
                         (unsigned long long)k->end, k->score);
                return 0;
            }
        }
    }
    return 1;
}

void kzt_copy_dir(const char *src, const char *dst)
{
    size_t n = strlen(src) + strlen(dst) + 32;
    char *cmd = malloc(n);
    cr_assert_not_null(cmd);
    snprintf(cmd, n, "cp -r '%s' '%s'", src, dst);
    int status = -1;
    free(kzt_run(cmd, &status));
    cr_assert_eq(status, 0, "%s failed", cmd);
    free(cmd);
}

void kzt_build_texts(const char *dir, const kz_writer_options *opts, size_t n,
                     const char *const *names, const char *const *texts)
{
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, opts), KZ_OK, "%s", kz_errmsg());
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(kz_writer_add_text(w, names[i], texts[i], strlen(texts[i]), NULL), KZ_OK, "%s",
                     kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
}
