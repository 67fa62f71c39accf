/* deletes.c - deletion files (see deletes.h).
 *
 * File layout (little-endian): magic "KZDELET1", u64 segment id, u32 passages, u32 deleted,
 * u64 deleted length, u64 term count, the bitset (ceil(passages/64) u64 words), then per term
 * varint length, bytes, varint df, varint cf; then u64 XXH3-64 of everything before it. */
#include "deletes.h"

#include "error.h"
#include "file.h"
#include "segment_format.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static size_t words_for(uint32_t npassages)
{
    return ((size_t)npassages + 63) / 64;
}

int kz_deletes_init(kz_deletes *d, uint32_t npassages, const kz_deletes *base)
{
    memset(d, 0, sizeof *d);
    d->npassages = npassages;
    d->bits = calloc(words_for(npassages) + 1, sizeof *d->bits);
    d->term_off = calloc(1, sizeof *d->term_off);
    if (d->bits == NULL || d->term_off == NULL) {
        kz_deletes_free(d);
        return KZ_ENOMEM_FAIL();
    }
    if (base == NULL) return KZ_OK;
    memcpy(d->bits, base->bits, words_for(npassages) * sizeof *d->bits);
    d->ndeleted = base->ndeleted;
    d->deleted_len = base->deleted_len;
    for (size_t i = 0; i < base->nterms; i++) {
        int rc = kz_deletes_add_term(d, base->term_bytes + base->term_off[i],
                                     base->term_off[i + 1] - base->term_off[i], base->df[i],
                                     base->cf[i]);
        if (rc < 0) {
            kz_deletes_free(d);
            return rc;
        }
    }
    return KZ_OK;
}

void kz_deletes_free(kz_deletes *d)
{
    if (d == NULL) return;
    free(d->bits);
    free(d->term_bytes);
    free(d->term_off);
    free(d->df);
    free(d->cf);
    memset(d, 0, sizeof *d);
}

int kz_deletes_mark(kz_deletes *d, uint32_t passage, uint32_t len)
{
    if (passage >= d->npassages) return kz_fail(KZ_EINVAL, "passage %u out of range", passage);
    if (kz_deletes_has(d, passage)) return 0;
    d->bits[passage >> 6] |= (uint64_t)1 << (passage & 63);
    d->ndeleted++;
    d->deleted_len += len;
    return 1;
}

int kz_deletes_add_term(kz_deletes *d, const char *term, size_t len, uint32_t df, uint64_t cf)
{
    if (d->nterms == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 64;
        size_t *off = realloc(d->term_off, (cap + 1) * sizeof *off);
        if (off == NULL) return KZ_ENOMEM_FAIL();
        d->term_off = off;
        uint32_t *df2 = realloc(d->df, cap * sizeof *df2);
        if (df2 == NULL) return KZ_ENOMEM_FAIL();
        d->df = df2;
        uint64_t *cf2 = realloc(d->cf, cap * sizeof *cf2);
        if (cf2 == NULL) return KZ_ENOMEM_FAIL();
        d->cf = cf2;
        d->cap = cap;
    }
    size_t used = d->term_off[d->nterms];
    if (used + len > d->bytes_cap) {
        size_t cap = d->bytes_cap ? d->bytes_cap : 1024;
        while (cap < used + len) cap *= 2;
        char *b = realloc(d->term_bytes, cap);
        if (b == NULL) return KZ_ENOMEM_FAIL();
        d->term_bytes = b;
        d->bytes_cap = cap;
    }
    if (len) memcpy(d->term_bytes + used, term, len);
    d->df[d->nterms] = df;
    d->cf[d->nterms] = cf;
    d->term_off[++d->nterms] = used + len;
    return KZ_OK;
}

static _Thread_local const kz_deletes *sorting; /* qsort has no context argument in C11 */

static int cmp_term(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    const kz_deletes *d = sorting;
    size_t li = d->term_off[i + 1] - d->term_off[i], lj = d->term_off[j + 1] - d->term_off[j];
    int c =
        memcmp(d->term_bytes + d->term_off[i], d->term_bytes + d->term_off[j], li < lj ? li : lj);
    if (c != 0) return c;
    return li < lj ? -1 : li > lj;
}

int kz_deletes_finish(kz_deletes *d)
{
    if (d->nterms == 0) return KZ_OK;
    size_t n = d->nterms;
    size_t *order = malloc(n * sizeof *order);
    if (order == NULL) return KZ_ENOMEM_FAIL();
    for (size_t i = 0; i < n; i++) order[i] = i;
    sorting = d;
    qsort(order, n, sizeof *order, cmp_term);
    sorting = NULL;
    kz_deletes out;
    int rc = kz_deletes_init(&out, 0, NULL);
    if (rc < 0) {
        free(order);
        return rc;
    }
    for (size_t k = 0; k < n && rc == KZ_OK; k++) {
        size_t i = order[k];
        const char *t = d->term_bytes + d->term_off[i];
        size_t len = d->term_off[i + 1] - d->term_off[i];
        if (out.nterms > 0) {
            size_t last = out.nterms - 1;
            size_t llen = out.term_off[last + 1] - out.term_off[last];
            if (llen == len && memcmp(out.term_bytes + out.term_off[last], t, len) == 0) {
                out.df[last] += d->df[i];
                out.cf[last] += d->cf[i];
                continue;
            }
        }
        rc = kz_deletes_add_term(&out, t, len, d->df[i], d->cf[i]);
    }
    free(order);
    if (rc < 0) {
        kz_deletes_free(&out);
        return rc;
    }
    free(d->term_bytes);
    free(d->term_off);
    free(d->df);
    free(d->cf);
    d->term_bytes = out.term_bytes;
    d->term_off = out.term_off;
    d->df = out.df;
    d->cf = out.cf;
    d->nterms = out.nterms;
    d->cap = out.cap;
    d->bytes_cap = out.bytes_cap;
    free(out.bits);
    return KZ_OK;
}

void kz_deletes_term(const kz_deletes *d, const char *term, size_t len, uint32_t *df, uint64_t *cf)
{
    *df = 0;
    *cf = 0;
    if (d == NULL) return;
    size_t lo = 0, hi = d->nterms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t ml = d->term_off[mid + 1] - d->term_off[mid];
        int c = memcmp(d->term_bytes + d->term_off[mid], term, ml < len ? ml : len);
        if (c == 0) c = ml < len ? -1 : ml > len;
        if (c == 0) {
            *df = d->df[mid];
            *cf = d->cf[mid];
            return;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
}

int kz_deletes_encode(const kz_deletes *d, uint64_t segment_id, kz_buf *out)
{
    size_t start = out->len;
    KZ_TRY(kz_buf_append(out, KZ_DEL_MAGIC, 8));
    KZ_TRY(kz_buf_append_u64le(out, segment_id));
    KZ_TRY(kz_buf_append_u32le(out, d->npassages));
    KZ_TRY(kz_buf_append_u32le(out, d->ndeleted));
    KZ_TRY(kz_buf_append_u64le(out, d->deleted_len));
    KZ_TRY(kz_buf_append_u64le(out, d->nterms));
    for (size_t w = 0; w < words_for(d->npassages); w++)
        KZ_TRY(kz_buf_append_u64le(out, d->bits[w]));
    for (size_t i = 0; i < d->nterms; i++) {
        size_t len = d->term_off[i + 1] - d->term_off[i];
        KZ_TRY(kz_buf_append_varint(out, len));
        KZ_TRY(kz_buf_append(out, d->term_bytes + d->term_off[i], len));
        KZ_TRY(kz_buf_append_varint(out, d->df[i]));
        KZ_TRY(kz_buf_append_varint(out, d->cf[i]));
    }
    return kz_buf_append_u64le(out, XXH3_64bits(out->data + start, out->len - start));
}

static int decode(kz_deletes *d, const uint8_t *p, size_t len, uint64_t segment_id,
                  uint32_t npassages)
{
    if (len < 48 || memcmp(p, KZ_DEL_MAGIC, 8) != 0)
        return kz_fail(KZ_ECORRUPT, "not a deletion file");
    if (XXH3_64bits(p, len - 8) != kz_load_u64le(p + len - 8))
        return kz_fail(KZ_ECORRUPT, "deletion file checksum mismatch");
    if (kz_load_u64le(p + 8) != segment_id || kz_load_u32le(p + 16) != npassages)
        return kz_fail(KZ_ECORRUPT, "deletion file belongs to another segment");
    uint32_t ndeleted = kz_load_u32le(p + 20);
    uint64_t deleted_len = kz_load_u64le(p + 24);
    uint64_t nterms = kz_load_u64le(p + 32);
    const uint8_t *q = p + 40, *end = p + len - 8;
    size_t words = words_for(npassages);
    if ((size_t)(end - q) / 8 < words) return kz_fail(KZ_ECORRUPT, "deletion bitset truncated");
    KZ_TRY(kz_deletes_init(d, npassages, NULL));
    uint32_t counted = 0;
    for (size_t w = 0; w < words; w++) {
        d->bits[w] = kz_load_u64le(q + 8 * w);
        counted += (uint32_t)__builtin_popcountll(d->bits[w]);
    }
    if (npassages % 64 && words && (d->bits[words - 1] >> (npassages % 64)))
        return kz_fail(KZ_ECORRUPT, "deletion bitset marks passages past the segment's end");
    if (counted != ndeleted) return kz_fail(KZ_ECORRUPT, "deletion count mismatch");
    d->ndeleted = ndeleted;
    d->deleted_len = deleted_len;
    q += 8 * words;
    for (uint64_t i = 0; i < nterms; i++) {
        uint64_t tl, df, cf;
        KZ_TRY(kz_read_varint(&q, end, &tl));
        if (tl > (uint64_t)(end - q)) return kz_fail(KZ_ECORRUPT, "deletion term truncated");
        const char *t = (const char *)q;
        q += tl;
        KZ_TRY(kz_read_varint(&q, end, &df));
        KZ_TRY(kz_read_varint(&q, end, &cf));
        if (df > ndeleted || df == 0) return kz_fail(KZ_ECORRUPT, "deletion term count");
        KZ_TRY(kz_deletes_add_term(d, t, (size_t)tl, (uint32_t)df, cf));
        if (i > 0) {
            size_t a = d->term_off[i - 1], b = d->term_off[i], c = d->term_off[i + 1];
            size_t la = b - a, lb = c - b;
            int cmp = memcmp(d->term_bytes + a, d->term_bytes + b, la < lb ? la : lb);
            if (cmp > 0 || (cmp == 0 && la >= lb))
                return kz_fail(KZ_ECORRUPT, "deletion terms out of order");
        }
    }
    if (q != end) return kz_fail(KZ_ECORRUPT, "deletion file has trailing bytes");
    return KZ_OK;
}

int kz_deletes_read(kz_deletes *d, const char *path, uint64_t segment_id, uint32_t npassages)
{
    memset(d, 0, sizeof *d);
    uint8_t *data;
    size_t len;
    /* A deletion file is at most the bitset plus the statistics of every term: a few bytes a
       passage, well below 1 GiB for any segment. */
    KZ_TRY(kz_file_read_all(path, (size_t)1 << 30, "deletion file", &data, &len));
    int rc = decode(d, data, len, segment_id, npassages);
    if (rc < 0) {
        kz_deletes_free(d);
        kz_fail_context(rc, "%s", path);
    }
    free(data);
    return rc;
}
