/* stem.c - Snowball stemmers behind a word → stem memo (see stem.h).
 *
 * Cache invariants: KZ_STEM_CACHE_SLOTS slots, each either empty (len == 0) or holding one word
 * of at most KZ_STEM_CACHE_WORD bytes, the language it was stemmed for and Snowball's stem of it
 * (a stem too long for the slot is simply not cached). A slot is chosen by a hash of (language,
 * word); a colliding word overwrites it. */
#include "stem.h"

#include "error.h"
#include "utf8.h"

#include <libstemmer.h>
#include <utf8proc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* 65536 slots hold the working vocabulary of a large collection: on the benchmark collection
 * they answer ~95% of lookups where 4096 answered 75%, and a Snowball call costs ~2,000
 * instructions. 3 MiB per stemmer, allocated zeroed, so a query analyzer touches only the pages
 * of the few slots it uses. */
#define KZ_STEM_CACHE_SLOTS 65536
/* Words longer than this are rare and go straight to Snowball. 23 + a length byte = 24. */
#define KZ_STEM_CACHE_WORD 23

typedef struct cache_slot {
    uint8_t len;  /* 0: empty */
    uint8_t lang; /* a kz_stem_lang */
    uint8_t stem_len;
    char word[KZ_STEM_CACHE_WORD];
    char stem[KZ_STEM_CACHE_WORD];
} cache_slot;

struct kz_stemmer {
    struct sb_stemmer *english;
    struct sb_stemmer *russian;
    cache_slot cache[KZ_STEM_CACHE_SLOTS];
};

int kz_stemmer_new(kz_stemmer **out)
{
    *out = NULL;
    kz_stemmer *s = calloc(1, sizeof *s);
    if (s == NULL) return KZ_ENOMEM_FAIL();
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

/* FNV-1a: words are short, so a byte loop beats anything wider. */
static uint32_t slot_of(int lang, const char *w, size_t len)
{
    uint32_t h = 2166136261u ^ (uint32_t)lang;
    for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)w[i]) * 16777619u;
    return (h ^ (h >> 15)) & (KZ_STEM_CACHE_SLOTS - 1);
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
    if (len <= KZ_STEM_CACHE_WORD) {
        slot = &s->cache[slot_of(lang, word, len)];
        if (slot->len == len && slot->lang == lang && memcmp(slot->word, word, len) == 0) {
            *stem = slot->stem;
            *stem_len = slot->stem_len;
            return KZ_OK;
        }
    }
    if (len > (size_t)INT32_MAX) return kz_fail(KZ_EINVAL, "word of %zu bytes is too long", len);
    const sb_symbol *r = sb_stemmer_stem(sb, (const sb_symbol *)word, (int)len);
    if (r == NULL) return kz_fail(KZ_ENOMEM, "Snowball stemmer: out of memory");
    int rlen = sb_stemmer_length(sb);
    if (slot != NULL && rlen >= 0 && (size_t)rlen <= KZ_STEM_CACHE_WORD) {
        slot->len = (uint8_t)len;
        slot->lang = (uint8_t)lang;
        slot->stem_len = (uint8_t)rlen;
        memcpy(slot->word, word, len);
        memcpy(slot->stem, r, (size_t)rlen);
        *stem = slot->stem;
    } else {
        *stem = (const char *)r;
    }
    *stem_len = rlen < 0 ? 0 : (size_t)rlen;
    return KZ_OK;
}
