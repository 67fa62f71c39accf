/* passages.c - splitting a document's text into passages, and the plain-text date and title.
 *
 * The text is read once, line by line ('\n' ends a line; CR and other ASCII whitespace at either
 * end of a line are trimmed). Lines that are empty after trimming separate blocks. A block is one
 * paragraph when it looks hard-wrapped (every line but the last has at most KZ_WRAP_COLUMNS code
 * points), else each of its lines is a paragraph. A paragraph longer than KZ_PASSAGE_MAX bytes is
 * cut into pieces of about equal length, preferring sentence ends, then whitespace, then any
 * character boundary. Every cut lies at least half the target length after the previous one, so
 * the cost is linear in the text even for a single 100 MB line. The passage list is kept in
 * increasing byte order and each passage carries the line of its first byte, tracked by a cursor
 * that only moves forward. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "source.h"

/* The state of one split: the text, the passages made so far, and a forward-only line cursor. */
typedef struct splitter {
    kz_document *doc;
    const unsigned char *t;
    size_t len;
    uint32_t fixed_line; /* non-zero: every passage gets this line (JSON Lines) */
    size_t cursor_pos;   /* line counting cursor: the line of byte cursor_pos is cursor_line */
    uint32_t cursor_line;
} splitter;

static int is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int is_cont(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

static uint32_t line_at(splitter *s, size_t pos)
{
    if (s->fixed_line) return s->fixed_line;
    const unsigned char *p = s->t + s->cursor_pos, *end = s->t + pos;
    while (p < end) {
        const unsigned char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl) break;
        if (s->cursor_line < UINT32_MAX) s->cursor_line++;
        p = nl + 1;
    }
    s->cursor_pos = pos;
    return s->cursor_line;
}

static int push(splitter *s, size_t start, size_t end)
{
    kz_document *d = s->doc;
    if (d->npassages == d->passages_cap) {
        size_t cap = d->passages_cap ? d->passages_cap * 2 : 16;
        kz_passage *p = realloc(d->passages, cap * sizeof *p);
        if (!p) return KZ_ENOMEM_FAIL();
        d->passages = p;
        d->passages_cap = cap;
    }
    kz_passage *p = &d->passages[d->npassages++];
    p->start = start;
    p->end = end;
    p->line = line_at(s, start);
    return KZ_OK;
}

/* Length of a sentence terminator ending at p (. ! ? or 。！？), or 0. */
static size_t terminator_before(const unsigned char *t, size_t lo, size_t p)
{
    if (p > lo && (t[p - 1] == '.' || t[p - 1] == '!' || t[p - 1] == '?')) return 1;
    if (p >= lo + 3) {
        const unsigned char *q = t + p - 3;
        if (q[0] == 0xE3 && q[1] == 0x80 && q[2] == 0x82) return 3; /* 。 U+3002 */
        if (q[0] == 0xEF && q[1] == 0xBC && (q[2] == 0x81 || q[2] == 0x9F)) return 3; /* ！？ */
    }
    return 0;
}

/* Length of a closing quote or bracket starting at p, or 0. */
static size_t closer_at(const unsigned char *t, size_t p, size_t end)
{
    unsigned char c = t[p];
    if (c == '"' || c == '\'' || c == ')' || c == ']') return 1;
    if (p + 3 <= end) {
        const unsigned char *q = t + p;
        if (q[0] == 0xE2 && q[1] == 0x80 && (q[2] == 0x9D || q[2] == 0x99)) return 3; /* ” ’ */
        if (q[0] == 0xE3 && q[1] == 0x80 && (q[2] == 0x8D || q[2] == 0x8F)) return 3; /* 」』 */
        if (q[0] == 0xEF && q[1] == 0xBC && q[2] == 0x89) return 3;                   /* ） */
    }
    return 0;
}

/* Whether a sentence ends exactly at p: a terminator, then closing quotes or brackets, then
 * whitespace or the end of the paragraph. After the CJK terminators no space is needed. */
static int sentence_end_at(const unsigned char *t, size_t lo, size_t p, size_t end)
{
    if (p < end && !is_space(t[p])) return 0;
    size_t q = p;
    for (int i = 0; i < 4; i++) {
        size_t tl = terminator_before(t, lo, q);
        if (tl) return 1;
        /* step back over one closer: ASCII or a 3-byte one */
        if (q > lo && closer_at(t, q - 1, end) == 1) {
            q--;
        } else if (q >= lo + 3 && closer_at(t, q - 3, end) == 3) {
            q -= 3;
        } else {
            return 0;
        }
    }
    return 0;
}

static int cjk_end_at(const unsigned char *t, size_t lo, size_t p)
{
    return terminator_before(t, lo, p) == 3;
}

/* Cuts [start, end) (trimmed, longer than KZ_PASSAGE_MAX) into pieces and pushes them. */
static int split_long(splitter *s, size_t start, size_t end)
{
    const unsigned char *t = s->t;
    size_t cur = start;
    while (cur < end) {
        size_t rest = end - cur;
        if (rest <= KZ_PASSAGE_MAX) return push(s, cur, end);
        size_t pieces = (rest + KZ_PASSAGE_MAX - 1) / KZ_PASSAGE_MAX;
        size_t target = cur + rest / pieces;
        size_t lo = cur + (rest / pieces) / 2, hi = cur + KZ_PASSAGE_MAX;
        size_t best = 0, best_dist = SIZE_MAX;
        for (size_t p = lo; p <= hi; p++) {
            if (sentence_end_at(t, cur, p, end) || cjk_end_at(t, cur, p)) {
                size_t dist = p > target ? p - target : target - p;
                if (dist < best_dist) best = p, best_dist = dist;
            }
        }
        if (!best) {
            for (size_t p = lo; p <= hi; p++) {
                if (is_space(t[p])) {
                    size_t dist = p > target ? p - target : target - p;
                    if (dist < best_dist) best = p, best_dist = dist;
                }
            }
        }
        if (!best) {
            best = target;
            for (int i = 0; i < 3 && best > cur + 1 && is_cont(t[best]); i++) best--;
        }
        size_t piece_end = best;
        while (piece_end > cur && is_space(t[piece_end - 1])) piece_end--;
        KZ_TRY(push(s, cur, piece_end));
        cur = best;
        while (cur < end && is_space(t[cur])) cur++;
    }
    return KZ_OK;
}

static int paragraph(splitter *s, size_t start, size_t end)
{
    if (start >= end) return KZ_OK;
    if (end - start <= KZ_PASSAGE_MAX) return push(s, start, end);
    return split_long(s, start, end);
}

/* One line: [start, end) with end at the '\n' or the text's end; trimmed bounds [ts, te). */
typedef struct line_span {
    size_t start, end, ts, te;
} line_span;

static line_span read_line(const unsigned char *t, size_t len, size_t pos)
{
    line_span l;
    const unsigned char *nl = memchr(t + pos, '\n', len - pos);
    l.start = pos;
    l.end = nl ? (size_t)(nl - t) : len;
    l.ts = l.start;
    l.te = l.end;
    while (l.ts < l.te && is_space(t[l.ts])) l.ts++;
    while (l.te > l.ts && is_space(t[l.te - 1])) l.te--;
    return l;
}

static size_t next_line(const line_span *l, size_t len)
{
    return l->end < len ? l->end + 1 : len;
}

/* Code points in [start, end), counting at most up to limit + 1. */
static size_t columns(const unsigned char *t, size_t start, size_t end, size_t limit)
{
    size_t n = 0;
    for (size_t i = start; i < end && n <= limit; i++) n += !is_cont(t[i]);
    return n;
}

/* Splits the block of non-blank lines starting at pos (the first line's text may start later,
 * at first_ts, after a date prefix). Returns the position after the block's last line. */
static int block(splitter *s, size_t pos, size_t first_ts, size_t *next)
{
    const unsigned char *t = s->t;
    size_t len = s->len;
    /* pass 1: extent of the block and whether it is hard-wrapped */
    int wrapped = 1;
    size_t last_te = 0, p = pos;
    line_span l = read_line(t, len, p);
    if (first_ts > l.ts) l.ts = first_ts;
    size_t block_ts = l.ts;
    for (;;) {
        last_te = l.te;
        size_t q = next_line(&l, len);
        if (q >= len) {
            p = len;
            break;
        }
        line_span nl = read_line(t, len, q);
        if (nl.ts == nl.te) {
            p = q;
            break;
        }
        if (columns(t, l.ts, l.te, KZ_WRAP_COLUMNS) > KZ_WRAP_COLUMNS) wrapped = 0;
        l = nl;
    }
    *next = p;
    if (wrapped) return paragraph(s, block_ts, last_te);
    /* pass 2: one paragraph per line */
    size_t q = pos;
    while (q < p) {
        line_span m = read_line(t, len, q);
        if (q == pos && first_ts > m.ts) m.ts = first_ts;
        KZ_TRY(paragraph(s, m.ts, m.te));
        q = next_line(&m, len);
    }
    return KZ_OK;
}

static int digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9') return 0;
    return 1;
}

int kz_date_normalise(char out[11], const char *s, size_t len)
{
    if (len < 8 || !digits(s, 4)) return 0;
    char sep = s[4];
    if (sep != '-' && sep != '/' && sep != '.') return 0;
    size_t i = 5;
    int part[2];
    for (int k = 0; k < 2; k++) {
        size_t n = 0;
        while (i + n < len && n < 3 && s[i + n] >= '0' && s[i + n] <= '9') n++;
        if (n < 1 || n > 2) return 0;
        part[k] = n == 1 ? s[i] - '0' : (s[i] - '0') * 10 + (s[i + 1] - '0');
        i += n;
        if (k == 0) {
            if (i >= len || s[i] != sep) return 0;
            i++;
        }
    }
    if (i < len && s[i] != 'T' && s[i] != ' ') return 0;
    int year = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
    int month = part[0], day = part[1];
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > mdays[month - 1]) return 0;
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    if (month == 2 && day == 29 && !leap) return 0;
    out[0] = s[0], out[1] = s[1], out[2] = s[2], out[3] = s[3], out[4] = '-';
    out[5] = (char)('0' + month / 10), out[6] = (char)('0' + month % 10), out[7] = '-';
    out[8] = (char)('0' + day / 10), out[9] = (char)('0' + day % 10), out[10] = '\0';
    return 1;
}

/* If the text at pos starts with "date YYYY-MM-DD" (case-insensitive "date", an optional ':',
 * spaces or tabs, a valid date, then whitespace or the end), stores the date and returns the
 * position after it; else returns pos. */
static size_t date_prefix(kz_document *doc, const unsigned char *t, size_t len, size_t pos, int *rc)
{
    *rc = KZ_OK;
    static const char word[] = "date";
    if (len - pos < 4 + 1 + 10) return pos;
    for (size_t i = 0; i < 4; i++)
        if ((t[pos + i] | 0x20) != (unsigned char)word[i]) return pos;
    size_t p = pos + 4;
    if (t[p] == ':') p++;
    size_t sp = p;
    while (p < len && (t[p] == ' ' || t[p] == '\t')) p++;
    if (p == sp || len - p < 10) return pos;
    const char *d = (const char *)t + p;
    if (d[4] != '-' || d[7] != '-' || !digits(d, 4) || !digits(d + 5, 2) || !digits(d + 8, 2))
        return pos;
    if (p + 10 < len && !is_space(t[p + 10])) return pos;
    char norm[11];
    if (!kz_date_normalise(norm, d, 10)) return pos;
    kz_buf_clear(&doc->date_buf);
    if ((*rc = kz_buf_append_str(&doc->date_buf, norm)) < 0) return pos;
    doc->date = (const char *)doc->date_buf.data;
    p += 10;
    while (p < len && (t[p] == ' ' || t[p] == '\t')) p++;
    return p;
}

/* Whether the trimmed line [ts, te) can be a title: short, and not ending like a sentence or a
 * clause (. ! ? , ; : and their CJK forms, or an ellipsis). */
static int title_like(const unsigned char *t, size_t ts, size_t te)
{
    if (ts >= te || columns(t, ts, te, KZ_TITLE_MAX) > KZ_TITLE_MAX) return 0;
    unsigned char c = t[te - 1];
    if (c && strchr(".!?,;:", c)) return 0;
    if (te - ts >= 3) {
        const unsigned char *q = t + te - 3;
        if (q[0] == 0xE3 && q[1] == 0x80 && (q[2] == 0x82 || q[2] == 0x81)) return 0; /* 。、 */
        if (q[0] == 0xEF && q[1] == 0xBC &&
            (q[2] == 0x81 || q[2] == 0x9F || q[2] == 0x8C || q[2] == 0x9B || q[2] == 0x9A))
            return 0;                                               /* ！？，；： */
        if (q[0] == 0xE2 && q[1] == 0x80 && q[2] == 0xA6) return 0; /* … */
    }
    return 1;
}

/* The plain-text title: a first block made of one title-like line, followed by another block.
 * Returns the position after the title line if it is one, else pos. */
static size_t title_line(kz_document *doc, const unsigned char *t, size_t len, size_t pos,
                         size_t first_ts, int *rc)
{
    *rc = KZ_OK;
    line_span l = read_line(t, len, pos);
    if (first_ts > l.ts) l.ts = first_ts;
    if (!title_like(t, l.ts, l.te)) return pos;
    size_t q = next_line(&l, len);
    if (q >= len) return pos;
    line_span nl = read_line(t, len, q);
    if (nl.ts != nl.te) return pos; /* the next line belongs to the same block */
    size_t rest = nl.end;
    while (rest < len && is_space(t[rest])) rest++;
    if (rest >= len) return pos; /* nothing after it: a one-paragraph document */
    kz_buf_clear(&doc->title_buf);
    if ((*rc = kz_buf_append(&doc->title_buf, t + l.ts, l.te - l.ts)) < 0) return pos;
    if ((*rc = kz_buf_terminate(&doc->title_buf)) < 0) return pos;
    doc->title = (const char *)doc->title_buf.data;
    return q;
}

/* Moves *pos past blank lines; *ts receives the first non-blank line's trimmed start. Returns 0
 * if only blank lines remain. */
static int skip_blank(const unsigned char *t, size_t len, size_t *pos, size_t *ts)
{
    while (*pos < len) {
        line_span l = read_line(t, len, *pos);
        if (l.ts != l.te) {
            *ts = l.ts;
            return 1;
        }
        *pos = next_line(&l, len);
    }
    return 0;
}

int kz_document_split(kz_document *doc, int plain_text, uint32_t fixed_line)
{
    int rc = KZ_OK;
    splitter s = {doc, (const unsigned char *)doc->text, doc->text_len, fixed_line, 0, 1};
    const unsigned char *t = s.t;
    size_t len = s.len, pos = 0, first_ts = 0;
    doc->npassages = 0;
    if (len >= 3 && t[0] == 0xEF && t[1] == 0xBB && t[2] == 0xBF) pos = 3;
    if (!skip_blank(t, len, &pos, &first_ts)) return KZ_OK;
    if (plain_text) {
        first_ts = date_prefix(doc, t, len, first_ts, &rc);
        KZ_TRY(rc);
        line_span l = read_line(t, len, pos);
        if (first_ts >= l.te) { /* the date was the whole first line */
            pos = next_line(&l, len);
            if (!skip_blank(t, len, &pos, &first_ts)) return KZ_OK;
        }
        size_t after = title_line(doc, t, len, pos, first_ts, &rc);
        KZ_TRY(rc);
        if (after != pos) {
            pos = after;
            if (!skip_blank(t, len, &pos, &first_ts)) return KZ_OK;
        }
    }
    /* the first block may start after a date prefix (first_ts); later ones at their lines */
    KZ_TRY(block(&s, pos, first_ts, &pos));
    while (skip_blank(t, len, &pos, &first_ts)) KZ_TRY(block(&s, pos, 0, &pos));
    return KZ_OK;
}

/* Empties doc's visible fields, keeping its storage for reuse. */
void kz_document_reset(kz_document *doc)
{
    doc->name = doc->text = doc->title = doc->date = doc->lang = doc->meta_json = NULL;
    doc->text_len = 0;
    doc->npassages = 0;
    kz_buf_clear(&doc->name_buf);
    kz_buf_clear(&doc->title_buf);
    kz_buf_clear(&doc->date_buf);
    kz_buf_clear(&doc->lang_buf);
    kz_buf_clear(&doc->meta_buf);
    kz_buf_clear(&doc->text_buf);
    kz_buf_clear(&doc->scratch);
    kz_buf_clear(&doc->fields);
}

int kz_document_from_text(kz_document *doc, const char *name, const char *text, size_t len)
{
    if (!doc || !name || (!text && len)) return kz_fail(KZ_EINVAL, "document: no name or text");
    kz_document_reset(doc);
    int rc = kz_buf_append_str(&doc->name_buf, name);
    if (rc < 0) return KZ_ENOMEM_FAIL();
    doc->name = (const char *)doc->name_buf.data;
    doc->text = text ? text : "";
    doc->text_len = len;
    rc = kz_document_split(doc, 1, 0);
    if (rc < 0) kz_document_reset(doc);
    return rc;
}

void kz_document_clear(kz_document *doc)
{
    if (!doc) return;
    kz_buf_free(&doc->name_buf);
    kz_buf_free(&doc->title_buf);
    kz_buf_free(&doc->date_buf);
    kz_buf_free(&doc->lang_buf);
    kz_buf_free(&doc->meta_buf);
    kz_buf_free(&doc->text_buf);
    kz_buf_free(&doc->scratch);
    kz_buf_free(&doc->fields);
    free(doc->passages);
    memset(doc, 0, sizeof *doc);
}
