/* test_block_search.c - the block search kernels (block_search.h) against a brute-force
 * membership test: full and partial (padded) blocks, ids spread over the whole 32-bit range
 * (the AVX2 kernel compares signed lanes, so ids on both sides of 2^31 and next to KZ_DOC_END
 * matter), dense and sparse candidates, candidates starting after the block's first ids, the
 * located index of each held id, and every kernel this CPU can run giving the same answer. */
#include "bitpack.h"
#include "block_search.h"
#include "error.h"
#include "postings.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <string.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint32_t rnd(void)
{
    return kz_test_rnd(&rng_state);
}

/* n increasing ids from base with gaps of 1..maxgap, the rest of the block KZ_DOC_END. */
static void make_block(uint32_t *block, uint32_t n, uint32_t base, uint32_t maxgap)
{
    uint64_t id = base;
    for (uint32_t k = 0; k < n; k++) {
        block[k] = (uint32_t)id;
        id += 1 + rnd() % maxgap;
    }
    for (uint32_t k = n; k < KZ_BLOCK_LEN; k++) block[k] = KZ_DOC_END;
}

static int block_holds(const uint32_t *block, uint32_t n, uint32_t id)
{
    for (uint32_t k = 0; k < n; k++)
        if (block[k] == id) return 1;
    return 0;
}

Test(block_search, keeps_exactly_the_candidates_the_block_holds_with_every_kernel)
{
    static const char *kernels[] = {"scalar", "avx2", "avx512"};
    /* bases on both sides of 2^31 and right below KZ_DOC_END, so that no id reaches it */
    const uint32_t bases[] = {0, 1000, 0x7fffff00u, 0x80000000u, 0xfffe0000u};
    const uint32_t gaps[] = {1, 2, 7, 300};
    int ran = 0;
    for (int round = 0; round < 400; round++) {
        uint32_t block[KZ_BLOCK_LEN];
        const uint32_t n = round % 3 == 0 ? 1 + rnd() % KZ_BLOCK_LEN : KZ_BLOCK_LEN;
        const uint32_t gap = gaps[rnd() % 4];
        make_block(block, n, bases[rnd() % 5], gap);
        /* the first `start` ids lie below every candidate, as an intersection leaves them */
        const uint32_t start = rnd() % 2 ? rnd() % n : 0;
        const uint32_t lo = start ? block[start - 1] + 1 : (block[0] > 5 ? block[0] - 5 : 0);
        const uint32_t hi = block[n - 1]; /* no candidate exceeds the last id */
        uint32_t cand[KZ_BLOCK_LEN], m = 0;
        const uint32_t every = 1 + rnd() % 4;
        for (uint64_t id = lo; id <= hi && m < KZ_BLOCK_LEN; id += 1 + rnd() % (every * gap))
            cand[m++] = (uint32_t)id;
        if (m == 0) cand[m++] = hi;
        uint32_t want[KZ_BLOCK_LEN], nwant = 0;
        for (uint32_t t = 0; t < m; t++)
            if (block_holds(block, n, cand[t])) want[nwant++] = t;
        for (size_t k = 0; k < 3; k++) {
            if (kz_block_search_select(kernels[k]) != KZ_OK) continue; /* this CPU lacks it */
            ran |= 1 << k;
            uint32_t ids[KZ_BLOCK_LEN], lead[KZ_BLOCK_LEN];
            memcpy(ids, cand, m * sizeof *ids);
            for (uint32_t t = 0; t < m; t++) lead[t] = 1000 + t; /* carried with each candidate */
            uint32_t kept = kz_block_keep_members(block, start, ids, lead, m);
            cr_assert_eq(kept, nwant, "%s, round %d: kept %u of %u candidates, %u are held",
                         kernels[k], round, kept, m, nwant);
            for (uint32_t i = 0; i < kept; i++) {
                cr_assert_eq(ids[i], cand[want[i]], "%s, round %d: match %u", kernels[k], round, i);
                cr_assert_eq(lead[i], 1000 + want[i], "%s, round %d: match %u carried %u",
                             kernels[k], round, i, lead[i]);
            }
        }
    }
    kz_block_search_select(NULL);
    cr_assert(ran & 1, "the portable kernel always runs");
}

Test(block_search, locates_every_id_of_the_block_with_every_kernel)
{
    static const char *kernels[] = {"scalar", "avx2", "avx512"};
    const uint32_t bases[] = {0, 0x7fffffc0u, 0xfffe0000u};
    for (int round = 0; round < 200; round++) {
        uint32_t block[KZ_BLOCK_LEN], ids[KZ_BLOCK_LEN], want[KZ_BLOCK_LEN], at[KZ_BLOCK_LEN];
        const uint32_t n = round % 2 ? 1 + rnd() % KZ_BLOCK_LEN : KZ_BLOCK_LEN;
        make_block(block, n, bases[rnd() % 3], 1 + rnd() % 9);
        uint32_t count = 0; /* a random increasing subset of the block's ids */
        for (uint32_t k = 0; k < n; k++)
            if (rnd() % 3 == 0) {
                ids[count] = block[k];
                want[count++] = k;
            }
        for (size_t k = 0; k < 3; k++) {
            if (kz_block_search_select(kernels[k]) != KZ_OK) continue;
            kz_block_locate(block, ids, count, at);
            for (uint32_t i = 0; i < count; i++)
                cr_assert_eq(at[i], want[i], "%s, round %d: id %u located at %u, not %u",
                             kernels[k], round, ids[i], at[i], want[i]);
        }
    }
    kz_block_search_select(NULL);
}

Test(block_search, names_its_kernel_and_refuses_unknown_ones)
{
    cr_assert_eq(kz_block_search_select("scalar"), KZ_OK);
    cr_assert_str_eq(kz_block_search_impl(), "scalar");
    cr_assert_eq(kz_block_search_select("neon9"), KZ_EINVAL);
    cr_assert(strstr(kz_errmsg(), "neon9") != NULL, "%s", kz_errmsg());
    cr_assert_eq(kz_block_search_select(NULL), KZ_OK);
    const char *best = kz_block_search_impl();
    cr_assert(strcmp(best, "scalar") == 0 || strcmp(best, "avx2") == 0 ||
                  strcmp(best, "avx512") == 0,
              "%s", best);
}
