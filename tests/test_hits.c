/* test_hits.c - whole hits read from segments whose stores have dictionaries: documents added as
 * text (English and Chinese, each with a unique word) are found by that word, and the hit's
 * document name, title, language and text equal what was added (the texts kept in memory are
 * the reference). The index is built in small segments (too small for a dictionary) and then
 * merged into one whose passage and document stores are large enough for one, so both the
 * writer and the merge path of the stores are exercised. */
#include "support/collection.h"
#include "index_internal.h"
#include "segment.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NDOCS 2000

static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* A word no other document has: "zq", i in base 26, and an "x" that no stemming rule removes
 * (without it, "zqis" would stem to "zqi"). */
static void unique_word(char *out, size_t i)
{
    size_t n = 0;
    out[n++] = 'z';
    out[n++] = 'q';
    do {
        out[n++] = (char)('a' + i % 26);
        i /= 26;
    } while (i > 0);
    out[n++] = 'x';
    out[n] = '\0';
}

static void make_text(char *out, size_t cap, size_t i)
{
    static const char *en[] = {"the tokay gecko climbs the wall at night",
                               "search engines keep an inverted index of passages",
                               "a passage is shown with its title and a snippet",
                               "compressed blocks are read back one at a time"};
    static const char *zh[] = {"壁虎在夜里爬上墙", "搜索引擎保存倒排索引",
                               "每个段落都有标题和摘要"};
    char word[16];
    unique_word(word, i);
    size_t n = (size_t)snprintf(out, cap, "Record %s:", word);
    size_t parts = 2 + rnd() % 4;
    for (size_t k = 0; k < parts; k++) {
        const char *s = i % 2 ? zh[rnd() % 3] : en[rnd() % 4];
        n += (size_t)snprintf(out + n, cap - n, " %s%s", s, i % 2 ? "。" : ".");
    }
}

Test(hits, whole_hits_match_the_added_texts_after_a_merge_into_dictionary_stores)
{
    char *dir = kzt_tempdir();
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.memory_budget = 64 * 1024;
    o.no_merge = 1;
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, &o), KZ_OK, "%s", kz_errmsg());
    char(*texts)[400] = calloc(NDOCS, sizeof *texts);
    cr_assert_not_null(texts);
    for (size_t i = 0; i < NDOCS; i++) {
        char name[32], title[64];
        snprintf(name, sizeof name, "doc/%zu", i);
        snprintf(title, sizeof title, "Title %zu of the test records with dictionaries", i);
        make_text(texts[i], sizeof texts[i], i);
        kz_doc_meta meta = {title, NULL, i % 2 ? "zh" : "en", NULL};
        cr_assert_eq(kz_writer_add_text(w, name, texts[i], strlen(texts[i]), &meta), KZ_OK, "%s",
                     kz_errmsg());
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_segments(ix), 1, "the documents are spread over several segments");
    kz_index_close(ix);
    cr_assert_eq(kz_writer_optimize(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);

    ix = kzc_open(dir);
    cr_assert_eq(kzc_segments(ix), 1);
    const kz_segment *seg = ix->segs[0].seg;
    cr_assert_not_null(seg->store.ddict, "the passage store has a dictionary");
    cr_assert_not_null(seg->docs.ddict, "the document records have a dictionary");
    for (size_t i = 0; i < NDOCS; i++) {
        char word[16], name[32], title[64];
        unique_word(word, i);
        snprintf(name, sizeof name, "doc/%zu", i);
        snprintf(title, sizeof title, "Title %zu of the test records with dictionaries", i);
        kz_search_options so = KZ_SEARCH_OPTIONS_INIT;
        so.k = 3;
        kz_results *r = NULL;
        cr_assert_eq(kz_search(&r, ix, word, strlen(word), &so), KZ_OK, "%s: %s", word,
                     kz_errmsg());
        cr_assert_eq(kz_results_count(r), 1, "%s: %zu hits", word, kz_results_count(r));
        const kz_hit *h = kz_results_hit(r, 0);
        cr_assert_str_eq(h->doc, name);
        cr_assert_str_eq(h->title, title);
        cr_assert_str_eq(h->lang, i % 2 ? "zh" : "en");
        cr_assert_eq(h->text_len, strlen(texts[i]), "%s", name);
        cr_assert_eq(memcmp(h->text, texts[i], h->text_len), 0, "%s", name);
        cr_assert_geq(h->ntext_highlights, 1);
        cr_assert_eq(memcmp(h->text + h->text_highlights[0].start, word, strlen(word)), 0);
        kz_results_free(r);
    }
    kz_index_close(ix);
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    free(texts);
    kzt_rmtree(dir);
}
