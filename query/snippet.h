/* snippet.h - choosing the excerpt of a passage to show for a hit, and the byte ranges of the
 * query's terms inside it.
 *
 * The passage is analysed again with an index-mode analyzer (so the Chinese sub-words a query
 * word can match are there too); every token whose term belongs to the query's term set is a
 * match. The excerpt is the window of about `target` bytes holding the most distinct matched
 * terms (then the most matches), widened to word boundaries and never cut inside a UTF-8
 * character. Ranges are byte offsets into the passage text, sorted and non-overlapping. */
#ifndef KZ_SNIPPET_H
#define KZ_SNIPPET_H

#include "buf.h"
#include "kzsearch.h"

#include <stddef.h>

/* A sorted set of terms (the analysed terms of a query). */
typedef struct kz_termset {
    kz_buf bytes;   /* the terms, concatenated */
    kz_buf offsets; /* size_t per term: start in bytes; one more entry for the end */
    size_t n;
    int sorted;
} kz_termset;

int kz_termset_add(kz_termset *s, const char *term, size_t len);
/* Sorts and removes duplicates; required before kz_termset_has. */
int kz_termset_finish(kz_termset *s);
int kz_termset_has(const kz_termset *s, const char *term, size_t len);
void kz_termset_free(kz_termset *s);

typedef struct kz_snippet {
    size_t start, end; /* the excerpt: bytes [start, end) of the passage */
    kz_buf matches;    /* kz_range entries, offsets into the passage, sorted */
} kz_snippet;

/* Fills out (whose matches buffer is reused) for text. */
int kz_snippet_make(kz_analyzer *a, const char *text, size_t len, const kz_termset *terms,
                    size_t target, kz_snippet *out);

#endif
