/* cmd_analyze.c - `kzsearch analyze`: shows the tokens the index would store for a text.
 *
 * usage: kzsearch analyze [--json] [--query] [--no-t2s] [--strict] [--dict FILE] [TEXT...|-]
 * Several TEXT arguments are joined with single spaces into one text (offsets are into that
 * text); no TEXT or "-" reads standard input. Plain output is one token a line:
 * position, term, start-end byte offsets and script, tab-separated. --json prints one JSON object
 * a line with the fields term, position, start, end and script. Exit status: 0 when there was a
 * token, 1 when none, 2 on error. */
#include "commands.h"
#include "json.h"
#include "kzsearch.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char analyze_usage[] =
    "usage: kzsearch analyze [OPTIONS] [TEXT...|-]\n"
    "Prints the tokens of TEXT (or of standard input) as the index stores them.\n"
    "  --json       one JSON object per token: term, position, start, end, script\n"
    "  --query      segment Chinese as for query words (precise mode)\n"
    "  --no-t2s     do not convert Traditional Chinese to Simplified\n"
    "  --strict     fail on invalid UTF-8 instead of replacing it\n"
    "  --dict FILE  compiled Chinese dictionary to segment with\n"
    "  -h, --help   this help\n";

typedef struct print_ctx {
    int json;
    unsigned long count;
} print_ctx;

static int print_token(void *ctx, const kz_token *t)
{
    print_ctx *pc = ctx;
    pc->count++;
    if (pc->json) {
        fputs("{\"term\":", stdout);
        kz_json_string(stdout, t->term, t->term_len);
        printf(",\"position\":%u,\"start\":%zu,\"end\":%zu,\"script\":\"%s\"}\n", t->position,
               t->start, t->end, kz_script_name(t->script));
    } else {
        printf("%u\t%.*s\t%zu-%zu\t%s\n", t->position, (int)t->term_len, t->term, t->start, t->end,
               kz_script_name(t->script));
    }
    return 0;
}

/* Reads all of standard input into a malloc'd buffer. NULL on failure (message printed). */
static char *read_stdin(size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        size_t got = fread(buf + n, 1, cap - n, stdin);
        n += got;
        if (got == 0) break;
        if (n == cap) {
            char *p = realloc(buf, cap * 2);
            if (p == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = p;
            cap *= 2;
        }
    }
    if (buf == NULL) {
        fputs("kzsearch analyze: out of memory reading standard input\n", stderr);
        return NULL;
    }
    if (ferror(stdin)) {
        perror("kzsearch analyze: cannot read standard input");
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

static char *join_args(int n, char **args, size_t *len)
{
    size_t total = 0;
    for (int i = 0; i < n; i++) total += strlen(args[i]) + 1;
    char *buf = malloc(total + 1);
    if (buf == NULL) {
        fputs("kzsearch analyze: out of memory\n", stderr);
        return NULL;
    }
    size_t k = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0) buf[k++] = ' ';
        size_t l = strlen(args[i]);
        memcpy(buf + k, args[i], l);
        k += l;
    }
    buf[k] = '\0';
    *len = k;
    return buf;
}

int kz_cmd_analyze(int argc, char **argv)
{
    enum { OPT_QUERY = 256, OPT_NO_T2S, OPT_STRICT, OPT_DICT };
    static const struct option longopts[] = {
        {"json", no_argument, NULL, 'j'},
        {"query", no_argument, NULL, OPT_QUERY},
        {"no-t2s", no_argument, NULL, OPT_NO_T2S},
        {"strict", no_argument, NULL, OPT_STRICT},
        {"dict", required_argument, NULL, OPT_DICT},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    kz_analyzer_options opts = KZ_ANALYZER_OPTIONS_INIT;
    print_ctx pc = {0, 0};
    int c;
    optind = 1; /* argv[0] is "analyze"; getopt permutes so options may follow the text */
    opterr = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j':
            pc.json = 1;
            break;
        case OPT_QUERY:
            opts.query_mode = 1;
            break;
        case OPT_NO_T2S:
            opts.no_t2s = 1;
            break;
        case OPT_STRICT:
            opts.utf8_policy = KZ_UTF8_REJECT;
            break;
        case OPT_DICT:
            opts.zh_dict = optarg;
            break;
        case 'h':
            fputs(analyze_usage, stdout);
            return KZ_EXIT_FOUND;
        default:
            fputs(analyze_usage, stderr);
            return KZ_EXIT_ERROR;
        }
    }
    size_t len = 0;
    char *text;
    int nargs = argc - optind;
    if (nargs == 0 || (nargs == 1 && strcmp(argv[optind], "-") == 0))
        text = read_stdin(&len);
    else
        text = join_args(nargs, argv + optind, &len);
    if (text == NULL) return KZ_EXIT_ERROR;

    kz_analyzer *a = NULL;
    int rc = kz_analyzer_new(&a, &opts);
    if (rc == KZ_OK) rc = kz_analyze(a, text, len, print_token, &pc);
    kz_analyzer_free(a);
    free(text);
    if (fflush(stdout) != 0 && rc == KZ_OK) {
        perror("kzsearch analyze: cannot write the tokens");
        return KZ_EXIT_ERROR;
    }
    if (rc < 0) {
        fprintf(stderr, "kzsearch analyze: %s\n", kz_errmsg());
        return KZ_EXIT_ERROR;
    }
    return pc.count > 0 ? KZ_EXIT_FOUND : KZ_EXIT_NONE;
}
