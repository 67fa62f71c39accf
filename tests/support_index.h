/* support_index.h - helpers shared by the whole-index tests (model, incremental, crash, damage,
 * bad input): a seeded random text generator, a fixed query set, and the "observable state" of
 * an index (its statistics and every hit of every query, with scores) that tests compare.
 *
 * A state is what a user can see: two indexes whose states are equal answer every query of the
 * set with the same passages (document, byte range, text) and the same scores. Hits are kept in
 * a canonical order (score descending, then document, then byte offset) and each query asks for
 * far more hits than the small test collections can match, so two states can be compared hit by
 * hit even when ties were broken differently (ties break on passage ids, which differ between an
 * incremental and a fresh build). Everything here aborts the test (cr_assert) on misuse. */
#ifndef KZ_TEST_SUPPORT_INDEX_H
#define KZ_TEST_SUPPORT_INDEX_H

#include "kzsearch.h"

#include <stddef.h>
#include <stdint.h>

/* splitmix64: a tiny deterministic generator, so every failure can be replayed from its seed. */
typedef struct kzt_rng {
    uint64_t s;
} kzt_rng;

uint64_t kzt_rand(kzt_rng *r);
/* Uniform in [0, n), n > 0. */
uint32_t kzt_below(kzt_rng *r, uint32_t n);

/* Returns a malloc'd NUL-terminated text of `paragraphs` paragraphs separated by blank lines,
 * each of a few to a few dozen words drawn from a vocabulary that mixes English words sharing
 * stems, Russian, Chinese (Simplified and Traditional), digits and punctuated words; *len gets
 * its length. */
char *kzt_random_text(kzt_rng *r, int paragraphs, size_t *len);

/* A word of that vocabulary, uniformly chosen. */
const char *kzt_random_word(kzt_rng *r);

/* The fixed query set: words of the vocabulary, phrases, +/-, OR, prefixes, Russian, Chinese. */
extern const char *const kzt_queries[];
extern const size_t kzt_nqueries;

typedef struct kzt_hit {
    char *doc;
    uint64_t start, end;
    double score;
    char *text;
} kzt_hit;

typedef struct kzt_state {
    kz_index_stats stats;
    const char *const *queries; /* borrowed */
    size_t nqueries;
    size_t *nhits;
    kzt_hit **hits;
} kzt_state;

/* Opens dir and records its state. Returns KZ_OK, or the status of kz_index_open / kz_search
 * (*out is then empty); never asserts on the index's answers, so damaged indexes can be
 * probed. */
int kzt_state_take(kzt_state *out, const char *dir);
/* The same with another query set (borrowed by the state). */
int kzt_state_take_queries(kzt_state *out, const char *dir, const char *const *queries,
                           size_t nqueries);
void kzt_state_free(kzt_state *s);

/* Non-zero when a and b are equal: statistics (documents, passages, tokens, average length;
 * with same_layout also segments and terms) and every hit (document, range, text, score within
 * 1e-9 relative). When they differ and why != NULL, a description is written there. */
int kzt_state_equal(const kzt_state *a, const kzt_state *b, int same_layout, char *why,
                    size_t why_len);

/* Copies directory src to dst (cp -r semantics; dst must not exist). */
void kzt_copy_dir(const char *src, const char *dst);

/* Builds an index in dir from text documents: names[i] -> texts[i] via kz_writer_add_text, with
 * the given writer options (NULL for defaults), and commits. */
void kzt_build_texts(const char *dir, const kz_writer_options *opts, size_t n,
                     const char *const *names, const char *const *texts);

#endif
