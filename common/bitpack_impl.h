/* bitpack_impl.h - what bitpack.c (dispatch, scalar kernels) and bitpack_simd.c (SSE4.1 and
 * AVX2 kernels) share: one implementation of the block kernels, and how the dispatcher
 * finds the SIMD ones. Internal to the codec; users include bitpack.h. */
#ifndef KZ_BITPACK_IMPL_H
#define KZ_BITPACK_IMPL_H

#include <stdint.h>

/* One implementation of the block kernels. */
struct kz_codec {
    const char *name;
    void (*pack)(const uint32_t *in, unsigned bits, uint8_t *out);
    void (*unpack)(const uint8_t *in, unsigned bits, uint32_t *out);
    /* returns non-zero when some gap is 0 (see kz_bitunpack128_delta) */
    uint32_t (*unpack_delta)(const uint8_t *in, unsigned bits, uint32_t base, uint32_t *out);
    /* returns non-zero when some value is >= limit (see kz_bitunpack128_plus1) */
    uint32_t (*unpack_plus1)(const uint8_t *in, unsigned bits, uint32_t limit, uint32_t *out);
};

/* What an unpack kernel does with the values: store them, sum them from a base (delta), or
 * store them plus one after checking them against a limit (plus1). */
enum { KZ_UNPACK_PLAIN, KZ_UNPACK_DELTA, KZ_UNPACK_PLUS1 };

/* The 33 widths, each handed to X with the extra arguments: a kernel written for a generic
 * width is instantiated for every constant width, so that the compiler unrolls its 32 rows and
 * turns every shift into an immediate. */
/* clang-format off */
#define KZ_WIDTH_CASES(X, ...)                                                                     \
    X(0, __VA_ARGS__)  X(1, __VA_ARGS__)  X(2, __VA_ARGS__)  X(3, __VA_ARGS__)                     \
    X(4, __VA_ARGS__)  X(5, __VA_ARGS__)  X(6, __VA_ARGS__)  X(7, __VA_ARGS__)                     \
    X(8, __VA_ARGS__)  X(9, __VA_ARGS__)  X(10, __VA_ARGS__) X(11, __VA_ARGS__)                    \
    X(12, __VA_ARGS__) X(13, __VA_ARGS__) X(14, __VA_ARGS__) X(15, __VA_ARGS__)                    \
    X(16, __VA_ARGS__) X(17, __VA_ARGS__) X(18, __VA_ARGS__) X(19, __VA_ARGS__)                    \
    X(20, __VA_ARGS__) X(21, __VA_ARGS__) X(22, __VA_ARGS__) X(23, __VA_ARGS__)                    \
    X(24, __VA_ARGS__) X(25, __VA_ARGS__) X(26, __VA_ARGS__) X(27, __VA_ARGS__)                    \
    X(28, __VA_ARGS__) X(29, __VA_ARGS__) X(30, __VA_ARGS__) X(31, __VA_ARGS__)                    \
    X(32, __VA_ARGS__)

#define KZ_PACK_CASE(b, kernel)                                                                    \
    case b:                                                                                        \
        kernel(in, b, out);                                                                        \
        break;
#define KZ_UNPACK_CASE(b, kernel, mode)                                                            \
    case b:                                                                                        \
        return kernel(in, b, out, mode, arg);
/* clang-format on */

/* Defines `static attrs void name(in, bits, out)` calling kernel(in, b, out) for width b. */
#define KZ_PACK_DISPATCH(attrs, name, kernel)                                                      \
    static attrs void name(const uint32_t *in, unsigned bits, uint8_t *out)                        \
    {                                                                                              \
        switch (bits) {                                                                            \
            KZ_WIDTH_CASES(KZ_PACK_CASE, kernel)                                                   \
        default:                                                                                   \
            break;                                                                                 \
        }                                                                                          \
    }

/* Defines `static attrs uint32_t name(in, bits, arg, out)` calling the unpack kernel
 * kernel(in, b, out, mode, arg) for width b (1 for a width above 32, which callers rule out). */
#define KZ_UNPACK_DISPATCH(attrs, name, kernel, mode)                                              \
    static attrs uint32_t name(const uint8_t *in, unsigned bits, uint32_t arg, uint32_t *out)      \
    {                                                                                              \
        switch (bits) {                                                                            \
            KZ_WIDTH_CASES(KZ_UNPACK_CASE, kernel, mode)                                           \
        default:                                                                                   \
            return 1;                                                                              \
        }                                                                                          \
    }

/* Defined in bitpack_simd.c: the best SIMD codec this CPU runs, or the one named, or NULL
 * (non-x86 builds, a CPU without the instructions, an unknown name). */
const struct kz_codec *kz_codec_simd_best(void);
const struct kz_codec *kz_codec_simd_find(const char *name);

#endif
