/* zh_dict.h - the compiled Chinese dictionary: jieba's prefix dictionary as a read-only,
 * mmappable trie over code points, with each word's log-probability.
 *
 * A dictionary is a blob (built by kz_zhdict_compile from a jieba dict.txt, embedded in the
 * library by cmake/zhdict.cmake, or read from a file) and a small view over it that
 * kz_zhdict_open fills after validating every byte the lookups can reach. The trie has one node
 * per distinct prefix of a dictionary word, exactly the keys of jieba's FREQ table: node 0 is the
 * empty prefix (the root); every other node has a label (its last code point) and a parent.
 * Nodes are numbered breadth-first with siblings sorted by label, so the children of node i are
 * the contiguous, label-sorted range [first_child(i), first_child(i+1)) and every child's number
 * is greater than its parent's; the walk from any node therefore only moves forward and ends.
 * A node is a word when its frequency is positive; its log-probability is then
 * log(freq) - log(total), computed with the same libm calls and in the same order as jieba's
 * calc(), so route scores agree with jieba's bit for bit. A prefix-only node (jieba's freq 0)
 * carries the sentinel KZ_ZHDICT_NOT_WORD (+1.0, a value no log-probability can take).
 * This layout was chosen over a double-array trie: it is built in one pass over the sorted words,
 * is as compact, and does not suffer from the sparse base offsets a double array gets when its
 * alphabet is all of Unicode. Root lookups, one per character of text, go through a direct table over the CJK Unified
 * Ideographs block; other first characters (Latin letters in "T恤", Extension A) use binary
 * search among the root's children.
 *
 * Blob layout (little-endian; see zh_dict.c for the byte grammar): a 64-byte header (magic,
 * version, node and word counts, total frequency, root table range, checksum), then one 16-byte
 * record per node {f64 logp, u32 label, u32 first_child} plus a sentinel record whose
 * first_child ends the last range, then u32 root_table[count]. A record holds everything one
 * step of a walk reads (the child range of the node, and the label and log-probability of each
 * candidate child), so a step touches one or two cache lines. */
#ifndef KZ_ZH_DICT_H
#define KZ_ZH_DICT_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The log-probability stored for a prefix that is not itself a word. */
#define KZ_ZHDICT_NOT_WORD 1.0
/* Bytes per node record: f64 logp, u32 label, u32 first_child. */
#define KZ_ZHDICT_NODE 16

/* Read-only after open; safe to share between threads. The fields are read by the segmenter's
 * inline lookups below; nothing else should touch them. */
typedef struct kz_zhdict {
    const uint8_t *nodes;      /* node records, KZ_ZHDICT_NODE bytes each, nnodes + 1 of them */
    const uint8_t *root_table; /* u32[root_count]: node for code point root_lo + i, or 0 */
    uint32_t nnodes;
    uint32_t nwords;
    uint32_t root_lo;
    uint32_t root_count;
    uint32_t max_word_len; /* depth of the deepest node: no word is longer */
    uint64_t total;        /* sum of the frequencies (jieba's total) */
    double unknown_logp;   /* 0.0 - log(total): jieba's score for a character outside the DAG */
    uint64_t hash;         /* the header's checksum: identifies the dictionary */
} kz_zhdict;

/* Validates blob (header, checksum and every offset; KZ_ECORRUPT on damage) and makes a view of
 * it. Borrows blob: it must outlive the dictionary. */
int kz_zhdict_open(kz_zhdict **out, const void *blob, size_t len);

/* A view of a blob that was validated before and cannot have changed since, made from its
 * header alone (KZ_ECORRUPT if the header is inconsistent with len): the blob built into the
 * library (kz_zhdict_builtin). kz_mkdict opened that blob with kz_zhdict_open before the build
 * embedded it, and it lies in the library's read-only image: checking its 8 MB again (the
 * checksum and every node, 28 M instructions, ~7 ms) at every start of a process would only
 * prove the build again. test_zh_segment opens it both ways and compares the views. */
int kz_zhdict_open_trusted(kz_zhdict **out, const void *blob, size_t len);
void kz_zhdict_free(kz_zhdict *d);

/* The blob embedded in the library at build time (defined in the generated source). */
const void *kz_zhdict_builtin(size_t *len);

/* Identifies the dictionary's content; an index records it so that queries are segmented with
 * the dictionary the index was built with. */
uint64_t kz_zhdict_hash(const kz_zhdict *d);

/* The same identity read from a blob's header alone (the header's fields checked against len,
 * nothing else): what kz_zhdict_hash will give once kz_zhdict_open has verified the blob against
 * it. KZ_OK or KZ_ECORRUPT. */
int kz_zhdict_peek_hash(const void *blob, size_t len, uint64_t *hash);

/* Reads a jieba dict.txt ("word freq [tag]" lines, as jieba's gen_pfdict reads them) and appends
 * the blob to out. KZ_EIO if the file cannot be read, KZ_EINVAL (with the line number) if a line
 * is not one jieba accepts. */
int kz_zhdict_compile(kz_buf *out, const char *dict_txt_path);

/* ---- lookups used by the segmenter (hot path: inline, no checks beyond the validated ones) */

static inline uint32_t kz_zhdict_u32_(const uint8_t *a, uint32_t i)
{
    return kz_load_u32le(a + 4 * (size_t)i);
}

static inline uint32_t kz_zhdict_label(const kz_zhdict *d, uint32_t node)
{
    return kz_load_u32le(d->nodes + (size_t)KZ_ZHDICT_NODE * node + 8);
}

/* First child of node; the children are [kz_zhdict_first_child(node), ...(node + 1)). */
static inline uint32_t kz_zhdict_first_child(const kz_zhdict *d, uint32_t node)
{
    return kz_load_u32le(d->nodes + (size_t)KZ_ZHDICT_NODE * node + 12);
}

/* The node reached from `node` by the code point cp, or 0 if the prefix is not in the
 * dictionary (0 is the root, never a child). */
static inline uint32_t kz_zhdict_child(const kz_zhdict *d, uint32_t node, uint32_t cp)
{
    if (node == 0 && cp - d->root_lo < d->root_count)
        return kz_zhdict_u32_(d->root_table, cp - d->root_lo);
    uint32_t lo = kz_zhdict_first_child(d, node);
    uint32_t hi = kz_zhdict_first_child(d, node + 1);
    while (hi - lo > 8) { /* binary search down to a short run, then scan it */
        uint32_t mid = lo + (hi - lo) / 2;
        if (kz_zhdict_label(d, mid) <= cp)
            lo = mid;
        else
            hi = mid;
    }
    for (; lo < hi; lo++) {
        uint32_t l = kz_zhdict_label(d, lo);
        if (l == cp) return lo;
        if (l > cp) break;
    }
    return 0;
}

/* The word's log-probability, or KZ_ZHDICT_NOT_WORD for a prefix-only node. */
static inline double kz_zhdict_logp(const kz_zhdict *d, uint32_t node)
{
    double v;
    memcpy(&v, d->nodes + (size_t)KZ_ZHDICT_NODE * node, sizeof v);
    return v;
}

/* Whether cps[0..n) is a dictionary word (jieba's `FREQ.get(w)` is truthy). */
static inline int kz_zhdict_is_word(const kz_zhdict *d, const uint32_t *cps, size_t n)
{
    uint32_t node = 0;
    for (size_t i = 0; i < n; i++) {
        node = kz_zhdict_child(d, node, cps[i]);
        if (node == 0) return 0;
    }
    return n > 0 && kz_zhdict_logp(d, node) <= 0.0;
}

#endif
