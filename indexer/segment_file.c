/* segment_file.c - assembling a segment file (see segment_file.h).
 *
 * The file is built in memory and written with one write and one fsync: a segment is bounded by
 * the writer's memory budget (or, for merges, by the merged segments' size), and a single write
 * keeps the failure modes simple. Sections start on 8-byte boundaries (zero padding). */
#include "segment_file.h"

#include "error.h"
#include "fileio.h"
#include "manifest.h"
#include "segment.h"

#include <stdlib.h>
#include <xxhash.h>

void kz_segment_parts_free(kz_segment_parts *parts)
{
    for (int i = 0; i < KZ_SEC_COUNT; i++) kz_buf_free(&parts->sec[i]);
}

int kz_segment_meta(kz_buf *meta, uint32_t npassages, uint32_t ndocs, uint64_t total_len,
                    uint64_t nterms, uint32_t len_width, uint32_t pair_threshold)
{
    kz_buf_clear(meta);
    KZ_TRY(kz_buf_append_u32le(meta, npassages));
    KZ_TRY(kz_buf_append_u32le(meta, ndocs));
    KZ_TRY(kz_buf_append_u64le(meta, total_len));
    KZ_TRY(kz_buf_append_u64le(meta, nterms));
    KZ_TRY(kz_buf_append_u32le(meta, len_width));
    return kz_buf_append_u32le(meta, pair_threshold);
}

int kz_segment_file_write(const char *dir, uint64_t id, const kz_segment_parts *parts,
                          uint64_t *bytes)
{
    kz_buf file = KZ_BUF_INIT;
    uint64_t offsets[KZ_SEC_COUNT] = {0};
    int rc = KZ_OK;
    char name[KZ_FILE_NAME_MAX];
    char *path = NULL;
    KZ_CHECK(kz_buf_append(&file, KZ_SEG_MAGIC, 8));
    KZ_CHECK(kz_buf_append_u32le(&file, KZ_FORMAT_VERSION));
    KZ_CHECK(kz_buf_append_u32le(&file, KZ_SEC_COUNT - 1));
    KZ_CHECK(kz_buf_append_u64le(&file, id));
    KZ_CHECK(kz_buf_append_u64le(&file, 0));
    for (int k = 1; k < KZ_SEC_COUNT; k++) {
        KZ_CHECK(kz_buf_append_zeros(&file, (8 - file.len % 8) % 8));
        offsets[k] = file.len;
        KZ_CHECK(kz_buf_append(&file, parts->sec[k].data, parts->sec[k].len));
    }
    KZ_CHECK(kz_buf_append_zeros(&file, (8 - file.len % 8) % 8));
    uint64_t table = file.len;
    for (int k = 1; k < KZ_SEC_COUNT; k++) {
        KZ_CHECK(kz_buf_append_u32le(&file, (uint32_t)k));
        KZ_CHECK(kz_buf_append_u32le(&file, 0));
        KZ_CHECK(kz_buf_append_u64le(&file, offsets[k]));
        KZ_CHECK(kz_buf_append_u64le(&file, parts->sec[k].len));
        KZ_CHECK(kz_buf_append_u64le(&file, XXH3_64bits(parts->sec[k].data, parts->sec[k].len)));
    }
    uint64_t table_bytes = file.len - table;
    uint64_t check = kz_segment_table_checksum(file.data, file.data + table, table_bytes);
    KZ_CHECK(kz_buf_append_u64le(&file, table));
    KZ_CHECK(kz_buf_append_u32le(&file, KZ_SEC_COUNT - 1));
    KZ_CHECK(kz_buf_append_u32le(&file, 0));
    KZ_CHECK(kz_buf_append_u64le(&file, check));
    KZ_CHECK(kz_buf_append(&file, KZ_SEG_FOOTER_MAGIC, 8));
    kz_segment_file_name(name, id);
    path = kz_path_join(dir, name);
    if (path == NULL) {
        rc = KZ_ENOMEM;
        goto done;
    }
    KZ_CHECK(kz_file_write_new(path, file.data, file.len));
    if (bytes) *bytes = file.len;
done:
    free(path);
    kz_buf_free(&file);
    return rc;
}
