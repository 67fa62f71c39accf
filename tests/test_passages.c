/* test_passages.c - plain text into passages: the seeds, paragraph and line rules, long
 * paragraphs, the date prefix and the title, CRLF, BOM, empty input and a 100 MB line.
 *
 * Expected values come from the seed files read by a separate line-by-line model in this file
 * (every seed paragraph is a single line) and from hand-counted byte offsets; every document is
 * also checked against the invariants promised in source.h by a brute-force checker. */
#include "../indexer/source.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

/* Checks the invariants of source.h by brute force: order, bounds, trimming, UTF-8 boundaries,
 * length, and the line number recounted from the start of the text. */
static void check_invariants_utf8(const kz_document *d, int valid_utf8)
{
    const unsigned char *t = (const unsigned char *)d->text;
    uint64_t prev_end = 0;
    for (size_t i = 0; i < d->npassages; i++) {
        const kz_passage *p = &d->passages[i];
        cr_assert_lt(p->start, p->end, "passage %zu is empty", i);
        cr_assert_leq(p->end, d->text_len);
        cr_assert_geq(p->start, prev_end, "passage %zu overlaps the one before", i);
        cr_assert_leq(p->end - p->start, KZ_PASSAGE_MAX, "passage %zu too long", i);
        cr_assert(!ws(t[p->start]) && !ws(t[p->end - 1]), "passage %zu not trimmed", i);
        if (valid_utf8)
            cr_assert((t[p->start] & 0xC0) != 0x80, "passage %zu starts inside a character", i);
        if (valid_utf8 && p->end < d->text_len)
            cr_assert((t[p->end] & 0xC0) != 0x80, "passage %zu ends inside a character", i);
        uint32_t line = 1;
        for (uint64_t k = 0; k < p->start; k++) line += t[k] == '\n';
        cr_assert_eq(p->line, line, "passage %zu: line %u, expected %u", i, p->line, line);
        prev_end = p->end;
    }
}

static void check_invariants(const kz_document *d)
{
    check_invariants_utf8(d, 1);
}

/* Every non-whitespace byte at or after `from` lies inside a passage. */
static void check_coverage(const kz_document *d, size_t from)
{
    const unsigned char *t = (const unsigned char *)d->text;
    size_t k = 0;
    for (size_t i = from; i < d->text_len; i++) {
        if (ws(t[i])) continue;
        while (k < d->npassages && d->passages[k].end <= i) k++;
        cr_assert(k < d->npassages && d->passages[k].start <= i, "byte %zu is in no passage", i);
    }
}

static void split(kz_document *d, const char *text)
{
    cr_assert_eq(kz_document_from_text(d, "doc", text, strlen(text)), KZ_OK, "%s", kz_errmsg());
    check_invariants(d);
}

static int passage_is(const kz_document *d, size_t i, const char *expect)
{
    if (i >= d->npassages) return 0;
    size_t n = (size_t)(d->passages[i].end - d->passages[i].start);
    return n == strlen(expect) && memcmp(d->text + d->passages[i].start, expect, n) == 0;
}

static char *seed_path(const char *prefix)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls %s/%s_*.txt", kzt_seeds_dir(), prefix);
    char *out = kzt_run(cmd, NULL);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

/* The seed model: each non-blank line, trimmed, is one passage, except a title line; the first
 * one starts after a date prefix of `skip` bytes. */
static void check_seed(const char *prefix, size_t expect_n, const char *date, const char *title,
                       size_t skip)
{
    char *path = seed_path(prefix);
    size_t len;
    char *text = kzt_read_file(path, &len);
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, path, text, len), KZ_OK);
    check_invariants(&d);
    cr_assert_str_eq(d.name, path);
    cr_assert_eq(d.npassages, expect_n, "%s: %zu passages", prefix, d.npassages);
    if (date)
        cr_assert_str_eq(d.date, date);
    else
        cr_assert_null(d.date);
    if (title)
        cr_assert_str_eq(d.title, title);
    else
        cr_assert_null(d.title);
    size_t pos = 0, k = 0;
    uint32_t line = 1;
    int first = 1;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n') end++;
        size_t s = pos, e = end;
        while (s < e && ws((unsigned char)text[s])) s++;
        while (e > s && ws((unsigned char)text[e - 1])) e--;
        if (s < e) {
            if (first) s += skip;
            int is_title = first && title;
            first = 0;
            if (!is_title) {
                cr_assert_lt(k, d.npassages);
                cr_assert_eq(d.passages[k].start, s, "%s passage %zu", prefix, k);
                cr_assert_eq(d.passages[k].end, e, "%s passage %zu", prefix, k);
                cr_assert_eq(d.passages[k].line, line);
                k++;
            }
        }
        pos = end + 1;
        line++;
    }
    cr_assert_eq(k, d.npassages);
    kz_document_clear(&d);
    free(text);
    free(path);
}

Test(passages, seed_000_has_a_date_prefix_and_five_paragraphs)
{
    /* " date 2022-01-09 " is 17 bytes; the first paragraph is line 1, 606 bytes long */
    check_seed("000", 5, "2022-01-09", NULL, 16);
    char *path = seed_path("000");
    size_t len;
    char *text = kzt_read_file(path, &len);
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, path, text, len), KZ_OK);
    cr_assert_eq(d.passages[0].start, 17);
    cr_assert_eq(d.passages[0].end, 606);
    cr_assert_eq(d.passages[1].start, 608);
    cr_assert_eq(d.passages[1].end, 1688);
    cr_assert_eq(d.passages[1].line, 3);
    cr_assert_eq(memcmp(text + 17, "Shoot to kill.", 14), 0);
    kz_document_clear(&d);
    free(text);
    free(path);
}

Test(passages, seed_001_and_004_have_dates)
{
    check_seed("001", 5, "2022-01-07", NULL, 16);
    check_seed("004", 3, "2022-01-10", NULL, 16);
}

Test(passages, seed_002_gives_one_passage_per_line)
{
    check_seed("002", 10, NULL, NULL, 0);
}

Test(passages, seed_003_has_a_title_and_one_passage_per_paragraph)
{
    /* 105 non-blank lines, the first of which ("Kazakhstan after the Uprising") is the title */
    check_seed("003", 104, NULL, "Kazakhstan after the Uprising", 0);
}

Test(passages, hard_wrapped_lines_make_one_paragraph)
{
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, "Intro line one.\n\n"
              "The quick brown fox jumps over the lazy dog and keeps running\n"
              "across the field until the sun goes down behind the hills,\n"
              "where it rests.\n"
              "\n"
              "   indented wrapped text\n"
              "   continues here.\n");
    cr_assert_eq(d.npassages, 3);
    cr_assert(passage_is(&d, 0, "Intro line one."));
    cr_assert(passage_is(&d, 1,
                         "The quick brown fox jumps over the lazy dog and keeps running\n"
                         "across the field until the sun goes down behind the hills,\n"
                         "where it rests."));
    cr_assert_eq(d.passages[1].line, 3);
    cr_assert(passage_is(&d, 2, "indented wrapped text\n   continues here."));
    cr_assert_eq(d.passages[2].line, 7);
    kz_document_clear(&d);
}

Test(passages, a_block_with_a_long_line_gives_one_passage_per_line)
{
    char text[1024];
    char longline[300];
    memset(longline, 'x', 150);
    longline[150] = '\0';
    snprintf(text, sizeof text, "short one\n%s\nshort two\n", longline);
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, text);
    cr_assert_eq(d.npassages, 3);
    cr_assert(passage_is(&d, 0, "short one"));
    cr_assert(passage_is(&d, 1, longline));
    cr_assert(passage_is(&d, 2, "short two"));
    cr_assert_eq(d.passages[2].line, 3);
    /* only the last line of a block may be long: the block is then still wrapped */
    snprintf(text, sizeof text, "short one\nshort two\n%s", longline);
    split(&d, text);
    cr_assert_eq(d.npassages, 1);
    /* the wrap limit counts characters, not bytes: 40 Han characters are 120 bytes */
    char han[512] = "";
    for (int i = 0; i < 40; i++) strcat(han, "\xe4\xb8\xad");
    snprintf(text, sizeof text, "%s\n%s\n%s", han, han, han);
    split(&d, text);
    cr_assert_eq(d.npassages, 1);
    kz_document_clear(&d);
}

/* Builds a paragraph of n sentences "Sentence number I is here." separated by spaces. */
static char *sentences(size_t n, size_t *len)
{
    char *s = malloc(n * 40 + 1);
    size_t p = 0;
    for (size_t i = 0; i < n; i++)
        p += (size_t)sprintf(s + p, "%sSentence number %zu is here.", i ? " " : "", i);
    *len = p;
    return s;
}

Test(passages, a_long_paragraph_is_cut_at_sentence_ends_into_even_pieces)
{
    size_t len;
    char *text = sentences(400, &len); /* about 11 KB */
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, "doc", text, len), KZ_OK);
    check_invariants(&d);
    check_coverage(&d, 0);
    size_t pieces = (len + KZ_PASSAGE_MAX - 1) / KZ_PASSAGE_MAX;
    cr_assert_eq(d.npassages, pieces, "%zu passages for %zu bytes", d.npassages, len);
    for (size_t i = 0; i < d.npassages; i++) {
        const kz_passage *p = &d.passages[i];
        cr_assert_eq(text[p->end - 1], '.');
        cr_assert_eq(memcmp(text + p->start, "Sentence", 8), 0);
        cr_assert_geq(p->end - p->start, len / pieces / 2);
    }
    kz_document_clear(&d);
    free(text);
}

Test(passages, without_sentence_ends_a_paragraph_is_cut_at_whitespace)
{
    size_t n = 3000;
    char *text = malloc(n * 6 + 1);
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += (size_t)sprintf(text + len, "%sw%03zu", i ? " " : "", i % 1000);
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, "doc", text, len), KZ_OK);
    check_invariants(&d);
    check_coverage(&d, 0);
    cr_assert_eq(d.npassages, (len + KZ_PASSAGE_MAX - 1) / KZ_PASSAGE_MAX);
    for (size_t i = 0; i < d.npassages; i++) {
        const kz_passage *p = &d.passages[i];
        cr_assert_eq(text[p->start], 'w', "passage %zu starts inside a word", i);
        cr_assert(p->end == len || text[p->end] == ' ', "passage %zu ends inside a word", i);
    }
    kz_document_clear(&d);
    free(text);
}

Test(passages, han_text_is_cut_after_ideographic_full_stops_or_between_characters)
{
    /* 1500 characters with a 。 every 50: cut after a 。 */
    kz_buf b = KZ_BUF_INIT;
    for (int i = 1; i <= 1500; i++)
        kz_buf_append_str(&b, i % 50 == 0 ? "\xe3\x80\x82" : "\xe4\xb8\xad");
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, "doc", (char *)b.data, b.len), KZ_OK);
    check_invariants(&d);
    check_coverage(&d, 0);
    cr_assert_eq(d.npassages, 3);
    for (size_t i = 0; i + 1 < d.npassages; i++)
        cr_assert_eq(memcmp(b.data + d.passages[i].end - 3, "\xe3\x80\x82", 3), 0);
    /* no punctuation at all: cut at character boundaries (checked by check_invariants) */
    kz_buf_clear(&b);
    for (int i = 0; i < 1500; i++) kz_buf_append_str(&b, "\xe4\xb8\xad");
    cr_assert_eq(kz_document_from_text(&d, "doc", (char *)b.data, b.len), KZ_OK);
    check_invariants(&d);
    check_coverage(&d, 0);
    cr_assert_eq(d.npassages, 3);
    kz_document_clear(&d);
    kz_buf_free(&b);
}

Test(passages, sentence_ends_may_carry_closing_quotes)
{
    kz_buf b = KZ_BUF_INIT;
    for (int i = 0; i < 120; i++)
        kz_buf_append_str(&b, "He said \xe2\x80\x9cthat is all.\xe2\x80\x9d ");
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, "doc", (char *)b.data, b.len), KZ_OK);
    check_invariants(&d);
    cr_assert_geq(d.npassages, 2);
    for (size_t i = 0; i < d.npassages; i++) {
        cr_assert_eq(memcmp(b.data + d.passages[i].start, "He said", 7), 0);
        cr_assert_eq(memcmp(b.data + d.passages[i].end - 4, ".\xe2\x80\x9d", 4), 0);
    }
    kz_document_clear(&d);
    kz_buf_free(&b);
}

Test(passages, date_prefix_rules)
{
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, "Date: 2024-02-29\n\nBody text here.");
    cr_assert_str_eq(d.date, "2024-02-29");
    cr_assert_eq(d.npassages, 1);
    cr_assert(passage_is(&d, 0, "Body text here."));
    cr_assert_eq(d.passages[0].line, 3);
    split(&d, "date 2023-02-29 Not a real day.");
    cr_assert_null(d.date);
    cr_assert(passage_is(&d, 0, "date 2023-02-29 Not a real day."));
    split(&d, "date 2021-12-31x is glued.");
    cr_assert_null(d.date);
    split(&d, "A date 2021-12-31 in the middle.");
    cr_assert_null(d.date);
    split(&d, "\n\n  DATE\t2021-12-31\tStarts here.\n");
    cr_assert_str_eq(d.date, "2021-12-31");
    cr_assert(passage_is(&d, 0, "Starts here."));
    cr_assert_eq(d.passages[0].line, 3);
    split(&d, "date 2021-12-31");
    cr_assert_str_eq(d.date, "2021-12-31");
    cr_assert_eq(d.npassages, 0);
    kz_document_clear(&d);
}

Test(passages, date_normalisation)
{
    char out[11];
    cr_assert(kz_date_normalise(out, "2021/3/7", 8));
    cr_assert_str_eq(out, "2021-03-07");
    cr_assert(kz_date_normalise(out, "2000-02-29T12:00:00Z", 20));
    cr_assert_str_eq(out, "2000-02-29");
    cr_assert(kz_date_normalise(out, "1999.12.31 23:59", 16));
    cr_assert_str_eq(out, "1999-12-31");
    cr_assert_not(kz_date_normalise(out, "1900-02-29", 10));
    cr_assert_not(kz_date_normalise(out, "2021-13-01", 10));
    cr_assert_not(kz_date_normalise(out, "2021-04-31", 10));
    cr_assert_not(kz_date_normalise(out, "0000-01-01", 10));
    cr_assert_not(kz_date_normalise(out, "2021-1-1x", 9));
    cr_assert_not(kz_date_normalise(out, "2021-01/01", 10));
    cr_assert_not(kz_date_normalise(out, "2021-001-01", 11));
    cr_assert_not(kz_date_normalise(out, "yesterday", 9));
}

Test(passages, title_rules)
{
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, "A Short Title\n\nFirst paragraph.\n\nSecond paragraph.");
    cr_assert_str_eq(d.title, "A Short Title");
    cr_assert_eq(d.npassages, 2);
    cr_assert(passage_is(&d, 0, "First paragraph."));
    split(&d, "Only one paragraph without a period");
    cr_assert_null(d.title);
    cr_assert_eq(d.npassages, 1);
    split(&d, "A sentence, not a title.\n\nBody.");
    cr_assert_null(d.title);
    cr_assert_eq(d.npassages, 2);
    split(&d, "Two lines\nin the first block\n\nBody.");
    cr_assert_null(d.title);
    cr_assert_eq(d.npassages, 2);
    split(&d, "\xe6\xa0\x87\xe9\xa2\x98\xef\xbc\x9a\n\n\xe6\xad\xa3\xe6\x96\x87\xe3\x80\x82");
    cr_assert_null(d.title, "a line ending in a full-width colon is not a title");
    split(&d, "date 2022-01-09 Title After Date\n\nBody.");
    cr_assert_str_eq(d.date, "2022-01-09");
    cr_assert_str_eq(d.title, "Title After Date");
    cr_assert_eq(d.npassages, 1);
    char text[400];
    memset(text, 'T', 130);
    strcpy(text + 130, "\n\nBody.");
    split(&d, text);
    cr_assert_null(d.title, "a line of 130 characters is too long for a title");
    kz_document_clear(&d);
}

Test(passages, crlf_line_ends_and_a_bom_are_not_part_of_passages)
{
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, "\xef\xbb\xbfTitle\r\n\r\nPara one,\r\nstill para one.\r\n  \r\nPara two.\r\n");
    cr_assert_str_eq(d.title, "Title");
    cr_assert_eq(d.npassages, 2);
    cr_assert(passage_is(&d, 0, "Para one,\r\nstill para one."));
    cr_assert_eq(d.passages[0].line, 3);
    cr_assert(passage_is(&d, 1, "Para two."));
    cr_assert_eq(d.passages[1].line, 6);
    split(&d, "\xef\xbb\xbfHello.");
    cr_assert_eq(d.npassages, 1);
    cr_assert_eq(d.passages[0].start, 3);
    kz_document_clear(&d);
}

Test(passages, empty_and_blank_documents_have_no_passages)
{
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, "empty", NULL, 0), KZ_OK);
    cr_assert_eq(d.npassages, 0);
    cr_assert_str_eq(d.name, "empty");
    split(&d, " \n\t\r\n\n   \f\v");
    cr_assert_eq(d.npassages, 0);
    split(&d, "\xef\xbb\xbf");
    cr_assert_eq(d.npassages, 0);
    cr_assert_eq(kz_document_from_text(&d, NULL, "x", 1), KZ_EINVAL);
    kz_document_clear(&d);
    kz_document_clear(NULL);
}

Test(passages, invalid_utf8_is_passed_through_as_bytes)
{
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, "caf\xe9 au lait.\n\n\xff\xfe broken \x80 bytes.");
    cr_assert_eq(d.npassages, 2);
    cr_assert(passage_is(&d, 0, "caf\xe9 au lait."));
    kz_document_clear(&d);
}

/* A pseudo-random text of words, spaces, line ends, CR, CJK characters, terminators and stray
 * bytes; the splitter must keep every invariant and cover every non-space byte. */
Test(passages, random_texts_keep_the_invariants)
{
    static const char *parts[] = {
        "word",         " ",  " ",          "\n",           "\n\n",         "\r\n",
        ". ",           "!",  "?",          "\xe4\xb8\xad", "\xe3\x80\x82", "\xef\xbc\x81",
        "\xe2\x80\x9d", "\t", "longerword", "\"",           "  \n  ",       "\x80",
        "\xe4"};
    uint64_t x = 88172645463325252ull;
    kz_buf b = KZ_BUF_INIT;
    kz_document d = KZ_DOCUMENT_INIT;
    for (int round = 0; round < 400; round++) {
        int stray = round >= 200; /* the second half also has stray bytes (invalid UTF-8) */
        kz_buf_clear(&b);
        kz_buf_append_str(&b, "x.\n"); /* no title, no date: every byte must be covered */
        size_t n = (size_t)(x % 3000);
        int nl_rate = (int)(x % 7);
        for (size_t i = 0; i < n; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t k = (size_t)(x % (sizeof parts / sizeof *parts - (stray ? 0 : 2)));
            if ((k == 3 || k == 4 || k == 5 || k == 16) && (int)(x >> 40) % 7 >= nl_rate) k = 0;
            kz_buf_append_str(&b, parts[k]);
        }
        cr_assert_eq(kz_document_from_text(&d, "r", (char *)b.data, b.len), KZ_OK);
        cr_assert_null(d.title);
        check_invariants_utf8(&d, !stray);
        check_coverage(&d, 0);
    }
    kz_document_clear(&d);
    kz_buf_free(&b);
}

Test(passages, a_100_mb_line_gives_bounded_passages)
{
    size_t len = 100u << 20;
    char *text = malloc(len);
    cr_assert_not_null(text);
    static const char sentence[] =
        "Lorem ipsum dolor sit amet consectetur adipiscing elit sed do. ";
    for (size_t i = 0; i < len; i += sizeof sentence - 1) {
        size_t n = len - i < sizeof sentence - 1 ? len - i : sizeof sentence - 1;
        memcpy(text + i, sentence, n);
    }
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_text(&d, "big", text, len), KZ_OK);
    size_t pieces = (len + KZ_PASSAGE_MAX - 1) / KZ_PASSAGE_MAX;
    cr_assert_geq(d.npassages, pieces);
    cr_assert_leq(d.npassages, pieces + pieces / 20);
    uint64_t prev = 0;
    for (size_t i = 0; i < d.npassages; i++) {
        const kz_passage *p = &d.passages[i];
        cr_assert(p->start >= prev && p->end - p->start <= KZ_PASSAGE_MAX && p->line == 1);
        prev = p->end;
    }
    cr_assert_geq(prev, len - sizeof sentence);
    kz_document_clear(&d);
    free(text);
}

Test(passages, a_document_can_be_reused)
{
    kz_document d = KZ_DOCUMENT_INIT;
    split(&d, "Title\n\ndate-less body.");
    cr_assert_str_eq(d.title, "Title");
    split(&d, "date 2020-01-01 dated body.");
    cr_assert_null(d.title);
    cr_assert_str_eq(d.date, "2020-01-01");
    split(&d, "plain.");
    cr_assert_null(d.title);
    cr_assert_null(d.date);
    cr_assert_eq(d.npassages, 1);
    kz_document_clear(&d);
}
