/* store.h - stored records of a segment (its passages, and its document records): opaque byte
 * strings laid out by the indexer, compressed with zstd in small blocks against a dictionary
 * trained on the store's own records, with random access to any record.
 *
 * Records are numbered 0, 1, 2, ... in the order they are added (the segment's passage or
 * document ordinals). A block index maps each block to its first record id and byte offset, so
 * fetching a record decompresses one block. Why small blocks with a dictionary: showing a hit
 * fetches one passage (140 bytes on average on the benchmark collection) and one document
 * record (38 bytes), and zstd decompresses text at about 20 instructions per byte of output, so
 * the block size is the cost of the fetch. With 4 KiB blocks and no dictionary (store format 1)
 * the two fetches cost 57,000 + 37,000 instructions a hit, 55% of a search with hits. A record
 * alone compresses badly (a passage store 40% larger), but a dictionary trained on the store's
 * own records (zstd's documented use case: many small, similar inputs) brings back most of what
 * small blocks lose: with 768-byte passage blocks the store is 54.0 MB instead of 52.7, with
 * 512-byte document blocks the document records 7.6 MB instead of 4.4; a hit's fetches cost
 * 13,100 + 5,900 instructions, and an `and2` search with hits 48% fewer (figures, and the cost
 * in indexing time: docs/format/store.md).
 * Readers accept blocks of any size.
 *
 * The reader treats the bytes as untrusted and is safe to use from many threads at once (it
 * keeps no mutable state; the dictionary is loaded once, read-only, at open). */
#ifndef KZ_STORE_H
#define KZ_STORE_H

#include "buf.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* How a writer cuts and compresses its records (measurements: docs/format/store.md). */
typedef struct kz_store_params {
    size_t block_bytes; /* uncompressed content per block the writer aims at (> 0) */
    size_t dict_max;    /* largest dictionary it trains (0: never one) */
    int level;          /* zstd level of the blocks */
} kz_store_params;

/* Passages: blocks of 768 bytes (five passages on average), a dictionary of up to 256 KiB, level
 * 2: level 6 stores 7% fewer bytes on such blocks but takes three times the compression time
 * (decompression costs the same), which made indexing the benchmark collection take 30% more
 * CPU than FTS5 (9.0 s against 6.9 s; level 3: about 2 s less). Level 2 (the same strategy as 3,
 * with hash tables a quarter the size, which stay in cache) stores 4.2% more than level 3 (57.3
 * against 55.0 MB) for 8% less indexing CPU; level 1 (another strategy) was no faster.
 * Document records: 512 bytes, 64 KiB, level 3 (level 6 would save 2.5%). */
#define KZ_STORE_BLOCK     768
#define KZ_STORE_DOC_BLOCK 512
#define KZ_STORE_PASSAGES  ((kz_store_params){KZ_STORE_BLOCK, 256 * 1024, 2})
#define KZ_STORE_DOCS      ((kz_store_params){KZ_STORE_DOC_BLOCK, 64 * 1024, 3})

typedef struct kz_store_writer kz_store_writer;

/* A writer with the passages' parameters, or with *p. */
int kz_store_writer_new(kz_store_writer **out);
int kz_store_writer_new_with(kz_store_writer **out, const kz_store_params *p);
int kz_store_writer_add(kz_store_writer *w, const void *record, size_t len);
/* Trains the dictionary, compresses every block and appends the finished store to out. The
 * writer can then only be freed. */
int kz_store_writer_finish(kz_store_writer *w, kz_buf *out);
/* The same, with the finished store in two pieces: the bytes it appends to out, followed by
 * those it leaves in rest (whatever rest held is freed). The blocks' second half is compressed
 * into rest, on a second thread for a large store; this spares copying it onto out, for a
 * caller that writes both pieces where they lie (a segment section's continuation). */
int kz_store_writer_finish_split(kz_store_writer *w, kz_buf *out, kz_buf *rest);

/* kz_store_writer_finish_split on a helper thread, so that a segment's other sections are
 * written meanwhile (or on this thread at start, when no thread can be made). Between start and
 * wait the job owns w, out and rest. Once started, a job must be waited for: wait returns the
 * finish's status (with its message); discard, for a caller already failing, waits and keeps
 * this thread's message. */
typedef struct kz_store_finish_job {
    kz_store_writer *w;
    kz_buf *out, *rest;
    int rc, started;
    char msg[512]; /* the helper's error message (kz_errmsg is per thread) */
    pthread_t helper;
} kz_store_finish_job;

void kz_store_finish_start(kz_store_finish_job *job, kz_store_writer *w, kz_buf *out, kz_buf *rest);
int kz_store_finish_wait(kz_store_finish_job *job);
void kz_store_finish_discard(kz_store_finish_job *job);
void kz_store_writer_free(kz_store_writer *w);
/* Bytes the writer holds: the records added so far (staged at zstd level 1), until it finishes. */
size_t kz_store_writer_memory(const kz_store_writer *w);

typedef struct kz_store {
    const uint8_t *data;
    size_t len;
    uint64_t nrecords;
    /* private */
    uint64_t nblocks, index_off, blocks_off;
    struct ZSTD_DDict_s *ddict; /* the loaded dictionary, NULL when the store has none */
} kz_store;

/* Borrows the bytes and loads the dictionary. KZ_OK or KZ_ECORRUPT. Close with kz_store_close. */
int kz_store_open(kz_store *s, const uint8_t *data, size_t len);
/* Frees the loaded dictionary. Accepts NULL and a store whose open failed or never ran (zeroed). */
void kz_store_close(kz_store *s);

/* Replaces out's contents with record id. KZ_OK, KZ_ENOTFOUND (id >= nrecords), KZ_ECORRUPT,
 * KZ_ENOMEM. */
int kz_store_get(const kz_store *s, uint64_t id, kz_buf *out);

/* Checks every block: index entries, decompression with the frame checksum, record lengths.
 * Reads and decompresses the whole store (for kz_index_check). KZ_OK, KZ_ECORRUPT or KZ_ENOMEM. */
int kz_store_verify(const kz_store *s);

/* Reads records keeping the last decompressed block, so that reading records in order costs
 * one decompression per block. Owned by one thread; valid while the store is. */
typedef struct kz_store_reader {
    const kz_store *s;
    kz_buf block;    /* the decompressed block */
    size_t *offsets; /* byte offset of each record of the block in `block`, plus the end */
    size_t offsets_cap;
    uint64_t first, count; /* the records the block holds (count 0: none yet) */
} kz_store_reader;

void kz_store_reader_init(kz_store_reader *r, const kz_store *s);
/* *rec points into the reader (valid until its next call). KZ_OK, KZ_ENOTFOUND, KZ_ECORRUPT,
 * KZ_ENOMEM. */
int kz_store_reader_get(kz_store_reader *r, uint64_t id, const uint8_t **rec, size_t *len);
void kz_store_reader_free(kz_store_reader *r);

#endif
