/* parse.h - the query language: query text -> a tree of clauses the planner turns into iterators.
 *
 * The parser only finds structure; it never analyses text. Every typed word stays one unit of
 * raw text (words are split at Unicode White_Space, parentheses and double quotes only, never at
 * hyphens, dots or apostrophes), so that the planner can turn a word its analyzer splits into
 * several terms (post-Soviet, U.S., 哈萨克斯坦) into a phrase of those terms.
 *
 * Invariants of a tree returned by kz_query_parse: every node owns its text (a NUL-terminated
 * copy, so the query buffer may be freed) and its kids; leaves (WORD, PHRASE, PREFIX, FILTER)
 * have no kids and non-empty text; AND, OR and SEQ have at least two kids, except a SEQ that
 * wraps one clause whose own +/- differs from the group's (`-(+a)`); kids of an OR have occur
 * DEFAULT; every AND and SEQ has at least one kid that is not MUST_NOT; the whole query has at
 * least one WORD, PHRASE or PREFIX outside any negation (something to rank); the tree is at most
 * KZ_QUERY_MAX_DEPTH groups deep and has at most KZ_QUERY_MAX_TERMS terms. NOT x and -x give
 * the same tree: x with occur MUST_NOT. The syntax is described for users in docs/QUERY.md. */
#ifndef KZ_PARSE_H
#define KZ_PARSE_H

#include "buf.h"

#include <stddef.h>

/* Words, prefixes, filters and the words inside phrases, counted together. Bounds the work one
 * query can ask of the planner (each term is a postings cursor). */
#define KZ_QUERY_MAX_TERMS 1024
/* Parenthesised groups inside each other. Bounds the recursion of the parser and planner. */
#define KZ_QUERY_MAX_DEPTH 64
/* Bytes of query text: 1,024 terms of any realistic length fit with a wide margin. */
#define KZ_QUERY_MAX_BYTES 65536
/* Characters (code points) a prefix needs before its '*'. With one, a prefix expands to a
 * large share of the dictionary and always hits the expansion bound, so the results would
 * depend on which terms happen to come first; two already narrow it to a useful set. */
#define KZ_QUERY_MIN_PREFIX 2

typedef enum kz_qnode_type {
    KZ_Q_WORD,   /* one typed word: text is the raw word */
    KZ_Q_PHRASE, /* "...": text is the raw text between the quotes */
    KZ_Q_PREFIX, /* word*: text is the raw word without the '*' */
    KZ_Q_FILTER, /* field:value: text is the value; see field, op and the date bounds */
    KZ_Q_AND,    /* a AND b: every kid required, except MUST_NOT kids, which are excluded */
    KZ_Q_OR,     /* a OR b: any kid */
    KZ_Q_NOT,    /* never produced: NOT x is x with occur MUST_NOT, the same as -x; the value is
                    kept so that code written against the first contract still compiles */
    KZ_Q_SEQ     /* juxtaposition: kids combined with the default operator (OR, or AND with
                    --and), MUST kids required and MUST_NOT kids excluded in either mode */
} kz_qnode_type;

/* How a clause counts in its SEQ or AND, as written before it: +x, -x or NOT x. */
typedef enum kz_occur { KZ_OCCUR_DEFAULT, KZ_OCCUR_MUST, KZ_OCCUR_MUST_NOT } kz_occur;

typedef enum kz_qfield { KZ_FIELD_NONE, KZ_FIELD_DATE, KZ_FIELD_DOC, KZ_FIELD_LANG } kz_qfield;

/* Comparison of a filter. Only date filters use anything but EQ. RANGE is date:A..B. */
typedef enum kz_qop { KZ_OP_EQ, KZ_OP_GE, KZ_OP_GT, KZ_OP_LE, KZ_OP_LT, KZ_OP_RANGE } kz_qop;

typedef struct kz_qnode {
    kz_qnode_type type;
    kz_occur occur;
    char *text; /* owned, NUL-terminated; NULL for AND, OR, SEQ */
    size_t len; /* bytes in text */
    int field;  /* FILTER: a kz_qfield; else KZ_FIELD_NONE */
    int op;     /* FILTER: a kz_qop; else KZ_OP_EQ */
    int glob; /* doc: FILTER: text holds *, ? or [ (a pattern for fnmatch), else 0 (a substring) */
    /* Date filters: the inclusive range of days they accept, as "YYYY-MM-DD", whatever the
     * precision and comparison written (date:2022-01 -> 2022-01-01 .. 2022-01-31,
     * date:>2022-01 -> 2022-02-01 .. 9999-12-31), so a passage's date matches when
     * date_lo <= date <= date_hi as strings. Empty strings for other nodes. */
    char date_lo[11];
    char date_hi[11];
    size_t offset; /* byte offset in the query of the clause's first byte (its +/- if any) */
    struct kz_qnode **kids;
    size_t nkids;
} kz_qnode;

/* Parses query text q (len bytes of UTF-8) into *out, which the caller frees with
 * kz_qnode_free. Returns KZ_OK; KZ_EQUERY with a message naming the problem, its column and a
 * picture of the spot; or KZ_ENOMEM. */
int kz_query_parse(kz_qnode **out, const char *q, size_t len);

/* Frees a tree (its kids and texts). NULL is allowed. */
void kz_qnode_free(kz_qnode *n);

/* Appends the canonical text form of the tree to out: every AND, OR and SEQ in parentheses
 * (but the outermost, unless it has a +/-), +/- before clauses (NOT x is written -x), phrases in
 * quotes, prefixes with '*', filters as field:value with the value quoted if it holds a space or
 * parenthesis. Parsing the canonical form gives the same tree, except for a query so deep that
 * the parentheses added around AND inside OR and OR inside juxtaposition take it past
 * KZ_QUERY_MAX_DEPTH. For tests and --explain. */
int kz_qnode_format(const kz_qnode *n, kz_buf *out);

/* Whether a doc: filter accepts the document named doc (its path or id, NUL-terminated): a value
 * holding *, ? or [ is a glob (fnmatch, '*' also matches '/') on the whole name, any other
 * value a case-sensitive substring of the name. */
int kz_qfilter_doc_matches(const kz_qnode *filter, const char *doc);

/* Whether a lang: filter accepts a passage tagged lang: equal ignoring ASCII case, or lang
 * starts with the filter's code and '-' (lang:zh accepts zh-Hans). An empty lang never matches. */
int kz_qfilter_lang_matches(const kz_qnode *filter, const char *lang, size_t len);

/* Whether a date: filter accepts a passage dated date ("YYYY-MM-DD"). An empty or malformed date
 * never matches. */
int kz_qfilter_date_matches(const kz_qnode *filter, const char *date, size_t len);

#endif
