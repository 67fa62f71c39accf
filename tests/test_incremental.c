/* test_incremental.c - an index updated incrementally equals a fresh build of the same files:
 * same passages, same statistics (collection counts and every term's live df and cf), same
 * scores for every query; and an index of many segments scores exactly as its optimised
 * single segment.
 *
 * The reference is a second index built from scratch from the source tree as it stands after
 * each round of changes; the rounds add, change (content and mtime), delete and merely touch
 * plain-text and JSON Lines files, and the writer's report is checked against the test's own
 * bookkeeping of what it changed. */
#include "index_internal.h"
#include "pairs.h"
#include "support.h"
#include "support_index.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NFILES 24

/* Writes file i of the source tree: plain text, or JSON Lines for every fourth file. */
static void write_source(const char *src, int i, kzt_rng *r, long mtime)
{
    char name[64];
    int jsonl = i % 4 == 3;
    snprintf(name, sizeof name, "%s/f%02d.%s", i % 3 == 0 ? "sub" : ".", i,
             jsonl ? "jsonl" : "txt");
    char *path = kzt_path(src, name);
    size_t len;
    char *text = NULL;
    if (!jsonl) {
        text = kzt_random_text(r, 1 + (int)kzt_below(r, 5), &len);
    } else {
        kz_buf out = KZ_BUF_INIT;
        int lines = 1 + (int)kzt_below(r, 4);
        for (int l = 0; l < lines; l++) {
            char *t = kzt_random_text(r, 1 + (int)kzt_below(r, 2), NULL);
            char head[96];
            snprintf(head, sizeof head,
                     "{\"id\": \"f%02d-%d\", \"date\": \"2021-0%d-1%d\", \"text\": \"", i, l, 1 + l,
                     l);
            cr_assert_eq(kz_buf_append_str(&out, head), KZ_OK);
            for (char *p = t; *p; p++) {
                if (*p == '\n')
                    cr_assert_eq(kz_buf_append_str(&out, "\\n"), KZ_OK);
                else
                    cr_assert_eq(kz_buf_append_u8(&out, (uint8_t)*p), KZ_OK);
            }
            cr_assert_eq(kz_buf_append_str(&out, "\"}\n"), KZ_OK);
            free(t);
        }
        cr_assert_eq(kz_buf_terminate(&out), KZ_OK);
        text = (char *)out.data;
        len = out.len;
    }
    kzt_write_file(path, text, len);
    struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
    cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
    free(text);
    free(path);
}

static char *source_path(const char *src, int i)
{
    char name[64];
    snprintf(name, sizeof name, "%s/f%02d.%s", i % 3 == 0 ? "sub" : ".", i,
             i % 4 == 3 ? "jsonl" : "txt");
    return kzt_path(src, name);
}

static void index_tree(const char *dir, const char *src, const kz_writer_options *opts)
{
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, opts), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_add_path(w, src, NULL, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
}

typedef struct counter {
    kz_add_report last;
} counter;

static void on_progress(void *ctx, const kz_add_report *report, const char *warning)
{
    counter *c = ctx;
    c->last = *report;
    cr_assert_null(warning, "unexpected warning: %s", warning);
}

/* Every word of b's segments has the same live df and cf in a and b. (Word-pair terms depend
 * on how passages fall into segments, and no statistic is taken from them: they are left out;
 * the searches compared elsewhere in these tests cover them.) */
static void same_term_stats(const char *a_dir, const char *b_dir)
{
    kz_index *a = NULL, *b = NULL;
    cr_assert_eq(kz_index_open(&a, a_dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_index_open(&b, b_dir), KZ_OK, "%s", kz_errmsg());
    for (int pass = 0; pass < 2; pass++) {
        kz_index *from = pass ? a : b;
        for (uint32_t s = 0; s < from->nsegs; s++) {
            kz_termdict_iter it;
            cr_assert_eq(kz_termdict_iter_init(&it, &from->segs[s].seg->terms, NULL, 0), KZ_OK);
            const char *term;
            size_t len;
            kz_term_info info;
            int rc;
            while ((rc = kz_termdict_iter_next(&it, &term, &len, &info)) == KZ_OK) {
                if ((unsigned char)term[0] == KZ_PAIR_MARK) continue;
                uint64_t adf, acf, bdf, bcf;
                cr_assert_eq(kz_index_term_stats(a, term, len, &adf, &acf, NULL), KZ_OK);
                cr_assert_eq(kz_index_term_stats(b, term, len, &bdf, &bcf, NULL), KZ_OK);
                cr_assert(adf == bdf && acf == bcf,
                          "term %.*s: incremental df/cf %llu/%llu, fresh %llu/%llu", (int)len, term,
                          (unsigned long long)adf, (unsigned long long)acf, (unsigned long long)bdf,
                          (unsigned long long)bcf);
            }
            cr_assert_eq(rc, KZ_ITEROVER);
        }
    }
    kz_index_close(a);
    kz_index_close(b);
}

/* One live passage, as a line of text: document, line, range, length in tokens, text. */
static char *passage_line(const kz_segment *seg, uint32_t p, kz_store_reader *passages,
                          kz_store_reader *docs)
{
    kz_passage_record rec;
    cr_assert_eq(kz_segment_passage(seg, passages, p, &rec), KZ_OK, "%s", kz_errmsg());
    uint32_t d;
    kz_doc_entry e;
    cr_assert_eq(kz_segment_passage_doc(seg, p, &d), KZ_OK);
    cr_assert_eq(kz_segment_doc(seg, docs, d, &e), KZ_OK);
    size_t n = e.name_len + e.title_len + e.date_len + rec.text_len + 128;
    char *line = malloc(n);
    cr_assert_not_null(line);
    snprintf(line, n, "%.*s|%.*s|%.*s|%u|%llu|%llu|%u|%.*s", (int)e.name_len, e.name,
             (int)e.title_len, e.title, (int)e.date_len, e.date, rec.line,
             (unsigned long long)rec.start, (unsigned long long)rec.end,
             kz_length(&seg->lengths, p), (int)rec.text_len, rec.text);
    return line;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every live passage of the index in dir, as sorted lines; *n gets their number. */
static char **live_passages(const char *dir, size_t *n)
{
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, dir), KZ_OK, "%s", kz_errmsg());
    size_t cap = 64;
    char **lines = malloc(cap * sizeof *lines);
    cr_assert_not_null(lines);
    *n = 0;
    for (uint32_t s = 0; s < ix->nsegs; s++) {
        const kz_index_segment *is = &ix->segs[s];
        kz_store_reader passages, docs;
        kz_segment_passage_reader(is->seg, &passages);
        kz_segment_doc_reader(is->seg, &docs);
        for (uint32_t p = 0; p < is->seg->npassages; p++) {
            if (kz_deletes_has(is->dels.bits ? &is->dels : NULL, p)) continue;
            if (*n == cap) {
                cap *= 2;
                lines = realloc(lines, cap * sizeof *lines);
                cr_assert_not_null(lines);
            }
            lines[(*n)++] = passage_line(is->seg, p, &passages, &docs);
        }
        kz_store_reader_free(&passages);
        kz_store_reader_free(&docs);
    }
    kz_index_close(ix);
    qsort(lines, *n, sizeof *lines, cmp_str);
    return lines;
}

/* The two indexes hold the same live passages: documents, metadata, ranges, lengths, texts. */
static void same_passages(const char *a_dir, const char *b_dir)
{
    size_t na, nb;
    char **a = live_passages(a_dir, &na), **b = live_passages(b_dir, &nb);
    cr_assert_eq(na, nb, "%zu live passages, fresh build %zu", na, nb);
    for (size_t i = 0; i < na; i++)
        cr_assert_str_eq(a[i], b[i], "passage %zu differs from the fresh build's", i);
    for (size_t i = 0; i < na; i++) {
        free(a[i]);
        free(b[i]);
    }
    free(a);
    free(b);
}

static void assert_same_as_fresh(const char *dir, const char *src, int round)
{
    char *fresh = kzt_tempdir();
    index_tree(fresh, src, NULL);
    kzt_state a, b;
    cr_assert_eq(kzt_state_take(&a, dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kzt_state_take(&b, fresh), KZ_OK, "%s", kz_errmsg());
    char why[512];
    cr_assert(kzt_state_equal(&a, &b, 0, why, sizeof why), "round %d: incremental != fresh: %s",
              round, why);
    cr_assert_gt(a.stats.passages, 0);
    same_term_stats(dir, fresh);
    same_passages(dir, fresh);
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    kzt_state_free(&a);
    kzt_state_free(&b);
    kzt_rmtree(fresh);
}

static void run_rounds(const kz_writer_options *opts, uint64_t seed)
{
    kzt_rng r = {seed};
    char *src = kzt_tempdir();
    char *dir = kzt_tempdir();
    char *sub = kzt_path(src, "sub");
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(sub);
    int exists[NFILES + 8] = {0};
    long clock = 1600000000;
    for (int i = 0; i < NFILES; i++) {
        write_source(src, i, &r, clock);
        exists[i] = 1;
    }
    index_tree(dir, src, opts);
    assert_same_as_fresh(dir, src, 0);
    for (int round = 1; round <= 4; round++) {
        clock += 100;
        uint64_t added = 0, updated = 0, removed = 0, unchanged = 0;
        for (int i = 0; i < NFILES + 8; i++) {
            uint32_t what = kzt_below(&r, 8);
            char *path = source_path(src, i);
            if (!exists[i]) {
                if (what < 3) {
                    write_source(src, i, &r, clock);
                    exists[i] = 1;
                    added++;
                }
            } else if (what == 0) {
                cr_assert_eq(unlink(path), 0);
                exists[i] = 0;
                removed++;
            } else if (what == 1) {
                write_source(src, i, &r, clock);
                updated++;
            } else if (what == 2) { /* touched: new mtime, same bytes */
                struct timespec ts[2] = {{clock, 0}, {clock, 0}};
                cr_assert_eq(utimensat(AT_FDCWD, path, ts, 0), 0);
                unchanged++;
            } else {
                unchanged++;
            }
            free(path);
        }
        kz_writer *w = NULL;
        cr_assert_eq(kz_writer_open(&w, dir, opts), KZ_OK, "%s", kz_errmsg());
        counter c = {{0}};
        cr_assert_eq(kz_writer_add_path(w, src, on_progress, &c), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(c.last.files_added, added, "round %d", round);
        cr_assert_eq(c.last.files_updated, updated, "round %d", round);
        cr_assert_eq(c.last.files_removed, removed, "round %d", round);
        cr_assert_eq(c.last.files_unchanged, unchanged, "round %d", round);
        cr_assert_eq(c.last.files_skipped, 0);
        /* A second walk in the same session finds nothing to do. */
        cr_assert_eq(kz_writer_add_path(w, src, on_progress, &c), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(c.last.files_unchanged, c.last.files_seen);
        cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
        kz_writer_close(w);
        assert_same_as_fresh(dir, src, round);
    }
    kzt_rmtree(src);
    kzt_rmtree(dir);
}

Test(incremental, changed_files_give_the_index_of_a_fresh_build)
{
    run_rounds(NULL, 1);
}

Test(incremental, changed_files_in_many_small_segments_give_the_index_of_a_fresh_build)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 6 * 1024;
    opts.no_merge = 1;
    run_rounds(&opts, 2);
}

Test(incremental, changed_files_with_merges_give_the_index_of_a_fresh_build)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 3 * 1024;
    run_rounds(&opts, 3);
}

/* Texts added, replaced and removed over several commits of one writer, against one build of
 * the final texts. */
Test(incremental, replaced_and_removed_texts_give_the_index_of_a_fresh_build)
{
    enum { N = 30 };
    kzt_rng r = {7};
    char *dir = kzt_tempdir();
    char *names[N], *texts[N] = {0};
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 5 * 1024;
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, &opts), KZ_OK, "%s", kz_errmsg());
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "text-%02d", i);
        names[i] = strdup(name);
    }
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < N; i++) {
            uint32_t what = kzt_below(&r, 5);
            if (round == 0 || what == 0) {
                free(texts[i]);
                size_t len;
                texts[i] = kzt_random_text(&r, 1 + (int)kzt_below(&r, 3), &len);
                cr_assert_eq(kz_writer_add_text(w, names[i], texts[i], len, NULL), KZ_OK, "%s",
                             kz_errmsg());
            } else if (what == 1 && texts[i]) {
                free(texts[i]);
                texts[i] = NULL;
                cr_assert_eq(kz_writer_remove_doc(w, names[i]), KZ_OK, "%s", kz_errmsg());
            }
        }
        if (round % 2 == 1) cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);

    char *fresh = kzt_tempdir();
    const char *fn[N], *ft[N];
    size_t n = 0;
    for (int i = 0; i < N; i++)
        if (texts[i]) {
            fn[n] = names[i];
            ft[n++] = texts[i];
        }
    kzt_build_texts(fresh, NULL, n, fn, ft);
    kzt_state a, b;
    cr_assert_eq(kzt_state_take(&a, dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kzt_state_take(&b, fresh), KZ_OK, "%s", kz_errmsg());
    char why[512];
    cr_assert(kzt_state_equal(&a, &b, 0, why, sizeof why), "%s", why);
    cr_assert_eq(a.stats.documents, n);
    same_term_stats(dir, fresh);
    same_passages(dir, fresh);
    kzt_state_free(&a);
    kzt_state_free(&b);
    for (int i = 0; i < N; i++) {
        free(names[i]);
        free(texts[i]);
    }
    kzt_rmtree(fresh);
    kzt_rmtree(dir);
}

/* Many segments (small budget, no merging) against the same collection optimised into one
 * segment, for the fixed query set and a few hundred random queries of one to three words. */
Test(incremental, many_segments_and_one_optimized_segment_give_identical_scores)
{
    enum { N = 40, NQ = 300 };
    kzt_rng r = {99};
    char *names[N], *texts[N];
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "doc-%02d", i);
        names[i] = strdup(name);
        texts[i] = kzt_random_text(&r, 1 + (int)kzt_below(&r, 4), NULL);
    }
    char *queries[NQ + 64];
    size_t nq = 0;
    for (size_t q = 0; q < kzt_nqueries; q++) queries[nq++] = strdup(kzt_queries[q]);
    /* One operator a query: juxtaposition with + and - marks (the first word unmarked), AND
       or OR. */
    static const char *const marks[] = {" ", " ", " +", " -"};
    for (int q = 0; q < NQ; q++) {
        char buf[256];
        int words = 1 + (int)kzt_below(&r, 3);
        uint32_t mode = kzt_below(&r, 3);
        size_t at = 0;
        for (int k = 0; k < words; k++) {
            const char *op = k == 0      ? ""
                             : mode == 1 ? " AND "
                             : mode == 2 ? " OR "
                                         : marks[kzt_below(&r, 4)];
            at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s", op, kzt_random_word(&r));
        }
        queries[nq++] = strdup(buf);
    }
    char *many = kzt_tempdir();
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 2 * 1024;
    opts.no_merge = 1;
    kzt_build_texts(many, &opts, N, (const char *const *)names, (const char *const *)texts);
    kzt_state a, b, c;
    int rc = kzt_state_take_queries(&a, many, (const char *const *)queries, nq);
    cr_assert_eq(rc, KZ_OK, "%s", kz_errmsg());
    cr_assert_gt(a.stats.segments, 5u, "the small budget should give many segments");

    char *copy = malloc(strlen(many) + 8);
    cr_assert_not_null(copy);
    sprintf(copy, "%s-opt", many);
    kzt_copy_dir(many, copy);
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, copy, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_optimize(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    cr_assert_eq(kzt_state_take_queries(&b, copy, (const char *const *)queries, nq), KZ_OK, "%s",
                 kz_errmsg());
    cr_assert_eq(b.stats.segments, 1u);
    char why[512];
    cr_assert(kzt_state_equal(&a, &b, 0, why, sizeof why), "many segments != optimized: %s", why);

    /* And a fresh default build (one segment, never merged). */
    char *fresh = kzt_tempdir();
    kzt_build_texts(fresh, NULL, N, (const char *const *)names, (const char *const *)texts);
    cr_assert_eq(kzt_state_take_queries(&c, fresh, (const char *const *)queries, nq), KZ_OK, "%s",
                 kz_errmsg());
    cr_assert(kzt_state_equal(&b, &c, 1, why, sizeof why), "optimized != fresh: %s", why);
    size_t with_hits = 0;
    for (size_t q = 0; q < nq; q++) with_hits += a.nhits[q] > 0;
    cr_assert_gt(with_hits, nq / 2, "most queries should match something");

    kzt_state_free(&a);
    kzt_state_free(&b);
    kzt_state_free(&c);
    for (size_t q = 0; q < nq; q++) free(queries[q]);
    for (int i = 0; i < N; i++) {
        free(names[i]);
        free(texts[i]);
    }
    kzt_rmtree(fresh);
    kzt_rmtree(copy);
    kzt_rmtree(many);
}

/* Removing every document leaves an index that opens, passes check and matches nothing; adding
 * documents back gives the index of a fresh build again. */
Test(incremental, removing_everything_then_adding_back_gives_a_fresh_index)
{
    kzt_rng r = {123};
    char *src = kzt_tempdir(), *dir = kzt_tempdir();
    char *sub = kzt_path(src, "sub");
    cr_assert_eq(mkdir(sub, 0755), 0);
    free(sub);
    for (int i = 0; i < 4; i++) write_source(src, i, &r, 1600000000 + i);
    index_tree(dir, src, NULL);
    for (int i = 0; i < 4; i++) {
        char *p = source_path(src, i);
        cr_assert_eq(unlink(p), 0);
        free(p);
    }
    for (int optimize = 0; optimize < 2; optimize++) {
        kz_writer *w = NULL;
        cr_assert_eq(kz_writer_open(&w, dir, NULL), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(kz_writer_add_path(w, src, NULL, NULL), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(optimize ? kz_writer_optimize(w) : kz_writer_commit(w), KZ_OK, "%s",
                     kz_errmsg());
        kz_writer_close(w);
        cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
        kzt_state s;
        cr_assert_eq(kzt_state_take(&s, dir), KZ_OK, "%s", kz_errmsg());
        cr_assert_eq(s.stats.documents, 0);
        cr_assert_eq(s.stats.passages, 0);
        cr_assert_eq(s.stats.tokens, 0);
        for (size_t q = 0; q < s.nqueries; q++) cr_assert_eq(s.nhits[q], 0, "%s", kzt_queries[q]);
        kzt_state_free(&s);
    }
    for (int i = 4; i < 8; i++) write_source(src, i, &r, 1600000100 + i);
    index_tree(dir, src, NULL);
    assert_same_as_fresh(dir, src, 1);
    kzt_rmtree(src);
    kzt_rmtree(dir);
}

/* Top-k scores of one query under one algorithm (k = 10, the default). */
static size_t top_scores(kz_index *ix, const char *q, int algorithm, int and_mode, double *out)
{
    kz_results *res = NULL;
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    opts.algorithm = algorithm;
    opts.default_and = and_mode;
    cr_assert_eq(kz_search(&res, ix, q, strlen(q), &opts), KZ_OK, "%s: %s", q, kz_errmsg());
    size_t n = kz_results_count(res);
    for (size_t i = 0; i < n; i++) out[i] = kz_results_hit(res, i)->score;
    kz_results_free(res);
    return n;
}

/* With deletions spread over many segments, every algorithm returns the top-10 scores that
 * exhaustive evaluation of the optimised index gives. */
Test(incremental, every_algorithm_on_many_segments_with_deletions_gives_the_optimized_top_scores)
{
    enum { N = 60 };
    kzt_rng r = {2024};
    char *dir = kzt_tempdir();
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 2 * 1024;
    opts.no_merge = 1;
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, &opts), KZ_OK, "%s", kz_errmsg());
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "doc-%02d", i);
        size_t len;
        char *t = kzt_random_text(&r, 1 + (int)kzt_below(&r, 4), &len);
        cr_assert_eq(kz_writer_add_text(w, name, t, len, NULL), KZ_OK, "%s", kz_errmsg());
        free(t);
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    for (int i = 0; i < N; i += 3) {
        char name[32];
        snprintf(name, sizeof name, "doc-%02d", i);
        cr_assert_eq(kz_writer_remove_doc(w, name), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    char *opt = malloc(strlen(dir) + 8);
    sprintf(opt, "%s-opt", dir);
    kzt_copy_dir(dir, opt);
    cr_assert_eq(kz_writer_open(&w, opt, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_optimize(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
    kz_index *many = NULL, *one = NULL;
    cr_assert_eq(kz_index_open(&many, dir), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_index_open(&one, opt), KZ_OK, "%s", kz_errmsg());
    static const int algos[] = {KZ_ALGO_AUTO, KZ_ALGO_EXHAUSTIVE, KZ_ALGO_MAXSCORE, KZ_ALGO_BMW};
    for (int q = 0; q < 200; q++) {
        char query[256];
        int words = 1 + (int)kzt_below(&r, 4);
        size_t at = 0;
        for (int k = 0; k < words; k++)
            at += (size_t)snprintf(query + at, sizeof query - at, "%s%s", k ? " " : "",
                                   kzt_random_word(&r));
        for (int and_mode = 0; and_mode < 2; and_mode++) {
            double want[16], got[16];
            size_t nw = top_scores(one, query, KZ_ALGO_EXHAUSTIVE, and_mode, want);
            for (size_t a = 0; a < sizeof algos / sizeof *algos; a++) {
                size_t ng = top_scores(many, query, algos[a], and_mode, got);
                cr_assert_eq(ng, nw, "%s (algorithm %d, and %d): %zu hits, want %zu", query,
                             algos[a], and_mode, ng, nw);
                for (size_t i = 0; i < nw; i++)
                    cr_assert(fabs(got[i] - want[i]) <= 1e-9 * (want[i] > 1 ? want[i] : 1),
                              "%s (algorithm %d, and %d): hit %zu score %.17g, want %.17g", query,
                              algos[a], and_mode, i, got[i], want[i]);
            }
        }
    }
    kz_index_close(many);
    kz_index_close(one);
    kzt_rmtree(opt);
    kzt_rmtree(dir);
}
