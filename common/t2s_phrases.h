/* t2s_phrases.h - what OpenCC's Traditional → Simplified conversion does, read from the installed
 * OpenCC at build time: its multi-character keys, what it makes of each character alone, and the
 * fingerprint of the OpenCC files both were read from.
 *
 * Why: OpenCC's t2s conversion (t2s.json) cuts the text at the longest TSPhrases key starting at
 * each place, and converts the pieces with TSPhrases then TSCharacters. In a run where no key of
 * two or more characters occurs, every piece is one character converted alone: the run can be
 * converted character by character, with the same result, without calling OpenCC. Opening OpenCC
 * (loading its dictionaries) costs ~19 M instructions (~5 ms; the rest of a one-shot query costs
 * ~7 M), so the build asks OpenCC instead, once: the keys and the per-character answers become
 * generated tables, and a process opens OpenCC only for a run that holds a key. OpenCC's C API
 * cannot list its keys, so the build reads them from the installed dictionaries (`opencc_dict -t
 * text`); it asks OpenCC itself about each character below KZ_T2S_LIMIT, the way t2s.c asks at
 * run time (kz_t2s_question, kz_t2s_answer, kz_t2s_askable: one definition for both, so the
 * build-time and run-time answers cannot drift apart). cmake/t2s.cmake and common/gen/kz_mkt2s.c
 * make the tables.
 *
 * Invariants of the generated tables:
 * - kz_t2s_phrase_cps holds the keys one after the other, key i being cps[ends[i-1] .. ends[i])
 *   (ends[-1] = 0); keys are distinct, at least two code points long, and sorted as code-point
 *   sequences, so the keys starting with one character are contiguous.
 * - kz_t2s_char_from[0..kz_t2s_char_count) is strictly increasing, and holds exactly the code
 *   points OpenCC can be asked about (kz_t2s_askable: [1, KZ_T2S_LIMIT) but '\n' and the
 *   surrogates) that it changes alone into one other character (kz_t2s_answer's rule);
 *   kz_t2s_char_to[i] is that character (a Unicode scalar value, not U+FFFD, never equal to
 *   kz_t2s_char_from[i]). Every other code point below KZ_T2S_LIMIT is left as it is.
 * - kz_t2s_phrase_fingerprint is kz_t2s_fingerprint() of the OpenCC directory both tables were
 *   read from: they describe the installed OpenCC only while the fingerprint of the installed
 *   files still equals it (a package upgrade after the build turns the shortcut off, which asks
 *   OpenCC again, never makes it wrong). */
#ifndef KZ_T2S_PHRASES_H
#define KZ_T2S_PHRASES_H

#include <stddef.h>
#include <stdint.h>

/* OpenCC's data directory and the files t2s conversion reads from it. */
#define KZ_T2S_DIR        "/usr/share/opencc"
#define KZ_T2S_CONFIG     KZ_T2S_DIR "/t2s.json"
#define KZ_T2S_PHRASES    KZ_T2S_DIR "/TSPhrases.ocd2"
#define KZ_T2S_CHARACTERS KZ_T2S_DIR "/TSCharacters.ocd2"

/* One past CJK Unified Ideographs Extension G (U+3134A): nothing at or above it is an ideograph,
 * and t2s.c leaves it as it is. */
#define KZ_T2S_LIMIT 0x31400u

/* Generated (cmake/t2s.cmake, common/gen/kz_mkt2s.c). */
extern const uint32_t kz_t2s_phrase_cps[];
extern const uint32_t kz_t2s_phrase_ends[];
extern const uint32_t kz_t2s_phrase_count;
extern const uint32_t kz_t2s_char_from[];
extern const uint32_t kz_t2s_char_to[];
extern const uint32_t kz_t2s_char_count;
extern const uint64_t kz_t2s_phrase_fingerprint;

/* The XXH3 hash of the t2s configuration and both dictionaries of directory dir (each file's
 * length, then its bytes, in the order config, phrases, characters). Fails with a message naming
 * the file that cannot be read. */
int kz_t2s_fingerprint(const char *dir, uint64_t *out);

/* Whether OpenCC can be asked about cp alone: not U+0000 (which would end OpenCC's string), not
 * '\n' (which separates the answers), not a surrogate (which has no UTF-8 form), and below
 * KZ_T2S_LIMIT. Those it cannot be asked about are left as they are. */
static inline int kz_t2s_askable(uint32_t cp)
{
    return cp != 0 && cp != '\n' && (cp < 0xd800 || cp > 0xdfff) && cp < KZ_T2S_LIMIT;
}

/* Room kz_t2s_question needs for n characters: at most four bytes and a newline each. */
#define KZ_T2S_QUESTION_MAX(n) (5 * (size_t)(n))

/* Writes to out the text that asks OpenCC about each of cps[0..n) alone, and returns its length:
 * one character a line. OpenCC leaves newlines alone and cannot join characters across them into
 * a phrase, so line i of its answer is character i converted alone. Every cps[i] must be
 * askable (kz_t2s_askable). */
size_t kz_t2s_question(const uint32_t *cps, size_t n, uint8_t *out);

/* Reads the answer about cp, the line starting at p of OpenCC's answer [p, end), and returns the
 * start of the next line (end if there is none). *to is the one character of the line when it
 * holds exactly one, different from cp and not U+FFFD (cp changes alone into *to); otherwise cp
 * (OpenCC left cp alone, or made it into no character or several, which a conversion keeping one
 * character per character cannot use). */
const uint8_t *kz_t2s_answer(const uint8_t *p, const uint8_t *end, uint32_t cp, uint32_t *to);

#endif
