/* unicode_props.h - the Unicode character properties the analyzer needs: Word_Break,
 * Extended_Pictographic, Script and Alphabetic, from one table lookup per code point.
 *
 * Invariants: every code point (and every uint32_t, out-of-range values included) has exactly one
 * packed property word (kz_ucd_info); its fields are a kz_wb, the Extended_Pictographic bit, the
 * Alphabetic bit and a kz_ucd_script. The tables behind it live in unicode_tables.c, generated
 * from the Unicode 15.0 data files (the version libutf8proc 2.8 implements) by
 * common/gen/gen_unicode_tables.c (`cmake --build build --target gen-unicode-tables`); that
 * generator includes this header, so the enum values and the block size below are the ones the
 * tables were built with. Code points absent from a data file get its default (Other, not
 * pictographic, not alphabetic, script Unknown = KZ_UCD_SC_OTHER). */
#ifndef KZ_UNICODE_PROPS_H
#define KZ_UNICODE_PROPS_H

#include <stddef.h>
#include <stdint.h>

/* Word_Break property values (UAX #29, table 3). Order is fixed: the tables store these numbers. */
typedef enum kz_wb {
    KZ_WB_OTHER = 0,
    KZ_WB_CR,
    KZ_WB_LF,
    KZ_WB_NEWLINE,
    KZ_WB_EXTEND,
    KZ_WB_ZWJ,
    KZ_WB_REGIONAL_INDICATOR,
    KZ_WB_FORMAT,
    KZ_WB_KATAKANA,
    KZ_WB_HEBREW_LETTER,
    KZ_WB_ALETTER,
    KZ_WB_SINGLE_QUOTE,
    KZ_WB_DOUBLE_QUOTE,
    KZ_WB_MIDNUMLET,
    KZ_WB_MIDLETTER,
    KZ_WB_MIDNUM,
    KZ_WB_NUMERIC,
    KZ_WB_EXTENDNUMLET,
    KZ_WB_WSEGSPACE,
    KZ_WB_COUNT
} kz_wb;

/* The scripts the analyzer routes by; every other script (Bopomofo included) and Unknown is
 * KZ_UCD_SC_OTHER. */
typedef enum kz_ucd_script {
    KZ_UCD_SC_OTHER = 0,
    KZ_UCD_SC_COMMON,
    KZ_UCD_SC_INHERITED,
    KZ_UCD_SC_LATIN,
    KZ_UCD_SC_CYRILLIC,
    KZ_UCD_SC_GREEK,
    KZ_UCD_SC_HAN,
    KZ_UCD_SC_HIRAGANA,
    KZ_UCD_SC_KATAKANA,
    KZ_UCD_SC_HANGUL,
    KZ_UCD_SC_ARABIC,
    KZ_UCD_SC_HEBREW,
    KZ_UCD_SC_THAI,
    KZ_UCD_SC_COUNT
} kz_ucd_script;

/* Layout of a packed property word. */
#define KZ_UCD_WB_MASK      0x1fu /* bits 0-4: kz_wb */
#define KZ_UCD_EXTPICT      0x20u /* bit 5: Extended_Pictographic */
#define KZ_UCD_ALPHA        0x40u /* bit 6: Alphabetic (DerivedCoreProperties) */
#define KZ_UCD_SCRIPT_SHIFT 8     /* bits 8-11: kz_ucd_script */
#define KZ_UCD_SCRIPT_MASK  0x0fu

/* Two-stage table: stage1[cp >> SHIFT] names a block of 1 << SHIFT class numbers in stage2; a
 * class number indexes kz_ucd_classes, the distinct packed words. */
#define KZ_UCD_BLOCK_SHIFT 7
#define KZ_UCD_MAX_CP      0x10ffffu

extern const uint16_t kz_ucd_latin1[256];
/* Per byte: 1 for an ASCII character of Word_Break ALetter, 2 for ASCII Numeric, 0 for any
 * other byte (every byte >= 0x80 included): the word breaker's run of letters and digits. */
extern const uint8_t kz_ucd_ascii_alnum[256];
extern const uint16_t kz_ucd_classes[];
extern const uint16_t kz_ucd_stage1[(KZ_UCD_MAX_CP >> KZ_UCD_BLOCK_SHIFT) + 1];
extern const uint8_t kz_ucd_stage2[];

/* The packed property word of cp. Latin-1 takes one load; the rest three. */
static inline uint16_t kz_ucd_info(uint32_t cp)
{
    if (cp < 256) return kz_ucd_latin1[cp];
    if (cp > KZ_UCD_MAX_CP) return 0;
    size_t block = kz_ucd_stage1[cp >> KZ_UCD_BLOCK_SHIFT];
    size_t mask = ((size_t)1 << KZ_UCD_BLOCK_SHIFT) - 1;
    return kz_ucd_classes[kz_ucd_stage2[(block << KZ_UCD_BLOCK_SHIFT) | (cp & mask)]];
}

static inline kz_wb kz_wb_prop(uint32_t cp)
{
    return (kz_wb)(kz_ucd_info(cp) & KZ_UCD_WB_MASK);
}

static inline int kz_is_extpict(uint32_t cp)
{
    return (kz_ucd_info(cp) & KZ_UCD_EXTPICT) != 0;
}

static inline int kz_is_alphabetic(uint32_t cp)
{
    return (kz_ucd_info(cp) & KZ_UCD_ALPHA) != 0;
}

static inline kz_ucd_script kz_script_prop(uint32_t cp)
{
    return (kz_ucd_script)((kz_ucd_info(cp) >> KZ_UCD_SCRIPT_SHIFT) & KZ_UCD_SCRIPT_MASK);
}

#endif
