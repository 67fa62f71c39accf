/* fields.h - the FIELDS section: the documents' filterable fields (date, language, name) as
 * columns that query filters (date:, lang:, doc:) scan where they are mapped.
 *
 * Why: the fields are also in the documents' records (DOCS), but those are compressed in small
 * blocks; a filter that decoded them all cost ~0.1 s and ~25 MB on a collection of 700k
 * documents, which a one-shot command-line search paid at every filtered query. Here a filter
 * evaluates its test once per distinct date or language, then reads one id a document; only doc:
 * reads the names, which are front-coded in document order (consecutive documents mostly come
 * from one directory or one JSON Lines file and share a long prefix).
 *
 * Section layout (little-endian; index format 7):
 *   u32 ndocs, u32 zero
 *   date column, then lang column, each:
 *     u32 nvalues, u32 width (1, 2 or 4: bytes of an id), u64 values_len,
 *     values_len bytes: nvalues values, each varint length + bytes, distinct, in first-use order,
 *     ndocs ids of width bytes: document d's value is value ids[d]
 *   u64 names_len, then names_len bytes: for each document in order, varint shared (bytes in
 *   common with the previous document's name, 0 for the first), varint suffix length, suffix.
 * A document without a date or language has the empty value. Values and names may hold any
 * bytes.
 *
 * Invariants after kz_fields_open: the two columns' id arrays and the values and names areas lie
 * inside the section (the section is borrowed). Everything else (an id below nvalues, values and
 * names that parse) is checked as it is read, so a damaged section gives KZ_ECORRUPT, never a
 * read outside it; kz_segment_verify compares every document with its record. */
#ifndef KZ_FIELDS_H
#define KZ_FIELDS_H

#include "buf.h"
#include "error.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_fields_column {
    const uint8_t *values; /* values_len bytes */
    const uint8_t *ids;    /* ndocs ids of width bytes */
    uint64_t values_len;
    uint32_t nvalues, width;
} kz_fields_column;

typedef struct kz_fields {
    uint32_t ndocs;
    kz_fields_column date, lang;
    const uint8_t *names; /* names_len bytes */
    uint64_t names_len;
} kz_fields;

/* Sets f up over the section sec (len bytes, borrowed) of a segment of ndocs documents.
 * KZ_OK or KZ_ECORRUPT. Reads only the headers. */
int kz_fields_open(kz_fields *f, const uint8_t *sec, uint64_t len, uint32_t ndocs);

/* kz_fields_id's failure, with its message (out of line: never taken on a sound section). */
int kz_fields_bad_id(uint32_t id, uint32_t nvalues);

/* The id of document doc (< ndocs) in column c; KZ_ECORRUPT if it is not below nvalues. */
static inline int kz_fields_id(const kz_fields_column *c, uint32_t doc, uint32_t *id)
{
    const uint8_t *p = c->ids + (size_t)c->width * doc;
    *id = c->width == 1 ? p[0] : c->width == 2 ? kz_load_u16le(p) : kz_load_u32le(p);
    if (*id >= c->nvalues) return kz_fields_bad_id(*id, c->nvalues);
    return KZ_OK;
}

/* Reading a column's values in order: *pos starts at 0; each call gives the next value (borrowed
 * from the section) and advances *pos. KZ_OK, or KZ_ECORRUPT if the values area ends early. */
int kz_fields_value_next(const kz_fields_column *c, uint64_t *pos, const uint8_t **value,
                         size_t *len);

/* Reading the names in document order. */
typedef struct kz_fields_names {
    const uint8_t *p, *end;
    kz_buf name;   /* the current name, NUL-terminated (the NUL is not counted) */
    size_t shared; /* bytes the current name shares with the previous one */
    size_t cstr;   /* bytes of the current name before its first NUL (strlen) */
} kz_fields_names;

void kz_fields_names_init(kz_fields_names *it, const kz_fields *f);
/* The next document's name (NUL-terminated, valid until the next call). KZ_OK, KZ_ECORRUPT,
 * KZ_ENOMEM. */
int kz_fields_names_next(kz_fields_names *it, const char **name, size_t *len);
void kz_fields_names_free(kz_fields_names *it);

/* Writing the section: documents are added in order. */
typedef struct kz_fields_writer kz_fields_writer;

int kz_fields_writer_new(kz_fields_writer **out);
void kz_fields_writer_free(kz_fields_writer *w);
int kz_fields_writer_add(kz_fields_writer *w, const char *date, size_t date_len, const char *lang,
                         size_t lang_len, const char *name, size_t name_len);
/* Appends the section to out. KZ_OK or KZ_ENOMEM. The writer can then only be freed. */
int kz_fields_writer_finish(kz_fields_writer *w, kz_buf *out);

#endif
