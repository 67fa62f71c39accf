/* zh_segment.c - maximum log-probability route over the dictionary DAG, windowed, plus the
 * search-mode sub-words and the bigram fallback.
 *
 * Invariants of the scratch: score and next hold KZ_ZH_WINDOW + 1 and KZ_ZH_WINDOW entries at
 * most (the DAG is never stored: walking the trie from position i gives DAG[i] on the fly, and
 * the route is filled right to left, so only route[i+1..] is needed at i); pieces grows by
 * doubling and is never shrunk, so steady-state calls do not allocate. */
#include "zh_segment.h"

#include "error.h"

#include <stdlib.h>

struct kz_zh_segmenter {
    const kz_zhdict *dict; /* NULL: bigram fallback */
    double *score;         /* score[i]: best log-probability of the window's suffix from i */
    uint32_t *next;        /* next[i]: end (exclusive) of the route's word starting at i */
    size_t route_cap;      /* entries of next (score has one more) */
    kz_zh_piece *pieces;
    size_t npieces, pieces_cap;
};

int kz_zh_segmenter_new(kz_zh_segmenter **out, const kz_zhdict *d)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL) return KZ_ENOMEM_FAIL();
    (*out)->dict = d;
    return KZ_OK;
}

void kz_zh_segmenter_free(kz_zh_segmenter *s)
{
    if (s == NULL) return;
    free(s->score);
    free(s->next);
    free(s->pieces);
    free(s);
}

static int reserve_pieces(kz_zh_segmenter *s, size_t extra)
{
    if (s->pieces_cap - s->npieces >= extra) return KZ_OK;
    size_t cap = s->pieces_cap ? s->pieces_cap : 256;
    while (cap - s->npieces < extra) {
        if (cap > SIZE_MAX / 2 / sizeof *s->pieces) return KZ_ENOMEM_FAIL();
        cap *= 2;
    }
    kz_zh_piece *p = realloc(s->pieces, cap * sizeof *p);
    if (p == NULL) return KZ_ENOMEM_FAIL();
    s->pieces = p;
    s->pieces_cap = cap;
    return KZ_OK;
}

static int reserve_route(kz_zh_segmenter *s, size_t n)
{
    if (n <= s->route_cap) return KZ_OK;
    double *sc = realloc(s->score, (n + 1) * sizeof *sc);
    if (sc == NULL) return KZ_ENOMEM_FAIL();
    s->score = sc;
    uint32_t *nx = realloc(s->next, n * sizeof *nx);
    if (nx == NULL) return KZ_ENOMEM_FAIL();
    s->next = nx;
    s->route_cap = n;
    return KZ_OK;
}

static inline void push(kz_zh_segmenter *s, uint32_t start, uint32_t end, uint32_t word)
{
    kz_zh_piece *p = &s->pieces[s->npieces++];
    p->start = start, p->end = end, p->word = word;
}

/* Whether no dictionary word crosses position b: none starts before b and ends after it. Only
 * words starting in the last max_word_len - 1 positions before b can. */
static int is_free(const kz_zhdict *d, const uint32_t *cps, size_t n, size_t from, size_t b)
{
    size_t k = b - from < d->max_word_len ? from : b - d->max_word_len + 1;
    for (; k < b; k++) {
        uint32_t node = 0;
        for (size_t j = k; j < n; j++) {
            node = kz_zhdict_child(d, node, cps[j]);
            if (node == 0) break;
            if (j >= b && kz_zhdict_logp(d, node) <= 0.0) return 0; /* word [k, j + 1) */
        }
    }
    return 1;
}

/* The end of the window starting at `from`: the last position in the final KZ_ZH_CUT_SEARCH of
 * (from, from + KZ_ZH_WINDOW] that no word crosses, or from + KZ_ZH_WINDOW if there is none. */
static size_t window_end(const kz_zhdict *d, const uint32_t *cps, size_t n, size_t from)
{
    if (n - from <= KZ_ZH_WINDOW) return n;
    size_t limit = from + KZ_ZH_WINDOW;
    for (size_t b = limit; b > limit - KZ_ZH_CUT_SEARCH; b--)
        if (is_free(d, cps, n, from, b)) return b;
    return limit;
}

/* jieba's calc() over cps[0..m): score[m] = 0; for i from m-1 down, the best (score, end) over
 * the words starting at i, the greater end winning ties as in Python's max() over tuples. */
static void route(kz_zh_segmenter *s, const uint32_t *cps, size_t m)
{
    const kz_zhdict *d = s->dict;
    double *score = s->score;
    uint32_t *next = s->next;
    score[m] = 0.0;
    for (size_t i = m; i-- > 0;) {
        double best = 0.0;
        uint32_t best_end = 0;
        uint32_t node = 0;
        for (size_t j = i; j < m; j++) {
            node = kz_zhdict_child(d, node, cps[j]);
            if (node == 0) break;
            double lp = kz_zhdict_logp(d, node);
            if (lp > 0.0) continue; /* a prefix, not a word */
            double cand = lp + score[j + 1];
            if (best_end == 0 || cand >= best) best = cand, best_end = (uint32_t)(j + 1);
        }
        if (best_end == 0) { /* DAG[i] = [i]: jieba scores it log(1) - logtotal */
            best = d->unknown_logp + score[i + 1];
            best_end = (uint32_t)(i + 1);
        }
        score[i] = best;
        next[i] = best_end;
    }
}

/* Emits the route of the window cps[base .. base+m) as words numbered from *word on. */
static void emit_window(kz_zh_segmenter *s, const uint32_t *cps, size_t base, size_t m, int mode,
                        uint32_t *word)
{
    const kz_zhdict *d = s->dict;
    for (size_t x = 0; x < m;) {
        size_t y = s->next[x];
        uint32_t a = (uint32_t)(base + x), len = (uint32_t)(y - x);
        push(s, a, a + len, *word);
        if (mode == KZ_ZH_SEARCH && len > 2) {
            const uint32_t *w = cps + base + x;
            for (uint32_t i = 0; i + 2 <= len; i++) {
                if (len > 3 && i + 3 <= len && kz_zhdict_is_word(d, w + i, 3))
                    push(s, a + i, a + i + 3, *word);
                if (kz_zhdict_is_word(d, w + i, 2)) push(s, a + i, a + i + 2, *word);
            }
        }
        (*word)++;
        x = y;
    }
}

static int segment_bigrams(kz_zh_segmenter *s, size_t n)
{
    KZ_TRY(reserve_pieces(s, n));
    if (n == 1) push(s, 0, 1, 0);
    for (size_t i = 0; i + 1 < n; i++) push(s, (uint32_t)i, (uint32_t)i + 2, (uint32_t)i);
    return KZ_OK;
}

int kz_zh_segment(kz_zh_segmenter *s, const uint32_t *cps, size_t n, int mode,
                  const kz_zh_piece **pieces, size_t *npieces)
{
    *pieces = NULL;
    *npieces = 0;
    if (mode != KZ_ZH_PRECISE && mode != KZ_ZH_SEARCH)
        return kz_fail(KZ_EINVAL, "unknown Chinese segmentation mode %d", mode);
    if (n >= UINT32_MAX)
        return kz_fail(KZ_EINVAL, "a run of %zu Han characters is too long to segment", n);
    s->npieces = 0;
    if (s->dict == NULL) {
        KZ_TRY(segment_bigrams(s, n));
    } else {
        uint32_t word = 0;
        for (size_t from = 0; from < n;) {
            size_t to = window_end(s->dict, cps, n, from), m = to - from;
            KZ_TRY(reserve_route(s, m));
            /* a word of length L yields at most 1 + (L - 1) + (L - 2) < 2L pieces */
            KZ_TRY(reserve_pieces(s, mode == KZ_ZH_SEARCH ? 2 * m : m));
            route(s, cps + from, m);
            emit_window(s, cps, from, m, mode, &word);
            from = to;
        }
    }
    *pieces = s->pieces;
    *npieces = s->npieces;
    return KZ_OK;
}
