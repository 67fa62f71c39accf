/* arena.c - chunked bump allocation for the cursors of one query run.
 *
 * Invariant: head->data[0, used) is handed out, [used, cap) is free; a request larger than a
 * quarter of the default chunk gets a chunk of its own, placed behind head so the partly filled
 * head keeps serving small requests. */
#include "arena.h"

#include "error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A query run allocates a few hundred bytes per cursor: 16 KiB serves typical queries in one
 * chunk without holding much memory for trivial ones. */
#define KZ_ARENA_CHUNK 16384

struct kz_arena_chunk {
    kz_arena_chunk *next;
    size_t cap;
    _Alignas(KZ_ARENA_ALIGN) unsigned char data[];
};

static size_t round_up(size_t n)
{
    return (n + (KZ_ARENA_ALIGN - 1)) & ~(size_t)(KZ_ARENA_ALIGN - 1);
}

int kz_arena_alloc(void **out, kz_arena *a, size_t size)
{
    *out = NULL;
    if (size == 0) size = 1;
    if (size > SIZE_MAX / 2) return KZ_ENOMEM_FAIL();
    size = round_up(size);
    if (a->head != NULL && a->cap - a->used >= size) {
        *out = a->head->data + a->used;
        a->used += size;
        memset(*out, 0, size);
        return KZ_OK;
    }
    int own = size > KZ_ARENA_CHUNK / 4;
    size_t cap = own ? size : KZ_ARENA_CHUNK;
    kz_arena_chunk *c = malloc(sizeof *c + cap);
    if (c == NULL) return KZ_ENOMEM_FAIL();
    c->cap = cap;
    memset(c->data, 0, size);
    if (own && a->head != NULL) {
        c->next = a->head->next;
        a->head->next = c;
    } else {
        c->next = a->head;
        a->head = c;
        a->used = size;
        a->cap = cap;
    }
    *out = c->data;
    return KZ_OK;
}

int kz_arena_calloc(void **out, kz_arena *a, size_t n, size_t size)
{
    if (size != 0 && n > SIZE_MAX / size) {
        *out = NULL;
        return KZ_ENOMEM_FAIL();
    }
    return kz_arena_alloc(out, a, n * size);
}

void kz_arena_free(kz_arena *a)
{
    if (a == NULL) return;
    kz_arena_chunk *c = a->head;
    while (c != NULL) {
        kz_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = a->cap = 0;
}
