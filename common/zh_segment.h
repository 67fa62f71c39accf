/* zh_segment.h - Chinese word segmentation: jieba's dictionary algorithm without its HMM.
 *
 * Input is one run of Han code points (already Simplified); output is pieces, each a range of
 * code-point indices into the run and the number of the precise-mode word it belongs to.
 *
 * Precise mode (KZ_ZH_PRECISE) is jieba.cut(text, HMM=False) on the run: over the DAG of
 * dictionary words starting at each character (a character that starts no word is a word of
 * its own), the route maximising the sum of log(freq/total), ties going to the longer word;
 * the scores are computed in jieba's order so the two agree exactly. Each route word is one
 * piece and its own word number (0, 1, 2, ...).
 *
 * Search mode (KZ_ZH_SEARCH) is jieba.cut_for_search(text, HMM=False): each route word, then,
 * for a word longer than 2 characters, every 2-character dictionary word inside it, and for a
 * word longer than 3, every 3-character one. Pieces of one word share its word number, so the
 * analyzer (position = base + word) gives them the position of the word they come from and
 * phrase queries keep working. Order: by word, then start ascending, then length descending;
 * hence each word's first piece is the word itself.
 *
 * Unknown characters: a character that starts no dictionary word becomes a single-character
 * word (jieba without HMM does the same). A name missing from the dictionary, such as 托卡耶夫,
 * therefore comes out as single characters and short words at consecutive positions; the
 * query, segmented the same way, finds it as a phrase. No extra bigrams are emitted: a query in
 * precise mode could not produce them, so they would only enlarge the index (docs/CHINESE.md).
 *
 * Without a dictionary (d == NULL) every run of two or more characters becomes its overlapping
 * bigrams, each its own word, and a single character stays itself; both modes are the same.
 *
 * Long runs: the route is computed over windows of at most KZ_ZH_WINDOW characters, so scratch
 * memory stays bounded whatever the run's length (the pieces themselves grow with the output).
 * A window ends at the last position in it that no dictionary word crosses, where the best route
 * of the whole run necessarily passes, so the words are those of the unbounded route (floating-
 * point rounding aside: each window is scored like jieba scores that window alone). Only if the
 * last KZ_ZH_CUT_SEARCH positions have no such position is the window cut at its full length. Runs up to KZ_ZH_WINDOW are one
 * window and equal jieba's output exactly. */
#ifndef KZ_ZH_SEGMENT_H
#define KZ_ZH_SEGMENT_H

#include "zh_dict.h"

#include <stddef.h>
#include <stdint.h>

enum { KZ_ZH_PRECISE = 0, KZ_ZH_SEARCH = 1 };

/* 64 Ki characters: far longer than any sentence (so real text is never cut), and 768 KB of
 * route scratch. */
#define KZ_ZH_WINDOW 65536u
/* How far back from a window's full length a free cut position is looked for: real text has one
 * every few characters, so 4096 only bounds the work on pathological runs (一一一...). */
#define KZ_ZH_CUT_SEARCH 4096u

typedef struct kz_zh_piece {
    uint32_t start, end; /* code-point indices into the run, [start, end) */
    uint32_t word;       /* index of the precise-mode word it belongs to */
} kz_zh_piece;

/* Scratch buffers; one per thread; reused across calls. */
typedef struct kz_zh_segmenter kz_zh_segmenter;

/* d may be NULL: bigram fallback. d is borrowed and must outlive the segmenter. */
int kz_zh_segmenter_new(kz_zh_segmenter **out, const kz_zhdict *d);
void kz_zh_segmenter_free(kz_zh_segmenter *s);

/* Segments cps[0..n) in mode KZ_ZH_PRECISE or KZ_ZH_SEARCH. *pieces is valid until the next call
 * on s. No allocation once the scratch has grown to the longest run seen. KZ_EINVAL for an
 * unknown mode or a run of 2^32 - 1 characters or more. */
int kz_zh_segment(kz_zh_segmenter *s, const uint32_t *cps, size_t n, int mode,
                  const kz_zh_piece **pieces, size_t *npieces);

#endif
