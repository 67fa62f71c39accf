/* segment_file.c - assembling a segment file (see segment_file.h).
 *
 * The file is written from the sections where they lie, header, padding and table around them,
 * then fsynced once: assembling it in memory first cost a copy of the whole segment into fresh
 * pages (0.1-0.15 s of a 5 s build of the benchmark collection). Sections start on 8-byte
 * boundaries (zero padding). */
#include "segment_file.h"

#include "error.h"
#include "fileio.h"
#include "manifest.h"
#include "segment.h"

#include <stdlib.h>
#include <xxhash.h>

void kz_segment_parts_free(kz_segment_parts *parts)
{
    for (int i = 0; i < KZ_SEC_COUNT; i++) {
        kz_buf_free(&parts->sec[i]);
        kz_buf_free(&parts->more[i]);
    }
}

int kz_segment_meta(kz_buf *meta, uint32_t npassages, uint32_t ndocs, uint64_t total_len,
                    uint64_t nterms, uint32_t pair_threshold)
{
    kz_buf_clear(meta);
    KZ_TRY(kz_buf_append_u32le(meta, npassages));
    KZ_TRY(kz_buf_append_u32le(meta, ndocs));
    KZ_TRY(kz_buf_append_u64le(meta, total_len));
    KZ_TRY(kz_buf_append_u64le(meta, nterms));
    KZ_TRY(kz_buf_append_u32le(meta, KZ_LENGTHS_WIDTH));
    return kz_buf_append_u32le(meta, pair_threshold);
}

/* XXH3 of section k's bytes: sec[k]'s, then more[k]'s. */
static int section_hash(const kz_segment_parts *parts, int k, uint64_t *hash)
{
    const kz_buf *a = &parts->sec[k], *b = &parts->more[k];
    if (b->len == 0) {
        *hash = XXH3_64bits(a->data, a->len);
        return KZ_OK;
    }
    XXH3_state_t *st = XXH3_createState();
    int ok = st != NULL && XXH3_64bits_reset(st) != XXH_ERROR &&
             XXH3_64bits_update(st, a->data, a->len) != XXH_ERROR &&
             XXH3_64bits_update(st, b->data, b->len) != XXH_ERROR;
    if (ok) *hash = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return ok ? KZ_OK : KZ_ENOMEM_FAIL();
}

int kz_segment_file_write(const char *dir, uint64_t id, const kz_segment_parts *parts,
                          uint64_t *bytes)
{
    static const uint8_t zeros[8];
    kz_buf head = KZ_BUF_INIT, tail = KZ_BUF_INIT;
    kz_file_piece pieces[3 * KZ_SEC_COUNT + 2];
    size_t np = 0;
    uint64_t offsets[KZ_SEC_COUNT] = {0};
    int rc = KZ_OK;
    char name[KZ_FILE_NAME_MAX];
    char *path = NULL;
    KZ_CHECK(kz_buf_append(&head, KZ_SEG_MAGIC, 8));
    KZ_CHECK(kz_buf_append_u32le(&head, KZ_FORMAT_VERSION));
    KZ_CHECK(kz_buf_append_u32le(&head, KZ_SEC_COUNT - 1));
    KZ_CHECK(kz_buf_append_u64le(&head, id));
    KZ_CHECK(kz_buf_append_u64le(&head, 0));
    pieces[np++] = (kz_file_piece){head.data, head.len};
    uint64_t at = head.len;
    for (int k = 1; k <= KZ_SEC_COUNT; k++) { /* each section, then the table, 8-byte aligned */
        const size_t pad = (size_t)((8 - at % 8) % 8);
        pieces[np++] = (kz_file_piece){zeros, pad};
        at += pad;
        if (k == KZ_SEC_COUNT) break;
        offsets[k] = at;
        pieces[np++] = (kz_file_piece){parts->sec[k].data, parts->sec[k].len};
        pieces[np++] = (kz_file_piece){parts->more[k].data, parts->more[k].len};
        at += parts->sec[k].len + parts->more[k].len;
    }
    const uint64_t table = at;
    for (int k = 1; k < KZ_SEC_COUNT; k++) {
        uint64_t hash = 0;
        KZ_CHECK(section_hash(parts, k, &hash));
        KZ_CHECK(kz_buf_append_u32le(&tail, (uint32_t)k));
        KZ_CHECK(kz_buf_append_u32le(&tail, 0));
        KZ_CHECK(kz_buf_append_u64le(&tail, offsets[k]));
        KZ_CHECK(kz_buf_append_u64le(&tail, parts->sec[k].len + parts->more[k].len));
        KZ_CHECK(kz_buf_append_u64le(&tail, hash));
    }
    uint64_t check = kz_segment_table_checksum(head.data, tail.data, tail.len);
    KZ_CHECK(kz_buf_append_u64le(&tail, table));
    KZ_CHECK(kz_buf_append_u32le(&tail, KZ_SEC_COUNT - 1));
    KZ_CHECK(kz_buf_append_u32le(&tail, 0));
    KZ_CHECK(kz_buf_append_u64le(&tail, check));
    KZ_CHECK(kz_buf_append(&tail, KZ_SEG_FOOTER_MAGIC, 8));
    pieces[np++] = (kz_file_piece){tail.data, tail.len};
    at += tail.len;
    kz_segment_file_name(name, id);
    path = kz_path_join(dir, name);
    if (path == NULL) {
        rc = KZ_ENOMEM;
        goto done;
    }
    KZ_CHECK(kz_file_write_new_pieces(path, pieces, np));
    if (bytes) *bytes = at;
done:
    free(path);
    kz_buf_free(&head);
    kz_buf_free(&tail);
    return rc;
}
