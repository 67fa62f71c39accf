/* stem.h - the stemming stage of the analyzer: English Snowball (Porter2) for Latin words,
 * Russian Snowball for Cyrillic words, nothing for other scripts.
 *
 * A kz_stemmer owns one libstemmer instance per language (libstemmer keeps per-call state in
 * them, so a kz_stemmer serves one thread at a time) and a small direct-mapped cache from short
 * words to their stems: natural text repeats a few thousand words, and a cache hit costs one hash
 * and one memcmp instead of a run of the Snowball machine. The cache is a pure memo: every entry
 * holds a word and the stem Snowball gave for it, so results never depend on what was stemmed
 * before. Input words are expected to be normalised already (normalize.h): Snowball's English
 * stemmer wants lower case and a plain ' apostrophe. */
#ifndef KZ_STEM_H
#define KZ_STEM_H

#include <stddef.h>

typedef struct kz_stemmer kz_stemmer;

/* Which stemmer a word goes to. */
typedef enum kz_stem_lang {
    KZ_STEM_NONE = 0,
    KZ_STEM_ENGLISH = 1,
    KZ_STEM_RUSSIAN = 2
} kz_stem_lang;

int kz_stemmer_new(kz_stemmer **out);
void kz_stemmer_free(kz_stemmer *s);

/* Whether a normalised word is a word a stemmer should see: letters (with their combining marks)
 * and apostrophes only. Tokens such as "u.s", "avtonom.org", "covid19" or "3d" are not words of
 * the language, and Snowball would mangle them ("u.s" → "u."), so they are indexed unstemmed. */
int kz_stem_applies(const char *word, size_t len);

/* A hint that word[0..len) will soon be stemmed with lang's stemmer: starts fetching the cache
 * slot it would be found in, so that the lookup need not wait for memory (a slot's load was 80%
 * of kz_stem's time when indexing). Changes nothing else. */
void kz_stem_prefetch(const kz_stemmer *s, int lang, const char *word, size_t len);

/* Stems word[0..len) with lang's stemmer. *stem receives a pointer valid until the next call
 * on s (into s's memory, or word itself for KZ_STEM_NONE), *stem_len its length. */
int kz_stem(kz_stemmer *s, int lang, const char *word, size_t len, const char **stem,
            size_t *stem_len);

#endif
