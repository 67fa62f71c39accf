/* inverter.c - in-memory inversion (see inverter.h).
 *
 * The term table is open addressing with linear probing on XXH3-64 of the term, at most half
 * full, holding term ids; term bytes live in one arena. Per term: its posting stream (kz_buf),
 * the last passage that has it, df and cf. */
#include "inverter.h"

#include "error.h"
#include "termdict.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

typedef struct term_entry {
    uint64_t hash;
    size_t off; /* term bytes in the arena */
    uint32_t len;
    uint32_t last_doc; /* last passage appended, for the gap */
    uint32_t df;
    kz_buf stream; /* varints: doc gap (first: doc + 1), tf, position gaps */
} term_entry;

typedef struct pending {
    uint32_t term;
    uint32_t position;
} pending;

struct kz_inverter {
    term_entry *terms;
    uint32_t nterms, terms_cap;
    uint32_t *slots; /* term id + 1, 0 = empty */
    uint32_t nslots; /* power of two */
    kz_buf arena;
    pending *cur;
    size_t ncur, cur_cap;
    uint32_t npassages;
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
    inv->ncur = 0;
    inv->npassages = 0;
    inv->stream_bytes = 0;
}

void kz_inverter_free(kz_inverter *inv)
{
    if (inv == NULL) return;
    kz_inverter_reset(inv);
    free(inv->terms);
    free(inv->slots);
    kz_buf_free(&inv->arena);
    free(inv->cur);
    free(inv);
}

static int grow_slots(kz_inverter *inv)
{
    uint32_t n = inv->nslots * 2;
    uint32_t *slots = calloc(n, sizeof *slots);
    if (slots == NULL) return KZ_ENOMEM_FAIL();
    for (uint32_t t = 0; t < inv->nterms; t++) {
        uint32_t i = (uint32_t)inv->terms[t].hash & (n - 1);
        while (slots[i]) i = (i + 1) & (n - 1);
        slots[i] = t + 1;
    }
    free(inv->slots);
    inv->slots = slots;
    inv->nslots = n;
    return KZ_OK;
}

static int intern(kz_inverter *inv, const char *term, size_t len, uint32_t *id)
{
    uint64_t h = XXH3_64bits(term, len);
    uint32_t mask = inv->nslots - 1;
    for (uint32_t i = (uint32_t)h & mask;; i = (i + 1) & mask) {
        uint32_t s = inv->slots[i];
        if (s == 0) {
            if (inv->nterms == inv->terms_cap) {
                uint32_t cap = inv->terms_cap ? inv->terms_cap * 2 : 1024;
                term_entry *t = realloc(inv->terms, cap * sizeof *t);
                if (t == NULL) return KZ_ENOMEM_FAIL();
                inv->terms = t;
                inv->terms_cap = cap;
            }
            term_entry *e = &inv->terms[inv->nterms];
            memset(e, 0, sizeof *e);
            e->hash = h;
            e->off = inv->arena.len;
            e->len = (uint32_t)len;
            KZ_TRY(kz_buf_append(&inv->arena, term, len));
            inv->slots[i] = ++inv->nterms;
            *id = inv->nterms - 1;
            if (inv->nterms * 2 > inv->nslots) KZ_TRY(grow_slots(inv));
            return KZ_OK;
        }
        const term_entry *e = &inv->terms[s - 1];
        if (e->hash == h && e->len == len && memcmp(inv->arena.data + e->off, term, len) == 0) {
            *id = s - 1;
            return KZ_OK;
        }
    }
}

int kz_inverter_add(kz_inverter *inv, const char *term, size_t len, uint32_t position)
{
    if (len == 0 || len > KZ_TERM_MAX)
        return kz_fail(KZ_EINVAL, "term of %zu bytes (1 to %d allowed)", len, KZ_TERM_MAX);
    uint32_t id = 0;
    KZ_TRY(intern(inv, term, len, &id));
    if (inv->ncur == inv->cur_cap) {
        size_t cap = inv->cur_cap ? inv->cur_cap * 2 : 256;
        pending *p = realloc(inv->cur, cap * sizeof *p);
        if (p == NULL) return KZ_ENOMEM_FAIL();
        inv->cur = p;
        inv->cur_cap = cap;
    }
    inv->cur[inv->ncur++] = (pending){id, position};
    return KZ_OK;
}

static int cmp_pending(const void *a, const void *b)
{
    const pending *x = a, *y = b;
    if (x->term != y->term) return x->term < y->term ? -1 : 1;
    return (x->position > y->position) - (x->position < y->position);
}

int kz_inverter_end_passage(kz_inverter *inv, uint32_t *length)
{
    uint32_t doc = inv->npassages;
    uint32_t maxpos = 0;
    qsort(inv->cur, inv->ncur, sizeof *inv->cur, cmp_pending);
    for (size_t i = 0; i < inv->ncur;) {
        size_t j = i;
        while (j < inv->ncur && inv->cur[j].term == inv->cur[i].term) j++;
        term_entry *e = &inv->terms[inv->cur[i].term];
        size_t before = e->stream.cap;
        /* The same term twice at one position (possible with alternatives) counts once. */
        uint32_t tf = 0;
        for (size_t k = i; k < j; k++)
            if (k == i || inv->cur[k].position != inv->cur[k - 1].position) tf++;
        KZ_TRY(kz_buf_append_varint(&e->stream, e->df ? doc - e->last_doc : (uint64_t)doc + 1));
        KZ_TRY(kz_buf_append_varint(&e->stream, tf));
        uint32_t prev = 0;
        for (size_t k = i; k < j; k++) {
            uint32_t p = inv->cur[k].position;
            if (k > i && p == inv->cur[k - 1].position) continue;
            KZ_TRY(kz_buf_append_varint(&e->stream, p - prev));
            prev = p;
            if (p > maxpos) maxpos = p;
        }
        e->last_doc = doc;
        e->df++;
        inv->stream_bytes += e->stream.cap - before;
        i = j;
    }
    *length = inv->ncur ? maxpos + 1 : 0;
    inv->ncur = 0;
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
           (size_t)inv->nslots * sizeof(uint32_t) + inv->cur_cap * sizeof(pending);
}

static _Thread_local const kz_inverter *sorting; /* qsort has no context argument */

static int cmp_terms(const void *a, const void *b)
{
    const term_entry *x = &sorting->terms[*(const uint32_t *)a];
    const term_entry *y = &sorting->terms[*(const uint32_t *)b];
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(sorting->arena.data + x->off, sorting->arena.data + y->off, n);
    if (c != 0) return c;
    return (x->len > y->len) - (x->len < y->len);
}

int kz_inverter_walk(const kz_inverter *inv, kz_inverter_term_fn fn, void *ctx)
{
    int rc = KZ_OK;
    uint32_t *order = malloc(((size_t)inv->nterms + 1) * sizeof *order);
    uint32_t *docs = NULL, *tfs = NULL, *pos = NULL;
    size_t cap = 0, pos_cap = 0;
    if (order == NULL) return KZ_ENOMEM_FAIL();
    uint32_t n = 0;
    for (uint32_t t = 0; t < inv->nterms; t++)
        if (inv->terms[t].df > 0) order[n++] = t;
    sorting = inv;
    qsort(order, n, sizeof *order, cmp_terms);
    sorting = NULL;
    for (uint32_t k = 0; k < n; k++) {
        const term_entry *e = &inv->terms[order[k]];
        if (e->df > cap) {
            cap = e->df;
            free(docs);
            free(tfs);
            docs = malloc(cap * sizeof *docs);
            tfs = malloc(cap * sizeof *tfs);
            if (docs == NULL || tfs == NULL) {
                rc = KZ_ENOMEM_FAIL();
                goto done;
            }
        }
        const uint8_t *p = e->stream.data, *end = p + e->stream.len;
        size_t npos = 0;
        uint64_t doc = 0;
        for (uint32_t i = 0; i < e->df; i++) {
            uint64_t gap, tf;
            KZ_CHECK(kz_read_varint(&p, end, &gap));
            KZ_CHECK(kz_read_varint(&p, end, &tf));
            doc = i == 0 ? gap - 1 : doc + gap;
            docs[i] = (uint32_t)doc;
            tfs[i] = (uint32_t)tf;
            if (npos + tf > pos_cap) {
                size_t c2 = pos_cap ? pos_cap : 256;
                while (c2 < npos + tf) c2 *= 2;
                uint32_t *np = realloc(pos, c2 * sizeof *np);
                if (np == NULL) {
                    rc = KZ_ENOMEM_FAIL();
                    goto done;
                }
                pos = np;
                pos_cap = c2;
            }
            uint64_t at = 0;
            for (uint64_t j = 0; j < tf; j++) {
                uint64_t g;
                KZ_CHECK(kz_read_varint(&p, end, &g));
                at += g;
                pos[npos++] = (uint32_t)at;
            }
        }
        KZ_CHECK(fn(ctx, (const char *)inv->arena.data + e->off, e->len, docs, tfs, pos, e->df));
    }
done:
    free(order);
    free(docs);
    free(tfs);
    free(pos);
    return rc;
}
