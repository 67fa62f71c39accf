/* t2s.h - Traditional → Simplified Chinese for the analyzer, on OpenCC (config t2s.json), one
 * output character per input character so that every term keeps its byte offsets.
 *
 * Two objects. A kz_t2s_table is built once per analyzer family and shared read-only by clones:
 * for every Han code point whose OpenCC conversion, taken alone, is a different single character,
 * the pair (traditional, simplified), plus a bitmap of those traditional code points. A kz_t2s is
 * one thread's converter: an OpenCC handle (OpenCC's C API gives no promise about concurrent use)
 * and scratch buffers.
 *
 * Converting a run: if no character of the run is in the bitmap the run is already Simplified and
 * is left alone (the common case, and the only one that must be fast). Otherwise OpenCC converts
 * the whole run, with its phrase dictionary (乾隆 stays 乾隆, 乾燥 becomes 干燥); when the result
 * has as many characters as the run it is taken, else each character is mapped alone through the
 * table, so output character i always stands for input character i. */
#ifndef KZ_T2S_H
#define KZ_T2S_H

#include <stddef.h>
#include <stdint.h>

typedef struct kz_t2s_table kz_t2s_table;
typedef struct kz_t2s kz_t2s;

/* OpenCC's configuration for Traditional → Simplified. */
#define KZ_T2S_CONFIG "/usr/share/opencc/t2s.json"

/* Builds the table by converting every CJK unified and compatibility ideograph with OpenCC. */
int kz_t2s_table_new(kz_t2s_table **out);
void kz_t2s_table_free(kz_t2s_table *t);
/* Number of characters that change alone (for reports and tests). */
size_t kz_t2s_table_size(const kz_t2s_table *t);
/* The simplified form of cp taken alone, or cp itself. */
uint32_t kz_t2s_char(const kz_t2s_table *t, uint32_t cp);

/* A converter on table (borrowed: it must outlive the converter). */
int kz_t2s_new(kz_t2s **out, const kz_t2s_table *table);
void kz_t2s_free(kz_t2s *c);

/* Converts cps[0..n) in place, keeping n. */
int kz_t2s_convert(kz_t2s *c, uint32_t *cps, size_t n);

#endif
