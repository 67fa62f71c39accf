/* postings.c - encoder and cursor for one posting list (doc stream + position stream).
 *
 * Doc stream of a list of df postings (exact layout: docs/format/postings.md):
 *   varint  has_positions
 *   impacts the list's (frequency, length) frontier (impacts.h)
 *   only when the list has more than one block: varint impacts_len, a skip table of one 20-byte
 *           entry per block, u32le last_id, doc_off, pos_off, max_tf, imp_off, then the blocks'
 *           impacts (impacts_len bytes; imp_off is a block's offset among them)
 *   blocks: df / 128 full blocks [u8 id_bits][u8 tf_bits][packed id gaps][packed tf-1], then,
 *           if df % 128 != 0, a tail of df % 128 variable-byte id gaps and df % 128 tf-1.
 * Id gaps are taken from the previous block's last id (0 before the first block), so a block
 * decodes on its own given its predecessor's skip entry. Position stream: per block, the
 * positions of its postings in order, each posting's first position absolute and the rest as
 * gaps, cut into chunks of 128 values: one width byte per full chunk, the packed chunks, then a
 * variable-byte tail. pos_off in the skip entry finds a block's positions directly; the widths
 * find a chunk within the block without decoding the chunks before it.
 *
 * Cursor invariants: the decoded block holds ids[0..n) strictly increasing, each above the
 * previous block's last id and above any id the cursor returned before, and (with a skip table)
 * ending exactly at the block's skip entry; ids[n..KZ_BLOCK_LEN] are KZ_DOC_END. Its frequencies
 * are decoded only when first asked for (freq_block == block then), each between 1 and the
 * block's max_tf, which is at most list_max_tf. Blocks that break these are reported as
 * KZ_ECORRUPT, so callers (WAND, merges) can rely on ids that only grow and on block maxima that
 * really bound. shallow >= block; the block-max fields describe block `shallow` (KZ_DOC_END / 0
 * once past the last block). */
#include "postings.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

#define SKIP_ENTRY_BYTES 20
#define NO_CHUNK         UINT64_MAX

struct skip {
    uint32_t last, doc_off, pos_off, max_tf, imp_off;
};

/* ---------------------------------------------------------------- encoder */

static int encode_positions(kz_buf *pos, const uint32_t *tfs, const uint32_t *positions,
                            size_t first, size_t count, size_t value0)
{
    uint64_t total = 0;
    for (size_t k = first; k < first + count; k++) total += tfs[k];
    uint64_t nchunks = total / KZ_BLOCK_LEN;
    size_t widths_at = pos->len;
    KZ_TRY(kz_buf_append_zeros(pos, (size_t)nchunks));

    uint32_t chunk[KZ_BLOCK_LEN];
    size_t fill = 0, value = value0;
    uint64_t chunk_no = 0;
    for (size_t k = first; k < first + count; k++) {
        for (uint32_t j = 0; j < tfs[k]; j++, value++) {
            chunk[fill++] = j == 0 ? positions[value] : positions[value] - positions[value - 1];
            if (fill == KZ_BLOCK_LEN) {
                unsigned bits = kz_bits_needed(chunk, KZ_BLOCK_LEN);
                KZ_TRY(kz_buf_reserve(pos, KZ_PACKED_BYTES(bits)));
                kz_bitpack128(chunk, bits, pos->data + pos->len);
                pos->len += KZ_PACKED_BYTES(bits);
                pos->data[widths_at + chunk_no++] = (uint8_t)bits;
                fill = 0;
            }
        }
    }
    KZ_TRY(kz_buf_reserve(pos, 5 * fill));
    pos->len += kz_vbyte_encode(chunk, fill, pos->data + pos->len);
    return KZ_OK;
}

static int encode_block(kz_buf *doc, const uint32_t *docs, const uint32_t *tfs, size_t count,
                        uint32_t prev)
{
    uint32_t gaps[KZ_BLOCK_LEN], f[KZ_BLOCK_LEN];
    for (size_t k = 0; k < count; k++) {
        gaps[k] = docs[k] - prev;
        prev = docs[k];
        f[k] = tfs[k] - 1;
    }
    if (count == KZ_BLOCK_LEN) {
        unsigned db = kz_bits_needed(gaps, count), tb = kz_bits_needed(f, count);
        KZ_TRY(kz_buf_reserve(doc, 2 + KZ_PACKED_BYTES(db) + KZ_PACKED_BYTES(tb)));
        uint8_t *p = doc->data + doc->len;
        p[0] = (uint8_t)db;
        p[1] = (uint8_t)tb;
        kz_bitpack128(gaps, db, p + 2);
        kz_bitpack128(f, tb, p + 2 + KZ_PACKED_BYTES(db));
        doc->len += 2 + KZ_PACKED_BYTES(db) + KZ_PACKED_BYTES(tb);
    } else {
        KZ_TRY(kz_buf_reserve(doc, 10 * count));
        doc->len += kz_vbyte_encode(gaps, count, doc->data + doc->len);
        doc->len += kz_vbyte_encode(f, count, doc->data + doc->len);
    }
    return KZ_OK;
}

static int check_input(const uint32_t *docs, const uint32_t *tfs, const uint32_t *positions,
                       size_t n)
{
    if (n == 0 || n > UINT32_MAX)
        return kz_fail(KZ_EINVAL, "postings: a list holds 1 to 2^32-1 postings, not %zu", n);
    size_t value = 0;
    for (size_t k = 0; k < n; k++) {
        if (docs[k] == KZ_DOC_END || (k > 0 && docs[k] <= docs[k - 1]))
            return kz_fail(KZ_EINVAL,
                           "postings: passage ids must increase strictly and stay below %u "
                           "(posting %zu has id %u)",
                           KZ_DOC_END, k, docs[k]);
        if (tfs[k] == 0)
            return kz_fail(KZ_EINVAL, "postings: posting %zu (passage %u) has frequency 0", k,
                           docs[k]);
        if (positions)
            for (uint32_t j = 1; j < tfs[k]; j++)
                if (positions[value + j] <= positions[value + j - 1])
                    return kz_fail(KZ_EINVAL,
                                   "postings: positions of passage %u must increase strictly "
                                   "(%u after %u)",
                                   docs[k], positions[value + j], positions[value + j - 1]);
        value += tfs[k];
    }
    return KZ_OK;
}

int kz_postings_encode(kz_buf *doc_out, kz_buf *pos_out, const uint32_t *docs, const uint32_t *tfs,
                       const uint32_t *positions, size_t n, const uint32_t *doc_len,
                       size_t *doc_bytes, size_t *pos_bytes)
{
    int rc = KZ_OK;
    const size_t doc_start = doc_out->len, pos_start = pos_out ? pos_out->len : 0;
    if (positions && !pos_out)
        return kz_fail(KZ_EINVAL, "postings: positions given but no position stream");
    KZ_TRY(check_input(docs, tfs, positions, n));

    const size_t nblocks = (n + KZ_BLOCK_LEN - 1) / KZ_BLOCK_LEN;
    /* Impacts first: the list's frontier goes in the header, the blocks' before the blocks. */
    kz_buf imp = KZ_BUF_INIT;
    uint32_t *imp_off = NULL;
    kz_impacts list, block;
    if (nblocks > 1 && (imp_off = malloc(nblocks * sizeof *imp_off)) == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    for (size_t b = 0; b < nblocks; b++) {
        size_t first = b * KZ_BLOCK_LEN;
        size_t count = n - first < KZ_BLOCK_LEN ? n - first : KZ_BLOCK_LEN;
        uint32_t lens[KZ_BLOCK_LEN];
        for (size_t k = 0; k < count; k++) lens[k] = doc_len ? doc_len[docs[first + k]] : 0;
        kz_impacts_build(&block, tfs + first, lens, count);
        if (b == 0)
            list = block;
        else
            kz_impacts_merge(&list, &block);
        if (nblocks > 1) {
            imp_off[b] = (uint32_t)imp.len;
            KZ_CHECK(kz_impacts_encode(&imp, &block));
        }
    }
    KZ_CHECK(kz_buf_append_varint(doc_out, positions != NULL));
    KZ_CHECK(kz_impacts_encode(doc_out, &list));
    size_t skips_at = 0;
    if (nblocks > 1) {
        KZ_CHECK(kz_buf_append_varint(doc_out, imp.len));
        skips_at = doc_out->len;
        KZ_CHECK(kz_buf_append_zeros(doc_out, SKIP_ENTRY_BYTES * nblocks));
        KZ_CHECK(kz_buf_append(doc_out, imp.data, imp.len));
    }
    const size_t payload_at = doc_out->len;

    size_t value = 0; /* index in positions[] of the block's first position */
    for (size_t b = 0; b < nblocks; b++) {
        size_t first = b * KZ_BLOCK_LEN;
        size_t count = n - first < KZ_BLOCK_LEN ? n - first : KZ_BLOCK_LEN;
        size_t doc_off = doc_out->len - payload_at;
        size_t pos_off = positions ? pos_out->len - pos_start : 0;
        if (doc_off > UINT32_MAX || pos_off > UINT32_MAX) {
            rc = kz_fail(KZ_EINVAL,
                         "postings: list of %zu postings exceeds 4 GiB of doc or position data; "
                         "flush segments earlier",
                         n);
            goto done;
        }
        KZ_CHECK(encode_block(doc_out, docs + first, tfs + first, count, b ? docs[first - 1] : 0));
        if (positions) KZ_CHECK(encode_positions(pos_out, tfs, positions, first, count, value));
        uint32_t max_tf = 0;
        for (size_t k = first; k < first + count; k++) {
            value += tfs[k];
            if (tfs[k] > max_tf) max_tf = tfs[k];
        }
        if (nblocks > 1) {
            uint8_t *e = doc_out->data + skips_at + SKIP_ENTRY_BYTES * b;
            kz_store_u32le(e, docs[first + count - 1]);
            kz_store_u32le(e + 4, (uint32_t)doc_off);
            kz_store_u32le(e + 8, (uint32_t)pos_off);
            kz_store_u32le(e + 12, max_tf);
            kz_store_u32le(e + 16, imp_off[b]);
        }
    }
    if (doc_bytes) *doc_bytes = doc_out->len - doc_start;
    if (pos_bytes) *pos_bytes = pos_out ? pos_out->len - pos_start : 0;
done:
    kz_buf_free(&imp);
    free(imp_off);
    if (rc < 0) { /* leave both streams as they were */
        doc_out->len = doc_start;
        if (pos_out) pos_out->len = pos_start;
    }
    return rc;
}

/* ---------------------------------------------------------------- cursor: blocks */

static uint32_t skip_last(const kz_postings_cursor *c, uint32_t b)
{
    return kz_load_u32le(c->skips + (size_t)SKIP_ENTRY_BYTES * b);
}

/* The skip entry of block b, checked against the list header. A one-block list has no table:
 * its entry is the header's maxima (its last id is known only once decoded). */
static int read_skip(const kz_postings_cursor *c, uint32_t b, struct skip *s)
{
    if (!c->skips) {
        *s = (struct skip){c->n ? c->ids[c->n - 1] : 0, 0, 0, c->list_max_tf, 0};
        return KZ_OK;
    }
    const uint8_t *e = c->skips + (size_t)SKIP_ENTRY_BYTES * b;
    *s = (struct skip){kz_load_u32le(e), kz_load_u32le(e + 4), kz_load_u32le(e + 8),
                       kz_load_u32le(e + 12), kz_load_u32le(e + 16)};
    if (s->max_tf == 0 || s->max_tf > c->list_max_tf || s->imp_off >= c->impacts_len ||
        s->last == KZ_DOC_END)
        return kz_fail(KZ_ECORRUPT,
                       "postings: skip entry of block %u of %u contradicts the list header "
                       "(max tf %u of %u, impacts at %u of %zu, last id %u)",
                       b, c->nblocks, s->max_tf, c->list_max_tf, s->imp_off, c->impacts_len,
                       s->last);
    return KZ_OK;
}

static void show_block_max(kz_postings_cursor *c, uint32_t b, const struct skip *s)
{
    c->shallow = b;
    if (b >= c->nblocks) {
        c->block_last_doc = KZ_DOC_END;
        c->block_max_tf = 0;
        return;
    }
    c->block_last_doc = s->last;
    c->block_max_tf = s->max_tf;
    c->block_imp_off = s->imp_off;
}

int kz_postings_block_impacts(kz_postings_cursor *c, const kz_impacts **out)
{
    static const kz_impacts none = {0, {0}, {0}};
    if (c->shallow >= c->nblocks) {
        *out = &none;
        return KZ_OK;
    }
    if (!c->skips) {
        *out = &c->list_impacts;
        return KZ_OK;
    }
    if (c->impacts_block != c->shallow) {
        const uint8_t *p = c->impacts + c->block_imp_off;
        KZ_TRY(kz_impacts_decode(&c->block_impacts, &p, c->impacts + c->impacts_len));
        const kz_impacts *im = &c->block_impacts;
        if (im->tf[im->n - 1] != c->block_max_tf || im->len[0] < c->list_min_len)
            return kz_fail(KZ_ECORRUPT,
                           "postings: impacts of block %u of %u contradict its skip entry or the "
                           "list's (max tf %u, not %u; min length %u, below %u)",
                           c->shallow, c->nblocks, im->tf[im->n - 1], c->block_max_tf, im->len[0],
                           c->list_min_len);
        c->impacts_block = c->shallow;
    }
    *out = &c->block_impacts;
    return KZ_OK;
}

/* Blocks follow each other in the stream, and a cursor that decodes one usually decodes the
 * next soon after (a scan, or an intersection whose candidates span blocks). Asking for the
 * next block's first bytes while this one is searched and scored overlaps their memory latency
 * with that work. It pays when the host's memory is slow (other tenants sharing the cache):
 * the dev queries, passes alternating in one process, took 2-10% less time then, and 0-2% less
 * otherwise (bench/README, sixteenth session). Four lines hold the widths and the ids of a
 * block up to 14 bits wide, those of the lists intersections read one block after another;
 * prefetching exactly the next block (from the skip table) or two blocks did worse. Prefetches
 * never fault. */
#define PREFETCH_BYTES 256

static void prefetch_next_block(const kz_postings_cursor *c, const uint8_t *next)
{
    const size_t left = (size_t)(c->doc_end - next);
    const size_t n = left < PREFETCH_BYTES ? left : PREFETCH_BYTES;
    for (size_t off = 0; off < n; off += 64) __builtin_prefetch(next + off);
}

/* Decodes the ids of block b. Its ids must exceed `floor` (the previous block's last id, or an
 * id already returned), so the cursor's ids only grow even over damaged skip entries. */
static int decode_block(kz_postings_cursor *c, uint32_t b, uint64_t floor)
{
    struct skip s;
    KZ_TRY(read_skip(c, b, &s));
    uint32_t base = 0; /* the previous block's last id, from which the gaps count */
    if (b > 0) {
        /* only that of the previous entry is read: a wrong one cannot pass the checks below,
         * which want ids above the floor that end exactly at this block's own last id */
        base = c->skips ? skip_last(c, b - 1) : 0;
        if (base >= floor) floor = (uint64_t)base + 1;
    }
    const size_t avail = (size_t)(c->doc_end - c->payload);
    if (s.doc_off > avail)
        return kz_fail(KZ_ECORRUPT, "postings: block %u exceeds its list (offset %u > length %zu)",
                       b, s.doc_off, avail);
    const uint8_t *p = c->payload + s.doc_off;
    uint32_t n, bad;
    if (b < c->nfull) {
        n = KZ_BLOCK_LEN;
        if (avail - s.doc_off < 2 || p[0] > 32 || p[1] > 32 ||
            avail - s.doc_off < 2 + KZ_PACKED_BYTES(p[0]) + KZ_PACKED_BYTES(p[1]))
            return kz_fail(KZ_ECORRUPT,
                           "postings: block %u exceeds its list or has a bad bit width "
                           "(offset %u, length %zu)",
                           b, s.doc_off, avail);
        bad = kz_bitunpack128_delta(p + 2, p[0], base, c->ids); /* a gap of 0 */
        c->freq_bits = p[1];
        c->freq_at = p + 2 + KZ_PACKED_BYTES(p[0]);
        if (b + 1 < c->nblocks) prefetch_next_block(c, c->freq_at + KZ_PACKED_BYTES(p[1]));
        /* Strictly increasing, the last below KZ_DOC_END: with no gap of 0, only a 32-bit
         * wrap-around could break it, and 128 gaps of at most 25 bits sum below 2^32, so a
         * wrap leaves the last id at or below the base. Wider gaps get a full pass. */
        bad |= c->ids[KZ_BLOCK_LEN - 1] <= base || c->ids[KZ_BLOCK_LEN - 1] == KZ_DOC_END;
        /* The first gap of block 0 is the first id itself, 0 for passage 0: a full pass then. */
        if (p[0] > 25 || (bad && b == 0)) {
            bad = c->ids[KZ_BLOCK_LEN - 1] == KZ_DOC_END;
            for (uint32_t k = 0; k + 1 < KZ_BLOCK_LEN; k++) bad |= c->ids[k + 1] <= c->ids[k];
        }
    } else {
        n = c->df - KZ_BLOCK_LEN * c->nfull;
        KZ_TRY(kz_vbyte_decode(p, c->doc_end, n, c->ids, &c->freq_at));
        c->freq_bits = UINT32_MAX; /* variable-byte */
        uint64_t acc = base;
        for (uint32_t k = 0; k < n; k++) {
            acc += c->ids[k];
            c->ids[k] = acc >= KZ_DOC_END ? KZ_DOC_END : (uint32_t)acc;
        }
        /* padded so that advance's search may read up to ids[KZ_BLOCK_LEN - 1] */
        for (uint32_t k = n; k < KZ_BLOCK_LEN; k++) c->ids[k] = KZ_DOC_END;
        bad = c->ids[n - 1] == KZ_DOC_END;
        for (uint32_t k = 1; k < n; k++) bad |= c->ids[k] <= c->ids[k - 1];
    }
    bad |= c->ids[0] < floor || (c->skips && c->ids[n - 1] != s.last);
    if (bad)
        return kz_fail(KZ_ECORRUPT, "postings: block %u of %u decodes to ids out of order", b,
                       c->nblocks);
    c->freq_max = s.max_tf;
    c->freq_block = UINT32_MAX;
    c->freq_singles = 0;
    c->block = b;
    c->n = n;
    c->i = 0;
    c->doc = c->ids[0];
    if (c->shallow <= b) {
        if (!c->skips) s.last = c->ids[n - 1];
        show_block_max(c, b, &s);
    }
    return KZ_OK;
}

/* Decodes all the frequencies of the decoded block into freqs[]. */
static int load_freqs(kz_postings_cursor *c)
{
    if (c->doc == KZ_DOC_END)
        return kz_fail(KZ_EINVAL, "postings: frequency asked of an exhausted cursor");
    /* Stored minus one, below the block's maximum: checked and incremented in the unpacking
     * pass for a full block (bounds checked when decoded); a partial block's unused slots are
     * zeroed, then one branch-free pass over a constant 128. */
    uint32_t bad = 0;
    if (c->freq_bits != UINT32_MAX) {
        bad = kz_bitunpack128_plus1(c->freq_at, c->freq_bits, c->freq_max, c->freqs);
    } else {
        KZ_TRY(kz_vbyte_decode(c->freq_at, c->doc_end, c->n, c->freqs, NULL));
        for (uint32_t k = c->n; k < KZ_BLOCK_LEN; k++) c->freqs[k] = 0;
        for (uint32_t k = 0; k < KZ_BLOCK_LEN; k++) bad |= c->freqs[k] >= c->freq_max;
        for (uint32_t k = 0; k < KZ_BLOCK_LEN; k++) c->freqs[k] += 1;
    }
    if (bad)
        return kz_fail(KZ_ECORRUPT, "postings: block %u of %u has frequencies above its maximum %u",
                       c->block, c->nblocks, c->freq_max);
    c->freq_block = c->block;
    return KZ_OK;
}

/* Past this many single reads in a block, decoding the whole block is cheaper. */
#define FREQ_SINGLES 8

int kz_postings_freq_slow(kz_postings_cursor *c, uint32_t *tf)
{
    if (c->doc != KZ_DOC_END && c->freq_bits != UINT32_MAX && c->freq_singles < FREQ_SINGLES) {
        c->freq_singles++;
        uint32_t v = kz_bitunpack128_one(c->freq_at, c->freq_bits, c->i);
        if (v >= c->freq_max)
            return kz_fail(KZ_ECORRUPT,
                           "postings: block %u of %u has a frequency above its maximum %u",
                           c->block, c->nblocks, c->freq_max);
        *tf = v + 1;
        return KZ_OK;
    }
    KZ_TRY(load_freqs(c));
    *tf = c->freqs[c->i];
    return KZ_OK;
}

int kz_postings_freqs_at(kz_postings_cursor *c, const uint32_t *idx, uint32_t count, uint32_t *tf)
{
    if (c->doc == KZ_DOC_END)
        return kz_fail(KZ_EINVAL, "postings: frequencies asked of an exhausted cursor");
    uint32_t beyond = 0; /* a caller's mistake must not read past the block */
    for (uint32_t k = 0; k < count; k++) beyond |= idx[k] >= c->n;
    if (beyond)
        return kz_fail(KZ_EINVAL, "postings: a frequency asked beyond the block's %u postings",
                       c->n);
    if (c->freq_block != c->block && c->freq_bits != UINT32_MAX &&
        c->freq_singles + count <= FREQ_SINGLES) {
        c->freq_singles += count;
        uint32_t bad = 0;
        for (uint32_t k = 0; k < count; k++) {
            tf[k] = kz_bitunpack128_one(c->freq_at, c->freq_bits, idx[k]);
            bad |= tf[k] >= c->freq_max;
            tf[k] += 1;
        }
        if (bad)
            return kz_fail(KZ_ECORRUPT,
                           "postings: block %u of %u has a frequency above its maximum %u",
                           c->block, c->nblocks, c->freq_max);
        return KZ_OK;
    }
    if (c->freq_block != c->block) KZ_TRY(load_freqs(c));
    for (uint32_t k = 0; k < count; k++) tf[k] = c->freqs[idx[k]];
    return KZ_OK;
}

int kz_postings_block_freqs(kz_postings_cursor *c, const uint32_t **freqs)
{
    if (c->freq_block != c->block || c->doc == KZ_DOC_END) KZ_TRY(load_freqs(c));
    *freqs = c->freqs;
    return KZ_OK;
}

static void exhaust(kz_postings_cursor *c)
{
    c->doc = KZ_DOC_END;
    c->i = c->n;
    struct skip none = {0, 0, 0, 0, 0};
    show_block_max(c, c->nblocks, &none);
}

/* The first block at or after `from` whose last id is >= target (nblocks if none): galloping
 * then binary search over the skip table, touching no block data. */
static uint32_t find_block(const kz_postings_cursor *c, uint32_t from, uint32_t target)
{
    uint32_t lo = from, hi = c->nblocks, step = 1;
    while (lo < c->nblocks) {
        uint32_t probe = c->nblocks - lo > step ? lo + step - 1 : c->nblocks - 1;
        if (skip_last(c, probe) >= target) {
            hi = probe;
            break;
        }
        lo = probe + 1;
        step *= 2;
    }
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (skip_last(c, mid) >= target)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

int kz_postings_open(kz_postings_cursor *c, const uint8_t *doc, size_t doc_len, const uint8_t *pos,
                     size_t pos_len, uint32_t df)
{
    memset(c, 0, offsetof(kz_postings_cursor, ids));
    c->doc = KZ_DOC_END;
    c->pos_block = UINT32_MAX;
    c->impacts_block = UINT32_MAX;
    c->freq_block = UINT32_MAX;
    c->ids[KZ_BLOCK_LEN] = KZ_DOC_END;
    if (df == 0) return kz_fail(KZ_ECORRUPT, "postings: list of 0 postings (df 0)");
    if (!doc || doc_len == 0) return kz_fail(KZ_ECORRUPT, "postings: empty doc data for a list");
    const uint8_t *p = doc, *end = doc + doc_len;
    uint64_t has_pos;
    if (kz_read_varint(&p, end, &has_pos) < 0 || has_pos > 1 ||
        kz_impacts_decode(&c->list_impacts, &p, end) < 0)
        return kz_fail(KZ_ECORRUPT, "postings: damaged list header (%zu bytes)", doc_len);
    c->df = df;
    c->list_max_tf = c->list_impacts.tf[c->list_impacts.n - 1];
    c->has_pos = (uint32_t)has_pos;
    c->list_min_len = c->list_impacts.len[0];
    c->nblocks = df / KZ_BLOCK_LEN + (df % KZ_BLOCK_LEN != 0);
    c->nfull = df / KZ_BLOCK_LEN;
    c->doc_data = doc;
    c->doc_end = end;
    c->pos_data = pos;
    c->pos_end = pos ? pos + pos_len : NULL;
    if (c->nblocks > 1) {
        uint64_t imp_len;
        if (kz_read_varint(&p, end, &imp_len) < 0 ||
            (size_t)(end - p) / SKIP_ENTRY_BYTES < c->nblocks ||
            (size_t)(end - p) - (size_t)SKIP_ENTRY_BYTES * c->nblocks < imp_len)
            return kz_fail(KZ_ECORRUPT,
                           "postings: skip table and impacts of %u blocks exceed their list "
                           "(length %zu)",
                           c->nblocks, doc_len);
        c->skips = p;
        p += (size_t)SKIP_ENTRY_BYTES * c->nblocks;
        c->impacts = p;
        c->impacts_len = (size_t)imp_len;
        p += imp_len;
    }
    c->payload = p;
    int rc = decode_block(c, 0, 0);
    if (rc < 0) c->doc = KZ_DOC_END;
    return rc;
}

int kz_postings_next(kz_postings_cursor *c)
{
    if (c->doc == KZ_DOC_END) return KZ_OK;
    if (++c->i < c->n) {
        c->doc = c->ids[c->i];
        return KZ_OK;
    }
    if (c->block + 1 >= c->nblocks) {
        exhaust(c);
        return KZ_OK;
    }
    int rc = decode_block(c, c->block + 1, (uint64_t)c->doc + 1);
    if (rc < 0) exhaust(c);
    return rc;
}

int kz_postings_advance_far(kz_postings_cursor *c, uint32_t target)
{
    if (target <= c->doc) return KZ_OK; /* also when exhausted */
    if (target > c->ids[c->n - 1]) {
        uint32_t b = c->skips ? find_block(c, c->block + 1, target) : c->nblocks;
        if (b >= c->nblocks) {
            exhaust(c);
            return KZ_OK;
        }
        int rc = decode_block(c, b, (uint64_t)c->doc + 1);
        if (rc < 0) {
            exhaust(c);
            return rc;
        }
    }
    /* ids[n-1] >= target now (the padding after n is KZ_DOC_END): the first id >= target,
     * often the first of a block just decoded (a skip to where a block starts) */
    uint32_t lo = c->ids[0] >= target ? 0 : kz_postings_lower_bound(c->ids, target);
    c->i = lo;
    c->doc = c->ids[lo];
    return KZ_OK;
}

int kz_postings_shallow_advance(kz_postings_cursor *c, uint32_t target)
{
    /* Commonest of all (WAND asks at every pivot): the target is in the decoded block, which the
     * block-max fields already describe. */
    if (c->shallow == c->block && c->block < c->nblocks && c->doc != KZ_DOC_END &&
        target <= c->block_last_doc)
        return KZ_OK;
    struct skip s = {0, 0, 0, 0, 0};
    if (c->doc == KZ_DOC_END) {
        show_block_max(c, c->nblocks, &s);
        return KZ_OK;
    }
    if (!c->skips) { /* one block, decoded since open */
        if (target > c->ids[c->n - 1]) {
            show_block_max(c, c->nblocks, &s);
        } else {
            KZ_TRY(read_skip(c, 0, &s));
            show_block_max(c, 0, &s);
        }
        return KZ_OK;
    }
    uint32_t from = c->block;
    if (c->shallow > from && c->shallow < c->nblocks && skip_last(c, c->shallow - 1) < target)
        from = c->shallow; /* the previous shallow move already passed the blocks before it */
    uint32_t b = find_block(c, from, target);
    if (b < c->nblocks) KZ_TRY(read_skip(c, b, &s));
    show_block_max(c, b, &s);
    return KZ_OK;
}

/* ---------------------------------------------------------------- cursor: positions */

/* Makes pos_buf hold chunk `chunk` of the decoded block's position values; *len receives the
 * number of values in it. */
static int load_chunk(kz_postings_cursor *c, uint64_t chunk, uint32_t *len)
{
    const size_t size = (size_t)(c->pos_end - c->pos_data);
    const uint8_t *widths = c->pos_data + c->pos_start;
    uint32_t count = chunk < c->pos_nchunks ? KZ_BLOCK_LEN : c->pos_tail;
    *len = count;
    if (c->pos_chunk == chunk) return KZ_OK;
    if (c->pos_walk > chunk) { /* walking restarts at the block's first chunk */
        c->pos_walk = 0;
        c->pos_walk_off = c->pos_start + (size_t)c->pos_nchunks;
    }
    while (c->pos_walk < chunk) {
        uint8_t w = widths[c->pos_walk];
        if (w > 32 || size - c->pos_walk_off < KZ_PACKED_BYTES(w)) goto damaged;
        c->pos_walk_off += KZ_PACKED_BYTES(w);
        c->pos_walk++;
    }
    if (chunk < c->pos_nchunks) {
        uint8_t w = widths[chunk];
        if (w > 32 || size - c->pos_walk_off < KZ_PACKED_BYTES(w)) goto damaged;
        kz_bitunpack128(c->pos_data + c->pos_walk_off, w, c->pos_buf);
    } else {
        KZ_TRY(kz_vbyte_decode(c->pos_data + c->pos_walk_off, c->pos_end, count, c->pos_buf, NULL));
    }
    c->pos_chunk = chunk;
    return KZ_OK;
damaged:
    return kz_fail(KZ_ECORRUPT,
                   "postings: positions of block %u exceed their stream (chunk %llu at offset "
                   "%zu, length %zu)",
                   c->block, (unsigned long long)c->pos_walk, c->pos_walk_off, size);
}

/* freqs[from..to) of the decoded block, summed. Each is below the block's maximum, so while that
 * is at most 2^24 the 32-bit sum of at most 128 cannot overflow, and the loop vectorizes (the
 * positions of common words walk it for nearly every posting they are asked about). */
static uint64_t sum_freqs(const kz_postings_cursor *c, uint32_t from, uint32_t to)
{
    if (c->freq_max <= (1u << 24)) {
        uint32_t sum = 0;
        for (uint32_t k = from; k < to; k++) sum += c->freqs[k];
        return sum;
    }
    uint64_t sum = 0;
    for (uint32_t k = from; k < to; k++) sum += c->freqs[k];
    return sum;
}

int kz_postings_positions(kz_postings_cursor *c, uint32_t *out)
{
    if (c->doc == KZ_DOC_END)
        return kz_fail(KZ_EINVAL, "postings: positions asked of an exhausted cursor");
    if (!c->has_pos || !c->pos_data)
        return kz_fail(KZ_ECORRUPT, "postings: the list %s",
                       c->has_pos ? "was opened without its position stream"
                                  : "was written without positions");
    if (c->freq_block != c->block) KZ_TRY(load_freqs(c)); /* the walk needs them */
    uint32_t tf = c->freqs[c->i];
    if (c->pos_block != c->block) {
        uint64_t total = sum_freqs(c, 0, c->n);
        struct skip s;
        KZ_TRY(read_skip(c, c->block, &s));
        size_t size = (size_t)(c->pos_end - c->pos_data);
        if (s.pos_off > size || (size - s.pos_off) < total / KZ_BLOCK_LEN)
            return kz_fail(KZ_ECORRUPT,
                           "postings: positions of block %u exceed their stream (offset %u, "
                           "length %zu)",
                           c->block, s.pos_off, size);
        c->pos_block = c->block;
        c->pos_start = s.pos_off;
        c->pos_nchunks = total / KZ_BLOCK_LEN;
        c->pos_tail = (uint32_t)(total % KZ_BLOCK_LEN);
        c->pos_walk = 0;
        c->pos_walk_off = c->pos_start + (size_t)c->pos_nchunks;
        c->pos_chunk = NO_CHUNK;
        c->pos_index = 0;
        c->pos_value = 0;
    }
    if (c->pos_index > c->i) c->pos_index = 0, c->pos_value = 0;
    c->pos_value += sum_freqs(c, c->pos_index, c->i);
    c->pos_index = c->i;

    uint64_t v = c->pos_value;
    uint32_t done = 0, len = 0;
    uint64_t last = 0;
    while (done < tf) {
        KZ_TRY(load_chunk(c, v / KZ_BLOCK_LEN, &len));
        if (v % KZ_BLOCK_LEN >= len) /* cannot happen while freqs sum to total; never loop */
            return kz_fail(KZ_ECORRUPT, "postings: positions of block %u are inconsistent",
                           c->block);
        for (uint32_t k = (uint32_t)(v % KZ_BLOCK_LEN); k < len && done < tf; k++, v++) {
            uint64_t p = done == 0 ? c->pos_buf[k] : last + c->pos_buf[k];
            if ((done > 0 && c->pos_buf[k] == 0) || p > UINT32_MAX)
                return kz_fail(KZ_ECORRUPT,
                               "postings: positions of passage %u do not increase within 32 bits",
                               c->doc);
            out[done++] = (uint32_t)(last = p);
        }
    }
    c->pos_index = c->i + 1;
    c->pos_value = v;
    return KZ_OK;
}
