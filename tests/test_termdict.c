/* test_termdict.c - the term dictionary against a brute-force model: a sorted array of the same
 * terms and infos, searched linearly or with bsearch. Damage tests copy the dictionary into an
 * exactly sized heap block, so that ASan reports any read past its end. */
#include "error.h"
#include "termdict.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

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

/* kz_termdict_prefetch over the model's terms and their one-byte-shorter variants: advisory,
 * so it must leave the thread's error message alone (ASan checks its reads stay in bounds). */
static void prefetch_model(const kz_termdict *td, const model_term *m, size_t n)
{
    kz_term_ref *refs = malloc((2 * n + 1) * sizeof *refs);
    cr_assert_not_null(refs);
    for (size_t i = 0; i < n; i++) {
        refs[2 * i] = (kz_term_ref){m[i].bytes, m[i].len};
        refs[2 * i + 1] = (kz_term_ref){m[i].bytes, m[i].len - 1};
    }
    kz_fail(KZ_EINVAL, "marker");
    kz_termdict_prefetch(td, refs, 2 * n);
    cr_assert_str_eq(kz_errmsg(), "marker");
    free(refs);
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
        prefetch_model(&td, m, n); /* in batches, when n > 8 */
        check_all(&td, m, n, 300);
        cr_assert_eq(kz_termdict_verify(&td), KZ_OK, "%s", kz_errmsg());
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

/* The million-term model is computed, not stored: term i is the letter 'a' + i % 7 followed by
 * i in 7 decimal digits, so the sorted order is by letter, then by i. */
#define MILLION 1000000u

static size_t million_term(size_t i, char *t)
{
    t[0] = (char)('a' + i % 7);
    for (size_t k = 7, v = i; k >= 1; k--, v /= 10) t[k] = (char)('0' + v % 10);
    return 8;
}

static kz_term_info million_info(size_t i)
{
    return (kz_term_info){(uint32_t)i, i * 3, i * 10, 10, i * 30, 30};
}

/* Calls fn on every term in sorted order. */
#define FOR_MILLION_SORTED(i)                                                                      \
    for (size_t letter_ = 0; letter_ < 7; letter_++)                                               \
        for (size_t i = letter_; i < MILLION; i += 7)

static void check_million_prefix(const kz_termdict *td, const char *p)
{
    size_t plen = strlen(p);
    kz_termdict_iter it;
    cr_assert_eq(kz_termdict_iter_init(&it, td, p, plen), KZ_OK);
    const char *t;
    size_t tl;
    kz_term_info info;
    FOR_MILLION_SORTED(i)
    {
        char want[16];
        size_t wl = million_term(i, want);
        if (wl < plen || memcmp(want, p, plen) != 0) continue;
        cr_assert_eq(kz_termdict_iter_next(&it, &t, &tl, &info), KZ_OK, "prefix %s", p);
        cr_assert(tl == wl && memcmp(t, want, wl) == 0, "prefix %s", p);
        cr_assert_eq(info.df, (uint32_t)i);
    }
    cr_assert_eq(kz_termdict_iter_next(&it, &t, &tl, &info), KZ_ITEROVER, "prefix %s", p);
}

Test(termdict, million_term_dictionary)
{
    kz_termdict_writer *w = NULL;
    cr_assert_eq(kz_termdict_writer_new(&w), KZ_OK);
    FOR_MILLION_SORTED(i)
    {
        char t[16];
        size_t tl = million_term(i, t);
        kz_term_info info = million_info(i);
        cr_assert_eq(kz_termdict_writer_add(w, t, tl, &info), KZ_OK);
    }
    kz_buf b = KZ_BUF_INIT;
    cr_assert_eq(kz_termdict_writer_finish(w, &b), KZ_OK);
    kz_termdict_writer_free(w);
    kz_termdict td;
    cr_assert_eq(kz_termdict_open(&td, b.data, b.len), KZ_OK);
    cr_assert_eq(td.nterms, MILLION);
    kz_term_info info;
    for (size_t i = 0; i < MILLION; i++) {
        char t[16];
        size_t tl = million_term(i, t);
        cr_assert_eq(kz_termdict_lookup(&td, t, tl, &info), KZ_OK);
        kz_term_info want = million_info(i);
        cr_assert(info.df == want.df && info.cf == want.cf && info.doc_off == want.doc_off &&
                  info.doc_len == want.doc_len && info.pos_off == want.pos_off &&
                  info.pos_len == want.pos_len);
    }
    cr_assert_eq(kz_termdict_lookup(&td, "a9999999", 8, &info), KZ_ENOTFOUND);
    cr_assert_eq(kz_termdict_lookup(&td, "b0000000", 8, &info), KZ_ENOTFOUND); /* 0 is an 'a' */
    cr_assert_eq(kz_termdict_lookup(&td, "h0000007", 8, &info), KZ_ENOTFOUND);
    const char *prefixes[] = {"c00123", "g0999", "a", "g0999999", "g09999999", "h", "", "d1"};
    for (size_t k = 0; k < sizeof prefixes / sizeof *prefixes; k++)
        check_million_prefix(&td, prefixes[k]);
    kz_buf_free(&b);
}

/* Runs every reader operation on possibly damaged bytes: each must give an allowed status, and
 * what it returns must be within bounds. When kz_termdict_verify accepts the bytes, the terms
 * must be exactly the model's (a changed frequency or offset has no redundancy to catch it:
 * that is the section checksum's job). Returns whether verify accepted them. */
static int exercise(const uint8_t *data, size_t len, const model_term *m, size_t n)
{
    kz_termdict td;
    int rc = kz_termdict_open(&td, data, len);
    cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
    if (rc != KZ_OK) return 0;
    int verified = kz_termdict_verify(&td);
    cr_assert(verified == KZ_OK || verified == KZ_ECORRUPT);
    prefetch_model(&td, m, n);
    kz_term_info info;
    for (size_t i = 0; i < n; i++) {
        rc = kz_termdict_lookup(&td, m[i].bytes, m[i].len, &info);
        cr_assert(rc == KZ_OK || rc == KZ_ENOTFOUND || rc == KZ_ECORRUPT);
        if (verified == KZ_OK) cr_assert_eq(rc, KZ_OK, "verified, yet term %zu is missing", i);
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
        size_t steps = 0;
        while ((rc = kz_termdict_iter_next(&it, &t, &tl, &info)) == KZ_OK) {
            cr_assert(tl >= 1 && tl <= KZ_TERM_MAX);
            cr_assert(steps++ <= n, "iteration does not end");
            if (verified == KZ_OK && k == 0)
                cr_assert(tl == m[steps - 1].len && memcmp(t, m[steps - 1].bytes, tl) == 0);
        }
        cr_assert(rc == KZ_ITEROVER || rc == KZ_ECORRUPT);
        if (verified == KZ_OK) cr_assert_eq(rc, KZ_ITEROVER);
        if (verified == KZ_OK && k == 0) cr_assert_eq(steps, n);
    }
    return verified == KZ_OK;
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
    size_t accepted = 0;
    for (size_t i = 0; i < b.len; i++) { /* each byte flipped, three ways */
        const uint8_t flips[] = {0xff, 0x01, 0x80};
        for (size_t f = 0; f < 3; f++) {
            memcpy(copy, b.data, b.len);
            copy[i] ^= flips[f];
            accepted += (size_t)exercise(copy, b.len, m, n);
        }
    }
    cr_log_info("verify accepted %zu of %zu damaged copies (%zu bytes)", accepted, 3 * b.len,
                b.len);
    cr_assert(exercise(b.data, b.len, m, n), "%s", kz_errmsg());
    free(copy);
    kz_buf_free(&b);
    free(m);
}

/* The bytes follow docs/format/termdict.md: header fields, block index, and each term in the
 * slot that the documented XXH3 probing gives (XXH3 from libxxhash, not the reader's code). */
Test(termdict, bytes_follow_the_format_document)
{
    rng_state = 1234;
    size_t n;
    model_term *m = make_model(100, &n);
    kz_buf b = KZ_BUF_INIT;
    build(&b, m, n);
    const uint8_t *d = b.data;
    cr_assert_eq(memcmp(d, "KZTD", 4), 0);
    cr_assert_eq(kz_load_u32le(d + 4), 2);
    cr_assert_eq(kz_load_u64le(d + 8), n);
    uint64_t nblocks = kz_load_u64le(d + 16);
    cr_assert_eq(nblocks, (n + 15) / 16);
    cr_assert_eq(kz_load_u32le(d + 24), 16);
    cr_assert_eq(kz_load_u64le(d + 32), 64);
    uint64_t index_off = kz_load_u64le(d + 40), hash_off = kz_load_u64le(d + 48);
    uint64_t nslots = kz_load_u64le(d + 56);
    cr_assert_eq(hash_off, index_off + 8 * (nblocks + 1));
    cr_assert_eq(nslots, n + n / 2 + 1);
    cr_assert_eq(b.len, hash_off + 4 * nslots);
    cr_assert_eq(kz_load_u64le(d + index_off + 8 * nblocks), index_off - 64);
    size_t used = 0;
    for (uint64_t s = 0; s < nslots; s++) used += kz_load_u32le(d + hash_off + 4 * s) != 0;
    cr_assert_eq(used, n);
    /* the block number takes the bits nblocks - 1 needs; the fingerprint the rest above it */
    unsigned bbits = 1;
    while ((nblocks - 1) >> bbits) bbits++;
    const unsigned fbits = 32 - 4 - bbits;
    for (size_t i = 0; i < n; i++) {
        uint64_t h = XXH3_64bits(m[i].bytes, m[i].len);
        uint32_t fp = (uint32_t)(h >> (64 - fbits)) ? (uint32_t)(h >> (64 - fbits)) : 1;
        uint32_t want = fp << (4 + bbits) | (uint32_t)(i / 16) << 4 | (uint32_t)(i % 16);
        uint64_t s = ((h & 0xffffffffu) * nslots) >> 32;
        uint32_t v;
        while ((v = kz_load_u32le(d + hash_off + 4 * s)) != want) {
            cr_assert_neq(v, 0, "term %zu is not on its probe sequence", i);
            s = (s + 1) % nslots;
        }
        /* Entry 0 of each block is stored whole: shared 0, then the whole term. */
        if (i % 16 == 0) {
            const uint8_t *e = d + 64 + kz_load_u64le(d + index_off + 8 * (i / 16));
            cr_assert_eq(e[0], 0);
            size_t len = e[1] < 0x80 ? e[1] : (size_t)((e[1] & 0x7f) | e[2] << 7);
            cr_assert_eq(len, m[i].len);
            cr_assert_eq(memcmp(e + (e[1] < 0x80 ? 2 : 3), m[i].bytes, len), 0);
        }
    }
    kz_buf_free(&b);
    free(m);
}
