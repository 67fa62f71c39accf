/* registry.h - what the writer knows of indexed sources: for each source (a file path, or the
 * name of a document added as text), its size, modification time, content hash and where its
 * documents are.
 *
 * Built at writer open from the document tables of the live segments (skipping deleted
 * documents), then kept current as files are added, changed and removed; incremental indexing
 * compares a file's size and mtime (and, when they differ, its content hash) with its entry.
 * Invariant: an entry's ranges name live (not deleted) documents only; an entry with no ranges
 * is not indexed (it was removed, or its file had no passages). */
#ifndef KZ_REGISTRY_H
#define KZ_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#define KZ_IN_BUILDER UINT32_MAX /* range.seg of documents not yet flushed to a segment */
/* range.seg of documents whose segment was built but could not be written yet (a failed flush
 * keeps them, so that retrying the commit loses nothing) */
#define KZ_IN_PENDING (UINT32_MAX - 1)

typedef struct kz_doc_range {
    uint32_t seg;       /* index in the writer's segment list, or KZ_IN_BUILDER */
    uint32_t first_doc; /* first document ordinal in that segment */
    uint32_t ndocs;
} kz_doc_range;

typedef struct kz_file_entry {
    char *source; /* owned, NUL-terminated */
    size_t source_len;
    uint64_t hash; /* XXH3-64 of the source name (table key) */
    uint64_t size;
    int64_t mtime_ns;
    uint64_t content_hash;
    int seen;    /* set when the current walk met the file */
    int partial; /* its indexing failed part-way: the next commit removes its documents */
    kz_doc_range *ranges;
    size_t nranges, ranges_cap;
} kz_file_entry;

typedef struct kz_registry {
    kz_file_entry *entries;
    size_t nentries, cap;
    uint32_t *slots; /* entry index + 1; 0 = empty */
    size_t nslots;   /* power of two, at least twice nentries */
} kz_registry;

void kz_registry_free(kz_registry *r);
kz_file_entry *kz_registry_find(const kz_registry *r, const char *source, size_t len);
/* Finds or adds the entry for source. Pointers to entries are invalidated by the next add. */
int kz_registry_get(kz_registry *r, const char *source, size_t len, kz_file_entry **out);
/* Records that documents [first_doc, first_doc + ndocs) of seg belong to e (merging with the
 * previous range when contiguous). */
int kz_registry_add_docs(kz_file_entry *e, uint32_t seg, uint32_t first_doc, uint32_t ndocs);

#endif
