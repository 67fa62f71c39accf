/* store.c - writer and mmap reader of the stored passages (layout: docs/format/store.md).
 *
 * Invariants of a finished store: records are grouped, in id order, into blocks of consecutive
 * records; each block holds at least one record and is one zstd frame (with its content size)
 * whose content is the varint lengths of its records followed by their bytes. A block is closed
 * once its content reaches KZ_STORE_BLOCK bytes, and a record that would push a non-empty block
 * past that size starts a new block, so a record larger than a block is alone in its own. The
 * block index holds nblocks + 1 entries (first record id, byte offset); the last one is a
 * sentinel (nrecords, start of the index), so block b holds the ids [first[b], first[b+1]) and
 * spans the bytes [off[b], off[b+1]).
 *
 * The reader keeps no mutable state, so kz_store_get may run in many threads at once: each call
 * creates its own zstd decompression context. That costs a few microseconds (measured: see
 * docs/format/store.md), small beside decompressing a 16 KiB block, and unlike a context cached
 * per thread it neither leaks at thread exit nor needs library-wide thread-key state. The block
 * is decompressed straight into the caller's buffer and the record moved to its front, so a
 * fetch allocates nothing when the buffer is already large enough. */
#include "store.h"

#include "error.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define KZ_ST_MAGIC   0x54535a4bu /* "KZST" read as a little-endian u32 */
#define KZ_ST_VERSION 1u
#define KZ_ST_HEADER  32u
#define KZ_ST_ENTRY   16u /* block index entry: u64 first record id, u64 byte offset */
/* Level 3 is zstd's default: on our text it compresses a 16 KiB block in a few tens of
 * microseconds to about a third of its size; higher levels gain little at this block size. */
#define KZ_ST_LEVEL 3
/* No zstd frame expands more than this: a 3-byte block header plus one byte can describe an RLE
 * block of 128 KiB. A frame claiming a larger content size is damaged, and refusing it keeps a
 * damaged store from making us allocate unbounded memory. */
#define KZ_ST_MAX_RATIO 32768u
#define KZ_ST_RLE_BLOCK (128u * 1024)

struct kz_store_writer {
    kz_buf lens;    /* varint lengths of the records of the open block */
    kz_buf raw;     /* their bytes */
    kz_buf content; /* scratch: lens + raw, the input of the compressor */
    kz_buf blocks;  /* finished compressed blocks */
    kz_buf index;   /* u64le first record id and offset (from the start of blocks) per block */
    uint64_t nrecords, block_first;
    ZSTD_CCtx *cctx;
    int finished;
};

int kz_store_writer_new(kz_store_writer **out)
{
    kz_store_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return KZ_ENOMEM_FAIL();
    w->cctx = ZSTD_createCCtx();
    if (w->cctx == NULL ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, KZ_ST_LEVEL)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1))) {
        ZSTD_freeCCtx(w->cctx);
        free(w);
        return KZ_ENOMEM_FAIL();
    }
    *out = w;
    return KZ_OK;
}

void kz_store_writer_free(kz_store_writer *w)
{
    if (w == NULL) return;
    kz_buf_free(&w->lens);
    kz_buf_free(&w->raw);
    kz_buf_free(&w->content);
    kz_buf_free(&w->blocks);
    kz_buf_free(&w->index);
    ZSTD_freeCCtx(w->cctx);
    free(w);
}

static int flush_block(kz_store_writer *w)
{
    if (w->nrecords == w->block_first) return KZ_OK;
    kz_buf_clear(&w->content);
    KZ_TRY(kz_buf_append(&w->content, w->lens.data, w->lens.len));
    KZ_TRY(kz_buf_append(&w->content, w->raw.data, w->raw.len));
    size_t bound = ZSTD_compressBound(w->content.len);
    KZ_TRY(kz_buf_append_u64le(&w->index, w->block_first));
    KZ_TRY(kz_buf_append_u64le(&w->index, w->blocks.len));
    KZ_TRY(kz_buf_reserve(&w->blocks, bound));
    size_t n = ZSTD_compress2(w->cctx, w->blocks.data + w->blocks.len, bound, w->content.data,
                              w->content.len);
    if (ZSTD_isError(n))
        return kz_fail(KZ_ERROR, "stored passages: zstd compression failed: %s",
                       ZSTD_getErrorName(n));
    w->blocks.len += n;
    w->block_first = w->nrecords;
    kz_buf_clear(&w->lens);
    kz_buf_clear(&w->raw);
    return KZ_OK;
}

int kz_store_writer_add(kz_store_writer *w, const void *record, size_t len)
{
    if (w->finished) return kz_fail(KZ_EINVAL, "stored passages writer already finished");
    if (w->lens.len + w->raw.len > 0 && w->lens.len + w->raw.len + len > KZ_STORE_BLOCK)
        KZ_TRY(flush_block(w));
    KZ_TRY(kz_buf_append_varint(&w->lens, len));
    KZ_TRY(kz_buf_append(&w->raw, record, len));
    w->nrecords++;
    if (w->lens.len + w->raw.len >= KZ_STORE_BLOCK) KZ_TRY(flush_block(w));
    return KZ_OK;
}

int kz_store_writer_finish(kz_store_writer *w, kz_buf *out)
{
    if (w->finished) return kz_fail(KZ_EINVAL, "stored passages writer already finished");
    w->finished = 1;
    KZ_TRY(flush_block(w));
    uint64_t nblocks = w->index.len / KZ_ST_ENTRY;
    uint64_t index_off = KZ_ST_HEADER + w->blocks.len;
    KZ_TRY(kz_buf_reserve(out, KZ_ST_HEADER + w->blocks.len + w->index.len + KZ_ST_ENTRY));
    KZ_TRY(kz_buf_append_u32le(out, KZ_ST_MAGIC));
    KZ_TRY(kz_buf_append_u32le(out, KZ_ST_VERSION));
    KZ_TRY(kz_buf_append_u64le(out, w->nrecords));
    KZ_TRY(kz_buf_append_u64le(out, nblocks));
    KZ_TRY(kz_buf_append_u64le(out, index_off));
    KZ_TRY(kz_buf_append(out, w->blocks.data, w->blocks.len));
    for (uint64_t b = 0; b < nblocks; b++) {
        const uint8_t *e = w->index.data + KZ_ST_ENTRY * b;
        KZ_TRY(kz_buf_append_u64le(out, kz_load_u64le(e)));
        KZ_TRY(kz_buf_append_u64le(out, KZ_ST_HEADER + kz_load_u64le(e + 8)));
    }
    KZ_TRY(kz_buf_append_u64le(out, w->nrecords));
    KZ_TRY(kz_buf_append_u64le(out, index_off));
    return KZ_OK;
}

/* One decompression context per thread, created on the thread's first fetch and freed by the
 * key's destructor when the thread exits. NULL when no key could be made (the caller then uses a
 * context of its own). */
static pthread_once_t dctx_once = PTHREAD_ONCE_INIT;
static pthread_key_t dctx_key;
static int dctx_key_made;

static void free_dctx(void *dctx)
{
    ZSTD_freeDCtx(dctx);
}

static void make_dctx_key(void)
{
    dctx_key_made = pthread_key_create(&dctx_key, free_dctx) == 0;
}

static ZSTD_DCtx *thread_dctx(void)
{
    if (pthread_once(&dctx_once, make_dctx_key) != 0 || !dctx_key_made) return NULL;
    ZSTD_DCtx *dctx = pthread_getspecific(dctx_key);
    if (dctx != NULL) return dctx;
    dctx = ZSTD_createDCtx();
    if (dctx != NULL && pthread_setspecific(dctx_key, dctx) != 0) {
        ZSTD_freeDCtx(dctx);
        dctx = NULL;
    }
    return dctx;
}

static int corrupt(const char *what)
{
    return kz_fail(KZ_ECORRUPT, "stored passages: %s; the segment is damaged, rebuild the index",
                   what);
}

int kz_store_open(kz_store *s, const uint8_t *data, size_t len)
{
    memset(s, 0, sizeof *s);
    if (len < KZ_ST_HEADER + KZ_ST_ENTRY) return corrupt("shorter than its header");
    if (kz_load_u32le(data) != KZ_ST_MAGIC) return corrupt("bad magic number");
    if (kz_load_u32le(data + 4) != KZ_ST_VERSION)
        return kz_fail(KZ_ECORRUPT, "stored passages format version %u is not supported (want %u)",
                       kz_load_u32le(data + 4), KZ_ST_VERSION);
    uint64_t nrecords = kz_load_u64le(data + 8);
    uint64_t nblocks = kz_load_u64le(data + 16);
    uint64_t index_off = kz_load_u64le(data + 24);
    if (index_off < KZ_ST_HEADER || index_off > len) return corrupt("block index out of bounds");
    if ((len - index_off) % KZ_ST_ENTRY != 0 || (len - index_off) / KZ_ST_ENTRY != nblocks + 1)
        return corrupt("block index size disagrees with the block count");
    if (nblocks > nrecords || (nrecords > 0 && nblocks == 0))
        return corrupt("block and record counts disagree");
    const uint8_t *first = data + index_off, *last = first + KZ_ST_ENTRY * nblocks;
    if (kz_load_u64le(first) != 0 || kz_load_u64le(first + 8) != KZ_ST_HEADER ||
        kz_load_u64le(last) != nrecords || kz_load_u64le(last + 8) != index_off)
        return corrupt("block index does not cover the records");
    s->data = data;
    s->len = len;
    s->nrecords = nrecords;
    s->nblocks = nblocks;
    s->index_off = index_off;
    return KZ_OK;
}

/* Finds the block holding record id and checks its index entries. */
static int find_block(const kz_store *s, uint64_t id, uint64_t *first, uint64_t *count,
                      const uint8_t **src, size_t *src_len)
{
    const uint8_t *ix = s->data + s->index_off;
    uint64_t lo = 0, hi = s->nblocks; /* block lo starts at or before id; blocks >= hi after */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (kz_load_u64le(ix + KZ_ST_ENTRY * mid) <= id)
            lo = mid;
        else
            hi = mid;
    }
    const uint8_t *e = ix + KZ_ST_ENTRY * lo;
    uint64_t f0 = kz_load_u64le(e), o0 = kz_load_u64le(e + 8);
    uint64_t f1 = kz_load_u64le(e + KZ_ST_ENTRY), o1 = kz_load_u64le(e + KZ_ST_ENTRY + 8);
    if (f0 > id || id >= f1) return corrupt("block index out of order");
    if (o0 < KZ_ST_HEADER || o0 >= o1 || o1 > s->index_off)
        return corrupt("block offsets out of bounds");
    *first = f0;
    *count = f1 - f0;
    *src = s->data + o0;
    *src_len = (size_t)(o1 - o0);
    return KZ_OK;
}

int kz_store_get(const kz_store *s, uint64_t id, kz_buf *out)
{
    if (id >= s->nrecords)
        return kz_fail(KZ_ENOTFOUND, "stored passage %llu does not exist (the segment has %llu)",
                       (unsigned long long)id, (unsigned long long)s->nrecords);
    uint64_t first = 0, count = 0;
    const uint8_t *src = NULL;
    size_t src_len = 0;
    KZ_TRY(find_block(s, id, &first, &count, &src, &src_len));
    unsigned long long raw_len = ZSTD_getFrameContentSize(src, src_len);
    if (raw_len == ZSTD_CONTENTSIZE_ERROR || raw_len == ZSTD_CONTENTSIZE_UNKNOWN)
        return corrupt("block is not a zstd frame with a content size");
    if (raw_len > KZ_ST_RLE_BLOCK && (raw_len - KZ_ST_RLE_BLOCK) / KZ_ST_MAX_RATIO > src_len)
        return corrupt("block claims an impossible decompressed size");
    if (raw_len > SIZE_MAX / 2) return KZ_ENOMEM_FAIL();
    kz_buf_clear(out);
    KZ_TRY(kz_buf_reserve(out, (size_t)raw_len));
    ZSTD_DCtx *cached = thread_dctx();
    ZSTD_DCtx *dctx = cached ? cached : ZSTD_createDCtx();
    if (dctx == NULL) return KZ_ENOMEM_FAIL();
    size_t n = ZSTD_decompressDCtx(dctx, out->data, (size_t)raw_len, src, src_len);
    if (dctx != cached) ZSTD_freeDCtx(dctx);
    if (ZSTD_isError(n) || n != raw_len) return corrupt("block does not decompress");
    /* The content: count varint lengths, then the records' bytes, which must fill the rest. */
    const uint8_t *p = out->data, *end = out->data + n;
    size_t before = 0, len = 0, total = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t l;
        KZ_TRY(kz_read_varint(&p, end, &l));
        if (l > n - total) return corrupt("record lengths exceed their block");
        if (first + i < id) before += (size_t)l;
        if (first + i == id) len = (size_t)l;
        total += (size_t)l;
    }
    if (total != (size_t)(end - p)) return corrupt("record lengths disagree with their block");
    memmove(out->data, p + before, len);
    out->len = len;
    return KZ_OK;
}
