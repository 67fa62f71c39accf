/* test_termdict.c - the term dictionary against a brute-force model: a sorted array of the same
 * terms and infos, searched linearly or with bsearch. Damage tests copy the dictionary into an
 * exactly sized heap block, so that ASan reports any read past its end. */
#include "error.h"
#include "termdict.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct model_term {
    char bytes[KZ_TERM_MAX];
    size_t len;
    kz_term_info info;
} model_term;

static uint64_t rng_state;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static int cmp_bytes(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen;
}

static int cmp_model(const void *x, const void *y)
{
    const model_term *a = x, *b = y;
    return cmp_bytes(a->bytes, a->len, b->bytes, b->len);
}

/* Random term: many short ones over a tiny alphabet (long shared prefixes, and 0x00 and 0xff
 * bytes), some random binary strings, some near the length limit. */
static void random_term(char *t, size_t *len)
{
    static const char small[] = {'a', 'b', '\0', '\xff'};
    uint64_t mode = rnd() % 10;
    if (mode < 7) {
        *len = 1 + rnd() % 10;
        for (size_t i = 0; i < *len; i++) t[i] = small[rnd() % 4];
    } else if (mode < 9) {
        *len = 1 + rnd() % 40;
        for (size_t i = 0; i < *len; i++) t[i] = (char)(rnd() & 0xff);
    } else {
        *len = 200 + rnd() % (KZ_TERM_MAX - 199);
        memset(t, 'z', *len);
        for (size_t i = 190; i < *len; i++) t[i] = (char)('a' + rnd() % 3);
    }
}

static kz_term_info random_info(void)
{
    kz_term_info info;
    info.df = (uint32_t)rnd();
    info.cf = rnd() >> (rnd() % 64);
    info.doc_off = rnd() >> (rnd() % 64);
    info.doc_len = rnd() >> (rnd() % 64);
    info.pos_off = rnd() >> (rnd() % 64);
    info.pos_len = rnd() >> (rnd() % 64);
    return info;
}

/* n random distinct terms, sorted; *count receives how many remain after removing duplicates.
 * Half of the infos are laid out contiguously, as a segment writer lays them out. */
static model_term *make_model(size_t n, size_t *count)
{
    model_term *m = calloc(n ? n : 1, sizeof *m);
    cr_assert_not_null(m);
    for (size_t i = 0; i < n; i++) random_term(m[i].bytes, &m[i].len);
    qsort(m, n, sizeof *m, cmp_model);
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || cmp_model(&m[k - 1], &m[i]) != 0) m[k++] = m[i];
    uint64_t doc = 0, pos = 0;
    for (size_t i = 0; i < k; i++) {
        m[i].info = random_info();
        if (rnd() % 2) {
            m[i].info.doc_off = doc;
            m[i].info.doc_len = rnd() % 1000;
            m[i].info.pos_off = pos;
            m[i].info.pos_len = rnd() % 5000;
            doc += m[i].info.doc_len;
            pos += m[i].info.pos_len;
        }
    }
    *count = k;
    return m;
}

static void build(kz_buf *out, const model_term *m, size_t n)
{
    kz_termdict_writer *w = NULL;
    cr_assert_eq(kz_termdict_writer_new(&w), KZ_OK);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(kz_termdict_writer_add(w, m[i].bytes, m[i].len, &m[i].info), KZ_OK, "%s",
                     kz_errmsg());
    cr_assert_eq(kz_termdict_writer_finish(w, out), KZ_OK);
    kz_termdict_writer_free(w);
}

static void assert_info_eq(const kz_term_info *a, const kz_term_info *b)
{
    cr_assert_eq(a->df, b->df);
    cr_assert_eq(a->cf, b->cf);
    cr_assert_eq(a->doc_off, b->doc_off);
    cr_assert_eq(a->doc_len, b->doc_len);
    cr_assert_eq(a->pos_off, b->pos_off);
    cr_assert_eq(a->pos_len, b->pos_len);
}

/* Iterates with prefix p and compares term by term with a linear scan of the model. */
static void check_prefix(const kz_termdict *td, const model_term *m, size_t n, const char *p,
                         size_t plen)
{
    kz_termdict_iter it;
    cr_assert_eq(kz_termdict_iter_init(&it, td, p, plen), KZ_OK);
    for (size_t i = 0; i < n; i++) {
        if (m[i].len < plen || (plen > 0 && memcmp(m[i].bytes, p, plen) != 0)) continue;
        const char *t;
        size_t tl;
        kz_term_info info;
        cr_assert_eq(kz_termdict_iter_next(&it, &t, &tl, &info), KZ_OK, "prefix of %zu bytes",
                     plen);
        cr_assert_eq(tl, m[i].len);
        cr_assert_eq(memcmp(t, m[i].bytes, tl), 0);
        assert_info_eq(&info, &m[i].info);
    }
    const char *t;
    size_t tl;
    kz_term_info info;
    cr_assert_eq(kz_termdict_iter_next(&it, &t, &tl, &info), KZ_ITEROVER);
    cr_assert_eq(kz_termdict_iter_next(&it, &t, &tl, &info), KZ_ITEROVER);
}

static int in_model(const model_term *m, size_t n, const char *t, size_t len)
{
    model_term key;
    memcpy(key.bytes, t, len);
    key.len = len;
    return n > 0 && bsearch(&key, m, n, sizeof *m, cmp_model) != NULL;
}

static void check_all(const kz_termdict *td, const model_term *m, size_t n, size_t nprefixes)
{
    cr_assert_eq(td->nterms, n);
    kz_term_info info;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(kz_termdict_lookup(td, m[i].bytes, m[i].len, &info), KZ_OK, "term %zu", i);
        assert_info_eq(&info, &m[i].info);
    }
    for (size_t i = 0; i < n + 100; i++) {
        char t[KZ_TERM_MAX];
        size_t len;
        random_term(t, &len);
        if (i % 3 == 0 && n > 0) { /* near misses: a model term with one byte changed */
            const model_term *src = &m[rnd() % n];
            memcpy(t, src->bytes, src->len);
            len = src->len;
            t[rnd() % len] ^= (char)(1 + rnd() % 255);
        }
        int expect = in_model(m, n, t, len) ? KZ_OK : KZ_ENOTFOUND;
        cr_assert_eq(kz_termdict_lookup(td, t, len, &info), expect);
    }
    check_prefix(td, m, n, NULL, 0);
    for (size_t i = 0; i < nprefixes; i++) {
        char p[KZ_TERM_MAX];
        size_t plen;
        if (n > 0 && i % 4 != 0) { /* a prefix of a model term: usually has matches */
            const model_term *src = &m[rnd() % n];
            plen = 1 + rnd() % src->len;
            memcpy(p, src->bytes, plen);
        } else {
            random_term(p, &plen);
        }
        check_prefix(td, m, n, p, plen);
    }
}

Test(termdict, empty_dictionary_has_no_terms)
{
    kz_buf b = KZ_BUF_INIT;
    build(&b, NULL, 0);
    kz_termdict td;
    cr_assert_eq(kz_termdict_open(&td, b.data, b.len), KZ_OK);
    check_all(&td, NULL, 0, 10);
    kz_term_info info;
    cr_assert_eq(kz_termdict_lookup(&td, "a", 1, &info), KZ_ENOTFOUND);
    kz_buf_free(&b);
}

Test(termdict, single_term_is_found_and_nothing_else)
{
    model_term m = {.bytes = "tokay", .len = 5, .info = {7, 9, 100, 20, 300, 40}};
    kz_buf b = KZ_BUF_INIT;
    build(&b, &m, 1);
    kz_termdict td;
    cr_assert_eq(kz_termdict_open(&td, b.data, b.len), KZ_OK);
    kz_term_info info;
    cr_assert_eq(kz_termdict_lookup(&td, "tokay", 5, &info), KZ_OK);
    assert_info_eq(&info, &m.info);
    cr_assert_eq(kz_termdict_lookup(&td, "toka", 4, &info), KZ_ENOTFOUND);
    cr_assert_eq(kz_termdict_lookup(&td, "tokays", 6, &info), KZ_ENOTFOUND);
    cr_assert_eq(kz_termdict_lookup(&td, "", 0, &info), KZ_ENOTFOUND);
    check_prefix(&td, &m, 1, "tok", 3);
    check_prefix(&td, &m, 1, "tokay", 5);
    check_prefix(&td, &m, 1, "tokayy", 6);
    check_prefix(&td, &m, 1, "a", 1);
    check_prefix(&td, &m, 1, "z", 1);
    kz_buf_free(&b);
}

Test(termdict, random_binary_terms_match_the_sorted_array_model)
{
    rng_state = 0x9e3779b97f4a7c15u;
    for (size_t round = 0; round < 4; round++) {
        size_t sizes[] = {2, 17, 1000, 30000};
        size_t n;
        model_term *m = make_model(sizes[round], &n);
        kz_buf b = KZ_BUF_INIT;
        cr_assert_eq(kz_buf_append(&b, "xyz", 3), KZ_OK); /* finish appends after existing bytes */
        build(&b, m, n);
        kz_termdict td;
        cr_assert_eq(kz_termdict_open(&td, b.data + 3, b.len - 3), KZ_OK, "%s", kz_errmsg());
        check_all(&td, m, n, 300);
        kz_buf_free(&b);
        free(m);
    }
}

Test(termdict, terms_of_every_length_from_1_to_255_bytes)
{
    model_term *m = calloc(KZ_TERM_MAX * 2, sizeof *m);
    size_t n = 0;
    for (size_t len = 1; len <= KZ_TERM_MAX; len++) { /* "a", "aa", ... then "b", "bb", ... */
        memset(m[n].bytes, 'a', len);
        m[n].len = len;
        m[n].info = (kz_term_info){(uint32_t)len, len, len, len, len, len};
        n++;
    }
    for (size_t len = 1; len <= KZ_TERM_MAX; len++) {
        memset(m[n].bytes, '\xff', len);
        m[n].len = len;
        m[n].info = (kz_term_info){UINT32_MAX, UINT64_MAX, UINT64_MAX, 0, UINT64_MAX - len, 1};
        n++;
    }
    kz_buf b = KZ_BUF_INIT;
    build(&b, m, n);
    kz_termdict td;
    cr_assert_eq(kz_termdict_open(&td, b.data, b.len), KZ_OK);
    rng_state = 42;
    check_all(&td, m, n, 50);
    check_prefix(&td, m, n, m[KZ_TERM_MAX - 1].bytes, KZ_TERM_MAX);
    kz_buf_free(&b);
    free(m);
}

Test(termdict, writer_rejects_unordered_duplicate_empty_and_overlong_terms)
{
    kz_termdict_writer *w = NULL;
    kz_term_info info = {1, 1, 0, 1, 0, 1};
    char big[KZ_TERM_MAX + 1];
    memset(big, 'x', sizeof big);
    cr_assert_eq(kz_termdict_writer_new(&w), KZ_OK);
    cr_assert_eq(kz_termdict_writer_add(w, "b", 1, &info), KZ_OK);
    cr_assert_eq(kz_termdict_writer_add(w, "b", 1, &info), KZ_EINVAL);
    cr_assert_eq(kz_termdict_writer_add(w, "a", 1, &info), KZ_EINVAL);
    cr_assert_eq(kz_termdict_writer_add(w, "", 0, &info), KZ_EINVAL);
    cr_assert_eq(kz_termdict_writer_add(w, big, sizeof big, &info), KZ_EINVAL);
    cr_assert_eq(kz_termdict_writer_add(w, "ba", 2, &info), KZ_OK);
    cr_assert_eq(kz_termdict_writer_add(w, big, KZ_TERM_MAX, &info), KZ_OK);
    kz_buf b = KZ_BUF_INIT;
    cr_assert_eq(kz_termdict_writer_finish(w, &b), KZ_OK);
    cr_assert_eq(kz_termdict_writer_add(w, "y", 1, &info), KZ_EINVAL);
    kz_termdict_writer_free(w);
    kz_termdict_writer_free(NULL);
    kz_termdict td;
    cr_assert_eq(kz_termdict_open(&td, b.data, b.len), KZ_OK);
    cr_assert_eq(td.nterms, 3);
    kz_buf_free(&b);
}

/* Words like "w0012345" spread over a few first letters, so prefixes select ranges of every
 * size. */
static void million_term(size_t i, char *t, size_t *len)
{
    *len = (size_t)snprintf(t, KZ_TERM_MAX, "%c%07zu", (char)('a' + i % 7), i);
}

Test(termdict, million_term_dictionary)
{
    const size_t n = 1000000;
    model_term *m = malloc(n * sizeof *m);
    cr_assert_not_null(m);
    for (size_t i = 0; i < n; i++) {
        million_term(i, m[i].bytes, &m[i].len);
        m[i].info = (kz_term_info){(uint32_t)i, i * 3, i * 10, 10, i * 30, 30};
    }
    qsort(m, n, sizeof *m, cmp_model);
    kz_buf b = KZ_BUF_INIT;
    build(&b, m, n);
    kz_termdict td;
    cr_assert_eq(kz_termdict_open(&td, b.data, b.len), KZ_OK);
    cr_assert_eq(td.nterms, n);
    kz_term_info info;
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(kz_termdict_lookup(&td, m[i].bytes, m[i].len, &info), KZ_OK);
        cr_assert_eq(info.df, m[i].info.df);
        cr_assert_eq(info.pos_off, m[i].info.pos_off);
    }
    cr_assert_eq(kz_termdict_lookup(&td, "a9999999", 8, &info), KZ_ENOTFOUND);
    cr_assert_eq(kz_termdict_lookup(&td, "h0000000", 8, &info), KZ_ENOTFOUND);
    check_prefix(&td, m, n, "c00123", 6);
    check_prefix(&td, m, n, "g0999", 5);
    check_prefix(&td, m, n, "a", 1);
    check_prefix(&td, m, n, "g0999999", 8);
    check_prefix(&td, m, n, "g09999999", 9);
    kz_buf_free(&b);
    free(m);
}

/* Runs every reader operation on possibly damaged bytes: each must give an allowed status, and
 * what it returns must be within bounds. */
static void exercise(const uint8_t *data, size_t len, const model_term *m, size_t n)
{
    kz_termdict td;
    int rc = kz_termdict_open(&td, data, len);
    cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
    if (rc != KZ_OK) return;
    kz_term_info info;
    for (size_t i = 0; i < n; i++) {
        rc = kz_termdict_lookup(&td, m[i].bytes, m[i].len, &info);
        cr_assert(rc == KZ_OK || rc == KZ_ENOTFOUND || rc == KZ_ECORRUPT);
        rc = kz_termdict_lookup(&td, m[i].bytes, m[i].len - 1 + (m[i].len == 1), &info);
        cr_assert(rc == KZ_OK || rc == KZ_ENOTFOUND || rc == KZ_ECORRUPT);
    }
    const char *prefixes[] = {"", "a", "ab", "b", "zzz"};
    for (size_t k = 0; k < 5; k++) {
        kz_termdict_iter it;
        rc = kz_termdict_iter_init(&it, &td, prefixes[k], strlen(prefixes[k]));
        cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
        if (rc != KZ_OK) continue;
        const char *t;
        size_t tl;
        for (size_t steps = 0; (rc = kz_termdict_iter_next(&it, &t, &tl, &info)) == KZ_OK;
             steps++) {
            cr_assert(tl >= 1 && tl <= KZ_TERM_MAX);
            cr_assert(steps <= n, "iteration does not end");
        }
        cr_assert(rc == KZ_ITEROVER || rc == KZ_ECORRUPT);
    }
}

Test(termdict, damaged_bytes_give_corrupt_or_an_answer_never_a_crash)
{
    rng_state = 7;
    size_t n;
    model_term *m = make_model(60, &n);
    kz_buf b = KZ_BUF_INIT;
    build(&b, m, n);
    uint8_t *copy = malloc(b.len);
    for (size_t cut = 0; cut < b.len; cut++) { /* truncated at every length */
        uint8_t *exact = malloc(cut ? cut : 1);
        memcpy(exact, b.data, cut);
        kz_termdict td;
        cr_assert_eq(kz_termdict_open(&td, exact, cut), KZ_ECORRUPT);
        free(exact);
    }
    for (size_t i = 0; i < b.len; i++) { /* each byte flipped, three ways */
        const uint8_t flips[] = {0xff, 0x01, 0x80};
        for (size_t f = 0; f < 3; f++) {
            memcpy(copy, b.data, b.len);
            copy[i] ^= flips[f];
            exercise(copy, b.len, m, n);
        }
    }
    exercise(b.data, b.len, m, n);
    free(copy);
    kz_buf_free(&b);
    free(m);
}
