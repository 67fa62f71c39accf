/* registry.c - the writer's table of indexed sources (see registry.h). Open addressing with
 * linear probing on XXH3-64 of the source name, at most half full. */
#include "registry.h"

#include "error.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

void kz_registry_free(kz_registry *r)
{
    for (size_t i = 0; i < r->nentries; i++) {
        free(r->entries[i].source);
        free(r->entries[i].ranges);
    }
    free(r->entries);
    free(r->slots);
    memset(r, 0, sizeof *r);
}

kz_file_entry *kz_registry_find(const kz_registry *r, const char *source, size_t len)
{
    if (r->nslots == 0) return NULL;
    uint64_t h = XXH3_64bits(source, len);
    for (size_t i = h & (r->nslots - 1);; i = (i + 1) & (r->nslots - 1)) {
        uint32_t s = r->slots[i];
        if (s == 0) return NULL;
        kz_file_entry *e = &r->entries[s - 1];
        if (e->hash == h && e->source_len == len && memcmp(e->source, source, len) == 0) return e;
    }
}

static int rehash(kz_registry *r, size_t nslots)
{
    uint32_t *slots = calloc(nslots, sizeof *slots);
    if (slots == NULL) return KZ_ENOMEM_FAIL();
    for (size_t k = 0; k < r->nentries; k++) {
        size_t i = r->entries[k].hash & (nslots - 1);
        while (slots[i]) i = (i + 1) & (nslots - 1);
        slots[i] = (uint32_t)k + 1;
    }
    free(r->slots);
    r->slots = slots;
    r->nslots = nslots;
    return KZ_OK;
}

int kz_registry_get(kz_registry *r, const char *source, size_t len, kz_file_entry **out)
{
    kz_file_entry *e = kz_registry_find(r, source, len);
    if (e != NULL) {
        *out = e;
        return KZ_OK;
    }
    if ((r->nentries + 1) * 2 > r->nslots) KZ_TRY(rehash(r, r->nslots ? r->nslots * 2 : 64));
    if (r->nentries == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        kz_file_entry *grown = realloc(r->entries, cap * sizeof *grown);
        if (grown == NULL) return KZ_ENOMEM_FAIL();
        r->entries = grown;
        r->cap = cap;
    }
    e = &r->entries[r->nentries];
    memset(e, 0, sizeof *e);
    e->source = malloc(len + 1);
    if (e->source == NULL) return KZ_ENOMEM_FAIL();
    memcpy(e->source, source, len);
    e->source[len] = '\0';
    e->source_len = len;
    e->hash = XXH3_64bits(source, len);
    size_t i = e->hash & (r->nslots - 1);
    while (r->slots[i]) i = (i + 1) & (r->nslots - 1);
    r->slots[i] = (uint32_t)++r->nentries;
    *out = e;
    return KZ_OK;
}

int kz_registry_add_docs(kz_file_entry *e, uint32_t seg, uint32_t first_doc, uint32_t ndocs)
{
    if (ndocs == 0) return KZ_OK;
    if (e->nranges > 0) {
        kz_doc_range *last = &e->ranges[e->nranges - 1];
        if (last->seg == seg && last->first_doc + last->ndocs == first_doc) {
            last->ndocs += ndocs;
            return KZ_OK;
        }
    }
    if (e->nranges == e->ranges_cap) {
        size_t cap = e->ranges_cap ? e->ranges_cap * 2 : 1;
        kz_doc_range *grown = realloc(e->ranges, cap * sizeof *grown);
        if (grown == NULL) return KZ_ENOMEM_FAIL();
        e->ranges = grown;
        e->ranges_cap = cap;
    }
    e->ranges[e->nranges++] = (kz_doc_range){seg, first_doc, ndocs};
    return KZ_OK;
}
