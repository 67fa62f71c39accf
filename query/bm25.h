/* bm25.h - Okapi BM25 as Lucene (8 and later) computes it, split into the parts the query
 * algorithms need: the per-term weight, the per-passage length normalisation, and upper bounds.
 *
 *     idf(N, n)        = ln(1 + (N - n + 0.5) / (n + 0.5))
 *     norm(dl)         = k1 * ((1 - b) + b * dl / avgdl)
 *     score(tf, dl)    = weight * (tf / (tf + norm(dl)))      with weight = idf (or a sum of idfs)
 *
 * Invariants: N, n and avgdl are collection-wide (summed over segments), so a passage's score
 * does not depend on how the index is segmented. Every score and every bound goes through the
 * same functions with the same operation order, so a value is bit-identical wherever it is
 * computed. score is increasing in tf and decreasing in dl, so score(max tf, min dl) bounds every
 * posting of a block or a list; rounding can break that by an ulp, which is why the algorithms
 * prune with a relative safety margin (topk.h). */
#ifndef KZ_BM25_H
#define KZ_BM25_H

#include "impacts.h"

#include <stdint.h>

#define KZ_BM25_K1 1.2
#define KZ_BM25_B  0.75

/* Passages up to this length take their norm from a table; typical passages (paragraphs) are
 * shorter, and longer ones compute it, with the same expression, so values agree. */
#define KZ_BM25_TABLE 512

typedef struct kz_bm25 {
    double k1, b, avgdl;
    double norm[KZ_BM25_TABLE]; /* norm[dl] for dl < KZ_BM25_TABLE */
} kz_bm25;

/* Sets the parameters and fills the table. k1 < 0 or b < 0 select the defaults; avgdl <= 0
 * (an empty collection) is taken as 1. Returns KZ_OK, or KZ_EINVAL when k1 or b is not finite
 * or b > 1. */
int kz_bm25_init(kz_bm25 *out, double k1, double b, double avgdl);

/* ln(1 + (N - n + 0.5) / (n + 0.5)), with n clamped to N (a term cannot occur in more passages
 * than there are). Always > 0. */
double kz_bm25_idf(uint64_t N, uint64_t n);

/* k1 * ((1 - b) + b * dl / avgdl), computed directly. */
double kz_bm25_norm_direct(const kz_bm25 *p, uint32_t dl);

static inline double kz_bm25_norm(const kz_bm25 *p, uint32_t dl)
{
    return dl < KZ_BM25_TABLE ? p->norm[dl] : kz_bm25_norm_direct(p, dl);
}

/* The contribution of a term of weight `weight` occurring tf times in a passage with norm. */
static inline double kz_bm25_score(double weight, uint32_t tf, double norm)
{
    return weight * ((double)tf / ((double)tf + norm));
}

/* The largest contribution of postings with frequency <= max_tf in passages of length >= min_dl. */
static inline double kz_bm25_upper(const kz_bm25 *p, double weight, uint32_t max_tf,
                                   uint32_t min_dl)
{
    if (max_tf == 0) return 0.0; /* an empty block: nothing to bound (and 0/0 when k1 = 0) */
    return kz_bm25_score(weight, max_tf, kz_bm25_norm(p, min_dl));
}

/* The largest contribution over the postings an impacts frontier bounds (0 for none): the
 * exact maximum when the frontier was not shortened. */
static inline double kz_bm25_upper_impacts(const kz_bm25 *p, double weight, const kz_impacts *im)
{
    double best = 0.0;
    for (uint32_t i = 0; i < im->n; i++) {
        double v = kz_bm25_upper(p, weight, im->tf[i], im->len[i]);
        if (v > best) best = v;
    }
    return best;
}

#endif
