/* term_writer.c - word and pair terms of a new segment (see term_writer.h).
 *
 * Pairs are derived from the common words' occurrences in three linear passes:
 *   1. regroup the occurrences by passage (a counting sort on the passage id) and sort each
 *      passage's few of them by position;
 *   2. walk each passage in position order and emit (pair, passage, position) for each common
 *      word at q and common word at q + 1; pairs get dense ids in order of first appearance from
 *      a hash table keyed by (word a, word b);
 *   3. order the pairs by (a, b), which is their terms' order since word ids follow the words'
 *      order, and regroup the emissions by pair with a stable counting sort: each pair's
 *      postings stay in (passage, position) order, as the encoder takes them.
 *
 * Invariants: word ids follow the words' memcmp order; occ holds the common words' (passage,
 * position) occurrences word after word, and word_occ[w] is the first of word w's; per_doc[d]
 * counts passage d's occurrences. A term's positions within a passage are strictly increasing
 * (the inverter counts a word seen twice at one position once), so a pair's are too. */
#include "term_writer.h"

#include "error.h"
#include "pairs.h"
#include "postings.h"
#include "termdict.h"

#include <stdlib.h>
#include <string.h>

struct kz_term_writer {
    kz_segment_parts *parts;
    const uint32_t *lengths;
    uint32_t npassages, threshold;
    kz_termdict_writer *dict;
    uint64_t nterms;
    uint32_t nwords;   /* common words */
    kz_buf words;      /* their bytes, concatenated */
    kz_buf word_off;   /* u32 per common word, and one more: where its bytes start */
    kz_buf word_occ;   /* u32 per common word, and one more: its first occurrence in occ */
    kz_buf occ;        /* u32 pairs (passage, position) */
    uint32_t *per_doc; /* npassages counters; allocated with the first common word */
};

int kz_term_writer_new(kz_term_writer **out, kz_segment_parts *parts, const uint32_t *lengths,
                       uint32_t npassages, uint32_t pair_min_df)
{
    *out = NULL;
    kz_term_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return KZ_ENOMEM_FAIL();
    w->parts = parts;
    w->lengths = lengths;
    w->npassages = npassages;
    w->threshold = kz_pair_threshold(npassages, pair_min_df);
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
    kz_buf_free(&w->words);
    kz_buf_free(&w->word_off);
    kz_buf_free(&w->word_occ);
    kz_buf_free(&w->occ);
    free(w->per_doc);
    free(w);
}

static const uint32_t *u32s(const kz_buf *b)
{
    return (const uint32_t *)(const void *)b->data;
}

/* Keeps a common word's occurrences for the pairs. */
static int keep_word(kz_term_writer *w, const char *term, size_t len, const uint32_t *docs,
                     const uint32_t *tfs, const uint32_t *positions, size_t n, uint64_t cf)
{
    if (w->per_doc == NULL) {
        w->per_doc = calloc((size_t)w->npassages + 1, sizeof *w->per_doc);
        if (w->per_doc == NULL) return KZ_ENOMEM_FAIL();
        KZ_TRY(kz_buf_append_u32le(&w->word_off, 0));
        KZ_TRY(kz_buf_append_u32le(&w->word_occ, 0));
    }
    uint64_t total = w->occ.len / 8 + cf;
    if (total > UINT32_MAX || w->words.len + len > UINT32_MAX)
        return kz_fail(KZ_ENOMEM, "too many occurrences of common words in one segment");
    for (size_t i = 0; i < n; i++)
        if (docs[i] >= w->npassages)
            return kz_fail(KZ_EINVAL, "posting of passage %u in a segment of %u", docs[i],
                           w->npassages);
    KZ_TRY(kz_buf_reserve(&w->occ, cf * 8));
    KZ_TRY(kz_buf_reserve(&w->words, len));
    KZ_TRY(kz_buf_reserve(&w->word_off, 4));
    KZ_TRY(kz_buf_reserve(&w->word_occ, 4));
    uint32_t *o = (uint32_t *)(void *)(w->occ.data + w->occ.len);
    const uint32_t *p = positions;
    for (size_t i = 0; i < n; i++) {
        w->per_doc[docs[i]] += tfs[i];
        for (uint32_t j = 0; j < tfs[i]; j++) {
            *o++ = docs[i];
            *o++ = *p++;
        }
    }
    w->occ.len += cf * 8;
    KZ_TRY(kz_buf_append(&w->words, term, len));
    KZ_TRY(kz_buf_append_u32le(&w->word_off, (uint32_t)w->words.len));
    KZ_TRY(kz_buf_append_u32le(&w->word_occ, (uint32_t)(w->occ.len / 8)));
    w->nwords++;
    return KZ_OK;
}

int kz_term_writer_add(kz_term_writer *w, const char *term, size_t len, const uint32_t *docs,
                       const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    if (len > 0 && (unsigned char)term[0] == KZ_PAIR_MARK)
        return kz_fail(KZ_EINVAL, "a term starts with byte 0xFF, which marks word pairs");
    kz_segment_parts *parts = w->parts;
    kz_term_info info = {0};
    info.df = (uint32_t)n;
    for (size_t i = 0; i < n; i++) info.cf += tfs[i];
    info.doc_off = parts->sec[KZ_SEC_POSTINGS].len;
    info.pos_off = parts->sec[KZ_SEC_POSITIONS].len;
    size_t doc_bytes, pos_bytes;
    KZ_TRY(kz_postings_encode(&parts->sec[KZ_SEC_POSTINGS], &parts->sec[KZ_SEC_POSITIONS], docs,
                              tfs, positions, n, w->lengths, &doc_bytes, &pos_bytes));
    info.doc_len = doc_bytes;
    info.pos_len = pos_bytes;
    KZ_TRY(kz_termdict_writer_add(w->dict, term, len, &info));
    w->nterms++;
    if (w->threshold == 0 || n < w->threshold || positions == NULL || !kz_pair_word(term, len))
        return KZ_OK;
    return keep_word(w, term, len, docs, tfs, positions, n, info.cf);
}

/* ---- pairs ---- */

/* One occurrence of a pair: its dense id, passage and position. */
typedef struct emission {
    uint32_t pair, doc, pos;
} emission;

/* (word a, word b) -> dense pair id, open addressing; keys are a * nwords + b + 1 (0: empty). */
typedef struct pair_table {
    uint64_t *keys;
    uint32_t *ids;
    size_t cap, n;
    uint64_t *key_of; /* per dense id: its key - 1 */
    uint32_t *count;  /* per dense id: its occurrences */
    size_t ids_cap;
} pair_table;

static void pair_table_free(pair_table *t)
{
    free(t->keys);
    free(t->ids);
    free(t->key_of);
    free(t->count);
}

static size_t slot_of(uint64_t key, size_t cap)
{
    key *= 0x9E3779B97F4A7C15u; /* Fibonacci hashing: the high bits mix every key bit */
    return (size_t)(key >> 32) & (cap - 1);
}

static int pair_table_grow(pair_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys);
    uint32_t *ids = malloc(cap * sizeof *ids);
    if (keys == NULL || ids == NULL) {
        free(keys);
        free(ids);
        return KZ_ENOMEM_FAIL();
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (t->keys[i] == 0) continue;
        size_t s = slot_of(t->keys[i], cap);
        while (keys[s]) s = (s + 1) & (cap - 1);
        keys[s] = t->keys[i];
        ids[s] = t->ids[i];
    }
    free(t->keys);
    free(t->ids);
    t->keys = keys;
    t->ids = ids;
    t->cap = cap;
    return KZ_OK;
}

/* The dense id of pair key (a * nwords + b), counting one more occurrence of it. */
static int pair_table_hit(pair_table *t, uint64_t key, uint32_t *id)
{
    if ((t->n + 1) * 2 > t->cap) KZ_TRY(pair_table_grow(t));
    size_t s = slot_of(key + 1, t->cap);
    for (;; s = (s + 1) & (t->cap - 1)) {
        if (t->keys[s] == key + 1) {
            *id = t->ids[s];
            t->count[*id]++;
            return KZ_OK;
        }
        if (t->keys[s] == 0) break;
    }
    if (t->n == UINT32_MAX) return kz_fail(KZ_ENOMEM, "too many word pairs in one segment");
    if (t->n == t->ids_cap) {
        size_t cap = t->ids_cap ? t->ids_cap * 2 : 1024;
        uint64_t *key_of = realloc(t->key_of, cap * sizeof *key_of);
        if (key_of == NULL) return KZ_ENOMEM_FAIL();
        t->key_of = key_of;
        uint32_t *count = realloc(t->count, cap * sizeof *count);
        if (count == NULL) return KZ_ENOMEM_FAIL();
        t->count = count;
        t->ids_cap = cap;
    }
    *id = (uint32_t)t->n++;
    t->keys[s] = key + 1;
    t->ids[s] = *id;
    t->key_of[*id] = key;
    t->count[*id] = 1;
    return KZ_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts a passage's occurrences, (position << 32 | word), ascending: insertion for the usual
 * few, qsort for a long passage. */
static void sort_passage(uint64_t *e, size_t m)
{
    if (m > 32) {
        qsort(e, m, sizeof *e, cmp_u64);
        return;
    }
    for (size_t i = 1; i < m; i++) {
        uint64_t x = e[i];
        size_t k = i;
        for (; k > 0 && e[k - 1] > x; k--) e[k] = e[k - 1];
        e[k] = x;
    }
}

/* Pass 1: the occurrences by passage, each passage's in position order. first[d] is passage
 * d's first entry in *out (npassages + 1 of them). Frees the word-major occurrences. */
static int by_passage(kz_term_writer *w, uint64_t **out, uint32_t **first_out)
{
    size_t nocc = w->occ.len / 8;
    uint64_t *fwd = malloc((nocc ? nocc : 1) * sizeof *fwd);
    uint32_t *first = malloc(((size_t)w->npassages + 1) * sizeof *first);
    if (fwd == NULL || first == NULL) {
        free(fwd);
        free(first);
        return KZ_ENOMEM_FAIL();
    }
    uint32_t *fill = w->per_doc, at = 0;
    for (uint32_t d = 0; d < w->npassages; d++) {
        first[d] = at;
        at += fill[d];
        fill[d] = first[d];
    }
    first[w->npassages] = at;
    const uint32_t *occ = u32s(&w->occ), *word_occ = u32s(&w->word_occ);
    for (uint32_t word = 0; word < w->nwords; word++)
        for (uint32_t k = word_occ[word]; k < word_occ[word + 1]; k++)
            fwd[fill[occ[2 * k]]++] = (uint64_t)occ[2 * k + 1] << 32 | word;
    kz_buf_free(&w->occ);
    for (uint32_t d = 0; d < w->npassages; d++)
        sort_passage(fwd + first[d], first[d + 1] - first[d]);
    *out = fwd;
    *first_out = first;
    return KZ_OK;
}

/* Pass 2: every (common word at q, common word at q + 1) of every passage. */
static int emit_pairs(const kz_term_writer *w, const uint64_t *fwd, const uint32_t *first,
                      pair_table *t, kz_buf *emitted)
{
    const uint32_t *off = u32s(&w->word_off);
    for (uint32_t d = 0; d < w->npassages; d++) {
        const uint64_t *e = fwd + first[d];
        size_t m = first[d + 1] - first[d], next = 0;
        for (size_t i = 0; i < m; i++) {
            uint32_t q = (uint32_t)(e[i] >> 32), a = (uint32_t)e[i];
            if (q == UINT32_MAX) break;
            while (next < m && (uint32_t)(e[next] >> 32) <= q) next++;
            for (size_t k = next; k < m && (uint32_t)(e[k] >> 32) == q + 1; k++) {
                uint32_t b = (uint32_t)e[k];
                if ((size_t)(off[a + 1] - off[a]) + (off[b + 1] - off[b]) + 2 > KZ_TERM_MAX)
                    continue; /* kz_pair_indexed says no: the term would be too long */
                emission em = {0, d, q};
                KZ_TRY(pair_table_hit(t, (uint64_t)a * w->nwords + b, &em.pair));
                KZ_TRY(kz_buf_append(emitted, &em, sizeof em));
            }
        }
    }
    return KZ_OK;
}

typedef struct ranked {
    uint64_t key;
    uint32_t id;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    uint64_t x = ((const ranked *)a)->key, y = ((const ranked *)b)->key;
    return (x > y) - (x < y);
}

/* Encodes one pair's list: its emissions' passages and positions, (passage, position) ordered. */
static int write_pair(kz_term_writer *w, uint64_t key, const uint32_t *docs, const uint32_t *pos,
                      size_t m, uint32_t *udocs, uint32_t *tfs)
{
    size_t n = 0;
    for (size_t j = 0; j < m; j++) {
        if (n > 0 && udocs[n - 1] == docs[j]) {
            tfs[n - 1]++;
            continue;
        }
        udocs[n] = docs[j];
        tfs[n++] = 1;
    }
    const uint32_t *off = u32s(&w->word_off);
    uint32_t a = (uint32_t)(key / w->nwords), b = (uint32_t)(key % w->nwords);
    const char *words = (const char *)w->words.data;
    char term[KZ_TERM_MAX];
    size_t len = kz_pair_term(term, words + off[a], off[a + 1] - off[a], words + off[b],
                              off[b + 1] - off[b]);
    kz_segment_parts *parts = w->parts;
    kz_term_info info = {0};
    info.df = (uint32_t)n;
    info.cf = m;
    info.doc_off = parts->sec[KZ_SEC_POSTINGS].len;
    info.pos_off = parts->sec[KZ_SEC_POSITIONS].len;
    size_t doc_bytes, pos_bytes;
    KZ_TRY(kz_postings_encode(&parts->sec[KZ_SEC_POSTINGS], &parts->sec[KZ_SEC_POSITIONS], udocs,
                              tfs, pos, n, w->lengths, &doc_bytes, &pos_bytes));
    info.doc_len = doc_bytes;
    info.pos_len = pos_bytes;
    KZ_TRY(kz_termdict_writer_add(w->dict, term, len, &info));
    w->nterms++;
    return KZ_OK;
}

/* Pass 3 and the writing: the pairs in the order of their terms, each with its postings. */
static int write_pairs(kz_term_writer *w, const pair_table *t, const emission *em, size_t nem)
{
    if (nem > UINT32_MAX) return kz_fail(KZ_ENOMEM, "too many word pairs in one segment");
    int rc = KZ_OK;
    size_t np = t->n ? t->n : 1, ne = nem ? nem : 1, most = 1;
    ranked *order = malloc(np * sizeof *order);
    uint32_t *fill = malloc(np * sizeof *fill);
    uint32_t *docs = malloc(ne * sizeof *docs), *pos = malloc(ne * sizeof *pos);
    uint32_t *udocs = NULL, *tfs = NULL;
    if (order == NULL || fill == NULL || docs == NULL || pos == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    for (size_t i = 0; i < t->n; i++) order[i] = (ranked){t->key_of[i], (uint32_t)i};
    qsort(order, t->n, sizeof *order, cmp_ranked);
    uint32_t at = 0;
    for (size_t r = 0; r < t->n; r++) {
        uint32_t c = t->count[order[r].id];
        fill[order[r].id] = at;
        at += c;
        if (c > most) most = c;
    }
    for (size_t i = 0; i < nem; i++) { /* stable: each pair keeps (passage, position) order */
        uint32_t s = fill[em[i].pair]++;
        docs[s] = em[i].doc;
        pos[s] = em[i].pos;
    }
    udocs = malloc(most * sizeof *udocs);
    tfs = malloc(most * sizeof *tfs);
    if (udocs == NULL || tfs == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    at = 0;
    for (size_t r = 0; r < t->n; r++) {
        uint32_t c = t->count[order[r].id];
        KZ_CHECK(write_pair(w, order[r].key, docs + at, pos + at, c, udocs, tfs));
        at += c;
    }
done:
    free(order);
    free(fill);
    free(docs);
    free(pos);
    free(udocs);
    free(tfs);
    return rc;
}

static int add_pairs(kz_term_writer *w)
{
    uint64_t *fwd = NULL;
    uint32_t *first = NULL;
    pair_table t = {0};
    kz_buf emitted = KZ_BUF_INIT;
    int rc = by_passage(w, &fwd, &first);
    KZ_CHECK(rc);
    KZ_CHECK(emit_pairs(w, fwd, first, &t, &emitted));
    free(fwd);
    free(first);
    fwd = NULL;
    first = NULL;
    KZ_CHECK(write_pairs(w, &t, (const emission *)(const void *)emitted.data,
                         emitted.len / sizeof(emission)));
done:
    free(fwd);
    free(first);
    pair_table_free(&t);
    kz_buf_free(&emitted);
    return rc;
}

int kz_term_writer_finish(kz_term_writer *w, uint64_t *nterms, uint32_t *pair_threshold)
{
    if (w->nwords > 0) KZ_TRY(add_pairs(w));
    KZ_TRY(kz_termdict_writer_finish(w->dict, &w->parts->sec[KZ_SEC_TERMS]));
    *nterms = w->nterms;
    *pair_threshold = w->threshold;
    return KZ_OK;
}
