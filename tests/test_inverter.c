/* test_inverter.c - the in-memory inversion (indexer/inverter.h): adding a passage's tokens at
 * once (kz_inverter_add_tokens, which looks ahead and prefetches) builds exactly what adding them
 * one by one builds, through table growth, repeated terms and repeated positions; and it stops
 * at the first token it rejects, having added those before it. The reference for the postings
 * is a direct count over the generated tokens. */
#include "inverter.h"
#include "test_rng.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPASSAGES 400
#define VOCAB     5000 /* enough distinct terms to grow the table from 1,024 slots several times */

typedef struct token_list {
    kz_inverter_token *t;
    size_t n, cap;
    uint32_t *ends; /* passage p's tokens are [ends[p - 1], ends[p]) */
    char (*words)[16];
} token_list;

/* Zipf-like draws from VOCAB words, passages of 0 to 80 tokens, positions that sometimes repeat
 * (search-mode alternatives) and sometimes skip. */
static void make_tokens(token_list *l, uint64_t seed)
{
    uint64_t rng = seed;
    memset(l, 0, sizeof *l);
    l->words = malloc(VOCAB * sizeof *l->words);
    for (int w = 0; w < VOCAB; w++) snprintf(l->words[w], sizeof l->words[w], "w%dx%d", w, w % 7);
    l->ends = malloc(NPASSAGES * sizeof *l->ends);
    l->cap = NPASSAGES * 80;
    l->t = malloc(l->cap * sizeof *l->t);
    for (uint32_t p = 0; p < NPASSAGES; p++) {
        uint32_t len = kz_test_rnd(&rng) % 81, pos = 0;
        for (uint32_t i = 0; i < len; i++) {
            uint32_t r = kz_test_rnd(&rng);
            uint32_t w = (r % 4 == 0) ? kz_test_rnd(&rng) % VOCAB : kz_test_rnd(&rng) % 40;
            const char *word = l->words[w];
            l->t[l->n++] = (kz_inverter_token){word, (uint32_t)strlen(word), pos};
            uint32_t step = kz_test_rnd(&rng) % 8;
            pos += step == 0 ? 0 : step == 1 ? 2 : 1;
        }
        l->ends[p] = (uint32_t)l->n;
    }
}

static void free_tokens(token_list *l)
{
    free(l->t);
    free(l->ends);
    free(l->words);
}

/* Everything a walk shows, as text: term, then each posting's passage, frequency, positions. */
static int dump_term(void *ctx, const char *term, size_t len, const uint32_t *docs,
                     const uint32_t *tfs, const uint32_t *positions, size_t n)
{
    FILE *f = ctx;
    fprintf(f, "%.*s:", (int)len, term);
    for (size_t i = 0; i < n; i++) {
        fprintf(f, " %u/%u(", docs[i], tfs[i]);
        for (uint32_t j = 0; j < tfs[i]; j++) fprintf(f, "%s%u", j ? "," : "", *positions++);
        fprintf(f, ")");
    }
    fprintf(f, "\n");
    return 0;
}

static char *dump(const kz_inverter *inv)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert_eq(kz_inverter_walk(inv, 0, dump_term, f), KZ_OK);
    fclose(f);
    return text;
}

/* One by one (chunk 0) or in chunks of up to `chunk` tokens of a passage. */
static kz_inverter *build(const token_list *l, size_t chunk, uint32_t *lengths)
{
    kz_inverter *inv;
    cr_assert_eq(kz_inverter_new(&inv), KZ_OK);
    size_t at = 0;
    for (uint32_t p = 0; p < NPASSAGES; p++) {
        while (at < l->ends[p]) {
            size_t n = l->ends[p] - at;
            if (chunk == 0) {
                const kz_inverter_token *t = &l->t[at];
                cr_assert_eq(kz_inverter_add(inv, t->term, t->len, t->position), KZ_OK);
                n = 1;
            } else {
                if (n > chunk) n = chunk;
                cr_assert_eq(kz_inverter_add_tokens(inv, &l->t[at], n), KZ_OK);
            }
            at += n;
        }
        cr_assert_eq(kz_inverter_end_passage(inv, &lengths[p]), KZ_OK);
    }
    return inv;
}

Test(inverter, tokens_at_once_build_what_one_by_one_builds)
{
    token_list l;
    make_tokens(&l, 41);
    uint32_t want_len[NPASSAGES], got_len[NPASSAGES];
    kz_inverter *ref = build(&l, 0, want_len);
    char *want = dump(ref);
    /* chunks shorter than, equal to and longer than the lookahead distances */
    const size_t chunks[] = {1, 2, 3, 5, 9, 16, 17, 1000};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        kz_inverter *inv = build(&l, chunks[c], got_len);
        char *got = dump(inv);
        cr_assert_str_eq(got, want, "chunks of %zu", chunks[c]);
        cr_assert_arr_eq(got_len, want_len, sizeof want_len, "chunks of %zu", chunks[c]);
        free(got);
        kz_inverter_free(inv);
    }
    free(want);
    kz_inverter_free(ref);
    free_tokens(&l);
}

/* The postings against a direct count: every term's passages, and per passage its distinct
 * positions (a term seen twice at one position counts once). */
Test(inverter, postings_match_a_direct_count)
{
    token_list l;
    make_tokens(&l, 7);
    uint32_t lengths[NPASSAGES];
    kz_inverter *inv = build(&l, 1000, lengths);
    char *got = dump(inv);
    size_t at = 0;
    for (uint32_t p = 0; p < NPASSAGES; p++) {
        uint32_t maxpos = 0;
        for (size_t i = at; i < l.ends[p]; i++)
            if (l.t[i].position > maxpos) maxpos = l.t[i].position;
        cr_assert_eq(lengths[p], at < l.ends[p] ? maxpos + 1 : 0, "passage %u", p);
        at = l.ends[p];
    }
    /* term w0x0 (a frequent one): rebuild its line from the tokens */
    char want[1 << 16];
    size_t wl = (size_t)snprintf(want, sizeof want, "w0x0:");
    at = 0;
    for (uint32_t p = 0; p < NPASSAGES; p++) {
        char pos[4096];
        size_t pl = 0;
        uint32_t tf = 0, last = UINT32_MAX;
        for (size_t i = at; i < l.ends[p]; i++) {
            if (strcmp(l.t[i].term, "w0x0") != 0 || l.t[i].position == last) continue;
            pl +=
                (size_t)snprintf(pos + pl, sizeof pos - pl, "%s%u", tf ? "," : "", l.t[i].position);
            last = l.t[i].position;
            tf++;
        }
        if (tf) wl += (size_t)snprintf(want + wl, sizeof want - wl, " %u/%u(%s)", p, tf, pos);
        at = l.ends[p];
    }
    snprintf(want + wl, sizeof want - wl, "\n");
    char *line = strncmp(got, "w0x0:", 5) == 0 ? got : strstr(got, "\nw0x0:");
    cr_assert_not_null(line);
    if (line != got) line++;
    cr_assert_eq(strncmp(line, want, strlen(want)), 0, "got %.200s\nwant %.200s", line, want);
    free(got);
    kz_inverter_free(inv);
    free_tokens(&l);
}

Test(inverter, a_rejected_token_stops_the_run_after_those_before_it)
{
    kz_inverter_token t[12];
    char big[600];
    memset(big, 'a', sizeof big);
    for (int i = 0; i < 12; i++) t[i] = (kz_inverter_token){"word", 4, (uint32_t)i};
    t[1] = (kz_inverter_token){"other", 5, 1};
    t[5] = (kz_inverter_token){big, sizeof big, 5}; /* longer than KZ_TERM_MAX */
    kz_inverter *inv;
    cr_assert_eq(kz_inverter_new(&inv), KZ_OK);
    cr_assert_eq(kz_inverter_add_tokens(inv, t, 12), KZ_EINVAL);
    uint32_t len;
    cr_assert_eq(kz_inverter_end_passage(inv, &len), KZ_OK);
    char *got = dump(inv);
    cr_assert_str_eq(got, "other: 0/1(1)\nword: 0/4(0,2,3,4)\n");
    free(got);
    kz_inverter_free(inv);
}
