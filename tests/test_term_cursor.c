/* test_term_cursor.c - term and phrase cursors over real encoded posting lists, checked against
 * the raw postings they were built from and a brute-force phrase matcher; then every algorithm
 * on term and phrase cursors against a model computed from the raw token sequences.
 *
 * Segments are random token sequences over a small Zipf-distributed vocabulary; some positions
 * carry a second, alternative token (as the Chinese search mode emits), so phrases with equal
 * offsets are exercised. */
#include "../query/algo.h"

#include "kzsearch.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

#define VOCAB   8
#define NO_TERM 255

/* ---- a random segment: per passage, per position, one token and maybe an alternative */

typedef struct tseg {
    uint32_t ndocs;
    uint32_t *dl; /* positions per passage */
    kz_buf wide;  /* dl as a LENGTHS section (lengths.h) */
    kz_lengths lengths;
    uint8_t **tok; /* tok[d][2 * p], tok[d][2 * p + 1]: tokens at position p (or NO_TERM) */
    kz_buf doc[VOCAB], pos[VOCAB];
    uint32_t df[VOCAB];
} tseg;

static uint8_t zipf_term(void)
{
    /* P(t) proportional to 1 / (t + 1) */
    static const uint32_t cum[VOCAB] = {840, 1260, 1540, 1750, 1918, 2058, 2178, 2283};
    uint32_t r = rnd_below(cum[VOCAB - 1]);
    uint8_t t = 0;
    while (r >= cum[t]) t++;
    return t;
}

static int has_token(const tseg *s, uint32_t d, uint64_t p, uint8_t t)
{
    if (p >= s->dl[d]) return 0;
    return s->tok[d][2 * p] == t || s->tok[d][2 * p + 1] == t;
}

static void encode_segment(tseg *s);

static void build_segment(tseg *s, uint32_t ndocs, uint32_t maxlen)
{
    memset(s, 0, sizeof *s);
    s->ndocs = ndocs;
    s->dl = malloc(ndocs * sizeof *s->dl);
    s->tok = malloc(ndocs * sizeof *s->tok);
    for (uint32_t d = 0; d < ndocs; d++) {
        s->dl[d] = 1 + rnd_below(maxlen);
        s->tok[d] = malloc(2 * s->dl[d]);
        for (uint32_t p = 0; p < s->dl[d]; p++) {
            uint8_t a = zipf_term(), b = NO_TERM;
            if (rnd_below(10) == 0) {
                b = zipf_term();
                if (b == a) b = NO_TERM;
            }
            s->tok[d][2 * p] = a;
            s->tok[d][2 * p + 1] = b;
        }
    }
    encode_segment(s);
}

/* Writes the posting lists of s->tok (positions included) into s->doc / s->pos. */
static void encode_segment(tseg *s)
{
    uint32_t ndocs = s->ndocs;
    uint32_t *docs = malloc(ndocs * sizeof *docs), *tfs = malloc(ndocs * sizeof *tfs);
    size_t total = 0;
    for (uint32_t d = 0; d < ndocs; d++) total += s->dl[d];
    uint32_t *positions = malloc((total + 1) * sizeof *positions);
    for (uint8_t t = 0; t < VOCAB; t++) {
        size_t n = 0, np = 0;
        for (uint32_t d = 0; d < ndocs; d++) {
            uint32_t tf = 0;
            for (uint32_t p = 0; p < s->dl[d]; p++)
                if (has_token(s, d, p, t)) {
                    positions[np++] = p;
                    tf++;
                }
            if (tf > 0) {
                docs[n] = d;
                tfs[n++] = tf;
            }
        }
        s->df[t] = (uint32_t)n;
        if (n == 0) continue;
        size_t db, pb;
        cr_assert_eq(
            kz_postings_encode(&s->doc[t], &s->pos[t], docs, tfs, positions, n, s->dl, &db, &pb),
            KZ_OK, "%s", kz_errmsg());
    }
    free(docs);
    free(tfs);
    free(positions);
    kz_buf_clear(&s->wide);
    cr_assert_eq(kz_lengths_encode(&s->wide, s->dl, ndocs), KZ_OK);
    uint64_t sum;
    cr_assert_eq(kz_lengths_open(&s->lengths, s->wide.data, s->wide.len, ndocs), KZ_OK);
    cr_assert_eq(kz_lengths_verify(&s->lengths, &sum), KZ_OK);
    cr_assert_eq(sum, total);
}

static void free_segment(tseg *s)
{
    for (uint32_t d = 0; d < s->ndocs; d++) free(s->tok[d]);
    free(s->tok);
    free(s->dl);
    kz_buf_free(&s->wide);
    for (int t = 0; t < VOCAB; t++) {
        kz_buf_free(&s->doc[t]);
        kz_buf_free(&s->pos[t]);
    }
}

static kz_cursor *term_cursor(kz_arena *a, const tseg *s, const kz_bm25 *bm, double idf, int t)
{
    kz_cursor *c;
    cr_assert_eq(kz_term_cursor_new(&c, a, bm, idf, &s->lengths, s->doc[t].data, s->doc[t].len,
                                    s->pos[t].data, s->pos[t].len, s->df[t]),
                 KZ_OK, "%s", kz_errmsg());
    return c;
}

static uint32_t term_tf(const tseg *s, uint32_t d, uint8_t t)
{
    uint32_t tf = 0;
    for (uint32_t p = 0; p < s->dl[d]; p++) tf += (uint32_t)has_token(s, d, p, t);
    return tf;
}

/* The brute-force phrase matcher: occurrences p of terms[0] with terms[i] at p + offs[i]. */
static uint32_t phrase_tf(const tseg *s, uint32_t d, const uint8_t *terms, const uint32_t *offs,
                          size_t n)
{
    uint32_t count = 0;
    for (uint32_t p = 0; p < s->dl[d]; p++) {
        int ok = 1;
        for (size_t i = 0; i < n && ok; i++) ok = has_token(s, d, (uint64_t)p + offs[i], terms[i]);
        count += (uint32_t)ok;
    }
    return count;
}

/* Independent BM25 (long double, written out from the definition). */
static long double bm25_ref(double idf, uint32_t tf, uint32_t dl, double avgdl)
{
    return (long double)idf * tf / (tf + 1.2L * (0.25L + 0.75L * dl / (long double)avgdl));
}

static double avg_len(const tseg *s)
{
    double sum = 0;
    for (uint32_t d = 0; d < s->ndocs; d++) sum += s->dl[d];
    return sum / s->ndocs;
}

/* The longest passage of the round'th random segment: mostly short ones, as in real text, and
 * every fourth segment up to 600 positions, so that lengths of KZ_LENGTH_WIDE and more, which
 * the cursors read from the wide lengths, are scored too. */
static uint32_t round_maxlen(int round)
{
    return round % 4 == 3 ? 200 + rnd_below(400) : 1 + rnd_below(40);
}

/* A random segment of ndocs passages of up to maxlen positions, with the default BM25 over its
 * average length in *bm; returns that average. */
static double scored_segment(tseg *s, kz_bm25 *bm, uint32_t ndocs, uint32_t maxlen)
{
    build_segment(s, ndocs, maxlen);
    double avgdl = avg_len(s);
    cr_assert_eq(kz_bm25_init(bm, -1, -1, avgdl), KZ_OK);
    return avgdl;
}

Test(term_cursor, walks_scores_and_bounds_every_posting_of_real_lists)
{
    rng_state = 11;
    for (int round = 0; round < 12; round++) {
        tseg s;
        kz_bm25 bm;
        double avgdl =
            scored_segment(&s, &bm, 1 + rnd_below(round < 6 ? 300 : 3000), round_maxlen(round));
        for (uint8_t t = 0; t < VOCAB; t++) {
            if (s.df[t] == 0) continue;
            double idf = kz_bm25_idf(s.ndocs, s.df[t]);
            kz_arena a = KZ_ARENA_INIT;
            kz_cursor *c = term_cursor(&a, &s, &bm, idf, t);
            cr_assert_eq(c->cost, s.df[t]);
            uint32_t seen = 0;
            for (uint32_t d = 0; d < s.ndocs; d++) {
                uint32_t tf = term_tf(&s, d, t);
                if (tf == 0) continue;
                cr_assert_eq(c->doc, d);
                uint32_t got;
                cr_assert_eq(kz_term_cursor_tf(c, &got), KZ_OK);
                cr_assert_eq(got, tf);
                double v;
                cr_assert_eq(kz_cursor_score(c, &v), KZ_OK);
                long double want = bm25_ref(idf, tf, s.dl[d], avgdl);
                cr_assert(fabsl(v - want) <= 1e-13L * want, "%.17g vs %.17Lg", v, want);
                cr_assert_leq(v, c->max_score);
                /* the block bound from here covers this posting */
                cr_assert_eq(kz_cursor_shallow_advance(c, d), KZ_OK);
                cr_assert_geq(c->block_last, d);
                cr_assert_leq(v, c->block_max);
                cr_assert_eq(kz_cursor_next(c), KZ_OK);
                seen++;
            }
            cr_assert_eq(c->doc, KZ_DOC_END);
            cr_assert_eq(seen, s.df[t]);
            cr_assert_eq(kz_cursor_next(c), KZ_OK); /* stays exhausted */
            cr_assert_eq(c->doc, KZ_DOC_END);
            kz_arena_free(&a);
        }
        free_segment(&s);
    }
}

Test(term_cursor, batch_scores_equal_the_cursors_own_bit_for_bit)
{
    rng_state = 23;
    for (int round = 0; round < 8; round++) {
        tseg s;
        kz_bm25 bm;
        double avgdl = scored_segment(&s, &bm, 1 + rnd_below(3000), round_maxlen(round));
        for (uint8_t t = 0; t < VOCAB; t++) {
            if (s.df[t] == 0) continue;
            double idf = kz_bm25_idf(s.ndocs, s.df[t]);
            kz_arena a = KZ_ARENA_INIT;
            kz_cursor *batch = term_cursor(&a, &s, &bm, idf, t),
                      *one = term_cursor(&a, &s, &bm, idf, t);
            kz_postings_cursor *pc = kz_term_cursor_postings(batch);
            while (batch->doc != KZ_DOC_END) {
                /* a random subset of the decoded block, in order, scored as one batch */
                uint32_t idx[KZ_BLOCK_LEN], ids[KZ_BLOCK_LEN], count = 0;
                const uint32_t every = 1 + rnd_below(12);
                for (uint32_t k = pc->i; k < pc->n; k++)
                    if (rnd_below(every) == 0) {
                        idx[count] = k;
                        ids[count++] = pc->ids[k];
                    }
                double acc[KZ_BLOCK_LEN];
                for (uint32_t k = 0; k < count; k++) acc[k] = 0.25 * k; /* added to, not set */
                cr_assert_eq(kz_term_cursor_add_scores(batch, idx, ids, count, acc), KZ_OK, "%s",
                             kz_errmsg());
                for (uint32_t k = 0; k < count; k++) {
                    cr_assert_eq(kz_cursor_advance(one, ids[k]), KZ_OK);
                    cr_assert_eq(one->doc, ids[k]);
                    double v;
                    cr_assert_eq(kz_cursor_score(one, &v), KZ_OK);
                    cr_assert(acc[k] == 0.25 * k + v, "passage %u: batch %.17g, cursor %.17g",
                              ids[k], acc[k] - 0.25 * k, v);
                    long double want = bm25_ref(idf, term_tf(&s, ids[k], t), s.dl[ids[k]], avgdl);
                    cr_assert(fabsl(v - want) <= 1e-13L * want, "%.17g vs %.17Lg", v, want);
                }
                kz_postings_seek_in_block(pc, pc->n - 1); /* on to the next block */
                cr_assert_eq(kz_postings_next(pc), KZ_OK);
                cr_assert_eq(kz_term_cursor_sync(batch), KZ_OK);
            }
            kz_arena_free(&a);
        }
        free_segment(&s);
    }
}

Test(term_cursor, advance_lands_on_the_first_posting_at_or_after_the_target)
{
    rng_state = 12;
    tseg s;
    kz_bm25 bm;
    scored_segment(&s, &bm, 5000, 12);
    for (uint8_t t = 0; t < VOCAB; t++) {
        if (s.df[t] == 0) continue;
        for (int round = 0; round < 20; round++) {
            kz_arena a = KZ_ARENA_INIT;
            kz_cursor *c = term_cursor(&a, &s, &bm, 1.0, t);
            uint32_t target = 0;
            while (c->doc != KZ_DOC_END) {
                target += rnd_below(rnd_below(2) ? 8 : 600);
                uint32_t want = target;
                while (want < s.ndocs && term_tf(&s, want, t) == 0) want++;
                uint32_t before = c->doc;
                cr_assert_eq(kz_cursor_advance(c, target), KZ_OK);
                if (before >= target)
                    cr_assert_eq(c->doc, before, "advance moved backwards or past a match");
                else
                    cr_assert_eq(c->doc, want < s.ndocs ? want : KZ_DOC_END);
                uint32_t got;
                if (c->doc != KZ_DOC_END) {
                    cr_assert_eq(kz_term_cursor_tf(c, &got), KZ_OK);
                    cr_assert_eq(got, term_tf(&s, c->doc, t));
                }
            }
            kz_arena_free(&a);
        }
    }
    free_segment(&s);
}

Test(term_cursor, skipping_below_a_floor_stops_at_the_first_posting_above_it_or_past_the_range)
{
    rng_state = 13;
    for (int g = 0; g < 2; g++) { /* short passages, then some of KZ_LENGTH_WIDE and more */
        tseg s;
        kz_bm25 bm;
        double avgdl =
            g == 0 ? scored_segment(&s, &bm, 4000, 30) : scored_segment(&s, &bm, 1500, 600);
        for (uint8_t t = 0; t < VOCAB; t++) {
            if (s.df[t] == 0) continue;
            double idf = kz_bm25_idf(s.ndocs, s.df[t]);
            for (int round = 0; round < 10; round++) {
                kz_arena a = KZ_ARENA_INIT;
                kz_cursor *c = term_cursor(&a, &s, &bm, idf, t);
                while (c->doc != KZ_DOC_END) {
                    uint32_t from = c->doc, last = from + rnd_below(rnd_below(2) ? 50 : 2000);
                    /* a floor around the scores of this term: some postings above, most below */
                    double floor = idf * (0.3 + 0.5 * (double)rnd_below(1000) / 1000.0);
                    uint32_t want = KZ_DOC_END; /* by brute force, from the reference formula */
                    for (uint32_t d = from; d < s.ndocs && want == KZ_DOC_END; d++) {
                        uint32_t tf = term_tf(&s, d, t);
                        if (tf == 0) continue;
                        if (d > last || bm25_ref(idf, tf, s.dl[d], avgdl) > floor) want = d;
                    }
                    cr_assert_eq(kz_term_cursor_skip_below(c, last, floor), KZ_OK, "%s",
                                 kz_errmsg());
                    cr_assert_eq(c->doc, want, "term %u from %u to %u: stopped at %u, not %u", t,
                                 from, last, c->doc, want);
                    if (c->doc != KZ_DOC_END) {
                        uint32_t tf;
                        cr_assert_eq(kz_term_cursor_tf(c, &tf), KZ_OK);
                        cr_assert_eq(tf, term_tf(&s, c->doc, t));
                        cr_assert_eq(kz_cursor_next(c), KZ_OK);
                    }
                }
                kz_arena_free(&a);
            }
        }
        free_segment(&s);
    }
}

Test(term_cursor, a_posting_beyond_the_segment_is_damage_not_a_wild_read)
{
    uint32_t docs[] = {1, 5, 90}, tfs[] = {1, 2, 1}, dl[100];
    for (int i = 0; i < 100; i++) dl[i] = 3;
    kz_buf db = KZ_BUF_INIT, pb = KZ_BUF_INIT;
    size_t nd, np;
    cr_assert_eq(kz_postings_encode(&db, &pb, docs, tfs, NULL, 3, dl, &nd, &np), KZ_OK);
    kz_bm25 bm;
    cr_assert_eq(kz_bm25_init(&bm, -1, -1, 3), KZ_OK);
    kz_arena a = KZ_ARENA_INIT;
    kz_cursor *c;
    /* the segment claims only 10 passages: passage 90 cannot be looked up in its lengths */
    uint8_t small[10];
    for (int i = 0; i < 10; i++) small[i] = 3;
    kz_lengths lengths;
    cr_assert_eq(kz_lengths_open(&lengths, small, sizeof small, 10), KZ_OK);
    cr_assert_eq(kz_term_cursor_new(&c, &a, &bm, 1.0, &lengths, db.data, db.len, NULL, 0, 3),
                 KZ_OK);
    cr_assert_eq(kz_cursor_next(c), KZ_OK);
    cr_assert_eq(c->doc, 5);
    cr_assert_eq(kz_cursor_next(c), KZ_ECORRUPT);
    cr_assert(strstr(kz_errmsg(), "passage 90") != NULL, "%s", kz_errmsg());
    kz_arena_free(&a);
    kz_buf_free(&db);
    kz_buf_free(&pb);
}

Test(term_cursor, damaged_bytes_give_errors_and_never_crash)
{
    rng_state = 13;
    tseg s;
    kz_bm25 bm;
    scored_segment(&s, &bm, 800, 20);
    int errors = 0;
    for (int round = 0; round < 400; round++) {
        uint8_t t = (uint8_t)rnd_below(3);
        size_t n = s.doc[t].len;
        uint8_t *copy = malloc(n);
        memcpy(copy, s.doc[t].data, n);
        for (int f = 0; f < 3; f++) copy[rnd_below((uint32_t)n)] ^= (uint8_t)(1 + rnd_below(255));
        kz_arena a = KZ_ARENA_INIT;
        kz_cursor *c;
        int rc = kz_term_cursor_new(&c, &a, &bm, 1.0, &s.lengths, copy, n, NULL, 0, s.df[t]);
        for (int steps = 0; rc == KZ_OK && c->doc != KZ_DOC_END && steps < 5000; steps++) {
            double v;
            rc = kz_cursor_score(c, &v);
            if (rc == KZ_OK) rc = kz_cursor_shallow_advance(c, c->doc + 1);
            if (rc == KZ_OK)
                rc = steps % 3 ? kz_cursor_next(c)
                               : kz_cursor_advance(c, c->doc + 1 + (uint32_t)steps);
        }
        cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT, "status %d", rc);
        errors += rc == KZ_ECORRUPT;
        kz_arena_free(&a);
        free(copy);
    }
    cr_assert_gt(errors, 0);
    free_segment(&s);
}

/* ---- phrases */

static void random_phrase(uint8_t *terms, uint32_t *offs, size_t *n)
{
    *n = 1 + rnd_below(3);
    for (size_t i = 0; i < *n; i++) {
        terms[i] = (uint8_t)rnd_below(4); /* frequent terms, so phrases occur */
        /* mostly consecutive, sometimes an alternative at the same position */
        offs[i] = i == 0 ? 0 : offs[i - 1] + (rnd_below(5) == 0 ? 0 : 1);
    }
}

static int make_phrase(kz_cursor **out, kz_arena *a, const tseg *s, const kz_bm25 *bm,
                       const uint8_t *terms, const uint32_t *offs, size_t n, double *weight)
{
    kz_cursor *kids[4];
    *weight = 0.0;
    for (size_t i = 0; i < n; i++) {
        if (s->df[terms[i]] == 0) return 0;
        double idf = kz_bm25_idf(s->ndocs, s->df[terms[i]]);
        *weight += idf;
        kids[i] = term_cursor(a, s, bm, idf, terms[i]);
    }
    cr_assert_eq(kz_phrase_cursor_new(out, a, bm, *weight, &s->lengths, kids, offs, n), KZ_OK, "%s",
                 kz_errmsg());
    return 1;
}

Test(term_cursor, phrases_match_a_brute_force_phrase_matcher)
{
    rng_state = 14;
    int nonempty = 0;
    for (int round = 0; round < 300; round++) {
        tseg s;
        kz_bm25 bm;
        scored_segment(&s, &bm, 1 + rnd_below(round % 10 == 0 ? 2000 : 200), 1 + rnd_below(30));
        uint8_t terms[4];
        uint32_t offs[4];
        size_t n;
        random_phrase(terms, offs, &n);
        kz_arena a = KZ_ARENA_INIT;
        kz_cursor *c;
        double w;
        if (make_phrase(&c, &a, &s, &bm, terms, offs, n, &w)) {
            for (uint32_t d = 0; d < s.ndocs; d++) {
                uint32_t tf = phrase_tf(&s, d, terms, offs, n);
                int ok = 0;
                while (c->doc < d) { /* candidates before d must all fail confirmation */
                    cr_assert_eq(kz_cursor_confirm(c, &ok), KZ_OK);
                    cr_assert_not(ok, "round %d: passage %u confirmed", round, c->doc);
                    cr_assert_eq(kz_cursor_next(c), KZ_OK);
                }
                if (tf == 0) continue;
                nonempty++;
                cr_assert_eq(c->doc, d, "round %d", round);
                cr_assert_eq(kz_cursor_confirm(c, &ok), KZ_OK);
                cr_assert(ok);
                cr_assert_eq(kz_cursor_confirm(c, &ok), KZ_OK); /* again: same answer */
                cr_assert(ok);
                cr_assert_eq(c->tf, tf, "round %d passage %u", round, d);
                double v;
                cr_assert_eq(kz_cursor_score(c, &v), KZ_OK);
                long double want = bm25_ref(w, tf, s.dl[d], avg_len(&s));
                cr_assert(fabsl(v - want) <= 1e-13L * want);
                cr_assert_leq(v, c->max_score);
                cr_assert_eq(kz_cursor_shallow_advance(c, d), KZ_OK);
                cr_assert_leq(v, c->block_max);
                cr_assert_eq(kz_cursor_next(c), KZ_OK);
            }
            while (c->doc != KZ_DOC_END) {
                int ok;
                cr_assert_eq(kz_cursor_confirm(c, &ok), KZ_OK);
                cr_assert_not(ok, "round %d: extra match %u", round, c->doc);
                cr_assert_eq(kz_cursor_next(c), KZ_OK);
            }
        }
        kz_arena_free(&a);
        free_segment(&s);
    }
    cr_assert_gt(nonempty, 1000);
}

Test(term_cursor, phrase_rejects_bad_offsets_and_non_term_children)
{
    rng_state = 15;
    tseg s;
    kz_bm25 bm;
    scored_segment(&s, &bm, 50, 10);
    kz_arena a = KZ_ARENA_INIT;
    kz_cursor *kids[2] = {term_cursor(&a, &s, &bm, 1.0, 0), term_cursor(&a, &s, &bm, 1.0, 1)};
    kz_cursor *c, * or ;
    uint32_t bad[2] = {1, 2}, down[2] = {0, 0};
    cr_assert_eq(kz_phrase_cursor_new(&c, &a, &bm, 2.0, &s.lengths, kids, bad, 2), KZ_EINVAL);
    cr_assert_eq(kz_or_cursor_new(& or, &a, kids, 2), KZ_OK);
    kz_cursor *mixed[2] = {kids[0], or };
    cr_assert_eq(kz_phrase_cursor_new(&c, &a, &bm, 2.0, &s.lengths, mixed, down, 2), KZ_EINVAL);
    kz_arena_free(&a);
    free_segment(&s);
}

/* ---- every algorithm on real cursors, against a model from the token sequences */

typedef struct qclause {
    int role; /* 0 should, 1 must, 2 must_not */
    uint8_t terms[4];
    uint32_t offs[4];
    size_t n; /* 1: a term; more: a phrase */
} qclause;

typedef struct qspec {
    tseg seg[2];
    uint64_t *allow[2];
    int nseg;
    qclause cl[6];
    int ncl;
    uint32_t k;
    kz_bm25 bm;
    uint64_t N, df[VOCAB];
} qspec;

static void make_query(qspec *q)
{
    memset(q, 0, sizeof *q);
    static const uint32_t ks[] = {1, 10, 100};
    q->k = ks[rnd_below(3)];
    q->nseg = 1 + (int)rnd_below(2);
    uint64_t tokens = 0;
    for (int g = 0; g < q->nseg; g++) {
        build_segment(&q->seg[g], 1 + rnd_below(rnd_below(4) ? 400 : 3000), 1 + rnd_below(25));
        q->N += q->seg[g].ndocs;
        for (uint32_t d = 0; d < q->seg[g].ndocs; d++) tokens += q->seg[g].dl[d];
        for (int t = 0; t < VOCAB; t++) q->df[t] += q->seg[g].df[t];
        if (rnd_below(3) == 0) {
            size_t words = (q->seg[g].ndocs + 63) / 64;
            q->allow[g] = calloc(words, sizeof *q->allow[g]);
            for (uint32_t d = 0; d < q->seg[g].ndocs; d++)
                if (rnd_below(4) != 0) q->allow[g][d / 64] |= (uint64_t)1 << (d % 64);
        }
    }
    /* collection-wide statistics, as the searcher computes them */
    cr_assert_eq(kz_bm25_init(&q->bm, -1, -1, (double)tokens / (double)q->N), KZ_OK);
    q->ncl = 1 + (int)rnd_below(6);
    for (int i = 0; i < q->ncl; i++) {
        qclause *c = &q->cl[i];
        uint32_t r = rnd_below(10);
        c->role = r < 6 ? 0 : r < 8 ? 1 : 2;
        if (rnd_below(4) == 0) {
            random_phrase(c->terms, c->offs, &c->n);
        } else {
            c->n = 1;
            c->terms[0] = (uint8_t)rnd_below(VOCAB);
        }
    }
}

static void free_query(qspec *q)
{
    for (int g = 0; g < q->nseg; g++) {
        free_segment(&q->seg[g]);
        free(q->allow[g]);
    }
}

static double clause_weight(const qspec *q, const qclause *c)
{
    double w = 0.0;
    for (size_t i = 0; i < c->n; i++) w += kz_bm25_idf(q->N, q->df[c->terms[i]]);
    return w;
}

/* The model's clause test: tf of the term or the phrase in passage d, from the tokens. */
static uint32_t clause_tf(const tseg *s, const qclause *c, uint32_t d)
{
    return c->n == 1 ? term_tf(s, d, c->terms[0]) : phrase_tf(s, d, c->terms, c->offs, c->n);
}

static int cmp_entry(const void *pa, const void *pb)
{
    const kz_topk_entry *a = pa, *b = pb;
    if (a->score != b->score) return a->score > b->score ? -1 : 1;
    return (a->passage > b->passage) - (a->passage < b->passage);
}

static size_t model(const qspec *q, kz_topk_entry *out)
{
    int nmust = 0;
    for (int i = 0; i < q->ncl; i++) nmust += q->cl[i].role == 1;
    size_t n = 0, cap = 0;
    kz_topk_entry *all = NULL;
    uint64_t base = 0;
    for (int g = 0; g < q->nseg; g++) {
        const tseg *s = &q->seg[g];
        for (uint32_t d = 0; d < s->ndocs; d++) {
            if (q->allow[g] && !((q->allow[g][d / 64] >> (d % 64)) & 1)) continue;
            int ok = 1, anyshould = 0;
            for (int i = 0; i < q->ncl; i++) {
                uint32_t tf = clause_tf(s, &q->cl[i], d);
                if (q->cl[i].role == 1 && tf == 0) ok = 0;
                if (q->cl[i].role == 2 && tf > 0) ok = 0;
                if (q->cl[i].role == 0 && tf > 0) anyshould = 1;
            }
            if (!ok || (nmust == 0 && !anyshould)) continue;
            double total = 0.0;
            double norm = kz_bm25_norm(&q->bm, s->dl[d]);
            for (int pass = 1; pass >= 0; pass--) /* must clauses, then should clauses */
                for (int i = 0; i < q->ncl; i++) {
                    if (q->cl[i].role != pass) continue;
                    uint32_t tf = clause_tf(s, &q->cl[i], d);
                    if (tf > 0) total += kz_bm25_score(clause_weight(q, &q->cl[i]), tf, norm);
                }
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                all = realloc(all, cap * sizeof *all);
            }
            all[n++] = (kz_topk_entry){total, base + d};
        }
        base += s->ndocs;
    }
    if (n > 0) qsort(all, n, sizeof *all, cmp_entry);
    if (n > q->k) n = q->k;
    if (n > 0) memcpy(out, all, n * sizeof *out);
    free(all);
    return n;
}

/* which: 0 exhaustive, 1 maxscore, 2 bmw, 3 conjunction, 4 auto */
static size_t run_real(const qspec *q, int which, kz_topk_entry *out)
{
    kz_topk top;
    cr_assert_eq(kz_topk_init(&top, q->k), KZ_OK);
    uint64_t base = 0;
    for (int g = 0; g < q->nseg; g++) {
        const tseg *s = &q->seg[g];
        kz_arena a = KZ_ARENA_INIT;
        kz_cursor *lists[3][6];
        size_t counts[3] = {0, 0, 0};
        int impossible = 0; /* a must clause with an absent term matches nothing here */
        for (int i = 0; i < q->ncl; i++) {
            const qclause *c = &q->cl[i];
            double w = clause_weight(q, c);
            kz_cursor *cur = NULL;
            int present = 1;
            for (size_t j = 0; j < c->n; j++) present &= s->df[c->terms[j]] > 0;
            if (present) {
                if (c->n == 1) {
                    cur = term_cursor(&a, s, &q->bm, w, c->terms[0]);
                } else {
                    kz_cursor *kids[4];
                    for (size_t j = 0; j < c->n; j++)
                        kids[j] = term_cursor(&a, s, &q->bm, kz_bm25_idf(q->N, q->df[c->terms[j]]),
                                              c->terms[j]);
                    cr_assert_eq(
                        kz_phrase_cursor_new(&cur, &a, &q->bm, w, &s->lengths, kids, c->offs, c->n),
                        KZ_OK);
                }
                lists[c->role][counts[c->role]++] = cur;
            } else if (c->role == 1) {
                impossible = 1;
            }
        }
        kz_plan_segment p = {lists[0],  counts[0],   lists[1], counts[1], lists[2],
                             counts[2], q->allow[g], s->ndocs, base};
        if (!impossible) {
            kz_algo_fn fns[] = {kz_algo_exhaustive, kz_algo_maxscore, kz_algo_bmw,
                                kz_algo_conjunction, kz_algo_choose(&p, KZ_ALGO_AUTO, q->k)};
            uint64_t matched;
            cr_assert_eq(fns[which](&p, &top, &matched), KZ_OK, "%s", kz_errmsg());
        }
        kz_arena_free(&a);
        base += s->ndocs;
    }
    size_t n;
    const kz_topk_entry *e = kz_topk_finish(&top, &n);
    if (n > 0) memcpy(out, e, n * sizeof *out);
    kz_topk_free(&top);
    return n;
}

Test(term_cursor, every_algorithm_on_real_cursors_returns_the_model_top_k)
{
    rng_state = 16;
    kz_topk_entry want[100], got[100];
    static const char *names[] = {"exhaustive", "maxscore", "bmw", "conjunction", "auto"};
    for (int c = 0; c < 400; c++) {
        qspec q;
        make_query(&q);
        int nmust = 0;
        for (int i = 0; i < q.ncl; i++) nmust += q.cl[i].role == 1;
        size_t nwant = model(&q, want);
        for (int which = 0; which < 5; which++) {
            if (nmust > 0 && (which == 1 || which == 2)) continue;
            if (nmust == 0 && which == 3) continue;
            size_t n = run_real(&q, which, got);
            cr_assert_eq(n, nwant, "case %d %s: %zu results, model %zu", c, names[which], n, nwant);
            for (size_t i = 0; i < n; i++) {
                cr_assert_eq(got[i].passage, want[i].passage, "case %d %s rank %zu", c,
                             names[which], i);
                cr_assert_eq(got[i].score, want[i].score, "case %d %s rank %zu: %.17g vs %.17g", c,
                             names[which], i, got[i].score, want[i].score);
            }
        }
        free_query(&q);
    }
}

Test(term_cursor, splitting_a_segment_in_two_changes_no_result)
{
    rng_state = 17;
    kz_topk_entry one[100], two[100];
    for (int c = 0; c < 60; c++) {
        qspec q;
        make_query(&q);
        while (q.nseg > 1) { /* start from one segment */
            q.nseg--;
            free_segment(&q.seg[q.nseg]);
            free(q.allow[q.nseg]);
            q.allow[q.nseg] = NULL;
        }
        const tseg *whole = &q.seg[0];
        if (whole->ndocs < 2) {
            free_query(&q);
            continue;
        }
        /* the same passages as two segments; statistics stay collection-wide */
        qspec h = q;
        uint32_t cut = 1 + rnd_below(whole->ndocs - 1);
        h.nseg = 2;
        for (int g = 0; g < 2; g++) {
            tseg *s = &h.seg[g];
            uint32_t from = g ? cut : 0, to = g ? whole->ndocs : cut;
            memset(s, 0, sizeof *s);
            s->ndocs = to - from;
            s->dl = malloc(s->ndocs * sizeof *s->dl);
            s->tok = malloc(s->ndocs * sizeof *s->tok);
            for (uint32_t d = 0; d < s->ndocs; d++) {
                s->dl[d] = whole->dl[from + d];
                s->tok[d] = malloc(2 * s->dl[d]);
                memcpy(s->tok[d], whole->tok[from + d], 2 * s->dl[d]);
            }
            encode_segment(s);
            h.allow[g] = NULL;
            if (q.allow[0]) {
                h.allow[g] = calloc((s->ndocs + 63) / 64, sizeof *h.allow[g]);
                for (uint32_t d = 0; d < s->ndocs; d++)
                    if ((q.allow[0][(from + d) / 64] >> ((from + d) % 64)) & 1)
                        h.allow[g][d / 64] |= (uint64_t)1 << (d % 64);
            }
        }
        int nmust = 0;
        for (int i = 0; i < q.ncl; i++) nmust += q.cl[i].role == 1;
        for (int which = 0; which < 5; which++) {
            if (nmust > 0 ? which == 1 || which == 2 : which == 3) continue;
            size_t n1 = run_real(&q, which, one), n2 = run_real(&h, which, two);
            cr_assert_eq(n1, n2, "case %d algorithm %d", c, which);
            for (size_t i = 0; i < n1; i++) {
                cr_assert_eq(one[i].passage, two[i].passage, "case %d algorithm %d", c, which);
                cr_assert_eq(one[i].score, two[i].score, "case %d algorithm %d", c, which);
            }
        }
        free_query(&q);
        free_query(&h);
    }
}

Test(term_cursor, damaged_positions_give_errors_and_never_crash)
{
    rng_state = 18;
    tseg s;
    kz_bm25 bm;
    scored_segment(&s, &bm, 600, 30);
    int errors = 0;
    for (int round = 0; round < 300; round++) {
        kz_buf saved[2];
        for (int t = 0; t < 2; t++) { /* damage the positions of terms 0 and 1 */
            saved[t] = s.pos[t];
            kz_buf copy = KZ_BUF_INIT;
            cr_assert_eq(kz_buf_append(&copy, saved[t].data, saved[t].len), KZ_OK);
            for (int f = 0; f < 2; f++)
                copy.data[rnd_below((uint32_t)copy.len)] ^= (uint8_t)(1 + rnd_below(255));
            s.pos[t] = copy;
        }
        kz_arena a = KZ_ARENA_INIT;
        uint32_t offs[2] = {0, 1};
        kz_cursor *kids[2], *c = NULL;
        int rc = KZ_OK;
        for (int t = 0; t < 2 && rc == KZ_OK; t++)
            rc = kz_term_cursor_new(&kids[t], &a, &bm, 1.0, &s.lengths, s.doc[t].data, s.doc[t].len,
                                    s.pos[t].data, s.pos[t].len, s.df[t]);
        if (rc == KZ_OK) rc = kz_phrase_cursor_new(&c, &a, &bm, 2.0, &s.lengths, kids, offs, 2);
        while (rc == KZ_OK && c->doc != KZ_DOC_END) {
            int ok;
            rc = kz_cursor_confirm(c, &ok);
            if (rc == KZ_OK) rc = kz_cursor_next(c);
        }
        cr_assert(rc == KZ_OK || rc == KZ_ECORRUPT, "status %d", rc);
        errors += rc == KZ_ECORRUPT;
        kz_arena_free(&a);
        for (int t = 0; t < 2; t++) {
            kz_buf_free(&s.pos[t]);
            s.pos[t] = saved[t];
        }
    }
    cr_assert_gt(errors, 0);
    free_segment(&s);
}
