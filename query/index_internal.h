/* index_internal.h - an open index: a snapshot of the manifest, its segments and deletions, the
 * collection-wide statistics, and a pool of analyzers for concurrent searches.
 *
 * Invariants: segs[] follows the manifest's order; segs[i].base is the global id of segment i's
 * passage 0 (the sum of the earlier segments' passage counts, deleted ones included), so global
 * ids order passages as the manifest orders segments, which breaks score ties; live_passages and
 * total_len exclude deleted passages, so BM25 statistics equal those of a fresh build. Nothing
 * here changes after kz_index_open except the analyzer pool, which its mutex guards. */
#ifndef KZ_INDEX_INTERNAL_H
#define KZ_INDEX_INTERNAL_H

#include "bm25.h"
#include "deletes.h"
#include "kzsearch.h"
#include "manifest.h"
#include "segment.h"

#include <pthread.h>
#include <stdint.h>

typedef struct kz_index_segment {
    kz_segment *seg;
    kz_deletes dels;  /* bits NULL when nothing is deleted */
    uint64_t *live;   /* bitset of live passages, or NULL when all are live */
    uint64_t base;    /* global id of local passage 0 */
    uint32_t ordinal; /* its index in kz_index.segs */
} kz_index_segment;

struct kz_index {
    char *dir;
    kz_manifest man;
    kz_index_segment *segs;
    uint32_t nsegs;
    uint64_t live_passages;
    uint64_t live_docs;
    uint64_t total_len; /* sum of live passage lengths */
    double avgdl;
    kz_bm25 bm25; /* the default parameters' table for avgdl: filled once, copied by queries */
    void *dict_map;
    size_t dict_len;
    kz_analyzer *prototype; /* on the index's dictionary; cloned for searches (clones are cheap) */
    pthread_mutex_t pool_lock;
    kz_analyzer **pool[2]; /* idle analyzers: [0] index mode (snippets), [1] query mode */
    size_t npool[2], pool_cap[2];
};

/* Collection-wide statistics of one term (live passages only). infos, when not NULL, receives
 * the term's entry in each segment (nsegs of them; df 0 where the segment lacks it), so that a
 * query looks each term up once per segment. */
int kz_index_term_stats(const kz_index *ix, const char *term, size_t len, uint64_t *df,
                        uint64_t *cf, kz_term_info *infos);

/* Brings each segment's dictionary entries of the n terms into the cache, all at once
 * (kz_termdict_prefetch), for the kz_index_term_stats calls to follow. Advisory. */
void kz_index_prefetch_terms(const kz_index *ix, const kz_term_ref *terms, size_t n);

/* Borrows an analyzer on the index's dictionary, in query mode (query words) or index mode
 * (snippets), creating one if none is idle; give it back with kz_index_release_analyzer. */
int kz_index_take_analyzer(kz_index *ix, int query_mode, kz_analyzer **out);
void kz_index_release_analyzer(kz_index *ix, int query_mode, kz_analyzer *a);

#endif
