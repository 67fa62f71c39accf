/* line_reader.h - reading a file in chunks of whole lines; hashing a file's content.
 *
 * Why: a JSON Lines file may be larger than memory, and reading even a 150 MB one whole costs
 * 150 MB of fresh pages that the kernel must clear (8% of indexing CPU went to clearing pages).
 * The reader hands out chunks of about a target size into buffers the caller reuses, so memory
 * stays at a few chunks whatever the file's size.
 *
 * Invariants: the chunks handed out, in order, are exactly the file's first `size` bytes (fewer
 * if the file shrank while being read; never more, so a file that grows is read as stat saw
 * it). Every chunk but the last ends with '\n', and is not empty. Bytes read past a chunk's last newline wait in `pending` for the next chunk, and
 * peeking reads into `pending` too, so peeking never changes what the chunks hold. */
#ifndef KZ_LINE_READER_H
#define KZ_LINE_READER_H

#include "buf.h"

#include <stddef.h>
#include <stdint.h>

typedef struct kz_line_reader {
    int fd;
    const char *path;   /* borrowed, for messages */
    uint64_t unread;    /* bytes of the file not read yet (of the size given at open) */
    uint64_t handed;    /* bytes handed out in chunks so far */
    uint64_t next_line; /* 1-based number of the next chunk's first line */
    kz_buf pending;     /* read, not handed out yet */
} kz_line_reader;

/* Opens path, of size bytes as stat saw it. KZ_EIO (message names the file) if it cannot be
 * opened, KZ_ENOMEM. */
int kz_line_reader_open(kz_line_reader *r, const char *path, uint64_t size);
void kz_line_reader_close(kz_line_reader *r);

/* Makes the first min(want, what is left) bytes not handed out yet readable at *head, without
 * handing them out. */
int kz_line_reader_peek(kz_line_reader *r, size_t want, const uint8_t **head, size_t *len);

/* Clears out and fills it with the next chunk: the whole lines that end within about the next
 * `target` bytes (reads are of 64 KiB at least), or the one line that is longer, or at the end
 * of the file all that is left. Returns 1 with
 * *first_line set to the chunk's first line number, 0 at the end of the file (out empty), or
 * KZ_EIO / KZ_ENOMEM. */
int kz_line_reader_next(kz_line_reader *r, kz_buf *out, size_t target, uint64_t *first_line);

/* Clears out and fills it with everything not handed out yet. */
int kz_line_reader_rest(kz_line_reader *r, kz_buf *out);

/* The XXH3 of the first `size` bytes of path (fewer if it is shorter), read through a small
 * buffer. The registry records it so that a file touched but not changed is not indexed again;
 * every document of the file carries it, so it is needed before the file is read in chunks. */
int kz_file_content_hash(const char *path, uint64_t size, uint64_t *hash);

#endif
