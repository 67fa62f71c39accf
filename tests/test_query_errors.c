/* test_query_errors.c - malformed queries through kz_search: each is refused with its status
 * and a message naming the problem (and its column or byte offset), never a crash, never a
 * result; and the documented limits (1,024 terms, 64 levels, 65,536 bytes) hold exactly at
 * their boundary.
 *
 * The expected messages are the phrases docs/QUERY.md promises ("unbalanced quote", "a lone
 * -", ...), checked as substrings so wording around them may change. */
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

TestSuite(query_errors, .init = setup, .fini = teardown);

/* Runs q (len bytes) and checks the status and that the message holds every needle. */
static void expect(const char *q, size_t len, int status, const char *const *needles)
{
    kz_results *r = (kz_results *)&r; /* must be reset to NULL on failure */
    int rc = kz_search(&r, g_ix, q, len, NULL);
    const char *shown = len > 60 ? "(long query)" : q;
    cr_assert_eq(rc, status, "[%s]: status %d (%s), expected %d; message: %s", shown, rc,
                 kz_status_name(rc), status, kz_errmsg());
    cr_assert_null(r, "[%s]: results returned with an error", shown);
    const char *msg = kz_errmsg();
    for (size_t i = 0; needles[i]; i++)
        cr_assert_neq(strstr(msg, needles[i]), NULL, "[%s]: message \"%s\" lacks \"%s\"", shown,
                      msg, needles[i]);
}

#define NEEDLES(...)                                                                               \
    (const char *const[])                                                                          \
    {                                                                                              \
        __VA_ARGS__, NULL                                                                          \
    }

static const struct {
    const char *query;
    const char *const *needles;
} TABLE[] = {
    {"kazakhstan \"president", NEEDLES("unbalanced quote", "column 12")},
    {"\"", NEEDLES("unbalanced quote", "column 1")},
    {"(tokayev putin", NEEDLES("unbalanced parenthesis", "column 1")},
    {"tokayev putin)", NEEDLES("unbalanced parenthesis", "column 14")},
    {"((a) b", NEEDLES("unbalanced parenthesis")},
    {"-", NEEDLES("lone -")},
    {"tokayev - putin", NEEDLES("lone -", "column 9")},
    {"tokayev +", NEEDLES("lone +", "column 9")},
    {"--tokayev", NEEDLES("column 1")},
    {"NOT -tokayev", NEEDLES("NOT")},
    {"NOT NOT tokayev", NEEDLES("NOT NOT")},
    {"tokayev AND", NEEDLES("AND", "nothing on its right")},
    {"OR putin", NEEDLES("OR", "nothing on its left")},
    {"NOT", NEEDLES("NOT", "nothing to negate")},
    {"tokayev ()", NEEDLES("empty parentheses", "column 9")},
    {"tokayev \"\"", NEEDLES("empty phrase", "column 9")},
    {"", NEEDLES("empty query")},
    {"  \t ", NEEDLES("empty query")},
    {"-putin", NEEDLES("nothing to rank")},
    {"lang:zh", NEEDLES("nothing to rank")},
    {"(-a -b) c", NEEDLES("only excludes")},
    {"a OR -b", NEEDLES("OR")},
    {"*", NEEDLES("prefix")},
    {"k*", NEEDLES("prefix", "2 characters")},
    {"ka**", NEEDLES("single *")},
    {"tokayev date:2023-02-29", NEEDLES("not a date", "column 9")},
    {"tokayev date:2022-05..2022-01", NEEDLES("date")},
    {"tokayev date:10000-01-01", NEEDLES("not a date")},
    {"tokayev lang:", NEEDLES("no value")},
    {"tokayev doc:", NEEDLES("no value")},
    {"tokayev lang:12345678901", NEEDLES("language code")},
};

Test(query_errors, each_malformed_query_has_its_message)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++)
        expect(TABLE[i].query, strlen(TABLE[i].query), KZ_EQUERY, TABLE[i].needles);
}

Test(query_errors, invalid_utf8_names_the_byte_offset)
{
    static const struct {
        const char *bytes;
        size_t len;
        const char *offset;
    } bad[] = {
        {"tokayev \xff putin", 15, "8"},     /* a byte that never occurs in UTF-8 */
        {"almaty \xe9 putin", 14, "7"},      /* a lead byte without continuation */
        {"\xc0\xaf", 2, "0"},                /* an overlong '/' */
        {"ab \xed\xa0\x80", 6, "3"},         /* a UTF-16 surrogate */
        {"ab \xf4\x90\x80\x80", 7, "3"},     /* beyond U+10FFFF */
        {"\xe5\x93\x88\xe8\x90", 5, "3"},    /* 哈 then a truncated character */
        {"\"phrase \x80 inside\"", 17, "8"}, /* a lone continuation byte in a phrase */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        expect(bad[i].bytes, bad[i].len, KZ_EQUERY, NEEDLES("UTF-8", bad[i].offset));
}

Test(query_errors, a_nul_byte_is_refused)
{
    expect("tokayev\0putin", 13, KZ_EQUERY, NEEDLES("NUL"));
}

static char *repeat(const char *unit, size_t n, size_t *len)
{
    size_t u = strlen(unit);
    char *s = malloc(u * n + 1);
    cr_assert_not_null(s);
    for (size_t i = 0; i < n; i++) memcpy(s + i * u, unit, u);
    s[u * n] = '\0';
    *len = u * n;
    return s;
}

Test(query_errors, ten_thousand_terms_are_too_many)
{
    size_t len;
    char *q = repeat("ka ", 10000, &len);
    expect(q, len, KZ_EQUERY, NEEDLES("terms", "at most 1024", "column 3073"));
    free(q);
}

Test(query_errors, the_term_limit_is_1024)
{
    size_t len;
    char *q = repeat("almaty ", 1024, &len);
    kz_results *r = kzc_search(g_ix, q, NULL);
    cr_assert_gt(kz_results_count(r), 0);
    kz_results_free(r);
    free(q);
    q = repeat("almaty ", 1025, &len);
    expect(q, len, KZ_EQUERY, NEEDLES("terms", "at most 1024", "column 7169"));
    free(q);
    /* Words inside phrases count too. */
    char *inner = repeat("of ", 1025, &len);
    char *phrase = malloc(len + 3);
    cr_assert_not_null(phrase);
    int n = sprintf(phrase, "\"%s\"", inner);
    expect(phrase, (size_t)n, KZ_EQUERY, NEEDLES("terms", "at most 1024"));
    free(inner);
    free(phrase);
}

Test(query_errors, the_depth_limit_is_64)
{
    size_t open_len, close_len;
    char *open = repeat("(", 64, &open_len), *close = repeat(")", 64, &close_len);
    char q[256];
    int n = snprintf(q, sizeof q, "%salmaty%s", open, close);
    kz_results *r = kzc_search(g_ix, q, NULL);
    cr_assert_gt(kz_results_count(r), 0);
    kz_results_free(r);
    n = snprintf(q, sizeof q, "(%salmaty%s)", open, close);
    expect(q, (size_t)n, KZ_EQUERY, NEEDLES("deep"));
    free(open);
    free(close);
    /* Far deeper: refused the same way, without exhausting the stack. */
    size_t len;
    char *deep = repeat("(", 100000, &len);
    expect(deep, len, KZ_EQUERY, NEEDLES("deep"));
    free(deep);
}

Test(query_errors, the_length_limit_is_65536_bytes)
{
    char *q = malloc(65537 + 1);
    cr_assert_not_null(q);
    memset(q, ' ', 65537);
    memcpy(q, "almaty", 6);
    kz_results *r = NULL;
    cr_assert_eq(kz_search(&r, g_ix, q, 65536, NULL), KZ_OK, "%s", kz_errmsg());
    cr_assert_gt(kz_results_count(r), 0);
    kz_results_free(r);
    expect(q, 65537, KZ_EQUERY, NEEDLES("65537 bytes", "at most 65536"));
    free(q);
}

Test(query_errors, a_failed_query_leaves_the_index_usable)
{
    for (size_t i = 0; i < sizeof TABLE / sizeof *TABLE; i++) {
        expect(TABLE[i].query, strlen(TABLE[i].query), KZ_EQUERY, TABLE[i].needles);
        kz_results *r = kzc_search(g_ix, "almaty", NULL);
        cr_assert_gt(kz_results_count(r), 0);
        kz_results_free(r);
    }
}

Test(query_errors, bad_options_are_refused)
{
    kz_results *r = NULL;
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = 100000;
    o.offset = 1;
    cr_assert_eq(kz_search(&r, g_ix, "almaty", 6, &o), KZ_EINVAL);
    cr_assert_null(r);
    cr_assert_neq(strstr(kz_errmsg(), "at most"), NULL, "%s", kz_errmsg());
    o = (kz_search_options)KZ_SEARCH_OPTIONS_INIT;
    o.b = 1.5;
    cr_assert_eq(kz_search(&r, g_ix, "almaty", 6, &o), KZ_EINVAL);
    cr_assert_null(r);
    cr_assert_neq(strstr(kz_errmsg(), "b"), NULL);
}

/* Random strings of query syntax pieces: every one is either accepted or refused with
 * KZ_EQUERY and a message; none crashes (the Sanitize build checks memory) or fails otherwise. */
Test(query_errors, random_syntax_is_accepted_or_refused_with_a_message)
{
    static const char *PIECES[] = {
        "almaty", "tokayev",  "the",    "\"",      "(",   ")",           "+",   "-",
        " ",      " ",        "AND",    "OR",      "NOT", "*",           "ka*", "date:",
        "doc:",   "lang:",    "zh",     "2022-01", "..",  ">=",          "<",   "\xff",
        "\xe9",   "阿拉木图", "哈萨克", ":",       "\t",  "U.S.",        "\\",  "post-",
        "Дождь",  "2022",     "*.txt",  "[",       "?",   "\xe3\x80\x80" /* ideographic space */};
    const size_t npieces = sizeof PIECES / sizeof *PIECES;
    uint64_t s = 0xF022ULL;
    size_t accepted = 0, refused = 0;
    for (size_t i = 0; i < 4000; i++) {
        char q[512];
        size_t len = 0, n = 1 + (s % 12);
        for (size_t j = 0; j < n; j++) {
            s ^= s >> 12;
            s ^= s << 25;
            s ^= s >> 27;
            const char *p = PIECES[(s * 0x2545F4914F6CDD1DULL >> 33) % npieces];
            size_t pl = strlen(p);
            if (len + pl >= sizeof q) break;
            memcpy(q + len, p, pl);
            len += pl;
        }
        q[len] = '\0';
        kz_results *r = NULL;
        int rc = kz_search(&r, g_ix, q, len, NULL);
        if (rc == KZ_OK) {
            accepted++;
            cr_assert_not_null(r);
            for (size_t h = 0; h < kz_results_count(r); h++)
                cr_assert_gt(kz_results_hit(r, h)->score, 0.0, "[%s]", q);
            kz_results_free(r);
        } else {
            refused++;
            cr_assert_eq(rc, KZ_EQUERY, "[%s]: %d %s", q, rc, kz_errmsg());
            cr_assert_null(r);
            cr_assert_gt(strlen(kz_errmsg()), 10, "[%s]: no message", q);
        }
    }
    cr_assert_gt(accepted, 100);
    cr_assert_gt(refused, 100);
}
