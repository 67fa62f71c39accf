/* pair_writer.c - the word-pair terms of a new segment (see pair_writer.h).
 *
 * Pairs are derived from the common words' occurrences, without sorting them:
 *   1. as each common word is added, its id is written into a slot per (passage, position): the
 *      segment's passages laid end to end, one slot per position (a passage's length is its
 *      largest position + 1). A second common word at an occupied position (alternatives, as
 *      jieba's search mode gives) goes to an overflow list instead;
 *   2. a scan over the slots, passage by passage, meets each pair occurrence (two occupied
 *      neighbours q and q + 1) in (passage, position) order; a passage with overflow entries
 *      takes a slower path that pairs every word at q with every word at q + 1. A first scan
 *      counts each pair's occurrences in a hash table keyed by (word a, word b), which gives
 *      pairs dense ids in order of first appearance, and rewrites the slots it has passed with
 *      the ids of the pairs found there (crowded passages keep their words);
 *   3. the pairs are ordered by (a, b), which is their terms' order since word ids follow the
 *      words' order, each gets its range in one array from the counts, and a second scan
 *      places every occurrence in its pair's range, reading its id from the slot (a counting
 *      sort, without storing the occurrences in between, and without a second lookup of each
 *      in a table larger than the caches): each pair's postings come out in (passage,
 *      position) order, as the encoder takes them.
 * The pairs' table is a plain array indexed by (a, b) when the common words are few enough for
 * it to be no larger than a hash table of the occurrences could grow (on the benchmark
 * collection, 992 words: 3.9 MB, against a 16 MB hash table whose every lookup missed the
 * caches); otherwise a hash table.
 *
 * Invariants: word ids follow the words' memcmp order; until the counting scan, slot[start[d] +
 * q] is 1 + the id of a common word at position q of passage d, or 0, and every other
 * occurrence of a common word is in overflow; after it, in a passage without overflow entries,
 * 1 + the dense id of the pair at q, or 0. A term's positions within a passage are strictly
 * increasing (the inverter counts a word seen twice at one position once), so a pair's are too.
 * The derived pairs' lists are encoded into the writer's own postings and positions buffers,
 * their terms and infos (offsets into those buffers) kept in order for kz_pair_writer_term. */
#include "pair_writer.h"

#include "error.h"
#include "pairs.h"
#include "term_writer.h"
#include "zeroed.h"

#include <stdlib.h>
#include <string.h>

struct kz_pair_writer {
    const uint32_t *lengths;
    uint32_t npassages, threshold;
    uint32_t nwords;      /* common words */
    kz_buf words;         /* their bytes, concatenated */
    kz_buf word_off;      /* u32 per common word, and one more: where its bytes start */
    uint64_t *start;      /* npassages + 1: passage d's first slot; with the first common word */
    uint32_t *slot;       /* start[npassages] slots */
    kz_buf overflow;      /* placed: common words' occurrences that found their slot taken */
    uint64_t occurrences; /* of common words, placed in slots or in overflow */
    /* the output */
    kz_buf postings, positions;
    kz_buf terms;    /* the pair terms' bytes, concatenated */
    kz_buf term_off; /* u32 per pair term, and one more: where its bytes start */
    kz_buf infos;    /* kz_term_info per pair term, offsets into postings and positions */
    int derived;
};

/* An occurrence of common word `word` at position pos of passage doc. */
typedef struct placed {
    uint32_t doc, pos, word;
} placed;

int kz_pair_writer_new(kz_pair_writer **out, const uint32_t *lengths, uint32_t npassages,
                       uint32_t threshold)
{
    *out = NULL;
    kz_pair_writer *w = calloc(1, sizeof *w);
    if (w == NULL) return KZ_ENOMEM_FAIL();
    w->lengths = lengths;
    w->npassages = npassages;
    w->threshold = threshold;
    *out = w;
    return KZ_OK;
}

void kz_pair_writer_free(kz_pair_writer *w)
{
    if (w == NULL) return;
    kz_buf_free(&w->words);
    kz_buf_free(&w->word_off);
    free(w->start);
    free(w->slot);
    kz_buf_free(&w->overflow);
    kz_buf_free(&w->postings);
    kz_buf_free(&w->positions);
    kz_buf_free(&w->terms);
    kz_buf_free(&w->term_off);
    kz_buf_free(&w->infos);
    free(w);
}

uint32_t kz_pair_writer_threshold(const kz_pair_writer *w)
{
    return w->threshold;
}

static const uint32_t *u32s(const kz_buf *b)
{
    return (const uint32_t *)(const void *)b->data;
}

/* Lays out one slot per position of every passage, on the first common word (a failed
 * attempt leaves nothing half made that a second one would trip on). */
static int make_slots(kz_pair_writer *w)
{
    if (w->word_off.len == 0) KZ_TRY(kz_buf_append_u32le(&w->word_off, 0));
    if (w->start == NULL) w->start = malloc(((size_t)w->npassages + 1) * sizeof *w->start);
    if (w->start == NULL) return KZ_ENOMEM_FAIL();
    uint64_t at = 0;
    for (uint32_t d = 0; d < w->npassages; d++) {
        w->start[d] = at;
        at += w->lengths[d];
    }
    w->start[w->npassages] = at;
    if (at > SIZE_MAX / sizeof *w->slot)
        return kz_fail(KZ_ENOMEM, "too many positions in one segment for word pairs");
    w->slot = kz_zeroed_alloc(at ? (size_t)at : 1, sizeof *w->slot);
    return w->slot ? KZ_OK : KZ_ENOMEM_FAIL();
}

/* How many postings ahead keep_word fetches the slots it will write. */
#define WORD_AHEAD 8

/* Places a common word's occurrences for the pairs. */
static int keep_word(kz_pair_writer *w, const char *term, size_t len, const uint32_t *docs,
                     const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    if (w->slot == NULL) KZ_TRY(make_slots(w));
    if (w->nwords == UINT32_MAX - 1 || w->words.len + len > UINT32_MAX)
        return kz_fail(KZ_ENOMEM, "too many common words in one segment");
    uint32_t id = w->nwords;
    const uint32_t *p = positions;
    for (size_t i = 0; i < n; i++) {
        /* A word's passages are spread over the whole slot array, and each slot would wait for
         * memory in turn: fetch the slots of the passage WORD_AHEAD postings on, and where they
         * start, twice as far on (start[] is read in order but with long strides). */
        if (i + 2 * WORD_AHEAD < n && docs[i + 2 * WORD_AHEAD] < w->npassages)
            __builtin_prefetch(&w->start[docs[i + 2 * WORD_AHEAD]]);
        if (i + WORD_AHEAD < n && docs[i + WORD_AHEAD] < w->npassages)
            __builtin_prefetch(w->slot + w->start[docs[i + WORD_AHEAD]]);
        uint32_t d = docs[i];
        if (d >= w->npassages)
            return kz_fail(KZ_EINVAL, "posting of passage %u in a segment of %u", d, w->npassages);
        uint32_t *s = w->slot + w->start[d];
        const uint64_t length = w->start[d + 1] - w->start[d]; /* lengths[d], on start's line */
        for (uint32_t j = 0; j < tfs[i]; j++, p++) {
            if (*p < length && s[*p] == 0) {
                s[*p] = id + 1;
                continue;
            }
            placed o = {d, *p, id};
            KZ_TRY(kz_buf_append(&w->overflow, &o, sizeof o));
        }
    }
    w->occurrences += (uint64_t)(p - positions);
    KZ_TRY(kz_buf_append(&w->words, term, len));
    KZ_TRY(kz_buf_append_u32le(&w->word_off, (uint32_t)w->words.len));
    w->nwords++;
    return KZ_OK;
}

int kz_pair_writer_add(kz_pair_writer *w, const char *term, size_t len, const uint32_t *docs,
                       const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    if (w->derived) return kz_fail(KZ_EINVAL, "word pairs: a word added after the derivation");
    if (w->threshold == 0 || n < w->threshold || positions == NULL || !kz_pair_word(term, len))
        return KZ_OK;
    return keep_word(w, term, len, docs, tfs, positions, n);
}

/* Encodes a pair's list into the writer's buffers and records its term and info. */
static int write_list(kz_pair_writer *w, const char *term, size_t len, const uint32_t *docs,
                      const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    kz_term_info info;
    KZ_TRY(kz_term_list_encode(&w->postings, &w->positions, w->lengths, docs, tfs, positions, n,
                               &info));
    if (w->term_off.len == 0) KZ_TRY(kz_buf_append_u32le(&w->term_off, 0));
    if (w->terms.len + len > UINT32_MAX)
        return kz_fail(KZ_ENOMEM, "too many word pairs in one segment");
    KZ_TRY(kz_buf_append(&w->terms, term, len));
    KZ_TRY(kz_buf_append_u32le(&w->term_off, (uint32_t)w->terms.len));
    return kz_buf_append(&w->infos, &info, sizeof info);
}

/* (word a, word b) -> dense pair id, with each id's key and count in arrays by id; a pair's key
 * is a * nwords + b. Either an array with a slot per key (direct), or open addressing on key + 1
 * (0: empty), whose probe reads key and id side by side, since each of the first scan's millions
 * of lookups misses the caches. Either way a hit then bumps its count, in an array of 4 bytes a
 * pair, far smaller than the table. */
typedef struct pair_entry {
    uint64_t key;
    uint32_t id;
} pair_entry;

typedef struct pair_table {
    uint32_t *direct; /* nwords * nwords slots: 1 + the dense id of that key, or 0; or NULL */
    pair_entry *e;    /* without direct: the hash table */
    size_t cap, n;
    uint64_t *key_of; /* per dense id: its key */
    uint32_t *count;  /* per dense id: its occurrences */
    size_t ids_cap;
    uint64_t total; /* occurrences counted */
} pair_table;

/* The largest direct table, in slots (16 MiB), and its size against the occurrences: a hash
 * table holding one pair per occurrence at most half full would take 32 bytes for each. */
#define PAIR_DIRECT_MAX            (4u * 1024 * 1024)
#define PAIR_DIRECT_PER_OCCURRENCE 8u

static int pair_table_init(pair_table *t, uint32_t nwords, uint64_t occurrences)
{
    memset(t, 0, sizeof *t);
    uint64_t slots = (uint64_t)nwords * nwords;
    if (slots > PAIR_DIRECT_MAX || slots > PAIR_DIRECT_PER_OCCURRENCE * occurrences) return KZ_OK;
    t->direct = kz_zeroed_alloc(slots ? (size_t)slots : 1, sizeof *t->direct);
    return t->direct ? KZ_OK : KZ_ENOMEM_FAIL();
}

static void pair_table_free(pair_table *t)
{
    free(t->direct);
    free(t->e);
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
    pair_entry *e = kz_zeroed_alloc(cap, sizeof *e);
    if (e == NULL) return KZ_ENOMEM_FAIL();
    for (size_t i = 0; i < t->cap; i++) {
        if (t->e[i].key == 0) continue;
        size_t s = slot_of(t->e[i].key, cap);
        while (e[s].key) s = (s + 1) & (cap - 1);
        e[s] = t->e[i];
    }
    free(t->e);
    t->e = e;
    t->cap = cap;
    return KZ_OK;
}

/* Gives pair key a new dense id, counted once. */
static int pair_table_new_id(pair_table *t, uint64_t key, uint32_t *id)
{
    if (t->n >= UINT32_MAX - 1) return kz_fail(KZ_ENOMEM, "too many word pairs in one segment");
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
    t->key_of[*id] = key;
    t->count[*id] = 1;
    t->total++;
    return KZ_OK;
}

/* The dense id of pair key (a * nwords + b), counting one more occurrence of it. */
static int pair_table_hit(pair_table *t, uint64_t key, uint32_t *id)
{
    if (t->direct) {
        uint32_t v = t->direct[key];
        if (v == 0) {
            KZ_TRY(pair_table_new_id(t, key, id));
            t->direct[key] = *id + 1;
            return KZ_OK;
        }
        *id = v - 1;
        t->count[*id]++;
        t->total++;
        return KZ_OK;
    }
    if ((t->n + 1) * 2 > t->cap) KZ_TRY(pair_table_grow(t));
    size_t s = slot_of(key + 1, t->cap);
    for (;; s = (s + 1) & (t->cap - 1)) {
        if (t->e[s].key == key + 1) {
            *id = t->e[s].id;
            t->count[*id]++;
            t->total++;
            return KZ_OK;
        }
        if (t->e[s].key == 0) break;
    }
    KZ_TRY(pair_table_new_id(t, key, id));
    t->e[s] = (pair_entry){key + 1, *id};
    return KZ_OK;
}

/* The dense id of a pair key the table holds. */
static uint32_t pair_table_id(const pair_table *t, uint64_t key)
{
    if (t->direct) return t->direct[key] - 1;
    size_t s = slot_of(key + 1, t->cap);
    while (t->e[s].key != key + 1) s = (s + 1) & (t->cap - 1);
    return t->e[s].id;
}

/* What a scan of the pair occurrences does with them: count them in the table (docs NULL), or
 * place each at fill[its id]++ in docs and pos. */
typedef struct pair_sink {
    pair_table *t;
    uint32_t *fill, *docs, *pos;
} pair_sink;

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_placed(const void *a, const void *b)
{
    const placed *x = a, *y = b;
    if (x->doc != y->doc) return x->doc < y->doc ? -1 : 1;
    if (x->pos != y->pos) return x->pos < y->pos ? -1 : 1;
    return (x->word > y->word) - (x->word < y->word);
}

/* The pair (a, b) occurs at position q of passage d: counted or placed (pair_sink), unless its
 * term would be too long. When counting, *id receives 1 + the pair's dense id, or 0 when the pair
 * is not indexed. */
static int emit(const kz_pair_writer *w, uint32_t a, uint32_t b, uint32_t d, uint32_t q,
                pair_sink *sink, uint32_t *id)
{
    const uint32_t *off = u32s(&w->word_off);
    *id = 0;
    if ((size_t)(off[a + 1] - off[a]) + (off[b + 1] - off[b]) + 2 > KZ_TERM_MAX)
        return KZ_OK; /* kz_pair_indexed says no */
    uint64_t key = (uint64_t)a * w->nwords + b;
    if (sink->docs == NULL) {
        KZ_TRY(pair_table_hit(sink->t, key, id));
        ++*id;
        return KZ_OK;
    }
    uint32_t at = sink->fill[pair_table_id(sink->t, key)]++;
    sink->docs[at] = d;
    sink->pos[at] = q;
    return KZ_OK;
}

/* A passage with overflow entries (o[0..m)): all its common words' occurrences, (position <<
 * 32 | word) sorted, and each at q paired with each at q + 1. */
static int emit_crowded(const kz_pair_writer *w, uint32_t d, const placed *o, size_t m,
                        pair_sink *sink)
{
    kz_buf all = KZ_BUF_INIT;
    int rc = KZ_OK;
    const uint32_t *s = w->slot + w->start[d];
    for (uint32_t q = 0; q < w->lengths[d]; q++) {
        if (s[q] == 0) continue;
        uint64_t e = (uint64_t)q << 32 | (s[q] - 1);
        KZ_CHECK(kz_buf_append(&all, &e, sizeof e));
    }
    for (size_t i = 0; i < m; i++) {
        uint64_t e = (uint64_t)o[i].pos << 32 | o[i].word;
        KZ_CHECK(kz_buf_append(&all, &e, sizeof e));
    }
    uint64_t *e = (uint64_t *)(void *)all.data;
    size_t n = all.len / sizeof *e, next = 0;
    qsort(e, n, sizeof *e, cmp_u64);
    for (size_t i = 0; i < n; i++) {
        uint32_t q = (uint32_t)(e[i] >> 32);
        if (q == UINT32_MAX) break;
        while (next < n && (uint32_t)(e[next] >> 32) <= q) next++;
        for (size_t k = next; k < n && (uint32_t)(e[k] >> 32) == q + 1; k++) {
            uint32_t id;
            KZ_CHECK(emit(w, (uint32_t)e[i], (uint32_t)e[k], d, q, sink, &id));
        }
    }
done:
    kz_buf_free(&all);
    return rc;
}

/* Pass 2: every (common word at q, common word at q + 1) of every passage, in (passage, q)
 * order. The overflow list is sorted. Counting, a passage without overflow entries has its
 * slots rewritten as it goes: slot q becomes 1 + the id of the pair at q, or 0 (its word is
 * needed no more, the pair at q - 1 having been taken), so that placing reads each occurrence's
 * id there instead of looking its key up again. A crowded passage keeps its words. */
static int scan_pairs(kz_pair_writer *w, pair_sink *sink)
{
    const placed *o = (const placed *)(const void *)w->overflow.data;
    size_t no = w->overflow.len / sizeof *o, at = 0;
    const int counting = sink->docs == NULL;
    for (uint32_t d = 0; d < w->npassages; d++) {
        if (at < no && o[at].doc == d) {
            size_t end = at;
            while (end < no && o[end].doc == d) end++;
            KZ_TRY(emit_crowded(w, d, o + at, end - at, sink));
            at = end;
            continue;
        }
        uint32_t *s = w->slot + w->start[d];
        const uint32_t len = w->lengths[d];
        if (len == 0) continue;
        if (counting) {
            for (uint32_t q = 0; q + 1 < len; q++) {
                uint32_t id = 0;
                if (s[q] && s[q + 1]) KZ_TRY(emit(w, s[q] - 1, s[q + 1] - 1, d, q, sink, &id));
                s[q] = id;
            }
            s[len - 1] = 0;
            continue;
        }
        for (uint32_t q = 0; q + 1 < len; q++) {
            if (s[q] == 0) continue;
            uint32_t k = sink->fill[s[q] - 1]++;
            sink->docs[k] = d;
            sink->pos[k] = q;
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
static int write_pair(kz_pair_writer *w, uint64_t key, const uint32_t *docs, const uint32_t *pos,
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
    return write_list(w, term, len, udocs, tfs, pos, n);
}

/* Passes 2 and 3, and the writing: the pairs in the order of their terms, each with its
 * postings. */
static int add_pairs(kz_pair_writer *w)
{
    pair_table t;
    pair_sink sink = {&t, NULL, NULL, NULL};
    ranked *order = NULL;
    uint32_t *udocs = NULL, *tfs = NULL;
    if (w->overflow.len > 0) /* (data is NULL when empty, which qsort may not take) */
        qsort(w->overflow.data, w->overflow.len / sizeof(placed), sizeof(placed), cmp_placed);
    int rc = pair_table_init(&t, w->nwords, w->occurrences);
    KZ_CHECK(rc);
    KZ_CHECK(scan_pairs(w, &sink));
    if (t.total > UINT32_MAX) {
        rc = kz_fail(KZ_ENOMEM, "too many word pairs in one segment");
        goto done;
    }
    size_t np = t.n ? t.n : 1, ne = t.total ? (size_t)t.total : 1;
    uint32_t most = 1, at = 0;
    const uint32_t *count = t.count;
    order = malloc(np * sizeof *order);
    sink.fill = malloc(np * sizeof *sink.fill);
    sink.docs = malloc(ne * sizeof *sink.docs);
    sink.pos = malloc(ne * sizeof *sink.pos);
    if (order == NULL || sink.fill == NULL || sink.docs == NULL || sink.pos == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    for (size_t i = 0; i < t.n; i++) order[i] = (ranked){t.key_of[i], (uint32_t)i};
    qsort(order, t.n, sizeof *order, cmp_ranked);
    for (size_t r = 0; r < t.n; r++) {
        uint32_t c = count[order[r].id];
        sink.fill[order[r].id] = at;
        at += c;
        if (c > most) most = c;
    }
    KZ_CHECK(scan_pairs(w, &sink));
    free(w->slot); /* the largest buffer: gone before the lists are encoded */
    w->slot = NULL;
    udocs = malloc(most * sizeof *udocs);
    tfs = malloc(most * sizeof *tfs);
    if (udocs == NULL || tfs == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    at = 0;
    for (size_t r = 0; r < t.n; r++) {
        uint32_t c = count[order[r].id];
        KZ_CHECK(write_pair(w, order[r].key, sink.docs + at, sink.pos + at, c, udocs, tfs));
        at += c;
    }
done:
    pair_table_free(&t);
    free(order);
    free(sink.fill);
    free(sink.docs);
    free(sink.pos);
    free(udocs);
    free(tfs);
    return rc;
}

int kz_pair_writer_derive(kz_pair_writer *w)
{
    if (w->derived) return kz_fail(KZ_EINVAL, "word pairs derived twice");
    w->derived = 1;
    return w->nwords > 0 ? add_pairs(w) : KZ_OK;
}

size_t kz_pair_writer_count(const kz_pair_writer *w)
{
    return w->infos.len / sizeof(kz_term_info);
}

void kz_pair_writer_term(const kz_pair_writer *w, size_t i, const char **term, size_t *len,
                         kz_term_info *info)
{
    const uint32_t *off = u32s(&w->term_off);
    *term = (const char *)w->terms.data + off[i];
    *len = off[i + 1] - off[i];
    memcpy(info, w->infos.data + i * sizeof *info, sizeof *info);
}

void kz_pair_writer_take_lists(kz_pair_writer *w, kz_buf *postings, kz_buf *positions)
{
    kz_buf_free(postings);
    kz_buf_free(positions);
    *postings = w->postings;
    *positions = w->positions;
    w->postings = (kz_buf)KZ_BUF_INIT;
    w->positions = (kz_buf)KZ_BUF_INIT;
}
