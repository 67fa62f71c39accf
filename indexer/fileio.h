/* fileio.h - durable file writing for commits: whole writes, fsync of files and directories,
 * atomic replacement, and a fault-injection hook for crash-safety tests.
 *
 * Every write path of the writer goes through these functions, so a test can make the n-th
 * operation fail (kz_fileio_fail_after) and check that the index is left in its old or new
 * state, never a broken one. */
#ifndef KZ_FILEIO_H
#define KZ_FILEIO_H

#include <stddef.h>
#include <stdint.h>

/* Creates path (which must not exist), writes len bytes and fsyncs it. */
int kz_file_write_new(const char *path, const void *data, size_t len);

/* One of the consecutive pieces of a file. */
typedef struct kz_file_piece {
    const void *data;
    size_t len;
} kz_file_piece;

/* kz_file_write_new of the concatenation of pieces[0..n), without making it in memory. */
int kz_file_write_new_pieces(const char *path, const kz_file_piece *pieces, size_t n);

/* Writes data to dir/name.tmp, fsyncs it, renames it over dir/name and fsyncs dir. *renamed
 * (may be NULL) is set to whether the rename happened: when only the final directory fsync
 * fails, the new file is already what readers see, though maybe not durable. */
int kz_file_replace(const char *dir, const char *name, const void *data, size_t len, int *renamed);

/* fsyncs a directory so that renames and creations in it are durable. */
int kz_fsync_dir(const char *dir);

/* Test hook: after n more successful operations (write, fsync, rename), every operation fails
 * with EIO; n < 0 turns it off. Thread-local. */
void kz_fileio_fail_after(long n);

#endif
