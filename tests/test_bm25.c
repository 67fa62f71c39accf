/* test_bm25.c - BM25 against formulas written out here from raw counts (in long double), and
 * against Debian's Python computing the same from the definition; monotonicity of the bounds. */
#include "../query/bm25.h"

#include "kzsearch.h"
#include "support.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Lucene 8+ BM25, from counts: idf = ln(1 + (N - n + 0.5)/(n + 0.5)),
 * score = idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)). */
static long double reference(uint64_t N, uint64_t n, uint32_t tf, uint32_t dl, long double avgdl,
                             long double k1, long double b)
{
    long double idf =
        logl(1.0L + ((long double)N - (long double)n + 0.5L) / ((long double)n + 0.5L));
    long double K = k1 * (1.0L - b + b * (long double)dl / avgdl);
    return idf * (long double)tf / ((long double)tf + K);
}

static void assert_close(double got, long double want)
{
    long double err = fabsl((long double)got - want);
    cr_assert(err <= 1e-13L * fabsl(want) + 1e-300L, "%.17g vs %.17Lg", got, want);
}

Test(bm25, scores_match_the_formula_from_raw_counts)
{
    const double params[][3] = {
        {1.2, 0.75, 23.5}, {0.0, 0.75, 10.0}, {2.0, 0.0, 7.0}, {1.2, 1.0, 100.0}, {0.5, 0.3, 1.0}};
    const uint64_t counts[][2] = {{1, 1}, {10, 1}, {1000, 3}, {1000, 999}, {5000000, 12}};
    const uint32_t tfs[] = {1, 2, 3, 17, 1000};
    const uint32_t dls[] = {0, 1, 5, 23, 511, 512, 513, 100000};
    for (size_t p = 0; p < sizeof params / sizeof *params; p++) {
        kz_bm25 bm;
        cr_assert_eq(kz_bm25_init(&bm, params[p][0], params[p][1], params[p][2]), KZ_OK);
        for (size_t c = 0; c < sizeof counts / sizeof *counts; c++)
            for (size_t t = 0; t < sizeof tfs / sizeof *tfs; t++)
                for (size_t d = 0; d < sizeof dls / sizeof *dls; d++) {
                    double idf = kz_bm25_idf(counts[c][0], counts[c][1]);
                    double s = kz_bm25_score(idf, tfs[t], kz_bm25_norm(&bm, dls[d]));
                    assert_close(s, reference(counts[c][0], counts[c][1], tfs[t], dls[d],
                                              params[p][2], params[p][0], params[p][1]));
                }
    }
}

Test(bm25, scores_match_python_computing_the_definition)
{
    /* N, n, tf, dl, avgdl with k1 = 1.2, b = 0.75 */
    const double cases[][5] = {{100, 5, 3, 12, 20.25}, {1, 1, 1, 1, 1},     {77, 70, 9, 300, 42},
                               {10000, 1, 1, 3, 8.5},  {250, 125, 2, 0, 5}, {12, 3, 40, 900, 60}};
    char cmd[2048] = "/usr/bin/python3 -c 'import math\n"
                     "for N,n,tf,dl,avg in [";
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char one[128];
        snprintf(one, sizeof one, "(%g,%g,%g,%g,%g),", cases[i][0], cases[i][1], cases[i][2],
                 cases[i][3], cases[i][4]);
        strcat(cmd, one);
    }
    strcat(cmd, "]:\n"
                "  idf = math.log(1 + (N - n + 0.5) / (n + 0.5))\n"
                "  print(repr(idf * tf / (tf + 1.2 * (1 - 0.75 + 0.75 * dl / avg))))'");
    int status;
    char *out = kzt_run(cmd, &status);
    cr_assert_eq(status, 0, "python failed: %s", out);
    char *line = out;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *end;
        double want = strtod(line, &end);
        cr_assert_neq(end, line, "python output: %s", out);
        kz_bm25 bm;
        cr_assert_eq(kz_bm25_init(&bm, -1, -1, cases[i][4]), KZ_OK);
        double got = kz_bm25_score(kz_bm25_idf((uint64_t)cases[i][0], (uint64_t)cases[i][1]),
                                   (uint32_t)cases[i][2], kz_bm25_norm(&bm, (uint32_t)cases[i][3]));
        cr_assert(fabs(got - want) <= 1e-13 * want, "case %zu: %.17g vs python %.17g", i, got,
                  want);
        line = end;
    }
    free(out);
}

Test(bm25, defaults_and_invalid_parameters)
{
    kz_bm25 bm;
    cr_assert_eq(kz_bm25_init(&bm, -1, -1, 10), KZ_OK);
    cr_assert_eq(bm.k1, 1.2);
    cr_assert_eq(bm.b, 0.75);
    cr_assert_eq(kz_bm25_init(&bm, 1.2, 1.5, 10), KZ_EINVAL);
    cr_assert_eq(kz_bm25_init(&bm, NAN, 0.5, 10), KZ_EINVAL);
    cr_assert_eq(kz_bm25_init(&bm, 1.2, 0.75, 0), KZ_OK); /* empty collection */
    cr_assert(isfinite(kz_bm25_norm(&bm, 7)));
}

Test(bm25, idf_is_positive_and_clamps_impossible_counts)
{
    cr_assert_gt(kz_bm25_idf(10, 10), 0.0);
    cr_assert_eq(kz_bm25_idf(10, 50), kz_bm25_idf(10, 10));
    cr_assert_gt(kz_bm25_idf(1000, 1), kz_bm25_idf(1000, 2));
    cr_assert_eq(kz_bm25_idf(0, 0), log(2.0)); /* ln(1 + 0.5/0.5) */
}

Test(bm25, the_length_table_equals_the_direct_computation_bit_for_bit)
{
    kz_bm25 bm;
    cr_assert_eq(kz_bm25_init(&bm, 1.7, 0.6, 33.3), KZ_OK);
    for (uint32_t dl = 0; dl < KZ_BM25_TABLE + 10; dl++)
        cr_assert_eq(kz_bm25_norm(&bm, dl), kz_bm25_norm_direct(&bm, dl), "dl %u", dl);
}

Test(bm25, upper_bounds_are_monotone_and_bound_every_posting)
{
    kz_bm25 bm;
    cr_assert_eq(kz_bm25_init(&bm, -1, -1, 17.0), KZ_OK);
    double w = kz_bm25_idf(1000, 37);
    for (uint32_t tf = 1; tf < 60; tf++)
        for (uint32_t dl = 0; dl < 700; dl += 3) {
            double u = kz_bm25_upper(&bm, w, tf, dl);
            cr_assert_lt(kz_bm25_upper(&bm, w, tf, dl + 1), u);
            cr_assert_gt(kz_bm25_upper(&bm, w, tf + 1, dl), u);
            cr_assert_leq(kz_bm25_score(w, tf, kz_bm25_norm(&bm, dl + 5)), u);
        }
    cr_assert_eq(kz_bm25_upper(&bm, w, 0, 3), 0.0);
}
