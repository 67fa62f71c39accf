/* test_t2s.c - Traditional → Simplified conversion (common/t2s.h) against OpenCC itself: every
 * character below KZ_T2S_LIMIT converts alone as OpenCC converts it alone; runs converted without
 * OpenCC (no multi-character key in them) and with it give what OpenCC gives; OpenCC is opened
 * only for a run holding a key; the built-in tables hold exactly the multi-character keys of the
 * installed dictionaries and their one-character conversions (read again with opencc_dict); the
 * fingerprint that guards the tables notices changed files.
 *
 * kz_t2s_opencc_opens() counts how often converters open OpenCC. */
#include "error.h"
#include "t2s.h"
#include "t2s_phrases.h"
#include "utf8.h"

#include "support.h"

#include <criterion/criterion.h>
#include <opencc/opencc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decodes UTF-8 text into a malloc'd code-point array. */
static uint32_t *decode(const char *s, size_t len, size_t *n)
{
    uint32_t *cps = malloc((len + 1) * sizeof *cps);
    cr_assert_not_null(cps);
    const uint8_t *p = (const uint8_t *)s, *end = p + len;
    *n = 0;
    while (p < end) p += kz_utf8_decode(p, end, &cps[(*n)++]);
    return cps;
}

static char *encode(const uint32_t *cps, size_t n)
{
    char *s = malloc(4 * n + 1);
    cr_assert_not_null(s);
    size_t len = 0;
    for (size_t i = 0; i < n; i++) len += kz_utf8_encode(cps[i], (uint8_t *)s + len);
    s[len] = '\0';
    return s;
}

/* Converts text with kz_t2s and with OpenCC; when OpenCC keeps the number of characters (as
 * kz_t2s always does), both must agree. Returns whether they were compared. */
static int check_like_opencc(kz_t2s *c, opencc_t cc, const char *text, size_t len)
{
    size_t n, m;
    uint32_t *cps = decode(text, len, &n);
    cr_assert_eq(kz_t2s_convert(c, cps, n), KZ_OK, "%s", kz_errmsg());
    char *ref = opencc_convert_utf8(cc, text, len);
    cr_assert_not_null(ref, "%s", opencc_error());
    uint32_t *rcps = decode(ref, strlen(ref), &m);
    int compared = m == n;
    if (compared) {
        char *got = encode(cps, n);
        cr_expect_str_eq(got, ref, "converting %.*s", (int)len, text);
        free(got);
    }
    free(rcps);
    opencc_convert_utf8_free(ref);
    free(cps);
    return compared;
}

static opencc_t open_opencc(void)
{
    opencc_t cc = opencc_open(KZ_T2S_CONFIG);
    cr_assert(cc != (opencc_t)-1 && cc != NULL, "%s", opencc_error());
    return cc;
}

Test(t2s, shortcut_is_on_for_the_installed_opencc_files)
{
    cr_expect_eq(kz_t2s_shortcut(), 1);
}

/* One installed dictionary dumped by opencc_dict as text ("key<TAB>value[ value...]" lines),
 * malloc'd; dir is a scratch directory. */
static char *read_dump(const char *dir, const char *name)
{
    char cmd[1024], *out = kzt_path(dir, "dump.txt");
    snprintf(cmd, sizeof cmd, "opencc_dict -i %s/%s -o %s -f ocd2 -t text", KZ_T2S_DIR, name, out);
    int status;
    free(kzt_run(cmd, &status));
    cr_assert_eq(status, 0, "%s", cmd);
    size_t len;
    char *text = kzt_read_file(out, &len);
    free(out);
    return text;
}

/* The multi-character keys of one dictionary dumped by opencc_dict, each checked against the
 * built-in table; returns how many there were. */
static size_t check_dump_in_table(const char *dir, const char *name)
{
    char *text = read_dump(dir, name);
    size_t found = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab, "%s: %s", name, line);
        size_t n;
        uint32_t *key = decode(line, (size_t)(tab - line), &n);
        if (n >= 2) {
            int in_table = 0;
            for (uint32_t k = 0, start = 0; k < kz_t2s_phrase_count && !in_table; k++) {
                uint32_t end = kz_t2s_phrase_ends[k];
                in_table = end - start == n &&
                           memcmp(kz_t2s_phrase_cps + start, key, n * sizeof *key) == 0;
                start = end;
            }
            cr_expect(in_table, "%s: key %.*s is missing from the table", name, (int)(tab - line),
                      line);
            found++;
        }
        free(key);
    }
    free(text);
    return found;
}

Test(t2s, table_holds_every_multi_character_key_of_the_installed_dictionaries)
{
    char *dir = kzt_tempdir();
    size_t phrases = check_dump_in_table(dir, "TSPhrases.ocd2");
    size_t characters = check_dump_in_table(dir, "TSCharacters.ocd2");
    cr_expect_gt(phrases, 100);
    /* Each key once, so with no key in both dictionaries the counts add up exactly. */
    cr_expect_leq(kz_t2s_phrase_count, phrases + characters);
    cr_expect_geq(kz_t2s_phrase_count, phrases);
    uint32_t start = 0;
    for (uint32_t k = 0; k < kz_t2s_phrase_count; k++) {
        cr_expect_geq(kz_t2s_phrase_ends[k] - start, 2u, "key %u", k);
        start = kz_t2s_phrase_ends[k];
    }
    kzt_rmtree(dir);
}

static int is_surrogate(uint32_t cp)
{
    return cp >= 0xd800 && cp <= 0xdfff;
}

/* What OpenCC, called on cp alone, makes of it: the one character of its answer when there is
 * exactly one, different from cp and not U+FFFD; otherwise cp (kz_t2s keeps one character per
 * character). */
static uint32_t opencc_alone(opencc_t cc, uint32_t cp)
{
    char *s = encode(&cp, 1);
    char *ref = opencc_convert_utf8(cc, s, strlen(s));
    cr_assert_not_null(ref, "U+%04X: %s", cp, opencc_error());
    size_t n;
    uint32_t *cps = decode(ref, strlen(ref), &n);
    uint32_t to = n == 1 && cps[0] != KZ_UTF8_REPLACEMENT ? cps[0] : cp;
    free(cps);
    opencc_convert_utf8_free(ref);
    free(s);
    return to;
}

/* Exhaustive, one OpenCC call a character (~0.2 s): the generated table, through the memo, gives
 * what OpenCC gives for each character on its own. */
Test(t2s, each_character_alone_converts_as_opencc_converts_it_alone)
{
    cr_assert_eq(kz_t2s_shortcut(), 1, "the character table is not in use");
    kz_t2s *c;
    cr_assert_eq(kz_t2s_new(&c), KZ_OK);
    opencc_t cc = open_opencc();
    size_t changed = 0, wrong = 0;
    for (uint32_t cp = 1; cp < KZ_T2S_LIMIT; cp++) {
        if (cp == '\n' || is_surrogate(cp)) continue;
        uint32_t got, want = opencc_alone(cc, cp);
        cr_assert_eq(kz_t2s_char(c, cp, &got), KZ_OK, "%s", kz_errmsg());
        changed += want != cp;
        if (got != want && wrong++ < 20)
            cr_expect_eq(got, want, "U+%04X: kz_t2s gives U+%04X, OpenCC U+%04X", cp, got, want);
    }
    /* Those OpenCC is not asked about stay as they are. */
    static const uint32_t unasked[] = {0, '\n', 0xd800, 0xdfff, KZ_T2S_LIMIT, 0x10ffff};
    for (size_t i = 0; i < sizeof unasked / sizeof unasked[0]; i++) {
        uint32_t got;
        cr_assert_eq(kz_t2s_char(c, unasked[i], &got), KZ_OK, "%s", kz_errmsg());
        cr_expect_eq(got, unasked[i], "U+%04X", unasked[i]);
    }
    cr_expect_eq(wrong, 0, "%zu characters convert unlike OpenCC", wrong);
    cr_expect_eq(changed, kz_t2s_char_count);
    cr_expect_gt(changed, 1000);
    opencc_close(cc);
    kz_t2s_free(c);
}

/* The one-character keys of a dump into want[cp] (the first value when it is one character other
 * than cp and not U+FFFD, else 0: unchanged), overriding what want held for those keys. */
static size_t want_from_dump(const char *dir, const char *name, uint32_t *want)
{
    char *text = read_dump(dir, name);
    size_t keys = 0;
    for (char *line = strtok(text, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab, "%s: %s", name, line);
        size_t n, m;
        uint32_t *key = decode(line, (size_t)(tab - line), &n);
        char *value = tab + 1;
        uint32_t *first = decode(value, strcspn(value, " "), &m);
        if (n == 1 && key[0] >= 1 && key[0] < KZ_T2S_LIMIT && key[0] != '\n' &&
            !is_surrogate(key[0])) {
            want[key[0]] =
                m == 1 && first[0] != key[0] && first[0] != KZ_UTF8_REPLACEMENT ? first[0] : 0;
            keys++;
        }
        free(first);
        free(key);
    }
    free(text);
    return keys;
}

Test(t2s, character_table_is_sorted_unique_and_what_the_dictionaries_say)
{
    cr_assert_gt(kz_t2s_char_count, 1000);
    for (uint32_t i = 0; i < kz_t2s_char_count; i++) {
        uint32_t from = kz_t2s_char_from[i], to = kz_t2s_char_to[i];
        cr_expect(from >= 1 && from < KZ_T2S_LIMIT && from != '\n' && !is_surrogate(from),
                  "entry %u: U+%04X is not a character OpenCC was asked about", i, from);
        if (i > 0)
            cr_expect_gt(from, kz_t2s_char_from[i - 1], "entry %u: not sorted, or repeated", i);
        cr_expect(to != from && to != KZ_UTF8_REPLACEMENT && to <= 0x10ffff && !is_surrogate(to),
                  "entry %u: U+%04X -> U+%04X is not a change into a character", i, from, to);
    }

    /* OpenCC's group takes the first dictionary that has the key, TSPhrases before TSCharacters,
     * and a key's first value: so TSPhrases overrides. */
    uint32_t *want = calloc(KZ_T2S_LIMIT, sizeof *want);
    cr_assert_not_null(want);
    char *dir = kzt_tempdir();
    size_t keys = want_from_dump(dir, "TSCharacters.ocd2", want);
    keys += want_from_dump(dir, "TSPhrases.ocd2", want);
    cr_expect_gt(keys, 1000);
    uint32_t i = 0;
    for (uint32_t cp = 1; cp < KZ_T2S_LIMIT; cp++) {
        int in_table = i < kz_t2s_char_count && kz_t2s_char_from[i] == cp;
        uint32_t to = in_table ? kz_t2s_char_to[i++] : 0;
        cr_expect_eq(to, want[cp], "U+%04X: the table says U+%04X, the dictionaries U+%04X", cp, to,
                     want[cp]);
    }
    cr_expect_eq(i, kz_t2s_char_count, "entries past KZ_T2S_LIMIT or out of order");
    kzt_rmtree(dir);
    free(want);
}

/* Whether one of the multi-character keys occurs in cps[0..n) (a plain scan of the table). */
static int holds_key(const uint32_t *cps, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (uint32_t k = 0, start = 0; k < kz_t2s_phrase_count; k++) {
            uint32_t end = kz_t2s_phrase_ends[k];
            if (end - start <= n - i &&
                memcmp(kz_t2s_phrase_cps + start, cps + i, (end - start) * sizeof *cps) == 0)
                return 1;
            start = end;
        }
    return 0;
}

Test(t2s, under_the_shortcut_opencc_is_opened_only_for_a_run_holding_a_key)
{
    cr_assert_eq(kz_t2s_shortcut(), 1);
    kz_t2s *c;
    cr_assert_eq(kz_t2s_new(&c), KZ_OK);
    size_t opens = kz_t2s_opencc_opens();

    /* Single characters, Traditional and Simplified, and runs without a key. */
    static const char *const plain[] = {"說明書們", "说明书", "關於這個軟體", "乾"};
    uint32_t got;
    cr_assert_eq(kz_t2s_char(c, 0x8aaa /* 說 */, &got), KZ_OK, "%s", kz_errmsg());
    cr_expect_eq(got, 0x8bf4 /* 说 */);
    cr_assert_eq(kz_t2s_char(c, 0x4e7e /* 乾 */, &got), KZ_OK);
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        size_t n;
        uint32_t *cps = decode(plain[i], strlen(plain[i]), &n);
        cr_assert(!holds_key(cps, n), "%s holds a key: pick another text", plain[i]);
        cr_assert_eq(kz_t2s_convert(c, cps, n), KZ_OK, "%s", kz_errmsg());
        free(cps);
    }
    cr_expect_eq(kz_t2s_opencc_opens(), opens, "OpenCC opened without a key in sight");

    /* Runs holding a key (and a character that changes alone): OpenCC, opened once. */
    for (uint32_t k = 0, start = 0; k < 3 && k < kz_t2s_phrase_count; k++) {
        uint32_t end = kz_t2s_phrase_ends[k], cps[64];
        cr_assert_leq(end - start + 1, sizeof cps / sizeof cps[0]);
        cps[0] = 0x8aaa; /* 說 */
        memcpy(cps + 1, kz_t2s_phrase_cps + start, (end - start) * sizeof *cps);
        cr_assert_eq(kz_t2s_convert(c, cps, end - start + 1), KZ_OK, "%s", kz_errmsg());
        cr_expect_eq(kz_t2s_opencc_opens(), opens + 1, "key %u", k);
        start = end;
    }
    kz_t2s_free(c);
}

/* Every key between two characters that change alone (so the run must be converted): the run
 * goes to OpenCC, and a key whose phrase conversion differs from its characters' (乾坤 keeps 乾)
 * would come out wrong if it were missed. Also each key's first character alone in such a run,
 * which takes the shortcut. */
Test(t2s, every_key_in_a_traditional_run_converts_as_opencc_does)
{
    kz_t2s *c;
    cr_assert_eq(kz_t2s_new(&c), KZ_OK);
    opencc_t cc = open_opencc();
    size_t compared = 0, differ_alone = 0;
    uint32_t start = 0;
    for (uint32_t k = 0; k < kz_t2s_phrase_count; k++) {
        uint32_t end = kz_t2s_phrase_ends[k];
        char *key = encode(kz_t2s_phrase_cps + start, end - start);
        char *first = encode(kz_t2s_phrase_cps + start, 1);
        char text[256];
        int len = snprintf(text, sizeof text, "說%s們", key);
        compared += (size_t)check_like_opencc(c, cc, text, (size_t)len);
        len = snprintf(text, sizeof text, "說%s們", first);
        compared += (size_t)check_like_opencc(c, cc, text, (size_t)len);

        /* Count the keys the shortcut would get wrong: phrase ≠ characters alone. */
        size_t n = end - start;
        uint32_t *alone = malloc(n * sizeof *alone);
        cr_assert_not_null(alone);
        for (size_t i = 0; i < n; i++)
            cr_assert_eq(kz_t2s_char(c, kz_t2s_phrase_cps[start + i], &alone[i]), KZ_OK);
        char *alone_s = encode(alone, n);
        char *ref = opencc_convert_utf8(cc, key, strlen(key));
        cr_assert_not_null(ref);
        differ_alone += strcmp(ref, alone_s) != 0;
        opencc_convert_utf8_free(ref);
        free(alone_s);
        free(alone);
        free(first);
        free(key);
        start = end;
    }
    cr_expect_gt(compared, kz_t2s_phrase_count);
    cr_expect_gt(differ_alone, 10, "too few keys tell phrase conversion from the shortcut");
    opencc_close(cc);
    kz_t2s_free(c);
}

/* Each run of ideographs in Taiwanese manual pages, converted on its own. */
Test(t2s, runs_of_traditional_manual_pages_convert_as_opencc_does)
{
    int status;
    char *text = kzt_run("ls /usr/share/man/zh_TW/man1/*.gz | head -40 | xargs zcat", &status);
    cr_assert_eq(status, 0);
    kz_t2s *c;
    cr_assert_eq(kz_t2s_new(&c), KZ_OK);
    opencc_t cc = open_opencc();
    size_t runs = 0, compared = 0;
    const uint8_t *p = (const uint8_t *)text, *end = p + strlen(text);
    while (p < end) {
        const uint8_t *run = p;
        uint32_t cp;
        size_t k;
        while (p < end && (k = kz_utf8_decode(p, end, &cp), cp >= 0x3400 && cp < 0xa000)) p += k;
        if (p > run) {
            runs++;
            compared += (size_t)check_like_opencc(c, cc, (const char *)run, (size_t)(p - run));
        } else {
            p += kz_utf8_decode(p, end, &cp);
        }
    }
    cr_expect_gt(runs, 1000);
    cr_expect_gt(compared, runs * 9 / 10);
    opencc_close(cc);
    kz_t2s_free(c);
    free(text);
}

Test(t2s, fingerprint_notices_a_changed_or_missing_file)
{
    static const char *const names[] = {"t2s.json", "TSPhrases.ocd2", "TSCharacters.ocd2"};
    uint64_t installed, copy;
    cr_assert_eq(kz_t2s_fingerprint(KZ_T2S_DIR, &installed), KZ_OK, "%s", kz_errmsg());
    cr_expect_eq(installed, kz_t2s_phrase_fingerprint);
    char *dir = kzt_tempdir();
    for (size_t i = 0; i < 3; i++) {
        char *from = kzt_path(KZ_T2S_DIR, names[i]), *to = kzt_path(dir, names[i]);
        size_t len;
        char *data = kzt_read_file(from, &len);
        kzt_write_file(to, data, len);
        free(data);
        free(from);
        free(to);
    }
    cr_assert_eq(kz_t2s_fingerprint(dir, &copy), KZ_OK);
    cr_expect_eq(copy, installed, "a copy of the files has the same fingerprint");
    for (size_t i = 0; i < 3; i++) {
        char *path = kzt_path(dir, names[i]);
        size_t len;
        char *data = kzt_read_file(path, &len);
        data[len / 2] ^= 1;
        kzt_write_file(path, data, len);
        cr_assert_eq(kz_t2s_fingerprint(dir, &copy), KZ_OK);
        cr_expect_neq(copy, installed, "%s changed", names[i]);
        data[len / 2] ^= 1;
        kzt_write_file(path, data, len);
        free(data);
        free(path);
    }
    char *gone = kzt_path(dir, "TSCharacters.ocd2");
    cr_assert_eq(remove(gone), 0);
    cr_expect_eq(kz_t2s_fingerprint(dir, &copy), KZ_ENOTFOUND);
    cr_expect_str_neq(kz_errmsg(), "");
    free(gone);
    kzt_rmtree(dir);
}
