/* utf8.c - the multi-byte UTF-8 decoder, the validator and the encoder.
 *
 * The decoder follows Table 3-7 of the Unicode Standard (well-formed byte sequences): the lead
 * byte fixes the length and the allowed range of the *second* byte (that range is what excludes
 * overlongs, surrogates and values above U+10FFFF); every later byte is 80..BF. Checking the
 * second byte's range before accepting it is what makes the consumed length the maximal subpart:
 * a lead followed by a byte outside its range is a one-byte error, and the byte is decoded again
 * as the start of the next sequence. */
#include "utf8.h"

#include "error.h"

#include <string.h>

/* 80..BF */
static inline int is_cont(uint8_t b)
{
    return (b & 0xc0) == 0x80;
}

/* Decodes at p; *ok is set to 0 for an ill-formed sequence (then *cp = U+FFFD). */
static size_t decode(const uint8_t *p, const uint8_t *end, uint32_t *cp, int *ok)
{
    uint8_t b0 = p[0];
    size_t avail = (size_t)(end - p);
    uint8_t lo = 0x80, hi = 0xbf; /* range of the second byte */
    size_t need;
    *ok = 0;
    *cp = KZ_UTF8_REPLACEMENT;
    if (b0 < 0x80) {
        *cp = b0;
        *ok = 1;
        return 1;
    }
    if (b0 < 0xc2) return 1; /* continuation byte, or C0/C1 (always overlong) */
    if (b0 < 0xe0) {
        need = 2;
    } else if (b0 < 0xf0) {
        need = 3;
        if (b0 == 0xe0) lo = 0xa0; /* below is overlong */
        if (b0 == 0xed) hi = 0x9f; /* above is a surrogate */
    } else if (b0 < 0xf5) {
        need = 4;
        if (b0 == 0xf0) lo = 0x90; /* below is overlong */
        if (b0 == 0xf4) hi = 0x8f; /* above is > U+10FFFF */
    } else {
        return 1; /* F5..FF never occur */
    }
    if (avail < 2 || p[1] < lo || p[1] > hi) return 1;
    uint32_t v = (uint32_t)(b0 & (0x7f >> need)) << 6 | (p[1] & 0x3fu);
    for (size_t i = 2; i < need; i++) {
        if (i >= avail || !is_cont(p[i])) return i;
        v = v << 6 | (p[i] & 0x3fu);
    }
    *cp = v;
    *ok = 1;
    return need;
}

size_t kz_utf8_decode_multi(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    int ok;
    return decode(p, end, cp, &ok);
}

int kz_utf8_validate(const uint8_t *p, size_t len, size_t *bad_offset)
{
    const uint8_t *end = p + len;
    size_t i = 0;
    while (i < len) {
        /* Runs of ASCII are the common case: test eight bytes at once. */
        while (len - i >= 8) {
            uint64_t w;
            memcpy(&w, p + i, 8);
            if (w & 0x8080808080808080u) break;
            i += 8;
        }
        if (i >= len) break;
        uint32_t cp;
        int ok;
        size_t n = decode(p + i, end, &cp, &ok);
        if (!ok) {
            if (bad_offset) *bad_offset = i;
            return kz_fail(KZ_EUTF8, "invalid UTF-8 at byte offset %zu (byte 0x%02x)", i, p[i]);
        }
        i += n;
    }
    return KZ_OK;
}

size_t kz_utf8_encode(uint32_t cp, uint8_t out[4])
{
    if (cp < 0x80) {
        out[0] = (uint8_t)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (uint8_t)(0xc0 | cp >> 6);
        out[1] = (uint8_t)(0x80 | (cp & 0x3f));
        return 2;
    }
    if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) cp = KZ_UTF8_REPLACEMENT;
    if (cp < 0x10000) {
        out[0] = (uint8_t)(0xe0 | cp >> 12);
        out[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (uint8_t)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (uint8_t)(0xf0 | cp >> 18);
    out[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (uint8_t)(0x80 | (cp & 0x3f));
    return 4;
}
