/* test_wordbreak.c - UAX #29 word boundaries and the Unicode property tables behind them.
 *
 * References: Unicode's own WordBreakTest.txt (every case), the UCD property files (parsed here
 * independently of the generator) and hand-checked segmentations of text the analyzer meets. */
#include "unicode_props.h"
#include "utf8.h"
#include "wordbreak.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UCD "/usr/share/unicode/"

/* Segments of text joined by '|' (a static buffer), with each segment's flags in flags[]. */
static char joined[4096];
static unsigned seg_flags[256];
static size_t nsegs;

static const char *segs_n(const char *text, size_t len)
{
    /* An exact-size heap copy, so a read past the end is caught by AddressSanitizer. */
    char *copy = malloc(len ? len : 1);
    cr_assert_not_null(copy);
    memcpy(copy, text, len);
    kz_wordbreak wb;
    kz_wordbreak_init(&wb, copy, len);
    size_t start, end, expect = 0, out = 0;
    unsigned flags;
    nsegs = 0;
    while (kz_wordbreak_next(&wb, &start, &end, &flags)) {
        cr_assert_eq(start, expect, "segments must be contiguous");
        cr_assert_gt(end, start, "segments must not be empty");
        cr_assert_lt(out + (end - start) + 2, sizeof joined);
        if (nsegs) joined[out++] = '|';
        memcpy(joined + out, text + start, end - start);
        out += end - start;
        if (nsegs < sizeof seg_flags / sizeof *seg_flags) seg_flags[nsegs] = flags;
        nsegs++;
        expect = end;
    }
    cr_assert_eq(expect, len, "segments must cover the text");
    joined[out] = '\0';
    free(copy);
    return joined;
}

static const char *segs(const char *text)
{
    return segs_n(text, strlen(text));
}

/* The test's own UTF-8 encoder, so the conformance test does not trust the code under test. */
static size_t put_utf8(uint8_t *o, uint32_t c)
{
    if (c < 0x80) return o[0] = (uint8_t)c, 1;
    if (c < 0x800) return o[0] = (uint8_t)(0xc0 | c >> 6), o[1] = (uint8_t)(0x80 | (c & 63)), 2;
    if (c < 0x10000) {
        o[0] = (uint8_t)(0xe0 | c >> 12);
        o[1] = (uint8_t)(0x80 | (c >> 6 & 63));
        o[2] = (uint8_t)(0x80 | (c & 63));
        return 3;
    }
    o[0] = (uint8_t)(0xf0 | c >> 18);
    o[1] = (uint8_t)(0x80 | (c >> 12 & 63));
    o[2] = (uint8_t)(0x80 | (c >> 6 & 63));
    o[3] = (uint8_t)(0x80 | (c & 63));
    return 4;
}

Test(wordbreak, passes_every_case_of_unicode_word_break_test)
{
    FILE *f = fopen(UCD "auxiliary/WordBreakTest.txt", "r");
    cr_assert_not_null(f, "cannot open WordBreakTest.txt (install unicode-data)");
    char line[8192];
    int cases = 0, passed = 0, lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash) *hash = '\0';
        uint8_t text[1024];
        size_t len = 0, want[256], nwant = 0;
        int any = 0;
        for (char *tok = strtok(line, " \t\n"); tok; tok = strtok(NULL, " \t\n")) {
            if (strcmp(tok, "\xc3\xb7") == 0) { /* ÷ : a boundary here */
                if (any) want[nwant++] = len;
            } else if (strcmp(tok, "\xc3\x97") == 0) { /* × : no boundary */
            } else {
                char *endp;
                unsigned long cp = strtoul(tok, &endp, 16);
                cr_assert(*endp == '\0' && cp <= 0x10ffff, "line %d: bad token %s", lineno, tok);
                cr_assert_lt(len + 4, sizeof text);
                len += put_utf8(text + len, (uint32_t)cp);
                any = 1;
            }
        }
        if (!any) continue;
        cases++;
        uint8_t *copy = malloc(len);
        cr_assert_not_null(copy);
        memcpy(copy, text, len);
        kz_wordbreak wb;
        kz_wordbreak_init(&wb, (const char *)copy, len);
        size_t start, end, got[256], ngot = 0;
        unsigned flags;
        while (ngot < 256 && kz_wordbreak_next(&wb, &start, &end, &flags)) got[ngot++] = end;
        free(copy);
        int ok = ngot == nwant && memcmp(got, want, ngot * sizeof *got) == 0;
        cr_expect(ok, "WordBreakTest.txt line %d: got %zu segments, want %zu", lineno, ngot, nwant);
        passed += ok;
    }
    fclose(f);
    cr_assert_eq(cases, 1823, "WordBreakTest.txt (Unicode 15.0) has 1823 cases, read %d", cases);
    cr_log_info("WordBreakTest.txt: %d/%d", passed, cases);
    cr_assert_eq(passed, cases);
}

/* Reads a UCD property file and calls fn(lo, hi, value) per data line. */
static void each_range(const char *path, void (*fn)(uint32_t, uint32_t, const char *))
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "cannot open %s", path);
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        unsigned lo, hi;
        char value[64];
        if (line[0] == '#' || line[0] == '\n') continue;
        if (sscanf(line, "%x..%x ; %63[A-Za-z_]", &lo, &hi, value) == 3 ||
            (sscanf(line, "%x ; %63[A-Za-z_]", &lo, value) == 2 && (hi = lo, 1)))
            fn(lo, hi, value);
    }
    fclose(f);
}

static uint8_t *want_wb, *want_ep, *want_sc;

static const char *const wb_name[KZ_WB_COUNT] = {
    [KZ_WB_OTHER] = "Other",
    [KZ_WB_CR] = "CR",
    [KZ_WB_LF] = "LF",
    [KZ_WB_NEWLINE] = "Newline",
    [KZ_WB_EXTEND] = "Extend",
    [KZ_WB_ZWJ] = "ZWJ",
    [KZ_WB_REGIONAL_INDICATOR] = "Regional_Indicator",
    [KZ_WB_FORMAT] = "Format",
    [KZ_WB_KATAKANA] = "Katakana",
    [KZ_WB_HEBREW_LETTER] = "Hebrew_Letter",
    [KZ_WB_ALETTER] = "ALetter",
    [KZ_WB_SINGLE_QUOTE] = "Single_Quote",
    [KZ_WB_DOUBLE_QUOTE] = "Double_Quote",
    [KZ_WB_MIDNUMLET] = "MidNumLet",
    [KZ_WB_MIDLETTER] = "MidLetter",
    [KZ_WB_MIDNUM] = "MidNum",
    [KZ_WB_NUMERIC] = "Numeric",
    [KZ_WB_EXTENDNUMLET] = "ExtendNumLet",
    [KZ_WB_WSEGSPACE] = "WSegSpace",
};

static void set_wb(uint32_t lo, uint32_t hi, const char *v)
{
    int w = -1;
    for (int i = 0; i < KZ_WB_COUNT; i++)
        if (strcmp(v, wb_name[i]) == 0) w = i;
    cr_assert_geq(w, 0, "unknown Word_Break value %s", v);
    for (uint32_t c = lo; c <= hi; c++) want_wb[c] = (uint8_t)w;
}

static void set_ep(uint32_t lo, uint32_t hi, const char *v)
{
    if (strcmp(v, "Extended_Pictographic") == 0)
        for (uint32_t c = lo; c <= hi; c++) want_ep[c] = 1;
}

static void set_sc(uint32_t lo, uint32_t hi, const char *v)
{
    static const struct {
        const char *name;
        kz_ucd_script sc;
    } map[] = {{"Common", KZ_UCD_SC_COMMON},     {"Inherited", KZ_UCD_SC_INHERITED},
               {"Latin", KZ_UCD_SC_LATIN},       {"Cyrillic", KZ_UCD_SC_CYRILLIC},
               {"Greek", KZ_UCD_SC_GREEK},       {"Han", KZ_UCD_SC_HAN},
               {"Hiragana", KZ_UCD_SC_HIRAGANA}, {"Katakana", KZ_UCD_SC_KATAKANA},
               {"Hangul", KZ_UCD_SC_HANGUL},     {"Arabic", KZ_UCD_SC_ARABIC},
               {"Hebrew", KZ_UCD_SC_HEBREW},     {"Thai", KZ_UCD_SC_THAI}};
    for (size_t i = 0; i < sizeof map / sizeof *map; i++)
        if (strcmp(v, map[i].name) == 0)
            for (uint32_t c = lo; c <= hi; c++) want_sc[c] = (uint8_t)map[i].sc;
}

Test(wordbreak, property_tables_match_the_ucd_files_for_every_code_point)
{
    want_wb = calloc(0x110000, 1);
    want_ep = calloc(0x110000, 1);
    want_sc = calloc(0x110000, 1);
    cr_assert(want_wb && want_ep && want_sc);
    each_range(UCD "auxiliary/WordBreakProperty.txt", set_wb);
    each_range(UCD "emoji/emoji-data.txt", set_ep);
    each_range(UCD "Scripts.txt", set_sc);
    long bad = 0;
    for (uint32_t c = 0; c < 0x110000; c++) {
        bad += kz_wb_prop(c) != want_wb[c];
        bad += kz_is_extpict(c) != want_ep[c];
        bad += kz_script_prop(c) != want_sc[c];
        if (bad == 1) cr_log_error("first mismatch at U+%04X", (unsigned)c);
    }
    cr_expect_eq(bad, 0, "%ld property mismatches", bad);
    free(want_wb);
    free(want_ep);
    free(want_sc);
    /* Spot checks against values known by heart. */
    cr_assert_eq(kz_wb_prop('a'), KZ_WB_ALETTER);
    cr_assert_eq(kz_wb_prop('\''), KZ_WB_SINGLE_QUOTE);
    cr_assert_eq(kz_wb_prop(0x2019), KZ_WB_MIDNUMLET);
    cr_assert_eq(kz_wb_prop(0xfffd), KZ_WB_OTHER);
    cr_assert_eq(kz_wb_prop(0x110000), KZ_WB_OTHER);
    cr_assert_eq(kz_script_prop(0x4e2d), KZ_UCD_SC_HAN);
    cr_assert_eq(kz_script_prop(0x0416), KZ_UCD_SC_CYRILLIC);
    cr_assert_eq(kz_script_prop(0x3105), KZ_UCD_SC_OTHER); /* Bopomofo */
    cr_assert(kz_is_extpict(0x1f600));
    cr_assert(kz_is_alphabetic(0x0e01) && kz_is_alphabetic(0x4e2d) && !kz_is_alphabetic('1'));
}

Test(wordbreak, hyphen_splits_words)
{
    cr_assert_str_eq(segs("post-Soviet"), "post|-|Soviet");
}

Test(wordbreak, apostrophes_stay_inside_words)
{
    cr_assert_str_eq(segs("CSTO's"), "CSTO's");
    cr_assert_str_eq(segs("Tokayev\xe2\x80\x99s"), "Tokayev\xe2\x80\x99s"); /* U+2019 */
    cr_assert_str_eq(segs("rock 'n' roll"), "rock| |'|n|'| |roll");
}

Test(wordbreak, numbers_keep_their_separators_dates_do_not)
{
    cr_assert_str_eq(segs("2,200"), "2,200");
    cr_assert_str_eq(segs("3.14"), "3.14");
    cr_assert_str_eq(segs("2022-01-06"), "2022|-|01|-|06");
    cr_assert_str_eq(segs("2,"), "2|,");
    cr_assert_eq(seg_flags[0], KZ_WB_HAS_DIGIT);
    cr_assert_str_eq(segs("A4 x2"), "A4| |x2");
    cr_assert_eq(seg_flags[0], KZ_WB_HAS_LETTER | KZ_WB_HAS_DIGIT);
}

Test(wordbreak, dotted_names_and_abbreviations)
{
    cr_assert_str_eq(segs("avtonom.org"), "avtonom.org");
    cr_assert_str_eq(segs("U.S."), "U.S|.");
    cr_assert_str_eq(segs("end. Next"), "end|.| |Next");
    cr_assert_str_eq(segs("snake_case_42"), "snake_case_42");
}

Test(wordbreak, emoji_sequences_stay_whole)
{
    /* family: man ZWJ woman ZWJ girl */
    const char *family = "\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7";
    cr_assert_str_eq(segs(family), family);
    cr_assert_eq(seg_flags[0], 0);
    /* thumbs up + skin tone modifier (Extend) between letters */
    cr_assert_str_eq(segs("a\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd"
                          "b"),
                     "a|\xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd|b");
    /* flags pair up: UA then RU */
    cr_assert_str_eq(segs("\xf0\x9f\x87\xba\xf0\x9f\x87\xa6\xf0\x9f\x87\xb7\xf0\x9f\x87\xba"),
                     "\xf0\x9f\x87\xba\xf0\x9f\x87\xa6|\xf0\x9f\x87\xb7\xf0\x9f\x87\xba");
}

Test(wordbreak, katakana_run_is_one_segment_hiragana_and_han_are_not)
{
    cr_assert_str_eq(
        segs("\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a\xe3\x83\xbc"),
        "\xe3\x82\xab\xe3\x82\xbf\xe3\x82\xab\xe3\x83\x8a\xe3\x83\xbc"); /* カタカナー */
    cr_assert_eq(seg_flags[0], KZ_WB_HAS_LETTER | KZ_WB_HAS_KANA);
    cr_assert_str_eq(segs("\xe3\x81\xb2\xe3\x82\x89"), "\xe3\x81\xb2|\xe3\x82\x89"); /* ひら */
    cr_assert_eq(seg_flags[1], KZ_WB_HAS_LETTER | KZ_WB_HAS_KANA);
    cr_assert_str_eq(segs("\xe4\xb8\xad\xe6\x96\x87\xe5\xad\x97"),
                     "\xe4\xb8\xad|\xe6\x96\x87|\xe5\xad\x97"); /* 中文字 */
    cr_assert_eq(nsegs, 3);
    for (size_t i = 0; i < 3; i++) cr_assert_eq(seg_flags[i], KZ_WB_HAS_LETTER | KZ_WB_HAS_IDEO);
}

Test(wordbreak, hebrew_acronyms_with_gershayim_or_quote_are_one_word)
{
    /* צה״ל with U+05F4 GERSHAYIM (MidLetter, WB6/7) and with '"' (WB7b/7c) */
    cr_assert_str_eq(segs("\xd7\xa6\xd7\x94\xd7\xb4\xd7\x9c"), "\xd7\xa6\xd7\x94\xd7\xb4\xd7\x9c");
    cr_assert_str_eq(segs("\xd7\xa6\xd7\x94\"\xd7\x9c"), "\xd7\xa6\xd7\x94\"\xd7\x9c");
    cr_assert_str_eq(segs("\xd7\xa9'"), "\xd7\xa9'"); /* WB7a: Hebrew letter × ' */
    cr_assert_str_eq(segs("a\"b"), "a|\"|b");
}

Test(wordbreak, spaces_and_newlines)
{
    cr_assert_str_eq(segs("a  b"), "a|  |b");
    cr_assert_str_eq(segs("a\r\n\nb"), "a|\r\n|\n|b");
    cr_assert_eq(seg_flags[1], 0);
    cr_assert_str_eq(segs("\xcc\x88"
                          "a"),
                     "\xcc\x88|a"); /* Extend at the start stands alone */
}

Test(wordbreak, cyrillic_and_thai_letters_are_flagged)
{
    cr_assert_str_eq(segs("\xd0\x9c\xd0\xb8\xd1\x80 x"), "\xd0\x9c\xd0\xb8\xd1\x80| |x"); /* Мир */
    cr_assert_eq(seg_flags[0], KZ_WB_HAS_LETTER);
    segs("\xe0\xb8\x81\xe0\xb8\xb2"); /* กา: Thai letters are Word_Break=Other */
    cr_assert_eq(nsegs, 2);
    cr_assert_eq(seg_flags[0], KZ_WB_HAS_LETTER);
}

Test(wordbreak, invalid_utf8_forms_its_own_segments)
{
    cr_assert_str_eq(segs("ab\xff"
                          "cd"),
                     "ab|\xff|cd");
    cr_assert_eq(seg_flags[1], 0);
    /* A truncated 3-byte sequence at the end is one U+FFFD, one segment. */
    cr_assert_str_eq(segs("x\xe4\xb8"), "x|\xe4\xb8");
    /* U+FFFD is Other: it does not glue letters together. */
    cr_assert_str_eq(segs("a\xef\xbf\xbd"
                          "b"),
                     "a|\xef\xbf\xbd|b");
    cr_assert_eq(memcmp(segs_n("a\0b", 3), "a|\0|b", 6), 0); /* NUL is an ordinary character */
}

Test(wordbreak, empty_text_has_no_segments)
{
    kz_wordbreak wb;
    size_t s = 7, e = 7;
    unsigned f = 7;
    kz_wordbreak_init(&wb, NULL, 0);
    cr_assert_eq(kz_wordbreak_next(&wb, &s, &e, &f), 0);
    cr_assert_eq(s, 7);
    kz_wordbreak_init(&wb, "", 0);
    cr_assert_eq(kz_wordbreak_next(&wb, &s, &e, &f), 0);
}

Test(wordbreak, random_bytes_are_partitioned_without_reading_past_the_end)
{
    uint32_t x = 12345;
    for (int round = 0; round < 2000; round++) {
        size_t len = (size_t)(round % 40) + 1;
        char *buf = malloc(len);
        cr_assert_not_null(buf);
        for (size_t i = 0; i < len; i++) {
            x = x * 1103515245u + 12345u;
            /* bias towards bytes that matter: ASCII letters, punctuation and UTF-8 leads */
            static const char pool[] = "a1.,'\" \r\n_-\x80\xbf\xc3\xe2\xe3\xf0\xf4\xff\xcc\xd7";
            buf[i] = (x >> 16) % 3 ? pool[(x >> 8) % (sizeof pool - 1)] : (char)(x >> 24);
        }
        segs_n(buf, len); /* asserts contiguity, non-emptiness and coverage */
        free(buf);
    }
}
