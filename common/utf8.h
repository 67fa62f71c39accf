/* utf8.h - UTF-8 decoding, validation and encoding on untrusted bytes.
 *
 * The decoder works on the original bytes, so callers keep byte offsets into the text they were
 * given. Invariants: kz_utf8_decode() reads only [p, end), always consumes at least one byte and
 * at most four, and yields a Unicode scalar value (never a surrogate, never above U+10FFFF).
 * Ill-formed input yields U+FFFD once per *maximal subpart* (Unicode 15.0 §3.9, "U+FFFD
 * Substitution of Maximal Subparts", the WHATWG Encoding Standard and ICU behaviour): a byte that
 * cannot start a sequence is one U+FFFD; a sequence cut short (by end or by a byte that cannot
 * continue it) is one U+FFFD covering its well-formed prefix, and decoding resumes at the
 * offending byte. So decoding every position of a text in turn partitions it exactly. */
#ifndef KZ_UTF8_H
#define KZ_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define KZ_UTF8_REPLACEMENT 0xfffdu

/* The multi-byte part of kz_utf8_decode(); p[0] >= 0x80. */
size_t kz_utf8_decode_multi(const uint8_t *p, const uint8_t *end, uint32_t *cp);

/* Decodes one code point at p (requires p < end) into *cp and returns the bytes consumed (1-4).
 * Ill-formed input gives *cp = U+FFFD (see above). Inline so ASCII costs a compare. */
static inline size_t kz_utf8_decode(const uint8_t *p, const uint8_t *end, uint32_t *cp)
{
    if (p[0] < 0x80) {
        *cp = p[0];
        return 1;
    }
    return kz_utf8_decode_multi(p, end, cp);
}

/* KZ_OK if [p, p + len) is well-formed UTF-8; otherwise KZ_EUTF8 with *bad_offset (if not NULL)
 * set to the offset of the first byte of the first ill-formed sequence, and a message naming it.
 * An encoded U+FFFD (EF BF BD) is well-formed. */
int kz_utf8_validate(const uint8_t *p, size_t len, size_t *bad_offset);

/* Writes the UTF-8 encoding of cp to out and returns its length (1-4). Surrogates and values
 * above U+10FFFF, which have no encoding, are written as U+FFFD (3 bytes). */
size_t kz_utf8_encode(uint32_t cp, uint8_t out[4]);

#endif
