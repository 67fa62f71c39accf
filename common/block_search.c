/* block_search.c - the portable and AVX2 kernels of block_search.h, and the run-time choice.
 *
 * Invariant: both kernels keep exactly the candidates that equal some id of the block; the
 * AVX2 one reads only block[0..KZ_BLOCK_LEN) (a candidate's group is at most the last, since
 * no candidate exceeds the block's last id). */
#include "block_search.h"

#include "bitpack.h"
#include "error.h"
#include "postings.h"

#include <stdatomic.h>
#include <string.h>

typedef uint32_t (*keep_fn)(const uint32_t *block, uint32_t start, uint32_t *ids, uint32_t *lead,
                            uint32_t m);

struct kernel {
    const char *name;
    keep_fn keep;
};

static uint32_t scalar_keep(const uint32_t *block, uint32_t start, uint32_t *ids, uint32_t *lead,
                            uint32_t m)
{
    uint32_t kept = 0;
    if (kz_postings_lower_bound(block, ids[m - 1]) - start < 3 * m) {
        /* a merge; j stays below the block's last id's index + 1, as no candidate exceeds it */
        for (uint32_t t = 0, j = start; t < m;) {
            const uint32_t u = ids[t], v = block[j], from = lead[t];
            ids[kept] = u; /* a rejected candidate is overwritten by the next */
            lead[kept] = from;
            kept += u == v;
            t += u <= v;
            j += v <= u;
        }
        return kept;
    }
    for (uint32_t t = 0; t < m; t++) {
        const uint32_t id = ids[t], from = lead[t];
        ids[kept] = id;
        lead[kept] = from;
        kept += block[kz_postings_lower_bound(block, id)] == id;
    }
    return kept;
}

static const struct kernel scalar_kernel = {"scalar", scalar_keep};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define KZ_AVX2 __attribute__((target("avx2,popcnt")))

/* AVX2 compares signed integers: flipping the top bit of both sides orders them as unsigned. */
static KZ_AVX2 uint32_t avx2_keep(const uint32_t *block, uint32_t start, uint32_t *ids,
                                  uint32_t *lead, uint32_t m)
{
    (void)start; /* searching beats merging here whatever the ratio */
    const __m256i flip = _mm256_set1_epi32(INT32_MIN);
    const __m256i every8 = _mm256_setr_epi32(7, 15, 23, 31, 39, 47, 55, 63);
    /* the last id of each group of eight: groups 0-7 and 8-15 */
    const __m256i lo =
        _mm256_xor_si256(_mm256_i32gather_epi32((const int *)(const void *)block, every8, 4), flip);
    const __m256i hi = _mm256_xor_si256(
        _mm256_i32gather_epi32((const int *)(const void *)(block + 64), every8, 4), flip);
    uint32_t kept = 0;
    for (uint32_t t = 0; t < m; t++) {
        const uint32_t id = ids[t], from = lead[t];
        const __m256i x = _mm256_set1_epi32((int)id);
        const __m256i xs = _mm256_xor_si256(x, flip);
        /* groups whose last id is below the candidate: those before its group */
        const unsigned below =
            (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(xs, lo))) |
            (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(xs, hi))) << 8;
        const unsigned group = (unsigned)__builtin_popcount(below); /* <= 15 */
        const __m256i g =
            _mm256_loadu_si256((const __m256i *)(const void *)(block + 8 * (size_t)group));
        const int hit = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(g, x))) != 0;
        ids[kept] = id;
        lead[kept] = from;
        kept += (uint32_t)hit;
    }
    return kept;
}

static const struct kernel avx2_kernel = {"avx2", avx2_keep};

static const struct kernel *find_simd(const char *name)
{
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("popcnt"))
        return &avx2_kernel;
    return NULL;
}

#else

static const struct kernel *find_simd(const char *name)
{
    (void)name;
    return NULL;
}

#endif

/* The kernel in use: NULL until first use, then chosen once from the CPU (any thread may do
 * the choosing; the result is the same and the atomic makes its publication race-free). */
static _Atomic(const struct kernel *) current;

static const struct kernel *kernel(void)
{
    const struct kernel *k = atomic_load_explicit(&current, memory_order_acquire);
    if (k) return k;
    k = find_simd("avx2");
    if (!k) k = &scalar_kernel;
    atomic_store_explicit(&current, k, memory_order_release);
    return k;
}

uint32_t kz_block_keep_members(const uint32_t *block, uint32_t start, uint32_t *ids, uint32_t *lead,
                               uint32_t m)
{
    return kernel()->keep(block, start, ids, lead, m);
}

const char *kz_block_search_impl(void)
{
    return kernel()->name;
}

int kz_block_search_select(const char *name)
{
    if (name == NULL) {
        atomic_store(&current, NULL);
        return KZ_OK;
    }
    const struct kernel *k = strcmp(name, "scalar") == 0 ? &scalar_kernel : find_simd(name);
    if (!k)
        return kz_fail(KZ_EINVAL,
                       "block search kernel '%s' is unknown or this CPU lacks its instructions "
                       "(use scalar or avx2)",
                       name);
    atomic_store(&current, k);
    return KZ_OK;
}
