/* analyzer_internal.h - what the index needs from the analyzer beyond the public API: the
 * identity of the Chinese dictionary (so an index records which one built it), opening an
 * analyzer on a dictionary blob held in memory (the one an index stores), and the surface-form
 * mode that the offset checks and highlighting use.
 *
 * The analyzer pipeline is described in analyzer.c and docs/ANALYSIS.md. */
#ifndef KZ_ANALYZER_INTERNAL_H
#define KZ_ANALYZER_INTERNAL_H

#include "kzsearch.h"

#include <stddef.h>
#include <stdint.h>

/* Like kz_analyzer_new, with the compiled Chinese dictionary given as bytes (copied: the caller
 * may free blob afterwards). opts->zh_dict is ignored. */
int kz_analyzer_new_with_dict(kz_analyzer **out, const kz_analyzer_options *opts, const void *blob,
                              size_t len);

/* Identifies the Chinese dictionary the analyzer segments with (kz_zhdict_hash). */
uint64_t kz_analyzer_dict_hash(const kz_analyzer *a);

/* Non-zero: tokens carry their surface form — the normalised text (NFKC, case folded, lumped)
 * before Traditional→Simplified conversion and stemming — instead of the indexed term; position,
 * offsets and script are unchanged. For checking offsets and for highlighting. */
void kz_analyzer_set_surface(kz_analyzer *a, int surface);

#endif
