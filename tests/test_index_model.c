/* test_index_model.c - the index against a brute-force model: random small collections are
 * indexed through the public writer, and every term's postings, frequencies and positions in
 * every segment are compared with a plain inverted index the test builds itself.
 *
 * The model is computed from raw text only: each stored passage is first checked to be the exact
 * byte range of the text the test gave for its document, then analysed with the public analyzer
 * (default options, the index's analyzer in index mode) into (term, passage, position) triples,
 * which are sorted and grouped. Nothing is taken from the index's postings. The collections are
 * written with a small memory budget (several segments), with documents replaced and removed
 * (deletion files), and then merged and optimised, so the merge path is checked too. On top of
 * the per-segment postings, the collection-wide statistics a query sees (live df and cf of every
 * term, passage lengths, document and passage counts) are compared with the model's. The word
 * pairs each segment must index (common/pairs.h) are derived in the model too, from its own
 * occurrences and dfs, and compared the same way; a collection written with pair_min_df 1 makes
 * every pair of adjacent words a pair term. */
#include "index_internal.h"
#include "pairs.h"
#include "postings.h"
#include "support.h"
#include "support_index.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NDOCS 28

/* One occurrence: the term's bytes in the model's arena, where it occurs. */
typedef struct occ {
    uint32_t off, len;
    uint32_t seg, passage, position;
    int live, doc;
} occ;

typedef struct model {
    kz_buf terms; /* term bytes of every occurrence */
    occ *occs;
    size_t nocc, cap;
    /* where the tokens being analysed come from */
    uint32_t seg, passage;
    int live, doc;
} model;

static const uint8_t *sort_arena; /* qsort has no context argument */

static int cmp_term(const occ *x, const occ *y)
{
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(sort_arena + x->off, sort_arena + y->off, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cmp_occ(const void *a, const void *b)
{
    const occ *x = a, *y = b;
    int c = cmp_term(x, y);
    if (c) return c;
    if (x->seg != y->seg) return x->seg < y->seg ? -1 : 1;
    if (x->passage != y->passage) return x->passage < y->passage ? -1 : 1;
    return (x->position > y->position) - (x->position < y->position);
}

static int on_token(void *ctx, const kz_token *t)
{
    model *m = ctx;
    if (m->nocc == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4096;
        m->occs = realloc(m->occs, m->cap * sizeof *m->occs);
        cr_assert_not_null(m->occs);
    }
    m->occs[m->nocc++] = (occ){(uint32_t)m->terms.len,
                               (uint32_t)t->term_len,
                               m->seg,
                               m->passage,
                               t->position,
                               m->live,
                               m->doc};
    cr_assert_eq(kz_buf_append(&m->terms, t->term, t->term_len), KZ_OK);
    return 0;
}

/* Distinct positions among the occurrences [from, nocc) (one passage's tokens). */
static uint32_t distinct_positions(const model *m, size_t from)
{
    uint32_t n = 0;
    for (size_t i = from; i < m->nocc; i++) {
        int seen = 0;
        for (size_t j = from; j < i && !seen; j++)
            seen = m->occs[j].position == m->occs[i].position;
        n += !seen;
    }
    return n;
}

/* The texts the test gave: every version of every document name, the last one current. */
typedef struct corpus {
    char *names[NDOCS];
    char **versions[NDOCS];
    size_t nversions[NDOCS];
    int removed[NDOCS];
} corpus;

static void corpus_add(corpus *c, int d, char *text)
{
    c->versions[d] = realloc(c->versions[d], (c->nversions[d] + 1) * sizeof(char *));
    cr_assert_not_null(c->versions[d]);
    c->versions[d][c->nversions[d]++] = text;
    c->removed[d] = 0;
}

static void corpus_free(corpus *c)
{
    for (int d = 0; d < NDOCS; d++) {
        for (size_t v = 0; v < c->nversions[d]; v++) free(c->versions[d][v]);
        free(c->versions[d]);
        free(c->names[d]);
    }
}

static int doc_number(const corpus *c, const char *name, size_t len)
{
    for (int d = 0; d < NDOCS; d++)
        if (strlen(c->names[d]) == len && memcmp(c->names[d], name, len) == 0) return d;
    return -1;
}

/* Writes a random collection: NDOCS documents, some replaced, some removed, with the given
 * options; then, if optimize is set, optimises. */
static void write_collection(const char *dir, corpus *c, uint64_t seed,
                             const kz_writer_options *opts, int optimize)
{
    kzt_rng r = {seed};
    kz_writer *w = NULL;
    cr_assert_eq(kz_writer_open(&w, dir, opts), KZ_OK, "%s", kz_errmsg());
    for (int d = 0; d < NDOCS; d++) {
        char name[32];
        snprintf(name, sizeof name, "doc-%02d", d);
        c->names[d] = strdup(name);
        size_t len;
        char *text = kzt_random_text(&r, 1 + (int)kzt_below(&r, 6), &len);
        cr_assert_eq(kz_writer_add_text(w, name, text, len, NULL), KZ_OK, "%s", kz_errmsg());
        corpus_add(c, d, text);
    }
    cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    /* Second round: replace some documents, remove others, in the same and a new commit. */
    for (int round = 0; round < 2; round++) {
        for (int d = 0; d < NDOCS; d++) {
            uint32_t what = kzt_below(&r, 6);
            if (what == 0) {
                cr_assert_eq(kz_writer_remove_doc(w, c->names[d]), KZ_OK, "%s", kz_errmsg());
                c->removed[d] = 1;
            } else if (what == 1) {
                size_t len;
                char *text = kzt_random_text(&r, 1 + (int)kzt_below(&r, 4), &len);
                cr_assert_eq(kz_writer_add_text(w, c->names[d], text, len, NULL), KZ_OK, "%s",
                             kz_errmsg());
                corpus_add(c, d, text);
            }
        }
        cr_assert_eq(kz_writer_commit(w), KZ_OK, "%s", kz_errmsg());
    }
    if (optimize) cr_assert_eq(kz_writer_optimize(w), KZ_OK, "%s", kz_errmsg());
    kz_writer_close(w);
}

static int is_live(const kz_index_segment *s, uint32_t p)
{
    return !kz_deletes_has(s->dels.bits ? &s->dels : NULL, p);
}

/* Reads every stored passage of every segment, checks it against the corpus, and analyses it
 * into the model. Returns the number of live passages; *live_tokens gets their total length. */
static uint64_t build_model(model *m, kz_index *ix, const corpus *c, kz_analyzer *an,
                            uint64_t *live_tokens, int live_docs[NDOCS])
{
    uint64_t live = 0;
    *live_tokens = 0;
    for (uint32_t s = 0; s < ix->nsegs; s++) {
        const kz_index_segment *is = &ix->segs[s];
        const kz_segment *seg = is->seg;
        uint64_t seg_len = 0;
        kz_store_reader passages, docs;
        kz_segment_passage_reader(seg, &passages);
        kz_segment_doc_reader(seg, &docs);
        for (uint32_t p = 0; p < seg->npassages; p++) {
            kz_passage_record rec;
            cr_assert_eq(kz_segment_passage(seg, &passages, p, &rec), KZ_OK, "%s", kz_errmsg());
            uint32_t dord;
            kz_doc_entry de;
            cr_assert_eq(kz_segment_passage_doc(seg, p, &dord), KZ_OK);
            cr_assert_eq(kz_segment_doc(seg, &docs, dord, &de), KZ_OK);
            cr_assert(p >= de.first_passage && p < de.first_passage + de.npassages);
            int d = doc_number(c, de.name, de.name_len);
            cr_assert_geq(d, 0, "passage %u of segment %u names an unknown document", p, s);
            int ok = 0;
            m->live = is_live(is, p);
            /* A live passage is a byte range of its document's current text; a deleted one of
               some version. */
            size_t first = m->live ? c->nversions[d] - 1 : 0;
            for (size_t v = first; v < c->nversions[d] && !ok; v++) {
                const char *t = c->versions[d][v];
                ok = rec.end <= strlen(t) && rec.end - rec.start == rec.text_len &&
                     memcmp(t + rec.start, rec.text, rec.text_len) == 0;
            }
            cr_assert(ok, "segment %u passage %u of %s is not its text's bytes [%llu,%llu)", s, p,
                      c->names[d], (unsigned long long)rec.start, (unsigned long long)rec.end);
            if (m->live) {
                cr_assert(!c->removed[d], "passage %u of removed %s is live", p, c->names[d]);
                live_docs[d] = 1;
            }
            m->seg = s;
            m->passage = p;
            m->doc = d;
            size_t from = m->nocc;
            cr_assert_eq(kz_analyze(an, rec.text, rec.text_len, on_token, m), KZ_OK);
            uint32_t len = distinct_positions(m, from);
            cr_assert_eq(kz_length(&seg->lengths, p), len,
                         "segment %u passage %u: length %u, model %u", s, p,
                         kz_length(&seg->lengths, p), len);
            seg_len += len;
            if (m->live) {
                live++;
                *live_tokens += len;
            }
        }
        cr_assert_eq(seg->total_len, seg_len, "segment %u total length", s);
        kz_store_reader_free(&passages);
        kz_store_reader_free(&docs);
    }
    sort_arena = m->terms.data;
    qsort(m->occs, m->nocc, sizeof *m->occs, cmp_occ);
    return live;
}

static const occ *by_place_occs; /* qsort has no context argument */

static int cmp_place(const void *a, const void *b)
{
    const occ *x = &by_place_occs[*(const size_t *)a], *y = &by_place_occs[*(const size_t *)b];
    if (x->passage != y->passage) return x->passage < y->passage ? -1 : 1;
    return (x->position > y->position) - (x->position < y->position);
}

/* Appends to mine[0..*n) (one segment's word occurrences, in (term, passage, position) order,
 * term bytes in *arena) the occurrences of the pair terms the segment must hold: in each
 * passage, each word at q with each word at q + 1 when both are in at least `threshold` of the
 * segment's passages; the pair occurs at q. Returns the number of pair occurrences. */
static size_t add_model_pairs(occ **mine, size_t *n, kz_buf *arena, uint32_t threshold)
{
    size_t words = *n;
    uint32_t *df = malloc((words + 1) * sizeof *df);
    size_t *place = malloc((words + 1) * sizeof *place);
    cr_assert(df && place);
    for (size_t i = 0; i < words;) { /* df: distinct passages of each term's run */
        size_t end = i;
        uint32_t d = 0;
        for (; end < words && cmp_term(&(*mine)[end], &(*mine)[i]) == 0; end++)
            d += end == i || (*mine)[end].passage != (*mine)[end - 1].passage;
        for (size_t k = i; k < end; k++) df[k] = d;
        i = end;
    }
    for (size_t i = 0; i < words; i++) place[i] = i;
    by_place_occs = *mine;
    qsort(place, words, sizeof *place, cmp_place);
    size_t added = 0, cap = words + 1;
    for (size_t a = 0; a < words; a++) {
        for (size_t b = a + 1; b < words; b++) {
            const occ *x = &(*mine)[place[a]], *y = &(*mine)[place[b]];
            if (y->passage != x->passage || y->position > x->position + 1) break;
            const char *xt = (const char *)arena->data + x->off;
            const char *yt = (const char *)arena->data + y->off;
            if (y->position != x->position + 1 ||
                !kz_pair_indexed(threshold, xt, x->len, df[place[a]], yt, y->len, df[place[b]]))
                continue;
            char term[KZ_TERM_MAX];
            size_t len = kz_pair_term(term, xt, x->len, yt, y->len);
            occ o = *x; /* before the array may move */
            if (*n == cap - 1) {
                cap *= 2;
                *mine = realloc(*mine, cap * sizeof **mine);
                cr_assert_not_null(*mine);
                by_place_occs = *mine;
            }
            o.off = (uint32_t)arena->len;
            o.len = (uint32_t)len;
            cr_assert_eq(kz_buf_append(arena, term, len), KZ_OK);
            (*mine)[(*n)++] = o;
            added++;
        }
    }
    free(df);
    free(place);
    return added;
}

/* Compares one segment's term dictionary and postings with the model's occurrences in it, word
 * pairs included; returns the number of pair occurrences and adds its pair terms to *pair_terms. */
static size_t compare_segment(const model *m, const kz_segment *seg, uint32_t s,
                              uint64_t *pair_terms)
{
    /* The model's occurrences of this segment, in (term, passage, position) order. */
    occ *mine = malloc((m->nocc + 1) * sizeof *mine);
    cr_assert_not_null(mine);
    size_t n = 0;
    for (size_t i = 0; i < m->nocc; i++)
        if (m->occs[i].seg == s) mine[n++] = m->occs[i];
    kz_buf arena = KZ_BUF_INIT; /* the model's term bytes and the pairs' */
    cr_assert_eq(kz_buf_append(&arena, m->terms.data, m->terms.len), KZ_OK);
    size_t pairs = add_model_pairs(&mine, &n, &arena, seg->pair_threshold);
    const uint8_t *saved = sort_arena;
    sort_arena = arena.data;
    qsort(mine, n, sizeof *mine, cmp_occ);
    kz_termdict_iter it;
    cr_assert_eq(kz_termdict_iter_init(&it, &seg->terms, NULL, 0), KZ_OK);
    size_t at = 0;
    uint64_t nterms = 0;
    uint32_t *positions = malloc(4096 * sizeof *positions);
    cr_assert_not_null(positions);
    for (;;) {
        const char *term;
        size_t tlen;
        kz_term_info info;
        int rc = kz_termdict_iter_next(&it, &term, &tlen, &info);
        if (rc == KZ_ITEROVER) break;
        cr_assert_eq(rc, KZ_OK, "%s", kz_errmsg());
        nterms++;
        *pair_terms += (unsigned char)term[0] == KZ_PAIR_MARK;
        cr_assert_lt(at, n, "segment %u has term %.*s the model lacks", s, (int)tlen, term);
        const char *want = (const char *)sort_arena + mine[at].off;
        cr_assert(tlen == mine[at].len && memcmp(term, want, tlen) == 0,
                  "segment %u: term %.*s where the model has %.*s", s, (int)tlen, term,
                  (int)mine[at].len, want);
        size_t end = at;
        while (end < n && cmp_term(&mine[end], &mine[at]) == 0) end++;
        cr_assert(info.doc_off <= seg->postings_len &&
                  info.doc_len <= seg->postings_len - info.doc_off);
        cr_assert(info.pos_off <= seg->positions_len &&
                  info.pos_len <= seg->positions_len - info.pos_off);
        kz_postings_cursor cur;
        cr_assert_eq(kz_postings_open(&cur, seg->postings + info.doc_off, info.doc_len,
                                      seg->positions + info.pos_off, info.pos_len, info.df),
                     KZ_OK, "%s", kz_errmsg());
        uint32_t df = 0;
        uint64_t cf = 0;
        for (size_t i = at; i < end;) {
            /* One passage: distinct positions (alternatives at one position count once). */
            size_t j = i;
            uint32_t tf = 0;
            while (j < end && mine[j].passage == mine[i].passage) {
                if (j == i || mine[j].position != mine[j - 1].position)
                    positions[tf++] = mine[j].position;
                cr_assert_lt(tf, 4096u);
                j++;
            }
            cr_assert_eq(cur.doc, mine[i].passage, "term %.*s: posting %u where the model has %u",
                         (int)tlen, term, cur.doc, mine[i].passage);
            uint32_t cur_tf = 0;
            cr_assert_eq(kz_postings_freq(&cur, &cur_tf), KZ_OK, "%s", kz_errmsg());
            cr_assert_eq(cur_tf, tf, "term %.*s passage %u: tf %u, model %u", (int)tlen, term,
                         cur.doc, cur_tf, tf);
            uint32_t got[4096];
            cr_assert_eq(kz_postings_positions(&cur, got), KZ_OK, "%s", kz_errmsg());
            for (uint32_t k = 0; k < tf; k++)
                cr_assert_eq(got[k], positions[k], "term %.*s passage %u: position %u is %u, %u",
                             (int)tlen, term, cur.doc, k, got[k], positions[k]);
            cr_assert_eq(kz_postings_next(&cur), KZ_OK);
            df++;
            cf += tf;
            i = j;
        }
        cr_assert_eq(cur.doc, KZ_DOC_END, "term %.*s has postings the model lacks", (int)tlen,
                     term);
        cr_assert_eq(info.df, df, "term %.*s: df %u, model %u", (int)tlen, term, info.df, df);
        cr_assert_eq(info.cf, cf, "term %.*s: cf %llu, model %llu", (int)tlen, term,
                     (unsigned long long)info.cf, (unsigned long long)cf);
        /* Hash lookup agrees with iteration. */
        kz_term_info looked;
        cr_assert_eq(kz_termdict_lookup(&seg->terms, term, tlen, &looked), KZ_OK);
        cr_assert(looked.df == info.df && looked.doc_off == info.doc_off &&
                  looked.pos_off == info.pos_off);
        at = end;
    }
    cr_assert_eq(at, n, "segment %u lacks the model's term %.*s", s, (int)mine[at].len,
                 (const char *)sort_arena + mine[at].off);
    cr_assert_eq(nterms, seg->nterms);
    sort_arena = saved;
    kz_buf_free(&arena);
    free(positions);
    free(mine);
    return pairs;
}

/* Live df and cf of every term, as queries see them, against the model. */
static void compare_live_stats(const model *m, kz_index *ix)
{
    for (size_t i = 0; i < m->nocc;) {
        size_t end = i;
        while (end < m->nocc && cmp_term(&m->occs[end], &m->occs[i]) == 0) end++;
        uint64_t df = 0, cf = 0;
        for (size_t j = i; j < end; j++) {
            const occ *o = &m->occs[j];
            if (!o->live) continue;
            int new_passage =
                j == i || o->seg != m->occs[j - 1].seg || o->passage != m->occs[j - 1].passage;
            df += new_passage;
            cf += new_passage || o->position != m->occs[j - 1].position;
        }
        uint64_t got_df, got_cf;
        const char *term = (const char *)sort_arena + m->occs[i].off;
        cr_assert_eq(kz_index_term_stats(ix, term, m->occs[i].len, &got_df, &got_cf, NULL), KZ_OK);
        cr_assert(got_df == df && got_cf == cf, "term %.*s: live df/cf %llu/%llu, model %llu/%llu",
                  (int)m->occs[i].len, term, (unsigned long long)got_df, (unsigned long long)got_cf,
                  (unsigned long long)df, (unsigned long long)cf);
        i = end;
    }
    uint64_t df, cf;
    cr_assert_eq(kz_index_term_stats(ix, "zzzabsent", 9, &df, &cf, NULL), KZ_OK);
    cr_assert(df == 0 && cf == 0);
}

/* The terms of a whole text, with their counts, equal those of its live passages together: no
 * text was lost or indexed twice when the document was split into passages. */
static void compare_document_terms(const model *m, const corpus *c, kz_analyzer *an)
{
    for (int d = 0; d < NDOCS; d++) {
        if (c->removed[d]) continue;
        model whole = {0};
        const char *t = c->versions[d][c->nversions[d] - 1];
        cr_assert_eq(kz_analyze(an, t, strlen(t), on_token, &whole), KZ_OK);
        const uint8_t *saved = sort_arena;
        sort_arena = whole.terms.data;
        qsort(whole.occs, whole.nocc, sizeof *whole.occs, cmp_occ);
        size_t k = 0;
        for (size_t i = 0; i < m->nocc; i++) {
            const occ *o = &m->occs[i];
            if (!o->live || o->doc != d) continue;
            cr_assert_lt(k, whole.nocc, "%s: passages have more tokens than the text", c->names[d]);
            const occ *w = &whole.occs[k++];
            cr_assert(
                o->len == w->len && memcmp(saved + o->off, whole.terms.data + w->off, o->len) == 0,
                "%s: passages have %.*s where the whole text has %.*s", c->names[d], (int)o->len,
                (const char *)saved + o->off, (int)w->len, (const char *)whole.terms.data + w->off);
        }
        cr_assert_eq(k, whole.nocc, "%s: passages have fewer tokens than the text", c->names[d]);
        sort_arena = saved;
        kz_buf_free(&whole.terms);
        free(whole.occs);
    }
}

/* Writes, checks against the model; returns the number of pair occurrences checked. */
static size_t check_collection(uint64_t seed, const kz_writer_options *opts, int optimize)
{
    char *dir = kzt_tempdir();
    corpus c = {0};
    write_collection(dir, &c, seed, opts, optimize);
    cr_assert_eq(kz_index_check(dir), KZ_OK, "%s", kz_errmsg());
    kz_index *ix = NULL;
    cr_assert_eq(kz_index_open(&ix, dir), KZ_OK, "%s", kz_errmsg());
    kz_analyzer *an = NULL;
    cr_assert_eq(kz_analyzer_new(&an, NULL), KZ_OK);
    model m = {0};
    uint64_t live_tokens;
    int live_docs[NDOCS] = {0};
    uint64_t live = build_model(&m, ix, &c, an, &live_tokens, live_docs);
    size_t pairs = 0;
    uint64_t pair_terms = 0, all_terms = 0;
    uint32_t min_df = opts ? opts->pair_min_df : 0;
    for (uint32_t s = 0; s < ix->nsegs; s++) {
        const kz_segment *seg = ix->segs[s].seg;
        cr_assert_eq(seg->pair_threshold, kz_pair_threshold(seg->npassages, min_df));
        pairs += compare_segment(&m, seg, s, &pair_terms);
        all_terms += seg->nterms;
    }
    compare_live_stats(&m, ix);
    compare_document_terms(&m, &c, an);
    kz_index_stats st;
    cr_assert_eq(kz_index_stats_get(&st, ix), KZ_OK);
    uint64_t ndocs = 0;
    for (int d = 0; d < NDOCS; d++) {
        cr_assert_eq(live_docs[d], !c.removed[d], "document %s live: %d", c.names[d], live_docs[d]);
        ndocs += live_docs[d];
    }
    cr_assert_eq(st.passages, live);
    cr_assert_eq(st.tokens, live_tokens);
    cr_assert_eq(st.documents, ndocs);
    cr_assert_eq(st.word_pairs, pair_terms);
    cr_assert_eq(st.terms + st.word_pairs, all_terms);
    if (optimize) cr_assert_eq(st.segments, 1u);
    kz_analyzer_free(an);
    kz_index_close(ix);
    kz_buf_free(&m.terms);
    free(m.occs);
    corpus_free(&c);
    kzt_rmtree(dir);
    return pairs;
}

Test(index_model, postings_of_many_small_segments_with_deletions_match_the_model)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 12 * 1024;
    opts.no_merge = 1;
    for (uint64_t seed = 1; seed <= 3; seed++) check_collection(seed, &opts, 0);
}

Test(index_model, postings_after_merges_match_the_model)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 4 * 1024; /* many segments, so the tiered policy merges */
    for (uint64_t seed = 11; seed <= 12; seed++) check_collection(seed, &opts, 0);
}

Test(index_model, postings_after_optimize_match_the_model)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 8 * 1024;
    opts.no_merge = 1;
    for (uint64_t seed = 21; seed <= 22; seed++) check_collection(seed, &opts, 1);
}

Test(index_model, one_default_segment_matches_the_model)
{
    check_collection(31, NULL, 0);
}

/* The pair writer counts pairs in an array indexed by (word, word) or in a hash table, depending
 * on a segment's common words and their occurrences: these collections' segments take both
 * (checked with a trace when the array came in: 89 segments with the array, 113 with the table). */
Test(index_model, word_pairs_of_every_segment_match_the_model)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.memory_budget = 8 * 1024;
    opts.pair_min_df = 1; /* every adjacent pair of words, in segments of any size */
    size_t pairs = 0;
    for (uint64_t seed = 41; seed <= 42; seed++) pairs += check_collection(seed, &opts, 0);
    for (uint64_t seed = 43; seed <= 44; seed++) pairs += check_collection(seed, &opts, 1);
    cr_assert_gt(pairs, 1000u);
    opts.pair_min_df = 3; /* some words common, some not */
    cr_assert_gt(check_collection(45, &opts, 1), 0u);
}

Test(index_model, no_pairs_when_switched_off)
{
    kz_writer_options opts = KZ_WRITER_OPTIONS_INIT;
    opts.pair_min_df = KZ_NO_PAIRS;
    cr_assert_eq(check_collection(51, &opts, 1), 0u);
}
