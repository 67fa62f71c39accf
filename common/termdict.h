/* termdict.h - the term dictionary of a segment: term bytes -> term info.
 *
 * Two structures over one sorted term list, both in one byte string: (1) blocks of front-coded
 * terms (each term stored as the length of the prefix it shares with the previous term plus its
 * suffix) with a sparse index of each block's first term, for ordered and prefix iteration; and
 * (2) an open-addressing hash table keyed by XXH3-64 of the term that maps straight to the term's
 * block number and index, so that looking up a query term costs two or three cache misses
 * (its slot run, the block's index entry, the block). Terms are
 * arbitrary non-empty byte strings (UTF-8 in practice) of at most KZ_TERM_MAX bytes, added in
 * strictly increasing memcmp order. The byte layout is in docs/format/termdict.md.
 *
 * The reader treats the bytes as untrusted: any inconsistency gives KZ_ECORRUPT. */
#ifndef KZ_TERMDICT_H
#define KZ_TERMDICT_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

/* Longer terms are cut by the analyzer; no real word is this long. */
#define KZ_TERM_MAX 255

typedef struct kz_term_info {
    uint32_t df;      /* passages containing the term */
    uint64_t cf;      /* total occurrences */
    uint64_t doc_off; /* offset of the doc stream of its postings in the postings section */
    uint64_t doc_len; /* its length in bytes */
    uint64_t pos_off; /* offset of its position stream in the positions section */
    uint64_t pos_len; /* its length in bytes */
} kz_term_info;

typedef struct kz_termdict_writer kz_termdict_writer;

int kz_termdict_writer_new(kz_termdict_writer **out);
/* Terms must come in strictly increasing memcmp order; KZ_EINVAL otherwise. */
int kz_termdict_writer_add(kz_termdict_writer *w, const char *term, size_t len,
                           const kz_term_info *info);
/* Appends the finished dictionary to out. The writer can then only be freed. */
int kz_termdict_writer_finish(kz_termdict_writer *w, kz_buf *out);
void kz_termdict_writer_free(kz_termdict_writer *w);

/* A reader over a finished dictionary; borrows the bytes (typically mmapped). Plain value. */
typedef struct kz_termdict {
    const uint8_t *data;
    size_t len;
    uint64_t nterms;
    /* private: section offsets decoded by kz_termdict_open */
    uint64_t nblocks, blocks_off, index_off, hash_off, hash_slots;
    unsigned block_bits; /* bits of a hash slot that hold a block number */
} kz_termdict;

/* Validates the header and section bounds. KZ_OK or KZ_ECORRUPT. */
int kz_termdict_open(kz_termdict *td, const uint8_t *data, size_t len);

/* KZ_OK and *info filled, KZ_ENOTFOUND, or KZ_ECORRUPT. */
int kz_termdict_lookup(const kz_termdict *td, const char *term, size_t len, kz_term_info *info);

/* A term to look up, borrowed. */
typedef struct kz_term_ref {
    const char *term;
    size_t len;
} kz_term_ref;

/* Brings into the cache what looking up each of the n terms will read first: its hash slot,
 * block index entry and block (their own first probe only). A lookup waits on three memory
 * reads, each depending on the one before; a query's lookups made one after another wait on
 * 3n, while these are spread over the n terms at each step, so lookups that follow wait on
 * little. Advisory: reads only what is in bounds, reports nothing, changes nothing. */
void kz_termdict_prefetch(const kz_termdict *td, const kz_term_ref *terms, size_t n);

/* Iterates terms in increasing order, all of them or those starting with a prefix. */
typedef struct kz_termdict_iter {
    const kz_termdict *td;
    char prefix[KZ_TERM_MAX + 1];
    size_t prefix_len;
    /* private */
    uint64_t block, index;     /* current block and term index within it */
    const uint8_t *p;          /* next entry in the current block */
    const uint8_t *end;        /* end of the current block */
    uint64_t doc_end, pos_end; /* ends of the previous term's streams (delta base) */
    char term[KZ_TERM_MAX + 1];
    size_t term_len;
    int done;
} kz_termdict_iter;

/* prefix may be NULL (len 0) for every term. KZ_OK or KZ_ECORRUPT. */
int kz_termdict_iter_init(kz_termdict_iter *it, const kz_termdict *td, const char *prefix,
                          size_t len);
/* KZ_OK with *term (borrowed from the iterator until the next call), *len and *info filled;
 * KZ_ITEROVER at the end; KZ_ECORRUPT. */
int kz_termdict_iter_next(kz_termdict_iter *it, const char **term, size_t *len, kz_term_info *info);

/* The ordinal (0-based, in term order) of the term kz_termdict_iter_next last returned. */
static inline uint64_t kz_termdict_iter_ordinal(const kz_termdict_iter *it)
{
    return it->block * 16 + it->index - 1;
}

/* Checks the whole dictionary: every block, the order of the terms, and that the hash table
 * finds each term and holds nothing else (for kz_index_check; reads everything). KZ_OK or
 * KZ_ECORRUPT. */
int kz_termdict_verify(const kz_termdict *td);

#endif
