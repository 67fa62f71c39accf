/* block_search.c - the portable, AVX2 and AVX-512 kernels of block_search.h, and the run-time
 * choice (AVX-512 with VP2INTERSECT, else AVX2, else portable).
 *
 * Invariant: every kernel keeps exactly the candidates that equal some id of the block; the
 * SIMD ones read only block[0..KZ_BLOCK_LEN) (a candidate's group is at most the last, since
 * no candidate exceeds the block's last id) and candidates only below m or count. */
#include "block_search.h"

#include "bitpack.h"
#include "error.h"
#include "postings.h"

#include <stdatomic.h>
#include <string.h>

typedef uint32_t (*keep_fn)(const uint32_t *block, uint32_t start, uint32_t *ids, uint32_t *lead,
                            uint32_t m);

typedef void (*locate_fn)(const uint32_t *block, const uint32_t *ids, uint32_t count, uint32_t *at);

struct kernel {
    const char *name;
    keep_fn keep;
    locate_fn locate;
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

static void scalar_locate(const uint32_t *block, const uint32_t *ids, uint32_t count, uint32_t *at)
{
    for (uint32_t k = 0; k < count; k++) at[k] = kz_postings_lower_bound(block, ids[k]);
}

static const struct kernel scalar_kernel = {"scalar", scalar_keep, scalar_locate};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define KZ_AVX2 __attribute__((target("avx2,popcnt")))

/* The last id of each group of eight, groups 0-7 in *lo and 8-15 in *hi, with the top bit
 * flipped: AVX2 compares signed integers, and flipping the top bit of both sides orders them
 * as unsigned. */
static inline KZ_AVX2 void avx2_fences(const uint32_t *block, __m256i *lo, __m256i *hi)
{
    const __m256i flip = _mm256_set1_epi32(INT32_MIN);
    const __m256i every8 = _mm256_setr_epi32(7, 15, 23, 31, 39, 47, 55, 63);
    *lo =
        _mm256_xor_si256(_mm256_i32gather_epi32((const int *)(const void *)block, every8, 4), flip);
    *hi = _mm256_xor_si256(
        _mm256_i32gather_epi32((const int *)(const void *)(block + 64), every8, 4), flip);
}

/* The group of eight that holds id if the block does: the number of groups whose last id is
 * below it (at most 15, as no id asked for exceeds the block's last). */
static inline KZ_AVX2 unsigned avx2_group(__m256i lo, __m256i hi, __m256i x)
{
    const __m256i xs = _mm256_xor_si256(x, _mm256_set1_epi32(INT32_MIN));
    const unsigned below =
        (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(xs, lo))) |
        (unsigned)_mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(xs, hi))) << 8;
    return (unsigned)__builtin_popcount(below);
}

static inline KZ_AVX2 __m256i avx2_load_group(const uint32_t *block, unsigned group)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)(block + 8 * (size_t)group));
}

static KZ_AVX2 void avx2_locate(const uint32_t *block, const uint32_t *ids, uint32_t count,
                                uint32_t *at)
{
    __m256i lo, hi;
    avx2_fences(block, &lo, &hi);
    for (uint32_t k = 0; k < count; k++) {
        const __m256i x = _mm256_set1_epi32((int)ids[k]);
        const unsigned group = avx2_group(lo, hi, x);
        const unsigned eq = (unsigned)_mm256_movemask_ps(
            _mm256_castsi256_ps(_mm256_cmpeq_epi32(avx2_load_group(block, group), x)));
        at[k] = 8 * group + (unsigned)__builtin_ctz(eq | 0x100u); /* eq != 0: the block holds it */
    }
}

static KZ_AVX2 uint32_t avx2_keep(const uint32_t *block, uint32_t start, uint32_t *ids,
                                  uint32_t *lead, uint32_t m)
{
    (void)start; /* searching beats merging here whatever the ratio */
    __m256i lo, hi;
    avx2_fences(block, &lo, &hi);
    uint32_t kept = 0;
    for (uint32_t t = 0; t < m; t++) {
        const uint32_t id = ids[t], from = lead[t];
        const __m256i x = _mm256_set1_epi32((int)id);
        const __m256i g = avx2_load_group(block, avx2_group(lo, hi, x));
        const int hit = _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(g, x))) != 0;
        ids[kept] = id;
        lead[kept] = from;
        kept += (uint32_t)hit;
    }
    return kept;
}

static const struct kernel avx2_kernel = {"avx2", avx2_keep, avx2_locate};

#define KZ_AVX512 __attribute__((target("avx512f,avx512vp2intersect,popcnt")))

/* Sixteen candidates from ids[t] on (n <= 16 of them): the lanes past n repeat ids[t], which
 * is one of them, so that they can only match what it matches. */
static inline KZ_AVX512 __m512i avx512_chunk(const uint32_t *ids, uint32_t t, __mmask16 valid)
{
    return _mm512_mask_loadu_epi32(_mm512_set1_epi32((int)ids[t]), valid, ids + t);
}

/* A merge of the candidates with the block sixteen against sixteen: VP2INTERSECTD compares
 * every pair of a chunk of candidates and a group of sixteen of the block's ids in one
 * instruction, and each chunk meets all eight groups. Meeting only the groups a chunk's range
 * spans takes fewer compares but a loop whose length is data, and its mispredicted exits cost
 * more than the compares saved (kzbench micro: 1.30 -> 1.58 G candidates/s at 64 a block,
 * 0.39 -> 0.46 at 8). The kept candidates are compacted by a compress. */
static KZ_AVX512 uint32_t avx512_keep(const uint32_t *block, uint32_t start, uint32_t *ids,
                                      uint32_t *lead, uint32_t m)
{
    (void)start;
    uint32_t kept = 0;
    for (uint32_t t = 0; t < m; t += 16) {
        const uint32_t n = m - t < 16 ? m - t : 16;
        const __mmask16 valid = (__mmask16)((1u << n) - 1);
        const __m512i c = avx512_chunk(ids, t, valid);
        const __m512i from = _mm512_maskz_loadu_epi32(valid, lead + t);
        __mmask16 hit = 0;
        for (unsigned g = 0; g < KZ_BLOCK_LEN / 16; g++) {
            __mmask16 in_c, in_block;
            _mm512_2intersect_epi32(c, _mm512_loadu_si512(block + 16 * (size_t)g), &in_c,
                                    &in_block);
            hit |= in_c;
        }
        hit &= valid;
        const __mmask16 out = (__mmask16)((1u << __builtin_popcount(hit)) - 1);
        _mm512_mask_storeu_epi32(ids + kept, out, _mm512_maskz_compress_epi32(hit, c));
        _mm512_mask_storeu_epi32(lead + kept, out, _mm512_maskz_compress_epi32(hit, from));
        kept += (uint32_t)__builtin_popcount(hit);
    }
    return kept;
}

/* The same merge, keeping the block's side of each compare: the ids, all held, are the
 * block's ids at the marked positions, in order, so each group's marks compress its indices. */
static KZ_AVX512 void avx512_locate(const uint32_t *block, const uint32_t *ids, uint32_t count,
                                    uint32_t *at)
{
    const __m512i iota = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    __mmask16 marks[KZ_BLOCK_LEN / 16] = {0};
    for (uint32_t t = 0; t < count; t += 16) {
        const uint32_t n = count - t < 16 ? count - t : 16;
        const __m512i c = avx512_chunk(ids, t, (__mmask16)((1u << n) - 1));
        for (unsigned g = 0; g < KZ_BLOCK_LEN / 16; g++) {
            __mmask16 in_c, in_block;
            _mm512_2intersect_epi32(c, _mm512_loadu_si512(block + 16 * (size_t)g), &in_c,
                                    &in_block);
            marks[g] |= in_block;
        }
    }
    uint32_t out = 0;
    for (unsigned g = 0; g < KZ_BLOCK_LEN / 16; g++) {
        const __m512i index = _mm512_add_epi32(iota, _mm512_set1_epi32((int)(16 * g)));
        const __mmask16 wrote = (__mmask16)((1u << __builtin_popcount(marks[g])) - 1);
        _mm512_mask_storeu_epi32(at + out, wrote, _mm512_maskz_compress_epi32(marks[g], index));
        out += (uint32_t)__builtin_popcount(marks[g]);
    }
}

static const struct kernel avx512_kernel = {"avx512", avx512_keep, avx512_locate};

static const struct kernel *find_simd(const char *name)
{
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2") &&
        __builtin_cpu_supports("popcnt"))
        return &avx2_kernel;
    if (strcmp(name, "avx512") == 0 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512vp2intersect") && __builtin_cpu_supports("popcnt"))
        return &avx512_kernel;
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
    k = find_simd("avx512");
    if (!k) k = find_simd("avx2");
    if (!k) k = &scalar_kernel;
    atomic_store_explicit(&current, k, memory_order_release);
    return k;
}

uint32_t kz_block_keep_members(const uint32_t *block, uint32_t start, uint32_t *ids, uint32_t *lead,
                               uint32_t m)
{
    return kernel()->keep(block, start, ids, lead, m);
}

void kz_block_locate(const uint32_t *block, const uint32_t *ids, uint32_t count, uint32_t *at)
{
    kernel()->locate(block, ids, count, at);
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
                       "(use scalar, avx2 or avx512)",
                       name);
    atomic_store(&current, k);
    return KZ_OK;
}
