/* cmd_search.c - `kzsearch [search] [OPTIONS] QUERY...`: runs a query on the index and prints
 * ranked passages for people (rank, score, file:line, date, title, highlighted snippet wrapped
 * to the terminal) or as JSON Lines (--json: one object per result, fields documented in the
 * README). Exit status: 0 results, 1 none, 2 error. */
#include "commands.h"
#include "common.h"
#include "json.h"
#include "kzsearch.h"

#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <utf8proc.h>

#define COLOR_PATH  "\033[35m"
#define COLOR_LINE  "\033[32m"
#define COLOR_MATCH "\033[1;31m"
#define COLOR_DIM   "\033[2m"
#define COLOR_OFF   "\033[0m"

static const char usage[] =
    "usage: kzsearch [search] [OPTIONS] QUERY...\n"
    "  -k, --top N          results to show (default 10)\n"
    "      --offset N       skip the first N results\n"
    "      --and            bare words are all required (default: any, ranked by BM25)\n"
    "      --docs           one result per document (its best passage)\n"
    "      --json           one JSON object per result per line\n"
    "      --explain        show how each score was computed\n"
    "      --algorithm A    exhaustive, maxscore, bmw or auto (default)\n"
    "      --k1 X, --b X    BM25 parameters (default 1.2 and 0.75)\n"
    "      --color[=WHEN]   auto (default), always or never; NO_COLOR is honoured\n"
    "      --index DIR      the index (default $KZSEARCH_INDEX or ~/.local/share/kzsearch)\n"
    "Query syntax: words (any, ranked), \"exact phrase\", +required, -excluded, AND, OR, NOT,\n"
    "(groups), prefix*, date:2022-01-06, date:>=2022-01-08, doc:NAME, lang:zh.\n"
    "QUERY '-' reads the query from standard input.\n";

/* Prints a path relative to the current directory when it is under it. */
static const char *display_path(const char *path, const char *cwd)
{
    size_t n = strlen(cwd);
    if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/') return path + n + 1;
    return path;
}

/* Decodes the character at text[i]; invalid bytes read as U+FFFD of length 1. */
static size_t next_char(const char *text, size_t len, size_t i, int32_t *cp)
{
    utf8proc_int32_t c;
    utf8proc_ssize_t n =
        utf8proc_iterate((const utf8proc_uint8_t *)text + i, (utf8proc_ssize_t)(len - i), &c);
    if (n <= 0) {
        *cp = 0xfffd;
        return 1;
    }
    *cp = c;
    return (size_t)n;
}

static int is_blank(int32_t cp)
{
    return cp == ' ' || cp == '\n' || cp == '\t' || cp == '\r';
}

static int char_width(int32_t cp)
{
    int w = is_blank(cp) ? 1 : utf8proc_charwidth(cp);
    return w < 0 ? 0 : w;
}

/* The end of the unbreakable unit starting at i: a run of narrow non-blank characters (a Latin
 * word), or one wide character (CJK text may break between any two characters). */
static size_t unit_end(const char *text, size_t len, size_t i, int *width)
{
    int32_t cp;
    size_t n = next_char(text, len, i, &cp);
    *width = char_width(cp);
    if (*width >= 2 || is_blank(cp)) return i + n;
    size_t j = i + n;
    while (j < len) {
        n = next_char(text, len, j, &cp);
        int w = char_width(cp);
        if (is_blank(cp) || w >= 2) break;
        *width += w;
        j += n;
    }
    return j;
}

/* Writes text[0..len) wrapped at width columns (display width, so CJK counts double) between
 * words, or between characters in CJK text; lines after the first start with indent spaces.
 * Bytes inside highlight ranges are coloured. Newlines and tabs in the text become spaces. */
static void print_wrapped(const char *text, size_t len, const kz_range *hl, size_t nhl, int color,
                          int width, int indent, int col)
{
    size_t h = 0;
    int in_match = 0;
    size_t i = 0;
    while (i < len) {
        int uw;
        size_t end = unit_end(text, len, i, &uw);
        int32_t first;
        next_char(text, len, i, &first);
        if (is_blank(first)) {
            if (in_match) { /* spaces between highlighted words stay plain */
                fputs(COLOR_OFF, stdout);
                in_match = 0;
            }
            if (col + 1 > width) { /* a space at the end of a line becomes the line break */
                if (in_match) fputs(COLOR_OFF, stdout);
                printf("\n%*s", indent, "");
                if (in_match) fputs(COLOR_MATCH, stdout);
                col = indent;
            } else if (col > indent) {
                putchar(' ');
                col++;
            }
            i = end;
            continue;
        }
        if (col + uw > width && col > indent) {
            if (in_match) fputs(COLOR_OFF, stdout);
            printf("\n%*s", indent, "");
            if (in_match) fputs(COLOR_MATCH, stdout);
            col = indent;
        }
        while (i < end) {
            int32_t cp;
            size_t n = next_char(text, len, i, &cp);
            while (h < nhl && hl[h].end <= i) h++;
            int match = h < nhl && hl[h].start <= i && i < hl[h].end;
            if (color && match != in_match) {
                fputs(match ? COLOR_MATCH : COLOR_OFF, stdout);
                in_match = match;
            }
            int w = char_width(cp);
            if (col + w > width && col > indent) { /* a word longer than the line */
                printf("\n%*s", indent, "");
                col = indent;
            }
            if (cp == 0xfffd && n == 1)
                fputs("\xef\xbf\xbd", stdout);
            else
                fwrite(text + i, 1, n, stdout);
            col += w;
            i += n;
        }
    }
    if (in_match) fputs(COLOR_OFF, stdout);
    putchar('\n');
}

static void print_explain_text(const kz_explain *e)
{
    printf("       BM25: N=%llu avgdl=%.2f dl=%u k1=%.2f b=%.2f\n", (unsigned long long)e->N,
           e->avgdl, e->dl, e->k1, e->b);
    for (size_t i = 0; i < e->nterms; i++) {
        const kz_term_explain *t = &e->terms[i];
        printf("       %-20s tf=%u df=%llu idf=%.4f score=%.4f\n", t->term, t->tf,
               (unsigned long long)t->df, t->idf, t->score);
    }
}

static void print_hit_text(const kz_hit *h, size_t rank, int color, int width, const char *cwd)
{
    const char *path = display_path(h->doc, cwd);
    printf("%2zu. %s%.2f%s  %s%s%s:%s%u%s", rank, color ? COLOR_DIM : "", h->score,
           color ? COLOR_OFF : "", color ? COLOR_PATH : "", path, color ? COLOR_OFF : "",
           color ? COLOR_LINE : "", h->line, color ? COLOR_OFF : "");
    if (*h->date) printf("  %s", h->date);
    if (*h->title) printf("  %s", h->title);
    putchar('\n');
    int indent = 4;
    printf("%*s", indent, "");
    int col = indent;
    if (h->snippet_offset > 0) {
        fputs("…", stdout);
        col++;
    }
    size_t len = h->snippet_len;
    print_wrapped(h->snippet, len, h->highlights, h->nhighlights, color, width - 1, indent, col);
    if (h->snippet_offset + h->snippet_len < h->text_len) {
        /* print_wrapped ended the line; mark the cut on the line before the next result */
        printf("%*s…\n", indent, "");
    }
    if (h->explain) print_explain_text(h->explain);
}

/* Ranges of s, as offsets into the string a JSON reader decodes (see kz_json_decoded_offset). */
static void print_ranges(const kz_range *r, size_t n, const char *s, size_t len)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s[%zu,%zu]", i ? "," : "", kz_json_decoded_offset(s, len, r[i].start),
               kz_json_decoded_offset(s, len, r[i].end));
    putchar(']');
}

static void print_hit_json(const kz_hit *h, size_t rank)
{
    printf("{\"rank\":%zu,\"score\":%.6f,", rank, h->score);
    kz_json_field_str(stdout, "doc", h->doc);
    printf(",\"line\":%u,\"passage\":%llu,\"start\":%llu,\"end\":%llu,", h->line,
           (unsigned long long)h->passage, (unsigned long long)h->start,
           (unsigned long long)h->end);
    kz_json_field_str(stdout, "title", h->title);
    putchar(',');
    kz_json_field_str(stdout, "date", h->date);
    putchar(',');
    kz_json_field_str(stdout, "lang", h->lang);
    fputs(",\"snippet\":", stdout);
    kz_json_string(stdout, h->snippet, h->snippet_len);
    fputs(",\"highlights\":", stdout);
    print_ranges(h->highlights, h->nhighlights, h->snippet, h->snippet_len);
    fputs(",\"text\":", stdout);
    kz_json_string(stdout, h->text, h->text_len);
    fputs(",\"text_highlights\":", stdout);
    print_ranges(h->text_highlights, h->ntext_highlights, h->text, h->text_len);
    if (h->explain) {
        const kz_explain *e = h->explain;
        printf(",\"explain\":{\"N\":%llu,\"avgdl\":%.6f,\"dl\":%u,\"k1\":%g,\"b\":%g,\"terms\":[",
               (unsigned long long)e->N, e->avgdl, e->dl, e->k1, e->b);
        for (size_t i = 0; i < e->nterms; i++) {
            const kz_term_explain *t = &e->terms[i];
            printf("%s{", i ? "," : "");
            kz_json_field_str(stdout, "term", t->term);
            printf(",\"tf\":%u,\"df\":%llu,\"idf\":%.6f,\"score\":%.6f}", t->tf,
                   (unsigned long long)t->df, t->idf, t->score);
        }
        fputs("]}", stdout);
    }
    fputs("}\n", stdout);
}

/* Parses a whole number from min to 100000 (the most results a search may ask for). */
static int parse_uint(const char *s, uint32_t *out, const char *what, unsigned long min)
{
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v > 100000 || v < min || *s == '-')
        return kz_cli_usage_error("%s must be a whole number from %lu to 100000, not '%s'", what,
                                  min, s);
    *out = (uint32_t)v;
    return 0;
}

static int parse_double(const char *s, double *out, const char *what)
{
    char *end;
    double v = strtod(s, &end);
    if (*s == '\0' || *end != '\0' || !(v >= 0))
        return kz_cli_usage_error("%s must be a number >= 0, not '%s'", what, s);
    *out = v;
    return 0;
}

int kz_cmd_search(int argc, char **argv)
{
    enum {
        OPT_AND = 256,
        OPT_DOCS,
        OPT_JSON,
        OPT_EXPLAIN,
        OPT_ALGO,
        OPT_K1,
        OPT_B,
        OPT_COLOR,
        OPT_INDEX,
        OPT_OFFSET
    };
    static const struct option longopts[] = {{"top", required_argument, NULL, 'k'},
                                             {"offset", required_argument, NULL, OPT_OFFSET},
                                             {"and", no_argument, NULL, OPT_AND},
                                             {"docs", no_argument, NULL, OPT_DOCS},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"explain", no_argument, NULL, OPT_EXPLAIN},
                                             {"algorithm", required_argument, NULL, OPT_ALGO},
                                             {"k1", required_argument, NULL, OPT_K1},
                                             {"b", required_argument, NULL, OPT_B},
                                             {"color", optional_argument, NULL, OPT_COLOR},
                                             {"colour", optional_argument, NULL, OPT_COLOR},
                                             {"index", required_argument, NULL, OPT_INDEX},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    kz_search_options opts = KZ_SEARCH_OPTIONS_INIT;
    int json = 0;
    const char *color_when = NULL, *index_opt = NULL;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":k:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'k':
            if (parse_uint(optarg, &opts.k, "-k", 1)) return KZ_EXIT_ERROR;
            break;
        case OPT_OFFSET:
            if (parse_uint(optarg, &opts.offset, "--offset", 0)) return KZ_EXIT_ERROR;
            break;
        case OPT_AND:
            opts.default_and = 1;
            break;
        case OPT_DOCS:
            opts.group_by_doc = 1;
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_EXPLAIN:
            opts.explain = 1;
            break;
        case OPT_ALGO:
            if (strcmp(optarg, "auto") == 0)
                opts.algorithm = KZ_ALGO_AUTO;
            else if (strcmp(optarg, "exhaustive") == 0)
                opts.algorithm = KZ_ALGO_EXHAUSTIVE;
            else if (strcmp(optarg, "maxscore") == 0)
                opts.algorithm = KZ_ALGO_MAXSCORE;
            else if (strcmp(optarg, "bmw") == 0)
                opts.algorithm = KZ_ALGO_BMW;
            else
                return kz_cli_usage_error(
                    "unknown --algorithm '%s' (exhaustive, maxscore, bmw or auto)", optarg);
            break;
        case OPT_K1:
            if (parse_double(optarg, &opts.k1, "--k1")) return KZ_EXIT_ERROR;
            break;
        case OPT_B:
            if (parse_double(optarg, &opts.b, "--b")) return KZ_EXIT_ERROR;
            if (opts.b > 1) return kz_cli_usage_error("--b must be between 0 and 1");
            break;
        case OPT_COLOR:
            color_when = optarg ? optarg : "always";
            break;
        case OPT_INDEX:
            index_opt = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return KZ_EXIT_FOUND;
        case ':':
            return kz_cli_usage_error("option %s needs a value", argv[optind - 1]);
        default: {
            /* getopt permutes argv, so name a short option by its character. */
            char opt[64];
            if (optopt)
                snprintf(opt, sizeof opt, "-%c", optopt);
            else
                snprintf(opt, sizeof opt, "%s", argv[optind - 1]);
            return kz_cli_usage_error(
                "unknown option %s (to exclude a word, quote the whole query, as in kzsearch "
                "\"Tokayev -Putin\", or put -- before it; see kzsearch --help)",
                opt);
        }
        }
    }
    int color = kz_cli_color(color_when, stdout);
    if (color < 0)
        return kz_cli_usage_error("--color takes auto, always or never, not '%s'", color_when);
    if (json) color = 0;
    if (optind >= argc) {
        fputs(usage, stderr);
        return KZ_EXIT_ERROR;
    }
    /* The query: the arguments joined by spaces, or standard input for '-'. */
    char *query = NULL;
    size_t qlen = 0;
    if (argc - optind == 1 && strcmp(argv[optind], "-") == 0) {
        query = kz_cli_read_all(stdin, &qlen);
        if (query == NULL) return kz_cli_usage_error("cannot read the query from standard input");
    } else {
        for (int i = optind; i < argc; i++) qlen += strlen(argv[i]) + 1;
        query = malloc(qlen + 1);
        if (query == NULL) return kz_cli_usage_error("out of memory");
        qlen = 0;
        for (int i = optind; i < argc; i++) {
            size_t n = strlen(argv[i]);
            if (i > optind) query[qlen++] = ' ';
            memcpy(query + qlen, argv[i], n);
            qlen += n;
        }
        query[qlen] = '\0';
    }
    char *dir = kz_cli_index_dir(index_opt);
    kz_index *ix = NULL;
    kz_results *res = NULL;
    int status = KZ_EXIT_ERROR;
    if (dir == NULL) goto done;
    if (kz_index_open(&ix, dir) != KZ_OK) {
        kz_cli_fail(NULL);
        goto done;
    }
    int rc = kz_search(&res, ix, query, qlen, &opts);
    if (rc == KZ_EQUERY) {
        fprintf(stderr, "kzsearch: %s\n", kz_errmsg());
        goto done;
    }
    if (rc != KZ_OK) {
        kz_cli_fail("search failed");
        goto done;
    }
    if (*kz_results_notice(res)) fprintf(stderr, "kzsearch: note: %s\n", kz_results_notice(res));
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd) == NULL) cwd[0] = '\0';
    int width = kz_cli_columns(stdout);
    size_t n = kz_results_count(res);
    for (size_t i = 0; i < n; i++) {
        const kz_hit *h = kz_results_hit(res, i);
        if (json)
            print_hit_json(h, opts.offset + i + 1);
        else
            print_hit_text(h, opts.offset + i + 1, color, width, cwd);
    }
    if (fflush(stdout) != 0) {
        kz_cli_usage_error("cannot write the results");
        goto done;
    }
    status = n > 0 ? KZ_EXIT_FOUND : KZ_EXIT_NONE;
done:
    kz_results_free(res);
    kz_index_close(ix);
    free(dir);
    free(query);
    return status;
}
