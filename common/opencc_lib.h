/* opencc_lib.h - OpenCC's C API, loaded from libopencc at its first use instead of at the start of
 * every process.
 *
 * Why: libopencc is C++; linking it makes the dynamic loader map it with libstdc++ and libmarisa
 * and relocate them when any program using kzsearch starts: about 1 ms of CPU and 85 page faults
 * on the build machine, a third of a one-shot `kzsearch` query's. Since the per-character
 * conversions are built in (t2s_phrases.h), OpenCC is needed only for a run holding one of its
 * multi-character keys, which most processes never meet.
 *
 * Invariants: the library is loaded at most once per process (dlopen of KZ_OPENCC_SONAME, the
 * soname of the libopencc kzsearch was built against) and never unloaded, so the table of entry
 * points handed out stays valid for the life of the process; a failed load is remembered and
 * reported, with the loader's reason, to every caller. */
#ifndef KZ_OPENCC_LIB_H
#define KZ_OPENCC_LIB_H

#include <opencc/opencc.h>
#include <stddef.h>

typedef struct kz_opencc_api {
    opencc_t (*open)(const char *config);
    int (*close)(opencc_t cc);
    char *(*convert_utf8)(opencc_t cc, const char *text, size_t len);
    void (*convert_utf8_free)(char *converted);
    const char *(*error)(void);
} kz_opencc_api;

/* *out receives OpenCC's entry points, loading libopencc on the process's first call. KZ_OK, or
 * KZ_ENOTFOUND with a message naming the library, the loader's reason and the package to install. */
int kz_opencc_load(const kz_opencc_api **out);

#endif
