/* bm25.c - BM25 parameters, idf and the per-length normalisation table.
 *
 * Invariant: p->norm[dl] == kz_bm25_norm_direct(p, dl) bit for bit, because the table is filled
 * by that very function. */
#include "bm25.h"

#include "error.h"

#include <math.h>

double kz_bm25_norm_direct(const kz_bm25 *p, uint32_t dl)
{
    return p->k1 * ((1.0 - p->b) + p->b * (double)dl / p->avgdl);
}

int kz_bm25_init(kz_bm25 *out, double k1, double b, double avgdl)
{
    if (!isfinite(k1) || !isfinite(b) || b > 1.0)
        return kz_fail(KZ_EINVAL, "BM25 parameters k1=%g b=%g: k1 must be >= 0 and b in [0, 1]", k1,
                       b);
    if (!(avgdl > 0.0) || !isfinite(avgdl)) avgdl = 1.0;
    out->k1 = k1 < 0 ? KZ_BM25_K1 : k1;
    out->b = b < 0 ? KZ_BM25_B : b;
    out->avgdl = avgdl;
    for (uint32_t dl = 0; dl < KZ_BM25_TABLE; dl++) out->norm[dl] = kz_bm25_norm_direct(out, dl);
    return KZ_OK;
}

double kz_bm25_idf(uint64_t N, uint64_t n)
{
    if (n > N) n = N;
    return log(1.0 + ((double)(N - n) + 0.5) / ((double)n + 0.5));
}
