/* writer_internal.h - the state of an index writer, shared by writer.c (adding and removing
 * documents), commit.c (flushing, committing, cleaning up) and merge.c (merging segments).
 *
 * Invariants: segs[] lists the committed manifest's segments in its order, then the segments
 * flushed since (committed == 0); each has its current deletions (committed + pending); the
 * builder holds documents not yet flushed; registry ranges point into segs[] or at the builder.
 * The writer holds an exclusive flock on dir/LOCK for its whole life: the kernel drops it when
 * the process dies, so a killed writer never blocks the next one. */
#ifndef KZ_WRITER_INTERNAL_H
#define KZ_WRITER_INTERNAL_H

#include "deletes.h"
#include "kzsearch.h"
#include "manifest.h"
#include "registry.h"
#include "segment.h"
#include "segment_builder.h"

#include <stdint.h>

typedef struct kz_writer_segment {
    kz_segment *seg;
    kz_deletes dels;      /* current deletions; dels.bits is NULL when there are none */
    uint64_t deletes_gen; /* committed deletion file generation, 0 for none */
    int dels_dirty;       /* deletions changed since the last commit */
    int committed;        /* named by the committed manifest */
} kz_writer_segment;

struct kz_writer {
    char *dir;
    int lock_fd;
    size_t budget;
    int no_merge;
    uint32_t pair_min_df; /* kz_writer_options.pair_min_df */
    unsigned threads;     /* analysis threads for JSON Lines (1: none) */
    kz_manifest man;      /* the last committed manifest */
    kz_analyzer *analyzer;
    void *dict_map; /* zh.dict, mapped */
    size_t dict_len;
    uint64_t dict_hash;
    kz_writer_segment *segs;
    uint32_t nsegs, segs_cap;
    kz_segment_builder *builder;
    kz_registry reg;
    size_t *builder_entries; /* registry entries with ranges in the builder or pending */
    size_t nbuilder_entries, builder_entries_cap;
    /* A segment finished from the builder whose file could not be written (has_pending): the
       next flush writes it first. Its documents' ranges are KZ_IN_PENDING, and belong to the
       first npending_entries of builder_entries. */
    kz_segment_parts pending;
    int has_pending;
    size_t npending_entries;
    uint64_t next_id;
    int dirty; /* something to commit */
};

/* commit.c */
int kz_writer_flush(kz_writer *w);
int kz_writer_open_segment(kz_writer *w, uint64_t id, int committed, kz_writer_segment **out);
void kz_writer_clean_leftovers(kz_writer *w);

/* writer.c: removes the documents of files whose indexing failed part-way (registry entries
 * marked partial), so that a commit never records a file as indexed when it is not in full. */
int kz_writer_drop_partial(kz_writer *w);

/* writer.c: rebuilds the registry from the segments' document tables; called when segs[]
 * changes order (merges, dropped segments), since registry ranges are indices into it. */
int kz_writer_load_registry(kz_writer *w);

/* Marks the passages of document doc of segs[seg] deleted, with their term statistics. */
int kz_writer_delete_doc(kz_writer *w, uint32_t seg, uint32_t doc);

/* merge.c: merges segs[which[0..n)] (dropping deleted passages) into a new segment file with id
 * new_id; *npassages receives its passage count (0: nothing live, no file written). */
int kz_merge_segments(kz_writer *w, const uint32_t *which, uint32_t n, uint64_t new_id,
                      uint32_t *npassages);

#endif
