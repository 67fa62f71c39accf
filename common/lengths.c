/* lengths.c - the LENGTHS section: writing it, and reading it where it is mapped (lengths.h). */
#include "lengths.h"

#include "error.h"

static uint32_t pair_passage(const kz_lengths *l, uint32_t i)
{
    return kz_load_u32le(l->wide + (size_t)KZ_LENGTH_PAIR * i);
}

uint32_t kz_length_wide(const kz_lengths *l, uint32_t p)
{
    uint32_t lo = 0, hi = l->nwide; /* the pair of p, if any, is in [lo, hi) */
    while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        const uint32_t q = pair_passage(l, mid);
        if (q == p) return kz_load_u32le(l->wide + (size_t)KZ_LENGTH_PAIR * mid + 4);
        if (q < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return KZ_LENGTH_WIDE;
}

int kz_lengths_open(kz_lengths *l, const uint8_t *sec, uint64_t len, uint32_t n)
{
    *l = (kz_lengths){0};
    if (len < n || (len - n) % KZ_LENGTH_PAIR != 0 || (len - n) / KZ_LENGTH_PAIR > n)
        return kz_fail(KZ_ECORRUPT,
                       "passage lengths: %llu bytes for %u passages (one byte each, then "
                       "%d-byte pairs for the long ones)",
                       (unsigned long long)len, n, KZ_LENGTH_PAIR);
    *l = (kz_lengths){sec, sec + n, (uint32_t)((len - n) / KZ_LENGTH_PAIR), n};
    return KZ_OK;
}

int kz_lengths_verify(const kz_lengths *l, uint64_t *total)
{
    uint64_t sum = 0;
    uint32_t next = 0; /* pairs matched so far */
    for (uint32_t p = 0; p < l->n; p++) {
        const uint32_t v = l->small[p];
        if (v < KZ_LENGTH_WIDE) {
            sum += v;
            continue;
        }
        if (next == l->nwide || pair_passage(l, next) != p)
            return kz_fail(KZ_ECORRUPT, "passage lengths: passage %u has no exact length", p);
        const uint32_t exact = kz_load_u32le(l->wide + (size_t)KZ_LENGTH_PAIR * next + 4);
        if (exact < KZ_LENGTH_WIDE)
            return kz_fail(KZ_ECORRUPT,
                           "passage lengths: passage %u's exact length %u fits in its byte", p,
                           exact);
        sum += exact;
        next++;
    }
    if (next != l->nwide)
        return kz_fail(KZ_ECORRUPT, "passage lengths: %u exact lengths name no long passage",
                       l->nwide - next);
    *total = sum;
    return KZ_OK;
}

int kz_lengths_encode(kz_buf *out, const uint32_t *lengths, uint32_t n)
{
    KZ_TRY(kz_buf_reserve(out, n));
    for (uint32_t p = 0; p < n; p++)
        out->data[out->len++] =
            (uint8_t)(lengths[p] < KZ_LENGTH_WIDE ? lengths[p] : KZ_LENGTH_WIDE);
    for (uint32_t p = 0; p < n; p++) {
        if (lengths[p] < KZ_LENGTH_WIDE) continue;
        KZ_TRY(kz_buf_append_u32le(out, p));
        KZ_TRY(kz_buf_append_u32le(out, lengths[p]));
    }
    return KZ_OK;
}
