/* store.h - the stored passages of a segment: one opaque record per passage (its text and
 * metadata, laid out by the indexer), compressed with zstd in blocks of about KZ_STORE_BLOCK
 * bytes, with random access to any record.
 *
 * Records are numbered 0, 1, 2, ... in the order they are added (the segment's passage ids). A
 * block index maps each block to its first record id and byte offset, so fetching a record
 * decompresses one block. Why blocks: one passage is too small for zstd to compress well, a
 * whole file too large to decompress for one snippet. Why 4 KiB: showing a hit decompresses a
 * block, and on the benchmark collection 16 KiB blocks made that 70% of a search with snippets;
 * 4 KiB blocks cost 13% more bytes of stored text and make such searches 1.6x faster. Readers
 * accept blocks of any size. The byte layout is in docs/format/store.md.
 *
 * The reader treats the bytes as untrusted and is safe to use from many threads at once (it
 * keeps no mutable state). */
#ifndef KZ_STORE_H
#define KZ_STORE_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

#define KZ_STORE_BLOCK (4 * 1024)

typedef struct kz_store_writer kz_store_writer;

int kz_store_writer_new(kz_store_writer **out);
int kz_store_writer_add(kz_store_writer *w, const void *record, size_t len);
/* Appends the finished store to out. The writer can then only be freed. */
int kz_store_writer_finish(kz_store_writer *w, kz_buf *out);
void kz_store_writer_free(kz_store_writer *w);

typedef struct kz_store {
    const uint8_t *data;
    size_t len;
    uint64_t nrecords;
    /* private */
    uint64_t nblocks, index_off;
} kz_store;

/* Borrows the bytes. KZ_OK or KZ_ECORRUPT. */
int kz_store_open(kz_store *s, const uint8_t *data, size_t len);

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
