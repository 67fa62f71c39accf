/* bench.h - the map of kzbench: shared helpers (clock, statistics, machine description, JSON
 * output, result checksum) and the entry point of each subcommand.
 *
 * Invariants every subcommand keeps, so that its figures can be trusted: time is read from the
 * monotonic clock only; every measured query or micro-benchmark operation produces a value that
 * is folded into a checksum which is printed, so the compiler cannot drop the work; reports
 * name the machine, the build type and the git revision they were measured with. */
#ifndef KZ_BENCH_H
#define KZ_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- util.c: clock, memory, machine, JSON, checksum ---- */

/* Seconds on the monotonic clock. */
double kzb_now(void);

/* CPU seconds used by the calling thread, and by the whole process (user + system). On a shared
 * machine wall time includes waiting for a core; CPU time does not, so reports give both. */
double kzb_thread_cpu(void);
double kzb_process_cpu(void);

/* Peak resident set size of this process in KiB. */
long kzb_peak_rss_kb(void);

/* Bytes of a file, or of every file under a directory. */
uint64_t kzb_path_bytes(const char *path);

/* Prints a message and exits with status 1 (a benchmark has nothing to recover). */
void kzb_die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The machine (CPU model, cores, memory, kernel), the build type and the git revision as a
 * JSON object text ("{...}") and as one human line. Static storage, filled on first call. */
const char *kzb_env_json(void);
const char *kzb_env_line(void);

/* Writes s as a JSON string literal (quotes included). */
void kzb_json_str(FILE *f, const char *s);

/* FNV-1a 64 folding: the checksum that keeps measured work observable. */
#define KZB_FNV_INIT 1469598103934665603ull
uint64_t kzb_fold(uint64_t h, const void *p, size_t n);
uint64_t kzb_fold_u64(uint64_t h, uint64_t v);
uint64_t kzb_fold_double(uint64_t h, double v);

/* Nearest-rank percentile p (0..100) of sorted v[0..n) (0 when n == 0): the peers' definition. */
double kzb_pct(const double *v, size_t n, double p);
void kzb_sort_doubles(double *v, size_t n);

/* A deterministic generator (splitmix64 seeding xoshiro256**). */
typedef struct kzb_rng {
    uint64_t s[4];
} kzb_rng;
void kzb_rng_seed(kzb_rng *r, uint64_t seed);
uint64_t kzb_rng_next(kzb_rng *r);
/* Uniform in [0, n) (n >= 1), and uniform in [0, 1). */
uint64_t kzb_rng_below(kzb_rng *r, uint64_t n);
double kzb_rng_unit(kzb_rng *r);

/* ---- queries.c: query files ---- */

#define KZB_MAX_CATS 32

/* One query: its category (pointing into the cats table of kzb_load_queries), the category's
 * index there, and its text (owned: free each text, then the array). */
typedef struct kzb_qline {
    char *cat, *text;
    int cat_index;
    int and_mode; /* left for the caller (kzbench query's --mode) */
} kzb_qline;

/* Reads path's queries into *out (*n of them, at least one) and its categories, in order of
 * first appearance, into cats (*ncats of them, which starts at 0). Dies with a message on error. */
void kzb_load_queries(const char *path, kzb_qline **out, size_t *n, char cats[KZB_MAX_CATS][32],
                      int *ncats);

/* ---- query.c: query-file runner shared by `query` and `suite` ---- */

typedef struct kzb_query_opts {
    const char *index, *queries, *json, *label, *results;
    unsigned k, threads, repeat;
    const char *mode;      /* "auto", "or", "and" */
    const char *algorithm; /* "auto", "exhaustive", "maxscore", "bmw" */
    const char *fetch;     /* "hits": kz_search, whole hits with snippets; "ids": rank.c */
    int quiet;             /* no table on stdout */
    unsigned slowest;      /* list this many queries with the largest median CPU time */
} kzb_query_opts;

#define KZB_QUERY_OPTS_INIT                                                                        \
    {                                                                                              \
        NULL, NULL, NULL, "", NULL, 10, 1, 1, "auto", "auto", "hits", 0, 0                         \
    }

/* Summary of one run, for the suite's report. */
typedef struct kzb_query_summary {
    double qps, wall_s, p50_ms, p95_ms, p99_ms;
    double cpu_qps, cpu_p50_ms, cpu_p99_ms; /* the same from CPU time */
    uint64_t checksum;
    size_t nqueries, errors;
} kzb_query_summary;

int kzb_query_run(const kzb_query_opts *o, kzb_query_summary *sum, FILE *json_extra);

/* ---- build.c ---- */

typedef struct kzb_build_summary {
    uint64_t passages, raw_bytes, index_bytes, postings, tokens; /* postings, tokens: of words */
    uint64_t pairs, pair_postings, pair_occurrences; /* word pair terms (common/pairs.h) */
    uint64_t pair_doc_bytes, pair_pos_bytes;         /* their share of postings, positions */
    double wall_s, optimize_s, cpu_s; /* cpu_s: CPU time of the build (with optimize) */
    long peak_rss_kb;
    uint64_t component[11]; /* bytes by section kind (KZ_SEC_COUNT, segment_format.h); [0] other */
    uint32_t segments;
} kzb_build_summary;

/* pair_min_df: kz_writer_options.pair_min_df. */
int kzb_build_run(const char *corpus, const char *index, int optimize, size_t memory_mb,
                  uint32_t pair_min_df, kzb_build_summary *out);
/* Prints the build table and, when json is not NULL, the build's JSON object text. */
void kzb_build_print(const kzb_build_summary *s, FILE *out);
/* Bytes per posting of the words' lists (the word pairs' lists are reported apart). */
double kzb_build_bytes_per_posting(const kzb_build_summary *s);
void kzb_build_json(const kzb_build_summary *s, FILE *json);

/* ---- gen.c ---- */

typedef struct kzb_gen_opts {
    const char *out_dir;
    uint64_t passages, seed;
    unsigned nqueries;
    double zh_share;     /* fraction of passages in Chinese */
    const char *zh_dict; /* jieba dict.txt giving the Chinese vocabulary */
} kzb_gen_opts;

int kzb_gen_run(const kzb_gen_opts *o);

/* ---- micro.c ---- */

/* Runs the micro-benchmarks (index: an index to draw real terms from, corpus: a collection whose
 * passages the analysis and snippet benchmarks use; either may be NULL); prints a table
 * and, when json is not NULL, writes a JSON array of {name, unit, rate}. */
int kzb_micro_run(const char *index, const char *corpus, double seconds, FILE *json);

/* ---- subcommands ---- */
int kzb_cmd_gen(int argc, char **argv);
int kzb_cmd_build(int argc, char **argv);
int kzb_cmd_query(int argc, char **argv);
int kzb_cmd_micro(int argc, char **argv);
int kzb_cmd_suite(int argc, char **argv);
int kzb_cmd_oneshot(int argc, char **argv);

/* ---- oneshot.c: whole kzsearch processes, one a query ---- */

/* Spawns the kzsearch program at path kzsearch on each query of the file, repeat times after a
 * warm-up pass, and prints (and writes to json, when not NULL) wall and CPU time and page faults
 * a process, per category. Dies with a message if a process fails. */
int kzb_oneshot_run(const char *kzsearch, const char *index, const char *queries, unsigned repeat,
                    FILE *json);

#endif
