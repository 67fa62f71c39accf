/* segment_builder.h - builds the sections of a new segment from analysed documents.
 *
 * Call order, for each document: any number of passages, each given as its tokens
 * (kz_segment_builder_token, kz_segment_builder_tokens) then kz_segment_builder_end_passage; then
 * kz_segment_builder_end_doc. Finally kz_segment_builder_finish produces the sections and
 * resets the builder for the next segment. Passage ids are assigned 0, 1, 2, ... in order, and
 * a document's passages are contiguous (deletions and filters rely on it). */
#ifndef KZ_SEGMENT_BUILDER_H
#define KZ_SEGMENT_BUILDER_H

#include "inverter.h"
#include "segment.h"
#include "segment_file.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_segment_builder kz_segment_builder;

/* pair_min_df: kz_writer_options.pair_min_df (common/pairs.h). */
int kz_segment_builder_new(kz_segment_builder **out, uint32_t pair_min_df);
void kz_segment_builder_free(kz_segment_builder *b);

int kz_segment_builder_token(kz_segment_builder *b, const char *term, size_t len,
                             uint32_t position);
/* Tokens of the passage, in order, at once (faster than one by one: kz_inverter_add_tokens). */
int kz_segment_builder_tokens(kz_segment_builder *b, const kz_inverter_token *tokens, size_t n);
/* Ends a passage whose text and source location are given (rec->doc is ignored). */
int kz_segment_builder_end_passage(kz_segment_builder *b, const kz_passage_record *rec);
/* Ends a document: doc's strings and file identity are stored; its passage range is set here. */
int kz_segment_builder_end_doc(kz_segment_builder *b, const kz_doc_entry *doc);

uint32_t kz_segment_builder_passages(const kz_segment_builder *b);
uint32_t kz_segment_builder_docs(const kz_segment_builder *b);
size_t kz_segment_builder_memory(const kz_segment_builder *b);

/* Produces the sections (parts must be zeroed or freed) and resets the builder. */
int kz_segment_builder_finish(kz_segment_builder *b, kz_segment_parts *parts);

#endif
