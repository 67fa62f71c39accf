/* test_bad_input.c - hostile and awkward source files through kz_writer_add_path: binary files,
 * invalid UTF-8, empty files, one 100 MB line, an overlong word, unreadable files and JSON Lines
 * with broken lines. Each is either indexed or skipped with a warning that names the file (and
 * the line, for JSON Lines), and the rest of the tree is indexed all the same.
 *
 * What is expected is stated from the input alone (which words a file holds, where we put them,
 * which lines are broken), and checked through the public search API. */
#include "buf.h"
#include "support.h"
#include "support_index.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

typedef struct collected {
    kz_add_report last;
    kz_buf warnings; /* each warning, then '\n' */
    int nwarnings;
} collected;

static void collect(void *ctx, const kz_add_report *report, const char *warning)
{
    collected *c = ctx;
    c->last = *report;
    if (warning == NULL) return;
    c->nwarnings++;
    kz_buf_append_str(&c->warnings, warning);
    kz_buf_append_u8(&c->warnings, '\n');
}

static const char *warnings_text(collected *c)
{
    cr_assert_eq(kz_buf_terminate(&c->warnings), KZ_OK);
    return (const char *)c->warnings.data;
}

static void put(const char *dir, const char *name, const void *data, size_t len)
{
    char *path = kzt_path(dir, name);
    kzt_write_file(path, data, len);
    free(path);
}

static void index_dir(const char *index, const char *src, collected *c)
{
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, index, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_add_path(w, src, collect, c), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
}

/* Number of hits of query; *first receives a copy of the first hit's fields when wanted. */
static size_t search(kz_index *ix, const char *query, kz_hit *first, char **doc)
{
    kz_results *res = NULL;
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    opts.k = 1000;
    cr_assert_eq(kz_search(&res, ix, query, strlen(query), &opts), KZ_OK, "%s: %s", query,
                 kz_errmsg());
    size_t n = kz_results_count(res);
    if (first && n > 0) {
        *first = *kz_results_hit(res, 0);
        if (doc) *doc = strdup(first->doc);
        first->doc = first->text = first->snippet = first->title = first->date = first->lang = NULL;
        first->highlights = first->text_highlights = NULL;
        first->explain = NULL;
    }
    kz_results_free(res);
    return n;
}

static int valid_utf8(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        if (len == 0 || i + len > n) return 0;
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
        for (size_t k = 1; k < len; k++) {
            if (((unsigned char)s[i + k] >> 6) != 2) return 0;
            cp = (cp << 6) | ((unsigned char)s[i + k] & 0x3f);
        }
        static const uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
        i += len;
    }
    return 1;
}

Test(bad_input, binary_files_are_skipped_with_a_warning_and_the_rest_is_indexed)
{
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    put(src, "good.txt", "the quick brown fox", 19);
    /* A PNG-like file: a NUL in its first bytes. */
    static const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR searchable words hidden here";
    put(src, "image.png", png, sizeof png - 1);
    /* Mostly control characters, no NUL. */
    char ctl[600];
    for (size_t i = 0; i < sizeof ctl; i++) ctl[i] = i % 3 ? (char)(1 + i % 7) : 'x';
    put(src, "control.txt", ctl, sizeof ctl);
    /* A real executable. */
    size_t exe_len;
    char *exe = kzt_read_file("/bin/true", &exe_len);
    put(src, "program", exe, exe_len);
    free(exe);
    collected c = {0};
    index_dir(index, src, &c);
    const char *w = warnings_text(&c);
    cr_assert_eq(c.last.files_seen, 4);
    cr_assert_eq(c.last.files_skipped, 3, "warnings:\n%s", w);
    cr_assert_eq(c.nwarnings, 3, "warnings:\n%s", w);
    static const char *const names[] = {"image.png", "control.txt", "program"};
    for (int i = 0; i < 3; i++) {
        char *path = kzt_path(src, names[i]);
        char *real = realpath(path, NULL);
        cr_assert(strstr(w, real) != NULL, "no warning names %s:\n%s", real, w);
        free(real);
        free(path);
    }
    cr_assert(strstr(w, "binary") != NULL, "the warning should say why:\n%s", w);
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    kz_index_stats st;
    kz_index_stats_get(&st, ix);
    cr_assert_eq(st.documents, 1);
    cr_assert_eq(search(ix, "fox", NULL, NULL), 1);
    cr_assert_eq(search(ix, "searchable", NULL, NULL), 0);
    kz_index_close(ix);
    free(c.warnings.data);
    kzt_rmtree(src);
    kzt_rmtree(index);
}

Test(bad_input, invalid_utf8_is_indexed_around_the_bad_bytes)
{
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    /* Bad bytes of every kind between valid words: a stray continuation byte, 0xFF, an overlong
       '/', a surrogate, a sequence cut short, and a truncated sequence at the very end. */
    static const char text[] = "alpha \x80 bravo\xff"
                               "charlie \xc0\xaf delta \xed\xa0\x80 echo \xe4\xb8 foxtrot "
                               "golf\n\nhotel india juliett\xe4";
    /* Enough valid text that the file is text (at most 10% bad bytes), not binary. */
    kz_buf file = KZ_BUF_INIT;
    for (int i = 0; i < 30; i++) kz_buf_append_str(&file, "filler ");
    kz_buf_append(&file, text, sizeof text - 1);
    put(src, "bad.txt", file.data, file.len);
    const char *file_copy = (const char *)file.data;
    size_t file_len = file.len;
    collected c = {0};
    index_dir(index, src, &c);
    cr_assert_eq(c.last.files_skipped, 0, "%s", warnings_text(&c));
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    static const char *const words[] = {"alpha",   "bravo", "charlie", "delta",  "echo",
                                        "foxtrot", "golf",  "hotel",   "juliett"};
    for (size_t i = 0; i < sizeof words / sizeof *words; i++)
        cr_assert_eq(search(ix, words[i], NULL, NULL), 1, "%s not found", words[i]);
    /* The hit is the file's bytes (bad ones included: the source is quoted as it is), and its
       highlights cover the word searched for. */
    kz_results *res = NULL;
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    cr_assert_eq(kz_search(&res, ix, "delta", 5, &opts), KZ_OK);
    const kz_hit *h = kz_results_hit(res, 0);
    cr_assert_not_null(h);
    cr_assert(h->end <= file_len && h->text_len == h->end - h->start &&
              memcmp(h->text, file_copy + h->start, h->text_len) == 0);
    cr_assert_eq(h->ntext_highlights, 1);
    cr_assert(h->text_highlights[0].end <= h->text_len &&
              memcmp(h->text + h->text_highlights[0].start, "delta", 5) == 0);
    cr_assert(!valid_utf8(h->text, h->text_len), "the passage should hold the bad bytes");
    kz_results_free(res);
    kz_index_close(ix);
    kz_buf_free(&file);
    free(c.warnings.data);
    kzt_rmtree(src);
    kzt_rmtree(index);
}

Test(bad_input, empty_and_blank_files_index_nothing_and_fail_nothing)
{
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    put(src, "empty.txt", "", 0);
    put(src, "blank.txt", " \n\t\r\n\n   \n", 10);
    put(src, "empty.jsonl", "", 0);
    put(src, "blank.jsonl", "\n\n  \n", 5);
    put(src, "word.txt", "word", 4);
    collected c = {0};
    index_dir(index, src, &c);
    cr_assert_eq(c.nwarnings, 0, "%s", warnings_text(&c));
    cr_assert_eq(c.last.files_seen, 5);
    cr_assert_eq(c.last.files_skipped, 0);
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    kz_index_stats st;
    kz_index_stats_get(&st, ix);
    cr_assert_eq(st.documents, 1);
    cr_assert_eq(st.passages, 1);
    kz_index_close(ix);
    /* Re-indexing the same tree changes nothing; emptying the last file removes it. */
    put(src, "word.txt", "", 0);
    collected c2 = {0};
    index_dir(index, src, &c2);
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    kz_index_stats_get(&st, ix);
    cr_assert_eq(st.documents, 0);
    cr_assert_eq(search(ix, "word", NULL, NULL), 0);
    kz_index_close(ix);
    free(c.warnings.data);
    free(c2.warnings.data);
    kzt_rmtree(src);
    kzt_rmtree(index);
}

Test(bad_input, a_100_mb_line_is_split_into_passages_and_found_at_the_right_offset)
{
    const size_t size = (size_t)100 << 20;
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    static const char *const words[] = {"lorem", "ipsum", "dolor", "amet", "tempor", "magna"};
    char *text = malloc(size);
    cr_assert_not_null(text);
    kzt_rng r = {5};
    size_t n = 0;
    while (n < size) {
        const char *wd = words[kzt_below(&r, 6)];
        size_t l = strlen(wd);
        if (n + l + 1 > size) break;
        memcpy(text + n, wd, l);
        n += l;
        text[n++] = ' ';
    }
    memset(text + n, 'x', size - n);
    /* Two marker words: one in the middle, one at the very end (no newline anywhere). */
    size_t mid = size / 2;
    while (text[mid] != ' ') mid++;
    memcpy(text + mid + 1, "aardvark", 8);
    text[mid + 9] = ' ';
    memcpy(text + size - 8, "zyzzyvas", 8);
    text[size - 9] = ' ';
    put(src, "big.txt", text, size);
    free(text);
    collected c = {0};
    index_dir(index, src, &c);
    cr_assert_eq(c.nwarnings, 0, "%s", warnings_text(&c));
    cr_assert_eq(c.last.bytes_read, size);
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    kz_index_stats st;
    kz_index_stats_get(&st, ix);
    cr_assert_eq(st.documents, 1);
    /* Passages are at most 2048 bytes. */
    cr_assert_geq(st.passages, size / 2048);
    kz_hit h;
    char *doc = NULL;
    cr_assert_eq(search(ix, "aardvark", &h, &doc), 1);
    cr_assert(h.start <= mid + 1 && mid + 9 <= h.end, "aardvark at %zu, passage [%llu,%llu)",
              mid + 1, (unsigned long long)h.start, (unsigned long long)h.end);
    cr_assert_eq(h.line, 1);
    cr_assert(strstr(doc, "big.txt") != NULL);
    free(doc);
    cr_assert_eq(search(ix, "zyzzyvas", &h, NULL), 1);
    cr_assert_eq(h.end, size);
    cr_assert_leq(h.end - h.start, 2048);
    cr_assert_eq(kz_index_check(index), KZ_OK, "%s", kz_errmsg());
    kz_index_close(ix);
    free(c.warnings.data);
    kzt_rmtree(src);
    kzt_rmtree(index);
}

Test(bad_input, overlong_words_and_nul_bytes_past_the_head_do_not_break_indexing)
{
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    /* A 100 KB "word" (longer than any term may be), a 30,000-character run of Han, and a
       text file whose NUL byte lies beyond the part that decides text or binary. */
    size_t wl = 100000;
    char *word = malloc(wl + 32);
    memset(word, 'q', wl);
    memcpy(word + wl, " findme", 8);
    put(src, "longword.txt", word, wl + 7);
    free(word);
    kz_buf han = KZ_BUF_INIT;
    for (int i = 0; i < 10000; i++) kz_buf_append_str(&han, "中国人");
    kz_buf_append_str(&han, " hanend");
    put(src, "han.txt", han.data, han.len);
    kz_buf_free(&han);
    size_t nl = 20000;
    char *nul = malloc(nl);
    for (size_t i = 0; i < nl; i++) nul[i] = "nulled text "[i % 12];
    nul[15000] = '\0';
    memcpy(nul + nl - 8, " nulend ", 8);
    put(src, "nul.txt", nul, nl);
    free(nul);
    collected c = {0};
    index_dir(index, src, &c);
    cr_assert_eq(c.last.files_skipped, 0, "%s", warnings_text(&c));
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(search(ix, "findme", NULL, NULL), 1);
    cr_assert_eq(search(ix, "hanend", NULL, NULL), 1);
    cr_assert_geq(search(ix, "中国", NULL, NULL), 1);
    cr_assert_eq(search(ix, "nulend", NULL, NULL), 1);
    kz_index_close(ix);
    cr_assert_eq(kz_index_check(index), KZ_OK, "%s", kz_errmsg());
    free(c.warnings.data);
    kzt_rmtree(src);
    kzt_rmtree(index);
}

/* Indexes src into index as an unprivileged user (tests run as root, who can read anything),
 * and writes the report and warnings to fd. Runs in a child process. */
static int index_unprivileged(const char *index, const char *src, int fd)
{
    if (geteuid() == 0 && (setgid(65534) != 0 || setuid(65534) != 0)) return 100;
    collected c = {0};
    kz_writer *w = NULL;
    int rc = kz_writer_open(&w, index, NULL);
    if (rc == KZ_OK) rc = kz_writer_add_path(w, src, collect, &c);
    if (rc == KZ_OK) rc = kz_writer_commit(w);
    kz_writer_close(w);
    if (rc != KZ_OK) return 1;
    if (write(fd, &c.last, sizeof c.last) != (ssize_t)sizeof c.last) return 2;
    if (c.warnings.len && write(fd, c.warnings.data, c.warnings.len) != (ssize_t)c.warnings.len)
        return 2;
    return 0;
}

Test(bad_input, unreadable_files_are_skipped_with_a_warning)
{
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    cr_assert_eq(chmod(src, 0755), 0);
    cr_assert_eq(chmod(index, 0777), 0);
    put(src, "open.txt", "readable words", 14);
    put(src, "secret.txt", "hidden words", 12);
    char *secret = kzt_path(src, "secret.txt");
    char *open_file = kzt_path(src, "open.txt");
    cr_assert_eq(chmod(secret, 0), 0);
    cr_assert_eq(chmod(open_file, 0644), 0);
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        _exit(index_unprivileged(index, src, fds[1]));
    }
    close(fds[1]);
    kz_add_report rep;
    char out[4096] = {0};
    ssize_t got = read(fds[0], &rep, sizeof rep);
    size_t at = 0;
    ssize_t r;
    while ((r = read(fds[0], out + at, sizeof out - 1 - at)) > 0) at += (size_t)r;
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status));
    if (WEXITSTATUS(status) == 100) cr_skip_test("cannot drop root's privileges");
    cr_assert_eq(WEXITSTATUS(status), 0, "the indexing child failed (%d)", WEXITSTATUS(status));
    cr_assert_eq(got, (ssize_t)sizeof rep);
    cr_assert_eq(rep.files_seen, 2);
    cr_assert_eq(rep.files_skipped, 1);
    cr_assert(strstr(out, "secret.txt") != NULL, "no warning names the file: %s", out);
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(search(ix, "readable", NULL, NULL), 1);
    cr_assert_eq(search(ix, "hidden", NULL, NULL), 0);
    kz_index_close(ix);
    chmod(secret, 0644);
    free(secret);
    free(open_file);
    kzt_rmtree(src);
    kzt_rmtree(index);
}

Test(bad_input, broken_json_lines_are_reported_with_file_and_line_and_the_rest_is_indexed)
{
    char *src = kzt_tempdir(), *index = kzt_tempdir();
    static const char jsonl[] =
        "{\"id\": \"one\", \"text\": \"first good record\"}\n"   /* 1 */
        "{\"id\": \"two\", \"text\": \"unterminated\n"           /* 2 broken */
        "{\"id\": \"three\", \"text\": \"third good record\"}\n" /* 3 */
        "{\"id\": \"four\"}\n"                                   /* 4 no text */
        "\n"                                                     /* 5 blank */
        "[1, 2, 3]\n"                                            /* 6 not an object */
        "{\"id\": \"seven\", \"text\": \"bad \xff byte\"}\n"     /* 7 invalid UTF-8 */
        "{\"id\": \"eight\", \"text\": 8}\n"                     /* 8 text not a string */
        "{\"id\": \"nine\", \"text\": \"ninth good record\"}";   /* 9, no final newline */
    put(src, "records.jsonl", jsonl, sizeof jsonl - 1);
    collected c = {0};
    index_dir(index, src, &c);
    const char *w = warnings_text(&c);
    char *path = kzt_path(src, "records.jsonl");
    char *real = realpath(path, NULL);
    /* Every broken line is named; the good and blank ones are not. */
    static const int broken[] = {2, 4, 6, 7, 8};
    int nbroken = 0;
    for (int line = 1; line <= 9; line++) {
        char where[4200];
        snprintf(where, sizeof where, "%s:%d:", real, line);
        int is_broken = 0;
        for (int k = 0; k < 5; k++) is_broken |= broken[k] == line;
        cr_assert_eq(strstr(w, where) != NULL, is_broken, "line %d %s in the warnings:\n%s", line,
                     is_broken ? "missing" : "unexpected", w);
        nbroken += is_broken;
    }
    cr_assert_eq(c.nwarnings, nbroken, "warnings:\n%s", w);
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, index), KZ_OK, "%s", kz_errmsg());
    kz_hit h;
    char *doc = NULL;
    cr_assert_eq(search(ix, "+good +record", NULL, NULL), 3);
    cr_assert_eq(search(ix, "third", &h, &doc), 1);
    cr_assert_str_eq(doc, "three");
    cr_assert_eq(h.line, 3);
    free(doc);
    cr_assert_eq(search(ix, "ninth", &h, &doc), 1);
    cr_assert_str_eq(doc, "nine");
    cr_assert_eq(h.line, 9);
    free(doc);
    cr_assert_eq(search(ix, "unterminated", NULL, NULL), 0);
    kz_index_close(ix);
    free(real);
    free(path);
    free(c.warnings.data);
    kzt_rmtree(src);
    kzt_rmtree(index);
}
