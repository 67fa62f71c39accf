/* line_reader.c - a file in chunks of whole lines (see line_reader.h). */
#include "line_reader.h"

#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xxhash.h>

/* Reads are at least this large (unless the file ends), so long lines cost few system calls. */
#define READ_MIN ((size_t)64 << 10)

int kz_line_reader_open(kz_line_reader *r, const char *path, uint64_t size)
{
    *r = (kz_line_reader){
        .fd = -1, .path = path, .unread = size, .next_line = 1, .pending = KZ_BUF_INIT};
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0) return kz_fail_errno(KZ_EIO, "cannot open %s", path);
    return KZ_OK;
}

void kz_line_reader_close(kz_line_reader *r)
{
    if (r->fd >= 0) close(r->fd);
    r->fd = -1;
    kz_buf_free(&r->pending);
}

/* One read(2) of at most want bytes into p; *got = 0 at the end of the file. */
static int read_some(int fd, const char *path, uint8_t *p, size_t want, size_t *got)
{
    *got = 0;
    for (;;) {
        ssize_t n = read(fd, p, want);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return kz_fail_errno(KZ_EIO, "cannot read %s", path);
        *got = (size_t)n;
        return KZ_OK;
    }
}

/* Appends up to want bytes of the file (at least READ_MIN unless the file ends) to b; *got = 0
 * means the end of the file. */
static int read_more(kz_line_reader *r, kz_buf *b, size_t want, size_t *got)
{
    *got = 0;
    if (want < READ_MIN) want = READ_MIN;
    if (want > r->unread) want = (size_t)r->unread;
    if (want == 0) return KZ_OK;
    KZ_TRY(kz_buf_reserve(b, want));
    KZ_TRY(read_some(r->fd, r->path, b->data + b->len, want, got));
    if (*got == 0) /* the file shrank while we read it: what was read is what there is */
        r->unread = 0;
    b->len += *got;
    r->unread -= *got;
    return KZ_OK;
}

int kz_line_reader_peek(kz_line_reader *r, size_t want, const uint8_t **head, size_t *len)
{
    while (r->pending.len < want) {
        size_t got;
        KZ_TRY(read_more(r, &r->pending, want - r->pending.len, &got));
        if (got == 0) break;
    }
    *head = r->pending.data;
    *len = r->pending.len < want ? r->pending.len : want;
    return KZ_OK;
}

/* Offset just past the last '\n' of b[from, b->len), or 0 if there is none. */
static size_t end_of_last_line(const kz_buf *b, size_t from)
{
    for (size_t i = b->len; i > from; i--)
        if (b->data[i - 1] == '\n') return i;
    return 0;
}

int kz_line_reader_next(kz_line_reader *r, kz_buf *out, size_t target, uint64_t *first_line)
{
    kz_buf_clear(out);
    KZ_TRY(kz_buf_append(out, r->pending.data, r->pending.len));
    kz_buf_clear(&r->pending);
    size_t cut = end_of_last_line(out, 0);
    while ((out->len < target || cut == 0) && r->unread > 0) {
        size_t from = out->len, got;
        KZ_TRY(read_more(r, out, out->len < target ? target - out->len : 0, &got));
        if (got == 0) break;
        size_t c = end_of_last_line(out, from);
        if (c) cut = c;
    }
    if (out->len == 0) return 0;
    if (r->unread > 0) { /* keep the partial last line for the next chunk */
        KZ_TRY(kz_buf_append(&r->pending, out->data + cut, out->len - cut));
        out->len = cut;
    }
    *first_line = r->next_line;
    for (const uint8_t *q = out->data, *end = q + out->len;
         (q = memchr(q, '\n', (size_t)(end - q))) != NULL; q++)
        r->next_line++;
    r->handed += out->len;
    return 1;
}

int kz_line_reader_rest(kz_line_reader *r, kz_buf *out)
{
    kz_buf_clear(out);
    KZ_TRY(kz_buf_reserve(out, r->pending.len + (size_t)r->unread));
    KZ_TRY(kz_buf_append(out, r->pending.data, r->pending.len));
    kz_buf_clear(&r->pending);
    for (;;) {
        size_t got;
        KZ_TRY(read_more(r, out, (size_t)r->unread, &got));
        if (got == 0) break;
    }
    r->handed += out->len;
    return KZ_OK;
}

int kz_file_content_hash(const char *path, uint64_t size, uint64_t *hash)
{
    enum { PIECE = 1 << 20 };
    *hash = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return kz_fail_errno(KZ_EIO, "cannot open %s", path);
    uint8_t *buf = malloc(PIECE);
    XXH3_state_t *st = XXH3_createState();
    int rc = buf && st && XXH3_64bits_reset(st) != XXH_ERROR ? KZ_OK : KZ_ENOMEM_FAIL();
    while (rc == KZ_OK && size > 0) {
        size_t got = 0;
        rc = read_some(fd, path, buf, size < PIECE ? (size_t)size : PIECE, &got);
        if (rc != KZ_OK || got == 0) break;
        if (XXH3_64bits_update(st, buf, got) == XXH_ERROR)
            rc = kz_fail(KZ_ERROR, "cannot hash %s", path);
        size -= got;
    }
    if (rc == KZ_OK) *hash = XXH3_64bits_digest(st);
    XXH3_freeState(st);
    free(buf);
    close(fd);
    return rc;
}
