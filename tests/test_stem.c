/* test_stem.c - the stemming stage (normalise, then Snowball) against Snowball's own published
 * vocabularies: Debian snowball-data's voc.txt → output.txt for English and Russian. */
#include "error.h"
#include "normalize.h"
#include "stem.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t mismatches_for(const char *lang_dir, int lang, size_t *checked)
{
    char voc_path[512], out_path[512];
    snprintf(voc_path, sizeof voc_path, "/usr/share/snowball/data/%s/voc.txt", lang_dir);
    snprintf(out_path, sizeof out_path, "/usr/share/snowball/data/%s/output.txt", lang_dir);
    size_t vlen, olen;
    char *voc = kzt_read_file(voc_path, &vlen);
    char *out = kzt_read_file(out_path, &olen);
    kz_stemmer *s;
    cr_assert_eq(kz_stemmer_new(&s), KZ_OK);
    kz_normalizer n = KZ_NORMALIZER_INIT;
    kz_buf word = KZ_BUF_INIT;
    size_t bad = 0;
    char *v = voc, *o = out;
    *checked = 0;
    /* Twice: the second pass is answered from the stem cache and must agree too. */
    for (int pass = 0; pass < 2; pass++) {
        v = voc;
        o = out;
        while (*v && *o) {
            char *vn = strchr(v, '\n'), *on = strchr(o, '\n');
            cr_assert(vn != NULL && on != NULL);
            kz_buf_clear(&word);
            cr_assert_eq(kz_normalize(&n, &word, v, (size_t)(vn - v)), KZ_OK);
            const char *stem;
            size_t stem_len;
            cr_assert_eq(kz_stem(s, lang, (const char *)word.data, word.len, &stem, &stem_len),
                         KZ_OK);
            if (stem_len != (size_t)(on - o) || memcmp(stem, o, stem_len) != 0) {
                if (bad < 20)
                    cr_log_error("%s: %.*s -> %.*s, expected %.*s", lang_dir, (int)(vn - v), v,
                                 (int)stem_len, stem, (int)(on - o), o);
                bad++;
            }
            (*checked)++;
            v = vn + 1;
            o = on + 1;
        }
        cr_assert(*v == '\0' && *o == '\0', "voc.txt and output.txt differ in length");
    }
    kz_buf_free(&word);
    kz_normalizer_free(&n);
    kz_stemmer_free(s);
    free(voc);
    free(out);
    return bad;
}

Test(stem, english_vocabulary_stems_as_snowball_publishes)
{
    size_t checked;
    cr_expect_eq(mismatches_for("english", KZ_STEM_ENGLISH, &checked), 0);
    cr_expect_gt(checked, 50000);
}

Test(stem, russian_vocabulary_stems_as_snowball_publishes)
{
    size_t checked;
    cr_expect_eq(mismatches_for("russian", KZ_STEM_RUSSIAN, &checked), 0);
    cr_expect_gt(checked, 50000);
}

Test(stem, curly_and_straight_possessives_give_one_stem)
{
    kz_stemmer *s;
    cr_assert_eq(kz_stemmer_new(&s), KZ_OK);
    kz_normalizer n = KZ_NORMALIZER_INIT;
    const char *words[] = {"Tokayev’s", "Tokayev's", "tokayev", "ＴＯＫＡＹＥＶ"};
    for (size_t i = 0; i < 4; i++) {
        kz_buf w = KZ_BUF_INIT;
        cr_assert_eq(kz_normalize(&n, &w, words[i], strlen(words[i])), KZ_OK);
        const char *stem;
        size_t len;
        cr_assert_eq(kz_stem(s, KZ_STEM_ENGLISH, (const char *)w.data, w.len, &stem, &len), KZ_OK);
        cr_expect_eq(len, 7, "%s", words[i]);
        cr_expect_eq(memcmp(stem, "tokayev", 7), 0, "%s -> %.*s", words[i], (int)len, stem);
        kz_buf_free(&w);
    }
    kz_normalizer_free(&n);
    kz_stemmer_free(s);
}

Test(stem, words_without_a_stemmer_pass_unchanged)
{
    kz_stemmer *s;
    cr_assert_eq(kz_stemmer_new(&s), KZ_OK);
    const char *stem;
    size_t len;
    cr_assert_eq(kz_stem(s, KZ_STEM_NONE, "running", 7, &stem, &len), KZ_OK);
    cr_expect_eq(len, 7);
    cr_expect_eq(memcmp(stem, "running", 7), 0);
    cr_assert_eq(kz_stem(s, KZ_STEM_ENGLISH, "running", 7, &stem, &len), KZ_OK);
    cr_expect_eq(len, 3);
    cr_expect_eq(memcmp(stem, "run", 3), 0);
    kz_stemmer_free(s);
}
