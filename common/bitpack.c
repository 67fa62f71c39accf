/* bitpack.c - the portable scalar block codec, variable-byte, and the run-time choice of codec.
 *
 * Layout of a packed block (shared with bitpack_simd.c, described in docs/format/postings.md):
 * 128 integers at width b occupy 4*b little-endian 32-bit words; integer i belongs to lane i % 4
 * and is the (i / 4)-th value of that lane's bit stream, filled from the least significant bit
 * of word 0 of the lane upwards. Word w of lane l is stored at byte 16*w + 4*l. Every lane thus
 * holds exactly b words, and an SSE register loaded from byte 16*w holds word w of all four
 * lanes, which is what lets SIMD decoders unpack four integers per instruction.
 *
 * The scalar functions below are the reference: the SIMD ones must produce identical bytes and
 * integers. Each is written once for a generic width and instantiated for every constant width
 * 0..32 through a switch, so that the compiler can unroll the loop and fold the shifts. */
#include "bitpack.h"
#include "bitpack_impl.h"

#include "buf.h"
#include "error.h"

#include <stdatomic.h>
#include <string.h>

#if defined(__GNUC__)
#define KZ_INLINE static inline __attribute__((always_inline))
/* full unrolling turns the per-row bookkeeping into constants for each width */
#define KZ_UNROLL _Pragma("GCC unroll 32")
#else
#define KZ_INLINE static inline
#define KZ_UNROLL
#endif

unsigned kz_bits_needed(const uint32_t *v, size_t n)
{
    uint32_t all = 0;
    for (size_t i = 0; i < n; i++) all |= v[i];
    return all ? 32u - (unsigned)__builtin_clz(all) : 0u;
}

KZ_INLINE void scalar_pack_w(const uint32_t *in, unsigned bits, uint8_t *out)
{
    if (bits == 0) return;
    for (unsigned lane = 0; lane < 4; lane++) {
        uint64_t acc = 0;
        unsigned have = 0; /* bits pending in acc */
        uint8_t *p = out + 4 * lane;
        KZ_UNROLL
        for (unsigned r = 0; r < 32; r++) {
            acc |= (uint64_t)in[4 * r + lane] << have;
            have += bits;
            if (have >= 32) {
                kz_store_u32le(p, (uint32_t)acc);
                p += 16;
                acc >>= 32;
                have -= 32;
            }
        }
    }
}

/* Rows in order, the four lanes side by side: every lane consumes its stream at the same pace,
 * so one `have` serves all four, and integers come out in order, which lets the delta variant
 * fold the running sum into the same pass. */
KZ_INLINE uint32_t scalar_unpack_w(const uint8_t *in, unsigned bits, uint32_t *out, int mode,
                                   uint32_t base)
{
    const int delta = mode == KZ_UNPACK_DELTA, plus1 = mode == KZ_UNPACK_PLUS1;
    if (bits == 0) {
        for (unsigned i = 0; i < KZ_BLOCK_LEN; i++) out[i] = delta ? base : (uint32_t)plus1;
        return delta || (plus1 && base == 0); /* every gap is 0; every value is 0 */
    }
    uint32_t zero = 0;
    const uint32_t mask = bits == 32 ? UINT32_MAX : (1u << bits) - 1;
    uint64_t acc0 = 0, acc1 = 0, acc2 = 0, acc3 = 0;
    unsigned have = 0;
    uint32_t run = base;
    const uint8_t *p = in;
    KZ_UNROLL
    for (unsigned r = 0; r < 32; r++) {
        /* A lane stream is exactly `bits` words long, so loading on demand never reads past
         * the block. */
        if (have < bits) {
            acc0 |= (uint64_t)kz_load_u32le(p) << have;
            acc1 |= (uint64_t)kz_load_u32le(p + 4) << have;
            acc2 |= (uint64_t)kz_load_u32le(p + 8) << have;
            acc3 |= (uint64_t)kz_load_u32le(p + 12) << have;
            p += 16;
            have += 32;
        }
        uint32_t v0 = (uint32_t)acc0 & mask, v1 = (uint32_t)acc1 & mask;
        uint32_t v2 = (uint32_t)acc2 & mask, v3 = (uint32_t)acc3 & mask;
        if (delta) { /* unsigned sums wrap; callers that need increasing values check them */
            zero |= (v0 == 0) | (v1 == 0) | (v2 == 0) | (v3 == 0);
            v0 = run += v0;
            v1 = run += v1;
            v2 = run += v2;
            v3 = run += v3;
        }
        if (plus1) { /* base is the limit; "zero" reports a value at or above it */
            zero |= (v0 >= base) | (v1 >= base) | (v2 >= base) | (v3 >= base);
            v0 += 1;
            v1 += 1;
            v2 += 1;
            v3 += 1;
        }
        out[4 * r] = v0;
        out[4 * r + 1] = v1;
        out[4 * r + 2] = v2;
        out[4 * r + 3] = v3;
        acc0 >>= bits;
        acc1 >>= bits;
        acc2 >>= bits;
        acc3 >>= bits;
        have -= bits;
    }
    return zero;
}

KZ_PACK_DISPATCH(, scalar_pack, scalar_pack_w)
KZ_UNPACK_DISPATCH(, scalar_unpack_plain, scalar_unpack_w, KZ_UNPACK_PLAIN)
KZ_UNPACK_DISPATCH(, scalar_unpack_delta, scalar_unpack_w, KZ_UNPACK_DELTA)
KZ_UNPACK_DISPATCH(, scalar_unpack_plus1, scalar_unpack_w, KZ_UNPACK_PLUS1)

static void scalar_unpack(const uint8_t *in, unsigned bits, uint32_t *out)
{
    scalar_unpack_plain(in, bits, 0, out);
}

static const struct kz_codec scalar_codec = {"scalar", scalar_pack, scalar_unpack,
                                             scalar_unpack_delta, scalar_unpack_plus1};

/* The codec in use. NULL until first use; then chosen once from the CPU (any thread may do the
 * choosing: the result is the same, and the atomic makes the publication race-free). Tests and
 * benchmarks may pin one with kz_codec_select(). */
static _Atomic(const struct kz_codec *) current_codec;

static const struct kz_codec *codec(void)
{
    const struct kz_codec *c = atomic_load_explicit(&current_codec, memory_order_acquire);
    if (c) return c;
    c = kz_codec_simd_best();
    if (!c) c = &scalar_codec;
    atomic_store_explicit(&current_codec, c, memory_order_release);
    return c;
}

void kz_bitpack128(const uint32_t *in, unsigned bits, uint8_t *out)
{
    codec()->pack(in, bits, out);
}

void kz_bitunpack128(const uint8_t *in, unsigned bits, uint32_t *out)
{
    codec()->unpack(in, bits, out);
}

uint32_t kz_bitunpack128_delta(const uint8_t *in, unsigned bits, uint32_t base, uint32_t *out)
{
    return codec()->unpack_delta(in, bits, base, out);
}

uint32_t kz_bitunpack128_plus1(const uint8_t *in, unsigned bits, uint32_t limit, uint32_t *out)
{
    return codec()->unpack_plus1(in, bits, limit, out);
}

uint32_t kz_bitunpack128_one(const uint8_t *in, unsigned bits, unsigned i)
{
    if (bits == 0) return 0;
    /* value i / 4 of lane i % 4: bit offset off in the lane's words, word w at 16*w + 4*lane */
    unsigned lane = i % 4, off = (i / 4) * bits, w = off / 32, shift = off % 32;
    uint64_t v = kz_load_u32le(in + 16 * w + 4 * lane) >> shift;
    if (shift + bits > 32)
        v |= (uint64_t)kz_load_u32le(in + 16 * (w + 1) + 4 * lane) << (32 - shift);
    return (uint32_t)(v & ((1ull << bits) - 1));
}

const char *kz_codec_impl(void)
{
    return codec()->name;
}

void kz_codec_force_scalar(int on)
{
    atomic_store(&current_codec, on ? &scalar_codec : NULL); /* NULL: re-chosen on next use */
}

int kz_codec_select(const char *name)
{
    if (name == NULL) {
        atomic_store(&current_codec, NULL);
        return KZ_OK;
    }
    const struct kz_codec *c =
        strcmp(name, "scalar") == 0 ? &scalar_codec : kz_codec_simd_find(name);
    if (!c)
        return kz_fail(KZ_EINVAL,
                       "codec '%s' is unknown or this CPU lacks its instructions "
                       "(use scalar, sse4.1 or avx2)",
                       name);
    atomic_store(&current_codec, c);
    return KZ_OK;
}

size_t kz_vbyte_encode(const uint32_t *in, size_t n, uint8_t *out)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) {
        uint32_t v = in[i];
        while (v >= 0x80) {
            *p++ = (uint8_t)(v | 0x80);
            v >>= 7;
        }
        *p++ = (uint8_t)v;
    }
    return (size_t)(p - out);
}

int kz_vbyte_decode(const uint8_t *in, const uint8_t *end, size_t n, uint32_t *out,
                    const uint8_t **next)
{
    const uint8_t *p = in;
    for (size_t i = 0; i < n; i++) {
        /* Fast path: one-byte integers are by far the most common (small gaps, tf 1). */
        if (p < end && *p < 0x80) {
            out[i] = *p++;
            continue;
        }
        uint32_t v = 0;
        unsigned shift = 0;
        for (;;) {
            if (p >= end)
                return kz_fail(KZ_ECORRUPT,
                               "variable-byte: integer %zu of %zu runs past the end of its data", i,
                               n);
            uint8_t byte = *p++;
            /* The fifth byte may carry only the top 4 bits of a 32-bit integer and must end it. */
            if (shift == 28 && byte > 0x0f)
                return kz_fail(KZ_ECORRUPT, "variable-byte: integer %zu of %zu exceeds 32 bits", i,
                               n);
            v |= (uint32_t)(byte & 0x7f) << shift;
            if (!(byte & 0x80)) break;
            shift += 7;
        }
        out[i] = v;
    }
    if (next) *next = p;
    return KZ_OK;
}
