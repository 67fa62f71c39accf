/* gen.c - `kzbench gen`: a deterministic collection and query set for the bench target, made on
 * the spot so the suite needs no download.
 *
 * The collection is JSON Lines, one passage a line, in the format of ../shared/bench's
 * make-corpus ({"id","lang","title","text"}). English-like passages draw words from a synthetic
 * vocabulary (syllable words, shorter for frequent ranks) with Zipf-Mandelbrot frequencies,
 * sprinkled with capitalised names; Chinese-like passages draw real words from jieba's dict.txt
 * (the dictionary the build already compiles) in proportion to their corpus frequencies. Passage
 * lengths are log-normal, like paragraphs. The queries follow make-queries' categories and
 * syntax; their words are taken from a reservoir of generated passages, so `and` and `phrase`
 * queries have matches. Invariant: the same options and seed give byte-identical files. */
#include "bench.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define EN_VOCAB   60000
#define NAMES      2000
#define ZH_VOCAB   50000
#define RESERVOIR  6000 /* passages whose words the queries are drawn from */
#define STOP_RANKS 40   /* the most frequent ranks act as stop words: never query words alone */
#define MAX_WORDS  400  /* longest generated passage, in words */

typedef struct vocab {
    char **words;
    size_t n;
    double *cdf; /* cumulative weights, cdf[n-1] = 1 */
} vocab;

static void vocab_free(vocab *v)
{
    for (size_t i = 0; i < v->n; i++) free(v->words[i]);
    free(v->words);
    free(v->cdf);
}

static size_t vocab_sample(const vocab *v, kzb_rng *r)
{
    double u = kzb_rng_unit(r);
    size_t lo = 0, hi = v->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->cdf[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static void vocab_cdf(vocab *v, const double *weight)
{
    v->cdf = malloc(v->n * sizeof *v->cdf);
    if (v->cdf == NULL) kzb_die("out of memory");
    double sum = 0;
    for (size_t i = 0; i < v->n; i++) sum += weight[i];
    double acc = 0;
    for (size_t i = 0; i < v->n; i++) {
        acc += weight[i];
        v->cdf[i] = acc / sum;
    }
    v->cdf[v->n - 1] = 1.0;
}

/* ---- English-like words: onset + vowel (+ coda) syllables, unique ---- */

static const char *const ONSETS[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",
                                     "m",  "n",  "p",  "r",  "s",  "t",  "v",  "w",  "z",
                                     "br", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh",
                                     "st", "th", "tr", "ch", "sp", "",   "",   "qu", "wh"};
static const char *const VOWELS[] = {"a", "e", "i", "o", "u", "ea", "ou", "io", "ai", "y"};
static const char *const CODAS[] = {"",  "",  "",  "",  "",  "",   "",   "n",  "r",  "s",
                                    "t", "l", "m", "d", "x", "ng", "st", "rd", "nt", "ck"};
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

typedef struct strset { /* open addressing over word strings, to keep words distinct */
    const char **slot;
    size_t cap;
} strset;

static uint64_t str_hash(const char *s)
{
    return kzb_fold(KZB_FNV_INIT, s, strlen(s));
}

static int strset_add(strset *s, const char *w)
{
    size_t i = (size_t)(str_hash(w) & (s->cap - 1));
    while (s->slot[i]) {
        if (!strcmp(s->slot[i], w)) return 0;
        i = (i + 1) & (s->cap - 1);
    }
    s->slot[i] = w;
    return 1;
}

static char *make_word(kzb_rng *r, unsigned syllables, int capital)
{
    char buf[64];
    size_t n = 0;
    for (unsigned s = 0; s < syllables; s++) {
        const char *parts[3] = {ONSETS[kzb_rng_below(r, NELEM(ONSETS))],
                                VOWELS[kzb_rng_below(r, NELEM(VOWELS))],
                                CODAS[kzb_rng_below(r, NELEM(CODAS))]};
        for (int p = 0; p < 3; p++) {
            size_t l = strlen(parts[p]);
            if (n + l + 1 < sizeof buf) {
                memcpy(buf + n, parts[p], l);
                n += l;
            }
        }
    }
    buf[n] = '\0';
    if (capital && buf[0] >= 'a' && buf[0] <= 'z') buf[0] = (char)(buf[0] - 'a' + 'A');
    char *w = strdup(buf);
    if (w == NULL) kzb_die("out of memory");
    return w;
}

/* Frequent ranks get short words, as in natural languages. */
static unsigned syllables_for_rank(kzb_rng *r, size_t rank)
{
    if (rank < 100) return 1;
    if (rank < 5000) return 1 + (unsigned)kzb_rng_below(r, 2);
    return 2 + (unsigned)kzb_rng_below(r, 2);
}

static void make_words(vocab *v, size_t n, int names, kzb_rng *r, strset *seen, double zipf_s,
                       double zipf_q)
{
    v->n = n;
    v->words = calloc(n, sizeof *v->words);
    double *w = malloc(n * sizeof *w);
    if (v->words == NULL || w == NULL) kzb_die("out of memory");
    for (size_t i = 0; i < n; i++) {
        for (;;) {
            char *word = make_word(
                r, names ? 2 + (unsigned)kzb_rng_below(r, 2) : syllables_for_rank(r, i), names);
            /* one-letter words other than the first ranks would all collide */
            if (strlen(word) >= 2 && strset_add(seen, word)) {
                v->words[i] = word;
                break;
            }
            free(word);
        }
        w[i] = 1.0 / pow((double)i + zipf_q, zipf_s);
    }
    vocab_cdf(v, w);
    free(w);
}

/* ---- Chinese words from jieba's dictionary, weighted by their frequencies ---- */

typedef struct zh_entry {
    char *word;
    double freq;
} zh_entry;

static int cmp_zh(const void *a, const void *b)
{
    const zh_entry *x = a, *y = b;
    if (x->freq != y->freq) return x->freq < y->freq ? 1 : -1;
    return strcmp(x->word, y->word);
}

/* Whether s is made of CJK Unified Ideographs (U+4E00..U+9FFF: 3-byte E4..E9 sequences). */
static int all_han(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    if (!*p) return 0;
    while (*p) {
        if (p[0] < 0xE4 || p[0] > 0xE9 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80) return 0;
        p += 3;
    }
    return 1;
}

static void load_zh(vocab *v, const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) kzb_die("cannot open the Chinese dictionary %s (pass --zh-dict)", path);
    size_t n = 0, cap = 1 << 16;
    zh_entry *e = malloc(cap * sizeof *e);
    if (e == NULL) kzb_die("out of memory");
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char word[256];
        double freq;
        if (sscanf(line, "%255s %lf", word, &freq) != 2 || freq <= 0 || !all_han(word)) continue;
        if (n == cap) {
            cap *= 2;
            e = realloc(e, cap * sizeof *e);
            if (e == NULL) kzb_die("out of memory");
        }
        e[n].word = strdup(word);
        if (e[n].word == NULL) kzb_die("out of memory");
        e[n].freq = freq;
        n++;
    }
    fclose(f);
    if (n < 1000) kzb_die("%s: only %zu Chinese words; is it a jieba dict.txt?", path, n);
    qsort(e, n, sizeof *e, cmp_zh);
    v->n = n < ZH_VOCAB ? n : ZH_VOCAB;
    v->words = malloc(v->n * sizeof *v->words);
    double *w = malloc(v->n * sizeof *w);
    if (v->words == NULL || w == NULL) kzb_die("out of memory");
    for (size_t i = 0; i < n; i++) {
        if (i < v->n) {
            v->words[i] = e[i].word;
            w[i] = e[i].freq;
        } else {
            free(e[i].word);
        }
    }
    free(e);
    vocab_cdf(v, w);
    free(w);
}

/* ---- passages ---- */

/* A word of a generated passage: vocabulary rank, or a name (NAME_BIT | name index). */
#define NAME_BIT 0x80000000u

typedef struct sample {
    int zh;
    uint32_t n;
    uint32_t *w;
} sample;

typedef struct gen {
    kzb_rng rng;
    vocab en, names, zh;
    sample res[RESERVOIR];
    uint64_t seen_samples;
    char *text;
    size_t text_len, text_cap;
    uint32_t words[MAX_WORDS];
} gen;

static void put(gen *g, const char *s, size_t n)
{
    if (g->text_len + n + 1 > g->text_cap) {
        g->text_cap = (g->text_len + n + 1) * 2;
        g->text = realloc(g->text, g->text_cap);
        if (g->text == NULL) kzb_die("out of memory");
    }
    memcpy(g->text + g->text_len, s, n);
    g->text_len += n;
    g->text[g->text_len] = '\0';
}

static void puts_(gen *g, const char *s)
{
    put(g, s, strlen(s));
}

/* Log-normal length (median m, shape sigma) clamped to [lo, hi]. */
static uint32_t lognormal_len(kzb_rng *r, double median, double sigma, uint32_t lo, uint32_t hi)
{
    double u1 = kzb_rng_unit(r), u2 = kzb_rng_unit(r);
    double z = sqrt(-2.0 * log(u1 + 1e-300)) * cos(6.283185307179586 * u2);
    double v = median * exp(sigma * z);
    if (v < lo) return lo;
    if (v > hi) return hi;
    return (uint32_t)v;
}

static const char *word_of(const gen *g, int zh, uint32_t w)
{
    if (w & NAME_BIT) return g->names.words[w & ~NAME_BIT];
    return zh ? g->zh.words[w] : g->en.words[w];
}

/* English-like: sentences of 4..24 words, a capital at the start, commas now and then. */
static uint32_t gen_en(gen *g)
{
    uint32_t n = lognormal_len(&g->rng, 30, 0.9, 3, MAX_WORDS);
    uint32_t in_sentence = 0, sentence_len = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = kzb_rng_below(&g->rng, 50) == 0
                         ? NAME_BIT | (uint32_t)vocab_sample(&g->names, &g->rng)
                         : (uint32_t)vocab_sample(&g->en, &g->rng);
        g->words[i] = w;
        if (in_sentence == 0) sentence_len = 4 + (uint32_t)kzb_rng_below(&g->rng, 21);
        const char *s = word_of(g, 0, w);
        if (i) puts_(g, " ");
        if (in_sentence == 0 && s[0] >= 'a' && s[0] <= 'z') {
            char c = (char)(s[0] - 'a' + 'A');
            put(g, &c, 1);
            puts_(g, s + 1);
        } else {
            puts_(g, s);
        }
        in_sentence++;
        if (in_sentence == sentence_len || i + 1 == n) {
            puts_(g, ".");
            in_sentence = 0;
        } else if (kzb_rng_below(&g->rng, 12) == 0) {
            puts_(g, ",");
        }
    }
    return n;
}

/* Chinese-like: words without spaces, "，" and "。" as punctuation, a Latin name now and then. */
static uint32_t gen_zh(gen *g)
{
    uint32_t n = lognormal_len(&g->rng, 40, 0.7, 3, MAX_WORDS);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w = kzb_rng_below(&g->rng, 60) == 0
                         ? NAME_BIT | (uint32_t)vocab_sample(&g->names, &g->rng)
                         : (uint32_t)vocab_sample(&g->zh, &g->rng);
        g->words[i] = w;
        if (w & NAME_BIT) puts_(g, " ");
        puts_(g, word_of(g, 1, w));
        if (w & NAME_BIT) puts_(g, " ");
        uint64_t p = kzb_rng_below(&g->rng, 16);
        if (i + 1 == n || p == 0)
            puts_(g, "。");
        else if (p < 3)
            puts_(g, "，");
    }
    return n;
}

static void title(gen *g, int zh, char *out, size_t cap)
{
    size_t n = 0;
    unsigned words = 2 + (unsigned)kzb_rng_below(&g->rng, 4);
    for (unsigned i = 0; i < words; i++) {
        const char *w = zh ? g->zh.words[vocab_sample(&g->zh, &g->rng)]
                           : g->en.words[vocab_sample(&g->en, &g->rng)];
        size_t l = strlen(w);
        if (n + l + 2 >= cap) break;
        if (i && !zh) out[n++] = ' ';
        memcpy(out + n, w, l);
        if (!zh && i == 0 && out[n] >= 'a' && out[n] <= 'z') out[n] = (char)(out[n] - 'a' + 'A');
        n += l;
    }
    out[n] = '\0';
}

/* Reservoir sampling (algorithm R) of passages, so queries come from the whole collection. */
static void keep_sample(gen *g, int zh, uint32_t n)
{
    uint64_t slot =
        g->seen_samples < RESERVOIR ? g->seen_samples : kzb_rng_below(&g->rng, g->seen_samples + 1);
    g->seen_samples++;
    if (slot >= RESERVOIR) return;
    sample *s = &g->res[slot];
    free(s->w);
    s->w = malloc(n * sizeof *s->w);
    if (s->w == NULL) kzb_die("out of memory");
    memcpy(s->w, g->words, n * sizeof *s->w);
    s->n = n;
    s->zh = zh;
}

/* ---- queries ---- */

static int content(uint32_t w)
{
    return (w & NAME_BIT) || w >= STOP_RANKS;
}

/* A random sample of the wanted language holding at least `need` content words. */
static const sample *pick_sample(gen *g, int zh, uint32_t need)
{
    size_t have = g->seen_samples < RESERVOIR ? (size_t)g->seen_samples : RESERVOIR;
    for (int tries = 0; tries < 10000; tries++) {
        const sample *s = &g->res[kzb_rng_below(&g->rng, have)];
        if (s->zh != zh) continue;
        uint32_t c = 0;
        for (uint32_t i = 0; i < s->n; i++) c += content(s->w[i]) && !(s->w[i] & NAME_BIT);
        if (c >= need) return s;
    }
    return NULL;
}

/* n distinct content words (not names) of s. */
static void pick_words(gen *g, const sample *s, uint32_t *out, uint32_t n)
{
    uint32_t got = 0;
    while (got < n) {
        uint32_t w = s->w[kzb_rng_below(&g->rng, s->n)];
        if (!content(w) || (w & NAME_BIT)) continue;
        int dup = 0;
        for (uint32_t j = 0; j < got; j++) dup |= out[j] == w;
        if (!dup) out[got++] = w;
    }
}

static void lower_print(FILE *f, const char *s)
{
    for (; *s; s++) fputc(*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s, f);
}

static int write_query(gen *g, FILE *f, const char *cat)
{
    uint32_t w[3];
    if (!strcmp(cat, "term") || !strcmp(cat, "or2") || !strcmp(cat, "or3") ||
        !strcmp(cat, "and2") || !strcmp(cat, "and3")) {
        uint32_t n = cat[0] == 't' ? 1 : (uint32_t)(cat[strlen(cat) - 1] - '0');
        int must = cat[0] == 'a';
        /* Words of an "and" query come from one passage, so that most have matches; those of
         * an "or" query from different passages (independent, as typed). */
        if (must) {
            const sample *s = pick_sample(g, 0, n);
            if (s == NULL) return 0;
            pick_words(g, s, w, n);
        }
        for (uint32_t i = 0; i < n && !must; i++) {
            const sample *s = pick_sample(g, 0, 1);
            if (s == NULL) return 0;
            pick_words(g, s, &w[i], 1);
            for (uint32_t j = 0; j < i; j++)
                if (w[j] == w[i]) {
                    i--; /* a repeated word: draw again */
                    break;
                }
        }
        fprintf(f, "%s\t", cat);
        for (uint32_t i = 0; i < n; i++) {
            fputs(i ? (must ? " +" : " ") : (must ? "+" : ""), f);
            lower_print(f, g->en.words[w[i]]);
        }
        fputc('\n', f);
        return 1;
    }
    if (!strcmp(cat, "phrase")) {
        const sample *s = pick_sample(g, 0, 2);
        if (s == NULL || s->n < 3) return 0;
        uint32_t len = 2 + (uint32_t)kzb_rng_below(&g->rng, 2);
        for (int tries = 0; tries < 100; tries++) {
            uint32_t at = (uint32_t)kzb_rng_below(&g->rng, s->n - len + 1);
            uint32_t c = 0;
            for (uint32_t i = 0; i < len; i++) c += content(s->w[at + i]);
            if (c == 0) continue;
            fprintf(f, "phrase\t\"");
            for (uint32_t i = 0; i < len; i++) {
                if (i) fputc(' ', f);
                lower_print(f, word_of(g, 0, s->w[at + i]));
            }
            fputs("\"\n", f);
            return 1;
        }
        return 0;
    }
    if (!strcmp(cat, "zh")) {
        uint32_t n = 1 + (uint32_t)kzb_rng_below(&g->rng, 3);
        const sample *s = pick_sample(g, 1, n);
        if (s == NULL) return 0;
        pick_words(g, s, w, n);
        fputs("zh\t", f);
        for (uint32_t i = 0; i < n; i++) fprintf(f, "%s%s", i ? " " : "", g->zh.words[w[i]]);
        fputc('\n', f);
        return 1;
    }
    /* mixed: a word and a name of the same passage */
    for (int tries = 0; tries < 1000; tries++) {
        const sample *s = pick_sample(g, 0, 1);
        if (s == NULL) return 0;
        uint32_t name = UINT32_MAX;
        for (uint32_t i = 0; i < s->n && name == UINT32_MAX; i++)
            if (s->w[i] & NAME_BIT) name = s->w[i];
        if (name == UINT32_MAX) continue;
        pick_words(g, s, w, 1);
        fprintf(f, "mixed\t%s %s\n", g->en.words[w[0]], word_of(g, 0, name));
        return 1;
    }
    return 0;
}

/* make-queries' category mix (queries-dev.tsv: 400 term, 240 or2, 200 or3, 240 and2, 200 and3,
 * 260 phrase, 300 zh, 160 mixed of 2000). */
static const struct {
    const char *cat;
    unsigned per2000;
} MIX[] = {{"term", 400}, {"or2", 240},    {"or3", 200}, {"and2", 240},
           {"and3", 200}, {"phrase", 260}, {"zh", 300},  {"mixed", 160}};

static void write_queries(gen *g, FILE *f, unsigned total, double zh_share)
{
    unsigned n[NELEM(MIX)], sum = 0;
    for (size_t c = 0; c < NELEM(MIX); c++) {
        n[c] = (unsigned)((uint64_t)total * MIX[c].per2000 / 2000);
        if (zh_share <= 0 && !strcmp(MIX[c].cat, "zh")) n[c] = 0;
        sum += n[c];
    }
    /* Interleave categories, as make-queries does, by drawing a category for each line. */
    while (sum > 0) {
        uint64_t x = kzb_rng_below(&g->rng, sum);
        size_t c = 0;
        while (x >= n[c]) x -= n[c++];
        if (write_query(g, f, MIX[c].cat)) {
            n[c]--;
            sum--;
        } else if (++n[c] > 1000000) {
            kzb_die("cannot draw %s queries from this collection", MIX[c].cat);
        }
    }
}

int kzb_gen_run(const kzb_gen_opts *o)
{
    gen *g = calloc(1, sizeof *g);
    if (g == NULL) kzb_die("out of memory");
    kzb_rng_seed(&g->rng, o->seed);
    strset seen = {calloc(1u << 18, sizeof(char *)), 1u << 18};
    if (seen.slot == NULL) kzb_die("out of memory");
    /* s = 1.07, q = 2.7: the Zipf-Mandelbrot fit of English word frequencies. */
    make_words(&g->en, EN_VOCAB, 0, &g->rng, &seen, 1.07, 2.7);
    make_words(&g->names, NAMES, 1, &g->rng, &seen, 1.0, 1.0);
    free(seen.slot);
    if (o->zh_share > 0) load_zh(&g->zh, o->zh_dict);

    mkdir(o->out_dir, 0777);
    size_t plen = strlen(o->out_dir) + 32;
    char *path = malloc(plen);
    if (path == NULL) kzb_die("out of memory");
    snprintf(path, plen, "%s/corpus.jsonl", o->out_dir);
    FILE *f = fopen(path, "w");
    if (f == NULL) kzb_die("cannot write %s", path);
    setvbuf(f, NULL, _IOFBF, 1 << 20);
    uint64_t raw = 0;
    char ttl[256] = "";
    int zh = 0;
    for (uint64_t i = 0; i < o->passages; i++) {
        /* Documents of 1..16 passages share a title and a language. */
        if (i == 0 || kzb_rng_below(&g->rng, 6) == 0) {
            zh = o->zh_share > 0 && kzb_rng_unit(&g->rng) < o->zh_share;
            title(g, zh, ttl, sizeof ttl);
        }
        g->text_len = 0;
        uint32_t n = zh ? gen_zh(g) : gen_en(g);
        keep_sample(g, zh, n);
        fprintf(f,
                "{\"id\": \"gen/%llu\", \"lang\": \"%s\", \"title\": \"%s\", \"text\": \"%s\"}\n",
                (unsigned long long)i, zh ? "zh" : "en", ttl, g->text);
        raw += strlen(ttl) + g->text_len;
    }
    if (fclose(f) != 0) kzb_die("cannot write %s", path);
    fprintf(stderr, "kzbench gen: %s: %llu passages, %.1f MB of text (seed %llu)\n", path,
            (unsigned long long)o->passages, (double)raw / 1e6, (unsigned long long)o->seed);

    snprintf(path, plen, "%s/queries.tsv", o->out_dir);
    f = fopen(path, "w");
    if (f == NULL) kzb_die("cannot write %s", path);
    write_queries(g, f, o->nqueries, o->zh_share);
    if (fclose(f) != 0) kzb_die("cannot write %s", path);
    fprintf(stderr, "kzbench gen: %s: %u queries\n", path, o->nqueries);

    free(path);
    for (size_t i = 0; i < RESERVOIR; i++) free(g->res[i].w);
    free(g->text);
    vocab_free(&g->en);
    vocab_free(&g->names);
    if (o->zh_share > 0) vocab_free(&g->zh);
    free(g);
    return 0;
}
