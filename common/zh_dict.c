/* zh_dict.c - compiling a jieba dict.txt into the dictionary blob, and validating a blob.
 *
 * Blob grammar (all integers little-endian; records 8-byte aligned as the header is 64 bytes):
 *   header  := magic "KZZHDICT" | u32 version (1) | u32 header size (64) | u32 nnodes
 *              | u32 nwords | u64 total | u32 root_lo | u32 root_count | u64 body size
 *              | u64 reserved (0) | u64 checksum
 *   body    := node[nnodes + 1] | u32 root_table[root_count]
 *   node    := f64 logp | u32 label | u32 first_child   (the last one is a sentinel
 *              {KZ_ZHDICT_NOT_WORD, 0, nnodes} that closes the last child range)
 *   checksum = XXH3-64 of the body, seeded with XXH3-64 of the header's first 56 bytes, so a
 *   flipped bit anywhere in the blob is caught.
 * The invariants kz_zhdict_open checks (and kz_zhdict_compile produces) are those listed in
 * zh_dict.h: first_child(0) == 1, non-decreasing, first_child(i) > i, first_child(nnodes) ==
 * nnodes; labels strictly increasing among siblings; logp either KZ_ZHDICT_NOT_WORD or finite and
 * <= 0, with exactly nwords of the latter; each root_table entry 0 or the root's child with that
 * label. Together they make every lookup in zh_dict.h stay inside the blob. */
#include "zh_dict.h"

#include "error.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

#define KZ_ZHDICT_MAGIC   "KZZHDICT"
#define KZ_ZHDICT_VERSION 1u
#define KZ_ZHDICT_HEADER  64u
/* The direct root table spans the CJK Unified Ideographs block (U+4E00..U+9FFF): nearly every
 * character of Chinese text is in it, and 84 KB of table saves a binary search over ~20,000 root
 * children at every character. */
#define KZ_ZHDICT_ROOT_LO  0x4E00u
#define KZ_ZHDICT_ROOT_CNT (0xA000u - 0x4E00u)

static uint64_t blob_checksum(const uint8_t *blob, size_t body_len)
{
    XXH64_hash_t seed = XXH3_64bits(blob, 56);
    return XXH3_64bits_withSeed(blob + KZ_ZHDICT_HEADER, body_len, seed);
}

/* ---------------------------------------------------------------------------------------------
 * Compiling dict.txt
 * ------------------------------------------------------------------------------------------- */

typedef struct entry {
    uint32_t off;  /* first code point in the pool */
    uint32_t len;  /* code points */
    uint32_t line; /* later lines override earlier ones, as in jieba's dict assignment */
    uint64_t freq;
} entry;

typedef struct compiler {
    uint32_t *pool; /* code points of every word */
    size_t npool, cappool;
    entry *entries;
    size_t nentries, capentries;
    uint64_t total;
} compiler;

/* qsort has no context argument; compiles may run in several threads, hence _Thread_local. */
static _Thread_local const uint32_t *tl_pool;

static int same_word(const entry *x, const entry *y)
{
    return x->len == y->len && memcmp(tl_pool + x->off, tl_pool + y->off, 4 * (size_t)x->len) == 0;
}

static int entry_cmp(const void *a, const void *b)
{
    const entry *x = a, *y = b;
    uint32_t n = x->len < y->len ? x->len : y->len;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cx = tl_pool[x->off + i], cy = tl_pool[y->off + i];
        if (cx != cy) return cx < cy ? -1 : 1;
    }
    if (x->len != y->len) return x->len < y->len ? -1 : 1;
    return x->line < y->line ? -1 : (x->line > y->line);
}

/* Decodes one UTF-8 sequence strictly (as Python's bytes.decode('utf-8') does: no overlong
 * forms, no surrogates, nothing above U+10FFFF). Returns its length, or 0 if invalid. */
static size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp)
{
    uint8_t b = p[0];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if (b >= 0xC2 && b <= 0xDF) {
        len = 2, c = b & 0x1F, min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
        len = 3, c = b & 0x0F, min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
        len = 4, c = b & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) return 0;
    *cp = c;
    return len;
}

static int is_py_space(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/* Parses jieba's int(freq) for the plain forms dictionaries use: optional spaces, optional '+',
 * ASCII digits. Frequencies are bounded so that the total cannot overflow 64 bits. */
static int parse_freq(const uint8_t *p, size_t n, uint64_t *out)
{
    size_t i = 0;
    while (i < n && is_py_space(p[i])) i++;
    if (i < n && p[i] == '+') i++;
    if (i == n || p[i] < '0' || p[i] > '9') return -1;
    uint64_t v = 0;
    for (; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
        v = v * 10 + (uint64_t)(p[i] - '0');
        if (v > (UINT64_C(1) << 48)) return -1;
    }
    while (i < n && is_py_space(p[i])) i++;
    if (i != n) return -1;
    *out = v;
    return 0;
}

static int add_line(compiler *c, const char *path, uint32_t lineno, const uint8_t *p, size_t n)
{
    while (n > 0 && is_py_space(p[0])) p++, n--;
    while (n > 0 && is_py_space(p[n - 1])) n--;
    const uint8_t *sp = memchr(p, ' ', n);
    if (sp == NULL || sp == p)
        return kz_fail(KZ_EINVAL, "%s:%u: expected \"word frequency [tag]\"", path, lineno);
    const uint8_t *fp = sp + 1, *fe = memchr(fp, ' ', (size_t)(p + n - fp));
    if (fe == NULL) fe = p + n;
    uint64_t freq;
    if (parse_freq(fp, (size_t)(fe - fp), &freq) < 0)
        return kz_fail(KZ_EINVAL, "%s:%u: the frequency is not a non-negative integer", path,
                       lineno);
    if (c->npool + (size_t)(sp - p) > UINT32_MAX || c->nentries >= UINT32_MAX)
        return kz_fail(KZ_EINVAL, "%s: too large for a dictionary", path);
    if (c->npool + (size_t)(sp - p) > c->cappool) {
        size_t cap = c->cappool ? c->cappool : 1 << 16;
        while (cap < c->npool + (size_t)(sp - p)) cap *= 2;
        uint32_t *np = realloc(c->pool, cap * sizeof *np);
        if (np == NULL) return KZ_ENOMEM_FAIL();
        c->pool = np, c->cappool = cap;
    }
    if (c->nentries == c->capentries) {
        size_t cap = c->capentries ? 2 * c->capentries : 1 << 14;
        entry *ne = realloc(c->entries, cap * sizeof *ne);
        if (ne == NULL) return KZ_ENOMEM_FAIL();
        c->entries = ne, c->capentries = cap;
    }
    entry *e = &c->entries[c->nentries];
    e->off = (uint32_t)c->npool;
    e->line = lineno;
    e->freq = freq;
    for (const uint8_t *q = p; q < sp;) {
        uint32_t cp;
        size_t k = utf8_decode(q, (size_t)(sp - q), &cp);
        if (k == 0) return kz_fail(KZ_EINVAL, "%s:%u: the word is not valid UTF-8", path, lineno);
        c->pool[c->npool++] = cp;
        q += k;
    }
    e->len = (uint32_t)(c->npool - e->off);
    c->nentries++;
    c->total += freq; /* jieba adds every line, duplicates included */
    return KZ_OK;
}

static int read_file(kz_buf *b, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) return kz_fail_errno(KZ_EIO, "cannot open dictionary %s", path);
    int rc = KZ_OK;
    for (;;) {
        KZ_CHECK(kz_buf_reserve(b, 1 << 16));
        size_t got = fread(b->data + b->len, 1, b->cap - b->len, f);
        b->len += got;
        if (got == 0) break;
    }
    if (ferror(f)) rc = kz_fail_errno(KZ_EIO, "cannot read dictionary %s", path);
done:
    fclose(f);
    return rc;
}

/* Builds the breadth-first trie from the sorted, de-duplicated words and writes the blob. */
static int emit(kz_buf *out, compiler *c, const entry *w, size_t nw)
{
    int rc = KZ_OK;
    size_t maxnodes = 1 + c->npool;
    double *logp = malloc(maxnodes * sizeof *logp);
    uint32_t *label = malloc(maxnodes * sizeof *label);
    uint32_t *nchild = calloc(maxnodes, sizeof *nchild);
    uint32_t *cur = calloc(nw ? nw : 1, sizeof *cur); /* node of each word's prefix so far */
    if (!logp || !label || !nchild || !cur) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    double logtotal = log((double)c->total);
    uint32_t nnodes = 1, nwords = 0, maxlen = 0;
    logp[0] = KZ_ZHDICT_NOT_WORD;
    label[0] = 0;
    for (size_t i = 0; i < nw; i++) maxlen = w[i].len > maxlen ? w[i].len : maxlen;
    /* Level d holds the distinct prefixes of length d in lexicographic order, which is the order
     * of (parent, label) because the parents were numbered the same way one level up. */
    for (uint32_t d = 1; d <= maxlen; d++) {
        uint32_t prev_parent = UINT32_MAX, prev_label = 0, node = 0;
        for (size_t i = 0; i < nw; i++) {
            if (w[i].len < d) continue;
            uint32_t parent = cur[i], lab = c->pool[w[i].off + d - 1];
            if (parent != prev_parent || lab != prev_label) {
                node = nnodes++;
                label[node] = lab;
                logp[node] = KZ_ZHDICT_NOT_WORD;
                nchild[parent]++;
                prev_parent = parent, prev_label = lab;
            }
            cur[i] = node;
            if (w[i].len == d && w[i].freq > 0) {
                /* the same expression and order as jieba: log(freq) - logtotal */
                logp[node] = log((double)w[i].freq) - logtotal;
                nwords++;
            }
        }
    }

    size_t body = (size_t)KZ_ZHDICT_NODE * ((size_t)nnodes + 1) + 4 * (size_t)KZ_ZHDICT_ROOT_CNT;
    size_t base = out->len;
    KZ_CHECK(kz_buf_reserve(out, KZ_ZHDICT_HEADER + body));
    KZ_CHECK(kz_buf_append(out, KZ_ZHDICT_MAGIC, 8));
    KZ_CHECK(kz_buf_append_u32le(out, KZ_ZHDICT_VERSION));
    KZ_CHECK(kz_buf_append_u32le(out, KZ_ZHDICT_HEADER));
    KZ_CHECK(kz_buf_append_u32le(out, nnodes));
    KZ_CHECK(kz_buf_append_u32le(out, nwords));
    KZ_CHECK(kz_buf_append_u64le(out, c->total));
    KZ_CHECK(kz_buf_append_u32le(out, KZ_ZHDICT_ROOT_LO));
    KZ_CHECK(kz_buf_append_u32le(out, KZ_ZHDICT_ROOT_CNT));
    KZ_CHECK(kz_buf_append_u64le(out, body));
    KZ_CHECK(kz_buf_append_u64le(out, 0));
    KZ_CHECK(kz_buf_append_u64le(out, 0)); /* checksum, filled in below */
    uint32_t fc = 1;
    for (uint32_t i = 0; i <= nnodes; i++) {
        double lp = i < nnodes ? logp[i] : KZ_ZHDICT_NOT_WORD;
        uint64_t bits;
        memcpy(&bits, &lp, 8);
        KZ_CHECK(kz_buf_append_u64le(out, bits));
        KZ_CHECK(kz_buf_append_u32le(out, i < nnodes ? label[i] : 0));
        KZ_CHECK(kz_buf_append_u32le(out, fc));
        if (i < nnodes) fc += nchild[i];
    }
    size_t table = out->len;
    KZ_CHECK(kz_buf_append_zeros(out, 4 * (size_t)KZ_ZHDICT_ROOT_CNT));
    for (uint32_t id = 1; id < 1 + nchild[0]; id++)
        if (label[id] - KZ_ZHDICT_ROOT_LO < KZ_ZHDICT_ROOT_CNT)
            kz_store_u32le(out->data + table + 4 * (size_t)(label[id] - KZ_ZHDICT_ROOT_LO), id);
    kz_store_u64le(out->data + base + 56, blob_checksum(out->data + base, body));
done:
    free(logp);
    free(label);
    free(nchild);
    free(cur);
    return rc;
}

int kz_zhdict_compile(kz_buf *out, const char *dict_txt_path)
{
    int rc = KZ_OK;
    kz_buf text = KZ_BUF_INIT;
    compiler c = {0};
    KZ_CHECK(read_file(&text, dict_txt_path));
    uint32_t lineno = 0;
    for (size_t pos = 0; pos < text.len;) {
        const uint8_t *nl = memchr(text.data + pos, '\n', text.len - pos);
        size_t end = nl ? (size_t)(nl - text.data) : text.len;
        KZ_CHECK(add_line(&c, dict_txt_path, ++lineno, text.data + pos, end - pos));
        pos = end + 1;
    }
    if (c.total == 0) {
        rc = kz_fail(KZ_EINVAL, "%s: no word with a positive frequency", dict_txt_path);
        goto done;
    }
    tl_pool = c.pool;
    qsort(c.entries, c.nentries, sizeof *c.entries, entry_cmp);
    /* keep the last line of each word: jieba's later assignment wins */
    size_t nw = 0;
    for (size_t i = 0; i < c.nentries; i++) {
        if (nw > 0 && same_word(&c.entries[nw - 1], &c.entries[i])) nw--;
        c.entries[nw++] = c.entries[i];
    }
    KZ_CHECK(emit(out, &c, c.entries, nw));
done:
    kz_buf_free(&text);
    free(c.pool);
    free(c.entries);
    return rc;
}

/* ---------------------------------------------------------------------------------------------
 * Opening a blob
 * ------------------------------------------------------------------------------------------- */

static int corrupt(const char *what)
{
    return kz_fail(KZ_ECORRUPT,
                   "Chinese dictionary blob is damaged (%s): rebuild it with kz_mkdict from a "
                   "jieba dict.txt",
                   what);
}

/* The view of blob from its header: sizes, counts and the hash, checked against len; not the
 * checksum, not the trie. */
static int read_header(const uint8_t *b, size_t len, kz_zhdict *v)
{
    if (b == NULL || len < KZ_ZHDICT_HEADER) return corrupt("shorter than its header");
    if (memcmp(b, KZ_ZHDICT_MAGIC, 8) != 0) return corrupt("wrong magic");
    if (kz_load_u32le(b + 8) != KZ_ZHDICT_VERSION) return corrupt("unknown version");
    if (kz_load_u32le(b + 12) != KZ_ZHDICT_HEADER) return corrupt("wrong header size");
    uint32_t n = kz_load_u32le(b + 16), nwords = kz_load_u32le(b + 20);
    uint64_t total = kz_load_u64le(b + 24);
    uint32_t root_lo = kz_load_u32le(b + 32), root_count = kz_load_u32le(b + 36);
    uint64_t body = kz_load_u64le(b + 40);
    if (n == 0 || n == UINT32_MAX) return corrupt("node count");
    uint64_t want = (uint64_t)KZ_ZHDICT_NODE * ((uint64_t)n + 1) + 4 * (uint64_t)root_count;
    if (body != want || body != len - KZ_ZHDICT_HEADER) return corrupt("length");
    if (kz_load_u64le(b + 48) != 0) return corrupt("reserved field");
    if (total == 0) return corrupt("zero total frequency");
    *v = (kz_zhdict){0};
    v->nodes = b + KZ_ZHDICT_HEADER;
    v->root_table = v->nodes + (size_t)KZ_ZHDICT_NODE * ((size_t)n + 1);
    v->nnodes = n, v->nwords = nwords, v->total = total;
    v->root_lo = root_lo, v->root_count = root_count;
    v->unknown_logp = 0.0 - log((double)total);
    v->hash = kz_load_u64le(b + 56);
    return KZ_OK;
}

/* The checksum and every invariant of zh_dict.c's header comment, on the view of blob b. */
static int validate(const kz_zhdict *v, const uint8_t *b)
{
    const uint32_t n = v->nnodes;
    if (blob_checksum(b, (size_t)kz_load_u64le(b + 40)) != v->hash)
        return corrupt("checksum mismatch");
    if (kz_zhdict_first_child(v, 0) != 1 || kz_zhdict_first_child(v, n) != n ||
        kz_zhdict_label(v, 0) != 0 || kz_zhdict_label(v, n) != 0 ||
        kz_zhdict_logp(v, n) != KZ_ZHDICT_NOT_WORD)
        return corrupt("trie root");
    uint32_t words = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t lo = kz_zhdict_first_child(v, i), hi = kz_zhdict_first_child(v, i + 1);
        if (lo <= i || hi < lo || hi > n) return corrupt("child ranges");
        for (uint32_t k = lo + 1; k < hi; k++)
            if (kz_zhdict_label(v, k - 1) >= kz_zhdict_label(v, k))
                return corrupt("unsorted children");
        double lp = kz_zhdict_logp(v, i);
        if (lp == KZ_ZHDICT_NOT_WORD) continue;
        if (!isfinite(lp) || lp > 0.0 || i == 0) return corrupt("log-probability");
        words++;
    }
    if (words != v->nwords) return corrupt("word count");
    uint32_t rlo = kz_zhdict_first_child(v, 0), rhi = kz_zhdict_first_child(v, 1);
    for (uint32_t i = 0; i < v->root_count; i++) {
        uint32_t id = kz_zhdict_u32_(v->root_table, i);
        if (id != 0 && (id < rlo || id >= rhi || kz_zhdict_label(v, id) != v->root_lo + i))
            return corrupt("root table");
    }
    for (uint32_t id = rlo; id < rhi; id++) {
        uint32_t l = kz_zhdict_label(v, id);
        if (l - v->root_lo < v->root_count && kz_zhdict_u32_(v->root_table, l - v->root_lo) != id)
            return corrupt("root table");
    }
    return KZ_OK;
}

/* Sets the depth and hands out a copy of the view. Breadth-first numbering with valid ranges
 * makes the levels consecutive ranges: the children of level [lo, hi) are [first_child(lo),
 * first_child(hi)). */
static int finish(kz_zhdict v, kz_zhdict **out)
{
    for (uint32_t lo = 1, hi = kz_zhdict_first_child(&v, 1); lo < hi; v.max_word_len++) {
        uint32_t nlo = kz_zhdict_first_child(&v, lo), nhi = kz_zhdict_first_child(&v, hi);
        lo = nlo, hi = nhi;
    }
    kz_zhdict *d = malloc(sizeof *d);
    if (d == NULL) return KZ_ENOMEM_FAIL();
    *d = v;
    *out = d;
    return KZ_OK;
}

int kz_zhdict_open(kz_zhdict **out, const void *blob, size_t len)
{
    *out = NULL;
    kz_zhdict v = {0};
    KZ_TRY(read_header(blob, len, &v));
    KZ_TRY(validate(&v, blob));
    return finish(v, out);
}

int kz_zhdict_open_trusted(kz_zhdict **out, const void *blob, size_t len)
{
    *out = NULL;
    kz_zhdict v = {0};
    KZ_TRY(read_header(blob, len, &v));
    return finish(v, out);
}

void kz_zhdict_free(kz_zhdict *d)
{
    free(d);
}

int kz_zhdict_peek_hash(const void *blob, size_t len, uint64_t *hash)
{
    kz_zhdict v = {0};
    KZ_TRY(read_header(blob, len, &v));
    *hash = v.hash;
    return KZ_OK;
}

uint64_t kz_zhdict_hash(const kz_zhdict *d)
{
    return d->hash;
}
