/* test_line_reader.c - a file read in chunks of whole lines (indexer/line_reader.h): the chunks,
 * put together, are the file (or the part of it stat saw); each ends at a line's end; their line
 * numbers count the newlines before them; peeking changes nothing; the content hash is XXH3 of
 * the bytes. The references are the file's bytes themselves and a one-shot XXH3. */
#include "error.h"
#include "line_reader.h"

#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

/* A text of n bytes: lines of varied lengths (a few far longer than a read), with and without a
 * final newline. */
static char *make_text(size_t n, unsigned seed, int final_newline)
{
    char *t = malloc(n + 1);
    cr_assert_not_null(t);
    size_t at = 0;
    while (at < n) {
        seed = seed * 1103515245u + 12345u;
        size_t len = (seed >> 16) % 97 == 0 ? 150000 + (seed >> 8) % 50000 : (seed >> 16) % 300;
        for (size_t i = 0; i < len && at < n; i++, at++) t[at] = (char)('a' + (at * 7 + i) % 26);
        if (at < n) t[at++] = '\n';
    }
    if (n > 0) t[n - 1] = final_newline ? '\n' : 'z';
    t[n] = '\0';
    return t;
}

/* A temporary directory holding f.txt, made of make_text's bytes. */
typedef struct text_file {
    char *dir, *path, *text;
} text_file;

static text_file text_file_new(size_t n, unsigned seed, int final_newline)
{
    text_file f = {kzt_tempdir(), NULL, make_text(n, seed, final_newline)};
    f.path = kzt_path(f.dir, "f.txt");
    kzt_write_file(f.path, f.text, n);
    return f;
}

static void text_file_free(text_file *f)
{
    free(f->text);
    free(f->path);
    kzt_rmtree(f->dir);
}

static uint64_t lines_before(const char *t, size_t off)
{
    uint64_t n = 1;
    for (size_t i = 0; i < off; i++) n += t[i] == '\n';
    return n;
}

/* Reads path in chunks of `target` bytes (after peeking `peek` bytes, if not 0) and checks them
 * against the first `expect_len` bytes of text. */
static void check_chunks(const char *path, const char *text, size_t expect_len, uint64_t size,
                         size_t target, size_t peek)
{
    kz_line_reader r;
    cr_assert_eq(kz_line_reader_open(&r, path, size), KZ_OK, "%s", kz_errmsg());
    if (peek) {
        const uint8_t *head;
        size_t len;
        cr_assert_eq(kz_line_reader_peek(&r, peek, &head, &len), KZ_OK);
        cr_assert_eq(len, peek < expect_len ? peek : expect_len);
        cr_assert(len == 0 || memcmp(head, text, len) == 0, "peek shows the start of the file");
    }
    kz_buf chunk = KZ_BUF_INIT;
    size_t at = 0;
    uint64_t first;
    int got;
    while ((got = kz_line_reader_next(&r, &chunk, target, &first)) == 1) {
        cr_assert_gt(chunk.len, 0);
        cr_assert_leq(at + chunk.len, expect_len, "target %zu: more bytes than the file", target);
        cr_assert(memcmp(chunk.data, text + at, chunk.len) == 0, "target %zu: chunk at %zu", target,
                  at);
        cr_assert_eq(first, lines_before(text, at), "target %zu: first line of chunk at %zu",
                     target, at);
        at += chunk.len;
        cr_assert_eq(r.handed, at);
        if (at < expect_len) {
            cr_assert_eq(chunk.data[chunk.len - 1], '\n', "target %zu: chunk at %zu ends mid-line",
                         target, at - chunk.len);
            /* No more than the target and one read past it, unless its first line is longer. */
            const uint8_t *nl = memchr(chunk.data, '\n', chunk.len);
            cr_assert(chunk.len <= target + (64 << 10) || (size_t)(nl - chunk.data) >= target,
                      "target %zu: chunk of %zu bytes", target, chunk.len);
        }
    }
    cr_assert_eq(got, 0);
    cr_assert_eq(at, expect_len, "target %zu: the chunks cover the file", target);
    kz_buf_free(&chunk);
    kz_line_reader_close(&r);
}

static void check_file(size_t n, int final_newline)
{
    text_file f = text_file_new(n, (unsigned)n, final_newline);
    const char *path = f.path, *text = f.text;
    const size_t targets[] = {1, 7, 4096, 65536, 1 << 20, 8 << 20};
    for (size_t i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        check_chunks(path, text, n, n, targets[i], 0);
        check_chunks(path, text, n, n, targets[i], 8192);
    }
    text_file_free(&f);
}

Test(line_reader, chunks_are_whole_lines_that_make_up_the_file)
{
    check_file(3000000, 1);
    check_file(3000000, 0);
    check_file(5000, 1);
}

Test(line_reader, empty_and_one_line_files)
{
    check_file(0, 1);
    check_file(1, 1);
    check_file(1, 0);
    check_file(100, 0);
}

/* stat saw one size; the file is longer (it grew) or shorter (it shrank) when read. */
Test(line_reader, reads_no_more_than_stat_saw_and_what_is_left_of_a_shrunk_file)
{
    const size_t n = 400000;
    text_file f = text_file_new(n, 3, 1);
    const char *path = f.path, *text = f.text;
    check_chunks(path, text, 250000, 250000, 4096, 0);   /* grew after stat */
    check_chunks(path, text, n, n + 100000, 4096, 8192); /* shrank after stat */
    check_chunks(path, text, n, n + 100000, 1 << 20, 0);
    text_file_free(&f);
}

Test(line_reader, rest_after_a_peek_is_the_whole_file)
{
    const size_t n = 700000;
    text_file f = text_file_new(n, 5, 0);
    const char *path = f.path, *text = f.text;
    kz_line_reader r;
    cr_assert_eq(kz_line_reader_open(&r, path, n), KZ_OK);
    const uint8_t *head;
    size_t len;
    cr_assert_eq(kz_line_reader_peek(&r, 8192, &head, &len), KZ_OK);
    kz_buf all = KZ_BUF_INIT;
    cr_assert_eq(kz_line_reader_rest(&r, &all), KZ_OK);
    cr_assert(all.len == n && memcmp(all.data, text, n) == 0);
    kz_buf_free(&all);
    kz_line_reader_close(&r);
    text_file_free(&f);
}

Test(line_reader, content_hash_is_xxh3_of_the_bytes_stat_saw)
{
    const size_t n = 2500000;
    text_file f = text_file_new(n, 9, 1);
    const char *path = f.path, *text = f.text;
    uint64_t h;
    cr_assert_eq(kz_file_content_hash(path, n, &h), KZ_OK);
    cr_expect_eq(h, XXH3_64bits(text, n));
    cr_assert_eq(kz_file_content_hash(path, 1234567, &h), KZ_OK);
    cr_expect_eq(h, XXH3_64bits(text, 1234567));
    cr_assert_eq(kz_file_content_hash(path, n + 10, &h), KZ_OK);
    cr_expect_eq(h, XXH3_64bits(text, n));
    char *gone = kzt_path(f.dir, "missing.txt");
    cr_expect_eq(kz_file_content_hash(gone, 10, &h), KZ_EIO);
    cr_expect(strstr(kz_errmsg(), "missing.txt") != NULL, "%s", kz_errmsg());
    kz_line_reader r;
    cr_expect_eq(kz_line_reader_open(&r, gone, 10), KZ_EIO);
    free(gone);
    text_file_free(&f);
}
