/* t2s_phrases.h - the multi-character keys of OpenCC's Traditional → Simplified dictionaries, and
 * the fingerprint of the OpenCC files they were read from.
 *
 * Why: OpenCC's t2s conversion (t2s.json) cuts the text at the longest TSPhrases key starting at
 * each place, and converts the pieces with TSPhrases then TSCharacters. In a run where no key of
 * two or more characters occurs, every piece is one character converted alone, which t2s.c's
 * memo already knows: the run can be converted without calling OpenCC, with the same result.
 * OpenCC's C API cannot list its keys, so the build reads them from the installed dictionaries
 * (`opencc_dict -t text`, cmake/t2s.cmake) into a generated table.
 *
 * Invariants of the generated table: kz_t2s_phrase_cps holds the keys one after the other, key i
 * being cps[ends[i-1] .. ends[i]) (ends[-1] = 0); keys are distinct, at least two code points
 * long, and sorted as code-point sequences, so the keys starting with one character are
 * contiguous. kz_t2s_phrase_fingerprint is kz_t2s_fingerprint() of the OpenCC directory the keys
 * were read from: the table describes the installed dictionaries only while the fingerprint of
 * the installed files still equals it (a package upgrade after the build turns the shortcut off,
 * never makes it wrong). */
#ifndef KZ_T2S_PHRASES_H
#define KZ_T2S_PHRASES_H

#include <stddef.h>
#include <stdint.h>

/* OpenCC's data directory and the files t2s conversion reads from it. */
#define KZ_T2S_DIR        "/usr/share/opencc"
#define KZ_T2S_CONFIG     KZ_T2S_DIR "/t2s.json"
#define KZ_T2S_PHRASES    KZ_T2S_DIR "/TSPhrases.ocd2"
#define KZ_T2S_CHARACTERS KZ_T2S_DIR "/TSCharacters.ocd2"

/* Generated (cmake/t2s.cmake, common/gen/kz_mkt2s.c). */
extern const uint32_t kz_t2s_phrase_cps[];
extern const uint32_t kz_t2s_phrase_ends[];
extern const uint32_t kz_t2s_phrase_count;
extern const uint64_t kz_t2s_phrase_fingerprint;

/* The XXH3 hash of the t2s configuration and both dictionaries of directory dir (each file's
 * length, then its bytes, in the order config, phrases, characters). Fails with a message naming
 * the file that cannot be read. */
int kz_t2s_fingerprint(const char *dir, uint64_t *out);

#endif
