/* jsonl.c - one JSON Lines record into a kz_document: an RFC 8259 parser for one object a line.
 *
 * The line is parsed in one pass that validates the whole value (strings: escapes, surrogate
 * pairs, UTF-8, no raw control characters; numbers: the RFC grammar; nesting at most
 * JSONL_MAX_DEPTH) and records every member of the top-level object: the raw spans of its key
 * and value, and its key decoded into doc->scratch. Duplicate keys: the last one wins, for the
 * known fields (id, text, title, lang, date) and for the others alike. The winners of the known
 * fields are then decoded into the document's own buffers; the other winners are copied verbatim,
 * in line order, into meta_json. A string without escapes, which the pass has validated, is its
 * own decoding and is copied as it is rather than parsed again (the text field is most of a
 * line). Any error names the file, line and 1-based byte column. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "source.h"

#define JSONL_MAX_DEPTH 256

enum jtype { J_STRING, J_NUMBER, J_OTHER, J_NULL };

/* One member of the top-level object. */
typedef struct member {
    size_t ks, ke;     /* raw key, quotes included */
    size_t vs, ve;     /* raw value */
    size_t dk, dk_len; /* decoded key: doc->scratch bytes [dk, dk + dk_len) */
    int type;          /* a jtype */
    int plain;         /* a string without escapes: its bytes are its decoded value */
    int winner;        /* the last member with this key */
} member;

typedef struct parser {
    const unsigned char *s;
    size_t len, pos;
    const char *file;
    uint64_t lineno;
    int escapes; /* the last string parsed held a backslash escape */
} parser;

static int perr(const parser *p, size_t at, const char *fmt, ...) KZ_PRINTF(3, 4);
static int perr(const parser *p, size_t at, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return kz_fail(KZ_EINVAL, "%s:%llu: column %zu: %s", p->file, (unsigned long long)p->lineno,
                   at + 1, msg);
}

static void skip_ws(parser *p)
{
    while (p->pos < p->len) {
        unsigned char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Length of the valid UTF-8 sequence at s[0..n), or 0 if it is not one (overlong forms,
 * surrogates and code points above U+10FFFF are invalid). */
size_t kz_utf8_valid_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    if (c >= 0xC2 && c <= 0xDF) return n >= 2 && (s[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) return 0;
        if (c == 0xE0 && s[1] < 0xA0) return 0;
        if (c == 0xED && s[1] > 0x9F) return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80)
            return 0;
        if (c == 0xF0 && s[1] < 0x90) return 0;
        if (c == 0xF4 && s[1] > 0x8F) return 0;
        return 4;
    }
    return 0;
}

static int hex4(const unsigned char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned char c = s[i];
        unsigned d;
        if (c >= '0' && c <= '9')
            d = c - '0';
        else if (c >= 'a' && c <= 'f')
            d = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            d = c - 'A' + 10;
        else
            return 0;
        v = v * 16 + d;
    }
    *out = v;
    return 1;
}

static int put_utf8(kz_buf *out, unsigned cp)
{
    unsigned char b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (unsigned char)cp, n = 1;
    } else if (cp < 0x800) {
        b[0] = (unsigned char)(0xC0 | cp >> 6), b[1] = (unsigned char)(0x80 | (cp & 0x3F)), n = 2;
    } else if (cp < 0x10000) {
        b[0] = (unsigned char)(0xE0 | cp >> 12);
        b[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (unsigned char)(0x80 | (cp & 0x3F)), n = 3;
    } else {
        b[0] = (unsigned char)(0xF0 | cp >> 18);
        b[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (unsigned char)(0x80 | (cp & 0x3F)), n = 4;
    }
    return kz_buf_append(out, b, n);
}

/* Parses the string at p->pos (which is '"'), appending its decoded bytes to out if not NULL. */
/* Non-zero when one of the 8 bytes of w is a byte a string cannot copy as it is: a quote, a
 * backslash, a control character (< 0x20) or the start of a multi-byte character (>= 0x80). */
static inline uint64_t special_bytes(uint64_t w)
{
    const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;
    uint64_t quote = w ^ (ones * '"'), backslash = w ^ (ones * '\\');
    uint64_t zero_q = (quote - ones) & ~quote, zero_b = (backslash - ones) & ~backslash;
    uint64_t control = (w - ones * 0x20) & ~w; /* a byte below 0x20 borrows into its top bit */
    return (w | zero_q | zero_b | control) & high;
}

/* The end of the run of bytes from i that a string copies unchanged: plain ASCII, eight bytes
 * at a time (most of a text), and well-formed UTF-8 characters. Stops at a quote, a backslash,
 * a control character, ill-formed UTF-8 or n. */
static size_t plain_run(const unsigned char *s, size_t i, size_t n)
{
    for (;;) {
        while (n - i >= 8) {
            uint64_t w;
            memcpy(&w, s + i, 8);
            if (special_bytes(w)) break;
            i += 8;
        }
        while (i < n && s[i] >= 0x20 && s[i] < 0x80 && s[i] != '"' && s[i] != '\\') i++;
        if (i >= n || s[i] < 0x80) return i;
        size_t l = kz_utf8_valid_len(s + i, n - i);
        if (!l) return i;
        i += l;
    }
}

static int parse_string(parser *p, kz_buf *out)
{
    const unsigned char *s = p->s;
    size_t i = p->pos + 1, n = p->len;
    p->escapes = 0;
    for (;;) {
        size_t run = i;
        i = plain_run(s, i, n);
        if (out && i > run) KZ_TRY(kz_buf_append(out, s + run, i - run));
        if (i >= n) return perr(p, p->pos, "unterminated string");
        unsigned char c = s[i];
        if (c == '"') {
            p->pos = i + 1;
            return KZ_OK;
        }
        if (c < 0x20) return perr(p, i, "control character U+%04X in a string must be escaped", c);
        if (c >= 0x80) return perr(p, i, "invalid UTF-8 byte 0x%02X in a string", c);
        /* a backslash escape */
        p->escapes = 1;
        if (i + 1 >= n) return perr(p, p->pos, "unterminated string");
        unsigned char e = s[i + 1];
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            static const char decoded[] = "\"\\/\b\f\n\r\t";
            if (out) KZ_TRY(kz_buf_append_u8(out, (uint8_t)decoded[simple - "\"\\/bfnrt"]));
            i += 2;
            continue;
        }
        if (e != 'u') return perr(p, i, "invalid escape \\%c in a string", e >= 0x20 ? e : '?');
        unsigned cp, lo;
        if (i + 6 > n || !hex4(s + i + 2, &cp))
            return perr(p, i, "\\u must be followed by four hexadecimal digits");
        if (cp >= 0xDC00 && cp <= 0xDFFF)
            return perr(p, i, "unpaired low surrogate \\u%04X in a string", cp);
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            if (i + 12 > n || s[i + 6] != '\\' || s[i + 7] != 'u' || !hex4(s + i + 8, &lo) ||
                lo < 0xDC00 || lo > 0xDFFF)
                return perr(p, i, "unpaired high surrogate \\u%04X in a string", cp);
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            i += 6;
        }
        if (out) KZ_TRY(put_utf8(out, cp));
        i += 6;
    }
}

static int is_digit(const parser *p, size_t i)
{
    return i < p->len && p->s[i] >= '0' && p->s[i] <= '9';
}

static int parse_number(parser *p)
{
    size_t i = p->pos;
    if (i < p->len && p->s[i] == '-') i++;
    if (!is_digit(p, i)) return perr(p, i, "invalid number: a digit must follow '-'");
    if (p->s[i] == '0') {
        i++;
        if (is_digit(p, i)) return perr(p, i, "invalid number: leading zero");
    } else {
        while (is_digit(p, i)) i++;
    }
    if (i < p->len && p->s[i] == '.') {
        i++;
        if (!is_digit(p, i)) return perr(p, i, "invalid number: a digit must follow '.'");
        while (is_digit(p, i)) i++;
    }
    if (i < p->len && (p->s[i] == 'e' || p->s[i] == 'E')) {
        i++;
        if (i < p->len && (p->s[i] == '+' || p->s[i] == '-')) i++;
        if (!is_digit(p, i)) return perr(p, i, "invalid number: a digit must follow the exponent");
        while (is_digit(p, i)) i++;
    }
    p->pos = i;
    return KZ_OK;
}

static int literal(parser *p, const char *word, int type)
{
    size_t n = strlen(word);
    if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
        return perr(p, p->pos, "invalid literal (expected %s)", word);
    p->pos += n;
    return type;
}

/* Parses any value at p->pos (after whitespace); returns its jtype or an error. */
static int parse_value(parser *p, int depth)
{
    if (p->pos >= p->len) return perr(p, p->pos, "unexpected end of line: a value is missing");
    unsigned char c = p->s[p->pos];
    if (c == '"') {
        KZ_TRY(parse_string(p, NULL));
        return J_STRING;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
        KZ_TRY(parse_number(p));
        return J_NUMBER;
    }
    if (c == 't') return literal(p, "true", J_OTHER);
    if (c == 'f') return literal(p, "false", J_OTHER);
    if (c == 'n') return literal(p, "null", J_NULL);
    if (c != '{' && c != '[')
        return perr(p, p->pos, "unexpected character '%c': a value is expected",
                    c >= 0x20 && c < 0x7F ? c : '?');
    if (depth >= JSONL_MAX_DEPTH)
        return perr(p, p->pos, "values nested more than %d deep", JSONL_MAX_DEPTH);
    unsigned char close = c == '{' ? '}' : ']';
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == close) {
        p->pos++;
        return J_OTHER;
    }
    for (;;) {
        if (close == '}') {
            if (p->pos >= p->len || p->s[p->pos] != '"')
                return perr(p, p->pos, "an object key (a string) is expected");
            KZ_TRY(parse_string(p, NULL));
            skip_ws(p);
            if (p->pos >= p->len || p->s[p->pos] != ':')
                return perr(p, p->pos, "':' is expected after an object key");
            p->pos++;
            skip_ws(p);
        }
        KZ_TRY(parse_value(p, depth + 1));
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == close) {
            p->pos++;
            return J_OTHER;
        }
        return perr(p, p->pos, "',' or '%c' is expected", close);
    }
}

/* Parses the top-level object, recording its members in doc->fields. */
static int parse_object(parser *p, kz_document *doc, size_t *count)
{
    kz_buf *fields = &doc->fields;
    *count = 0;
    if (p->pos >= p->len || p->s[p->pos] != '{')
        return perr(p, p->pos, "a line must hold one JSON object ('{' expected)");
    p->pos++;
    skip_ws(p);
    if (p->pos < p->len && p->s[p->pos] == '}') {
        p->pos++;
        return KZ_OK;
    }
    for (;;) {
        member m;
        memset(&m, 0, sizeof m);
        if (p->pos >= p->len || p->s[p->pos] != '"')
            return perr(p, p->pos, "an object key (a string) is expected");
        m.ks = p->pos;
        m.dk = doc->scratch.len;
        KZ_TRY(parse_string(p, &doc->scratch));
        m.ke = p->pos;
        m.dk_len = doc->scratch.len - m.dk;
        skip_ws(p);
        if (p->pos >= p->len || p->s[p->pos] != ':')
            return perr(p, p->pos, "':' is expected after an object key");
        p->pos++;
        skip_ws(p);
        m.vs = p->pos;
        int type = parse_value(p, 1);
        if (type < 0) return type;
        m.type = type;
        m.plain = type == J_STRING && !p->escapes;
        m.ve = p->pos;
        KZ_TRY(kz_buf_append(fields, &m, sizeof m));
        (*count)++;
        skip_ws(p);
        if (p->pos < p->len && p->s[p->pos] == ',') {
            p->pos++;
            skip_ws(p);
            continue;
        }
        if (p->pos < p->len && p->s[p->pos] == '}') {
            p->pos++;
            return KZ_OK;
        }
        return perr(p, p->pos, "',' or '}' is expected");
    }
}

static uint64_t key_hash(const uint8_t *k, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) h = (h ^ k[i]) * 1099511628211ull;
    return h;
}

/* Marks, for each distinct decoded key, its last member as the winner. */
static int mark_winners(kz_document *doc, member *ms, size_t n)
{
    size_t cap = 8;
    while (cap < 2 * n) cap *= 2;
    size_t *table = malloc(cap * sizeof *table); /* member index + 1; 0 = empty */
    if (!table) return KZ_ENOMEM_FAIL();
    memset(table, 0, cap * sizeof *table);
    const uint8_t *keys = doc->scratch.data;
    for (size_t i = n; i-- > 0;) {
        size_t slot = (size_t)key_hash(keys + ms[i].dk, ms[i].dk_len) & (cap - 1);
        ms[i].winner = 1;
        while (table[slot]) {
            const member *o = &ms[table[slot] - 1];
            if (o->dk_len == ms[i].dk_len &&
                memcmp(keys + o->dk, keys + ms[i].dk, ms[i].dk_len) == 0) {
                ms[i].winner = 0;
                break;
            }
            slot = (slot + 1) & (cap - 1);
        }
        if (ms[i].winner) table[slot] = i + 1;
    }
    free(table);
    return KZ_OK;
}

static int key_is(const kz_document *doc, const member *m, const char *name)
{
    size_t n = strlen(name);
    return m->dk_len == n && memcmp(doc->scratch.data + m->dk, name, n) == 0;
}

/* Appends the decoded string value of m to out. */
static int string_value(parser *p, const member *m, kz_buf *out)
{
    if (m->plain) return kz_buf_append(out, p->s + m->vs + 1, m->ve - m->vs - 2);
    p->pos = m->vs;
    return parse_string(p, out);
}

/* Decodes the string value of m into out (NUL-terminated); rejects U+0000 (a C string field),
 * which only an escape can spell. */
static int decode_field(parser *p, const member *m, kz_buf *out, const char *what)
{
    KZ_TRY(string_value(p, m, out));
    if (!m->plain && memchr(out->data, 0, out->len))
        return perr(p, m->vs, "\"%s\" must not contain U+0000", what);
    return kz_buf_terminate(out);
}

/* Reads a string-or-null field into out; *field points at it unless it is null or empty. */
static int text_field(parser *p, const member *m, kz_buf *out, const char **field, const char *what)
{
    if (m->type == J_NULL) return KZ_OK;
    if (m->type != J_STRING) return perr(p, m->vs, "\"%s\" must be a string or null", what);
    KZ_TRY(decode_field(p, m, out, what));
    if (out->len) *field = (const char *)out->data;
    return KZ_OK;
}

static int append_meta(kz_document *doc, const parser *p, const member *m)
{
    kz_buf *b = &doc->meta_buf;
    KZ_TRY(kz_buf_append_u8(b, b->len ? ',' : '{'));
    KZ_TRY(kz_buf_append(b, p->s + m->ks, m->ke - m->ks));
    KZ_TRY(kz_buf_append_u8(b, ':'));
    return kz_buf_append(b, p->s + m->vs, m->ve - m->vs);
}

/* Fills doc from the parsed members. */
static int build(parser *p, kz_document *doc, member *ms, size_t n)
{
    const member *text = NULL;
    for (size_t i = 0; i < n; i++) {
        const member *m = &ms[i];
        if (!m->winner) continue;
        if (key_is(doc, m, "text")) {
            if (m->type != J_STRING) return perr(p, m->vs, "\"text\" must be a string");
            text = m;
        } else if (key_is(doc, m, "id")) {
            if (m->type == J_STRING) {
                KZ_TRY(decode_field(p, m, &doc->name_buf, "id"));
                if (doc->name_buf.len) doc->name = (const char *)doc->name_buf.data;
            } else if (m->type == J_NUMBER) {
                KZ_TRY(kz_buf_append(&doc->name_buf, p->s + m->vs, m->ve - m->vs));
                KZ_TRY(kz_buf_terminate(&doc->name_buf));
                doc->name = (const char *)doc->name_buf.data;
            } else if (m->type != J_NULL) {
                return perr(p, m->vs, "\"id\" must be a string, a number or null");
            }
        } else if (key_is(doc, m, "title")) {
            KZ_TRY(text_field(p, m, &doc->title_buf, &doc->title, "title"));
        } else if (key_is(doc, m, "lang")) {
            KZ_TRY(text_field(p, m, &doc->lang_buf, &doc->lang, "lang"));
        } else if (key_is(doc, m, "date")) {
            const char *raw = NULL;
            KZ_TRY(text_field(p, m, &doc->date_buf, &raw, "date"));
            char norm[11];
            if (raw && kz_date_normalise(norm, raw, doc->date_buf.len)) {
                kz_buf_clear(&doc->date_buf);
                KZ_TRY(kz_buf_append_str(&doc->date_buf, norm));
                doc->date = (const char *)doc->date_buf.data;
            } else if (raw) {
                KZ_TRY(append_meta(doc, p, m)); /* not a date we understand: keep it as given */
            }
        } else {
            KZ_TRY(append_meta(doc, p, m));
        }
    }
    if (!text) return perr(p, 0, "the object has no \"text\" field");
    KZ_TRY(string_value(p, text, &doc->text_buf));
    KZ_TRY(kz_buf_terminate(&doc->text_buf));
    doc->text = (const char *)doc->text_buf.data;
    doc->text_len = doc->text_buf.len;
    if (doc->meta_buf.len) {
        KZ_TRY(kz_buf_append_u8(&doc->meta_buf, '}'));
        KZ_TRY(kz_buf_terminate(&doc->meta_buf));
        doc->meta_json = (const char *)doc->meta_buf.data;
    }
    if (!doc->name) {
        KZ_TRY(kz_buf_append_str(&doc->name_buf, p->file));
        char num[32];
        snprintf(num, sizeof num, ":%llu", (unsigned long long)p->lineno);
        KZ_TRY(kz_buf_append_str(&doc->name_buf, num));
        doc->name = (const char *)doc->name_buf.data;
    }
    return KZ_OK;
}

int kz_document_from_jsonl(kz_document *doc, const char *file, uint64_t lineno, const char *line,
                           size_t len)
{
    if (!doc || !file || (!line && len)) return kz_fail(KZ_EINVAL, "JSON line: no file or line");
    kz_document_reset(doc);
    parser p = {(const unsigned char *)line, len, 0, file, lineno, 0};
    size_t n = 0;
    int rc = KZ_OK;
    if (len >= 3 && p.s[0] == 0xEF && p.s[1] == 0xBB && p.s[2] == 0xBF) p.pos = 3;
    skip_ws(&p);
    if (p.pos >= len) return KZ_SOURCE_BLANK;
    KZ_CHECK(parse_object(&p, doc, &n));
    skip_ws(&p);
    if (p.pos < len) {
        rc = perr(&p, p.pos, "unexpected text after the object");
        goto done;
    }
    member *ms = (member *)(void *)doc->fields.data;
    KZ_CHECK(mark_winners(doc, ms, n));
    KZ_CHECK(build(&p, doc, ms, n));
    /* a record without a usable date may carry one as a prefix of its text, as the seeds do */
    unsigned rules = doc->date ? 0 : KZ_SPLIT_DATE;
    KZ_CHECK(kz_document_split(doc, rules, lineno > UINT32_MAX ? UINT32_MAX : (uint32_t)lineno));
done:
    if (rc < 0) kz_document_reset(doc);
    return rc;
}
