/* bitpack.h - integer codecs for postings: blocks of 128 bit-packed integers and variable-byte.
 *
 * A packed block holds KZ_BLOCK_LEN unsigned 32-bit integers at one bit width b (0..32) in
 * exactly 16*b bytes, in the "vertical" layout of SIMD-BP128 (Lemire & Boytsov): integer i goes
 * to lane i % 4 of a sequence of 128-bit words, so that an SSE or AVX2 decoder can unpack four
 * (or eight) integers per instruction. The scalar path reads and writes the same layout and
 * gives bit-identical results; the implementation is chosen once at run time from the CPU's
 * features. Variable-byte codes the tail of a list that does not fill a block.
 *
 * Decoders of untrusted input take an end pointer and fail with KZ_ECORRUPT instead of reading
 * past it. */
#ifndef KZ_BITPACK_H
#define KZ_BITPACK_H

#include <stddef.h>
#include <stdint.h>

#define KZ_BLOCK_LEN 128

/* Bytes of a packed block of KZ_BLOCK_LEN integers at bit width bits. */
#define KZ_PACKED_BYTES(bits) ((size_t)(bits)*16)

/* The smallest bit width that holds every v[i] (0 when all are zero). */
unsigned kz_bits_needed(const uint32_t *v, size_t n);

/* Packs in[0..127] at width bits (every value must fit) into out[0 .. 16*bits). */
void kz_bitpack128(const uint32_t *in, unsigned bits, uint8_t *out);

/* Unpacks 128 integers of width bits from in[0 .. 16*bits). */
void kz_bitunpack128(const uint8_t *in, unsigned bits, uint32_t *out);

/* Unpacks 128 gaps and turns them into values by a running sum starting from base:
 * out[0] = base + g[0], out[i] = out[i-1] + g[i]. Returns non-zero when some gap is 0, so that
 * a reader checks "strictly increasing" at no extra pass: with no zero gap and no 32-bit
 * wrap-around (which the caller rules out from the width and the last value) it holds. */
uint32_t kz_bitunpack128_delta(const uint8_t *in, unsigned bits, uint32_t base, uint32_t *out);

/* Unpacks 128 integers stored minus one (frequencies) and returns them plus one:
 * out[i] = v[i] + 1. Returns non-zero when some v[i] >= limit (limit >= 1): a frequency above
 * its block's maximum is caught in the same pass. */
uint32_t kz_bitunpack128_plus1(const uint8_t *in, unsigned bits, uint32_t limit, uint32_t *out);

/* Integer i (< 128) of a packed block of width bits, without unpacking the others: what a
 * reader that needs one value of a block (one frequency) pays, a few instructions instead of a
 * whole block. */
uint32_t kz_bitunpack128_one(const uint8_t *in, unsigned bits, unsigned i);

/* Variable-byte: 7 bits a byte, high bit set on all but the last byte of an integer. Writes at
 * most 5*n bytes to out; returns the bytes written. */
size_t kz_vbyte_encode(const uint32_t *in, size_t n, uint8_t *out);

/* Decodes n integers from [in, end); *next receives the first byte after them. Returns KZ_OK or
 * KZ_ECORRUPT (input too short, or an integer longer than 5 bytes or over 32 bits). */
int kz_vbyte_decode(const uint8_t *in, const uint8_t *end, size_t n, uint32_t *out,
                    const uint8_t **next);

/* Name of the implementation in use: "scalar", "sse4.1", "avx2". */
const char *kz_codec_impl(void);

/* Tests and benchmarks: force the portable scalar path (on != 0) or return to the best one. */
void kz_codec_force_scalar(int on);

/* Tests and benchmarks: pin the implementation named ("scalar", "sse4.1", "avx2"), or return to
 * the best one (name NULL). KZ_EINVAL when the name is unknown or this CPU cannot run it. */
int kz_codec_select(const char *name);

#endif
