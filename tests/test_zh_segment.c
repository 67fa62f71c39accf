/* test_zh_segment.c - Chinese segmentation against Python jieba (Debian's python3-jieba, run as
 * /usr/bin/python3 with the same dictionary file): exact agreement of precise mode with
 * jieba.cut(HMM=False) and of search mode with jieba.cut_for_search(HMM=False) (as multisets) on
 * every Han run of the seed article and of manpages-zh; dictionary blob validation; the bigram
 * fallback; names outside the dictionary; runs longer than a window. */
#include "error.h"
#include "support.h"
#include "zh_dict.h"
#include "zh_segment.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define BIG_DICT   "/usr/lib/python3/dist-packages/jieba/dict.txt"
#define SMALL_DICT "/usr/share/doc/python-jieba-doc/examples/extra_dict/dict.txt.small"
/* The dictionary cmake/zhdict.cmake embeds by default (docs/CHINESE.md says why). */
#define CHOSEN_DICT BIG_DICT

/* ---- helpers: UTF-8, Han runs, dictionaries ------------------------------------------------ */

/* A lenient UTF-8 decoder of our own (the UAX #29 layer is written separately): an invalid
 * byte decodes as U+FFFD and advances one byte. */
static size_t decode(const unsigned char *p, size_t n, uint32_t *cp)
{
    unsigned b = p[0];
    size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (len == 0 || len > n) {
        *cp = 0xFFFD;
        return 1;
    }
    uint32_t c = len == 1 ? b : b & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) {
            *cp = 0xFFFD;
            return 1;
        }
        c = (c << 6) | (p[i] & 0x3F);
    }
    *cp = c;
    return len;
}

static void put_utf8(kz_buf *b, uint32_t c)
{
    uint8_t t[4];
    size_t n;
    if (c < 0x80) {
        t[0] = (uint8_t)c, n = 1;
    } else if (c < 0x800) {
        t[0] = (uint8_t)(0xC0 | (c >> 6)), t[1] = (uint8_t)(0x80 | (c & 0x3F)), n = 2;
    } else if (c < 0x10000) {
        t[0] = (uint8_t)(0xE0 | (c >> 12)), t[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3F));
        t[2] = (uint8_t)(0x80 | (c & 0x3F)), n = 3;
    } else {
        t[0] = (uint8_t)(0xF0 | (c >> 18)), t[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3F));
        t[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3F)), t[3] = (uint8_t)(0x80 | (c & 0x3F)), n = 4;
    }
    cr_assert_eq(kz_buf_append(b, t, n), KZ_OK);
}

static void put_cps(kz_buf *b, const uint32_t *cps, size_t n)
{
    for (size_t i = 0; i < n; i++) put_utf8(b, cps[i]);
}

typedef struct runs {
    uint32_t *cps; /* all runs, back to back */
    size_t *start; /* run i is cps[start[i] .. start[i+1]) */
    size_t count;  /* runs */
    size_t nchars; /* code points in all runs */
    kz_buf lines;  /* the runs as UTF-8, one per line (jieba's input) */
} runs;

/* jieba's re_han_default treats U+4E00..U+9FD5 as Han; a run of them is one jieba block. */
static int is_han(uint32_t c)
{
    return c >= 0x4E00 && c <= 0x9FD5;
}

static void add_text(runs *r, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t cap = r->nchars + len + 1;
    r->cps = realloc(r->cps, cap * sizeof *r->cps);
    r->start = realloc(r->start, (r->count + len + 2) * sizeof *r->start);
    cr_assert(r->cps && r->start);
    if (r->count == 0) r->start[0] = 0;
    int in = 0;
    for (size_t i = 0; i < len;) {
        uint32_t c;
        i += decode(p + i, len - i, &c);
        if (is_han(c)) {
            r->cps[r->nchars++] = c;
            in = 1;
        } else if (in) {
            r->start[++r->count] = r->nchars;
            in = 0;
        }
    }
    if (in) r->start[++r->count] = r->nchars;
}

static void runs_finish(runs *r)
{
    for (size_t i = 0; i < r->count; i++) {
        put_cps(&r->lines, r->cps + r->start[i], r->start[i + 1] - r->start[i]);
        cr_assert_eq(kz_buf_append_u8(&r->lines, '\n'), KZ_OK);
    }
}

static void runs_free(runs *r)
{
    free(r->cps);
    free(r->start);
    kz_buf_free(&r->lines);
}

static char *seed_path(void)
{
    DIR *dir = opendir(kzt_seeds_dir());
    cr_assert_not_null(dir, "no seeds directory %s", kzt_seeds_dir());
    char *found = NULL;
    for (struct dirent *e; (e = readdir(dir)) != NULL;)
        if (strncmp(e->d_name, "003_", 4) == 0) found = kzt_path(kzt_seeds_dir(), e->d_name);
    closedir(dir);
    cr_assert_not_null(found, "seed article 003_* not found");
    return found;
}

/* The seed article and at least 300 KB of Simplified Chinese man pages (whole pages, in name
 * order, so the sample is the same on every run). */
static size_t load_corpus(runs *r)
{
    char *path = seed_path();
    size_t len;
    char *text = kzt_read_file(path, &len);
    add_text(r, text, len);
    free(text);
    free(path);
    size_t pages_bytes = 0;
    char *list = kzt_run("ls /usr/share/man/zh_CN/man1/*.gz | sort", NULL);
    for (char *line = strtok(list, "\n"); line && pages_bytes < 300000; line = strtok(NULL, "\n")) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "zcat '%s'", line);
        char *page = kzt_run(cmd, NULL);
        size_t n = strlen(page);
        add_text(r, page, n);
        pages_bytes += n;
        free(page);
    }
    free(list);
    cr_assert_geq(pages_bytes, 200000, "manpages-zh gave only %zu bytes", pages_bytes);
    runs_finish(r);
    return pages_bytes;
}

static kz_zhdict *open_compiled(kz_buf *blob, const char *dict_txt)
{
    cr_assert_eq(kz_zhdict_compile(blob, dict_txt), KZ_OK, "%s", kz_errmsg());
    kz_zhdict *d = NULL;
    cr_assert_eq(kz_zhdict_open(&d, blob->data, blob->len), KZ_OK, "%s", kz_errmsg());
    return d;
}

static kz_zhdict *open_builtin(void)
{
    size_t len;
    const void *blob = kz_zhdict_builtin(&len);
    kz_zhdict *d = NULL;
    cr_assert_eq(kz_zhdict_open(&d, blob, len), KZ_OK, "%s", kz_errmsg());
    return d;
}

/* Runs Python jieba with dictionary dict_txt over the lines of `input`; each output line is
 * the precise tokens, a tab, and the search tokens sorted by code point, space-separated. */
static char *jieba_reference(const char *dict_txt, const kz_buf *input)
{
    char *dir = kzt_tempdir();
    char *in = kzt_path(dir, "runs.txt");
    kzt_write_file(in, input->data, input->len);
    char cmd[2048];
    snprintf(cmd, sizeof cmd,
             "TMPDIR='%s' /usr/bin/python3 -c '"
             "import sys, jieba\n"
             "jieba.setLogLevel(60)\n"
             "jieba.set_dictionary(sys.argv[1])\n"
             "out = []\n"
             "for line in open(sys.argv[2], encoding=\"utf-8\"):\n"
             "    r = line.rstrip(\"\\n\")\n"
             "    p = \" \".join(jieba.cut(r, HMM=False))\n"
             "    s = \" \".join(sorted(jieba.cut_for_search(r, HMM=False)))\n"
             "    out.append(p + \"\\t\" + s + \"\\n\")\n"
             "sys.stdout.write(\"\".join(out))\n"
             "' '%s' '%s'",
             dir, dict_txt, in);
    int status;
    char *out = kzt_run(cmd, &status);
    cr_assert_eq(status, 0, "python3 jieba failed (is python3-jieba installed?)");
    free(in);
    kzt_rmtree(dir);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Formats one run's segmentation as the reference does: precise tokens, tab, sorted search
 * tokens. Also checks that each word's first search piece is its precise piece. */
static void format_run(kz_buf *line, kz_zh_segmenter *seg, const uint32_t *cps, size_t n)
{
    const kz_zh_piece *p;
    size_t np;
    cr_assert_eq(kz_zh_segment(seg, cps, n, KZ_ZH_PRECISE, &p, &np), KZ_OK);
    kz_zh_piece *precise = malloc((np + 1) * sizeof *precise);
    memcpy(precise, p, np * sizeof *p);
    size_t nprecise = np;
    for (size_t i = 0; i < np; i++) {
        if (i) cr_assert_eq(kz_buf_append_u8(line, ' '), KZ_OK);
        put_cps(line, cps + p[i].start, p[i].end - p[i].start);
    }
    cr_assert_eq(kz_buf_append_u8(line, '\t'), KZ_OK);

    cr_assert_eq(kz_zh_segment(seg, cps, n, KZ_ZH_SEARCH, &p, &np), KZ_OK);
    char **tok = malloc((np + 1) * sizeof *tok);
    size_t w = 0;
    for (size_t i = 0; i < np; i++) {
        kz_buf t = KZ_BUF_INIT;
        put_cps(&t, cps + p[i].start, p[i].end - p[i].start);
        cr_assert_eq(kz_buf_terminate(&t), KZ_OK);
        tok[i] = (char *)t.data;
        if (i == 0 || p[i].word != p[i - 1].word) { /* search ⊇ precise, word by word */
            cr_assert_lt(w, nprecise);
            cr_assert(p[i].start == precise[w].start && p[i].end == precise[w].end &&
                      p[i].word == w);
            w++;
        } else {
            cr_assert(p[i].start >= p[i - 1].start && p[i].end - p[i].start <= 3);
        }
    }
    cr_assert_eq(w, nprecise, "search mode lost a precise word");
    qsort(tok, np, sizeof *tok, cmp_str);
    for (size_t i = 0; i < np; i++) {
        if (i) cr_assert_eq(kz_buf_append_u8(line, ' '), KZ_OK);
        cr_assert_eq(kz_buf_append_str(line, tok[i]), KZ_OK);
        free(tok[i]);
    }
    cr_assert_eq(kz_buf_append_u8(line, '\n'), KZ_OK);
    free(tok);
    free(precise);
}

static void agree_with_jieba(const char *dict_txt, kz_zhdict *d)
{
    runs r = {0};
    size_t page_bytes = load_corpus(&r);
    char *ref = jieba_reference(dict_txt, &r.lines);
    kz_zh_segmenter *seg;
    cr_assert_eq(kz_zh_segmenter_new(&seg, d), KZ_OK);
    size_t precise_ok = 0, search_ok = 0;
    char *cursor = ref;
    for (size_t i = 0; i < r.count; i++) {
        kz_buf mine = KZ_BUF_INIT;
        format_run(&mine, seg, r.cps + r.start[i], r.start[i + 1] - r.start[i]);
        cr_assert_eq(kz_buf_terminate(&mine), KZ_OK);
        char *nl = strchr(cursor, '\n');
        cr_assert_not_null(nl, "jieba gave fewer lines than runs");
        char *tab = memchr(cursor, '\t', (size_t)(nl - cursor));
        cr_assert_not_null(tab);
        char *mtab = strchr((char *)mine.data, '\t');
        size_t plen = (size_t)(tab - cursor), slen = (size_t)(nl - tab);
        if ((size_t)(mtab - (char *)mine.data) == plen && memcmp(mine.data, cursor, plen) == 0)
            precise_ok++;
        else
            cr_log_warn("precise differs:\n jieba: %.*s\n ours:  %.*s", (int)plen, cursor,
                        (int)(mtab - (char *)mine.data), (char *)mine.data);
        if (strlen(mtab) == slen + 1 && memcmp(mtab, tab, slen) == 0)
            search_ok++;
        else
            cr_log_warn("search differs:\n jieba: %.*s\n ours:  %s", (int)slen, tab, mtab);
        cursor = nl + 1;
        kz_buf_free(&mine);
    }
    fprintf(stderr,
            "zh_segment: %s: %zu Han runs (%zu characters; seed article + %zu bytes of "
            "manpages-zh): precise = jieba.cut(HMM=False) on %zu, search = cut_for_search on %zu\n",
            dict_txt, r.count, r.nchars, page_bytes, precise_ok, search_ok);
    cr_assert_eq(precise_ok, r.count);
    cr_assert_eq(search_ok, r.count);
    cr_assert_eq(*cursor, '\0', "jieba gave more lines than runs");
    kz_zh_segmenter_free(seg);
    free(ref);
    runs_free(&r);
}

/* ---- agreement with jieba -------------------------------------------------------------------- */

Test(zh_segment, builtin_dictionary_agrees_with_jieba_on_seed_article_and_manpages)
{
    kz_zhdict *d = open_builtin();
    agree_with_jieba(CHOSEN_DICT, d);
    kz_zhdict_free(d);
}

Test(zh_segment, small_dictionary_agrees_with_jieba_on_seed_article_and_manpages)
{
    kz_buf blob = KZ_BUF_INIT;
    kz_zhdict *d = open_compiled(&blob, SMALL_DICT);
    agree_with_jieba(SMALL_DICT, d);
    kz_zhdict_free(d);
    kz_buf_free(&blob);
}

/* Duplicate lines (the later frequency wins, both count in the total), frequency 0 (a prefix,
 * not a word), tags and Latin letters, and an exact tie (甲乙|丙 and 甲|乙丙 score the same sum;
 * jieba's max over (score, end) takes the longer first word), compared with jieba on the same
 * hand-written dictionary. */
Test(zh_segment, hand_written_dictionary_edge_cases_agree_with_jieba)
{
    char *dir = kzt_tempdir();
    char *dict = kzt_path(dir, "dict.txt");
    const char *text =
        "研究 30 n\n研究生 5\n生命 40 n\n命 3\n起源 20\n研究 12 v\n"
        "究生 0\n生命起 0 x\n的 100\nT恤 7 n\n一一 9\n甲 10\n丙 10\n甲乙 20\n乙丙 20\n";
    kzt_write_file(dict, text, strlen(text));
    kz_buf blob = KZ_BUF_INIT;
    kz_zhdict *d = open_compiled(&blob, dict);
    cr_assert_eq(d->total, 30u + 5 + 40 + 3 + 20 + 12 + 100 + 7 + 9 + 60);
    runs r = {0};
    const char *sample =
        "研究生命起源 研究生的生命 究生命 生命起源的研究生命 一一一一一 恤的起源 甲乙丙";
    add_text(&r, sample, strlen(sample));
    runs_finish(&r);
    char *ref = jieba_reference(dict, &r.lines);
    kz_zh_segmenter *seg;
    cr_assert_eq(kz_zh_segmenter_new(&seg, d), KZ_OK);
    kz_buf mine = KZ_BUF_INIT;
    for (size_t i = 0; i < r.count; i++)
        format_run(&mine, seg, r.cps + r.start[i], r.start[i + 1] - r.start[i]);
    cr_assert_eq(kz_buf_terminate(&mine), KZ_OK);
    cr_assert_str_eq((char *)mine.data, ref);
    kz_buf_free(&mine);
    kz_zh_segmenter_free(seg);
    free(ref);
    runs_free(&r);
    kz_zhdict_free(d);
    kz_buf_free(&blob);
    free(dict);
    kzt_rmtree(dir);
}

/* A run longer than one window: the window boundary falls where no word crosses, so the
 * result still equals jieba's over the whole run. */
Test(zh_segment, run_longer_than_a_window_agrees_with_jieba)
{
    runs seed = {0};
    char *path = seed_path();
    size_t len;
    char *text = kzt_read_file(path, &len);
    add_text(&seed, text, len);
    runs big = {0};
    big.cps = malloc((KZ_ZH_WINDOW * 2 + seed.nchars) * sizeof *big.cps);
    big.start = malloc(2 * sizeof *big.start);
    while (big.nchars < KZ_ZH_WINDOW + KZ_ZH_WINDOW / 2) {
        memcpy(big.cps + big.nchars, seed.cps, seed.nchars * sizeof *seed.cps);
        big.nchars += seed.nchars;
    }
    big.start[0] = 0, big.start[1] = big.nchars, big.count = 1;
    runs_finish(&big);
    kz_zhdict *d = open_builtin();
    char *ref = jieba_reference(CHOSEN_DICT, &big.lines);
    kz_zh_segmenter *seg;
    cr_assert_eq(kz_zh_segmenter_new(&seg, d), KZ_OK);
    kz_buf mine = KZ_BUF_INIT;
    format_run(&mine, seg, big.cps, big.nchars);
    cr_assert_eq(kz_buf_terminate(&mine), KZ_OK);
    cr_assert(strcmp((char *)mine.data, ref) == 0, "a %zu-character run differs from jieba",
              big.nchars);
    kz_buf_free(&mine);
    kz_zh_segmenter_free(seg);
    kz_zhdict_free(d);
    free(ref);
    runs_free(&big);
    runs_free(&seed);
    free(text);
    free(path);
}

/* ---- the dictionary blob ---------------------------------------------------------------------- */

Test(zh_segment, builtin_blob_is_the_chosen_dictionary_compiled)
{
    size_t len;
    const void *builtin = kz_zhdict_builtin(&len);
    kz_buf blob = KZ_BUF_INIT;
    cr_assert_eq(kz_zhdict_compile(&blob, CHOSEN_DICT), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(blob.len, len);
    cr_assert(memcmp(blob.data, builtin, len) == 0);
    kz_zhdict *a = open_builtin(), *b = NULL;
    cr_assert_eq(kz_zhdict_open(&b, blob.data, blob.len), KZ_OK);
    cr_assert_eq(kz_zhdict_hash(a), kz_zhdict_hash(b));
    kz_buf other = KZ_BUF_INIT;
    kz_zhdict *c = open_compiled(&other, SMALL_DICT);
    cr_assert_neq(kz_zhdict_hash(a), kz_zhdict_hash(c), "different dictionaries, same hash");
    kz_zhdict_free(a);
    kz_zhdict_free(b);
    kz_zhdict_free(c);
    kz_buf_free(&blob);
    kz_buf_free(&other);
}

/* The view made from the built-in blob's header alone (no checksum, no trie walk) is the one
 * full validation makes; a header that contradicts the length is still refused. */
Test(zh_segment, trusted_open_of_the_builtin_blob_gives_the_validated_view)
{
    size_t len;
    const void *builtin = kz_zhdict_builtin(&len);
    kz_zhdict *checked = NULL, *trusted = NULL;
    cr_assert_eq(kz_zhdict_open(&checked, builtin, len), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(kz_zhdict_open_trusted(&trusted, builtin, len), KZ_OK, "%s", kz_errmsg());
    cr_assert(checked->nodes == trusted->nodes && checked->root_table == trusted->root_table);
    cr_assert_eq(checked->nnodes, trusted->nnodes);
    cr_assert_eq(checked->nwords, trusted->nwords);
    cr_assert_eq(checked->root_lo, trusted->root_lo);
    cr_assert_eq(checked->root_count, trusted->root_count);
    cr_assert_eq(checked->max_word_len, trusted->max_word_len);
    cr_assert_eq(checked->total, trusted->total);
    cr_assert(checked->unknown_logp == trusted->unknown_logp);
    cr_assert_eq(checked->hash, trusted->hash);
    cr_assert_gt(trusted->max_word_len, 1);
    kz_zhdict_free(checked);
    kz_zhdict_free(trusted);
    kz_zhdict *d = (kz_zhdict *)1;
    cr_assert_eq(kz_zhdict_open_trusted(&d, builtin, len - 1), KZ_ECORRUPT);
    cr_assert_null(d);
    cr_assert_eq(kz_zhdict_open_trusted(&d, builtin, 63), KZ_ECORRUPT);
}

static void expect_corrupt(const uint8_t *blob, size_t len, const char *what)
{
    kz_zhdict *d = (kz_zhdict *)1;
    int rc = kz_zhdict_open(&d, blob, len);
    cr_assert_eq(rc, KZ_ECORRUPT, "%s: expected KZ_ECORRUPT, got %d", what, rc);
    cr_assert_null(d);
    cr_assert(strstr(kz_errmsg(), "damaged") != NULL, "%s: message '%s'", what, kz_errmsg());
}

static uint8_t *small_blob(size_t *len)
{
    char *dir = kzt_tempdir();
    char *dict = kzt_path(dir, "dict.txt");
    const char *text = "哈萨克斯坦 373\n哈萨克 417\n阿拉木图 106\n阿拉 50\nT恤 7\n木 9\n";
    kzt_write_file(dict, text, strlen(text));
    kz_buf blob = KZ_BUF_INIT;
    cr_assert_eq(kz_zhdict_compile(&blob, dict), KZ_OK, "%s", kz_errmsg());
    free(dict);
    kzt_rmtree(dir);
    *len = blob.len;
    return blob.data;
}

Test(zh_segment, flipped_bytes_are_reported_as_corrupt)
{
    size_t len;
    uint8_t *blob = small_blob(&len);
    uint8_t *copy = malloc(len);
    for (size_t i = 0; i < len; i += (i < 64 ? 1 : 97)) {
        for (int bit = 0; bit < 8; bit += 3) {
            memcpy(copy, blob, len);
            copy[i] ^= (uint8_t)(1u << bit);
            char what[64];
            snprintf(what, sizeof what, "bit %d of byte %zu", bit, i);
            expect_corrupt(copy, len, what);
        }
    }
    free(copy);
    free(blob);
}

Test(zh_segment, truncated_or_extended_blob_is_reported_as_corrupt)
{
    size_t len;
    uint8_t *blob = small_blob(&len);
    size_t cuts[] = {0, 1, 8, 63, 64, 65, len / 2, len - 8, len - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        uint8_t *copy = malloc(cuts[i] ? cuts[i] : 1); /* exact size, so ASan sees overreads */
        memcpy(copy, blob, cuts[i]);
        expect_corrupt(copy, cuts[i], "truncated");
        free(copy);
    }
    uint8_t *longer = calloc(len + 4, 1);
    memcpy(longer, blob, len);
    expect_corrupt(longer, len + 4, "extended");
    expect_corrupt(NULL, 0, "null");
    free(longer);
    free(blob);
}

/* Damage that keeps a valid checksum (as a crafted file could): the structural checks catch it. */
Test(zh_segment, broken_structure_with_a_valid_checksum_is_corrupt)
{
    size_t len;
    uint8_t *blob = small_blob(&len);
    uint32_t n = kz_load_u32le(blob + 16);
    /* node i's record: logp at 64 + 16 i, label at + 8, first child at + 12 */
#define LOGP(i)  (64 + 16 * (size_t)(i))
#define LABEL(i) (LOGP(i) + 8)
#define FC(i)    (LOGP(i) + 12)
    size_t table = LOGP(n + 1);
    struct {
        size_t off;
        uint64_t value;
        int width;
        const char *what;
    } cases[] = {
        {FC(1), 0, 4, "child range pointing backwards"},
        {FC(n), n + 5, 4, "child range past the end"},
        {FC(3), 2, 4, "child range overlapping its parent"},
        {LABEL(2), 0x10FFFF, 4, "unsorted siblings"},
        {LOGP(2), UINT64_C(0x7FF8000000000000), 8, "NaN log-probability"},
        {LOGP(2), UINT64_C(0x4000000000000000), 8, "positive log-probability"},
        {LOGP(n), 0, 8, "sentinel made a word"},
        {table + 4 * (0x54C8 - 0x4E00), 3, 4, "root table entry with the wrong label"},
        {table + 4 * (0x54C8 - 0x4E00), 0, 4, "root table missing a child"},
        {20, 1, 4, "word count"},
        {24, 0, 8, "zero total"},
    };
    uint8_t *copy = malloc(len);
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        memcpy(copy, blob, len);
        if (cases[i].width == 4)
            kz_store_u32le(copy + cases[i].off, (uint32_t)cases[i].value);
        else
            kz_store_u64le(copy + cases[i].off, cases[i].value);
        uint64_t seed = XXH3_64bits(copy, 56);
        kz_store_u64le(copy + 56, XXH3_64bits_withSeed(copy + 64, len - 64, seed));
        expect_corrupt(copy, len, cases[i].what);
    }
    free(copy);
    free(blob);
}

Test(zh_segment, malformed_dictionary_lines_are_rejected_with_their_number)
{
    char *dir = kzt_tempdir();
    char *dict = kzt_path(dir, "dict.txt");
    const char *bad[] = {"好 1\n坏\n", "好 1\n\n", "好 -3\n", "好 x1\n", "\xff\xfe 3\n", "好  3\n"};
    const char *lines[] = {":2:", ":2:", ":1:", ":1:", ":1:", ":1:"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        kzt_write_file(dict, bad[i], strlen(bad[i]));
        kz_buf blob = KZ_BUF_INIT;
        cr_assert_eq(kz_zhdict_compile(&blob, dict), KZ_EINVAL, "case %zu", i);
        cr_assert(strstr(kz_errmsg(), lines[i]) != NULL, "case %zu: '%s'", i, kz_errmsg());
        kz_buf_free(&blob);
    }
    kz_buf blob = KZ_BUF_INIT;
    cr_assert_eq(kz_zhdict_compile(&blob, "/nonexistent/dict.txt"), KZ_EIO);
    cr_assert(strstr(kz_errmsg(), "/nonexistent/dict.txt") != NULL);
    kz_buf_free(&blob);
    free(dict);
    kzt_rmtree(dir);
}

/* ---- segmentation properties ------------------------------------------------------------------- */

static size_t to_cps(const char *s, uint32_t *cps)
{
    size_t n = 0, len = strlen(s);
    for (size_t i = 0; i < len;) i += decode((const unsigned char *)s + i, len - i, &cps[n++]);
    return n;
}

Test(zh_segment, bigram_fallback_without_dictionary)
{
    kz_zh_segmenter *seg;
    cr_assert_eq(kz_zh_segmenter_new(&seg, NULL), KZ_OK);
    uint32_t cps[8];
    size_t n = to_cps("托卡耶夫", cps);
    for (int mode = KZ_ZH_PRECISE; mode <= KZ_ZH_SEARCH; mode++) {
        const kz_zh_piece *p;
        size_t np;
        cr_assert_eq(kz_zh_segment(seg, cps, n, mode, &p, &np), KZ_OK);
        cr_assert_eq(np, 3);
        for (uint32_t i = 0; i < 3; i++)
            cr_assert(p[i].start == i && p[i].end == i + 2 && p[i].word == i);
        cr_assert_eq(kz_zh_segment(seg, cps, 1, mode, &p, &np), KZ_OK);
        cr_assert(np == 1 && p[0].start == 0 && p[0].end == 1 && p[0].word == 0);
        cr_assert_eq(kz_zh_segment(seg, cps, 0, mode, &p, &np), KZ_OK);
        cr_assert_eq(np, 0);
    }
    const kz_zh_piece *p;
    size_t np;
    cr_assert_eq(kz_zh_segment(seg, cps, n, 7, &p, &np), KZ_EINVAL);
    kz_zh_segmenter_free(seg);
    kz_zh_segmenter_free(NULL);
    kz_zhdict_free(NULL);
}

/* The property the index needs: a name's query segmentation (precise mode) occurs at
 * consecutive word positions in the document's search-mode pieces, wherever the name occurs in
 * the seed article, whether or not the dictionary has the name. */
static int findable(kz_zh_segmenter *seg, const uint32_t *doc, size_t n, const uint32_t *q,
                    size_t qn)
{
    const kz_zh_piece *p;
    size_t np;
    cr_assert_eq(kz_zh_segment(seg, q, qn, KZ_ZH_PRECISE, &p, &np), KZ_OK);
    kz_zh_piece qp[16];
    cr_assert_leq(np, 16);
    memcpy(qp, p, np * sizeof *p);
    size_t nq = np;
    cr_assert_eq(kz_zh_segment(seg, doc, n, KZ_ZH_SEARCH, &p, &np), KZ_OK);
    for (size_t i = 0; i < np; i++) { /* candidate match of the query's first word */
        uint32_t base = p[i].word;
        size_t k = 0;
        for (size_t j = i; j < np && k < nq; j++) {
            if (p[j].word != base + k) continue;
            uint32_t l = qp[k].end - qp[k].start;
            if (p[j].end - p[j].start == l &&
                memcmp(doc + p[j].start, q + qp[k].start, l * sizeof *q) == 0)
                k++;
        }
        if (k == nq) return 1;
    }
    return 0;
}

Test(zh_segment, names_stay_findable_as_phrases_in_the_seed_article)
{
    const char *names[] = {"阿拉木图", "哈萨克斯坦", "哈萨克", "托卡耶夫", "集体安全条约组织"};
    runs r = {0};
    char *path = seed_path();
    size_t len;
    char *text = kzt_read_file(path, &len);
    add_text(&r, text, len);
    kz_zhdict *d = open_builtin();
    kz_buf sblob = KZ_BUF_INIT;
    kz_zhdict *small = open_compiled(&sblob, SMALL_DICT);
    kz_zhdict *dicts[] = {d, small, NULL};
    for (size_t di = 0; di < 3; di++) {
        kz_zh_segmenter *seg;
        cr_assert_eq(kz_zh_segmenter_new(&seg, dicts[di]), KZ_OK);
        for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
            uint32_t q[16];
            size_t qn = to_cps(names[k], q), occurrences = 0;
            for (size_t i = 0; i < r.count; i++) {
                const uint32_t *run = r.cps + r.start[i];
                size_t n = r.start[i + 1] - r.start[i];
                int has = 0;
                for (size_t s = 0; s + qn <= n; s++) has |= memcmp(run + s, q, qn * sizeof *q) == 0;
                if (!has) continue;
                occurrences++;
                cr_assert(findable(seg, run, n, q, qn), "dictionary %zu: %s not findable", di,
                          names[k]);
            }
            cr_assert_gt(occurrences, 0, "%s does not occur in the seed article", names[k]);
        }
        kz_zh_segmenter_free(seg);
    }
    kz_zhdict_free(d);
    kz_zhdict_free(small);
    kz_buf_free(&sblob);
    runs_free(&r);
    free(text);
    free(path);
}

/* Checks that precise pieces tile [0, n) with consecutive word numbers and that search pieces
 * extend them (each word's first piece is the word itself). */
static void check_tiling(kz_zh_segmenter *seg, const uint32_t *cps, size_t n)
{
    const kz_zh_piece *p;
    size_t np;
    cr_assert_eq(kz_zh_segment(seg, cps, n, KZ_ZH_PRECISE, &p, &np), KZ_OK);
    size_t nwords = np;
    uint32_t at = 0;
    for (size_t i = 0; i < np; i++) {
        cr_assert(p[i].start == at && p[i].end > at && p[i].word == i, "piece %zu", i);
        at = p[i].end;
    }
    cr_assert_eq(at, n);
    cr_assert_eq(kz_zh_segment(seg, cps, n, KZ_ZH_SEARCH, &p, &np), KZ_OK);
    cr_assert_geq(np, nwords);
    cr_assert_eq(p[np - 1].word, nwords - 1);
    for (size_t i = 1; i < np; i++)
        cr_assert(p[i].word == p[i - 1].word || p[i].word == p[i - 1].word + 1);
}

Test(zh_segment, ten_megabyte_run_is_segmented_in_bounded_windows)
{
    runs seed = {0};
    char *path = seed_path();
    size_t len;
    char *text = kzt_read_file(path, &len);
    add_text(&seed, text, len);
    size_t n = 10u * 1024 * 1024 / 3; /* 10 MB of UTF-8 Han, 3 bytes a character */
    uint32_t *cps = malloc(n * sizeof *cps);
    for (size_t i = 0; i < n; i++) cps[i] = seed.cps[i % seed.nchars];
    kz_zhdict *d = open_builtin();
    kz_zh_segmenter *seg;
    cr_assert_eq(kz_zh_segmenter_new(&seg, d), KZ_OK);
    check_tiling(seg, cps, n);
    /* "一一" is a word, so no position inside a run of 一 is free of crossing words: the window
     * is cut at its full length and the run still comes out whole. */
    for (size_t i = 0; i < n; i++) cps[i] = 0x4E00;
    check_tiling(seg, cps, 3 * KZ_ZH_WINDOW + 17);
    kz_zh_segmenter_free(seg);
    kz_zhdict_free(d);
    free(cps);
    runs_free(&seed);
    free(text);
    free(path);
}
