/* normalize.h - the normalisation stage of the analyzer: NFKC, case folding and the lumping of
 * typographic apostrophes, quotes and dashes, so that "Tokayev’s", "Tokayev's" and "ＴＯＫＡＹＥＶ's"
 * give the same bytes before stemming.
 *
 * A kz_normalizer is only scratch space (a code-point array that grows to the longest word seen
 * and is then reused), so normalising allocates nothing once it has warmed up. It is owned by one
 * thread at a time. Output is always valid UTF-8: invalid input bytes become U+FFFD. Normalising
 * is a pure function of the input bytes: the same bytes always give the same output. */
#ifndef KZ_NORMALIZE_H
#define KZ_NORMALIZE_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_normalizer {
    int32_t *cps; /* scratch; owned */
    size_t cap;   /* code points cps can hold */
} kz_normalizer;

#define KZ_NORMALIZER_INIT                                                                         \
    {                                                                                              \
        NULL, 0                                                                                    \
    }

/* The longest normalisation of one code point (U+FDFA's compatibility decomposition has 18). */
#define KZ_NORMALIZE_CP_MAX 18

/* Appends the normalised form of s[0..len) to out. */
int kz_normalize(kz_normalizer *n, kz_buf *out, const char *s, size_t len);

/* Writes the normalised form of the single code point cp (lumped, NFKC, case folded, default
 * ignorables removed) to dst and returns how many code points it has (0..KZ_NORMALIZE_CP_MAX).
 * Used where each output character must stay tied to its input character (Han runs). */
size_t kz_normalize_cp(uint32_t cp, uint32_t dst[KZ_NORMALIZE_CP_MAX]);

/* The typographic lumping alone: ’ ‘ ‛ ʼ ＇ ′ → ', “ ” „ ‟ ″ « » → ", the dashes → -. Other code
 * points are returned unchanged. */
uint32_t kz_normalize_lump(uint32_t cp);

void kz_normalizer_free(kz_normalizer *n);

#endif
