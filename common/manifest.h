/* manifest.h - the manifest: the small file naming an index's live segments and their deletion
 * files, the commit generation and the Chinese dictionary the index was built with.
 *
 * The manifest is the index's single point of truth: a commit writes new segment and deletion
 * files under fresh names, then replaces MANIFEST atomically (write MANIFEST.tmp, fsync, rename,
 * fsync the directory). Files it does not name are leftovers of a dead or older writer: readers
 * ignore them and the next writer removes them. The file ends with an XXH3-64 checksum of all
 * that precedes it, so a torn or damaged manifest is detected, never half-read. */
#ifndef KZ_MANIFEST_H
#define KZ_MANIFEST_H

#include "buf.h"

#include <stdint.h>

typedef struct kz_manifest_segment {
    uint64_t id;          /* file seg-<id>.kzs */
    uint32_t npassages;   /* passages in the segment, deleted ones included */
    uint32_t ndeleted;    /* passages marked deleted */
    uint64_t deletes_gen; /* file del-<id>-<gen>.kzd, or 0 when nothing is deleted */
} kz_manifest_segment;

typedef struct kz_manifest {
    uint64_t generation;   /* incremented by every commit */
    uint64_t next_id;      /* the next segment id or deletion generation to hand out */
    uint64_t zh_dict_hash; /* kz_zhdict_hash of the index's zh.dict */
    uint32_t nsegments;
    kz_manifest_segment *segments; /* owned, in creation order (oldest first) */
} kz_manifest;

/* Reads dir/MANIFEST. KZ_OK, KZ_ENOTFOUND (no index there), KZ_EIO, KZ_ECORRUPT. */
int kz_manifest_read(kz_manifest *m, const char *dir);
int kz_manifest_decode(kz_manifest *m, const uint8_t *data, size_t len);
int kz_manifest_encode(const kz_manifest *m, kz_buf *out);
/* Appends a segment entry. */
int kz_manifest_add(kz_manifest *m, const kz_manifest_segment *s);
/* Deep copy. */
int kz_manifest_copy(kz_manifest *dst, const kz_manifest *src);
void kz_manifest_free(kz_manifest *m);

/* File names inside an index directory. */
#define KZ_FILE_NAME_MAX 64
void kz_segment_file_name(char out[KZ_FILE_NAME_MAX], uint64_t id);
void kz_deletes_file_name(char out[KZ_FILE_NAME_MAX], uint64_t id, uint64_t gen);

/* Joins dir and name into a malloc'd path; NULL when out of memory (message set). */
char *kz_path_join(const char *dir, const char *name);

#endif
