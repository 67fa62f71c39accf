/* wordbreak.c - the UAX #29 word boundary rules as a left-to-right state machine.
 *
 * At each position between two characters we know the character to the right (r, decoded) and a
 * summary of everything to the left kept in kz_wordbreak: the raw Word_Break value of the
 * character just before (prev, for WB3-WB4, which look at raw neighbours), and the last two
 * characters once WB4 has folded every Extend/Format/ZWJ into the character before it (l1, l2,
 * for WB5-WB16), plus the parity of the Regional_Indicator run ending at l1. The rules that look
 * one character further right (WB6, WB7b, WB12) decode ahead without consuming. Rules are tried
 * in the order UAX #29 lists them; the first that matches decides. Invariant between calls: pos
 * is a boundary and the state describes text[0, pos); if next_len is set, it and next_info are
 * the decoding of the character at pos (made while deciding the boundary, so it is not redone).
 *
 * Speed: English is mostly runs of ASCII letters, so after a letter or digit a run of ASCII
 * letters and digits is taken by a tight loop (no rule before WB5-WB10 can apply to them, and
 * those say "no break"); only the character that ends the run goes through the rule chain. */
#include "wordbreak.h"

#include "unicode_props.h"
#include "utf8.h"

/* Pseudo Word_Break values for the edges of the text; no rule matches them. */
#define KZ_WB_SOT KZ_WB_COUNT
#define KZ_WB_EOT (KZ_WB_COUNT + 1)

#define BIT(w)     (1u << (w))
#define IS(w, set) ((BIT(w) & (set)) != 0)

#define AHLETTER   (BIT(KZ_WB_ALETTER) | BIT(KZ_WB_HEBREW_LETTER))
#define MIDLETTERQ (BIT(KZ_WB_MIDLETTER) | BIT(KZ_WB_MIDNUMLET) | BIT(KZ_WB_SINGLE_QUOTE))
#define MIDNUMQ    (BIT(KZ_WB_MIDNUM) | BIT(KZ_WB_MIDNUMLET) | BIT(KZ_WB_SINGLE_QUOTE))
#define NEWLINES   (BIT(KZ_WB_CR) | BIT(KZ_WB_LF) | BIT(KZ_WB_NEWLINE))
#define IGNORED    (BIT(KZ_WB_EXTEND) | BIT(KZ_WB_FORMAT) | BIT(KZ_WB_ZWJ))

void kz_wordbreak_init(kz_wordbreak *wb, const char *text, size_t len)
{
    wb->text = (const uint8_t *)text;
    wb->len = text ? len : 0;
    wb->pos = 0;
    wb->prev = wb->l1 = wb->l2 = KZ_WB_SOT;
    wb->ri_odd = 0;
    wb->next_len = 0;
}

static inline uint16_t info_at(const uint8_t *p, const uint8_t *end, size_t *n)
{
    uint32_t cp;
    *n = kz_utf8_decode(p, end, &cp);
    return kz_ucd_info(cp);
}

static inline unsigned flags_of(uint16_t info)
{
    unsigned w = info & KZ_UCD_WB_MASK;
    unsigned sc = (info >> KZ_UCD_SCRIPT_SHIFT) & KZ_UCD_SCRIPT_MASK;
    unsigned f = (info & KZ_UCD_ALPHA) ? KZ_WB_HAS_LETTER : 0;
    if (w == KZ_WB_NUMERIC) f |= KZ_WB_HAS_DIGIT;
    if (sc == KZ_UCD_SC_HAN) f |= KZ_WB_HAS_IDEO;
    if (sc == KZ_UCD_SC_HIRAGANA || sc == KZ_UCD_SC_KATAKANA || w == KZ_WB_KATAKANA)
        f |= KZ_WB_HAS_KANA;
    return f;
}

/* Moves the left context past a character of Word_Break w. */
static inline void advance(kz_wordbreak *wb, unsigned w)
{
    /* WB4: Extend/Format/ZWJ belong to the character before, except after sot and newlines
     * (there they stand for themselves). */
    if (!(IS(w, IGNORED) && wb->prev != KZ_WB_SOT && !IS(wb->prev, NEWLINES))) {
        wb->ri_odd = w == KZ_WB_REGIONAL_INDICATOR ? !wb->ri_odd : 0;
        wb->l2 = wb->l1;
        wb->l1 = (uint8_t)w;
    }
    wb->prev = (uint8_t)w;
}

/* Word_Break of the first character at or after p that WB4 does not fold away, or EOT. */
static unsigned peek_effective(const uint8_t *p, const uint8_t *end)
{
    while (p < end) {
        size_t n;
        unsigned w = info_at(p, end, &n) & KZ_UCD_WB_MASK;
        if (!IS(w, IGNORED)) return w;
        p += n;
    }
    return KZ_WB_EOT;
}

/* Is there a boundary between the left context and a character r (info) whose encoding ends
 * at after? */
static int is_break(const kz_wordbreak *wb, uint16_t info, const uint8_t *after, const uint8_t *end)
{
    unsigned r = info & KZ_UCD_WB_MASK, p = wb->prev, l1 = wb->l1, l2 = wb->l2;
    if (p == KZ_WB_CR && r == KZ_WB_LF) return 0;               /* WB3 */
    if (IS(p, NEWLINES) || IS(r, NEWLINES)) return 1;           /* WB3a, WB3b */
    if (p == KZ_WB_ZWJ && (info & KZ_UCD_EXTPICT)) return 0;    /* WB3c */
    if (p == KZ_WB_WSEGSPACE && r == KZ_WB_WSEGSPACE) return 0; /* WB3d */
    if (IS(r, IGNORED)) return 0;                               /* WB4 */
    if (IS(l1, AHLETTER)) {
        if (IS(r, AHLETTER)) return 0;                                               /* WB5 */
        if (IS(r, MIDLETTERQ) && IS(peek_effective(after, end), AHLETTER)) return 0; /* WB6 */
    }
    if (IS(l2, AHLETTER) && IS(l1, MIDLETTERQ) && IS(r, AHLETTER)) return 0; /* WB7 */
    if (l1 == KZ_WB_HEBREW_LETTER) {
        if (r == KZ_WB_SINGLE_QUOTE) return 0; /* WB7a */
        if (r == KZ_WB_DOUBLE_QUOTE && peek_effective(after, end) == KZ_WB_HEBREW_LETTER)
            return 0; /* WB7b */
    }
    if (l2 == KZ_WB_HEBREW_LETTER && l1 == KZ_WB_DOUBLE_QUOTE && r == KZ_WB_HEBREW_LETTER)
        return 0;                                                                  /* WB7c */
    if (r == KZ_WB_NUMERIC && (l1 == KZ_WB_NUMERIC || IS(l1, AHLETTER))) return 0; /* WB8, 9 */
    if (l1 == KZ_WB_NUMERIC && IS(r, AHLETTER)) return 0;                          /* WB10 */
    if (l2 == KZ_WB_NUMERIC && IS(l1, MIDNUMQ) && r == KZ_WB_NUMERIC) return 0;    /* WB11 */
    if (l1 == KZ_WB_NUMERIC && IS(r, MIDNUMQ) && peek_effective(after, end) == KZ_WB_NUMERIC)
        return 0;                                              /* WB12 */
    if (l1 == KZ_WB_KATAKANA && r == KZ_WB_KATAKANA) return 0; /* WB13 */
    if (r == KZ_WB_EXTENDNUMLET &&
        IS(l1, AHLETTER | BIT(KZ_WB_NUMERIC) | BIT(KZ_WB_KATAKANA) | BIT(KZ_WB_EXTENDNUMLET)))
        return 0; /* WB13a */
    if (l1 == KZ_WB_EXTENDNUMLET && IS(r, AHLETTER | BIT(KZ_WB_NUMERIC) | BIT(KZ_WB_KATAKANA)))
        return 0; /* WB13b */
    if (l1 == KZ_WB_REGIONAL_INDICATOR && r == KZ_WB_REGIONAL_INDICATOR && wb->ri_odd)
        return 0; /* WB15, WB16 */
    return 1;     /* WB999 */
}

/* kz_ucd_ascii_alnum's values are the flags a run of them gives its segment. */
_Static_assert(KZ_WB_HAS_LETTER == 1 && KZ_WB_HAS_DIGIT == 2, "kz_ucd_ascii_alnum encoding");

static uint8_t ascii_alnum_wb(uint8_t b)
{
    return (uint8_t)(kz_ucd_latin1[b] & KZ_UCD_WB_MASK);
}

int kz_wordbreak_next(kz_wordbreak *wb, size_t *start, size_t *end, unsigned *flags)
{
    if (wb->pos >= wb->len) return 0; /* WB2 */
    const uint8_t *text = wb->text, *stop = text + wb->len;
    const uint8_t *p = text + wb->pos;
    /* WB1: a segment starts here, whatever follows. The previous call may have decoded its
     * first character already, deciding the boundary before it. */
    size_t n = wb->next_len;
    uint16_t info = n ? wb->next_info : info_at(p, stop, &n);
    wb->next_len = 0;
    unsigned f = flags_of(info);
    advance(wb, info & KZ_UCD_WB_MASK);
    p += n;
    while (p < stop) {
        /* Fast path: ASCII letters and digits after a letter or digit never break (WB5, WB8-10)
         * and no earlier rule can apply to them, so take the run without the rule chain. */
        if (wb->l1 == KZ_WB_ALETTER || wb->l1 == KZ_WB_NUMERIC) {
            const uint8_t *run = p;
            unsigned c;
            while (p < stop && (c = kz_ucd_ascii_alnum[*p]) != 0) {
                f |= c;
                p++;
            }
            if (p - run >= 2)
                wb->l2 = ascii_alnum_wb(p[-2]);
            else if (p != run)
                wb->l2 = wb->l1;
            if (p != run) wb->prev = wb->l1 = ascii_alnum_wb(p[-1]);
            if (p >= stop) break;
        }
        info = info_at(p, stop, &n);
        if (is_break(wb, info, p + n, stop)) {
            wb->next_info = info;
            wb->next_len = (uint8_t)n;
            break;
        }
        f |= flags_of(info);
        advance(wb, info & KZ_UCD_WB_MASK);
        p += n;
    }
    *start = wb->pos;
    wb->pos = (size_t)(p - text);
    *end = wb->pos;
    *flags = f;
    return 1;
}
