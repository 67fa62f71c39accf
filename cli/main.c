/* main.c - the kzsearch command-line tool: dispatches to a subcommand, or searches when the first
 * argument is not a subcommand's name.
 *
 * Exit status follows grep: 0 something found, 1 nothing found, 2 error (message on stderr). */
#include "commands.h"
#include "kzsearch.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: kzsearch [search] [OPTIONS] QUERY   search the index (kzsearch search --help)\n"
    "       kzsearch index PATH...              index files and directories (incremental)\n"
    "       kzsearch analyze [--json] [TEXT]    show the tokens of a text\n"
    "       kzsearch stats [--json]             sizes and statistics of the index\n"
    "       kzsearch check                      verify every checksum of the index\n"
    "       kzsearch optimize                   merge the index into one segment\n"
    "       kzsearch --help | --version\n"
    "Every command takes --index DIR (default: $KZSEARCH_INDEX, else\n"
    "$XDG_DATA_HOME/kzsearch, else ~/.local/share/kzsearch).\n"
    "Query syntax: words (any, ranked by BM25; --and: all required), \"exact phrase\",\n"
    "+required, -excluded, AND, OR, NOT, (groups), prefix*, date:2022-01-06,\n"
    "date:>=2022-01-08, date:2022-01, doc:NAME, lang:zh. Quote a query holding -word.\n"
    "Search options: kzsearch search --help.\n"
    "Exit status: 0 found, 1 nothing found, 2 error.\n";

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} command;

static const command commands[] = {
    {"search", kz_cmd_search},
    {"analyze", kz_cmd_analyze},
    {"index", kz_cmd_index},
    {"optimize", kz_cmd_optimize},
    {"stats", kz_cmd_stats},
    {"check", kz_cmd_check},
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return KZ_EXIT_ERROR;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, stdout);
        return KZ_EXIT_FOUND;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("kzsearch %s\n", kz_version());
        return KZ_EXIT_FOUND;
    }
    /* The command is the first word that is not an option or an option's value, so that
     * `kzsearch --index DIR stats` works; its options may come before or after it. */
    static const char *const with_value[] = {
        "--index", "-k", "--top", "--offset", "--algorithm", "--k1", "--b", "--memory", NULL};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) break;
        if (a[0] == '-' && a[1] != '\0') {
            for (int k = 0; with_value[k]; k++)
                if (strcmp(a, with_value[k]) == 0) i++;
            continue;
        }
        for (const command *c = commands; c->name != NULL; c++) {
            if (strcmp(a, c->name) != 0) continue;
            /* argv without the command word, the command name in its place as argv[0] */
            memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof *argv);
            argv[1] = argv[0];
            return c->run(argc - 1, argv + 1);
        }
        break; /* the first word is a query word: search */
    }
    return kz_cmd_search(argc, argv);
}
