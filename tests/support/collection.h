/* collection.h - test helpers for the search suites: building an index from paths, listing its
 * live passages with their stored text, analysing text into per-position terms, and running
 * searches.
 *
 * Passages are listed straight from the segments (kz_segment_passage) in global-id order, so a
 * test can recount tf, df, dl and N itself without trusting the posting lists it checks. Every
 * helper aborts the test (cr_assert) on failure. */
#ifndef KZ_TEST_COLLECTION_H
#define KZ_TEST_COLLECTION_H

#include "kzsearch.h"

#include <stddef.h>
#include <stdint.h>

/* Indexes each of paths into dir (created if needed) with opts (NULL: defaults) and commits. */
void kzc_build(const char *dir, const char *const *paths, size_t npaths,
               const kz_writer_options *opts);

/* A new temporary directory holding an index of the seed articles built with opts (NULL:
 * defaults); the caller removes it with kzt_rmtree. */
char *kzc_build_seeds(const kz_writer_options *opts);

/* Writer options that make many small segments and never merge them: a 4 KiB buffer. */
kz_writer_options kzc_many_segments(void);

/* Opens dir as an index (asserts success). */
kz_index *kzc_open(const char *dir);

/* Number of segments of an open index. */
uint32_t kzc_segments(const kz_index *ix);

/* Number of deleted passages the segments of ix still hold. */
uint64_t kzc_deleted(const kz_index *ix);

typedef struct kzc_passage {
    uint64_t id; /* global passage id, as kz_hit.passage */
    char *text;  /* NUL-terminated, owned */
    size_t len;
} kzc_passage;

/* Every live passage of ix in increasing id order; *n receives the count. */
kzc_passage *kzc_passages(const kz_index *ix, size_t *n);
void kzc_passages_free(kzc_passage *p, size_t n);

typedef struct kzc_term {
    char *term; /* NUL-terminated, owned */
    uint32_t position;
} kzc_term;

/* The tokens of text analysed with the public analyzer (query_mode as given; one thread
 * only); *n receives the count. */
kzc_term *kzc_analyze(const char *text, size_t len, int query_mode, size_t *n);
void kzc_terms_free(kzc_term *t, size_t n);

/* Runs query with opts and asserts KZ_OK; the caller frees the results. */
kz_results *kzc_search(kz_index *ix, const char *query, const kz_search_options *opts);

/* Whether needle occurs in hay, ASCII case folded. */
int kzc_contains_nocase(const char *hay, size_t hay_len, const char *needle);

/* Runs a shell command and asserts it exits with status 0. */
void kzc_shell(const char *command);

#endif
