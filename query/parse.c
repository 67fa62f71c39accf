/* parse.c - the query parser: UTF-8 check, a lexer into clause tokens, recursive descent.
 *
 * Three passes over untrusted text, each finishing before the next starts. (1) The whole query
 * is checked to be UTF-8 without NUL bytes, so later passes decode without checks. (2) The lexer
 * turns it into tokens (leaves with their +/-, parentheses, AND, OR, NOT), reporting the first
 * problem from the left: a bad filter value, an unclosed quote, an unmatched parenthesis, a
 * group deeper than KZ_QUERY_MAX_DEPTH, text beyond KZ_QUERY_MAX_BYTES (which bounds the
 * tokens); then it refuses more than KZ_QUERY_MAX_TERMS terms. Because the depth is bounded
 * here, the recursion of pass 3 (five frames a group) is bounded whatever the input. (3) The
 * parser builds the tree (precedence from tightest: +, -, NOT > AND > OR > juxtaposition) and
 * checks the rules that need it: alternatives of OR carry no +/-, every group has something
 * that is not excluded, the query has something to rank. Every error names its spot by 1-based
 * column (code points) and draws it under a window of the query. */
#include "parse.h"

#include "error.h"

#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>

/* ---- UTF-8 ---------------------------------------------------------------------------- */

/* Decodes the code point at s[0..n) strictly (no overlong forms, surrogates or values above
 * U+10FFFF). Returns its length in bytes, or 0 when the bytes are not UTF-8. */
static size_t utf8_decode(const unsigned char *s, size_t n, int32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t need;
    int32_t v, min;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 2, v = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 3, v = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 4, v = c & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xC0) != 0x80) return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return 0;
    *cp = v;
    return need;
}

/* Unicode White_Space (PropList.txt), which includes U+3000 IDEOGRAPHIC SPACE. */
static int is_space(int32_t c)
{
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000;
}

/* Code point at q[i] of a query already known to be UTF-8. */
static int32_t cp_at(const char *q, size_t len, size_t i, size_t *n)
{
    int32_t cp = 0xFFFD;
    *n = utf8_decode((const unsigned char *)q + i, len - i, &cp);
    if (*n == 0) *n = 1;
    return cp;
}

/* Characters that end a word. */
static int is_break(int32_t c)
{
    return is_space(c) || c == '(' || c == ')' || c == '"';
}

/* ---- error messages ------------------------------------------------------------------- */

/* Characters of context shown on each side of the spot an error points at. */
#define SPOT_CONTEXT 30
/* Bytes of a quoted word in a message; longer words are cut at a character boundary. */
#define QUOTE_MAX 40

typedef struct sbuf {
    char *p;
    size_t cap, len; /* len < cap always; p[len] == '\0' */
} sbuf;

static void sb_add(sbuf *s, const char *t, size_t n)
{
    if (n > s->cap - 1 - s->len) n = s->cap - 1 - s->len;
    memcpy(s->p + s->len, t, n);
    s->len += n;
    s->p[s->len] = '\0';
}

/* 1-based column of byte offset off: the code points before it, plus one. */
static size_t column(const char *q, size_t off)
{
    size_t col = 1;
    for (size_t i = 0; i < off; i++)
        if (((unsigned char)q[i] & 0xC0) != 0x80) col++;
    return col;
}

/* Copies t[0..n) into out for quoting in a message: at most QUOTE_MAX bytes, cut at a
 * character boundary and marked "..." if cut, with control characters replaced by '?' so that a message never carries
 * terminal escapes. Returns out. */
static const char *shown(char out[QUOTE_MAX + 4], const char *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0, m; i < n; i += m) {
        int32_t cp = cp_at(t, n, i, &m);
        if (k + m > QUOTE_MAX) {
            memcpy(out + k, "...", 3);
            k += 3;
            break;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            out[k++] = '?';
        } else {
            memcpy(out + k, t + i, m);
            k += m;
        }
    }
    out[k] = '\0';
    return out;
}

/* Appends two lines to s: a window of the query around off, and a caret under off. Control
 * characters are drawn as spaces and bytes that are not UTF-8 as U+FFFD, so the picture never
 * carries raw bytes; wide (CJK) characters count two columns for the caret. */
static void show_spot(sbuf *s, const char *q, size_t len, size_t off)
{
    size_t start = off, end = off;
    for (int k = 0; k < SPOT_CONTEXT && start > 0; k++) {
        start--;
        for (int c = 0; c < 3 && start > 0 && ((unsigned char)q[start] & 0xC0) == 0x80; c++)
            start--;
    }
    for (int k = 0; k < SPOT_CONTEXT && end < len; k++) {
        size_t n;
        cp_at(q, len, end, &n);
        end += n;
    }
    size_t caret = 0, width = 0;
    sb_add(s, "\n  ", 3);
    if (start > 0) {
        sb_add(s, "...", 3);
        width = 3;
    }
    for (size_t i = start; i < end;) {
        if (i == off) caret = width;
        int32_t cp = 0xFFFD;
        size_t n = utf8_decode((const unsigned char *)q + i, len - i, &cp);
        if (n == 0) {
            n = 1;
            cp = 0xFFFD;
        }
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || cp == 0x2028 || cp == 0x2029) cp = ' ';
        utf8proc_uint8_t enc[4];
        utf8proc_ssize_t m = utf8proc_encode_char(cp, enc);
        sb_add(s, (const char *)enc, (size_t)m);
        int w = utf8proc_charwidth(cp);
        width += w > 0 ? (size_t)w : 0;
        i += n;
    }
    if (off >= end) caret = width;
    if (end < len) sb_add(s, "...", 3);
    sb_add(s, "\n  ", 3);
    for (size_t i = 0; i < caret; i++) sb_add(s, " ", 1);
    sb_add(s, "^", 1);
}

/* Records a KZ_EQUERY message: the formatted headline, then the picture of the spot at off. */
static int qerr(const char *q, size_t len, size_t off, const char *fmt, ...) KZ_PRINTF(4, 5);
static int qerr(const char *q, size_t len, size_t off, const char *fmt, ...)
{
    char msg[1000];
    sbuf s = {msg, sizeof msg, 0};
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(msg, sizeof msg - 200, fmt, ap); /* room is left for the picture */
    va_end(ap);
    s.len = n < 0 ? 0 : (size_t)n < sizeof msg - 200 ? (size_t)n : sizeof msg - 201;
    msg[s.len] = '\0';
    show_spot(&s, q, len, off);
    return kz_fail(KZ_EQUERY, "%s", msg);
}

/* ---- dates ------------------------------------------------------------------------------ */

typedef struct ymd {
    int y, m, d;
} ymd;

static int days_in(int y, int m)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

static int digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return 0;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 1;
}

/* Parses YYYY, YYYY-MM or YYYY-MM-DD into the first and last day it covers. */
static int parse_period(const char *s, size_t n, ymd *first, ymd *last)
{
    int y, m = 0, d = 0;
    if (n != 4 && n != 7 && n != 10) return 0;
    if (!digits(s, 4, &y) || y < 1) return 0;
    if (n >= 7 && (s[4] != '-' || !digits(s + 5, 2, &m) || m < 1 || m > 12)) return 0;
    if (n == 10 && (s[7] != '-' || !digits(s + 8, 2, &d) || d < 1 || d > days_in(y, m))) return 0;
    *first = (ymd){y, n >= 7 ? m : 1, n == 10 ? d : 1};
    *last = (ymd){y, n >= 7 ? m : 12, 0};
    last->d = n == 10 ? d : days_in(y, last->m);
    return 1;
}

static int ymd_cmp(ymd a, ymd b)
{
    if (a.y != b.y) return a.y < b.y ? -1 : 1;
    if (a.m != b.m) return a.m < b.m ? -1 : 1;
    return a.d < b.d ? -1 : a.d > b.d;
}

/* The day after (step 1) or before (step -1) a; 0 when that leaves years 1..9999. */
static int ymd_step(ymd *a, int step)
{
    if (step > 0) {
        if (++a->d > days_in(a->y, a->m)) {
            a->d = 1;
            if (++a->m > 12) a->m = 1, a->y++;
        }
    } else if (--a->d < 1) {
        if (--a->m < 1) a->m = 12, a->y--;
        if (a->y >= 1) a->d = days_in(a->y, a->m);
    }
    return a->y >= 1 && a->y <= 9999;
}

static void ymd_str(ymd a, char out[11])
{
    int v[3] = {a.y, a.m, a.d}, w[3] = {4, 2, 2};
    char *p = out;
    for (int i = 0; i < 3; i++) {
        if (i > 0) *p++ = '-';
        for (int k = w[i] - 1, x = v[i]; k >= 0; k--, x /= 10) p[k] = (char)('0' + x % 10);
        p += w[i];
    }
    *p = '\0';
}

/* ---- tokens ----------------------------------------------------------------------------- */

typedef enum tok_type { T_LEAF, T_LPAREN, T_RPAREN, T_AND, T_OR, T_NOT } tok_type;

typedef struct tok {
    tok_type type;
    kz_occur occur;     /* the +/- written before a leaf or '(' */
    size_t offset;      /* first byte, the +/- included */
    kz_qnode_type leaf; /* T_LEAF: WORD, PHRASE, PREFIX or FILTER */
    const char *text;   /* T_LEAF: into the query */
    size_t len;
    int field, op;
    char lo[11], hi[11];
} tok;

typedef struct parser {
    const char *q;
    size_t len;
    tok *toks;
    size_t ntoks, cap, pos;
} parser;

static const char *const field_names[] = {"", "date", "doc", "lang"};

static int push_tok(parser *p, tok t)
{
    if (p->ntoks == p->cap) {
        size_t cap = p->cap ? 2 * p->cap : 64;
        tok *n = realloc(p->toks, cap * sizeof *n);
        if (n == NULL) return KZ_ENOMEM_FAIL();
        p->toks = n;
        p->cap = cap;
    }
    p->toks[p->ntoks++] = t;
    return KZ_OK;
}

/* Whitespace-separated words in q[i..end): the least number of terms a phrase gives. */
static size_t count_words(const char *q, size_t len, size_t i, size_t end)
{
    size_t words = 0;
    int in_word = 0;
    while (i < end) {
        size_t n;
        int sp = is_space(cp_at(q, len, i, &n));
        if (!sp && !in_word) words++;
        in_word = !sp;
        i += n;
    }
    return words;
}

static int valid_lang(const char *v, size_t n)
{
    size_t i = 0, run = 0, subtags = 0;
    if (n > 35) return 0;
    for (; i <= n; i++) {
        if (i == n || v[i] == '-') {
            if (run == 0 || run > 8 || (subtags == 0 && (run < 2 || run > 3))) return 0;
            subtags++, run = 0;
            continue;
        }
        unsigned char c = (unsigned char)v[i];
        int alpha = (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
        if (!alpha && !(subtags > 0 && c >= '0' && c <= '9')) return 0;
        run++;
    }
    return 1;
}

/* Validates the value of a filter token and fills its op and date bounds. */
static int check_filter(parser *p, tok *t, size_t voff)
{
    const char *v = t->text;
    size_t n = t->len;
    const char *name = field_names[t->field];
    char quoted[QUOTE_MAX + 4];
    if (n == 0)
        return qerr(p->q, p->len, t->offset,
                    "filter %s: at column %zu has no value: write it without a space, as in "
                    "%s:%s",
                    name, column(p->q, t->offset), name,
                    t->field == KZ_FIELD_DATE  ? "2022-01-06"
                    : t->field == KZ_FIELD_DOC ? "report.txt"
                                               : "zh");
    if (t->field == KZ_FIELD_LANG && !valid_lang(v, n))
        return qerr(p->q, p->len, voff,
                    "lang filter at column %zu: '%s' is not a language code such as en, zh "
                    "or zh-Hans",
                    column(p->q, t->offset), shown(quoted, v, n));
    if (t->field != KZ_FIELD_DATE) return KZ_OK;

    static const struct {
        const char *s;
        int op;
    } ops[] = {{">=", KZ_OP_GE}, {"<=", KZ_OP_LE}, {">", KZ_OP_GT}, {"<", KZ_OP_LT}};
    t->op = KZ_OP_EQ;
    for (size_t i = 0; i < sizeof ops / sizeof *ops; i++) {
        size_t k = strlen(ops[i].s);
        if (n >= k && memcmp(v, ops[i].s, k) == 0) {
            t->op = ops[i].op;
            v += k, n -= k;
            t->text = v, t->len = n;
            break;
        }
    }
    ymd a0, a1, b0, b1, lo, hi;
    const char *dots = NULL;
    for (size_t i = 0; i + 1 < n; i++)
        if (v[i] == '.' && v[i + 1] == '.') {
            dots = v + i;
            break;
        }
    int ok;
    if (dots != NULL && t->op == KZ_OP_EQ) {
        t->op = KZ_OP_RANGE;
        size_t an = (size_t)(dots - v);
        ok = parse_period(v, an, &a0, &a1) && parse_period(dots + 2, n - an - 2, &b0, &b1);
    } else {
        ok = dots == NULL && parse_period(v, n, &a0, &a1);
    }
    if (!ok)
        return qerr(p->q, p->len, voff,
                    "date filter at column %zu: '%s' is not a date; write YYYY-MM-DD, YYYY-MM "
                    "or YYYY, after >=, >, <= or < to compare, or a range such as "
                    "2022-01-01..2022-01-08",
                    column(p->q, t->offset), shown(quoted, t->text, t->len));
    lo = (ymd){1, 1, 1};
    hi = (ymd){9999, 12, 31};
    int in_years = 1;
    switch (t->op) {
    case KZ_OP_EQ:
        lo = a0, hi = a1;
        break;
    case KZ_OP_GE:
        lo = a0;
        break;
    case KZ_OP_GT:
        lo = a1, in_years = ymd_step(&lo, 1);
        break;
    case KZ_OP_LE:
        hi = a1;
        break;
    case KZ_OP_LT:
        hi = a0, in_years = ymd_step(&hi, -1);
        break;
    default:
        lo = a0, hi = b1;
        break;
    }
    if (!in_years || ymd_cmp(lo, hi) > 0)
        return qerr(p->q, p->len, voff,
                    "date filter at column %zu: '%s' accepts no date at all (%s)",
                    column(p->q, t->offset), shown(quoted, t->text, t->len),
                    in_years ? "its range ends before it starts"
                             : "dates run from 0001-01-01 to 9999-12-31");
    ymd_str(lo, t->lo);
    ymd_str(hi, t->hi);
    return KZ_OK;
}

/* Lexes the word (or filter) starting at i, after any +/- (whose offset is start). Sets *next
 * past it. */
static int lex_word(parser *p, size_t start, size_t i, kz_occur occur, size_t *next)
{
    const char *q = p->q;
    size_t len = p->len, end = i, n;
    while (end < len && !is_break(cp_at(q, len, end, &n))) end += n;
    tok t = {T_LEAF, occur, start, KZ_Q_WORD, q + i, end - i, KZ_FIELD_NONE, KZ_OP_EQ, "", ""};
    char quoted[QUOTE_MAX + 4];
    *next = end;
    if (occur == KZ_OCCUR_DEFAULT) {
        static const struct {
            const char *s;
            tok_type type;
        } kw[] = {{"AND", T_AND}, {"OR", T_OR}, {"NOT", T_NOT}};
        for (size_t k = 0; k < 3; k++)
            if (t.len == strlen(kw[k].s) && memcmp(t.text, kw[k].s, t.len) == 0) {
                t.type = kw[k].type;
                return push_tok(p, t);
            }
    }
    const char *colon = memchr(t.text, ':', t.len);
    for (int f = KZ_FIELD_DATE; colon != NULL && f <= KZ_FIELD_LANG; f++) {
        size_t fl = strlen(field_names[f]);
        if ((size_t)(colon - t.text) != fl) continue;
        size_t k = 0;
        while (k < fl && (t.text[k] | 0x20) == field_names[f][k]) k++;
        if (k < fl) continue;
        t.leaf = KZ_Q_FILTER;
        t.field = f;
        t.text = colon + 1;
        t.len = end - (i + fl + 1);
        size_t voff = i + fl + 1;
        if (t.len == 0 && end < len && q[end] == '"') { /* field:"quoted value" */
            const char *close = memchr(q + end + 1, '"', len - end - 1);
            if (close == NULL)
                return qerr(q, len, end,
                            "unbalanced quote: the value opened at column %zu is never closed",
                            column(q, end));
            voff = end + 1;
            t.text = q + voff;
            t.len = (size_t)(close - t.text);
            *next = (size_t)(close - q) + 1;
        }
        KZ_TRY(check_filter(p, &t, voff));
        return push_tok(p, t);
    }
    if (t.text[t.len - 1] == '*') {
        size_t chars = column(t.text, t.len - 1) - 1;
        if (t.len >= 2 && t.text[t.len - 2] == '*')
            return qerr(q, len, end - 1, "'%s' at column %zu: a prefix takes a single * at its end",
                        shown(quoted, t.text, t.len), column(q, i));
        if (chars < KZ_QUERY_MIN_PREFIX)
            return qerr(q, len, i,
                        "'%s' at column %zu: a prefix needs at least %d characters before "
                        "its *, as in kaz*",
                        shown(quoted, t.text, t.len), column(q, i), KZ_QUERY_MIN_PREFIX);
        t.leaf = KZ_Q_PREFIX;
        t.len--;
    }
    return push_tok(p, t);
}

/* Pass 2: the whole query into tokens. */
static int lex(parser *p, size_t *nterms, size_t *first_over)
{
    const char *q = p->q;
    size_t len = p->len, i = 0, n;
    size_t open[KZ_QUERY_MAX_DEPTH];
    size_t depth = 0;
    *nterms = 0;
    while (i < len) {
        /* checked as the lexer reaches it, so that an earlier problem (100,000 '(') is the one
           reported, and so that the tokens stay bounded */
        if (i >= KZ_QUERY_MAX_BYTES)
            return kz_fail(KZ_EQUERY, "query is %zu bytes long; at most %d are allowed", len,
                           KZ_QUERY_MAX_BYTES);
        int32_t c = cp_at(q, len, i, &n);
        if (is_space(c)) {
            i += n;
            continue;
        }
        size_t start = i;
        kz_occur occur = KZ_OCCUR_DEFAULT;
        if (c == '+' || c == '-') {
            occur = c == '+' ? KZ_OCCUR_MUST : KZ_OCCUR_MUST_NOT;
            i++;
            int32_t d = i < len ? cp_at(q, len, i, &n) : ' ';
            if (is_space(d) || d == ')')
                return qerr(q, len, start,
                            "a lone %c at column %zu: put it right before the word %s, as in "
                            "%ckazakhstan, or remove it",
                            (char)c, column(q, start), c == '+' ? "that must appear" : "to exclude",
                            (char)c);
            if (d == '+' || d == '-')
                return qerr(q, len, i, "%c%c at column %zu: write a single + or - before a word",
                            (char)c, (char)d, column(q, start));
            c = d;
        }
        if (c == '(') {
            if (depth == KZ_QUERY_MAX_DEPTH)
                return qerr(q, len, i,
                            "parentheses nested deeper than %d at column %zu: simplify the "
                            "query",
                            KZ_QUERY_MAX_DEPTH, column(q, i));
            open[depth++] = i;
            KZ_TRY(push_tok(p, (tok){T_LPAREN, occur, start, KZ_Q_WORD, NULL, 0, 0, 0, "", ""}));
            i++;
        } else if (c == ')') {
            if (depth == 0)
                return qerr(q, len, i, "unbalanced parenthesis: the ) at column %zu closes nothing",
                            column(q, i));
            depth--;
            KZ_TRY(push_tok(p, (tok){T_RPAREN, occur, start, KZ_Q_WORD, NULL, 0, 0, 0, "", ""}));
            i++;
        } else if (c == '"') {
            const char *close = memchr(q + i + 1, '"', len - i - 1);
            if (close == NULL)
                return qerr(q, len, i,
                            "unbalanced quote: the phrase opened at column %zu is never closed",
                            column(q, i));
            size_t end = (size_t)(close - q), words = count_words(q, len, i + 1, end);
            if (words == 0)
                return qerr(q, len, i, "empty phrase at column %zu: put words between the quotes",
                            column(q, i));
            tok t = {T_LEAF, occur, start, KZ_Q_PHRASE, q + i + 1, end - i - 1, 0, 0, "", ""};
            KZ_TRY(push_tok(p, t));
            *nterms += words - 1; /* one more below */
            i = end + 1;
        } else {
            KZ_TRY(lex_word(p, start, i, occur, &i));
        }
        tok *last = &p->toks[p->ntoks - 1];
        if (last->type == T_LEAF && ++*nterms > KZ_QUERY_MAX_TERMS && *first_over == SIZE_MAX)
            *first_over = last->offset;
    }
    if (depth > 0)
        return qerr(q, len, open[depth - 1],
                    "unbalanced parenthesis: the ( at column %zu is never closed",
                    column(q, open[depth - 1]));
    return KZ_OK;
}

/* ---- tree ------------------------------------------------------------------------------- */

static int new_node(kz_qnode **out, kz_qnode_type type, kz_occur occur, size_t offset)
{
    kz_qnode *n = calloc(1, sizeof *n);
    if (n == NULL) return KZ_ENOMEM_FAIL();
    n->type = type;
    n->occur = occur;
    n->offset = offset;
    *out = n;
    return KZ_OK;
}

void kz_qnode_free(kz_qnode *n)
{
    if (n == NULL) return;
    for (size_t i = 0; i < n->nkids; i++) kz_qnode_free(n->kids[i]);
    free(n->kids);
    free(n->text);
    free(n);
}

/* A list of kids under construction; on failure its nodes are freed with it. */
typedef struct kids {
    kz_qnode **v;
    size_t n, cap;
} kids;

static int kids_push(kids *k, kz_qnode *n)
{
    if (k->n == k->cap) {
        size_t cap = k->cap ? 2 * k->cap : 4;
        kz_qnode **v = realloc(k->v, cap * sizeof *v);
        if (v == NULL) {
            kz_qnode_free(n);
            return KZ_ENOMEM_FAIL();
        }
        k->v = v;
        k->cap = cap;
    }
    k->v[k->n++] = n;
    return KZ_OK;
}

static void kids_free(kids *k)
{
    for (size_t i = 0; i < k->n; i++) kz_qnode_free(k->v[i]);
    free(k->v);
    *k = (kids){NULL, 0, 0};
}

/* Makes a composite of the kids (taking them), or returns the only kid. */
static int finish(kz_qnode **out, kids *k, kz_qnode_type type)
{
    if (k->n == 1) {
        *out = k->v[0];
        free(k->v);
        *k = (kids){NULL, 0, 0};
        return KZ_OK;
    }
    int rc = new_node(out, type, KZ_OCCUR_DEFAULT, k->v[0]->offset);
    if (rc < 0) {
        kids_free(k);
        return rc;
    }
    (*out)->kids = k->v;
    (*out)->nkids = k->n;
    *k = (kids){NULL, 0, 0};
    return KZ_OK;
}

/* ---- pass 3: recursive descent ---------------------------------------------------------- */

static tok *peek(parser *p)
{
    return p->pos < p->ntoks ? &p->toks[p->pos] : NULL;
}

/* Whether a clause can start at t (the right operand of AND, OR or NOT). */
static int starts_clause(const tok *t)
{
    return t != NULL && (t->type == T_LEAF || t->type == T_LPAREN || t->type == T_NOT);
}

static const char *op_name(const tok *t)
{
    return t->type == T_AND ? "AND" : t->type == T_OR ? "OR" : "NOT";
}

static int parse_seq(parser *p, kz_qnode **out, const tok *open);

/* primary := leaf | '(' seq ')', with the +/- or NOT given as sign. */
static int parse_primary(parser *p, kz_qnode **out, kz_occur sign, size_t offset)
{
    tok *t = &p->toks[p->pos++];
    kz_qnode *n = NULL;
    if (t->type == T_LEAF) {
        KZ_TRY(new_node(&n, t->leaf, sign, offset));
        n->text = malloc(t->len + 1);
        if (n->text == NULL) {
            kz_qnode_free(n);
            return KZ_ENOMEM_FAIL();
        }
        memcpy(n->text, t->text, t->len);
        n->text[t->len] = '\0';
        n->len = t->len;
        n->field = t->field;
        n->op = t->op;
        n->glob = t->field == KZ_FIELD_DOC && strpbrk(n->text, "*?[") != NULL;
        memcpy(n->date_lo, t->lo, sizeof n->date_lo);
        memcpy(n->date_hi, t->hi, sizeof n->date_hi);
        *out = n;
        return KZ_OK;
    }
    KZ_TRY(parse_seq(p, &n, t));
    p->pos++; /* the ')', which the lexer guarantees */
    if (sign != KZ_OCCUR_DEFAULT && n->occur != KZ_OCCUR_DEFAULT) {
        /* -(+a): both signs matter, so the group stays a node of its own */
        kids k = {NULL, 0, 0};
        KZ_TRY(kids_push(&k, n));
        kz_qnode *g = NULL;
        int rc = new_node(&g, KZ_Q_SEQ, sign, offset);
        if (rc < 0) {
            kids_free(&k);
            return rc;
        }
        g->kids = k.v;
        g->nkids = 1;
        n = g;
    } else if (n->occur == KZ_OCCUR_DEFAULT) {
        n->occur = sign;
        n->offset = offset;
    }
    *out = n;
    return KZ_OK;
}

/* unary := NOT primary | [+-]primary */
static int parse_unary(parser *p, kz_qnode **out)
{
    tok *t = peek(p);
    if (t->type != T_NOT) return parse_primary(p, out, t->occur, t->offset);
    p->pos++;
    tok *u = peek(p);
    if (!starts_clause(u))
        return qerr(p->q, p->len, t->offset,
                    "NOT at column %zu has nothing to negate: put a word after it",
                    column(p->q, t->offset));
    if (u->type == T_NOT)
        return qerr(p->q, p->len, u->offset,
                    "NOT NOT at column %zu: negating twice means nothing; remove both",
                    column(p->q, t->offset));
    if (u->occur != KZ_OCCUR_DEFAULT)
        return qerr(p->q, p->len, u->offset,
                    "NOT at column %zu is followed by %c: write only one of them",
                    column(p->q, t->offset), u->occur == KZ_OCCUR_MUST ? '+' : '-');
    return parse_primary(p, out, KZ_OCCUR_MUST_NOT, t->offset);
}

/* and := unary (AND unary)*   or := and (OR and)*   (one function, by level) */
static int parse_binary(parser *p, kz_qnode **out, tok_type op)
{
    kids k = {NULL, 0, 0};
    int rc = KZ_OK;
    kz_qnode *n = NULL;
    for (;;) {
        KZ_CHECK(op == T_AND ? parse_unary(p, &n) : parse_binary(p, &n, T_AND));
        KZ_CHECK(kids_push(&k, n));
        tok *t = peek(p);
        if (t == NULL || t->type != op) break;
        p->pos++;
        if (!starts_clause(peek(p))) {
            rc = qerr(p->q, p->len, t->offset, "%s at column %zu has nothing on its right",
                      op_name(t), column(p->q, t->offset));
            goto done;
        }
    }
    for (size_t i = 0; op == T_OR && k.n > 1 && i < k.n; i++) {
        kz_qnode *a = k.v[i];
        if (a->occur == KZ_OCCUR_DEFAULT) continue;
        rc = qerr(p->q, p->len, a->offset,
                  a->occur == KZ_OCCUR_MUST
                      ? "the alternative at column %zu is marked required (+), but OR only "
                        "offers alternatives: drop the + or use AND"
                      : "the alternative at column %zu is excluded (- or NOT), but OR only "
                        "offers alternatives: exclude outside the group, as in (a OR b) -c",
                  column(p->q, a->offset));
        goto done;
    }
    return finish(out, &k, op == T_AND ? KZ_Q_AND : KZ_Q_OR);
done:
    kids_free(&k);
    return rc;
}

/* seq := or+, up to the end or the ')' matching open (NULL at the top). */
static int parse_seq(parser *p, kz_qnode **out, const tok *open)
{
    kids k = {NULL, 0, 0};
    int rc = KZ_OK;
    kz_qnode *n = NULL;
    for (tok *t; (t = peek(p)) != NULL && t->type != T_RPAREN;) {
        if (t->type == T_AND || t->type == T_OR) {
            rc = qerr(p->q, p->len, t->offset, "%s at column %zu has nothing on its left",
                      op_name(t), column(p->q, t->offset));
            goto done;
        }
        KZ_CHECK(parse_binary(p, &n, T_OR));
        KZ_CHECK(kids_push(&k, n));
    }
    if (k.n == 0) {
        if (open == NULL) return qerr(p->q, p->len, 0, "empty query: type a word to search for");
        return qerr(p->q, p->len, open->offset,
                    "empty parentheses at column %zu: put words inside them or remove them",
                    column(p->q, open->offset));
    }
    return finish(out, &k, KZ_Q_SEQ);
done:
    kids_free(&k);
    return rc;
}

/* ---- checks on the tree ----------------------------------------------------------------- */

/* Every AND and SEQ needs a kid that is not excluded: exclusions only remove from a match. */
static int check_groups(const parser *p, const kz_qnode *n)
{
    if (n->type == KZ_Q_AND || n->type == KZ_Q_SEQ) {
        size_t kept = 0;
        for (size_t i = 0; i < n->nkids; i++) kept += n->kids[i]->occur != KZ_OCCUR_MUST_NOT;
        if (kept == 0)
            return qerr(p->q, p->len, n->offset,
                        "the group at column %zu only excludes: an exclusion removes passages "
                        "from a match, so add a word the group should match",
                        column(p->q, n->offset));
    }
    for (size_t i = 0; i < n->nkids; i++) KZ_TRY(check_groups(p, n->kids[i]));
    return KZ_OK;
}

/* Whether the top of the query is nothing but exclusions (-putin, -a -b, NOT a). */
static int only_excludes(const kz_qnode *n)
{
    if (n->occur == KZ_OCCUR_MUST_NOT) return 1;
    if (n->type != KZ_Q_SEQ && n->type != KZ_Q_AND) return 0;
    for (size_t i = 0; i < n->nkids; i++)
        if (n->kids[i]->occur != KZ_OCCUR_MUST_NOT) return 0;
    return 1;
}

/* Words, phrases and prefixes that are not under a negation: what ranking has to work with. */
static size_t ranked_terms(const kz_qnode *n)
{
    if (n->occur == KZ_OCCUR_MUST_NOT) return 0;
    if (n->type == KZ_Q_WORD || n->type == KZ_Q_PHRASE || n->type == KZ_Q_PREFIX) return 1;
    size_t c = 0;
    for (size_t i = 0; i < n->nkids; i++) c += ranked_terms(n->kids[i]);
    return c;
}

int kz_query_parse(kz_qnode **out, const char *q, size_t len)
{
    parser p = {q, len, NULL, 0, 0, 0};
    kz_qnode *root = NULL;
    int rc = KZ_OK;
    *out = NULL;
    if (q == NULL) len = 0, p.q = q = "", p.len = 0;
    for (size_t i = 0; i < len;) {
        int32_t cp;
        size_t n = utf8_decode((const unsigned char *)q + i, len - i, &cp);
        if (n == 1 && cp == 0)
            return qerr(q, len, i, "the query holds a NUL byte at column %zu: remove it",
                        column(q, i));
        if (n == 0)
            return qerr(q, len, i,
                        "invalid UTF-8 at byte %zu (column %zu): the query must be UTF-8 text", i,
                        column(q, i));
        i += n;
    }
    size_t nterms = 0, first_over = SIZE_MAX;
    KZ_CHECK(lex(&p, &nterms, &first_over));
    if (nterms > KZ_QUERY_MAX_TERMS) {
        rc = qerr(q, len, first_over,
                  "query has %zu terms; at most %d are allowed (the first one too many is at "
                  "column %zu)",
                  nterms, KZ_QUERY_MAX_TERMS, column(q, first_over));
        goto done;
    }
    KZ_CHECK(parse_seq(&p, &root, NULL));
    if (only_excludes(root)) {
        rc = qerr(q, len, root->offset,
                  "nothing to rank: the query only excludes; add a word to search for, as in "
                  "kazakhstan -putin");
        goto done;
    }
    KZ_CHECK(check_groups(&p, root));
    if (ranked_terms(root) == 0) {
        rc = qerr(q, len, root->offset,
                  "nothing to rank: the query has only filters and exclusions; add a word to "
                  "search for, as in kazakhstan lang:en");
        goto done;
    }
    *out = root;
    root = NULL;
done:
    kz_qnode_free(root);
    free(p.toks);
    return rc;
}

/* ---- canonical form --------------------------------------------------------------------- */

/* Whether a filter value must be quoted to read back as one value. */
static int needs_quotes(const char *t, size_t len)
{
    for (size_t i = 0, n; i < len; i += n)
        if (is_break(cp_at(t, len, i, &n))) return 1;
    return 0;
}

static int format_node(const kz_qnode *n, kz_buf *out, int top)
{
    static const char *const ops[] = {"", ">=", ">", "<=", "<", ""};
    if (n->occur != KZ_OCCUR_DEFAULT)
        KZ_TRY(kz_buf_append_u8(out, n->occur == KZ_OCCUR_MUST ? '+' : '-'));
    switch (n->type) {
    case KZ_Q_WORD:
        return kz_buf_append(out, n->text, n->len);
    case KZ_Q_PREFIX:
        KZ_TRY(kz_buf_append(out, n->text, n->len));
        return kz_buf_append_u8(out, '*');
    case KZ_Q_PHRASE:
        KZ_TRY(kz_buf_append_u8(out, '"'));
        KZ_TRY(kz_buf_append(out, n->text, n->len));
        return kz_buf_append_u8(out, '"');
    case KZ_Q_FILTER: {
        int q = needs_quotes(n->text, n->len);
        KZ_TRY(kz_buf_append_str(out, field_names[n->field]));
        KZ_TRY(kz_buf_append_u8(out, ':'));
        KZ_TRY(kz_buf_append_str(out, ops[n->op]));
        if (q) KZ_TRY(kz_buf_append_u8(out, '"'));
        KZ_TRY(kz_buf_append(out, n->text, n->len));
        return q ? kz_buf_append_u8(out, '"') : KZ_OK;
    }
    default:
        break;
    }
    const char *sep = n->type == KZ_Q_AND ? " AND " : n->type == KZ_Q_OR ? " OR " : " ";
    int paren = !top || n->occur != KZ_OCCUR_DEFAULT;
    if (paren) KZ_TRY(kz_buf_append_u8(out, '('));
    for (size_t i = 0; i < n->nkids; i++) {
        if (i > 0) KZ_TRY(kz_buf_append_str(out, sep));
        KZ_TRY(format_node(n->kids[i], out, 0));
    }
    return paren ? kz_buf_append_u8(out, ')') : KZ_OK;
}

int kz_qnode_format(const kz_qnode *n, kz_buf *out)
{
    if (n == NULL) return KZ_OK;
    return format_node(n, out, 1);
}

/* ---- filters ---------------------------------------------------------------------------- */

int kz_qfilter_doc_matches(const kz_qnode *f, const char *doc)
{
    if (f == NULL || f->field != KZ_FIELD_DOC || doc == NULL) return 0;
    if (f->glob) return fnmatch(f->text, doc, 0) == 0;
    return strstr(doc, f->text) != NULL;
}

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

int kz_qfilter_lang_matches(const kz_qnode *f, const char *lang, size_t len)
{
    if (f == NULL || f->field != KZ_FIELD_LANG || lang == NULL || len < f->len) return 0;
    for (size_t i = 0; i < f->len; i++)
        if (ascii_lower(lang[i]) != ascii_lower(f->text[i])) return 0;
    return len == f->len || lang[f->len] == '-';
}

int kz_qfilter_date_matches(const kz_qnode *f, const char *date, size_t len)
{
    ymd a, b;
    if (f == NULL || f->field != KZ_FIELD_DATE || date == NULL || len != 10 ||
        !parse_period(date, len, &a, &b))
        return 0;
    return memcmp(f->date_lo, date, 10) <= 0 && memcmp(date, f->date_hi, 10) <= 0;
}
