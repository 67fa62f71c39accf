/* test_quality.c - search quality for words the analyzer splits or segments (issue 7): a
 * one-word query such as `post-Soviet`, `Kassym-Jomart` or `U.S.` returns exactly the passages
 * that contain that word; Chinese words find the longer words that contain them (`哈萨克` finds
 * `哈萨克斯坦`) and every passage that has them (`阿拉木图`); Traditional and Simplified forms
 * (`網路`, `网路`) find each other.
 *
 * The truth is the stored passage text scanned here: "contains" is a substring test (ASCII case
 * folded), independent of the analyzer and the index. Besides the seed articles, a small text
 * adds `U.S.` next to the look-alikes `US` and `us`, which must not match it. */
#include "kzsearch.h"
#include "support.h"
#include "support/collection.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char EXTRA[] = "The U.S. embassy in Almaty asked its citizens to stay at home.\n\n"
                            "Let us not forget the victims of January.\n\n"
                            "The US army was not involved, a spokesman said.\n\n"
                            "Washington (U.S.) said it was watching closely.\n";

typedef struct collection {
    char *dir, *src;
    kz_index *ix;
    kzc_passage *p;
    size_t n;
} collection;

static collection open_seeds_and_extra(void)
{
    collection c;
    c.src = kzt_tempdir();
    char *file = kzt_path(c.src, "extra.txt");
    kzt_write_file(file, EXTRA, sizeof EXTRA - 1);
    free(file);
    c.dir = kzt_tempdir();
    const char *paths[] = {kzt_seeds_dir(), c.src};
    kzc_build(c.dir, paths, 2, NULL);
    c.ix = kzc_open(c.dir);
    c.p = kzc_passages(c.ix, &c.n);
    return c;
}

static void close_collection(collection *c)
{
    kzc_passages_free(c->p, c->n);
    kz_index_close(c->ix);
    kzt_rmtree(c->dir);
    kzt_rmtree(c->src);
}

static kz_results *search_all(kz_index *ix, const char *q)
{
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = 10000;
    return kzc_search(ix, q, &o);
}

static int in_results(const kz_results *r, uint64_t id)
{
    for (size_t i = 0; i < kz_results_count(r); i++)
        if (kz_results_hit(r, i)->passage == id) return 1;
    return 0;
}

/* Every hit of query contains hit_needle (NULL: no check), every passage containing
 * must_find is a hit, and at least min passages contain must_find. */
static void check(const collection *c, const char *query, const char *hit_needle,
                  const char *must_find, size_t min)
{
    kz_results *r = search_all(c->ix, query);
    for (size_t i = 0; i < kz_results_count(r); i++) {
        const kz_hit *h = kz_results_hit(r, i);
        if (hit_needle)
            cr_assert(kzc_contains_nocase(h->text, h->text_len, hit_needle),
                      "[%s] hit %zu does not contain %s: %s", query, i, hit_needle, h->text);
    }
    size_t having = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (!kzc_contains_nocase(c->p[i].text, c->p[i].len, must_find)) continue;
        having++;
        cr_assert(in_results(r, c->p[i].id), "[%s] misses passage %llu, which contains %s: %s",
                  query, (unsigned long long)c->p[i].id, must_find, c->p[i].text);
    }
    cr_assert_geq(having, min, "only %zu passages contain %s", having, must_find);
    kz_results_free(r);
}

Test(quality, split_words_find_exactly_the_passages_containing_them)
{
    collection c = open_seeds_and_extra();
    check(&c, "post-Soviet", "post-soviet", "post-soviet", 1);
    check(&c, "Kassym-Jomart", "kassym-jomart", "kassym-jomart", 2);
    check(&c, "U.S.", "u.s.", "u.s.", 2);
    /* Other spellings of the same word find the same passages. */
    check(&c, "POST-SOVIET", "post-soviet", "post-soviet", 1);
    check(&c, "kassym-jomart", "kassym-jomart", "kassym-jomart", 2);
    check(&c, "u.s.", "u.s.", "u.s.", 2);
    close_collection(&c);
}

Test(quality, a_split_word_keeps_its_meaning_among_other_words)
{
    collection c = open_seeds_and_extra();
    /* Required, the split word still means the whole word. */
    check(&c, "+U.S. embassy", "u.s.", "u.s.", 2);
    check(&c, "+post-Soviet states", "post-soviet", "post-soviet", 1);
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = 100;
    o.default_and = 1;
    kz_results *r = kzc_search(c.ix, "Kassym-Jomart Tokayev", &o);
    cr_assert_gt(kz_results_count(r), 0);
    for (size_t i = 0; i < kz_results_count(r); i++) {
        const kz_hit *h = kz_results_hit(r, i);
        cr_assert(kzc_contains_nocase(h->text, h->text_len, "kassym-jomart"), "%s", h->text);
    }
    kz_results_free(r);
    close_collection(&c);
}

Test(quality, chinese_words_find_every_passage_containing_them)
{
    collection c = open_seeds_and_extra();
    check(&c, "阿拉木图", "阿拉木图", "阿拉木图", 3);
    /* A shorter word finds the longer words that contain it. */
    check(&c, "哈萨克", "哈萨克", "哈萨克斯坦", 3);
    check(&c, "哈萨克", "哈萨克", "哈萨克", 3);
    check(&c, "哈萨克斯坦", "哈萨克斯坦", "哈萨克斯坦", 3);
    close_collection(&c);
}

Test(quality, traditional_and_simplified_find_each_other)
{
    static const char TEXT[] = "網路在阿拉木圖被切斷了五天。\n\n"
                               "网路中断后,阿拉木图的银行也关门了。\n\n"
                               "这一段没有那个词。\n";
    char *src = kzt_tempdir();
    char *file = kzt_path(src, "zh.txt");
    kzt_write_file(file, TEXT, sizeof TEXT - 1);
    free(file);
    char *dir = kzt_tempdir();
    const char *paths[] = {src};
    kzc_build(dir, paths, 1, NULL);
    kz_index *ix = kzc_open(dir);
    const char *queries[] = {"網路", "网路", "阿拉木圖", "阿拉木图"};
    for (size_t q = 0; q < 4; q++) {
        kz_results *r = search_all(ix, queries[q]);
        cr_assert_eq(kz_results_count(r), 2, "[%s] %zu hits", queries[q], kz_results_count(r));
        int trad = 0, simp = 0;
        for (size_t i = 0; i < 2; i++) {
            const char *t = kz_results_hit(r, i)->text;
            trad |= strstr(t, "網路") != NULL;
            simp |= strstr(t, "网路") != NULL;
        }
        cr_assert(trad && simp, "[%s] should find both forms", queries[q]);
        kz_results_free(r);
    }
    kz_index_close(ix);
    kzt_rmtree(dir);
    kzt_rmtree(src);
}

/* ---- snippets and highlights ---- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t utf8_char(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80) return 1;
    size_t w = s[0] >= 0xF0 && s[0] <= 0xF4 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC2 ? 2 : 0;
    if (w == 0 || w > n || (s[0] >= 0xF8)) return 0;
    for (size_t i = 1; i < w; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return w;
}

static int valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t w = utf8_char((const unsigned char *)s + i, n - i);
        if (w == 0) return 0;
        i += w;
    }
    return 1;
}

/* Whether offset is at a character boundary of text. */
static int boundary(const char *text, size_t len, size_t offset)
{
    return offset == 0 || offset == len || ((unsigned char)text[offset] & 0xC0) != 0x80;
}

static int term_in(const kzc_term *t, size_t n, const char *term)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].term, term) == 0) return 1;
    return 0;
}

/* Whether term starts with one of the (ASCII, lower-case) prefixes written `word*` in q. */
static int prefix_in(const char *q, const char *term)
{
    for (const char *star = strchr(q, '*'); star; star = strchr(star + 1, '*')) {
        const char *w = star;
        while (w > q && w[-1] != ' ') w--;
        if (strncmp(term, w, (size_t)(star - w)) == 0) return 1;
    }
    return 0;
}

static void check_snippets(kz_index *ix, const char *q, uint32_t snippet_bytes)
{
    size_t nq1, nq2;
    kzc_term *qa = kzc_analyze(q, strlen(q), 1, &nq1), *qb = kzc_analyze(q, strlen(q), 0, &nq2);
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = 30;
    o.snippet_bytes = snippet_bytes;
    kz_results *r = kzc_search(ix, q, &o);
    for (size_t i = 0; i < kz_results_count(r); i++) {
        const kz_hit *h = kz_results_hit(r, i);
        cr_assert_eq(strlen(h->text), h->text_len, "[%s] text has a NUL", q);
        cr_assert_leq(h->snippet_offset + h->snippet_len, h->text_len);
        cr_assert_eq(memcmp(h->snippet, h->text + h->snippet_offset, h->snippet_len), 0,
                     "[%s] the snippet is not the text at its offset", q);
        cr_assert(valid_utf8(h->snippet, h->snippet_len), "[%s] snippet is not UTF-8: %.*s", q,
                  (int)h->snippet_len, h->snippet);
        cr_assert(boundary(h->text, h->text_len, h->snippet_offset) &&
                      boundary(h->text, h->text_len, h->snippet_offset + h->snippet_len),
                  "[%s] snippet cut inside a character", q);
        size_t in_snippet = 0;
        for (size_t j = 0; j < h->ntext_highlights; j++) {
            kz_range g = h->text_highlights[j];
            cr_assert(g.start < g.end && g.end <= h->text_len, "[%s] bad range %u-%u", q, g.start,
                      g.end);
            cr_assert(j == 0 || h->text_highlights[j - 1].end <= g.start,
                      "[%s] highlights overlap or are unsorted", q);
            cr_assert(boundary(h->text, h->text_len, g.start) &&
                          boundary(h->text, h->text_len, g.end),
                      "[%s] highlight cut inside a character", q);
            /* The highlighted text is (or contains) a query term. */
            size_t nt;
            kzc_term *t = kzc_analyze(h->text + g.start, g.end - g.start, 0, &nt);
            int ok = 0;
            for (size_t k = 0; k < nt && !ok; k++)
                ok = term_in(qa, nq1, t[k].term) || term_in(qb, nq2, t[k].term) ||
                     prefix_in(q, t[k].term);
            cr_assert(ok, "[%s] highlight \"%.*s\" is no query term", q, (int)(g.end - g.start),
                      h->text + g.start);
            kzc_terms_free(t, nt);
            if (g.start >= h->snippet_offset && g.end <= h->snippet_offset + h->snippet_len) {
                cr_assert_lt(in_snippet, h->nhighlights, "[%s] a highlight is missing", q);
                kz_range s = h->highlights[in_snippet++];
                cr_assert(s.start + h->snippet_offset == g.start &&
                              s.end + h->snippet_offset == g.end,
                          "[%s] snippet highlight %u-%u is not text range %u-%u", q, s.start, s.end,
                          g.start, g.end);
            }
        }
        cr_assert_eq(in_snippet, h->nhighlights, "[%s] extra highlights in the snippet", q);
        /* A hit that matched shows at least one match (phrases and words alike). */
        cr_assert_gt(h->ntext_highlights, 0, "[%s] hit %zu has no highlight: %s", q, i, h->text);
    }
    kz_results_free(r);
    kzc_terms_free(qa, nq1);
    kzc_terms_free(qb, nq2);
}

Test(quality, snippets_are_whole_characters_and_highlights_are_query_terms)
{
    collection c = open_seeds_and_extra();
    const char *queries[] = {"CSTO troops",     "阿拉木图",          "哈萨克",
                             "Телеканал Дождь", "\"shoot to kill\"", "Kassym-Jomart",
                             "U.S. embassy",    "kazakh* almaty",    "互联网 审查",
                             "独立记者 逮捕",   "集体安全条约组织",  "Tokayev -Putin"};
    static const uint32_t SIZES[] = {1, 17, 120, 240, 5000};
    for (size_t i = 0; i < sizeof queries / sizeof *queries; i++)
        for (size_t z = 0; z < sizeof SIZES / sizeof *SIZES; z++)
            check_snippets(c.ix, queries[i], SIZES[z]);
    close_collection(&c);
}

/* Every Chinese word of bench/queries-seeds.tsv, alone: exactly the passages that contain it. */
Test(quality, each_chinese_query_word_finds_exactly_the_passages_containing_it)
{
    collection c = open_seeds_and_extra();
    static const char *WORDS[] = {
        "阿拉木图",         "哈萨克斯坦", "起义", "托卡耶夫", "纳扎尔巴耶夫",
        "集体安全条约组织", "独立记者",   "逮捕", "互联网",   "审查"};
    for (size_t i = 0; i < sizeof WORDS / sizeof *WORDS; i++)
        check(&c, WORDS[i], WORDS[i], WORDS[i], 1);
    close_collection(&c);
}
