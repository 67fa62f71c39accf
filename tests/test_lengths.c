/* test_lengths.c - the LENGTHS section (common/lengths.h): every length written reads back, on
 * both sides of the one-byte limit; the documented byte layout, rebuilt here from the lengths;
 * sizes that cannot be a section are refused at open, and damage that open does not look at is
 * reported by kz_lengths_verify without any read leaving the section. */
#include "lengths.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* Lengths around the limit and at the ends of the range, then random ones. */
static uint32_t pick_length(uint64_t *rng, uint32_t i)
{
    static const uint32_t edges[] = {0,   1,     2,     253,   254,   255,      256,           257,
                                     511, 65534, 65535, 65536, 70000, 1u << 24, UINT32_MAX / 2};
    if (i < sizeof edges / sizeof *edges) return edges[i];
    const uint32_t r = kz_test_rnd(rng);
    return r % 8 ? r / 8 % 300 : kz_test_rnd(rng) % 100000;
}

static uint32_t *random_lengths(uint32_t n, uint64_t seed, uint64_t *sum)
{
    uint32_t *v = malloc(n * sizeof *v);
    cr_assert_not_null(v);
    *sum = 0;
    for (uint32_t p = 0; p < n; p++) {
        v[p] = pick_length(&seed, p);
        *sum += v[p];
    }
    return v;
}

Test(lengths, every_length_reads_back_and_sums)
{
    const uint32_t n = 20000;
    uint64_t sum;
    uint32_t *want = random_lengths(n, 5, &sum);
    kz_buf sec = KZ_BUF_INIT;
    cr_assert_eq(kz_lengths_encode(&sec, want, n), KZ_OK);
    kz_lengths l;
    cr_assert_eq(kz_lengths_open(&l, sec.data, sec.len, n), KZ_OK);
    for (uint32_t p = 0; p < n; p++)
        cr_assert_eq(kz_length(&l, p), want[p], "passage %u: %u, not %u", p, kz_length(&l, p),
                     want[p]);
    uint64_t total = 0;
    cr_assert_eq(kz_lengths_verify(&l, &total), KZ_OK);
    cr_assert_eq(total, sum);
    kz_buf_free(&sec);
    free(want);
}

/* The layout of lengths.h, byte for byte: a byte a passage, then (passage, length) pairs. */
Test(lengths, section_has_the_documented_layout)
{
    const uint32_t lens[] = {3, 300, 254, 255, 0, 70000};
    const uint8_t want[] = {3, 255, 254, 255, 0,    255,         /* the bytes */
                            1, 0,   0,   0,   44,   1,    0, 0,  /* passage 1: 300 */
                            3, 0,   0,   0,   255,  0,    0, 0,  /* passage 3: 255 */
                            5, 0,   0,   0,   0x70, 0x11, 1, 0}; /* passage 5: 70000 */
    kz_buf sec = KZ_BUF_INIT;
    cr_assert_eq(kz_lengths_encode(&sec, lens, 6), KZ_OK);
    cr_assert_eq(sec.len, sizeof want);
    cr_assert_eq(memcmp(sec.data, want, sizeof want), 0);
    kz_buf_free(&sec);
}

Test(lengths, no_passages)
{
    kz_buf sec = KZ_BUF_INIT;
    cr_assert_eq(kz_lengths_encode(&sec, NULL, 0), KZ_OK);
    cr_assert_eq(sec.len, 0);
    kz_lengths l;
    uint64_t total = 7;
    const uint8_t none[1] = {0};
    cr_assert_eq(kz_lengths_open(&l, none, 0, 0), KZ_OK);
    cr_assert_eq(kz_lengths_verify(&l, &total), KZ_OK);
    cr_assert_eq(total, 0);
    kz_buf_free(&sec);
}

Test(lengths, sizes_that_cannot_be_a_section_are_refused)
{
    uint8_t sec[64] = {0};
    kz_lengths l;
    cr_assert_eq(kz_lengths_open(&l, sec, 9, 10), KZ_ECORRUPT);  /* short of a byte a passage */
    cr_assert_eq(kz_lengths_open(&l, sec, 13, 10), KZ_ECORRUPT); /* half a pair */
    cr_assert(strstr(kz_errmsg(), "13 bytes for 10 passages") != NULL, "%s", kz_errmsg());
    cr_assert_eq(kz_lengths_open(&l, sec, 2 + 3 * KZ_LENGTH_PAIR, 2), KZ_ECORRUPT); /* pairs > n */
    cr_assert_eq(kz_lengths_open(&l, sec, 10 + KZ_LENGTH_PAIR, 10), KZ_OK);
}

/* Each kind of damage open lets through: reads stay in the section (ASan would see them leave
 * it: the section is an exact-size allocation) and verify names the fault. */
static void damaged(const uint8_t *bytes, size_t len, uint32_t n, const char *fault)
{
    uint8_t *sec = malloc(len);
    memcpy(sec, bytes, len);
    kz_lengths l;
    cr_assert_eq(kz_lengths_open(&l, sec, len, n), KZ_OK);
    for (uint32_t p = 0; p < n; p++) (void)kz_length(&l, p);
    uint64_t total;
    cr_assert_eq(kz_lengths_verify(&l, &total), KZ_ECORRUPT, "%s", fault);
    cr_assert(strstr(kz_errmsg(), fault) != NULL, "%s: %s", fault, kz_errmsg());
    free(sec);
}

Test(lengths, damage_is_reported_by_verify_and_reads_stay_inside)
{
    /* a saturated byte without its pair: it reads as the saturated value */
    const uint8_t lost[] = {1, 255, 2};
    damaged(lost, sizeof lost, 3, "passage 1 has no exact length");
    uint8_t sec[3] = {1, 255, 2};
    kz_lengths l;
    cr_assert_eq(kz_lengths_open(&l, sec, 3, 3), KZ_OK);
    cr_assert_eq(kz_length(&l, 1), KZ_LENGTH_WIDE);
    /* a pair naming a passage whose byte fits */
    const uint8_t stray[] = {1, 2, 0, 0, 0, 0, 44, 1, 0, 0};
    damaged(stray, sizeof stray, 2, "1 exact lengths name no long passage");
    /* pairs out of order */
    const uint8_t order[] = {255, 255, 1, 0, 0, 0, 44, 1, 0, 0, 0, 0, 0, 0, 44, 1, 0, 0};
    damaged(order, sizeof order, 2, "passage 0 has no exact length");
    /* an exact length that would have fitted in the byte */
    const uint8_t small[] = {255, 0, 0, 0, 0, 7, 0, 0, 0};
    damaged(small, sizeof small, 1, "exact length 7 fits in its byte");
}
