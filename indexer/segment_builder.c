/* segment_builder.c - analysed documents to segment sections (see segment_builder.h).
 *
 * Finishing a segment compresses the stored passages on a helper thread and derives the word
 * pairs on another while this thread writes the words' lists: each of the three is serial, and
 * one after the other they left a core idle for most of the finish (the pairs took 0.6 s of a
 * 5.2 s build of the benchmark collection, after the words).
 *
 * Invariant: lengths.len / 4 == passages ended; the document table holds every ended document;
 * doc_first is the first passage of the document being built. */
#include "segment_builder.h"

#include "doc_table.h"
#include "error.h"
#include "inverter.h"
#include "lengths.h"
#include "pair_writer.h"
#include "pairs.h"
#include "store.h"
#include "term_writer.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kz_segment_builder {
    kz_inverter *inv;
    kz_store_writer *store;
    kz_doc_table docs;
    kz_buf lengths; /* u32 per passage, native order in memory */
    kz_buf record;  /* scratch for one passage record */
    uint32_t doc_first;
    uint64_t total_len;
    uint32_t pair_min_df;
};

int kz_segment_builder_new(kz_segment_builder **out, uint32_t pair_min_df)
{
    kz_segment_builder *b = calloc(1, sizeof *b);
    if (b == NULL) return KZ_ENOMEM_FAIL();
    b->pair_min_df = pair_min_df;
    int rc = kz_inverter_new(&b->inv);
    if (rc == KZ_OK) rc = kz_store_writer_new(&b->store);
    if (rc == KZ_OK) rc = kz_doc_table_init(&b->docs);
    if (rc < 0) {
        kz_segment_builder_free(b);
        return rc;
    }
    *out = b;
    return KZ_OK;
}

void kz_segment_builder_free(kz_segment_builder *b)
{
    if (b == NULL) return;
    kz_inverter_free(b->inv);
    kz_store_writer_free(b->store);
    kz_doc_table_free(&b->docs);
    kz_buf_free(&b->lengths);
    kz_buf_free(&b->record);
    free(b);
}

int kz_segment_builder_token(kz_segment_builder *b, const char *term, size_t len, uint32_t position)
{
    return kz_inverter_add(b->inv, term, len, position);
}

int kz_segment_builder_tokens(kz_segment_builder *b, const kz_inverter_token *tokens, size_t n)
{
    return kz_inverter_add_tokens(b->inv, tokens, n);
}

int kz_segment_builder_end_passage(kz_segment_builder *b, const kz_passage_record *rec)
{
    uint32_t len;
    KZ_TRY(kz_inverter_end_passage(b->inv, &len));
    KZ_TRY(kz_buf_append(&b->lengths, &len, sizeof len));
    b->total_len += len;
    kz_passage_record r = *rec;
    r.doc = b->docs.ndocs;
    kz_buf_clear(&b->record);
    KZ_TRY(kz_passage_record_encode(&b->record, &r));
    return kz_store_writer_add(b->store, b->record.data, b->record.len);
}

int kz_segment_builder_end_doc(kz_segment_builder *b, const kz_doc_entry *doc)
{
    kz_doc_entry d = *doc;
    uint32_t npassages = kz_inverter_passages(b->inv);
    d.first_passage = b->doc_first;
    d.npassages = npassages - b->doc_first;
    KZ_TRY(kz_doc_table_add(&b->docs, &d));
    b->doc_first = npassages;
    return KZ_OK;
}

uint32_t kz_segment_builder_passages(const kz_segment_builder *b)
{
    return kz_inverter_passages(b->inv);
}

uint32_t kz_segment_builder_docs(const kz_segment_builder *b)
{
    return b->docs.ndocs;
}

size_t kz_segment_builder_memory(const kz_segment_builder *b)
{
    /* The stores keep their records uncompressed until the segment is written. */
    return kz_inverter_memory(b->inv) + b->lengths.cap + b->docs.starts.cap +
           b->docs.source_records.cap + kz_store_writer_memory(b->store) +
           kz_store_writer_memory(b->docs.records);
}

/* Hands the inverter's lists to the term writer. */
static int flush_term(void *ctx, const char *term, size_t len, const uint32_t *docs,
                      const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    return kz_term_writer_add(ctx, term, len, docs, tfs, positions, n);
}

/* The word pairs: the common words' walk and the derivation, on a helper thread while this one
 * writes the words (or on this one after them, when no thread can be made). */
typedef struct pair_job {
    const kz_inverter *inv;
    kz_pair_writer *pw;
    int rc;
    char msg[512]; /* the helper's error message (kz_errmsg is per thread) */
} pair_job;

static int keep_pair_word(void *ctx, const char *term, size_t len, const uint32_t *docs,
                          const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    return kz_pair_writer_add(ctx, term, len, docs, tfs, positions, n);
}

static void *run_pairs(void *arg)
{
    pair_job *j = arg;
    int rc = kz_inverter_walk(j->inv, kz_pair_writer_threshold(j->pw), keep_pair_word, j->pw);
    if (rc == KZ_OK) rc = kz_pair_writer_derive(j->pw);
    j->rc = rc;
    if (rc < 0) snprintf(j->msg, sizeof j->msg, "%s", kz_errmsg());
    return NULL;
}

int kz_segment_builder_finish(kz_segment_builder *b, kz_segment_parts *parts)
{
    int rc = KZ_OK, waiting = 1;
    kz_store_finish_job store;
    kz_store_finish_start(&store, b->store, &parts->sec[KZ_SEC_STORE], &parts->more[KZ_SEC_STORE]);
    uint32_t npassages = kz_inverter_passages(b->inv);
    uint32_t ndocs = b->docs.ndocs;
    const uint32_t *lengths = (const uint32_t *)b->lengths.data;
    uint32_t pair_threshold = kz_pair_threshold(npassages, b->pair_min_df);
    uint64_t nterms;
    kz_term_writer *tw = NULL;
    kz_pair_writer *pw = NULL;
    KZ_CHECK(kz_term_writer_new(&tw, parts, lengths));
    KZ_CHECK(kz_pair_writer_new(&pw, lengths, npassages, pair_threshold));
    pair_job pairs = {b->inv, pw, KZ_OK, ""};
    pthread_t helper;
    int helped = pair_threshold > 0 && pthread_create(&helper, NULL, run_pairs, &pairs) == 0;
    rc = kz_inverter_walk(b->inv, 0, flush_term, tw);
    if (helped)
        pthread_join(helper, NULL);
    else if (pair_threshold > 0 && rc == KZ_OK)
        run_pairs(&pairs);
    KZ_CHECK(rc);
    if (pairs.rc < 0) {
        rc = kz_fail(pairs.rc, "%s", pairs.msg);
        goto done;
    }
    KZ_CHECK(kz_term_writer_finish(tw, pw, &nterms));
    KZ_CHECK(kz_lengths_encode(&parts->sec[KZ_SEC_LENGTHS], lengths, npassages));
    KZ_CHECK(kz_doc_table_finish(&b->docs, parts));
    waiting = 0;
    KZ_CHECK(kz_store_finish_wait(&store));
    KZ_CHECK(kz_segment_meta(&parts->sec[KZ_SEC_META], npassages, ndocs, b->total_len, nterms,
                             pair_threshold));
    /* Start the next segment afresh. */
    kz_store_writer_free(b->store);
    b->store = NULL;
    kz_doc_table_free(&b->docs);
    KZ_CHECK(kz_store_writer_new(&b->store));
    KZ_CHECK(kz_doc_table_init(&b->docs));
    kz_inverter_reset(b->inv);
    kz_buf_clear(&b->lengths);
    b->doc_first = 0;
    b->total_len = 0;
done:
    if (waiting) kz_store_finish_discard(&store); /* an error above */
    kz_term_writer_free(tw);
    kz_pair_writer_free(pw);
    return rc;
}
