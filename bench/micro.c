/* micro.c - `kzbench micro`: rates of the pieces of the lookup path, measured in isolation.
 *
 *   memory read bandwidth      the ceiling decoding is compared with (integers/s at 4 bytes)
 *   termdict lookups           hits and misses, on a synthetic 1M-term dictionary (and on the
 *                              largest segment of --index when given)
 *   postings decoding          kz_bitunpack128_delta per codec (scalar, sse4.1, avx2), integers/s;
 *                              and whole lists through the postings cursor (next)
 *   advance                    kz_postings_advance calls/s at gaps of 1..16384 postings
 *   intersection               the block search kernels (scalar, avx2), candidates/s at 8 and
 *                              64 candidates a block; two whole lists intersected, lead
 *                              postings/s
 *   BM25                       scoring a decoded block (postings/s)
 *   top-k                      kz_topk_push at k = 10 and 1000
 *   analysis                   kz_analyze MB/s on English and Chinese passages of --corpus, and
 *                              on the Chinese ones made Traditional (OpenCC s2t)
 *   snippets                   kz_snippet_make per second on passages of --corpus
 *
 * Each benchmark runs its body until `seconds` of CPU time have passed, three times, and reports
 * the best rate (the least disturbed run) per CPU second. Every body returns a value folded into a checksum printed at
 * the end, so no work can be optimised away. Inputs are generated from fixed seeds. */
#include "bench.h"

#include "analyzer_internal.h"
#include "bitpack.h"
#include "block_search.h"
#include "bm25.h"
#include "intersect.h"
#include "postings.h"
#include "segment.h"
#include "snippet.h"
#include "source.h"
#include "termdict.h"
#include "topk.h"

#include "index_internal.h"

#include <opencc/opencc.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t (*body_fn)(void *ctx, uint64_t *ops);

static uint64_t sink = KZB_FNV_INIT;
static FILE *json_out;
static int json_first = 1;
static double budget = 0.3;

/* Runs body repeatedly for `budget` seconds of this thread's CPU time, 3 trials; returns the best
 * ops per CPU second. CPU time, not wall time: on a shared machine wall time also counts the
 * time slices other processes took, which says nothing about the code. */
static double measure(body_fn body, void *ctx)
{
    double best = 0;
    for (int trial = 0; trial < 3; trial++) {
        uint64_t ops = 0;
        double t0 = kzb_thread_cpu(), t;
        do {
            sink = kzb_fold_u64(sink, body(ctx, &ops));
            t = kzb_thread_cpu() - t0;
        } while (t < budget);
        double rate = (double)ops / t;
        if (rate > best) best = rate;
    }
    return best;
}

static void report(const char *name, const char *unit, double rate, const char *note)
{
    const char *scale = "";
    double v = rate;
    if (v >= 1e9) {
        v /= 1e9;
        scale = "G";
    } else if (v >= 1e6) {
        v /= 1e6;
        scale = "M";
    } else if (v >= 1e3) {
        v /= 1e3;
        scale = "k";
    }
    printf("%-38s %10.2f %s%s/s%s%s\n", name, v, scale, unit, note ? "  " : "", note ? note : "");
    fflush(stdout);
    if (json_out) {
        fprintf(json_out, "%s{\"name\":", json_first ? "" : ",");
        kzb_json_str(json_out, name);
        fprintf(json_out, ",\"unit\":\"%s/s\",\"rate\":%.6g}", unit, rate);
        json_first = 0;
    }
}

/* ---- memory bandwidth ---- */

typedef struct mem_ctx {
    const uint64_t *v;
    size_t n;
} mem_ctx;

static uint64_t mem_body(void *p, uint64_t *ops)
{
    mem_ctx *c = p;
    uint64_t a = 0, b = 0, d = 0, e = 0;
    for (size_t i = 0; i + 4 <= c->n; i += 4) {
        a += c->v[i];
        b ^= c->v[i + 1];
        d += c->v[i + 2];
        e ^= c->v[i + 3];
    }
    *ops += c->n * 2; /* 32-bit integers read */
    return a + b + d + e;
}

static double bench_memory(void)
{
    mem_ctx c = {NULL, (size_t)64 << 20}; /* 512 MiB: far beyond any cache */
    uint64_t *v = malloc(c.n * sizeof *v);
    if (v == NULL) kzb_die("out of memory");
    for (size_t i = 0; i < c.n; i++) v[i] = i * 0x9e3779b97f4a7c15ull;
    c.v = v;
    double r = measure(mem_body, &c);
    report("memory read (sequential, 512 MiB)", "int", r, NULL);
    printf("%-38s %10.2f GB/s\n", "  = bandwidth", r * 4 / 1e9);
    free(v);
    return r;
}

/* ---- decoding packed blocks ---- */

#define DEC_BLOCKS 2048 /* 2048 blocks at ~7 bits average: ~460 KiB, L2/L3-resident */

typedef struct dec_ctx {
    uint8_t *data;
    size_t off[DEC_BLOCKS];
    unsigned bits[DEC_BLOCKS];
    uint32_t out[KZ_BLOCK_LEN];
} dec_ctx;

static uint64_t dec_body(void *p, uint64_t *ops)
{
    dec_ctx *c = p;
    uint64_t s = 0;
    uint32_t base = 0;
    for (size_t b = 0; b < DEC_BLOCKS; b++) {
        kz_bitunpack128_delta(c->data + c->off[b], c->bits[b], base, c->out);
        base = c->out[KZ_BLOCK_LEN - 1];
        s += base;
    }
    *ops += (uint64_t)DEC_BLOCKS * KZ_BLOCK_LEN;
    return s;
}

static void bench_decode(double mem_rate)
{
    dec_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 7);
    size_t total = 0;
    /* Widths as posting-list gaps give them: mostly 2..12 bits. */
    for (size_t b = 0; b < DEC_BLOCKS; b++) {
        c->bits[b] = 2 + (unsigned)kzb_rng_below(&r, 11);
        c->off[b] = total;
        total += KZ_PACKED_BYTES(c->bits[b]);
    }
    c->data = malloc(total + 64);
    if (c->data == NULL) kzb_die("out of memory");
    uint32_t in[KZ_BLOCK_LEN];
    for (size_t b = 0; b < DEC_BLOCKS; b++) {
        for (int i = 0; i < KZ_BLOCK_LEN; i++)
            in[i] = (uint32_t)kzb_rng_below(&r, (uint64_t)1 << c->bits[b]);
        kz_bitpack128(in, c->bits[b], c->data + c->off[b]);
    }
    static const char *const impl[] = {"scalar", "sse4.1", "avx2"};
    for (size_t i = 0; i < 3; i++) {
        char name[64], note[96];
        snprintf(name, sizeof name, "decode delta blocks (%s)", impl[i]);
        if (kz_codec_select(impl[i]) != KZ_OK) {
            printf("%-38s  not available on this CPU\n", name);
            continue;
        }
        double rate = measure(dec_body, c);
        snprintf(note, sizeof note, "(%.2fx memory bandwidth)", rate / mem_rate);
        report(name, "int", rate, note);
    }
    kz_codec_select(NULL);
    free(c->data);
    free(c);
}

/* ---- posting lists: next, advance ---- */

#define LIST_LEN (4u << 20) /* 4M postings: a very frequent term of a large collection */

typedef struct list_ctx {
    kz_buf doc, pos;
    uint32_t *docs;
    uint32_t gap; /* advance: postings between targets */
} list_ctx;

static void list_open(list_ctx *c, kz_postings_cursor *pc)
{
    if (kz_postings_open(pc, c->doc.data, c->doc.len, NULL, 0, LIST_LEN) != KZ_OK)
        kzb_die("postings: %s", kz_errmsg());
}

static uint64_t next_body(void *p, uint64_t *ops)
{
    list_ctx *c = p;
    kz_postings_cursor pc;
    list_open(c, &pc);
    uint64_t s = 0;
    while (pc.doc != KZ_DOC_END) {
        uint32_t tf;
        if (kz_postings_freq(&pc, &tf) != KZ_OK) kzb_die("postings: %s", kz_errmsg());
        s += tf;
        if (kz_postings_next(&pc) != KZ_OK) kzb_die("postings: %s", kz_errmsg());
    }
    *ops += LIST_LEN;
    return s;
}

static uint64_t advance_body(void *p, uint64_t *ops)
{
    list_ctx *c = p;
    kz_postings_cursor pc;
    list_open(c, &pc);
    uint64_t s = 0, n = 0;
    /* Targets fall between postings (docs[i] + 1), so each call really searches. */
    for (size_t i = c->gap; i < LIST_LEN; i += c->gap) {
        if (kz_postings_advance(&pc, c->docs[i - 1] + 1) != KZ_OK)
            kzb_die("postings: %s", kz_errmsg());
        s += pc.doc;
        n++;
    }
    *ops += n;
    return s;
}

static void bench_postings(void)
{
    list_ctx c = {KZ_BUF_INIT, KZ_BUF_INIT, NULL, 1};
    c.docs = malloc(LIST_LEN * sizeof *c.docs);
    uint32_t *tfs = malloc(LIST_LEN * sizeof *tfs);
    if (c.docs == NULL || tfs == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 11);
    uint32_t d = 0;
    for (size_t i = 0; i < LIST_LEN; i++) {
        d += 1 + (uint32_t)kzb_rng_below(&r, 8); /* density 1/4.5: a frequent term */
        c.docs[i] = d;
        tfs[i] = kzb_rng_below(&r, 4) ? 1 : 1 + (uint32_t)kzb_rng_below(&r, 5);
    }
    size_t db, pb;
    if (kz_postings_encode(&c.doc, &c.pos, c.docs, tfs, NULL, LIST_LEN, NULL, &db, &pb) != KZ_OK)
        kzb_die("postings encode: %s", kz_errmsg());
    char note[96];
    snprintf(note, sizeof note, "(list of 4M postings, %.2f bytes each)",
             (double)db / (double)LIST_LEN);
    report("postings cursor next (ids + tfs)", "posting", measure(next_body, &c), note);
    static const uint32_t gaps[] = {1, 4, 16, 128, 1024, 16384};
    for (size_t g = 0; g < sizeof gaps / sizeof gaps[0]; g++) {
        char name[64];
        c.gap = gaps[g];
        snprintf(name, sizeof name, "advance, gap %u postings", gaps[g]);
        report(name, "call", measure(advance_body, &c), NULL);
    }
    kz_buf_free(&c.doc);
    kz_buf_free(&c.pos);
    free(c.docs);
    free(tfs);
}

/* ---- intersection: the block search kernels, and two whole lists ---- */

#define SEARCH_BLOCKS 4096

typedef struct search_ctx {
    uint32_t *blocks; /* SEARCH_BLOCKS decoded blocks of KZ_BLOCK_LEN ids */
    uint32_t *cands;  /* SEARCH_BLOCKS x per candidates, increasing within each block's range */
    uint32_t per;     /* candidates per block */
} search_ctx;

static uint64_t search_body(void *p, uint64_t *ops)
{
    search_ctx *c = p;
    uint32_t ids[KZ_BLOCK_LEN], lead[KZ_BLOCK_LEN];
    uint64_t s = 0;
    for (size_t b = 0; b < SEARCH_BLOCKS; b++) {
        memcpy(ids, c->cands + b * c->per, c->per * sizeof *ids);
        for (uint32_t k = 0; k < c->per; k++) lead[k] = k;
        s += kz_block_keep_members(c->blocks + b * KZ_BLOCK_LEN, 0, ids, lead, c->per);
    }
    *ops += (uint64_t)SEARCH_BLOCKS * c->per;
    return s;
}

typedef struct inter_ctx {
    kz_buf rare, dense;
    uint32_t nrare, ndense;
} inter_ctx;

static uint64_t inter_body(void *p, uint64_t *ops)
{
    inter_ctx *c = p;
    kz_postings_cursor a, b;
    if (kz_postings_open(&a, c->rare.data, c->rare.len, NULL, 0, c->nrare) != KZ_OK ||
        kz_postings_open(&b, c->dense.data, c->dense.len, NULL, 0, c->ndense) != KZ_OK)
        kzb_die("postings: %s", kz_errmsg());
    kz_postings_cursor *lists[2] = {&a, &b};
    uint32_t ids[KZ_BLOCK_LEN], lead[KZ_BLOCK_LEN];
    kz_intersect x;
    kz_intersect_init(&x, lists, 2, ids, lead, 0);
    uint64_t s = 0;
    for (;;) {
        uint32_t count;
        if (kz_intersect_next(&x, KZ_DOC_END - 1, &count) != KZ_OK)
            kzb_die("intersect: %s", kz_errmsg());
        if (count == 0) break;
        for (uint32_t i = 0; i < count; i++) s += kz_intersect_id(&x, i);
    }
    *ops += c->nrare;
    return s;
}

/* A list holding each id below space with probability 1 / every. */
static uint32_t make_list(kz_buf *out, kzb_rng *r, uint32_t space, uint32_t every)
{
    uint32_t *docs = malloc(space * sizeof *docs), *tfs = malloc(space * sizeof *tfs), n = 0;
    if (docs == NULL || tfs == NULL) kzb_die("out of memory");
    for (uint32_t id = 0; id < space; id++)
        if (kzb_rng_below(r, every) == 0) {
            docs[n] = id;
            tfs[n++] = 1;
        }
    if (kz_postings_encode(out, NULL, docs, tfs, NULL, n, NULL, NULL, NULL) != KZ_OK)
        kzb_die("postings encode: %s", kz_errmsg());
    free(docs);
    free(tfs);
    return n;
}

static void bench_intersect(void)
{
    search_ctx c = {NULL, NULL, 0};
    c.blocks = malloc((size_t)SEARCH_BLOCKS * KZ_BLOCK_LEN * sizeof *c.blocks);
    c.cands = malloc((size_t)SEARCH_BLOCKS * KZ_BLOCK_LEN * sizeof *c.cands);
    if (c.blocks == NULL || c.cands == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 13);
    static const uint32_t pers[] = {8, 64};
    static const char *const impl[] = {"scalar", "avx2", "avx512"};
    for (size_t q = 0; q < 2; q++) {
        c.per = pers[q];
        for (size_t b = 0; b < SEARCH_BLOCKS; b++) { /* blocks of density 1/8, candidates drawn */
            uint32_t *blk = c.blocks + b * KZ_BLOCK_LEN, id = (uint32_t)b << 12;
            for (int k = 0; k < KZ_BLOCK_LEN; k++)
                blk[k] = id += 1 + (uint32_t)kzb_rng_below(&r, 15);
            uint32_t span = blk[KZ_BLOCK_LEN - 1] - blk[0], *cand = c.cands + b * c.per;
            for (uint32_t k = 0; k < c.per; k++) /* increasing, within the block's range */
                cand[k] = blk[0] + (uint32_t)((uint64_t)span * (2 * k + 1) / (2 * c.per)) +
                          (uint32_t)kzb_rng_below(&r, 2);
        }
        for (size_t i = 0; i < 3; i++) {
            char name[64];
            snprintf(name, sizeof name, "block search, %u per block (%s)", c.per, impl[i]);
            if (kz_block_search_select(impl[i]) != KZ_OK) {
                printf("%-38s  not available on this CPU\n", name);
                continue;
            }
            report(name, "candidate", measure(search_body, &c), NULL);
        }
    }
    kz_block_search_select(NULL);
    free(c.blocks);
    free(c.cands);

    /* two lists over 4M passages: a rare lead against a frequent word, and two similar ones */
    static const uint32_t shapes[][2] = {{64, 8}, {16, 12}};
    for (size_t k = 0; k < 2; k++) {
        inter_ctx x = {KZ_BUF_INIT, KZ_BUF_INIT, 0, 0};
        x.nrare = make_list(&x.rare, &r, 4u << 20, shapes[k][0]);
        x.ndense = make_list(&x.dense, &r, 4u << 20, shapes[k][1]);
        char name[64];
        snprintf(name, sizeof name, "intersect 1/%u with 1/%u", shapes[k][0], shapes[k][1]);
        report(name, "lead posting", measure(inter_body, &x), "(both lists' blocks decoded)");
        kz_buf_free(&x.rare);
        kz_buf_free(&x.dense);
    }
}

/* ---- BM25 over a decoded block ---- */

typedef struct bm25_ctx {
    kz_bm25 p;
    uint32_t ids[KZ_BLOCK_LEN], tfs[KZ_BLOCK_LEN];
    uint32_t *lengths; /* by passage id, as segments hold them */
} bm25_ctx;

static uint64_t bm25_body(void *p, uint64_t *ops)
{
    bm25_ctx *c = p;
    double total = 0;
    for (int rep = 0; rep < 64; rep++) {
        double w = 1.0 + rep * 0.01;
        for (int i = 0; i < KZ_BLOCK_LEN; i++)
            total += kz_bm25_score(w, c->tfs[i], kz_bm25_norm(&c->p, c->lengths[c->ids[i]]));
    }
    *ops += 64 * KZ_BLOCK_LEN;
    uint64_t bits;
    memcpy(&bits, &total, sizeof bits);
    return bits;
}

static void bench_bm25(void)
{
    bm25_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 13);
    c->lengths = malloc(4096 * sizeof *c->lengths);
    if (c->lengths == NULL) kzb_die("out of memory");
    for (int i = 0; i < 4096; i++) c->lengths[i] = 5 + (uint32_t)kzb_rng_below(&r, 200);
    uint32_t d = 0;
    for (int i = 0; i < KZ_BLOCK_LEN; i++) {
        d += 1 + (uint32_t)kzb_rng_below(&r, 30);
        c->ids[i] = d;
        c->tfs[i] = 1 + (uint32_t)(kzb_rng_below(&r, 4) == 0);
    }
    if (kz_bm25_init(&c->p, -1, -1, 60.0) != KZ_OK) kzb_die("bm25: %s", kz_errmsg());
    report("BM25 score of a decoded block", "posting", measure(bm25_body, c), NULL);
    free(c->lengths);
    free(c);
}

/* ---- top-k ---- */

typedef struct topk_ctx {
    double *scores;
    size_t n;
    uint32_t k;
} topk_ctx;

static uint64_t topk_body(void *p, uint64_t *ops)
{
    topk_ctx *c = p;
    kz_topk top;
    if (kz_topk_init(&top, c->k) != KZ_OK) kzb_die("topk: %s", kz_errmsg());
    uint64_t entered = 0;
    for (size_t i = 0; i < c->n; i++) entered += (uint64_t)kz_topk_push(&top, c->scores[i], i);
    size_t n;
    const kz_topk_entry *e = kz_topk_finish(&top, &n);
    uint64_t s = entered + (n ? e[0].passage : 0);
    kz_topk_free(&top);
    *ops += c->n;
    return s;
}

static void bench_topk(void)
{
    topk_ctx c = {NULL, 1u << 20, 10};
    c.scores = malloc(c.n * sizeof *c.scores);
    if (c.scores == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 17);
    for (size_t i = 0; i < c.n; i++) c.scores[i] = 20.0 * kzb_rng_unit(&r);
    report("top-k push, k=10 (random scores)", "push", measure(topk_body, &c), NULL);
    c.k = 1000;
    report("top-k push, k=1000 (random scores)", "push", measure(topk_body, &c), NULL);
    free(c.scores);
}

/* ---- term dictionary ---- */

typedef struct td_ctx {
    kz_termdict td;
    char **keys;
    size_t nkeys;
    uint64_t found;
} td_ctx;

static uint64_t td_body(void *p, uint64_t *ops)
{
    td_ctx *c = p;
    uint64_t s = 0;
    kz_term_info info;
    for (size_t i = 0; i < c->nkeys; i++) {
        int rc = kz_termdict_lookup(&c->td, c->keys[i], strlen(c->keys[i]), &info);
        if (rc == KZ_OK)
            s += info.df;
        else if (rc != KZ_ENOTFOUND)
            kzb_die("termdict: %s", kz_errmsg());
    }
    *ops += c->nkeys;
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Looks up `n` random keys of terms[] (hits), then the same keys with a byte appended (misses). */
static void lookups(const char *label, const kz_termdict *td, char **terms, size_t nterms)
{
    td_ctx c = {*td, NULL, 1u << 16, 0};
    c.keys = malloc(c.nkeys * sizeof *c.keys);
    if (c.keys == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 19);
    for (size_t i = 0; i < c.nkeys; i++) c.keys[i] = terms[kzb_rng_below(&r, nterms)];
    char name[96];
    snprintf(name, sizeof name, "termdict lookup hits (%s)", label);
    report(name, "lookup", measure(td_body, &c), NULL);
    char **miss = malloc(c.nkeys * sizeof *miss);
    if (miss == NULL) kzb_die("out of memory");
    for (size_t i = 0; i < c.nkeys; i++) {
        size_t l = strlen(c.keys[i]);
        miss[i] = malloc(l + 2);
        if (miss[i] == NULL) kzb_die("out of memory");
        memcpy(miss[i], c.keys[i], l);
        memcpy(miss[i] + l, "\x01", 2);
    }
    free(c.keys);
    c.keys = miss;
    snprintf(name, sizeof name, "termdict lookup misses (%s)", label);
    report(name, "lookup", measure(td_body, &c), NULL);
    for (size_t i = 0; i < c.nkeys; i++) free(miss[i]);
    free(miss);
}

static void bench_termdict(const char *index)
{
    size_t n = 1u << 20;
    char **terms = malloc(n * sizeof *terms);
    if (terms == NULL) kzb_die("out of memory");
    kzb_rng r;
    kzb_rng_seed(&r, 23);
    for (size_t i = 0; i < n; i++) {
        char b[24];
        size_t l = 3 + (size_t)kzb_rng_below(&r, 9);
        for (size_t j = 0; j < l; j++) b[j] = (char)('a' + kzb_rng_below(&r, 26));
        b[l] = '\0';
        terms[i] = strdup(b);
        if (terms[i] == NULL) kzb_die("out of memory");
    }
    qsort(terms, n, sizeof *terms, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++) {
        if (u && !strcmp(terms[u - 1], terms[i]))
            free(terms[i]);
        else
            terms[u++] = terms[i];
    }
    kz_termdict_writer *w = NULL;
    kz_buf bytes = KZ_BUF_INIT;
    if (kz_termdict_writer_new(&w) != KZ_OK) kzb_die("termdict: %s", kz_errmsg());
    for (size_t i = 0; i < u; i++) {
        kz_term_info info = {(uint32_t)(1 + i % 100), 1 + i % 100, i * 8, 8, i * 4, 4};
        if (kz_termdict_writer_add(w, terms[i], strlen(terms[i]), &info) != KZ_OK)
            kzb_die("termdict: %s", kz_errmsg());
    }
    if (kz_termdict_writer_finish(w, &bytes) != KZ_OK) kzb_die("termdict: %s", kz_errmsg());
    kz_termdict_writer_free(w);
    kz_termdict td;
    if (kz_termdict_open(&td, bytes.data, bytes.len) != KZ_OK) kzb_die("termdict: %s", kz_errmsg());
    char label[64];
    snprintf(label, sizeof label, "synthetic, %zuk terms", u / 1000);
    lookups(label, &td, terms, u);
    for (size_t i = 0; i < u; i++) free(terms[i]);
    free(terms);
    kz_buf_free(&bytes);

    if (index == NULL) return;
    kz_index *ix = NULL;
    if (kz_index_open(&ix, index) != KZ_OK) kzb_die("%s: %s", index, kz_errmsg());
    const kz_segment *big = NULL;
    for (uint32_t i = 0; i < ix->nsegs; i++)
        if (big == NULL || ix->segs[i].seg->nterms > big->nterms) big = ix->segs[i].seg;
    if (big && big->nterms > 0) {
        size_t cap = 1024, m = 0;
        char **real = malloc(cap * sizeof *real);
        if (real == NULL) kzb_die("out of memory");
        kz_termdict_iter it;
        const char *t;
        size_t tl;
        kz_term_info info;
        if (kz_termdict_iter_init(&it, &big->terms, NULL, 0) != KZ_OK)
            kzb_die("termdict: %s", kz_errmsg());
        while (kz_termdict_iter_next(&it, &t, &tl, &info) == KZ_OK) {
            if (m == cap) {
                cap *= 2;
                real = realloc(real, cap * sizeof *real);
                if (real == NULL) kzb_die("out of memory");
            }
            real[m] = strndup(t, tl);
            if (real[m] == NULL) kzb_die("out of memory");
            m++;
        }
        snprintf(label, sizeof label, "index, %zuk terms", m / 1000);
        lookups(label, &big->terms, real, m);
        for (size_t i = 0; i < m; i++) free(real[i]);
        free(real);
    }
    kz_index_close(ix);
}

/* ---- analysis and snippets, on passages of a collection ---- */

typedef struct text_set {
    char **text;
    size_t *len;
    size_t n, bytes;
} text_set;

typedef struct an_ctx {
    kz_analyzer *a;
    const text_set *t;
    kz_termset *terms; /* snippets: one term set per passage */
    kz_snippet sn;
} an_ctx;

static int count_token(void *ctx, const kz_token *tok)
{
    uint64_t *h = ctx;
    *h += tok->term_len + tok->position;
    return 0;
}

static uint64_t analyze_body(void *p, uint64_t *ops)
{
    an_ctx *c = p;
    uint64_t h = 0;
    for (size_t i = 0; i < c->t->n; i++)
        if (kz_analyze(c->a, c->t->text[i], c->t->len[i], count_token, &h) < 0)
            kzb_die("analyze: %s", kz_errmsg());
    *ops += c->t->bytes;
    return h;
}

static uint64_t snippet_body(void *p, uint64_t *ops)
{
    an_ctx *c = p;
    uint64_t h = 0;
    for (size_t i = 0; i < c->t->n; i++) {
        if (kz_snippet_make(c->a, c->t->text[i], c->t->len[i], &c->terms[i], 240, &c->sn) < 0)
            kzb_die("snippet: %s", kz_errmsg());
        h += c->sn.start + c->sn.end + c->sn.matches.len;
    }
    *ops += c->t->n;
    return h;
}

static void set_add(text_set *t, const char *s, size_t n)
{
    if ((t->n & (t->n + 1)) == 0) { /* grow at 0, 1, 3, 7, ...: powers of two */
        t->text = realloc(t->text, (t->n * 2 + 2) * sizeof *t->text);
        t->len = realloc(t->len, (t->n * 2 + 2) * sizeof *t->len);
        if (t->text == NULL || t->len == NULL) kzb_die("out of memory");
    }
    t->text[t->n] = strndup(s, n);
    if (t->text[t->n] == NULL) kzb_die("out of memory");
    t->len[t->n++] = n;
    t->bytes += n;
}

static void set_free(text_set *t)
{
    for (size_t i = 0; i < t->n; i++) free(t->text[i]);
    free(t->text);
    free(t->len);
}

/* Takes up to `cap` bytes of English and of Chinese passages from the collection. */
static void read_corpus(const char *corpus, text_set *en, text_set *zh, size_t cap)
{
    FILE *f = fopen(corpus, "r");
    if (f == NULL) kzb_die("cannot open %s", corpus);
    kz_document doc = KZ_DOCUMENT_INIT;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t len;
    uint64_t lineno = 0;
    while ((len = getline(&line, &lcap, f)) >= 0 && (en->bytes < cap || zh->bytes < cap)) {
        if (kz_document_from_jsonl(&doc, corpus, ++lineno, line, (size_t)len) != KZ_OK) continue;
        text_set *t = doc.lang && !strcmp(doc.lang, "zh")   ? zh
                      : doc.lang && !strcmp(doc.lang, "en") ? en
                                                            : NULL;
        if (t && t->bytes < cap && doc.text_len > 0) set_add(t, doc.text, doc.text_len);
    }
    free(line);
    kz_document_clear(&doc);
    fclose(f);
}

/* The passages of zh made Traditional by OpenCC (s2t.json), as Taiwanese or Hong Kong text would
 * arrive; empty if OpenCC cannot be opened. */
static void make_traditional(const text_set *zh, text_set *tw)
{
    opencc_t cc = opencc_open("/usr/share/opencc/s2t.json");
    if (cc == (opencc_t)-1 || cc == NULL) return;
    for (size_t i = 0; i < zh->n; i++) {
        char *t = opencc_convert_utf8(cc, zh->text[i], zh->len[i]);
        if (t == NULL) kzb_die("OpenCC s2t: %s", opencc_error());
        set_add(tw, t, strlen(t));
        opencc_convert_utf8_free(t);
    }
    opencc_close(cc);
}

/* Term sets for snippets: two terms of the passage itself (every snippet has matches). */
typedef struct pick_ctx {
    kz_termset *set;
    uint32_t want, seen;
} pick_ctx;

static int pick_token(void *ctx, const kz_token *tok)
{
    pick_ctx *p = ctx;
    if (tok->term_len >= 4 && (p->seen++ == p->want || p->seen == p->want * 3)) {
        if (kz_termset_add(p->set, tok->term, tok->term_len) != KZ_OK) return -1;
    }
    return 0;
}

static void bench_text(const char *corpus)
{
    text_set en = {0}, zh = {0};
    read_corpus(corpus, &en, &zh, (size_t)4 << 20);
    kz_analyzer *a = NULL;
    if (kz_analyzer_new(&a, NULL) != KZ_OK) kzb_die("analyzer: %s", kz_errmsg());
    an_ctx c = {a, &en, NULL, {0, 0, KZ_BUF_INIT}};
    char name[96];
    if (en.n) {
        snprintf(name, sizeof name, "analysis, English (%.1f MB)", (double)en.bytes / 1e6);
        report(name, "B", measure(analyze_body, &c), NULL);
    }
    if (zh.n) {
        c.t = &zh;
        snprintf(name, sizeof name, "analysis, Chinese (%.1f MB)", (double)zh.bytes / 1e6);
        report(name, "B", measure(analyze_body, &c), NULL);
    }
    text_set tw = {0};
    make_traditional(&zh, &tw);
    if (tw.n) {
        c.t = &tw;
        snprintf(name, sizeof name, "analysis, Traditional Chinese (%.1f MB)",
                 (double)tw.bytes / 1e6);
        report(name, "B", measure(analyze_body, &c), NULL);
    }
    set_free(&tw);
    /* Snippets: 2000 English passages, each with two of its own terms. */
    text_set sn = {0};
    for (size_t i = 0; i < en.n && sn.n < 2000; i++) set_add(&sn, en.text[i], en.len[i]);
    if (sn.n) {
        c.terms = calloc(sn.n, sizeof *c.terms);
        if (c.terms == NULL) kzb_die("out of memory");
        for (size_t i = 0; i < sn.n; i++) {
            pick_ctx pc = {&c.terms[i], 2 + (uint32_t)(i % 7), 0};
            if (kz_analyze(a, sn.text[i], sn.len[i], pick_token, &pc) < 0 ||
                kz_termset_finish(&c.terms[i]) != KZ_OK)
                kzb_die("snippet terms: %s", kz_errmsg());
        }
        c.t = &sn;
        snprintf(name, sizeof name, "snippets (English, %.0f B passages)",
                 (double)sn.bytes / (double)sn.n);
        report(name, "snippet", measure(snippet_body, &c), NULL);
        for (size_t i = 0; i < sn.n; i++) kz_termset_free(&c.terms[i]);
        free(c.terms);
    }
    kz_buf_free(&c.sn.matches);
    kz_analyzer_free(a);
    set_free(&sn);
    set_free(&en);
    set_free(&zh);
}

int kzb_micro_run(const char *index, const char *corpus, double seconds, FILE *json)
{
    budget = seconds > 0 ? seconds : 0.3;
    json_out = json;
    json_first = 1;
    if (json) fputc('[', json);
    printf("micro-benchmarks (per CPU second, best of 3 runs of %.2f s each; machine: %s)\n",
           budget, kzb_env_line());
    double mem = bench_memory();
    bench_decode(mem);
    bench_postings();
    bench_intersect();
    bench_bm25();
    bench_topk();
    bench_termdict(index);
    if (corpus) bench_text(corpus);
    if (json) fputc(']', json);
    printf("checksum %016llx\n", (unsigned long long)sink);
    return 0;
}
