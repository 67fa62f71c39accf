/* doc_fields.h - the fields query filters test (date:, lang:, doc:), for every document of a
 * segment, decoded once and kept in memory.
 *
 * Document records are compressed in the segment's DOCS store; a filter that decoded all of them
 * at every query cost ~0.1 s on a collection of 700k documents. The first filtered query of an
 * open index decodes them into this table (about 16 bytes a document plus its strings: ~25 MB
 * for 700k documents), and every later one reads it.
 *
 * Invariants: immutable once built (so any number of threads may read it); strings are
 * NUL-terminated copies (name, date, lang) owned by the table; documents are numbered as in the
 * segment, with their passage ranges. */
#ifndef KZ_DOC_FIELDS_H
#define KZ_DOC_FIELDS_H

#include "segment.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_doc_fields kz_doc_fields;

/* One document's filterable fields, borrowed from the table. */
typedef struct kz_doc_view {
    uint32_t first_passage, npassages;
    const char *name, *date, *lang; /* NUL-terminated */
    size_t date_len, lang_len;
} kz_doc_view;

/* Decodes every document of seg. KZ_OK, KZ_ECORRUPT or KZ_ENOMEM. */
int kz_doc_fields_build(kz_doc_fields **out, const kz_segment *seg);
void kz_doc_fields_free(kz_doc_fields *f);

uint32_t kz_doc_fields_count(const kz_doc_fields *f);
/* doc < kz_doc_fields_count(f). */
void kz_doc_fields_get(const kz_doc_fields *f, uint32_t doc, kz_doc_view *out);

#endif
