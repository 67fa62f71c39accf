/* segment_file.h - writing a segment file from its finished sections (layout in
 * common/segment_format.h and docs/FORMAT.md). */
#ifndef KZ_SEGMENT_FILE_H
#define KZ_SEGMENT_FILE_H

#include "buf.h"
#include "segment_format.h"

#include <stdint.h>

/* The finished sections of a segment, indexed by kz_section_kind (entry 0 unused). Section k's
 * bytes are sec[k]'s followed by more[k]'s: a part made in a buffer of its own (the word pairs'
 * lists, the second half of the stored passages) is written from there, not copied onto the end
 * of the rest, which on the benchmark collection was 50 MB copied into fresh pages. */
typedef struct kz_segment_parts {
    kz_buf sec[KZ_SEC_COUNT];
    kz_buf more[KZ_SEC_COUNT];
} kz_segment_parts;

void kz_segment_parts_free(kz_segment_parts *parts);

/* Writes dir/seg-<id>.kzs (header, sections, table, footer, checksums) and fsyncs it. The file
 * is invisible to readers until a manifest names it. *bytes receives its size. */
int kz_segment_file_write(const char *dir, uint64_t id, const kz_segment_parts *parts,
                          uint64_t *bytes);

/* Fills the META section from the segment's figures. */
int kz_segment_meta(kz_buf *meta, uint32_t npassages, uint32_t ndocs, uint64_t total_len,
                    uint64_t nterms, uint32_t pair_threshold);

#endif
