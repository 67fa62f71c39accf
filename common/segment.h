/* segment.h - reading one immutable segment file: the mapping, its sections, passage lengths,
 * the document table, the documents' filterable fields and stored passages.
 *
 * A kz_segment maps its file read-only with mmap and decodes from the mapping; opening reads
 * only the header, the section table, the footer and the META section, and validates every
 * offset against the file size, so a damaged or truncated file gives KZ_ECORRUPT at open or at
 * the first access, never an out-of-bounds read. Section checksums are verified by
 * kz_segment_verify. A segment is immutable and safe to read from many threads at once.
 *
 * Passage lengths are read where they are mapped, one byte a passage (lengths.h: BM25 reads one
 * for every scored posting, so they must be one load from a small array). */
#ifndef KZ_SEGMENT_H
#define KZ_SEGMENT_H

#include "buf.h"
#include "fields.h"
#include "lengths.h"
#include "segment_format.h"
#include "store.h"
#include "termdict.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_section {
    uint64_t offset, length, checksum;
} kz_section;

typedef struct kz_segment {
    uint64_t id;
    char *path;
    const uint8_t *map; /* the whole file, read-only */
    size_t map_len;
    kz_section sections[KZ_SEC_COUNT];
    uint32_t npassages;
    uint32_t ndocs;
    uint64_t total_len;      /* sum of passage lengths */
    uint64_t nterms;         /* in the term dictionary, pair terms included */
    uint32_t pair_threshold; /* common/pairs.h: 0 when the segment has no pair terms */
    kz_lengths lengths;      /* passage lengths in tokens (kz_length), over the mapping */
    kz_termdict terms;
    kz_store store;
    const uint8_t *postings, *positions; /* section starts */
    uint64_t postings_len, positions_len;
    kz_store docs;             /* document records */
    const uint8_t *doc_starts; /* ndocs + 1 u32: first passage of each document, then P */
    const uint8_t *sources;    /* the SOURCES section */
    uint64_t sources_len;
    uint32_t nsources;
    kz_fields fields; /* the documents' date, language and name, over the mapping */
} kz_segment;

/* A document's entry in the document table. Strings borrow the reader (or the mapping) they
 * were read through and are NOT NUL-terminated (use the lengths). */
typedef struct kz_doc_entry {
    uint32_t first_passage, npassages;
    uint64_t size;         /* source file size (the text's for texts added directly) */
    int64_t mtime_ns;      /* source file modification time */
    uint64_t content_hash; /* XXH3-64 of the source bytes */
    const char *name;      /* document name: file path, or a JSON Lines document's id */
    const char *source;    /* the file it came from (equal to name for text files) */
    const char *title, *date, *lang, *meta;
    size_t name_len, source_len, title_len, date_len, lang_len, meta_len;
} kz_doc_entry;

/* A stored passage. text borrows the caller's record buffer. */
typedef struct kz_passage_record {
    uint32_t doc; /* document ordinal in the segment */
    uint32_t line;
    uint64_t start, end; /* byte range in the source */
    const char *text;
    size_t text_len;
} kz_passage_record;

/* Opens and maps path; expect_id is the id the manifest gives it. KZ_OK, KZ_ENOTFOUND (no such
 * file), KZ_EIO, KZ_ECORRUPT. */
int kz_segment_open(kz_segment **out, const char *path, uint64_t expect_id);
void kz_segment_close(kz_segment *seg);

/* Verifies every section checksum and the structure of every component (term dictionary walk,
 * every posting list decoded, every document and stored passage read). KZ_OK or KZ_ECORRUPT
 * with a message naming the section. */
int kz_segment_verify(const kz_segment *seg);

/* Document records are compressed in blocks: read them through a kz_store_reader made by
 * kz_segment_doc_reader (one per thread; reading documents in order decompresses each block
 * once). Reads document ordinal doc; strings point into the reader until its next use.
 * KZ_OK or KZ_ECORRUPT. */
static inline void kz_segment_doc_reader(const kz_segment *seg, kz_store_reader *r)
{
    kz_store_reader_init(r, &seg->docs);
}
int kz_segment_doc(const kz_segment *seg, kz_store_reader *r, uint32_t doc, kz_doc_entry *out);

/* The passages of document doc, without reading its record. KZ_OK or KZ_ECORRUPT. */
int kz_segment_doc_range(const kz_segment *seg, uint32_t doc, uint32_t *first, uint32_t *n);

/* The document ordinal owning passage (binary search over the first passages). */
int kz_segment_passage_doc(const kz_segment *seg, uint32_t passage, uint32_t *doc);

/* Stored passages are compressed in blocks: read them through a kz_store_reader made by
 * kz_segment_passage_reader (one per thread). Reads passage `passage` and decodes it into *out;
 * text points into the reader until its next use. */
static inline void kz_segment_passage_reader(const kz_segment *seg, kz_store_reader *r)
{
    kz_store_reader_init(r, &seg->store);
}
int kz_segment_passage(const kz_segment *seg, kz_store_reader *r, uint32_t passage,
                       kz_passage_record *out);

/* The footer's checksum: XXH3-64 of the section table seeded with XXH3-64 of the header. */
uint64_t kz_segment_table_checksum(const uint8_t *header, const uint8_t *table, size_t table_bytes);

/* Document records and source records, the inverse pairs of the writer's encoders
 * (indexer/doc_table.c). A document record is: varint source index, then name, title, date,
 * lang, metadata, each as varint length + bytes. A source record: path (varint length + bytes),
 * varint size, varint zigzag mtime, u64 content hash. */
int kz_doc_record_encode(kz_buf *out, uint32_t source, const kz_doc_entry *doc);
int kz_source_record_encode(kz_buf *out, const kz_doc_entry *doc);

/* Appends an encoded passage record header + text (inverse of the decoding in
 * kz_segment_passage). */
int kz_passage_record_encode(kz_buf *out, const kz_passage_record *rec);

#endif
