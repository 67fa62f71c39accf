/* oneshot.c - `kzbench oneshot`: what a user waits for when typing `kzsearch QUERY`, a whole
 * process a query: start-up (loading the program and its libraries), opening the index, the
 * query, printing its hits, exit.
 *
 * Method: for each query of the file (category<TAB>query), `repeat` times, kzsearch is spawned
 * as `kzsearch --index DIR --json -- QUERY` (the bare words in mode or, as the command line's
 * default) with its output to /dev/null, after one warm-up pass over the file. The wall time is
 * the monotonic clock around spawn and wait; the CPU time (user + system) and the minor page
 * faults are the child's own (wait4's resource usage). A process that exits with 2 (an error)
 * stops the run with its query; 0 and 1 (hits, none) count the same. Percentiles are per
 * category, as `kzbench query`'s. */
#include "bench.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

typedef struct sample {
    double wall, cpu, faults;
} sample;

/* Runs kzsearch once on query q; fills *out. */
static void spawn_one(const char *kzsearch, const char *index, const char *q, sample *out)
{
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0 ||
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0) != 0)
        kzb_die("oneshot: cannot set up the child's output");
    char *argv[] = {(char *)kzsearch, "--index", (char *)index, "--json", "--", (char *)q, NULL};
    double t0 = kzb_now();
    pid_t pid;
    int rc = posix_spawn(&pid, kzsearch, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) kzb_die("oneshot: cannot run %s: %s", kzsearch, strerror(rc));
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid) kzb_die("oneshot: lost the child of %s", kzsearch);
    out->wall = kzb_now() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) > 1)
        kzb_die("oneshot: `%s --index %s --json -- '%s'` failed (status %d): run it to see why",
                kzsearch, index, q, status);
    out->cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
               (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
    out->faults = (double)ru.ru_minflt;
}

static void print_row(FILE *j, const char *cat, sample *v, size_t n, int *first)
{
    double *wall = malloc((n + 1) * sizeof *wall), *cpu = malloc((n + 1) * sizeof *cpu),
           *flt = malloc((n + 1) * sizeof *flt);
    if (!wall || !cpu || !flt) kzb_die("out of memory");
    for (size_t i = 0; i < n; i++) wall[i] = v[i].wall, cpu[i] = v[i].cpu, flt[i] = v[i].faults;
    kzb_sort_doubles(wall, n);
    kzb_sort_doubles(cpu, n);
    kzb_sort_doubles(flt, n);
    printf("%-8s %6zu %9.2f %9.2f %9.2f %9.2f %9.0f\n", cat, n, kzb_pct(wall, n, 50) * 1e3,
           kzb_pct(wall, n, 99) * 1e3, kzb_pct(cpu, n, 50) * 1e3, kzb_pct(cpu, n, 99) * 1e3,
           kzb_pct(flt, n, 50));
    if (j)
        fprintf(j,
                "%s\"%s\":{\"n\":%zu,\"wall_p50_ms\":%.3f,\"wall_p99_ms\":%.3f,"
                "\"cpu_p50_ms\":%.3f,\"cpu_p99_ms\":%.3f,\"faults_p50\":%.0f}",
                *first ? "" : ",", cat, n, kzb_pct(wall, n, 50) * 1e3, kzb_pct(wall, n, 99) * 1e3,
                kzb_pct(cpu, n, 50) * 1e3, kzb_pct(cpu, n, 99) * 1e3, kzb_pct(flt, n, 50));
    *first = 0;
    free(wall);
    free(cpu);
    free(flt);
}

int kzb_oneshot_run(const char *kzsearch, const char *index, const char *queries, unsigned repeat,
                    FILE *json)
{
    kzb_qline *q;
    size_t nq;
    char cats[KZB_MAX_CATS][32];
    int ncats = 0;
    kzb_load_queries(queries, &q, &nq, cats, &ncats);
    if (repeat == 0) repeat = 1;
    sample warm;
    for (size_t i = 0; i < nq; i++) spawn_one(kzsearch, index, q[i].text, &warm);
    sample *all = malloc(nq * repeat * sizeof *all), *mine = malloc(nq * repeat * sizeof *mine);
    if (!all || !mine) kzb_die("out of memory");
    for (unsigned r = 0; r < repeat; r++)
        for (size_t i = 0; i < nq; i++) spawn_one(kzsearch, index, q[i].text, &all[r * nq + i]);
    printf("kzbench oneshot: %s --index %s, %zu queries x %u (after a warm-up pass)\n", kzsearch,
           index, nq, repeat);
    printf("%-8s %6s %9s %9s %9s %9s %9s\n", "category", "n", "wall_p50", "wall_p99", "cpu_p50",
           "cpu_p99", "faults");
    if (json) {
        fprintf(json, "{\"kind\":\"oneshot\",\"env\":%s,\"queries\":", kzb_env_json());
        kzb_json_str(json, queries);
        fprintf(json, ",\"repeat\":%u,\"cats\":{", repeat);
    }
    int first = 1;
    for (int c = 0; c <= ncats; c++) {
        size_t n = 0;
        for (size_t k = 0; k < nq * repeat; k++)
            if (c == ncats || q[k % nq].cat_index == c) mine[n++] = all[k];
        print_row(json, c == ncats ? "all" : cats[c], mine, n, &first);
    }
    if (json) fprintf(json, "}}\n");
    printf("(milliseconds a process; faults: minor page faults a process, median)\n%s\n",
           kzb_env_line());
    for (size_t i = 0; i < nq; i++) free(q[i].text);
    free(q);
    free(all);
    free(mine);
    return 0;
}
