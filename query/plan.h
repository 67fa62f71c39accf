/* plan.h - from a parsed query to what the algorithms evaluate: a tree of scored clauses with
 * collection-wide weights (once per query), then cursors for each segment.
 *
 * Typed words are analysed with the query-mode analyzer. A word that gives one term is a term;
 * a word that gives several (post-Soviet, U.S., 2022-01-06, a Chinese word the dictionary
 * splits) is a phrase of its terms, so a one-word query finds passages containing that word,
 * not its fragments. Quoted phrases are phrases of their terms; prefixes expand through the
 * term dictionaries (at most KZ_PREFIX_MAX_TERMS terms, most frequent first) into an OR.
 * Weights are BM25 idfs from collection-wide statistics (live passages only), so scores do not
 * depend on segmentation. A clause that can match nothing (a term absent from the collection)
 * is pruned: from an OR it disappears, an AND or phrase holding it matches nothing.
 *
 * Filters (date:, lang:, doc:) apply to the whole query: they are taken from its top level and
 * become a bitset of allowed passages per segment. Filters of one field are alternatives (any
 * may match), filters of different fields all apply; -filter excludes. */
#ifndef KZ_PLAN_H
#define KZ_PLAN_H

#include "algo.h"
#include "arena.h"
#include "bm25.h"
#include "index_internal.h"
#include "parse.h"
#include "snippet.h"

#include <stddef.h>
#include <stdint.h>

/* Bound on the terms a prefix expands to: enough for the words a person means by `tokay*`,
 * small enough that a short prefix cannot turn a query into a scan of the whole index. */
#define KZ_PREFIX_MAX_TERMS 64

typedef enum kz_pnode_type {
    KZ_P_TERM,
    KZ_P_PHRASE, /* kids are TERMs at offsets[] */
    KZ_P_OR,
    KZ_P_AND,
    KZ_P_GROUP /* req (kids[0]) + optional kids[1..1+nopt) + excluded kids[1+nopt..nkids) */
} kz_pnode_type;

typedef struct kz_pnode {
    kz_pnode_type type;
    char *term; /* TERM: the analysed term (owned); PHRASE: the terms joined by spaces */
    size_t len;
    uint64_t df, cf;     /* TERM: collection-wide statistics */
    kz_term_info *infos; /* TERM: its entry in each segment (df 0: absent), owned */
    double weight;       /* TERM: idf; PHRASE: sum of its terms' idfs */
    uint32_t *offsets;   /* PHRASE: position of each kid relative to the first */
    /* PHRASE: entry of the pair term (kid i, kid i + 1) in segment s at [i * nsegs + s], looked
     * up where that segment indexes the pair (common/pairs.h), df 0 elsewhere; or NULL */
    kz_term_info *pair_infos;
    size_t nopt; /* GROUP: optional clauses after the required one */
    struct kz_pnode **kids;
    size_t nkids;
} kz_pnode;

typedef struct kz_filter_set {
    const kz_qnode **date, **lang, **doc, **not_filters;
    size_t ndate, nlang, ndoc, nnot;
} kz_filter_set;

typedef struct kz_plan {
    kz_pnode **must, **should, **must_not;
    size_t nmust, nshould, nmust_not;
    int empty; /* the query can match nothing in this collection */
    kz_filter_set filters;
    kz_termset terms; /* analysed terms of the scored clauses, for highlighting */
    kz_bm25 bm25;
    uint64_t N;
    kz_buf notice; /* messages for the query's author (prefix bounds), NUL-terminated */
} kz_plan;

/* Builds the plan for tree. default_and: bare words are required. */
int kz_plan_build(kz_plan *plan, kz_index *ix, kz_analyzer *analyzer, const kz_qnode *tree,
                  int default_and, double k1, double b);
void kz_plan_free(kz_plan *plan);

/* The cursors of plan for segment seg, allocated in arena, into out (ndocs, base, allow set). */
int kz_plan_segment_build(kz_plan_segment *out, const kz_plan *plan, kz_index *ix, uint32_t seg,
                          kz_arena *arena, uint64_t **allow_scratch);

/* A cursor for one scored clause in one segment, or *out = NULL when it matches nothing there. */
int kz_pnode_cursor(kz_cursor **out, const kz_pnode *n, const kz_plan *plan,
                    const kz_index_segment *s, kz_arena *arena);

#endif
