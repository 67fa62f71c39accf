/* t2s.h - Traditional → Simplified Chinese for the analyzer, on OpenCC (config t2s.json), one
 * output character per input character so that every term keeps its byte offsets.
 *
 * A kz_t2s is one analyzer's converter: a memo of what OpenCC does to each character taken alone
 * (unchanged, or changed into one given character), and an OpenCC handle opened only when needed
 * (OpenCC's C API promises nothing about concurrent use, so each analyzer has its own). Opening
 * OpenCC costs ~19 M instructions (~5 ms, about three times the rest of a one-shot query), so
 * the answers come from a table the build got from OpenCC itself (t2s_phrases.h), copied once per
 * process into a memo every converter reads. That table is trusted only while the installed
 * OpenCC files are those it was made from (kz_t2s_shortcut); otherwise each converter's own memo
 * fills as characters are first seen, one OpenCC call per run that brings new ones.
 *
 * Converting a run: if no character of the run changes alone, the run is left as it is (the
 * common case for Simplified text, and the only one that must be fast). If one does but none of
 * OpenCC's multi-character keys occurs in the run (99.7% of the Traditional text of the bench
 * collection), OpenCC would convert each character alone, so the memo converts the run
 * (t2s_phrases.h explains why this is exact). Otherwise OpenCC, opened then, converts the whole
 * run with its phrase dictionary (乾隆 stays 乾隆, 乾燥 becomes 干燥); when the result has as
 * many characters as the run it is taken, else each character is converted alone, so output
 * character i always stands for input character i. Under the shortcut, then, OpenCC is opened
 * only by a run holding a key. The memo holds facts about single characters that do not change,
 * so a run's result does not depend on what was converted before. */
#ifndef KZ_T2S_H
#define KZ_T2S_H

#include <stddef.h>
#include <stdint.h>

typedef struct kz_t2s kz_t2s;

int kz_t2s_new(kz_t2s **out);
void kz_t2s_free(kz_t2s *c);

/* Converts cps[0..n) in place, keeping n. */
int kz_t2s_convert(kz_t2s *c, uint32_t *cps, size_t n);

/* The Simplified form of cp taken alone: the one character OpenCC makes of it, or cp itself if
 * OpenCC leaves it, or makes it into no character, several, or U+FFFD (kz_t2s_answer). */
int kz_t2s_char(kz_t2s *c, uint32_t cp, uint32_t *out);

/* Whether OpenCC is spared for single characters and for runs without a multi-character key: true
 * when the tables built into the library describe the installed OpenCC files (decided once per
 * process, at the first call, which reads them; the same for every converter). */
int kz_t2s_shortcut(void);

/* How many converters of this process have opened OpenCC (each opens it at most once, and loads
 * libopencc through opencc_lib.h the first time any does). */
size_t kz_t2s_opencc_opens(void);

#endif
