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

/* Defined in bitpack_simd.c: the best SIMD codec this CPU runs, or the one named, or NULL
 * (non-x86 builds, a CPU without the instructions, an unknown name). */
const struct kz_codec *kz_codec_simd_best(void);
const struct kz_codec *kz_codec_simd_find(const char *name);

#endif
