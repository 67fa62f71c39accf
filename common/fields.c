/* fields.c - the FIELDS section (fields.h): writing it, and reading it where it is mapped. */
#include "fields.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int corrupt(const char *what)
{
    return kz_fail(KZ_ECORRUPT, "document fields: %s", what);
}

/* ---- reading ---- */

/* The column at *p (advanced past it), within [*p, end). */
static int open_column(kz_fields_column *c, const uint8_t **p, const uint8_t *end, uint32_t ndocs)
{
    if (end - *p < 16) return corrupt("a column header is cut short");
    c->nvalues = kz_load_u32le(*p);
    c->width = kz_load_u32le(*p + 4);
    c->values_len = kz_load_u64le(*p + 8);
    *p += 16;
    if (c->width != 1 && c->width != 2 && c->width != 4) return corrupt("bad id width");
    if (c->nvalues == 0 && ndocs > 0) return corrupt("a column without values");
    if (c->values_len > (uint64_t)(end - *p)) return corrupt("values run past the section");
    c->values = *p;
    *p += c->values_len;
    if ((uint64_t)ndocs * c->width > (uint64_t)(end - *p))
        return corrupt("ids run past the section");
    c->ids = *p;
    *p += (size_t)ndocs * c->width;
    return KZ_OK;
}

int kz_fields_open(kz_fields *f, const uint8_t *sec, uint64_t len, uint32_t ndocs)
{
    *f = (kz_fields){0};
    const uint8_t *p = sec, *end = sec + len;
    if (len < 8 || kz_load_u32le(sec) != ndocs || kz_load_u32le(sec + 4) != 0)
        return corrupt("the header does not match the document count");
    p += 8;
    f->ndocs = ndocs;
    KZ_TRY(open_column(&f->date, &p, end, ndocs));
    KZ_TRY(open_column(&f->lang, &p, end, ndocs));
    if (end - p < 8) return corrupt("the names' length is cut short");
    f->names_len = kz_load_u64le(p);
    p += 8;
    if (f->names_len != (uint64_t)(end - p)) return corrupt("the names do not end the section");
    f->names = p;
    return KZ_OK;
}

int kz_fields_bad_id(uint32_t id, uint32_t nvalues)
{
    return kz_fail(KZ_ECORRUPT, "document fields: value %u of a column of %u", id, nvalues);
}

int kz_fields_value_next(const kz_fields_column *c, uint64_t *pos, const uint8_t **value,
                         size_t *len)
{
    if (*pos > c->values_len) return corrupt("a value runs past its column");
    const uint8_t *p = c->values + *pos, *end = c->values + c->values_len;
    uint64_t n;
    if (kz_read_varint(&p, end, &n) != KZ_OK || n > (uint64_t)(end - p))
        return corrupt("a value runs past its column");
    *value = p;
    *len = (size_t)n;
    *pos = (uint64_t)(p + n - c->values);
    return KZ_OK;
}

void kz_fields_names_init(kz_fields_names *it, const kz_fields *f)
{
    *it = (kz_fields_names){f->names, f->names + f->names_len, KZ_BUF_INIT, 0, 0};
}

int kz_fields_names_next(kz_fields_names *it, const char **name, size_t *len)
{
    uint64_t shared, suffix;
    if (kz_read_varint(&it->p, it->end, &shared) != KZ_OK ||
        kz_read_varint(&it->p, it->end, &suffix) != KZ_OK || shared > it->name.len ||
        suffix > (uint64_t)(it->end - it->p))
        return corrupt("a name runs past the section");
    const size_t n = (size_t)shared + (size_t)suffix;
    if (n >= it->name.cap) { /* the name and its NUL; once per longest name so far */
        it->name.len = (size_t)shared;
        KZ_TRY(kz_buf_reserve(&it->name, (size_t)suffix + 1));
    }
    memcpy(it->name.data + shared, it->p, (size_t)suffix);
    it->name.data[n] = 0;
    it->name.len = n;
    it->p += suffix;
    it->shared = (size_t)shared;
    if (it->cstr >= shared) {      /* the previous name's first NUL, if any, is not in the prefix */
        size_t k = (size_t)shared; /* suffixes are a few bytes: a loop beats memchr's set-up */
        while (k < n && it->name.data[k] != 0) k++;
        it->cstr = k;
    }
    *name = (const char *)it->name.data;
    *len = it->name.len;
    return KZ_OK;
}

void kz_fields_names_free(kz_fields_names *it)
{
    kz_buf_free(&it->name);
}

/* ---- writing ---- */

/* A dictionary-coded column being built: its distinct values and an id a document. */
typedef struct column_writer {
    kz_buf values;   /* varint length + bytes each, in first-use order */
    kz_buf ids;      /* u32 a document, native order */
    uint64_t *slots; /* open addressing: 0 empty, else (offset in values + 1) << 32 | id */
    size_t cap;      /* a power of two, at most half full */
    uint32_t nvalues;
} column_writer;

struct kz_fields_writer {
    column_writer date, lang;
    kz_buf names, prev;
    uint32_t ndocs;
};

static void column_free(column_writer *c)
{
    kz_buf_free(&c->values);
    kz_buf_free(&c->ids);
    free(c->slots);
}

/* The value at offset off of c->values. */
static const uint8_t *stored_value(const column_writer *c, uint64_t off, size_t *len)
{
    const uint8_t *p = c->values.data + off;
    uint64_t n;
    (void)kz_read_varint(&p, c->values.data + c->values.len, &n); /* written here: sound */
    *len = (size_t)n;
    return p;
}

static int column_grow(column_writer *c)
{
    size_t cap = c->cap ? 2 * c->cap : 64;
    uint64_t *slots = calloc(cap, sizeof *slots);
    if (slots == NULL) return KZ_ENOMEM_FAIL();
    for (size_t i = 0; i < c->cap; i++) {
        if (c->slots[i] == 0) continue;
        size_t len;
        const uint8_t *v = stored_value(c, (c->slots[i] >> 32) - 1, &len);
        size_t j = (size_t)XXH3_64bits(v, len) & (cap - 1);
        while (slots[j] != 0) j = (j + 1) & (cap - 1);
        slots[j] = c->slots[i];
    }
    free(c->slots);
    c->slots = slots;
    c->cap = cap;
    return KZ_OK;
}

static int column_add(column_writer *c, const char *value, size_t len)
{
    if (value == NULL) len = 0;
    if (2 * ((size_t)c->nvalues + 1) > c->cap) KZ_TRY(column_grow(c));
    size_t j = (size_t)XXH3_64bits(value, len) & (c->cap - 1);
    for (; c->slots[j] != 0; j = (j + 1) & (c->cap - 1)) {
        size_t have;
        const uint8_t *v = stored_value(c, (c->slots[j] >> 32) - 1, &have);
        if (have == len && (len == 0 || memcmp(v, value, len) == 0)) {
            uint32_t id = (uint32_t)c->slots[j];
            return kz_buf_append(&c->ids, &id, sizeof id);
        }
    }
    if (c->values.len + len + 10 >= UINT32_MAX) /* slots hold offsets in 32 bits */
        return kz_fail(KZ_EINVAL, "document fields: over 4 GiB of distinct dates or languages");
    uint32_t id = c->nvalues++;
    c->slots[j] = ((uint64_t)c->values.len + 1) << 32 | id;
    KZ_TRY(kz_buf_append_varint(&c->values, len));
    if (len > 0) KZ_TRY(kz_buf_append(&c->values, value, len));
    return kz_buf_append(&c->ids, &id, sizeof id);
}

static int column_finish(const column_writer *c, kz_buf *out)
{
    const uint32_t width = c->nvalues <= 256 ? 1 : c->nvalues <= 65536 ? 2 : 4;
    KZ_TRY(kz_buf_append_u32le(out, c->nvalues));
    KZ_TRY(kz_buf_append_u32le(out, width));
    KZ_TRY(kz_buf_append_u64le(out, c->values.len));
    KZ_TRY(kz_buf_append(out, c->values.data, c->values.len));
    const size_t n = c->ids.len / sizeof(uint32_t);
    KZ_TRY(kz_buf_reserve(out, n * width));
    for (size_t d = 0; d < n; d++) {
        uint32_t id;
        memcpy(&id, c->ids.data + d * sizeof id, sizeof id);
        uint8_t *q = out->data + out->len;
        if (width == 1)
            q[0] = (uint8_t)id;
        else if (width == 2)
            kz_store_u16le(q, (uint16_t)id);
        else
            kz_store_u32le(q, id);
        out->len += width;
    }
    return KZ_OK;
}

int kz_fields_writer_new(kz_fields_writer **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? KZ_OK : KZ_ENOMEM_FAIL();
}

void kz_fields_writer_free(kz_fields_writer *w)
{
    if (w == NULL) return;
    column_free(&w->date);
    column_free(&w->lang);
    kz_buf_free(&w->names);
    kz_buf_free(&w->prev);
    free(w);
}

int kz_fields_writer_add(kz_fields_writer *w, const char *date, size_t date_len, const char *lang,
                         size_t lang_len, const char *name, size_t name_len)
{
    if (w->ndocs == UINT32_MAX) return kz_fail(KZ_EINVAL, "document fields: too many documents");
    KZ_TRY(column_add(&w->date, date, date_len));
    KZ_TRY(column_add(&w->lang, lang, lang_len));
    if (name == NULL) name_len = 0;
    size_t shared = 0;
    while (shared < name_len && shared < w->prev.len &&
           w->prev.data[shared] == (uint8_t)name[shared])
        shared++;
    KZ_TRY(kz_buf_append_varint(&w->names, shared));
    KZ_TRY(kz_buf_append_varint(&w->names, name_len - shared));
    if (name_len > shared) KZ_TRY(kz_buf_append(&w->names, name + shared, name_len - shared));
    kz_buf_clear(&w->prev);
    if (name_len > 0) KZ_TRY(kz_buf_append(&w->prev, name, name_len));
    w->ndocs++;
    return KZ_OK;
}

int kz_fields_writer_finish(kz_fields_writer *w, kz_buf *out)
{
    KZ_TRY(kz_buf_append_u32le(out, w->ndocs));
    KZ_TRY(kz_buf_append_u32le(out, 0));
    KZ_TRY(column_finish(&w->date, out));
    KZ_TRY(column_finish(&w->lang, out));
    KZ_TRY(kz_buf_append_u64le(out, w->names.len));
    return kz_buf_append(out, w->names.data, w->names.len);
}
