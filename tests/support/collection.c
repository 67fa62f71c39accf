/* collection.c - index building, passage listing and analysis helpers for the search suites
 * (see collection.h).
 *
 * Passage listing reads the index's internal snapshot (segments, live bitsets, global bases):
 * that is the only way to see every passage, including those no query would return, and it
 * reads stored text, not postings, so counts made from it are independent of the posting
 * lists under test. */
#include "collection.h"
#include "support.h"

#include "index_internal.h"
#include "segment.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void kzc_build(const char *dir, const char *const *paths, size_t npaths,
               const kz_writer_options *opts)
{
    kz_writer *w = NULL;
    int rc = kz_writer_open(&w, dir, opts);
    cr_assert_eq(rc, KZ_OK, "kz_writer_open %s: %s", dir, kz_errmsg());
    for (size_t i = 0; i < npaths; i++) {
        rc = kz_writer_add_path(w, paths[i], NULL, NULL);
        cr_assert_eq(rc, KZ_OK, "kz_writer_add_path %s: %s", paths[i], kz_errmsg());
    }
    rc = kz_writer_commit(w);
    cr_assert_eq(rc, KZ_OK, "kz_writer_commit: %s", kz_errmsg());
    kz_writer_close(w);
}

char *kzc_build_seeds(const kz_writer_options *opts)
{
    char *dir = kzt_tempdir();
    const char *paths[] = {kzt_seeds_dir()};
    kzc_build(dir, paths, 1, opts);
    return dir;
}

kz_writer_options kzc_many_segments(void)
{
    kz_writer_options o = KZ_WRITER_OPTIONS_INIT;
    o.memory_budget = 4096;
    o.no_merge = 1;
    return o;
}

kz_index *kzc_open(const char *dir)
{
    kz_index *ix = NULL;
    int rc = kz_index_open(&ix, dir);
    cr_assert_eq(rc, KZ_OK, "kz_index_open %s: %s", dir, kz_errmsg());
    return ix;
}

uint32_t kzc_segments(const kz_index *ix)
{
    return ix->nsegs;
}

kzc_passage *kzc_passages(const kz_index *ix, size_t *n)
{
    size_t cap = 64, count = 0;
    kzc_passage *v = malloc(cap * sizeof *v);
    cr_assert_not_null(v);
    for (uint32_t s = 0; s < ix->nsegs; s++) {
        const kz_index_segment *seg = &ix->segs[s];
        kz_store_reader reader;
        kz_segment_passage_reader(seg->seg, &reader);
        for (uint32_t p = 0; p < seg->seg->npassages; p++) {
            if (seg->live && !(seg->live[p / 64] >> (p % 64) & 1)) continue;
            kz_passage_record rec;
            int rc = kz_segment_passage(seg->seg, &reader, p, &rec);
            cr_assert_eq(rc, KZ_OK, "passage %u of segment %u: %s", p, s, kz_errmsg());
            if (count == cap) {
                cap *= 2;
                v = realloc(v, cap * sizeof *v);
                cr_assert_not_null(v);
            }
            v[count].id = seg->base + p;
            v[count].len = rec.text_len;
            v[count].text = malloc(rec.text_len + 1);
            cr_assert_not_null(v[count].text);
            memcpy(v[count].text, rec.text, rec.text_len);
            v[count].text[rec.text_len] = '\0';
            count++;
        }
        kz_store_reader_free(&reader);
    }
    *n = count;
    return v;
}

void kzc_passages_free(kzc_passage *p, size_t n)
{
    if (p == NULL) return;
    for (size_t i = 0; i < n; i++) free(p[i].text);
    free(p);
}

typedef struct term_list {
    kzc_term *v;
    size_t n, cap;
} term_list;

static int collect(void *ctx, const kz_token *t)
{
    term_list *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->v = realloc(l->v, l->cap * sizeof *l->v);
        cr_assert_not_null(l->v);
    }
    char *term = malloc(t->term_len + 1);
    cr_assert_not_null(term);
    memcpy(term, t->term, t->term_len);
    term[t->term_len] = '\0';
    l->v[l->n++] = (kzc_term){term, t->position};
    return 0;
}

/* One analyzer per mode for the whole test process: making one loads the dictionary, which
   costs more than analysing a passage. Tests call this from one thread only. */
static kz_analyzer *g_analyzers[2];

kzc_term *kzc_analyze(const char *text, size_t len, int query_mode, size_t *n)
{
    int mode = query_mode != 0;
    if (g_analyzers[mode] == NULL) {
        kz_analyzer_options o = KZ_ANALYZER_OPTIONS_INIT;
        o.query_mode = mode;
        int rc = kz_analyzer_new(&g_analyzers[mode], &o);
        cr_assert_eq(rc, KZ_OK, "kz_analyzer_new: %s", kz_errmsg());
    }
    kz_analyzer *a = g_analyzers[mode];
    int rc;
    term_list l = {0};
    rc = kz_analyze(a, text, len, collect, &l);
    cr_assert_eq(rc, KZ_OK, "kz_analyze: %s", kz_errmsg());
    *n = l.n;
    return l.v;
}

void kzc_terms_free(kzc_term *t, size_t n)
{
    if (t == NULL) return;
    for (size_t i = 0; i < n; i++) free(t[i].term);
    free(t);
}

kz_results *kzc_search(kz_index *ix, const char *query, const kz_search_options *opts)
{
    kz_results *r = NULL;
    int rc = kz_search(&r, ix, query, strlen(query), opts);
    cr_assert_eq(rc, KZ_OK, "kz_search [%s]: %s", query, kz_errmsg());
    return r;
}

int kzc_contains_nocase(const char *hay, size_t hay_len, const char *needle)
{
    size_t m = strlen(needle);
    for (size_t i = 0; i + m <= hay_len; i++) {
        size_t j = 0;
        while (j < m && tolower((unsigned char)hay[i + j]) == tolower((unsigned char)needle[j]))
            j++;
        if (j == m) return 1;
    }
    return 0;
}

void kzc_shell(const char *command)
{
    int rc = system(command);
    cr_assert_eq(rc, 0, "command failed (%d): %s", rc, command);
}

uint64_t kzc_deleted(const kz_index *ix)
{
    uint64_t n = 0;
    for (uint32_t s = 0; s < ix->nsegs; s++) n += ix->segs[s].dels.ndeleted;
    return n;
}
