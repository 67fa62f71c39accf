/* wordbreak.h - Unicode word boundaries (UAX #29, Unicode 15.0) over untrusted bytes.
 *
 * A kz_wordbreak walks a text and hands out its word segments in order: the segments partition
 * [0, len) exactly (each is non-empty, each starts where the previous ended), and the boundaries
 * between them are the default word boundaries of UAX #29, rules WB1-WB999. Offsets are byte
 * offsets into the caller's text. Ill-formed UTF-8 is decoded to U+FFFD per maximal subpart
 * (utf8.h), which is Word_Break=Other, so it forms its own segments and never joins a word. The
 * iterator allocates nothing and reads only [text, text + len); the text must outlive it.
 *
 * Each segment comes with flags saying what kind of characters it holds, so the analyzer can skip
 * segments of spaces and punctuation (flags == 0 for the letter and digit bits) without decoding
 * them again. */
#ifndef KZ_WORDBREAK_H
#define KZ_WORDBREAK_H

#include <stddef.h>
#include <stdint.h>

/* Segment flags: the segment contains at least one character that is... */
#define KZ_WB_HAS_LETTER 0x1u /* Alphabetic (letters of every script, Han and kana included) */
#define KZ_WB_HAS_DIGIT  0x2u /* Word_Break=Numeric (decimal digits of every script) */
#define KZ_WB_HAS_IDEO   0x4u /* of script Han */
#define KZ_WB_HAS_KANA   0x8u /* of script Hiragana or Katakana, or Word_Break=Katakana */

/* Iterator state; the fields are private to wordbreak.c. Trivially copyable: a copy resumes from
 * the same point. */
typedef struct kz_wordbreak {
    const uint8_t *text;
    size_t len;
    size_t pos;         /* offset of the first character of the next segment */
    uint8_t prev;       /* Word_Break of the character before pos (KZ_WB_SOT at the start) */
    uint8_t l1, l2;     /* last two characters before pos, Extend/Format/ZWJ skipped (WB4) */
    uint8_t ri_odd;     /* 1 if l1 ends an odd-length run of Regional_Indicator (WB15/16) */
    uint8_t next_len;   /* if not 0: the character at pos is already decoded and this long */
    uint16_t next_info; /* ... with these properties (unicode_props.h) */
} kz_wordbreak;

/* Starts iterating over text[0, len). text may be NULL when len is 0. */
void kz_wordbreak_init(kz_wordbreak *wb, const char *text, size_t len);

/* Gives the next segment [*start, *end) in byte offsets and its KZ_WB_HAS_* bits in *flags, and
 * returns 1; returns 0 (leaving the outputs alone) when the text is exhausted. */
int kz_wordbreak_next(kz_wordbreak *wb, size_t *start, size_t *end, unsigned *flags);

#endif
