/* merge.c - merging segments into one, dropping deleted passages.
 *
 * The inputs are taken in the order given; their live passages get new ids in that order, so
 * each input's postings map to an increasing, disjoint id range and a term's merged list is the
 * concatenation of its remapped lists. Terms are merged by a k-way walk of the inputs' term
 * dictionaries (each sorted); a term whose every posting was deleted disappears, and word pairs
 * are derived again for the merged segment (pair_writer.h). Documents and
 * stored passages are copied with their ordinals renumbered; documents are deleted whole, so a
 * document is either copied with all its passages or dropped. */
#include "writer_internal.h"

#include "doc_table.h"
#include "error.h"
#include "lengths.h"
#include "postings.h"
#include "pair_writer.h"
#include "pairs.h"
#include "store.h"
#include "term_writer.h"
#include "termdict.h"

#include <stdlib.h>
#include <string.h>

typedef struct input {
    const kz_segment *seg;
    const kz_deletes *dels;
    uint32_t *map; /* old passage id -> new id, or KZ_DOC_END when deleted */
    kz_termdict_iter it;
    const char *term;
    size_t term_len;
    kz_term_info info;
    int done;
} input;

typedef struct growable {
    uint32_t *v;
    size_t n, cap;
} growable;

static int reserve(growable *g, size_t extra)
{
    if (g->cap - g->n >= extra) return KZ_OK;
    size_t cap = g->cap ? g->cap : 1024;
    while (cap - g->n < extra) cap *= 2;
    uint32_t *v = realloc(g->v, cap * sizeof *v);
    if (v == NULL) return KZ_ENOMEM_FAIL();
    g->v = v;
    g->cap = cap;
    return KZ_OK;
}

static int push(growable *g, uint32_t x)
{
    KZ_TRY(reserve(g, 1));
    g->v[g->n++] = x;
    return KZ_OK;
}

static int advance_input(input *in)
{
    int rc = kz_termdict_iter_next(&in->it, &in->term, &in->term_len, &in->info);
    if (rc == KZ_ITEROVER) {
        in->done = 1;
        return KZ_OK;
    }
    return rc;
}

static int cmp_terms(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

/* Copies documents, stored passages and lengths; fills the id maps. */
static int copy_documents(input *ins, uint32_t n, kz_segment_parts *parts, growable *lengths,
                          uint32_t *ndocs_out)
{
    kz_store_writer *store = NULL;
    kz_doc_table docs;
    kz_store_reader doc_reader = {0}, passage_reader = {0};
    kz_buf out = KZ_BUF_INIT;
    int rc = kz_doc_table_init(&docs);
    KZ_CHECK(rc);
    KZ_CHECK(kz_store_writer_new(&store));
    for (uint32_t i = 0; i < n; i++) {
        const kz_segment *seg = ins[i].seg;
        kz_store_reader_free(&doc_reader);
        kz_store_reader_free(&passage_reader);
        kz_segment_doc_reader(seg, &doc_reader);
        kz_segment_passage_reader(seg, &passage_reader);
        for (uint32_t d = 0; d < seg->ndocs; d++) {
            kz_doc_entry e;
            KZ_CHECK(kz_segment_doc(seg, &doc_reader, d, &e));
            if (e.npassages == 0 || kz_deletes_has(ins[i].dels, e.first_passage)) continue;
            uint32_t first = (uint32_t)lengths->n;
            for (uint32_t p = e.first_passage; p < e.first_passage + e.npassages; p++) {
                kz_passage_record r;
                KZ_CHECK(kz_segment_passage(seg, &passage_reader, p, &r));
                r.doc = docs.ndocs;
                kz_buf_clear(&out);
                KZ_CHECK(kz_passage_record_encode(&out, &r));
                KZ_CHECK(kz_store_writer_add(store, out.data, out.len));
                ins[i].map[p] = (uint32_t)lengths->n;
                KZ_CHECK(push(lengths, kz_length(&seg->lengths, p)));
            }
            e.first_passage = first;
            KZ_CHECK(kz_doc_table_add(&docs, &e));
        }
    }
    *ndocs_out = docs.ndocs;
    KZ_CHECK(kz_doc_table_finish(&docs, parts));
    KZ_CHECK(
        kz_store_writer_finish_split(store, &parts->sec[KZ_SEC_STORE], &parts->more[KZ_SEC_STORE]));
done:
    kz_store_writer_free(store);
    kz_doc_table_free(&docs);
    kz_store_reader_free(&doc_reader);
    kz_store_reader_free(&passage_reader);
    kz_buf_free(&out);
    return rc;
}

/* Appends the live postings of one input's list for the current term. */
static int gather(const input *in, growable *docs, growable *tfs, growable *pos)
{
    const kz_segment *seg = in->seg;
    const kz_term_info *t = &in->info;
    if (t->doc_off > seg->postings_len || t->doc_len > seg->postings_len - t->doc_off ||
        t->pos_off > seg->positions_len || t->pos_len > seg->positions_len - t->pos_off)
        return kz_fail(KZ_ECORRUPT, "segment %s: term information out of bounds", seg->path);
    kz_postings_cursor c;
    KZ_TRY(kz_postings_open(&c, seg->postings + t->doc_off, t->doc_len, seg->positions + t->pos_off,
                            t->pos_len, t->df));
    while (c.doc != KZ_DOC_END) {
        if (c.doc >= seg->npassages)
            return kz_fail(KZ_ECORRUPT, "segment %s: posting out of range", seg->path);
        uint32_t to = in->map[c.doc];
        if (to != KZ_DOC_END) {
            uint32_t tf;
            KZ_TRY(kz_postings_freq(&c, &tf));
            KZ_TRY(push(docs, to));
            KZ_TRY(push(tfs, tf));
            KZ_TRY(reserve(pos, tf));
            KZ_TRY(kz_postings_positions(&c, pos->v + pos->n));
            pos->n += tf;
        }
        KZ_TRY(kz_postings_next(&c));
    }
    return KZ_OK;
}

/* Merges the inputs' word terms into the term writer, and derives the merged segment's pairs
 * afresh (its dfs and threshold are its own) from the same lists; the inputs' pair terms, which
 * sort after every word, end the walk. */
static int merge_terms(input *ins, uint32_t n, kz_segment_parts *parts, const uint32_t *lengths,
                       uint32_t npassages, uint32_t pair_min_df, uint64_t *nterms,
                       uint32_t *pair_threshold)
{
    kz_term_writer *tw = NULL;
    kz_pair_writer *pw = NULL;
    growable docs = {0}, tfs = {0}, pos = {0};
    int rc = KZ_OK;
    *pair_threshold = kz_pair_threshold(npassages, pair_min_df);
    KZ_CHECK(kz_term_writer_new(&tw, parts, lengths));
    KZ_CHECK(kz_pair_writer_new(&pw, lengths, npassages, *pair_threshold));
    for (uint32_t i = 0; i < n; i++) {
        KZ_CHECK(kz_termdict_iter_init(&ins[i].it, &ins[i].seg->terms, NULL, 0));
        KZ_CHECK(advance_input(&ins[i]));
    }
    for (;;) {
        const input *min = NULL;
        for (uint32_t i = 0; i < n; i++)
            if (!ins[i].done && (min == NULL || cmp_terms(ins[i].term, ins[i].term_len, min->term,
                                                          min->term_len) < 0))
                min = &ins[i];
        if (min == NULL || (min->term_len > 0 && (unsigned char)min->term[0] == KZ_PAIR_MARK))
            break;
        char term[KZ_TERM_MAX + 1];
        size_t len = min->term_len;
        memcpy(term, min->term, len);
        docs.n = tfs.n = pos.n = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (ins[i].done || cmp_terms(ins[i].term, ins[i].term_len, term, len) != 0) continue;
            KZ_CHECK(gather(&ins[i], &docs, &tfs, &pos));
            KZ_CHECK(advance_input(&ins[i]));
        }
        if (docs.n == 0) continue;
        KZ_CHECK(kz_term_writer_add(tw, term, len, docs.v, tfs.v, pos.v, docs.n));
        KZ_CHECK(kz_pair_writer_add(pw, term, len, docs.v, tfs.v, pos.v, docs.n));
    }
    KZ_CHECK(kz_pair_writer_derive(pw));
    KZ_CHECK(kz_term_writer_finish(tw, pw, nterms));
done:
    kz_term_writer_free(tw);
    kz_pair_writer_free(pw);
    free(docs.v);
    free(tfs.v);
    free(pos.v);
    return rc;
}

int kz_merge_segments(kz_writer *w, const uint32_t *which, uint32_t n, uint64_t new_id,
                      uint32_t *npassages)
{
    *npassages = 0;
    input *ins = calloc(n, sizeof *ins);
    kz_segment_parts parts = {0};
    growable lengths = {0};
    int rc = KZ_OK;
    if (ins == NULL) return KZ_ENOMEM_FAIL();
    for (uint32_t i = 0; i < n; i++) {
        const kz_writer_segment *ws = &w->segs[which[i]];
        ins[i].seg = ws->seg;
        ins[i].dels = ws->dels.bits ? &ws->dels : NULL;
        ins[i].map = malloc(((size_t)ws->seg->npassages + 1) * sizeof *ins[i].map);
        if (ins[i].map == NULL) {
            rc = KZ_ENOMEM_FAIL();
            goto done;
        }
        for (uint32_t p = 0; p < ws->seg->npassages; p++) ins[i].map[p] = KZ_DOC_END;
    }
    uint32_t ndocs;
    KZ_CHECK(copy_documents(ins, n, &parts, &lengths, &ndocs));
    if (lengths.n == 0) goto done; /* nothing live: no segment */
    uint64_t nterms = 0, total = 0;
    uint32_t pair_threshold;
    KZ_CHECK(merge_terms(ins, n, &parts, lengths.v, (uint32_t)lengths.n, w->pair_min_df, &nterms,
                         &pair_threshold));
    for (size_t i = 0; i < lengths.n; i++) total += lengths.v[i];
    KZ_CHECK(kz_lengths_encode(&parts.sec[KZ_SEC_LENGTHS], lengths.v, (uint32_t)lengths.n));
    KZ_CHECK(kz_segment_meta(&parts.sec[KZ_SEC_META], (uint32_t)lengths.n, ndocs, total, nterms,
                             pair_threshold));
    KZ_CHECK(kz_segment_file_write(w->dir, new_id, &parts, NULL));
    *npassages = (uint32_t)lengths.n;
done:
    for (uint32_t i = 0; i < n; i++) free(ins[i].map);
    free(ins);
    free(lengths.v);
    kz_segment_parts_free(&parts);
    return rc;
}
