/* test_bitpack.c - the block codecs against a bit-by-bit model of the layout, scalar against SIMD,
 * and variable-byte against hand-worked examples and damaged input. */
#include "bitpack.h"
#include "error.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

/* xorshift64*: reproducible pseudo-random numbers without touching the C library's state. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    return kz_test_rnd(&rng_state);
}

static uint32_t width_mask(unsigned bits)
{
    return bits == 32 ? UINT32_MAX : (1u << bits) - 1;
}

/* The layout written out bit by bit from its definition: bit k of integer i is bit
 * (i/4)*bits + k of lane i%4's stream; stream bit t lives in word t/32 of the lane, and word w
 * of lane l is the little-endian 32-bit word at byte 16*w + 4*l. */
static void model_pack(const uint32_t *in, unsigned bits, uint8_t *out)
{
    memset(out, 0, KZ_PACKED_BYTES(bits));
    for (unsigned i = 0; i < KZ_BLOCK_LEN; i++)
        for (unsigned k = 0; k < bits; k++) {
            unsigned t = (i / 4) * bits + k;
            size_t byte = 16 * (size_t)(t / 32) + 4 * (i % 4) + (t % 32) / 8;
            if (in[i] >> k & 1) out[byte] |= (uint8_t)(1u << (t % 8));
        }
}

/* Fills v with values of exactly the width (one value uses the top bit), in one of several
 * shapes: uniform, all maximal, all zero but one, alternating extremes. */
static void fill(uint32_t *v, unsigned bits, int shape)
{
    uint32_t m = width_mask(bits);
    for (unsigned i = 0; i < KZ_BLOCK_LEN; i++) {
        switch (shape) {
        case 0:
            v[i] = rnd() & m;
            break;
        case 1:
            v[i] = m;
            break;
        case 2:
            v[i] = 0;
            break;
        default:
            v[i] = (i & 1) ? m : 0;
            break;
        }
    }
    if (bits) v[rnd() % KZ_BLOCK_LEN] = m;
}

static const char *const impls[] = {"scalar", "sse4.1", "avx2"};

Test(bitpack, every_width_round_trips_and_matches_the_bit_model_in_every_implementation)
{
    uint32_t in[KZ_BLOCK_LEN], out[KZ_BLOCK_LEN];
    uint8_t model[16 * 32], packed[16 * 32 + 16];
    int tested = 0;
    for (size_t m = 0; m < sizeof impls / sizeof *impls; m++) {
        if (kz_codec_select(impls[m]) != KZ_OK) continue; /* this CPU lacks it */
        cr_assert_str_eq(kz_codec_impl(), impls[m]);
        tested++;
        for (unsigned bits = 0; bits <= 32; bits++)
            for (int shape = 0; shape < 4; shape++)
                for (int rep = 0; rep < 4; rep++) {
                    fill(in, bits, shape);
                    cr_assert_eq(kz_bits_needed(in, KZ_BLOCK_LEN), bits);
                    model_pack(in, bits, model);
                    memset(packed, 0xa5, sizeof packed);
                    kz_bitpack128(in, bits, packed);
                    cr_assert_arr_eq(packed, model, KZ_PACKED_BYTES(bits), "%s packs width %u",
                                     impls[m], bits);
                    cr_assert_eq(packed[KZ_PACKED_BYTES(bits)], 0xa5, "%s writes past width %u",
                                 impls[m], bits);
                    kz_bitunpack128(model, bits, out);
                    cr_assert_arr_eq(out, in, sizeof in, "%s unpacks width %u", impls[m], bits);
                }
    }
    kz_codec_select(NULL);
    cr_assert_geq(tested, 1);
}

Test(bitpack, one_integer_is_read_from_the_bit_model_at_every_width_and_index)
{
    uint32_t in[KZ_BLOCK_LEN];
    uint8_t model[16 * 32];
    for (unsigned bits = 0; bits <= 32; bits++)
        for (int shape = 0; shape < 4; shape++) {
            fill(in, bits, shape);
            model_pack(in, bits, model);
            for (unsigned i = 0; i < KZ_BLOCK_LEN; i++)
                cr_assert_eq(kz_bitunpack128_one(model, bits, i), in[i], "width %u index %u", bits,
                             i);
        }
}

Test(bitpack, delta_unpacking_is_the_running_sum_in_every_implementation)
{
    uint32_t gaps[KZ_BLOCK_LEN], out[KZ_BLOCK_LEN];
    uint8_t packed[16 * 32];
    for (size_t m = 0; m < sizeof impls / sizeof *impls; m++) {
        if (kz_codec_select(impls[m]) != KZ_OK) continue;
        for (unsigned bits = 0; bits <= 32; bits++)
            for (int shape = 0; shape < 4; shape++) {
                fill(gaps, bits, shape);
                model_pack(gaps, bits, packed);
                uint32_t base = shape == 1 ? UINT32_MAX - 5 : rnd(); /* wraps like C arithmetic */
                uint32_t zero = kz_bitunpack128_delta(packed, bits, base, out);
                uint32_t acc = base, want_zero = 0;
                for (unsigned i = 0; i < KZ_BLOCK_LEN; i++) {
                    acc += gaps[i];
                    want_zero |= gaps[i] == 0;
                    cr_assert_eq(out[i], acc, "%s width %u index %u", impls[m], bits, i);
                }
                cr_assert_eq(zero != 0, want_zero, "%s width %u: zero-gap flag", impls[m], bits);
            }
    }
    kz_codec_select(NULL);
}

Test(bitpack, delta_unpacking_reports_a_single_zero_gap_anywhere_in_every_implementation)
{
    uint32_t gaps[KZ_BLOCK_LEN], out[KZ_BLOCK_LEN];
    uint8_t packed[16 * 32];
    for (size_t m = 0; m < sizeof impls / sizeof *impls; m++) {
        if (kz_codec_select(impls[m]) != KZ_OK) continue;
        for (unsigned bits = 1; bits <= 32; bits++)
            for (unsigned at = 0; at <= KZ_BLOCK_LEN; at++) { /* at == 128: no zero gap */
                for (unsigned i = 0; i < KZ_BLOCK_LEN; i++) gaps[i] = 1 + rnd() % width_mask(bits);
                if (bits == 1)
                    for (unsigned i = 0; i < KZ_BLOCK_LEN; i++) gaps[i] = 1;
                if (at < KZ_BLOCK_LEN) gaps[at] = 0;
                model_pack(gaps, bits, packed);
                uint32_t zero = kz_bitunpack128_delta(packed, bits, 7, out);
                cr_assert_eq(zero != 0, at < KZ_BLOCK_LEN, "%s width %u zero at %u", impls[m], bits,
                             at);
            }
    }
    kz_codec_select(NULL);
}

Test(bitpack, plus1_unpacking_adds_one_and_reports_values_at_or_above_the_limit_in_every_impl)
{
    uint32_t vals[KZ_BLOCK_LEN], out[KZ_BLOCK_LEN];
    uint8_t packed[16 * 32];
    for (size_t m = 0; m < sizeof impls / sizeof *impls; m++) {
        if (kz_codec_select(impls[m]) != KZ_OK) continue;
        for (unsigned bits = 0; bits <= 32; bits++)
            for (int shape = 0; shape < 4; shape++) {
                fill(vals, bits, shape);
                model_pack(vals, bits, packed);
                uint32_t top = 0;
                for (unsigned i = 0; i < KZ_BLOCK_LEN; i++)
                    if (vals[i] > top) top = vals[i];
                /* limits just above the largest value (no report), at it and below it (a
                 * report), including the unsigned extremes that a signed compare would get
                 * wrong */
                const uint32_t limits[] = {top == UINT32_MAX ? top : top + 1,
                                           top,
                                           top / 2 + 1,
                                           1,
                                           UINT32_MAX,
                                           0x80000000u};
                for (size_t l = 0; l < sizeof limits / sizeof *limits; l++) {
                    if (limits[l] == 0) continue;
                    uint32_t over = kz_bitunpack128_plus1(packed, bits, limits[l], out);
                    uint32_t want_over = 0;
                    for (unsigned i = 0; i < KZ_BLOCK_LEN; i++) {
                        want_over |= vals[i] >= limits[l];
                        cr_assert_eq(out[i], vals[i] + 1, "%s width %u index %u", impls[m], bits,
                                     i);
                    }
                    cr_assert_eq(over != 0, want_over, "%s width %u limit %u: flag %u", impls[m],
                                 bits, limits[l], over);
                }
            }
    }
    kz_codec_select(NULL);
}

Test(bitpack, scalar_and_simd_agree_bit_for_bit_on_random_blocks)
{
    uint32_t in[KZ_BLOCK_LEN], ref[KZ_BLOCK_LEN], got[KZ_BLOCK_LEN];
    uint8_t pref[16 * 32], pgot[16 * 32];
    for (int rep = 0; rep < 2000; rep++) {
        unsigned bits = rnd() % 33;
        fill(in, bits, (int)(rnd() % 4));
        uint32_t base = rnd();
        /* the packed bytes of arbitrary content, not only of what the packer writes */
        for (size_t k = 0; k < sizeof pref; k++) pref[k] = (uint8_t)rnd();
        kz_codec_select("scalar");
        kz_bitunpack128_delta(pref, bits, base, ref);
        kz_bitpack128(in, bits, pgot);
        for (size_t m = 1; m < sizeof impls / sizeof *impls; m++) {
            if (kz_codec_select(impls[m]) != KZ_OK) continue;
            kz_bitunpack128_delta(pref, bits, base, got);
            cr_assert_arr_eq(got, ref, sizeof ref, "%s width %u", impls[m], bits);
            uint8_t p2[16 * 32];
            kz_bitpack128(in, bits, p2);
            cr_assert_arr_eq(p2, pgot, KZ_PACKED_BYTES(bits));
        }
    }
    kz_codec_select(NULL);
}

Test(bitpack, forcing_scalar_and_back_switches_the_implementation)
{
    kz_codec_force_scalar(1);
    cr_assert_str_eq(kz_codec_impl(), "scalar");
    kz_codec_force_scalar(0);
    const char *best = kz_codec_impl();
    cr_assert(strcmp(best, "scalar") == 0 || strcmp(best, "sse4.1") == 0 ||
              strcmp(best, "avx2") == 0);
    cr_assert_eq(kz_codec_select("neon9"), KZ_EINVAL);
    cr_assert_str_eq(kz_codec_impl(), best);
}

Test(bitpack, bits_needed_is_the_width_of_the_largest_value)
{
    cr_assert_eq(kz_bits_needed(NULL, 0), 0);
    uint32_t v[3] = {0, 0, 0};
    cr_assert_eq(kz_bits_needed(v, 3), 0);
    v[1] = 1;
    cr_assert_eq(kz_bits_needed(v, 3), 1);
    v[2] = 0x80000000u;
    cr_assert_eq(kz_bits_needed(v, 3), 32);
    v[2] = 255;
    cr_assert_eq(kz_bits_needed(v, 3), 8);
    v[0] = 256;
    cr_assert_eq(kz_bits_needed(v, 3), 9);
}

Test(bitpack, vbyte_writes_the_documented_bytes)
{
    /* 7 bits a byte, least significant group first, high bit on all but the last byte */
    const uint32_t in[] = {0, 127, 128, 300, 16384, UINT32_MAX};
    const uint8_t want[] = {0x00, 0x7f, 0x80, 0x01, 0xac, 0x02, 0x80,
                            0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f};
    uint8_t out[5 * 6];
    size_t n = kz_vbyte_encode(in, 6, out);
    cr_assert_eq(n, sizeof want);
    cr_assert_arr_eq(out, want, sizeof want);
    uint32_t back[6];
    const uint8_t *next = NULL;
    cr_assert_eq(kz_vbyte_decode(out, out + n, 6, back, &next), KZ_OK);
    cr_assert_arr_eq(back, in, sizeof in);
    cr_assert_eq(next, out + n);
}

Test(bitpack, vbyte_round_trips_random_sequences_of_every_length)
{
    uint32_t *in = malloc(1001 * sizeof *in), *back = malloc(1001 * sizeof *back);
    uint8_t *buf = malloc(5 * 1001);
    for (size_t n = 0; n <= 1000; n += (n < 140 ? 1 : 37)) {
        unsigned bits = (unsigned)(n % 33);
        for (size_t i = 0; i < n; i++) in[i] = rnd() & width_mask(bits);
        size_t len = kz_vbyte_encode(in, n, buf);
        cr_assert_leq(len, 5 * n);
        const uint8_t *next;
        cr_assert_eq(kz_vbyte_decode(buf, buf + len, n, back, &next), KZ_OK);
        cr_assert_eq(next, buf + len);
        if (n) cr_assert_arr_eq(back, in, n * sizeof *in);
        /* every truncation is detected */
        for (size_t cut = len > 40 ? len - 40 : 0; cut < len; cut++)
            cr_assert_eq(kz_vbyte_decode(buf, buf + cut, n, back, &next), KZ_ECORRUPT);
    }
    free(in);
    free(back);
    free(buf);
}

Test(bitpack, vbyte_rejects_integers_over_32_bits_and_longer_than_5_bytes)
{
    uint32_t v;
    const uint8_t over[] = {0xff, 0xff, 0xff, 0xff, 0x10};
    cr_assert_eq(kz_vbyte_decode(over, over + sizeof over, 1, &v, NULL), KZ_ECORRUPT);
    cr_assert_str_neq(kz_errmsg(), "");
    const uint8_t six[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
    cr_assert_eq(kz_vbyte_decode(six, six + sizeof six, 1, &v, NULL), KZ_ECORRUPT);
    const uint8_t ok[] = {0x80, 0x80, 0x80, 0x80, 0x0f};
    cr_assert_eq(kz_vbyte_decode(ok, ok + sizeof ok, 1, &v, NULL), KZ_OK);
    cr_assert_eq(v, 0xf0000000u);
    cr_assert_eq(kz_vbyte_decode(ok, ok, 1, &v, NULL), KZ_ECORRUPT);
}
