/* lengths.c - building the one-byte passage lengths (lengths.h). */
#include "lengths.h"

#include "error.h"

#include <stdlib.h>

int kz_lengths_init(kz_lengths *l, const uint8_t *wide, uint32_t width, uint32_t n, uint64_t *total)
{
    *l = (kz_lengths){NULL, wide, width, n};
    *total = 0;
    if (width != 2 && width != 4)
        return kz_fail(KZ_EINVAL, "passage lengths of %u bytes (2 or 4 expected)", width);
    l->small = malloc((size_t)n + 1);
    if (l->small == NULL) return KZ_ENOMEM_FAIL();
    uint64_t sum = 0;
    for (uint32_t p = 0; p < n; p++) {
        const uint32_t v = kz_length_wide(l, p);
        l->small[p] = (uint8_t)(v < KZ_LENGTH_WIDE ? v : KZ_LENGTH_WIDE);
        sum += v;
    }
    l->small[n] = 0;
    *total = sum;
    return KZ_OK;
}

void kz_lengths_free(kz_lengths *l)
{
    free(l->small);
    l->small = NULL;
}
