/* opencc_lib.c - loading libopencc at first use (opencc_lib.h). */
#include "opencc_lib.h"

#include "error.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#ifndef KZ_OPENCC_SONAME
#error                                                                                             \
    "KZ_OPENCC_SONAME (the soname of libopencc, found by cmake/dependencies.cmake) is not defined"
#endif

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static kz_opencc_api api;
static int loaded;           /* api is complete */
static char load_error[512]; /* why not, when !loaded */

/* ISO C has no conversion from an object pointer (what dlsym returns) to a function pointer. */
static int resolve(void *lib, const char *name, void *fn, size_t size)
{
    void *sym = dlsym(lib, name);
    if (sym == NULL) {
        snprintf(load_error, sizeof load_error, "%s has no %s", KZ_OPENCC_SONAME, name);
        return 0;
    }
    memcpy(fn, &sym, size);
    return 1;
}

static void load(void)
{
    /* Never closed: OpenCC handles may be open until the process ends. */
    void *lib = dlopen(KZ_OPENCC_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) {
        const char *why = dlerror();
        snprintf(load_error, sizeof load_error, "%s", why ? why : KZ_OPENCC_SONAME);
        return;
    }
    loaded = resolve(lib, "opencc_open", &api.open, sizeof api.open) &&
             resolve(lib, "opencc_close", &api.close, sizeof api.close) &&
             resolve(lib, "opencc_convert_utf8", &api.convert_utf8, sizeof api.convert_utf8) &&
             resolve(lib, "opencc_convert_utf8_free", &api.convert_utf8_free,
                     sizeof api.convert_utf8_free) &&
             resolve(lib, "opencc_error", &api.error, sizeof api.error);
}

int kz_opencc_load(const kz_opencc_api **out)
{
    *out = NULL;
    pthread_once(&load_once, load);
    if (!loaded)
        return kz_fail(KZ_ENOTFOUND,
                       "cannot load OpenCC (%s): %s; install libopencc (Debian: libopencc1.1) "
                       "or turn off Traditional→Simplified conversion",
                       KZ_OPENCC_SONAME, load_error);
    *out = &api;
    return KZ_OK;
}
