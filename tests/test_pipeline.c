/* test_pipeline.c - indexing JSON Lines on worker threads gives exactly the index of a
 * sequential build: the same segment bytes, and the same warnings in the same order, whatever
 * the number of threads. The reference is the sequential path (threads = 1), which analyses in
 * the caller's thread. */
#include "kzsearch.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct warnings {
    char text[65536];
    size_t len;
} warnings;

static void collect(void *ctx, const kz_add_report *report, const char *warning)
{
    (void)report;
    warnings *w = ctx;
    if (warning == NULL) return;
    int n = snprintf(w->text + w->len, sizeof w->text - w->len, "%s\n", warning);
    if (n > 0 && w->len + (size_t)n < sizeof w->text) w->len += (size_t)n;
}

/* A JSON Lines file of about 1.3 MB: more chunks than the workers' slots, and more than one
 * chunk for the sequential path (1 MiB), with blank and broken lines, Chinese and Traditional
 * Chinese, and records of very different sizes. Line i + 1 is broken when i % 97 == 5. */
#define RECORDS 12000
static void write_corpus(const char *path)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    const char *words[] = {"troops",      "Tokayev",    "阿拉木图", "網路",
                           "протест",     "gas",        "prices",   "Almaty",
                           "post-Soviet", "2022-01-06", "CSTO's",   "哈萨克斯坦"};
    unsigned seed = 7;
    for (int i = 0; i < RECORDS; i++) {
        seed = seed * 1103515245u + 12345u;
        if (i % 97 == 5) {
            fputs("{\"id\": \"broken\", \"text\": \"no end\n", f);
            continue;
        }
        if (i % 89 == 3) {
            fputs("   \n", f);
            continue;
        }
        fprintf(f, "{\"id\": \"r%d\", \"lang\": \"%s\", \"title\": \"T%d\", \"text\": \"", i,
                i % 3 ? "en" : "zh", i);
        int n = 5 + (int)(seed >> 16) % (i % 50 == 0 ? 900 : 60);
        for (int k = 0; k < n; k++) {
            seed = seed * 1103515245u + 12345u;
            fprintf(f, "%s%s", k ? " " : "", words[(seed >> 16) % 12]);
        }
        fputs("\"}\n", f);
    }
    fclose(f);
}

static void build(const char *index, const char *corpus, unsigned threads, warnings *w)
{
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.threads = threads;
    kz_writer *wr;
    cr_assert_eq(kz_writer_open(&wr, index, &o), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_add_path(wr, corpus, collect, w), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(wr), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(wr);
}

Test(pipeline, worker_threads_build_the_same_bytes_and_warnings_as_one_thread)
{
    char *dir = kzt_tempdir();
    char *corpus = kzt_path(dir, "corpus.jsonl");
    write_corpus(corpus);
    char *one = kzt_path(dir, "one");
    warnings w1 = {{0}, 0};
    build(one, corpus, 1, &w1);
    size_t corpus_len;
    free(kzt_read_file(corpus, &corpus_len));
    cr_assert_gt(corpus_len, (size_t)1 << 20, "the sequential path reads more than one chunk");
    /* Every broken line is reported with its number, across chunk boundaries. */
    for (int i = 5; i < RECORDS; i += 97) {
        char where[64];
        snprintf(where, sizeof where, "corpus.jsonl:%d:", i + 1);
        cr_assert(strstr(w1.text, where) != NULL, "the broken line %d is reported", i + 1);
    }
    char *seg1 = kzt_path(one, "seg-000001.kzs");
    size_t len1;
    char *bytes1 = kzt_read_file(seg1, &len1);
    for (unsigned threads = 2; threads <= 4; threads++) {
        char name[32];
        snprintf(name, sizeof name, "threads%u", threads);
        char *many = kzt_path(dir, name);
        warnings wn = {{0}, 0};
        build(many, corpus, threads, &wn);
        cr_assert_str_eq(wn.text, w1.text, "warnings with %u threads", threads);
        char *segn = kzt_path(many, "seg-000001.kzs");
        size_t lenn;
        char *bytesn = kzt_read_file(segn, &lenn);
        cr_assert(lenn == len1 && memcmp(bytesn, bytes1, len1) == 0,
                  "the segment built with %u threads differs from the sequential one", threads);
        free(bytesn);
        free(segn);
        free(many);
    }
    free(bytes1);
    free(seg1);
    free(one);
    free(corpus);
    kzt_rmtree(dir);
}
