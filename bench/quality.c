/* quality.c - kzquality: how well one-word Chinese queries find the passages that contain the word.
 *
 * Method (bench/QUALITY.md): every distinct word of the `zh` queries of a query file is run alone
 * through kz_search, and its results are judged against a ground truth the engine takes no part
 * in: a passage is relevant when its text contains the word as a substring after both went
 * through OpenCC's own t2s.json conversion (phrase tables included, where the engine converts one
 * character at a time). The ground truth is computed on corpus records, read from the JSONL file
 * by the small parser below: the corpus has no line breaks in its texts, so a record of at most
 * QUALITY_PASSAGE_MAX bytes is exactly one passage; a longer one, which the engine cuts in pieces,
 * counts as one relevant passage plus each further piece with the word that the engine returns.
 * Missed records are re-read and classified by the engine's own word boundaries, to tell a
 * matching defect (the word is a run of whole words there) from a segmentation disagreement.
 *
 * Invariants: words[] holds the distinct query words in first-seen order, each with its simplified
 * form; words[i].rel lists in increasing order the ordinals of the records whose simplified text
 * contains words[i].simp; the id table maps the id of every record holding a Han character (no
 * other record can contain a Chinese word) to its ordinal, so a hit's `doc` leads back to its
 * record, and line_at[ordinal] is the byte offset of the record's line, to re-read it. */
#define _GNU_SOURCE /* memmem */
#include <errno.h>
#include <opencc/opencc.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "kzsearch.h"

/* The engine's passage bound (KZ_PASSAGE_MAX in indexer/source.h): longer texts are cut. */
#define QUALITY_PASSAGE_MAX 2048
#define QUALITY_TOP         10
#define QUALITY_MAX_ALL     400000u /* the largest k of the exhaustive second run */

typedef struct vec_u32 {
    uint32_t *v;
    size_t n, cap;
} vec_u32;

typedef struct example {
    char *id;
    char *text;  /* context around the word, or the start of a wrong hit */
    char *terms; /* the engine's index-mode terms of that context */
} example;

typedef struct word {
    char *raw, *simp;
    size_t simp_len;
    vec_u32 rel;                /* ordinals of relevant records, increasing */
    uint32_t rel_long;          /* of which longer than one passage */
    char *qterms;               /* the engine's query-mode terms of the word */
    char *query;                /* the query run: the word, or its --expand form */
    int status;                 /* kz_search's status */
    size_t top, top_ok;         /* top-10 hits, of which containing the word */
    size_t rel_p;               /* relevant passages: rel.n + the extra ones the hits show */
    size_t hits;                /* hits at k */
    size_t found;               /* relevant passages (containing hits) within k */
    size_t hits_all, found_all; /* the same at k_all (the exhaustive run) */
    uint32_t k_all;             /* 0: no second run was needed (fewer than k hits) */
    size_t stray;               /* containing hits whose record is not in the ground truth */
    size_t wrong_k;             /* hits within k without the word */
    size_t dup_k;               /* containing hits within k from a record already seen */
    size_t miss_aligned;        /* missed records where the word is a run of whole words */
    size_t miss_inside;         /* missed records where every occurrence cuts through a word */
    example wrong[3], aligned[3], inside[3]; /* wrong: hits within k without the word */
    size_t nwrong, naligned, ninside;
} word;

typedef struct id_slot {
    char *id; /* NULL: empty */
    uint32_t ordinal;
} id_slot;

typedef struct quality {
    const char *corpus, *index_dir, *queries, *json;
    uint32_t k, examples;
    int expand; /* --expand: run `W OR "parts of W"` for one-term words (an experiment) */
    word *words;
    size_t nwords, cap_words;
    id_slot *ids;
    size_t ids_cap, ids_n;
    uint64_t *line_at; /* byte offset of each record's line, by ordinal */
    size_t line_cap;
    uint64_t records, han_records, bad_lines;
    opencc_t cc;
    kz_index *index;
    kz_analyzer *az_query, *az_index;
} quality;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("kzquality: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die("out of memory (%zu bytes)", n);
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

static void vec_push(vec_u32 *a, uint32_t x)
{
    if (a->n == a->cap) {
        a->cap = a->cap ? 2 * a->cap : 16;
        a->v = xrealloc(a->v, a->cap * sizeof *a->v);
    }
    a->v[a->n++] = x;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- OpenCC ------------------------------------------------------------------------------ */

/* The simplified form of text, malloc'ed (OpenCC's buffer is released at once). */
static char *to_simplified(quality *q, const char *text, size_t len, size_t *out_len)
{
    char *s = opencc_convert_utf8(q->cc, text, len);
    if (!s) die("OpenCC could not convert %zu bytes: %s", len, opencc_error());
    size_t n = strlen(s);
    char *d = xstrndup(s, n);
    opencc_convert_utf8_free(s);
    *out_len = n;
    return d;
}

/* Whether text holds a code point of the Han blocks (CJK radicals to Unified Ideographs, the
 * compatibility ideographs, the supplementary ideographic planes); text is valid UTF-8. */
static int has_han(const unsigned char *t, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = t[i];
        if (c < 0xE2) continue;
        if (c >= 0xF0 && i + 1 < n) {
            uint32_t cp = ((uint32_t)(c & 7) << 18) | ((uint32_t)(t[i + 1] & 0x3F) << 12);
            if (cp >= 0x20000 && cp < 0x40000) return 1;
        } else if (c < 0xF0 && i + 1 < n) {
            uint32_t cp = ((uint32_t)(c & 0xF) << 12) | ((uint32_t)(t[i + 1] & 0x3F) << 6);
            if ((cp >= 0x2E80 && cp < 0xA000) || (cp >= 0xF900 && cp < 0xFB00)) return 1;
        }
    }
    return 0;
}

/* ---- the id table -------------------------------------------------------------------------- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

static id_slot *id_find(quality *q, const char *id)
{
    if (!q->ids_cap) return NULL;
    for (size_t i = hash_str(id) & (q->ids_cap - 1);; i = (i + 1) & (q->ids_cap - 1)) {
        if (!q->ids[i].id) return NULL;
        if (strcmp(q->ids[i].id, id) == 0) return &q->ids[i];
    }
}

/* Adds id unless present (a repeated id keeps its first record, as the report says). */
static void id_add(quality *q, const char *id, uint32_t ordinal)
{
    if (2 * (q->ids_n + 1) > q->ids_cap) {
        size_t cap = q->ids_cap ? 2 * q->ids_cap : 1024;
        id_slot *t = xrealloc(NULL, cap * sizeof *t);
        memset(t, 0, cap * sizeof *t);
        for (size_t i = 0; i < q->ids_cap; i++) {
            if (!q->ids[i].id) continue;
            size_t j = hash_str(q->ids[i].id) & (cap - 1);
            while (t[j].id) j = (j + 1) & (cap - 1);
            t[j] = q->ids[i];
        }
        free(q->ids);
        q->ids = t;
        q->ids_cap = cap;
    }
    size_t j = hash_str(id) & (q->ids_cap - 1);
    for (; q->ids[j].id; j = (j + 1) & (q->ids_cap - 1))
        if (strcmp(q->ids[j].id, id) == 0) return;
    q->ids[j] = (id_slot){xstrndup(id, strlen(id)), ordinal};
    q->ids_n++;
}

/* ---- a JSON Lines record: the string members "id" and "text" ------------------------------- */

typedef struct dstr {
    char *s;
    size_t n, cap;
} dstr;

static void dstr_put(dstr *d, const char *s, size_t n)
{
    if (d->n + n + 1 > d->cap) {
        d->cap = 2 * (d->n + n + 1);
        d->s = xrealloc(d->s, d->cap);
    }
    memcpy(d->s + d->n, s, n);
    d->n += n;
    d->s[d->n] = 0;
}

static void dstr_cp(dstr *d, uint32_t cp)
{
    char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (char)(0xC0 | cp >> 6), b[1] = (char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (char)(0xE0 | cp >> 12), b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (char)(0xF0 | cp >> 18), b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), b[3] = (char)(0x80 | (cp & 0x3F)), n = 4;
    }
    dstr_put(d, b, n);
}

static int hex4(const char *s, const char *end, uint32_t *out)
{
    if (end - s < 4) return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Decodes the string starting after its opening quote at *p into out (if not NULL); leaves *p
 * after the closing quote. -1 on a malformed string. */
static int json_string(const char **p, const char *end, dstr *out)
{
    const char *s = *p;
    if (out) out->n = 0;
    if (out) dstr_put(out, "", 0);
    while (s < end && *s != '"') {
        const char *run = s;
        while (s < end && *s != '"' && *s != '\\') s++;
        if (out) dstr_put(out, run, (size_t)(s - run));
        if (s >= end || *s == '"') break;
        if (++s >= end) return -1;
        char e = *s++;
        static const char esc[] = "\"\\/bfnrt", dec[] = "\"\\/\b\f\n\r\t";
        const char *simple = e ? strchr(esc, e) : NULL;
        if (simple) {
            if (out) dstr_put(out, &dec[simple - esc], 1);
            continue;
        }
        uint32_t cp, lo;
        if (e != 'u' || hex4(s, end, &cp)) return -1;
        s += 4;
        if (cp >= 0xD800 && cp < 0xDC00) {
            if (end - s < 6 || s[0] != '\\' || s[1] != 'u' || hex4(s + 2, end, &lo) ||
                lo < 0xDC00 || lo >= 0xE000)
                return -1;
            s += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if (cp >= 0xDC00 && cp < 0xE000) {
            return -1;
        }
        if (out) dstr_cp(out, cp);
    }
    if (s >= end) return -1;
    *p = s + 1;
    return 0;
}

static void skip_ws(const char **p, const char *end)
{
    while (*p < end && (**p == ' ' || **p == '\t' || **p == '\r' || **p == '\n')) (*p)++;
}

/* Skips a non-string value (number, literal, nested object or array) at *p. */
static int skip_value(const char **p, const char *end)
{
    int depth = 0;
    while (*p < end) {
        char c = **p;
        if (c == '"') {
            (*p)++;
            if (json_string(p, end, NULL)) return -1;
            continue;
        }
        if (depth == 0 && (c == ',' || c == '}')) return 0;
        if (c == '{' || c == '[') depth++;
        if (c == '}' || c == ']') depth--;
        if (depth < 0) return -1;
        (*p)++;
    }
    return -1;
}

/* Parses one line into its "id" and "text" (the last of repeated keys wins, as in the engine).
 * -1 if the line is not an object with both. */
static int parse_record(const char *line, size_t len, dstr *key, dstr *id, dstr *text)
{
    const char *p = line, *end = line + len;
    int have_id = 0, have_text = 0;
    skip_ws(&p, end);
    if (p >= end || *p++ != '{') return -1;
    skip_ws(&p, end);
    if (p < end && *p == '}') return -1;
    for (;;) {
        skip_ws(&p, end);
        if (p >= end || *p++ != '"' || json_string(&p, end, key)) return -1;
        skip_ws(&p, end);
        if (p >= end || *p++ != ':') return -1;
        skip_ws(&p, end);
        if (p < end && *p == '"') {
            p++;
            dstr *dst = strcmp(key->s, "id") == 0 ? id : strcmp(key->s, "text") == 0 ? text : NULL;
            if (json_string(&p, end, dst)) return -1;
            if (dst == id) have_id = 1;
            if (dst == text) have_text = 1;
        } else if (skip_value(&p, end)) {
            return -1;
        }
        skip_ws(&p, end);
        if (p >= end) return -1;
        if (*p == '}') break;
        if (*p++ != ',') return -1;
    }
    return have_id && have_text ? 0 : -1;
}

/* ---- inputs ------------------------------------------------------------------------------ */

static void add_word(quality *q, const char *w, size_t n)
{
    for (size_t i = 0; i < q->nwords; i++)
        if (strlen(q->words[i].raw) == n && memcmp(q->words[i].raw, w, n) == 0) return;
    if (q->nwords == q->cap_words) {
        q->cap_words = q->cap_words ? 2 * q->cap_words : 64;
        q->words = xrealloc(q->words, q->cap_words * sizeof *q->words);
    }
    word *d = &q->words[q->nwords++];
    memset(d, 0, sizeof *d);
    d->raw = xstrndup(w, n);
    d->simp = to_simplified(q, w, n, &d->simp_len);
}

/* A query word ends at ASCII white space or at U+3000 (the ideographic space). */
static size_t space_len(const char *s, const char *end)
{
    if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') return 1;
    if (end - s >= 3 && memcmp(s, "\xE3\x80\x80", 3) == 0) return 3;
    return 0;
}

static void read_queries(quality *q)
{
    FILE *f = fopen(q->queries, "r");
    if (!f) die("cannot open the query file %s: %s", q->queries, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        char *tab = memchr(line, '\t', (size_t)len);
        if (!tab || tab - line != 2 || memcmp(line, "zh", 2) != 0) continue;
        const char *s = tab + 1, *end = line + len;
        while (s < end) {
            size_t sp = space_len(s, end);
            if (sp) {
                s += sp;
                continue;
            }
            const char *w = s;
            while (s < end && !space_len(s, end)) s++;
            add_word(q, w, (size_t)(s - w));
        }
    }
    free(line);
    fclose(f);
    if (!q->nwords) die("%s holds no `zh` query (lines `zh<TAB>words`)", q->queries);
}

/* Scans the corpus: the id table and, for every word, its relevant records. */
static void scan_corpus(quality *q)
{
    FILE *f = fopen(q->corpus, "r");
    if (!f) die("cannot open the corpus %s: %s", q->corpus, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    uint64_t offset = 0;
    dstr key = {0}, id = {0}, text = {0};
    while ((len = getline(&line, &cap, f)) > 0) {
        uint64_t at = offset;
        offset += (uint64_t)len;
        if (parse_record(line, (size_t)len, &key, &id, &text)) {
            q->bad_lines++;
            continue;
        }
        uint32_t ordinal = (uint32_t)q->records++;
        if (ordinal == q->line_cap) {
            q->line_cap = q->line_cap ? 2 * q->line_cap : 4096;
            q->line_at = xrealloc(q->line_at, q->line_cap * sizeof *q->line_at);
        }
        q->line_at[ordinal] = at;
        if (!has_han((const unsigned char *)text.s, text.n)) continue;
        q->han_records++;
        id_add(q, id.s, ordinal);
        size_t sn;
        char *simp = to_simplified(q, text.s, text.n, &sn);
        for (size_t i = 0; i < q->nwords; i++) {
            word *w = &q->words[i];
            if (!memmem(simp, sn, w->simp, w->simp_len)) continue;
            vec_push(&w->rel, ordinal);
            if (text.n > QUALITY_PASSAGE_MAX) w->rel_long++;
        }
        free(simp);
    }
    free(line);
    free(key.s), free(id.s), free(text.s);
    fclose(f);
}

/* ---- the engine ---------------------------------------------------------------------------- */

static void on_progress(void *ctx, const kz_add_report *r, const char *warning)
{
    (void)ctx;
    if (warning) fprintf(stderr, "kzquality: warning: %s\n", warning);
    (void)r;
}

static void open_index(quality *q)
{
    int rc = kz_index_open(&q->index, q->index_dir);
    if (rc == KZ_ENOTFOUND) {
        fprintf(stderr, "kzquality: no index in %s: indexing %s\n", q->index_dir, q->corpus);
        double t0 = now();
        kz_writer *w = NULL;
        if (kz_writer_open(&w, q->index_dir, NULL) ||
            kz_writer_add_path(w, q->corpus, on_progress, NULL) || kz_writer_commit(w))
            die("indexing %s into %s failed: %s", q->corpus, q->index_dir, kz_errmsg());
        kz_writer_close(w);
        fprintf(stderr, "kzquality: indexed in %.1f s\n", now() - t0);
        rc = kz_index_open(&q->index, q->index_dir);
    }
    if (rc) die("cannot open the index %s: %s", q->index_dir, kz_errmsg());

    /* The analyzers use the index's own dictionary, as its searches do. */
    char dict[4096];
    struct stat st;
    snprintf(dict, sizeof dict, "%s/zh.dict", q->index_dir);
    kz_analyzer_options o = KZ_ANALYZER_OPTIONS_INIT;
    o.zh_dict = stat(dict, &st) == 0 ? dict : NULL;
    o.query_mode = 1;
    if (kz_analyzer_new(&q->az_query, &o)) die("query analyzer: %s", kz_errmsg());
    o.query_mode = 0;
    if (kz_analyzer_new(&q->az_index, &o)) die("index analyzer: %s", kz_errmsg());
}

typedef struct terms_ctx {
    dstr out;
    uint32_t last;
    int any;
} terms_ctx;

/* Terms as "a b|c d": '|' joins alternatives at one position. */
static int on_token(void *ctx, const kz_token *t)
{
    terms_ctx *c = ctx;
    if (c->any) dstr_put(&c->out, t->position == c->last ? "|" : " ", 1);
    dstr_put(&c->out, t->term, t->term_len);
    c->last = t->position;
    c->any = 1;
    return 0;
}

static char *analyze(kz_analyzer *az, const char *text, size_t len)
{
    terms_ctx c = {{0}, 0, 0};
    dstr_put(&c.out, "", 0);
    if (kz_analyze(az, text, len, on_token, &c)) die("analysis failed: %s", kz_errmsg());
    return c.out.s;
}

/* Whether the simplified text of a hit contains the word. */
static int hit_contains(quality *q, const word *w, const kz_hit *h)
{
    size_t sn;
    char *simp = to_simplified(q, h->text, h->text_len, &sn);
    int yes = memmem(simp, sn, w->simp, w->simp_len) != NULL;
    free(simp);
    return yes;
}

/* The position in w->rel of the record of hit h, or -1. */
static long rel_index(quality *q, const word *w, const kz_hit *h)
{
    id_slot *s = id_find(q, h->doc);
    if (!s) return -1;
    size_t lo = 0, hi = w->rel.n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (w->rel.v[mid] < s->ordinal)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < w->rel.n && w->rel.v[lo] == s->ordinal ? (long)lo : -1;
}

/* At most `bytes` bytes of s, cut at a character boundary. */
static char *utf8_prefix(const char *s, size_t n, size_t bytes)
{
    if (n > bytes) {
        n = bytes;
        while (n && ((unsigned char)s[n] & 0xC0) == 0x80) n--;
    }
    return xstrndup(s, n);
}

/* Runs the word at k and marks the relevant records found (seen[i] for w->rel.v[i]). Returns the
 * hits returned; fills the top-10 and within-k figures when top is set. */
static size_t run(quality *q, word *w, uint32_t k, unsigned char *seen, size_t *found,
                  size_t *extra, int top)
{
    kz_search_options o = KZ_SEARCH_OPTIONS_INIT;
    o.k = k;
    kz_results *r = NULL;
    w->status = kz_search(&r, q->index, w->query, strlen(w->query), &o);
    if (w->status) {
        fprintf(stderr, "kzquality: query %s failed: %s\n", w->raw, kz_errmsg());
        return 0;
    }
    size_t n = kz_results_count(r);
    memset(seen, 0, w->rel.n);
    *found = *extra = 0;
    for (size_t i = 0; i < n; i++) {
        const kz_hit *h = kz_results_hit(r, i);
        int ok = hit_contains(q, w, h);
        if (top && i < QUALITY_TOP) {
            w->top++;
            w->top_ok += (size_t)ok;
        }
        if (!ok) {
            if (top && w->nwrong < q->examples) {
                example *e = &w->wrong[w->nwrong++];
                char rank[32];
                snprintf(rank, sizeof rank, " (rank %zu)", i + 1);
                e->id = xrealloc(NULL, strlen(h->doc) + sizeof rank);
                strcpy(e->id, h->doc), strcat(e->id, rank);
                e->text = utf8_prefix(h->text, h->text_len, 90);
                e->terms = analyze(q->az_index, e->text, strlen(e->text));
            }
            if (top) w->wrong_k++;
            continue;
        }
        long j = rel_index(q, w, h);
        if (j < 0) {
            if (top) w->stray++;
        } else {
            /* Another passage of a record cut in pieces is another relevant passage. */
            (*found)++;
            if (seen[j]) (*extra)++;
            seen[j] = 1;
        }
    }
    kz_results_free(r);
    return n;
}

/* Marks in map[] the bytes where a precise-mode (query-mode) token starts (1) and ends (2). */
static int on_boundary(void *ctx, const kz_token *t)
{
    unsigned char *map = ctx;
    map[t->start] |= 1;
    map[t->end] |= 2;
    return 0;
}

/* Re-reads missed record `ordinal`, counts it as aligned (some occurrence of the word starts and
 * ends on the boundaries of the precise-mode words of the simplified text, so the engine's own
 * segmentation sees the word there) or inside (every occurrence cuts through a word), and keeps
 * the context of the first occurrence as an example of its class. */
static void classify_missed(quality *q, word *w, uint32_t ordinal)
{
    FILE *f = fopen(q->corpus, "r");
    if (!f || fseeko(f, (off_t)q->line_at[ordinal], SEEK_SET)) die("cannot re-read %s", q->corpus);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len = getline(&line, &cap, f);
    fclose(f);
    dstr key = {0}, id = {0}, text = {0};
    if (len <= 0 || parse_record(line, (size_t)len, &key, &id, &text))
        die("%s changed while kzquality ran", q->corpus);
    size_t sn;
    char *simp = to_simplified(q, text.s, text.n, &sn);
    unsigned char *map = xrealloc(NULL, sn + 1);
    memset(map, 0, sn + 1);
    if (kz_analyze(q->az_query, simp, sn, on_boundary, map)) die("analysis: %s", kz_errmsg());
    const char *first = memmem(simp, sn, w->simp, w->simp_len), *at = first;
    int aligned = 0;
    while (at && !aligned) {
        size_t a = (size_t)(at - simp), b = a + w->simp_len;
        aligned = (map[a] & 1) && (map[b] & 2);
        at = memmem(at + 1, sn - a - 1, w->simp, w->simp_len);
    }
    if (aligned)
        w->miss_aligned++;
    else
        w->miss_inside++;
    example *ex = aligned ? w->aligned : w->inside;
    size_t *nex = aligned ? &w->naligned : &w->ninside;
    if (first && *nex < q->examples) {
        size_t a = (size_t)(first - simp), from = a > 24 ? a - 24 : 0;
        while (from && ((unsigned char)simp[from] & 0xC0) == 0x80) from--;
        example *e = &ex[(*nex)++];
        e->id = xstrndup(id.s, id.n);
        e->text = utf8_prefix(simp + from, sn - from, a - from + w->simp_len + 24);
        e->terms = analyze(q->az_index, e->text, strlen(e->text));
    }
    free(map);
    free(simp);
    free(line);
    free(key.s), free(id.s), free(text.s);
}

/* ---- the --expand experiment ---------------------------------------------------------------- */

typedef struct piece_ctx {
    size_t len;       /* bytes of the word */
    size_t best[256]; /* best[o]: end of the longest proper sub-word starting at byte o, or 0 */
    size_t ntokens;
} piece_ctx;

static int on_piece(void *ctx, const kz_token *t)
{
    piece_ctx *c = ctx;
    c->ntokens++;
    if (t->start == 0 && t->end == c->len) return 0; /* the word itself */
    if (t->start < sizeof c->best / sizeof c->best[0] && t->end > c->best[t->start])
        c->best[t->start] = t->end;
    return 0;
}

/* The query `W OR "p1 p2 …"` when the word W is one query-mode term that search mode splits
 * into sub-words: p1 p2 … cover W with its longest sub-words, single characters in the gaps. It
 * measures what the planner would gain by also searching a one-term word as the phrase of its
 * parts (電子郵件地址 holds 郵件地址 only as 电子邮件|邮件 + 地址). NULL: no expansion. */
static char *expanded_query(quality *q, const word *w)
{
    size_t n = strlen(w->raw);
    if (strchr(w->qterms, ' ') || strchr(w->qterms, '|') || n >= 256) return NULL;
    piece_ctx c;
    memset(&c, 0, sizeof c);
    c.len = n;
    if (kz_analyze(q->az_index, w->raw, n, on_piece, &c)) die("analysis: %s", kz_errmsg());
    int any = 0;
    for (size_t i = 0; i < n; i++) any |= c.best[i] != 0;
    if (!any) return NULL;
    dstr out = {0};
    dstr_put(&out, w->raw, n);
    dstr_put(&out, " OR \"", 5);
    for (size_t o = 0; o < n;) {
        size_t end = c.best[o];
        if (!end) /* one character */
            for (end = o + 1; end < n && ((unsigned char)w->raw[end] & 0xC0) == 0x80; end++) {}
        if (o) dstr_put(&out, " ", 1);
        dstr_put(&out, w->raw + o, end - o);
        o = end;
    }
    dstr_put(&out, "\"", 1);
    return out.s;
}

static void measure(quality *q, word *w)
{
    unsigned char *seen = xrealloc(NULL, w->rel.n);
    w->qterms = analyze(q->az_query, w->raw, strlen(w->raw));
    w->query = q->expand ? expanded_query(q, w) : NULL;
    if (!w->query) w->query = xstrndup(w->raw, strlen(w->raw));
    size_t extra;
    w->hits = run(q, w, q->k, seen, &w->found, &w->dup_k, 1);
    w->hits_all = w->hits, w->found_all = w->found, extra = w->dup_k;
    if (!w->status && w->hits == q->k) {
        /* Possibly more matches than k: list them all, to tell ranking from matching. */
        uint64_t want = 4 * (uint64_t)(w->rel.n > q->k ? w->rel.n : q->k);
        w->k_all = want > QUALITY_MAX_ALL ? QUALITY_MAX_ALL : (uint32_t)want;
        w->hits_all = run(q, w, w->k_all, seen, &w->found_all, &extra, 0);
    }
    w->rel_p = w->rel.n + extra;
    for (size_t i = 0; i < w->rel.n; i++)
        if (!seen[i]) classify_missed(q, w, w->rel.v[i]);
    free(seen);
}

/* ---- report -------------------------------------------------------------------------------- */

static double ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 0.0;
}

/* Recall's denominator: no ranking can place more than k relevant passages within k results. */
static size_t rel_at_k(const quality *q, const word *w)
{
    return w->rel_p < q->k ? w->rel_p : q->k;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static void json_examples(FILE *f, const char *name, const example *e, size_t n)
{
    fprintf(f, ", \"%s\": [", name);
    for (size_t i = 0; i < n; i++) {
        fputs(i ? ", {\"id\": " : "{\"id\": ", f);
        json_str(f, e[i].id);
        fputs(", \"text\": ", f);
        json_str(f, e[i].text);
        fputs(", \"terms\": ", f);
        json_str(f, e[i].terms);
        fputc('}', f);
    }
    fputc(']', f);
}

/* Means over the words (each word counts once) and pooled figures (each passage counts once). */
typedef struct averages {
    double p10, rk, rall;
    size_t np, nr, p_fail, r_fail;
    size_t top, top_ok, relk, found, rel, found_all, miss_aligned, miss_inside;
} averages;

static averages average(const quality *q)
{
    averages a = {0};
    for (size_t i = 0; i < q->nwords; i++) {
        const word *w = &q->words[i];
        if (w->top) {
            double p = ratio(w->top_ok, w->top);
            a.p10 += p, a.np++, a.p_fail += p < 0.9;
            a.top += w->top, a.top_ok += w->top_ok;
        }
        if (w->rel.n) {
            double r = ratio(w->found, rel_at_k(q, w));
            a.rk += r, a.rall += ratio(w->found_all, w->rel_p), a.nr++, a.r_fail += r < 0.95;
            a.relk += rel_at_k(q, w), a.found += w->found;
            a.rel += w->rel_p, a.found_all += w->found_all;
        }
        a.miss_aligned += w->miss_aligned, a.miss_inside += w->miss_inside;
    }
    a.p10 = a.np ? a.p10 / (double)a.np : 0;
    a.rk = a.nr ? a.rk / (double)a.nr : 0;
    a.rall = a.nr ? a.rall / (double)a.nr : 0;
    return a;
}

static void write_json(const quality *q, const averages *a)
{
    FILE *f = fopen(q->json, "w");
    if (!f) die("cannot write %s: %s", q->json, strerror(errno));
    fprintf(f, "{\"corpus\": ");
    json_str(f, q->corpus);
    fprintf(f, ", \"index\": ");
    json_str(f, q->index_dir);
    fprintf(f, ", \"queries\": ");
    json_str(f, q->queries);
    fprintf(f, ", \"expand\": %s", q->expand ? "true" : "false");
    fprintf(f, ", \"k\": %u, \"records\": %llu, \"han_records\": %llu, \"bad_lines\": %llu,\n",
            q->k, (unsigned long long)q->records, (unsigned long long)q->han_records,
            (unsigned long long)q->bad_lines);
    fprintf(f, " \"words\": [\n");
    for (size_t i = 0; i < q->nwords; i++) {
        const word *w = &q->words[i];
        fputs("  {\"word\": ", f);
        json_str(f, w->raw);
        fputs(", \"simplified\": ", f);
        json_str(f, w->simp);
        fputs(", \"query_terms\": ", f);
        json_str(f, w->qterms);
        fputs(", \"query\": ", f);
        json_str(f, w->query);
        fprintf(f,
                ", \"status\": %d, \"relevant_records\": %zu, \"relevant_long\": %u, "
                "\"relevant\": %zu, \"hits\": %zu, "
                "\"top\": %zu, \"top_containing\": %zu, \"precision_at_10\": %.4f, "
                "\"found\": %zu, \"recall_at_k\": %.4f, \"without_word_within_k\": %zu, "
                "\"more_passages_of_a_record_within_k\": %zu, \"k_all\": %u, \"hits_all\": %zu, "
                "\"found_all\": %zu, \"recall_all\": %.4f, \"missed_aligned\": %zu, "
                "\"missed_inside\": %zu, \"stray\": %zu",
                w->status, w->rel.n, w->rel_long, w->rel_p, w->hits, w->top, w->top_ok,
                ratio(w->top_ok, w->top), w->found, ratio(w->found, rel_at_k(q, w)), w->wrong_k,
                w->dup_k, w->k_all, w->hits_all, w->found_all, ratio(w->found_all, w->rel_p),
                w->miss_aligned, w->miss_inside, w->stray);
        json_examples(f, "without_word_examples", w->wrong, w->nwrong);
        json_examples(f, "missed_aligned_examples", w->aligned, w->naligned);
        json_examples(f, "missed_inside_examples", w->inside, w->ninside);
        fprintf(f, "}%s\n", i + 1 < q->nwords ? "," : "");
    }
    fprintf(f,
            " ],\n \"average\": {\"precision_at_10\": %.4f, \"words_with_hits\": %zu, "
            "\"recall_at_k\": %.4f, \"recall_all\": %.4f, \"words_with_relevant\": %zu, "
            "\"words_precision_below_0_90\": %zu, \"words_recall_below_0_95\": %zu},\n",
            a->p10, a->np, a->rk, a->rall, a->nr, a->p_fail, a->r_fail);
    fprintf(f,
            " \"pooled\": {\"precision_at_10\": %.4f, \"recall_at_k\": %.4f, "
            "\"recall_all\": %.4f, \"missed_aligned\": %zu, \"missed_inside\": %zu}}\n",
            ratio(a->top_ok, a->top), ratio(a->found, a->relk), ratio(a->found_all, a->rel),
            a->miss_aligned, a->miss_inside);
    if (fclose(f)) die("cannot write %s: %s", q->json, strerror(errno));
}

static void print_examples(const char *what, const example *e, size_t n)
{
    for (size_t j = 0; j < n; j++)
        printf("    %-7s %-24s %s\n            %-24s [%s]\n", what, e[j].id, e[j].text, "",
               e[j].terms);
}

/* Prints s padded to `cols` terminal columns, counting a non-ASCII character as two (the words
 * are Chinese, whose characters are wide). */
static void print_padded(const char *s, int cols)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if ((*p & 0xC0) != 0x80) w += *p < 0x80 ? 1 : 2;
    printf("%s%*s", s, w < cols ? cols - w : 1, "");
}

static void print_report(const quality *q, const averages *a)
{
    printf("%-13s%8s %6s %8s %13s %8s %7s  %s\n", "word", "relevant", "P@10", "R@k",
           "found/min(R,k)", "R(all)", "al/in", "query terms");
    for (size_t i = 0; i < q->nwords; i++) {
        const word *w = &q->words[i];
        print_padded(w->raw, 13);
        if (w->top)
            printf("%8zu %6.3f", w->rel_p, ratio(w->top_ok, w->top));
        else
            printf("%8zu %6s", w->rel_p, "-");
        printf(" %8.4f %6zu/%-6zu %8.4f %3zu/%-3zu  %s%s\n", ratio(w->found, rel_at_k(q, w)),
               w->found, rel_at_k(q, w), ratio(w->found_all, w->rel_p), w->miss_aligned,
               w->miss_inside, strcmp(w->query, w->raw) ? w->query : w->qterms,
               w->status   ? "  (query failed)"
               : !w->rel.n ? "  (no relevant passage)"
                           : "");
        print_examples("wrong", w->wrong, w->nwrong);
        print_examples("aligned", w->aligned, w->naligned);
        print_examples("inside", w->inside, w->ninside);
    }
    printf("\n%zu words; corpus: %llu records (%llu with Han characters, %llu unreadable lines)\n",
           q->nwords, (unsigned long long)q->records, (unsigned long long)q->han_records,
           (unsigned long long)q->bad_lines);
    printf("top-%d precision   mean %.4f over %zu words (%zu below 0.90), pooled %.4f (%zu/%zu)\n",
           QUALITY_TOP, a->p10, a->np, a->p_fail, ratio(a->top_ok, a->top), a->top_ok, a->top);
    printf("recall@%-4u        mean %.4f over %zu words (%zu below 0.95), pooled %.4f (%zu/%zu)\n",
           q->k, a->rk, a->nr, a->r_fail, ratio(a->found, a->relk), a->found, a->relk);
    printf("recall, all hits  mean %.4f, pooled %.4f (%zu/%zu)\n", a->rall,
           ratio(a->found_all, a->rel), a->found_all, a->rel);
    printf("missed records    %zu with the word on word boundaries, %zu inside other words\n",
           a->miss_aligned, a->miss_inside);
}

static void free_examples(example *e, size_t n)
{
    for (size_t j = 0; j < n; j++) free(e[j].id), free(e[j].text), free(e[j].terms);
}

static void usage(void)
{
    fputs("usage: kzquality --corpus FILE.jsonl --index DIR --queries FILE.tsv [--json OUT]\n"
          "                 [--k N] [--examples N] [--expand]\n"
          "Runs every distinct word of the `zh` queries alone and measures top-10 precision and\n"
          "recall@k (default 1000) against the passages whose text contains the word after\n"
          "OpenCC t2s conversion of both. Builds the index from the corpus if DIR has none.\n"
          "--expand runs a one-term word W that has sub-words as `W OR \"parts of W\"` instead\n"
          "(an experiment on the query planner; bench/QUALITY.md).\n",
          stderr);
    exit(2);
}

int main(int argc, char **argv)
{
    quality q = {0};
    q.k = 1000;
    q.examples = 3;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "--expand") == 0) {
            q.expand = 1;
            continue;
        }
        if (!v) usage();
        if (strcmp(a, "--corpus") == 0)
            q.corpus = v;
        else if (strcmp(a, "--index") == 0)
            q.index_dir = v;
        else if (strcmp(a, "--queries") == 0)
            q.queries = v;
        else if (strcmp(a, "--json") == 0)
            q.json = v;
        else if (strcmp(a, "--k") == 0)
            q.k = (uint32_t)strtoul(v, NULL, 10);
        else if (strcmp(a, "--examples") == 0)
            q.examples = (uint32_t)strtoul(v, NULL, 10);
        else
            usage();
        i++;
    }
    if (!q.corpus || !q.index_dir || !q.queries || q.k == 0) usage();
    if (q.examples > 3) q.examples = 3;

    q.cc = opencc_open("t2s.json");
    if (q.cc == (opencc_t)-1) die("OpenCC cannot open t2s.json: %s", opencc_error());
    double t0 = now();
    read_queries(&q);
    open_index(&q);
    double t1 = now();
    scan_corpus(&q);
    double t2 = now();
    fprintf(stderr, "kzquality: %zu words; ground truth from %llu records in %.1f s\n", q.nwords,
            (unsigned long long)q.records, t2 - t1);
    for (size_t i = 0; i < q.nwords; i++) measure(&q, &q.words[i]);
    fprintf(stderr, "kzquality: searches in %.1f s (total %.1f s)\n", now() - t2, now() - t0);

    averages a = average(&q);
    print_report(&q, &a);
    if (q.json) write_json(&q, &a);

    for (size_t i = 0; i < q.nwords; i++) {
        word *w = &q.words[i];
        free_examples(w->wrong, w->nwrong);
        free_examples(w->aligned, w->naligned);
        free_examples(w->inside, w->ninside);
        free(w->raw), free(w->simp), free(w->rel.v), free(w->qterms), free(w->query);
    }
    free(q.words);
    for (size_t i = 0; i < q.ids_cap; i++) free(q.ids[i].id);
    free(q.ids);
    free(q.line_at);
    kz_analyzer_free(q.az_query);
    kz_analyzer_free(q.az_index);
    kz_index_close(q.index);
    opencc_close(q.cc);
    return 0;
}
