/* test_normalize.c - the normalisation stage against Python's unicodedata (NFKC + casefold) as
 * an independent reference, plus the cases the product issue names. */
#include "error.h"
#include "normalize.h"
#include "support.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *norm(const char *s, size_t len)
{
    kz_normalizer n = KZ_NORMALIZER_INIT;
    kz_buf out = KZ_BUF_INIT;
    cr_assert_eq(kz_normalize(&n, &out, s, len), KZ_OK);
    cr_assert_eq(kz_buf_terminate(&out), KZ_OK);
    kz_normalizer_free(&n);
    if (out.data == NULL) return strdup("");
    return (char *)out.data;
}

static void expect(const char *in, const char *want)
{
    char *got = norm(in, strlen(in));
    cr_expect_str_eq(got, want, "normalise(\"%s\")", in);
    free(got);
}

Test(normalize, typographic_apostrophes_fold_to_ascii)
{
    expect("Tokayev’s", "tokayev's");
    expect("Tokayev's", "tokayev's");
    expect("Tokayev‘s", "tokayev's");
    expect("Tokayevʼs", "tokayev's");
    expect("Tokayev＇s", "tokayev's");
    expect("Tokayev′s", "tokayev's");
}

Test(normalize, fullwidth_and_case_fold_to_plain_lower_case)
{
    expect("ｔｏｋａｙｅｖ", "tokayev");
    expect("ＴＯＫＡＹＥＶ", "tokayev");
    expect("TOKAYEV", "tokayev");
    expect("Straße", "strasse");
    expect("ﬁnance", "finance");
    expect("ΣΑΣ", "σασ");
    expect("ПРИВЕТ", "привет");
}

Test(normalize, quotes_and_dashes_are_lumped)
{
    expect("“a”", "\"a\"");
    expect("«a»", "\"a\"");
    expect("a–b—c−d", "a-b-c-d");
}

Test(normalize, composes_and_drops_default_ignorables)
{
    expect("cafe\xcc\x81", "caf\xc3\xa9"); /* e + COMBINING ACUTE → é */
    expect("ex\xc2\xad"
           "ample",
           "example"); /* SOFT HYPHEN */
    expect("a\xe2\x80\x8d"
           "b",
           "ab");                                        /* ZERO WIDTH JOINER */
    expect("\xef\xbd\x83\xef\xbe\x9e", "c\xe3\x82\x99"); /* ｃ + HALFWIDTH VOICED MARK */
}

Test(normalize, invalid_bytes_become_replacement_characters)
{
    expect("a\xff"
           "b",
           "a\xef\xbf\xbd"
           "b");
    expect("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a lone surrogate */
    expect("\xc3", "\xef\xbf\xbd");                                 /* cut short */
    char *e = norm("", 0);
    cr_expect_str_eq(e, "");
    free(e);
}

Test(normalize, single_code_points_match_the_string_form)
{
    const uint32_t cps[] = {'A', 0xFF34, 0x2019, 0xF900, 0xFB01, 0x00DF, 0x3000, 0x00AD, 0x2460};
    for (size_t i = 0; i < sizeof cps / sizeof cps[0]; i++) {
        uint32_t dst[KZ_NORMALIZE_CP_MAX];
        size_t n = kz_normalize_cp(cps[i], dst);
        kz_buf a = KZ_BUF_INIT, b = KZ_BUF_INIT;
        char enc[4];
        size_t k = 0;
        uint32_t c = cps[i];
        if (c < 0x80)
            enc[k++] = (char)c;
        else if (c < 0x800) {
            enc[k++] = (char)(0xC0 | (c >> 6));
            enc[k++] = (char)(0x80 | (c & 63));
        } else {
            enc[k++] = (char)(0xE0 | (c >> 12));
            enc[k++] = (char)(0x80 | ((c >> 6) & 63));
            enc[k++] = (char)(0x80 | (c & 63));
        }
        kz_normalizer nz = KZ_NORMALIZER_INIT;
        cr_assert_eq(kz_normalize(&nz, &a, enc, k), KZ_OK);
        for (size_t j = 0; j < n; j++) {
            uint32_t x = dst[j];
            cr_assert_lt(x, 0x10000u);
            if (x < 0x80)
                kz_buf_append_u8(&b, (uint8_t)x);
            else if (x < 0x800) {
                kz_buf_append_u8(&b, (uint8_t)(0xC0 | (x >> 6)));
                kz_buf_append_u8(&b, (uint8_t)(0x80 | (x & 63)));
            } else {
                kz_buf_append_u8(&b, (uint8_t)(0xE0 | (x >> 12)));
                kz_buf_append_u8(&b, (uint8_t)(0x80 | ((x >> 6) & 63)));
                kz_buf_append_u8(&b, (uint8_t)(0x80 | (x & 63)));
            }
        }
        cr_expect_eq(a.len, b.len, "U+%04X", cps[i]);
        if (a.len == b.len && a.len)
            cr_expect_eq(memcmp(a.data, b.data, a.len), 0, "U+%04X", cps[i]);
        kz_buf_free(&a);
        kz_buf_free(&b);
        kz_normalizer_free(&nz);
    }
}

/* The reference: NFKC, then casefold, then NFKC again (what NFKC_Casefold amounts to), after the
 * same typographic lumping, with default ignorables removed. Words with characters Python's
 * Unicode 14 does not know are left out (utf8proc 2.8 has Unicode 15). */
static const char reference_py[] =
    "import sys, unicodedata as u\n"
    "lump = {0x2018:39,0x2019:39,0x201B:39,0x02BC:39,0xFF07:39,0x2032:39,0x201C:34,0x201D:34,"
    "0x201E:34,0x201F:34,0x2033:34,0xAB:34,0xBB:34,0x2010:45,0x2011:45,0x2012:45,0x2013:45,"
    "0x2014:45,0x2015:45,0x2212:45,0xFE58:45,0xFE63:45,0xFF0D:45}\n"
    "ign = set([0xAD,0x34F,0x61C,0x115F,0x1160,0x17B4,0x17B5,0x3164,0xFEFF,0xFFA0]+"
    "list(range(0x180B,0x1810))+list(range(0x200B,0x2010))+list(range(0x202A,0x202F))+"
    "list(range(0x2060,0x2070))+list(range(0xFE00,0xFE10))+list(range(0xFFF0,0xFFF9))+"
    "list(range(0x1BCA0,0x1BCA4))+list(range(0x1D173,0x1D17B))+list(range(0xE0000,0xE1000)))\n"
    "for line in open(sys.argv[1], encoding='utf-8'):\n"
    "    w = line.rstrip('\\n')\n"
    "    if any(u.category(c) == 'Cn' for c in w): print('\\t' + w); continue\n"
    "    w2 = ''.join(chr(lump.get(ord(c), ord(c))) for c in w if ord(c) not in ign)\n"
    "    r = u.normalize('NFKC', u.normalize('NFKC', w2).casefold())\n"
    "    r = ''.join(c for c in r if ord(c) not in ign)\n"
    "    print(r + '\\t' + w)\n";

Test(normalize, seed_words_match_python_unicodedata)
{
    char *dir = kzt_tempdir();
    char *words_path = kzt_path(dir, "words.txt");
    char *py_path = kzt_path(dir, "ref.py");
    kz_buf words = KZ_BUF_INIT;
    size_t nwords = 0;
    DIR *d = opendir(kzt_seeds_dir());
    cr_assert_not_null(d);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *p = kzt_path(kzt_seeds_dir(), e->d_name);
        size_t len;
        char *text = kzt_read_file(p, &len);
        size_t i = 0;
        while (i < len) {
            while (i < len &&
                   (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'))
                i++;
            size_t s = i;
            while (i < len && text[i] != ' ' && text[i] != '\n' && text[i] != '\t' &&
                   text[i] != '\r')
                i++;
            if (i > s) {
                kz_buf_append(&words, text + s, i - s);
                kz_buf_append_u8(&words, '\n');
                nwords++;
            }
        }
        free(text);
        free(p);
    }
    closedir(d);
    static const char extra[] = "ＴＯＫＡＹＥＶ’s\nStraße\nﬁnance\nǄemal\nⅫ\n①②\nΣΑΣ\n"
                                "cafe\xcc\x81\nﾃｽﾄ\nÅngström\nİstanbul\n㍿\n"
                                "ḱ\xcc\xa3\nq\xcc\x87\xcc\xa3\n";
    kz_buf_append(&words, extra, sizeof extra - 1);
    kzt_write_file(words_path, words.data, words.len);
    kzt_write_file(py_path, reference_py, sizeof reference_py - 1);
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s", py_path, words_path);
    int status;
    char *ref = kzt_run(cmd, &status);
    cr_assert_eq(status, 0);

    size_t checked = 0, mismatches = 0;
    char *line = ref;
    while (*line) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab);
        *tab = '\0';
        const char *word = tab + 1;
        if (line != tab) { /* known to Python's Unicode version */
            char *got = norm(word, strlen(word));
            if (strcmp(got, line) != 0) {
                mismatches++;
                cr_log_error("normalise(\"%s\") = \"%s\", Python: \"%s\"", word, got, line);
            }
            free(got);
            checked++;
        }
        line = nl + 1;
    }
    cr_expect_eq(mismatches, 0);
    cr_expect_gt(checked, nwords / 2);
    free(ref);
    kz_buf_free(&words);
    free(words_path);
    free(py_path);
    kzt_rmtree(dir);
}
