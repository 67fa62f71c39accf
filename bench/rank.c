/* rank.c - ranking without hit assembly: what `kzbench query --fetch ids` times, the work the
 * peer harnesses do (top-k document ids and scores, no stored text, no snippets).
 *
 * It runs the steps of kz_search (query/search.c) that precede building hits, with the same
 * internal functions in the same order — parse, plan with a query-mode analyzer from the index
 * pool, one top-k collector carried across segments, the algorithm kz_algo_choose picks for
 * each segment — then resolves each result's document name from the segment's document table,
 * as Xapian's harness reads each hit's document data. Grouping by document and paging are not
 * supported here (the benchmark uses neither). Results are ordered best first, like kz_search's,
 * and the scores are bit-identical to kz_search's, since the same code computes them. */
#include "bench.h"

#include "algo.h"
#include "error.h"
#include "index_internal.h"
#include "parse.h"
#include "plan.h"

#include <stdlib.h>
#include <string.h>

int kzb_rank(kz_index *ix, const char *query, size_t len, unsigned k, int default_and,
             int algorithm, kzb_rank_fn fn, void *ctx, uint64_t *total)
{
    kz_qnode *tree = NULL;
    kz_analyzer *qa = NULL;
    kz_plan plan;
    int have_plan = 0, rc = KZ_OK;
    kz_topk top = {0};
    uint64_t *allow = NULL;
    *total = 0;
    KZ_CHECK(kz_query_parse(&tree, query, len));
    KZ_CHECK(kz_index_take_analyzer(ix, 1, &qa));
    KZ_CHECK(kz_plan_build(&plan, ix, qa, tree, default_and, -1, -1));
    have_plan = 1;
    KZ_CHECK(kz_topk_init(&top, k));
    for (uint32_t s = 0; s < ix->nsegs && !plan.empty; s++) {
        kz_arena arena = KZ_ARENA_INIT;
        kz_plan_segment ps;
        rc = kz_plan_segment_build(&ps, &plan, ix, s, &arena, &allow);
        if (rc == KZ_OK && ps.ndocs > 0 && (ps.nmust > 0 || ps.nshould > 0)) {
            uint64_t matched = 0;
            rc = kz_algo_choose(&ps, algorithm, k)(&ps, &top, &matched);
            *total += matched;
        }
        kz_arena_free(&arena);
        if (rc < 0) goto done;
    }
    size_t n;
    const kz_topk_entry *best = kz_topk_finish(&top, &n);
    for (size_t i = 0; i < n; i++) {
        uint32_t s = 0;
        while (s + 1 < ix->nsegs && ix->segs[s + 1].base <= best[i].passage) s++;
        const kz_segment *seg = ix->segs[s].seg;
        uint32_t local = (uint32_t)(best[i].passage - ix->segs[s].base), doc;
        kz_doc_entry e;
        KZ_CHECK(kz_segment_passage_doc(seg, local, &doc));
        KZ_CHECK(kz_segment_doc(seg, doc, &e));
        fn(ctx, best[i].passage, e.name, e.name_len, best[i].score);
    }
done:
    free(allow);
    kz_topk_free(&top);
    if (have_plan) kz_plan_free(&plan);
    if (qa) kz_index_release_analyzer(ix, 1, qa);
    kz_qnode_free(tree);
    return rc;
}
