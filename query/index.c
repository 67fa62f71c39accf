/* index.c - opening an index read-only on a snapshot of its manifest (see index_internal.h).
 *
 * A writer may commit while we open: it replaces MANIFEST atomically and then removes the files
 * the new manifest no longer names, so a segment named by the manifest we read can vanish
 * before we map it. Then we read the manifest again and retry; once mapped, a file stays
 * readable (unlinking does not take a mapping away), so an open index is never disturbed. */
#include "index_internal.h"

#include "analyzer_internal.h"
#include "error.h"
#include "pairs.h"
#include "zh_dict.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPEN_RETRIES 8

static void close_segments(kz_index *ix)
{
    for (uint32_t i = 0; i < ix->nsegs; i++) {
        kz_segment_close(ix->segs[i].seg);
        kz_deletes_free(&ix->segs[i].dels);
        free(ix->segs[i].live);
    }
    free(ix->segs);
    ix->segs = NULL;
    ix->nsegs = 0;
    kz_manifest_free(&ix->man);
}

static int map_dictionary(kz_index *ix)
{
    char *path = kz_path_join(ix->dir, KZ_ZHDICT_NAME);
    if (path == NULL) return KZ_ENOMEM;
    int rc = KZ_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size == 0) {
        rc = kz_fail(KZ_ECORRUPT, "the index's Chinese dictionary %s is missing or empty", path);
        goto done;
    }
    ix->dict_len = (size_t)st.st_size;
    ix->dict_map = mmap(NULL, ix->dict_len, PROT_READ, MAP_SHARED, fd, 0);
    if (ix->dict_map == MAP_FAILED) {
        ix->dict_map = NULL;
        rc = kz_fail_errno(KZ_EIO, "cannot map %s", path);
    }
done:
    if (fd >= 0) close(fd);
    free(path);
    return rc;
}

static int open_snapshot(kz_index *ix)
{
    KZ_TRY(kz_manifest_read(&ix->man, ix->dir));
    ix->segs = calloc(ix->man.nsegments + 1, sizeof *ix->segs);
    if (ix->segs == NULL) return KZ_ENOMEM_FAIL();
    uint64_t base = 0;
    for (uint32_t i = 0; i < ix->man.nsegments; i++) {
        const kz_manifest_segment *ms = &ix->man.segments[i];
        kz_index_segment *s = &ix->segs[i];
        char name[KZ_FILE_NAME_MAX];
        kz_segment_file_name(name, ms->id);
        char *path = kz_path_join(ix->dir, name);
        if (path == NULL) return KZ_ENOMEM;
        int rc = kz_segment_open(&s->seg, path, ms->id);
        free(path);
        KZ_TRY(rc);
        ix->nsegs++;
        if (s->seg->npassages != ms->npassages)
            return kz_fail(KZ_ECORRUPT, "segment %s does not match the manifest", s->seg->path);
        s->base = base;
        s->ordinal = i;
        base += s->seg->npassages;
        uint64_t live_docs = s->seg->ndocs;
        if (ms->deletes_gen) {
            kz_deletes_file_name(name, ms->id, ms->deletes_gen);
            path = kz_path_join(ix->dir, name);
            if (path == NULL) return KZ_ENOMEM;
            rc = kz_deletes_read(&s->dels, path, ms->id, ms->npassages);
            free(path);
            KZ_TRY(rc);
            size_t words = ((size_t)s->seg->npassages + 63) / 64;
            s->live = malloc((words + 1) * sizeof *s->live);
            if (s->live == NULL) return KZ_ENOMEM_FAIL();
            for (size_t w = 0; w < words; w++) s->live[w] = ~s->dels.bits[w];
            if (s->seg->npassages % 64)
                s->live[words - 1] &= ((uint64_t)1 << (s->seg->npassages % 64)) - 1;
            for (uint32_t d = 0; d < s->seg->ndocs; d++) {
                uint32_t first, n;
                KZ_TRY(kz_segment_doc_range(s->seg, d, &first, &n));
                if (kz_deletes_has(&s->dels, first)) live_docs--; /* deleted whole */
            }
        }
        ix->live_passages += s->seg->npassages - s->dels.ndeleted;
        ix->total_len += s->seg->total_len - s->dels.deleted_len;
        ix->live_docs += live_docs;
    }
    ix->avgdl = ix->live_passages ? (double)ix->total_len / (double)ix->live_passages : 0.0;
    return kz_bm25_init(&ix->bm25, -1, -1, ix->avgdl);
}

int kz_index_open(kz_index **out, const char *dir)
{
    *out = NULL;
    if (dir == NULL || *dir == '\0') return kz_fail(KZ_EINVAL, "no index directory given");
    kz_index *ix = calloc(1, sizeof *ix);
    if (ix == NULL) return KZ_ENOMEM_FAIL();
    pthread_mutex_init(&ix->pool_lock, NULL);
    int rc = KZ_OK;
    ix->dir = strdup(dir);
    if (ix->dir == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    for (int attempt = 0;; attempt++) {
        rc = open_snapshot(ix);
        if (rc != KZ_ENOTFOUND || attempt == OPEN_RETRIES || ix->man.nsegments == 0) break;
        close_segments(ix); /* a writer committed meanwhile: take the new manifest */
        ix->live_passages = ix->live_docs = ix->total_len = 0;
    }
    if (rc == KZ_ENOTFOUND && ix->man.nsegments == 0)
        rc = kz_fail(KZ_ENOTFOUND, "no index at %s: run `kzsearch index DIR` first", dir);
    KZ_CHECK(rc);
    KZ_CHECK(map_dictionary(ix));
    /* The analyzers on the index's dictionary verify it at their first Han run (analyzer.c):
     * here only its header's identity is compared with the manifest's. */
    kz_analyzer_options opts = KZ_ANALYZER_OPTIONS_INIT;
    rc = kz_analyzer_new_with_dict(&ix->prototype, &opts, ix->dict_map, ix->dict_len);
    if (rc == KZ_ECORRUPT) rc = kz_fail_context(rc, "%s/%s", dir, KZ_ZHDICT_NAME);
    KZ_CHECK(rc);
    if (kz_analyzer_dict_hash(ix->prototype) != ix->man.zh_dict_hash)
        rc = kz_fail(KZ_ECORRUPT, "%s/%s is not the dictionary this index was built with", dir,
                     KZ_ZHDICT_NAME);
done:
    if (rc < 0) {
        kz_index_close(ix);
        return rc;
    }
    *out = ix;
    return KZ_OK;
}

void kz_index_close(kz_index *ix)
{
    if (ix == NULL) return;
    close_segments(ix);
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; i < ix->npool[m]; i++) kz_analyzer_free(ix->pool[m][i]);
        free(ix->pool[m]);
    }
    kz_analyzer_free(ix->prototype); /* before unmapping the dictionary it borrows */
    if (ix->dict_map) munmap(ix->dict_map, ix->dict_len);
    pthread_mutex_destroy(&ix->pool_lock);
    free(ix->dir);
    free(ix);
}

int kz_index_take_analyzer(kz_index *ix, int query_mode, kz_analyzer **out)
{
    int m = query_mode ? 1 : 0;
    pthread_mutex_lock(&ix->pool_lock);
    kz_analyzer *a = ix->npool[m] ? ix->pool[m][--ix->npool[m]] : NULL;
    pthread_mutex_unlock(&ix->pool_lock);
    if (a != NULL) {
        *out = a;
        return KZ_OK;
    }
    KZ_TRY(kz_analyzer_clone(out, ix->prototype));
    kz_analyzer_set_query_mode(*out, m);
    return KZ_OK;
}

void kz_index_release_analyzer(kz_index *ix, int query_mode, kz_analyzer *a)
{
    int m = query_mode ? 1 : 0;
    pthread_mutex_lock(&ix->pool_lock);
    if (ix->npool[m] == ix->pool_cap[m]) {
        size_t cap = ix->pool_cap[m] ? ix->pool_cap[m] * 2 : 4;
        kz_analyzer **grown = realloc(ix->pool[m], cap * sizeof *grown);
        if (grown == NULL) {
            pthread_mutex_unlock(&ix->pool_lock);
            kz_analyzer_free(a); /* cannot keep it: the pool is only a cache */
            return;
        }
        ix->pool[m] = grown;
        ix->pool_cap[m] = cap;
    }
    ix->pool[m][ix->npool[m]++] = a;
    pthread_mutex_unlock(&ix->pool_lock);
}

int kz_index_term_stats(const kz_index *ix, const char *term, size_t len, uint64_t *df,
                        uint64_t *cf, kz_term_info *infos)
{
    *df = *cf = 0;
    for (uint32_t i = 0; i < ix->nsegs; i++) {
        kz_term_info info;
        int rc = kz_termdict_lookup(&ix->segs[i].seg->terms, term, len, &info);
        if (infos) infos[i] = rc == KZ_OK ? info : (kz_term_info){0};
        if (rc == KZ_ENOTFOUND) continue;
        KZ_TRY(rc);
        uint32_t ddf;
        uint64_t dcf;
        kz_deletes_term(ix->segs[i].dels.bits ? &ix->segs[i].dels : NULL, term, len, &ddf, &dcf);
        if (ddf > info.df || dcf > info.cf)
            return kz_fail(KZ_ECORRUPT, "segment %s: deletion counts exceed the term's",
                           ix->segs[i].seg->path);
        *df += info.df - ddf;
        *cf += info.cf - dcf;
    }
    return KZ_OK;
}

void kz_index_prefetch_terms(const kz_index *ix, const kz_term_ref *terms, size_t n)
{
    for (uint32_t i = 0; i < ix->nsegs; i++)
        kz_termdict_prefetch(&ix->segs[i].seg->terms, terms, n);
}

/* The pair terms of a segment: they end its dictionary (common/pairs.h), so their count is the
 * dictionary's size less the ordinal of the first. */
static int count_pairs(const kz_segment *seg, uint64_t *pairs)
{
    *pairs = 0;
    const char mark[1] = {(char)KZ_PAIR_MARK};
    kz_termdict_iter it;
    KZ_TRY(kz_termdict_iter_init(&it, &seg->terms, mark, 1));
    const char *term;
    size_t len;
    kz_term_info info;
    int rc = kz_termdict_iter_next(&it, &term, &len, &info);
    if (rc == KZ_ITEROVER) return KZ_OK;
    KZ_TRY(rc);
    uint64_t first = kz_termdict_iter_ordinal(&it);
    if (first > seg->nterms) return kz_fail(KZ_ECORRUPT, "segment %s: term count", seg->path);
    *pairs = seg->nterms - first;
    return KZ_OK;
}

int kz_index_stats_get(kz_index_stats *out, const kz_index *ix)
{
    memset(out, 0, sizeof *out);
    out->documents = ix->live_docs;
    out->passages = ix->live_passages;
    out->tokens = ix->total_len;
    out->avg_passage_len = ix->avgdl;
    out->segments = ix->nsegs;
    out->generation = ix->man.generation;
    for (uint32_t i = 0; i < ix->nsegs; i++) {
        uint64_t pairs;
        KZ_TRY(count_pairs(ix->segs[i].seg, &pairs));
        out->terms += ix->segs[i].seg->nterms - pairs;
        out->word_pairs += pairs;
        out->bytes += ix->segs[i].seg->map_len;
    }
    out->bytes += ix->dict_len;
    return KZ_OK;
}

int kz_index_check(const char *dir)
{
    kz_index *ix;
    KZ_TRY(kz_index_open(&ix, dir));
    /* Searches verify the dictionary at their first Han run; a check verifies it now. */
    kz_zhdict *dict = NULL;
    int rc = kz_zhdict_open(&dict, ix->dict_map, ix->dict_len);
    if (rc == KZ_OK && kz_zhdict_hash(dict) != ix->man.zh_dict_hash)
        rc = kz_fail(KZ_ECORRUPT, "%s/%s is not the dictionary this index was built with", dir,
                     KZ_ZHDICT_NAME);
    else if (rc < 0)
        rc = kz_fail_context(rc, "%s/%s", dir, KZ_ZHDICT_NAME);
    kz_zhdict_free(dict);
    for (uint32_t i = 0; i < ix->nsegs && rc == KZ_OK; i++) rc = kz_segment_verify(ix->segs[i].seg);
    kz_index_close(ix);
    return rc;
}
