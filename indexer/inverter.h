/* inverter.h - the in-memory inverted index of the segment being built.
 *
 * Tokens are appended as they come to their term's posting stream, a byte buffer of varints
 * (see inverter.c for the encoding), which stays compact (a few bytes a posting) so the memory
 * budget buys many passages; kz_inverter_memory() reports the bytes held, and the writer flushes
 * a segment when it passes the budget.
 *
 * Invariants: passage ids are assigned 0, 1, 2, ... in order of kz_inverter_end_passage; within
 * a passage, tokens come in non-decreasing position order; a term's stream holds its passages in
 * increasing order; flushing happens between passages. */
#ifndef KZ_INVERTER_H
#define KZ_INVERTER_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_inverter kz_inverter;

int kz_inverter_new(kz_inverter **out);
void kz_inverter_free(kz_inverter *inv);

/* Adds a token of the current passage. Terms longer than KZ_TERM_MAX, and positions smaller
 * than the term's previous one in the passage, are rejected (KZ_EINVAL). */
int kz_inverter_add(kz_inverter *inv, const char *term, size_t len, uint32_t position);

/* A token for kz_inverter_add_tokens: the term's bytes (borrowed) and its position. */
typedef struct kz_inverter_token {
    const char *term;
    uint32_t len;
    uint32_t position;
} kz_inverter_token;

/* Adds tokens[0..n) of the current passage in order, as kz_inverter_add would one by one
 * (stopping at the first it rejects), but faster: looking ahead in the array, it fetches the
 * table slots, entries and streams of the next tokens while it adds this one. */
int kz_inverter_add_tokens(kz_inverter *inv, const kz_inverter_token *tokens, size_t n);

/* Ends the current passage; *length receives its length for BM25 (distinct positions). */
int kz_inverter_end_passage(kz_inverter *inv, uint32_t *length);

/* Passages ended so far, and the bytes of memory held. */
uint32_t kz_inverter_passages(const kz_inverter *inv);
size_t kz_inverter_memory(const kz_inverter *inv);

/* Called by kz_inverter_flush for each term in increasing memcmp order with its postings:
 * docs[n], tfs[n] and the concatenated positions (sum of tfs). Arrays are borrowed. */
typedef int (*kz_inverter_term_fn)(void *ctx, const char *term, size_t len, const uint32_t *docs,
                                   const uint32_t *tfs, const uint32_t *positions, size_t n);

/* Walks every term with at least min_df postings (0: every term) in order. It does not change
 * the inverter, so several threads may walk it at once. */
int kz_inverter_walk(const kz_inverter *inv, uint32_t min_df, kz_inverter_term_fn fn, void *ctx);

/* Forgets everything (keeps allocations for reuse where cheap). */
void kz_inverter_reset(kz_inverter *inv);

#endif
