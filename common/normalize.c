/* normalize.c - NFKC + case folding + typographic lumping, on utf8proc's tables.
 *
 * Pipeline per word: decode (invalid bytes → U+FFFD), lump each code point, decompose it with
 * compatibility mappings and case folding (utf8proc_decompose_char, which also drops default
 * ignorables such as U+00AD SOFT HYPHEN and U+200D ZWJ), put combining marks in canonical order,
 * recompose (utf8proc_normalize_utf32) and encode. This is what utf8proc_decompose_custom does,
 * done by hand so that invalid bytes are replaced instead of failing the whole word. Pure ASCII
 * words, nearly all words of English text, take a shortcut: NFKC leaves ASCII unchanged and case
 * folding ASCII is lower-casing. */
#include "normalize.h"

#include "error.h"

#include <stdlib.h>
#include <utf8proc.h>

#define KZ_DECOMPOSE_OPTS                                                                          \
    (UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE)

uint32_t kz_normalize_lump(uint32_t cp)
{
    switch (cp) {
    case 0x2018: /* ‘ LEFT SINGLE QUOTATION MARK */
    case 0x2019: /* ’ RIGHT SINGLE QUOTATION MARK, the usual typographic apostrophe */
    case 0x201B: /* ‛ SINGLE HIGH-REVERSED-9 QUOTATION MARK */
    case 0x02BC: /* ʼ MODIFIER LETTER APOSTROPHE */
    case 0xFF07: /* ＇ FULLWIDTH APOSTROPHE (NFKC maps it too; lumped first for clarity) */
    case 0x2032: /* ′ PRIME, often typed for an apostrophe */
        return '\'';
    case 0x201C: /* “ */
    case 0x201D: /* ” */
    case 0x201E: /* „ */
    case 0x201F: /* ‟ */
    case 0x2033: /* ″ DOUBLE PRIME */
    case 0x00AB: /* « */
    case 0x00BB: /* » */
        return '"';
    case 0x2010: /* ‐ HYPHEN */
    case 0x2011: /* ‑ NON-BREAKING HYPHEN */
    case 0x2012: /* ‒ FIGURE DASH */
    case 0x2013: /* – EN DASH */
    case 0x2014: /* — EM DASH */
    case 0x2015: /* ― HORIZONTAL BAR */
    case 0x2212: /* − MINUS SIGN */
    case 0xFE58: /* ﹘ SMALL EM DASH */
    case 0xFE63: /* ﹣ SMALL HYPHEN-MINUS */
    case 0xFF0D: /* － FULLWIDTH HYPHEN-MINUS */
        return '-';
    default:
        return cp;
    }
}

size_t kz_normalize_cp(uint32_t cp, uint32_t dst[KZ_NORMALIZE_CP_MAX])
{
    int32_t tmp[KZ_NORMALIZE_CP_MAX];
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) cp = 0xFFFD;
    utf8proc_ssize_t n =
        utf8proc_decompose_char((utf8proc_int32_t)kz_normalize_lump(cp), tmp, KZ_NORMALIZE_CP_MAX,
                                KZ_DECOMPOSE_OPTS, &boundclass);
    if (n < 0 || n > KZ_NORMALIZE_CP_MAX) { /* cannot happen with utf8proc's tables */
        dst[0] = cp;
        return 1;
    }
    n = utf8proc_normalize_utf32(tmp, n, KZ_DECOMPOSE_OPTS);
    for (utf8proc_ssize_t i = 0; i < n; i++) dst[i] = (uint32_t)tmp[i];
    return (size_t)n;
}

static int grow(kz_normalizer *n, size_t need)
{
    if (need <= n->cap) return KZ_OK;
    size_t cap = n->cap ? n->cap : 64;
    while (cap < need) cap *= 2;
    int32_t *p = realloc(n->cps, cap * sizeof *p);
    if (p == NULL) return KZ_ENOMEM_FAIL();
    n->cps = p;
    n->cap = cap;
    return KZ_OK;
}

/* Canonical ordering of combining marks (a stable bubble sort by combining class, as utf8proc
 * does after decomposing): runs of marks are short, so the quadratic worst case does not bite. */
static void canonical_order(int32_t *c, size_t len)
{
    size_t pos = 0;
    while (pos + 1 < len) {
        int ca = utf8proc_get_property(c[pos])->combining_class;
        int cb = utf8proc_get_property(c[pos + 1])->combining_class;
        if (ca > cb && cb > 0) {
            int32_t t = c[pos];
            c[pos] = c[pos + 1];
            c[pos + 1] = t;
            if (pos > 0) pos--;
        } else {
            pos++;
        }
    }
}

int kz_normalize(kz_normalizer *n, kz_buf *out, const char *s, size_t len)
{
    const uint8_t *p = (const uint8_t *)s;
    size_t i = 0;
    while (i < len && p[i] < 0x80) i++;
    if (i == len) { /* ASCII: fold A-Z, leave the rest */
        KZ_TRY(kz_buf_reserve(out, len));
        uint8_t *d = out->data + out->len;
        for (size_t k = 0; k < len; k++) {
            uint8_t c = p[k];
            d[k] = (c >= 'A' && c <= 'Z') ? (uint8_t)(c + 32) : c;
        }
        out->len += len;
        return KZ_OK;
    }

    size_t w = 0;
    int boundclass = UTF8PROC_BOUNDCLASS_START;
    i = 0;
    while (i < len) {
        utf8proc_int32_t cp;
        utf8proc_ssize_t used = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &cp);
        if (used < 0) { /* invalid: replace one byte and resynchronise */
            cp = 0xFFFD;
            used = 1;
        }
        i += (size_t)used;
        KZ_TRY(grow(n, w + KZ_NORMALIZE_CP_MAX));
        utf8proc_ssize_t k =
            utf8proc_decompose_char((utf8proc_int32_t)kz_normalize_lump((uint32_t)cp), n->cps + w,
                                    KZ_NORMALIZE_CP_MAX, KZ_DECOMPOSE_OPTS, &boundclass);
        if (k < 0 || k > KZ_NORMALIZE_CP_MAX)
            return kz_fail(KZ_ERROR, "normalising U+%04X failed: %s", (unsigned)cp,
                           utf8proc_errmsg(k < 0 ? k : UTF8PROC_ERROR_OVERFLOW));
        w += (size_t)k;
    }
    canonical_order(n->cps, w);
    utf8proc_ssize_t m = utf8proc_normalize_utf32(n->cps, (utf8proc_ssize_t)w, KZ_DECOMPOSE_OPTS);
    if (m < 0) return kz_fail(KZ_ERROR, "normalisation failed: %s", utf8proc_errmsg(m));
    KZ_TRY(kz_buf_reserve(out, (size_t)m * 4));
    for (utf8proc_ssize_t k = 0; k < m; k++)
        out->len += (size_t)utf8proc_encode_char(n->cps[k], out->data + out->len);
    return KZ_OK;
}

void kz_normalizer_free(kz_normalizer *n)
{
    if (n == NULL) return;
    free(n->cps);
    n->cps = NULL;
    n->cap = 0;
}
