/* cmd_stats.c - `kzsearch stats [--json]` (the index's size and statistics) and `kzsearch check`
 * (verifies every checksum and structure; exit 0 when sound, 2 with the damage named). */
#include "commands.h"
#include "common.h"
#include "json.h"
#include "kzsearch.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static int index_option(int argc, char **argv, const char *usage, int *json, char **dir)
{
    static const struct option longopts[] = {{"index", required_argument, NULL, 'i'},
                                             {"json", no_argument, NULL, 'j'},
                                             {NULL, 0, NULL, 0}};
    const char *index_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (c == 'i')
            index_opt = optarg;
        else if (c == 'j' && json)
            *json = 1;
        else
            return kz_cli_usage_error("usage: %s", usage);
    }
    if (optind < argc) return kz_cli_usage_error("usage: %s", usage);
    *dir = kz_cli_index_dir(index_opt);
    return *dir ? 0 : KZ_EXIT_ERROR;
}

int kz_cmd_stats(int argc, char **argv)
{
    int json = 0;
    char *dir = NULL; /* set by index_option unless it fails */
    int bad = index_option(argc, argv, "kzsearch stats [--json] [--index DIR]", &json, &dir);
    if (bad) return bad;
    kz_index *ix = NULL;
    kz_index_stats st;
    int status = KZ_EXIT_ERROR;
    if (kz_index_open(&ix, dir) != KZ_OK || kz_index_stats_get(&st, ix) != KZ_OK) {
        kz_cli_fail(NULL);
        goto done;
    }
    if (json) {
        fputs("{", stdout);
        kz_json_field_str(stdout, "index", dir);
        printf(",\"documents\":%llu,\"passages\":%llu,\"terms\":%llu,\"word_pairs\":%llu,"
               "\"tokens\":%llu,\"avg_passage_len\":%.3f,\"segments\":%u,\"bytes\":%llu,"
               "\"generation\":%llu}\n",
               (unsigned long long)st.documents, (unsigned long long)st.passages,
               (unsigned long long)st.terms, (unsigned long long)st.word_pairs,
               (unsigned long long)st.tokens, st.avg_passage_len, st.segments,
               (unsigned long long)st.bytes, (unsigned long long)st.generation);
    } else {
        printf("index        %s\n"
               "documents    %llu\n"
               "passages     %llu\n"
               "terms        %llu (summed over segments)\n"
               "word pairs   %llu (for phrases; summed over segments)\n"
               "tokens       %llu (%.1f per passage)\n"
               "segments     %u\n"
               "size         %.2f MB\n"
               "generation   %llu\n",
               dir, (unsigned long long)st.documents, (unsigned long long)st.passages,
               (unsigned long long)st.terms, (unsigned long long)st.word_pairs,
               (unsigned long long)st.tokens, st.avg_passage_len, st.segments,
               (double)st.bytes / 1e6, (unsigned long long)st.generation);
    }
    status = KZ_EXIT_FOUND;
done:
    kz_index_close(ix);
    free(dir);
    return status;
}

int kz_cmd_check(int argc, char **argv)
{
    char *dir = NULL; /* set by index_option unless it fails */
    int bad = index_option(argc, argv, "kzsearch check [--index DIR]", NULL, &dir);
    if (bad) return bad;
    int status = KZ_EXIT_FOUND;
    if (kz_index_check(dir) != KZ_OK)
        status = kz_cli_fail("check failed");
    else
        printf("%s: ok\n", dir);
    free(dir);
    return status;
}
