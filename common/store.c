/* store.c - writer and mmap reader of the stored records (layout: docs/format/store.md).
 *
 * Invariants of a finished store: records are grouped, in id order, into blocks of consecutive
 * records; each block holds at least one record and is one zstd frame (with its content size
 * and its content checksum, without a dictionary id) whose content is the varint lengths of its
 * records followed by their bytes. A block is closed once its content reaches the writer's
 * block size, and a record that would push a non-empty block past that size starts a new block,
 * so a record larger than a block is alone in its own. When the store has a dictionary, every
 * frame is compressed with it; otherwise with none. The block index holds nblocks + 1 entries
 * (first record id, byte offset); the last one is a sentinel (nrecords, start of the index), so
 * block b holds the ids [first[b], first[b+1]) and spans the bytes [off[b], off[b+1]).
 *
 * The writer keeps the content of every block (staged, see KZ_ST_CHUNK) until
 * kz_store_writer_finish, which trains the dictionary on blocks sampled evenly across the whole
 * store (a collection is often in order of source, so the first blocks would describe only the
 * first source) and then compresses every block with it.
 *
 * The reader shares nothing mutable between calls, so kz_store_get may run in many threads at
 * once: the dictionary is loaded once at open into a ZSTD_DDict, which zstd documents as
 * read-only and shareable between threads. Its only hidden state is one zstd decompression
 * context per thread, kept under a pthread key and freed when the thread exits: creating a
 * context for each call measured 8 us of CPU, more than decompressing a block. */
#include "store.h"

#include "error.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define ZDICT_STATIC_LINKING_ONLY /* ZDICT_trainFromBuffer_fastCover */
#include <zdict.h>
#include <zstd.h>

#define KZ_ST_MAGIC   0x54535a4bu /* "KZST" read as a little-endian u32 */
#define KZ_ST_VERSION 2u
#define KZ_ST_HEADER  40u
#define KZ_ST_ENTRY   12u /* block index entry: u32 first record id, u64 byte offset */
/* No zstd frame expands more than this: a 3-byte block header plus one byte can describe an RLE
 * block of 128 KiB. A frame claiming a larger content size is damaged, and refusing it keeps a
 * damaged store from making us allocate unbounded memory. */
#define KZ_ST_MAX_RATIO 32768u
#define KZ_ST_RLE_BLOCK (128u * 1024)
/* The dictionary: the writer's dict_max, or a sixteenth of the content for small stores; none
 * below KZ_ST_DICT_MIN_CONTENT, where a dictionary would cost more bytes than it saves. Trained
 * on 20 times its size of sampled blocks: zstd's documentation advises about 100 times, but on
 * the benchmark collection 20 times trained the passages' dictionary in 0.5 s instead of 2.9 s
 * for a store 1.3% larger. */
#define KZ_ST_DICT_MIN_CONTENT (64u * 1024)
#define KZ_ST_SAMPLES_PER_DICT 20u
/* ... and on at most this fraction of the content: training costs about as much per sampled byte
 * as indexing the text did, so a segment of a few MB (a commit of a folder, a merge of small
 * segments) sampling all of it took three times as long to write as without a dictionary. */
#define KZ_ST_SAMPLE_SHARE 4u
/* Training: fastCover with fixed parameters (segments of 200 bytes, dmers of 8) rather than
 * ZDICT_trainFromBuffer, which tries four segment sizes and compresses a quarter of the samples
 * with each to choose. Measured on the benchmark collection: the fixed one gives a smaller index
 * (122.8 MB against 126.2: passages 55.0 MB against 58.3, document records 7.4 MB against 7.6)
 * for less CPU (indexing 7.37 s against 7.50-8.32; an 8 MB collection 0.56 s against 0.62-0.68);
 * segments of 1,000 and 2,000 bytes gave stores 0.6% and 1% larger. */
#define KZ_ST_TRAIN_K 200u

/* While records are added, closed blocks wait in chunks of about KZ_ST_CHUNK bytes of content
 * compressed at zstd level 1, which keeps a segment's records in about a third of their size
 * until the dictionary can be trained on all of them. Chunks of 1 MiB rather than 64 KiB: each
 * frame starts with clean match tables, and on the benchmark collection's passages (zstd level 1,
 * best of 7) 1 MiB frames compressed in 2.8 ms per MB against 3.6, decompressed in 0.63 against
 * 0.77, and kept 0.380 of the bytes against 0.401. */
#define KZ_ST_CHUNK       (1024u * 1024)
#define KZ_ST_STAGE_LEVEL 1
/* The final compression uses a second thread from this much content and two chunks on. */
#define KZ_ST_THREAD_BYTES (1024u * 1024)

struct kz_store_writer {
    kz_buf lens;   /* varint lengths of the records of the open block */
    kz_buf raw;    /* their bytes */
    kz_buf chunk;  /* the content of the closed blocks of the open chunk */
    kz_buf stage;  /* closed chunks, level-1 zstd frames back to back */
    kz_buf chunks; /* per closed chunk: u64 end of its frame in stage, u64 content bytes */
    kz_buf blocks; /* per closed block: u32 first record id, u32 content bytes */
    ZSTD_CCtx *cctx;
    kz_store_params p;
    uint64_t nrecords, block_first, content_bytes;
    int finished;
};

int kz_store_writer_new(kz_store_writer **out)
{
    return kz_store_writer_new_with(out, &KZ_STORE_PASSAGES);
}

int kz_store_writer_new_with(kz_store_writer **out, const kz_store_params *p)
{
    if (p->block_bytes == 0 || p->level < 1 || p->level > ZSTD_maxCLevel())
        return kz_fail(KZ_EINVAL, "stored records: block size %zu or zstd level %d out of range",
                       p->block_bytes, p->level);
    kz_store_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return KZ_ENOMEM_FAIL();
    w->cctx = ZSTD_createCCtx();
    if (w->cctx == NULL) {
        free(w);
        return KZ_ENOMEM_FAIL();
    }
    w->p = *p;
    *out = w;
    return KZ_OK;
}

static void *finish_job(void *arg)
{
    kz_store_finish_job *j = arg;
    j->rc = kz_store_writer_finish_split(j->w, j->out, j->rest);
    if (j->rc < 0) snprintf(j->msg, sizeof j->msg, "%s", kz_errmsg());
    return NULL;
}

void kz_store_finish_start(kz_store_finish_job *job, kz_store_writer *w, kz_buf *out, kz_buf *rest)
{
    job->w = w;
    job->out = out;
    job->rest = rest;
    job->rc = KZ_OK;
    job->msg[0] = '\0';
    job->started = pthread_create(&job->helper, NULL, finish_job, job) == 0;
    if (!job->started) finish_job(job);
}

void kz_store_finish_discard(kz_store_finish_job *job)
{
    if (job->started) pthread_join(job->helper, NULL);
    job->started = 0;
}

int kz_store_finish_wait(kz_store_finish_job *job)
{
    kz_store_finish_discard(job);
    return job->rc < 0 ? kz_fail(job->rc, "%s", job->msg) : KZ_OK;
}

void kz_store_writer_free(kz_store_writer *w)
{
    if (w == NULL) return;
    kz_buf_free(&w->lens);
    kz_buf_free(&w->raw);
    kz_buf_free(&w->chunk);
    kz_buf_free(&w->stage);
    kz_buf_free(&w->chunks);
    kz_buf_free(&w->blocks);
    ZSTD_freeCCtx(w->cctx);
    free(w);
}

size_t kz_store_writer_memory(const kz_store_writer *w)
{
    if (w == NULL) return 0;
    return w->lens.cap + w->raw.cap + w->chunk.cap + w->stage.cap + w->chunks.cap + w->blocks.cap;
}

static int compress_frame(ZSTD_CCtx *cctx, kz_buf *out, const uint8_t *src, size_t len)
{
    size_t bound = ZSTD_compressBound(len);
    KZ_TRY(kz_buf_reserve(out, bound));
    size_t n = ZSTD_compress2(cctx, out->data + out->len, bound, src, len);
    if (ZSTD_isError(n))
        return kz_fail(KZ_ERROR, "stored records: zstd compression failed: %s",
                       ZSTD_getErrorName(n));
    out->len += n;
    return KZ_OK;
}

static int close_chunk(kz_store_writer *w)
{
    if (w->chunk.len == 0) return KZ_OK;
    ZSTD_CCtx_reset(w->cctx, ZSTD_reset_session_and_parameters);
    if (ZSTD_isError(ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, KZ_ST_STAGE_LEVEL)))
        return kz_fail(KZ_ERROR, "stored records: zstd refused the compression level");
    KZ_TRY(compress_frame(w->cctx, &w->stage, w->chunk.data, w->chunk.len));
    KZ_TRY(kz_buf_append_u64le(&w->chunks, w->stage.len));
    KZ_TRY(kz_buf_append_u64le(&w->chunks, w->chunk.len));
    kz_buf_clear(&w->chunk);
    return KZ_OK;
}

static int close_block(kz_store_writer *w)
{
    if (w->nrecords == w->block_first) return KZ_OK;
    KZ_TRY(kz_buf_append(&w->chunk, w->lens.data, w->lens.len));
    KZ_TRY(kz_buf_append(&w->chunk, w->raw.data, w->raw.len));
    KZ_TRY(kz_buf_append_u32le(&w->blocks, (uint32_t)w->block_first));
    KZ_TRY(kz_buf_append_u32le(&w->blocks, (uint32_t)(w->lens.len + w->raw.len)));
    w->content_bytes += w->lens.len + w->raw.len;
    w->block_first = w->nrecords;
    kz_buf_clear(&w->lens);
    kz_buf_clear(&w->raw);
    if (w->chunk.len >= KZ_ST_CHUNK) KZ_TRY(close_chunk(w));
    return KZ_OK;
}

int kz_store_writer_add(kz_store_writer *w, const void *record, size_t len)
{
    if (w->finished) return kz_fail(KZ_EINVAL, "stored records writer already finished");
    if (w->nrecords >= UINT32_MAX - 1)
        return kz_fail(KZ_EINVAL, "a store holds at most %u records; index in smaller segments",
                       UINT32_MAX - 1);
    if (len > UINT32_MAX / 2)
        return kz_fail(KZ_EINVAL, "a stored record of %zu bytes is too large (at most 2 GiB)", len);
    if (w->lens.len + w->raw.len > 0 && w->lens.len + w->raw.len + len > w->p.block_bytes)
        KZ_TRY(close_block(w));
    KZ_TRY(kz_buf_append_varint(&w->lens, len));
    KZ_TRY(kz_buf_append(&w->raw, record, len));
    w->nrecords++;
    if (w->lens.len + w->raw.len >= w->p.block_bytes) KZ_TRY(close_block(w));
    return KZ_OK;
}

/* A run of closed chunks: [c0, c1), which hold the blocks [block0, block1) and whose first frame
 * starts at start0 in stage. */
typedef struct chunk_range {
    size_t c0, c1, block0, block1;
    uint64_t start0;
} chunk_range;

static chunk_range all_chunks(const kz_store_writer *w)
{
    return (chunk_range){0, w->chunks.len / 16, 0, w->blocks.len / 8, 0};
}

/* Splits the closed chunks in two runs of about the same size: [0, half) and [half, n). */
static void halves(const kz_store_writer *w, chunk_range *a, chunk_range *b)
{
    size_t n = w->chunks.len / 16, half = n / 2, block = 0;
    uint64_t bytes = 0, content = 0;
    for (size_t c = 0; c < half; c++) content += kz_load_u64le(w->chunks.data + 16 * c + 8);
    while (bytes < content && block < w->blocks.len / 8)
        bytes += kz_load_u32le(w->blocks.data + 8 * block++ + 4);
    *a = (chunk_range){0, half, 0, block, 0};
    *b = (chunk_range){half, n, block, w->blocks.len / 8,
                       half ? kz_load_u64le(w->chunks.data + 16 * (half - 1)) : 0};
}

/* Walks the chunks of r in order: decompresses each and calls fn with its content and the blocks
 * it holds, [block, block + k), which lie back to back in the content. */
typedef int (*chunk_fn)(void *ctx, const kz_store_writer *w, const uint8_t *content, size_t block,
                        size_t k);

static int walk_chunks(const kz_store_writer *w, chunk_range r, chunk_fn fn, void *ctx)
{
    kz_buf content = KZ_BUF_INIT;
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    size_t nblocks = w->blocks.len / 8, block = r.block0;
    uint64_t start = r.start0;
    int rc = dctx ? KZ_OK : KZ_ENOMEM_FAIL();
    for (size_t c = r.c0; c < r.c1 && rc == KZ_OK; c++) {
        uint64_t end = kz_load_u64le(w->chunks.data + 16 * c);
        size_t raw = (size_t)kz_load_u64le(w->chunks.data + 16 * c + 8);
        kz_buf_clear(&content);
        KZ_CHECK(kz_buf_reserve(&content, raw));
        size_t n = ZSTD_decompressDCtx(dctx, content.data, raw, w->stage.data + start,
                                       (size_t)(end - start));
        if (ZSTD_isError(n) || n != raw) {
            rc = kz_fail(KZ_ERROR, "stored records: a staged chunk does not decompress: %s",
                         ZSTD_isError(n) ? ZSTD_getErrorName(n) : "wrong size");
            goto done;
        }
        size_t k = 0, bytes = 0;
        while (block + k < nblocks && bytes < raw)
            bytes += kz_load_u32le(w->blocks.data + 8 * (block + k++) + 4);
        KZ_CHECK(fn(ctx, w, content.data, block, k));
        block += k;
        start = end;
    }
done:
    ZSTD_freeDCtx(dctx);
    kz_buf_free(&content);
    return rc;
}

typedef struct sample_ctx {
    size_t step; /* take one block in step */
    kz_buf samples;
    size_t *sizes;
    unsigned nsamples;
} sample_ctx;

static int take_samples(void *ctx, const kz_store_writer *w, const uint8_t *content, size_t block,
                        size_t k)
{
    sample_ctx *sc = ctx;
    for (size_t i = 0; i < k; i++) {
        size_t len = kz_load_u32le(w->blocks.data + 8 * (block + i) + 4);
        if ((block + i) % sc->step == 0) {
            KZ_TRY(kz_buf_append(&sc->samples, content, len));
            sc->sizes[sc->nsamples++] = len;
        }
        content += len;
    }
    return KZ_OK;
}

/* Trains a dictionary on blocks sampled evenly over the content; leaves dict empty when the
 * content is too small or zstd cannot train on it (then the store has no dictionary). */
static int train(const kz_store_writer *w, kz_buf *dict)
{
    uint64_t total = w->content_bytes;
    size_t nblocks = w->blocks.len / 8;
    if (total < KZ_ST_DICT_MIN_CONTENT || w->p.dict_max == 0) return KZ_OK;
    size_t dict_cap = total / 16 < w->p.dict_max ? (size_t)total / 16 : w->p.dict_max;
    uint64_t want = (uint64_t)dict_cap * KZ_ST_SAMPLES_PER_DICT;
    if (want > total / KZ_ST_SAMPLE_SHARE) want = total / KZ_ST_SAMPLE_SHARE;
    sample_ctx sc = {total > want ? (size_t)(total / want) : 1, KZ_BUF_INIT, NULL, 0};
    sc.sizes = malloc((nblocks / sc.step + 1) * sizeof *sc.sizes);
    int rc = sc.sizes ? KZ_OK : KZ_ENOMEM_FAIL();
    if (rc == KZ_OK) rc = walk_chunks(w, all_chunks(w), take_samples, &sc);
    if (rc == KZ_OK) rc = kz_buf_reserve(dict, dict_cap);
    if (rc == KZ_OK) {
        ZDICT_fastCover_params_t fp;
        memset(&fp, 0, sizeof fp);
        fp.k = KZ_ST_TRAIN_K;
        fp.d = 8;
        fp.f = 20;
        fp.accel = 1;
        fp.zParams.compressionLevel = w->p.level;
        size_t n = ZDICT_trainFromBuffer_fastCover(dict->data, dict_cap, sc.samples.data, sc.sizes,
                                                   sc.nsamples, fp);
        dict->len = ZDICT_isError(n) ? 0 : n; /* too few or too uniform samples: no dictionary */
    }
    free(sc.sizes);
    kz_buf_free(&sc.samples);
    return rc;
}

/* One thread's share of the final compression: the blocks of its chunks become frames appended
 * to *out, with index entries (u32 first record, u64 offset from base in *out) in index. */
typedef struct compress_job {
    const kz_store_writer *w;
    const ZSTD_CDict *cdict; /* NULL: no dictionary */
    chunk_range range;
    ZSTD_CCtx *cctx;
    kz_buf *out;
    size_t base;
    kz_buf index;
    int rc;
    char msg[256]; /* the error message, which is thread-local, for the caller's thread */
} compress_job;

static int compress_blocks(void *ctx, const kz_store_writer *w, const uint8_t *content,
                           size_t block, size_t k)
{
    compress_job *j = ctx;
    for (size_t i = 0; i < k; i++) {
        const uint8_t *e = w->blocks.data + 8 * (block + i);
        size_t len = kz_load_u32le(e + 4);
        KZ_TRY(kz_buf_append_u32le(&j->index, kz_load_u32le(e)));
        KZ_TRY(kz_buf_append_u64le(&j->index, j->out->len - j->base));
        KZ_TRY(compress_frame(j->cctx, j->out, content, len));
        content += len;
    }
    return KZ_OK;
}

static void *run_job(void *arg)
{
    compress_job *j = arg;
    int rc = KZ_OK;
    j->cctx = ZSTD_createCCtx();
    if (j->cctx == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    if (ZSTD_isError(ZSTD_CCtx_setParameter(j->cctx, ZSTD_c_checksumFlag, 1)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(j->cctx, ZSTD_c_dictIDFlag, 0)) ||
        ZSTD_isError(ZSTD_CCtx_setParameter(j->cctx, ZSTD_c_compressionLevel, j->w->p.level)) ||
        (j->cdict && ZSTD_isError(ZSTD_CCtx_refCDict(j->cctx, j->cdict)))) {
        rc = kz_fail(KZ_ERROR, "stored records: zstd refused the compression parameters");
        goto done;
    }
    /* Room for the worst case up front, so that out never moves: growing it by doubling copied
     * it over and over, into fresh pages (1% of a build's profile). Only the pages written are
     * ever touched, and compressed text fills about half of this. */
    size_t bound = 0;
    for (size_t b = j->range.block0; b < j->range.block1; b++)
        bound += ZSTD_compressBound(kz_load_u32le(j->w->blocks.data + 8 * b + 4));
    rc = kz_buf_reserve(j->out, bound);
    if (rc == KZ_OK) rc = kz_buf_reserve(&j->index, 12 * (j->range.block1 - j->range.block0));
    if (rc == KZ_OK) rc = walk_chunks(j->w, j->range, compress_blocks, j);
done:
    ZSTD_freeCCtx(j->cctx);
    j->cctx = NULL;
    j->rc = rc;
    if (rc < 0) snprintf(j->msg, sizeof j->msg, "%s", kz_errmsg());
    return NULL;
}

/* Appends the index entries of job j, whose offsets count from `at` in the store, to index. */
static int append_entries(const compress_job *j, uint64_t at, kz_buf *index)
{
    for (size_t e = 0; e < j->index.len; e += 12) {
        KZ_TRY(kz_buf_append_u32le(index, kz_load_u32le(j->index.data + e)));
        KZ_TRY(kz_buf_append_u64le(index, at + kz_load_u64le(j->index.data + e + 4)));
    }
    return KZ_OK;
}

int kz_store_writer_finish(kz_store_writer *w, kz_buf *out)
{
    kz_buf rest = KZ_BUF_INIT;
    int rc = kz_store_writer_finish_split(w, out, &rest);
    if (rc == KZ_OK) rc = kz_buf_append(out, rest.data, rest.len);
    kz_buf_free(&rest);
    return rc;
}

int kz_store_writer_finish_split(kz_store_writer *w, kz_buf *out, kz_buf *rest)
{
    kz_buf_free(rest);
    if (w->finished) return kz_fail(KZ_EINVAL, "stored records writer already finished");
    w->finished = 1;
    KZ_TRY(close_block(w));
    KZ_TRY(close_chunk(w));
    size_t nblocks = w->blocks.len / 8;
    kz_buf dict = KZ_BUF_INIT, index = KZ_BUF_INIT;
    ZSTD_CDict *cdict = NULL;
    compress_job jobs[2] = {{0}};
    size_t base = out->len;
    int rc = KZ_OK, started = 0;
    KZ_CHECK(train(w, &dict));
    if (dict.len > 0) {
        cdict = ZSTD_createCDict(dict.data, dict.len, w->p.level);
        if (cdict == NULL) {
            rc = KZ_ENOMEM_FAIL();
            goto done;
        }
    }
    KZ_CHECK(kz_buf_append_u32le(out, KZ_ST_MAGIC));
    KZ_CHECK(kz_buf_append_u32le(out, KZ_ST_VERSION));
    KZ_CHECK(kz_buf_append_u64le(out, w->nrecords));
    KZ_CHECK(kz_buf_append_u64le(out, nblocks));
    KZ_CHECK(kz_buf_append_u64le(out, 0)); /* index_off, set below */
    KZ_CHECK(kz_buf_append_u64le(out, dict.len));
    KZ_CHECK(kz_buf_append(out, dict.data, dict.len));
    /* Two threads compress a half each, the first into out and the second into rest: this runs
     * at commit, when the indexing threads are idle, and it is the largest part of writing a
     * segment (a CDict is read-only and shareable). Small stores are not worth a thread. */
    jobs[0] = (compress_job){.w = w, .cdict = cdict, .out = out, .base = base};
    jobs[1] = (compress_job){.w = w, .cdict = cdict, .out = rest, .base = 0};
    halves(w, &jobs[0].range, &jobs[1].range);
    pthread_t helper;
    started = w->chunks.len / 16 >= 2 && w->content_bytes >= KZ_ST_THREAD_BYTES &&
              pthread_create(&helper, NULL, run_job, &jobs[1]) == 0;
    run_job(&jobs[0]);
    if (started)
        pthread_join(helper, NULL);
    else
        run_job(&jobs[1]);
    for (int i = 0; i < 2; i++)
        if (jobs[i].rc < 0) {
            rc = kz_fail(jobs[i].rc, "%s", jobs[i].msg);
            goto done;
        }
    KZ_CHECK(append_entries(&jobs[0], 0, &index));
    KZ_CHECK(append_entries(&jobs[1], out->len - base, &index));
    uint64_t index_off = out->len - base + rest->len;
    kz_store_u64le(out->data + base + 24, index_off);
    KZ_CHECK(kz_buf_append(rest, index.data, index.len));
    KZ_CHECK(kz_buf_append_u32le(rest, (uint32_t)w->nrecords));
    KZ_CHECK(kz_buf_append_u64le(rest, index_off));
done:
    for (int i = 0; i < 2; i++) kz_buf_free(&jobs[i].index);
    ZSTD_freeCDict(cdict);
    kz_buf_free(&dict);
    kz_buf_free(&index);
    /* The staged records are no longer needed: give their memory back. */
    kz_buf_free(&w->stage);
    kz_buf_free(&w->chunks);
    kz_buf_free(&w->blocks);
    return rc;
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
    return kz_fail(KZ_ECORRUPT, "stored records: %s; the segment is damaged, rebuild the index",
                   what);
}

int kz_store_open(kz_store *s, const uint8_t *data, size_t len)
{
    memset(s, 0, sizeof *s);
    if (len < KZ_ST_HEADER + KZ_ST_ENTRY) return corrupt("shorter than its header");
    if (kz_load_u32le(data) != KZ_ST_MAGIC) return corrupt("bad magic number");
    if (kz_load_u32le(data + 4) != KZ_ST_VERSION)
        return kz_fail(KZ_ECORRUPT,
                       "stored records format version %u is not supported (want %u): remove the "
                       "index directory and index again",
                       kz_load_u32le(data + 4), KZ_ST_VERSION);
    uint64_t nrecords = kz_load_u64le(data + 8);
    uint64_t nblocks = kz_load_u64le(data + 16);
    uint64_t index_off = kz_load_u64le(data + 24);
    uint64_t dict_len = kz_load_u64le(data + 32);
    if (index_off < KZ_ST_HEADER || index_off > len) return corrupt("block index out of bounds");
    if (dict_len > index_off - KZ_ST_HEADER) return corrupt("dictionary out of bounds");
    if ((len - index_off) % KZ_ST_ENTRY != 0 || (len - index_off) / KZ_ST_ENTRY != nblocks + 1)
        return corrupt("block index size disagrees with the block count");
    if (nrecords >= UINT32_MAX || nblocks > nrecords || (nrecords > 0 && nblocks == 0))
        return corrupt("block and record counts disagree");
    uint64_t blocks_off = KZ_ST_HEADER + dict_len;
    const uint8_t *first = data + index_off, *last = first + KZ_ST_ENTRY * nblocks;
    if (kz_load_u32le(first) != 0 || kz_load_u64le(first + 4) != blocks_off ||
        kz_load_u32le(last) != nrecords || kz_load_u64le(last + 4) != index_off)
        return corrupt("block index does not cover the records");
    if (dict_len > 0) {
        /* Always a zstd dictionary with its entropy tables (the writer's ZDICT output): raw
         * content is refused rather than guessed. */
        if (dict_len < 8 || kz_load_u32le(data + KZ_ST_HEADER) != ZSTD_MAGIC_DICTIONARY)
            return corrupt("dictionary has no zstd dictionary header");
        s->ddict = ZSTD_createDDict(data + KZ_ST_HEADER, (size_t)dict_len);
        if (s->ddict == NULL)
            return kz_fail(KZ_ECORRUPT,
                           "stored records: the dictionary does not load (damaged, or out of "
                           "memory); if memory is plentiful, rebuild the index");
    }
    s->data = data;
    s->len = len;
    s->nrecords = nrecords;
    s->nblocks = nblocks;
    s->index_off = index_off;
    s->blocks_off = blocks_off;
    return KZ_OK;
}

void kz_store_close(kz_store *s)
{
    if (s == NULL) return;
    ZSTD_freeDDict(s->ddict);
    memset(s, 0, sizeof *s);
}

/* Reads and checks the index entries of block b (b < nblocks). */
static int block_entry(const kz_store *s, uint64_t b, uint64_t *first, uint64_t *count,
                       const uint8_t **src, size_t *src_len)
{
    const uint8_t *e = s->data + s->index_off + KZ_ST_ENTRY * b;
    uint64_t f0 = kz_load_u32le(e), o0 = kz_load_u64le(e + 4);
    uint64_t f1 = kz_load_u32le(e + KZ_ST_ENTRY), o1 = kz_load_u64le(e + KZ_ST_ENTRY + 4);
    if (f0 >= f1 || f1 > s->nrecords) return corrupt("block index out of order");
    if (o0 < s->blocks_off || o0 >= o1 || o1 > s->index_off)
        return corrupt("block offsets out of bounds");
    *first = f0;
    *count = f1 - f0;
    *src = s->data + o0;
    *src_len = (size_t)(o1 - o0);
    return KZ_OK;
}

/* Decompresses a block of count records into out (replacing its contents) and checks that the
 * record lengths fill the content exactly. *records receives the first record's bytes. */
static int decode_block(const kz_store *s, const uint8_t *src, size_t src_len, uint64_t count,
                        kz_buf *out, const uint8_t **records)
{
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
    /* A NULL ddict decompresses without a dictionary. */
    size_t n = ZSTD_decompress_usingDDict(dctx, out->data, (size_t)raw_len, src, src_len, s->ddict);
    if (dctx != cached) ZSTD_freeDCtx(dctx);
    if (ZSTD_isError(n) || n != raw_len) return corrupt("block does not decompress");
    out->len = n;
    const uint8_t *p = out->data, *end = out->data + n;
    size_t total = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t l;
        KZ_TRY(kz_read_varint(&p, end, &l));
        if (l > n - total) return corrupt("record lengths exceed their block");
        total += (size_t)l;
    }
    if (total != (size_t)(end - p)) return corrupt("record lengths disagree with their block");
    *records = p;
    return KZ_OK;
}

/* The block that holds record id (< nrecords). */
static uint64_t find_block(const kz_store *s, uint64_t id)
{
    const uint8_t *ix = s->data + s->index_off;
    uint64_t lo = 0, hi = s->nblocks; /* block lo starts at or before id; blocks >= hi after */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (kz_load_u32le(ix + KZ_ST_ENTRY * mid) <= id)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int missing(const kz_store *s, uint64_t id)
{
    return kz_fail(KZ_ENOTFOUND, "stored record %llu does not exist (there are %llu)",
                   (unsigned long long)id, (unsigned long long)s->nrecords);
}

int kz_store_get(const kz_store *s, uint64_t id, kz_buf *out)
{
    if (id >= s->nrecords) return missing(s, id);
    uint64_t lo = find_block(s, id);
    uint64_t first = 0, count = 0;
    const uint8_t *src = NULL, *records = NULL;
    size_t src_len = 0;
    KZ_TRY(block_entry(s, lo, &first, &count, &src, &src_len));
    if (id < first || id - first >= count) return corrupt("block index out of order");
    KZ_TRY(decode_block(s, src, src_len, count, out, &records));
    /* The lengths were checked by decode_block: sum those before the record. */
    const uint8_t *p = out->data;
    size_t before = 0;
    uint64_t len = 0;
    for (uint64_t i = first; i <= id; i++) {
        KZ_TRY(kz_read_varint(&p, records, &len));
        if (i < id) before += (size_t)len;
    }
    memmove(out->data, records + before, (size_t)len);
    out->len = (size_t)len;
    return KZ_OK;
}

void kz_store_reader_init(kz_store_reader *r, const kz_store *s)
{
    memset(r, 0, sizeof *r);
    r->s = s;
}

void kz_store_reader_free(kz_store_reader *r)
{
    kz_buf_free(&r->block);
    free(r->offsets);
    memset(r, 0, sizeof *r);
}

int kz_store_reader_get(kz_store_reader *r, uint64_t id, const uint8_t **rec, size_t *len)
{
    const kz_store *s = r->s;
    if (id >= s->nrecords) return missing(s, id);
    if (r->count == 0 || id < r->first || id - r->first >= r->count) {
        uint64_t first = 0, count = 0;
        const uint8_t *src = NULL, *records = NULL;
        size_t src_len = 0;
        r->count = 0;
        KZ_TRY(block_entry(s, find_block(s, id), &first, &count, &src, &src_len));
        if (id < first || id - first >= count) return corrupt("block index out of order");
        KZ_TRY(decode_block(s, src, src_len, count, &r->block, &records));
        if (count + 1 > r->offsets_cap) {
            size_t *grown = realloc(r->offsets, (size_t)(count + 1) * sizeof *grown);
            if (grown == NULL) return KZ_ENOMEM_FAIL();
            r->offsets = grown;
            r->offsets_cap = (size_t)count + 1;
        }
        /* decode_block checked that the lengths add up to the block. */
        const uint8_t *p = r->block.data;
        size_t at = (size_t)(records - r->block.data);
        for (uint64_t i = 0; i < count; i++) {
            uint64_t l;
            KZ_TRY(kz_read_varint(&p, records, &l));
            r->offsets[i] = at;
            at += (size_t)l;
        }
        r->offsets[count] = at;
        r->first = first;
        r->count = count;
    }
    uint64_t i = id - r->first;
    *rec = r->block.data + r->offsets[i];
    *len = r->offsets[i + 1] - r->offsets[i];
    return KZ_OK;
}

int kz_store_verify(const kz_store *s)
{
    kz_buf content = KZ_BUF_INIT;
    int rc = KZ_OK;
    for (uint64_t b = 0; b < s->nblocks; b++) {
        uint64_t first = 0, count = 0;
        const uint8_t *src = NULL, *records = NULL;
        size_t src_len = 0;
        KZ_CHECK(block_entry(s, b, &first, &count, &src, &src_len));
        KZ_CHECK(decode_block(s, src, src_len, count, &content, &records));
    }
done:
    kz_buf_free(&content);
    return rc;
}
