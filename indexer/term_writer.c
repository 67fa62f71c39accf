/* term_writer.c - the terms of a new segment (see term_writer.h).
 *
 * Invariants: terms reach the dictionary in strictly increasing memcmp order: the words as
 * added, then the pairs (whose terms start with 0xFF, after every word) in the pair writer's
 * order; each term's info points into the segment's POSTINGS and POSITIONS sections. */
#include "term_writer.h"

#include "error.h"
#include "pair_writer.h"
#include "pairs.h"
#include "postings.h"
#include "termdict.h"

#include <stdlib.h>

struct kz_term_writer {
    kz_segment_parts *parts;
    const uint32_t *lengths;
    kz_termdict_writer *dict;
    uint64_t nterms;
};

int kz_term_writer_new(kz_term_writer **out, kz_segment_parts *parts, const uint32_t *lengths)
{
    *out = NULL;
    kz_term_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return KZ_ENOMEM_FAIL();
    w->parts = parts;
    w->lengths = lengths;
    int rc = kz_termdict_writer_new(&w->dict);
    if (rc < 0) {
        free(w);
        return rc;
    }
    *out = w;
    return KZ_OK;
}

void kz_term_writer_free(kz_term_writer *w)
{
    if (w == NULL) return;
    kz_termdict_writer_free(w->dict);
    free(w);
}

int kz_term_list_encode(kz_buf *postings, kz_buf *positions, const uint32_t *lengths,
                        const uint32_t *docs, const uint32_t *tfs, const uint32_t *pos, size_t n,
                        kz_term_info *info)
{
    *info = (kz_term_info){.df = (uint32_t)n, .doc_off = postings->len, .pos_off = positions->len};
    for (size_t i = 0; i < n; i++) info->cf += tfs[i];
    size_t doc_bytes, pos_bytes;
    KZ_TRY(kz_postings_encode(postings, positions, docs, tfs, pos, n, lengths, &doc_bytes,
                              &pos_bytes));
    info->doc_len = doc_bytes;
    info->pos_len = pos_bytes;
    return KZ_OK;
}

int kz_term_writer_add(kz_term_writer *w, const char *term, size_t len, const uint32_t *docs,
                       const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    if (len > 0 && (unsigned char)term[0] == KZ_PAIR_MARK)
        return kz_fail(KZ_EINVAL, "a term starts with byte 0xFF, which marks word pairs");
    kz_term_info info;
    KZ_TRY(kz_term_list_encode(&w->parts->sec[KZ_SEC_POSTINGS], &w->parts->sec[KZ_SEC_POSITIONS],
                               w->lengths, docs, tfs, positions, n, &info));
    KZ_TRY(kz_termdict_writer_add(w->dict, term, len, &info));
    w->nterms++;
    return KZ_OK;
}

/* The pair writer's lists go after the words' in each section, as its continuation (moved, not
 * copied), so each pair's offsets move by the words' bytes there. */
static int add_pairs(kz_term_writer *w, kz_pair_writer *pw)
{
    const uint64_t doc_base = w->parts->sec[KZ_SEC_POSTINGS].len,
                   pos_base = w->parts->sec[KZ_SEC_POSITIONS].len;
    kz_pair_writer_take_lists(pw, &w->parts->more[KZ_SEC_POSTINGS],
                              &w->parts->more[KZ_SEC_POSITIONS]);
    const size_t n = kz_pair_writer_count(pw);
    for (size_t i = 0; i < n; i++) {
        const char *term;
        size_t len;
        kz_term_info info;
        kz_pair_writer_term(pw, i, &term, &len, &info);
        info.doc_off += doc_base;
        info.pos_off += pos_base;
        KZ_TRY(kz_termdict_writer_add(w->dict, term, len, &info));
        w->nterms++;
    }
    return KZ_OK;
}

int kz_term_writer_finish(kz_term_writer *w, kz_pair_writer *pairs, uint64_t *nterms)
{
    if (pairs != NULL) KZ_TRY(add_pairs(w, pairs));
    KZ_TRY(kz_termdict_writer_finish(w->dict, &w->parts->sec[KZ_SEC_TERMS]));
    *nterms = w->nterms;
    return KZ_OK;
}
