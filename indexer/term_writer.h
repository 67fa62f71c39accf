/* term_writer.h - writes a new segment's term dictionary, postings and positions: its words'
 * posting lists as given, then the word-pair terms a pair writer derived (pair_writer.h).
 *
 * The segment builder feeds it from the inverter and a merge from its inputs' lists. Words come
 * in strictly increasing memcmp order, each with its whole list; the pairs are derived by the
 * caller from the positions of the common words with the segment's own dfs and threshold (a
 * merge derives them again instead of copying its inputs' pairs) and appended at finish. */
#ifndef KZ_TERM_WRITER_H
#define KZ_TERM_WRITER_H

#include "segment_file.h"
#include "termdict.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_term_writer kz_term_writer;
typedef struct kz_pair_writer kz_pair_writer; /* pair_writer.h */

/* Encodes a term's posting list (n >= 1; as kz_postings_encode takes it, with the passages'
 * lengths) onto the postings and positions streams; *info receives its df and cf and where its
 * bytes lie in them. The term writer's lists go to the segment's sections, the pair writer's to
 * buffers of its own. */
int kz_term_list_encode(kz_buf *postings, kz_buf *positions, const uint32_t *lengths,
                        const uint32_t *docs, const uint32_t *tfs, const uint32_t *pos, size_t n,
                        kz_term_info *info);

/* Writes into parts' TERMS, POSTINGS and POSITIONS sections. lengths (one per passage, the
 * passages' lengths in tokens) are borrowed until kz_term_writer_finish. */
int kz_term_writer_new(kz_term_writer **out, kz_segment_parts *parts, const uint32_t *lengths);
void kz_term_writer_free(kz_term_writer *w);

/* Adds a word's posting list (n >= 1; as kz_postings_encode takes it). A term starting with
 * byte 0xFF, the mark of pair terms, is refused (KZ_EINVAL). */
int kz_term_writer_add(kz_term_writer *w, const char *term, size_t len, const uint32_t *docs,
                       const uint32_t *tfs, const uint32_t *positions, size_t n);

/* Adds the pairs of a derived pair writer (NULL: none), whose lists it takes as the POSTINGS and
 * POSITIONS sections' continuations, and finishes the dictionary. *nterms receives the number of
 * dictionary terms, pairs included. The writer can then only be freed. */
int kz_term_writer_finish(kz_term_writer *w, kz_pair_writer *pairs, uint64_t *nterms);

#endif
