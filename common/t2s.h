/* t2s.h - Traditional → Simplified Chinese for the analyzer, on OpenCC (config t2s.json), one
 * output character per input character so that every term keeps its byte offsets.
 *
 * A kz_t2s is one analyzer's converter: an OpenCC handle (OpenCC's C API promises nothing about
 * concurrent use, so each analyzer has its own) and a memo of what OpenCC does to each character
 * taken alone: unknown, unchanged, or changed into one given character. The memo fills as
 * characters are first seen (one OpenCC call per run that brings new characters); a text's
 * character vocabulary is small, so after a few kilobytes of Chinese nearly every run is decided
 * from the memo alone. Asking OpenCC about all 100,000 ideographs up front would cost ~110 ms at
 * start-up; the memo costs nothing until Chinese text arrives.
 *
 * Converting a run: if no character of the run changes alone, the run is left as it is (the
 * common case for Simplified text, and the only one that must be fast). If one does but none of
 * OpenCC's multi-character keys occurs in the run (99.7% of the Traditional text of the bench
 * collection), OpenCC would convert each character alone, so the memo converts the run
 * (t2s_phrases.h explains why this is exact, and when the key table is not trusted). Otherwise
 * OpenCC converts the whole run with its phrase dictionary (乾隆 stays 乾隆, 乾燥 becomes 干燥);
 * when the result has as many characters as the run it is taken, else each character is
 * converted alone, so output character i always stands for input character i. The memo only
 * decides whether OpenCC is asked, never what the answer is, so results do not depend on what
 * was converted before. */
#ifndef KZ_T2S_H
#define KZ_T2S_H

#include <stddef.h>
#include <stdint.h>

typedef struct kz_t2s kz_t2s;

int kz_t2s_new(kz_t2s **out);
void kz_t2s_free(kz_t2s *c);

/* Converts cps[0..n) in place, keeping n. */
int kz_t2s_convert(kz_t2s *c, uint32_t *cps, size_t n);

/* The Simplified form of cp taken alone (cp itself if OpenCC leaves it or makes it more than one
 * character). */
int kz_t2s_char(kz_t2s *c, uint32_t cp, uint32_t *out);

/* Whether runs without a multi-character key are converted without OpenCC: true when the key
 * table built into the library describes the installed OpenCC files (decided once per process,
 * at the first call, which reads them; the same for every converter). */
int kz_t2s_shortcut(void);

#endif
