/* arena.h - the bump allocator that owns a query run's cursors and their scratch arrays.
 *
 * Invariants: memory comes from a singly linked list of chunks; every pointer handed out stays
 * valid, unmoved, until kz_arena_free(), which releases every chunk at once (nothing is freed
 * one by one, so cursors need no destructors). Allocations are aligned to KZ_ARENA_ALIGN. A
 * zero-initialised kz_arena (KZ_ARENA_INIT) is a valid empty arena. */
#ifndef KZ_ARENA_H
#define KZ_ARENA_H

#include <stddef.h>

/* Enough for doubles, uint64_t and pointers on every platform we build on. */
#define KZ_ARENA_ALIGN 16

typedef struct kz_arena_chunk kz_arena_chunk;

typedef struct kz_arena {
    kz_arena_chunk *head; /* the chunk being filled; older chunks follow */
    size_t used;          /* bytes used in head */
    size_t cap;           /* bytes available in head */
} kz_arena;

#define KZ_ARENA_INIT                                                                              \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }

/* Returns size bytes of zeroed memory owned by the arena in *out. KZ_OK or KZ_ENOMEM. */
int kz_arena_alloc(void **out, kz_arena *a, size_t size);

/* Same, for n elements of size bytes each (fails with KZ_ENOMEM on overflow). */
int kz_arena_calloc(void **out, kz_arena *a, size_t n, size_t size);

/* Releases every allocation and resets the arena to empty. NULL is allowed. */
void kz_arena_free(kz_arena *a);

#endif
