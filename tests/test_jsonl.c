/* test_jsonl.c - JSON Lines records: a table of JSON edge cases checked against Python's json
 * module (Debian's /usr/bin/python3) as the independent reference, plus error messages and
 * columns, nesting depth, duplicate keys, metadata kept verbatim, and broken lines in a file. */
#include "../indexer/source.h"
#include "support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reference: per line, BLANK, ERR, or OK and the fields (hex UTF-8 or "-"), the expected
 * other fields and ours (argv[2], one meta_json or "-" a line), both canonicalised. */
static const char reference_py[] =
    "import json, sys\n"
    "def bad(x): raise ValueError(x)\n"
    "def h(s): return s.encode('utf-8').hex() if s is not None else '-'\n"
    "lines = open(sys.argv[1], 'rb').read().split(b'\\n')[:-1]\n"
    "ours = open(sys.argv[2], 'rb').read().split(b'\\n')\n"
    "for i, raw in enumerate(lines):\n"
    "    mine = ours[i].decode('utf-8')\n"
    "    try:\n"
    "        s = raw.decode('utf-8')\n"
    "        if s.startswith('\\ufeff'): s = s[1:]\n"
    "        if s.strip(' \\t\\r\\n') == '':\n"
    "            print('BLANK'); continue\n"
    "        o = json.loads(s, parse_constant=bad)\n"
    "        if type(o) is not dict: raise ValueError('not an object')\n"
    "        json.dumps(o, ensure_ascii=False).encode('utf-8')\n"
    "        t = o['text']\n"
    "        if type(t) is not str: raise ValueError('text')\n"
    "        name = o.get('id')\n"
    "        if type(name) is float: name = '*'\n"
    "        elif type(name) is int: name = str(name)\n"
    "        elif name is not None and type(name) is not str: raise ValueError('id')\n"
    "        if name is not None and '\\0' in name: raise ValueError('id')\n"
    "        f = {}\n"
    "        for k in ('title', 'lang', 'date'):\n"
    "            v = o.get(k)\n"
    "            if v is not None and (type(v) is not str or '\\0' in v): raise ValueError(k)\n"
    "            f[k] = v or None\n"
    "        meta = {k: v for k, v in o.items() if k not in ('id', 'text', 'title', 'lang', "
    "'date')}\n"
    "        got = {k: v for k, v in json.loads(mine).items() if k != 'date'} if mine != '-' "
    "else {}\n"
    "        print('OK', h(t), '*' if name == '*' else h(name or None), h(f['title']), "
    "h(f['lang']), h(f['date']),\n"
    "              json.dumps(meta, sort_keys=True), json.dumps(got, sort_keys=True), "
    "sep='\\t')\n"
    "    except (ValueError, KeyError, UnicodeError, RecursionError):\n"
    "        print('ERR')\n";

static const char *cases[] = {
    "{\"id\": \"a\", \"text\": \"hello\"}",
    "{\"text\": \"esc \\\" \\\\ \\/ \\b \\f \\n \\r \\t end\"}",
    "{\"text\": \"\\u00e9\\u4e2d\\ud83d\\ude00\"}",
    "{\"text\": \"\\ud83d\"}",
    "{\"text\": \"\\ude00x\"}",
    "{\"text\": \"\\ud83d\\u0041\"}",
    "{\"text\": \"a\\qb\"}",
    "{\"text\": \"tab\there\"}",
    "{\"text\": \"x\", \"n\": -0.5e+10, \"b\": true, \"f\": false, \"z\": null, "
    "\"arr\": [1, [2, {\"k\": \"v\"}], []], \"o\": {}}",
    "{\"text\": \"x\", \"n\": 01}",
    "{\"text\": \"x\", \"n\": 1.}",
    "{\"text\": \"x\", \"n\": .5}",
    "{\"text\": \"x\", \"n\": -}",
    "{\"text\": \"x\", \"n\": 1e}",
    "{\"text\": \"x\", \"n\": NaN}",
    "{\"text\": \"x\",}",
    "{\"text\": \"x\"} extra",
    "[\"text\", \"x\"]",
    "\"just a string\"",
    "{\"text\": 5}",
    "{\"id\": 42, \"text\": \"numbered\"}",
    "{\"id\": true, \"text\": \"x\"}",
    "{\"title\": \"T\", \"lang\": \"en\", \"date\": \"2021-03-04\", \"text\": \"x\"}",
    "{\"text\": \"first\", \"text\": \"second\"}",
    "{\"text\": \"x\", \"k\": 1, \"k\": 2, \"j\": 3}",
    "{\"text\": \"x\", \"date\": \"yesterday\"}",
    "{\"id\": \"no text\"}",
    "{}",
    "   \t ",
    "{\"text\": \"crlf\"}\r",
    "\xef\xbb\xbf{\"text\": \"bom\"}",
    "{\"text\": \"bad utf8 \xff\"}",
    "{\"text\": \"overlong \xc0\xaf\"}",
    "{\"text\": \"surrogate in utf8 \xed\xa0\x80\"}",
    "{\"text\": \"4-byte \xf0\x9f\x98\x80 ok\"}",
    "{\"text\": \"x\", \"title\": null, \"lang\": \"\"}",
    "{\"text\": \"x\", \"title\": 3}",
    "{\"t\\u0065xt\": \"escaped key\"}",
    "{\"text\": \"x\" \"y\"}",
    "{\"text\" \"x\"}",
    "{text: \"x\"}",
    "{\"text\": \"unterminated}",
    "{\"text\": \"x\", \"u\": \"\\u00\"}",
    "{\"text\": \"x\", \"big\": 123456789012345678901234567890}",
    "{\"text\": \"x\", \"s\": \"\\u0000\"}",
    "{\"id\": \"a\\u0000b\", \"text\": \"x\"}",
    "{\"text\": \"nul \\u0000 inside\"}",
    " { \"text\" : \"spaces\" , \"id\" : \"s\" } ",
    "{\"text\": \"x\", \"nested\": {\"a\": [true, false, null, \"s\\n\"]}}",
    "{\"text\":\"x\",\"d\":[[[[[[[[[[1]]]]]]]]]]}",
    "{\"text\": \"\\u20AC\\u20ac\"}",
    "{\"text\": \"x\", \"id\": \"\"}",
    "{\"text\": \"x\", \"e\": 1E-5, \"e2\": 0e0, \"m\": -0, \"p\": 2e+3}",
    "{\"text\": \"x\", \"tr\": tru}",
    "{\"text\": \"x\"",
    "{\"text\": \"\\/\\/\"}",
    "{\"text\": \"x\", \"raw\u00e9\": \"caf\xc3\xa9\", \"\\u00e9\": 1}",
    "{\"text\": \"x\", \"date\": \"2020/2/3\"}",
    "{\"text\": \"x\", \"arr\": [1,]}",
    "{\"text\": \"x\", \"arr\": [1 2]}",
    "{\"text\": \"x\", \"obj\": {\"a\" 1}}",
    "{\"text\": \"x\", \"ctl\": \"\x01\"}",
    "{\"text\": \"\\u12G4\"}",
    "{\"text\": \"a\"}{\"text\": \"b\"}",
};

static void hex(kz_buf *out, const char *s, size_t n)
{
    if (!s) {
        kz_buf_append_str(out, "-");
        return;
    }
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        kz_buf_append_u8(out, (uint8_t)digits[(unsigned char)s[i] >> 4]);
        kz_buf_append_u8(out, (uint8_t)digits[(unsigned char)s[i] & 15]);
    }
}

/* Our reading of one line, in the reference's terms. */
typedef struct outcome {
    int rc;
    char *err;       /* message when rc < 0 */
    kz_buf field[5]; /* text, name (or "-" for the FILE:LINE fallback), title, lang: hex; date */
} outcome;

static void field_str(kz_buf *b, const char *s)
{
    hex(b, s, s ? strlen(s) : 0);
    kz_buf_terminate(b);
}

/* Splits a reference line at tabs into at most max fields. */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    while (n < max) {
        f[n++] = line;
        char *tab = strchr(line, '\t');
        if (!tab) break;
        *tab = '\0';
        line = tab + 1;
    }
    return n;
}

/* Reads every line with kz_document_from_jsonl and checks each outcome against Python's json
 * module: accepted or rejected alike, and, when accepted, the same fields and other fields. */
static void compare_with_python(const char *const *lines, size_t n)
{
    char *dir = kzt_tempdir();
    char *in = kzt_path(dir, "cases.jsonl"), *meta = kzt_path(dir, "meta.txt");
    char *script = kzt_path(dir, "ref.py");
    kz_buf all = KZ_BUF_INIT, metas = KZ_BUF_INIT;
    kz_document d = KZ_DOCUMENT_INIT;
    outcome *got = calloc(n, sizeof *got);
    for (size_t i = 0; i < n; i++) {
        kz_buf_append_str(&all, lines[i]);
        kz_buf_append_u8(&all, '\n');
        outcome *o = &got[i];
        o->rc = kz_document_from_jsonl(&d, "f.jsonl", i + 1, lines[i], strlen(lines[i]));
        if (o->rc < 0) o->err = strdup(kz_errmsg());
        kz_buf_append_str(&metas, o->rc == KZ_OK && d.meta_json ? d.meta_json : "-");
        kz_buf_append_u8(&metas, '\n');
        if (o->rc != KZ_OK) continue;
        char fallback[64];
        snprintf(fallback, sizeof fallback, "f.jsonl:%zu", i + 1);
        hex(&o->field[0], d.text, d.text_len);
        kz_buf_terminate(&o->field[0]);
        field_str(&o->field[1], strcmp(d.name, fallback) == 0 ? NULL : d.name);
        field_str(&o->field[2], d.title);
        field_str(&o->field[3], d.lang);
        kz_buf_append_str(&o->field[4], d.date ? d.date : "-");
    }
    kzt_write_file(in, all.data, all.len);
    kzt_write_file(meta, metas.data, metas.len);
    kzt_write_file(script, reference_py, strlen(reference_py));
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 %s %s %s", script, in, meta);
    int status;
    char *out = kzt_run(cmd, &status);
    cr_assert_eq(status, 0, "reference failed: %s", out);
    char *line = out;
    for (size_t i = 0; i < n; i++) {
        const outcome *o = &got[i];
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl, "reference output ends early");
        *nl = '\0';
        char *f[8] = {NULL};
        int nf = split_tabs(line, f, 8);
        if (strcmp(f[0], "ERR") == 0) {
            cr_assert_eq(o->rc, KZ_EINVAL, "line %zu (%s) should be rejected", i + 1, lines[i]);
            char prefix[64];
            snprintf(prefix, sizeof prefix, "f.jsonl:%zu: column ", i + 1);
            cr_assert_eq(strncmp(o->err, prefix, strlen(prefix)), 0, "message: %s", o->err);
        } else if (strcmp(f[0], "BLANK") == 0) {
            cr_assert_eq(o->rc, KZ_SOURCE_BLANK, "line %zu", i + 1);
        } else {
            cr_assert_eq(o->rc, KZ_OK, "line %zu (%s): %s", i + 1, lines[i], o->err);
            cr_assert_eq(nf, 8);
            static const char *names[] = {"text", "name", "title", "lang"};
            for (int k = 0; k < 4; k++) {
                if (k == 1 && strcmp(f[2], "*") == 0) continue; /* a non-integer number id */
                cr_assert_str_eq((char *)o->field[k].data, f[1 + k], "line %zu (%s): %s", i + 1,
                                 lines[i], names[k]);
            }
            /* the reference gives the raw date; ours is normalised */
            const char *want = "-";
            char norm[11];
            unsigned char raw[64] = {0};
            size_t rl = strlen(f[5]) / 2;
            for (size_t k = 0; k < rl && k < 63; k++) sscanf(f[5] + 2 * k, "%2hhx", &raw[k]);
            if (strcmp(f[5], "-") != 0 && rl < 63 && kz_date_normalise(norm, (char *)raw, rl))
                want = norm;
            cr_assert_str_eq((char *)o->field[4].data, want, "line %zu: date", i + 1);
            cr_assert_str_eq(f[7], f[6], "line %zu (%s): other fields", i + 1, lines[i]);
        }
        line = nl + 1;
    }
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 5; k++) kz_buf_free(&got[i].field[k]);
        free(got[i].err);
    }
    free(got);
    free(out);
    kz_document_clear(&d);
    kz_buf_free(&all);
    kz_buf_free(&metas);
    free(in);
    free(meta);
    free(script);
    kzt_rmtree(dir);
}

Test(jsonl, edge_cases_agree_with_python_json)
{
    compare_with_python(cases, sizeof cases / sizeof *cases);
}

/* Random edits of valid records (bytes replaced, inserted, deleted; truncation): whatever they
 * make, we accept exactly what Python accepts, and read it the same way. */
Test(jsonl, mutated_records_agree_with_python_json)
{
    static const char *bases[] = {
        "{\"id\": \"doc/1\", \"lang\": \"en\", \"title\": \"A title\", \"text\": \"Some text. "
        "More \\\"quoted\\\" text\\n\\nand a paragraph.\"}",
        "{\"text\": \"\\u4e2d\\u6587 \xe4\xb8\xad\\ud83d\\ude00\", \"n\": [1, -2.5e3, true, null, "
        "{\"k\": \"v\"}], \"date\": \"2021-02-03\"}",
        "{\"id\": 17, \"text\": \"caf\xc3\xa9\", \"o\": {\"a\": {\"b\": []}}, \"x\": false}",
    };
    static const unsigned char alphabet[] = "\"\\{}[]:, u01e-.ntfE+/\x80\xc3\xff\x01\t";
    size_t n = 3000;
    char **lines = calloc(n, sizeof *lines);
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        const char *base = bases[i % 3];
        size_t len = strlen(base);
        char *s = malloc(len + 8);
        memcpy(s, base, len + 1);
        int edits = 1 + (int)(i % 3);
        for (int e = 0; e < edits; e++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            size_t at = (size_t)(x >> 8) % (len + 1);
            unsigned char c = alphabet[(x >> 40) % (sizeof alphabet - 1)];
            switch (x % 4) {
            case 0: /* replace */
                if (at < len) s[at] = (char)c;
                break;
            case 1: /* insert */
                memmove(s + at + 1, s + at, len - at + 1);
                s[at] = (char)c;
                len++;
                break;
            case 2: /* delete */
                if (at < len) {
                    memmove(s + at, s + at + 1, len - at);
                    len--;
                }
                break;
            default: /* truncate, sometimes */
                if (x % 16 == 3) s[len = at] = '\0';
                break;
            }
            if (len >= strlen(base) + 4) break; /* stay inside the allocation */
        }
        lines[i] = s;
    }
    compare_with_python((const char *const *)lines, n);
    for (size_t i = 0; i < n; i++) free(lines[i]);
    free(lines);
}

static int parse(kz_document *d, const char *line)
{
    return kz_document_from_jsonl(d, "c.jsonl", 7, line, strlen(line));
}

Test(jsonl, errors_name_file_line_and_column)
{
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(parse(&d, "{\"text\": \"a\\qb\"}"), KZ_EINVAL);
    cr_assert_str_eq(kz_errmsg(), "c.jsonl:7: column 12: invalid escape \\q in a string");
    cr_assert_eq(parse(&d, "{\"text\": \"x\", \"n\": 01}"), KZ_EINVAL);
    cr_assert_str_eq(kz_errmsg(), "c.jsonl:7: column 21: invalid number: leading zero");
    cr_assert_eq(parse(&d, "{\"text\": \"\\ud83d!\"}"), KZ_EINVAL);
    cr_assert_str_eq(kz_errmsg(),
                     "c.jsonl:7: column 11: unpaired high surrogate \\uD83D in a string");
    cr_assert_eq(parse(&d, "{\"text\": \"ok \xe9\"}"), KZ_EINVAL);
    cr_assert_str_eq(kz_errmsg(), "c.jsonl:7: column 14: invalid UTF-8 byte 0xE9 in a string");
    cr_assert_eq(parse(&d, "{\"id\": \"x\"}"), KZ_EINVAL);
    cr_assert_str_eq(kz_errmsg(), "c.jsonl:7: column 1: the object has no \"text\" field");
    cr_assert_null(d.name);
    cr_assert_eq(d.npassages, 0);
    kz_document_clear(&d);
}

Test(jsonl, known_fields_and_verbatim_metadata)
{
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(parse(&d, "{\"id\": \"src/1\", \"lang\": \"zh\", \"title\": \"T \\u00e9\", "
                           "\"text\": \"Body.\", \"tags\": [1, {\"a\" : null}], \"x\": 1, "
                           "\"date\": \"2021-03-04T05:06:07Z\", \"x\": 2.50}"),
                 KZ_OK, "%s", kz_errmsg());
    cr_assert_str_eq(d.name, "src/1");
    cr_assert_str_eq(d.lang, "zh");
    cr_assert_str_eq(d.title, "T \xc3\xa9");
    cr_assert_str_eq(d.date, "2021-03-04");
    cr_assert_str_eq(d.meta_json, "{\"tags\":[1, {\"a\" : null}],\"x\":2.50}");
    cr_assert_eq(d.text_len, 5);
    cr_assert_eq(d.npassages, 1);
    cr_assert_eq(d.passages[0].line, 7);
    cr_assert_eq(parse(&d, "{\"text\": \"x\", \"date\": \"last week\"}"), KZ_OK);
    cr_assert_null(d.date);
    cr_assert_str_eq(d.meta_json, "{\"date\":\"last week\"}");
    cr_assert_eq(parse(&d, "{\"text\": \"x\"}"), KZ_OK);
    cr_assert_null(d.meta_json);
    cr_assert_str_eq(d.name, "c.jsonl:7");
    cr_assert_null(d.title);
    cr_assert_null(d.lang);
    cr_assert_eq(parse(&d, "{\"text\": \"\"}"), KZ_OK);
    cr_assert_eq(d.npassages, 0);
    /* a text that starts with a date prefix, as the seeds in the benchmark collection do */
    cr_assert_eq(parse(&d, "{\"text\": \"date 2022-01-09 Shoot to kill.\"}"), KZ_OK);
    cr_assert_str_eq(d.date, "2022-01-09");
    cr_assert_eq(d.npassages, 1);
    cr_assert_eq(d.passages[0].start, 16);
    cr_assert_eq(parse(&d, "{\"date\": \"2020-05-05\", \"text\": \"date 2022-01-09 Kept.\"}"),
                 KZ_OK);
    cr_assert_str_eq(d.date, "2020-05-05");
    cr_assert_eq(d.passages[0].start, 0);
    kz_document_clear(&d);
}

static char *nested(int depth)
{
    char *s = malloc((size_t)depth * 2 + 64);
    size_t p = (size_t)sprintf(s, "{\"text\": \"x\", \"deep\": ");
    for (int i = 0; i < depth; i++) s[p++] = '[';
    for (int i = 0; i < depth; i++) s[p++] = ']';
    strcpy(s + p, "}");
    return s;
}

Test(jsonl, nesting_is_bounded)
{
    kz_document d = KZ_DOCUMENT_INIT;
    char *ok = nested(250), *deep = nested(100000);
    cr_assert_eq(parse(&d, ok), KZ_OK, "%s", kz_errmsg());
    cr_assert_eq(parse(&d, deep), KZ_EINVAL);
    cr_assert(strstr(kz_errmsg(), "nested more than"), "%s", kz_errmsg());
    free(ok);
    free(deep);
    kz_document_clear(&d);
}

Test(jsonl, long_texts_are_split_into_passages_on_the_record_line)
{
    kz_buf b = KZ_BUF_INIT;
    kz_buf_append_str(&b, "{\"id\": \"long\", \"text\": \"");
    for (int i = 0; i < 300; i++) kz_buf_append_str(&b, "A sentence of some words.\\n\\n");
    kz_buf_append_str(&b, "Then one paragraph ");
    for (int i = 0; i < 300; i++) kz_buf_append_str(&b, "that goes on and on. ");
    kz_buf_append_str(&b, "\"}");
    kz_document d = KZ_DOCUMENT_INIT;
    cr_assert_eq(kz_document_from_jsonl(&d, "c.jsonl", 123456, (char *)b.data, b.len), KZ_OK);
    size_t para = 21 * 300 + 19 - 1;
    cr_assert_eq(d.npassages, 300 + (para + KZ_PASSAGE_MAX - 1) / KZ_PASSAGE_MAX);
    for (size_t i = 0; i < d.npassages; i++) {
        const kz_passage *p = &d.passages[i];
        cr_assert_eq(p->line, 123456);
        cr_assert_leq(p->end, d.text_len);
        cr_assert_leq(p->end - p->start, KZ_PASSAGE_MAX);
        if (i < 300) cr_assert_eq(memcmp(d.text + p->start, "A sentence of some words.", 25), 0);
    }
    cr_assert_null(d.title, "no title rule for JSON Lines");
    kz_document_clear(&d);
    kz_buf_free(&b);
}

Test(jsonl, broken_lines_are_reported_and_the_rest_is_read)
{
    const char file[] = "{\"id\": \"1\", \"text\": \"one\"}\n"
                        "{\"id\": \"2\", \"text\": \"two\"\n"
                        "\n"
                        "not json at all\n"
                        "{\"id\": \"5\", \"text\": \"five\"}\r\n"
                        "{\"id\": \"6\", \"text\": \"six\"}";
    kz_document d = KZ_DOCUMENT_INIT;
    const char *p = file, *end = file + strlen(file);
    uint64_t lineno = 0;
    kz_buf ids = KZ_BUF_INIT, broken = KZ_BUF_INIT;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *e = nl ? nl : end;
        int rc = kz_document_from_jsonl(&d, "b.jsonl", ++lineno, p, (size_t)(e - p));
        if (rc == KZ_OK) {
            kz_buf_append_str(&ids, d.name);
            kz_buf_append_u8(&ids, ' ');
        } else if (rc < 0) {
            cr_assert_eq(rc, KZ_EINVAL);
            kz_buf_append(&broken, kz_errmsg(), 12);
            kz_buf_append_u8(&broken, '|');
        }
        p = e + (nl != NULL);
    }
    kz_buf_terminate(&ids);
    kz_buf_terminate(&broken);
    cr_assert_str_eq((char *)ids.data, "1 5 6 ");
    cr_assert_str_eq((char *)broken.data, "b.jsonl:2: c|b.jsonl:4: c|");
    kz_buf_free(&ids);
    kz_buf_free(&broken);
    kz_document_clear(&d);
}
