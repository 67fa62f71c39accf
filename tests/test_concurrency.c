/* test_concurrency.c - one kz_index searched from several threads at once gives, for every
 * query, exactly what the same search gives serially: passages, scores, snippets, highlights and
 * explanations; malformed queries fail in their own thread with their own message; and a writer
 * committing meanwhile does not change what an open index sees, while indexes opened during its
 * commits and merges always open, on a consistent snapshot.
 *
 * Each result list is rendered to a string (every field, scores to 17 digits), so "the same" is
 * byte equality of renderings. Threads run the queries in different orders, many rounds, so the
 * analyzer pool is taken and returned concurrently. */
#include "kzsearch.h"
#include "support.h"
#include "support/collection.h"

#include <criterion/criterion.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NTHREADS 4
#define ROUNDS   6

static const char *QUERIES[] = {
    "CSTO troops",
    "Tokayev -Putin",
    "\"shoot without warning\"",
    "+internet +almaty",
    "阿拉木图",
    "哈萨克斯坦 起义",
    "Телеканал Дождь",
    "kazakh*",
    "(gas OR fuel) +prices",
    "protesters police airport Almaty Nazarbayev Tokayev",
    "post-Soviet",
    "journalist Lukpan",
    "CSTO troops doc:*.txt",
    "Almaty -doc:*chronology*",
};
#define NQUERIES (sizeof QUERIES / sizeof *QUERIES)

typedef struct text {
    char *p;
    size_t len, cap;
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(text *t, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n >= 0 && (size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        t->cap = t->cap * 2 + (size_t)n + 64;
        t->p = realloc(t->p, t->cap);
        if (t->p == NULL) abort();
    }
}

/* The whole result list as text; NULL (and *rc) on failure. Called from threads: no asserts. */
static char *render(kz_index *ix, const char *q, int *rc)
{
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = 20;
    o.explain = 1;
    kz_results *r = NULL;
    *rc = kz_search(&r, ix, q, strlen(q), &o);
    if (*rc != KZ_OK) return NULL;
    text t = {malloc(256), 0, 256};
    if (t.p == NULL) abort();
    t.p[0] = '\0';
    put(&t, "total %llu notice %s\n", (unsigned long long)kz_results_total(r),
        kz_results_notice(r));
    for (size_t i = 0; i < kz_results_count(r); i++) {
        const kz_hit *h = kz_results_hit(r, i);
        put(&t, "%llu %.17g %s:%u [%.*s]", (unsigned long long)h->passage, h->score, h->doc,
            h->line, (int)h->snippet_len, h->snippet);
        for (size_t j = 0; j < h->nhighlights; j++)
            put(&t, " %u-%u", h->highlights[j].start, h->highlights[j].end);
        const kz_explain *e = h->explain;
        put(&t, " N=%llu avgdl=%.17g dl=%u", (unsigned long long)e->N, e->avgdl, e->dl);
        for (size_t j = 0; j < e->nterms; j++)
            put(&t, " %s:%u:%llu:%.17g", e->terms[j].term, e->terms[j].tf,
                (unsigned long long)e->terms[j].df, e->terms[j].score);
        put(&t, "\n");
    }
    kz_results_free(r);
    return t.p;
}

typedef struct worker {
    kz_index *ix;
    char **expected;
    unsigned id;
    int failures;
    char detail[512];
} worker;

static void *search_thread(void *arg)
{
    worker *w = arg;
    for (unsigned round = 0; round < ROUNDS; round++) {
        for (size_t i = 0; i < NQUERIES; i++) {
            size_t q = (i * (w->id + 1) + round + w->id) % NQUERIES;
            int rc;
            char *got = render(w->ix, QUERIES[q], &rc);
            if (got == NULL || strcmp(got, w->expected[q]) != 0) {
                if (w->failures++ == 0)
                    snprintf(w->detail, sizeof w->detail, "thread %u, [%s]: %s", w->id, QUERIES[q],
                             got ? "results differ from the serial ones" : kz_errmsg());
            }
            free(got);
            /* A malformed query: its message must be this thread's own. */
            kz_results *r = NULL;
            char bad[64];
            int col = snprintf(bad, sizeof bad, "thread%u \"open", w->id);
            rc = kz_search(&r, w->ix, bad, (size_t)col, NULL);
            if (rc != KZ_EQUERY || strstr(kz_errmsg(), "unbalanced quote") == NULL) {
                if (w->failures++ == 0)
                    snprintf(w->detail, sizeof w->detail, "thread %u, [%s]: %d %s", w->id, bad, rc,
                             kz_errmsg());
            }
            kz_results_free(r);
        }
    }
    return NULL;
}

static void run_threads(kz_index *ix, char **expected)
{
    pthread_t th[NTHREADS];
    worker w[NTHREADS];
    for (unsigned i = 0; i < NTHREADS; i++) {
        w[i] = (worker){ix, expected, i, 0, ""};
        cr_assert_eq(pthread_create(&th[i], NULL, search_thread, &w[i]), 0);
    }
    for (unsigned i = 0; i < NTHREADS; i++) cr_assert_eq(pthread_join(th[i], NULL), 0);
    for (unsigned i = 0; i < NTHREADS; i++)
        cr_assert_eq(w[i].failures, 0, "%d failures; first: %s", w[i].failures, w[i].detail);
}

static char **serial(kz_index *ix)
{
    char **expected = calloc(NQUERIES, sizeof *expected);
    cr_assert_not_null(expected);
    for (size_t i = 0; i < NQUERIES; i++) {
        int rc;
        expected[i] = render(ix, QUERIES[i], &rc);
        cr_assert_not_null(expected[i], "[%s]: %s", QUERIES[i], kz_errmsg());
        cr_assert_neq(strstr(expected[i], "\n"), NULL);
    }
    return expected;
}

static void free_expected(char **e)
{
    for (size_t i = 0; i < NQUERIES; i++) free(e[i]);
    free(e);
}

/* The seed articles indexed in one segment, or in many small ones. */
static char *seeds_index(int many_segments)
{
    kz_writer_options many = kzc_many_segments();
    return kzc_build_seeds(many_segments ? &many : NULL);
}

Test(concurrency, threads_sharing_an_index_get_the_serial_results)
{
    char *dir = seeds_index(0);
    kz_index *ix = kzc_open(dir);
    char **expected = serial(ix);
    run_threads(ix, expected);
    free_expected(expected);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(concurrency, threads_on_a_segmented_index_get_the_serial_results)
{
    char *dir = seeds_index(1);
    kz_index *ix = kzc_open(dir);
    cr_assert_gt(kzc_segments(ix), 1);
    char **expected = serial(ix);
    run_threads(ix, expected);
    free_expected(expected);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

Test(concurrency, threads_that_build_the_filter_table_at_once_get_the_serial_results)
{
    char *dir = seeds_index(1);
    kz_index *ix = kzc_open(dir);
    char **expected = serial(ix);
    kz_index *fresh = kzc_open(dir); /* no filtered query has run on it: threads race to build */
    run_threads(fresh, expected);
    free_expected(expected);
    kz_index_close(fresh);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

typedef struct committer {
    const char *dir;
    int rc;
    char msg[256];
} committer;

static void *commit_thread(void *arg)
{
    committer *c = arg;
    kz_writer *w = NULL;
    c->rc = kz_writer_open(&w, c->dir, NULL);
    for (int i = 0; i < 3 && c->rc == KZ_OK; i++) {
        char name[32], body[128];
        snprintf(name, sizeof name, "extra-%d", i);
        int n = snprintf(body, sizeof body, "CSTO troops Tokayev Almaty internet number %d", i);
        c->rc = kz_writer_add_text(w, name, body, (size_t)n, NULL);
        if (c->rc == KZ_OK) c->rc = kz_writer_commit(w);
    }
    if (c->rc == KZ_OK) c->rc = kz_writer_optimize(w);
    if (c->rc != KZ_OK) snprintf(c->msg, sizeof c->msg, "%s", kz_errmsg());
    kz_writer_close(w);
    return NULL;
}

Test(concurrency, commits_during_searches_leave_an_open_snapshot_unchanged)
{
    char *dir = seeds_index(0);
    kz_index *ix = kzc_open(dir);
    char **expected = serial(ix);
    committer c = {dir, 0, ""};
    pthread_t th;
    cr_assert_eq(pthread_create(&th, NULL, commit_thread, &c), 0);
    run_threads(ix, expected);
    cr_assert_eq(pthread_join(th, NULL), 0);
    cr_assert_eq(c.rc, KZ_OK, "writer: %s", c.msg);
    /* The old snapshot still gives the old results; a new one sees the additions. */
    char **again = serial(ix);
    for (size_t i = 0; i < NQUERIES; i++) cr_assert_str_eq(again[i], expected[i]);
    kz_index *fresh = kzc_open(dir);
    kz_index_stats a, b;
    cr_assert_eq(kz_index_stats_get(&a, ix), KZ_OK);
    cr_assert_eq(kz_index_stats_get(&b, fresh), KZ_OK);
    cr_assert_eq(b.passages, a.passages + 3);
    kz_index_close(fresh);
    free_expected(again);
    free_expected(expected);
    kz_index_close(ix);
    kzt_rmtree(dir);
}

typedef struct growth {
    const char *dir;
    int rc;
    char msg[256];
    volatile int done;
} growth;

#define GROWTH_STEPS 16

static void *grow_thread(void *arg)
{
    growth *g = arg;
    kz_writer *w = NULL;
    g->rc = kz_writer_open(&w, g->dir, NULL);
    for (int i = 0; i < GROWTH_STEPS && g->rc == KZ_OK; i++) {
        char name[32], body[128];
        snprintf(name, sizeof name, "growth-%d", i);
        int n = snprintf(body, sizeof body, "zqxmarker Almaty note number %d", i);
        g->rc = kz_writer_add_text(w, name, body, (size_t)n, NULL);
        if (g->rc == KZ_OK) g->rc = kz_writer_commit(w);
        if (g->rc == KZ_OK && i % 4 == 3) g->rc = kz_writer_optimize(w);
    }
    if (g->rc != KZ_OK) snprintf(g->msg, sizeof g->msg, "%s", kz_errmsg());
    kz_writer_close(w);
    __atomic_store_n(&g->done, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

typedef struct opener {
    growth *g;
    uint64_t base;
    unsigned opens;
    int failures;
    char detail[512];
} opener;

/* Opens the index again and again while it grows: every open succeeds and sees a consistent
 * snapshot, whose added passages are exactly those the marker word finds. */
static void *open_thread(void *arg)
{
    opener *o = arg;
    while (!__atomic_load_n(&o->g->done, __ATOMIC_SEQ_CST) || o->opens == 0) {
        kz_index *ix = NULL;
        int rc = kz_index_open(&ix, o->g->dir);
        o->opens++;
        if (rc != KZ_OK) {
            if (o->failures++ == 0)
                snprintf(o->detail, sizeof o->detail, "open: %d %s", rc, kz_errmsg());
            continue;
        }
        kz_index_stats st;
        kz_results *r = NULL;
        kz_search_options so = KZ_SEARCH_OPTIONS_INIT;
        so.k = 100;
        rc = kz_index_stats_get(&st, ix);
        if (rc == KZ_OK) rc = kz_search(&r, ix, "zqxmarker", 9, &so);
        if (rc != KZ_OK) {
            if (o->failures++ == 0)
                snprintf(o->detail, sizeof o->detail, "search: %d %s", rc, kz_errmsg());
        } else if (st.passages < o->base || st.passages > o->base + GROWTH_STEPS ||
                   kz_results_count(r) != st.passages - o->base) {
            if (o->failures++ == 0)
                snprintf(o->detail, sizeof o->detail, "%llu passages but %zu marked ones",
                         (unsigned long long)st.passages, kz_results_count(r));
        }
        kz_results_free(r);
        kz_index_close(ix);
    }
    return NULL;
}

Test(concurrency, indexes_opened_during_commits_are_consistent_snapshots)
{
    char *dir = seeds_index(0);
    kz_index *ix = kzc_open(dir);
    kz_index_stats st;
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    kz_index_close(ix);
    growth g = {dir, 0, "", 0};
    opener o[2] = {{&g, st.passages, 0, 0, ""}, {&g, st.passages, 0, 0, ""}};
    pthread_t readers[2], writer;
    for (int i = 0; i < 2; i++)
        cr_assert_eq(pthread_create(&readers[i], NULL, open_thread, &o[i]), 0);
    cr_assert_eq(pthread_create(&writer, NULL, grow_thread, &g), 0);
    cr_assert_eq(pthread_join(writer, NULL), 0);
    for (int i = 0; i < 2; i++) cr_assert_eq(pthread_join(readers[i], NULL), 0);
    cr_assert_eq(g.rc, KZ_OK, "writer: %s", g.msg);
    for (int i = 0; i < 2; i++)
        cr_assert_eq(o[i].failures, 0, "reader %d: %d failures in %u opens; first: %s", i,
                     o[i].failures, o[i].opens, o[i].detail);
    ix = kzc_open(dir);
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    cr_assert_eq(st.passages, o[0].base + GROWTH_STEPS);
    kz_index_close(ix);
    kzt_rmtree(dir);
}
