/* zeroed.c - zeroed arrays with their pages mapped writable up front (see zeroed.h). */
#include "zeroed.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

/* Below this, the allocation may sit in pages the heap already maps, and the faults it saves
 * are too few to pay for a system call. */
#define KZ_ZEROED_MIN_BYTES ((size_t)1 << 20)

void *kz_zeroed_alloc(size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) return NULL;
    void *p = calloc(n, size);
    if (p == NULL || n * size < KZ_ZEROED_MIN_BYTES) return p;
#ifdef MADV_POPULATE_WRITE
    long page = sysconf(_SC_PAGESIZE);
    if (page > 0) {
        /* Only whole pages inside the allocation: calloc's header shares the first one. */
        uintptr_t start = ((uintptr_t)p + (uintptr_t)page - 1) & ~((uintptr_t)page - 1);
        uintptr_t end = ((uintptr_t)p + n * size) & ~((uintptr_t)page - 1);
        /* Best effort: an older kernel refuses (EINVAL), and the pages then fault as usual. */
        if (end > start) (void)madvise((void *)start, end - start, MADV_POPULATE_WRITE);
    }
#endif
    return p;
}
