/* t2s.c - Traditional → Simplified conversion keeping one character per character (see t2s.h).
 *
 * Table invariants: pairs are sorted by traditional code point, each traditional code point once,
 * and bit cp of the bitmap is set exactly when cp is a pair's traditional side and cp <
 * KZ_T2S_BITMAP_LIMIT (code points above it are not ideographs and never in the table). */
#include "t2s.h"

#include "buf.h"
#include "error.h"

#include <opencc/opencc.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* Everything up to the end of CJK Unified Ideographs Extension G (U+3134A). */
#define KZ_T2S_BITMAP_LIMIT 0x31400u

/* The Han blocks whose characters are offered to OpenCC when the table is built. */
static const uint32_t han_blocks[][2] = {
    {0x3400, 0x4DBF},   /* Extension A */
    {0x4E00, 0x9FFF},   /* Unified Ideographs */
    {0xF900, 0xFAFF},   /* Compatibility Ideographs */
    {0x20000, 0x2EBEF}, /* Extensions B-F */
    {0x30000, 0x3134F}, /* Extension G */
};

typedef struct t2s_pair {
    uint32_t from, to;
} t2s_pair;

struct kz_t2s_table {
    t2s_pair *pairs;
    size_t npairs;
    uint8_t bitmap[KZ_T2S_BITMAP_LIMIT / 8];
};

struct kz_t2s {
    const kz_t2s_table *table;
    opencc_t cc;
    kz_buf utf8; /* the run as UTF-8, for OpenCC */
};

static opencc_t open_opencc(void)
{
    return opencc_open(KZ_T2S_CONFIG);
}

static int in_table(const kz_t2s_table *t, uint32_t cp)
{
    return cp < KZ_T2S_BITMAP_LIMIT && (t->bitmap[cp >> 3] >> (cp & 7) & 1);
}

uint32_t kz_t2s_char(const kz_t2s_table *t, uint32_t cp)
{
    if (!in_table(t, cp)) return cp;
    size_t lo = 0, hi = t->npairs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->pairs[mid].from < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->npairs && t->pairs[lo].from == cp ? t->pairs[lo].to : cp;
}

size_t kz_t2s_table_size(const kz_t2s_table *t)
{
    return t->npairs;
}

/* Decodes one valid UTF-8 character at p (OpenCC's output is valid UTF-8); 0 at a bad byte. */
static size_t decode(const uint8_t *p, size_t left, uint32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t n = utf8proc_iterate(p, (utf8proc_ssize_t)left, &c);
    if (n <= 0) return 0;
    *cp = (uint32_t)c;
    return (size_t)n;
}

int kz_t2s_table_new(kz_t2s_table **out)
{
    int rc = KZ_OK;
    kz_buf in = KZ_BUF_INIT;
    char *conv = NULL;
    opencc_t cc = (opencc_t)-1;
    kz_t2s_table *t = calloc(1, sizeof *t);
    *out = NULL;
    if (t == NULL) return KZ_ENOMEM_FAIL();

    /* One character per line: OpenCC leaves newlines alone and cannot join characters across
     * them into a phrase, so line i of the output is character i converted alone. */
    size_t nchars = 0;
    for (size_t b = 0; b < sizeof han_blocks / sizeof han_blocks[0]; b++) {
        for (uint32_t cp = han_blocks[b][0]; cp <= han_blocks[b][1]; cp++) {
            KZ_CHECK(kz_buf_reserve(&in, 5));
            in.len += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, in.data + in.len);
            in.data[in.len++] = '\n';
            nchars++;
        }
    }
    cc = open_opencc();
    if (cc == (opencc_t)-1 || cc == NULL) {
        rc = kz_fail(KZ_ENOTFOUND,
                     "cannot open OpenCC's configuration %s (%s): install opencc "
                     "and libopencc-dev, or disable Traditional→Simplified",
                     KZ_T2S_CONFIG, opencc_error());
        goto done;
    }
    conv = opencc_convert_utf8(cc, (const char *)in.data, in.len);
    if (conv == NULL) {
        rc = kz_fail(KZ_ERROR, "OpenCC conversion failed: %s", opencc_error());
        goto done;
    }
    t->pairs = malloc(nchars * sizeof *t->pairs);
    if (t->pairs == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    const uint8_t *p = (const uint8_t *)conv, *end = p + strlen(conv);
    const uint8_t *q = in.data;
    while (p < end && q < in.data + in.len) {
        uint32_t from = 0, to = 0;
        size_t nq = decode(q, (size_t)(in.data + in.len - q), &from);
        q += nq + 1; /* the character and its newline */
        const uint8_t *line = p;
        while (p < end && *p != '\n') p++;
        size_t n1 = decode(line, (size_t)(p - line), &to);
        int single = n1 > 0 && line + n1 == p;
        if (p < end) p++; /* the newline */
        if (single && to != from) {
            t->pairs[t->npairs].from = from;
            t->pairs[t->npairs].to = to;
            t->npairs++;
            if (from < KZ_T2S_BITMAP_LIMIT) t->bitmap[from >> 3] |= (uint8_t)(1u << (from & 7));
        }
    }
    /* han_blocks are in increasing order, so pairs already are. */
    *out = t;
    t = NULL;
done:
    if (conv) opencc_convert_utf8_free(conv);
    if (cc != (opencc_t)-1 && cc != NULL) opencc_close(cc);
    kz_buf_free(&in);
    kz_t2s_table_free(t);
    return rc;
}

void kz_t2s_table_free(kz_t2s_table *t)
{
    if (t == NULL) return;
    free(t->pairs);
    free(t);
}

int kz_t2s_new(kz_t2s **out, const kz_t2s_table *table)
{
    *out = NULL;
    kz_t2s *c = calloc(1, sizeof *c);
    if (c == NULL) return KZ_ENOMEM_FAIL();
    c->table = table;
    c->cc = open_opencc();
    if (c->cc == (opencc_t)-1 || c->cc == NULL) {
        free(c);
        return kz_fail(KZ_ENOTFOUND, "cannot open OpenCC's configuration %s (%s)", KZ_T2S_CONFIG,
                       opencc_error());
    }
    *out = c;
    return KZ_OK;
}

void kz_t2s_free(kz_t2s *c)
{
    if (c == NULL) return;
    opencc_close(c->cc);
    kz_buf_free(&c->utf8);
    free(c);
}

static void convert_by_char(const kz_t2s_table *t, uint32_t *cps, size_t n)
{
    for (size_t i = 0; i < n; i++) cps[i] = kz_t2s_char(t, cps[i]);
}

int kz_t2s_convert(kz_t2s *c, uint32_t *cps, size_t n)
{
    size_t first = 0;
    while (first < n && !in_table(c->table, cps[first])) first++;
    if (first == n) return KZ_OK; /* already Simplified */

    kz_buf_clear(&c->utf8);
    KZ_TRY(kz_buf_reserve(&c->utf8, n * 4));
    for (size_t i = 0; i < n; i++) {
        uint32_t cp = cps[i] <= 0x10FFFF ? cps[i] : 0xFFFD;
        c->utf8.len +=
            (size_t)utf8proc_encode_char((utf8proc_int32_t)cp, c->utf8.data + c->utf8.len);
    }
    /* OpenCC allocates its result; this happens only for runs with Traditional characters. */
    char *conv = opencc_convert_utf8(c->cc, (const char *)c->utf8.data, c->utf8.len);
    if (conv == NULL) { /* OpenCC failed on this run: the table still gives a conversion */
        convert_by_char(c->table, cps, n);
        return KZ_OK;
    }
    const uint8_t *p = (const uint8_t *)conv, *end = p + strlen(conv);
    size_t count = 0;
    for (const uint8_t *q = p; q < end; q++) count += (*q & 0xC0) != 0x80;
    if (count == n) {
        for (size_t i = 0; i < n && p < end; i++) {
            size_t k = decode(p, (size_t)(end - p), &cps[i]);
            if (k == 0) break;
            p += k;
        }
    } else {
        convert_by_char(c->table, cps, n);
    }
    opencc_convert_utf8_free(conv);
    return KZ_OK;
}
