/* test_postings.c - posting lists: round trips against the original arrays, advance and
 * shallow_advance against a brute-force model, and damaged or truncated lists. */
#include "error.h"
#include "postings.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
    return kz_test_rnd(&rng_state);
}

/* A list in plain arrays, the model every test compares against. */
struct list {
    size_t n, npos;
    uint32_t *docs, *tfs, *pos, *len; /* len: indexed by passage id, only for small id spaces */
    kz_buf doc, posb;
};

enum gaps { DENSE, SMALL, MIXED, HUGE };

static uint32_t *xmalloc(size_t n)
{
    uint32_t *p = malloc((n ? n : 1) * sizeof *p);
    cr_assert_not_null(p);
    return p;
}

static uint32_t pick_gap(enum gaps g)
{
    switch (g) {
    case DENSE:
        return 1;
    case SMALL:
        return 1 + rnd() % 20;
    case MIXED:
        return rnd() % 8 == 0 ? 1 + rnd() % 100000 : 1 + rnd() % 4;
    default:
        return 1 + rnd() % (UINT32_MAX / 4);
    }
}

/* Builds and encodes a list of n postings; ids end below KZ_DOC_END whatever the gaps (a HUGE
 * list is kept short enough for that). tfs up to max_tf; positions when with_pos. */
static void make(struct list *l, size_t n, enum gaps g, uint32_t max_tf, int with_pos)
{
    memset(l, 0, sizeof *l);
    l->n = n;
    l->docs = xmalloc(n);
    l->tfs = xmalloc(n);
    uint64_t id = rnd() % 3 == 0 ? 0 : rnd() % 1000;
    for (size_t k = 0; k < n; k++) {
        if (k) id += pick_gap(g);
        cr_assert_lt(id, KZ_DOC_END);
        l->docs[k] = (uint32_t)id;
        uint32_t r = rnd() % 16;
        l->tfs[k] = r < 10 ? 1 : r < 15 ? 1 + rnd() % 5 : 1 + rnd() % max_tf;
        l->npos += l->tfs[k];
    }
    if (id < 100000) {
        l->len = xmalloc((size_t)id + 1);
        for (uint64_t d = 0; d <= id; d++) l->len[d] = 1 + rnd() % 500;
        for (size_t k = 0; k < n; k++)
            if (l->len[l->docs[k]] < l->tfs[k]) l->len[l->docs[k]] = l->tfs[k];
    }
    if (with_pos) {
        l->pos = xmalloc(l->npos);
        size_t v = 0;
        for (size_t k = 0; k < n; k++) {
            uint64_t p = rnd() % 50;
            for (uint32_t j = 0; j < l->tfs[k]; j++, v++) {
                l->pos[v] = (uint32_t)p;
                p += 1 + (rnd() % 4 == 0 ? rnd() % 1000 : rnd() % 3);
            }
        }
    }
    size_t db = 0, pb = 0;
    cr_assert_eq(
        kz_postings_encode(&l->doc, &l->posb, l->docs, l->tfs, l->pos, n, l->len, &db, &pb), KZ_OK,
        "%s", kz_errmsg());
    cr_assert_eq(db, l->doc.len);
    cr_assert_eq(pb, l->posb.len);
}

static void drop(struct list *l)
{
    free(l->docs);
    free(l->tfs);
    free(l->pos);
    free(l->len);
    kz_buf_free(&l->doc);
    kz_buf_free(&l->posb);
}

static void open_list(kz_postings_cursor *c, const struct list *l)
{
    cr_assert_eq(
        kz_postings_open(c, l->doc.data, l->doc.len, l->posb.data, l->posb.len, (uint32_t)l->n),
        KZ_OK, "%s", kz_errmsg());
}

/* Walks the whole list with next(), checking ids, tfs and (on every `pos_every`-th posting)
 * positions against the arrays. */
/* The current posting's frequency, which must decode. */
static uint32_t freq_of(kz_postings_cursor *c)
{
    uint32_t tf = 0;
    cr_assert_eq(kz_postings_freq(c, &tf), KZ_OK, "%s", kz_errmsg());
    return tf;
}

static void check_walk(const struct list *l, unsigned pos_every)
{
    kz_postings_cursor c;
    open_list(&c, l);
    cr_assert_eq(c.df, l->n);
    uint32_t *buf = xmalloc(1000001);
    size_t v = 0;
    for (size_t k = 0; k < l->n; k++) {
        cr_assert_eq(c.doc, l->docs[k], "posting %zu of %zu", k, l->n);
        cr_assert_eq(freq_of(&c), l->tfs[k]);
        if (l->pos && pos_every && k % pos_every == 0) {
            cr_assert_eq(kz_postings_positions(&c, buf), KZ_OK, "%s", kz_errmsg());
            cr_assert_arr_eq(buf, l->pos + v, l->tfs[k] * sizeof *buf, "positions of %zu", k);
            if (k % 7 == 3) { /* asking again gives the same answer */
                memset(buf, 0, l->tfs[k] * sizeof *buf);
                cr_assert_eq(kz_postings_positions(&c, buf), KZ_OK);
                cr_assert_arr_eq(buf, l->pos + v, l->tfs[k] * sizeof *buf);
            }
        }
        v += l->tfs[k];
        cr_assert_eq(kz_postings_next(&c), KZ_OK);
    }
    cr_assert_eq(c.doc, KZ_DOC_END);
    cr_assert_eq(kz_postings_next(&c), KZ_OK);
    cr_assert_eq(c.doc, KZ_DOC_END);
    free(buf);
}

Test(postings, random_lists_of_many_sizes_and_gaps_round_trip_with_positions)
{
    const size_t sizes[] = {1, 2, 3, 127, 128, 129, 255, 256, 257, 300, 1000, 4097, 20000};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (int g = DENSE; g <= HUGE; g++) {
            size_t n = sizes[s];
            if (g == HUGE && n > 6) n = 6; /* keeps ids below 2^32 */
            struct list l;
            make(&l, n, (enum gaps)g, 40, 1);
            check_walk(&l, 1);
            drop(&l);
        }
}

Test(postings, every_length_up_to_1000_round_trips)
{
    for (size_t n = 1; n <= 1000; n++) {
        struct list l;
        make(&l, n, n % 2 ? SMALL : MIXED, 10, n % 3 != 0);
        check_walk(&l, n % 5 + 1);
        drop(&l);
    }
}

Test(postings, lists_without_positions_refuse_to_give_them)
{
    struct list l;
    make(&l, 300, SMALL, 5, 0);
    cr_assert_eq(l.posb.len, 0);
    check_walk(&l, 0);
    kz_postings_cursor c;
    open_list(&c, &l);
    uint32_t buf[8];
    cr_assert_eq(kz_postings_positions(&c, buf), KZ_ECORRUPT);
    drop(&l);

    make(&l, 300, SMALL, 5, 1);
    cr_assert_eq(kz_postings_open(&c, l.doc.data, l.doc.len, NULL, 0, 300), KZ_OK);
    cr_assert_eq(c.doc, l.docs[0]);
    cr_assert_eq(kz_postings_positions(&c, buf), KZ_ECORRUPT);
    drop(&l);
}

Test(postings, extreme_ids_and_frequencies_round_trip)
{
    /* the largest id, gaps of UINT32_MAX-1, id 0, tf of a million with its positions */
    static const uint32_t cases[][3] = {{0, UINT32_MAX - 1, 0},
                                        {UINT32_MAX - 2, UINT32_MAX - 1, 0}};
    for (size_t t = 0; t < 2; t++) {
        uint32_t docs[2] = {cases[t][0], cases[t][1]}, tfs[2] = {1000000, 3};
        uint32_t *pos = xmalloc(1000003);
        for (uint32_t j = 0; j < 1000000; j++) pos[j] = j * 4000u + 7;
        pos[1000000] = 0;
        pos[1000001] = 1;
        pos[1000002] = UINT32_MAX;
        kz_buf doc = KZ_BUF_INIT, pb = KZ_BUF_INIT;
        cr_assert_eq(kz_postings_encode(&doc, &pb, docs, tfs, pos, 2, NULL, NULL, NULL), KZ_OK);
        kz_postings_cursor c;
        cr_assert_eq(kz_postings_open(&c, doc.data, doc.len, pb.data, pb.len, 2), KZ_OK);
        cr_assert_eq(c.list_max_tf, 1000000);
        cr_assert_eq(c.list_min_len, 0);
        uint32_t *out = xmalloc(1000000);
        cr_assert_eq(c.doc, docs[0]);
        cr_assert_eq(freq_of(&c), 1000000);
        cr_assert_eq(kz_postings_positions(&c, out), KZ_OK);
        cr_assert_arr_eq(out, pos, 1000000 * sizeof *out);
        cr_assert_eq(kz_postings_next(&c), KZ_OK);
        cr_assert_eq(c.doc, docs[1]);
        cr_assert_eq(kz_postings_positions(&c, out), KZ_OK);
        cr_assert_arr_eq(out, pos + 1000000, 3 * sizeof *out);
        cr_assert_eq(kz_postings_next(&c), KZ_OK);
        cr_assert_eq(c.doc, KZ_DOC_END);
        free(out);
        free(pos);
        kz_buf_free(&doc);
        kz_buf_free(&pb);
    }
}

Test(postings, full_blocks_of_huge_gaps_and_frequencies_use_32_bit_widths)
{
    /* 256 postings: gaps near 2^24 and near 2^32 / 300, tf up to 2^31 without positions */
    size_t n = 256;
    uint32_t *docs = xmalloc(n), *tfs = xmalloc(n);
    uint64_t id = 5;
    for (size_t k = 0; k < n; k++) {
        docs[k] = (uint32_t)id;
        id += k % 2 ? UINT32_MAX / 300 : 1;
        tfs[k] = k % 7 == 0 ? 0x80000000u + (uint32_t)k : 1;
    }
    kz_buf doc = KZ_BUF_INIT;
    cr_assert_eq(kz_postings_encode(&doc, NULL, docs, tfs, NULL, n, NULL, NULL, NULL), KZ_OK);
    kz_postings_cursor c;
    cr_assert_eq(kz_postings_open(&c, doc.data, doc.len, NULL, 0, (uint32_t)n), KZ_OK);
    for (size_t k = 0; k < n; k++) {
        cr_assert_eq(c.doc, docs[k]);
        cr_assert_eq(freq_of(&c), tfs[k]);
        kz_postings_next(&c);
    }
    cr_assert_eq(c.doc, KZ_DOC_END);
    free(docs);
    free(tfs);
    kz_buf_free(&doc);
}

/* The index of the first posting with id >= target, n if none: the brute-force model. */
static size_t model_seek(const struct list *l, uint64_t target)
{
    size_t k = 0;
    while (k < l->n && l->docs[k] < target) k++;
    return k;
}

Test(postings, advance_reaches_every_kind_of_target)
{
    for (int g = DENSE; g <= MIXED; g++) {
        struct list l;
        make(&l, 2000, (enum gaps)g, 20, 1);
        uint32_t *buf = xmalloc(100);
        for (int run = 0; run < 60; run++) {
            kz_postings_cursor c;
            open_list(&c, &l);
            size_t k = 0;
            uint32_t last = l.docs[l.n - 1];
            while (c.doc != KZ_DOC_END) {
                uint64_t target;
                switch (rnd() % 7) {
                case 0:
                    target = c.doc;
                    break; /* the current id */
                case 1:
                    target = c.doc > 0 ? c.doc - 1 : 0;
                    break; /* behind */
                case 2: {  /* exactly an id at or just after the current one */
                    size_t m = model_seek(&l, c.doc) + rnd() % 3;
                    target = l.docs[m < l.n ? m : l.n - 1];
                    break;
                }
                case 3:
                    target = (uint64_t)c.doc + 1 + rnd() % 300;
                    break; /* inside or gap */
                case 4:
                    target = (uint64_t)c.doc + rnd() % (last + 10 - c.doc);
                    break;
                case 5:
                    target = l.docs[rnd() % l.n] + (rnd() % 2);
                    break; /* anywhere */
                default:
                    target = (uint64_t)last + 1 + rnd() % 5;
                    break; /* past the end */
                }
                if (target > KZ_DOC_END) target = KZ_DOC_END;
                size_t want = target <= c.doc ? k : model_seek(&l, target);
                cr_assert_eq(kz_postings_advance(&c, (uint32_t)target), KZ_OK);
                k = want;
                if (k == l.n) {
                    cr_assert_eq(c.doc, KZ_DOC_END);
                    break;
                }
                cr_assert_eq(c.doc, l.docs[k], "target %llu", (unsigned long long)target);
                cr_assert_eq(freq_of(&c), l.tfs[k]);
                if (rnd() % 4 == 0) { /* positions after a jump come from the right place */
                    size_t v = 0;
                    for (size_t q = 0; q < k; q++) v += l.tfs[q];
                    cr_assert_eq(kz_postings_positions(&c, buf), KZ_OK, "%s", kz_errmsg());
                    cr_assert_arr_eq(buf, l.pos + v, l.tfs[k] * sizeof *buf);
                }
                if (rnd() % 3 == 0) {
                    cr_assert_eq(kz_postings_next(&c), KZ_OK);
                    k++;
                    cr_assert_eq(c.doc, k < l.n ? l.docs[k] : KZ_DOC_END);
                }
            }
            cr_assert_eq(kz_postings_advance(&c, 5), KZ_OK);
            cr_assert_eq(c.doc, KZ_DOC_END);
        }
        free(buf);
        drop(&l);
    }
}

Test(postings, advance_to_the_end_sentinel_exhausts_the_cursor)
{
    struct list l;
    make(&l, 500, SMALL, 3, 0);
    kz_postings_cursor c;
    open_list(&c, &l);
    cr_assert_eq(kz_postings_advance(&c, KZ_DOC_END), KZ_OK);
    cr_assert_eq(c.doc, KZ_DOC_END);
    open_list(&c, &l);
    cr_assert_eq(kz_postings_advance(&c, l.docs[499]), KZ_OK);
    cr_assert_eq(c.doc, l.docs[499]);
    cr_assert_eq(kz_postings_advance(&c, l.docs[499] + 1), KZ_OK);
    cr_assert_eq(c.doc, KZ_DOC_END);
    drop(&l);
}

/* The Pareto frontier of pairs (tf[i], len[i]), i < n, by brute force: the distinct pairs no
 * other pair matches or beats on both counts, by increasing tf. Returns its size. */
static uint32_t brute_frontier(const uint32_t *tf, const uint32_t *len, size_t n, uint32_t *ftf,
                               uint32_t *flen)
{
    uint32_t m = 0;
    for (size_t i = 0; i < n; i++) {
        int dominated = 0;
        for (size_t j = 0; j < n && !dominated; j++)
            dominated = tf[j] >= tf[i] && len[j] <= len[i] && (tf[j] != tf[i] || len[j] != len[i]);
        for (uint32_t k = 0; k < m && !dominated; k++)
            dominated = ftf[k] == tf[i] && flen[k] == len[i];
        if (dominated) continue;
        uint32_t k = m++;
        while (k > 0 && ftf[k - 1] > tf[i]) {
            ftf[k] = ftf[k - 1];
            flen[k] = flen[k - 1];
            k--;
        }
        ftf[k] = tf[i];
        flen[k] = len[i];
    }
    return m;
}

/* im must be that frontier, its highest pairs merged into one past KZ_IMPACTS_MAX. */
static void assert_frontier(const kz_impacts *im, const uint32_t *tf, const uint32_t *len, size_t n)
{
    uint32_t *ftf = xmalloc(n * sizeof *ftf), *flen = xmalloc(n * sizeof *flen);
    uint32_t m = brute_frontier(tf, len, n, ftf, flen);
    uint32_t want = m < KZ_IMPACTS_MAX ? m : KZ_IMPACTS_MAX;
    cr_assert_eq(im->n, want, "frontier of %u pairs", m);
    for (uint32_t k = 0; k < want; k++) {
        cr_assert_eq(im->len[k], flen[k], "pair %u of %u", k, m);
        cr_assert_eq(im->tf[k], k == want - 1 ? ftf[m - 1] : ftf[k], "pair %u of %u", k, m);
    }
    free(ftf);
    free(flen);
}

Test(postings, shallow_advance_reports_the_block_maxima_without_moving)
{
    const size_t sizes[] = {50, 128, 1000, 5000};
    for (size_t s = 0; s < 4; s++) {
        struct list l;
        make(&l, sizes[s], SMALL, 200, 0);
        cr_assert_not_null(l.len);
        uint32_t list_max = 0, list_min = UINT32_MAX;
        for (size_t k = 0; k < l.n; k++) {
            if (l.tfs[k] > list_max) list_max = l.tfs[k];
            if (l.len[l.docs[k]] < list_min) list_min = l.len[l.docs[k]];
        }
        kz_postings_cursor c;
        open_list(&c, &l);
        cr_assert_eq(c.list_max_tf, list_max);
        cr_assert_eq(c.list_min_len, list_min);
        uint32_t *lens = xmalloc(l.n * sizeof *lens);
        for (size_t q = 0; q < l.n; q++) lens[q] = l.len[l.docs[q]];
        assert_frontier(&c.list_impacts, l.tfs, lens, l.n);
        size_t k = 0;
        while (k < l.n) {
            uint64_t target = (uint64_t)c.doc + rnd() % 3000;
            cr_assert_eq(kz_postings_shallow_advance(&c, (uint32_t)target), KZ_OK);
            cr_assert_eq(c.doc, l.docs[k], "shallow_advance moved the cursor");
            size_t t = model_seek(&l, target);
            if (t == l.n) {
                cr_assert_eq(c.block_last_doc, KZ_DOC_END);
                cr_assert_eq(c.block_max_tf, 0);
            } else {
                size_t b = t / 128, end = (b + 1) * 128 < l.n ? (b + 1) * 128 : l.n;
                uint32_t mt = 0;
                for (size_t q = b * 128; q < end; q++)
                    if (l.tfs[q] > mt) mt = l.tfs[q];
                cr_assert_eq(c.block_last_doc, l.docs[end - 1]);
                cr_assert_eq(c.block_max_tf, mt);
                const kz_impacts *im;
                cr_assert_eq(kz_postings_block_impacts(&c, &im), KZ_OK, "%s", kz_errmsg());
                assert_frontier(im, l.tfs + b * 128, lens + b * 128, end - b * 128);
            }
            if (rnd() % 2) { /* a real advance to somewhere at or before the shallow target */
                uint64_t to = c.doc + (target - c.doc) / 2;
                kz_postings_advance(&c, (uint32_t)to);
                k = model_seek(&l, to);
                cr_assert_eq(c.doc, k < l.n ? l.docs[k] : KZ_DOC_END);
            } else {
                kz_postings_next(&c);
                k++;
            }
        }
        cr_assert_eq(kz_postings_shallow_advance(&c, 0), KZ_OK);
        cr_assert_eq(c.block_max_tf, 0);
        free(lens);
        drop(&l);
    }
}

Test(postings, scalar_and_simd_write_and_read_the_same_bytes)
{
    struct list a, b;
    rng_state = 42;
    cr_assert_eq(kz_codec_select("scalar"), KZ_OK);
    make(&a, 3000, MIXED, 100, 1);
    kz_codec_select(NULL);
    rng_state = 42;
    make(&b, 3000, MIXED, 100, 1);
    cr_assert_eq(a.doc.len, b.doc.len);
    cr_assert_arr_eq(a.doc.data, b.doc.data, a.doc.len);
    cr_assert_eq(a.posb.len, b.posb.len);
    cr_assert_arr_eq(a.posb.data, b.posb.data, a.posb.len);
    check_walk(&a, 1); /* written by scalar, read by the best codec */
    kz_codec_select("scalar");
    check_walk(&b, 1);
    kz_codec_select(NULL);
    drop(&a);
    drop(&b);
}

Test(postings, the_encoder_rejects_bad_lists_and_leaves_the_streams_alone)
{
    kz_buf doc = KZ_BUF_INIT, pos = KZ_BUF_INIT;
    kz_buf_append_u8(&doc, 7);
    uint32_t docs[3] = {1, 5, 5}, tfs[3] = {1, 1, 1}, p[3] = {0, 0, 0};
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, NULL, 3, NULL, NULL, NULL), KZ_EINVAL);
    docs[2] = KZ_DOC_END;
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, NULL, 3, NULL, NULL, NULL), KZ_EINVAL);
    docs[2] = 9;
    tfs[1] = 0;
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, NULL, 3, NULL, NULL, NULL), KZ_EINVAL);
    tfs[1] = 2;
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, p, 3, NULL, NULL, NULL), KZ_EINVAL);
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, NULL, 0, NULL, NULL, NULL), KZ_EINVAL);
    cr_assert_eq(doc.len, 1);
    cr_assert_eq(pos.len, 0);
    uint32_t p4[4] = {0, 5, 5, 8}; /* passage 5: position 5 twice */
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, p4, 3, NULL, NULL, NULL), KZ_EINVAL);
    cr_assert_eq(kz_postings_encode(&doc, NULL, docs, tfs, p4, 3, NULL, NULL, NULL), KZ_EINVAL);
    cr_assert_eq(doc.len, 1);
    p4[1] = 4;
    cr_assert_eq(kz_postings_encode(&doc, &pos, docs, tfs, p4, 3, NULL, NULL, NULL), KZ_OK);
    kz_postings_cursor c;
    cr_assert_eq(kz_postings_open(&c, doc.data + 1, doc.len - 1, pos.data, pos.len, 3), KZ_OK);
    cr_assert_eq(kz_postings_open(&c, doc.data + 1, doc.len - 1, pos.data, pos.len, 0),
                 KZ_ECORRUPT);
    kz_buf_free(&doc);
    kz_buf_free(&pos);
}

/* Runs every operation over a possibly damaged list: each must give KZ_OK or KZ_ECORRUPT, ids
 * must only grow, and nothing may read out of bounds (ASan watches in the Sanitize build: the
 * bytes are copied to exact-size heap blocks). */
static int exercise(const uint8_t *doc, size_t dlen, const uint8_t *pos, size_t plen, uint32_t df,
                    int mode)
{
    int seen = 0;
    uint8_t *d = malloc(dlen ? dlen : 1), *p = malloc(plen ? plen : 1);
    memcpy(d, doc, dlen);
    memcpy(p, pos, plen);
    static uint32_t buf[1 << 16];
    kz_postings_cursor c;
    int rc = kz_postings_open(&c, d, dlen, p, plen, df);
    cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
    seen |= rc < 0;
    if (rc == KZ_OK) {
        uint32_t prev = 0;
        int first = 1;
        for (int steps = 0; c.doc != KZ_DOC_END && steps < 100000; steps++) {
            cr_assert(first || c.doc > prev, "ids must only grow");
            uint32_t tf = 0;
            rc = kz_postings_freq(&c, &tf);
            cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
            if (rc < 0) {
                seen = 1;
                break;
            }
            cr_assert_geq(tf, 1);
            cr_assert_leq(tf, c.list_max_tf);
            first = 0;
            prev = c.doc;
            if (tf <= (1 << 16)) {
                rc = kz_postings_positions(&c, buf);
                cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
                seen |= rc < 0;
            }
            if (mode == 0)
                rc = kz_postings_next(&c);
            else {
                uint64_t far = (uint64_t)c.doc + 50, near = (uint64_t)c.doc + 1 + steps % 97;
                rc = kz_postings_shallow_advance(&c, far < KZ_DOC_END ? (uint32_t)far : KZ_DOC_END);
                cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
                seen |= rc < 0;
                rc = kz_postings_advance(&c, near < KZ_DOC_END ? (uint32_t)near : KZ_DOC_END);
            }
            cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT);
            seen |= rc < 0;
            if (rc < 0) break;
        }
    }
    free(d);
    free(p);
    return seen;
}

Test(postings, freqs_at_reads_any_postings_of_the_block_and_leaves_the_cursor_alone)
{
    struct list l;
    make(&l, 1000, MIXED, 40, 0); /* seven full blocks and a partial one */
    kz_postings_cursor c;
    cr_assert_eq(kz_postings_open(&c, l.doc.data, l.doc.len, NULL, 0, (uint32_t)l.n), KZ_OK, "%s",
                 kz_errmsg());
    size_t first = 0; /* the list index of the decoded block's first posting */
    while (c.doc != KZ_DOC_END) {
        /* a few (read one by one), then many (the block decoded), then past the end */
        const uint32_t counts[] = {1, 3, 4, 40, c.n};
        for (size_t q = 0; q < sizeof counts / sizeof *counts; q++) {
            uint32_t idx[KZ_BLOCK_LEN], tf[KZ_BLOCK_LEN], at = c.i, doc = c.doc;
            const uint32_t count = counts[q] < c.n ? counts[q] : c.n;
            for (uint32_t k = 0; k < count; k++) idx[k] = rnd() % c.n;
            cr_assert_eq(kz_postings_freqs_at(&c, idx, count, tf), KZ_OK, "%s", kz_errmsg());
            for (uint32_t k = 0; k < count; k++)
                cr_assert_eq(tf[k], l.tfs[first + idx[k]], "posting %zu", first + idx[k]);
            cr_assert(c.i == at && c.doc == doc, "the cursor moved");
        }
        uint32_t past = c.n, tf;
        cr_assert_eq(kz_postings_freqs_at(&c, &past, 1, &tf), KZ_EINVAL);
        first += c.n;
        kz_postings_seek_in_block(&c, c.n - 1);
        cr_assert_eq(kz_postings_next(&c), KZ_OK, "%s", kz_errmsg());
    }
    cr_assert_eq(first, l.n);
    drop(&l);
}

Test(postings, flipped_bytes_and_truncations_give_errors_not_crashes)
{
    struct list l;
    make(&l, 300, MIXED, 300, 1);
    uint8_t *doc = l.doc.data, *pos = l.posb.data;
    size_t dl = l.doc.len, pl = l.posb.len;
    uint32_t df = (uint32_t)l.n;
    cr_assert_eq(exercise(doc, dl, pos, pl, df, 0), 0, "the undamaged list reads cleanly");
    cr_assert_eq(exercise(doc, dl, pos, pl, df, 1), 0);
    /* a full walk reads every byte, so every truncation is noticed */
    for (size_t cut = 0; cut < dl; cut++)
        cr_assert(exercise(doc, cut, pos, pl, df, 0), "doc stream cut at %zu", cut);
    for (size_t cut = 0; cut < pl; cut++)
        cr_assert(exercise(doc, dl, pos, cut, df, 0), "position stream cut at %zu", cut);
    for (size_t cut = 0; cut < dl; cut += 7) exercise(doc, cut, pos, pl, df, 1);
    const uint8_t flips[] = {0x01, 0x80, 0xff, 0x10};
    size_t detected = 0, tried = 0;
    for (size_t at = 0; at < dl; at++)
        for (size_t f = 0; f < sizeof flips; f++) {
            doc[at] ^= flips[f];
            detected += (size_t)exercise(doc, dl, pos, pl, df, (int)(f % 2));
            tried++;
            doc[at] ^= flips[f];
        }
    for (size_t at = 0; at < pl; at++) {
        pos[at] ^= 0xff;
        detected += (size_t)exercise(doc, dl, pos, pl, df, (int)(at % 2));
        tried++;
        pos[at] ^= 0xff;
    }
    cr_log_info("damage: %zu of %zu flips detected", detected, tried);
    /* a wrong df from a damaged term dictionary */
    for (uint32_t bad = 1; bad < 700; bad += 13) exercise(doc, dl, pos, pl, bad, (int)(bad % 2));
    drop(&l);
}

Test(postings, encodings_match_the_examples_worked_by_hand_in_the_format_document)
{
    uint32_t docs[2] = {3, 10}, tfs[2] = {1, 2}, pos[3] = {7, 0, 4}, len[11] = {0};
    len[3] = 12, len[10] = 9;
    kz_buf doc = KZ_BUF_INIT, pb = KZ_BUF_INIT;
    cr_assert_eq(kz_postings_encode(&doc, &pb, docs, tfs, pos, 2, len, NULL, NULL), KZ_OK);
    const uint8_t want_doc[] = {0x01, 0x01, 0x02, 0x09, 0x03, 0x07, 0x00, 0x01},
                  want_pos[] = {7, 0, 4};
    cr_assert_eq(doc.len, sizeof want_doc);
    cr_assert_arr_eq(doc.data, want_doc, sizeof want_doc);
    cr_assert_eq(pb.len, sizeof want_pos);
    cr_assert_arr_eq(pb.data, want_pos, sizeof want_pos);

    uint32_t ids[128], ones[128];
    for (uint32_t i = 0; i < 128; i++) ids[i] = i, ones[i] = 1;
    kz_buf_clear(&doc);
    cr_assert_eq(kz_postings_encode(&doc, NULL, ids, ones, NULL, 128, NULL, NULL, NULL), KZ_OK);
    uint8_t want[6 + 16] = {0x00, 0x01, 0x01, 0x00, 0x01, 0x00, 0xfe, 0xff, 0xff, 0xff};
    memset(want + 10, 0xff, 12);
    cr_assert_eq(doc.len, sizeof want);
    cr_assert_arr_eq(doc.data, want, sizeof want);
    kz_buf_free(&doc);
    kz_buf_free(&pb);
}
