/* t2s.c - Traditional → Simplified conversion keeping one character per character (see t2s.h).
 *
 * Memo invariants: state[cp] (2 bits, for cp < KZ_T2S_LIMIT) is UNKNOWN until cp's answer is
 * known, then SAME or CHANGED for good; cp is CHANGED exactly when OpenCC turns it alone into one
 * different character (kz_t2s_answer's rule), and then the open-addressing table `map` holds (cp,
 * that character); code points OpenCC cannot be asked about (kz_t2s_askable) are never CHANGED.
 * Code points at or above KZ_T2S_LIMIT are past the last ideograph and always SAME. map's
 * capacity is a power of two and stays at most half full, so probes end at an empty slot.
 * Where the answers come from: under the shortcut, every converter reads one process-wide memo,
 * `shared`, which the generated character table (t2s_phrases.h) fills whole when the shortcut is
 * decided (nothing in it is UNKNOWN), so OpenCC is never asked about a character and converters
 * fill nothing of their own; without the shortcut (OpenCC's files changed since the build), each
 * converter's own memo learns the new characters of each run from OpenCC (learn).
 *
 * Shortcut invariants (process-wide, decided once, since the installed files are the same for
 * every converter): shortcut_on is set, at the first kz_t2s_shortcut() call, exactly when the
 * generated tables' fingerprint equals the installed files' and they fit the memo (every key
 * starts below KZ_T2S_LIMIT and every changing character is in [1, KZ_T2S_LIMIT), else OpenCC
 * is asked as without the shortcut), and `shared` could be filled. While it is set, bit cp of
 * key_starts is set exactly when a multi-character key starts with cp; none of them changes
 * afterwards. */
#include "t2s.h"

#include "buf.h"
#include "error.h"
#include "opencc_lib.h"
#include "t2s_phrases.h"
#include "utf8.h"

#include <stdatomic.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { T2S_UNKNOWN = 0, T2S_SAME = 1, T2S_CHANGED = 2 };

typedef struct map_slot {
    uint32_t from; /* 0: empty (U+0000 is never CHANGED) */
    uint32_t to;
} map_slot;

struct kz_t2s {
    const kz_opencc_api *api; /* set with cc */
    opencc_t cc;
    uint8_t state[KZ_T2S_LIMIT / 4]; /* 2 bits a code point */
    map_slot *map;
    size_t map_cap, map_len;
    kz_buf utf8;   /* text handed to OpenCC */
    uint32_t *ask; /* code points being asked about */
    size_t ask_cap;
};

/* Under the shortcut, the memo every converter reads: filled once from the generated table when
 * the shortcut is decided, then read-only; it lives as long as the process. */
static kz_t2s shared;

static pthread_once_t shortcut_once = PTHREAD_ONCE_INIT;
static int shortcut_on;
static uint8_t key_starts[KZ_T2S_LIMIT / 8]; /* 1 bit a code point: a key starts with it */

static unsigned state_of(const kz_t2s *c, uint32_t cp)
{
    if (cp >= KZ_T2S_LIMIT) return T2S_SAME;
    return (c->state[cp >> 2] >> ((cp & 3) * 2)) & 3u;
}

static void set_state(kz_t2s *c, uint32_t cp, unsigned s)
{
    unsigned shift = (cp & 3) * 2;
    c->state[cp >> 2] = (uint8_t)((c->state[cp >> 2] & ~(3u << shift)) | (s << shift));
}

static size_t map_index(uint32_t cp, size_t cap)
{
    return (size_t)((cp * 2654435761u) & (uint32_t)(cap - 1));
}

/* Grows map so that it holds n entries at most half full. */
static int map_reserve(kz_t2s *c, size_t n)
{
    if (2 * n <= c->map_cap) return KZ_OK;
    size_t cap = c->map_cap ? c->map_cap : 256;
    while (2 * n > cap) cap *= 2;
    map_slot *m = calloc(cap, sizeof *m);
    if (m == NULL) return KZ_ENOMEM_FAIL();
    for (size_t i = 0; i < c->map_cap; i++) {
        if (c->map[i].from == 0) continue;
        size_t j = map_index(c->map[i].from, cap);
        while (m[j].from != 0) j = (j + 1) & (cap - 1);
        m[j] = c->map[i];
    }
    free(c->map);
    c->map = m;
    c->map_cap = cap;
    return KZ_OK;
}

/* Sets from's entry; map must have room for one more (map_reserve). from != 0. */
static void map_set(kz_t2s *c, uint32_t from, uint32_t to)
{
    size_t j = map_index(from, c->map_cap);
    while (c->map[j].from != 0 && c->map[j].from != from) j = (j + 1) & (c->map_cap - 1);
    if (c->map[j].from == 0) c->map_len++;
    c->map[j].from = from;
    c->map[j].to = to;
}

static int map_put(kz_t2s *c, uint32_t from, uint32_t to)
{
    KZ_TRY(map_reserve(c, c->map_len + 1));
    map_set(c, from, to);
    return KZ_OK;
}

static uint32_t map_get(const kz_t2s *c, uint32_t from)
{
    if (c->map_cap == 0) return from;
    size_t j = map_index(from, c->map_cap);
    while (c->map[j].from != 0) {
        if (c->map[j].from == from) return c->map[j].to;
        j = (j + 1) & (c->map_cap - 1);
    }
    return from;
}

int kz_t2s_new(kz_t2s **out)
{
    *out = NULL;
    kz_t2s *c = calloc(1, sizeof *c);
    if (c == NULL) return KZ_ENOMEM_FAIL();
    *out = c;
    return KZ_OK;
}

static atomic_size_t opens; /* OpenCC converters opened by this process */

/* Opens OpenCC at the first run it must convert (one holding a multi-character key) or, without
 * the shortcut, at the first character it must be asked about: loading libopencc and its
 * dictionaries costs ~20 M instructions (~5 ms), which most texts, Traditional ones included,
 * never need to pay. */
static int ensure_open(kz_t2s *c)
{
    if (c->cc != NULL) return KZ_OK;
    const kz_opencc_api *api;
    KZ_TRY(kz_opencc_load(&api));
    opencc_t cc = api->open(KZ_T2S_CONFIG);
    if (cc == (opencc_t)-1 || cc == NULL)
        return kz_fail(KZ_ENOTFOUND,
                       "cannot open OpenCC's configuration %s (%s): install opencc's data "
                       "(libopencc-data) or turn off Traditional→Simplified conversion",
                       KZ_T2S_CONFIG, api->error());
    c->api = api;
    c->cc = cc;
    atomic_fetch_add_explicit(&opens, 1, memory_order_relaxed);
    return KZ_OK;
}

size_t kz_t2s_opencc_opens(void)
{
    return atomic_load_explicit(&opens, memory_order_relaxed);
}

void kz_t2s_free(kz_t2s *c)
{
    if (c == NULL) return;
    if (c->cc != NULL) c->api->close(c->cc);
    free(c->map);
    free(c->ask);
    kz_buf_free(&c->utf8);
    free(c);
}

/* Asks OpenCC about each of ask[0..n) alone and records the answers (without the shortcut). The
 * question and the meaning of each answer line are the generator's (t2s_phrases.h). */
static int learn(kz_t2s *c, const uint32_t *ask, size_t n)
{
    kz_buf_clear(&c->utf8);
    KZ_TRY(kz_buf_reserve(&c->utf8, KZ_T2S_QUESTION_MAX(n)));
    c->utf8.len = kz_t2s_question(ask, n, c->utf8.data);
    KZ_TRY(ensure_open(c));
    char *conv = c->api->convert_utf8(c->cc, (const char *)c->utf8.data, c->utf8.len);
    if (conv == NULL) return kz_fail(KZ_ERROR, "OpenCC conversion failed: %s", c->api->error());
    const uint8_t *p = (const uint8_t *)conv, *end = p + strlen(conv);
    int rc = KZ_OK;
    for (size_t i = 0; i < n; i++) {
        uint32_t to;
        p = kz_t2s_answer(p, end, ask[i], &to);
        if (to != ask[i]) {
            rc = map_put(c, ask[i], to);
            if (rc < 0) break;
        }
        set_state(c, ask[i], to != ask[i] ? T2S_CHANGED : T2S_SAME);
    }
    c->api->convert_utf8_free(conv);
    return rc;
}

/* Fills the whole memo of c from the generated character table: every code point below
 * KZ_T2S_LIMIT becomes SAME or CHANGED. Leaves the memo as it was if it fails. */
static int fill_from_table(kz_t2s *c)
{
    KZ_TRY(map_reserve(c, c->map_len + kz_t2s_char_count));
    memset(c->state, T2S_SAME * 0x55, sizeof c->state); /* SAME in each 2-bit field */
    for (uint32_t i = 0; i < kz_t2s_char_count; i++) {
        map_set(c, kz_t2s_char_from[i], kz_t2s_char_to[i]);
        set_state(c, kz_t2s_char_from[i], T2S_CHANGED);
    }
    return KZ_OK;
}

/* Forgets the provisional answers about ask[0..n): they are asked again next time. */
static void forget(kz_t2s *c, size_t n)
{
    for (size_t i = 0; i < n; i++) set_state(c, c->ask[i], T2S_UNKNOWN);
}

/* The memo a conversion reads: the shared one under the shortcut, else c's own. */
static const kz_t2s *memo_of(const kz_t2s *c)
{
    return kz_t2s_shortcut() ? &shared : c;
}

/* Makes sure every character of cps[0..n) is known; returns whether one of them changes. */
static int classify(kz_t2s *c, const uint32_t *cps, size_t n, int *any_changed)
{
    size_t nask = 0;
    *any_changed = 0;
    if (kz_t2s_shortcut()) { /* the shared memo knows every code point */
        for (size_t i = 0; i < n && !*any_changed; i++)
            *any_changed = state_of(&shared, cps[i]) == T2S_CHANGED;
        return KZ_OK;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned s = state_of(c, cps[i]);
        if (s == T2S_CHANGED) *any_changed = 1;
        if (s != T2S_UNKNOWN) continue;
        if (!kz_t2s_askable(cps[i])) { /* as under the shortcut: never changed */
            set_state(c, cps[i], T2S_SAME);
            continue;
        }
        if (nask == c->ask_cap) {
            size_t cap = c->ask_cap ? 2 * c->ask_cap : 64;
            uint32_t *a = realloc(c->ask, cap * sizeof *a);
            if (a == NULL) {
                forget(c, nask);
                return KZ_ENOMEM_FAIL();
            }
            c->ask = a;
            c->ask_cap = cap;
        }
        c->ask[nask++] = cps[i];
        set_state(c, cps[i], T2S_SAME); /* provisional: asked once even if repeated in the run */
    }
    if (nask == 0) return KZ_OK;
    int rc = learn(c, c->ask, nask);
    if (rc < 0) {
        forget(c, nask);
        return rc;
    }
    for (size_t i = 0; i < nask && !*any_changed; i++)
        if (state_of(c, c->ask[i]) == T2S_CHANGED) *any_changed = 1;
    return KZ_OK;
}

int kz_t2s_char(kz_t2s *c, uint32_t cp, uint32_t *out)
{
    int changed;
    KZ_TRY(classify(c, &cp, 1, &changed));
    *out = changed ? map_get(memo_of(c), cp) : cp;
    return KZ_OK;
}

static void decide_shortcut(void)
{
    uint64_t installed;
    /* Unreadable files turn the shortcut off; opening OpenCC will then say what is wrong. */
    if (kz_t2s_fingerprint(KZ_T2S_DIR, &installed) != KZ_OK ||
        installed != kz_t2s_phrase_fingerprint)
        return;
    uint32_t at = 0;
    for (uint32_t k = 0; k < kz_t2s_phrase_count; k++) {
        uint32_t first = kz_t2s_phrase_cps[at];
        if (first >= KZ_T2S_LIMIT) {
            memset(key_starts, 0, sizeof key_starts);
            return;
        }
        key_starts[first >> 3] |= (uint8_t)(1u << (first & 7));
        at = kz_t2s_phrase_ends[k];
    }
    for (uint32_t i = 0; i < kz_t2s_char_count; i++) /* 0 marks map's empty slots */
        if (kz_t2s_char_from[i] == 0 || kz_t2s_char_from[i] >= KZ_T2S_LIMIT) {
            memset(key_starts, 0, sizeof key_starts);
            return;
        }
    if (fill_from_table(&shared) != KZ_OK) { /* out of memory: every converter asks OpenCC */
        memset(key_starts, 0, sizeof key_starts);
        return;
    }
    shortcut_on = 1;
}

int kz_t2s_shortcut(void)
{
    pthread_once(&shortcut_once, decide_shortcut);
    return shortcut_on;
}

/* The first key not below a key starting with cp (the keys are sorted). */
static uint32_t first_key_from(uint32_t cp)
{
    uint32_t lo = 0, hi = kz_t2s_phrase_count;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t start = mid ? kz_t2s_phrase_ends[mid - 1] : 0;
        if (kz_t2s_phrase_cps[start] < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Whether a multi-character key occurs somewhere in cps[0..n); the shortcut must be on. */
static int has_phrase(const uint32_t *cps, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        uint32_t cp = cps[i];
        if (cp >= KZ_T2S_LIMIT || !((key_starts[cp >> 3] >> (cp & 7)) & 1u)) continue;
        for (uint32_t k = first_key_from(cp); k < kz_t2s_phrase_count; k++) {
            uint32_t start = k ? kz_t2s_phrase_ends[k - 1] : 0, len = kz_t2s_phrase_ends[k] - start;
            if (kz_t2s_phrase_cps[start] != cp) break;
            if (len <= n - i && memcmp(kz_t2s_phrase_cps + start, cps + i, len * sizeof *cps) == 0)
                return 1;
        }
    }
    return 0;
}

static void convert_each(const kz_t2s *c, uint32_t *cps, size_t n)
{
    const kz_t2s *m = memo_of(c);
    for (size_t i = 0; i < n; i++)
        if (state_of(m, cps[i]) == T2S_CHANGED) cps[i] = map_get(m, cps[i]);
}

int kz_t2s_convert(kz_t2s *c, uint32_t *cps, size_t n)
{
    int changed;
    KZ_TRY(classify(c, cps, n, &changed));
    if (!changed) return KZ_OK; /* already Simplified */
    if (kz_t2s_shortcut() && !has_phrase(cps, n)) {
        convert_each(c, cps, n); /* what OpenCC would do: see t2s_phrases.h */
        return KZ_OK;
    }

    kz_buf_clear(&c->utf8);
    KZ_TRY(kz_buf_reserve(&c->utf8, 4 * n));
    for (size_t i = 0; i < n; i++)
        c->utf8.len += kz_utf8_encode(cps[i], c->utf8.data + c->utf8.len);
    /* OpenCC allocates its result; this happens only for runs with Traditional characters. */
    KZ_TRY(ensure_open(c));
    char *conv = c->api->convert_utf8(c->cc, (const char *)c->utf8.data, c->utf8.len);
    if (conv != NULL) {
        const uint8_t *p = (const uint8_t *)conv, *end = p + strlen(conv);
        size_t count = 0;
        for (const uint8_t *q = p; q < end; q++) count += (*q & 0xC0) != 0x80;
        if (count == n) {
            for (size_t i = 0; i < n && p < end; i++) p += kz_utf8_decode(p, end, &cps[i]);
            c->api->convert_utf8_free(conv);
            return KZ_OK;
        }
        c->api->convert_utf8_free(conv);
    }
    /* The phrase conversion changed the length (or failed): character by character. */
    convert_each(c, cps, n);
    return KZ_OK;
}
