/* test_lengths.c - the one-byte passage lengths (common/lengths.h) give back every length of the
 * LENGTHS section, on both sides of the one-byte limit and at both widths. */
#include "lengths.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <stdlib.h>

/* Lengths around the limit and at the ends of each width, then random ones. */
static uint32_t pick_length(uint64_t *rng, uint32_t i, uint32_t width)
{
    static const uint32_t edges[] = {0, 1, 2, 253, 254, 255, 256, 257, 511, 65534, 65535, 65536};
    const uint32_t max = width == 2 ? 65535 : UINT32_MAX;
    if (i < sizeof edges / sizeof *edges) return edges[i] <= max ? edges[i] : max;
    const uint32_t r = kz_test_rnd(rng);
    return r % 4 ? r / 4 % 300 : kz_test_rnd(rng) & max;
}

static void check_width(uint32_t width)
{
    uint64_t rng = 5 + width;
    const uint32_t n = 5000;
    uint32_t *want = malloc(n * sizeof *want);
    uint8_t *wide = malloc((size_t)n * width);
    uint64_t sum = 0;
    for (uint32_t p = 0; p < n; p++) {
        want[p] = pick_length(&rng, p, width);
        if (width == 2)
            kz_store_u16le(wide + 2 * (size_t)p, (uint16_t)want[p]);
        else
            kz_store_u32le(wide + 4 * (size_t)p, want[p]);
        sum += want[p];
    }
    kz_lengths l;
    uint64_t total;
    cr_assert_eq(kz_lengths_init(&l, wide, width, n, &total), KZ_OK);
    cr_assert_eq(total, sum);
    for (uint32_t p = 0; p < n; p++)
        cr_assert_eq(kz_length(&l, p), want[p], "width %u, passage %u: %u, not %u", width, p,
                     kz_length(&l, p), want[p]);
    kz_lengths_free(&l);
    kz_lengths_free(&l); /* twice is harmless */
    free(wide);
    free(want);
}

Test(lengths, every_length_reads_back_at_width_2)
{
    check_width(2);
}

Test(lengths, every_length_reads_back_at_width_4)
{
    check_width(4);
}

Test(lengths, no_passages_and_bad_widths)
{
    kz_lengths l;
    uint64_t total = 7;
    cr_assert_eq(kz_lengths_init(&l, NULL, 2, 0, &total), KZ_OK);
    cr_assert_eq(total, 0);
    kz_lengths_free(&l);
    uint8_t wide[6] = {1, 0, 0, 2, 0, 0};
    cr_assert_eq(kz_lengths_init(&l, wide, 3, 2, &total), KZ_EINVAL);
    kz_lengths_free(&l);
}
