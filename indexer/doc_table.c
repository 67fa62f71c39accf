/* doc_table.c - writing the document table (see doc_table.h; layout in docs/FORMAT.md). */
#include "doc_table.h"

#include "error.h"

#include <string.h>

int kz_doc_table_init(kz_doc_table *t)
{
    memset(t, 0, sizeof *t);
    KZ_TRY(kz_fields_writer_new(&t->fields));
    return kz_store_writer_new_with(&t->records, &KZ_STORE_DOCS);
}

void kz_doc_table_free(kz_doc_table *t)
{
    kz_store_writer_free(t->records);
    kz_fields_writer_free(t->fields);
    kz_buf_free(&t->starts);
    kz_buf_free(&t->source_offsets);
    kz_buf_free(&t->source_records);
    kz_buf_free(&t->last_source);
    kz_buf_free(&t->scratch);
    memset(t, 0, sizeof *t);
}

int kz_doc_table_add(kz_doc_table *t, const kz_doc_entry *doc)
{
    if (doc->first_passage != t->next_passage)
        return kz_fail(KZ_EINVAL, "document %.*s starts at passage %u, not %u", (int)doc->name_len,
                       doc->name, doc->first_passage, t->next_passage);
    int same = t->nsources > 0 && t->last_source.len == doc->source_len &&
               memcmp(t->last_source.data, doc->source, doc->source_len) == 0;
    if (!same) {
        KZ_TRY(kz_buf_append_u64le(&t->source_offsets, t->source_records.len));
        KZ_TRY(kz_source_record_encode(&t->source_records, doc));
        kz_buf_clear(&t->last_source);
        KZ_TRY(kz_buf_append(&t->last_source, doc->source, doc->source_len));
        t->nsources++;
    }
    KZ_TRY(kz_buf_append_u32le(&t->starts, doc->first_passage));
    kz_buf_clear(&t->scratch);
    KZ_TRY(kz_doc_record_encode(&t->scratch, t->nsources - 1, doc));
    KZ_TRY(kz_store_writer_add(t->records, t->scratch.data, t->scratch.len));
    KZ_TRY(kz_fields_writer_add(t->fields, doc->date, doc->date_len, doc->lang, doc->lang_len,
                                doc->name, doc->name_len));
    t->next_passage += doc->npassages;
    t->ndocs++;
    return KZ_OK;
}

int kz_doc_table_finish(kz_doc_table *t, kz_segment_parts *parts)
{
    KZ_TRY(kz_store_writer_finish_split(t->records, &parts->sec[KZ_SEC_DOCS],
                                        &parts->more[KZ_SEC_DOCS]));
    kz_buf *starts = &parts->sec[KZ_SEC_DOC_STARTS];
    KZ_TRY(kz_buf_append(starts, t->starts.data, t->starts.len));
    KZ_TRY(kz_buf_append_u32le(starts, t->next_passage));
    KZ_TRY(kz_fields_writer_finish(t->fields, &parts->sec[KZ_SEC_FIELDS]));
    kz_buf *src = &parts->sec[KZ_SEC_SOURCES];
    KZ_TRY(kz_buf_append_u32le(src, t->nsources));
    KZ_TRY(kz_buf_append_u32le(src, 0));
    KZ_TRY(kz_buf_append(src, t->source_offsets.data, t->source_offsets.len));
    KZ_TRY(kz_buf_append_u64le(src, t->source_records.len));
    return kz_buf_append(src, t->source_records.data, t->source_records.len);
}
