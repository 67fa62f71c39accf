/* cmd_index.c - `kzsearch index [OPTIONS] PATH...`: builds or updates the index from files and
 * directories (incrementally: unchanged files are skipped, changed ones re-indexed, deleted ones
 * removed), with a progress line on a terminal and a one-line summary. Also `kzsearch
 * optimize`, which merges the index into one segment. */
#define _GNU_SOURCE /* nftw with FTW_ACTIONRETVAL, to skip hidden directories */
#include "commands.h"
#include "common.h"
#include "kzsearch.h"

#include <ftw.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct progress {
    int tty;
    uint64_t total_bytes; /* of the paths given, for the ETA */
    double start, last;
    int shown;
    uint64_t warnings;
    kz_add_report report; /* the latest report of the current path */
} progress;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t walk_total;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    if (base[0] == '.' && base[1] != '\0' && strcmp(base, "..") != 0)
        return flag == FTW_D ? FTW_SKIP_SUBTREE : 0;
    if (flag == FTW_F) walk_total += (uint64_t)st->st_size;
    return 0;
}

static void on_progress(void *ctx, const kz_add_report *r, const char *warning)
{
    progress *p = ctx;
    if (warning) {
        if (p->shown) fputs("\r\033[K", stderr);
        fprintf(stderr, "kzsearch: warning: %s\n", warning);
        p->shown = 0;
        p->warnings++;
        return;
    }
    p->report = *r;
    if (!p->tty) return;
    double t = now();
    if (t - p->last < 0.1) return;
    p->last = t;
    double mb = (double)r->bytes_read / 1e6, secs = t - p->start;
    double rate = secs > 0 ? mb / secs : 0;
    fprintf(stderr, "\r\033[K%llu files  %.1f MB  %.1f MB/s", (unsigned long long)r->files_seen, mb,
            rate);
    if (p->total_bytes > r->bytes_read && rate > 0)
        fprintf(stderr, "  ETA %.0f s", ((double)(p->total_bytes - r->bytes_read) / 1e6) / rate);
    p->shown = 1;
}

static const char usage[] =
    "usage: kzsearch index [--index DIR] [--memory MB] [--no-merge] PATH...\n"
    "Indexes text files (.txt, .md, any text) and JSON Lines (.jsonl) under each PATH;\n"
    "indexing again updates the index incrementally.\n";

int kz_cmd_index(int argc, char **argv)
{
    enum { OPT_INDEX = 256, OPT_MEMORY, OPT_NO_MERGE };
    static const struct option longopts[] = {{"index", required_argument, NULL, OPT_INDEX},
                                             {"memory", required_argument, NULL, OPT_MEMORY},
                                             {"no-merge", no_argument, NULL, OPT_NO_MERGE},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    kz_writer_options wopts = KZ_WRITER_OPTIONS_INIT;
    const char *index_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_INDEX:
            index_opt = optarg;
            break;
        case OPT_MEMORY: {
            char *end;
            unsigned long mb = strtoul(optarg, &end, 10);
            if (*optarg == '\0' || *end != '\0' || mb < 16 || mb > 1048576)
                return kz_cli_usage_error("--memory takes megabytes from 16 to 1048576");
            wopts.memory_budget = (size_t)mb << 20;
            break;
        }
        case OPT_NO_MERGE:
            wopts.no_merge = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return KZ_EXIT_FOUND;
        case ':':
            return kz_cli_usage_error("option %s needs a value", argv[optind - 1]);
        default:
            return kz_cli_usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return KZ_EXIT_ERROR;
    }
    char *dir = kz_cli_index_dir(index_opt);
    if (dir == NULL) return KZ_EXIT_ERROR;
    progress p = {0};
    p.tty = isatty(STDERR_FILENO);
    p.start = p.last = now();
    if (p.tty) {
        walk_total = 0;
        for (int i = optind; i < argc; i++)
            nftw(argv[i], add_size, 32, FTW_PHYS | FTW_ACTIONRETVAL);
        p.total_bytes = walk_total;
    }
    kz_writer *w = NULL;
    int status = KZ_EXIT_ERROR;
    if (kz_writer_open(&w, dir, &wopts) != KZ_OK) {
        kz_cli_fail(NULL);
        goto done;
    }
    kz_add_report total = {0};
    for (int i = optind; i < argc; i++) {
        memset(&p.report, 0, sizeof p.report);
        if (kz_writer_add_path(w, argv[i], on_progress, &p) != KZ_OK) {
            if (p.shown) fputs("\r\033[K", stderr);
            kz_cli_fail(argv[i]);
            goto done;
        }
        total.files_seen += p.report.files_seen;
        total.files_added += p.report.files_added;
        total.files_updated += p.report.files_updated;
        total.files_unchanged += p.report.files_unchanged;
        total.files_removed += p.report.files_removed;
        total.files_skipped += p.report.files_skipped;
        total.bytes_read += p.report.bytes_read;
        total.passages += p.report.passages;
    }
    if (kz_writer_commit(w) != KZ_OK) {
        if (p.shown) fputs("\r\033[K", stderr);
        kz_cli_fail("commit failed; the index keeps its previous state");
        goto done;
    }
    if (p.shown) fputs("\r\033[K", stderr);
    double secs = now() - p.start;
    fprintf(stderr,
            "kzsearch: indexed %s: %llu files (%llu added, %llu updated, %llu removed, %llu "
            "unchanged, %llu skipped), %llu passages, %.1f MB in %.2f s (%.1f MB/s)\n",
            dir, (unsigned long long)total.files_seen, (unsigned long long)total.files_added,
            (unsigned long long)total.files_updated, (unsigned long long)total.files_removed,
            (unsigned long long)total.files_unchanged, (unsigned long long)total.files_skipped,
            (unsigned long long)total.passages, (double)total.bytes_read / 1e6, secs,
            secs > 0 ? (double)total.bytes_read / 1e6 / secs : 0.0);
    status = KZ_EXIT_FOUND;
done:
    kz_writer_close(w);
    free(dir);
    return status;
}

int kz_cmd_optimize(int argc, char **argv)
{
    static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                             {NULL, 0, NULL, 0}};
    const char *index_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'i')
            index_opt = optarg;
        else
            return kz_cli_usage_error("usage: kzsearch optimize [--index DIR]");
    }
    char *dir = kz_cli_index_dir(index_opt);
    if (dir == NULL) return KZ_EXIT_ERROR;
    kz_writer *w = NULL;
    int status = KZ_EXIT_ERROR;
    if (kz_writer_open(&w, dir, NULL) != KZ_OK || kz_writer_optimize(w) != KZ_OK)
        kz_cli_fail(NULL);
    else
        status = KZ_EXIT_FOUND;
    kz_writer_close(w);
    free(dir);
    return status;
}
