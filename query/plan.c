/* plan.c - building the scored clause tree of a query and its per-segment cursors (see
 * plan.h). */
#include "plan.h"

#include "error.h"
#include "normalize.h"
#include "pairs.h"
#include "reqopt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- clause trees ---- */

static void pnode_free(kz_pnode *n)
{
    if (n == NULL) return;
    for (size_t i = 0; i < n->nkids; i++) pnode_free(n->kids[i]);
    free(n->kids);
    free(n->term);
    free(n->infos);
    free(n->pair_infos);
    free(n->offsets);
    free(n);
}

static int pnode_new(kz_pnode **out, kz_pnode_type type)
{
    *out = calloc(1, sizeof **out);
    if (*out == NULL) return KZ_ENOMEM_FAIL();
    (*out)->type = type;
    return KZ_OK;
}

static int add_kid(kz_pnode *n, kz_pnode *kid)
{
    kz_pnode **grown = realloc(n->kids, (n->nkids + 1) * sizeof *grown);
    if (grown == NULL) return KZ_ENOMEM_FAIL();
    n->kids = grown;
    n->kids[n->nkids++] = kid;
    return KZ_OK;
}

typedef struct token_list {
    kz_buf bytes;
    kz_buf items; /* token_item */
} token_list;

typedef struct token_item {
    size_t off, len;
    uint32_t position;
} token_item;

/* A word or phrase of the query and its terms, analysed before any term is looked up
 * (prepare_texts). */
typedef struct prepared_text {
    const kz_qnode *q;
    token_list l;
} prepared_text;

typedef struct builder {
    kz_plan *plan;
    kz_index *ix;
    kz_analyzer *analyzer;
    int default_and;
    prepared_text *texts; /* in the order the clauses visit them */
    size_t ntexts, texts_cap, next_text;
} builder;

/* A term clause with its collection statistics; *out = NULL when no live passage has it. */
static int term_node(builder *b, const char *term, size_t len, kz_pnode **out)
{
    *out = NULL;
    uint64_t df, cf;
    kz_term_info *infos = malloc((b->ix->nsegs ? b->ix->nsegs : 1) * sizeof *infos);
    if (infos == NULL) return KZ_ENOMEM_FAIL();
    int rc = kz_index_term_stats(b->ix, term, len, &df, &cf, infos);
    if (rc == KZ_OK) rc = kz_termset_add(&b->plan->terms, term, len);
    if (rc < 0 || df == 0) {
        free(infos);
        return rc;
    }
    kz_pnode *n;
    rc = pnode_new(&n, KZ_P_TERM);
    if (rc < 0) {
        free(infos);
        return rc;
    }
    n->infos = infos;
    /* Its lists' headers, which opening its cursors reads once the whole plan is built (not
     * in kz_index_term_stats: a prefix's candidate expansions are counted, and most never
     * opened). */
    for (uint32_t s = 0; s < b->ix->nsegs; s++) {
        const kz_segment *seg = b->ix->segs[s].seg;
        if (infos[s].df > 0 && infos[s].doc_off < seg->postings_len)
            __builtin_prefetch(seg->postings + infos[s].doc_off);
    }
    n->term = malloc(len + 1);
    if (n->term == NULL) {
        pnode_free(n);
        return KZ_ENOMEM_FAIL();
    }
    memcpy(n->term, term, len);
    n->term[len] = '\0';
    n->len = len;
    n->df = df;
    n->cf = cf;
    n->weight = kz_bm25_idf(b->plan->N, df);
    *out = n;
    return KZ_OK;
}

static int collect(void *ctx, const kz_token *t)
{
    token_list *l = ctx;
    token_item it = {l->bytes.len, t->term_len, t->position};
    KZ_TRY(kz_buf_append(&l->bytes, t->term, t->term_len));
    return kz_buf_append(&l->items, &it, sizeof it);
}

/* Whether segment seg (ordinal s) indexes the pair of kids i and i + 1 of phrase n: they are
 * adjacent, and both common there (common/pairs.h). */
static int pair_indexed(const kz_pnode *n, size_t i, const kz_segment *seg, uint32_t s)
{
    const kz_pnode *x = n->kids[i], *y = n->kids[i + 1];
    return n->offsets[i + 1] == n->offsets[i] + 1 &&
           kz_pair_indexed(seg->pair_threshold, x->term, x->len, x->infos[s].df, y->term, y->len,
                           y->infos[s].df);
}

/* Looks up the pair term of each two adjacent words of a phrase in every segment that indexes
 * that pair (common/pairs.h), so that its cursors there intersect pairs instead of words. A pair
 * absent from such a segment never occurs there: its entry stays df 0, and the phrase cursor
 * matches nothing in that segment. */
static int lookup_pairs(const kz_index *ix, kz_pnode *phrase)
{
    size_t n = phrase->nkids;
    for (uint32_t s = 0; s < ix->nsegs; s++) {
        const kz_segment *seg = ix->segs[s].seg;
        for (size_t i = 0; i + 1 < n; i++) {
            if (!pair_indexed(phrase, i, seg, s)) continue;
            const kz_pnode *x = phrase->kids[i], *y = phrase->kids[i + 1];
            if (phrase->pair_infos == NULL) {
                phrase->pair_infos = calloc((size_t)ix->nsegs * (n - 1), sizeof(kz_term_info));
                if (phrase->pair_infos == NULL) return KZ_ENOMEM_FAIL();
            }
            char key[KZ_TERM_MAX];
            size_t len = kz_pair_term(key, x->term, x->len, y->term, y->len);
            int rc = kz_termdict_lookup(&seg->terms, key, len,
                                        &phrase->pair_infos[(size_t)s * (n - 1) + i]);
            if (rc != KZ_ENOTFOUND) KZ_TRY(rc);
        }
    }
    return KZ_OK;
}

static int analyze_text(builder *b, const kz_qnode *q, token_list *l)
{
    int rc = kz_analyze(b->analyzer, q->text, q->len, collect, l);
    return rc > 0 ? kz_fail(KZ_ERROR, "analysis stopped") : rc;
}

/* Analyses every word and phrase of the query (those of prefix queries and filters aside) into
 * b->texts, in the order clause() visits them. Done before any lookup so that the dictionary
 * reads of all the query's terms can be made at once (prefetch_texts): looked up one after
 * another, each term waits on a chain of three dependent memory reads (hash slot, block index,
 * block), which a query set of any size misses. With the list headers' prefetch (term_node), the
 * dev queries of two and three words took 5-10% less time (bench/README, sixteenth session).
 * Past the depth limit (which clause() reports) nothing is prepared. */
static int prepare_texts(builder *b, const kz_qnode *q, int depth)
{
    if (depth > KZ_QUERY_MAX_DEPTH) return KZ_OK;
    switch (q->type) {
    case KZ_Q_WORD:
    case KZ_Q_PHRASE: {
        if (b->ntexts == b->texts_cap) {
            size_t cap = b->texts_cap ? 2 * b->texts_cap : 8;
            prepared_text *grown = realloc(b->texts, cap * sizeof *grown);
            if (grown == NULL) return KZ_ENOMEM_FAIL();
            b->texts = grown;
            b->texts_cap = cap;
        }
        prepared_text *t = &b->texts[b->ntexts++]; /* owned by b from here: freed with it */
        *t = (prepared_text){q, {KZ_BUF_INIT, KZ_BUF_INIT}};
        return analyze_text(b, q, &t->l);
    }
    case KZ_Q_AND:
    case KZ_Q_SEQ:
    case KZ_Q_OR:
        for (size_t i = 0; i < q->nkids; i++) KZ_TRY(prepare_texts(b, q->kids[i], depth + 1));
        return KZ_OK;
    default:
        return KZ_OK;
    }
}

/* Asks for the dictionary entries of every prepared term at once, a batch at a time. */
static void prefetch_texts(const builder *b)
{
    kz_term_ref refs[64];
    size_t n = 0;
    for (size_t t = 0; t < b->ntexts; t++) {
        const token_list *l = &b->texts[t].l;
        const token_item *items = (const token_item *)l->items.data;
        for (size_t i = 0; i < l->items.len / sizeof *items; i++) {
            refs[n++] = (kz_term_ref){(const char *)l->bytes.data + items[i].off, items[i].len};
            if (n == sizeof refs / sizeof *refs) {
                kz_index_prefetch_terms(b->ix, refs, n);
                n = 0;
            }
        }
    }
    if (n > 0) kz_index_prefetch_terms(b->ix, refs, n);
}

/* The prepared terms of q, or NULL. Clauses visit texts in the order they were prepared, so
 * the next one is nearly always it. */
static const token_list *prepared(builder *b, const kz_qnode *q)
{
    if (b->next_text < b->ntexts && b->texts[b->next_text].q == q)
        return &b->texts[b->next_text++].l;
    for (size_t i = 0; i < b->ntexts; i++)
        if (b->texts[i].q == q) return &b->texts[i].l;
    return NULL;
}

static void free_texts(builder *b)
{
    for (size_t i = 0; i < b->ntexts; i++) {
        kz_buf_free(&b->texts[i].l.bytes);
        kz_buf_free(&b->texts[i].l.items);
    }
    free(b->texts);
    b->texts = NULL;
    b->ntexts = b->texts_cap = b->next_text = 0;
}

/* Text (a word or a phrase) as a clause: one term, or a phrase of its terms. *out = NULL when
 * it gives no term, or a term no passage has; *nothing = 1 when it had terms but cannot match. */
static int text_node(builder *b, const kz_qnode *q, kz_pnode **out, int *nothing)
{
    *out = NULL;
    *nothing = 0;
    token_list own = {KZ_BUF_INIT, KZ_BUF_INIT};
    kz_pnode *phrase = NULL;
    int rc = KZ_OK;
    const token_list *lp = prepared(b, q);
    if (lp == NULL) { /* a text the preparing walk did not reach: analysed here */
        KZ_CHECK(analyze_text(b, q, &own));
        lp = &own;
    }
    const token_list l = *lp;
    const token_item *items = (const token_item *)l.items.data;
    size_t n = l.items.len / sizeof *items;
    if (n == 0) goto done;
    if (n == 1) {
        KZ_CHECK(term_node(b, (const char *)l.bytes.data + items[0].off, items[0].len, out));
        *nothing = *out == NULL;
        goto done;
    }
    KZ_CHECK(pnode_new(&phrase, KZ_P_PHRASE));
    phrase->offsets = malloc(n * sizeof *phrase->offsets);
    if (phrase->offsets == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    kz_buf label = KZ_BUF_INIT;
    for (size_t i = 0; i < n; i++) {
        kz_pnode *t;
        rc = term_node(b, (const char *)l.bytes.data + items[i].off, items[i].len, &t);
        if (rc == KZ_OK && i > 0) rc = kz_buf_append_u8(&label, ' ');
        if (rc == KZ_OK)
            rc = kz_buf_append(&label, (const char *)l.bytes.data + items[i].off, items[i].len);
        if (rc == KZ_OK && t == NULL) *nothing = 1;
        if (rc == KZ_OK && t != NULL) {
            phrase->offsets[phrase->nkids] = items[i].position - items[0].position;
            phrase->weight += t->weight;
            rc = add_kid(phrase, t);
            if (rc < 0) pnode_free(t);
        }
        if (rc < 0) break;
    }
    if (rc == KZ_OK) rc = kz_buf_terminate(&label);
    if (rc < 0) {
        kz_buf_free(&label);
        goto done;
    }
    phrase->term = (char *)label.data;
    phrase->len = label.len;
    if (!*nothing) rc = lookup_pairs(b->ix, phrase);
    if (rc == KZ_OK && !*nothing) {
        *out = phrase;
        phrase = NULL;
    }
done:
    pnode_free(phrase);
    kz_buf_free(&own.bytes);
    kz_buf_free(&own.items);
    return rc;
}

typedef struct expansion {
    char term[KZ_TERM_MAX + 1];
    size_t len;
    uint64_t df;
} expansion;

static int cmp_expansion_df(const void *x, const void *y)
{
    const expansion *a = x, *b = y;
    if (a->df != b->df) return a->df > b->df ? -1 : 1;
    int c = memcmp(a->term, b->term, a->len < b->len ? a->len : b->len);
    return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* word* : the normalised prefix expanded through every segment's term dictionary. The union is
 * taken in term order and capped; the cap keeps the most frequent terms and says so. */
static int prefix_node(builder *b, const char *text, size_t len, kz_pnode **out)
{
    *out = NULL;
    kz_normalizer norm = KZ_NORMALIZER_INIT;
    kz_buf prefix = KZ_BUF_INIT;
    expansion *found = NULL;
    size_t nfound = 0, cap = 0, total = 0;
    kz_pnode * or = NULL;
    int rc = kz_normalize(&norm, &prefix, text, len);
    KZ_CHECK(rc);
    if (prefix.len == 0 || prefix.len > KZ_TERM_MAX) goto done;
    for (uint32_t s = 0; s < b->ix->nsegs; s++) {
        kz_termdict_iter it;
        KZ_CHECK(kz_termdict_iter_init(&it, &b->ix->segs[s].seg->terms, (const char *)prefix.data,
                                       prefix.len));
        const char *term;
        size_t tlen;
        kz_term_info info;
        while ((rc = kz_termdict_iter_next(&it, &term, &tlen, &info)) == KZ_OK) {
            int dup = 0;
            for (size_t i = 0; i < nfound && !dup; i++)
                dup = found[i].len == tlen && memcmp(found[i].term, term, tlen) == 0;
            if (dup) continue;
            if (nfound == cap) {
                cap = cap ? cap * 2 : 64;
                expansion *grown = realloc(found, cap * sizeof *grown);
                if (grown == NULL) {
                    rc = KZ_ENOMEM_FAIL();
                    goto done;
                }
                found = grown;
            }
            memcpy(found[nfound].term, term, tlen);
            found[nfound].len = tlen;
            KZ_CHECK(
                kz_index_term_stats(b->ix, term, tlen, &found[nfound].df, &(uint64_t){0}, NULL));
            nfound++;
            total++;
            /* Stop scanning huge expansions early: 16x the cap is enough to rank by df. */
            if (nfound >= 16 * KZ_PREFIX_MAX_TERMS) break;
        }
        if (rc == KZ_ITEROVER) rc = KZ_OK;
        KZ_CHECK(rc);
    }
    if (nfound > KZ_PREFIX_MAX_TERMS) {
        qsort(found, nfound, sizeof *found, cmp_expansion_df);
        char msg[KZ_TERM_MAX + 160];
        snprintf(msg, sizeof msg,
                 "%s%.*s* matches more than %d terms; only the %d most frequent were searched",
                 b->plan->notice.len ? "; " : "", (int)len, text, KZ_PREFIX_MAX_TERMS,
                 KZ_PREFIX_MAX_TERMS);
        KZ_CHECK(kz_buf_append_str(&b->plan->notice, msg));
        nfound = KZ_PREFIX_MAX_TERMS;
    }
    KZ_CHECK(pnode_new(& or, KZ_P_OR));
    for (size_t i = 0; i < nfound; i++) {
        kz_pnode *t;
        KZ_CHECK(term_node(b, found[i].term, found[i].len, &t));
        if (t == NULL) continue;
        rc = add_kid(or, t);
        if (rc < 0) {
            pnode_free(t);
            goto done;
        }
    }
    if (or->nkids == 1) {
        *out = or->kids[0];
        or->nkids = 0;
    } else if (or->nkids > 1) {
        *out = or ;
        or = NULL;
    }
done:
    pnode_free(or);
    free(found);
    kz_buf_free(&prefix);
    kz_normalizer_free(&norm);
    return rc;
}

static int clause(builder *b, const kz_qnode *q, int depth, kz_pnode **out, int *nothing);

typedef struct node_list {
    kz_pnode **v;
    size_t n;
} node_list;

static int list_push(node_list *l, kz_pnode *n)
{
    kz_pnode **grown = realloc(l->v, (l->n + 1) * sizeof *grown);
    if (grown == NULL) return KZ_ENOMEM_FAIL();
    l->v = grown;
    l->v[l->n++] = n;
    return KZ_OK;
}

static void list_free(node_list *l)
{
    for (size_t i = 0; i < l->n; i++) pnode_free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* One node combining l's clauses with type (AND or OR); l is emptied. */
static int combine(node_list *l, kz_pnode_type type, kz_pnode **out)
{
    if (l->n == 1) {
        *out = l->v[0];
        free(l->v);
        l->v = NULL;
        l->n = 0;
        return KZ_OK;
    }
    KZ_TRY(pnode_new(out, type));
    (*out)->kids = l->v;
    (*out)->nkids = l->n;
    l->v = NULL;
    l->n = 0;
    return KZ_OK;
}

/* A group of clauses: required ones, optional ones (scored where the required ones match) and
 * excluded ones. and_group: AND's semantics (every kid not excluded is required); else SEQ's
 * (the default operator, with + and -). */
static int group(builder *b, const kz_qnode *q, int and_group, int depth, kz_pnode **out,
                 int *nothing)
{
    *out = NULL;
    *nothing = 0;
    node_list req = {0}, opt = {0}, excl = {0};
    kz_pnode *core = NULL, *g = NULL;
    int rc = KZ_OK;
    for (size_t i = 0; i < q->nkids; i++) {
        const kz_qnode *k = q->kids[i];
        if (k->type == KZ_Q_FILTER) {
            rc = kz_fail(KZ_EQUERY,
                         "column %zu: filters apply to the whole query; write %.*s outside "
                         "parentheses",
                         k->offset + 1, (int)k->len, k->text);
            goto done;
        }
        kz_pnode *c;
        int none;
        KZ_CHECK(clause(b, k, depth + 1, &c, &none));
        int required = and_group || k->occur == KZ_OCCUR_MUST || b->default_and;
        if (k->occur == KZ_OCCUR_MUST_NOT) {
            if (c) rc = list_push(&excl, c);
        } else if (c == NULL) {
            if (required && none) *nothing = 1;
        } else {
            rc = list_push(required ? &req : &opt, c);
        }
        if (rc < 0) {
            pnode_free(c);
            goto done;
        }
    }
    if (*nothing || (req.n == 0 && opt.n == 0)) {
        *nothing = 1;
        goto done;
    }
    if (req.n > 0)
        KZ_CHECK(combine(&req, KZ_P_AND, &core));
    else
        KZ_CHECK(combine(&opt, KZ_P_OR, &core)); /* no required clause: any optional one */
    if (opt.n == 0 && excl.n == 0) {
        *out = core;
        core = NULL;
        goto done;
    }
    KZ_CHECK(pnode_new(&g, KZ_P_GROUP));
    g->kids = malloc((1 + opt.n + excl.n) * sizeof *g->kids);
    if (g->kids == NULL) {
        rc = KZ_ENOMEM_FAIL();
        goto done;
    }
    /* Moves that cannot fail: every node has exactly one owner at every point. */
    g->kids[g->nkids++] = core;
    core = NULL;
    g->nopt = opt.n;
    for (size_t i = 0; i < opt.n; i++) g->kids[g->nkids++] = opt.v[i];
    opt.n = 0;
    for (size_t i = 0; i < excl.n; i++) g->kids[g->nkids++] = excl.v[i];
    excl.n = 0;
    *out = g;
    g = NULL;
done:
    list_free(&req);
    list_free(&opt);
    list_free(&excl);
    pnode_free(core);
    pnode_free(g);
    return rc;
}

static int clause(builder *b, const kz_qnode *q, int depth, kz_pnode **out, int *nothing)
{
    *out = NULL;
    *nothing = 0;
    if (depth > KZ_QUERY_MAX_DEPTH) return kz_fail(KZ_EQUERY, "query nested too deeply");
    switch (q->type) {
    case KZ_Q_WORD:
    case KZ_Q_PHRASE:
        return text_node(b, q, out, nothing);
    case KZ_Q_PREFIX:
        KZ_TRY(prefix_node(b, q->text, q->len, out));
        *nothing = *out == NULL;
        return KZ_OK;
    case KZ_Q_AND:
        return group(b, q, 1, depth, out, nothing);
    case KZ_Q_SEQ:
        return group(b, q, 0, depth, out, nothing);
    case KZ_Q_OR: {
        kz_pnode * or ;
        KZ_TRY(pnode_new(& or, KZ_P_OR));
        int rc = KZ_OK;
        for (size_t i = 0; i < q->nkids && rc == KZ_OK; i++) {
            kz_pnode *c;
            int none;
            rc = clause(b, q->kids[i], depth + 1, &c, &none);
            if (rc == KZ_OK && c) {
                rc = add_kid(or, c);
                if (rc < 0) pnode_free(c);
            }
        }
        if (rc < 0 || or->nkids == 0) {
            pnode_free(or);
            *nothing = rc == KZ_OK;
            return rc;
        }
        if (or->nkids == 1) {
            *out = or->kids[0];
            or->nkids = 0;
            pnode_free(or);
        } else {
            *out = or ;
        }
        return KZ_OK;
    }
    case KZ_Q_FILTER:
        return kz_fail(KZ_EQUERY, "column %zu: filters apply to the whole query", q->offset + 1);
    default:
        return kz_fail(KZ_EQUERY, "unsupported query clause");
    }
}

static int push_ptr(void *list_ptr, size_t *n, const void *item)
{
    const void ***list = list_ptr;
    const void **grown = realloc(*list, (*n + 1) * sizeof *grown);
    if (grown == NULL) return KZ_ENOMEM_FAIL();
    grown[(*n)++] = item;
    *list = grown;
    return KZ_OK;
}

static int add_filter(kz_filter_set *f, const kz_qnode *q)
{
    if (q->occur == KZ_OCCUR_MUST_NOT) return push_ptr(&f->not_filters, &f->nnot, q);
    switch (q->field) {
    case KZ_FIELD_DATE:
        return push_ptr(&f->date, &f->ndate, q);
    case KZ_FIELD_LANG:
        return push_ptr(&f->lang, &f->nlang, q);
    default:
        return push_ptr(&f->doc, &f->ndoc, q);
    }
}

int kz_plan_build(kz_plan *plan, kz_index *ix, kz_analyzer *analyzer, const kz_qnode *tree,
                  int default_and, double k1, double b)
{
    memset(plan, 0, sizeof *plan);
    plan->N = ix->live_passages;
    if ((k1 < 0 || k1 == ix->bm25.k1) && (b < 0 || b == ix->bm25.b))
        plan->bm25 = ix->bm25; /* the table of 512 divisions is the index's, made at open */
    else
        KZ_TRY(kz_bm25_init(&plan->bm25, k1, b, ix->avgdl));
    builder bd = {plan, ix, analyzer, default_and, NULL, 0, 0, 0};
    int rc = prepare_texts(&bd, tree, 0);
    if (rc == KZ_OK) prefetch_texts(&bd);
    /* The top level: a SEQ or AND lists its clauses; anything else is one clause. */
    const kz_qnode *const *kids = (const kz_qnode *const *)&tree;
    size_t nkids = 1;
    int and_top = 0;
    if (tree->type == KZ_Q_SEQ || tree->type == KZ_Q_AND) {
        kids = (const kz_qnode *const *)tree->kids;
        nkids = tree->nkids;
        and_top = tree->type == KZ_Q_AND;
    }
    for (size_t i = 0; i < nkids && rc == KZ_OK; i++) {
        const kz_qnode *k = kids[i];
        if (k->type == KZ_Q_FILTER) {
            rc = add_filter(&plan->filters, k);
            continue;
        }
        kz_pnode *c;
        int none;
        rc = clause(&bd, k, 1, &c, &none);
        if (rc < 0) break;
        int required = and_top || default_and || k->occur == KZ_OCCUR_MUST;
        if (k->occur == KZ_OCCUR_MUST_NOT) {
            if (c) rc = push_ptr(&plan->must_not, &plan->nmust_not, c);
        } else if (c == NULL) {
            if (required && none) plan->empty = 1;
        } else {
            rc = required ? push_ptr(&plan->must, &plan->nmust, c)
                          : push_ptr(&plan->should, &plan->nshould, c);
        }
        if (rc < 0) pnode_free(c);
    }
    if (rc == KZ_OK && plan->nmust == 0 && plan->nshould == 0) plan->empty = 1;
    if (rc == KZ_OK) rc = kz_termset_finish(&plan->terms);
    if (rc == KZ_OK) rc = kz_buf_terminate(&plan->notice);
    free_texts(&bd);
    if (rc < 0) kz_plan_free(plan);
    return rc;
}

void kz_plan_free(kz_plan *plan)
{
    for (size_t i = 0; i < plan->nmust; i++) pnode_free(plan->must[i]);
    for (size_t i = 0; i < plan->nshould; i++) pnode_free(plan->should[i]);
    for (size_t i = 0; i < plan->nmust_not; i++) pnode_free(plan->must_not[i]);
    free(plan->must);
    free(plan->should);
    free(plan->must_not);
    free(plan->filters.date);
    free(plan->filters.lang);
    free(plan->filters.doc);
    free(plan->filters.not_filters);
    kz_termset_free(&plan->terms);
    kz_buf_free(&plan->notice);
    memset(plan, 0, sizeof *plan);
}

/* ---- cursors ---- */

/* A term cursor over the list `info` points to (label names the term in messages). */
static int info_cursor(kz_cursor **out, const kz_term_info *info, const char *label, double weight,
                       const kz_plan *plan, const kz_index_segment *s, kz_arena *arena)
{
    *out = NULL;
    const kz_segment *seg = s->seg;
    if (info->df == 0) return KZ_OK;
    if (info->doc_off > seg->postings_len || info->doc_len > seg->postings_len - info->doc_off ||
        info->pos_off > seg->positions_len || info->pos_len > seg->positions_len - info->pos_off)
        return kz_fail(KZ_ECORRUPT, "segment %s: term '%s' points outside its file", seg->path,
                       label);
    return kz_term_cursor_new(out, arena, &plan->bm25, weight, &seg->lengths,
                              seg->postings + info->doc_off, info->doc_len,
                              seg->positions + info->pos_off, info->pos_len, info->df);
}

/* The entry of the pair term of kids i and i + 1 of phrase n in segment s when s indexes that
 * pair, else NULL (see lookup_pairs). */
static const kz_term_info *pair_info(const kz_pnode *n, size_t i, const kz_index_segment *s)
{
    if (n->pair_infos == NULL || i + 1 >= n->nkids || !pair_indexed(n, i, s->seg, s->ordinal))
        return NULL;
    return &n->pair_infos[(size_t)s->ordinal * (n->nkids - 1) + i];
}

/* A phrase's cursor in one segment: over the pair terms of its adjacent words where the segment
 * indexes them, and over the words no pair covers. The same passages match, the phrase as often,
 * since the pair (a, b) at q is a at q and b at q + 1; a phrase of two common words is one pair
 * term, scored as the phrase (its weight, its tf). */
static int phrase_cursor(kz_cursor **out, const kz_pnode *n, const kz_plan *plan,
                         const kz_index_segment *s, kz_arena *arena)
{
    *out = NULL;
    kz_cursor **items;
    uint32_t *offsets;
    KZ_TRY(kz_arena_calloc((void **)&items, arena, n->nkids, sizeof *items));
    KZ_TRY(kz_arena_calloc((void **)&offsets, arena, n->nkids, sizeof *offsets));
    size_t m = 0, pairs = 0;
    int covered = 0; /* kid i is in the pair of kids i - 1 and i */
    for (size_t i = 0; i < n->nkids; i++) {
        const kz_term_info *pair = pair_info(n, i, s);
        if (pair != NULL) {
            KZ_TRY(info_cursor(&items[m], pair, n->term, n->weight, plan, s, arena));
            pairs++;
        } else if (!covered) {
            KZ_TRY(kz_pnode_cursor(&items[m], n->kids[i], plan, s, arena));
        } else {
            covered = 0;
            continue;
        }
        if (items[m] == NULL) return KZ_OK; /* matches nothing in this segment */
        offsets[m++] = n->offsets[i];
        covered = pair != NULL;
    }
    if (m == 1 && pairs == 1) {
        *out = items[0];
        return KZ_OK;
    }
    return kz_phrase_cursor_new(out, arena, &plan->bm25, n->weight, &s->seg->lengths, items,
                                offsets, m);
}

int kz_pnode_cursor(kz_cursor **out, const kz_pnode *n, const kz_plan *plan,
                    const kz_index_segment *s, kz_arena *arena)
{
    *out = NULL;
    if (n->type == KZ_P_TERM)
        return info_cursor(out, &n->infos[s->ordinal], n->term, n->weight, plan, s, arena);
    if (n->type == KZ_P_PHRASE) return phrase_cursor(out, n, plan, s, arena);
    kz_cursor **kids;
    KZ_TRY(kz_arena_calloc((void **)&kids, arena, n->nkids + 1, sizeof *kids));
    size_t k = 0;
    for (size_t i = 0; i < n->nkids; i++) {
        kz_cursor *c;
        KZ_TRY(kz_pnode_cursor(&c, n->kids[i], plan, s, arena));
        int needed = n->type == KZ_P_AND || (n->type == KZ_P_GROUP && i == 0);
        if (c == NULL && needed) return KZ_OK; /* matches nothing in this segment */
        if (n->type == KZ_P_GROUP) {
            kids[i] = c; /* keep slots: optional and excluded may be NULL */
            continue;
        }
        if (c) kids[k++] = c;
    }
    switch (n->type) {
    case KZ_P_AND:
        return kz_and_cursor_new(out, arena, kids, k);
    case KZ_P_OR:
        return k ? kz_or_cursor_new(out, arena, kids, k) : KZ_OK;
    case KZ_P_GROUP: {
        kz_cursor **opt, **excl;
        size_t nopt = 0, nexcl = 0;
        KZ_TRY(kz_arena_calloc((void **)&opt, arena, n->nkids, sizeof *opt));
        KZ_TRY(kz_arena_calloc((void **)&excl, arena, n->nkids, sizeof *excl));
        for (size_t i = 1; i < n->nkids; i++) {
            if (kids[i] == NULL) continue;
            if (i <= n->nopt)
                opt[nopt++] = kids[i];
            else
                excl[nexcl++] = kids[i];
        }
        return kz_reqopt_cursor_new(out, arena, kids[0], opt, nopt, excl, nexcl);
    }
    default:
        return kz_fail(KZ_ERROR, "unknown clause type");
    }
}

/* ---- filters ---- */

/* Whether a document whose date or language (field) is v passes the filters on that field: one
 * of the filters on it matches (when there are any), and no excluding filter on it does. Filters
 * of different fields all apply, so a document passes when each of its fields passes. */
static int value_passes(const kz_filter_set *f, int field, const char *v, size_t len)
{
    const kz_qnode *const *want = field == KZ_FIELD_DATE ? f->date : f->lang;
    size_t nwant = field == KZ_FIELD_DATE ? f->ndate : f->nlang;
    int ok = nwant == 0;
    for (size_t i = 0; i < nwant && !ok; i++)
        ok = field == KZ_FIELD_DATE ? kz_qfilter_date_matches(want[i], v, len)
                                    : kz_qfilter_lang_matches(want[i], v, len);
    for (size_t i = 0; i < f->nnot && ok; i++) {
        const kz_qnode *q = f->not_filters[i];
        if ((int)q->field != field) continue;
        ok = !(field == KZ_FIELD_DATE ? kz_qfilter_date_matches(q, v, len)
                                      : kz_qfilter_lang_matches(q, v, len));
    }
    return ok;
}

/* Whether some filter (wanted or excluding) is on field. */
static int has_filter(const kz_filter_set *f, int field, size_t nwant)
{
    for (size_t i = 0; i < f->nnot; i++)
        if ((int)f->not_filters[i]->field == field) return 1;
    return nwant > 0;
}

/* One doc: filter over the names in document order. A substring is looked for only where the
 * name differs from the previous one: if the previous name's first occurrence lies in the prefix
 * they share, this name has it too; otherwise an occurrence must end in the new suffix. As
 * kz_qfilter_doc_matches, the name is read up to its first NUL. */
typedef struct doc_matcher {
    const kz_qnode *q;
    size_t end; /* where the previous name's first occurrence ends; SIZE_MAX: none */
    int wanted; /* doc:, else -doc: */
} doc_matcher;

static int doc_matches(doc_matcher *m, const kz_fields_names *it, const char *name)
{
    if (m->q->glob) return kz_qfilter_doc_matches(m->q, name);
    const size_t plen = m->q->len;
    if (plen == 0) return 1; /* as strstr */
    if (m->end != SIZE_MAX && m->end <= it->shared) return 1;
    /* The suffixes are a few bytes: a plain scan beats memmem's set-up. */
    const char first = m->q->text[0];
    for (size_t i = it->shared >= plen ? it->shared - plen + 1 : 0; i + plen <= it->cstr; i++)
        if (name[i] == first && memcmp(name + i, m->q->text, plen) == 0) {
            m->end = i + plen;
            return 1;
        }
    m->end = SIZE_MAX;
    return 0;
}

/* The doc: and -doc: filters of f as matchers (*n of them). */
static int doc_matchers(const kz_filter_set *f, kz_arena *arena, doc_matcher **out, size_t *n)
{
    KZ_TRY(kz_arena_calloc((void **)out, arena, f->ndoc + f->nnot + 1, sizeof **out));
    *n = 0;
    for (size_t i = 0; i < f->ndoc; i++) (*out)[(*n)++] = (doc_matcher){f->doc[i], SIZE_MAX, 1};
    for (size_t i = 0; i < f->nnot; i++)
        if (f->not_filters[i]->field == KZ_FIELD_DOC)
            (*out)[(*n)++] = (doc_matcher){f->not_filters[i], SIZE_MAX, 0};
    return KZ_OK;
}

/* pass[v] for each value v of column c (a date or language: the matchers take its length):
 * value_passes, computed once a value rather than once a document. */
static int column_passes(const kz_filter_set *f, int field, const kz_fields_column *c,
                         kz_arena *arena, uint8_t **pass)
{
    KZ_TRY(kz_arena_calloc((void **)pass, arena, (size_t)c->nvalues + 1, 1));
    uint64_t pos = 0;
    for (uint32_t i = 0; i < c->nvalues; i++) {
        const uint8_t *value;
        size_t len;
        KZ_TRY(kz_fields_value_next(c, &pos, &value, &len));
        (*pass)[i] = (uint8_t)value_passes(f, field, (const char *)value, len);
    }
    return KZ_OK;
}

/* The passages of the documents of segment s that pass the filters, as bits of allow. Reads the
 * segment's FIELDS columns (common/fields.h): each distinct date and language is tested once,
 * names only when a doc: filter asks. */
static int filter_passages(const kz_filter_set *f, const kz_segment *seg, kz_arena *arena,
                           uint64_t *allow)
{
    const kz_fields *fl = &seg->fields;
    uint8_t *date_pass = NULL, *lang_pass = NULL;
    const int dates = has_filter(f, KZ_FIELD_DATE, f->ndate),
              langs = has_filter(f, KZ_FIELD_LANG, f->nlang),
              names = has_filter(f, KZ_FIELD_DOC, f->ndoc);
    if (dates) KZ_TRY(column_passes(f, KZ_FIELD_DATE, &fl->date, arena, &date_pass));
    if (langs) KZ_TRY(column_passes(f, KZ_FIELD_LANG, &fl->lang, arena, &lang_pass));
    doc_matcher *m = NULL;
    size_t nm = 0;
    if (names) KZ_TRY(doc_matchers(f, arena, &m, &nm));
    kz_fields_names it;
    kz_fields_names_init(&it, fl);
    int rc = KZ_OK;
    for (uint32_t d = 0; d < fl->ndocs && rc == KZ_OK; d++) {
        uint32_t id;
        int ok = 1;
        if (dates && (rc = kz_fields_id(&fl->date, d, &id)) == KZ_OK) ok = date_pass[id];
        if (langs && rc == KZ_OK && (rc = kz_fields_id(&fl->lang, d, &id)) == KZ_OK)
            ok = ok && lang_pass[id];
        if (names && rc == KZ_OK) { /* read every name: they are front-coded in order */
            const char *name;
            size_t len;
            rc = kz_fields_names_next(&it, &name, &len);
            int wanted = f->ndoc == 0, excluded = 0;
            for (size_t i = 0; i < nm && rc == KZ_OK; i++) { /* each, to keep its state */
                const int hit = doc_matches(&m[i], &it, name);
                wanted |= hit && m[i].wanted;
                excluded |= hit && !m[i].wanted;
            }
            ok = ok && wanted && !excluded;
        }
        if (rc < 0 || !ok) continue;
        uint32_t first = kz_load_u32le(seg->doc_starts + 4 * (size_t)d),
                 end = kz_load_u32le(seg->doc_starts + 4 * (size_t)d + 4);
        if (first > end || end > seg->npassages) {
            rc = kz_fail(KZ_ECORRUPT, "segment %s: document %u's passages are out of range",
                         seg->path, d);
            break;
        }
        for (uint32_t p = first; p < end; p++) allow[p >> 6] |= (uint64_t)1 << (p & 63);
    }
    kz_fields_names_free(&it);
    if (rc < 0) return kz_fail_context(rc, "segment %s", seg->path);
    return KZ_OK;
}

int kz_plan_segment_build(kz_plan_segment *out, const kz_plan *plan, kz_index *ix, uint32_t seg,
                          kz_arena *arena, uint64_t **allow_scratch)
{
    const kz_index_segment *s = &ix->segs[seg];
    memset(out, 0, sizeof *out);
    out->ndocs = s->seg->npassages;
    out->base = s->base;
    out->allow = s->live;
    const kz_filter_set *f = &plan->filters;
    if (f->ndate || f->nlang || f->ndoc || f->nnot) {
        size_t words = ((size_t)s->seg->npassages + 63) / 64;
        uint64_t *allow = realloc(*allow_scratch, (words + 1) * sizeof *allow);
        if (allow == NULL) return KZ_ENOMEM_FAIL();
        *allow_scratch = allow;
        memset(allow, 0, (words + 1) * sizeof *allow);
        KZ_TRY(filter_passages(f, s->seg, arena, allow));
        if (s->live)
            for (size_t w = 0; w < words; w++) allow[w] &= s->live[w];
        out->allow = allow;
    }
    const kz_pnode *const *lists[3] = {(const kz_pnode *const *)plan->must,
                                       (const kz_pnode *const *)plan->should,
                                       (const kz_pnode *const *)plan->must_not};
    size_t counts[3] = {plan->nmust, plan->nshould, plan->nmust_not};
    kz_cursor ***outs[3] = {&out->must, &out->should, &out->must_not};
    size_t *nouts[3] = {&out->nmust, &out->nshould, &out->nmust_not};
    for (int l = 0; l < 3; l++) {
        KZ_TRY(kz_arena_calloc((void **)outs[l], arena, counts[l] + 1, sizeof(kz_cursor *)));
        for (size_t i = 0; i < counts[l]; i++) {
            kz_cursor *c;
            KZ_TRY(kz_pnode_cursor(&c, lists[l][i], plan, s, arena));
            if (c == NULL) {
                if (l == 0) { /* a required clause absent from this segment: nothing here */
                    out->nmust = out->nshould = out->nmust_not = 0;
                    out->ndocs = 0;
                    return KZ_OK;
                }
                continue;
            }
            (*outs[l])[(*nouts[l])++] = c;
        }
    }
    return KZ_OK;
}
