/* kz_mkt2s.c - build-time tool: writes the C tables of what OpenCC's t2s conversion does (see
 * t2s_phrases.h): the multi-character keys of its dictionaries, read from their text dumps
 * (`opencc_dict -f ocd2 -t text`); the characters below KZ_T2S_LIMIT that OpenCC changes alone,
 * with what they change into, got by asking OpenCC itself (config OPENCC_DIR/t2s.json) the way
 * t2s.c would ask at run time; and the fingerprint of the OpenCC directory both came from.
 *
 * Usage: kz_mkt2s OPENCC_DIR PHRASES.txt CHARACTERS.txt OUT.c. A dump line is
 * "key<TAB>value[ value...]"; keys of one character are left out (the character table covers
 * them, as OpenCC applies them). Fails, saying why, when OpenCC cannot be opened or its answer
 * does not have one line per character asked. Writes OUT.c through a temporary file renamed into
 * place, so an interrupted build never leaves a truncated table. Not part of the library: it is
 * built from the few sources it needs. */
#include "error.h"
#include "file.h"
#include "t2s_phrases.h"
#include "utf8.h"

#include <inttypes.h>
#include <opencc/opencc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct key {
    uint32_t *cps;
    size_t n;
} key;

typedef struct keys {
    key *v;
    size_t n, cap;
} keys;

static int cmp_key(const void *pa, const void *pb)
{
    const key *a = pa, *b = pb;
    for (size_t i = 0; i < a->n && i < b->n; i++)
        if (a->cps[i] != b->cps[i]) return a->cps[i] < b->cps[i] ? -1 : 1;
    return (a->n > b->n) - (a->n < b->n);
}

/* Adds the multi-character keys of one dump to ks; returns 0 or prints why not. */
static int read_dump(const char *path, keys *ks)
{
    uint8_t *data;
    size_t len;
    if (kz_file_read_all(path, 256u << 20, "dictionary dump", &data, &len) != KZ_OK) {
        fprintf(stderr, "kz_mkt2s: %s\n", kz_errmsg());
        return -1;
    }
    int rc = 0;
    const uint8_t *p = data, *end = data + len;
    for (size_t line = 1; p < end && rc == 0; line++) {
        const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL) eol = end;
        const uint8_t *tab = memchr(p, '\t', (size_t)(eol - p));
        if (tab == NULL || tab == p || kz_utf8_validate(p, (size_t)(tab - p), NULL) != KZ_OK) {
            fprintf(stderr, "kz_mkt2s: %s:%zu: not a \"key<TAB>value\" line\n", path, line);
            rc = -1;
            break;
        }
        size_t n = 0;
        for (const uint8_t *q = p; q < tab; n++) {
            uint32_t cp;
            q += kz_utf8_decode(q, tab, &cp);
        }
        if (n >= 2) {
            uint32_t *cps = malloc(n * sizeof *cps);
            if (ks->n == ks->cap) {
                size_t cap = ks->cap ? 2 * ks->cap : 256;
                key *v = realloc(ks->v, cap * sizeof *v);
                if (v != NULL) {
                    ks->v = v;
                    ks->cap = cap;
                }
            }
            if (cps == NULL || ks->n == ks->cap) {
                free(cps);
                fprintf(stderr, "kz_mkt2s: out of memory\n");
                rc = -1;
                break;
            }
            size_t i = 0;
            for (const uint8_t *q = p; q < tab; i++) q += kz_utf8_decode(q, tab, &cps[i]);
            ks->v[ks->n++] = (key){cps, n};
        }
        p = eol < end ? eol + 1 : end;
    }
    free(data);
    return rc;
}

/* The characters that change alone: from[i] becomes to[i]; from is increasing. */
typedef struct changes {
    uint32_t *from, *to;
    size_t n;
} changes;

/* Asks the OpenCC of directory dir about each code point it can be asked about (kz_t2s_askable:
 * [1, KZ_T2S_LIMIT) but '\n' and the surrogates), each alone, in one conversion, and keeps in ch
 * those that change (kz_t2s_answer's rule); returns 0 or prints why not. */
static int ask_opencc(const char *dir, changes *ch)
{
    char config[4096];
    if ((size_t)snprintf(config, sizeof config, "%s/t2s.json", dir) >= sizeof config) {
        fprintf(stderr, "kz_mkt2s: OpenCC directory name too long: %s\n", dir);
        return -1;
    }
    size_t n = 0;
    uint32_t *ask = malloc(KZ_T2S_LIMIT * sizeof *ask);
    uint8_t *question = malloc(KZ_T2S_QUESTION_MAX(KZ_T2S_LIMIT));
    ch->from = malloc(KZ_T2S_LIMIT * sizeof *ch->from);
    ch->to = malloc(KZ_T2S_LIMIT * sizeof *ch->to);
    ch->n = 0;
    if (ask == NULL || question == NULL || ch->from == NULL || ch->to == NULL) {
        fprintf(stderr, "kz_mkt2s: out of memory\n");
        free(ask);
        free(question);
        return -1;
    }
    for (uint32_t cp = 0; cp < KZ_T2S_LIMIT; cp++)
        if (kz_t2s_askable(cp)) ask[n++] = cp;
    size_t len = kz_t2s_question(ask, n, question);

    int rc = -1;
    opencc_t cc = opencc_open(config);
    char *conv = NULL;
    if (cc == (opencc_t)-1 || cc == NULL) {
        fprintf(stderr,
                "kz_mkt2s: cannot open OpenCC's configuration %s (%s): the build asks OpenCC "
                "how it converts each character; apt-get install --reinstall libopencc-data\n",
                config, opencc_error());
        cc = NULL;
    } else if ((conv = opencc_convert_utf8(cc, (const char *)question, len)) == NULL) {
        fprintf(stderr, "kz_mkt2s: OpenCC cannot convert the %zu characters asked about: %s\n", n,
                opencc_error());
    } else {
        const uint8_t *p = (const uint8_t *)conv, *end = p + strlen(conv);
        size_t i = 0;
        for (; i < n && p < end; i++) {
            uint32_t to;
            p = kz_t2s_answer(p, end, ask[i], &to);
            if (to == ask[i]) continue;
            ch->from[ch->n] = ask[i];
            ch->to[ch->n++] = to;
        }
        if (i == n && p == end)
            rc = 0;
        else
            fprintf(stderr,
                    "kz_mkt2s: OpenCC answered %zu characters, one a line, with %s lines than "
                    "characters: it no longer converts each line on its own, which t2s.c "
                    "relies on\n",
                    n, i < n ? "fewer" : "more");
    }
    if (conv != NULL) opencc_convert_utf8_free(conv);
    if (cc != NULL) opencc_close(cc);
    free(question);
    free(ask);
    return rc;
}

/* Writes n numbers, 8 a line, as the body of a C array. */
static void write_numbers(FILE *f, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s0x%05" PRIx32 ",%s", i % 8 == 0 ? "    " : " ", v[i],
                i % 8 == 7 || i + 1 == n ? "\n" : "");
    if (n == 0) fprintf(f, "    0\n"); /* C has no empty arrays */
}

static int write_table(FILE *f, const char *dir, uint64_t fingerprint, const keys *ks,
                       const changes *ch)
{
    fprintf(f,
            "/* kz_t2s_phrases.c - generated by kz_mkt2s (cmake/t2s.cmake) from the OpenCC in "
            "%s:\n * its %zu t2s keys of two or more characters, and the %zu characters it "
            "changes alone\n * into one other (see t2s_phrases.h). */\n#include "
            "\"t2s_phrases.h\"\n\n",
            dir, ks->n, ch->n);
    fprintf(f, "const uint64_t kz_t2s_phrase_fingerprint = UINT64_C(0x%016" PRIx64 ");\n",
            fingerprint);
    fprintf(f, "const uint32_t kz_t2s_phrase_count = %zu;\n", ks->n);
    fprintf(f, "const uint32_t kz_t2s_char_count = %zu;\n\n", ch->n);
    fprintf(f, "const uint32_t kz_t2s_phrase_cps[] = {\n");
    size_t total = 0;
    for (size_t i = 0; i < ks->n; i++) {
        fprintf(f, "   ");
        for (size_t j = 0; j < ks->v[i].n; j++) fprintf(f, " 0x%05" PRIx32 ",", ks->v[i].cps[j]);
        fprintf(f, "\n");
        total += ks->v[i].n;
    }
    if (ks->n == 0) fprintf(f, "    0\n");
    fprintf(f, "};\n\nconst uint32_t kz_t2s_phrase_ends[] = {\n");
    size_t at = 0;
    for (size_t i = 0; i < ks->n; i++) {
        at += ks->v[i].n;
        fprintf(f, "%s%zu,%s", i % 12 == 0 ? "    " : " ", at,
                i % 12 == 11 || i + 1 == ks->n ? "\n" : "");
    }
    if (ks->n == 0) fprintf(f, "    0\n");
    fprintf(f, "};\n\nconst uint32_t kz_t2s_char_from[] = {\n");
    write_numbers(f, ch->from, ch->n);
    fprintf(f, "};\n\nconst uint32_t kz_t2s_char_to[] = {\n");
    write_numbers(f, ch->to, ch->n);
    fprintf(f, "};\n");
    return at == total && !ferror(f) ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s OPENCC_DIR PHRASES.txt CHARACTERS.txt OUT.c\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1], *out = argv[4];
    keys ks = {0};
    changes ch = {0};
    uint64_t fingerprint;
    int ok = kz_t2s_fingerprint(dir, &fingerprint) == KZ_OK;
    if (!ok) fprintf(stderr, "kz_mkt2s: %s\n", kz_errmsg());
    ok = ok && read_dump(argv[2], &ks) == 0 && read_dump(argv[3], &ks) == 0;
    ok = ok && ask_opencc(dir, &ch) == 0;
    if (ok) {
        qsort(ks.v, ks.n, sizeof *ks.v, cmp_key);
        for (size_t i = 1; i < ks.n; i++) /* a key in both dictionaries is one key */
            if (cmp_key(&ks.v[i - 1], &ks.v[i]) == 0) {
                free(ks.v[i - 1].cps);
                ks.v[i - 1].cps = NULL;
            }
        size_t kept = 0;
        for (size_t i = 0; i < ks.n; i++)
            if (ks.v[i].cps != NULL) ks.v[kept++] = ks.v[i];
        ks.n = kept;
    }
    char tmp[4096];
    if (ok && (size_t)snprintf(tmp, sizeof tmp, "%s.tmp", out) >= sizeof tmp) {
        fprintf(stderr, "kz_mkt2s: output name too long\n");
        ok = 0;
    }
    if (ok) {
        FILE *f = fopen(tmp, "w");
        ok = f != NULL && write_table(f, dir, fingerprint, &ks, &ch) == 0;
        if (f != NULL && fclose(f) != 0) ok = 0;
        if (!ok || rename(tmp, out) != 0) {
            perror(tmp);
            remove(tmp);
            ok = 0;
        } else {
            printf("kz_mkt2s: %zu OpenCC keys of two or more characters, %zu characters that "
                   "change alone, fingerprint %016" PRIx64 "\n",
                   ks.n, ch.n, fingerprint);
        }
    }
    for (size_t i = 0; i < ks.n; i++) free(ks.v[i].cps);
    free(ks.v);
    free(ch.from);
    free(ch.to);
    return ok ? 0 : 1;
}
