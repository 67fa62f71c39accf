/* manifest.c - encoding, decoding and reading the manifest (see manifest.h).
 *
 * Layout (little-endian): magic "KZMANIF1", u32 format version, u32 segment count, u64
 * generation, u64 next id, u64 dictionary hash, then per segment u64 id, u32 passages, u32
 * deleted, u64 deletion generation; then u64 XXH3-64 of everything before it. */
#include "manifest.h"

#include "error.h"
#include "file.h"
#include "segment_format.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#define HEADER_BYTES 40
#define ENTRY_BYTES  24
#define MAX_SEGMENTS 100000 /* far above any merge policy's count; bounds a damaged count */

int kz_manifest_encode(const kz_manifest *m, kz_buf *out)
{
    size_t start = out->len;
    KZ_TRY(kz_buf_append(out, KZ_MANIFEST_MAGIC, 8));
    KZ_TRY(kz_buf_append_u32le(out, KZ_FORMAT_VERSION));
    KZ_TRY(kz_buf_append_u32le(out, m->nsegments));
    KZ_TRY(kz_buf_append_u64le(out, m->generation));
    KZ_TRY(kz_buf_append_u64le(out, m->next_id));
    KZ_TRY(kz_buf_append_u64le(out, m->zh_dict_hash));
    for (uint32_t i = 0; i < m->nsegments; i++) {
        const kz_manifest_segment *s = &m->segments[i];
        KZ_TRY(kz_buf_append_u64le(out, s->id));
        KZ_TRY(kz_buf_append_u32le(out, s->npassages));
        KZ_TRY(kz_buf_append_u32le(out, s->ndeleted));
        KZ_TRY(kz_buf_append_u64le(out, s->deletes_gen));
    }
    return kz_buf_append_u64le(out, XXH3_64bits(out->data + start, out->len - start));
}

int kz_manifest_decode(kz_manifest *m, const uint8_t *p, size_t len)
{
    memset(m, 0, sizeof *m);
    if (len < HEADER_BYTES + 8 || memcmp(p, KZ_MANIFEST_MAGIC, 8) != 0)
        return kz_fail(KZ_ECORRUPT, "MANIFEST is not a kzsearch manifest");
    if (XXH3_64bits(p, len - 8) != kz_load_u64le(p + len - 8))
        return kz_fail(KZ_ECORRUPT, "MANIFEST checksum mismatch");
    if (kz_load_u32le(p + 8) != KZ_FORMAT_VERSION)
        return kz_fail(KZ_ECORRUPT,
                       "MANIFEST has format version %u; this kzsearch reads version %u: remove the "
                       "index directory and index again",
                       kz_load_u32le(p + 8), KZ_FORMAT_VERSION);
    uint32_t n = kz_load_u32le(p + 12);
    if (n > MAX_SEGMENTS || len != HEADER_BYTES + (size_t)n * ENTRY_BYTES + 8)
        return kz_fail(KZ_ECORRUPT, "MANIFEST size does not match its segment count");
    m->generation = kz_load_u64le(p + 16);
    m->next_id = kz_load_u64le(p + 24);
    m->zh_dict_hash = kz_load_u64le(p + 32);
    if (n > 0) {
        m->segments = calloc(n, sizeof *m->segments);
        if (m->segments == NULL) return KZ_ENOMEM_FAIL();
    }
    m->nsegments = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = p + HEADER_BYTES + (size_t)i * ENTRY_BYTES;
        kz_manifest_segment *s = &m->segments[i];
        s->id = kz_load_u64le(e);
        s->npassages = kz_load_u32le(e + 8);
        s->ndeleted = kz_load_u32le(e + 12);
        s->deletes_gen = kz_load_u64le(e + 16);
        if (s->id >= m->next_id || s->deletes_gen >= m->next_id || s->ndeleted > s->npassages ||
            (s->ndeleted > 0) != (s->deletes_gen > 0)) {
            kz_manifest_free(m);
            return kz_fail(KZ_ECORRUPT, "MANIFEST entry %u is inconsistent", i);
        }
    }
    return KZ_OK;
}

int kz_manifest_read(kz_manifest *m, const char *dir)
{
    memset(m, 0, sizeof *m);
    char *path = kz_path_join(dir, KZ_MANIFEST_NAME);
    if (path == NULL) return KZ_ENOMEM;
    uint8_t *data;
    size_t len;
    int rc = kz_file_read_all(path, HEADER_BYTES + (size_t)MAX_SEGMENTS * ENTRY_BYTES + 8,
                              "manifest", &data, &len);
    if (rc == KZ_ENOTFOUND) rc = kz_fail(KZ_ENOTFOUND, "no index at %s", dir);
    if (rc == KZ_OK) {
        rc = kz_manifest_decode(m, data, len);
        if (rc < 0) kz_fail_context(rc, "%s", path);
    }
    free(data);
    free(path);
    return rc;
}

int kz_manifest_add(kz_manifest *m, const kz_manifest_segment *s)
{
    kz_manifest_segment *grown = realloc(m->segments, (m->nsegments + 1) * sizeof *grown);
    if (grown == NULL) return KZ_ENOMEM_FAIL();
    m->segments = grown;
    m->segments[m->nsegments++] = *s;
    return KZ_OK;
}

int kz_manifest_copy(kz_manifest *dst, const kz_manifest *src)
{
    *dst = *src;
    dst->segments = NULL;
    if (src->nsegments == 0) return KZ_OK;
    dst->segments = malloc(src->nsegments * sizeof *dst->segments);
    if (dst->segments == NULL) {
        dst->nsegments = 0;
        return KZ_ENOMEM_FAIL();
    }
    memcpy(dst->segments, src->segments, src->nsegments * sizeof *dst->segments);
    return KZ_OK;
}

void kz_manifest_free(kz_manifest *m)
{
    free(m->segments);
    m->segments = NULL;
    m->nsegments = 0;
}

void kz_segment_file_name(char out[KZ_FILE_NAME_MAX], uint64_t id)
{
    snprintf(out, KZ_FILE_NAME_MAX, "seg-%06" PRIu64 ".kzs", id);
}

void kz_deletes_file_name(char out[KZ_FILE_NAME_MAX], uint64_t id, uint64_t gen)
{
    snprintf(out, KZ_FILE_NAME_MAX, "del-%06" PRIu64 "-%06" PRIu64 ".kzd", id, gen);
}

char *kz_path_join(const char *dir, const char *name)
{
    size_t a = strlen(dir), b = strlen(name);
    char *p = malloc(a + b + 2);
    if (p == NULL) {
        KZ_ENOMEM_FAIL();
        return NULL;
    }
    memcpy(p, dir, a);
    size_t at = a;
    if (a == 0 || dir[a - 1] != '/') p[at++] = '/';
    memcpy(p + at, name, b + 1);
    return p;
}
