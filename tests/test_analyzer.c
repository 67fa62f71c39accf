/* test_analyzer.c - the analysis pipeline: tokenisation rules, script routing, Traditional →
 * Simplified, Chinese segmentation against Python jieba, offsets over the seed documents, and
 * hostile input. Expected terms are written by hand from the rules in docs/ANALYSIS.md, or come
 * from independent tools (jieba, the opencc command). */
#include "analyzer_internal.h"
#include "error.h"
#include "normalize.h"
#include "stem.h"
#include "support.h"
#include "zh_dict.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- collecting tokens */

typedef struct tok {
    char *term;
    uint32_t pos;
    size_t start, end;
    int script;
} tok;

typedef struct toks {
    tok *v;
    size_t n, cap;
    size_t stop_after; /* 0: never stop */
} toks;

static int collect(void *ctx, const kz_token *t)
{
    toks *ts = ctx;
    if (ts->n == ts->cap) {
        ts->cap = ts->cap ? 2 * ts->cap : 64;
        ts->v = realloc(ts->v, ts->cap * sizeof *ts->v);
        cr_assert_not_null(ts->v);
    }
    tok *k = &ts->v[ts->n++];
    k->term = strndup(t->term, t->term_len);
    k->pos = t->position;
    k->start = t->start;
    k->end = t->end;
    k->script = t->script;
    if (ts->stop_after && ts->n == ts->stop_after) return 7;
    return 0;
}

static void toks_free(toks *ts)
{
    for (size_t i = 0; i < ts->n; i++) free(ts->v[i].term);
    free(ts->v);
    memset(ts, 0, sizeof *ts);
}

static kz_analyzer *new_analyzer(int query_mode, int no_t2s)
{
    kz_analyzer_options o = KZ_ANALYZER_OPTIONS_INIT;
    o.query_mode = query_mode;
    o.no_t2s = no_t2s;
    kz_analyzer *a;
    int rc = kz_analyzer_new(&a, &o);
    cr_assert_eq(rc, KZ_OK, "kz_analyzer_new: %s", kz_errmsg());
    return a;
}

static toks analyze_with(kz_analyzer *a, const char *text, size_t len)
{
    toks ts = {0};
    int rc = kz_analyze(a, text, len, collect, &ts);
    cr_assert_eq(rc, KZ_OK, "kz_analyze: %s", kz_errmsg());
    return ts;
}

static toks analyze(const char *text)
{
    kz_analyzer *a = new_analyzer(0, 0);
    toks ts = analyze_with(a, text, strlen(text));
    kz_analyzer_free(a);
    return ts;
}

/* Checks the terms (space-separated in want) and, if scripts is not NULL, their scripts. */
static void expect_terms(const char *text, const char *want, const int *scripts)
{
    toks ts = analyze(text);
    char got[4096] = "";
    for (size_t i = 0; i < ts.n; i++) {
        if (i) strcat(got, " ");
        strncat(got, ts.v[i].term, sizeof got - strlen(got) - 2);
    }
    cr_expect_str_eq(got, want, "analyze(\"%s\")", text);
    if (scripts != NULL)
        for (size_t i = 0; i < ts.n; i++)
            cr_expect_eq(ts.v[i].script, scripts[i], "\"%s\" token %zu (%s): script %s", text, i,
                         ts.v[i].term, kz_script_name(ts.v[i].script));
    toks_free(&ts);
}

/* ---- tokenisation rules (docs/ANALYSIS.md, "Which tokens") */

Test(analyzer, hyphenated_words_split_into_stemmed_parts)
{
    /* UAX #29 breaks at '-'; each part is an English word, stemmed. */
    expect_terms("post-Soviet states", "post soviet state",
                 (int[]){KZ_SCRIPT_LATIN, KZ_SCRIPT_LATIN, KZ_SCRIPT_LATIN});
}

Test(analyzer, possessives_lose_their_apostrophe_s_whatever_the_apostrophe)
{
    /* ' and ’ are MidNumLet: "CSTO's" is one segment; Porter2 strips 's after lumping. */
    expect_terms("CSTO's CSTO’s CSTOʼs", "csto csto csto", NULL);
    expect_terms("Tokayev’s Tokayev's ｔｏｋａｙｅｖ", "tokayev tokayev tokayev", NULL);
}

Test(analyzer, numbers_keep_their_separators)
{
    /* "2,200" is one segment (WB11/12) kept as written; a date splits at '-'. */
    expect_terms("2,200 people on 2022-01-06", "2,200 peopl on 2022 01 06",
                 (int[]){KZ_SCRIPT_DIGIT, KZ_SCRIPT_LATIN, KZ_SCRIPT_LATIN, KZ_SCRIPT_DIGIT,
                         KZ_SCRIPT_DIGIT, KZ_SCRIPT_DIGIT});
    expect_terms("3.14 ٣٤", "3.14 ٣٤", (int[]){KZ_SCRIPT_DIGIT, KZ_SCRIPT_DIGIT});
}

Test(analyzer, dotted_words_stay_whole_and_index_mode_adds_their_parts)
{
    /* Letters joined by '.' are one segment (WB6/7); the final '.' of "U.S." is not inside. In
       index mode the parts of a dotted ASCII word follow it at the same position, stemmed. */
    expect_terms("avtonom.org", "avtonom.org avtonom org",
                 (int[]){KZ_SCRIPT_LATIN, KZ_SCRIPT_LATIN, KZ_SCRIPT_LATIN});
    expect_terms("the U.S. army", "the u.s u s armi", NULL);
    expect_terms("abc.abstractmethods", "abc.abstractmethods abc abstractmethod", NULL);
    toks ts = analyze("www.devuan.org news");
    cr_assert_eq(ts.n, 5);
    for (size_t i = 0; i < 4; i++) cr_expect_eq(ts.v[i].pos, 0, "token %zu", i);
    cr_expect_eq(ts.v[2].start, 4);
    cr_expect_eq(ts.v[2].end, 10);
    cr_expect_eq(ts.v[4].pos, 1);
    toks_free(&ts);
    /* Query mode keeps the whole word: a query for "U.S." means "U.S.", not "u" or "s". */
    kz_analyzer *q = new_analyzer(1, 0);
    ts = analyze_with(q, "the U.S. army", strlen("the U.S. army"));
    cr_assert_eq(ts.n, 3);
    cr_expect_str_eq(ts.v[1].term, "u.s");
    toks_free(&ts);
    kz_analyzer_free(q);
    /* Tokens with inner punctuation or digits are not stemmed: Porter2 would make "u.s" "u.". */
    expect_terms("COVID19s 3Ds", "covid19s 3ds", NULL);
}

Test(analyzer, emoji_and_punctuation_are_not_indexed)
{
    expect_terms("I ❤️ Almaty 👍🏽 🇰🇿!", "i almati", NULL);
    expect_terms("«—» … !!! ???", "", NULL);
}

Test(analyzer, kana_hangul_and_hebrew_are_normalised_not_stemmed)
{
    /* Katakana runs are one segment (WB13); half-width kana is NFKC-folded to full width. */
    expect_terms("カタカナ ｶﾀｶﾅ", "カタカナ カタカナ", (int[]){KZ_SCRIPT_KANA, KZ_SCRIPT_KANA});
    expect_terms("한국어 שלום Ελλάδα", "한국어 שלום ελλάδα",
                 (int[]){KZ_SCRIPT_HANGUL, KZ_SCRIPT_OTHER, KZ_SCRIPT_OTHER});
}

Test(analyzer, cyrillic_goes_to_the_russian_stemmer)
{
    expect_terms("Протесты в Казахстане", "протест в казахстан",
                 (int[]){KZ_SCRIPT_CYRILLIC, KZ_SCRIPT_CYRILLIC, KZ_SCRIPT_CYRILLIC});
}

Test(analyzer, mixed_passage_routes_token_by_token)
{
    const char *text = "采访:阿拉木图(Almaty)的Протесты";
    toks ts = analyze(text);
    int saw_latin = 0, saw_cyr = 0, saw_han = 0;
    for (size_t i = 0; i < ts.n; i++) {
        if (strcmp(ts.v[i].term, "almati") == 0) saw_latin = ts.v[i].script == KZ_SCRIPT_LATIN;
        if (strcmp(ts.v[i].term, "протест") == 0) saw_cyr = ts.v[i].script == KZ_SCRIPT_CYRILLIC;
        if (strcmp(ts.v[i].term, "阿拉木图") == 0) saw_han = ts.v[i].script == KZ_SCRIPT_HAN;
        if (i) cr_expect_geq(ts.v[i].pos, ts.v[i - 1].pos);
    }
    cr_expect(saw_latin && saw_cyr && saw_han);
    toks_free(&ts);
}

Test(analyzer, long_words_are_cut_at_a_character_boundary)
{
    char text[2000];
    size_t k = 0;
    while (k + 2 < 1500) { /* "ж" is 2 bytes: 255 is not a boundary */
        text[k++] = (char)0xD0;
        text[k++] = (char)0xB6;
    }
    kz_analyzer *a = new_analyzer(0, 0);
    toks ts = analyze_with(a, text, k);
    cr_assert_eq(ts.n, 1);
    cr_expect_leq(strlen(ts.v[0].term), 255);
    cr_expect_eq(strlen(ts.v[0].term) % 2, 0);
    cr_expect_eq(ts.v[0].end, k);
    toks_free(&ts);
    kz_analyzer_free(a);
}

/* ---- Chinese */

Test(analyzer, traditional_and_simplified_give_the_same_terms)
{
    const char *pairs[][2] = {{"網路", "网路"},
                              {"電腦網路的發展", "电脑网路的发展"},
                              {"哈薩克斯坦的抗議", "哈萨克斯坦的抗议"}};
    for (size_t i = 0; i < 3; i++) {
        toks t = analyze(pairs[i][0]), s = analyze(pairs[i][1]);
        cr_assert_eq(t.n, s.n, "%s / %s", pairs[i][0], pairs[i][1]);
        for (size_t j = 0; j < t.n; j++) {
            cr_expect_str_eq(t.v[j].term, s.v[j].term);
            cr_expect_eq(t.v[j].pos, s.v[j].pos);
        }
        /* Offsets point into each original text (both are 3 bytes a character). */
        cr_expect_eq(t.v[t.n - 1].end, strlen(pairs[i][0]));
        toks_free(&t);
        toks_free(&s);
    }
}

Test(analyzer, no_t2s_keeps_traditional_characters)
{
    kz_analyzer *a = new_analyzer(1, 1);
    toks ts = analyze_with(a, "網路", strlen("網路"));
    /* jieba's dictionary is Simplified: unconverted, the word falls apart into characters. */
    cr_assert_eq(ts.n, 2);
    cr_expect_str_eq(ts.v[0].term, "網");
    cr_expect_str_eq(ts.v[1].term, "路");
    toks_free(&ts);
    kz_analyzer_free(a);
}

/* The words of each Han run of text (maximal runs of Han characters), one run per line, sorted:
 * jieba's search mode lists a word's parts before the word, ours lists the word first (both at
 * one position), so runs are compared as multisets. */
static const char runs_py[] =
    "import re, sys, jieba, logging\n"
    "jieba.setLogLevel(logging.ERROR)\n"
    "text = open(sys.argv[1], encoding='utf-8').read()\n"
    "han = '[\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff\\U00020000-\\U0003134f]+'\n"
    "for run in re.findall(han, text):\n"
    "    words = jieba.lcut(run, HMM=False) if sys.argv[2] == 'precise' else "
    "jieba.lcut_for_search(run, HMM=False)\n"
    "    print(' '.join(sorted(words)))\n";

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

static void compare_with_jieba(int query_mode)
{
    char *seed = kzt_path(kzt_seeds_dir(), "003_bc65b14c19d20a6f.txt");
    size_t len;
    char *text = kzt_read_file(seed, &len);
    char *dir = kzt_tempdir();
    char *py = kzt_path(dir, "runs.py");
    kzt_write_file(py, runs_py, sizeof runs_py - 1);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", py, seed,
             query_mode ? "precise" : "search");
    int status;
    char *ref = kzt_run(cmd, &status);
    cr_assert_eq(status, 0);

    kz_analyzer *a = new_analyzer(query_mode, 1); /* the seed is Simplified already */
    toks ts = analyze_with(a, text, len);
    kz_buf got = KZ_BUF_INIT;
    const char **run = malloc(ts.n * sizeof *run);
    cr_assert_not_null(run);
    size_t i = 0;
    while (i < ts.n) {
        if (ts.v[i].script != KZ_SCRIPT_HAN) {
            i++;
            continue;
        }
        /* A run's pieces are contiguous in position and cover contiguous bytes; the next run
         * starts after a gap in the bytes. */
        size_t nrun = 0, run_end = ts.v[i].end;
        run[nrun++] = ts.v[i].term;
        for (i++; i < ts.n && ts.v[i].script == KZ_SCRIPT_HAN && ts.v[i].start <= run_end; i++) {
            run[nrun++] = ts.v[i].term;
            if (ts.v[i].end > run_end) run_end = ts.v[i].end;
        }
        qsort(run, nrun, sizeof *run, cmp_str);
        for (size_t k = 0; k < nrun; k++) {
            if (k) kz_buf_append_u8(&got, ' ');
            kz_buf_append_str(&got, run[k]);
        }
        kz_buf_append_u8(&got, '\n');
    }
    free(run);
    kz_buf_terminate(&got);
    cr_expect_str_eq((char *)got.data, ref);
    kz_buf_free(&got);
    toks_free(&ts);
    kz_analyzer_free(a);
    free(ref);
    free(py);
    free(text);
    free(seed);
    kzt_rmtree(dir);
}

Test(analyzer, chinese_query_mode_matches_jieba_precise_mode)
{
    compare_with_jieba(1);
}

Test(analyzer, chinese_index_mode_matches_jieba_search_mode)
{
    compare_with_jieba(0);
}

Test(analyzer, traditional_manual_page_analyses_like_its_opencc_conversion)
{
    int status;
    char *trad = kzt_run("zcat /usr/share/man/zh_TW/man1/access.1.gz", &status);
    cr_assert_eq(status, 0);
    char *dir = kzt_tempdir();
    char *path = kzt_path(dir, "trad.txt");
    kzt_write_file(path, trad, strlen(trad));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "opencc -c t2s.json -i %s", path);
    char *simp = kzt_run(cmd, &status);
    cr_assert_eq(status, 0);
    kz_analyzer *a = new_analyzer(0, 0);
    toks t = analyze_with(a, trad, strlen(trad));
    toks s = analyze_with(a, simp, strlen(simp));
    size_t han = 0;
    cr_assert_eq(t.n, s.n);
    for (size_t i = 0; i < t.n; i++) {
        cr_expect_str_eq(t.v[i].term, s.v[i].term);
        han += t.v[i].script == KZ_SCRIPT_HAN;
    }
    cr_expect_gt(han, 20);
    toks_free(&t);
    toks_free(&s);
    kz_analyzer_free(a);
    free(trad);
    free(simp);
    free(path);
    kzt_rmtree(dir);
}

/* ---- offsets */

static void check_offsets(const char *text, size_t len, const char *name)
{
    kz_analyzer *a = new_analyzer(0, 0);
    kz_analyzer *surf = new_analyzer(0, 0);
    kz_analyzer_set_surface(surf, 1);
    toks terms = analyze_with(a, text, len);
    toks ts = analyze_with(surf, text, len);
    cr_assert_eq(terms.n, ts.n, "%s", name);
    kz_normalizer n = KZ_NORMALIZER_INIT;
    kz_stemmer *st;
    cr_assert_eq(kz_stemmer_new(&st), KZ_OK);
    kz_buf b = KZ_BUF_INIT;
    for (size_t i = 0; i < ts.n; i++) {
        tok *t = &ts.v[i];
        cr_assert(t->start < t->end && t->end <= len, "%s: token %zu", name, i);
        kz_buf_clear(&b);
        cr_assert_eq(kz_normalize(&n, &b, text + t->start, t->end - t->start), KZ_OK);
        cr_expect(b.len == strlen(t->term) && memcmp(b.data, t->term, b.len) == 0,
                  "%s: bytes [%zu,%zu) \"%.*s\" normalise to \"%.*s\", token says \"%s\"", name,
                  t->start, t->end, (int)(t->end - t->start), text + t->start, (int)b.len,
                  (char *)b.data, t->term);
        /* The indexed term is the surface form stemmed (or converted, for Han). */
        cr_expect_eq(terms.v[i].start, t->start);
        cr_expect_eq(terms.v[i].pos, t->pos);
        if ((t->script == KZ_SCRIPT_LATIN || t->script == KZ_SCRIPT_CYRILLIC) &&
            kz_stem_applies((char *)b.data, b.len)) {
            const char *stem;
            size_t sl;
            cr_assert_eq(kz_stem(st,
                                 t->script == KZ_SCRIPT_LATIN ? KZ_STEM_ENGLISH : KZ_STEM_RUSSIAN,
                                 (char *)b.data, b.len, &stem, &sl),
                         KZ_OK);
            cr_expect(sl == strlen(terms.v[i].term) && memcmp(stem, terms.v[i].term, sl) == 0,
                      "%s: %s", name, terms.v[i].term);
        }
    }
    kz_buf_free(&b);
    kz_normalizer_free(&n);
    kz_stemmer_free(st);
    toks_free(&ts);
    toks_free(&terms);
    kz_analyzer_free(a);
    kz_analyzer_free(surf);
}

Test(analyzer, seed_token_offsets_cover_text_that_normalises_to_the_token)
{
    DIR *d = opendir(kzt_seeds_dir());
    cr_assert_not_null(d);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        char *p = kzt_path(kzt_seeds_dir(), e->d_name);
        size_t len;
        char *text = kzt_read_file(p, &len);
        check_offsets(text, len, e->d_name);
        free(text);
        free(p);
        files++;
    }
    closedir(d);
    cr_expect_geq(files, 5);
}

Test(analyzer, traditional_offsets_point_at_the_original_bytes)
{
    const char *text = "abc 電腦網路的發展 Ｔｏｋａｙｅｖ’s 網路";
    check_offsets(text, strlen(text), "mixed");
}

/* ---- API behaviour */

Test(analyzer, positions_count_words_and_search_pieces_share_them)
{
    toks ts = analyze("the people of 中华人民共和国 said");
    /* the=0 people=1 of=2, the country's pieces all at 3, said after them */
    uint32_t country = 0;
    int found = 0;
    for (size_t i = 0; i < ts.n; i++)
        if (strcmp(ts.v[i].term, "中华人民共和国") == 0) {
            country = ts.v[i].pos;
            found = 1;
        }
    cr_assert(found);
    cr_expect_eq(country, 3);
    size_t at3 = 0;
    for (size_t i = 0; i < ts.n; i++) at3 += ts.v[i].pos == 3;
    cr_expect_gt(at3, 1, "search mode also emits the words inside 中华人民共和国");
    cr_expect_str_eq(ts.v[ts.n - 1].term, "said");
    cr_expect_eq(ts.v[ts.n - 1].pos, 4);
    toks_free(&ts);
}

Test(analyzer, callback_can_stop_the_analysis)
{
    kz_analyzer *a = new_analyzer(0, 0);
    toks ts = {0};
    ts.stop_after = 2;
    cr_expect_eq(kz_analyze(a, "one two three four", 18, collect, &ts), 7);
    cr_expect_eq(ts.n, 2);
    toks_free(&ts);
    kz_analyzer_free(a);
}

typedef struct thread_job {
    kz_analyzer *a;
    const char *text;
    size_t len;
    toks out;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    for (int r = 0; r < 3; r++) {
        toks_free(&j->out);
        kz_analyze(j->a, j->text, j->len, collect, &j->out);
    }
    return NULL;
}

Test(analyzer, clones_analyse_concurrently_and_agree)
{
    char *p = kzt_path(kzt_seeds_dir(), "003_bc65b14c19d20a6f.txt");
    size_t len;
    char *text = kzt_read_file(p, &len);
    kz_analyzer *a = new_analyzer(0, 0);
    thread_job jobs[2] = {{a, text, len, {0}}, {NULL, text, len, {0}}};
    cr_assert_eq(kz_analyzer_clone(&jobs[1].a, a), KZ_OK);
    pthread_t th[2];
    for (int i = 0; i < 2; i++) pthread_create(&th[i], NULL, thread_main, &jobs[i]);
    for (int i = 0; i < 2; i++) pthread_join(th[i], NULL);
    cr_assert_eq(jobs[0].out.n, jobs[1].out.n);
    cr_assert_gt(jobs[0].out.n, 1000);
    for (size_t i = 0; i < jobs[0].out.n; i++)
        cr_expect_str_eq(jobs[0].out.v[i].term, jobs[1].out.v[i].term);
    kz_analyzer_free(a); /* the clone keeps the shared core alive */
    toks ts = analyze_with(jobs[1].a, "網路", strlen("網路"));
    cr_expect_eq(ts.n, 1);
    toks_free(&ts);
    for (int i = 0; i < 2; i++) toks_free(&jobs[i].out);
    kz_analyzer_free(jobs[1].a);
    free(text);
    free(p);
}

Test(analyzer, bad_options_and_dictionaries_are_refused_with_a_message)
{
    kz_analyzer *a = NULL;
    kz_analyzer_options o = KZ_ANALYZER_OPTIONS_INIT;
    o.version = 99;
    cr_expect_eq(kz_analyzer_new(&a, &o), KZ_EINVAL);
    cr_expect_null(a);
    o.version = KZ_ANALYZER_OPTIONS_VERSION;
    o.zh_dict = "/nonexistent/dict.bin";
    cr_expect_eq(kz_analyzer_new(&a, &o), KZ_ENOTFOUND);
    cr_expect(strstr(kz_errmsg(), "/nonexistent/dict.bin") != NULL, "%s", kz_errmsg());
    const char junk[] = "this is not a dictionary blob at all, not even close to one";
    cr_expect_eq(kz_analyzer_new_with_dict(&a, NULL, junk, sizeof junk), KZ_ECORRUPT);
    cr_expect_null(a);
}

Test(analyzer, a_dictionary_blob_gives_the_builtin_results_and_hash)
{
    size_t len;
    const void *blob = kz_zhdict_builtin(&len);
    kz_analyzer *a = new_analyzer(0, 0), *b;
    cr_assert_eq(kz_analyzer_new_with_dict(&b, NULL, blob, len), KZ_OK);
    cr_expect_eq(kz_analyzer_dict_hash(a), kz_analyzer_dict_hash(b));
    const char *text = "中华人民共和国成立了";
    toks x = analyze_with(a, text, strlen(text)), y = analyze_with(b, text, strlen(text));
    cr_assert_eq(x.n, y.n);
    for (size_t i = 0; i < x.n; i++) cr_expect_str_eq(x.v[i].term, y.v[i].term);
    toks_free(&x);
    toks_free(&y);
    kz_analyzer_free(a);
    kz_analyzer_free(b);
}

/* ---- hostile input */

Test(analyzer, invalid_utf8_is_replaced_or_refused)
{
    const char text[] = "good\xff\xfe bad\xc3 \xed\xa0\x80 surrogate\xf4\x90\x80\x80 end";
    expect_terms(text, "good bad surrog end", NULL);
    kz_analyzer_options o = KZ_ANALYZER_OPTIONS_INIT;
    o.utf8_policy = KZ_UTF8_REJECT;
    kz_analyzer *a;
    cr_assert_eq(kz_analyzer_new(&a, &o), KZ_OK);
    toks none = {0};
    cr_expect_eq(kz_analyze(a, text, sizeof text - 1, collect, &none), KZ_EUTF8);
    cr_expect(strstr(kz_errmsg(), "byte 4") != NULL, "%s", kz_errmsg());
    cr_expect_eq(none.n, 0);
    kz_analyzer_free(a);
}

Test(analyzer, empty_punctuation_and_control_text_give_no_tokens)
{
    kz_analyzer *a = new_analyzer(0, 0);
    toks ts = {0};
    cr_expect_eq(kz_analyze(a, NULL, 0, collect, &ts), KZ_OK);
    cr_expect_eq(kz_analyze(a, "", 0, collect, &ts), KZ_OK);
    cr_expect_eq(kz_analyze(a, ".,;:!?-—()[]{}\"'", 17, collect, &ts), KZ_OK);
    const char ctl[] = "\0\x01\x02\t\r\n\x7f\xef\xbb\xbf";
    cr_expect_eq(kz_analyze(a, ctl, sizeof ctl - 1, collect, &ts), KZ_OK);
    cr_expect_eq(ts.n, 0);
    /* A BOM and NULs around words do not stick to them. */
    const char bom[] = "\xef\xbb\xbfHello\0world";
    cr_expect_eq(kz_analyze(a, bom, sizeof bom - 1, collect, &ts), KZ_OK);
    cr_assert_eq(ts.n, 2);
    cr_expect_str_eq(ts.v[0].term, "hello");
    cr_expect_eq(ts.v[0].start, 3);
    cr_expect_str_eq(ts.v[1].term, "world");
    toks_free(&ts);
    kz_analyzer_free(a);
}

Test(analyzer, ten_megabyte_single_lines_are_analysed)
{
    size_t len = 10u << 20;
    char *text = malloc(len);
    cr_assert_not_null(text);
    kz_analyzer *a = new_analyzer(0, 0);
    /* one giant word */
    memset(text, 'a', len);
    toks ts = analyze_with(a, text, len);
    cr_assert_eq(ts.n, 1);
    cr_expect_eq(ts.v[0].end, len);
    cr_expect_eq(strlen(ts.v[0].term), 255);
    toks_free(&ts);
    /* one line of Han characters (一 is E4 B8 80) with no punctuation */
    for (size_t i = 0; i + 3 <= len; i += 3) memcpy(text + i, "\xe4\xb8\x80", 3);
    size_t hlen = len - len % 3;
    ts = analyze_with(a, text, hlen);
    cr_expect_gt(ts.n, 1000);
    cr_expect_eq(ts.v[ts.n - 1].end, hlen);
    toks_free(&ts);
    /* one line of words */
    for (size_t i = 0; i < len; i++) text[i] = (i % 7 == 6) ? ' ' : 'x';
    ts = analyze_with(a, text, len);
    cr_expect_eq(ts.n, (len + 6) / 7);
    toks_free(&ts);
    kz_analyzer_free(a);
    free(text);
}

Test(analyzer, script_names_cover_every_script)
{
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_LATIN), "latin");
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_CYRILLIC), "cyrillic");
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_HAN), "han");
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_DIGIT), "digit");
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_KANA), "kana");
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_HANGUL), "hangul");
    cr_expect_str_eq(kz_script_name(KZ_SCRIPT_OTHER), "other");
    cr_expect_str_eq(kz_script_name(12345), "other");
}

/* ---- the command-line tool */

Test(analyzer, cli_prints_json_tokens_and_reads_stdin)
{
    char cmd[1024];
    int status;
    snprintf(cmd, sizeof cmd, "%s analyze 'Tokayev’s 網路' --json", kzt_bin("kzsearch"));
    char *out = kzt_run(cmd, &status);
    cr_expect_eq(status, 0);
    cr_expect_str_eq(out, "{\"term\":\"tokayev\",\"position\":0,\"start\":0,\"end\":11,"
                          "\"script\":\"latin\"}\n"
                          "{\"term\":\"网路\",\"position\":1,\"start\":12,\"end\":18,"
                          "\"script\":\"han\"}\n");
    free(out);
    snprintf(cmd, sizeof cmd, "printf 'Running dogs' | %s analyze", kzt_bin("kzsearch"));
    out = kzt_run(cmd, &status);
    cr_expect_eq(status, 0);
    cr_expect_str_eq(out, "0\trun\t0-7\tlatin\n1\tdog\t8-12\tlatin\n");
    free(out);
    snprintf(cmd, sizeof cmd, "%s analyze -- '...' 2>/dev/null", kzt_bin("kzsearch"));
    out = kzt_run(cmd, &status);
    cr_expect_eq(status, 1);
    free(out);
    snprintf(cmd, sizeof cmd, "printf 'a\\377' | %s analyze --strict - 2>&1", kzt_bin("kzsearch"));
    out = kzt_run(cmd, &status);
    cr_expect_eq(status, 2);
    cr_expect(strstr(out, "UTF-8") != NULL, "%s", out);
    free(out);
}

Test(analyzer, results_do_not_depend_on_what_was_analysed_before)
{
    /* The stem and T2S memos warm up differently in these two analyzers; terms must agree. */
    const char *text = "乾燥的天氣 乾隆皇帝 網路 running Протесты";
    kz_analyzer *cold = new_analyzer(0, 0), *warm = new_analyzer(0, 0);
    const char *before = "天氣 皇帝 網 乾 乾隆 runs running Протесты 电脑";
    toks w0 = analyze_with(warm, before, strlen(before));
    toks x = analyze_with(cold, text, strlen(text)), y = analyze_with(warm, text, strlen(text));
    cr_assert_eq(x.n, y.n);
    for (size_t i = 0; i < x.n; i++) {
        cr_expect_str_eq(x.v[i].term, y.v[i].term);
        cr_expect_eq(x.v[i].start, y.v[i].start);
    }
    cr_expect_str_eq(x.v[0].term, "干燥");
    toks_free(&w0);
    toks_free(&x);
    toks_free(&y);
    kz_analyzer_free(cold);
    kz_analyzer_free(warm);
}
