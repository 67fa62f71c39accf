/* topk.c - the bounded min-heap behind the top-k collector.
 *
 * Invariant: heap[i] is not better than its children heap[2i+1], heap[2i+2] ("better" = higher
 * score, then smaller passage id), so heap[0] is the worst held entry, the one to evict. */
#include "topk.h"

#include "error.h"

#include <stdlib.h>

static int better(const kz_topk_entry *a, const kz_topk_entry *b)
{
    if (a->score != b->score) return a->score > b->score;
    return a->passage < b->passage;
}

int kz_topk_init(kz_topk *top, uint32_t k)
{
    top->heap = NULL;
    top->k = top->n = 0;
    if (k == 0) return kz_fail(KZ_EINVAL, "top-k collector: k must be at least 1");
    top->heap = malloc((size_t)k * sizeof *top->heap);
    if (top->heap == NULL) return KZ_ENOMEM_FAIL();
    top->k = k;
    return KZ_OK;
}

void kz_topk_free(kz_topk *top)
{
    if (top == NULL) return;
    free(top->heap);
    top->heap = NULL;
    top->k = top->n = 0;
}

static void sift_down(kz_topk_entry *h, uint32_t n, uint32_t i)
{
    kz_topk_entry e = h[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) break;
        if (c + 1 < n && better(&h[c], &h[c + 1])) c++; /* the worse child */
        if (!better(&e, &h[c])) break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

int kz_topk_push(kz_topk *top, double score, uint64_t passage)
{
    kz_topk_entry e = {score, passage};
    kz_topk_entry *h = top->heap;
    if (top->n < top->k) {
        uint32_t i = top->n++;
        while (i > 0) {
            uint32_t parent = (i - 1) / 2;
            if (!better(&h[parent], &e)) break;
            h[i] = h[parent];
            i = parent;
        }
        h[i] = e;
        return 1;
    }
    if (!(score > h[0].score)) return 0;
    h[0] = e;
    sift_down(h, top->n, 0);
    return 1;
}

static int cmp_best_first(const void *pa, const void *pb)
{
    const kz_topk_entry *a = pa, *b = pb;
    if (better(a, b)) return -1;
    if (better(b, a)) return 1;
    return 0;
}

const kz_topk_entry *kz_topk_finish(kz_topk *top, size_t *n)
{
    if (top->n > 1) qsort(top->heap, top->n, sizeof *top->heap, cmp_best_first);
    *n = top->n;
    return top->heap;
}
