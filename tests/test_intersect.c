/* test_intersect.c - the block-at-a-time intersection (intersect.h) against a brute-force
 * intersection of the raw id arrays: lists of similar and of very different densities (so that
 * segments are cut by middle lists and the last list crosses blocks within a segment), one to
 * four lists, partial last blocks, limits, restarts past pending matches, and the cursors
 * standing on each match when it is visited; with each block search kernel this CPU has. */
#include "block_search.h"
#include "error.h"
#include "intersect.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <stdlib.h>

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
    return kz_test_rnd(&rng_state);
}

#define SPACE 40000 /* ids are drawn from [0, SPACE) */

struct list {
    uint32_t *docs, n;
    kz_buf buf;
};

/* A list holding each id of [0, SPACE) with probability 1 / every (at least one id). */
static void make(struct list *l, uint32_t every)
{
    l->docs = malloc(SPACE * sizeof *l->docs);
    uint32_t *tfs = malloc(SPACE * sizeof *tfs);
    cr_assert(l->docs && tfs);
    l->n = 0;
    for (uint32_t id = 0; id < SPACE; id++)
        if (rnd() % every == 0) {
            tfs[l->n] = 1 + rnd() % 3;
            l->docs[l->n++] = id;
        }
    if (l->n == 0) {
        l->docs[0] = rnd() % SPACE;
        tfs[0] = 1;
        l->n = 1;
    }
    l->buf = (kz_buf){0};
    cr_assert_eq(kz_postings_encode(&l->buf, NULL, l->docs, tfs, NULL, l->n, NULL, NULL, NULL),
                 KZ_OK, "%s", kz_errmsg());
    free(tfs);
}

static int holds(const struct list *l, uint32_t id)
{
    uint32_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (l->docs[mid] < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < l->n && l->docs[lo] == id;
}

/* The first id >= from that every list holds (SPACE if none). */
static uint32_t brute_next(const struct list *l, size_t n, uint32_t from)
{
    for (uint32_t id = from; id < SPACE; id++) {
        size_t k = 0;
        while (k < n && holds(&l[k], id)) k++;
        if (k == n) return id;
    }
    return SPACE;
}

/* One pass over every shape with the block search kernel in use. */
static void intersect_every_shape(const uint32_t (*shapes)[4], size_t nshapes)
{
    for (size_t s = 0; s < nshapes; s++) {
        size_t n = 0;
        while (n < 4 && shapes[s][n]) n++;
        for (int round = 0; round < 6; round++) {
            struct list l[4];
            kz_postings_cursor c[4], *cs[4];
            for (size_t k = 0; k < n; k++) {
                make(&l[k], shapes[s][k]);
                cr_assert_eq(kz_postings_open(&c[k], l[k].buf.data, l[k].buf.len, NULL, 0, l[k].n),
                             KZ_OK, "%s", kz_errmsg());
                cs[k] = &c[k];
            }
            uint32_t ids[KZ_BLOCK_LEN], lead[KZ_BLOCK_LEN];
            kz_intersect x;
            kz_intersect_init(&x, cs, n, ids, lead, 0);
            uint32_t want = brute_next(l, n, 0), limit = 0;
            for (;;) {
                /* a limit now and then, and a restart past what is pending */
                limit = round % 2 ? SPACE : limit + 1 + rnd() % 3000;
                uint32_t count;
                cr_assert_eq(kz_intersect_next(&x, limit, &count), KZ_OK, "%s", kz_errmsg());
                if (count == 0) {
                    if (want > limit && want < SPACE) {
                        cr_assert(x.from <= want && x.from > limit,
                                  "shape %zu: stopped at %u, limit %u, next common id %u", s,
                                  x.from, limit, want);
                        continue;
                    }
                    cr_assert_eq(want, SPACE, "shape %zu: ended before common id %u", s, want);
                    break;
                }
                int restarted = 0;
                for (uint32_t i = 0; i < count && !restarted; i++) {
                    uint32_t id = kz_intersect_id(&x, i);
                    cr_assert_eq(id, want, "shape %zu: handed out %u, expected %u", s, id, want);
                    cr_assert_leq(id, limit);
                    kz_intersect_seek(&x, i);
                    for (size_t k = 0; k < n; k++) cr_assert_eq(c[k].doc, id);
                    want = brute_next(l, n, id + 1);
                    if (rnd() % 50 == 0 && x.from < SPACE) { /* skip ahead, as a phrase may */
                        uint32_t target = x.from + rnd() % 500;
                        kz_intersect_restart(&x, target);
                        want = brute_next(l, n, target);
                        restarted = 1;
                    }
                }
            }
            for (size_t k = 0; k < n; k++) {
                free(l[k].docs);
                kz_buf_free(&l[k].buf);
            }
        }
    }
}

Test(intersect, hands_out_exactly_the_common_ids_in_order_for_lists_of_any_density)
{
    /* 1 / density of each list, the first the rarest as callers order them */
    const uint32_t shapes[][4] = {{1, 0, 0, 0},    {2, 2, 0, 0}, {3, 2, 0, 0},   {40, 3, 0, 0},
                                  {300, 2, 0, 0},  {5, 4, 2, 0}, {60, 20, 2, 0}, {9, 8, 7, 2},
                                  {2000, 1, 0, 0}, {2, 1, 0, 0}, {4, 4, 4, 4},   {700, 30, 3, 2}};
    static const char *kernels[] = {"scalar", "avx2"}; /* block_search.h */
    for (size_t kern = 0; kern < 2; kern++) {
        if (kz_block_search_select(kernels[kern]) != KZ_OK) continue; /* this CPU lacks it */
        intersect_every_shape(shapes, sizeof shapes / sizeof shapes[0]);
    }
    kz_block_search_select(NULL);
}
