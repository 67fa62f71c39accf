/* postings.h - one term's posting list in a segment: passage ids, term frequencies, skip and
 * block-max data, and positions; the encoder (used by the indexer) and the cursor (used by
 * queries and merges).
 *
 * A list is two byte strings: the doc stream (ids + frequencies + per-block skip/block-max data)
 * and the position stream (read only by phrase queries, merges and highlighting). Ids are
 * segment-local passage ids, strictly increasing. Full blocks of KZ_BLOCK_LEN postings are
 * bit-packed (id gaps with delta coding, frequencies minus one); the last partial block is
 * variable-byte. Each block has a skip entry holding its last id, the byte offsets of its doc and
 * position data and its maximum frequency, so that advance(target) skips whole blocks without
 * decoding them; the list and each block carry their impacts (impacts.h), from which the exact
 * BM25 maximum of the list or block is computed for any k1 and b. The byte layout is in
 * docs/format/postings.md.
 *
 * The cursor trusts nothing: every offset read from the stream is checked against the stream's
 * length, and damage gives KZ_ECORRUPT, never an out-of-bounds read. */
#ifndef KZ_POSTINGS_H
#define KZ_POSTINGS_H

#include "bitpack.h"
#include "buf.h"
#include "impacts.h"
#include "kzsearch.h"

#include <stddef.h>
#include <stdint.h>

#define KZ_DOC_END UINT32_MAX /* the id of an exhausted cursor; never a real passage id */

/* Encodes one posting list of n postings (n >= 1) and appends it to doc_out and pos_out.
 *   docs[i]     strictly increasing passage ids (< KZ_DOC_END)
 *   tfs[i]      frequency >= 1 of the term in docs[i]
 *   positions   the positions of the term in each passage, concatenated: tfs[0] increasing
 *               positions of docs[0], then tfs[1] of docs[1], ...; NULL to store no positions
 *   doc_len     passage length in tokens, indexed by passage id (for the block minimum); NULL
 *               when lengths are unknown (every minimum is then 0, a bound that always holds)
 * pos_out may be NULL when positions is NULL. On success *doc_bytes and *pos_bytes (either may be
 * NULL) receive the number of bytes appended to each stream; on failure (KZ_EINVAL for a list
 * that breaks these rules, KZ_ENOMEM) both streams are left as they were. */
int kz_postings_encode(kz_buf *doc_out, kz_buf *pos_out, const uint32_t *docs, const uint32_t *tfs,
                       const uint32_t *positions, size_t n, const uint32_t *doc_len,
                       size_t *doc_bytes, size_t *pos_bytes);

/* A cursor over one posting list. Fields marked "read" may be read directly; treat the rest as
 * private. A cursor is a plain value: it allocates nothing and needs no free. */
typedef struct kz_postings_cursor {
    uint32_t doc; /* read: current passage id, or KZ_DOC_END when exhausted */
    uint32_t df;  /* read: postings in the list */

    /* read, after kz_postings_shallow_advance: the block that may hold the target (its impacts:
     * kz_postings_block_impacts) */
    uint32_t block_last_doc; /* last id of that block (KZ_DOC_END past the last block) */
    uint32_t block_max_tf;   /* largest frequency in that block (0 past the last block) */
    uint32_t list_max_tf;    /* largest frequency in the whole list */
    uint32_t list_min_len;   /* smallest passage length in the whole list */
    kz_impacts list_impacts; /* the list's (frequency, length) frontier */

    /* private */
    const uint8_t *doc_data, *doc_end; /* the list's doc bytes */
    const uint8_t *pos_data, *pos_end; /* the list's position bytes (NULL when not given) */
    const uint8_t *skips;              /* the skip entries; NULL for a one-block list */
    const uint8_t *payload;            /* the first block's doc data */
    const uint8_t *impacts;            /* the blocks' impacts (with a skip table) */
    size_t impacts_len;
    uint32_t block_imp_off; /* offset of block `shallow`'s impacts */
    uint32_t impacts_block; /* block whose impacts block_impacts holds (or UINT32_MAX) */
    kz_impacts block_impacts;
    uint32_t nblocks; /* blocks, including a final partial one */
    uint32_t nfull;   /* bit-packed blocks (all but a partial last one) */
    uint32_t block;   /* index of the decoded block */
    uint32_t shallow; /* read: the block shallow_advance points at (a key for caching its bounds) */
    uint32_t i, n;    /* position in the decoded block and its length */
    uint32_t has_pos; /* the list was written with positions */
    /* frequencies of the decoded block, decoded on first use (see kz_postings_freq) */
    uint32_t freq_block;            /* block whose frequencies are in freqs[] (UINT32_MAX: none) */
    uint32_t freq_bits;             /* their bit width in a full block */
    uint32_t freq_max;              /* the block's max_tf, which every frequency must respect */
    uint32_t freq_singles;          /* frequencies of this block read one by one so far */
    const uint8_t *freq_at;         /* their encoded bytes */
    uint32_t ids[KZ_BLOCK_LEN + 1]; /* ids[KZ_BLOCK_LEN] is always KZ_DOC_END: a sentinel */
    uint32_t freqs[KZ_BLOCK_LEN];
    /* positions of the decoded block, read lazily and only forwards */
    uint32_t pos_block;   /* block whose position layout is loaded (UINT32_MAX: none) */
    uint32_t pos_index;   /* index in ids[] whose positions start at value pos_value */
    uint64_t pos_value;   /* index of that posting's first position among the block's values */
    uint64_t pos_nchunks; /* bit-packed chunks of 128 values in the block */
    uint32_t pos_tail;    /* values after them, in variable-byte */
    uint64_t pos_walk;    /* chunk whose packed data starts at byte pos_walk_off */
    uint64_t pos_chunk;   /* chunk decoded in pos_buf (UINT64_MAX: none) */
    size_t pos_start;     /* offset of the block's position data in the position bytes */
    size_t pos_walk_off;  /* see pos_walk */
    uint32_t pos_buf[KZ_BLOCK_LEN];
} kz_postings_cursor;

/* Opens a cursor on the list stored in doc bytes [doc, doc+doc_len) and position bytes
 * [pos, pos+pos_len) (pos may be NULL with pos_len 0 when positions are not needed). df is the
 * list's length from the term dictionary. The cursor is positioned on the first posting.
 * Returns KZ_OK or KZ_ECORRUPT. */
int kz_postings_open(kz_postings_cursor *c, const uint8_t *doc, size_t doc_len, const uint8_t *pos,
                     size_t pos_len, uint32_t df);

/* For scanning postings in bulk: the decoded block's ids are c->ids[c->i .. c->n) (the current
 * posting first); this decodes their frequencies into *freqs (same indices). KZ_OK or
 * KZ_ECORRUPT; KZ_EINVAL when exhausted. */
int kz_postings_block_freqs(kz_postings_cursor *c, const uint32_t **freqs);

/* The frequencies of postings idx[0..count) of the decoded block (each < c->n) into tf[], the
 * cursor staying where it is: read one by one when they are few, else the block's are decoded.
 * For scoring a batch of an intersection's matches. KZ_OK, KZ_ECORRUPT, or KZ_EINVAL when
 * exhausted. */
int kz_postings_freqs_at(kz_postings_cursor *c, const uint32_t *idx, uint32_t count, uint32_t *tf);

/* Moves to posting i of the decoded block (c->i <= i < c->n): never backwards. */
static inline void kz_postings_seek_in_block(kz_postings_cursor *c, uint32_t i)
{
    c->i = i;
    c->doc = c->ids[i];
}

/* kz_postings_freq when the block's frequencies are not decoded. */
int kz_postings_freq_slow(kz_postings_cursor *c, uint32_t *tf);

/* The frequency of the term in the current passage (doc != KZ_DOC_END) into *tf. Frequencies
 * are decoded only when asked for: the first few of a block one by one (an intersection scores
 * a few postings of each block of a long list), then the whole block. KZ_OK, KZ_ECORRUPT, or
 * KZ_EINVAL when exhausted. */
static inline int kz_postings_freq(kz_postings_cursor *c, uint32_t *tf)
{
    if (c->freq_block != c->block || c->doc == KZ_DOC_END) return kz_postings_freq_slow(c, tf);
    *tf = c->freqs[c->i];
    return KZ_OK;
}

/* Moves to the next posting (doc becomes KZ_DOC_END after the last). KZ_OK or KZ_ECORRUPT. */
int kz_postings_next(kz_postings_cursor *c);

/* kz_postings_advance out of line, for any target; the inline part calls it for one beyond the
 * decoded block (the skip table finds its block, which is decoded). */
int kz_postings_advance_far(kz_postings_cursor *c, uint32_t target);

/* The index of the first of the KZ_BLOCK_LEN increasing ids that is >= target, given that the
 * last is: a binary search whose steps compile to conditional moves, so that an intersection
 * (whose probes land anywhere) pays no mispredicted branches - they were a third of its time. */
static inline uint32_t kz_postings_lower_bound(const uint32_t *ids, uint32_t target)
{
    uint32_t pos = 0;
    for (uint32_t step = KZ_BLOCK_LEN / 2; step > 0; step /= 2)
        pos += step & (0u - (uint32_t)(ids[pos + step - 1] < target)); /* no branch */
    return pos;
}

/* Moves to the first posting with id >= target, skipping whole blocks through the skip data.
 * Never moves backwards. KZ_OK or KZ_ECORRUPT. Inline for the commonest cases: the target is
 * in the decoded block. */
static inline int kz_postings_advance(kz_postings_cursor *c, uint32_t target)
{
    if (target <= c->doc) return KZ_OK; /* also when exhausted */
    if (target <= c->ids[c->n - 1]) {   /* in the decoded block: the next posting (a walk) or
                                         anywhere after it (an intersection) */
        c->i = c->ids[c->i + 1] >= target ? c->i + 1 : kz_postings_lower_bound(c->ids, target);
        c->doc = c->ids[c->i];
        return KZ_OK;
    }
    return kz_postings_advance_far(c, target);
}

/* Points the block-max fields at the block that would hold target, without decoding it or
 * moving the cursor. target must be >= the current doc. KZ_OK or KZ_ECORRUPT. */
int kz_postings_shallow_advance(kz_postings_cursor *c, uint32_t target);

/* The impacts of the block the block-max fields describe (decoded on first request; the list's
 * own for a one-block list; none, n = 0, past the last block). KZ_OK or KZ_ECORRUPT. */
int kz_postings_block_impacts(kz_postings_cursor *c, const kz_impacts **out);

/* Decodes the positions of the current posting into out (room for its frequency's worth of
 * values, kz_postings_freq), increasing.
 * KZ_OK, or KZ_ECORRUPT (also when the list was opened without positions). */
int kz_postings_positions(kz_postings_cursor *c, uint32_t *out);

#endif
