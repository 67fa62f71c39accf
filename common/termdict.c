/* termdict.c - writer and mmap reader of the term dictionary (layout: docs/format/termdict.md).
 *
 * Invariants of a finished dictionary: terms are stored in strictly increasing memcmp order in
 * blocks of exactly KZ_TD_BLOCK terms (the last block may hold fewer), so term number n lives in
 * block n / KZ_TD_BLOCK at index n % KZ_TD_BLOCK. Inside a block each term is front-coded against
 * the previous one (the first term of a block shares nothing, so a block decodes on its own) and
 * its term info follows it, with postings offsets delta-coded against the end of the previous
 * term's streams (zero for the usual contiguous layout). The block index holds nblocks + 1 byte
 * offsets (the last one is the end of the block area), so block b spans [off[b], off[b+1]). The
 * hash table has more slots than terms (load <= 2/3), so every probe sequence meets an empty slot;
 * a full slot is 32 bits: a fingerprint of the term's XXH3 hash (never 0; an empty slot is all
 * zeros) in the bits the term's block number leaves, that number and the term's index in its
 * block, so a lookup reads one slot run, one block index entry and one block: a miss is nearly
 * always decided in the slot run alone. (Format 1's 64-bit slots held the block's byte offset
 * instead: they were half the dictionary on the benchmark collection, 7.7 of 15.7 MB.)
 *
 * The reader decodes in place from the (untrusted) bytes: every read is bounded by the section it
 * belongs to, and anything inconsistent is KZ_ECORRUPT. */
#include "termdict.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>
/* Inlined: hashing a short term costs less than the call into the shared library. XXH3 output
 * is stable across xxHash versions since 0.8.0, which the format relies on. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#define KZ_TD_MAGIC   0x44545a4bu /* "KZTD" read as a little-endian u32 */
#define KZ_TD_VERSION 2u
#define KZ_TD_HEADER  64u
/* 16 terms a block: a lookup decodes on average 8 entries (about 100 bytes, two adjacent cache
 * lines) to reach its term; the per-block cost (a first term stored whole plus an 8-byte index
 * entry) is about one byte a term; and the index within the block fits the slot's 4 bits. */
#define KZ_TD_BLOCK     16u /* kz_termdict_iter_ordinal knows it too */
#define KZ_TD_IDX_BITS  4
#define KZ_TD_OFF_BITS  40 /* the block area up to 1 TiB */
#define KZ_TD_OFF_LIMIT ((uint64_t)1 << KZ_TD_OFF_BITS)
#define KZ_TD_SLOT_BITS 32
/* A slot keeps at least one fingerprint bit (so that a full slot is never 0): block numbers
 * take at most 27 bits, hence at most 2^31 terms (a segment is flushed far below that). */
#define KZ_TD_MAX_BLOCK_BITS (KZ_TD_SLOT_BITS - KZ_TD_IDX_BITS - 1)
#define KZ_TD_MAX_SLOTS      ((uint64_t)1 << 32) /* slot positions: a 32-bit multiply-shift */
#define KZ_TD_MAX_TERMS      ((uint64_t)KZ_TD_BLOCK << KZ_TD_MAX_BLOCK_BITS)
#define KZ_TD_ENTRY_MAX      (2 * 2 + KZ_TERM_MAX + 6 * 10) /* an encoded entry is at most this long */

struct kz_termdict_writer {
    kz_buf blocks;     /* the block area being built */
    kz_buf block_offs; /* u64le offset of each block's start in the block area */
    kz_buf hashes;     /* u64le XXH3 hash of each term, in term order */
    uint64_t nterms;
    char prev[KZ_TERM_MAX];
    size_t prev_len;
    uint64_t doc_end, pos_end; /* end of the previous term's streams in this block */
    int finished;
};

/* Most values in a block fit in one byte: decode those inline. */
static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    if (*p < end && **p < 0x80) {
        *v = *(*p)++;
        return KZ_OK;
    }
    return kz_read_varint(p, end, v);
}

static uint64_t zigzag(uint64_t delta)
{
    return (delta << 1) ^ (0 - (delta >> 63));
}

static uint64_t unzigzag(uint64_t z)
{
    return (z >> 1) ^ (0 - (z & 1));
}

/* Number of slots for n terms: load factor at most 2/3 and at least one empty slot. */
static uint64_t slots_for(uint64_t n)
{
    return n + n / 2 + 1;
}

static uint64_t slot_start(uint64_t hash, uint64_t nslots)
{
    return ((hash & 0xffffffffu) * nslots) >> 32;
}

/* Bits of a slot that hold the block number: enough for nblocks - 1 (at least one). */
static unsigned block_bits(uint64_t nblocks)
{
    unsigned bits = 1;
    while (nblocks > 1 && bits < 64 && ((nblocks - 1) >> bits) != 0) bits++;
    return bits;
}

/* The fingerprint of a term's hash in a slot whose block numbers take bbits: its top bits, as
 * many as the slot has left (never 0, so that a full slot is never empty). */
static uint32_t fingerprint(uint64_t hash, unsigned bbits)
{
    const unsigned shift = KZ_TD_IDX_BITS + bbits;
    const uint32_t fp = (uint32_t)(hash >> (64 - (KZ_TD_SLOT_BITS - shift)));
    return fp ? fp << shift : 1u << shift;
}

int kz_termdict_writer_new(kz_termdict_writer **out)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL) return KZ_ENOMEM_FAIL();
    return KZ_OK;
}

void kz_termdict_writer_free(kz_termdict_writer *w)
{
    if (w == NULL) return;
    kz_buf_free(&w->blocks);
    kz_buf_free(&w->block_offs);
    kz_buf_free(&w->hashes);
    free(w);
}

int kz_termdict_writer_add(kz_termdict_writer *w, const char *term, size_t len,
                           const kz_term_info *info)
{
    if (w->finished) return kz_fail(KZ_EINVAL, "term dictionary writer already finished");
    if (len == 0 || len > KZ_TERM_MAX)
        return kz_fail(KZ_EINVAL, "term of %zu bytes: terms must have 1 to %d bytes", len,
                       KZ_TERM_MAX);
    if (w->nterms >= KZ_TD_MAX_TERMS)
        return kz_fail(KZ_EINVAL, "more than %llu terms in one dictionary: split the segment",
                       (unsigned long long)KZ_TD_MAX_TERMS);
    size_t shared = 0;
    if (w->nterms > 0) {
        size_t min = len < w->prev_len ? len : w->prev_len;
        while (shared < min && w->prev[shared] == term[shared]) shared++;
        int bigger = shared < min ? (unsigned char)term[shared] > (unsigned char)w->prev[shared]
                                  : len > w->prev_len;
        if (!bigger)
            return kz_fail(KZ_EINVAL, "term \"%.*s\" not added in strictly increasing order",
                           (int)len, term);
    }
    if (w->nterms % KZ_TD_BLOCK == 0) {
        shared = 0;
        w->doc_end = w->pos_end = 0;
        KZ_TRY(kz_buf_append_u64le(&w->block_offs, w->blocks.len));
    }
    kz_buf *b = &w->blocks;
    KZ_TRY(kz_buf_reserve(b, KZ_TD_ENTRY_MAX));
    KZ_TRY(kz_buf_append_varint(b, shared));
    KZ_TRY(kz_buf_append_varint(b, len - shared));
    KZ_TRY(kz_buf_append(b, term + shared, len - shared));
    KZ_TRY(kz_buf_append_varint(b, info->df));
    KZ_TRY(kz_buf_append_varint(b, info->cf));
    KZ_TRY(kz_buf_append_varint(b, zigzag(info->doc_off - w->doc_end)));
    KZ_TRY(kz_buf_append_varint(b, info->doc_len));
    KZ_TRY(kz_buf_append_varint(b, zigzag(info->pos_off - w->pos_end)));
    KZ_TRY(kz_buf_append_varint(b, info->pos_len));
    KZ_TRY(kz_buf_append_u64le(&w->hashes, XXH3_64bits(term, len)));
    w->doc_end = info->doc_off + info->doc_len;
    w->pos_end = info->pos_off + info->pos_len;
    memcpy(w->prev, term, len);
    w->prev_len = len;
    w->nterms++;
    return KZ_OK;
}

int kz_termdict_writer_finish(kz_termdict_writer *w, kz_buf *out)
{
    if (w->finished) return kz_fail(KZ_EINVAL, "term dictionary writer already finished");
    w->finished = 1;
    if (w->blocks.len >= KZ_TD_OFF_LIMIT)
        return kz_fail(KZ_EINVAL, "term dictionary blocks exceed 1 TiB: split the segment");
    uint64_t nblocks = w->block_offs.len / 8;
    uint64_t nslots = slots_for(w->nterms);
    uint64_t index_off = KZ_TD_HEADER + w->blocks.len;
    uint64_t hash_off = index_off + 8 * (nblocks + 1);
    if (nslots > (SIZE_MAX - hash_off) / 4) return KZ_ENOMEM_FAIL();
    KZ_TRY(kz_buf_reserve(out, (size_t)(hash_off + 4 * nslots)));
    KZ_TRY(kz_buf_append_u32le(out, KZ_TD_MAGIC));
    KZ_TRY(kz_buf_append_u32le(out, KZ_TD_VERSION));
    KZ_TRY(kz_buf_append_u64le(out, w->nterms));
    KZ_TRY(kz_buf_append_u64le(out, nblocks));
    KZ_TRY(kz_buf_append_u32le(out, KZ_TD_BLOCK));
    KZ_TRY(kz_buf_append_u32le(out, 0));
    KZ_TRY(kz_buf_append_u64le(out, KZ_TD_HEADER));
    KZ_TRY(kz_buf_append_u64le(out, index_off));
    KZ_TRY(kz_buf_append_u64le(out, hash_off));
    KZ_TRY(kz_buf_append_u64le(out, nslots));
    KZ_TRY(kz_buf_append(out, w->blocks.data, w->blocks.len));
    KZ_TRY(kz_buf_append(out, w->block_offs.data, w->block_offs.len));
    KZ_TRY(kz_buf_append_u64le(out, w->blocks.len));
    /* The table is built in place at the end of out: no second copy of it in memory. */
    KZ_TRY(kz_buf_append_zeros(out, (size_t)(4 * nslots)));
    uint8_t *table = out->data + out->len - (size_t)(4 * nslots);
    const unsigned bbits = block_bits(nblocks);
    for (uint64_t n = 0; n < w->nterms; n++) {
        uint64_t h = kz_load_u64le(w->hashes.data + 8 * n);
        uint32_t v = fingerprint(h, bbits) | (uint32_t)(n / KZ_TD_BLOCK) << KZ_TD_IDX_BITS |
                     (uint32_t)(n % KZ_TD_BLOCK);
        uint64_t s = slot_start(h, nslots);
        while (kz_load_u32le(table + 4 * s) != 0) s = s + 1 == nslots ? 0 : s + 1;
        kz_store_u32le(table + 4 * s, v);
    }
    return KZ_OK;
}

static int corrupt(const char *what)
{
    return kz_fail(KZ_ECORRUPT, "term dictionary: %s; the segment is damaged, rebuild the index",
                   what);
}

int kz_termdict_open(kz_termdict *td, const uint8_t *data, size_t len)
{
    memset(td, 0, sizeof *td);
    if (len < KZ_TD_HEADER) return corrupt("shorter than its header");
    if (kz_load_u32le(data) != KZ_TD_MAGIC) return corrupt("bad magic number");
    if (kz_load_u32le(data + 4) != KZ_TD_VERSION)
        return kz_fail(KZ_ECORRUPT, "term dictionary format version %u is not supported (want %u)",
                       kz_load_u32le(data + 4), KZ_TD_VERSION);
    uint64_t nterms = kz_load_u64le(data + 8);
    uint64_t nblocks = kz_load_u64le(data + 16);
    uint32_t block_terms = kz_load_u32le(data + 24);
    uint64_t blocks_off = kz_load_u64le(data + 32);
    uint64_t index_off = kz_load_u64le(data + 40);
    uint64_t hash_off = kz_load_u64le(data + 48);
    uint64_t nslots = kz_load_u64le(data + 56);
    if (block_terms != KZ_TD_BLOCK || kz_load_u32le(data + 28) != 0)
        return corrupt("unexpected block size");
    if (nterms > KZ_TD_MAX_TERMS || nblocks != (nterms + KZ_TD_BLOCK - 1) / KZ_TD_BLOCK)
        return corrupt("term and block counts disagree");
    if (blocks_off != KZ_TD_HEADER || index_off < blocks_off || index_off > len ||
        index_off - blocks_off >= KZ_TD_OFF_LIMIT)
        return corrupt("block area out of bounds");
    if ((len - index_off) / 8 < nblocks + 1 || hash_off != index_off + 8 * (nblocks + 1))
        return corrupt("block index out of bounds");
    if (nslots <= nterms || nslots > KZ_TD_MAX_SLOTS || (len - hash_off) / 4 != nslots ||
        (len - hash_off) % 4 != 0)
        return corrupt("hash table out of bounds");
    if (kz_load_u64le(data + index_off) != 0 ||
        kz_load_u64le(data + index_off + 8 * nblocks) != index_off - blocks_off)
        return corrupt("block index does not cover the block area");
    td->data = data;
    td->len = len;
    td->nterms = nterms;
    td->nblocks = nblocks;
    td->blocks_off = blocks_off;
    td->index_off = index_off;
    td->hash_off = hash_off;
    td->hash_slots = nslots;
    td->block_bits = block_bits(nblocks);
    return KZ_OK;
}

/* Decoding state of one block: the current term and the running ends of the postings streams. */
typedef struct entry_state {
    char *term; /* KZ_TERM_MAX bytes */
    size_t *term_len;
    uint64_t *doc_end, *pos_end;
} entry_state;

/* Decodes the entry at *p (bytes up to end). first: the entry starts a block. Checks that the
 * term follows the previous one in strictly increasing order (front coding makes it cheap). */
static int decode_entry(const uint8_t **p, const uint8_t *end, int first, entry_state st,
                        kz_term_info *info)
{
    uint64_t shared, suffix, v[6];
    KZ_TRY(get_varint(p, end, &shared));
    KZ_TRY(get_varint(p, end, &suffix));
    size_t prev_len = first ? 0 : *st.term_len;
    if (shared > prev_len || suffix == 0 || suffix > KZ_TERM_MAX - shared ||
        suffix > (uint64_t)(end - *p))
        return corrupt("bad term entry");
    if (shared < prev_len && (unsigned char)st.term[shared] >= **p)
        return corrupt("terms out of order");
    memcpy(st.term + shared, *p, (size_t)suffix);
    *p += suffix;
    *st.term_len = (size_t)(shared + suffix);
    for (int i = 0; i < 6; i++) KZ_TRY(get_varint(p, end, &v[i]));
    if (v[0] > UINT32_MAX) return corrupt("document frequency out of range");
    if (first) *st.doc_end = *st.pos_end = 0;
    info->df = (uint32_t)v[0];
    info->cf = v[1];
    info->doc_off = *st.doc_end + unzigzag(v[2]);
    info->doc_len = v[3];
    info->pos_off = *st.pos_end + unzigzag(v[4]);
    info->pos_len = v[5];
    *st.doc_end = info->doc_off + info->doc_len;
    *st.pos_end = info->pos_off + info->pos_len;
    return KZ_OK;
}

/* Bounds of block b, from the block index: 1, or 0 when the index is damaged there. */
static int block_span(const kz_termdict *td, uint64_t b, const uint8_t **start, const uint8_t **end)
{
    const uint8_t *ix = td->data + td->index_off + 8 * b;
    uint64_t s = kz_load_u64le(ix), e = kz_load_u64le(ix + 8);
    if (s > e || e > td->index_off - td->blocks_off) return 0;
    *start = td->data + td->blocks_off + s;
    *end = td->data + td->blocks_off + e;
    return 1;
}

static int block_bounds(const kz_termdict *td, uint64_t b, const uint8_t **start,
                        const uint8_t **end)
{
    return block_span(td, b, start, end) ? KZ_OK : corrupt("bad block offset");
}

static uint64_t block_count(const kz_termdict *td, uint64_t b)
{
    uint64_t left = td->nterms - b * KZ_TD_BLOCK;
    return left < KZ_TD_BLOCK ? left : KZ_TD_BLOCK;
}

static int compare(const char *a, size_t alen, const char *b, size_t blen)
{
    int c = memcmp(a, b, alen < blen ? alen : blen);
    if (c != 0) return c;
    return alen < blen ? -1 : alen > blen;
}

int kz_termdict_lookup(const kz_termdict *td, const char *term, size_t len, kz_term_info *info)
{
    if (len == 0 || len > KZ_TERM_MAX || td->nterms == 0) return KZ_ENOTFOUND;
    uint64_t h = XXH3_64bits(term, len);
    const unsigned shift = KZ_TD_IDX_BITS + td->block_bits;
    const uint32_t fp = fingerprint(h, td->block_bits);
    const uint8_t *table = td->data + td->hash_off;
    uint64_t s = slot_start(h, td->hash_slots);
    /* Bounded by the table size so that a damaged table without empty slots still ends. */
    for (uint64_t probes = 0; probes < td->hash_slots; probes++) {
        uint32_t v = kz_load_u32le(table + 4 * s);
        if (v == 0) return KZ_ENOTFOUND;
        if (v >> shift << shift == fp) {
            uint64_t b = (v >> KZ_TD_IDX_BITS) & ((1u << td->block_bits) - 1);
            unsigned idx = (unsigned)(v & (KZ_TD_BLOCK - 1));
            if (b >= td->nblocks || idx >= block_count(td, b))
                return corrupt("hash slot out of bounds");
            const uint8_t *p = NULL, *end = NULL; /* set by block_bounds */
            KZ_TRY(block_bounds(td, b, &p, &end));
            char buf[KZ_TERM_MAX];
            size_t buf_len = 0;
            uint64_t doc_end = 0, pos_end = 0;
            entry_state st = {buf, &buf_len, &doc_end, &pos_end};
            kz_term_info found;
            for (unsigned i = 0; i <= idx; i++) KZ_TRY(decode_entry(&p, end, i == 0, st, &found));
            if (buf_len == len && memcmp(buf, term, len) == 0) {
                *info = found;
                return KZ_OK;
            }
        }
        s = s + 1 == td->hash_slots ? 0 : s + 1;
    }
    return corrupt("hash table has no empty slot");
}

/* Terms taken at a time by kz_termdict_prefetch: more than a query usually has, few enough
 * that every step's reads are in flight together. */
#define PREFETCH_BATCH 16

void kz_termdict_prefetch(const kz_termdict *td, const kz_term_ref *terms, size_t n)
{
    if (td->nterms == 0) return;
    const uint8_t *table = td->data + td->hash_off;
    const unsigned shift = KZ_TD_IDX_BITS + td->block_bits;
    for (size_t from = 0; from < n; from += PREFETCH_BATCH) {
        const size_t m = n - from < PREFETCH_BATCH ? n - from : PREFETCH_BATCH;
        uint64_t hash[PREFETCH_BATCH], slot[PREFETCH_BATCH], block[PREFETCH_BATCH];
        for (size_t i = 0; i < m; i++) { /* the slots */
            const kz_term_ref *t = &terms[from + i];
            hash[i] = XXH3_64bits(t->term, t->len);
            slot[i] = slot_start(hash[i], td->hash_slots);
            __builtin_prefetch(table + 4 * slot[i]);
        }
        for (size_t i = 0; i < m; i++) { /* the block index entries of the slots that match */
            const uint32_t v = kz_load_u32le(table + 4 * slot[i]);
            block[i] = td->nblocks;
            if (v == 0 || v >> shift << shift != fingerprint(hash[i], td->block_bits)) continue;
            block[i] = (v >> KZ_TD_IDX_BITS) & ((1u << td->block_bits) - 1);
            if (block[i] < td->nblocks) __builtin_prefetch(td->data + td->index_off + 8 * block[i]);
        }
        for (size_t i = 0; i < m; i++) { /* the blocks' first two lines */
            const uint8_t *p = NULL, *end = NULL;
            if (block[i] >= td->nblocks || !block_span(td, block[i], &p, &end)) continue;
            __builtin_prefetch(p);
            if (end - p > 64) __builtin_prefetch(p + 64);
        }
    }
}

/* Reads the first term of block b into term (KZ_TERM_MAX bytes). */
static int first_term(const kz_termdict *td, uint64_t b, char *term, size_t *len)
{
    const uint8_t *p = NULL, *end = NULL; /* set by block_bounds; gcc -O3 cannot tell */
    KZ_TRY(block_bounds(td, b, &p, &end));
    uint64_t doc_end, pos_end;
    kz_term_info info;
    entry_state st = {term, len, &doc_end, &pos_end};
    return decode_entry(&p, end, 1, st, &info);
}

static int enter_block(kz_termdict_iter *it, uint64_t b)
{
    it->block = b;
    it->index = 0;
    it->term_len = 0;
    return block_bounds(it->td, b, &it->p, &it->end);
}

int kz_termdict_iter_init(kz_termdict_iter *it, const kz_termdict *td, const char *prefix,
                          size_t len)
{
    memset(it, 0, sizeof *it);
    it->td = td;
    if (len > KZ_TERM_MAX || td->nterms == 0) {
        it->done = 1; /* no term is longer than KZ_TERM_MAX */
        return KZ_OK;
    }
    if (len > 0) memcpy(it->prefix, prefix, len);
    it->prefix_len = len;
    /* The last block whose first term is <= prefix holds the first term >= prefix, or that
     * term starts the next block. */
    uint64_t lo = 0, hi = td->nblocks; /* first term of block hi.. is > prefix */
    while (hi - lo > 1) {
        uint64_t mid = lo + (hi - lo) / 2;
        char t[KZ_TERM_MAX];
        size_t tl = 0; /* set by first_term */
        KZ_TRY(first_term(td, mid, t, &tl));
        if (compare(t, tl, it->prefix, len) <= 0)
            lo = mid;
        else
            hi = mid;
    }
    return enter_block(it, lo);
}

int kz_termdict_iter_next(kz_termdict_iter *it, const char **term, size_t *len, kz_term_info *info)
{
    const kz_termdict *td = it->td;
    while (!it->done) {
        if (it->index == block_count(td, it->block)) {
            if (it->p != it->end) return corrupt("block longer than its terms");
            if (it->block + 1 == td->nblocks) break;
            char last[KZ_TERM_MAX];
            size_t last_len = it->term_len;
            memcpy(last, it->term, last_len);
            KZ_TRY(enter_block(it, it->block + 1));
            entry_state st = {it->term, &it->term_len, &it->doc_end, &it->pos_end};
            KZ_TRY(decode_entry(&it->p, it->end, 1, st, info));
            if (compare(last, last_len, it->term, it->term_len) >= 0)
                return corrupt("blocks out of order");
        } else {
            entry_state st = {it->term, &it->term_len, &it->doc_end, &it->pos_end};
            KZ_TRY(decode_entry(&it->p, it->end, it->index == 0, st, info));
        }
        it->index++;
        size_t pl = it->prefix_len;
        if (it->term_len >= pl && memcmp(it->term, it->prefix, pl) == 0) {
            *term = it->term;
            *len = it->term_len;
            return KZ_OK;
        }
        if (compare(it->term, it->term_len, it->prefix, pl) > 0) break; /* past the prefix */
    }
    it->done = 1;
    return KZ_ITEROVER;
}

int kz_termdict_verify(const kz_termdict *td)
{
    kz_termdict_iter it;
    KZ_TRY(kz_termdict_iter_init(&it, td, NULL, 0));
    const char *term;
    size_t len;
    kz_term_info info, found;
    uint64_t n = 0;
    int rc;
    /* Every term in order (checks each block and the order), and every term found by lookup
     * with the same info (checks its hash slot). */
    while ((rc = kz_termdict_iter_next(&it, &term, &len, &info)) == KZ_OK) {
        n++;
        rc = kz_termdict_lookup(td, term, len, &found);
        if (rc == KZ_ENOTFOUND) return corrupt("a term is missing from the hash table");
        if (rc < 0) return rc;
        if (found.df != info.df || found.cf != info.cf || found.doc_off != info.doc_off ||
            found.doc_len != info.doc_len || found.pos_off != info.pos_off ||
            found.pos_len != info.pos_len)
            return corrupt("hash table points to the wrong entry");
    }
    if (rc != KZ_ITEROVER) return rc;
    if (n != td->nterms) return corrupt("fewer terms than the header says");
    uint64_t used = 0;
    for (uint64_t s = 0; s < td->hash_slots; s++)
        used += kz_load_u32le(td->data + td->hash_off + 4 * s) != 0;
    if (used != td->nterms) return corrupt("hash table holds stray slots");
    return KZ_OK;
}
