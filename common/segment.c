/* segment.c - reading a segment file (see segment.h and docs/FORMAT.md).
 *
 * Invariant after a successful kz_segment_open: every section lies inside the mapping, the META
 * fields are consistent with the LENGTHS and DOCS section sizes, and the term dictionary and
 * store headers validated. Everything else (posting lists, records) is checked when read. */
#include "segment.h"

#include "error.h"
#include "postings.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

static int corrupt(const kz_segment *seg, const char *what)
{
    return kz_fail(KZ_ECORRUPT, "segment %s is damaged: %s (run `kzsearch check`)", seg->path,
                   what);
}

static int read_table(kz_segment *seg)
{
    const uint8_t *m = seg->map;
    size_t n = seg->map_len;
    if (n < KZ_SEG_HEADER_BYTES + KZ_SEG_FOOTER_BYTES) return corrupt(seg, "file too short");
    if (memcmp(m, KZ_SEG_MAGIC, 8) != 0) return corrupt(seg, "not a kzsearch segment file");
    if (kz_load_u32le(m + 8) != KZ_FORMAT_VERSION)
        return kz_fail(KZ_ECORRUPT,
                       "segment %s has format version %u; this kzsearch reads version %u: remove "
                       "the index directory and index again",
                       seg->path, kz_load_u32le(m + 8), KZ_FORMAT_VERSION);
    uint32_t count = kz_load_u32le(m + 12);
    if (kz_load_u64le(m + 16) != seg->id) return corrupt(seg, "segment id does not match");
    const uint8_t *foot = m + n - KZ_SEG_FOOTER_BYTES;
    if (memcmp(foot + 24, KZ_SEG_FOOTER_MAGIC, 8) != 0) return corrupt(seg, "footer missing");
    uint64_t table = kz_load_u64le(foot);
    if (kz_load_u32le(foot + 8) != count || count != KZ_SEC_COUNT - 1)
        return corrupt(seg, "wrong section count");
    uint64_t table_bytes = (uint64_t)count * KZ_SEG_ENTRY_BYTES;
    if (table < KZ_SEG_HEADER_BYTES || table > n - KZ_SEG_FOOTER_BYTES ||
        table_bytes > n - KZ_SEG_FOOTER_BYTES - table)
        return corrupt(seg, "section table out of bounds");
    if (kz_segment_table_checksum(m, m + table, table_bytes) != kz_load_u64le(foot + 16))
        return corrupt(seg, "header or section table checksum mismatch");
    for (uint32_t i = 0; i < count; i++) {
        const uint8_t *e = m + table + (uint64_t)i * KZ_SEG_ENTRY_BYTES;
        uint32_t kind = kz_load_u32le(e);
        if (kind != i + 1) return corrupt(seg, "sections out of order");
        kz_section *s = &seg->sections[kind];
        s->offset = kz_load_u64le(e + 8);
        s->length = kz_load_u64le(e + 16);
        s->checksum = kz_load_u64le(e + 24);
        if (s->offset < KZ_SEG_HEADER_BYTES || s->offset > table || s->length > table - s->offset)
            return corrupt(seg, "a section lies outside the file");
    }
    return KZ_OK;
}

uint64_t kz_segment_table_checksum(const uint8_t *header, const uint8_t *table, size_t table_bytes)
{
    return XXH3_64bits_withSeed(table, table_bytes, XXH3_64bits(header, KZ_SEG_HEADER_BYTES));
}

static const uint8_t *section(const kz_segment *seg, int kind)
{
    return seg->map + seg->sections[kind].offset;
}

static int read_meta(kz_segment *seg)
{
    if (seg->sections[KZ_SEC_META].length != KZ_META_BYTES) return corrupt(seg, "bad META size");
    const uint8_t *m = section(seg, KZ_SEC_META);
    /* 32 bytes that every query trusts (counts, and the pair threshold, which no other field can
     * vouch for): checked at open, not only by kz_segment_verify. */
    if (XXH3_64bits(m, KZ_META_BYTES) != seg->sections[KZ_SEC_META].checksum)
        return corrupt(seg, "META checksum mismatch");
    seg->npassages = kz_load_u32le(m + KZ_META_NPASSAGES);
    seg->ndocs = kz_load_u32le(m + KZ_META_NDOCS);
    seg->total_len = kz_load_u64le(m + KZ_META_TOTAL_LEN);
    seg->nterms = kz_load_u64le(m + KZ_META_NTERMS);
    seg->pair_threshold = kz_load_u32le(m + KZ_META_PAIR_DF);
    if (kz_load_u32le(m + KZ_META_LEN_WIDTH) != KZ_LENGTHS_WIDTH)
        return corrupt(seg, "bad passage-length width");
    if (kz_lengths_open(&seg->lengths, section(seg, KZ_SEC_LENGTHS),
                        seg->sections[KZ_SEC_LENGTHS].length, seg->npassages) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s", seg->path);

    if (seg->sections[KZ_SEC_DOC_STARTS].length != ((uint64_t)seg->ndocs + 1) * 4)
        return corrupt(seg, "DOC_STARTS size does not match the document count");
    seg->doc_starts = section(seg, KZ_SEC_DOC_STARTS);
    if (kz_load_u32le(seg->doc_starts) != 0 ||
        kz_load_u32le(seg->doc_starts + 4 * (size_t)seg->ndocs) != seg->npassages)
        return corrupt(seg, "documents do not cover the passages");
    seg->sources = section(seg, KZ_SEC_SOURCES);
    seg->sources_len = seg->sections[KZ_SEC_SOURCES].length;
    if (seg->sources_len < 8) return corrupt(seg, "SOURCES too short");
    seg->nsources = kz_load_u32le(seg->sources);
    if (((uint64_t)seg->nsources + 1) * 8 > seg->sources_len - 8)
        return corrupt(seg, "SOURCES index out of bounds");
    if (kz_fields_open(&seg->fields, section(seg, KZ_SEC_FIELDS),
                       seg->sections[KZ_SEC_FIELDS].length, seg->ndocs) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s", seg->path);
    if (kz_store_open(&seg->docs, section(seg, KZ_SEC_DOCS), seg->sections[KZ_SEC_DOCS].length) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s: document records", seg->path);
    if (seg->docs.nrecords != seg->ndocs) return corrupt(seg, "document record count mismatch");

    seg->postings = section(seg, KZ_SEC_POSTINGS);
    seg->postings_len = seg->sections[KZ_SEC_POSTINGS].length;
    seg->positions = section(seg, KZ_SEC_POSITIONS);
    seg->positions_len = seg->sections[KZ_SEC_POSITIONS].length;
    if (kz_termdict_open(&seg->terms, section(seg, KZ_SEC_TERMS),
                         seg->sections[KZ_SEC_TERMS].length) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s", seg->path);
    if (seg->terms.nterms != seg->nterms) return corrupt(seg, "term count mismatch");
    if (kz_store_open(&seg->store, section(seg, KZ_SEC_STORE), seg->sections[KZ_SEC_STORE].length) <
        0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s", seg->path);
    if (seg->store.nrecords != seg->npassages) return corrupt(seg, "stored passage count mismatch");
    return KZ_OK;
}

int kz_segment_open(kz_segment **out, const char *path, uint64_t expect_id)
{
    int rc = KZ_OK;
    *out = NULL;
    kz_segment *seg = calloc(1, sizeof *seg);
    if (seg == NULL) return KZ_ENOMEM_FAIL();
    seg->id = expect_id;
    seg->path = strdup(path);
    if (seg->path == NULL) {
        free(seg);
        return KZ_ENOMEM_FAIL();
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        rc = kz_fail_errno(errno == ENOENT ? KZ_ENOTFOUND : KZ_EIO, "cannot open segment %s", path);
        goto done;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = kz_fail_errno(KZ_EIO, "cannot stat %s", path);
        goto done;
    }
    seg->map_len = (size_t)st.st_size;
    if (seg->map_len == 0) {
        rc = corrupt(seg, "empty file");
        goto done;
    }
    void *m = mmap(NULL, seg->map_len, PROT_READ, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) {
        rc = kz_fail_errno(KZ_EIO, "cannot map %s", path);
        goto done;
    }
    seg->map = m;
    KZ_CHECK(read_table(seg));
    KZ_CHECK(read_meta(seg));
done:
    if (fd >= 0) close(fd);
    if (rc < 0) {
        kz_segment_close(seg);
        return rc;
    }
    *out = seg;
    return KZ_OK;
}

void kz_segment_close(kz_segment *seg)
{
    if (seg == NULL) return;
    kz_store_close(&seg->store);
    kz_store_close(&seg->docs);
    if (seg->map) munmap((void *)seg->map, seg->map_len);
    free(seg->path);
    free(seg);
}

/* ---- records ---- */

static int read_str(const uint8_t **p, const uint8_t *end, const char **s, size_t *len)
{
    uint64_t n;
    KZ_TRY(kz_read_varint(p, end, &n));
    if (n > (uint64_t)(end - *p)) return kz_fail(KZ_ECORRUPT, "string runs past its record");
    *s = (const char *)*p;
    *len = (size_t)n;
    *p += n;
    return KZ_OK;
}

static int append_str(kz_buf *out, const char *s, size_t len)
{
    KZ_TRY(kz_buf_append_varint(out, len));
    return kz_buf_append(out, s, len);
}

int kz_doc_record_encode(kz_buf *out, uint32_t source, const kz_doc_entry *d)
{
    KZ_TRY(kz_buf_append_varint(out, source));
    KZ_TRY(append_str(out, d->name, d->name_len));
    KZ_TRY(append_str(out, d->title, d->title_len));
    KZ_TRY(append_str(out, d->date, d->date_len));
    KZ_TRY(append_str(out, d->lang, d->lang_len));
    return append_str(out, d->meta, d->meta_len);
}

int kz_source_record_encode(kz_buf *out, const kz_doc_entry *d)
{
    uint64_t zz = ((uint64_t)d->mtime_ns << 1) ^ (uint64_t)(d->mtime_ns >> 63);
    KZ_TRY(append_str(out, d->source, d->source_len));
    KZ_TRY(kz_buf_append_varint(out, d->size));
    KZ_TRY(kz_buf_append_varint(out, zz));
    return kz_buf_append_u64le(out, d->content_hash);
}

/* Fills the source fields of out from source record i. */
static int read_source(const kz_segment *seg, uint64_t i, kz_doc_entry *out)
{
    if (i >= seg->nsources) return corrupt(seg, "document names a source that does not exist");
    const uint8_t *index = seg->sources + 8;
    const uint8_t *records = index + ((size_t)seg->nsources + 1) * 8;
    uint64_t room = seg->sources_len - (uint64_t)(records - seg->sources);
    uint64_t a = kz_load_u64le(index + 8 * i), b = kz_load_u64le(index + 8 * (i + 1));
    if (a > b || b > room) return corrupt(seg, "source table offsets");
    const uint8_t *p = records + a, *end = records + b;
    uint64_t mtime;
    if (read_str(&p, end, &out->source, &out->source_len) < 0 ||
        kz_read_varint(&p, end, &out->size) < 0 || kz_read_varint(&p, end, &mtime) < 0 ||
        end - p != 8)
        return corrupt(seg, "source record");
    out->mtime_ns = (int64_t)(mtime >> 1) ^ -(int64_t)(mtime & 1); /* zigzag */
    out->content_hash = kz_load_u64le(p);
    return KZ_OK;
}

int kz_segment_doc_range(const kz_segment *seg, uint32_t doc, uint32_t *first, uint32_t *n)
{
    if (doc >= seg->ndocs) return corrupt(seg, "document ordinal out of range");
    uint32_t a = kz_load_u32le(seg->doc_starts + 4 * (size_t)doc);
    uint32_t b = kz_load_u32le(seg->doc_starts + 4 * ((size_t)doc + 1));
    if (a > b || b > seg->npassages) return corrupt(seg, "document passage range");
    *first = a;
    *n = b - a;
    return KZ_OK;
}

int kz_segment_doc(const kz_segment *seg, kz_store_reader *r, uint32_t doc, kz_doc_entry *out)
{
    KZ_TRY(kz_segment_doc_range(seg, doc, &out->first_passage, &out->npassages));
    const uint8_t *p, *end;
    size_t len;
    int rc = kz_store_reader_get(r, doc, &p, &len);
    if (rc < 0) return kz_fail_context(rc, "segment %s document %u", seg->path, doc);
    end = p + len;
    uint64_t source;
    if (kz_read_varint(&p, end, &source) < 0 || read_str(&p, end, &out->name, &out->name_len) < 0 ||
        read_str(&p, end, &out->title, &out->title_len) < 0 ||
        read_str(&p, end, &out->date, &out->date_len) < 0 ||
        read_str(&p, end, &out->lang, &out->lang_len) < 0 ||
        read_str(&p, end, &out->meta, &out->meta_len) < 0 || p != end)
        return corrupt(seg, "document record");
    return read_source(seg, source, out);
}

int kz_segment_passage_doc(const kz_segment *seg, uint32_t passage, uint32_t *doc)
{
    if (passage >= seg->npassages || seg->ndocs == 0) return corrupt(seg, "passage out of range");
    /* The last document whose first passage is <= passage. */
    uint32_t lo = 0, hi = seg->ndocs;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (kz_load_u32le(seg->doc_starts + 4 * (size_t)mid) <= passage)
            lo = mid;
        else
            hi = mid;
    }
    uint32_t first = 0, n = 0; /* set by kz_segment_doc_range; gcc -O3 cannot tell */
    KZ_TRY(kz_segment_doc_range(seg, lo, &first, &n));
    if (passage < first || passage - first >= n)
        return corrupt(seg, "passage belongs to no document");
    *doc = lo;
    return KZ_OK;
}

int kz_passage_record_encode(kz_buf *out, const kz_passage_record *rec)
{
    KZ_TRY(kz_buf_append_varint(out, rec->doc));
    KZ_TRY(kz_buf_append_varint(out, rec->line));
    KZ_TRY(kz_buf_append_varint(out, rec->start));
    KZ_TRY(kz_buf_append_varint(out, rec->end));
    return kz_buf_append(out, rec->text, rec->text_len);
}

int kz_segment_passage(const kz_segment *seg, kz_store_reader *r, uint32_t passage,
                       kz_passage_record *out)
{
    const uint8_t *p, *end;
    size_t len;
    int rc = kz_store_reader_get(r, passage, &p, &len);
    if (rc < 0) return kz_fail_context(rc, "segment %s passage %u", seg->path, passage);
    end = p + len;
    uint64_t doc, line, start, stop;
    if (kz_read_varint(&p, end, &doc) < 0 || kz_read_varint(&p, end, &line) < 0 ||
        kz_read_varint(&p, end, &start) < 0 || kz_read_varint(&p, end, &stop) < 0 ||
        doc >= seg->ndocs || line > UINT32_MAX)
        return corrupt(seg, "stored passage header");
    out->doc = (uint32_t)doc;
    out->line = (uint32_t)line;
    out->start = start;
    out->end = stop;
    out->text = (const char *)p;
    out->text_len = (size_t)(end - p);
    return KZ_OK;
}

/* ---- verification ---- */

static int verify_postings(const kz_segment *seg)
{
    kz_termdict_iter it;
    KZ_TRY(kz_termdict_iter_init(&it, &seg->terms, NULL, 0));
    const char *term;
    size_t len;
    kz_term_info info;
    uint32_t *pos = NULL;
    size_t pos_cap = 0;
    int rc;
    while ((rc = kz_termdict_iter_next(&it, &term, &len, &info)) == KZ_OK) {
        if (info.doc_off > seg->postings_len || info.doc_len > seg->postings_len - info.doc_off ||
            info.pos_off > seg->positions_len || info.pos_len > seg->positions_len - info.pos_off ||
            info.df == 0 || info.df > seg->npassages) {
            rc = corrupt(seg, "term information out of bounds");
            break;
        }
        kz_postings_cursor c;
        rc = kz_postings_open(&c, seg->postings + info.doc_off, info.doc_len,
                              seg->positions + info.pos_off, info.pos_len, info.df);
        uint64_t seen = 0, occurrences = 0;
        while (rc == KZ_OK && c.doc != KZ_DOC_END) {
            uint32_t tf;
            rc = kz_postings_freq(&c, &tf);
            if (rc < 0) break;
            if (c.doc >= seg->npassages || tf > kz_length(&seg->lengths, c.doc)) {
                rc = corrupt(seg, "posting out of range");
                break;
            }
            if (tf > pos_cap) {
                free(pos);
                pos_cap = tf;
                pos = malloc(pos_cap * sizeof *pos);
                if (pos == NULL) {
                    rc = KZ_ENOMEM_FAIL();
                    break;
                }
            }
            rc = kz_postings_positions(&c, pos);
            if (rc < 0) break;
            seen++;
            occurrences += tf;
            rc = kz_postings_next(&c);
        }
        if (rc == KZ_OK && (seen != info.df || occurrences != info.cf))
            rc = corrupt(seg, "posting list length disagrees with the term dictionary");
        if (rc < 0) {
            rc = kz_fail_context(rc, "term '%.*s'", (int)len, term);
            break;
        }
    }
    free(pos);
    return rc == KZ_ITEROVER ? KZ_OK : rc;
}

/* A column's values, decoded once: value i is at[i], len[i] bytes. */
typedef struct column_values {
    const uint8_t **at;
    size_t *len;
} column_values;

static int column_values_read(const kz_fields_column *c, column_values *v)
{
    v->at = malloc(((size_t)c->nvalues + 1) * sizeof *v->at);
    v->len = malloc(((size_t)c->nvalues + 1) * sizeof *v->len);
    if (v->at == NULL || v->len == NULL) return KZ_ENOMEM_FAIL();
    uint64_t pos = 0;
    for (uint32_t i = 0; i < c->nvalues; i++)
        KZ_TRY(kz_fields_value_next(c, &pos, &v->at[i], &v->len[i]));
    if (pos != c->values_len)
        return kz_fail(KZ_ECORRUPT, "document fields: bytes after the values");
    return KZ_OK;
}

static void column_values_free(column_values *v)
{
    free(v->at);
    free(v->len);
}

/* Column c's value for document d equals want[0, len). */
static int same_value(const kz_fields_column *c, const column_values *v, uint32_t d,
                      const char *want, size_t len, int *same)
{
    uint32_t id;
    KZ_TRY(kz_fields_id(c, d, &id));
    *same = v->len[id] == len && (len == 0 || memcmp(v->at[id], want, len) == 0);
    return KZ_OK;
}

/* Every document record decodes and has passages, and FIELDS holds its date, language and
 * name. */
static int verify_documents(const kz_segment *seg)
{
    kz_store_reader docs;
    kz_segment_doc_reader(seg, &docs);
    kz_fields_names names;
    kz_fields_names_init(&names, &seg->fields);
    column_values dates = {0}, langs = {0};
    int rc = column_values_read(&seg->fields.date, &dates);
    if (rc == KZ_OK) rc = column_values_read(&seg->fields.lang, &langs);
    for (uint32_t d = 0; d < seg->ndocs && rc == KZ_OK; d++) {
        kz_doc_entry e;
        rc = kz_segment_doc(seg, &docs, d, &e);
        if (rc == KZ_OK && e.npassages == 0) rc = corrupt(seg, "a document without passages");
        int date = 0, lang = 0;
        const char *name;
        size_t name_len;
        if (rc == KZ_OK) rc = same_value(&seg->fields.date, &dates, d, e.date, e.date_len, &date);
        if (rc == KZ_OK) rc = same_value(&seg->fields.lang, &langs, d, e.lang, e.lang_len, &lang);
        if (rc == KZ_OK) rc = kz_fields_names_next(&names, &name, &name_len);
        if (rc == KZ_OK && (!date || !lang || name_len != e.name_len ||
                            (name_len > 0 && memcmp(name, e.name, name_len) != 0)))
            rc = corrupt(seg, "FIELDS disagrees with a document record");
    }
    if (rc == KZ_OK && names.p != names.end) rc = corrupt(seg, "FIELDS has bytes after the names");
    column_values_free(&dates);
    column_values_free(&langs);
    kz_fields_names_free(&names);
    kz_store_reader_free(&docs);
    if (rc < 0) return kz_fail_context(rc, "segment %s", seg->path);
    return KZ_OK;
}

int kz_segment_verify(const kz_segment *seg)
{
    static const char *names[KZ_SEC_COUNT] = {"",           "META",    "TERMS", "POSTINGS",
                                              "POSITIONS",  "LENGTHS", "DOCS",  "STORE",
                                              "DOC_STARTS", "SOURCES", "FIELDS"};
    for (int k = 1; k < KZ_SEC_COUNT; k++) {
        const kz_section *s = &seg->sections[k];
        if (XXH3_64bits(seg->map + s->offset, s->length) != s->checksum)
            return kz_fail(KZ_ECORRUPT, "segment %s: checksum mismatch in section %s", seg->path,
                           names[k]);
    }
    KZ_TRY(verify_documents(seg));
    kz_store_reader passages;
    kz_segment_passage_reader(seg, &passages);
    int rc = KZ_OK;
    for (uint32_t p = 0; p < seg->npassages && rc == KZ_OK; p++) {
        kz_passage_record r;
        rc = kz_segment_passage(seg, &passages, p, &r);
    }
    kz_store_reader_free(&passages);
    KZ_TRY(rc);
    uint64_t total;
    if (kz_lengths_verify(&seg->lengths, &total) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s", seg->path);
    if (total != seg->total_len) return corrupt(seg, "passage lengths do not add up");
    if (kz_termdict_verify(&seg->terms) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s: term dictionary", seg->path);
    if (kz_store_verify(&seg->store) < 0)
        return kz_fail_context(KZ_ECORRUPT, "segment %s: stored passages", seg->path);
    return verify_postings(seg);
}
