/* buf.h - a growable byte buffer, the one way this project builds byte strings in memory.
 *
 * Invariants: len <= cap; data is NULL exactly when cap == 0; the bytes [len, cap) are
 * unspecified. A zero-initialised kz_buf (KZ_BUF_INIT) is a valid empty buffer. Growth doubles,
 * so appends are amortised O(1). The buffer owns data; kz_buf_free() releases it and resets the
 * buffer to empty. Every function that can grow the buffer returns KZ_OK or KZ_ENOMEM. */
#ifndef KZ_BUF_H
#define KZ_BUF_H

#include "kzsearch.h" /* kz_status */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct kz_buf {
    uint8_t *data; /* owned; NULL when cap == 0 */
    size_t len;    /* bytes in use */
    size_t cap;    /* bytes allocated */
} kz_buf;

#define KZ_BUF_INIT                                                                                \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Makes room for at least `extra` more bytes beyond len. */
int kz_buf_reserve(kz_buf *b, size_t extra);
int kz_buf_append(kz_buf *b, const void *p, size_t n);
int kz_buf_append_u8(kz_buf *b, uint8_t v);
int kz_buf_append_u16le(kz_buf *b, uint16_t v);
int kz_buf_append_u32le(kz_buf *b, uint32_t v);
int kz_buf_append_u64le(kz_buf *b, uint64_t v);
/* kz_buf_append_varint beyond its inline case. */
int kz_buf_append_varint_long(kz_buf *b, uint64_t v);
/* LEB128-style variable-length unsigned integer: 7 bits a byte, high bit = more follows. Inline
 * for one byte with room to spare: the indexer writes millions (token positions, gaps). */
static inline int kz_buf_append_varint(kz_buf *b, uint64_t v)
{
    if (v < 0x80 && b->len < b->cap) {
        b->data[b->len++] = (uint8_t)v;
        return KZ_OK;
    }
    return kz_buf_append_varint_long(b, v);
}
/* Appends n zero bytes. */
int kz_buf_append_zeros(kz_buf *b, size_t n);
/* Appends a NUL-terminated copy of s (the NUL is not counted in len). */
int kz_buf_append_str(kz_buf *b, const char *s);
/* Makes data a NUL-terminated C string (the NUL is not counted in len). */
int kz_buf_terminate(kz_buf *b);
void kz_buf_free(kz_buf *b);

static inline void kz_buf_clear(kz_buf *b)
{
    b->len = 0;
}

/* Little-endian stores and loads on unaligned memory (the format is little-endian throughout). */
static inline void kz_store_u16le(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void kz_store_u32le(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void kz_store_u64le(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t kz_load_u16le(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t kz_load_u32le(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4); /* the compiler turns this into one load on little-endian machines */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap32(v);
#endif
    return v;
}
static inline uint64_t kz_load_u64le(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    v = __builtin_bswap64(v);
#endif
    return v;
}

/* kz_read_varint beyond its inline case. */
int kz_read_varint_long(const uint8_t **p, const uint8_t *end, uint64_t *out);
/* Decodes a varint written by kz_buf_append_varint from [*p, end). Advances *p. Returns KZ_OK,
 * or KZ_ECORRUPT if the input ends early or the value overflows 64 bits (untrusted input).
 * Inline for one byte: the indexer's main thread reads two for every token it is handed, and
 * the call was 2% of a build's profile. */
static inline int kz_read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
    if (*p < end && **p < 0x80) {
        *out = *(*p)++;
        return KZ_OK;
    }
    return kz_read_varint_long(p, end, out);
}

#endif
