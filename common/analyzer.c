/* analyzer.c - the analysis pipeline: text → tokens (term, position, byte offsets, script).
 *
 * Per text: optional strict UTF-8 check; UAX #29 word segments (wordbreak.h) in order. A segment
 * holding a Han character joins the current Han run if it starts where the run ends; any other
 * segment ends the run. Segments with no letter and no digit are skipped. A word segment is
 * normalised (normalize.h), assigned a script from its first character of a specific script,
 * stemmed by that script if it is made of letters only (stem.h), cut to KZ_TERM_MAX bytes and
 * emitted at the next position. A Han run is normalised character by character (so each output
 * character knows its input bytes), converted Traditional→Simplified one character per character
 * (t2s.h), segmented (zh_segment.h, search mode for indexing, precise mode for queries), and each
 * piece emitted at position base + word, with the byte range of its first and last characters.
 *
 * Ownership and sharing: an analyzer_core holds what is read-only after creation — the options
 * and the Chinese dictionary (and the blob under it) — and is reference-counted; clones share
 * it. On an index's dictionary (kz_analyzer_new_with_dict) the dictionary is verified and
 * opened at the first Han run any of those analyzers meets, under the core's lock, not when the
 * analyzer is made: checking 8 MB is most of a command-line search's start-up, and a query or
 * snippet without Chinese never needs it. When the index's dictionary is the one built into the
 * library (same identity), the built-in copy is used without checking it (zh_dict.h:
 * kz_zhdict_open_trusted), and the index's file is not read; `kzsearch check` still verifies
 * the file. Each analyzer makes its segmenter at its first run. Each kz_analyzer owns what is mutable during analysis: the Snowball stemmers and their
 * cache, the OpenCC handle and its memo, the segmenter's scratch and its own buffers. So two
 * analyzers never share mutable state, and kz_analyze allocates only while its buffers grow to
 * the longest word and run seen, and when OpenCC converts a run with Traditional characters. */
#include "analyzer_internal.h"

#include "buf.h"
#include "error.h"
#include "file.h"
#include "normalize.h"
#include "stem.h"
#include "t2s.h"
#include "termdict.h"
#include "unicode_props.h"
#include "utf8.h"
#include "wordbreak.h"
#include "zh_dict.h"
#include "zh_segment.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A word's term is made from its first 1 KiB only. Terms are cut at KZ_TERM_MAX (255) bytes
 * anyway, and only a word whose first KiB is mostly default ignorables or long combining
 * sequences could normalise to less than that; such a word gets a shorter term than its whole
 * text would give, the same one every time. This bounds the work spent on a 10 MB "word" of
 * garbage. */
#define KZ_WORD_INPUT_MAX 1024

/* A Han run is cut after this many characters: the segmenter windows long runs itself, but the
 * per-character bookkeeping here would otherwise grow with the run (a 10 MB line of Han). Real
 * text puts punctuation far more often than this. */
#define KZ_HAN_RUN_MAX KZ_ZH_WINDOW

typedef struct analyzer_core {
    atomic_int refs;
    kz_analyzer_options opts; /* zh_dict is not kept (NULL) */
    void *dict_blob;       /* the dictionary file's bytes when read from opts->zh_dict, else NULL */
    const void *lazy_blob; /* a borrowed blob not opened yet (see core_dict), else NULL */
    size_t lazy_len;
    uint64_t dict_hash;
    pthread_mutex_t dict_lock;
    atomic_int dict_state; /* 1: dict is open; 0: not yet (lazy_blob); < 0: it failed so */
    kz_zhdict *dict;
} analyzer_core;

struct kz_analyzer {
    analyzer_core *core;
    kz_stemmer *stemmer;
    kz_t2s *t2s; /* NULL when no_t2s */
    kz_zh_segmenter *seg;
    kz_normalizer norm;
    int surface;
    int query_mode; /* Chinese precise mode; starts as the options say */
    kz_buf word;    /* a normalised word */
    kz_buf term;    /* a Han piece's term */
    /* The current Han run: character i is run_cp[i] at bytes [run_off[i], run_off[i + 1]). */
    uint32_t *run_cp;
    size_t *run_off;
    size_t run_n, run_cap;
    /* The normalised run: character j is norm_cp[j], from run character norm_src[j]; conv_cp is
     * norm_cp converted to Simplified. */
    uint32_t *norm_cp, *conv_cp;
    uint32_t *norm_src;
    size_t norm_n, norm_cap;
};

/* ---- the shared core */

static void core_release(analyzer_core *c)
{
    if (c == NULL) return;
    if (atomic_fetch_sub(&c->refs, 1) != 1) return;
    kz_zhdict_free(c->dict);
    free(c->dict_blob);
    pthread_mutex_destroy(&c->dict_lock);
    free(c);
}

/* The dictionary built into the library, trusted (zh_dict.h: kz_zhdict_open_trusted). */
static int open_builtin(kz_zhdict **out)
{
    size_t len;
    const void *blob = kz_zhdict_builtin(&len);
    return kz_zhdict_open_trusted(out, blob, len);
}

/* The dictionary of a borrowed blob: the built-in one when the blob's identity is the built-in
 * dictionary's (an index made by this build, or by one with the same dictionary), so that the
 * blob is neither verified nor read at all; else the blob itself, verified. Either way the
 * dictionary has the identity the blob's header gives, which the index's manifest records. */
static int open_borrowed(analyzer_core *c)
{
    size_t len;
    const void *blob = kz_zhdict_builtin(&len);
    uint64_t builtin;
    if (kz_zhdict_peek_hash(blob, len, &builtin) == KZ_OK && builtin == c->dict_hash)
        return open_builtin(&c->dict);
    KZ_TRY(kz_zhdict_open(&c->dict, c->lazy_blob, c->lazy_len));
    return kz_zhdict_hash(c->dict) == c->dict_hash ? KZ_OK : KZ_ECORRUPT;
}

static int core_new(analyzer_core **out, const kz_analyzer_options *opts, const void *blob,
                    size_t len, int have_blob)
{
    int rc = KZ_OK;
    kz_analyzer_options defaults = KZ_ANALYZER_OPTIONS_INIT;
    *out = NULL;
    if (opts == NULL) opts = &defaults;
    if (opts->version != KZ_ANALYZER_OPTIONS_VERSION)
        return kz_fail(KZ_EINVAL,
                       "analyzer options have version %u, this library knows %u: "
                       "initialise them with KZ_ANALYZER_OPTIONS_INIT",
                       opts->version, KZ_ANALYZER_OPTIONS_VERSION);
    if (opts->utf8_policy != KZ_UTF8_REPLACE && opts->utf8_policy != KZ_UTF8_REJECT)
        return kz_fail(KZ_EINVAL,
                       "unknown UTF-8 policy %d (use KZ_UTF8_REPLACE or "
                       "KZ_UTF8_REJECT)",
                       opts->utf8_policy);
    analyzer_core *c = calloc(1, sizeof *c);
    if (c == NULL) return KZ_ENOMEM_FAIL();
    atomic_init(&c->refs, 1);
    pthread_mutex_init(&c->dict_lock, NULL);
    atomic_init(&c->dict_state, 1);
    c->opts = *opts;
    c->opts.zh_dict = NULL;

    if (have_blob) { /* borrowed (analyzer_internal.h), opened at the first Han run */
        KZ_CHECK(kz_zhdict_peek_hash(blob, len, &c->dict_hash));
        c->lazy_blob = blob;
        c->lazy_len = len;
        atomic_store(&c->dict_state, 0);
    } else if (opts->zh_dict != NULL) {
        /* Compiled dictionaries are a few MB; 1 GiB bounds a wrong path to a huge file. */
        uint8_t *blob_bytes;
        KZ_CHECK(kz_file_read_all(opts->zh_dict, (size_t)1 << 30, "Chinese dictionary", &blob_bytes,
                                  &len));
        c->dict_blob = blob_bytes;
        rc = kz_zhdict_open(&c->dict, c->dict_blob, len);
        if (rc < 0) {
            kz_fail_context(rc, "Chinese dictionary %s", opts->zh_dict);
            goto done;
        }
    } else {
        KZ_CHECK(open_builtin(&c->dict));
    }
    if (c->dict) c->dict_hash = kz_zhdict_hash(c->dict);
    *out = c;
    c = NULL;
done:
    core_release(c);
    return rc;
}

/* The core's dictionary, opened (and verified) on first use by whichever analyzer needs it
 * first; a failure is remembered, so every later use reports it too. */
static int core_dict(analyzer_core *c, const kz_zhdict **out)
{
    int state = atomic_load_explicit(&c->dict_state, memory_order_acquire);
    if (state == 0) {
        pthread_mutex_lock(&c->dict_lock);
        state = atomic_load_explicit(&c->dict_state, memory_order_relaxed);
        if (state == 0) {
            int rc = open_borrowed(c);
            state = rc < 0 ? rc : 1;
            atomic_store_explicit(&c->dict_state, state, memory_order_release);
        }
        pthread_mutex_unlock(&c->dict_lock);
    }
    if (state < 0)
        return kz_fail(state,
                       "the index's Chinese dictionary (zh.dict) is damaged: remove the index "
                       "directory and index again");
    *out = c->dict;
    return KZ_OK;
}

/* ---- analyzers */

static int analyzer_on_core(kz_analyzer **out, analyzer_core *core)
{
    int rc = KZ_OK;
    *out = NULL;
    kz_analyzer *a = calloc(1, sizeof *a);
    if (a == NULL) return KZ_ENOMEM_FAIL();
    atomic_fetch_add(&core->refs, 1);
    a->core = core;
    a->query_mode = core->opts.query_mode != 0;
    KZ_CHECK(kz_stemmer_new(&a->stemmer));
    if (!core->opts.no_t2s) KZ_CHECK(kz_t2s_new(&a->t2s));
    *out = a; /* the segmenter: at the first Han run (flush_run) */
    a = NULL;
done:
    kz_analyzer_free(a);
    return rc;
}

static int analyzer_new(kz_analyzer **out, const kz_analyzer_options *opts, const void *blob,
                        size_t len, int have_blob)
{
    analyzer_core *core;
    *out = NULL;
    KZ_TRY(core_new(&core, opts, blob, len, have_blob));
    int rc = analyzer_on_core(out, core);
    core_release(core); /* the analyzer holds its own reference */
    return rc;
}

int kz_analyzer_new(kz_analyzer **out, const kz_analyzer_options *opts)
{
    if (out == NULL) return kz_fail(KZ_EINVAL, "kz_analyzer_new: out is NULL");
    return analyzer_new(out, opts, NULL, 0, 0);
}

int kz_analyzer_new_with_dict(kz_analyzer **out, const kz_analyzer_options *opts, const void *blob,
                              size_t len)
{
    if (out == NULL || (blob == NULL && len > 0))
        return kz_fail(KZ_EINVAL, "kz_analyzer_new_with_dict: NULL argument");
    return analyzer_new(out, opts, blob, len, 1);
}

int kz_analyzer_clone(kz_analyzer **out, const kz_analyzer *analyzer)
{
    if (out == NULL || analyzer == NULL)
        return kz_fail(KZ_EINVAL, "kz_analyzer_clone: NULL argument");
    KZ_TRY(analyzer_on_core(out, analyzer->core));
    (*out)->surface = analyzer->surface;
    (*out)->query_mode = analyzer->query_mode;
    return KZ_OK;
}

void kz_analyzer_free(kz_analyzer *a)
{
    if (a == NULL) return;
    kz_stemmer_free(a->stemmer);
    kz_t2s_free(a->t2s);
    kz_zh_segmenter_free(a->seg);
    kz_normalizer_free(&a->norm);
    kz_buf_free(&a->word);
    kz_buf_free(&a->term);
    free(a->run_cp);
    free(a->run_off);
    free(a->norm_cp);
    free(a->conv_cp);
    free(a->norm_src);
    core_release(a->core);
    free(a);
}

uint64_t kz_analyzer_dict_hash(const kz_analyzer *a)
{
    return a->core->dict_hash;
}

void kz_analyzer_set_query_mode(kz_analyzer *a, int query_mode)
{
    a->query_mode = query_mode != 0;
}

void kz_analyzer_set_surface(kz_analyzer *a, int surface)
{
    a->surface = surface != 0;
}

const char *kz_script_name(int script)
{
    switch (script) {
    case KZ_SCRIPT_LATIN:
        return "latin";
    case KZ_SCRIPT_CYRILLIC:
        return "cyrillic";
    case KZ_SCRIPT_HAN:
        return "han";
    case KZ_SCRIPT_DIGIT:
        return "digit";
    case KZ_SCRIPT_KANA:
        return "kana";
    case KZ_SCRIPT_HANGUL:
        return "hangul";
    default:
        return "other";
    }
}

/* ---- one analysis */

typedef struct run_state {
    kz_analyzer *a;
    const uint8_t *text;
    kz_token_fn fn;
    void *ctx;
    uint32_t pos; /* position of the next token */
} run_state;

/* The number of bytes of s[0..len) that fit in max bytes without splitting a character. */
static size_t cut_at_char(const uint8_t *s, size_t len, size_t max)
{
    if (len <= max) return len;
    size_t n = max;
    while (n > 0 && (s[n] & 0xC0) == 0x80) n--;
    return n;
}

static int emit(run_state *st, const uint8_t *term, size_t len, uint32_t pos, size_t start,
                size_t end, int script)
{
    kz_token t;
    len = cut_at_char(term, len, KZ_TERM_MAX);
    if (len == 0) return 0;
    t.term = (const char *)term;
    t.term_len = len;
    t.position = pos;
    t.start = start;
    t.end = end;
    t.script = script;
    return st->fn(st->ctx, &t);
}

static int script_of_prop(kz_ucd_script sc)
{
    switch (sc) {
    case KZ_UCD_SC_LATIN:
        return KZ_SCRIPT_LATIN;
    case KZ_UCD_SC_CYRILLIC:
        return KZ_SCRIPT_CYRILLIC;
    case KZ_UCD_SC_HAN:
        return KZ_SCRIPT_HAN;
    case KZ_UCD_SC_HIRAGANA:
    case KZ_UCD_SC_KATAKANA:
        return KZ_SCRIPT_KANA;
    case KZ_UCD_SC_HANGUL:
        return KZ_SCRIPT_HANGUL;
    default:
        return KZ_SCRIPT_OTHER;
    }
}

/* The script of a word segment: a segment without letters is a number; otherwise the script of
 * its first character whose script is specific (not Common or Inherited, such as digits and
 * combining marks); a word of letters from Common alone (rare) is OTHER, or KANA when the word
 * breaker saw kana-class characters (the prolonged sound mark ー is Common). */
static int word_script(const uint8_t *s, size_t len, unsigned flags)
{
    if (!(flags & KZ_WB_HAS_LETTER)) return KZ_SCRIPT_DIGIT;
    const uint8_t *p = s, *end = s + len;
    while (p < end) {
        uint32_t cp;
        p += kz_utf8_decode(p, end, &cp);
        kz_ucd_script sc = kz_script_prop(cp);
        if (sc != KZ_UCD_SC_COMMON && sc != KZ_UCD_SC_INHERITED) return script_of_prop(sc);
    }
    return (flags & KZ_WB_HAS_KANA) ? KZ_SCRIPT_KANA : KZ_SCRIPT_OTHER;
}

/* Index mode: the parts of a dotted ASCII word (www.devuan.org, abc.abstractmethod, U.S.,
 * note:this) as alternatives at the word's position, stemmed as words of their own, so that a
 * query for `devuan` or `abstractmethod` finds them. UAX #29 keeps such words whole, and query
 * mode does too, so a query for the whole word still means the whole word. The normalised word
 * is in a->word; normalising an ASCII word only lowers its case, so a part's bytes in the text
 * are at the same offsets. */
static int emit_parts(run_state *st, int script, size_t start)
{
    kz_analyzer *a = st->a;
    const char *w = (const char *)a->word.data;
    size_t n = a->word.len;
    if (memchr(w, '.', n) == NULL && memchr(w, ':', n) == NULL) return 0;
    int lang = script == KZ_SCRIPT_LATIN      ? KZ_STEM_ENGLISH
               : script == KZ_SCRIPT_CYRILLIC ? KZ_STEM_RUSSIAN
                                              : KZ_STEM_NONE;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j < n && w[j] != '.' && w[j] != ':') j++;
        if (j > i && j - i < n) { /* a non-empty part that is not the whole word */
            const char *part = w + i, *term = part;
            size_t part_len = j - i, term_len = part_len;
            if (!a->surface && kz_stem_applies(part, part_len))
                KZ_TRY(kz_stem(a->stemmer, lang, part, part_len, &term, &term_len));
            int rc =
                emit(st, (const uint8_t *)term, term_len, st->pos, start + i, start + j, script);
            if (rc != 0) return rc;
        }
        i = j + 1;
    }
    return 0;
}

static int analyze_word(run_state *st, size_t start, size_t end, unsigned flags)
{
    kz_analyzer *a = st->a;
    const uint8_t *s = st->text + start;
    size_t len = cut_at_char(s, end - start, KZ_WORD_INPUT_MAX);
    int script, letters_only = 1;
    size_t i = 0;
    for (; i < len && s[i] < 0x80; i++) {
        uint8_t c = (uint8_t)(s[i] | 0x20); /* ASCII letters to lower case, ' stays ' */
        letters_only &= (c >= 'a' && c <= 'z') || s[i] == '\'';
    }
    int ascii = i == len;
    if (ascii)
        script = (flags & KZ_WB_HAS_LETTER) ? KZ_SCRIPT_LATIN : KZ_SCRIPT_DIGIT;
    else
        script = word_script(s, len, flags);

    kz_buf_clear(&a->word);
    KZ_TRY(kz_normalize(&a->norm, &a->word, (const char *)s, len));
    const char *term = (const char *)a->word.data;
    size_t term_len = a->word.len;
    /* An ASCII word normalises to itself lower-cased, so the scan above already answered
     * kz_stem_applies for it. */
    if (!ascii) letters_only = kz_stem_applies(term, term_len);
    if (!a->surface && letters_only) {
        int lang = script == KZ_SCRIPT_LATIN      ? KZ_STEM_ENGLISH
                   : script == KZ_SCRIPT_CYRILLIC ? KZ_STEM_RUSSIAN
                                                  : KZ_STEM_NONE;
        KZ_TRY(kz_stem(a->stemmer, lang, term, term_len, &term, &term_len));
    }
    if (term_len == 0) return 0; /* only default ignorables: nothing to index */
    int rc = emit(st, (const uint8_t *)term, term_len, st->pos, start, end, script);
    if (rc == 0 && ascii && !a->query_mode && (flags & KZ_WB_HAS_LETTER))
        rc = emit_parts(st, script, start);
    st->pos++;
    return rc;
}

static int grow_run(kz_analyzer *a, size_t need)
{
    if (need <= a->run_cap) return KZ_OK;
    size_t cap = a->run_cap ? a->run_cap : 256;
    while (cap < need) cap *= 2;
    uint32_t *cp = realloc(a->run_cp, cap * sizeof *cp);
    if (cp == NULL) return KZ_ENOMEM_FAIL();
    a->run_cp = cp;
    size_t *off = realloc(a->run_off, (cap + 1) * sizeof *off);
    if (off == NULL) return KZ_ENOMEM_FAIL();
    a->run_off = off;
    a->run_cap = cap;
    return KZ_OK;
}

static int grow_norm(kz_analyzer *a, size_t need)
{
    if (need <= a->norm_cap) return KZ_OK;
    size_t cap = a->norm_cap ? a->norm_cap : 256;
    while (cap < need) cap *= 2;
    uint32_t *n = realloc(a->norm_cp, cap * sizeof *n);
    if (n == NULL) return KZ_ENOMEM_FAIL();
    a->norm_cp = n;
    uint32_t *c = realloc(a->conv_cp, cap * sizeof *c);
    if (c == NULL) return KZ_ENOMEM_FAIL();
    a->conv_cp = c;
    uint32_t *src = realloc(a->norm_src, cap * sizeof *src);
    if (src == NULL) return KZ_ENOMEM_FAIL();
    a->norm_src = src;
    a->norm_cap = cap;
    return KZ_OK;
}

/* Adds the characters of the Han segment [start, end) to the run. */
static int add_to_run(kz_analyzer *a, const uint8_t *text, size_t start, size_t end)
{
    const uint8_t *p = text + start, *e = text + end;
    while (p < e) {
        KZ_TRY(grow_run(a, a->run_n + 1));
        uint32_t cp;
        size_t k = kz_utf8_decode(p, e, &cp);
        a->run_cp[a->run_n] = cp;
        a->run_off[a->run_n] = (size_t)(p - text);
        a->run_n++;
        p += k;
    }
    a->run_off[a->run_n] = end;
    return KZ_OK;
}

static void encode_cps(kz_buf *b, const uint32_t *cps, size_t n)
{
    for (size_t i = 0; i < n; i++) b->len += kz_utf8_encode(cps[i], b->data + b->len);
}

/* Normalises, converts, segments and emits the pending Han run. */
static int flush_run(run_state *st)
{
    kz_analyzer *a = st->a;
    if (a->run_n == 0) return 0;
    size_t n = 0;
    for (size_t i = 0; i < a->run_n; i++) {
        uint32_t tmp[KZ_NORMALIZE_CP_MAX];
        size_t k = kz_normalize_cp(a->run_cp[i], tmp);
        KZ_TRY(grow_norm(a, n + k));
        for (size_t j = 0; j < k; j++) {
            a->norm_cp[n] = tmp[j];
            a->norm_src[n] = (uint32_t)i;
            n++;
        }
    }
    a->norm_n = n;
    a->run_n = 0;
    if (n == 0) return 0;
    memcpy(a->conv_cp, a->norm_cp, n * sizeof *a->conv_cp);
    if (a->t2s != NULL) KZ_TRY(kz_t2s_convert(a->t2s, a->conv_cp, n));
    if (a->seg == NULL) {
        const kz_zhdict *dict = NULL;
        KZ_TRY(core_dict(a->core, &dict));
        KZ_TRY(kz_zh_segmenter_new(&a->seg, dict));
    }
    const kz_zh_piece *pieces;
    size_t npieces;
    int mode = a->query_mode ? KZ_ZH_PRECISE : KZ_ZH_SEARCH;
    KZ_TRY(kz_zh_segment(a->seg, a->conv_cp, n, mode, &pieces, &npieces));
    const uint32_t *shown = a->surface ? a->norm_cp : a->conv_cp;
    uint32_t words = 0;
    for (size_t i = 0; i < npieces; i++) {
        const kz_zh_piece *pc = &pieces[i];
        if (pc->end <= pc->start || pc->end > n) continue; /* the segmenter promises otherwise */
        kz_buf_clear(&a->term);
        KZ_TRY(kz_buf_reserve(&a->term, 4 * (size_t)(pc->end - pc->start)));
        encode_cps(&a->term, shown + pc->start, pc->end - pc->start);
        size_t start = a->run_off[a->norm_src[pc->start]];
        size_t end = a->run_off[a->norm_src[pc->end - 1] + 1];
        int rc = emit(st, a->term.data, a->term.len, st->pos + pc->word, start, end, KZ_SCRIPT_HAN);
        if (rc != 0) return rc;
        if (pc->word + 1 > words) words = pc->word + 1;
    }
    st->pos += words;
    return 0;
}

/* Segments kz_analyze has taken from the word breaker ahead of the one it analyses (spaces and
 * punctuation count): enough that a word's stem cache slot arrives from memory while the words
 * before it are analysed. */
#define SEGMENTS_AHEAD 8
/* Longer words are rare, and the stem cache keeps none (stem.c). */
#define KZ_STEM_PREFETCH_MAX 32

typedef struct segment {
    size_t start, end;
    unsigned flags;
} segment;

/* Fetches the stem cache slot of an ASCII word that analyze_word will stem, from its lower-case
 * form: an ASCII word normalises to that. Other words are not worth the look. */
static void prefetch_stem(const kz_analyzer *a, const uint8_t *s, const segment *g)
{
    size_t len = g->end - g->start;
    if (a->surface || !(g->flags & KZ_WB_HAS_LETTER) || len > KZ_STEM_PREFETCH_MAX) return;
    char lower[KZ_STEM_PREFETCH_MAX];
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[g->start + i];
        uint8_t l = (uint8_t)(c | 0x20);
        if (!((l >= 'a' && l <= 'z') || c == '\'')) return; /* not a word kz_stem would see */
        lower[i] = (char)l;
    }
    kz_stem_prefetch(a->stemmer, KZ_STEM_ENGLISH, lower, len);
}

int kz_analyze(kz_analyzer *analyzer, const char *text, size_t len, kz_token_fn fn, void *ctx)
{
    if (analyzer == NULL || fn == NULL || (text == NULL && len > 0))
        return kz_fail(KZ_EINVAL, "kz_analyze: NULL argument");
    if (analyzer->core->opts.utf8_policy == KZ_UTF8_REJECT) {
        size_t bad;
        if (kz_utf8_validate((const uint8_t *)text, len, &bad) != KZ_OK)
            return kz_fail(KZ_EUTF8, "text is not valid UTF-8 at byte %zu", bad);
    }
    run_state st = {analyzer, (const uint8_t *)text, fn, ctx, 0};
    kz_wordbreak wb;
    kz_wordbreak_init(&wb, text, len);
    segment ahead[SEGMENTS_AHEAD]; /* a ring: the next segments, the first at ahead[first] */
    size_t first = 0, queued = 0, run_end = 0;
    int more = 1, rc = 0;
    analyzer->run_n = 0;
    for (;;) {
        while (more && queued < SEGMENTS_AHEAD) {
            segment *g = &ahead[(first + queued) % SEGMENTS_AHEAD];
            more = kz_wordbreak_next(&wb, &g->start, &g->end, &g->flags);
            if (!more) break;
            prefetch_stem(analyzer, st.text, g);
            queued++;
        }
        if (queued == 0) break;
        const segment g = ahead[first];
        first = (first + 1) % SEGMENTS_AHEAD;
        queued--;
        const size_t start = g.start, end = g.end;
        const unsigned flags = g.flags;
        if (flags & KZ_WB_HAS_IDEO) {
            if (analyzer->run_n > 0 && (start != run_end || analyzer->run_n >= KZ_HAN_RUN_MAX))
                if ((rc = flush_run(&st)) != 0) return rc;
            KZ_TRY(add_to_run(analyzer, st.text, start, end));
            run_end = end;
            continue;
        }
        if (analyzer->run_n > 0 && (rc = flush_run(&st)) != 0) return rc;
        if (!(flags & (KZ_WB_HAS_LETTER | KZ_WB_HAS_DIGIT))) continue;
        if ((rc = analyze_word(&st, start, end, flags)) != 0) return rc;
    }
    return flush_run(&st);
}
