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
    "        if type(name) is int: name = str(name)\n"
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
    "        print('OK', h(t), h(name or None), h(f['title']), h(f['lang']), h(f['date']),\n"
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

Test(jsonl, edge_cases_agree_with_python_json)
{
    size_t n = sizeof cases / sizeof *cases;
    char *dir = kzt_tempdir();
    char *in = kzt_path(dir, "cases.jsonl"), *meta = kzt_path(dir, "meta.txt");
    char *script = kzt_path(dir, "ref.py");
    kz_buf all = KZ_BUF_INIT, metas = KZ_BUF_INIT;
    kz_document d = KZ_DOCUMENT_INIT;
    int *rcs = calloc(n, sizeof *rcs);
    kz_buf *got = calloc(n, sizeof *got);
    char **errs = calloc(n, sizeof *errs);
    for (size_t i = 0; i < n; i++) {
        kz_buf_append_str(&all, cases[i]);
        kz_buf_append_u8(&all, '\n');
        rcs[i] = kz_document_from_jsonl(&d, "f.jsonl", i + 1, cases[i], strlen(cases[i]));
        if (rcs[i] < 0) errs[i] = strdup(kz_errmsg());
        kz_buf_append_str(&metas, rcs[i] == KZ_OK && d.meta_json ? d.meta_json : "-");
        kz_buf_append_u8(&metas, '\n');
        if (rcs[i] != KZ_OK) continue;
        char fallback[64];
        snprintf(fallback, sizeof fallback, "f.jsonl:%zu", i + 1);
        kz_buf_append_str(&got[i], "OK\t");
        hex(&got[i], d.text, d.text_len);
        kz_buf_append_u8(&got[i], '\t');
        const char *name = strcmp(d.name, fallback) == 0 ? NULL : d.name;
        hex(&got[i], name, name ? strlen(name) : 0);
        kz_buf_append_u8(&got[i], '\t');
        hex(&got[i], d.title, d.title ? strlen(d.title) : 0);
        kz_buf_append_u8(&got[i], '\t');
        hex(&got[i], d.lang, d.lang ? strlen(d.lang) : 0);
        kz_buf_append_u8(&got[i], '\t');
        /* the date: ours is normalised; the reference gives the raw string, checked below */
        kz_buf_append_str(&got[i], d.date ? d.date : "-");
        kz_buf_terminate(&got[i]);
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
        cr_assert_not_null(line, "reference output ends early");
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        *nl = '\0';
        if (strcmp(line, "ERR") == 0) {
            cr_assert_eq(rcs[i], KZ_EINVAL, "case %zu (%s) should be rejected", i + 1, cases[i]);
            char prefix[64];
            snprintf(prefix, sizeof prefix, "f.jsonl:%zu: column ", i + 1);
            cr_assert_eq(strncmp(errs[i], prefix, strlen(prefix)), 0, "message: %s", errs[i]);
        } else if (strcmp(line, "BLANK") == 0) {
            cr_assert_eq(rcs[i], KZ_SOURCE_BLANK, "case %zu", i + 1);
        } else {
            cr_assert_eq(rcs[i], KZ_OK, "case %zu (%s): %s", i + 1, cases[i], errs[i]);
            /* fields: OK text name title lang rawdate meta_expected meta_ours */
            char *f[8];
            char *whole = strdup(line);
            char *p = line;
            for (int k = 0; k < 8; k++) {
                f[k] = p;
                p = strchr(p, '\t');
                if (k < 7) {
                    cr_assert_not_null(p);
                    *p++ = '\0';
                }
            }
            char *ours = (char *)got[i].data;
            size_t prefix_len = (size_t)(f[5] - line); /* up to the raw date */
            cr_assert_eq(strncmp(ours, whole, prefix_len), 0, "case %zu: %s\nvs %s", i + 1, ours,
                         whole);
            free(whole);
            const char *our_date = ours + prefix_len;
            if (strcmp(f[5], "-") == 0) {
                cr_assert_str_eq(our_date, "-", "case %zu", i + 1);
            } else {
                size_t rl = strlen(f[5]) / 2;
                unsigned char raw[64] = {0};
                char norm[11];
                for (size_t k = 0; k < rl && k < 63; k++) sscanf(f[5] + 2 * k, "%2hhx", &raw[k]);
                if (kz_date_normalise(norm, (const char *)raw, rl)) {
                    cr_assert_str_eq(our_date, norm, "case %zu", i + 1);
                } else {
                    cr_assert_str_eq(our_date, "-", "case %zu", i + 1);
                }
            }
            cr_assert_str_eq(f[7], f[6], "case %zu: other fields", i + 1);
        }
        line = nl + 1;
    }
    for (size_t i = 0; i < n; i++) {
        kz_buf_free(&got[i]);
        free(errs[i]);
    }
    free(got);
    free(errs);
    free(rcs);
    free(out);
    kz_document_clear(&d);
    kz_buf_free(&all);
    kz_buf_free(&metas);
    free(in);
    free(meta);
    free(script);
    kzt_rmtree(dir);
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
