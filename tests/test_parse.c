/* test_parse.c - the query parser: canonical forms written by hand, the tree it builds, a table
 * of malformed queries and their messages, UTF-8 and White_Space checked against independent
 * references (Python's decoder, Unicode's PropList.txt, Python's calendar), and 100,000 random
 * inputs that must never crash and whose canonical form must read back the same. */
#include "../query/parse.h"

#include "error.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parses q and returns its canonical form (malloc'd), failing the test on an error. */
static char *canon(const char *q, size_t len)
{
    kz_qnode *n = NULL;
    int rc = kz_query_parse(&n, q, len);
    cr_assert_eq(rc, KZ_OK, "query [%s] failed: %s", q, kz_errmsg());
    kz_buf b = KZ_BUF_INIT;
    cr_assert_eq(kz_qnode_format(n, &b), KZ_OK);
    cr_assert_eq(kz_buf_terminate(&b), KZ_OK);
    kz_qnode_free(n);
    return (char *)b.data;
}

static kz_qnode *parse_ok(const char *q)
{
    kz_qnode *n = NULL;
    int rc = kz_query_parse(&n, q, strlen(q));
    cr_assert_eq(rc, KZ_OK, "query [%s] failed: %s", q, kz_errmsg());
    return n;
}

Test(parse, good_queries_have_their_canonical_form)
{
    static const struct {
        const char *q, *canonical;
    } cases[] = {
        {"kazakhstan", "kazakhstan"},
        {"Tokayev -Putin", "Tokayev -Putin"},
        {"a b AND c", "a (b AND c)"},
        {"(a OR b) +c", "(a OR b) +c"},
        {"a OR b AND c", "a OR (b AND c)"},
        {"a AND b OR c AND d", "(a AND b) OR (c AND d)"},
        {"a AND b AND c", "a AND b AND c"},
        {"(a AND b) AND c", "(a AND b) AND c"},
        {"a OR b c OR d", "(a OR b) (c OR d)"},
        {"a NOT b", "a -b"},
        {"a AND NOT b", "a AND -b"},
        {"NOT (a b) c", "-(a b) c"},
        {"-(a OR b) c", "-(a OR b) c"},
        {"+(a b) c", "+(a b) c"},
        {"-(+a) b", "-(+a) b"},
        {"(-a) b", "-a b"},
        {"((a b))", "a b"},
        {"(a)", "a"},
        {"+a", "+a"},
        {"and or not", "and or not"},
        {"Or anD", "Or anD"},
        {"-AND x", "-AND x"},
        {"AND-OR", "AND-OR"},
        {"post-Soviet U.S. don't", "post-Soviet U.S. don't"},
        {"c++ +c#", "c++ +c#"},
        {"a-b -c", "a-b -c"},
        {"\xe5\x93\x88\xe8\x90\xa8\xe5\x85\x8b\xe6\x96\xaf\xe5\x9d\xa6\xe3\x80\x80\xe6\x80\xbb"
         "\xe7\xbb\x9f",
         "\xe5\x93\x88\xe8\x90\xa8\xe5\x85\x8b\xe6\x96\xaf\xe5\x9d\xa6 \xe6\x80\xbb\xe7\xbb\x9f"},
        {"  a\t\nb\xc2\xa0"
         "c  ",
         "a b c"},
        {"\"exact  phrase\" x", "\"exact  phrase\" x"},
        {"+\"a b\" -\"c d\" e", "+\"a b\" -\"c d\" e"},
        {"NOT \"c d\" e", "-\"c d\" e"},
        {"a\"b c\"d", "a \"b c\" d"},
        {"\"a\\\" b", "\"a\\\" b"},
        {"\"(a OR b)\"", "\"(a OR b)\""},
        {"kaz* +ab* -xy*", "kaz* +ab* -xy*"},
        {"\xe5\x93\x88\xe8\x90\xa8*", "\xe5\x93\x88\xe8\x90\xa8*"},
        {"a*b", "a*b"},
        {"http://x.com/a 10:30 foo:bar", "http://x.com/a 10:30 foo:bar"},
        {"x date:2022-01-06", "x date:2022-01-06"},
        {"x Date:>=2022-01-08", "x date:>=2022-01-08"},
        {"x date:>2022 date:<=2022-03 date:<2022-01-02",
         "x date:>2022 date:<=2022-03 date:<2022-01-02"},
        {"x date:2022-01-01..2022-01-08", "x date:2022-01-01..2022-01-08"},
        {"x date:\"2022\"", "x date:2022"},
        {"x doc:\"my notes.txt\"", "x doc:\"my notes.txt\""},
        {"x doc:\"notes\"", "x doc:notes"},
        {"x DOC:*.jsonl", "x doc:*.jsonl"},
        {"x lang:zh -lang:ru", "x lang:zh -lang:ru"},
        {"x lang:zh-Hans", "x lang:zh-Hans"},
        {"x (lang:en OR lang:ru)", "x (lang:en OR lang:ru)"},
        {"kazakhstan -date:2022-01", "kazakhstan -date:2022-01"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *got = canon(cases[i].q, strlen(cases[i].q));
        cr_expect_str_eq(got, cases[i].canonical, "query [%s]", cases[i].q);
        free(got);
    }
}

Test(parse, precedence_builds_seq_of_and)
{
    kz_qnode *n = parse_ok("a b AND c");
    cr_assert_eq(n->type, KZ_Q_SEQ);
    cr_assert_eq(n->nkids, 2);
    cr_assert_eq(n->kids[0]->type, KZ_Q_WORD);
    cr_assert_str_eq(n->kids[0]->text, "a");
    cr_assert_eq(n->kids[1]->type, KZ_Q_AND);
    cr_assert_eq(n->kids[1]->nkids, 2);
    cr_assert_str_eq(n->kids[1]->kids[1]->text, "c");
    cr_assert_eq(n->kids[1]->kids[1]->offset, 8);
    kz_qnode_free(n);
}

Test(parse, signs_and_not_set_occur_on_the_clause)
{
    kz_qnode *n = parse_ok("Tokayev -Putin +Nazarbayev NOT Medvedev");
    cr_assert_eq(n->type, KZ_Q_SEQ);
    cr_assert_eq(n->nkids, 4);
    const kz_occur want[] = {KZ_OCCUR_DEFAULT, KZ_OCCUR_MUST_NOT, KZ_OCCUR_MUST, KZ_OCCUR_MUST_NOT};
    const size_t offsets[] = {0, 8, 15, 27};
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(n->kids[i]->type, KZ_Q_WORD);
        cr_assert_eq(n->kids[i]->occur, want[i], "kid %zu", i);
        cr_assert_eq(n->kids[i]->offset, offsets[i], "kid %zu", i);
    }
    cr_assert_str_eq(n->kids[1]->text, "Putin");
    cr_assert_str_eq(n->kids[3]->text, "Medvedev");
    kz_qnode_free(n);
}

Test(parse, leaves_keep_the_raw_text)
{
    kz_qnode *n = parse_ok("\"U.S.  post-Soviet\" kaz* don't");
    cr_assert_eq(n->kids[0]->type, KZ_Q_PHRASE);
    cr_assert_str_eq(n->kids[0]->text, "U.S.  post-Soviet");
    cr_assert_eq(n->kids[0]->len, 17);
    cr_assert_eq(n->kids[1]->type, KZ_Q_PREFIX);
    cr_assert_str_eq(n->kids[1]->text, "kaz");
    cr_assert_eq(n->kids[1]->len, 3);
    cr_assert_eq(n->kids[2]->type, KZ_Q_WORD);
    cr_assert_str_eq(n->kids[2]->text, "don't");
    kz_qnode_free(n);
}

Test(parse, the_tree_does_not_borrow_the_query_buffer)
{
    char *q = strdup("alpha \"beta gamma\"");
    kz_qnode *n = NULL;
    cr_assert_eq(kz_query_parse(&n, q, strlen(q)), KZ_OK);
    memset(q, 'z', strlen(q));
    free(q);
    cr_assert_str_eq(n->kids[0]->text, "alpha");
    cr_assert_str_eq(n->kids[1]->text, "beta gamma");
    kz_qnode_free(n);
    kz_qnode_free(NULL);
}

Test(parse, date_filters_give_inclusive_day_bounds)
{
    static const struct {
        const char *value;
        int op;
        const char *text, *lo, *hi;
    } cases[] = {
        {"2022-01-06", KZ_OP_EQ, "2022-01-06", "2022-01-06", "2022-01-06"},
        {"2022-01", KZ_OP_EQ, "2022-01", "2022-01-01", "2022-01-31"},
        {"2022", KZ_OP_EQ, "2022", "2022-01-01", "2022-12-31"},
        {"2024-02", KZ_OP_EQ, "2024-02", "2024-02-01", "2024-02-29"},
        {"1900-02", KZ_OP_EQ, "1900-02", "1900-02-01", "1900-02-28"},
        {"2000-02", KZ_OP_EQ, "2000-02", "2000-02-01", "2000-02-29"},
        {">=2022-01-08", KZ_OP_GE, "2022-01-08", "2022-01-08", "9999-12-31"},
        {">2022-01-08", KZ_OP_GT, "2022-01-08", "2022-01-09", "9999-12-31"},
        {">2022-12", KZ_OP_GT, "2022-12", "2023-01-01", "9999-12-31"},
        {">2022-01-31", KZ_OP_GT, "2022-01-31", "2022-02-01", "9999-12-31"},
        {"<=2022-02", KZ_OP_LE, "2022-02", "0001-01-01", "2022-02-28"},
        {"<2024-03-01", KZ_OP_LT, "2024-03-01", "0001-01-01", "2024-02-29"},
        {"<2022", KZ_OP_LT, "2022", "0001-01-01", "2021-12-31"},
        {"2022-01-01..2022-01-08", KZ_OP_RANGE, "2022-01-01..2022-01-08", "2022-01-01",
         "2022-01-08"},
        {"2021-12..2022", KZ_OP_RANGE, "2021-12..2022", "2021-12-01", "2022-12-31"},
        {"2022-01-06..2022-01-06", KZ_OP_RANGE, "2022-01-06..2022-01-06", "2022-01-06",
         "2022-01-06"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char q[64];
        snprintf(q, sizeof q, "x date:%s", cases[i].value);
        kz_qnode *n = parse_ok(q);
        const kz_qnode *f = n->kids[1];
        cr_assert_eq(f->type, KZ_Q_FILTER, "%s", q);
        cr_expect_eq(f->field, KZ_FIELD_DATE, "%s", q);
        cr_expect_eq(f->op, cases[i].op, "%s", q);
        cr_expect_str_eq(f->text, cases[i].text, "%s", q);
        cr_expect_str_eq(f->date_lo, cases[i].lo, "%s", q);
        cr_expect_str_eq(f->date_hi, cases[i].hi, "%s", q);
        kz_qnode_free(n);
    }
}

Test(parse, month_filters_end_on_the_day_python_calendar_gives)
{
    char *out = kzt_run("/usr/bin/python3 -c 'import calendar\n"
                        "for y in range(1896, 2105):\n"
                        "  for m in range(1, 13): print(\"%04d-%02d %04d-%02d-%02d\" % "
                        "(y, m, y, m, calendar.monthrange(y, m)[1]))'",
                        NULL);
    size_t lines = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n"), lines++) {
        char q[64];
        snprintf(q, sizeof q, "x date:%.7s", line);
        kz_qnode *n = parse_ok(q);
        cr_assert_str_eq(n->kids[1]->date_hi, line + 8, "%s", q);
        kz_qnode_free(n);
    }
    cr_assert_eq(lines, 209 * 12);
    free(out);
}

Test(parse, filters_match_documents_dates_and_languages)
{
    kz_qnode *n = parse_ok("x doc:notes doc:*.jsonl doc:2022-0?-*.txt lang:zh date:2022-01 "
                           "date:>=2022-01-08");
    const kz_qnode *sub = n->kids[1], *glob = n->kids[2], *q = n->kids[3], *zh = n->kids[4];
    const kz_qnode *jan = n->kids[5], *after = n->kids[6];
    cr_assert(kz_qfilter_doc_matches(sub, "/data/notes/a.txt"));
    cr_assert(kz_qfilter_doc_matches(sub, "mynotes"));
    cr_assert_not(kz_qfilter_doc_matches(sub, "/data/Notes/a.txt"));
    cr_assert(kz_qfilter_doc_matches(glob, "/data/news/2022.jsonl"));
    cr_assert_not(kz_qfilter_doc_matches(glob, "/data/news/2022.jsonl.bak"));
    cr_assert(kz_qfilter_doc_matches(q, "2022-01-06.txt"));
    cr_assert_not(kz_qfilter_doc_matches(q, "2022-10-06.txt"));
    cr_assert_not(kz_qfilter_doc_matches(zh, "notes"));
    cr_assert(kz_qfilter_lang_matches(zh, "zh", 2));
    cr_assert(kz_qfilter_lang_matches(zh, "ZH-Hans", 7));
    cr_assert_not(kz_qfilter_lang_matches(zh, "zhx", 3));
    cr_assert_not(kz_qfilter_lang_matches(zh, "z", 1));
    cr_assert_not(kz_qfilter_lang_matches(zh, "", 0));
    cr_assert(kz_qfilter_date_matches(jan, "2022-01-01", 10));
    cr_assert(kz_qfilter_date_matches(jan, "2022-01-31", 10));
    cr_assert_not(kz_qfilter_date_matches(jan, "2022-02-01", 10));
    cr_assert_not(kz_qfilter_date_matches(jan, "2021-12-31", 10));
    cr_assert_not(kz_qfilter_date_matches(jan, "", 0));
    cr_assert_not(kz_qfilter_date_matches(jan, "2022-01-3x", 10));
    cr_assert(kz_qfilter_date_matches(after, "2022-01-08", 10));
    cr_assert(kz_qfilter_date_matches(after, "2031-05-17", 10));
    cr_assert_not(kz_qfilter_date_matches(after, "2022-01-07", 10));
    kz_qnode_free(n);
}

/* ---- malformed queries ------------------------------------------------------------------ */

static void expect_error(const char *q, size_t len, const char *message)
{
    kz_qnode *n = (kz_qnode *)1;
    int rc = kz_query_parse(&n, q, len);
    cr_expect_eq(rc, KZ_EQUERY, "query [%.*s]: status %d", (int)len, q, rc);
    cr_expect_null(n, "query [%.*s]", (int)len, q);
    cr_expect(strstr(kz_errmsg(), message) != NULL, "query [%.*s]: message [%s], wanted [%s]",
              (int)len, q, kz_errmsg(), message);
    if (rc == KZ_OK) kz_qnode_free(n);
}

Test(parse, malformed_queries_get_a_message_pointing_at_the_problem)
{
    static const struct {
        const char *q, *message;
    } cases[] = {
        {"\"a b", "unbalanced quote: the phrase opened at column 1 is never closed"},
        {"kazakhstan \"president", "unbalanced quote: the phrase opened at column 12"},
        {"a \"b\" \"c", "the phrase opened at column 7 is never closed"},
        {"(a b", "unbalanced parenthesis: the ( at column 1 is never closed"},
        {"(a (b) c", "the ( at column 1 is never closed"},
        {"a b)", "unbalanced parenthesis: the ) at column 4 closes nothing"},
        {")a(", "the ) at column 1 closes nothing"},
        {"a AND", "AND at column 3 has nothing on its right"},
        {"a OR", "OR at column 3 has nothing on its right"},
        {"OR b", "OR at column 1 has nothing on its left"},
        {"AND", "AND at column 1 has nothing on its left"},
        {"AND OR NOT", "AND at column 1 has nothing on its left"},
        {"a OR OR b", "OR at column 3 has nothing on its right"},
        {"(a AND) b", "AND at column 4 has nothing on its right"},
        {"a (OR b)", "OR at column 4 has nothing on its left"},
        {"NOT", "NOT at column 1 has nothing to negate"},
        {"a NOT", "NOT at column 3 has nothing to negate"},
        {"a NOT OR b", "NOT at column 3 has nothing to negate"},
        {"-", "a lone - at column 1"},
        {"+", "a lone + at column 1"},
        {"a - b", "a lone - at column 3"},
        {"(a -)", "a lone - at column 4"},
        {"--a", "-- at column 1"},
        {"+-a", "+- at column 1"},
        {"NOT NOT a", "NOT NOT at column 1"},
        {"NOT -a b", "NOT at column 1 is followed by -"},
        {"", "empty query"},
        {" \t\xe3\x80\x80", "empty query"},
        {"()", "empty parentheses at column 1"},
        {"a ( ) b", "empty parentheses at column 3"},
        {"-putin", "nothing to rank: the query only excludes"},
        {"NOT putin", "nothing to rank: the query only excludes"},
        {"-a -b", "nothing to rank: the query only excludes"},
        {"-(a b)", "nothing to rank: the query only excludes"},
        {"lang:zh", "nothing to rank: the query has only filters"},
        {"date:2022 -putin", "nothing to rank: the query has only filters"},
        {"(-a -b) c", "the group at column 1 only excludes"},
        {"c -a AND -b", "the group at column 3 only excludes"},
        {"a OR -b", "the alternative at column 6 is excluded"},
        {"a OR NOT b", "the alternative at column 6 is excluded"},
        {"+a OR b", "the alternative at column 1 is marked required"},
        {"*", "a prefix needs at least 2 characters before its *"},
        {"x a*", "'a*' at column 3: a prefix needs at least 2 characters"},
        {"-*", "a prefix needs at least 2 characters"},
        {"ab**", "a prefix takes a single * at its end"},
        {"x \"\"", "empty phrase at column 3"},
        {"x \" \xe3\x80\x80 \"", "empty phrase at column 3"},
        {"x date:2022-13", "'2022-13' is not a date"},
        {"x date:2023-02-29", "'2023-02-29' is not a date"},
        {"x date:22-01-01", "'22-01-01' is not a date"},
        {"x date:0000", "'0000' is not a date"},
        {"x date:>=2022..2023", "'2022..2023' is not a date"},
        {"x date:2022..", "'2022..' is not a date"},
        {"x date:=2022", "'=2022' is not a date"},
        {"x date:>9999", "'9999' accepts no date at all"},
        {"x date:<0001-01-01", "'0001-01-01' accepts no date at all"},
        {"x date:2022-02..2022-01", "its range ends before it starts"},
        {"x date:", "filter date: at column 3 has no value"},
        {"x lang: zh", "filter lang: at column 3 has no value"},
        {"x doc:\"\"", "filter doc: at column 3 has no value"},
        {"x doc:\"abc", "unbalanced quote: the value opened at column 7 is never closed"},
        {"x lang:zh_CN", "'zh_CN' is not a language code"},
        {"x lang:e", "'e' is not a language code"},
        {"x lang:\x1b[1m", "'?[1m' is not a language code"},
        {"x date:2022-01-01-2022-01-31-2022-02-01-2022-02-28",
         "'2022-01-01-2022-01-31-2022-02-01-2022-02...' is not a date"},
        {"x lang:zh-", "'zh-' is not a language code"},
        {"ab\xff", "invalid UTF-8 at byte 2 (column 3)"},
        {"\xe5\x93\x88\xc3", "invalid UTF-8 at byte 3 (column 2)"},
        {"\xed\xa0\x80", "invalid UTF-8 at byte 0"},
        {"a \xc0\xaf", "invalid UTF-8 at byte 2"},
        {"a \xf4\x90\x80\x80", "invalid UTF-8 at byte 2"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        expect_error(cases[i].q, strlen(cases[i].q), cases[i].message);
    expect_error("a\0b", 3, "NUL byte at column 2");
}

Test(parse, message_draws_the_spot_under_the_query)
{
    expect_error("a \"b", 4,
                 "unbalanced quote: the phrase opened at column 3 is never closed\n"
                 "  a \"b\n"
                 "    ^");
    /* three wide characters and a space: the caret goes under column 8 of the terminal */
    expect_error("\xe5\x93\x88\xe8\x90\xa8\xe5\x85\x8b \"x", 12,
                 "the phrase opened at column 5 is never closed\n"
                 "  \xe5\x93\x88\xe8\x90\xa8\xe5\x85\x8b \"x\n"
                 "         ^");
    expect_error("a\tb )", 5, ") at column 5 closes nothing\n  a b )\n      ^");
}

/* A query of n words "w1 w2 ..." (malloc'd). */
static char *many_words(size_t n, size_t *len)
{
    char *q = malloc(n * 8 + 1);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) k += (size_t)sprintf(q + k, "w%zu ", i + 1);
    *len = k;
    return q;
}

Test(parse, at_most_1024_terms)
{
    size_t len;
    char *q = many_words(10000, &len);
    expect_error(q, len, "query has 10000 terms; at most 1024 are allowed");
    free(q);
    q = many_words(1025, &len);
    expect_error(q, len, "query has 1025 terms; at most 1024 are allowed");
    free(q);
    q = many_words(1024, &len);
    kz_qnode *n = NULL;
    cr_assert_eq(kz_query_parse(&n, q, len), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(n->nkids, 1024);
    kz_qnode_free(n);
    free(q);
    /* words inside a phrase count too */
    q = many_words(1100, &len);
    q[0] = '"';
    q[len - 1] = '"';
    expect_error(q, len, "query has 1100 terms");
    free(q);
}

Test(parse, nesting_is_bounded_without_deep_recursion)
{
    const size_t deep = 100000;
    char *q = malloc(2 * deep + 1);
    memset(q, '(', deep);
    q[deep] = 'a';
    memset(q + deep + 1, ')', deep);
    expect_error(q, 2 * deep + 1, "parentheses nested deeper than 64 at column 65");
    free(q);
    char ok[64 * 2 + 2];
    memset(ok, '(', 64);
    ok[64] = 'a';
    memset(ok + 65, ')', 64);
    ok[129] = '\0';
    char *got = canon(ok, strlen(ok));
    cr_assert_str_eq(got, "a");
    free(got);
    ok[0] = ' ';
    ok[128] = '\0';
    got = canon(ok, strlen(ok));
    cr_assert_str_eq(got, "a");
    free(got);
}

Test(parse, overlong_query_is_refused)
{
    size_t len;
    char *q = many_words(KZ_QUERY_MAX_BYTES / 4, &len);
    for (size_t i = 0; i < len; i++)
        if (q[i] == ' ' && i % 16 != 0) q[i] = 'x';
    expect_error(q, len, "bytes long; at most 65536 are allowed");
    free(q);
}

/* ---- independent references ------------------------------------------------------------- */

Test(parse, words_split_at_unicode_white_space_from_proplist)
{
    char *path = kzt_path("/usr/share/unicode", "PropList.txt");
    size_t flen;
    char *props = kzt_read_file(path, &flen);
    static unsigned char white[0x3100];
    size_t nwhite = 0;
    for (char *line = strtok(props, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        unsigned lo, hi;
        char prop[32];
        if (sscanf(line, "%x..%x ; %31s", &lo, &hi, prop) == 3 ||
            (sscanf(line, "%x ; %31s", &lo, prop) == 2 && (hi = lo, 1))) {
            if (strcmp(prop, "White_Space") != 0) continue;
            cr_assert_lt(hi, sizeof white);
            for (unsigned c = lo; c <= hi; c++) white[c] = 1, nwhite++;
        }
    }
    cr_assert_gt(nwhite, 20);
    for (unsigned c = 1; c < sizeof white; c++) {
        if (c == '(' || c == ')' || c == '"' || (c >= 0xD800 && c <= 0xDFFF)) continue;
        char q[8] = "a";
        size_t k = 1;
        if (c < 0x80) {
            q[k++] = (char)c;
        } else if (c < 0x800) {
            q[k++] = (char)(0xC0 | (c >> 6));
            q[k++] = (char)(0x80 | (c & 0x3F));
        } else {
            q[k++] = (char)(0xE0 | (c >> 12));
            q[k++] = (char)(0x80 | ((c >> 6) & 0x3F));
            q[k++] = (char)(0x80 | (c & 0x3F));
        }
        q[k++] = 'b';
        kz_qnode *n = NULL;
        cr_assert_eq(kz_query_parse(&n, q, k), KZ_OK, "U+%04X: %s", c, kz_errmsg());
        cr_assert_eq(n->type == KZ_Q_SEQ && n->nkids == 2, white[c], "U+%04X", c);
        kz_qnode_free(n);
    }
    free(props);
    free(path);
}

/* xorshift64*: a fixed, portable sequence for the random inputs. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

Test(parse, invalid_utf8_is_found_where_python_finds_it)
{
    static const unsigned char bytes[] = {0x41, 0x20, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                          0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF, 0xF0,
                                          0xF4, 0xF5, 0xFF, 0xE5, 0x93, 0x88};
    enum { CASES = 3000, MAXLEN = 12 };
    static unsigned char inputs[CASES][MAXLEN];
    static size_t lens[CASES];
    uint64_t seed = 0x5eed0001;
    char *dir = kzt_tempdir(), *file = kzt_path(dir, "inputs.hex");
    kz_buf hex = KZ_BUF_INIT;
    for (size_t i = 0; i < CASES; i++) {
        lens[i] = 1 + next_random(&seed) % MAXLEN;
        for (size_t k = 0; k < lens[i]; k++) {
            char h[3];
            inputs[i][k] = bytes[next_random(&seed) % sizeof bytes];
            snprintf(h, sizeof h, "%02x", inputs[i][k]);
            kz_buf_append(&hex, h, 2);
        }
        kz_buf_append_u8(&hex, '\n');
    }
    kzt_write_file(file, hex.data, hex.len);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c 'import sys\n"
             "for l in open(sys.argv[1]):\n"
             "  b = bytes.fromhex(l.strip())\n"
             "  try: b.decode(\"utf-8\"); print(-1)\n"
             "  except UnicodeDecodeError as e: print(e.start)' %s",
             file);
    char *out = kzt_run(cmd, NULL);
    char *line = strtok(out, "\n");
    for (size_t i = 0; i < CASES; i++, line = strtok(NULL, "\n")) {
        cr_assert_not_null(line);
        long bad = strtol(line, NULL, 10);
        kz_qnode *n = NULL;
        int rc = kz_query_parse(&n, (const char *)inputs[i], lens[i]);
        kz_qnode_free(n);
        const char *msg = kz_errmsg();
        if (bad < 0) {
            cr_assert(rc == KZ_OK || strstr(msg, "invalid UTF-8") == NULL, "case %zu: %s", i, msg);
        } else {
            char want[64];
            snprintf(want, sizeof want, "invalid UTF-8 at byte %ld ", bad);
            cr_assert_eq(rc, KZ_EQUERY, "case %zu", i);
            cr_assert(strstr(msg, want) != NULL, "case %zu: [%s], wanted [%s]", i, msg, want);
        }
    }
    free(out);
    kz_buf_free(&hex);
    free(file);
    kzt_rmtree(dir);
}

/* ---- random inputs ---------------------------------------------------------------------- */

/* Checks the invariants parse.h promises of a tree. */
static void check_tree(const kz_qnode *n, int depth)
{
    cr_assert_lt(depth, 4 * KZ_QUERY_MAX_DEPTH + 4);
    cr_assert_neq(n->type, KZ_Q_NOT);
    if (n->type <= KZ_Q_FILTER) {
        cr_assert_eq(n->nkids, 0);
        cr_assert_not_null(n->text);
        cr_assert_gt(n->len, 0);
        cr_assert_eq(strlen(n->text), n->len);
        cr_assert_eq(n->type == KZ_Q_FILTER, n->field != KZ_FIELD_NONE);
        cr_assert_eq(n->field == KZ_FIELD_DATE, strlen(n->date_lo) == 10);
        cr_assert(n->field != KZ_FIELD_DATE || strcmp(n->date_lo, n->date_hi) <= 0);
        return;
    }
    cr_assert_null(n->text);
    cr_assert(n->nkids >= 2 || (n->type == KZ_Q_SEQ && n->nkids == 1 &&
                                n->occur != KZ_OCCUR_DEFAULT && n->kids[0]->occur != 0));
    size_t kept = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        if (n->type == KZ_Q_OR) cr_assert_eq(n->kids[i]->occur, KZ_OCCUR_DEFAULT);
        kept += n->kids[i]->occur != KZ_OCCUR_MUST_NOT;
        check_tree(n->kids[i], depth + 1);
    }
    cr_assert_gt(kept, 0);
}

Test(parse, random_inputs_never_crash_and_canonical_forms_read_back)
{
    static const char *const pieces[] = {"a",
                                         "bc",
                                         "kaz",
                                         "\xe5\x93\x88\xe8\x90\xa8",
                                         "(",
                                         ")",
                                         "\"",
                                         "+",
                                         "-",
                                         "*",
                                         "AND",
                                         "OR",
                                         "NOT",
                                         " ",
                                         " ",
                                         " ",
                                         "\xe3\x80\x80",
                                         "date:",
                                         "2022",
                                         "-01",
                                         "..",
                                         ">=",
                                         "<",
                                         "doc:",
                                         "x.txt",
                                         "lang:",
                                         "zh",
                                         ":",
                                         "\xff",
                                         "\xc3",
                                         "\\",
                                         "\t",
                                         "?",
                                         "-2022"};
    uint64_t seed = 42;
    size_t ok = 0, errors = 0;
    kz_buf q = KZ_BUF_INIT, c1 = KZ_BUF_INIT, c2 = KZ_BUF_INIT;
    for (int i = 0; i < 100000; i++) {
        kz_buf_clear(&q);
        size_t n = next_random(&seed) % 24;
        if (i % 2 == 0) { /* raw bytes */
            for (size_t k = 0; k < n; k++) kz_buf_append_u8(&q, (uint8_t)next_random(&seed));
        } else { /* a soup of the syntax */
            for (size_t k = 0; k < n; k++)
                kz_buf_append_str(&q,
                                  pieces[next_random(&seed) % (sizeof pieces / sizeof *pieces)]);
        }
        kz_qnode *t = NULL;
        int rc = kz_query_parse(&t, (const char *)q.data, q.len);
        if (rc != KZ_OK) {
            cr_assert_eq(rc, KZ_EQUERY, "case %d", i);
            cr_assert_null(t);
            cr_assert_gt(strlen(kz_errmsg()), 0);
            errors++;
            continue;
        }
        ok++;
        check_tree(t, 0);
        kz_buf_clear(&c1);
        cr_assert_eq(kz_qnode_format(t, &c1), KZ_OK);
        kz_qnode_free(t);
        rc = kz_query_parse(&t, (const char *)c1.data, c1.len);
        cr_assert_eq(rc, KZ_OK, "case %d: [%.*s] -> [%.*s]: %s", i, (int)q.len, q.data, (int)c1.len,
                     c1.data, kz_errmsg());
        kz_buf_clear(&c2);
        cr_assert_eq(kz_qnode_format(t, &c2), KZ_OK);
        kz_qnode_free(t);
        cr_assert(c1.len == c2.len && memcmp(c1.data, c2.data, c1.len) == 0,
                  "case %d: [%.*s] reads back as [%.*s]", i, (int)c1.len, c1.data, (int)c2.len,
                  c2.data);
    }
    /* the soup must exercise both outcomes, or the loop tests little */
    cr_assert_gt(ok, 5000);
    cr_assert_gt(errors, 5000);
    kz_buf_free(&q);
    kz_buf_free(&c1);
    kz_buf_free(&c2);
}
