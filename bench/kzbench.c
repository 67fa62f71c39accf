/* kzbench.c - the benchmark tool's command line: gen, build, query, micro, suite (what the
 * `bench` target runs: generate, build, query in every mode, micro-benchmarks, one report) and
 * oneshot (whole kzsearch processes).
 *
 * Options are parsed here and nowhere else; the subcommands take plain structs, so the suite
 * runs exactly the code `kzbench build` and `kzbench query` run. */
/* nftw */
#define _XOPEN_SOURCE 700

#include "bench.h"

#include "kzsearch.h"

#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef KZB_ZH_DICT
#define KZB_ZH_DICT "/usr/lib/python3/dist-packages/jieba/dict.txt"
#endif

static void usage(void) __attribute__((noreturn));
static void usage(void)
{
    fputs("usage:\n"
          "  kzbench gen --out DIR [--passages N] [--seed S] [--queries N] [--zh-share F]\n"
          "              [--zh-dict dict.txt]\n"
          "  kzbench build --corpus FILE.jsonl --index DIR [--optimize] [--memory-mb M]\n"
          "              [--pair-min-df N|off] [--json OUT]\n"
          "  kzbench query --index DIR --queries FILE.tsv [--k 10] [--mode or|and|auto]\n"
          "              [--algorithm exhaustive|maxscore|bmw|auto] [--threads N] [--repeat R]\n"
          "              [--fetch hits|ids] [--json OUT] [--label L] [--results FILE]\n"
          "              [--slowest N]\n"
          "  kzbench micro [--index DIR] [--corpus FILE.jsonl] [--seconds S] [--json OUT]\n"
          "  kzbench suite --dir DIR [--passages N] [--seed S] [--queries N] [--repeat R]\n"
          "              [--seconds S] [--json OUT]\n"
          "  kzbench oneshot --kzsearch PATH --index DIR --queries FILE.tsv [--repeat R]\n"
          "              [--json OUT]\n",
          stderr);
    exit(2);
}

/* Matches "--name VALUE" at argv[*i]; on a match stores VALUE and steps past it. */
static int opt(int argc, char **argv, int *i, const char *name, const char **value)
{
    if (strcmp(argv[*i], name) != 0) return 0;
    if (*i + 1 >= argc) kzb_die("%s needs a value", name);
    *value = argv[++*i];
    return 1;
}

static uint64_t num(const char *name, const char *v)
{
    char *end;
    unsigned long long x = strtoull(v, &end, 10);
    if (*v == '\0' || *end != '\0' || *v == '-') kzb_die("%s %s: expected a number", name, v);
    return x;
}

static uint32_t pair_df(const char *v)
{
    uint64_t x = num("--pair-min-df", v);
    if (x >= KZ_NO_PAIRS) kzb_die("--pair-min-df %s: too large (off switches pairs off)", v);
    return (uint32_t)x;
}

int kzb_cmd_gen(int argc, char **argv)
{
    kzb_gen_opts o = {NULL, 100000, 1, 2000, 0.15, KZB_ZH_DICT};
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (opt(argc, argv, &i, "--out", &v))
            o.out_dir = v;
        else if (opt(argc, argv, &i, "--passages", &v))
            o.passages = num("--passages", v);
        else if (opt(argc, argv, &i, "--seed", &v))
            o.seed = num("--seed", v);
        else if (opt(argc, argv, &i, "--queries", &v))
            o.nqueries = (unsigned)num("--queries", v);
        else if (opt(argc, argv, &i, "--zh-share", &v))
            o.zh_share = atof(v);
        else if (opt(argc, argv, &i, "--zh-dict", &v))
            o.zh_dict = v;
        else
            usage();
    }
    if (o.out_dir == NULL) usage();
    return kzb_gen_run(&o);
}

int kzb_cmd_build(int argc, char **argv)
{
    const char *corpus = NULL, *index = NULL, *json = NULL, *v;
    int optimize = 0;
    size_t memory_mb = 0;
    uint32_t pair_min_df = 0;
    for (int i = 2; i < argc; i++) {
        if (opt(argc, argv, &i, "--corpus", &v))
            corpus = v;
        else if (opt(argc, argv, &i, "--index", &v))
            index = v;
        else if (opt(argc, argv, &i, "--json", &v))
            json = v;
        else if (opt(argc, argv, &i, "--memory-mb", &v))
            memory_mb = (size_t)num("--memory-mb", v);
        else if (opt(argc, argv, &i, "--pair-min-df", &v))
            pair_min_df = !strcmp(v, "off") ? KZ_NO_PAIRS : pair_df(v);
        else if (!strcmp(argv[i], "--optimize"))
            optimize = 1;
        else
            usage();
    }
    if (corpus == NULL || index == NULL) usage();
    kzb_build_summary s;
    kzb_build_run(corpus, index, optimize, memory_mb, pair_min_df, &s);
    printf("kzbench build (kzsearch %s) corpus=%s index=%s\n", kz_version(), corpus, index);
    kzb_build_print(&s, stdout);
    printf("machine: %s\n", kzb_env_line());
    if (json) {
        FILE *j = fopen(json, "a");
        if (j == NULL) kzb_die("cannot append to %s", json);
        kzb_build_json(&s, j);
        fputc('\n', j);
        fclose(j);
    }
    return 0;
}

int kzb_cmd_query(int argc, char **argv)
{
    kzb_query_opts o = KZB_QUERY_OPTS_INIT;
    const char *v;
    for (int i = 2; i < argc; i++) {
        if (opt(argc, argv, &i, "--index", &v))
            o.index = v;
        else if (opt(argc, argv, &i, "--queries", &v))
            o.queries = v;
        else if (opt(argc, argv, &i, "--k", &v))
            o.k = (unsigned)num("--k", v);
        else if (opt(argc, argv, &i, "--mode", &v))
            o.mode = v;
        else if (opt(argc, argv, &i, "--algorithm", &v))
            o.algorithm = v;
        else if (opt(argc, argv, &i, "--threads", &v))
            o.threads = (unsigned)num("--threads", v);
        else if (opt(argc, argv, &i, "--repeat", &v))
            o.repeat = (unsigned)num("--repeat", v);
        else if (opt(argc, argv, &i, "--json", &v))
            o.json = v;
        else if (opt(argc, argv, &i, "--label", &v))
            o.label = v;
        else if (opt(argc, argv, &i, "--results", &v))
            o.results = v;
        else if (opt(argc, argv, &i, "--fetch", &v))
            o.fetch = v;
        else if (opt(argc, argv, &i, "--slowest", &v))
            o.slowest = (unsigned)num("--slowest", v);
        else
            usage();
    }
    if (o.index == NULL || o.queries == NULL) usage();
    if (o.k == 0) kzb_die("--k must be at least 1");
    return kzb_query_run(&o, NULL, NULL);
}

int kzb_cmd_micro(int argc, char **argv)
{
    const char *index = NULL, *corpus = NULL, *json = NULL, *v;
    double seconds = 0.3;
    for (int i = 2; i < argc; i++) {
        if (opt(argc, argv, &i, "--index", &v))
            index = v;
        else if (opt(argc, argv, &i, "--corpus", &v))
            corpus = v;
        else if (opt(argc, argv, &i, "--json", &v))
            json = v;
        else if (opt(argc, argv, &i, "--seconds", &v))
            seconds = atof(v);
        else
            usage();
    }
    FILE *j = NULL;
    if (json && (j = fopen(json, "w")) == NULL) kzb_die("cannot write %s", json);
    kzb_micro_run(index, corpus, seconds, j);
    if (j) {
        fputc('\n', j);
        fclose(j);
    }
    return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

int kzb_cmd_suite(int argc, char **argv)
{
    kzb_gen_opts g = {NULL, 400000, 1, 2000, 0.15, KZB_ZH_DICT};
    const char *json = NULL, *v;
    unsigned repeat = 3;
    double seconds = 0.3;
    const char *env = getenv("KZ_BENCH_PASSAGES");
    if (env && *env) g.passages = num("KZ_BENCH_PASSAGES", env);
    for (int i = 2; i < argc; i++) {
        if (opt(argc, argv, &i, "--dir", &v))
            g.out_dir = v;
        else if (opt(argc, argv, &i, "--passages", &v))
            g.passages = num("--passages", v);
        else if (opt(argc, argv, &i, "--seed", &v))
            g.seed = num("--seed", v);
        else if (opt(argc, argv, &i, "--queries", &v))
            g.nqueries = (unsigned)num("--queries", v);
        else if (opt(argc, argv, &i, "--repeat", &v))
            repeat = (unsigned)num("--repeat", v);
        else if (opt(argc, argv, &i, "--seconds", &v))
            seconds = atof(v);
        else if (opt(argc, argv, &i, "--json", &v))
            json = v;
        else
            usage();
    }
    if (g.out_dir == NULL) usage();
    double t0 = kzb_now();
    printf("== kzbench suite: %llu generated passages (seed %llu), %u queries\n",
           (unsigned long long)g.passages, (unsigned long long)g.seed, g.nqueries);
    printf("machine: %s\n\n", kzb_env_line());
    fflush(stdout);
    kzb_gen_run(&g);
    size_t plen = strlen(g.out_dir) + 32;
    char *corpus = malloc(plen), *index = malloc(plen), *queries = malloc(plen);
    if (!corpus || !index || !queries) kzb_die("out of memory");
    snprintf(corpus, plen, "%s/corpus.jsonl", g.out_dir);
    snprintf(index, plen, "%s/index", g.out_dir);
    snprintf(queries, plen, "%s/queries.tsv", g.out_dir);
    nftw(index, rm_entry, 16, FTW_DEPTH | FTW_PHYS);

    printf("\n== build (kzbench build --corpus %s --index %s)\n", corpus, index);
    fflush(stdout);
    kzb_build_summary b;
    kzb_build_run(corpus, index, 0, 0, 0, &b);
    kzb_build_print(&b, stdout);

    /* Both default operators, with whole hits (kz_search) and with ids only (the peers' work). */
    static const struct {
        const char *mode, *fetch;
    } runs[] = {{"or", "hits"}, {"and", "hits"}, {"or", "ids"}, {"and", "ids"}};
    enum { NRUNS = sizeof runs / sizeof runs[0] };
    kzb_query_summary qs[NRUNS];
    char *qjson = NULL;
    size_t qjson_len = 0;
    FILE *qj = open_memstream(&qjson, &qjson_len);
    if (qj == NULL) kzb_die("out of memory");
    for (int m = 0; m < NRUNS; m++) {
        kzb_query_opts o = KZB_QUERY_OPTS_INIT;
        o.index = index;
        o.queries = queries;
        o.mode = runs[m].mode;
        o.fetch = runs[m].fetch;
        o.repeat = repeat;
        printf("\n== query (kzbench query --index %s --queries %s --mode %s --fetch %s --repeat %u)"
               "\n",
               index, queries, o.mode, o.fetch, repeat);
        fflush(stdout);
        if (m) fputc(',', qj);
        kzb_query_run(&o, &qs[m], qj);
        fflush(stdout);
    }
    fclose(qj);

    printf("\n== micro-benchmarks\n");
    char *mjson = NULL;
    size_t mjson_len = 0;
    FILE *mj = open_memstream(&mjson, &mjson_len);
    if (mj == NULL) kzb_die("out of memory");
    kzb_micro_run(index, corpus, seconds, mj);
    fclose(mj);

    double mb = (double)b.raw_bytes / 1e6;
    printf("\n== summary (%.0f s in all)\n", kzb_now() - t0);
    printf("%-34s %12s\n", "measure", "value");
    printf("%-34s %12.0f\n", "indexing passages/s", (double)b.passages / b.wall_s);
    printf("%-34s %12.2f\n", "indexing MB/s", mb / b.wall_s);
    printf("%-34s %12.3f\n", "index size / raw text", (double)b.index_bytes / (double)b.raw_bytes);
    printf("%-34s %12.3f\n", "bytes per posting (words)", kzb_build_bytes_per_posting(&b));
    printf("%-34s %12.3f\n", "word pairs' postings per word's",
           (double)b.pair_postings / (double)(b.postings ? b.postings : 1));
    printf("%-34s %12.2f\n", "indexing MB per CPU second", mb / b.cpu_s);
    printf("%-34s %12s %12s %18s %18s\n", "queries (k=10, 1 thread)", "QPS", "QPS per CPU s",
           "p50 / p99 ms", "CPU p50 / p99 ms");
    for (int m = 0; m < NRUNS; m++) {
        char label[64];
        snprintf(label, sizeof label, "  mode %s, fetch %s", runs[m].mode, runs[m].fetch);
        printf("%-34s %12.1f %12.1f %8.3f / %7.3f %8.3f / %7.3f\n", label, qs[m].qps, qs[m].cpu_qps,
               qs[m].p50_ms, qs[m].p99_ms, qs[m].cpu_p50_ms, qs[m].cpu_p99_ms);
    }
    printf("checksums:");
    for (int m = 0; m < NRUNS; m++)
        printf(" %s/%s %016llx", runs[m].mode, runs[m].fetch, (unsigned long long)qs[m].checksum);
    printf("\n");
    /* Whole hits and ids only come from the same ranking: their checksums must agree. */
    if (qs[0].checksum != qs[2].checksum || qs[1].checksum != qs[3].checksum)
        printf("WARNING: kz_search and the ids-only ranking returned different results\n");
    if (json) {
        FILE *j = fopen(json, "w");
        if (j == NULL) kzb_die("cannot write %s", json);
        fprintf(j,
                "{\"env\":%s,\"params\":{\"passages\":%llu,\"seed\":%llu,\"queries\":%u,"
                "\"repeat\":%u},\n\"build\":",
                kzb_env_json(), (unsigned long long)g.passages, (unsigned long long)g.seed,
                g.nqueries, repeat);
        kzb_build_json(&b, j);
        fprintf(j, ",\n\"query\":[%s],\n\"micro\":%s}\n", qjson, mjson);
        fclose(j);
        printf("JSON report: %s\n", json);
    }
    free(qjson);
    free(mjson);
    free(corpus);
    free(index);
    free(queries);
    return 0;
}

int kzb_cmd_oneshot(int argc, char **argv)
{
    const char *kzsearch = NULL, *index = NULL, *queries = NULL, *json_path = NULL;
    unsigned repeat = 3;
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (opt(argc, argv, &i, "--kzsearch", &v))
            kzsearch = v;
        else if (opt(argc, argv, &i, "--index", &v))
            index = v;
        else if (opt(argc, argv, &i, "--queries", &v))
            queries = v;
        else if (opt(argc, argv, &i, "--repeat", &v))
            repeat = (unsigned)num("--repeat", v);
        else if (opt(argc, argv, &i, "--json", &v))
            json_path = v;
        else
            usage();
    }
    if (!kzsearch || !index || !queries) usage();
    FILE *json = NULL;
    if (json_path && (json = fopen(json_path, "a")) == NULL) kzb_die("cannot write %s", json_path);
    int rc = kzb_oneshot_run(kzsearch, index, queries, repeat, json);
    if (json) fclose(json);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) usage();
    if (!strcmp(argv[1], "gen")) return kzb_cmd_gen(argc, argv);
    if (!strcmp(argv[1], "build")) return kzb_cmd_build(argc, argv);
    if (!strcmp(argv[1], "query")) return kzb_cmd_query(argc, argv);
    if (!strcmp(argv[1], "micro")) return kzb_cmd_micro(argc, argv);
    if (!strcmp(argv[1], "suite")) return kzb_cmd_suite(argc, argv);
    if (!strcmp(argv[1], "oneshot")) return kzb_cmd_oneshot(argc, argv);
    usage();
}
