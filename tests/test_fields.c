/* test_fields.c - the FIELDS section (common/fields.h) and the filters that read it.
 *
 * The section: every document's date, language and name read back as written, across the id
 * widths (1, 2 and 4 bytes) and with empty values, NUL bytes and long shared prefixes; the
 * documented byte layout, rebuilt here by hand; sizes that cannot be a section refused at open;
 * damage that open does not look at reported without a read outside the section.
 *
 * The filters: on a JSON Lines collection of documents with varied dates, languages and ids,
 * indexed in one segment and in many, every filter query (date:, lang:, doc:, globs, exclusions,
 * several filters together) returns exactly the documents that the test's own predicates, run on
 * the generated records, select (substrings met where a name's shared prefix ends included). */
#include "fields.h"
#include "kzsearch.h"
#include "support.h"
#include "support/collection.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the section ---- */

typedef struct doc {
    char date[16], lang[16], name[96];
    size_t date_len, lang_len, name_len;
} doc;

/* The section of docs[0, n), appended to sec. */
static void encode(const doc *docs, uint32_t n, kz_buf *sec)
{
    kz_fields_writer *w;
    cr_assert_eq(kz_fields_writer_new(&w), KZ_OK);
    for (uint32_t d = 0; d < n; d++)
        cr_assert_eq(kz_fields_writer_add(w, docs[d].date, docs[d].date_len, docs[d].lang,
                                          docs[d].lang_len, docs[d].name, docs[d].name_len),
                     KZ_OK);
    cr_assert_eq(kz_fields_writer_finish(w, sec), KZ_OK);
    kz_fields_writer_free(w);
}

static void check_reads_back(const doc *docs, uint32_t n, uint32_t want_width)
{
    kz_buf sec = KZ_BUF_INIT;
    encode(docs, n, &sec);
    uint8_t *exact = malloc(sec.len); /* an exact-size copy: ASan sees any read past it */
    memcpy(exact, sec.data, sec.len);
    kz_fields f;
    cr_assert_eq(kz_fields_open(&f, exact, sec.len, n), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(f.date.width, want_width);
    const kz_fields_column *cols[2] = {&f.date, &f.lang};
    for (int c = 0; c < 2; c++) {
        /* the values, in order */
        const uint8_t **at = malloc((cols[c]->nvalues + 1) * sizeof *at);
        size_t *len = malloc((cols[c]->nvalues + 1) * sizeof *len);
        uint64_t pos = 0;
        for (uint32_t i = 0; i < cols[c]->nvalues; i++)
            cr_assert_eq(kz_fields_value_next(cols[c], &pos, &at[i], &len[i]), KZ_OK);
        cr_assert_eq(pos, cols[c]->values_len);
        for (uint32_t d = 0; d < n; d++) {
            uint32_t id;
            cr_assert_eq(kz_fields_id(cols[c], d, &id), KZ_OK);
            const char *want = c == 0 ? docs[d].date : docs[d].lang;
            size_t want_len = c == 0 ? docs[d].date_len : docs[d].lang_len;
            cr_assert(len[id] == want_len && memcmp(at[id], want, want_len) == 0,
                      "document %u, column %d", d, c);
        }
        free(at);
        free(len);
    }
    kz_fields_names it;
    kz_fields_names_init(&it, &f);
    for (uint32_t d = 0; d < n; d++) {
        const char *name;
        size_t len;
        cr_assert_eq(kz_fields_names_next(&it, &name, &len), KZ_OK);
        cr_assert(len == docs[d].name_len && memcmp(name, docs[d].name, len) == 0 && !name[len],
                  "document %u's name", d);
        size_t shared = 0;
        while (d > 0 && shared < len && shared < docs[d - 1].name_len &&
               docs[d - 1].name[shared] == name[shared])
            shared++;
        cr_assert_eq(it.shared, shared, "document %u's shared prefix", d);
        cr_assert_eq(it.cstr, strnlen(name, len), "document %u's length before a NUL", d);
    }
    cr_assert(it.p == it.end);
    kz_fields_names_free(&it);
    free(exact);
    kz_buf_free(&sec);
}

/* n documents; about `distinct` distinct dates, few languages, names sharing prefixes. */
static doc *random_docs(uint32_t n, uint32_t distinct, uint64_t seed)
{
    static const char *langs[] = {"", "en", "zh", "ru", "en-GB"};
    doc *docs = calloc(n, sizeof *docs);
    cr_assert_not_null(docs);
    for (uint32_t d = 0; d < n; d++) {
        doc *x = &docs[d];
        uint32_t v = kz_test_rnd(&seed) % distinct;
        x->date_len = v == 0 ? 0 : (size_t)snprintf(x->date, sizeof x->date, "d%u", v);
        const char *l = langs[kz_test_rnd(&seed) % 5];
        x->lang_len = strlen(l);
        memcpy(x->lang, l, x->lang_len);
        x->name_len = (size_t)snprintf(x->name, sizeof x->name, "dir%u/sub/file-%u.txt",
                                       (unsigned)(d / 100), (unsigned)kz_test_rnd(&seed) % 1000);
        if (d % 17 == 5) x->name[3] = '\0'; /* a NUL inside a name */
        if (d % 31 == 7) x->name_len = 0;   /* an empty name */
    }
    return docs;
}

Test(fields, every_document_reads_back_at_each_id_width)
{
    const uint32_t widths[][3] = {{3000, 50, 1}, {3000, 2000, 2}, {200000, 4000000, 4}};
    for (size_t i = 0; i < 3; i++) {
        doc *docs = random_docs(widths[i][0], widths[i][1], 11 + i);
        check_reads_back(docs, widths[i][0], widths[i][2]);
        free(docs);
    }
}

Test(fields, no_documents)
{
    check_reads_back(NULL, 0, 1);
}

/* The layout of fields.h, byte for byte. */
Test(fields, section_has_the_documented_layout)
{
    kz_fields_writer *w;
    cr_assert_eq(kz_fields_writer_new(&w), KZ_OK);
    cr_assert_eq(kz_fields_writer_add(w, "2022-01-05", 10, "en", 2, "a/b", 3), KZ_OK);
    cr_assert_eq(kz_fields_writer_add(w, NULL, 0, "en", 2, "a/c", 3), KZ_OK);
    kz_buf sec = KZ_BUF_INIT;
    cr_assert_eq(kz_fields_writer_finish(w, &sec), KZ_OK);
    kz_fields_writer_free(w);
    const uint8_t want[] = {
        2,   0,   0,   0,   0,   0,   0,   0,                                 /* ndocs, zero */
        2,   0,   0,   0,   1,   0,   0,   0,   12,  0,   0,   0, 0, 0, 0, 0, /* dates: 2 values, width 1 */
        10,  '2', '0', '2', '2', '-', '0', '1', '-', '0', '5', 0,             /* "2022-01-05", "" */
        0,   1,                                                               /* ids */
        1,   0,   0,   0,   1,   0,   0,   0,   3,   0,   0,   0, 0, 0, 0, 0, 2,
        'e', 'n',                                /* languages: "en" */
        0,   0,                                  /* ids */
        8,   0,   0,   0,   0,   0,   0,   0,    /* names: 8 bytes */
        0,   3,   'a', '/', 'b', 2,   1,   'c'}; /* "a/b", then 2 + "c" */
    cr_assert_eq(sec.len, sizeof want);
    cr_assert_eq(memcmp(sec.data, want, sizeof want), 0);
    kz_buf_free(&sec);
}

Test(fields, sizes_that_cannot_be_a_section_are_refused)
{
    kz_fields_writer *w;
    cr_assert_eq(kz_fields_writer_new(&w), KZ_OK);
    for (int d = 0; d < 3; d++)
        cr_assert_eq(kz_fields_writer_add(w, "x", 1, "y", 1, "n", 1), KZ_OK);
    kz_buf sec = KZ_BUF_INIT;
    cr_assert_eq(kz_fields_writer_finish(w, &sec), KZ_OK);
    kz_fields_writer_free(w);
    kz_fields f;
    cr_assert_eq(kz_fields_open(&f, sec.data, sec.len, 3), KZ_OK);
    cr_assert_eq(kz_fields_open(&f, sec.data, sec.len, 4), KZ_ECORRUPT); /* another count */
    for (size_t cut = 0; cut < sec.len; cut++)
        cr_assert_eq(kz_fields_open(&f, sec.data, cut, 3), KZ_ECORRUPT, "cut at %zu", cut);
    kz_buf_free(&sec);
}

/* Every byte of a small section flipped: open, ids, values and names either work or say
 * KZ_ECORRUPT, and never read outside the section (an exact-size copy under ASan). */
Test(fields, flipped_bytes_never_read_outside_the_section)
{
    doc *docs = random_docs(40, 6, 5);
    kz_buf sec = KZ_BUF_INIT;
    encode(docs, 40, &sec);
    for (size_t at = 0; at < sec.len; at++) {
        for (int bit = 0; bit < 8; bit += 3) {
            uint8_t *copy = malloc(sec.len);
            memcpy(copy, sec.data, sec.len);
            copy[at] ^= (uint8_t)(1u << bit);
            kz_fields f;
            if (kz_fields_open(&f, copy, sec.len, 40) == KZ_OK) {
                const kz_fields_column *cols[2] = {&f.date, &f.lang};
                for (int c = 0; c < 2; c++) {
                    uint64_t pos = 0;
                    const uint8_t *v;
                    size_t len;
                    for (uint32_t i = 0; i < cols[c]->nvalues; i++)
                        if (kz_fields_value_next(cols[c], &pos, &v, &len) != KZ_OK) break;
                    for (uint32_t d = 0; d < 40; d++) {
                        uint32_t id;
                        int rc = kz_fields_id(cols[c], d, &id);
                        cr_assert(rc == KZ_OK ? id < cols[c]->nvalues : rc == KZ_ECORRUPT);
                    }
                }
                kz_fields_names it;
                kz_fields_names_init(&it, &f);
                const char *name;
                size_t len;
                for (uint32_t d = 0; d < 40; d++)
                    if (kz_fields_names_next(&it, &name, &len) != KZ_OK) break;
                kz_fields_names_free(&it);
            }
            free(copy);
        }
    }
    kz_buf_free(&sec);
    free(docs);
}

/* ---- the filters ---- */

#define NDOCS 1200

typedef struct gen_doc {
    char id[48], lang[8], date[12];
} gen_doc;

static const char *const LANGS[] = {"en", "en-GB", "EN-us", "zh", "ru", "eng", ""};
static const char *const DATES[] = {"2021-03-04", "2022-01-05", "2022-01-31",
                                    "2022-02-01", "2023-12-01", ""};

static void generate(gen_doc *g, const char *path)
{
    uint64_t rng = 77;
    kz_buf out = KZ_BUF_INIT;
    for (int d = 0; d < NDOCS; d++) {
        snprintf(g[d].id, sizeof g[d].id, "dir%d/report-%03u.txt", d / 150,
                 (unsigned)(kz_test_rnd(&rng) % 400));
        snprintf(g[d].lang, sizeof g[d].lang, "%s", LANGS[kz_test_rnd(&rng) % 7]);
        snprintf(g[d].date, sizeof g[d].date, "%s", DATES[kz_test_rnd(&rng) % 6]);
        char line[256];
        int n =
            snprintf(line, sizeof line, "{\"id\": \"%s\", \"text\": \"alpha word%d\"", g[d].id, d);
        kz_buf_append(&out, line, (size_t)n);
        if (g[d].lang[0]) {
            n = snprintf(line, sizeof line, ", \"lang\": \"%s\"", g[d].lang);
            kz_buf_append(&out, line, (size_t)n);
        }
        if (g[d].date[0]) {
            n = snprintf(line, sizeof line, ", \"date\": \"%s\"", g[d].date);
            kz_buf_append(&out, line, (size_t)n);
        }
        kz_buf_append(&out, "}\n", 2);
    }
    kzt_write_file(path, out.data, out.len);
    kz_buf_free(&out);
}

/* The test's own reading of each filter (the query syntax's documented meaning). */
static int lang_is(const char *lang, const char *want)
{
    size_t n = strlen(want);
    if (strlen(lang) < n) return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)lang[i]) != tolower((unsigned char)want[i])) return 0;
    return lang[n] == '\0' || lang[n] == '-';
}

static int date_in(const char *date, const char *lo, const char *hi)
{
    return date[0] && strcmp(date, lo) >= 0 && strcmp(date, hi) <= 0;
}

static int doc_is(const char *id, const char *pattern)
{
    return strpbrk(pattern, "*?[") ? fnmatch(pattern, id, 0) == 0 : strstr(id, pattern) != NULL;
}

typedef struct filter_case {
    const char *query;
    int (*wants)(const gen_doc *g);
} filter_case;

static int w_en(const gen_doc *g)
{
    return lang_is(g->lang, "en");
}
static int w_not_en(const gen_doc *g)
{
    return !lang_is(g->lang, "en");
}
static int w_zh_or_ru(const gen_doc *g)
{
    return lang_is(g->lang, "zh") || lang_is(g->lang, "ru");
}
static int w_jan(const gen_doc *g)
{
    return date_in(g->date, "2022-01-01", "2022-01-31");
}
static int w_from(const gen_doc *g)
{
    return date_in(g->date, "2022-01-05", "9999-12-31");
}
static int w_not_2022(const gen_doc *g)
{
    return !date_in(g->date, "2022-01-01", "2022-12-31");
}
static int w_dir3(const gen_doc *g)
{
    return doc_is(g->id, "dir3/");
}
static int w_not_report1(const gen_doc *g)
{
    return !doc_is(g->id, "report-1");
}
static int w_glob(const gen_doc *g)
{
    return doc_is(g->id, "dir[12]/*7.txt");
}
static int w_boundary(const gen_doc *g)
{
    return doc_is(g->id, "rt-2");
}
static int w_not_boundary(const gen_doc *g)
{
    return !doc_is(g->id, "3.t") && !doc_is(g->id, "r1/");
}
static int w_mixed(const gen_doc *g)
{
    return lang_is(g->lang, "en") && date_in(g->date, "2022-01-01", "2022-12-31") &&
           !doc_is(g->id, "dir0/");
}

static const filter_case CASES[] = {
    {"alpha lang:en", w_en},
    {"alpha -lang:en", w_not_en},
    {"alpha lang:zh lang:ru", w_zh_or_ru},
    {"alpha date:2022-01", w_jan},
    {"alpha date:>=2022-01-05", w_from},
    {"alpha -date:2022", w_not_2022},
    {"alpha doc:dir3/", w_dir3},
    {"alpha -doc:report-1", w_not_report1},
    {"alpha doc:dir[12]/*7.txt", w_glob},
    {"alpha lang:en date:2022 -doc:dir0/", w_mixed},
    {"alpha doc:rt-2", w_boundary},
    {"alpha -doc:3.t -doc:r1/", w_not_boundary},
};

static void check_filters(const char *dir, const gen_doc *g)
{
    kz_index *ix = kzc_open(dir);
    for (size_t c = 0; c < sizeof CASES / sizeof *CASES; c++) {
        kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
        o.k = NDOCS + 10;
        kz_results *r = kzc_search(ix, CASES[c].query, &o);
        char *seen = calloc(NDOCS, 1);
        for (size_t i = 0; i < kz_results_count(r); i++) {
            const kz_hit *h = kz_results_hit(r, i);
            int d = -1;
            cr_assert_eq(sscanf(strstr(h->text, "word"), "word%d", &d), 1);
            cr_assert(d >= 0 && d < NDOCS && !seen[d], "[%s] passage %s", CASES[c].query, h->text);
            seen[d] = 1;
        }
        size_t want = 0;
        for (int d = 0; d < NDOCS; d++) {
            int w = CASES[c].wants(&g[d]);
            want += (size_t)w;
            cr_assert_eq(seen[d], w, "[%s] document %s (lang \"%s\", date \"%s\") %s",
                         CASES[c].query, g[d].id, g[d].lang, g[d].date, w ? "missing" : "returned");
        }
        cr_assert(want > 0 && want < NDOCS, "[%s] selects %zu of %d", CASES[c].query, want, NDOCS);
        free(seen);
        kz_results_free(r);
    }
    kz_index_close(ix);
}

Test(fields, filters_return_exactly_the_documents_their_fields_select)
{
    char *src = kzt_tempdir();
    char *path = kzt_path(src, "records.jsonl");
    gen_doc *g = calloc(NDOCS, sizeof *g);
    generate(g, path);
    const char *paths[] = {path};
    char *one = kzt_path(src, "one"), *many = kzt_path(src, "many");
    kzc_build(one, paths, 1, NULL);
    kz_writer_options small = kzc_many_segments();
    kzc_build(many, paths, 1, &small);
    check_filters(one, g);
    check_filters(many, g);
    free(one);
    free(many);
    free(path);
    free(g);
    kzt_rmtree(src);
}
