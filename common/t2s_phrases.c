/* t2s_phrases.c - the fingerprint of OpenCC's t2s files, and how a character is asked about alone
 * and the answer read (see t2s_phrases.h). The tables themselves are generated at build time;
 * this file is shared by the library and the generator, so both hash the files the same way and
 * give OpenCC's answers the same meaning. */
#include "t2s_phrases.h"

#include "error.h"
#include "file.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <xxhash.h>

/* OpenCC's t2s files are tens of kilobytes; anything far larger is not one of them. */
#define KZ_T2S_FILE_MAX (64u << 20)

int kz_t2s_fingerprint(const char *dir, uint64_t *out)
{
    static const char *const names[] = {"t2s.json", "TSPhrases.ocd2", "TSCharacters.ocd2"};
    *out = 0;
    XXH3_state_t *st = XXH3_createState();
    if (st == NULL || XXH3_64bits_reset(st) == XXH_ERROR) {
        XXH3_freeState(st);
        return KZ_ENOMEM_FAIL();
    }
    int rc = KZ_OK;
    for (size_t i = 0; i < sizeof names / sizeof names[0] && rc == KZ_OK; i++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
            rc = kz_fail(KZ_EINVAL, "OpenCC directory name too long: %s", dir);
            break;
        }
        uint8_t *data;
        size_t len;
        rc = kz_file_read_all(path, KZ_T2S_FILE_MAX, "OpenCC file", &data, &len);
        if (rc != KZ_OK) break;
        uint64_t len64 = len;
        if (XXH3_64bits_update(st, &len64, sizeof len64) == XXH_ERROR ||
            XXH3_64bits_update(st, data, len) == XXH_ERROR)
            rc = kz_fail(KZ_ERROR, "cannot hash %s", path);
        free(data);
    }
    if (rc == KZ_OK) *out = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    return rc;
}

size_t kz_t2s_question(const uint32_t *cps, size_t n, uint8_t *out)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        len += kz_utf8_encode(cps[i], out + len);
        out[len++] = '\n';
    }
    return len;
}

const uint8_t *kz_t2s_answer(const uint8_t *p, const uint8_t *end, uint32_t cp, uint32_t *to)
{
    const uint8_t *line = p;
    while (p < end && *p != '\n') p++;
    uint32_t got = cp;
    size_t k = line < p ? kz_utf8_decode(line, p, &got) : 0;
    *to = k > 0 && line + k == p && got != KZ_UTF8_REPLACEMENT ? got : cp;
    return p < end ? p + 1 : end;
}
