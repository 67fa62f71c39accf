/* doc_table.h - writing a segment's document table: the DOCS (compressed document records),
 * DOC_STARTS, SOURCES and FIELDS (the filterable fields, common/fields.h) sections. Shared by the
 * segment builder and merges.
 *
 * Documents are added in passage order; each names its source file with its size, mtime and
 * content hash. A source is stored once for a run of consecutive documents from the same file
 * (a JSON Lines file's records), so a collection of many small documents does not repeat its
 * file's path in every record. */
#ifndef KZ_DOC_TABLE_H
#define KZ_DOC_TABLE_H

#include "fields.h"
#include "segment.h"
#include "segment_file.h"
#include "store.h"

typedef struct kz_doc_table {
    kz_store_writer *records;
    kz_fields_writer *fields;
    kz_buf starts;         /* u32 first passage per document */
    kz_buf source_offsets; /* u64 per source */
    kz_buf source_records;
    kz_buf last_source; /* path of the last source added */
    uint32_t nsources;
    uint32_t ndocs;
    uint32_t next_passage; /* first passage of the next document */
    kz_buf scratch;
} kz_doc_table;

int kz_doc_table_init(kz_doc_table *t);
void kz_doc_table_free(kz_doc_table *t);

/* Adds a document whose passages are [doc->first_passage, + npassages); first_passage must be
 * where the previous document ended (KZ_EINVAL otherwise). */
int kz_doc_table_add(kz_doc_table *t, const kz_doc_entry *doc);

/* Writes the four sections into parts; the table can then only be freed. */
int kz_doc_table_finish(kz_doc_table *t, kz_segment_parts *parts);

#endif
