/* stem.c - Snowball stemmers behind a word → stem memo (see stem.h).
 *
 * Cache invariants: KZ_STEM_CACHE_SLOTS slots of one cache line's half each, each either empty
 * (len == 0) or holding one word, the language it was stemmed for and Snowball's stem of it:
 * bytes[] holds the word, then the stem unless the stem is a prefix of the word (KZ_STEM_PREFIX
 * set in lang), and a pair that does not fit in bytes[] is simply not cached. The slots start on
 * a cache line (cache, inside cache_mem). A slot is chosen by a hash of (language, word); a
 * colliding word overwrites it. */
#include "stem.h"

#include "buf.h"
#include "error.h"
#include "utf8.h"

#include <libstemmer.h>
#include <utf8proc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 65536 slots hold the working vocabulary of a large collection: on the benchmark collection
 * they answer ~95% of lookups where 4096 answered 75%, and a Snowball call costs ~2,000
 * instructions. 2 MiB per stemmer, allocated zeroed, so a query analyzer touches only the pages
 * of the few slots it uses. */
#define KZ_STEM_CACHE_SLOTS 65536
/* A slot is 32 bytes, aligned, so that a lookup reads one cache line: with 49-byte slots (a word
 * and a stem of up to 23 bytes each), three lookups in four read two, and the slot's load was two
 * thirds of kz_stem's time when indexing. Most stems are a prefix of their word (Russian ones
 * nearly always), which then takes no room of its own: a word of up to 29 bytes fits (14
 * Cyrillic letters), and longer words are rare and go straight to Snowball. */
#define KZ_STEM_CACHE_BYTES 29

typedef struct cache_slot {
    uint8_t len;      /* of the word; 0: empty */
    uint8_t lang;     /* a kz_stem_lang, | KZ_STEM_PREFIX when the stem is a prefix of the word */
    uint8_t stem_len; /* of the stem: at bytes (KZ_STEM_PREFIX), else right after the word */
    char bytes[KZ_STEM_CACHE_BYTES];
} cache_slot;

#define KZ_STEM_PREFIX 0x80 /* in lang: the stem is bytes[0..stem_len) */

struct kz_stemmer {
    struct sb_stemmer *english;
    struct sb_stemmer *russian;
    void *cache_mem;   /* calloc'd, so untouched slots cost no page; one line over */
    cache_slot *cache; /* KZ_STEM_CACHE_SLOTS slots: cache_mem's first cache line boundary on */
};

_Static_assert(sizeof(cache_slot) == 32, "a stem cache slot is half a cache line");

int kz_stemmer_new(kz_stemmer **out)
{
    *out = NULL;
    kz_stemmer *s = calloc(1, sizeof *s);
    if (s == NULL) return KZ_ENOMEM_FAIL();
    s->cache_mem = calloc(KZ_STEM_CACHE_SLOTS + 2, sizeof(cache_slot));
    if (s->cache_mem == NULL) {
        free(s);
        return KZ_ENOMEM_FAIL();
    }
    s->cache = (cache_slot *)(void *)(((uintptr_t)s->cache_mem + 63) & ~(uintptr_t)63);
    s->english = sb_stemmer_new("english", "UTF_8");
    s->russian = sb_stemmer_new("russian", "UTF_8");
    if (s->english == NULL || s->russian == NULL) {
        kz_stemmer_free(s);
        return kz_fail(KZ_ENOMEM, "cannot create the Snowball stemmers (libstemmer: english, "
                                  "russian): out of memory");
    }
    *out = s;
    return KZ_OK;
}

void kz_stemmer_free(kz_stemmer *s)
{
    if (s == NULL) return;
    if (s->english) sb_stemmer_delete(s->english);
    if (s->russian) sb_stemmer_delete(s->russian);
    free(s->cache_mem);
    free(s);
}

int kz_stem_applies(const char *word, size_t len)
{
    const uint8_t *p = (const uint8_t *)word;
    size_t i = 0;
    while (i < len) {
        if (p[i] < 0x80) {
            uint8_t c = p[i++];
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '\'')) return 0;
            continue;
        }
        uint32_t cp;
        i += kz_utf8_decode(p + i, p + len, &cp);
        switch (utf8proc_category((utf8proc_int32_t)cp)) {
        case UTF8PROC_CATEGORY_LU:
        case UTF8PROC_CATEGORY_LL:
        case UTF8PROC_CATEGORY_LT:
        case UTF8PROC_CATEGORY_LM:
        case UTF8PROC_CATEGORY_LO:
        case UTF8PROC_CATEGORY_MN:
        case UTF8PROC_CATEGORY_MC:
        case UTF8PROC_CATEGORY_ME:
            break;
        default:
            return 0;
        }
    }
    return 1;
}

/* The slot of (lang, word): the word read 8 bytes at a time (its last 8 overlapping the loop's
 * end; a short word as two overlapping halves), each step mixed by a multiplication. A byte loop
 * (FNV-1a) chained a multiplication per byte before the slot's load could start. */
static uint32_t slot_of(int lang, const char *word, size_t len)
{
    const uint8_t *w = (const uint8_t *)word;
    uint64_t h = ((uint64_t)lang << 8 | len) * 0x9E3779B97F4A7C15u, tail;
    if (len >= 8) {
        for (size_t i = 0; i + 8 < len; i += 8)
            h = (h ^ kz_load_u64le(w + i)) * 0xFF51AFD7ED558CCDu;
        tail = kz_load_u64le(w + len - 8);
    } else if (len >= 4) {
        tail = (uint64_t)kz_load_u32le(w) << 32 | kz_load_u32le(w + len - 4);
    } else {
        tail = len ? (uint64_t)w[0] << 16 | (uint64_t)w[len / 2] << 8 | w[len - 1] : 0;
    }
    h = (h ^ tail) * 0xC4CEB9FE1A85EC53u;
    return (uint32_t)(h >> 48) & (KZ_STEM_CACHE_SLOTS - 1);
}

void kz_stem_prefetch(const kz_stemmer *s, int lang, const char *word, size_t len)
{
    if (len > 0 && len <= KZ_STEM_CACHE_BYTES)
        __builtin_prefetch(&s->cache[slot_of(lang, word, len)]);
}

int kz_stem(kz_stemmer *s, int lang, const char *word, size_t len, const char **stem,
            size_t *stem_len)
{
    struct sb_stemmer *sb = lang == KZ_STEM_ENGLISH   ? s->english
                            : lang == KZ_STEM_RUSSIAN ? s->russian
                                                      : NULL;
    if (sb == NULL || len == 0) {
        *stem = word;
        *stem_len = len;
        return KZ_OK;
    }
    cache_slot *slot = NULL;
    if (len <= KZ_STEM_CACHE_BYTES) {
        slot = &s->cache[slot_of(lang, word, len)];
        if (slot->len == len && (slot->lang & ~KZ_STEM_PREFIX) == lang &&
            memcmp(slot->bytes, word, len) == 0) {
            *stem = slot->lang & KZ_STEM_PREFIX ? slot->bytes : slot->bytes + len;
            *stem_len = slot->stem_len;
            return KZ_OK;
        }
    }
    if (len > (size_t)INT32_MAX) return kz_fail(KZ_EINVAL, "word of %zu bytes is too long", len);
    const sb_symbol *r = sb_stemmer_stem(sb, (const sb_symbol *)word, (int)len);
    if (r == NULL) return kz_fail(KZ_ENOMEM, "Snowball stemmer: out of memory");
    int rlen = sb_stemmer_length(sb);
    int prefix = rlen >= 0 && (size_t)rlen <= len && memcmp(r, word, (size_t)rlen) == 0;
    if (slot != NULL && rlen >= 0 && (prefix || len + (size_t)rlen <= KZ_STEM_CACHE_BYTES)) {
        slot->len = (uint8_t)len;
        slot->lang = (uint8_t)(lang | (prefix ? KZ_STEM_PREFIX : 0));
        slot->stem_len = (uint8_t)rlen;
        memcpy(slot->bytes, word, len);
        if (!prefix) memcpy(slot->bytes + len, r, (size_t)rlen);
        *stem = prefix ? slot->bytes : slot->bytes + len;
    } else {
        *stem = (const char *)r;
    }
    *stem_len = rlen < 0 ? 0 : (size_t)rlen;
    return KZ_OK;
}
