/* test_utf8.c - the UTF-8 decoder, validator and encoder.
 *
 * The reference decoder below is written from the definitions, not from Table 3-7: a k-byte
 * prefix of an n-byte sequence is acceptable when some completion of it encodes a scalar value
 * that needs exactly n bytes (no overlong, no surrogate, not above U+10FFFF); the maximal subpart
 * is the longest acceptable prefix. It is slow and obviously right, which is what a reference
 * for an exhaustive comparison needs. */
#include "error.h"
#include "utf8.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reference: decodes at b (avail bytes) into *cp, returns the bytes consumed. */
static size_t ref_decode(const uint8_t *b, size_t avail, uint32_t *cp)
{
    *cp = 0xfffd;
    size_t n;
    if (b[0] < 0x80)
        n = 1;
    else if ((b[0] & 0xe0) == 0xc0)
        n = 2;
    else if ((b[0] & 0xf0) == 0xe0)
        n = 3;
    else if ((b[0] & 0xf8) == 0xf0)
        n = 4;
    else
        return 1; /* continuation byte or F8..FF */
    if (n == 1) return *cp = b[0], 1;
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    static const uint32_t max[5] = {0, 0, 0x7ff, 0xffff, 0x10ffff};
    uint32_t v = b[0] & (0xffu >> (n + 1));
    for (size_t k = 1; k <= n; k++) {
        if (k > 1) {
            if (k > avail || (b[k - 1] & 0xc0) != 0x80) return k - 1;
            v = v << 6 | (b[k - 1] & 0x3fu);
        }
        /* The values this k-byte prefix can still become: [lo, hi]. */
        unsigned rest = 6 * (unsigned)(n - k);
        uint32_t lo = v << rest, hi = lo | ((1u << rest) - 1);
        int possible = hi >= min[n] && lo <= max[n];
        /* All of [lo, hi] surrogates? (Prefixes only narrow to surrogates from ED A0 on.) */
        if (lo >= 0xd800 && hi <= 0xdfff) possible = 0;
        if (!possible) return k > 1 ? k - 1 : 1;
    }
    *cp = v;
    return n;
}

/* Decodes len bytes from an exact-size heap buffer and compares with the reference. */
static void check_against_reference(uint8_t *heap, size_t len)
{
    uint32_t cp = 0, want_cp = 0;
    size_t n = kz_utf8_decode(heap, heap + len, &cp);
    size_t want_n = ref_decode(heap, len, &want_cp);
    if (n != want_n || cp != want_cp)
        cr_assert_fail("bytes %02x %02x %02x %02x (len %zu): got U+%04X/%zu, want U+%04X/%zu",
                       heap[0], len > 1 ? heap[1] : 0, len > 2 ? heap[2] : 0, len > 3 ? heap[3] : 0,
                       len, (unsigned)cp, n, (unsigned)want_cp, want_n);
}

Test(utf8, every_one_and_two_byte_input_decodes_like_the_reference)
{
    uint8_t *one = malloc(1), *two = malloc(2);
    cr_assert(one && two);
    for (unsigned a = 0; a < 256; a++) {
        one[0] = (uint8_t)a;
        check_against_reference(one, 1);
        for (unsigned b = 0; b < 256; b++) {
            two[0] = (uint8_t)a;
            two[1] = (uint8_t)b;
            check_against_reference(two, 2);
        }
    }
    free(one);
    free(two);
}

Test(utf8, every_three_byte_input_decodes_like_the_reference)
{
    uint8_t *three = malloc(3);
    cr_assert_not_null(three);
    for (uint32_t x = 0; x < (1u << 24); x++) {
        three[0] = (uint8_t)(x >> 16);
        three[1] = (uint8_t)(x >> 8);
        three[2] = (uint8_t)x;
        check_against_reference(three, 3);
    }
    free(three);
}

Test(utf8, four_byte_inputs_decode_like_the_reference)
{
    /* Every lead F0..F7 with every second and third byte, and a fourth byte at each edge of the
     * continuation range and just outside it; plus lead bytes elsewhere with random tails. */
    uint8_t *four = malloc(4);
    cr_assert_not_null(four);
    static const uint8_t last[] = {0x00, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
    for (unsigned a = 0xf0; a <= 0xf7; a++)
        for (unsigned bc = 0; bc < 65536; bc++)
            for (size_t i = 0; i < sizeof last; i++) {
                four[0] = (uint8_t)a;
                four[1] = (uint8_t)(bc >> 8);
                four[2] = (uint8_t)bc;
                four[3] = last[i];
                check_against_reference(four, 4);
            }
    uint32_t x = 1;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        memcpy(four, &x, 4);
        check_against_reference(four, 4);
    }
    free(four);
}

Test(utf8, every_scalar_value_round_trips_through_encode_and_decode)
{
    uint8_t *buf = malloc(4);
    cr_assert_not_null(buf);
    for (uint32_t c = 0; c <= 0x10ffff; c++) {
        if (c >= 0xd800 && c <= 0xdfff) continue;
        uint8_t out[4];
        size_t n = kz_utf8_encode(c, out);
        cr_assert_eq(n, c < 0x80 ? 1u : c < 0x800 ? 2u : c < 0x10000 ? 3u : 4u);
        memcpy(buf + 4 - n, out, n); /* at the end of the buffer: no slack after it */
        uint32_t back;
        cr_assert_eq(kz_utf8_decode(buf + 4 - n, buf + 4, &back), n);
        cr_assert_eq(back, c, "U+%04X decoded as U+%04X", (unsigned)c, (unsigned)back);
        cr_assert_eq(kz_utf8_validate(buf + 4 - n, n, NULL), KZ_OK);
    }
    free(buf);
}

Test(utf8, encode_replaces_values_without_an_encoding)
{
    uint8_t out[4];
    cr_assert_eq(kz_utf8_encode(0xd800, out), 3);
    cr_assert_eq(memcmp(out, "\xef\xbf\xbd", 3), 0);
    cr_assert_eq(kz_utf8_encode(0x110000, out), 3);
    cr_assert_eq(memcmp(out, "\xef\xbf\xbd", 3), 0);
}

/* Decodes a whole string, returning "U+XXXX/len ..." for comparison. */
static const char *trace(const char *s, size_t len)
{
    static char out[512];
    uint8_t *heap = malloc(len);
    cr_assert_not_null(heap);
    memcpy(heap, s, len);
    size_t o = 0;
    for (const uint8_t *p = heap; p < heap + len;) {
        uint32_t cp;
        size_t n = kz_utf8_decode(p, heap + len, &cp);
        o += (size_t)snprintf(out + o, sizeof out - o, "%s%04X/%zu", o ? " " : "", (unsigned)cp, n);
        p += n;
    }
    free(heap);
    return out;
}

Test(utf8, ill_formed_sequences_give_one_replacement_per_maximal_subpart)
{
    /* The examples of Unicode 15.0 §3.9 (Tables 3-8 to 3-11). */
    cr_assert_str_eq(trace("\xc0\xaf\xe0\x80\xbf\xf0\x81\x82\x41", 9),
                     "FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 0041/1");
    cr_assert_str_eq(trace("\xed\xa0\x80\xed\xbf\xbf\xed\xaf\x41", 9),
                     "FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 0041/1");
    cr_assert_str_eq(trace("\xf4\x91\x92\x93\xff\x41\x80\xbf\x42", 9),
                     "FFFD/1 FFFD/1 FFFD/1 FFFD/1 FFFD/1 0041/1 FFFD/1 FFFD/1 0042/1");
    cr_assert_str_eq(trace("\xe1\x80\xe2\xf0\x91\x92\xf1\xbf\x41", 9),
                     "FFFD/2 FFFD/1 FFFD/3 FFFD/2 0041/1");
}

Test(utf8, truncation_at_every_length_consumes_the_valid_prefix)
{
    const char *full[] = {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"};
    for (size_t i = 0; i < 4; i++) {
        size_t n = strlen(full[i]);
        for (size_t k = 1; k < n; k++) {
            uint8_t *heap = malloc(k);
            cr_assert_not_null(heap);
            memcpy(heap, full[i], k);
            uint32_t cp;
            cr_assert_eq(kz_utf8_decode(heap, heap + k, &cp), k, "sequence %zu cut to %zu", i, k);
            cr_assert_eq(cp, 0xfffd);
            size_t bad = 99;
            cr_assert_eq(kz_utf8_validate(heap, k, &bad), KZ_EUTF8);
            cr_assert_eq(bad, 0);
            free(heap);
        }
    }
}

Test(utf8, overlongs_surrogates_and_out_of_range_are_rejected)
{
    static const char *const bad[] = {"\xc0\x80",         "\xc1\xbf",         "\xe0\x80\x80",
                                      "\xe0\x9f\xbf",     "\xf0\x80\x80\x80", "\xf0\x8f\xbf\xbf",
                                      "\xed\xa0\x80",     "\xed\xbf\xbf",     "\xf4\x90\x80\x80",
                                      "\xf5\x80\x80\x80", "\xf8\x88\x80\x80", "\xff"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        uint32_t cp;
        size_t len = strlen(bad[i]);
        cr_assert_eq(kz_utf8_decode((const uint8_t *)bad[i], (const uint8_t *)bad[i] + len, &cp), 1,
                     "case %zu", i);
        cr_assert_eq(cp, 0xfffd);
    }
    /* The edges just inside the valid ranges. */
    cr_assert_str_eq(trace("\xc2\x80\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf0\x90\x80\x80", 15),
                     "0080/2 0800/3 D7FF/3 E000/3 10000/4");
}

Test(utf8, validate_reports_the_first_bad_byte)
{
    size_t bad = 0;
    const char *ok = "plain ASCII text that is long enough for the eight-byte path, caf\xc3\xa9";
    cr_assert_eq(kz_utf8_validate((const uint8_t *)ok, strlen(ok), &bad), KZ_OK);
    cr_assert_eq(kz_utf8_validate((const uint8_t *)"", 0, &bad), KZ_OK);
    cr_assert_eq(kz_utf8_validate((const uint8_t *)"\xef\xbf\xbd", 3, &bad), KZ_OK);
    const char *text = "0123456789abcdef\xe2\x82\xac\xe2\x82!";
    cr_assert_eq(kz_utf8_validate((const uint8_t *)text, strlen(text), &bad), KZ_EUTF8);
    cr_assert_eq(bad, 19);
    cr_assert_str_eq(kz_errmsg(), "invalid UTF-8 at byte offset 19 (byte 0xe2)");
    cr_assert_eq(kz_utf8_validate((const uint8_t *)"abcdefgh\x80", 9, NULL), KZ_EUTF8);
}
