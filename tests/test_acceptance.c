/* test_acceptance.c - the user's acceptance cases on the seed articles, through the library and
 * through the kzsearch binary: the right passages come first, phrases, Chinese and Cyrillic are
 * found, exclusions exclude; every query of bench/queries-seeds.tsv finds passages that contain
 * its words; the command line's exit codes, JSON output, option order, `--`, `-` (query on
 * standard input) and its message when there is no index.
 *
 * Expectations are checked on the hit text itself (the words must be there), not against
 * earlier output of the engine. A query word matches a passage when the passage contains the
 * word, or for Latin words of 5+ letters its first len-2 letters (stemming finds `prices` for
 * `price`), ignoring ASCII case. JSON is parsed by Debian's Python. */
#include "kzsearch.h"
#include "support.h"
#include "support/collection.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *g_dir;
static kz_index *g_ix;

static void setup(void)
{
    g_dir = kzc_build_seeds(NULL);
    g_ix = kzc_open(g_dir);
}

static void teardown(void)
{
    kz_index_close(g_ix);
    kzt_rmtree(g_dir);
}

TestSuite(acceptance, .init = setup, .fini = teardown);

static kz_results *search(const char *q, uint32_t k)
{
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = k;
    return kzc_search(g_ix, q, &o);
}

/* Whether text contains the query word w (see the file comment). */
static int has_word(const char *text, size_t len, const char *w)
{
    size_t n = strlen(w), ascii = 1;
    for (size_t i = 0; i < n; i++) ascii &= (unsigned char)w[i] < 0x80;
    if (ascii && n >= 5) {
        char stem[64];
        snprintf(stem, sizeof stem, "%.*s", (int)(n - 2), w);
        return kzc_contains_nocase(text, len, stem);
    }
    return kzc_contains_nocase(text, len, w);
}

Test(acceptance, csto_troops_puts_a_passage_about_csto_troops_first)
{
    kz_results *r = search("CSTO troops", 10);
    cr_assert_gt(kz_results_count(r), 3);
    const kz_hit *h = kz_results_hit(r, 0);
    cr_assert(kzc_contains_nocase(h->text, h->text_len, "CSTO") &&
                  kzc_contains_nocase(h->text, h->text_len, "troops"),
              "first hit: %s", h->text);
    for (size_t i = 1; i < kz_results_count(r); i++)
        cr_assert_leq(kz_results_hit(r, i)->score, kz_results_hit(r, i - 1)->score);
    /* Highlights cover the query words. */
    cr_assert_gt(h->nhighlights, 0);
    for (size_t i = 0; i < h->nhighlights; i++) {
        const kz_range *g = &h->highlights[i];
        cr_assert_leq(g->end, h->snippet_len);
        cr_assert(has_word(h->snippet + g->start, g->end - g->start, "csto") ||
                      has_word(h->snippet + g->start, g->end - g->start, "troop"),
                  "highlight %.*s", (int)(g->end - g->start), h->snippet + g->start);
    }
    kz_results_free(r);
}

/* Every hit contains needle (ASCII case folded); at least min hits. */
static void all_contain(const char *q, const char *needle, size_t min)
{
    kz_results *r = search(q, 100);
    cr_assert_geq(kz_results_count(r), min, "[%s]: %zu hits", q, kz_results_count(r));
    for (size_t i = 0; i < kz_results_count(r); i++) {
        const kz_hit *h = kz_results_hit(r, i);
        cr_assert(kzc_contains_nocase(h->text, h->text_len, needle), "[%s] hit %zu lacks %s: %s", q,
                  i, needle, h->text);
    }
    kz_results_free(r);
}

Test(acceptance, a_phrase_finds_the_phrase)
{
    all_contain("\"shoot without warning\"", "shoot without warning", 1);
    all_contain("\"shoot to kill\"", "shoot to kill", 1);
    /* The words exist apart, but not in this order. */
    kz_results *r = search("\"warning without shoot\"", 10);
    cr_assert_eq(kz_results_count(r), 0);
    kz_results_free(r);
}

Test(acceptance, chinese_words_find_chinese_passages)
{
    all_contain("阿拉木图", "阿拉木图", 2);
    all_contain("哈萨克斯坦", "哈萨克斯坦", 2);
}

Test(acceptance, cyrillic_finds_the_russian_name)
{
    kz_results *r = search("Телеканал Дождь", 5);
    cr_assert_gt(kz_results_count(r), 0);
    const kz_hit *h = kz_results_hit(r, 0);
    cr_assert_neq(strstr(h->text, "Телеканал Дождь"), NULL, "first hit: %s", h->text);
    kz_results_free(r);
    /* Case folding and Russian stemming: another case and form of the same words. */
    r = search("телеканала ДОЖДЬ", 5);
    cr_assert_gt(kz_results_count(r), 0);
    cr_assert_neq(strstr(kz_results_hit(r, 0)->text, "Телеканал Дождь"), NULL);
    kz_results_free(r);
}

Test(acceptance, an_exclusion_excludes)
{
    kz_results *with = search("Tokayev", 200), *without = search("Tokayev -Putin", 200);
    size_t putin = 0;
    for (size_t i = 0; i < kz_results_count(with); i++) {
        const kz_hit *h = kz_results_hit(with, i);
        putin += kzc_contains_nocase(h->text, h->text_len, "putin");
    }
    cr_assert_gt(putin, 0, "choose a query whose hits include Putin");
    cr_assert_eq(kz_results_count(without), kz_results_count(with) - putin);
    for (size_t i = 0; i < kz_results_count(without); i++) {
        const kz_hit *h = kz_results_hit(without, i);
        cr_assert(kzc_contains_nocase(h->text, h->text_len, "tokayev"));
        cr_assert(!kzc_contains_nocase(h->text, h->text_len, "putin"), "hit %zu: %s", i, h->text);
    }
    kz_results_free(with);
    kz_results_free(without);
}

/* ---- bench/queries-seeds.tsv ---- */

/* Splits a query into its words (quotes and leading + removed) into out; returns the count. */
static size_t split_words(const char *q, char out[][64], size_t cap)
{
    size_t n = 0;
    const char *s = q;
    while (*s && n < cap) {
        while (*s == ' ' || *s == '"' || *s == '+') s++;
        const char *e = s;
        while (*e && *e != ' ' && *e != '"') e++;
        if (e > s) snprintf(out[n++], 64, "%.*s", (int)(e - s), s);
        s = e;
    }
    return n;
}

Test(acceptance, every_seed_query_finds_passages_with_its_words)
{
    char path[512];
    snprintf(path, sizeof path, "%s/bench/queries-seeds.tsv", KZ_SHARED_DIR);
    char *tsv = kzt_read_file(path, NULL);
    size_t nqueries = 0;
    for (char *line = strtok(tsv, "\n"); line; line = strtok(NULL, "\n")) {
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab, "line without a tab: %s", line);
        *tab = '\0';
        const char *cat = line, *q = tab + 1;
        char words[16][64];
        size_t nw = split_words(q, words, 16);
        int all = strncmp(cat, "and", 3) == 0 || strcmp(cat, "phrase") == 0;
        kz_results *r = search(q, 20);
        cr_assert_gt(kz_results_count(r), 0, "%s [%s] finds nothing", cat, q);
        for (size_t i = 0; i < kz_results_count(r); i++) {
            const kz_hit *h = kz_results_hit(r, i);
            size_t have = 0;
            for (size_t w = 0; w < nw; w++) have += has_word(h->text, h->text_len, words[w]);
            cr_assert(all ? have == nw : have > 0, "%s [%s] hit %zu has %zu of %zu words: %s", cat,
                      q, i, have, nw, h->text);
        }
        if (strcmp(cat, "phrase") == 0) { /* the exact phrase, first */
            char phrase[256];
            snprintf(phrase, sizeof phrase, "%.*s", (int)(strlen(q) - 2), q + 1);
            const kz_hit *h = kz_results_hit(r, 0);
            cr_assert(kzc_contains_nocase(h->text, h->text_len, phrase), "[%s] first hit: %s", q,
                      h->text);
        }
        kz_results_free(r);
        nqueries++;
    }
    cr_assert_geq(nqueries, 30);
    free(tsv);
}

/* ---- the binary ---- */

/* Runs kzsearch with the arguments (a shell fragment) on the test's index; stderr is merged into
 * the output. */
static char *cli(const char *args, int *status)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "KZSEARCH_INDEX='%s' NO_COLOR=1 %s %s 2>&1", g_dir,
             kzt_bin("kzsearch"), args);
    return kzt_run(cmd, status);
}

Test(acceptance, the_binary_indexes_and_searches)
{
    char *dir = kzt_tempdir();
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s index --index '%s/ix' '%s' 2>&1", kzt_bin("kzsearch"), dir,
             kzt_seeds_dir());
    int st;
    char *out = kzt_run(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_neq(strstr(out, "5 files"), NULL, "%s", out);
    free(out);
    snprintf(cmd, sizeof cmd, "%s --index '%s/ix' 'CSTO troops' 2>&1", kzt_bin("kzsearch"), dir);
    out = kzt_run(cmd, &st);
    cr_assert_eq(st, 0, "%s", out);
    kz_results *r = search("CSTO troops", 1);
    const kz_hit *h = kz_results_hit(r, 0);
    char where[600];
    snprintf(where, sizeof where, "%s:%u", h->doc, h->line);
    cr_assert_neq(strstr(out, where), NULL, "binary output lacks the first hit %s:\n%s", where,
                  out);
    kz_results_free(r);
    free(out);
    kzt_rmtree(dir);
}

Test(acceptance, exit_codes_are_0_found_1_nothing_2_error)
{
    int st;
    free(cli("'CSTO troops'", &st));
    cr_assert_eq(st, 0);
    free(cli("zzqqxxnothingmatches", &st));
    cr_assert_eq(st, 1);
    char *out = cli("'kazakhstan \"president'", &st);
    cr_assert_eq(st, 2);
    cr_assert_neq(strstr(out, "unbalanced quote"), NULL, "%s", out);
    free(out);
    out = cli("--no-such-option almaty", &st);
    cr_assert_eq(st, 2, "%s", out);
    free(out);
}

/* Runs Python on the output of kzsearch args: every line a JSON object with the hit fields, in
 * rank order; prints count and the first hit's doc:line. */
static char *json_check(const char *args, int *status)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd,
             "KZSEARCH_INDEX='%s' %s %s | /usr/bin/python3 -c 'import json,sys\n"
             "hits=[json.loads(l) for l in sys.stdin if l.strip()]\n"
             "for i,h in enumerate(hits):\n"
             "  assert h[\"rank\"]==i+1, h\n"
             "  assert isinstance(h[\"score\"], float) and h[\"score\"]>0, h\n"
             "  for f in (\"doc\",\"line\",\"snippet\",\"text\",\"highlights\"): assert f in h, f\n"
             "  assert i==0 or hits[i-1][\"score\"]>=h[\"score\"]\n"
             "print(len(hits), \"%%s:%%d\" %% (hits[0][\"doc\"], hits[0][\"line\"]) if hits "
             "else \"-\")'",
             g_dir, kzt_bin("kzsearch"), args);
    return kzt_run(cmd, status);
}

Test(acceptance, json_output_parses_and_agrees_with_the_library)
{
    kz_results *r = search("CSTO troops", 3);
    const kz_hit *h = kz_results_hit(r, 0);
    char want[600];
    snprintf(want, sizeof want, "3 %s:%u\n", h->doc, h->line);
    int st;
    char *out = json_check("--json -k 3 'CSTO troops'", &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_str_eq(out, want);
    free(out);
    /* Chinese and Cyrillic text survive the JSON encoding. */
    out = json_check("--json 阿拉木图 Дождь", &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_neq(strncmp(out, "0 ", 2), 0, "%s", out);
    free(out);
    kz_results_free(r);
}

Test(acceptance, options_may_follow_the_query_and_double_dash_ends_them)
{
    int st;
    char *a = json_check("'CSTO troops' --json -k 2", &st);
    cr_assert_eq(st, 0, "%s", a);
    char *b = json_check("--json -k 2 CSTO troops", &st);
    cr_assert_eq(st, 0, "%s", b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(strncmp(a, "2 ", 2), 0, "%s", a);
    free(a);
    free(b);
    /* After --, -putin is a query word, not an option. */
    char *out = cli("--json -k 100 -- tokayev -putin", &st);
    cr_assert_eq(st, 0, "%s", out);
    cr_assert_gt(strlen(out), 0);
    cr_assert_null(strstr(out, "Putin"), "an excluded word is in the results");
    free(out);
}

Test(acceptance, a_dash_reads_the_query_from_stdin)
{
    int st;
    char *a = json_check("--json -k 4 'CSTO troops'", &st);
    cr_assert_eq(st, 0);
    char *dir = kzt_tempdir();
    char *file = kzt_path(dir, "query");
    kzt_write_file(file, "CSTO troops\n", 12);
    char args[1024];
    snprintf(args, sizeof args, "--json -k 4 - < '%s'", file);
    char *b = json_check(args, &st);
    cr_assert_eq(st, 0, "%s", b);
    cr_assert_str_eq(a, b);
    free(a);
    free(b);
    free(file);
    kzt_rmtree(dir);
}

Test(acceptance, errors_name_the_missing_index)
{
    char *dir = kzt_tempdir();
    char *missing = kzt_path(dir, "nothing-here");
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s --index '%s' almaty 2>&1", kzt_bin("kzsearch"), missing);
    int st;
    char *out = kzt_run(cmd, &st);
    cr_assert_eq(st, 2);
    char want[1024];
    snprintf(want, sizeof want, "no index at %s: run `kzsearch index DIR` first", missing);
    cr_assert_neq(strstr(out, want), NULL, "%s", out);
    free(out);
    /* The same through the environment. */
    snprintf(cmd, sizeof cmd, "KZSEARCH_INDEX='%s' %s almaty 2>&1", missing, kzt_bin("kzsearch"));
    out = kzt_run(cmd, &st);
    cr_assert_eq(st, 2);
    cr_assert_neq(strstr(out, want), NULL, "%s", out);
    free(out);
    /* And through the library. */
    kz_index *ix = NULL;
    int rc = kz_index_open(&ix, missing);
    cr_assert_eq(rc, KZ_ENOTFOUND, "%d %s", rc, kz_errmsg());
    cr_assert_null(ix);
    cr_assert_neq(strstr(kz_errmsg(), missing), NULL, "%s", kz_errmsg());
    free(missing);
    kzt_rmtree(dir);
}
