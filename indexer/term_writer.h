/* term_writer.h - writes a new segment's term dictionary, postings and positions: its words'
 * posting lists as given, then the word-pair terms of its common words (common/pairs.h).
 *
 * The segment builder feeds it from the inverter and a merge from its inputs' lists. Words come
 * in strictly increasing memcmp order, each with its whole list; the pairs are derived at finish
 * from the positions of the common words, so a merge re-derives them with the merged segment's
 * own dfs and threshold instead of copying its inputs' pairs.
 *
 * Memory: from the first common word on, 4 bytes per position of the segment (a slot for the
 * word there), and at finish about 20 bytes per pair occurrence; both are released before
 * kz_term_writer_finish returns. */
#ifndef KZ_TERM_WRITER_H
#define KZ_TERM_WRITER_H

#include "segment_file.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_term_writer kz_term_writer;

/* Writes into parts' TERMS, POSTINGS and POSITIONS sections. lengths (npassages of them, the
 * passages' lengths in tokens) are borrowed until kz_term_writer_finish. pair_min_df is
 * kz_writer_options.pair_min_df (kz_pair_threshold). */
int kz_term_writer_new(kz_term_writer **out, kz_segment_parts *parts, const uint32_t *lengths,
                       uint32_t npassages, uint32_t pair_min_df);
void kz_term_writer_free(kz_term_writer *w);

/* Adds a word's posting list (n >= 1; as kz_postings_encode takes it). A term starting with
 * byte 0xFF, the mark of pair terms, is refused (KZ_EINVAL). */
int kz_term_writer_add(kz_term_writer *w, const char *term, size_t len, const uint32_t *docs,
                       const uint32_t *tfs, const uint32_t *positions, size_t n);

/* Adds the pair terms and finishes the dictionary. *nterms receives the number of dictionary
 * terms (pairs included) and *pair_threshold the segment's threshold for META. The writer can
 * then only be freed. */
int kz_term_writer_finish(kz_term_writer *w, uint64_t *nterms, uint32_t *pair_threshold);

#endif
