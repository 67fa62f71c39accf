/* doc_fields.c - the documents' filterable fields, decoded once per open segment.
 *
 * Layout: for document d, its strings "name\0date\0lang\0" start at text[off[d]], with their
 * lengths kept (a name holding a NUL byte still finds its date). The documents are read
 * in order through one store reader, so each compressed block is decompressed once. */
#include "doc_fields.h"

#include "buf.h"
#include "error.h"

#include <stdlib.h>
#include <string.h>

struct kz_doc_fields {
    uint32_t ndocs;
    uint32_t *first, *count; /* passage ranges */
    uint64_t *off;           /* into text */
    uint32_t *name_len, *date_len, *lang_len;
    kz_buf text;
};

void kz_doc_fields_free(kz_doc_fields *f)
{
    if (f == NULL) return;
    free(f->first);
    free(f->count);
    free(f->off);
    free(f->name_len);
    free(f->date_len);
    free(f->lang_len);
    kz_buf_free(&f->text);
    free(f);
}

/* Appends s[0, len) and a NUL. */
static int put(kz_buf *b, const char *s, size_t len)
{
    KZ_TRY(kz_buf_append(b, s, len));
    return kz_buf_append_u8(b, 0);
}

int kz_doc_fields_build(kz_doc_fields **out, const kz_segment *seg)
{
    *out = NULL;
    kz_doc_fields *f = calloc(1, sizeof *f);
    if (f == NULL) return KZ_ENOMEM_FAIL();
    size_t n = seg->ndocs ? seg->ndocs : 1;
    f->first = malloc(n * sizeof *f->first);
    f->count = malloc(n * sizeof *f->count);
    f->off = malloc(n * sizeof *f->off);
    f->name_len = malloc(n * sizeof *f->name_len);
    f->date_len = malloc(n * sizeof *f->date_len);
    f->lang_len = malloc(n * sizeof *f->lang_len);
    int rc = KZ_OK;
    if (!f->first || !f->count || !f->off || !f->name_len || !f->date_len || !f->lang_len) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    kz_store_reader docs;
    kz_segment_doc_reader(seg, &docs);
    for (uint32_t d = 0; d < seg->ndocs && rc == KZ_OK; d++) {
        kz_doc_entry e;
        rc = kz_segment_doc(seg, &docs, d, &e);
        if (rc < 0) break;
        f->first[d] = e.first_passage;
        f->count[d] = e.npassages;
        f->off[d] = f->text.len;
        /* record strings are far below 4 GiB (records are at most 2 GiB) */
        f->name_len[d] = (uint32_t)e.name_len;
        f->date_len[d] = (uint32_t)e.date_len;
        f->lang_len[d] = (uint32_t)e.lang_len;
        rc = put(&f->text, e.name, f->name_len[d]);
        if (rc == KZ_OK) rc = put(&f->text, e.date, f->date_len[d]);
        if (rc == KZ_OK) rc = put(&f->text, e.lang, f->lang_len[d]);
        f->ndocs = d + 1;
    }
    kz_store_reader_free(&docs);
done:
    if (rc < 0) {
        kz_doc_fields_free(f);
        return rc;
    }
    *out = f;
    return KZ_OK;
}

uint32_t kz_doc_fields_count(const kz_doc_fields *f)
{
    return f->ndocs;
}

void kz_doc_fields_get(const kz_doc_fields *f, uint32_t doc, kz_doc_view *out)
{
    const char *p = (const char *)f->text.data + f->off[doc];
    out->first_passage = f->first[doc];
    out->npassages = f->count[doc];
    out->name = p;
    out->date = p + f->name_len[doc] + 1;
    out->date_len = f->date_len[doc];
    out->lang = out->date + out->date_len + 1;
    out->lang_len = f->lang_len[doc];
}
