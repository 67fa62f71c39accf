/* inverter.c - in-memory inversion (see inverter.h).
 *
 * Term table: open addressing with linear probing, at most half full; a slot holds 32 bits of
 * the term's XXH3 and its id + 1, so a probe that meets another term is usually decided
 * without touching that term's entry. Term bytes live in one arena.
 *
 * Streams are written as tokens arrive, with no per-passage sort: the first token of a term in
 * a passage starts a posting (a 0 closing the term's previous posting, then the passage-id gap);
 * every token appends its position as (position - previous position of the term in the
 * passage), the first one as position + 1, so every position code is >= 1 and 0 can close a
 * posting. Tokens arrive in non-decreasing position order (kz_analyze's contract); a term seen
 * twice at one position (search-mode alternatives) counts once. */
#include "inverter.h"

#include "error.h"
#include "termdict.h"
#include "zeroed.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct term_entry {
    uint32_t off; /* term bytes in the arena */
    uint32_t len;
    uint32_t last_doc; /* passage of the open posting (valid when df > 0) */
    uint32_t last_pos; /* last position written in the open posting */
    uint32_t df;
    uint32_t hash; /* low 32 bits of XXH3, for rehashing */
    kz_buf stream;
} term_entry;

struct kz_inverter {
    term_entry *terms;
    uint32_t nterms, terms_cap;
    uint64_t *slots; /* (hash32 << 32) | (id + 1); 0 = empty */
    uint32_t nslots; /* power of two */
    kz_buf arena;
    uint32_t npassages;  /* passages ended; the current passage's id */
    uint32_t cur_maxpos; /* largest position of the current passage */
    int cur_tokens;      /* the current passage has tokens */
    size_t stream_bytes;
};

int kz_inverter_new(kz_inverter **out)
{
    kz_inverter *inv = calloc(1, sizeof *inv);
    if (inv == NULL) return KZ_ENOMEM_FAIL();
    inv->nslots = 1024;
    inv->slots = calloc(inv->nslots, sizeof *inv->slots);
    if (inv->slots == NULL) {
        free(inv);
        return KZ_ENOMEM_FAIL();
    }
    *out = inv;
    return KZ_OK;
}

void kz_inverter_reset(kz_inverter *inv)
{
    for (uint32_t i = 0; i < inv->nterms; i++) kz_buf_free(&inv->terms[i].stream);
    inv->nterms = 0;
    memset(inv->slots, 0, inv->nslots * sizeof *inv->slots);
    kz_buf_clear(&inv->arena);
    inv->npassages = 0;
    inv->cur_maxpos = 0;
    inv->cur_tokens = 0;
    inv->stream_bytes = 0;
}

void kz_inverter_free(kz_inverter *inv)
{
    if (inv == NULL) return;
    kz_inverter_reset(inv);
    free(inv->terms);
    free(inv->slots);
    kz_buf_free(&inv->arena);
    free(inv);
}

static int grow_slots(kz_inverter *inv)
{
    uint32_t n = inv->nslots * 2;
    uint64_t *slots = kz_zeroed_alloc(n, sizeof *slots);
    if (slots == NULL) return KZ_ENOMEM_FAIL();
    for (uint32_t t = 0; t < inv->nterms; t++) {
        uint32_t h = inv->terms[t].hash;
        uint32_t i = h & (n - 1);
        while (slots[i]) i = (i + 1) & (n - 1);
        slots[i] = ((uint64_t)h << 32) | (t + 1);
    }
    free(inv->slots);
    inv->slots = slots;
    inv->nslots = n;
    return KZ_OK;
}

/* The 32 bits of a term's hash that the table keys it by. */
static uint32_t term_hash(const char *term, size_t len)
{
    return (uint32_t)XXH3_64bits(term, len);
}

/* The entry of the term (of hash h), made on its first token. */
static int intern(kz_inverter *inv, const char *term, size_t len, uint32_t h, term_entry **out)
{
    uint32_t mask = inv->nslots - 1;
    for (uint32_t i = h & mask;; i = (i + 1) & mask) {
        uint64_t s = inv->slots[i];
        if (s == 0) {
            if (inv->nterms == inv->terms_cap) {
                uint32_t cap = inv->terms_cap ? inv->terms_cap * 2 : 1024;
                term_entry *t = realloc(inv->terms, cap * sizeof *t);
                if (t == NULL) return KZ_ENOMEM_FAIL();
                inv->terms = t;
                inv->terms_cap = cap;
            }
            if (inv->arena.len > UINT32_MAX - len)
                return kz_fail(KZ_ENOMEM, "too many distinct terms in one segment");
            term_entry *e = &inv->terms[inv->nterms];
            memset(e, 0, sizeof *e);
            e->hash = h;
            e->off = (uint32_t)inv->arena.len;
            e->len = (uint32_t)len;
            KZ_TRY(kz_buf_append(&inv->arena, term, len));
            inv->slots[i] = ((uint64_t)h << 32) | ++inv->nterms;
            if ((uint64_t)inv->nterms * 2 > inv->nslots) KZ_TRY(grow_slots(inv));
            *out = &inv->terms[inv->nterms - 1];
            return KZ_OK;
        }
        if ((uint32_t)(s >> 32) != h) continue;
        term_entry *e = &inv->terms[(uint32_t)s - 1];
        if (e->len == len && memcmp(inv->arena.data + e->off, term, len) == 0) {
            *out = e;
            return KZ_OK;
        }
    }
}

/* kz_inverter_add, with the term's hash h. */
static int add_token(kz_inverter *inv, const char *term, size_t len, uint32_t h, uint32_t position)
{
    if (len == 0 || len > KZ_TERM_MAX)
        return kz_fail(KZ_EINVAL, "term of %zu bytes (1 to %d allowed)", len, KZ_TERM_MAX);
    term_entry *e = NULL;
    KZ_TRY(intern(inv, term, len, h, &e));
    uint32_t doc = inv->npassages;
    size_t before = e->stream.cap;
    if (e->df == 0 || e->last_doc != doc) {
        if (e->df > 0) KZ_TRY(kz_buf_append_u8(&e->stream, 0)); /* close the last posting */
        KZ_TRY(kz_buf_append_varint(&e->stream, e->df ? doc - e->last_doc : (uint64_t)doc + 1));
        KZ_TRY(kz_buf_append_varint(&e->stream, (uint64_t)position + 1));
        e->last_doc = doc;
        e->df++;
    } else if (position != e->last_pos) {
        if (position < e->last_pos)
            return kz_fail(KZ_EINVAL, "token positions must not decrease (%u after %u)", position,
                           e->last_pos);
        KZ_TRY(kz_buf_append_varint(&e->stream, position - e->last_pos));
    }
    e->last_pos = position;
    inv->stream_bytes += e->stream.cap - before;
    if (!inv->cur_tokens || position > inv->cur_maxpos) inv->cur_maxpos = position;
    inv->cur_tokens = 1;
    return KZ_OK;
}

int kz_inverter_add(kz_inverter *inv, const char *term, size_t len, uint32_t position)
{
    return add_token(inv, term, len, term_hash(term, len), position);
}

/* How far ahead of the token being added kz_inverter_add_tokens reaches, in tokens: it hashes a
 * token and prefetches its table slot SLOT_AHEAD tokens before adding it; reads that slot and
 * prefetches the term's entry ENTRY_AHEAD tokens before; and reads the entry and prefetches the
 * term's bytes and the end of its stream TAIL_AHEAD tokens before. Each stage finds in the cache
 * what the one before fetched, while the misses of several tokens overlap. */
#define SLOT_AHEAD  16
#define ENTRY_AHEAD 9
#define TAIL_AHEAD  4

/* The entry the table points at for hash h, or NULL; only a hint (another term may share h's
 * slot, or the table may change before the token is added). */
static const term_entry *entry_hint(const kz_inverter *inv, uint32_t h)
{
    uint64_t s = inv->slots[h & (inv->nslots - 1)];
    return s != 0 && (uint32_t)(s >> 32) == h ? &inv->terms[(uint32_t)s - 1] : NULL;
}

int kz_inverter_add_tokens(kz_inverter *inv, const kz_inverter_token *t, size_t n)
{
    uint32_t hash[SLOT_AHEAD]; /* token i's at hash[i % SLOT_AHEAD], from i - SLOT_AHEAD on */
    for (size_t j = 0; j < n && j < SLOT_AHEAD; j++) {
        hash[j] = term_hash(t[j].term, t[j].len);
        __builtin_prefetch(&inv->slots[hash[j] & (inv->nslots - 1)]);
    }
    for (size_t i = 0; i < n; i++) {
        const uint32_t h = hash[i % SLOT_AHEAD];
        if (i + TAIL_AHEAD < n) {
            const term_entry *e = entry_hint(inv, hash[(i + TAIL_AHEAD) % SLOT_AHEAD]);
            if (e != NULL) {
                __builtin_prefetch(inv->arena.data + e->off);
                if (e->stream.data != NULL) __builtin_prefetch(e->stream.data + e->stream.len);
            }
        }
        if (i + ENTRY_AHEAD < n) {
            const term_entry *e = entry_hint(inv, hash[(i + ENTRY_AHEAD) % SLOT_AHEAD]);
            if (e != NULL) __builtin_prefetch(e);
        }
        if (i + SLOT_AHEAD < n) {
            const size_t j = i + SLOT_AHEAD;
            hash[j % SLOT_AHEAD] = term_hash(t[j].term, t[j].len);
            __builtin_prefetch(&inv->slots[hash[j % SLOT_AHEAD] & (inv->nslots - 1)]);
        }
        KZ_TRY(add_token(inv, t[i].term, t[i].len, h, t[i].position));
    }
    return KZ_OK;
}

int kz_inverter_end_passage(kz_inverter *inv, uint32_t *length)
{
    *length = inv->cur_tokens ? inv->cur_maxpos + 1 : 0;
    inv->cur_tokens = 0;
    inv->cur_maxpos = 0;
    inv->npassages++;
    return KZ_OK;
}

uint32_t kz_inverter_passages(const kz_inverter *inv)
{
    return inv->npassages;
}

size_t kz_inverter_memory(const kz_inverter *inv)
{
    return inv->stream_bytes + inv->arena.cap + (size_t)inv->terms_cap * sizeof(term_entry) +
           (size_t)inv->nslots * sizeof(uint64_t);
}

static _Thread_local const kz_inverter *sorting; /* qsort has no context argument */

/* A term to sort: its first eight bytes as a big-endian number (zero-padded), which orders most
 * pairs without reading the arena at random, and its index for the rest. */
typedef struct sort_key {
    uint64_t prefix;
    uint32_t term;
} sort_key;

static int cmp_terms(const void *a, const void *b)
{
    const sort_key *ka = a, *kb = b;
    if (ka->prefix != kb->prefix) return ka->prefix < kb->prefix ? -1 : 1;
    const term_entry *x = &sorting->terms[ka->term];
    const term_entry *y = &sorting->terms[kb->term];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(sorting->arena.data + x->off, sorting->arena.data + y->off, n);
    if (c != 0) return c;
    return (x->len > y->len) - (x->len < y->len);
}

static uint64_t prefix_of(const uint8_t *p, uint32_t len)
{
    uint64_t v = 0;
    for (uint32_t i = 0; i < 8; i++) v = v << 8 | (i < len ? p[i] : 0);
    return v;
}

typedef struct walk_arrays {
    uint32_t *docs, *tfs, *pos;
    size_t cap, pos_cap;
} walk_arrays;

static int push_position(walk_arrays *w, size_t n, uint32_t p)
{
    if (n == w->pos_cap) {
        size_t cap = w->pos_cap ? w->pos_cap * 2 : 1024;
        uint32_t *grown = realloc(w->pos, cap * sizeof *grown);
        if (grown == NULL) return KZ_ENOMEM_FAIL();
        w->pos = grown;
        w->pos_cap = cap;
    }
    w->pos[n] = p;
    return KZ_OK;
}

/* Decodes one term's stream into docs, tfs and positions. */
static int decode_stream(const term_entry *e, walk_arrays *w, size_t *npos)
{
    if (e->df > w->cap) {
        free(w->docs);
        free(w->tfs);
        w->cap = e->df;
        w->docs = malloc(w->cap * sizeof *w->docs);
        w->tfs = malloc(w->cap * sizeof *w->tfs);
        if (w->docs == NULL || w->tfs == NULL) return KZ_ENOMEM_FAIL();
    }
    const uint8_t *p = e->stream.data, *end = p + e->stream.len;
    size_t n = 0;
    uint64_t doc = 0;
    for (uint32_t i = 0; i < e->df; i++) {
        uint64_t gap, code;
        KZ_TRY(kz_read_varint(&p, end, &gap));
        doc = i == 0 ? gap - 1 : doc + gap;
        w->docs[i] = (uint32_t)doc;
        uint32_t tf = 0;
        uint64_t at = 0;
        while (p < end) {
            KZ_TRY(kz_read_varint(&p, end, &code));
            if (code == 0) break;
            at = tf == 0 ? code - 1 : at + code;
            KZ_TRY(push_position(w, n++, (uint32_t)at));
            tf++;
        }
        w->tfs[i] = tf;
    }
    *npos = n;
    return KZ_OK;
}

int kz_inverter_walk(const kz_inverter *inv, uint32_t min_df, kz_inverter_term_fn fn, void *ctx)
{
    int rc = KZ_OK;
    sort_key *order = malloc(((size_t)inv->nterms + 1) * sizeof *order);
    walk_arrays w = {0};
    if (order == NULL) return KZ_ENOMEM_FAIL();
    if (min_df == 0) min_df = 1;
    uint32_t n = 0;
    for (uint32_t t = 0; t < inv->nterms; t++) {
        const term_entry *e = &inv->terms[t];
        if (e->df >= min_df)
            order[n++] = (sort_key){prefix_of(inv->arena.data + e->off, e->len), t};
    }
    sorting = inv;
    qsort(order, n, sizeof *order, cmp_terms);
    sorting = NULL;
    for (uint32_t k = 0; k < n; k++) {
        const term_entry *e = &inv->terms[order[k].term];
        /* Sorted order visits the terms at random: fetch the entry two terms ahead, and the
         * stream and bytes of the next one, while this one is written. */
        if (k + 2 < n) __builtin_prefetch(&inv->terms[order[k + 2].term]);
        if (k + 1 < n) {
            const term_entry *next = &inv->terms[order[k + 1].term];
            __builtin_prefetch(next->stream.data);
            __builtin_prefetch(inv->arena.data + next->off);
        }
        size_t npos;
        KZ_CHECK(decode_stream(e, &w, &npos));
        KZ_CHECK(
            fn(ctx, (const char *)inv->arena.data + e->off, e->len, w.docs, w.tfs, w.pos, e->df));
    }
done:
    free(order);
    free(w.docs);
    free(w.tfs);
    free(w.pos);
    return rc;
}
