/* test_impacts.c - impacts (frequency, length frontiers) against a brute-force frontier: built
 * from random postings of every shape (small and large frequencies, with and without lengths),
 * merged from parts, shortened past the cap without ever under-bounding a posting, and encoded
 * and decoded exactly, with damaged bytes refused. */
#include "impacts.h"
#include "kzsearch.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 88172645463325252ull;
static uint32_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 11);
}

/* The frontier by definition: pairs no other pair matches or beats on both counts (duplicates
 * once), sorted by tf. */
static uint32_t brute(const uint32_t *tf, const uint32_t *len, size_t n, uint32_t *ftf,
                      uint32_t *flen)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t li = len ? len[i] : 0;
        int out = 0;
        for (size_t j = 0; j < n && !out; j++) {
            uint32_t lj = len ? len[j] : 0;
            out = tf[j] >= tf[i] && lj <= li && (tf[j] != tf[i] || lj != li);
        }
        for (uint32_t k = 0; k < m && !out; k++) out = ftf[k] == tf[i] && flen[k] == li;
        if (out) continue;
        uint32_t k = m++;
        for (; k > 0 && ftf[k - 1] > tf[i]; k--) ftf[k] = ftf[k - 1], flen[k] = flen[k - 1];
        ftf[k] = tf[i];
        flen[k] = li;
    }
    return m;
}

/* im is the brute frontier, its highest pairs merged into (highest tf, their lowest length)
 * past the cap; and every input pair is bounded by some pair of im. */
static void check(const kz_impacts *im, const uint32_t *tf, const uint32_t *len, size_t n)
{
    uint32_t *ftf = malloc(n * sizeof *ftf), *flen = malloc(n * sizeof *flen);
    cr_assert(ftf && flen);
    uint32_t m = brute(tf, len, n, ftf, flen);
    uint32_t want = m < KZ_IMPACTS_MAX ? m : KZ_IMPACTS_MAX;
    cr_assert_eq(im->n, want, "frontier of %u pairs from %zu postings", m, n);
    for (uint32_t k = 0; k < want; k++) {
        cr_assert_eq(im->len[k], flen[k], "pair %u of %u", k, m);
        cr_assert_eq(im->tf[k], k == want - 1 ? ftf[m - 1] : ftf[k], "pair %u of %u", k, m);
        if (k > 0) cr_assert(im->tf[k] > im->tf[k - 1] && im->len[k] > im->len[k - 1]);
    }
    for (size_t i = 0; i < n; i++) {
        int bounded = 0;
        for (uint32_t k = 0; k < im->n && !bounded; k++)
            bounded = im->tf[k] >= tf[i] && im->len[k] <= (len ? len[i] : 0);
        cr_assert(bounded, "posting %zu (%u, %u) is not bounded", i, tf[i], len ? len[i] : 0);
    }
    free(ftf);
    free(flen);
}

/* n postings: frequencies up to max_tf (skewed towards 1, as in text), lengths up to max_len. */
static void draw(uint32_t *tf, uint32_t *len, size_t n, uint32_t max_tf, uint32_t max_len)
{
    for (size_t i = 0; i < n; i++) {
        tf[i] = 1 + (rnd() % 4 == 0 ? rnd() % max_tf : 0);
        len[i] = rnd() % (max_len + 1);
    }
}

Test(impacts, built_frontiers_equal_the_brute_force_one_for_every_shape)
{
    uint32_t tf[300], len[300];
    const uint32_t max_tfs[] = {1, 3, 64, 65, 1000, 4000000000u};
    for (int round = 0; round < 600; round++) {
        size_t n = 1 + rnd() % 300;
        uint32_t max_tf = max_tfs[round % 6], max_len = round % 5 == 0 ? 3 : 1 + rnd() % 400;
        draw(tf, len, n, max_tf, max_len);
        kz_impacts im;
        int no_lengths = round % 7 == 0;
        kz_impacts_build(&im, tf, no_lengths ? NULL : len, n);
        check(&im, tf, no_lengths ? NULL : len, n);
    }
}

Test(impacts, a_long_frontier_is_capped_by_merging_its_highest_pairs)
{
    /* tf = i + 1 at length 10 * (i + 1): every pair is on the frontier */
    uint32_t tf[20], len[20];
    for (uint32_t i = 0; i < 20; i++) tf[i] = i + 1, len[i] = 10 * (i + 1);
    kz_impacts im;
    kz_impacts_build(&im, tf, len, 20);
    cr_assert_eq(im.n, KZ_IMPACTS_MAX);
    cr_assert_eq(im.tf[KZ_IMPACTS_MAX - 1], 20);
    cr_assert_eq(im.len[KZ_IMPACTS_MAX - 1], 10 * KZ_IMPACTS_MAX);
    check(&im, tf, len, 20);
}

Test(impacts, merging_parts_gives_the_frontier_of_the_whole)
{
    uint32_t tf[512], len[512];
    for (int round = 0; round < 300; round++) {
        size_t n = 2 + rnd() % 511, cut = 1 + rnd() % (n - 1);
        draw(tf, len, n, round % 2 ? 5 : 200, 1 + rnd() % 100);
        kz_impacts a, b;
        kz_impacts_build(&a, tf, len, cut);
        kz_impacts_build(&b, tf + cut, len + cut, n - cut);
        int exact_parts = a.n < KZ_IMPACTS_MAX && b.n < KZ_IMPACTS_MAX;
        kz_impacts_merge(&a, &b);
        /* a part that was capped keeps a merged pair: the merge must then still bound all */
        kz_impacts whole;
        kz_impacts_build(&whole, tf, len, n);
        if (exact_parts && whole.n < KZ_IMPACTS_MAX) {
            cr_assert_eq(a.n, whole.n, "round %d", round);
            cr_assert_arr_eq(a.tf, whole.tf, whole.n * sizeof *a.tf);
            cr_assert_arr_eq(a.len, whole.len, whole.n * sizeof *a.len);
        }
        for (size_t i = 0; i < n; i++) {
            int bounded = 0;
            for (uint32_t k = 0; k < a.n && !bounded; k++)
                bounded = a.tf[k] >= tf[i] && a.len[k] <= len[i];
            cr_assert(bounded);
        }
    }
}

Test(impacts, encoding_round_trips_and_damage_is_refused)
{
    uint32_t tf[128], len[128];
    for (int round = 0; round < 200; round++) {
        draw(tf, len, 128, 1 + rnd() % 100, 1 + rnd() % 5000);
        kz_impacts im, back;
        kz_impacts_build(&im, tf, len, 128);
        kz_buf b = KZ_BUF_INIT;
        cr_assert_eq(kz_impacts_encode(&b, &im), KZ_OK);
        const uint8_t *p = b.data;
        cr_assert_eq(kz_impacts_decode(&back, &p, b.data + b.len), KZ_OK);
        cr_assert_eq(p, b.data + b.len, "decoding stops where the encoding ends");
        cr_assert_eq(back.n, im.n);
        cr_assert_arr_eq(back.tf, im.tf, im.n * sizeof *im.tf);
        cr_assert_arr_eq(back.len, im.len, im.n * sizeof *im.len);
        for (size_t cut = 0; cut < b.len; cut++) { /* truncated: never reads past the end */
            p = b.data;
            cr_assert_eq(kz_impacts_decode(&back, &p, b.data + cut), KZ_ECORRUPT);
        }
        kz_buf_free(&b);
    }
    const uint8_t zero_count[] = {0x00}, nine[] = {0x09}, flat_tf[] = {0x02, 1, 0, 0, 5},
                  flat_len[] = {0x02, 1, 4, 1, 0}, zero_tf[] = {0x01, 0, 3};
    const uint8_t *bad[] = {zero_count, nine, flat_tf, flat_len, zero_tf};
    const size_t lens[] = {1, 1, 5, 5, 3};
    for (size_t i = 0; i < 5; i++) {
        kz_impacts out;
        const uint8_t *p = bad[i];
        cr_assert_eq(kz_impacts_decode(&out, &p, bad[i] + lens[i]), KZ_ECORRUPT, "case %zu", i);
    }
}
