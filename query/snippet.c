/* snippet.c - excerpts and highlights (see snippet.h). */
#include "snippet.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>

int kz_termset_add(kz_termset *s, const char *term, size_t len)
{
    if (s->offsets.len == 0) KZ_TRY(kz_buf_append(&s->offsets, &(size_t){0}, sizeof(size_t)));
    KZ_TRY(kz_buf_append(&s->bytes, term, len));
    size_t end = s->bytes.len;
    KZ_TRY(kz_buf_append(&s->offsets, &end, sizeof end));
    s->n++;
    s->sorted = 0;
    return KZ_OK;
}

static size_t off_at(const kz_termset *s, size_t i)
{
    size_t v;
    memcpy(&v, s->offsets.data + i * sizeof v, sizeof v);
    return v;
}

static int cmp_bytes(const char *a, size_t al, const char *b, size_t bl)
{
    int c = memcmp(a, b, al < bl ? al : bl);
    return c ? c : (al > bl) - (al < bl);
}

typedef struct span {
    size_t off, len;
} span;

static _Thread_local const char *sort_base; /* qsort has no context argument */

static int cmp_span(const void *x, const void *y)
{
    const span *a = x, *b = y;
    return cmp_bytes(sort_base + a->off, a->len, sort_base + b->off, b->len);
}

int kz_termset_finish(kz_termset *s)
{
    if (s->n == 0) {
        s->sorted = 1;
        return KZ_OK;
    }
    span *spans = malloc(s->n * sizeof *spans);
    if (spans == NULL) return KZ_ENOMEM_FAIL();
    for (size_t i = 0; i < s->n; i++)
        spans[i] = (span){off_at(s, i), off_at(s, i + 1) - off_at(s, i)};
    sort_base = (const char *)s->bytes.data;
    qsort(spans, s->n, sizeof *spans, cmp_span);
    sort_base = NULL;
    kz_buf bytes = KZ_BUF_INIT, offsets = KZ_BUF_INIT;
    size_t n = 0;
    int rc = kz_buf_append(&offsets, &(size_t){0}, sizeof(size_t));
    for (size_t i = 0; i < s->n && rc == KZ_OK; i++) {
        const char *t = (const char *)s->bytes.data + spans[i].off;
        if (i > 0 && cmp_bytes(t, spans[i].len, (const char *)s->bytes.data + spans[i - 1].off,
                               spans[i - 1].len) == 0)
            continue;
        rc = kz_buf_append(&bytes, t, spans[i].len);
        size_t end = bytes.len;
        if (rc == KZ_OK) rc = kz_buf_append(&offsets, &end, sizeof end);
        n++;
    }
    free(spans);
    if (rc < 0) {
        kz_buf_free(&bytes);
        kz_buf_free(&offsets);
        return rc;
    }
    kz_buf_free(&s->bytes);
    kz_buf_free(&s->offsets);
    s->bytes = bytes;
    s->offsets = offsets;
    s->n = n;
    s->sorted = 1;
    return KZ_OK;
}

int kz_termset_has(const kz_termset *s, const char *term, size_t len)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t a = off_at(s, mid), b = off_at(s, mid + 1);
        int c = cmp_bytes((const char *)s->bytes.data + a, b - a, term, len);
        if (c == 0) return 1;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

void kz_termset_free(kz_termset *s)
{
    kz_buf_free(&s->bytes);
    kz_buf_free(&s->offsets);
    s->n = 0;
}

/* ---- snippets ---- */

typedef struct match {
    kz_range range;
    size_t term; /* index of the term in the set, to count distinct ones */
} match;

typedef struct collect_ctx {
    const kz_termset *terms;
    kz_buf found; /* match entries */
} collect_ctx;

static size_t term_index(const kz_termset *s, const char *term, size_t len)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        size_t a = off_at(s, mid), b = off_at(s, mid + 1);
        int c = cmp_bytes((const char *)s->bytes.data + a, b - a, term, len);
        if (c == 0) return mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return SIZE_MAX;
}

static int on_token(void *ctx, const kz_token *t)
{
    collect_ctx *c = ctx;
    size_t i = term_index(c->terms, t->term, t->term_len);
    if (i == SIZE_MAX) return 0;
    match m = {{(uint32_t)t->start, (uint32_t)t->end}, i};
    return kz_buf_append(&c->found, &m, sizeof m);
}

static int cmp_match(const void *x, const void *y)
{
    const match *a = x, *b = y;
    if (a->range.start != b->range.start) return a->range.start < b->range.start ? -1 : 1;
    return (a->range.end < b->range.end) - (a->range.end > b->range.end); /* longer first */
}

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Moves a cut point back to the start of a UTF-8 character. */
static size_t char_start(const char *text, size_t at)
{
    while (at > 0 && ((unsigned char)text[at] & 0xc0) == 0x80) at--;
    return at;
}

int kz_snippet_make(kz_analyzer *a, const char *text, size_t len, const kz_termset *terms,
                    size_t target, kz_snippet *out)
{
    collect_ctx c = {terms, KZ_BUF_INIT};
    kz_buf_clear(&out->matches);
    int rc = kz_analyze(a, text, len, on_token, &c);
    if (rc != KZ_OK) {
        kz_buf_free(&c.found);
        return rc < 0 ? rc : kz_fail(KZ_ERROR, "analysis stopped");
    }
    match *m = (match *)c.found.data;
    size_t n = c.found.len / sizeof *m;
    if (n > 1) qsort(m, n, sizeof *m, cmp_match); /* m is NULL when nothing matched */
    /* Drop matches that overlap an earlier, longer one (sub-words inside a matched word). */
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || m[i].range.start >= m[k - 1].range.end) m[k++] = m[i];
    n = k;

    size_t best_start = 0;
    if (len > target && n > 0) {
        /* The window starting at a match that covers the most distinct terms, then matches. */
        size_t best_distinct = 0, best_count = 0;
        unsigned char seen[64];
        for (size_t i = 0; i < n; i++) {
            memset(seen, 0, sizeof seen);
            size_t distinct = 0, count = 0;
            for (size_t j = i; j < n && m[j].range.end - m[i].range.start <= target; j++) {
                size_t t = m[j].term % (sizeof seen * 8);
                if (!(seen[t / 8] & (1u << (t % 8)))) {
                    seen[t / 8] |= (unsigned char)(1u << (t % 8));
                    distinct++;
                }
                count++;
            }
            if (distinct > best_distinct || (distinct == best_distinct && count > best_count)) {
                best_distinct = distinct;
                best_count = count;
                best_start = m[i].range.start;
            }
        }
        /* Give the first match some context before it. */
        size_t lead = target / 4;
        best_start = best_start > lead ? best_start - lead : 0;
        if (best_start + target > len) best_start = len > target ? len - target : 0;
    }
    size_t start = char_start(text, best_start);
    size_t end = start + target < len ? char_start(text, start + target) : len;
    /* Widen to word boundaries when one is near (Chinese has no spaces: then cut as is). */
    if (start > 0) {
        size_t s = start;
        while (s > 0 && start - s < 24 && !is_space((unsigned char)text[s - 1])) s--;
        if (s == 0 || is_space((unsigned char)text[s - 1])) start = s;
    }
    if (end < len) {
        size_t e = end;
        while (e > start && end - e < 24 && !is_space((unsigned char)text[e])) e--;
        if (e > start && is_space((unsigned char)text[e])) end = e;
    }
    while (start < end && is_space((unsigned char)text[start])) start++;
    while (end > start && is_space((unsigned char)text[end - 1])) end--;
    out->start = start;
    out->end = end;
    for (size_t i = 0; i < n && rc == KZ_OK; i++)
        rc = kz_buf_append(&out->matches, &m[i].range, sizeof m[i].range);
    kz_buf_free(&c.found);
    return rc;
}
