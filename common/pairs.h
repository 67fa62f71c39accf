/* pairs.h - word-pair terms: the rule that decides which pairs of adjacent words a segment
 * indexes as terms of their own, and how such a term is spelled.
 *
 * A phrase of frequent words ("united states", "object and return") costs an intersection of
 * long lists and a position check at each passage holding every word; the same phrase over the
 * pairs of its adjacent words intersects short lists instead. A segment indexes the pair (a, b),
 * with a posting at passage d and position q whenever a occurs at q and b at q + 1 there, for
 * every pair of its *common* words: words whose document frequency in that segment is at least
 * the segment's pair threshold (META, docs/FORMAT.md; 0: the segment has no pairs). Both the
 * indexer and the query side decide eligibility with kz_pair_indexed, from the segment's own
 * dfs, so a query knows for certain whether a missing pair term means "never adjacent here".
 *
 * Invariants: a pair term is 0xFF, a, 0x00, b; no word term starts with 0xFF (UTF-8 never does)
 * or holds 0x00, so pair terms sort after every word term, in (a, b) order. */
#ifndef KZ_PAIRS_H
#define KZ_PAIRS_H

#include "kzsearch.h"
#include "termdict.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define KZ_PAIR_MARK 0xFFu /* the first byte of every pair term */

/* The pair threshold of a new segment of npassages passages: a word is common when at least
 * one passage in KZ_PAIR_SHARE holds it, and never below min_df (kz_writer_options.pair_min_df;
 * 0: KZ_PAIR_MIN_DF, since a phrase whose rarest word is rarer than that is cheap already;
 * KZ_NO_PAIRS: 0, no pairs). On the benchmark collection (709k passages: df >= 1,846) this
 * makes 992 stems common and indexes 298k pairs (bench/README.md: 1/256 left the dev phrases'
 * p99 at the peers' median, 1/384 put it a third below for 8 MB more). */
#define KZ_PAIR_SHARE  384u
#define KZ_PAIR_MIN_DF 64u

static inline uint32_t kz_pair_threshold(uint32_t npassages, uint32_t min_df)
{
    if (min_df == KZ_NO_PAIRS) return 0;
    if (min_df == 0) min_df = KZ_PAIR_MIN_DF;
    uint32_t t = npassages / KZ_PAIR_SHARE;
    return t < min_df ? min_df : t;
}

/* Whether a term may be part of pairs at all (besides its df): the spelling needs no 0x00 in it
 * and no 0xFF in front. */
static inline int kz_pair_word(const char *term, size_t len)
{
    return len > 0 && (unsigned char)term[0] != KZ_PAIR_MARK && memchr(term, 0, len) == NULL;
}

/* Whether a segment with pair threshold `threshold` indexes the pair (a, b) of words with these
 * dfs in it. */
static inline int kz_pair_indexed(uint32_t threshold, const char *a, size_t alen, uint32_t df_a,
                                  const char *b, size_t blen, uint32_t df_b)
{
    return threshold > 0 && df_a >= threshold && df_b >= threshold &&
           alen + blen + 2 <= KZ_TERM_MAX && kz_pair_word(a, alen) && kz_pair_word(b, blen);
}

/* Spells the pair term of (a, b) into out (KZ_TERM_MAX bytes); returns its length. The caller
 * has checked kz_pair_indexed (which bounds the length). */
static inline size_t kz_pair_term(char *out, const char *a, size_t alen, const char *b, size_t blen)
{
    out[0] = (char)KZ_PAIR_MARK;
    memcpy(out + 1, a, alen);
    out[1 + alen] = '\0';
    memcpy(out + 2 + alen, b, blen);
    return alen + blen + 2;
}

#endif
