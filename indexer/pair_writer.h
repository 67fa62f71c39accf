/* pair_writer.h - derives a new segment's word-pair terms (common/pairs.h) from the positions
 * of its common words, and encodes their lists into buffers of its own.
 *
 * Its own buffers, because the pairs can then be derived on a helper thread while the term
 * writer (term_writer.h) writes the words' lists, and follow them in each section (taken as the
 * sections' continuations, kz_segment_parts.more): pair terms sort after every word. The segment builder does so; a merge derives them inline, from the lists it
 * merges.
 *
 * Use: kz_pair_writer_add for each word in strictly increasing memcmp order (those below the
 * threshold, or that cannot be part of a pair, are ignored), then kz_pair_writer_derive once,
 * then hand the writer to kz_term_writer_finish.
 *
 * Memory: from the first common word on, 4 bytes per position of the segment (a slot for the
 * word there), released by derive, which also needs about 20 bytes per pair occurrence while it
 * runs; then the encoded lists, until the writer is freed. */
#ifndef KZ_PAIR_WRITER_H
#define KZ_PAIR_WRITER_H

#include "buf.h"
#include "termdict.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_pair_writer kz_pair_writer;

/* lengths (npassages of them, the passages' lengths in tokens) are borrowed until the writer is
 * freed. threshold is the segment's pair threshold (kz_pair_threshold; 0: no pairs). */
int kz_pair_writer_new(kz_pair_writer **out, const uint32_t *lengths, uint32_t npassages,
                       uint32_t threshold);
void kz_pair_writer_free(kz_pair_writer *w);

uint32_t kz_pair_writer_threshold(const kz_pair_writer *w);

/* Offers a word's posting list (n >= 1; as kz_postings_encode takes it); a common word's
 * occurrences are kept for the pairs. */
int kz_pair_writer_add(kz_pair_writer *w, const char *term, size_t len, const uint32_t *docs,
                       const uint32_t *tfs, const uint32_t *positions, size_t n);

/* Derives the pairs and encodes their lists, in the order of their terms. */
int kz_pair_writer_derive(kz_pair_writer *w);

/* After derive: the pair terms, and pair i's term and info (offsets into the writer's own
 * postings and positions buffers). */
size_t kz_pair_writer_count(const kz_pair_writer *w);
void kz_pair_writer_term(const kz_pair_writer *w, size_t i, const char **term, size_t *len,
                         kz_term_info *info);
/* After derive: moves the writer's postings and positions buffers into *postings and
 * *positions (whatever they held is freed), leaving it none. */
void kz_pair_writer_take_lists(kz_pair_writer *w, kz_buf *postings, kz_buf *positions);

#endif
