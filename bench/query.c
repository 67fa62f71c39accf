/* query.c - `kzbench query`: run a query file (category<TAB>query) against an index and report
 * QPS and latency percentiles per category, in the peers' table and JSON line formats.
 *
 * Method (the peers' in ../shared/bench/peers, so figures compare): one warm-up pass over all
 * queries, then `repeat` measured passes; each query's latency is the monotonic time around
 * kz_search plus reading every hit (id and score) and freeing the results. kz_search does the
 * whole job a user gets — parsing, planning, top-k evaluation, and the hits' documents, text and
 * snippets. Every hit's passage id, document name and score are folded into a per-query
 * checksum; the run's checksum folds those in query order, so it does not depend on the thread
 * schedule nor on the algorithm (match counts, which pruning algorithms do not complete, are
 * left out: every algorithm must give the same top k), and it must be equal in every pass (a difference is reported: it would mean
 * non-deterministic results). With N threads, threads take queries from a shared counter and
 * QPS is queries / wall time of the pass. */
#include "bench.h"

#include "kzsearch.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

typedef struct shared {
    kz_index *ix;
    const kzb_query_opts *o;
    kzb_qline *q;
    size_t nq;
    int algorithm;
    atomic_size_t next;
    double *lat;     /* latency of each query in the current pass */
    double *cpu;     /* CPU time of each query in the current pass */
    uint64_t *qsum;  /* checksum of each query in the current pass */
    uint32_t *nhits; /* hits of each query */
    atomic_size_t errors;
    int ids;       /* --fetch ids */
    FILE *results; /* --results: written by the first measured pass, single thread */
} shared;

static void run_one(shared *s, size_t i)
{
    kz_search_options so = KZ_SEARCH_OPTIONS_INIT;
    so.k = s->o->k;
    so.default_and = s->q[i].and_mode;
    so.algorithm = s->algorithm;
    so.ids_only = s->ids; /* --fetch ids: ranking only, the work the peer harnesses do */
    kz_results *res = NULL;
    /* The thread's CPU clock is a system call (about 0.4 us here, a tenth of a cheap query):
     * read outside the wall interval, which holds only the vDSO's monotonic reads, as the peer
     * harnesses' intervals do. */
    const double c0 = kzb_thread_cpu(), t0 = kzb_now();
    int rc = kz_search(&res, s->ix, s->q[i].text, strlen(s->q[i].text), &so);
    uint64_t h = KZB_FNV_INIT;
    size_t n = 0;
    if (rc == KZ_OK) {
        n = kz_results_count(res);
        for (size_t r = 0; r < n; r++) {
            const kz_hit *hit = kz_results_hit(res, r);
            h = kzb_fold_u64(h, hit->passage);
            h = kzb_fold_double(h, hit->score);
        }
    } else {
        h = kzb_fold_u64(h, (uint64_t)(-rc));
    }
    const double dt = kzb_now() - t0, dc = kzb_thread_cpu() - c0;
    if (rc != KZ_OK) {
        if (atomic_fetch_add(&s->errors, 1) < 5)
            fprintf(stderr, "kzbench query: %s\t%s: %s\n", s->q[i].cat, s->q[i].text, kz_errmsg());
    } else if (s->results) {
        for (size_t r = 0; r < n; r++) {
            const kz_hit *hit = kz_results_hit(res, r);
            if (hit->doc)
                fprintf(s->results, "%zu\t%s\t%zu\t%s\t%.6f\n", i, s->q[i].cat, r + 1, hit->doc,
                        hit->score);
            else
                fprintf(s->results, "%zu\t%s\t%zu\tpassage:%llu\t%.6f\n", i, s->q[i].cat, r + 1,
                        (unsigned long long)hit->passage, hit->score);
        }
    }
    kz_results_free(res);
    s->lat[i] = dt;
    s->cpu[i] = dc;
    s->qsum[i] = h;
    s->nhits[i] = (uint32_t)n;
}

static void *worker(void *arg)
{
    shared *s = arg;
    for (;;) {
        size_t i = atomic_fetch_add(&s->next, 1);
        if (i >= s->nq) break;
        run_one(s, i);
    }
    return NULL;
}

/* One pass over every query with the configured threads; returns its wall time. */
static double pass(shared *s, unsigned threads)
{
    atomic_store(&s->next, 0);
    double t0 = kzb_now();
    if (threads <= 1) {
        worker(s);
    } else {
        pthread_t *t = malloc(threads * sizeof *t);
        if (t == NULL) kzb_die("out of memory");
        for (unsigned i = 0; i < threads; i++)
            if (pthread_create(&t[i], NULL, worker, s) != 0) kzb_die("cannot start a thread");
        for (unsigned i = 0; i < threads; i++) pthread_join(t[i], NULL);
        free(t);
    }
    return kzb_now() - t0;
}

/* Each query's median over the measured passes of per_pass[r * nq + i] into med[i]. */
static void query_medians(const shared *s, const double *per_pass, unsigned repeat, double *med)
{
    double *v = malloc(repeat * sizeof *v);
    if (v == NULL) kzb_die("out of memory");
    for (size_t i = 0; i < s->nq; i++) {
        for (unsigned r = 0; r < repeat; r++) v[r] = per_pass[(size_t)r * s->nq + i];
        kzb_sort_doubles(v, repeat);
        med[i] = kzb_pct(v, repeat, 50);
    }
    free(v);
}

/* --slowest: the queries with the largest median CPU time over the measured passes (CPU, not
 * wall, so that another process's time slices do not pick the list). qcpu[r * nq + i] is query
 * i's CPU time in pass r. */
static void print_slowest(const shared *s, const double *qcpu, unsigned repeat, unsigned count)
{
    double *med = malloc(s->nq * sizeof *med);
    size_t *idx = malloc(s->nq * sizeof *idx);
    if (med == NULL || idx == NULL) kzb_die("out of memory");
    query_medians(s, qcpu, repeat, med);
    for (size_t i = 0; i < s->nq; i++) idx[i] = i;
    if (count > s->nq) count = (unsigned)s->nq;
    for (unsigned k = 0; k < count; k++) { /* partial selection: count is small */
        size_t best = k;
        for (size_t i = k + 1; i < s->nq; i++)
            if (med[idx[i]] > med[idx[best]]) best = i;
        size_t t = idx[k];
        idx[k] = idx[best];
        idx[best] = t;
    }
    printf("slowest %u queries (median CPU ms over %u passes):\n", count, repeat);
    for (unsigned k = 0; k < count; k++) {
        size_t i = idx[k];
        printf("%9.3f  %-8s %5u hits  %s\n", med[i] * 1e3, s->q[i].cat, s->nhits[i], s->q[i].text);
    }
    free(med);
    free(idx);
}

static int parse_algorithm(const char *a)
{
    if (!strcmp(a, "auto")) return KZ_ALGO_AUTO;
    if (!strcmp(a, "exhaustive")) return KZ_ALGO_EXHAUSTIVE;
    if (!strcmp(a, "maxscore")) return KZ_ALGO_MAXSCORE;
    if (!strcmp(a, "bmw")) return KZ_ALGO_BMW;
    kzb_die("--algorithm %s: use exhaustive, maxscore, bmw or auto", a);
}

typedef struct cat_stats {
    double *lat, *cpu;
    size_t n, zero;
    double qmed_p99; /* p99 over the category's queries of each one's median wall time */
} cat_stats;

/* Each category's p99 of per-query medians (qlat[r * nq + i]: query i's wall time in pass r),
 * into cs[c].qmed_p99 (cs[ncats]: every query). The pooled percentiles count every timing of
 * every pass, so a few seconds of a shared host's slowness during a run lands in their tail;
 * the median of a query's passes is its own time, and this p99 is that of the queries. */
static void query_median_p99(const shared *s, const double *qlat, unsigned repeat, cat_stats *cs,
                             int ncats)
{
    double *med = malloc(s->nq * sizeof *med), *in = malloc(s->nq * sizeof *in);
    if (med == NULL || in == NULL) kzb_die("out of memory");
    query_medians(s, qlat, repeat, med);
    for (int c = 0; c <= ncats; c++) {
        size_t m = 0;
        for (size_t i = 0; i < s->nq; i++)
            if (c == ncats || s->q[i].cat_index == c) in[m++] = med[i];
        kzb_sort_doubles(in, m);
        cs[c].qmed_p99 = kzb_pct(in, m, 99);
    }
    free(med);
    free(in);
}

static void print_row(FILE *out, FILE *j, const char *name, cat_stats *c, int first)
{
    kzb_sort_doubles(c->lat, c->n);
    double sum = 0;
    for (size_t i = 0; i < c->n; i++) sum += c->lat[i];
    double mean = c->n ? sum / (double)c->n : 0;
    double p50 = kzb_pct(c->lat, c->n, 50), p95 = kzb_pct(c->lat, c->n, 95),
           p99 = kzb_pct(c->lat, c->n, 99), mx = c->n ? c->lat[c->n - 1] : 0;
    kzb_sort_doubles(c->cpu, c->n);
    double c50 = kzb_pct(c->cpu, c->n, 50), c99 = kzb_pct(c->cpu, c->n, 99);
    if (out)
        fprintf(out, "%-8s %6zu %6zu %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f %9.3f\n", name, c->n,
                c->zero, mean * 1e3, p50 * 1e3, p95 * 1e3, p99 * 1e3, mx * 1e3, c50 * 1e3,
                c99 * 1e3, c->qmed_p99 * 1e3);
    if (j)
        fprintf(j,
                "%s\"%s\":{\"n\":%zu,\"zero\":%zu,\"mean_ms\":%.4f,\"p50_ms\":%.4f,\"p95_ms\":%.4f,"
                "\"p99_ms\":%.4f,\"max_ms\":%.4f,\"cpu_p50_ms\":%.4f,\"cpu_p99_ms\":%.4f,"
                "\"qmed_p99_ms\":%.4f}",
                first ? "" : ",", name, c->n, c->zero, mean * 1e3, p50 * 1e3, p95 * 1e3, p99 * 1e3,
                mx * 1e3, c50 * 1e3, c99 * 1e3, c->qmed_p99 * 1e3);
}

int kzb_query_run(const kzb_query_opts *o, kzb_query_summary *sum, FILE *json_extra)
{
    static const char *const ORDER[] = {"term", "or2",    "or3", "and2",
                                        "and3", "phrase", "zh",  "mixed"};
    if (strcmp(o->mode, "auto") && strcmp(o->mode, "or") && strcmp(o->mode, "and"))
        kzb_die("--mode %s: use or, and or auto", o->mode);
    char cats[KZB_MAX_CATS][32];
    int ncats = 0;
    shared s;
    memset(&s, 0, sizeof s);
    s.o = o;
    s.algorithm = parse_algorithm(o->algorithm);
    if (strcmp(o->fetch, "hits") && strcmp(o->fetch, "ids"))
        kzb_die("--fetch %s: use hits or ids", o->fetch);
    s.ids = !strcmp(o->fetch, "ids");
    kzb_load_queries(o->queries, &s.q, &s.nq, cats, &ncats);
    for (size_t i = 0; i < s.nq; i++)
        s.q[i].and_mode =
            !strcmp(o->mode, "and") || (!strcmp(o->mode, "auto") && !strncmp(s.q[i].cat, "and", 3));
    if (kz_index_open(&s.ix, o->index) != KZ_OK) kzb_die("%s: %s", o->index, kz_errmsg());
    unsigned threads = o->threads ? o->threads : 1, repeat = o->repeat ? o->repeat : 1;
    s.lat = malloc(s.nq * sizeof *s.lat);
    s.cpu = malloc(s.nq * sizeof *s.cpu);
    s.qsum = malloc(s.nq * sizeof *s.qsum);
    s.nhits = malloc(s.nq * sizeof *s.nhits);
    uint64_t *first_sum = malloc(s.nq * sizeof *first_sum);
    double *qcpu = malloc(s.nq * repeat * sizeof *qcpu),
           *qlat = malloc(s.nq * repeat * sizeof *qlat);
    cat_stats cs[KZB_MAX_CATS + 1];
    memset(cs, 0, sizeof cs);
    for (int c = 0; c <= ncats; c++) {
        cs[c].lat = malloc(s.nq * repeat * sizeof(double));
        cs[c].cpu = malloc(s.nq * repeat * sizeof(double));
        if (cs[c].lat == NULL || cs[c].cpu == NULL) kzb_die("out of memory");
    }
    if (!s.lat || !s.cpu || !s.qsum || !s.nhits || !first_sum || !qcpu || !qlat)
        kzb_die("out of memory");

    pass(&s, threads); /* warm-up: page cache, analyzer pool, branch predictors */
    memcpy(first_sum, s.qsum, s.nq * sizeof *first_sum);
    if (o->results) {
        s.results = fopen(o->results, "w");
        if (s.results == NULL) kzb_die("cannot write %s", o->results);
        for (size_t i = 0; i < s.nq; i++) run_one(&s, i);
        fclose(s.results);
        s.results = NULL;
    }
    atomic_store(&s.errors, 0);
    double wall = 0, cpu = 0;
    size_t mismatches = 0;
    for (unsigned r = 0; r < repeat; r++) {
        double c0 = kzb_process_cpu();
        wall += pass(&s, threads);
        cpu += kzb_process_cpu() - c0;
        for (size_t i = 0; i < s.nq; i++) {
            mismatches += s.qsum[i] != first_sum[i];
            qcpu[(size_t)r * s.nq + i] = s.cpu[i];
            qlat[(size_t)r * s.nq + i] = s.lat[i];
            cat_stats *c = &cs[s.q[i].cat_index];
            c->cpu[c->n] = s.cpu[i];
            c->lat[c->n++] = s.lat[i];
            c->zero += s.nhits[i] == 0;
            cs[ncats].cpu[cs[ncats].n] = s.cpu[i];
            cs[ncats].lat[cs[ncats].n++] = s.lat[i];
            cs[ncats].zero += s.nhits[i] == 0;
        }
    }
    query_median_p99(&s, qlat, repeat, cs, ncats);
    uint64_t check = KZB_FNV_INIT;
    for (size_t i = 0; i < s.nq; i++) check = kzb_fold_u64(check, s.qsum[i]);
    size_t total = s.nq * repeat;
    double qps = wall > 0 ? (double)total / wall : 0;
    double cpu_qps = cpu > 0 ? (double)total / cpu : 0;

    FILE *out = o->quiet ? NULL : stdout;
    FILE *j = NULL;
    if (o->json) {
        j = fopen(o->json, "a");
        if (j == NULL) kzb_die("cannot append to %s", o->json);
    }
    if (out) {
        printf("kzbench query (kzsearch %s) index=%s queries=%s k=%u mode=%s algorithm=%s "
               "fetch=%s threads=%u repeat=%u\n",
               kz_version(), o->index, o->queries, o->k, o->mode, o->algorithm, o->fetch, threads,
               repeat);
        printf("%-8s %6s %6s %9s %9s %9s %9s %9s %9s %9s %9s\n", "category", "n", "zero", "mean_ms",
               "p50_ms", "p95_ms", "p99_ms", "max_ms", "cpu_p50", "cpu_p99", "qmed_p99");
    }
    if (j)
        fprintf(j, "{\"engine\":\"%s\",\"label\":\"%s\",\"mode\":\"%s\",\"k\":%u,\"cats\":{",
                s.ids ? "kzsearch-ids" : "kzsearch", o->label, o->mode, o->k);
    int printed[KZB_MAX_CATS] = {0}, first = 1;
    for (size_t x = 0; x < sizeof ORDER / sizeof ORDER[0]; x++)
        for (int c = 0; c < ncats; c++)
            if (!printed[c] && !strcmp(cats[c], ORDER[x])) {
                print_row(out, j, cats[c], &cs[c], first);
                printed[c] = 1;
                first = 0;
            }
    for (int c = 0; c < ncats; c++)
        if (!printed[c]) {
            print_row(out, j, cats[c], &cs[c], first);
            first = 0;
        }
    print_row(out, j, "all", &cs[ncats], first);
    size_t errors = atomic_load(&s.errors);
    if (out) {
        printf("queries %zu x %u, wall %.3f s, QPS %.1f (%u thread%s, measured after a warm-up "
               "pass)\n",
               s.nq, repeat, wall, qps, threads, threads == 1 ? "" : "s");
        printf("CPU time %.3f s, CPU QPS %.1f (per CPU second: what wall QPS would be on an idle "
               "machine)\n",
               cpu, cpu_qps);
        printf("checksum %016llx, errors %zu, peak RSS %ld KiB\n", (unsigned long long)check,
               errors, kzb_peak_rss_kb());
        printf("machine: %s\n", kzb_env_line());
        if (o->slowest) print_slowest(&s, qcpu, repeat, o->slowest);
    }
    if (mismatches)
        fprintf(stderr, "kzbench query: %zu query results differed between passes\n", mismatches);
    if (j) {
        fprintf(
            j,
            "},\"wall_s\":%.4f,\"qps\":%.2f,\"cpu_s\":%.4f,\"cpu_qps\":%.2f,"
            "\"peak_rss_kb\":%ld,\"algorithm\":\"%s\","
            "\"fetch\":\"%s\",\"threads\":%u,\"repeat\":%u,\"checksum\":\"%016llx\",\"errors\":%zu,"
            "\"unstable\":%zu,\"env\":%s}\n",
            wall, qps, cpu, cpu_qps, kzb_peak_rss_kb(), o->algorithm, o->fetch, threads, repeat,
            (unsigned long long)check, errors, mismatches, kzb_env_json());
        fclose(j);
    }
    if (sum) {
        sum->qps = qps;
        sum->wall_s = wall;
        sum->p50_ms = kzb_pct(cs[ncats].lat, cs[ncats].n, 50) * 1e3;
        sum->p95_ms = kzb_pct(cs[ncats].lat, cs[ncats].n, 95) * 1e3;
        sum->p99_ms = kzb_pct(cs[ncats].lat, cs[ncats].n, 99) * 1e3;
        sum->cpu_qps = cpu_qps;
        sum->cpu_p50_ms = kzb_pct(cs[ncats].cpu, cs[ncats].n, 50) * 1e3;
        sum->cpu_p99_ms = kzb_pct(cs[ncats].cpu, cs[ncats].n, 99) * 1e3;
        sum->checksum = check;
        sum->nqueries = total;
        sum->errors = errors;
    }
    if (json_extra) {
        fprintf(
            json_extra,
            "{\"mode\":\"%s\",\"qps\":%.2f,\"cpu_qps\":%.2f,\"checksum\":\"%016llx\",\"cats\":{",
            o->mode, qps, cpu_qps, (unsigned long long)check);
        first = 1;
        for (int c = 0; c <= ncats; c++) {
            print_row(NULL, json_extra, c == ncats ? "all" : cats[c], &cs[c], first);
            first = 0;
        }
        fprintf(json_extra, "}}");
    }
    for (int c = 0; c <= ncats; c++) {
        free(cs[c].lat);
        free(cs[c].cpu);
    }
    for (size_t i = 0; i < s.nq; i++) free(s.q[i].text);
    free(s.q);
    free(s.lat);
    free(s.cpu);
    free(s.qsum);
    free(s.nhits);
    free(first_sum);
    free(qcpu);
    free(qlat);
    kz_index_close(s.ix);
    return 0;
}
