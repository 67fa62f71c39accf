/* bitpack_simd.c - SSE4.1 and AVX2 kernels for the 128-integer packed block (x86-64 only).
 *
 * The byte layout is the one bitpack.c describes: word w of lane l at byte 16*w + 4*l, so one
 * unaligned 128-bit load at byte 16*w yields word w of all four lanes. These kernels must give
 * results bit-identical to the scalar reference for every width 0..32. They are compiled with
 * per-function target attributes rather than -march flags, so the library still runs on any
 * x86-64; kz_codec_simd_best() asks the CPU at run time which ones it may use. Each kernel is
 * written for a generic width and instantiated for the 33 constant widths so that the compiler
 * unrolls the 32 rows and turns every shift into an immediate. */
#include "bitpack.h"
#include "bitpack_impl.h"

#include <stddef.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#define KZ_SSE  __attribute__((target("sse4.1")))
#define KZ_AVX2 __attribute__((target("avx2")))
#define KZ_INL  static inline __attribute__((always_inline))
/* full unrolling turns the per-row shifts and loads into constants for each width */
#define KZ_UNROLL _Pragma("GCC unroll 32")

/* ---- SSE4.1: one row of four integers per step */

KZ_INL KZ_SSE __m128i sse_load(const uint8_t *in, unsigned word)
{
    return _mm_loadu_si128((const __m128i *)(const void *)(in + 16 * (size_t)word));
}

/* Running sum of four gaps, continuing from the last value of the previous row (in *run). */
KZ_INL KZ_SSE __m128i sse_prefix(__m128i v, __m128i *run)
{
    v = _mm_add_epi32(v, _mm_slli_si128(v, 4));
    v = _mm_add_epi32(v, _mm_slli_si128(v, 8));
    const __m128i total = _mm_shuffle_epi32(v, 0xff); /* off the chain, as in avx_prefix */
    v = _mm_add_epi32(v, *run);
    *run = _mm_add_epi32(*run, total);
    return v;
}

KZ_INL KZ_SSE void sse_pack_w(const uint32_t *in, unsigned bits, uint8_t *out)
{
    if (bits == 0) return;
    __m128i acc = _mm_setzero_si128();
    unsigned s = 0, word = 0;
    KZ_UNROLL
    for (unsigned r = 0; r < 32; r++) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(in + 4 * r));
        acc = _mm_or_si128(acc, _mm_slli_epi32(v, (int)s));
        if (s + bits >= 32) {
            _mm_storeu_si128((__m128i *)(void *)(out + 16 * (size_t)word++), acc);
            acc = s + bits > 32 ? _mm_srli_epi32(v, (int)(32 - s)) : _mm_setzero_si128();
            s = s + bits - 32;
        } else {
            s += bits;
        }
    }
}

KZ_INL KZ_SSE uint32_t sse_unpack_w(const uint8_t *in, unsigned bits, uint32_t *out, int mode,
                                    uint32_t base)
{
    const int delta = mode == KZ_UNPACK_DELTA, plus1 = mode == KZ_UNPACK_PLUS1;
    __m128i run = _mm_set1_epi32((int)base), zero = _mm_setzero_si128();
    const __m128i one = _mm_set1_epi32(1);
    if (bits == 0) {
        __m128i v = delta ? run : plus1 ? one : _mm_setzero_si128();
        for (unsigned r = 0; r < 32; r++) _mm_storeu_si128((__m128i *)(void *)(out + 4 * r), v);
        return delta || (plus1 && base == 0); /* every gap is 0; every value is 0 */
    }
    const __m128i mask = _mm_set1_epi32(bits == 32 ? -1 : (int)((1u << bits) - 1));
    unsigned s = 0, word = 0;
    __m128i w = sse_load(in, word);
    KZ_UNROLL
    for (unsigned r = 0; r < 32; r++) {
        __m128i v = _mm_srli_epi32(w, (int)s);
        if (s + bits > 32) {
            w = sse_load(in, ++word);
            v = _mm_or_si128(v, _mm_slli_epi32(w, (int)(32 - s)));
            s = s + bits - 32;
        } else if (s + bits == 32) {
            if (r < 31) w = sse_load(in, ++word); /* the last row ends the block exactly */
            s = 0;
        } else {
            s += bits;
        }
        if (bits < 32) v = _mm_and_si128(v, mask);
        if (delta) {
            zero = _mm_or_si128(zero, _mm_cmpeq_epi32(v, _mm_setzero_si128()));
            v = sse_prefix(v, &run);
        }
        if (plus1) { /* v >= limit exactly when max(v, limit) == v, unsigned */
            zero = _mm_or_si128(zero, _mm_cmpeq_epi32(_mm_max_epu32(v, run), v));
            v = _mm_add_epi32(v, one);
        }
        _mm_storeu_si128((__m128i *)(void *)(out + 4 * r), v);
    }
    return (uint32_t)!_mm_testz_si128(zero, zero);
}

KZ_PACK_DISPATCH(KZ_SSE, sse_pack, sse_pack_w)
KZ_UNPACK_DISPATCH(KZ_SSE, sse_unpack_plain, sse_unpack_w, KZ_UNPACK_PLAIN)
KZ_UNPACK_DISPATCH(KZ_SSE, sse_unpack_delta, sse_unpack_w, KZ_UNPACK_DELTA)
KZ_UNPACK_DISPATCH(KZ_SSE, sse_unpack_plus1, sse_unpack_w, KZ_UNPACK_PLUS1)

static KZ_SSE void sse_unpack(const uint8_t *in, unsigned bits, uint32_t *out)
{
    sse_unpack_plain(in, bits, 0, out);
}

/* ---- AVX2: two rows (eight integers) per step. The low half of a register holds row r, the
 * high half row r+1; each half is shifted by its own amount with the variable shifts, which
 * give 0 for a count of 32 or more, so the spill-over term needs no special case. */

KZ_INL KZ_AVX2 __m256i avx_pair(const uint8_t *in, unsigned lo_word, unsigned hi_word)
{
    return _mm256_set_m128i(
        _mm_loadu_si128((const __m128i *)(const void *)(in + 16 * (size_t)hi_word)),
        _mm_loadu_si128((const __m128i *)(const void *)(in + 16 * (size_t)lo_word)));
}

/* The running sum of eight gaps continuing from *run. The eight's own total is taken from
 * their local sums, not from the result, so that the chain from one step to the next is a
 * single add: with the broadcast on it, the chain set the decoder's pace. */
KZ_INL KZ_AVX2 __m256i avx_prefix(__m256i v, __m256i *run)
{
    v = _mm256_add_epi32(v, _mm256_slli_si256(v, 4));
    v = _mm256_add_epi32(v, _mm256_slli_si256(v, 8));
    /* carry the low half's total into the high half */
    __m256i last = _mm256_shuffle_epi32(v, 0xff);
    v = _mm256_add_epi32(v, _mm256_permute2x128_si256(last, last, 0x08));
    const __m256i total = _mm256_permutevar8x32_epi32(v, _mm256_set1_epi32(7));
    v = _mm256_add_epi32(v, *run);
    *run = _mm256_add_epi32(*run, total);
    return v;
}

KZ_INL KZ_AVX2 uint32_t avx_unpack_w(const uint8_t *in, unsigned bits, uint32_t *out, int mode,
                                     uint32_t base)
{
    const int delta = mode == KZ_UNPACK_DELTA, plus1 = mode == KZ_UNPACK_PLUS1;
    __m256i run = _mm256_set1_epi32((int)base), zero = _mm256_setzero_si256();
    const __m256i one = _mm256_set1_epi32(1);
    if (bits == 0) {
        __m256i v = delta ? run : plus1 ? one : _mm256_setzero_si256();
        for (unsigned r = 0; r < 32; r += 2)
            _mm256_storeu_si256((__m256i *)(void *)(out + 4 * r), v);
        return delta || (plus1 && base == 0); /* every gap is 0; every value is 0 */
    }
    const __m256i mask = _mm256_set1_epi32(bits == 32 ? -1 : (int)((1u << bits) - 1));
    KZ_UNROLL
    for (unsigned r = 0; r < 32; r += 2) {
        unsigned b0 = r * bits, b1 = (r + 1) * bits;
        unsigned w0 = b0 / 32, s0 = b0 % 32, w1 = b1 / 32, s1 = b1 % 32;
        __m256i shift = _mm256_set_epi32((int)s1, (int)s1, (int)s1, (int)s1, (int)s0, (int)s0,
                                         (int)s0, (int)s0);
        __m256i v = _mm256_srlv_epi32(avx_pair(in, w0, w1), shift);
        int spill0 = s0 + bits > 32, spill1 = s1 + bits > 32;
        if (spill0 || spill1) {
            /* a half that does not spill reloads its own word (always in bounds); its
             * contribution lands above the width and is masked off */
            __m256i up = _mm256_sub_epi32(_mm256_set1_epi32(32), shift);
            __m256i hi =
                _mm256_sllv_epi32(avx_pair(in, spill0 ? w0 + 1 : w0, spill1 ? w1 + 1 : w1), up);
            v = _mm256_or_si256(v, hi);
        }
        if (bits < 32) v = _mm256_and_si256(v, mask);
        if (delta) {
            zero = _mm256_or_si256(zero, _mm256_cmpeq_epi32(v, _mm256_setzero_si256()));
            v = avx_prefix(v, &run);
        }
        if (plus1) { /* v >= limit exactly when max(v, limit) == v, unsigned */
            zero = _mm256_or_si256(zero, _mm256_cmpeq_epi32(_mm256_max_epu32(v, run), v));
            v = _mm256_add_epi32(v, one);
        }
        _mm256_storeu_si256((__m256i *)(void *)(out + 4 * r), v);
    }
    return (uint32_t)!_mm256_testz_si256(zero, zero);
}

KZ_UNPACK_DISPATCH(KZ_AVX2, avx_unpack_plain, avx_unpack_w, KZ_UNPACK_PLAIN)
KZ_UNPACK_DISPATCH(KZ_AVX2, avx_unpack_delta, avx_unpack_w, KZ_UNPACK_DELTA)
KZ_UNPACK_DISPATCH(KZ_AVX2, avx_unpack_plus1, avx_unpack_w, KZ_UNPACK_PLUS1)

static KZ_AVX2 void avx_unpack(const uint8_t *in, unsigned bits, uint32_t *out)
{
    avx_unpack_plain(in, bits, 0, out);
}

/* Packing runs once per block at indexing time; the SSE packer is already far from being the
 * bottleneck there, so the AVX2 codec reuses it. */
static const struct kz_codec sse_codec = {"sse4.1", sse_pack, sse_unpack, sse_unpack_delta,
                                          sse_unpack_plus1};
static const struct kz_codec avx2_codec = {"avx2", sse_pack, avx_unpack, avx_unpack_delta,
                                           avx_unpack_plus1};

const struct kz_codec *kz_codec_simd_find(const char *name)
{
    __builtin_cpu_init();
    if (strcmp(name, "avx2") == 0 && __builtin_cpu_supports("avx2")) return &avx2_codec;
    if (strcmp(name, "sse4.1") == 0 && __builtin_cpu_supports("sse4.1")) return &sse_codec;
    return NULL;
}

const struct kz_codec *kz_codec_simd_best(void)
{
    const struct kz_codec *c = kz_codec_simd_find("avx2");
    return c ? c : kz_codec_simd_find("sse4.1");
}

#else /* not x86-64: only the scalar path exists */

const struct kz_codec *kz_codec_simd_find(const char *name)
{
    (void)name;
    return NULL;
}

const struct kz_codec *kz_codec_simd_best(void)
{
    return NULL;
}

#endif
