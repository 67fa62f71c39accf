/* buf.c - growable byte buffer (see buf.h for the invariants). */
#include "buf.h"

#include "error.h"

#include <stdlib.h>

int kz_buf_reserve(kz_buf *b, size_t extra)
{
    if (extra <= b->cap - b->len) return KZ_OK;
    if (extra > SIZE_MAX / 2 - b->len) return KZ_ENOMEM_FAIL();
    size_t need = b->len + extra;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap *= 2;
    uint8_t *p = realloc(b->data, cap);
    if (p == NULL) return KZ_ENOMEM_FAIL();
    b->data = p;
    b->cap = cap;
    return KZ_OK;
}

int kz_buf_append(kz_buf *b, const void *p, size_t n)
{
    if (n == 0) return KZ_OK;
    KZ_TRY(kz_buf_reserve(b, n));
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return KZ_OK;
}

int kz_buf_append_u8(kz_buf *b, uint8_t v)
{
    KZ_TRY(kz_buf_reserve(b, 1));
    b->data[b->len++] = v;
    return KZ_OK;
}

int kz_buf_append_u16le(kz_buf *b, uint16_t v)
{
    KZ_TRY(kz_buf_reserve(b, 2));
    kz_store_u16le(b->data + b->len, v);
    b->len += 2;
    return KZ_OK;
}

int kz_buf_append_u32le(kz_buf *b, uint32_t v)
{
    KZ_TRY(kz_buf_reserve(b, 4));
    kz_store_u32le(b->data + b->len, v);
    b->len += 4;
    return KZ_OK;
}

int kz_buf_append_u64le(kz_buf *b, uint64_t v)
{
    KZ_TRY(kz_buf_reserve(b, 8));
    kz_store_u64le(b->data + b->len, v);
    b->len += 8;
    return KZ_OK;
}

int kz_buf_append_varint_long(kz_buf *b, uint64_t v)
{
    KZ_TRY(kz_buf_reserve(b, 10));
    while (v >= 0x80) {
        b->data[b->len++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    b->data[b->len++] = (uint8_t)v;
    return KZ_OK;
}

int kz_buf_append_zeros(kz_buf *b, size_t n)
{
    if (n == 0) return KZ_OK;
    KZ_TRY(kz_buf_reserve(b, n));
    memset(b->data + b->len, 0, n);
    b->len += n;
    return KZ_OK;
}

int kz_buf_append_str(kz_buf *b, const char *s)
{
    KZ_TRY(kz_buf_append(b, s, strlen(s)));
    return kz_buf_terminate(b);
}

int kz_buf_terminate(kz_buf *b)
{
    KZ_TRY(kz_buf_reserve(b, 1));
    b->data[b->len] = 0;
    return KZ_OK;
}

void kz_buf_free(kz_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int kz_read_varint_long(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    const uint8_t *q = *p;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (q >= end) return kz_fail(KZ_ECORRUPT, "truncated variable-length integer");
        uint8_t byte = *q++;
        if (shift == 63 && byte > 1) break;
        v |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80)) {
            *p = q;
            *out = v;
            return KZ_OK;
        }
    }
    return kz_fail(KZ_ECORRUPT, "variable-length integer overflows 64 bits");
}
