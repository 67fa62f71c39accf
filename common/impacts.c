/* impacts.c - Pareto frontiers of (frequency, length) pairs: building, merging, coding.
 *
 * Invariant kept by every function here: the kz_impacts it produces is a frontier (impacts.h)
 * that bounds every pair it was made from. Building sweeps the frequencies from the highest
 * down, keeping a pair when its length is below every length seen at higher frequencies. */
#include "impacts.h"

#include "error.h"

#include <stdlib.h>

/* Frequencies up to this go through a table of the smallest length per frequency (the common
 * case: a block of passages rarely holds a word more than a few times); above, a sort. */
#define SMALL_TF 64

typedef struct pair {
    uint32_t tf, len;
} pair;

/* tf descending, then length ascending */
static int by_tf_desc(const void *pa, const void *pb)
{
    const pair *a = pa, *b = pb;
    if (a->tf != b->tf) return a->tf < b->tf ? 1 : -1;
    return (a->len > b->len) - (a->len < b->len);
}

/* Appends (tf, len) to a frontier being built from the highest tf down (so in reverse order)
 * when len is below every length kept so far. */
static void sweep(pair *rev, uint32_t *n, uint32_t tf, uint32_t len)
{
    if (*n == 0 || len < rev[*n - 1].len) rev[(*n)++] = (pair){tf, len};
}

/* Turns the reversed frontier rev[0..n) (highest tf first) into out, lowest tf first. Past the
 * cap, the highest pairs are merged into one: the highest tf with the smallest of their lengths,
 * which is that of the lowest of them. */
static void finish(kz_impacts *out, const pair *rev, uint32_t n)
{
    uint32_t keep = n <= KZ_IMPACTS_MAX ? n : KZ_IMPACTS_MAX;
    out->n = keep;
    for (uint32_t k = 0; k < keep; k++) {
        out->tf[k] = rev[n - 1 - k].tf;
        out->len[k] = rev[n - 1 - k].len;
    }
    if (n > KZ_IMPACTS_MAX) out->tf[keep - 1] = rev[0].tf;
}

void kz_impacts_build(kz_impacts *out, const uint32_t *tfs, const uint32_t *lens, size_t n)
{
    uint32_t max_tf = 0;
    for (size_t i = 0; i < n; i++)
        if (tfs[i] > max_tf) max_tf = tfs[i];
    if (max_tf <= SMALL_TF) {
        uint32_t min_len[SMALL_TF + 1];
        pair rev[SMALL_TF];
        uint32_t nrev = 0;
        for (uint32_t t = 1; t <= max_tf; t++) min_len[t] = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            uint32_t len = lens ? lens[i] : 0;
            if (len < min_len[tfs[i]]) min_len[tfs[i]] = len;
        }
        for (uint32_t t = max_tf; t >= 1; t--)
            if (min_len[t] != UINT32_MAX) sweep(rev, &nrev, t, min_len[t]);
        finish(out, rev, nrev);
        return;
    }
    pair *all = malloc(n * sizeof *all);
    if (all == NULL) { /* no memory for the sort: (max tf, min length) bounds every posting */
        uint32_t min = UINT32_MAX;
        for (size_t i = 0; i < n; i++) {
            uint32_t len = lens ? lens[i] : 0;
            if (len < min) min = len;
        }
        *out = (kz_impacts){.n = 1, .tf = {max_tf}, .len = {min}};
        return;
    }
    for (size_t i = 0; i < n; i++) all[i] = (pair){tfs[i], lens ? lens[i] : 0};
    qsort(all, n, sizeof *all, by_tf_desc);
    uint32_t nk = 0; /* the frontier, reversed, written over the sorted pairs already read */
    for (size_t i = 0; i < n; i++) sweep(all, &nk, all[i].tf, all[i].len);
    finish(out, all, nk);
    free(all);
}

void kz_impacts_merge(kz_impacts *acc, const kz_impacts *add)
{
    /* both are short and sorted by tf ascending: merge them tf-descending and sweep */
    pair rev[2 * KZ_IMPACTS_MAX];
    uint32_t nrev = 0, i = acc->n, j = add->n;
    while (i > 0 || j > 0) {
        pair p;
        if (j == 0 ||
            (i > 0 && (acc->tf[i - 1] > add->tf[j - 1] ||
                       (acc->tf[i - 1] == add->tf[j - 1] && acc->len[i - 1] <= add->len[j - 1])))) {
            p = (pair){acc->tf[i - 1], acc->len[i - 1]};
            i--;
        } else {
            p = (pair){add->tf[j - 1], add->len[j - 1]};
            j--;
        }
        sweep(rev, &nrev, p.tf, p.len);
    }
    finish(acc, rev, nrev);
}

int kz_impacts_encode(kz_buf *out, const kz_impacts *im)
{
    KZ_TRY(kz_buf_append(out, &(uint8_t){(uint8_t)im->n}, 1));
    for (uint32_t i = 0; i < im->n; i++) {
        KZ_TRY(kz_buf_append_varint(out, i ? im->tf[i] - im->tf[i - 1] : im->tf[0]));
        KZ_TRY(kz_buf_append_varint(out, i ? im->len[i] - im->len[i - 1] : im->len[0]));
    }
    return KZ_OK;
}

/* Impacts are decoded at every block a bounded query looks at, and nearly every delta fits in
 * one byte: that case inline. */
static inline int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    if (*p < end && **p < 0x80) {
        *v = *(*p)++;
        return KZ_OK;
    }
    return kz_read_varint(p, end, v);
}

int kz_impacts_decode(kz_impacts *out, const uint8_t **p, const uint8_t *end)
{
    const uint8_t *q = *p;
    if (q >= end || *q == 0 || *q > KZ_IMPACTS_MAX) goto damaged;
    out->n = *q++;
    uint64_t tf = 0, len = 0;
    for (uint32_t i = 0; i < out->n; i++) {
        uint64_t dt, dl;
        if (get_varint(&q, end, &dt) < 0 || get_varint(&q, end, &dl) < 0) goto damaged;
        if (dt == 0 || (i > 0 && dl == 0)) goto damaged; /* both strictly increasing, tf >= 1 */
        tf += dt;
        len += dl;
        if (tf > UINT32_MAX || len > UINT32_MAX) goto damaged;
        out->tf[i] = (uint32_t)tf;
        out->len[i] = (uint32_t)len;
    }
    *p = q;
    return KZ_OK;
damaged:
    return kz_fail(KZ_ECORRUPT, "postings: damaged impacts (frequency and length bounds)");
}
